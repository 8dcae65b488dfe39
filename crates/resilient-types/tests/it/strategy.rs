//! The same generic client code over direct and indirect strategies, and
//! optimistic specialisation.

use resilient_types::{
    view, Bound, Client, Direct, DirectView, Field, InProcess, Mut, Ref, Slice, Strategy, View,
};

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod)]
pub struct Sample {
    pub a: u32,
    pub b: u64,
    pub on: bool,
}

view! {
    pub struct SampleView = "samples"::"Sample" {
        pub a: Field<u32>,
        pub b: Field<u64>,
        pub on: Field<bool>,
        pub later: Option<Field<u16>>,
    }
}

/// Written once, generic over the strategy.
fn score<S: Strategy>(v: &SampleView<S>, values: Slice<'_, SampleView<S>>) -> u64 {
    values
        .iter()
        .filter(|r| r.get_checked(v.on) == Some(true))
        .map(|r| u64::from(r.get(v.a)) + r.get(v.b))
        .sum()
}

fn bump<S: Strategy>(v: &SampleView<S>, mut m: Mut<'_, SampleView<S>>) {
    let a = m.get(v.a);
    m.set(v.a, a + 1);
}

fn data() -> Vec<Sample> {
    (0..10)
        .map(|i| Sample {
            a: i,
            b: u64::from(i) * 100,
            on: i % 2 == 0,
        })
        .collect()
}

#[test]
fn direct_strategy_uses_compile_time_offsets() {
    let d = SampleView::<Direct<Sample>>::direct();
    assert_eq!(
        core::mem::size_of_val(&d.a),
        0,
        "a direct token is zero-sized: the offset is in the type"
    );
    assert!(d.later.is_none(), "the in-domain type has no `later`");
    let mut xs = data();
    assert_eq!(
        score(&d, Slice::from_direct(&xs)),
        (0..10).step_by(2).map(|i| i + i * 100).sum::<u64>()
    );
    bump(&d, Mut::from_direct(&mut xs[3]));
    assert_eq!(xs[3].a, 4);
    assert_eq!(
        Ref::<SampleView<Direct<Sample>>>::from_direct(&xs[3]).get(d.b),
        300
    );
}

#[test]
fn indirect_strategy_gives_the_same_answers() {
    let b =
        Bound::<SampleView>::bind(&InProcess::new("samples", "1.0.0").with::<Sample>()).unwrap();
    let xs = data();
    // SAFETY: `xs` are live `Sample`s, the very type bound above.
    let slice = unsafe { Slice::from_raw_parts(xs.as_ptr().cast(), xs.len(), b.shape()) };
    let d = SampleView::<Direct<Sample>>::direct();
    assert_eq!(score(&*b, slice), score(&d, Slice::from_direct(&xs)));
}

struct Score;
impl Client<SampleView> for Score {
    type Output = u64;
    fn run<S: Strategy>(self, v: &SampleView<S>, values: Slice<'_, SampleView<S>>) -> u64 {
        score(v, values)
    }
}

/// Same name and fields as `Sample`, another layout.
pub mod other {
    #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
    #[resilient(pod, prefix = "other_")]
    #[repr(C)]
    pub struct Sample {
        pub on: bool,
        pub b: u64,
        pub a: u32,
    }
}

#[test]
fn specialisation_takes_the_direct_path_only_for_an_equal_layout() {
    let xs = data();
    let same =
        Bound::<SampleView>::bind(&InProcess::new("samples", "1.0.0").with::<Sample>()).unwrap();
    // SAFETY: live `Sample`s of the bound type.
    let slice = unsafe { Slice::from_raw_parts(xs.as_ptr().cast(), xs.len(), same.shape()) };
    let (direct, total) = same.specialize::<Sample, _>(slice, Score);
    assert!(direct, "equal fingerprint: direct path");
    assert_eq!(total, 101 * (2 + 4 + 6 + 8));

    let others: Vec<other::Sample> = xs
        .iter()
        .map(|s| other::Sample {
            on: s.on,
            b: s.b,
            a: s.a,
        })
        .collect();
    let moved =
        Bound::<SampleView>::bind(&InProcess::new("samples", "1.0.0").with::<other::Sample>())
            .unwrap();
    assert!(!moved.matches_in_domain::<Sample>());
    // SAFETY: live `other::Sample`s of the bound type.
    let slice =
        unsafe { Slice::from_raw_parts(others.as_ptr().cast(), others.len(), moved.shape()) };
    let (direct, total) = moved.specialize::<Sample, _>(slice, Score);
    assert!(!direct, "different layout: indirect path");
    assert_eq!(total, 101 * (2 + 4 + 6 + 8), "and the same answer");
}

#[test]
fn direct_and_indirect_views_describe_the_same_fields() {
    assert_eq!(
        <SampleView as View>::FIELDS.len(),
        <SampleView<Direct<Sample>> as View>::FIELDS.len()
    );
    assert!(!<SampleView as View>::FIELDS[3].required);
}
