//! The contract boundary between a component's tests and its implementation: tests import the
//! component's module as a proxy generated from the contract, whose functions forward each call
//! to a worker process that imports the real implementation. Only plain data crosses, shaped
//! by the contract's types, so the verdict is made where the code under test cannot reach it.
//!
//! This module renders what both sides need from the contracts: the boundary spec (every type
//! ref parsed once, here, into a tree both sides walk), the proxy modules, and the programs of
//! each side: for Python `_pact_proxy.py` (trusted) and `_pact_worker.py` (in the
//! implementation's sandbox); for TypeScript and JavaScript `_pact_proxy.cjs` (trusted, loaded
//! by the tests' vitest or node:test process) and `_pact_worker.mjs` (node, in the
//! implementation's sandbox; TypeScript sources compiled there with esbuild).
//!
//! The wire is the same for every language: one JSON object per line, a call
//! `{id, module, function, args, kwargs}` and its answer `{id, value}` or
//! `{id, error: {kind: raised|import|missing, types, message, traceback}}`; values are plain
//! JSON, with `{"$dict": [[k, v], …]}`, `{"$struct": Name, "fields": {…}}`, `{"$bytes": b64}`
//! and `{"$repr", "$type"}` (opaque). JavaScript has two values JSON lacks, which its two sides
//! (and only they) also carry: `{"$undefined": true}` and `{"$num": "NaN"|"Infinity"|
//! "-Infinity"|"-0"}`; a `$dict` that was a `Map` says `"$type": "Map"`.

use pact_core::model::{ComponentContract, TypeKind};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::Path;

/// The test side's runtime (trusted).
pub const PROXY_PY: &str = include_str!("_pact_proxy.py");
/// The implementation side's runtime (runs with the code under test; trusted by no one).
pub const WORKER_PY: &str = include_str!("_pact_worker.py");
/// The test side's runtime for TypeScript and JavaScript suites (CommonJS, so that node:test
/// suites can `require` it and vitest suites load it natively through `createRequire`).
pub const PROXY_JS: &str = include_str!("_pact_proxy.cjs");
/// The implementation side's runtime for TypeScript and JavaScript (an ES module run by node).
pub const WORKER_JS: &str = include_str!("_pact_worker.mjs");
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
                    "is_async": f.is_async == Some(true),
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

/// The proxy module for `c` in TypeScript suites: an ES module (vitest aliases the bare
/// component name to it) exporting what the interface stub exports at run time — the
/// functions; enums are string literal types and structs interfaces, so types only — plus the
/// contract's error classes and `ContractViolation`. `runtime` is `_pact_proxy.cjs`.
pub fn esm_proxy(c: &ComponentContract, runtime: &Path) -> String {
    let names = js_exports(c);
    let mut s = js_header(c);
    s.push_str(&format!(
        "import {{ createRequire }} from \"node:module\";\nconst __pact = createRequire({rt})({rt}).bind({cid});\n",
        rt = Value::from(runtime.to_string_lossy().into_owned()),
        cid = Value::from(c.component_id.clone()),
    ));
    let mut specs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        s.push_str(&format!(
            "const __pact_{i} = __pact[{}];\n",
            Value::from(name.clone())
        ));
        specs.push(format!("__pact_{i} as {name}"));
    }
    s.push_str(&format!("export {{ {} }};\n", specs.join(", ")));
    s
}

/// The proxy module for `c` in JavaScript (node:test) suites: CommonJS, so that both
/// `require("<cid>")` and `import … from "<cid>"` find it (each export is a static
/// `exports.<name> =`, which node's ES module loader reads as a named export).
pub fn cjs_proxy(c: &ComponentContract, runtime: &Path) -> String {
    let mut s = js_header(c);
    s.push_str(&format!(
        "\"use strict\";\nconst __pact = require({}).bind({});\n",
        Value::from(runtime.to_string_lossy().into_owned()),
        Value::from(c.component_id.clone()),
    ));
    for name in js_exports(c) {
        let key = Value::from(name);
        s.push_str(&format!("exports[{key}] = __pact[{key}];\n"));
    }
    s
}

fn js_header(c: &ComponentContract) -> String {
    format!(
        "// Written by Pact: the contract of '{}' (v{}). Every call crosses to the implementation's\n// own process; answers are checked against the contract.\n",
        c.component_id.replace(['\n', '\r'], " "),
        c.version
    )
}

/// JavaScript's own error classes: a contract naming one means that class, not a new one.
pub const JS_BUILTIN_ERRORS: [&str; 8] = [
    "Error",
    "TypeError",
    "RangeError",
    "SyntaxError",
    "ReferenceError",
    "EvalError",
    "URIError",
    "AggregateError",
];

/// What a JavaScript proxy exports, in order: the contract's functions, its own error classes,
/// then the boundary's errors. Names that are not identifiers (or are reserved words) cannot be
/// imported by name and are left out.
fn js_exports(c: &ComponentContract) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        if is_js_identifier(n) && !out.iter().any(|x| x == n) {
            out.push(n.to_string());
        }
    };
    for f in &c.functions {
        add(&f.name);
    }
    for f in &c.functions {
        for e in &f.error_cases {
            let name = e.error_type.trim();
            if is_identifier(name) && !JS_BUILTIN_ERRORS.contains(&name) {
                add(name);
            }
        }
    }
    for n in ["ContractViolation", "ComponentError", "ComponentCrashed"] {
        add(n);
    }
    out
}

fn is_js_identifier(s: &str) -> bool {
    const RESERVED: [&str; 46] = [
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
    ];
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&s)
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
    fn javascript_proxies_export_what_can_be_imported() {
        let c: ComponentContract = serde_json::from_value(json!({
            "component_id": "counter", "name": "C\n// */", "description": "",
            "functions": [
                {"name": "topN", "description": "", "inputs": [], "output_type": "int",
                 "error_cases": [{"name": "E", "condition": "", "error_type": "EmptyCounts"},
                                 {"name": "R", "condition": "", "error_type": "RangeError"},
                                 {"name": "X", "condition": "", "error_type": "not a name"}]},
                {"name": "delete", "description": "", "inputs": [], "output_type": "None"},
                {"name": "bad-name\");", "description": "", "inputs": [], "output_type": "None"}
            ]
        }))
        .expect("contract");
        let rt = Path::new("/run/boundary/_pact_proxy.cjs");
        let esm = esm_proxy(&c, rt);
        assert!(
            esm.contains("export { __pact_0 as topN, __pact_1 as EmptyCounts, __pact_2 as ContractViolation, __pact_3 as ComponentError, __pact_4 as ComponentCrashed };"),
            "{esm}"
        );
        let cjs = cjs_proxy(&c, rt);
        assert!(
            cjs.contains("exports[\"topN\"] = __pact[\"topN\"];"),
            "{cjs}"
        );
        assert!(
            !cjs.contains("bad-name") && !cjs.contains("RangeError") && !cjs.contains("delete"),
            "{cjs}"
        );
        for (lang, text) in [
            (pact_core::model::TestLanguage::JavaScript, &esm),
            (pact_core::model::TestLanguage::JavaScript, &cjs),
        ] {
            let a = pact_core::testcode::analyze(lang, text);
            assert!(a.parses(), "{:?}\n{text}", a.syntax_errors);
        }
        assert_eq!(
            spec(&[c])["modules"]["counter"]["functions"]["topN"]["is_async"],
            false
        );
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
