//! The Python side of the audit: names are resolved through `import … as`, `from … import …
//! as`, assignments and a few run-time lookups (`__import__("os")`, `importlib.import_module`,
//! `getattr(mod, "name")`, `sys.modules["name"]`, `vars(mod)[…]`) to a qualified name such as
//! `os.system`, which is then checked against [`RULES`]; strings are folded (see [`Py::fold`]).
//!
//! This file reads a file's bindings and runs the scan. The rest is split by job: `rules`
//! (what may not be named), `expr` (what an expression names or evaluates to), `checks` (the
//! walk over the nodes), `writes` (the environment, `sys.modules`, `sys.path`, patching) and
//! `equality` (pytest hooks and constant comparison methods); binding and folding machinery
//! shared with TypeScript is in [`super::fold`].

use super::fold::{Bind, Fold, MAX_FOLD, Names, Q, int_binary, int_literal, int_unary};
use super::text::{self, UNKNOWN, exact};
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
    let mut py = Py {
        src,
        local,
        names: Names::default(),
        defs: HashMap::new(),
        stars: Vec::new(),
        out: Scan::default(),
    };
    let root = tree.root_node();
    py.collect(root);
    py.warm();
    visit(root, |n, _| {
        py.node(n);
        true
    });
    py.out
}

struct Py<'a> {
    src: &'a str,
    local: &'a HashSet<String>,
    names: Names<'a>,
    defs: HashMap<&'a str, Vec<Node<'a>>>,
    /// Modules imported with `from m import *`.
    stars: Vec<&'a str>,
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

fn unparen(mut n: Node) -> Node {
    while n.kind() == "parenthesized_expression" {
        match n.named_child(0) {
            Some(i) => n = i,
            None => break,
        }
    }
    n
}

impl<'a> Fold<'a> for Py<'a> {
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

    fn unbound(&self, name: &str) -> Option<Q> {
        match name {
            "__builtins__" => Some(q_module("builtins")),
            _ if BUILTINS.contains(&name) => Some(q(&format!("builtins.{name}"))),
            _ => self.stars.iter().find_map(|m| {
                let full = normalize(&format!("{m}.{name}"));
                match_rule(RULES, &full).map(|_| q(&full))
            }),
        }
    }
}

