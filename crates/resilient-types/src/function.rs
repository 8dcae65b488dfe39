//! Functions across the boundary, host side: [`api!`](crate::api) declares
//! the functions a host calls, binding checks every signature once (the one
//! rule, `layout_meta::compat::bind_function`), and a bound [`Func`] is
//! called through the library's thunk: one indirect call, no lock, no
//! lookup, no allocation. A panic (or a C++ exception) in the library never
//! crosses: it comes back as [`Error::Call`].
//!
//! Parameter types are written as markers, one per way of crossing: a
//! scalar as itself (`u32`, `f64`, `bool`...), [`Str`] for `&str`,
//! [`SliceOf<T>`] for `&[T]`, [`In<V>`], [`InMut<V>`] and [`OptIn<V>`] for
//! `&T`, `&mut T` and `Option<&T>` of an exported type bound as view `V`.
//! The call takes each marker's input: a `&str`, a `&[T]`, a [`Ref`] or
//! [`Mut`] of a bound value.

use core::any::Any;
use core::fmt;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use std::sync::Arc;

use bytemuck::CheckedBitPattern;
use layout_meta::compat::{self, IdentityFacts as _, Mismatch};
use layout_meta::function::{pass, status, CallError, RawSlice, Ret, ThunkFn};
use layout_meta::{FunctionLayout, Identity, ParamLayout, TypeIdentity};

use crate::access::{Mut, Ref};
use crate::error::Error;
use crate::foreign::{BindingId, Origin, TypeSource};
use crate::value::{Block, Value};
use crate::view::{Bindable, Bound};

/// Why a call failed: [`Error::Call`] (the library returned an error, or
/// panicked and the panic was caught) or [`Error::WrongBinding`] (a value
/// of another binding passed by reference). One word, so that a call's
/// `Result` stays in registers; converts into [`Error`] with `?`.
pub struct CallFailed(Box<Error>);

impl CallFailed {
    /// The error.
    pub fn error(&self) -> &Error {
        &self.0
    }
    /// The error, unboxed.
    pub fn into_error(self) -> Error {
        *self.0
    }
}

impl fmt::Display for CallFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for CallFailed {
    /// As `Display`: what a person reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for CallFailed {}

impl From<CallFailed> for Error {
    fn from(e: CallFailed) -> Self {
        e.into_error()
    }
}

const _: () = assert!(
    core::mem::size_of::<Result<u64, CallFailed>>() == 16,
    "a call's result fits in two registers"
);

/// One function of a loaded library: its checked record, its thunk, and the
/// owner that keeps the library loaded.
pub struct ForeignFunction {
    layout: FunctionLayout,
    thunk: ThunkFn,
    origin: Origin,
    _owner: Arc<dyn Any + Send + Sync>,
    /// For a function compiled into this program: the descriptors of the
    /// types its references and result are of (`ExportedFn::REFERENTS`),
    /// which the types a host binds them to must be.
    referents: Option<&'static [Option<&'static layout_meta::TypeDescriptor>]>,
}

impl fmt::Debug for ForeignFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForeignFunction({} in {})", self.layout, self.origin)
    }
}

impl ForeignFunction {
    /// A function with this checked record, called through `thunk`, kept
    /// alive by `owner`.
    ///
    /// # Safety
    ///
    /// - `layout` was validated (`layout_meta::verify` accepted its module)
    ///   and truly describes `thunk`: the thunk has exactly the signature
    ///   its parameters and result give (`layout_meta::function`), honours
    ///   the status and error conventions and never unwinds;
    /// - the code stays valid as long as `owner` lives.
    pub unsafe fn new(
        layout: FunctionLayout,
        thunk: ThunkFn,
        origin: Origin,
        owner: Arc<dyn Any + Send + Sync>,
    ) -> Self {
        ForeignFunction {
            layout,
            thunk,
            origin,
            _owner: owner,
            referents: None,
        }
    }

    /// A function compiled into this program (`#[layout_meta::export]`):
    /// the in-domain case.
    pub fn in_process<F: layout_meta::ExportedFn>(origin: Origin) -> Self {
        Self::in_process_with::<F>(origin, Arc::new(()))
    }

    /// [`ForeignFunction::in_process`] with the owner of its module (the
    /// types a host binds its references and result to must have it too).
    pub(crate) fn in_process_with<F: layout_meta::ExportedFn>(
        origin: Origin,
        owner: Owner,
    ) -> Self {
        let d = F::DESCRIPTOR;
        // SAFETY: the record and thunk were generated together by
        // `#[export]` (the `ExportedFn` contract) in this program, which
        // outlives every call.
        let mut f = unsafe { ForeignFunction::new(d.to_layout(), d.thunk(), origin, owner) };
        f.set_referents(F::REFERENTS);
        f
    }

    /// The exported types the function was compiled with, per parameter
    /// then the result (`ExportedFn::REFERENTS`): binding refuses any other
    /// type for them ([`ForeignFunction::accepts`]).
    pub(crate) fn set_referents(
        &mut self,
        list: &'static [Option<&'static layout_meta::TypeDescriptor>],
    ) {
        self.referents = Some(list);
    }

    /// Whether `t` may be what parameter `index` (`None`: the result)
    /// refers to: a type of the function's own library and, for a function
    /// compiled into this program, exactly the type it was compiled with
    /// (by its descriptor's address: [`crate::ForeignType::is_compiled_from`]).
    /// A type source is safe to implement, so it is not trusted to hand
    /// out the right type.
    fn accepts(&self, index: Option<usize>, t: &crate::ForeignType) -> Result<(), String> {
        if !Arc::ptr_eq(t.owner(), &self._owner) {
            return Err(format!(
                "from {}, not from the library of the function",
                t.origin()
            ));
        }
        if let Some(list) = self.referents {
            // One entry per parameter, then the result's. A list that
            // names no type where one is asked about refuses it (fails
            // closed): a hand-written `ExportedFn` may leave it empty.
            let slot = list.get(index.unwrap_or(self.layout.params.len()));
            match slot {
                Some(Some(d)) if t.is_compiled_from(d) => {}
                Some(Some(_)) => return Err("not the type the function was compiled for".into()),
                _ => {
                    return Err(
                        "its record does not say which type it was compiled for (`REFERENTS`)"
                            .into(),
                    )
                }
            }
        }
        Ok(())
    }

    /// Its checked record.
    pub fn layout(&self) -> &FunctionLayout {
        &self.layout
    }
    /// Where it comes from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
    /// The thunk: call it only through the signature its record gives,
    /// after binding has checked that signature (the C API hands it to C
    /// and C++ hosts).
    pub fn thunk(&self) -> ThunkFn {
        self.thunk
    }
}

