//! Verification: every invariant a checked layout promises, proved over a
//! decoded one.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;

use alloc::vec::Vec;

use super::decode::overflow;
use super::{Error, Memory, Result};
use crate::format::flags;
use crate::layout::{FieldLayout, FunctionLayout, Identity, ModuleLayout, ParamLayout, TypeLayout};
use crate::limits;

/// Proves every invariant [`TypeLayout`] and [`ModuleLayout`] promise.
///
/// # Errors
///
/// The first violated invariant, naming the type and field.
pub fn verify(module: &ModuleLayout) -> Result<()> {
    let mut names = alloc::collections::BTreeMap::new();
    for t in &module.types {
        if names.insert(t.name.as_str(), t).is_some() {
            return Err(Error::DuplicateType {
                name: t.name.clone(),
            });
        }
        check_type(t)?;
    }
    for t in &module.types {
        check_nested(t, &|name| names.get(name).map(|l| (l.size, l.align)))?;
    }
    verify_calls(&module.functions, &module.impls, &|name| {
        names.get(name).copied()
    })
}

/// The nested rule over type `t`: a nested resilient field is bound
/// through the module's type of that name; where the module lists one
/// (`listed(name)`: its size and alignment), it must be the type the field
/// holds (the rule of `compat::nested_facts_match`).
pub(crate) fn check_nested(
    t: &TypeLayout,
    listed: &dyn Fn(&str) -> Option<(usize, usize)>,
) -> Result<()> {
    let payloads = t
        .enum_info
        .iter()
        .flat_map(|e| &e.cases)
        .flat_map(|c| &c.fields);
    let accessors = t.accessors.iter().map(|a| (&a.name, &a.identity));
    for (fname, fid) in t
        .fields
        .iter()
        .chain(payloads)
        .map(|f| (&f.name, &f.identity))
        .chain(accessors)
    {
        let mut id = fid;
        while let Identity::Array { element, .. } = id {
            id = element;
        }
        if let Identity::Resilient { name, size, align } = id {
            let differs = listed(name).is_some_and(|(s, a)| {
                !crate::compat::nested_facts_match((name, *size, *align), (name, s, a))
            });
            if differs {
                return Err(Error::BadIdentity {
                    ty: t.name.clone(),
                    field: fname.clone(),
                    reason: "the module's type of the nested name has another size or alignment",
                });
            }
        }
    }
    Ok(())
}

/// The rules of a module's functions and interface implementations, its
/// types (checked) found by name through `types`.
pub(crate) fn verify_calls<'t>(
    functions: &[FunctionLayout],
    impls: &[crate::ImplLayout],
    types: &dyn Fn(&str) -> Option<&'t TypeLayout>,
) -> Result<()> {
    let mut seen = BTreeSet::new();
    for f in functions {
        if !seen.insert(f.name.as_str()) {
            return Err(Error::DuplicateFunction {
                name: f.name.clone(),
            });
        }
        check_function(f, types)?;
    }
    let mut seen = BTreeSet::new();
    for i in impls {
        let bad = |function: &str, reason| Error::BadFunction {
            function: format!("{}.{function} (as `{}`)", i.type_name, i.interface),
            param: String::new(),
            reason,
        };
        if !seen.insert((i.interface.as_str(), i.type_name.as_str())) {
            return Err(bad("", "the type implements the interface twice"));
        }
        if types(i.type_name.as_str()).is_none() {
            return Err(bad("", "the implementing type is not a type of the module"));
        }
        let mut methods = BTreeSet::new();
        for m in &i.methods {
            if !methods.insert(m.name.as_str()) {
                return Err(bad(
                    &m.name,
                    "two methods of one implementation share a name",
                ));
            }
            check_function(m, types)?;
            let receiver = m.params.first().filter(|p| {
                matches!(
                    p.pass,
                    crate::function::pass::REF | crate::function::pass::MUT
                ) && p.identity.name() == i.type_name
            });
            if receiver.is_none() {
                return Err(bad(
                    &m.name,
                    "a method's first parameter is `&Type` or `&mut Type` of the implementing type",
                ));
            }
        }
    }
    Ok(())
}

