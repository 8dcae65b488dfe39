//! Strings, vectors and computed fields across the boundary (format 1.3):
//! a Rust host built against widgets 1.0 reads and writes `Profile`'s
//! `String`, `Vec<u32>` and `Option<String>` fields through the accessors
//! the library generated, and its `score` field, stored in 1.0 and 1.2 and
//! computed in 1.1 (each read counted by the library), with one view.
//! (The million replacements freed by the library, under valgrind too, are
//! in `crates/loader/tests/it/strings.rs`.)
//!
//! And the matrix: a Rust host reads and writes the C++ samples'
//! `std::string`, `std::vector` and `std::optional<std::string>` fields,
//! and a C++ host (`cpp/src/strings_host.cpp`, through the C API) the Rust
//! fixtures' and the C++ samples' alike, computed `score` included.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use resilient_loader::Library;
use resilient_types::{api, view, Elems, Field, Func, InMut, OptText, Text, Value};

use crate::cross_language::{all_cpp_libs, rust_lib};

view! {
    /// What a host built against widgets 1.0 uses of a profile.
    pub struct ProfileView = "widgets"::"Profile" {
        pub id: Field<u64>,
        pub name: Text,
        pub tags: Elems<u32>,
        pub nick: OptText,
        pub score: Field<u32>,
    }
}

api! {
    pub struct Counters = "widgets" {
        pub score_reads: Func<fn() -> isize>,
    }
}

#[test]
fn one_view_reads_and_writes_strings_vectors_and_a_field_that_became_computed() {
    for v in 1..=4 {
        let lib = Library::open(rust_lib(v)).unwrap();
        let bound = lib.bind::<ProfileView>().unwrap();
        let counters = lib.bind_api::<Counters>().unwrap();
        let p = *bound.view();
        assert_eq!(p.score.is_computed(), v == 2, "widgets 1.{}", v - 1);
        let mut value = Value::new(&bound).unwrap();
        let r = value.as_ref();
        assert_eq!(r.text(p.name).unwrap(), "");
        assert_eq!(r.elems(p.tags), &[] as &[u32]);
        assert_eq!(r.opt_text(p.nick).unwrap(), None);
        let mut m = value.as_mut();
        m.set(p.id, 7);
        m.set_text(p.name, "Ada Lovelace");
        m.set_elems(p.tags, &[1, 2, 3]);
        m.set_opt_text(p.nick, Some("ada"));
        let reads = counters.score_reads.call().unwrap();
        m.set(p.score, 42);
        let r = value.as_ref();
        assert_eq!(r.get(p.score), 42);
        // The library's getter ran once for the read, in 1.1 only.
        let counted = counters.score_reads.call().unwrap() - reads;
        assert_eq!(counted, isize::from(v == 2), "widgets 1.{}", v - 1);
        assert_eq!(r.get(p.id), 7);
        assert_eq!(r.text(p.name).unwrap(), "Ada Lovelace");
        assert_eq!(r.text_bytes(p.name), b"Ada Lovelace");
        assert_eq!(r.elems(p.tags), &[1, 2, 3]);
        assert_eq!(r.opt_text(p.nick).unwrap(), Some("ada"));
        let mut m = value.as_mut();
        m.set_opt_text(p.nick, None);
        m.set_elems(p.tags, &[]);
        assert_eq!(value.as_ref().opt_text(p.nick).unwrap(), None);
        assert_eq!(value.as_ref().elems(p.tags), &[] as &[u32]);
    }
}

#[test]
fn a_view_of_a_field_as_the_wrong_kind_is_refused_naming_both() {
    view! {
        pub struct Wrong = "widgets"::"Profile" {
            pub name: Field<u64>,
            pub id: Text,
            pub tags: Elems<i32>,
            pub nick: Text,
        }
    }
    let lib = Library::open(rust_lib(1)).unwrap();
    let e = lib.bind::<Wrong>().unwrap_err();
    let text = e.to_string();
    for want in [
        "field `Profile.name` is String, the view expects u64",
        "field `Profile.id` is u64, the view expects String",
        "field `Profile.tags` is Vec<u32>, the view expects Vec<i32>",
        "field `Profile.nick` is Option<String>, the view expects String",
    ] {
        assert!(text.contains(want), "{text}\ndoes not say: {want}");
    }
}

