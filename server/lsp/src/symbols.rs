//! Document symbols (types, functions, test cases, tree nodes, tests, headings) and workspace
//! symbols (every component, type and function).

use crate::documents::Conv;
use crate::jsonscan::{self, ItemKind, is};
use crate::subject::{Loc, View};
use pact_core::json::Seg;
use pact_core::model::{TestLanguage, TypeKind};
use pact_core::store::DocKind;
use pact_core::testcode;
use pact_core::text::TextRange;
use std::collections::HashMap;
use std::path::Path;
use tower_lsp_server::ls_types::{DocumentSymbol, SymbolKind};

/// Ranges of containers and of string values, by path, from one scan.
fn ranges(text: &str, want: impl Fn(&[Seg]) -> bool) -> HashMap<String, TextRange> {
    let mut out = HashMap::new();
    jsonscan::scan(text, |p, item| {
        match &item.kind {
            ItemKind::Close(_) if want(p) => {
                out.insert(jsonscan::path_key(p), item.range);
            }
            ItemKind::Str(_) if want(p) => {
                out.insert(jsonscan::path_key(p), item.content());
            }
            ItemKind::Key(_) if want(p) => {
                out.insert(
                    jsonscan::path_key(&[p, &[Seg::Key("#key".into())]].concat()),
                    item.content(),
                );
            }
            _ => {}
        }
        true
    });
    out
}

#[allow(deprecated)]
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    conv: &Conv,
    range: TextRange,
    sel: TextRange,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    // The selection range must lie inside the range.
    let range = TextRange::new(range.start.min(sel.start), range.end.max(sel.end));
    DocumentSymbol {
        name: if name.is_empty() {
            "?".to_string()
        } else {
            name
        },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: conv.range(range),
        selection_range: conv.range(sel),
        children: (!children.is_empty()).then_some(children),
    }
}

pub fn document_symbols(view: &View, path: &Path, conv: &Conv) -> Vec<DocumentSymbol> {
    let text = conv.text;
    let Some((kind, cid)) = view.project.layout.classify(path) else {
        return Vec::new();
    };
    let k = |s: &str| Seg::Key(s.to_string());
    match kind {
        DocKind::Contract => {
            let Some(c) = cid.as_deref().and_then(|c| view.project.contract(c)) else {
                return Vec::new();
            };
            let r = ranges(text, |p| {
                is(p, "types/#")
                    || is(p, "types/#/name")
                    || is(p, "functions/#")
                    || is(p, "functions/#/name")
                    || is(p, "types/#/fields/#")
                    || is(p, "types/#/fields/#/name")
            });
            let mut out = Vec::new();
            for (i, t) in c.types.iter().enumerate() {
                let whole = r
                    .get(&jsonscan::path_key(&[k("types"), Seg::Index(i)]))
                    .copied()
                    .unwrap_or_default();
                let sel = r
                    .get(&jsonscan::path_key(&[k("types"), Seg::Index(i), k("name")]))
                    .copied()
                    .unwrap_or(whole);
                let fields = t
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(j, f)| {
                        let base = vec![k("types"), Seg::Index(i), k("fields"), Seg::Index(j)];
                        let fr = r.get(&jsonscan::path_key(&base)).copied().unwrap_or(whole);
                        let fs = r
                            .get(&jsonscan::path_key(
                                &[base.clone(), vec![k("name")]].concat(),
                            ))
                            .copied()
                            .unwrap_or(fr);
                        symbol(
                            f.name.clone(),
                            Some(f.type_ref.clone()),
                            SymbolKind::FIELD,
                            conv,
                            fr,
                            fs,
                            Vec::new(),
                        )
                    })
                    .collect();
                let sk = match t.kind {
                    TypeKind::Struct => SymbolKind::STRUCT,
                    TypeKind::Enum => SymbolKind::ENUM,
                    _ => SymbolKind::CLASS,
                };
                out.push(symbol(
                    t.name.clone(),
                    Some(t.kind.as_str().to_string()),
                    sk,
                    conv,
                    whole,
                    sel,
                    fields,
                ));
            }
            for (i, f) in c.functions.iter().enumerate() {
                let whole = r
                    .get(&jsonscan::path_key(&[k("functions"), Seg::Index(i)]))
                    .copied()
                    .unwrap_or_default();
                let sel = r
                    .get(&jsonscan::path_key(&[
                        k("functions"),
                        Seg::Index(i),
                        k("name"),
                    ]))
                    .copied()
                    .unwrap_or(whole);
                out.push(symbol(
                    f.name.clone(),
                    Some(f.signature()),
                    SymbolKind::FUNCTION,
                    conv,
                    whole,
                    sel,
                    Vec::new(),
                ));
            }
            out
        }
        DocKind::Suite => {
            let Some(s) = cid.as_deref().and_then(|c| view.project.docs.suite(c)) else {
                return Vec::new();
            };
            let r = ranges(text, |p| is(p, "test_cases/#") || is(p, "test_cases/#/id"));
            s.test_cases
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let whole = r
                        .get(&jsonscan::path_key(&[k("test_cases"), Seg::Index(i)]))
                        .copied()
                        .unwrap_or_default();
                    let sel = r
                        .get(&jsonscan::path_key(&[
                            k("test_cases"),
                            Seg::Index(i),
                            k("id"),
                        ]))
                        .copied()
                        .unwrap_or(whole);
                    symbol(
                        format!("{} {}", c.id, c.function),
                        Some(c.description.clone()),
                        SymbolKind::METHOD,
                        conv,
                        whole,
                        sel,
                        Vec::new(),
                    )
                })
                .collect()
        }
        DocKind::Tree => {
            let Some(t) = view.project.docs.tree() else {
                return Vec::new();
            };
            let r = ranges(text, |p| is(p, "nodes/*") || is(p, "nodes"));
            t.nodes
                .iter()
                .map(|(id, n)| {
                    let whole = r
                        .get(&jsonscan::path_key(&[k("nodes"), k(id)]))
                        .copied()
                        .unwrap_or_default();
                    let sel = r
                        .get(&jsonscan::path_key(&[k("nodes"), k(id), k("#key")]))
                        .copied()
                        .unwrap_or(whole);
                    symbol(
                        id.clone(),
                        Some(n.name.clone()),
                        SymbolKind::MODULE,
                        conv,
                        whole,
                        sel,
                        Vec::new(),
                    )
                })
                .collect()
        }
        DocKind::TestCode => {
            let Some(lang) = TestLanguage::from_path(path) else {
                return Vec::new();
            };
            testcode::analyze(lang, text)
                .tests
                .into_iter()
                .map(|t| {
                    symbol(
                        t.name,
                        None,
                        SymbolKind::FUNCTION,
                        conv,
                        t.range,
                        t.name_range,
                        Vec::new(),
                    )
                })
                .collect()
        }
        DocKind::Task | DocKind::Sops => markdown_headings(conv),
        _ => Vec::new(),
    }
}

