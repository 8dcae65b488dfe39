//! One source of truth for compatibility: for every fixture library, every
//! hostile library, and libraries made to sit on each rule of "where
//! metadata may live" (docs/FORMAT.md), the offline reader's verdict
//! (`resilient_offline::Image`, what `resilient check` uses) equals
//! `Library::open`'s, and when both accept, the module layouts are equal
//! (witnesses compared at the same load address).

use std::path::{Path, PathBuf};
use std::process::Command;

use layout_meta::{ModuleLayout, Resilient as _};
use resilient_loader::Library;
use resilient_offline::Image;

use crate::{include_dir, run, write};

/// The layout of the C type `T { uint64_t x; }`, for its fingerprint.
#[derive(layout_meta::Resilient)]
#[resilient(prefix = "agreement_")]
pub struct T {
    pub x: u64,
}

/// A C library of one type `T`, its manifest and descriptor declared with
/// the given qualifiers, flags and witnesses.
struct Case {
    name: &'static str,
    /// What both readers must say.
    accepted: bool,
    /// Before the manifest's declaration (`const`, attributes).
    manifest: &'static str,
    /// Before the descriptor's declaration.
    descriptor: &'static str,
    flags: &'static str,
    witnesses: &'static str,
    /// Code and data the witnesses name.
    extra: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "valid",
        accepted: true,
        manifest: "const",
        descriptor: "const",
        flags: "RSL_FLAG_POD",
        witnesses: "{0, 0, 0}",
        extra: "",
    },
    Case {
        name: "protected-manifest",
        accepted: true,
        manifest: "__attribute__((visibility(\"protected\"))) const",
        descriptor: "const",
        flags: "RSL_FLAG_POD",
        witnesses: "{0, 0, 0}",
        extra: "",
    },
    Case {
        name: "weak-manifest",
        accepted: true,
        manifest: "__attribute__((weak)) const",
        descriptor: "const",
        flags: "RSL_FLAG_POD",
        witnesses: "{0, 0, 0}",
        extra: "",
    },
    Case {
        // The manifest is in the static symbol table only: `dlsym` does not
        // see it (the offline reader used to).
        name: "hidden-manifest",
        accepted: false,
        manifest: "__attribute__((visibility(\"hidden\"))) const",
        descriptor: "const",
        flags: "RSL_FLAG_POD",
        witnesses: "{0, 0, 0}",
        extra: "",
    },
    Case {
        // Writable data, outside RELRO (the offline reader used to read it).
        name: "writable-manifest",
        accepted: false,
        manifest: "",
        descriptor: "const",
        flags: "RSL_FLAG_POD",
        witnesses: "{0, 0, 0}",
        extra: "",
    },
    Case {
        name: "writable-descriptor",
        accepted: false,
        manifest: "const",
        descriptor: "",
        flags: "RSL_FLAG_POD",
        witnesses: "{0, 0, 0}",
        extra: "",
    },
    Case {
        // An exported function as witness: an absolute relocation against
        // a symbol, applied offline to the file's own definition.
        name: "witness-in-code",
        accepted: true,
        manifest: "const",
        descriptor: "const",
        flags: "RSL_FLAG_NEEDS_DROP",
        witnesses: "{T_drop, 0, 0}",
        extra: "void T_drop(void *value) { (void)value; }",
    },
    Case {
        name: "witness-in-data",
        accepted: false,
        manifest: "const",
        descriptor: "const",
        flags: "RSL_FLAG_NEEDS_DROP",
        witnesses: "{(rsl_drop_fn)(const void *)not_code, 0, 0}",
        extra: "static const unsigned char not_code[16] = {0xc3};",
    },
];

fn source(case: &Case) -> String {
    format!(
        r#"#include "resilient/layout.h"
{extra}
static const rsl_field_descriptor fields[] = {{
    {{{{"x", 1}}, 0, {{RSL_KIND_SCALAR, 0, {{"u64", 3}}, 8, 8, 0, 0}}}},
}};
{descriptor} rsl_type_descriptor T_descriptor = {{{flags}, 0, {{"T", 1}}, 8, 8, 8, {fingerprint}ull, 1, fields, {witnesses}}};
static const rsl_type_descriptor *const types[] = {{&T_descriptor}};
{manifest} rsl_manifest resilient_manifest = {{{{'R','S','L','N','T','M','F',0}}, 1, sizeof(rsl_manifest),
    sizeof(rsl_type_descriptor), sizeof(rsl_field_descriptor), 8, RSL_LITTLE_ENDIAN, {{0}},
    {{"agreement", 9}}, {{"1.0.0", 5}}, 1, types}};
"#,
        extra = case.extra,
        descriptor = case.descriptor,
        flags = case.flags,
        fingerprint = T::DESCRIPTOR.fingerprint(),
        witnesses = case.witnesses,
        manifest = case.manifest,
    )
}

