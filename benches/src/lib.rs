//! What the benchmark harness (`bench.rs`) and the instruction-count driver
//! (`src/bin/count.rs`) share: fixtures, views, in-domain twins of the
//! plugin types, and the generic client code measured both ways.
#![allow(
    missing_docs,
    clippy::cast_possible_truncation,
    reason = "benchmark support code; synthetic data wraps on purpose"
)]

use std::path::{Path, PathBuf};

use resilient_loader::Library;
use resilient_testkit::{library_file_name, Build, Profile};
use resilient_types::{api, interface, view, Client, Field, Func, In, Slice, Str, Strategy, This};

/// The release-built fixture plugins used by the benchmarks.
pub const PLUGINS: &[&str] = &[
    "widget-v1",
    "bench-blobs",
    "bench-module-1",
    "bench-module-10",
    "bench-module-100",
    "bench-module-1000",
    "bench-abi-stable",
    "bench-functions-100",
    "bench-stabby-plugin",
];

/// Builds the plugins (release) on the first call of the process and
/// returns their directory.
pub fn fixtures() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| Build::new(Profile::Release).run(PLUGINS))
        .clone()
}

/// Path of a built plugin.
pub fn plugin(dir: &Path, package: &str) -> PathBuf {
    dir.join(library_file_name(package))
}

view! {
    /// The two fields the scan sums.
    pub struct ScanView = "widgets"::"Widget" {
        pub id: Field<u64>,
        pub tags: Field<[u8; 4]>,
    }
}

view! {
    pub struct Blob64View = "blobs"::"Blob64" { pub tag: Field<u64> }
}

view! {
    pub struct Blob1KView = "blobs"::"Blob1K" { pub tag: Field<u64> }
}

view! { pub struct Gen1 = "generated1"::"T0" { pub f0: Field<u64>, pub f7: Field<i64> } }
view! { pub struct Gen10 = "generated10"::"T0" { pub f0: Field<u64>, pub f7: Field<i64> } }
view! { pub struct Gen100 = "generated100"::"T0" { pub f0: Field<u64>, pub f7: Field<i64> } }
view! { pub struct Gen1000 = "generated1000"::"T0" { pub f0: Field<u64>, pub f7: Field<i64> } }

/// widgets 1.0's `Widget`, compiled in: the direct (in-domain) side.
#[derive(layout_meta::Resilient, Default)]
#[resilient(prefix = "bench_")]
pub struct Widget {
    pub id: u64,
    pub weight: f32,
    pub flags: u16,
    pub tags: [u8; 4],
    pub origin: Point,
    pub active: bool,
    #[allow(
        dead_code,
        reason = "mirrors the plugin's private field, for an identical layout"
    )]
    label: String,
}

#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[resilient(pod, default, prefix = "bench_")]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

/// The widgets module's interface, in-domain: the `dyn Trait` baseline of
/// the `iface` benchmark (the plugin's `impl Describe for Widget` has the
/// same method body).
pub trait Describe {
    /// A number that identifies the value.
    fn key(&self) -> u64;
}

impl Describe for Widget {
    fn key(&self) -> u64 {
        self.id
    }
}

interface! {
    /// The widgets module's `Describe`, host side: the method the `iface`
    /// benchmark calls through an `Object`'s method table.
    pub struct DescribeIface = "widgets"::"Describe" {
        pub key: Func<fn(This) -> u64>,
    }
}

api! {
    /// The widgets functions the `call` benchmark calls.
    pub struct CallApi = "widgets" {
        pub widget_id: Func<fn(In<ScanView>) -> u64>,
        pub maybe_panic: Func<fn(bool, Str) -> u32>,
        pub silence_panics: Func<fn()>,
    }
}

view! {
    /// The type `bench-functions-100`'s `by_ref` functions take.
    pub struct ItemView = "functions100"::"Item" { pub id: Field<u64> }
}

/// Declares [`Fns100`], an `api!` of the 100 functions of
/// `bench-functions-100`, from the plugin's own list.
macro_rules! functions {
    (
        by_value: [$($a:ident $ka:literal),* $(,)?],
        pair: [$($b:ident $kb:literal),* $(,)?],
        text: [$($c:ident $kc:literal),* $(,)?],
        by_ref: [$($d:ident $kd:literal),* $(,)?] $(,)?
    ) => {
        api! {
            /// Every function of `bench-functions-100`, bound at once by the
            /// `bind-fn` benchmark.
            pub struct Fns100 = "functions100" {
                $(pub $a: Func<fn(u64) -> u64>,)*
                $(pub $b: Func<fn(f64, f64) -> f64>,)*
                $(pub $c: Func<fn(Str) -> usize>,)*
                $(pub $d: Func<fn(In<ItemView>) -> u64>,)*
            }
        }
    };
}

