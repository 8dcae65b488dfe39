//! The `resilient` tool's library: everything the binary does, testable
//! without spawning it.
//!
//! - [`inspect_table`], [`inspect_json`]: modules, types, fields and
//!   functions of a library, as a table or JSON;
//! - [`diff`]: every change between two versions, classified by the change
//!   rules, with a verdict per type;
//! - [`check`]: whether a consumer binary's recorded views and functions
//!   bind against a library, as text or JSON;
//! - [`gen_rust`], [`gen_cpp`]: view declarations a consumer can include.
//!
//! The exit statuses are [`status`]'s.
//!
//! Nothing here loads or runs the libraries it reads: files are read by
//! [`resilient_offline`], which applies the loader's own rules for where
//! metadata may live, so `check` accepts what `Library::open` accepts.

use std::fmt::{self, Write as _};
use std::path::PathBuf;

use layout_meta::diff::verdicts;
use layout_meta::{flags, Identity, ModuleLayout};
use serde_json::{json, Value};

/// The JSON schema version of `inspect --json`.
pub const INSPECT_SCHEMA: &str = "resilient-inspect/1";
/// The JSON schema version of `diff --json`.
pub const DIFF_SCHEMA: &str = "resilient-diff/1";
/// The JSON schema version of `check --json`.
pub const CHECK_SCHEMA: &str = "resilient-check/1";

/// The exit statuses of `resilient` (also in `--help` and the README).
pub mod status {
    /// Success; `diff`: no change; `check`: every need binds.
    pub const OK: u8 = 0;
    /// An error: a file that is not a library, truncated, without or with
    /// invalid metadata; output that cannot be written.
    pub const ERROR: u8 = 1;
    /// A usage error.
    pub const USAGE: u8 = 2;
    /// `check`: the consumer records no view or function need of the
    /// library's module, so nothing was checked.
    pub const NOTHING_CHECKED: u8 = 3;
    /// `diff`: compatible changes only.
    pub const COMPATIBLE: u8 = 4;
    /// `diff`: a breaking change (under a version that allows it);
    /// `check`: a need of the consumer does not bind.
    pub const BREAKING: u8 = 8;
    /// `diff`: a breaking change although the new version promises hosts of
    /// the old one compatibility (semver:
    /// [`layout_meta::diff::broken_promise`]).
    pub const BROKEN_PROMISE: u8 = 16;
}

/// Why a command failed: one line, naming the file.
#[non_exhaustive]
pub enum Error {
    /// The output could not be written (path `<stdout>`).
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A library or consumer binary refused by the offline reader (its
    /// error names the file and what is wrong).
    Read {
        /// The reader's error.
        source: resilient_offline::Error,
    },
    /// `gen` refuses to write a name into code: not an ASCII identifier, or
    /// a keyword of the language.
    NotAnIdentifier {
        /// `rust` or `c++`.
        lang: &'static str,
        /// The name, as the library spells it.
        name: String,
    },
    /// `gen cpp --optional TYPE.FIELD` names no field of the types
    /// generated.
    NoSuchField {
        /// `TYPE.FIELD`, as given.
        name: String,
    },
    /// `gen LANG LIB TYPE...` names a type the module does not have.
    NoSuchType {
        /// The module.
        module: String,
        /// The type, as given.
        name: String,
        /// The module's types.
        existing: Vec<String>,
    },
}

impl fmt::Debug for Error {
    /// The same sentence as `Display`: what `{:?}` shows a person (a
    /// `main` returning `Result<(), Box<dyn Error>>` prints this).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Read { source } => write!(f, "{source}"),
            Error::NotAnIdentifier { lang, name } => write!(
                f,
                "cannot generate {lang}: the name {name:?} is not an identifier there"
            ),
            Error::NoSuchField { name } => write!(
                f,
                "cannot generate c++: {name:?} (optional) is no field of the types generated"
            ),
            Error::NoSuchType {
                module,
                name,
                existing,
            } => write!(
                f,
                "cannot generate: module `{module}` has no type {name:?} (it has {})",
                if existing.is_empty() {
                    "none".to_owned()
                } else {
                    existing
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        }
    }
}

impl From<resilient_offline::Error> for Error {
    fn from(source: resilient_offline::Error) -> Self {
        Error::Read { source }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            // Displayed whole above: its own cause comes next.
            Error::Read { source } => source.source(),
            _ => None,
        }
    }
}

/// Each type flag and the name `inspect` prints for it.
pub const FLAG_NAMES: &[(u32, &str)] = &[
    (flags::FROZEN, "frozen"),
    (flags::NEEDS_DROP, "needs-drop"),
    (flags::CLONABLE, "clone"),
    (flags::DEFAULT_INIT, "default"),
    (flags::POD, "pod"),
    (flags::SEND, "send"),
    (flags::ENUM, "enum"),
];

fn flag_names(f: u32) -> String {
    let names: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "-".into()
    } else {
        names.join(",")
    }
}

fn identity_json(id: &Identity) -> Value {
    let kind = match id {
        Identity::Scalar { .. } => "scalar",
        Identity::Array { .. } => "array",
        Identity::Resilient { .. } => "resilient",
        Identity::Opaque { .. } => "opaque",
    };
    let mut v = json!({
        "kind": kind,
        "name": id.name(),
        "size": id.size(),
        "align": id.align(),
        "display": id.to_string(),
    });
    if let Some(e) = id.element() {
        v["count"] = json!(id.count());
        v["element"] = identity_json(e);
    }
    v
}

