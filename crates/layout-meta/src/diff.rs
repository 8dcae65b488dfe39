//! What changed between two versions of a module, classified by the change
//! rules of `ARCHITECTURE.md`: a resilient type may add fields, reorder
//! them, grow and raise its alignment; removing or retyping a field breaks
//! the consumers that use it; any layout change of a frozen type breaks.
//!
//! One classification for every tool that reports changes (the `resilient`
//! CLI's `diff`, the upgrade demo's table), so they cannot disagree; and one
//! reading of what two version numbers promise ([`promises_compatibility`],
//! [`broken_promise`]).

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::layout::{ByName, ModuleLayout, TypeLayout};

/// How much a change matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Consumers built against the old version keep working.
    Compatible,
    /// Some consumer may break (for a field: those that use it).
    Breaking,
}

impl Severity {
    /// `compatible` or `breaking`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Compatible => "compatible",
            Severity::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A type is new.
    TypeAdded,
    /// A type is gone.
    TypeRemoved,
    /// A frozen type's layout changed, or it is no longer frozen.
    FrozenChanged,
    /// A field is new.
    FieldAdded,
    /// A field is gone.
    FieldRemoved,
    /// A field's type changed size.
    FieldResized,
    /// A field's type changed, same size.
    FieldRetyped,
    /// A field's offset changed.
    FieldMoved,
    /// The type's size changed.
    SizeChanged,
    /// The type's alignment changed.
    AlignChanged,
    /// The distance between array elements changed.
    StrideChanged,
    /// A clone or default-init witness is new.
    WitnessAdded,
    /// A clone or default-init witness is gone.
    WitnessRemoved,
    /// A capability flag is new (`send`).
    FlagAdded,
    /// A capability flag is gone (`send`): clients that relied on it break.
    FlagRemoved,
    /// A function is new.
    FunctionAdded,
    /// A function is gone.
    FunctionRemoved,
    /// A function's signature changed (a parameter or the result retyped,
    /// parameters added or removed, another calling convention).
    FunctionChanged,
    /// A type implements an interface it did not.
    ImplAdded,
    /// A type no longer implements an interface.
    ImplRemoved,
    /// A struct became an enum, or an enum a struct.
    KindChanged,
    /// An enum has a new case (compatible unless the enum is frozen: a
    /// host's value of it lands in its `Unknown` arm).
    CaseAdded,
    /// An enum's case is gone: the hosts that use it break.
    CaseRemoved,
    /// A stored field became a computed one of the same type (format 1.3):
    /// compatible, hosts bind it and their reads of it become calls.
    FieldComputed,
    /// A computed field became a stored one of the same type: compatible.
    FieldStored,
    /// A nested field is no longer aligned for its type in every value (the
    /// type became packed, or the field moved to such an offset): breaking,
    /// a view of it no longer binds ([`crate::compat::nested_aligned`]).
    FieldMisaligned,
}

impl ChangeKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ChangeKind] = &[
        ChangeKind::TypeAdded,
        ChangeKind::TypeRemoved,
        ChangeKind::FrozenChanged,
        ChangeKind::FieldAdded,
        ChangeKind::FieldRemoved,
        ChangeKind::FieldResized,
        ChangeKind::FieldRetyped,
        ChangeKind::FieldMoved,
        ChangeKind::SizeChanged,
        ChangeKind::AlignChanged,
        ChangeKind::StrideChanged,
        ChangeKind::WitnessAdded,
        ChangeKind::WitnessRemoved,
        ChangeKind::FlagAdded,
        ChangeKind::FlagRemoved,
        ChangeKind::FunctionAdded,
        ChangeKind::FunctionRemoved,
        ChangeKind::FunctionChanged,
        ChangeKind::ImplAdded,
        ChangeKind::ImplRemoved,
        ChangeKind::KindChanged,
        ChangeKind::CaseAdded,
        ChangeKind::CaseRemoved,
        ChangeKind::FieldComputed,
        ChangeKind::FieldStored,
        ChangeKind::FieldMisaligned,
    ];

    /// The kebab-case name tools print (`field-added`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::TypeAdded => "type-added",
            ChangeKind::TypeRemoved => "type-removed",
            ChangeKind::FrozenChanged => "frozen-changed",
            ChangeKind::FieldAdded => "field-added",
            ChangeKind::FieldRemoved => "field-removed",
            ChangeKind::FieldResized => "field-resized",
            ChangeKind::FieldRetyped => "field-retyped",
            ChangeKind::FieldMoved => "field-moved",
            ChangeKind::SizeChanged => "size-changed",
            ChangeKind::AlignChanged => "align-changed",
            ChangeKind::StrideChanged => "stride-changed",
            ChangeKind::WitnessAdded => "witness-added",
            ChangeKind::WitnessRemoved => "witness-removed",
            ChangeKind::FlagAdded => "flag-added",
            ChangeKind::FlagRemoved => "flag-removed",
            ChangeKind::FunctionAdded => "function-added",
            ChangeKind::FunctionRemoved => "function-removed",
            ChangeKind::FunctionChanged => "function-changed",
            ChangeKind::ImplAdded => "impl-added",
            ChangeKind::ImplRemoved => "impl-removed",
            ChangeKind::KindChanged => "kind-changed",
            ChangeKind::CaseAdded => "case-added",
            ChangeKind::CaseRemoved => "case-removed",
            ChangeKind::FieldComputed => "field-computed",
            ChangeKind::FieldStored => "field-stored",
            ChangeKind::FieldMisaligned => "field-misaligned",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One classified change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The type.
    pub ty: String,
    /// What kind of change.
    pub kind: ChangeKind,
    /// The field or witness it concerns, if any.
    pub item: Option<String>,
    /// The value before (a type identity, an offset, a size...), or empty.
    pub old: String,
    /// The value after, or empty.
    pub new: String,
    /// How much it matters.
    pub severity: Severity,
}

