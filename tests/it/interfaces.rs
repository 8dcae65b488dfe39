//! Interfaces across languages: C++ libraries export interface
//! implementations with `RESILIENT_EXPORT_IMPL` (export.hpp), and C++ hosts
//! declare the methods they call (`rsl::Interface`, client.hpp) and bind
//! them through the C API (`rsl_interface_bind`: the code the Rust host's
//! `implementations()` binds with). The matrix: the Rust host calls the
//! C++ library's methods; the C++ host calls the Rust and the C++
//! libraries'; both reach the same values and the same messages, a method
//! that throws leaves its library usable, and a missing or retyped method
//! is refused at bind, naming the type, the interface, the method and the
//! parameter.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use resilient_loader::Library;
use resilient_types::{api, interface, Error, Func, Str, This, ThisMut};

use crate::cross_language::{cpp_lib, rust_lib};
use crate::functions::{cpp_libs, output, rounds, signature};
use crate::{have, include_dir, link_capi, run, write};

interface! {
    /// What a host calls of `Describe`: 1.0's methods, 1.2's `weight_key`,
    /// and the C++ sample's `relabel`.
    pub struct DescribeIface = "widgets"::"Describe" {
        pub key: Func<fn(This) -> u64>,
        pub set_key: Func<fn(ThisMut, u64)>,
        /// New in 1.2.
        pub weight_key: Option<Func<fn(This) -> u64>>,
        /// The C++ sample's.
        pub relabel: Option<Func<fn(ThisMut, Str)>>,
    }
}

api! {
    pub struct Live = "widgets" {
        pub live_count: Func<fn() -> isize>,
    }
}

/// The key of a point at (x, y), as both libraries compute it.
fn point_key(x: i32, y: i32) -> u64 {
    let bits = |v: i32| u64::from(u32::from_ne_bytes(v.to_ne_bytes()));
    (bits(x) << 32) | bits(y)
}

/// The Rust host's facts about each implementation of `lib`, in the C++
/// host's words: its default key, and `weight_key` if it has one.
fn rust_host_facts(lib: &Path) -> Vec<String> {
    let rust = Library::open(lib).unwrap();
    let mut facts = Vec::new();
    for imp in rust.implementations::<DescribeIface>().unwrap() {
        let obj = imp.create().unwrap();
        let m = obj.methods();
        let ty = imp.type_name();
        facts.push(format!(
            "impl {ty} as Describe key {}\n",
            m.key.call(obj.this()).unwrap()
        ));
        facts.push(match &m.weight_key {
            Some(w) => format!("weight_key {ty} {}\n", w.call(obj.this()).unwrap()),
            None => format!("weight_key {ty} absent\n"),
        });
    }
    facts
}

#[test]
fn the_rust_host_calls_a_cpp_librarys_methods() {
    for v in [1u32, 2, 4] {
        for path in cpp_libs(v) {
            let lib = Library::open(&path).unwrap();
            let live = lib.bind_api::<Live>().unwrap();
            let before = live.live_count.call().unwrap();
            let impls = lib.implementations::<DescribeIface>().unwrap();
            let names: Vec<&str> = impls.iter().map(|i| i.type_name()).collect();
            assert_eq!(names, ["Widget", "Point"], "{}", path.display());
            let s = i32::try_from(v).unwrap();
            for (imp, default) in impls.iter().zip([u64::from(v), point_key(-s, s)]) {
                let mut obj = imp.create().unwrap(); // the C++ constructor
                assert_eq!(obj.type_name(), imp.type_name());
                assert_eq!(obj.methods().key.call(obj.this()).unwrap(), default);
                let (m, this) = obj.split();
                m.set_key.call(this, 0x0102_0304_0506_0708).unwrap();
                assert_eq!(
                    obj.methods().key.call(obj.this()).unwrap(),
                    0x0102_0304_0506_0708
                );
                let widget = imp.type_name() == "Widget";
                // 1.2's method: only 2.0's Widget has it (the weight, an f64).
                match &obj.methods().weight_key {
                    Some(w) => {
                        assert!(widget && v == 4);
                        assert_eq!(w.call(obj.this()).unwrap(), 4.5f64.to_bits());
                    }
                    None => assert!(!(widget && v == 4)),
                }
                // The C++ sample's own method, on its Widget only.
                assert_eq!(obj.methods().relabel.is_some(), widget);
                if widget {
                    let (m, this) = obj.split();
                    m.relabel.as_ref().unwrap().call(this, "renamed").unwrap();
                }
            }
            assert_eq!(
                live.live_count.call().unwrap(),
                before,
                "every value made through an implementation was dropped by the library"
            );
        }
    }
}

