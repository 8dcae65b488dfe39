//! Accessor and computed fields (format 1.3) on the producer side: the
//! derive's records, the generated accessors acting on real values, the
//! validator's rules, the member binding rule and `diff`.

use layout_meta::accessor::{shape, BorrowFn, GetValueFn, ReplaceFn, SetValueFn};
use layout_meta::compat::{bind_member, Access, FieldQuery, Mismatch, Place};
use layout_meta::diff::{diff, ChangeKind, Severity};
use layout_meta::encode::encode;
use layout_meta::{
    decode, verify, Error, FieldType, Identity, ModuleLayout, Resilient, TypeLayout,
};

/// A profile, version 1: `score` stored.
#[derive(layout_meta::Resilient, Default)]
#[resilient(default)]
pub struct Profile {
    pub id: u64,
    pub name: String,
    pub tags: Vec<u32>,
    pub nick: Option<String>,
    pub motto: Box<str>,
    pub weights: Box<[f32]>,
    pub score: u32,
    /// Private: the library's own.
    cache: String,
}

mod v2 {
    /// Version 2: `score` is computed (it counts its reads: atomically, as
    /// hosts may read from several threads at once).
    #[derive(layout_meta::Resilient, Default)]
    #[resilient(name = "Profile", prefix = "v2_", default)]
    #[resilient(computed(score: u32, get = Self::score, set = Self::set_score))]
    pub struct Profile2 {
        pub id: u64,
        pub name: String,
        #[resilient(skip)]
        pub reads: core::sync::atomic::AtomicU32,
        points: u32,
    }

    impl Profile2 {
        pub fn score(&self) -> u32 {
            self.reads
                .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            self.points * 10
        }
        pub fn set_score(&mut self, v: u32) {
            self.points = v / 10;
        }
    }
}

/// How the opaque `str` identity prints.
const STR: &str = "str (1 bytes, align 1)";

fn module(t: TypeLayout) -> ModuleLayout {
    ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![t],
        functions: Vec::new(),
        impls: Vec::new(),
    }
}

#[test]
fn the_derive_lists_accessor_fields_apart_from_stored_ones() {
    let _ = Profile::default().cache;
    let t = Profile::DESCRIPTOR.to_layout();
    let stored: Vec<&str> = t.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(stored, ["id", "score"]);
    let acc: Vec<(&str, u32, bool, String)> = t
        .accessors
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.shape,
                a.is_optional(),
                a.identity.to_string(),
            )
        })
        .collect();
    assert_eq!(
        acc,
        [
            ("name", shape::STR, false, STR.to_owned()),
            ("tags", shape::SLICE, false, "u32".to_owned()),
            ("nick", shape::STR, true, STR.to_owned()),
            ("motto", shape::STR, false, STR.to_owned()),
            ("weights", shape::SLICE, false, "f32".to_owned()),
        ]
    );
    verify(&module(t.clone())).unwrap();
    let texts: Vec<String> = t.accessors.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        ["String", "Vec<u32>", "Option<String>", "String", "Vec<f32>"]
    );
}

/// The record's getter, called as a reader calls it.
fn borrow(t: &TypeLayout, name: &str, value: *const u8) -> Option<Vec<u8>> {
    let a = t.accessor(name).unwrap();
    // SAFETY: `get` of a text or elements accessor is a `BorrowFn` (its
    // shape says so), made by the derive.
    let get: BorrowFn = unsafe {
        core::mem::transmute::<*const (), BorrowFn>(core::ptr::with_exposed_provenance::<()>(a.get))
    };
    // SAFETY: `value` is a live value of the type.
    let s = unsafe { get(value) };
    if s.ptr.is_null() {
        return None;
    }
    let elem = a.identity.size().max(1);
    // SAFETY: the accessor contract: `len` elements at `ptr`.
    Some(unsafe { core::slice::from_raw_parts(s.ptr, s.len * elem) }.to_vec())
}

fn replace(t: &TypeLayout, name: &str, value: *mut u8, bytes: Option<&[u8]>, len: usize) {
    let a = t.accessor(name).unwrap();
    // SAFETY: as in `borrow`.
    let set: ReplaceFn = unsafe {
        core::mem::transmute::<*const (), ReplaceFn>(core::ptr::with_exposed_provenance::<()>(
            a.set,
        ))
    };
    let ptr = bytes.map_or(core::ptr::null(), <[u8]>::as_ptr);
    // SAFETY: a live value, exclusively; `len` valid elements at `ptr`.
    unsafe { set(value, ptr, len) }
}

