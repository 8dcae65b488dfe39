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
use crate::view::{AccessorFns, Bindable, Nested, Shape, View};
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
        if field.stored_in(self.binding) {
            // SAFETY: the token belongs to this value's type (same binding,
            // or for direct tokens the same in-domain type) and reaches a
            // stored field, so binding proved the field lies inside the
            // value with type `T`; `from_raw`'s contract gives a live value.
            return unsafe { read_at(self.ptr.as_ptr(), field.offset()) };
        }
        self.get_computed(field)
    }

    /// [`Ref::get`] off the hot path: a computed field (one call of the
    /// library's getter), or a token of another binding (a panic).
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn get_computed<T: AnyBitPattern, F: Access<T, Strategy = V::Strategy>>(self, field: F) -> T {
        field.assert_binding(self.binding, "read");
        let Some(c) = field.computed() else {
            // Same binding, stored: `stored_in` would have said so.
            unreachable!("a stored token of this binding takes the hot path")
        };
        // SAFETY: the check proves the token belongs to this value's type,
        // whose library computes the field with this getter, for a field of
        // type `T`; `from_raw`'s contract gives a live value of a loaded
        // library.
        unsafe { c.read(self.ptr.as_ptr()) }
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
        if let Some(c) = field.computed() {
            // SAFETY: as in `get`.
            return unsafe { c.read_checked(self.ptr.as_ptr()) };
        }
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

    /// Borrows an accessor field's contents through the library's getter:
    /// `None` for an optional field that holds nothing.
    #[inline]
    #[track_caller]
    fn borrow_raw(
        self,
        fns: &AccessorFns,
        elem: usize,
        align: usize,
    ) -> Option<(*const u8, usize)> {
        assert_same_binding(self.binding, fns.binding, "read");
        // SAFETY: the check proves the getter is this value's type's, bound
        // as a text or elements accessor; `from_raw`'s contract gives a
        // live value of a loaded library, not written for `'a`, so the
        // contents stay as they are for `'a` (the accessor contract).
        let s = unsafe { (fns.get)(self.ptr.as_ptr()) };
        if s.ptr.is_null() {
            // `None` (only an optional field's getter returns it; a
            // required one that does is read as empty).
            return None;
        }
        if s.len == 0 {
            return Some((s.ptr, 0));
        }
        match s.len.checked_mul(elem) {
            // `len` elements of `elem` bytes at `ptr` (the accessor
            // contract), within `isize::MAX`, aligned (checked): no slice
            // is formed here (an exported element's padding bytes are not
            // initialised; each caller forms a slice of its own type).
            Some(n) if n <= isize::MAX as usize && (s.ptr as usize) % align == 0 => {
                Some((s.ptr, s.len))
            }
            _ => bad_accessor(fns.name),
        }
    }

    /// `borrow_raw`'s bytes, for text.
    fn borrow_bytes(self, fns: &AccessorFns) -> Option<&'a [u8]> {
        self.borrow_raw(fns, 1, 1).map(|(p, n)| {
            if n == 0 {
                &[][..]
            } else {
                // SAFETY: `n` initialised bytes at `p` (UTF-8 or not), valid
                // for `'a` (`borrow_raw`'s checks and the accessor contract).
                unsafe { core::slice::from_raw_parts(p, n) }
            }
        })
    }

    /// The text of an accessor field, borrowed from the value.
    ///
    /// # Errors
    ///
    /// [`Error::NotUtf8`] if the library's bytes are not UTF-8 (a C++
    /// `std::string` may hold any bytes): read them with
    /// [`Ref::text_bytes`].
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline]
    #[track_caller]
    pub fn text(self, field: crate::Text) -> Result<&'a str, Error> {
        let bytes = self.text_bytes(field);
        utf8(field.fns.name, bytes)
    }

    /// The bytes of a text field, as the library holds them (not checked
    /// to be UTF-8).
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline]
    #[track_caller]
    pub fn text_bytes(self, field: crate::Text) -> &'a [u8] {
        self.borrow_bytes(&field.fns).unwrap_or_default()
    }

    /// The text of an optional text field (`Option<String>`), borrowed.
    ///
    /// # Errors
    ///
    /// [`Error::NotUtf8`], as [`Ref::text`].
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline]
    #[track_caller]
    pub fn opt_text(self, field: crate::OptText) -> Result<Option<&'a str>, Error> {
        self.borrow_bytes(&field.fns)
            .map(|b| utf8(field.fns.name, b))
            .transpose()
    }

    /// The elements of an accessor field of an exported type
    /// (`Vec<Widget>`), borrowed from the value as a slice of the element
    /// view's values.
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version, or if the
    /// library's getter returns a misaligned pointer (a broken library).
    #[inline]
    #[track_caller]
    pub fn elems_of<W: Bindable>(self, field: crate::ElemsOf<W>) -> Slice<'a, W> {
        let shape = field.view.shape();
        let (ptr, len) = self
            .borrow_raw(&field.fns, shape.size, shape.align)
            .unwrap_or((core::ptr::null(), 0));
        if len == 0 || shape.size == 0 {
            // SAFETY: no values: an empty slice (a null pointer is allowed).
            return unsafe { Slice::from_raw_parts(core::ptr::null(), 0, shape) };
        }
        // SAFETY: the accessor contract: `len` live values of the element
        // type (the binding checked it is the module's type of that name,
        // from this library, with stride = size), aligned (checked by
        // `borrow_raw`), unchanged while this value is not written (`'a`).
        unsafe { Slice::from_raw_parts(ptr, len, shape) }
    }

    /// The elements of an accessor field (`Vec<T>`, `std::vector<T>`),
    /// borrowed from the value.
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version, or if the
    /// library's getter returns a misaligned pointer (a broken library).
    #[inline]
    #[track_caller]
    pub fn elems<T: layout_meta::accessor::Element>(self, field: crate::Elems<T>) -> &'a [T] {
        let Some((ptr, len)) = self.borrow_raw(&field.fns, size_of::<T>(), align_of::<T>()) else {
            return &[];
        };
        if len == 0 {
            return &[];
        }
        // SAFETY: `borrow_raw` checked the alignment and that `len`
        // elements fit; `T: Pod`, so any initialised bytes are `T`s (and the
        // identity the binding checked is `T`'s); valid for `'a`.
        unsafe { core::slice::from_raw_parts(ptr.cast::<T>(), len) }
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn bad_accessor(name: &str) -> ! {
    panic!("the library's accessor of field `{name}` returned a misaligned or oversized slice")
}

