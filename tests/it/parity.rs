//! One verdict: over every fixture library (Rust and C++ plugins, the
//! corrupt one, the one without a manifest), every hostile library of
//! `hostile.rs`, a file that is no library and a path with no file, the C++
//! client reaches exactly the Rust loader's verdict: accepted, or refused
//! with the same message, at open and at bind. True by construction (the
//! C++ client is the C API, which is the Rust loader and binder), and
//! tested.

use std::path::PathBuf;
use std::process::Command;

use resilient_loader::Library;
use resilient_types::{view, Field};

use crate::cross_language::cpp_lib;
use crate::{include_dir, link_capi, run, write};

view! {
    /// What `VERDICT`'s view asks, in the same order.
    pub struct ParityView = "widgets"::"Widget" {
        pub id: Field<u64>,
        pub weight: Field<f32>,
        pub flags: Field<u16>,
        pub tags: Field<[u8; 4]>,
        pub active: Field<bool>,
        pub scale: Option<Field<f64>>,
    }
}

const VERDICT: &str = r#"#include <array>
#include <cstdio>
#include <cstdlib>
#include "resilient/client.hpp"
int main(int, char **argv) {
    rsl::Library lib = [&] {
        try {
            return rsl::Library::open(argv[1]);
        } catch (const rsl::Error &e) {
            std::printf("open refused: %s\n", e.what());
            std::exit(0);
        }
    }();
    rsl::View view("widgets", "Widget");
    view.field<std::uint64_t>("id")
        .field<float>("weight")
        .field<std::uint16_t>("flags")
        .field<std::array<std::uint8_t, 4>>("tags")
        .field<bool>("active")
        .optional<double>("scale");
    try {
        lib.bind(view);
        std::printf("accepted %s %s\n", lib.module().c_str(), lib.version().c_str());
    } catch (const rsl::Error &e) {
        std::printf("bind refused: %s\n", e.what());
    }
    return 0;
}
"#;

/// The Rust loader's verdict, in `VERDICT`'s words. The C API checks
/// every type when it opens a library (the Rust loader, each type when it
/// is first bound): `open` here is `Library::open` and `Library::module`.
fn rust_verdict(path: &PathBuf) -> String {
    let opened = Library::open(path).and_then(|lib| {
        lib.module()?;
        Ok(lib)
    });
    match opened {
        Err(e) => format!("open refused: {e}\n"),
        Ok(lib) => match lib.bind::<ParityView>() {
            Ok(_) => format!("accepted {} {}\n", lib.name(), lib.version_str()),
            Err(e) => format!("bind refused: {e}\n"),
        },
    }
}

#[test]
fn the_cpp_client_reaches_the_rust_verdict_on_every_library() {
    let dir = resilient_testkit::scratch_dir("parity");
    let src = write(&dir, "verdict.cpp", VERDICT);
    let exe = dir.join("verdict");
    run(link_capi(
        Command::new("g++")
            .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(include_dir())
            .arg(&src)
            .arg("-o")
            .arg(&exe),
    ));
    let mut libs: Vec<PathBuf> = resilient_testkit::PLUGINS
        .iter()
        .map(|p| resilient_testkit::plugin(p))
        .collect();
    libs.extend([1, 2, 4].map(|v| cpp_lib(v).to_path_buf()));
    libs.extend(
        crate::hostile::build_all(&dir)
            .into_iter()
            .map(|(_, lib, _)| lib),
    );
    libs.push(src.clone()); // a file, not a library
    libs.push(dir.join("no-such-library.so"));
    let mut verdicts = std::collections::BTreeSet::new();
    for lib in &libs {
        let out = Command::new(&exe).arg(lib).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            lib.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let cpp = String::from_utf8(out.stdout).unwrap();
        let rust = rust_verdict(lib);
        assert_eq!(cpp, rust, "{}", lib.display());
        verdicts.insert(cpp.split(':').next().unwrap_or("").to_owned());
    }
    // The set covers acceptance and both kinds of refusal.
    assert!(
        verdicts.iter().any(|v| v.starts_with("accepted")),
        "{verdicts:?}"
    );
    assert!(verdicts.contains("open refused"), "{verdicts:?}");
    assert!(verdicts.contains("bind refused"), "{verdicts:?}");
}