/// The names of the types `functions` and `impls` refer to by name (by
/// reference, owned result, implementing type): those their rules read.
pub(crate) fn call_referents<'a>(
    functions: &'a [FunctionLayout],
    impls: &'a [crate::ImplLayout],
) -> impl Iterator<Item = &'a str> + 'a {
    use crate::function::pass;
    let methods = impls.iter().flat_map(|i| &i.methods);
    let params = functions
        .iter()
        .chain(methods)
        .flat_map(|f| f.params.iter().chain(core::iter::once(&f.ret)))
        .filter(|p| matches!(p.pass, pass::REF | pass::MUT | pass::OPT_REF | pass::OWNED))
        .map(|p| p.identity.name());
    params.chain(impls.iter().map(|i| i.type_name.as_str()))
}

/// A function's parameters and result have well-formed identities of the
/// shape their pass code gives (`docs/FORMAT.md`, "Functions").
fn check_function<'t>(
    f: &FunctionLayout,
    types: &dyn Fn(&str) -> Option<&'t TypeLayout>,
) -> Result<()> {
    use crate::function::pass;
    let bad = |param: &str, reason| Error::BadFunction {
        function: f.name.clone(),
        param: param.to_owned(),
        reason,
    };
    let is_ret = |p: &ParamLayout| core::ptr::eq(p, &f.ret);
    for p in f.params.iter().chain(core::iter::once(&f.ret)) {
        check_identity(&p.identity, &f.name, &p.name)?;
        crate::compat::crossing(p.pass, &p.identity).map_err(|reason| bad(&p.name, reason))?;
        match p.pass {
            pass::REF | pass::MUT | pass::OPT_REF | pass::OWNED => {
                let Identity::Resilient { name, .. } = &p.identity else {
                    return Err(bad(
                        &p.name,
                        "a reference or an owned result is of a resilient type",
                    ));
                };
                match types(name.as_str()) {
                    None => {
                        return Err(bad(&p.name, "it refers to a type the module does not list"))
                    }
                    // The nested rule: the module's type of that name is
                    // the type the reference points to.
                    Some(t) if !crate::compat::nested_matches(&p.identity, t) => {
                        return Err(bad(
                            &p.name,
                            "the module's type of that name has another size or alignment",
                        ))
                    }
                    Some(_) => {}
                }
                if p.pass == pass::OWNED && !is_ret(p) {
                    return Err(bad(&p.name, "only a result is passed owned"));
                }
                if p.pass != pass::OWNED && is_ret(p) {
                    return Err(bad(&p.name, "a result is not a reference"));
                }
            }
            pass::STR
                if p.identity.kind_code() != crate::format::kind::OPAQUE
                    || p.identity.name() != "str" =>
            {
                return Err(bad(&p.name, "a `&str` has the identity `str`"))
            }
            pass::STR if is_ret(p) => return Err(bad(&p.name, "a result is not borrowed")),
            pass::OWNED_STR | pass::OWNED_SLICE if !is_ret(p) => {
                return Err(bad(&p.name, "only a result is passed owned"))
            }
            pass::OWNED_STR
                if p.identity.kind_code() != crate::format::kind::OPAQUE
                    || p.identity.name() != "str" =>
            {
                return Err(bad(&p.name, "an owned string has the identity `str`"))
            }
            pass::SLICE if is_ret(p) => return Err(bad(&p.name, "a result is not borrowed")),
            pass::UNIT if !is_ret(p) || p.identity.size() != 0 => {
                return Err(bad(&p.name, "`()` is a result of no bytes"))
            }
            // Other codes are a later revision's: binding refuses them.
            _ => {}
        }
    }
    Ok(())
}

fn check_size(what: impl Fn() -> String, size: usize, align: usize) -> Result<()> {
    if !align.is_power_of_two() || align > limits::MAX_ALIGN {
        return Err(Error::BadAlignment {
            what: what(),
            align,
        });
    }
    if size % align != 0 || size > limits::MAX_SIZE {
        return Err(Error::BadSize {
            what: what(),
            size,
            align,
        });
    }
    Ok(())
}

