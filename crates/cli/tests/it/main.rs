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
    // 1.0.0 -> 2.0.0: a major version may break; nothing more is said.
    assert!(!out.contains("promises"), "{out}");
    let (code, json, _) = run(&[p("diff"), &v(1), &v(4), p("--json")]);
    assert_eq!(code, 8);
    let j: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&j, "diff.schema.json");
    assert_eq!(j["status"], 8);
    assert_eq!(
        j["semver"],
        serde_json::json!({ "promises_compatibility": false, "broken": false })
    );
    // 1.0.0 -> 1.1.0 promises compatibility, and keeps it.
    let (code, json, _) = run(&[p("diff"), &v(1), &v(2), p("--json")]);
    assert_eq!(code, 4);
    let j: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&j, "diff.schema.json");
    assert_eq!(
        j["semver"],
        serde_json::json!({ "promises_compatibility": true, "broken": false })
    );
}

/// A copy of a fixture library whose module version `from` is patched to
/// `to` (the same length): a release that breaks what its number promises.
fn with_version(lib: &Path, from: &str, to: &str) -> PathBuf {
    assert_eq!(from.len(), to.len());
    let bytes = std::fs::read(lib).unwrap();
    let at: Vec<usize> = bytes
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from.as_bytes())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "{from} once in {lib:?}");
    let mut patched = bytes;
    patched[at[0]..at[0] + to.len()].copy_from_slice(to.as_bytes());
    let file = resilient_testkit::scratch_dir("cli-semver").join(format!(
        "{}-as-{to}.so",
        lib.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::write(&file, patched).unwrap();
    let (code, out, err) = run(&[p("inspect"), &file]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("module widgets {to}\n")), "{out}");
    file
}