/// `inspect --json`: the module as JSON (schema [`INSPECT_SCHEMA`], see
/// `crates/cli/schema/inspect.schema.json`): its types, functions and
/// interface implementations (`impls`: interface, implementing type,
/// methods).
pub fn inspect_json(module: &ModuleLayout) -> Value {
    json!({
        "schema": INSPECT_SCHEMA,
        "module": { "name": module.name, "version": module.version },
        "types": module.types.iter().map(|t| json!({
            "name": t.name,
            "size": t.size,
            "align": t.align,
            "stride": t.stride,
            "flags": flag_names(t.flags).split(',').filter(|s| *s != "-").collect::<Vec<_>>(),
            "fingerprint": format!("{:#018x}", t.fingerprint),
            "witnesses": {
                "drop": t.witnesses.drop != 0,
                "clone": t.witnesses.clone != 0,
                "default_init": t.witnesses.default_init != 0,
            },
            "fields": t.fields.iter().map(field_json).collect::<Vec<_>>(),
            "accessors": t.accessors.iter().map(|a| json!({
                "name": a.name,
                "shape": layout_meta::accessor::shape::name(a.shape),
                "optional": a.is_optional(),
                "type": identity_json(&a.identity),
                "rust": a.to_string(),
            })).collect::<Vec<_>>(),
            "enum": t.enum_info.as_ref().map(|e| json!({
                "tag": e.tag.map(|(offset, size)| json!({ "offset": offset, "size": size })),
                "payload_plain": e.payload_plain,
                "constructible": e.write_case != 0,
                "cases": e.cases.iter().map(|c| json!({
                    "name": c.name,
                    "tag": c.tag,
                    "fields": c.fields.iter().map(field_json).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })),
        })).collect::<Vec<_>>(),
        "functions": module.functions.iter().map(function_json).collect::<Vec<_>>(),
        "impls": module.impls.iter().map(|i| json!({
            "interface": i.interface,
            "type": i.type_name,
            "methods": i.methods.iter().map(function_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// A field (or payload field) in `inspect --json`.
fn field_json(f: &layout_meta::FieldLayout) -> Value {
    json!({
        "name": f.name,
        "offset": f.offset,
        "size": f.identity.size(),
        "align": f.identity.align(),
        "type": identity_json(&f.identity),
    })
}

/// An enum's cases in `inspect`: how its tag is read, then one line per
/// case with its payload fields.
fn enum_lines(e: &layout_meta::EnumLayout, out: &mut String) {
    let tag = match e.tag {
        Some((offset, size)) => format!("tag: {size} bytes at {offset}"),
        None => "tag: read by the library (case_of)".into(),
    };
    let payload = if e.payload_plain {
        "payload offsets plain"
    } else {
        "payload fields located by the library"
    };
    let _ = writeln!(out, "  {tag}; {payload}");
    for c in &e.cases {
        let fields: Vec<String> = c
            .fields
            .iter()
            .map(|f| {
                if e.payload_plain {
                    format!("{}: {} at {}", f.name, f.identity, f.offset)
                } else {
                    format!("{}: {}", f.name, f.identity)
                }
            })
            .collect();
        let tag = if e.tag.is_some() {
            format!(" = {}", c.tag)
        } else {
            String::new()
        };
        if fields.is_empty() {
            let _ = writeln!(out, "  case {}{tag}", c.name);
        } else {
            let _ = writeln!(out, "  case {}{tag} {{ {} }}", c.name, fields.join(", "));
        }
    }
}

/// A function or method in `inspect --json`.
fn function_json(f: &layout_meta::FunctionLayout) -> Value {
    json!({
        "name": f.name,
        "signature": f.to_string(),
        "abi": f.abi,
        "fallible": is_fallible(f),
        "params": f.params.iter().map(param_json).collect::<Vec<_>>(),
        "return": param_json(&f.ret),
    })
}

fn is_fallible(f: &layout_meta::FunctionLayout) -> bool {
    f.flags & layout_meta::function::fn_flags::FALLIBLE != 0
}

/// A function's or method's line in `inspect`: its signature, and
/// `  (fallible)` if it returns a `Result`.
fn function_line(f: &layout_meta::FunctionLayout) -> String {
    let fallible = if is_fallible(f) { "  (fallible)" } else { "" };
    format!("{f}{fallible}")
}

fn param_json(p: &layout_meta::ParamLayout) -> Value {
    json!({
        "name": p.name,
        "pass": layout_meta::function::pass::name(p.pass),
        "display": p.to_string(),
        "type": identity_json(&p.identity),
    })
}

/// `inspect`: the module as aligned tables (one per type), then its
/// functions and its interface implementations (each method's signature,
/// the receiver first).
pub fn inspect_table(module: &ModuleLayout) -> String {
    let mut out = format!("module {} {}\n", module.name, module.version);
    for t in &module.types {
        let _ = writeln!(
            out,
            "\ntype {}  size {}  align {}  stride {}  flags {}  fingerprint {:#018x}",
            t.name,
            t.size,
            t.align,
            t.stride,
            flag_names(t.flags),
            t.fingerprint
        );
        // Stored fields, then the fields reached through the library's
        // accessors (no offset: `String`, `Vec<u32>`, `u32 (computed)`).
        let rows: Vec<[String; 5]> = t
            .fields
            .iter()
            .map(|f| {
                [
                    f.name.clone(),
                    f.offset.to_string(),
                    f.identity.size().to_string(),
                    f.identity.align().to_string(),
                    f.identity.to_string(),
                ]
            })
            .chain(t.accessors.iter().map(|a| {
                [
                    a.name.clone(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    format!("{a} via accessors"),
                ]
            }))
            .collect();
        let header = ["field", "offset", "size", "align", "type"];
        let mut w = header.map(str::len);
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let line = |out: &mut String, cells: [&str; 5]| {
            let _ = writeln!(
                out,
                "  {:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {}",
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                cells[4],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3]
            );
        };
        if t.enum_info.is_none() || !rows.is_empty() {
            line(&mut out, header);
            for r in &rows {
                line(&mut out, [&r[0], &r[1], &r[2], &r[3], &r[4]]);
            }
        }
        if let Some(e) = &t.enum_info {
            enum_lines(e, &mut out);
        }
    }
    if !module.functions.is_empty() {
        out.push_str("\nfunctions\n");
        for f in &module.functions {
            let _ = writeln!(out, "  {}", function_line(f));
        }
    }
    if !module.impls.is_empty() {
        out.push_str("\nimplementations\n");
        for i in &module.impls {
            let _ = writeln!(out, "  impl {} for {}", i.interface, i.type_name);
            for m in &i.methods {
                let _ = writeln!(out, "    {}", function_line(m));
            }
        }
    }
    out
}

pub use layout_meta::diff::{broken_promise, diff, BrokenPromise, Change, ChangeKind, Severity};

/// The exit status of `diff` from `old` to `new` with `changes`:
/// [`status::OK`] no change, [`status::COMPATIBLE`] compatible changes,
/// [`status::BREAKING`] a breaking change, [`status::BROKEN_PROMISE`] a
/// breaking change although `new`'s version promises hosts of `old`
/// compatibility ([`broken_promise`]).
pub fn diff_status(old: &ModuleLayout, new: &ModuleLayout, changes: &[Change]) -> u8 {
    match changes.iter().map(|c| c.severity).max() {
        None => status::OK,
        Some(Severity::Compatible) => status::COMPATIBLE,
        Some(Severity::Breaking) if broken_promise(old, new, changes).is_some() => {
            status::BROKEN_PROMISE
        }
        Some(Severity::Breaking) => status::BREAKING,
    }
}

/// `diff`: one line per change, then a verdict per type, then, if `new`
/// breaks a promise its version makes ([`broken_promise`]), that sentence.
pub fn diff_text(old: &ModuleLayout, new: &ModuleLayout, changes: &[Change]) -> String {
    let mut out = format!(
        "{} {} -> {} {}\n",
        old.name, old.version, new.name, new.version
    );
    if changes.is_empty() {
        out.push_str("no change\n");
        return out;
    }
    for c in changes {
        let line = format!(
            "  {:<10}  {:<16}  {:<15}  {}",
            c.severity.as_str(),
            c.ty,
            c.kind.as_str(),
            c.detail()
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for (ty, s) in verdicts(changes) {
        let _ = writeln!(out, "type {ty}: {s}");
    }
    if let Some(b) = broken_promise(old, new, changes) {
        let _ = writeln!(out, "{b}");
    }
    out
}

/// `diff --json` (schema [`DIFF_SCHEMA`]): the changes, the verdict per
/// type, what the versions promise (`semver`: whether `new`'s version
/// promises hosts of `old` compatibility, whether the changes break that
/// promise and, if so, the sentence `diff` prints and the version to
/// release instead), and the exit status.
pub fn diff_json(old: &ModuleLayout, new: &ModuleLayout, changes: &[Change]) -> Value {
    let promises = layout_meta::diff::module_promises_compatibility(old, new);
    let mut semver = json!({ "promises_compatibility": promises, "broken": false });
    if let Some(b) = broken_promise(old, new, changes) {
        semver["broken"] = json!(true);
        semver["message"] = json!(b.to_string());
        if let Some(v) = &b.release_as {
            semver["release_as"] = json!(v);
        }
    }
    json!({
        "schema": DIFF_SCHEMA,
        "old": { "name": old.name, "version": old.version },
        "new": { "name": new.name, "version": new.version },
        "changes": changes.iter().map(|c| json!({
            "type": c.ty, "kind": c.kind.as_str(), "detail": c.detail(), "severity": c.severity.as_str(),
        })).collect::<Vec<_>>(),
        "verdicts": verdicts(changes).into_iter().map(|(t, s)| json!({ "type": t, "verdict": s.as_str() })).collect::<Vec<_>>(),
        "semver": semver,
        "status": diff_status(old, new, changes),
    })
}

fn rust_type(id: &Identity) -> Result<String, Error> {
    Ok(match id {
        Identity::Resilient { name, .. } => {
            format!("Nested<{}View>", identifier(name, Lang::Rust)?)
        }
        other => format!("Field<{}>", rust_value_type(other)?),
    })
}

/// The token of accessor field `a` (`Text`, `OptText`, `Elems<u32>`; a
/// computed field is a `Field<T>` like a stored one); `None` for a shape
/// this reader does not know.
fn rust_accessor_token(a: &layout_meta::AccessorLayout) -> Result<Option<String>, Error> {
    use layout_meta::accessor::shape;
    Ok(Some(match (a.shape, a.is_optional()) {
        (shape::VALUE, _) => rust_type(&a.identity)?,
        (shape::STR, false) => "Text".into(),
        (shape::STR, true) => "OptText".into(),
        (shape::SLICE, false) => match &a.identity {
            Identity::Resilient { name, .. } => {
                format!("ElemsOf<{}View>", identifier(name, Lang::Rust)?)
            }
            other => format!("Elems<{}>", rust_value_type(other)?),
        },
        _ => return Ok(None),
    }))
}

fn rust_value_type(id: &Identity) -> Result<String, Error> {
    Ok(match id {
        Identity::Array { element, count, .. } => {
            format!("[{}; {count}]", rust_value_type(element)?)
        }
        // Scalars are the canonical names (`u32`...); opaque types are the
        // consumer's own, by the name the library gave (`()`,
        // `PhantomData<String>`...).
        other => type_name(other.name(), Lang::Rust)?.to_owned(),
    })
}

/// `name` if `gen` may write it where a type goes: identifiers, paths,
/// generic arguments, tuples and arrays (`A-Za-z0-9_:<>,()[]; `), nothing
/// that could open a block, a string, a comment, an attribute or a macro.
fn type_name(name: &str, lang: Lang) -> Result<&str, Error> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_:<>,()[]; ".contains(c));
    accepted(ok, name, lang)
}

/// The module's types that `gen` declares for `requested` (all if empty),
/// in the module's order. With `nested`, also every type a declared type
/// reaches through a nested field (`Nested<PointView>`), transitively, so
/// that the declarations name no view they do not declare.
///
/// # Errors
///
/// [`Error::NoSuchType`] if `requested` names a type the module lacks.
fn selected_types<'a>(
    module: &'a ModuleLayout,
    requested: &[String],
    nested: bool,
) -> Result<Vec<&'a layout_meta::TypeLayout>, Error> {
    if requested.is_empty() {
        return Ok(module.types.iter().collect());
    }
    if let Some(unknown) = requested.iter().find(|r| module.get(r).is_none()) {
        return Err(Error::NoSuchType {
            module: module.name.clone(),
            name: unknown.clone(),
            existing: module.types.iter().map(|t| t.name.clone()).collect(),
        });
    }
    let mut wanted: std::collections::BTreeSet<&str> =
        requested.iter().map(String::as_str).collect();
    let mut todo: Vec<&str> = wanted.iter().copied().collect();
    while let Some(name) = todo.pop() {
        let Some(t) = module.get(name).filter(|_| nested) else {
            continue;
        };
        let elements = t.accessors.iter().map(|a| &a.identity);
        for id in t.fields.iter().map(|f| &f.identity).chain(elements) {
            if let Identity::Resilient { name: inner, .. } = id {
                if module.get(inner).is_some() && wanted.insert(inner) {
                    todo.push(inner);
                }
            }
        }
    }
    Ok(module
        .types
        .iter()
        .filter(|t| wanted.contains(t.name.as_str()))
        .collect())
}

/// `gen rust`: `view!` declarations for `types` (all if empty) and every
/// type they nest (a `Nested<PointView>` field declares `PointView` too),
/// and, when all types are generated, `api!` for the module's functions
/// and `interface!` for each interface its types implement (a method some
/// implementations lack is optional).
///
/// # Errors
///
/// [`Error::NotAnIdentifier`] if a name cannot be written as Rust;
/// [`Error::NoSuchType`] if `types` names a type the module lacks.
pub fn gen_rust(module: &ModuleLayout, types: &[String]) -> Result<String, Error> {
    let mut body = String::new();
    for t in selected_types(module, types, true)? {
        let ty = identifier(&t.name, Lang::Rust)?;
        if let Some(e) = &t.enum_info {
            let frozen = t.is_frozen().then_some(t.fingerprint);
            gen_rust_enum(module, ty, &t.name, frozen, e, &mut body)?;
            continue;
        }
        let _ = writeln!(
            body,
            "\nview! {{\n    /// `{ty}` of module {:?}.",
            module.name
        );
        // A frozen type: the view promises to read it only as frozen with
        // this fingerprint, which lets a host access it as a plain struct
        // (`frozen` in the README); drop `frozen(..)` to bind by name.
        let frozen = if t.is_frozen() {
            format!(" frozen({:#018x})", t.fingerprint)
        } else {
            String::new()
        };
        let _ = writeln!(
            body,
            "    pub struct {ty}View = {:?}::{:?}{frozen} {{",
            module.name, t.name
        );
        for f in &t.fields {
            let field = rust_field(&f.name)?;
            if let Identity::Opaque { name, .. } = &f.identity {
                let _ = writeln!(
                    body,
                    "        // {name:?} must be a type of this consumer that implements FieldType."
                );
            }
            let _ = writeln!(body, "        pub {field}: {},", rust_type(&f.identity)?);
        }
        for a in &t.accessors {
            let field = rust_field(&a.name)?;
            let Some(token) = rust_accessor_token(a)? else {
                let _ = writeln!(
                    body,
                    "        // `{}`: {a}, which this version of gen does not read.",
                    a.name
                );
                continue;
            };
            let _ = writeln!(body, "        pub {field}: {token},");
        }
        body.push_str("    }\n}\n");
    }
    if types.is_empty() {
        if !module.functions.is_empty() {
            let _ = writeln!(
                body,
                "\napi! {{\n    /// The functions of module {:?}: remove those this host does not call.",
                module.name
            );
            let _ = writeln!(body, "    pub struct Api = {:?} {{", module.name);
            for f in &module.functions {
                let _ = writeln!(
                    body,
                    "        pub {}: Func<{}>,",
                    rust_field(&f.name)?,
                    rust_signature(f, None)?
                );
            }
            body.push_str("    }\n}\n");
        }
        gen_rust_interfaces(module, &mut body)?;
    }
    // Import exactly the names the declarations use (no unused imports in
    // the consumer's build).
    let used: std::collections::BTreeSet<&str> = body
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .collect();
    let names: Vec<&str> = [
        "api",
        "enum_view",
        "interface",
        "view",
        "Elems",
        "ElemsOf",
        "Field",
        "Func",
        "In",
        "InMut",
        "Nested",
        "OptIn",
        "OptText",
        "Out",
        "OwnedSlice",
        "OwnedStr",
        "SliceOf",
        "Str",
        "Text",
        "This",
        "ThisMut",
    ]
    .into_iter()
    .filter(|n| used.contains(n))
    .collect();
    Ok(format!(
        "// Generated by `resilient gen rust` from {:?} {:?}.\n// Remove the fields this consumer does not use: what a view does not\n// name cannot break it.\nuse resilient_types::{{{}}};\n{body}",
        module.name,
        module.version,
        names.join(", ")
    ))
}

/// An `enum_view!` of enum `name`: every case, each payload field by its
/// name (`_0` for the tuple field `0`). A payload field of a resilient type
/// is left out with a comment (a view reads payloads by value), and a case
/// with one cannot then be built by the host. A frozen enum (`frozen`: its
/// fingerprint) gets a frozen view, `frozen(..)`: no `Unknown` arm, so a
/// host matches it exhaustively (every case is named, as binding requires).
fn gen_rust_enum(
    module: &ModuleLayout,
    ty: &str,
    name: &str,
    frozen: Option<u64>,
    e: &layout_meta::EnumLayout,
    body: &mut String,
) -> Result<(), Error> {
    let (doc, frozen) = match frozen {
        Some(fp) => (
            "frozen, so matched exhaustively (drop `frozen(..)` and add an `Unknown` arm to bind by name)",
            format!(" frozen({fp:#018x})"),
        ),
        None => ("`Unknown` takes the cases a later version adds", String::new()),
    };
    let _ = writeln!(
        body,
        "\nenum_view! {{\n    /// `{ty}` of module {:?}: {doc}.",
        module.name
    );
    let _ = writeln!(
        body,
        "    pub enum {ty}Case: {ty}View = {:?}::{:?}{frozen} {{",
        module.name, name
    );
    for c in &e.cases {
        let case = identifier(&c.name, Lang::Rust)?;
        if c.fields.is_empty() {
            let _ = writeln!(body, "        {case},");
            continue;
        }
        let mut fields = Vec::new();
        for f in &c.fields {
            let field = if f.name.bytes().all(|b| b.is_ascii_digit()) {
                format!("_{}", f.name)
            } else {
                rust_field(&f.name)?
            };
            if layout_meta::compat::contains_resilient(&f.identity) {
                fields.push(format!(
                    "/* {field}: {} is a resilient type: not read by value */",
                    f.identity
                ));
                continue;
            }
            fields.push(format!("{field}: {}", rust_type(&f.identity)?));
        }
        let _ = writeln!(
            body,
            "        {case}({ty}{case}View {{ {} }}),",
            fields.join(", ")
        );
    }
    body.push_str("    }\n}\n");
    Ok(())
}

/// One `interface!` per interface the module's types implement: every
/// method any implementation has, as `Option<Func<..>>` where some
/// implementation lacks it (what `gen cpp` declares too: [`interfaces`]).
fn gen_rust_interfaces(module: &ModuleLayout, out: &mut String) -> Result<(), Error> {
    for (iface, methods) in interfaces(module) {
        let name = identifier(iface, Lang::Rust)?;
        let by: Vec<&str> = module
            .impls_of(iface)
            .map(|i| i.type_name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "\ninterface! {{\n    /// Interface `{iface}` of module {:?}, implemented by {}: remove the methods this host does not call.",
            module.name,
            by.join(", ")
        );
        let _ = writeln!(
            out,
            "    pub struct {name}Iface = {:?}::{iface:?} {{",
            module.name
        );
        for m in methods {
            let field = rust_field(m.name)?;
            let Some(f) = m.layout else {
                let _ = writeln!(
                    out,
                    "        // `{field}` is left out: its implementations give it different signatures."
                );
                continue;
            };
            let token = format!("Func<{}>", rust_signature(f, Some(()))?);
            if m.required {
                let _ = writeln!(out, "        pub {field}: {token},");
            } else {
                let _ = writeln!(
                    out,
                    "        /// Not every implementation has it.\n        pub {field}: Option<{token}>,"
                );
            }
        }
        out.push_str("    }\n}\n");
    }
    Ok(())
}

/// A function's signature as `api!` writes it (`fn(In<WidgetView>, Str) ->
/// u64`); for a method (`receiver`), the first parameter is `This` or
/// `ThisMut`.
fn rust_signature(f: &layout_meta::FunctionLayout, receiver: Option<()>) -> Result<String, Error> {
    use layout_meta::function::pass;
    let mut params = Vec::new();
    for (i, p) in f.params.iter().enumerate() {
        params.push(match (receiver, i, p.pass) {
            (Some(()), 0, pass::REF) => "This".to_owned(),
            (Some(()), 0, pass::MUT) => "ThisMut".to_owned(),
            _ => rust_param(p)?,
        });
    }
    let ret = match f.ret.pass {
        pass::UNIT => String::new(),
        _ => format!(" -> {}", rust_param(&f.ret)?),
    };
    Ok(format!("fn({}){ret}", params.join(", ")))
}

/// One method of an interface as `gen` declares it: its record in the first
/// implementation that has it, and whether every implementation has it
/// (else the host declares it optional). `None` as the layout: the
/// implementations give it different signatures, which one declaration
/// cannot bind.
struct IfaceMethod<'a> {
    name: &'a str,
    layout: Option<&'a layout_meta::FunctionLayout>,
    required: bool,
}

/// A method's signature as binding compares it, the receiver's type left
/// out (it is each implementation's own): pass codes and identities.
fn method_signature(f: &layout_meta::FunctionLayout) -> Vec<(u32, Option<&Identity>)> {
    f.params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.pass, (i > 0).then_some(&p.identity)))
        .chain([(f.ret.pass, Some(&f.ret.identity))])
        .collect()
}

/// The interfaces the module's implementations implement, in manifest
/// order, each with the union of its implementations' methods (in order of
/// first appearance).
fn interfaces(module: &ModuleLayout) -> Vec<(&str, Vec<IfaceMethod<'_>>)> {
    let mut out: Vec<(&str, Vec<IfaceMethod<'_>>)> = Vec::new();
    for imp in &module.impls {
        if out.iter().any(|(i, _)| *i == imp.interface) {
            continue;
        }
        let impls: Vec<&layout_meta::ImplLayout> = module.impls_of(&imp.interface).collect();
        let mut methods: Vec<IfaceMethod<'_>> = Vec::new();
        for m in impls.iter().flat_map(|i| &i.methods) {
            if methods.iter().any(|x| x.name == m.name) {
                continue;
            }
            let all: Vec<Option<&layout_meta::FunctionLayout>> =
                impls.iter().map(|i| i.method(&m.name)).collect();
            let same = all
                .iter()
                .flatten()
                .all(|o| method_signature(o) == method_signature(m));
            methods.push(IfaceMethod {
                name: &m.name,
                layout: same.then_some(m),
                required: all.iter().all(Option::is_some),
            });
        }
        out.push((imp.interface.as_str(), methods));
    }
    out
}

/// A parameter's (or result's) marker type in `api!`.
fn rust_param(p: &layout_meta::ParamLayout) -> Result<String, Error> {
    use layout_meta::function::pass;
    let view = |p: &layout_meta::ParamLayout| -> Result<String, Error> {
        Ok(format!(
            "{}View",
            identifier(p.identity.name(), Lang::Rust)?
        ))
    };
    Ok(match p.pass {
        pass::VALUE => rust_value_type(&p.identity)?,
        pass::REF => format!("In<{}>", view(p)?),
        pass::MUT => format!("InMut<{}>", view(p)?),
        pass::OPT_REF => format!("OptIn<{}>", view(p)?),
        pass::OWNED => format!("Out<{}>", view(p)?),
        pass::OWNED_STR => "OwnedStr".into(),
        pass::OWNED_SLICE => format!("OwnedSlice<{}>", rust_value_type(&p.identity)?),
        pass::STR => "Str".into(),
        pass::SLICE => format!("SliceOf<{}>", rust_value_type(&p.identity)?),
        other => {
            return Err(Error::NotAnIdentifier {
                lang: "rust",
                name: format!("<unknown pass code {other}>"),
            })
        }
    })
}

/// A language `gen` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Rust,
    Cpp,
}

const RUST_KEYWORDS: &[&str] = &[
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

const CPP_KEYWORDS: &[&str] = &[
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "char16_t",
    "char32_t",
    "char8_t",
    "class",
    "co_await",
    "co_return",
    "co_yield",
    "compl",
    "concept",
    "const",
    "const_cast",
    "consteval",
    "constexpr",
    "constinit",
    "continue",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "requires",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
];

/// `name` if `gen` may write it as an identifier of `lang`: ASCII letters,
/// digits and `_`, not starting with a digit, not a keyword. Library names
/// are untrusted: anything else could inject code into the consumer.
fn identifier(name: &str, lang: Lang) -> Result<&str, Error> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
        && !match lang {
            Lang::Rust => RUST_KEYWORDS,
            Lang::Cpp => CPP_KEYWORDS,
        }
        .contains(&name);
    accepted(ok, name, lang)
}

/// A field name as a Rust identifier: a keyword that may be raw (`type`)
/// is written raw (`r#type`), which `view!` binds to the field `type`.
fn rust_field(name: &str) -> Result<String, Error> {
    match identifier(name, Lang::Rust) {
        Ok(name) => Ok(name.to_owned()),
        Err(e)
            if !["self", "Self", "super", "crate", "_"].contains(&name)
                && RUST_KEYWORDS.contains(&name) =>
        {
            drop(e);
            Ok(format!("r#{name}"))
        }
        Err(e) => Err(e),
    }
}

/// `name`, or the error that it may not be written in `lang`.
fn accepted(ok: bool, name: &str, lang: Lang) -> Result<&str, Error> {
    if ok {
        Ok(name)
    } else {
        Err(Error::NotAnIdentifier {
            lang: lang.name(),
            name: name.to_owned(),
        })
    }
}

impl Lang {
    fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Cpp => "c++",
        }
    }
}

/// The C++ type the client (`resilient/client.hpp`) reads and writes a
/// field of identity `id` as: the `T` whose `rsl::identity<T>` is `id`
/// (`resilient/identity.hpp`), written with `::std::` so that no member name
/// can change its meaning. `None` for what the client has no type for
/// (`u128`, `i128`, `usize`, `isize`, opaque types) and for nested
/// resilient types (declared with `View::nested`).
fn cpp_value_type(id: &Identity) -> Option<String> {
    match id {
        Identity::Scalar { name, .. } => Some(
            match &**name {
                "u8" => "::std::uint8_t",
                "u16" => "::std::uint16_t",
                "u32" => "::std::uint32_t",
                "u64" => "::std::uint64_t",
                "i8" => "::std::int8_t",
                "i16" => "::std::int16_t",
                "i32" => "::std::int32_t",
                "i64" => "::std::int64_t",
                "f32" => "float",
                "f64" => "double",
                "bool" => "bool",
                // A Unicode scalar value, read and written checked.
                "char" => "char32_t",
                _ => return None,
            }
            .to_owned(),
        ),
        Identity::Array { element, count, .. } => Some(format!(
            "::std::array<{}, {count}>",
            cpp_value_type(element)?
        )),
        Identity::Resilient { .. } | Identity::Opaque { .. } => None,
    }
}

/// `s` as a C++ string literal that is also safe in a `//` comment: ASCII
/// letters, digits and ` _-.+:@` as they are, every other byte of its UTF-8
/// as a three-digit octal escape (so no quote, backslash, `/*`, trigraph
/// or line break is ever written, and no escape runs into the next
/// character). Module and type names are untrusted.
fn cpp_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b" _-.+:@".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\{b:03o}");
        }
    }
    out.push('"');
    out
}

/// A field's type for a comment: its display if only type-name characters
/// (`[u8; 4]`, `u128`, `PhantomData<String>`), else a placeholder.
fn comment_type(id: &Identity) -> String {
    let shown = id.to_string();
    match type_name(&shown, Lang::Cpp) {
        Ok(_) => format!("`{shown}`"),
        Err(_) => "a type whose name cannot be written here".to_owned(),
    }
}

/// `gen cpp`: a C++17 header declaring, for each of `types` (all if empty),
/// a view and its tokens on the C++ client (`resilient/client.hpp`, over the
/// C API), so that the consumer validates, binds and reaches fields only
/// through the Rust loader, binder and checked field access:
///
/// - `<Type>_view()`: the `rsl::View` (module, type, each field with the C++
///   type it is read as, required, or optional if named `Type.field` in
///   `optional`; nested resilient fields through `View::nested`);
/// - `struct <Type>Fields`: one `rsl::Field<T>` token per field read by
///   value (`std::optional` for optional fields);
/// - `<Type>_fields(bound)`: the tokens of a binding made by
///   `lib.bind(<Type>_view())`.
///
/// Fields the client has no C++ type for (`u128`, `i128`, `usize`,
/// `isize`, opaque types) are left out of the view, with a comment: what a
/// view does not name cannot break it. Frozen types are viewed by their
/// fields: the client's `rsl::View` cannot yet expect a frozen layout.
///
/// When all types are generated (`types` empty), also, as `gen rust` writes
/// `api!` and `interface!`:
///
/// - `struct Api`: one `rsl::Function<R(Args...)>` per function of the
///   module, and `Api_bind(lib)`, which binds them all (each by the Rust
///   binder, with the type each reference parameter points to);
/// - per interface the module's types implement, `struct <I>Interface`: the
///   `rsl::Interface` declaration and one `rsl::Method<R(rsl::This, ...)>`
///   per method (`optional` for a method not every implementation has), and
///   `<I>_interface()`, which declares them.
///
/// A function or method whose name is not a C++ member name (a keyword,
/// the struct's own name), that the client cannot call (a `u128`, an
/// array by value), or that implementations give different signatures, is
/// left out with a comment.
///
/// # Errors
///
/// [`Error::NotAnIdentifier`] if a generated type's name or one of its
/// fields' names is not a C++ identifier (library names are untrusted; only
/// identifiers are written as code, other names only inside escaped string
/// literals); [`Error::NoSuchField`] if an entry of `optional` names no
/// field of a generated type; [`Error::NoSuchType`] if `types` names a
/// type the module lacks.
pub fn gen_cpp(
    module: &ModuleLayout,
    types: &[String],
    optional: &[String],
) -> Result<String, Error> {
    // A nested field is declared by name (`View::nested`): its type needs
    // no view of its own.
    let selected = selected_types(module, types, false)?;
    if let Some(unknown) = optional.iter().find(|o| {
        !selected.iter().any(|t| {
            t.fields
                .iter()
                .any(|f| o.as_str() == format!("{}.{}", t.name, f.name))
        })
    }) {
        return Err(Error::NoSuchField {
            name: unknown.clone(),
        });
    }
    let module_lit = cpp_literal(&module.name);
    let mut out = format!(
        "// Generated by `resilient gen cpp` from {module_lit} {}.\n\
         // Every access goes through the C++ client (resilient/client.hpp) over the\n\
         // C API: the library is validated by the Rust loader when opened, each\n\
         // view is bound by the Rust binder (layout_meta::compat::bind_view), and\n\
         // fields are read and written through the binding's checked tokens (size,\n\
         // binding, and valid bytes for bool and char32_t). Link the C API\n\
         // (libresilient.a with -ldl -lpthread -lm, or CMake's resilient::client).\n\
         //\n\
         //     ::rsl::Library lib = ::rsl::Library::open(path);\n\
         //     ::rsl::Bound w = lib.bind(Type_view());  // every mismatch in one rsl::Error\n\
         //     TypeFields f = Type_fields(w);\n\
         //     ::rsl::Value v(w);\n\
         //     auto x = v.get(f.field);\n\
         //\n\
         // Remove the fields this consumer does not use: what a view does not\n\
         // name cannot break it.\n\
         #pragma once\n\
         #include <array>\n\
         #include <cstdint>\n\
         #include <optional>\n\
         #include <string_view>\n\
         \n\
         #include \"resilient/client.hpp\"\n",
        cpp_literal(&module.version)
    );
    // The enums this header declares views of: a struct's field of one is
    // reached through its view (`View::nested(name, Enum_view())`), declared
    // first.
    let enums: Vec<&str> = selected
        .iter()
        .filter(|t| t.is_enum())
        .map(|t| identifier(&t.name, Lang::Cpp))
        .collect::<Result<_, _>>()?;
    if !enums.is_empty() && selected.iter().any(|t| !t.is_enum()) {
        out.push('\n');
        for n in &enums {
            let _ = writeln!(out, "inline ::rsl::EnumView {n}_view();");
        }
    }
    for t in selected {
        let n = identifier(&t.name, Lang::Cpp)?;
        if let Some(e) = &t.enum_info {
            gen_cpp_enum(&module_lit, n, e, &mut out)?;
            continue;
        }
        let is_optional = |field: &str| optional.iter().any(|o| *o == format!("{n}.{field}"));
        let _ = writeln!(
            out,
            "\n/// The view of `{n}` (module {module_lit}) this consumer needs: each field\n\
             /// with the C++ type it is read as. Bind it with `lib.bind({n}_view())`."
        );
        if t.flags & flags::FROZEN != 0 {
            let _ = writeln!(
                out,
                "/// `{n}` is frozen (fingerprint {:#018x} here); `rsl::View` cannot\n\
                 /// expect a frozen layout yet, so this view binds by its fields alone.",
                t.fingerprint
            );
        }
        let _ = writeln!(
            out,
            "inline ::rsl::View {n}_view() {{\n    ::rsl::View view({module_lit}, \"{n}\");"
        );
        // (field, C++ type, optional) of the fields read by value.
        let mut tokens: Vec<(&str, String, bool)> = Vec::new();
        for f in &t.fields {
            let field = identifier(&f.name, Lang::Cpp)?;
            let opt = is_optional(field);
            match (&f.identity, cpp_value_type(&f.identity)) {
                (_, Some(ct)) => {
                    let method = if opt { "optional" } else { "field" };
                    let _ = writeln!(out, "    view.{method}<{ct}>(\"{field}\");");
                    tokens.push((field, ct, opt));
                }
                (Identity::Resilient { name, .. }, None)
                    if enums.contains(&name.as_str())
                        && module.get(name).is_some_and(|t| t.is_enum()) =>
                {
                    let _ = writeln!(
                        out,
                        "    // `{field}`: a nested enum, read through its view (`bound.nested(\"{field}\")`).\n    \
                         view.nested(\"{field}\", {name}_view(), {});",
                        !opt
                    );
                }
                (Identity::Resilient { name, .. }, None) => {
                    let _ = writeln!(
                        out,
                        "    // `{field}`: a nested resilient {}, checked by the binder; the\n    \
                         // client gives no token into a nested value.\n    \
                         view.nested(\"{field}\", {}, {});",
                        cpp_literal(name),
                        cpp_literal(name),
                        !opt
                    );
                }
                (other, None) => {
                    let _ = writeln!(
                        out,
                        "    // `{field}` ({}) is left out: the C++ client has no type for it.",
                        comment_type(other)
                    );
                }
            }
        }
        for a in &t.accessors {
            use layout_meta::accessor::shape;
            let field = identifier(&a.name, Lang::Cpp)?;
            // A computed field reads and writes by value, as a stored one
            // (the binder calls the library's getter and setter); text and
            // elements through the client's `Text`, `OptText`, `Elems<T>`.
            let ct = match (a.shape, a.is_optional()) {
                (shape::VALUE, _) => cpp_value_type(&a.identity),
                (shape::STR, false) => Some("::rsl::Text".to_owned()),
                (shape::STR, true) => Some("::rsl::OptText".to_owned()),
                (shape::SLICE, false) => {
                    cpp_value_type(&a.identity).map(|e| format!("::rsl::Elems<{e}>"))
                }
                _ => None,
            };
            let Some(ct) = ct else {
                let _ = writeln!(
                    out,
                    "    // `{field}` ({a}) is left out: the C++ client has no type for it."
                );
                continue;
            };
            let opt = is_optional(field);
            let method = if opt { "optional" } else { "field" };
            let note = if a.shape == shape::VALUE {
                " // computed by the library"
            } else {
                " // through the library's accessors"
            };
            let _ = writeln!(out, "    view.{method}<{ct}>(\"{field}\");{note}");
            tokens.push((field, ct, opt));
        }
        out.push_str("    return view;\n}\n");
        let _ = writeln!(
            out,
            "\n/// The tokens of a binding of `{n}_view()`: every read and write goes\n\
             /// through them (`value.get(fields.x)`), checked by the C API.\n\
             struct {n}Fields {{"
        );
        for (field, ct, opt) in &tokens {
            if *opt {
                let _ = writeln!(out, "    ::std::optional<::rsl::Field<{ct}>> {field};");
            } else {
                let _ = writeln!(out, "    ::rsl::Field<{ct}> {field};");
            }
        }
        let _ = writeln!(
            out,
            "}};\n\n\
             /// The tokens of `bound`, made by `lib.bind({n}_view())` (an rsl::Error if\n\
             /// it binds another view). Optional fields the library lacks are empty.\n\
             inline {n}Fields {n}_fields(const ::rsl::Bound &bound) {{\n    \
             {n}Fields fields{{}};"
        );
        if tokens.is_empty() {
            out.push_str("    static_cast<void>(bound);\n");
        }
        for (field, ct, opt) in &tokens {
            if *opt {
                let _ = writeln!(
                    out,
                    "    if (::rsl::Field<{ct}> t{{}}; bound.optional(\"{field}\", t)) fields.{field} = t;"
                );
            } else {
                let _ = writeln!(out, "    fields.{field} = bound.field<{ct}>(\"{field}\");");
            }
        }
        out.push_str("    return fields;\n}\n");
    }
    if types.is_empty() {
        gen_cpp_calls(module, &module_lit, &mut out);
    }
    Ok(out)
}

/// `gen cpp`'s declarations of enum `n` (see [`gen_cpp`]): `<Enum>_view()`,
/// the `rsl::EnumView` of every case with each payload field the client has
/// a C++ type for (a Rust tuple field `0` by that name); `<Enum>Cases`, each
/// case's index in it; `<Enum>Payloads` and `<Enum>_payloads(bound)`, the
/// payload tokens of a binding, per case (a field `0` as member `_0`).
///
/// # Errors
///
/// [`Error::NotAnIdentifier`] if a case's name, or a payload field's (other
/// than a tuple field's number), is not a C++ identifier.
fn gen_cpp_enum(
    module_lit: &str,
    n: &str,
    e: &layout_meta::EnumLayout,
    out: &mut String,
) -> Result<(), Error> {
    // (case, [(field, member, C++ type)]), and whether each case can be
    // built from the fields its view names.
    let mut cases = Vec::new();
    for c in &e.cases {
        let case = identifier(&c.name, Lang::Cpp)?;
        let mut fields = Vec::new();
        let mut left_out = Vec::new();
        for f in &c.fields {
            let member = if !f.name.is_empty() && f.name.bytes().all(|b| b.is_ascii_digit()) {
                format!("_{}", f.name)
            } else {
                identifier(&f.name, Lang::Cpp)?.to_owned()
            };
            match cpp_value_type(&f.identity) {
                Some(ct) => fields.push((f.name.as_str(), member, ct)),
                None => left_out.push((member, comment_type(&f.identity))),
            }
        }
        cases.push((case, fields, left_out));
    }
    let _ = writeln!(
        out,
        "\n/// The view of enum `{n}` (module {module_lit}) this consumer needs: each case\n\
         /// with the payload fields it reads, each with the C++ type it is read as.\n\
         /// Bind it with `lib.bind({n}_view())`: a case the view names that the library\n\
         /// lacks is refused; one the library has that the view does not name reads as\n\
         /// ::rsl::UNKNOWN_CASE (`bound.case_of(value)`, compared with `{n}Cases`).\n\
         inline ::rsl::EnumView {n}_view() {{\n    ::rsl::EnumView view({module_lit}, \"{n}\");"
    );
    for (case, fields, left_out) in &cases {
        for (member, ty) in left_out {
            let _ = writeln!(
                out,
                "    // `{case}.{member}` ({ty}) is left out: the C++ client has no type for it, so this\n    \
                 // host cannot build `{case}`."
            );
        }
        if fields.is_empty() {
            let _ = writeln!(out, "    view.add_case(\"{case}\");");
        } else {
            let list: Vec<String> = fields
                .iter()
                .map(|(name, _, ct)| format!("::rsl::payload<{ct}>(\"{name}\")"))
                .collect();
            let _ = writeln!(
                out,
                "    view.add_case(\"{case}\", {{{}}});",
                list.join(", ")
            );
        }
    }
    out.push_str("    return view;\n}\n");
    let _ = writeln!(
        out,
        "\n/// The index of each case of `{n}_view()`: what `bound.case_of(value)` gives.\n\
         struct {n}Cases {{"
    );
    for (i, (case, _, _)) in cases.iter().enumerate() {
        let _ = writeln!(out, "    static constexpr ::std::size_t {case} = {i};");
    }
    let _ = writeln!(
        out,
        "}};\n\n\
         /// The payload tokens of a binding of `{n}_view()`, per case: read them from a\n\
         /// value in that case (`value.get(payloads.Case.field)`; a value in another\n\
         /// case is refused).\n\
         struct {n}Payloads {{"
    );
    for (case, fields, _) in cases.iter().filter(|c| !c.1.is_empty()) {
        let _ = writeln!(out, "    struct {case}_payload {{");
        for (_, member, ct) in fields {
            let _ = writeln!(out, "        ::rsl::Field<{ct}> {member};");
        }
        let _ = writeln!(out, "    }} {case};");
    }
    let _ = writeln!(
        out,
        "}};\n\n\
         /// The payload tokens of `bound`, made by `lib.bind({n}_view())` (an\n\
         /// rsl::Error if it binds another view).\n\
         inline {n}Payloads {n}_payloads(const ::rsl::Bound &bound) {{\n    \
         {n}Payloads payloads{{}};"
    );
    if cases.iter().all(|c| c.1.is_empty()) {
        out.push_str("    static_cast<void>(bound);\n");
    }
    for (case, fields, _) in &cases {
        for (name, member, ct) in fields {
            let _ = writeln!(
                out,
                "    payloads.{case}.{member} = bound.payload<{ct}>({n}Cases::{case}, \"{name}\");"
            );
        }
    }
    out.push_str("    return payloads;\n}\n");
    Ok(())
}

/// The C++ type the client (`resilient/client.hpp`) passes or returns a
/// scalar of identity `id` as (by value): `cpp_value_type`'s, and
/// `rsl::usize`/`rsl::isize` for Rust's `usize` and `isize`. `None` for what
/// the client cannot pass (`u128`, `i128`, arrays, opaque types).
fn cpp_scalar_arg(id: &Identity) -> Option<String> {
    match id {
        Identity::Scalar { name, .. } if name == "usize" => Some("::rsl::usize".into()),
        Identity::Scalar { name, .. } if name == "isize" => Some("::rsl::isize".into()),
        Identity::Scalar { .. } => cpp_value_type(id),
        _ => None,
    }
}

/// How the C++ client declares a parameter: its marker type
/// (`function.hpp`, `client.hpp`) and, for a reference, the exported type it
/// points to (named when binding). `None` if the client cannot pass it.
fn cpp_param(p: &layout_meta::ParamLayout) -> Option<(String, Option<&str>)> {
    use layout_meta::function::pass;
    let referent = || Some(p.identity.name());
    Some(match p.pass {
        pass::VALUE => (cpp_scalar_arg(&p.identity)?, None),
        pass::REF => ("::rsl::Ref".into(), referent()),
        pass::MUT => ("::rsl::Mut".into(), referent()),
        pass::OPT_REF => ("::rsl::OptRef".into(), referent()),
        pass::STR => ("::std::string_view".into(), None),
        pass::SLICE => match &p.identity {
            Identity::Scalar { name, .. } if name != "bool" && name != "char" => (
                format!("::rsl::Slice<{}>", cpp_scalar_arg(&p.identity)?),
                None,
            ),
            _ => return None,
        },
        _ => return None,
    })
}

/// The C++ signature of a function (`R(A...)`) whose parameters from
/// `first` on are `params`, after the markers in `lead` (a method's
/// receiver), and the exported type each reference parameter points to, as
/// string literals. `None` if the client cannot pass or return one of them.
fn cpp_signature(
    f: &layout_meta::FunctionLayout,
    lead: &[&str],
    first: usize,
) -> Option<(String, Vec<String>)> {
    use layout_meta::function::pass;
    let ret = match f.ret.pass {
        pass::UNIT => "void".to_owned(),
        pass::VALUE => cpp_scalar_arg(&f.ret.identity)?,
        _ => return None,
    };
    let mut args: Vec<String> = lead.iter().map(|s| (*s).to_owned()).collect();
    let mut types = Vec::new();
    for p in f.params.get(first..).unwrap_or_default() {
        let (ty, referent) = cpp_param(p)?;
        args.push(ty);
        types.extend(referent.map(cpp_literal));
    }
    Some((format!("{ret}({})", args.join(", ")), types))
}

/// `, {"A", "B"}` for the types of reference parameters, or nothing.
fn cpp_types_arg(types: &[String]) -> String {
    if types.is_empty() {
        String::new()
    } else {
        format!(", {{{}}}", types.join(", "))
    }
}

/// `gen cpp`'s functions and interfaces (see [`gen_cpp`]).
fn gen_cpp_calls(module: &ModuleLayout, module_lit: &str, out: &mut String) {
    const API: &str = "Api";
    if !module.functions.is_empty() {
        let _ = writeln!(
            out,
            "\n/// The functions of module {module_lit} this consumer calls, each bound once\n\
             /// with its C++ signature, checked by the Rust binder\n\
             /// (layout_meta::compat::bind_function), and called through the\n\
             /// library's thunk: `Api api = Api_bind(lib); api.parse_id(\"42\");`.\n\
             /// Remove those this host does not call.\n\
             struct {API} {{"
        );
        let mut bound = Vec::new();
        for f in &module.functions {
            let lit = cpp_literal(&f.name);
            let name = match identifier(&f.name, Lang::Cpp) {
                Ok(n) if n != API => n,
                _ => {
                    let _ = writeln!(
                        out,
                        "    // Function {lit} is left out: its name is no C++ member name here."
                    );
                    continue;
                }
            };
            match cpp_signature(f, &[], 0) {
                Some((sig, types)) => {
                    let _ = writeln!(out, "    ::rsl::Function<{sig}> {name};");
                    bound.push(format!(
                        "        api.function<{sig}>({lit}{}),",
                        cpp_types_arg(&types)
                    ));
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    // `{name}` is left out: the C++ client cannot pass or return one of its types."
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "}};\n\n\
             /// Binds every function of `{API}` in `lib` (an rsl::Error naming the first\n\
             /// that the library lacks or retyped).\n\
             inline {API} {API}_bind(const ::rsl::Library &lib) {{\n    \
             ::rsl::Api api = lib.api({module_lit});"
        );
        if bound.is_empty() {
            let _ = writeln!(
                out,
                "    static_cast<void>(api);\n    return {API}{{}};\n}}"
            );
        } else {
            let _ = writeln!(out, "    return {API}{{");
            for b in &bound {
                out.push_str(b);
                out.push('\n');
            }
            out.push_str("    };\n}\n");
        }
    }
    const DECL: &str = "declaration";
    for (iface, methods) in interfaces(module) {
        let ilit = cpp_literal(iface);
        let Ok(name) = identifier(iface, Lang::Cpp) else {
            let _ = writeln!(
                out,
                "\n// Interface {ilit} is left out: its name is no C++ identifier."
            );
            continue;
        };
        let ty = format!("{name}Interface");
        let _ = writeln!(
            out,
            "\n/// Interface {ilit} of module {module_lit}: the methods this consumer calls, each\n\
             /// with its C++ signature (the receiver first), checked when\n\
             /// `lib.implementations(i.{DECL})` binds them (the Rust binder, each\n\
             /// implementation's type as the receiver); `imp.method(i.key)` is then an\n\
             /// rsl::Function. Remove the methods this host does not call.\n\
             struct {ty} {{\n    \
             ::rsl::Interface {DECL};"
        );
        let mut declared = Vec::new();
        for m in &methods {
            let lit = cpp_literal(m.name);
            let mname = match identifier(m.name, Lang::Cpp) {
                Ok(n) if n != ty && n != DECL => n,
                _ => {
                    let _ = writeln!(
                        out,
                        "    // Method {lit} is left out: its name is no C++ member name here."
                    );
                    continue;
                }
            };
            let Some(f) = m.layout else {
                let _ = writeln!(
                    out,
                    "    // `{mname}` is left out: its implementations give it different signatures."
                );
                continue;
            };
            let receiver = match f.params.first().map(|p| p.pass) {
                Some(layout_meta::function::pass::MUT) => "::rsl::ThisMut",
                _ => "::rsl::This",
            };
            let Some((sig, types)) = cpp_signature(f, &[receiver], 1) else {
                let _ = writeln!(
                    out,
                    "    // `{mname}` is left out: the C++ client cannot pass or return one of its types."
                );
                continue;
            };
            if !m.required {
                out.push_str(
                    "    /// Not every implementation has it (Implementation::optional).\n",
                );
            }
            let _ = writeln!(out, "    ::rsl::Method<{sig}> {mname};");
            let how = if m.required { "method" } else { "optional" };
            declared.push((
                mname,
                format!("{DECL}.{how}<{sig}>({lit}{})", cpp_types_arg(&types)),
            ));
        }
        let _ = writeln!(
            out,
            "}};\n\n\
             /// The declaration of {ilit}: bind it with `lib.implementations(i.{DECL})`.\n\
             inline {ty} {name}_interface() {{\n    \
             ::rsl::Interface {DECL}({module_lit}, {ilit});"
        );
        for (m, decl) in &declared {
            let _ = writeln!(out, "    auto {m} = {decl};");
        }
        let fields: Vec<&str> = core::iter::once(DECL)
            .chain(declared.iter().map(|(m, _)| *m))
            .collect();
        let _ = writeln!(out, "    return {ty}{{{}}};\n}}", fields.join(", "));
    }
}

/// At most this many problems are printed for one view; the rest are
/// counted.
pub const MAX_PROBLEMS: usize = 64;

/// What a consumer needs of a module: a view of a type, an enum view, or a
/// function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedKind {
    /// A view (`view!`) of a type.
    View,
    /// An enum view (`enum_view!`, `RSL_ENUM_VIEW`) of an enum.
    EnumView,
    /// A function (`api!`).
    Function,
}

impl NeedKind {
    /// `view`, `enum_view` or `function`, as `check --json` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            NeedKind::View => "view",
            NeedKind::EnumView => "enum_view",
            NeedKind::Function => "function",
        }
    }
}

