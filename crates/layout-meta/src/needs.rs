//! Consumer needs: what a client binary's views ask of foreign types,
//! recorded as data in the client binary itself so that tools can check,
//! offline and without running anything, whether a library satisfies it
//! (`resilient check LIB --consumer BIN`).
//!
//! `resilient_types::view!` emits one [`ViewRecord`] per view,
//! `resilient_types::enum_view!` one [`EnumViewRecord`] per enum view, and
//! `api!` one [`FnNeedRecord`] per function, each with a pointer to it in
//! the ELF section [`VIEWS_SECTION`] (records told apart by their magic). A reader walks that section
//! (an array of pointers), decodes each record through a bounded
//! [`Memory`], and binds it against a validated [`crate::ModuleLayout`] with
//! [`crate::compat::bind_view`], the rule the run-time binder applies.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem::{offset_of, size_of};

use crate::compat::Access;
use crate::format::{RawStr, TypeIdentity, MAGIC};
use crate::layout::Identity;
use crate::validate::{decode_identity_at, read_name_at, record, Error, Record};
use crate::{limits, Memory};

/// The section that holds pointers to the view records (and function need
/// records) of a binary.
pub const VIEWS_SECTION: &str = "resilient_views";
/// The magic of a view record.
pub const VIEW_MAGIC: [u8; 8] = *b"RSLNTVW\0";
/// The magic of a function need record (`api!`): what a host calls.
pub const FN_NEED_MAGIC: [u8; 8] = *b"RSLNTFN\0";
/// The magic of an enum view record (`enum_view!`, `RSL_ENUM_VIEW`): the
/// cases a host reads of an enum.
pub const ENUM_VIEW_MAGIC: [u8; 8] = *b"RSLNTEV\0";

const _: () = assert!(VIEW_MAGIC.len() == MAGIC.len(), "magics have one size");

/// One field a view needs.
#[repr(C)]
pub struct ViewFieldRecord {
    pub(crate) name: RawStr,
    pub(crate) required: u32,
    pub(crate) access: u32,
    pub(crate) identity: TypeIdentity,
}

impl ViewFieldRecord {
    /// The field `name`, of type `identity`, required or optional, reached
    /// by `access`.
    pub const fn new(
        name: &'static str,
        required: bool,
        access: Access,
        identity: TypeIdentity,
    ) -> Self {
        ViewFieldRecord {
            name: RawStr::new(name),
            required: required as u32,
            access: access.code(),
            identity,
        }
    }
}

/// What one view needs of one foreign type.
#[repr(C)]
pub struct ViewRecord {
    pub(crate) magic: [u8; 8],
    pub(crate) format_version: u32,
    pub(crate) record_size: u32,
    pub(crate) frozen: u32,
    pub(crate) reserved: u32,
    pub(crate) module: RawStr,
    pub(crate) type_name: RawStr,
    pub(crate) fingerprint: u64,
    pub(crate) field_count: usize,
    pub(crate) fields: *const ViewFieldRecord,
}

// SAFETY: immutable; every pointer comes from a `&'static` reference.
unsafe impl Sync for ViewRecord {}
// SAFETY: as for `Sync`.
unsafe impl Send for ViewRecord {}

impl ViewRecord {
    /// A view of `module`'s `type_name` needing `fields`; `frozen` is the
    /// fingerprint a frozen view expects.
    pub const fn new(
        module: &'static str,
        type_name: &'static str,
        frozen: Option<u64>,
        fields: &'static [ViewFieldRecord],
    ) -> Self {
        #[allow(clippy::cast_possible_truncation, reason = "asserted small below")]
        const SIZE: u32 = size_of::<ViewRecord>() as u32;
        ViewRecord {
            magic: VIEW_MAGIC,
            format_version: crate::FORMAT_VERSION,
            record_size: SIZE,
            frozen: frozen.is_some() as u32,
            reserved: 0,
            module: RawStr::new(module),
            type_name: RawStr::new(type_name),
            fingerprint: match frozen {
                Some(f) => f,
                None => 0,
            },
            field_count: fields.len(),
            fields: fields.as_ptr(),
        }
    }
}

const _: () = assert!(size_of::<ViewRecord>() < 4096, "record size fits a u32");

impl ViewRecord {
    /// The need this (compiled-in) record describes. Built from records made
    /// by the `const` constructors, so it needs no untrusted reading.
    pub fn to_need(&self) -> ViewNeed {
        // SAFETY: `fields`/`field_count` come from a `&'static [..]` in `new`
        // (the fields are private), valid, aligned and immutable.
        let fields = unsafe { core::slice::from_raw_parts(self.fields, self.field_count) };
        ViewNeed {
            module: self.module.as_str().into(),
            type_name: self.type_name.as_str().into(),
            frozen: (self.frozen != 0).then_some(self.fingerprint),
            fields: fields.iter().map(ViewFieldRecord::to_need).collect(),
        }
    }
}

