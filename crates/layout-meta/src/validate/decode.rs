//! Decoding: records read through a bounded [`Memory`] into an owned,
//! unchecked layout (bounds, counts, names and kinds only).

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::verify::is_semver;
use super::{Error, Memory, Result};
use crate::format::{
    flags, kind, offsets, CASE_RECORD_SIZE, ENUM_RECORD_SIZE, FIELD_RECORD_V1_SIZE, FORMAT_VERSION,
    MAGIC, MANIFEST_V1_0_SIZE, NATIVE_ENDIANNESS, NATIVE_POINTER_WIDTH, TYPE_RECORD_V1_0_SIZE,
};
use crate::layout::{
    AccessorLayout, CaseLayout, EnumLayout, FieldLayout, FunctionLayout, Identity, ImplLayout,
    ModuleLayout, ParamLayout, TypeLayout, WitnessAddrs,
};
use crate::limits;

/// Decodes and checks the manifest at `manifest_addr`: everything
/// [`verify`](super::verify) proves of a decoded module, checked as
/// [`ModuleIndex`](super::ModuleIndex) checks a module (the manifest, its
/// type names, functions and implementations, then each type in
/// [`ModuleIndex::order`](super::ModuleIndex::order)). Code addresses and C
/// symbols are a library's, checked by [`validate_library`](super::validate_library).
///
/// # Errors
///
/// Any [`Error`]: the first problem found.
pub fn validate<M: Memory + ?Sized>(mem: &M, manifest_addr: usize) -> Result<ModuleLayout> {
    let (index, checked) = super::ModuleIndex::new(mem, manifest_addr, None)?;
    index.into_module(mem, None, checked)
}

