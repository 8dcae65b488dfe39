//! Functions across languages: C++ libraries export functions with
//! `RESILIENT_EXPORT_FUNCTION` (export.hpp), and C and C++ hosts bind them
//! through the C API (`rsl_function_bind`, the one function rule) and call
//! the thunks themselves. The matrix: the Rust host calls the C++ library's
//! functions; the C++ host calls the Rust and the C++ libraries'; both
//! reach the same verdicts and the same messages, a throwing function
//! leaves its library usable, and a retyped function is refused naming it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use layout_meta::{FunctionLayout, Identity};
use resilient_loader::Library;
use resilient_types::{
    api, Error, Func, In, InMut, OptIn, Out, OwnedSlice, OwnedStr, SliceOf, Str, Value,
};

use crate::cross_language::{clang_lib, cpp_lib, rust_lib, PointView, WidgetView};
use crate::{have, include_dir, link_capi, run, write};

api! {
    /// What a Rust host written against widgets 1.0 calls, and the C++
    /// sample's own functions.
    pub struct WidgetFns = "widgets" {
        pub live_count: Func<fn() -> isize>,
        pub widget_id: Func<fn(In<WidgetView>) -> u64>,
        pub label_len: Func<fn(In<WidgetView>) -> usize>,
        pub rename: Func<fn(InMut<WidgetView>, Str)>,
        pub parse_id: Func<fn(Str) -> u64>,
        pub maybe_panic: Func<fn(bool, Str) -> u32>,
        pub silence_panics: Func<fn()>,
        /// New in 1.1.
        pub weight_lb: Option<Func<fn(In<WidgetView>) -> f64>>,
        /// The C++ sample's.
        pub checksum: Option<Func<fn(SliceOf<u8>) -> u64>>,
        pub same_id: Option<Func<fn(In<WidgetView>, OptIn<WidgetView>) -> bool>>,
        /// Values of exported types, made by the library.
        pub make_widget: Func<fn(u64, Str) -> Out<WidgetView>>,
        pub parse_point: Func<fn(Str) -> Out<PointView>>,
        /// Owned strings and vectors.
        pub greeting: Func<fn(Str) -> OwnedStr>,
        pub squares: Func<fn(u32) -> OwnedSlice<u64>>,
        /// The C++ sample's: a string that need not be UTF-8.
        pub raw_byte: Option<Func<fn(u8) -> OwnedStr>>,
    }
}

api! {
    pub struct Retyped = "widgets" {
        pub weight_lb: Func<fn(In<WidgetView>) -> f64>,
    }
}

/// The C++ sample libraries of version `v`: g++'s, and clang++'s where
/// installed.
pub(crate) fn cpp_libs(v: u32) -> Vec<PathBuf> {
    let mut libs = vec![cpp_lib(v).to_path_buf()];
    libs.extend(clang_lib(v).map(Path::to_path_buf));
    libs
}

pub(crate) fn rounds() -> u32 {
    if std::env::var_os("RESILIENT_SHORT").is_some() {
        100
    } else {
        10_000
    }
}

