//! Interface stubs (`interface.py` / `.ts` / `.js`): the contract rendered as code, for agents
//! and humans to read. Functions only raise, so a test that passes against a stub tests nothing.

use pact_core::model::{ComponentContract, FunctionContract, TestLanguage, TypeKind};
use std::fmt::Write;

pub fn render(c: &ComponentContract, lang: TestLanguage) -> String {
    match lang {
        TestLanguage::Python => python(c),
        TestLanguage::TypeScript => typescript(c, true),
        TestLanguage::JavaScript => typescript(c, false),
    }
}

pub fn file_name(lang: TestLanguage) -> &'static str {
    match lang {
        TestLanguage::Python => "interface.py",
        TestLanguage::TypeScript => "interface.ts",
        TestLanguage::JavaScript => "interface.js",
    }
}

fn python(c: &ComponentContract) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# === {} ({}) v{} ===",
        one_line(&c.name),
        c.component_id,
        c.version
    );
    if !c.dependencies.is_empty() {
        let _ = writeln!(s, "#  Dependencies: {}", c.dependencies.join(", "));
    }
    let _ = writeln!(s, "\"\"\"{}\"\"\"\n", doc(&c.description));
    s.push_str("from __future__ import annotations\n\nfrom dataclasses import dataclass, field\nfrom enum import Enum\nfrom typing import Any, Optional\n\n");
    for inv in &c.invariants {
        let _ = writeln!(s, "# Invariant: {}", one_line(inv));
    }
    for t in &c.types {
        match t.kind {
            TypeKind::Enum => {
                let _ = writeln!(s, "\nclass {}(Enum):", t.name);
                if !t.description.is_empty() {
                    let _ = writeln!(s, "    \"\"\"{}\"\"\"", doc(&t.description));
                }
                for v in &t.variants {
                    let _ = writeln!(s, "    {} = {}", py_ident(v), quoted(v));
                }
                if t.variants.is_empty() {
                    s.push_str("    pass\n");
                }
            }
            TypeKind::Struct => {
                let _ = writeln!(s, "\n@dataclass\nclass {}:", t.name);
                if !t.description.is_empty() {
                    let _ = writeln!(s, "    \"\"\"{}\"\"\"", doc(&t.description));
                }
                // Required fields first: dataclasses refuse a default before a non-default.
                let mut fields: Vec<_> = t.fields.iter().collect();
                fields.sort_by_key(|f| !f.required);
                for f in fields {
                    let default = if f.required {
                        String::new()
                    } else {
                        " = None".to_string()
                    };
                    let _ = writeln!(
                        s,
                        "    {}: {}{default}  # {}",
                        f.name,
                        f.type_ref,
                        one_line(&f.description)
                    );
                }
                if t.fields.is_empty() {
                    s.push_str("    pass\n");
                }
            }
            TypeKind::List => {
                let _ = writeln!(
                    s,
                    "\n{} = list[{}]",
                    t.name,
                    if t.item_type.is_empty() {
                        "Any"
                    } else {
                        &t.item_type
                    }
                );
            }
            TypeKind::Optional => {
                let inner = t.inner_types.first().map(String::as_str).unwrap_or("Any");
                let _ = writeln!(s, "\n{} = Optional[{inner}]", t.name);
            }
            TypeKind::Union => {
                let _ = writeln!(
                    s,
                    "\n{} = {}",
                    t.name,
                    if t.inner_types.is_empty() {
                        "Any".to_string()
                    } else {
                        t.inner_types.join(" | ")
                    }
                );
            }
            TypeKind::Primitive => {
                let _ = writeln!(s, "\n{} = Any  # primitive", t.name);
            }
        }
    }
    for f in &c.functions {
        s.push('\n');
        python_fn(&mut s, f);
    }
    let exports: Vec<String> = c
        .types
        .iter()
        .map(|t| format!("\"{}\"", t.name))
        .chain(c.functions.iter().map(|f| format!("\"{}\"", f.name)))
        .collect();
    let _ = writeln!(
        s,
        "\n# ── REQUIRED EXPORTS ──\n# __all__ = [{}]",
        exports.join(", ")
    );
    s
}

