//! Regression tests for the holes a review of the call and interface paths
//! found (each was undefined behaviour reachable from safe host code:
//! valgrind reported reads and writes past a value), and what it found
//! sound. Each hole's test checks the refusal that closes it. (The same
//! hole through a loaded library, a type source that renames types, is
//! `tests/it/functions.rs`, `review_a_source_that_renames_types_binds_nothing`.)

use std::sync::Arc;

use resilient_types::{
    api, implementations, interface, view, Api, Bound, Field, ForeignType, Func, InProcess, Origin,
    OwnedSlice, SliceOf, This, ThisMut, TypeSource, Value,
};

// ---------------------------------------------------------------------------
// 1. An in-process implementation's type was found by name: with two types
//    of one name (two versions of a type, as tests model evolution), the
//    methods compiled for the 264-byte `BigSq` ran on an 8-byte `SmallSq`.

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default, name = "Sq", prefix = "small_sq_")]
pub struct SmallSq {
    pub side: u64,
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default, name = "Sq", prefix = "big_sq_")]
pub struct BigSq {
    pub side: u64,
    pub pad: [u64; 32],
}

pub trait Shape {
    fn last(&self) -> u64;
    fn smash(&mut self);
}

#[layout_meta::export]
impl Shape for BigSq {
    fn last(&self) -> u64 {
        self.pad[31]
    }
    fn smash(&mut self) {
        self.pad = [9; 32];
    }
}

interface! {
    pub struct ShapeI = "squares"::"Shape" {
        pub last: Func<fn(This) -> u64>,
        pub smash: Func<fn(ThisMut)>,
    }
}

const SHAPE: u64 = layout_meta::name_hash("Shape");

/// Was UB: the implementation is listed only for exactly the type its
/// methods were compiled for.
#[test]
fn review_in_process_implementation_of_a_type_of_the_same_name() {
    let only_small = InProcess::new("squares", "1.0.0")
        .with::<SmallSq>()
        .with_impl::<BigSq, SHAPE>();
    let impls = implementations::<ShapeI>(&only_small).unwrap();
    assert!(
        impls.is_empty(),
        "an implementation of another `Sq` is not SmallSq's"
    );
    // Both versions listed, the small one first (the one found by name).
    let both = InProcess::new("squares", "1.0.0")
        .with::<SmallSq>()
        .with::<BigSq>()
        .with_impl::<BigSq, SHAPE>();
    let impls = implementations::<ShapeI>(&both).unwrap();
    assert_eq!(impls.len(), 1);
    let mut obj = impls[0].create().unwrap();
    let (m, this) = obj.split();
    m.smash.call(this).unwrap();
    assert_eq!(obj.methods().last.call(obj.this()).unwrap(), 9);
    // The checked constructor says the same.
    let small = only_small.foreign_type("Sq").unwrap();
    assert!(
        resilient_types::ForeignImpl::in_process::<BigSq, SHAPE>(small, &only_small.origin())
            .is_none()
    );
}

/// Two types of one name, size and public layout, which differ only in a
/// private field: equal descriptors but for the witnesses. A method
/// compiled for `SqA` reads its `Box`; run on an `SqB` it would read the
/// integer as a pointer.
#[derive(layout_meta::Resilient, Default)]
#[resilient(default, name = "Sq2", prefix = "sq2a_")]
#[repr(C)]
pub struct SqA {
    pub side: u64,
    secret: Box<u64>,
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default, name = "Sq2", prefix = "sq2b_")]
#[repr(C)]
pub struct SqB {
    pub side: u64,
    raw: u64,
}

pub trait Peek {
    fn peek(&self) -> u64;
}

#[layout_meta::export]
impl Peek for SqA {
    fn peek(&self) -> u64 {
        *self.secret
    }
}

#[layout_meta::export]
pub fn peek_a(s: &SqA) -> u64 {
    *s.secret
}

interface! {
    pub struct PeekI = "sq2"::"Peek" { pub peek: Func<fn(This) -> u64> }
}

view! {
    pub struct Sq2View = "sq2"::"Sq2" { pub side: Field<u64> }
}

api! {
    pub struct PeekFns = "sq2" { pub peek_a: Func<fn(resilient_types::In<Sq2View>) -> u64> }
}