impl Change {
    /// A one-line description: `id: 0 -> 8` for a moved field, `scale: f64
    /// at 24` for an added one, `label` for a removed one, `16 -> 24` for a
    /// size.
    pub fn detail(&self) -> String {
        let arrow = |a: &str, b: &str| format!("{a} -> {b}");
        match (self.kind, &self.item) {
            (ChangeKind::FrozenChanged, _) => {
                format!("fingerprint {}", arrow(&self.old, &self.new))
            }
            (_, Some(f)) if self.old.is_empty() && self.new.is_empty() => f.clone(),
            (_, Some(f)) if self.old.is_empty() => format!("{f}: {}", self.new),
            (_, Some(f)) => format!("{f}: {}", arrow(&self.old, &self.new)),
            (_, None) if self.old.is_empty() && self.new.is_empty() => String::new(),
            (_, None) => arrow(&self.old, &self.new),
        }
    }
}

/// Every change from `old` to `new`: types added first, then, for each old
/// type, what became of it (in declaration order).
///
/// `O(n log n)` in the types, functions and implementations, and in each
/// type's fields and cases: everything is matched by name through maps
/// built once.
pub fn diff(old: &ModuleLayout, new: &ModuleLayout) -> Vec<Change> {
    let mut out = Vec::new();
    fn types(m: &ModuleLayout) -> BTreeMap<&str, &TypeLayout> {
        m.types.iter().map(|t| (t.name.as_str(), t)).collect()
    }
    let (old_types, new_types) = (types(old), types(new));
    for t in &new.types {
        if !old_types.contains_key(t.name.as_str()) {
            out.push(change(&t.name, ChangeKind::TypeAdded, None, "", ""));
        }
    }
    for o in &old.types {
        match new_types.get(o.name.as_str()) {
            Some(n) => out.extend(diff_type(o, n)),
            None => out.push(change(&o.name, ChangeKind::TypeRemoved, None, "", "")),
        }
    }
    // Functions, under `fn <name>`; a signature change is what binding the
    // old signature against the new function says (the one function rule).
    diff_functions(&old.functions, &new.functions, &|f| fn_key(f), &mut out);
    // Interface implementations, under `impl <Interface> for <Type>`; their
    // methods under `impl <Interface> for <Type>: fn <method>`.
    let key = |i: &crate::ImplLayout| format!("impl {} for {}", i.interface, i.type_name);
    fn id(i: &crate::ImplLayout) -> (&str, &str) {
        (i.interface.as_str(), i.type_name.as_str())
    }
    fn impls(m: &ModuleLayout) -> BTreeMap<(&str, &str), &crate::ImplLayout> {
        m.impls.iter().map(|i| (id(i), i)).collect()
    }
    let (old_impls, new_impls) = (impls(old), impls(new));
    for i in &new.impls {
        if !old_impls.contains_key(&id(i)) {
            out.push(change(&key(i), ChangeKind::ImplAdded, None, "", ""));
        }
    }
    for i in &old.impls {
        match new_impls.get(&id(i)) {
            None => out.push(change(&key(i), ChangeKind::ImplRemoved, None, "", "")),
            Some(j) => {
                let k = key(i);
                diff_functions(
                    &i.methods,
                    &j.methods,
                    &|f| format!("{k}: fn {}", f.name),
                    &mut out,
                );
            }
        }
    }
    out
}

