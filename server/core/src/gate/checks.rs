//! The checks, in the original's order: tree graph, contracts, type refs, test suites (in
//! `suites`), dependencies; then the checks the original lacks.

use super::{BUILTIN_TYPES, Code, Finding, Fix, Related, Scope, Severity, base_types, nearest};
use crate::json::{self, JsonErrorKind, Seg};
use crate::json_path;
use crate::model::{ComponentContract, DecompositionTree};
use crate::store::{Doc, ProjectDocs};
use crate::text::TextRange;
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub(super) fn run(
    docs: &ProjectDocs,
    scope: &Scope,
    cache: &mut super::AnalysisCache,
) -> Vec<Finding> {
    let mut out = Vec::new();
    document_errors(docs, scope, &mut out);
    let tree = docs.tree().filter(|_| scope.includes_tree());
    match (&docs.tree, tree) {
        _ if !scope.includes_tree() => {}
        (None, _) => out.push(
            Finding::error(
                Code::MissingTree,
                "No decomposition tree yet (decomposition/tree.json); run `pact run` to decompose the task",
            )
            .at(&docs.layout.tree(), None),
        ),
        (Some(doc), Some(tree)) => tree_graph(doc, tree, &mut out),
        _ => {}
    }
    let all = component_order(docs);
    let order: Vec<String> = all.iter().filter(|c| scope.includes(c)).cloned().collect();
    let nodes = TreeNodes::new(docs);
    for cid in &order {
        contract_presence_and_completeness(docs, &nodes, cid, &mut out);
    }
    for cid in &order {
        if let Some((doc, c)) = docs
            .contracts
            .get(cid.as_str())
            .and_then(|d| Some((d, d.ok()?)))
        {
            type_refs(&doc.path, &doc.text, c, cid, &mut out);
        }
    }
    super::suites::test_suites(docs, &nodes, &order, *scope == Scope::All, cache, &mut out);
    dependencies(docs, &all, scope, &mut out);
    out
}

/// Where each node's key is in `tree.json`, read once, when the first finding needs it: a
/// finding per component that located itself by parsing the tree again cost n² (10,000
/// components with no contracts took minutes).
pub(super) struct TreeNodes<'a> {
    text: Option<&'a str>,
    keys: std::cell::OnceCell<HashMap<String, TextRange>>,
}

impl<'a> TreeNodes<'a> {
    pub(super) fn new(docs: &'a ProjectDocs) -> Self {
        Self {
            text: docs.tree.as_ref().map(|t| t.text.as_ref()),
            keys: std::cell::OnceCell::new(),
        }
    }

    /// The range of `"<cid>"` under `nodes`.
    pub(super) fn key(&self, cid: &str) -> Option<TextRange> {
        let text = self.text?;
        self.keys
            .get_or_init(|| {
                json::object_keys(text, &json_path!["nodes"])
                    .into_iter()
                    .collect()
            })
            .get(cid)
            .copied()
    }
}

/// Tree components first (tree order), then contracts and suites the tree does not list.
fn component_order(docs: &ProjectDocs) -> Vec<String> {
    let mut seen = HashSet::new();
    let tree_ids = docs.tree().into_iter().flat_map(|t| t.nodes.keys());
    tree_ids
        .chain(docs.contracts.keys())
        .chain(docs.suites.keys())
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect()
}

fn doc_error<T>(doc: &Doc<T>, cid: Option<&str>, out: &mut Vec<Finding>) {
    let Err(e) = &doc.value else { return };
    out.push(read_error(&doc.path, e, cid));
}

