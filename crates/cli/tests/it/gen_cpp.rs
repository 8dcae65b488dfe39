//! `resilient gen cpp` end to end: the header it prints for the fixture
//! plugins is compiled into C++ hosts (`-Wall -Wextra -Werror`) linked with
//! the C API, and run against Rust and C++ libraries of several versions.
//!
//! Regression: the header used to read the raw `<Type>_<field>_offset`
//! symbols with no validation and no type check, so a host generated from
//! 1.0 read half of `weight` once 2.0 retyped it to `f64`, and read a
//! `bool` by `memcpy` whatever its byte. Now every access goes through the
//! C++ client's checked tokens, after the Rust binder's verdict.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use layout_meta::function::pass;
use layout_meta::{
    FieldLayout, FunctionLayout, Identity, ImplLayout, ModuleLayout, ParamLayout, TypeLayout,
    WitnessAddrs,
};

use crate::plugin;

/// Runs a command that must succeed; returns its stdout.
fn run_ok(cmd: &mut Command) -> String {
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

fn include_dir() -> PathBuf {
    resilient_testkit::workspace_root()
        .join("cpp")
        .join("include")
}

/// `resilient gen cpp LIB args...`, which must succeed.
fn gen_cpp(lib: &Path, args: &[&str]) -> String {
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_resilient"))
            .args(["gen", "cpp"])
            .arg(lib)
            .args(args),
    )
}

/// Compiles `main` (including the generated `header` as "generated.hpp")
/// into a host linked with the C API's static library.
fn host(dir: &Path, name: &str, header: &str, main: &str) -> PathBuf {
    std::fs::write(dir.join("generated.hpp"), header).unwrap();
    let src = dir.join(format!("{name}.cpp"));
    std::fs::write(&src, main).unwrap();
    let exe = dir.join(name);
    run_ok(
        Command::new("g++")
            .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(include_dir())
            .arg("-I")
            .arg(dir)
            .arg(&src)
            .arg("-o")
            .arg(&exe)
            .arg(resilient_testkit::capi_staticlib())
            .args(resilient_testkit::CAPI_NATIVE_LIBS),
    );
    exe
}

/// The C++ sample libraries `cpp/src/widget_v{1,2,4}.cpp`, built once.
fn cpp_lib(v: u32) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = resilient_testkit::scratch_dir("gen-cpp-plugins");
        let src = resilient_testkit::workspace_root().join("cpp").join("src");
        for v in [1, 2, 4] {
            run_ok(
                Command::new("g++")
                    .args([
                        "-std=c++17",
                        "-O1",
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
                    .arg(src.join(format!("widget_v{v}.cpp")))
                    .arg("-o")
                    .arg(dir.join(format!("libcppwidget_v{v}.so"))),
            );
        }
        dir
    });
    dir.join(format!("libcppwidget_v{v}.so"))
}

/// A host built against widgets 1.0's generated header: binds `Widget` and
/// `Point`, reads every field, writes and reads back, and shows that a
/// `bool` holding the byte 2 is refused, not read.
/// Exit: 0 compatible, 1 a check failed, 3 refused.
const HOST_V1: &str = r#"#include <cstdio>
#include "generated.hpp"

static int failures = 0;
static void check(const char *name, bool ok) {
    std::printf("check %s %s\n", name, ok ? "ok" : "FAIL");
    if (!ok) ++failures;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    try {
        ::rsl::Library lib = ::rsl::Library::open(argv[1]);
        ::rsl::Bound w = lib.bind(Widget_view());
        WidgetFields f = Widget_fields(w);
        ::rsl::Bound p = lib.bind(Point_view());
        PointFields pf = Point_fields(p);
        {
            ::rsl::Value v(w);
            auto t = v.get(f.tags);
            std::printf("read id=%llu weight=%g flags=0x%04x tags=%c%c%c%c active=%d\n",
                        static_cast<unsigned long long>(v.get(f.id)), v.get(f.weight), v.get(f.flags), t[0], t[1],
                        t[2], t[3], v.get(f.active));
            v.set(f.id, std::uint64_t{0x0102030405060708ull});
            v.set(f.weight, 0.25f);
            v.set(f.flags, std::uint16_t{0x2122});
            v.set(f.active, false);
            check("id", v.get(f.id) == 0x0102030405060708ull);
            check("weight", v.get(f.weight) == 0.25f);
            check("flags", v.get(f.flags) == 0x2122);
            check("active", v.get(f.active) == false);
            // A byte that is no bool: the old accessor's memcpy read it.
            v.data()[f.active.offset] = 2;
            try {
                bool b = v.get(f.active);
                std::printf("bool read %d\n", static_cast<int>(b));
                ++failures;
            } catch (const ::rsl::Error &e) {
                std::printf("bool refused: %s\n", e.what());
            }
            v.data()[f.active.offset] = 1;
            check("active-restored", v.get(f.active) == true);
        }
        {
            RSL_DYNAMIC_LOCAL(pt, p);
            pt.set(pf.x, std::int32_t{-7});
            pt.set(pf.y, std::int32_t{9});
            std::printf("point x=%d y=%d\n", pt.get(pf.x), pt.get(pf.y));
        }
    } catch (const ::rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        return 3;
    }
    std::printf(failures ? "verdict broken\n" : "verdict compatible\n");
    return failures ? 1 : 0;
}
"#;