/// What a host needs of one function of a module (`api!` emits one per
/// function it declares, in [`VIEWS_SECTION`]).
#[repr(C)]
pub struct FnNeedRecord {
    pub(crate) magic: [u8; 8],
    pub(crate) format_version: u32,
    pub(crate) record_size: u32,
    pub(crate) required: u32,
    /// The calling convention the host calls (`function::abi`); 0 in
    /// records written before it was recorded (convention 1).
    pub(crate) abi: u32,
    pub(crate) module: RawStr,
    pub(crate) name: RawStr,
    pub(crate) param_count: usize,
    pub(crate) params: *const crate::function::ParamDescriptor,
    pub(crate) ret: crate::function::ParamDescriptor,
}

// SAFETY: immutable; every pointer comes from a `&'static` reference.
unsafe impl Sync for FnNeedRecord {}
// SAFETY: as for `Sync`.
unsafe impl Send for FnNeedRecord {}

const _: () = assert!(size_of::<FnNeedRecord>() < 4096, "record size fits a u32");

impl FnNeedRecord {
    /// The need of function `name` of `module`, with these parameters and
    /// result, called through the current convention
    /// ([`crate::function::abi::THUNK_V2`]).
    pub const fn new(
        module: &'static str,
        name: &'static str,
        required: bool,
        params: &'static [crate::function::ParamDescriptor],
        ret: crate::function::ParamDescriptor,
    ) -> Self {
        #[allow(clippy::cast_possible_truncation, reason = "asserted small above")]
        const SIZE: u32 = size_of::<FnNeedRecord>() as u32;
        FnNeedRecord {
            magic: FN_NEED_MAGIC,
            format_version: crate::FORMAT_VERSION,
            record_size: SIZE,
            required: required as u32,
            abi: crate::function::abi::THUNK_V2,
            module: RawStr::new(module),
            name: RawStr::new(name),
            param_count: params.len(),
            params: params.as_ptr(),
            ret,
        }
    }
}

/// A decoded function need record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnNeed {
    /// The module.
    pub module: String,
    /// Whether binding fails without the function.
    pub required: bool,
    /// The signature the host calls (`thunk` 0).
    pub function: crate::FunctionLayout,
}

/// The header every consumer need record starts with (view, function need
/// and enum view records alike: magic, format version, record size, at the
/// same offsets), checked, and the whole record of the size it declares
/// (at least `min`, the size this reader knows), read in one piece.
fn need_record<'m, M: Memory + ?Sized>(
    mem: &'m M,
    addr: usize,
    magic: [u8; 8],
    min: usize,
    what: &'static str,
) -> Result<Record<'m>, Error> {
    let head = record(mem, addr, 16, what)?;
    let found: [u8; 8] = head.bytes(offset_of!(ViewRecord, magic));
    if found != magic {
        return Err(Error::BadMagic { found });
    }
    let version = head.u32(offset_of!(ViewRecord, format_version));
    if version != crate::FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: crate::FORMAT_VERSION,
        });
    }
    let size = head.u32(offset_of!(ViewRecord, record_size));
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    if len < min || size > limits::MAX_RECORD_SIZE {
        return Err(Error::BadRecordSize {
            record: what,
            found: size,
            min: u32::try_from(min).unwrap_or(u32::MAX),
        });
    }
    record(mem, addr, len, what)
}

// The three need records share the header `need_record` reads.
const _: () = assert!(
    offset_of!(ViewRecord, magic) == offset_of!(FnNeedRecord, magic)
        && offset_of!(ViewRecord, magic) == offset_of!(EnumViewRecord, magic)
        && offset_of!(ViewRecord, format_version) == offset_of!(FnNeedRecord, format_version)
        && offset_of!(ViewRecord, format_version) == offset_of!(EnumViewRecord, format_version)
        && offset_of!(ViewRecord, record_size) == offset_of!(FnNeedRecord, record_size)
        && offset_of!(ViewRecord, record_size) == offset_of!(EnumViewRecord, record_size)
);

/// Whether the record at `addr` is a function need record (else a view
/// record, or garbage the view decoder refuses).
pub fn is_fn_need<M: Memory + ?Sized>(mem: &M, addr: usize) -> bool {
    mem.read(addr, 8).is_some_and(|m| m == FN_NEED_MAGIC)
}

