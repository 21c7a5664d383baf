//! Python: public functions and classes with their signatures and complexity, the test
//! functions of test files with the calls they make and the file's imports, and smells.

use super::security;
use super::syntax::{
    children, count_lines, descendants, end_line, first_error_line, line, literal_string,
    named_children, parse, squash, text, unparen,
};
use super::{
    Call, ClassInfo, FileKind, FunctionInfo, Import, ImportTarget, Param, ParamKind, Smell,
    SmellKind, TestCase, TestUnit, Unit, rel_text,
};
use std::collections::HashSet;
use std::path::Path;
use tree_sitter::Node;

/// Nesting of `if`/`try`/`with` blocks and classes followed when looking for definitions;
/// deeper ones are not listed (no real module nests that far).
const MAX_DEPTH: usize = 48;

/// Analyzes a source module. `None` only if the grammar cannot be loaded.
pub(super) fn analyze(src: &str, rel: &Path, module: &str) -> Option<Unit> {
    let tree = parse(FileKind::Python, src)?;
    let root = tree.root_node();
    let all = dunder_all(root, src);
    let mut unit = Unit {
        rel: rel.to_path_buf(),
        module: module.to_string(),
        lines: count_lines(src),
        syntax_error: first_error_line(&tree),
        ..Unit::default()
    };
    let mut defs = Vec::new();
    definitions(root, &mut defs, 0);
    for def in defs {
        let public = match &all {
            Some(names) => names.contains(def.name(src)),
            None => !def.name(src).starts_with('_'),
        };
        if !public {
            continue;
        }
        match def.node.kind() {
            "function_definition" => {
                unit.functions
                    .push(function(def.node, &def.decorators, "", false, src));
            }
            _ => class(def.node, "", src, &mut unit.classes, 0),
        }
    }
    unit.smells = smells(root, src, rel);
    Some(unit)
}

/// A definition statement and the decorators above it.
struct Def<'t> {
    node: Node<'t>,
    decorators: Vec<Node<'t>>,
}

impl Def<'_> {
    fn name<'s>(&self, src: &'s str) -> &'s str {
        self.node
            .child_by_field_name("name")
            .map(|n| text(n, src))
            .unwrap_or("")
    }
}

/// The `def`s and classes directly in `block` (a module or a class body), also inside its
/// `if`/`try`/`with` blocks, in source order.
fn definitions<'t>(block: Node<'t>, out: &mut Vec<Def<'t>>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for stmt in named_children(block) {
        match stmt.kind() {
            "function_definition" | "class_definition" => out.push(Def {
                node: stmt,
                decorators: Vec::new(),
            }),
            "decorated_definition" => {
                if let Some(def) = stmt.child_by_field_name("definition") {
                    let decorators = named_children(stmt)
                        .into_iter()
                        .filter(|d| d.kind() == "decorator")
                        .collect();
                    out.push(Def {
                        node: def,
                        decorators,
                    });
                }
            }
            _ => {
                for b in nested_blocks(stmt) {
                    definitions(b, out, depth + 1);
                }
            }
        }
    }
}

