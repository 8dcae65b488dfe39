//! The criterion harness: every group registered here, direct and indirect
//! variants of the same code side by side in the same run.
//!
//! `cargo bench -p resilient-benches` (add `-- GROUP` to run one group).
//! docs/BENCHMARKS.md has the results and the ratios.
#![allow(
    missing_docs,
    clippy::cast_possible_truncation,
    reason = "benchmark harness; synthetic data wraps on purpose"
)]

use std::hint::black_box;
use std::time::Duration;

use bench_stabby_iface::WidgetIdFn;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use resilient_benches::{
    fixtures, plugin, scan, scan_getters, widget, widgets, Blob1K, Blob1KView, Blob64, Blob64View,
    CallApi, Describe, DescribeIface, Fns1, Fns100, Gen1, Gen10, Gen100, Gen1000, Getters,
    ScanClient, ScanView, Widget,
};
use resilient_loader::Library;
use resilient_types::{
    with_inline, with_stack, Array, Bindable, Direct, DirectView, Mut, Ref, Slice, Value,
};

const SCAN_LEN: usize = 1_000_000;

/// The peer: abi_stable's prefix types, from a real abi_stable plugin.
mod peer {
    use std::path::Path;
    use std::sync::OnceLock;

    use abi_stable::library::{lib_header_from_path, LibHeader};
    use bench_abi_stable_iface::BenchModRef;

