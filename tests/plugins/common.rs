// Shared by every version of the widgets fixture plugin (included with
// `include!`): witness counters and the C-FFI getters the benchmarks compare
// against. The including file defines `Widget` with `id: u64` and `LABEL`.

use std::sync::atomic::{AtomicIsize, Ordering};

static LIVE: AtomicIsize = AtomicIsize::new(0);
static CLONES: AtomicIsize = AtomicIsize::new(0);
static DROPS: AtomicIsize = AtomicIsize::new(0);

/// Counts the library's live heap allocations, so a host can check that
/// what it makes the library allocate (a `String` field set through its
/// accessor, a million times) is freed by the library.
struct Counting;

static ALLOCATIONS: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter is only arithmetic.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { std::alloc::System.alloc(layout) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        ALLOCATIONS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded (one allocation before
        // and after).
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The library's heap allocations alive now.
#[layout_meta::export]
pub fn live_allocations() -> isize {
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// How many times a `Profile`'s computed `score` was read (0 in the
/// versions where it is stored).
static SCORE_READS: AtomicIsize = AtomicIsize::new(0);

/// How many times the computed `score` was read so far.
#[layout_meta::export]
pub fn score_reads() -> isize {
    SCORE_READS.load(Ordering::SeqCst)
}

/// Widgets alive now (created by default-init or clone, not yet dropped).
#[no_mangle]
pub extern "C" fn widget_live_count() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// Clones made so far.
#[no_mangle]
pub extern "C" fn widget_clone_count() -> isize {
    CLONES.load(Ordering::SeqCst)
}

/// Drops run so far.
#[no_mangle]
pub extern "C" fn widget_drop_count() -> isize {
    DROPS.load(Ordering::SeqCst)
}

/// The opaque-pointer way: read `id` through a call.
///
/// # Safety
///
/// `w` points at a valid `Widget`.
#[no_mangle]
pub unsafe extern "C" fn widget_get_id(w: *const Widget) -> u64 {
    // SAFETY: the caller passes a valid Widget.
    unsafe { (*w).id }
}

/// The opaque-pointer way: read `tags` (as a little-endian `u32`) through a
/// call.
///
/// # Safety
///
/// `w` points at a valid `Widget`.
#[no_mangle]
pub unsafe extern "C" fn widget_get_tags(w: *const Widget) -> u32 {
    // SAFETY: the caller passes a valid Widget.
    u32::from_le_bytes(unsafe { (*w).tags })
}

/// The opaque-pointer way: write `id` through a call.
///
/// # Safety
///
/// `w` points at a valid `Widget` that nothing else accesses.
#[no_mangle]
pub unsafe extern "C" fn widget_set_id(w: *mut Widget, id: u64) {
    // SAFETY: the caller passes a valid, exclusive Widget.
    unsafe { (*w).id = id }
}

/// Length of the private label (proves the library's own heap data survives
/// clones and is freed by the library).
///
/// # Safety
///
/// `w` points at a valid `Widget`.
#[no_mangle]
pub unsafe extern "C" fn widget_label_len(w: *const Widget) -> usize {
    // SAFETY: the caller passes a valid Widget.
    let w: &Widget = unsafe { &*w };
    w.label.len()
}

impl Clone for Widget {
    fn clone(&self) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        CLONES.fetch_add(1, Ordering::SeqCst);
        self.clone_fields()
    }
}

impl Default for Widget {
    fn default() -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Widget::new_default()
    }
}

impl Drop for Widget {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
        DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

/// A plain point, nested in widgets. Frozen: its layout is a promise.
#[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
#[repr(C)]
#[resilient(pod, default, frozen)]
pub struct Point {
    /// Horizontal.
    pub x: i32,
    /// Vertical.
    pub y: i32,
}

// Exported functions (every version): the host calls these through bound
// functions, with signatures checked at load.

/// Widgets alive now (created by default-init or clone, not yet dropped).
#[layout_meta::export]
pub fn live_count() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// A widget's identifier, read by the library's own code.
#[layout_meta::export]
pub fn widget_id(w: &Widget) -> u64 {
    w.id
}

/// The length of a widget's private label.
#[layout_meta::export]
pub fn label_len(w: &Widget) -> usize {
    w.label.len()
}

/// Renames a widget (its private label, the library's own allocation).
#[layout_meta::export]
pub fn rename(w: &mut Widget, label: &str) {
    w.label = label.to_owned();
}

/// Parses an identifier: an error comes back to the host as a typed error
/// with this library's message.
#[layout_meta::export]
pub fn parse_id(text: &str) -> Result<u64, std::num::ParseIntError> {
    text.trim().parse()
}

/// Panics with `message` if `fail`: the host receives an error, never an
/// unwind.
#[layout_meta::export]
pub fn maybe_panic(fail: bool, message: &str) -> u32 {
    if fail {
        panic!("{message}");
    }
    7
}

/// Makes this library's panics silent (its own panic hook: a cdylib has its
/// own standard library), for tests that panic thousands of times.
#[layout_meta::export]
pub fn silence_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// A widget of this library's own making, handed to the host, which owns
/// it from then on (and drops it through the library's drop witness).
#[layout_meta::export]
pub fn make_widget(id: u64, label: &str) -> Widget {
    let mut w = Widget::default();
    w.id = id;
    w.label = label.to_owned();
    w
}

/// A point parsed from `x,y`: an owned value of an exported type, or this
/// library's error.
#[layout_meta::export]
pub fn parse_point(text: &str) -> Result<Point, String> {
    let (x, y) = text
        .split_once(',')
        .ok_or_else(|| format!("`{text}` is not `x,y`"))?;
    let coord = |c: &str| c.trim().parse::<i32>().map_err(|e| format!("`{c}`: {e}"));
    Ok(Point {
        x: coord(x)?,
        y: coord(y)?,
    })
}

/// Jobs alive now (made by default-init or clone, not yet dropped).
static JOBS: AtomicIsize = AtomicIsize::new(0);

impl Clone for Job {
    fn clone(&self) -> Self {
        JOBS.fetch_add(1, Ordering::SeqCst);
        Job {
            id: self.id,
            status: self.status.clone(),
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        JOBS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Jobs alive now.
#[layout_meta::export]
pub fn live_jobs() -> isize {
    JOBS.load(Ordering::SeqCst)
}

/// A greeting: an owned `String` the host reads in place and this library
/// frees.
#[layout_meta::export]
pub fn greeting(name: &str) -> String {
    format!("hello, {name}")
}

/// The squares of `0..n`: an owned `Vec<u64>`, likewise.
#[layout_meta::export]
pub fn squares(n: u32) -> Vec<u64> {
    (0..u64::from(n)).map(|i| i * i).collect()
}

/// A job's status, as a value the host owns (an enum by value).
#[layout_meta::export]
pub fn job_status(j: &Job) -> Status {
    j.status.clone()
}

/// Sets a job's status from the host's value.
#[layout_meta::export]
pub fn set_job_status(j: &mut Job, status: &Status) {
    j.status = status.clone();
}

/// Something that describes itself: an interface the widgets module's
/// types implement (hosts call it without knowing the types).
pub trait Describe {
    /// A number that identifies the value.
    fn key(&self) -> u64;
    /// Sets it.
    fn set_key(&mut self, key: u64);
    /// Another number (exported by the versions that implement it: from
    /// 1.2 on, an interface method added later).
    fn weight_key(&self) -> u64 {
        0
    }
}

/// The functions every version exports, for `export_module!`.
macro_rules! export_widgets {
    ($($extra:ty),* $(,)?) => {
        export_widgets!(types: []; $($extra),*);
    };
    // A version's own types (after every version's), then its functions.
    (types: [$($ty:ty),*]; $($extra:ty),* $(,)?) => {
        layout_meta::export_module! {
            name: "widgets",
            version: VERSION,
            types: [Widget, Point, Status, Job, Profile, $($ty),*],
            functions: [
                live_count, widget_id, label_len, rename, parse_id, maybe_panic, silence_panics,
                make_widget, parse_point, job_status, set_job_status, live_jobs, greeting,
                squares, live_allocations, score_reads,
                $($extra),*
            ],
            impls: [Widget: "Describe", Point: "Describe"],
        }
    };
}

#[layout_meta::export]
impl Describe for Point {
    fn key(&self) -> u64 {
        // Both coordinates, as 32-bit halves.
        (u64::from(self.x.cast_unsigned()) << 32) | u64::from(self.y.cast_unsigned())
    }
    fn set_key(&mut self, key: u64) {
        let half = |h: u64| u32::try_from(h & 0xffff_ffff).unwrap_or(0).cast_signed();
        self.x = half(key >> 32);
        self.y = half(key);
    }
}
