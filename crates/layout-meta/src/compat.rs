//! The rules of compatibility, each stated once: when a field's type is the
//! type a consumer expects ([`same_identity`]), when a consumer's need of a
//! field is met ([`bind_field`], [`bind_nested`]), when a frozen need is met
//! ([`bind_frozen`], and for a frozen enum view [`bind_frozen_cases`]), when
//! a whole view binds ([`bind_view`]), and when an enum view binds
//! ([`bind_enum_view`]: [`bind_kind`], [`bind_case`], [`bind_field_of`]).
//!
//! Every reader calls these functions and no other copy exists: the run-time
//! binder of `resilient-types` (through its tokens), the dynamic binder
//! behind the C API (and so the C++ client), the offline `resilient check`,
//! and [`crate::diff::breaking_for`], which is tested to reach the same
//! verdict by another road. `docs/FORMAT.md` ("Binding") states the same
//! rules in prose.
//!
//! All functions are pure: validated layouts in, a typed [`Mismatch`] out.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::format::TypeIdentity;
use crate::function::ParamDescriptor;
use crate::layout::{
    AccessorLayout, CaseLayout, FieldLayout, FunctionLayout, Identity, ModuleLayout, ParamLayout,
    TypeLayout,
};
use crate::needs::ViewNeed;

/// How a consumer reaches a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read and written by value (`Field<T>`): the field's type must be
    /// exactly the consumer's, and must contain no resilient type (whose
    /// layout may change without the consumer knowing).
    ByValue,
    /// A nested resilient type reached through a view of its own
    /// (`Nested<V>`): the field is bound by the nested type's name, and the
    /// module's type of that name must be the one the field holds.
    Nested,
    /// Text the library keeps in a type of its own (`String`, `Box<str>`,
    /// `std::string`), borrowed and replaced through its accessors
    /// (`Text`): an accessor of shape `STR`, not optional.
    Text,
    /// As [`Access::Text`], for a field that may hold nothing
    /// (`Option<String>`; `OptText`): an optional `STR` accessor.
    OptionalText,
    /// Elements the library keeps in a type of its own (`Vec<T>`,
    /// `Box<[T]>`, `std::vector<T>`; `Elems<T>`): a `SLICE` accessor whose
    /// element has the expected identity.
    Elements,
}

impl Access {
    /// The code stored in a view record (`docs/FORMAT.md`, "View records").
    pub const fn code(self) -> u32 {
        match self {
            Access::ByValue => 0,
            Access::Nested => 1,
            Access::Text => 2,
            Access::OptionalText => 3,
            Access::Elements => 4,
        }
    }
    /// The access of a view record's code, if known.
    pub const fn from_code(code: u32) -> Option<Access> {
        match code {
            0 => Some(Access::ByValue),
            1 => Some(Access::Nested),
            2 => Some(Access::Text),
            3 => Some(Access::OptionalText),
            4 => Some(Access::Elements),
            _ => None,
        }
    }
}