/// The addresses of the type records a manifest lists, in order (what the
/// C symbols of each type are checked beside, [`super::verify_c_symbols`]).
///
/// # Errors
///
/// As [`decode`], for the manifest header and the type list only.
pub fn type_record_addresses<M: Memory + ?Sized>(
    mem: &M,
    manifest_addr: usize,
) -> Result<Vec<usize>> {
    let m = read(mem, manifest_addr, MANIFEST_V1_0_SIZE as usize, || {
        "manifest header".to_owned()
    })?;
    let count = m.word(M_TYPE_COUNT);
    limit("number of types", count, limits::MAX_TYPES)?;
    let list_len = count
        .checked_mul(WORD)
        .ok_or_else(|| overflow("type list length"))?;
    let list = read(mem, m.word(M_TYPES), list_len, || "type list".to_owned())?;
    Ok((0..count).map(|i| list.word(i * WORD)).collect())
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
const M_FUNCTION_SIZE: usize = offsets::of("rsl_manifest", "function_record_size");
const M_PARAM_SIZE: usize = offsets::of("rsl_manifest", "param_record_size");
const M_FUNCTION_COUNT: usize = offsets::of("rsl_manifest", "function_count");
const M_FUNCTIONS: usize = offsets::of("rsl_manifest", "functions");
const M_IMPL_SIZE: usize = offsets::of("rsl_manifest", "impl_record_size");
const M_IMPL_COUNT: usize = offsets::of("rsl_manifest", "impl_count");
const M_IMPLS: usize = offsets::of("rsl_manifest", "impls");
const IM_INTERFACE: usize = offsets::of("rsl_impl_descriptor", "interface");
const IM_TYPE: usize = offsets::of("rsl_impl_descriptor", "type_name");
const IM_METHOD_COUNT: usize = offsets::of("rsl_impl_descriptor", "method_count");
const IM_METHODS: usize = offsets::of("rsl_impl_descriptor", "methods");
const FN_NAME: usize = offsets::of("rsl_function_descriptor", "name");
const FN_ABI: usize = offsets::of("rsl_function_descriptor", "abi");
const FN_FLAGS: usize = offsets::of("rsl_function_descriptor", "flags");
const FN_PARAM_COUNT: usize = offsets::of("rsl_function_descriptor", "param_count");
const FN_PARAMS: usize = offsets::of("rsl_function_descriptor", "params");
const FN_RET: usize = offsets::of("rsl_function_descriptor", "ret");
const FN_THUNK: usize = offsets::of("rsl_function_descriptor", "thunk");
const P_NAME: usize = offsets::of("rsl_param_descriptor", "name");
const P_PASS: usize = offsets::of("rsl_param_descriptor", "pass");
const P_IDENTITY: usize = offsets::of("rsl_param_descriptor", "identity");
const T_FLAGS: usize = offsets::of("rsl_type_descriptor", "flags");
const T_NAME: usize = offsets::of("rsl_type_descriptor", "name");
const T_SIZE: usize = offsets::of("rsl_type_descriptor", "size");
const T_ALIGN: usize = offsets::of("rsl_type_descriptor", "align");
const T_STRIDE: usize = offsets::of("rsl_type_descriptor", "stride");
const T_FINGERPRINT: usize = offsets::of("rsl_type_descriptor", "fingerprint");
const T_FIELD_COUNT: usize = offsets::of("rsl_type_descriptor", "field_count");
const T_FIELDS: usize = offsets::of("rsl_type_descriptor", "fields");
const T_WITNESSES: usize = offsets::of("rsl_type_descriptor", "witnesses");
const T_ENUM_INFO: usize = offsets::of("rsl_type_descriptor", "enum_info");
const T_ACCESSOR_SIZE: usize = offsets::of("rsl_type_descriptor", "accessor_record_size");
const T_ACCESSOR_COUNT: usize = offsets::of("rsl_type_descriptor", "accessor_count");
const T_ACCESSORS: usize = offsets::of("rsl_type_descriptor", "accessors");
const A_NAME: usize = offsets::of("rsl_accessor_descriptor", "name");
const A_SHAPE: usize = offsets::of("rsl_accessor_descriptor", "shape");
const A_FLAGS: usize = offsets::of("rsl_accessor_descriptor", "flags");
const A_IDENTITY: usize = offsets::of("rsl_accessor_descriptor", "identity");
const A_GET: usize = offsets::of("rsl_accessor_descriptor", "get");
const A_SET: usize = offsets::of("rsl_accessor_descriptor", "set");
/// The smallest accessor record a reader accepts (format 1.3's).
const ACCESSOR_RECORD_SIZE: u32 = crate::accessor::ACCESSOR_RECORD_SIZE;
const E_RECORD_SIZE: usize = offsets::of("rsl_enum_descriptor", "enum_record_size");
const E_CASE_SIZE: usize = offsets::of("rsl_enum_descriptor", "case_record_size");
const E_FLAGS: usize = offsets::of("rsl_enum_descriptor", "enum_flags");
const E_TAG_SIZE: usize = offsets::of("rsl_enum_descriptor", "tag_size");
const E_TAG_OFFSET: usize = offsets::of("rsl_enum_descriptor", "tag_offset");
const E_CASE_COUNT: usize = offsets::of("rsl_enum_descriptor", "case_count");
const E_CASES: usize = offsets::of("rsl_enum_descriptor", "cases");
const E_CASE_OF: usize = offsets::of("rsl_enum_descriptor", "case_of");
const E_LOCATE: usize = offsets::of("rsl_enum_descriptor", "locate");
const E_WRITE_CASE: usize = offsets::of("rsl_enum_descriptor", "write_case");
const C_NAME: usize = offsets::of("rsl_case_descriptor", "name");
const C_TAG: usize = offsets::of("rsl_case_descriptor", "tag");
const C_FIELD_COUNT: usize = offsets::of("rsl_case_descriptor", "field_count");
const C_FIELDS: usize = offsets::of("rsl_case_descriptor", "fields");
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
    #[inline]
    pub(crate) fn sub(&self, at: usize) -> Record<'a> {
        Record(self.0.get(at..).unwrap_or_default())
    }
    #[inline]
    pub(crate) fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(src) = self.0.get(at..at.saturating_add(N)) {
            out.copy_from_slice(src);
        }
        out
    }
    #[inline]
    pub(crate) fn word(&self, at: usize) -> usize {
        usize::from_ne_bytes(self.bytes(at))
    }
    #[inline]
    pub(crate) fn u32(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.bytes(at))
    }
    #[inline]
    pub(crate) fn u64(&self, at: usize) -> u64 {
        u64::from_ne_bytes(self.bytes(at))
    }
    #[inline]
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