/// How a parameter crosses, host side (sealed: the markers of this module
/// and the scalars).
///
/// # Safety
///
/// `Ffi` is the lowered form of `PASS` for `IDENTITY` (as
/// `layout_meta::Param` lowers it in the library), and `lower` produces one
/// that is valid for the call: a pointer to a live value bound to the
/// binding it returns, or a slice of live elements.
pub unsafe trait HostArg: crate::sealed::Sealed {
    /// How it crosses.
    const PASS: u32;
    /// Its identity (a reference's referent, a slice's element).
    const IDENTITY: TypeIdentity;
    /// Whether this is a method's receiver ([`crate::This`],
    /// [`crate::ThisMut`]): a reference to the implementing type, whatever
    /// it is.
    const RECEIVER: bool = false;
    /// What the caller passes.
    type Input<'a>;
    /// The lowered form.
    type Ffi: Copy;
    /// The lowered form, and the binding of the value a reference points to.
    fn lower(input: Self::Input<'_>) -> (Self::Ffi, Option<BindingId>);
}

/// How a result crosses, host side (sealed: scalars, `()` and [`Out`]).
///
/// A call makes the result's room ([`HostRet::room`]), hands the thunk a
/// pointer into it, and on success raises what the thunk returned and the
/// room into the output.
///
/// # Safety
///
/// `Ffi` and `Reg` are the lowered form of `PASS` for `IDENTITY`
/// (`layout_meta::Return`'s): a scalar comes back in `Reg` (a
/// [`layout_meta::function::Ret`]) and has no room; any other result has
/// room the library may write one result of that identity into (for an
/// owned value, a block of the bound type's size and alignment). Every bit
/// pattern the library hands over is read as the output only through
/// `raise`, which is sound once the thunk returned [`status::OK`].
pub unsafe trait HostRet: Sized + crate::sealed::Sealed {
    /// How it crosses.
    const PASS: u32;
    /// Its identity.
    const IDENTITY: TypeIdentity;
    /// What a call returns.
    type Output;
    /// What binding keeps for the result (the bound view of an owned
    /// value; nothing for a scalar).
    type State: Clone;
    /// The result's room during the call.
    type Room;
    /// What the thunk's result pointer points to.
    type Ffi;
    /// What the thunk returns (the status, with a scalar result).
    type Reg: layout_meta::function::Status;
    /// The module of the view an owned result is read through (`Out<V>`),
    /// which `api!` and `interface!` check at compile time is theirs
    /// ([`compat::nested_view_in_module`]).
    #[doc(hidden)]
    const VIEW_MODULE: Option<&'static str> = None;
    /// Binds the result's type against `source`, pushing any mismatch.
    #[doc(hidden)]
    fn bind(source: &dyn TypeSource, mismatches: &mut Vec<Mismatch>) -> Option<Self::State>;
    /// The library type an owned value is of (none for other results).
    #[doc(hidden)]
    fn state_type(state: &Self::State) -> Option<&Arc<crate::ForeignType>> {
        let _ = state;
        None
    }
    /// Room for one result.
    ///
    /// # Errors
    ///
    /// [`Error::Alloc`] if an owned value's block cannot be allocated.
    #[doc(hidden)]
    fn room(state: &Self::State) -> Result<Self::Room, CallFailed>;
    /// Where the thunk writes the result.
    #[doc(hidden)]
    fn ptr(room: &mut Self::Room) -> *mut Self::Ffi;
    /// The output; `owner` keeps the library loaded (an owned buffer holds
    /// it, to free the buffer with the library's own function). `None` if
    /// the bits the library returned are not a value of the result's type
    /// (a `bool` other than 0 or 1, a `char` that is not a Unicode scalar
    /// value): the library's code is trusted to keep the calling
    /// convention, not to hand over valid values of types with invalid bit
    /// patterns, which every other read from a library checks too.
    ///
    /// # Safety
    ///
    /// The thunk returned `reg` with [`status::OK`]: the result is in
    /// `reg` or it wrote one into `room`.
    #[doc(hidden)]
    unsafe fn raise(
        reg: Self::Reg,
        room: Self::Room,
        state: &Self::State,
        owner: &Owner,
    ) -> Option<Self::Output>;
}

/// Room and raising of a result with no room (a scalar, `()`).
macro_rules! plain_ret {
    ($reg:ty, |$r:ident| $out:expr) => {
        type Output = Self;
        type State = ();
        type Room = ();
        type Ffi = ();
        type Reg = $reg;
        #[inline(always)]
        fn bind(_: &dyn TypeSource, _: &mut Vec<Mismatch>) -> Option<()> {
            Some(())
        }
        #[inline(always)]
        fn room((): &()) -> Result<(), CallFailed> {
            Ok(())
        }
        #[inline(always)]
        fn ptr((): &mut ()) -> *mut () {
            core::ptr::null_mut()
        }
        #[inline(always)]
        unsafe fn raise($r: $reg, (): (), (): &(), _: &Owner) -> Option<Self> {
            $out
        }
    };
}

macro_rules! scalar_args {
    ($($t:ty),* $(,)?) => {$(
        impl crate::sealed::Sealed for $t {}
        // SAFETY: a scalar crosses as itself (`layout_meta::Param`).
        unsafe impl HostArg for $t {
            const PASS: u32 = pass::VALUE;
            const IDENTITY: TypeIdentity = <$t as layout_meta::FieldType>::IDENTITY;
            type Input<'a> = $t;
            type Ffi = $t;
            #[inline(always)]
            fn lower(input: $t) -> ($t, Option<BindingId>) {
                (input, None)
            }
        }
        // SAFETY: the library returns a `$t` of identity `$t` (bound) in
        // the `Ret`, a valid one on `OK` only, and it is read only then.
        unsafe impl HostRet for $t {
            const PASS: u32 = pass::VALUE;
            const IDENTITY: TypeIdentity = <$t as layout_meta::FieldType>::IDENTITY;
            plain_ret!(Ret<$t>, |reg| {
                // Every bit pattern of an integer or a float is a value (the
                // test folds away); a `bool` or a `char` is checked.
                // SAFETY: `raise` runs only on `OK`, when the thunk wrote
                // the value's bytes (initialised, though perhaps not a
                // valid `$t`), and `Bits` has `$t`'s size.
                let bits = unsafe {
                    reg.value
                        .as_ptr()
                        .cast::<<$t as CheckedBitPattern>::Bits>()
                        .read()
                };
                if <$t as CheckedBitPattern>::is_valid_bit_pattern(&bits) {
                    // SAFETY: as above, and the bits are a valid `$t`.
                    Some(unsafe { reg.assume_ok() })
                } else {
                    None
                }
            });
        }
    )*};
}

scalar_args!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char);

