//! Go to definition, find references and rename: types, functions and components across the
//! project's contracts, tree, suites and test code.

use crate::jsonscan::{self, ItemKind, is};
use crate::subject::{
    Loc, Subject, TREE_ID_PATHS, View, component_def, find_words, function_def, function_of_test,
    implementation_def, is_type_ref_path, strings_at, subject_at, type_def,
};
use crate::workspace::dep_key;
use pact_core::gate::base_types;
use pact_core::text::TextRange;
use std::path::{Path, PathBuf};

/// Where the thing under the cursor is defined.
pub fn definition(view: &View, path: &Path, text: &str, offset: usize) -> Vec<Loc> {
    let Some(s) = subject_at(view, path, text, offset) else {
        return Vec::new();
    };
    let found = match s {
        Subject::Type { cid, name, .. } => type_def(view, &cid, &name),
        Subject::Builtin { .. } => None,
        // On the contract's own function name: go to the implementation.
        Subject::Function {
            cid,
            name,
            def: true,
            ..
        } => implementation_def(view, &cid, &name),
        Subject::Function {
            cid,
            name,
            def: false,
            ..
        } => function_def(view, &cid, &name),
        Subject::Component { id, .. } => component_def(view, &id),
        Subject::TestFn { cid, name, .. } => {
            function_of_test(view, &cid, &name, path).and_then(|f| function_def(view, &cid, &f))
        }
        Subject::TestCase { cid, id, .. } => {
            let f = view
                .project
                .docs
                .suite(&cid)
                .and_then(|s| s.test_cases.iter().find(|c| c.id == id))
                .map(|c| c.function.clone());
            f.and_then(|f| function_def(view, &cid, &f))
        }
    };
    found.into_iter().collect()
}

/// Every place that names the thing under the cursor.
pub fn references(
    view: &View,
    path: &Path,
    text: &str,
    offset: usize,
    include_declaration: bool,
) -> Vec<Loc> {
    let Some(s) = subject_at(view, path, text, offset) else {
        return Vec::new();
    };
    let mut out = match &s {
        Subject::Type { cid, name, .. } => type_refs(view, cid, name, include_declaration),
        Subject::Function { cid, name, .. } => function_refs(view, cid, name, include_declaration),
        Subject::Component { id, .. } => component_refs(view, id, include_declaration),
        Subject::TestFn { cid, name, .. } => match function_of_test(view, cid, name, path) {
            Some(f) => function_refs(view, cid, &f, include_declaration),
            None => Vec::new(),
        },
        Subject::TestCase { cid, id, .. } => {
            let f = view.project.docs.suite(cid).and_then(|s| {
                s.test_cases
                    .iter()
                    .find(|c| &c.id == id)
                    .map(|c| c.function.clone())
            });
            f.map(|f| function_refs(view, cid, &f, include_declaration))
                .unwrap_or_default()
        }
        Subject::Builtin { .. } => Vec::new(),
    };
    out.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
    out.dedup();
    out
}

fn word_locs(path: &Path, text: &str, name: &str, base: usize, out: &mut Vec<Loc>) {
    for at in find_words(text, name) {
        out.push(Loc {
            path: path.to_path_buf(),
            range: TextRange::new(base + at, base + at + name.len()),
        });
    }
}

/// Occurrences of a word in a component's test code and in its suite's generated code.
fn code_words(view: &View, cid: &str, name: &str, out: &mut Vec<Loc>) {
    for f in view.project.docs.test_files.get(cid).into_iter().flatten() {
        let text = view.text(&f.path).unwrap_or_else(|| f.text.clone());
        word_locs(&f.path, &text, name, 0, out);
    }
    if let Some(doc) = view.project.docs.suites.get(cid) {
        let text = view.text(&doc.path).unwrap_or_else(|| doc.text.clone());
        for (_, _, item) in strings_at(&text, "generated_code") {
            let c = item.content();
            // Identifiers contain no escapes, so raw positions inside the string are exact.
            word_locs(&doc.path, &text[c.start..c.end], name, c.start, out);
        }
    }
}

fn type_refs(view: &View, cid: &str, name: &str, decl: bool) -> Vec<Loc> {
    let mut out = Vec::new();
    let Some(doc) = view.project.docs.contracts.get(cid) else {
        return out;
    };
    let text = view.text(&doc.path).unwrap_or_else(|| doc.text.clone());
    jsonscan::scan(&text, |p, item| {
        let ItemKind::Str(value) = &item.kind else {
            return true;
        };
        if is_type_ref_path(p) {
            for b in base_types(value).into_iter().filter(|b| b.name == name) {
                let range = TextRange::new(
                    jsonscan::raw_offset(&text, item, b.offset),
                    jsonscan::raw_offset(&text, item, b.offset + b.name.len()),
                );
                out.push(Loc {
                    path: doc.path.clone(),
                    range,
                });
            }
        } else if decl && is(p, "types/#/name") && value == name {
            out.push(Loc {
                path: doc.path.clone(),
                range: item.content(),
            });
        }
        true
    });
    code_words(view, cid, name, &mut out);
    out
}

fn function_refs(view: &View, cid: &str, name: &str, decl: bool) -> Vec<Loc> {
    let mut out = Vec::new();
    if decl {
        out.extend(function_def(view, cid, name));
    }
    if let Some(doc) = view.project.docs.suites.get(cid) {
        let text = view.text(&doc.path).unwrap_or_else(|| doc.text.clone());
        for (_, v, item) in strings_at(&text, "test_cases/#/function") {
            if v == name {
                out.push(Loc {
                    path: doc.path.clone(),
                    range: item.content(),
                });
            }
        }
    }
    code_words(view, cid, name, &mut out);
    out.extend(implementation_def(view, cid, name));
    out
}

