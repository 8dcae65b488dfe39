//! Checked layouts: what the validator hands out once it has accepted a
//! manifest. Every number here satisfies the invariants listed on each type;
//! unsafe code may rely on them.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use alloc::collections::BTreeMap;

use crate::format::{flags, kind};

/// A validated module: its name, version and types.
///
/// Invariants (unsafe code may rely on them): type names are unique; every
/// [`TypeLayout`] satisfies its own invariants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleLayout {
    /// The module's name.
    pub name: String,
    /// The module's version (semver text, checked for syntax).
    pub version: String,
    /// The types, in manifest order.
    pub types: Vec<TypeLayout>,
    /// The exported functions, in manifest order (none before format 1.1).
    pub functions: Vec<FunctionLayout>,
    /// The exported interface implementations, in manifest order.
    pub impls: Vec<ImplLayout>,
}

/// A validated implementation of an interface by a type of the module.
///
/// Invariants (unsafe code may rely on them): `type_name` is a type of the
/// module; every method is a valid [`FunctionLayout`] whose first parameter
/// is `&type_name` or `&mut type_name`; method names are unique; no other
/// implementation of the module has the same interface and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImplLayout {
    /// The interface's name.
    pub interface: String,
    /// The implementing type's name.
    pub type_name: String,
    /// The method table.
    pub methods: Vec<FunctionLayout>,
}

impl ImplLayout {
    /// The method called `name`.
    pub fn method(&self, name: &str) -> Option<&FunctionLayout> {
        self.methods.iter().find(|m| m.name == name)
    }
}

impl ModuleLayout {
    /// The type called `name`, if the module has it.
    pub fn get(&self, name: &str) -> Option<&TypeLayout> {
        self.types.iter().find(|t| t.name == name)
    }
    /// The implementations of interface `name`, in manifest order.
    pub fn impls_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ImplLayout> + 'a {
        self.impls.iter().filter(move |i| i.interface == name)
    }
    /// The function called `name`, if the module exports it.
    pub fn function(&self, name: &str) -> Option<&FunctionLayout> {
        self.functions.iter().find(|f| f.name == name)
    }
}

/// A validated exported function.
///
/// Invariants (unsafe code may rely on them): parameter and result
/// identities are well formed; a parameter passed by reference names a type
/// of the module; one passed by value holds no resilient type; `thunk` lies
/// in the library's code. The calling convention and pass codes are those
/// the library wrote, possibly unknown to this reader: binding refuses what
/// it does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionLayout {
    /// The function's name.
    pub name: String,
    /// Its calling convention ([`crate::function::abi`]).
    pub abi: u32,
    /// Its flags ([`crate::function::fn_flags`]), unknown bits cleared.
    pub flags: u32,
    /// Its parameters, in order.
    pub params: Vec<ParamLayout>,
    /// Its result (named `return`).
    pub ret: ParamLayout,
    /// The thunk's address (0 for a layout not read from a library).
    pub thunk: usize,
}

/// A validated parameter or result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamLayout {
    /// The parameter's name.
    pub name: String,
    /// How it crosses ([`crate::function::pass`]).
    pub pass: u32,
    /// Its type (for references and slices, the referent's or element's).
    pub identity: Identity,
}

impl fmt::Display for ParamLayout {
    /// The parameter as its type reads in Rust: `f64`, `&Circle`, `&str`...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::function::pass;
        let name = self.identity.name();
        match self.pass {
            pass::VALUE => write!(f, "{}", self.identity),
            pass::REF => write!(f, "&{name}"),
            pass::MUT => write!(f, "&mut {name}"),
            pass::OPT_REF => write!(f, "Option<&{name}>"),
            pass::STR => f.write_str("&str"),
            pass::SLICE => write!(f, "&[{}]", self.identity),
            pass::UNIT => f.write_str("()"),
            pass::OWNED => f.write_str(name),
            pass::OWNED_STR => f.write_str("String"),
            pass::OWNED_SLICE => write!(f, "Vec<{}>", self.identity),
            other => write!(f, "<unknown pass {other}> {}", self.identity),
        }
    }
}