/// The finding for a document that could not be read or parsed: `unreadable-file` says why the
/// file is not text ("tree.json is a FIFO (named pipe), not a regular file"), at its start.
fn read_error(path: &Path, e: &json::JsonError, cid: Option<&str>) -> Finding {
    let code = match e.kind {
        JsonErrorKind::Unreadable => Code::Unreadable,
        JsonErrorKind::Syntax => Code::JsonSyntax,
        JsonErrorKind::Schema => Code::JsonSchema,
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let whose = cid.map(|c| format!(" of '{c}'")).unwrap_or_default();
    let message = match e.kind {
        JsonErrorKind::Unreadable => format!("{name}{whose} {}", e.message),
        _ => format!("{name}{whose} is invalid: {}", e.message),
    };
    let mut f = Finding::error(code, message).at(path, Some(e.range));
    f.component = cid.map(str::to_string);
    f
}

fn document_errors(docs: &ProjectDocs, scope: &Scope, out: &mut Vec<Finding>) {
    if let Some(t) = docs.tree.as_ref().filter(|_| scope.includes_tree()) {
        doc_error(t, None, out);
    }
    for (cid, d) in docs.contracts.iter().filter(|(c, _)| scope.includes(c)) {
        doc_error(d, Some(cid), out);
    }
    for (cid, d) in docs.suites.iter().filter(|(c, _)| scope.includes(c)) {
        doc_error(d, Some(cid), out);
    }
    // Test results and the engine's records are Pact's own bookkeeping: a damaged one is
    // ignored, but one that cannot be read at all is said, as an unreadable test file is.
    for (cid, d) in docs.test_results.iter().filter(|(c, _)| scope.includes(c)) {
        if let Err(e) = &d.value
            && e.kind == JsonErrorKind::Unreadable
        {
            out.push(read_error(&d.path, e, Some(cid)));
        }
    }
    for u in &docs.unreadable {
        let in_scope = match &u.component {
            Some(c) => scope.includes(c),
            None => *scope == Scope::All,
        };
        if in_scope {
            out.push(read_error(&u.path, &u.error, u.component.as_deref()));
        }
    }
    for (path, e) in &docs.bad_ids {
        out.push(
            Finding::error(Code::InvalidId, format!("{}: {e}", path.display())).at(path, None),
        );
    }
    for (cid, d) in docs.contracts.iter().filter(|(c, _)| scope.includes(c)) {
        if let Some(c) = d
            .ok()
            .filter(|c| !c.component_id.is_empty() && c.component_id != *cid)
        {
            out.push(
                Finding::error(
                    Code::IdMismatch,
                    format!(
                        "Contract in directory '{cid}' has component_id '{}'",
                        c.component_id
                    ),
                )
                .at(&d.path, json::locate(&d.text, &json_path!["component_id"]))
                .of(cid),
            );
        }
    }
    for (cid, d) in docs.suites.iter().filter(|(c, _)| scope.includes(c)) {
        if let Some(s) = d
            .ok()
            .filter(|s| !s.component_id.is_empty() && s.component_id != *cid)
        {
            out.push(
                Finding::error(
                    Code::IdMismatch,
                    format!(
                        "Test suite in directory '{cid}' has component_id '{}'",
                        s.component_id
                    ),
                )
                .at(&d.path, json::locate(&d.text, &json_path!["component_id"]))
                .of(cid),
            );
        }
    }
}

/// Children edges only, as the original: dangling children and cycles (DFS, white/gray/black).
fn tree_graph(doc: &Doc<DecompositionTree>, tree: &DecompositionTree, out: &mut Vec<Finding>) {
    let (path, text) = (&doc.path, &doc.text);
    for id in tree.nodes.keys() {
        if let Err(e) = crate::ids::check_component_id(id) {
            out.push(Finding::error(Code::InvalidId, e.to_string()).at(
                path,
                json::locate_key(text, &json_path!["nodes", id.as_str()]),
            ));
        }
    }
    if !tree.nodes.is_empty() && !tree.nodes.contains_key(&tree.root_id) {
        out.push(
            Finding::error(
                Code::MissingRoot,
                format!("Root node '{}' not found in tree", tree.root_id),
            )
            .at(path, json::locate(text, &json_path!["root_id"])),
        );
    }
    let edge = |node: &str, i: usize| json::locate(text, &json_path!["nodes", node, "children", i]);
    let children = |node: &str| -> Vec<(usize, &str)> {
        tree.nodes
            .get(node)
            .map(|n| n.children.iter().map(String::as_str).enumerate().collect())
            .unwrap_or_default()
    };
    let cycles = find_cycles(
        tree.nodes.keys().map(String::as_str),
        children,
        |id| tree.nodes.contains_key(id),
        |node, idx, child| {
            out.push(
                Finding::error(
                    Code::DanglingChild,
                    format!("Child '{child}' of '{node}' not found in tree"),
                )
                .at(path, edge(node, idx))
                .of(node),
            )
        },
    );
    for hops in cycles {
        let Some(&(node, idx)) = hops.last() else {
            continue;
        };
        let cycle = hops
            .iter()
            .map(|(n, _)| *n)
            .chain([hops[0].0])
            .collect::<Vec<_>>()
            .join(" -> ");
        let mut f = Finding::error(
            Code::TreeCycle,
            format!("Dependency cycle detected: {cycle}"),
        )
        .at(path, edge(node, idx))
        .of(node);
        // The other edges of the cycle, so an editor can mark each one.
        for &(n, i) in &hops[..hops.len() - 1] {
            if let Some(r) = edge(n, i) {
                f.related.push(Related {
                    file: path.clone(),
                    range: r,
                    message: format!("'{n}' is part of the cycle"),
                });
            }
        }
        out.push(f);
    }
}

/// The members of a cycle, each with the label of the edge it takes to the next; the last
/// member's edge closes the cycle back to the first.
type Hops<'a> = Vec<(&'a str, usize)>;

