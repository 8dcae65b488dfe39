//! Views described as data and bound at run time: the value side of the C
//! API (`crates/capi`), and so of the C and C++ hosts.
//!
//! A [`DynView`] is a [`ViewNeed`] built field by field (module, type, each
//! field's name, whether it is required, how it is reached and the identity
//! it must have). Whether it binds is decided by the one view rule,
//! [`layout_meta::compat::bind_view`]; [`DynBound::new`] then turns the
//! verdict's placement into field tokens ([`DynToken`]) and a binding id
//! that no other binding in the process ever has, so a token can only be
//! used on values of the binding it came from.
//!
//! Field access is by bytes: a read copies the field into a buffer of
//! exactly its size, a write copies a buffer of exactly its size in. Fields
//! of types with invalid bit patterns are checked with the same
//! `bytemuck::CheckedBitPattern` rules the typed handles use
//! ([`crate::Ref::get_checked`]): a `bool` must be 0 or 1, a `char` a
//! Unicode scalar value, elementwise for arrays of them. A write of invalid
//! bytes is refused before anything is written; a read of invalid bytes (a
//! library that stored them) is reported.
//!
//! Values live on the heap ([`DynValue`]) or in room the caller provides
//! ([`DynBound::init_at`], [`DynBound::drop_at`]); their witnesses run
//! exactly once, through the helpers [`crate::Value`] uses.

use core::fmt;
use core::mem::size_of;
use std::sync::Arc;

use bytemuck::CheckedBitPattern;
use layout_meta::compat::{self, Access, CasePlacement, Mismatch, Placement};
use layout_meta::format::{code_at, WriteCaseFn};
use layout_meta::function::pass;
use layout_meta::needs::{CaseNeed, EnumNeed, FieldNeed, ViewNeed};
use layout_meta::{FieldType, FunctionLayout, Identity, ModuleLayout, ParamLayout};

use crate::enums::{CaseKeys, Place};
use crate::foreign::{BindingId, ForeignType, Origin, TypeSource};
use crate::function::ForeignFunction;
use crate::value::{clone_into, drop_values, init_default, Block};
use crate::Error;

/// The scalars a view described as data may name, with their identities on
/// this target (the [`FieldType`] records of the Rust types).
fn scalar_record(name: &str) -> Option<layout_meta::TypeIdentity> {
    macro_rules! table {
        ($($t:ty),*) => {
            match name {
                $( stringify!($t) => Some(<$t as FieldType>::IDENTITY), )*
                _ => None,
            }
        };
    }
    table!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char)
}

/// The identity of the scalar `name` (`u8` ... `u128`, `i8` ... `i128`,
/// `usize`, `isize`, `f32`, `f64`, `bool`, `char`), with its size and
/// alignment on this target.
///
/// # Errors
///
/// [`Error::BadView`] for any other name.
pub fn scalar(name: &str) -> Result<Identity, Error> {
    scalar_record(name)
        .map(|r| Identity::from_record(&r))
        .ok_or_else(|| Error::BadView {
            reason: format!("`{name}` is not a scalar name (u8..u128, i8..i128, usize, isize, f32, f64, bool, char)"),
        })
}

/// The identity of an array of `count` elements of `element`.
///
/// # Errors
///
/// [`Error::BadView`] if the array would be larger than
/// [`layout_meta::limits::MAX_SIZE`], or `element` is a resilient type (an
/// array of one is never reached by value, nor nested).
pub fn array(element: Identity, count: usize) -> Result<Identity, Error> {
    let size = element
        .size()
        .checked_mul(count)
        .filter(|&s| s <= layout_meta::limits::MAX_SIZE)
        .ok_or_else(|| Error::BadView {
            reason: format!("an array of {count} elements of {element} is too large"),
        })?;
    Ok(Identity::Array {
        align: element.align(),
        element: Box::new(element),
        count,
        size,
    })
}

/// The identity of a named type of fixed layout (an opaque type).
///
/// # Errors
///
/// [`Error::BadView`] if the name is empty, the alignment is not a power of
/// two (at most [`layout_meta::limits::MAX_ALIGN`]) or the size is not a
/// multiple of it (at most [`layout_meta::limits::MAX_SIZE`]).
pub fn opaque(name: &str, size: usize, align: usize) -> Result<Identity, Error> {
    let ok = !name.is_empty()
        && align.is_power_of_two()
        && align <= layout_meta::limits::MAX_ALIGN
        && size % align == 0
        && size <= layout_meta::limits::MAX_SIZE;
    if !ok {
        return Err(Error::BadView {
            reason: format!(
                "opaque type `{name}` of {size} bytes, align {align}: a name, a power-of-two alignment and a size that is a multiple of it are needed"
            ),
        });
    }
    Ok(Identity::Opaque {
        name: name.into(),
        size,
        align,
    })
}

/// The identity a nested field of resilient type `name` is expected to
/// have (as `Nested<V>` of a view of `name` expects: the name only).
///
/// # Errors
///
/// [`Error::BadView`] if the name is empty.
pub fn nested(name: &str) -> Result<Identity, Error> {
    if name.is_empty() {
        return Err(Error::BadView {
            reason: "a nested type needs a name".into(),
        });
    }
    // What `Nested<V>` expects (`TypeIdentity::resilient::<()>`): the name
    // alone counts; size and alignment are the library's.
    Ok(Identity::Resilient {
        name: name.into(),
        size: 0,
        align: 1,
    })
}

/// How deep views may nest views of nested fields ([`DynView::add_nested`]).
pub const MAX_VIEW_DEPTH: usize = 32;

/// How many fields a view may hold counting those of its nested views, as
/// many times as each is nested ([`DynView::add_nested`]): binding a view
/// visits each of them once, so this bounds its time and memory. (A view
/// nested in itself doubles it at each step: without the bound, 31 steps
/// would ask for 2^31 fields.)
pub const MAX_VIEW_FIELDS: usize = 1 << 16;

/// How many cases an enum view may name (the format's limit of cases).
pub const MAX_CASES: usize = 4096;

/// A view described as data: what a consumer needs of one foreign type,
/// and, for nested fields reached through a view of their own, that view.
///
/// An enum view ([`DynView::new_enum`]) names cases instead of fields
/// ([`DynView::add_case`]), each with the payload fields it reads
/// ([`DynView::add_payload`]), as the Rust host's `enum_view!` does; it is
/// bound by [`layout_meta::compat::bind_enum_view`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynView {
    need: ViewNeed,
    /// Per field: the view of the nested type (added with
    /// [`DynView::add_nested`]), else `None`; shared, so that a copy of a
    /// view copies no nested view.
    nested: Vec<Option<Arc<DynView>>>,
    /// How many views deep this one is (1 without nested views).
    depth: usize,
    /// Its fields and those of its nested views, each counted once per
    /// place it is nested (at most [`MAX_VIEW_FIELDS`]).
    fields: usize,
    /// An enum view's cases (`need.fields` is then empty).
    cases: Option<EnumNeed>,
    /// An enum view's payload fields, in the order they were added (their
    /// index): (case, field of the case).
    payload: Vec<(usize, usize)>,
}

/// The verdict on a view and the views of its nested fields: where each
/// field is, and the same for each nested view; for an enum view, where
/// each case and payload field is.
struct Verdict<'m> {
    /// The module's type the verdict was reached on: the binding is built
    /// on exactly this layout.
    layout: &'m layout_meta::TypeLayout,
    placement: Placement,
    nested: Vec<Option<Verdict<'m>>>,
    cases: Option<CasePlacement>,
}

impl DynView {
    /// A view of type `type_name` of module `module`, with no fields yet.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if a name is empty.
    pub fn new(module: &str, type_name: &str) -> Result<Self, Error> {
        if module.is_empty() || type_name.is_empty() {
            return Err(Error::BadView {
                reason: "a view needs a module name and a type name".into(),
            });
        }
        Ok(DynView {
            need: ViewNeed {
                module: module.into(),
                type_name: type_name.into(),
                frozen: None,
                fields: Vec::new(),
            },
            nested: Vec::new(),
            depth: 1,
            fields: 0,
            cases: None,
            payload: Vec::new(),
        })
    }

    /// A view of enum `type_name` of module `module`, with no cases yet: a
    /// case the library's enum has and the view does not name reads as
    /// unknown.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if a name is empty.
    pub fn new_enum(module: &str, type_name: &str) -> Result<Self, Error> {
        let mut view = DynView::new(module, type_name)?;
        view.cases = Some(EnumNeed {
            module: module.into(),
            type_name: type_name.into(),
            frozen: None,
            cases: Vec::new(),
        });
        Ok(view)
    }

    /// Whether this is an enum view ([`DynView::new_enum`]).
    pub fn is_enum(&self) -> bool {
        self.cases.is_some()
    }

    /// Expects the type frozen, with exactly the layout of `fingerprint`.
    pub fn set_frozen(&mut self, fingerprint: u64) {
        self.need.frozen = Some(fingerprint);
        if let Some(e) = &mut self.cases {
            e.frozen = Some(fingerprint);
        }
    }

    /// Adds case `name` to an enum view: binding requires the enum to have
    /// a case of that name. Its index (what [`DynBound::case_of`] gives for
    /// values in it) is the number of cases added before it.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if this is a struct view, the name is empty or
    /// already a case of the view, or the view has [`MAX_CASES`] cases.
    pub fn add_case(&mut self, name: &str) -> Result<usize, Error> {
        let Some(e) = &mut self.cases else {
            return Err(Error::BadView {
                reason: format!(
                    "case `{name}`: the view of `{}` is a struct view (its fields are added, not cases)",
                    self.need.type_name
                ),
            });
        };
        if name.is_empty() || e.cases.iter().any(|c| c.name == name) {
            return Err(Error::BadView {
                reason: format!("case name `{name}` is empty or declared twice"),
            });
        }
        if e.cases.len() >= MAX_CASES {
            return Err(Error::BadView {
                reason: "too many cases".into(),
            });
        }
        e.cases.push(CaseNeed {
            name: name.into(),
            fields: Vec::new(),
        });
        Ok(e.cases.len() - 1)
    }

    /// Adds payload field `name` of case `case` (an index from
    /// [`DynView::add_case`]) to an enum view, read by value as
    /// `identity`: required or optional, bound by the field rule as a field
    /// of `Enum::Case`. Its index (for [`DynBound::token`]) is the number of
    /// payload fields added before it, to any case.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if this is a struct view, `case` is not one of its
    /// cases, the name is empty or already a payload field of the case, or
    /// the view has [`layout_meta::limits::MAX_FIELDS`] payload fields.
    pub fn add_payload(
        &mut self,
        case: usize,
        name: &str,
        required: bool,
        identity: Identity,
    ) -> Result<usize, Error> {
        let ty = self.need.type_name.clone();
        let Some(e) = &mut self.cases else {
            return Err(Error::BadView {
                reason: format!(
                    "payload field `{name}`: the view of `{ty}` is a struct view (it has no cases)"
                ),
            });
        };
        let Some(c) = e.cases.get_mut(case) else {
            return Err(Error::BadView {
                reason: format!(
                    "payload field `{name}`: the view of `{ty}` has {} cases, not case {case}",
                    e.cases.len()
                ),
            });
        };
        if name.is_empty() || c.fields.iter().any(|f| f.name == name) {
            return Err(Error::BadView {
                reason: format!(
                    "payload field name `{name}` of case `{}` is empty or declared twice",
                    c.name
                ),
            });
        }
        if self.payload.len() >= layout_meta::limits::MAX_FIELDS {
            return Err(Error::BadView {
                reason: "too many payload fields".into(),
            });
        }
        c.fields.push(FieldNeed {
            name: name.into(),
            required,
            access: Access::ByValue,
            identity,
        });
        self.payload.push((case, c.fields.len() - 1));
        Ok(self.payload.len() - 1)
    }

    /// An enum view's cases, as [`layout_meta::compat::bind_enum_view`]
    /// takes them (`None` for a struct view).
    pub fn enum_need(&self) -> Option<&EnumNeed> {
        self.cases.as_ref()
    }

    fn not_a_struct_view(&self, name: &str) -> Error {
        Error::BadView {
            reason: format!(
                "field `{name}`: the view of `{}` is an enum view (its cases are added, each with its payload fields)",
                self.need.type_name
            ),
        }
    }

    /// Adds field `name`: required or optional, reached by `access`, of
    /// type `identity`. Its index (for [`DynBound::token`]) is the number
    /// of fields added before it.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if the name is empty or already in the view, or
    /// the view has [`layout_meta::limits::MAX_FIELDS`] fields.
    pub fn add(
        &mut self,
        name: &str,
        required: bool,
        access: Access,
        identity: Identity,
    ) -> Result<usize, Error> {
        if self.is_enum() {
            return Err(self.not_a_struct_view(name));
        }
        if name.is_empty() || self.need.fields.iter().any(|f| f.name == name) {
            return Err(Error::BadView {
                reason: format!("field name `{name}` is empty or declared twice"),
            });
        }
        if self.need.fields.len() >= layout_meta::limits::MAX_FIELDS
            || self.fields >= MAX_VIEW_FIELDS
        {
            return Err(Error::BadView {
                reason: format!(
                    "field `{name}`: too many fields (a view holds at most {} of its own, and {MAX_VIEW_FIELDS} with those of its nested views)",
                    layout_meta::limits::MAX_FIELDS
                ),
            });
        }
        self.need.fields.push(FieldNeed {
            name: name.into(),
            required,
            access,
            identity,
        });
        self.nested.push(None);
        self.fields += 1;
        Ok(self.need.fields.len() - 1)
    }

