//! The records of format version 1, exactly as they sit in a library's memory.
//!
//! Every record is `#[repr(C)]`; `docs/FORMAT.md` gives each byte and
//! `cpp/include/resilient/layout.h` declares the same records for C and C++ (a
//! test compiles the header and compares every size and offset with these).
//!
//! The fields are private: a record can only be built through the `const`
//! constructors below, which take `&'static` data. So every record that safe
//! Rust code can name points at valid, immutable, `'static` memory, and the
//! checked reader ([`crate::Manifest::to_layout`]) may read it directly. Records
//! that come from another library are never trusted that way: the loader reads
//! them through a bounded [`crate::Memory`] instead.

use core::mem::{align_of, size_of};

/// The eight bytes every manifest starts with.
pub const MAGIC: [u8; 8] = *b"RSLNTMF\0";
/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The exported symbol under which a library publishes its manifest.
pub const MANIFEST_SYMBOL: &str = "resilient_manifest";

/// `endianness` value of a little-endian target.
pub const LITTLE_ENDIAN: u8 = 1;
/// `endianness` value of a big-endian target.
pub const BIG_ENDIAN: u8 = 2;
/// `endianness` of the target this crate is compiled for.
pub const NATIVE_ENDIANNESS: u8 = if cfg!(target_endian = "little") {
    LITTLE_ENDIAN
} else {
    BIG_ENDIAN
};
/// `pointer_width` (in bytes) of the target this crate is compiled for.
#[allow(
    clippy::cast_possible_truncation,
    reason = "a pointer is at most 16 bytes"
)]
pub const NATIVE_POINTER_WIDTH: u8 = size_of::<usize>() as u8;

/// Type flags (the `flags` word of a [`TypeDescriptor`]).
pub mod flags {
    /// The type promises never to change its layout: clients may compile its
    /// offsets in, and a loader refuses a library whose layout differs.
    pub const FROZEN: u32 = 1 << 0;
    /// Values must be destroyed through the `drop` witness (which is present).
    pub const NEEDS_DROP: u32 = 1 << 1;
    /// Values can be duplicated: through the `clone` witness (which is present).
    pub const CLONABLE: u32 = 1 << 2;
    /// Values can be created from nothing: through the `default_init` witness.
    pub const DEFAULT_INIT: u32 = 1 << 3;
    /// Plain old data: no drop, a bitwise copy is a clone, and all-zero bytes
    /// are a valid value (so a client may create one without a witness).
    pub const POD: u32 = 1 << 4;
    /// Values may move to, and be dropped on, another thread: the producer
    /// promises the type is `Send` (a Rust producer proves it at compile
    /// time). Without it a client keeps each value on the thread that made
    /// it.
    pub const SEND: u32 = 1 << 5;
    /// The type is an enum (format 1.2): it has no fields of its own, and
    /// its type record's `enum_info` describes its cases
    /// ([`super::EnumDescriptor`]).
    pub const ENUM: u32 = 1 << 6;
    /// Every flag version 1 defines. Readers ignore other bits (later minor
    /// revisions may define them); producers of version 1 write them as zero.
    pub const KNOWN: u32 = FROZEN | NEEDS_DROP | CLONABLE | DEFAULT_INIT | POD | SEND | ENUM;
}

/// Kinds of [`TypeIdentity`].
pub mod kind {
    /// A primitive scalar, named canonically (`u32`, `f64`, `bool`, `char`, ...).
    pub const SCALAR: u32 = 1;
    /// A fixed array: `count` elements of the `element` identity.
    pub const ARRAY: u32 = 2;
    /// A nested resilient type, identified by its name alone (its layout is
    /// bound separately, so it may change).
    pub const RESILIENT: u32 = 3;
    /// A named type of fixed layout (a `repr(C)` plain struct, a unit, a
    /// marker): name, size and alignment identify it.
    pub const OPAQUE: u32 = 4;
}

/// A UTF-8 string: pointer and length in bytes, not NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawStr {
    ptr: *const u8,
    len: usize,
}

// SAFETY: a `RawStr` is only ever made from a `&'static str` (`new`; the
// fields are private): it shares immutable `'static` data.
unsafe impl Sync for RawStr {}
// SAFETY: as for `Sync`.
unsafe impl Send for RawStr {}

impl RawStr {
    /// Points at `s`.
    pub const fn new(s: &'static str) -> Self {
        RawStr {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// The string.
    pub const fn as_str(&self) -> &'static str {
        // SAFETY:
        // - `ptr` and `len` were taken from a `&'static str` in `new` (the only
        //   constructor; the fields are private), so they describe `len`
        //   initialised, immutable bytes valid for `'static` that are UTF-8.
        unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(self.ptr, self.len)) }
    }
}

/// The function of type `F` (a function pointer type: a witness, a thunk,
/// an accessor) at code address `addr`, as a layout holds it. The address
/// came from a function pointer cast to an integer (an `as` cast exposes
/// its provenance: a descriptor's `to_layout`, or a loaded library's
/// relocated records, whose mappings the dynamic loader exposed), so the
/// provenance is taken back (`with_exposed_provenance`) rather than
/// conjured by a `transmute` of the integer. Every reader turns addresses
/// into functions through this one place.
///
/// # Safety
///
/// `addr` is the address of a function of type `F`, in code that stays
/// mapped while the result is used.
pub unsafe fn code_at<F: Copy>(addr: usize) -> F {
    const {
        assert!(core::mem::size_of::<F>() == core::mem::size_of::<*const ()>());
    }
    let p = core::ptr::with_exposed_provenance::<()>(addr);
    // SAFETY: `F` is a function pointer type of a pointer's size (checked
    // above); the caller's contract makes `p` a function of that type.
    unsafe { core::mem::transmute_copy::<*const (), F>(&p) }
}

