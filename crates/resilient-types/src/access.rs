//! Handles to foreign values: a pointer plus the binding its tokens must come
//! from. Reads go through `bytemuck` bounds, so no read can produce an
//! invalid value: `AnyBitPattern` types are read as they are, `bool`, `char`
//! and other `CheckedBitPattern` types are checked, anything else is refused
//! at compile time.

use core::marker::PhantomData;
use core::ptr::NonNull;

use bytemuck::{AnyBitPattern, CheckedBitPattern, NoUninit};

use crate::foreign::BindingId;
use crate::strategy::Access;
use crate::view::{Bindable, Nested, Shape, View};
use crate::Error;

#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn wrong_binding(operation: &'static str) -> ! {
    panic!("{}", Error::WrongBinding { operation })
}

#[cold]
#[inline(never)]
#[track_caller]
fn null_value() -> ! {
    panic!("a handle to a foreign value was made from a null pointer")
}

/// `ptr` as `NonNull`; a null pointer (a broken `from_raw` contract) fails
/// loudly here rather than being read later.
#[inline(always)]
#[track_caller]
fn non_null(ptr: *mut u8) -> NonNull<u8> {
    match NonNull::new(ptr) {
        Some(p) => p,
        None => null_value(),
    }
}

#[inline(always)]
#[track_caller]
fn assert_same_binding(have: BindingId, token: BindingId, operation: &'static str) {
    if have != token {
        wrong_binding(operation)
    }
}

/// Reads `T` at `base + offset`.
///
/// # Safety
///
/// `size_of::<T>()` initialised bytes at `base + offset` hold a field whose
/// identity is `T`'s, inside a live value.
#[inline(always)]
unsafe fn read_at<T: AnyBitPattern>(base: *const u8, offset: usize) -> T {
    // SAFETY: the caller's contract; `T: AnyBitPattern` makes any bytes a
    // valid `T`; `read_unaligned` needs no alignment (packed types).
    unsafe { base.add(offset).cast::<T>().read_unaligned() }
}

/// Borrows bytes for `'a` and is tied to view `V` (invariance is not needed:
/// `V` only selects the tokens' type).
type Shared<'a, V> = PhantomData<(&'a [u8], fn() -> V)>;
/// As [`Shared`], exclusively.
type Exclusive<'a, V> = PhantomData<(&'a mut [u8], fn() -> V)>;

/// A shared reference to a foreign value of the type `V` is bound to.
pub struct Ref<'a, V> {
    ptr: NonNull<u8>,
    binding: BindingId,
    _p: Shared<'a, V>,
}

impl<V> Clone for Ref<'_, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for Ref<'_, V> {}

// SAFETY: a `Ref` is a shared borrow of bytes that only it and other shared
// borrows read; foreign values are plain memory read with unaligned loads, and
// any interior mutability would be the library's `unsafe` contract, not ours
// (views reach only exported fields of `Copy` types).
unsafe impl<V> Send for Ref<'_, V> {}
// SAFETY: as for `Send`.
unsafe impl<V> Sync for Ref<'_, V> {}

impl<'a, V: View> Ref<'a, V> {
    /// A handle to the value at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` points at a live, initialised value of the type `shape` was
    /// bound from, readable for `shape.size` bytes and not written by anyone
    /// for `'a`.
    ///
    /// # Panics
    ///
    /// If `ptr` is null.
    #[inline(always)]
    #[track_caller]
    pub unsafe fn from_raw(ptr: *const u8, shape: Shape) -> Self {
        Ref {
            ptr: non_null(ptr.cast_mut()),
            binding: shape.binding,
            _p: PhantomData,
        }
    }

