//! Every way opening or binding can fail gets its own typed error naming the
//! library path, and nothing already loaded is disturbed.

use std::path::{Path, PathBuf};

use resilient_loader::{Error, Library};
use resilient_types::{view, Field, Mismatch};

use crate::{plugin, WidgetView};

fn scratch(name: &str) -> PathBuf {
    resilient_testkit::scratch_dir(&format!("loader-errors-{name}"))
}

/// A copy of widget-v1 with `patch` applied at every manifest's magic.
fn patched(name: &str, patch: impl Fn(&mut [u8])) -> PathBuf {
    let mut bytes = std::fs::read(plugin("widget-v1")).unwrap();
    let magic = layout_meta::MAGIC;
    let hits: Vec<usize> = bytes
        .windows(8)
        .enumerate()
        .filter(|(_, w)| *w == magic)
        .map(|(i, _)| i)
        .collect();
    assert!(!hits.is_empty(), "manifest magic found in the file");
    for i in hits {
        patch(&mut bytes[i..]);
    }
    let path = scratch(name).join("libpatched.so");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn names_path(err: &Error, path: &Path) {
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "message names the path: {msg}"
    );
}

#[test]
fn missing_file() {
    let path = scratch("missing").join("libnothing.so");
    let err = Library::open(&path).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    names_path(&err, &path);
}

#[test]
fn not_a_shared_library() {
    let path = scratch("text").join("libtext.so");
    std::fs::write(&path, "this is not an ELF file\n").unwrap();
    // Refused by the pre-flight: never handed to the dynamic loader.
    let err = Library::open(&path).unwrap_err();
    let Error::Malformed { source, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(**source, resilient_offline::Error::NotElf { .. }),
        "{err}"
    );
    names_path(&err, &path);
    assert!(err.to_string().contains("not a shared library"), "{err}");
}

#[test]
fn no_manifest_symbol() {
    let path = plugin("no-manifest");
    let err = Library::open(&path).unwrap_err();
    assert!(matches!(err, Error::NoManifest { .. }), "{err}");
    names_path(&err, &path);
}

#[test]
fn corrupt_metadata_passes_the_validator_error_through() {
    let path = plugin("corrupt");
    let err = Library::open(&path).unwrap_err();
    let Error::InvalidMetadata { source, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(source, layout_meta::Error::Unreadable { .. }),
        "{source}"
    );
    names_path(&err, &path);
    assert!(
        err.to_string().contains("outside the library image"),
        "{err}"
    );
}

#[test]
fn format_version_mismatch() {
    let path = patched("version", |b| b[8..12].copy_from_slice(&2u32.to_ne_bytes()));
    let err = Library::open(&path).unwrap_err();
    let Error::InvalidMetadata { source, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        source,
        &layout_meta::Error::UnsupportedVersion {
            found: 2,
            supported: 1
        }
    );
    names_path(&err, &path);
}

#[test]
fn target_mismatch() {
    let at = layout_meta::format::offsets::ALL
        .iter()
        .find(|e| e.0 == "rsl_manifest" && e.1 == "pointer_width")
        .unwrap()
        .2;
    let path = patched("target", |b| b[at] = 4);
    let err = Library::open(&path).unwrap_err();
    let Error::InvalidMetadata { source, .. } = &err else {
        panic!("{err}")
    };
    assert!(matches!(
        source,
        layout_meta::Error::TargetMismatch {
            property: "pointer width",
            found: 4,
            ..
        }
    ));
}

view! {
    pub struct GadgetView = "widgets"::"Gadget" { pub id: Field<u64> }
}
view! {
    pub struct OtherModuleView = "sprockets"::"Widget" { pub id: Field<u64> }
}
/// The frozen `Point` as this host was compiled against it.
mod frozen_point {
    #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
    #[repr(C)]
    #[resilient(pod, default, frozen, prefix = "host_")]
    pub struct Point {
        pub x: i32,
        pub y: i32,
    }
    /// Same name, frozen, but the fields swapped: another layout.
    #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
    #[resilient(pod, default, frozen, prefix = "old_", name = "Point")]
    #[repr(C)]
    pub struct OldPoint {
        pub y: i32,
        pub x: i32,
    }
}

use layout_meta::Resilient as _;

