//! Opening libraries and reading metadata at scale: the open path side by
//! side with its floor (`dlopen` + `dlsym`) and its peer (`abi_stable`'s
//! load and check), and how the readers of metadata grow with the number
//! of types (diff, validation, the index a loader builds, binding a view).
//!
//! `cargo bench -p resilient-benches --bench open` (add `-- open` or
//! `-- growth` for one group). docs/BENCHMARKS.md, "The open path at the
//! floor", has the results.
#![allow(
    missing_docs,
    clippy::cast_possible_truncation,
    reason = "benchmark harness; synthetic data"
)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use layout_meta::compat::{bind_view, Access};
use layout_meta::needs::{FieldNeed, ViewNeed};
use layout_meta::{FieldLayout, Identity, ModuleIndex, ModuleLayout, TypeLayout, WitnessAddrs};
use resilient_benches::{fixtures, plugin, Gen1, Gen10, Gen100, Gen1000};
use resilient_loader::Library;
use resilient_types::Bindable;

/// The peer: abi_stable's load and layout check of a module of the same
/// ten 8-field types (benches/plugins/abi-stable-iface).
mod peer {
    use std::path::Path;
    use std::sync::OnceLock;

    use abi_stable::library::{lib_header_from_path, LibHeader};
    use bench_abi_stable_iface::BenchModRef;

    /// Loads the plugin once, for good, as abi_stable loads every library
    /// (its layout checker keeps references into each library it checked).
    pub fn pin(path: &Path) -> &'static LibHeader {
        static LOADED: OnceLock<&'static LibHeader> = OnceLock::new();
        LOADED.get_or_init(|| {
            let header = lib_header_from_path(path).expect("the abi_stable plugin loads");
            header
                .init_root_module::<BenchModRef>()
                .expect("the abi_stable plugin's layout checks");
            header
        })
    }
}

/// Opens the library, binds one view of its first type, closes it.
fn open_bind<V: Bindable>(path: &Path) -> usize {
    let lib = Library::open(path).expect("generated module loads");
    let bound = lib.bind::<V>().expect("binds");
    let n = lib.type_count() + bound.shape().size;
    drop(bound);
    lib.unload().expect("unused");
    n
}

/// The floor: what any plugin host pays to open a library and find one
/// symbol, then close it.
fn dlopen_dlsym(path: &Path) -> usize {
    // SAFETY: the generated fixtures run no initialisers of their own.
    let lib = unsafe { libloading::Library::new(path) }.expect("loads");
    // SAFETY: only the symbol's address is taken.
    let sym = unsafe { lib.get::<*const u8>(b"resilient_manifest\0") }.expect("manifest");
    *sym as usize
}

fn open(c: &mut Criterion) {
    let dir = fixtures();
    let mut grp = c.benchmark_group("open");
    grp.sample_size(30).measurement_time(Duration::from_secs(4));
    for n in [1usize, 10, 100, 1000] {
        let path = plugin(&dir, &format!("bench-module-{n}"));
        // Each iteration maps and unmaps the library anew.
        grp.bench_with_input(BenchmarkId::new("dlopen-dlsym", n), &path, |b, p| {
            b.iter(|| dlopen_dlsym(black_box(p)))
        });
        let one: fn(&Path) -> usize = match n {
            1 => open_bind::<Gen1>,
            10 => open_bind::<Gen10>,
            100 => open_bind::<Gen100>,
            _ => open_bind::<Gen1000>,
        };
        grp.bench_with_input(BenchmarkId::new("open-validate-bind", n), &path, |b, p| {
            b.iter(|| one(black_box(p)))
        });
    }

    // The library held by another handle: `dlopen` only counts a
    // reference, and the time over the floor is the metadata check. This
    // is where abi_stable is compared: it never unloads a library, so its
    // load cannot be repeated with an unmap.
    let path = plugin(&dir, "bench-module-10");
    let abi_path = plugin(&dir, "bench-abi-stable");
    peer::pin(&abi_path);
    // SAFETY: the generated fixture runs no initialisers of its own.
    let _pin = unsafe { libloading::Library::new(&path) }.expect("loads");
    grp.bench_function("mapped/dlopen-dlsym/10", |b| {
        b.iter(|| dlopen_dlsym(black_box(&path)))
    });
    grp.bench_function("mapped/open-validate-bind/10", |b| {
        b.iter(|| open_bind::<Gen10>(black_box(&path)))
    });
    // The same, lent nothing: before each iteration (untimed), another
    // library is loaded and unloaded, so that no record of an earlier open
    // holds (an object may have left its address). Each open then checks
    // everything again, by the checked road, and learns from
    // `/proc/self/maps` which file the object (loaded by someone else)
    // maps: what the first open by this crate of a library already loaded
    // costs.
    let other = plugin(&dir, "bench-module-1");
    grp.bench_function("mapped/open-validate-bind-unlent/10", |b| {
        b.iter_batched(
            || {
                black_box(dlopen_dlsym(&other));
            },
            |()| open_bind::<Gen10>(black_box(&path)),
            BatchSize::PerIteration,
        )
    });
    grp.bench_function("mapped/abi_stable-load-check/10", |b| {
        b.iter(|| {
            let raw = abi_stable::library::RawLibrary::load_at(&abi_path).expect("loads");
            // SAFETY: the plugin is an abi_stable library built against
            // the same abi_stable version.
            let header = unsafe { abi_stable::library::lib_header_from_raw_library(&raw) }
                .expect("has a header");
            let module = header
                .init_root_module::<bench_abi_stable_iface::BenchModRef>()
                .expect("checks");
            black_box(module);
        })
    });
    grp.finish();
}

