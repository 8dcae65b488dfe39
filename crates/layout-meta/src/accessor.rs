//! Fields reached through the library's code (format 1.3): **accessor
//! fields**, whose type has no stable layout (`String`, `Vec<T>`,
//! `Box<str>`, `Box<[T]>`, `Option<String>`; in C++ `std::string`,
//! `std::vector<T>`), and **computed fields**, a getter and a setter that
//! stand where a stored field stood (or will stand).
//!
//! A type record lists them apart from its stored fields
//! ([`AccessorDescriptor`], after `enum_info`): a reader of an older format
//! never sees them, so it can only miss such a field (and refuse a view that
//! needs it), never read it at an offset it does not have. A name is either
//! a stored field or an accessor of a type, never both.
//!
//! What crosses, by [`shape`]:
//!
//! - [`shape::VALUE`] (a computed field): `get(value, out)` writes the
//!   field's value (of the record's identity: a scalar, an array, an opaque
//!   plain type) to `out`; `set(value, src)` reads one from `src`.
//! - [`shape::STR`]: `get(value)` returns the UTF-8 bytes the value holds as
//!   a [`RawSlice`] borrowed from it (valid until the value is next written
//!   or dropped); `set(value, ptr, len)` replaces them with a copy of `len`
//!   bytes at `ptr`, in the library's own allocation. With
//!   [`accessor_flags::OPTIONAL`] a null `ptr` means `None`, both ways.
//! - [`shape::SLICE`]: as `STR`, of `len` elements of the record's identity
//!   (a plain element type).
//!
//! Accessors never unwind: a panic (or a C++ exception) inside one aborts
//! the process, as in a value witness. The library allocates and frees
//! what they hold; the caller never frees anything.

use core::mem::size_of;

use crate::format::{RawStr, TypeIdentity};
use crate::function::RawSlice;

/// What an accessor reaches (the `shape` word of an
/// [`AccessorDescriptor`]).
pub mod shape {
    /// A computed field: a value of the record's identity, through
    /// [`super::GetValueFn`] and [`super::SetValueFn`].
    pub const VALUE: u32 = 1;
    /// Text (`String`, `Box<str>`, `std::string`): bytes borrowed through
    /// [`super::BorrowFn`], replaced through [`super::ReplaceFn`]. The
    /// identity is the opaque `str`.
    pub const STR: u32 = 2;
    /// Elements (`Vec<T>`, `Box<[T]>`, `std::vector<T>`) of a plain type,
    /// or of a type the module exports (the identity names it):
    /// borrowed and replaced as `STR`, `len` counting elements. The
    /// identity is the element's.
    pub const SLICE: u32 = 3;

    /// A short name for messages.
    pub const fn name(shape: u32) -> &'static str {
        match shape {
            VALUE => "computed",
            STR => "text",
            SLICE => "elements",
            _ => "unknown",
        }
    }
}

/// Flags of an accessor record.
pub mod accessor_flags {
    /// `STR` or `SLICE` only: the field may hold nothing (`Option<String>`):
    /// `get` returns a null pointer for `None`, and `set` with a null
    /// pointer stores `None`.
    pub const OPTIONAL: u32 = 1 << 0;
    /// Every flag this revision defines; readers ignore the others.
    pub const KNOWN: u32 = OPTIONAL;
}

/// Reads a computed field of the value at `value` into `out` (room for one
/// value of the field's identity, any alignment).
pub type GetValueFn = unsafe extern "C" fn(value: *const u8, out: *mut u8);
/// Writes a computed field of the value at `value` from `src` (one valid
/// value of the field's identity, any alignment).
pub type SetValueFn = unsafe extern "C" fn(value: *mut u8, src: *const u8);
/// Borrows the contents of a text or elements field of the value at
/// `value`: pointer and length, valid until the value is next written or
/// dropped (null pointer: `None`, for an optional field).
pub type BorrowFn = unsafe extern "C" fn(value: *const u8) -> RawSlice;
/// Replaces the contents of a text or elements field of the value at
/// `value` with a copy of `len` bytes (or elements) at `ptr` (null, for an
/// optional field: `None`). Text is UTF-8; elements are aligned.
pub type ReplaceFn = unsafe extern "C" fn(value: *mut u8, ptr: *const u8, len: usize);

/// An accessor's code, typed only as code: a reader calls it through the
/// signature its shape gives, once binding has checked the shape.
pub type AccessorFn = unsafe extern "C" fn();