fn gcc(dir: &Path, name: &str, source: &str, link: &[&str]) -> PathBuf {
    let src = write(dir, &format!("{name}.c"), source);
    let lib = dir.join(format!("lib{name}.so"));
    run(Command::new("gcc")
        .args(["-shared", "-fPIC", "-O1", "-w", "-I"])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&lib)
        .args(link));
    lib
}

/// Every library the readers are compared on, and whether both must
/// accept it (`None`: whatever they say, they say the same).
fn libraries() -> Vec<(PathBuf, Option<bool>)> {
    let dir = resilient_testkit::scratch_dir("agreement");
    let mut libs: Vec<(PathBuf, Option<bool>)> = resilient_testkit::PLUGINS
        .iter()
        .map(|p| {
            let accepted = !matches!(*p, "corrupt" | "no-manifest");
            (resilient_testkit::plugin(p), Some(accepted))
        })
        .collect();
    for case in CASES {
        libs.push((
            gcc(&dir, case.name, &source(case), &[]),
            Some(case.accepted),
        ));
    }
    // The hostile libraries of `hostile.rs`.
    for (name, identity, extra, _) in crate::hostile::CASES {
        libs.push((
            crate::hostile::build(&dir, name, identity, extra),
            Some(false),
        ));
    }
    // A manifest defined only by a dependency: the loader's `dlsym` finds
    // it there (a foreign manifest), the offline reader not in the file.
    let valid = CASES.iter().find(|c| c.name == "valid").map(source);
    gcc(&dir, "dep", &valid.unwrap_or_default(), &[]);
    let dir_arg = dir.display().to_string();
    libs.push((
        gcc(
            &dir,
            "uses-dep",
            "int uses_dep;\n",
            &["-L", &dir_arg, "-ldep", &format!("-Wl,-rpath,{dir_arg}")],
        ),
        Some(false),
    ));
    // Cut files: refused before loading by both.
    let whole = std::fs::read(resilient_testkit::plugin("widget-v1")).unwrap();
    let cut = dir.join("libcut.so");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    libs.push((cut, Some(false)));
    libs
}

/// The offline verdict, with witnesses and thunks moved to where the loader put the
/// library (`bias`, once the loader told it).
fn offline(path: &Path) -> Result<(ModuleLayout, usize), String> {
    let image = Image::read_library(path).map_err(|e| e.to_string())?;
    let module = image.module().map_err(|e| e.to_string())?;
    Ok((module, image.manifest_address().unwrap_or(0)))
}

fn rebase(mut module: ModuleLayout, bias: usize) -> ModuleLayout {
    for t in &mut module.types {
        for w in [
            &mut t.witnesses.drop,
            &mut t.witnesses.clone,
            &mut t.witnesses.default_init,
        ] {
            if *w != 0 {
                *w = w.wrapping_add(bias);
            }
        }
    }
    for f in &mut module.functions {
        f.thunk = f.thunk.wrapping_add(bias);
    }
    module
}

#[test]
fn offline_verdicts_equal_the_loaders() {
    let mut disagreements = Vec::new();
    let libs = libraries();
    for (path, expected) in &libs {
        let offline = offline(path);
        let loaded = Library::open(path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match (&offline, &loaded) {
            (Ok((module, link_addr)), Ok(lib)) => {
                // Where the loader found the manifest: the same object, by
                // the same path.
                // SAFETY: the library is loaded (by `lib`); we only take the
                // symbol's address.
                let runtime = unsafe {
                    let l = libloading::Library::new(path).unwrap();
                    let s = l.get::<*const u8>(b"resilient_manifest").unwrap();
                    *s as usize
                };
                let rebased = rebase(module.clone(), runtime.wrapping_sub(*link_addr));
                if &rebased != lib.module() {
                    disagreements.push(format!(
                        "{name}: both accept, layouts differ:\n  offline {rebased:?}\n  loader  {:?}",
                        lib.module()
                    ));
                }
            }
            (Err(_), Err(_)) => {}
            (o, l) => disagreements.push(format!(
                "{name}: offline {:?}, loader {:?}",
                o.as_ref().map(|_| "accepts"),
                l.as_ref().map(|_| "accepts").map_err(ToString::to_string)
            )),
        }
        if let Some(expected) = expected {
            if offline.is_ok() != *expected {
                disagreements.push(format!(
                    "{name}: expected {}, offline says {:?}",
                    if *expected { "accepted" } else { "refused" },
                    offline.as_ref().map(|_| "accepts")
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} libraries compared; disagreements:\n{}",
        libs.len(),
        disagreements.join("\n")
    );
}