/// Decodes the function need record at `addr`.
///
/// # Errors
///
/// As the manifest validator: bad magic, unknown version, unreadable
/// ranges, limits, names, identities.
pub fn decode_fn_need<M: Memory + ?Sized>(mem: &M, addr: usize) -> Result<FnNeed, Error> {
    let r = need_record(
        mem,
        addr,
        FN_NEED_MAGIC,
        size_of::<FnNeedRecord>(),
        "function need record",
    )?;
    let module = read_name_at(
        mem,
        &r,
        offset_of!(FnNeedRecord, module),
        limits::MAX_NAME_LEN,
        &|| "module name of a function need".to_owned(),
    )?;
    let name = read_name_at(
        mem,
        &r,
        offset_of!(FnNeedRecord, name),
        limits::MAX_NAME_LEN,
        &|| format!("function name of a need of module `{module}`"),
    )?;
    let count = r.word(offset_of!(FnNeedRecord, param_count));
    if count > limits::MAX_PARAMS {
        return Err(Error::LimitExceeded {
            what: format!("number of parameters of the need of `{name}`"),
            found: count,
            limit: limits::MAX_PARAMS,
        });
    }
    let psize = size_of::<crate::function::ParamDescriptor>();
    let list = record(
        mem,
        r.word(offset_of!(FnNeedRecord, params)),
        count * psize,
        "function need parameter list",
    )?;
    let param = |rec: &crate::validate::Record<'_>, what: &dyn Fn() -> String| {
        crate::validate::decode_param(mem, rec, &name, what)
    };
    let mut params = Vec::with_capacity(count);
    for i in 0..count {
        params.push(param(&list.sub(i * psize), &|| {
            format!("name of parameter #{i} of the need of `{name}`")
        })?);
    }
    let ret = param(&r.sub(offset_of!(FnNeedRecord, ret)), &|| {
        format!("result of the need of `{name}`")
    })?;
    Ok(FnNeed {
        required: r.u32(offset_of!(FnNeedRecord, required)) != 0,
        module,
        function: crate::FunctionLayout {
            name,
            // 0: a record from before the convention was recorded, which
            // called convention 1 (binding then names the mismatch).
            abi: match r.u32(offset_of!(FnNeedRecord, abi)) {
                0 => 1,
                abi => abi,
            },
            flags: 0,
            params,
            ret,
            thunk: 0,
        },
    })
}

/// One case an enum view names, with the payload fields it reads (each a
/// [`ViewFieldRecord`], by value).
#[repr(C)]
pub struct CaseNeedRecord {
    pub(crate) name: RawStr,
    pub(crate) field_count: usize,
    pub(crate) fields: *const ViewFieldRecord,
}

impl CaseNeedRecord {
    /// Case `name`, reading payload fields `fields`.
    pub const fn new(name: &'static str, fields: &'static [ViewFieldRecord]) -> Self {
        CaseNeedRecord {
            name: RawStr::new(name),
            field_count: fields.len(),
            fields: fields.as_ptr(),
        }
    }
}

// SAFETY: immutable; every pointer comes from a `&'static` reference.
unsafe impl Sync for CaseNeedRecord {}
// SAFETY: as for `Sync`.
unsafe impl Send for CaseNeedRecord {}

/// What one enum view needs of one foreign enum: the cases it names, in
/// its order, each with the payload fields it reads; decoded to an
/// [`EnumNeed`] and bound by [`crate::compat::bind_enum_view`].
#[repr(C)]
pub struct EnumViewRecord {
    pub(crate) magic: [u8; 8],
    pub(crate) format_version: u32,
    pub(crate) record_size: u32,
    pub(crate) frozen: u32,
    pub(crate) reserved: u32,
    pub(crate) module: RawStr,
    pub(crate) type_name: RawStr,
    pub(crate) fingerprint: u64,
    pub(crate) case_count: usize,
    pub(crate) cases: *const CaseNeedRecord,
}

// SAFETY: immutable; every pointer comes from a `&'static` reference.
unsafe impl Sync for EnumViewRecord {}
// SAFETY: as for `Sync`.
unsafe impl Send for EnumViewRecord {}

const _: () = assert!(size_of::<EnumViewRecord>() < 4096, "record size fits a u32");

impl EnumViewRecord {
    /// An enum view of `module`'s `type_name` naming `cases`; `frozen` is
    /// the fingerprint a frozen view expects.
    pub const fn new(
        module: &'static str,
        type_name: &'static str,
        frozen: Option<u64>,
        cases: &'static [CaseNeedRecord],
    ) -> Self {
        #[allow(clippy::cast_possible_truncation, reason = "asserted small above")]
        const SIZE: u32 = size_of::<EnumViewRecord>() as u32;
        EnumViewRecord {
            magic: ENUM_VIEW_MAGIC,
            format_version: crate::FORMAT_VERSION,
            record_size: SIZE,
            frozen: frozen.is_some() as u32,
            reserved: 0,
            module: RawStr::new(module),
            type_name: RawStr::new(type_name),
            fingerprint: match frozen {
                Some(f) => f,
                None => 0,
            },
            case_count: cases.len(),
            cases: cases.as_ptr(),
        }
    }

    /// The need this (compiled-in) record describes. Built from records
    /// made by the `const` constructors, so it needs no untrusted reading.
    pub fn to_need(&self) -> EnumNeed {
        // SAFETY: `cases`/`case_count` come from a `&'static [..]` in `new`
        // (the fields are private), valid, aligned and immutable.
        let cases = unsafe { core::slice::from_raw_parts(self.cases, self.case_count) };
        EnumNeed {
            module: self.module.as_str().into(),
            type_name: self.type_name.as_str().into(),
            frozen: (self.frozen != 0).then_some(self.fingerprint),
            cases: cases
                .iter()
                .map(|c| {
                    // SAFETY: as above, from `CaseNeedRecord::new`.
                    let fields = unsafe { core::slice::from_raw_parts(c.fields, c.field_count) };
                    CaseNeed {
                        name: c.name.as_str().into(),
                        fields: fields.iter().map(ViewFieldRecord::to_need).collect(),
                    }
                })
                .collect(),
        }
    }
}

