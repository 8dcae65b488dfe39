//! Foreign values of run-time size on the stack.
//!
//! [`with_stack`] allocates the value in a C `alloca` frame (Rust has no
//! dynamic stack allocation; `c/dynstack.c` in this crate is the trampoline),
//! initialises it with the library's default witness, lends it to a closure,
//! and drops it with the drop witness when the closure returns or panics.
//! [`with_inline`] does the same in a fixed-capacity buffer in the caller's
//! own frame: no call at all on the hot path. Both fall back to the heap for
//! values that do not fit.

use core::any::Any;
use core::ffi::c_void;
use core::mem::MaybeUninit;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use crate::access::Mut;
use crate::value::{drop_values, init_default, Block};
use crate::view::{Bindable, Bound};
use crate::Error;

/// Largest value [`with_stack`] puts on the stack, in bytes (size plus
/// alignment slack); larger values go to the heap.
pub const STACK_CAP: usize = 16 * 1024;

/// Alignment of [`with_inline`]'s buffer: values aligned more strictly go to
/// the heap.
pub const INLINE_ALIGN: usize = 64;

/// Values up to this size (and aligned at most [`INLINE_ALIGN`]) are placed
/// by [`with_stack`] in a fixed buffer of its own frame instead of going
/// through the `alloca` trampoline: no call into C, no indirect call back.
/// Measured in `benches/`: the trampoline's calls cost about as much as
/// initialising a 1 KiB value.
pub const SMALL_STACK: usize = 2048;

extern "C" {
    fn rsl_with_stack(
        size: usize,
        align: usize,
        f: unsafe extern "C" fn(ctx: *mut c_void, mem: *mut u8),
        ctx: *mut c_void,
    );
}

/// Drops the value at `mem` when it goes out of scope, even by unwinding.
struct DropGuard<'a, V: Bindable> {
    bound: &'a Bound<V>,
    mem: *mut u8,
}

impl<V: Bindable> Drop for DropGuard<'_, V> {
    fn drop(&mut self) {
        // SAFETY: the guard is made right after the value at `mem` was
        // initialised and is dropped exactly once, after the last use.
        unsafe { drop_values(self.bound.foreign_type(), self.mem, 1) }
    }
}

/// Initialises a value at `mem`, lends it to `f`, drops it.
///
/// # Safety
///
/// `mem` is writable room for one value of the bound type, aligned, that
/// outlives this call.
unsafe fn run_in<V: Bindable, R>(
    bound: &Bound<V>,
    mem: *mut u8,
    f: impl FnOnce(Mut<'_, V>) -> R,
) -> Result<R, Error> {
    // SAFETY: the caller's contract.
    unsafe { init_default(bound.foreign_type(), mem, 1)? };
    let guard = DropGuard { bound, mem };
    // SAFETY: a live value at `mem`, lent exclusively to `f` and dropped by
    // the guard only after `f` returns (or unwinds).
    let out = f(unsafe { Mut::from_raw(mem, bound.shape()) });
    drop(guard);
    Ok(out)
}

fn on_heap<V: Bindable, R>(bound: &Bound<V>, f: impl FnOnce(Mut<'_, V>) -> R) -> Result<R, Error> {
    let s = bound.shape();
    let block = Block::new(V::TYPE_NAME, s.size, s.align)?;
    // SAFETY: the block is room for one aligned value and outlives the call.
    unsafe { run_in(bound, block.ptr(), f) }
}

struct Frame<'a, V: Bindable, F, R> {
    bound: &'a Bound<V>,
    f: Option<F>,
    out: Option<Result<R, Error>>,
    panic: Option<Box<dyn Any + Send>>,
}

unsafe extern "C" fn trampoline<V: Bindable, F: FnOnce(Mut<'_, V>) -> R, R>(
    ctx: *mut c_void,
    mem: *mut u8,
) {
    // SAFETY: `ctx` is the `&mut Frame` `with_stack` passed, alive and
    // exclusively ours during this call.
    let frame = unsafe { &mut *ctx.cast::<Frame<'_, V, F, R>>() };
    let Some(f) = frame.f.take() else { return };
    let bound = frame.bound;
    // No unwinding through the C frame: catch here, resume in Rust.
    match catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `mem` is the trampoline's aligned `alloca` room for one
        // value, alive until this callback returns.
        unsafe { run_in(bound, mem, f) }
    })) {
        Ok(out) => frame.out = Some(out),
        Err(payload) => frame.panic = Some(payload),
    }
}

/// Creates a default value of the bound type on the stack (heap above
/// [`STACK_CAP`]), lends it to `f`, and drops it afterwards.
///
/// Small values (up to [`SMALL_STACK`] bytes, aligned at most
/// [`INLINE_ALIGN`]) sit in a buffer of this function's own frame; larger or
/// more strictly aligned ones in an `alloca` frame of the exact run-time
/// size and alignment.
///
/// A panic in `f` drops the value (through the library's drop witness) and
/// then propagates.
///
/// # Errors
///
/// [`Error::NoWitness`] if the type has no default witness and is not plain
/// data; [`Error::Alloc`] if the heap fallback fails.
pub fn with_stack<V: Bindable, R, F: FnOnce(Mut<'_, V>) -> R>(
    bound: &Bound<V>,
    f: F,
) -> Result<R, Error> {
    let s = bound.shape();
    if s.size <= SMALL_STACK && s.align <= INLINE_ALIGN {
        return with_inline::<SMALL_STACK, V, R>(bound, f);
    }
    if s.size.saturating_add(s.align) > STACK_CAP {
        return on_heap(bound, f);
    }
    let mut frame = Frame {
        bound,
        f: Some(f),
        out: None,
        panic: None,
    };
    // SAFETY: `trampoline` matches the callback type and is instantiated for
    // this very `Frame`; `align` is a power of two (a checked layout) and
    // `size + align` is bounded by `STACK_CAP`; the callback never unwinds.
    unsafe {
        rsl_with_stack(
            s.size,
            s.align,
            trampoline::<V, F, R>,
            (&raw mut frame).cast::<c_void>(),
        );
    }
    if let Some(payload) = frame.panic {
        resume_unwind(payload);
    }
    frame
        .out
        .unwrap_or_else(|| unreachable!("the trampoline always calls back"))
}

#[repr(C, align(64))]
struct InlineBuf<const N: usize>([MaybeUninit<u8>; N]);

const _: () = assert!(
    core::mem::align_of::<InlineBuf<1>>() == INLINE_ALIGN,
    "INLINE_ALIGN is the buffer's alignment"
);

/// Like [`with_stack`], in an `N`-byte buffer in this function's own frame
/// (so it inlines into the caller: no call, no trampoline); values larger
/// than `N` or aligned over [`INLINE_ALIGN`] go to the heap.
///
/// # Errors
///
/// As [`with_stack`].
#[inline]
pub fn with_inline<const N: usize, V: Bindable, R>(
    bound: &Bound<V>,
    f: impl FnOnce(Mut<'_, V>) -> R,
) -> Result<R, Error> {
    let s = bound.shape();
    if s.size > N || s.align > INLINE_ALIGN {
        return on_heap(bound, f);
    }
    let mut buf = InlineBuf::<N>([MaybeUninit::uninit(); N]);
    // SAFETY: the buffer has `N >= size` bytes at alignment 64 >= align and
    // lives until the end of this function.
    unsafe { run_in(bound, buf.0.as_mut_ptr().cast::<u8>(), f) }
}
