//! # resilient-capi: the C API
//!
//! One Rust implementation behind a C header (`cpp/include/resilient/resilient.h`),
//! in the manner of regex's `regex-capi` (`rure.h`): C and C++ hosts open
//! libraries, bind views and use values through these functions, so they
//! reach exactly the Rust verdicts by construction:
//!
//! - opening and validating is [`resilient_loader::Library::open`];
//! - binding a view is [`layout_meta::compat::bind_view`] against the
//!   library's validated module ([`resilient_loader::Library::module`]);
//! - values and field access are [`resilient_types::dynamic`];
//! - binding a function is [`layout_meta::compat::bind_function`] against
//!   the library's validated function records; the host then calls the
//!   library's thunk itself, through the pointer
//!   [`rsl_function_thunk`] hands out (one indirect call), and a failed
//!   call's message becomes the Rust host's error with
//!   [`rsl_function_call_failed`];
//! - binding an interface described as data ([`rsl_interface_bind`]) is
//!   [`resilient_types::dynamic::DynInterface::bind`], the code the Rust
//!   host's `implementations()` binds with (each method by
//!   [`layout_meta::compat::bind_function`], the receiver being the
//!   implementing type); each method is then an [`rsl_function`] like any
//!   other, and the implementing type's values an [`rsl_bound`]'s.
//!
//! This crate holds no rule of its own: it converts C data to Rust data and
//! back, catches panics, and turns errors into an [`rsl_status`] code and a
//! message in an [`rsl_error`].
//!
//! Every `extern "C"` function catches panics (`catch_unwind`) and never
//! unwinds into C; a NULL argument where a handle is needed is
//! [`rsl_status::RSL_ERROR_NULL`], never a crash. The built artefacts are
//! `libresilient.a` (static) and `libresilient.so` (shared); the header
//! documents ownership, thread safety and NULL handling per function.
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![allow(
    non_camel_case_types,
    reason = "the C names of the header, which C callers spell"
)]

use std::any::Any;
use std::ffi::{c_char, c_int, c_void, CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use layout_meta::compat::Access;
/// `&str` and `&[T]` as they cross (layout.h's `rsl_slice`): a pointer and
/// a length in elements.
pub use layout_meta::function::RawSlice as rsl_slice;
use layout_meta::function::{abi, pass, status, CallError, ThunkFn};
use layout_meta::{FunctionLayout, Identity, ParamLayout};
use resilient_loader::Library;
use resilient_types::dynamic::{
    self, DynBound, DynImpl, DynInterface, DynRoom, DynToken, DynValue, DynView,
};
use resilient_types::{Error as TypesError, ForeignFunction};

/// What a call did. `RSL_OK` and `RSL_ABSENT` are successes; every other
/// code is an error whose message, if an [`rsl_error`] was passed, is in it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rsl_status {
    /// Success.
    RSL_OK = 0,
    /// Success: the optional field asked for is absent from this library.
    RSL_ABSENT = 1,
    /// A NULL pointer where a handle, string or output was needed.
    RSL_ERROR_NULL = 2,
    /// An invalid argument: a string that is not UTF-8, a malformed view
    /// description, a field the view does not declare.
    RSL_ERROR_ARGUMENT = 3,
    /// The library could not be opened, or its metadata was refused.
    RSL_ERROR_OPEN = 4,
    /// The view does not bind to the library (the message lists every
    /// mismatch).
    RSL_ERROR_BIND = 5,
    /// A field token of another binding (another view, type or library).
    RSL_ERROR_BINDING = 6,
    /// A field access of the wrong size, invalid bytes for a `bool` or a
    /// `char`, or a field that is not reached by value.
    RSL_ERROR_VALUE = 7,
    /// The type has no witness for what was asked (default or clone).
    RSL_ERROR_WITNESS = 8,
    /// Room given for a value is NULL, too small or misaligned.
    RSL_ERROR_ROOM = 9,
    /// Memory could not be allocated (an impossible size included).
    RSL_ERROR_ALLOC = 10,
    /// A bug: a panic was caught at the boundary.
    RSL_ERROR_PANIC = 11,
    /// A called function failed or threw (panicked): the message is the
    /// library's, in the Rust host's words.
    RSL_ERROR_CALL = 12,
    /// A payload field was read from a value in another case than its own.
    RSL_ERROR_CASE = 13,
    /// A case cannot be built by this host: the library's case has a
    /// payload field the view does not name, or the library exports no
    /// `write_case` (the Rust host's words).
    RSL_ERROR_CONSTRUCT = 14,
    /// Text that is not UTF-8: bytes a host would write to a text field, or
    /// a library's text read as UTF-8 ([`rsl_bound_text`]).
    RSL_ERROR_UTF8 = 15,
}

use rsl_status::*;

/// An error's code and message: allocated by [`rsl_error_new`], written by
/// any call that fails, freed by [`rsl_error_free`].
#[derive(Debug)]
pub struct rsl_error {
    status: rsl_status,
    message: CString,
}

/// An opened, validated library: made by [`rsl_library_open`], freed by
/// [`rsl_library_close`].
#[derive(Debug)]
pub struct rsl_library {
    lib: Library,
    path: CString,
    module: CString,
    version: CString,
}

/// A view described as data: made by [`rsl_view_new`], freed by
/// [`rsl_view_free`].
#[derive(Debug)]
pub struct rsl_view {
    view: DynView,
}

/// A view bound to a library's type: made by [`rsl_view_bind`], freed by
/// [`rsl_bound_free`].
#[derive(Debug)]
pub struct rsl_bound {
    bound: Arc<DynBound>,
    type_name: CString,
    /// An enum view's case names, by index (empty for a struct view).
    case_names: Vec<CString>,
}

impl rsl_bound {
    fn new(bound: Arc<DynBound>, type_name: CString) -> Self {
        let case_names = (0..bound.case_count())
            .map(|i| c_string(bound.case_name(i).unwrap_or_default().to_owned()))
            .collect();
        rsl_bound {
            bound,
            type_name,
            case_names,
        }
    }
}

/// A value on the heap: made by [`rsl_value_new`], [`rsl_value_clone`] or
/// [`rsl_room_into_value`], freed by [`rsl_value_free`].
#[derive(Debug)]
pub struct rsl_value {
    value: DynValue,
}

/// Room on the heap for one value of a bound type, holding none yet (where
/// a function's owned result is written): made by [`rsl_room_new`], made a
/// value by [`rsl_room_into_value`] or freed by [`rsl_room_free`].
#[derive(Debug)]
pub struct rsl_room {
    room: DynRoom,
}

/// A function of a library bound to a signature: made by
/// [`rsl_function_bind`], freed by [`rsl_function_free`]. It keeps the
/// library loaded.
#[derive(Debug)]
pub struct rsl_function {
    function: Arc<ForeignFunction>,
    name: CString,
    /// Per parameter: the id of the library's type a reference points to
    /// (what [`rsl_bound_type_id`] gives for values of that type), else 0.
    types: Vec<u64>,
    /// For an owned result (`RSL_PASS_OWNED`): the id of the library's type
    /// it is a value of; else 0.
    result_type: u64,
}

/// A parameter or result of a function, described as data.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rsl_param {
    /// How it crosses: `RSL_PASS_*` of layout.h.
    pub pass: u32,
    /// Its type: a scalar (`RSL_PASS_VALUE`, and the element of
    /// `RSL_PASS_SLICE`), or the exported type referred to or returned, as
    /// `RSL_EXPECT_NESTED` (`RSL_PASS_REF`, `_MUT`, `_OPT_REF`, and the
    /// result `RSL_PASS_OWNED`). Ignored, and may be NULL, for
    /// `RSL_PASS_STR` and `RSL_PASS_UNIT`.
    pub r#type: *const rsl_expect,
}

/// A thunk's address, typed only as code: call it through the signature
/// its function was bound with (docs/FORMAT.md, "Functions").
pub type rsl_thunk = Option<ThunkFn>;

// The header promises that libraries, bindings and bound functions may be
// shared between threads: they are immutable, and `Send + Sync`.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<rsl_library>();
    shared::<rsl_bound>();
    shared::<rsl_function>();
};

/// A field token: which binding, where, and which field of the view.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct rsl_field {
    /// The binding's id: never 0 for a real token, never reused.
    pub binding: u64,
    /// The field's byte offset in values of the bound type.
    pub offset: usize,
    /// The field's index in the view.
    pub index: u32,
}

impl From<DynToken> for rsl_field {
    fn from(t: DynToken) -> Self {
        rsl_field {
            binding: t.binding,
            offset: t.offset,
            index: t.index,
        }
    }
}

impl From<rsl_field> for DynToken {
    fn from(t: rsl_field) -> Self {
        DynToken {
            binding: t.binding,
            offset: t.offset,
            index: t.index,
        }
    }
}

/// `rsl_expect.kind`: a scalar by name.
pub const RSL_EXPECT_SCALAR: u32 = 1;
/// `rsl_expect.kind`: an array of `count` `element`s.
pub const RSL_EXPECT_ARRAY: u32 = 2;
/// `rsl_expect.kind`: a nested resilient type, by name.
pub const RSL_EXPECT_NESTED: u32 = 3;
/// `rsl_expect.kind`: an opaque type, by name, size and alignment.
pub const RSL_EXPECT_OPAQUE: u32 = 4;

/// Access: read and written by value.
pub const RSL_BY_VALUE: c_int = 0;
/// Access: a nested resilient type, reached through a view of its own.
pub const RSL_NESTED: c_int = 1;
/// Access: text the library keeps in a type of its own (`String`,
/// `std::string`), borrowed and replaced through its accessors.
pub const RSL_TEXT: c_int = 2;
/// Access: as [`RSL_TEXT`], a field that may hold nothing
/// (`Option<String>`, `std::optional<std::string>`).
pub const RSL_OPTIONAL_TEXT: c_int = 3;
/// Access: elements of a plain type the library keeps in a type of its own
/// (`Vec<T>`, `std::vector<T>`), borrowed and replaced through its
/// accessors; the expected type is the element's.
pub const RSL_ELEMENTS: c_int = 4;

/// Room for a value in a caller's frame: values up to this many bytes
/// (aligned at most [`RSL_INLINE_ALIGN`]) fit (the header's
/// `RSL_INLINE_CAP`; Rust's `with_stack` uses the same number).
pub const RSL_INLINE_CAP: usize = resilient_types::SMALL_STACK;
/// The alignment of that room (the header's `RSL_INLINE_ALIGN`).
pub const RSL_INLINE_ALIGN: usize = resilient_types::INLINE_ALIGN;

/// The type a view expects a field to have.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rsl_expect {
    /// `RSL_EXPECT_*`.
    pub kind: u32,
    /// Scalar, opaque or nested type name (NUL-terminated UTF-8); NULL for
    /// arrays.
    pub name: *const c_char,
    /// Opaque types: size in bytes (else ignored).
    pub size: usize,
    /// Opaque types: alignment (else ignored).
    pub align: usize,
    /// Arrays: number of elements (else ignored).
    pub count: usize,
    /// Arrays: the element type (else ignored).
    pub element: *const rsl_expect,
}

/// Why a call failed, before it is written into an `rsl_error`.
struct Failure {
    status: rsl_status,
    message: String,
}

impl Failure {
    fn null(what: &str) -> Self {
        Failure {
            status: RSL_ERROR_NULL,
            message: format!("{what} is NULL"),
        }
    }
    fn argument(message: String) -> Self {
        Failure {
            status: RSL_ERROR_ARGUMENT,
            message,
        }
    }
}

impl From<TypesError> for Failure {
    fn from(e: TypesError) -> Self {
        let status = match &e {
            TypesError::Bind { .. }
            | TypesError::BindFunctions { .. }
            | TypesError::ModuleMismatch { .. } => RSL_ERROR_BIND,
            TypesError::WrongBinding { .. } => RSL_ERROR_BINDING,
            TypesError::FieldSize { .. }
            | TypesError::InvalidBits { .. }
            | TypesError::NotByValue { .. } => RSL_ERROR_VALUE,
            TypesError::NoWitness { .. } => RSL_ERROR_WITNESS,
            TypesError::Room { .. } => RSL_ERROR_ROOM,
            TypesError::Alloc { .. } => RSL_ERROR_ALLOC,
            TypesError::WrongCase { .. } => RSL_ERROR_CASE,
            TypesError::CannotConstruct { .. } => RSL_ERROR_CONSTRUCT,
            TypesError::NotUtf8 { .. } => RSL_ERROR_UTF8,
            _ => RSL_ERROR_ARGUMENT,
        };
        Failure {
            status,
            message: e.to_string(),
        }
    }
}

