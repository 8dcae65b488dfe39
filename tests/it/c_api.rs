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
        ("RSL_TEXT".into(), resilient::RSL_TEXT as usize),
        (
            "RSL_OPTIONAL_TEXT".into(),
            resilient::RSL_OPTIONAL_TEXT as usize,
        ),
        ("RSL_ELEMENTS".into(), resilient::RSL_ELEMENTS as usize),
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
        ("RSL_ERROR_CASE", RSL_ERROR_CASE),
        ("RSL_ERROR_CONSTRUCT", RSL_ERROR_CONSTRUCT),
        ("RSL_ERROR_UTF8", RSL_ERROR_UTF8),
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

const SHAPES: &str = r#"#include "resilient/export.hpp"
// An interface method that returns a value of an exported type.
struct Square {
    double side = 1;
    Square grown(double by) const {
        if (by < 0) throw rsl::Failure("a square does not shrink");
        Square s;
        s.side = side + by;
        return s;
    }
};
RESILIENT_EXPORT_TYPE(Square, side)
RESILIENT_EXPORT_IMPL(Square, Shape, grown)
RESILIENT_EXPORT_MODULE_WITH_IMPLS("shapes", "1.0.0", (Square), ((Square, Shape)))
"#;

const SHAPES_HOST: &str = r#"#include <stdio.h>
#include "resilient/resilient.h"
/* Shape's grown(&self, f64) -> Square through the C API: the method's
 * owned result, written into heap room, owned here. */
typedef uint32_t (*grown_fn)(const void *self, double by, void *ret, rsl_call_error *err);
int main(int argc, char **argv) {
    rsl_error *err = rsl_error_new();
    rsl_library *lib = NULL;
    rsl_interface *shape = NULL, *wrong = NULL;
    rsl_impl_list *impls = NULL;
    rsl_impl *imp = NULL;
    rsl_function *grown = NULL;
    rsl_view *view = NULL;
    rsl_bound *square = NULL;
    rsl_value *v = NULL, *g = NULL;
    rsl_room *room = NULL;
    rsl_field side;
    const rsl_expect f64 = {RSL_EXPECT_SCALAR, "f64", 0, 0, 0, NULL};
    const rsl_expect sq = {RSL_EXPECT_NESTED, "Square", 0, 0, 0, NULL};
    const rsl_expect circle = {RSL_EXPECT_NESTED, "Circle", 0, 0, 0, NULL};
    const rsl_param by = {RSL_PASS_VALUE, &f64};
    const rsl_param owned = {RSL_PASS_OWNED, &sq};
    const rsl_param owned_circle = {RSL_PASS_OWNED, &circle};
    double s = 0;
    uint32_t st;
    rsl_call_error e = {NULL, 0, 0, NULL};
    (void)argc;
    if (rsl_library_open(argv[1], &lib, err) != RSL_OK) goto fail;
    if (rsl_interface_new("shapes", "Shape", &wrong, err) != RSL_OK ||
        rsl_interface_add_method(wrong, "grown", RSL_PASS_REF, &by, 1, &owned_circle, 1, err) != RSL_OK)
        goto fail;
    st = (uint32_t)rsl_interface_bind(wrong, lib, &impls, err);
    printf("circle: %u %s\n", (unsigned)st, rsl_error_message(err));
    if (rsl_interface_new("shapes", "Shape", &shape, err) != RSL_OK ||
        rsl_interface_add_method(shape, "grown", RSL_PASS_REF, &by, 1, &owned, 1, err) != RSL_OK ||
        rsl_interface_bind(shape, lib, &impls, err) != RSL_OK || rsl_impl_list_get(impls, 0, &imp, err) != RSL_OK ||
        rsl_impl_method(imp, 0, &grown, err) != RSL_OK)
        goto fail;
    if (rsl_view_new("shapes", "Square", &view, err) != RSL_OK ||
        rsl_view_add_field(view, "side", 1, RSL_BY_VALUE, &f64, err) != RSL_OK ||
        rsl_view_bind(view, lib, &square, err) != RSL_OK || rsl_bound_field(square, 0, &side, err) != RSL_OK)
        goto fail;
    printf("result type %d\n", rsl_function_result_type(grown) == rsl_bound_type_id(square) &&
                                   rsl_function_result_type(grown) == rsl_impl_type_id(imp));
    if (rsl_value_new(square, &v, err) != RSL_OK || rsl_room_new(square, &room, err) != RSL_OK) goto fail;
    st = ((grown_fn)rsl_function_thunk(grown))(rsl_value_data(v), 2.5, rsl_room_data(room), &e);
    if (st != RSL_STATUS_OK || rsl_room_into_value(room, &g, err) != RSL_OK) goto fail;
    room = NULL;
    rsl_value_get(g, side, &s, sizeof s, NULL);
    printf("grown %g\n", s);
    if (rsl_room_new(square, &room, err) != RSL_OK) goto fail;
    st = ((grown_fn)rsl_function_thunk(grown))(rsl_value_data(v), -1, rsl_room_data(room), &e);
    rsl_function_call_failed(grown, st, &e, err);
    printf("shrunk: %u %s\n", (unsigned)st, rsl_error_message(err));
    goto done;
fail:
    printf("error: %s\n", rsl_error_message(err));
done:
    rsl_room_free(room);
    rsl_value_free(g);
    rsl_value_free(v);
    rsl_bound_free(square);
    rsl_view_free(view);
    rsl_function_free(grown);
    rsl_impl_free(imp);
    rsl_impl_list_free(impls);
    rsl_interface_free(shape);
    rsl_interface_free(wrong);
    rsl_library_close(lib);
    rsl_error_free(err);
    return 0;
}
"#;