/// One reason a consumer's view does not bind to a library's type.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mismatch {
    /// The library exports another module than the view is of.
    Module {
        /// The view's module.
        expected: String,
        /// The library's module.
        found: String,
    },
    /// The module has no type of that name.
    MissingType {
        /// The type.
        ty: String,
    },
    /// The type is a struct where an enum is expected, or the reverse.
    Kind {
        /// The type.
        ty: String,
        /// What the view expects (`"a struct"`, `"an enum"`).
        expected: &'static str,
        /// What the type is.
        found: &'static str,
    },
    /// An enum lacks a case the view uses.
    MissingCase {
        /// The enum.
        ty: String,
        /// The case.
        case: String,
        /// The cases it has, the closest names first (at most
        /// [`SUGGESTIONS`]).
        existing: Vec<String>,
    },
    /// A required field is absent.
    MissingField {
        /// The type.
        ty: String,
        /// The field.
        field: String,
        /// The type the view expects it to have.
        expected: String,
        /// The fields the type has, the closest names first (at most
        /// [`SUGGESTIONS`]).
        existing: Vec<String>,
    },
    /// A field has another type than the view expects.
    Retyped {
        /// The type.
        ty: String,
        /// The field.
        field: String,
        /// What the view expects.
        expected: String,
        /// What the library has.
        found: String,
    },
    /// A field holds (or the view expects) a resilient type by value: its
    /// layout may change, so it must be reached through `Nested<View>`.
    NotByValue {
        /// The type.
        ty: String,
        /// The field.
        field: String,
        /// The field's identity in the library.
        found: String,
    },
    /// A nested field names a type the module does not describe.
    NestedMissing {
        /// The outer type.
        ty: String,
        /// The field.
        field: String,
        /// The nested type's name.
        nested: String,
    },
    /// The module's type of a nested field's name is not the type the field
    /// holds (another size or alignment, or from another library).
    NestedMismatch {
        /// The outer type.
        ty: String,
        /// The field.
        field: String,
        /// The nested type's name.
        nested: String,
        /// What is different.
        reason: String,
    },
    /// The view expects a frozen type and the library's is not frozen.
    NotFrozen {
        /// The type.
        ty: String,
    },
    /// A frozen type's layout changed.
    FrozenChanged {
        /// The type.
        ty: String,
        /// Fingerprint the view was written against.
        expected: u64,
        /// Fingerprint in the library.
        found: u64,
    },
    /// A frozen enum has cases a frozen view of it does not name: a frozen
    /// view is matched exhaustively, so it names every case.
    FrozenCasesUnnamed {
        /// The enum.
        ty: String,
        /// The cases the view does not name, in the enum's order (at most
        /// [`SUGGESTIONS`]).
        cases: Vec<String>,
        /// How many it does not name in all.
        count: usize,
    },
    /// A required function is not exported.
    MissingFunction {
        /// The function.
        function: String,
        /// The signature the client expects.
        expected: String,
    },
    /// A function's calling convention is not the one the client calls.
    FunctionAbi {
        /// The function.
        function: String,
        /// The convention the client calls.
        expected: u32,
        /// The library's.
        found: u32,
    },
    /// A function takes another number of parameters.
    FunctionArity {
        /// The function.
        function: String,
        /// The signature the client expects.
        expected: String,
        /// The library's.
        found: String,
    },
    /// A method of an interface implementation does not bind.
    InImpl {
        /// The interface.
        interface: String,
        /// The implementing type.
        ty: String,
        /// Why the method does not bind.
        inner: Box<Mismatch>,
    },
    /// A parameter (or the result) has another type or is passed otherwise.
    ParamRetyped {
        /// The function.
        function: String,
        /// The parameter's position (0-based), `None` for the result.
        index: Option<usize>,
        /// Its name in the library.
        param: String,
        /// What the client passes.
        expected: String,
        /// What the library takes.
        found: String,
    },
    /// A parameter or the result would cross by value, in a slice or in an
    /// owned `Vec` although its type is resilient ([`crossing`]).
    CrossesByValue {
        /// The function.
        function: String,
        /// The parameter's position (0-based), `None` for the result.
        index: Option<usize>,
        /// Its name in the library.
        param: String,
        /// How it is passed, in Rust (`&[P]`).
        passed: String,
        /// Why not ([`crossing`]'s words).
        reason: &'static str,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Module { expected, found } => write!(
                f,
                "the library exports module `{found}`, the view is of module `{expected}`"
            ),
            Mismatch::MissingType { ty } => write!(f, "type `{ty}` is missing"),
            Mismatch::Kind {
                ty,
                expected,
                found,
            } => write!(f, "type `{ty}` is {found}, the view expects {expected}"),
            Mismatch::MissingCase { ty, case, existing } => {
                write!(f, "case `{ty}::{case}` is missing")?;
                if let Some((first, rest)) = existing.split_first() {
                    write!(f, " (`{ty}` has `{first}`")?;
                    for name in rest {
                        write!(f, ", `{name}`")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
            Mismatch::MissingField {
                ty,
                field,
                expected,
                existing,
            } => {
                write!(f, "field `{ty}.{field}` ({expected}) is missing")?;
                if let Some((first, rest)) = existing.split_first() {
                    write!(f, " (`{ty}` has `{first}`")?;
                    for name in rest {
                        write!(f, ", `{name}`")?;
                    }
                    f.write_str(")")?;
                }
                write!(
                    f,
                    "; a view declares `{field}: Option<Field<..>>` if some libraries lack it"
                )
            }
            Mismatch::Retyped {
                ty,
                field,
                expected,
                found,
            } => write!(f, "field `{ty}.{field}` is {found}, the view expects {expected}"),
            Mismatch::NotByValue { ty, field, found } => write!(
                f,
                "field `{ty}.{field}` is {found}: a resilient type is reached through `Nested<View>`, never by value"
            ),
            Mismatch::NestedMissing { ty, field, nested } => write!(
                f,
                "field `{ty}.{field}` nests type `{nested}`, which the library does not describe"
            ),
            Mismatch::NestedMismatch {
                ty,
                field,
                nested,
                reason,
            } => write!(f, "field `{ty}.{field}` nests a `{nested}` {reason}"),
            Mismatch::NotFrozen { ty } => {
                write!(f, "type `{ty}` is not frozen, the view expects it frozen")
            }
            Mismatch::FrozenChanged {
                ty,
                expected,
                found,
            } => write!(
                f,
                "frozen type `{ty}` changed its layout (fingerprint {found:#018x}, the view expects {expected:#018x})"
            ),
            Mismatch::FrozenCasesUnnamed { ty, cases, count } => {
                let names: Vec<String> = cases.iter().map(|c| alloc::format!("`{c}`")).collect();
                let more = count.saturating_sub(cases.len());
                write!(
                    f,
                    "frozen enum `{ty}` has case{} {}{} the view does not name: a frozen view matches exhaustively, so it names every case",
                    if *count == 1 { "" } else { "s" },
                    names.join(", "),
                    if more > 0 { alloc::format!(" and {more} more") } else { String::new() },
                )
            }
            Mismatch::InImpl {
                interface,
                ty,
                inner,
            } => write!(f, "`{ty}` as `{interface}`: {inner}"),
            Mismatch::MissingFunction { function, expected } => {
                write!(f, "function `{function}` ({expected}) is missing")
            }
            Mismatch::FunctionAbi {
                function,
                expected,
                found,
            } => write!(
                f,
                "function `{function}` has calling convention {found}, the client calls convention {expected}"
            ),
            Mismatch::FunctionArity {
                function,
                expected,
                found,
            } => write!(
                f,
                "function `{function}` is `{found}`, the client expects `{expected}`"
            ),
            Mismatch::ParamRetyped {
                function,
                index: Some(i),
                param,
                expected,
                found,
            } => write!(
                f,
                "function `{function}`: parameter {} (`{param}`) is {found}, the client passes {expected}",
                i + 1
            ),
            Mismatch::ParamRetyped {
                function,
                index: None,
                expected,
                found,
                ..
            } => write!(
                f,
                "function `{function}` returns {found}, the client expects {expected}"
            ),
            Mismatch::CrossesByValue {
                function,
                index,
                param,
                passed,
                reason,
            } => {
                match index {
                    Some(i) => write!(f, "function `{function}`: parameter {} (`{param}`)", i + 1)?,
                    None => write!(f, "function `{function}`: the result")?,
                }
                write!(f, " is {passed}: {reason}")
            }
        }
    }
}