/// A throwing C++ method, 10,000 times, then a normal one: every exception
/// is an error naming the method with its message, nothing unwinds into
/// Rust, and the library (and the value) stay usable.
#[test]
fn a_cpp_exception_in_a_method_reaches_the_rust_host_as_an_error_and_the_library_stays_usable() {
    for path in cpp_libs(1) {
        let lib = Library::open(&path).unwrap();
        let impls = lib.implementations::<DescribeIface>().unwrap();
        let widget = impls.iter().find(|i| i.type_name() == "Widget").unwrap();
        let mut obj = widget.create().unwrap();
        for i in 0..rounds() {
            let (m, this) = obj.split();
            let err = m.relabel.as_ref().unwrap().call(this, "").unwrap_err();
            assert!(
                matches!(err.error(), Error::Call { function, panicked: true, .. } if function == "relabel"),
                "{err}"
            );
            if i == 0 {
                assert_eq!(
                    err.to_string(),
                    format!(
                        "`relabel` threw: a label is never empty (in widgets 1.0.0 ({}); the panic was caught)",
                        path.display()
                    )
                );
            }
        }
        let (m, this) = obj.split();
        m.relabel.as_ref().unwrap().call(this, "fine").unwrap();
        let (m, this) = obj.split();
        m.set_key.call(this, 77).unwrap();
        assert_eq!(obj.methods().key.call(obj.this()).unwrap(), 77);
    }
}