/// The changes between two lists of functions (a module's, or an
/// implementation's methods), each listed under `key(function)`.
fn diff_functions(
    old: &[crate::FunctionLayout],
    new: &[crate::FunctionLayout],
    key: &dyn Fn(&crate::FunctionLayout) -> String,
    out: &mut Vec<Change>,
) {
    fn name(f: &crate::FunctionLayout) -> &str {
        &f.name
    }
    let (old_index, new_index) = (ByName::new(old, name), ByName::new(new, name));
    for f in new {
        if old_index.get(&f.name).is_none() {
            let sig = f.to_string();
            out.push(change(&key(f), ChangeKind::FunctionAdded, None, "", &sig));
        }
    }
    for f in old {
        match new_index.get(&f.name) {
            None => out.push(change(&key(f), ChangeKind::FunctionRemoved, None, "", "")),
            Some(g) => {
                if let Err(m) = crate::compat::bind_function(f, true, Some(g)) {
                    // The parameter that changed, or the result.
                    let item = match &m {
                        crate::compat::Mismatch::ParamRetyped {
                            index: Some(_),
                            param,
                            ..
                        } => Some(param.as_str()),
                        crate::compat::Mismatch::ParamRetyped { index: None, .. } => Some("return"),
                        _ => None,
                    };
                    out.push(change(
                        &key(f),
                        ChangeKind::FunctionChanged,
                        item,
                        &f.to_string(),
                        &g.to_string(),
                    ));
                }
            }
        }
    }
}

/// The `ty` under which a function's changes are listed: `fn <name>`.
pub fn fn_key(f: &crate::FunctionLayout) -> String {
    format!("fn {}", f.name)
}

/// Every change from type `o` to type `n` (of the same name).
pub fn diff_type(o: &TypeLayout, n: &TypeLayout) -> Vec<Change> {
    use ChangeKind as K;
    let ty = o.name.as_str();
    let mut out = Vec::new();
    let mut push = |kind, item: Option<&str>, old: String, new: String| {
        out.push(change(ty, kind, item, &old, &new));
    };
    if o.is_frozen() && (!n.is_frozen() || o.fingerprint != n.fingerprint) {
        push(
            K::FrozenChanged,
            None,
            format!("{:#018x}", o.fingerprint),
            format!("{:#018x}", n.fingerprint),
        );
    }
    diff_members(o, n, &mut push);
    match (&o.enum_info, &n.enum_info) {
        (None, None) => {}
        (Some(oe), Some(ne)) => {
            // Cases by name (hosts bind them by name: a tag may change);
            // each case's payload as a struct's fields, under `Case.field`.
            fn name(c: &crate::CaseLayout) -> &str {
                &c.name
            }
            let (old_cases, new_cases) =
                (ByName::new(&oe.cases, name), ByName::new(&ne.cases, name));
            for c in &ne.cases {
                if old_cases.get(&c.name).is_none() {
                    push(K::CaseAdded, Some(&c.name), String::new(), String::new());
                }
            }
            for c in &oe.cases {
                match new_cases.get(&c.name) {
                    None => push(K::CaseRemoved, Some(&c.name), String::new(), String::new()),
                    Some(d) => {
                        // Offsets compare only where both are plain.
                        let placed = oe.payload_plain && ne.payload_plain;
                        let prefix = format!("{}.", c.name);
                        diff_fields(&c.fields, &d.fields, &prefix, placed, &mut push);
                    }
                }
            }
        }
        (oe, ne) => {
            let kind = |e: &Option<crate::EnumLayout>| if e.is_some() { "enum" } else { "struct" };
            push(K::KindChanged, None, kind(oe).into(), kind(ne).into());
        }
    }
    for (kind, a, b) in [
        (K::SizeChanged, o.size, n.size),
        (K::AlignChanged, o.align, n.align),
        (K::StrideChanged, o.stride, n.stride),
    ] {
        if a != b {
            push(kind, None, a.to_string(), b.to_string());
        }
    }
    for (name, had, has) in [
        ("clone", o.witnesses.clone != 0, n.witnesses.clone != 0),
        (
            "default_init",
            o.witnesses.default_init != 0,
            n.witnesses.default_init != 0,
        ),
    ] {
        if had != has {
            let kind = if has {
                K::WitnessAdded
            } else {
                K::WitnessRemoved
            };
            push(kind, Some(name), String::new(), String::new());
        }
    }
    if o.is_send() != n.is_send() {
        let kind = if n.is_send() {
            K::FlagAdded
        } else {
            K::FlagRemoved
        };
        push(kind, Some("send"), String::new(), String::new());
    }
    if o.is_frozen() {
        // A frozen type's consumers compiled its layout in: any layout
        // change breaks them all.
        for c in &mut out {
            if matches!(
                c.kind,
                K::FieldAdded
                    | K::FieldMoved
                    | K::SizeChanged
                    | K::AlignChanged
                    | K::StrideChanged
                    | K::CaseAdded
            ) {
                c.severity = Severity::Breaking;
            }
        }
    }
    out
}