type Res<T> = Result<T, Failure>;

/// A message as a C string (interior NULs, impossible in validated names,
/// are replaced rather than lost).
fn c_string(message: String) -> CString {
    CString::new(message).unwrap_or_else(|e| {
        let bytes: Vec<u8> = e
            .into_vec()
            .into_iter()
            .map(|b| if b == 0 { b'?' } else { b })
            .collect();
        CString::new(bytes).unwrap_or_default()
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    format!("internal error (a panic was caught at the C boundary): {what}")
}

/// Runs `f`, catching panics; writes a failure into `err` (if not NULL).
///
/// # Safety
///
/// `err` is NULL or a live `rsl_error` that no other thread uses during the
/// call.
unsafe fn guard(err: *mut rsl_error, f: impl FnOnce() -> Res<rsl_status>) -> rsl_status {
    let result = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Err(Failure {
            status: RSL_ERROR_PANIC,
            message: panic_message(&*payload),
        })
    });
    match result {
        Ok(status) => status,
        Err(failure) => {
            let status = failure.status;
            // Writing the message allocates; a panic there is caught too.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: the caller's contract: NULL or a live, unshared
                // `rsl_error`.
                if let Some(e) = unsafe { err.as_mut() } {
                    e.status = status;
                    e.message = c_string(failure.message);
                }
            }));
            status
        }
    }
}

/// Runs `f`, catching panics; a panic gives `default`.
fn quiet<T>(default: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// The handle behind `p`.
///
/// # Safety
///
/// `p` is NULL or points at a live `T` made by this library, not freed, that
/// nobody mutates for `'a`.
unsafe fn handle<'a, T>(p: *const T, what: &str) -> Res<&'a T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// The handle behind `p`, exclusively.
///
/// # Safety
///
/// `p` is NULL or points at a live `T` made by this library, not freed, that
/// nobody else uses for `'a`.
unsafe fn handle_mut<'a, T>(p: *mut T, what: &str) -> Res<&'a mut T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_mut() }.ok_or_else(|| Failure::null(what))
}

/// The NUL-terminated string at `p`, as bytes.
///
/// # Safety
///
/// `p` is NULL or a NUL-terminated string readable for `'a`.
unsafe fn bytes<'a>(p: *const c_char, what: &str) -> Res<&'a [u8]> {
    if p.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: not NULL, and NUL-terminated by the caller's contract.
    Ok(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// The NUL-terminated UTF-8 string at `p`.
///
/// # Safety
///
/// As [`bytes`].
unsafe fn text<'a>(p: *const c_char, what: &str) -> Res<&'a str> {
    // SAFETY: the caller's contract.
    let b = unsafe { bytes(p, what) }?;
    std::str::from_utf8(b).map_err(|_| Failure::argument(format!("{what} is not UTF-8")))
}

/// Stores `value` in the output slot `out` as a new heap handle.
///
/// # Safety
///
/// `out` is NULL or writable.
unsafe fn give<T>(out: *mut *mut T, value: T) -> Res<rsl_status> {
    if out.is_null() {
        return Err(Failure::null("the output pointer"));
    }
    // SAFETY: not NULL, writable by the caller's contract.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
    Ok(RSL_OK)
}

/// Frees a handle made by `Box::into_raw`, catching panics of its drop.
///
/// # Safety
///
/// `p` is NULL or a live handle of this library, not used afterwards.
unsafe fn free<T>(p: *mut T) {
    if !p.is_null() {
        quiet((), || {
            // SAFETY: the caller's contract: made by `Box::into_raw`, freed
            // once.
            drop(unsafe { Box::from_raw(p) });
        });
    }
}

// ------------------------------------------------------------------ errors

/// A new, empty error (status `RSL_OK`, message ""): pass it to any call and
/// read it after a failure. NULL if memory is exhausted (calls accept a NULL
/// error and then only return the code).
#[no_mangle]
pub extern "C" fn rsl_error_new() -> *mut rsl_error {
    quiet(core::ptr::null_mut(), || {
        Box::into_raw(Box::new(rsl_error {
            status: RSL_OK,
            message: CString::default(),
        }))
    })
}

/// Frees an error. NULL is ignored.
///
/// # Safety
///
/// `err` is NULL or made by [`rsl_error_new`], not freed before and not used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_error_free(err: *mut rsl_error) {
    // SAFETY: the caller's contract.
    unsafe { free(err) }
}

/// The message of the last failure written into `err` ("" if none; "" for
/// NULL). Owned by `err`: valid until `err` is freed or written again.
///
/// # Safety
///
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_error_message(err: *const rsl_error) -> *const c_char {
    // SAFETY: the caller's contract.
    match unsafe { err.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// The status of the last failure written into `err` (`RSL_OK` if none or
/// NULL).
///
/// # Safety
///
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_error_status(err: *const rsl_error) -> rsl_status {
    // SAFETY: the caller's contract.
    unsafe { err.as_ref() }.map_or(RSL_OK, |e| e.status)
}

// ----------------------------------------------------------------- library

/// Opens the library at `path` and validates its metadata
/// ([`resilient_loader::Library::open`]).
///
/// # Safety
///
/// `path` is NULL or NUL-terminated; `out` is NULL or writable; `err` is
/// NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_library_open(
    path: *const c_char,
    out: *mut *mut rsl_library,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `path` is NULL or NUL-terminated (the caller's contract).
        let path = unsafe { bytes(path, "the path") }?;
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        let open_failed = |e: resilient_loader::Error| Failure {
            status: RSL_ERROR_OPEN,
            message: e.to_string(),
        };
        let lib = Library::open(OsStr::from_bytes(path)).map_err(open_failed)?;
        // The C API checks every type at open (the Rust loader checks each
        // when first bound): a C or C++ host sees a bad library refused
        // here, by the same words.
        let m = lib.module().map_err(open_failed)?;
        let handle = rsl_library {
            path: c_string(String::from_utf8_lossy(path).into_owned()),
            module: c_string(m.name.clone()),
            version: c_string(m.version.clone()),
            lib,
        };
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, handle) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Closes a library handle. NULL is ignored.
///
/// # Safety
///
/// `lib` is NULL or made by [`rsl_library_open`], not closed before and not
/// used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_library_close(lib: *mut rsl_library) {
    // SAFETY: the caller's contract.
    unsafe { free(lib) }
}

/// # Safety
///
/// `lib` is NULL or a live library handle.
unsafe fn library_str(lib: *const rsl_library, pick: fn(&rsl_library) -> &CStr) -> *const c_char {
    // SAFETY: the caller's contract.
    match unsafe { lib.as_ref() } {
        Some(l) => pick(l).as_ptr(),
        None => c"".as_ptr(),
    }
}

/// The path the library was opened by ("" for NULL).
///
/// # Safety
///
/// `lib` is NULL or a live library handle.
#[no_mangle]
pub unsafe extern "C" fn rsl_library_path(lib: *const rsl_library) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { library_str(lib, |l| &l.path) }
}

/// The library's module name ("" for NULL).
///
/// # Safety
///
/// `lib` is NULL or a live library handle.
#[no_mangle]
pub unsafe extern "C" fn rsl_library_module(lib: *const rsl_library) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { library_str(lib, |l| &l.module) }
}

/// The library's module version ("" for NULL).
///
/// # Safety
///
/// `lib` is NULL or a live library handle.
#[no_mangle]
pub unsafe extern "C" fn rsl_library_version(lib: *const rsl_library) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { library_str(lib, |l| &l.version) }
}

// -------------------------------------------------------------------- views

/// A new view of type `type_name` of module `module`, with no fields.
///
/// # Safety
///
/// `module` and `type_name` are NULL or NUL-terminated; `out` is NULL or
/// writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_view_new(
    module: *const c_char,
    type_name: *const c_char,
    out: *mut *mut rsl_view,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: both strings are NULL or NUL-terminated (the caller's
        // contract).
        let (module, ty) = unsafe {
            (
                text(module, "the module")?,
                text(type_name, "the type name")?,
            )
        };
        let view = DynView::new(module, ty)?;
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, rsl_view { view }) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Frees a view. NULL is ignored.
///
/// # Safety
///
/// `view` is NULL or made by [`rsl_view_new`], not freed before and not used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_view_free(view: *mut rsl_view) {
    // SAFETY: the caller's contract.
    unsafe { free(view) }
}

/// The identity an `rsl_expect` describes.
///
/// # Safety
///
/// `e` is NULL or a readable `rsl_expect` whose strings are NULL or
/// NUL-terminated and whose elements (arrays) are the same, recursively.
unsafe fn identity_of(e: *const rsl_expect, depth: usize) -> Res<Identity> {
    if depth > layout_meta::limits::MAX_IDENTITY_DEPTH {
        return Err(Failure::argument(
            "the expected type nests arrays too deeply (or refers to itself)".into(),
        ));
    }
    // SAFETY: the caller's contract.
    let e = unsafe { handle(e, "the expected type") }?;
    // SAFETY: the caller's contract, for the name when the kind has one.
    let name = || unsafe { text(e.name, "the expected type's name") };
    let id = match e.kind {
        RSL_EXPECT_SCALAR => dynamic::scalar(name()?)?,
        RSL_EXPECT_NESTED => dynamic::nested(name()?)?,
        RSL_EXPECT_OPAQUE => dynamic::opaque(name()?, e.size, e.align)?,
        RSL_EXPECT_ARRAY => {
            // SAFETY: the caller's contract, recursively.
            let element = unsafe { identity_of(e.element, depth + 1) }?;
            dynamic::array(element, e.count)?
        }
        other => {
            return Err(Failure::argument(format!(
                "unknown expected-type kind {other}"
            )))
        }
    };
    Ok(id)
}

/// The identity a field reached by `access` is expected to have: text's
/// is the opaque `str` (whatever `e` says), else `e`'s.
///
/// # Safety
///
/// As [`identity_of`].
unsafe fn expected_identity(e: *const rsl_expect, access: Access) -> Res<Identity> {
    match access {
        Access::Text | Access::OptionalText => {
            Ok(Identity::from_record(&layout_meta::accessor::STR_IDENTITY))
        }
        // SAFETY: the caller's contract.
        _ => unsafe { identity_of(e, 0) },
    }
}

fn access_of(access: c_int) -> Res<Access> {
    match access {
        RSL_BY_VALUE => Ok(Access::ByValue),
        RSL_NESTED => Ok(Access::Nested),
        RSL_TEXT => Ok(Access::Text),
        RSL_OPTIONAL_TEXT => Ok(Access::OptionalText),
        RSL_ELEMENTS => Ok(Access::Elements),
        other => Err(Failure::argument(format!("unknown access {other}"))),
    }
}

/// Adds field `name` to the view: required (nonzero) or optional (0),
/// reached by `access`, expected to be of type `expected`: `RSL_BY_VALUE`
/// (read and written by value, stored or computed by the library),
/// `RSL_NESTED`, `RSL_ELEMENTS` (`expected` is the element type), or
/// `RSL_TEXT` and `RSL_OPTIONAL_TEXT` (text: `expected` is ignored and may
/// be NULL). Its index is the number of fields added before it.
///
/// # Safety
///
/// `view` is NULL or a live view no other thread uses during the call;
/// `name` is NULL or NUL-terminated; `expected` is NULL or a readable
/// description (see [`rsl_expect`]); `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_view_add_field(
    view: *mut rsl_view,
    name: *const c_char,
    required: c_int,
    access: c_int,
    expected: *const rsl_expect,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: the caller's contract:
        // - `view` is NULL or a live view, unshared during the call;
        // - `name` is NULL or NUL-terminated;
        // - `expected` is NULL or a readable description.
        let (v, name) = unsafe { (handle_mut(view, "the view")?, text(name, "the field name")?) };
        let access = access_of(access)?;
        // SAFETY: `expected` is NULL or a readable description (the
        // caller's contract).
        let id = unsafe { expected_identity(expected, access) }?;
        v.view.add(name, required != 0, access, id)?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Adds nested field `name`, reached through `nested`, a view of the nested
