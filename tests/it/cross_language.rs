//! The cross-language matrix: {Rust cdylib, C++ shared library} exporting ×
//! {Rust, C++} consuming × {1.0, 1.1 with fields added and reordered}, every
//! combination reading the right values, and 2.0 refused by both clients.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use resilient_loader::{Error, Library};
use resilient_types::{view, Field, Nested, Value};

use crate::{have, include_dir, link_capi, run};

view! {
    pub(crate) struct PointView = "widgets"::"Point" { pub x: Field<i32>, pub y: Field<i32> }
}

view! {
    pub(crate) struct WidgetView = "widgets"::"Widget" {
        pub id: Field<u64>,
        pub weight: Field<f32>,
        pub flags: Field<u16>,
        pub tags: Field<[u8; 4]>,
        pub origin: Nested<PointView>,
        pub active: Field<bool>,
        pub scale: Option<Field<f64>>,
    }
}

struct Cpp {
    libs: Vec<PathBuf>,
    /// The same libraries built by clang++, where installed.
    clang_libs: Vec<PathBuf>,
    hosts: Vec<PathBuf>,
}

/// The C++ sample libraries (v1, v2, v4) and the C++ host (linked with the
/// C API), compiled once with g++ (and clang++ where installed).
fn cpp() -> &'static Cpp {
    static BUILT: OnceLock<Cpp> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = resilient_testkit::scratch_dir("cross-language");
        let src = resilient_testkit::workspace_root().join("cpp").join("src");
        let flags = [
            "-std=c++17",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-Wno-invalid-offsetof",
        ];
        let mut libs = Vec::new();
        let mut clang_libs = Vec::new();
        for v in [1, 2, 4] {
            if have("clang++") {
                let out = dir.join(format!("libclangwidget_v{v}.so"));
                run(Command::new("clang++")
                    .args(flags)
                    .args(["-shared", "-fPIC", "-fvisibility-inlines-hidden", "-I"])
                    .arg(include_dir())
                    .arg(src.join(format!("widget_v{v}.cpp")))
                    .arg("-o")
                    .arg(&out));
                clang_libs.push(out);
            }
            let out = dir.join(format!("libcppwidget_v{v}.so"));
            run(Command::new("g++")
                .args(flags)
                .args(["-shared", "-fPIC", "-fvisibility-inlines-hidden", "-I"])
                .arg(include_dir())
                .arg(src.join(format!("widget_v{v}.cpp")))
                .arg("-o")
                .arg(&out));
            libs.push(out);
        }
        let mut hosts = Vec::new();
        for cxx in ["g++", "clang++"] {
            if cxx == "clang++" && !have(cxx) {
                println!("clang++ not installed: the C++ host is built with g++ only");
                continue;
            }
            let out = dir.join(format!("host-{cxx}"));
            run(link_capi(
                Command::new(cxx)
                    .args(flags)
                    .arg("-I")
                    .arg(include_dir())
                    .arg(src.join("host.cpp"))
                    .arg("-o")
                    .arg(&out),
            ));
            hosts.push(out);
        }
        Cpp {
            libs,
            clang_libs,
            hosts,
        }
    })
}

pub(crate) fn rust_lib(v: u32) -> PathBuf {
    resilient_testkit::plugin(&format!("widget-v{v}"))
}

/// Every C++ sample library built: by g++, and by clang++ where installed.
pub(crate) fn all_cpp_libs() -> impl Iterator<Item = &'static Path> {
    cpp()
        .libs
        .iter()
        .chain(&cpp().clang_libs)
        .map(PathBuf::as_path)
}

pub(crate) fn cpp_lib(v: u32) -> &'static Path {
    &cpp().libs[match v {
        1 => 0,
        2 => 1,
        _ => 2,
    }]
}

/// The C++ sample library of version `v` built by clang++, where installed.
pub(crate) fn clang_lib(v: u32) -> Option<&'static Path> {
    let i = match v {
        1 => 0,
        2 => 1,
        _ => 2,
    };
    cpp().clang_libs.get(i).map(PathBuf::as_path)
}

#[test]
fn cpp_host_reads_rust_and_cpp_libraries() {
    for host in &cpp().hosts {
        let mut libs = vec![
            (rust_lib(1), 1),
            (rust_lib(2), 2),
            (cpp_lib(1).to_path_buf(), 1),
            (cpp_lib(2).to_path_buf(), 2),
        ];
        // The same libraries built by clang++ (where installed).
        libs.extend(cpp().clang_libs.iter().take(2).cloned().zip([1, 2]));
        for (lib, v) in libs {
            let out = Command::new(host).arg(&lib).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{} on {}: {text}",
                host.display(),
                lib.display()
            );
            assert!(
                text.contains(&format!(
                    "read id={v} weight={v}.5 flags=0x0{v}0{v} tags=v{v}v{v} active=1 origin=(-{v},{v})"
                )),
                "{text}"
            );
            assert_eq!(text.matches(" ok\n").count(), 12, "{text}");
            assert!(text.ends_with("verdict compatible\n"), "{text}");
        }
        for lib in [rust_lib(4), cpp_lib(4).to_path_buf()] {
            let out = Command::new(host).arg(&lib).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(3), "{text}");
            assert!(
                text.contains("field `Widget.weight` is f64, the view expects f32"),
                "{text}"
            );
        }
    }
}

#[test]
fn rust_host_reads_cpp_libraries() {
    for v in [1u64, 2] {
        let path = cpp_lib(v as u32);
        let lib = Library::open(path).unwrap();
        let w = lib.bind::<WidgetView>().unwrap();
        let mut value = Value::new(&w).unwrap(); // the C++ default constructor
        let r = value.as_ref();
        assert_eq!(r.get(w.id), v);
        assert_eq!(r.get(w.weight), v as f32 + 0.5);
        assert_eq!(r.get(w.flags), 0x0101 * v as u16);
        assert_eq!(&r.get(w.tags), format!("v{v}v{v}").as_bytes());
        let p = w.origin.view();
        assert_eq!(
            (r.nested(w.origin).get(p.x), r.nested(w.origin).get(p.y)),
            (-(v as i32), v as i32)
        );
        assert!(w.scale.is_none());
        let mut m = value.as_mut();
        m.set(w.id, 0x0102_0304_0506_0708);
        m.set(w.flags, 0x2122);
        let copy = value.try_clone().unwrap(); // the C++ copy constructor
                                               // SAFETY: the C++ library exports `widget_get_id(const void *)`, and
                                               // `value` is a live Widget it made.
        unsafe {
            let l = libloading::Library::new(path).unwrap();
            let get_id: libloading::Symbol<'_, unsafe extern "C" fn(*const u8) -> u64> =
                l.get(b"widget_get_id").unwrap();
            assert_eq!(
                get_id(value.as_ref().as_ptr()),
                0x0102_0304_0506_0708,
                "the C++ code sees our write"
            );
        }
        assert_eq!(copy.as_ref().get(w.id), 0x0102_0304_0506_0708);
        assert_eq!(copy.as_ref().get(w.flags), 0x2122);
    }
    let err = Library::open(cpp_lib(4))
        .unwrap()
        .bind::<WidgetView>()
        .unwrap_err();
    assert!(matches!(err, Error::Bind { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("field `Widget.weight` is f64, the view expects f32"),
        "{err}"
    );
}