/// Records one change: kind, item, old and new values.
type Push<'a> = dyn FnMut(ChangeKind, Option<&str>, String, String) + 'a;

/// The changes between two structs' fields, stored and reached through
/// accessors: [`diff_fields`] for the stored ones, where a stored field
/// that became a computed one of the same type (or back) is
/// [`ChangeKind::FieldComputed`] ([`ChangeKind::FieldStored`]), as binding
/// treats it ([`crate::compat::bind_member`]); an accessor field added or
/// removed as a field, and one whose shape or type changed as retyped.
fn diff_members(o: &TypeLayout, n: &TypeLayout, push: &mut Push<'_>) {
    use crate::compat::{binds_computed, same_identity};
    use ChangeKind as K;
    fn field(f: &crate::FieldLayout) -> &str {
        &f.name
    }
    fn accessor(a: &crate::AccessorLayout) -> &str {
        &a.name
    }
    let (o_fields, n_fields) = (ByName::new(&o.fields, field), ByName::new(&n.fields, field));
    let (o_acc, n_acc) = (
        ByName::new(&o.accessors, accessor),
        ByName::new(&n.accessors, accessor),
    );
    let mut stored = Vec::new();
    diff_fields(&o.fields, &n.fields, "", true, &mut |k, item, a, b| {
        stored.push((k, item.map(str::to_owned), a, b));
    });
    for (kind, item, a, b) in stored {
        let name = item.as_deref().unwrap_or_default();
        match (kind, o_fields.get(name), n_fields.get(name)) {
            (K::FieldRemoved, Some(f), _) => {
                if let Some(x) = n_acc.get(name) {
                    let k = if binds_computed(&f.identity, x) {
                        K::FieldComputed
                    } else {
                        K::FieldRetyped
                    };
                    push(k, item.as_deref(), f.identity.to_string(), x.to_string());
                    continue;
                }
            }
            (K::FieldAdded, _, Some(f)) => {
                if let Some(x) = o_acc.get(name) {
                    let k = if binds_computed(&f.identity, x) {
                        K::FieldStored
                    } else {
                        K::FieldRetyped
                    };
                    push(
                        k,
                        item.as_deref(),
                        x.to_string(),
                        format!("{} at {}", f.identity, f.offset),
                    );
                    continue;
                }
            }
            _ => {}
        }
        push(kind, item.as_deref(), a, b);
    }
    // A nested field that a view could reach and no longer can.
    for f in &o.fields {
        if let (crate::Identity::Resilient { .. }, Some(g)) = (&f.identity, n_fields.get(&f.name)) {
            if same_identity(&f.identity, &g.identity)
                && crate::compat::nested_aligned(o, f)
                && !crate::compat::nested_aligned(n, g)
            {
                push(
                    K::FieldMisaligned,
                    Some(&f.name),
                    format!("at {} of align {}", f.offset, o.align),
                    format!("at {} of align {}", g.offset, n.align),
                );
            }
        }
    }
    for x in &n.accessors {
        if o_acc.get(&x.name).is_none() && o_fields.get(&x.name).is_none() {
            push(K::FieldAdded, Some(&x.name), String::new(), x.to_string());
        }
    }
    for x in &o.accessors {
        match n_acc.get(&x.name) {
            None if n_fields.get(&x.name).is_none() => {
                push(K::FieldRemoved, Some(&x.name), String::new(), String::new());
            }
            Some(y)
                if x.shape != y.shape
                    || x.flags != y.flags
                    || !same_identity(&x.identity, &y.identity) =>
            {
                push(K::FieldRetyped, Some(&x.name), x.to_string(), y.to_string());
            }
            _ => {}
        }
    }
}