pub(crate) fn read<'m, M: Memory + ?Sized>(
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
    name_in(mem, rec, at, max, allow_empty, what).map(str::to_owned)
}

/// The name (an `rsl_str` at `at` in `rec`), checked as [`read_name`]
/// checks it, borrowed from `mem`.
pub(crate) fn name_in<'m, M: Memory + ?Sized>(
    mem: &'m M,
    rec: &Record<'_>,
    at: usize,
    max: usize,
    allow_empty: bool,
    what: &dyn Fn() -> String,
) -> Result<&'m str> {
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
            Ok("")
        } else {
            Err(Error::InvalidName {
                what: what(),
                reason: "it is empty",
            })
        };
    }
    let bytes = read(mem, ptr, len, what)?.0;
    // Printable ASCII (the names of nearly every module) is UTF-8 without
    // control characters: one pass over the bytes. Any other name takes
    // the full checks below, in their order.
    if bytes.iter().all(|&c| (0x20..0x7f).contains(&c)) {
        // SAFETY: every byte is ASCII, and ASCII is UTF-8.
        return Ok(unsafe { core::str::from_utf8_unchecked(bytes) });
    }
    let s = core::str::from_utf8(bytes).map_err(|_| Error::InvalidName {
        what: what(),
        reason: "it is not UTF-8",
    })?;
    // The control characters are C0 (U+0000..U+001F), DEL and C1
    // (U+0080..U+009F, encoded 0xC2 0x80..0x9F): a byte scan finds them.
    let b = s.as_bytes();
    let control = b.iter().enumerate().any(|(i, &c)| {
        c < 0x20 || c == 0x7f || (c == 0xc2 && b.get(i + 1).is_some_and(|n| *n < 0xa0))
    });
    if control {
        return Err(Error::InvalidName {
            what: what(),
            reason: "it contains control characters",
        });
    }
    Ok(s)
}

/// A manifest's header, checked: what every reader of the manifest reads
/// first (magic, versions, record sizes, target, name, version, the type
/// list).
pub(crate) struct Header<'m> {
    /// The whole header record.
    m: Record<'m>,
    header_size: usize,
    pub(crate) type_size: usize,
    pub(crate) field_size: usize,
    pub(crate) name: String,
    pub(crate) version: String,
    /// The type list: `type_count` record addresses.
    list: Record<'m>,
    pub(crate) type_count: usize,
}

impl Header<'_> {
    /// The address of the record of type `i` (0 past the end).
    pub(crate) fn type_record(&self, i: usize) -> usize {
        self.list.word(i * WORD)
    }
}

/// Reads and checks the manifest header at `manifest_addr` and its type
/// list.
pub(crate) fn header<M: Memory + ?Sized>(mem: &M, manifest_addr: usize) -> Result<Header<'_>> {
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
    let header_size = record_size(
        head.u32(M_HEADER_SIZE),
        MANIFEST_V1_0_SIZE,
        "manifest header",
    )?;
    let m = read(mem, manifest_addr, header_size, || {
        "manifest header".to_owned()
    })?;
    let type_size = record_size(m.u32(M_TYPE_SIZE), TYPE_RECORD_V1_0_SIZE, "type record")?;
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
    Ok(Header {
        m,
        header_size,
        type_size,
        field_size,
        name,
        version,
        list,
        type_count: count,
    })
}

/// The name of type record #`index` at `addr` (of `type_size` bytes),
/// checked as every name is, borrowed from `mem`.
pub(crate) fn type_name_at<M: Memory + ?Sized>(
    mem: &M,
    addr: usize,
    index: usize,
    type_size: usize,
) -> Result<&str> {
    let t = read(mem, addr, type_size, || format!("type record #{index}"))?;
    name_in(mem, &t, T_NAME, limits::MAX_NAME_LEN, false, &|| {
        format!("name of type #{index}")
    })
}

/// The size and alignment the type record at `addr` states (numbers as
/// they are: what a rule compares with checked ones), if it is readable.
pub(crate) fn type_size_align<M: Memory + ?Sized>(
    mem: &M,
    addr: usize,
    type_size: usize,
) -> Option<(usize, usize)> {
    let t = mem.read(addr, type_size)?;
    let t = Record(t);
    Some((t.word(T_SIZE), t.word(T_ALIGN)))
}

