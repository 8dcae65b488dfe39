//! The crate's error type.

use std::fmt;
use std::path::PathBuf;

/// Why a file was refused. Every message names the file and what is wrong
/// with it, in one line.
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not start with the ELF magic bytes.
    NotElf {
        /// The file.
        path: PathBuf,
    },
    /// A part of the file lies past its end: the file is truncated (or its
    /// headers lie about it).
    Truncated {
        /// The file.
        path: PathBuf,
        /// Which part (`"the ELF header"`, `"program header 3 (LOAD)"`...).
        what: String,
        /// The byte offset at which that part ends.
        end: u64,
        /// The file's length in bytes.
        len: u64,
    },
    /// The file was built for another kind of machine than this one.
    WrongTarget {
        /// The file.
        path: PathBuf,
        /// Which property (`"class"`, `"byte order"`, `"machine"`, `"OS ABI"`).
        property: &'static str,
        /// The value in the file.
        found: u64,
        /// This machine's value.
        expected: u64,
    },
    /// The ELF file is of another type (a relocatable object, a core dump,
    /// an executable where a shared library is required...).
    WrongType {
        /// The file.
        path: PathBuf,
        /// Its `e_type`.
        found: u16,
        /// What was required (`"a shared library"`...).
        expected: &'static str,
    },
    /// The ELF structure is inconsistent.
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is inconsistent.
        reason: String,
    },
    /// A count or size in the file is over one of this crate's limits (see
    /// [`crate::limits`]).
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What is counted (`"program headers"`, `"readable bytes"`...).
        what: &'static str,
        /// How many the file has.
        found: u64,
        /// The limit.
        limit: u64,
    },
    /// The file has no `resilient_manifest` symbol that the dynamic loader
    /// would find in it (see the crate docs for the rule).
    NoManifest {
        /// The file.
        path: PathBuf,
    },
    /// The metadata was refused by the validator.
    Invalid {
        /// The file.
        path: PathBuf,
        /// The validator's error.
        source: layout_meta::Error,
    },
}

impl Error {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::Io { path, .. }
            | Error::NotElf { path }
            | Error::Truncated { path, .. }
            | Error::WrongTarget { path, .. }
            | Error::WrongType { path, .. }
            | Error::Malformed { path, .. }
            | Error::TooLarge { path, .. }
            | Error::NoManifest { path }
            | Error::Invalid { path, .. } => path,
        }
    }
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
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::NotElf { path } => {
                write!(f, "{}: not a shared library (no ELF header)", path.display())
            }
            Error::Truncated {
                path,
                what,
                end,
                len,
            } => write!(
                f,
                "{}: truncated: {what} ends at byte {end}, the file has {len}",
                path.display()
            ),
            Error::WrongTarget {
                path,
                property,
                found,
                expected,
            } => write!(
                f,
                "{}: built for another target: ELF {property} {found}, this machine's is {expected}",
                path.display()
            ),
            Error::WrongType {
                path,
                found,
                expected,
            } => write!(
                f,
                "{}: not {expected} (ELF type {found})",
                path.display()
            ),
            Error::Malformed { path, reason } => {
                write!(f, "{}: malformed ELF: {reason}", path.display())
            }
            Error::TooLarge {
                path,
                what,
                found,
                limit,
            } => write!(
                f,
                "{}: {found} {what}, more than this reader's limit of {limit}",
                path.display()
            ),
            Error::NoManifest { path } => write!(
                f,
                "{}: no `{}` symbol exported by the file itself: not a resilient library",
                path.display(),
                layout_meta::MANIFEST_SYMBOL
            ),
            Error::Invalid { path, source } => {
                write!(f, "{}: invalid layout metadata: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Invalid { source, .. } => Some(source),
            _ => None,
        }
    }
}
