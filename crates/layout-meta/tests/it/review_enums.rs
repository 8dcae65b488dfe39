//! A review's checks of the derive's enum records
//! against the compiler: for every primitive `repr`, explicit and implicit
//! discriminants (expressions too), zero-sized and over-aligned payload
//! fields, `repr(u8, align(8))`, and `repr(C, u8)` / `repr(C)` (which must
//! not be plain). Each value's plain tag and every payload field's offset
//! are compared with where the compiler really put them.

use core::marker::PhantomData;

use layout_meta::Resilient;

/// Over-aligned plain data, exported by name.
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Zeroable, bytemuck::Pod)]
#[repr(C, align(32))]
pub struct A32(pub [u64; 4]);

/// Checks one value: its plain tag is the case's `tag`, and each of its
/// payload fields (addresses given, in declaration order) is at the
/// case's recorded offset. Returns the case index.
fn check<T: Resilient>(v: &T, case: usize, fields: &[*const u8]) {
    let d = T::DESCRIPTOR.enum_info().expect("an enum");
    let (offset, size) = d.plain_tag().expect("a plain tag");
    let base = core::ptr::from_ref(v).cast::<u8>();
    assert!(offset + size as usize <= core::mem::size_of::<T>());
    // SAFETY: the tag lies in the live value (checked just above).
    let tag = unsafe {
        let at = base.add(offset);
        match size {
            1 => u64::from(at.read()),
            2 => u64::from(at.cast::<u16>().read_unaligned()),
            4 => u64::from(at.cast::<u32>().read_unaligned()),
            _ => at.cast::<u64>().read_unaligned(),
        }
    };
    let c = &d.cases()[case];
    assert_eq!(
        tag,
        c.tag(),
        "{}::{}: tag in the value vs the record",
        T::DESCRIPTOR.name(),
        c.name()
    );
    // SAFETY: a live value.
    let by_witness = unsafe { d.witnesses().0.unwrap()(base) } as usize;
    assert_eq!(by_witness, case);
    assert_eq!(c.fields().len(), fields.len());
    for (f, at) in c.fields().iter().zip(fields) {
        assert_eq!(
            f.offset(),
            *at as usize - base as usize,
            "{}::{}.{}: recorded offset vs the compiler's",
            T::DESCRIPTOR.name(),
            c.name(),
            f.name()
        );
    }
}

fn p<T>(r: &T) -> *const u8 {
    core::ptr::from_ref(r).cast()
}

#[derive(layout_meta::Resilient)]
#[repr(u8)]
pub enum ReprU8 {
    X,
    Y(u16, u64),
    Z { a: u8, b: [u32; 3] },
}

#[test]
fn review_repr_u8() {
    check(&ReprU8::X, 0, &[]);
    if let v @ ReprU8::Y(a, b) = &ReprU8::Y(1, 2) {
        check(v, 1, &[p(a), p(b)]);
    }
    if let v @ ReprU8::Z { a, b } = &(ReprU8::Z { a: 1, b: [2; 3] }) {
        check(v, 2, &[p(a), p(b)]);
    }
}

const BASE: i16 = 100;

#[derive(layout_meta::Resilient)]
#[repr(i16)]
pub enum ReprI16 {
    X = -5,
    Y(u8),
    Z = 7 + 3 * 2,
    W { q: u64 } = BASE * 2,
    V(i8),
}

#[test]
fn review_repr_i16_with_expressions_and_implicit_after_explicit() {
    check(&ReprI16::X, 0, &[]);
    if let v @ ReprI16::Y(a) = &ReprI16::Y(1) {
        check(v, 1, &[p(a)]);
    }
    check(&ReprI16::Z, 2, &[]);
    if let v @ ReprI16::W { q } = &(ReprI16::W { q: 9 }) {
        check(v, 3, &[p(q)]);
    }
    if let v @ ReprI16::V(a) = &ReprI16::V(-1) {
        check(v, 4, &[p(a)]);
    }
}

