//! What the fuzz targets and their seed test share: the input format of the
//! targets that read an image in memory, the validator's and the view
//! binder's promises checked the slow, obvious way, and a writer of view
//! records and enum view records (`decode_view`'s seeds and its round
//! trips).
//!
//! Input of `validate` and `decode_view` (integers little-endian):
//!
//! | bytes | meaning |
//! | --- | --- |
//! | 0..8 | base: the address of the image's first byte |
//! | 8..16, 16..24 | the range `[start, end)` of addresses that count as code |
//! | 24..28 | where the manifest (view record) is, from the base |
//! | 28.. | the image |

pub mod capi;

use layout_meta::compat::{contains_resilient, same_identity, Access, Place, Placement};
use layout_meta::function::pass;
use layout_meta::needs::{
    CaseNeedRecord, EnumNeed, EnumViewRecord, ViewNeed, ViewRecord, ENUM_VIEW_MAGIC, VIEW_MAGIC,
};
use layout_meta::{limits, Identity, ModuleLayout, ParamLayout, SliceMemory, FORMAT_VERSION};

/// Bytes before the image.
pub const HEADER: usize = 28;

/// A parsed input: an image placed at an address.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// Address of `image[0]`.
    pub base: usize,
    /// Addresses in `[code.0, code.1)` count as code.
    pub code: (usize, usize),
    /// Address of the record to decode.
    pub record: usize,
    /// The image.
    pub image: &'a [u8],
}

impl<'a> Input<'a> {
    /// Splits `data` into header and image; `None` if it is too short.
    pub fn parse(data: &'a [u8]) -> Option<Input<'a>> {
        let (head, image) = data.split_at_checked(HEADER)?;
        let word = |at: usize| -> Option<usize> {
            let bytes: [u8; 8] = head.get(at..at + 8)?.try_into().ok()?;
            usize::try_from(u64::from_le_bytes(bytes)).ok()
        };
        let base = word(0)?;
        let offset: [u8; 4] = head.get(24..28)?.try_into().ok()?;
        let offset = usize::try_from(u32::from_le_bytes(offset)).ok()?;
        Some(Input {
            base,
            code: (word(8)?, word(16)?),
            record: base.wrapping_add(offset),
            image,
        })
    }

    /// The image as the validator's memory.
    pub fn memory(&self) -> SliceMemory<'a> {
        SliceMemory {
            base: self.base,
            bytes: self.image,
            code: self.code,
        }
    }
}

/// An input in the format [`Input::parse`] reads.
pub fn input(base: usize, code: (usize, usize), record_offset: u32, image: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + image.len());
    for w in [base, code.0, code.1] {
        out.extend_from_slice(&(w as u64).to_le_bytes());
    }
    out.extend_from_slice(&record_offset.to_le_bytes());
    out.extend_from_slice(image);
    out
}

/// Panics unless `m` keeps every promise the validator makes of what it
/// accepts (FORMAT.md, "What the validator checks" and "Functions"),
/// checked naively. Code addresses are [`assert_in_code`]'s.
pub fn assert_sound(m: &ModuleLayout) {
    assert_name(&m.name);
    assert!(!m.version.is_empty() && m.version.len() <= limits::MAX_VERSION_LEN);
    assert!(m.types.len() <= limits::MAX_TYPES);
    for (i, t) in m.types.iter().enumerate() {
        assert_name(&t.name);
        assert!(
            m.types[..i].iter().all(|u| u.name != t.name),
            "duplicate type"
        );
        assert!(t.align.is_power_of_two() && t.align <= limits::MAX_ALIGN);
        assert_eq!(t.size % t.align, 0);
        assert!(t.size <= isize::MAX as usize);
        assert!(t.stride >= t.size && t.stride % t.align == 0);
        assert_eq!(t.fingerprint, t.compute_fingerprint());
        assert!(t.fields.len() <= limits::MAX_FIELDS);
        for (j, f) in t.fields.iter().enumerate() {
            assert_name(&f.name);
            assert_identity(&f.identity, 0);
            assert!(f.offset as u128 + f.identity.size() as u128 <= t.size as u128);
            for g in &t.fields[..j] {
                assert_ne!(f.name, g.name, "duplicate field");
                let (a, b) = (f.offset as u128, g.offset as u128);
                let (sa, sb) = (f.identity.size() as u128, g.identity.size() as u128);
                assert!(sa == 0 || sb == 0 || a + sa <= b || b + sb <= a, "overlap");
            }
            let mut id = &f.identity;
            while let Identity::Array { element, .. } = id {
                id = element;
            }
            if let Identity::Resilient { name, size, align } = id {
                if let Some(u) = m.types.iter().find(|u| &u.name == name) {
                    assert_eq!((u.size, u.align), (*size, *align), "nested layout");
                }
            }
        }
        assert!(t.fields.len() + t.accessors.len() <= limits::MAX_FIELDS);
        for (j, a) in t.accessors.iter().enumerate() {
            assert_name(&a.name);
            assert_identity(&a.identity, 0);
            assert!(
                a.get != 0 && a.set != 0,
                "an accessor without its functions"
            );
            assert!(
                t.field(&a.name).is_none(),
                "a name both stored and an accessor"
            );
            assert!(
                t.accessors[..j].iter().all(|b| b.name != a.name),
                "duplicate accessor"
            );
            assert!(
                !t.is_frozen() && !t.is_enum(),
                "accessors on a frozen type or an enum"
            );
            assert!(
                a.shape != layout_meta::accessor::shape::SLICE || a.identity.size() != 0,
                "elements of no size"
            );
        }
        let w = t.witnesses;
        use layout_meta::flags;
        assert_eq!(w.drop != 0, t.flags & flags::NEEDS_DROP != 0);
        assert_eq!(w.clone != 0, t.flags & flags::CLONABLE != 0);
        assert_eq!(w.default_init != 0, t.flags & flags::DEFAULT_INIT != 0);
        assert_eq!(t.flags & !flags::KNOWN, 0, "unknown type flags kept");
        assert!(!(t.is_pod() && w.drop != 0));
    }
    assert!(m.functions.len() <= limits::MAX_FUNCTIONS);
    for (i, f) in m.functions.iter().enumerate() {
        assert_name(&f.name);
        assert!(
            m.functions[..i].iter().all(|g| g.name != f.name),
            "duplicate function"
        );
        assert!(f.params.len() <= limits::MAX_PARAMS);
        assert_eq!(
            f.flags & !layout_meta::function::fn_flags::KNOWN,
            0,
            "unknown function flags kept"
        );
        for p in &f.params {
            assert_param(m, p, false);
        }
        assert_param(m, &f.ret, true);
    }
}

