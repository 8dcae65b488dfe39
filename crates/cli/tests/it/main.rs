//! The `resilient` tool against the fixture plugins: real output, exit
//! statuses, JSON checked against the shipped schemas, one-line errors, and
//! random or mutated files that must never make it panic.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod gen_cpp;
mod gen_rust;
mod schema;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proptest::prelude::*;
use resilient_offline::{Expect, Image};
use serde_json::Value;

fn plugin(name: &str) -> PathBuf {
    resilient_testkit::plugin(name)
}

fn resilient(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_resilient"))
        .args(args)
        .output()
        .unwrap()
}

fn run(args: &[&Path]) -> (i32, String, String) {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|p| p.as_os_str()).collect();
    let out = resilient(&args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn p(s: &str) -> &Path {
    Path::new(s)
}

/// The library's own `<Type>_<field>_offset` symbols, read by loading it.
fn symbol(lib: &Path, name: &str) -> usize {
    // SAFETY: the fixtures' initialisers are harmless; the symbol is a
    // `usize` static exported by the derive.
    unsafe {
        let l = libloading::Library::new(lib).unwrap();
        let s = l.get::<*const usize>(name.as_bytes()).unwrap();
        **s
    }
}

#[test]
fn inspect_prints_every_field_with_the_librarys_own_offsets() {
    let lib = plugin("widget-v2");
    let (code, out, _) = run(&[p("inspect"), &lib]);
    assert_eq!(code, 0);
    assert!(out.starts_with("module widgets 1.1.0\n"), "{out}");
    assert!(out.contains("type Widget  size 64  align 8"), "{out}");
    let (code, json, _) = run(&[p("inspect"), &lib, p("--json")]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&v, "inspect.schema.json");
    let widget = v["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Widget")
        .unwrap();
    let fields = widget["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 7, "v2 exports 7 fields");
    for f in fields {
        let name = f["name"].as_str().unwrap();
        let offset = usize::try_from(f["offset"].as_u64().unwrap()).unwrap();
        assert_eq!(
            offset,
            symbol(&lib, &format!("Widget_{name}_offset")),
            "{name}"
        );
        // The table shows the same offset on the field's row.
        assert!(
            out_row(&out, name).contains(&format!(" {offset} ")),
            "{name}: {out}"
        );
    }
    assert_eq!(
        widget["size"].as_u64().unwrap(),
        symbol(&lib, "Widget_size") as u64
    );
}

fn out_row<'a>(out: &'a str, field: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with(&format!("{field} ")))
        .unwrap_or("")
}

#[test]
fn diff_classifies_and_exits_like_abidiff() {
    let v = |n: u32| plugin(&format!("widget-v{n}"));
    let (code, out, _) = run(&[p("diff"), &v(1), &v(1)]);
    assert_eq!((code, out.contains("no change")), (0, true), "{out}");
    let (code, out, _) = run(&[p("diff"), &v(1), &v(2)]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("field-added      color"), "{out}");
    assert!(out.contains("type Widget: compatible"), "{out}");
    let (code, out, _) = run(&[p("diff"), &v(1), &v(3)]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("align-changed    8 -> 64"), "{out}");
    let (code, out, _) = run(&[p("diff"), &v(1), &v(4)]);
    assert_eq!(code, 8, "{out}");
    assert!(out.contains("field-resized    weight: f32 -> f64"), "{out}");
    assert!(out.contains("field-removed    flags"), "{out}");
    assert!(out.contains("type Widget: breaking"), "{out}");
    let (code, json, _) = run(&[p("diff"), &v(1), &v(4), p("--json")]);
    assert_eq!(code, 8);
    let j: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&j, "diff.schema.json");
    assert_eq!(j["status"], 8);
}