/// One accessor or computed field of a type (`rsl_accessor_descriptor`).
#[repr(C)]
pub struct AccessorDescriptor {
    pub(crate) name: RawStr,
    pub(crate) shape: u32,
    pub(crate) flags: u32,
    pub(crate) identity: TypeIdentity,
    pub(crate) get: Option<AccessorFn>,
    pub(crate) set: Option<AccessorFn>,
}

// SAFETY: immutable; every pointer comes from a `&'static` reference or is a
// function pointer (the constructors).
unsafe impl Sync for AccessorDescriptor {}
// SAFETY: as for `Sync`.
unsafe impl Send for AccessorDescriptor {}

impl AccessorDescriptor {
    /// A computed field `name` of type `identity`.
    pub const fn computed(
        name: &'static str,
        identity: TypeIdentity,
        get: GetValueFn,
        set: SetValueFn,
    ) -> Self {
        AccessorDescriptor {
            name: RawStr::new(name),
            shape: shape::VALUE,
            flags: 0,
            identity,
            // SAFETY: function pointers of one size; the reader calls each
            // through the signature the shape gives (`GetValueFn`,
            // `SetValueFn`), never through `AccessorFn`.
            get: Some(unsafe { core::mem::transmute::<GetValueFn, AccessorFn>(get) }),
            // SAFETY: as above.
            set: Some(unsafe { core::mem::transmute::<SetValueFn, AccessorFn>(set) }),
        }
    }

    /// An accessor field `name` of a type `A` without a stable layout.
    pub const fn field<A: AccessorType + ?Sized>(
        name: &'static str,
        get: BorrowFn,
        set: ReplaceFn,
    ) -> Self {
        AccessorDescriptor {
            name: RawStr::new(name),
            shape: A::SHAPE,
            flags: A::FLAGS,
            identity: A::IDENTITY,
            // SAFETY: as in `computed`: called only as a `BorrowFn`.
            get: Some(unsafe { core::mem::transmute::<BorrowFn, AccessorFn>(get) }),
            // SAFETY: as in `computed`: called only as a `ReplaceFn`.
            set: Some(unsafe { core::mem::transmute::<ReplaceFn, AccessorFn>(set) }),
        }
    }

    /// The field's name.
    pub const fn name(&self) -> &'static str {
        self.name.as_str()
    }
    /// Its [`shape`].
    pub const fn shape(&self) -> u32 {
        self.shape
    }
    /// Its [`accessor_flags`].
    pub const fn flags(&self) -> u32 {
        self.flags
    }
    /// Its identity (the value's, `str`, or the element's).
    pub const fn identity(&self) -> &TypeIdentity {
        &self.identity
    }
    /// The getter's and setter's addresses.
    pub fn code(&self) -> (usize, usize) {
        (
            self.get.map_or(0, |f| f as usize),
            self.set.map_or(0, |f| f as usize),
        )
    }
}

/// Size of an accessor record, in bytes.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const ACCESSOR_RECORD_SIZE: u32 = size_of::<AccessorDescriptor>() as u32;
const _: () = assert!(size_of::<AccessorDescriptor>() < 4096);

/// A field type without a stable layout that a library exports through
/// generated accessors (`#[derive(Resilient)]` does so for every `pub`
/// field of such a type): the library's own code borrows and replaces its
/// contents.
///
/// # Safety
///
/// `borrow` returns a pointer to `len` initialised elements of
/// `IDENTITY` (bytes of UTF-8 for [`shape::STR`]) that stay valid until
/// the value is next written or dropped, or (only with
/// [`accessor_flags::OPTIONAL`]) a null pointer; a non-null pointer is
/// aligned for the element.
pub unsafe trait AccessorType {
    /// [`shape::STR`] or [`shape::SLICE`].
    const SHAPE: u32;
    /// [`accessor_flags`].
    const FLAGS: u32;
    /// `str`, or the element's identity.
    const IDENTITY: TypeIdentity;
    /// The descriptor of the exported type the elements are (`Vec<Widget>`),
    /// if any: what [`export_module!`](crate::export_module) checks the
    /// module's type of that name against, as for a nested field (a host
    /// reads and clones the elements as the module's type of that name).
    const NESTED: Option<&'static crate::TypeDescriptor> = None;
    /// The contents.
    fn borrow(&self) -> RawSlice;
    /// Replaces the contents with a copy of `len` bytes (or elements) at
    /// `ptr` (null: `None`, for an optional field).
    ///
    /// # Safety
    ///
    /// `ptr` is null (for an optional type only), or points to `len`
    /// initialised, aligned elements (UTF-8 bytes for text) that stay valid
    /// for the call.
    unsafe fn replace(&mut self, ptr: *const u8, len: usize);
}

