//! Functions across the boundary: the records a library exports for each
//! function (name, parameters and return with their type identities, the
//! calling convention, the thunk's address), the calling convention itself,
//! and the producer side (`#[layout_meta::export]` on an ordinary function).
//!
//! # The calling convention (`abi::THUNK_V2`)
//!
//! A library never exports the function itself: it exports a thunk,
//!
//! ```text
//! struct { T value; uint32_t status; } thunk(P0 p0, ..., Pn pn, void *ret, rsl_call_error *err);  // T by value
//! uint32_t thunk(P0 p0, ..., Pn pn, R *ret, rsl_call_error *err);                               // any other result
//! ```
//!
//! where each parameter is lowered by how it is passed ([`pass`]): a scalar
//! by value, `&T`/`&mut T`/`Option<&T>` of an exported type as a pointer to
//! the value, `&str` and `&[T]` as an [`RawSlice`] (pointer, length).
//!
//! A result passed by value ([`pass::VALUE`], a scalar) comes back in
//! registers with the status, as a [`Ret`] (`{ value, status }`: on x86-64
//! System V in `rax:rdx` for an integer of up to 8 bytes, `xmm0` and `rax`
//! for an `f64`, and `rax` alone for an `f32` or a `u32` and smaller; a
//! 128-bit integer's `Ret` is 32 bytes and comes back through memory, as
//! does every 16-byte `Ret` on Windows x64); `ret` is unused (a client passes null) and
//! `value` means nothing unless the status is [`status::OK`]. Every other
//! result is written to `*ret` and the thunk returns the status alone:
//! nothing for `()`; a value of an exported type, [`pass::OWNED`], moved
//! into room of its size and alignment that the caller provides; an
//! [`OwnedBuf`] for an owned string or vector.
//!
//! The status ([`status`]) says whether the call returned:
//! [`status::OK`]; [`status::FAILED`], a `Result::Err` whose message is in
//! `*err`; or [`status::PANICKED`], a panic (in C++, an exception) caught
//! by the thunk, whose message is in `*err`. A thunk writes `*err` exactly
//! when the status is not `OK` (so a caller need not initialise it), and
//! the library frees its own message ([`CallError`]). Nothing ever unwinds
//! across the boundary.
//!
//! A client calls the thunk through a pointer of exactly that signature,
//! after binding has proved that the signature it expects is the one the
//! library exports ([`crate::compat::bind_function`]): one indirect call,
//! whose scalar result never goes through memory.
//!
//! Convention 1 (every result through `*ret`) was never released: a
//! record that names it is refused like any unknown convention.

#[cfg(feature = "std")]
use alloc::string::String;
use core::mem::{size_of, MaybeUninit};

use crate::format::{RawStr, TypeIdentity};

/// How a parameter or result crosses (the `pass` word of a
/// [`ParamDescriptor`]).
pub mod pass {
    /// A scalar (or fixed-layout plain type) by value.
    pub const VALUE: u32 = 1;
    /// `&T` of an exported type: a pointer to a live value.
    pub const REF: u32 = 2;
    /// `&mut T` of an exported type: a pointer to a live value, exclusive.
    pub const MUT: u32 = 3;
    /// `Option<&T>` of an exported type: a pointer, or null for `None`.
    pub const OPT_REF: u32 = 4;
    /// `&str`: a [`super::RawSlice`] of UTF-8 bytes.
    pub const STR: u32 = 5;
    /// `&[T]` of a scalar `T`: a [`super::RawSlice`] of `len` elements.
    pub const SLICE: u32 = 6;
    /// `()`, as a result only: nothing is written.
    pub const UNIT: u32 = 7;
    /// A value of an exported type, as a result only: the library moves it
    /// into room of the type's size and alignment (the library's own
    /// layout) that the caller provides; the caller then owns it and drops
    /// it with the type's drop witness.
    pub const OWNED: u32 = 8;
    /// An owned `String`, as a result only: an [`super::OwnedBuf`] of
    /// UTF-8 bytes the library allocated; the caller frees it once with
    /// the record's `free`.
    pub const OWNED_STR: u32 = 9;
    /// An owned `Vec<T>` of a plain `T`, as a result only: an
    /// [`super::OwnedBuf`] of `len` elements the library allocated; the
    /// caller frees it once with the record's `free`.
    pub const OWNED_SLICE: u32 = 10;