/// Destroys the value at `value` in place (`drop_in_place`).
pub type DropFn = unsafe extern "C" fn(value: *mut u8);
/// Writes a copy of the value at `src` into the uninitialised `dst`.
pub type CloneFn = unsafe extern "C" fn(dst: *mut u8, src: *const u8);
/// Writes a new default value into the uninitialised `dst`.
pub type DefaultInitFn = unsafe extern "C" fn(dst: *mut u8);

/// The value witnesses of a type: the library's own code to destroy, copy and
/// create its values. Each is `extern "C"` and never unwinds (a panic inside
/// aborts the process). A witness is absent (null) where the type has none.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ValueWitnesses {
    /// Present iff the type has [`flags::NEEDS_DROP`].
    pub drop: Option<DropFn>,
    /// Present iff the type has [`flags::CLONABLE`].
    pub clone: Option<CloneFn>,
    /// Present iff the type has [`flags::DEFAULT_INIT`].
    pub default_init: Option<DefaultInitFn>,
}

impl Default for ValueWitnesses {
    fn default() -> Self {
        ValueWitnesses::NONE
    }
}

impl core::fmt::Debug for ValueWitnesses {
    /// Which witnesses are present (their addresses say nothing useful).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ValueWitnesses")
            .field("drop", &self.drop.is_some())
            .field("clone", &self.clone.is_some())
            .field("default_init", &self.default_init.is_some())
            .finish()
    }
}

impl ValueWitnesses {
    /// No witnesses at all.
    pub const NONE: ValueWitnesses = ValueWitnesses {
        drop: None,
        clone: None,
        default_init: None,
    };
}

/// What a field's type is: compared by a client before it reads the field.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TypeIdentity {
    kind: u32,
    reserved: u32,
    name: RawStr,
    size: usize,
    align: usize,
    count: usize,
    element: *const TypeIdentity,
}

// SAFETY: a `TypeIdentity` is immutable and every pointer in it is a
// `&'static` reference (see the constructors), so sharing it across threads
// shares only immutable `'static` data.
unsafe impl Sync for TypeIdentity {}
// SAFETY: as for `Sync`: it owns nothing and points only at `'static` data.
unsafe impl Send for TypeIdentity {}

impl TypeIdentity {
    /// A primitive scalar `T` under its canonical name.
    pub const fn scalar<T>(name: &'static str) -> Self {
        Self::leaf::<T>(kind::SCALAR, name)
    }

    /// A named type of fixed layout.
    pub const fn opaque<T>(name: &'static str) -> Self {
        Self::leaf::<T>(kind::OPAQUE, name)
    }

    /// A nested resilient type, identified by name.
    pub const fn resilient<T>(name: &'static str) -> Self {
        Self::leaf::<T>(kind::RESILIENT, name)
    }

    /// `[E; N]`.
    pub const fn array<E: crate::FieldType, const N: usize>() -> Self {
        let element = E::IDENTITY_REF;
        TypeIdentity {
            kind: kind::ARRAY,
            reserved: 0,
            name: RawStr::new(""),
            size: size_of::<[E; N]>(),
            align: align_of::<[E; N]>(),
            count: N,
            element,
        }
    }

    const fn leaf<T>(kind: u32, name: &'static str) -> Self {
        TypeIdentity {
            kind,
            reserved: 0,
            name: RawStr::new(name),
            size: size_of::<T>(),
            align: align_of::<T>(),
            count: 0,
            element: core::ptr::null(),
        }
    }

    /// One of [`kind`].
    pub const fn kind(&self) -> u32 {
        self.kind
    }
    /// The canonical name (empty for arrays).
    pub const fn name(&self) -> &'static str {
        self.name.as_str()
    }
    /// `size_of` the type.
    pub const fn size(&self) -> usize {
        self.size
    }
    /// `align_of` the type.
    pub const fn align(&self) -> usize {
        self.align
    }
    /// Array length (0 for other kinds).
    pub const fn count(&self) -> usize {
        self.count
    }
    /// Whether `self` and `other` are the same identity, field by field
    /// (arrays recursively); usable at compile time.
    pub const fn same_as(&self, other: &TypeIdentity) -> bool {
        if self.kind != other.kind
            || !crate::compat::same_leaf(
                (self.name(), self.size, self.align),
                (other.name(), other.size, other.align),
            )
            || self.count != other.count
        {
            return false;
        }
        match (self.element(), other.element()) {
            (Some(a), Some(b)) => a.same_as(b),
            (None, None) => true,
            _ => false,
        }
    }

    /// The element identity of an array.
    pub const fn element(&self) -> Option<&'static TypeIdentity> {
        // SAFETY:
        // - `element` is either null or was taken from a `&'static
        //   TypeIdentity` in `array` (the fields are private), so it is
        //   aligned, initialised, immutable and valid for `'static`.
        unsafe { self.element.as_ref() }
    }
}

/// One exported field of a type.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FieldDescriptor {
    name: RawStr,
    offset: usize,
    identity: TypeIdentity,
}

impl FieldDescriptor {
    /// A field `name` at `offset` whose type is `identity`.
    pub const fn new(name: &'static str, offset: usize, identity: TypeIdentity) -> Self {
        FieldDescriptor {
            name: RawStr::new(name),
            offset,
            identity,
        }
    }
    /// The field's name.
    pub const fn name(&self) -> &'static str {
        self.name.as_str()
    }
    /// Byte offset from the start of the value.
    pub const fn offset(&self) -> usize {
        self.offset
    }
    /// The field's type.
    pub const fn identity(&self) -> &TypeIdentity {
        &self.identity
    }
}

