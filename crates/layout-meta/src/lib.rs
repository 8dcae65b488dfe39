//! # layout-meta: the resilient layout metadata format
//!
//! A library that wants to change its types without breaking the binaries
//! built against it exports its layouts as data. This crate is that data:
//!
//! - the **format** ([`format`](mod@format)): `#[repr(C)]` records for a module manifest,
//!   type descriptors, field descriptors and type identities, documented byte
//!   for byte in `docs/FORMAT.md` and declared for C in
//!   `cpp/include/resilient/layout.h`;
//! - the **producer side**: `#[derive(Resilient)]` on a library's real type
//!   (any `repr`) and [`export_module!`] export every number as the compiler
//!   computed it, under stable symbols (`Widget_size`, `Widget_align`,
//!   `Widget_<field>_offset`, `Widget_descriptor`, `resilient_manifest`);
//! - the **validator** ([`validate()`]): untrusted bytes in, a checked
//!   [`ModuleLayout`] or a typed [`Error`] out, never a panic;
//! - the **change rules** ([`diff`]): what changed between two versions of a
//!   module, compatible or breaking.
//!
//! No loading, no I/O: that is `resilient-loader`'s job.
//!
//! ## Example
//!
//! ```
//! use layout_meta::Resilient;
//!
//! #[derive(Resilient, Clone, Default)]
//! #[resilient(clone, default)]
//! pub struct Widget {
//!     pub id: u64,
//!     pub weight: f32,
//!     pub tags: [u8; 4],
//!     // Private fields are not exported: the library may change them freely.
//!     cache: Vec<u8>,
//! }
//!
//! layout_meta::export_module! { name: "widgets", version: "1.0.0", types: [Widget] }
//!
//! // The numbers a client across the boundary will read, as the compiler
//! // computed them:
//! let layout = Widget::DESCRIPTOR.to_layout();
//! assert_eq!(layout.size, core::mem::size_of::<Widget>());
//! assert_eq!(layout.field("weight").unwrap().offset, core::mem::offset_of!(Widget, weight));
//! assert!(layout.field("cache").is_none());
//! ```
//!
//! `#[resilient(send)]` lets clients move values to other threads; it is
//! checked, so a type that is not `Send` cannot claim it:
//!
//! ```compile_fail
//! #[derive(layout_meta::Resilient)]
//! #[resilient(send)]
//! pub struct Shared {
//!     pub id: u64,
//!     counter: std::rc::Rc<u64>,
//! }
//! ```
//!
//! A frozen type exports every field: its consumers compile its whole layout
//! in, so it has no private fields that could change unseen.
//!
//! ```compile_fail
//! #[derive(layout_meta::Resilient)]
//! #[repr(C)]
//! #[resilient(frozen)]
//! pub struct Point {
//!     pub x: i32,
//!     y: i32,
//! }
//! ```
//!
//! A module lists every type nested in its types, and every type its
//! functions take or return (a client binds them through the module's type
//! of that name):
//!
//! ```compile_fail
//! #[derive(layout_meta::Resilient)]
//! pub struct Inner { pub x: u8 }
//! #[derive(layout_meta::Resilient)]
//! pub struct Outer { pub inner: Inner }
//! layout_meta::export_module! { name: "m", version: "1.0.0", types: [Outer] }
//! ```
//!
//! ```compile_fail
//! #[derive(layout_meta::Resilient)]
//! pub struct Listed { pub x: u8 }
//! #[derive(layout_meta::Resilient)]
//! pub struct Unlisted { pub y: u8 }
//! #[layout_meta::export]
//! pub fn make() -> Unlisted { Unlisted { y: 1 } }
//! layout_meta::export_module! {
//!     name: "m", version: "1.0.0", types: [Listed], functions: [make],
//! }
//! ```
//!
//! A module's version is semver (a loader refuses any other):
//!
//! ```compile_fail
//! #[derive(layout_meta::Resilient)]
//! pub struct Listed { pub x: u8 }
//! layout_meta::export_module! { name: "m", version: "1.0", types: [Listed] }
//! ```
//!
//! A module cannot list, under the name of a type nested in one of its
//! types, a different type (clients bind nested fields through the
//! module's type of that name):
//!
//! ```compile_fail
//! mod dep {
//!     #[derive(layout_meta::Resilient)]
//!     #[resilient(prefix = "dep_")]
//!     pub struct Widget { pub flag: bool }
//! }
//! #[derive(layout_meta::Resilient)]
//! pub struct Outer { pub inner: dep::Widget }
//! #[derive(layout_meta::Resilient)]
//! #[resilient(name = "Widget", prefix = "impostor_")]
//! pub struct Impostor { pub x: u8 }
//! layout_meta::export_module! { name: "m", version: "1.0.0", types: [Outer, Impostor] }
//! ```
//!
//! Nor under the name of the exported type an elements field holds
//! (`Vec<Widget>`: clients read its elements, and the library clones values
//! they pass, as the module's type of that name):
//!
//! ```compile_fail
//! mod dep {
//!     #[derive(layout_meta::Resilient, Clone)]
//!     #[resilient(prefix = "dep_")]
//!     pub struct Widget { pub name: String, pub id: u64 }
//! }
//! #[derive(layout_meta::Resilient)]
//! pub struct Outer { pub all: Vec<dep::Widget> }
//! #[derive(layout_meta::Resilient, Clone, Copy)]
//! #[resilient(name = "Widget", prefix = "impostor_")]
//! pub struct Impostor { pub a: u64, pub b: u64, pub c: u64, pub d: u64 }
//! layout_meta::export_module! { name: "m", version: "1.0.0", types: [Outer, Impostor] }
//! ```
//!
//! A field exported `opaque` (by its written name) must be `bytemuck::Pod`:
//! a name does not say which bit patterns are values.
//!
//! ```compile_fail
//! #[derive(layout_meta::Resilient)]
//! pub struct Flags {
//!     #[resilient(opaque)]
//!     pub on: std::num::NonZeroU8,
//! }
//! ```
//!
//! ## What an exported function cannot do
//!
//! Keep a borrowed parameter past the call, even through an alias (the
//! host's value may be gone):
//!
//! ```compile_fail
//! #[derive(layout_meta::Resilient)]
//! pub struct Counter { pub id: u64 }
//! pub type Forever = &'static Counter;
//! #[layout_meta::export]
//! pub fn keep(c: Forever) -> u64 { c.id }
//! ```
//!
//! Take `&T` of a type that is not `Sync` (a host may share its reference
//! between threads):
//!
//! ```compile_fail
//! #[derive(layout_meta::Resilient)]
//! pub struct Counter { pub id: u64, hits: std::cell::Cell<u64> }
//! #[layout_meta::export]
//! pub fn bump(c: &Counter) { c.hits.set(c.hits.get() + 1) }
//! ```
//!
//! Be `unsafe` (a host calls it through a safe, checked call):
//!
//! ```compile_fail
//! #[layout_meta::export]
//! pub unsafe fn peek(addr: usize) -> u64 { unsafe { *(addr as *const u64) } }
//! ```
//!
//! Take a reference to a type the module lists under that name with
//! another layout (the host passes the module's type of that name):
//!
//! ```compile_fail
//! #[derive(layout_meta::Resilient)]
//! pub struct Flagged { pub x: u8 }
//! mod other {
//!     #[derive(layout_meta::Resilient)]
//!     #[resilient(name = "Flagged", prefix = "other_")]
//!     pub struct Impostor { pub flag: bool }
//! }
//! #[layout_meta::export]
//! pub fn is_set(f: &other::Impostor) -> bool { f.flag }
//! layout_meta::export_module! {
//!     name: "m", version: "1.0.0", types: [Flagged], functions: [is_set],
//! }
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

