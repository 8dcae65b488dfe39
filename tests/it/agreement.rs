//! One source of truth for compatibility: for every fixture library, every
//! hostile library, libraries made to sit on each rule of "where metadata
//! may live" and libraries whose C symbols break the rule of "Symbols"
//! (docs/FORMAT.md), the offline reader's verdict
//! (`resilient_offline::Image`, what `resilient check` uses) equals
//! `Library::open`'s, and when both accept, the module layouts are equal
//! (witnesses, thunks and accessors compared at the same load address).

use std::path::{Path, PathBuf};
use std::process::Command;

use layout_meta::{ModuleLayout, Resilient as _};
use resilient_loader::Library;
use resilient_offline::Image;
use resilient_types::{view, Field, Nested, Value};

use crate::{include_dir, run, write};

/// The layout of the C type `T { uint64_t x; }`, for its fingerprint.
#[derive(layout_meta::Resilient)]
#[resilient(prefix = "agreement_")]
pub struct T {
    pub x: u64,
}

/// The layout of the C type `U { uint64_t y; }`, for its fingerprint.
#[derive(layout_meta::Resilient)]
#[resilient(prefix = "agreement_")]
pub struct U {
    pub y: u64,
}

/// The C symbols of `T` beside its descriptor, all there and right.
const T_SYMBOLS: &str = "const size_t T_size = 8, T_align = 8, T_x_offset = 0;";

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
{T_SYMBOLS}
"#,
        extra = case.extra,
        descriptor = case.descriptor,
        flags = case.flags,
        fingerprint = T::DESCRIPTOR.fingerprint(),
        witnesses = case.witnesses,
        manifest = case.manifest,
    )
}

