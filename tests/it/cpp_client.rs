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
//!   client's own `rsl::Error`;
//!
//! and nested and frozen views (declared as constant data or made at run
//! time), bound and refused as the Rust host binds and refuses the same
//! views, word for word.

use std::path::{Path, PathBuf};
use std::process::Command;

use layout_meta::Resilient as _;
use resilient_types::{view, Field, Nested};

use crate::cross_language::{cpp_lib, rust_lib, PointView};
use crate::{include_dir, link_capi, run, write};

/// Builds the C++ host `source` (linked with the C API) in `dir`.
pub(crate) fn host(dir: &Path, name: &str, source: &str) -> PathBuf {
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
pub(crate) fn plugin(dir: &Path, name: &str, source: &str) -> PathBuf {
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

/// The frozen point of the widgets fixtures (tests/plugins/common.rs), and
/// the same point with its fields swapped: what a host built against an
/// older layout expects.
mod frozen_point {
    #[derive(layout_meta::Resilient)]
    #[repr(C)]
    #[resilient(frozen, prefix = "it_")]
    pub struct Point {
        pub x: i32,
        pub y: i32,
    }
    #[derive(layout_meta::Resilient)]
    #[repr(C)]
    #[resilient(frozen, prefix = "it_old_", name = "Point")]
    pub struct OldPoint {
        pub y: i32,
        pub x: i32,
    }
}

const POINT_FP: u64 = frozen_point::Point::DESCRIPTOR.fingerprint();
const OLD_POINT_FP: u64 = frozen_point::OldPoint::DESCRIPTOR.fingerprint();

// The Rust host's views of what NESTED declares, view for view.
view! {
    struct WidgetNested = "widgets"::"Widget" { id: Field<u64>, origin: Nested<PointView> }
}
view! {
    struct FrozenPointView = "widgets"::"Point" frozen(POINT_FP) { x: Field<i32>, y: Field<i32> }
}
view! {
    struct OldPointView = "widgets"::"Point" frozen(OLD_POINT_FP) { x: Field<i32> }
}
view! {
    struct PointZ = "widgets"::"Point" { x: Field<i32>, z: Field<i32> }
}
view! {
    struct WidgetFrozenOrigin = "widgets"::"Widget" { origin: Nested<FrozenPointView> }
}
view! {
    struct WidgetOldOrigin = "widgets"::"Widget" { origin: Nested<OldPointView> }
}
view! {
    struct WidgetBroken = "widgets"::"Widget" { origin: Nested<PointZ>, weight: Field<f64> }
}

const NESTED: &str = r#"#include <cstdio>
#include <string>
#include "resilient/client.hpp"
// Nested fields read through views of their own, frozen views, declared as
// constant data (RSL_VIEW) and made at run time (rsl::View): each is bound
// and its verdict printed, to compare with the Rust host's.
RSL_VIEW(point_view, "widgets", "Point", rsl::field<std::int32_t>("x"), rsl::field<std::int32_t>("y"));
RSL_VIEW(frozen_point, "widgets", "Point", rsl::frozen(POINT_FP), rsl::field<std::int32_t>("x"),
         rsl::field<std::int32_t>("y"));
RSL_VIEW(old_point, "widgets", "Point", rsl::frozen(OLD_POINT_FP), rsl::field<std::int32_t>("x"));
RSL_VIEW(point_z, "widgets", "Point", rsl::field<std::int32_t>("x"), rsl::field<std::int32_t>("z"));
RSL_VIEW(widget_nested, "widgets", "Widget", rsl::field<std::uint64_t>("id"), rsl::nested("origin", point_view));
RSL_VIEW(widget_frozen_origin, "widgets", "Widget", rsl::nested("origin", frozen_point));
RSL_VIEW(widget_old_origin, "widgets", "Widget", rsl::nested("origin", old_point));
RSL_VIEW(widget_broken, "widgets", "Widget", rsl::nested("origin", point_z), rsl::field<double>("weight"));
RSL_FUNCTION(parse_point_fn, rsl::Owned(std::string_view), "widgets", "parse_point", "Point");

static void verdict(const rsl::Library &lib, const char *name, const rsl::View &view) {
    try {
        lib.bind(view);
        std::printf("bind %s: ok\n", name);
    } catch (const rsl::Error &e) {
        std::printf("bind %s: refused: %s\n", name, e.what());
    }
}

int main(int, char **argv) {
    rsl::Library lib = rsl::Library::open(argv[1]);
    verdict(lib, "WidgetNested", widget_nested);
    verdict(lib, "FrozenPointView", frozen_point);
    verdict(lib, "OldPointView", old_point);
    verdict(lib, "WidgetFrozenOrigin", widget_frozen_origin);
    verdict(lib, "WidgetOldOrigin", widget_old_origin);
    verdict(lib, "WidgetBroken", widget_broken);
    // The same views made at run time.
    rsl::View old("widgets", "Point");
    old.frozen(OLD_POINT_FP).field<std::int32_t>("x");
    rsl::View z("widgets", "Point");
    z.field<std::int32_t>("x").field<std::int32_t>("z");
    verdict(lib, "runtime OldPointView", old);
    verdict(lib, "runtime WidgetOldOrigin", rsl::View("widgets", "Widget").nested("origin", old));
    verdict(lib, "runtime WidgetBroken", rsl::View("widgets", "Widget").nested("origin", z).field<double>("weight"));

    // A nested value, read and written through the nested view's tokens.
    rsl::Bound w = lib.bind(widget_nested);
    rsl::Nested origin = w.nested("origin");
    const rsl::Bound &p = origin.bound();
    auto x = p.field<std::int32_t>("x");
    auto y = p.field<std::int32_t>("y");
    rsl::Value v(w);
    std::printf("origin (%d,%d)\n", v.nested(origin).get(x), v.nested(origin).get(y));
    rsl::PlaceMut o = v.nested(origin);
    o.set(x, std::int32_t{40});
    o.set(y, std::int32_t{-41});
    rsl::Value copy(v);  // the library's clone witness copies the nested value too
    const rsl::Value &c = copy;
    std::printf("written (%d,%d)\n", c.nested(origin).get(x), c.nested(origin).get(y));
    // A token of the outer view is not one of the nested value's, nor the
    // other way round.
    try {
        v.nested(origin).get(rsl::Field<std::int32_t>{w.id(), 0, 0});
        std::printf("accepted an outer token\n");
        return 1;
    } catch (const rsl::Error &e) {
        std::printf("refused an outer token: %s\n", e.what());
    }
    // An owned result read through the same binding as the nested values.
    auto parse_point = lib.bind(parse_point_fn, p);
    rsl::Value pt = parse_point("5, -6");
    std::printf("parsed (%d,%d)\n", pt.get(x), pt.get(y));
    try {
        lib.bind(parse_point_fn, w);
        std::printf("accepted a Widget binding for a Point\n");
        return 1;
    } catch (const rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
    }
    return 0;
}
"#;

/// Builds the C++ host `source` with `-D` definitions, linked with the C
/// API, by `cxx`.
fn host_with(dir: &Path, cxx: &str, name: &str, source: &str, defines: &[String]) -> PathBuf {
    let src = write(dir, &format!("{name}.cpp"), source);
    let exe = dir.join(format!("{name}-{cxx}"));
    run(link_capi(
        Command::new(cxx)
            .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(include_dir())
            .args(defines)
            .arg(&src)
            .arg("-o")
            .arg(&exe),
    ));
    exe
}

/// The Rust host's verdict on view `V` for `lib`, as NESTED prints it.
fn rust_verdict<V: resilient_types::Bindable>(lib: &Path, name: &str) -> String {
    match resilient_loader::Library::open(lib).unwrap().bind::<V>() {
        Ok(_) => format!("bind {name}: ok\n"),
        Err(e) => format!("bind {name}: refused: {e}\n"),
    }
}

#[test]
fn nested_and_frozen_views_bind_and_refuse_as_the_rust_hosts_do() {
    let lib1 = resilient_loader::Library::open(rust_lib(1)).unwrap();
    assert_eq!(
        lib1.module().unwrap().get("Point").unwrap().fingerprint,
        POINT_FP,
        "the fixtures' frozen Point is the one this test copies"
    );
    assert_ne!(POINT_FP, OLD_POINT_FP);
    let dir = resilient_testkit::scratch_dir("cpp-client-nested");
    let defines = [
        format!("-DPOINT_FP={POINT_FP:#x}ull"),
        format!("-DOLD_POINT_FP={OLD_POINT_FP:#x}ull"),
    ];
    let mut hosts = vec![host_with(&dir, "g++", "nested", NESTED, &defines)];
    if crate::have("clang++") {
        hosts.push(host_with(&dir, "clang++", "nested", NESTED, &defines));
    }
    let mut libs = vec![(rust_lib(1), 1), (rust_lib(2), 2)];
    libs.extend([(cpp_lib(1).to_path_buf(), 1), (cpp_lib(2).to_path_buf(), 2)]);
    for host in &hosts {
        for (lib, v) in &libs {
            let out = Command::new(host).arg(lib).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{} on {}: {text}{}",
                host.display(),
                lib.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let expected = [
                rust_verdict::<WidgetNested>(lib, "WidgetNested"),
                rust_verdict::<FrozenPointView>(lib, "FrozenPointView"),
                rust_verdict::<OldPointView>(lib, "OldPointView"),
                rust_verdict::<WidgetFrozenOrigin>(lib, "WidgetFrozenOrigin"),
                rust_verdict::<WidgetOldOrigin>(lib, "WidgetOldOrigin"),
                rust_verdict::<WidgetBroken>(lib, "WidgetBroken"),
                rust_verdict::<OldPointView>(lib, "runtime OldPointView"),
                rust_verdict::<WidgetOldOrigin>(lib, "runtime WidgetOldOrigin"),
                rust_verdict::<WidgetBroken>(lib, "runtime WidgetBroken"),
                format!("origin (-{v},{v})\n"),
                "written (40,-41)\n".into(),
                "refused an outer token: read: the token belongs to another binding (another type or library version)\n".into(),
                "parsed (5,-6)\n".into(),
                "refused: `parse_point` returns a `Point`, the binding given is of `Widget`\n".into(),
            ]
            .concat();
            assert_eq!(text, expected, "{} on {}", host.display(), lib.display());
        }
    }
    // What the verdicts say: the Rust libraries' Point is frozen (the C++
    // samples' is not), and a nested view's mismatches come in place,
    // before the outer view's next field's.
    let rust = rust_verdict::<WidgetOldOrigin>(&rust_lib(1), "x");
    assert!(
        rust.contains("frozen type `Point` changed its layout"),
        "{rust}"
    );
    let cpp = rust_verdict::<WidgetFrozenOrigin>(cpp_lib(1), "x");
    assert!(cpp.contains("type `Point` is not frozen"), "{cpp}");
    assert_eq!(
        rust_verdict::<WidgetFrozenOrigin>(&rust_lib(1), "x"),
        "bind x: ok\n"
    );
    let broken = rust_verdict::<WidgetBroken>(&rust_lib(1), "x");
    let (z, weight) = (
        broken.find("field `Point.z`").unwrap(),
        broken
            .find("field `Widget.weight` is f32, the view expects f64")
            .unwrap(),
    );
    assert!(z < weight, "{broken}");
}

/// A declaration no binder could accept, or a host that could not read a
/// result, does not compile, and the compiler says why: each case is a
/// host of its own that must fail with its message.
#[test]
fn mistakes_in_declarations_do_not_compile() {
    let dir = resilient_testkit::scratch_dir("cpp-client-static");
    let cases = [
        (
            r#"RSL_VIEW(v, "widgets", "Widget", rsl::field<std::uint64_t>("id"), rsl::field<std::uint64_t>("id"));"#,
            "a field is declared twice",
        ),
        (
            r#"RSL_VIEW(v, "widgets", "Widget", rsl::field<std::uint64_t>(""));"#,
            "a field needs a name",
        ),
        (
            r#"RSL_VIEW(v, "widgets", "Point", rsl::frozen(1), rsl::frozen(2));"#,
            "a view is declared frozen twice",
        ),
        (
            r#"RSL_VIEW(p, "gadgets", "Point", rsl::field<std::int32_t>("x"));
               RSL_VIEW(w, "widgets", "Widget", rsl::nested("origin", p));"#,
            "a nested view is of the outer view's module",
        ),
        (
            r#"RSL_VIEW(v, "widgets", "Widget", rsl::field<std::string>("label"));"#,
            "a field is read by value as a scalar or an array",
        ),
        (
            r#"RSL_FUNCTION(f, std::uint64_t(rsl::Ref), "widgets", "widget_id");"#,
            "name the exported type of each reference parameter",
        ),
        (
            r#"RSL_FUNCTION(f, rsl::Owned(std::string_view), "widgets", "parse_point");"#,
            "name the exported type of each reference parameter",
        ),
        (
            r#"void f(const rsl::Library &lib) { lib.api("widgets").function<rsl::Owned(std::string_view)>("parse_point"); }"#,
            "a function returning rsl::Owned is bound with the rsl::Bound its values are read through",
        ),
        (
            r#"RSL_FUNCTION(d, rsl::Owned(std::string_view), "widgets", "parse_point", "Point");
               void f(const rsl::Library &lib) { lib.bind(d); }"#,
            "a function returning rsl::Owned is bound with the rsl::Bound its values are read through",
        ),
        (
            r#"void f(const rsl::Library &lib, const rsl::Bound &b) { lib.api("widgets").function<std::uint64_t(std::string_view)>("parse_id", b); }"#,
            "only a function returning rsl::Owned takes the rsl::Bound of its result",
        ),
        (
            r#"void f(const rsl::Implementation &imp, const rsl::Method<rsl::Owned(rsl::This)> &m) { imp.method(m); }"#,
            "a method returning rsl::Owned is bound with the rsl::Bound its values are read through",
        ),
        (
            r#"RSL_ENUM_VIEW(e, "widgets", "Status", rsl::enum_case("Idle"), rsl::enum_case("Idle"));"#,
            "a case is declared twice",
        ),
        (
            r#"RSL_ENUM_VIEW(e, "widgets", "Status", rsl::enum_case(""));"#,
            "a case needs a name",
        ),
        (
            r#"RSL_ENUM_VIEW(e, "widgets", "Status", rsl::payload<std::uint32_t>("jobs"), rsl::enum_case("Busy"));"#,
            "a payload field follows the case it is of",
        ),
        (
            r#"RSL_ENUM_VIEW(e, "widgets", "Status", rsl::enum_case("Busy"), rsl::payload<std::uint32_t>("jobs"), rsl::payload<std::uint64_t>("jobs"));"#,
            "a payload field is declared twice in its case",
        ),
        (
            r#"RSL_ENUM_VIEW(e, "widgets", "Level", rsl::frozen(1), rsl::frozen(2), rsl::enum_case("Low"));"#,
            "an enum view is declared frozen twice",
        ),
        (
            r#"RSL_ENUM_VIEW(e, "widgets", "Status", rsl::enum_case("Busy"), rsl::field<std::uint32_t>("jobs"));"#,
            "an enum view's items are rsl::enum_case, rsl::payload, rsl::optional_payload and rsl::frozen",
        ),
    ];
    for (i, (code, why)) in cases.iter().enumerate() {
        let src = write(
            &dir,
            &format!("case{i}.cpp"),
            &format!("#include <string>\n#include \"resilient/client.hpp\"\n{code}\n"),
        );
        let out = Command::new("g++")
            .args(["-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-I"])
            .arg(include_dir())
            .arg(&src)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "case {i} compiled: {code}");
        assert!(
            stderr.contains(why),
            "case {i}: expected {why:?} in\n{stderr}"
        );
    }
}

/// A C++ host whose enum views are declarations (`RSL_ENUM_VIEW`, bound
/// with `lib.bind(decl)`): a frozen view of the frozen `Level`, one of the
/// wrong fingerprint, a frozen one missing a case, and widgets 1.0's
/// `Status`. One verdict line per view, then what the frozen view reads.
const DECLARED_ENUMS: &str = r#"#include <cstdio>
#include "resilient/client.hpp"
RSL_ENUM_VIEW(level, "widgets", "Level", rsl::frozen(LEVEL_FP),
              rsl::enum_case("Low"), rsl::enum_case("Normal"),
              rsl::enum_case("High"), rsl::payload<std::uint16_t>("boost"));
RSL_ENUM_VIEW(stale, "widgets", "Level", rsl::frozen(LEVEL_FP ^ 1),
              rsl::enum_case("Low"), rsl::enum_case("Normal"),
              rsl::enum_case("High"), rsl::payload<std::uint16_t>("boost"));
RSL_ENUM_VIEW(partial, "widgets", "Level", rsl::frozen(LEVEL_FP),
              rsl::enum_case("Low"), rsl::enum_case("High"), rsl::payload<std::uint16_t>("boost"));
RSL_ENUM_VIEW(status, "widgets", "Status",
              rsl::enum_case("Idle"),
              rsl::enum_case("Busy"), rsl::payload<std::uint32_t>("jobs"),
              rsl::enum_case("Failed"), rsl::payload<std::int64_t>("0"));
template <class D>
void verdict(const rsl::Library &lib, const D &decl, const char *name) {
    try {
        lib.bind(decl);
        std::printf("bind %s: ok\n", name);
    } catch (const rsl::Error &e) {
        std::printf("bind %s: refused: %s\n", name, e.what());
    }
}
int main(int, char **argv) {
    rsl::Library lib = rsl::Library::open(argv[1]);
    verdict(lib, level, "LevelView");
    verdict(lib, stale, "StaleLevel");
    verdict(lib, partial, "PartialLevel");
    verdict(lib, status, "StatusV1");
    try {
        rsl::Bound b = lib.bind(level);
        auto boost = b.payload<std::uint16_t>(2, "boost");
        rsl::Value high = b.make(2, std::uint16_t{300});
        std::printf("cases %zu, high is case %zu, boost %u\n", b.case_count(), b.case_of(high),
                    static_cast<unsigned>(high.get(boost)));
    } catch (const rsl::Error &) {
    }
    return 0;
}
"#;

resilient_types::enum_view! {
    /// `Level` as `DECLARED_ENUMS` declares `level` (the fingerprint of
    /// widgets 1.2's and 2.0's).
    pub enum LevelCase: LevelView = "widgets"::"Level" frozen(LEVEL_FP) {
        Low,
        Normal,
        High(LevelHigh { boost: Field<u16> }),
    }
}
resilient_types::enum_view! {
    /// `stale`.
    pub enum StaleCase: StaleLevel = "widgets"::"Level" frozen(LEVEL_FP ^ 1) {
        Low,
        Normal,
        High(StaleHigh { boost: Field<u16> }),
    }
}
resilient_types::enum_view! {
    /// `partial`.
    pub enum PartialCase: PartialLevel = "widgets"::"Level" frozen(LEVEL_FP) {
        Low,
        High(PartialHigh { boost: Field<u16> }),
    }
}
resilient_types::enum_view! {
    /// `status`.
    pub enum StatusV1Case: StatusV1 = "widgets"::"Status" {
        Idle,
        Busy(StatusV1Busy { jobs: Field<u32> }),
        Failed(StatusV1Failed { _0: Field<i64> }),
    }
}

/// The fingerprint of the fixtures' frozen `Level` (widgets 1.2 and 2.0),
/// checked against the library below.
const LEVEL_FP: u64 = 0xb588_067a_6c6b_5759;

#[test]
fn declared_enum_views_bind_and_refuse_as_the_rust_hosts_do() {
    let lib3 = resilient_loader::Library::open(rust_lib(3)).unwrap();
    assert_eq!(
        lib3.module().unwrap().get("Level").unwrap().fingerprint,
        LEVEL_FP,
        "the fixtures' frozen Level is the one this test copies"
    );
    let levels = lib3.bind::<LevelView>().unwrap();
    let high = levels.High.make(&levels, 300).unwrap();
    let LevelCase::High(h) = levels.read(high.as_ref()) else {
        panic!("High reads as another case")
    };
    assert_eq!(h.get(h.boost), 300);
    let dir = resilient_testkit::scratch_dir("cpp-client-enum-decls");
    let defines = [format!("-DLEVEL_FP={LEVEL_FP:#x}ull")];
    let mut hosts = vec![host_with(&dir, "g++", "enums", DECLARED_ENUMS, &defines)];
    if crate::have("clang++") {
        hosts.push(host_with(
            &dir,
            "clang++",
            "enums",
            DECLARED_ENUMS,
            &defines,
        ));
    }
    for host in &hosts {
        for v in [1, 3, 4] {
            let lib = rust_lib(v);
            let out = Command::new(host).arg(&lib).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "{}: {text}", lib.display());
            let mut expected = [
                rust_verdict::<LevelView>(&lib, "LevelView"),
                rust_verdict::<StaleLevel>(&lib, "StaleLevel"),
                rust_verdict::<PartialLevel>(&lib, "PartialLevel"),
                rust_verdict::<StatusV1>(&lib, "StatusV1"),
            ]
            .concat();
            if v != 1 {
                expected.push_str("cases 3, high is case 2, boost 300\n");
            }
            assert_eq!(text, expected, "{} on {}", host.display(), lib.display());
        }
    }
    // What the verdicts say.
    let lib = rust_lib(3);
    assert_eq!(rust_verdict::<LevelView>(&lib, "x"), "bind x: ok\n");
    assert!(
        rust_verdict::<StaleLevel>(&lib, "x").contains("frozen type `Level` changed its layout")
    );
    assert!(rust_verdict::<PartialLevel>(&lib, "x")
        .contains("frozen enum `Level` has case `Normal` the view does not name"));
    assert!(rust_verdict::<LevelView>(&rust_lib(1), "x").contains("type `Level` is missing"));
}