include!("../plugins/functions-100/src/list.rs");

api! {
    /// One function of `bench-functions-100`: the fixed cost of a bind.
    pub struct Fns1 = "functions100" {
        pub fn75: Func<fn(In<ItemView>) -> u64>,
    }
}

/// In-domain twins of the blob plugin's types, for the `Box` baseline.
#[derive(Clone, Copy)]
pub struct Blob64 {
    pub tag: u64,
    pub data: [u64; 7],
}

#[derive(Clone, Copy)]
pub struct Blob1K {
    pub tag: u64,
    pub data: [u64; 127],
}

/// A widget with the given id and tags, in-domain.
pub fn widget(id: u64) -> Widget {
    Widget {
        id,
        tags: (id as u32).to_le_bytes(),
        ..Widget::default()
    }
}

/// The scan: written once, monomorphised for each strategy.
#[inline(never)]
pub fn scan<S: Strategy>(v: &ScanView<S>, values: Slice<'_, ScanView<S>>) -> u64 {
    let (id, tags) = (v.id, v.tags);
    let mut sum = 0u64;
    for r in values.iter() {
        sum = sum
            .wrapping_add(r.get(id))
            .wrapping_add(u64::from(u32::from_le_bytes(r.get(tags))));
    }
    sum
}

/// The scan as a [`Client`]: run by [`Bound::specialize`], which takes the
/// direct instantiation over the foreign values themselves when the loaded
/// layout is the compiled-in one.
///
/// [`Bound::specialize`]: resilient_types::Bound::specialize
pub struct ScanClient;

impl Client<ScanView> for ScanClient {
    type Output = u64;
    fn run<S: Strategy>(self, view: &ScanView<S>, values: Slice<'_, ScanView<S>>) -> u64 {
        scan(view, values)
    }
}

/// The plugin's C entry points (the opaque-pointer, C-FFI way).
pub struct Getters {
    _lib: libloading::Library,
    pub get_id: unsafe extern "C" fn(*const u8) -> u64,
    pub set_id: unsafe extern "C" fn(*mut u8, u64),
    pub get_tags: unsafe extern "C" fn(*const u8) -> u32,
}

impl Getters {
    /// Loads them from the widgets plugin at `path`.
    ///
    /// # Panics
    ///
    /// If the plugin lacks them: a fixture is broken.
    pub fn open(path: &Path) -> Getters {
        // SAFETY: the widgets fixture exports these with exactly these
        // signatures (tests/plugins/common.rs).
        unsafe {
            let lib = libloading::Library::new(path).expect("widgets plugin loads");
            let get_id = *lib.get(b"widget_get_id").expect("widget_get_id");
            let set_id = *lib.get(b"widget_set_id").expect("widget_set_id");
            let get_tags = *lib.get(b"widget_get_tags").expect("widget_get_tags");
            Getters {
                _lib: lib,
                get_id,
                set_id,
                get_tags,
            }
        }
    }
}

/// The scan through getters: one call per field per value. `values` must
/// be widgets of the library the getters come from.
#[inline(never)]
pub fn scan_getters(g: &Getters, values: Slice<'_, ScanView>) -> u64 {
    let (base, stride) = (values.as_ptr(), values.shape().stride);
    let mut sum = 0u64;
    for i in 0..values.len() {
        // SAFETY: the slice holds `len` live widgets `stride` apart; the
        // getters read a widget of their own library (the caller's promise,
        // checked in the harness by comparing sums with the other variants).
        unsafe {
            let p = base.add(i * stride);
            sum = sum
                .wrapping_add((g.get_id)(p))
                .wrapping_add(u64::from((g.get_tags)(p)));
        }
    }
    sum
}

/// Opens the widgets plugin and binds the scan view.
///
/// # Panics
///
/// If the fixture does not load or bind.
pub fn widgets(dir: &Path) -> (Library, resilient_types::Bound<ScanView>) {
    let lib = Library::open(plugin(dir, "widget-v1")).expect("widget-v1 loads");
    let w = lib.bind::<ScanView>().expect("widget-v1 binds");
    (lib, w)
}