impl ViewFieldRecord {
    fn to_need(&self) -> FieldNeed {
        FieldNeed {
            name: self.name.as_str().into(),
            required: self.required != 0,
            // Records made by `new` hold a code of `Access`.
            access: Access::from_code(self.access).unwrap_or(Access::ByValue),
            identity: Identity::from_record(&self.identity),
        }
    }
}

/// Whether the record at `addr` is an enum view record.
pub fn is_enum_need<M: Memory + ?Sized>(mem: &M, addr: usize) -> bool {
    mem.read(addr, 8).is_some_and(|m| m == ENUM_VIEW_MAGIC)
}

/// Decodes the enum view record at `addr`: every range read through `mem`
/// and bounds-checked, every count limited ([`limits::MAX_CASES`] cases,
/// [`limits::MAX_FIELDS`] payload fields a case), every name and identity
/// checked as the manifest validator checks them, and a case named twice
/// refused.
///
/// # Errors
///
/// As the manifest validator: bad magic, unknown version, unreadable
/// ranges, limits, names, identities; [`Error::BadEnum`] for a case named
/// twice.
pub fn decode_enum_view<M: Memory + ?Sized>(mem: &M, addr: usize) -> Result<EnumNeed, Error> {
    let r = need_record(
        mem,
        addr,
        ENUM_VIEW_MAGIC,
        size_of::<EnumViewRecord>(),
        "enum view record",
    )?;
    let module = read_name_at(
        mem,
        &r,
        offset_of!(EnumViewRecord, module),
        limits::MAX_NAME_LEN,
        &|| "module name of an enum view".to_owned(),
    )?;
    let type_name = read_name_at(
        mem,
        &r,
        offset_of!(EnumViewRecord, type_name),
        limits::MAX_NAME_LEN,
        &|| format!("type name of an enum view of module `{module}`"),
    )?;
    let count = r.word(offset_of!(EnumViewRecord, case_count));
    if count > limits::MAX_CASES {
        return Err(Error::LimitExceeded {
            what: format!("number of cases of the enum view of `{type_name}`"),
            found: count,
            limit: limits::MAX_CASES,
        });
    }
    let csize = size_of::<CaseNeedRecord>();
    let list = record(
        mem,
        r.word(offset_of!(EnumViewRecord, cases)),
        count * csize,
        "enum view case list",
    )?;
    let mut cases: Vec<CaseNeed> = Vec::with_capacity(count);
    let mut seen = alloc::collections::BTreeSet::new();
    for i in 0..count {
        let c = list.sub(i * csize);
        let name = read_name_at(
            mem,
            &c,
            offset_of!(CaseNeedRecord, name),
            limits::MAX_NAME_LEN,
            &|| format!("name of case #{i} of the enum view of `{type_name}`"),
        )?;
        if !seen.insert(name.clone()) {
            return Err(Error::BadEnum {
                ty: type_name,
                case: name,
                reason: "named twice by an enum view record",
            });
        }
        let owner = format!("{type_name}::{name}");
        let fields = decode_fields(
            mem,
            c.word(offset_of!(CaseNeedRecord, fields)),
            c.word(offset_of!(CaseNeedRecord, field_count)),
            &owner,
        )?;
        cases.push(CaseNeed { name, fields });
    }
    Ok(EnumNeed {
        frozen: (r.u32(offset_of!(EnumViewRecord, frozen)) != 0)
            .then(|| r.u64(offset_of!(EnumViewRecord, fingerprint))),
        module,
        type_name,
        cases,
    })
}

/// Decodes `count` [`ViewFieldRecord`]s at `addr`, the fields of `owner`
/// (a type, or `Enum::Case`); a field named twice is refused.
fn decode_fields<M: Memory + ?Sized>(
    mem: &M,
    addr: usize,
    count: usize,
    owner: &str,
) -> Result<Vec<FieldNeed>, Error> {
    if count > limits::MAX_FIELDS {
        return Err(Error::LimitExceeded {
            what: format!("number of fields of the view of `{owner}`"),
            found: count,
            limit: limits::MAX_FIELDS,
        });
    }
    let fsize = size_of::<ViewFieldRecord>();
    let list = record(mem, addr, count * fsize, "view field list")?;
    let mut fields: Vec<FieldNeed> = Vec::with_capacity(count);
    for i in 0..count {
        let f = list.sub(i * fsize);
        let name = read_name_at(
            mem,
            &f,
            offset_of!(ViewFieldRecord, name),
            limits::MAX_NAME_LEN,
            &|| format!("name of field #{i} of the view of `{owner}`"),
        )?;
        let identity =
            decode_identity_at(mem, &f, offset_of!(ViewFieldRecord, identity), owner, &name)?;
        let code = f.u32(offset_of!(ViewFieldRecord, access));
        let Some(access) = Access::from_code(code) else {
            return Err(Error::BadIdentity {
                ty: owner.to_owned(),
                field: name,
                reason: "unknown access code in a view record",
            });
        };
        fields.push(FieldNeed {
            required: f.u32(offset_of!(ViewFieldRecord, required)) != 0,
            access,
            name,
            identity,
        });
    }
    Ok(fields)
}

