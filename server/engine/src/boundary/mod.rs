//! The contract boundary between a component's tests and its implementation: tests import the
//! component's module as a proxy generated from the contract, whose functions forward each call
//! to a worker process that imports the real implementation. Only plain data crosses, shaped
//! by the contract's types, so the verdict is made where the code under test cannot reach it.
//!
//! This module renders what both sides need from the contracts: the boundary spec (every type
//! ref parsed once, here, into a tree the Python sides walk), the proxy modules, and the two
//! Python programs (`_pact_proxy.py`, trusted; `_pact_worker.py`, in the implementation's
//! sandbox).

use pact_core::model::{ComponentContract, TypeKind};
use serde_json::{Value, json};
use std::collections::HashSet;

/// The test side's runtime (trusted).
pub const PROXY_PY: &str = include_str!("_pact_proxy.py");
/// The implementation side's runtime (runs with the code under test; trusted by no one).
pub const WORKER_PY: &str = include_str!("_pact_worker.py");
/// Where both sides find the spec.
pub const SPEC_FILE: &str = "_pact_boundary.json";

/// The boundary spec for `contracts` (the component's and its dependencies').
pub fn spec(contracts: &[ComponentContract]) -> Value {
    let mut modules = serde_json::Map::new();
    for c in contracts {
        let known: HashSet<&str> = c.types.iter().map(|t| t.name.as_str()).collect();
        let mut types = serde_json::Map::new();
        for t in &c.types {
            let v = match t.kind {
                TypeKind::Struct => json!({
                    "kind": "struct",
                    "fields": t.fields.iter().map(|f| json!({
                        "name": f.name, "t": tree(&f.type_ref, &known), "required": f.required,
                    })).collect::<Vec<_>>(),
                }),
                TypeKind::Enum => json!({"kind": "enum", "variants": t.variants}),
                TypeKind::List => {
                    let item = if t.item_type.is_empty() {
                        "Any"
                    } else {
                        &t.item_type
                    };
                    json!({"kind": "alias", "of": tree(&format!("list[{item}]"), &known)})
                }
                TypeKind::Optional => {
                    let inner = t.inner_types.first().map(String::as_str).unwrap_or("Any");
                    json!({"kind": "alias", "of": tree(&format!("Optional[{inner}]"), &known)})
                }
                TypeKind::Union => json!({
                    "kind": "alias",
                    "of": tree(&t.inner_types.join(" | "), &known),
                }),
                TypeKind::Primitive => json!({"kind": "alias", "of": {"k": "any"}}),
            };
            types.insert(t.name.clone(), v);
        }
        let mut functions = serde_json::Map::new();
        let mut errors: Vec<String> = Vec::new();
        for f in &c.functions {
            functions.insert(
                f.name.clone(),
                json!({
                    "inputs": f.inputs.iter().map(|i| json!({
                        "name": i.name, "t": tree(&i.type_ref, &known), "required": i.required,
                    })).collect::<Vec<_>>(),
                    "output": tree(&f.output_type, &known),
                }),
            );
            for e in &f.error_cases {
                let name = e.error_type.trim();
                if is_identifier(name) && !errors.iter().any(|x| x == name) {
                    errors.push(name.to_string());
                }
            }
        }
        modules.insert(
            c.component_id.clone(),
            json!({"types": types, "functions": functions, "errors": errors}),
        );
    }
    json!({ "modules": modules })
}

/// The proxy module for `c`: its contract as code (types, docstrings, signatures) with every
/// function forwarding across the boundary.
pub fn python_proxy(c: &ComponentContract) -> String {
    let mut s = crate::stubs::render(c, pact_core::model::TestLanguage::Python);
    s.push_str(&format!(
        "\n\n# ── Pact: every call above crosses to the implementation's own process ──\nimport _pact_proxy as _pact_boundary\n_pact_boundary.bind(globals(), {})\n",
        serde_json::Value::from(c.component_id.clone())
    ));
    s
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A type ref as a tree: `{"k": "prim"|"none"|"any"|"list"|"set"|"tuple"|"dict"|"optional"|
/// "union"|"named", …, "text": the ref}`. Unknown generics and library types are `any`: the
/// boundary checks what the contract can state, nothing it cannot.
pub fn tree(type_ref: &str, known: &HashSet<&str>) -> Value {
    let tokens = tokenize(type_ref);
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        known,
        depth: 0,
    };
    let t = p.union();
    if p.pos == tokens.len() {
        t
    } else {
        json!({"k": "any", "text": type_ref.trim()})
    }
}

fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '[' | ']' | ',' | '|' => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
                out.push(ch.to_string());
            }
            _ => cur.push(ch),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

