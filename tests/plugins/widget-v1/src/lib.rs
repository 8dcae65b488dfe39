//! Fixture plugin: widgets 1.0.0, the version hosts are built against.
//! Default Rust layout (the compiler chooses the order).

const VERSION: &str = "1.0.0";

/// A widget.
#[derive(layout_meta::Resilient)]
#[resilient(clone, default)]
pub struct Widget {
    /// Identifier.
    pub id: u64,
    /// Weight in kg.
    pub weight: f32,
    /// Flag bits.
    pub flags: u16,
    /// Four tag bytes.
    pub tags: [u8; 4],
    /// Where it sits.
    pub origin: Point,
    /// Whether it is on.
    pub active: bool,
    label: String,
}

impl Widget {
    fn new_default() -> Self {
        Widget {
            id: 1,
            weight: 1.5,
            flags: 0x0101,
            tags: *b"v1v1",
            origin: Point { x: -1, y: 1 },
            active: true,
            label: "widget v1".into(),
        }
    }
    fn clone_fields(&self) -> Self {
        Widget {
            id: self.id,
            weight: self.weight,
            flags: self.flags,
            tags: self.tags,
            origin: self.origin,
            active: self.active,
            label: self.label.clone(),
        }
    }
}

include!("../../common.rs");

export_widgets!();

#[layout_meta::export]
impl Describe for Widget {
    fn key(&self) -> u64 {
        self.id
    }
    fn set_key(&mut self, key: u64) {
        self.id = key;
    }
}