fn run_host(exe: &Path, lib: &Path) -> (Option<i32>, String) {
    let out = Command::new(exe).arg(lib).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// The host generated from 1.0 (built once).
fn host_v1() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let dir = resilient_testkit::scratch_dir("gen-cpp-v1");
        let header = gen_cpp(&plugin("widget-v1"), &[]);
        host(&dir, "host_v1", &header, HOST_V1)
    })
}

#[test]
fn generated_header_binds_and_reads_through_the_client() {
    for (lib, v) in [
        (plugin("widget-v1"), 1),
        (cpp_lib(1), 1),
        // 1.1 added and moved fields: the 1.0 header still reads them.
        (plugin("widget-v2"), 2),
    ] {
        let (code, text) = run_host(host_v1(), &lib);
        assert_eq!(code, Some(0), "{}: {text}", lib.display());
        assert!(
            text.contains(&format!(
                "read id={v} weight={v}.5 flags=0x0{v}0{v} tags=v{v}v{v} active=1\n"
            )),
            "{text}"
        );
        assert_eq!(text.matches(" ok\n").count(), 5, "{text}");
        assert!(
            text.contains("bool refused: field `Widget.active`: the bytes are not a valid bool\n"),
            "{text}"
        );
        assert!(text.contains("point x=-7 y=9\n"), "{text}");
        assert!(text.ends_with("verdict compatible\n"), "{text}");
    }
}

#[test]
fn accessors_generated_from_1_0_refuse_a_retyped_field() {
    // Regression: the 1.0 header read `Widget_weight_offset` and memcpy'd
    // four bytes of what 2.0 made an f64. It reads no symbol now ...
    let header = gen_cpp(&plugin("widget-v1"), &[]);
    for raw in ["extern \"C\"", "_offset", "memcpy", "unsigned char *"] {
        assert!(!header.contains(raw), "{raw} in:\n{header}");
    }
    // ... and the host it makes is refused at bind, in the Rust binder's
    // words, before reading anything, by Rust and C++ libraries alike.
    // (The Rust 2.0 also removed `flags`; the C++ one kept it.)
    for (lib, rust) in [(plugin("widget-v4"), true), (cpp_lib(4), false)] {
        let (code, text) = run_host(host_v1(), &lib);
        assert_eq!(code, Some(3), "{}: {text}", lib.display());
        assert!(
            text.contains("refused: cannot bind view of `Widget`"),
            "{text}"
        );
        assert!(
            text.contains("field `Widget.weight` is f64, the view expects f32"),
            "{text}"
        );
        assert_eq!(
            text.contains("field `Widget.flags` (u16) is missing"),
            rust,
            "{text}"
        );
        assert!(!text.contains("read "), "nothing read: {text}");
    }
}