/// How an enum's records say its values are laid out (the `enum_flags`
/// word of an [`EnumDescriptor`]).
pub mod enum_flags {
    /// The tag is plain data: an unsigned integer of `tag_size` bytes at
    /// `tag_offset`, whose value is one case's `tag` (any other value is a
    /// case this reader does not know). A host reads it without a call.
    pub const TAG_PLAIN: u32 = 1 << 0;
    /// Every payload field's `offset` is its byte offset from the start of
    /// the value (the enum has a primitive `repr`, whose layout the language
    /// fixes); without it, a payload field is reached through the `locate`
    /// witness.
    pub const PAYLOAD_PLAIN: u32 = 1 << 1;
    /// Every flag this revision defines; readers ignore the others.
    pub const KNOWN: u32 = TAG_PLAIN | PAYLOAD_PLAIN;
}

/// The case index of the value at `value` (the index of its case in the
/// enum's case list), computed by the library's own code.
pub type CaseOfFn = unsafe extern "C" fn(value: *const u8) -> u32;
/// The address of payload field `field` of case `case` of the value at
/// `value`, which is in that case.
pub type LocateFn = unsafe extern "C" fn(value: *const u8, case: u32, field: u32) -> *const u8;
/// Writes a value of case `case` into the uninitialised `dst`, its payload
/// fields read (copied) from `payload[i]` for each field `i` of the case, in
/// the case's field order. Returns 0, or 1 if `case` is not a case.
pub type WriteCaseFn =
    unsafe extern "C" fn(dst: *mut u8, case: u32, payload: *const *const u8) -> u32;

/// One case of an enum: its name, its plain tag, its payload fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CaseDescriptor {
    name: RawStr,
    tag: u64,
    field_count: usize,
    fields: *const FieldDescriptor,
}

// SAFETY: immutable; every pointer comes from a `&'static` reference (`new`).
unsafe impl Sync for CaseDescriptor {}
// SAFETY: as for `Sync`.
unsafe impl Send for CaseDescriptor {}

impl CaseDescriptor {
    /// Case `name`, whose plain tag is `tag` (0 where the enum's tag is not
    /// plain), with payload `fields` (offsets from the value's start where
    /// the payload is plain, else 0).
    pub const fn new(name: &'static str, tag: u64, fields: &'static [FieldDescriptor]) -> Self {
        CaseDescriptor {
            name: RawStr::new(name),
            tag,
            field_count: fields.len(),
            fields: fields.as_ptr(),
        }
    }
    /// The case's name.
    pub const fn name(&self) -> &'static str {
        self.name.as_str()
    }
    /// Its plain tag.
    pub const fn tag(&self) -> u64 {
        self.tag
    }
    /// Its payload fields.
    pub const fn fields(&self) -> &'static [FieldDescriptor] {
        // SAFETY: `fields` and `field_count` were taken from a `&'static
        // [FieldDescriptor]` in `new` (fields are private).
        unsafe { core::slice::from_raw_parts(self.fields, self.field_count) }
    }
}

/// What an enum adds to its type record (format 1.2): how its tag and
/// payloads are laid out, its cases in declaration order, and the
/// library's witnesses that read a value's case, reach a payload field and
/// write a case.
///
/// The record starts with its own size and its case records' size (a later
/// revision may append to either; a reader steps by the sizes given).
#[repr(C)]
pub struct EnumDescriptor {
    enum_record_size: u32,
    case_record_size: u32,
    enum_flags: u32,
    tag_size: u32,
    tag_offset: usize,
    case_count: usize,
    cases: *const CaseDescriptor,
    case_of: Option<CaseOfFn>,
    locate: Option<LocateFn>,
    write_case: Option<WriteCaseFn>,
}

// SAFETY: immutable; every pointer comes from a `&'static` reference or is
// a function pointer (`new`).
unsafe impl Sync for EnumDescriptor {}
// SAFETY: as for `Sync`.
unsafe impl Send for EnumDescriptor {}

impl EnumDescriptor {
    /// An enum of `cases` (declaration order). `tag`: `Some((offset,
    /// size))` if the tag is plain data; `payload_plain`: payload offsets
    /// are fixed (then `locate` may be absent).
    pub const fn new(
        tag: Option<(usize, u32)>,
        payload_plain: bool,
        cases: &'static [CaseDescriptor],
        case_of: CaseOfFn,
        locate: Option<LocateFn>,
        write_case: Option<WriteCaseFn>,
    ) -> Self {
        let (tag_offset, tag_size, tag_flag) = match tag {
            Some((offset, size)) => (offset, size, enum_flags::TAG_PLAIN),
            None => (0, 0, 0),
        };
        let payload_flag = if payload_plain {
            enum_flags::PAYLOAD_PLAIN
        } else {
            0
        };
        assert!(
            payload_plain || locate.is_some(),
            "an enum whose payloads are not plain has a locate witness"
        );
        EnumDescriptor {
            enum_record_size: ENUM_RECORD_SIZE,
            case_record_size: CASE_RECORD_SIZE,
            enum_flags: tag_flag | payload_flag,
            tag_size,
            tag_offset,
            case_count: cases.len(),
            cases: cases.as_ptr(),
            case_of: Some(case_of),
            locate,
            write_case,
        }
    }
    /// [`enum_flags`].
    pub const fn enum_flags(&self) -> u32 {
        self.enum_flags
    }
    /// `(offset, size)` of a plain tag.
    pub const fn plain_tag(&self) -> Option<(usize, u32)> {
        if self.enum_flags & enum_flags::TAG_PLAIN != 0 {
            Some((self.tag_offset, self.tag_size))
        } else {
            None
        }
    }
    /// The cases, in declaration order.
    pub const fn cases(&self) -> &'static [CaseDescriptor] {
        // SAFETY: `cases` and `case_count` were taken from a `&'static
        // [CaseDescriptor]` in `new` (fields are private).
        unsafe { core::slice::from_raw_parts(self.cases, self.case_count) }
    }
    /// The witnesses: case of a value, payload locator, case writer.
    pub const fn witnesses(&self) -> (Option<CaseOfFn>, Option<LocateFn>, Option<WriteCaseFn>) {
        (self.case_of, self.locate, self.write_case)
    }
}