/// Decodes the manifest at `manifest_addr` into an owned layout, checking what
/// decoding needs (readable ranges, version, target, counts, names, kinds)
/// but not the layout invariants; [`verify`](super::verify) does those.
///
/// # Errors
///
/// Any [`Error`] about the manifest's framing: magic, version, target, record
/// sizes, unreadable ranges, limits, names, identity kinds.
pub fn decode<M: Memory + ?Sized>(mem: &M, manifest_addr: usize) -> Result<ModuleLayout> {
    let h = header(mem, manifest_addr)?;
    let mut budget = Budget::new();
    budget.take(
        h.type_count
            .saturating_mul(core::mem::size_of::<TypeLayout>()),
    )?;
    let mut types = Vec::with_capacity(h.type_count);
    for i in 0..h.type_count {
        types.push(decode_type(
            mem,
            h.type_record(i),
            i,
            h.type_size,
            h.field_size,
            &mut budget,
        )?);
    }
    let (functions, impls) = decode_calls(mem, &h, &mut budget)?;
    Ok(ModuleLayout {
        name: h.name,
        version: h.version,
        types,
        functions,
        impls,
    })
}

/// The functions and interface implementations a manifest lists, decoded
/// (not checked: [`verify`](super::verify)'s rules of functions do that).
pub(crate) fn decode_calls<M: Memory + ?Sized>(
    mem: &M,
    h: &Header<'_>,
    budget: &mut Budget,
) -> Result<(Vec<FunctionLayout>, Vec<ImplLayout>)> {
    let (m, header_size) = (&h.m, h.header_size);
    // Functions and interface implementations: format 1.1 appended them to
    // the header; `header_size` says whether they are there.
    let has = |field: usize| header_size >= field + WORD;
    let count = if has(M_FUNCTIONS) {
        m.word(M_FUNCTION_COUNT)
    } else {
        0
    };
    let impl_count = if has(M_IMPLS) {
        m.word(M_IMPL_COUNT)
    } else {
        0
    };
    let mut functions = Vec::new();
    let mut impls = Vec::new();
    // No records to step through: their sizes may be left 0 (C producers
    // that zero-fill the appended fields do).
    if count > 0 || impl_count > 0 {
        let fn_size = record_size(
            m.u32(M_FUNCTION_SIZE),
            crate::function::FUNCTION_RECORD_SIZE,
            "function record",
        )?;
        let param_size = record_size(
            m.u32(M_PARAM_SIZE),
            crate::function::PARAM_RECORD_SIZE,
            "parameter record",
        )?;
        limit("number of functions", count, limits::MAX_FUNCTIONS)?;
        let list_len = count
            .checked_mul(WORD)
            .ok_or_else(|| overflow("function list length"))?;
        let list = read(mem, m.word(M_FUNCTIONS), list_len, || {
            "function list".to_owned()
        })?;
        budget.take(count.saturating_mul(core::mem::size_of::<FunctionLayout>()))?;
        functions.reserve(count);
        for i in 0..count {
            let addr = list.word(i * WORD);
            functions.push(decode_function(mem, addr, i, fn_size, param_size, budget)?);
        }
        if impl_count > 0 {
            let impl_size = record_size(
                m.u32(M_IMPL_SIZE),
                crate::function::IMPL_RECORD_SIZE,
                "interface implementation record",
            )?;
            limit(
                "number of interface implementations",
                impl_count,
                limits::MAX_FUNCTIONS,
            )?;
            let list_len = impl_count
                .checked_mul(WORD)
                .ok_or_else(|| overflow("implementation list length"))?;
            let list = read(mem, m.word(M_IMPLS), list_len, || {
                "interface implementation list".to_owned()
            })?;
            budget.take(impl_count.saturating_mul(core::mem::size_of::<ImplLayout>()))?;
            impls.reserve(impl_count);
            for i in 0..impl_count {
                let r = read(mem, list.word(i * WORD), impl_size, || {
                    format!("interface implementation record #{i}")
                })?;
                let interface =
                    read_name(mem, &r, IM_INTERFACE, limits::MAX_NAME_LEN, false, &|| {
                        format!("interface of implementation #{i}")
                    })?;
                let type_name = read_name(mem, &r, IM_TYPE, limits::MAX_NAME_LEN, false, &|| {
                    format!("type of implementation #{i} of `{interface}`")
                })?;
                budget.take(interface.len() + type_name.len())?;
                let n = r.word(IM_METHOD_COUNT);
                limit_of(
                    || format!("number of methods of `{type_name}` as `{interface}`"),
                    n,
                    limits::MAX_FUNCTIONS,
                )?;
                budget.take(n.saturating_mul(core::mem::size_of::<FunctionLayout>()))?;
                let len = n
                    .checked_mul(WORD)
                    .ok_or_else(|| overflow("method list length"))?;
                let methods_list = read(mem, r.word(IM_METHODS), len, || {
                    format!("method table of `{type_name}` as `{interface}`")
                })?;
                let mut methods = Vec::with_capacity(n);
                for j in 0..n {
                    methods.push(decode_function(
                        mem,
                        methods_list.word(j * WORD),
                        j,
                        fn_size,
                        param_size,
                        budget,
                    )?);
                }
                impls.push(ImplLayout {
                    interface,
                    type_name,
                    methods,
                });
            }
        }
    }
    Ok((functions, impls))
}