    /// Adds nested field `name`, reached through `view`, a view of the
    /// nested type (copied): the field is expected to hold the resilient
    /// type `view` is of (by name, as `Nested<V>` expects), and binding
    /// binds `view` against the library's type of that name, reporting its
    /// mismatches with this view's (the typed binder's `Nested<V>`). Its
    /// index is the number of fields added before it.
    ///
    /// # Errors
    ///
    /// As [`DynView::add`]; [`Error::BadView`] if `view` is of another
    /// module (a nested type is the same library's), or nests views more
    /// than [`MAX_VIEW_DEPTH`] deep.
    pub fn add_nested(
        &mut self,
        name: &str,
        required: bool,
        view: &DynView,
    ) -> Result<usize, Error> {
        if !compat::nested_view_in_module(&self.need.module, &view.need.module) {
            return Err(Error::BadView {
                reason: format!(
                    "field `{name}`: the nested view of `{}` is of module `{}`, the view of `{}` of module `{}`",
                    view.need.type_name, view.need.module, self.need.type_name, self.need.module
                ),
            });
        }
        if view.depth >= MAX_VIEW_DEPTH {
            return Err(Error::BadView {
                reason: format!("field `{name}`: views nest more than {MAX_VIEW_DEPTH} deep"),
            });
        }
        // The field itself, then its view's fields, within the bound.
        if view.fields >= MAX_VIEW_FIELDS - self.fields.min(MAX_VIEW_FIELDS) {
            return Err(Error::BadView {
                reason: format!(
                    "field `{name}`: the view of `{}` would hold more than {MAX_VIEW_FIELDS} fields with those of its nested views ({} here, {} in the nested view)",
                    self.need.type_name, self.fields, view.fields
                ),
            });
        }
        let index = self.add(
            name,
            required,
            Access::Nested,
            nested(&view.need.type_name)?,
        )?;
        self.nested[index] = Some(Arc::new(view.clone()));
        self.fields += view.fields;
        self.depth = self.depth.max(view.depth + 1);
        Ok(index)
    }

    /// Binds this view, and the view of each nested field it was given,
    /// to `source`, whose validated module is `module` (both of one loaded
    /// library): the verdict is the one view rule's,
    /// [`layout_meta::compat::bind_view`] (through
    /// [`layout_meta::compat::bind_view_nested`], which adds each nested
    /// view's own verdict in place), so the mismatches, and the error, are
    /// the typed binder's ([`crate::Bound::bind`]) for the same view.
    ///
    /// # Errors
    ///
    /// [`Error::ModuleMismatch`] for another module; [`Error::Bind`] with
    /// every mismatch, the nested views' included.
    pub fn bind(&self, source: &dyn TypeSource, module: &ModuleLayout) -> Result<DynBound, Error> {
        let mut mismatches = Vec::new();
        match self.verdict(module, &mut mismatches) {
            Some(verdict) if mismatches.is_empty() => self.build(verdict, source),
            _ => Err(self.refusal(source.origin(), mismatches)),
        }
    }

    /// The verdict on this view and its nested views against `module`;
    /// every mismatch pushed to `mismatches`.
    fn verdict<'m>(
        &self,
        module: &'m ModuleLayout,
        mismatches: &mut Vec<Mismatch>,
    ) -> Option<Verdict<'m>> {
        // The type the rule binds (`ModuleLayout::get`: the first of the
        // name, as every lookup of the rule finds it).
        let layout = module.get(&self.need.type_name);
        if let Some(e) = &self.cases {
            return match compat::bind_enum_view(e, module) {
                Ok(cases) => Some(Verdict {
                    layout: layout?,
                    placement: Vec::new(),
                    nested: Vec::new(),
                    cases: Some(cases),
                }),
                Err(found) => {
                    mismatches.extend(found);
                    None
                }
            };
        }
        let mut nested: Vec<Option<Verdict<'m>>> = self.nested.iter().map(|_| None).collect();
        let result = compat::bind_view_nested(&self.need, module, &mut |i, _, found| {
            if let (Some(Some(view)), Some(slot)) = (self.nested.get(i), nested.get_mut(i)) {
                *slot = view.verdict(module, found);
            }
        });
        match result {
            Ok(placement) => Some(Verdict {
                layout: layout?,
                placement,
                nested,
                cases: None,
            }),
            Err(found) => {
                mismatches.extend(found);
                None
            }
        }
    }

    /// The binding a verdict places, with the bindings of the nested views.
    fn build(&self, verdict: Verdict<'_>, source: &dyn TypeSource) -> Result<DynBound, Error> {
        let vanished = |name: &str| Error::BadView {
            reason: format!("type `{name}` vanished from {}", source.origin()),
        };
        let ty = crate::foreign::named_type(source, &self.need.type_name)
            .ok_or_else(|| vanished(&self.need.type_name))?;
        // The verdict was reached on `module`'s layout: the type built on
        // must be that very layout (a source and a module are both the
        // caller's, and a source is safe to implement).
        if verdict.layout != ty.layout() {
            return Err(Error::BadView {
                reason: format!(
                    "{}'s type `{}` is not the module's the view was checked against",
                    source.origin(),
                    self.need.type_name
                ),
            });
        }
        if let Some(cases) = &verdict.cases {
            return DynBound::new_enum(ty, self, cases);
        }
        let mut bound = DynBound::new(ty, self, &verdict.placement)?;
        for (i, inner) in verdict.nested.into_iter().enumerate() {
            let (Some(inner), Some(Some(view))) = (inner, self.nested.get(i)) else {
                continue;
            };
            if verdict.placement.get(i).copied().flatten().is_none() {
                continue;
            }
            let b = view.build(inner, source)?;
            if let Err(reason) = bound.ty.accepts_nested(&b.ty) {
                let field = &self.need.fields[i];
                return Err(self.refusal(
                    source.origin(),
                    vec![Mismatch::NestedMismatch {
                        ty: self.need.type_name.clone(),
                        field: field.name.clone(),
                        nested: view.need.type_name.clone(),
                        reason,
                    }],
                ));
            }
            bound.nested[i] = Some(Arc::new(b));
        }
        Ok(bound)
    }

    /// What the view needs: the input of [`layout_meta::compat::bind_view`].
    pub fn need(&self) -> &ViewNeed {
        &self.need
    }

    /// The error a binder reports when [`layout_meta::compat::bind_view`]
    /// refuses this view against the module of `origin`: the one the typed
    /// binder ([`crate::Bound::bind`]) reports for the same mismatches, with
    /// the same text.
    pub fn refusal(&self, origin: Origin, mismatches: Vec<Mismatch>) -> Error {
        if let [Mismatch::Module { expected, found }] = mismatches.as_slice() {
            return Error::ModuleMismatch {
                library: origin.library,
                expected: expected.clone(),
                found: found.clone(),
            };
        }
        Error::Bind {
            origin,
            ty: self.need.type_name.clone(),
            mismatches,
        }
    }
}

/// Which bytes a field may hold, by the identity the library gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bits {
    /// Every bit pattern (integers, floats, opaque types: the format's
    /// producers require opaque field types to be plain old data).
    Any,
    /// Each byte 0 or 1 (`bool`, arrays of it).
    Bool,
    /// Each 4 bytes a Unicode scalar value (`char`, arrays of it).
    Char,
    /// Not by value: a nested resilient type, or a scalar of a name whose
    /// valid bit patterns this client does not know.
    None,
}

fn bits_of(id: &Identity) -> Bits {
    match id {
        Identity::Scalar { name, size, .. } => match &**name {
            "bool" if *size == size_of::<bool>() => Bits::Bool,
            "char" if *size == size_of::<char>() => Bits::Char,
            "bool" | "char" => Bits::None,
            n if scalar_record(n).is_some() => Bits::Any,
            _ => Bits::None,
        },
        Identity::Array { element, .. } => bits_of(element),
        Identity::Opaque { .. } => Bits::Any,
        Identity::Resilient { .. } => Bits::None,
    }
}

/// Whether `bytes` is a sequence of valid `T`s.
fn all_valid<T: CheckedBitPattern>(bytes: &[u8]) -> bool {
    let n = size_of::<T>();
    n != 0
        && bytes.len() % n == 0
        && bytes
            .chunks_exact(n)
            .all(|c| bytemuck::checked::try_pod_read_unaligned::<T>(c).is_ok())
}

/// Whether the member rule (`compat::bind_member`, the one rule) places
/// view field `f` on accessor `i` (`a`) of `layout` exactly at `want`: how a
/// placement handed to [`DynBound::new`] is checked to be the verdict.
fn placed_by_rule(
    layout: &layout_meta::TypeLayout,
    f: &FieldNeed,
    i: usize,
    a: &layout_meta::AccessorLayout,
    want: compat::Place,
) -> bool {
    let query = compat::FieldQuery {
        name: &f.name,
        required: f.required,
        identity: &f.identity,
        access: f.access,
    };
    a.name == f.name
        && compat::bind_member(layout, query, layout.field(&f.name), Some((i, a))) == Ok(Some(want))
}

/// Where a bound field is, and what it may hold; for a payload field of an
/// enum view, its case (the view's index) and where it is in a value of
/// that case.
#[derive(Clone, Copy, Debug)]
struct Slot {
    offset: usize,
    size: usize,
    bits: Bits,
    payload: Option<(usize, Place)>,
    reach: Reach,
}

/// How a struct's bound field is reached: in place, or through the
/// library's code (`docs/FORMAT.md`, "Accessor and computed fields").
#[derive(Clone, Copy, Debug)]
enum Reach {
    /// At `offset` in the value.
    Stored,
    /// A computed field: the library's getter and setter.
    Computed(crate::view::Computed),
    /// A text or elements accessor field.
    Accessor(DynAccessor),
}

/// A bound text or elements accessor.
#[derive(Clone, Copy, Debug)]
struct DynAccessor {
    get: layout_meta::accessor::BorrowFn,
    set: layout_meta::accessor::ReplaceFn,
    /// Text (UTF-8 bytes), else elements.
    text: bool,
    /// `Option<String>`: a null pointer is `None`.
    optional: bool,
    /// Elements of an exported type (`Vec<Widget>`): read as bytes here;
    /// replaced only through the Rust host's `ElemsOf` (the library clones
    /// values of its type, which raw bytes are not).
    exported: bool,
    /// Which bytes an element may hold (`Any` for text, checked as UTF-8):
    /// a `Vec<bool>` or `Vec<char>` is replaced by valid elements only.
    bits: Bits,
    /// The size and alignment of one element (1 for text).
    elem: usize,
    align: usize,
}

/// What an accessor field holds, as [`DynBound::borrow`] gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Borrowed<'a> {
    /// The bytes (text, or the elements' bytes); `None` for an optional
    /// field that holds nothing.
    pub bytes: Option<&'a [u8]>,
    /// The number of elements (bytes, for text).
    pub len: usize,
}

/// What an enum view's binding knows of its cases.
struct EnumBinding {
    /// How a value's case is read.
    keys_of: CaseKeys,
    /// Per case of the view: its name, the library's key (what
    /// `keys_of` reads for values in it) and its case index.
    cases: Vec<(String, u64, u32)>,
    /// Per case of the view: its payload fields (their indices), in the
    /// view's order.
    fields: Vec<Vec<usize>>,
    /// Per case of the view: for each payload field of the library's case,
    /// the place among the view's fields of that case that supplies it
    /// (`None`: the view does not name it, so the host cannot build the
    /// case).
    supply: Vec<Vec<Option<usize>>>,
    write_case: Option<WriteCaseFn>,
}

/// A field token of a [`DynBound`]: plain data (the C API hands it out as
/// `rsl_field`). Only the binding it names accepts it, and only with the
/// offset it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DynToken {
    /// The binding id ([`DynBound::binding`]).
    pub binding: u64,
    /// The field's byte offset in the value.
    pub offset: usize,
    /// The field's index in the view.
    pub index: u32,
}

/// A [`DynView`] bound to a foreign type: the view's fields, where the
/// library has each, and the type, which keeps the library loaded.
///
/// # Thread safety
///
/// `Send + Sync`: immutable once made.
pub struct DynBound {
    id: BindingId,
    ty: Arc<ForeignType>,
    need: ViewNeed,
    slots: Vec<Option<Slot>>,
    /// Per field: whether the view declared it with a view of the nested
    /// type ([`DynView::add_nested`]), and that view's binding (if the
    /// library has the field).
    viewed: Vec<bool>,
    nested: Vec<Option<Arc<DynBound>>>,
    /// An enum view's cases.
    enum_part: Option<EnumBinding>,
    /// An enum view's payload fields' names (`Enum::Case.field`), by index.
    payload_names: Vec<String>,
    /// An enum view's cases, as declared.
    cases_need: Option<EnumNeed>,
}

impl fmt::Debug for DynBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynBound")
            .field("binding", &self.id)
            .field("type", &self.ty)
            .field("view", &self.need)
            .finish_non_exhaustive()
    }
}