/// `cpp/src/interfaces_host.cpp`, built once with g++ (and clang++ where
/// installed) and linked with the C API.
fn interfaces_hosts() -> &'static [PathBuf] {
    static BUILT: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = resilient_testkit::scratch_dir("interfaces-host");
        let src = resilient_testkit::workspace_root()
            .join("cpp")
            .join("src")
            .join("interfaces_host.cpp");
        let mut hosts = Vec::new();
        for cxx in ["g++", "clang++"] {
            if cxx == "clang++" && !have(cxx) {
                println!("clang++ not installed: the interfaces host is built with g++ only");
                continue;
            }
            let exe = dir.join(format!("interfaces-host-{cxx}"));
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

#[test]
fn the_cpp_host_calls_rust_and_cpp_libraries_methods_with_the_rust_hosts_values_and_messages() {
    let rounds = rounds().to_string();
    for host in interfaces_hosts() {
        let mut libs = vec![
            (rust_lib(1), 1, false),
            (rust_lib(2), 2, false),
            (rust_lib(4), 4, false),
        ];
        for v in [1, 2, 4] {
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
            // The values each library's code gives: a widget's key is its
            // identifier (the version number by default), a point's its
            // coordinates ((0, 0) in Rust, (-v, v) in C++); 2.0's widget
            // has weight_key, its weight's bits.
            let s = i32::try_from(v).unwrap();
            let point = if cpp { point_key(-s, s) } else { 0 };
            let weight = if v == 4 {
                4.5f64.to_bits().to_string()
            } else {
                "absent".into()
            };
            for fact in [
                format!("impl Widget as Describe key {v}\n"),
                format!("impl Point as Describe key {point}\n"),
                format!("weight_key Widget {weight}\n"),
                "weight_key Point absent\n".into(),
            ] {
                assert!(text.contains(&fact), "expected {fact:?} in:\n{text}");
            }
            // And what the Rust host reads of the same library.
            for fact in rust_host_facts(&lib) {
                assert!(text.contains(&fact), "expected {fact:?} in:\n{text}");
            }
            assert!(text.contains("\nimplementations 2\n"), "{text}");
            // The receiver of one type refused on another's method.
            assert!(
                text.contains("\nrefused: `key` (parameter 1): the value belongs to another type, library or version than the function takes\n"),
                "{text}"
            );
            if cpp {
                // The same throwing call from the Rust host, for its message.
                let rust = Library::open(&lib).unwrap();
                let impls = rust.implementations::<DescribeIface>().unwrap();
                let mut obj = impls[0].create().unwrap();
                let (m, this) = obj.split();
                let threw = m.relabel.as_ref().unwrap().call(this, "").unwrap_err();
                assert!(text.contains(&format!("\nthrew: {threw}\n")), "{text}");
            } else {
                assert!(!text.contains("threw"), "{text}");
            }
            // set_key and the copy on both types; on the C++ Widget, the
            // exception and the call after it.
            let checks = if cpp { 6 } else { 4 };
            assert_eq!(text.matches(" ok\n").count(), checks, "{text}");
            assert!(text.ends_with("verdict compatible\n"), "{text}");
        }
    }
}

/// Under memcheck, where installed: the C++ host's implementations,
/// methods, values and caught exceptions leak nothing (each handle freed
/// once, each message by its library) and touch no freed or uninitialised
/// memory.
#[test]
fn the_cpp_interfaces_host_leaks_nothing_under_memcheck() {
    if !have("valgrind") {
        println!("SKIPPED: valgrind not installed");
        return;
    }
    let host = &interfaces_hosts()[0];
    for lib in [rust_lib(4), cpp_lib(4).to_path_buf()] {
        let out = Command::new("valgrind")
            .args([
                "-q",
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
            ])
            .arg(host)
            .arg(&lib)
            .arg("200")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(
            text.contains("implementations 2\nverdict compatible"),
            "{text}"
        );
    }
}

interface! {
    #[allow(dead_code, reason = "bound to be refused")]
    pub struct KeyU32 = "widgets"::"Describe" { pub key: Func<fn(This) -> u32> }
}
interface! {
    #[allow(dead_code, reason = "bound to be refused")]
    pub struct SetKeyF32 = "widgets"::"Describe" { pub set_key: Func<fn(ThisMut, f32)> }
}
interface! {
    #[allow(dead_code, reason = "bound to be refused")]
    pub struct SetKeyShared = "widgets"::"Describe" { pub set_key: Func<fn(This, u64)> }
}
interface! {
    #[allow(dead_code, reason = "bound to be refused")]
    pub struct NeedsWeightKey = "widgets"::"Describe" { pub weight_key: Func<fn(This) -> u64> }
}
interface! {
    #[allow(dead_code, reason = "bound to be refused")]
    pub struct Gadgets = "gadgets"::"Describe" { pub key: Func<fn(This) -> u64> }
}

const REFUSALS: &str = r#"#include <cstdio>
#include "resilient/client.hpp"
// argv[1]: a widgets 1.0 library. Each declaration it does not satisfy is
// refused; printed. The program fails if anything is accepted that must not be.
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
    rsl::Library lib = rsl::Library::open(argv[1]);
    refused("a retyped result", [&] {
        rsl::Interface d("widgets", "Describe");
        d.method<std::uint32_t(rsl::This)>("key");
        lib.implementations(d);
    });
    refused("a retyped parameter", [&] {
        rsl::Interface d("widgets", "Describe");
        d.method<void(rsl::ThisMut, float)>("set_key");
        lib.implementations(d);
    });
    refused("a receiver passed otherwise", [&] {
        rsl::Interface d("widgets", "Describe");
        d.method<void(rsl::This, std::uint64_t)>("set_key");
        lib.implementations(d);
    });
    refused("a missing method", [&] {
        rsl::Interface d("widgets", "Describe");
        d.method<std::uint64_t(rsl::This)>("weight_key");
        lib.implementations(d);
    });
    refused("another module", [&] {
        rsl::Interface d("gadgets", "Describe");
        d.method<std::uint64_t(rsl::This)>("key");
        lib.implementations(d);
    });
    refused("a reference without its type's name", [&] {
        rsl::Interface d("widgets", "Describe");
        d.method<bool(rsl::This, rsl::Ref)>("same");
    });
    refused("a method of another declaration", [&] {
        rsl::Interface a("widgets", "Describe"), b("widgets", "Describe");
        auto key_a = a.method<std::uint64_t(rsl::This)>("key");
        b.method<std::uint64_t(rsl::This)>("key");
        lib.implementations(b).at(0).method(key_a);
    });
    refused("a method declared after binding", [&] {
        rsl::Interface d("widgets", "Describe");
        auto impls = lib.implementations(d);
        auto key = d.method<std::uint64_t(rsl::This)>("key");
        impls.at(0).method(key);
    });
    refused("an optional method the type lacks", [&] {
        rsl::Interface d("widgets", "Describe");
        auto weight_key = d.optional<std::uint64_t(rsl::This)>("weight_key");
        lib.implementations(d).at(0).method(weight_key);
    });
    {
        rsl::Interface none("widgets", "Nothing");
        std::printf("implementations of Nothing %zu\n", lib.implementations(none).size());
        rsl::Interface bare("widgets", "Describe");
        for (const rsl::Implementation &imp : lib.implementations(bare))
            std::printf("implements Describe: %s\n", imp.type_name().c_str());
    }
    return accepted;
}
"#;