#[test]
fn check_reads_the_consumers_recorded_views() {
    // The demo host records its views (widgets 1.0's Widget and Point).
    let dir = resilient_testkit::Build::new(resilient_testkit::Profile::Debug)
        .run(&["resilient-demo-host"]);
    let host = dir.join("widget-host");
    let (code, out, _) = run(&[p("check"), &plugin("widget-v3"), p("--consumer"), &host]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("view of `Widget`: binds"), "{out}");
    let (code, out, _) = run(&[p("check"), &plugin("widget-v4"), p("--consumer"), &host]);
    assert_eq!(code, 8, "{out}");
    assert!(
        out.contains("field `Widget.weight` is f64, the view expects f32"),
        "{out}"
    );
    assert!(
        out.contains("field `Widget.flags` (u16) is missing"),
        "{out}"
    );
    // The functions it calls (its `api!` records), by the run-time rule.
    assert!(
        out.contains(
            "function `weight_lb`: refused: function `weight_lb` returns f32, the client expects f64"
        ),
        "{out}"
    );
    assert!(out.contains("function `widget_id`: binds"), "{out}");
    let (code, out, _) = run(&[p("check"), &plugin("widget-v1"), p("--consumer"), &host]);
    assert_eq!(code, 0, "{out}");
    // Optional, and absent from 1.0: it binds (to nothing).
    assert!(out.contains("function `weight_lb`: binds"), "{out}");
}