impl DynBound {
    /// The binding of `view` to type `ty`, placed as `placement` says: the
    /// verdict of [`layout_meta::compat::bind_view`] for this view against
    /// the module `ty` comes from. Each field's size and valid bit patterns
    /// are taken from the library's (validated) layout of the placed field.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if `ty` is not the view's type, or `placement`
    /// does not place the view's fields on fields of `ty` (it is not the
    /// verdict for this view and this type).
    pub fn new(
        ty: Arc<ForeignType>,
        view: &DynView,
        placement: &Placement,
    ) -> Result<DynBound, Error> {
        let need = view.need();
        let layout = ty.layout();
        let mismatch = || Error::BadView {
            reason: format!(
                "the placement given is not a verdict for the view of `{}` against `{}`",
                need.type_name, layout.name
            ),
        };
        if layout.name != need.type_name || placement.len() != need.fields.len() {
            return Err(mismatch());
        }
        let mut slots = Vec::with_capacity(need.fields.len());
        for (f, place) in need.fields.iter().zip(placement) {
            let slot = match place {
                None => None,
                Some(compat::Place::Stored(offset)) => {
                    let found = layout
                        .field(&f.name)
                        .filter(|found| found.offset == *offset)
                        .ok_or_else(mismatch)?;
                    Some(Slot {
                        offset: *offset,
                        size: found.identity.size(),
                        bits: bits_of(&found.identity),
                        payload: None,
                        reach: Reach::Stored,
                    })
                }
                Some(compat::Place::Computed(i)) => {
                    let a = layout
                        .accessors
                        .get(*i)
                        .filter(|a| placed_by_rule(layout, f, *i, a, compat::Place::Computed(*i)))
                        .ok_or_else(mismatch)?;
                    Some(Slot {
                        offset: 0,
                        size: a.identity.size(),
                        bits: bits_of(&a.identity),
                        payload: None,
                        // SAFETY: `a` is a validated computed field of the
                        // bound type (checked above to be the one the view
                        // names, of its identity).
                        reach: Reach::Computed(unsafe { crate::view::Computed::of(a) }),
                    })
                }
                Some(compat::Place::Accessor(i)) => {
                    use layout_meta::accessor::shape;
                    let a = layout
                        .accessors
                        .get(*i)
                        .filter(|a| placed_by_rule(layout, f, *i, a, compat::Place::Accessor(*i)))
                        .ok_or_else(mismatch)?;
                    // SAFETY: a validated text or elements accessor of the
                    // bound type (checked above), whose functions' signatures
                    // the format fixes.
                    let (get, set) = unsafe {
                        (
                            code_at::<layout_meta::accessor::BorrowFn>(a.get),
                            code_at::<layout_meta::accessor::ReplaceFn>(a.set),
                        )
                    };
                    let text = a.shape == shape::STR;
                    Some(Slot {
                        offset: 0,
                        size: 0,
                        bits: Bits::None,
                        payload: None,
                        reach: Reach::Accessor(DynAccessor {
                            get,
                            set,
                            text,
                            optional: a.is_optional(),
                            exported: matches!(a.identity, Identity::Resilient { .. }),
                            bits: if text {
                                Bits::Any
                            } else {
                                bits_of(&a.identity)
                            },
                            elem: if text { 1 } else { a.identity.size() },
                            align: if text { 1 } else { a.identity.align() },
                        }),
                    })
                }
            };
            slots.push(slot);
        }
        if view.is_enum() {
            return Err(mismatch());
        }
        Ok(DynBound {
            id: BindingId::fresh(),
            ty,
            viewed: view.nested.iter().map(Option::is_some).collect(),
            nested: need.fields.iter().map(|_| None).collect(),
            need: need.clone(),
            slots,
            enum_part: None,
            payload_names: Vec::new(),
            cases_need: None,
        })
    }

    /// The binding of the enum view `view` to enum `ty`, placed as `cases`
    /// says: the verdict of [`layout_meta::compat::bind_enum_view`] for this
    /// view against the module `ty` comes from. Each payload field's place
    /// (its offset where payloads are plain, else the library's `locate`),
    /// size and valid bit patterns are the library's (validated) layout's.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if `ty` is not the view's enum, or `cases` does
    /// not place the view's cases and payload fields on the enum's.
    pub fn new_enum(
        ty: Arc<ForeignType>,
        view: &DynView,
        cases: &CasePlacement,
    ) -> Result<DynBound, Error> {
        let layout = ty.layout();
        let mismatch = || Error::BadView {
            reason: format!(
                "the placement given is not a verdict for the enum view of `{}` against `{}`",
                view.need.type_name, layout.name
            ),
        };
        let (Some(need), Some(info)) = (view.cases.as_ref(), layout.enum_info.as_ref()) else {
            return Err(mismatch());
        };
        if layout.name != need.type_name || cases.len() != need.cases.len() {
            return Err(mismatch());
        }
        let mut slots: Vec<Option<Slot>> = vec![None; view.payload.len()];
        let mut payload_names = vec![String::new(); view.payload.len()];
        let mut binding = EnumBinding {
            keys_of: CaseKeys::of(&ty),
            cases: Vec::with_capacity(cases.len()),
            fields: vec![Vec::new(); cases.len()],
            supply: Vec::with_capacity(cases.len()),
            write_case: ty.enum_witnesses().and_then(|w| w.write_case),
        };
        for (index, &(host, _)) in view.payload.iter().enumerate() {
            if let Some(f) = binding.fields.get_mut(host) {
                f.push(index);
            }
        }
        for (host, (c, (lib_index, placed))) in need.cases.iter().zip(cases).enumerate() {
            let case = info.cases.get(*lib_index).ok_or_else(mismatch)?;
            if case.name != c.name || placed.len() != c.fields.len() {
                return Err(mismatch());
            }
            binding.cases.push((
                c.name.clone(),
                crate::enums::case_key(layout, *lib_index, case),
                u32::try_from(*lib_index).map_err(|_| mismatch())?,
            ));
            let mut supply = vec![None; case.fields.len()];
            let ids = binding.fields.get(host).cloned().unwrap_or_default();
            for (j, (want, at)) in c.fields.iter().zip(placed).enumerate() {
                let index = *ids.get(j).ok_or_else(mismatch)?;
                payload_names[index] = format!("{}::{}.{}", layout.name, c.name, want.name);
                let Some(at) = at else { continue };
                let f = case
                    .fields
                    .get(*at)
                    .filter(|f| f.name == want.name)
                    .ok_or_else(mismatch)?;
                supply[*at] = Some(j);
                slots[index] = Some(Slot {
                    offset: f.offset,
                    size: f.identity.size(),
                    bits: bits_of(&f.identity),
                    payload: Some((host, Place::of(&ty, *lib_index, *at, f.offset))),
                    reach: Reach::Stored,
                });
            }
            binding.supply.push(supply);
        }
        Ok(DynBound {
            id: BindingId::fresh(),
            viewed: Vec::new(),
            nested: Vec::new(),
            need: view.need.clone(),
            slots,
            enum_part: Some(binding),
            payload_names,
            cases_need: view.cases.clone(),
            ty,
        })
    }

    /// This binding's id: fresh, never given to another binding or type in
    /// this process (so never reused after a library is unloaded).
    pub fn binding(&self) -> u64 {
        self.id.get()
    }
    /// The bound foreign type.
    pub fn foreign_type(&self) -> &Arc<ForeignType> {
        &self.ty
    }
    /// Number of fields of the view.
    pub fn field_count(&self) -> usize {
        self.slots.len()
    }
    /// The view this binding was made from.
    pub fn need(&self) -> &ViewNeed {
        &self.need
    }

    /// The token of the view's field `name`, which the caller means to use
    /// as `identity` reached by `access` (`None`: as declared): `None` for
    /// an optional field the library lacks.
    ///
    /// # Errors
    ///
    /// [`Error::Undeclared`] if the view has no field `name`, or declared it
    /// with another access or with an identity that is not `identity` by
    /// the identity rule ([`layout_meta::compat::same_identity`]).
    pub fn token_named(
        &self,
        name: &str,
        asked: Option<(&Identity, Access)>,
    ) -> Result<Option<DynToken>, Error> {
        let field = || format!("{}.{name}", self.ty.layout().name);
        if self.enum_part.is_some() {
            return Err(Error::Undeclared {
                field: field(),
                reason: "an enum view's payload fields are named with their case".into(),
            });
        }
        let Some(index) = self.need.fields.iter().position(|f| f.name == name) else {
            return Err(Error::Undeclared {
                field: field(),
                reason: "the view does not declare it".into(),
            });
        };
        if let (Some((identity, access)), Some(declared)) = (asked, self.need.fields.get(index)) {
            if access != declared.access
                || !layout_meta::compat::same_identity(&declared.identity, identity)
            {
                return Err(Error::Undeclared {
                    field: field(),
                    reason: format!(
                        "the view declares it as {}, the token asks for {identity}",
                        declared.identity
                    ),
                });
            }
        }
        self.token(index)
    }

    /// The token of the view's field `index`: `None` for an optional field
    /// the library lacks.
    ///
    /// # Errors
    ///
    /// [`Error::Undeclared`] if the view has no field `index`.
    pub fn token(&self, index: usize) -> Result<Option<DynToken>, Error> {
        let Some(slot) = self.slots.get(index) else {
            return Err(Error::Undeclared {
                field: format!("{}.#{index}", self.ty.layout().name),
                reason: format!("the view has {} fields", self.slots.len()),
            });
        };
        let index = u32::try_from(index).map_err(|_| Error::Undeclared {
            field: format!("{}.#{index}", self.ty.layout().name),
            reason: "index out of range".into(),
        })?;
        Ok(slot.map(|s| DynToken {
            binding: self.id.get(),
            offset: s.offset,
            index,
        }))
    }

    /// The binding of the nested view of the view's field `index` (declared
    /// with [`DynView::add_nested`]): its tokens read and write the nested
    /// value ([`DynBound::nested_at`]). `None` for an optional field the
    /// library lacks.
    ///
    /// # Errors
    ///
    /// [`Error::Undeclared`] if the view has no field `index`, or declared
    /// it without a view of the nested type.
    pub fn nested(&self, index: usize) -> Result<Option<&Arc<DynBound>>, Error> {
        let token = self.token(index)?;
        if !self.viewed.get(index).copied().unwrap_or(false) {
            return Err(Error::Undeclared {
                field: self.field_name(index),
                reason: "the view declares it without a view of the nested type".into(),
            });
        }
        Ok(token.and_then(|_| self.nested.get(index).and_then(Option::as_ref)))
    }

    /// The address of the nested value of field `token` in the value at
    /// `value`: `value` plus the field's offset, once `token` is checked to
    /// be this binding's token of a nested field. (Only an address: nothing
    /// is read.)
    ///
    /// # Errors
    ///
    /// [`Error::WrongBinding`] for a token of another binding;
    /// [`Error::Undeclared`] for a field the view reads by value.
    pub fn nested_at(&self, value: *mut u8, token: DynToken) -> Result<*mut u8, Error> {
        let slot = self.slot(token, "reach a nested value")?;
        let index = usize::try_from(token.index).unwrap_or(usize::MAX);
        if self.need.fields.get(index).map(|f| f.access) != Some(Access::Nested) {
            return Err(Error::Undeclared {
                field: self.field_name(index),
                reason: "the view reads it by value: it holds no nested value".into(),
            });
        }
        Ok(value.wrapping_add(slot.offset))
    }

    fn field_name(&self, index: usize) -> String {
        if let Some(name) = self.payload_names.get(index) {
            return name.clone();
        }
        let name = self.need.fields.get(index).map_or("?", |f| f.name.as_str());
        format!("{}.{name}", self.ty.layout().name)
    }

    /// The cases of an enum view's binding.
    fn enum_binding(&self) -> Result<&EnumBinding, Error> {
        self.enum_part.as_ref().ok_or_else(|| Error::NotAnEnum {
            ty: self.ty.layout().name.clone(),
        })
    }

    fn cases_need(&self) -> Option<&EnumNeed> {
        self.cases_need.as_ref()
    }

    /// The number of cases the enum view names (0 for a struct view).
    pub fn case_count(&self) -> usize {
        self.enum_part.as_ref().map_or(0, |e| e.cases.len())
    }

    /// The name of the view's case `case` (`None` out of range, or for a
    /// struct view).
    pub fn case_name(&self, case: usize) -> Option<&str> {
        let e = self.enum_part.as_ref()?;
        e.cases.get(case).map(|c| c.0.as_str())
    }

    /// The view's case of the value at `value` (its index among the cases
    /// the view names), or `None` for a case the view does not name (one a
    /// later library added): read from the value's plain tag, or by the
    /// library's `case_of` witness.
    ///
    /// # Errors
    ///
    /// [`Error::NotAnEnum`] for a struct view's binding.
    ///
    /// # Safety
    ///
    /// `value` points at a live value of this binding's type that nobody
    /// writes during the call.
    pub unsafe fn case_of(&self, value: *const u8) -> Result<Option<usize>, Error> {
        let e = self.enum_binding()?;
        if e.keys_of.reads_through_witness() {
            // The library's `case_of` takes the value as a reference.
            self.check_value(value)?;
        }
        // SAFETY: the caller's contract.
        let key = unsafe { e.keys_of.key(value) };
        Ok(key.and_then(|k| e.cases.iter().position(|c| c.1 == k)))
    }