    /// A short name for messages.
    pub const fn name(pass: u32) -> &'static str {
        match pass {
            VALUE => "by value",
            REF => "&",
            MUT => "&mut",
            OPT_REF => "Option<&>",
            STR => "&str",
            SLICE => "&[]",
            UNIT => "()",
            OWNED => "owned",
            OWNED_STR => "String",
            OWNED_SLICE => "Vec",
            _ => "unknown",
        }
    }
}

/// Calling conventions of function records.
pub mod abi {
    /// The thunk convention of this module's docs: a scalar result and the
    /// status in registers ([`super::Ret`]), any other result through
    /// `*ret`.
    pub const THUNK_V2: u32 = 2;
}

/// Function flags.
pub mod fn_flags {
    /// The function returns a `Result`: it may end with
    /// [`super::status::FAILED`]. Informational: every call can fail (a
    /// panic), so a client binds whether or not it is set.
    pub const FALLIBLE: u32 = 1 << 0;
    /// Every flag this version defines.
    pub const KNOWN: u32 = FALLIBLE;
}

/// What a thunk returns.
pub mod status {
    /// The function returned; its result is in the [`Ret`](super::Ret)
    /// (a result passed by value) or in `*ret` (any other).
    pub const OK: u32 = 0;
    /// The function returned an error; its message is in `*err`.
    pub const FAILED: u32 = 1;
    /// The function panicked (or threw); the message is in `*err`.
    pub const PANICKED: u32 = 2;
}

/// `&str` and `&[T]` as they cross: a pointer and a length (in elements).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawSlice {
    /// The first element (dangling and aligned for an empty slice).
    pub ptr: *const u8,
    /// The number of elements.
    pub len: usize,
}

/// What a thunk returns for a result passed by value ([`pass::VALUE`]):
/// the value and the status, in registers (module docs). `value` holds a
/// `T` only when `status` is [`status::OK`]: on failure the library may
/// leave any bits there (a C thunk a `bool` of 2), so it is a
/// `MaybeUninit` (same size, alignment and ABI as `T`), and producer and
/// caller name this one type.
#[repr(C)]
pub struct Ret<T> {
    /// The result (on [`status::OK`]).
    pub value: MaybeUninit<T>,
    /// The status ([`status`]).
    pub status: u32,
}

impl<T: Copy> Clone for Ret<T> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Copy> Copy for Ret<T> {}

impl<T> core::fmt::Debug for Ret<T> {
    /// The status only: the value may not be initialised.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ret")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl<T> Ret<T> {
    /// A returned `value`.
    #[inline(always)]
    pub const fn ok(value: T) -> Self {
        Ret {
            value: MaybeUninit::new(value),
            status: status::OK,
        }
    }
    /// A call that failed with `status` (no value).
    #[inline(always)]
    pub const fn failed(status: u32) -> Self {
        Ret {
            value: MaybeUninit::uninit(),
            status,
        }
    }
    /// The value.
    ///
    /// # Safety
    ///
    /// `status` is [`status::OK`] and the thunk that returned this kept
    /// its contract (a valid `T` in `value`).
    #[inline(always)]
    pub const unsafe fn assume_ok(self) -> T {
        // SAFETY: the caller's contract.
        unsafe { self.value.assume_init() }
    }
}

/// An error message a thunk hands to its caller: bytes the library
/// allocated, and the library's function that frees them. The caller reads
/// the message and calls `free` exactly once; it never frees the bytes any
/// other way.
#[repr(C)]
#[derive(Debug)]
pub struct CallError {
    /// UTF-8 bytes of the message (null if none).
    pub ptr: *mut u8,
    /// Their length.
    pub len: usize,
    /// The allocation's capacity (for `free`).
    pub cap: usize,
    /// Frees `(ptr, len, cap)` with the library's allocator.
    pub free: Option<unsafe extern "C" fn(ptr: *mut u8, len: usize, cap: usize)>,
}

