//! The C API as C sees it: `cpp/include/resilient/resilient.h` agrees with
//! the Rust definitions (sizes, offsets, codes), and the C99 host
//! `cpp/src/host.c`, built with `-std=c99 -pedantic -Werror`, reads Rust and
//! C++ libraries (the nested origin through a view of its own, and values
//! the library makes: owned results) and refuses an incompatible one with
//! the Rust binder's exact message.

use std::mem::{offset_of, size_of};
use std::process::Command;
use std::sync::OnceLock;

use resilient::{rsl_expect, rsl_field, rsl_param, rsl_status};
use resilient_loader::Library;

use crate::cross_language::{cpp_lib, rust_lib, WidgetView};
use crate::functions::WidgetFns;
use crate::{have, include_dir, link_capi, pairs, run, write};

/// `name value` pairs a C program prints, and what Rust says they are.
fn layout_expected() -> Vec<(String, usize)> {
    let mut v = vec![
        ("sizeof(rsl_field)".to_owned(), size_of::<rsl_field>()),
        ("rsl_field.binding".into(), offset_of!(rsl_field, binding)),
        ("rsl_field.offset".into(), offset_of!(rsl_field, offset)),
        ("rsl_field.index".into(), offset_of!(rsl_field, index)),
        ("sizeof(rsl_expect)".into(), size_of::<rsl_expect>()),
        ("rsl_expect.kind".into(), offset_of!(rsl_expect, kind)),
        ("rsl_expect.name".into(), offset_of!(rsl_expect, name)),
        ("rsl_expect.size".into(), offset_of!(rsl_expect, size)),
        ("rsl_expect.align".into(), offset_of!(rsl_expect, align)),
        ("rsl_expect.count".into(), offset_of!(rsl_expect, count)),
        ("rsl_expect.element".into(), offset_of!(rsl_expect, element)),
        ("sizeof(rsl_param)".into(), size_of::<rsl_param>()),
        ("rsl_param.pass".into(), offset_of!(rsl_param, pass)),
        ("rsl_param.type".into(), offset_of!(rsl_param, r#type)),
        ("sizeof(rsl_status)".into(), size_of::<rsl_status>()),
        (
            "RSL_EXPECT_SCALAR".into(),
            resilient::RSL_EXPECT_SCALAR as usize,
        ),
        (
            "RSL_EXPECT_ARRAY".into(),
            resilient::RSL_EXPECT_ARRAY as usize,
        ),
        (
            "RSL_EXPECT_NESTED".into(),
            resilient::RSL_EXPECT_NESTED as usize,
        ),
        (
            "RSL_EXPECT_OPAQUE".into(),
            resilient::RSL_EXPECT_OPAQUE as usize,
        ),
        ("RSL_BY_VALUE".into(), resilient::RSL_BY_VALUE as usize),
        ("RSL_NESTED".into(), resilient::RSL_NESTED as usize),
        ("RSL_INLINE_CAP".into(), resilient::RSL_INLINE_CAP),
        ("RSL_INLINE_ALIGN".into(), resilient::RSL_INLINE_ALIGN),
    ];
    use rsl_status::*;
    for (name, code) in [
        ("RSL_OK", RSL_OK),
        ("RSL_ABSENT", RSL_ABSENT),
        ("RSL_ERROR_NULL", RSL_ERROR_NULL),
        ("RSL_ERROR_ARGUMENT", RSL_ERROR_ARGUMENT),
        ("RSL_ERROR_OPEN", RSL_ERROR_OPEN),
        ("RSL_ERROR_BIND", RSL_ERROR_BIND),
        ("RSL_ERROR_BINDING", RSL_ERROR_BINDING),
        ("RSL_ERROR_VALUE", RSL_ERROR_VALUE),
        ("RSL_ERROR_WITNESS", RSL_ERROR_WITNESS),
        ("RSL_ERROR_ROOM", RSL_ERROR_ROOM),
        ("RSL_ERROR_ALLOC", RSL_ERROR_ALLOC),
        ("RSL_ERROR_PANIC", RSL_ERROR_PANIC),
        ("RSL_ERROR_CALL", RSL_ERROR_CALL),
    ] {
        v.push((name.into(), code as usize));
    }
    v
}

fn layout_program() -> String {
    let mut s = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include \"resilient/resilient.h\"\nint main(void) {\n",
    );
    for (name, _) in layout_expected() {
        let expr = if name.starts_with("sizeof") {
            name.clone()
        } else if let Some((record, field)) = name.split_once('.') {
            format!("offsetof({record}, {field})")
        } else {
            name.clone()
        };
        s += &format!("    printf(\"{name} %zu\\n\", (size_t)({expr}));\n");
    }
    s + "    return 0;\n}\n"
}

#[test]
fn the_header_matches_the_rust_definitions_as_c99_and_cpp17() {
    let dir = resilient_testkit::scratch_dir("c-api-header");
    for (compiler, std, ext) in [("gcc", "c99", "c"), ("g++", "c++17", "cpp")] {
        let src = write(&dir, &format!("layout.{ext}"), &layout_program());
        let exe = dir.join(format!("layout-{ext}"));
        run(Command::new(compiler)
            .arg(format!("-std={std}"))
            .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
            .arg(include_dir())
            .arg(&src)
            .arg("-o")
            .arg(&exe));
        assert_eq!(
            pairs(&run(&mut Command::new(&exe))),
            layout_expected(),
            "{compiler}"
        );
    }
}

/// `cpp/src/host.c`, built once with gcc (and clang where installed).
fn c_hosts() -> &'static [std::path::PathBuf] {
    static BUILT: OnceLock<Vec<std::path::PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = resilient_testkit::scratch_dir("c-api-host");
        let src = resilient_testkit::workspace_root()
            .join("cpp")
            .join("src")
            .join("host.c");
        let mut hosts = Vec::new();
        for cc in ["gcc", "clang"] {
            if cc == "clang" && !have(cc) {
                println!("clang not installed: the C host is built with gcc only");
                continue;
            }
            let exe = dir.join(format!("host-{cc}"));
            run(link_capi(
                Command::new(cc)
                    .args([
                        "-std=c99",
                        "-Wall",
                        "-Wextra",
                        "-Werror",
                        "-pedantic",
                        "-O1",
                        "-I",
                    ])
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
fn the_c_host_reads_rust_and_cpp_libraries() {
    for host in c_hosts() {
        for (lib, v) in [
            (rust_lib(1), 1),
            (rust_lib(2), 2),
            (cpp_lib(1).to_path_buf(), 1),
            (cpp_lib(2).to_path_buf(), 2),
        ] {
            let out = Command::new(host).arg(&lib).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            println!("{} {}:\n{text}", host.display(), lib.display());
            assert_eq!(out.status.code(), Some(0), "{}: {text}", lib.display());
            assert!(
                text.contains(&format!(
                    "read id={v} weight={v}.5 flags=0x0{v}0{v} tags=v{v}v{v} active=1 origin=(-{v},{v})"
                )),
                "{text}"
            );
            assert_eq!(text.matches(" ok\n").count(), 14, "{text}");
            // An owned result's failure, in the Rust host's words.
            let rust = Library::open(&lib)
                .unwrap()
                .bind_api::<WidgetFns>()
                .unwrap()
                .parse_point
                .call("3;4")
                .unwrap_err();
            assert!(
                text.contains(&format!("parse_point failed (status 1, code 12): {rust}\n")),
                "{text}"
            );
            assert!(text.ends_with("verdict compatible\n"), "{text}");
        }
    }
}

#[test]
fn the_c_host_refuses_an_incompatible_version_with_the_rust_binders_message() {
    for host in c_hosts() {
        for lib in [rust_lib(4), cpp_lib(4).to_path_buf()] {
            // The same view in Rust (`WidgetView`: the same fields, in the
            // same order, `origin` nested and `scale` optional).
            let rust = Library::open(&lib)
                .unwrap()
                .bind::<WidgetView>()
                .unwrap_err()
                .to_string();
            let out = Command::new(host).arg(&lib).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(3), "{text}");
            assert_eq!(
                text,
                format!("module widgets 2.0.0\nverdict refused: {rust}\n")
            );
            assert!(
                rust.contains("field `Widget.weight` is f64, the view expects f32"),
                "{rust}"
            );
        }
    }
}