extern crate alloc;

pub mod accessor;
pub mod compat;
pub mod diff;
pub mod encode;
mod fingerprint;
pub mod format;
pub mod function;
mod identity;
mod layout;
pub mod needs;
mod validate;

pub use accessor::{AccessorDescriptor, AccessorType};
pub use format::{
    enum_flags, flags, kind, CaseDescriptor, CaseOfFn, CloneFn, DefaultInitFn, DropFn,
    EnumDescriptor, FieldDescriptor, LocateFn, Manifest, TypeDescriptor, TypeIdentity,
    ValueWitnesses, WriteCaseFn, FORMAT_VERSION, MAGIC, MANIFEST_SYMBOL,
};
pub use function::{ExportedFn, ExportedImpl, Param, Return};
pub use identity::FieldType;
pub use layout::{
    AccessorLayout, CaseLayout, EnumLayout, FieldLayout, FunctionLayout, Identity, ImplLayout,
    ModuleLayout, ParamLayout, TypeLayout, WitnessAddrs,
};
pub use validate::{
    decode, type_record_addresses, validate, validate_library, verify, verify_c_symbols,
    verify_code_addresses, Error, LibrarySymbols, Memory, ModuleIndex, SliceMemory, SymbolTable,
};

#[cfg(feature = "derive")]
pub use layout_meta_derive::export;