#[test]
fn the_rust_host_calls_a_cpp_librarys_functions() {
    for v in [1u32, 2] {
        for path in cpp_libs(v) {
            let lib = Library::open(&path).unwrap();
            let api = lib.bind_api::<WidgetFns>().unwrap();
            assert_eq!(api.weight_lb.is_some(), v == 2, "weight_lb is new in 1.1");
            let w = lib.bind::<WidgetView>().unwrap();
            let before = api.live_count.call().unwrap();
            let mut value = Value::new(&w).unwrap(); // the C++ constructor
            assert_eq!(api.live_count.call().unwrap(), before + 1);
            value.as_mut().set(w.id, 0xfeed);
            assert_eq!(api.widget_id.call(value.as_ref()).unwrap(), 0xfeed);
            api.rename
                .call(value.as_mut(), "a longer label, on the library's heap")
                .unwrap();
            assert_eq!(api.label_len.call(value.as_ref()).unwrap(), 37);
            assert_eq!(api.parse_id.call(" 123 ").unwrap(), 123);
            let err = api.parse_id.call("12x").unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "`parse_id` of widgets 1.{}.0 ({}) failed: invalid digit found in string",
                    v - 1,
                    path.display()
                )
            );
            assert!(
                matches!(
                    err.error(),
                    Error::Call {
                        panicked: false,
                        ..
                    }
                ),
                "{err}"
            );
            let err = api
                .maybe_panic
                .call(true, "the bolts are loose")
                .unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("`maybe_panic` threw: the bolts are loose (in widgets 1."),
                "{err}"
            );
            assert!(
                matches!(err.error(), Error::Call { panicked: true, .. }),
                "{err}"
            );
            let checksum = api.checksum.as_ref().unwrap();
            assert_eq!(checksum.call(&[1, 2, 3, 250]).unwrap(), 256);
            assert_eq!(checksum.call(&[]).unwrap(), 0);
            let same_id = api.same_id.as_ref().unwrap();
            let copy = value.try_clone().unwrap(); // the C++ copy constructor
            assert!(same_id.call(value.as_ref(), Some(copy.as_ref())).unwrap());
            assert!(!same_id.call(value.as_ref(), None).unwrap());
            if let Some(weight_lb) = &api.weight_lb {
                let lb = weight_lb.call(value.as_ref()).unwrap();
                assert!((lb - 2.5 * 2.204_622_6).abs() < 1e-9, "{lb}");
            }
            // A value the C++ library constructs in the host's room: the
            // host owns it, reads it through its view, copies and destroys
            // it through the library's witnesses.
            let made = api.make_widget.call(99, "from c++").unwrap();
            assert_eq!(made.as_ref().get(w.id), 99);
            assert_eq!(api.label_len.call(made.as_ref()).unwrap(), 8);
            assert_eq!(api.live_count.call().unwrap(), before + 3);
            let point = api.parse_point.call("-7, 8").unwrap();
            let p = point.bound().clone();
            assert_eq!((point.as_ref().get(p.x), point.as_ref().get(p.y)), (-7, 8));
            for (text, message) in [
                ("3;4", "`3;4` is not `x,y`"),
                ("1,x", "`x`: invalid digit found in string"),
                ("1, ", "` `: cannot parse integer from empty string"),
                (
                    "99999999999,1",
                    "`99999999999`: number too large to fit in target type",
                ),
            ] {
                let err = api.parse_point.call(text).unwrap_err();
                assert!(
                    err.to_string().ends_with(&format!("failed: {message}")),
                    "{text}: {err}"
                );
            }
            // A std::string and a std::vector<std::uint64_t>, handed over
            // as Rust's String and Vec<u64>.
            let hello = api.greeting.call("c++ host").unwrap();
            assert_eq!(hello.as_str().unwrap(), "hello, c++ host");
            assert_eq!(&*api.squares.call(4).unwrap(), &[0, 1, 4, 9]);
            // Bytes that are not UTF-8: read as bytes; `as_str` refuses.
            let raw = api.raw_byte.as_ref().unwrap().call(0xff).unwrap();
            assert_eq!(raw.as_bytes(), [0xff]);
            assert!(raw.as_str().is_err());
            assert_eq!(
                api.raw_byte
                    .as_ref()
                    .unwrap()
                    .call(b'A')
                    .unwrap()
                    .as_str()
                    .unwrap(),
                "A"
            );
            drop((value, copy, made));
            assert_eq!(api.live_count.call().unwrap(), before);
        }
    }
}

/// A throwing C++ function, 10,000 times, then a normal one: every
/// exception is an error naming the function with its message, nothing
/// unwinds into Rust, and the library stays usable.
#[test]
fn cpp_exceptions_never_cross_and_the_library_stays_usable() {
    for path in cpp_libs(1) {
        let lib = Library::open(&path).unwrap();
        let api = lib.bind_api::<WidgetFns>().unwrap();
        for i in 0..rounds() {
            let err = api.maybe_panic.call(true, "loose").unwrap_err();
            if i == 0 {
                assert_eq!(
                    err.to_string(),
                    format!(
                        "`maybe_panic` threw: loose (in widgets 1.0.0 ({}); the panic was caught)",
                        path.display()
                    )
                );
            }
        }
        assert_eq!(api.maybe_panic.call(false, "").unwrap(), 7);
        assert_eq!(api.parse_id.call("42").unwrap(), 42);
    }
}