/// Everything a client across a domain learns about one type.
#[repr(C)]
pub struct TypeDescriptor {
    flags: u32,
    reserved: u32,
    name: RawStr,
    size: usize,
    align: usize,
    stride: usize,
    fingerprint: u64,
    field_count: usize,
    fields: *const FieldDescriptor,
    witnesses: ValueWitnesses,
    // Appended in format 1.2 (enums); a reader of smaller type records
    // stops before it (`type_record_size` says whether it is there).
    enum_info: *const EnumDescriptor,
    // Appended in format 1.3 (accessor and computed fields); a reader of
    // smaller type records stops before them.
    accessor_record_size: u32,
    reserved2: u32,
    accessor_count: usize,
    accessors: *const crate::accessor::AccessorDescriptor,
}

// SAFETY: immutable, and every pointer in it comes from a `&'static` reference
// or is a function pointer (see `new`).
unsafe impl Sync for TypeDescriptor {}
// SAFETY: as for `Sync`.
unsafe impl Send for TypeDescriptor {}

impl TypeDescriptor {
    /// Describes a type `T` named `name`. Size, alignment and stride come from
    /// the compiler; the fingerprint is computed here.
    ///
    /// # Panics
    ///
    /// At compile time (this is meant for `const` items), if the witnesses and
    /// flags disagree.
    pub const fn new<T>(
        name: &'static str,
        flags: u32,
        fields: &'static [FieldDescriptor],
        witnesses: ValueWitnesses,
    ) -> Self {
        let size = size_of::<T>();
        let align = align_of::<T>();
        let mut flags = flags;
        if witnesses.drop.is_some() {
            flags |= flags::NEEDS_DROP;
        }
        if witnesses.clone.is_some() {
            flags |= flags::CLONABLE;
        }
        if witnesses.default_init.is_some() {
            flags |= flags::DEFAULT_INIT;
        }
        assert!(
            flags & flags::POD == 0 || witnesses.drop.is_none(),
            "a plain-old-data type has no drop witness"
        );
        let fingerprint = crate::fingerprint::of_descriptor(size, align, size, fields);
        TypeDescriptor {
            flags,
            reserved: 0,
            name: RawStr::new(name),
            size,
            align,
            stride: size,
            fingerprint,
            field_count: fields.len(),
            fields: fields.as_ptr(),
            witnesses,
            enum_info: core::ptr::null(),
            accessor_record_size: crate::accessor::ACCESSOR_RECORD_SIZE,
            reserved2: 0,
            accessor_count: 0,
            accessors: core::ptr::null(),
        }
    }

    /// [`TypeDescriptor::new`], with fields reached through the library's
    /// code: accessor fields (a `String`, a `Vec<T>`...) and computed
    /// fields. Their names must differ from the stored fields'.
    ///
    /// # Panics
    ///
    /// At compile time, as [`TypeDescriptor::new`], and for a frozen type
    /// with accessors (a frozen type's every field is stored).
    pub const fn with_accessors(
        mut self,
        accessors: &'static [crate::accessor::AccessorDescriptor],
    ) -> Self {
        assert!(
            accessors.is_empty() || self.flags & flags::FROZEN == 0,
            "a frozen type has no accessor or computed fields"
        );
        self.accessor_count = accessors.len();
        self.accessors = accessors.as_ptr();
        self
    }

    /// The accessor and computed fields (format 1.3).
    pub const fn accessors(&self) -> &'static [crate::accessor::AccessorDescriptor] {
        if self.accessor_count == 0 {
            return &[];
        }
        // SAFETY: `accessors` and `accessor_count` were taken from a
        // `&'static [AccessorDescriptor]` in `with_accessors` (fields are
        // private).
        unsafe { core::slice::from_raw_parts(self.accessors, self.accessor_count) }
    }

    /// Describes an enum `T` named `name`, whose cases and layout `info`
    /// gives. Size, alignment and stride come from the compiler; the
    /// fingerprint (over the cases too) is computed here.
    ///
    /// # Panics
    ///
    /// At compile time, as [`TypeDescriptor::new`].
    pub const fn new_enum<T>(
        name: &'static str,
        flags: u32,
        info: &'static EnumDescriptor,
        witnesses: ValueWitnesses,
    ) -> Self {
        let mut d = Self::new::<T>(name, flags | flags::ENUM, &[], witnesses);
        d.fingerprint = crate::fingerprint::of_enum_descriptor(d.size, d.align, d.stride, info);
        d.enum_info = info;
        d
    }

    /// What an enum adds (`None` for a struct).
    pub const fn enum_info(&self) -> Option<&'static EnumDescriptor> {
        // SAFETY: null, or taken from a `&'static EnumDescriptor` in
        // `new_enum` (fields are private).
        unsafe { self.enum_info.as_ref() }
    }

    /// The type's name.
    pub const fn name(&self) -> &'static str {
        self.name.as_str()
    }
    /// Its flags ([`flags`]).
    pub const fn flags(&self) -> u32 {
        self.flags
    }
    /// `size_of`.
    pub const fn size(&self) -> usize {
        self.size
    }
    /// `align_of`.
    pub const fn align(&self) -> usize {
        self.align
    }
    /// Distance between consecutive values in an array.
    pub const fn stride(&self) -> usize {
        self.stride
    }
    /// The layout fingerprint: equal fingerprints mean identical layouts.
    pub const fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
    /// The exported fields.
    pub const fn fields(&self) -> &'static [FieldDescriptor] {
        // SAFETY:
        // - `fields` and `field_count` were taken from a `&'static
        //   [FieldDescriptor]` in `new` (fields are private), so they describe
        //   `field_count` initialised, aligned, immutable records valid for
        //   `'static`.
        unsafe { core::slice::from_raw_parts(self.fields, self.field_count) }
    }
    /// The value witnesses.
    pub const fn witnesses(&self) -> &ValueWitnesses {
        &self.witnesses
    }
}