impl fmt::Debug for Mismatch {
    /// The same sentence as `Display`: this is what `{:?}` of an error
    /// chain shows a person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Mismatch {}

/// The one identity rule: whether a field of identity `found` has the type
/// a consumer that expects `expected` reads and writes.
///
/// Scalars and opaque types: same kind, name, size and alignment. Arrays:
/// same count, size and alignment, and elements that satisfy this rule.
/// Resilient types: the same name (their layout is bound on its own, by
/// [`bind_nested`]; size and alignment are the library's).
///
/// Unsafe code may rely on it: where it holds for a by-value field (no
/// resilient type inside, see [`contains_resilient`]), the two identities
/// have the same size, alignment and valid bit patterns (the
/// [`crate::FieldType`] contract).
pub fn same_identity(expected: &Identity, found: &Identity) -> bool {
    same_identity_of(expected, found)
}

/// What the identity rule reads of an identity: the owned form a library's
/// record decodes to ([`Identity`]) and a program's static record
/// ([`TypeIdentity`]) both answer it, so that a host compares its static
/// records with a library's without building owned identities, by the one
/// rule ([`same_identity_of`]).
pub trait IdentityFacts {
    /// The [`crate::kind`] code, as [`Identity::from_record`] decodes it (an
    /// array without an element, or an unknown kind, is opaque).
    fn kind_code(&self) -> u32;
    /// The name (empty for arrays).
    fn name(&self) -> &str;
    /// Size in bytes.
    fn size(&self) -> usize;
    /// Alignment.
    fn align(&self) -> usize;
    /// Array length (0 for other kinds).
    fn count(&self) -> usize;
    /// An array's element.
    fn element(&self) -> Option<&Self>;
}

impl IdentityFacts for Identity {
    fn kind_code(&self) -> u32 {
        Identity::kind_code(self)
    }
    fn name(&self) -> &str {
        Identity::name(self)
    }
    fn size(&self) -> usize {
        Identity::size(self)
    }
    fn align(&self) -> usize {
        Identity::align(self)
    }
    fn count(&self) -> usize {
        Identity::count(self)
    }
    fn element(&self) -> Option<&Identity> {
        Identity::element(self)
    }
}

impl IdentityFacts for TypeIdentity {
    fn kind_code(&self) -> u32 {
        use crate::format::kind;
        match (TypeIdentity::kind(self), TypeIdentity::element(self)) {
            (kind::ARRAY, Some(_)) => kind::ARRAY,
            (kind::ARRAY, None) => kind::OPAQUE,
            (k @ (kind::SCALAR | kind::RESILIENT), _) => k,
            _ => kind::OPAQUE,
        }
    }
    fn name(&self) -> &str {
        TypeIdentity::name(self)
    }
    fn size(&self) -> usize {
        TypeIdentity::size(self)
    }
    fn align(&self) -> usize {
        TypeIdentity::align(self)
    }
    fn count(&self) -> usize {
        TypeIdentity::count(self)
    }
    fn element(&self) -> Option<&TypeIdentity> {
        TypeIdentity::element(self)
    }
}

/// [`same_identity`] over any two forms of identity ([`IdentityFacts`]):
/// the rule itself, stated once.
pub fn same_identity_of<A, B>(expected: &A, found: &B) -> bool
where
    A: IdentityFacts + ?Sized,
    B: IdentityFacts + ?Sized,
{
    use crate::format::kind;
    match (expected.kind_code(), found.kind_code()) {
        (kind::RESILIENT, kind::RESILIENT) => crate::str_eq(expected.name(), found.name()),
        (kind::ARRAY, kind::ARRAY) => {
            expected.count() == found.count()
                && expected.size() == found.size()
                && expected.align() == found.align()
                && match (expected.element(), found.element()) {
                    (Some(a), Some(b)) => same_identity_of(a, b),
                    _ => false,
                }
        }
        (kind::SCALAR, kind::SCALAR) | (kind::OPAQUE, kind::OPAQUE) => same_leaf(
            (expected.name(), expected.size(), expected.align()),
            (found.name(), found.size(), found.align()),
        ),
        _ => false,
    }
}

/// The identity rule for a scalar or opaque type (and, with the counts, an
/// array's own facts), as `(name, size, align)`: all three equal. A `const
/// fn`, so that the compile-time checks (`TypeIdentity::same_as`, behind
/// direct views) apply this same rule.
pub const fn same_leaf(a: (&str, usize, usize), b: (&str, usize, usize)) -> bool {
    crate::str_eq(a.0, b.0) && a.1 == b.1 && a.2 == b.2
}

/// The nested rule's facts, as `(name, size, align)`: the module's type
/// `listed` is the type a nested field holding `held` holds. A `const fn`,
/// so that `export_module!`'s compile-time check applies this same rule
/// (and the validator and the binder through [`nested_matches`]).
pub const fn nested_facts_match(held: (&str, usize, usize), listed: (&str, usize, usize)) -> bool {
    same_leaf(held, listed)
}

/// Whether `id` is or holds (as an array element, at any depth) a resilient
/// type: such a field is never read or written by value.
pub fn contains_resilient(id: &Identity) -> bool {
    match id {
        Identity::Resilient { .. } => true,
        Identity::Array { element, .. } => contains_resilient(element),
        _ => false,
    }
}

/// The by-value crossing rule: a parameter or result passed by value, in a
/// slice or in an owned slice is copied as the bytes of its identity, so
/// its identity holds no resilient type (whose layout may change without
/// the other side knowing; two versions of one name may differ in size).
/// The validator applies it to a library's records, and binding a function
/// to the records of a module nobody validated (one compiled into this
/// program). `Err` says why not.
///
/// # Errors
///
/// The reason, for a resilient identity passed so.
pub fn crossing(pass: u32, id: &Identity) -> Result<(), &'static str> {
    use crate::function::pass;
    match pass {
        pass::VALUE | pass::SLICE | pass::OWNED_SLICE if contains_resilient(id) => Err(
            "a resilient type never crosses by value or in a slice (its layout may change under its name)",
        ),
        _ => Ok(()),
    }
}

/// Whether module names `a` and `b` name the same module (byte for byte;
/// `const`, so that a view's declaration is checked at compile time).
pub const fn same_module(a: &str, b: &str) -> bool {
    crate::str_eq(a, b)
}

/// The nested module rule: a view nested in another (a struct view's
/// nested field, the elements of a `Vec` of an exported type) or read from
/// a function's owned result describes a type of the outer type's (the
/// function's) library, so it names the outer view's (the API's) module.
/// `check` verifies each view of the library's module and skips the
/// others, so a nested view of another module would be bound at run time
/// and never checked offline: it is refused where the view is declared
/// (at compile time by `view!`, `api!` and `interface!`; at
/// `rsl_view_add_nested` in the C API).
pub const fn nested_view_in_module(outer: &str, nested: &str) -> bool {
    same_module(outer, nested)
}

/// The module rule: a view of module `expected` binds only to a library
/// that exports a module of that name.
///
/// # Errors
///
/// [`Mismatch::Module`].
pub fn bind_module(expected: &str, found: &str) -> Result<(), Mismatch> {
    if same_module(expected, found) {
        Ok(())
    } else {
        Err(Mismatch::Module {
            expected: expected.into(),
            found: found.into(),
        })
    }
}

/// The frozen rule: a view that expects type `ty` frozen with fingerprint
/// `frozen` binds only if it is frozen with exactly that fingerprint.
///
/// # Errors
///
/// [`Mismatch::NotFrozen`] or [`Mismatch::FrozenChanged`].
pub fn bind_frozen(ty: &TypeLayout, frozen: Option<u64>) -> Result<(), Mismatch> {
    let Some(fp) = frozen else { return Ok(()) };
    if !ty.is_frozen() {
        Err(Mismatch::NotFrozen {
            ty: ty.name.clone(),
        })
    } else if ty.fingerprint != fp {
        Err(Mismatch::FrozenChanged {
            ty: ty.name.clone(),
            expected: fp,
            found: ty.fingerprint,
        })
    } else {
        Ok(())
    }
}

/// The frozen enum view rule, after [`bind_frozen`]: a view that expects
/// the enum `ty` frozen (`frozen` is `Some`) is matched exhaustively, so it
/// names every case of the library's enum (`named`: the cases the view
/// names). Nothing is asked of a view that does not expect it frozen, or of
/// a type that is not a frozen enum with that fingerprint (which
/// [`bind_frozen`] refuses).
///
/// # Errors
///
/// [`Mismatch::FrozenCasesUnnamed`], listing the cases the view lacks.
pub fn bind_frozen_cases<'n>(
    ty: &TypeLayout,
    frozen: Option<u64>,
    named: impl Iterator<Item = &'n str>,
) -> Result<(), Mismatch> {
    let Some(e) = &ty.enum_info else {
        return Ok(());
    };
    if frozen.is_none() || bind_frozen(ty, frozen).is_err() {
        return Ok(());
    }
    let named: alloc::collections::BTreeSet<&str> = named.collect();
    let mut count = 0;
    let mut cases = Vec::new();
    for c in &e.cases {
        if named.contains(c.name.as_str()) {
            continue;
        }
        count += 1;
        if cases.len() < SUGGESTIONS {
            cases.push(c.name.clone());
        }
    }
    if count == 0 {
        Ok(())
    } else {
        Err(Mismatch::FrozenCasesUnnamed {
            ty: ty.name.clone(),
            cases,
            count,
        })
    }
}