// ------------------------------------------------------------ the matrix
//
// The C++ samples (cpp/src/widget_v*.cpp) export the same `Profile` with a
// `std::string name`, a `std::vector<std::uint32_t> tags` (so that one host
// view, `Elems<u32>`, reads the Rust fixtures' `Vec<u32>` and the C++
// samples' vector alike) and a `std::optional<std::string> nick`, through
// accessors export.hpp generates; their `deltas`, a
// `std::vector<std::int32_t>`, is the signed-element check. `score` is
// stored in every C++ sample (only the Rust 1.1 fixture computes it).

view! {
    /// The C++ samples' `deltas` (the Rust fixtures have none).
    pub struct DeltasView = "widgets"::"Profile" {
        pub deltas: Elems<i32>,
    }
}

api! {
    pub struct Garble = "widgets" {
        pub garble_name: Func<fn(InMut<ProfileView>)>,
    }
}

#[test]
fn a_rust_host_reads_and_writes_cpp_strings_vectors_and_optional_text() {
    for path in all_cpp_libs() {
        let lib = Library::open(path).unwrap();
        let bound = lib.bind::<ProfileView>().unwrap();
        let p = *bound.view();
        assert!(!p.score.is_computed(), "{}", path.display());
        let mut value = Value::new(&bound).unwrap(); // the C++ constructor
        let r = value.as_ref();
        assert_eq!(r.text(p.name).unwrap(), "");
        assert_eq!(r.elems(p.tags), &[] as &[u32]);
        assert_eq!(r.opt_text(p.nick).unwrap(), None);
        let mut m = value.as_mut();
        m.set(p.id, 7);
        m.set_text(
            p.name,
            "Ada Lovelace, with a name longer than any small-string buffer",
        );
        m.set_elems(p.tags, &[1, 2, u32::MAX]);
        m.set_opt_text(p.nick, Some("ada"));
        m.set(p.score, 42);
        let copy = value.try_clone().unwrap(); // the C++ copy constructor: a deep copy
        let mut m = value.as_mut();
        m.set_text(p.name, "changed");
        m.set_opt_text(p.nick, None);
        m.set_elems(p.tags, &[]);
        let r = copy.as_ref();
        assert_eq!(
            r.text(p.name).unwrap(),
            "Ada Lovelace, with a name longer than any small-string buffer"
        );
        assert_eq!(r.elems(p.tags), &[1, 2, u32::MAX]);
        assert_eq!(r.opt_text(p.nick).unwrap(), Some("ada"));
        assert_eq!((r.get(p.id), r.get(p.score)), (7, 42));
        let r = value.as_ref();
        assert_eq!(r.text(p.name).unwrap(), "changed");
        assert_eq!(r.opt_text(p.nick).unwrap(), None);
        assert_eq!(r.elems(p.tags), &[] as &[u32]);

        // std::vector<std::int32_t>, read as &[i32].
        let deltas = lib.bind::<DeltasView>().unwrap();
        let d = *deltas.view();
        let mut v = Value::new(&deltas).unwrap();
        v.as_mut().set_elems(d.deltas, &[-1, 0, i32::MIN, i32::MAX]);
        assert_eq!(v.as_ref().elems(d.deltas), &[-1, 0, i32::MIN, i32::MAX]);
    }
}