    /// The payload fields the view names for its case `case`, in the
    /// view's order (their indices, for [`DynBound::token`]).
    ///
    /// # Errors
    ///
    /// [`Error::NotAnEnum`]; [`Error::BadView`] for a case out of range.
    pub fn case_fields(&self, case: usize) -> Result<&[usize], Error> {
        let e = self.enum_binding()?;
        e.fields
            .get(case)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::BadView {
                reason: format!(
                    "the view of `{}` names {} cases, not case {case}",
                    self.ty.layout().name,
                    e.cases.len()
                ),
            })
    }

    /// The token of payload field `name` of the view's case `case`, which
    /// the caller means to read as `identity` (`None`: as declared): `None`
    /// for an optional field the library lacks.
    ///
    /// # Errors
    ///
    /// [`Error::NotAnEnum`]; [`Error::BadView`] for a case out of range;
    /// [`Error::Undeclared`] if the view names no such payload field of the
    /// case, or declared it with an identity that is not `identity` by the
    /// identity rule ([`layout_meta::compat::same_identity`]).
    pub fn payload_token(
        &self,
        case: usize,
        name: &str,
        identity: Option<&Identity>,
    ) -> Result<Option<DynToken>, Error> {
        let ids = self.case_fields(case)?;
        let need = self.cases_need();
        let case_name = self.case_name(case).unwrap_or("?");
        let field = || format!("{}::{case_name}.{name}", self.ty.layout().name);
        let found = need.and_then(|e| e.cases.get(case)).and_then(|c| {
            let j = c.fields.iter().position(|f| f.name == name)?;
            Some((c.fields.get(j)?, *ids.get(j)?))
        });
        let Some((declared, index)) = found else {
            return Err(Error::Undeclared {
                field: field(),
                reason: format!(
                    "the view does not declare it as a payload field of case `{case_name}`"
                ),
            });
        };
        if let Some(identity) = identity {
            if !layout_meta::compat::same_identity(&declared.identity, identity) {
                return Err(Error::Undeclared {
                    field: field(),
                    reason: format!(
                        "the view declares it as {}, the token asks for {identity}",
                        declared.identity
                    ),
                });
            }
        }
        self.token(index)
    }

    /// The token of the view's payload field `position` of case `case` (in
    /// the order the view declared the case's fields), checked as
    /// [`DynBound::payload_token`] checks it: what a host that builds the
    /// case with values of its own types checks them with.
    ///
    /// # Errors
    ///
    /// As [`DynBound::payload_token`]; [`Error::Undeclared`] for a position
    /// out of range.
    pub fn payload_token_at(
        &self,
        case: usize,
        position: usize,
        identity: Option<&Identity>,
    ) -> Result<Option<DynToken>, Error> {
        let name = self
            .cases_need()
            .and_then(|e| e.cases.get(case))
            .and_then(|c| c.fields.get(position))
            .map(|f| f.name.clone());
        match name {
            Some(name) => self.payload_token(case, &name, identity),
            None => {
                self.case_fields(case)?;
                Err(Error::Undeclared {
                    field: format!(
                        "{}::{}.#{position}",
                        self.ty.layout().name,
                        self.case_name(case).unwrap_or("?")
                    ),
                    reason: "the view declares fewer payload fields for the case".into(),
                })
            }
        }
    }

    /// Writes a value of the view's case `case` into `room` (`len` bytes),
    /// built by the library's `write_case` witness from `values`: one
    /// pointer per payload field the view names for the case, in the
    /// view's order, each to a value of the field's size (a field the
    /// library lacks, optional, is not read: its pointer may be null), at
    /// any alignment (a value not aligned for its field's type is copied
    /// first). The bytes of `bool` and `char` fields are checked first. The
    /// value is dropped with [`DynBound::drop_at`] exactly once.
    ///
    /// # Errors
    ///
    /// [`Error::NotAnEnum`]; [`Error::BadView`] for a case out of range or
    /// another number of values; [`Error::CannotConstruct`] if the
    /// library's case has a payload field the view does not name, or the
    /// library exports no `write_case` (the Rust host's words);
    /// [`Error::NotByValue`] for a payload field the placement names that
    /// is not read by value (a resilient type); [`Error::InvalidBits`];
    /// [`Error::Room`]; [`Error::Alloc`] if an unaligned payload cannot be
    /// copied. Nothing is written on error.
    ///
    /// # Safety
    ///
    /// `room` is writable for `len` bytes, holds no live value that needs
    /// dropping, and outlives the value; each non-null pointer of `values`
    /// for a field the library has points at the field's size of readable
    /// bytes.
    pub unsafe fn write_case_at(
        &self,
        room: *mut u8,
        len: usize,
        case: usize,
        values: &[*const u8],
    ) -> Result<(), Error> {
        let e = self.enum_binding()?;
        let ids = self.case_fields(case)?;
        let (Some((name, _, lib_case)), Some(supply)) = (e.cases.get(case), e.supply.get(case))
        else {
            return Err(Error::NotAnEnum {
                ty: self.ty.layout().name.clone(),
            });
        };
        if values.len() != ids.len() {
            return Err(Error::BadView {
                reason: format!(
                    "case `{name}` of the view of `{}` has {} payload fields, {} values given",
                    self.ty.layout().name,
                    ids.len(),
                    values.len()
                ),
            });
        }
        let missing = supply.iter().position(Option::is_none);
        let (None, Some(write)) = (missing, e.write_case) else {
            return Err(crate::enums::cannot_construct(
                &self.ty,
                &self.need.type_name,
                name,
                *lib_case,
                missing,
            ));
        };
        let lib_fields = self
            .ty
            .layout()
            .enum_info
            .as_ref()
            .and_then(|info| info.cases.get(usize::try_from(*lib_case).ok()?))
            .map_or(&[][..], |c| c.fields.as_slice());
        let mut payload = Vec::with_capacity(supply.len());
        // Copies of payloads the caller gave unaligned: the witness reads
        // each as a value of its type, in place.
        let mut aligned = Vec::new();
        for (at, j) in supply.iter().enumerate() {
            let Some(j) = j else { continue };
            // Every supplied field is one the view names and the library has
            // (`new_enum` placed it): anything else would leave the witness
            // a pointer short.
            let placed = values.get(*j).zip(ids.get(*j)).and_then(|(&ptr, &index)| {
                Some((ptr, index, self.slots.get(index).copied().flatten()?))
            });
            let Some((ptr, index, slot)) = placed else {
                return Err(Error::BadView {
                    reason: format!(
                        "case `{name}`: a payload field of the library's case is not placed"
                    ),
                });
            };
            if ptr.is_null() {
                return Err(Error::BadView {
                    reason: format!("the value of `{}` is NULL", self.field_name(index)),
                });
            }
            // Only a field read by value is built from bytes: a placement
            // made by hand (`new_enum` is safe) may name any field.
            if slot.bits == Bits::None {
                return Err(Error::NotByValue {
                    field: self.field_name(index),
                });
            }
            // SAFETY: the caller's contract: `slot.size` readable bytes.
            let bytes = unsafe { core::slice::from_raw_parts(ptr, slot.size) };
            self.check_bits(slot, u32::try_from(index).unwrap_or(u32::MAX), bytes)?;
            let Some(align) = lib_fields.get(at).map(|f| f.identity.align().max(1)) else {
                return Err(Error::BadView {
                    reason: format!("case `{name}`: the library's case has no payload field {at}"),
                });
            };
            if (ptr as usize) % align == 0 {
                payload.push(ptr);
            } else {
                let copy = crate::value::Block::new(&self.field_name(index), slot.size, align)?;
                // SAFETY: `bytes` is `slot.size` readable bytes; the block
                // is `slot.size` writable bytes of its own.
                unsafe { core::ptr::copy_nonoverlapping(ptr, copy.ptr(), slot.size) };
                payload.push(copy.ptr().cast_const());
                aligned.push(copy);
            }
        }
        self.check_room(room, len)?;
        // SAFETY: the room is checked (aligned, `size` bytes, writable by
        // the caller's contract); `payload` holds, in the library's field
        // order, one pointer per payload field of the case (every field is
        // supplied: `missing` is none) to a value of its bound identity,
        // its bytes checked; `write` is the enum's witness.
        unsafe {
            crate::enums::write_case_at(
                write,
                room,
                *lib_case,
                &payload,
                &self.need.type_name,
                name,
            )
        }
    }

    /// The address of payload field `slot` (of field `index`) in the value
    /// at `value`, once the value is checked to be in its case; the
    /// value's own address for a struct's field plus its offset.
    ///
    /// # Safety
    ///
    /// `value` points at a live value of this binding's type.
    unsafe fn field_at(
        &self,
        value: *const u8,
        slot: Slot,
        index: u32,
    ) -> Result<*const u8, Error> {
        let Some((case, place)) = slot.payload else {
            // SAFETY: the field lies inside the live value (placed by the
            // verdict on a field of the validated layout).
            return Ok(unsafe { value.add(slot.offset) });
        };
        let field = || self.field_name(usize::try_from(index).unwrap_or(usize::MAX));
        // SAFETY: the caller's contract.
        let found = unsafe { self.case_of(value) }?;
        if found != Some(case) {
            return Err(Error::WrongCase {
                field: field(),
                found: found.and_then(|c| self.case_name(c)).map(str::to_owned),
            });
        }
        if place.is_witness() {
            // The library's `locate` takes the value as a reference.
            self.check_value(value)?;
        }
        // SAFETY: a live value of the enum, in the field's case (checked).
        let at = unsafe { place.address(value) };
        if at.is_null() {
            return Err(Error::Undeclared {
                field: field(),
                reason: "the library's locate witness gave no address for it".into(),
            });
        }
        Ok(at)
    }

    /// The slot a token names, if it is one of this binding's.
    fn slot(&self, token: DynToken, operation: &'static str) -> Result<Slot, Error> {
        let slot = usize::try_from(token.index)
            .ok()
            .and_then(|i| self.slots.get(i).copied().flatten());
        match slot {
            Some(s) if token.binding == self.id.get() && token.offset == s.offset => Ok(s),
            _ => Err(Error::WrongBinding { operation }),
        }
    }

    /// Checks a token and a buffer length for an access by value.
    /// Checks, before any buffer is formed, that `token` is a by-value
    /// field of this binding of exactly `size` bytes (what `read` and
    /// `write` then require of their buffers).
    ///
    /// # Errors
    ///
    /// As [`DynBound::read`] for a wrong token or size.
    pub fn check_size(&self, token: DynToken, size: usize, op: &'static str) -> Result<(), Error> {
        self.by_value(token, size, op).map(|_| ())
    }

    fn by_value(&self, token: DynToken, len: usize, op: &'static str) -> Result<Slot, Error> {
        let slot = self.slot(token, op)?;
        // `slot` proved the index is in range.
        let field = || self.field_name(usize::try_from(token.index).unwrap_or(usize::MAX));
        if slot.bits == Bits::None {
            return Err(Error::NotByValue { field: field() });
        }
        if len != slot.size {
            return Err(Error::FieldSize {
                field: field(),
                size: slot.size,
                found: len,
            });
        }
        Ok(slot)
    }

    fn check_bits(&self, slot: Slot, index: u32, bytes: &[u8]) -> Result<(), Error> {
        let (ok, scalar) = match slot.bits {
            Bits::Bool => (all_valid::<bool>(bytes), "bool"),
            Bits::Char => (all_valid::<char>(bytes), "char"),
            Bits::Any | Bits::None => (true, ""),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidBits {
                field: self.field_name(usize::try_from(index).unwrap_or(usize::MAX)),
                scalar,
            })
        }
    }

    /// Copies field `token` of the value at `value` into `out`, which must
    /// have exactly the field's size.
    ///
    /// # Errors
    ///
    /// [`Error::WrongBinding`] if the token is not one of this binding's,
    /// [`Error::NotByValue`], [`Error::FieldSize`]; [`Error::InvalidBits`]
    /// if the value holds bytes that are not a value of the field's type
    /// (then `out` holds them anyway: do not use it as that type).
    ///
    /// # Safety
    ///
    /// `value` points at a live value of this binding's type, readable for
    /// its whole size, that nobody writes during the call and that `out`
    /// does not overlap.
    pub unsafe fn read(
        &self,
        value: *const u8,
        token: DynToken,
        out: &mut [u8],
    ) -> Result<(), Error> {
        let slot = self.by_value(token, out.len(), "read")?;
        if let Reach::Computed(c) = slot.reach {
            self.check_value(value)?;
            // SAFETY: the caller's contract: a live value of this binding's
            // type, whose library is loaded (the binding holds it); `out`
            // is the field's size (checked by `by_value`).
            unsafe { c.read_into(value, out.as_mut_ptr()) };
            return self.check_bits(slot, token.index, out);
        }
        // SAFETY: the caller's contract: a live value of this binding's type.
        let at = unsafe { self.field_at(value, slot, token.index) }?;
        // SAFETY:
        // - `slot` is one of this binding's fields, placed by the verdict on
        //   a field of the validated layout, so `offset + size <= size of
        //   the type`, or a payload field of the value's own case (checked
        //   by `field_at`), where the library's layout or `locate` puts it:
        //   the source lies inside the live value the caller passes,
        //   readable;
        // - `out` is `size` writable bytes (checked above), a slice the
        //   caller lends exclusively, so it does not overlap the value.
        unsafe { core::ptr::copy_nonoverlapping(at, out.as_mut_ptr(), slot.size) };
        self.check_bits(slot, token.index, out)
    }

    /// Writes `bytes` (exactly the field's size) into field `token` of the
    /// value at `value`. Invalid bytes are refused before anything is
    /// written.
    ///
    /// # Errors
    ///
    /// As [`DynBound::read`]: the value is unchanged on error.
    ///
    /// # Safety
    ///
    /// `value` points at a live value of this binding's type, writable for
    /// its whole size, that nobody else accesses during the call and that
    /// `bytes` does not overlap.
    pub unsafe fn write(&self, value: *mut u8, token: DynToken, bytes: &[u8]) -> Result<(), Error> {
        let slot = self.by_value(token, bytes.len(), "write")?;
        if slot.payload.is_some() {
            return Err(Error::Undeclared {
                field: self.field_name(usize::try_from(token.index).unwrap_or(usize::MAX)),
                reason: "a payload field is read, not written: a case is built whole, by the library's write_case"
                    .into(),
            });
        }
        self.check_bits(slot, token.index, bytes)?;
        if let Reach::Computed(c) = slot.reach {
            self.check_value(value)?;
            // SAFETY: the caller's contract (a live value, exclusively);
            // `bytes` is one valid value of the field's type (size and bits
            // checked above).
            unsafe { c.write_from(value, bytes.as_ptr()) };
            return Ok(());
        }
        // SAFETY:
        // - as for `read`: the field lies inside the live value, which the
        //   caller lends us writable and exclusively;
        // - the bytes are a valid value of the field's type (checked just
        //   above for `bool` and `char`; any bytes for the other kinds);
        // - the value is lent exclusively, so `bytes` (a shared slice
        //   alive for the call) does not overlap it.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), value.add(slot.offset), slot.size)
        };
        Ok(())
    }

    /// Refuses a value address the library's code may not take as `&T`: a
    /// computed or accessor field's getter and setter, and an enum's
    /// `case_of` and `locate` witnesses, form a reference to the value,
    /// which must be aligned (a stored field or a plain tag is read in
    /// place, unaligned, so only these paths check).
    fn check_value(&self, value: *const u8) -> Result<(), Error> {
        self.check_reference(value, "the library's accessors take")
    }

    /// [`DynBound::check_value`], saying which code of the library takes
    /// the value as a reference (`who`).
    fn check_reference(&self, value: *const u8, who: &str) -> Result<(), Error> {
        let align = self.ty.layout().align.max(1);
        if value.is_null() || (value as usize) % align != 0 {
            return Err(Error::BadView {
                reason: format!(
                    "the value at {value:p} is not a value of `{}` (null, or not aligned to {align} bytes): {who} it as a reference",
                    self.ty.layout().name
                ),
            });
        }
        Ok(())
    }

    /// The accessor field a token names, checked.
    fn accessor(&self, token: DynToken, op: &'static str) -> Result<DynAccessor, Error> {
        let slot = self.slot(token, op)?;
        match slot.reach {
            Reach::Accessor(a) => Ok(a),
            _ => Err(Error::Undeclared {
                field: self.field_name(usize::try_from(token.index).unwrap_or(usize::MAX)),
                reason: "it is not a text or elements field: it is read by value".into(),
            }),
        }
    }

    /// Borrows accessor field `token` of the value at `value` through the
    /// library's getter: its bytes (text, or the elements' bytes) and its
    /// length in elements, valid until the value is next written or
    /// dropped. Text is returned as the library holds it (a C++
    /// `std::string` may hold bytes that are not UTF-8: the caller checks
    /// if it needs `str`).
    ///
    /// # Errors
    ///
    /// [`Error::WrongBinding`], [`Error::Undeclared`] for a field read by
    /// value; [`Error::Undeclared`] if the library's getter returns a
    /// misaligned or oversized slice (a broken library); [`Error::BadView`]
    /// if `value` is null or not aligned for the type.
    ///
    /// # Safety
    ///
    /// `value` points at a live value of this binding's type, not written
    /// for `'a`.
    pub unsafe fn borrow<'a>(
        &self,
        value: *const u8,
        token: DynToken,
    ) -> Result<Borrowed<'a>, Error> {
        let a = self.accessor(token, "read")?;
        if a.exported {
            // Values of an exported type may hold padding (uninitialised
            // bytes), which a `&[u8]` may not show: they are read through the
            // Rust host's `ElemsOf`, by their view.
            return Err(Error::Undeclared {
                field: self.field_name(usize::try_from(token.index).unwrap_or(usize::MAX)),
                reason: "its elements are values of an exported type, read through their view, not as bytes".into(),
            });
        }
        self.check_value(value)?;
        // SAFETY: the caller's contract: a live value of this binding's type
        // (whose library the binding keeps loaded); the getter is its own.
        let s = unsafe { (a.get)(value) };
        if s.ptr.is_null() {
            // `None` for an optional field; a required field's getter that
            // returns null is read as empty.
            return Ok(Borrowed {
                bytes: (!a.optional).then_some(&[]),
                len: 0,
            });
        }
        if s.len == 0 {
            return Ok(Borrowed {
                bytes: Some(&[]),
                len: 0,
            });
        }
        match s.len.checked_mul(a.elem) {
            Some(n) if n <= isize::MAX as usize && (s.ptr as usize) % a.align == 0 => {
                Ok(Borrowed {
                    // SAFETY: the accessor contract: `len` elements at `ptr`,
                    // valid while the value is not written (`'a`).
                    bytes: Some(unsafe { core::slice::from_raw_parts(s.ptr, n) }),
                    len: s.len,
                })
            }
            _ => Err(Error::Undeclared {
                field: self.field_name(usize::try_from(token.index).unwrap_or(usize::MAX)),
                reason: "the library's getter returned a misaligned or oversized slice".into(),
            }),
        }
    }

    /// Replaces accessor field `token` of the value at `value` with a copy
    /// of `bytes` made by the library (`None` empties an optional field).
    /// Text must be UTF-8 (a Rust library's `String` relies on it);
    /// elements are `bytes.len() / size` elements, aligned.
    ///
    /// # Errors
    ///
    /// [`Error::WrongBinding`], [`Error::Undeclared`] for a field written by
    /// value or `None` for a required field; [`Error::NotUtf8`] for text
    /// that is not UTF-8; [`Error::FieldSize`] if the bytes are not whole
    /// elements; [`Error::BadView`] if they are not aligned for the element,
    /// or if `value` is null or not aligned for the type.
    ///
    /// # Safety
    ///
    /// `value` points at a live value of this binding's type that nothing
    /// else accesses during the call.
    pub unsafe fn replace(
        &self,
        value: *mut u8,
        token: DynToken,
        bytes: Option<&[u8]>,
    ) -> Result<(), Error> {
        let a = self.accessor(token, "write")?;
        self.check_value(value)?;
        let field = || self.field_name(usize::try_from(token.index).unwrap_or(usize::MAX));
        if a.exported {
            return Err(Error::Undeclared {
                field: field(),
                reason: "its elements are values of an exported type, which the library clones: bytes cannot replace them".into(),
            });
        }
        let Some(bytes) = bytes else {
            if !a.optional {
                return Err(Error::Undeclared {
                    field: field(),
                    reason: "only an optional field holds nothing".into(),
                });
            }
            // SAFETY: the caller's contract; null is `None` for an optional
            // field's setter.
            unsafe { (a.set)(value, core::ptr::null(), 0) };
            return Ok(());
        };
        let len = if a.text {
            if let Err(e) = core::str::from_utf8(bytes) {
                return Err(Error::NotUtf8 {
                    field: field(),
                    valid_up_to: e.valid_up_to(),
                    len: bytes.len(),
                });
            }
            bytes.len()
        } else {
            if bytes.len() % a.elem != 0 {
                return Err(Error::FieldSize {
                    field: field(),
                    size: a.elem,
                    found: bytes.len(),
                });
            }
            if (bytes.as_ptr() as usize) % a.align != 0 {
                return Err(Error::BadView {
                    reason: format!(
                        "field `{}`: the elements are not aligned to {} bytes",
                        field(),
                        a.align
                    ),
                });
            }
            let valid = match a.bits {
                Bits::Any => Ok(()),
                Bits::Bool if all_valid::<bool>(bytes) => Ok(()),
                Bits::Char if all_valid::<char>(bytes) => Ok(()),
                Bits::Bool => Err("bool"),
                Bits::Char => Err("char"),
                Bits::None => {
                    return Err(Error::Undeclared {
                        field: field(),
                        reason: "its elements' valid bit patterns are unknown to this client: bytes cannot replace them".into(),
                    });
                }
            };
            if let Err(scalar) = valid {
                return Err(Error::InvalidBits {
                    field: field(),
                    scalar,
                });
            }
            bytes.len() / a.elem
        };
        // SAFETY: the caller's contract (a live value, exclusively); `len`
        // valid elements at a non-null, aligned pointer (UTF-8 for text,
        // checked; elements of a type with invalid bit patterns, checked;
        // any bytes are other plain elements).
        unsafe { (a.set)(value, bytes.as_ptr(), len) };
        Ok(())
    }

    fn check_room(&self, room: *mut u8, len: usize) -> Result<(), Error> {
        let l = self.ty.layout();
        if room.is_null() || len < l.size || (room as usize) % l.align != 0 {
            return Err(Error::Room {
                ty: l.name.clone(),
                size: l.size,
                align: l.align,
                room: len,
            });
        }
        Ok(())
    }

    /// Makes a default value (the library's default witness, or zeros for
    /// plain old data) in the caller's room.
    ///
    /// # Errors
    ///
    /// [`Error::Room`] if `room` is null, misaligned or smaller than the
    /// type; [`Error::NoWitness`]. Nothing is left initialised on error.
    ///
    /// # Safety
    ///
    /// `room` is writable for `len` bytes, holds no live value that needs
    /// dropping, and outlives the value; the value is later dropped with
    /// [`DynBound::drop_at`] exactly once.
    pub unsafe fn init_at(&self, room: *mut u8, len: usize) -> Result<(), Error> {
        self.check_room(room, len)?;
        // SAFETY: checked just above: aligned, and at least `size` bytes,
        // writable by the caller's contract.
        unsafe { init_default(&self.ty, room, 1) }
    }

    /// Makes a copy of the value at `src` (the library's clone witness, or
    /// bitwise for plain old data) in the caller's room.
    ///
    /// # Errors
    ///
    /// As [`DynBound::init_at`]; [`Error::BadView`] if `src` is null or
    /// not aligned for the type (the clone witness takes it as a
    /// reference).
    ///
    /// # Safety
    ///
    /// As [`DynBound::init_at`]; moreover `src` is a live value of this
    /// binding's type that does not overlap the room.
    pub unsafe fn clone_at(&self, room: *mut u8, len: usize, src: *const u8) -> Result<(), Error> {
        self.check_room(room, len)?;
        self.check_reference(src, "the library's clone witness takes")?;
        // SAFETY: the room is checked (aligned, `size` bytes); `src` is a
        // live value of the type, apart from the room (caller's contract).
        unsafe { clone_into(&self.ty, room, src) }
    }

    /// Drops the value at `value` (the library's drop witness, if any).
    ///
    /// # Safety
    ///
    /// `value` is a live value of this binding's type, made by
    /// [`DynBound::init_at`] or [`DynBound::clone_at`] (of a binding of the
    /// same type), and is not used afterwards.
    pub unsafe fn drop_at(&self, value: *mut u8) {
        // SAFETY: the caller's contract: one live value, dropped once.
        unsafe { drop_values(&self.ty, value, 1) }
    }

    /// Size, alignment and stride of the type.
    pub fn shape(&self) -> (usize, usize, usize) {
        let l = self.ty.layout();
        (l.size, l.align, l.stride)
    }
}