/// An owned `String` or `Vec<T>` a function hands its caller
/// ([`pass::OWNED_STR`], [`pass::OWNED_SLICE`]): the library's allocation
/// (`ptr`, `len` in bytes or elements, `cap`) and its own function that
/// frees it. Laid out as an error message (`rsl_call_error`): the caller
/// reads it and calls `free(ptr, len, cap)` exactly once.
pub type OwnedBuf = CallError;

impl CallError {
    /// No message.
    pub const EMPTY: CallError = CallError {
        ptr: core::ptr::null_mut(),
        len: 0,
        cap: 0,
        free: None,
    };
}

/// The code address of a thunk, typed only as code: a client calls it
/// through its real signature once binding has checked that signature.
pub type ThunkFn = unsafe extern "C" fn();

/// One parameter, or the result, of a function.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ParamDescriptor {
    pub(crate) name: RawStr,
    pub(crate) pass: u32,
    pub(crate) reserved: u32,
    pub(crate) identity: TypeIdentity,
}

impl ParamDescriptor {
    /// Parameter `name`, passed as `pass`, of type `identity` (for
    /// references and slices, the referent's or element's type).
    pub const fn new(name: &'static str, pass: u32, identity: TypeIdentity) -> Self {
        ParamDescriptor {
            name: RawStr::new(name),
            pass,
            reserved: 0,
            identity,
        }
    }
    /// The parameter's name (`"return"` for the result).
    pub const fn name(&self) -> &'static str {
        self.name.as_str()
    }
    /// How it crosses ([`pass`]).
    pub const fn pass(&self) -> u32 {
        self.pass
    }
    /// Its type.
    pub const fn identity(&self) -> &TypeIdentity {
        &self.identity
    }
}

/// One exported function.
#[repr(C)]
pub struct FunctionDescriptor {
    pub(crate) name: RawStr,
    pub(crate) abi: u32,
    pub(crate) flags: u32,
    pub(crate) param_count: usize,
    pub(crate) params: *const ParamDescriptor,
    pub(crate) ret: ParamDescriptor,
    pub(crate) thunk: ThunkFn,
}

// SAFETY: immutable, and every pointer in it comes from a `&'static`
// reference or is a function pointer (see `new`).
unsafe impl Sync for FunctionDescriptor {}
// SAFETY: as for `Sync`.
unsafe impl Send for FunctionDescriptor {}

impl FunctionDescriptor {
    /// The function `name` with these parameters and result, called through
    /// `thunk` (whose real signature the parameters give, see the module
    /// docs).
    pub const fn new(
        name: &'static str,
        flags: u32,
        params: &'static [ParamDescriptor],
        ret: ParamDescriptor,
        thunk: ThunkFn,
    ) -> Self {
        FunctionDescriptor {
            name: RawStr::new(name),
            abi: abi::THUNK_V2,
            flags,
            param_count: params.len(),
            params: params.as_ptr(),
            ret,
            thunk,
        }
    }
    /// The function's name.
    pub const fn name(&self) -> &'static str {
        self.name.as_str()
    }
    /// Its calling convention ([`abi`]).
    pub const fn abi(&self) -> u32 {
        self.abi
    }
    /// Its flags ([`fn_flags`]).
    pub const fn flags(&self) -> u32 {
        self.flags
    }
    /// Its parameters.
    pub const fn params(&self) -> &'static [ParamDescriptor] {
        // SAFETY:
        // - `params` and `param_count` were taken from a `&'static
        //   [ParamDescriptor]` in `new` (fields are private): initialised,
        //   aligned, immutable and valid for `'static`.
        unsafe { core::slice::from_raw_parts(self.params, self.param_count) }
    }
    /// Its result.
    pub const fn ret(&self) -> &ParamDescriptor {
        &self.ret
    }
    /// The thunk.
    pub const fn thunk(&self) -> ThunkFn {
        self.thunk
    }
}