/// Was UB after the first fix (a crash: the integer read as a pointer),
/// found by the review of that fix: a type compiled into the program is
/// known by its descriptor's address, not by an equal layout.
#[test]
fn review_a_type_of_equal_public_layout_is_not_the_compiled_one() {
    let b = InProcess::new("sq2", "1.0.0")
        .with::<SqB>()
        .with_impl::<SqA, { layout_meta::name_hash("Peek") }>()
        .with_fn::<peek_a>();
    assert!(implementations::<PeekI>(&b).unwrap().is_empty());
    let err = PeekFns::bind(&b).expect_err("refused").to_string();
    assert!(
        err.contains("not the type the function was compiled for"),
        "{err}"
    );
    let a = InProcess::new("sq2", "1.0.0")
        .with::<SqA>()
        .with_impl::<SqA, { layout_meta::name_hash("Peek") }>()
        .with_fn::<peek_a>();
    let impls = implementations::<PeekI>(&a).unwrap();
    let obj = impls[0].create().unwrap();
    assert_eq!(obj.methods().peek.call(obj.this()).unwrap(), 0);
    let fns = PeekFns::bind(&a).unwrap();
    let v = Value::new(&Bound::<Sq2View>::bind(&a).unwrap()).unwrap();
    assert_eq!(fns.peek_a.call(v.as_ref()).unwrap(), 0);
}

// ---------------------------------------------------------------------------
// 2. Binding took whatever type a source handed out for a name: a view of
//    `Huge`, and the result of a function returning one, were sized by
//    the type handed out instead (the loaded-library case is in the
//    workspace's integration tests).

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default)]
pub struct Tiny {
    pub a: u8,
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default)]
pub struct Huge {
    pub a: u8,
    pub pad: [u64; 32],
}

view! {
    pub struct HugeView = "sizes"::"Huge" { pub a: Field<u8> }
}

/// Hands out `Tiny` when asked for `Huge`: safe to write.
struct Renaming(InProcess);

impl TypeSource for Renaming {
    fn foreign_type(&self, name: &str) -> Option<Arc<ForeignType>> {
        self.0
            .foreign_type(if name == "Huge" { "Tiny" } else { name })
    }
    fn origin(&self) -> Origin {
        self.0.origin()
    }
}

/// Was unsound (values of a `Huge` view sized as a `Tiny`): a type of
/// another name counts as missing.
#[test]
fn review_a_source_that_renames_a_type_binds_no_view_of_it() {
    let src = Renaming(
        InProcess::new("sizes", "1.0.0")
            .with::<Tiny>()
            .with::<Huge>(),
    );
    let err = Bound::<HugeView>::bind(&src).unwrap_err();
    assert!(err.to_string().contains("`Huge`"), "{err}");
    let direct = Bound::<HugeView>::bind(&src.0).unwrap();
    assert_eq!(
        Value::new(&direct).unwrap().as_ref().get(direct.a),
        0,
        "the source itself binds"
    );
}

// ---------------------------------------------------------------------------
// 3. A slice or a `Vec` of a resilient plain-data type crossed by its
//    host-side layout: `&[P4]` was read as `P1`s (past the host's array),
//    and a `Vec<P1>` read as `P4`s (past the library's buffer). The
//    validator refuses such records in a library; a module compiled into
//    the host is not validated, so binding applies the same rule.

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable, bytemuck::Pod)]
#[resilient(pod, default, name = "P", prefix = "p1_")]
#[repr(C)]
pub struct P1 {
    pub x: u32,
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable, bytemuck::Pod)]
#[resilient(pod, default, name = "P", prefix = "p4_")]
#[repr(C)]
pub struct P4 {
    pub x: u32,
    pub y: u32,
    pub z: u32,
    pub w: u32,
}

#[layout_meta::export]
pub fn sum_p(ps: &[P4]) -> u64 {
    ps.iter().map(|p| u64::from(p.w)).sum()
}

#[layout_meta::export]
pub fn make_ps() -> Vec<P1> {
    vec![P1 { x: 1 }]
}

api! {
    pub struct Points = "points" {
        pub sum_p: Option<Func<fn(SliceOf<P1>) -> u64>>,
        pub make_ps: Option<Func<fn() -> OwnedSlice<P4>>>,
    }
}

/// Was UB: a function that takes or returns a resilient type in a slice
/// binds to nothing, naming the parameter and the rule.
#[test]
fn review_a_slice_of_a_resilient_type_is_refused_at_bind() {
    let src = InProcess::new("points", "1.0.0")
        .with_fn::<sum_p>()
        .with_fn::<make_ps>();
    let err = Points::bind(&src).expect_err("refused").to_string();
    for want in [
        "function `sum_p`: parameter 1 (`ps`) is &[resilient P]: a resilient type never crosses by value or in a slice",
        "function `make_ps`: the result is Vec<resilient P>: a resilient type never crosses",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
}

// ---------------------------------------------------------------------------
// 4. (From the review of the C API, which shares the rule.) A nested field
//    of a packed type was bound like any other, and a view of it reached
//    a misaligned value in place: handed to the library's code (a
//    function's `&Inner4`, its clone and drop witnesses) as a reference.

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default)]
pub struct Inner4 {
    pub v: u32,
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default)]
#[repr(C, packed)]
pub struct PackedOuter {
    pub tag: u8,
    pub inner: Inner4,
}

