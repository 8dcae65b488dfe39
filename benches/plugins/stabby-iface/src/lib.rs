//! The second peer the benchmarks compare with: `stabby`.
//!
//! stabby's report of a type names the module that declares it, so the
//! type a plugin function takes must come from one crate that both the
//! plugin and the host depend on (as with abi_stable). This is that crate:
//! the part of a widget the benchmarked function reads.

/// A widget as stabby sees it: a `#[repr(C)]` struct whose layout stabby
/// proves and reports.
#[stabby::stabby]
#[derive(Clone, Copy, Default)]
pub struct Widget {
    /// Identifier.
    pub id: u64,
    /// Four tag bytes, as a little-endian `u32`.
    pub tags: u32,
}

/// The signature of the plugin's `stabby_widget_id`, as the host imports it
/// (stabby checks it against the report the plugin exports).
pub type WidgetIdFn = unsafe extern "C" fn(w: *const Widget) -> u64;
