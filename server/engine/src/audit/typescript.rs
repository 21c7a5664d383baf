//! The TypeScript and JavaScript side of the audit (one scanner: the two grammars share their
//! expression nodes). Names are resolved through `import`, `require`, `import()`,
//! destructuring, aliases and `globalThis`/`global`/`window` to a qualified name such as
//! `child_process.exec` or `process.env`, then checked against [`RULES`]; strings are folded
//! through `+`, template literals, `join`, `String.fromCharCode`, `atob`, `Buffer.from`, ….
//!
//! This file reads a file's bindings and runs the scan. The rest is split by job: `rules`
//! (what may not be named), `expr` (what an expression names or evaluates to), `checks` (the
//! walk over the nodes), `writes` (patching and `process.env`) and `equality` (constant
//! comparison methods); binding and folding machinery shared with Python is in
//! [`super::fold`].

use super::fold::{Bind, Fold, MAX_DEPTH, MAX_FOLD, Names, Q, int_binary, int_literal, int_unary};
use super::text::{self, UNKNOWN, exact, js_ident};
use super::{Class, Gate, Rule, Scan, match_rule, node_text, rule, visit};
use std::collections::{HashMap, HashSet};
use tree_sitter::{Node, Tree};

mod checks;
mod equality;
mod expr;
mod rules;
mod writes;

use rules::*;

use Class::{
    DynamicCode, EqualityGaming, ExitHook, Introspection, Patching, TestDetection, TestFramework,
    Unreadable,
};
use Gate::{FileRead, FileWrite, Never};

pub(crate) fn scan(tree: &Tree, src: &str, local: &HashSet<String>) -> Scan {
    let mut js = Js {
        src,
        local,
        names: Names::default(),
        funcs: HashMap::new(),
        out: Scan::default(),
    };
    let root = tree.root_node();
    js.collect(root);
    js.warm();
    visit(root, |n, _| {
        js.node(n);
        true
    });
    js.out
}

struct Js<'a> {
    src: &'a str,
    local: &'a HashSet<String>,
    names: Names<'a>,
    /// Function declarations by name (for `X.prototype.valueOf = f`).
    funcs: HashMap<String, Vec<Node<'a>>>,
    out: Scan,
}

fn field<'a>(n: Node<'a>, name: &str) -> Option<Node<'a>> {
    n.child_by_field_name(name)
}

fn named_children(n: Node) -> Vec<Node> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// The expression inside parentheses, type assertions, `await` and `!`.
fn unwrap(mut n: Node) -> Node {
    loop {
        let inner = match n.kind() {
            "parenthesized_expression"
            | "non_null_expression"
            | "as_expression"
            | "satisfies_expression"
            | "await_expression" => n.named_child(0),
            "type_assertion" => n.named_child(1),
            "sequence_expression" => n.named_child(n.named_child_count().saturating_sub(1) as u32),
            _ => None,
        };
        match inner {
            Some(i) if i.kind() != "type_annotation" => n = i,
            _ => return n,
        }
    }
}

fn is_function(n: Node) -> bool {
    matches!(
        n.kind(),
        "arrow_function"
            | "function_expression"
            | "function"
            | "function_declaration"
            | "generator_function"
            | "generator_function_declaration"
            | "method_definition"
    )
}

impl<'a> Fold<'a> for Js<'a> {
    fn names(&self) -> &Names<'a> {
        &self.names
    }

    fn qualify_node(&self, n: Node<'a>, depth: u32) -> Option<Q> {
        self.qualify(n, depth)
    }

    fn fold_node(&self, n: Node<'a>, depth: u32) -> Option<String> {
        self.fold(n, depth)
    }

    fn q(&self, name: &str) -> Q {
        q(name)
    }

    fn member(&self, o: &Q, prop: &str) -> Q {
        if o.name == "globalThis" {
            match prop {
                "globalThis" | "global" | "window" | "self" => q("globalThis"),
                "module" => q("cjs.module"),
                _ => q(prop),
            }
        } else {
            q(&format!("{}.{prop}", o.name))
        }
    }

    fn unbound(&self, name: &str) -> Option<Q> {
        match name {
            "globalThis" | "global" | "window" | "self" => Some(q("globalThis")),
            "module" => Some(q("cjs.module")),
            _ if GLOBALS.contains(&name) => Some(q(name)),
            _ => None,
        }
    }
}