/// Aligned where it is, but not in every value: the type's values are
/// aligned to 1 only.
#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default)]
#[repr(C, packed)]
pub struct PackedFirst {
    pub inner: Inner4,
    pub tag: u8,
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default)]
pub struct AlignedOuter {
    pub tag: u8,
    pub inner: Inner4,
}

view! {
    pub struct Inner4View = "packs"::"Inner4" { pub v: Field<u32> }
}

view! {
    pub struct PackedView = "packs"::"PackedOuter" {
        pub tag: Field<u8>,
        pub inner: resilient_types::Nested<Inner4View>,
    }
}

view! {
    pub struct PackedFirstView = "packs"::"PackedFirst" {
        pub inner: resilient_types::Nested<Inner4View>,
    }
}

view! {
    pub struct AlignedView = "packs"::"AlignedOuter" {
        pub tag: Field<u8>,
        pub inner: resilient_types::Nested<Inner4View>,
    }
}

/// Was UB when the nested value reached the library: a nested field that
/// is not aligned for its type in every value is refused at bind, by the
/// one nested rule the C API's views and `resilient check` apply too.
#[test]
fn review_a_packed_nested_field_is_not_viewed_in_place() {
    let src = InProcess::new("packs", "1.0.0")
        .with::<Inner4>()
        .with::<PackedOuter>()
        .with::<PackedFirst>()
        .with::<AlignedOuter>();
    let err = Bound::<PackedView>::bind(&src).unwrap_err().to_string();
    for want in [
        "PackedOuter.inner",
        "at offset 1",
        "needs alignment 4",
        "packed",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    let err = Bound::<PackedFirstView>::bind(&src)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at offset 0 of a type aligned to 1"), "{err}");
    let aligned = Bound::<AlignedView>::bind(&src).unwrap();
    let v = Value::new(&aligned).unwrap();
    assert_eq!(
        v.as_ref().nested(aligned.inner).get(aligned.inner.view().v),
        0
    );
}

// ---------------------------------------------------------------------------
// 5. (From the review of the second round.) A nested field's type was
//    found by name and checked by layout: with `InB` listed as `In`, a view
//    of `OuterAB` reached its `InA` field as an `InB`, which a function
//    compiled for `InB` then took, reading `InA`'s integer as `InB`'s box.

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default, name = "In", prefix = "in_a_")]
#[repr(C)]
pub struct InA {
    pub side: u64,
    raw: u64,
}

#[derive(layout_meta::Resilient, Default)]
#[resilient(default, name = "In", prefix = "in_b_")]
#[repr(C)]
pub struct InB {
    pub side: u64,
    secret: Box<u64>,
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default)]
#[repr(C)]
pub struct OuterAB {
    pub inner: InA,
}

#[layout_meta::export]
pub fn peek_b(b: &InB) -> u64 {
    *b.secret
}

view! {
    pub struct InView = "nests"::"In" { pub side: Field<u64> }
}

view! {
    pub struct OuterABView = "nests"::"OuterAB" { pub inner: resilient_types::Nested<InView> }
}

api! {
    pub struct NestFns = "nests" { pub peek_b: Func<fn(resilient_types::In<InView>) -> u64> }
}

/// Was UB: a nested field of a type compiled into the program binds only to
/// exactly the type it was compiled with.
#[test]
fn review_a_nested_field_of_a_compiled_type_is_its_own_type() {
    let src = InProcess::new("nests", "1.0.0")
        .with::<OuterAB>()
        .with::<InB>()
        .with_fn::<peek_b>();
    NestFns::bind(&src).expect("peek_b takes the listed In, which is InB");
    let err = Bound::<OuterABView>::bind(&src).unwrap_err().to_string();
    assert!(
        err.contains("not the type the outer type was compiled with"),
        "{err}"
    );
    let good = InProcess::new("nests", "1.0.0")
        .with::<OuterAB>()
        .with::<InA>();
    let b = Bound::<OuterABView>::bind(&good).unwrap();
    let v = Value::new(&b).unwrap();
    assert_eq!(v.as_ref().nested(b.inner).get(b.inner.view().side), 0);
}
