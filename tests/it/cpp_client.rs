//! The C++ client (`resilient/client.hpp`) on the C API: regressions for the
//! holes of its former copy of the rules, each of which this test failed on
//! before the C API replaced them.
//!
//! - a token (`rsl::Field`) kept from a binding of an unloaded library was
//!   accepted on a value of a later library, because a binding was known by
//!   an address that the allocator handed out again;
//! - `RSL_DYNAMIC_LOCAL` in a loop took a new `alloca` block each iteration,
//!   which lives until the function returns, so a long loop overflowed the
//!   stack;
//! - a value of impossible size threw `std::bad_alloc` instead of the
//!   client's own `rsl::Error`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cross_language::cpp_lib;
use crate::{include_dir, link_capi, run, write};

/// Builds the C++ host `source` (linked with the C API) in `dir`.
fn host(dir: &Path, name: &str, source: &str) -> PathBuf {
    let src = write(dir, &format!("{name}.cpp"), source);
    let exe = dir.join(name);
    run(link_capi(
        Command::new("g++")
            .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(include_dir())
            .arg(&src)
            .arg("-o")
            .arg(&exe),
    ));
    exe
}

/// Builds the C++ plugin `source` (export side only: links nothing).
fn plugin(dir: &Path, name: &str, source: &str) -> PathBuf {
    let src = write(dir, &format!("{name}.cpp"), source);
    let lib = dir.join(format!("lib{name}.so"));
    run(Command::new("g++")
        .args([
            "-std=c++17",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-shared",
            "-fPIC",
            "-fvisibility-inlines-hidden",
            "-I",
        ])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&lib));
    lib
}

/// Runs `exe args` under an 8 MiB stack; returns (exit code, stdout).
fn run_with_8mib_stack(exe: &Path, args: &[&Path]) -> (Option<i32>, String) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -s 8192 && exec \"$0\" \"$@\"")
        .arg(exe)
        .args(args);
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const STALE_TOKEN: &str = r#"#include <cstdio>
#include "resilient/client.hpp"
// Takes a token from a binding of argv[1], unloads everything, then uses it
// on a value of argv[2].
int main(int, char **argv) {
    rsl::Field<std::uint64_t> stale{};
    {
        rsl::Library a = rsl::Library::open(argv[1]);
        rsl::View view("widgets", "Widget");
        view.field<std::uint64_t>("id");
        rsl::Bound w = a.bind(view);
        stale = w.field<std::uint64_t>("id");
    }
    rsl::Library b = rsl::Library::open(argv[2]);
    rsl::View view("widgets", "Widget");
    view.field<std::uint64_t>("id");
    rsl::Bound w = b.bind(view);
    rsl::Value v(w);
    try {
        std::uint64_t x = v.get(stale);
        std::printf("accepted: %llu\n", static_cast<unsigned long long>(x));
        return 1;
    } catch (const rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
    }
    try {
        v.set(stale, std::uint64_t{1});
        std::printf("accepted a write\n");
        return 1;
    } catch (const rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
    }
    return 0;
}
"#;

#[test]
fn a_token_of_an_unloaded_library_is_refused_on_a_later_librarys_value() {
    let dir = resilient_testkit::scratch_dir("cpp-client-stale");
    let exe = host(&dir, "stale", STALE_TOKEN);
    // 1.1 (id far into a larger type) then 1.0; and 1.0 twice (the same
    // addresses all over again).
    for (a, b) in [(cpp_lib(2), cpp_lib(1)), (cpp_lib(1), cpp_lib(1))] {
        let out = Command::new(&exe).arg(a).arg(b).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(text.matches("refused: ").count(), 2, "{text}");
        assert!(
            text.contains("the token belongs to another binding"),
            "{text}"
        );
    }
}

const BIG: &str = r#"#include <cstdint>
#include "resilient/export.hpp"
// A 1 KiB type with a constructor and destructor of its own.
struct Big {
    std::uint64_t id = 7;
    std::uint8_t bytes[1016] = {};
    ~Big() { id = 0; }
};
RESILIENT_EXPORT_TYPE(Big, id, bytes)
RESILIENT_EXPORT_MODULE("big", "1.0.0", Big)
"#;

