//! Loader integration tests against real fixture cdylibs (tests/plugins),
//! built once per run by `resilient-testkit`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test code: a panic is the failure report"
)]

mod bind;
mod enums;
mod errors;
mod functions;
mod lifetime;
mod registry;
mod specialize;
mod strings;

use resilient_types::{view, Field, Nested};

view! {
    /// The host's view of a point.
    pub struct PointView = "widgets"::"Point" {
        pub x: Field<i32>,
        pub y: Field<i32>,
    }
}

view! {
    /// What a host written against widgets 1.0 uses.
    pub struct WidgetView = "widgets"::"Widget" {
        pub id: Field<u64>,
        pub weight: Field<f32>,
        pub flags: Field<u16>,
        pub tags: Field<[u8; 4]>,
        pub origin: Nested<PointView>,
        pub active: Field<bool>,
        /// New in 1.2.
        pub scale: Option<Field<f64>>,
    }
}

/// Path of a fixture plugin.
pub fn plugin(name: &str) -> std::path::PathBuf {
    resilient_testkit::plugin(name)
}

/// The library's own accessors, for checking that our offsets agree with
/// the library's compiled code.
pub struct Ffi {
    _lib: libloading::Library,
    pub get_id: unsafe extern "C" fn(*const u8) -> u64,
    pub label_len: unsafe extern "C" fn(*const u8) -> usize,
    pub live: extern "C" fn() -> isize,
    pub clones: extern "C" fn() -> isize,
    pub drops: extern "C" fn() -> isize,
}

impl Ffi {
    pub fn open(path: &std::path::Path) -> Ffi {
        // SAFETY: the fixture plugins are ours; their initialisers are
        // harmless, and each symbol has the signature declared here (see
        // tests/plugins/common.rs).
        unsafe {
            let lib = libloading::Library::new(path).unwrap();
            let get_id = *lib.get(b"widget_get_id").unwrap();
            let label_len = *lib.get(b"widget_label_len").unwrap();
            let live = *lib.get(b"widget_live_count").unwrap();
            let clones = *lib.get(b"widget_clone_count").unwrap();
            let drops = *lib.get(b"widget_drop_count").unwrap();
            Ffi {
                _lib: lib,
                get_id,
                label_len,
                live,
                clones,
                drops,
            }
        }
    }
}