#[test]
fn generated_accessors_borrow_and_replace_with_the_librarys_types() {
    let t = Profile::DESCRIPTOR.to_layout();
    let mut p = Profile {
        name: "ada".into(),
        tags: vec![1, 2],
        nick: None,
        motto: "hi".into(),
        ..Profile::default()
    };
    let v = (&raw mut p).cast::<u8>();
    assert_eq!(borrow(&t, "name", v).unwrap(), b"ada");
    assert_eq!(borrow(&t, "nick", v), None);
    assert_eq!(borrow(&t, "motto", v).unwrap(), b"hi");
    let tags: Vec<u8> = [1u32, 2].iter().flat_map(|x| x.to_ne_bytes()).collect();
    assert_eq!(borrow(&t, "tags", v).unwrap(), tags);
    replace(&t, "name", v, Some(b"grace hopper"), 12);
    replace(&t, "nick", v, Some(b"amazing"), 7);
    replace(&t, "motto", v, Some(b""), 0);
    let three = [7u32, 8, 9];
    replace(
        &t,
        "tags",
        v,
        Some(bytemuck::cast_slice(&three)),
        three.len(),
    );
    assert_eq!(p.name, "grace hopper");
    assert_eq!(p.nick.as_deref(), Some("amazing"));
    assert_eq!(&*p.motto, "");
    assert_eq!(p.tags, [7, 8, 9]);
    let v = (&raw mut p).cast::<u8>();
    replace(&t, "nick", v, None, 0);
    assert_eq!(p.nick, None);
}

/// A host may hand a setter what the getter lent it (the C++ client's
/// `v.set_text(f, v.text(f).substr(1))`, or the C API's borrow then
/// replace): the setter copies before the old contents go, never between
/// overlapping ranges.
#[test]
fn setters_accept_what_the_getter_lent() {
    let t = Profile::DESCRIPTOR.to_layout();
    let mut p = Profile {
        name: "ada lovelace".into(),
        tags: vec![1, 2, 3, 4],
        nick: Some("countess".into()),
        ..Profile::default()
    };
    let v = (&raw mut p).cast::<u8>();
    let lent = |name: &str| {
        let a = t.accessor(name).unwrap();
        // SAFETY: as in `borrow`.
        let get: BorrowFn = unsafe {
            core::mem::transmute::<*const (), BorrowFn>(core::ptr::with_exposed_provenance::<()>(
                a.get,
            ))
        };
        // SAFETY: a live value.
        unsafe { get(v) }
    };
    let set = |name: &str, ptr: *const u8, len: usize| {
        let a = t.accessor(name).unwrap();
        // SAFETY: as in `borrow`.
        let set: ReplaceFn = unsafe {
            core::mem::transmute::<*const (), ReplaceFn>(core::ptr::with_exposed_provenance::<()>(
                a.set,
            ))
        };
        // SAFETY: a live value, exclusively; `len` valid elements at `ptr`
        // (the field's own contents, valid until the setter writes).
        unsafe { set(v, ptr, len) }
    };
    // The whole contents onto themselves, then a part of them.
    let s = lent("name");
    set("name", s.ptr, s.len);
    let s = lent("name");
    // SAFETY: 4 bytes into the 12 lent.
    set("name", unsafe { s.ptr.add(4) }, s.len - 4);
    let s = lent("tags");
    // SAFETY: one `u32` into the 4 lent.
    set("tags", unsafe { s.ptr.add(4) }, s.len - 1);
    let s = lent("nick");
    set("nick", s.ptr, s.len - 3);
    assert_eq!(p.name, "lovelace");
    assert_eq!(p.tags, [2, 3, 4]);
    assert_eq!(p.nick.as_deref(), Some("count"));
}

#[test]
fn computed_fields_call_the_librarys_getter_and_setter() {
    let t = v2::Profile2::DESCRIPTOR.to_layout();
    assert_eq!(t.name, "Profile");
    let a = t.accessor("score").unwrap();
    assert_eq!(
        (a.shape, a.identity.to_string()),
        (shape::VALUE, "u32".into())
    );
    verify(&module(t.clone())).unwrap();
    let mut p = v2::Profile2::default();
    // SAFETY: a `VALUE` accessor's functions are a `GetValueFn` and a
    // `SetValueFn`.
    let (get, set) = unsafe {
        (
            core::mem::transmute::<*const (), GetValueFn>(
                core::ptr::with_exposed_provenance::<()>(a.get),
            ),
            core::mem::transmute::<*const (), SetValueFn>(
                core::ptr::with_exposed_provenance::<()>(a.set),
            ),
        )
    };
    let v = (&raw mut p).cast::<u8>();
    let x = 70u32;
    let mut out = 0u32;
    // SAFETY: a live value; `x` and `out` are `u32`s.
    unsafe {
        set(v, (&raw const x).cast());
        get(v, (&raw mut out).cast());
    }
    assert_eq!(out, 70);
    assert_eq!(
        p.reads.load(core::sync::atomic::Ordering::Relaxed),
        1,
        "the getter ran once"
    );
}

