//! One field read each way, each in its own function that is never
//! inlined, for reading the machine code (`objdump -d`, see
//! docs/BENCHMARKS.md, "Single reads"): the in-domain read, the same
//! through a direct view, a bound token, and the safe handle (made from a
//! pointer and the binding's shape, then read with a token).
//!
//! Run as a program it reads a widget each way and prints the sums (so the
//! functions are kept and used).

use std::hint::black_box;

use resilient_benches::{fixtures, widget, widgets, ScanView, Widget};
use resilient_types::{Direct, DirectView, Field, Ref, Shape, Value};

/// `(*p).id` on the in-domain type.
#[inline(never)]
#[no_mangle]
pub fn read_direct_field(w: &Widget) -> u64 {
    w.id
}

/// The same through the generic API with the `Direct` strategy.
#[inline(never)]
#[no_mangle]
pub fn read_direct_view(w: &Widget) -> u64 {
    let v = ScanView::<Direct<Widget>>::direct();
    Ref::<ScanView<Direct<Widget>>>::from_direct(w).get(v.id)
}

/// A bound token on a raw pointer (no check).
///
/// # Safety
///
/// `p` points at a live value of the type `tok` was bound from.
#[inline(never)]
#[no_mangle]
pub unsafe fn read_indirect_token(p: *const u8, tok: Field<u64>) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { tok.read_raw(p) }
}

/// The safe handle: made from the pointer and the binding's shape, then
/// read with a token (the binding checked).
///
/// # Safety
///
/// `p` points at a live value of the type `shape` was bound from.
#[inline(never)]
#[no_mangle]
pub unsafe fn read_indirect_handle(p: *const u8, shape: Shape, tok: Field<u64>) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { Ref::<ScanView>::from_raw(p, shape) }.get(tok)
}

/// A handle already made (one per value), read with a token.
#[inline(never)]
#[no_mangle]
pub fn read_handle(r: Ref<'_, ScanView>, tok: Field<u64>) -> u64 {
    r.get(tok)
}

fn main() {
    let dir = fixtures();
    let (_lib, w) = widgets(&dir);
    let value = Value::new(&w).expect("widgets have a default");
    let local = widget(7);
    let p = value.as_ref().as_ptr();
    let mut sum = read_direct_field(black_box(&local)) + read_direct_view(black_box(&local));
    // SAFETY: `p` is a live widget of the type `w` is bound from.
    unsafe {
        sum += read_indirect_token(black_box(p), w.id);
        sum += read_indirect_handle(black_box(p), w.shape(), w.id);
    }
    sum += read_handle(black_box(value.as_ref()), w.id);
    println!("{sum}");
}