/// A C library of two types, `T { uint64_t x; }` and `U { uint64_t y; }`,
/// whose C symbols break (or keep) the rule of docs/FORMAT.md, "Symbols".
pub(crate) struct SymbolCase {
    pub(crate) name: &'static str,
    /// The refusal both readers must give: the type, the symbol, and what
    /// the message says of it; `None`: both accept.
    pub(crate) refusal: Option<(&'static str, &'static str, &'static str)>,
    /// Declarations before `T`'s descriptor (its linkage and visibility).
    pub(crate) t_qualifiers: &'static str,
    /// The names `T`'s and `U`'s descriptors are exported under.
    pub(crate) descriptors: (&'static str, &'static str),
    /// The `_size`, `_align` and `_offset` symbols (C definitions).
    pub(crate) symbols: &'static str,
    /// Defined in a dependency the library links (empty: none).
    pub(crate) dependency: &'static str,
}

/// `U`'s C symbols, all there and right (unprefixed).
const U_SYMBOLS: &str = "const size_t U_size = 8, U_align = 8, U_y_offset = 0;";

pub(crate) const SYMBOL_CASES: &[SymbolCase] = &[
    SymbolCase {
        name: "c-symbols-right",
        refusal: None,
        t_qualifiers: "",
        descriptors: ("T_descriptor", "U_descriptor"),
        symbols: "const size_t T_size = 8, T_align = 8, T_x_offset = 0;",
        dependency: "",
    },
    SymbolCase {
        // `T`'s symbols under a prefix, learnt from its descriptor's name.
        name: "c-symbols-prefixed",
        refusal: None,
        t_qualifiers: "",
        descriptors: ("p_T_descriptor", "U_descriptor"),
        symbols: "const size_t p_T_size = 8, p_T_align = 8, p_T_x_offset = 0;",
        dependency: "",
    },
    SymbolCase {
        // (a) C readers would allocate 16 bytes, Rust readers 8.
        name: "c-size-disagrees",
        refusal: Some(("T", "T_size", "holds 16, the descriptor says 8")),
        t_qualifiers: "",
        descriptors: ("T_descriptor", "U_descriptor"),
        symbols: "const size_t T_size = 16, T_align = 8, T_x_offset = 0;",
        dependency: "",
    },
    SymbolCase {
        name: "c-offset-disagrees",
        refusal: Some(("T", "T_x_offset", "holds 4, the descriptor says 0")),
        t_qualifiers: "",
        descriptors: ("T_descriptor", "U_descriptor"),
        symbols: "const size_t T_size = 8, T_align = 8, T_x_offset = 4;",
        dependency: "",
    },
    SymbolCase {
        // (b) A field's offset symbol is missing.
        name: "c-offset-missing",
        refusal: Some(("T", "T_x_offset", "missing")),
        t_qualifiers: "",
        descriptors: ("T_descriptor", "U_descriptor"),
        symbols: "const size_t T_size = 8, T_align = 8;",
        dependency: "",
    },
    SymbolCase {
        // (c) Each descriptor is exported under the other type's name.
        name: "c-descriptors-swapped",
        refusal: Some((
            "T",
            "U_descriptor",
            "the type record is exported under another name than `..T_descriptor`",
        )),
        t_qualifiers: "",
        descriptors: ("U_descriptor", "T_descriptor"),
        symbols: "const size_t T_size = 8, T_align = 8, T_x_offset = 0;",
        dependency: "",
    },
    SymbolCase {
        // The descriptor in the static symbol table only: `dladdr` does
        // not name it.
        name: "c-descriptor-hidden",
        refusal: Some((
            "T",
            "T_descriptor",
            "the type record is not an exported symbol",
        )),
        t_qualifiers: "__attribute__((visibility(\"hidden\")))",
        descriptors: ("T_descriptor", "U_descriptor"),
        symbols: "const size_t T_size = 8, T_align = 8, T_x_offset = 0;",
        dependency: "",
    },
    SymbolCase {
        // The prefix is learnt from the descriptor's name: unprefixed
        // symbols are not its type's.
        name: "c-symbols-unprefixed",
        refusal: Some(("T", "p_T_size", "missing")),
        t_qualifiers: "",
        descriptors: ("p_T_descriptor", "U_descriptor"),
        symbols: "const size_t T_size = 8, T_align = 8, T_x_offset = 0;",
        dependency: "",
    },
    SymbolCase {
        // Writable data, outside RELRO: C readers could read another value
        // later.
        name: "c-size-writable",
        refusal: Some(("T", "T_size", "not in the library's data")),
        t_qualifiers: "",
        descriptors: ("T_descriptor", "U_descriptor"),
        symbols: "size_t T_size = 8; const size_t T_align = 8, T_x_offset = 0;",
        dependency: "",
    },
    SymbolCase {
        // `dlsym` on the library's handle finds `T_size` in a dependency:
        // not the library's own.
        name: "c-size-in-dependency",
        refusal: Some(("T", "T_size", "missing")),
        t_qualifiers: "",
        descriptors: ("T_descriptor", "U_descriptor"),
        symbols: "extern const size_t T_size; const size_t *const uses_dependency = &T_size;
const size_t T_align = 8, T_x_offset = 0;",
        dependency: "const size_t T_size = 8;",
    },
];

fn symbol_case_source(case: &SymbolCase) -> String {
    let field = "{RSL_KIND_SCALAR, 0, {\"u64\", 3}, 8, 8, 0, 0}";
    let (t, u) = case.descriptors;
    format!(
        r#"#include "resilient/layout.h"
static const rsl_field_descriptor t_fields[] = {{{{{{"x", 1}}, 0, {field}}}}};
static const rsl_field_descriptor u_fields[] = {{{{{{"y", 1}}, 0, {field}}}}};
{t_qualifiers} const rsl_type_descriptor {t} = {{RSL_FLAG_POD, 0, {{"T", 1}}, 8, 8, 8, {t_fingerprint}ull, 1, t_fields, {{0, 0, 0}}}};
const rsl_type_descriptor {u} = {{RSL_FLAG_POD, 0, {{"U", 1}}, 8, 8, 8, {u_fingerprint}ull, 1, u_fields, {{0, 0, 0}}}};
static const rsl_type_descriptor *const types[] = {{&{t}, &{u}}};
const rsl_manifest resilient_manifest = {{{{'R','S','L','N','T','M','F',0}}, 1, sizeof(rsl_manifest),
    sizeof(rsl_type_descriptor), sizeof(rsl_field_descriptor), 8, RSL_LITTLE_ENDIAN, {{0}},
    {{"symbols", 7}}, {{"1.0.0", 5}}, 2, types}};
{symbols}
{U_SYMBOLS}
"#,
        t_qualifiers = case.t_qualifiers,
        t_fingerprint = T::DESCRIPTOR.fingerprint(),
        u_fingerprint = U::DESCRIPTOR.fingerprint(),
        symbols = case.symbols,
    )
}

/// Builds the library of `case` (and its dependency) into `dir`.
pub(crate) fn build_symbol_case(dir: &Path, case: &SymbolCase) -> PathBuf {
    let mut link = Vec::new();
    if !case.dependency.is_empty() {
        let dep = format!("{}-dep", case.name);
        gcc(
            dir,
            &dep,
            &format!("#include <stddef.h>\n{}\n", case.dependency),
            &[],
        );
        let d = dir.display().to_string();
        link = vec![
            "-L".to_owned(),
            d.clone(),
            format!("-l{dep}"),
            format!("-Wl,-rpath,{d}"),
        ];
    }
    let link: Vec<&str> = link.iter().map(String::as_str).collect();
    gcc(dir, case.name, &symbol_case_source(case), &link)
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
pub(crate) fn libraries() -> Vec<(PathBuf, Option<bool>)> {
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
    // Libraries whose C symbols keep or break the rule.
    for case in SYMBOL_CASES {
        libs.push((build_symbol_case(&dir, case), Some(case.refusal.is_none())));
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
        if let Some(e) = &mut t.enum_info {
            for w in [&mut e.case_of, &mut e.locate, &mut e.write_case] {
                if *w != 0 {
                    *w = w.wrapping_add(bias);
                }
            }
        }
        for a in &mut t.accessors {
            a.get = a.get.wrapping_add(bias);
            a.set = a.set.wrapping_add(bias);
        }
    }
    let methods = module.impls.iter_mut().flat_map(|i| i.methods.iter_mut());
    for f in module.functions.iter_mut().chain(methods) {
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
        // The whole module: every type checked (`open` checks the
        // manifest, each type is checked when first bound).
        let loaded = Library::open(path).and_then(|lib| {
            lib.module()?;
            Ok(lib)
        });
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
                if lib.module().ok() != Some(&rebased) {
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

view! {
    struct SpotView = "gadgets"::"Spot" { pub x: Field<i32>, pub y: Field<i32> }
}

view! {
    struct GadgetView = "gadgets"::"Gadget" {
        pub id: Field<u64>,
        pub tags: Field<[u8; 4]>,
        pub spot: Nested<SpotView>,
    }
}

/// A library whose C symbols say something else than its descriptors (or
/// lack one) is refused by both readers with the same message, naming the
/// library, the type and the symbol; the loader refuses it as invalid
/// metadata, the validator's `CSymbol` error as the source, and leaves the
/// libraries already loaded as they were.
#[test]
fn c_symbols_that_disagree_are_refused_alike() {
    // Loaded before, bound, with a value: a Rust library whose types have
    // symbol prefixes.
    let gadgets = Library::open(resilient_testkit::plugin("prefixed")).unwrap();
    let g = gadgets.bind::<GadgetView>().unwrap();
    let mut value = Value::new(&g).unwrap();
    value.as_mut().set(g.id, 42);
    let users = gadgets.users();

    let dir = resilient_testkit::scratch_dir("agreement-c-symbols");
    for case in SYMBOL_CASES {
        let lib = build_symbol_case(&dir, case);
        let offline = Image::read_library(&lib).and_then(|i| i.module());
        let loaded = Library::open(&lib).and_then(|lib| lib.module().cloned());
        let Some((ty, symbol, problem)) = case.refusal else {
            let module = offline.unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert_eq!(loaded.unwrap(), module, "{}", case.name);
            continue;
        };
        let offline = offline.unwrap_err();
        let loaded = loaded.unwrap_err();
        let expected = format!(
            "{}: invalid layout metadata: type `{ty}`: symbol `{symbol}` {problem}",
            lib.display()
        );
        assert_eq!(offline.to_string(), expected, "{}", case.name);
        assert_eq!(loaded.to_string(), expected, "{}", case.name);
        let named = |e: &layout_meta::Error| matches!(e, layout_meta::Error::CSymbol { ty: t, symbol: s, .. } if t == ty && s == symbol);
        assert!(
            matches!(&offline, resilient_offline::Error::Invalid { source, .. } if named(source)),
            "{}: {offline:?}",
            case.name
        );
        assert!(
            matches!(&loaded, resilient_loader::Error::InvalidMetadata { source, .. } if named(source)),
            "{}: {loaded:?}",
            case.name
        );
    }

    // Nothing already loaded was disturbed.
    assert_eq!(gadgets.users(), users);
    assert_eq!(value.as_ref().get(g.id), 42);
    let copy = value.try_clone().unwrap();
    assert_eq!(copy.as_ref().get(g.id), 42);
    assert_eq!(
        Library::open(gadgets.path()).unwrap().module().unwrap(),
        gadgets.module().unwrap()
    );
}
