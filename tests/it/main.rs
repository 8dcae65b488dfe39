//! Cross-crate, cross-language integration tests: one binary, one module per
//! thing proven.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test code: a panic is the failure report"
)]

mod agreement;
mod c_api;
mod c_header;
mod c_symbols;
mod cpp_client;
mod cross_language;
mod docs;
mod enums;
mod format_doc;
mod functions;
mod hostile;
mod interfaces;
mod parity;
mod registry;
mod strings;

use std::path::Path;
use std::process::Command;

/// Runs a command, panicking with its output if it fails; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `cpp/include`.
pub fn include_dir() -> std::path::PathBuf {
    resilient_testkit::workspace_root()
        .join("cpp")
        .join("include")
}

/// Adds the C API's static library and what it needs to a link command
/// (after the sources: the linker reads archives in order).
pub fn link_capi(cmd: &mut Command) -> &mut Command {
    cmd.arg(resilient_testkit::capi_staticlib())
        .args(resilient_testkit::CAPI_NATIVE_LIBS)
}

/// `cpp/src/<name>.cpp` linked with the C API by g++ and (where installed)
/// clang++, strict warnings as errors, into a scratch directory: one
/// executable per compiler. Callers build once (a `OnceLock`).
pub fn build_cpp_hosts(name: &str) -> Vec<std::path::PathBuf> {
    let dir = resilient_testkit::scratch_dir(&format!("{name}-hosts"));
    let src = resilient_testkit::workspace_root()
        .join("cpp")
        .join("src")
        .join(format!("{name}.cpp"));
    let mut hosts = Vec::new();
    for cxx in ["g++", "clang++"] {
        if !have(cxx) {
            continue;
        }
        let out = dir.join(format!("{name}-{cxx}"));
        run(link_capi(
            Command::new(cxx)
                .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
                .arg(include_dir())
                .arg(&src)
                .arg("-o")
                .arg(&out),
        ));
        hosts.push(out);
    }
    hosts
}

/// Whether `tool` runs.
pub fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Parses `name value` lines.
pub fn pairs(text: &str) -> Vec<(String, usize)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_owned(), v.trim().parse().ok()?))
        })
        .collect()
}

/// Writes `source` to `dir/name`.
pub fn write(dir: &Path, name: &str, source: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, source).unwrap();
    p
}
