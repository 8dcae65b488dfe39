//! Optimistic specialisation against real libraries: a host that also has
//! widgets 1.0's type compiled in takes the direct path for v1 (identical
//! layout) and the indirect one for v2 (fields moved), with equal answers.

use resilient_loader::Library;
use resilient_types::{view, Array, Client, Field, Slice, Strategy};

use crate::plugin;

/// widgets 1.0's `Widget`, exactly as the plugin defines it (default repr:
/// the same compiler lays it out the same way).
#[derive(layout_meta::Resilient)]
pub struct Widget {
    pub id: u64,
    pub weight: f32,
    pub flags: u16,
    pub tags: [u8; 4],
    pub origin: Point,
    pub active: bool,
    label: String,
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

view! {
    /// The fields a scan needs (no nested fields: the direct strategy does
    /// not support them yet).
    pub struct ScanView = "widgets"::"Widget" {
        pub id: Field<u64>,
        pub flags: Field<u16>,
    }
}

struct Sum;
impl Client<ScanView> for Sum {
    type Output = u64;
    fn run<S: Strategy>(self, v: &ScanView<S>, values: Slice<'_, ScanView<S>>) -> u64 {
        values
            .iter()
            .map(|r| r.get(v.id) + u64::from(r.get(v.flags)))
            .sum()
    }
}

#[test]
fn direct_path_for_an_identical_layout_indirect_otherwise() {
    let _ = Widget {
        id: 0,
        weight: 0.0,
        flags: 0,
        tags: [0; 4],
        origin: Point::default(),
        active: false,
        label: String::new(),
    }
    .label;
    for (version, expect_direct) in [(1u64, true), (2, false), (3, false)] {
        let lib = Library::open(plugin(&format!("widget-v{version}"))).unwrap();
        let w = lib.bind::<ScanView>().unwrap();
        let values = Array::new(&w, 100).unwrap();
        let (direct, total) = w.specialize::<Widget, _>(values.as_slice(), Sum);
        assert_eq!(direct, expect_direct, "v{version}");
        assert_eq!(total, 100 * (version + 0x0101 * version), "v{version}");
    }
}
