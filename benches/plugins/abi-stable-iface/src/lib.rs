//! The peer the benchmarks compare with: `abi_stable`'s prefix types.
//!
//! abi_stable needs the interface types in one crate that both the plugin
//! and the host depend on (its layout check compares crate names and
//! versions). This is that crate: a `Widget` prefix type (the fields of
//! widgets 1.0 that the benchmarks read, `active` added after the prefix, as
//! a later version would add it), ten plain types of eight fields each (the
//! same shapes as the generated `bench-module-10`), and the root module that
//! holds them and one function (a widget's identifier, the body of the
//! widgets fixture's `widget_id`).

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::StableAbi;

/// A widget as abi_stable sees it: a prefix type, read through
/// [`WidgetRef`]. Fields up to `tags` are the prefix every version has;
/// `active` is optional (its accessor returns `Option`).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = WidgetRef)))]
pub struct Widget {
    /// Identifier.
    pub id: u64,
    /// Weight.
    pub weight: f32,
    /// Flags.
    pub flags: u16,
    /// Tags.
    #[sabi(last_prefix_field)]
    pub tags: [u8; 4],
    /// Whether the widget is active: added after the prefix.
    pub active: bool,
}

macro_rules! generated {
    ($($t:ident)*) => {$(
        /// A generated type of 8 fields, as in `bench-module-10`.
        #[repr(C)]
        #[derive(StableAbi, Clone, Copy, Default)]
        pub struct $t {
            /// Field 0.
            pub f0: u64,
            /// Field 1.
            pub f1: u32,
            /// Field 2.
            pub f2: f64,
            /// Field 3.
            pub f3: u16,
            /// Field 4.
            pub f4: i32,
            /// Field 5.
            pub f5: u8,
            /// Field 6.
            pub f6: f32,
            /// Field 7.
            pub f7: i64,
        }
    )*};
}
generated!(T0 T1 T2 T3 T4 T5 T6 T7 T8 T9);

/// The plugin's root module: ten types of eight fields, a widget and a
/// function.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = BenchModRef)))]
#[sabi(missing_field(panic))]
#[allow(missing_docs, reason = "the generated types document themselves")]
pub struct BenchMod {
    pub t0: T0,
    pub t1: T1,
    pub t2: T2,
    pub t3: T3,
    pub t4: T4,
    pub t5: T5,
    pub t6: T6,
    pub t7: T7,
    pub t8: T8,
    pub t9: T9,
    /// A widget whose `id` is 7 and whose `active` is true.
    pub widget: WidgetRef,
    /// A module function, as abi_stable plugins export functions: a
    /// widget's identifier. In the prefix, so its accessor is a constant
    /// offset from the module pointer.
    #[sabi(last_prefix_field)]
    pub widget_id: extern "C" fn(WidgetRef) -> u64,
}

impl RootModule for BenchModRef {
    abi_stable::declare_root_module_statics! {BenchModRef}
    const BASE_NAME: &'static str = "bench_abi_stable";
    const NAME: &'static str = "bench_abi_stable";
    const VERSION_STRINGS: VersionStrings = abi_stable::package_version_strings!();
}
