//! The validator's error type.

use alloc::string::String;
use core::fmt;

use crate::format::MAGIC;
use crate::limits;

/// Why metadata was refused. Every variant names what is wrong and where.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The manifest does not start with [`MAGIC`].
    BadMagic {
        /// The bytes found instead.
        found: [u8; 8],
    },
    /// The format version is not one this reader knows.
    UnsupportedVersion {
        /// Version in the manifest.
        found: u32,
        /// Version this reader supports.
        supported: u32,
    },
    /// A record is smaller than format version 1 requires, or absurdly large.
    BadRecordSize {
        /// Which record size (`"manifest header"`, `"type record"`, ...).
        record: &'static str,
        /// Size in the manifest.
        found: u32,
        /// Smallest size accepted.
        min: u32,
    },
    /// The metadata was made for another target.
    TargetMismatch {
        /// `"pointer width"` or `"endianness"`.
        property: &'static str,
        /// Value in the manifest.
        found: u8,
        /// Value of this target.
        expected: u8,
    },
    /// A pointer or length leads outside the image.
    Unreadable {
        /// What was being read.
        what: String,
        /// Its address.
        address: usize,
        /// Its length.
        len: usize,
    },
    /// A count or length exceeds a documented limit ([`crate::limits`]).
    LimitExceeded {
        /// What was counted.
        what: String,
        /// How many.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// A name is empty, not UTF-8, or holds control characters.
    InvalidName {
        /// Whose name.
        what: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The module version is not semver (`MAJOR.MINOR.PATCH[-pre][+build]`).
    InvalidVersion {
        /// The text found.
        found: String,
    },
    /// An alignment is zero, not a power of two, or over the limit.
    BadAlignment {
        /// Whose alignment.
        what: String,
        /// The alignment.
        align: usize,
    },
    /// A size is not a multiple of its alignment, or is too large.
    BadSize {
        /// Whose size.
        what: String,
        /// The size.
        size: usize,
        /// The alignment.
        align: usize,
    },
    /// The stride is smaller than the size or not a multiple of the alignment.
    BadStride {
        /// The type.
        ty: String,
        /// Its stride.
        stride: usize,
        /// Its size.
        size: usize,
    },
    /// An enum's records break a rule of `docs/FORMAT.md`, "Enums".
    BadEnum {
        /// The enum.
        ty: String,
        /// The case concerned (empty for the enum as a whole).
        case: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An accessor or computed field breaks a rule of `docs/FORMAT.md`,
    /// "Accessor and computed fields".
    BadAccessor {
        /// The type.
        ty: String,
        /// The field.
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A field reaches past the end of its type.
    FieldOutOfBounds {
        /// The type.
        ty: String,
        /// The field.
        field: String,
        /// Its offset.
        offset: usize,
        /// Its size.
        size: usize,
        /// The type's size.
        type_size: usize,
    },
    /// Two fields share bytes.
    OverlappingFields {
        /// The type.
        ty: String,
        /// One field.
        first: String,
        /// The other.
        second: String,
    },
    /// Arithmetic on the metadata's numbers overflowed.
    Overflow {
        /// What was being computed.
        what: String,
    },
    /// Two types have the same name.
    DuplicateType {
        /// The name.
        name: String,
    },
    /// Two fields of a type have the same name.
    DuplicateField {
        /// The type.
        ty: String,
        /// The field name.
        field: String,
    },
    /// A field's type identity is malformed.
    BadIdentity {
        /// The type.
        ty: String,
        /// The field.
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The stored fingerprint is not that of the layout.
    FingerprintMismatch {
        /// The type.
        ty: String,
        /// Stored in the metadata.
        stored: u64,
        /// Computed from the layout.
        computed: u64,
    },
    /// A witness and the flags disagree, or a witness is not in code.
    BadWitness {
        /// The type.
        ty: String,
        /// `"drop"`, `"clone"` or `"default_init"`.
        witness: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// Two functions share a name.
    DuplicateFunction {
        /// The name.
        name: String,
    },
    /// A function record is malformed.
    BadFunction {
        /// The function.
        function: String,
        /// The parameter (or `return`; empty for the function itself).
        param: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A C symbol beside a type's descriptor is missing or disagrees with it.
    CSymbol {
        /// The type.
        ty: String,
        /// The symbol.
        symbol: String,
        /// What is wrong.
        problem: String,
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
            Error::BadEnum { ty, case, reason } if case.is_empty() => {
                write!(f, "enum `{ty}`: {reason}")
            }
            Error::BadEnum { ty, case, reason } => {
                write!(f, "case `{ty}::{case}`: {reason}")
            }
            Error::BadAccessor { ty, field, reason } => {
                write!(f, "accessor field `{ty}.{field}`: {reason}")
            }
            Error::BadMagic { found } => {
                write!(f, "bad magic {found:02x?}, expected {MAGIC:02x?}")
            }
            Error::UnsupportedVersion { found, supported } => write!(
                f,
                "format version {found} is not supported (this reader knows version {supported})"
            ),
            Error::BadRecordSize { record, found, min } => write!(
                f,
                "{record} size {found} is out of range (at least {min}, at most {})",
                limits::MAX_RECORD_SIZE
            ),
            Error::TargetMismatch {
                property,
                found,
                expected,
            } => write!(
                f,
                "metadata is for another target: {property} {found}, this target has {expected}"
            ),
            Error::Unreadable { what, address, len } => write!(
                f,
                "{what} at {address:#x} ({len} bytes) lies outside the library image"
            ),
            Error::LimitExceeded { what, found, limit } => {
                write!(f, "{what} is {found}, over the limit of {limit}")
            }
            Error::InvalidName { what, reason } => write!(f, "{what}: {reason}"),
            Error::InvalidVersion { found } => {
                write!(f, "module version {found:?} is not semver")
            }
            Error::BadAlignment { what, align } => write!(
                f,
                "{what} has alignment {align}, not a power of two up to {}",
                limits::MAX_ALIGN
            ),
            Error::BadSize { what, size, align } => write!(
                f,
                "{what} has size {size}, not a multiple of its alignment {align} or too large"
            ),
            Error::BadStride { ty, stride, size } => write!(
                f,
                "type `{ty}` has stride {stride}, smaller than its size {size} or misaligned"
            ),
            Error::FieldOutOfBounds {
                ty,
                field,
                offset,
                size,
                type_size,
            } => write!(
                f,
                "field `{ty}.{field}` at offset {offset} with size {size} ends past the type's size {type_size}"
            ),
            Error::OverlappingFields { ty, first, second } => {
                write!(f, "fields `{ty}.{first}` and `{ty}.{second}` overlap")
            }
            Error::Overflow { what } => write!(f, "arithmetic overflow computing {what}"),
            Error::DuplicateType { name } => write!(f, "type `{name}` is described twice"),
            Error::DuplicateField { ty, field } => {
                write!(f, "field `{ty}.{field}` is described twice")
            }
            Error::BadIdentity { ty, field, reason } => {
                write!(f, "field `{ty}.{field}` has a malformed type identity: {reason}")
            }
            Error::FingerprintMismatch {
                ty,
                stored,
                computed,
            } => write!(
                f,
                "type `{ty}` has fingerprint {stored:#018x} but its layout hashes to {computed:#018x}"
            ),
            Error::BadWitness { ty, witness, reason } => {
                write!(f, "type `{ty}` {witness} witness: {reason}")
            }
            Error::DuplicateFunction { name } => {
                write!(f, "two functions are called `{name}`")
            }
            Error::BadFunction {
                function,
                param,
                reason,
            } if param.is_empty() => write!(f, "function `{function}`: {reason}"),
            Error::BadFunction {
                function,
                param,
                reason,
            } => write!(f, "function `{function}`, parameter `{param}`: {reason}"),
            Error::CSymbol {
                ty,
                symbol,
                problem,
            } => write!(f, "type `{ty}`: symbol `{symbol}` {problem}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

pub(crate) type Result<T, E = Error> = core::result::Result<T, E>;