/// `check`'s verdict on one need of the consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedVerdict {
    /// A view or a function.
    pub kind: NeedKind,
    /// The type viewed, or the function.
    pub name: String,
    /// Whether the need binds if the library lacks it (a function declared
    /// `Option`); views are always required, their fields may be optional.
    pub required: bool,
    /// Every reason it does not bind (by the run-time rule); empty: it
    /// binds.
    pub problems: Vec<String>,
}

impl NeedVerdict {
    /// Whether it binds.
    pub fn binds(&self) -> bool {
        self.problems.is_empty()
    }

    /// ``view of `Widget` ``, ``enum view of `Status` `` or ``function
    /// `weight_lb` ``.
    pub fn label(&self) -> String {
        match self.kind {
            NeedKind::View => format!("view of `{}`", self.name),
            NeedKind::EnumView => format!("enum view of `{}`", self.name),
            NeedKind::Function => format!("function `{}`", self.name),
        }
    }
}

/// `check`: every problem with each of the consumer's views that concern
/// `module` (views of other modules are skipped), as
/// [`layout_meta::compat::bind_view`] (the run-time binder's rule) finds
/// them, at most [`MAX_PROBLEMS`] per view. No problem: it binds.
pub fn check_consumer(
    module: &ModuleLayout,
    needs: &[layout_meta::needs::ViewNeed],
) -> Vec<NeedVerdict> {
    needs
        .iter()
        .filter(|n| layout_meta::compat::same_module(&n.module, &module.name))
        .map(|n| NeedVerdict {
            kind: NeedKind::View,
            name: n.type_name.clone(),
            required: true,
            problems: problems_of(layout_meta::compat::bind_view(n, module)),
        })
        .collect()
}

