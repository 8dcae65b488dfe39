//! Hand-written C libraries whose metadata is consistent enough to pass the
//! first checks but malformed inside (pointers where the format says there
//! are none, self-referencing records): both clients, the Rust loader and
//! the C++ `rsl::Library` (the C API, so the same loader), refuse each with
//! the same error, and neither crashes.

use std::path::{Path, PathBuf};
use std::process::Command;

use resilient_loader::{Error, Library};
use resilient_types::{view, Field};

use crate::{include_dir, link_capi, run, write};

/// A manifest of one type `T` with one field `x` whose identity is
/// `IDENTITY` (a C initialiser), and a fingerprint of 0 (any reader that
/// gets as far as the fingerprint refuses it anyway).
fn library_source(identity: &str, extra: &str) -> String {
    format!(
        r#"#include "resilient/layout.h"
{extra}
static const rsl_field_descriptor fields[] = {{
    {{{{"x", 1}}, 0, {identity}}},
}};
const rsl_type_descriptor T_descriptor = {{RSL_FLAG_POD, 0, {{"T", 1}}, 8, 8, 8, 0, 1, fields, {{0, 0, 0}}}};
static const rsl_type_descriptor *const types[] = {{&T_descriptor}};
const rsl_manifest resilient_manifest = {{{{'R','S','L','N','T','M','F',0}}, 1, sizeof(rsl_manifest),
    sizeof(rsl_type_descriptor), sizeof(rsl_field_descriptor), 8, RSL_LITTLE_ENDIAN, {{0}},
    {{"hostile", 7}}, {{"1.0.0", 5}}, 1, types}};
"#
    )
}

view! {
    /// The one type of every hostile library.
    pub(crate) struct TView = "hostile"::"T" { pub x: Field<u64> }
}

/// Each hostile library: name, the field's identity (a C initialiser),
/// declarations it needs, and what both clients' errors say.
pub(crate) const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "scalar-with-element",
        "{RSL_KIND_SCALAR, 0, {\"u64\", 3}, 8, 8, 0, (const rsl_type_identity *)0x10}",
        "",
        "not an array",
    ),
    (
        "self-element",
        "{RSL_KIND_SCALAR, 0, {\"u64\", 3}, 8, 8, 0, &fields[0].identity}",
        "static const rsl_field_descriptor fields[];",
        "not an array",
    ),
    (
        "array-with-wild-name",
        "{RSL_KIND_ARRAY, 0, {(const char *)0x10, 100}, 8, 8, 8, &u8_id}",
        "static const rsl_type_identity u8_id = {RSL_KIND_SCALAR, 0, {\"u8\", 2}, 1, 1, 0, 0};",
        "an array identity has a name",
    ),
];

/// Builds every hostile library of [`CASES`] into `dir`: (name, path,
/// the reason its refusal names).
pub(crate) fn build_all(dir: &Path) -> Vec<(&'static str, PathBuf, &'static str)> {
    CASES
        .iter()
        .map(|(name, identity, extra, reason)| (*name, build(dir, name, identity, extra), *reason))
        .collect()
}

pub(crate) fn build(dir: &Path, name: &str, identity: &str, extra: &str) -> PathBuf {
    compile_library(dir, name, &library_source(identity, extra))
}

/// Compiles the C source `source` of a hand-written library into
/// `dir/lib<name>.so`.
pub(crate) fn compile_library(dir: &Path, name: &str, source: &str) -> PathBuf {
    let src = write(dir, &format!("{name}.c"), source);
    let lib = dir.join(format!("lib{name}.so"));
    run(Command::new("gcc")
        .args(["-shared", "-fPIC", "-O1", "-w", "-I"])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&lib));
    lib
}

/// A C++ host (linked with the C API) that opens its argument with
/// `rsl::Library::open`: exit 0 and `accepted`, or exit 3 and `refused: `
/// with the error, never a signal.
fn open_host(dir: &Path) -> PathBuf {
    let host_src = write(
        dir,
        "open.cpp",
        r#"#include "resilient/client.hpp"
#include <cstdio>
int main(int, char **argv) {
    try { rsl::Library::open(argv[1]); std::puts("accepted"); return 0; }
    catch (const rsl::Error &e) { std::printf("refused: %s\n", e.what()); return 3; }
}
"#,
    );
    let host = dir.join("open");
    run(link_capi(
        Command::new("g++")
            .args(["-std=c++17", "-O1", "-I"])
            .arg(include_dir())
            .arg(&host_src)
            .arg("-o")
            .arg(&host),
    ));
    host
}