/// type (copied: the caller keeps and frees it): the field must hold the
/// resilient type `nested` is of, and binding also binds `nested` against
/// the library's type of that name ([`layout_meta::compat::bind_nested`]),
/// reporting its mismatches with this view's, as the Rust host's
/// `Nested<V>` does. Its index is the number of fields added before it.
///
/// # Safety
///
/// `view` is NULL or a live view no other thread uses during the call;
/// `nested` is NULL or a live view (not written during the call; it may be
/// `view` itself, copied as it is now); `name` is NULL or NUL-terminated;
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_view_add_nested(
    view: *mut rsl_view,
    name: *const c_char,
    required: c_int,
    nested: *const rsl_view,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `nested` is NULL or a live view (the caller's contract);
        // cloned before `view` is borrowed, as they may be the same.
        let inner = unsafe { handle(nested, "the nested view") }?.view.clone();
        // SAFETY: `view` is NULL or a live view, unshared during the call;
        // `name` is NULL or NUL-terminated (the caller's contract).
        let (v, name) = unsafe { (handle_mut(view, "the view")?, text(name, "the field name")?) };
        v.view.add_nested(name, required != 0, &inner)?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Expects the type frozen with exactly the layout of `fingerprint`.
///
/// # Safety
///
/// `view` is NULL or a live view no other thread uses during the call;
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_view_set_frozen(
    view: *mut rsl_view,
    fingerprint: u64,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `view` is NULL or a live view, unshared during the call
        // (the caller's contract).
        unsafe { handle_mut(view, "the view") }?
            .view
            .set_frozen(fingerprint);
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Binds `view` to `lib` by the one view rule,
/// [`layout_meta::compat::bind_view`], against the library's validated
/// module; on refusal the message is the Rust binder's, every mismatch at
/// once.
///
/// # Safety
///
/// `view` and `lib` are NULL or live handles; `out` is NULL or writable;
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_view_bind(
    view: *const rsl_view,
    lib: *const rsl_library,
    out: *mut *mut rsl_bound,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `view` and `lib` are NULL or live handles (the caller's
        // contract).
        let (v, l) = unsafe { (handle(view, "the view")?, handle(lib, "the library")?) };
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        let module = l.lib.module().map_err(|e| Failure {
            status: RSL_ERROR_OPEN,
            message: e.to_string(),
        })?;
        let bound = v.view.bind(&l.lib, module)?;
        let type_name = c_string(v.view.need().type_name.clone());
        let handle = rsl_bound::new(Arc::new(bound), type_name);
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, handle) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

// ------------------------------------------------------------------- bound

/// Frees a bound view. NULL is ignored. Values made from it stay valid (each
/// holds the binding).
///
/// # Safety
///
/// `bound` is NULL or made by [`rsl_view_bind`], not freed before and not
/// used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_free(bound: *mut rsl_bound) {
    // SAFETY: the caller's contract.
    unsafe { free(bound) }
}

/// # Safety
///
/// `bound` is NULL or a live bound view.
unsafe fn bound_query<T>(bound: *const rsl_bound, default: T, f: fn(&rsl_bound) -> T) -> T {
    // SAFETY: the caller's contract.
    match unsafe { bound.as_ref() } {
        Some(b) => quiet(default, || f(b)),
        None => default,
    }
}

/// The binding id that this binding's tokens carry (0 for NULL).
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_binding(bound: *const rsl_bound) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { bound_query(bound, 0, |b| b.bound.binding()) }
}

/// The id of the library's type this view is bound to (0 for NULL): the
/// same for every binding of that type of that loaded library, never given
/// to another type or library in the process. A function's reference
/// parameter accepts values of the type whose id
/// [`rsl_function_param_type`] gives.
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_type_id(bound: *const rsl_bound) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { bound_query(bound, 0, |b| b.bound.foreign_type().id().get()) }
}

/// The bound type's name ("" for NULL), owned by `bound`.
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_type_name(bound: *const rsl_bound) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { bound_query(bound, c"".as_ptr(), |b| b.type_name.as_ptr()) }
}

/// The bound type's size in bytes (0 for NULL).
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_size(bound: *const rsl_bound) -> usize {
    // SAFETY: the caller's contract.
    unsafe { bound_query(bound, 0, |b| b.bound.shape().0) }
}

/// The bound type's alignment (0 for NULL).
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_align(bound: *const rsl_bound) -> usize {
    // SAFETY: the caller's contract.
    unsafe { bound_query(bound, 0, |b| b.bound.shape().1) }
}

/// The bound type's stride (distance between array elements; 0 for NULL).
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_stride(bound: *const rsl_bound) -> usize {
    // SAFETY: the caller's contract.
    unsafe { bound_query(bound, 0, |b| b.bound.shape().2) }
}

/// The bound type's flags (`RSL_FLAG_*` of layout.h; 0 for NULL).
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_flags(bound: *const rsl_bound) -> u32 {
    // SAFETY: the caller's contract.
    unsafe { bound_query(bound, 0, |b| b.bound.foreign_type().layout().flags) }
}

/// The number of fields of the view (0 for NULL).
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_field_count(bound: *const rsl_bound) -> usize {
    // SAFETY: the caller's contract.
    unsafe { bound_query(bound, 0, |b| b.bound.field_count()) }
}

/// # Safety
///
/// `out` is NULL or writable.
unsafe fn give_token(out: *mut rsl_field, token: Option<DynToken>) -> Res<rsl_status> {
    if out.is_null() {
        return Err(Failure::null("the output token"));
    }
    match token {
        Some(t) => {
            // SAFETY: not NULL, writable by the caller's contract.
            unsafe { out.write(t.into()) };
            Ok(RSL_OK)
        }
        None => Ok(RSL_ABSENT),
    }
}