/// The changes between two field lists (a struct's, or one case's payload
/// with `prefix` `Case.`): added, removed, retyped or resized, and moved
/// where offsets are offsets (`placed`).
fn diff_fields(
    old: &[crate::FieldLayout],
    new: &[crate::FieldLayout],
    prefix: &str,
    placed: bool,
    push: &mut Push<'_>,
) {
    use ChangeKind as K;
    fn name(f: &crate::FieldLayout) -> &str {
        &f.name
    }
    let (old_fields, new_fields) = (ByName::new(old, name), ByName::new(new, name));
    for f in new {
        if old_fields.get(&f.name).is_none() {
            push(
                K::FieldAdded,
                Some(&format!("{prefix}{}", f.name)),
                String::new(),
                format!("{} at {}", f.identity, f.offset),
            );
        }
    }
    for f in old {
        let item = format!("{prefix}{}", f.name);
        let Some(g) = new_fields.get(&f.name) else {
            push(K::FieldRemoved, Some(&item), String::new(), String::new());
            continue;
        };
        if !crate::compat::same_identity(&f.identity, &g.identity) {
            let kind = if f.identity.size() == g.identity.size() {
                K::FieldRetyped
            } else {
                K::FieldResized
            };
            push(
                kind,
                Some(&item),
                f.identity.to_string(),
                g.identity.to_string(),
            );
        }
        if placed && f.offset != g.offset {
            push(
                K::FieldMoved,
                Some(&item),
                f.offset.to_string(),
                g.offset.to_string(),
            );
        }
    }
}

fn change(ty: &str, kind: ChangeKind, item: Option<&str>, old: &str, new: &str) -> Change {
    use ChangeKind as K;
    let severity = match kind {
        K::TypeRemoved
        | K::FrozenChanged
        | K::FieldRemoved
        | K::FieldResized
        | K::FieldRetyped
        | K::WitnessRemoved
        | K::FlagRemoved
        | K::FunctionRemoved
        | K::FunctionChanged
        | K::ImplRemoved
        | K::KindChanged
        | K::CaseRemoved
        | K::FieldMisaligned => Severity::Breaking,
        _ => Severity::Compatible,
    };
    Change {
        ty: ty.to_owned(),
        kind,
        item: item.map(str::to_owned),
        old: old.to_owned(),
        new: new.to_owned(),
        severity,
    }
}

/// The most severe change per type, in first-mention order.
pub fn verdicts(changes: &[Change]) -> Vec<(String, Severity)> {
    let mut v: Vec<(String, Severity)> = Vec::new();
    let mut at: BTreeMap<&str, usize> = BTreeMap::new();
    for c in changes {
        match at.get(c.ty.as_str()).and_then(|&i| v.get_mut(i)) {
            Some((_, s)) => *s = (*s).max(c.severity),
            None => {
                at.insert(&c.ty, v.len());
                v.push((c.ty.clone(), c.severity));
            }
        }
    }
    v
}

/// The changes that break a consumer with view `need` (which bound to the
/// old version): the view's type removed; a change to its layout if it
/// expects the type frozen; a field it uses removed (if required), retyped,
/// resized or, nested, no longer aligned for its type. Other changes do not
/// touch it, breaking or not for others.
///
/// An independent road to the verdict of [`crate::compat::bind_view`] on the
/// new version: the two are tested to agree.
pub fn breaking_for<'a>(changes: &'a [Change], need: &crate::needs::ViewNeed) -> Vec<&'a Change> {
    use ChangeKind as K;
    let used: alloc::collections::BTreeMap<&str, bool> = need
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.required))
        .collect();
    let uses = |field: &str| used.get(field).copied();
    changes
        .iter()
        .filter(|c| c.ty == need.type_name)
        .filter(|c| match (c.kind, c.item.as_deref()) {
            (K::TypeRemoved, _) => true,
            (K::FrozenChanged, _) => need.frozen.is_some(),
            (K::FieldRemoved, Some(f)) => uses(f) == Some(true),
            (K::FieldRetyped | K::FieldResized | K::FieldMisaligned, Some(f)) => uses(f).is_some(),
            _ => false,
        })
        .collect()
}