view! {
    pub struct FrozenPoint = "widgets"::"Point" frozen(frozen_point::Point::DESCRIPTOR.fingerprint()) {
        pub x: Field<i32>,
    }
}
view! {
    pub struct ChangedFrozenPoint = "widgets"::"Point" frozen(frozen_point::OldPoint::DESCRIPTOR.fingerprint()) {
        pub x: Field<i32>,
    }
}
view! {
    pub struct FrozenWidget = "widgets"::"Widget" frozen(0) { pub id: Field<u64> }
}
view! {
    // A nested resilient field read as a plain scalar: refused at bind
    // (a by-value token of a resilient type does not compile at all).
    pub struct ByValue = "widgets"::"Widget" { pub origin: Field<u64> }
}

#[test]
fn missing_type_module_mismatch_frozen_and_by_value_nested() {
    let lib = Library::open(plugin("widget-v1")).unwrap();
    let err = lib.bind::<GadgetView>().unwrap_err();
    assert!(
        err.to_string().contains("type `Gadget` is missing"),
        "{err}"
    );
    let err = lib.bind::<OtherModuleView>().unwrap_err();
    assert!(
        err.to_string()
            .contains("exports module `widgets`, the view is of module `sprockets`"),
        "{err}"
    );
    let err = lib.bind::<FrozenWidget>().unwrap_err();
    assert!(
        err.to_string().contains("type `Widget` is not frozen"),
        "{err}"
    );
    // The frozen type with the layout the host was built against binds...
    lib.bind::<FrozenPoint>().unwrap();
    // ...and one whose layout changed since is refused, naming it.
    let err = lib.bind::<ChangedFrozenPoint>().unwrap_err();
    assert!(
        err.to_string()
            .contains("frozen type `Point` changed its layout"),
        "{err}"
    );
    let err = lib.bind::<ByValue>().unwrap_err();
    let Error::Bind { source, .. } = &err else {
        panic!("expected a bind error, got {err}");
    };
    let resilient_types::Error::Bind { mismatches, .. } = &**source else {
        panic!()
    };
    assert!(
        matches!(mismatches[0], Mismatch::NotByValue { .. }),
        "{err}"
    );
}

#[test]
fn failures_do_not_disturb_what_is_loaded() {
    let lib = Library::open(plugin("widget-v1")).unwrap();
    let w = lib.bind::<WidgetView>().unwrap();
    let mut v = resilient_types::Value::new(&w).unwrap();
    v.as_mut().set(w.id, 99);
    for bad in ["corrupt", "no-manifest", "widget-v4"] {
        let _ = Library::open(plugin(bad)).and_then(|l| l.bind::<WidgetView>().map(drop));
    }
    let _ = Library::open(plugin("widget-v1"))
        .unwrap()
        .bind::<GadgetView>();
    assert_eq!(v.as_ref().get(w.id), 99);
    assert_eq!(Value::new(&w).unwrap().as_ref().get(w.id), 1);
}

use resilient_types::Value;

#[test]
fn errors_are_send_sync_static() {
    fn bounds<T: Send + Sync + 'static + std::error::Error>() {}
    bounds::<Error>();
    bounds::<resilient_types::Error>();
}

/// A bind error names the library once, and printing its chain through
/// `source()` does not repeat a sentence; a client error converts with `?`.
#[test]
fn error_chains_say_each_thing_once() {
    let path = plugin("widget-v4");
    let bind = Library::open(&path)
        .unwrap()
        .bind::<WidgetView>()
        .unwrap_err();
    let corrupt = plugin("corrupt");
    for (err, path) in [
        (bind, path),
        (Library::open(&corrupt).unwrap_err(), corrupt),
    ] {
        chain_says_each_thing_once(&err, &path);
    }
    fn host() -> Result<(), Error> {
        Err(resilient_types::Error::WrongBinding { operation: "read" })?
    }
    assert!(matches!(host(), Err(Error::Client { .. })));
}

fn chain_says_each_thing_once(err: &Error, path: &std::path::Path) {
    let mut chain = vec![err.to_string()];
    let mut next = std::error::Error::source(err);
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    let text = chain.join(" / ");
    let shown = path.display().to_string();
    assert_eq!(text.matches(shown.as_str()).count(), 1, "{text}");
    for (i, a) in chain.iter().enumerate() {
        for b in &chain[i + 1..] {
            assert!(!a.contains(b.as_str()), "repeated: {text}");
        }
    }
}

/// Set in the child process that opens the truncated copies.
const TRUNCATED_CHILD: &str = "RESILIENT_TEST_TRUNCATED_CHILD";

