//! A real cdylib exports the scalar symbols in its dynamic symbol table, and
//! a C program that declares `extern const size_t Widget_size;` (and the
//! rest), linked against it, reads the numbers the Rust side reports. The
//! C++ export macro exports every symbol the readers require beside each
//! descriptor (docs/FORMAT.md, "Symbols").

use std::collections::BTreeMap;
use std::process::Command;

use resilient_loader::Library;

use crate::{pairs, run, write};

const FIELDS: &[&str] = &["id", "weight", "flags", "tags", "origin", "active"];

fn scalar_symbols() -> Vec<String> {
    let mut v = vec!["Widget_size".to_owned(), "Widget_align".to_owned()];
    v.extend(FIELDS.iter().map(|f| format!("Widget_{f}_offset")));
    v.extend(
        [
            "Point_size",
            "Point_align",
            "Point_x_offset",
            "Point_y_offset",
        ]
        .map(String::from),
    );
    v
}

#[test]
fn cdylib_exports_the_symbols_dynamically() {
    let lib = resilient_testkit::plugin("widget-v1");
    let table = run(Command::new("nm").args(["-D", "--defined-only"]).arg(&lib));
    let defined: Vec<&str> = table
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    let mut wanted = scalar_symbols();
    wanted.extend(
        [
            "Widget_descriptor",
            "Point_descriptor",
            "resilient_manifest",
        ]
        .map(String::from),
    );
    for s in wanted {
        assert!(
            defined.contains(&s.as_str()),
            "{s} is not in the dynamic symbol table of {}",
            lib.display()
        );
    }
}

#[test]
fn a_c_program_reads_the_numbers_the_rust_side_reports() {
    let lib = resilient_testkit::plugin("widget-v1");
    let dir = resilient_testkit::scratch_dir("c-symbols");
    let mut src = String::from("#include <stdio.h>\n#include <stddef.h>\n");
    for s in scalar_symbols() {
        src += &format!("extern const size_t {s};\n");
    }
    src += "int main(void) {\n";
    for s in scalar_symbols() {
        src += &format!("    printf(\"{s} %zu\\n\", {s});\n");
    }
    src += "    return 0;\n}\n";
    let c = write(&dir, "read.c", &src);
    let exe = dir.join("read");
    let libdir = lib.parent().unwrap();
    run(Command::new("gcc")
        .args(["-std=c99", "-Wall", "-Werror"])
        .arg(&c)
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", libdir.display()))
        .arg("-lwidget_v1")
        .arg(format!("-Wl,-rpath,{}", libdir.display())));
    // Without cargo's LD_LIBRARY_PATH, which lists target/debug/deps, where
    // a workspace build leaves its own libwidget_v1.so (perhaps older than
    // the fixture): the program loads the library it was linked with.
    let from_c: BTreeMap<String, usize> =
        pairs(&run(Command::new(&exe).env_remove("LD_LIBRARY_PATH")))
            .into_iter()
            .collect();

    // The Rust side: the validated manifest of the same library.
    let module = Library::open(&lib).unwrap().module().unwrap().clone();
    let mut from_rust = BTreeMap::new();
    for ty in ["Widget", "Point"] {
        let t = module.get(ty).unwrap();
        from_rust.insert(format!("{ty}_size"), t.size);
        from_rust.insert(format!("{ty}_align"), t.align);
        for f in &t.fields {
            from_rust.insert(format!("{ty}_{}_offset", f.name), f.offset);
        }
    }
    assert_eq!(from_c, from_rust, "C reads what the Rust side reports");
    assert!(from_c["Widget_size"] > 0);
}

/// Every C++ sample library (g++ and clang++) exports its descriptors under
/// `<Type>_descriptor` and a `<Type>_<field>_offset` symbol for every
/// exported field, so both readers accept it.
#[test]
fn the_cpp_export_macro_exports_every_symbol_beside_the_descriptor() {
    for lib in crate::cross_language::all_cpp_libs() {
        let module = Library::open(lib)
            .and_then(|l| l.module().cloned())
            .unwrap_or_else(|e| panic!("{e}"));
        let offline = resilient_offline::Image::read_library(lib)
            .and_then(|i| i.module())
            .unwrap_or_else(|e| panic!("{e}"));
        // The same layouts (witnesses aside: link-time addresses offline).
        let shape = |m: &layout_meta::ModuleLayout| -> Vec<_> {
            m.types
                .iter()
                .map(|t| (t.name.clone(), t.size, t.align, t.fields.clone()))
                .collect()
        };
        assert_eq!(shape(&offline), shape(&module), "{}", lib.display());
        let table = run(Command::new("nm").args(["-D", "--defined-only"]).arg(lib));
        let defined: Vec<&str> = table
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2))
            .collect();
        for t in &module.types {
            let mut wanted = vec![
                format!("{}_size", t.name),
                format!("{}_align", t.name),
                format!("{}_descriptor", t.name),
            ];
            wanted.extend(
                t.fields
                    .iter()
                    .map(|f| format!("{}_{}_offset", t.name, f.name)),
            );
            for s in wanted {
                assert!(
                    defined.contains(&s.as_str()),
                    "{s} not exported by {}",
                    lib.display()
                );
            }
        }
    }
}