impl crate::sealed::Sealed for () {}
// SAFETY: nothing is handed over for `()`.
unsafe impl HostRet for () {
    const PASS: u32 = pass::UNIT;
    const IDENTITY: TypeIdentity = <() as layout_meta::FieldType>::IDENTITY;
    plain_ret!(u32, |_status| Some(()));
}

/// What keeps a library loaded.
pub type Owner = Arc<dyn Any + Send + Sync>;

/// An owned `String` as a result: the library's UTF-8 bytes, read in
/// place and freed by the library's own function when dropped. The call
/// returns a [`LibString`].
#[derive(Debug)]
pub enum OwnedStr {}
impl crate::sealed::Sealed for OwnedStr {}

/// An owned `Vec<T>` of a plain `T` as a result: the library's elements,
/// read in place and freed by the library's own function when dropped. The
/// call returns a [`LibVec<T>`].
pub struct OwnedSlice<T>(PhantomData<fn() -> T>);
impl<T> crate::sealed::Sealed for OwnedSlice<T> {}

/// A buffer the library allocated and handed over: freed once, by the
/// library's own function, when dropped; keeps the library loaded.
struct LibBuf {
    buf: CallError,
    _owner: Owner,
}

impl Drop for LibBuf {
    fn drop(&mut self) {
        if let Some(free) = self.buf.free {
            // SAFETY: the library's own `free` for its own allocation,
            // once (the `OwnedBuf` contract); the library is loaded while
            // `_owner` lives.
            unsafe { free(self.buf.ptr, self.buf.len, self.buf.cap) };
        }
    }
}

/// A string a library function returned: its bytes stay in the library's
/// allocation (no copy) and are freed by the library when this drops.
pub struct LibString(LibBuf);

impl LibString {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        if self.0.buf.len == 0 {
            return &[];
        }
        // SAFETY: `len` initialised bytes the library allocated, alive
        // until `free` (in `drop`).
        unsafe { core::slice::from_raw_parts(self.0.buf.ptr, self.0.buf.len) }
    }
    /// The text, checked as UTF-8 (a Rust library's `String` always is; a
    /// C++ library's bytes may not be).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBits`] if the bytes are not UTF-8.
    pub fn as_str(&self) -> Result<&str, Error> {
        core::str::from_utf8(self.as_bytes()).map_err(|_| Error::InvalidBits {
            field: "(a returned string)".into(),
            scalar: "UTF-8 string",
        })
    }
}

impl fmt::Debug for LibString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LibString({:?})",
            String::from_utf8_lossy(self.as_bytes())
        )
    }
}

/// A `Vec<T>` a library function returned: its elements stay in the
/// library's allocation (no copy) and are freed by the library when this
/// drops.
pub struct LibVec<T> {
    buf: LibBuf,
    _t: PhantomData<T>,
}

impl<T: bytemuck::Pod> core::ops::Deref for LibVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        if self.buf.buf.len == 0 || core::mem::size_of::<T>() == 0 {
            return &[];
        }
        let ptr = self.buf.buf.ptr.cast::<T>();
        assert!(
            ptr.is_aligned(),
            "the library returned elements that are not aligned for their type"
        );
        // SAFETY: `len` initialised elements of `T` the library allocated
        // (binding checked the identity), aligned (checked), alive until
        // `free`; any bits are a `T` (`Pod`).
        unsafe { core::slice::from_raw_parts(ptr, self.buf.buf.len) }
    }
}

impl<T: bytemuck::Pod + fmt::Debug> fmt::Debug for LibVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Room and raising of an owned buffer result.
macro_rules! owned_buf_ret {
    ($output:ty, $wrap:expr) => {
        type Output = $output;
        type State = ();
        type Room = MaybeUninit<CallError>;
        type Ffi = CallError;
        type Reg = u32;
        fn bind(_: &dyn TypeSource, _: &mut Vec<Mismatch>) -> Option<()> {
            Some(())
        }
        #[inline(always)]
        fn room((): &()) -> Result<MaybeUninit<CallError>, CallFailed> {
            Ok(MaybeUninit::uninit())
        }
        #[inline(always)]
        fn ptr(room: &mut MaybeUninit<CallError>) -> *mut CallError {
            room.as_mut_ptr()
        }
        unsafe fn raise(
            _: u32,
            room: MaybeUninit<CallError>,
            (): &(),
            owner: &Owner,
        ) -> Option<$output> {
            // SAFETY: on `OK` the thunk wrote the record.
            let buf = unsafe { room.assume_init() };
            let buf = LibBuf {
                buf,
                _owner: Arc::clone(owner),
            };
            Some($wrap(buf))
        }
    };
}

