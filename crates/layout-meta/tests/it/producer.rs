//! For many shapes, the exported numbers equal the compiler's.

use core::marker::PhantomData;
use core::mem::{align_of, offset_of, size_of};

use layout_meta::{flags, FieldType, Identity, Resilient};

#[derive(Resilient, Clone, Default)]
#[resilient(clone, default)]
pub struct DefaultRepr {
    pub a: u8,
    pub b: u64,
    pub c: u16,
    pub d: [u32; 3],
    #[allow(dead_code, reason = "a private field the library keeps to itself")]
    hidden: String,
}

#[derive(Resilient)]
#[repr(C)]
pub struct ReprC {
    pub a: u8,
    pub b: u32,
    pub c: u8,
}

#[derive(Resilient)]
#[repr(C, packed)]
pub struct Packed {
    pub a: u8,
    pub b: u32,
    pub c: u16,
}

#[derive(Resilient)]
#[repr(C, align(64))]
pub struct Aligned {
    pub a: u8,
    pub b: f64,
}

#[derive(Resilient, Clone, Copy, bytemuck::Zeroable)]
#[repr(C)]
#[resilient(pod, frozen)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[derive(Resilient)]
pub struct Nested {
    pub tag: char,
    pub at: Point,
    pub path: [Point; 2],
    pub grid: [[u8; 3]; 2],
    pub unit: (),
    pub marker: PhantomData<String>,
    pub empty: [u64; 0],
    #[resilient(skip)]
    #[allow(dead_code, reason = "present only to be skipped")]
    pub skipped: u32,
    #[resilient(export)]
    shown: bool,
}

#[derive(Resilient)]
pub struct Tuple(
    pub u16,
    pub i64,
    #[allow(dead_code, reason = "a private field, not exported")] u8,
);

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable, bytemuck::Pod)]
pub struct Vec3 {
    x: f32,
    y: f32,
    z: f32,
}

#[derive(Resilient)]
#[resilient(name = "Renamed", prefix = "acme_")]
pub struct WithOpaque {
    #[resilient(opaque)]
    pub v: Vec3,
    pub n: u8,
}

#[derive(Resilient)]
pub struct Unit;

layout_meta::export_module! {
    name: "shapes",
    version: "1.2.3-test+build.7",
    types: [DefaultRepr, ReprC, Packed, Aligned, Point, Nested, Tuple, WithOpaque, Unit],
}

extern "C" {
    static DefaultRepr_size: usize;
    static DefaultRepr_align: usize;
    static DefaultRepr_b_offset: usize;
    static Packed_b_offset: usize;
    static Tuple_1_offset: usize;
    static acme_Renamed_size: usize;
    static acme_Renamed_v_offset: usize;
    static resilient_manifest: layout_meta::Manifest;
}

fn check_type<T: Resilient>(fields: &[(&str, usize, usize)]) {
    let d = T::DESCRIPTOR;
    assert_eq!(d.size(), size_of::<T>(), "size of {}", d.name());
    assert_eq!(d.align(), align_of::<T>(), "align of {}", d.name());
    assert_eq!(d.stride(), size_of::<T>(), "stride of {}", d.name());
    let names: Vec<&str> = d.fields().iter().map(|f| f.name()).collect();
    let expected: Vec<&str> = fields.iter().map(|f| f.0).collect();
    assert_eq!(names, expected, "exported fields of {}", d.name());
    for (f, (name, offset, size)) in d.fields().iter().zip(fields) {
        assert_eq!(f.offset(), *offset, "offset of {}.{name}", d.name());
        assert_eq!(f.identity().size(), *size, "size of {}.{name}", d.name());
    }
    let layout = d.to_layout();
    assert_eq!(layout.compute_fingerprint(), d.fingerprint());
}

#[test]
fn default_repr_matches_compiler() {
    check_type::<DefaultRepr>(&[
        ("a", offset_of!(DefaultRepr, a), 1),
        ("b", offset_of!(DefaultRepr, b), 8),
        ("c", offset_of!(DefaultRepr, c), 2),
        ("d", offset_of!(DefaultRepr, d), 12),
    ]);
    let d = DefaultRepr::DESCRIPTOR;
    assert_ne!(d.flags() & flags::NEEDS_DROP, 0);
    assert_ne!(d.flags() & flags::CLONABLE, 0);
    assert_ne!(d.flags() & flags::DEFAULT_INIT, 0);
    assert!(d.witnesses().drop.is_some());
}

#[test]
fn repr_c_packed_aligned_match_compiler() {
    check_type::<ReprC>(&[("a", 0, 1), ("b", 4, 4), ("c", 8, 1)]);
    check_type::<Packed>(&[("a", 0, 1), ("b", 1, 4), ("c", 5, 2)]);
    assert_eq!(Packed::DESCRIPTOR.size(), 7);
    check_type::<Aligned>(&[("a", 0, 1), ("b", 8, 8)]);
    assert_eq!(Aligned::DESCRIPTOR.align(), 64);
    assert_eq!(ReprC::DESCRIPTOR.flags(), 0, "no witnesses, no flags");
    let packed = Packed::DESCRIPTOR.to_layout();
    assert!(!packed.field("b").unwrap().is_aligned());
}