/// A C++ host records its needs as a Rust host does: `cpp/src/host.cpp`
/// declares the demo host's views and functions with `RSL_VIEW` and
/// `RSL_FUNCTION`, and `check` gives it exactly the demo host's verdicts
/// (and exit status) for every version: 1.1 binds, 2.0 is refused naming
/// the field and the function.
#[test]
fn check_reads_a_cpp_hosts_recorded_needs_as_a_rust_hosts() {
    let dir = resilient_testkit::Build::new(resilient_testkit::Profile::Debug)
        .run(&["resilient-demo-host"]);
    let rust_host = dir.join("widget-host");
    let scratch = resilient_testkit::scratch_dir("check-cpp-host");
    let root = resilient_testkit::workspace_root();
    let mut cpp_hosts = Vec::new();
    for cxx in ["g++", "clang++"] {
        if cxx == "clang++" && Command::new(cxx).arg("--version").output().is_err() {
            continue;
        }
        let exe = scratch.join(format!("widget-host-cpp-{cxx}"));
        let out = Command::new(cxx)
            .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(root.join("cpp").join("include"))
            .arg(root.join("cpp").join("src").join("host.cpp"))
            .arg("-o")
            .arg(&exe)
            .arg(resilient_testkit::capi_staticlib())
            .args(resilient_testkit::CAPI_NATIVE_LIBS)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        cpp_hosts.push(exe);
    }
    let sorted = |text: &str| {
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort_unstable();
        lines.join("\n")
    };
    for v in 1..=4 {
        let lib = plugin(&format!("widget-v{v}"));
        let (rust_code, rust_out, _) = run(&[p("check"), &lib, p("--consumer"), &rust_host]);
        for host in &cpp_hosts {
            let (code, out, err) = run(&[p("check"), &lib, p("--consumer"), host]);
            assert_eq!(code, rust_code, "v{v}: {out}{err}");
            // The same records in another order (the linker's).
            assert_eq!(sorted(&out), sorted(&rust_out), "v{v}");
            assert_eq!(
                out.lines().count(),
                6,
                "two views and four functions: {out}"
            );
        }
        match v {
            2 => assert_eq!(rust_code, 0, "{rust_out}"),
            4 => {
                assert_eq!(rust_code, 8, "{rust_out}");
                assert!(
                    rust_out.contains("field `Widget.weight` is f64, the view expects f32"),
                    "{rust_out}"
                );
                assert!(
                    rust_out.contains(
                        "function `weight_lb`: refused: function `weight_lb` returns f32, the client expects f64"
                    ),
                    "{rust_out}"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn gen_prints_views_a_consumer_can_use() {
    let (code, out, _) = run(&[p("gen"), p("rust"), &plugin("widget-v1"), p("Widget")]);
    assert_eq!(code, 0);
    assert!(
        out.contains("pub struct WidgetView = \"widgets\"::\"Widget\" {"),
        "{out}"
    );
    assert!(out.contains("pub origin: Nested<PointView>,"), "{out}");
    assert!(out.contains("pub tags: Field<[u8; 4]>,"), "{out}");
    assert!(
        !out.contains("PointView = "),
        "only the type asked for: {out}"
    );
    let (code, out, _) = run(&[p("gen"), p("cpp"), &plugin("widget-v1")]);
    assert_eq!(code, 0);
    assert!(
        out.contains("view.field<::std::uint64_t>(\"id\");"),
        "{out}"
    );
    assert!(
        out.contains("view.nested(\"origin\", \"Point\", true);"),
        "{out}"
    );
    assert!(
        out.contains("    ::rsl::Field<::std::uint64_t> id;"),
        "{out}"
    );
}

#[test]
fn bad_input_is_one_line_and_a_nonzero_status() {
    let dir = resilient_testkit::scratch_dir("cli-errors");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let truncated = dir.join("libtruncated.so");
    let bytes = std::fs::read(plugin("widget-v1")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    for (file, needle) in [
        (text, "not a shared library"),
        (truncated, "libtruncated.so"),
        (plugin("no-manifest"), "no `resilient_manifest` symbol"),
        (plugin("corrupt"), "outside the library image"),
        (dir.join("missing.so"), "missing.so"),
    ] {
        let (code, out, err) = run(&[p("inspect"), &file]);
        assert_eq!(code, 1, "{file:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(needle), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = run(&[p("diff"), p("only-one")]);
    assert_eq!(code, 2, "usage errors exit 2: {err}");
}

fn read_all(path: &Path, bytes: &[u8]) {
    for expect in [Expect::SharedObject, Expect::Binary] {
        if let Ok(img) = Image::parse(path, bytes, expect) {
            let _ = img.module();
            let _ = img.views();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        read_all(p("random.so"), &bytes);
    }

    #[test]
    fn mutated_libraries_never_panic(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<bool>()), 1..16)) {
        static LIB: std::sync::OnceLock<(Vec<u8>, usize)> = std::sync::OnceLock::new();
        let (orig, magic) = LIB.get_or_init(|| {
            let b = std::fs::read(plugin("widget-v1")).unwrap();
            let m = b.windows(8).position(|w| w == layout_meta::MAGIC).unwrap();
            (b, m)
        });
        let mut bytes = orig.clone();
        for (at, byte, near_manifest) in edits {
            // Half the edits hit the manifest's neighbourhood, half anywhere.
            let i = if near_manifest { magic + at.index(512) } else { at.index(bytes.len()) };
            if let Some(b) = bytes.get_mut(i) {
                *b = byte;
            }
        }
        read_all(p("mutated.so"), &bytes);
    }
}

#[test]
fn gen_refuses_names_that_are_not_identifiers() {
    use layout_meta::{FieldLayout, Identity, ModuleLayout, TypeLayout, WitnessAddrs};
    let module = |field: &str| ModuleLayout {
        name: "m".into(),
        version: "1.0.0".into(),
        types: vec![TypeLayout {
            name: "T".into(),
            flags: 0,
            size: 8,
            align: 8,
            stride: 8,
            fingerprint: 0,
            fields: vec![FieldLayout {
                name: field.into(),
                offset: 0,
                identity: Identity::Scalar {
                    name: "u64".into(),
                    size: 8,
                    align: 8,
                },
            }],
            witnesses: WitnessAddrs::default(),
        }],
        functions: Vec::new(),
        impls: Vec::new(),
    };
    let hostile =
        "x: Field<u64>, } } pub fn injected() { } view! { pub struct Z = \"m\"::\"T\" { pub y";
    for (name, rust_ok, cpp_ok) in [
        ("id", true, true),
        (hostile, false, false),
        // A Rust keyword is written raw (`r#type`), which `view!` binds to
        // the field `type`; `self` cannot be raw.
        ("type", true, true),
        ("self", false, true),
        ("class", true, false),
        ("9lives", false, false),
        ("naïve", false, false),
    ] {
        let m = module(name);
        assert_eq!(resilient_cli::gen_rust(&m, &[]).is_ok(), rust_ok, "{name}");
        assert_eq!(
            resilient_cli::gen_cpp(&m, &[], &[]).is_ok(),
            cpp_ok,
            "{name}"
        );
    }
    let raw = resilient_cli::gen_rust(&module("type"), &[]).unwrap();
    assert!(raw.contains("pub r#type: Field<u64>,"), "{raw}");
    let err = resilient_cli::gen_rust(&module(hostile), &[]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot generate rust: the name \"x: Field<u64>"),
        "{err}"
    );
}

#[test]
fn a_failed_write_is_status_1_and_a_closed_pipe_keeps_the_status() {
    let full = std::fs::File::create("/dev/full").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_resilient"))
        .args([p("inspect"), &plugin("widget-v1")])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdout>"));

    // `diff` of a breaking change into a pipe closed at once: still 8.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_resilient"))
        .args([p("diff"), &plugin("widget-v1"), &plugin("widget-v4")])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(8));
}

#[test]
fn functions_are_inspected_diffed_and_generated() {
    let (v1, v2, v4) = (
        plugin("widget-v1"),
        plugin("widget-v2"),
        plugin("widget-v4"),
    );
    let (code, out, _) = run(&[p("inspect"), &v2]);
    assert_eq!(code, 0);
    assert!(out.contains("\nfunctions\n"), "{out}");
    assert!(out.contains("  fn weight_lb(w: &Widget) -> f64\n"), "{out}");
    assert!(
        out.contains("  fn parse_id(text: &str) -> u64  (fallible)\n"),
        "{out}"
    );
    let (_, json, _) = run(&[p("inspect"), &v2, p("--json")]);
    let v: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&v, "inspect.schema.json");
    let f = v["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "rename")
        .unwrap();
    assert_eq!(f["params"][0]["pass"], "&mut");
    assert_eq!(f["params"][1]["display"], "&str");

    // 1.0 -> 1.1 adds a function (compatible); 1.1 -> 2.0 changes its
    // result (breaking, naming it).
    let (_, out, _) = run(&[p("diff"), &v1, &v2]);
    assert!(out.contains("fn weight_lb"), "{out}");
    let (code, out, _) = run(&[p("diff"), &v2, &v4, p("--json")]);
    assert_eq!(code, 8);
    let v: Value = serde_json::from_str(&out).unwrap();
    let changed = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "function-changed")
        .unwrap();
    assert_eq!(changed["type"], "fn weight_lb");
    assert_eq!(changed["severity"], "breaking");
    assert!(
        changed["detail"].as_str().unwrap().contains("return"),
        "{changed}"
    );

    let (_, out, _) = run(&[p("gen"), p("rust"), &v2]);
    assert!(
        out.contains("pub rename: Func<fn(InMut<WidgetView>, Str)>,"),
        "{out}"
    );
    assert!(
        out.contains("pub weight_lb: Func<fn(In<WidgetView>) -> f64>,"),
        "{out}"
    );
    // Each interface the module's types implement, as `interface!`: 2.0's
    // Widget has `weight_key`, its Point does not, so it is optional.
    let (_, out, _) = run(&[p("gen"), p("rust"), &v4]);
    assert!(
        // Exactly the names the declarations use.
        out.contains("use resilient_types::{api, interface, view, Field, Func, In, InMut, Nested, Out, Str, This, ThisMut};"),
        "{out}"
    );
    assert!(
        out.contains(
            "    pub struct DescribeIface = \"widgets\"::\"Describe\" {\n        \
             pub key: Func<fn(This) -> u64>,\n        \
             pub set_key: Func<fn(ThisMut, u64)>,\n        \
             /// Not every implementation has it.\n        \
             pub weight_key: Option<Func<fn(This) -> u64>>,\n    }"
        ),
        "{out}"
    );
    // Only when every type is generated.
    let (_, out, _) = run(&[p("gen"), p("rust"), &v4, p("Widget")]);
    assert!(
        !out.contains("interface!") && !out.contains("api!"),
        "{out}"
    );
}