#[test]
fn a_missing_or_retyped_method_is_refused_by_both_hosts_naming_type_interface_method_and_parameter()
{
    let dir = resilient_testkit::scratch_dir("interfaces-refusals");
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
    for lib in [rust_lib(1), cpp_lib(1).to_path_buf()] {
        let (code, text) = output(&exe, &[lib.as_os_str()]);
        assert_eq!(code, Some(0), "{text}");
        let rust = Library::open(&lib).unwrap();
        let origin = format!("widgets 1.0.0 ({})", lib.display());
        // The Rust host's refusals of the same declarations.
        let retyped = rust.implementations::<KeyU32>().unwrap_err().to_string();
        let param = rust.implementations::<SetKeyF32>().unwrap_err().to_string();
        let shared = rust
            .implementations::<SetKeyShared>()
            .unwrap_err()
            .to_string();
        let missing = rust
            .implementations::<NeedsWeightKey>()
            .unwrap_err()
            .to_string();
        let module = rust.implementations::<Gadgets>().unwrap_err().to_string();
        // Each names the type, the interface, the method and the parameter.
        let key_param = if lib == rust_lib(1) { "key" } else { "p1" };
        assert_eq!(
            retyped,
            format!("cannot bind the functions the host calls to {origin}: `Widget` as `Describe`: function `key` returns u64, the client expects u32; `Point` as `Describe`: function `key` returns u64, the client expects u32")
        );
        assert!(
            param.contains(&format!("`Widget` as `Describe`: function `set_key`: parameter 2 (`{key_param}`) is u64, the client passes f32")),
            "{param}"
        );
        assert!(
            shared.contains("`Point` as `Describe`: function `set_key`: parameter 1 (`self`) is &mut Point, the client passes &Point"),
            "{shared}"
        );
        assert!(
            missing.contains("`Widget` as `Describe`: function `weight_key` (fn weight_key(p0: &Widget) -> u64) is missing; `Point` as `Describe`: function `weight_key` (fn weight_key(p0: &Point) -> u64) is missing"),
            "{missing}"
        );
        for line in [
            format!("refused a retyped result: {retyped}\n"),
            format!("refused a retyped parameter: {param}\n"),
            format!("refused a receiver passed otherwise: {shared}\n"),
            format!("refused a missing method: {missing}\n"),
            format!("refused another module: {module}\n"),
            "refused a reference without its type's name: `same`: 1 reference parameter(s), 0 type name(s) given\n".into(),
            "refused a method of another declaration: `key`: a method of another declaration of `Describe`\n".into(),
            "refused a method declared after binding: `key` was declared after `Describe` was bound\n".into(),
            "refused an optional method the type lacks: `Widget` as `Describe` lacks the optional method `weight_key`\n".into(),
            "implementations of Nothing 0\n".into(),
            "implements Describe: Widget\nimplements Describe: Point\n".into(),
        ] {
            assert!(text.contains(&line), "expected {line:?} in:\n{text}");
        }
    }
}

