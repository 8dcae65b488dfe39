//! Benchmark peer: a stabby plugin. It exports, with `#[stabby::export]`,
//! the function the `call` benchmark calls: a widget's identifier, the same
//! body as the widgets fixture's `widget_id`. stabby exports the function
//! under its own name plus a report of its signature, which the host checks
//! when it loads the symbol (`StabbyLibrary::get_stabbied`).

use bench_stabby_iface::Widget;

/// A widget's identifier.
///
/// # Safety
///
/// `w` points at a live `Widget`.
#[stabby::export]
pub unsafe extern "C" fn stabby_widget_id(w: *const Widget) -> u64 {
    // SAFETY: the caller passes a live widget.
    unsafe { (*w).id }
}