/// The identity of text (`str`, as a `&str` parameter has it).
pub const STR_IDENTITY: TypeIdentity = TypeIdentity::opaque::<u8>("str");

/// `ptr`/`len` as a `&str`.
///
/// # Safety
///
/// As [`AccessorType::replace`], non-null, UTF-8.
unsafe fn text<'a>(ptr: *const u8, len: usize) -> &'a str {
    // SAFETY: the caller's contract: `len` initialised UTF-8 bytes at `ptr`.
    unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(ptr, len)) }
}

/// `ptr`/`len` as a `&[T]`.
///
/// # Safety
///
/// As [`AccessorType::replace`], non-null.
unsafe fn elements<'a, T>(ptr: *const u8, len: usize) -> &'a [T] {
    // SAFETY: the caller's contract: `len` initialised, aligned `T`s.
    unsafe { core::slice::from_raw_parts(ptr.cast::<T>(), len) }
}

/// Whether the `len` bytes at `ptr` overlap `held` (a setter's source may
/// be what its getter lent: the host copying a field onto itself, or a
/// part of it).
fn overlaps<T>(held: &[T], ptr: *const u8, len: usize) -> bool {
    let size = core::mem::size_of_val(held);
    let (start, end) = (held.as_ptr() as usize, held.as_ptr() as usize + size);
    let (p, q) = (ptr as usize, (ptr as usize).saturating_add(len));
    size != 0 && len != 0 && p < end && start < q
}

