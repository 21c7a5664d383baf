//! Completion: type names in type refs, component ids in dependencies and tree links, enum
//! values, and the schema's field names (as snippets), from the text as it is being typed.

use crate::documents::Conv;
use crate::jsonscan::{self, Spot, is};
use crate::subject::{TREE_ID_PATHS, View, is_type_ref_path, word_at};
use pact_core::gate::BUILTIN_TYPES;
use pact_core::json::Seg;
use pact_core::model::{
    ImplementationStatus, SideEffectKind, TestCategory, TypeKind, ValidatorKind,
};
use pact_core::store::DocKind;
use pact_core::text::TextRange;
use std::path::Path;
use tower_lsp_server::ls_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, InsertTextFormat,
    MarkupContent, MarkupKind, TextEdit,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Num,
    Bool,
    Arr,
    Obj,
    /// A string with a fixed set of values.
    Enum(&'static [&'static str]),
}

const LANGUAGES: &[&str] = &["python", "typescript", "javascript"];

/// (field, type, required) per object kind.
fn schema(doc: DocKind, path: &[Seg]) -> Option<&'static [(&'static str, Ty, bool)]> {
    use Ty::*;
    const FIELD: &[(&str, Ty, bool)] = &[
        ("name", Str, true),
        ("type_ref", Str, true),
        ("required", Bool, false),
        ("default", Str, false),
        ("description", Str, false),
        ("validators", Arr, false),
    ];
    let fields: &'static [(&'static str, Ty, bool)] = match doc {
        DocKind::Contract => {
            if path.is_empty() {
                &[
                    ("component_id", Str, true),
                    ("name", Str, true),
                    ("description", Str, true),
                    ("version", Num, false),
                    ("types", Arr, false),
                    ("functions", Arr, false),
                    ("dependencies", Arr, false),
                    ("dependency_contracts", Obj, false),
                    ("invariants", Arr, false),
                    ("requires", Arr, false),
                    ("data_access", Obj, false),
                    ("authority", Obj, false),
                ]
            } else if is(path, "types/#") {
                &[
                    ("name", Str, true),
                    ("kind", Enum(&TypeKind::ALL), true),
                    ("description", Str, false),
                    ("fields", Arr, false),
                    ("item_type", Str, false),
                    ("variants", Arr, false),
                    ("inner_types", Arr, false),
                ]
            } else if is(path, "types/#/fields/#") || is(path, "functions/#/inputs/#") {
                FIELD
            } else if is(path, "types/#/fields/#/validators/#")
                || is(path, "functions/#/inputs/#/validators/#")
            {
                &[
                    ("kind", Enum(&ValidatorKind::ALL), true),
                    ("expression", Str, true),
                    ("error_message", Str, false),
                ]
            } else if is(path, "functions/#") {
                &[
                    ("name", Str, true),
                    ("description", Str, true),
                    ("inputs", Arr, true),
                    ("output_type", Str, true),
                    ("error_cases", Arr, false),
                    ("preconditions", Arr, false),
                    ("postconditions", Arr, false),
                    ("idempotent", Bool, false),
                    ("is_async", Bool, false),
                    ("side_effects", Arr, false),
                    ("structured_side_effects", Arr, false),
                    ("performance_budget", Obj, false),
                ]
            } else if is(path, "functions/#/error_cases/#") {
                &[
                    ("name", Str, true),
                    ("condition", Str, true),
                    ("error_type", Str, true),
                    ("error_data", Obj, false),
                ]
            } else if is(path, "functions/#/structured_side_effects/#") {
                &[
                    ("kind", Enum(&SideEffectKind::ALL), true),
                    ("target", Str, false),
                    ("description", Str, false),
                ]
            } else if is(path, "functions/#/performance_budget") {
                &[
                    ("p95_latency_ms", Num, false),
                    ("max_memory_mb", Num, false),
                    ("complexity", Str, false),
                ]
            } else {
                return None;
            }
        }
        DocKind::Suite => {
            if path.is_empty() {
                &[
                    ("component_id", Str, true),
                    ("contract_version", Num, true),
                    ("test_cases", Arr, true),
                    ("test_language", Enum(LANGUAGES), false),
                    ("generated_code", Str, false),
                ]
            } else if is(path, "test_cases/#") {
                &[
                    ("id", Str, true),
                    ("description", Str, true),
                    ("function", Str, true),
                    ("category", Enum(&TestCategory::ALL), true),
                    ("setup_description", Str, false),
                    ("mock_dependencies", Obj, false),
                    ("input_values", Obj, false),
                    ("input_description", Str, false),
                    ("expected_output_description", Str, false),
                    ("expected_error", Str, false),
                    ("assertions", Arr, false),
                ]
            } else {
                return None;
            }
        }
        DocKind::Tree => {
            if path.is_empty() {
                &[("root_id", Str, true), ("nodes", Obj, true)]
            } else if is(path, "nodes/*") {
                &[
                    ("component_id", Str, true),
                    ("name", Str, true),
                    ("description", Str, true),
                    ("depth", Num, false),
                    ("parent_id", Str, false),
                    ("children", Arr, false),
                    ("contract", Obj, false),
                    (
                        "implementation_status",
                        Enum(&ImplementationStatus::ALL),
                        false,
                    ),
                    ("test_results", Obj, false),
                ]
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(fields)
}

/// The fixed values a string at `path` may take.
fn enum_values(doc: DocKind, path: &[Seg]) -> Option<&'static [&'static str]> {
    match doc {
        DocKind::Contract if is(path, "types/#/kind") => Some(&TypeKind::ALL),
        DocKind::Contract
            if is(path, "functions/#/side_effects/#")
                || is(path, "functions/#/structured_side_effects/#/kind") =>
        {
            Some(&SideEffectKind::ALL)
        }
        DocKind::Contract
            if is(path, "types/#/fields/#/validators/#/kind")
                || is(path, "functions/#/inputs/#/validators/#/kind") =>
        {
            Some(&ValidatorKind::ALL)
        }
        DocKind::Suite if is(path, "test_cases/#/category") => Some(&TestCategory::ALL),
        DocKind::Suite if is(path, "test_language") => Some(LANGUAGES),
        DocKind::Tree if is(path, "nodes/*/implementation_status") => {
            Some(&ImplementationStatus::ALL)
        }
        _ => None,
    }
}

struct Candidate {
    label: String,
    kind: CompletionItemKind,
    detail: Option<String>,
    doc: Option<String>,
}

fn simple(label: &str, kind: CompletionItemKind, detail: &str) -> Candidate {
    Candidate {
        label: label.to_string(),
        kind,
        detail: Some(detail.to_string()),
        doc: None,
    }
}

/// Value candidates for a string at `path`.
fn values(
    view: &View,
    doc: DocKind,
    cid: Option<&str>,
    path: &[Seg],
) -> Option<(Vec<Candidate>, bool)> {
    if let Some(vals) = enum_values(doc, path) {
        return Some((
            vals.iter()
                .map(|v| simple(v, CompletionItemKind::ENUM_MEMBER, "enum value"))
                .collect(),
            false,
        ));
    }
    let ids = || -> Vec<Candidate> {
        view.project
            .component_ids()
            .into_iter()
            .filter(|i| Some(i.as_str()) != cid)
            .map(|id| {
                let name = view
                    .project
                    .docs
                    .tree()
                    .and_then(|t| t.nodes.get(&id))
                    .map(|n| n.name.clone())
                    .unwrap_or_default();
                Candidate {
                    label: id,
                    kind: CompletionItemKind::MODULE,
                    detail: Some(name),
                    doc: None,
                }
            })
            .collect()
    };
    match doc {
        DocKind::Contract if is_type_ref_path(path) => {
            let mut out: Vec<Candidate> = Vec::new();
            if let Some(c) = cid.and_then(|c| view.project.contract(c)) {
                for t in &c.types {
                    out.push(Candidate {
                        label: t.name.clone(),
                        kind: if t.kind == TypeKind::Enum {
                            CompletionItemKind::ENUM
                        } else {
                            CompletionItemKind::STRUCT
                        },
                        detail: Some(format!("{} type", t.kind.as_str())),
                        doc: (!t.description.is_empty()).then(|| t.description.clone()),
                    });
                }
            }
            out.extend(
                BUILTIN_TYPES
                    .iter()
                    .map(|b| simple(b, CompletionItemKind::TYPE_PARAMETER, "built-in type")),
            );
            Some((out, true))
        }
        DocKind::Contract if is(path, "dependencies/#") => Some((ids(), false)),
        DocKind::Tree if TREE_ID_PATHS.iter().any(|p| is(path, p)) => Some((ids(), false)),
        DocKind::Suite if is(path, "test_cases/#/function") => {
            let c = cid.and_then(|c| view.project.contract(c))?;
            Some((
                c.functions
                    .iter()
                    .map(|f| Candidate {
                        label: f.name.clone(),
                        kind: CompletionItemKind::FUNCTION,
                        detail: Some(f.signature()),
                        doc: None,
                    })
                    .collect(),
                false,
            ))
        }
        _ => None,
    }
}

fn item(
    c: Candidate,
    conv: &Conv,
    range: TextRange,
    new_text: String,
    snippet: bool,
    sort: Option<String>,
) -> CompletionItem {
    CompletionItem {
        label: c.label.clone(),
        kind: Some(c.kind),
        detail: c.detail,
        documentation: c.doc.map(|d| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d,
            })
        }),
        filter_text: Some(if new_text.starts_with('"') {
            format!("\"{}", c.label)
        } else {
            c.label.clone()
        }),
        sort_text: sort,
        insert_text_format: Some(if snippet {
            InsertTextFormat::SNIPPET
        } else {
            InsertTextFormat::PLAIN_TEXT
        }),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit {
            range: conv.range(range),
            new_text,
        })),
        ..Default::default()
    }
}

