//! Runs one open-path variant a fixed number of times, for instruction
//! counts and profiles under `valgrind --tool=callgrind` (see
//! benches/open_callgrind.sh): `open_count VARIANT N`.
//!
//! Variants: `mapped-open-bind-10` (the library held by another handle, as
//! in the criterion `load/mapped` group), `mapped-dlopen-10`,
//! `open-bind-N` and `dlopen-N` for N in 1, 10, 100, 1000.

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;

use resilient_benches::{fixtures, plugin, Gen1, Gen10, Gen100, Gen1000};
use resilient_loader::Library;
use resilient_types::Bindable;

fn open_bind<V: Bindable>(path: &Path) -> usize {
    let lib = Library::open(path).expect("generated module loads");
    let bound = lib.bind::<V>().expect("binds");
    let n = bound.shape().size;
    drop(bound);
    lib.unload().expect("unused");
    n
}

fn dlopen(path: &Path) -> usize {
    // SAFETY: the generated fixtures run no initialisers of their own.
    let lib = unsafe { libloading::Library::new(path) }.expect("loads");
    // SAFETY: only the symbol's address is taken.
    let sym = unsafe { lib.get::<*const u8>(b"resilient_manifest") }.expect("manifest");
    *sym as usize
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(variant), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: open_count VARIANT N");
        return ExitCode::from(2);
    };
    let dir = fixtures();
    let module = |n: usize| plugin(&dir, &format!("bench-module-{n}"));
    let (kind, size) = variant.rsplit_once('-').unwrap_or((variant.as_str(), ""));
    let Ok(size) = size.parse::<usize>() else {
        eprintln!("unknown variant {variant}");
        return ExitCode::from(2);
    };
    let path = module(size);
    // The mapped variants hold the library with another handle, as the
    // criterion group does, so `dlopen` only counts a reference.
    // SAFETY: the generated fixtures run no initialisers of their own.
    let _pin = kind
        .starts_with("mapped")
        .then(|| unsafe { libloading::Library::new(&path) }.expect("loads"));
    let one: fn(&Path) -> usize = match (kind, size) {
        ("open-bind" | "mapped-open-bind", 1) => open_bind::<Gen1>,
        ("open-bind" | "mapped-open-bind", 10) => open_bind::<Gen10>,
        ("open-bind" | "mapped-open-bind", 100) => open_bind::<Gen100>,
        ("open-bind" | "mapped-open-bind", 1000) => open_bind::<Gen1000>,
        ("dlopen" | "mapped-dlopen", _) => dlopen,
        _ => {
            eprintln!("unknown variant {variant}");
            return ExitCode::from(2);
        }
    };
    let mut sink = 0usize;
    for _ in 0..n {
        sink = sink.wrapping_add(one(black_box(&path)));
    }
    black_box(sink);
    ExitCode::SUCCESS
}