fn check_identity(id: &Identity, ty: &str, field: &str) -> Result<()> {
    check_size(|| format!("field `{ty}.{field}`"), id.size(), id.align())?;
    if let Identity::Array {
        element,
        count,
        size,
        align,
    } = id
    {
        check_identity(element, ty, field)?;
        let bad = |reason| Error::BadIdentity {
            ty: ty.to_owned(),
            field: field.to_owned(),
            reason,
        };
        let total = element
            .size()
            .checked_mul(*count)
            .ok_or_else(|| overflow(&format!("array size of field `{ty}.{field}`")))?;
        if total != *size {
            return Err(bad("array size is not element size times count"));
        }
        if element.align() != *align {
            return Err(bad("array alignment differs from its element's"));
        }
    }
    Ok(())
}

pub(crate) fn check_type(t: &TypeLayout) -> Result<()> {
    let ty = t.name.as_str();
    check_size(|| format!("type `{ty}`"), t.size, t.align)?;
    if t.stride < t.size || t.stride % t.align != 0 || t.stride > limits::MAX_SIZE {
        return Err(Error::BadStride {
            ty: ty.to_owned(),
            stride: t.stride,
            size: t.size,
        });
    }
    check_fields(ty, &t.fields, t.size, true, false)?;
    if let Some(e) = &t.enum_info {
        check_enum(t, e)?;
    }
    check_overlaps(
        ty,
        t.fields
            .iter()
            .map(|f| (f.name.as_str(), f.offset, f.identity.size())),
    )?;
    check_accessors(t)?;
    let computed = t.compute_fingerprint();
    if computed != t.fingerprint {
        return Err(Error::FingerprintMismatch {
            ty: ty.to_owned(),
            stored: t.fingerprint,
            computed,
        });
    }
    check_witnesses(t)
}

/// The accessor and computed fields of `t` (`docs/FORMAT.md`, "Accessor
/// and computed fields"): names distinct from each other and from the
/// stored fields', identities well formed and of the shape's kind, both
/// functions present, none on a frozen type or an enum. (Whether the
/// functions lie in code is [`check_type_code`]'s.)
fn check_accessors(t: &TypeLayout) -> Result<()> {
    use crate::accessor::shape;
    if t.accessors.is_empty() {
        return Ok(());
    }
    let ty = t.name.as_str();
    let bad = |field: &str, reason| {
        Err(Error::BadAccessor {
            ty: ty.to_owned(),
            field: field.to_owned(),
            reason,
        })
    };
    if t.is_frozen() {
        return bad(&t.accessors[0].name, "a frozen type has only stored fields");
    }
    if t.is_enum() {
        return bad(&t.accessors[0].name, "an enum has no accessor fields");
    }
    if let Some(twice) = first_repeat(
        t.fields
            .iter()
            .map(|f| f.name.as_str())
            .chain(t.accessors.iter().map(|a| a.name.as_str()))
            .collect::<Vec<_>>()
            .into_iter(),
    ) {
        return Err(Error::DuplicateField {
            ty: ty.to_owned(),
            field: twice.to_owned(),
        });
    }
    for a in &t.accessors {
        check_identity(&a.identity, ty, &a.name)?;
        if a.get == 0 || a.set == 0 {
            return bad(&a.name, "its getter or setter is missing");
        }
        match a.shape {
            shape::VALUE if crate::compat::contains_resilient(&a.identity) => {
                return bad(&a.name, "it holds a resilient type by value");
            }
            // Elements of an exported type (`Vec<Widget>`) are the type
            // itself, bound through its own view; inside an array, they
            // would be by value.
            shape::SLICE
                if crate::compat::contains_resilient(&a.identity)
                    && !matches!(a.identity, Identity::Resilient { .. }) =>
            {
                return bad(&a.name, "it holds a resilient type inside an array");
            }
            shape::STR if !matches!(&a.identity, Identity::Opaque { name, .. } if name == "str") => {
                return bad(&a.name, "a text field's identity is not `str`");
            }
            shape::VALUE if a.is_optional() => {
                return bad(&a.name, "a computed field is not optional");
            }
            // A reader counts elements by their bytes (`len * size`): with
            // no size, the length would be lost (and a division by it
            // panics).
            shape::SLICE if a.identity.size() == 0 => {
                return bad(&a.name, "an elements field's element has no size");
            }
            // A later revision's shape: kept; binding refuses it.
            _ => {}
        }
    }
    Ok(())
}