const LOOP: &str = r#"#include <cstdio>
#include "resilient/client.hpp"
// A million values of a 1 KiB type, one per iteration, in the loop's scope.
int main(int, char **argv) {
    rsl::Library lib = rsl::Library::open(argv[1]);
    rsl::View view("big", "Big");
    view.field<std::uint64_t>("id");
    rsl::Bound b = lib.bind(view);
    auto id = b.field<std::uint64_t>("id");
    std::uint64_t sum = 0;
    const unsigned char *first = nullptr;
    bool same_room = true;
    for (std::uint64_t i = 0; i < 1000000; ++i) {
        RSL_DYNAMIC_LOCAL(tmp, b);
        if (!first) first = tmp.data();
        same_room = same_room && tmp.data() == first;
        sum += tmp.get(id);  // 7, from the library's constructor
        tmp.set(id, i);
        sum += tmp.get(id);
    }
    std::printf("size %zu sum %llu same-room %d\n", b.size(), static_cast<unsigned long long>(sum), same_room);
    return 0;
}
"#;

#[test]
fn rsl_dynamic_local_in_a_long_loop_does_not_grow_the_stack() {
    let dir = resilient_testkit::scratch_dir("cpp-client-loop");
    let lib = plugin(&dir, "big", BIG);
    let exe = host(&dir, "loop", LOOP);
    let (code, text) = run_with_8mib_stack(&exe, &[&lib]);
    // 7 per iteration plus 0 + 1 + ... + 999,999.
    let sum = 7 * 1_000_000u64 + 999_999 * 1_000_000 / 2;
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(text, format!("size 1024 sum {sum} same-room 1\n"));
}

const HUGE: &str = r#"#include <cstdint>
#include "resilient/export.hpp"
// A type of 2^60 bytes: a valid layout that no allocator can place.
struct Huge {
    std::uint64_t id;
    std::uint8_t rest[(std::size_t{1} << 60) - 8];
};
RESILIENT_EXPORT_TYPE(Huge, id)
RESILIENT_EXPORT_MODULE("huge", "1.0.0", Huge)
"#;

const MAKE_HUGE: &str = r#"#include <cstdio>
#include <new>
#include "resilient/client.hpp"
int main(int, char **argv) {
    rsl::Library lib = rsl::Library::open(argv[1]);
    rsl::View view("huge", "Huge");
    view.field<std::uint64_t>("id");
    rsl::Bound b = lib.bind(view);
    int refused = 0;
    try {
        rsl::Value v(b);
        std::printf("made a value of %zu bytes\n", b.size());
        return 1;
    } catch (const rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        ++refused;
    } catch (const std::bad_alloc &) {
        std::printf("std::bad_alloc\n");
        return 1;
    }
    try {
        RSL_DYNAMIC_LOCAL(tmp, b);
        return 1;
    } catch (const rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        ++refused;
    } catch (const std::bad_alloc &) {
        std::printf("std::bad_alloc\n");
        return 1;
    }
    return refused == 2 ? 0 : 1;
}
"#;

#[test]
fn an_impossible_size_is_an_rsl_error_not_bad_alloc() {
    let dir = resilient_testkit::scratch_dir("cpp-client-huge");
    let lib = plugin(&dir, "huge", HUGE);
    let exe = host(&dir, "make_huge", MAKE_HUGE);
    let out = Command::new(&exe).arg(&lib).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(
        text.matches("refused: cannot allocate a `Huge`").count(),
        2,
        "{text}"
    );
}

/// Paths in C++ as in Rust: a bare file name names the file in the current
/// directory (not a search of the loader's library paths), and a directory
/// is reported as a directory.
#[test]
fn the_cpp_client_opens_a_bare_name_here_and_refuses_a_directory() {
    let dir = resilient_testkit::scratch_dir("cpp-paths");
    let exe = host(
        &dir,
        "paths",
        r#"#include "resilient/client.hpp"
#include <cstdio>
int main(int, char **argv) {
    try {
        rsl::Library lib = rsl::Library::open(argv[1]);
        std::printf("opened %s\n", lib.version().c_str());
        return 0;
    } catch (const rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        return 3;
    }
}
"#,
    );
    std::fs::copy(cpp_lib(1), dir.join("libbare.so")).unwrap();
    let out = Command::new(&exe)
        .arg("libbare.so")
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout, "opened 1.0.0\n");
    let out = Command::new(&exe).arg(&dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("is a directory"), "{stdout}");
    let rust = resilient_loader::Library::open(&dir).unwrap_err();
    assert_eq!(stdout.trim_end(), format!("refused: {rust}"));
}