impl<'a> Py<'a> {
    fn text(&self, n: Node) -> &'a str {
        node_text(n, self.src)
    }

    /// [`Self::bind`], remembering which binding the name node `at` makes.
    fn bind_at(&mut self, at: Node<'a>, b: Bind<'a>) {
        let name = self.text(at).to_string();
        self.names.bind_at(at, name, b);
    }

    fn bind(&mut self, name: &str, b: Bind<'a>) {
        self.names.bind(name.to_string(), b);
    }

    fn is_local(&self, module: &str) -> bool {
        let root = module.split('.').next().unwrap_or(module);
        self.local.contains(root)
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
                    for c in named_children(n) {
                        match c.kind() {
                            "dotted_name" => {
                                let full = self.text(c);
                                let first = c.named_child(0).map(|f| self.text(f)).unwrap_or(full);
                                let b = if self.is_local(full) {
                                    Bind::Opaque
                                } else {
                                    Bind::Module(first.to_string())
                                };
                                self.bind(first, b);
                            }
                            "aliased_import" => {
                                if let (Some(name), Some(alias)) =
                                    (field(c, "name"), field(c, "alias"))
                                {
                                    let full = self.text(name);
                                    let b = if self.is_local(full) {
                                        Bind::Opaque
                                    } else {
                                        Bind::Module(full.to_string())
                                    };
                                    self.bind(self.text(alias), b);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "import_from_statement" => {
                    let module = field(n, "module_name")
                        .filter(|m| m.kind() == "dotted_name")
                        .map(|m| self.text(m))
                        .filter(|m| !self.is_local(m));
                    let mut c = n.walk();
                    let names: Vec<Node> = n.children_by_field_name("name", &mut c).collect();
                    for name in names {
                        let (orig, alias) = match name.kind() {
                            "aliased_import" => match (field(name, "name"), field(name, "alias")) {
                                (Some(o), Some(a)) => (self.text(o), self.text(a)),
                                _ => continue,
                            },
                            _ => (self.text(name), self.text(name)),
                        };
                        let b = match module {
                            Some(m) => Bind::From(m.to_string(), orig.to_string()),
                            None => Bind::Opaque,
                        };
                        self.bind(alias, b);
                    }
                    if let Some(m) = module
                        && named_children(n)
                            .iter()
                            .any(|c| c.kind() == "wildcard_import")
                    {
                        self.stars.push(m);
                    }
                }
                "assignment" => {
                    if let Some(left) = field(n, "left") {
                        let mut right = field(n, "right");
                        while let Some(r) = right.filter(|r| r.kind() == "assignment") {
                            right = field(r, "right");
                        }
                        self.bind_target(left, right);
                    }
                }
                "augmented_assignment" => {
                    if let Some(left) = field(n, "left").filter(|l| l.kind() == "identifier") {
                        let plus = field(n, "operator").is_some_and(|o| self.text(o) == "+=");
                        let b = match field(n, "right") {
                            Some(r) if plus => Bind::Aug(r),
                            _ => Bind::Opaque,
                        };
                        self.bind_at(left, b);
                    }
                }
                "named_expression" => {
                    if let (Some(name), Some(value)) = (field(n, "name"), field(n, "value")) {
                        self.bind_at(name, Bind::Expr(value));
                    }
                }
                "function_definition" => {
                    if let Some(name) = field(n, "name") {
                        let name = self.text(name);
                        self.bind(name, Bind::Opaque);
                        self.defs.entry(name).or_default().push(n);
                    }
                }
                "class_definition" => {
                    if let Some(name) = field(n, "name") {
                        self.bind(self.text(name), Bind::Opaque);
                    }
                }
                "parameters" | "lambda_parameters" => {
                    for p in named_children(n) {
                        match p.kind() {
                            "identifier" => self.bind(self.text(p), Bind::Opaque),
                            "default_parameter" | "typed_default_parameter" => {
                                if let Some(name) = field(p, "name") {
                                    let name = self.text(name);
                                    self.bind(name, Bind::Opaque);
                                    if let Some(v) = field(p, "value") {
                                        self.bind(name, Bind::Default(v));
                                    }
                                }
                            }
                            _ => self.bind_all_opaque(p),
                        }
                    }
                }
                "for_statement" | "for_in_clause" => {
                    if let Some(left) = field(n, "left") {
                        self.bind_all_opaque(left);
                    }
                }
                "as_pattern_target" => self.bind_all_opaque(n),
                "except_clause" => {
                    if let Some(alias) = field(n, "alias") {
                        self.bind_all_opaque(alias);
                    }
                }
                _ => {}
            }
        }
    }

    fn bind_all_opaque(&mut self, n: Node<'a>) {
        let mut ids = Vec::new();
        visit(n, |c, _| {
            if c.kind() == "identifier" {
                ids.push(c);
            }
            true
        });
        for id in ids {
            self.bind(self.text(id), Bind::Opaque);
        }
    }

    fn bind_target(&mut self, left: Node<'a>, right: Option<Node<'a>>) {
        match left.kind() {
            "identifier" => {
                let b = match right {
                    Some(r)
                        if !matches!(r.kind(), "expression_list" | "pattern_list" | "yield") =>
                    {
                        Bind::Expr(r)
                    }
                    _ => Bind::Opaque,
                };
                self.bind_at(left, b);
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" => {
                let targets = named_children(left);
                let values = right
                    .filter(|r| matches!(r.kind(), "expression_list" | "tuple" | "list"))
                    .map(named_children)
                    .filter(|v| v.len() == targets.len());
                for (i, t) in targets.iter().enumerate() {
                    self.bind_target(*t, values.as_ref().map(|v| v[i]));
                }
            }
            _ => {}
        }
    }
}
