//! Checks an answer against its JSON Schema and says what is wrong in words a model can act on.
//!
//! A focused validator rather than the `jsonschema` crate: Pact's answer schemas (generated from
//! its models) use a small subset — `type`, `properties`, `required`, `additionalProperties`,
//! `items`, `enum`, `const`, `anyOf`/`oneOf`/`allOf`, local `$ref`/`$defs`, and length and range
//! bounds — and the full crate brings regex engines, URL and IDNA stacks into every build.
//! Unsupported keywords (`pattern`, `format`, `patternProperties`, remote refs) are ignored, never
//! rejected: an answer is only refused for a rule this module really checks.

use serde_json::{Map, Value};

/// One reason the value does not fit. `path` is `$` for the root, then `.field` and `[index]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Enough errors to fix an answer without flooding the repair prompt.
const MAX_ERRORS: usize = 20;
/// `$ref` chains deeper than this are a schema bug (`{"$ref": "#"}` on itself), not an answer's.
const MAX_REF_DEPTH: usize = 32;

pub fn validate(schema: &Value, value: &Value) -> Vec<SchemaError> {
    let mut v = Validator {
        root: schema,
        errors: Vec::new(),
    };
    v.check(schema, value, &mut "$".to_string(), 0);
    v.errors.truncate(MAX_ERRORS);
    v.errors
}

pub fn is_valid(schema: &Value, value: &Value) -> bool {
    validate(schema, value).is_empty()
}

struct Validator<'s> {
    root: &'s Value,
    errors: Vec<SchemaError>,
}