#[test]
fn diff_says_when_a_version_promises_what_the_library_breaks() {
    // 2.0.0's breaking changes, released as 1.3.0 after 1.2.0.
    let (v3, v4) = (plugin("widget-v3"), plugin("widget-v4"));
    let lying = with_version(&v4, "2.0.0", "1.3.0");
    let (code, out, _) = run(&[p("diff"), &v3, &lying]);
    assert_eq!(code, 16, "{out}");
    assert!(out.starts_with("widgets 1.2.0 -> widgets 1.3.0\n"), "{out}");
    assert!(
        out.ends_with(
            "type Widget: breaking\n\
             type Status: breaking\n\
             type fn weight_lb: breaking\n\
             1.3.0 breaks hosts of 1.2.0 although its version promises compatibility: \
             9 breaking changes (Widget, Status, fn weight_lb); release it as 2.0.0, or undo them\n"
        ),
        "{out}"
    );
    let (code, json, _) = run(&[p("diff"), &v3, &lying, p("--json")]);
    assert_eq!(code, 16);
    let j: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&j, "diff.schema.json");
    assert_eq!(j["status"], 16);
    assert_eq!(
        j["semver"],
        serde_json::json!({
            "promises_compatibility": true,
            "broken": true,
            "release_as": "2.0.0",
            "message": "1.3.0 breaks hosts of 1.2.0 although its version promises compatibility: \
                        9 breaking changes (Widget, Status, fn weight_lb); release it as 2.0.0, or undo them",
        })
    );
    // The same changes under 2.0.0: a major version may break.
    let (code, out, _) = run(&[p("diff"), &v3, &v4]);
    assert_eq!(code, 8, "{out}");
    assert!(out.ends_with("type fn weight_lb: breaking\n"), "{out}");
    // Compatible changes under a patch bump keep the promise.
    let (code, _, _) = run(&[p("diff"), &plugin("widget-v1"), &v3]);
    assert_eq!(code, 4);

    // 0.x: a minor bump is a breaking release, a patch bump is not.
    let module = |lib: &Path, version: &str| {
        let mut m = Image::read_library(lib).unwrap().module().unwrap();
        m.version = version.into();
        m
    };
    let diff = |old: &str, new: &str| {
        let (o, n) = (module(&v3, old), module(&v4, new));
        let changes = resilient_cli::diff(&o, &n);
        (
            resilient_cli::diff_status(&o, &n, &changes),
            resilient_cli::diff_text(&o, &n, &changes),
            resilient_cli::diff_json(&o, &n, &changes),
        )
    };
    let (code, text, json) = diff("0.3.1", "0.3.2");
    assert_eq!(code, resilient_cli::status::BROKEN_PROMISE);
    assert!(
        text.ends_with(
            "0.3.2 breaks hosts of 0.3.1 although its version promises compatibility: \
             9 breaking changes (Widget, Status, fn weight_lb); release it as 0.4.0, or undo them\n"
        ),
        "{text}"
    );
    schema::assert_valid(&json, "diff.schema.json");
    assert_eq!(json["semver"]["release_as"], "0.4.0");
    let (code, text, _) = diff("0.3.1", "0.4.0");
    assert_eq!(code, resilient_cli::status::BREAKING);
    assert!(!text.contains("promises"), "{text}");
    // 0.0.x promises nothing from one patch to the next, but a release
    // under the same number promises to be the same.
    assert_eq!(diff("0.0.3", "0.0.4").0, resilient_cli::status::BREAKING);
    let (code, text, _) = diff("0.0.3", "0.0.3");
    assert_eq!(code, resilient_cli::status::BROKEN_PROMISE);
    assert!(text.contains("release it as 0.0.4, or undo them"), "{text}");
    // A pre-release promises nothing.
    assert_eq!(
        diff("1.2.0", "1.3.0-rc.1").0,
        resilient_cli::status::BREAKING
    );
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
    // Its enum view (`enum_view!`), by the enum view rule.
    assert!(out.contains("enum view of `Status`: binds\n"), "{out}");
    let (code, out, _) = run(&[p("check"), &plugin("widget-v4"), p("--consumer"), &host]);
    assert_eq!(code, 8, "{out}");
    // 2.0 removed a case the host reads: refused, naming it.
    assert!(
        out.contains(
            "enum view of `Status`: refused: case `Status::Failed` is missing (`Status` has "
        ),
        "{out}"
    );
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
        // Both record the Status enum view (`enum_view!`,
        // `RSL_ENUM_VIEW`); the Rust host also reads the Job holding one
        // (view of `Job`), which the C++ host does not declare.
        let rust_out: String = rust_out
            .lines()
            .filter(|l| !l.starts_with("view of `Job`"))
            .map(|l| format!("{l}\n"))
            .collect();
        for host in &cpp_hosts {
            let (code, out, err) = run(&[p("check"), &lib, p("--consumer"), host]);
            assert_eq!(code, rust_code, "v{v}: {out}{err}");
            // The same records in another order (the linker's).
            assert_eq!(sorted(&out), sorted(&rust_out), "v{v}");
            assert_eq!(
                out.lines().count(),
                7,
                "two views, an enum view and four functions: {out}"
            );
        }
        match v {
            2 => {
                assert_eq!(rust_code, 0, "{rust_out}");
                assert!(
                    rust_out.contains("enum view of `Status`: binds\n"),
                    "{rust_out}"
                );
            }
            4 => {
                assert_eq!(rust_code, 8, "{rust_out}");
                // The case 2.0 removed, named (the C++ host's line is the
                // same: compared above).
                assert!(
                    rust_out.contains(
                        "enum view of `Status`: refused: case `Status::Failed` is missing"
                    ),
                    "{rust_out}"
                );
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
fn check_json_has_a_verdict_per_need() {
    let dir = resilient_testkit::Build::new(resilient_testkit::Profile::Debug)
        .run(&["resilient-demo-host"]);
    let host = dir.join("widget-host");
    let v4 = plugin("widget-v4");
    let (code, json, err) = run(&[p("check"), &v4, p("--consumer"), &host, p("--json")]);
    assert_eq!((code, err.as_str()), (8, ""));
    let j: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&j, "check.schema.json");
    assert_eq!(j["schema"], "resilient-check/1");
    assert_eq!(j["status"], 8);
    assert_eq!(j["library"]["path"], v4.to_str().unwrap());
    assert_eq!(
        j["library"]["module"],
        serde_json::json!({ "name": "widgets", "version": "2.0.0" })
    );
    assert_eq!(j["consumer"]["path"], host.to_str().unwrap());
    assert_eq!(j["other_modules"], serde_json::json!([]));
    assert!(j.get("message").is_none(), "{j}");
    let need = |kind: &str, name: &str| {
        j["needs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == kind && n["name"] == name)
            .unwrap_or_else(|| panic!("{kind} {name}: {j}"))
            .clone()
    };
    assert_eq!(
        need("function", "weight_lb"),
        serde_json::json!({
            "kind": "function",
            "name": "weight_lb",
            "required": false,
            "verdict": "refused",
            "problems": ["function `weight_lb` returns f32, the client expects f64"],
        })
    );
    assert_eq!(need("view", "Point")["verdict"], "binds");
    assert_eq!(
        need("enum_view", "Status")["problems"][0],
        "case `Status::Failed` is missing (`Status` has `Paused`, `Idle`, `Busy`)"
    );
    let widget = need("view", "Widget");
    assert_eq!(widget["verdict"], "refused");
    assert_eq!(
        widget["problems"][0],
        "field `Widget.weight` is f64, the view expects f32"
    );
    // The text and the JSON say the same.
    let (_, text, _) = run(&[p("check"), &v4, p("--consumer"), &host]);
    for n in j["needs"].as_array().unwrap() {
        let label = match n["kind"].as_str().unwrap() {
            "view" => format!("view of `{}`", n["name"].as_str().unwrap()),
            "enum_view" => format!("enum view of `{}`", n["name"].as_str().unwrap()),
            _ => format!("function `{}`", n["name"].as_str().unwrap()),
        };
        let line = if n["verdict"] == "binds" {
            format!("{label}: binds\n")
        } else {
            let problems: Vec<&str> = n["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            format!("{label}: refused: {}\n", problems.join("; "))
        };
        assert!(text.contains(&line), "{line}{text}");
    }
    let (code, json, _) = run(&[
        p("check"),
        &plugin("widget-v3"),
        p("--consumer"),
        &host,
        p("--json"),
    ]);
    assert_eq!(code, 0);
    let j: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&j, "check.schema.json");
    assert_eq!(j["status"], 0);
    assert!(j["needs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["verdict"] == "binds" && n["problems"] == serde_json::json!([])));
}

/// A binary that records nothing of the module (`/bin/ls`)
/// used to pass with status 0: nothing was checked.
#[test]
fn check_of_a_consumer_that_records_nothing_is_status_3() {
    let lib = plugin("widget-v1");
    let ls = p("/bin/ls");
    let said = "resilient: /bin/ls records no view or function of module `widgets`: \
                nothing was checked\n  \
                pass the host that uses `widgets`: a Rust host records each `view!`, \
                `enum_view!` and `api!` it declares, a C++ host each `RSL_VIEW`, \
                `RSL_ENUM_VIEW` and `RSL_FUNCTION` (section `resilient_views`); C hosts, views \
                made at run time and `interface!` record nothing, so test those by running \
                them against the library\n";
    let (code, out, err) = run(&[p("check"), &lib, p("--consumer"), ls]);
    assert_eq!((code, out.as_str(), err.as_str()), (3, "", said));
    let (code, json, err) = run(&[p("check"), &lib, p("--consumer"), ls, p("--json")]);
    assert_eq!((code, err.as_str()), (3, said));
    let j: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&j, "check.schema.json");
    assert_eq!(j["status"], 3);
    assert_eq!(j["needs"], serde_json::json!([]));
    assert_eq!(
        j["message"].as_str().unwrap(),
        said.strip_prefix("resilient: ")
            .unwrap()
            .strip_suffix('\n')
            .unwrap()
    );

    // A host of another module is told so.
    let module = Image::read_library(&lib).unwrap().module().unwrap();
    let need = |m: &str| layout_meta::needs::ViewNeed {
        module: m.into(),
        type_name: "Gadget".into(),
        frozen: None,
        fields: Vec::new(),
    };
    let report = resilient_cli::check(&module, &[need("gadgets"), need("gizmos")], &[], &[]);
    assert_eq!(resilient_cli::check_status(&report), 3);
    assert_eq!(resilient_cli::check_text(&report), "");
    assert_eq!(
        resilient_cli::nothing_checked(&report, p("host")).unwrap(),
        "host records no view or function of module `widgets`: nothing was checked\n  \
         it records needs of modules `gadgets`, `gizmos`: check it against a library of \
         one of them, or pass the host that uses `widgets`"
    );
    let j = resilient_cli::check_json(&report, &lib, p("host"));
    schema::assert_valid(&j, "check.schema.json");
    assert_eq!(j["other_modules"], serde_json::json!(["gadgets", "gizmos"]));
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
            accessors: Vec::new(),
            enum_info: None,
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
        out.contains("use resilient_types::{api, enum_view, interface, view, Elems, ElemsOf, Field, Func, In, InMut, Nested, OptText, Out, OwnedSlice, OwnedStr, Str, Text, This, ThisMut};"),
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

/// `gen rust LIB Widget` declares the views `WidgetView` refers to
/// (`Nested<PointView>`), as the full output declares them: a filtered
/// `gen` used to name a `PointView` it did not declare.
#[test]
fn gen_rust_of_some_types_declares_the_views_they_nest() {
    let lib = plugin("widget-v3");
    let (code, all, _) = run(&[p("gen"), p("rust"), &lib]);
    assert_eq!(code, 0);
    let block = |out: &str, view: &str| -> Option<String> {
        let start = out.find(&format!("view! {{\n    /// `{view}` of module"))?;
        let len = out[start..].find("\n}\n")? + 3;
        Some(out[start..start + len].to_owned())
    };
    let (widget, point) = (
        block(&all, "Widget").unwrap(),
        block(&all, "Point").unwrap(),
    );
    assert!(
        widget.contains("pub origin: Nested<PointView>,"),
        "{widget}"
    );

    let (code, out, _) = run(&[p("gen"), p("rust"), &lib, p("Widget")]);
    assert_eq!(code, 0);
    assert_eq!(block(&out, "Widget").as_ref(), Some(&widget), "{out}");
    assert_eq!(block(&out, "Point").as_ref(), Some(&point), "{out}");
    assert!(
        out.contains("use resilient_types::{view, Field, Nested};\n"),
        "{out}"
    );
    assert!(
        !out.contains("api!") && !out.contains("interface!"),
        "{out}"
    );
    // Point nests nothing: it comes alone.
    let (code, out, _) = run(&[p("gen"), p("rust"), &lib, p("Point")]);
    assert_eq!(code, 0);
    assert_eq!(block(&out, "Point").as_ref(), Some(&point), "{out}");
    assert_eq!(block(&out, "Widget"), None, "{out}");

    // A type the module lacks is an error, not an empty file.
    let (code, out, err) = run(&[p("gen"), p("rust"), &lib, p("Circle")]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "resilient: cannot generate: module `widgets` has no type \"Circle\" (it has `Widget`, `Point`, `Status`, `Job`, `Profile`, `Level`)\n"
    );
    let (code, _, err) = run(&[p("gen"), p("cpp"), &lib, p("Circle")]);
    assert_eq!(code, 1);
    assert!(err.contains("has no type \"Circle\""), "{err}");
}

/// Nesting is followed transitively, in the module's order; types not
/// reached are left out.
#[test]
fn gen_rust_follows_nested_types_transitively() {
    use layout_meta::{FieldLayout, Identity, ModuleLayout, TypeLayout, WitnessAddrs};
    let ty = |name: &str, nests: Option<&str>| TypeLayout {
        name: name.into(),
        flags: 0,
        size: 8,
        align: 8,
        stride: 8,
        fingerprint: 0,
        fields: vec![FieldLayout {
            name: "inner".into(),
            offset: 0,
            identity: match nests {
                Some(n) => Identity::Resilient {
                    name: n.into(),
                    size: 8,
                    align: 8,
                },
                None => Identity::Scalar {
                    name: "u64".into(),
                    size: 8,
                    align: 8,
                },
            },
        }],
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: None,
    };
    let module = ModuleLayout {
        name: "shapes".into(),
        version: "1.0.0".into(),
        types: vec![
            ty("Point", None),
            ty("Unrelated", Some("Point")),
            ty("Centre", Some("Point")),
            ty("Circle", Some("Centre")),
        ],
        functions: Vec::new(),
        impls: Vec::new(),
    };
    let out = resilient_cli::gen_rust(&module, &["Circle".into()]).unwrap();
    let views: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("    pub struct "))
        .collect();
    assert_eq!(
        views,
        [
            "PointView = \"shapes\"::\"Point\" {",
            "CentreView = \"shapes\"::\"Centre\" {",
            "CircleView = \"shapes\"::\"Circle\" {",
        ],
        "{out}"
    );
}

#[test]
fn inspect_shows_interface_implementations() {
    let lib = plugin("widget-v3");
    let (code, out, _) = run(&[p("inspect"), &lib]);
    assert_eq!(code, 0);
    assert!(
        out.ends_with(
            "\nimplementations\n\
             \x20 impl Describe for Widget\n\
             \x20   fn key(self: &Widget) -> u64\n\
             \x20   fn set_key(self: &mut Widget, key: u64)\n\
             \x20   fn weight_key(self: &Widget) -> u64\n\
             \x20 impl Describe for Point\n\
             \x20   fn key(self: &Point) -> u64\n\
             \x20   fn set_key(self: &mut Point, key: u64)\n"
        ),
        "{out}"
    );
    let (code, json, _) = run(&[p("inspect"), &lib, p("--json")]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid(&v, "inspect.schema.json");
    let impls = v["impls"].as_array().unwrap();
    let summary: Vec<(&str, &str, Vec<&str>)> = impls
        .iter()
        .map(|i| {
            (
                i["interface"].as_str().unwrap(),
                i["type"].as_str().unwrap(),
                i["methods"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["signature"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Describe",
                "Widget",
                vec![
                    "fn key(self: &Widget) -> u64",
                    "fn set_key(self: &mut Widget, key: u64)",
                    "fn weight_key(self: &Widget) -> u64"
                ]
            ),
            (
                "Describe",
                "Point",
                vec![
                    "fn key(self: &Point) -> u64",
                    "fn set_key(self: &mut Point, key: u64)"
                ]
            ),
        ]
    );
    let set_key = &impls[1]["methods"][1];
    assert_eq!(set_key["params"][0]["pass"], "&mut");
    assert_eq!(set_key["params"][0]["type"]["name"], "Point");
    assert_eq!(set_key["params"][1]["display"], "u64");
    assert_eq!(set_key["return"]["pass"], "()");
    assert_eq!(set_key["fallible"], false);
    // A module without implementations: an empty list, no section.
    let (_, out, _) = run(&[p("inspect"), &plugin("prefixed")]);
    assert!(!out.contains("implementations"), "{out}");
}

/// `diff` reports implementations added and removed, and methods removed
/// from one, under the implementation; the JSON kinds are the schema's.
#[test]
fn diff_reports_implementations() {
    let v3 = Image::read_library(&plugin("widget-v3"))
        .unwrap()
        .module()
        .unwrap();
    let mut fewer = v3.clone();
    fewer.version = "2.0.0".into();
    fewer.impls.retain(|i| i.type_name != "Point");
    fewer.impls[0].methods.retain(|m| m.name != "weight_key");
    let changes = resilient_cli::diff(&v3, &fewer);
    let text = resilient_cli::diff_text(&v3, &fewer, &changes);
    assert_eq!(
        text,
        "widgets 1.2.0 -> widgets 2.0.0\n  \
         breaking    impl Describe for Widget: fn weight_key  function-removed\n  \
         breaking    impl Describe for Point  impl-removed\n\
         type impl Describe for Widget: fn weight_key: breaking\n\
         type impl Describe for Point: breaking\n"
    );
    let j = resilient_cli::diff_json(&v3, &fewer, &changes);
    schema::assert_valid(&j, "diff.schema.json");
    let back = resilient_cli::diff(&fewer, &v3);
    let j = resilient_cli::diff_json(&fewer, &v3, &back);
    schema::assert_valid(&j, "diff.schema.json");
    let kinds: Vec<&str> = j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["impl-added", "function-added"]);
}

/// A Rust host's enum views as this test binary records them: one built
/// against a `Status` whose `Busy.load` was an `f64` (widgets has an `f32`:
/// a retyped payload), beside the generated frozen `Level` view
/// (`gen_rust`'s declarations are compiled into this binary too).
#[allow(dead_code, unreachable_pub, reason = "recorded, not bound")]
mod wide_load {
    resilient_types::enum_view! {
        /// `Status` with an `f64` load.
        pub enum WideLoadCase: WideLoadView = "widgets"::"Status" {
            Idle,
            Busy(WideBusy { jobs: resilient_types::Field<u32>, load: resilient_types::Field<f64> }),
        }
    }
}

/// `check` checks enum views, Rust (`enum_view!`) and C++
/// (`RSL_ENUM_VIEW`) alike, by `compat::bind_enum_view`: a retyped payload
/// field is refused naming it, a frozen view binds to its frozen enum, and
/// a library without the enum is refused naming it.
#[test]
fn check_reports_a_retyped_payload_of_rust_and_cpp_enum_views() {
    let v3 = plugin("widget-v3");
    let module = Image::read_library(&v3).unwrap().module().unwrap();
    let level = module.get("Level").unwrap();
    assert!(level.is_frozen());
    let rust_host = std::env::current_exe().unwrap();
    let scratch = resilient_testkit::scratch_dir("check-enum-consumers");
    let source = scratch.join("enum_consumer.cpp");
    std::fs::write(
        &source,
        format!(
            r#"#include "resilient/client.hpp"
RSL_ENUM_VIEW(wide_load, "widgets", "Status",
              rsl::enum_case("Idle"),
              rsl::enum_case("Busy"), rsl::payload<std::uint32_t>("jobs"), rsl::payload<double>("load"));
RSL_ENUM_VIEW(level_view, "widgets", "Level", rsl::frozen({:#x}ull),
              rsl::enum_case("Low"), rsl::enum_case("Normal"),
              rsl::enum_case("High"), rsl::payload<std::uint16_t>("boost"));
int main() {{ return 0; }}
"#,
            level.fingerprint
        ),
    )
    .unwrap();
    let cpp_host = scratch.join("enum-consumer-cpp");
    let out = Command::new("g++")
        .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(
            resilient_testkit::workspace_root()
                .join("cpp")
                .join("include"),
        )
        .arg(&source)
        .arg("-o")
        .arg(&cpp_host)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let retyped = "enum view of `Status`: refused: field `Status::Busy.load` is f32, \
                   the view expects f64\n";
    for host in [&rust_host, &cpp_host] {
        let (code, out, err) = run(&[p("check"), &v3, p("--consumer"), host]);
        assert_eq!(code, 8, "{}: {out}{err}", host.display());
        assert!(out.contains(retyped), "{}: {out}", host.display());
        assert!(
            out.contains("enum view of `Level`: binds\n"),
            "{}: {out}",
            host.display()
        );
        // 1.1 has no `Level`: refused, naming it.
        let (code, out, _) = run(&[p("check"), &plugin("widget-v2"), p("--consumer"), host]);
        assert_eq!(code, 8, "{out}");
        assert!(
            out.contains("enum view of `Level`: refused: type `Level` is missing\n"),
            "{}: {out}",
            host.display()
        );
        // `--json`: the kind is `enum_view`.
        let (_, json, _) = run(&[p("check"), &v3, p("--consumer"), host, p("--json")]);
        let j: Value = serde_json::from_str(&json).unwrap();
        schema::assert_valid(&j, "check.schema.json");
        let levels: Vec<&Value> = j["needs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["name"] == "Level")
            .collect();
        assert!(!levels.is_empty(), "{json}");
        for n in levels {
            assert_eq!(n["kind"], "enum_view", "{json}");
            assert_eq!(n["verdict"], "binds", "{json}");
        }
    }
    // The C++ consumer records exactly its two enum views.
    let (_, out, _) = run(&[p("check"), &v3, p("--consumer"), &cpp_host]);
    assert_eq!(out.lines().count(), 2, "{out}");
}