/// A parameter (or the result) has the shape its pass code gives
/// (FORMAT.md, "Functions").
fn assert_param(m: &ModuleLayout, p: &ParamLayout, is_ret: bool) {
    assert_name(&p.name);
    assert_identity(&p.identity, 0);
    match p.pass {
        pass::VALUE => assert!(!contains_resilient(&p.identity), "resilient by value"),
        pass::REF | pass::MUT | pass::OPT_REF => {
            let Identity::Resilient { name, .. } = &p.identity else {
                panic!("a reference to {} is not to a resilient type", p.identity);
            };
            assert!(m.get(name).is_some(), "a reference to an unlisted type");
            assert!(!is_ret, "a reference as a result");
        }
        pass::STR => {
            assert!(
                matches!(&p.identity, Identity::Opaque { name, .. } if name == "str"),
                "a `&str` of identity {}",
                p.identity
            );
            assert!(!is_ret, "a `&str` as a result");
        }
        pass::SLICE => {
            assert!(!contains_resilient(&p.identity), "a slice of resilient");
            assert!(!is_ret, "a slice as a result");
        }
        pass::UNIT => assert!(is_ret && p.identity.size() == 0, "`()` misplaced"),
        // A later revision's code: kept, refused by binding.
        _ => {}
    }
}

/// A name the validator accepts: not empty, within the limit, no control
/// characters (UTF-8 by type).
fn assert_name(name: &str) {
    assert!(!name.is_empty() && name.len() <= limits::MAX_NAME_LEN);
    assert!(!name.chars().any(char::is_control));
}

/// Panics unless every witness and every function thunk of `m` (which
/// `layout_meta::verify_code_addresses` accepted) is code by `is_code`.
pub fn assert_in_code(m: &ModuleLayout, is_code: impl Fn(usize) -> bool) {
    for t in &m.types {
        let w = t.witnesses;
        for a in [w.drop, w.clone, w.default_init] {
            assert!(a == 0 || is_code(a), "a witness outside the code");
        }
    }
    for f in &m.functions {
        assert!(is_code(f.thunk), "a thunk outside the code");
    }
    for t in &m.types {
        for a in &t.accessors {
            assert!(
                is_code(a.get) && is_code(a.set),
                "an accessor outside the code"
            );
        }
    }
}