/// `cpp/src/functions_host.cpp`, built once with g++ (and clang++ where
/// installed) and linked with the C API.
fn functions_hosts() -> &'static [PathBuf] {
    static BUILT: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = resilient_testkit::scratch_dir("functions-host");
        let src = resilient_testkit::workspace_root()
            .join("cpp")
            .join("src")
            .join("functions_host.cpp");
        let mut hosts = Vec::new();
        for cxx in ["g++", "clang++"] {
            if cxx == "clang++" && !have(cxx) {
                println!("clang++ not installed: the functions host is built with g++ only");
                continue;
            }
            let exe = dir.join(format!("functions-host-{cxx}"));
            run(link_capi(
                Command::new(cxx)
                    .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
                    .arg(include_dir())
                    .arg(&src)
                    .arg("-o")
                    .arg(&exe),
            ));
            hosts.push(exe);
        }
        hosts
    })
}

/// Runs `exe` with `args`; returns (exit code, stdout).
pub(crate) fn output(exe: &Path, args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::new(exe).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_cpp_host_calls_rust_and_cpp_libraries_functions_with_the_rust_hosts_messages() {
    let rounds = rounds().to_string();
    for host in functions_hosts() {
        let mut libs = vec![(rust_lib(1), 1, false), (rust_lib(2), 2, false)];
        for v in [1, 2] {
            libs.extend(cpp_libs(v).into_iter().map(|l| (l, v, true)));
        }
        for (lib, v, cpp) in libs {
            let (code, text) = output(host, &[lib.as_os_str(), rounds.as_ref()]);
            assert_eq!(
                code,
                Some(0),
                "{} on {}: {text}",
                host.display(),
                lib.display()
            );
            // The same calls from the Rust host, for their messages.
            let rust = Library::open(&lib).unwrap();
            let api = rust.bind_api::<WidgetFns>().unwrap();
            api.silence_panics.call().unwrap();
            let failed = api.parse_id.call("12x").unwrap_err();
            let threw = api
                .maybe_panic
                .call(true, "the bolts are loose")
                .unwrap_err();
            assert!(text.contains(&format!("\nfailed: {failed}\n")), "{text}");
            assert!(text.contains(&format!("\nthrew: {threw}\n")), "{text}");
            // An owned result's failure, in the Rust host's words.
            for bad in ["3;4", "1,x"] {
                let failed = api.parse_point.call(bad).unwrap_err();
                assert!(
                    text.contains(&format!("\nparse_point failed: {failed}\n")),
                    "{text}"
                );
            }
            let weight = if v == 1 {
                "weight_lb absent\n".to_owned()
            } else {
                format!("weight_lb {:.6}\n", 2.5 * 2.204_622_6)
            };
            assert!(text.contains(&weight), "{text}");
            // 10 checks (owned results included), and the C++ sample's
            // checksum and same_id.
            let checks = if cpp { 12 } else { 10 };
            assert_eq!(text.matches(" ok\n").count(), checks, "{text}");
            assert!(text.ends_with("verdict compatible\n"), "{text}");
        }
    }
}

#[test]
fn a_retyped_function_is_refused_by_both_hosts_with_the_rust_binders_message() {
    for host in functions_hosts() {
        let mut libs = vec![rust_lib(4)];
        libs.extend(cpp_libs(4));
        for lib in libs {
            let rust = Library::open(&lib)
                .unwrap()
                .bind_api::<Retyped>()
                .unwrap_err()
                .to_string();
            assert!(
                rust.contains("function `weight_lb` returns f32, the client expects f64"),
                "{rust}"
            );
            let (code, text) = output(host, &[lib.as_os_str()]);
            assert_eq!(code, Some(3), "{text}");
            assert_eq!(
                text,
                format!("module widgets 2.0.0\nverdict refused: {rust}\n")
            );
        }
    }
}

const REFUSALS: &str = r#"#include <cstdio>
#include <optional>
#include "resilient/client.hpp"
// argv[1]: widgets 1.0 (C++ sample), argv[2]: widgets 1.1. Each refusal is
// printed; the program fails if anything is accepted that must not be.
static int accepted = 0;
template <class F>
static void refused(const char *what, F f) {
    try {
        f();
        std::printf("accepted %s\n", what);
        ++accepted;
    } catch (const rsl::Error &e) {
        std::printf("refused %s: %s\n", what, e.what());
    }
}
int main(int, char **argv) {
    std::optional<rsl::Function<std::uint64_t(rsl::Ref)>> kept;
    std::optional<rsl::Value> kept_value;
    {
        rsl::Library v1 = rsl::Library::open(argv[1]);
        rsl::Library v2 = rsl::Library::open(argv[2]);
        rsl::View view("widgets", "Widget");
        view.field<std::uint64_t>("id");
        rsl::Bound w1 = v1.bind(view), w2 = v2.bind(view), w1_again = v1.bind(view);
        rsl::Api api1 = v1.api("widgets");
        auto widget_id = api1.function<std::uint64_t(rsl::Ref)>("widget_id", {"Widget"});
        auto parse_id = api1.function<std::uint64_t(std::string_view)>("parse_id");
        auto copy_label = api1.function<void(rsl::Mut, rsl::Ref)>("copy_label", {"Widget", "Widget"});
        auto label_len = api1.function<rsl::usize(rsl::Ref)>("label_len", {"Widget"});
        rsl::Value a(w1), b(w1_again), other(w2);
        // Another binding of the same library's type is the same type.
        std::printf("widget_id %llu\n", static_cast<unsigned long long>(widget_id(b)));
        refused("a value of another version", [&] { widget_id(other); });
        refused("a string that is not UTF-8", [&] { parse_id(std::string_view("\xff\xfe", 2)); });
        refused("an exclusive value passed twice", [&] { copy_label(a, a); });
        auto rename = api1.function<void(rsl::Mut, std::string_view)>("rename", {"Widget"});
        refused("an exclusive value's bytes lent as a string", [&] {
            rename(a, std::string_view(reinterpret_cast<const char *>(a.data()), 1)); });
        auto checksum = api1.function<std::uint64_t(rsl::Slice<std::uint8_t>)>("checksum");
        refused("a null slice of three bytes", [&] { checksum(rsl::Slice<std::uint8_t>(nullptr, 3)); });
        std::printf("checksum of nothing %llu\n",
                    static_cast<unsigned long long>(checksum(rsl::Slice<std::uint8_t>(nullptr, 0))));
        copy_label(a, b);
        std::printf("label_len %zu %zu\n", static_cast<std::size_t>(label_len(a)), static_cast<std::size_t>(label_len(b)));
        refused("a reference without its type's name", [&] { api1.function<std::uint64_t(rsl::Ref)>("widget_id"); });
        refused("a signature the library does not have", [&] { api1.function<std::uint32_t(rsl::Ref)>("widget_id", {"Widget"}); });
        refused("a function the library lacks", [&] { api1.function<double(rsl::Ref)>("weight_lb", {"Widget"}); });
        refused("another module", [&] { v1.api("gadgets").function<std::uint64_t(std::string_view)>("parse_id"); });
        refused("a type the library lacks", [&] { api1.function<std::uint64_t(rsl::Ref)>("widget_id", {"Gadget"}); });
        // An owned result is read through a binding of the type returned,
        // of this library.
        refused("an owned result read as another type", [&] {
            api1.function<rsl::Owned(std::string_view)>("parse_point", w1); });
        refused("an owned result read through another version", [&] {
            api1.function<rsl::Owned(std::uint64_t, std::string_view)>("make_widget", w2); });
        {
            auto make_widget = api1.function<rsl::Owned(std::uint64_t, std::string_view)>("make_widget", w1);
            rsl::Value made = make_widget(5, "five");
            rsl::Value moved(std::move(made));
            std::printf("made %llu %zu\n", static_cast<unsigned long long>(widget_id(moved)),
                        static_cast<std::size_t>(label_len(moved)));
            refused("a value moved from", [&] { widget_id(made); });
        }
        std::printf("optional absent %d\n", !api1.optional<double(rsl::Ref)>("weight_lb", {"Widget"}));
        kept = widget_id;
        kept_value.emplace(w1);
    }
    // The library handles, views and bindings are gone: the function and the
    // value keep the library loaded.
    std::printf("kept %llu\n", static_cast<unsigned long long>((*kept)(*kept_value)));
    return accepted;
}
"#;

#[test]
fn the_cpp_host_refuses_what_it_cannot_pass_with_rust_messages() {
    let dir = resilient_testkit::scratch_dir("functions-refusals");
    let src = write(&dir, "refusals.cpp", REFUSALS);
    let exe = dir.join("refusals");
    run(link_capi(
        Command::new("g++")
            .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(include_dir())
            .arg(&src)
            .arg("-o")
            .arg(&exe),
    ));
    let (v1, v2) = (cpp_lib(1), cpp_lib(2));
    let (code, text) = output(&exe, &[v1.as_os_str(), v2.as_os_str()]);
    assert_eq!(code, Some(0), "{text}");
    let origin = format!("widgets 1.0.0 ({})", v1.display());
    for line in [
        "widget_id 1\n".to_owned(),
        "refused a value of another version: `widget_id` (parameter 1): the value belongs to another type, library or version than the function takes\n".into(),
        "refused a string that is not UTF-8: `parse_id` (parameter 1): the string is not UTF-8\n".into(),
        "refused an exclusive value passed twice: `copy_label` (parameter 1): a value passed as rsl::Mut (exclusive) is lent again, in whole or in part, by another parameter\n".into(),
        "refused an exclusive value's bytes lent as a string: `rename` (parameter 1): a value passed as rsl::Mut (exclusive) is lent again, in whole or in part, by another parameter\n".into(),
        "refused a null slice of three bytes: `checksum` (parameter 1): a null slice of a nonzero length\n".into(),
        "checksum of nothing 0\n".into(),
        "label_len 42 42\n".into(),
        "refused a reference without its type's name: `widget_id`: 1 reference parameter(s), 0 type name(s) given\n".into(),
        format!("refused a signature the library does not have: cannot bind the functions the host calls to {origin}: function `widget_id` returns u64, the client expects u32\n"),
        format!("refused a function the library lacks: cannot bind the functions the host calls to {origin}: function `weight_lb` (fn weight_lb(p0: &Widget) -> f64) is missing\n"),
        format!("refused another module: {} exports module `widgets`, the view is of module `gadgets`\n", v1.display()),
        format!("refused a type the library lacks: cannot bind the functions the host calls to {origin}: function `widget_id`: parameter 1 (`p0`) is &Widget, the client passes &Gadget\n"),
        format!("refused an owned result read as another type: cannot bind the functions the host calls to {origin}: function `parse_point` returns Point, the client expects Widget\n"),
        "refused an owned result read through another version: `make_widget` returns a `Widget` of another library or version than the binding given to read its results\n".into(),
        "made 5 4\n".into(),
        "refused a value moved from: `widget_id` (parameter 1): the value was moved from\n".into(),
        "optional absent 1\n".into(),
        "kept 1\n".into(),
    ] {
        assert!(text.contains(&line), "expected {line:?} in:\n{text}");
    }
}

/// A function's parameters and result, with only what binding compares: the
/// pass code and the identity (a resilient type by name: its layout is each
/// library's own).
pub(crate) fn signature(f: &FunctionLayout) -> Vec<(u32, Identity)> {
    f.params
        .iter()
        .chain([&f.ret])
        .map(|p| {
            let id = match &p.identity {
                Identity::Resilient { name, .. } => Identity::Resilient {
                    name: name.clone(),
                    size: 0,
                    align: 1,
                },
                other => other.clone(),
            };
            (p.pass, id)
        })
        .collect()
}

/// The C++ producer writes the records the Rust producer writes for the
/// same functions: the same calling convention, pass codes and identities
/// (scalar names, sizes and alignments, `str`, `()`, exported types by
/// name), so each binds the other's signature.
#[test]
fn the_cpp_producer_writes_the_rust_producers_function_records() {
    for v in [1, 2, 4] {
        let rust = Library::open(rust_lib(v)).unwrap();
        for path in cpp_libs(v) {
            let cpp = Library::open(&path).unwrap();
            // Every function, those of `Job` and the `Status` enum included
            // (`job_status` returns an enum by value).
            for r in &rust.module().unwrap().functions {
                let c = cpp
                    .module()
                    .unwrap()
                    .function(&r.name)
                    .unwrap_or_else(|| panic!("{} lacks `{}`", path.display(), r.name));
                assert_eq!((c.abi, signature(c)), (r.abi, signature(r)), "`{}`", r.name);
                layout_meta::compat::bind_function(r, true, Some(c)).unwrap();
                layout_meta::compat::bind_function(c, true, Some(r)).unwrap();
            }
        }
    }
    // Names as the Rust producer writes them: `usize` and `isize` are Rust's
    // own names, not u64 and i64.
    let cpp = Library::open(cpp_lib(1)).unwrap();
    let m = cpp.module().unwrap();
    let label_len = m.function("label_len").unwrap();
    assert_eq!(label_len.ret.identity.name(), "usize");
    assert_eq!(
        m.function("live_count").unwrap().ret.identity.name(),
        "isize"
    );
    assert_eq!(label_len.to_string(), "fn label_len(p0: &Widget) -> usize");
    assert_eq!(
        m.function("rename").unwrap().to_string(),
        "fn rename(p0: &mut Widget, p1: &str)"
    );
    assert_eq!(
        m.function("same_id").unwrap().to_string(),
        "fn same_id(p0: &Widget, p1: Option<&Widget>) -> bool"
    );
    assert_eq!(
        m.function("checksum").unwrap().to_string(),
        "fn checksum(p0: &[u8]) -> u64"
    );
    // Fallible exactly when not noexcept (it may throw rsl::Failure).
    use layout_meta::function::fn_flags::FALLIBLE;
    assert_eq!(m.function("parse_id").unwrap().flags, FALLIBLE);
    assert_eq!(m.function("widget_id").unwrap().flags, 0);
}

const C_CALLER: &str = r#"#include <stdio.h>
#include "resilient/resilient.h"
/* parse_id through the C API alone: bound as data, called through the thunk. */
typedef RSL_RET(uint64_t) ret_u64;
typedef ret_u64 (*parse_id_fn)(rsl_slice text, void *ret, rsl_call_error *err);
static void parse(const rsl_function *f, const char *text, size_t len) {
    parse_id_fn call = (parse_id_fn)rsl_function_thunk(f);
    rsl_slice s;
    rsl_call_error e; /* written by the thunk when the status is not OK */
    ret_u64 r;
    uint32_t st;
    s.ptr = text;
    s.len = len;
    r = call(s, NULL, &e);
    st = r.status;
    if (st == RSL_STATUS_OK) {
        printf("parsed %llu\n", (unsigned long long)r.value);
    } else {
        rsl_error *err = rsl_error_new();
        rsl_status code = rsl_function_call_failed(f, st, &e, err);
        printf("status %u code %d: %s\n", (unsigned)st, (int)code, rsl_error_message(err));
        rsl_error_free(err);
    }
}
int main(int argc, char **argv) {
    rsl_error *err = rsl_error_new();
    rsl_library *lib = NULL;
    rsl_function *f = NULL;
    const rsl_expect u64 = {RSL_EXPECT_SCALAR, "u64", 0, 0, 0, NULL};
    const rsl_expect u32 = {RSL_EXPECT_SCALAR, "u32", 0, 0, 0, NULL};
    const rsl_param text = {RSL_PASS_STR, NULL};
    rsl_param result = {RSL_PASS_VALUE, NULL};
    rsl_status s;
    (void)argc;
    if (rsl_library_open(argv[1], &lib, err) != RSL_OK) return 3;
    result.type = &u32;
    s = rsl_function_bind(lib, "widgets", "parse_id", &text, 1, &result, 1, &f, err);
    printf("u32: %d %s\n", (int)s, rsl_error_message(err));
    printf("weight_lb: %d\n", (int)rsl_function_bind(lib, "widgets", "weight_lb", &text, 1, &result, 0, &f, err));
    result.type = &u64;
    if (rsl_function_bind(lib, "widgets", "parse_id", &text, 1, &result, 1, &f, err) != RSL_OK) return 4;
    rsl_library_close(lib);
    printf("%s %u\n", rsl_function_name(f), (unsigned)rsl_function_param_count(f));
    parse(f, "77", 2);
    parse(f, "", 0);
    parse(f, "7x", 2);
    rsl_function_free(f);
    rsl_error_free(err);
    return 0;
}
"#;

/// The C API from C99: a function bound as data, refused with the Rust
/// binder's message, called through its thunk, its failure reported in the
/// Rust host's words (and its message freed by the library).
#[test]
fn a_c_host_binds_and_calls_through_the_c_api() {
    let dir = resilient_testkit::scratch_dir("functions-c");
    let src = write(&dir, "caller.c", C_CALLER);
    let exe = dir.join("caller");
    run(link_capi(
        Command::new("gcc")
            .args([
                "-std=c99",
                "-O1",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-pedantic",
                "-I",
            ])
            .arg(include_dir())
            .arg(&src)
            .arg("-o")
            .arg(&exe),
    ));
    for lib in [rust_lib(1), cpp_lib(1).to_path_buf()] {
        let (code, text) = output(&exe, &[lib.as_os_str()]);
        assert_eq!(code, Some(0), "{text}");
        let rust = Library::open(&lib).unwrap();
        let api = rust.bind_api::<WidgetFns>().unwrap();
        let empty = api.parse_id.call("").unwrap_err();
        let bad = api.parse_id.call("7x").unwrap_err();
        let origin = format!("widgets 1.0.0 ({})", lib.display());
        assert_eq!(
            text,
            format!(
                "u32: 5 cannot bind the functions the host calls to {origin}: function `parse_id` returns u64, the client expects u32\n\
                 weight_lb: 1\n\
                 parse_id 1\n\
                 parsed 77\n\
                 status 1 code 12: {empty}\n\
                 status 1 code 12: {bad}\n"
            )
        );
    }
}

/// Under memcheck, where installed: a C++ host's thousands of caught
/// exceptions and panics leak nothing (each message is freed once, by its
/// library) and touch no freed or uninitialised memory.
#[test]
fn failed_calls_leak_nothing_under_memcheck() {
    if !have("valgrind") {
        println!("SKIPPED: valgrind not installed");
        return;
    }
    let host = &functions_hosts()[0];
    for lib in [rust_lib(2), cpp_lib(2).to_path_buf()] {
        let out = Command::new("valgrind")
            .args([
                "-q",
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
            ])
            .arg(host)
            .arg(&lib)
            .arg("500")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(text.contains("verdict compatible"), "{text}");
    }
}

/// What cannot cross is refused when the plugin is compiled, with a
/// message that says why: each of these plugins fails to compile.
#[test]
fn export_hpp_refuses_at_compile_time_what_cannot_cross() {
    let dir = resilient_testkit::scratch_dir("functions-static");
    let prelude = r#"#include <string>
#include "resilient/export.hpp"
struct Widget { std::uint64_t id = 1; };
struct Gadget { std::uint64_t id = 1; };
RESILIENT_EXPORT_TYPE(Widget, id)
RESILIENT_EXPORT_TYPE(Gadget, id)
"#;
    let cases = [
        (
            "static std::uint64_t f(Widget w) { return w.id; }\nRESILIENT_EXPORT_FUNCTION(f)",
            "(f)",
            "an exported type crosses by reference",
        ),
        (
            "static void f(Widget *w) { w->id = 0; }\nRESILIENT_EXPORT_FUNCTION(f)",
            "(f)",
            "a T* parameter has no Rust form",
        ),
        (
            "static std::vector<std::string> f() { return {}; }\nRESILIENT_EXPORT_FUNCTION(f)",
            "(f)",
            "an exported function returns a scalar, void, an exported type by value, std::string or std::vector of numbers",
        ),
        (
            "static void f(std::string) {}\nRESILIENT_EXPORT_FUNCTION(f)",
            "(f)",
            "an exported function takes scalars",
        ),
        (
            "static void f(rsl::Slice<bool>) {}\nRESILIENT_EXPORT_FUNCTION(f)",
            "(f)",
            "T is a number",
        ),
        (
            "static void f(const Gadget &) {}\nRESILIENT_EXPORT_FUNCTION(f)",
            "(f)",
            "a function takes a reference to (or returns) a type the module does not list",
        ),
        (
            "static Gadget f() { return {}; }\nRESILIENT_EXPORT_FUNCTION(f)",
            "(f)",
            "a function takes a reference to (or returns) a type the module does not list",
        ),
        (
            "static void f() {}\nRESILIENT_EXPORT_FUNCTION(f)",
            "(f, f)",
            "two exported functions share a name",
        ),
    ];
    for (i, (function, list, why)) in cases.iter().enumerate() {
        let src = write(
            &dir,
            &format!("case{i}.cpp"),
            &format!(
                "{prelude}{function}\nRESILIENT_EXPORT_MODULE_WITH_FUNCTIONS(\"m\", \"1.0.0\", (Widget), {list})\n"
            ),
        );
        let out = Command::new("g++")
            .args([
                "-std=c++17",
                "-fsyntax-only",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-I",
            ])
            .arg(include_dir())
            .arg(&src)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "case {i} compiled");
        assert!(
            stderr.contains(why),
            "case {i}: expected {why:?} in\n{stderr}"
        );
    }
}

