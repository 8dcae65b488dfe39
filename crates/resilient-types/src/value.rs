//! Owned foreign values on the heap, of a size known only at run time.
//!
//! The value's block is allocated here with the run-time size and alignment;
//! its contents are created, cloned and destroyed by the library's own
//! witnesses, exactly once each. Whatever the library allocates inside a
//! value (a `String` in a private field) it also frees, in its drop witness:
//! this side never frees it.

use core::marker::PhantomData;
use core::ptr::NonNull;
use std::alloc::Layout;

use crate::access::{Mut, Ref, Slice};
use crate::foreign::ForeignType;
use crate::view::{Bindable, Bound, Shape};
use crate::Error;

/// A heap block of the bound type's size and alignment (dangling, not
/// allocated, for size 0). Opaque: public only as the room of an owned
/// result ([`crate::Out`]), made and read inside this crate.
#[derive(Debug)]
pub struct Block {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl Block {
    pub(crate) fn new(ty: &str, size: usize, align: usize) -> Result<Self, Error> {
        let err = || Error::Alloc {
            ty: ty.into(),
            size,
            align,
        };
        let layout = Layout::from_size_align(size, align).map_err(|_| err())?;
        if size == 0 {
            // An aligned, non-null, dangling pointer: valid for size-0 access.
            let ptr =
                NonNull::new(core::ptr::without_provenance_mut::<u8>(align)).ok_or_else(err)?;
            return Ok(Block { ptr, layout });
        }
        // SAFETY: `layout` has nonzero size.
        let ptr = unsafe { std::alloc::alloc(layout) };
        Ok(Block {
            ptr: NonNull::new(ptr).ok_or_else(err)?,
            layout,
        })
    }
    pub(crate) fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if self.layout.size() != 0 {
            // SAFETY: allocated in `new` with this same layout, freed once.
            unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) }
        }
    }
}

/// Initialises `count` values of type `ty` at `dst` (stride apart) from the
/// default witness, or with zeros for plain old data. On failure nothing is
/// left initialised.
///
/// # Safety
///
/// `dst` is aligned for the type and writable for `count` values at the
/// stride: `size` bytes at each `i * stride` (a single value's room is
/// `size` bytes, which may be less than `stride`).
pub(crate) unsafe fn init_default(
    ty: &ForeignType,
    dst: *mut u8,
    count: usize,
) -> Result<(), Error> {
    let layout = ty.layout();
    if let Some(init) = ty.witnesses().default_init {
        for i in 0..count {
            // SAFETY: the caller gives room for `count` values; the witness
            // writes one value into uninitialised room (its contract) and
            // does not unwind.
            unsafe { init(dst.add(i * layout.stride)) };
        }
        Ok(())
    } else if layout.is_pod() {
        for i in 0..count {
            // SAFETY: the caller gives `size` writable bytes at each
            // `i * stride` (never the stride's padding: a lone value's room
            // is only `size` bytes); all-zero bytes are a value of a POD type
            // (the flag's meaning).
            unsafe { dst.add(i * layout.stride).write_bytes(0, layout.size) };
        }
        Ok(())
    } else {
        Err(Error::NoWitness {
            ty: layout.name.clone(),
            origin: ty.origin().clone(),
            witness: "default_init",
        })
    }
}

/// Drops `count` values at `ptr` with the drop witness (if the type has one).
///
/// # Safety
///
/// `count` live values of type `ty` sit at `ptr`, stride apart, and are not
/// used afterwards.
pub(crate) unsafe fn drop_values(ty: &ForeignType, ptr: *mut u8, count: usize) {
    if let Some(drop) = ty.witnesses().drop {
        for i in 0..count {
            // SAFETY: by the caller's contract a live value sits here and is
            // dropped once; the witness does not unwind.
            unsafe { drop(ptr.add(i * ty.layout().stride)) };
        }
    }
}

/// Clones the value at `src` into `dst`.
///
/// # Safety
///
/// `src` holds a live value of type `ty`; `dst` is writable room for one,
/// aligned, that does not overlap `src`.
pub(crate) unsafe fn clone_into(
    ty: &ForeignType,
    dst: *mut u8,
    src: *const u8,
) -> Result<(), Error> {
    let layout = ty.layout();
    if let Some(clone) = ty.witnesses().clone {
        // SAFETY: the caller's contract; the witness does not unwind.
        unsafe { clone(dst, src) };
        Ok(())
    } else if layout.is_pod() {
        // SAFETY: a bitwise copy clones plain old data; the regions are
        // distinct blocks of `size` bytes.
        unsafe { core::ptr::copy_nonoverlapping(src, dst, layout.size) };
        Ok(())
    } else {
        Err(Error::NoWitness {
            ty: layout.name.clone(),
            origin: ty.origin().clone(),
            witness: "clone",
        })
    }
}