/// `#[derive(Resilient)]`: exports a struct's layout (size, alignment,
/// stride, every exported field's offset and type, each number the
/// compiler's), its value witnesses, and the C symbols `T_size`, `T_align`
/// and `T_<field>_offset`. List the type in [`export_module!`].
///
/// The exported fields are the `pub` ones (any `pub(...)` too); private
/// fields are the library's own and may change freely. Attributes go in
/// `#[resilient(...)]`, each shown below with what it does.
///
/// **`frozen`** — the type promises never to change its layout: every
/// field is exported and the type must be `#[repr(C)]` (refused otherwise:
/// Rust's default representation may order fields differently under
/// another compiler). A host may then declare its view `frozen(fingerprint)`
/// and read the type as a plain struct.
///
/// ```
/// #[derive(layout_meta::Resilient, Clone, Copy)]
/// #[repr(C)]
/// #[resilient(frozen)]
/// pub struct Point { pub x: i32, pub y: i32 }
///
/// use layout_meta::Resilient as _;
/// assert!(Point::DESCRIPTOR.to_layout().is_frozen());
/// ```
///
/// **`pod`** — plain old data: `Copy + bytemuck::Zeroable` (checked at
/// compile time), so no drop witness, a bitwise clone, and all-zero bytes
/// are a value (hosts may make values without a witness).
///
/// ```
/// #[derive(layout_meta::Resilient, Clone, Copy, bytemuck::Zeroable)]
/// #[resilient(pod)]
/// pub struct Sample { pub t: f64, pub v: f32 }
///
/// use layout_meta::Resilient as _;
/// assert!(Sample::DESCRIPTOR.to_layout().is_pod());
/// ```
///
/// **`clone`**, **`default`** — export the type's `Clone` and `Default`
/// impls as witnesses, so hosts can copy values and make new ones (with the
/// library's own code: a private `String` is cloned by the library's
/// allocator).
///
/// ```
/// #[derive(layout_meta::Resilient, Clone, Default)]
/// #[resilient(clone, default)]
/// pub struct Widget { pub id: u64, label: String }
///
/// use layout_meta::Resilient as _;
/// let w = Widget::DESCRIPTOR.to_layout();
/// assert!(w.flags & layout_meta::flags::CLONABLE != 0);
/// assert!(w.flags & layout_meta::flags::DEFAULT_INIT != 0);
/// # let _ = Widget::default().label;
/// ```
///
/// **`send`** — values may move to another thread (`Send`, checked at
/// compile time); hosts then may send theirs.
///
/// ```
/// #[derive(layout_meta::Resilient)]
/// #[resilient(send)]
/// pub struct Job { pub id: u64 }
///
/// use layout_meta::Resilient as _;
/// assert!(Job::DESCRIPTOR.to_layout().is_send());
/// ```
///
/// **`name = "..."`** — the exported type name (default: the Rust name):
/// keep a name across a Rust rename, or export two types of one name from
/// two modules.
///
/// **`prefix = "..."`** — prepended to every exported symbol, for two types
/// of one name in one library.
///
/// ```
/// mod v1 {
///     #[derive(layout_meta::Resilient)]
///     #[resilient(name = "Widget", prefix = "v1_")]
///     pub struct OldWidget { pub id: u64 }
/// }
/// use layout_meta::Resilient as _;
/// assert_eq!(v1::OldWidget::DESCRIPTOR.name(), "Widget");
/// ```
///
/// **`crate = "path"`** — where `layout-meta` is, for a crate that renames
/// the dependency.
///
/// **`computed(name: Type, get = path, set = path)`** — a computed field:
/// hosts read and write `name` through the type's own getter (`fn(&Self) ->
/// Type`) and setter (`fn(&mut Self, Type)`), one call each, with the same
/// view they use for a stored field. A library may turn a stored field into
/// a computed one in a later version (or back) without breaking a host
/// (`docs/FORMAT.md`, "Accessor and computed fields"). Repeat the option for
/// several fields. The getter and setter must not panic (a panic aborts,
/// as in a value witness).
///
/// ```
/// #[derive(layout_meta::Resilient)]
/// #[resilient(computed(celsius: f32, get = Self::celsius, set = Self::set_celsius))]
/// pub struct Probe { kelvin: f32 }
///
/// impl Probe {
///     pub fn celsius(&self) -> f32 { self.kelvin - 273.15 }
///     pub fn set_celsius(&mut self, c: f32) { self.kelvin = c + 273.15 }
/// }
///
/// use layout_meta::Resilient as _;
/// let t = Probe::DESCRIPTOR.to_layout();
/// assert!(t.field("celsius").is_none());
/// assert_eq!(t.accessor("celsius").unwrap().to_string(), "f32 (computed)");
/// ```
///
/// A host may read a computed field from several threads at once and write
/// it from another thread than the value's owner (its `Ref` is `Sync`, its
/// `Mut` is `Send`), as it calls an exported function taking `&T` or
/// `&mut T`: a type with computed fields is `Sync` and `Send`. A getter
/// that counts its reads in a `Cell` does not compile:
///
/// ```compile_fail
/// #[derive(layout_meta::Resilient)]
/// #[resilient(computed(celsius: f32, get = Self::celsius, set = Self::set_celsius))]
/// pub struct Probe { kelvin: f32, reads: std::cell::Cell<u32> }
///
/// impl Probe {
///     pub fn celsius(&self) -> f32 { self.reads.set(self.reads.get() + 1); self.kelvin - 273.15 }
///     pub fn set_celsius(&mut self, c: f32) { self.kelvin = c + 273.15 }
/// }
/// ```
///
/// A computed field's name is not an exported field's (a name is one
/// field: a loader refuses a type that repeats one):
///
/// ```compile_fail
/// #[derive(layout_meta::Resilient)]
/// #[resilient(computed(kelvin: f32, get = Self::kelvin, set = Self::set_kelvin))]
/// pub struct Probe { pub kelvin: f32 }
///
/// impl Probe {
///     pub fn kelvin(&self) -> f32 { self.kelvin }
///     pub fn set_kelvin(&mut self, k: f32) { self.kelvin = k }
/// }
/// ```
///
/// **Fields without a stable layout.** A `pub` field of type `String`,
/// `Box<str>`, `Option<String>`, `Vec<T>` or `Box<[T]>` (of a plain `T`:
/// a scalar, an array of them; or of a `Clone` type the module exports,
/// which hosts read through its view) is exported through accessors the derive
/// generates: hosts borrow its contents (`&str`, `&[T]`) and replace them
/// through the library, which allocates and frees with its own allocator.
/// The field keeps its Rust type; the library changes nothing. A type
/// written another way (an alias) is marked **`#[resilient(accessor)]`**.
///
/// ```
/// #[derive(layout_meta::Resilient)]
/// pub struct Account {
///     pub id: u64,
///     pub owner: String,
///     pub history: Vec<i64>,
///     pub note: Option<String>,
/// }
///
/// use layout_meta::Resilient as _;
/// let t = Account::DESCRIPTOR.to_layout();
/// let exported: Vec<String> = t.accessors.iter().map(|a| format!("{}: {a}", a.name)).collect();
/// assert_eq!(exported, ["owner: String", "history: Vec<i64>", "note: Option<String>"]);
/// assert_eq!(t.fields.len(), 1); // `id`, stored
/// ```
///
/// A frozen type has neither (its whole layout is its promise):
///
/// ```compile_fail
/// #[derive(layout_meta::Resilient)]
/// #[repr(C)]
/// #[resilient(frozen)]
/// pub struct Tag { pub name: String }
/// ```
///
/// Field attributes:
///
/// **`skip`** — do not export a `pub` field (hosts never bind it, so the
/// library may change it). **`export`** — export a private field.
///
/// ```
/// #[derive(layout_meta::Resilient)]
/// pub struct Tank {
///     pub level: f32,
///     #[resilient(skip)]
///     pub cache: u64,
///     #[resilient(export)]
///     serial: u32,
/// }
///
/// use layout_meta::Resilient as _;
/// let t = Tank::DESCRIPTOR.to_layout();
/// assert!(t.field("cache").is_none() && t.field("serial").is_some());
/// # let _ = Tank { level: 0.0, cache: 0, serial: 0 }.serial;
/// ```
///
/// **`opaque`** — export a field whose type has no [`FieldType`] impl by its
/// written name, size and alignment; the type must be `bytemuck::Pod`
/// (checked), since a name says nothing about which bit patterns are
/// values. A host reads it through a type of its own with that name.
///
/// ```
/// #[derive(Clone, Copy, bytemuck::Zeroable, bytemuck::Pod)]
/// #[repr(C)]
/// pub struct Rgb { pub r: u8, pub g: u8, pub b: u8 }
///
/// #[derive(layout_meta::Resilient)]
/// pub struct Lamp {
///     #[resilient(opaque)]
///     pub color: Rgb,
/// }
///
/// use layout_meta::Resilient as _;
/// let lamp = Lamp::DESCRIPTOR.to_layout();
/// let id = &lamp.field("color").unwrap().identity;
/// assert_eq!((id.name(), id.size()), ("Rgb", 3));
/// ```
#[cfg(feature = "derive")]
pub use layout_meta_derive::Resilient;