/// The per-module root record, exported as [`MANIFEST_SYMBOL`].
#[repr(C)]
pub struct Manifest {
    magic: [u8; 8],
    format_version: u32,
    header_size: u32,
    type_record_size: u32,
    field_record_size: u32,
    pointer_width: u8,
    endianness: u8,
    reserved: [u8; 6],
    module_name: RawStr,
    module_version: RawStr,
    type_count: usize,
    types: *const &'static TypeDescriptor,
    // Appended in format 1.1 (functions); a reader of 1.0 manifests stops
    // before these (`header_size` says whether they are there).
    function_record_size: u32,
    param_record_size: u32,
    function_count: usize,
    functions: *const &'static crate::function::FunctionDescriptor,
    impl_record_size: u32,
    reserved2: u32,
    impl_count: usize,
    impls: *const &'static crate::function::ImplDescriptor,
}

// SAFETY: immutable, and every pointer in it comes from a `&'static` reference.
unsafe impl Sync for Manifest {}
// SAFETY: as for `Sync`.
unsafe impl Send for Manifest {}

/// Size of a version-1 manifest header as producers write it (format 1.1,
/// with functions), in bytes.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const MANIFEST_V1_SIZE: u32 = size_of::<Manifest>() as u32;
/// Size of the smallest version-1 manifest header (format 1.0: no
/// functions), in bytes: what a reader requires.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const MANIFEST_V1_0_SIZE: u32 = core::mem::offset_of!(Manifest, function_record_size) as u32;
/// Size of a version-1 type record as producers write it (format 1.3, with
/// `enum_info` and the accessor list), in bytes.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const TYPE_RECORD_V1_SIZE: u32 = size_of::<TypeDescriptor>() as u32;
/// Size of the smallest version-1 type record (formats 1.0 and 1.1: no
/// `enum_info`), in bytes: what a reader requires.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const TYPE_RECORD_V1_0_SIZE: u32 = core::mem::offset_of!(TypeDescriptor, enum_info) as u32;
/// Size of an enum record, in bytes.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const ENUM_RECORD_SIZE: u32 = size_of::<EnumDescriptor>() as u32;
/// Size of a case record, in bytes.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const CASE_RECORD_SIZE: u32 = size_of::<CaseDescriptor>() as u32;
/// Size of a version-1 field record, in bytes.
#[allow(
    clippy::cast_possible_truncation,
    reason = "checked by the assertion below"
)]
pub const FIELD_RECORD_V1_SIZE: u32 = size_of::<FieldDescriptor>() as u32;

const _: () = assert!(
    size_of::<Manifest>() < 4096
        && size_of::<TypeDescriptor>() < 4096
        && size_of::<EnumDescriptor>() < 4096
        && size_of::<CaseDescriptor>() < 4096
        && size_of::<FieldDescriptor>() < 4096,
    "record sizes fit in a u32 header field"
);
const _: () = assert!(
    size_of::<Option<DropFn>>() == size_of::<usize>(),
    "an absent witness is a null pointer"
);

impl Manifest {
    /// The manifest of module `name`, version `version` (semver), listing
    /// `types`.
    pub const fn new(
        name: &'static str,
        version: &'static str,
        types: &'static [&'static TypeDescriptor],
    ) -> Self {
        Self::with_functions(name, version, types, &[], &[])
    }

    /// [`Manifest::new`], also listing exported `functions` and interface
    /// implementations `impls`.
    pub const fn with_functions(
        name: &'static str,
        version: &'static str,
        types: &'static [&'static TypeDescriptor],
        functions: &'static [&'static crate::function::FunctionDescriptor],
        impls: &'static [&'static crate::function::ImplDescriptor],
    ) -> Self {
        Manifest {
            magic: MAGIC,
            format_version: FORMAT_VERSION,
            header_size: MANIFEST_V1_SIZE,
            type_record_size: TYPE_RECORD_V1_SIZE,
            field_record_size: FIELD_RECORD_V1_SIZE,
            pointer_width: NATIVE_POINTER_WIDTH,
            endianness: NATIVE_ENDIANNESS,
            reserved: [0; 6],
            module_name: RawStr::new(name),
            module_version: RawStr::new(version),
            type_count: types.len(),
            types: types.as_ptr(),
            function_record_size: crate::function::FUNCTION_RECORD_SIZE,
            param_record_size: crate::function::PARAM_RECORD_SIZE,
            function_count: functions.len(),
            functions: functions.as_ptr(),
            impl_record_size: crate::function::IMPL_RECORD_SIZE,
            reserved2: 0,
            impl_count: impls.len(),
            impls: impls.as_ptr(),
        }
    }

    /// The exported interface implementations.
    pub const fn impls(&self) -> &'static [&'static crate::function::ImplDescriptor] {
        // SAFETY:
        // - `impls` and `impl_count` were taken from a `&'static [&'static
        //   ImplDescriptor]` in `with_functions` (fields are private):
        //   initialised, aligned, immutable, valid for `'static`.
        unsafe { core::slice::from_raw_parts(self.impls, self.impl_count) }
    }

    /// The module's name.
    pub const fn module_name(&self) -> &'static str {
        self.module_name.as_str()
    }
    /// The module's version text.
    pub const fn module_version(&self) -> &'static str {
        self.module_version.as_str()
    }
    /// The exported functions.
    pub const fn functions(&self) -> &'static [&'static crate::function::FunctionDescriptor] {
        // SAFETY:
        // - `functions` and `function_count` were taken from a `&'static
        //   [&'static FunctionDescriptor]` in `with_functions` (fields are
        //   private): initialised, aligned, immutable, valid for `'static`.
        unsafe { core::slice::from_raw_parts(self.functions, self.function_count) }
    }
    /// The described types.
    pub const fn types(&self) -> &'static [&'static TypeDescriptor] {
        // SAFETY:
        // - `types` and `type_count` were taken from a `&'static [&'static
        //   TypeDescriptor]` in `new` (fields are private), so they describe
        //   initialised, aligned, immutable references valid for `'static`.
        unsafe { core::slice::from_raw_parts(self.types, self.type_count) }
    }
}