/// An owned foreign value on the heap. It holds its binding, so the library
/// stays loaded until the value is dropped.
///
/// A value stays on the thread that made it unless its library marks the
/// type `send` ([`layout_meta::flags::SEND`]): then [`Value::into_send`]
/// wraps it in a [`Sendable`] that may cross threads.
pub struct Value<V: Bindable> {
    block: Block,
    bound: Bound<V>,
    _not_send: PhantomData<*const ()>,
}

impl<V: Bindable> Value<V> {
    /// A new value made by the library's default-init witness (or zeroed, for
    /// plain old data).
    ///
    /// # Errors
    ///
    /// [`Error::NoWitness`] if the type can be neither, [`Error::Alloc`].
    pub fn new(bound: &Bound<V>) -> Result<Self, Error> {
        let s = bound.shape();
        let block = Block::new(V::TYPE_NAME, s.size, s.align)?;
        // SAFETY: the block has room for one value, aligned.
        unsafe { init_default(bound.foreign_type(), block.ptr(), 1)? };
        Ok(Value {
            block,
            bound: bound.clone(),
            _not_send: PhantomData,
        })
    }

    /// The value the library moved into `block`.
    ///
    /// # Safety
    ///
    /// `block` has the bound type's size and alignment and holds a live
    /// value of it, which the new `Value` owns.
    pub(crate) unsafe fn from_block(block: Block, bound: Bound<V>) -> Self {
        Value {
            block,
            bound,
            _not_send: PhantomData,
        }
    }

    /// A copy made by the library's clone witness (bitwise for plain data).
    ///
    /// # Errors
    ///
    /// [`Error::NoWitness`] if the type cannot be cloned, [`Error::Alloc`].
    pub fn try_clone(&self) -> Result<Self, Error> {
        let s = self.bound.shape();
        let block = Block::new(V::TYPE_NAME, s.size, s.align)?;
        // SAFETY: `self` holds a live value; the new block has room for one.
        unsafe { clone_into(self.bound.foreign_type(), block.ptr(), self.block.ptr())? };
        Ok(Value {
            block,
            bound: self.bound.clone(),
            _not_send: PhantomData,
        })
    }

    /// A shared handle.
    #[inline(always)]
    pub fn as_ref(&self) -> Ref<'_, V> {
        // SAFETY: the block holds a live value of the bound type for as long
        // as `self` is borrowed.
        unsafe { Ref::from_raw(self.block.ptr(), self.bound.shape()) }
    }
    /// An exclusive handle.
    #[inline(always)]
    pub fn as_mut(&mut self) -> Mut<'_, V> {
        // SAFETY: as for `as_ref`, exclusively borrowed.
        unsafe { Mut::from_raw(self.block.ptr(), self.bound.shape()) }
    }
    /// The binding.
    pub fn bound(&self) -> &Bound<V> {
        &self.bound
    }
    /// The value, made movable to another thread.
    ///
    /// # Errors
    ///
    /// [`Error::NotSend`] if the library does not mark the type `send`; the
    /// value comes back with the error, untouched.
    #[allow(
        clippy::result_large_err,
        reason = "the error hands the value back (as `Rc::try_unwrap` does); boxing it would allocate"
    )]
    pub fn into_send(self) -> Result<Sendable<Self>, (Self, Error)> {
        let checked = check_send(&self.bound);
        sendable(self, checked)
    }
}

impl<V: Bindable> core::fmt::Debug for Value<V> {
    /// The type and where the value lives (its fields are read through
    /// the view's tokens).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Value")
            .field("type", &self.bound.foreign_type())
            .field("at", &self.block.ptr())
            .finish()
    }
}

impl<V: Bindable> core::fmt::Debug for Array<V> {
    /// The type, the length and where the values live.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Array")
            .field("type", &self.bound.foreign_type())
            .field("len", &self.len)
            .field("at", &self.block.ptr())
            .finish()
    }
}