fn component_refs(view: &View, id: &str, decl: bool) -> Vec<Loc> {
    let mut out = Vec::new();
    let docs = &view.project.docs;
    let key = dep_key(id);
    if let Some(tree) = &docs.tree {
        let text = view.text(&tree.path).unwrap_or_else(|| tree.text.clone());
        jsonscan::scan(&text, |p, item| {
            match &item.kind {
                ItemKind::Key(k) if k == id && is(p, "nodes/*") => out.push(Loc {
                    path: tree.path.clone(),
                    range: item.content(),
                }),
                ItemKind::Str(v) if v == id && TREE_ID_PATHS.iter().any(|pat| is(p, pat)) => out
                    .push(Loc {
                        path: tree.path.clone(),
                        range: item.content(),
                    }),
                _ => {}
            }
            true
        });
    }
    for (cid, doc) in &docs.contracts {
        let own = cid == id;
        let names_it = doc.ok().is_none_or(|c| {
            c.dependencies.iter().any(|d| dep_key(d) == key)
                || c.dependency_contracts.contains_key(id)
        });
        if !own && !names_it {
            continue;
        }
        let text = view.text(&doc.path).unwrap_or_else(|| doc.text.clone());
        jsonscan::scan(&text, |p, item| {
            match &item.kind {
                ItemKind::Str(v) if is(p, "dependencies/#") && dep_key(v) == key => out.push(Loc {
                    path: doc.path.clone(),
                    range: item.content(),
                }),
                ItemKind::Str(v) if own && decl && is(p, "component_id") && v == id => {
                    out.push(Loc {
                        path: doc.path.clone(),
                        range: item.content(),
                    })
                }
                ItemKind::Key(k) if k == id && is(p, "dependency_contracts/*") => out.push(Loc {
                    path: doc.path.clone(),
                    range: item.content(),
                }),
                _ => {}
            }
            true
        });
    }
    if let Some(doc) = docs.suites.get(id) {
        let text = view.text(&doc.path).unwrap_or_else(|| doc.text.clone());
        for (_, v, item) in strings_at(&text, "component_id") {
            if v == id {
                out.push(Loc {
                    path: doc.path.clone(),
                    range: item.content(),
                });
            }
        }
    }
    // `from <id> import …` in its own Python tests.
    for f in docs.test_files.get(id).into_iter().flatten() {
        let text = view.text(&f.path).unwrap_or_else(|| f.text.clone());
        for at in find_words(&text, id) {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let line = text[line_start..at].trim_start();
            if line == "from " || line == "import " {
                out.push(Loc {
                    path: f.path.clone(),
                    range: TextRange::new(at, at + id.len()),
                });
            }
        }
    }
    out
}

/// What a rename changes: text edits per file, and directories to move (component renames).
#[derive(Debug, Default)]
pub struct RenamePlan {
    pub edits: Vec<(PathBuf, Vec<(TextRange, String)>)>,
    pub moves: Vec<(PathBuf, PathBuf)>,
}

/// The range and current name of a renameable thing under the cursor.
pub fn prepare_rename(
    view: &View,
    path: &Path,
    text: &str,
    offset: usize,
) -> Option<(TextRange, String)> {
    match subject_at(view, path, text, offset)? {
        Subject::Type { name, range, .. } => Some((range, name)),
        Subject::Component { id, range } => Some((range, id)),
        _ => None,
    }
}

pub fn rename(
    view: &View,
    path: &Path,
    text: &str,
    offset: usize,
    new_name: &str,
) -> Result<RenamePlan, String> {
    let subject = subject_at(view, path, text, offset).ok_or("nothing to rename here")?;
    let (locs, moves) = match &subject {
        Subject::Type { cid, name, .. } => {
            if !is_identifier(new_name) {
                return Err(format!("'{new_name}' is not a valid type name"));
            }
            if view
                .project
                .contract(cid)
                .is_some_and(|c| c.type_named(new_name).is_some())
            {
                return Err(format!("component '{cid}' already has a type '{new_name}'"));
            }
            let _ = name;
            (type_refs(view, cid, name, true), Vec::new())
        }
        Subject::Component { id, .. } => {
            pact_core::ids::check_component_id(new_name).map_err(|e| e.to_string())?;
            if view.project.component_ids().iter().any(|c| c == new_name) {
                return Err(format!("a component '{new_name}' already exists"));
            }
            let l = &view.project.layout;
            let mut moves = Vec::new();
            for (from, to) in [
                (l.contract_dir(id), l.contract_dir(new_name)),
                (l.tests_dir(id), l.tests_dir(new_name)),
                (l.implementation_dir(id), l.implementation_dir(new_name)),
                (l.implementation_src(id), l.implementation_src(new_name)),
            ] {
                // Nested directories move with their parent.
                if from.is_dir()
                    && !moves
                        .iter()
                        .any(|(f, _): &(PathBuf, PathBuf)| from.starts_with(f))
                {
                    moves.push((from, to));
                }
            }
            (component_refs(view, id, true), moves)
        }
        _ => return Err("only component ids and type names can be renamed".to_string()),
    };
    let mut plan = RenamePlan {
        moves,
        ..Default::default()
    };
    for loc in locs {
        match plan.edits.iter_mut().find(|(p, _)| *p == loc.path) {
            Some((_, e)) => e.push((loc.range, new_name.to_string())),
            None => plan
                .edits
                .push((loc.path, vec![(loc.range, new_name.to_string())])),
        }
    }
    Ok(plan)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}