/// A C++ library that breaks the calling convention: `flag(0)` returns a
/// `bool` whose byte is 2 (through a volatile byte, so that the compiler
/// cannot fold it), `flag(1)` returns `true`.
const BAD_BOOL_PLUGIN: &str = r#"#include <cstdint>
#include <cstring>
#include "resilient/export.hpp"
struct Flag { std::uint32_t n = 0; };
RESILIENT_EXPORT_TYPE(Flag, n)
namespace {
bool flag(std::uint32_t n) noexcept {
    volatile unsigned char two = 2;
    unsigned char byte = n == 1 ? 1 : two;
    bool b;
    std::memcpy(&b, &byte, 1);
    return b;
}
}  // namespace
RESILIENT_EXPORT_FUNCTION(flag)
RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS("flags", "1.0.0", (Flag), (flag))
"#;

/// The C++ host's side of the same call: `true` for 1, an error for 0.
const BAD_BOOL_HOST: &str = r#"#include "resilient/client.hpp"
#include <cstdio>
int main(int, char **argv) {
    rsl::Library lib = rsl::Library::open(argv[1]);
    rsl::Api api = lib.api("flags");
    auto flag = api.function<bool(std::uint32_t)>("flag");
    std::printf("flag(1) %d\n", flag(1) ? 1 : 0);
    try {
        flag(0);
        std::puts("accepted");
        return 1;
    } catch (const rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        return 0;
    }
}
"#;