/// Panics unless `placement`, a verdict of `layout_meta::compat::bind_view`
/// for `need` against `module`, keeps the view rule's promises (FORMAT.md,
/// "Binding"): one entry per field; a required field placed; each placed
/// field is the module's field of that name, at that offset, of the
/// expected identity; a field read by value holds no resilient type, a
/// nested one is a resilient type the module lists with the field's size
/// and alignment.
pub fn assert_placement(need: &ViewNeed, module: &ModuleLayout, placement: &Placement) {
    assert_eq!(need.module, module.name);
    let ty = module.get(&need.type_name).expect("the view's type");
    if let Some(fingerprint) = need.frozen {
        assert!(ty.is_frozen() && ty.fingerprint == fingerprint);
    }
    assert_eq!(placement.len(), need.fields.len());
    for (want, place) in need.fields.iter().zip(placement) {
        let Some(place) = place else {
            assert!(!want.required, "a required field left unplaced");
            assert!(
                ty.field(&want.name).is_none() && ty.accessor(&want.name).is_none(),
                "a present field unplaced"
            );
            continue;
        };
        let offset = match *place {
            Place::Stored(offset) => offset,
            Place::Computed(i) | Place::Accessor(i) => {
                let a = &ty.accessors[i];
                assert_eq!(
                    a.name, want.name,
                    "the placed accessor is the field of that name"
                );
                assert!(same_identity(&want.identity, &a.identity));
                if let Identity::Resilient { name, size, align } = &a.identity {
                    // Elements of an exported type: that type, as listed,
                    // its elements `size` apart.
                    assert_eq!(want.access, Access::Elements);
                    let inner = module.get(name).expect("an element type the module lists");
                    assert_eq!((inner.size, inner.align), (*size, *align));
                    assert_eq!(inner.stride, inner.size);
                } else {
                    assert!(!contains_resilient(&a.identity));
                }
                let (computed, text, elements) = (
                    a.shape == layout_meta::accessor::shape::VALUE,
                    a.shape == layout_meta::accessor::shape::STR,
                    a.shape == layout_meta::accessor::shape::SLICE,
                );
                match (want.access, place) {
                    (Access::ByValue, Place::Computed(_)) => assert!(computed),
                    (Access::Text, Place::Accessor(_)) => assert!(text && !a.is_optional()),
                    (Access::OptionalText, Place::Accessor(_)) => assert!(text && a.is_optional()),
                    (Access::Elements, Place::Accessor(_)) => assert!(elements && !a.is_optional()),
                    other => panic!("{other:?}: an accessor placed for the wrong access"),
                }
                continue;
            }
        };
        let found = ty.field(&want.name).expect("a placed field exists");
        assert_eq!(found.offset, offset);
        assert!(same_identity(&want.identity, &found.identity));
        match want.access {
            Access::ByValue => assert!(!contains_resilient(&found.identity)),
            Access::Nested => {
                let Identity::Resilient { name, size, align } = &found.identity else {
                    panic!("a nested field that is not a resilient type");
                };
                let inner = module.get(name).expect("a nested type the module lists");
                assert_eq!((inner.size, inner.align), (*size, *align));
            }
            other => panic!("{other:?}: a stored field placed for an accessor view"),
        }
    }
}

fn assert_identity(id: &Identity, depth: usize) {
    assert!(depth <= limits::MAX_IDENTITY_DEPTH);
    assert!(id.align().is_power_of_two() && id.align() <= limits::MAX_ALIGN);
    assert_eq!(id.size() % id.align(), 0);
    match id {
        Identity::Array {
            element,
            count,
            size,
            align,
        } => {
            assert_eq!(element.size() as u128 * *count as u128, *size as u128);
            assert_eq!(element.align(), *align);
            assert_identity(element, depth + 1);
        }
        other => assert!(!other.name().is_empty()),
    }
}

/// Offset of `field` in the format record `record` (as `layout.h` names
/// them).
pub fn off(record: &str, field: &str) -> usize {
    layout_meta::format::offsets::ALL
        .iter()
        .find(|(r, f, _)| *r == record && *f == field)
        .map_or_else(|| panic!("no field {record}.{field}"), |e| e.2)
}

// The view record and its field record (FORMAT.md, "Consumer needs").
const V_MAGIC: usize = 0;
const V_VERSION: usize = 8;
const V_RECORD_SIZE: usize = 12;
const V_FROZEN: usize = 16;
const V_MODULE: usize = 24;
const V_TYPE: usize = 40;
const V_FINGERPRINT: usize = 56;
const V_FIELD_COUNT: usize = 64;
const V_FIELDS: usize = 72;
const VF_NAME: usize = 0;
const VF_REQUIRED: usize = 16;
const VF_ACCESS: usize = 20;
const VF_IDENTITY: usize = 24;
const VIEW_SIZE: usize = size_of::<ViewRecord>();
const VIEW_FIELD_SIZE: usize = size_of::<layout_meta::needs::ViewFieldRecord>();
const ENUM_VIEW_SIZE: usize = size_of::<EnumViewRecord>();
const CASE_NEED_SIZE: usize = size_of::<CaseNeedRecord>();
const IDENTITY_SIZE: usize = size_of::<layout_meta::format::TypeIdentity>();

/// Writes records into an image meant to sit at `base`.
struct Writer {
    base: usize,
    bytes: Vec<u8>,
}