fn python_fn(s: &mut String, f: &FunctionContract) {
    let kw = if f.is_async == Some(true) {
        "async def"
    } else {
        "def"
    };
    let args: Vec<String> = f
        .inputs
        .iter()
        .map(|i| {
            if i.required {
                format!("{}: {}", i.name, i.type_ref)
            } else {
                format!("{}: {} = None", i.name, i.type_ref)
            }
        })
        .collect();
    let _ = writeln!(
        s,
        "{kw} {}({}) -> {}:",
        f.name,
        args.join(", "),
        f.output_type
    );
    let _ = writeln!(s, "    \"\"\"{}", doc(&f.description));
    if !f.preconditions.is_empty() {
        let _ = writeln!(
            s,
            "\n    Preconditions:\n{}",
            f.preconditions
                .iter()
                .map(|p| format!("    - {}", doc(p)))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    if !f.postconditions.is_empty() {
        let _ = writeln!(
            s,
            "\n    Postconditions:\n{}",
            f.postconditions
                .iter()
                .map(|p| format!("    - {}", doc(p)))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    if !f.error_cases.is_empty() {
        let _ = writeln!(
            s,
            "\n    Errors:\n{}",
            f.error_cases
                .iter()
                .map(|e| format!(
                    "    - {} ({}): {}",
                    doc(&e.name),
                    doc(&e.error_type),
                    doc(&e.condition)
                ))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let _ = writeln!(
        s,
        "\n    Idempotent: {}\n    \"\"\"",
        if f.idempotent { "yes" } else { "no" }
    );
    s.push_str("    raise NotImplementedError\n");
}

/// Contract text goes into comments and docstrings: it must not end them early.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn doc(s: &str) -> String {
    s.replace('\\', "\\\\").replace("\"\"\"", "'''")
}

/// A string literal valid in Python and TypeScript (JSON escaping is a subset of both).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn py_ident(v: &str) -> String {
    let mut out: String = v
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A Python-style type ref as TypeScript: `dict[str, list[Foo]]` → `Record<string, Foo[]>`.
fn ts_type(t: &str) -> String {
    let t = t.trim();
    let union = split_top(t, '|');
    if union.len() > 1 {
        return union
            .iter()
            .map(|u| ts_type(u))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let (Some(open), true) = (t.find('['), t.ends_with(']')) {
        let base = &t[..open];
        let args: Vec<String> = split_top(&t[open + 1..t.len() - 1], ',')
            .iter()
            .map(|a| ts_type(a))
            .collect();
        let arg = |i: usize| args.get(i).cloned().unwrap_or_else(|| "unknown".into());
        return match base {
            "list" | "List" | "Sequence" | "Iterable" => format!("{}[]", wrap(&arg(0))),
            "dict" | "Dict" | "Mapping" => format!("Record<{}, {}>", arg(0), arg(1)),
            "Optional" => format!("{} | undefined", arg(0)),
            "Union" => args.join(" | "),
            "set" | "frozenset" => format!("Set<{}>", arg(0)),
            "tuple" => format!("[{}]", args.join(", ")),
            _ => format!("{base}<{}>", args.join(", ")),
        };
    }
    match t {
        "str" => "string".into(),
        "int" | "float" => "number".into(),
        "bool" => "boolean".into(),
        "None" => "null".into(),
        "dict" => "Record<string, unknown>".into(),
        "list" => "unknown[]".into(),
        "any" | "Any" | "object" => "unknown".into(),
        "bytes" => "Uint8Array".into(),
        other => other.into(),
    }
}

/// `A | B` inside an array type needs parentheses: `(A | B)[]`.
fn wrap(t: &str) -> String {
    if t.contains(' ') {
        format!("({t})")
    } else {
        t.to_string()
    }
}

fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

fn typescript(c: &ComponentContract, typed: bool) -> String {
    let mut s = format!(
        "// === {} ({}) v{} ===\n// {}\n",
        one_line(&c.name),
        c.component_id,
        c.version,
        one_line(&c.description)
    );
    for t in &c.types {
        if !typed {
            let _ = writeln!(s, "// type {} ({})", t.name, t.kind.as_str());
            continue;
        }
        match t.kind {
            TypeKind::Enum => {
                let _ = writeln!(
                    s,
                    "export type {} = {};",
                    t.name,
                    t.variants
                        .iter()
                        .map(|v| quoted(v))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
            }
            TypeKind::Struct => {
                let _ = writeln!(s, "export interface {} {{", t.name);
                for f in &t.fields {
                    let _ = writeln!(
                        s,
                        "  {}{}: {};",
                        f.name,
                        if f.required { "" } else { "?" },
                        ts_type(&f.type_ref)
                    );
                }
                s.push_str("}\n");
            }
            TypeKind::List => {
                let item = if t.item_type.is_empty() {
                    "Any"
                } else {
                    &t.item_type
                };
                let _ = writeln!(s, "export type {} = {}[];", t.name, wrap(&ts_type(item)));
            }
            TypeKind::Optional | TypeKind::Union => {
                let inner: Vec<String> = t.inner_types.iter().map(|i| ts_type(i)).collect();
                let inner = if inner.is_empty() {
                    "unknown".to_string()
                } else {
                    inner.join(" | ")
                };
                let opt = if t.kind == TypeKind::Optional {
                    " | undefined"
                } else {
                    ""
                };
                let _ = writeln!(s, "export type {} = {inner}{opt};", t.name);
            }
            TypeKind::Primitive => {
                let _ = writeln!(s, "export type {} = unknown;", t.name);
            }
        }
    }
    for f in &c.functions {
        let args: Vec<String> = f
            .inputs
            .iter()
            .map(|i| {
                if typed {
                    format!(
                        "{}{}: {}",
                        i.name,
                        if i.required { "" } else { "?" },
                        ts_type(&i.type_ref)
                    )
                } else {
                    i.name.clone()
                }
            })
            .collect();
        let ret = if typed {
            format!(": {}", ts_type(&f.output_type))
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "/** {} */\nexport function {}({}){ret} {{\n  throw new Error(\"not implemented\");\n}}",
            one_line(&f.description).replace("*/", "* /"),
            f.name,
            args.join(", ")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_stub_parses_and_only_raises() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/reference/sample/.pact/contracts/counter/interface.json"
        ))
        .unwrap_or_default();
        let c: ComponentContract = pact_core::json::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let stub = render(&c, TestLanguage::Python);
        let a = pact_core::testcode::analyze(TestLanguage::Python, &stub);
        assert!(a.parses(), "{:?}\n{stub}", a.syntax_errors);
        assert!(stub.contains("def top_n("));
        assert!(stub.contains("raise NotImplementedError"));
        let ts = render(&c, TestLanguage::TypeScript);
        assert!(
            pact_core::testcode::analyze(TestLanguage::TypeScript, &ts).parses(),
            "{ts}"
        );
    }

    #[test]
    fn typescript_stub_types() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/reference/sample/.pact/contracts/counter/interface.json"
        ))
        .unwrap_or_default();
        let c: ComponentContract = pact_core::json::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let ts = render(&c, TestLanguage::TypeScript);
        assert!(
            ts.contains("export type WordCountList = WordCount[];"),
            "{ts}"
        );
        assert!(
            ts.contains("tokens: Token[]): Record<string, number>"),
            "{ts}"
        );
        assert_eq!(
            ts_type("dict[str, list[Foo | None]]"),
            "Record<string, (Foo | null)[]>"
        );
        assert_eq!(ts_type("Optional[int]"), "number | undefined");
        assert_eq!(ts_type("tuple[str, int]"), "[string, number]");
    }

    #[test]
    fn hostile_contract_text_cannot_break_a_stub() {
        let c: ComponentContract = serde_json::from_value(serde_json::json!({
            "component_id": "x", "name": "X\nimport os", "description": "ends \"\"\" here */ and\nnew line \\",
            "invariants": ["first\nsecond"],
            "types": [{"name": "Mode", "kind": "enum", "variants": ["a\"b", "c'd", "new\nline"], "description": "\"\"\""},
                      {"name": "Rec", "kind": "struct", "fields": [{"name": "f", "type_ref": "str", "description": "multi\nline"}]}],
            "functions": [{"name": "f", "description": "doc \"\"\" */", "inputs": [], "output_type": "int",
                "preconditions": ["a \"\"\" b"], "error_cases": [{"name": "E", "condition": "x\ny", "error_type": "ValueError"}]}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        for lang in [
            TestLanguage::Python,
            TestLanguage::TypeScript,
            TestLanguage::JavaScript,
        ] {
            let stub = render(&c, lang);
            let a = pact_core::testcode::analyze(lang, &stub);
            assert!(a.parses(), "{lang:?}: {:?}\n{stub}", a.syntax_errors);
        }
    }
}