/// The token of the view's field `index`: `RSL_OK`, or `RSL_ABSENT` for an
/// optional field the library lacks (then `*out` is untouched).
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `out` is NULL or writable; `err`
/// is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_field(
    bound: *const rsl_bound,
    index: usize,
    out: *mut rsl_field,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        let token = b.bound.token(index)?;
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give_token(out, token) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// The token of the view's field `name`, to be used as type `as` reached
/// by `access` (`as` NULL: as the view declared it, `access` ignored; for
/// `RSL_TEXT` and `RSL_OPTIONAL_TEXT`, `as` only needs to be non-NULL:
/// text is `str`): `RSL_OK`, `RSL_ABSENT` for an optional field the library
/// lacks, or `RSL_ERROR_ARGUMENT` if the view does not declare it so.
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `name` is NULL or NUL-terminated;
/// `as_` is NULL or a readable description; `out` is NULL or writable;
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_field_named(
    bound: *const rsl_bound,
    name: *const c_char,
    as_: *const rsl_expect,
    access: c_int,
    out: *mut rsl_field,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view, `name` NULL or
        // NUL-terminated (the caller's contract).
        let (b, name) = unsafe {
            (
                handle(bound, "the bound view")?,
                text(name, "the field name")?,
            )
        };
        let asked = if as_.is_null() {
            None
        } else {
            let access = access_of(access)?;
            // SAFETY: `as_` is a readable description (the caller's
            // contract).
            Some((unsafe { expected_identity(as_, access) }?, access))
        };
        let token = b
            .bound
            .token_named(name, asked.as_ref().map(|(id, a)| (id, *a)))?;
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give_token(out, token) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// The binding of the view of nested field `index` (added with
/// [`rsl_view_add_nested`]): a new handle, freed by [`rsl_bound_free`],
/// whose tokens read and write the nested value (at the address
/// [`rsl_bound_nested_at`] gives). `RSL_ABSENT` for an optional field the
/// library lacks (`*out` untouched); `RSL_ERROR_ARGUMENT` if field `index`
/// does not exist or was added without a view of its own.
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `out` is NULL or writable; `err`
/// is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_nested(
    bound: *const rsl_bound,
    index: usize,
    out: *mut *mut rsl_bound,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        let Some(inner) = b.bound.nested(index)? else {
            return Ok(RSL_ABSENT);
        };
        let handle = rsl_bound::new(Arc::clone(inner), c_string(inner.need().type_name.clone()));
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, handle) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// The address of the nested value that field `field` holds in the value
/// at `value`: `value` plus the field's offset, once `field` is checked to
/// be this binding's token of a nested field. Nothing is read.
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `out` is NULL or writable; `err`
/// is NULL or a live error. (`value` is only offset, never read: the
/// address is a live value of the nested type exactly when `value` is a
/// live value of the bound type.)
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_nested_at(
    bound: *const rsl_bound,
    value: *mut c_void,
    field: rsl_field,
    out: *mut *mut c_void,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if value.is_null() || out.is_null() {
            return Err(Failure::null("the value or the output pointer"));
        }
        let at = b.bound.nested_at(value.cast(), field.into())?;
        // SAFETY: `out` is not NULL and writable (the caller's contract).
        unsafe { out.write(at.cast()) };
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Makes a default value of the bound type (the library's default witness,
/// or zeros for plain old data) in `room`, `room_size` bytes.
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `room` is NULL or writable for
/// `room_size` bytes, holds no live value, and outlives the value, which is
/// dropped with [`rsl_bound_drop_at`] exactly once; `err` is NULL or a
/// live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_init_at(
    bound: *const rsl_bound,
    room: *mut c_void,
    room_size: usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        // SAFETY: the caller's contract: `room` is NULL (refused) or
        // writable for `room_size` bytes, holds no live value, and outlives
        // the value, which the caller drops once.
        unsafe { b.bound.init_at(room.cast(), room_size) }?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Makes a copy of the value at `src` (the library's clone witness, or a
/// bitwise copy for plain old data) in `room`, `room_size` bytes.
///
/// # Safety
///
/// As [`rsl_bound_init_at`]; `src` is NULL or a live value of the bound
/// type that does not overlap the room.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_clone_at(
    bound: *const rsl_bound,
    room: *mut c_void,
    room_size: usize,
    src: *const c_void,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if src.is_null() {
            return Err(Failure::null("the source value"));
        }
        // SAFETY: the caller's contract: the room as for `init_at`, and
        // `src` a live value of the type apart from the room.
        unsafe { b.bound.clone_at(room.cast(), room_size, src.cast()) }?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Drops the value at `value` (the library's drop witness). NULL `bound` or
/// `value` is ignored.
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `value` is NULL or a live value of
/// the bound type made by [`rsl_bound_init_at`] or [`rsl_bound_clone_at`],
/// not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_drop_at(bound: *const rsl_bound, value: *mut c_void) {
    // SAFETY: the caller's contract.
    if let (Some(b), false) = (unsafe { bound.as_ref() }, value.is_null()) {
        quiet((), || {
            // SAFETY: the caller's contract: a live value, dropped once.
            unsafe { b.bound.drop_at(value.cast()) }
        });
    }
}

/// Reads field `field` of the value at `value` into `out` (`size` bytes,
/// exactly the field's).
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `value` is NULL or a live value of
/// the bound type that nobody writes during the call; `out` is NULL or
/// writable for `size` bytes, and does not overlap the value; `err` is NULL
/// or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_get(
    bound: *const rsl_bound,
    value: *const c_void,
    field: rsl_field,
    out: *mut c_void,
    size: usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if value.is_null() || out.is_null() {
            return Err(Failure::null("the value or the output buffer"));
        }
        // The size first: no buffer of a size the field does not have is
        // ever formed.
        b.bound.check_size(field.into(), size, "read")?;
        // SAFETY: `out` is not NULL and writable for `size` bytes, which
        // nothing else references during the call (the caller's contract);
        // `size` is the field's (checked above), a valid slice length.
        let out = unsafe { core::slice::from_raw_parts_mut(out.cast::<u8>(), size) };
        // SAFETY: `value` is a live value of the bound type that nobody
        // writes during the call (the caller's contract).
        unsafe { b.bound.read(value.cast(), field.into(), out) }?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Writes field `field` of the value at `value` from `in_` (`size` bytes,
/// exactly the field's, a valid value of its type).
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `value` is NULL or a live value of
/// the bound type that nobody else accesses during the call; `in_` is NULL
/// or readable for `size` bytes, and does not overlap the value; `err` is
/// NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_set(
    bound: *const rsl_bound,
    value: *mut c_void,
    field: rsl_field,
    in_: *const c_void,
    size: usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if value.is_null() || in_.is_null() {
            return Err(Failure::null("the value or the input buffer"));
        }
        b.bound.check_size(field.into(), size, "write")?;
        // SAFETY: `in_` is not NULL and readable for `size` bytes (the
        // caller's contract); `size` is the field's (checked above).
        let bytes = unsafe { core::slice::from_raw_parts(in_.cast::<u8>(), size) };
        // SAFETY: `value` is a live value of the bound type that nobody
        // else accesses during the call (the caller's contract).
        unsafe { b.bound.write(value.cast(), field.into(), bytes) }?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

// ------------------------------------------------------------------ values

/// A new default value of the bound type on the heap.
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `out` is NULL or writable; `err`
/// is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_new(
    bound: *const rsl_bound,
    out: *mut *mut rsl_value,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        let value = DynValue::new(&b.bound)?;
        // SAFETY: `out` is writable (the caller's contract).
        unsafe { give(out, rsl_value { value }) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// A copy of `value` on the heap.
///
/// # Safety
///
/// `value` is NULL or a live value nobody writes during the call; `out` is
/// NULL or writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_clone(
    value: *const rsl_value,
    out: *mut *mut rsl_value,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `value` is NULL or a live value nobody writes during the
        // call (the caller's contract).
        let v = unsafe { handle(value, "the value") }?;
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        let copy = v.value.try_clone()?;
        // SAFETY: `out` is writable (the caller's contract).
        unsafe { give(out, rsl_value { value: copy }) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Drops and frees a value. NULL is ignored.
///
/// # Safety
///
/// `value` is NULL or made by [`rsl_value_new`] or [`rsl_value_clone`], not
/// freed before and not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_free(value: *mut rsl_value) {
    // SAFETY: the caller's contract.
    unsafe { free(value) }
}

/// The address of the value's bytes (NULL for NULL), valid until it is
/// freed.
///
/// # Safety
///
/// `value` is NULL or a live value.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_data(value: *mut rsl_value) -> *mut c_void {
    // SAFETY: the caller's contract.
    match unsafe { value.as_mut() } {
        Some(v) => v.value.as_mut_ptr().cast(),
        None => core::ptr::null_mut(),
    }
}

/// Reads field `field` into `out` (`size` bytes, exactly the field's).
///
/// # Safety
///
/// `value` is NULL or a live value nobody writes during the call; `out` is
/// NULL or writable for `size` bytes, and does not overlap the value; `err`
/// is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_get(
    value: *const rsl_value,
    field: rsl_field,
    out: *mut c_void,
    size: usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `value` is NULL or a live value nobody writes during the
        // call (the caller's contract).
        let v = unsafe { handle(value, "the value") }?;
        if out.is_null() {
            return Err(Failure::null("the output buffer"));
        }
        v.value.bound().check_size(field.into(), size, "read")?;
        // SAFETY: `out` is not NULL and writable for `size` bytes, which
        // nothing else references during the call (the caller's contract);
        // `size` is the field's (checked above).
        let out = unsafe { core::slice::from_raw_parts_mut(out.cast::<u8>(), size) };
        v.value.read(field.into(), out)?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Writes field `field` from `in_` (`size` bytes, exactly the field's, a
/// valid value of its type).
///
/// # Safety
///
/// `value` is NULL or a live value nobody else uses during the call; `in_`
/// is NULL or readable for `size` bytes, and does not overlap the value;
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_set(
    value: *mut rsl_value,
    field: rsl_field,
    in_: *const c_void,
    size: usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `value` is NULL or a live value nobody else uses during
        // the call (the caller's contract).
        let v = unsafe { handle_mut(value, "the value") }?;
        if in_.is_null() {
            return Err(Failure::null("the input buffer"));
        }
        v.value.bound().check_size(field.into(), size, "write")?;
        // SAFETY: `in_` is not NULL and readable for `size` bytes (the
        // caller's contract); `size` is the field's (checked above).
        let bytes = unsafe { core::slice::from_raw_parts(in_.cast::<u8>(), size) };
        v.value.write(field.into(), bytes)?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

// ------------------------------------------------- text and elements fields

/// Where the view's field `field.index` is declared, if `field` is this
/// binding's token of it.
fn declared<'b>(
    b: &'b dynamic::DynBound,
    field: rsl_field,
    operation: &'static str,
) -> Res<&'b layout_meta::needs::FieldNeed> {
    let index = usize::try_from(field.index).unwrap_or(usize::MAX);
    let ours = matches!(b.token(index), Ok(Some(t)) if rsl_field::from(t) == field);
    match b.need().fields.get(index) {
        Some(f) if ours => Ok(f),
        _ => Err(TypesError::WrongBinding { operation }.into()),
    }
}

/// The alignment of one element of accessor field `f` (1 for text).
fn element_align(f: &layout_meta::needs::FieldNeed) -> usize {
    match f.access {
        Access::Elements => f.identity.align().max(1),
        _ => 1,
    }
}

/// `borrowed` as an `rsl_slice`: NULL for nothing (an optional field),
/// else a pointer aligned for the element even when empty.
fn slice_of(borrowed: dynamic::Borrowed<'_>, align: usize) -> rsl_slice {
    match borrowed.bytes {
        None => rsl_slice {
            ptr: core::ptr::null(),
            len: 0,
        },
        // An empty slice's pointer is any aligned, non-NULL address: never
        // read.
        Some(_) if borrowed.len == 0 => rsl_slice {
            ptr: core::ptr::null::<u8>().wrapping_add(align),
            len: 0,
        },
        Some(bytes) => rsl_slice {
            ptr: bytes.as_ptr(),
            len: borrowed.len,
        },
    }
}

/// The bytes of `len` elements (bytes for text) at `ptr` of field `f`;
/// `None` for NULL `ptr` (nothing), which only an optional text field
/// accepts.
///
/// # Safety
///
/// `ptr` is NULL or readable for `len` elements of the field's type.
unsafe fn contents<'a>(
    f: &layout_meta::needs::FieldNeed,
    ptr: *const c_void,
    len: usize,
) -> Res<Option<&'a [u8]>> {
    if ptr.is_null() {
        if f.access == Access::OptionalText {
            return Ok(None);
        }
        return Err(Failure::null(&format!(
            "the contents of `{}` (only an optional text field holds nothing)",
            f.name
        )));
    }
    let size = match f.access {
        Access::Elements => f.identity.size(),
        _ => 1,
    };
    let bytes = len
        .checked_mul(size)
        .filter(|&n| isize::try_from(n).is_ok())
        .ok_or_else(|| {
            Failure::argument(format!(
                "`{}`: {len} elements of {size} bytes do not fit in memory",
                f.name
            ))
        })?;
    // SAFETY: not NULL, readable for `len` elements, `bytes` bytes (the
    // caller's contract); the length fits in `isize` (checked above).
    Ok(Some(unsafe {
        core::slice::from_raw_parts(ptr.cast::<u8>(), bytes)
    }))
}

/// `borrowed`, checked to be UTF-8 (the Rust host's `Ref::text` refusal).
fn utf8(field: &str, borrowed: dynamic::Borrowed<'_>) -> Res<()> {
    match borrowed.bytes.map(core::str::from_utf8) {
        Some(Err(e)) => Err(TypesError::NotUtf8 {
            field: field.to_owned(),
            valid_up_to: e.valid_up_to(),
            len: borrowed.len,
        }
        .into()),
        _ => Ok(()),
    }
}

/// Borrows text or elements field `field` (declared `RSL_TEXT`,
/// `RSL_OPTIONAL_TEXT` or `RSL_ELEMENTS`) of the value at `value` through
/// the library's getter: `*out` is the contents, borrowed from the value
/// (valid until it is next written or dropped; never freed by the caller),
/// `len` counting bytes (text, as the library holds them: not checked to
/// be UTF-8; see [`rsl_bound_text`]) or elements. `out->ptr` is NULL only
/// for an optional text field that holds nothing; otherwise it is aligned
/// for the element, even when `len` is 0. A field read by value is
/// `RSL_ERROR_ARGUMENT`, and so is a `value` not aligned for its type (the
/// library's getter takes it as a reference; so do a computed field's getter
/// and setter through [`rsl_bound_get`] and [`rsl_bound_set`]).
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `value` is NULL or a live value of
/// the bound type that nobody writes while the contents are used; `out` is
/// NULL or writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_borrow(
    bound: *const rsl_bound,
    value: *const c_void,
    field: rsl_field,
    out: *mut rsl_slice,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if value.is_null() || out.is_null() {
            return Err(Failure::null("the value or the output slice"));
        }
        let f = declared(&b.bound, field, "borrow")?;
        // SAFETY: `value` is a live value of the bound type, not written
        // while the contents are used (the caller's contract).
        let borrowed = unsafe { b.bound.borrow(value.cast(), field.into()) }?;
        // SAFETY: `out` is not NULL and writable (the caller's contract).
        unsafe { out.write(slice_of(borrowed, element_align(f))) };
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// As [`rsl_bound_borrow`], for a text field only, whose bytes must be
/// UTF-8 (what the Rust host's `text` reads): `RSL_ERROR_UTF8` otherwise,
/// `*out` untouched (read them with [`rsl_bound_borrow`]); an elements
/// field is `RSL_ERROR_ARGUMENT`.
///
/// # Safety
///
/// As [`rsl_bound_borrow`].
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_text(
    bound: *const rsl_bound,
    value: *const c_void,
    field: rsl_field,
    out: *mut rsl_slice,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if value.is_null() || out.is_null() {
            return Err(Failure::null("the value or the output slice"));
        }
        let f = declared(&b.bound, field, "borrow")?;
        if f.access == Access::Elements {
            return Err(Failure::argument(format!(
                "`{}.{}` is an elements field, not text",
                b.bound.need().type_name,
                f.name
            )));
        }
        // SAFETY: as in `rsl_bound_borrow`.
        let borrowed = unsafe { b.bound.borrow(value.cast(), field.into()) }?;
        utf8(
            &format!("{}.{}", b.bound.need().type_name, f.name),
            borrowed,
        )?;
        // SAFETY: `out` is not NULL and writable (the caller's contract).
        unsafe { out.write(slice_of(borrowed, 1)) };
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Replaces text or elements field `field` of the value at `value` with a
/// copy of `len` bytes (text) or elements at `ptr`, made (and later freed)
/// by the library's own allocator through its setter; the caller keeps its
/// buffer. `ptr` NULL stores nothing (an optional text field only; else
/// `RSL_ERROR_NULL`). Text must be UTF-8 (`RSL_ERROR_UTF8` otherwise,
/// nothing written); elements must be aligned for their type
/// (`RSL_ERROR_ARGUMENT`). A field written by value is
/// `RSL_ERROR_ARGUMENT`.
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `value` is NULL or a live value of
/// the bound type that nobody else accesses during the call; `ptr` is NULL
/// or readable for `len` elements of the field's type; `err` is NULL or a
/// live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_replace(
    bound: *const rsl_bound,
    value: *mut c_void,
    field: rsl_field,
    ptr: *const c_void,
    len: usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if value.is_null() {
            return Err(Failure::null("the value"));
        }
        let f = declared(&b.bound, field, "replace")?;
        // SAFETY: `ptr` is NULL or readable for `len` elements (the
        // caller's contract).
        let bytes = unsafe { contents(f, ptr, len) }?;
        // SAFETY: `value` is a live value of the bound type that nobody
        // else accesses during the call (the caller's contract).
        unsafe { b.bound.replace(value.cast(), field.into(), bytes) }?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// [`rsl_bound_borrow`] for a value on the heap.
///
/// # Safety
///
/// `value` is NULL or a live value nobody writes while the contents are
/// used; `out` is NULL or writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_borrow(
    value: *const rsl_value,
    field: rsl_field,
    out: *mut rsl_slice,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `value` is NULL or a live value nobody writes while the
        // contents are used (the caller's contract).
        let v = unsafe { handle(value, "the value") }?;
        if out.is_null() {
            return Err(Failure::null("the output slice"));
        }
        let b = v.value.bound();
        let index = usize::try_from(field.index).unwrap_or(usize::MAX);
        let align = b.need().fields.get(index).map_or(1, element_align);
        let borrowed = v.value.borrow(field.into())?;
        // SAFETY: `out` is not NULL and writable (the caller's contract).
        unsafe { out.write(slice_of(borrowed, align)) };
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// [`rsl_bound_replace`] for a value on the heap.
///
/// # Safety
///
/// `value` is NULL or a live value nobody else uses during the call; `ptr`
/// is NULL or readable for `len` elements of the field's type; `err` is
/// NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_replace(
    value: *mut rsl_value,
    field: rsl_field,
    ptr: *const c_void,
    len: usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `value` is NULL or a live value nobody else uses during
        // the call (the caller's contract).
        let v = unsafe { handle_mut(value, "the value") }?;
        // The token first: no buffer is formed by another binding's field.
        let f = declared(v.value.bound(), field, "replace")?.clone();
        // SAFETY: `ptr` is NULL or readable for `len` elements (the
        // caller's contract).
        let bytes = unsafe { contents(&f, ptr, len) }?;
        v.value.replace(field.into(), bytes)?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

// -------------------------------------------------------------------- enums

/// `*out` for a value in a case the enum view does not name (the header's
/// `RSL_UNKNOWN_CASE`).
pub const RSL_UNKNOWN_CASE: usize = usize::MAX;

/// A new view of enum `type_name` of module `module`, with no cases
/// ([`DynView::new_enum`]).
///
/// # Safety
///
/// `module` and `type_name` are NULL or NUL-terminated; `out` is NULL or
/// writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_enum_view_new(
    module: *const c_char,
    type_name: *const c_char,
    out: *mut *mut rsl_view,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: both strings are NULL or NUL-terminated (the caller's
        // contract).
        let (module, ty) = unsafe {
            (
                text(module, "the module")?,
                text(type_name, "the type name")?,
            )
        };
        let view = DynView::new_enum(module, ty)?;
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, rsl_view { view }) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Adds case `name` to an enum view ([`DynView::add_case`]); its index is
/// the number of cases added before it.
///
/// # Safety
///
/// `view` is NULL or a live view no other thread uses during the call;
/// `name` is NULL or NUL-terminated; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_view_add_case(
    view: *mut rsl_view,
    name: *const c_char,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `view` is NULL or a live view, unshared during the call;
        // `name` is NULL or NUL-terminated (the caller's contract).
        let (v, name) = unsafe { (handle_mut(view, "the view")?, text(name, "the case name")?) };
        v.view.add_case(name)?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Adds payload field `name` of case `case` to an enum view, read by value
/// as `expected` ([`DynView::add_payload`]); its index is the number of
/// payload fields added before it, to any case.
///
/// # Safety
///
/// `view` is NULL or a live view no other thread uses during the call;
/// `name` is NULL or NUL-terminated; `expected` is NULL or a readable
/// description (see [`rsl_expect`]); `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_view_add_payload(
    view: *mut rsl_view,
    case: usize,
    name: *const c_char,
    required: c_int,
    expected: *const rsl_expect,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: the caller's contract:
        // - `view` is NULL or a live view, unshared during the call;
        // - `name` is NULL or NUL-terminated;
        // - `expected` is NULL or a readable description.
        let (v, name, id) = unsafe {
            (
                handle_mut(view, "the view")?,
                text(name, "the payload field name")?,
                identity_of(expected, 0)?,
            )
        };
        v.view.add_payload(case, name, required != 0, id)?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// The number of cases the bound enum view names (0 for a struct view, or
/// NULL).
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_case_count(bound: *const rsl_bound) -> usize {
    // SAFETY: the caller's contract.
    unsafe { bound_query(bound, 0, |b| b.case_names.len()) }
}

/// The name of the bound enum view's case `index` ("" out of range, or for
/// NULL), owned by `bound`.
///
/// # Safety
///
/// `bound` is NULL or a live bound view.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_case_name(
    bound: *const rsl_bound,
    index: usize,
) -> *const c_char {
    // SAFETY: the caller's contract.
    match unsafe { bound.as_ref() } {
        Some(b) => b.case_names.get(index).map_or(c"".as_ptr(), |n| n.as_ptr()),
        None => c"".as_ptr(),
    }
}

/// The case of the value at `value`: `*out` is its index among the cases
/// the bound enum view names, or [`RSL_UNKNOWN_CASE`] for a case it does
/// not name ([`DynBound::case_of`]).
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `value` is NULL or a live value of
/// the bound type nobody writes during the call; `out` is NULL or
/// writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_case(
    bound: *const rsl_bound,
    value: *const c_void,
    out: *mut usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if value.is_null() || out.is_null() {
            return Err(Failure::null("the value or the output pointer"));
        }
        // SAFETY: `value` is a live value of the bound type (the caller's
        // contract).
        let case = unsafe { b.bound.case_of(value.cast()) }?;
        // SAFETY: `out` is not NULL and writable (the caller's contract).
        unsafe { out.write(case.unwrap_or(RSL_UNKNOWN_CASE)) };
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// As [`rsl_bound_case`], on a heap value (its own binding).
///
/// # Safety
///
/// `value` is NULL or a live value nobody writes during the call; `out` is
/// NULL or writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_case(
    value: *const rsl_value,
    out: *mut usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `value` is NULL or a live value (the caller's contract).
        let v = unsafe { handle(value, "the value") }?;
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        let case = v.value.case_of()?;
        // SAFETY: `out` is not NULL and writable (the caller's contract).
        unsafe { out.write(case.unwrap_or(RSL_UNKNOWN_CASE)) };
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// The token of payload field `name` of the bound enum view's case `case`,
/// to be read as `as_` (NULL: as the view declared it)
/// ([`DynBound::payload_token`]): `RSL_OK`, or `RSL_ABSENT` for an optional
/// field the library lacks (`*out` untouched).
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `name` is NULL or NUL-terminated;
/// `as_` is NULL or a readable description; `out` is NULL or writable;
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_payload(
    bound: *const rsl_bound,
    case: usize,
    name: *const c_char,
    as_: *const rsl_expect,
    out: *mut rsl_field,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view, `name` NULL or
        // NUL-terminated (the caller's contract).
        let (b, name) = unsafe {
            (
                handle(bound, "the bound view")?,
                text(name, "the payload field name")?,
            )
        };
        let asked = if as_.is_null() {
            None
        } else {
            // SAFETY: `as_` is a readable description (the caller's
            // contract).
            Some(unsafe { identity_of(as_, 0) }?)
        };
        let token = b.bound.payload_token(case, name, asked.as_ref())?;
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give_token(out, token) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// The token of the bound enum view's payload field `position` of case
/// `case` (in the order the view declared the case's fields), to be read
/// or written as `as_` (NULL: as declared) ([`DynBound::payload_token_at`]):
/// `RSL_OK`, or `RSL_ABSENT` for an optional field the library lacks.
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `as_` is NULL or a readable
/// description; `out` is NULL or writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_payload_at(
    bound: *const rsl_bound,
    case: usize,
    position: usize,
    as_: *const rsl_expect,
    out: *mut rsl_field,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        let asked = if as_.is_null() {
            None
        } else {
            // SAFETY: `as_` is a readable description (the caller's
            // contract).
            Some(unsafe { identity_of(as_, 0) }?)
        };
        let token = b.bound.payload_token_at(case, position, asked.as_ref())?;
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give_token(out, token) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// The `count` payload values at `values` as a slice (empty for 0).
///
/// # Safety
///
/// `values` is readable for `count` pointers, or `count` is 0.
unsafe fn payload_values<'a>(values: *const *const c_void, count: usize) -> Res<&'a [*const u8]> {
    if count == 0 {
        return Ok(&[]);
    }
    if values.is_null() {
        return Err(Failure::null("the payload values"));
    }
    // SAFETY: not NULL, readable for `count` pointers (the caller's
    // contract).
    Ok(unsafe { core::slice::from_raw_parts(values.cast::<*const u8>(), count) })
}

/// Writes a value of the bound enum view's case `case` into `room`
/// (`room_size` bytes), built by the library's `write_case` witness from
/// `values` ([`DynBound::write_case_at`]).
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `room` is NULL or writable for
/// `room_size` bytes, holds no live value, and outlives the value, which is
/// dropped with [`rsl_bound_drop_at`] exactly once; `values` is readable
/// for `count` pointers (or `count` is 0), each NULL or pointing at the
/// size of its payload field of readable bytes; `err` is NULL or a live
/// error.
#[no_mangle]
pub unsafe extern "C" fn rsl_bound_write_case(
    bound: *const rsl_bound,
    case: usize,
    values: *const *const c_void,
    count: usize,
    room: *mut c_void,
    room_size: usize,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view; `values` readable
        // for `count` pointers (the caller's contract).
        let (b, values) = unsafe {
            (
                handle(bound, "the bound view")?,
                payload_values(values, count)?,
            )
        };
        // SAFETY: the caller's contract: `room` is NULL (refused) or
        // writable for `room_size` bytes, holding no live value; each value
        // pointer is NULL or readable for its field's size.
        unsafe { b.bound.write_case_at(room.cast(), room_size, case, values) }?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// A new value of the bound enum view's case `case` on the heap, built by
/// the library's `write_case` witness from `values`
/// ([`DynValue::new_case`]): `*out`, freed by [`rsl_value_free`].
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `values` is readable for `count`
/// pointers (or `count` is 0), each NULL or pointing at the size of its
/// payload field of readable bytes; `out` is NULL or writable; `err` is
/// NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_value_new_case(
    bound: *const rsl_bound,
    case: usize,
    values: *const *const c_void,
    count: usize,
    out: *mut *mut rsl_value,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view; `values` readable
        // for `count` pointers (the caller's contract).
        let (b, values) = unsafe {
            (
                handle(bound, "the bound view")?,
                payload_values(values, count)?,
            )
        };
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        // SAFETY: each value pointer is NULL or readable for its field's
        // size (the caller's contract).
        let value = unsafe { DynValue::new_case(&b.bound, case, values) }?;
        // SAFETY: `out` is writable (the caller's contract).
        unsafe { give(out, rsl_value { value }) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

// -------------------------------------------------------------------- room

/// Room on the heap for one value of the bound type (its size and
/// alignment), holding none yet: where a function's owned result
/// (`RSL_PASS_OWNED`) is written.
///
/// # Safety
///
/// `bound` is NULL or a live bound view; `out` is NULL or writable; `err`
/// is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_room_new(
    bound: *const rsl_bound,
    out: *mut *mut rsl_room,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `bound` is NULL or a live bound view (the caller's
        // contract).
        let b = unsafe { handle(bound, "the bound view") }?;
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        let room = DynRoom::new(&b.bound)?;
        // SAFETY: `out` is writable (the caller's contract).
        unsafe { give(out, rsl_room { room }) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// The room's address (NULL for NULL): aligned to the type, valid until the
/// room is freed or made a value.
///
/// # Safety
///
/// `room` is NULL or a live room.
#[no_mangle]
pub unsafe extern "C" fn rsl_room_data(room: *mut rsl_room) -> *mut c_void {
    // SAFETY: the caller's contract.
    match unsafe { room.as_mut() } {
        Some(r) => r.room.as_mut_ptr().cast(),
        None => core::ptr::null_mut(),
    }
}

/// Makes the value the room holds a heap value (`*out`, freed by
/// [`rsl_value_free`], which drops it); the room handle is consumed on
/// success, untouched on error.
///
/// # Safety
///
/// `room` is NULL or a live room into which a live value of its type was
/// moved (a thunk returned `RSL_STATUS_OK` for an owned result written at
/// [`rsl_room_data`]), owned by nothing else; it is not used afterwards.
/// `out` is NULL or writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_room_into_value(
    room: *mut rsl_room,
    out: *mut *mut rsl_value,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        if room.is_null() || out.is_null() {
            return Err(Failure::null("the room or the output pointer"));
        }
        // SAFETY: a live room made by `rsl_room_new` (`Box::into_raw`),
        // consumed here once (the caller's contract).
        let r = unsafe { Box::from_raw(room) };
        // SAFETY: a live value of the room's type was moved into it, owned
        // by nothing else (the caller's contract).
        let value = unsafe { r.room.assume_init() };
        // SAFETY: `out` is writable (the caller's contract).
        unsafe { give(out, rsl_value { value }) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Frees a room that holds no value (the call that was to fill it failed):
/// nothing is dropped. NULL is ignored.
///
/// # Safety
///
/// `room` is NULL or made by [`rsl_room_new`], not freed or made a value
/// before, and not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_room_free(room: *mut rsl_room) {
    // SAFETY: the caller's contract.
    unsafe { free(room) }
}

// --------------------------------------------------------------- functions

/// The parameter or result `p` (named `name`) as the function rule compares
/// it: its pass code and identity, checked to be one a caller can lower.
///
/// # Safety
///
/// `p.type` is NULL or a readable description (see [`rsl_expect`]).
unsafe fn param_of(p: &rsl_param, name: String, result: bool) -> Res<ParamLayout> {
    let what = if result { "the result" } else { "a parameter" };
    let typed = |kind: u32, shape: &str| -> Res<Identity> {
        // SAFETY: `p.type` is NULL or readable (the caller's contract).
        let e = unsafe { handle(p.r#type, "the parameter's type") }?;
        if e.kind != kind {
            return Err(Failure::argument(format!(
                "{name}: {} is passed with {shape}",
                pass::name(p.pass)
            )));
        }
        // SAFETY: as above, recursively.
        unsafe { identity_of(p.r#type, 0) }
    };
    let identity = match (p.pass, result) {
        (pass::VALUE, _) | (pass::SLICE, false) => typed(RSL_EXPECT_SCALAR, "a scalar type")?,
        (pass::REF | pass::MUT | pass::OPT_REF, false) | (pass::OWNED, true) => {
            typed(RSL_EXPECT_NESTED, "an exported type (RSL_EXPECT_NESTED)")?
        }
        (pass::STR, false) => Identity::from_record(&<&str as layout_meta::Param>::IDENTITY),
        (pass::UNIT, true) => Identity::from_record(&<() as layout_meta::FieldType>::IDENTITY),
        (other, _) => {
            return Err(Failure::argument(format!(
                "{name}: pass code {other} is not one {what} can have"
            )))
        }
    };
    Ok(ParamLayout {
        name,
        pass: p.pass,
        identity,
    })
}

/// The `count` parameter records at `params` (NULL only if `count` is 0).
///
/// # Safety
///
/// `params` is NULL or readable for `count` records, for `'a`.
unsafe fn params_of<'a>(params: *const rsl_param, count: usize) -> Res<&'a [rsl_param]> {
    if count == 0 {
        Ok(&[])
    } else if params.is_null() {
        Err(Failure::null("the parameters"))
    } else {
        // SAFETY: not NULL, readable for `count` records (the caller's
        // contract).
        Ok(unsafe { core::slice::from_raw_parts(params, count) })
    }
}

/// Binds function `name` of module `module` in `lib`, with the parameters
/// and result described, by the one function rule,
/// [`layout_meta::compat::bind_function`] (as the Rust host's `api!`
/// does): `RSL_OK` with a bound function in `*out`; `RSL_ABSENT` if the
/// function is optional (`required` 0) and the library lacks it (`*out`
/// untouched); `RSL_ERROR_BIND` with the Rust binder's message otherwise.
///
/// # Safety
///
/// `lib` is NULL or a live library; `module` and `name` are NULL or
/// NUL-terminated; `params` is NULL or readable for `param_count` records
/// whose types are NULL or readable descriptions (see [`rsl_expect`]);
/// `result` is NULL or such a record; `out` is NULL or writable; `err` is
/// NULL or a live error.
#[no_mangle]
#[allow(
    clippy::too_many_arguments,
    reason = "the C signature: a function described as data"
)]
pub unsafe extern "C" fn rsl_function_bind(
    lib: *const rsl_library,
    module: *const c_char,
    name: *const c_char,
    params: *const rsl_param,
    param_count: usize,
    result: *const rsl_param,
    required: c_int,
    out: *mut *mut rsl_function,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `lib` is NULL or live, `module` and `name` NULL or
        // NUL-terminated, `result` NULL or readable (the caller's contract).
        let (l, module, name, result) = unsafe {
            (
                handle(lib, "the library")?,
                text(module, "the module")?,
                text(name, "the function name")?,
                handle(result, "the result")?,
            )
        };
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        if param_count > layout_meta::limits::MAX_PARAMS {
            return Err(Failure::argument(format!(
                "{param_count} parameters: a function has at most {}",
                layout_meta::limits::MAX_PARAMS
            )));
        }
        // SAFETY: `params` is NULL or readable for `param_count` records
        // (the caller's contract).
        let params = unsafe { params_of(params, param_count) }?;
        let want = FunctionLayout {
            name: name.into(),
            abi: abi::THUNK_V2,
            flags: 0,
            params: params
                .iter()
                .enumerate()
                // SAFETY: each record's type is NULL or readable (the
                // caller's contract). Named as the Rust host names them.
                .map(|(i, p)| unsafe { param_of(p, format!("p{i}"), false) })
                .collect::<Res<Vec<_>>>()?,
            // SAFETY: as above.
            ret: unsafe { param_of(result, "return".into(), true) }?,
            thunk: 0,
        };
        // The binder `api!` binds with: the one function rule, and each
        // type a reference or the result refers to.
        let Some(bound) = dynamic::DynFunction::bind(&l.lib, module, &want, required != 0)? else {
            return Ok(RSL_ABSENT);
        };
        let handle = rsl_function {
            function: Arc::clone(bound.function()),
            name: c_string(name.into()),
            types: bound.bindings().iter().map(|b| b.get()).collect(),
            result_type: bound.result_type().map_or(0, |t| t.id().get()),
        };
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, handle) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Frees a bound function. NULL is ignored. The library is unloaded after
/// its last handle, binding, value and bound function are freed.
///
/// # Safety
///
/// `f` is NULL or made by [`rsl_function_bind`], not freed before and not
/// used afterwards (nor its thunk called).
#[no_mangle]
pub unsafe extern "C" fn rsl_function_free(f: *mut rsl_function) {
    // SAFETY: the caller's contract.
    unsafe { free(f) }
}

/// # Safety
///
/// `f` is NULL or a live bound function.
unsafe fn function_query<T>(
    f: *const rsl_function,
    default: T,
    q: impl FnOnce(&rsl_function) -> T,
) -> T {
    // SAFETY: the caller's contract.
    match unsafe { f.as_ref() } {
        Some(f) => quiet(default, || q(f)),
        None => default,
    }
}

/// The function's thunk (NULL for NULL): call it through exactly the
/// signature the function was bound with, lowered as docs/FORMAT.md
/// ("Functions") says, while `f` lives.
///
/// # Safety
///
/// `f` is NULL or a live bound function.
#[no_mangle]
pub unsafe extern "C" fn rsl_function_thunk(f: *const rsl_function) -> rsl_thunk {
    // SAFETY: the caller's contract.
    unsafe { function_query(f, None, |f| Some(f.function.thunk())) }
}

/// The function's name ("" for NULL), owned by `f`.
///
/// # Safety
///
/// `f` is NULL or a live bound function.
#[no_mangle]
pub unsafe extern "C" fn rsl_function_name(f: *const rsl_function) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { function_query(f, c"".as_ptr(), |f| f.name.as_ptr()) }
}

/// The number of parameters (0 for NULL).
///
/// # Safety
///
/// `f` is NULL or a live bound function.
#[no_mangle]
pub unsafe extern "C" fn rsl_function_param_count(f: *const rsl_function) -> usize {
    // SAFETY: the caller's contract.
    unsafe { function_query(f, 0, |f| f.types.len()) }
}

/// For reference parameter `index`, the id of the library's type its
/// values must have ([`rsl_bound_type_id`] of their binding); 0 for any
/// other parameter, an index out of range, or NULL.
///
/// # Safety
///
/// `f` is NULL or a live bound function.
#[no_mangle]
pub unsafe extern "C" fn rsl_function_param_type(f: *const rsl_function, index: usize) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { function_query(f, 0, |f| f.types.get(index).copied().unwrap_or(0)) }
}

/// For an owned result (`RSL_PASS_OWNED`), the id of the library's type it
/// is a value of ([`rsl_bound_type_id`] of that type's bindings); 0 for any
/// other result, or NULL.
///
/// # Safety
///
/// `f` is NULL or a live bound function.
#[no_mangle]
pub unsafe extern "C" fn rsl_function_result_type(f: *const rsl_function) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { function_query(f, 0, |f| f.result_type) }
}

/// Takes the message out of `call` and frees it with the library's own
/// `free` (once: `call` is emptied).
///
/// # Safety
///
/// `call` is NULL or the error a thunk of a live library filled (or left
/// empty), not freed before.
unsafe fn take_message(call: *mut CallError) -> String {
    // SAFETY: the caller's contract.
    let Some(c) = (unsafe { call.as_mut() }) else {
        return String::new();
    };
    let taken = core::mem::replace(c, CallError::EMPTY);
    let message = if taken.ptr.is_null() {
        String::new()
    } else {
        // SAFETY: the thunk wrote a message of `len` bytes it allocated
        // (the calling convention); valid until `free`.
        let bytes = unsafe { core::slice::from_raw_parts(taken.ptr, taken.len) };
        String::from_utf8_lossy(bytes).into_owned()
    };
    if let Some(free) = taken.free {
        // SAFETY: the library's own `free` for its own message, once.
        unsafe { free(taken.ptr, taken.len, taken.cap) };
    }
    message
}

/// After a call of `f`'s thunk returned `status` (not `RSL_STATUS_OK`):
/// reads the message the thunk left in `call`, frees it with the library's
/// own `free` (exactly once, even if `f` is NULL; `call` is emptied), and
/// writes the Rust host's error for the call into `err` (naming the
/// function and library; a failure's message, or a panic's or exception's).
/// Returns `RSL_ERROR_CALL` (`RSL_ERROR_NULL` if `f` is NULL).
///
/// # Safety
///
/// `f` is NULL or a live bound function; `call` is NULL or the error its
/// thunk filled, not freed before; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_function_call_failed(
    f: *const rsl_function,
    status: u32,
    call: *mut CallError,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // First: the message is freed whatever else fails.
        // SAFETY: `call` is NULL or the thunk's error, not freed (the
        // caller's contract).
        let message = unsafe { take_message(call) };
        // SAFETY: `f` is NULL or live (the caller's contract).
        let f = unsafe { handle(f, "the function") }?;
        let e = TypesError::Call {
            function: f.function.layout().name.clone(),
            origin: f.function.origin().clone(),
            panicked: status != status::FAILED,
            message,
        };
        Err(Failure {
            status: RSL_ERROR_CALL,
            message: e.to_string(),
        })
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

// -------------------------------------------------------------- interfaces

/// An interface described as data: made by [`rsl_interface_new`], freed by
/// [`rsl_interface_free`].
#[derive(Debug)]
pub struct rsl_interface {
    iface: DynInterface,
}

/// The implementations of an interface a library exports, bound: made by
/// [`rsl_interface_bind`], freed by [`rsl_impl_list_free`].
#[derive(Debug)]
pub struct rsl_impl_list {
    impls: Vec<Arc<ImplHandle>>,
}

/// One bound implementation, shared by the list and every [`rsl_impl`]
/// handed out for it.
#[derive(Debug)]
struct ImplHandle {
    imp: DynImpl,
    type_name: CString,
    interface: CString,
    /// Per declared method: the id of the library's type an owned result is
    /// a value of (0 for other results, or a method this type lacks).
    result_types: Vec<u64>,
}

/// One type's implementation of an interface, bound: made by
/// [`rsl_impl_list_get`], freed by [`rsl_impl_free`]. It keeps the library
/// loaded.
#[derive(Debug)]
pub struct rsl_impl {
    imp: Arc<ImplHandle>,
}

// Implementations are immutable once bound: shared between threads as
// libraries, bindings and functions are.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<rsl_impl_list>();
    shared::<rsl_impl>();
};

/// A new interface `name` of module `module`, with no methods.
///
/// # Safety
///
/// `module` and `name` are NULL or NUL-terminated; `out` is NULL or
/// writable; `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_interface_new(
    module: *const c_char,
    name: *const c_char,
    out: *mut *mut rsl_interface,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: both strings are NULL or NUL-terminated (the caller's
        // contract).
        let (module, name) = unsafe {
            (
                text(module, "the module")?,
                text(name, "the interface name")?,
            )
        };
        let iface = DynInterface::new(module, name)?;
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, rsl_interface { iface }) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Frees an interface. NULL is ignored. Implementations bound from it do
/// not need it.
///
/// # Safety
///
/// `iface` is NULL or made by [`rsl_interface_new`], not freed before and
/// not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_interface_free(iface: *mut rsl_interface) {
    // SAFETY: the caller's contract.
    unsafe { free(iface) }
}

/// Adds method `name` to the interface: the receiver `receiver`
/// (`RSL_PASS_REF` for `&self`, `RSL_PASS_MUT` for `&mut self`: the
/// implementing type, whichever it is), then `param_count` parameters and
/// the result, described as for [`rsl_function_bind`]; required (nonzero)
/// or optional (0). Its index is the number of methods added before it.
///
/// # Safety
///
/// `iface` is NULL or a live interface no other thread uses during the
/// call; `name` is NULL or NUL-terminated; `params` is NULL or readable for
/// `param_count` records whose types are NULL or readable descriptions;
/// `result` is NULL or such a record; `err` is NULL or a live error.
#[no_mangle]
#[allow(
    clippy::too_many_arguments,
    reason = "the C signature: a method described as data"
)]
pub unsafe extern "C" fn rsl_interface_add_method(
    iface: *mut rsl_interface,
    name: *const c_char,
    receiver: u32,
    params: *const rsl_param,
    param_count: usize,
    result: *const rsl_param,
    required: c_int,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `iface` is NULL or live and unshared, `name` NULL or
        // NUL-terminated, `result` NULL or readable (the caller's contract).
        let (i, name, result) = unsafe {
            (
                handle_mut(iface, "the interface")?,
                text(name, "the method name")?,
                handle(result, "the result")?,
            )
        };
        if param_count >= layout_meta::limits::MAX_PARAMS {
            return Err(Failure::argument(format!(
                "{param_count} parameters and the receiver: a method has at most {}",
                layout_meta::limits::MAX_PARAMS
            )));
        }
        // SAFETY: `params` is NULL or readable for `param_count` records
        // (the caller's contract).
        let params = unsafe { params_of(params, param_count) }?;
        let params = params
            .iter()
            .enumerate()
            // SAFETY: each record's type is NULL or readable (the caller's
            // contract). Named as the Rust host names a method's.
            .map(|(i, p)| unsafe { param_of(p, format!("p{}", i + 1), false) })
            .collect::<Res<Vec<_>>>()?;
        // SAFETY: as above.
        let ret = unsafe { param_of(result, "return".into(), true) }?;
        i.iface
            .add_method(name, receiver, params, ret, required != 0)?;
        Ok(RSL_OK)
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Binds `iface` to every implementation of it that `lib` exports, through
/// the code the Rust host's `implementations()` binds with: each method by
/// the one function rule, [`layout_meta::compat::bind_function`], the
/// receiver being the implementing type. On success `*out` lists them (none
/// if no type implements the interface). `RSL_ERROR_BIND` with the Rust
/// binder's message otherwise: every method any implementation lacks or
/// retyped, each naming the type, the interface, the method and the
/// parameter.
///
/// # Safety
///
/// `iface` and `lib` are NULL or live handles; `out` is NULL or writable;
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_interface_bind(
    iface: *const rsl_interface,
    lib: *const rsl_library,
    out: *mut *mut rsl_impl_list,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `iface` and `lib` are NULL or live handles (the caller's
        // contract).
        let (i, l) = unsafe { (handle(iface, "the interface")?, handle(lib, "the library")?) };
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        let impls = i
            .iface
            .bind(&l.lib)?
            .into_iter()
            .map(|imp| {
                let result_types = (0..imp.method_count())
                    .map(|m| imp.method_result_type(m).map_or(0, |t| t.id().get()))
                    .collect();
                Arc::new(ImplHandle {
                    type_name: c_string(imp.type_name().into()),
                    interface: c_string(imp.interface().into()),
                    result_types,
                    imp,
                })
            })
            .collect();
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, rsl_impl_list { impls }) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Frees a list of implementations. NULL is ignored. Implementations taken
/// from it ([`rsl_impl_list_get`]) stay valid.
///
/// # Safety
///
/// `list` is NULL or made by [`rsl_interface_bind`], not freed before and
/// not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_list_free(list: *mut rsl_impl_list) {
    // SAFETY: the caller's contract.
    unsafe { free(list) }
}

/// The number of implementations in the list (0 for NULL).
///
/// # Safety
///
/// `list` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_list_count(list: *const rsl_impl_list) -> usize {
    // SAFETY: the caller's contract.
    match unsafe { list.as_ref() } {
        Some(l) => l.impls.len(),
        None => 0,
    }
}

/// Implementation `index` of the list, as a new handle (freed by
/// [`rsl_impl_free`]; it keeps the library loaded).
///
/// # Safety
///
/// `list` is NULL or a live list; `out` is NULL or writable; `err` is NULL
/// or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_list_get(
    list: *const rsl_impl_list,
    index: usize,
    out: *mut *mut rsl_impl,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `list` is NULL or live (the caller's contract).
        let l = unsafe { handle(list, "the implementation list") }?;
        let imp = l.impls.get(index).ok_or_else(|| {
            Failure::argument(format!(
                "implementation {index} of a list of {}",
                l.impls.len()
            ))
        })?;
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe {
            give(
                out,
                rsl_impl {
                    imp: Arc::clone(imp),
                },
            )
        }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// Frees an implementation. NULL is ignored. Methods and bindings taken
/// from it stay valid.
///
/// # Safety
///
/// `imp` is NULL or made by [`rsl_impl_list_get`], not freed before and not
/// used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_free(imp: *mut rsl_impl) {
    // SAFETY: the caller's contract.
    unsafe { free(imp) }
}

/// # Safety
///
/// `imp` is NULL or a live implementation.
unsafe fn impl_query<T>(imp: *const rsl_impl, default: T, q: impl FnOnce(&ImplHandle) -> T) -> T {
    // SAFETY: the caller's contract.
    match unsafe { imp.as_ref() } {
        Some(i) => quiet(default, || q(&i.imp)),
        None => default,
    }
}

/// The implementing type's name ("" for NULL), owned by `imp`.
///
/// # Safety
///
/// `imp` is NULL or a live implementation.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_type_name(imp: *const rsl_impl) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { impl_query(imp, c"".as_ptr(), |i| i.type_name.as_ptr()) }
}

/// The interface's name ("" for NULL), owned by `imp`.
///
/// # Safety
///
/// `imp` is NULL or a live implementation.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_interface(imp: *const rsl_impl) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { impl_query(imp, c"".as_ptr(), |i| i.interface.as_ptr()) }
}

/// The id of the implementing type (0 for NULL): what
/// [`rsl_bound_type_id`] gives for its bindings, and the type every
/// method's receiver takes.
///
/// # Safety
///
/// `imp` is NULL or a live implementation.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_type_id(imp: *const rsl_impl) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { impl_query(imp, 0, |i| i.imp.values().foreign_type().id().get()) }
}