/// Whether release `new` of a module promises the hosts of release `old`
/// that they keep working: semver as Cargo reads it (the caret rule), both
/// versions parsed by the `semver` crate. It does when `new` is `old` or
/// later and
///
/// - `MAJOR` > 0: the same `MAJOR` (`1.1.0` -> `1.2.0`, `1.1.0` -> `1.1.7`);
/// - `0.MINOR` with `MINOR` > 0: the same `MINOR` (`0.3.1` -> `0.3.2`);
/// - `0.0.PATCH`: the same version only (`0.0.3` -> `0.0.4` promises
///   nothing).
///
/// A pre-release on either side promises nothing (semver 2.0, item 9: it
/// "might not satisfy the intended compatibility requirements"); build
/// metadata does not matter. A version that is not semver (the validator
/// refuses it in a library) promises nothing.
pub fn promises_compatibility(old: &str, new: &str) -> bool {
    let (Ok(o), Ok(n)) = (semver::Version::parse(old), semver::Version::parse(new)) else {
        return false;
    };
    if !o.pre.is_empty() || !n.pre.is_empty() {
        return false;
    }
    semver::Comparator {
        op: semver::Op::Caret,
        major: o.major,
        minor: Some(o.minor),
        patch: Some(o.patch),
        pre: semver::Prerelease::EMPTY,
    }
    .matches(&n)
}

/// Whether module release `new` promises the hosts of `old` compatibility:
/// the same module, and versions that promise it
/// ([`promises_compatibility`]). Two modules' versions promise nothing
/// about each other.
pub fn module_promises_compatibility(old: &ModuleLayout, new: &ModuleLayout) -> bool {
    old.name == new.name && promises_compatibility(&old.version, &new.version)
}

/// The first version after `old` that may break its hosts (by
/// [`promises_compatibility`]): `2.0.0` after `1.4.2`, `0.4.0` after
/// `0.3.1`, `0.0.4` after `0.0.3`. `None` if `old` is not semver or no such
/// version can be written (a component at `u64::MAX`).
pub fn next_breaking_version(old: &str) -> Option<String> {
    let o = semver::Version::parse(old).ok()?;
    let v = if o.major > 0 {
        semver::Version::new(o.major.checked_add(1)?, 0, 0)
    } else if o.minor > 0 {
        semver::Version::new(0, o.minor.checked_add(1)?, 0)
    } else {
        semver::Version::new(0, 0, o.patch.checked_add(1)?)
    };
    Some(v.to_string())
}

/// A release that breaks hosts of the previous one although its version
/// promises them compatibility (like `cargo semver-checks` for an API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenPromise {
    /// The previous release's version.
    pub old: String,
    /// The new release's version.
    pub new: String,
    /// How many breaking changes.
    pub breaking: usize,
    /// What they concern (types, `fn <name>`, `impl <I> for <T>`), in
    /// first-mention order.
    pub subjects: Vec<String>,
    /// The first version that may break hosts of `old`
    /// ([`next_breaking_version`]).
    pub release_as: Option<String>,
}

impl fmt::Display for BrokenPromise {
    /// `1.2.0 breaks hosts of 1.1.0 although its version promises
    /// compatibility: 2 breaking changes (Widget, fn weight_lb); release it
    /// as 2.0.0, or undo them`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.breaking == 1 { "" } else { "s" };
        write!(
            f,
            "{} breaks hosts of {} although its version promises compatibility: {} breaking change{s} ({})",
            self.new,
            self.old,
            self.breaking,
            self.subjects.join(", ")
        )?;
        match &self.release_as {
            Some(v) => write!(f, "; release it as {v}, or undo them"),
            None => f.write_str("; undo them"),
        }
    }
}

/// Whether `new` breaks hosts of `old` (some of `changes`, the changes
/// from `old` to `new`, is breaking) although its version promises them
/// compatibility ([`module_promises_compatibility`]); `None` if not, and
/// for two different modules. A
/// new major version (or `0.MINOR`) with breaking changes is no broken
/// promise.
pub fn broken_promise(
    old: &ModuleLayout,
    new: &ModuleLayout,
    changes: &[Change],
) -> Option<BrokenPromise> {
    if !module_promises_compatibility(old, new) {
        return None;
    }
    let breaking = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    (breaking > 0).then(|| BrokenPromise {
        old: old.version.clone(),
        new: new.version.clone(),
        breaking,
        subjects: verdicts(changes)
            .into_iter()
            .filter(|(_, s)| *s == Severity::Breaking)
            .map(|(t, _)| t)
            .collect(),
        release_as: next_breaking_version(&old.version),
    })
}
