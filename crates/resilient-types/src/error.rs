//! The crate's error type.

use core::fmt;

use crate::foreign::Origin;

pub use layout_meta::compat::Mismatch;

/// Why a client-side operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
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
    /// A token was used with a value of another binding.
    WrongBinding {
        /// What was attempted.
        operation: &'static str,
    },
    /// The type has no witness for what was asked.
    NoWitness {
        /// The type.
        ty: String,
        /// `"clone"` or `"default_init"`.
        witness: &'static str,
    },
    /// The type's library does not let its values move to another thread.
    NotSend {
        /// The type.
        ty: String,
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
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
            Error::WrongBinding { operation } => write!(
                f,
                "{operation}: the token belongs to another binding (another type or library version)"
            ),
            Error::NoWitness { ty, witness } => {
                write!(f, "type `{ty}` has no {witness} witness")
            }
            Error::NotSend { ty } => write!(
                f,
                "type `{ty}` is not marked send by its library: its values stay on the thread that made them"
            ),
            Error::Alloc { ty, size, align } => write!(
                f,
                "cannot allocate a `{ty}` ({size} bytes, align {align})"
            ),
        }
    }
}

impl std::error::Error for Error {}
