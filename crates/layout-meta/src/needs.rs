//! Consumer needs: what a client binary's views ask of foreign types,
//! recorded as data in the client binary itself so that tools can check,
//! offline and without running anything, whether a library satisfies it
//! (`resilient check LIB --consumer BIN`).
//!
//! `resilient_types::view!` emits one [`ViewRecord`] per view and a pointer
//! to it in the ELF section [`VIEWS_SECTION`]. A reader walks that section
//! (an array of pointers), decodes each record through a bounded
//! [`Memory`], and [`check`]s it against a validated [`ModuleLayout`].

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem::{offset_of, size_of};

use crate::format::{RawStr, TypeIdentity, MAGIC};
use crate::layout::{Identity, ModuleLayout};
use crate::validate::{decode_identity_at, read_name_at, record, Error};
use crate::{limits, Memory};

/// The section that holds pointers to the view records of a binary.
pub const VIEWS_SECTION: &str = "resilient_views";
/// The magic of a view record.
pub const VIEW_MAGIC: [u8; 8] = *b"RSLNTVW\0";

const _: () = assert!(VIEW_MAGIC.len() == MAGIC.len(), "magics have one size");

/// One field a view needs.
#[repr(C)]
pub struct ViewFieldRecord {
    name: RawStr,
    required: u32,
    reserved: u32,
    identity: TypeIdentity,
}

impl ViewFieldRecord {
    /// The field `name`, of type `identity`, required or optional.
    pub const fn new(name: &'static str, required: bool, identity: TypeIdentity) -> Self {
        ViewFieldRecord {
            name: RawStr::new(name),
            required: required as u32,
            reserved: 0,
            identity,
        }
    }
}

/// What one view needs of one foreign type.
#[repr(C)]
pub struct ViewRecord {
    magic: [u8; 8],
    format_version: u32,
    record_size: u32,
    frozen: u32,
    reserved: u32,
    module: RawStr,
    type_name: RawStr,
    fingerprint: u64,
    field_count: usize,
    fields: *const ViewFieldRecord,
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
                    identity: Identity::from_record(&f.identity),
                })
                .collect(),
        }
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

/// At most this many problems are reported for one view; the rest are
/// counted.
pub const MAX_PROBLEMS: usize = 64;

/// One field of a [`ViewNeed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldNeed {
    /// Its name.
    pub name: String,
    /// Whether binding fails without it.
    pub required: bool,
    /// The identity expected.
    pub identity: Identity,
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
        fields.push(FieldNeed {
            required: f.u32(offset_of!(ViewFieldRecord, required)) != 0,
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

/// Every reason `module` does not satisfy `need`, as sentences naming the
/// type and field (empty: it binds), at most [`MAX_PROBLEMS`] of them and
/// then a count of the rest. Nested resilient fields are checked to exist as
/// types of the module with the size the field has (as binding checks);
/// their own views are records of their own.
pub fn check(need: &ViewNeed, module: &ModuleLayout) -> Vec<String> {
    let mut problems = problems(need, module);
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("and {more} more"));
    }
    problems
}

fn problems(need: &ViewNeed, module: &ModuleLayout) -> Vec<String> {
    let mut problems = Vec::new();
    if need.module != module.name {
        problems.push(format!(
            "the library exports module `{}`, the view is of module `{}`",
            module.name, need.module
        ));
        return problems;
    }
    let Some(ty) = module.get(&need.type_name) else {
        problems.push(format!("type `{}` is missing", need.type_name));
        return problems;
    };
    if let Some(fp) = need.frozen {
        if !ty.is_frozen() {
            problems.push(format!(
                "type `{}` is not frozen, the view expects it frozen",
                ty.name
            ));
        } else if ty.fingerprint != fp {
            problems.push(format!("frozen type `{}` changed its layout", ty.name));
        }
    }
    // One lookup table per check, not a scan of the type's fields per need.
    let by_name: alloc::collections::BTreeMap<&str, &crate::FieldLayout> =
        ty.fields.iter().map(|f| (f.name.as_str(), f)).collect();
    for f in &need.fields {
        if problems.len() > MAX_PROBLEMS {
            problems.push(format!("(further fields of `{}` not checked)", ty.name));
            break;
        }
        match by_name.get(f.name.as_str()).copied() {
            None if f.required => problems.push(format!(
                "field `{}.{}` ({}) is missing",
                ty.name, f.name, f.identity
            )),
            None => {}
            Some(found) if !f.identity.matches(&found.identity) => problems.push(format!(
                "field `{}.{}` is {}, the view expects {}",
                ty.name, f.name, found.identity, f.identity
            )),
            Some(found) => {
                if let Identity::Resilient { name, size, .. } = &found.identity {
                    match module.get(name) {
                        None => problems.push(format!(
                            "field `{}.{}` nests type `{name}`, which the library does not describe",
                            ty.name, f.name
                        )),
                        Some(inner) if inner.size != *size => problems.push(format!(
                            "field `{}.{}` nests a `{name}` of {size} bytes, the library's `{name}` has {}",
                            ty.name, f.name, inner.size
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldType;

    static POINT: &[ViewFieldRecord] = &[
        ViewFieldRecord::new("x", true, <i32 as FieldType>::IDENTITY),
        ViewFieldRecord::new("z", false, <f64 as FieldType>::IDENTITY),
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
        }
    }

    #[test]
    fn records_describe_the_need_and_check_against_layouts() {
        let need = POINT_VIEW.to_need();
        assert_eq!(need.type_name, "Point");
        assert!(need.fields[0].required && !need.fields[1].required);
        use crate::Resilient;
        assert!(check(&need, &module_of(Point::DESCRIPTOR)).is_empty());
        let problems = check(&need, &module_of(Retyped::DESCRIPTOR));
        assert_eq!(problems, ["field `Point.x` is i64, the view expects i32"]);
        let mut other = module_of(Point::DESCRIPTOR);
        other.name = "other".into();
        assert_eq!(check(&need, &other).len(), 1);
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
        };
        let need = ViewNeed {
            module: "geo".into(),
            type_name: "Outer".into(),
            frozen: None,
            fields: alloc::vec![FieldNeed {
                name: "inner".into(),
                required: true,
                identity: nested(0),
            }],
        };
        assert_eq!(
            check(&need, &module),
            ["field `Outer.inner` nests a `Inner` of 4 bytes, the library's `Inner` has 8"]
        );
    }

    #[test]
    fn problems_are_capped() {
        let module = ModuleLayout {
            name: "geo".into(),
            version: "1.0.0".into(),
            types: alloc::vec![ty("T", 0, Vec::new())],
        };
        let need = ViewNeed {
            module: "geo".into(),
            type_name: "T".into(),
            frozen: None,
            fields: (0..1000)
                .map(|i| FieldNeed {
                    name: format!("f{i}"),
                    required: true,
                    identity: Identity::from_record(&<u8 as FieldType>::IDENTITY),
                })
                .collect(),
        };
        let p = check(&need, &module);
        assert_eq!(p.len(), MAX_PROBLEMS + 1);
        assert!(p[MAX_PROBLEMS].starts_with("and "), "{p:?}");
        assert!(need.heap_bytes() > 1000 * size_of::<FieldNeed>());
    }
}
