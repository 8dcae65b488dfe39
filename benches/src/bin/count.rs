//! Runs one benchmark variant a fixed number of times, for instruction
//! counts under `valgrind --tool=callgrind` (a noise-free second measure;
//! see benches/callgrind.sh): `count VARIANT N`.

use std::hint::black_box;
use std::process::ExitCode;

use resilient_benches::{
    fixtures, plugin, scan, scan_getters, widget, widgets, Blob1K, Blob1KView, Blob64, Blob64View,
    Getters, ScanView, Widget,
};
use resilient_loader::Library;
use resilient_types::{
    with_inline, with_stack, Array, Bindable, Direct, DirectView, Ref, Slice, Value,
};

const SCAN_LEN: usize = 1000;

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
    let (_lib, w) = widgets(&dir);
    let g = Getters::open(&plugin(&dir, "widget-v1"));
    let blobs = Library::open(plugin(&dir, "bench-blobs")).expect("blobs load");
    let b64 = blobs.bind::<Blob64View>().expect("binds");
    let b1k = blobs.bind::<Blob1KView>().expect("binds");
    let foreign = Value::new(&w).expect("default");
    let local = widget(7);
    let direct = ScanView::<Direct<Widget>>::direct();
    let many = Array::new(&w, SCAN_LEN).expect("default");
    let locals: Vec<Widget> = (0..SCAN_LEN as u64).map(widget).collect();
    let p = foreign.as_ref().as_ptr();
    let shape = w.shape();
    let mut sink = 0u64;
    for _ in 0..n {
        sink = sink.wrapping_add(match variant.as_str() {
            "read-direct" => {
                Ref::<ScanView<Direct<Widget>>>::from_direct(black_box(&local)).get(direct.id)
            }
            // SAFETY: `p` is a live widget of the type `w` is bound from.
            "read-indirect" => unsafe { Ref::<ScanView>::from_raw(black_box(p), shape) }.get(w.id),
            // SAFETY: as above.
            "read-token" => unsafe { w.id.read_raw(black_box(p)) },
            // SAFETY: a live widget of the getter's library.
            "read-getter" => unsafe { (g.get_id)(black_box(p)) },
            "scan-direct" => scan(&direct, Slice::from_direct(black_box(&locals))),
            "scan-indirect" => scan(w.view().as_with(), black_box(many.as_slice())),
            "scan-getter" => scan_getters(&g, black_box(many.as_slice())),
            "alloc-stack-64" => with_stack(&b64, |m| m.get(b64.tag)).expect("default"),
            "alloc-inline-64" => {
                with_inline::<1088, _, _>(&b64, |m| m.get(b64.tag)).expect("default")
            }
            "alloc-heap-64" => Value::new(&b64).expect("default").as_ref().get(b64.tag),
            "alloc-stack-1k" => with_stack(&b1k, |m| m.get(b1k.tag)).expect("default"),
            "alloc-inline-1k" => {
                with_inline::<1088, _, _>(&b1k, |m| m.get(b1k.tag)).expect("default")
            }
            "alloc-heap-1k" => Value::new(&b1k).expect("default").as_ref().get(b1k.tag),
            "alloc-box-64" => {
                Box::new(black_box(Blob64 {
                    tag: 64,
                    data: [0; 7],
                }))
                .tag
            }
            "alloc-box-1k" => {
                Box::new(black_box(Blob1K {
                    tag: 1024,
                    data: [0; 127],
                }))
                .tag
            }
            other => {
                eprintln!("unknown variant {other}");
                return ExitCode::from(2);
            }
        });
    }
    black_box(sink);
    ExitCode::SUCCESS
}