/// Documented limits of format version 1. Metadata over any of them is
/// refused with [`Error::LimitExceeded`] before anything is allocated for it.
pub mod limits {
    /// Types in one module.
    pub const MAX_TYPES: usize = 65_536;
    /// Exported fields in one type.
    pub const MAX_FIELDS: usize = 4_096;
    /// Most cases of one enum.
    pub const MAX_CASES: usize = 4_096;
    /// Bytes in a module, type, field or type-identity name.
    pub const MAX_NAME_LEN: usize = 1_024;
    /// Bytes in a module version.
    pub const MAX_VERSION_LEN: usize = 128;
    /// Functions in one module.
    pub const MAX_FUNCTIONS: usize = 65_536;
    /// Parameters of one function.
    pub const MAX_PARAMS: usize = 64;
    /// Nesting depth of array identities (`[[[u8; 2]; 2]; 2]` is depth 2).
    pub const MAX_IDENTITY_DEPTH: usize = 16;
    /// Largest alignment (the largest Rust accepts).
    pub const MAX_ALIGN: usize = 1 << 29;
    /// Largest size or stride of a type.
    pub const MAX_SIZE: usize = isize::MAX as usize;
    /// Largest record size a manifest may declare (version-1 records are far
    /// smaller; later minor revisions append fields).
    pub const MAX_RECORD_SIZE: u32 = 4_096;
    /// Bytes a decoded module may take in a reader's memory: every type,
    /// field and identity record at its in-memory size, plus every name.
    /// The per-record limits alone would let a small hostile file that lists
    /// one large type record many times make a reader allocate hundreds of
    /// gigabytes; real modules use a few kilobytes per type.
    pub const MAX_MODULE_BYTES: usize = 64 << 20;
}