    /// Loads the abi_stable plugin once, as abi_stable loads every library:
    /// for good. (Its layout checker keeps references into each library it
    /// has checked in process-wide tables, so an abi_stable library must
    /// never be unloaded; this also keeps it mapped for the load group.)
    pub fn module(path: &Path) -> (&'static LibHeader, BenchModRef) {
        static LOADED: OnceLock<(&'static LibHeader, BenchModRef)> = OnceLock::new();
        *LOADED.get_or_init(|| {
            let header = lib_header_from_path(path).expect("the abi_stable plugin loads");
            let module = header
                .init_root_module::<BenchModRef>()
                .expect("the abi_stable plugin's layout checks");
            (header, module)
        })
    }
}

fn field(c: &mut Criterion) {
    let dir = fixtures();
    let (_lib, w) = widgets(&dir);
    let g = Getters::open(&plugin(&dir, "widget-v1"));
    let (get_id, set_id) = (g.get_id, g.set_id);
    let mut foreign = Value::new(&w).expect("widgets have a default");
    let mut local = widget(7);
    let direct = ScanView::<Direct<Widget>>::direct();
    let abi = peer::module(&plugin(&dir, "bench-abi-stable")).1.widget();
    assert_eq!(
        (abi.id(), abi.active()),
        (7, Some(true)),
        "abi_stable reads"
    );

    // Every variant does the same per iteration: it takes the value's
    // address (or handle) through `black_box`, so the compiler must do the
    // access each time instead of hoisting it out of the loop, and then
    // reads or writes one field. Everything else (tokens, offsets, function
    // pointers, the value written) is moved into the closure and stays in
    // registers, as in client code. Without the `black_box` on the address
    // a loop-invariant read is hoisted and the loop measures nothing; with
    // `black_box` on everything, the loop measures reloads that client code
    // does not do.
    let mut grp = c.benchmark_group("field");
    let lp = &raw mut local;
    let id = direct.id;
    grp.bench_function("read/direct-field", move |b| {
        b.iter(move || {
            // SAFETY: `lp` points at `local`, alive for the whole function
            // and not otherwise used while the loop runs.
            unsafe { (*black_box(lp)).id }
        })
    });
    grp.bench_function("read/direct-view", move |b| {
        b.iter(move || {
            // SAFETY: as above.
            let local = unsafe { &*black_box(lp) };
            Ref::<ScanView<Direct<Widget>>>::from_direct(local).get(id)
        })
    });
    let (tok, p) = (w.id, foreign.as_ref().as_ptr());
    grp.bench_function("read/indirect-token", move |b| {
        b.iter(move || {
            // SAFETY: `p` is a live widget of the library `w` was bound from.
            unsafe { tok.read_raw(black_box(p)) }
        })
    });
    // A handle made from the (opaque) address and the binding's shape, as a
    // client makes one per value: the binding check is loop-invariant and
    // hoisted with the token.
    let shape = w.shape();
    grp.bench_function("read/indirect-handle", move |b| {
        b.iter(move || {
            // SAFETY: `p` is a live widget of the type `shape` is bound from.
            unsafe { Ref::<ScanView>::from_raw(black_box(p), shape) }.get(tok)
        })
    });
    // The whole handle opaque (as when it is loaded from memory each time):
    // the check reloads the binding and compares it with the token's.
    let r = foreign.as_ref();
    grp.bench_function("read/indirect-handle-reloaded", move |b| {
        b.iter(move || black_box(r).get(tok))
    });
    // A field of the prefix every version has: a constant offset from the
    // prefix pointer.
    grp.bench_function("read/abi_stable-prefix", move |b| {
        b.iter(move || black_box(abi).id())
    });
    // A field added after the prefix: checked against the fields the loaded
    // library has, `None` if it has fewer.
    grp.bench_function("read/abi_stable-optional", move |b| {
        b.iter(move || black_box(abi).active())
    });
    grp.bench_function("read/getter", move |b| {
        b.iter(move || {
            // SAFETY: `p` is a live widget of the getter's own library.
            unsafe { get_id(black_box(p)) }
        })
    });

    let v = black_box(9u64);
    grp.bench_function("write/direct-field", move |b| {
        b.iter(move || {
            // SAFETY: as for the reads of `lp` above.
            unsafe { (*black_box(lp)).id = v };
        })
    });
    let pm = foreign.as_mut().as_mut_ptr();
    grp.bench_function("write/indirect-token", move |b| {
        b.iter(move || {
            // SAFETY: `pm` is a live widget of `w`'s library, not otherwise
            // accessed while the loop runs.
            unsafe { tok.write_raw(black_box(pm), v) }
        })
    });
    grp.bench_function("write/indirect-handle", move |b| {
        b.iter(move || {
            // SAFETY: as above; the handle is the only access while it lives.
            unsafe { Mut::<ScanView>::from_raw(black_box(pm), shape) }.set(tok, v)
        })
    });
    let mut m = foreign.as_mut();
    grp.bench_function("write/indirect-handle-reloaded", |b| {
        b.iter(|| black_box(&mut m).set(tok, v))
    });
    grp.bench_function("write/setter", move |b| {
        b.iter(move || {
            // SAFETY: as above, through the library's own setter.
            unsafe { set_id(black_box(pm), v) }
        })
    });
    grp.finish();
    drop(g);
}

fn scan_group(c: &mut Criterion) {
    let dir = fixtures();
    let (_lib, w) = widgets(&dir);
    let g = Getters::open(&plugin(&dir, "widget-v1"));
    let mut foreign = Array::new(&w, SCAN_LEN).expect("widgets have a default");
    for i in 0..SCAN_LEN {
        let mut m = foreign.get_mut(i).expect("in bounds");
        m.set(w.id, i as u64);
        m.set(w.tags, (i as u32).to_le_bytes());
    }
    let local: Vec<Widget> = (0..SCAN_LEN as u64).map(widget).collect();
    let direct = ScanView::<Direct<Widget>>::direct();
    let expected = scan(&direct, Slice::from_direct(&local));
    assert_eq!(
        scan(&*w, foreign.as_slice()),
        expected,
        "both strategies agree"
    );

    // `direct` and `indirect` read the same foreign values, so only the
    // access code differs: `direct` is the optimistic specialisation (widgets
    // 1.0's layout is the compiled-in `Widget`'s, so the scan runs with
    // constant offsets over the foreign memory). Scanning two different
    // 56 MB allocations instead measured where their pages fell: the ratio
    // moved between 0.88 and 1.15 from one run to the next.
    // `direct-in-domain` scans a `Vec` of the in-domain type, for reference.
    assert!(
        w.matches_in_domain::<Widget>(),
        "the fixture's layout is Widget's"
    );
    let mut grp = c.benchmark_group("scan");
    grp.throughput(criterion::Throughput::Elements(SCAN_LEN as u64));
    grp.bench_function("direct", |b| {
        b.iter(|| w.specialize::<Widget, _>(black_box(foreign.as_slice()), ScanClient))
    });
    assert_eq!(
        w.specialize::<Widget, _>(foreign.as_slice(), ScanClient),
        (true, expected),
        "the direct path is taken"
    );
    grp.bench_function("indirect", |b| {
        b.iter(|| scan(black_box(w.view().as_with()), black_box(foreign.as_slice())))
    });
    assert_eq!(
        scan_getters(&g, foreign.as_slice()),
        expected,
        "getters agree"
    );
    grp.bench_function("getter", |b| {
        b.iter(|| scan_getters(&g, black_box(foreign.as_slice())))
    });
    grp.bench_function("direct-in-domain", |b| {
        b.iter(|| scan(black_box(&direct), Slice::from_direct(black_box(&local))))
    });
    grp.finish();

    // The same over 10,000 values (560 KB, in cache): compute-bound rather
    // than memory-bound, so per-value costs show.
    let mut grp = c.benchmark_group("scan-in-cache");
    let n = 10_000;
    grp.throughput(criterion::Throughput::Elements(n as u64));
    let part = Array::new(&w, n).expect("widgets have a default");
    grp.bench_function("direct", |b| {
        b.iter(|| w.specialize::<Widget, _>(black_box(part.as_slice()), ScanClient))
    });
    grp.bench_function("indirect", |b| {
        b.iter(|| scan(black_box(w.view().as_with()), black_box(part.as_slice())))
    });
    grp.bench_function("getter", |b| {
        b.iter(|| scan_getters(&g, black_box(part.as_slice())))
    });
    grp.bench_function("direct-in-domain", |b| {
        b.iter(|| {
            scan(
                black_box(&direct),
                Slice::from_direct(black_box(&local[..n])),
            )
        })
    });
    grp.finish();
}

fn alloc(c: &mut Criterion) {
    let dir = fixtures();
    let lib = Library::open(plugin(&dir, "bench-blobs")).expect("blobs load");
    let b64 = lib.bind::<Blob64View>().expect("binds");
    let b1k = lib.bind::<Blob1KView>().expect("binds");
    let mut grp = c.benchmark_group("alloc");
    macro_rules! variants {
        ($name:literal, $bound:expr, $local:expr) => {
            let bound = &$bound;
            grp.bench_function(concat!($name, "/stack"), |b| {
                b.iter(|| with_stack(black_box(bound), |m| m.get(bound.tag)).expect("default"))
            });
            grp.bench_function(concat!($name, "/inline"), |b| {
                b.iter(|| {
                    with_inline::<1088, _, _>(black_box(bound), |m| m.get(bound.tag))
                        .expect("default")
                })
            });
            grp.bench_function(concat!($name, "/heap-witness"), |b| {
                b.iter(|| {
                    Value::new(black_box(bound))
                        .expect("default")
                        .as_ref()
                        .get(bound.tag)
                })
            });
            grp.bench_function(concat!($name, "/box-in-domain"), |b| {
                b.iter(|| Box::new(black_box($local)).tag)
            });
        };
    }
    variants!(
        "64B",
        b64,
        Blob64 {
            tag: 64,
            data: [0; 7]
        }
    );
    variants!(
        "1KiB",
        b1k,
        Blob1K {
            tag: 1024,
            data: [0; 127]
        }
    );
    grp.finish();
}

fn load(c: &mut Criterion) {
    let dir = fixtures();
    let mut grp = c.benchmark_group("load");
    grp.sample_size(30).measurement_time(Duration::from_secs(4));
    fn open_bind<V: Bindable>(path: &std::path::Path) -> usize {
        let lib = Library::open(path).expect("generated module loads");
        let bound = lib.bind::<V>().expect("binds");
        let n = lib.type_count() + bound.shape().size;
        drop(bound);
        lib.unload().expect("unused");
        n
    }
    for (n, pkg) in [
        (1, "bench-module-1"),
        (10, "bench-module-10"),
        (100, "bench-module-100"),
        (1000, "bench-module-1000"),
    ] {
        let path = plugin(&dir, pkg);
        // The floor: what any plugin host pays to open a library and find a
        // symbol, then close it (each iteration maps and unmaps it anew).
        grp.bench_with_input(BenchmarkId::new("dlopen-dlsym", n), &path, |b, path| {
            b.iter(|| {
                // SAFETY: the generated fixtures run no initialisers of their own.
                let lib = unsafe { libloading::Library::new(path) }.expect("loads");
                // SAFETY: only the symbol's address is taken.
                let sym = unsafe { lib.get::<*const u8>(b"resilient_manifest") }.expect("manifest");
                black_box(*sym);
            })
        });
        grp.bench_with_input(
            BenchmarkId::new("open-validate-bind", n),
            &path,
            |b, path| {
                b.iter(|| match n {
                    1 => open_bind::<Gen1>(path),
                    10 => open_bind::<Gen10>(path),
                    100 => open_bind::<Gen100>(path),
                    _ => open_bind::<Gen1000>(path),
                })
            },
        );
        // Binding alone, the library already open: the per-type cost.
        let lib = Library::open(&path).expect("loads");
        grp.bench_with_input(BenchmarkId::new("bind-one-view", n), &lib, |b, lib| {
            b.iter(|| match n {
                1 => lib.bind::<Gen1>().map(|b| b.shape().size),
                10 => lib.bind::<Gen10>().map(|b| b.shape().size),
                100 => lib.bind::<Gen100>().map(|b| b.shape().size),
                _ => lib.bind::<Gen1000>().map(|b| b.shape().size),
            })
        });
    }

    // The same, with the library already mapped (held by another handle):
    // `dlopen` only bumps a reference count, so the time over the floor is
    // the metadata check alone. abi_stable's full load (open, find its
    // header, check versions, check the root module's layout) runs here
    // because abi_stable never unloads a library (see `peer::module`); its
    // module holds the same ten 8-field types as `bench-module-10`, plus
    // the widget prefix type.
    let path = plugin(&dir, "bench-module-10");
    let abi_path = plugin(&dir, "bench-abi-stable");
    let _pin_abi = peer::module(&abi_path);
    // SAFETY: the generated fixture runs no initialisers of its own.
    let _pin = unsafe { libloading::Library::new(&path) }.expect("loads");
    grp.bench_function("mapped/dlopen-dlsym/10", |b| {
        b.iter(|| {
            // SAFETY: as for the floor above.
            let lib = unsafe { libloading::Library::new(&path) }.expect("loads");
            // SAFETY: only the symbol's address is taken.
            let sym = unsafe { lib.get::<*const u8>(b"resilient_manifest") }.expect("manifest");
            black_box(*sym);
        })
    });
    grp.bench_function("mapped/open-validate-bind/10", |b| {
        b.iter(|| open_bind::<Gen10>(&path))
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
            // Dropping `raw` only drops a reference: `peer::module` holds the
            // library for good.
        })
    });
    grp.finish();
}