// SAFETY: the room is one `rsl_call_error`-shaped record, which the library
// fills on `OK` with its own allocation and free function (pass 9).
unsafe impl HostRet for OwnedStr {
    const PASS: u32 = pass::OWNED_STR;
    const IDENTITY: TypeIdentity = <&str as layout_meta::Param<'static>>::IDENTITY;
    owned_buf_ret!(LibString, LibString);
}

// SAFETY: as `OwnedStr`, `len` elements of the bound identity (pass 10).
unsafe impl<T: layout_meta::FieldType + bytemuck::Pod> HostRet for OwnedSlice<T> {
    const PASS: u32 = pass::OWNED_SLICE;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    owned_buf_ret!(LibVec<T>, |buf| LibVec {
        buf,
        _t: PhantomData
    });
}

/// A value of an exported type, bound as view `V`, as a result: the library
/// moves it into a block this side allocates with the bound type's size and
/// alignment, and the call returns it as a [`Value`] (dropped, in time, by
/// the library's drop witness).
///
/// ```
/// use resilient_types::{api, view, Api, Bound, Field, Func, InProcess, Out};
///
/// #[derive(layout_meta::Resilient)]
/// pub struct Square { pub side: f64, name: String }
///
/// #[layout_meta::export]
/// pub fn square(side: f64) -> Square { Square { side, name: "sq".into() } }
///
/// view! {
///     pub struct SquareView = "shapes"::"Square" { pub side: Field<f64> }
/// }
/// api! {
///     pub struct Shapes = "shapes" { pub square: Func<fn(f64) -> Out<SquareView>> }
/// }
///
/// let src = InProcess::new("shapes", "1.0.0").with::<Square>().with_fn::<square>();
/// let shapes = Shapes::bind(&src)?;
/// let v = shapes.square.call(2.5)?;          // a `Value<SquareView>`
/// let sq = Bound::<SquareView>::bind(&src)?;
/// assert_eq!(v.as_ref().get(sq.side), 2.5);
/// # Ok::<(), resilient_types::Error>(())
/// ```
pub struct Out<V>(PhantomData<fn() -> V>);
impl<V> crate::sealed::Sealed for Out<V> {}

// SAFETY: the room is a block of the size and alignment of the library's
// type of that name (the bound type: binding checked the function's result
// names it, and the validator that the module's type of that name is the
// one the function returns); on `OK` the library moved one value into it.
unsafe impl<V: Bindable> HostRet for Out<V> {
    const PASS: u32 = pass::OWNED;
    const VIEW_MODULE: Option<&'static str> = Some(V::MODULE);
    const IDENTITY: TypeIdentity = TypeIdentity::resilient::<()>(V::TYPE_NAME);
    type Output = Value<V>;
    type State = Bound<V>;
    type Room = Block;
    type Ffi = u8;
    type Reg = u32;
    fn bind(source: &dyn TypeSource, mismatches: &mut Vec<Mismatch>) -> Option<Bound<V>> {
        Bound::bind_into(source, mismatches)
    }
    fn state_type(state: &Bound<V>) -> Option<&Arc<crate::ForeignType>> {
        Some(state.foreign_type())
    }
    #[inline]
    fn room(state: &Bound<V>) -> Result<Block, CallFailed> {
        let s = state.shape();
        Block::new(V::TYPE_NAME, s.size, s.align).map_err(|e| CallFailed(Box::new(e)))
    }
    #[inline(always)]
    fn ptr(room: &mut Block) -> *mut u8 {
        room.ptr()
    }
    #[inline]
    unsafe fn raise(_: u32, room: Block, state: &Bound<V>, _: &Owner) -> Option<Value<V>> {
        // SAFETY: on `OK` the library moved a live value of the bound type
        // into the block (the calling convention of `pass::OWNED`).
        Some(unsafe { Value::from_block(room, state.clone()) })
    }
}

/// `&str` as a parameter.
#[derive(Debug)]
pub enum Str {}
impl crate::sealed::Sealed for Str {}
// SAFETY: a `&str` crosses as a slice of its UTF-8 bytes, live for the call.
unsafe impl HostArg for Str {
    const PASS: u32 = pass::STR;
    const IDENTITY: TypeIdentity = <&str as layout_meta::Param<'static>>::IDENTITY;
    type Input<'a> = &'a str;
    type Ffi = RawSlice;
    #[inline(always)]
    fn lower(input: &str) -> (RawSlice, Option<BindingId>) {
        let ffi = RawSlice {
            ptr: input.as_ptr(),
            len: input.len(),
        };
        (ffi, None)
    }
}

/// `&[T]` of a scalar `T` as a parameter.
pub struct SliceOf<T>(PhantomData<fn() -> T>);
impl<T> crate::sealed::Sealed for SliceOf<T> {}
// SAFETY: a slice crosses as its pointer and length, live for the call;
// `T: Pod` with the library's element identity (bound).
unsafe impl<T: layout_meta::FieldType + bytemuck::Pod> HostArg for SliceOf<T> {
    const PASS: u32 = pass::SLICE;
    const IDENTITY: TypeIdentity = T::IDENTITY;
    type Input<'a> = &'a [T];
    type Ffi = RawSlice;
    #[inline(always)]
    fn lower(input: &[T]) -> (RawSlice, Option<BindingId>) {
        let ffi = RawSlice {
            ptr: input.as_ptr().cast(),
            len: input.len(),
        };
        (ffi, None)
    }
}

/// `&T` of an exported type, bound as view `V`: the call takes a [`Ref`].
pub struct In<V>(PhantomData<fn() -> V>);
/// `&mut T` of an exported type, bound as view `V`: the call takes a
/// [`Mut`].
pub struct InMut<V>(PhantomData<fn() -> V>);
/// `Option<&T>` of an exported type, bound as view `V`: the call takes an
/// `Option<Ref>`.
pub struct OptIn<V>(PhantomData<fn() -> V>);
impl<V> crate::sealed::Sealed for In<V> {}
impl<V> crate::sealed::Sealed for InMut<V> {}
impl<V> crate::sealed::Sealed for OptIn<V> {}