/// The blocks of an `if`/`try`/`with` statement, in source order (empty for anything else).
fn nested_blocks(stmt: Node) -> Vec<Node> {
    let mut out = Vec::new();
    match stmt.kind() {
        "if_statement" | "try_statement" | "with_statement" => {
            for c in named_children(stmt) {
                match c.kind() {
                    "block" => out.push(c),
                    "elif_clause"
                    | "else_clause"
                    | "except_clause"
                    | "except_group_clause"
                    | "finally_clause" => {
                        out.extend(
                            named_children(c)
                                .into_iter()
                                .filter(|b| b.kind() == "block"),
                        );
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

/// The names a module's `__all__` lists, when it is written as literals only; `None` when it
/// has none, or builds it in a way only running the module would tell.
fn dunder_all(root: Node, src: &str) -> Option<HashSet<String>> {
    let mut names: Option<HashSet<String>> = None;
    let mut dynamic = false;
    let mut stmts = Vec::new();
    top_statements(root, &mut stmts, 0);
    for stmt in stmts {
        if stmt.kind() != "expression_statement" {
            continue;
        }
        for e in named_children(stmt) {
            match e.kind() {
                "assignment" => {
                    let Some(left) = e.child_by_field_name("left") else {
                        continue;
                    };
                    if text(left, src) != "__all__" {
                        continue;
                    }
                    match e.child_by_field_name("right").and_then(|r| strings(r, src)) {
                        Some(list) => names = Some(list.into_iter().collect()),
                        // `__all__: list[str]` alone binds nothing.
                        None if e.child_by_field_name("right").is_none() => {}
                        None => dynamic = true,
                    }
                }
                "augmented_assignment" => {
                    let left = e.child_by_field_name("left").map(|l| text(l, src));
                    if left != Some("__all__") {
                        continue;
                    }
                    let op = e.child_by_field_name("operator").map(|o| text(o, src));
                    match (
                        op,
                        e.child_by_field_name("right").and_then(|r| strings(r, src)),
                    ) {
                        (Some("+="), Some(list)) => {
                            names.get_or_insert_with(HashSet::new).extend(list)
                        }
                        _ => dynamic = true,
                    }
                }
                "call" => {
                    let Some(f) = e.child_by_field_name("function") else {
                        continue;
                    };
                    if f.kind() != "attribute" {
                        continue;
                    }
                    let obj = f.child_by_field_name("object").map(|o| text(o, src));
                    if obj != Some("__all__") {
                        continue;
                    }
                    let attr = f.child_by_field_name("attribute").map(|a| text(a, src));
                    let args: Vec<Node> = e
                        .child_by_field_name("arguments")
                        .map(named_children)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|a| a.kind() != "comment")
                        .collect();
                    let added = match (attr, args.as_slice()) {
                        (Some("extend"), [a]) => strings(*a, src),
                        (Some("append"), [a]) => literal_string(unparen(*a), src).map(|s| vec![s]),
                        _ => None,
                    };
                    match added {
                        Some(list) => names.get_or_insert_with(HashSet::new).extend(list),
                        None => dynamic = true,
                    }
                }
                _ => {}
            }
        }
    }
    if dynamic { None } else { names }
}

/// Module-level statements, also those inside top-level `if`/`try`/`with` blocks.
fn top_statements<'t>(block: Node<'t>, out: &mut Vec<Node<'t>>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for stmt in named_children(block) {
        out.push(stmt);
        for b in nested_blocks(stmt) {
            top_statements(b, out, depth + 1);
        }
    }
}

/// The strings of a list or tuple made of plain string literals only.
fn strings(n: Node, src: &str) -> Option<Vec<String>> {
    let n = unparen(n);
    if !matches!(n.kind(), "list" | "tuple") {
        return None;
    }
    named_children(n)
        .into_iter()
        .filter(|c| c.kind() != "comment")
        .map(|c| literal_string(c, src))
        .collect()
}

fn decorator_texts(decorators: &[Node], src: &str) -> Vec<String> {
    decorators
        .iter()
        .map(|d| {
            let expr = named_children(*d)
                .into_iter()
                .find(|c| c.kind() != "comment")
                .map(|e| text(e, src))
                .unwrap_or("");
            squash(expr)
        })
        .collect()
}

/// One `def` (`prefix` is `Class.` for a method).
fn function(
    node: Node,
    decorators: &[Node],
    prefix: &str,
    in_class: bool,
    src: &str,
) -> FunctionInfo {
    let name = node
        .child_by_field_name("name")
        .map(|n| text(n, src))
        .unwrap_or("")
        .to_string();
    let decorator_list = decorator_texts(decorators, src);
    let params = node
        .child_by_field_name("parameters")
        .map(|p| params(p, src))
        .unwrap_or_default();
    let returns = node
        .child_by_field_name("return_type")
        .map(|r| squash(text(unparen(r), src)));
    let is_async = children(node).first().is_some_and(|c| c.kind() == "async");
    let is_static = decorator_list.iter().any(|d| d == "staticmethod");
    let skip_first = in_class && !is_static;
    let untyped = params.iter().enumerate().any(|(i, p)| {
        p.annotation.is_none()
            && !(i == 0
                && skip_first
                && matches!(p.kind, ParamKind::Positional | ParamKind::PositionalOnly))
    }) || (returns.is_none() && !(in_class && name == "__init__"));
    let mut scope: Vec<Node> = decorators.to_vec();
    scope.push(node);
    FunctionInfo {
        qualified_name: format!("{prefix}{name}"),
        name,
        params,
        returns,
        is_async,
        decorators: decorator_list,
        complexity: complexity(&scope),
        line: line(node),
        end_line: end_line(node),
        covered_by: Vec::new(),
        untyped,
    }
}

fn params(list: Node, src: &str) -> Vec<Param> {
    let mut out: Vec<Param> = Vec::new();
    let mut keyword_only = false;
    let plain = |kw: bool| {
        if kw {
            ParamKind::KeywordOnly
        } else {
            ParamKind::Positional
        }
    };
    for p in named_children(list) {
        let field = |f: &str| p.child_by_field_name(f);
        let annotation = |n: Option<Node>| n.map(|t| squash(text(unparen(t), src)));
        let (name, annotation, default, kind) = match p.kind() {
            "identifier" => (text(p, src).to_string(), None, None, plain(keyword_only)),
            "typed_parameter" => {
                let inner = named_children(p)
                    .into_iter()
                    .find(|c| c.kind() != "type" && c.kind() != "comment");
                let ann = annotation(field("type"));
                match inner {
                    Some(i) if i.kind() == "list_splat_pattern" => {
                        keyword_only = true;
                        (splat_name(i, src), ann, None, ParamKind::VarPositional)
                    }
                    Some(i) if i.kind() == "dictionary_splat_pattern" => {
                        (splat_name(i, src), ann, None, ParamKind::VarKeyword)
                    }
                    Some(i) => (text(i, src).to_string(), ann, None, plain(keyword_only)),
                    None => continue,
                }
            }
            "default_parameter" | "typed_default_parameter" => (
                field("name")
                    .map(|n| text(n, src))
                    .unwrap_or("")
                    .to_string(),
                annotation(field("type")),
                field("value").map(|v| squash(text(unparen(v), src))),
                plain(keyword_only),
            ),
            "list_splat_pattern" => {
                keyword_only = true;
                (splat_name(p, src), None, None, ParamKind::VarPositional)
            }
            "dictionary_splat_pattern" => (splat_name(p, src), None, None, ParamKind::VarKeyword),
            "keyword_separator" => {
                keyword_only = true;
                continue;
            }
            "positional_separator" => {
                for q in &mut out {
                    if q.kind == ParamKind::Positional {
                        q.kind = ParamKind::PositionalOnly;
                    }
                }
                continue;
            }
            "tuple_pattern" => (text(p, src).to_string(), None, None, plain(keyword_only)),
            _ => continue,
        };
        out.push(Param {
            name,
            annotation,
            default,
            kind,
            optional: false,
        });
    }
    out
}

fn splat_name(n: Node, src: &str) -> String {
    named_children(n)
        .into_iter()
        .find(|c| c.kind() != "comment")
        .map(|c| text(c, src).to_string())
        .unwrap_or_default()
}

/// A class and, after it, its public nested classes (`prefix` is `Outer.` for those).
fn class(node: Node, prefix: &str, src: &str, out: &mut Vec<ClassInfo>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let name = node
        .child_by_field_name("name")
        .map(|n| text(n, src))
        .unwrap_or("");
    let qualified = format!("{prefix}{name}");
    let bases = node
        .child_by_field_name("superclasses")
        .map(|s| {
            named_children(s)
                .into_iter()
                .filter(|b| b.kind() != "comment")
                .map(|b| squash(text(b, src)))
                .collect()
        })
        .unwrap_or_default();
    let idx = out.len();
    out.push(ClassInfo {
        name: qualified.clone(),
        bases,
        methods: Vec::new(),
        line: line(node),
        end_line: end_line(node),
    });
    let Some(body) = node.child_by_field_name("body") else {
        return;
    };
    let mut defs = Vec::new();
    definitions(body, &mut defs, 0);
    let method_prefix = format!("{qualified}.");
    for def in defs {
        let n = def.name(src);
        match def.node.kind() {
            "function_definition" => {
                let dunder = n.len() > 4 && n.starts_with("__") && n.ends_with("__");
                if !n.starts_with('_') || dunder {
                    let f = function(def.node, &def.decorators, &method_prefix, true, src);
                    if let Some(c) = out.get_mut(idx) {
                        c.methods.push(f);
                    }
                }
            }
            _ => {
                if !n.starts_with('_') {
                    class(def.node, &method_prefix, src, out, depth + 1);
                }
            }
        }
    }
}

/// 1 + the decision points inside `nodes` (a definition and its decorators); see the module
/// documentation of `codebase` for the definition.
pub(super) fn complexity(nodes: &[Node]) -> u32 {
    let mut c: u32 = 1;
    for root in nodes {
        for n in descendants(*root) {
            let add = match n.kind() {
                "if_statement"
                | "elif_clause"
                | "for_statement"
                | "while_statement"
                | "except_clause"
                | "except_group_clause"
                | "assert_statement"
                | "conditional_expression"
                | "boolean_operator" => 1,
                "match_statement" => {
                    let cases: u32 = n
                        .child_by_field_name("body")
                        .map(|b| {
                            named_children(b)
                                .iter()
                                .filter(|c| c.kind() == "case_clause")
                                .count() as u32
                        })
                        .unwrap_or(0);
                    cases.saturating_sub(1)
                }
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

/// Analyzes a test file. `None` only if the grammar cannot be loaded.
pub(super) fn analyze_test(src: &str, rel: &Path, module: &str) -> Option<TestUnit> {
    let tree = parse(FileKind::Python, src)?;
    let root = tree.root_node();
    let file = rel_text(rel);
    let is_init = rel.file_name().is_some_and(|n| n == "__init__.py");
    let mut unit = TestUnit {
        rel: rel.to_path_buf(),
        ..TestUnit::default()
    };
    for n in descendants(root) {
        match n.kind() {
            "function_definition" | "class_definition" => {
                if let Some(name) = n.child_by_field_name("name") {
                    unit.local_defs.insert(text(name, src).to_string());
                }
            }
            "import_statement" => {
                for c in named_children(n) {
                    match c.kind() {
                        "dotted_name" => {
                            let full = text(c, src);
                            let head = full.split('.').next().unwrap_or(full);
                            unit.imports.push(Import {
                                local: head.to_string(),
                                target: ImportTarget::Module(head.to_string()),
                                name: None,
                            });
                        }
                        "aliased_import" => {
                            let (Some(name), Some(alias)) = (
                                c.child_by_field_name("name"),
                                c.child_by_field_name("alias"),
                            ) else {
                                continue;
                            };
                            unit.imports.push(Import {
                                local: text(alias, src).to_string(),
                                target: ImportTarget::Module(squash(text(name, src))),
                                name: None,
                            });
                        }
                        _ => {}
                    }
                }
            }
            "import_from_statement" => {
                let Some(from) = n.child_by_field_name("module_name") else {
                    continue;
                };
                let Some(from) = absolute(from, src, module, is_init) else {
                    continue;
                };
                for c in named_children(n) {
                    if c.kind() == "wildcard_import" {
                        unit.star_imports.push(from.clone());
                    }
                }
                let mut cursor = n.walk();
                for c in n.children_by_field_name("name", &mut cursor) {
                    let (name, local) = match c.kind() {
                        "aliased_import" => (
                            c.child_by_field_name("name").map(|x| text(x, src)),
                            c.child_by_field_name("alias").map(|x| text(x, src)),
                        ),
                        _ => (Some(text(c, src)), Some(text(c, src))),
                    };
                    if let (Some(name), Some(local)) = (name, local) {
                        unit.imports.push(Import {
                            local: local.to_string(),
                            target: ImportTarget::Module(from.clone()),
                            name: Some(name.to_string()),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    let mut defs = Vec::new();
    definitions(root, &mut defs, 0);
    test_cases(&defs, &format!("{file}::"), src, &mut unit.tests, 0);
    Some(unit)
}

/// The module `from X import …` names, relative imports resolved against the test file's own
/// module name.
fn absolute(from: Node, src: &str, module: &str, is_init: bool) -> Option<String> {
    if from.kind() != "relative_import" {
        return Some(squash(text(from, src)));
    }
    let mut level = 0;
    let mut rest = String::new();
    for c in named_children(from) {
        match c.kind() {
            "import_prefix" => level = text(c, src).chars().filter(|&ch| ch == '.').count(),
            "dotted_name" => rest = squash(text(c, src)),
            _ => {}
        }
    }
    let mut parts: Vec<&str> = module.split('.').filter(|p| !p.is_empty()).collect();
    // A module's package is its name without the last part; a package's is itself.
    let drop = if is_init { level - 1 } else { level };
    if drop > parts.len() {
        return None;
    }
    parts.truncate(parts.len() - drop);
    if !rest.is_empty() {
        parts.push(&rest);
    }
    Some(parts.join("."))
}

fn test_cases(defs: &[Def], prefix: &str, src: &str, out: &mut Vec<TestCase>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for def in defs {
        let name = def.name(src);
        match def.node.kind() {
            "function_definition" if name.starts_with("test") => {
                out.push(TestCase {
                    id: format!("{prefix}{name}"),
                    calls: calls(def.node, src),
                });
            }
            "class_definition" => {
                let Some(body) = def.node.child_by_field_name("body") else {
                    continue;
                };
                let mut inner = Vec::new();
                definitions(body, &mut inner, 0);
                test_cases(&inner, &format!("{prefix}{name}::"), src, out, depth + 1);
            }
            _ => {}
        }
    }
}

/// Every call under `node`, by the name it calls.
fn calls(node: Node, src: &str) -> Vec<Call> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // Attributes that are called (not read); `Node::parent` walks from the root each time.
    let mut called: HashSet<usize> = HashSet::new();
    for n in descendants(node) {
        if n.kind() == "call"
            && let Some(f) = n.child_by_field_name("function")
        {
            called.insert(f.id());
        }
        if n.kind() == "attribute"
            && let Some(attr) = n.child_by_field_name("attribute")
            && !called.contains(&n.id())
        {
            let read = Call::Read(text(attr, src).to_string());
            if seen.insert(read.clone()) {
                out.push(read);
            }
            continue;
        }
        if n.kind() != "call" {
            continue;
        }
        let Some(f) = n.child_by_field_name("function") else {
            continue;
        };
        let call = match f.kind() {
            "identifier" => Call::Bare(text(f, src).to_string()),
            "attribute" => {
                let (Some(obj), Some(attr)) = (
                    f.child_by_field_name("object"),
                    f.child_by_field_name("attribute"),
                ) else {
                    continue;
                };
                Call::Attr {
                    object: dotted(obj, src).unwrap_or_default(),
                    name: text(attr, src).to_string(),
                }
            }
            _ => continue,
        };
        if seen.insert(call.clone()) {
            out.push(call);
        }
    }
    out
}

/// `a.b.c` when `n` is a chain of names (of at most [`MAX_DEPTH`]), else `None`.
fn dotted(mut n: Node, src: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    while n.kind() == "attribute" {
        if parts.len() > MAX_DEPTH {
            return None;
        }
        parts.push(text(n.child_by_field_name("attribute")?, src));
        n = n.child_by_field_name("object")?;
    }
    if n.kind() != "identifier" {
        return None;
    }
    parts.push(text(n, src));
    parts.reverse();
    Some(parts.join("."))
}

// ---------------------------------------------------------------------------------------------
// Smells
// ---------------------------------------------------------------------------------------------

fn smells(root: Node, src: &str, rel: &Path) -> Vec<Smell> {
    let mut out: Vec<Smell> = Vec::new();
    let mut seen: HashSet<(usize, SmellKind)> = HashSet::new();
    // (node, index of its enclosing scope's name in `scopes`)
    let mut scopes: Vec<String> = Vec::new();
    let mut stack: Vec<(Node, Option<usize>)> = vec![(root, None)];
    while let Some((n, scope)) = stack.pop() {
        let mut inner = scope;
        if matches!(n.kind(), "function_definition" | "class_definition")
            && let Some(name) = n.child_by_field_name("name")
        {
            let base = scope.and_then(|i| scopes.get(i)).map(String::as_str);
            let q = match base {
                Some(b) => format!("{b}.{}", text(name, src)),
                None => text(name, src).to_string(),
            };
            scopes.push(q);
            inner = Some(scopes.len() - 1);
        }
        if let Some((kind, message)) = smell(n, src) {
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
        let kids = children(n);
        stack.extend(kids.into_iter().rev().map(|k| (k, inner)));
    }
    out
}

fn smell(n: Node, src: &str) -> Option<(SmellKind, String)> {
    match n.kind() {
        "call" => call_smell(n, src),
        "if_statement" | "elif_clause" | "conditional_expression" => {
            let cond = if n.kind() == "conditional_expression" {
                named_children(n).get(1).copied()
            } else {
                n.child_by_field_name("condition")
            }?;
            auth_branch(cond, src)
        }
        "assignment" => {
            let left = n.child_by_field_name("left")?;
            let name = match left.kind() {
                "identifier" => text(left, src),
                "attribute" => text(left.child_by_field_name("attribute")?, src),
                _ => return None,
            };
            security::secret_assignment(name, n.child_by_field_name("right")?, src)
        }
        "keyword_argument" => {
            let name = text(n.child_by_field_name("name")?, src);
            security::secret_assignment(name, n.child_by_field_name("value")?, src)
        }
        "pair" => {
            let key = literal_string(n.child_by_field_name("key")?, src)?;
            security::secret_assignment(&key, n.child_by_field_name("value")?, src)
        }
        "string" => {
            if let Some(s) = literal_string(n, src)
                && let Some(what) = security::known_secret(&s)
            {
                return Some((
                    SmellKind::HardcodedSecret,
                    format!("a string literal looks like {what}"),
                ));
            }
            // An f-string with SQL in it.
            let has_interp = named_children(n)
                .iter()
                .any(|c| c.kind() == "interpolation");
            if has_interp && security::sql_like(&string_shape(n, src)) {
                return Some(sql_message("an f-string"));
            }
            None
        }
        "binary_operator" => {
            let op = text(n.child_by_field_name("operator")?, src);
            let left = unparen(n.child_by_field_name("left")?);
            let right = unparen(n.child_by_field_name("right")?);
            let is_str = |x: Node| matches!(x.kind(), "string" | "concatenated_string");
            let sql = |x: Node| is_str(x) && security::sql_like(&string_shape(x, src));
            match op {
                "%" if sql(left) && !is_str(right) => Some(sql_message("`%`")),
                "+" if (sql(left) && !is_str(right)) || (sql(right) && !is_str(left)) => {
                    Some(sql_message("`+`"))
                }
                _ => None,
            }
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

/// A string's content with each interpolation as `x`, for recognizing SQL.
fn string_shape(n: Node, src: &str) -> String {
    let mut out = String::new();
    let parts = if n.kind() == "concatenated_string" {
        named_children(n)
    } else {
        vec![n]
    };
    for s in parts {
        for c in named_children(s) {
            match c.kind() {
                "string_content" | "escape_sequence" => out.push_str(text(c, src)),
                "interpolation" => out.push('x'),
                _ => {}
            }
        }
    }
    out
}

/// Nodes of a condition looked at (a condition holding more is not read further).
const MAX_CONDITION_NODES: usize = 2048;

fn auth_branch(cond: Node, src: &str) -> Option<(SmellKind, String)> {
    let mut called: HashSet<usize> = HashSet::new();
    for n in descendants(cond).take(MAX_CONDITION_NODES) {
        if n.kind() == "call"
            && let Some(f) = n.child_by_field_name("function")
        {
            called.insert(f.id());
        }
        match n.kind() {
            "identifier" => {
                let name = text(n, src);
                let is_callee = called.contains(&n.id());
                if security::auth_name(name) || (is_callee && security::auth_call(name)) {
                    return Some(auth_message(name));
                }
            }
            "attribute" => {
                if let Some(a) = n.child_by_field_name("attribute") {
                    let name = text(a, src);
                    if security::auth_name(name) || security::auth_call(name) {
                        return Some(auth_message(name));
                    }
                }
            }
            _ => {}
        }
    }
    None
}

fn auth_message(name: &str) -> (SmellKind, String) {
    (
        SmellKind::AuthBranch,
        format!("a branch on `{name}` decides access: test it both ways"),
    )
}

fn call_smell(n: Node, src: &str) -> Option<(SmellKind, String)> {
    let f = n.child_by_field_name("function")?;
    let args = n.child_by_field_name("arguments");
    let (object, name) = match f.kind() {
        "identifier" => ("", text(f, src)),
        "attribute" => (
            f.child_by_field_name("object")
                .map(|o| text(o, src))
                .unwrap_or(""),
            text(f.child_by_field_name("attribute")?, src),
        ),
        _ => return None,
    };
    let keyword = |k: &str| -> Option<String> {
        args.map(named_children)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.kind() == "keyword_argument")
            .find(|a| a.child_by_field_name("name").map(|x| text(x, src)) == Some(k))
            .and_then(|a| a.child_by_field_name("value"))
            .map(|v| text(v, src).to_string())
    };
    let positional = |i: usize| -> Option<String> {
        args.map(named_children)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| !matches!(a.kind(), "keyword_argument" | "comment"))
            .nth(i)
            .map(|v| text(v, src).to_string())
    };
    match (object, name) {
        ("" | "builtins", "eval" | "exec") => Some((
            SmellKind::Eval,
            format!("`{name}()` runs code made from data"),
        )),
        ("os", "system" | "popen") => Some((
            SmellKind::ShellCommand,
            format!("`os.{name}()` runs its command through a shell"),
        )),
        ("subprocess", "getoutput" | "getstatusoutput") => Some((
            SmellKind::ShellCommand,
            format!("`subprocess.{name}()` runs its command through a shell"),
        )),
        (o, "Popen" | "run" | "call" | "check_call" | "check_output")
            if (o.is_empty() || o == "subprocess")
                && keyword("shell").is_some_and(|v| v != "False" && v != "None") =>
        {
            Some((
                SmellKind::ShellCommand,
                format!("`{name}(…, shell=True)` runs its command through a shell"),
            ))
        }
        (
            "pickle" | "cPickle" | "_pickle" | "dill" | "cloudpickle" | "marshal",
            "load" | "loads",
        )
        | ("pickle" | "dill", "Unpickler")
        | ("shelve", "open") => Some((
            SmellKind::UnsafeDeserialization,
            format!("`{object}.{name}()` can run code hidden in the data it reads"),
        )),
        ("yaml", "unsafe_load" | "unsafe_load_all") => Some((
            SmellKind::UnsafeYamlLoad,
            format!("`yaml.{name}()` builds arbitrary objects from the document"),
        )),
        ("yaml", "load" | "load_all") => {
            let loader = keyword("Loader").or_else(|| positional(1));
            let safe = loader
                .as_deref()
                .is_some_and(|l| l.contains("Safe") || l.contains("BaseLoader"));
            (!safe).then(|| {
                (
                    SmellKind::UnsafeYamlLoad,
                    format!("`yaml.{name}()` without a safe loader builds arbitrary objects; use `yaml.safe_load`"),
                )
            })
        }
        (_, "format") => {
            let obj = unparen(f.child_by_field_name("object")?);
            (matches!(obj.kind(), "string" | "concatenated_string")
                && security::sql_like(&string_shape(obj, src)))
            .then(|| sql_message("`.format()`"))
        }
        _ => None,
    }
}