/// A host built against widgets 1.0's generated enum declarations: binds
/// `Status_view()` and `Job_view()` (its `status` read through the enum's
/// view, nested), reads a job's case and payload, builds a `Failed` through
/// the library and sets it with `set_job_status`, which `gen cpp` no longer
/// leaves out for taking an enum.
/// Exit: 0, 1 a check failed, 3 refused.
const HOST_ENUMS: &str = r#"#include <cinttypes>
#include <cstdio>
#include "generated.hpp"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    try {
        ::rsl::Library lib = ::rsl::Library::open(argv[1]);
        ::rsl::Bound s = lib.bind(Status_view());
        ::rsl::Bound j = lib.bind(Job_view());
        JobFields jf = Job_fields(j);
        ::rsl::Nested st = j.nested("status");
        StatusPayloads np = Status_payloads(st.bound());
        Api api = Api_bind(lib);
        ::rsl::Value job(j);
        if (st.bound().case_of(job.nested(st)) != StatusCases::Busy) return 1;
        std::printf("job %" PRIu32 " busy jobs=%" PRIu32 "\n", job.get(jf.id), job.nested(st).get(np.Busy.jobs));
        ::rsl::Value failed = s.make(StatusCases::Failed, std::int64_t{-3});
        api.set_job_status(job, failed);
        std::size_t c = st.bound().case_of(job.nested(st));
        std::printf("after set: %s 0=%" PRId64 "\n", st.bound().case_name(c).c_str(), job.nested(st).get(np.Failed._0));
    } catch (const ::rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        return 3;
    }
    return 0;
}
"#;

#[test]
fn generated_enum_views_bind_read_and_build_through_the_client() {
    let dir = resilient_testkit::scratch_dir("gen-cpp-enums");
    let header = gen_cpp(&plugin("widget-v1"), &[]);
    for line in [
        "inline ::rsl::EnumView Status_view() {\n",
        "    view.add_case(\"Idle\");\n",
        "    view.add_case(\"Busy\", {::rsl::payload<::std::uint32_t>(\"jobs\")});\n",
        "    view.add_case(\"Failed\", {::rsl::payload<::std::int64_t>(\"0\")});\n",
        "    static constexpr ::std::size_t Failed = 2;\n",
        "        ::rsl::Field<::std::int64_t> _0;\n",
        "    view.nested(\"status\", Status_view(), true);\n",
        "    ::rsl::Function<void(::rsl::Mut, ::rsl::Ref)> set_job_status;\n",
        "        api.function<void(::rsl::Mut, ::rsl::Ref)>(\"set_job_status\", {\"Job\", \"Status\"}),\n",
    ] {
        assert!(header.contains(line), "{line:?} in:\n{header}");
    }
    assert!(!header.contains("no enum views"), "{header}");
    let exe = host(&dir, "host_enums", &header, HOST_ENUMS);
    for (lib, v) in [
        (plugin("widget-v1"), 1),
        (cpp_lib(1), 1),
        // 1.1 added `Paused` and grew `Busy`: the 1.0 header still reads it.
        (plugin("widget-v2"), 2),
        (cpp_lib(2), 2),
    ] {
        let (code, text) = run_host(&exe, &lib);
        assert_eq!(
            (code, text.as_str()),
            (
                Some(0),
                format!("job {v} busy jobs={v}\nafter set: Failed 0=-3\n").as_str()
            ),
            "{}",
            lib.display()
        );
    }
    // 2.0 removed `Failed`: refused at bind, naming it, by Rust and C++
    // libraries alike.
    for lib in [plugin("widget-v4"), cpp_lib(4)] {
        let (code, text) = run_host(&exe, &lib);
        assert_eq!(code, Some(3), "{text}");
        assert!(
            text.ends_with(
                "case `Status::Failed` is missing (`Status` has `Paused`, `Idle`, `Busy`)\n"
            ),
            "{text}"
        );
    }
}

/// A host generated from 1.2 with its new fields optional.
const HOST_V3: &str = r#"#include <cstdio>
#include <string>
#include "generated.hpp"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    try {
        ::rsl::Library lib = ::rsl::Library::open(argv[1]);
        ::rsl::Bound w = lib.bind(Widget_view());
        WidgetFields f = Widget_fields(w);
        ::rsl::Value v(w);
        std::printf("id=%llu scale=%s serial=%s color=%s\n", static_cast<unsigned long long>(v.get(f.id)),
                    f.scale ? std::to_string(v.get(*f.scale)).c_str() : "absent",
                    f.serial ? std::to_string(v.get(*f.serial)[0]).c_str() : "absent",
                    f.color ? std::to_string(v.get(*f.color)).c_str() : "absent");
    } catch (const ::rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        return 3;
    }
    return 0;
}
"#;