/// What a consumer asks of one field.
#[derive(Clone, Copy, Debug)]
pub struct FieldQuery<'a> {
    /// The field's name.
    pub name: &'a str,
    /// Whether binding fails without it.
    pub required: bool,
    /// The identity the consumer expects.
    pub identity: &'a Identity,
    /// How the consumer reaches it.
    pub access: Access,
}

/// Most field names a [`Mismatch::MissingField`] lists.
pub const SUGGESTIONS: usize = 6;

/// Up to [`SUGGESTIONS`] of `names`, the closest to `name` first (edit
/// distance, ties by name: the text does not depend on the library's
/// layout order): what a missing field's message suggests.
pub fn closest_first<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    // The first 4,096 names: a bound on the work a hostile type makes.
    let mut scored: Vec<(usize, &str)> = names
        .take(4096)
        .map(|n| (edit_distance(name, n), n))
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, n)| n.into())
        .collect()
}

/// Levenshtein distance over `char`s, bounded in cost: names past 64
/// characters compare by their first 64 (the limit keeps a hostile
/// library's long names from costing more than a few thousand steps).
fn edit_distance(a: &str, b: &str) -> usize {
    const CAP: usize = 64;
    let a: Vec<char> = a.chars().take(CAP).collect();
    let b: Vec<char> = b.chars().take(CAP).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The field rule: whether type `ty`'s field `found` (looked up by
/// `want.name`, `None` if absent) meets `want`. On success returns the
/// field to use (`None`: an optional field that is absent).
///
/// A by-value field must have exactly the expected identity
/// ([`same_identity`]) and contain no resilient type. A nested field must
/// be a resilient field of the expected type's name; the caller then checks
/// the nested type itself with [`bind_nested`].
///
/// # Errors
///
/// [`Mismatch::MissingField`], [`Mismatch::Retyped`],
/// [`Mismatch::NotByValue`].
pub fn bind_field<'a>(
    ty: &TypeLayout,
    want: FieldQuery<'_>,
    found: Option<&'a FieldLayout>,
) -> Result<Option<&'a FieldLayout>, Mismatch> {
    bind_field_of(&ty.name, &ty.fields, want, found)
}

/// [`bind_field`] for the fields `fields` of `owner` (a type, or an enum's
/// case `Enum::Case`, whose payload fields bind as a struct's).
///
/// # Errors
///
/// As [`bind_field`].
pub fn bind_field_of<'a>(
    owner: &str,
    fields: &[FieldLayout],
    want: FieldQuery<'_>,
    found: Option<&'a FieldLayout>,
) -> Result<Option<&'a FieldLayout>, Mismatch> {
    let Some(f) = found else {
        return if want.required {
            Err(Mismatch::MissingField {
                ty: owner.into(),
                field: want.name.into(),
                expected: want.identity.to_string(),
                existing: closest_first(want.name, fields.iter().map(|f| f.name.as_str())),
            })
        } else {
            Ok(None)
        };
    };
    let by_value = want.access == Access::ByValue;
    if by_value && (contains_resilient(want.identity) || contains_resilient(&f.identity)) {
        return Err(Mismatch::NotByValue {
            ty: owner.into(),
            field: want.name.into(),
            found: f.identity.to_string(),
        });
    }
    let nested_ok = by_value || matches!(want.identity, Identity::Resilient { .. });
    if !nested_ok || !same_identity(want.identity, &f.identity) {
        return Err(Mismatch::Retyped {
            ty: owner.into(),
            field: want.name.into(),
            expected: want.identity.to_string(),
            found: f.identity.to_string(),
        });
    }
    Ok(Some(f))
}

/// Where a bound field of a struct is: at an offset, or behind the library's
/// accessors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A stored field at this byte offset: read and written in place.
    Stored(usize),
    /// A computed field (shape `VALUE`): the type's accessor of this index
    /// (in [`TypeLayout::accessors`]), read and written by one call each.
    Computed(usize),
    /// An accessor field (shape `STR` or `SLICE`): the type's accessor of
    /// this index, borrowed and replaced through the library.
    Accessor(usize),
}

/// What the library's `STR`/`SLICE` accessor `a` is, as the view's text
/// names it.
fn accessor_text(a: &AccessorLayout) -> String {
    a.to_string()
}

/// What a view with `access` expects, as a message names it.
fn expected_text(access: Access, identity: &Identity) -> String {
    match access {
        Access::ByValue | Access::Nested => identity.to_string(),
        Access::Text => "String".into(),
        Access::OptionalText => "Option<String>".into(),
        Access::Elements => alloc::format!("Vec<{identity}>"),
    }
}

/// The stored-or-computed rule: whether a by-value view of a field of
/// `identity` (`Field<T>`) binds computed field `a` (shape `VALUE`, of the
/// same identity, holding no resilient type). What lets a library turn a
/// stored field into a computed one, or back: [`bind_member`] binds by it,
/// and `diff` calls such a change compatible by it.
pub fn binds_computed(identity: &Identity, a: &AccessorLayout) -> bool {
    a.shape == crate::accessor::shape::VALUE
        && !contains_resilient(identity)
        && !contains_resilient(&a.identity)
        && same_identity(identity, &a.identity)
}

