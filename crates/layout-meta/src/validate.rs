//! The validator: untrusted metadata in, a checked [`ModuleLayout`] or a typed
//! [`Error`] out. It never panics and never dereferences a pointer it read:
//! every byte comes through a [`Memory`], which answers `None` for anything
//! outside the image, so hostile pointers become errors, not crashes.
//!
//! It runs in two steps, both public: [`decode`] turns the records into an
//! owned, unchecked layout (only bounds, counts, names and kinds are checked,
//! so that decoding itself is safe), and [`check`] proves every invariant
//! [`TypeLayout`] promises. [`validate`] is both.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::format::{
    flags, kind, offsets, FIELD_RECORD_V1_SIZE, FORMAT_VERSION, MAGIC, MANIFEST_V1_SIZE,
    NATIVE_ENDIANNESS, NATIVE_POINTER_WIDTH, TYPE_RECORD_V1_SIZE,
};
use crate::layout::{FieldLayout, Identity, ModuleLayout, TypeLayout, WitnessAddrs};
use crate::limits;

/// Memory that holds a library's metadata: a loaded image, or a file read
/// offline with its relocations applied.
pub trait Memory {
    /// The bytes at `[addr, addr + len)`, or `None` if any of them is not
    /// readable memory of the image (or the range overflows).
    fn read(&self, addr: usize, len: usize) -> Option<&[u8]>;
    /// Whether `addr` lies in the image's executable code.
    fn is_code(&self, addr: usize) -> bool;
}

/// A byte slice placed at a base address: the simplest [`Memory`], used by
/// tests, the encoder and offline tools.
#[derive(Clone, Copy, Debug)]
pub struct SliceMemory<'a> {
    /// Address of `bytes[0]`.
    pub base: usize,
    /// The image.
    pub bytes: &'a [u8],
    /// Addresses in `[code.0, code.1)` count as code.
    pub code: (usize, usize),
}

impl Memory for SliceMemory<'_> {
    fn read(&self, addr: usize, len: usize) -> Option<&[u8]> {
        let start = addr.checked_sub(self.base)?;
        let end = start.checked_add(len)?;
        self.bytes.get(start..end)
    }
    fn is_code(&self, addr: usize) -> bool {
        (self.code.0..self.code.1).contains(&addr)
    }
}

/// Why metadata was refused. Every variant names what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
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
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

type Result<T, E = Error> = core::result::Result<T, E>;

/// Decodes and checks the manifest at `manifest_addr`: [`decode`] then [`check`].
///
/// # Errors
///
/// Any [`Error`]: the first problem found.
pub fn validate<M: Memory + ?Sized>(mem: &M, manifest_addr: usize) -> Result<ModuleLayout> {
    let module = decode(mem, manifest_addr)?;
    check(&module)?;
    Ok(module)
}

