//! Regression tests for holes that let safe code reach undefined behaviour
//! (each failed before its fix; the first two under Miri, which CI runs).

use std::sync::Arc;

use layout_meta::{flags, Resilient, TypeLayout, WitnessAddrs};
use resilient_types::{
    view, Bound, Error, Field, ForeignType, InProcess, Mismatch, Nested, Origin, TypeSource, Value,
};

use crate::handmade::Handmade;

fn pod(name: &str, size: usize, stride: usize) -> TypeLayout {
    let mut t = TypeLayout {
        name: name.into(),
        flags: flags::POD,
        size,
        align: 8,
        stride,
        fingerprint: 0,
        fields: Vec::new(),
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: None,
    };
    t.fingerprint = t.compute_fingerprint();
    t
}

view! {
    pub struct Padded = "m"::"Padded" {}
}

/// A type whose stride is larger than its size (the format allows it): a
/// value's room is `size` bytes, and zero-initialising it wrote `stride`
/// bytes (heap corruption; Miri reported the out-of-bounds write).
#[test]
fn a_stride_larger_than_the_size_is_never_written_past_a_value() {
    for (size, stride) in [(8, 64), (0, 8)] {
        let src = Handmade::new(vec![pod("Padded", size, stride)]);
        let b = Bound::<Padded>::bind(&src).unwrap();
        let v = Value::new(&b).unwrap();
        drop(v);
        let a = resilient_types::Array::new(&b, 3).unwrap();
        assert_eq!(a.len(), 3);
        resilient_types::with_stack(&b, |mut v| v.as_mut_ptr().is_null()).unwrap();
        resilient_types::with_inline::<8, _, _>(&b, |mut v| v.as_mut_ptr().is_null()).unwrap();
    }
}

#[derive(Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod)]
pub struct Inner {
    pub on: bool,
    pub n: u8,
}

#[derive(Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod)]
pub struct Outer {
    pub inner: Inner,
}

view! {
    pub struct InnerView = "m"::"Inner" { pub on: Field<bool> }
}
view! {
    pub struct OuterView = "m"::"Outer" { pub inner: Nested<InnerView> }
}

/// A source that hands out, for the nested name, a type of the same name
/// and size from another library.
struct Impostor {
    real: InProcess,
    other: InProcess,
}

impl TypeSource for Impostor {
    fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>> {
        match name {
            "Inner" => self.other.foreign_type(name),
            _ => self.real.foreign_type(name),
        }
    }
    fn origin(&self) -> Origin {
        self.real.origin()
    }
}

/// `Nested` fields bound through any type of the right name and size: one
/// from another library passed (its offsets then read the outer library's
/// bytes). The nested type must come from the outer type's library.
#[test]
fn a_nested_type_from_another_library_is_refused() {
    let src = Impostor {
        real: InProcess::new("m", "1.0.0").with::<Outer>().with::<Inner>(),
        other: InProcess::new("m", "1.0.0").with::<Inner>(),
    };
    let err = Bound::<OuterView>::bind(&src).unwrap_err();
    let Error::Bind { mismatches, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(&mismatches[..], [Mismatch::NestedMismatch { field, .. }] if field == "inner"),
        "{err}"
    );
    // The same types from one source bind.
    let one = InProcess::new("m", "1.0.0").with::<Outer>().with::<Inner>();
    assert!(Bound::<OuterView>::bind(&one).is_ok());
}

/// A nested type of another size than the field holds is refused by the
/// one nested rule, naming both sizes.
#[test]
fn a_nested_type_of_another_size_is_refused() {
    let mut outer = Outer::DESCRIPTOR.to_layout();
    outer.witnesses = WitnessAddrs::default();
    outer.flags = flags::POD;
    let mut inner = pod("Inner", 8, 8);
    inner.align = 1;
    inner.fingerprint = inner.compute_fingerprint();
    // No library's validated module says this (the validator refuses it),
    // but a type source may: the binder checks it on its own.
    let src = Handmade::each_valid(vec![outer, inner]);
    let err = Bound::<OuterView>::bind(&src).unwrap_err();
    assert!(
        err.to_string()
            .contains("field `Outer.inner` nests a `Inner` of 2 bytes (align 1), the library's `Inner` has 8 bytes (align 1)"),
        "{err}"
    );
}

#[derive(Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod)]
pub struct Pairs {
    pub pair: [Inner; 2],
}

view! {
    pub struct PairsView = "m"::"Pairs" { pub pair: Option<Nested<InnerView>> }
}

/// An array of a resilient type never binds by value (the element's layout
/// may have changed under its name), nor as a nested field.
#[test]
fn an_array_of_a_resilient_type_is_refused() {
    let src = InProcess::new("m", "1.0.0").with::<Pairs>().with::<Inner>();
    let err = Bound::<PairsView>::bind(&src).unwrap_err();
    assert!(
        err.to_string().contains(
            "field `Pairs.pair` is [resilient Inner; 2], the view expects resilient Inner"
        ),
        "{err}"
    );
}