const SHAPES_CPP_HOST: &str = r#"#include <cstdio>
#include "resilient/client.hpp"
// Shape's grown(&self, f64) -> Square through the C++ client.
int main(int, char **argv) {
    rsl::Library lib = rsl::Library::open(argv[1]);
    rsl::Interface wrong("shapes", "Shape");
    wrong.method<rsl::Owned(rsl::This, double)>("grown", {"Circle"});
    try {
        lib.implementations(wrong);
        return 1;
    } catch (const rsl::Error &e) {
        std::printf("circle: %s\n", e.what());
    }
    rsl::Interface shape("shapes", "Shape");
    auto grown = shape.method<rsl::Owned(rsl::This, double)>("grown", {"Square"});
    rsl::View view("shapes", "Square");
    view.field<double>("side");
    rsl::Bound square = lib.bind(view);
    auto side = square.field<double>("side");
    for (const rsl::Implementation &imp : lib.implementations(shape)) {
        auto g = imp.method(grown, square);
        rsl::Value v = imp.create();
        rsl::Value bigger = g(v, 2.5);  // read through `square`
        std::printf("grown %g\n", bigger.get(side));
        try {
            g(v, -1);
            return 1;
        } catch (const rsl::CallError &e) {
            std::printf("shrunk: %s\n", e.what());
        }
    }
    return 0;
}
"#;

/// An interface method that returns a value of an exported type, through
/// the C API and the C++ client: its result type is named
/// (`rsl_function_result_type`), the value is written into heap room and
/// owned by the host, a failure leaves the room empty, and a method
/// declared with another result type is refused with the Rust binder's
/// message.
#[test]
fn c_and_cpp_hosts_take_an_interface_methods_owned_result() {
    let dir = resilient_testkit::scratch_dir("c-api-owned-method");
    let lib = dir.join("libshapes.so");
    run(Command::new("g++")
        .args([
            "-std=c++17",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-shared",
            "-fPIC",
        ])
        .arg("-fvisibility-inlines-hidden")
        .arg("-I")
        .arg(include_dir())
        .arg(write(&dir, "shapes.cpp", SHAPES))
        .arg("-o")
        .arg(&lib));
    let exe = dir.join("shapes-host");
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
            .arg(write(&dir, "shapes_host.c", SHAPES_HOST))
            .arg("-o")
            .arg(&exe),
    ));
    let out = Command::new(&exe).arg(&lib).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let origin = format!("shapes 1.0.0 ({})", lib.display());
    assert_eq!(
        text,
        format!(
            "circle: 5 cannot bind the functions the host calls to {origin}: `Square` as `Shape`: function `grown` returns Square, the client expects Circle\n\
             result type 1\n\
             grown 3.5\n\
             shrunk: 1 `grown` of {origin} failed: a square does not shrink\n"
        )
    );
    let exe = dir.join("shapes-host-cpp");
    run(link_capi(
        Command::new("g++")
            .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(include_dir())
            .arg(write(&dir, "shapes_host.cpp", SHAPES_CPP_HOST))
            .arg("-o")
            .arg(&exe),
    ));
    let out = Command::new(&exe).arg(&lib).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "circle: cannot bind the functions the host calls to {origin}: `Square` as `Shape`: function `grown` returns Square, the client expects Circle\n\
             grown 3.5\n\
             shrunk: `grown` of {origin} failed: a square does not shrink\n"
        )
    );
}