impl fmt::Display for FunctionLayout {
    /// The signature: `fn scale(x: f64, by: f64) -> f64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fn {}(", self.name)?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: {p}", p.name)?;
        }
        f.write_str(")")?;
        if self.ret.pass != crate::function::pass::UNIT {
            write!(f, " -> {}", self.ret)?;
        }
        Ok(())
    }
}

impl crate::function::FunctionDescriptor {
    /// The checked-layout form of this (compiled-in) record.
    pub fn to_layout(&self) -> FunctionLayout {
        let param = |p: &crate::function::ParamDescriptor| ParamLayout {
            name: p.name().into(),
            pass: p.pass(),
            identity: Identity::from_record(p.identity()),
        };
        FunctionLayout {
            name: self.name().into(),
            abi: self.abi(),
            flags: self.flags() & crate::function::fn_flags::KNOWN,
            params: self.params().iter().map(param).collect(),
            ret: param(self.ret()),
            thunk: self.thunk() as usize,
        }
    }
}

/// Addresses of a type's value witnesses (0 where absent). They are only
/// addresses here: the loader turns them into callable functions once it has
/// checked that they lie in the library's code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WitnessAddrs {
    /// `drop` witness address, or 0.
    pub drop: usize,
    /// `clone` witness address, or 0.
    pub clone: usize,
    /// `default_init` witness address, or 0.
    pub default_init: usize,
}

/// A validated type layout.
///
/// Invariants (unsafe code may rely on them):
/// - `align` is a power of two no larger than [`crate::limits::MAX_ALIGN`];
/// - `size` is a multiple of `align` and at most `isize::MAX`;
/// - `stride >= size`, `stride` is a multiple of `align`, at most `isize::MAX`;
/// - every field lies inside `[0, size)`: `offset + identity.size() <= size`;
/// - no two fields of nonzero size overlap; field names are unique;
/// - `fingerprint` is the fingerprint of exactly this layout;
/// - a witness address is nonzero iff its flag is set, and lies in code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeLayout {
    /// The type's name.
    pub name: String,
    /// Flags ([`crate::flags`]), unknown bits cleared.
    pub flags: u32,
    /// Size in bytes.
    pub size: usize,
    /// Alignment in bytes.
    pub align: usize,
    /// Distance between array elements.
    pub stride: usize,
    /// Layout fingerprint.
    pub fingerprint: u64,
    /// Exported fields, in declaration order.
    pub fields: Vec<FieldLayout>,
    /// Value witnesses.
    pub witnesses: WitnessAddrs,
    /// What an enum adds (its cases); `None` for a struct.
    pub enum_info: Option<EnumLayout>,
    /// Fields reached through the library's code (format 1.3): accessor
    /// fields and computed fields, in declaration order. Their names differ
    /// from the stored fields'.
    pub accessors: Vec<AccessorLayout>,
}

/// A validated accessor or computed field ([`crate::accessor`]).
///
/// Invariants (from the validator): the name is unique among the type's
/// fields and accessors; `get` and `set` lie in the library's code; a
/// [`crate::accessor::shape::VALUE`] identity holds no resilient type; a
/// `STR` identity is the opaque `str`; a `SLICE` identity is plain (holds
/// no resilient type). The shape may be one this reader does not know
/// (a later revision's): binding refuses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessorLayout {
    /// The field's name.
    pub name: String,
    /// What it reaches ([`crate::accessor::shape`]).
    pub shape: u32,
    /// [`crate::accessor::accessor_flags`], unknown bits cleared.
    pub flags: u32,
    /// The value's identity, `str`, or the element's.
    pub identity: Identity,
    /// The getter's address.
    pub get: usize,
    /// The setter's address.
    pub set: usize,
}

