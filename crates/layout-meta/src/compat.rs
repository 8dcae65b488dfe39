//! The rules of compatibility, each stated once: when a field's type is the
//! type a consumer expects ([`same_identity`]), when a consumer's need of a
//! field is met ([`bind_field`], [`bind_nested`]), when a frozen need is met
//! ([`bind_frozen`]), and when a whole view binds ([`bind_view`]).
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

use crate::layout::{
    CaseLayout, FieldLayout, FunctionLayout, Identity, ModuleLayout, ParamLayout, TypeLayout,
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
}

impl Access {
    /// The code stored in a view record (`docs/FORMAT.md`, "View records").
    pub const fn code(self) -> u32 {
        match self {
            Access::ByValue => 0,
            Access::Nested => 1,
        }
    }
    /// The access of a view record's code, if known.
    pub const fn from_code(code: u32) -> Option<Access> {
        match code {
            0 => Some(Access::ByValue),
            1 => Some(Access::Nested),
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
    match (expected, found) {
        (Identity::Resilient { name: a, .. }, Identity::Resilient { name: b, .. }) => {
            crate::str_eq(a, b)
        }
        (
            Identity::Array {
                element: a,
                count: n,
                size: s,
                align: al,
            },
            Identity::Array {
                element: b,
                count: m,
                size: t,
                align: bl,
            },
        ) => n == m && s == t && al == bl && same_identity(a, b),
        (Identity::Scalar { .. }, Identity::Scalar { .. })
        | (Identity::Opaque { .. }, Identity::Opaque { .. }) => same_leaf(
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

/// The module rule: a view of module `expected` binds only to a library
/// that exports a module of that name.
///
/// # Errors
///
/// [`Mismatch::Module`].
pub fn bind_module(expected: &str, found: &str) -> Result<(), Mismatch> {
    if expected == found {
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
/// module has none), which must have the size and alignment the field holds.
///
/// # Errors
///
/// [`Mismatch::NestedMissing`], [`Mismatch::NestedMismatch`].
pub fn bind_nested(
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
    let Some(f) = found else {
        return if required {
            Err(Mismatch::MissingFunction {
                function: want.name.clone(),
                expected: want.to_string(),
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
            expected: want.to_string(),
            found: f.to_string(),
        });
    }
    let same = |a: &ParamLayout, b: &ParamLayout| {
        a.pass == b.pass && same_identity(&a.identity, &b.identity)
    };
    let params = want.params.iter().zip(&f.params).map(Some);
    for (i, pair) in params.chain(core::iter::once(None)).enumerate() {
        let (index, (w, g)) = match pair {
            Some(pair) => (Some(i), pair),
            None => (None, (&want.ret, &f.ret)),
        };
        if !same(w, g) {
            return Err(Mismatch::ParamRetyped {
                function: f.name.clone(),
                index,
                param: g.name.clone(),
                expected: w.to_string(),
                found: g.to_string(),
            });
        }
    }
    Ok(Some(f))
}

/// Where each field of a bound view is: one entry per field of the need,
/// in order; `None` for an optional field the library lacks.
pub type Placement = Vec<Option<usize>>;

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
        let mut nested = None;
        let bound = bind_field(ty, want, found).and_then(|found| {
            if let (Some(field), Access::Nested) = (found, f.access) {
                let name = field.identity.name();
                let inner = if scans < 4 {
                    scans += 1;
                    module.get(name)
                } else {
                    types
                        .get_or_insert_with(|| crate::layout::ByName::new(&module.types, type_name))
                        .get(name)
                };
                bind_nested(ty, field, inner)?;
                nested = inner;
            }
            Ok(found)
        });
        match bound {
            Ok(found) => placement.push(found.map(|f| f.offset)),
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
            name: name.into(),
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