/// One type's implementation of an interface: the interface's name, the
/// type's, and a method table, each method a function record whose first
/// parameter is the receiver (`&Type` or `&mut Type`).
#[repr(C)]
pub struct ImplDescriptor {
    pub(crate) interface: RawStr,
    pub(crate) type_name: RawStr,
    pub(crate) method_count: usize,
    pub(crate) methods: *const &'static FunctionDescriptor,
}

impl core::fmt::Debug for ImplDescriptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "ImplDescriptor({} as {})",
            self.type_name(),
            self.interface()
        )
    }
}

// SAFETY: immutable, and every pointer in it comes from a `&'static`
// reference (see `new`).
unsafe impl Sync for ImplDescriptor {}
// SAFETY: as for `Sync`.
unsafe impl Send for ImplDescriptor {}

impl ImplDescriptor {
    /// Type `type_name`'s implementation of `interface`, with these methods.
    pub const fn new(
        interface: &'static str,
        type_name: &'static str,
        methods: &'static [&'static FunctionDescriptor],
    ) -> Self {
        ImplDescriptor {
            interface: RawStr::new(interface),
            type_name: RawStr::new(type_name),
            method_count: methods.len(),
            methods: methods.as_ptr(),
        }
    }
    /// The interface's name.
    pub const fn interface(&self) -> &'static str {
        self.interface.as_str()
    }
    /// The implementing type's name.
    pub const fn type_name(&self) -> &'static str {
        self.type_name.as_str()
    }
    /// The methods.
    pub const fn methods(&self) -> &'static [&'static FunctionDescriptor] {
        // SAFETY:
        // - `methods` and `method_count` were taken from a `&'static
        //   [&'static FunctionDescriptor]` in `new` (fields are private to
        //   the crate): initialised, aligned, immutable, valid for `'static`.
        unsafe { core::slice::from_raw_parts(self.methods, self.method_count) }
    }
}

/// An interface implementation exported with `#[layout_meta::export]` on an
/// `impl Trait for Type` block, keyed by the hash of the interface's name
/// (`layout_meta::name_hash`) so `export_module!` can list it as
/// `Type: "Trait"`.
///
/// # Safety
///
/// Every method record's thunk has the signature its record gives, with the
/// receiver first, and honours the calling convention; [`Self::REFERENTS`]
/// lists the types the thunks were compiled with.
pub unsafe trait ExportedImpl<const INTERFACE: u64> {
    /// The implementation's record.
    const DESCRIPTOR: &'static ImplDescriptor;
    /// Per method, in the record's order, the descriptors of the exported
    /// types its references point to, as [`ExportedFn::REFERENTS`] (one
    /// entry per parameter, then the result): the receiver's is the
    /// implementing type's. A host that binds the implementation compiled
    /// into its own program (`resilient_types::InProcess`) calls the
    /// methods only on values of exactly these types.
    const REFERENTS: &'static [&'static [Option<&'static crate::TypeDescriptor>]];
}

/// Size of a version-1 interface-implementation record, in bytes.
#[allow(clippy::cast_possible_truncation, reason = "a record of four words")]
pub const IMPL_RECORD_SIZE: u32 = size_of::<ImplDescriptor>() as u32;

/// Size of a version-1 function record, in bytes.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const FUNCTION_RECORD_SIZE: u32 = size_of::<FunctionDescriptor>() as u32;
/// Size of a version-1 parameter record, in bytes.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const PARAM_RECORD_SIZE: u32 = size_of::<ParamDescriptor>() as u32;

const _: () = assert!(
    size_of::<FunctionDescriptor>() < 4096 && size_of::<ParamDescriptor>() < 4096,
    "record sizes fit in a u32 header field"
);

/// A function exported with `#[layout_meta::export]`: the attribute
/// implements this for a unit struct of the function's name (which lives in
/// the type namespace, beside the function), so `export_module!` can list
/// it by name.
///
/// # Safety
///
/// [`Self::DESCRIPTOR`]'s thunk has exactly the signature its parameters and
/// result give (module docs), never unwinds, and honours the status and
/// error conventions. [`Self::REFERENTS`] names, for each reference
/// parameter and an owned result, the type the thunk was compiled for (a
/// host that binds the function compiled into its own program refuses any
/// other type there, and any type where the list names none).
pub unsafe trait ExportedFn {
    /// The function's record.
    const DESCRIPTOR: &'static FunctionDescriptor;
    /// The descriptors of the exported types its references point to (one
    /// entry per parameter, then one for the result), checked by
    /// `export_module!` against the module's types of those names.
    const REFERENTS: &'static [Option<&'static crate::TypeDescriptor>] = &[];
}