/// The member rule: whether type `ty` meets `want` through its stored field
/// `stored` or its accessor `accessor` (each looked up by `want.name`;
/// `None` if absent: a name is never both). On success returns where the
/// field is (`None`: an optional field that is absent).
///
/// - A by-value view (`Field<T>`) binds a stored field by [`bind_field`],
///   or a computed field (shape `VALUE`) of the same identity: a library
///   may turn a stored field into a computed one, or back, and the view
///   binds either. It never binds a text or elements accessor (a `String`
///   has no value a host could hold): that is [`Mismatch::Retyped`].
/// - A nested view binds a stored field only.
/// - A text view binds a `STR` accessor whose optionality is the view's; an
///   elements view a `SLICE` accessor whose element has the view's identity
///   ([`same_identity`]).
///
/// # Errors
///
/// [`Mismatch::MissingField`] (suggesting stored and accessor names),
/// [`Mismatch::Retyped`], [`Mismatch::NotByValue`].
pub fn bind_member(
    ty: &TypeLayout,
    want: FieldQuery<'_>,
    stored: Option<&FieldLayout>,
    accessor: Option<(usize, &AccessorLayout)>,
) -> Result<Option<Place>, Mismatch> {
    use crate::accessor::shape;
    let retyped = |found: String| Mismatch::Retyped {
        ty: ty.name.clone(),
        field: want.name.into(),
        expected: expected_text(want.access, want.identity),
        found,
    };
    match (want.access, stored, accessor) {
        (_, None, None) => {
            if want.required {
                Err(Mismatch::MissingField {
                    ty: ty.name.clone(),
                    field: want.name.into(),
                    expected: expected_text(want.access, want.identity),
                    existing: closest_first(
                        want.name,
                        ty.fields
                            .iter()
                            .map(|f| f.name.as_str())
                            .chain(ty.accessors.iter().map(|a| a.name.as_str())),
                    ),
                })
            } else {
                Ok(None)
            }
        }
        (Access::ByValue | Access::Nested, Some(f), _) => {
            bind_field(ty, want, Some(f)).map(|f| f.map(|f| Place::Stored(f.offset)))
        }
        (Access::ByValue, None, Some((i, a))) if a.shape == shape::VALUE => {
            if contains_resilient(want.identity) || contains_resilient(&a.identity) {
                return Err(Mismatch::NotByValue {
                    ty: ty.name.clone(),
                    field: want.name.into(),
                    found: a.identity.to_string(),
                });
            }
            if binds_computed(want.identity, a) {
                Ok(Some(Place::Computed(i)))
            } else {
                Err(retyped(a.identity.to_string()))
            }
        }
        (Access::Text | Access::OptionalText, None, Some((i, a))) => {
            let optional = want.access == Access::OptionalText;
            if a.shape == shape::STR && a.is_optional() == optional {
                Ok(Some(Place::Accessor(i)))
            } else {
                Err(retyped(accessor_text(a)))
            }
        }
        (Access::Elements, None, Some((i, a))) => {
            // Plain elements of the same identity, or elements of one
            // exported type (by name, as a nested field: its layout is then
            // bound on its own, by the element view, with `bind_nested`).
            let plain = !contains_resilient(want.identity) && !contains_resilient(&a.identity);
            let exported = matches!(
                (want.identity, &a.identity),
                (Identity::Resilient { .. }, Identity::Resilient { .. })
            );
            if a.shape == shape::SLICE
                && !a.is_optional()
                && (plain || exported)
                && same_identity(want.identity, &a.identity)
            {
                Ok(Some(Place::Accessor(i)))
            } else {
                Err(retyped(accessor_text(a)))
            }
        }
        (_, Some(f), _) => Err(retyped(f.identity.to_string())),
        (_, None, Some((_, a))) => Err(retyped(accessor_text(a))),
    }
}

/// The kind rule: a struct view binds a struct, an enum view an enum.
///
/// # Errors
///
/// [`Mismatch::Kind`] naming both.
pub fn bind_kind(ty: &TypeLayout, want_enum: bool) -> Result<(), Mismatch> {
    let kind = |e: bool| if e { "an enum" } else { "a struct" };
    if ty.is_enum() == want_enum {
        Ok(())
    } else {
        Err(Mismatch::Kind {
            ty: ty.name.clone(),
            expected: kind(want_enum),
            found: kind(ty.is_enum()),
        })
    }
}

/// The case rule: the enum `ty` has a case called `name` (found by name:
/// tags are the library's own and may change). Returns its index and
/// record; its payload fields then bind with [`bind_field_of`], as
/// `Enum::Case`.
///
/// # Errors
///
/// [`Mismatch::Kind`] if `ty` is not an enum; [`Mismatch::MissingCase`]
/// listing the cases it has, the closest names first.
pub fn bind_case<'a>(ty: &'a TypeLayout, name: &str) -> Result<(usize, &'a CaseLayout), Mismatch> {
    bind_kind(ty, true)?;
    let Some(e) = &ty.enum_info else {
        return Err(Mismatch::MissingType {
            ty: ty.name.clone(),
        });
    };
    e.case(name).ok_or_else(|| Mismatch::MissingCase {
        ty: ty.name.clone(),
        case: name.into(),
        existing: closest_first(name, e.cases.iter().map(|c| c.name.as_str())),
    })
}

/// The nested rule: a nested resilient field `field` of type `ty` is bound
/// through the module's type of the nested name, `inner` (`None` if the
/// module has none), which must have the size and alignment the field
/// holds; and the field must be aligned for it in every value of `ty` (its
/// offset a multiple of the nested type's alignment, `ty`'s alignment at
/// least that), since a view of the nested type reaches its value in place
/// and may hand it to the library's code as a reference. A nested field of
/// a packed type is not, and cannot be viewed (a packed type's scalar
/// fields can: they are read unaligned).
///
/// # Errors
///
/// [`Mismatch::NestedMissing`], [`Mismatch::NestedMismatch`].
pub fn bind_nested(
    ty: &TypeLayout,
    field: &FieldLayout,
    inner: Option<&TypeLayout>,
) -> Result<(), Mismatch> {
    bind_nested_type(ty, field, inner)?;
    let align = field.identity.align();
    if !nested_aligned(ty, field) {
        return Err(Mismatch::NestedMismatch {
            ty: ty.name.clone(),
            field: field.name.clone(),
            nested: field.identity.name().into(),
            reason: alloc::format!(
                "at offset {} of a type aligned to {}, where it needs alignment {align} (a packed field): a view of its type would reach it misaligned",
                field.offset, ty.align
            ),
        });
    }
    Ok(())
}

/// [`bind_nested`]'s placement half: whether nested field `field` of `ty` is
/// aligned for the type it holds in every value of `ty` (its offset a
/// multiple of that type's alignment, `ty`'s alignment at least that).
/// `resilient diff` asks it too: a field that stops being so breaks every
/// view that reaches it.
pub fn nested_aligned(ty: &TypeLayout, field: &FieldLayout) -> bool {
    field.is_aligned() && ty.align >= field.identity.align()
}

/// [`bind_nested`]'s type half: `inner` is the type `field` holds.
fn bind_nested_type(
    ty: &TypeLayout,
    field: &FieldLayout,
    inner: Option<&TypeLayout>,
) -> Result<(), Mismatch> {
    let nested = field.identity.name();
    let Some(inner) = inner else {
        return Err(Mismatch::NestedMissing {
            ty: ty.name.clone(),
            field: field.name.clone(),
            nested: nested.into(),
        });
    };
    let (size, align) = (field.identity.size(), field.identity.align());
    if !nested_matches(&field.identity, inner) {
        return Err(Mismatch::NestedMismatch {
            ty: ty.name.clone(),
            field: field.name.clone(),
            nested: nested.into(),
            reason: alloc::format!(
                "of {size} bytes (align {align}), the library's `{}` has {} bytes (align {})",
                inner.name,
                inner.size,
                inner.align
            ),
        });
    }
    Ok(())
}

