//! Hover: a type's definition, a function's signature and conditions, a component's
//! description, status and last test results — as Markdown.

use crate::subject::{Subject, View, function_of_test, subject_at};
use pact_core::model::{TestResults, TypeKind, TypeSpec};
use pact_core::testcode;
use pact_core::text::TextRange;
use std::fmt::Write;
use std::path::Path;

pub fn hover(view: &View, path: &Path, text: &str, offset: usize) -> Option<(String, TextRange)> {
    let s = subject_at(view, path, text, offset)?;
    let md = match &s {
        Subject::Type { cid, name, .. } => type_markdown(view, cid, name)?,
        Subject::Builtin { name, .. } => format!("`{name}` — built-in type"),
        Subject::Function { cid, name, .. } => function_markdown(view, cid, name)?,
        Subject::Component { id, .. } => component_markdown(view, id),
        Subject::TestFn { cid, name, .. } => test_markdown(view, cid, name, path),
        Subject::TestCase { cid, id, .. } => case_markdown(view, cid, id)?,
    };
    Some((md, s.range()))
}

/// The type's definition as code, then its description.
pub fn type_markdown(view: &View, cid: &str, name: &str) -> Option<String> {
    let t = view.project.contract(cid)?.type_named(name)?;
    let mut md = format!("```python\n{}\n```\n", type_code(t));
    if !t.description.is_empty() {
        let _ = write!(md, "\n{}\n", t.description);
    }
    let _ = write!(md, "\n*{} type of component `{cid}`*", t.kind.as_str());
    Some(md)
}

fn type_code(t: &TypeSpec) -> String {
    match t.kind {
        TypeKind::Struct => {
            let mut s = format!("class {}:", t.name);
            if t.fields.is_empty() {
                s.push_str("\n    pass");
            }
            for f in &t.fields {
                let _ = write!(s, "\n    {}: {}", f.name, f.type_ref);
                if !f.required {
                    let default = if f.default.is_empty() {
                        "None"
                    } else {
                        f.default.as_str()
                    };
                    let _ = write!(s, " = {default}");
                }
                if !f.description.is_empty() {
                    let _ = write!(s, "  # {}", f.description.lines().next().unwrap_or(""));
                }
            }
            s
        }
        TypeKind::Enum => {
            let variants: Vec<String> = t.variants.iter().map(|v| format!("{v:?}")).collect();
            format!("{} = Literal[{}]", t.name, variants.join(", "))
        }
        TypeKind::List => format!("{} = list[{}]", t.name, t.item_type),
        TypeKind::Optional => format!(
            "{} = Optional[{}]",
            t.name,
            t.inner_types
                .first()
                .map_or(t.item_type.as_str(), String::as_str)
        ),
        TypeKind::Union => format!("{} = {}", t.name, t.inner_types.join(" | ")),
        TypeKind::Primitive => {
            let base = t
                .inner_types
                .first()
                .or(Some(&t.item_type))
                .filter(|s| !s.is_empty())
                .map_or("str", String::as_str);
            format!("{} = {}", t.name, base)
        }
    }
}

