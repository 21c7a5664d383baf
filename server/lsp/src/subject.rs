//! What the cursor is on, in Pact terms: a type, a function, a component, a test. Hover,
//! definition, references and rename all start here.

use crate::jsonscan::{self, ItemKind, Spot, is};
use crate::workspace::{OpenMap, Project, dep_key};
use pact_core::gate::{BUILTIN_TYPES, base_types};
use pact_core::model::TestLanguage;
use pact_core::store::DocKind;
use pact_core::testcode;
use pact_core::text::TextRange;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A project and the open buffers: everything a feature reads.
pub struct View<'a> {
    pub project: &'a Project,
    pub open: &'a OpenMap,
}

impl View<'_> {
    pub fn text(&self, path: &Path) -> Option<Arc<str>> {
        self.project.text(self.open, path)
    }
}

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub path: PathBuf,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A type of component `cid`'s contract; `def` when on its own `name`.
    Type {
        cid: String,
        name: String,
        range: TextRange,
        def: bool,
    },
    /// A built-in type name in a type ref.
    Builtin { name: String, range: TextRange },
    /// A function of `cid`'s contract; `def` when on its `name` in interface.json.
    Function {
        cid: String,
        name: String,
        range: TextRange,
        def: bool,
    },
    /// A component id.
    Component { id: String, range: TextRange },
    /// A test function (Python) or test title (TS/JS) in test code.
    TestFn {
        cid: String,
        name: String,
        range: TextRange,
    },
    /// A test case of a suite.
    TestCase {
        cid: String,
        id: String,
        range: TextRange,
    },
}

impl Subject {
    pub fn range(&self) -> TextRange {
        match self {
            Subject::Type { range, .. }
            | Subject::Builtin { range, .. }
            | Subject::Function { range, .. }
            | Subject::Component { range, .. }
            | Subject::TestFn { range, .. }
            | Subject::TestCase { range, .. } => *range,
        }
    }
}

/// Paths of a contract whose string values are type refs.
pub const TYPE_REF_PATHS: &[&str] = &[
    "functions/#/inputs/#/type_ref",
    "functions/#/output_type",
    "types/#/fields/#/type_ref",
    "types/#/item_type",
    "types/#/inner_types/#",
];

pub fn is_type_ref_path(path: &[pact_core::json::Seg]) -> bool {
    TYPE_REF_PATHS.iter().any(|p| is(path, p))
}

/// Paths of a tree whose string values are component ids.
pub const TREE_ID_PATHS: &[&str] = &[
    "root_id",
    "nodes/*/component_id",
    "nodes/*/parent_id",
    "nodes/*/children/#",
];

/// The component a name resolves to, the way the gate resolves dependency names.
pub fn resolve_component(project: &Project, name: &str) -> String {
    let ids = project.component_ids();
    if ids.iter().any(|i| i == name) {
        return name.to_string();
    }
    let lower = name.to_lowercase();
    if let Some(i) = ids.iter().find(|i| i.to_lowercase() == lower) {
        return i.clone();
    }
    let key = dep_key(name);
    ids.into_iter()
        .find(|i| dep_key(i) == key)
        .unwrap_or_else(|| name.to_string())
}

pub fn subject_at(view: &View, path: &Path, text: &str, offset: usize) -> Option<Subject> {
    let (kind, cid) = view.project.layout.classify(path)?;
    match kind {
        DocKind::Contract => contract_subject(view, cid?, text, offset),
        DocKind::Suite => suite_subject(view, cid?, text, offset),
        DocKind::Tree => tree_subject(view, text, offset),
        DocKind::TestCode => code_subject(view, &cid?, path, text, offset, true),
        DocKind::Implementation => code_subject(view, &cid?, path, text, offset, false),
        _ => None,
    }
}