// Offsets of the record fields this reader decodes.
const M_MAGIC: usize = offsets::of("rsl_manifest", "magic");
const M_VERSION: usize = offsets::of("rsl_manifest", "format_version");
const M_HEADER_SIZE: usize = offsets::of("rsl_manifest", "header_size");
const M_TYPE_SIZE: usize = offsets::of("rsl_manifest", "type_record_size");
const M_FIELD_SIZE: usize = offsets::of("rsl_manifest", "field_record_size");
const M_PTR_WIDTH: usize = offsets::of("rsl_manifest", "pointer_width");
const M_ENDIAN: usize = offsets::of("rsl_manifest", "endianness");
const M_NAME: usize = offsets::of("rsl_manifest", "module_name");
const M_MOD_VERSION: usize = offsets::of("rsl_manifest", "module_version");
const M_TYPE_COUNT: usize = offsets::of("rsl_manifest", "type_count");
const M_TYPES: usize = offsets::of("rsl_manifest", "types");
const T_FLAGS: usize = offsets::of("rsl_type_descriptor", "flags");
const T_NAME: usize = offsets::of("rsl_type_descriptor", "name");
const T_SIZE: usize = offsets::of("rsl_type_descriptor", "size");
const T_ALIGN: usize = offsets::of("rsl_type_descriptor", "align");
const T_STRIDE: usize = offsets::of("rsl_type_descriptor", "stride");
const T_FINGERPRINT: usize = offsets::of("rsl_type_descriptor", "fingerprint");
const T_FIELD_COUNT: usize = offsets::of("rsl_type_descriptor", "field_count");
const T_FIELDS: usize = offsets::of("rsl_type_descriptor", "fields");
const T_WITNESSES: usize = offsets::of("rsl_type_descriptor", "witnesses");
const W_DROP: usize = offsets::of("rsl_value_witnesses", "drop");
const W_CLONE: usize = offsets::of("rsl_value_witnesses", "clone");
const W_DEFAULT: usize = offsets::of("rsl_value_witnesses", "default_init");
const F_NAME: usize = offsets::of("rsl_field_descriptor", "name");
const F_OFFSET: usize = offsets::of("rsl_field_descriptor", "offset");
const F_IDENTITY: usize = offsets::of("rsl_field_descriptor", "identity");
const I_KIND: usize = offsets::of("rsl_type_identity", "kind");
const I_NAME: usize = offsets::of("rsl_type_identity", "name");
const I_SIZE: usize = offsets::of("rsl_type_identity", "size");
const I_ALIGN: usize = offsets::of("rsl_type_identity", "align");
const I_COUNT: usize = offsets::of("rsl_type_identity", "count");
const I_ELEMENT: usize = offsets::of("rsl_type_identity", "element");
const S_PTR: usize = offsets::of("rsl_str", "ptr");
const S_LEN: usize = offsets::of("rsl_str", "len");
const IDENTITY_SIZE: usize = core::mem::size_of::<crate::format::TypeIdentity>();
const WORD: usize = core::mem::size_of::<usize>();

/// A record read in one piece; fields are decoded from it by offset, so a
/// short read is impossible once the record is in hand.
pub(crate) struct Record<'a>(&'a [u8]);

impl<'a> Record<'a> {
    /// The record's bytes from `at` on (empty past the end).
    pub(crate) fn sub(&self, at: usize) -> Record<'a> {
        Record(self.0.get(at..).unwrap_or_default())
    }
    pub(crate) fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(src) = self.0.get(at..at.saturating_add(N)) {
            out.copy_from_slice(src);
        }
        out
    }
    pub(crate) fn word(&self, at: usize) -> usize {
        usize::from_ne_bytes(self.bytes(at))
    }
    pub(crate) fn u32(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.bytes(at))
    }
    pub(crate) fn u64(&self, at: usize) -> u64 {
        u64::from_ne_bytes(self.bytes(at))
    }
    fn u8(&self, at: usize) -> u8 {
        self.bytes::<1>(at)[0]
    }
}

/// Reads a `len`-byte record at `addr`, or says what could not be read.
pub(crate) fn record<'m, M: Memory + ?Sized>(
    mem: &'m M,
    addr: usize,
    len: usize,
    what: &str,
) -> Result<Record<'m>> {
    read(mem, addr, len, || what.to_owned())
}

/// Reads a non-empty name (an `rsl_str` at `at` in `rec`).
pub(crate) fn read_name_at<M: Memory + ?Sized>(
    mem: &M,
    rec: &Record<'_>,
    at: usize,
    max: usize,
    what: &dyn Fn() -> String,
) -> Result<String> {
    read_name(mem, rec, at, max, false, what)
}

/// Decodes the type identity at `at` in `rec`, for field `ty.field`.
pub(crate) fn decode_identity_at<M: Memory + ?Sized>(
    mem: &M,
    rec: &Record<'_>,
    at: usize,
    ty: &str,
    field: &str,
) -> Result<Identity> {
    decode_identity(mem, rec, at, 0, ty, field)
}

fn read<'m, M: Memory + ?Sized>(
    mem: &'m M,
    addr: usize,
    len: usize,
    what: impl FnOnce() -> String,
) -> Result<Record<'m>> {
    // An empty list or name needs no memory, whatever its address (Rust
    // gives an empty slice a dangling one): `docs/FORMAT.md`, "Pointers".
    if len == 0 {
        return Ok(Record(&[]));
    }
    mem.read(addr, len)
        .map(Record)
        .ok_or_else(|| Error::Unreadable {
            what: what(),
            address: addr,
            len,
        })
}