/// Every mismatch of a verdict, at most [`MAX_PROBLEMS`] and a count of
/// the rest.
fn problems_of<T>(verdict: Result<T, Vec<layout_meta::compat::Mismatch>>) -> Vec<String> {
    let mut problems: Vec<String> = match verdict {
        Ok(_) => Vec::new(),
        Err(m) => m.iter().map(ToString::to_string).collect(),
    };
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("and {more} more"));
    }
    problems
}

/// `check`, for the consumer's enum views (`enum_view!`,
/// `RSL_ENUM_VIEW`): each bound by [`layout_meta::compat::bind_enum_view`],
/// the rule the run-time binder applies (cases by name, payload fields by
/// the field rule, a frozen view's fingerprint and cases), at most
/// [`MAX_PROBLEMS`] problems each. Enum views of other modules are skipped.
pub fn check_consumer_enums(
    module: &ModuleLayout,
    needs: &[layout_meta::needs::EnumNeed],
) -> Vec<NeedVerdict> {
    needs
        .iter()
        .filter(|n| layout_meta::compat::same_module(&n.module, &module.name))
        .map(|n| NeedVerdict {
            kind: NeedKind::EnumView,
            name: n.type_name.clone(),
            required: true,
            problems: problems_of(layout_meta::compat::bind_enum_view(n, module)),
        })
        .collect()
}