/// Decodes the parameter record `rec` (an `rsl_param_descriptor`) of
/// function `function`: the one decoder of parameter records, for function
/// records and for function need records alike.
pub(crate) fn decode_param<M: Memory + ?Sized>(
    mem: &M,
    rec: &Record<'_>,
    function: &str,
    what: &dyn Fn() -> String,
) -> Result<ParamLayout> {
    let name = read_name(mem, rec, P_NAME, limits::MAX_NAME_LEN, false, what)?;
    let identity = decode_identity(mem, rec, P_IDENTITY, 0, function, &name)?;
    Ok(ParamLayout {
        name,
        pass: rec.u32(P_PASS),
        identity,
    })
}

fn decode_function<M: Memory + ?Sized>(
    mem: &M,
    addr: usize,
    index: usize,
    fn_size: usize,
    param_size: usize,
    budget: &mut Budget,
) -> Result<FunctionLayout> {
    let r = read(mem, addr, fn_size, || format!("function record #{index}"))?;
    let name = read_name(mem, &r, FN_NAME, limits::MAX_NAME_LEN, false, &|| {
        format!("name of function #{index}")
    })?;
    budget.take(name.len())?;
    let count = r.word(FN_PARAM_COUNT);
    limit_of(
        || format!("number of parameters of function `{name}`"),
        count,
        limits::MAX_PARAMS,
    )?;
    budget.take(count.saturating_mul(core::mem::size_of::<ParamLayout>()))?;
    let len = count
        .checked_mul(param_size)
        .ok_or_else(|| overflow("parameter list length"))?;
    let list = read(mem, r.word(FN_PARAMS), len, || {
        format!("parameter list of function `{name}`")
    })?;
    let mut param = |rec: &Record<'_>, what: &dyn Fn() -> String| -> Result<ParamLayout> {
        let p = decode_param(mem, rec, &name, what)?;
        budget.take(p.name.len() + p.identity.heap_bytes())?;
        Ok(p)
    };
    let mut params = Vec::with_capacity(count);
    for i in 0..count {
        params.push(param(&list.sub(i * param_size), &|| {
            format!("name of parameter #{i} of function `{name}`")
        })?);
    }
    let ret = param(&r.sub(FN_RET), &|| format!("result of function `{name}`"))?;
    Ok(FunctionLayout {
        abi: r.u32(FN_ABI),
        flags: r.u32(FN_FLAGS) & crate::function::fn_flags::KNOWN,
        thunk: r.word(FN_THUNK),
        params,
        ret,
        name,
    })
}

/// What is left of [`limits::MAX_MODULE_BYTES`] while a module is decoded:
/// charged before each allocation it bounds.
pub(crate) struct Budget(usize);