fn read_name<M: Memory + ?Sized>(
    mem: &M,
    rec: &Record<'_>,
    at: usize,
    max: usize,
    allow_empty: bool,
    what: &dyn Fn() -> String,
) -> Result<String> {
    let (ptr, len) = (rec.word(at + S_PTR), rec.word(at + S_LEN));
    if len > max {
        return Err(Error::LimitExceeded {
            what: format!("length of {}", what()),
            found: len,
            limit: max,
        });
    }
    if len == 0 {
        return if allow_empty {
            Ok(String::new())
        } else {
            Err(Error::InvalidName {
                what: what(),
                reason: "it is empty",
            })
        };
    }
    let bytes = read(mem, ptr, len, what)?.0;
    let s = core::str::from_utf8(bytes).map_err(|_| Error::InvalidName {
        what: what(),
        reason: "it is not UTF-8",
    })?;
    if s.chars().any(char::is_control) {
        return Err(Error::InvalidName {
            what: what(),
            reason: "it contains control characters",
        });
    }
    Ok(s.to_owned())
}

/// Decodes the manifest at `manifest_addr` into an owned layout, checking what
/// decoding needs (readable ranges, version, target, counts, names, kinds)
/// but not the layout invariants; [`check`] does those.
///
/// # Errors
///
/// Any [`Error`] about the manifest's framing: magic, version, target, record
/// sizes, unreadable ranges, limits, names, identity kinds.
pub fn decode<M: Memory + ?Sized>(mem: &M, manifest_addr: usize) -> Result<ModuleLayout> {
    // The first 16 bytes are the same in every format version.
    let head = read(mem, manifest_addr, 16, || "manifest header".to_owned())?;
    let magic: [u8; 8] = head.bytes(M_MAGIC);
    if magic != MAGIC {
        return Err(Error::BadMagic { found: magic });
    }
    let version = head.u32(M_VERSION);
    if version != FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let header_size = record_size(head.u32(M_HEADER_SIZE), MANIFEST_V1_SIZE, "manifest header")?;
    let m = read(mem, manifest_addr, header_size, || {
        "manifest header".to_owned()
    })?;
    let type_size = record_size(m.u32(M_TYPE_SIZE), TYPE_RECORD_V1_SIZE, "type record")?;
    let field_size = record_size(m.u32(M_FIELD_SIZE), FIELD_RECORD_V1_SIZE, "field record")?;
    for (property, found, expected) in [
        ("pointer width", m.u8(M_PTR_WIDTH), NATIVE_POINTER_WIDTH),
        ("endianness", m.u8(M_ENDIAN), NATIVE_ENDIANNESS),
    ] {
        if found != expected {
            return Err(Error::TargetMismatch {
                property,
                found,
                expected,
            });
        }
    }
    let name = read_name(mem, &m, M_NAME, limits::MAX_NAME_LEN, false, &|| {
        "module name".to_owned()
    })?;
    let version = read_name(
        mem,
        &m,
        M_MOD_VERSION,
        limits::MAX_VERSION_LEN,
        false,
        &|| format!("version of module `{name}`"),
    )?;
    if !is_semver(&version) {
        return Err(Error::InvalidVersion { found: version });
    }
    let count = m.word(M_TYPE_COUNT);
    limit("number of types", count, limits::MAX_TYPES)?;
    let list_len = count
        .checked_mul(WORD)
        .ok_or_else(|| overflow("type list length"))?;
    let list = read(mem, m.word(M_TYPES), list_len, || "type list".to_owned())?;
    let mut budget = Budget(limits::MAX_MODULE_BYTES);
    budget.take(count.saturating_mul(core::mem::size_of::<TypeLayout>()))?;
    let mut types = Vec::with_capacity(count);
    for i in 0..count {
        let addr = list.word(i * WORD);
        types.push(decode_type(
            mem,
            addr,
            i,
            type_size,
            field_size,
            &mut budget,
        )?);
    }
    Ok(ModuleLayout {
        name,
        version,
        types,
    })
}

/// What is left of [`limits::MAX_MODULE_BYTES`] while a module is decoded:
/// charged before each allocation it bounds.
struct Budget(usize);