#[test]
fn accessor_records_survive_encoding_and_decoding() {
    let m = module(Profile::DESCRIPTOR.to_layout());
    let image = encode(&m, 0x10_000);
    // Code is wherever the derive's functions are.
    let got = decode(&image.memory((0, usize::MAX)), image.base).unwrap();
    assert_eq!(got.types[0].accessors, m.types[0].accessors);
    assert_eq!(got, m);
}

#[test]
fn the_validator_refuses_bad_accessor_records() {
    let base = Profile::DESCRIPTOR.to_layout();
    let refuse = |edit: &dyn Fn(&mut TypeLayout), want: &str| {
        let mut t = base.clone();
        edit(&mut t);
        let e = verify(&module(t)).unwrap_err();
        assert!(e.to_string().contains(want), "{e} does not say {want:?}");
    };
    refuse(
        &|t| t.accessors[0].name = "id".into(),
        "field `Profile.id` is described twice",
    );
    refuse(
        &|t| t.accessors[1].set = 0,
        "accessor field `Profile.tags`: its getter or setter is missing",
    );
    refuse(
        &|t| {
            t.accessors[0].identity = Identity::from_record(&u32::IDENTITY);
        },
        "a text field's identity is not `str`",
    );
    // Elements of an exported type must be that type as the module lists
    // it (here `Profile` itself, with another size), and never inside an
    // array.
    refuse(
        &|t| {
            t.accessors[1].identity = Identity::Resilient {
                name: "Profile".into(),
                size: 8,
                align: 8,
            };
        },
        "field `Profile.tags` has a malformed type identity: the module's type of the nested name has another size or alignment",
    );
    refuse(
        &|t| {
            t.accessors[1].identity = Identity::Array {
                element: Box::new(Identity::Resilient {
                    name: "Profile".into(),
                    size: t.size,
                    align: t.align,
                }),
                count: 1,
                size: t.size,
                align: t.align,
            };
        },
        "accessor field `Profile.tags`: it holds a resilient type inside an array",
    );
    refuse(
        &|t| t.flags |= layout_meta::flags::FROZEN,
        "a frozen type has only stored fields",
    );
    // Elements of no size (`[u32; 0]`): a host's length in bytes would be
    // 0 whatever the count, and the dynamic setter divides by the size.
    refuse(
        &|t| {
            t.accessors[1].identity = Identity::from_record(&<[u32; 0]>::IDENTITY);
        },
        "accessor field `Profile.tags`: an elements field's element has no size",
    );
    // An accessor's code outside the library: refused by the code check.
    let mut t = base.clone();
    t.accessors[0].get = 0x40;
    let m = module(t);
    let image = encode(&m, 0x10_000);
    // Everything from 0x1000 up is code: the real functions are; 0x40 is not.
    let mem = image.memory((0x1000, usize::MAX));
    layout_meta::verify_code_addresses(&mem, &module(base.clone())).unwrap();
    let e = layout_meta::verify_code_addresses(&mem, &m).unwrap_err();
    assert!(matches!(e, Error::BadAccessor { .. }), "{e}");
    assert!(e.to_string().contains("not in the library's code"), "{e}");
}

fn query<'a>(name: &'a str, identity: &'a Identity, access: Access) -> FieldQuery<'a> {
    FieldQuery {
        name,
        required: true,
        identity,
        access,
    }
}

fn bind(
    t: &TypeLayout,
    name: &str,
    identity: &Identity,
    access: Access,
) -> Result<Option<Place>, Mismatch> {
    let stored = t.field(name);
    let acc = t.accessors.iter().enumerate().find(|(_, a)| a.name == name);
    bind_member(t, query(name, identity, access), stored, acc)
}