impl Budget {
    /// A whole module's budget.
    pub(crate) fn new() -> Self {
        Budget(limits::MAX_MODULE_BYTES)
    }
    /// What is left of a module's budget: `left` bytes.
    pub(crate) fn left(left: usize) -> Self {
        Budget(left.min(limits::MAX_MODULE_BYTES))
    }
    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.0
    }
    pub(crate) fn take(&mut self, bytes: usize) -> Result<()> {
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

pub(crate) fn record_size(found: u32, min: u32, record: &'static str) -> Result<usize> {
    if found < min || found > limits::MAX_RECORD_SIZE {
        return Err(Error::BadRecordSize { record, found, min });
    }
    usize::try_from(found).map_err(|_| overflow(record))
}

fn limit(what: &str, found: usize, limit: usize) -> Result<()> {
    limit_of(|| what.to_owned(), found, limit)
}

/// [`limit`], its subject written only if it is exceeded.
fn limit_of(what: impl FnOnce() -> String, found: usize, limit: usize) -> Result<()> {
    if found > limit {
        return Err(Error::LimitExceeded {
            what: what(),
            found,
            limit,
        });
    }
    Ok(())
}

pub(super) fn overflow(what: &str) -> Error {
    Error::Overflow {
        what: what.to_owned(),
    }
}

pub(crate) fn decode_type<M: Memory + ?Sized>(
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
    let fields = decode_fields(
        mem,
        t.word(T_FIELDS),
        t.word(T_FIELD_COUNT),
        field_size,
        &name,
        budget,
    )?;
    let flags = t.u32(T_FLAGS) & flags::KNOWN;
    // `enum_info` is there if the record is large enough (format 1.2).
    let enum_addr = if type_size >= T_ENUM_INFO + WORD {
        t.word(T_ENUM_INFO)
    } else {
        0
    };
    let enum_info = match (flags & flags::ENUM != 0, enum_addr) {
        (false, 0) => None,
        (true, 0) => {
            return Err(bad_enum(
                &name,
                "",
                "the enum flag is set but the type has no enum record",
            ))
        }
        (false, _) => {
            return Err(bad_enum(
                &name,
                "",
                "an enum record on a type without the enum flag",
            ))
        }
        (true, at) => Some(decode_enum(mem, at, field_size, &name, budget)?),
    };
    // The accessor list is there if the record is large enough (format 1.3).
    let accessors = if type_size >= T_ACCESSORS + WORD && t.word(T_ACCESSOR_COUNT) != 0 {
        decode_accessors(
            mem,
            t.word(T_ACCESSORS),
            t.word(T_ACCESSOR_COUNT),
            t.u32(T_ACCESSOR_SIZE),
            &name,
            fields.len(),
            budget,
        )?
    } else {
        Vec::new()
    };
    Ok(TypeLayout {
        flags,
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
        enum_info,
        accessors,
    })
}

/// The `count` accessor records of `record_size` bytes at `addr`, of type
/// `ty`, which has `stored` stored fields (`docs/FORMAT.md`, "Accessor and
/// computed fields").
fn decode_accessors<M: Memory + ?Sized>(
    mem: &M,
    addr: usize,
    count: usize,
    record_size: u32,
    ty: &str,
    stored: usize,
    budget: &mut Budget,
) -> Result<Vec<AccessorLayout>> {
    let size = self::record_size(record_size, ACCESSOR_RECORD_SIZE, "accessor record")?;
    // Stored and accessor fields share the per-type field limit.
    limit_of(
        || format!("number of fields of `{ty}`"),
        count.saturating_add(stored),
        limits::MAX_FIELDS,
    )?;
    budget.take(count.saturating_mul(core::mem::size_of::<AccessorLayout>()))?;
    let len = count
        .checked_mul(size)
        .ok_or_else(|| overflow("accessor list length"))?;
    let list = read(mem, addr, len, || format!("accessor list of `{ty}`"))?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let rec = list.sub(i * size);
        let name = read_name(mem, &rec, A_NAME, limits::MAX_NAME_LEN, false, &|| {
            format!("name of accessor #{i} of `{ty}`")
        })?;
        let identity = decode_identity(mem, &rec, A_IDENTITY, 0, ty, &name)?;
        budget.take(name.len() + identity.heap_bytes())?;
        out.push(AccessorLayout {
            name,
            shape: rec.u32(A_SHAPE),
            flags: rec.u32(A_FLAGS) & crate::accessor::accessor_flags::KNOWN,
            identity,
            get: rec.word(A_GET),
            set: rec.word(A_SET),
        });
    }
    Ok(out)
}