impl EnumNeed {
    /// The bytes this need holds in memory (its records and names): what a
    /// reader of many views charges against a budget.
    pub fn heap_bytes(&self) -> usize {
        size_of::<EnumNeed>()
            + self.module.len()
            + self.type_name.len()
            + self
                .cases
                .iter()
                .map(|c| {
                    size_of::<CaseNeed>()
                        + c.name.len()
                        + c.fields
                            .iter()
                            .map(|f| {
                                size_of::<FieldNeed>() + f.name.len() + f.identity.heap_bytes()
                            })
                            .sum::<usize>()
                })
                .sum::<usize>()
    }
}

/// A decoded view record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewNeed {
    /// The module.
    pub module: String,
    /// The type.
    pub type_name: String,
    /// The fingerprint a frozen view expects.
    pub frozen: Option<u64>,
    /// The fields.
    pub fields: Vec<FieldNeed>,
}

impl ViewNeed {
    /// The bytes this need holds in memory (its records and names): what a
    /// reader of many views charges against a budget.
    pub fn heap_bytes(&self) -> usize {
        size_of::<ViewNeed>()
            + self.module.len()
            + self.type_name.len()
            + self
                .fields
                .iter()
                .map(|f| size_of::<FieldNeed>() + f.name.len() + f.identity.heap_bytes())
                .sum::<usize>()
    }
}

/// One field of a [`ViewNeed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldNeed {
    /// Its name.
    pub name: String,
    /// Whether binding fails without it.
    pub required: bool,
    /// How the consumer reaches it.
    pub access: Access,
    /// The identity expected.
    pub identity: Identity,
}

/// What an enum view needs of one foreign enum: the cases it names, each
/// with the payload fields it reads (the Rust host's `enum_view!`, the C
/// API's enum views). Bound by [`crate::compat::bind_enum_view`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumNeed {
    /// The module.
    pub module: String,
    /// The enum.
    pub type_name: String,
    /// The fingerprint a frozen view expects.
    pub frozen: Option<u64>,
    /// The cases, in the view's order.
    pub cases: Vec<CaseNeed>,
}

/// One case of an [`EnumNeed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseNeed {
    /// The case's name.
    pub name: String,
    /// The payload fields the view reads, by value.
    pub fields: Vec<FieldNeed>,
}