/// Signature, description, pre/postconditions, error cases and side effects.
pub fn function_markdown(view: &View, cid: &str, name: &str) -> Option<String> {
    let f = view.project.contract(cid)?.function_named(name)?;
    let mut md = format!("```python\ndef {}\n```\n", f.signature());
    if !f.description.is_empty() {
        let _ = write!(md, "\n{}\n", f.description);
    }
    let list = |md: &mut String, title: &str, items: &[String]| {
        if !items.is_empty() {
            let _ = write!(md, "\n**{title}**\n");
            for i in items {
                let _ = writeln!(md, "- `{i}`");
            }
        }
    };
    list(&mut md, "Preconditions", &f.preconditions);
    list(&mut md, "Postconditions", &f.postconditions);
    if !f.error_cases.is_empty() {
        md.push_str("\n**Errors**\n");
        for e in &f.error_cases {
            let _ = writeln!(
                md,
                "- `{}` — when `{}` raises `{}`",
                e.name, e.condition, e.error_type
            );
        }
    }
    let effects: Vec<String> = f
        .side_effects
        .iter()
        .cloned()
        .chain(f.structured_side_effects.iter().map(|s| {
            let kind = serde_json::to_value(s.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            if s.target.is_empty() {
                kind
            } else {
                format!("{kind} {}", s.target)
            }
        }))
        .collect();
    list(&mut md, "Side effects", &effects);
    let mut notes = Vec::new();
    if f.idempotent {
        notes.push("idempotent".to_string());
    }
    if let Some(s) = view.project.docs.suite(cid) {
        let cases: Vec<&str> = s
            .test_cases
            .iter()
            .filter(|c| c.function == name)
            .map(|c| c.id.as_str())
            .collect();
        notes.push(match cases.len() {
            0 => "no test cases".to_string(),
            1 => format!("1 test case ({})", cases[0]),
            n => format!("{n} test cases ({})", cases.join(", ")),
        });
    }
    let _ = write!(
        md,
        "\n*function of component `{cid}`{}*",
        notes.iter().map(|n| format!(" · {n}")).collect::<String>()
    );
    Some(md)
}

/// The last test results of a component: `test_results.json`, else the tree node's copy.
pub fn last_results(view: &View, cid: &str) -> Option<TestResults> {
    if let Some(r) = view.project.docs.test_results.get(cid).and_then(|d| d.ok()) {
        return Some(r.clone());
    }
    view.project
        .docs
        .tree()?
        .nodes
        .get(cid)?
        .test_results
        .clone()
}

/// "6 passed · 0 failed" or "not run yet".
pub fn results_summary(r: Option<&TestResults>) -> String {
    match r {
        Some(r) if r.total > 0 || r.passed > 0 || r.failed > 0 || r.errors > 0 => {
            let failed = r.failed + r.errors;
            format!("{} passed · {} failed", r.passed, failed)
        }
        _ => "not run yet".to_string(),
    }
}

pub fn component_markdown(view: &View, id: &str) -> String {
    let docs = &view.project.docs;
    let contract = view.project.contract(id);
    let node = docs.tree().and_then(|t| t.nodes.get(id));
    let name = contract
        .map(|c| c.name.as_str())
        .or(node.map(|n| n.name.as_str()))
        .unwrap_or("");
    let mut md = if name.is_empty() {
        format!("### `{id}`\n")
    } else {
        format!("### `{id}` — {name}\n")
    };
    let description = contract
        .map(|c| c.description.as_str())
        .filter(|d| !d.is_empty())
        .or(node.map(|n| n.description.as_str()));
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        let _ = write!(md, "\n{d}\n");
    }
    md.push('\n');
    let mut facts = Vec::new();
    match node {
        Some(n) => facts.push(format!("**Status:** {}", n.implementation_status.as_str())),
        None if contract.is_none() => {
            facts.push("**Status:** not a component of this project".to_string())
        }
        None => facts.push("**Status:** not in the tree".to_string()),
    }
    if let Some(c) = contract {
        facts.push(format!(
            "**Contract:** v{} · {} functions · {} types",
            c.version,
            c.functions.len(),
            c.types.len()
        ));
        if !c.dependencies.is_empty() {
            facts.push(format!(
                "**Depends on:** {}",
                c.dependencies
                    .iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    } else if node.is_some() {
        facts.push("**Contract:** none yet".to_string());
    }
    let results = last_results(view, id);
    let cases = docs.suite(id).map(|s| s.test_cases.len());
    let mut tests = match cases {
        Some(n) => format!(
            "**Tests:** {n} cases · last run: {}",
            results_summary(results.as_ref())
        ),
        None => format!(
            "**Tests:** no suite · last run: {}",
            results_summary(results.as_ref())
        ),
    };
    if let Some(r) = results.as_ref().filter(|r| !r.timestamp.is_empty()) {
        let _ = write!(tests, " ({})", r.timestamp);
    }
    facts.push(tests);
    if let Some(r) = &results {
        for f in r.failure_details.iter().take(5) {
            let msg = f.error_message.lines().next().unwrap_or("");
            facts.push(format!("- ✗ `{}` {}", f.test_id, msg));
        }
    }
    md.push_str(&facts.join("  \n"));
    md
}

fn test_markdown(view: &View, cid: &str, name: &str, path: &Path) -> String {
    let mut md = format!("**Test** `{name}` of component `{cid}`\n");
    if let Some(s) = view.project.docs.suite(cid)
        && let Some(case) =
            testcode::case_for_test(name, s.test_cases.iter().map(|c| c.id.as_str()))
        && let Some(c) = s.test_cases.iter().find(|c| c.id == case)
    {
        let category = serde_json::to_value(c.category)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = write!(
            md,
            "\nTest case **{}** ({category}): {}\n",
            c.id, c.description
        );
    }
    if let Some(f) = function_of_test(view, cid, name, path)
        && let Some(func) = view
            .project
            .contract(cid)
            .and_then(|c| c.function_named(&f))
    {
        let _ = write!(md, "\nTests:\n```python\ndef {}\n```", func.signature());
    }
    md
}

fn case_markdown(view: &View, cid: &str, id: &str) -> Option<String> {
    let s = view.project.docs.suite(cid)?;
    let c = s.test_cases.iter().find(|c| c.id == id)?;
    let category = serde_json::to_value(c.category)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut md = format!(
        "**Test case {}** ({category}) of `{cid}`\n\n{}\n",
        c.id, c.description
    );
    if let Some(func) = view
        .project
        .contract(cid)
        .and_then(|k| k.function_named(&c.function))
    {
        let _ = write!(md, "\n```python\ndef {}\n```\n", func.signature());
    }
    if !c.expected_output_description.is_empty() {
        let _ = write!(md, "\n**Expected:** {}\n", c.expected_output_description);
    }
    if !c.expected_error.is_empty() {
        let _ = write!(md, "\n**Expected error:** {}\n", c.expected_error);
    }
    Some(md)
}
