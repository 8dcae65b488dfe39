//! The change rules, on layouts the compiler produced: each kind of change
//! is reported once, with the severity the rules give it.

use layout_meta::diff::{diff, diff_type, verdicts, ChangeKind as K, Severity};
use layout_meta::{ModuleLayout, Resilient, TypeLayout};

mod v1 {
    #[derive(layout_meta::Resilient)]
    #[resilient(prefix = "diff_v1_")]
    #[repr(C)]
    pub struct W {
        pub id: u64,
        pub weight: f32,
        pub flags: u16,
    }
    #[derive(layout_meta::Resilient)]
    #[resilient(frozen, prefix = "diff_v1_")]
    #[repr(C)]
    pub struct P {
        pub x: i32,
        pub y: i32,
    }
}

mod v2 {
    // A field added in the middle, two reordered, grown.
    #[derive(layout_meta::Resilient)]
    #[resilient(prefix = "diff_v2_")]
    #[repr(C)]
    pub struct W {
        pub flags: u16,
        pub scale: f64,
        pub id: u64,
        pub weight: f32,
    }
    // The frozen type grew.
    #[derive(layout_meta::Resilient)]
    #[resilient(frozen, prefix = "diff_v2_")]
    #[repr(C)]
    pub struct P {
        pub x: i32,
        pub y: i32,
        pub z: i32,
    }
}

mod v4 {
    // `weight` retyped (same size), `flags` resized, `id` removed.
    #[derive(layout_meta::Resilient)]
    #[resilient(prefix = "diff_v4_")]
    #[repr(C)]
    pub struct W {
        pub weight: u32,
        pub flags: u32,
    }
}

fn layout<T: Resilient>() -> TypeLayout {
    T::DESCRIPTOR.to_layout()
}

fn kinds(changes: &[layout_meta::diff::Change]) -> Vec<(K, Option<&str>, Severity)> {
    changes
        .iter()
        .map(|c| (c.kind, c.item.as_deref(), c.severity))
        .collect()
}

#[test]
fn no_change_is_empty() {
    assert!(diff_type(&layout::<v1::W>(), &layout::<v1::W>()).is_empty());
}

#[test]
fn adding_and_reordering_is_compatible() {
    let c = diff_type(&layout::<v1::W>(), &layout::<v2::W>());
    assert_eq!(
        kinds(&c),
        [
            (K::FieldAdded, Some("scale"), Severity::Compatible),
            (K::FieldMoved, Some("id"), Severity::Compatible),
            (K::FieldMoved, Some("weight"), Severity::Compatible),
            (K::FieldMoved, Some("flags"), Severity::Compatible),
            (K::SizeChanged, None, Severity::Compatible),
            (K::StrideChanged, None, Severity::Compatible),
        ]
    );
    assert_eq!(c[0].detail(), "scale: f64 at 8");
    assert_eq!(c[1].detail(), "id: 0 -> 16");
    assert_eq!(c[4].detail(), "16 -> 32");
    assert_eq!(verdicts(&c), [("W".to_owned(), Severity::Compatible)]);
}

#[test]
fn removing_retyping_and_resizing_break() {
    let c = diff_type(&layout::<v1::W>(), &layout::<v4::W>());
    assert_eq!(
        kinds(&c),
        [
            (K::FieldRemoved, Some("id"), Severity::Breaking),
            (K::FieldRetyped, Some("weight"), Severity::Breaking),
            (K::FieldMoved, Some("weight"), Severity::Compatible),
            (K::FieldResized, Some("flags"), Severity::Breaking),
            (K::FieldMoved, Some("flags"), Severity::Compatible),
            (K::SizeChanged, None, Severity::Compatible),
            (K::AlignChanged, None, Severity::Compatible),
            (K::StrideChanged, None, Severity::Compatible),
        ]
    );
    assert_eq!(c[0].detail(), "id");
    assert_eq!(c[1].detail(), "weight: f32 -> u32");
    assert_eq!(verdicts(&c), [("W".to_owned(), Severity::Breaking)]);
}