impl Writer {
    fn alloc(&mut self, len: usize) -> usize {
        self.bytes.resize(self.bytes.len().next_multiple_of(16), 0);
        let at = self.bytes.len();
        self.bytes.resize(at + len, 0);
        at
    }
    fn put(&mut self, at: usize, data: &[u8]) {
        self.bytes[at..at + data.len()].copy_from_slice(data);
    }
    fn word(&mut self, at: usize, w: usize) {
        self.put(at, &w.to_ne_bytes());
    }
    fn str(&mut self, at: usize, s: &str) {
        let data = self.alloc(s.len());
        self.put(data, s.as_bytes());
        self.word(at + off("rsl_str", "ptr"), self.base.wrapping_add(data));
        self.word(at + off("rsl_str", "len"), s.len());
    }
    fn identity(&mut self, at: usize, id: &Identity) {
        let o = |f| off("rsl_type_identity", f);
        self.put(at + o("kind"), &id.kind_code().to_ne_bytes());
        if !id.name().is_empty() {
            self.str(at + o("name"), id.name());
        }
        self.word(at + o("size"), id.size());
        self.word(at + o("align"), id.align());
        self.word(at + o("count"), id.count());
        if let Some(e) = id.element() {
            let rec = self.alloc(IDENTITY_SIZE);
            self.identity(rec, e);
            self.word(at + o("element"), self.base.wrapping_add(rec));
        }
    }
}

/// `need` as a view record at `base` (the record first), in the layout
/// `view!` emits.
pub fn encode_view(need: &ViewNeed, base: usize) -> Vec<u8> {
    let mut w = Writer {
        base,
        bytes: Vec::new(),
    };
    let r = w.alloc(VIEW_SIZE);
    w.put(r + V_MAGIC, &VIEW_MAGIC);
    w.put(r + V_VERSION, &FORMAT_VERSION.to_ne_bytes());
    w.put(r + V_RECORD_SIZE, &(VIEW_SIZE as u32).to_ne_bytes());
    w.put(
        r + V_FROZEN,
        &u32::from(need.frozen.is_some()).to_ne_bytes(),
    );
    w.str(r + V_MODULE, &need.module);
    w.str(r + V_TYPE, &need.type_name);
    w.put(r + V_FINGERPRINT, &need.frozen.unwrap_or(0).to_ne_bytes());
    w.word(r + V_FIELD_COUNT, need.fields.len());
    let list = w.fields(&need.fields);
    w.word(r + V_FIELDS, base.wrapping_add(list));
    w.bytes
}

/// `need` as an enum view record at `base` (the record first), in the
/// layout `enum_view!` emits: the view record's header (the offsets of
/// `rsl_enum_view_record` are `rsl_view_record`'s), then its cases.
pub fn encode_enum_view(need: &EnumNeed, base: usize) -> Vec<u8> {
    let mut w = Writer {
        base,
        bytes: Vec::new(),
    };
    let r = w.alloc(ENUM_VIEW_SIZE);
    let e = |f| off("rsl_enum_view_record", f);
    w.put(r + e("magic"), &ENUM_VIEW_MAGIC);
    w.put(r + e("format_version"), &FORMAT_VERSION.to_ne_bytes());
    w.put(r + e("record_size"), &(ENUM_VIEW_SIZE as u32).to_ne_bytes());
    w.put(
        r + e("frozen"),
        &u32::from(need.frozen.is_some()).to_ne_bytes(),
    );
    w.str(r + e("module"), &need.module);
    w.str(r + e("type_name"), &need.type_name);
    w.put(
        r + e("fingerprint"),
        &need.frozen.unwrap_or(0).to_ne_bytes(),
    );
    w.word(r + e("case_count"), need.cases.len());
    let cases = w.alloc(need.cases.len() * CASE_NEED_SIZE);
    w.word(r + e("cases"), base.wrapping_add(cases));
    let c = |f| off("rsl_case_need_record", f);
    for (i, case) in need.cases.iter().enumerate() {
        let at = cases + i * CASE_NEED_SIZE;
        w.str(at + c("name"), &case.name);
        w.word(at + c("field_count"), case.fields.len());
        let list = w.fields(&case.fields);
        w.word(at + c("fields"), base.wrapping_add(list));
    }
    w.bytes
}

impl Writer {
    /// `fields` as a list of field records; where the list is.
    fn fields(&mut self, fields: &[layout_meta::needs::FieldNeed]) -> usize {
        let list = self.alloc(fields.len() * VIEW_FIELD_SIZE);
        for (i, f) in fields.iter().enumerate() {
            let at = list + i * VIEW_FIELD_SIZE;
            self.str(at + VF_NAME, &f.name);
            self.put(at + VF_REQUIRED, &u32::from(f.required).to_ne_bytes());
            self.put(at + VF_ACCESS, &f.access.code().to_ne_bytes());
            self.identity(at + VF_IDENTITY, &f.identity);
        }
        list
    }
}