impl Budget {
    fn take(&mut self, bytes: usize) -> Result<()> {
        match self.0.checked_sub(bytes) {
            Some(left) => {
                self.0 = left;
                Ok(())
            }
            None => Err(Error::LimitExceeded {
                what: "size in memory of the decoded module".to_owned(),
                // What the module would take: what it took so far and this.
                found: (limits::MAX_MODULE_BYTES - self.0).saturating_add(bytes),
                limit: limits::MAX_MODULE_BYTES,
            }),
        }
    }
}

fn record_size(found: u32, min: u32, record: &'static str) -> Result<usize> {
    if found < min || found > limits::MAX_RECORD_SIZE {
        return Err(Error::BadRecordSize { record, found, min });
    }
    usize::try_from(found).map_err(|_| overflow(record))
}

fn limit(what: &str, found: usize, limit: usize) -> Result<()> {
    if found > limit {
        return Err(Error::LimitExceeded {
            what: what.to_owned(),
            found,
            limit,
        });
    }
    Ok(())
}

fn overflow(what: &str) -> Error {
    Error::Overflow {
        what: what.to_owned(),
    }
}

fn decode_type<M: Memory + ?Sized>(
    mem: &M,
    addr: usize,
    index: usize,
    type_size: usize,
    field_size: usize,
    budget: &mut Budget,
) -> Result<TypeLayout> {
    let t = read(mem, addr, type_size, || format!("type record #{index}"))?;
    let name = read_name(mem, &t, T_NAME, limits::MAX_NAME_LEN, false, &|| {
        format!("name of type #{index}")
    })?;
    budget.take(name.len())?;
    let field_count = t.word(T_FIELD_COUNT);
    limit(
        &format!("number of fields of type `{name}`"),
        field_count,
        limits::MAX_FIELDS,
    )?;
    budget.take(field_count.saturating_mul(core::mem::size_of::<FieldLayout>()))?;
    let fields_len = field_count
        .checked_mul(field_size)
        .ok_or_else(|| overflow("field list length"))?;
    let list = read(mem, t.word(T_FIELDS), fields_len, || {
        format!("field list of type `{name}`")
    })?;
    let mut fields = Vec::with_capacity(field_count);
    for i in 0..field_count {
        let rec = list.sub(i * field_size);
        let fname = read_name(mem, &rec, F_NAME, limits::MAX_NAME_LEN, false, &|| {
            format!("name of field #{i} of type `{name}`")
        })?;
        let identity = decode_identity(mem, &rec, F_IDENTITY, 0, &name, &fname)?;
        budget.take(fname.len() + identity.heap_bytes())?;
        fields.push(FieldLayout {
            name: fname,
            offset: rec.word(F_OFFSET),
            identity,
        });
    }
    Ok(TypeLayout {
        flags: t.u32(T_FLAGS) & flags::KNOWN,
        size: t.word(T_SIZE),
        align: t.word(T_ALIGN),
        stride: t.word(T_STRIDE),
        fingerprint: t.u64(T_FINGERPRINT),
        witnesses: WitnessAddrs {
            drop: t.word(T_WITNESSES + W_DROP),
            clone: t.word(T_WITNESSES + W_CLONE),
            default_init: t.word(T_WITNESSES + W_DEFAULT),
        },
        name,
        fields,
    })
}

