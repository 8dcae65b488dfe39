//! The crate's error type.

use core::fmt;

use crate::foreign::Origin;

pub use layout_meta::compat::Mismatch;

/// Why a client-side operation failed.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A call returned an error or panicked in the library (a panic or
    /// exception is caught by the library's thunk: the library stays
    /// usable).
    Call {
        /// The function.
        function: String,
        /// Its library.
        origin: Origin,
        /// Whether it panicked (or threw), rather than returned an error.
        panicked: bool,
        /// The library's message.
        message: String,
    },
    /// A call succeeded with bits that are no value of its scalar result
    /// (a `bool` other than 0 or 1, a `char` that is not a Unicode scalar
    /// value): the library broke the calling convention; no value is made.
    InvalidResult {
        /// The function.
        function: String,
        /// Its library.
        origin: Origin,
        /// The result's scalar (`bool`, `char`).
        scalar: &'static str,
    },
    /// An API's functions do not bind: every mismatch, at once.
    BindFunctions {
        /// The module and library bound against.
        origin: Origin,
        /// Every reason.
        mismatches: Vec<Mismatch>,
    },
    /// The view does not bind: every mismatch, at once.
    Bind {
        /// The module and library bound against.
        origin: Origin,
        /// The view's type.
        ty: String,
        /// Every reason.
        mismatches: Vec<Mismatch>,
    },
    /// The view is of another module than the library exports.
    ModuleMismatch {
        /// The library.
        library: String,
        /// The view's module.
        expected: String,
        /// The library's module.
        found: String,
    },
    /// A text field's bytes are not UTF-8 (a C++ `std::string` may hold any
    /// bytes): `Ref::text_bytes` reads them as they are.
    NotUtf8 {
        /// The field.
        field: String,
        /// How many leading bytes are valid UTF-8.
        valid_up_to: usize,
        /// How many bytes there are.
        len: usize,
    },
    /// A token was used with a value of another binding.
    WrongBinding {
        /// What was attempted.
        operation: &'static str,
    },
    /// A case of an enum cannot be built by this host.
    CannotConstruct {
        /// The enum.
        ty: String,
        /// The case.
        case: String,
        /// Why.
        reason: String,
    },
    /// A payload field was read from a value in another case than its own.
    WrongCase {
        /// `Enum::Case.field`.
        field: String,
        /// The case the value is in: `Some(name)` for a case the view
        /// names, `None` for one it does not (a case added later).
        found: Option<String>,
    },
    /// A value of a frozen enum is in a case its library's metadata does
    /// not list (the library broke its frozen promise): what a frozen enum
    /// view's `try_read` returns, and its `read` panics with, instead of
    /// an arm of another case.
    UnknownCase {
        /// The enum.
        ty: String,
        /// The value's key: its plain tag, or the case index its library's
        /// `case_of` witness gave (`u64::MAX`: none).
        key: u64,
    },
    /// A case was asked of a binding of a struct view (cases are read and
    /// built through an enum view's binding).
    NotAnEnum {
        /// The type.
        ty: String,
    },
    /// The type has no witness for what was asked.
    NoWitness {
        /// The type.
        ty: String,
        /// Its library.
        origin: Origin,
        /// `"clone"` or `"default_init"`.
        witness: &'static str,
    },
    /// The type's library does not let its values move to another thread.
    NotSend {
        /// The type.
        ty: String,
    },
    /// A field was read or written with a buffer of another size than the
    /// field's.
    FieldSize {
        /// `Type.field`.
        field: String,
        /// The field's size.
        size: usize,
        /// The buffer's size.
        found: usize,
    },
    /// Bytes that are not a value of the field's type (a `bool` other than
    /// 0 or 1, a `char` that is not a Unicode scalar value): refused on
    /// write, and reported on read if the value holds them.
    InvalidBits {
        /// `Type.field`.
        field: String,
        /// The scalar whose bit patterns were broken (`bool`, `char`).
        scalar: &'static str,
    },
    /// The field cannot be read or written by value: a nested resilient
    /// type (reached through a view of its own), or a scalar of a name this
    /// client does not know the valid bit patterns of.
    NotByValue {
        /// `Type.field`.
        field: String,
    },
    /// No field of that name was declared by the view, or it was declared
    /// with another type than the one asked for.
    Undeclared {
        /// `Type.field`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Caller-provided room for a value is too small or misaligned.
    Room {
        /// The type.
        ty: String,
        /// Bytes needed.
        size: usize,
        /// Alignment needed.
        align: usize,
        /// Bytes given.
        room: usize,
    },
    /// A view described as data is malformed (an unknown scalar name, an
    /// impossible array or opaque type...).
    BadView {
        /// What is wrong.
        reason: String,
    },
    /// Memory for a value could not be allocated.
    Alloc {
        /// The type.
        ty: String,
        /// Bytes asked for.
        size: usize,
        /// Alignment asked for.
        align: usize,
    },
}