/// A parameter type an exported function may take: how it crosses and how
/// the thunk turns the lowered form back into it. `'a` is the call: a
/// borrowed parameter lives for the call only, so a function that asks for
/// a longer borrow (`&'static T`, through an alias or a bound) does not
/// compile.
///
/// A reference crosses to a host that may share it between threads (a
/// host's `Ref` is `Sync`, its `Mut` is `Send`): `&T` needs `T: Sync`,
/// `&mut T` needs `T: Send`.
///
/// # Safety
///
/// `Ffi` is the lowered form `PASS` gives (module docs) for `IDENTITY`, and
/// `IDENTITY` is the type's own (the [`crate::FieldType`] contract); for
/// references, `from_ffi` is sound for any pointer to a live value of the
/// referent type.
pub unsafe trait Param<'a>: Sized {
    /// How it crosses ([`pass`]).
    const PASS: u32;
    /// Its type (for references and slices, the referent's or element's).
    const IDENTITY: TypeIdentity;
    /// The exported type a reference points to, whose module listing
    /// `export_module!` checks (as for nested fields).
    const REFERENT: Option<&'static crate::TypeDescriptor> = None;
    /// The lowered form.
    type Ffi: Copy;
    /// The parameter from its lowered form, borrowed for the call `'a`.
    ///
    /// # Safety
    ///
    /// `ffi` is what a client that bound this function's signature passes:
    /// for a reference, a pointer to a live value of the referent type,
    /// borrowed as the reference says for the whole call; for a slice, a
    /// pointer to `len` live elements (UTF-8 bytes for `&str`).
    unsafe fn from_ffi(ffi: Self::Ffi, call: &'a ()) -> Self;
}

/// A result type an exported function may return.
///
/// # Safety
///
/// `Ffi` and `Reg` are the lowered form `PASS` gives for `IDENTITY` (module
/// docs): for [`pass::VALUE`], `Reg` is [`Ret`] of the value and `Ffi` is
/// `()` (no room); otherwise `Reg` is the `u32` status and `Ffi` the room's
/// type. `into_ffi` returns status [`status::OK`] exactly when the result
/// is complete (in the `Ret`, or written to `ret`; nothing for `()`), and
/// otherwise fills `err`; `fail` makes the `Reg` of a failing status.
pub unsafe trait Return: Sized {
    /// How it crosses ([`pass::VALUE`], [`pass::UNIT`] or [`pass::OWNED`]).
    const PASS: u32;
    /// Its type (the `Ok` type's, for a `Result`).
    const IDENTITY: TypeIdentity;
    /// The exported type it is a value of, if any (what `export_module!`
    /// checks the module lists).
    const REFERENT: Option<&'static crate::TypeDescriptor> = None;
    /// [`fn_flags::FALLIBLE`] for a `Result`, else 0.
    const FLAGS: u32 = 0;
    /// What `ret` points to: the room for the result (`()`, unused, for a
    /// result passed by value).
    type Ffi;
    /// What the thunk returns: [`Ret`] of a value passed by value, else the
    /// `u32` status.
    type Reg: Copy;
    /// Hands the result (or the error) over, with the status.
    ///
    /// # Safety
    ///
    /// `ret` is writable room for one `Ffi`; `err` is writable.
    unsafe fn into_ffi(self, ret: *mut Self::Ffi, err: *mut CallError) -> Self::Reg;
    /// What the thunk returns with status `status` (not [`status::OK`]),
    /// its message written to `*err`.
    fn fail(status: u32) -> Self::Reg;
}