// SAFETY: a `Ref` points at a live value for the call; its binding is
// returned for the call to compare with the library's type.
unsafe impl<V: Bindable> HostArg for In<V> {
    const PASS: u32 = pass::REF;
    const IDENTITY: TypeIdentity = TypeIdentity::resilient::<()>(V::TYPE_NAME);
    type Input<'a> = Ref<'a, V>;
    type Ffi = *const u8;
    #[inline(always)]
    fn lower(input: Ref<'_, V>) -> (*const u8, Option<BindingId>) {
        (input.as_ptr(), Some(input.binding()))
    }
}

// SAFETY: as `In`, exclusive for the call (the `Mut` is consumed).
unsafe impl<V: Bindable> HostArg for InMut<V> {
    const PASS: u32 = pass::MUT;
    const IDENTITY: TypeIdentity = TypeIdentity::resilient::<()>(V::TYPE_NAME);
    type Input<'a> = Mut<'a, V>;
    type Ffi = *mut u8;
    #[inline(always)]
    fn lower(mut input: Mut<'_, V>) -> (*mut u8, Option<BindingId>) {
        let binding = input.as_ref().binding();
        (input.as_mut_ptr(), Some(binding))
    }
}

// SAFETY: as `In`, or null.
unsafe impl<V: Bindable> HostArg for OptIn<V> {
    const PASS: u32 = pass::OPT_REF;
    const IDENTITY: TypeIdentity = TypeIdentity::resilient::<()>(V::TYPE_NAME);
    type Input<'a> = Option<Ref<'a, V>>;
    type Ffi = *const u8;
    #[inline(always)]
    fn lower(input: Option<Ref<'_, V>>) -> (*const u8, Option<BindingId>) {
        match input {
            Some(r) => (r.as_ptr(), Some(r.binding())),
            None => (core::ptr::null(), None),
        }
    }
}

/// A signature a host can call: `fn(A, B, ...) -> R` of [`HostArg`]s and a
/// [`HostRet`], up to [`MAX_ARITY`] parameters (sealed).
pub trait Signature: crate::sealed::Sealed + 'static {
    /// The parameters, as the function rule compares them.
    fn params() -> Vec<ParamLayout>;
    /// The result.
    fn ret() -> ParamLayout;
    /// Whether the first parameter is a method's receiver.
    fn has_receiver() -> bool;
    /// The parameters as records (what `api!` records in the binary for
    /// `resilient check`).
    const PARAM_RECORDS: &'static [layout_meta::function::ParamDescriptor];
    /// The result as a record.
    const RET_RECORD: layout_meta::function::ParamDescriptor;
    /// What binding keeps for the result.
    type RetState: Clone;
    /// The module of the result's view ([`HostRet`]'s `VIEW_MODULE`).
    #[doc(hidden)]
    const RESULT_MODULE: Option<&'static str>;
    /// Binds the result's type (an owned value's view) against `source`.
    #[doc(hidden)]
    fn bind_ret(source: &dyn TypeSource, mismatches: &mut Vec<Mismatch>) -> Option<Self::RetState>;
    /// The library type an owned result is of, once bound.
    #[doc(hidden)]
    fn ret_type(state: &Self::RetState) -> Option<&Arc<crate::ForeignType>>;
}

/// Most parameters a host-side signature may have.
pub const MAX_ARITY: usize = 6;

fn param(name: &str, pass: u32, id: &TypeIdentity) -> ParamLayout {
    ParamLayout {
        name: name.into(),
        pass,
        identity: Identity::from_record(id),
    }
}

/// A bound function: call it with `call`. Keeps its library loaded.
pub struct Func<S: Signature> {
    thunk: ThunkFn,
    /// For each reference parameter, the binding of the library's type it
    /// points to: a value of another binding is refused.
    bindings: [BindingId; MAX_ARITY],
    /// The result's binding (the bound view of an owned value).
    ret: S::RetState,
    function: Arc<ForeignFunction>,
    _sig: PhantomData<fn() -> S>,
}

impl<S: Signature> Clone for Func<S> {
    fn clone(&self) -> Self {
        Func {
            thunk: self.thunk,
            bindings: self.bindings,
            ret: self.ret.clone(),
            function: Arc::clone(&self.function),
            _sig: PhantomData,
        }
    }
}

impl<S: Signature> fmt::Debug for Func<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Func({})", self.function.layout)
    }
}

impl<S: Signature> Func<S> {
    /// The function's record, as the library exports it.
    pub fn layout(&self) -> &FunctionLayout {
        &self.function.layout
    }

    #[cold]
    #[inline(never)]
    fn failed(&self, status: u32, err: CallError) -> CallFailed {
        let message = if err.ptr.is_null() {
            String::new()
        } else {
            // SAFETY: the thunk wrote a message of `len` bytes it allocated
            // (the calling convention); it stays valid until `free`.
            let bytes = unsafe { core::slice::from_raw_parts(err.ptr, err.len) };
            String::from_utf8_lossy(bytes).into_owned()
        };
        if let Some(free) = err.free {
            // SAFETY: the library's own `free` for its own message, once.
            unsafe { free(err.ptr, err.len, err.cap) };
        }
        CallFailed(Box::new(Error::Call {
            function: self.function.layout.name.clone(),
            origin: self.function.origin.clone(),
            panicked: status != status::FAILED,
            message,
        }))
    }

    #[cold]
    #[inline(never)]
    fn invalid_result(&self, scalar: &'static str) -> CallFailed {
        CallFailed(Box::new(Error::InvalidResult {
            function: self.function.layout.name.clone(),
            origin: self.function.origin.clone(),
            scalar,
        }))
    }