/// Decodes the view record at `addr`.
///
/// # Errors
///
/// As the manifest validator: bad magic, unknown version, unreadable
/// ranges, limits, names, identities.
pub fn decode_view<M: Memory + ?Sized>(mem: &M, addr: usize) -> Result<ViewNeed, Error> {
    let r = need_record(
        mem,
        addr,
        VIEW_MAGIC,
        size_of::<ViewRecord>(),
        "view record",
    )?;
    let module = read_name_at(
        mem,
        &r,
        offset_of!(ViewRecord, module),
        limits::MAX_NAME_LEN,
        &|| "module name of a view".to_owned(),
    )?;
    let type_name = read_name_at(
        mem,
        &r,
        offset_of!(ViewRecord, type_name),
        limits::MAX_NAME_LEN,
        &|| format!("type name of a view of module `{module}`"),
    )?;
    let fields = decode_fields(
        mem,
        r.word(offset_of!(ViewRecord, fields)),
        r.word(offset_of!(ViewRecord, field_count)),
        &type_name,
    )?;
    Ok(ViewNeed {
        frozen: (r.u32(offset_of!(ViewRecord, frozen)) != 0)
            .then(|| r.u64(offset_of!(ViewRecord, fingerprint))),
        module,
        type_name,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::{bind_view, Mismatch};
    use crate::{FieldType, ModuleLayout};

    static POINT: &[ViewFieldRecord] = &[
        ViewFieldRecord::new("x", true, Access::ByValue, <i32 as FieldType>::IDENTITY),
        ViewFieldRecord::new("z", false, Access::ByValue, <f64 as FieldType>::IDENTITY),
    ];
    static POINT_VIEW: ViewRecord = ViewRecord::new("geo", "Point", None, POINT);

    #[repr(C)]
    #[derive(crate::Resilient)]
    #[resilient(crate = "crate")]
    pub struct Point {
        pub x: i32,
        pub y: i32,
    }

    #[repr(C)]
    #[derive(crate::Resilient)]
    #[resilient(crate = "crate", name = "Point", prefix = "moved_")]
    pub struct Retyped {
        pub x: i64,
    }

    fn module_of(t: &crate::TypeDescriptor) -> ModuleLayout {
        ModuleLayout {
            name: "geo".into(),
            version: "1.0.0".into(),
            types: alloc::vec![t.to_layout()],
            functions: Vec::new(),
            impls: Vec::new(),
        }
    }

    #[test]
    fn records_describe_the_need_and_check_against_layouts() {
        let need = POINT_VIEW.to_need();
        assert_eq!(need.type_name, "Point");
        assert!(need.fields[0].required && !need.fields[1].required);
        use crate::Resilient;
        let x = core::mem::offset_of!(Point, x);
        assert_eq!(
            bind_view(&need, &module_of(Point::DESCRIPTOR)),
            Ok(alloc::vec![Some(crate::compat::Place::Stored(x)), None])
        );
        let problems = bind_view(&need, &module_of(Retyped::DESCRIPTOR)).unwrap_err();
        assert_eq!(
            problems
                .iter()
                .map(alloc::string::ToString::to_string)
                .collect::<Vec<_>>(),
            ["field `Point.x` is i64, the view expects i32"]
        );
        let mut other = module_of(Point::DESCRIPTOR);
        other.name = "other".into();
        assert!(matches!(
            &bind_view(&need, &other).unwrap_err()[..],
            [Mismatch::Module { .. }]
        ));
    }

    /// Reads only the listed ranges of this process's memory: each is a
    /// whole `'static` object, so every read it allows is valid.
    struct Statics(alloc::vec::Vec<(usize, usize)>);

    impl Memory for Statics {
        fn read(&self, addr: usize, len: usize) -> Option<&[u8]> {
            let end = addr.checked_add(len)?;
            self.0
                .iter()
                .any(|&(s, l)| s <= addr && end <= s + l)
                .then(|| {
                    // SAFETY: `[addr, end)` lies inside one listed `'static`,
                    // immutable object.
                    unsafe { core::slice::from_raw_parts(addr as *const u8, len) }
                })
        }
        fn is_code(&self, _: usize) -> bool {
            false
        }
    }

    #[test]
    fn decode_view_reads_a_record_through_bounded_memory() {
        let t = |x: &'static str| (x.as_ptr() as usize, x.len());
        let s = |x: &RawStr| t(x.as_str());
        let mut ranges = alloc::vec![
            (&raw const POINT_VIEW as usize, size_of::<ViewRecord>()),
            (POINT.as_ptr() as usize, core::mem::size_of_val(POINT)),
            s(&POINT_VIEW.module),
            s(&POINT_VIEW.type_name),
            s(&POINT[0].name),
            s(&POINT[1].name),
            t(POINT[0].identity.name()),
            t(POINT[1].identity.name()),
        ];
        let mem = Statics(ranges.clone());
        assert_eq!(
            decode_view(&mem, &raw const POINT_VIEW as usize).unwrap(),
            POINT_VIEW.to_need()
        );
        // Without the field list, decoding is refused, not a crash.
        ranges.remove(1);
        let err = decode_view(&Statics(ranges), &raw const POINT_VIEW as usize).unwrap_err();
        assert!(matches!(err, Error::Unreadable { .. }), "{err}");
    }

    static TWICE_PARAMS: &[crate::function::ParamDescriptor] =
        &[crate::function::ParamDescriptor::new(
            "p0",
            crate::function::pass::VALUE,
            <u32 as FieldType>::IDENTITY,
        )];

    /// A function need records the convention its host calls, so `check`
    /// tells a consumer of another convention from one that binds; a
    /// record from before the convention was recorded (0) called
    /// convention 1, and the function rule refuses it, naming both.
    #[test]
    fn a_function_need_records_its_calling_convention() {
        use crate::function::{abi, pass, ParamDescriptor};
        static RET: ParamDescriptor =
            ParamDescriptor::new("return", pass::VALUE, <u64 as FieldType>::IDENTITY);
        let mut need = FnNeedRecord::new("geo", "twice", true, TWICE_PARAMS, RET);
        assert_eq!(need.abi, abi::THUNK_V2);
        let t = |x: &'static str| (x.as_ptr() as usize, x.len());
        let decode = |need: &FnNeedRecord| {
            let mem = Statics(alloc::vec![
                (
                    core::ptr::from_ref(need) as usize,
                    size_of::<FnNeedRecord>()
                ),
                (
                    TWICE_PARAMS.as_ptr() as usize,
                    core::mem::size_of_val(TWICE_PARAMS)
                ),
                t(need.module.as_str()),
                t(need.name.as_str()),
                t(TWICE_PARAMS[0].name()),
                t(TWICE_PARAMS[0].identity().name()),
                t(RET.name()),
                t(RET.identity().name()),
            ]);
            decode_fn_need(&mem, core::ptr::from_ref(need) as usize).unwrap()
        };
        let now = decode(&need);
        assert_eq!(now.function.abi, abi::THUNK_V2);
        let library = crate::FunctionLayout {
            thunk: 0x1000,
            ..now.function.clone()
        };
        assert!(crate::compat::bind_function(&now.function, true, Some(&library)).is_ok());
        need.abi = 0;
        let old = decode(&need);
        assert_eq!(old.function.abi, 1);
        let err = crate::compat::bind_function(&old.function, true, Some(&library)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "function `twice` has calling convention 2, the client calls convention 1"
        );
    }

    #[repr(u8)]
    #[derive(crate::Resilient, Clone, Copy, Default)]
    #[resilient(crate = "crate", frozen, clone, default)]
    #[allow(dead_code, reason = "described, not used")]
    pub enum Light {
        #[default]
        Off,
        On {
            lux: u32,
        },
    }

    static LIGHT_ON: &[ViewFieldRecord] = &[ViewFieldRecord::new(
        "lux",
        true,
        Access::ByValue,
        <u32 as FieldType>::IDENTITY,
    )];
    static LIGHT_CASES: &[CaseNeedRecord] = &[
        CaseNeedRecord::new("Off", &[]),
        CaseNeedRecord::new("On", LIGHT_ON),
    ];
    static LIGHT_VIEW: EnumViewRecord = EnumViewRecord::new(
        "geo",
        "Light",
        Some(<Light as crate::Resilient>::DESCRIPTOR.fingerprint()),
        LIGHT_CASES,
    );

    fn light_ranges() -> Vec<(usize, usize)> {
        let t = |x: &'static str| (x.as_ptr() as usize, x.len());
        let s = |x: &RawStr| t(x.as_str());
        alloc::vec![
            (&raw const LIGHT_VIEW as usize, size_of::<EnumViewRecord>()),
            (
                LIGHT_CASES.as_ptr() as usize,
                core::mem::size_of_val(LIGHT_CASES)
            ),
            (LIGHT_ON.as_ptr() as usize, core::mem::size_of_val(LIGHT_ON)),
            s(&LIGHT_VIEW.module),
            s(&LIGHT_VIEW.type_name),
            s(&LIGHT_CASES[0].name),
            s(&LIGHT_CASES[1].name),
            s(&LIGHT_ON[0].name),
            t(LIGHT_ON[0].identity.name()),
        ]
    }

    #[test]
    fn enum_view_records_decode_and_bind_by_the_enum_view_rule() {
        let addr = &raw const LIGHT_VIEW as usize;
        let mem = Statics(light_ranges());
        assert!(is_enum_need(&mem, addr) && !is_fn_need(&mem, addr));
        let need = decode_enum_view(&mem, addr).unwrap();
        assert_eq!(need, LIGHT_VIEW.to_need());
        assert_eq!(need.cases[1].fields[0].name, "lux");
        assert!(need.heap_bytes() > size_of::<EnumNeed>());
        // A view record's decoder refuses it (another magic), and the
        // enum decoder refuses a view record.
        assert!(matches!(
            decode_view(&mem, addr),
            Err(Error::BadMagic { .. })
        ));
        let module = module_of(<Light as crate::Resilient>::DESCRIPTOR);
        assert!(crate::compat::bind_enum_view(&need, &module).is_ok());
        // Retyped payload, removed case, frozen promise: named.
        let mut retyped = need.clone();
        retyped.cases[1].fields[0].identity = Identity::from_record(&<u64 as FieldType>::IDENTITY);
        let text = |n: &EnumNeed| {
            crate::compat::bind_enum_view(n, &module)
                .unwrap_err()
                .iter()
                .map(alloc::string::ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            text(&retyped),
            ["field `Light::On.lux` is u32, the view expects u64"]
        );
        let mut partial = need.clone();
        partial.cases.remove(0);
        assert_eq!(
            text(&partial),
            ["frozen enum `Light` has case `Off` the view does not name: a frozen view matches exhaustively, so it names every case"]
        );
        partial.frozen = None;
        assert!(crate::compat::bind_enum_view(&partial, &module).is_ok());
        let mut stale = need.clone();
        stale.frozen = Some(1);
        assert!(text(&stale)[0].starts_with("frozen type `Light` changed its layout"));
        let mut renamed = need;
        renamed.cases[0].name = "Of".into();
        renamed.frozen = None;
        assert!(
            text(&renamed)[0].starts_with("case `Light::Of` is missing"),
            "{:?}",
            text(&renamed)
        );
    }

    #[test]
    fn hostile_enum_view_records_are_refused_not_read_past() {
        let addr = &raw const LIGHT_VIEW as usize;
        // Each range left out in turn: a typed refusal, never a read
        // outside what the memory allows.
        let all = light_ranges();
        for i in 0..all.len() {
            let mut ranges = all.clone();
            ranges.remove(i);
            let err = decode_enum_view(&Statics(ranges), addr).unwrap_err();
            assert!(
                matches!(err, Error::Unreadable { .. } | Error::BadMagic { .. }),
                "range {i}: {err}"
            );
        }
        // A forged record (bytes this test owns): counts past the limits,
        // a record size below the record's, a case named twice.
        let mut forged = alloc::vec![0u64; size_of::<EnumViewRecord>() / 8 + 8];
        let base = forged.as_mut_ptr() as usize;
        // SAFETY: copies the record's bytes into `forged`, which is larger.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (&raw const LIGHT_VIEW).cast::<u8>(),
                base as *mut u8,
                size_of::<EnumViewRecord>(),
            );
        }
        let patch = |forged: &mut Vec<u64>, at: usize, value: u64| {
            let bytes = value.to_ne_bytes();
            // SAFETY: `at + 8` lies inside `forged` (the record's fields).
            unsafe {
                core::ptr::copy_nonoverlapping(
                    bytes.as_ptr(),
                    (forged.as_mut_ptr() as *mut u8).add(at),
                    8,
                );
            }
        };
        let with = |forged: &Vec<u64>| {
            let mut r = all.clone();
            r[0] = (forged.as_ptr() as usize, size_of::<EnumViewRecord>());
            Statics(r)
        };
        let count = offset_of!(EnumViewRecord, case_count);
        patch(&mut forged, count, (limits::MAX_CASES + 1) as u64);
        let err = decode_enum_view(&with(&forged), forged.as_ptr() as usize).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
        patch(&mut forged, count, u64::MAX);
        let err = decode_enum_view(&with(&forged), forged.as_ptr() as usize).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
        // Two cases, both `Off` (the first case record twice).
        static TWICE: &[CaseNeedRecord] = &[
            CaseNeedRecord::new("Off", &[]),
            CaseNeedRecord::new("Off", &[]),
        ];
        patch(&mut forged, count, 2);
        patch(
            &mut forged,
            offset_of!(EnumViewRecord, cases),
            TWICE.as_ptr() as u64,
        );
        let mut ranges = with(&forged).0;
        ranges.push((TWICE.as_ptr() as usize, core::mem::size_of_val(TWICE)));
        ranges.push((TWICE[0].name.as_str().as_ptr() as usize, 3));
        ranges.push((TWICE[1].name.as_str().as_ptr() as usize, 3));
        let err = decode_enum_view(&Statics(ranges), forged.as_ptr() as usize).unwrap_err();
        assert_eq!(
            err.to_string(),
            Error::BadEnum {
                ty: "Light".into(),
                case: "Off".into(),
                reason: "named twice by an enum view record",
            }
            .to_string()
        );
        // A record size below the record's.
        let mut small = forged.clone();
        let size_at = offset_of!(EnumViewRecord, record_size);
        let word = small[size_at / 8];
        let shift = (size_at % 8) * 8;
        small[size_at / 8] = (word & !(0xffff_ffff << shift)) | (16 << shift);
        let err = decode_enum_view(&with(&small), small.as_ptr() as usize).unwrap_err();
        assert!(matches!(err, Error::BadRecordSize { .. }), "{err}");
    }

    fn ty(name: &str, size: usize, fields: Vec<crate::FieldLayout>) -> crate::TypeLayout {
        crate::TypeLayout {
            name: name.into(),
            flags: 0,
            size,
            align: 1,
            stride: size,
            fingerprint: 0,
            fields,
            witnesses: crate::WitnessAddrs::default(),
            accessors: Vec::new(),
            enum_info: None,
        }
    }

    #[test]
    fn a_nested_type_of_another_size_is_a_problem() {
        let nested = |size| Identity::Resilient {
            name: "Inner".into(),
            size,
            align: 1,
        };
        let module = ModuleLayout {
            name: "geo".into(),
            version: "1.0.0".into(),
            types: alloc::vec![
                ty(
                    "Outer",
                    4,
                    alloc::vec![crate::FieldLayout {
                        name: "inner".into(),
                        offset: 0,
                        identity: nested(4),
                    }],
                ),
                ty("Inner", 8, Vec::new()),
            ],
            functions: Vec::new(),
            impls: Vec::new(),
        };
        let need = ViewNeed {
            module: "geo".into(),
            type_name: "Outer".into(),
            frozen: None,
            fields: alloc::vec![FieldNeed {
                name: "inner".into(),
                required: true,
                access: Access::Nested,
                identity: nested(0),
            }],
        };
        let problems = bind_view(&need, &module).unwrap_err();
        assert_eq!(
            problems[0].to_string(),
            "field `Outer.inner` nests a `Inner` of 4 bytes (align 1), the library's `Inner` has 8 bytes (align 1)"
        );
    }

    #[test]
    fn every_missing_field_is_reported() {
        let module = ModuleLayout {
            name: "geo".into(),
            version: "1.0.0".into(),
            types: alloc::vec![ty("T", 0, Vec::new())],
            functions: Vec::new(),
            impls: Vec::new(),
        };
        let need = ViewNeed {
            module: "geo".into(),
            type_name: "T".into(),
            frozen: None,
            fields: (0..1000)
                .map(|i| FieldNeed {
                    name: format!("f{i}"),
                    required: i % 2 == 0,
                    access: Access::ByValue,
                    identity: Identity::from_record(&<u8 as FieldType>::IDENTITY),
                })
                .collect(),
        };
        let p = bind_view(&need, &module).unwrap_err();
        assert_eq!(p.len(), 500);
        assert!(need.heap_bytes() > 1000 * size_of::<FieldNeed>());
    }
}