api! {
    pub struct FlagFns = "flags" {
        pub flag: Func<fn(u32) -> bool>,
    }
}

/// Regression: a call that succeeds with a `bool` result whose byte is
/// not 0 or 1 is an error in both hosts (naming the function), never a
/// `bool` of 2 in the host; a valid result still comes back.
#[test]
fn both_hosts_refuse_a_successful_result_that_is_no_bool() {
    let dir = resilient_testkit::scratch_dir("functions-bad-bool");
    let lib_path = crate::cpp_client::plugin(&dir, "badbool", BAD_BOOL_PLUGIN);
    let lib = Library::open(&lib_path).unwrap();
    let api = lib.bind_api::<FlagFns>().unwrap();
    assert!(api.flag.call(1).unwrap());
    let err = api.flag.call(0).unwrap_err();
    assert!(
        matches!(err.error(), Error::InvalidResult { scalar: "bool", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("`flag` of"), "{err}");

    let host = crate::cpp_client::host(&dir, "badbool_host", BAD_BOOL_HOST);
    let out = Command::new(&host).arg(&lib_path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("flag(1) 1"), "{stdout}");
    assert!(
        stdout.contains("refused: `flag` returned bytes that are not a valid bool"),
        "{stdout}"
    );
}

resilient_types::view! {
    /// A view that names no field: it would bind to any type handed out
    /// under its name.
    struct AnyWidget = "widgets"::"Widget" {}
}

api! {
    struct RenameFns = "widgets" {
        pub label_len: Func<fn(In<AnyWidget>) -> usize>,
        pub rename: Func<fn(InMut<AnyWidget>, Str)>,
    }
}

/// Hands out the library's `Point` when asked for `Widget`: a safe
/// `TypeSource`.
struct Renaming<'a>(&'a Library);

impl resilient_types::TypeSource for Renaming<'_> {
    fn foreign_type(&self, name: &str) -> Option<std::sync::Arc<resilient_types::ForeignType>> {
        self.0
            .foreign_type(if name == "Widget" { "Point" } else { name })
    }
    fn origin(&self) -> resilient_types::Origin {
        self.0.origin()
    }
    fn function(&self, name: &str) -> Option<std::sync::Arc<resilient_types::ForeignFunction>> {
        self.0.function(name)
    }
}