/// A type whose layout metadata this program exports.
///
/// # Safety
///
/// [`Self::DESCRIPTOR`] describes `Self` exactly: its size and alignment are
/// `size_of::<Self>()` and `align_of::<Self>()`, every field offset is the
/// field's `offset_of!`, every field identity is the field's type, and the
/// witnesses act on `Self`. It points at a `static` of `Self`'s own (the
/// derive's exported `<Type>_descriptor`), which no other type's descriptor
/// shares: a host that calls code compiled for `Self` knows a value of
/// `Self` by that address, since two types may have equal descriptors (the
/// descriptor omits private fields). [`Self::NESTED`] names the types its
/// exported fields nest (in place, or as `Vec` elements), each by its own
/// descriptor: a host that binds `Self` compiled into its own program binds
/// a nested field only to exactly that type. `#[derive(Resilient)]`
/// implements it so; write it by hand only with the same guarantees.
pub unsafe trait Resilient: Sized {
    /// The type's descriptor (the one exported as `<Type>_descriptor`).
    const DESCRIPTOR: &'static TypeDescriptor;
    /// The descriptors of the resilient types its exported fields nest
    /// ([`FieldType::NESTED`] of each field), checked by [`export_module!`]
    /// against the module's types of those names.
    const NESTED: &'static [Option<&'static TypeDescriptor>] = &[];
}