/// The C++ producer writes the implementation records the Rust producer
/// writes for the same implementations: the same interface and type, and
/// for each method the same calling convention, flags, receiver (`self`,
/// `&` or `&mut` of the type), pass codes and identities.
#[test]
fn the_cpp_producer_writes_the_rust_producers_impl_records() {
    for v in [1, 2, 4] {
        let rust = Library::open(rust_lib(v)).unwrap();
        for path in cpp_libs(v) {
            let cpp = Library::open(&path).unwrap();
            let (r, c) = (&rust.module().unwrap().impls, &cpp.module().unwrap().impls);
            let pairs = |impls: &[layout_meta::ImplLayout]| -> Vec<(String, String)> {
                impls
                    .iter()
                    .map(|i| (i.interface.clone(), i.type_name.clone()))
                    .collect()
            };
            assert_eq!(pairs(r), pairs(c), "{}", path.display());
            for (ri, ci) in r.iter().zip(c) {
                for rm in &ri.methods {
                    let cm = ci.method(&rm.name).unwrap_or_else(|| {
                        panic!("{} lacks `{}` of {}", path.display(), rm.name, ri.type_name)
                    });
                    assert_eq!(
                        (cm.abi, cm.flags, signature(cm)),
                        (rm.abi, rm.flags, signature(rm)),
                        "`{}`",
                        rm.name
                    );
                    assert_eq!(cm.params[0].name, "self");
                    layout_meta::compat::bind_function(rm, true, Some(cm)).unwrap();
                    layout_meta::compat::bind_function(cm, true, Some(rm)).unwrap();
                }
            }
        }
    }
    let cpp = Library::open(cpp_lib(1)).unwrap();
    let widget = &cpp.module().unwrap().impls[0];
    let shown: Vec<String> = widget.methods.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "fn key(self: &Widget) -> u64",
            "fn set_key(self: &mut Widget, p1: u64)",
            "fn relabel(self: &mut Widget, p1: &str)",
        ]
    );
    // Fallible exactly when not noexcept (it may throw rsl::Failure).
    use layout_meta::function::fn_flags::FALLIBLE;
    assert_eq!(widget.method("relabel").unwrap().flags, FALLIBLE);
    assert_eq!(widget.method("key").unwrap().flags, 0);
}