/// A node on the DFS path: its edges `(label, target)` and the index of the next one to take.
type Frame<'a> = (&'a str, Vec<(usize, &'a str)>, usize);

/// Iterative depth-first search (deep graphs cannot overflow the stack) from `starts` along
/// `out_edges(node)` = `(label, target)`. Targets `known` rejects go to `missing(node, label,
/// target)`; every back edge gives a cycle.
fn find_cycles<'a>(
    starts: impl IntoIterator<Item = &'a str>,
    out_edges: impl Fn(&'a str) -> Vec<(usize, &'a str)>,
    known: impl Fn(&str) -> bool,
    mut missing: impl FnMut(&'a str, usize, &'a str),
) -> Vec<Hops<'a>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        OnPath,
        Done,
    }
    let mut mark: HashMap<&str, Mark> = HashMap::new();
    let mut cycles = Vec::new();
    for start in starts {
        if mark.contains_key(start) {
            continue;
        }
        // The stack is also the current path.
        let mut stack: Vec<Frame> = vec![(start, out_edges(start), 0)];
        mark.insert(start, Mark::OnPath);
        while let Some((node, edges, next)) = stack.last_mut() {
            let node = *node;
            let Some(&(label, to)) = edges.get(*next) else {
                mark.insert(node, Mark::Done);
                stack.pop();
                continue;
            };
            *next += 1;
            if !known(to) {
                missing(node, label, to);
                continue;
            }
            match mark.get(to) {
                Some(Mark::OnPath) => {
                    let from = stack.iter().position(|(n, ..)| *n == to).unwrap_or(0);
                    cycles.push(
                        stack[from..]
                            .iter()
                            .map(|(n, e, i)| (*n, e[i - 1].0))
                            .collect(),
                    );
                }
                None => {
                    mark.insert(to, Mark::OnPath);
                    stack.push((to, out_edges(to), 0));
                }
                Some(Mark::Done) => {}
            }
        }
    }
    cycles
}

fn contract_presence_and_completeness(
    docs: &ProjectDocs,
    nodes: &TreeNodes,
    cid: &str,
    out: &mut Vec<Finding>,
) {
    let in_tree = docs.tree().is_some_and(|t| t.nodes.contains_key(cid));
    let Some(doc) = docs.contracts.get(cid) else {
        if in_tree {
            let range = nodes.key(cid);
            out.push(
                Finding::error(
                    Code::MissingContract,
                    format!("Component '{cid}' missing contract"),
                )
                .at(&docs.layout.tree(), range)
                .of(cid),
            );
        }
        return;
    };
    let Some(c) = doc.ok() else { return };
    let at = |p: &[Seg]| json::locate(&doc.text, p);
    let mut push = |msg: String, range: Option<TextRange>| {
        out.push(
            Finding::error(Code::IncompleteContract, msg)
                .at(&doc.path, range)
                .of(cid),
        );
    };
    if c.component_id.trim().is_empty() {
        push(
            "Contract missing component_id".into(),
            at(&json_path!["component_id"]),
        );
    }
    if c.name.trim().is_empty() {
        push("Contract missing name".into(), at(&json_path!["name"]));
    }
    if c.functions.is_empty() {
        push(
            format!("Contract '{cid}' has no functions defined"),
            at(&json_path!["functions"]),
        );
    }
    for (i, f) in c.functions.iter().enumerate() {
        if f.name.trim().is_empty() {
            push(
                format!("Function in '{cid}' missing name"),
                at(&json_path!["functions", i, "name"]),
            );
        }
        if f.output_type.trim().is_empty() {
            push(
                format!("Function '{}' in '{cid}' missing output_type", f.name),
                at(&json_path!["functions", i, "output_type"]),
            );
        }
    }
}