/// A module of `n` types of 8 fields (`T0`, ... with `f0`..`f7`), as the
/// generated fixtures; `next` makes the next version: every type gains a
/// field, moves one, and one type in ten is renamed (one removed, one
/// added).
fn module(n: usize, next: bool) -> ModuleLayout {
    let scalars = [
        ("u64", 8),
        ("u32", 4),
        ("f64", 8),
        ("u16", 2),
        ("i32", 4),
        ("u8", 1),
        ("f32", 4),
        ("i64", 8),
    ];
    let types = (0..n)
        .map(|i| {
            let mut fields: Vec<FieldLayout> = scalars
                .iter()
                .enumerate()
                .map(|(j, (name, size))| FieldLayout {
                    name: format!("f{j}"),
                    offset: j * 8,
                    identity: Identity::Scalar {
                        name: (*name).into(),
                        size: *size,
                        align: *size,
                    },
                })
                .collect();
            if next {
                fields[0].offset = 64;
                fields.push(FieldLayout {
                    name: "extra".into(),
                    offset: 0,
                    identity: Identity::Scalar {
                        name: "u64".into(),
                        size: 8,
                        align: 8,
                    },
                });
            }
            let mut t = TypeLayout {
                name: if next && i % 10 == 9 {
                    format!("N{i}")
                } else {
                    format!("T{i}")
                },
                flags: layout_meta::flags::POD,
                size: 72,
                align: 8,
                stride: 72,
                fingerprint: 0,
                fields,
                witnesses: WitnessAddrs::default(),
                accessors: Vec::new(),
                enum_info: None,
            };
            t.fingerprint = t.compute_fingerprint();
            t
        })
        .collect();
    ModuleLayout {
        name: "generated".into(),
        version: if next { "1.1.0" } else { "1.0.0" }.into(),
        types,
        functions: Vec::new(),
        impls: Vec::new(),
    }
}

/// How the readers of metadata grow with the number of types: `diff` of
/// two versions, full validation of an encoded manifest, the index a
/// loader builds at open, and binding one view with a nested field. Each
/// should grow as `n` (or `n log n`), never `n^2`.
fn growth(c: &mut Criterion) {
    let mut grp = c.benchmark_group("growth");
    grp.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for n in [1usize, 100, 10_000, 65_536] {
        let (old, new) = (module(n, false), module(n, true));
        grp.bench_with_input(BenchmarkId::new("diff", n), &n, |b, _| {
            b.iter(|| layout_meta::diff::diff(black_box(&old), black_box(&new)).len())
        });
        let image = layout_meta::encode::encode(&old, 0x10_0000);
        let mem = image.memory((0, 0));
        // Each reader succeeds: the times are of the whole work.
        assert_eq!(
            layout_meta::validate(&mem, 0x10_0000).map(|m| m.types.len()),
            Ok(n)
        );
        assert!(!layout_meta::diff::diff(&old, &new).is_empty());
        grp.bench_with_input(BenchmarkId::new("validate", n), &n, |b, _| {
            b.iter(|| layout_meta::validate(black_box(&mem), 0x10_0000).map(|m| m.types.len()))
        });
        grp.bench_with_input(BenchmarkId::new("index", n), &n, |b, _| {
            b.iter(|| ModuleIndex::new(black_box(&mem), 0x10_0000, None).map(|(i, _)| i.len()))
        });
        // The last type, nesting the first (a map is built for the nested
        // lookup): the view rule over the whole module.
        let mut nested = old.clone();
        if let Some(last) = nested.types.last_mut() {
            last.fields.push(FieldLayout {
                name: "inner".into(),
                offset: 72,
                identity: Identity::Resilient {
                    name: "T0".into(),
                    size: 72,
                    align: 8,
                },
            });
        }
        let need = ViewNeed {
            module: "generated".into(),
            type_name: format!("T{}", n - 1),
            frozen: None,
            fields: vec![
                FieldNeed {
                    name: "f0".into(),
                    required: true,
                    access: Access::ByValue,
                    identity: Identity::Scalar {
                        name: "u64".into(),
                        size: 8,
                        align: 8,
                    },
                },
                FieldNeed {
                    name: "inner".into(),
                    required: true,
                    access: Access::Nested,
                    identity: Identity::Resilient {
                        name: "T0".into(),
                        size: 0,
                        align: 1,
                    },
                },
            ],
        };
        assert!(bind_view(&need, &nested).is_ok());
        grp.bench_with_input(BenchmarkId::new("bind-view", n), &n, |b, _| {
            b.iter(|| bind_view(black_box(&need), black_box(&nested)).map(|p| p.len()))
        });
    }
    grp.finish();
}

criterion_group!(benches, open, growth);
criterion_main!(benches);