impl<'a> Js<'a> {
    fn text(&self, n: Node) -> &'a str {
        node_text(n, self.src)
    }

    fn name(&self, n: Node) -> String {
        js_ident(self.text(n)).into_owned()
    }

    /// [`Self::bind`], remembering which binding the name node `at` makes.
    fn bind_at(&mut self, at: Node<'a>, b: Bind<'a>) {
        let name = self.name(at);
        self.names.bind_at(at, name, b);
    }

    fn bind(&mut self, name: String, b: Bind<'a>) {
        self.names.bind(name, b);
    }

    /// The module a specifier names, or `None` for a relative path or a sibling component.
    fn module_of(&self, spec: &str) -> Option<String> {
        if spec.starts_with('.') || spec.starts_with('/') {
            return None;
        }
        let m = normalize_module(spec);
        let root = m.split('/').next().unwrap_or(&m);
        (!self.local.contains(root)).then_some(m)
    }

    fn spec(&self, n: Node<'a>) -> Option<String> {
        self.fresh();
        self.fold(n, 0).filter(|s| exact(s))
    }

    // ── bindings ──────────────────────────────────────────────────────────────────────────

    fn collect(&mut self, root: Node<'a>) {
        let mut nodes = Vec::new();
        visit(root, |n, _| {
            nodes.push(n);
            true
        });
        for n in nodes {
            match n.kind() {
                "import_statement" => {
                    let module = field(n, "source")
                        .and_then(|s| self.spec(s))
                        .and_then(|s| self.module_of(&s));
                    for c in named_children(n) {
                        match c.kind() {
                            "import_clause" => {
                                for part in named_children(c) {
                                    match part.kind() {
                                        "identifier" => {
                                            let b =
                                                module.clone().map_or(Bind::Opaque, Bind::Module);
                                            self.bind(self.name(part), b);
                                        }
                                        "namespace_import" => {
                                            if let Some(id) = part.named_child(0) {
                                                let b = module
                                                    .clone()
                                                    .map_or(Bind::Opaque, Bind::Module);
                                                self.bind(self.name(id), b);
                                            }
                                        }
                                        "named_imports" => {
                                            for spec in named_children(part) {
                                                let Some(orig) = field(spec, "name") else {
                                                    continue;
                                                };
                                                let orig_name = if orig.kind() == "string" {
                                                    self.spec(orig).unwrap_or_default()
                                                } else {
                                                    self.name(orig)
                                                };
                                                let alias = field(spec, "alias")
                                                    .map(|a| self.name(a))
                                                    .unwrap_or_else(|| orig_name.clone());
                                                let b = match &module {
                                                    Some(m) => Bind::From(m.clone(), orig_name),
                                                    None => Bind::Opaque,
                                                };
                                                self.bind(alias, b);
                                            }
                                        }
                                        _ => {}
                                    }
                                }
                            }
                            "import_require_clause" => {
                                if let Some(id) = c.named_child(0) {
                                    let m = c
                                        .named_child(1)
                                        .and_then(|s| self.spec(s))
                                        .and_then(|s| self.module_of(&s));
                                    self.bind(self.name(id), m.map_or(Bind::Opaque, Bind::Module));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "variable_declarator" => {
                    let Some(name) = field(n, "name") else {
                        continue;
                    };
                    let value = field(n, "value");
                    self.bind_pattern(name, value);
                }
                "assignment_expression" => {
                    if let Some(left) = field(n, "left").filter(|l| l.kind() == "identifier") {
                        let b = field(n, "right").map_or(Bind::Opaque, Bind::Expr);
                        self.bind_at(left, b);
                    }
                }
                "augmented_assignment_expression" => {
                    if let Some(left) = field(n, "left").filter(|l| l.kind() == "identifier") {
                        let plus = field(n, "operator").is_some_and(|o| self.text(o) == "+=");
                        let b = match field(n, "right") {
                            Some(r) if plus => Bind::Aug(r),
                            _ => Bind::Opaque,
                        };
                        self.bind_at(left, b);
                    }
                }
                "update_expression" => {
                    if let Some(arg) = field(n, "argument").filter(|a| a.kind() == "identifier") {
                        self.bind(self.name(arg), Bind::Opaque);
                    }
                }
                "function_declaration"
                | "generator_function_declaration"
                | "class_declaration"
                | "function_expression"
                | "function"
                | "class"
                | "generator_function" => {
                    if let Some(name) = field(n, "name") {
                        let id = self.name(name);
                        if is_function(n) {
                            self.funcs.entry(id.clone()).or_default().push(n);
                        }
                        self.bind(id, Bind::Opaque);
                    }
                }
                "formal_parameters" => {
                    for p in named_children(n) {
                        match p.kind() {
                            "required_parameter" | "optional_parameter" => {
                                let pat = field(p, "pattern").or_else(|| field(p, "name"));
                                if let Some(pat) = pat {
                                    self.bind_opaque(pat);
                                    if pat.kind() == "identifier"
                                        && let Some(v) = field(p, "value")
                                    {
                                        self.bind(self.name(pat), Bind::Default(v));
                                    }
                                }
                            }
                            "assignment_pattern" => {
                                if let Some(l) = field(p, "left") {
                                    self.bind_opaque(l);
                                    if l.kind() == "identifier"
                                        && let Some(v) = field(p, "right")
                                    {
                                        self.bind(self.name(l), Bind::Default(v));
                                    }
                                }
                            }
                            _ => self.bind_opaque(p),
                        }
                    }
                }
                "arrow_function" => {
                    if let Some(p) = field(n, "parameter") {
                        self.bind_opaque(p);
                    }
                }
                "catch_clause" => {
                    if let Some(p) = field(n, "parameter") {
                        self.bind_opaque(p);
                    }
                }
                "for_in_statement" => {
                    if let Some(l) = field(n, "left") {
                        self.bind_opaque(l);
                    }
                }
                _ => {}
            }
        }
    }

    /// Every name a pattern binds, bound to nothing the audit follows.
    fn bind_opaque(&mut self, pat: Node<'a>) {
        let mut ids = Vec::new();
        visit(pat, |c, anc| {
            // Default values inside a pattern are expressions, not bindings.
            if anc.last().is_some_and(|p| {
                matches!(p.kind(), "assignment_pattern" | "object_assignment_pattern")
                    && field(*p, "right") == Some(c)
            }) {
                return false;
            }
            if matches!(
                c.kind(),
                "identifier" | "shorthand_property_identifier_pattern"
            ) {
                ids.push(c);
            }
            !matches!(c.kind(), "type_annotation" | "computed_property_name")
        });
        for id in ids {
            self.bind(self.name(id), Bind::Opaque);
        }
    }

    fn bind_pattern(&mut self, pat: Node<'a>, value: Option<Node<'a>>) {
        match pat.kind() {
            "identifier" => {
                let b = value.map_or(Bind::Opaque, Bind::Expr);
                self.bind_at(pat, b);
            }
            "object_pattern" => {
                let Some(v) = value else {
                    self.bind_opaque(pat);
                    return;
                };
                for p in named_children(pat) {
                    match p.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let k = self.name(p);
                            self.bind(k.clone(), Bind::Destructure(v, k));
                        }
                        "object_assignment_pattern" => {
                            if let Some(l) = field(p, "left") {
                                if l.kind() == "shorthand_property_identifier_pattern" {
                                    let k = self.name(l);
                                    self.bind(k.clone(), Bind::Destructure(v, k));
                                } else {
                                    self.bind_opaque(l);
                                }
                            }
                        }
                        "pair_pattern" => {
                            let key = field(p, "key").and_then(|k| self.key_name(k));
                            match (key, field(p, "value")) {
                                (Some(k), Some(target)) if target.kind() == "identifier" => {
                                    self.bind(self.name(target), Bind::Destructure(v, k));
                                }
                                (_, Some(target)) => self.bind_opaque(target),
                                _ => {}
                            }
                        }
                        _ => self.bind_opaque(p),
                    }
                }
            }
            _ => self.bind_opaque(pat),
        }
    }

    /// The name of a property key: `a`, `"a"`, `[Symbol.toPrimitive]`.
    fn key_name(&self, k: Node<'a>) -> Option<String> {
        match k.kind() {
            "property_identifier" | "identifier" | "private_property_identifier" => {
                Some(self.name(k))
            }
            "string" => self.spec(k),
            "number" => Some(self.text(k).to_string()),
            "computed_property_name" => {
                let e = k.named_child(0)?;
                self.fresh();
                if let Some(q) = self.qualify(e, 0)
                    && q.name.starts_with("Symbol.")
                {
                    return Some(format!("[{}]", q.name));
                }
                self.fold(e, 0).filter(|s| exact(s))
            }
            _ => None,
        }
    }
}