/// Was UB (valgrind: `rename` wrote a `String` past an 8-byte `Point`
/// bound as the `Widget` view, and `label_len` read past it): binding takes
/// a type only under its own name, so the renamed one counts as missing,
/// for views and for the functions' reference parameters alike.
#[test]
fn review_a_source_that_renames_types_binds_nothing() {
    use resilient_types::{Api as _, Bound, TypeSource as _};
    let lib = Library::open(rust_lib(2)).unwrap();
    let src = Renaming(&lib);
    let err = Bound::<AnyWidget>::bind(&src).unwrap_err().to_string();
    assert!(err.contains("`Widget`"), "{err}");
    let err = RenameFns::bind(&src).expect_err("refused").to_string();
    assert!(err.contains("`Widget`"), "{err}");
    // The library itself binds both, and the call works.
    let w = Bound::<AnyWidget>::bind(&lib).unwrap();
    let fns = RenameFns::bind(&lib).unwrap();
    let mut v = Value::new(&w).unwrap();
    fns.rename.call(v.as_mut(), "a longer label").unwrap();
    assert_eq!(
        fns.label_len.call(v.as_ref()).unwrap(),
        "a longer label".len()
    );
    assert_eq!(lib.foreign_type("Widget").unwrap().layout().name, "Widget");
}
