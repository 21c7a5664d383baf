//! TypeScript and JavaScript: exported functions and classes with their signatures and
//! complexity, the tests of test files with the calls they make and the file's imports, and
//! smells.

use super::security;
use super::syntax::{
    children, count_lines, descendants, end_line, first_error_line, line, literal_string,
    named_children, parse, squash, text, unparen,
};
use super::{
    Call, ClassInfo, Context, FileKind, FunctionInfo, Import, ImportTarget, Param, ParamKind,
    Smell, SmellKind, TestCase, TestUnit, Unit, rel_text,
};
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use tree_sitter::Node;

/// A declaration that may be exported: where it is, what it is.
#[derive(Clone, Copy)]
enum Decl<'t> {
    /// A function declaration or expression, an arrow function; `at` is the node whose lines
    /// are reported (the declarator of `const f = () => …`).
    Function {
        node: Node<'t>,
        at: Node<'t>,
    },
    Class {
        node: Node<'t>,
    },
}

/// Analyzes a source module. `None` only if the grammar cannot be loaded.
pub(super) fn analyze(kind: FileKind, src: &str, rel: &Path, module: &str) -> Option<Unit> {
    let tree = parse(kind, src)?;
    let root = tree.root_node();
    let mut unit = Unit {
        rel: rel.to_path_buf(),
        module: module.to_string(),
        lines: count_lines(src),
        syntax_error: first_error_line(&tree),
        ..Unit::default()
    };
    let typed = matches!(kind, FileKind::TypeScript | FileKind::Tsx);

    // Top-level declarations by name, and what is exported under which name.
    let mut locals: HashMap<String, Decl> = HashMap::new();
    let mut exported: Vec<(String, Decl)> = Vec::new();
    let mut export_names: Vec<(String, String)> = Vec::new(); // (local, exported)
    let mut default_local: Option<String> = None;
    for stmt in named_children(root) {
        match stmt.kind() {
            "export_statement" => {
                if stmt.child_by_field_name("source").is_some() {
                    continue; // a re-export: defined elsewhere
                }
                let is_default = children(stmt).iter().any(|c| c.kind() == "default");
                if let Some(decl) = stmt.child_by_field_name("declaration") {
                    for (name, d) in declarations(decl, src) {
                        let name = if is_default && name.is_empty() {
                            "default".to_string()
                        } else {
                            name
                        };
                        if is_default {
                            unit.default_export = Some(name.clone());
                        }
                        exported.push((name, d));
                    }
                } else if let Some(value) = stmt.child_by_field_name("value") {
                    let value = unparen(value);
                    match value.kind() {
                        "identifier" => default_local = Some(text(value, src).to_string()),
                        _ => {
                            if let Some(d) = expression_decl(value, value) {
                                let name = value
                                    .child_by_field_name("name")
                                    .map(|n| text(n, src).to_string())
                                    .unwrap_or_else(|| "default".to_string());
                                unit.default_export = Some(name.clone());
                                exported.push((name, d));
                            }
                        }
                    }
                } else {
                    for clause in named_children(stmt) {
                        if clause.kind() != "export_clause" {
                            continue;
                        }
                        for spec in named_children(clause) {
                            let Some(local) = spec.child_by_field_name("name") else {
                                continue;
                            };
                            let local = text(local, src).to_string();
                            let alias = spec
                                .child_by_field_name("alias")
                                .map(|a| text(a, src).to_string())
                                .unwrap_or_else(|| local.clone());
                            if alias == "default" {
                                default_local = Some(local);
                            } else {
                                export_names.push((local, alias));
                            }
                        }
                    }
                }
            }
            "expression_statement" => {
                commonjs(
                    stmt,
                    src,
                    &mut exported,
                    &mut export_names,
                    &mut default_local,
                    &mut unit,
                );
            }
            _ => {
                for (name, d) in declarations(stmt, src) {
                    locals.insert(name, d);
                }
            }
        }
    }
    for (local, alias) in export_names {
        if let Some(d) = locals.get(&local) {
            exported.push((alias, *d));
        }
    }
    if let Some(local) = default_local
        && let Some(d) = locals.get(&local)
    {
        unit.default_export = Some(local.clone());
        exported.push((local, *d));
    }

    // Source order; one entry per declaration (`export { f, f as g }` lists `f` once).
    let position = |d: &Decl| match d {
        Decl::Function { at, .. } => at.start_byte(),
        Decl::Class { node, .. } => node.start_byte(),
    };
    exported.sort_by_key(|(_, d)| position(d));
    let mut seen = HashSet::new();
    for (name, d) in exported {
        if !seen.insert(position(&d)) {
            continue;
        }
        match d {
            Decl::Function { node, at } => {
                unit.functions
                    .push(function(node, at, &name, &name, &[], typed, false, src));
            }
            Decl::Class { node } => {
                unit.classes.push(class(node, &name, typed, src));
            }
        }
    }
    unit.smells = smells(root, src, rel);
    Some(unit)
}