fn decode_identity<M: Memory + ?Sized>(
    mem: &M,
    rec: &Record<'_>,
    at: usize,
    depth: usize,
    ty: &str,
    field: &str,
) -> Result<Identity> {
    let bad = |reason| Error::BadIdentity {
        ty: ty.to_owned(),
        field: field.to_owned(),
        reason,
    };
    if depth > limits::MAX_IDENTITY_DEPTH {
        return Err(Error::LimitExceeded {
            what: format!("array nesting of field `{ty}.{field}`"),
            found: depth,
            limit: limits::MAX_IDENTITY_DEPTH,
        });
    }
    let kind_code = rec.u32(at + I_KIND);
    let (size, align, count) = (
        rec.word(at + I_SIZE),
        rec.word(at + I_ALIGN),
        rec.word(at + I_COUNT),
    );
    let what = || format!("type name of field `{ty}.{field}`");
    // The shape FORMAT.md gives each kind: arrays have no name, other kinds
    // no count and no element. (Readers must not follow, nor hash, what a
    // record should not have.)
    let (name_len, element_addr) = (rec.word(at + I_NAME + WORD), rec.word(at + I_ELEMENT));
    if kind_code == kind::ARRAY && name_len != 0 {
        return Err(bad("an array identity has a name"));
    }
    if kind_code != kind::ARRAY && (count != 0 || element_addr != 0) {
        return Err(bad(
            "a count or element on an identity that is not an array",
        ));
    }
    Ok(match kind_code {
        kind::ARRAY => {
            let e = read(mem, element_addr, IDENTITY_SIZE, || {
                format!("element type of field `{ty}.{field}`")
            })?;
            Identity::Array {
                element: Box::new(decode_identity(mem, &e, 0, depth + 1, ty, field)?),
                count,
                size,
                align,
            }
        }
        kind::SCALAR => Identity::Scalar {
            name: read_name(mem, rec, at + I_NAME, limits::MAX_NAME_LEN, false, &what)?,
            size,
            align,
        },
        kind::RESILIENT => Identity::Resilient {
            name: read_name(mem, rec, at + I_NAME, limits::MAX_NAME_LEN, false, &what)?,
            size,
            align,
        },
        kind::OPAQUE => Identity::Opaque {
            name: read_name(mem, rec, at + I_NAME, limits::MAX_NAME_LEN, false, &what)?,
            size,
            align,
        },
        _ => return Err(bad("unknown kind")),
    })
}

/// Proves every invariant [`TypeLayout`] and [`ModuleLayout`] promise.
///
/// # Errors
///
/// The first violated invariant, naming the type and field.
pub fn check(module: &ModuleLayout) -> Result<()> {
    let mut names = alloc::collections::BTreeMap::new();
    for t in &module.types {
        if names.insert(t.name.as_str(), t).is_some() {
            return Err(Error::DuplicateType {
                name: t.name.clone(),
            });
        }
        check_type(t)?;
    }
    // A nested resilient field is bound through the module's type of that
    // name: where the module lists one, it must be the type the field holds
    // (the rule of `compat::nested_matches`).
    for t in &module.types {
        for f in &t.fields {
            let mut id = &f.identity;
            while let Identity::Array { element, .. } = id {
                id = element;
            }
            if let Identity::Resilient { name, .. } = id {
                if names
                    .get(name.as_str())
                    .is_some_and(|listed| !crate::compat::nested_matches(id, listed))
                {
                    return Err(Error::BadIdentity {
                        ty: t.name.clone(),
                        field: f.name.clone(),
                        reason:
                            "the module's type of the nested name has another size or alignment",
                    });
                }
            }
        }
    }
    Ok(())
}

fn check_size(what: impl Fn() -> String, size: usize, align: usize) -> Result<()> {
    if !align.is_power_of_two() || align > limits::MAX_ALIGN {
        return Err(Error::BadAlignment {
            what: what(),
            align,
        });
    }
    if size % align != 0 || size > limits::MAX_SIZE {
        return Err(Error::BadSize {
            what: what(),
            size,
            align,
        });
    }
    Ok(())
}

fn check_identity(id: &Identity, ty: &str, field: &str) -> Result<()> {
    check_size(|| format!("field `{ty}.{field}`"), id.size(), id.align())?;
    if let Identity::Array {
        element,
        count,
        size,
        align,
    } = id
    {
        check_identity(element, ty, field)?;
        let bad = |reason| Error::BadIdentity {
            ty: ty.to_owned(),
            field: field.to_owned(),
            reason,
        };
        let total = element
            .size()
            .checked_mul(*count)
            .ok_or_else(|| overflow(&format!("array size of field `{ty}.{field}`")))?;
        if total != *size {
            return Err(bad("array size is not element size times count"));
        }
        if element.align() != *align {
            return Err(bad("array alignment differs from its element's"));
        }
    }
    Ok(())
}