fn type_refs(path: &Path, text: &str, c: &ComponentContract, cid: &str, out: &mut Vec<Finding>) {
    let defined: HashSet<&str> = c
        .types
        .iter()
        .map(|t| t.name.as_str())
        .chain(BUILTIN_TYPES.iter().copied())
        .collect();
    let mut check = |type_ref: &str, seg: &[Seg], message: String| {
        let Some(bad) = base_types(type_ref)
            .into_iter()
            .find(|b| !defined.contains(b.name))
        else {
            return;
        };
        // Underline the unresolved name inside the JSON string.
        let range = json::locate(text, seg).map(|whole| {
            let raw = &text[whole.start..whole.end];
            let at = json::raw_offset_in_string(raw, bad.offset);
            TextRange::new(whole.start + at, whole.start + at + bad.name.len())
        });
        let mut f = Finding::error(Code::UnresolvedType, message)
            .at(path, range)
            .of(cid);
        f.fix = nearest(bad.name, defined.iter().copied()).map(|n| Fix::Replace {
            with: n.to_string(),
        });
        out.push(f);
    };
    for (fi, f) in c.functions.iter().enumerate() {
        for (ii, input) in f.inputs.iter().enumerate() {
            check(
                &input.type_ref,
                &json_path!["functions", fi, "inputs", ii, "type_ref"],
                format!(
                    "Function '{}' input '{}' type_ref '{}' not defined in component '{cid}'",
                    f.name, input.name, input.type_ref
                ),
            );
        }
        if !f.output_type.is_empty() {
            check(
                &f.output_type,
                &json_path!["functions", fi, "output_type"],
                format!(
                    "Function '{}' output_type '{}' not defined in component '{cid}'",
                    f.name, f.output_type
                ),
            );
        }
    }
    for (ti, t) in c.types.iter().enumerate() {
        for (fi, field) in t.fields.iter().enumerate() {
            check(
                &field.type_ref,
                &json_path!["types", ti, "fields", fi, "type_ref"],
                format!(
                    "Type '{}' field '{}' type_ref '{}' not defined in component '{cid}'",
                    t.name, field.name, field.type_ref
                ),
            );
        }
        if t.kind == crate::model::TypeKind::List && !t.item_type.is_empty() {
            check(
                &t.item_type,
                &json_path!["types", ti, "item_type"],
                format!(
                    "Type '{}' item_type '{}' not defined in component '{cid}'",
                    t.name, t.item_type
                ),
            );
        }
    }
}

/// The original's `normalize_dependency_name`: exact, case-insensitive, or same `_`-words.
/// `ids` is sorted: the common exact match is a binary search.
fn normalize<'a>(dep: &str, ids: &[&'a str]) -> Option<&'a str> {
    if let Ok(i) = ids.binary_search(&dep) {
        return Some(ids[i]);
    }
    let lower = dep.to_lowercase();
    if let Some(id) = ids.iter().find(|i| i.to_lowercase() == lower) {
        return Some(id);
    }
    let words = |s: &str| {
        let mut w: Vec<String> = s.to_lowercase().split('_').map(str::to_string).collect();
        w.sort();
        w
    };
    let target = words(dep);
    ids.iter().find(|i| words(i) == target).copied()
}

/// `all` is every component (names resolve against all of them); findings only for `scope`.
fn dependencies(docs: &ProjectDocs, all: &[String], scope: &Scope, out: &mut Vec<Finding>) {
    let order = all;
    let tree = docs.tree();
    let mut known: Vec<&str> = order.iter().map(String::as_str).collect();
    known.sort_unstable();
    known.dedup();
    let mut edges: Vec<(&str, usize, &str)> = Vec::new();
    let mut warnings = Vec::new();
    for cid in order {
        let Some(doc) = docs.contracts.get(cid.as_str()) else {
            continue;
        };
        let Some(c) = doc.ok() else { continue };
        let in_scope = scope.includes(cid);
        for (i, dep) in c.dependencies.iter().enumerate() {
            let range = || json::locate(&doc.text, &json_path!["dependencies", i]);
            let resolved = normalize(dep, &known);
            if let Some(id) = resolved {
                edges.push((cid.as_str(), i, id));
            }
            if !in_scope {
                continue;
            }
            let Some(id) = resolved else {
                let mut f = Finding::new(
                    Severity::Info,
                    Code::UnknownDependency,
                    format!("Contract '{cid}' depends on '{dep}', which is not a component of this project (treated as external)"),
                )
                .at(&doc.path, range())
                .of(cid);
                f.fix = nearest(dep, known.iter().copied()).map(|n| Fix::Replace {
                    with: format!("\"{n}\""),
                });
                f.in_details = false;
                out.push(f);
                continue;
            };
            // A half-written contract is reported as such, not as "no contract".
            let no_contract = !docs.contracts.contains_key(id);
            if no_contract && tree.is_some_and(|t| t.nodes.contains_key(id)) {
                out.push(
                    Finding::error(
                        Code::DependencyWithoutContract,
                        format!("Contract '{cid}' depends on '{dep}' which is in the decomposition tree but has no contract"),
                    )
                    .at(&doc.path, range())
                    .of(cid),
                );
            }
            if let Some(w) = tree.and_then(|t| locality(t, cid, id)) {
                warnings.push(
                    Finding::warning(Code::DistantDependency, w)
                        .at(&doc.path, range())
                        .of(cid),
                );
            }
        }
    }
    dependency_cycles(docs, &edges, scope, out);
    out.extend(warnings);
}

