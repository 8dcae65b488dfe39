//! Hand-written C libraries whose metadata is consistent enough to pass the
//! first checks but malformed inside (pointers where the format says there
//! are none, self-referencing records): both clients, the Rust loader and
//! the C++ `rsl::Library` (the C API, so the same loader), refuse each with
//! the same error, and neither crashes.

use std::path::{Path, PathBuf};
use std::process::Command;

use resilient_loader::{Error, Library};

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
    let src = write(dir, &format!("{name}.c"), &library_source(identity, extra));
    let lib = dir.join(format!("lib{name}.so"));
    run(Command::new("gcc")
        .args(["-shared", "-fPIC", "-O1", "-w", "-I"])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&lib));
    lib
}

#[test]
fn both_clients_refuse_malformed_identities_without_crashing() {
    let dir = resilient_testkit::scratch_dir("hostile");
    let host_src = write(
        &dir,
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
        // Rust: InvalidMetadata naming the same problem.
        let err = Library::open(&lib).unwrap_err();
        assert!(
            matches!(err, Error::InvalidMetadata { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(reason), "{name}: {err}");
        assert_eq!(stdout.trim_end(), format!("refused: {err}"), "{name}");
    }
}