    /// Reads a field.
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline(always)]
    #[track_caller]
    pub fn get<T: AnyBitPattern, F: Access<T, Strategy = V::Strategy>>(self, field: F) -> T {
        field.assert_binding(self.binding, "read");
        // SAFETY: the check proves the token belongs to this value's type
        // (same binding, or for direct tokens the same in-domain type), so
        // binding proved its field lies inside the value with type `T`;
        // `from_raw`'s contract gives a live value.
        unsafe { read_at(self.ptr.as_ptr(), field.offset()) }
    }

    /// Reads a field of a type with invalid bit patterns (`bool`, `char`,
    /// checked enums): `None` if the bytes are not a valid value.
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline]
    #[track_caller]
    pub fn get_checked<T: CheckedBitPattern, F: Access<T, Strategy = V::Strategy>>(
        self,
        field: F,
    ) -> Option<T> {
        field.assert_binding(self.binding, "read");
        // SAFETY: as for `get`: the field's `size_of::<T>()` bytes lie inside
        // the live value and are initialised.
        let bytes = unsafe {
            core::slice::from_raw_parts(
                self.ptr.as_ptr().add(field.offset()),
                core::mem::size_of::<T>(),
            )
        };
        bytemuck::checked::try_pod_read_unaligned(bytes).ok()
    }

    /// Reads a field, or says why not.
    ///
    /// # Errors
    ///
    /// [`Error::WrongBinding`] if `field` was bound from another type.
    #[inline]
    pub fn try_get<T: AnyBitPattern>(self, field: crate::Field<T>) -> Result<T, Error>
    where
        V: View<Strategy = crate::Indirect>,
    {
        if self.binding != field.binding() {
            return Err(Error::WrongBinding { operation: "read" });
        }
        Ok(self.get(field))
    }

    /// The nested value in field `field`.
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline(always)]
    #[track_caller]
    pub fn nested<W: Bindable>(self, field: Nested<W>) -> Ref<'a, W> {
        assert_same_binding(self.binding, field.binding(), "nested");
        // SAFETY: binding proved the nested field lies inside this value and
        // holds a value of the nested type, bound as `field.view()`.
        unsafe { Ref::from_raw(self.ptr.as_ptr().add(field.offset()), field.view().shape()) }
    }

    /// The value's address.
    pub fn as_ptr(self) -> *const u8 {
        self.ptr.as_ptr()
    }
    /// The binding the value belongs to.
    pub fn binding(self) -> BindingId {
        self.binding
    }
}

impl<'a, D: layout_meta::Resilient + 'static, V: View<Strategy = crate::Direct<D>>> Ref<'a, V> {
    /// A handle to an in-domain value, for direct views of `D`.
    #[inline(always)]
    pub fn from_direct(value: &'a D) -> Self {
        // A reference is never null: nothing to check, so the direct read
        // is the in-domain read, instruction for instruction. Direct tokens
        // of `D` reach only `D`'s own fields, of a live `D` borrowed for
        // `'a`.
        Ref {
            ptr: NonNull::from(value).cast::<u8>(),
            binding: Shape::direct::<D>().binding,
            _p: PhantomData,
        }
    }
}

/// An exclusive reference to a foreign value.
pub struct Mut<'a, V> {
    ptr: NonNull<u8>,
    binding: BindingId,
    _p: Exclusive<'a, V>,
}

// SAFETY: an exclusive borrow of plain bytes; see `Ref`.
unsafe impl<V> Send for Mut<'_, V> {}
// SAFETY: shared access to a `Mut` only reads; see `Ref`.
unsafe impl<V> Sync for Mut<'_, V> {}

impl<'a, V: View> Mut<'a, V> {
    /// An exclusive handle to the value at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` points at a live, initialised value of the type `shape` was
    /// bound from, readable and writable for `shape.size` bytes, that nobody
    /// else accesses for `'a`.
    ///
    /// # Panics
    ///
    /// If `ptr` is null.
    #[inline(always)]
    #[track_caller]
    pub unsafe fn from_raw(ptr: *mut u8, shape: Shape) -> Self {
        Mut {
            ptr: non_null(ptr),
            binding: shape.binding,
            _p: PhantomData,
        }
    }

