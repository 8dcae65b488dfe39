//! The offline reader against the fixture plugins: the libraries read as
//! the loader reads them, truncated copies refused with a typed error at
//! every length, and the pre-flight equal to the full reader's headers.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::path::{Path, PathBuf};

use resilient_offline::{preflight, Error, Expect, Image};

fn plugin(name: &str) -> PathBuf {
    resilient_testkit::plugin(name)
}

#[test]
fn fixture_libraries_read_as_the_loader_reads_them() {
    for (name, version) in [
        ("widget-v1", "1.0.0"),
        ("widget-v2", "1.1.0"),
        ("widget-v3", "1.2.0"),
        ("widget-v4", "2.0.0"),
    ] {
        let image = Image::read_library(&plugin(name)).unwrap();
        let module = image.module().unwrap();
        assert_eq!(
            (module.name.as_str(), module.version.as_str()),
            ("widgets", version)
        );
        // Witnesses are link-time addresses of the file's code.
        for t in &module.types {
            for w in [
                t.witnesses.drop,
                t.witnesses.clone,
                t.witnesses.default_init,
            ] {
                assert!(w == 0 || image.regions().is_code(w), "{name} {}", t.name);
            }
        }
        // The pre-flight reads the same headers as the full reader.
        assert_eq!(&preflight(&plugin(name)).unwrap().headers, image.headers());
    }
    let err = Image::read_library(&plugin("corrupt"))
        .unwrap()
        .module()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Invalid {
                source: layout_meta::Error::Unreadable { .. },
                ..
            }
        ),
        "{err}"
    );
    let err = Image::read_library(&plugin("no-manifest"))
        .unwrap()
        .module()
        .unwrap_err();
    assert!(matches!(err, Error::NoManifest { .. }), "{err}");
    assert!(err.to_string().contains("libno_manifest.so"), "{err}");
}

/// Lengths at which to cut a file: around each boundary the pre-flight
/// checks, and a spread in between.
fn cuts(bytes: &[u8]) -> Vec<usize> {
    let headers = Image::parse(Path::new("whole.so"), bytes, Expect::SharedObject)
        .unwrap()
        .headers()
        .clone();
    let mut cuts = vec![0, 1, 4, 63, 64, 65, bytes.len() / 2, bytes.len() - 1];
    let phend = 64 + 56 * headers.program_headers.len();
    cuts.extend([phend - 1, phend, phend + 1]);
    for p in &headers.program_headers {
        let end = usize::try_from(p.offset + p.filesz).unwrap();
        cuts.extend([end.saturating_sub(1), end]);
    }
    cuts.extend((1..32).map(|i| bytes.len() * i / 32));
    cuts.retain(|&c| c < bytes.len());
    cuts
}

#[test]
fn truncated_copies_are_refused_at_every_length() {
    let path = plugin("widget-v1");
    let bytes = std::fs::read(&path).unwrap();
    let dir = resilient_testkit::scratch_dir("offline-truncated");
    for cut in cuts(&bytes) {
        let file = dir.join(format!("libcut-{cut}.so"));
        std::fs::write(&file, &bytes[..cut]).unwrap();
        let err = preflight(&file).unwrap_err();
        assert!(
            matches!(err, Error::NotElf { .. } | Error::Truncated { .. }),
            "{cut}: {err}"
        );
        assert!(
            err.to_string().contains(&format!("libcut-{cut}.so")),
            "{err}"
        );
        let offline = Image::read_library(&file).unwrap_err();
        assert_eq!(offline.to_string(), err.to_string(), "{cut}");
    }
}

/// A reader of a library file, its result dropped.
type Reader = fn(&Path) -> Result<(), Error>;

/// The offline reader and the pre-flight refuse a path that names no
/// regular file before opening it: a FIFO (whose open would wait for a
/// writer), a device, a directory; each an `Error::Io` naming why, at
/// once.
#[test]
fn a_fifo_a_device_and_a_directory_are_refused_without_opening() {
    let dir = resilient_testkit::scratch_dir("offline-not-a-file");
    let fifo = dir.join("libfifo.so");
    resilient_testkit::make_fifo(&fifo);
    for (path, kind) in [
        (fifo.clone(), std::io::ErrorKind::NotFound),
        (PathBuf::from("/dev/zero"), std::io::ErrorKind::NotFound),
        (dir.clone(), std::io::ErrorKind::IsADirectory),
    ] {
        let readers: [(&str, Reader); 2] = [
            ("Image::read_library", |p| {
                Image::read_library(p).map(|_| ())
            }),
            ("preflight", |p| preflight(p).map(|_| ())),
        ];
        for (reader, read) in readers {
            let p = path.clone();
            let what = format!("{reader} of {}", path.display());
            match resilient_testkit::returns_soon(&what, &fifo, move || read(&p)) {
                Err(Error::Io {
                    path: named,
                    source,
                }) => {
                    assert_eq!(named, path, "{what}");
                    assert_eq!(source.kind(), kind, "{what}: {source}");
                }
                other => panic!("{what}: {other:?}"),
            }
        }
    }
}

#[test]
fn a_text_file_and_a_missing_file_are_typed_errors() {
    let dir = resilient_testkit::scratch_dir("offline-not-elf");
    let text = dir.join("notes.so");
    std::fs::write(&text, "this is not an ELF file\n").unwrap();
    assert!(matches!(preflight(&text), Err(Error::NotElf { .. })));
    assert!(matches!(
        preflight(&dir.join("missing.so")),
        Err(Error::Io { .. })
    ));
}