#[inline]
fn utf8<'a>(field: &'static str, bytes: &'a [u8]) -> Result<&'a str, Error> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8 (the common case, checked word by word,
        // inline; `from_utf8` is an out-of-line call).
        return Ok(unsafe { core::str::from_utf8_unchecked(bytes) });
    }
    core::str::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        field: field.to_owned(),
        valid_up_to: e.valid_up_to(),
        len: bytes.len(),
    })
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
        if field.stored_in(self.binding) {
            // SAFETY: the token belongs to this value's type and reaches a
            // stored field of type `T` at that offset (so any `T` is a valid
            // field value); `from_raw`'s contract gives exclusive, writable
            // access; `write_unaligned` needs no alignment.
            unsafe {
                self.ptr
                    .as_ptr()
                    .add(field.offset())
                    .cast::<T>()
                    .write_unaligned(value);
            }
            return;
        }
        self.set_computed(field, value);
    }

    /// [`Mut::set`] off the hot path: a computed field (one call of the
    /// library's setter), or a token of another binding (a panic).
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn set_computed<T: NoUninit, F: Access<T, Strategy = V::Strategy>>(
        &mut self,
        field: F,
        value: T,
    ) {
        field.assert_binding(self.binding, "write");
        let Some(c) = field.computed() else {
            unreachable!("a stored token of this binding takes the hot path")
        };
        // SAFETY: as in `Ref::get_computed`, with `from_raw`'s exclusive
        // access; `value` is a valid `T`, the field's type.
        unsafe { c.write(self.ptr.as_ptr(), value) }
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

    #[inline]
    #[track_caller]
    fn replace_raw(&mut self, fns: &AccessorFns, ptr: *const u8, len: usize) {
        assert_same_binding(self.binding, fns.binding, "write");
        // SAFETY: the check proves the setter is this value's type's, bound
        // as a text or elements accessor; `from_raw`'s contract gives
        // exclusive access to a live value of a loaded library; the caller
        // passes `len` valid elements at `ptr` (or null for `None`).
        unsafe { (fns.set)(self.ptr.as_ptr(), ptr, len) }
    }

    /// Replaces a text field's contents with a copy of `text`, made by the
    /// library (its allocator; it frees what the field held).
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline]
    #[track_caller]
    pub fn set_text(&mut self, field: crate::Text, text: &str) {
        self.replace_raw(&field.fns, text.as_ptr(), text.len());
    }

    /// Replaces an optional text field's contents (`None` empties it).
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline]
    #[track_caller]
    pub fn set_opt_text(&mut self, field: crate::OptText, text: Option<&str>) {
        match text {
            Some(t) => self.replace_raw(&field.fns, t.as_ptr(), t.len()),
            None => self.replace_raw(&field.fns, core::ptr::null(), 0),
        }
    }

    /// Replaces an elements field's contents with a copy of `elems`.
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version.
    #[inline]
    #[track_caller]
    pub fn set_elems<T: layout_meta::accessor::Element>(
        &mut self,
        field: crate::Elems<T>,
        elems: &[T],
    ) {
        self.replace_raw(&field.fns, elems.as_ptr().cast(), elems.len());
    }

    /// Replaces an elements field of an exported type (`Vec<Widget>`) with
    /// clones, made by the library, of `values` (values of the element
    /// view's binding: made by the library, e.g. an [`Array`](crate::Array)
    /// or another such field's [`Ref::elems_of`]).
    ///
    /// # Panics
    ///
    /// If `field` was bound from another type or library version, or
    /// `values` belong to another binding than the element view's.
    #[inline]
    #[track_caller]
    pub fn set_elems_of<W: Bindable>(&mut self, field: crate::ElemsOf<W>, values: Slice<'_, W>) {
        assert_same_binding(
            values.shape().binding,
            field.view.shape().binding,
            "write (the elements)",
        );
        // The values are the library's type, `shape.stride` (= its size,
        // checked at bind) apart, live and aligned (`Slice`'s contract).
        // No values: the library still makes a `&[T]` of the pointer, which
        // must be aligned for `T` even when empty (an empty `Slice` may
        // hold any non-null pointer, e.g. `NonNull::dangling()`, 1).
        let ptr = if values.is_empty() {
            aligned_dangling(field.view.shape().align)
                .as_ptr()
                .cast_const()
        } else {
            values.as_ptr()
        };
        self.replace_raw(&field.fns, ptr, values.len());
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

/// A non-null pointer aligned to `align` (a power of two), for no values.
#[inline]
fn aligned_dangling(align: usize) -> NonNull<u8> {
    NonNull::new(core::ptr::without_provenance_mut(align)).unwrap_or(NonNull::dangling())
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
                NonNull::new(ptr.cast_mut()).unwrap_or(aligned_dangling(shape.align))
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