/// The elements rule: an elements field `a` of type `ty` whose element is an
/// exported type (`Vec<Widget>`) is bound through the module's type of that
/// name, `inner`, by the nested rule's type half ([`bind_nested`]: the
/// elements lie in the library's buffer, whose alignment is checked when
/// they are borrowed, not in `ty`), and that type's stride must be its
/// size (a `Vec`'s elements are `size_of` apart: a host steps through them
/// by the bound type's stride).
///
/// # Errors
///
/// As [`bind_nested`]; [`Mismatch::NestedMismatch`] for another stride.
pub fn bind_elements(
    ty: &TypeLayout,
    a: &AccessorLayout,
    inner: Option<&TypeLayout>,
) -> Result<(), Mismatch> {
    let field = a.as_element_field();
    bind_nested_type(ty, &field, inner)?;
    match inner {
        Some(inner) if inner.stride != inner.size => Err(Mismatch::NestedMismatch {
            ty: ty.name.clone(),
            field: a.name.clone(),
            nested: inner.name.clone(),
            reason: alloc::format!(
                "as elements {} bytes apart, the library's `{}` has a stride of {}",
                inner.size,
                inner.name,
                inner.stride
            ),
        }),
        _ => Ok(()),
    }
}

/// Whether `inner` is the type a nested resilient identity `id` holds: the
/// same name, size and alignment. The validator requires it of every type a
/// module lists under a nested name; [`bind_nested`] of the type it binds.
pub fn nested_matches(id: &Identity, inner: &TypeLayout) -> bool {
    matches!(id, Identity::Resilient { .. })
        && nested_facts_match(
            (id.name(), id.size(), id.align()),
            (&inner.name, inner.size, inner.align),
        )
}

/// The function rule: whether the module's function of `want`'s name
/// (`found`, `None` if absent) can be called as `want` says: the same
/// calling convention, the same number of parameters, and each parameter
/// and the result passed the same way with the same identity (by
/// [`same_identity`]). Parameter names and the fallible flag do not matter
/// (every call can fail: a panic is caught). On success returns the
/// function (`None`: an optional function that is absent).
///
/// # Errors
///
/// [`Mismatch::MissingFunction`], [`Mismatch::FunctionAbi`],
/// [`Mismatch::FunctionArity`], [`Mismatch::ParamRetyped`] (the first
/// parameter that differs, or the result).
pub fn bind_function<'a>(
    want: &FunctionLayout,
    required: bool,
    found: Option<&'a FunctionLayout>,
) -> Result<Option<&'a FunctionLayout>, Mismatch> {
    bind_expected(&Expected::of(want), required, found)
}

/// What a parameter (or result) the function rule expects says: how it
/// crosses and its identity. An owned [`ParamLayout`] and a program's
/// static [`ParamDescriptor`] both answer it.
pub trait ExpectedParam {
    /// The form of its identity.
    type Identity: IdentityFacts + ?Sized;
    /// How it crosses ([`crate::function::pass`]).
    fn pass(&self) -> u32;
    /// Its type.
    fn identity(&self) -> &Self::Identity;
    /// The owned form (only for a mismatch's message).
    fn to_param_layout(&self) -> ParamLayout;
}

impl ExpectedParam for ParamLayout {
    type Identity = Identity;
    fn pass(&self) -> u32 {
        self.pass
    }
    fn identity(&self) -> &Identity {
        &self.identity
    }
    fn to_param_layout(&self) -> ParamLayout {
        self.clone()
    }
}

impl ExpectedParam for ParamDescriptor {
    type Identity = TypeIdentity;
    fn pass(&self) -> u32 {
        ParamDescriptor::pass(self)
    }
    fn identity(&self) -> &TypeIdentity {
        ParamDescriptor::identity(self)
    }
    fn to_param_layout(&self) -> ParamLayout {
        ParamLayout {
            name: self.name().into(),
            pass: ParamDescriptor::pass(self),
            identity: Identity::from_record(ParamDescriptor::identity(self)),
        }
    }
}

/// A function as the side that calls it expects it, borrowed: from an owned
/// [`FunctionLayout`] ([`Expected::of`]) or from a program's static
/// parameter records, without building owned layouts. What
/// [`bind_expected`] compares with the library's record.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a, P> {
    /// The function's name.
    pub name: &'a str,
    /// Its calling convention ([`crate::function::abi`]).
    pub abi: u32,
    /// Its parameters, in order.
    pub params: &'a [P],
    /// Its result.
    pub ret: &'a P,
    /// A method's receiver: the first parameter, if it is of a resilient
    /// type, is of this type (the implementing type, whatever the
    /// parameter's identity names).
    pub receiver: Option<&'a str>,
}

impl<'a> Expected<'a, ParamLayout> {
    /// The function `want` expects.
    pub fn of(want: &'a FunctionLayout) -> Self {
        Expected {
            name: &want.name,
            abi: want.abi,
            params: &want.params,
            ret: &want.ret,
            receiver: None,
        }
    }
}

impl<P: ExpectedParam> Expected<'_, P> {
    /// The owned form (only for a mismatch's message): the receiver's type
    /// renamed as the rule reads it.
    pub fn to_layout(&self) -> FunctionLayout {
        let mut params: Vec<ParamLayout> = self.params.iter().map(P::to_param_layout).collect();
        if let (Some(ty), Some(Identity::Resilient { name, .. })) =
            (self.receiver, params.first_mut().map(|p| &mut p.identity))
        {
            *name = ty.into();
        }
        FunctionLayout {
            name: self.name.into(),
            abi: self.abi,
            flags: 0,
            params,
            ret: self.ret.to_param_layout(),
            thunk: 0,
        }
    }
}

/// A method's receiver as the identity rule reads it: the resilient type
/// of this name (the implementing type's; size and alignment are the
/// library's, not compared).
struct Receiver<'a>(&'a str);

impl IdentityFacts for Receiver<'_> {
    fn kind_code(&self) -> u32 {
        crate::format::kind::RESILIENT
    }
    fn name(&self) -> &str {
        self.0
    }
    fn size(&self) -> usize {
        0
    }
    fn align(&self) -> usize {
        0
    }
    fn count(&self) -> usize {
        0
    }
    fn element(&self) -> Option<&Self> {
        None
    }
}