/// `check`, for the functions a consumer calls (`api!`'s records): each
/// bound by [`layout_meta::compat::bind_function`], the run-time rule.
/// Functions of other modules are skipped.
pub fn check_consumer_functions(
    module: &ModuleLayout,
    needs: &[layout_meta::needs::FnNeed],
) -> Vec<NeedVerdict> {
    needs
        .iter()
        .filter(|n| layout_meta::compat::same_module(&n.module, &module.name))
        .map(|n| {
            let found = module.function(&n.function.name);
            let problems = match layout_meta::compat::bind_function(&n.function, n.required, found)
            {
                Ok(_) => Vec::new(),
                Err(m) => vec![m.to_string()],
            };
            NeedVerdict {
                kind: NeedKind::Function,
                name: n.function.name.clone(),
                required: n.required,
                problems,
            }
        })
        .collect()
}

/// What `check` found: the verdict on each need the consumer records of the
/// library's module, and the other modules it records needs of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    /// The library's module.
    pub module: String,
    /// Its version.
    pub version: String,
    /// The consumer's needs of it: views first, then enum views, then
    /// functions, each in the consumer's record order.
    pub needs: Vec<NeedVerdict>,
    /// The modules of the consumer's other needs (sorted, once each).
    pub other_modules: Vec<String>,
}