impl TypeDescriptor {
    /// The checked-layout form of this descriptor. Built from records made
    /// by the `const` constructors, so it needs no untrusted reading; run
    /// [`verify`] on a module to prove its invariants.
    pub fn to_layout(&self) -> TypeLayout {
        let w = self.witnesses();
        TypeLayout {
            name: self.name().into(),
            flags: self.flags() & flags::KNOWN,
            size: self.size(),
            align: self.align(),
            stride: self.stride(),
            fingerprint: self.fingerprint(),
            fields: fields_of(self.fields()),
            witnesses: WitnessAddrs {
                drop: w.drop.map_or(0, |f| f as usize),
                clone: w.clone.map_or(0, |f| f as usize),
                default_init: w.default_init.map_or(0, |f| f as usize),
            },
            enum_info: self.enum_info().map(|e| {
                let (case_of, locate, write_case) = e.witnesses();
                EnumLayout {
                    tag: e.plain_tag(),
                    payload_plain: e.enum_flags() & format::enum_flags::PAYLOAD_PLAIN != 0,
                    cases: e
                        .cases()
                        .iter()
                        .map(|c| CaseLayout {
                            name: c.name().into(),
                            tag: c.tag(),
                            fields: fields_of(c.fields()),
                        })
                        .collect(),
                    case_of: case_of.map_or(0, |f| f as usize),
                    locate: locate.map_or(0, |f| f as usize),
                    write_case: write_case.map_or(0, |f| f as usize),
                }
            }),
            accessors: self
                .accessors()
                .iter()
                .map(|a| {
                    let (get, set) = a.code();
                    AccessorLayout {
                        name: a.name().into(),
                        shape: a.shape(),
                        flags: a.flags() & accessor::accessor_flags::KNOWN,
                        identity: Identity::from_record(a.identity()),
                        get,
                        set,
                    }
                })
                .collect(),
        }
    }
}

