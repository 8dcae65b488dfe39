//! Runs one benchmark variant a fixed number of times, for instruction
//! counts under `valgrind --tool=callgrind` (a noise-free second measure;
//! see benches/callgrind.sh): `count VARIANT N`.

use std::hint::black_box;
use std::process::ExitCode;

use resilient_benches::{
    fixtures, plugin, scan, scan_getters, widget, widgets, Blob1K, Blob1KView, Blob64, Blob64View,
    CallApi, Describe, DescribeIface, Fns1, Fns100, Getters, ScanClient, ScanView, Widget,
};
use resilient_loader::Library;
use resilient_types::{with_inline, with_stack, Array, Bindable, Direct, DirectView, Ref, Value};

const SCAN_LEN: usize = 1000;

/// Runs `op` `n` times, summing its results (inlined into each caller, so
/// each variant gets its own loop).
#[inline(always)]
fn repeat(n: usize, mut op: impl FnMut() -> u64) -> u64 {
    let mut sink = 0u64;
    for _ in 0..n {
        sink = sink.wrapping_add(op());
    }
    sink
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(variant), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: count VARIANT N");
        return ExitCode::from(2);
    };
    let dir = fixtures();
    if let Some(sink) = functions(variant, n, &dir) {
        black_box(sink);
        return ExitCode::SUCCESS;
    }
    let (_lib, w) = widgets(&dir);
    let g = Getters::open(&plugin(&dir, "widget-v1"));
    let blobs = Library::open(plugin(&dir, "bench-blobs")).expect("blobs load");
    let b64 = blobs.bind::<Blob64View>().expect("binds");
    let b1k = blobs.bind::<Blob1KView>().expect("binds");
    let foreign = Value::new(&w).expect("default");
    let local = widget(7);
    let direct = ScanView::<Direct<Widget>>::direct();
    let many = Array::new(&w, SCAN_LEN).expect("default");
    let p = foreign.as_ref().as_ptr();
    let shape = w.shape();
    let (tok, get_id) = (w.id, g.get_id);
    // The variant is chosen once, outside the loop: each arm is its own
    // monomorphised loop, so a count holds the operation and a loop
    // counter, not the dispatch. As in the criterion harness, addresses go
    // through `black_box` each iteration and tokens stay in registers.
    let sink = match variant.as_str() {
        "read-direct" => repeat(n, || {
            Ref::<ScanView<Direct<Widget>>>::from_direct(black_box(&local)).get(direct.id)
        }),
        "read-indirect" => repeat(n, || {
            // SAFETY: `p` is a live widget of the type `w` is bound from.
            unsafe { Ref::<ScanView>::from_raw(black_box(p), shape) }.get(tok)
        }),
        // SAFETY: as above.
        "read-token" => repeat(n, || unsafe { tok.read_raw(black_box(p)) }),
        // SAFETY: a live widget of the getter's library.
        "read-getter" => repeat(n, || unsafe { get_id(black_box(p)) }),
        "scan-direct" => repeat(n, || {
            w.specialize::<Widget, _>(black_box(many.as_slice()), ScanClient)
                .1
        }),
        "scan-indirect" => repeat(n, || scan(w.view().as_with(), black_box(many.as_slice()))),
        "scan-getter" => repeat(n, || scan_getters(&g, black_box(many.as_slice()))),
        "alloc-stack-64" => repeat(n, || with_stack(&b64, |m| m.get(b64.tag)).expect("default")),
        "alloc-inline-64" => repeat(n, || {
            with_inline::<1088, _, _>(&b64, |m| m.get(b64.tag)).expect("default")
        }),
        "alloc-heap-64" => repeat(n, || {
            Value::new(&b64).expect("default").as_ref().get(b64.tag)
        }),
        "alloc-box-64" => repeat(n, || {
            Box::new(black_box(Blob64 {
                tag: 64,
                data: [0; 7],
            }))
            .tag
        }),
        "alloc-stack-1k" => repeat(n, || with_stack(&b1k, |m| m.get(b1k.tag)).expect("default")),
        "alloc-inline-1k" => repeat(n, || {
            with_inline::<1088, _, _>(&b1k, |m| m.get(b1k.tag)).expect("default")
        }),
        "alloc-heap-1k" => repeat(n, || {
            Value::new(&b1k).expect("default").as_ref().get(b1k.tag)
        }),
        "alloc-box-1k" => repeat(n, || {
            Box::new(black_box(Blob1K {
                tag: 1024,
                data: [0; 127],
            }))
            .tag
        }),
        other => {
            eprintln!("unknown variant {other}");
            return ExitCode::from(2);
        }
    };
    black_box(sink);
    ExitCode::SUCCESS
}

/// The variants of the `call`, `iface` and `bind-fn` groups, in a function
/// of their own so that their setup leaves the other variants' loops (and
/// their counts) as they were. `None` for another variant.
#[inline(never)]
fn functions(variant: &str, n: usize, dir: &std::path::Path) -> Option<u64> {
    let (lib, w) = widgets(dir);
    let g = Getters::open(&plugin(dir, "widget-v1"));
    let get_id = g.get_id;
    let foreign = Value::new(&w).expect("default");
    let (r, p) = (foreign.as_ref(), foreign.as_ref().as_ptr());
    let api = lib.bind_api::<CallApi>().expect("binds");
    api.silence_panics.call().expect("silence_panics");
    let obj = lib
        .implementations::<DescribeIface>()
        .expect("binds")
        .into_iter()
        .find(|i| i.type_name() == "Widget")
        .expect("Describe for Widget")
        .create()
        .expect("default");
    let (key, this) = (obj.methods().key.clone(), obj.this());
    let local = widget(7);
    let d: &dyn Describe = &local;
    let fns = Library::open(plugin(dir, "bench-functions-100")).expect("loads");
    Some(match variant {
        "call-bound" => repeat(n, || api.widget_id.call(black_box(r)).unwrap_or(0)),
        // SAFETY: a live widget of the getter's library.
        "call-getter" => repeat(n, || unsafe { get_id(black_box(p)) }),
        "call-panic-free" => repeat(n, || {
            u64::from(api.maybe_panic.call(black_box(false), "bench").unwrap_or(0))
        }),
        "call-panic-caught" => repeat(n, || {
            u64::from(api.maybe_panic.call(black_box(true), "bench").unwrap_or(0))
        }),
        "iface-dyn" => repeat(n, || black_box(d).key()),
        "iface-bound" => repeat(n, || {
            let o = black_box(&obj);
            o.methods().key.call(o.this()).unwrap_or(0)
        }),
        "iface-bound-hoisted" => repeat(n, || key.call(black_box(this)).unwrap_or(0)),
        "bind-fn-100" => repeat(n, || {
            let a = fns.bind_api::<Fns100>().expect("binds");
            a.fn00.layout().params.len() as u64
        }),
        "bind-fn-1" => repeat(n, || {
            let a = fns.bind_api::<Fns1>().expect("binds");
            a.fn75.layout().params.len() as u64
        }),
        _ => return None,
    })
}