impl AccessorLayout {
    /// Whether the field may hold nothing (`Option<String>`).
    pub fn is_optional(&self) -> bool {
        self.flags & crate::accessor::accessor_flags::OPTIONAL != 0
    }
    /// An elements field of an exported type as the field its element
    /// view binds through (`compat::bind_nested`): its name and element
    /// identity, at offset 0 (elements have no offset in the value).
    pub fn as_element_field(&self) -> FieldLayout {
        FieldLayout {
            name: self.name.clone(),
            offset: 0,
            identity: self.identity.clone(),
        }
    }
}

impl fmt::Display for AccessorLayout {
    /// The field's type as it reads in Rust: `u32 (computed)`, `String`,
    /// `Option<String>`, `Vec<u32>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::accessor::shape;
        let opt = self.is_optional();
        if opt {
            f.write_str("Option<")?;
        }
        match self.shape {
            shape::VALUE => write!(f, "{} (computed)", self.identity)?,
            shape::STR => f.write_str("String")?,
            shape::SLICE => write!(f, "Vec<{}>", self.identity)?,
            other => write!(f, "<unknown shape {other}> {}", self.identity)?,
        }
        if opt {
            f.write_str(">")?;
        }
        Ok(())
    }
}

/// A validated enum: its cases in declaration order, how its tag and
/// payloads are laid out, and its witnesses' addresses.
///
/// Invariants (from the validator): case names are distinct and non-empty;
/// within a case, payload field names are distinct; a plain tag
/// (`tag: Some`) has size 1, 2, 4 or 8 and lies inside the value, and the
/// cases' tags are distinct and fit in it; plain payload offsets
/// (`payload_plain`) put each field inside the value, aligned; `case_of`
/// is code, and `locate` is code unless the payloads are plain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumLayout {
    /// `(offset, size)` of a plain tag, if the tag is plain data.
    pub tag: Option<(usize, u32)>,
    /// Whether payload offsets are offsets from the value's start.
    pub payload_plain: bool,
    /// The cases, in declaration order (a case's index is its place here).
    pub cases: Vec<CaseLayout>,
    /// The `case_of` witness.
    pub case_of: usize,
    /// The `locate` witness (0: absent).
    pub locate: usize,
    /// The `write_case` witness (0: absent).
    pub write_case: usize,
}

impl EnumLayout {
    /// The case called `name`, with its index.
    pub fn case(&self, name: &str) -> Option<(usize, &CaseLayout)> {
        self.cases.iter().enumerate().find(|(_, c)| c.name == name)
    }
}

/// One validated case of an enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseLayout {
    /// The case's name.
    pub name: String,
    /// Its plain tag (0 where the tag is not plain).
    pub tag: u64,
    /// Its payload fields: offsets from the value's start where the
    /// payloads are plain, else 0 (reached through `locate`).
    pub fields: Vec<FieldLayout>,
}

impl CaseLayout {
    /// The payload field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldLayout> {
        self.fields.iter().find(|f| f.name == name)
    }
}