/// Checked-layout forms of field records made by the `const` constructors.
fn fields_of(fields: &[format::FieldDescriptor]) -> alloc::vec::Vec<FieldLayout> {
    fields
        .iter()
        .map(|f| FieldLayout {
            name: f.name().into(),
            offset: f.offset(),
            identity: Identity::from_record(f.identity()),
        })
        .collect()
}

impl Manifest {
    /// The layout of this (in-process, compiled-in) manifest, checked.
    ///
    /// # Errors
    ///
    /// What [`verify`] finds (for a manifest made by the derive and
    /// [`export_module!`], only a bad module version or duplicate names).
    pub fn to_layout(&self) -> Result<ModuleLayout, Error> {
        if !validate::is_semver(self.module_version()) {
            return Err(Error::InvalidVersion {
                found: self.module_version().into(),
            });
        }
        let module = ModuleLayout {
            name: self.module_name().into(),
            version: self.module_version().into(),
            types: self.types().iter().map(|t| t.to_layout()).collect(),
            functions: self.functions().iter().map(|f| f.to_layout()).collect(),
            impls: self
                .impls()
                .iter()
                .map(|i| ImplLayout {
                    interface: i.interface().into(),
                    type_name: i.type_name().into(),
                    methods: i.methods().iter().map(|m| m.to_layout()).collect(),
                })
                .collect(),
        };
        verify(&module)?;
        Ok(module)
    }
}

/// Exports this library's manifest under the symbol `resilient_manifest`.
///
/// ```
/// # use layout_meta::Resilient;
/// #[derive(Resilient)]
/// pub struct Point { pub x: i32, pub y: i32 }
/// layout_meta::export_module! { name: "geometry", version: "2.1.0", types: [Point] }
/// ```
///
/// Functions made with [`macro@export`] are listed by name after the types:
///
/// ```
/// # use layout_meta::Resilient;
/// #[derive(Resilient)]
/// pub struct Circle { pub r: f64 }
///
/// /// The area of a circle.
/// #[layout_meta::export]
/// pub fn area(c: &Circle) -> f64 {
///     std::f64::consts::PI * c.r * c.r
/// }
///
/// #[layout_meta::export]
/// pub fn parse_radius(text: &str) -> Result<f64, std::num::ParseFloatError> {
///     text.trim().parse()
/// }
///
/// layout_meta::export_module! {
///     name: "geometry", version: "2.1.0", types: [Circle], functions: [area, parse_radius],
/// }
/// // The function itself is unchanged.
/// assert_eq!(area(&Circle { r: 1.0 }), std::f64::consts::PI);
/// ```
///
/// One call per library: the manifest symbol name is fixed so a loader finds
/// it without knowing the module, and a second call is a duplicate-symbol
/// error at link time.
#[macro_export]
macro_rules! export_module {
    (
        name: $name:expr,
        version: $version:expr,
        types: [$($ty:ty),* $(,)?]
        $(, functions: [$($f:ty),* $(,)?])?
        $(, impls: [$($ity:ty : $iface:literal),* $(,)?])?
        $(,)?
    ) => {
        const _: () = {
            #[no_mangle]
            #[allow(non_upper_case_globals, reason = "the documented C symbol name")]
            pub static resilient_manifest: $crate::Manifest = $crate::Manifest::with_functions(
                $name,
                $version,
                &[$(<$ty as $crate::Resilient>::DESCRIPTOR),*],
                &[$($(<$f as $crate::ExportedFn>::DESCRIPTOR),*)?],
                &[$($(
                    <$ity as $crate::ExportedImpl<{ $crate::name_hash($iface) }>>::DESCRIPTOR
                ),*)?],
            );
            const _: () = $crate::__private::assert_semver($version);
            // A type nested in a listed type and a listed type of the same
            // name must be the same type: clients bind a nested field through
            // the module's type of that name.
            const _: () = $crate::__private::assert_nested_consistent(
                &[$(<$ty as $crate::Resilient>::DESCRIPTOR),*],
                &[$(<$ty as $crate::Resilient>::NESTED),*],
            );
            // So must a type a listed function takes by reference: the host
            // passes a value of the module's type of that name.
            const _: () = $crate::__private::assert_nested_consistent(
                &[$(<$ty as $crate::Resilient>::DESCRIPTOR),*],
                &[$($(<$f as $crate::ExportedFn>::REFERENTS),*)?],
            );
        };
    };
}