/// `check`: binds every view, enum view and function need the consumer
/// records of `module` ([`check_consumer`], [`check_consumer_enums`],
/// [`check_consumer_functions`]).
pub fn check(
    module: &ModuleLayout,
    views: &[layout_meta::needs::ViewNeed],
    enums: &[layout_meta::needs::EnumNeed],
    functions: &[layout_meta::needs::FnNeed],
) -> CheckReport {
    let mut needs = check_consumer(module, views);
    needs.extend(check_consumer_enums(module, enums));
    needs.extend(check_consumer_functions(module, functions));
    let other_modules: std::collections::BTreeSet<&str> = views
        .iter()
        .map(|v| v.module.as_str())
        .chain(enums.iter().map(|e| e.module.as_str()))
        .chain(functions.iter().map(|f| f.module.as_str()))
        .filter(|m| !layout_meta::compat::same_module(m, &module.name))
        .collect();
    CheckReport {
        module: module.name.clone(),
        version: module.version.clone(),
        needs,
        other_modules: other_modules.into_iter().map(str::to_owned).collect(),
    }
}

/// The exit status of `check`: [`status::OK`] every need binds,
/// [`status::BREAKING`] one does not, [`status::NOTHING_CHECKED`] the
/// consumer records none of the module.
pub fn check_status(report: &CheckReport) -> u8 {
    if report.needs.is_empty() {
        status::NOTHING_CHECKED
    } else if report.needs.iter().all(NeedVerdict::binds) {
        status::OK
    } else {
        status::BREAKING
    }
}

