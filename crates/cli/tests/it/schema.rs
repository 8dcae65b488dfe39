//! A small JSON Schema checker for the subset our schemas use (`type`,
//! `required`, `properties`, `items`, `enum`, `const`). A full validator
//! crate would pull in a regex engine and an HTTP-capable resolver for two
//! fixed, small schemas; this is enough to hold the output to them.

use serde_json::Value;

pub fn assert_valid(doc: &Value, schema_file: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(schema_file);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut errors = Vec::new();
    check(doc, &schema, "$", &mut errors);
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}");
}

fn check(v: &Value, s: &Value, at: &str, errors: &mut Vec<String>) {
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
                check(x, sub, &format!("{at}.{k}"), errors);
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(x, items, &format!("{at}[{i}]"), errors);
        }
    }
}

/// The schemas name every change kind and flag the tool can print.
#[test]
fn schemas_list_every_kind_and_flag() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let load = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
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