fn contract_subject(view: &View, cid: String, text: &str, offset: usize) -> Option<Subject> {
    match jsonscan::spot_at(text, offset, false) {
        Spot::Str { path, value, item } => {
            if is_type_ref_path(&path) {
                let d = jsonscan::decoded_offset(text, &item, offset);
                let b = base_types(&value)
                    .into_iter()
                    .find(|b| b.offset <= d && d <= b.offset + b.name.len())?;
                let range = TextRange::new(
                    jsonscan::raw_offset(text, &item, b.offset),
                    jsonscan::raw_offset(text, &item, b.offset + b.name.len()),
                );
                let defined = view
                    .project
                    .contract(&cid)
                    .is_some_and(|c| c.type_named(b.name).is_some());
                if !defined && BUILTIN_TYPES.contains(&b.name) {
                    return Some(Subject::Builtin {
                        name: b.name.to_string(),
                        range,
                    });
                }
                return Some(Subject::Type {
                    cid,
                    name: b.name.to_string(),
                    range,
                    def: false,
                });
            }
            let range = item.content();
            if is(&path, "types/#/name") {
                return Some(Subject::Type {
                    cid,
                    name: value,
                    range,
                    def: true,
                });
            }
            if is(&path, "functions/#/name") {
                return Some(Subject::Function {
                    cid,
                    name: value,
                    range,
                    def: true,
                });
            }
            if is(&path, "dependencies/#") {
                return Some(Subject::Component {
                    id: resolve_component(view.project, &value),
                    range,
                });
            }
            if is(&path, "component_id") {
                return Some(Subject::Component { id: value, range });
            }
            None
        }
        Spot::Key { path, item, .. } if is(&path, "dependency_contracts/*") => {
            Some(Subject::Component {
                id: jsonscan::key(&path, 1).to_string(),
                range: item.content(),
            })
        }
        _ => None,
    }
}

fn suite_subject(_view: &View, cid: String, text: &str, offset: usize) -> Option<Subject> {
    let Spot::Str { path, value, item } = jsonscan::spot_at(text, offset, false) else {
        return None;
    };
    let range = item.content();
    if is(&path, "test_cases/#/function") {
        return Some(Subject::Function {
            cid,
            name: value,
            range,
            def: false,
        });
    }
    if is(&path, "test_cases/#/id") {
        return Some(Subject::TestCase {
            cid,
            id: value,
            range,
        });
    }
    if is(&path, "component_id") {
        return Some(Subject::Component { id: value, range });
    }
    None
}

fn tree_subject(_view: &View, text: &str, offset: usize) -> Option<Subject> {
    match jsonscan::spot_at(text, offset, false) {
        Spot::Key { path, item, .. } if is(&path, "nodes/*") => Some(Subject::Component {
            id: jsonscan::key(&path, 1).to_string(),
            range: item.content(),
        }),
        Spot::Str { path, value, item }
            if TREE_ID_PATHS.iter().any(|p| is(&path, p)) && !value.is_empty() =>
        {
            Some(Subject::Component {
                id: value,
                range: item.content(),
            })
        }
        _ => None,
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// The identifier around `offset`, if any.
pub fn word_at(text: &str, offset: usize) -> Option<(String, TextRange)> {
    let offset = pact_core::text::floor_char_boundary(text, offset.min(text.len()));
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_ident(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_ident(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    (start < end).then(|| (text[start..end].to_string(), TextRange::new(start, end)))
}

fn code_subject(
    view: &View,
    cid: &str,
    path: &Path,
    text: &str,
    offset: usize,
    is_test: bool,
) -> Option<Subject> {
    if is_test && let Some(lang) = TestLanguage::from_path(path) {
        let analysis = testcode::analyze(lang, text);
        if let Some(t) = analysis
            .tests
            .iter()
            .find(|t| t.name_range.start <= offset && offset <= t.name_range.end)
        {
            return Some(Subject::TestFn {
                cid: cid.to_string(),
                name: t.name.clone(),
                range: t.name_range,
            });
        }
    }
    let (word, range) = word_at(text, offset)?;
    if let Some(c) = view.project.contract(cid) {
        if c.function_named(&word).is_some() {
            return Some(Subject::Function {
                cid: cid.to_string(),
                name: word,
                range,
                def: false,
            });
        }
        if c.type_named(&word).is_some() {
            return Some(Subject::Type {
                cid: cid.to_string(),
                name: word,
                range,
                def: false,
            });
        }
    }
    // `from counter import *`: the module is the component.
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim_start();
    if (line.starts_with("from ") || line.starts_with("import "))
        && view.project.component_ids().contains(&word)
    {
        return Some(Subject::Component { id: word, range });
    }
    None
}

/// Every start offset of `needle` as a whole identifier in `hay`.
pub fn find_words(hay: &str, needle: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|h| h.find(needle)) {
        let at = from + i;
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            out.push(at);
        }
        from = at + needle.len();
    }
    out
}

/// The string values (with their item) at paths matching `pattern` in a JSON text.
pub fn strings_at(
    text: &str,
    pattern: &str,
) -> Vec<(Vec<pact_core::json::Seg>, String, jsonscan::Item)> {
    let mut out = Vec::new();
    jsonscan::scan(text, |p, item| {
        if let ItemKind::Str(s) = &item.kind
            && is(p, pattern)
        {
            out.push((p.to_vec(), s.clone(), item.clone()));
        }
        true
    });
    out
}

/// Where a contract function's name is defined.
pub fn function_def(view: &View, cid: &str, name: &str) -> Option<Loc> {
    let path = view.project.docs.contracts.get(cid)?.path.clone();
    let text = view.text(&path)?;
    let (_, _, item) = strings_at(&text, "functions/#/name")
        .into_iter()
        .find(|(_, v, _)| v == name)?;
    Some(Loc {
        path,
        range: item.content(),
    })
}

/// Where a contract type's name is defined.
pub fn type_def(view: &View, cid: &str, name: &str) -> Option<Loc> {
    let path = view.project.docs.contracts.get(cid)?.path.clone();
    let text = view.text(&path)?;
    let (_, _, item) = strings_at(&text, "types/#/name")
        .into_iter()
        .find(|(_, v, _)| v == name)?;
    Some(Loc {
        path,
        range: item.content(),
    })
}

/// A component's home: its contract (at `component_id`), else its tree node.
pub fn component_def(view: &View, id: &str) -> Option<Loc> {
    if let Some(doc) = view.project.docs.contracts.get(id) {
        let text = view.text(&doc.path).unwrap_or_else(|| doc.text.clone());
        let range = strings_at(&text, "component_id")
            .first()
            .map(|(_, _, i)| i.content())
            .unwrap_or_default();
        return Some(Loc {
            path: doc.path.clone(),
            range,
        });
    }
    let tree = view.project.docs.tree.as_ref()?;
    let mut found = None;
    jsonscan::scan(&tree.text, |p, item| {
        if matches!(&item.kind, ItemKind::Key(k) if k == id) && is(p, "nodes/*") {
            found = Some(item.content());
            return false;
        }
        true
    });
    found.map(|range| Loc {
        path: tree.path.clone(),
        range,
    })
}

/// Source files of a component's implementation (a few levels deep).
pub fn implementation_files(view: &View, cid: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(view.project.layout.implementation_src(cid), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                if depth < 3 && !e.file_name().to_string_lossy().starts_with(['.', '_']) {
                    stack.push((p, depth + 1));
                }
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("py" | "ts" | "js" | "mjs" | "tsx")
            ) {
                out.push(p);
            }
        }
        if out.len() > 200 {
            break;
        }
    }
    out.sort();
    out
}