/// Byte-wise string equality, usable at compile time.
#[doc(hidden)]
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A field or type name as written, without the `r#` of a raw identifier
/// (`r#type` is the field `type`), usable at compile time.
#[doc(hidden)]
pub const fn unraw(name: &str) -> &str {
    match name.as_bytes() {
        [b'r', b'#', rest @ ..] => match core::str::from_utf8(rest) {
            Ok(rest) => rest,
            Err(_) => name,
        },
        _ => name,
    }
}

/// FNV-1a 64 of a name, usable at compile time (the fingerprint's hash).
#[doc(hidden)]
pub const fn name_hash(name: &str) -> u64 {
    fingerprint::Fnv::new().str(name).finish()
}

/// What the derive's output needs; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use core;

    /// Compile-time proof that a type marked `pod` is `Copy` (so has no drop) and
    /// `Zeroable` (so all-zero bytes are a value).
    pub const fn assert_pod<T: Copy + bytemuck::Zeroable>() {}

    /// Panics (at compile time, in `export_module!`) if `version` is not
    /// semver: the validator would refuse the library at load.
    pub const fn assert_semver(version: &str) {
        if !crate::validate::is_semver(version) {
            panic!("export_module!: `version` is not semver 2.0 (MAJOR.MINOR.PATCH, optional -pre and +build): a loader refuses the library");
        }
    }

    /// Compile-time proof that a field exported `opaque` (by name) accepts
    /// every bit pattern, so two types that share the name cannot make a
    /// client write an invalid value.
    pub const fn assert_opaque_field<T: bytemuck::Pod>() {}

    /// Compile-time proof that a type marked `send` is `Send`.
    pub const fn assert_send<T: Send>() {}

    /// Panics (at compile time, in `export_module!`) if a resilient type
    /// nested in a listed type (or one a listed function takes or returns)
    /// is not listed, or a listed type has its name but another layout: a
    /// client binds the nested field (or passes the value) through the
    /// module's type of that name.
    pub const fn assert_nested_consistent(
        types: &[&crate::TypeDescriptor],
        nested: &[&[Option<&crate::TypeDescriptor>]],
    ) {
        let mut i = 0;
        while i < nested.len() {
            let mut j = 0;
            while j < nested[i].len() {
                if let Some(inner) = nested[i][j] {
                    let mut listed = false;
                    let mut k = 0;
                    while k < types.len() {
                        let t = types[k];
                        listed = listed || crate::str_eq(t.name(), inner.name());
                        // The nested rule (`compat::nested_facts_match`),
                        // and, since both descriptors are at hand here,
                        // the same layout too.
                        if crate::str_eq(t.name(), inner.name())
                            && (!crate::compat::nested_facts_match(
                                (inner.name(), inner.size(), inner.align()),
                                (t.name(), t.size(), t.align()),
                            ) || t.fingerprint() != inner.fingerprint()
                                || t.stride() != inner.stride())
                        {
                            panic!(
                                "export_module!: a listed type has the name of a type nested in a listed type, but another layout"
                            );
                        }
                        k += 1;
                    }
                    if !listed {
                        panic!(
                            "export_module!: a type nested in a listed type, or one a listed function takes or returns, is missing from `types: [...]`: list it"
                        );
                    }
                }
                j += 1;
            }
            i += 1;
        }
    }
}