/// The status of what a thunk returned.
pub trait Status: Copy {
    /// The status ([`status`]).
    fn status(&self) -> u32;
}
impl Status for u32 {
    #[inline(always)]
    fn status(&self) -> u32 {
        *self
    }
}
impl<T: Copy> Status for Ret<T> {
    #[inline(always)]
    fn status(&self) -> u32 {
        self.status
    }
}

macro_rules! scalar_params {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: a scalar crosses as itself; its identity is its own
        // (`FieldType`).
        unsafe impl Param<'_> for $t {
            const PASS: u32 = pass::VALUE;
            const IDENTITY: TypeIdentity = <$t as crate::FieldType>::IDENTITY;
            type Ffi = $t;
            unsafe fn from_ffi(ffi: $t, _: &()) -> $t {
                ffi
            }
        }
        // SAFETY: returned in the `Ret` with `OK`.
        unsafe impl Return for $t {
            const PASS: u32 = pass::VALUE;
            const IDENTITY: TypeIdentity = <$t as crate::FieldType>::IDENTITY;
            type Ffi = ();
            type Reg = Ret<$t>;
            #[inline(always)]
            unsafe fn into_ffi(self, _: *mut (), _: *mut CallError) -> Ret<$t> {
                Ret::ok(self)
            }
            #[inline(always)]
            fn fail(status: u32) -> Ret<$t> {
                Ret::failed(status)
            }
        }
    )*};
}

scalar_params!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char
);

// SAFETY: nothing is written; `OK` returned.
unsafe impl Return for () {
    const PASS: u32 = pass::UNIT;
    const IDENTITY: TypeIdentity = <() as crate::FieldType>::IDENTITY;
    type Ffi = ();
    type Reg = u32;
    #[inline(always)]
    unsafe fn into_ffi(self, _: *mut (), _: *mut CallError) -> u32 {
        status::OK
    }
    #[inline(always)]
    fn fail(status: u32) -> u32 {
        status
    }
}

// SAFETY: the value is moved into the caller's room, which has the size
// and alignment of `T` as this library lays it out (the caller allocated it
// from the type's record in this module); the identity names the exported
// type.
unsafe impl<T: crate::Resilient + crate::FieldType> Return for T {
    const PASS: u32 = pass::OWNED;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    const REFERENT: Option<&'static crate::TypeDescriptor> = Some(T::DESCRIPTOR);
    // The room is typed by the caller's run-time layout, not by `T`: the
    // thunk's parameter is a byte pointer.
    type Ffi = u8;
    type Reg = u32;
    #[inline(always)]
    fn fail(status: u32) -> u32 {
        status
    }
    unsafe fn into_ffi(self, ret: *mut u8, _: *mut CallError) -> u32 {
        // SAFETY: `ret` is room of `T`'s size and alignment (the caller's
        // contract for `OWNED`), written once; the caller owns the value.
        unsafe { ret.cast::<T>().write(self) };
        status::OK
    }
}

// SAFETY: a reference crosses as a pointer to the value; the identity names
// the exported type (`Resilient`), whose layout the library owns.
unsafe impl<'a, T: crate::Resilient + crate::FieldType + Sync> Param<'a> for &'a T {
    const PASS: u32 = pass::REF;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    const REFERENT: Option<&'static crate::TypeDescriptor> = Some(T::DESCRIPTOR);
    type Ffi = *const u8;
    unsafe fn from_ffi(ffi: *const u8, _: &'a ()) -> Self {
        // SAFETY: the caller passes a pointer to a live `T`, shared for the
        // call (`from_ffi`'s contract; binding checked the type by name
        // and the client checked the value's binding).
        unsafe { &*ffi.cast::<T>() }
    }
}

// SAFETY: as for `&T`, exclusive.
unsafe impl<'a, T: crate::Resilient + crate::FieldType + Send> Param<'a> for &'a mut T {
    const PASS: u32 = pass::MUT;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    const REFERENT: Option<&'static crate::TypeDescriptor> = Some(T::DESCRIPTOR);
    type Ffi = *mut u8;
    unsafe fn from_ffi(ffi: *mut u8, _: &'a ()) -> Self {
        // SAFETY: a pointer to a live `T`, exclusive for the call.
        unsafe { &mut *ffi.cast::<T>() }
    }
}