#[test]
fn any_layout_change_of_a_frozen_type_breaks() {
    let c = diff_type(&layout::<v1::P>(), &layout::<v2::P>());
    assert_eq!(c[0].kind, K::FrozenChanged);
    assert!(
        c[0].detail().starts_with("fingerprint 0x"),
        "{}",
        c[0].detail()
    );
    assert!(c.iter().any(|c| c.kind == K::FieldAdded));
    assert!(c.iter().all(|c| c.severity == Severity::Breaking), "{c:#?}");
}

#[test]
fn losing_send_breaks_gaining_it_does_not() {
    let plain = layout::<v1::W>();
    let mut movable = plain.clone();
    movable.flags |= layout_meta::flags::SEND;
    assert_eq!(
        kinds(&diff_type(&plain, &movable)),
        [(K::FlagAdded, Some("send"), Severity::Compatible)]
    );
    let lost = diff_type(&movable, &plain);
    assert_eq!(
        kinds(&lost),
        [(K::FlagRemoved, Some("send"), Severity::Breaking)]
    );
    assert_eq!(lost[0].detail(), "send");
}

#[test]
fn types_added_and_removed() {
    let m = |types| ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types,
        functions: Vec::new(),
        impls: Vec::new(),
    };
    let c = diff(
        &m(vec![layout::<v1::W>(), layout::<v1::P>()]),
        &m(vec![layout::<v1::W>(), {
            let mut t = layout::<v2::W>();
            t.name = "Q".into();
            t
        }]),
    );
    assert_eq!(
        kinds(&c),
        [
            (K::TypeAdded, None, Severity::Compatible),
            (K::TypeRemoved, None, Severity::Breaking),
        ]
    );
    assert_eq!((c[0].ty.as_str(), c[1].ty.as_str()), ("Q", "P"));
    assert_eq!(K::TypeAdded.to_string(), "type-added");
}

#[test]
fn what_version_numbers_promise() {
    use layout_meta::diff::{next_breaking_version, promises_compatibility};
    for (old, new, promise) in [
        // MAJOR > 0: the same major, not older.
        ("1.1.0", "1.2.0", true),
        ("1.1.0", "1.1.7", true),
        ("1.1.0", "1.1.0", true),
        ("1.1.0+build.1", "1.2.0+build.2", true),
        ("1.1.0", "2.0.0", false),
        ("1.2.0", "1.1.0", false),
        ("1.1.1", "1.1.0", false),
        // 0.MINOR: the same minor.
        ("0.3.1", "0.3.2", true),
        ("0.3.1", "0.4.0", false),
        ("0.3.1", "1.0.0", false),
        // 0.0.PATCH: the same version only.
        ("0.0.3", "0.0.3", true),
        ("0.0.3", "0.0.4", false),
        // Pre-releases promise nothing.
        ("1.1.0", "1.2.0-rc.1", false),
        ("1.2.0-rc.1", "1.2.0", false),
        ("1.2.0-rc.1", "1.2.0-rc.2", false),
        // Not semver.
        ("1.1", "1.2", false),
        ("v1.1.0", "1.2.0", false),
    ] {
        assert_eq!(promises_compatibility(old, new), promise, "{old} -> {new}");
    }
    for (old, next) in [
        ("1.4.2", Some("2.0.0")),
        ("0.3.1", Some("0.4.0")),
        ("0.0.3", Some("0.0.4")),
        ("1.0.0-rc.1", Some("2.0.0")),
        ("18446744073709551615.0.0", None),
        ("x", None),
    ] {
        assert_eq!(next_breaking_version(old).as_deref(), next, "{old}");
    }
}