/// Byte offsets of every record field, for the reader and for the test that
/// compares the C header against these definitions.
#[doc(hidden)]
pub mod offsets {
    use super::*;
    use crate::accessor::AccessorDescriptor;
    use crate::function::{
        CallError, FunctionDescriptor, ImplDescriptor, ParamDescriptor, RawSlice,
    };
    use crate::needs::{CaseNeedRecord, EnumViewRecord, FnNeedRecord, ViewFieldRecord, ViewRecord};
    use core::mem::offset_of;

    /// (record, field, offset) for every field of every record.
    pub const ALL: &[(&str, &str, usize)] = &[
        ("rsl_str", "ptr", offset_of!(RawStr, ptr)),
        ("rsl_str", "len", offset_of!(RawStr, len)),
        (
            "rsl_value_witnesses",
            "drop",
            offset_of!(ValueWitnesses, drop),
        ),
        (
            "rsl_value_witnesses",
            "clone",
            offset_of!(ValueWitnesses, clone),
        ),
        (
            "rsl_value_witnesses",
            "default_init",
            offset_of!(ValueWitnesses, default_init),
        ),
        ("rsl_type_identity", "kind", offset_of!(TypeIdentity, kind)),
        (
            "rsl_type_identity",
            "reserved",
            offset_of!(TypeIdentity, reserved),
        ),
        ("rsl_type_identity", "name", offset_of!(TypeIdentity, name)),
        ("rsl_type_identity", "size", offset_of!(TypeIdentity, size)),
        (
            "rsl_type_identity",
            "align",
            offset_of!(TypeIdentity, align),
        ),
        (
            "rsl_type_identity",
            "count",
            offset_of!(TypeIdentity, count),
        ),
        (
            "rsl_type_identity",
            "element",
            offset_of!(TypeIdentity, element),
        ),
        (
            "rsl_field_descriptor",
            "name",
            offset_of!(FieldDescriptor, name),
        ),
        (
            "rsl_field_descriptor",
            "offset",
            offset_of!(FieldDescriptor, offset),
        ),
        (
            "rsl_field_descriptor",
            "identity",
            offset_of!(FieldDescriptor, identity),
        ),
        (
            "rsl_type_descriptor",
            "flags",
            offset_of!(TypeDescriptor, flags),
        ),
        (
            "rsl_type_descriptor",
            "reserved",
            offset_of!(TypeDescriptor, reserved),
        ),
        (
            "rsl_type_descriptor",
            "name",
            offset_of!(TypeDescriptor, name),
        ),
        (
            "rsl_type_descriptor",
            "size",
            offset_of!(TypeDescriptor, size),
        ),
        (
            "rsl_type_descriptor",
            "align",
            offset_of!(TypeDescriptor, align),
        ),
        (
            "rsl_type_descriptor",
            "stride",
            offset_of!(TypeDescriptor, stride),
        ),
        (
            "rsl_type_descriptor",
            "fingerprint",
            offset_of!(TypeDescriptor, fingerprint),
        ),
        (
            "rsl_type_descriptor",
            "field_count",
            offset_of!(TypeDescriptor, field_count),
        ),
        (
            "rsl_type_descriptor",
            "fields",
            offset_of!(TypeDescriptor, fields),
        ),
        (
            "rsl_type_descriptor",
            "witnesses",
            offset_of!(TypeDescriptor, witnesses),
        ),
        ("rsl_manifest", "magic", offset_of!(Manifest, magic)),
        (
            "rsl_manifest",
            "format_version",
            offset_of!(Manifest, format_version),
        ),
        (
            "rsl_manifest",
            "header_size",
            offset_of!(Manifest, header_size),
        ),
        (
            "rsl_manifest",
            "type_record_size",
            offset_of!(Manifest, type_record_size),
        ),
        (
            "rsl_manifest",
            "field_record_size",
            offset_of!(Manifest, field_record_size),
        ),
        (
            "rsl_manifest",
            "pointer_width",
            offset_of!(Manifest, pointer_width),
        ),
        (
            "rsl_manifest",
            "endianness",
            offset_of!(Manifest, endianness),
        ),
        ("rsl_manifest", "reserved", offset_of!(Manifest, reserved)),
        (
            "rsl_manifest",
            "module_name",
            offset_of!(Manifest, module_name),
        ),
        (
            "rsl_manifest",
            "module_version",
            offset_of!(Manifest, module_version),
        ),
        (
            "rsl_manifest",
            "type_count",
            offset_of!(Manifest, type_count),
        ),
        ("rsl_manifest", "types", offset_of!(Manifest, types)),
        (
            "rsl_manifest",
            "function_record_size",
            offset_of!(Manifest, function_record_size),
        ),
        (
            "rsl_manifest",
            "param_record_size",
            offset_of!(Manifest, param_record_size),
        ),
        (
            "rsl_manifest",
            "function_count",
            offset_of!(Manifest, function_count),
        ),
        ("rsl_manifest", "functions", offset_of!(Manifest, functions)),
        (
            "rsl_manifest",
            "impl_record_size",
            offset_of!(Manifest, impl_record_size),
        ),
        ("rsl_manifest", "reserved2", offset_of!(Manifest, reserved2)),
        (
            "rsl_manifest",
            "impl_count",
            offset_of!(Manifest, impl_count),
        ),
        ("rsl_manifest", "impls", offset_of!(Manifest, impls)),
        (
            "rsl_param_descriptor",
            "name",
            offset_of!(ParamDescriptor, name),
        ),
        (
            "rsl_param_descriptor",
            "pass",
            offset_of!(ParamDescriptor, pass),
        ),
        (
            "rsl_param_descriptor",
            "reserved",
            offset_of!(ParamDescriptor, reserved),
        ),
        (
            "rsl_param_descriptor",
            "identity",
            offset_of!(ParamDescriptor, identity),
        ),
        (
            "rsl_function_descriptor",
            "name",
            offset_of!(FunctionDescriptor, name),
        ),
        (
            "rsl_function_descriptor",
            "abi",
            offset_of!(FunctionDescriptor, abi),
        ),
        (
            "rsl_function_descriptor",
            "flags",
            offset_of!(FunctionDescriptor, flags),
        ),
        (
            "rsl_function_descriptor",
            "param_count",
            offset_of!(FunctionDescriptor, param_count),
        ),
        (
            "rsl_function_descriptor",
            "params",
            offset_of!(FunctionDescriptor, params),
        ),
        (
            "rsl_function_descriptor",
            "ret",
            offset_of!(FunctionDescriptor, ret),
        ),
        (
            "rsl_function_descriptor",
            "thunk",
            offset_of!(FunctionDescriptor, thunk),
        ),
        ("rsl_slice", "ptr", offset_of!(RawSlice, ptr)),
        ("rsl_slice", "len", offset_of!(RawSlice, len)),
        ("rsl_call_error", "ptr", offset_of!(CallError, ptr)),
        ("rsl_call_error", "len", offset_of!(CallError, len)),
        ("rsl_call_error", "cap", offset_of!(CallError, cap)),
        ("rsl_call_error", "free", offset_of!(CallError, free)),
        (
            "rsl_impl_descriptor",
            "interface",
            offset_of!(ImplDescriptor, interface),
        ),
        (
            "rsl_impl_descriptor",
            "type_name",
            offset_of!(ImplDescriptor, type_name),
        ),
        (
            "rsl_impl_descriptor",
            "method_count",
            offset_of!(ImplDescriptor, method_count),
        ),
        (
            "rsl_impl_descriptor",
            "methods",
            offset_of!(ImplDescriptor, methods),
        ),
        (
            "rsl_type_descriptor",
            "enum_info",
            offset_of!(TypeDescriptor, enum_info),
        ),
        (
            "rsl_enum_descriptor",
            "enum_record_size",
            offset_of!(EnumDescriptor, enum_record_size),
        ),
        (
            "rsl_enum_descriptor",
            "case_record_size",
            offset_of!(EnumDescriptor, case_record_size),
        ),
        (
            "rsl_enum_descriptor",
            "enum_flags",
            offset_of!(EnumDescriptor, enum_flags),
        ),
        (
            "rsl_enum_descriptor",
            "tag_size",
            offset_of!(EnumDescriptor, tag_size),
        ),
        (
            "rsl_enum_descriptor",
            "tag_offset",
            offset_of!(EnumDescriptor, tag_offset),
        ),
        (
            "rsl_enum_descriptor",
            "case_count",
            offset_of!(EnumDescriptor, case_count),
        ),
        (
            "rsl_enum_descriptor",
            "cases",
            offset_of!(EnumDescriptor, cases),
        ),
        (
            "rsl_enum_descriptor",
            "case_of",
            offset_of!(EnumDescriptor, case_of),
        ),
        (
            "rsl_enum_descriptor",
            "locate",
            offset_of!(EnumDescriptor, locate),
        ),
        (
            "rsl_enum_descriptor",
            "write_case",
            offset_of!(EnumDescriptor, write_case),
        ),
        (
            "rsl_case_descriptor",
            "name",
            offset_of!(CaseDescriptor, name),
        ),
        (
            "rsl_case_descriptor",
            "tag",
            offset_of!(CaseDescriptor, tag),
        ),
        (
            "rsl_case_descriptor",
            "field_count",
            offset_of!(CaseDescriptor, field_count),
        ),
        (
            "rsl_case_descriptor",
            "fields",
            offset_of!(CaseDescriptor, fields),
        ),
        (
            "rsl_type_descriptor",
            "accessor_record_size",
            offset_of!(TypeDescriptor, accessor_record_size),
        ),
        (
            "rsl_type_descriptor",
            "reserved2",
            offset_of!(TypeDescriptor, reserved2),
        ),
        (
            "rsl_type_descriptor",
            "accessor_count",
            offset_of!(TypeDescriptor, accessor_count),
        ),
        (
            "rsl_type_descriptor",
            "accessors",
            offset_of!(TypeDescriptor, accessors),
        ),
        (
            "rsl_accessor_descriptor",
            "name",
            offset_of!(AccessorDescriptor, name),
        ),
        (
            "rsl_accessor_descriptor",
            "shape",
            offset_of!(AccessorDescriptor, shape),
        ),
        (
            "rsl_accessor_descriptor",
            "flags",
            offset_of!(AccessorDescriptor, flags),
        ),
        (
            "rsl_accessor_descriptor",
            "identity",
            offset_of!(AccessorDescriptor, identity),
        ),
        (
            "rsl_accessor_descriptor",
            "get",
            offset_of!(AccessorDescriptor, get),
        ),
        (
            "rsl_accessor_descriptor",
            "set",
            offset_of!(AccessorDescriptor, set),
        ),
        (
            "rsl_view_field_record",
            "name",
            offset_of!(ViewFieldRecord, name),
        ),
        (
            "rsl_view_field_record",
            "required",
            offset_of!(ViewFieldRecord, required),
        ),
        (
            "rsl_view_field_record",
            "access",
            offset_of!(ViewFieldRecord, access),
        ),
        (
            "rsl_view_field_record",
            "identity",
            offset_of!(ViewFieldRecord, identity),
        ),
        ("rsl_view_record", "magic", offset_of!(ViewRecord, magic)),
        (
            "rsl_view_record",
            "format_version",
            offset_of!(ViewRecord, format_version),
        ),
        (
            "rsl_view_record",
            "record_size",
            offset_of!(ViewRecord, record_size),
        ),
        ("rsl_view_record", "frozen", offset_of!(ViewRecord, frozen)),
        (
            "rsl_view_record",
            "reserved",
            offset_of!(ViewRecord, reserved),
        ),
        ("rsl_view_record", "module", offset_of!(ViewRecord, module)),
        (
            "rsl_view_record",
            "type_name",
            offset_of!(ViewRecord, type_name),
        ),
        (
            "rsl_view_record",
            "fingerprint",
            offset_of!(ViewRecord, fingerprint),
        ),
        (
            "rsl_view_record",
            "field_count",
            offset_of!(ViewRecord, field_count),
        ),
        ("rsl_view_record", "fields", offset_of!(ViewRecord, fields)),
        (
            "rsl_fn_need_record",
            "magic",
            offset_of!(FnNeedRecord, magic),
        ),
        (
            "rsl_fn_need_record",
            "format_version",
            offset_of!(FnNeedRecord, format_version),
        ),
        (
            "rsl_fn_need_record",
            "record_size",
            offset_of!(FnNeedRecord, record_size),
        ),
        (
            "rsl_fn_need_record",
            "required",
            offset_of!(FnNeedRecord, required),
        ),
        ("rsl_fn_need_record", "abi", offset_of!(FnNeedRecord, abi)),
        (
            "rsl_fn_need_record",
            "module",
            offset_of!(FnNeedRecord, module),
        ),
        ("rsl_fn_need_record", "name", offset_of!(FnNeedRecord, name)),
        (
            "rsl_fn_need_record",
            "param_count",
            offset_of!(FnNeedRecord, param_count),
        ),
        (
            "rsl_fn_need_record",
            "params",
            offset_of!(FnNeedRecord, params),
        ),
        ("rsl_fn_need_record", "ret", offset_of!(FnNeedRecord, ret)),
        (
            "rsl_case_need_record",
            "name",
            offset_of!(CaseNeedRecord, name),
        ),
        (
            "rsl_case_need_record",
            "field_count",
            offset_of!(CaseNeedRecord, field_count),
        ),
        (
            "rsl_case_need_record",
            "fields",
            offset_of!(CaseNeedRecord, fields),
        ),
        (
            "rsl_enum_view_record",
            "magic",
            offset_of!(EnumViewRecord, magic),
        ),
        (
            "rsl_enum_view_record",
            "format_version",
            offset_of!(EnumViewRecord, format_version),
        ),
        (
            "rsl_enum_view_record",
            "record_size",
            offset_of!(EnumViewRecord, record_size),
        ),
        (
            "rsl_enum_view_record",
            "frozen",
            offset_of!(EnumViewRecord, frozen),
        ),
        (
            "rsl_enum_view_record",
            "reserved",
            offset_of!(EnumViewRecord, reserved),
        ),
        (
            "rsl_enum_view_record",
            "module",
            offset_of!(EnumViewRecord, module),
        ),
        (
            "rsl_enum_view_record",
            "type_name",
            offset_of!(EnumViewRecord, type_name),
        ),
        (
            "rsl_enum_view_record",
            "fingerprint",
            offset_of!(EnumViewRecord, fingerprint),
        ),
        (
            "rsl_enum_view_record",
            "case_count",
            offset_of!(EnumViewRecord, case_count),
        ),
        (
            "rsl_enum_view_record",
            "cases",
            offset_of!(EnumViewRecord, cases),
        ),
    ];

