//! cpp/include/resilient/layout.h and the Rust records cannot drift: a C
//! program generated from the Rust offset tables prints `sizeof` and
//! `offsetof` of everything, compiled as C99 and as C++17.

use std::process::Command;

use layout_meta::compat::Access;
use layout_meta::format::offsets::{ALL, SIZES};
use layout_meta::format::{flags, kind};
use layout_meta::function::{abi, fn_flags, pass, status};

use crate::{include_dir, pairs, run, write};

/// The header's constants and the Rust ones they must equal.
const CONSTANTS: &[(&str, u32)] = &[
    ("RSL_FLAG_FROZEN", flags::FROZEN),
    ("RSL_FLAG_NEEDS_DROP", flags::NEEDS_DROP),
    ("RSL_FLAG_CLONABLE", flags::CLONABLE),
    ("RSL_FLAG_DEFAULT_INIT", flags::DEFAULT_INIT),
    ("RSL_FLAG_POD", flags::POD),
    ("RSL_FLAG_SEND", flags::SEND),
    ("RSL_FLAG_ENUM", flags::ENUM),
    (
        "RSL_ENUM_TAG_PLAIN",
        layout_meta::format::enum_flags::TAG_PLAIN,
    ),
    (
        "RSL_ENUM_PAYLOAD_PLAIN",
        layout_meta::format::enum_flags::PAYLOAD_PLAIN,
    ),
    ("RSL_KIND_SCALAR", kind::SCALAR),
    ("RSL_KIND_ARRAY", kind::ARRAY),
    ("RSL_KIND_RESILIENT", kind::RESILIENT),
    ("RSL_KIND_OPAQUE", kind::OPAQUE),
    ("RSL_PASS_VALUE", pass::VALUE),
    ("RSL_PASS_REF", pass::REF),
    ("RSL_PASS_MUT", pass::MUT),
    ("RSL_PASS_OPT_REF", pass::OPT_REF),
    ("RSL_PASS_STR", pass::STR),
    ("RSL_PASS_SLICE", pass::SLICE),
    ("RSL_PASS_UNIT", pass::UNIT),
    ("RSL_PASS_OWNED", pass::OWNED),
    ("RSL_PASS_OWNED_STR", pass::OWNED_STR),
    ("RSL_PASS_OWNED_SLICE", pass::OWNED_SLICE),
    ("RSL_ABI_THUNK_V2", abi::THUNK_V2),
    ("RSL_FN_FALLIBLE", fn_flags::FALLIBLE),
    ("RSL_STATUS_OK", status::OK),
    ("RSL_STATUS_FAILED", status::FAILED),
    ("RSL_STATUS_PANICKED", status::PANICKED),
    ("RSL_ACCESS_BY_VALUE", Access::ByValue.code()),
    ("RSL_ACCESS_NESTED", Access::Nested.code()),
    ("RSL_ACCESS_TEXT", Access::Text.code()),
    ("RSL_ACCESS_OPTIONAL_TEXT", Access::OptionalText.code()),
    ("RSL_ACCESS_ELEMENTS", Access::Elements.code()),
    ("RSL_SHAPE_VALUE", layout_meta::accessor::shape::VALUE),
    ("RSL_SHAPE_STR", layout_meta::accessor::shape::STR),
    ("RSL_SHAPE_SLICE", layout_meta::accessor::shape::SLICE),
    (
        "RSL_ACCESSOR_OPTIONAL",
        layout_meta::accessor::accessor_flags::OPTIONAL,
    ),
];

fn program() -> String {
    let mut s = String::from("#include <stdio.h>\n#include <stddef.h>\n#include \"resilient/layout.h\"\nint main(void) {\n");
    for (record, size) in SIZES {
        let _ = size;
        s += &format!("    printf(\"{record} %zu\\n\", sizeof({record}));\n");
    }
    for (record, field, _) in ALL {
        s += &format!("    printf(\"{record}.{field} %zu\\n\", offsetof({record}, {field}));\n");
    }
    for (name, _) in CONSTANTS {
        s += &format!("    printf(\"{name} %zu\\n\", (size_t){name});\n");
    }
    s += "    return 0;\n}\n";
    s
}

fn expected() -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = SIZES.iter().map(|(r, s)| ((*r).to_owned(), *s)).collect();
    v.extend(ALL.iter().map(|(r, f, o)| (format!("{r}.{f}"), *o)));
    v.extend(
        CONSTANTS
            .iter()
            .map(|(n, c)| ((*n).to_owned(), usize::try_from(*c).unwrap())),
    );
    v
}

fn compile_and_run(compiler: &str, std: &str, ext: &str) {
    let dir = resilient_testkit::scratch_dir(&format!("c-header-{compiler}"));
    let src = write(&dir, &format!("sizes.{ext}"), &program());
    let exe = dir.join("sizes");
    run(Command::new(compiler)
        .arg(format!("-std={std}"))
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg("-I")
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&exe));
    let got = pairs(&run(&mut Command::new(&exe)));
    assert_eq!(
        got,
        expected(),
        "{compiler} -std={std} disagrees with the Rust records"
    );
}

#[test]
fn header_matches_rust_records_as_c99() {
    compile_and_run("gcc", "c99", "c");
}

#[test]
fn header_matches_rust_records_as_cpp17() {
    compile_and_run("g++", "c++17", "cpp");
}

#[test]
fn header_matches_rust_records_with_clang_where_installed() {
    if !crate::have("clang") {
        println!("SKIPPED: clang not installed");
        return;
    }
    compile_and_run("clang", "c99", "c");
}