#[derive(layout_meta::Resilient)]
#[repr(isize)]
pub enum ReprIsize {
    Minus = -1,
    Y(u32),
    Z(()),
}

#[derive(layout_meta::Resilient)]
#[repr(usize)]
#[allow(
    clippy::enum_clike_unportable_variant,
    reason = "a word-sized tag's top values"
)]
pub enum ReprUsize {
    Top = usize::MAX - 1,
    Y(u8),
}

#[derive(layout_meta::Resilient)]
#[repr(u32)]
pub enum ReprU32 {
    X(u8),
    Y(u64),
}

#[derive(layout_meta::Resilient)]
#[repr(i64)]
pub enum ReprI64 {
    X = i64::MIN,
    Y(u8),
}

#[test]
fn review_word_sized_and_64_bit_reprs() {
    check(&ReprIsize::Minus, 0, &[]);
    if let v @ ReprIsize::Y(a) = &ReprIsize::Y(3) {
        check(v, 1, &[p(a)]);
    }
    if let v @ ReprIsize::Z(a) = &ReprIsize::Z(()) {
        check(v, 2, &[p(a)]);
    }
    check(&ReprUsize::Top, 0, &[]);
    if let v @ ReprUsize::Y(a) = &ReprUsize::Y(3) {
        check(v, 1, &[p(a)]);
    }
    if let v @ ReprU32::X(a) = &ReprU32::X(3) {
        check(v, 0, &[p(a)]);
    }
    if let v @ ReprU32::Y(a) = &ReprU32::Y(3) {
        check(v, 1, &[p(a)]);
    }
    check(&ReprI64::X, 0, &[]);
    if let v @ ReprI64::Y(a) = &ReprI64::Y(3) {
        check(v, 1, &[p(a)]);
    }
}

#[derive(layout_meta::Resilient)]
#[repr(u8)]
pub enum ZstAndOverAligned {
    Unit(()),
    Ghost(u8, PhantomData<u64>, u16),
    Big(u8, #[resilient(opaque)] A32, u8),
}

#[test]
fn review_zero_sized_and_over_aligned_payload_fields() {
    if let v @ ZstAndOverAligned::Unit(a) = &ZstAndOverAligned::Unit(()) {
        check(v, 0, &[p(a)]);
    }
    if let v @ ZstAndOverAligned::Ghost(a, b, c) = &ZstAndOverAligned::Ghost(1, PhantomData, 2) {
        check(v, 1, &[p(a), p(b), p(c)]);
    }
    if let v @ ZstAndOverAligned::Big(a, b, c) = &ZstAndOverAligned::Big(1, A32([5; 4]), 2) {
        check(v, 2, &[p(a), p(b), p(c)]);
    }
}

#[derive(layout_meta::Resilient)]
#[repr(u8, align(8))]
pub enum AlignedU8 {
    X,
    Y(u8, u16),
    Z = 9,
    W(u32),
}

#[test]
fn review_repr_u8_align_8() {
    assert_eq!(core::mem::align_of::<AlignedU8>(), 8);
    check(&AlignedU8::X, 0, &[]);
    if let v @ AlignedU8::Y(a, b) = &AlignedU8::Y(1, 2) {
        check(v, 1, &[p(a), p(b)]);
    }
    check(&AlignedU8::Z, 2, &[]);
    if let v @ AlignedU8::W(a) = &AlignedU8::W(4) {
        check(v, 3, &[p(a)]);
    }
}

#[derive(layout_meta::Resilient)]
#[repr(C, u8)]
pub enum ReprCU8 {
    X,
    Y(u8, u64),
}

#[derive(layout_meta::Resilient)]
#[repr(C)]
pub enum ReprCOnly {
    X,
    Y(u8, u64),
}

#[derive(layout_meta::Resilient)]
#[repr(u8)]
#[repr(C)]
pub enum ReprU8ThenC {
    X,
    Y(u8, u64),
}

#[test]
fn review_repr_c_forms_are_not_plain() {
    for d in [
        ReprCU8::DESCRIPTOR,
        ReprCOnly::DESCRIPTOR,
        ReprU8ThenC::DESCRIPTOR,
    ] {
        let e = d.enum_info().unwrap();
        assert_eq!(e.plain_tag(), None, "{}", d.name());
        assert_eq!(
            e.enum_flags() & layout_meta::format::enum_flags::PAYLOAD_PLAIN,
            0,
            "{}",
            d.name()
        );
    }
}

/// Every one of these records passes the validator too.
#[test]
fn review_the_validator_accepts_them() {
    let types = [
        ReprU8::DESCRIPTOR,
        ReprI16::DESCRIPTOR,
        ReprIsize::DESCRIPTOR,
        ReprUsize::DESCRIPTOR,
        ReprU32::DESCRIPTOR,
        ReprI64::DESCRIPTOR,
        ZstAndOverAligned::DESCRIPTOR,
        AlignedU8::DESCRIPTOR,
        ReprCU8::DESCRIPTOR,
        ReprCOnly::DESCRIPTOR,
        ReprU8ThenC::DESCRIPTOR,
    ];
    let m = layout_meta::ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: types.iter().map(|d| d.to_layout()).collect(),
        functions: Vec::new(),
        impls: Vec::new(),
    };
    layout_meta::verify(&m).unwrap();
}