#[test]
fn a_breaking_change_under_a_version_that_promises_compatibility() {
    use layout_meta::diff::broken_promise;
    let m = |version: &str, w| ModuleLayout {
        name: "m".into(),
        version: version.into(),
        types: vec![w, layout::<v1::P>()],
        functions: Vec::new(),
        impls: Vec::new(),
    };
    let breaks = |old: &str, new: &str| {
        let (o, n) = (m(old, layout::<v1::W>()), m(new, layout::<v4::W>()));
        broken_promise(&o, &n, &diff(&o, &n)).map(|b| b.to_string())
    };
    assert_eq!(
        breaks("1.1.0", "1.2.0").as_deref(),
        Some(
            "1.2.0 breaks hosts of 1.1.0 although its version promises compatibility: \
             3 breaking changes (W); release it as 2.0.0, or undo them"
        )
    );
    assert_eq!(
        breaks("0.3.1", "0.3.2").as_deref(),
        Some(
            "0.3.2 breaks hosts of 0.3.1 although its version promises compatibility: \
             3 breaking changes (W); release it as 0.4.0, or undo them"
        )
    );
    // A new major version (or 0.MINOR) may break.
    assert_eq!(breaks("1.1.0", "2.0.0"), None);
    assert_eq!(breaks("0.3.1", "0.4.0"), None);
    // Compatible changes under a minor bump keep the promise.
    let (o, n) = (m("1.1.0", layout::<v1::W>()), m("1.2.0", layout::<v2::W>()));
    assert_eq!(broken_promise(&o, &n, &diff(&o, &n)), None);
    // Two modules' versions promise nothing about each other.
    let (o, mut n) = (m("1.1.0", layout::<v1::W>()), m("1.2.0", layout::<v4::W>()));
    n.name = "other".into();
    assert_eq!(broken_promise(&o, &n, &diff(&o, &n)), None);
}

#[test]
fn a_method_removed_from_an_implementation_is_listed_under_it() {
    use layout_meta::function::{abi, pass};
    use layout_meta::{FunctionLayout, Identity, ImplLayout, ParamLayout};
    let method = |name: &str| FunctionLayout {
        name: name.into(),
        abi: abi::THUNK_V2,
        flags: 0,
        params: vec![ParamLayout {
            name: "self".into(),
            pass: pass::REF,
            identity: Identity::Resilient {
                name: "W".into(),
                size: 16,
                align: 8,
            },
        }],
        ret: ParamLayout {
            name: "return".into(),
            pass: pass::VALUE,
            identity: Identity::Scalar {
                name: "u64".into(),
                size: 8,
                align: 8,
            },
        },
        thunk: 0,
    };
    let m = |methods: Vec<FunctionLayout>| ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![layout::<v1::W>()],
        functions: Vec::new(),
        impls: vec![ImplLayout {
            interface: "Describe".into(),
            type_name: "W".into(),
            methods,
        }],
    };
    let c = diff(
        &m(vec![method("key"), method("tag")]),
        &m(vec![method("key")]),
    );
    assert_eq!(kinds(&c), [(K::FunctionRemoved, None, Severity::Breaking)]);
    assert_eq!(c[0].ty, "impl Describe for W: fn tag");
}

mod packing {
    #[derive(layout_meta::Resilient)]
    #[resilient(prefix = "diff_pack_")]
    #[repr(C)]
    pub struct In {
        pub v: u32,
    }
    #[derive(layout_meta::Resilient)]
    #[resilient(name = "Out", prefix = "diff_pack_a_")]
    #[repr(C)]
    pub struct Aligned {
        pub tag: u8,
        pub inner: In,
    }
    #[derive(layout_meta::Resilient)]
    #[resilient(name = "Out", prefix = "diff_pack_p_")]
    #[repr(C, packed)]
    pub struct Packed {
        pub tag: u8,
        pub inner: In,
    }
}

/// Found by review: a nested field that a view reached and no longer can
/// (the type became packed) was only "moved" and "align changed", both
/// compatible, while every view of it stopped binding.
#[test]
fn a_nested_field_that_loses_its_alignment_breaks() {
    let (aligned, packed) = (layout::<packing::Aligned>(), layout::<packing::Packed>());
    let c = diff_type(&aligned, &packed);
    let misaligned: Vec<_> = c.iter().filter(|c| c.kind == K::FieldMisaligned).collect();
    assert_eq!(misaligned.len(), 1, "{c:#?}");
    assert_eq!(misaligned[0].item.as_deref(), Some("inner"));
    assert_eq!(misaligned[0].severity, Severity::Breaking);
    assert_eq!(
        misaligned[0].detail(),
        "inner: at 4 of align 4 -> at 1 of align 1"
    );
    assert_eq!(verdicts(&c), [("Out".to_owned(), Severity::Breaking)]);
    // Back to aligned is compatible, as is any move that keeps it aligned.
    let back = diff_type(&packed, &aligned);
    assert!(
        back.iter().all(|c| c.kind != K::FieldMisaligned),
        "{back:#?}"
    );
    assert_eq!(verdicts(&back), [("Out".to_owned(), Severity::Compatible)]);
}