/// What cannot be exported as an implementation is refused when the plugin
/// is compiled, with a message that says why.
#[test]
fn export_hpp_refuses_at_compile_time_what_cannot_be_an_implementation() {
    let dir = resilient_testkit::scratch_dir("interfaces-static");
    let prelude = r#"#include <string>
#include "resilient/export.hpp"
struct Gadget { std::uint64_t id = 1; };
struct Widget {
    std::uint64_t id = 1;
    std::uint64_t key() const noexcept { return id; }
    std::uint64_t other() const noexcept { return id; }
    static std::uint64_t make() noexcept { return 1; }
    std::uint64_t shaky() const volatile noexcept { return 1; }
    std::uint64_t moved() && noexcept { return 1; }
    std::vector<std::string> text() const { return {}; }
    bool same(const Gadget &) const noexcept { return true; }
};
RESILIENT_EXPORT_TYPE(Widget, id)
RESILIENT_EXPORT_TYPE(Gadget, id)
"#;
    let cases = [
        (
            "RESILIENT_EXPORT_IMPL(Widget, Describe, make)",
            "(Widget)",
            "((Widget, Describe))",
            "RESILIENT_EXPORT_IMPL takes non-static member functions",
        ),
        (
            "RESILIENT_EXPORT_IMPL(Widget, Describe, shaky)",
            "(Widget)",
            "((Widget, Describe))",
            "RESILIENT_EXPORT_IMPL takes non-static member functions",
        ),
        (
            "RESILIENT_EXPORT_IMPL(Widget, Describe, moved)",
            "(Widget)",
            "((Widget, Describe))",
            "RESILIENT_EXPORT_IMPL takes non-static member functions",
        ),
        (
            "RESILIENT_EXPORT_IMPL(Widget, Describe, text)",
            "(Widget)",
            "((Widget, Describe))",
            "an exported function returns a scalar, void, an exported type by value, std::string or std::vector of numbers",
        ),
        (
            "RESILIENT_EXPORT_IMPL(Widget, Describe, same)",
            "(Widget)",
            "((Widget, Describe))",
            "an implementing type, or a type a method takes by reference, is not listed",
        ),
        (
            "RESILIENT_EXPORT_IMPL(Widget, Describe, key)",
            "(Gadget)",
            "((Widget, Describe))",
            "an implementing type, or a type a method takes by reference, is not listed",
        ),
        (
            "RESILIENT_EXPORT_IMPL(Widget, Describe, key)",
            "(Widget)",
            "((Widget, Describe), (Widget, Describe))",
            "an implementation is listed twice",
        ),
        (
            "struct Plain { std::uint64_t key() const noexcept { return 1; } };\nRESILIENT_EXPORT_IMPL(Plain, Describe, key)",
            "(Widget)",
            "((Plain, Describe))",
            "an implementing type is exported first",
        ),
    ];
    for (i, (imp, types, impls, why)) in cases.iter().enumerate() {
        let src = write(
            &dir,
            &format!("case{i}.cpp"),
            &format!(
                "{prelude}{imp}\nRESILIENT_EXPORT_MODULE_WITH_IMPLS(\"m\", \"1.0.0\", {types}, {impls})\n"
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
    // Two methods of one name: each is a definition of the same records.
    let src = write(
        &dir,
        "twice.cpp",
        &format!("{prelude}RESILIENT_EXPORT_IMPL(Widget, Describe, key, key)\nRESILIENT_EXPORT_MODULE_WITH_IMPLS(\"m\", \"1.0.0\", (Widget), ((Widget, Describe)))\n"),
    );
    let out = Command::new("g++")
        .args(["-std=c++17", "-fsyntax-only", "-I"])
        .arg(include_dir())
        .arg(&src)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a method exported twice compiled");
    // And the cases that must compile: a library with implementations and
    // no functions, a method of a base class, const& and & qualifiers.
    let src = write(
        &dir,
        "good.cpp",
        &format!(
            "{prelude}struct Base {{ std::uint64_t base_key() const noexcept {{ return 3; }} }};\n\
             struct Derived : Base {{ std::uint64_t id = 2; std::uint64_t lref() & noexcept {{ return id; }} std::uint64_t cref() const & {{ return id; }} }};\n\
             RESILIENT_EXPORT_TYPE(Derived, id)\n\
             RESILIENT_EXPORT_IMPL(Widget, Describe, key, other, same)\n\
             RESILIENT_EXPORT_IMPL(Derived, Describe, base_key, lref, cref)\n\
             RESILIENT_EXPORT_MODULE_WITH_IMPLS(\"m\", \"1.0.0\", (Widget, Gadget, Derived), ((Widget, Describe), (Derived, Describe)))\n"
        ),
    );
    let lib = dir.join("libgood.so");
    run(Command::new("g++")
        .args([
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-Wno-invalid-offsetof",
            "-shared",
            "-fPIC",
            "-fvisibility-inlines-hidden",
            "-I",
        ])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&lib));
    let good = Library::open(&lib).unwrap();
    let derived = &good.module().unwrap().impls[1];
    let shown: Vec<String> = derived.methods.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "fn base_key(self: &Derived) -> u64",
            "fn lref(self: &mut Derived) -> u64",
            "fn cref(self: &Derived) -> u64",
        ]
    );
    assert!(good.module().unwrap().functions.is_empty());
}