// SAFETY: as for `&T`, null for `None`.
unsafe impl<'a, T: crate::Resilient + crate::FieldType + Sync> Param<'a> for Option<&'a T> {
    const PASS: u32 = pass::OPT_REF;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    const REFERENT: Option<&'static crate::TypeDescriptor> = Some(T::DESCRIPTOR);
    type Ffi = *const u8;
    unsafe fn from_ffi(ffi: *const u8, _: &'a ()) -> Self {
        // SAFETY: null, or a pointer to a live `T` shared for the call.
        unsafe { ffi.cast::<T>().as_ref() }
    }
}

// SAFETY: `&str` crosses as a `RawSlice` of UTF-8 bytes; its identity is
// the opaque `str`.
unsafe impl<'a> Param<'a> for &'a str {
    const PASS: u32 = pass::STR;
    const IDENTITY: TypeIdentity = TypeIdentity::opaque::<u8>("str");
    type Ffi = RawSlice;
    unsafe fn from_ffi(ffi: RawSlice, _: &'a ()) -> Self {
        // SAFETY: `len` live UTF-8 bytes at `ptr` for the call (the
        // client made them from a `&str`).
        unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(ffi.ptr, ffi.len)) }
    }
}

// SAFETY: `&[T]` crosses as a `RawSlice` of `len` elements; the identity is
// the element's, a scalar (any bit pattern the client wrote is a `T` the
// client had).
unsafe impl<'a, T: crate::FieldType + bytemuck::Pod> Param<'a> for &'a [T] {
    const PASS: u32 = pass::SLICE;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    type Ffi = RawSlice;
    unsafe fn from_ffi(ffi: RawSlice, _: &'a ()) -> Self {
        // SAFETY: `len` live, aligned `T`s at `ptr` for the call.
        unsafe { core::slice::from_raw_parts(ffi.ptr.cast::<T>(), ffi.len) }
    }
}

// SAFETY: a `String` crosses as the library's own bytes (UTF-8) with the
// function that frees them (`OwnedBuf`'s contract); the identity is `str`.
unsafe impl Return for alloc::string::String {
    const PASS: u32 = pass::OWNED_STR;
    const IDENTITY: TypeIdentity = TypeIdentity::opaque::<u8>("str");
    type Ffi = OwnedBuf;
    type Reg = u32;
    #[inline(always)]
    fn fail(status: u32) -> u32 {
        status
    }
    unsafe fn into_ffi(self, ret: *mut OwnedBuf, _: *mut CallError) -> u32 {
        // SAFETY: `ret` is writable room for one record (the caller's
        // contract).
        unsafe { ret.write(__private::message(self)) };
        status::OK
    }
}

// SAFETY: a `Vec<T>` of a plain `T` crosses as the library's own elements
// with the function that frees them; the identity is the element's.
unsafe impl<T: crate::FieldType + bytemuck::Pod> Return for alloc::vec::Vec<T> {
    const PASS: u32 = pass::OWNED_SLICE;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    type Ffi = OwnedBuf;
    type Reg = u32;
    #[inline(always)]
    fn fail(status: u32) -> u32 {
        status
    }
    unsafe fn into_ffi(self, ret: *mut OwnedBuf, _: *mut CallError) -> u32 {
        let mut v = core::mem::ManuallyDrop::new(self);
        let buf = OwnedBuf {
            ptr: v.as_mut_ptr().cast(),
            len: v.len(),
            cap: v.capacity(),
            free: Some(__private::free_vec::<T>),
        };
        // SAFETY: `ret` is writable room for one record.
        unsafe { ret.write(buf) };
        status::OK
    }
}