/// A truncated library used to be mapped past its end by `dlopen` and kill
/// the process with `SIGBUS`: the pre-flight refuses it first. The opening
/// runs in a child process (this test binary, running only this test), so
/// a regression shows as a child killed by a signal, not as the whole test
/// binary dying.
#[test]
fn truncated_libraries_are_refused_not_a_crash() {
    if std::env::var_os(TRUNCATED_CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "errors::truncated_libraries_are_refused_not_a_crash",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(TRUNCATED_CHILD, "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the child that opened truncated libraries failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "the child ran the test"
        );
        return;
    }
    let bytes = std::fs::read(plugin("widget-v1")).unwrap();
    let word = |at: usize, n: usize| {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&bytes[at..at + n]);
        usize::try_from(u64::from_ne_bytes(b)).unwrap()
    };
    // Just past the program headers: the ELF header and program headers
    // are whole, every segment is cut.
    let past_phdrs = word(32, 8) + word(54, 2) * word(56, 2) + 1;
    let dir = scratch("truncated");
    for (what, len) in [
        ("past-phdrs", past_phdrs),
        ("half", bytes.len() / 2),
        ("one-short", bytes.len() - 1),
    ] {
        let path = dir.join(format!("libtruncated-{what}.so"));
        std::fs::write(&path, &bytes[..len]).unwrap();
        eprintln!(
            "opening {} ({len} of {} bytes)",
            path.display(),
            bytes.len()
        );
        let err = Library::open(&path).unwrap_err();
        let Error::Malformed { source, .. } = &err else {
            panic!("{what}: {err}")
        };
        assert!(
            matches!(**source, resilient_offline::Error::Truncated { .. }),
            "{what}: {source}"
        );
        names_path(&err, &path);
        assert!(err.to_string().contains("truncated"), "{what}: {err}");
    }
}

/// A bare file name names the file in the current directory (the dynamic
/// loader would search its library path for it, and could load another
/// file than the one checked); a directory is reported as a directory.
#[test]
fn a_bare_name_is_a_file_here_and_a_directory_is_not_a_library() {
    let dir = scratch("bare-name");
    std::fs::copy(plugin("widget-v1"), dir.join("libbare.so")).unwrap();
    let cwd = std::env::current_dir().unwrap();
    // A child process: the test binary's other tests share this one's
    // current directory.
    if std::env::var_os("RESILIENT_TEST_BARE_CHILD").is_some() {
        std::env::set_current_dir(&dir).unwrap();
        let lib = Library::open("libbare.so").unwrap();
        assert_eq!(lib.module().unwrap().version, "1.0.0");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "errors::a_bare_name_is_a_file_here_and_a_directory_is_not_a_library",
            "--exact",
            "--nocapture",
        ])
        .env("RESILIENT_TEST_BARE_CHILD", "1")
        .current_dir(&cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = Library::open(&dir).unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
}

/// What a host's `fn main() -> Result<(), Box<dyn Error>>` prints for a
/// refused binding (the `Debug` form): the sentence a person reads, the
/// same as `Display`, with the fields the type has for a missing one and
/// the way to declare it optional.
#[test]
fn a_failed_main_prints_the_sentence_not_the_structure() {
    let path = plugin("widget-v4");
    let host = || -> Result<(), Box<dyn std::error::Error>> {
        let lib = Library::open(&path)?;
        lib.bind::<WidgetView>()?;
        Ok(())
    };
    let err = host().unwrap_err();
    let shown = format!("{err:?}");
    assert_eq!(shown, err.to_string());
    let lib = Library::open(&path).unwrap();
    let version = lib.module().unwrap().version.clone();
    assert_eq!(
        shown,
        format!(
            "cannot bind view of `Widget` to widgets {version} ({}): field `Widget.weight` is f64, the view expects f32; field `Widget.flags` (u16) is missing (`Widget` has `tags`, `id`, `origin`, `weight`, `active`); a view declares `flags: Option<Field<..>>` if some libraries lack it",
            path.display()
        )
    );
}

/// A path naming a FIFO or a device is refused at once as no library file,
/// without opening it: opening a FIFO waits for a writer (regression guard
/// for the order of `load::open`: a `stat` before any `open`).
#[test]
fn a_fifo_or_a_device_is_refused_without_waiting() {
    let fifo = scratch("fifo").join("libfifo.so");
    resilient_testkit::make_fifo(&fifo);
    for path in [fifo.clone(), PathBuf::from("/dev/zero")] {
        let p = path.clone();
        let err = resilient_testkit::returns_soon(
            &format!("opening {}", path.display()),
            &fifo,
            move || Library::open(&p).map(|_| ()).unwrap_err(),
        );
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        names_path(&err, &path);
    }
}