/// [`bind_function`] for a function expected in any form ([`Expected`]):
/// the rule itself, stated once.
///
/// # Errors
///
/// As [`bind_function`].
pub fn bind_expected<'a, P: ExpectedParam>(
    want: &Expected<'_, P>,
    required: bool,
    found: Option<&'a FunctionLayout>,
) -> Result<Option<&'a FunctionLayout>, Mismatch> {
    let Some(f) = found else {
        return if required {
            Err(Mismatch::MissingFunction {
                function: want.name.into(),
                expected: want.to_layout().to_string(),
            })
        } else {
            Ok(None)
        };
    };
    if f.abi != want.abi {
        return Err(Mismatch::FunctionAbi {
            function: f.name.clone(),
            expected: want.abi,
            found: f.abi,
        });
    }
    if f.params.len() != want.params.len() {
        return Err(Mismatch::FunctionArity {
            function: f.name.clone(),
            expected: want.to_layout().to_string(),
            found: f.to_string(),
        });
    }
    // Parameter `index` (`None`: the result): passed the same way, of the
    // same identity (a method's receiver: of the implementing type).
    let same = |index: Option<usize>, w: &P, g: &ParamLayout| {
        let id = w.identity();
        w.pass() == g.pass
            && match (index, want.receiver) {
                (Some(0), Some(ty)) if id.kind_code() == crate::format::kind::RESILIENT => {
                    same_identity_of(&Receiver(ty), &g.identity)
                }
                _ => same_identity_of(id, &g.identity),
            }
    };
    // The library's side of each crossing (the host's is the same where
    // the identities agree): a record of a module compiled into this
    // program was never validated.
    let params = f.params.iter().enumerate().map(|(i, g)| (Some(i), g));
    for (index, g) in params.chain(core::iter::once((None, &f.ret))) {
        if let Err(reason) = crossing(g.pass, &g.identity) {
            return Err(Mismatch::CrossesByValue {
                function: f.name.clone(),
                index,
                param: g.name.clone(),
                passed: g.to_string(),
                reason,
            });
        }
    }
    let params = want.params.iter().zip(&f.params).map(Some);
    for (i, pair) in params.chain(core::iter::once(None)).enumerate() {
        let (index, (w, g)) = match pair {
            Some(pair) => (Some(i), pair),
            None => (None, (want.ret, &f.ret)),
        };
        if !same(index, w, g) {
            let expected = match index {
                Some(i) => want.to_layout().params.swap_remove(i),
                None => w.to_param_layout(),
            };
            return Err(Mismatch::ParamRetyped {
                function: f.name.clone(),
                index,
                param: g.name.clone(),
                expected: expected.to_string(),
                found: g.to_string(),
            });
        }
    }
    Ok(Some(f))
}

/// Where each field of a bound view is: one entry per field of the need,
/// in order; `None` for an optional field the library lacks.
pub type Placement = Vec<Option<Place>>;

/// The view rule: whether `module` satisfies `need` (module, type, frozen,
/// every field, nested types), and if so where each field is. Every
/// mismatch is reported at once, in the need's field order.
///
/// This is [`bind_module`], [`bind_frozen`], [`bind_field`] and
/// [`bind_nested`] composed; the run-time binder composes the same calls.
/// Nested types' own fields are bound by their own views.
///
/// # Errors
///
/// Every [`Mismatch`] found.
pub fn bind_view(need: &ViewNeed, module: &ModuleLayout) -> Result<Placement, Vec<Mismatch>> {
    bind_view_nested(need, module, &mut |_, _, _| {})
}

/// [`bind_view`], for a binder that also binds a view of each nested type
/// (the typed binder's `Nested<V>`, the C API's `rsl_view_add_nested`):
/// after [`bind_nested`] accepts the module's type for nested field
/// `need.fields[i]`, `inner(i, nested_type, mismatches)` runs, and pushes
/// the nested view's mismatches in place, right after the field's own, as
/// the typed binder reports them. The verdict is [`bind_view`]'s with the
/// nested views' mismatches added: no other rule applies.
///
/// # Errors
///
/// Every [`Mismatch`] found, the nested views' included.
pub fn bind_view_nested(
    need: &ViewNeed,
    module: &ModuleLayout,
    inner: &mut dyn FnMut(usize, &TypeLayout, &mut Vec<Mismatch>),
) -> Result<Placement, Vec<Mismatch>> {
    bind_module(&need.module, &module.name).map_err(|m| alloc::vec![m])?;
    let Some(ty) = module.get(&need.type_name) else {
        return Err(alloc::vec![Mismatch::MissingType {
            ty: need.type_name.clone(),
        }]);
    };
    bind_kind(ty, false).map_err(|m| alloc::vec![m])?;
    let mut mismatches = Vec::new();
    if let Err(m) = bind_frozen(ty, need.frozen) {
        mismatches.push(m);
    }
    let by_name: alloc::collections::BTreeMap<&str, &FieldLayout> =
        ty.fields.iter().map(|f| (f.name.as_str(), f)).collect();
    let accessors: alloc::collections::BTreeMap<&str, (usize, &AccessorLayout)> = ty
        .accessors
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), (i, a)))
        .collect();
    // The module's types of nested names: a scan for the first few, then
    // a map, so that binding stays `O(n log n)` however many fields nest.
    fn type_name(t: &TypeLayout) -> &str {
        &t.name
    }
    let mut types = None;
    let mut scans = 0;
    let mut placement = Vec::with_capacity(need.fields.len());
    for (i, f) in need.fields.iter().enumerate() {
        let want = FieldQuery {
            name: &f.name,
            required: f.required,
            identity: &f.identity,
            access: f.access,
        };
        let found = by_name.get(f.name.as_str()).copied();
        let accessor = accessors.get(f.name.as_str()).copied();
        let mut nested = None;
        let bound = bind_member(ty, want, found, accessor).and_then(|place| {
            // A nested field, or elements of an exported type: the
            // module's type of that name, bound by the nested rule (and the
            // elements rule).
            let elements = match (place, accessor) {
                (Some(Place::Accessor(_)), Some((_, a)))
                    if matches!(a.identity, Identity::Resilient { .. }) =>
                {
                    Some(a)
                }
                _ => None,
            };
            let nested_name = match (found, f.access, elements) {
                (Some(field), Access::Nested, _) => Some(field.identity.name()),
                (_, _, Some(a)) => Some(a.identity.name()),
                _ => None,
            };
            if let Some(name) = nested_name {
                let inner = if scans < 4 {
                    scans += 1;
                    module.get(name)
                } else {
                    types
                        .get_or_insert_with(|| crate::layout::ByName::new(&module.types, type_name))
                        .get(name)
                };
                match (elements, found) {
                    (Some(a), _) => bind_elements(ty, a, inner)?,
                    (None, Some(field)) => bind_nested(ty, field, inner)?,
                    (None, None) => {}
                }
                nested = inner;
            }
            Ok(place)
        });
        match bound {
            Ok(place) => placement.push(place),
            Err(m) => mismatches.push(m),
        }
        if let Some(t) = nested {
            inner(i, t, &mut mismatches);
        }
    }
    if mismatches.is_empty() {
        Ok(placement)
    } else {
        Err(mismatches)
    }
}