/// An owned value of a [`DynBound`]'s type on the heap. It holds its
/// binding, so the library stays loaded until the value is dropped.
///
/// Like [`crate::Value`], it stays on the thread that made it unless the
/// type is marked `send` (not `Send`: the C API documents the rule).
pub struct DynValue {
    block: Block,
    bound: Arc<DynBound>,
}

impl fmt::Debug for DynValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynValue")
            .field("bound", &self.bound)
            .field("at", &self.block.ptr())
            .finish()
    }
}

impl DynValue {
    /// A default value: the library's default witness, or zeros for plain
    /// old data.
    ///
    /// # Errors
    ///
    /// [`Error::NoWitness`]; [`Error::Alloc`] if the size cannot be
    /// allocated (an impossible size is an error, never an abort).
    pub fn new(bound: &Arc<DynBound>) -> Result<Self, Error> {
        let l = bound.ty.layout();
        let block = Block::new(&l.name, l.size, l.align)?;
        // SAFETY: the block is room for one value, aligned; on error the
        // block is freed with nothing initialised in it.
        unsafe { init_default(&bound.ty, block.ptr(), 1)? };
        Ok(DynValue {
            block,
            bound: Arc::clone(bound),
        })
    }

    /// A value of the enum view's case `case`, built by the library's
    /// `write_case` witness (see [`DynBound::write_case_at`]).
    ///
    /// # Errors
    ///
    /// As [`DynBound::write_case_at`]; [`Error::Alloc`].
    ///
    /// # Safety
    ///
    /// As [`DynBound::write_case_at`], for `values`.
    pub unsafe fn new_case(
        bound: &Arc<DynBound>,
        case: usize,
        values: &[*const u8],
    ) -> Result<Self, Error> {
        let l = bound.ty.layout();
        let block = Block::new(&l.name, l.size, l.align)?;
        // SAFETY: the block is room for one value, aligned, of the type's
        // size; on error nothing was written and the block is freed.
        unsafe { bound.write_case_at(block.ptr(), l.size, case, values)? };
        Ok(DynValue {
            block,
            bound: Arc::clone(bound),
        })
    }

    /// The view's case of the value (see [`DynBound::case_of`]).
    ///
    /// # Errors
    ///
    /// As [`DynBound::case_of`].
    pub fn case_of(&self) -> Result<Option<usize>, Error> {
        // SAFETY: the block holds a live value of the bound type, borrowed
        // shared with `self`.
        unsafe { self.bound.case_of(self.block.ptr()) }
    }

    /// A copy made by the library's clone witness (bitwise for plain old
    /// data).
    ///
    /// # Errors
    ///
    /// [`Error::NoWitness`], [`Error::Alloc`].
    pub fn try_clone(&self) -> Result<Self, Error> {
        let l = self.bound.ty.layout();
        let block = Block::new(&l.name, l.size, l.align)?;
        // SAFETY: `self` holds a live value; the new block is distinct room
        // for one, aligned.
        unsafe { clone_into(&self.bound.ty, block.ptr(), self.block.ptr())? };
        Ok(DynValue {
            block,
            bound: Arc::clone(&self.bound),
        })
    }

    /// The binding.
    pub fn bound(&self) -> &Arc<DynBound> {
        &self.bound
    }
    /// The value's address.
    pub fn as_ptr(&self) -> *const u8 {
        self.block.ptr()
    }
    /// The value's address, for writing.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.block.ptr()
    }

    /// Copies field `token` into `out` (see [`DynBound::read`]).
    ///
    /// # Errors
    ///
    /// As [`DynBound::read`].
    pub fn read(&self, token: DynToken, out: &mut [u8]) -> Result<(), Error> {
        // SAFETY: the block holds a live value of the bound type, borrowed
        // shared with `self`.
        unsafe { self.bound.read(self.block.ptr(), token, out) }
    }

    /// Writes field `token` from `bytes` (see [`DynBound::write`]).
    ///
    /// # Errors
    ///
    /// As [`DynBound::write`].
    pub fn write(&mut self, token: DynToken, bytes: &[u8]) -> Result<(), Error> {
        // SAFETY: the block holds a live value of the bound type, borrowed
        // exclusively with `self`.
        unsafe { self.bound.write(self.block.ptr(), token, bytes) }
    }

    /// Borrows accessor field `token` (text or elements) through the
    /// library's getter, for the borrow of `self` (see
    /// [`DynBound::borrow`]).
    ///
    /// # Errors
    ///
    /// As [`DynBound::borrow`].
    pub fn borrow(&self, token: DynToken) -> Result<Borrowed<'_>, Error> {
        // SAFETY: the block holds a live value of the bound type, which
        // `&self` keeps from being written while the borrow lives.
        unsafe { self.bound.borrow(self.block.ptr(), token) }
    }

    /// Replaces accessor field `token` with a copy the library makes of
    /// `bytes` (`None`: nothing, for an optional field; see
    /// [`DynBound::replace`]).
    ///
    /// # Errors
    ///
    /// As [`DynBound::replace`].
    pub fn replace(&mut self, token: DynToken, bytes: Option<&[u8]>) -> Result<(), Error> {
        // SAFETY: the block holds a live value of the bound type, borrowed
        // exclusively with `self`.
        unsafe { self.bound.replace(self.block.ptr(), token, bytes) }
    }
}