impl<'s> Validator<'s> {
    fn err(&mut self, path: &str, message: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(SchemaError {
                path: path.to_string(),
                message,
            });
        }
    }

    fn resolve(&self, reference: &str) -> Option<&'s Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(self.root);
        }
        self.root.pointer(pointer)
    }

    /// Errors of `value` against `schema`, without recording them.
    fn probe(
        &self,
        schema: &'s Value,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Vec<SchemaError> {
        let mut sub = Validator {
            root: self.root,
            errors: Vec::new(),
        };
        sub.check(schema, value, &mut path.to_string(), depth);
        sub.errors
    }

    fn check(&mut self, schema: &'s Value, value: &Value, path: &mut String, depth: usize) {
        let obj = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return self.err(path, "no value is allowed here".into()),
            Value::Object(o) => o,
            _ => return,
        };
        if let Some(Value::String(r)) = obj.get("$ref") {
            if depth >= MAX_REF_DEPTH {
                return self.err(path, format!("schema reference `{r}` nests too deeply"));
            }
            match self.resolve(r) {
                Some(target) => self.check(target, value, path, depth + 1),
                None => self.err(path, format!("schema reference `{r}` cannot be resolved")),
            }
        }
        if value.is_null() && obj.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(t) = obj.get("type")
            && !type_matches(t, value)
        {
            return self.err(
                path,
                format!("expected {}, got {}", describe_type(t), kind(value)),
            );
        }
        if let Some(Value::Array(options)) = obj.get("enum")
            && !options.iter().any(|o| json_eq(o, value))
        {
            self.err(
                path,
                format!(
                    "{} is not one of {}",
                    short(value),
                    short(&Value::Array(options.clone()))
                ),
            );
        }
        if let Some(c) = obj.get("const")
            && !json_eq(c, value)
        {
            self.err(path, format!("expected {}, got {}", short(c), short(value)));
        }
        self.combinators(obj, value, path, depth);
        match value {
            Value::Object(map) => self.object(obj, map, path, depth),
            Value::Array(items) => self.array(obj, items, path, depth),
            Value::String(s) => self.string(obj, s, path),
            Value::Number(_) => self.number(obj, value, path),
            _ => {}
        }
    }

    fn combinators(
        &mut self,
        obj: &'s Map<String, Value>,
        value: &Value,
        path: &mut String,
        depth: usize,
    ) {
        if let Some(Value::Array(all)) = obj.get("allOf") {
            for s in all {
                self.check(s, value, path, depth);
            }
        }
        if let Some(Value::Array(any)) = obj.get("anyOf") {
            let tries: Vec<Vec<SchemaError>> = any
                .iter()
                .map(|s| self.probe(s, value, path, depth))
                .collect();
            if !tries.iter().any(Vec::is_empty) {
                self.no_alternative(path, "anyOf", tries);
            }
        }
        if let Some(Value::Array(one)) = obj.get("oneOf") {
            let tries: Vec<Vec<SchemaError>> = one
                .iter()
                .map(|s| self.probe(s, value, path, depth))
                .collect();
            match tries.iter().filter(|e| e.is_empty()).count() {
                1 => {}
                0 => self.no_alternative(path, "oneOf", tries),
                n => self.err(
                    path,
                    format!("matches {n} of the oneOf alternatives; exactly one is allowed"),
                ),
            }
        }
        if let Some(not) = obj.get("not")
            && self.probe(not, value, path, depth).is_empty()
        {
            self.err(path, "matches a schema it must not match".into());
        }
        if let Some(cond) = obj.get("if") {
            let branch = if self.probe(cond, value, path, depth).is_empty() {
                "then"
            } else {
                "else"
            };
            if let Some(s) = obj.get(branch) {
                self.check(s, value, path, depth);
            }
        }
    }

    /// Reports the alternative that came closest, so the model sees a concrete fix.
    fn no_alternative(&mut self, path: &str, keyword: &str, tries: Vec<Vec<SchemaError>>) {
        let n = tries.len();
        match tries.into_iter().min_by_key(Vec::len) {
            Some(best) if n > 1 => {
                self.err(
                    path,
                    format!(
                        "matches none of the {n} {keyword} alternatives; the closest fails with:"
                    ),
                );
                for e in best {
                    self.err(&e.path, e.message);
                }
            }
            Some(best) => {
                for e in best {
                    self.err(&e.path, e.message);
                }
            }
            None => self.err(path, format!("{keyword} has no alternatives")),
        }
    }

    fn object(
        &mut self,
        obj: &'s Map<String, Value>,
        map: &Map<String, Value>,
        path: &mut String,
        depth: usize,
    ) {
        if let Some(Value::Array(required)) = obj.get("required") {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    self.err(path, format!("missing required property `{r}`"));
                }
            }
        }
        let props = obj.get("properties").and_then(Value::as_object);
        let extra = obj.get("additionalProperties");
        for (k, v) in map {
            let len = path.len();
            push_key(path, k);
            if let Some(s) = props.and_then(|p| p.get(k)) {
                self.check(s, v, path, depth);
            } else {
                match extra {
                    Some(Value::Bool(false)) => {
                        path.truncate(len);
                        let allowed = props.map(|p| {
                            p.keys()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        });
                        self.err(
                            path,
                            format!(
                                "unexpected property `{k}`{}",
                                allowed
                                    .filter(|a| !a.is_empty())
                                    .map(|a| format!(" (allowed: {a})"))
                                    .unwrap_or_default()
                            ),
                        );
                    }
                    Some(s @ Value::Object(_)) => self.check(s, v, path, depth),
                    _ => {}
                }
            }
            path.truncate(len);
        }
        if let Some(n) = obj.get("minProperties").and_then(Value::as_u64)
            && (map.len() as u64) < n
        {
            self.err(
                path,
                format!("needs at least {n} properties, has {}", map.len()),
            );
        }
        if let Some(n) = obj.get("maxProperties").and_then(Value::as_u64)
            && (map.len() as u64) > n
        {
            self.err(
                path,
                format!("allows at most {n} properties, has {}", map.len()),
            );
        }
    }

    fn array(
        &mut self,
        obj: &'s Map<String, Value>,
        items: &[Value],
        path: &mut String,
        depth: usize,
    ) {
        let prefix: &[Value] = match (obj.get("prefixItems"), obj.get("items")) {
            (Some(Value::Array(p)), _) => p,
            (None, Some(Value::Array(p))) => p, // draft-04 tuple form
            _ => &[],
        };
        let rest = match obj.get("items") {
            Some(s @ (Value::Object(_) | Value::Bool(_))) => Some(s),
            _ => None,
        };
        for (i, item) in items.iter().enumerate() {
            let schema = prefix.get(i).or(rest);
            if let Some(s) = schema {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                self.check(s, item, path, depth);
                path.truncate(len);
            }
        }
        if let Some(n) = obj.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < n
        {
            self.err(
                path,
                format!("needs at least {n} items, has {}", items.len()),
            );
        }
        if let Some(n) = obj.get("maxItems").and_then(Value::as_u64)
            && (items.len() as u64) > n
        {
            self.err(
                path,
                format!("allows at most {n} items, has {}", items.len()),
            );
        }
        if obj.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, a) in items.iter().enumerate() {
                if items[..i].iter().any(|b| json_eq(a, b)) {
                    self.err(
                        path,
                        format!("items must be unique; [{i}] repeats an earlier item"),
                    );
                    break;
                }
            }
        }
    }

    fn string(&mut self, obj: &Map<String, Value>, s: &str, path: &str) {
        let n = s.chars().count() as u64;
        if let Some(min) = obj.get("minLength").and_then(Value::as_u64)
            && n < min
        {
            self.err(
                path,
                format!("must be at least {min} characters long, is {n}"),
            );
        }
        if let Some(max) = obj.get("maxLength").and_then(Value::as_u64)
            && n > max
        {
            self.err(
                path,
                format!("must be at most {max} characters long, is {n}"),
            );
        }
    }

    fn number(&mut self, obj: &Map<String, Value>, value: &Value, path: &str) {
        let Some(x) = value.as_f64() else { return };
        let bound = |k: &str| obj.get(k).and_then(Value::as_f64);
        if let Some(m) = bound("minimum")
            && x < m
        {
            self.err(path, format!("must be >= {m}, is {x}"));
        }
        if let Some(m) = bound("maximum")
            && x > m
        {
            self.err(path, format!("must be <= {m}, is {x}"));
        }
        if let Some(m) = bound("exclusiveMinimum")
            && x <= m
        {
            self.err(path, format!("must be > {m}, is {x}"));
        }
        if let Some(m) = bound("exclusiveMaximum")
            && x >= m
        {
            self.err(path, format!("must be < {m}, is {x}"));
        }
        if let Some(m) = bound("multipleOf")
            && m > 0.0
        {
            let q = x / m;
            if (q - q.round()).abs() > 1e-9 {
                self.err(path, format!("must be a multiple of {m}, is {x}"));
            }
        }
    }
}

