//! The `resilient` tool's library: everything the binary does, testable
//! without spawning it.
//!
//! - [`inspect`]: modules, types and fields of a library, as a table or JSON;
//! - [`diff`]: every change between two versions, classified by the change
//!   rules, with a verdict per type;
//! - [`verify`]: whether a consumer binary's recorded views bind against a
//!   library;
//! - [`gen_rust`], [`gen_cpp`]: view declarations a consumer can include.
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

/// Why a command failed: one line, naming the file.
#[derive(Debug)]
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
/// `crates/cli/schema/inspect.schema.json`).
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
            "fields": t.fields.iter().map(|f| json!({
                "name": f.name,
                "offset": f.offset,
                "size": f.identity.size(),
                "align": f.identity.align(),
                "type": identity_json(&f.identity),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// `inspect`: the module as aligned tables.
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
        line(&mut out, header);
        for r in &rows {
            line(&mut out, [&r[0], &r[1], &r[2], &r[3], &r[4]]);
        }
    }
    out
}

pub use layout_meta::diff::{diff, Change, ChangeKind, Severity};

/// The exit status of `diff`: 0 no change, 4 compatible changes, 8 breaking.
pub fn diff_status(changes: &[Change]) -> u8 {
    match changes.iter().map(|c| c.severity).max() {
        None => 0,
        Some(Severity::Compatible) => 4,
        Some(Severity::Breaking) => 8,
    }
}

/// `diff`: one line per change, then a verdict per type.
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
        let _ = writeln!(
            out,
            "  {:<10}  {:<16}  {:<15}  {}",
            c.severity.as_str(),
            c.ty,
            c.kind.as_str(),
            c.detail()
        );
    }
    for (ty, s) in verdicts(changes) {
        let _ = writeln!(out, "type {ty}: {s}");
    }
    out
}

/// `diff --json` (schema [`DIFF_SCHEMA`]).
pub fn diff_json(old: &ModuleLayout, new: &ModuleLayout, changes: &[Change]) -> Value {
    json!({
        "schema": DIFF_SCHEMA,
        "old": { "name": old.name, "version": old.version },
        "new": { "name": new.name, "version": new.version },
        "changes": changes.iter().map(|c| json!({
            "type": c.ty, "kind": c.kind.as_str(), "detail": c.detail(), "severity": c.severity.as_str(),
        })).collect::<Vec<_>>(),
        "verdicts": verdicts(changes).into_iter().map(|(t, s)| json!({ "type": t, "verdict": s.as_str() })).collect::<Vec<_>>(),
        "status": diff_status(changes),
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

/// `gen rust`: `view!` declarations for `types` (all if empty).
pub fn gen_rust(module: &ModuleLayout, types: &[String]) -> Result<String, Error> {
    let mut out = format!(
        "// Generated by `resilient gen rust` from {:?} {:?}.\n// Remove the fields this consumer does not use: what a view does not\n// name cannot break it.\nuse resilient_types::{{view, Field, Nested}};\n",
        module.name, module.version
    );
    for t in module
        .types
        .iter()
        .filter(|t| types.is_empty() || types.contains(&t.name))
    {
        let ty = identifier(&t.name, Lang::Rust)?;
        let _ = writeln!(
            out,
            "\nview! {{\n    /// `{ty}` of module {:?}.",
            module.name
        );
        let _ = writeln!(
            out,
            "    pub struct {ty}View = {:?}::{:?} {{",
            module.name, t.name
        );
        for f in &t.fields {
            let field = rust_field(&f.name)?;
            if let Identity::Opaque { name, .. } = &f.identity {
                let _ = writeln!(
                    out,
                    "        // {name:?} must be a type of this consumer that implements FieldType."
                );
            }
            let _ = writeln!(out, "        pub {field}: {},", rust_type(&f.identity)?);
        }
        out.push_str("    }\n}\n");
    }
    Ok(out)
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

fn c_type(id: &Identity) -> Option<String> {
    Some(
        match id.name() {
            "u8" => "uint8_t",
            "u16" => "uint16_t",
            "u32" => "uint32_t",
            "u64" => "uint64_t",
            "i8" => "int8_t",
            "i16" => "int16_t",
            "i32" => "int32_t",
            "i64" => "int64_t",
            "usize" => "size_t",
            "isize" => "ptrdiff_t",
            "f32" => "float",
            "f64" => "double",
            "bool" => "bool",
            _ => return None,
        }
        .to_owned(),
    )
}

/// `gen cpp`: a C++ header that reads the library's scalar symbols
/// (`<Type>_size`, `<Type>_<field>_offset`) and gives typed accessors.
pub fn gen_cpp(module: &ModuleLayout, types: &[String]) -> Result<String, Error> {
    let mut out = format!(
        "// Generated by `resilient gen cpp` from {:?} {:?}.\n// Link against the library (or dlopen it with RTLD_GLOBAL first): the\n// offsets are read from its exported symbols at load time.\n#pragma once\n#include <cstddef>\n#include <cstdint>\n#include <cstring>\n",
        module.name, module.version
    );
    for t in module
        .types
        .iter()
        .filter(|t| types.is_empty() || types.contains(&t.name))
    {
        let n = identifier(&t.name, Lang::Cpp)?;
        let _ = writeln!(
            out,
            "\nextern \"C\" const std::size_t {n}_size;\nextern \"C\" const std::size_t {n}_align;"
        );
        for f in &t.fields {
            let field = identifier(&f.name, Lang::Cpp)?;
            let _ = writeln!(out, "extern \"C\" const std::size_t {n}_{field}_offset;");
        }
        let _ = writeln!(
            out,
            "\n/// `{n}` of module {:?}, reached through run-time offsets.\nstruct {n}Ref {{\n    unsigned char *p;",
            module.name
        );
        for f in &t.fields {
            let field = identifier(&f.name, Lang::Cpp)?;
            match (&f.identity, c_type(&f.identity)) {
                (Identity::Scalar { .. }, Some(ct)) => {
                    let _ = writeln!(
                        out,
                        "    {ct} {field}() const {{ {ct} v; std::memcpy(&v, p + {n}_{field}_offset, sizeof v); return v; }}\n    void set_{field}({ct} v) {{ std::memcpy(p + {n}_{field}_offset, &v, sizeof v); }}"
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "    unsigned char *{field}_ptr() const {{ return p + {n}_{field}_offset; }}  // {:?}",
                        f.identity.to_string()
                    );
                }
            }
        }
        out.push_str("};\n");
    }
    Ok(out)
}

/// At most this many problems are printed for one view; the rest are
/// counted.
pub const MAX_PROBLEMS: usize = 64;

/// `check`: every problem with each of the consumer's views that concern
/// `module` (views of other modules are skipped), as
/// [`layout_meta::compat::bind_view`] (the run-time binder's rule) finds
/// them, at most [`MAX_PROBLEMS`] per view. Empty: it binds.
pub fn check_consumer(
    module: &ModuleLayout,
    needs: &[layout_meta::needs::ViewNeed],
) -> Vec<(String, Vec<String>)> {
    needs
        .iter()
        .filter(|n| n.module == module.name)
        .map(|n| {
            let mut problems: Vec<String> = match layout_meta::compat::bind_view(n, module) {
                Ok(_) => Vec::new(),
                Err(m) => m.iter().map(ToString::to_string).collect(),
            };
            if problems.len() > MAX_PROBLEMS {
                let more = problems.len() - MAX_PROBLEMS;
                problems.truncate(MAX_PROBLEMS);
                problems.push(format!("and {more} more"));
            }
            (n.type_name.clone(), problems)
        })
        .collect()
}