/// Where an implementation defines `name` (`def name`, `function name`, `name =` …).
pub fn implementation_def(view: &View, cid: &str, name: &str) -> Option<Loc> {
    for path in implementation_files(view, cid) {
        let Some(text) = view.text(&path) else {
            continue;
        };
        for at in find_words(&text, name) {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let before = text[line_start..at].trim();
            let after = text[at + name.len()..].trim_start();
            let defines = before.ends_with("def")
                || before.ends_with("function")
                || before.ends_with("class")
                || (matches!(
                    before,
                    "" | "const" | "let" | "var" | "export const" | "export let"
                ) && after.starts_with('=')
                    && !after.starts_with("=="));
            if defines {
                return Some(Loc {
                    path,
                    range: TextRange::new(at, at + name.len()),
                });
            }
        }
    }
    None
}

/// The contract function a test exercises: by the test case its name carries, else the first
/// contract function it calls.
pub fn function_of_test(view: &View, cid: &str, test_name: &str, path: &Path) -> Option<String> {
    let suite = view.project.docs.suite(cid);
    if let Some(s) = suite
        && let Some(case) =
            testcode::case_for_test(test_name, s.test_cases.iter().map(|c| c.id.as_str()))
        && let Some(c) = s.test_cases.iter().find(|c| c.id == case)
    {
        return Some(c.function.clone());
    }
    let contract = view.project.contract(cid)?;
    let lang = TestLanguage::from_path(path)?;
    let text = view.text(path)?;
    let analysis = testcode::analyze(lang, &text);
    let t = analysis.tests.iter().find(|t| t.name == test_name)?;
    if let Some((f, _)) = t
        .free_calls
        .iter()
        .find(|(n, _)| contract.function_named(n).is_some())
    {
        return Some(f.clone());
    }
    // TS/JS tests record no free calls: the first contract function named in the body.
    let body = text.get(t.range.start..t.range.end)?;
    contract
        .functions
        .iter()
        .filter_map(|f| {
            find_words(body, &f.name)
                .first()
                .map(|at| (*at, f.name.clone()))
        })
        .min()
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        let t = "x = count_tokens(toks)";
        assert_eq!(word_at(t, 6).map(|w| w.0), Some("count_tokens".to_string()));
        assert_eq!(
            word_at(t, 16).map(|w| w.0),
            Some("count_tokens".to_string())
        );
        assert_eq!(word_at(t, 2), None);
        assert_eq!(find_words("a ab a_b a", "a"), vec![0, 9]);
    }
}