fn bad_enum(ty: &str, case: &str, reason: &'static str) -> Error {
    Error::BadEnum {
        ty: ty.to_owned(),
        case: case.to_owned(),
        reason,
    }
}

/// `count` field records of `field_size` bytes at `addr`, of type (or
/// case) `owner`.
fn decode_fields<M: Memory + ?Sized>(
    mem: &M,
    addr: usize,
    count: usize,
    field_size: usize,
    owner: &str,
    budget: &mut Budget,
) -> Result<Vec<FieldLayout>> {
    limit_of(
        || format!("number of fields of `{owner}`"),
        count,
        limits::MAX_FIELDS,
    )?;
    budget.take(count.saturating_mul(core::mem::size_of::<FieldLayout>()))?;
    let len = count
        .checked_mul(field_size)
        .ok_or_else(|| overflow("field list length"))?;
    let list = read(mem, addr, len, || format!("field list of `{owner}`"))?;
    let mut fields = Vec::with_capacity(count);
    for i in 0..count {
        let rec = list.sub(i * field_size);
        let fname = read_name(mem, &rec, F_NAME, limits::MAX_NAME_LEN, false, &|| {
            format!("name of field #{i} of `{owner}`")
        })?;
        let identity = decode_identity(mem, &rec, F_IDENTITY, 0, owner, &fname)?;
        budget.take(fname.len() + identity.heap_bytes())?;
        fields.push(FieldLayout {
            name: fname,
            offset: rec.word(F_OFFSET),
            identity,
        });
    }
    Ok(fields)
}

/// The enum record at `addr` of enum `ty` (`docs/FORMAT.md`, "Enums").
fn decode_enum<M: Memory + ?Sized>(
    mem: &M,
    addr: usize,
    field_size: usize,
    ty: &str,
    budget: &mut Budget,
) -> Result<EnumLayout> {
    let head = read(mem, addr, 8, || format!("enum record of `{ty}`"))?;
    let enum_size = record_size(head.u32(E_RECORD_SIZE), ENUM_RECORD_SIZE, "enum record")?;
    let case_size = record_size(head.u32(E_CASE_SIZE), CASE_RECORD_SIZE, "case record")?;
    let e = read(mem, addr, enum_size, || format!("enum record of `{ty}`"))?;
    let enum_flags = e.u32(E_FLAGS) & crate::format::enum_flags::KNOWN;
    let count = e.word(E_CASE_COUNT);
    limit_of(
        || format!("number of cases of `{ty}`"),
        count,
        limits::MAX_CASES,
    )?;
    budget.take(count.saturating_mul(core::mem::size_of::<CaseLayout>()))?;
    let len = count
        .checked_mul(case_size)
        .ok_or_else(|| overflow("case list length"))?;
    let list = read(mem, e.word(E_CASES), len, || format!("case list of `{ty}`"))?;
    let mut cases = Vec::with_capacity(count);
    for i in 0..count {
        let rec = list.sub(i * case_size);
        let cname = read_name(mem, &rec, C_NAME, limits::MAX_NAME_LEN, false, &|| {
            format!("name of case #{i} of `{ty}`")
        })?;
        budget.take(cname.len())?;
        let owner = format!("{ty}::{cname}");
        let fields = decode_fields(
            mem,
            rec.word(C_FIELDS),
            rec.word(C_FIELD_COUNT),
            field_size,
            &owner,
            budget,
        )?;
        cases.push(CaseLayout {
            name: cname,
            tag: rec.u64(C_TAG),
            fields,
        });
    }
    let plain = enum_flags & crate::format::enum_flags::TAG_PLAIN != 0;
    Ok(EnumLayout {
        tag: plain.then(|| (e.word(E_TAG_OFFSET), e.u32(E_TAG_SIZE))),
        payload_plain: enum_flags & crate::format::enum_flags::PAYLOAD_PLAIN != 0,
        cases,
        case_of: e.word(E_CASE_OF),
        locate: e.word(E_LOCATE),
        write_case: e.word(E_WRITE_CASE),
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
            name: Identity::scalar_name(name_in(
                mem,
                rec,
                at + I_NAME,
                limits::MAX_NAME_LEN,
                false,
                &what,
            )?),
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