/// A 4-byte enum, not plain, whose case `Busy` has one payload field of
/// `payload` (its identity's size may exceed the value's).
fn witness_enum(payload: layout_meta::Identity, flags: u32) -> layout_meta::ModuleLayout {
    use layout_meta::{CaseLayout, EnumLayout, FieldLayout, TypeLayout, WitnessAddrs};
    let mut t = TypeLayout {
        name: "Status".into(),
        flags: layout_meta::flags::ENUM | flags,
        size: 4,
        align: 4,
        stride: 4,
        fingerprint: 0,
        fields: Vec::new(),
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: Some(EnumLayout {
            tag: None,
            payload_plain: false,
            cases: vec![
                CaseLayout {
                    name: "Idle".into(),
                    tag: 0,
                    fields: Vec::new(),
                },
                CaseLayout {
                    name: "Busy".into(),
                    tag: 0,
                    fields: vec![FieldLayout {
                        name: "jobs".into(),
                        offset: 0,
                        identity: payload,
                    }],
                },
            ],
            case_of: 0x1000,
            locate: 0x1010,
            write_case: 0x1020,
        }),
    };
    t.fingerprint = t.compute_fingerprint();
    layout_meta::ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![t],
        functions: Vec::new(),
        impls: Vec::new(),
    }
}

/// Low: a payload reached through `locate` is not checked to fit in the
/// value (a plain one is): a 4-byte enum whose case holds a 64-byte array
/// validates, and a host then reads 64 bytes at whatever `locate` returns.
#[test]
fn review_a_located_payload_larger_than_the_value_is_accepted() {
    let big = layout_meta::Identity::Array {
        element: Box::new(layout_meta::Identity::Scalar {
            name: "u64".into(),
            size: 8,
            align: 8,
        }),
        count: 8,
        size: 64,
        align: 8,
    };
    let verdict = layout_meta::verify(&witness_enum(big, 0));
    assert!(
        verdict.is_err(),
        "accepted: a 64-byte payload field in a 4-byte enum"
    );
}

/// Low: the `pod` flag on an enum is accepted (the derive refuses it: "all
/// zero bytes need not be a case"); a host then zero-fills `Value::new`
/// and copies values bitwise, for a C library that says so.
#[test]
fn review_the_pod_flag_on_an_enum_is_accepted() {
    let u32_id = layout_meta::Identity::Scalar {
        name: "u32".into(),
        size: 4,
        align: 4,
    };
    let verdict = layout_meta::verify(&witness_enum(u32_id, layout_meta::flags::POD));
    assert!(verdict.is_err(), "accepted: a plain-old-data enum");
}