#[test]
fn non_utf8_bytes_of_a_cpp_string_are_refused_as_text_and_read_as_bytes() {
    for path in all_cpp_libs() {
        let lib = Library::open(path).unwrap();
        let bound = lib.bind::<ProfileView>().unwrap();
        let p = *bound.view();
        let garble = lib.bind_api::<Garble>().unwrap();
        let mut value = Value::new(&bound).unwrap();
        garble.garble_name.call(value.as_mut()).unwrap();
        let r = value.as_ref();
        let e = r.text(p.name).unwrap_err();
        assert!(
            matches!(
                &e,
                resilient_types::Error::NotUtf8 {
                    valid_up_to: 2,
                    len: 4,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "field `name` holds 4 bytes that are not UTF-8 (the first bad byte is at 2): read them with `text_bytes`"
        );
        assert_eq!(r.text_bytes(p.name), b"ok\xff\xfe");
    }
    // The Rust fixtures' String is UTF-8 by construction: they export no
    // such function.
    let lib = Library::open(rust_lib(1)).unwrap();
    assert!(lib.bind_api::<Garble>().is_err());
}

/// `cpp/src/strings_host.cpp` linked with the C API, by g++ and (where
/// installed) clang++, built once.
fn cpp_hosts() -> &'static [PathBuf] {
    static BUILT: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| crate::build_cpp_hosts("strings_host"))
}

/// What `strings_host.cpp` prints for widgets `version`: a Rust fixture
/// (`rust`: its score computed in 1.1, its allocations counted) or a C++
/// sample (`deltas`, `garble_name`).
fn expected_transcript(version: &str, rust: bool) -> String {
    let computed = rust && version == "1.1.0";
    let mut lines = vec![
        format!("version {version}"),
        "default id=0 name=\"\" tags=[] nick=none score=0".to_owned(),
        format!(
            "score 42 read by the library's getter {} times",
            u8::from(computed)
        ),
        "set id=7 name=\"Ada Lovelace\" tags=[1,2,3] nick=\"ada\" score=42".to_owned(),
        "onto itself id=7 name=\"Lovelace\" tags=[2,3] nick=\"ada\" score=42".to_owned(),
        "cleared id=7 name=\"\" tags=[] nick=none score=42".to_owned(),
        if rust {
            "no clone witness".to_owned()
        } else {
            "copy id=7 name=\"Ada Lovelace\" tags=[1,2,3] nick=\"ada\" score=42".to_owned()
        },
        if rust {
            "deltas absent".to_owned()
        } else {
            "deltas [-1,0,2147483647,-2147483648]".to_owned()
        },
        "non-UTF-8 refused: field `Profile.name` holds 5 bytes that are not UTF-8 (the first bad byte is at 4): read them with `text_bytes`".to_owned(),
    ];
    if rust {
        lines.push("no garble_name".into());
    } else {
        lines.push("garbled text refused: field `Profile.name` holds 4 bytes that are not UTF-8 (the first bad byte is at 2): read them with `text_bytes`".into());
        lines.push("garbled bytes 6f6bfffe".into());
    }
    for (what, status) in [
        ("get of a text field", "value"),
        ("borrow of a by-value field", "argument"),
        ("text of an elements field", "argument"),
        ("borrow into NULL", "null"),
        ("borrow of NULL", "null"),
        ("nothing into a required text", "null"),
        ("nothing into elements", "null"),
        ("token of another binding", "binding"),
        ("misaligned elements", "argument"),
    ] {
        lines.push(format!("{what}: {status}"));
    }
    lines.push(format!(
        "after misuse id=7 name=\"{}\" tags=[] nick=none score=42",
        if rust { "" } else { "mended" }
    ));
    lines.push(format!("name length {}", 1 + 19_999 % 4096));
    // Rust counts the library's heap blocks, C++ its live `Profile` values
    // (each owns its buffers): both back where they started.
    lines.push("live allocations back to start: yes".into());
    lines.join("\n") + "\n"
}