/// A bound call (`Func::call`), against the same function's thunk called
/// through its raw pointer (what the binding holds, without the binding's
/// checks), against the plugin's plain `extern "C"` function of the same
/// body found with `dlsym` (the C-FFI way), and against the two peers'
/// function calls: abi_stable's module function and stabby's
/// `#[stabby::export]`ed function loaded with `get_stabbied`. And the cost
/// of a call whose panic is caught, against the same call not panicking.
///
/// Every variant calls a function that reads a widget's `id`; the argument
/// goes through `black_box` each iteration, the function (token, pointer,
/// module) is moved into the closure, as in client code.
fn call(c: &mut Criterion) {
    use layout_meta::function::{status, CallError, Ret, ThunkFn};
    use stabby::libloading::StabbyLibrary as _;
    let dir = fixtures();
    let (lib, w) = widgets(&dir);
    let api = lib
        .bind_api::<CallApi>()
        .expect("widget-v1 exports the functions");
    api.silence_panics.call().expect("silence_panics");
    let g = Getters::open(&plugin(&dir, "widget-v1"));
    let get_id = g.get_id;
    let foreign = Value::new(&w).expect("widgets have a default");
    let record = lib
        .module()
        .expect("widget-v1 is valid")
        .function("widget_id")
        .expect("widget_id is exported");
    // SAFETY: the validated record says `widget_id` takes `&Widget` and
    // returns `u64`: its thunk has exactly this signature (the calling
    // convention of `layout_meta::function`), and `lib` keeps it loaded.
    let raw = unsafe {
        std::mem::transmute::<
            ThunkFn,
            unsafe extern "C" fn(*const u8, *mut (), *mut CallError) -> Ret<u64>,
        >(std::mem::transmute::<usize, ThunkFn>(record.thunk))
    };
    let r = foreign.as_ref();
    let p = r.as_ptr();
    assert_eq!(api.widget_id.call(r).expect("call"), 1);
    // SAFETY: `p` is a live widget of the library `get_id` is from.
    assert_eq!(unsafe { get_id(p) }, 1);

    // The peers. abi_stable: the root module's function field, read through
    // its prefix accessor on each call, as an abi_stable client calls it.
    let abi = peer::module(&plugin(&dir, "bench-abi-stable")).1;
    let abi_widget = abi.widget();
    assert_eq!((abi.widget_id())(abi_widget), 7, "abi_stable calls");
    // stabby: the exported function, its signature checked against the
    // report the plugin exports, through stabby's libloading integration.
    // SAFETY: the stabby plugin runs no initialisers of its own.
    let stabby_lib =
        unsafe { libloading::Library::new(plugin(&dir, "bench-stabby-plugin")) }.expect("loads");
    // SAFETY: `get_stabbied` checks the symbol's reported signature against
    // `WidgetIdFn` before handing it out.
    let stabby_id: WidgetIdFn =
        *unsafe { stabby_lib.get_stabbied::<WidgetIdFn>(b"stabby_widget_id") }
            .expect("the stabby plugin's function and report match");
    let stabby_widget = bench_stabby_iface::Widget { id: 7, tags: 7 };
    let sp = &raw const stabby_widget;
    // SAFETY: `sp` points at a live stabby widget; the library is loaded.
    assert_eq!(unsafe { stabby_id(sp) }, 7, "stabby calls");

    let mut grp = c.benchmark_group("call");
    let f = api.widget_id.clone();
    grp.bench_function("bound", move |b| {
        let f = f.clone();
        b.iter(move || f.call(black_box(r)))
    });
    grp.bench_function("raw-thunk", move |b| {
        b.iter(move || {
            let mut err = core::mem::MaybeUninit::<CallError>::uninit();
            // SAFETY: `p` is a live widget of this library; `err` is
            // writable; the result needs no room.
            let r = unsafe { raw(black_box(p), core::ptr::null_mut(), err.as_mut_ptr()) };
            // One word, as a client keeps it.
            if r.status == status::OK {
                // SAFETY: `OK`: the thunk returned a `u64`.
                unsafe { r.assume_ok() }
            } else {
                u64::MAX
            }
        })
    });
    grp.bench_function("c-getter-dlsym", move |b| {
        b.iter(move || {
            // SAFETY: `p` is a live widget of the library `get_id` is from.
            unsafe { get_id(black_box(p)) }
        })
    });
    grp.bench_function("abi_stable-module-fn", move |b| {
        b.iter(move || (abi.widget_id())(black_box(abi_widget)))
    });
    grp.bench_function("stabby-export", move |b| {
        b.iter(move || {
            // SAFETY: `sp` points at a live stabby widget, and `stabby_lib`
            // keeps the function loaded while the group runs.
            unsafe { stabby_id(black_box(sp)) }
        })
    });
    let m = api.maybe_panic.clone();
    grp.bench_function("panic-free", move |b| {
        let m = m.clone();
        b.iter(move || m.call(black_box(false), "bench"))
    });
    let m = api.maybe_panic.clone();
    assert!(
        m.call(true, "bench").is_err(),
        "the panic comes back as an error"
    );
    grp.bench_function("panic-caught", move |b| {
        let m = m.clone();
        b.iter(move || m.call(black_box(true), "bench"))
    });
    grp.finish();
    drop(stabby_lib);
    drop(g);
}