    /// (record, size) for every record.
    pub const SIZES: &[(&str, usize)] = &[
        ("rsl_str", size_of::<RawStr>()),
        ("rsl_value_witnesses", size_of::<ValueWitnesses>()),
        ("rsl_type_identity", size_of::<TypeIdentity>()),
        ("rsl_field_descriptor", size_of::<FieldDescriptor>()),
        ("rsl_type_descriptor", size_of::<TypeDescriptor>()),
        ("rsl_manifest", size_of::<Manifest>()),
        ("rsl_param_descriptor", size_of::<ParamDescriptor>()),
        ("rsl_function_descriptor", size_of::<FunctionDescriptor>()),
        ("rsl_slice", size_of::<RawSlice>()),
        ("rsl_call_error", size_of::<CallError>()),
        ("rsl_impl_descriptor", size_of::<ImplDescriptor>()),
        ("rsl_enum_descriptor", size_of::<EnumDescriptor>()),
        ("rsl_case_descriptor", size_of::<CaseDescriptor>()),
        ("rsl_accessor_descriptor", size_of::<AccessorDescriptor>()),
        ("rsl_view_field_record", size_of::<ViewFieldRecord>()),
        ("rsl_view_record", size_of::<ViewRecord>()),
        ("rsl_fn_need_record", size_of::<FnNeedRecord>()),
        ("rsl_case_need_record", size_of::<CaseNeedRecord>()),
        ("rsl_enum_view_record", size_of::<EnumViewRecord>()),
    ];

    pub(crate) const fn of(record: &str, field: &str) -> usize {
        let mut i = 0;
        while i < ALL.len() {
            if crate::str_eq(ALL[i].0, record) && crate::str_eq(ALL[i].1, field) {
                return ALL[i].2;
            }
            i += 1;
        }
        panic!("no such record field")
    }
}