#[test]
fn both_clients_refuse_malformed_identities_without_crashing() {
    let dir = resilient_testkit::scratch_dir("hostile");
    let host = open_host(&dir);
    for (name, lib, reason) in build_all(&dir) {
        // C++: an rsl::Error (exit 3), not a signal.
        let out = Command::new(&host).arg(&lib).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(reason), "{name}: {stdout}");
        // Rust: InvalidMetadata naming the same problem, when the type is
        // first bound (the C API checks every type at open).
        let lib = Library::open(&lib).unwrap();
        let err = lib.bind::<TView>().unwrap_err();
        assert_eq!(
            err.to_string(),
            lib.module().unwrap_err().to_string(),
            "{name}"
        );
        assert!(
            matches!(err, Error::InvalidMetadata { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(reason), "{name}: {err}");
        assert_eq!(stdout.trim_end(), format!("refused: {err}"), "{name}");
    }
}

/// A format-1.1 manifest of one plain type `T` (`{ x: u64 }`, with its
/// true fingerprint and C symbols) and one function `f`, whose
/// parameter list is `PARAMS` (C initialisers of `rsl_param_descriptor`),
/// counted by `count`, with result `RET` and thunk `THUNK`; `name` is the
/// function's name (a C initialiser of `rsl_str`).
fn function_library_source(
    name: &str,
    params: &str,
    count: &str,
    ret: &str,
    thunk: &str,
) -> String {
    format!(
        r#"#include "resilient/layout.h"
static const rsl_field_descriptor fields[] = {{
    {{{{"x", 1}}, 0, {{RSL_KIND_SCALAR, 0, {{"u64", 3}}, 8, 8, 0, 0}}}},
}};
const rsl_type_descriptor T_descriptor = {{RSL_FLAG_POD, 0, {{"T", 1}}, 8, 8, 8, 0x7eb77a7f263188deull, 1, fields, {{0, 0, 0}}}};
const size_t T_size = 8, T_align = 8, T_x_offset = 0;
static const rsl_type_descriptor *const types[] = {{&T_descriptor}};
static uint32_t thunk(void) {{ return 0; }}
#define U64 {{RSL_KIND_SCALAR, 0, {{"u64", 3}}, 8, 8, 0, 0}}
#define T_ID {{RSL_KIND_RESILIENT, 0, {{"T", 1}}, 8, 8, 0, 0}}
static const rsl_param_descriptor params[] = {{ {params} }};
static const rsl_function_descriptor f = {{{name}, RSL_ABI_THUNK_V2, 0, {count}, params,
    {{{{"return", 6}}, {ret}}}, (void (*)(void)){thunk}}};
static const rsl_function_descriptor *const functions[] = {{&f}};
const rsl_manifest resilient_manifest = {{{{'R','S','L','N','T','M','F',0}}, 1, sizeof(rsl_manifest),
    sizeof(rsl_type_descriptor), sizeof(rsl_field_descriptor), 8, RSL_LITTLE_ENDIAN, {{0}},
    {{"hostile", 7}}, {{"1.1.0", 5}}, 1, types,
    sizeof(rsl_function_descriptor), sizeof(rsl_param_descriptor), 1, functions, 0, 0, 0, 0}};
"#
    )
}

/// Hostile function records in real shared libraries: each refused at
/// open by both clients with the same error naming the function, and a
/// library loaded before keeps working.
/// The hostile function libraries: name, source, and the reason their
/// refusal names (empty: the control, accepted).
pub(crate) fn function_cases() -> Vec<(&'static str, String, &'static str)> {
    let good_param = r#"{{"p", 1}, RSL_PASS_REF, 0, T_ID}"#;
    let unit_ret = r#"RSL_PASS_UNIT, 0, {RSL_KIND_OPAQUE, 0, {"()", 2}, 0, 1, 0, 0}"#;
    let name = r#"{"f", 1}"#;
    vec![
        (
            "fn-control",
            function_library_source(name, good_param, "1", unit_ret, "thunk"),
            "",
        ),
        (
            "fn-thunk-in-data",
            function_library_source(name, good_param, "1", unit_ret, "&T_descriptor"),
            "function `f`: its thunk is not in the library's code",
        ),
        (
            "fn-ref-to-scalar",
            function_library_source(
                name,
                r#"{{"p", 1}, RSL_PASS_REF, 0, U64}"#,
                "1",
                unit_ret,
                "thunk",
            ),
            "a reference or an owned result is of a resilient type",
        ),
        (
            "fn-owned-parameter",
            function_library_source(
                name,
                r#"{{"p", 1}, RSL_PASS_OWNED, 0, T_ID}"#,
                "1",
                unit_ret,
                "thunk",
            ),
            "only a result is passed owned",
        ),
        (
            "fn-owned-scalar-result",
            function_library_source(name, good_param, "1", "RSL_PASS_OWNED, 0, U64", "thunk"),
            "a reference or an owned result is of a resilient type",
        ),
        (
            "fn-too-many-params",
            function_library_source(name, good_param, "100000", unit_ret, "thunk"),
            "number of parameters of function `f`",
        ),
        (
            "fn-name-not-utf8",
            function_library_source(r#"{"\xff\xfe", 2}"#, good_param, "1", unit_ret, "thunk"),
            "it is not UTF-8",
        ),
        (
            "fn-params-past-the-image",
            function_library_source(name, good_param, "60", unit_ret, "thunk"),
            "parameter list of function `f`",
        ),
    ]
}

/// Builds every library of [`function_cases`] into `dir`: (name, path).
pub(crate) fn build_function_cases(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    function_cases()
        .into_iter()
        .map(|(name, source, _)| (name, compile_library(dir, name, &source)))
        .collect()
}

#[test]
fn both_clients_refuse_hostile_function_records() {
    let cases = function_cases();
    let dir = resilient_testkit::scratch_dir("hostile-functions");
    let host = open_host(&dir);
    // Loaded before the hostile ones: undisturbed by their refusal.
    let good = Library::open(resilient_testkit::plugin("widget-v1")).unwrap();
    for (name, source, reason) in &cases {
        let lib = compile_library(&dir, name, source);
        let out = Command::new(&host).arg(&lib).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if reason.is_empty() {
            // The control: the same library, well formed, is accepted.
            assert_eq!(out.status.code(), Some(0), "{name}: {stdout}");
            let lib = Library::open(&lib).unwrap();
            assert_eq!(
                lib.module().unwrap().functions[0].to_string(),
                "fn f(p: &T)"
            );
            continue;
        }
        assert_eq!(
            out.status.code(),
            Some(3),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = Library::open(&lib).unwrap_err();
        assert!(
            matches!(err, Error::InvalidMetadata { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(reason), "{name}: {err}");
        // The same words; addresses differ between the two processes.
        assert_eq!(
            without_addresses(stdout.trim_end()),
            without_addresses(&format!("refused: {err}")),
            "{name}"
        );
    }
    let w = good.bind::<crate::cross_language::WidgetView>().unwrap();
    let v = resilient_types::Value::new(&w).unwrap();
    assert_eq!(v.as_ref().get(w.id), 1);
}

/// `text` with every hexadecimal address (`0x...`) replaced by `0x_`.
pub(crate) fn without_addresses(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at + 2]);
        rest = rest[at + 2..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        out.push('_');
    }
    out.push_str(rest);
    out
}

/// A format-1.2 C library of one enum `E` (8 bytes, a plain one-byte tag
/// at 0, cases `A` (tag `tag_a`) and `B` (tag 1) with a `u32` payload
/// `x` at `x_offset`), whose `case_of` is `case_of`; its fingerprint is
/// computed from the layout it describes, so only the broken rule refuses
/// it.
fn enum_library_source(tag_a: u64, x_offset: usize, case_of: &str) -> String {
    use layout_meta::{flags, CaseLayout, EnumLayout, FieldLayout, Identity, TypeLayout};
    let mut t = TypeLayout {
        name: "E".into(),
        flags: flags::ENUM,
        size: 8,
        align: 4,
        stride: 8,
        fingerprint: 0,
        fields: Vec::new(),
        witnesses: layout_meta::WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: Some(EnumLayout {
            tag: Some((0, 1)),
            payload_plain: true,
            cases: vec![
                CaseLayout {
                    name: "A".into(),
                    tag: tag_a,
                    fields: Vec::new(),
                },
                CaseLayout {
                    name: "B".into(),
                    tag: 1,
                    fields: vec![FieldLayout {
                        name: "x".into(),
                        offset: x_offset,
                        identity: Identity::Scalar {
                            name: "u32".into(),
                            size: 4,
                            align: 4,
                        },
                    }],
                },
            ],
            case_of: 1,
            locate: 0,
            write_case: 0,
        }),
    };
    let fp = t.compute_fingerprint();
    t.fingerprint = fp;
    format!(
        r#"#include "resilient/layout.h"
static uint32_t case_of(const void *v) {{ return *(const uint8_t *)v == 1 ? 1 : 0; }}
static const rsl_field_descriptor b_fields[] = {{
    {{{{"x", 1}}, {x_offset}, {{RSL_KIND_SCALAR, 0, {{"u32", 3}}, 4, 4, 0, 0}}}},
}};
static const rsl_case_descriptor cases[] = {{
    {{{{"A", 1}}, {tag_a}ull, 0, 0}},
    {{{{"B", 1}}, 1, 1, b_fields}},
}};
static const rsl_enum_descriptor info = {{sizeof(rsl_enum_descriptor), sizeof(rsl_case_descriptor),
    RSL_ENUM_TAG_PLAIN | RSL_ENUM_PAYLOAD_PLAIN, 1, 0, 2, cases,
    (uint32_t (*)(const void *)){case_of}, 0, 0}};
const rsl_type_descriptor E_descriptor = {{RSL_FLAG_ENUM, 0, {{"E", 1}}, 8, 4, 8,
    {fp}ull, 0, 0, {{0, 0, 0}}, &info}};
const size_t E_size = 8, E_align = 4;
static const rsl_type_descriptor *const types[] = {{&E_descriptor}};
const rsl_manifest resilient_manifest = {{{{'R','S','L','N','T','M','F',0}}, 1, sizeof(rsl_manifest),
    sizeof(rsl_type_descriptor), sizeof(rsl_field_descriptor), 8, RSL_LITTLE_ENDIAN, {{0}},
    {{"hostile", 7}}, {{"1.2.0", 5}}, 1, types, 0, 0, 0, 0, 0, 0, 0, 0}};
"#
    )
}

/// Hostile enum records in real shared libraries: refused (when the type
/// is first checked) with the validator's words naming the enum and case; a control built the
/// same way is accepted and read.
#[test]
fn hostile_enum_records_are_refused_at_open() {
    let dir = resilient_testkit::scratch_dir("hostile-enums");
    let cases = [
        ("enum-control", enum_library_source(0, 4, "case_of"), ""),
        (
            "enum-tag-out-of-range",
            enum_library_source(300, 4, "case_of"),
            "case `E::A`: its tag does not fit in the tag's size",
        ),
        (
            "enum-duplicate-tags",
            enum_library_source(1, 4, "case_of"),
            "case `E::B`: two cases share this tag",
        ),
        (
            "enum-payload-past-the-end",
            enum_library_source(0, 8, "case_of"),
            "field `E::B.x`",
        ),
        (
            "enum-case-of-in-data",
            enum_library_source(0, 4, "&cases"),
            "case_of",
        ),
    ];
    for (name, source, reason) in cases {
        let lib = compile_library(&dir, name, &source);
        // Open checks the manifest; each type is checked when first used
        // (here: the whole module asked for), refused naming it.
        match Library::open(&lib).and_then(|l| l.module().cloned()) {
            Ok(m) if reason.is_empty() => {
                let e = m.get("E").and_then(|t| t.enum_info.clone()).unwrap();
                assert_eq!(e.cases.len(), 2, "{name}");
            }
            Ok(_) => panic!("{name}: accepted"),
            Err(err) => {
                assert!(!reason.is_empty(), "{name}: {err}");
                assert!(
                    matches!(err, Error::InvalidMetadata { .. }),
                    "{name}: {err}"
                );
                assert!(err.to_string().contains(reason), "{name}: {err}");
            }
        }
    }
}

/// Types are checked when first bound: a library with one good type and
/// one whose field identity is malformed opens; the good type binds; the
/// bad one is refused when bound, by an error naming it (the same the
/// whole module gets, and the C API gives at open).
#[test]
fn a_bad_type_is_refused_when_bound_naming_it() {
    let dir = resilient_testkit::scratch_dir("hostile-lazy");
    let good = "{RSL_KIND_SCALAR, 0, {\"u64\", 3}, 8, 8, 0, 0}";
    let bad = "{RSL_KIND_SCALAR, 0, {\"u64\", 3}, 8, 8, 0, (const rsl_type_identity *)0x10}";
    let fingerprint = <crate::agreement::U as layout_meta::Resilient>::DESCRIPTOR.fingerprint();
    let source = format!(
        r#"#include "resilient/layout.h"
static const rsl_field_descriptor t_fields[] = {{{{{{"x", 1}}, 0, {bad}}}}};
static const rsl_field_descriptor u_fields[] = {{{{{{"y", 1}}, 0, {good}}}}};
const rsl_type_descriptor T_descriptor = {{RSL_FLAG_POD, 0, {{"T", 1}}, 8, 8, 8, 0, 1, t_fields, {{0, 0, 0}}}};
const rsl_type_descriptor U_descriptor = {{RSL_FLAG_POD, 0, {{"U", 1}}, 8, 8, 8, {fingerprint}ull, 1, u_fields, {{0, 0, 0}}}};
const size_t U_size = 8, U_align = 8, U_y_offset = 0;
static const rsl_type_descriptor *const types[] = {{&T_descriptor, &U_descriptor}};
const rsl_manifest resilient_manifest = {{{{'R','S','L','N','T','M','F',0}}, 1, sizeof(rsl_manifest),
    sizeof(rsl_type_descriptor), sizeof(rsl_field_descriptor), 8, RSL_LITTLE_ENDIAN, {{0}},
    {{"hostile", 7}}, {{"1.0.0", 5}}, 2, types}};
"#
    );
    view! { struct UView = "hostile"::"U" { pub y: Field<u64> } }
    let path = compile_library(&dir, "lazy", &source);
    let lib = Library::open(&path).unwrap();
    // A second open of the same load, which checks `T` first: it shares
    // what it checks with `lib`, verdicts and words (below).
    let again = Library::open(&path).unwrap();
    let first = again.bind::<TView>().unwrap_err().to_string();
    assert_eq!(lib.type_count(), 2);
    let u = lib.bind::<UView>().unwrap();
    assert_eq!(u.shape().size, 8);
    let err = lib.bind::<TView>().unwrap_err();
    assert!(matches!(err, Error::InvalidMetadata { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("field `T.x` has a malformed type identity: a count or element"),
        "{err}"
    );
    assert_eq!(err.to_string(), lib.module().unwrap_err().to_string());
    // Still refused the second time, with the same words.
    assert_eq!(
        lib.bind::<TView>().unwrap_err().to_string(),
        err.to_string()
    );
    assert_eq!(first, err.to_string());
    assert_eq!(again.module().unwrap_err().to_string(), err.to_string());
    let u_again = again.bind::<UView>().unwrap();
    assert!(
        std::ptr::eq(u.foreign_type().layout(), u_again.foreign_type().layout()),
        "`U`, checked by the first open, is shared with the second"
    );
}

/// A hand-written library whose type `P` has a stored `id` and one accessor
/// record, `accessor` (a C initialiser of `rsl_accessor_descriptor`): its
/// text getter borrows a static string, its setter does nothing.
fn accessor_library_source(accessor: &str, flags: &str, record_size: &str) -> String {
    use layout_meta::{FieldLayout, Identity, TypeLayout};
    let t = TypeLayout {
        name: "P".into(),
        flags: 0,
        size: 8,
        align: 8,
        stride: 8,
        fingerprint: 0,
        fields: vec![FieldLayout {
            name: "id".into(),
            offset: 0,
            identity: Identity::Scalar {
                name: "u64".into(),
                size: 8,
                align: 8,
            },
        }],
        witnesses: layout_meta::WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: None,
    };
    let fp = t.compute_fingerprint();
    format!(
        r#"#include "resilient/layout.h"
static const char hello[] = "hello";
static rsl_slice get_name(const void *v) {{ (void)v; rsl_slice s = {{hello, 5}}; return s; }}
static void set_name(void *v, const uint8_t *p, size_t n) {{ (void)v; (void)p; (void)n; }}
static const rsl_type_identity str_id = {{RSL_KIND_OPAQUE, 0, {{"str", 3}}, 1, 1, 0, 0}};
static const rsl_type_identity u64_id = {{RSL_KIND_SCALAR, 0, {{"u64", 3}}, 8, 8, 0, 0}};
static const rsl_field_descriptor fields[] = {{
    {{{{"id", 2}}, 0, {{RSL_KIND_SCALAR, 0, {{"u64", 3}}, 8, 8, 0, 0}}}},
}};
static const rsl_accessor_descriptor accessors[] = {{ {accessor} }};
const rsl_type_descriptor P_descriptor = {{{flags}, 0, {{"P", 1}}, 8, 8, 8,
    {fp}ull, 1, fields, {{0, 0, 0}}, 0, {record_size}, 0, 1, accessors}};
const size_t P_size = 8, P_align = 8, P_id_offset = 0;
static const rsl_type_descriptor *const types[] = {{&P_descriptor}};
const rsl_manifest resilient_manifest = {{{{'R','S','L','N','T','M','F',0}}, 1, sizeof(rsl_manifest),
    sizeof(rsl_type_descriptor), sizeof(rsl_field_descriptor), 8, RSL_LITTLE_ENDIAN, {{0}},
    {{"hostile", 7}}, {{"1.3.0", 5}}, 1, types, 0, 0, 0, 0, 0, 0, 0, 0}};
"#
    )
}

view! {
    pub(crate) struct PView = "hostile"::"P" { pub id: Field<u64>, pub name: resilient_types::Text }
}

/// Hostile accessor records in real shared libraries: a getter or setter
/// outside the library's code, a name both stored and an accessor, a text
/// field whose identity is not `str`, accessors on a frozen type, an
/// unknown record size: each refused when the type is checked (bound),
/// naming the type and field, never called, by the Rust host and the C++
/// client alike. The control, built the same way, binds and reads through
/// its getter.
#[test]
fn hostile_accessor_records_are_refused() {
    let dir = resilient_testkit::scratch_dir("hostile-accessors");
    let text = |name: &str, id: &str, get: &str| {
        format!(
            "{{{{\"{name}\", {}}}, RSL_SHAPE_STR, 0, {id}, (void (*)(void)){get}, (void (*)(void))set_name}}",
            name.len()
        )
    };
    let cases = [
        (
            "accessor-control",
            text("name", "str_id", "get_name"),
            "0",
            "",
        ),
        (
            "accessor-record-too-small",
            text("name", "str_id", "get_name"),
            "0",
            "accessor record",
        ),
        (
            "accessor-getter-in-data",
            text("name", "str_id", "hello"),
            "0",
            "accessor field `P.name`: its getter or setter is not in the library's code",
        ),
        (
            "accessor-getter-null",
            text("name", "str_id", "0"),
            "0",
            "accessor field `P.name`: its getter or setter is missing",
        ),
        (
            "accessor-named-as-a-stored-field",
            text("id", "str_id", "get_name"),
            "0",
            "field `P.id` is described twice",
        ),
        (
            "accessor-text-not-str",
            text("name", "u64_id", "get_name"),
            "0",
            "accessor field `P.name`: a text field's identity is not `str`",
        ),
        (
            "accessor-on-a-frozen-type",
            text("name", "str_id", "get_name"),
            "RSL_FLAG_FROZEN",
            "accessor field `P.name`: a frozen type has only stored fields",
        ),
    ];
    let host = open_host(&dir);
    for (name, accessor, flags, reason) in cases {
        let size = if name == "accessor-record-too-small" {
            "8"
        } else {
            "sizeof(rsl_accessor_descriptor)"
        };
        let lib = compile_library(&dir, name, &accessor_library_source(&accessor, flags, size));
        // C++ (the C API checks every type at open): refused with the same
        // words (exit 3), never a signal; the control accepted.
        let out = Command::new(&host).arg(&lib).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let want = if reason.is_empty() { 0 } else { 3 };
        assert_eq!(out.status.code(), Some(want), "{name}: {stdout}");
        assert!(stdout.contains(reason), "{name}: {stdout}");
        let opened = Library::open(&lib).unwrap_or_else(|e| panic!("{name}: {e}"));
        match opened.bind::<PView>() {
            Ok(bound) if reason.is_empty() => {
                let p = *bound.view();
                let v = 7u64;
                // SAFETY: `v` is a live value of `P` (8 bytes, aligned: one
                // `u64`), and the library is loaded.
                let r: resilient_types::Ref<'_, PView> =
                    unsafe { resilient_types::Ref::from_raw((&raw const v).cast(), bound.shape()) };
                assert_eq!((r.get(p.id), r.text(p.name).unwrap()), (7, "hello"));
            }
            Ok(_) => panic!("{name}: accepted"),
            Err(err) => {
                assert!(!reason.is_empty(), "{name}: {err}");
                assert!(err.to_string().contains(reason), "{name}: {err}");
            }
        }
    }
}