#[test]
fn nested_arrays_and_zero_sized_fields_match_compiler() {
    check_type::<Nested>(&[
        ("tag", offset_of!(Nested, tag), 4),
        ("at", offset_of!(Nested, at), 8),
        ("path", offset_of!(Nested, path), 16),
        ("grid", offset_of!(Nested, grid), 6),
        ("unit", offset_of!(Nested, unit), 0),
        ("marker", offset_of!(Nested, marker), 0),
        ("empty", offset_of!(Nested, empty), 0),
        ("shown", offset_of!(Nested, shown), 1),
    ]);
    let l = Nested::DESCRIPTOR.to_layout();
    assert_eq!(l.field("tag").unwrap().identity.to_string(), "char");
    assert_eq!(
        l.field("at").unwrap().identity.to_string(),
        "resilient Point"
    );
    assert_eq!(
        l.field("path").unwrap().identity.to_string(),
        "[resilient Point; 2]"
    );
    assert_eq!(
        l.field("grid").unwrap().identity.to_string(),
        "[[u8; 3]; 2]"
    );
    assert!(matches!(
        l.field("unit").unwrap().identity,
        Identity::Opaque { .. }
    ));
    let p = Point::DESCRIPTOR;
    assert_eq!(p.flags(), flags::POD | flags::FROZEN | flags::CLONABLE);
    assert!(p.witnesses().drop.is_none());
}

/// `send` sets the flag (and is checked at compile time: see the
/// `compile_fail` example in layout-meta's crate docs).
#[derive(Resilient)]
#[resilient(send)]
pub struct Movable {
    pub id: u64,
    #[allow(dead_code, reason = "a private field that is Send")]
    data: Vec<u8>,
}

#[test]
fn send_sets_the_flag_only_when_asked() {
    assert_eq!(Movable::DESCRIPTOR.flags() & flags::SEND, flags::SEND);
    assert!(Movable::DESCRIPTOR.to_layout().is_send());
    assert_eq!(DefaultRepr::DESCRIPTOR.flags() & flags::SEND, 0);
}

#[test]
fn tuple_unit_renamed_and_opaque() {
    check_type::<Tuple>(&[
        ("0", offset_of!(Tuple, 0), 2),
        ("1", offset_of!(Tuple, 1), 8),
    ]);
    check_type::<Unit>(&[]);
    check_type::<WithOpaque>(&[
        ("v", offset_of!(WithOpaque, v), 12),
        ("n", offset_of!(WithOpaque, n), 1),
    ]);
    assert_eq!(WithOpaque::DESCRIPTOR.name(), "Renamed");
    let id = &WithOpaque::DESCRIPTOR.to_layout().fields[0].identity;
    assert_eq!(
        id,
        &Identity::Opaque {
            name: "Vec3".into(),
            size: 12,
            align: 4
        }
    );
    assert_eq!(<Point as FieldType>::IDENTITY.name(), "Point");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri does not resolve extern statics (the derive's symbols)"
)]
fn scalar_symbols_hold_the_compiler_numbers() {
    // SAFETY: the derive above defines these symbols in this binary as
    // `usize` statics (and the manifest as a `Manifest`); they are immutable.
    unsafe {
        assert_eq!(DefaultRepr_size, size_of::<DefaultRepr>());
        assert_eq!(DefaultRepr_align, align_of::<DefaultRepr>());
        assert_eq!(DefaultRepr_b_offset, offset_of!(DefaultRepr, b));
        assert_eq!(Packed_b_offset, 1);
        assert_eq!(Tuple_1_offset, offset_of!(Tuple, 1));
        assert_eq!(acme_Renamed_size, size_of::<WithOpaque>());
        assert_eq!(acme_Renamed_v_offset, offset_of!(WithOpaque, v));
        assert!(core::ptr::eq(
            resilient_manifest.types()[0],
            DefaultRepr::DESCRIPTOR
        ));
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri does not resolve extern statics (`resilient_manifest`)"
)]
fn the_manifest_checks_and_round_trips_through_the_validator() {
    // SAFETY: defined by `export_module!` above; immutable.
    let manifest = unsafe { &resilient_manifest };
    let module = manifest.to_layout().expect("compiled-in manifest is valid");
    assert_eq!(module.name, "shapes");
    assert_eq!(module.version, "1.2.3-test+build.7");
    assert_eq!(module.types.len(), 9);
    // Through the untrusted path: encode the same layout and read it back.
    let image = layout_meta::encode::encode(&module, 0x1_0000);
    let mut decoded = layout_meta::validate(&image.memory((0, usize::MAX)), 0x1_0000).unwrap();
    assert_eq!(decoded, module);
    decoded.types[0].fields[0].offset += 1;
    assert!(layout_meta::verify(&decoded).is_err());
}

#[test]
fn is_descriptor_compares_fields_not_just_the_fingerprint() {
    let d = &Nested::DESCRIPTOR;
    let l = d.to_layout();
    assert!(l.is_descriptor(d));
    // A layout whose fingerprint collides with `d`'s (kept as is) but whose
    // field moved: not the same layout.
    let mut moved = l.clone();
    moved.fields[0].offset += 1;
    assert_eq!(moved.fingerprint, d.fingerprint());
    assert!(!moved.is_descriptor(d));
    let mut retyped = l.clone();
    retyped.fields[0].identity = Identity::from_record(&u32::IDENTITY);
    assert!(!retyped.is_descriptor(d));
    let mut renamed = l;
    renamed.fields[1].name.push('_');
    assert!(!renamed.is_descriptor(d));
    assert!(!DefaultRepr::DESCRIPTOR.to_layout().is_descriptor(d));
}