#[test]
fn optional_fields_bind_against_older_libraries() {
    let dir = resilient_testkit::scratch_dir("gen-cpp-v3");
    let header = gen_cpp(
        &plugin("widget-v3"),
        &[
            "Widget",
            "--optional",
            "Widget.serial",
            "--optional",
            "Widget.scale",
            "--optional",
            "Widget.color",
        ],
    );
    assert!(
        header.contains("view.optional<double>(\"scale\");"),
        "{header}"
    );
    assert!(
        header.contains("::std::optional<::rsl::Field<::std::array<::std::uint64_t, 4>>> serial;"),
        "{header}"
    );
    assert!(!header.contains("Point_view"), "only Widget: {header}");
    let exe = host(&dir, "host_v3", &header, HOST_V3);
    for (lib, want) in [
        (
            plugin("widget-v3"),
            "id=3 scale=0.500000 serial=3 color=3355443\n",
        ),
        (
            plugin("widget-v1"),
            "id=1 scale=absent serial=absent color=absent\n",
        ),
        (cpp_lib(1), "id=1 scale=absent serial=absent color=absent\n"),
    ] {
        let (code, text) = run_host(&exe, &lib);
        assert_eq!((code, text.as_str()), (Some(0), want), "{}", lib.display());
    }
    // A field that does not exist cannot be made optional.
    let out = Command::new(env!("CARGO_BIN_EXE_resilient"))
        .args(["gen", "cpp"])
        .arg(plugin("widget-v1"))
        .args(["--optional", "Widget.nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"Widget.nope\""),
        "{out:?}"
    );
    // Nor does Rust take the flag.
    let out = Command::new(env!("CARGO_BIN_EXE_resilient"))
        .args(["gen", "rust"])
        .arg(plugin("widget-v1"))
        .args(["--optional", "Widget.id"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

fn scalar(name: &str, size: usize) -> Identity {
    Identity::Scalar {
        name: Identity::scalar_name(name),
        size,
        align: size,
    }
}

fn field(name: &str, identity: Identity) -> FieldLayout {
    FieldLayout {
        name: name.into(),
        offset: 0,
        identity,
    }
}

#[test]
fn hostile_module_and_type_names_stay_inside_escaped_literals() {
    let hostile = "m\"); system(\"rm -rf /\"); /* \\\n ??/ */ //";
    let module = ModuleLayout {
        name: hostile.into(),
        version: "1.0.0\"\n#error injected".into(),
        types: vec![
            TypeLayout {
                name: "T".into(),
                flags: layout_meta::flags::FROZEN,
                size: 64,
                align: 16,
                stride: 64,
                fingerprint: 0x1234,
                fields: vec![
                    // Names that would shadow what the generated code uses.
                    field("rsl", scalar("u64", 8)),
                    field("std", scalar("u8", 1)),
                    field("bound", scalar("bool", 1)),
                    field("fields", scalar("char", 4)),
                    field("t", scalar("i16", 2)),
                    field("view", scalar("f64", 8)),
                    field("TFields", scalar("u32", 4)),
                    field(
                        "grid",
                        Identity::Array {
                            element: Box::new(Identity::Array {
                                element: Box::new(scalar("i8", 1)),
                                count: 2,
                                size: 2,
                                align: 1,
                            }),
                            count: 3,
                            size: 6,
                            align: 1,
                        },
                    ),
                    // No C++ type in the client: left out, with a comment.
                    field("wide", scalar("u128", 16)),
                    field("len", scalar("usize", 8)),
                    field(
                        "opaque",
                        Identity::Opaque {
                            name: "X */ #error injected\n".into(),
                            size: 1,
                            align: 1,
                        },
                    ),
                    field(
                        "inner",
                        Identity::Resilient {
                            name: hostile.into(),
                            size: 8,
                            align: 8,
                        },
                    ),
                ],
                witnesses: WitnessAddrs::default(),
                accessors: Vec::new(),
                enum_info: None,
            },
            // Nothing read by value: the tokens struct is empty.
            TypeLayout {
                name: "Empty".into(),
                flags: 0,
                size: 16,
                align: 16,
                stride: 16,
                fingerprint: 0,
                fields: vec![field("only", scalar("usize", 8))],
                witnesses: WitnessAddrs::default(),
                accessors: Vec::new(),
                enum_info: None,
            },
        ],
        functions: Vec::new(),
        impls: Vec::new(),
    };
    let header =
        resilient_cli::gen_cpp(&module, &[], &["T.view".into(), "T.inner".into()]).unwrap();
    assert!(!header.contains("system(\""), "{header}");
    assert!(!header.contains("#error"), "{header}");
    assert!(
        header.contains("view.optional<double>(\"view\");"),
        "{header}"
    );
    assert!(
        header.contains("view.nested(\"inner\", \"m\\042\\051\\073 system"),
        "{header}"
    );
    assert!(
        header.contains("view.field<::std::array<::std::array<::std::int8_t, 2>, 3>>(\"grid\");"),
        "{header}"
    );
    assert!(
        header.contains("view.field<char32_t>(\"fields\");"),
        "{header}"
    );
    assert!(
        header.contains("// `wide` (`u128`) is left out"),
        "{header}"
    );
    assert!(
        header.contains("// `opaque` (a type whose name cannot be written here) is left out"),
        "{header}"
    );
    assert!(
        header.contains("fingerprint 0x0000000000001234"),
        "{header}"
    );
    // Every line the generator wrote is still one line of C++: the header
    // compiles, warnings as errors, by each compiler installed.
    let dir = resilient_testkit::scratch_dir("gen-cpp-hostile");
    std::fs::write(dir.join("generated.hpp"), &header).unwrap();
    let src = dir.join("use.cpp");
    std::fs::write(
        &src,
        "#include \"generated.hpp\"\n\
         int use(const ::rsl::Library &lib) {\n\
         ::rsl::Bound b = lib.bind(T_view());\n\
         TFields f = T_fields(b);\n\
         ::rsl::Bound e = lib.bind(Empty_view());\n\
         EmptyFields g = Empty_fields(e);\n\
         static_cast<void>(g);\n\
         return f.view.has_value() ? static_cast<int>(f.rsl.offset + f.TFields.offset) : 0;\n\
         }\n",
    )
    .unwrap();
    for cxx in ["g++", "clang++"] {
        if cxx == "clang++" && Command::new(cxx).arg("--version").output().is_err() {
            continue;
        }
        run_ok(
            Command::new(cxx)
                .args([
                    "-std=c++17",
                    "-fsyntax-only",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-I",
                ])
                .arg(include_dir())
                .arg("-I")
                .arg(&dir)
                .arg(&src),
        );
    }
}

/// A host built against widgets 1.1's generated header: binds its functions
/// (`Api_bind`) and the `Describe` interface (`Describe_interface`), and
/// calls each through the library's thunks.
/// Exit: 0 done, 3 refused.
const HOST_CALLS: &str = r#"#include <cstdio>
#include "generated.hpp"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    try {
        ::rsl::Library lib = ::rsl::Library::open(argv[1]);
        Api api = Api_bind(lib);
        ::rsl::Bound w = lib.bind(Widget_view());
        WidgetFields f = Widget_fields(w);
        ::rsl::Value v(w);
        v.set(f.id, std::uint64_t{0xfeed});
        std::printf("widget_id %llu\n", static_cast<unsigned long long>(api.widget_id(v)));
        std::printf("parse_id %llu\n", static_cast<unsigned long long>(api.parse_id(" 42 ")));
        api.rename(v, "renamed");
        std::printf("label_len %zu\n", static_cast<std::size_t>(api.label_len(v)));
        std::printf("weight_lb %.6f\n", api.weight_lb(v));
        try {
            api.parse_id("4x2");
            std::printf("parse_id accepted 4x2\n");
        } catch (const ::rsl::CallError &e) {
            std::printf("failed: %s\n", e.what());
        }
        DescribeInterface d = Describe_interface();
        for (const ::rsl::Implementation &imp : lib.implementations(d.declaration)) {
            ::rsl::Value x = imp.create();
            imp.method(d.set_key)(x, 7);
            std::printf("%s key %llu\n", imp.type_name().c_str(),
                        static_cast<unsigned long long>(imp.method(d.key)(x)));
        }
    } catch (const ::rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        return 3;
    }
    return 0;
}
"#;

#[test]
fn generated_functions_and_interfaces_are_called_through_the_client() {
    let dir = resilient_testkit::scratch_dir("gen-cpp-calls");
    let header = gen_cpp(&plugin("widget-v2"), &[]);
    for decl in [
        "    ::rsl::Function<::std::uint64_t(::rsl::Ref)> widget_id;\n",
        "    ::rsl::Function<::rsl::usize(::rsl::Ref)> label_len;\n",
        "    ::rsl::Function<void(::rsl::Mut, ::std::string_view)> rename;\n",
        "    ::rsl::Function<double(::rsl::Ref)> weight_lb;\n",
        "        api.function<::std::uint64_t(::rsl::Ref)>(\"widget_id\", {\"Widget\"}),\n",
        "    ::rsl::Method<void(::rsl::ThisMut, ::std::uint64_t)> set_key;\n",
        // Accessor and computed fields (the header compiles them below).
        "    view.field<::rsl::Text>(\"name\"); // through the library's accessors\n",
        "    view.field<::rsl::OptText>(\"nick\"); // through the library's accessors\n",
        "    view.field<::rsl::Elems<::std::uint32_t>>(\"tags\"); // through the library's accessors\n",
        "    view.field<::std::uint32_t>(\"score\"); // computed by the library\n",
        "    ::rsl::Field<::rsl::Text> name;\n",
        "    auto key = declaration.method<::std::uint64_t(::rsl::This)>(\"key\");\n",
    ] {
        assert!(header.contains(decl), "{decl:?} in:\n{header}");
    }
    let exe = host(&dir, "host_calls", &header, HOST_CALLS);
    for lib in [plugin("widget-v2"), cpp_lib(2)] {
        let (code, text) = run_host(&exe, &lib);
        assert_eq!(code, Some(0), "{}: {text}", lib.display());
        let want = format!(
            "widget_id 65261\nparse_id 42\nlabel_len 7\nweight_lb {:.6}\n\
             failed: `parse_id` of widgets 1.1.0 ({}) failed: invalid digit found in string\n\
             Widget key 7\nPoint key 7\n",
            2.5 * 2.204_622_6,
            lib.display()
        );
        assert_eq!(text, want, "{}", lib.display());
    }
    // 1.0 lacks weight_lb, 2.0 retyped it: refused at bind, naming it, by
    // Rust and C++ libraries alike.
    for (lib, why) in [
        (
            plugin("widget-v1"),
            "function `weight_lb` (fn weight_lb(p0: &Widget) -> f64) is missing",
        ),
        (
            cpp_lib(1),
            "function `weight_lb` (fn weight_lb(p0: &Widget) -> f64) is missing",
        ),
        (
            plugin("widget-v4"),
            "function `weight_lb` returns f32, the client expects f64",
        ),
        (
            cpp_lib(4),
            "function `weight_lb` returns f32, the client expects f64",
        ),
    ] {
        let (code, text) = run_host(&exe, &lib);
        assert_eq!(code, Some(3), "{}: {text}", lib.display());
        assert!(
            text.starts_with("refused: cannot bind the functions the host calls to widgets ")
                && text.ends_with(&format!("{why}\n")),
            "{}: {text}",
            lib.display()
        );
    }
}

fn param(pass: u32, identity: Identity) -> ParamLayout {
    ParamLayout {
        name: "p".into(),
        pass,
        identity,
    }
}

fn function(name: &str, params: Vec<ParamLayout>, ret: ParamLayout) -> FunctionLayout {
    FunctionLayout {
        name: name.into(),
        abi: 1,
        flags: 0,
        params,
        ret: ParamLayout {
            name: "return".into(),
            ..ret
        },
        thunk: 0,
    }
}

fn unit() -> ParamLayout {
    param(
        pass::UNIT,
        Identity::Opaque {
            name: "()".into(),
            size: 0,
            align: 1,
        },
    )
}

fn resilient(name: &str) -> Identity {
    Identity::Resilient {
        name: name.into(),
        size: 8,
        align: 8,
    }
}

/// Functions and methods the C++ client cannot declare are left out with a
/// comment, never written as code: names that are keywords or the struct's
/// own, types it cannot pass, methods whose implementations disagree, an
/// interface whose name is no identifier. The rest compiles.
#[test]
fn functions_and_methods_the_client_cannot_declare_are_left_out() {
    let ty = |name: &str| TypeLayout {
        name: name.into(),
        flags: 0,
        size: 8,
        align: 8,
        stride: 8,
        fingerprint: 0,
        fields: vec![field("id", scalar("u64", 8))],
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: None,
    };
    let u64_ = || param(pass::VALUE, scalar("u64", 8));
    let this = |t: &str| param(pass::REF, resilient(t));
    let this_mut = |t: &str| param(pass::MUT, resilient(t));
    let method = |t: &str, name: &str, ret: ParamLayout| function(name, vec![this(t)], ret);
    let module = ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![ty("T"), ty("U")],
        functions: vec![
            function("new", vec![], u64_()),
            function("Api", vec![], unit()),
            function("wide", vec![param(pass::VALUE, scalar("u128", 16))], unit()),
            function("flags", vec![param(pass::SLICE, scalar("bool", 1))], unit()),
            function(
                "ok",
                vec![
                    this("T"),
                    param(pass::OPT_REF, resilient("U")),
                    param(pass::SLICE, scalar("u32", 4)),
                    param(pass::VALUE, scalar("char", 4)),
                    param(pass::VALUE, scalar("usize", 8)),
                ],
                param(pass::VALUE, scalar("bool", 1)),
            ),
        ],
        impls: vec![
            ImplLayout {
                interface: "Shape".into(),
                type_name: "T".into(),
                methods: vec![
                    method("T", "area", u64_()),
                    function("grow", vec![this_mut("T"), u64_()], unit()),
                    method("T", "spin", u64_()),
                    method("T", "declaration", unit()),
                    method("T", "ShapeInterface", unit()),
                ],
            },
            ImplLayout {
                interface: "Shape".into(),
                type_name: "U".into(),
                methods: vec![method("U", "area", u64_()), method("U", "spin", unit())],
            },
            ImplLayout {
                interface: "class".into(),
                type_name: "T".into(),
                methods: vec![method("T", "area", u64_())],
            },
        ],
    };
    let header = resilient_cli::gen_cpp(&module, &[], &[]).unwrap();
    for line in [
        "    // Function \"new\" is left out: its name is no C++ member name here.\n",
        "    // Function \"Api\" is left out: its name is no C++ member name here.\n",
        "    // `wide` is left out: the C++ client cannot pass or return one of its types.\n",
        "    // `flags` is left out: the C++ client cannot pass or return one of its types.\n",
        "    ::rsl::Function<bool(::rsl::Ref, ::rsl::OptRef, ::rsl::Slice<::std::uint32_t>, char32_t, ::rsl::usize)> ok;\n",
        "        api.function<bool(::rsl::Ref, ::rsl::OptRef, ::rsl::Slice<::std::uint32_t>, char32_t, ::rsl::usize)>(\"ok\", {\"T\", \"U\"}),\n",
        "    ::rsl::Method<::std::uint64_t(::rsl::This)> area;\n",
        "    /// Not every implementation has it (Implementation::optional).\n    ::rsl::Method<void(::rsl::ThisMut, ::std::uint64_t)> grow;\n",
        "    auto grow = declaration.optional<void(::rsl::ThisMut, ::std::uint64_t)>(\"grow\");\n",
        "    // `spin` is left out: its implementations give it different signatures.\n",
        "    // Method \"declaration\" is left out: its name is no C++ member name here.\n",
        "    // Method \"ShapeInterface\" is left out: its name is no C++ member name here.\n",
        "    return ShapeInterface{declaration, area, grow};\n",
        "\n// Interface \"class\" is left out: its name is no C++ identifier.\n",
    ] {
        assert!(header.contains(line), "{line:?} in:\n{header}");
    }
    let dir = resilient_testkit::scratch_dir("gen-cpp-calls-edge");
    std::fs::write(dir.join("generated.hpp"), &header).unwrap();
    let src = dir.join("use.cpp");
    std::fs::write(
        &src,
        "#include \"generated.hpp\"\n\
         bool use(const ::rsl::Library &lib) {\n\
         Api api = Api_bind(lib);\n\
         ShapeInterface shape = Shape_interface();\n\
         ::rsl::Bound t = lib.bind(T_view());\n\
         ::rsl::Value v(t);\n\
         const std::uint32_t xs[] = {1, 2};\n\
         for (const ::rsl::Implementation &imp : lib.implementations(shape.declaration))\n\
             if (auto grow = imp.optional(shape.grow)) (*grow)(v, imp.method(shape.area)(v));\n\
         return api.ok(v, nullptr, xs, U'x', 3);\n\
         }\n",
    )
    .unwrap();
    for cxx in ["g++", "clang++"] {
        if cxx == "clang++" && Command::new(cxx).arg("--version").output().is_err() {
            continue;
        }
        run_ok(
            Command::new(cxx)
                .args([
                    "-std=c++17",
                    "-fsyntax-only",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-I",
                ])
                .arg(include_dir())
                .arg("-I")
                .arg(&dir)
                .arg(&src),
        );
    }
}