#[test]
fn a_cpp_host_reads_and_writes_rust_and_cpp_strings_vectors_and_computed_fields() {
    let hosts = cpp_hosts();
    assert!(!hosts.is_empty(), "g++ builds the C++ host");
    let mut libs: Vec<(PathBuf, bool)> = (1..=4).map(|v| (rust_lib(v), true)).collect();
    libs.extend(all_cpp_libs().map(|p| (p.to_path_buf(), false)));
    for host in hosts {
        for (lib, rust) in &libs {
            let out = Command::new(host).arg(lib).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let version = Library::open(lib)
                .unwrap()
                .version()
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert_eq!(
                (out.status.code(), stdout.as_ref()),
                (Some(0), expected_transcript(&version, *rust).as_str()),
                "{} on {}:\n{}",
                host.display(),
                lib.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// The C API's heap-value entry points, called as a C host calls them: a
/// view declared field by field (`RSL_TEXT`, `RSL_OPTIONAL_TEXT`,
/// `RSL_ELEMENTS`, and `score` by value, computed by the Rust 1.1 fixture),
/// contents borrowed and replaced, misuse refused with a typed status.
#[test]
fn the_c_api_borrows_and_replaces_on_heap_values_and_refuses_misuse() {
    use resilient::rsl_status::*;
    use resilient::*;
    use std::ffi::{c_void, CStr};

    let u32_ = rsl_expect {
        kind: RSL_EXPECT_SCALAR,
        name: c"u32".as_ptr(),
        size: 0,
        align: 0,
        count: 0,
        element: std::ptr::null(),
    };
    let mut libs = vec![rust_lib(1), rust_lib(2)];
    libs.extend(all_cpp_libs().map(std::path::Path::to_path_buf));
    for path in libs {
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: every pointer is NULL or live, each handle freed once.
        unsafe {
            let err = rsl_error_new();
            let msg = || {
                CStr::from_ptr(rsl_error_message(err))
                    .to_string_lossy()
                    .into_owned()
            };
            let mut lib = std::ptr::null_mut();
            assert_eq!(rsl_library_open(c_path.as_ptr(), &mut lib, err), RSL_OK);
            let mut view = std::ptr::null_mut();
            assert_eq!(
                rsl_view_new(c"widgets".as_ptr(), c"Profile".as_ptr(), &mut view, err),
                RSL_OK
            );
            for (name, access, expected) in [
                (c"name", RSL_TEXT, std::ptr::null()),
                (c"nick", RSL_OPTIONAL_TEXT, std::ptr::null()),
                (c"tags", RSL_ELEMENTS, &raw const u32_),
                (c"score", RSL_BY_VALUE, &raw const u32_),
            ] {
                assert_eq!(
                    rsl_view_add_field(view, name.as_ptr(), 1, access, expected, err),
                    RSL_OK,
                    "{}",
                    msg()
                );
            }
            assert_eq!(
                rsl_view_add_field(view, c"x".as_ptr(), 1, 9, &u32_, err),
                RSL_ERROR_ARGUMENT
            );
            let mut bound = std::ptr::null_mut();
            assert_eq!(
                rsl_view_bind(view, lib, &mut bound, err),
                RSL_OK,
                "{}",
                msg()
            );
            let token = |i: usize| {
                let mut f = rsl_field {
                    binding: 0,
                    offset: 0,
                    index: 0,
                };
                assert_eq!(
                    rsl_bound_field(bound, i, &mut f, std::ptr::null_mut()),
                    RSL_OK
                );
                f
            };
            let (name, nick, tags, score) = (token(0), token(1), token(2), token(3));
            let mut value = std::ptr::null_mut();
            assert_eq!(rsl_value_new(bound, &mut value, err), RSL_OK);

            let text = "Grace Hopper";
            assert_eq!(
                rsl_value_replace(value, name, text.as_ptr().cast(), text.len(), err),
                RSL_OK
            );
            let elems: [u32; 3] = [3, 2, 1];
            assert_eq!(
                rsl_value_replace(value, tags, elems.as_ptr().cast(), 3, err),
                RSL_OK
            );
            assert_eq!(
                rsl_value_replace(value, nick, c"g".as_ptr().cast(), 1, err),
                RSL_OK
            );
            let s = 7u32;
            assert_eq!(
                rsl_value_set(value, score, (&raw const s).cast(), 4, err),
                RSL_OK
            );

            let mut out = rsl_slice {
                ptr: std::ptr::null(),
                len: 0,
            };
            assert_eq!(rsl_value_borrow(value, name, &mut out, err), RSL_OK);
            assert_eq!(
                std::slice::from_raw_parts(out.ptr, out.len),
                text.as_bytes()
            );
            assert_eq!(rsl_value_borrow(value, tags, &mut out, err), RSL_OK);
            assert_eq!(
                std::slice::from_raw_parts(out.ptr.cast::<u32>(), out.len),
                &elems
            );
            assert_eq!(
                rsl_bound_text(bound, rsl_value_data(value), nick, &mut out, err),
                RSL_OK
            );
            assert_eq!(std::slice::from_raw_parts(out.ptr, out.len), b"g");
            let mut back = 0u32;
            assert_eq!(
                rsl_value_get(value, score, (&raw mut back).cast::<c_void>(), 4, err),
                RSL_OK
            );
            assert_eq!(back, 7, "{}", path.display());

            // Nothing, for the optional field; an empty vector, aligned.
            assert_eq!(
                rsl_value_replace(value, nick, std::ptr::null(), 0, err),
                RSL_OK
            );
            assert_eq!(rsl_value_borrow(value, nick, &mut out, err), RSL_OK);
            assert!(out.ptr.is_null());
            assert_eq!(
                rsl_value_replace(value, tags, elems.as_ptr().cast(), 0, err),
                RSL_OK
            );
            assert_eq!(rsl_value_borrow(value, tags, &mut out, err), RSL_OK);
            assert!(!out.ptr.is_null() && out.ptr as usize % 4 == 0 && out.len == 0);

            // Misuse: typed errors, nothing written.
            let bad = b"\xc3(";
            assert_eq!(
                rsl_value_replace(value, name, bad.as_ptr().cast(), 2, err),
                RSL_ERROR_UTF8
            );
            assert_eq!(
                msg(),
                "field `Profile.name` holds 2 bytes that are not UTF-8 (the first bad byte is at 0): read them with `text_bytes`"
            );
            assert_eq!(
                rsl_value_replace(value, name, std::ptr::null(), 0, err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_value_replace(value, score, (&raw const s).cast(), 4, err),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(
                rsl_value_borrow(value, score, &mut out, err),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(
                rsl_value_get(value, name, (&raw mut back).cast::<c_void>(), 4, err),
                RSL_ERROR_VALUE
            );
            assert_eq!(
                rsl_value_borrow(value, name, std::ptr::null_mut(), err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_value_borrow(std::ptr::null(), name, &mut out, err),
                RSL_ERROR_NULL
            );
            let stale = rsl_field {
                binding: name.binding + 1,
                ..name
            };
            assert_eq!(
                rsl_value_borrow(value, stale, &mut out, err),
                RSL_ERROR_BINDING
            );
            let far = rsl_field { index: 99, ..name };
            assert_eq!(
                rsl_value_replace(value, far, text.as_ptr().cast(), 1, err),
                RSL_ERROR_BINDING
            );
            assert_eq!(
                rsl_value_replace(value, tags, elems.as_ptr().cast(), usize::MAX, err),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(rsl_value_borrow(value, name, &mut out, err), RSL_OK);
            assert_eq!(
                std::slice::from_raw_parts(out.ptr, out.len),
                text.as_bytes()
            );
            // A misaligned value address is refused before the library's
            // accessors take it as a reference (a stored field's unaligned
            // read needs no alignment; a computed one's getter does).
            let odd = rsl_value_data(value).cast::<u8>().add(1).cast::<c_void>();
            assert_eq!(
                rsl_bound_borrow(bound, odd, name, &mut out, err),
                RSL_ERROR_ARGUMENT
            );
            assert!(msg().contains("not aligned"), "{}", msg());
            assert_eq!(
                rsl_bound_replace(bound, odd, name, text.as_ptr().cast(), 1, err),
                RSL_ERROR_ARGUMENT
            );
            let mut n = 0u32;
            let computed = path == rust_lib(2);
            assert_eq!(
                rsl_bound_get(bound, odd, score, (&raw mut n).cast(), 4, err),
                if computed { RSL_ERROR_ARGUMENT } else { RSL_OK }
            );
            assert_eq!(
                rsl_bound_set(bound, odd.cast(), score, (&raw const n).cast(), 4, err),
                if computed { RSL_ERROR_ARGUMENT } else { RSL_OK }
            );

            rsl_value_free(value);
            rsl_bound_free(bound);
            rsl_view_free(view);
            rsl_library_close(lib);
            rsl_error_free(err);
        }
    }
}

/// A computed field's token is checked as a stored one's: used on a value
/// of another binding (here a 1.0 value, where `score` is stored) it
/// panics with `WrongBinding`, never calls 1.1's getter on 1.0's bytes; and
/// 1.0's stored token on a 1.1 value panics likewise.
#[test]
fn a_computed_token_on_another_bindings_value_is_refused() {
    let v1 = Library::open(rust_lib(1)).unwrap();
    let v2 = Library::open(rust_lib(2)).unwrap();
    let (b1, b2) = (
        v1.bind::<ProfileView>().unwrap(),
        v2.bind::<ProfileView>().unwrap(),
    );
    let (p1, p2) = (*b1.view(), *b2.view());
    assert!(p2.score.is_computed() && !p1.score.is_computed());
    assert_eq!(p2.score.offset(), 0);
    assert_eq!(format!("{:?}", p2.score), "Field<u32>(computed)");
    let (a, b) = (Value::new(&b1).unwrap(), Value::new(&b2).unwrap());
    for (value, token) in [(&a, p2.score), (&b, p1.score)] {
        let r = value.as_ref();
        let e =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.get(token))).unwrap_err();
        let text = e.downcast_ref::<String>().cloned().unwrap_or_default();
        assert_eq!(
            text,
            "read: the token belongs to another binding (another type or library version)"
        );
    }
}

view! {
    pub struct PointView = "widgets"::"Point" {
        pub x: Field<i32>,
        pub y: Field<i32>,
    }
}

view! {
    /// Elements of an exported type (`Vec<Point>`), read through
    /// `PointView`.
    pub struct PointsView = "widgets"::"Profile" {
        pub points: resilient_types::ElemsOf<PointView>,
    }
}

/// A `Vec` of an exported type: the host reads its elements through the
/// element type's view, as a slice borrowed from the value, and replaces
/// them with clones the library makes of values the host holds (here, the
/// elements of another profile); in every version.
#[test]
fn a_vec_of_an_exported_type_is_read_through_the_elements_view() {
    for v in 1..=4 {
        let lib = Library::open(rust_lib(v)).unwrap();
        let bound = lib.bind::<PointsView>().unwrap();
        let pv = *bound.view();
        let pt = *pv.points.view();
        let mut a = Value::new(&bound).unwrap();
        assert!(a.as_ref().elems_of(pv.points).is_empty());
        // Points made by the library (the same binding of `Point` as the
        // elements view's), set as a's elements.
        let points = lib.bind::<PointView>().unwrap();
        let mut src = resilient_types::Array::new(&points, 3).unwrap();
        for i in 0..3 {
            let mut p = src.get_mut(i).unwrap();
            let i = i32::try_from(i).unwrap();
            p.set(pt.x, i);
            p.set(pt.y, -i);
        }
        a.as_mut().set_elems_of(pv.points, src.as_slice());
        let got: Vec<(i32, i32)> = a
            .as_ref()
            .elems_of(pv.points)
            .iter()
            .map(|p| (p.get(pt.x), p.get(pt.y)))
            .collect();
        assert_eq!(got, [(0, 0), (1, -1), (2, -2)], "widgets 1.{}", v - 1);
        // From another value's field.
        let mut b = Value::new(&bound).unwrap();
        b.as_mut()
            .set_elems_of(pv.points, a.as_ref().elems_of(pv.points));
        assert_eq!(b.as_ref().elems_of(pv.points).len(), 3);
    }
    // Points of another library are refused (the library would clone bytes
    // of another layout).
    let (v1, v3) = (
        Library::open(rust_lib(1)).unwrap(),
        Library::open(rust_lib(3)).unwrap(),
    );
    let (b1, p3) = (
        v1.bind::<PointsView>().unwrap(),
        v3.bind::<PointView>().unwrap(),
    );
    let foreign = resilient_types::Array::new(&p3, 1).unwrap();
    let mut a = Value::new(&b1).unwrap();
    let points = b1.view().points;
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        a.as_mut().set_elems_of(points, foreign.as_slice());
    }));
    assert!(refused.is_err());
    assert!(a.as_ref().elems_of(points).is_empty());
}