/// `check`: one line per need, `binds` or `refused:` and every problem.
/// Empty if the consumer records no need of the module (see
/// [`nothing_checked`]).
pub fn check_text(report: &CheckReport) -> String {
    let mut text = String::new();
    for n in &report.needs {
        if n.binds() {
            let _ = writeln!(text, "{}: binds", n.label());
        } else {
            let _ = writeln!(text, "{}: refused: {}", n.label(), n.problems.join("; "));
        }
    }
    text
}

/// Why `check` checked nothing, and what to do (two lines, the first
/// naming `consumer`), if the consumer records no need of the module:
/// `None` otherwise.
pub fn nothing_checked(report: &CheckReport, consumer: &std::path::Path) -> Option<String> {
    if !report.needs.is_empty() {
        return None;
    }
    let m = &report.module;
    let mut out = format!(
        "{} records no view or function of module `{m}`: nothing was checked\n",
        consumer.display()
    );
    if report.other_modules.is_empty() {
        let _ = write!(
            out,
            "  pass the host that uses `{m}`: a Rust host records each `view!`, `enum_view!` and \
             `api!` it declares, a C++ host each `RSL_VIEW`, `RSL_ENUM_VIEW` and `RSL_FUNCTION` \
             (section `resilient_views`); C hosts, views made at run time and `interface!` record \
             nothing, so test those by running them against the library"
        );
    } else {
        let others: Vec<String> = report
            .other_modules
            .iter()
            .map(|o| format!("`{o}`"))
            .collect();
        let (s, which) = if others.len() == 1 {
            ("", "that module")
        } else {
            ("s", "one of them")
        };
        let _ = write!(
            out,
            "  it records needs of module{s} {}: check it against a library of {which}, \
             or pass the host that uses `{m}`",
            others.join(", ")
        );
    }
    Some(out)
}

/// `check --json` (schema [`CHECK_SCHEMA`], see
/// `crates/cli/schema/check.schema.json`): the library and its module, the
/// consumer, a verdict per need, the consumer's other modules, the exit
/// status, and, when nothing was checked, [`nothing_checked`]'s message.
/// Paths that are not UTF-8 are written lossily.
pub fn check_json(
    report: &CheckReport,
    library: &std::path::Path,
    consumer: &std::path::Path,
) -> Value {
    let mut v = json!({
        "schema": CHECK_SCHEMA,
        "library": {
            "path": library.to_string_lossy(),
            "module": { "name": report.module, "version": report.version },
        },
        "consumer": { "path": consumer.to_string_lossy() },
        "needs": report.needs.iter().map(|n| json!({
            "kind": n.kind.as_str(),
            "name": n.name,
            "required": n.required,
            "verdict": if n.binds() { "binds" } else { "refused" },
            "problems": n.problems,
        })).collect::<Vec<_>>(),
        "other_modules": report.other_modules,
        "status": check_status(report),
    });
    if let Some(m) = nothing_checked(report, consumer) {
        v["message"] = json!(m);
    }
    v
}