impl TypeLayout {
    /// Whether the type is an enum.
    pub fn is_enum(&self) -> bool {
        self.enum_info.is_some()
    }
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldLayout> {
        self.fields.iter().find(|f| f.name == name)
    }
    /// The accessor or computed field called `name`.
    pub fn accessor(&self, name: &str) -> Option<&AccessorLayout> {
        self.accessors.iter().find(|a| a.name == name)
    }
    /// Whether the type is frozen.
    pub fn is_frozen(&self) -> bool {
        self.flags & flags::FROZEN != 0
    }
    /// Whether the type is plain old data.
    pub fn is_pod(&self) -> bool {
        self.flags & flags::POD != 0
    }
    /// Whether values may move to another thread ([`flags::SEND`]).
    pub fn is_send(&self) -> bool {
        self.flags & flags::SEND != 0
    }
    /// Whether this is exactly the layout `d` describes: same name, size,
    /// alignment, stride and fingerprint, and the same fields (name, offset
    /// and identity, in order). Compares every field rather than trusting
    /// the 64-bit fingerprint alone; flags and witnesses are not compared
    /// (they say what a type can do, not where its fields are).
    pub fn is_descriptor(&self, d: &crate::format::TypeDescriptor) -> bool {
        let d = d.to_layout();
        self.name == d.name
            && self.size == d.size
            && self.align == d.align
            && self.stride == d.stride
            && self.fingerprint == d.fingerprint
            && self.fields == d.fields
            && self
                .enum_info
                .as_ref()
                .map(|e| (e.tag, e.payload_plain, &e.cases))
                == d.enum_info
                    .as_ref()
                    .map(|e| (e.tag, e.payload_plain, &e.cases))
    }

    /// The fingerprint this layout would have; equal to `fingerprint` for
    /// every validated layout.
    pub fn compute_fingerprint(&self) -> u64 {
        match &self.enum_info {
            None => crate::fingerprint::of_layout(self.size, self.align, self.stride, &self.fields),
            Some(e) => crate::fingerprint::of_enum_layout(self.size, self.align, self.stride, e),
        }
    }
}

/// A validated field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    /// The field's name.
    pub name: String,
    /// Byte offset in the value.
    pub offset: usize,
    /// The field's type.
    pub identity: Identity,
}

impl FieldLayout {
    /// Whether the field's offset is a multiple of its alignment (it is not,
    /// in packed types): only aligned fields may be referenced in place.
    pub fn is_aligned(&self) -> bool {
        self.offset % self.identity.align() == 0
    }
}

/// A checked type identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A primitive scalar.
    Scalar {
        /// Canonical name (`u32`, `f64`, `bool`, ...). The decoder
        /// borrows the primitive names from static strings
        /// ([`Identity::scalar_name`]), so that decoding a layout allocates
        /// nothing for its scalars; whether a name is borrowed or owned
        /// never matters to equality, hashing or display.
        name: Cow<'static, str>,
        /// Size in bytes.
        size: usize,
        /// Alignment.
        align: usize,
    },
    /// A fixed array.
    Array {
        /// The element type.
        element: Box<Identity>,
        /// Element count.
        count: usize,
        /// Size in bytes (`count * element.size()`).
        size: usize,
        /// Alignment (the element's).
        align: usize,
    },
    /// A nested resilient type.
    Resilient {
        /// The type's name.
        name: String,
        /// Its size in the library that exported this identity.
        size: usize,
        /// Its alignment in that library.
        align: usize,
    },
    /// A named type of fixed layout.
    Opaque {
        /// Its name.
        name: String,
        /// Size in bytes.
        size: usize,
        /// Alignment.
        align: usize,
    },
}

impl Identity {
    /// Size in bytes.
    pub fn size(&self) -> usize {
        match self {
            Identity::Scalar { size, .. }
            | Identity::Array { size, .. }
            | Identity::Resilient { size, .. }
            | Identity::Opaque { size, .. } => *size,
        }
    }
    /// Alignment in bytes.
    pub fn align(&self) -> usize {
        match self {
            Identity::Scalar { align, .. }
            | Identity::Array { align, .. }
            | Identity::Resilient { align, .. }
            | Identity::Opaque { align, .. } => *align,
        }
    }
    /// The name (empty for arrays).
    pub fn name(&self) -> &str {
        match self {
            Identity::Scalar { name, .. } => name,
            Identity::Resilient { name, .. } | Identity::Opaque { name, .. } => name,
            Identity::Array { .. } => "",
        }
    }
    /// Array length, 0 for other kinds.
    pub fn count(&self) -> usize {
        match self {
            Identity::Array { count, .. } => *count,
            _ => 0,
        }
    }
    /// Array element.
    pub fn element(&self) -> Option<&Identity> {
        match self {
            Identity::Array { element, .. } => Some(element),
            _ => None,
        }
    }
    /// The [`crate::kind`] code.
    pub fn kind_code(&self) -> u32 {
        match self {
            Identity::Scalar { .. } => kind::SCALAR,
            Identity::Array { .. } => kind::ARRAY,
            Identity::Resilient { .. } => kind::RESILIENT,
            Identity::Opaque { .. } => kind::OPAQUE,
        }
    }