    #[cold]
    #[inline(never)]
    fn wrong_value(&self, index: usize) -> CallFailed {
        CallFailed(Box::new(Error::WrongBinding {
            operation: if index == 0 {
                "call (parameter 1)"
            } else {
                "call (a reference parameter)"
            },
        }))
    }
}

macro_rules! signatures {
    ($( ($($a:ident $i:tt),*) ),* $(,)?) => {$(
        impl<$($a: HostArg + 'static,)* R: HostRet + 'static> crate::sealed::Sealed
            for fn($($a),*) -> R {}

        impl<$($a: HostArg + 'static,)* R: HostRet + 'static> Signature for fn($($a),*) -> R {
            fn params() -> Vec<ParamLayout> {
                vec![$(param(concat!("p", stringify!($i)), $a::PASS, &$a::IDENTITY)),*]
            }
            fn ret() -> ParamLayout {
                param("return", R::PASS, &R::IDENTITY)
            }
            const PARAM_RECORDS: &'static [layout_meta::function::ParamDescriptor] = &[
                $(layout_meta::function::ParamDescriptor::new(
                    concat!("p", stringify!($i)),
                    $a::PASS,
                    $a::IDENTITY,
                )),*
            ];
            const RET_RECORD: layout_meta::function::ParamDescriptor =
                layout_meta::function::ParamDescriptor::new("return", R::PASS, R::IDENTITY);
            type RetState = R::State;
            const RESULT_MODULE: Option<&'static str> = R::VIEW_MODULE;
            fn bind_ret(source: &dyn TypeSource, mismatches: &mut Vec<Mismatch>) -> Option<R::State> {
                R::bind(source, mismatches)
            }
            fn ret_type(state: &R::State) -> Option<&Arc<crate::ForeignType>> {
                R::state_type(state)
            }
            fn has_receiver() -> bool {
                #[allow(unused_mut, reason = "false for arity 0")]
                let mut first = [false; MAX_ARITY];
                $( first[$i] = $a::RECEIVER; )*
                first[0]
            }
        }

        impl<$($a: HostArg + 'static,)* R: HostRet + 'static> Func<fn($($a),*) -> R> {
            /// Calls the function: one indirect call through the library's
            /// thunk.
            ///
            /// # Errors
            ///
            /// [`CallFailed`] holding [`Error::Call`] if the function
            /// returned an error or panicked (the library stays usable), or
            /// [`Error::WrongBinding`] if a value passed by reference
            /// belongs to another binding than the library's type.
            #[inline]
            #[allow(non_snake_case, clippy::too_many_arguments, reason = "one parameter per signature parameter")]
            pub fn call(&self, $($a: $a::Input<'_>),*) -> Result<R::Output, CallFailed> {
                $(
                    let $a = {
                        let (ffi, binding) = $a::lower($a);
                        if let Some(b) = binding {
                            if b != self.bindings[$i] {
                                return Err(self.wrong_value($i));
                            }
                        }
                        ffi
                    };
                )*
                let mut ret = R::room(&self.ret)?;
                // Written by the thunk exactly when the status is not `OK`.
                let mut err = MaybeUninit::<CallError>::uninit();
                // SAFETY: binding proved (`compat::bind_function`) that the
                // thunk's record has exactly these parameters and result,
                // each passed the same way with the same identity, so its
                // real signature is this one (the calling convention of
                // `layout_meta::function`); the `ForeignFunction` contract
                // says the record describes the thunk.
                let thunk = unsafe {
                    core::mem::transmute::<
                        ThunkFn,
                        unsafe extern "C" fn($($a::Ffi,)* *mut R::Ffi, *mut CallError) -> R::Reg,
                    >(self.thunk)
                };
                // SAFETY: every argument is valid for the call (`HostArg`:
                // live values of the library's type, checked by binding
                // above; slices of live elements); `ret` is room for one
                // result and `err` is writable; the thunk never unwinds.
                let reg = unsafe { thunk($($a,)* R::ptr(&mut ret), err.as_mut_ptr()) };
                let st = layout_meta::function::Status::status(&reg);
                if st == status::OK {
                    // SAFETY: on `OK` the result is in `reg` or `ret`.
                    match unsafe { R::raise(reg, ret, &self.ret, &self.function._owner) } {
                        Some(out) => Ok(out),
                        None => Err(self.invalid_result(R::IDENTITY.name())),
                    }
                } else {
                    // SAFETY: the thunk wrote `err` (its status is not `OK`).
                    Err(self.failed(st, unsafe { err.assume_init() }))
                }
            }
        }
    )*};
}

signatures! {
    (),
    (A0 0),
    (A0 0, A1 1),
    (A0 0, A1 1, A2 2),
    (A0 0, A1 1, A2 2, A3 3),
    (A0 0, A1 1, A2 2, A3 3, A4 4),
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5),
}

/// The tokens an [`api!`](crate::api) can hold: [`Func`] and
/// `Option<Func>` (sealed).
pub trait FnToken: Sized + crate::sealed::Sealed {
    /// Whether binding fails without it.
    const REQUIRED: bool;
    /// The signature's parameter records.
    const PARAM_RECORDS: &'static [layout_meta::function::ParamDescriptor];
    /// The signature's result record.
    const RET_RECORD: layout_meta::function::ParamDescriptor;
    /// The module of the result's view ([`Signature::RESULT_MODULE`]).
    #[doc(hidden)]
    const RESULT_MODULE: Option<&'static str>;
    #[doc(hidden)]
    fn resolve(name: &'static str, cx: &mut ApiCx<'_>) -> Option<Self>;
}

impl<S: Signature> crate::sealed::Sealed for Func<S> {}

impl<S: Signature> FnToken for Func<S> {
    const REQUIRED: bool = true;
    const RESULT_MODULE: Option<&'static str> = S::RESULT_MODULE;
    const PARAM_RECORDS: &'static [layout_meta::function::ParamDescriptor] = S::PARAM_RECORDS;
    const RET_RECORD: layout_meta::function::ParamDescriptor = S::RET_RECORD;
    fn resolve(name: &'static str, cx: &mut ApiCx<'_>) -> Option<Self> {
        cx.bind::<S>(name, true)
    }
}

impl<S: Signature> FnToken for Option<Func<S>> {
    const REQUIRED: bool = false;
    const RESULT_MODULE: Option<&'static str> = S::RESULT_MODULE;
    const PARAM_RECORDS: &'static [layout_meta::function::ParamDescriptor] = S::PARAM_RECORDS;
    const RET_RECORD: layout_meta::function::ParamDescriptor = S::RET_RECORD;
    fn resolve(name: &'static str, cx: &mut ApiCx<'_>) -> Option<Self> {
        let before = cx.mismatches.len();
        let f = cx.bind::<S>(name, false);
        (cx.mismatches.len() == before).then_some(f)
    }
}

/// Binds functions of module `module` exported by `source`: `resolve`
/// binds them with a fresh context, and returns what it made (`None`: an
/// optional function absent, if it recorded no mismatch). What `api!` and
/// the data-described [`crate::dynamic::DynFunction`] both run.
///
/// # Errors
///
/// [`Error::ModuleMismatch`]; [`Error::BindFunctions`] with every mismatch
/// `resolve` recorded.
pub(crate) fn bind_functions<T>(
    source: &dyn TypeSource,
    module: &str,
    resolve: impl FnOnce(&mut ApiCx<'_>) -> Option<T>,
) -> Result<Option<T>, Error> {
    crate::foreign::check_module(source, module)?;
    let mut cx = ApiCx::new(source, None);
    let made = resolve(&mut cx);
    if cx.mismatches.is_empty() {
        Ok(made)
    } else {
        Err(Error::BindFunctions {
            origin: source.origin(),
            mismatches: cx.into_mismatches(),
        })
    }
}

/// Binding state handed to the tokens of one API.
#[doc(hidden)]
pub struct ApiCx<'a> {
    source: &'a dyn TypeSource,
    mismatches: Vec<Mismatch>,
    /// Binding the methods of one implementation instead of free functions.
    receiver: Option<&'a crate::interface::ForeignImpl>,
}

impl<'a> ApiCx<'a> {
    pub(crate) fn new(
        source: &'a dyn TypeSource,
        receiver: Option<&'a crate::interface::ForeignImpl>,
    ) -> Self {
        ApiCx {
            source,
            mismatches: Vec::new(),
            receiver,
        }
    }
    pub(crate) fn into_mismatches(self) -> Vec<Mismatch> {
        self.mismatches
    }

    fn bind<S: Signature>(&mut self, name: &'static str, required: bool) -> Option<Func<S>> {
        // The host's static records, compared as they are (no owned layout
        // is built to compare them).
        let want = compat::Expected {
            name,
            abi: layout_meta::function::abi::THUNK_V2,
            params: S::PARAM_RECORDS,
            ret: &S::RET_RECORD,
            receiver: None,
        };
        let mut found = [BindingId::DIRECT; MAX_ARITY];
        let function = self.bind_layout(want, S::has_receiver(), required, &mut found)?;
        let ret = S::bind_ret(self.source, &mut self.mismatches)?;
        if let Some(t) = S::ret_type(&ret) {
            if let Err(reason) = function.accepts(None, t) {
                self.mismatches.push(Mismatch::NestedMismatch {
                    ty: function.layout.name.clone(),
                    field: "return".into(),
                    nested: t.layout().name.clone(),
                    reason,
                });
                return None;
            }
        }
        Some(Func {
            thunk: function.thunk,
            bindings: found,
            ret,
            function,
            _sig: PhantomData,
        })
    }

    /// The library's type an owned result (`pass::OWNED`) of `function`
    /// is a value of: the type of the result's name, bound as `Out<V>`
    /// binds it (under its own name, of the function's library, and,
    /// compiled into this program, exactly the type compiled with).
    /// `Some(None)` for any other result; `None` once a mismatch is
    /// recorded. What the data-described binders (`crate::dynamic`, the C
    /// API) call; the typed one binds the result's view instead.
    pub(crate) fn owned_result(
        &mut self,
        function: &ForeignFunction,
    ) -> Option<Option<Arc<crate::ForeignType>>> {
        let ret = &function.layout.ret;
        let (pass::OWNED, layout_meta::Identity::Resilient { name, .. }) =
            (ret.pass, &ret.identity)
        else {
            return Some(None);
        };
        let Some(t) = crate::foreign::named_type(self.source, name) else {
            self.mismatches
                .push(Mismatch::MissingType { ty: name.clone() });
            return None;
        };
        if let Err(reason) = function.accepts(None, &t) {
            self.mismatches.push(Mismatch::NestedMismatch {
                ty: function.layout.name.clone(),
                field: "return".into(),
                nested: name.clone(),
                reason,
            });
            return None;
        }
        Some(Some(t))
    }

    /// Binds the function (or, binding an implementation, the method)
    /// `want.name` with the signature `want` by the one function rule,
    /// `compat::bind_expected`; `receiver`: the first parameter is the
    /// method's receiver, whatever the implementing type is. Returns the
    /// library's function, and writes to `bindings`, per parameter, the
    /// binding of the library's type a reference points to
    /// (`BindingId::DIRECT` for the others; `bindings` has at least as many
    /// entries as `want` has parameters); `None` if an optional function is
    /// absent or a mismatch was recorded (naming the type and interface,
    /// for a method). What `api!`, `interface!` (from the host's static
    /// records) and the data-described interfaces of the C API
    /// (`crate::dynamic::DynInterface`, from owned layouts) all call.
    pub(crate) fn bind_layout<P: compat::ExpectedParam>(
        &mut self,
        want: compat::Expected<'_, P>,
        receiver: bool,
        required: bool,
        bindings: &mut [BindingId],
    ) -> Option<Arc<ForeignFunction>> {
        // A method: the receiver is the implementing type, and the function
        // comes from its method table.
        let want = compat::Expected {
            receiver: match self.receiver {
                Some(imp) if receiver => Some(imp.type_name()),
                _ => want.receiver,
            },
            ..want
        };
        let found = match self.receiver {
            Some(imp) => imp.method(want.name),
            None => self.source.function(want.name),
        };
        let verdict = compat::bind_expected(
            &want,
            required,
            found.as_deref().map(ForeignFunction::layout),
        );
        match verdict {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(m) => {
                self.mismatches.push(match self.receiver {
                    Some(imp) => Mismatch::InImpl {
                        interface: imp.interface().into(),
                        ty: imp.type_name().into(),
                        inner: Box::new(m),
                    },
                    None => m,
                });
                return None;
            }
        }
        let function = found?;
        if let (Some(imp), true, Some(first)) = (self.receiver, receiver, bindings.first_mut()) {
            *first = imp.foreign_type().id();
        }
        for (i, (b, p)) in bindings.iter_mut().zip(want.params).enumerate() {
            // The exported type a reference points to, by name (the
            // receiver's is the implementing type, whatever its name).
            let id = p.identity();
            let referent = !(receiver && i == 0)
                && matches!(p.pass(), pass::REF | pass::MUT | pass::OPT_REF)
                && id.kind_code() == layout_meta::kind::RESILIENT;
            if !referent {
                continue;
            }
            let ty = id.name();
            // The library's type of that name (the validator requires
            // the module to list it).
            let Some(t) = crate::foreign::named_type(self.source, ty) else {
                self.mismatches
                    .push(Mismatch::MissingType { ty: ty.into() });
                return None;
            };
            if let Err(reason) = function.accepts(Some(i), &t) {
                self.mismatches.push(Mismatch::NestedMismatch {
                    ty: function.layout.name.clone(),
                    field: function.layout.params[i].name.clone(),
                    nested: ty.into(),
                    reason,
                });
                return None;
            }
            *b = t.id();
        }
        Some(function)
    }
}

/// A host's declaration of the functions it calls in one module: declared
/// with [`api!`](crate::api).
///
/// # Safety
///
/// `resolve` builds the API only from tokens [`FnToken::resolve`] returned.
/// Implement it only through [`api!`](crate::api).
pub unsafe trait Api: Sized {
    /// The module that exports the functions.
    const MODULE: &'static str;
    #[doc(hidden)]
    fn resolve(cx: &mut ApiCx<'_>) -> Option<Self>;

    /// Binds every function the API declares against `source`: each
    /// required one must exist with exactly the signature declared;
    /// optional ones may be absent. Every mismatch is reported at once.
    ///
    /// # Errors
    ///
    /// [`Error::ModuleMismatch`] for another module;
    /// [`Error::BindFunctions`] with every mismatch (function, parameter,
    /// expected and found types).
    fn bind(source: &dyn TypeSource) -> Result<Self, Error> {
        bind_functions(source, Self::MODULE, Self::resolve)?.ok_or_else(|| Error::BindFunctions {
            origin: source.origin(),
            mismatches: Vec::new(),
        })
    }
}

/// Declares the functions a host calls in one module, each as a [`Func`]
/// of its signature (or `Option<Func<..>>` for one a library may lack).
///
/// ```
/// use resilient_types::{api, Api, Func, InProcess, Str};
///
/// #[layout_meta::export]
/// pub fn scale(x: f64, by: f64) -> f64 { x * by }
///
/// #[layout_meta::export]
/// pub fn parse(text: &str) -> Result<u32, std::num::ParseIntError> { text.parse() }
///
/// api! {
///     pub struct Maths = "maths" {
///         pub scale: Func<fn(f64, f64) -> f64>,
///         pub parse: Func<fn(Str) -> u32>,
///         /// Newer libraries only.
///         pub cube: Option<Func<fn(f64) -> f64>>,
///     }
/// }
///
/// let src = InProcess::new("maths", "1.0.0").with_fn::<scale>().with_fn::<parse>();
/// let m = Maths::bind(&src)?;
/// assert_eq!(m.scale.call(2.0, 3.0)?, 6.0);
/// assert_eq!(m.parse.call("42")?, 42);
/// assert!(m.parse.call("x").is_err());
/// assert!(m.cube.is_none());
/// # Ok::<(), resilient_types::Error>(())
/// ```
#[macro_export]
macro_rules! api {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident = $module:literal {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $token:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $token, )*
        }

        // SAFETY: `resolve` builds the API from `FnToken::resolve` only.
        unsafe impl $crate::Api for $name {
            const MODULE: &'static str = $module;
            fn resolve(cx: &mut $crate::ApiCx<'_>) -> ::core::option::Option<Self> {
                // Resolve every function before giving up, so that one bind
                // reports every mismatch.
                $( let $field = <$token as $crate::FnToken>::resolve(
                    $crate::__private::unraw(::core::stringify!($field)),
                    cx,
                ); )*
                ::core::option::Option::Some($name {
                    $( $field: $field?, )*
                })
            }
        }

        // What this host calls, recorded as data in its binary (ELF
        // section `resilient_views`) so that `resilient check LIB
        // --consumer BIN` checks the functions too.
        $(
            const _: () = {
                // An owned result's view names this module (the nested
                // module rule): refused here, at compile time.
                $crate::__private::nested_in_module($module, <$token as $crate::FnToken>::RESULT_MODULE);
                static RECORD: $crate::__private::FnNeedRecord = $crate::__private::FnNeedRecord::new(
                    $module,
                    $crate::__private::unraw(::core::stringify!($field)),
                    <$token as $crate::FnToken>::REQUIRED,
                    <$token as $crate::FnToken>::PARAM_RECORDS,
                    <$token as $crate::FnToken>::RET_RECORD,
                );
                #[used]
                #[cfg_attr(target_os = "linux", link_section = "resilient_views")]
                static POINTER: &$crate::__private::FnNeedRecord = &RECORD;
            };
        )*
    };
}
