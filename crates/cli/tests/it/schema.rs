//! A small JSON Schema checker for the subset our schemas use (`type`,
//! `required`, `properties`, `items`, `enum`, `const`, and `$ref` to the
//! schema's own `$defs`). A full validator crate would pull in a regex
//! engine and an HTTP-capable resolver for three fixed, small schemas; this
//! is enough to hold the output to them. A schema that uses another keyword
//! fails [`schemas_use_only_what_the_checker_checks`], so nothing in a
//! schema is silently unchecked.

use serde_json::Value;

/// The schema keywords [`check`] applies, and those that only annotate.
const KEYWORDS: &[&str] = &[
    "type",
    "required",
    "properties",
    "items",
    "enum",
    "const",
    "$ref",
    "$defs",
    "$schema",
    "$id",
    "title",
];

const SCHEMAS: &[&str] = &[
    "inspect.schema.json",
    "diff.schema.json",
    "check.schema.json",
];

fn load(schema_file: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(schema_file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn assert_valid(doc: &Value, schema_file: &str) {
    let schema = load(schema_file);
    let mut errors = Vec::new();
    check(doc, &schema, &schema, "$", &mut errors);
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}");
}

fn check(v: &Value, s: &Value, root: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").expect("only local $defs");
        check(v, &root["$defs"][name], root, at, errors);
    }
    if let Some(c) = s.get("const") {
        if v != c {
            errors.push(format!("{at}: expected {c}, got {v}"));
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            errors.push(format!("{at}: {v} is not one of {options:?}"));
        }
    }
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "boolean" => v.is_boolean(),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: expected {t}, got {v}"));
            return;
        }
    }
    if let Some(req) = s.get("required").and_then(Value::as_array) {
        for r in req.iter().filter_map(Value::as_str) {
            if v.get(r).is_none() {
                errors.push(format!("{at}: missing `{r}`"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (
        s.get("properties").and_then(Value::as_object),
        v.as_object(),
    ) {
        for (k, sub) in props {
            if let Some(x) = obj.get(k) {
                check(x, sub, root, &format!("{at}.{k}"), errors);
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(x, items, root, &format!("{at}[{i}]"), errors);
        }
    }
}

/// Every keyword of every schema is one [`check`] applies (or an
/// annotation), every `$ref` names a definition, and each schema's `$id`
/// is the version the tool writes.
#[test]
fn schemas_use_only_what_the_checker_checks() {
    fn walk(s: &Value, root: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(obj) = s.as_object() else {
            errors.push(format!("{at}: a schema is an object"));
            return;
        };
        for (k, sub) in obj {
            match k.as_str() {
                "properties" | "$defs" => {
                    for (name, p) in sub.as_object().unwrap() {
                        walk(p, root, &format!("{at}.{k}.{name}"), errors);
                    }
                }
                "items" => walk(sub, root, &format!("{at}.items"), errors),
                "$ref" => {
                    let name = sub.as_str().unwrap().strip_prefix("#/$defs/");
                    if name.is_none_or(|n| root["$defs"].get(n).is_none()) {
                        errors.push(format!("{at}: $ref {sub} names no definition"));
                    }
                }
                "type" if !sub.is_string() => errors.push(format!("{at}: one type only")),
                other if !KEYWORDS.contains(&other) => {
                    errors.push(format!("{at}: `{other}` is not checked by schema.rs"));
                }
                _ => {}
            }
        }
    }
    for file in SCHEMAS {
        let schema = load(file);
        let mut errors = Vec::new();
        walk(&schema, &schema, "$", &mut errors);
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
    for (file, id) in [
        ("inspect.schema.json", resilient_cli::INSPECT_SCHEMA),
        ("diff.schema.json", resilient_cli::DIFF_SCHEMA),
        ("check.schema.json", resilient_cli::CHECK_SCHEMA),
    ] {
        let schema = load(file);
        assert_eq!(schema["$id"], id, "{file}");
        assert_eq!(schema["properties"]["schema"]["const"], id, "{file}");
    }
}

/// The schemas name every change kind and flag the tool can print.
#[test]
fn schemas_list_every_kind_and_flag() {
    let diff = load("diff.schema.json");
    let kinds = &diff["properties"]["changes"]["items"]["properties"]["kind"]["enum"];
    let want: Vec<Value> = layout_meta::diff::ChangeKind::ALL
        .iter()
        .map(|k| Value::from(k.as_str()))
        .collect();
    let mut got = kinds.as_array().unwrap().clone();
    let key = |v: &Value| v.as_str().unwrap().to_owned();
    got.sort_by_key(key);
    let mut want_sorted = want;
    want_sorted.sort_by_key(key);
    assert_eq!(got, want_sorted);

    let inspect = load("inspect.schema.json");
    let flags = inspect.to_string();
    for name in resilient_cli::FLAG_NAMES.iter().map(|(_, n)| n) {
        assert!(
            flags.contains(&format!("\"{name}\"")),
            "{name} missing from inspect.schema.json"
        );
    }
}