#[allow(
    clippy::result_large_err,
    reason = "as `into_send`: the error hands the value back"
)]
fn sendable<T>(value: T, checked: Result<(), Error>) -> Result<Sendable<T>, (T, Error)> {
    match checked {
        Ok(()) => Ok(Sendable(value)),
        Err(e) => Err((value, e)),
    }
}

fn check_send<V: Bindable>(bound: &Bound<V>) -> Result<(), Error> {
    let layout = bound.foreign_type().layout();
    if layout.is_send() {
        Ok(())
    } else {
        Err(Error::NotSend {
            ty: layout.name.clone(),
        })
    }
}

/// A [`Value`] or [`Array`] of a type its library marks `send`: it may move
/// to another thread, and be dropped there. Made by [`Value::into_send`] or
/// [`Array::into_send`]; [`Sendable::into_inner`] gives the value back.
pub struct Sendable<T>(T);

impl<T> Sendable<T> {
    /// The value, on whichever thread now holds it.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> core::ops::Deref for Sendable<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

// SAFETY: a `Sendable` is made only for a type whose library sets the send
// flag: its producer promised (a Rust producer proved, at compile time) that
// the type is `Send`, so its bytes may be used and its drop witness run on
// another thread. The rest of a `Value` is its heap block (owned, moved with
// it) and its `Bound` (`Send`: an `Arc` of immutable data and the library
// handle). `Deref` hands out only `&Value`, which allows shared reads alone
// (`as_ref`), and `Sendable` is deliberately not `Sync`.
unsafe impl<V: Bindable> Send for Sendable<Value<V>> {}
// SAFETY: as for `Sendable<Value<V>>`, for each of the array's values.
unsafe impl<V: Bindable> Send for Sendable<Array<V>> {}

impl<V: Bindable> Drop for Value<V> {
    fn drop(&mut self) {
        // SAFETY: the block holds a live value, never used again; the block
        // itself is freed after this by `Block::drop`.
        unsafe { drop_values(self.bound.foreign_type(), self.block.ptr(), 1) }
    }
}

/// An owned array of foreign values at the run-time stride.
pub struct Array<V: Bindable> {
    block: Block,
    len: usize,
    bound: Bound<V>,
    _not_send: PhantomData<*const ()>,
}

impl<V: Bindable> Array<V> {
    /// `len` default values.
    ///
    /// # Errors
    ///
    /// As [`Value::new`]; [`Error::Alloc`] if `len * stride` overflows.
    pub fn new(bound: &Bound<V>, len: usize) -> Result<Self, Error> {
        let Shape { stride, align, .. } = bound.shape();
        let bytes = stride.checked_mul(len).ok_or_else(|| Error::Alloc {
            ty: V::TYPE_NAME.into(),
            size: usize::MAX,
            align,
        })?;
        let block = Block::new(V::TYPE_NAME, bytes, align)?;
        // SAFETY: room for `len` values, aligned (stride is a multiple of align).
        unsafe { init_default(bound.foreign_type(), block.ptr(), len)? };
        Ok(Array {
            block,
            len,
            bound: bound.clone(),
            _not_send: PhantomData,
        })
    }
    /// The values as a slice.
    pub fn as_slice(&self) -> Slice<'_, V> {
        // SAFETY: `len` live values at the stride, borrowed with `self`.
        unsafe { Slice::from_raw_parts(self.block.ptr(), self.len, self.bound.shape()) }
    }
    /// The `i`th value, exclusively.
    pub fn get_mut(&mut self, i: usize) -> Option<Mut<'_, V>> {
        let s = self.bound.shape();
        (i < self.len).then(|| {
            // SAFETY: `i < len`: a live value, exclusively borrowed with self.
            unsafe { Mut::from_raw(self.block.ptr().add(i * s.stride), s) }
        })
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The array, made movable to another thread.
    ///
    /// # Errors
    ///
    /// As [`Value::into_send`].
    #[allow(
        clippy::result_large_err,
        reason = "the error hands the value back (as `Rc::try_unwrap` does); boxing it would allocate"
    )]
    pub fn into_send(self) -> Result<Sendable<Self>, (Self, Error)> {
        let checked = check_send(&self.bound);
        sendable(self, checked)
    }
}

impl<V: Bindable> Drop for Array<V> {
    fn drop(&mut self) {
        // SAFETY: `len` live values, never used again.
        unsafe { drop_values(self.bound.foreign_type(), self.block.ptr(), self.len) }
    }
}