    /// A shared view of the same value.
    #[inline(always)]
    pub fn as_ref(&self) -> Ref<'_, V> {
        Ref {
            ptr: self.ptr,
            binding: self.binding,
            _p: PhantomData,
        }
    }

    /// Reads a field (see [`Ref::get`]).
    #[inline(always)]
    #[track_caller]
    pub fn get<T: AnyBitPattern, F: Access<T, Strategy = V::Strategy>>(&self, field: F) -> T {
        self.as_ref().get(field)
    }

    /// Writes a field.
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline(always)]
    #[track_caller]
    pub fn set<T: NoUninit, F: Access<T, Strategy = V::Strategy>>(&mut self, field: F, value: T) {
        field.assert_binding(self.binding, "write");
        // SAFETY: the check proves the token belongs to this value's type,
        // whose field at that offset has type `T` (so any `T` is a valid
        // field value); `from_raw`'s contract gives exclusive, writable
        // access; `write_unaligned` needs no alignment.
        unsafe {
            self.ptr
                .as_ptr()
                .add(field.offset())
                .cast::<T>()
                .write_unaligned(value)
        }
    }

    /// The nested value in field `field`, exclusively.
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline(always)]
    #[track_caller]
    pub fn nested<W: Bindable>(&mut self, field: Nested<W>) -> Mut<'_, W> {
        assert_same_binding(self.binding, field.binding(), "nested");
        // SAFETY: as for `Ref::nested`, with this handle's exclusive access
        // (reborrowed for the result's lifetime).
        unsafe { Mut::from_raw(self.ptr.as_ptr().add(field.offset()), field.view().shape()) }
    }

    /// The value's address.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl<'a, D: layout_meta::Resilient + 'static, V: View<Strategy = crate::Direct<D>>> Mut<'a, V> {
    /// An exclusive handle to an in-domain value, for direct views of `D`.
    #[inline(always)]
    pub fn from_direct(value: &'a mut D) -> Self {
        // A live `D`, exclusively borrowed for `'a`; never null.
        Mut {
            ptr: NonNull::from(value).cast::<u8>(),
            binding: Shape::direct::<D>().binding,
            _p: PhantomData,
        }
    }
}

/// A slice of foreign values laid out at the run-time stride.
pub struct Slice<'a, V> {
    ptr: NonNull<u8>,
    len: usize,
    shape: Shape,
    _p: Shared<'a, V>,
}

impl<V> Clone for Slice<'_, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for Slice<'_, V> {}

// SAFETY: shared borrows of plain bytes; see `Ref`.
unsafe impl<V> Send for Slice<'_, V> {}
// SAFETY: as for `Send`.
unsafe impl<V> Sync for Slice<'_, V> {}

impl<'a, V: View> Slice<'a, V> {
    /// `len` values starting at `ptr`, `shape.stride` bytes apart.
    ///
    /// # Safety
    ///
    /// Each of the `len` positions holds a live, initialised value of the
    /// type `shape` was bound from, nobody writes them for `'a`.
    ///
    /// # Panics
    ///
    /// If `ptr` is null and `len` is not 0 (an empty slice may be null).
    #[track_caller]
    pub unsafe fn from_raw_parts(ptr: *const u8, len: usize, shape: Shape) -> Self {
        Slice {
            ptr: if len == 0 {
                NonNull::new(ptr.cast_mut()).unwrap_or(NonNull::dangling())
            } else {
                non_null(ptr.cast_mut())
            },
            len,
            shape,
            _p: PhantomData,
        }
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Address of the first value.
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }
    /// The shape the slice was made with.
    pub fn shape(&self) -> Shape {
        self.shape
    }
    /// The `i`th value.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Ref<'a, V>> {
        (i < self.len).then(|| {
            // SAFETY: `i < len`, so by `from_raw_parts`'s contract a live
            // value sits at `i * stride` (in bounds of the allocation, so the
            // product does not overflow).
            unsafe { Ref::from_raw(self.ptr.as_ptr().add(i * self.shape.stride), self.shape) }
        })
    }
    /// The values in order.
    #[inline]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Ref<'a, V>> + 'a {
        let (ptr, stride, shape) = (self.ptr.as_ptr(), self.shape.stride, self.shape);
        (0..self.len).map(move |i| {
            // SAFETY: as for `get`: `i < len`.
            unsafe { Ref::from_raw(ptr.add(i * stride), shape) }
        })
    }
}

impl<'a, D: layout_meta::Resilient + 'static, V: View<Strategy = crate::Direct<D>>> Slice<'a, V> {
    /// In-domain values, for direct views of `D`.
    pub fn from_direct(values: &'a [D]) -> Self {
        // Live `D`s, `size_of::<D>()` apart, borrowed for `'a`; a slice's
        // pointer is never null.
        Slice {
            ptr: NonNull::from(values).cast::<u8>(),
            len: values.len(),
            shape: Shape::direct::<D>(),
            _p: PhantomData,
        }
    }
}