/// Room on the heap for one value of a [`DynBound`]'s type, holding none
/// yet: where a function's owned result (`pass::OWNED`) is written. Once
/// the library has moved a value in, [`DynRoom::assume_init`] makes it a
/// [`DynValue`]; dropped before, it frees the room and drops nothing.
pub struct DynRoom {
    block: Block,
    bound: Arc<DynBound>,
}

impl fmt::Debug for DynRoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynRoom")
            .field("bound", &self.bound)
            .field("at", &self.block.ptr())
            .finish()
    }
}

impl DynRoom {
    /// Room of the type's size and alignment.
    ///
    /// # Errors
    ///
    /// [`Error::Alloc`] if the size cannot be allocated.
    pub fn new(bound: &Arc<DynBound>) -> Result<Self, Error> {
        let l = bound.ty.layout();
        Ok(DynRoom {
            block: Block::new(&l.name, l.size, l.align)?,
            bound: Arc::clone(bound),
        })
    }
    /// The room's address (aligned to the type).
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.block.ptr()
    }
    /// The binding the value will have.
    pub fn bound(&self) -> &Arc<DynBound> {
        &self.bound
    }
    /// The value the room now holds.
    ///
    /// # Safety
    ///
    /// A live value of the bound type was moved into the room (a thunk
    /// returned `status::OK` for an owned result written there), and
    /// nothing else owns it.
    pub unsafe fn assume_init(self) -> DynValue {
        DynValue {
            block: self.block,
            bound: self.bound,
        }
    }
}

impl Drop for DynValue {
    fn drop(&mut self) {
        // SAFETY: the block holds a live value, never used again; the block
        // itself is freed after this by `Block::drop`.
        unsafe { drop_values(&self.bound.ty, self.block.ptr(), 1) }
    }
}

// -------------------------------------------------------------- functions

/// A function described as data, bound: what a host calls it with, checked
/// by the code `api!` binds with (the one function rule,
/// `layout_meta::compat::bind_function`; each reference parameter's type
/// and an owned result's, of the function's own library, under their own
/// names). What the C API's `rsl_function` is.
///
/// # Thread safety
///
/// `Send + Sync`: immutable once made.
#[derive(Debug)]
pub struct DynFunction {
    function: Arc<ForeignFunction>,
    bindings: Vec<BindingId>,
    result: Option<Arc<ForeignType>>,
}

impl DynFunction {
    /// Binds function `want.name` of module `module`, exported by `source`,
    /// to be called with `want`'s parameters and result (their names do
    /// not matter): required, or optional (`Ok(None)` if `source` lacks
    /// it).
    ///
    /// # Errors
    ///
    /// [`Error::ModuleMismatch`] for another module;
    /// [`Error::BindFunctions`] with the mismatch (the function missing, a
    /// parameter or the result retyped, with both types; a type a
    /// reference or the result refers to missing or of another library).
    pub fn bind(
        source: &dyn TypeSource,
        module: &str,
        want: &FunctionLayout,
        required: bool,
    ) -> Result<Option<DynFunction>, Error> {
        crate::function::bind_functions(source, module, |cx| {
            let mut bindings = vec![BindingId::DIRECT; want.params.len()];
            let expected = compat::Expected::of(want);
            let function = cx.bind_layout(expected, false, required, &mut bindings)?;
            let result = cx.owned_result(&function)?;
            Some(DynFunction {
                function,
                bindings,
                result,
            })
        })
    }

    /// The library's function.
    pub fn function(&self) -> &Arc<ForeignFunction> {
        &self.function
    }
    /// Per parameter, the binding id a value passed by reference must
    /// have (its type's, [`ForeignType::id`]); [`BindingId::DIRECT`] for
    /// the other parameters.
    pub fn bindings(&self) -> &[BindingId] {
        &self.bindings
    }
    /// The library's type an owned result is a value of; `None` for any
    /// other result.
    pub fn result_type(&self) -> Option<&Arc<ForeignType>> {
        self.result.as_ref()
    }
}

// ------------------------------------------------------------- interfaces

/// One method of a [`DynInterface`]: the signature the host calls it with,
/// the receiver first, and whether an implementation may lack it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DynMethod {
    want: FunctionLayout,
    required: bool,
}

/// An interface described as data: the methods a host calls, each with its
/// signature (the receiver first), as [`interface!`](crate::interface)
/// declares them in Rust. [`DynInterface::bind`] binds it to every
/// implementation a library exports through the same code as the typed
/// [`crate::implementations`]: each method by the one function rule
/// (`layout_meta::compat::bind_function`), the receiver being the
/// implementing type. What the C API's `rsl_interface` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynInterface {
    module: String,
    interface: String,
    methods: Vec<DynMethod>,
}

impl DynInterface {
    /// Interface `interface` of module `module`, with no methods yet (bound
    /// so, it enumerates the module's implementations of the interface).
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if a name is empty.
    pub fn new(module: &str, interface: &str) -> Result<Self, Error> {
        if module.is_empty() || interface.is_empty() {
            return Err(Error::BadView {
                reason: "an interface needs a module name and an interface name".into(),
            });
        }
        Ok(DynInterface {
            module: module.into(),
            interface: interface.into(),
            methods: Vec::new(),
        })
    }

    /// Adds method `name`: its receiver (`pass::REF` for `&self`,
    /// `pass::MUT` for `&mut self`: a reference to the implementing type,
    /// whatever it is), then `params`, and the result `ret`; required, or
    /// optional (an implementation may lack it). Parameters are renamed
    /// `p1`, `p2`, ... (the receiver is `p0`), as the Rust host names them,
    /// so refusals read the same. Its index is the number of methods added
    /// before it.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if the name is empty or already declared, the
    /// receiver is neither `&self` nor `&mut self`, or the method has more
    /// than [`layout_meta::limits::MAX_PARAMS`] parameters with the
    /// receiver.
    pub fn add_method(
        &mut self,
        name: &str,
        receiver: u32,
        params: Vec<ParamLayout>,
        ret: ParamLayout,
        required: bool,
    ) -> Result<usize, Error> {
        let bad = |reason: String| Err(Error::BadView { reason });
        if name.is_empty() || self.methods.iter().any(|m| m.want.name == name) {
            return bad(format!("method name `{name}` is empty or declared twice"));
        }
        if receiver != pass::REF && receiver != pass::MUT {
            return bad(format!(
                "method `{name}`: the receiver is `&self` (pass {}) or `&mut self` (pass {}), not pass {receiver}",
                pass::REF,
                pass::MUT
            ));
        }
        if params.len() >= layout_meta::limits::MAX_PARAMS {
            return bad(format!(
                "method `{name}`: {} parameters with the receiver, at most {}",
                params.len() + 1,
                layout_meta::limits::MAX_PARAMS
            ));
        }
        if self.methods.len() >= layout_meta::limits::MAX_FUNCTIONS {
            return bad("too many methods".into());
        }
        let this = ParamLayout {
            name: "p0".into(),
            pass: receiver,
            identity: Identity::from_record(&<crate::This as crate::HostArg>::IDENTITY),
        };
        let params = core::iter::once(this)
            .chain(params.into_iter().enumerate().map(|(i, p)| ParamLayout {
                name: format!("p{}", i + 1),
                ..p
            }))
            .collect();
        self.methods.push(DynMethod {
            want: FunctionLayout {
                name: name.into(),
                abi: layout_meta::function::abi::THUNK_V2,
                flags: 0,
                params,
                ret: ParamLayout {
                    name: "return".into(),
                    ..ret
                },
                thunk: 0,
            },
            required,
        });
        Ok(self.methods.len() - 1)
    }

    /// The module.
    pub fn module(&self) -> &str {
        &self.module
    }
    /// The interface's name.
    pub fn interface(&self) -> &str {
        &self.interface
    }
    /// The number of methods declared.
    pub fn method_count(&self) -> usize {
        self.methods.len()
    }