#[cfg(feature = "std")]
// SAFETY: `Ok` is written as `T` is; `Err` fills `err` with the library's
// own allocation and its own `free`.
unsafe impl<T: Return, E: core::fmt::Display> Return for Result<T, E> {
    const PASS: u32 = T::PASS;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    const REFERENT: Option<&'static crate::TypeDescriptor> = T::REFERENT;
    const FLAGS: u32 = fn_flags::FALLIBLE;
    type Ffi = T::Ffi;
    type Reg = T::Reg;
    #[inline(always)]
    fn fail(status: u32) -> T::Reg {
        T::fail(status)
    }
    unsafe fn into_ffi(self, ret: *mut T::Ffi, err: *mut CallError) -> T::Reg {
        match self {
            // SAFETY: the caller's room and error slot, passed on.
            Ok(v) => unsafe { v.into_ffi(ret, err) },
            Err(e) => {
                // The error's own `Display` may fail: never a panic here
                // (and one in `Display` is caught by `__private::call`).
                let mut text = String::new();
                if core::fmt::write(&mut text, format_args!("{e}")).is_err() {
                    text = String::from("(the error's message could not be formatted)");
                }
                // Dropped before `*err` is written: a panic in its `Drop`
                // is then caught with `*err` still unwritten, and the
                // catch writes it once (no message leaked or overwritten).
                drop(e);
                // SAFETY: `err` is writable (the caller's contract).
                unsafe { err.write(__private::message(text)) };
                T::fail(status::FAILED)
            }
        }
    }
}

/// What the thunks `#[layout_meta::export]` generates need.
#[doc(hidden)]
pub mod __private {
    use super::CallError;
    #[cfg(feature = "std")]
    use super::{status, Return};
    use alloc::string::String;

    /// `message` handed over as a [`CallError`] the caller frees with
    /// [`free_message`].
    pub fn message(message: String) -> CallError {
        let mut bytes = core::mem::ManuallyDrop::new(message.into_bytes());
        CallError {
            ptr: bytes.as_mut_ptr(),
            len: bytes.len(),
            cap: bytes.capacity(),
            free: Some(free_message),
        }
    }

    /// Frees a `Vec<T>` handed over as an [`super::OwnedBuf`].
    ///
    /// # Safety
    ///
    /// `(ptr, len, cap)` come from one `Vec<T>` of this library and are
    /// freed once.
    pub unsafe extern "C" fn free_vec<T>(ptr: *mut u8, len: usize, cap: usize) {
        // SAFETY: the parts of a `Vec<T>` this library leaked.
        drop(unsafe { alloc::vec::Vec::from_raw_parts(ptr.cast::<T>(), len, cap) });
    }

    /// Frees a message made by [`message`].
    ///
    /// # Safety
    ///
    /// `(ptr, len, cap)` come from one [`message`] of this library and are
    /// freed once.
    pub unsafe extern "C" fn free_message(ptr: *mut u8, len: usize, cap: usize) {
        // SAFETY: the parts of a `Vec<u8>` this library leaked in `message`.
        drop(unsafe { alloc::vec::Vec::from_raw_parts(ptr, len, cap) });
    }

    /// Runs `f` (the exported function applied to its raised parameters),
    /// writes its result or error, and turns a panic into
    /// [`status::PANICKED`] with the panic's message: nothing unwinds.
    ///
    /// # Safety
    ///
    /// `ret` is writable room for one `R::Ffi`; `err` is writable.
    #[cfg(feature = "std")]
    pub unsafe fn call<R: Return>(
        name: &str,
        ret: *mut R::Ffi,
        err: *mut CallError,
        f: impl FnOnce() -> R,
    ) -> R::Reg {
        // Writing the result (formatting and dropping an error) runs the
        // library's code too: inside the catch.
        let run = move || {
            let r = f();
            // SAFETY: the caller's room and error slot.
            unsafe { r.into_ffi(ret, err) }
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            Ok(reg) => reg,
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| String::from(*s))
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| String::from("a panic with a non-string payload"));
                // Dropping the payload could itself panic: catch that too
                // (and leak only that second payload).
                if let Err(again) =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload)))
                {
                    core::mem::forget(again);
                }
                let m = message(alloc::format!("`{name}` panicked: {what}"));
                // SAFETY: `err` is writable (the caller's contract).
                unsafe { err.write(m) };
                R::fail(status::PANICKED)
            }
        }
    }
}