/// Fields of type (or case) `ty` of a value of `size` bytes: distinct
/// names, well-formed identities, and (where `placed`: the offsets are
/// offsets) inside the value, aligned too for a `payload`.
fn check_fields(
    ty: &str,
    fields: &[FieldLayout],
    size: usize,
    placed: bool,
    payload: bool,
) -> Result<()> {
    if let Some(twice) = first_repeat(fields.iter().map(|f| f.name.as_str())) {
        return Err(Error::DuplicateField {
            ty: ty.to_owned(),
            field: twice.to_owned(),
        });
    }
    for f in fields {
        check_identity(&f.identity, ty, &f.name)?;
        let end = f
            .offset
            .checked_add(f.identity.size())
            .ok_or_else(|| overflow(&format!("end of field `{ty}.{}`", f.name)))?;
        // A struct's field may be unaligned (`repr(packed)`: clients read
        // unaligned); a payload field of a primitive-`repr` enum never is.
        let misaligned = payload && f.offset % f.identity.align() != 0;
        if placed && (end > size || misaligned) {
            return Err(Error::FieldOutOfBounds {
                ty: ty.to_owned(),
                field: f.name.clone(),
                offset: f.offset,
                size: f.identity.size(),
                type_size: size,
            });
        }
        if !placed && f.identity.size() > size {
            return Err(Error::FieldOutOfBounds {
                ty: ty.to_owned(),
                field: f.name.clone(),
                offset: f.offset,
                size: f.identity.size(),
                type_size: size,
            });
        }
        if !placed && f.offset != 0 {
            return Err(Error::BadEnum {
                ty: ty.to_owned(),
                case: String::new(),
                reason: "a payload reached through `locate` has offsets of 0",
            });
        }
    }
    Ok(())
}

/// The name whose second occurrence comes first, as a reader that adds
/// names one by one to a set finds it: `O(n log n)`, one allocation.
fn first_repeat<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> Option<&'a str> {
    let mut sorted: Vec<(&str, usize)> = names.enumerate().map(|(i, n)| (n, i)).collect();
    sorted.sort_unstable();
    sorted
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .min_by_key(|w| w[1].1)
        .map(|w| w[1].0)
}