/// Where each case of a bound enum view is: per case of the need, in
/// order, the library's case index and, per payload field of the need's
/// case, the index of the library's payload field (`None`: an optional
/// field the library lacks).
pub type CasePlacement = Vec<(usize, Vec<Option<usize>>)>;

/// The enum view rule: whether `module` satisfies `need` (module, type, an
/// enum, frozen, each case by name with [`bind_case`], each payload field
/// with [`bind_field_of`] as a field of `Enum::Case`), and if so where each
/// case and payload field is. Every mismatch is reported at once, in the
/// need's order: the mismatches, and their order, the typed binder's
/// (`enum_view!`) for the same view, which composes the same calls.
///
/// # Errors
///
/// Every [`Mismatch`] found.
pub fn bind_enum_view(
    need: &crate::needs::EnumNeed,
    module: &ModuleLayout,
) -> Result<CasePlacement, Vec<Mismatch>> {
    bind_module(&need.module, &module.name).map_err(|m| alloc::vec![m])?;
    let Some(ty) = module.get(&need.type_name) else {
        return Err(alloc::vec![Mismatch::MissingType {
            ty: need.type_name.clone(),
        }]);
    };
    bind_enum_cases(need, ty)
}

/// [`bind_enum_view`] against the enum `ty` itself (the module and type
/// already found): what a nested enum field's view binds against.
///
/// # Errors
///
/// Every [`Mismatch`] found.
pub fn bind_enum_cases(
    need: &crate::needs::EnumNeed,
    ty: &TypeLayout,
) -> Result<CasePlacement, Vec<Mismatch>> {
    bind_kind(ty, true).map_err(|m| alloc::vec![m])?;
    let mut mismatches = Vec::new();
    if let Err(m) = bind_frozen(ty, need.frozen) {
        mismatches.push(m);
    }
    if let Err(m) = bind_frozen_cases(ty, need.frozen, need.cases.iter().map(|c| c.name.as_str())) {
        mismatches.push(m);
    }
    let mut placement = Vec::with_capacity(need.cases.len());
    for c in &need.cases {
        let (index, case) = match bind_case(ty, &c.name) {
            Ok(found) => found,
            Err(m) => {
                mismatches.push(m);
                continue;
            }
        };
        let owner = alloc::format!("{}::{}", ty.name, case.name);
        let mut fields = Vec::with_capacity(c.fields.len());
        for f in &c.fields {
            let want = FieldQuery {
                name: &f.name,
                required: f.required,
                identity: &f.identity,
                access: f.access,
            };
            let found = case.fields.iter().position(|lf| lf.name == f.name);
            match bind_field_of(&owner, &case.fields, want, found.map(|i| &case.fields[i])) {
                Ok(bound) => fields.push(bound.and(found)),
                Err(m) => mismatches.push(m),
            }
        }
        placement.push((index, fields));
    }
    if mismatches.is_empty() {
        Ok(placement)
    } else {
        Err(mismatches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(name: &str, size: usize) -> Identity {
        Identity::Scalar {
            name: Identity::scalar_name(name),
            size,
            align: size,
        }
    }
    fn resilient(name: &str, size: usize) -> Identity {
        Identity::Resilient {
            name: name.into(),
            size,
            align: 1,
        }
    }
    fn array(element: Identity, count: usize) -> Identity {
        Identity::Array {
            size: element.size() * count,
            align: element.align(),
            element: alloc::boxed::Box::new(element),
            count,
        }
    }

    #[test]
    fn identities_compare_by_kind_name_size_and_alignment() {
        assert!(same_identity(&scalar("u32", 4), &scalar("u32", 4)));
        assert!(!same_identity(&scalar("u32", 4), &scalar("i32", 4)));
        assert!(!same_identity(&scalar("f32", 4), &scalar("f64", 8)));
        let opaque = Identity::Opaque {
            name: "u32".into(),
            size: 4,
            align: 4,
        };
        assert!(!same_identity(&scalar("u32", 4), &opaque));
        assert!(same_identity(&resilient("P", 0), &resilient("P", 8)));
        assert!(same_identity(
            &array(scalar("u8", 1), 4),
            &array(scalar("u8", 1), 4)
        ));
        assert!(!same_identity(
            &array(scalar("u8", 1), 4),
            &array(scalar("i8", 1), 4)
        ));
        assert!(!same_identity(
            &array(scalar("u8", 1), 4),
            &array(scalar("u8", 1), 3)
        ));
    }

    fn ty(fields: Vec<FieldLayout>) -> TypeLayout {
        TypeLayout {
            name: "T".into(),
            flags: 0,
            size: 64,
            align: 1,
            stride: 64,
            fingerprint: 0,
            fields,
            witnesses: crate::WitnessAddrs::default(),
            accessors: Vec::new(),
            enum_info: None,
        }
    }

    /// The hole: an array of a resilient type bound by the element's name
    /// and read by value (the element's layout may have changed).
    #[test]
    fn arrays_of_resilient_types_never_bind_by_value() {
        let id = array(resilient("Inner", 2), 2);
        let field = FieldLayout {
            name: "pair".into(),
            offset: 0,
            identity: id.clone(),
        };
        let t = ty(alloc::vec![field.clone()]);
        let want = FieldQuery {
            name: "pair",
            required: true,
            identity: &id,
            access: Access::ByValue,
        };
        let err = bind_field(&t, want, Some(&field)).unwrap_err();
        assert!(matches!(err, Mismatch::NotByValue { .. }), "{err}");
        // Nor as a nested field: only a resilient type itself nests.
        let want = FieldQuery {
            access: Access::Nested,
            ..want
        };
        let err = bind_field(&t, want, Some(&field)).unwrap_err();
        assert!(matches!(err, Mismatch::Retyped { .. }), "{err}");
    }

    #[test]
    fn nested_types_must_have_the_fields_size_and_alignment() {
        let field = FieldLayout {
            name: "inner".into(),
            offset: 0,
            identity: resilient("Inner", 4),
        };
        let outer = ty(alloc::vec![field.clone()]);
        let mut inner = ty(Vec::new());
        inner.name = "Inner".into();
        inner.size = 8;
        let err = bind_nested(&outer, &field, Some(&inner)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `T.inner` nests a `Inner` of 4 bytes (align 1), the library's `Inner` has 8 bytes (align 1)"
        );
        inner.size = 4;
        assert!(bind_nested(&outer, &field, Some(&inner)).is_ok());
        inner.name = "Other".into();
        assert!(bind_nested(&outer, &field, Some(&inner)).is_err());
        assert!(matches!(
            bind_nested(&outer, &field, None),
            Err(Mismatch::NestedMissing { .. })
        ));
    }

    #[test]
    fn debug_reads_like_display() {
        let m = Mismatch::MissingType { ty: "T".into() };
        assert_eq!(alloc::format!("{m:?}"), alloc::format!("{m}"));
    }
}