    /// The bytes this identity holds on the heap: its names and its boxed
    /// elements (what decoders charge against their memory budgets).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Identity::Array { element, .. } => {
                core::mem::size_of::<Identity>() + element.heap_bytes()
            }
            other => other.name().len(),
        }
    }

    /// A scalar's name as [`Identity::Scalar`] holds it: borrowed from a
    /// static table if it is the name of one of Rust's primitive scalars
    /// (`u8` to `u128`, `i8` to `i128`, `usize`, `isize`, `f32`, `f64`,
    /// `bool`, `char`), else owned.
    pub fn scalar_name(name: &str) -> Cow<'static, str> {
        Cow::Borrowed(match name {
            "u8" => "u8",
            "u16" => "u16",
            "u32" => "u32",
            "u64" => "u64",
            "u128" => "u128",
            "usize" => "usize",
            "i8" => "i8",
            "i16" => "i16",
            "i32" => "i32",
            "i64" => "i64",
            "i128" => "i128",
            "isize" => "isize",
            "f32" => "f32",
            "f64" => "f64",
            "bool" => "bool",
            "char" => "char",
            _ => return Cow::Owned(name.into()),
        })
    }

    /// The identity described by a producer's record.
    pub fn from_record(id: &crate::format::TypeIdentity) -> Identity {
        let (name, size, align) = (id.name(), id.size(), id.align());
        match (id.kind(), id.element()) {
            (kind::ARRAY, Some(e)) => Identity::Array {
                element: Box::new(Identity::from_record(e)),
                count: id.count(),
                size,
                align,
            },
            (kind::SCALAR, _) => Identity::Scalar {
                name: Identity::scalar_name(name),
                size,
                align,
            },
            (kind::RESILIENT, _) => Identity::Resilient {
                name: name.into(),
                size,
                align,
            },
            _ => Identity::Opaque {
                name: name.into(),
                size,
                align,
            },
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Scalar { name, .. } => f.write_str(name),
            Identity::Array { element, count, .. } => write!(f, "[{element}; {count}]"),
            Identity::Resilient { name, .. } => write!(f, "resilient {name}"),
            Identity::Opaque {
                name, size, align, ..
            } => write!(f, "{name} ({size} bytes, align {align})"),
        }
    }
}

/// Items of one list found by name: a scan for a few, a map for more
/// (matching two lists of `n` is then `O(n log n)`, never `O(n^2)`).
pub(crate) struct ByName<'a, T> {
    list: &'a [T],
    map: Option<BTreeMap<&'a str, &'a T>>,
    name: fn(&T) -> &str,
}

impl<'a, T> ByName<'a, T> {
    /// Past this many items a map is built.
    const SCAN: usize = 16;

    /// The map keeps the first item of each name, as the scan finds it, so
    /// that a list that repeats a name (one nobody validated) reads the
    /// same however long it is.
    pub(crate) fn new(list: &'a [T], name: fn(&T) -> &str) -> Self {
        let map = (list.len() > Self::SCAN).then(|| {
            let mut map = BTreeMap::new();
            for t in list {
                map.entry(name(t)).or_insert(t);
            }
            map
        });
        ByName { list, map, name }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a T> {
        match &self.map {
            Some(map) => map.get(key).copied(),
            None => self.list.iter().find(|t| (self.name)(t) == key),
        }
    }
}