    /// Binds every implementation of the interface that `source` exports:
    /// every required method must exist with exactly the declared
    /// signature, the receiver being the implementing type; optional ones
    /// may be absent. The typed [`crate::implementations`] binds through
    /// the same code.
    ///
    /// # Errors
    ///
    /// [`Error::ModuleMismatch`] for another module; [`Error::BindFunctions`]
    /// with every mismatch of every implementation (each naming the type,
    /// the interface, the method and the parameter).
    pub fn bind(&self, source: &dyn TypeSource) -> Result<Vec<DynImpl>, Error> {
        let resolve = |cx: &mut crate::ApiCx<'_>| {
            Some(
                self.methods
                    .iter()
                    .map(|m| {
                        let mut bindings = vec![BindingId::DIRECT; m.want.params.len()];
                        let want = layout_meta::compat::Expected::of(&m.want);
                        let function = cx.bind_layout(want, true, m.required, &mut bindings)?;
                        let result = cx.owned_result(&function)?;
                        Some(DynMethodBound {
                            function,
                            bindings,
                            result,
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        };
        Ok(
            crate::interface::bind_impls(source, &self.module, &self.interface, resolve)?
                .into_iter()
                .map(|(imp, methods, values)| DynImpl {
                    imp,
                    methods,
                    values,
                })
                .collect(),
        )
    }
}

/// A method of a [`DynImpl`], bound: the library's function and, per
/// parameter, the binding id of the library's type a reference points to
/// (the receiver's is the implementing type's; `BindingId::DIRECT` for
/// parameters that are not references).
#[derive(Debug)]
struct DynMethodBound {
    function: Arc<ForeignFunction>,
    bindings: Vec<BindingId>,
    /// The type an owned result is a value of.
    result: Option<Arc<ForeignType>>,
}

/// One type's implementation of a [`DynInterface`], bound: its methods in
/// the declaration's order, and the binding that makes values of the type.
///
/// # Thread safety
///
/// `Send + Sync`: immutable once made.
#[derive(Debug)]
pub struct DynImpl {
    imp: crate::ForeignImpl,
    methods: Vec<Option<DynMethodBound>>,
    values: Arc<DynBound>,
}

impl DynImpl {
    /// The implementing type's name.
    pub fn type_name(&self) -> &str {
        self.imp.type_name()
    }
    /// The interface's name.
    pub fn interface(&self) -> &str {
        self.imp.interface()
    }
    /// The number of methods the interface declared.
    pub fn method_count(&self) -> usize {
        self.methods.len()
    }
    /// Declared method `index`: the library's function and, per parameter,
    /// the binding id a value passed by reference must have (its type's:
    /// [`ForeignType::id`]; the receiver's is the implementing type's; 0
    /// for other parameters). `None` for an optional method this type
    /// lacks, or an index out of range.
    pub fn method(&self, index: usize) -> Option<(&Arc<ForeignFunction>, &[BindingId])> {
        self.methods
            .get(index)?
            .as_ref()
            .map(|m| (&m.function, m.bindings.as_slice()))
    }
    /// The library's type declared method `index`'s owned result is a value
    /// of (bound as [`DynFunction::result_type`]); `None` for another
    /// result, a method this type lacks, or an index out of range.
    pub fn method_result_type(&self, index: usize) -> Option<&Arc<ForeignType>> {
        self.methods.get(index)?.as_ref()?.result.as_ref()
    }
    /// A binding of the implementing type without fields: its values
    /// ([`DynValue::new`], [`DynBound::init_at`]) are made and dropped by
    /// the library's witnesses, and are what the methods take.
    pub fn values(&self) -> &Arc<DynBound> {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InProcess;
    use crate::TypeSource;
    use layout_meta::compat::bind_view;
    use layout_meta::function::{CallError, Ret};

    #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
    #[resilient(pod, clone, default)]
    pub struct Flags {
        pub on: bool,
        pub letter: char,
        pub many: [bool; 3],
        pub n: u32,
    }

    fn bound() -> Arc<DynBound> {
        let src = InProcess::new("m", "1.0.0").with::<Flags>();
        let mut v = DynView::new("m", "Flags").unwrap();
        v.add("on", true, Access::ByValue, scalar("bool").unwrap())
            .unwrap();
        v.add("letter", true, Access::ByValue, scalar("char").unwrap())
            .unwrap();
        v.add(
            "many",
            true,
            Access::ByValue,
            array(scalar("bool").unwrap(), 3).unwrap(),
        )
        .unwrap();
        v.add("n", true, Access::ByValue, scalar("u32").unwrap())
            .unwrap();
        v.add("gone", false, Access::ByValue, scalar("u8").unwrap())
            .unwrap();
        let module = layout_meta::ModuleLayout {
            name: "m".into(),
            version: "1.0.0".into(),
            types: vec![src.foreign_type("Flags").unwrap().layout().clone()],
            functions: Vec::new(),
            impls: Vec::new(),
        };
        let placement = bind_view(v.need(), &module).unwrap();
        Arc::new(DynBound::new(src.foreign_type("Flags").unwrap(), &v, &placement).unwrap())
    }

    /// The C API checks a size before it forms a buffer of it: a wrong
    /// size, however large, is an error (it formed the slice first).
    #[test]
    fn sizes_are_checked_before_any_buffer_exists() {
        let b = bound();
        let n = b.token(3).unwrap().unwrap();
        assert!(b.check_size(n, 4, "read").is_ok());
        for wrong in [0, 1, 8, usize::MAX] {
            assert!(b.check_size(n, wrong, "read").is_err(), "{wrong}");
        }
    }

    #[test]
    fn invalid_bits_are_refused_on_write() {
        let b = bound();
        let mut v = DynValue::new(&b).unwrap();
        let on = b.token(0).unwrap().unwrap();
        assert!(matches!(
            v.write(on, &[2]),
            Err(Error::InvalidBits { scalar: "bool", .. })
        ));
        v.write(on, &[1]).unwrap();
        let mut out = [9u8];
        v.read(on, &mut out).unwrap();
        assert_eq!(out, [1]);
        let letter = b.token(1).unwrap().unwrap();
        let surrogate = 0xD800u32.to_ne_bytes();
        assert!(v.write(letter, &surrogate).is_err());
        v.write(letter, &u32::from('é').to_ne_bytes()).unwrap();
        let many = b.token(2).unwrap().unwrap();
        assert!(v.write(many, &[1, 0, 3]).is_err());
        v.write(many, &[1, 0, 1]).unwrap();
        assert!(matches!(
            v.write(b.token(3).unwrap().unwrap(), &[0; 2]),
            Err(Error::FieldSize {
                size: 4,
                found: 2,
                ..
            })
        ));
        assert_eq!(b.token(4).unwrap(), None);
        assert!(b.token(5).is_err());
    }

    #[test]
    fn tokens_of_another_binding_are_refused() {
        let (a, b) = (bound(), bound());
        assert_ne!(a.binding(), b.binding());
        let mut v = DynValue::new(&b).unwrap();
        let on = a.token(0).unwrap().unwrap();
        assert!(matches!(v.write(on, &[1]), Err(Error::WrongBinding { .. })));
        // A forged offset on a real binding and index.
        let mut forged = b.token(3).unwrap().unwrap();
        forged.offset += 1;
        assert!(v.write(forged, &[0; 4]).is_err());
    }

    pub trait Shape {
        fn area(&self) -> f64;
        fn grow(&mut self, by: f64);
    }

    #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
    #[resilient(pod, default)]
    pub struct Square {
        pub side: f64,
    }

    #[layout_meta::export]
    impl Shape for Square {
        fn area(&self) -> f64 {
            self.side * self.side
        }
        fn grow(&mut self, by: f64) {
            self.side += by;
        }
    }

    crate::interface! {
        #[allow(dead_code, reason = "bound to be refused, never called")]
        pub struct ShapeIface = "shapes"::"Shape" {
            pub area: crate::Func<fn(crate::This) -> u32>,
        }
    }

    #[layout_meta::export]
    fn make_square(side: f64) -> Square {
        Square { side }
    }

    #[layout_meta::export]
    fn side_of(s: &Square) -> f64 {
        s.side
    }

    fn shapes() -> InProcess {
        InProcess::new("shapes", "1.0.0")
            .with::<Square>()
            .with_impl::<Square, { layout_meta::name_hash("Shape") }>()
            .with_fn::<make_square>()
            .with_fn::<side_of>()
    }

    fn square_ref() -> ParamLayout {
        ParamLayout {
            name: "ignored".into(),
            pass: pass::REF,
            identity: nested("Square").unwrap(),
        }
    }

    #[test]
    fn a_function_described_as_data_binds_its_types_as_api_does() {
        let src = shapes();
        let square = src.foreign_type("Square").unwrap();
        let fn_of = |name: &str, params: Vec<ParamLayout>, ret: ParamLayout| FunctionLayout {
            name: name.into(),
            abi: layout_meta::function::abi::THUNK_V2,
            flags: 0,
            params,
            ret,
            thunk: 0,
        };
        let owned = ParamLayout {
            name: "return".into(),
            pass: pass::OWNED,
            identity: nested("Square").unwrap(),
        };
        let make = fn_of("make_square", vec![value(pass::VALUE, "f64")], owned);
        let f = DynFunction::bind(&src, "shapes", &make, true)
            .unwrap()
            .unwrap();
        assert_eq!(f.bindings(), [BindingId::DIRECT]);
        assert_eq!(f.result_type().unwrap().id(), square.id());
        let side = fn_of("side_of", vec![square_ref()], value(pass::VALUE, "f64"));
        let f = DynFunction::bind(&src, "shapes", &side, true)
            .unwrap()
            .unwrap();
        assert_eq!(f.bindings(), [square.id()]);
        assert!(f.result_type().is_none());
        // Absent and optional; absent and required; retyped; another module.
        let gone = fn_of("gone", vec![], value(pass::VALUE, "f64"));
        assert!(DynFunction::bind(&src, "shapes", &gone, false)
            .unwrap()
            .is_none());
        let err = DynFunction::bind(&src, "shapes", &gone, true).unwrap_err();
        assert!(err.to_string().contains("`gone`"), "{err}");
        let retyped = fn_of("side_of", vec![square_ref()], value(pass::VALUE, "f32"));
        let err = DynFunction::bind(&src, "shapes", &retyped, true).unwrap_err();
        assert!(err.to_string().contains("f32"), "{err}");
        assert!(matches!(
            DynFunction::bind(&src, "gadgets", &side, true),
            Err(Error::ModuleMismatch { .. })
        ));
    }

    fn value(pass: u32, scalar_name: &str) -> ParamLayout {
        ParamLayout {
            name: "ignored".into(),
            pass,
            identity: scalar(scalar_name).unwrap(),
        }
    }

    fn unit() -> ParamLayout {
        ParamLayout {
            name: "return".into(),
            pass: pass::UNIT,
            identity: Identity::from_record(&<() as FieldType>::IDENTITY),
        }
    }

    #[test]
    fn an_interface_described_as_data_binds_and_calls_methods() {
        let src = shapes();
        let mut i = DynInterface::new("shapes", "Shape").unwrap();
        let area = i
            .add_method("area", pass::REF, vec![], value(pass::VALUE, "f64"), true)
            .unwrap();
        let grow = i
            .add_method(
                "grow",
                pass::MUT,
                vec![value(pass::VALUE, "f64")],
                unit(),
                true,
            )
            .unwrap();
        let perimeter = i
            .add_method(
                "perimeter",
                pass::REF,
                vec![],
                value(pass::VALUE, "f64"),
                false,
            )
            .unwrap();
        assert_eq!((area, grow, perimeter, i.method_count()), (0, 1, 2, 3));
        let impls = i.bind(&src).unwrap();
        assert_eq!(impls.len(), 1);
        let imp = &impls[0];
        assert_eq!((imp.type_name(), imp.interface()), ("Square", "Shape"));
        assert!(imp.method(perimeter).is_none(), "optional, absent");
        assert!(imp.method(7).is_none());
        let ty = src.foreign_type("Square").unwrap().id();
        let (f, bindings) = imp.method(grow).unwrap();
        assert_eq!(bindings, [ty, BindingId::DIRECT]);
        assert_eq!(
            f.layout().to_string(),
            "fn grow(self: &mut Square, by: f64)"
        );
        assert_eq!(imp.values().foreign_type().id(), ty);
        let mut v = DynValue::new(imp.values()).unwrap();
        // SAFETY: bound above: `grow` is `(&mut Square, f64)`, `area` is
        // `(&Square) -> f64`; `v` is a live Square.
        unsafe {
            let grow: unsafe extern "C" fn(*mut u8, f64, *mut (), *mut CallError) -> u32 =
                core::mem::transmute(f.thunk());
            let mut e = CallError::EMPTY;
            assert_eq!(grow(v.as_mut_ptr(), 3.0, core::ptr::null_mut(), &mut e), 0);
            let area: unsafe extern "C" fn(*const u8, *mut (), *mut CallError) -> Ret<f64> =
                core::mem::transmute(imp.method(area).unwrap().0.thunk());
            let r = area(v.as_ptr(), core::ptr::null_mut(), &mut e);
            assert_eq!(r.status, 0);
            assert_eq!(r.assume_ok(), 9.0);
        }
    }

    #[test]
    fn a_retyped_or_missing_method_is_refused_as_the_typed_binder_refuses_it() {
        let src = shapes();
        let mut i = DynInterface::new("shapes", "Shape").unwrap();
        i.add_method("area", pass::REF, vec![], value(pass::VALUE, "u32"), true)
            .unwrap();
        let dynamic = i.bind(&src).unwrap_err().to_string();
        let typed = crate::implementations::<ShapeIface>(&src)
            .unwrap_err()
            .to_string();
        assert_eq!(dynamic, typed);
        assert!(
            dynamic.ends_with(
                ": `Square` as `Shape`: function `area` returns f64, the client expects u32"
            ),
            "{dynamic}"
        );
        let mut i = DynInterface::new("shapes", "Shape").unwrap();
        i.add_method(
            "grow",
            pass::MUT,
            vec![value(pass::VALUE, "f32")],
            unit(),
            true,
        )
        .unwrap();
        i.add_method("spin", pass::REF, vec![], unit(), true)
            .unwrap();
        let err = i.bind(&src).unwrap_err().to_string();
        assert!(
            err.contains("`Square` as `Shape`: function `grow`: parameter 2 (`by`) is f64, the client passes f32; `Square` as `Shape`: function `spin` (fn spin(p0: &Square)) is missing"),
            "{err}"
        );
        let other = DynInterface::new("gadgets", "Shape").unwrap();
        assert!(matches!(
            other.bind(&src),
            Err(Error::ModuleMismatch { .. })
        ));
        // An interface nobody implements: no implementations.
        let none = DynInterface::new("shapes", "Nothing").unwrap();
        assert!(none.bind(&src).unwrap().is_empty());
    }

    #[test]
    fn malformed_methods_are_refused() {
        let mut i = DynInterface::new("shapes", "Shape").unwrap();
        assert!(DynInterface::new("", "Shape").is_err());
        assert!(i.add_method("", pass::REF, vec![], unit(), true).is_err());
        assert!(i
            .add_method("area", pass::VALUE, vec![], unit(), true)
            .is_err());
        assert!(i
            .add_method("area", pass::OPT_REF, vec![], unit(), true)
            .is_err());
        i.add_method("area", pass::REF, vec![], unit(), true)
            .unwrap();
        assert!(i
            .add_method("area", pass::REF, vec![], unit(), true)
            .is_err());
        let many = vec![value(pass::VALUE, "u8"); layout_meta::limits::MAX_PARAMS];
        assert!(i.add_method("wide", pass::REF, many, unit(), true).is_err());
    }

    #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
    #[resilient(pod, default, frozen)]
    #[repr(C)]
    pub struct Inner {
        pub a: i32,
        pub b: i32,
    }

    #[derive(layout_meta::Resilient, Clone, Copy, Default)]
    #[resilient(default)]
    pub struct Outer {
        pub inner: Inner,
        pub w: f32,
    }

    crate::view! {
        pub struct InnerView = "nest"::"Inner" { pub a: crate::Field<i32>, pub b: crate::Field<i32> }
    }
    crate::view! {
        pub struct OuterView = "nest"::"Outer" { pub inner: crate::Nested<InnerView>, pub w: crate::Field<f32> }
    }
    crate::view! {
        pub struct InnerZ = "nest"::"Inner" frozen(1) { pub a: crate::Field<i32>, pub z: crate::Field<i32> }
    }
    crate::view! {
        pub struct OuterZ = "nest"::"Outer" { pub inner: crate::Nested<InnerZ>, pub w: crate::Field<f64> }
    }

    fn nest() -> (InProcess, ModuleLayout) {
        let src = InProcess::new("nest", "1.0.0")
            .with::<Outer>()
            .with::<Inner>();
        let module = ModuleLayout {
            name: "nest".into(),
            version: "1.0.0".into(),
            types: ["Outer", "Inner"]
                .map(|t| src.foreign_type(t).unwrap().layout().clone())
                .into(),
            functions: Vec::new(),
            impls: Vec::new(),
        };
        (src, module)
    }

    fn dyn_view(ty: &str, fields: &[(&str, &str)]) -> DynView {
        let mut v = DynView::new("nest", ty).unwrap();
        for (name, scalar_name) in fields {
            v.add(name, true, Access::ByValue, scalar(scalar_name).unwrap())
                .unwrap();
        }
        v
    }

    #[test]
    fn a_nested_view_binds_and_reaches_the_nested_value() {
        let (src, module) = nest();
        let inner = dyn_view("Inner", &[("a", "i32"), ("b", "i32")]);
        let mut outer = dyn_view("Outer", &[]);
        assert_eq!(outer.add_nested("inner", true, &inner).unwrap(), 0);
        outer
            .add("w", true, Access::ByValue, scalar("f32").unwrap())
            .unwrap();
        let bound = Arc::new(outer.bind(&src, &module).unwrap());
        let typed = crate::Bound::<OuterView>::bind(&src).unwrap();
        let nested = bound.nested(0).unwrap().unwrap();
        assert_eq!(
            nested.foreign_type().id(),
            src.foreign_type("Inner").unwrap().id()
        );
        assert!(bound.nested(1).is_err(), "a by-value field has no view");
        let mut v = DynValue::new(&bound).unwrap();
        let token = bound.token(0).unwrap().unwrap();
        let at = bound.nested_at(v.as_mut_ptr(), token).unwrap();
        assert_eq!(at as usize - v.as_ptr() as usize, typed.inner.offset());
        // SAFETY: `at` is the nested Inner of the live value `v`.
        unsafe { nested.write(at, nested.token(1).unwrap().unwrap(), &7i32.to_ne_bytes()) }
            .unwrap();
        let r = v.as_ptr();
        // SAFETY: `v` is a live Outer (the typed binding's type).
        let typed_b = unsafe { crate::Ref::<OuterView>::from_raw(r, typed.shape()) }
            .nested(typed.inner)
            .get(typed.inner.view().b);
        assert_eq!(typed_b, 7);
        // Tokens of one binding are refused by the other.
        assert!(bound
            .nested_at(v.as_mut_ptr(), nested.token(0).unwrap().unwrap())
            .is_err());
        let w = bound.token(1).unwrap().unwrap();
        assert!(bound.nested_at(v.as_mut_ptr(), w).is_err(), "read by value");
    }

    #[test]
    fn nested_views_are_refused_as_the_typed_binder_refuses_them_in_its_order() {
        let (src, module) = nest();
        let mut inner = dyn_view("Inner", &[("a", "i32"), ("z", "i32")]);
        inner.set_frozen(1);
        let mut outer = dyn_view("Outer", &[]);
        outer.add_nested("inner", true, &inner).unwrap();
        outer
            .add("w", true, Access::ByValue, scalar("f64").unwrap())
            .unwrap();
        let dynamic = outer.bind(&src, &module).unwrap_err().to_string();
        let typed = crate::Bound::<OuterZ>::bind(&src).unwrap_err().to_string();
        assert_eq!(dynamic, typed);
        // The nested view's mismatches in place: before `w`'s.
        let frozen = dynamic
            .find("frozen type `Inner` changed its layout")
            .unwrap();
        let z = dynamic.find("field `Inner.z`").unwrap();
        let w = dynamic.find("field `Outer.w`").unwrap();
        assert!(frozen < z && z < w, "{dynamic}");
        // Without its nested view, the rule alone (compat::bind_view).
        let mut plain = dyn_view("Outer", &[]);
        plain
            .add("inner", true, Access::Nested, nested("Inner").unwrap())
            .unwrap();
        let b = plain.bind(&src, &module).unwrap();
        assert!(b.nested(0).is_err(), "no view of its own");
        assert_eq!(
            compat::bind_view(plain.need(), &module).unwrap(),
            vec![Some(compat::Place::Stored(
                b.token(0).unwrap().unwrap().offset
            ))]
        );
    }

    #[test]
    fn a_nested_view_of_another_module_or_too_deep_is_refused() {
        let mut outer = dyn_view("Outer", &[]);
        let other = DynView::new("elsewhere", "Inner").unwrap();
        assert!(matches!(
            outer.add_nested("inner", true, &other),
            Err(Error::BadView { .. })
        ));
        let mut deep = dyn_view("Inner", &[]);
        for i in 1..MAX_VIEW_DEPTH {
            let mut next = dyn_view("Inner", &[]);
            next.add_nested("inner", true, &deep).unwrap();
            deep = next;
            assert_eq!(deep.depth, i + 1);
        }
        assert!(outer.add_nested("inner", true, &deep).is_err());
    }

    #[test]
    fn a_view_nested_in_itself_stops_at_the_field_bound() {
        // Each step doubles the fields (2f + 1): 2^31 after 31 steps
        // without the bound, which is reached at the 16th step, long
        // before the depth limit.
        let mut v = dyn_view("Inner", &[("a", "u32")]);
        let mut refused = None;
        for i in 0..31 {
            let copy = v.clone();
            if let Err(e) = v.add_nested(&format!("f{i}"), true, &copy) {
                refused = Some((i, e));
                break;
            }
        }
        let (i, e) = refused.expect("refused");
        assert_eq!(i, 15);
        assert_eq!(v.fields, MAX_VIEW_FIELDS - 1);
        assert!(v.depth < MAX_VIEW_DEPTH);
        let Error::BadView { reason } = e else {
            panic!("{e:?}")
        };
        assert!(reason.contains("more than 65536 fields"), "{reason}");
        // A copy shares the nested views instead of copying them.
        let copy = v.clone();
        assert!(Arc::ptr_eq(
            copy.nested[1].as_ref().unwrap(),
            v.nested[1].as_ref().unwrap()
        ));
    }

    /// Found by review: the verdict was reached on the caller's module, and
    /// the binding built on the source's type of that name, whatever its
    /// layout.
    #[test]
    fn a_view_is_built_only_on_the_layout_it_was_checked_against() {
        let src = InProcess::new("m", "1.0.0").with::<Flags>();
        let mut v = DynView::new("m", "Flags").unwrap();
        v.add("n", true, Access::ByValue, scalar("u32").unwrap())
            .unwrap();
        let real = src.foreign_type("Flags").unwrap().layout().clone();
        let mut other = real.clone();
        other.size += 64;
        other.stride += 64;
        let module = |t: layout_meta::TypeLayout| layout_meta::ModuleLayout {
            name: "m".into(),
            version: "1.0.0".into(),
            types: vec![t],
            functions: Vec::new(),
            impls: Vec::new(),
        };
        let err = v.bind(&src, &module(other)).unwrap_err();
        assert!(err.to_string().contains("is not the module's"), "{err}");
        assert!(v.bind(&src, &module(real)).is_ok());
    }

    #[derive(layout_meta::Resilient, Clone, Default)]
    #[resilient(clone, default)]
    pub enum Job {
        #[default]
        Idle,
        Busy(u64),
        Held(Square),
    }

    fn jobs() -> (InProcess, layout_meta::ModuleLayout) {
        let src = InProcess::new("jobs", "1.0.0")
            .with::<Square>()
            .with::<Job>();
        let module = layout_meta::ModuleLayout {
            name: "jobs".into(),
            version: "1.0.0".into(),
            types: ["Square", "Job"]
                .map(|t| src.foreign_type(t).unwrap().layout().clone())
                .to_vec(),
            functions: Vec::new(),
            impls: Vec::new(),
        };
        (src, module)
    }

    /// Found by review: the witness reads each payload as a value of its
    /// type in place, so one given unaligned is copied first.
    #[test]
    fn a_case_is_built_from_a_payload_at_any_alignment() {
        let (src, module) = jobs();
        let mut v = DynView::new_enum("jobs", "Job").unwrap();
        let busy = v.add_case("Busy").unwrap();
        v.add_payload(busy, "0", true, scalar("u64").unwrap())
            .unwrap();
        let b = Arc::new(v.bind(&src, &module).unwrap());
        // Eight bytes at an odd address: one past a `u64`'s start.
        let mut words = [0u64; 2];
        let at = words.as_mut_ptr().cast::<u8>().wrapping_add(1);
        // SAFETY: bytes 1..9 of the 16 bytes of `words`.
        unsafe { core::ptr::copy_nonoverlapping(77u64.to_ne_bytes().as_ptr(), at, 8) };
        let at = at.cast_const();
        assert_eq!(at as usize % 8, 1);
        // SAFETY: `at` is 8 readable bytes (unaligned).
        let value = unsafe { DynValue::new_case(&b, busy, &[at]) }.unwrap();
        assert_eq!(value.case_of().unwrap(), Some(busy));
        let token = b.payload_token(busy, "0", None).unwrap().unwrap();
        let mut out = [0u8; 8];
        value.read(token, &mut out).unwrap();
        assert_eq!(u64::from_ne_bytes(out), 77);
    }

    /// Found by review: `new_enum` is safe and takes any placement, so a
    /// hand-made one could have a resilient payload built from bytes.
    #[test]
    fn a_case_is_never_built_from_bytes_of_a_resilient_payload() {
        let (src, _) = jobs();
        let mut v = DynView::new_enum("jobs", "Job").unwrap();
        let held = v.add_case("Held").unwrap();
        v.add_payload(held, "0", true, scalar("u64").unwrap())
            .unwrap();
        let ty = src.foreign_type("Job").unwrap();
        let b = DynBound::new_enum(ty, &v, &vec![(2, vec![Some(0)])]).unwrap();
        let junk = 0xdead_u64.to_ne_bytes();
        let mut room = vec![0u64; 4];
        // SAFETY: `room` is aligned and large enough; `junk` is 8
        // readable bytes; the case is refused before the witness runs.
        let err = unsafe { b.write_case_at(room.as_mut_ptr().cast(), 32, held, &[junk.as_ptr()]) }
            .unwrap_err();
        assert!(matches!(err, Error::NotByValue { .. }), "{err}");
    }

    #[test]
    fn a_clone_of_a_misaligned_source_is_refused() {
        let b = bound();
        let v = DynValue::new(&b).unwrap();
        let (size, align, _) = b.shape();
        assert!(align > 1);
        let mut room = vec![0u64; size.div_ceil(8)];
        let at = room.as_mut_ptr().cast::<u8>();
        // SAFETY: `room` is aligned and large enough; the source is refused
        // before it is read.
        let err = unsafe { b.clone_at(at, size, v.as_ptr().wrapping_add(1)) }.unwrap_err();
        assert!(err.to_string().contains("not aligned"), "{err}");
        // SAFETY: as above, with a live, aligned source.
        unsafe { b.clone_at(at, size, v.as_ptr()) }.unwrap();
        // SAFETY: made just above, dropped once.
        unsafe { b.drop_at(at) };
    }

    #[test]
    fn room_holds_an_owned_value_once_assumed_initialised() {
        let b = bound();
        let mut room = DynRoom::new(&b).unwrap();
        assert_eq!(
            room.as_mut_ptr() as usize % core::mem::align_of::<Flags>(),
            0
        );
        // SAFETY: a live, plain Flags written into the room.
        let v = unsafe {
            room.as_mut_ptr().cast::<Flags>().write(Flags {
                n: 42,
                ..Flags::default()
            });
            room.assume_init()
        };
        let mut out = [0u8; 4];
        v.read(b.token(3).unwrap().unwrap(), &mut out).unwrap();
        assert_eq!(u32::from_ne_bytes(out), 42);
        // A room never filled is freed holding nothing.
        drop(DynRoom::new(&b).unwrap());
    }

    #[test]
    fn room_is_checked() {
        let b = bound();
        let mut room = [0u64; 8];
        let p = room.as_mut_ptr().cast::<u8>();
        // SAFETY: 64 writable bytes, aligned to 8; the value is dropped below.
        unsafe {
            assert!(b.init_at(p.add(1), 63).is_err());
            assert!(b.init_at(p, 1).is_err());
            b.init_at(p, 64).unwrap();
            b.drop_at(p);
        }
    }

    /// Elements of an exported type are neither read as bytes (their
    /// padding is not initialised) nor replaced by bytes (the library would
    /// clone them as values of its type) through the C API.
    #[test]
    fn elements_of_an_exported_type_are_not_replaced_by_bytes() {
        #[derive(layout_meta::Resilient, Clone, Default)]
        #[resilient(clone, default)]
        pub struct Dot {
            pub x: i32,
        }
        #[derive(layout_meta::Resilient, Default)]
        #[resilient(default)]
        pub struct Dots {
            pub all: Vec<Dot>,
        }
        let src = InProcess::new("m", "1.0.0").with::<Dot>().with::<Dots>();
        let mut v = DynView::new("m", "Dots").unwrap();
        v.add("all", true, Access::Elements, nested("Dot").unwrap())
            .unwrap();
        let module = layout_meta::ModuleLayout {
            name: "m".into(),
            version: "1.0.0".into(),
            types: ["Dot", "Dots"]
                .map(|n| src.foreign_type(n).unwrap().layout().clone())
                .to_vec(),
            functions: Vec::new(),
            impls: Vec::new(),
        };
        let placement = bind_view(v.need(), &module).unwrap();
        let b = DynBound::new(src.foreign_type("Dots").unwrap(), &v, &placement).unwrap();
        let token = b.token(0).unwrap().unwrap();
        let mut dots = Dots {
            all: vec![Dot { x: 3 }],
        };
        let p = core::ptr::from_mut(&mut dots).cast::<u8>();
        // SAFETY: `p` is a live `Dots`, the bound type, used by nobody else.
        let e = unsafe { b.borrow(p, token) }.unwrap_err();
        assert!(e.to_string().contains("not as bytes"), "{e}");
        let bytes = [0u8; 4];
        // SAFETY: as above.
        let e = unsafe { b.replace(p, token, Some(&bytes)) }.unwrap_err();
        assert!(e.to_string().contains("bytes cannot replace them"), "{e}");
        assert_eq!(dots.all[0].x, 3);
    }

    /// Elements of a type with invalid bit patterns (`Vec<bool>`,
    /// `Box<[char]>`: a library's elements field may hold any `Clone` field
    /// type) are replaced by bytes only if every element is valid: the
    /// library takes them as its `bool`s and `char`s.
    #[test]
    fn elements_with_invalid_bit_patterns_are_checked_on_replace() {
        #[derive(layout_meta::Resilient, Default)]
        #[resilient(default)]
        #[resilient(prefix = "bits_")]
        pub struct Flags {
            pub on: Vec<bool>,
            pub letters: Box<[char]>,
        }
        let src = InProcess::new("m", "1.0.0").with::<Flags>();
        let mut v = DynView::new("m", "Flags").unwrap();
        v.add("on", true, Access::Elements, scalar("bool").unwrap())
            .unwrap();
        v.add("letters", true, Access::Elements, scalar("char").unwrap())
            .unwrap();
        let module = layout_meta::ModuleLayout {
            name: "m".into(),
            version: "1.0.0".into(),
            types: vec![src.foreign_type("Flags").unwrap().layout().clone()],
            functions: Vec::new(),
            impls: Vec::new(),
        };
        let placement = bind_view(v.need(), &module).unwrap();
        let b = DynBound::new(src.foreign_type("Flags").unwrap(), &v, &placement).unwrap();
        let (on, letters) = (b.token(0).unwrap().unwrap(), b.token(1).unwrap().unwrap());
        let mut flags = Flags {
            on: vec![true],
            letters: vec!['a'].into(),
        };
        let p = core::ptr::from_mut(&mut flags).cast::<u8>();
        let bad_chars = [u32::from('b'), 0xD800];
        // SAFETY: `p` is a live `Flags`, the bound type, used by nobody else.
        let (e1, e2) = unsafe {
            (
                b.replace(p, on, Some(&[1, 2, 0])).unwrap_err(),
                b.replace(p, letters, Some(bytemuck::cast_slice(&bad_chars)))
                    .unwrap_err(),
            )
        };
        assert!(
            matches!(e1, Error::InvalidBits { scalar: "bool", .. }),
            "{e1}"
        );
        assert!(
            matches!(e2, Error::InvalidBits { scalar: "char", .. }),
            "{e2}"
        );
        assert_eq!(
            (&flags.on[..], &flags.letters[..]),
            (&[true][..], &['a'][..])
        );
        let p = core::ptr::from_mut(&mut flags).cast::<u8>();
        let chars = [u32::from('b'), u32::from('c')];
        // SAFETY: as above.
        unsafe {
            b.replace(p, on, Some(&[0, 1])).unwrap();
            b.replace(p, letters, Some(bytemuck::cast_slice(&chars)))
                .unwrap();
        }
        assert_eq!(
            (&flags.on[..], &flags.letters[..]),
            (&[false, true][..], &['b', 'c'][..])
        );
    }
}