#[test]
fn a_by_value_view_binds_stored_or_computed_and_never_a_string() {
    let v1 = Profile::DESCRIPTOR.to_layout();
    let v2 = v2::Profile2::DESCRIPTOR.to_layout();
    let u32_id = Identity::from_record(&u32::IDENTITY);
    let str_id = Identity::from_record(&layout_meta::accessor::STR_IDENTITY);
    assert!(matches!(
        bind(&v1, "score", &u32_id, Access::ByValue),
        Ok(Some(Place::Stored(_)))
    ));
    assert_eq!(
        bind(&v2, "score", &u32_id, Access::ByValue),
        Ok(Some(Place::Computed(1)))
    );
    // Retyped: a computed `u32` is not an `i32`.
    let i32_id = Identity::from_record(&i32::IDENTITY);
    let e = bind(&v2, "score", &i32_id, Access::ByValue).unwrap_err();
    assert_eq!(
        e.to_string(),
        "field `Profile.score` is u32, the view expects i32"
    );
    // A `String` is never read by value.
    let e = bind(&v1, "name", &str_id, Access::ByValue).unwrap_err();
    assert_eq!(
        e.to_string(),
        "field `Profile.name` is String, the view expects str (1 bytes, align 1)"
    );
    // Text binds text, of the same optionality.
    assert_eq!(
        bind(&v1, "name", &str_id, Access::Text),
        Ok(Some(Place::Accessor(0)))
    );
    let e = bind(&v1, "nick", &str_id, Access::Text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "field `Profile.nick` is Option<String>, the view expects String"
    );
    assert_eq!(
        bind(&v1, "nick", &str_id, Access::OptionalText),
        Ok(Some(Place::Accessor(2)))
    );
    let e = bind(&v1, "id", &str_id, Access::Text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "field `Profile.id` is u64, the view expects String"
    );
    // Elements of the same element type.
    assert_eq!(
        bind(&v1, "tags", &u32_id, Access::Elements),
        Ok(Some(Place::Accessor(1)))
    );
    let e = bind(&v1, "tags", &i32_id, Access::Elements).unwrap_err();
    assert_eq!(
        e.to_string(),
        "field `Profile.tags` is Vec<u32>, the view expects Vec<i32>"
    );
    // Missing: the suggestions name accessor fields too.
    let e = bind(&v1, "nme", &str_id, Access::Text).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("field `Profile.nme` (String) is missing (`Profile` has `name`"),
        "{e}"
    );
}

#[test]
fn diff_calls_stored_to_computed_compatible_and_a_retyped_accessor_breaking() {
    let v1 = module(Profile::DESCRIPTOR.to_layout());
    let v2 = module(v2::Profile2::DESCRIPTOR.to_layout());
    let changes = diff(&v1, &v2);
    let score = changes
        .iter()
        .find(|c| c.item.as_deref() == Some("score"))
        .unwrap();
    assert_eq!(score.kind, ChangeKind::FieldComputed);
    assert_eq!(score.severity, Severity::Compatible);
    assert_eq!(score.detail(), "score: u32 -> u32 (computed)");
    let back = diff(&v2, &v1);
    let score = back
        .iter()
        .find(|c| c.item.as_deref() == Some("score"))
        .unwrap();
    assert_eq!(score.kind, ChangeKind::FieldStored);
    assert_eq!(score.severity, Severity::Compatible);
    // `tags` and the others are gone in v2: removed, breaking.
    let tags = changes
        .iter()
        .find(|c| c.item.as_deref() == Some("tags"))
        .unwrap();
    assert_eq!(
        (tags.kind, tags.severity),
        (ChangeKind::FieldRemoved, Severity::Breaking)
    );
    // An accessor retyped.
    let mut v3 = v1.clone();
    v3.types[0].accessors[0].shape = shape::SLICE;
    v3.types[0].accessors[0].identity = Identity::from_record(&u8::IDENTITY);
    let c = diff(&v1, &v3);
    let name = c
        .iter()
        .find(|c| c.item.as_deref() == Some("name"))
        .unwrap();
    assert_eq!(
        (name.kind, name.severity),
        (ChangeKind::FieldRetyped, Severity::Breaking)
    );
    assert_eq!(name.detail(), "name: String -> Vec<u8>");
    // `diff` calls a change compatible by binding's rule, not a copy of it:
    // a stored field of a resilient type (a nested view's) that became a
    // computed one of that type binds no host (nested views bind stored
    // fields; by-value views never hold a resilient type), so it breaks.
    let inner = Identity::Resilient {
        name: "Inner".into(),
        size: 4,
        align: 4,
    };
    let (mut s1, mut s2) = (v1.clone(), v2.clone());
    let stored = s1.types[0].fields.iter_mut().find(|f| f.name == "score");
    stored.unwrap().identity = inner.clone();
    let computed = s2.types[0].accessors.iter_mut().find(|a| a.name == "score");
    computed.unwrap().identity = inner.clone();
    for access in [Access::ByValue, Access::Nested] {
        assert!(bind(&s2.types[0], "score", &inner, access).is_err());
    }
    for (kind, (a, b)) in [
        (ChangeKind::FieldComputed, (&s1, &s2)),
        (ChangeKind::FieldStored, (&s2, &s1)),
    ] {
        let c = diff(a, b);
        let score = c
            .iter()
            .find(|c| c.item.as_deref() == Some("score"))
            .unwrap();
        assert_ne!(score.kind, kind);
        assert_eq!(
            (score.kind, score.severity),
            (ChangeKind::FieldRetyped, Severity::Breaking)
        );
    }
}
