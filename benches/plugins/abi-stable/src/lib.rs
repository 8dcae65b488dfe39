#![allow(
    missing_docs,
    reason = "`export_root_module` emits an undocumented static; everything written here is documented"
)]
//! Benchmark peer: an abi_stable plugin. Its root module holds ten plain
//! types, a prefix-type widget and a function (see `bench-abi-stable-iface`).

use abi_stable::export_root_module;
use abi_stable::prefix_type::PrefixTypeTrait;
use bench_abi_stable_iface::{BenchMod, BenchModRef, Widget, WidgetRef};

/// The root module abi_stable's loader looks up.
#[export_root_module]
pub fn get_library() -> BenchModRef {
    let widget = Widget {
        id: 7,
        weight: 1.5,
        flags: 3,
        tags: 7u32.to_le_bytes(),
        active: true,
    }
    .leak_into_prefix();
    BenchMod {
        t0: Default::default(),
        t1: Default::default(),
        t2: Default::default(),
        t3: Default::default(),
        t4: Default::default(),
        t5: Default::default(),
        t6: Default::default(),
        t7: Default::default(),
        t8: Default::default(),
        t9: Default::default(),
        widget,
        widget_id,
    }
    .leak_into_prefix()
}

/// A widget's identifier: the module function the `call` benchmark calls.
extern "C" fn widget_id(w: WidgetRef) -> u64 {
    w.id()
}