struct Parser<'a> {
    tokens: &'a [String],
    pos: usize,
    known: &'a HashSet<&'a str>,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }

    fn union(&mut self) -> Value {
        let start = self.pos;
        let mut alts = vec![self.primary()];
        while self.peek() == Some("|") {
            self.pos += 1;
            alts.push(self.primary());
        }
        if alts.len() == 1 {
            return alts.remove(0);
        }
        let text = self.tokens[start..self.pos].join(" ");
        // `X | None` is Optional[X].
        let nones = alts.iter().filter(|a| a["k"] == "none").count();
        alts.retain(|a| a["k"] != "none");
        let inner = if alts.len() == 1 {
            alts.remove(0)
        } else {
            json!({"k": "union", "of": alts, "text": text})
        };
        if nones > 0 {
            json!({"k": "optional", "of": inner, "text": text})
        } else {
            inner
        }
    }

    fn primary(&mut self) -> Value {
        self.depth += 1;
        if self.depth > 64 {
            self.pos = self.tokens.len();
            return json!({"k": "any", "text": "…"});
        }
        let start = self.pos;
        let Some(name) = self.peek().map(str::to_string) else {
            return json!({"k": "any", "text": ""});
        };
        if matches!(name.as_str(), "[" | "]" | "," | "|") {
            return json!({"k": "any", "text": ""});
        }
        self.pos += 1;
        let mut args = Vec::new();
        if self.peek() == Some("[") {
            self.pos += 1;
            while self.pos < self.tokens.len() && self.peek() != Some("]") {
                if self.peek() == Some(",") {
                    self.pos += 1;
                    continue;
                }
                let before = self.pos;
                args.push(self.union());
                if self.pos == before {
                    self.pos += 1;
                }
            }
            if self.peek() == Some("]") {
                self.pos += 1;
            }
        }
        self.depth -= 1;
        let text = self.tokens[start..self.pos].join("");
        let arg = |i: usize| {
            args.get(i)
                .cloned()
                .unwrap_or(json!({"k": "any", "text": "Any"}))
        };
        let base = name.rsplit('.').next().unwrap_or(&name);
        match base {
            "str" | "int" | "float" | "bool" | "bytes" => {
                json!({"k": "prim", "name": base, "text": text})
            }
            "None" | "NoneType" => json!({"k": "none", "text": text}),
            "list" | "List" | "Sequence" | "Iterable" | "Iterator" | "Generator" => {
                json!({"k": "list", "of": arg(0), "text": text})
            }
            "set" | "Set" | "frozenset" | "FrozenSet" => {
                json!({"k": "set", "of": arg(0), "text": text})
            }
            "tuple" | "Tuple" => {
                // `tuple[int, ...]` is homogeneous; `tuple[int, str]` is not (any items).
                let homogeneous = args.len() <= 1
                    || (args.len() == 2 && self.tokens[start..self.pos].iter().any(|t| t == "..."));
                let of = if homogeneous {
                    arg(0)
                } else {
                    json!({"k": "any", "text": "Any"})
                };
                json!({"k": "tuple", "of": of, "text": text})
            }
            "dict" | "Dict" | "Mapping" => {
                json!({"k": "dict", "key": arg(0), "of": arg(1), "text": text})
            }
            "Optional" => json!({"k": "optional", "of": arg(0), "text": text}),
            "Union" => json!({"k": "union", "of": args, "text": text}),
            _ if self.known.contains(name.as_str()) => {
                json!({"k": "named", "name": name, "text": text})
            }
            _ => json!({"k": "any", "text": text}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        let known: HashSet<&str> = ["Token", "WordCount"].into_iter().collect();
        tree(s, &known)
    }

    #[test]
    fn type_refs_become_trees() {
        assert_eq!(t("int")["k"], "prim");
        assert_eq!(t("list[Token]")["of"]["name"], "Token");
        let d = t("dict[str, list[WordCount]]");
        assert_eq!(
            (d["k"].as_str(), d["key"]["name"].as_str()),
            (Some("dict"), Some("str"))
        );
        assert_eq!(d["of"]["of"]["name"], "WordCount");
        assert_eq!(t("Optional[Token]")["k"], "optional");
        assert_eq!(t("Token | None")["k"], "optional");
        assert_eq!(t("int | str")["k"], "union");
        assert_eq!(t("datetime")["k"], "any");
        assert_eq!(t("tuple[int, ...]")["of"]["k"], "prim");
        assert_eq!(t("tuple[int, str]")["of"]["k"], "any");
        // Garbage and absurd nesting never panic.
        assert_eq!(t("list[[[,|]")["k"], "list");
        let deep = "list[".repeat(500) + &"]".repeat(500);
        let _ = t(&deep);
        assert_eq!(t("")["k"], "any");
    }
}