/// The number of methods the interface declared when it was bound (0 for
/// NULL).
///
/// # Safety
///
/// `imp` is NULL or a live implementation.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_method_count(imp: *const rsl_impl) -> usize {
    // SAFETY: the caller's contract.
    unsafe { impl_query(imp, 0, |i| i.imp.method_count()) }
}

/// Declared method `index` of the implementation, as a bound function
/// (freed by [`rsl_function_free`]) whose parameter 0 is the receiver:
/// call its thunk with a value of the implementing type
/// ([`rsl_function_param_type`] of parameter 0 is [`rsl_impl_type_id`]).
/// `RSL_ABSENT` for an optional method this type lacks (`*out` untouched);
/// `RSL_ERROR_ARGUMENT` for an index out of range.
///
/// # Safety
///
/// `imp` is NULL or a live implementation; `out` is NULL or writable;
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_method(
    imp: *const rsl_impl,
    index: usize,
    out: *mut *mut rsl_function,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `imp` is NULL or live (the caller's contract).
        let i = unsafe { handle(imp, "the implementation") }?;
        if out.is_null() {
            return Err(Failure::null("the output pointer"));
        }
        let count = i.imp.imp.method_count();
        if index >= count {
            return Err(Failure::argument(format!(
                "method {index} of an interface declared with {count}"
            )));
        }
        let Some((function, bindings)) = i.imp.imp.method(index) else {
            return Ok(RSL_ABSENT);
        };
        let handle = rsl_function {
            function: Arc::clone(function),
            name: c_string(function.layout().name.clone()),
            types: bindings.iter().map(|b| b.get()).collect(),
            result_type: i.imp.result_types.get(index).copied().unwrap_or(0),
        };
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, handle) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

/// A binding of the implementing type without fields (freed by
/// [`rsl_bound_free`]): values of the type are made, copied and dropped
/// through it by the library's witnesses ([`rsl_value_new`],
/// [`rsl_bound_init_at`]), and are what the methods take.
///
/// # Safety
///
/// `imp` is NULL or a live implementation; `out` is NULL or writable;
/// `err` is NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn rsl_impl_bound(
    imp: *const rsl_impl,
    out: *mut *mut rsl_bound,
    err: *mut rsl_error,
) -> rsl_status {
    let run = || {
        // SAFETY: `imp` is NULL or live (the caller's contract).
        let i = unsafe { handle(imp, "the implementation") }?;
        let handle = rsl_bound::new(Arc::clone(i.imp.imp.values()), i.imp.type_name.clone());
        // SAFETY: `out` is NULL or writable (the caller's contract).
        unsafe { give(out, handle) }
    };
    // SAFETY: `err` is NULL or a live error, unshared (the caller's contract).
    unsafe { guard(err, run) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(err: *const rsl_error) -> String {
        // SAFETY: a live error of this test.
        unsafe { CStr::from_ptr(rsl_error_message(err)) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn null_arguments_are_error_codes() {
        let err = rsl_error_new();
        let mut lib = core::ptr::null_mut();
        // SAFETY: every pointer is NULL or live.
        unsafe {
            assert_eq!(
                rsl_library_open(core::ptr::null(), &mut lib, err),
                RSL_ERROR_NULL
            );
            assert_eq!(rsl_error_status(err), RSL_ERROR_NULL);
            assert_eq!(message(err), "the path is NULL");
            assert_eq!(
                rsl_library_open(c"/no/such/file.so".as_ptr(), core::ptr::null_mut(), err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_library_open(c"/no/such/file.so".as_ptr(), &mut lib, err),
                RSL_ERROR_OPEN
            );
            assert_eq!(message(err), "/no/such/file.so: no such file");
            assert!(lib.is_null());
            assert_eq!(rsl_bound_size(core::ptr::null()), 0);
            assert_eq!(
                CStr::from_ptr(rsl_library_module(core::ptr::null())).to_bytes(),
                b""
            );
            let f = rsl_field {
                binding: 0,
                offset: 0,
                index: 0,
            };
            let mut x = 0u64;
            assert_eq!(
                rsl_value_get(
                    core::ptr::null(),
                    f,
                    (&raw mut x).cast(),
                    8,
                    core::ptr::null_mut()
                ),
                RSL_ERROR_NULL
            );
            rsl_value_free(core::ptr::null_mut());
            rsl_bound_drop_at(core::ptr::null(), core::ptr::null_mut());
            rsl_error_free(err);
        }
    }

    #[test]
    fn enum_entry_points_take_null_and_refuse_mixed_views() {
        let err = rsl_error_new();
        let u32_ = rsl_expect {
            kind: RSL_EXPECT_SCALAR,
            name: c"u32".as_ptr(),
            size: 0,
            align: 0,
            count: 0,
            element: core::ptr::null(),
        };
        let mut view = core::ptr::null_mut();
        let mut out = 7usize;
        let mut v = core::ptr::null_mut();
        // SAFETY: every pointer is NULL or live.
        unsafe {
            assert_eq!(
                rsl_enum_view_new(core::ptr::null(), c"Status".as_ptr(), &mut view, err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_enum_view_new(c"widgets".as_ptr(), c"".as_ptr(), &mut view, err),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(
                rsl_view_add_case(core::ptr::null_mut(), c"Idle".as_ptr(), err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_bound_case(core::ptr::null(), core::ptr::null(), &mut out, err),
                RSL_ERROR_NULL
            );
            assert_eq!(out, 7, "untouched on error");
            assert_eq!(
                rsl_value_case(core::ptr::null(), &mut out, err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_value_new_case(core::ptr::null(), 0, core::ptr::null(), 0, &mut v, err),
                RSL_ERROR_NULL
            );
            assert!(v.is_null());
            assert_eq!(rsl_bound_case_count(core::ptr::null()), 0);
            assert_eq!(
                CStr::from_ptr(rsl_bound_case_name(core::ptr::null(), 0)).to_bytes(),
                b""
            );

            // An enum view has cases, a struct view fields: each refuses
            // the other's.
            assert_eq!(
                rsl_enum_view_new(c"widgets".as_ptr(), c"Status".as_ptr(), &mut view, err),
                RSL_OK
            );
            assert_eq!(rsl_view_add_case(view, c"Busy".as_ptr(), err), RSL_OK);
            assert_eq!(
                rsl_view_add_case(view, c"Busy".as_ptr(), err),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(
                message(err),
                "malformed view: case name `Busy` is empty or declared twice"
            );
            assert_eq!(
                rsl_view_add_payload(view, 0, c"jobs".as_ptr(), 1, &u32_, err),
                RSL_OK
            );
            assert_eq!(
                rsl_view_add_payload(view, 1, c"jobs".as_ptr(), 1, &u32_, err),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(
                message(err),
                "malformed view: payload field `jobs`: the view of `Status` has 1 cases, not case 1"
            );
            assert_eq!(
                rsl_view_add_field(view, c"jobs".as_ptr(), 1, RSL_BY_VALUE, &u32_, err),
                RSL_ERROR_ARGUMENT
            );
            assert!(message(err).contains("is an enum view"), "{}", message(err));
            rsl_view_free(view);
            let mut sview = core::ptr::null_mut();
            assert_eq!(
                rsl_view_new(c"widgets".as_ptr(), c"Widget".as_ptr(), &mut sview, err),
                RSL_OK
            );
            assert_eq!(
                rsl_view_add_case(sview, c"Idle".as_ptr(), err),
                RSL_ERROR_ARGUMENT
            );
            assert!(
                message(err).contains("is a struct view"),
                "{}",
                message(err)
            );
            rsl_view_free(sview);
            rsl_error_free(err);
        }
    }

    #[test]
    fn function_entry_points_take_null() {
        let err = rsl_error_new();
        let mut f = core::ptr::null_mut();
        let unit = rsl_param {
            pass: pass::UNIT,
            r#type: core::ptr::null(),
        };
        // SAFETY: every pointer is NULL or live.
        unsafe {
            assert_eq!(
                rsl_function_bind(
                    core::ptr::null(),
                    c"widgets".as_ptr(),
                    c"f".as_ptr(),
                    core::ptr::null(),
                    0,
                    &unit,
                    1,
                    &mut f,
                    err
                ),
                RSL_ERROR_NULL
            );
            assert_eq!(message(err), "the library is NULL");
            assert!(f.is_null());
            assert!(rsl_function_thunk(core::ptr::null()).is_none());
            assert_eq!(rsl_function_param_count(core::ptr::null()), 0);
            assert_eq!(rsl_function_param_type(core::ptr::null(), 0), 0);
            assert_eq!(rsl_bound_type_id(core::ptr::null()), 0);
            assert_eq!(
                CStr::from_ptr(rsl_function_name(core::ptr::null())).to_bytes(),
                b""
            );
            rsl_function_free(core::ptr::null_mut());
            rsl_error_free(err);
        }
    }

    #[test]
    fn interface_entry_points_take_null() {
        let err = rsl_error_new();
        let unit = rsl_param {
            pass: pass::UNIT,
            r#type: core::ptr::null(),
        };
        let mut iface = core::ptr::null_mut();
        let mut list = core::ptr::null_mut();
        let mut imp = core::ptr::null_mut();
        let mut f = core::ptr::null_mut();
        let mut b = core::ptr::null_mut();
        // SAFETY: every pointer is NULL or live.
        unsafe {
            assert_eq!(
                rsl_interface_new(core::ptr::null(), c"Describe".as_ptr(), &mut iface, err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_interface_new(c"widgets".as_ptr(), c"".as_ptr(), &mut iface, err),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(
                rsl_interface_new(c"widgets".as_ptr(), c"Describe".as_ptr(), &mut iface, err),
                RSL_OK
            );
            // A receiver that is no reference; a method declared twice; a
            // parameter list that is NULL; more parameters than a method
            // has.
            assert_eq!(
                rsl_interface_add_method(
                    iface,
                    c"key".as_ptr(),
                    pass::VALUE,
                    core::ptr::null(),
                    0,
                    &unit,
                    1,
                    err
                ),
                RSL_ERROR_ARGUMENT
            );
            assert!(
                message(err).contains("the receiver is `&self`"),
                "{}",
                message(err)
            );
            assert_eq!(
                rsl_interface_add_method(
                    iface,
                    c"key".as_ptr(),
                    pass::REF,
                    core::ptr::null(),
                    0,
                    &unit,
                    1,
                    err
                ),
                RSL_OK
            );
            assert_eq!(
                rsl_interface_add_method(
                    iface,
                    c"key".as_ptr(),
                    pass::REF,
                    core::ptr::null(),
                    0,
                    &unit,
                    1,
                    err
                ),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(
                rsl_interface_add_method(
                    iface,
                    c"set".as_ptr(),
                    pass::MUT,
                    core::ptr::null(),
                    1,
                    &unit,
                    1,
                    err
                ),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_interface_add_method(
                    iface,
                    c"set".as_ptr(),
                    pass::MUT,
                    core::ptr::null(),
                    64,
                    &unit,
                    1,
                    err
                ),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(
                rsl_interface_bind(iface, core::ptr::null(), &mut list, err),
                RSL_ERROR_NULL
            );
            assert!(list.is_null());
            assert_eq!(rsl_impl_list_count(core::ptr::null()), 0);
            assert_eq!(
                rsl_impl_list_get(core::ptr::null(), 0, &mut imp, err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_impl_method(core::ptr::null(), 0, &mut f, err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_impl_bound(core::ptr::null(), &mut b, err),
                RSL_ERROR_NULL
            );
            assert_eq!(rsl_impl_type_id(core::ptr::null()), 0);
            assert_eq!(rsl_impl_method_count(core::ptr::null()), 0);
            assert_eq!(
                CStr::from_ptr(rsl_impl_type_name(core::ptr::null())).to_bytes(),
                b""
            );
            assert_eq!(
                CStr::from_ptr(rsl_impl_interface(core::ptr::null())).to_bytes(),
                b""
            );
            rsl_impl_free(core::ptr::null_mut());
            rsl_impl_list_free(core::ptr::null_mut());
            rsl_interface_free(iface);
            rsl_interface_free(core::ptr::null_mut());
            rsl_error_free(err);
        }
    }

    #[test]
    fn nested_views_rooms_and_owned_results_take_null() {
        let err = rsl_error_new();
        let mut view = core::ptr::null_mut();
        let mut inner = core::ptr::null_mut();
        let mut b = core::ptr::null_mut();
        let mut at = core::ptr::null_mut();
        let mut room = core::ptr::null_mut();
        let mut v = core::ptr::null_mut();
        let token = rsl_field {
            binding: 1,
            offset: 0,
            index: 0,
        };
        // SAFETY: every pointer is NULL or live.
        unsafe {
            assert_eq!(
                rsl_view_new(c"widgets".as_ptr(), c"Widget".as_ptr(), &mut view, err),
                RSL_OK
            );
            assert_eq!(
                rsl_view_new(c"gadgets".as_ptr(), c"Point".as_ptr(), &mut inner, err),
                RSL_OK
            );
            assert_eq!(
                rsl_view_add_nested(view, c"origin".as_ptr(), 1, core::ptr::null(), err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_view_add_nested(core::ptr::null_mut(), c"origin".as_ptr(), 1, inner, err),
                RSL_ERROR_NULL
            );
            // Another module's type is never nested.
            assert_eq!(
                rsl_view_add_nested(view, c"origin".as_ptr(), 1, inner, err),
                RSL_ERROR_ARGUMENT
            );
            assert!(
                message(err).contains("is of module `gadgets`"),
                "{}",
                message(err)
            );
            // A view nested in itself is a copy of it as it is.
            assert_eq!(
                rsl_view_add_nested(view, c"again".as_ptr(), 0, view, err),
                RSL_OK
            );
            assert_eq!(
                rsl_bound_nested(core::ptr::null(), 0, &mut b, err),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_bound_nested_at(
                    core::ptr::null(),
                    core::ptr::null_mut(),
                    token,
                    &mut at,
                    err
                ),
                RSL_ERROR_NULL
            );
            assert_eq!(
                rsl_room_new(core::ptr::null(), &mut room, err),
                RSL_ERROR_NULL
            );
            assert!(rsl_room_data(core::ptr::null_mut()).is_null());
            assert_eq!(
                rsl_room_into_value(core::ptr::null_mut(), &mut v, err),
                RSL_ERROR_NULL
            );
            assert!(v.is_null());
            rsl_room_free(core::ptr::null_mut());
            assert_eq!(rsl_function_result_type(core::ptr::null()), 0);
            rsl_view_free(view);
            rsl_view_free(inner);
            rsl_error_free(err);
        }
    }

    static FREED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    unsafe extern "C" fn counting_free(ptr: *mut u8, len: usize, cap: usize) {
        FREED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // SAFETY: the parts of the `Vec<u8>` the test leaked.
        drop(unsafe { Vec::from_raw_parts(ptr, len, cap) });
    }

    #[test]
    fn a_failed_calls_message_is_freed_once_even_without_a_function() {
        let mut bytes = core::mem::ManuallyDrop::new(b"boom".to_vec());
        let mut call = CallError {
            ptr: bytes.as_mut_ptr(),
            len: bytes.len(),
            cap: bytes.capacity(),
            free: Some(counting_free),
        };
        let err = rsl_error_new();
        // SAFETY: `call` holds a message made above, freed by its `free`;
        // the function is NULL; `err` is live.
        unsafe {
            assert_eq!(
                rsl_function_call_failed(core::ptr::null(), status::PANICKED, &mut call, err),
                RSL_ERROR_NULL
            );
            assert_eq!(FREED.load(std::sync::atomic::Ordering::SeqCst), 1);
            assert!(call.ptr.is_null() && call.free.is_none(), "emptied");
            // Again: nothing left to free.
            rsl_function_call_failed(core::ptr::null(), status::PANICKED, &mut call, err);
            rsl_function_call_failed(
                core::ptr::null(),
                status::FAILED,
                core::ptr::null_mut(),
                err,
            );
            assert_eq!(FREED.load(std::sync::atomic::Ordering::SeqCst), 1);
            rsl_error_free(err);
        }
    }

    #[test]
    fn malformed_views_are_refused() {
        let err = rsl_error_new();
        let mut view = core::ptr::null_mut();
        // SAFETY: every pointer is NULL or live; `cyclic` refers to itself,
        // which the depth limit stops.
        unsafe {
            assert_eq!(
                rsl_view_new(c"widgets".as_ptr(), c"Widget".as_ptr(), &mut view, err),
                RSL_OK
            );
            let scalar = |name: &CStr| rsl_expect {
                kind: RSL_EXPECT_SCALAR,
                name: name.as_ptr(),
                size: 0,
                align: 0,
                count: 0,
                element: core::ptr::null(),
            };
            let bad = scalar(c"u24");
            assert_eq!(
                rsl_view_add_field(view, c"id".as_ptr(), 1, RSL_BY_VALUE, &bad, err),
                RSL_ERROR_ARGUMENT
            );
            assert!(
                message(err).contains("`u24` is not a scalar name"),
                "{}",
                message(err)
            );
            let mut cyclic = rsl_expect {
                kind: RSL_EXPECT_ARRAY,
                name: core::ptr::null(),
                size: 0,
                align: 0,
                count: 2,
                element: core::ptr::null(),
            };
            cyclic.element = &raw const cyclic;
            assert_eq!(
                rsl_view_add_field(view, c"id".as_ptr(), 1, RSL_BY_VALUE, &cyclic, err),
                RSL_ERROR_ARGUMENT
            );
            let good = scalar(c"u64");
            assert_eq!(
                rsl_view_add_field(view, c"id".as_ptr(), 1, RSL_BY_VALUE, &good, err),
                RSL_OK
            );
            assert_eq!(
                rsl_view_add_field(view, c"id".as_ptr(), 1, RSL_BY_VALUE, &good, err),
                RSL_ERROR_ARGUMENT
            );
            assert_eq!(
                rsl_view_add_field(view, c"x".as_ptr(), 1, 7, &good, err),
                RSL_ERROR_ARGUMENT
            );
            rsl_view_free(view);
            rsl_error_free(err);
        }
    }
}