/// The completions at `offset` of the document `path`.
pub fn complete(
    view: &View,
    path: &Path,
    conv: &Conv,
    offset: usize,
    snippets: bool,
) -> Vec<CompletionItem> {
    let Some((doc, cid)) = view.project.layout.classify(path) else {
        return Vec::new();
    };
    let text = conv.text;
    match doc {
        DocKind::Contract | DocKind::Suite | DocKind::Tree => {}
        DocKind::TestCode | DocKind::Implementation => {
            return code_items(view, cid.as_deref(), conv, offset);
        }
        _ => return Vec::new(),
    }
    match jsonscan::spot_with_keys(text, offset, true) {
        Spot::Str {
            path: p, item: it, ..
        } => {
            let Some((cands, word_only)) = values(view, doc, cid.as_deref(), &p) else {
                return Vec::new();
            };
            let content = it.content();
            let range = if word_only {
                // Replace just the name being typed inside e.g. `list[Wo|`.
                let is_ident = |c: char| c.is_alphanumeric() || c == '_';
                let o = offset.clamp(content.start, content.end);
                let start = text[content.start..o]
                    .char_indices()
                    .rev()
                    .take_while(|(_, c)| is_ident(*c))
                    .last()
                    .map_or(o, |(i, _)| content.start + i);
                let end = text[o..content.end]
                    .char_indices()
                    .find(|(_, c)| !is_ident(*c))
                    .map_or(content.end, |(i, _)| o + i);
                TextRange::new(start, end)
            } else {
                content
            };
            cands
                .into_iter()
                .map(|c| {
                    let t = c.label.clone();
                    item(c, conv, range, t, false, None)
                })
                .collect()
        }
        Spot::ExpectValue { path: p } => {
            let Some((cands, _)) = values(view, doc, cid.as_deref(), &p) else {
                return Vec::new();
            };
            let range = TextRange::new(offset, offset);
            cands
                .into_iter()
                .map(|c| {
                    let t = format!("\"{}\"", c.label);
                    item(c, conv, range, t, false, None)
                })
                .collect()
        }
        Spot::Key {
            path: p,
            item: it,
            siblings,
        } => {
            let obj = &p[..p.len().saturating_sub(1)];
            let Some(fields) = schema(doc, obj) else {
                return Vec::new();
            };
            // A key that already has its `:` only gets its name replaced.
            let rest = text[it.range.end..].trim_start();
            let has_colon = it.closed && rest.starts_with(':');
            fields
                .iter()
                .filter(|(n, _, _)| !siblings.iter().any(|s| s == n))
                .map(|(name, ty, required)| {
                    let c = field_candidate(name, *ty, *required);
                    let (t, snip) = if has_colon {
                        (format!("\"{name}\""), false)
                    } else {
                        field_text(name, *ty, snippets)
                    };
                    item(
                        c,
                        conv,
                        it.range,
                        t,
                        snip,
                        Some(format!("{}{name}", if *required { 0 } else { 1 })),
                    )
                })
                .collect()
        }
        Spot::ExpectKey { path: p, siblings } => {
            let Some(fields) = schema(doc, &p) else {
                return Vec::new();
            };
            fields
                .iter()
                .filter(|(n, _, _)| !siblings.iter().any(|s| s == n))
                .map(|(name, ty, required)| {
                    let c = field_candidate(name, *ty, *required);
                    let (t, snip) = field_text(name, *ty, snippets);
                    item(
                        c,
                        conv,
                        TextRange::new(offset, offset),
                        t,
                        snip,
                        Some(format!("{}{name}", if *required { 0 } else { 1 })),
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

fn field_candidate(name: &str, ty: Ty, required: bool) -> Candidate {
    let t = match ty {
        Ty::Str => "string",
        Ty::Num => "number",
        Ty::Bool => "boolean",
        Ty::Arr => "array",
        Ty::Obj => "object",
        Ty::Enum(_) => "enum",
    };
    Candidate {
        label: name.to_string(),
        kind: CompletionItemKind::FIELD,
        detail: Some(format!("{t}{}", if required { " (required)" } else { "" })),
        doc: None,
    }
}

/// `"name": "$1"` and friends (plain text when the client takes no snippets).
fn field_text(name: &str, ty: Ty, snippets: bool) -> (String, bool) {
    if !snippets {
        return (format!("\"{name}\": "), false);
    }
    let value = match ty {
        Ty::Str => "\"$1\"".to_string(),
        Ty::Num => "${1:1}".to_string(),
        Ty::Bool => "${1|true,false|}".to_string(),
        Ty::Arr => "[$1]".to_string(),
        Ty::Obj => "{$1}".to_string(),
        Ty::Enum(vals) => format!("\"${{1|{}|}}\"", vals.join(",")),
    };
    (format!("\"{name}\": {value}"), true)
}

/// In test code and implementations: the contract's functions and types.
fn code_items(view: &View, cid: Option<&str>, conv: &Conv, offset: usize) -> Vec<CompletionItem> {
    let Some(c) = cid.and_then(|c| view.project.contract(c)) else {
        return Vec::new();
    };
    let range = match word_at(conv.text, offset) {
        Some((_, r)) if r.start < offset => TextRange::new(r.start, offset),
        _ => TextRange::new(offset, offset),
    };
    let mut out = Vec::new();
    for f in &c.functions {
        let cand = Candidate {
            label: f.name.clone(),
            kind: CompletionItemKind::FUNCTION,
            detail: Some(f.signature()),
            doc: (!f.description.is_empty()).then(|| f.description.clone()),
        };
        out.push(item(cand, conv, range, f.name.clone(), false, None));
    }
    for t in &c.types {
        let cand = Candidate {
            label: t.name.clone(),
            kind: CompletionItemKind::STRUCT,
            detail: Some(format!("{} type", t.kind.as_str())),
            doc: None,
        };
        out.push(item(cand, conv, range, t.name.clone(), false, None));
    }
    out
}