/// Allowed: self, parent, siblings, uncles, children. Else the original's "Distant dependency".
fn locality(t: &DecompositionTree, cid: &str, dep: &str) -> Option<String> {
    let (Some(node), Some(dnode)) = (t.nodes.get(cid), t.nodes.get(dep)) else {
        return None;
    };
    let parent = node.parent_id.as_str();
    let grandparent = t
        .nodes
        .get(parent)
        .map(|p| p.parent_id.as_str())
        .unwrap_or("");
    let allowed = dep == cid
        || dep == parent
        || dnode.parent_id == parent
        || node.children.iter().any(|c| c == dep)
        || (!grandparent.is_empty() && dnode.parent_id == grandparent)
        || (dnode.parent_id.is_empty() && parent.is_empty());
    if allowed {
        return None;
    }
    let path_of = |id: &str| {
        let mut names: Vec<&str> = t
            .ancestors(id)
            .iter()
            .rev()
            .map(|a| t.nodes.get(*a).map_or(*a, |n| n.name.as_str()))
            .collect();
        names.push(t.nodes.get(id).map_or(id, |n| n.name.as_str()));
        names.join(" > ")
    };
    Some(format!(
        "Distant dependency: '{cid}' ({}) depends on '{dep}' ({}) — consider restructuring to keep dependencies within sibling/parent scope",
        path_of(cid),
        path_of(dep)
    ))
}

/// Cycles through `contract.dependencies` (which the original does not check).
fn dependency_cycles(
    docs: &ProjectDocs,
    edges: &[(&str, usize, &str)],
    scope: &Scope,
    out: &mut Vec<Finding>,
) {
    let mut adj: HashMap<&str, Vec<(usize, &str)>> = HashMap::new();
    for (from, i, to) in edges {
        adj.entry(from).or_default().push((*i, to));
    }
    let mut reported: HashSet<Vec<&str>> = HashSet::new();
    let cycles = find_cycles(
        edges.iter().map(|e| e.0),
        |n| adj.get(n).cloned().unwrap_or_default(),
        |_| true,
        |_, _, _| {},
    );
    for hops in cycles {
        let mut key: Vec<&str> = hops.iter().map(|(n, _)| *n).collect();
        key.sort_unstable();
        if !hops.iter().any(|(m, _)| scope.includes(m)) || !reported.insert(key) {
            continue;
        }
        let Some(&(node, dep_index)) = hops.last() else {
            continue;
        };
        let Some(doc) = docs.contracts.get(node) else {
            continue;
        };
        let text = hops
            .iter()
            .map(|(n, _)| *n)
            .chain([hops[0].0])
            .collect::<Vec<_>>()
            .join(" -> ");
        let mut f = Finding::error(
            Code::DependencyCycle,
            format!("Contract dependency cycle detected: {text}"),
        )
        .at(
            &doc.path,
            json::locate(&doc.text, &json_path!["dependencies", dep_index]),
        )
        .of(node);
        for &(m, idx) in &hops[..hops.len() - 1] {
            let Some(d) = docs.contracts.get(m) else {
                continue;
            };
            if let Some(r) = json::locate(&d.text, &json_path!["dependencies", idx]) {
                f.related.push(Related {
                    file: d.path.clone(),
                    range: r,
                    message: format!("'{m}' is part of the cycle"),
                });
            }
        }
        out.push(f);
    }
}