fn check_type(t: &TypeLayout) -> Result<()> {
    let ty = t.name.as_str();
    check_size(|| format!("type `{ty}`"), t.size, t.align)?;
    if t.stride < t.size || t.stride % t.align != 0 || t.stride > limits::MAX_SIZE {
        return Err(Error::BadStride {
            ty: ty.to_owned(),
            stride: t.stride,
            size: t.size,
        });
    }
    let mut names = BTreeSet::new();
    for f in &t.fields {
        if !names.insert(f.name.as_str()) {
            return Err(Error::DuplicateField {
                ty: ty.to_owned(),
                field: f.name.clone(),
            });
        }
        check_identity(&f.identity, ty, &f.name)?;
        let end = f
            .offset
            .checked_add(f.identity.size())
            .ok_or_else(|| overflow(&format!("end of field `{ty}.{}`", f.name)))?;
        if end > t.size {
            return Err(Error::FieldOutOfBounds {
                ty: ty.to_owned(),
                field: f.name.clone(),
                offset: f.offset,
                size: f.identity.size(),
                type_size: t.size,
            });
        }
    }
    // Overlaps: sort the fields of nonzero size by offset; each must end
    // before the next begins.
    let mut spans: Vec<&FieldLayout> = t.fields.iter().filter(|f| f.identity.size() > 0).collect();
    spans.sort_by_key(|f| f.offset);
    for pair in spans.windows(2) {
        if let [a, b] = pair {
            // `a.offset + size` cannot overflow: checked above.
            if a.offset + a.identity.size() > b.offset {
                return Err(Error::OverlappingFields {
                    ty: ty.to_owned(),
                    first: a.name.clone(),
                    second: b.name.clone(),
                });
            }
        }
    }
    let computed = t.compute_fingerprint();
    if computed != t.fingerprint {
        return Err(Error::FingerprintMismatch {
            ty: ty.to_owned(),
            stored: t.fingerprint,
            computed,
        });
    }
    check_witnesses(t)
}

fn check_witnesses(t: &TypeLayout) -> Result<()> {
    let w = &t.witnesses;
    for (witness, addr, flag) in [
        ("drop", w.drop, flags::NEEDS_DROP),
        ("clone", w.clone, flags::CLONABLE),
        ("default_init", w.default_init, flags::DEFAULT_INIT),
    ] {
        let reason = match (addr != 0, t.flags & flag != 0) {
            (true, false) => "present but its flag is not set",
            (false, true) => "flag set but the witness is absent",
            _ => continue,
        };
        return Err(Error::BadWitness {
            ty: t.name.clone(),
            witness,
            reason,
        });
    }
    if t.is_pod() && w.drop != 0 {
        return Err(Error::BadWitness {
            ty: t.name.clone(),
            witness: "drop",
            reason: "a plain-old-data type cannot need drop",
        });
    }
    Ok(())
}

/// Checks that every witness address of every type lies in `mem`'s code.
///
/// # Errors
///
/// [`Error::BadWitness`] naming the type and witness.
pub fn check_witness_addresses<M: Memory + ?Sized>(mem: &M, module: &ModuleLayout) -> Result<()> {
    for t in &module.types {
        let w = &t.witnesses;
        for (witness, addr) in [
            ("drop", w.drop),
            ("clone", w.clone),
            ("default_init", w.default_init),
        ] {
            if addr != 0 && !mem.is_code(addr) {
                return Err(Error::BadWitness {
                    ty: t.name.clone(),
                    witness,
                    reason: "its address is not in the library's code",
                });
            }
        }
    }
    Ok(())
}

/// Strict semver 2.0 syntax: `MAJOR.MINOR.PATCH`, optional `-pre` and
/// `+build` of dot-separated `[0-9A-Za-z-]` identifiers, no leading zeros in
/// numbers.
pub(crate) fn is_semver(s: &str) -> bool {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let number = |p: &str| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0'))
    };
    let ident =
        |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| number(p))
        && pre.is_none_or(|p| p.split('.').all(ident))
        && build.is_none_or(|b| b.split('.').all(ident))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_syntax() {
        for ok in ["1.0.0", "0.1.2-alpha.1", "10.20.30+build.5", "1.0.0-rc-1+x"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "1.0",
            "01.0.0",
            "1.0.0-",
            "1.0.0+",
            "a.b.c",
            "1.0.0-al pha",
            "",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn slice_memory_bounds() {
        let bytes = [1u8, 2, 3, 4];
        let mem = SliceMemory {
            base: 100,
            bytes: &bytes,
            code: (0, 0),
        };
        assert_eq!(mem.read(101, 2), Some(&bytes[1..3]));
        assert_eq!(mem.read(99, 1), None);
        assert_eq!(mem.read(103, 2), None);
        assert_eq!(mem.read(usize::MAX, 2), None);
    }
}