/// Spans `(name, offset, size)` of one value (already checked to fit in
/// it): those of nonzero size, sorted by offset, each end before the next
/// begins.
fn check_overlaps<'a>(
    ty: &str,
    spans: impl Iterator<Item = (&'a str, usize, usize)>,
) -> Result<()> {
    let mut spans: Vec<(&str, usize, usize)> = spans.filter(|s| s.2 > 0).collect();
    spans.sort_by_key(|s| s.1);
    for pair in spans.windows(2) {
        if let [a, b] = pair {
            // `offset + size` cannot overflow: checked by the caller.
            if a.1 + a.2 > b.1 {
                return Err(Error::OverlappingFields {
                    ty: ty.to_owned(),
                    first: a.0.to_owned(),
                    second: b.0.to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// An enum's rules (`docs/FORMAT.md`, "Enums"): no fields of its own;
/// distinct case names; payload fields as a struct's, inside the value
/// where they are plain; a plain tag of 1, 2, 4 or 8 bytes inside the
/// value, the cases' tags distinct and fitting in it; a `case_of`
/// witness, and a `locate` witness unless the payloads are plain.
fn check_enum(t: &TypeLayout, e: &crate::layout::EnumLayout) -> Result<()> {
    let ty = t.name.as_str();
    let bad = |case: &str, reason| Error::BadEnum {
        ty: ty.to_owned(),
        case: case.to_owned(),
        reason,
    };
    if !t.fields.is_empty() {
        return Err(bad(
            "",
            "an enum has no fields of its own: its cases carry them",
        ));
    }
    if t.is_pod() {
        return Err(bad(
            "",
            "an enum is not plain old data (all-zero bytes need not be a case)",
        ));
    }
    if let Some((offset, size)) = e.tag {
        if ![1, 2, 4, 8].contains(&size) {
            return Err(bad("", "a plain tag is 1, 2, 4 or 8 bytes"));
        }
        let end = offset.checked_add(size as usize);
        if end.is_none_or(|end| end > t.size) {
            return Err(bad("", "the plain tag lies outside the value"));
        }
    }
    if e.case_of == 0 {
        return Err(bad("", "the case_of witness is absent"));
    }
    if !e.payload_plain && e.locate == 0 {
        return Err(bad(
            "",
            "payloads that are not plain need the locate witness",
        ));
    }
    let mut names = BTreeSet::new();
    let mut tags = BTreeSet::new();
    for c in &e.cases {
        if !names.insert(c.name.as_str()) {
            return Err(bad(&c.name, "two cases share this name"));
        }
        if let Some((_, size)) = e.tag {
            let fits = size >= 8 || c.tag >> (size * 8) == 0;
            if !fits {
                return Err(bad(&c.name, "its tag does not fit in the tag's size"));
            }
            if !tags.insert(c.tag) {
                return Err(bad(&c.name, "two cases share this tag"));
            }
        }
        let owner = format!("{ty}::{}", c.name);
        check_fields(&owner, &c.fields, t.size, e.payload_plain, true)?;
        if e.payload_plain {
            // Within a case, payload fields and a plain tag do not overlap
            // (different cases may: they share the value's bytes).
            let tag = e.tag.map(|(offset, size)| ("(tag)", offset, size as usize));
            let fields = c
                .fields
                .iter()
                .map(|f| (f.name.as_str(), f.offset, f.identity.size()));
            check_overlaps(&owner, fields.chain(tag))?;
        }
    }
    Ok(())
}

fn check_witnesses(t: &TypeLayout) -> Result<()> {
    let w = &t.witnesses;
    for (witness, addr, flag) in [
        ("drop", w.drop, flags::NEEDS_DROP),
        ("clone", w.clone, flags::CLONABLE),
        ("default_init", w.default_init, flags::DEFAULT_INIT),
    ] {
        let reason = match (addr != 0, t.flags & flag != 0) {
            (true, false) => "present but its flag is not set",
            (false, true) => "flag set but the witness is absent",
            _ => continue,
        };
        return Err(Error::BadWitness {
            ty: t.name.clone(),
            witness,
            reason,
        });
    }
    if t.is_pod() && w.drop != 0 {
        return Err(Error::BadWitness {
            ty: t.name.clone(),
            witness: "drop",
            reason: "a plain-old-data type cannot need drop",
        });
    }
    Ok(())
}

/// Checks that every witness of every type and every function's thunk lies
/// in `mem`'s code.
///
/// # Errors
///
/// [`Error::BadWitness`] naming the type and witness, [`Error::BadFunction`]
/// naming the function.
pub fn verify_code_addresses<M: Memory + ?Sized>(mem: &M, module: &ModuleLayout) -> Result<()> {
    for t in &module.types {
        check_type_code(mem, t)?;
    }
    check_call_code(mem, &module.functions, &module.impls)
}

/// Every witness of type `t` lies in `mem`'s code.
pub(crate) fn check_type_code<M: Memory + ?Sized>(mem: &M, t: &TypeLayout) -> Result<()> {
    let w = &t.witnesses;
    let e = t.enum_info.as_ref();
    let witnesses = [
        ("drop", w.drop),
        ("clone", w.clone),
        ("default_init", w.default_init),
        ("case_of", e.map_or(0, |e| e.case_of)),
        ("locate", e.map_or(0, |e| e.locate)),
        ("write_case", e.map_or(0, |e| e.write_case)),
    ];
    for (witness, addr) in witnesses {
        if addr != 0 && !mem.is_code(addr) {
            return Err(Error::BadWitness {
                ty: t.name.clone(),
                witness,
                reason: "its address is not in the library's code",
            });
        }
    }
    for a in &t.accessors {
        if !mem.is_code(a.get) || !mem.is_code(a.set) {
            return Err(Error::BadAccessor {
                ty: t.name.clone(),
                field: a.name.clone(),
                reason: "its getter or setter is not in the library's code",
            });
        }
    }
    Ok(())
}

/// Every function's and method's thunk lies in `mem`'s code.
pub(crate) fn check_call_code<M: Memory + ?Sized>(
    mem: &M,
    functions: &[FunctionLayout],
    impls: &[crate::ImplLayout],
) -> Result<()> {
    let methods = impls.iter().flat_map(|i| i.methods.iter());
    for f in functions.iter().chain(methods) {
        if !mem.is_code(f.thunk) {
            return Err(Error::BadFunction {
                function: f.name.clone(),
                param: String::new(),
                reason: "its thunk is not in the library's code",
            });
        }
    }
    Ok(())
}

/// Strict semver 2.0 syntax: `MAJOR.MINOR.PATCH`, optional `-pre` and
/// `+build` of dot-separated `[0-9A-Za-z-]` identifiers, no leading zeros in
/// numbers (nor in a pre-release's numeric identifiers). A `const fn`: the
/// validator and `export_module!`'s compile-time check call this one rule.
pub(crate) const fn is_semver(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b.len();
    let plus = find(b, b'+', 0, n);
    let dash = find(b, b'-', 0, plus);
    // MAJOR.MINOR.PATCH: three numbers.
    let (mut i, mut start, mut parts) = (0, 0, 0);
    while i <= dash {
        if i == dash || b[i] == b'.' {
            if !number(b, start, i) {
                return false;
            }
            parts += 1;
            start = i + 1;
        }
        i += 1;
    }
    parts == 3
        && (dash == plus || identifiers(b, dash + 1, plus, true))
        && (plus == n || identifiers(b, plus + 1, n, false))
}

/// The first `c` in `b[from..to]`, or `to`.
const fn find(b: &[u8], c: u8, from: usize, to: usize) -> usize {
    let mut i = from;
    while i < to {
        if b[i] == c {
            return i;
        }
        i += 1;
    }
    to
}

/// `b[start..end]` is a number: digits, no leading zero.
const fn number(b: &[u8], start: usize, end: usize) -> bool {
    if end <= start || (end - start > 1 && b[start] == b'0') {
        return false;
    }
    let mut i = start;
    while i < end {
        if !b[i].is_ascii_digit() {
            return false;
        }
        i += 1;
    }
    true
}

/// `b[start..end]` is dot-separated non-empty `[0-9A-Za-z-]` identifiers;
/// in a pre-release (`pre`), a numeric one has no leading zero.
const fn identifiers(b: &[u8], start: usize, end: usize, pre: bool) -> bool {
    let (mut i, mut from) = (start, start);
    while i <= end {
        if i == end || b[i] == b'.' {
            if i == from {
                return false;
            }
            let mut digits = true;
            let mut k = from;
            while k < i {
                if !(b[k].is_ascii_alphanumeric() || b[k] == b'-') {
                    return false;
                }
                digits = digits && b[k].is_ascii_digit();
                k += 1;
            }
            if pre && digits && !number(b, from, i) {
                return false;
            }
            from = i + 1;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SliceMemory;

    #[test]
    fn semver_syntax() {
        for ok in [
            "1.0.0",
            "0.1.2-alpha.1",
            "10.20.30+build.5",
            "1.0.0-rc-1+x",
            "1.0.0-0.3.7",
            "1.0.0+001",
            "1.0.0-x.7.z.92",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "1.0",
            "01.0.0",
            "1.0.0-",
            "1.0.0+",
            "a.b.c",
            "1.0.0-al pha",
            "",
            "1.0.0.0",
            "1..0",
            "1.0.0-01",
            "1.0.0-a..b",
            "1.0.0+b+c",
            "-1.0.0",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn slice_memory_bounds() {
        let bytes = [1u8, 2, 3, 4];
        let mem = SliceMemory {
            base: 100,
            bytes: &bytes,
            code: (0, 0),
        };
        assert_eq!(mem.read(101, 2), Some(&bytes[1..3]));
        assert_eq!(mem.read(99, 1), None);
        assert_eq!(mem.read(103, 2), None);
        assert_eq!(mem.read(usize::MAX, 2), None);
    }
}