impl fmt::Debug for Error {
    /// The same sentence as `Display`: what `{:?}` shows a person (a
    /// `main` returning `Result<(), Box<dyn Error>>` prints this).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Call {
                function,
                origin,
                panicked: false,
                message,
            } => write!(f, "`{function}` of {origin} failed: {message}"),
            Error::Call {
                origin, message, ..
            } => write!(f, "{message} (in {origin}; the panic was caught)"),
            Error::InvalidResult {
                function,
                origin,
                scalar,
            } => write!(
                f,
                "`{function}` of {origin} returned bytes that are not a valid {scalar}"
            ),
            Error::BindFunctions { origin, mismatches } => {
                write!(f, "cannot bind the functions the host calls to {origin}: ")?;
                for (i, m) in mismatches.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{m}")?;
                }
                Ok(())
            }
            Error::Bind {
                origin,
                ty,
                mismatches,
            } => {
                write!(f, "cannot bind view of `{ty}` to {origin}: ")?;
                for (i, m) in mismatches.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{m}")?;
                }
                Ok(())
            }
            Error::ModuleMismatch {
                library,
                expected,
                found,
            } => write!(
                f,
                "{library} exports module `{found}`, the view is of module `{expected}`"
            ),
            Error::NotUtf8 {
                field,
                valid_up_to,
                len,
            } => write!(
                f,
                "field `{field}` holds {len} bytes that are not UTF-8 (the first bad byte is at {valid_up_to}): read them with `text_bytes`"
            ),
            Error::WrongBinding { operation } => write!(
                f,
                "{operation}: the token belongs to another binding (another type or library version)"
            ),
            Error::CannotConstruct { ty, case, reason } => {
                write!(f, "cannot build case `{ty}::{case}`: {reason}")
            }
            Error::WrongCase { field, found } => match found {
                Some(case) => write!(
                    f,
                    "field `{field}` is read from a value in case `{case}`, not in its own"
                ),
                None => write!(
                    f,
                    "field `{field}` is read from a value in a case the view does not name, not in its own"
                ),
            },
            Error::UnknownCase { ty, key } => write!(
                f,
                "a value of frozen enum `{ty}` is in a case its library does not list (tag or case index {key}): the library broke its frozen promise"
            ),
            Error::NotAnEnum { ty } => write!(
                f,
                "`{ty}` is bound by a struct view: cases are read and built through an enum view"
            ),
            Error::NoWitness {
                ty,
                origin,
                witness,
            } => {
                let (what, attr) = match *witness {
                    "clone" => ("clone its values", "clone"),
                    _ => ("make a value of it", "default"),
                };
                write!(
                    f,
                    "type `{ty}` of {origin} has no {witness} witness, so this side cannot {what}: the library exports one with `#[resilient({attr})]` on the type (or `pod`, for plain data), or hands out values through its functions"
                )
            }
            Error::NotSend { ty } => write!(
                f,
                "type `{ty}` is not marked send by its library: its values stay on the thread that made them"
            ),
            Error::FieldSize { field, size, found } => write!(
                f,
                "field `{field}` has {size} bytes, the buffer given has {found}"
            ),
            Error::InvalidBits { field, scalar } => {
                write!(f, "field `{field}`: the bytes are not a valid {scalar}")
            }
            Error::NotByValue { field } => write!(
                f,
                "field `{field}` is not read or written by value (a nested resilient type is reached through a view of its own)"
            ),
            Error::Undeclared { field, reason } => write!(f, "field `{field}`: {reason}"),
            Error::Room {
                ty,
                size,
                align,
                room,
            } => write!(
                f,
                "room for a `{ty}` needs {size} bytes aligned to {align}, the room given has {room} bytes or another alignment"
            ),
            Error::BadView { reason } => write!(f, "malformed view: {reason}"),
            Error::Alloc { ty, size, align } => write!(
                f,
                "cannot allocate a `{ty}` ({size} bytes, align {align})"
            ),
        }
    }
}

impl std::error::Error for Error {}
