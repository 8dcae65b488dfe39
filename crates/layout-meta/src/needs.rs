//! Consumer needs: what a client binary's views ask of foreign types,
//! recorded as data in the client binary itself so that tools can check,
//! offline and without running anything, whether a library satisfies it
//! (`resilient check LIB --consumer BIN`).
//!
//! `resilient_types::view!` emits one [`ViewRecord`] per view and a pointer
//! to it in the ELF section [`VIEWS_SECTION`]. A reader walks that section
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
use crate::validate::{decode_identity_at, read_name_at, record, Error};
use crate::{limits, Memory};

/// The section that holds pointers to the view records (and function need
/// records) of a binary.
pub const VIEWS_SECTION: &str = "resilient_views";
/// The magic of a view record.
pub const VIEW_MAGIC: [u8; 8] = *b"RSLNTVW\0";
/// The magic of a function need record (`api!`): what a host calls.
pub const FN_NEED_MAGIC: [u8; 8] = *b"RSLNTFN\0";

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
            fields: fields
                .iter()
                .map(|f| FieldNeed {
                    name: f.name.as_str().into(),
                    required: f.required != 0,
                    // Records made by `new` hold a code of `Access`.
                    access: Access::from_code(f.access).unwrap_or(Access::ByValue),
                    identity: Identity::from_record(&f.identity),
                })
                .collect(),
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
    pub(crate) reserved: u32,
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
    /// result (calling convention 1).
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
            reserved: 0,
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
    let head = record(mem, addr, 16, "function need record")?;
    let magic: [u8; 8] = head.bytes(offset_of!(FnNeedRecord, magic));
    if magic != FN_NEED_MAGIC {
        return Err(Error::BadMagic { found: magic });
    }
    let version = head.u32(offset_of!(FnNeedRecord, format_version));
    if version != crate::FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: crate::FORMAT_VERSION,
        });
    }
    let size = head.u32(offset_of!(FnNeedRecord, record_size));
    let min = size_of::<FnNeedRecord>();
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    if len < min || size > limits::MAX_RECORD_SIZE {
        return Err(Error::BadRecordSize {
            record: "function need record",
            found: size,
            min: u32::try_from(min).unwrap_or(u32::MAX),
        });
    }
    let r = record(mem, addr, len, "function need record")?;
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
    let param = |rec: &crate::validate::RecordRef<'_>, what: &dyn Fn() -> String| {
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
            abi: crate::function::abi::THUNK_V1,
            flags: 0,
            params,
            ret,
            thunk: 0,
        },
    })
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
    let head = record(mem, addr, 16, "view record")?;
    let magic: [u8; 8] = head.bytes(offset_of!(ViewRecord, magic));
    if magic != VIEW_MAGIC {
        return Err(Error::BadMagic { found: magic });
    }
    let version = head.u32(offset_of!(ViewRecord, format_version));
    if version != crate::FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: crate::FORMAT_VERSION,
        });
    }
    let size = head.u32(offset_of!(ViewRecord, record_size));
    let min = size_of::<ViewRecord>();
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    if len < min || size > limits::MAX_RECORD_SIZE {
        return Err(Error::BadRecordSize {
            record: "view record",
            found: size,
            min: u32::try_from(min).unwrap_or(u32::MAX),
        });
    }
    let r = record(mem, addr, len, "view record")?;
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
    let count = r.word(offset_of!(ViewRecord, field_count));
    if count > limits::MAX_FIELDS {
        return Err(Error::LimitExceeded {
            what: format!("number of fields of the view of `{type_name}`"),
            found: count,
            limit: limits::MAX_FIELDS,
        });
    }
    let fsize = size_of::<ViewFieldRecord>();
    let list = record(
        mem,
        r.word(offset_of!(ViewRecord, fields)),
        count * fsize,
        "view field list",
    )?;
    let mut fields = Vec::with_capacity(count);
    for i in 0..count {
        let f = list.sub(i * fsize);
        let name = read_name_at(
            mem,
            &f,
            offset_of!(ViewFieldRecord, name),
            limits::MAX_NAME_LEN,
            &|| format!("name of field #{i} of the view of `{type_name}`"),
        )?;
        let identity = decode_identity_at(
            mem,
            &f,
            offset_of!(ViewFieldRecord, identity),
            &type_name,
            &name,
        )?;
        let code = f.u32(offset_of!(ViewFieldRecord, access));
        let Some(access) = Access::from_code(code) else {
            return Err(Error::BadIdentity {
                ty: type_name,
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
            Ok(alloc::vec![Some(x), None])
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