/// The functions and classes a declaration statement declares, by name.
fn declarations<'t>(decl: Node<'t>, src: &str) -> Vec<(String, Decl<'t>)> {
    let name_of = |n: Node| {
        n.child_by_field_name("name")
            .map(|x| text(x, src).to_string())
            .unwrap_or_default()
    };
    match decl.kind() {
        "function_declaration" | "generator_function_declaration" => {
            vec![(
                name_of(decl),
                Decl::Function {
                    node: decl,
                    at: decl,
                },
            )]
        }
        "class_declaration" | "abstract_class_declaration" => {
            vec![(name_of(decl), Decl::Class { node: decl })]
        }
        "lexical_declaration" | "variable_declaration" => named_children(decl)
            .into_iter()
            .filter(|d| d.kind() == "variable_declarator")
            .filter_map(|d| {
                let name = d.child_by_field_name("name")?;
                if name.kind() != "identifier" {
                    return None;
                }
                let value = unparen(d.child_by_field_name("value")?);
                let decl = expression_decl(value, d)?;
                Some((text(name, src).to_string(), decl))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A function or class expression as a declaration (`at`: the node whose lines count).
fn expression_decl<'t>(value: Node<'t>, at: Node<'t>) -> Option<Decl<'t>> {
    match value.kind() {
        "arrow_function"
        | "function_expression"
        | "function"
        | "generator_function"
        | "function_declaration"
        | "generator_function_declaration" => Some(Decl::Function { node: value, at }),
        "class" | "class_declaration" | "abstract_class_declaration" => {
            Some(Decl::Class { node: value })
        }
        _ => None,
    }
}

/// `module.exports = …`, `module.exports.f = …`, `exports.f = …`.
fn commonjs<'t>(
    stmt: Node<'t>,
    src: &str,
    exported: &mut Vec<(String, Decl<'t>)>,
    export_names: &mut Vec<(String, String)>,
    default_local: &mut Option<String>,
    unit: &mut Unit,
) {
    let Some(assign) = named_children(stmt)
        .into_iter()
        .find(|c| c.kind() == "assignment_expression")
    else {
        return;
    };
    let (Some(left), Some(right)) = (
        assign.child_by_field_name("left"),
        assign.child_by_field_name("right"),
    ) else {
        return;
    };
    let right = unparen(right);
    let target = text(left, src);
    let name = if target == "module.exports" {
        None
    } else if let Some(n) = target
        .strip_prefix("module.exports.")
        .or_else(|| target.strip_prefix("exports."))
    {
        if n.contains('.') {
            return;
        }
        Some(n.to_string())
    } else {
        return;
    };
    match (name, right.kind()) {
        (Some(n), "identifier") => export_names.push((text(right, src).to_string(), n)),
        (Some(n), _) => {
            if let Some(d) = expression_decl(right, assign) {
                exported.push((n, d));
            }
        }
        (None, "identifier") => *default_local = Some(text(right, src).to_string()),
        (None, "object") => {
            for p in named_children(right) {
                match p.kind() {
                    "shorthand_property_identifier" => {
                        let n = text(p, src).to_string();
                        export_names.push((n.clone(), n));
                    }
                    "pair" => {
                        let (Some(k), Some(v)) =
                            (p.child_by_field_name("key"), p.child_by_field_name("value"))
                        else {
                            continue;
                        };
                        let key =
                            literal_string(k, src).unwrap_or_else(|| text(k, src).to_string());
                        let v = unparen(v);
                        if v.kind() == "identifier" {
                            export_names.push((text(v, src).to_string(), key));
                        } else if let Some(d) = expression_decl(v, p) {
                            exported.push((key, d));
                        }
                    }
                    "method_definition" => {
                        if let Some(k) = p.child_by_field_name("name") {
                            exported.push((
                                text(k, src).to_string(),
                                Decl::Function { node: p, at: p },
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        (None, _) => {
            if let Some(d) = expression_decl(right, assign) {
                let n = right
                    .child_by_field_name("name")
                    .map(|x| text(x, src).to_string())
                    .unwrap_or_else(|| "default".to_string());
                unit.default_export = Some(n.clone());
                exported.push((n, d));
            }
        }
    }
}

/// One function (a declaration, expression, arrow function or method).
#[allow(clippy::too_many_arguments)]
fn function(
    node: Node,
    at: Node,
    name: &str,
    qualified: &str,
    decorators: &[Node],
    typed: bool,
    is_ctor: bool,
    src: &str,
) -> FunctionInfo {
    let params = match (
        node.child_by_field_name("parameters"),
        node.child_by_field_name("parameter"),
    ) {
        (Some(list), _) => params(list, src),
        (None, Some(single)) => vec![Param {
            name: text(single, src).to_string(),
            annotation: None,
            default: None,
            kind: ParamKind::Positional,
            optional: false,
        }],
        _ => Vec::new(),
    };
    let returns = node
        .child_by_field_name("return_type")
        .map(|r| type_text(r, src));
    let is_async = children(node)
        .iter()
        .take_while(|c| Some(*c) != node.child_by_field_name("parameters").as_ref())
        .any(|c| c.kind() == "async");
    let untyped = !typed
        || params
            .iter()
            .any(|p| p.annotation.is_none() && p.name != "this")
        || (returns.is_none() && !is_ctor);
    let mut scope: Vec<Node> = decorators.to_vec();
    scope.push(node);
    FunctionInfo {
        name: name.to_string(),
        qualified_name: qualified.to_string(),
        params,
        returns,
        is_async,
        decorators: decorators
            .iter()
            .map(|d| squash(text(*d, src).trim_start_matches('@')))
            .collect(),
        complexity: complexity(&scope, src),
        line: line(at),
        end_line: end_line(at),
        covered_by: Vec::new(),
        untyped,
    }
}

/// A type annotation's type (`: T` → `T`; also `asserts x is T`, `x is T`).
fn type_text(n: Node, src: &str) -> String {
    let t = text(n, src).trim_start();
    squash(t.strip_prefix(':').unwrap_or(t))
}

fn params(list: Node, src: &str) -> Vec<Param> {
    let mut out = Vec::new();
    for p in named_children(list) {
        let mut optional = false;
        let (pattern, annotation, default) = match p.kind() {
            "required_parameter" | "optional_parameter" => {
                optional = p.kind() == "optional_parameter";
                let Some(pat) = p
                    .child_by_field_name("pattern")
                    .or_else(|| p.child_by_field_name("name"))
                else {
                    continue;
                };
                (
                    pat,
                    p.child_by_field_name("type").map(|t| type_text(t, src)),
                    p.child_by_field_name("value")
                        .map(|v| squash(text(unparen(v), src))),
                )
            }
            "assignment_pattern" => {
                let Some(left) = p.child_by_field_name("left") else {
                    continue;
                };
                (
                    left,
                    None,
                    p.child_by_field_name("right")
                        .map(|v| squash(text(unparen(v), src))),
                )
            }
            "identifier" | "rest_pattern" | "object_pattern" | "array_pattern" => (p, None, None),
            _ => continue,
        };
        let (name, kind) = if pattern.kind() == "rest_pattern" {
            let inner = named_children(pattern)
                .into_iter()
                .next()
                .map(|i| text(i, src).to_string())
                .unwrap_or_default();
            (inner, ParamKind::VarPositional)
        } else {
            (squash(text(pattern, src)), ParamKind::Positional)
        };
        out.push(Param {
            name,
            annotation,
            default,
            kind,
            optional,
        });
    }
    out
}

fn class(node: Node, name: &str, typed: bool, src: &str) -> ClassInfo {
    let mut bases = Vec::new();
    for h in named_children(node) {
        if h.kind() != "class_heritage" {
            continue;
        }
        let clauses = named_children(h);
        let has_clauses = clauses
            .iter()
            .any(|c| matches!(c.kind(), "extends_clause" | "implements_clause"));
        for c in clauses {
            match c.kind() {
                "extends_clause" => {
                    let parts = named_children(c);
                    let mut i = 0;
                    while i < parts.len() {
                        let mut t = text(parts[i], src).to_string();
                        if parts
                            .get(i + 1)
                            .is_some_and(|n| n.kind() == "type_arguments")
                        {
                            t.push_str(text(parts[i + 1], src));
                            i += 1;
                        }
                        bases.push(squash(&t));
                        i += 1;
                    }
                }
                "implements_clause" => {
                    bases.extend(named_children(c).iter().map(|t| squash(text(*t, src))));
                }
                _ if !has_clauses && c.kind() != "comment" => bases.push(squash(text(c, src))),
                _ => {}
            }
        }
    }
    let mut methods = Vec::new();
    if let Some(body) = node.child_by_field_name("body") {
        let mut pending: Vec<Node> = Vec::new();
        for m in named_children(body) {
            match m.kind() {
                "decorator" => {
                    pending.push(m);
                    continue;
                }
                "method_definition" | "abstract_method_signature" | "public_field_definition" => {
                    let decorators = std::mem::take(&mut pending);
                    let inline: Vec<Node> = named_children(m)
                        .into_iter()
                        .filter(|d| d.kind() == "decorator")
                        .collect();
                    let all: Vec<Node> = decorators.into_iter().chain(inline).collect();
                    if let Some(f) = method(m, name, &all, typed, src) {
                        methods.push(f);
                    }
                }
                _ => pending.clear(),
            }
        }
    }
    ClassInfo {
        name: name.to_string(),
        bases,
        methods,
        line: line(node),
        end_line: end_line(node),
    }
}

/// A public method of class `class`, or `None` (private, protected, `#name`, an accessor, a
/// field that is not an arrow function).
fn method(
    m: Node,
    class: &str,
    decorators: &[Node],
    typed: bool,
    src: &str,
) -> Option<FunctionInfo> {
    let name_node = m.child_by_field_name("name")?;
    if name_node.kind() == "private_property_identifier" {
        return None;
    }
    for c in children(m) {
        if c == name_node {
            break;
        }
        match c.kind() {
            "accessibility_modifier" if text(c, src) != "public" => return None,
            "get" | "set" => return None,
            _ => {}
        }
    }
    let name = literal_string(name_node, src).unwrap_or_else(|| text(name_node, src).to_string());
    let node = if m.kind() == "public_field_definition" {
        let v = unparen(m.child_by_field_name("value")?);
        if !matches!(
            v.kind(),
            "arrow_function" | "function_expression" | "function"
        ) {
            return None;
        }
        v
    } else {
        m
    };
    let qualified = format!("{class}.{name}");
    let is_ctor = name == "constructor";
    let mut f = function(node, m, &name, &qualified, decorators, typed, is_ctor, src);
    if node != m {
        // `handler = async () => …`: the arrow function's own flags.
        f.line = line(m);
        f.end_line = end_line(m);
    }
    Some(f)
}

/// 1 + the decision points inside `nodes`; see the module documentation of `codebase`.
fn complexity(nodes: &[Node], src: &str) -> u32 {
    let mut c: u32 = 1;
    for root in nodes {
        for n in descendants(*root) {
            let add = match n.kind() {
                "if_statement" | "for_statement" | "for_in_statement" | "while_statement"
                | "do_statement" | "switch_case" | "catch_clause" | "ternary_expression" => 1,
                "binary_expression" => n
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(text(o, src), "&&" | "||" | "??"))
                    .into(),
                "augmented_assignment_expression" => n
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(text(o, src), "&&=" | "||=" | "??="))
                    .into(),
                _ => 0,
            };
            c = c.saturating_add(add);
        }
    }
    c
}

// ---------------------------------------------------------------------------------------------
// Test files
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Callee {
    Describe,
    Test,
}

/// Whether a call to `f` declares a suite (`describe`, `describe.only`) or a test (`it`,
/// `test.skip`, `test.each(table)`); chains of at most a few links.
fn callee(mut f: Node, src: &str) -> Option<Callee> {
    for _ in 0..8 {
        match f.kind() {
            "identifier" => {
                return match text(f, src) {
                    "describe" | "context" | "suite" => Some(Callee::Describe),
                    "it" | "test" | "specify" => Some(Callee::Test),
                    _ => None,
                };
            }
            "member_expression" => {
                let prop = text(f.child_by_field_name("property")?, src);
                if !matches!(
                    prop,
                    "only" | "skip" | "todo" | "concurrent" | "sequential" | "each" | "failing"
                ) {
                    return None;
                }
                f = f.child_by_field_name("object")?;
            }
            // `test.each(table)(title, fn)`
            "call_expression" => f = f.child_by_field_name("function")?,
            _ => return None,
        }
    }
    None
}

/// Analyzes a test file. `None` only if the grammar cannot be loaded.
pub(super) fn analyze_test(
    kind: FileKind,
    src: &str,
    rel: &Path,
    ctx: &Context,
) -> Option<TestUnit> {
    let tree = parse(kind, src)?;
    let root = tree.root_node();
    let file = rel_text(rel);
    let mut unit = TestUnit {
        rel: rel.to_path_buf(),
        ..TestUnit::default()
    };
    let resolve = |spec: &str| resolve_specifier(spec, rel, ctx);
    for n in descendants(root) {
        match n.kind() {
            "import_statement" => {
                let Some(source) = n.child_by_field_name("source") else {
                    continue;
                };
                let target = resolve(&literal_string(source, src).unwrap_or_default());
                for clause in named_children(n) {
                    if clause.kind() != "import_clause" {
                        continue;
                    }
                    for c in named_children(clause) {
                        match c.kind() {
                            "identifier" => unit.imports.push(Import {
                                local: text(c, src).to_string(),
                                target: target.clone(),
                                name: Some("default".to_string()),
                            }),
                            "namespace_import" => {
                                if let Some(id) = named_children(c).into_iter().next() {
                                    unit.imports.push(Import {
                                        local: text(id, src).to_string(),
                                        target: target.clone(),
                                        name: None,
                                    });
                                }
                            }
                            "named_imports" => {
                                for spec in named_children(c) {
                                    let Some(name) = spec.child_by_field_name("name") else {
                                        continue;
                                    };
                                    let name = literal_string(name, src)
                                        .unwrap_or_else(|| text(name, src).to_string());
                                    let local = spec
                                        .child_by_field_name("alias")
                                        .map(|a| text(a, src).to_string())
                                        .unwrap_or_else(|| name.clone());
                                    unit.imports.push(Import {
                                        local,
                                        target: target.clone(),
                                        name: Some(name),
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            "variable_declarator" => {
                let (Some(name), Some(value)) = (
                    n.child_by_field_name("name"),
                    n.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if let Some(spec) = require_of(value, src) {
                    let target = resolve(&spec);
                    match name.kind() {
                        "identifier" => unit.imports.push(Import {
                            local: text(name, src).to_string(),
                            target,
                            name: None,
                        }),
                        "object_pattern" => {
                            for p in named_children(name) {
                                let (orig, local) = match p.kind() {
                                    "shorthand_property_identifier_pattern" => {
                                        (text(p, src).to_string(), text(p, src).to_string())
                                    }
                                    "pair_pattern" => {
                                        let (Some(k), Some(v)) = (
                                            p.child_by_field_name("key"),
                                            p.child_by_field_name("value"),
                                        ) else {
                                            continue;
                                        };
                                        (text(k, src).to_string(), text(v, src).to_string())
                                    }
                                    _ => continue,
                                };
                                unit.imports.push(Import {
                                    local,
                                    target: target.clone(),
                                    name: Some(orig),
                                });
                            }
                        }
                        _ => {}
                    }
                } else if name.kind() == "identifier" {
                    unit.local_defs.insert(text(name, src).to_string());
                }
            }
            "function_declaration" | "class_declaration" => {
                if let Some(name) = n.child_by_field_name("name") {
                    unit.local_defs.insert(text(name, src).to_string());
                }
            }
            _ => {}
        }
    }
    // Tests, named under their `describe` titles (an explicit stack: no recursion).
    let mut stack: Vec<(Node, Vec<String>)> = vec![(root, Vec::new())];
    while let Some((n, titles)) = stack.pop() {
        if n.kind() == "call_expression"
            && let Some(f) = n.child_by_field_name("function")
            && let Some(kind) = callee(f, src)
            && let Some(args) = n.child_by_field_name("arguments")
        {
            let args = named_children(args);
            let title = args
                .first()
                .map(|t| literal_string(*t, src).unwrap_or_else(|| squash(text(*t, src))))
                .unwrap_or_default();
            let mut path = titles.clone();
            path.push(title);
            match kind {
                Callee::Test => {
                    let mut calls = Vec::new();
                    let mut seen = HashSet::new();
                    for a in args.iter().skip(1) {
                        for c in js_calls(*a, src) {
                            if seen.insert(c.clone()) {
                                calls.push(c);
                            }
                        }
                    }
                    unit.tests.push(TestCase {
                        id: format!("{file}::{}", path.join(" > ")),
                        calls,
                    });
                }
                Callee::Describe => {
                    for a in args.iter().skip(1).rev() {
                        stack.push((*a, path.clone()));
                    }
                }
            }
            continue;
        }
        for c in named_children(n).into_iter().rev() {
            stack.push((c, titles.clone()));
        }
    }
    Some(unit)
}

/// `require("x")` → `x`.
fn require_of(value: Node, src: &str) -> Option<String> {
    let value = unparen(value);
    if value.kind() != "call_expression" {
        return None;
    }
    let f = value.child_by_field_name("function")?;
    if f.kind() != "identifier" || text(f, src) != "require" {
        return None;
    }
    let arg = named_children(value.child_by_field_name("arguments")?)
        .into_iter()
        .next()?;
    literal_string(arg, src)
}

/// Every call under `node` by the name it calls (`new C()` calls `C`).
fn js_calls(node: Node, src: &str) -> Vec<Call> {
    let mut out = Vec::new();
    for n in descendants(node) {
        let f = match n.kind() {
            "call_expression" => n.child_by_field_name("function"),
            "new_expression" => n.child_by_field_name("constructor"),
            _ => None,
        };
        let Some(f) = f else { continue };
        match f.kind() {
            "identifier" => out.push(Call::Bare(text(f, src).to_string())),
            "member_expression" => {
                let (Some(obj), Some(prop)) = (
                    f.child_by_field_name("object"),
                    f.child_by_field_name("property"),
                ) else {
                    continue;
                };
                out.push(Call::Attr {
                    object: dotted(obj, src).unwrap_or_default(),
                    name: text(prop, src).to_string(),
                });
            }
            _ => {}
        }
    }
    out
}

/// `a.b.c` when `n` is a chain of names (of at most 48), else `None`.
fn dotted(mut n: Node, src: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    while n.kind() == "member_expression" {
        if parts.len() > 48 {
            return None;
        }
        parts.push(text(n.child_by_field_name("property")?, src));
        n = n.child_by_field_name("object")?;
    }
    if !matches!(n.kind(), "identifier" | "this") {
        return None;
    }
    parts.push(text(n, src));
    parts.reverse();
    Some(parts.join("."))
}

/// Where an import specifier of the test file at `rel` points.
fn resolve_specifier(spec: &str, rel: &Path, ctx: &Context) -> ImportTarget {
    let module_of = |p: &Path| -> Option<ImportTarget> {
        let mut parts: Vec<String> = Vec::new();
        for c in p.components() {
            match c {
                Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                Component::ParentDir => {
                    parts.pop()?;
                }
                Component::CurDir => {}
                _ => return None,
            }
        }
        let last = parts.pop()?;
        let stem = super::strip_ts_ext(&last).to_string();
        if stem != "index" || parts.is_empty() {
            parts.push(stem);
        }
        Some(ImportTarget::Module(parts.join("/")))
    };
    if spec.starts_with("./") || spec.starts_with("../") {
        let dir = rel.parent().map(Path::to_path_buf).unwrap_or_default();
        return module_of(&dir.join(spec)).unwrap_or(ImportTarget::External);
    }
    if let Some(pkg) = &ctx.package_name {
        if spec == pkg {
            return ImportTarget::Any;
        }
        if let Some(rest) = spec
            .strip_prefix(pkg.as_str())
            .and_then(|r| r.strip_prefix('/'))
        {
            return module_of(&PathBuf::from(rest)).unwrap_or(ImportTarget::External);
        }
    }
    ImportTarget::External
}

// ---------------------------------------------------------------------------------------------
// Smells
// ---------------------------------------------------------------------------------------------

fn smells(root: Node, src: &str, rel: &Path) -> Vec<Smell> {
    // Names bound to `child_process` or its functions.
    let mut shell_fns: HashSet<String> = HashSet::new();
    let mut cp_modules: HashSet<String> = ["child_process".to_string()].into_iter().collect();
    for n in descendants(root) {
        let (spec, binding) = match n.kind() {
            "import_statement" => (
                n.child_by_field_name("source")
                    .and_then(|s| literal_string(s, src)),
                named_children(n)
                    .into_iter()
                    .find(|c| c.kind() == "import_clause"),
            ),
            "variable_declarator" => (
                n.child_by_field_name("value")
                    .and_then(|v| require_of(v, src)),
                n.child_by_field_name("name"),
            ),
            _ => continue,
        };
        let (Some(spec), Some(binding)) = (spec, binding) else {
            continue;
        };
        if spec != "child_process" && spec != "node:child_process" {
            continue;
        }
        // The module itself (`import cp from`, `* as cp`, `const cp = require`), or its
        // functions (`{ exec }`, `{ exec: run }`).
        let mut pending = vec![binding];
        while let Some(b) = pending.pop() {
            match b.kind() {
                "identifier" => {
                    cp_modules.insert(text(b, src).to_string());
                }
                "import_clause" | "namespace_import" => pending.extend(named_children(b)),
                "named_imports" | "object_pattern" => {
                    for spec in named_children(b) {
                        let local = match spec.kind() {
                            "import_specifier" => spec
                                .child_by_field_name("alias")
                                .or_else(|| spec.child_by_field_name("name")),
                            "pair_pattern" => spec.child_by_field_name("value"),
                            "shorthand_property_identifier_pattern" => Some(spec),
                            _ => None,
                        };
                        if let Some(l) = local {
                            shell_fns.insert(text(l, src).to_string());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out: Vec<Smell> = Vec::new();
    let mut seen: HashSet<(usize, SmellKind)> = HashSet::new();
    let mut scopes: Vec<String> = Vec::new();
    let mut stack: Vec<(Node, Option<usize>)> = vec![(root, None)];
    while let Some((n, scope)) = stack.pop() {
        let mut inner = scope;
        let scope_name = match n.kind() {
            "function_declaration"
            | "generator_function_declaration"
            | "class_declaration"
            | "abstract_class_declaration"
            | "method_definition" => n.child_by_field_name("name").map(|x| text(x, src)),
            "variable_declarator" => n
                .child_by_field_name("value")
                .filter(|v| matches!(unparen(*v).kind(), "arrow_function" | "function_expression"))
                .and(n.child_by_field_name("name"))
                .map(|x| text(x, src)),
            _ => None,
        };
        if let Some(name) = scope_name {
            let base = scope.and_then(|i| scopes.get(i)).map(String::as_str);
            scopes.push(match base {
                Some(b) => format!("{b}.{name}"),
                None => name.to_string(),
            });
            inner = Some(scopes.len() - 1);
        }
        if let Some((kind, message)) = smell(n, src, &shell_fns, &cp_modules) {
            let l = line(n);
            if seen.insert((l, kind)) {
                out.push(Smell {
                    file: rel.to_path_buf(),
                    line: l,
                    kind,
                    message,
                    function: scope.and_then(|i| scopes.get(i)).cloned(),
                });
            }
        }
        stack.extend(children(n).into_iter().rev().map(|k| (k, inner)));
    }
    out
}

fn smell(
    n: Node,
    src: &str,
    shell_fns: &HashSet<String>,
    cp_modules: &HashSet<String>,
) -> Option<(SmellKind, String)> {
    match n.kind() {
        "call_expression" => {
            let f = n.child_by_field_name("function")?;
            let (object, name) = match f.kind() {
                "identifier" => ("", text(f, src)),
                "member_expression" => (
                    f.child_by_field_name("object")
                        .map(|o| text(o, src))
                        .unwrap_or(""),
                    text(f.child_by_field_name("property")?, src),
                ),
                _ => return None,
            };
            if object.is_empty() && name == "eval" {
                return Some((
                    SmellKind::Eval,
                    "`eval()` runs code made from data".to_string(),
                ));
            }
            let cp = (object.is_empty() && shell_fns.contains(name)) || cp_modules.contains(object);
            if cp && matches!(name, "exec" | "execSync") {
                return Some((
                    SmellKind::ShellCommand,
                    format!("`{name}()` runs its command through a shell; `execFile` does not"),
                ));
            }
            let args = n.child_by_field_name("arguments")?;
            let shell_true = named_children(args).into_iter().any(|a| {
                a.kind() == "object"
                    && named_children(a).into_iter().any(|p| {
                        p.kind() == "pair"
                            && p.child_by_field_name("key").map(|k| text(k, src)) == Some("shell")
                            && p.child_by_field_name("value")
                                .is_some_and(|v| text(v, src) != "false")
                    })
            });
            shell_true.then(|| {
                (
                    SmellKind::ShellCommand,
                    format!("`{name}(…, {{ shell: true }})` runs its command through a shell"),
                )
            })
        }
        "new_expression" => {
            let c = n.child_by_field_name("constructor")?;
            (text(c, src) == "Function").then(|| {
                (
                    SmellKind::Eval,
                    "`new Function()` runs code made from data".to_string(),
                )
            })
        }
        "if_statement" | "ternary_expression" | "while_statement" => {
            let cond = n.child_by_field_name("condition")?;
            auth_branch(cond, src)
        }
        "variable_declarator" => {
            let name = n.child_by_field_name("name")?;
            if name.kind() != "identifier" {
                return None;
            }
            security::secret_assignment(text(name, src), n.child_by_field_name("value")?, src)
        }
        "assignment_expression" => {
            let left = n.child_by_field_name("left")?;
            let name = match left.kind() {
                "identifier" => text(left, src),
                "member_expression" => text(left.child_by_field_name("property")?, src),
                _ => return None,
            };
            security::secret_assignment(name, n.child_by_field_name("right")?, src)
        }
        "pair" | "public_field_definition" => {
            let key = n
                .child_by_field_name("key")
                .or_else(|| n.child_by_field_name("name"))?;
            let key = literal_string(key, src).unwrap_or_else(|| text(key, src).to_string());
            security::secret_assignment(&key, n.child_by_field_name("value")?, src)
        }
        "string" | "template_string" => {
            if let Some(s) = literal_string(n, src) {
                return security::known_secret(&s).map(|what| {
                    (
                        SmellKind::HardcodedSecret,
                        format!("a string literal looks like {what}"),
                    )
                });
            }
            if n.kind() == "template_string" && security::sql_like(&template_shape(n, src)) {
                return Some(sql_message("a template literal"));
            }
            None
        }
        "binary_expression" => {
            let op = text(n.child_by_field_name("operator")?, src);
            if op != "+" {
                return None;
            }
            let left = unparen(n.child_by_field_name("left")?);
            let right = unparen(n.child_by_field_name("right")?);
            let is_str = |x: Node| matches!(x.kind(), "string" | "template_string");
            let sql = |x: Node| {
                is_str(x) && literal_string(x, src).is_some_and(|s| security::sql_like(&s))
            };
            ((sql(left) && !is_str(right)) || (sql(right) && !is_str(left)))
                .then(|| sql_message("`+`"))
        }
        _ => None,
    }
}

fn sql_message(how: &str) -> (SmellKind, String) {
    (
        SmellKind::SqlFormatting,
        format!(
            "SQL built with {how}: an injection unless every value is trusted; pass parameters instead"
        ),
    )
}

fn template_shape(n: Node, src: &str) -> String {
    let mut out = String::new();
    for c in named_children(n) {
        match c.kind() {
            "string_fragment" | "escape_sequence" => out.push_str(text(c, src)),
            "template_substitution" => out.push('x'),
            _ => {}
        }
    }
    out
}

/// Nodes of a condition looked at (a condition holding more is not read further).
const MAX_CONDITION_NODES: usize = 2048;

fn auth_branch(cond: Node, src: &str) -> Option<(SmellKind, String)> {
    // The names that are called (`f()`, `x.f()`); `Node::parent` walks from the root each time.
    let mut called: HashSet<usize> = HashSet::new();
    for n in descendants(cond).take(MAX_CONDITION_NODES) {
        if n.kind() == "call_expression"
            && let Some(f) = n.child_by_field_name("function")
        {
            match f.kind() {
                "identifier" => {
                    called.insert(f.id());
                }
                "member_expression" => {
                    if let Some(p) = f.child_by_field_name("property") {
                        called.insert(p.id());
                    }
                }
                _ => {}
            }
        }
        let name = match n.kind() {
            "identifier" | "property_identifier" => text(n, src),
            _ => continue,
        };
        let is_callee = called.contains(&n.id());
        if security::auth_name(name) || (is_callee && security::auth_call(name)) {
            return Some((
                SmellKind::AuthBranch,
                format!("a branch on `{name}` decides access: test it both ways"),
            ));
        }
    }
    None
}