fn push_key(path: &mut String, key: &str) {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{}]", Value::String(key.to_string())));
    }
}

fn type_matches(t: &Value, value: &Value) -> bool {
    match t {
        Value::String(name) => is_type(name, value),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .any(|n| is_type(n, value)),
        _ => true,
    }
}

fn is_type(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => true,
    }
}

fn describe_type(t: &Value) -> String {
    match t {
        Value::String(s) => s.clone(),
        Value::Array(v) => v
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".into(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Numbers compare by value (`1` equals `1.0`), everything else structurally.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn short(value: &Value) -> String {
    let s = value.to_string();
    if s.chars().count() > 120 {
        s.chars().take(117).collect::<String>() + "..."
    } else {
        s
    }
}

/// Fixes two mistakes models make that need no round trip: an object or array sent as a JSON
/// string (`"[1, 2]"`), and `null` for an optional property that does not allow null (the
/// original dropped those so the model's defaults apply). Returns whether anything changed.
pub fn coerce(schema: &Value, value: &mut Value) -> bool {
    coerce_at(schema, schema, value, 0)
}

fn coerce_at(root: &Value, schema: &Value, value: &mut Value, depth: usize) -> bool {
    if depth > MAX_REF_DEPTH {
        return false;
    }
    let Some(obj) = schema.as_object() else {
        return false;
    };
    if let Some(target) = obj
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(root, r))
    {
        return coerce_at(root, target, value, depth + 1);
    }
    let mut changed = false;
    if let Value::String(s) = value
        && wants_container(root, schema, 0)
    {
        let t = s.trim();
        if (t.starts_with('{') || t.starts_with('['))
            && let Ok(parsed) = serde_json::from_str::<Value>(t)
            && (parsed.is_object() || parsed.is_array())
        {
            *value = parsed;
            changed = true;
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(alts)) = obj.get(key) {
            // Coerce toward the first alternative the value then satisfies, if any.
            for alt in alts {
                let mut candidate = value.clone();
                if coerce_at(root, alt, &mut candidate, depth + 1)
                    && validate_with_root(root, alt, &candidate)
                {
                    *value = candidate;
                    return true;
                }
            }
        }
    }
    match value {
        Value::Object(map) => {
            let props = obj.get("properties").and_then(Value::as_object);
            let required: Vec<&str> = obj
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let sub = props
                    .and_then(|p| p.get(&k))
                    .or_else(|| obj.get("additionalProperties").filter(|a| a.is_object()));
                let Some(sub) = sub else { continue };
                if map.get(&k).is_some_and(Value::is_null)
                    && !required.contains(&k.as_str())
                    && !validate_with_root(root, sub, &Value::Null)
                {
                    map.shift_remove(&k);
                    changed = true;
                    continue;
                }
                if let Some(v) = map.get_mut(&k) {
                    changed |= coerce_at(root, sub, v, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = obj.get("items").filter(|s| s.is_object()) {
                for item in items.iter_mut() {
                    changed |= coerce_at(root, item_schema, item, depth + 1);
                }
            }
        }
        _ => {}
    }
    changed
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        Some(root)
    } else {
        root.pointer(pointer)
    }
}

fn validate_with_root(root: &Value, schema: &Value, value: &Value) -> bool {
    let mut v = Validator {
        root,
        errors: Vec::new(),
    };
    v.check(schema, value, &mut "$".to_string(), 0);
    v.errors.is_empty()
}

/// Whether the schema asks for an object or array and does not also accept a string.
fn wants_container(root: &Value, schema: &Value, depth: usize) -> bool {
    if depth > MAX_REF_DEPTH {
        return false;
    }
    let Some(obj) = schema.as_object() else {
        return false;
    };
    if let Some(target) = obj
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(root, r))
    {
        return wants_container(root, target, depth + 1);
    }
    let types: Vec<&str> = match obj.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        return !types.contains(&"string") && types.iter().any(|t| *t == "object" || *t == "array");
    }
    let structural = obj.contains_key("properties") || obj.contains_key("items");
    structural
        || ["anyOf", "oneOf"].iter().any(|k| {
            obj.get(*k).and_then(Value::as_array).is_some_and(|alts| {
                alts.iter().any(|a| wants_container(root, a, depth + 1))
                    && !alts
                        .iter()
                        .any(|a| a.get("type").and_then(Value::as_str) == Some("string"))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contract_like() -> Value {
        json!({
            "$defs": {
                "Field": {"type": "object", "properties": {"name": {"type": "string", "minLength": 1},
                    "type_ref": {"type": "string"}}, "required": ["name", "type_ref"],
                    "additionalProperties": false},
                "Kind": {"enum": ["struct", "enum", "alias"], "type": "string"}
            },
            "type": "object",
            "properties": {
                "component_id": {"type": "string"},
                "version": {"type": "integer", "minimum": 1, "default": 1},
                "kind": {"$ref": "#/$defs/Kind"},
                "fields": {"type": "array", "items": {"$ref": "#/$defs/Field"}},
                "notes": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
                "extra": {"type": "object", "additionalProperties": {"type": "number"}},
                "summary": {"type": "string", "default": ""}
            },
            "required": ["component_id", "fields"]
        })
    }

    #[test]
    fn valid_answer_has_no_errors() {
        let v = json!({"component_id": "a", "version": 2, "kind": "struct",
            "fields": [{"name": "x", "type_ref": "int"}], "notes": null, "extra": {"k": 1.5}});
        assert_eq!(validate(&contract_like(), &v), vec![]);
    }

    #[test]
    fn errors_name_the_path_and_the_fix() {
        let v = json!({"version": 0.5, "kind": "class",
            "fields": [{"name": "", "type_ref": 3, "oops": true}], "notes": 4, "extra": {"k": "x"}});
        let errs: Vec<String> = validate(&contract_like(), &v)
            .iter()
            .map(ToString::to_string)
            .collect();
        let all = errs.join("\n");
        for needle in [
            "$: missing required property `component_id`",
            "$.version: expected integer, got number",
            "$.kind: \"class\" is not one of [\"struct\",\"enum\",\"alias\"]",
            "$.fields[0]: unexpected property `oops` (allowed: `name`, `type_ref`)",
            "$.fields[0].name: must be at least 1 characters long, is 0",
            "$.fields[0].type_ref: expected string, got integer",
            "$.notes: matches none of the 2 anyOf alternatives",
            "$.extra.k: expected number, got string",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in\n{all}");
        }
    }

    #[test]
    fn keys_that_are_not_identifiers_are_quoted() {
        let s = json!({"type": "object", "additionalProperties": {"type": "integer"}});
        let errs = validate(&s, &json!({"a b": "x"}));
        assert_eq!(errs[0].path, "$[\"a b\"]");
    }

    #[test]
    fn bounds_one_of_not_const_and_unique() {
        let s = json!({"type": "array", "minItems": 2, "uniqueItems": true,
            "items": {"oneOf": [{"type": "integer", "maximum": 5}, {"type": "integer", "minimum": 3}]}});
        assert!(validate(&s, &json!([1, 7])).is_empty());
        let msgs: Vec<String> = validate(&s, &json!([4]))
            .iter()
            .map(|e| e.message.clone())
            .collect();
        assert!(
            msgs.iter().any(|m| m.contains("at least 2 items")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("2 of the oneOf")),
            "{msgs:?}"
        );
        assert!(!validate(&s, &json!([1, 1])).is_empty());
        assert!(!is_valid(&json!({"not": {"type": "null"}}), &Value::Null));
        assert!(is_valid(&json!({"const": 1}), &json!(1.0)));
        assert!(!is_valid(&json!(false), &json!(1)));
        assert!(is_valid(&json!(true), &json!(1)));
    }

    #[test]
    fn self_referencing_schema_does_not_loop() {
        let s = json!({"$ref": "#"});
        let errs = validate(&s, &json!(1));
        assert!(errs[0].message.contains("nests too deeply"));
        let tree = json!({"$defs": {"N": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/N"}}}}}, "$ref": "#/$defs/N"});
        assert!(is_valid(&tree, &json!({"children": [{"children": [{}]}]})));
        assert!(!is_valid(&tree, &json!({"children": [{"children": [1]}]})));
    }

    #[test]
    fn coerce_parses_stringified_containers_and_drops_bad_nulls() {
        let schema = contract_like();
        let mut v = json!({"component_id": "a", "fields": "[{\"name\": \"x\", \"type_ref\": \"int\"}]",
            "summary": null, "notes": null, "extra": "{\"k\": 2}"});
        assert!(!is_valid(&schema, &v));
        assert!(coerce(&schema, &mut v));
        assert_eq!(validate(&schema, &v), vec![]);
        assert_eq!(v["fields"][0]["name"], "x");
        assert!(
            v.get("summary").is_none(),
            "null for a non-nullable optional is dropped"
        );
        assert!(v.get("notes").is_some(), "null kept where null is allowed");
        // A string where a string is wanted is left alone, even if it looks like JSON.
        let mut s = json!({"component_id": "[1]", "fields": []});
        assert!(!coerce(&schema, &mut s));
        assert_eq!(s["component_id"], "[1]");
    }
}