/// An interface method called through an [`Object`]'s bound method table,
/// against the same method body called through an in-domain `&dyn Trait`.
/// In *bound-method* and *dyn-in-domain* the object goes through
/// `black_box` each iteration, so both load their method from the table on
/// each call; *bound-method-hoisted* holds the bound method and the receiver
/// in registers (as the `call` group's variants do).
///
/// [`Object`]: resilient_types::Object
fn iface(c: &mut Criterion) {
    let dir = fixtures();
    let (lib, _w) = widgets(&dir);
    let imp = lib
        .implementations::<DescribeIface>()
        .expect("widget-v1's implementations bind")
        .into_iter()
        .find(|i| i.type_name() == "Widget")
        .expect("widget-v1 implements Describe for Widget");
    let obj = imp.create().expect("widgets have a default");
    assert_eq!(obj.methods().key.call(obj.this()).expect("call"), 1);
    let local = widget(1);
    let d: &dyn Describe = &local;
    assert_eq!(d.key(), 1);

    let mut grp = c.benchmark_group("iface");
    grp.bench_function("dyn-in-domain", move |b| b.iter(move || black_box(d).key()));
    let o = &obj;
    grp.bench_function("bound-method", move |b| {
        b.iter(move || {
            let o = black_box(o);
            o.methods().key.call(o.this())
        })
    });
    let (key, this) = (obj.methods().key.clone(), obj.this());
    grp.bench_function("bound-method-hoisted", move |b| {
        let key = key.clone();
        b.iter(move || key.call(black_box(this)))
    });
    grp.finish();
}

/// Binding an `api!` of 100 functions (25 of each of four signatures, 25
/// taking a reference to an exported type), the library already open; and
/// of one function, for the fixed cost. Each iteration also drops what it
/// bound (100 reference counts).
fn bind_fn(c: &mut Criterion) {
    let dir = fixtures();
    let lib = Library::open(plugin(&dir, "bench-functions-100")).expect("functions-100 loads");
    let all = lib.bind_api::<Fns100>().expect("binds");
    assert_eq!(all.fn00.call(1).expect("call"), 1);
    assert_eq!(all.fn99.layout().name, "fn99");
    drop(all);
    let mut grp = c.benchmark_group("bind-fn");
    grp.bench_function("api-100", |b| {
        b.iter(|| lib.bind_api::<Fns100>().expect("binds"))
    });
    grp.bench_function("api-1", |b| {
        b.iter(|| lib.bind_api::<Fns1>().expect("binds"))
    });
    grp.finish();
}

criterion_group!(benches, field, scan_group, alloc, load, call, iface, bind_fn);
criterion_main!(benches);