fn raw_str(s: &str) -> RawSlice {
    RawSlice {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

fn raw_slice<T>(s: &[T]) -> RawSlice {
    RawSlice {
        ptr: s.as_ptr().cast(),
        len: s.len(),
    }
}

// SAFETY: a `String`'s bytes are initialised UTF-8, valid until it changes.
unsafe impl AccessorType for alloc::string::String {
    const SHAPE: u32 = shape::STR;
    const FLAGS: u32 = 0;
    const IDENTITY: TypeIdentity = STR_IDENTITY;
    fn borrow(&self) -> RawSlice {
        raw_str(self)
    }
    unsafe fn replace(&mut self, ptr: *const u8, len: usize) {
        // SAFETY: the caller's contract.
        let new = unsafe { text(ptr, len) };
        if overlaps(self.as_bytes(), ptr, len) {
            // The host passes (part of) what this field borrowed to it: copy
            // before the old contents go (clearing and copying in place
            // would copy between overlapping ranges).
            *self = alloc::string::String::from(new);
        } else {
            // Reuses the allocation when it is large enough.
            self.clear();
            self.push_str(new);
        }
    }
}

// SAFETY: as for `String`.
unsafe impl AccessorType for alloc::boxed::Box<str> {
    const SHAPE: u32 = shape::STR;
    const FLAGS: u32 = 0;
    const IDENTITY: TypeIdentity = STR_IDENTITY;
    fn borrow(&self) -> RawSlice {
        raw_str(self)
    }
    unsafe fn replace(&mut self, ptr: *const u8, len: usize) {
        // SAFETY: the caller's contract.
        *self = unsafe { text(ptr, len) }.into();
    }
}

// SAFETY: as for `String`; `None` is the null pointer `OPTIONAL` allows.
unsafe impl AccessorType for Option<alloc::string::String> {
    const SHAPE: u32 = shape::STR;
    const FLAGS: u32 = accessor_flags::OPTIONAL;
    const IDENTITY: TypeIdentity = STR_IDENTITY;
    fn borrow(&self) -> RawSlice {
        match self {
            Some(s) => raw_str(s),
            None => RawSlice {
                ptr: core::ptr::null(),
                len: 0,
            },
        }
    }
    unsafe fn replace(&mut self, ptr: *const u8, len: usize) {
        if ptr.is_null() {
            *self = None;
        } else {
            let s = self.get_or_insert_with(alloc::string::String::new);
            // SAFETY: the caller's contract, non-null.
            unsafe { s.replace(ptr, len) }
        }
    }
}

/// The element types a host reads as `&[T]` (`Elems<T>`): plain data of a
/// fixed identity, any bytes a value.
pub trait Element: crate::FieldType + bytemuck::Pod {}
impl<T: crate::FieldType + bytemuck::Pod> Element for T {}

/// The element types a library's elements field may hold: plain data (an
/// [`Element`]), or a type the library exports (`Vec<Widget>`: hosts read
/// the elements through a view of `Widget`, and a replacement is made of
/// clones, by the library's `Clone`, of values the host holds).
pub trait LibElement: crate::FieldType + Clone {}
impl<T: crate::FieldType + Clone> LibElement for T {}

// SAFETY: a `Vec<T>`'s elements are initialised and aligned (a dangling,
// aligned pointer when empty), valid until it changes.
unsafe impl<T: LibElement> AccessorType for alloc::vec::Vec<T> {
    const SHAPE: u32 = shape::SLICE;
    const FLAGS: u32 = 0;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    const NESTED: Option<&'static crate::TypeDescriptor> = T::NESTED;
    fn borrow(&self) -> RawSlice {
        raw_slice(self)
    }
    unsafe fn replace(&mut self, ptr: *const u8, len: usize) {
        // SAFETY: the caller's contract.
        let new = unsafe { elements::<T>(ptr, len) };
        if overlaps(self, ptr, len.saturating_mul(size_of::<T>())) {
            // As for `String`: the source is this field's own contents.
            *self = new.to_vec();
        } else {
            self.clear();
            self.extend_from_slice(new);
        }
    }
}

// SAFETY: as for `Vec<T>`.
unsafe impl<T: LibElement> AccessorType for alloc::boxed::Box<[T]> {
    const SHAPE: u32 = shape::SLICE;
    const FLAGS: u32 = 0;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    const NESTED: Option<&'static crate::TypeDescriptor> = T::NESTED;
    fn borrow(&self) -> RawSlice {
        raw_slice(self)
    }
    unsafe fn replace(&mut self, ptr: *const u8, len: usize) {
        // SAFETY: the caller's contract.
        *self = unsafe { elements::<T>(ptr, len) }.into();
    }
}

/// The getter the derive generates for accessor field `field` of `T`:
/// borrows through [`AccessorType::borrow`].
///
/// # Safety
///
/// `value` points at a live `T`; `field` projects one of its fields.
#[doc(hidden)]
pub unsafe fn borrow_of<T, A: AccessorType>(value: *const u8, field: fn(&T) -> &A) -> RawSlice {
    // SAFETY: the caller's contract: a live `T`.
    field(unsafe { &*value.cast::<T>() }).borrow()
}

/// The setter the derive generates: [`AccessorType::replace`].
///
/// # Safety
///
/// `value` points at a live `T` nothing else accesses; `ptr`/`len` as
/// [`AccessorType::replace`] asks.
#[doc(hidden)]
pub unsafe fn replace_of<T, A: AccessorType>(
    value: *mut u8,
    ptr: *const u8,
    len: usize,
    field: fn(&mut T) -> &mut A,
) {
    // SAFETY: the caller's contract: a live `T`, exclusively; `ptr`/`len`.
    unsafe { field(&mut *value.cast::<T>()).replace(ptr, len) }
}

/// The getter the derive generates for a computed field: calls the
/// library's `get` and writes the result to `out`.
///
/// `T: Sync`: a host may call the getter from several threads at once for
/// one value (its `Ref` is `Sync`, as for an exported function's `&T`), so
/// a getter that counts its reads in a `Cell` would race.
///
/// # Safety
///
/// `value` points at a live `T`; `out` is writable for one `V`.
#[doc(hidden)]
pub unsafe fn get_computed<T: Sync, V>(value: *const u8, out: *mut u8, get: fn(&T) -> V) {
    // SAFETY: the caller's contract.
    unsafe { out.cast::<V>().write_unaligned(get(&*value.cast::<T>())) }
}

/// The setter the derive generates for a computed field.
///
/// `T: Send`: a host may call it on another thread than the value's
/// owner's (its `Mut` is `Send`, as for an exported function's `&mut T`).
///
/// # Safety
///
/// `value` points at a live `T` nothing else accesses; `src` holds a
/// valid `V`.
#[doc(hidden)]
pub unsafe fn set_computed<T: Send, V>(value: *mut u8, src: *const u8, set: fn(&mut T, V)) {
    // SAFETY: the caller's contract.
    unsafe { set(&mut *value.cast::<T>(), src.cast::<V>().read_unaligned()) }
}