fn markdown_headings(conv: &Conv) -> Vec<DocumentSymbol> {
    let text = conv.text;
    let mut out = Vec::new();
    let mut offset = 0;
    let mut fenced = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed.starts_with("```") {
            fenced = !fenced;
        }
        if !fenced && trimmed.starts_with('#') {
            let title = trimmed.trim_start_matches('#').trim();
            if !title.is_empty() {
                let r = TextRange::new(offset, offset + trimmed.len());
                out.push(symbol(
                    title.to_string(),
                    None,
                    SymbolKind::STRING,
                    conv,
                    r,
                    r,
                    Vec::new(),
                ));
            }
        }
        offset += line.len();
    }
    out
}

/// A workspace symbol before conversion.
pub struct WorkspaceSym {
    pub name: String,
    pub kind: SymbolKind,
    pub container: Option<String>,
    pub loc: Loc,
}

/// Case-insensitive subsequence match, as editors filter.
pub fn matches(query: &str, name: &str) -> bool {
    let mut chars = name.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .all(|q| chars.any(|c| c == q))
}

pub fn workspace_symbols(view: &View, query: &str, limit: usize, out: &mut Vec<WorkspaceSym>) {
    let docs = &view.project.docs;
    for id in view.project.component_ids() {
        if out.len() >= limit {
            return;
        }
        let contract = docs.contracts.get(&id);
        let c = contract.and_then(|d| d.ok());
        let id_hit = matches(query, &id);
        let types: Vec<usize> = c
            .map(|c| {
                c.types
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| matches(query, &t.name))
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        let funcs: Vec<usize> = c
            .map(|c| {
                c.functions
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| matches(query, &f.name))
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        if !id_hit && types.is_empty() && funcs.is_empty() {
            continue;
        }
        let Some(doc) = contract else {
            if let Some(loc) = crate::subject::component_def(view, &id) {
                out.push(WorkspaceSym {
                    name: id.clone(),
                    kind: SymbolKind::MODULE,
                    container: None,
                    loc,
                });
            }
            continue;
        };
        let text = view.text(&doc.path).unwrap_or_else(|| doc.text.clone());
        let k = |s: &str| Seg::Key(s.to_string());
        let r = ranges(&text, |p| {
            is(p, "component_id") || is(p, "types/#/name") || is(p, "functions/#/name")
        });
        let at = |p: Vec<Seg>| Loc {
            path: doc.path.clone(),
            range: r.get(&jsonscan::path_key(&p)).copied().unwrap_or_default(),
        };
        if id_hit {
            out.push(WorkspaceSym {
                name: id.clone(),
                kind: SymbolKind::MODULE,
                container: None,
                loc: at(vec![k("component_id")]),
            });
        }
        let Some(c) = c else { continue };
        for i in types {
            out.push(WorkspaceSym {
                name: c.types[i].name.clone(),
                kind: SymbolKind::STRUCT,
                container: Some(id.clone()),
                loc: at(vec![k("types"), Seg::Index(i), k("name")]),
            });
        }
        for i in funcs {
            out.push(WorkspaceSym {
                name: c.functions[i].name.clone(),
                kind: SymbolKind::FUNCTION,
                container: Some(id.clone()),
                loc: at(vec![k("functions"), Seg::Index(i), k("name")]),
            });
        }
    }
}
