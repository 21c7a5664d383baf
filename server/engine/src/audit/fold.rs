//! Name binding and constant folding, for any language: a file's bindings ([`Names`]), and
//! the questions asked of them ([`Fold`]) — what a name stands for (a qualified name, [`Q`])
//! and what string it holds — answered once per name, within a depth and a step budget, with
//! cycles of names cut short. Each language supplies how its nodes qualify and fold.

use super::text::UNKNOWN;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use tree_sitter::Node;

/// How deep name resolution and string folding follow a chain before giving up.
pub(crate) const MAX_DEPTH: u32 = 48;
/// Folded strings longer than this are given up on (a doubling loop cannot blow up).
pub(crate) const MAX_FOLD: usize = 8 << 10;
/// Resolution and folding steps per question asked (adversarial aliasing stays linear).
pub(crate) const BUDGET: u32 = 5_000;

/// A qualified name, and whether it names a module.
#[derive(Debug, Clone)]
pub(crate) struct Q {
    pub name: String,
    pub module: bool,
}

/// How a name is bound somewhere in the file (flow-insensitive: every binding counts).
#[derive(Debug, Clone)]
pub(crate) enum Bind<'a> {
    /// A module: `import a.b as c` (`c` → `a.b`), `import * as x from "m"`, `require("m")`.
    Module(String),
    /// A name from a module: `from m import x as y`, `import { x as y } from "m"` (`y` → `m.x`).
    From(String, String),
    /// `y = <expr>`, `(y := <expr>)`, `const y = <expr>`.
    Expr(Node<'a>),
    /// A parameter's default: followed to name a module, never taken as the value.
    Default(Node<'a>),
    /// `const { key: y } = <expr>` (TypeScript and JavaScript).
    Destructure(Node<'a>, String),
    /// `y += <expr>`.
    Aug(Node<'a>),
    /// Anything the audit does not follow (a def, a parameter, a loop variable, a local module).
    Opaque,
}

/// A remembered answer about a name.
#[derive(Debug, Clone)]
pub(crate) enum Memo<T> {
    /// Being computed: asking again means the names form a cycle.
    Pending,
    Done(Option<T>),
}

pub(crate) type MemoCache<T> = RefCell<HashMap<String, Memo<T>>>;

/// Every binding of a file, and what has been worked out about them.
pub(crate) struct Names<'a> {
    pub binds: HashMap<String, Vec<Bind<'a>>>,
    budget: Cell<u32>,
    /// Set when a question ran out of depth or budget (its answer is not remembered).
    cut: Cell<bool>,
    /// Names already resolved and folded (`Pending` while in progress: a cycle).
    resolved: MemoCache<Q>,
    folded: MemoCache<String>,
    /// Names in the order they are first bound.
    order: Vec<String>,
    /// For a name node that binds (`x` of `x = …`), which of the name's bindings it is.
    at: HashMap<usize, usize>,
    /// While folding binding `i` of a name, the name means its binding `i - 1`.
    shadow: RefCell<Vec<(String, usize)>>,
}

impl Default for Names<'_> {
    fn default() -> Self {
        Names {
            binds: HashMap::new(),
            budget: Cell::new(BUDGET),
            cut: Cell::new(false),
            resolved: RefCell::default(),
            folded: RefCell::default(),
            order: Vec::new(),
            at: HashMap::new(),
            shadow: RefCell::default(),
        }
    }
}

impl<'a> Names<'a> {
    pub fn bind(&mut self, name: String, b: Bind<'a>) {
        if !self.binds.contains_key(&name) {
            self.order.push(name.clone());
        }
        self.binds.entry(name).or_default().push(b);
    }

    /// [`Self::bind`], remembering which binding the name node `at` makes.
    pub fn bind_at(&mut self, at: Node<'a>, name: String, b: Bind<'a>) {
        let index = self.binds.get(&name).map_or(0, Vec::len);
        self.at.insert(at.id(), index);
        self.bind(name, b);
    }

    /// Which of its name's bindings the name node `n` makes, if it makes one.
    pub fn binding_of(&self, n: Node) -> Option<usize> {
        self.at.get(&n.id()).copied()
    }

    /// One more step of resolution or folding, if the budget allows.
    fn tick(&self) -> bool {
        let b = self.budget.get();
        if b == 0 {
            return false;
        }
        self.budget.set(b - 1);
        true
    }

    /// A full budget for the next question.
    pub fn fresh(&self) {
        self.budget.set(BUDGET);
    }

    /// One level deeper and one step more, if allowed; otherwise the question is cut short.
    pub fn step(&self, depth: u32) -> bool {
        if depth > MAX_DEPTH || !self.tick() {
            self.cut.set(true);
            return false;
        }
        true
    }

    /// Answers `compute` for `name` once: remembered unless the question was cut short (out
    /// of depth or budget, or through a cycle of names).
    fn memo<T: Clone>(
        &self,
        cache: &MemoCache<T>,
        name: &str,
        compute: impl FnOnce() -> Option<T>,
    ) -> Option<T> {
        match cache.borrow().get(name) {
            Some(Memo::Done(known)) => return known.clone(),
            Some(Memo::Pending) => {
                self.cut.set(true);
                return None;
            }
            None => {}
        }
        cache.borrow_mut().insert(name.to_string(), Memo::Pending);
        let outer = self.cut.replace(false);
        let value = compute();
        let was_cut = self.cut.get() || self.budget.get() == 0;
        if was_cut {
            cache.borrow_mut().remove(name);
        } else {
            cache
                .borrow_mut()
                .insert(name.to_string(), Memo::Done(value.clone()));
        }
        self.cut.set(outer || was_cut);
        value
    }
}

/// The questions a language's scanner answers about its file. A scanner supplies its
/// bindings and how its own nodes qualify and fold; the rest is the same for every language.
pub(crate) trait Fold<'a> {
    fn names(&self) -> &Names<'a>;
    /// The qualified name an expression stands for, when the scanner can tell.
    fn qualify_node(&self, n: Node<'a>, depth: u32) -> Option<Q>;
    /// The string an expression evaluates to (unknown parts [`UNKNOWN`]), when anything is
    /// known.
    fn fold_node(&self, n: Node<'a>, depth: u32) -> Option<String>;
    /// The qualified name `name`.
    fn q(&self, name: &str) -> Q;
    /// `name`, as a module.
    fn q_module(&self, name: &str) -> Q {
        Q {
            module: true,
            ..self.q(name)
        }
    }
    /// Member `key` of what `o` names.
    fn member(&self, o: &Q, key: &str) -> Q {
        self.q(&format!("{}.{key}", o.name))
    }
    /// What a name bound nowhere in the file stands for (a builtin, a global).
    fn unbound(&self, name: &str) -> Option<Q>;

    fn step(&self, depth: u32) -> bool {
        self.names().step(depth)
    }

    fn fresh(&self) {
        self.names().fresh()
    }

    /// Resolves every name bound in the file, in source order, a few times over: a long
    /// chain of aliases is then known wherever it is used, whatever the order of the file.
    fn warm(&self) {
        let names = self.names();
        for _ in 0..3 {
            let before = names.resolved.borrow().len();
            for n in &names.order {
                self.fresh();
                self.resolve(n, 0);
            }
            if names.resolved.borrow().len() == before {
                break;
            }
        }
    }

    /// [`Self::resolve_uncached`], remembered per name (a name bound in a cycle is unknown).
    fn resolve(&self, name: &str, depth: u32) -> Option<Q> {
        let names = self.names();
        names.memo(&names.resolved, name, || self.resolve_uncached(name, depth))
    }

    fn resolve_uncached(&self, name: &str, depth: u32) -> Option<Q> {
        let Some(bs) = self.names().binds.get(name) else {
            return self.unbound(name);
        };
        for b in bs {
            match b {
                Bind::Module(m) => return Some(self.q_module(m)),
                Bind::From(m, x) => return Some(self.q(&format!("{m}.{x}"))),
                Bind::Expr(e) | Bind::Default(e) => {
                    if let Some(q) = self.qualify_node(*e, depth + 1) {
                        return Some(q);
                    }
                }
                Bind::Destructure(e, k) => {
                    if let Some(q) = self.qualify_node(*e, depth + 1) {
                        return Some(self.member(&q, k));
                    }
                }
                Bind::Aug(_) | Bind::Opaque => {}
            }
        }
        None
    }

    fn fold_or_unknown(&self, n: Node<'a>, depth: u32) -> String {
        self.fold_node(n, depth)
            .unwrap_or_else(|| UNKNOWN.to_string())
    }

    /// The string the name `name` holds where it is used: the binding before the one being
    /// folded (`p = p + "/self"`), else its one value.
    fn fold_name(&self, name: &str, depth: u32) -> Option<String> {
        let shadowed = self
            .names()
            .shadow
            .borrow()
            .iter()
            .rev()
            .find(|(s, _)| s == name)
            .map(|(_, i)| *i);
        match shadowed {
            Some(i) => self.value_at(name, i, depth + 1),
            None => self.const_of(name, depth),
        }
    }

    /// The value binding `i` of `name` gives it, reading the bindings in order (`p = "/pr"`,
    /// `p += "oc"`, `p = p + "/self"`): what a string is at the point it is built.
    fn value_at(&self, name: &str, i: usize, depth: u32) -> Option<String> {
        if !self.step(depth) {
            return None;
        }
        let names = self.names();
        let b = names.binds.get(name)?.get(i)?.clone();
        let v = match b {
            Bind::Expr(e) => {
                let Some(before) = i.checked_sub(1) else {
                    return self.fold_node(e, depth + 1);
                };
                names.shadow.borrow_mut().push((name.to_string(), before));
                let v = self.fold_node(e, depth + 1);
                names.shadow.borrow_mut().pop();
                v
            }
            Bind::Aug(e) => {
                let mut v = self.value_at(name, i.checked_sub(1)?, depth + 1)?;
                v.push_str(&self.fold_or_unknown(e, depth + 1));
                Some(v)
            }
            _ => None,
        };
        v.filter(|v| v.len() <= MAX_FOLD)
    }

    /// [`Self::const_of_uncached`], remembered per name.
    fn const_of(&self, name: &str, depth: u32) -> Option<String> {
        let names = self.names();
        names.memo(&names.folded, name, || self.const_of_uncached(name, depth))
    }

    /// The value of a name bound once to a foldable expression (plus `+=` pieces).
    fn const_of_uncached(&self, name: &str, depth: u32) -> Option<String> {
        let mut value: Option<String> = None;
        for b in self.names().binds.get(name)? {
            match b {
                Bind::Expr(e) => {
                    if value.is_some() {
                        return None;
                    }
                    value = Some(self.fold_node(*e, depth + 1)?);
                }
                Bind::Aug(e) => {
                    let v = value.as_mut()?;
                    v.push_str(&self.fold_or_unknown(*e, depth + 1));
                    if v.len() > MAX_FOLD {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        value
    }
}

/// An integer literal (`1_000`, `0x1F`, `0o17`, `0b101`).
pub(crate) fn int_literal(t: &str) -> Option<i64> {
    let t = t.replace('_', "").to_ascii_lowercase();
    if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = t.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = t.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else {
        t.parse().ok()
    }
}

/// `op v` for the integer operators folding follows (`-`, `+`).
pub(crate) fn int_unary(op: Option<&str>, v: i64) -> Option<i64> {
    match op {
        Some("-") => v.checked_neg(),
        Some("+") => Some(v),
        _ => None,
    }
}

/// `l op r` for the integer operators folding follows (`+`, `-`, `*`), without overflow.
pub(crate) fn int_binary(op: Option<&str>, l: i64, r: i64) -> Option<i64> {
    match op {
        Some("+") => l.checked_add(r),
        Some("-") => l.checked_sub(r),
        Some("*") => l.checked_mul(r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{node_text, visit};
    use pact_core::model::TestLanguage;

    /// A scanner for a sliver of Python: names, attributes, string literals and `+`.
    struct Mini<'a> {
        src: &'a str,
        names: Names<'a>,
    }

    impl<'a> Fold<'a> for Mini<'a> {
        fn names(&self) -> &Names<'a> {
            &self.names
        }

        fn qualify_node(&self, n: Node<'a>, depth: u32) -> Option<Q> {
            if !self.step(depth) {
                return None;
            }
            match n.kind() {
                "identifier" => self.resolve(node_text(n, self.src), depth),
                "attribute" => {
                    let o = self.qualify_node(n.child_by_field_name("object")?, depth + 1)?;
                    let a = node_text(n.child_by_field_name("attribute")?, self.src);
                    Some(self.member(&o, a))
                }
                _ => None,
            }
        }

        fn fold_node(&self, n: Node<'a>, depth: u32) -> Option<String> {
            if !self.step(depth) {
                return None;
            }
            match n.kind() {
                "string" => Some(node_text(n, self.src).trim_matches('"').to_string()),
                "identifier" => self.fold_name(node_text(n, self.src), depth),
                "binary_operator" => {
                    let l = self.fold_or_unknown(n.child_by_field_name("left")?, depth + 1);
                    let r = self.fold_or_unknown(n.child_by_field_name("right")?, depth + 1);
                    Some(l + &r)
                }
                _ => None,
            }
        }

        fn q(&self, name: &str) -> Q {
            Q {
                name: name.to_string(),
                module: false,
            }
        }

        fn unbound(&self, name: &str) -> Option<Q> {
            (name == "open").then(|| self.q("builtins.open"))
        }
    }

    /// Reads `src`'s assignments (`=`, `+=`) and `import m as x`, and hands the scanner with
    /// the name nodes that bind.
    fn with<R>(src: &str, f: impl FnOnce(&Mini, &[Node]) -> R) -> R {
        let tree = pact_core::testcode::parse(TestLanguage::Python, src).unwrap();
        let mut mini = Mini {
            src,
            names: Names::default(),
        };
        let mut nodes = Vec::new();
        visit(tree.root_node(), |n, _| {
            nodes.push(n);
            true
        });
        let mut at = Vec::new();
        for n in nodes {
            let (Some(l), Some(r)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) else {
                if n.kind() == "aliased_import"
                    && let (Some(m), Some(a)) = (
                        n.child_by_field_name("name"),
                        n.child_by_field_name("alias"),
                    )
                {
                    let module = Bind::Module(node_text(m, src).to_string());
                    mini.names.bind(node_text(a, src).to_string(), module);
                }
                continue;
            };
            let b = match n.kind() {
                "assignment" => Bind::Expr(r),
                "augmented_assignment" => Bind::Aug(r),
                _ => continue,
            };
            mini.names.bind_at(l, node_text(l, src).to_string(), b);
            at.push(l);
        }
        mini.warm();
        f(&mini, &at)
    }

    #[test]
    fn a_name_bound_once_folds_to_its_value_with_its_additions() {
        with("a = \"/pr\"\na += \"oc\"\nb = a + \"/self\"\n", |m, _| {
            m.fresh();
            assert_eq!(m.const_of("b", 0).as_deref(), Some("/proc/self"));
        });
    }

    #[test]
    fn a_rebound_name_is_read_binding_by_binding() {
        with("p = \"/pr\"\np = p + \"oc\"\np = 1\n", |m, at| {
            m.fresh();
            assert_eq!(m.const_of("p", 0), None, "bound three times: no one value");
            let i = m.names().binding_of(at[1]).unwrap();
            assert_eq!(i, 1);
            assert_eq!(m.value_at("p", i, 0).as_deref(), Some("/proc"));
        });
    }

    #[test]
    fn names_resolve_through_aliases_and_cycles_are_unknown() {
        with(
            "import os as o\nx = o\ny = x.system\nc = d\nd = c\nf = open\n",
            |m, _| {
                m.fresh();
                let y = m.resolve("y", 0).unwrap();
                assert_eq!(y.name, "os.system");
                assert!(m.resolve("x", 0).unwrap().module);
                assert!(m.resolve("c", 0).is_none());
                assert_eq!(m.resolve("f", 0).unwrap().name, "builtins.open");
            },
        );
    }

    #[test]
    fn an_exhausted_budget_cuts_the_question_short_and_is_not_remembered() {
        with("a = \"x\"\n", |m, _| {
            m.names().budget.set(0);
            assert_eq!(m.const_of("a", 0), None);
            m.fresh();
            assert_eq!(m.const_of("a", 0).as_deref(), Some("x"));
            assert!(!m.step(MAX_DEPTH + 1), "too deep");
        });
    }

    #[test]
    fn integers_fold_in_every_base_without_overflow() {
        assert_eq!(int_literal("1_000"), Some(1000));
        assert_eq!(int_literal("0x1F"), Some(31));
        assert_eq!(int_literal("0o17"), Some(15));
        assert_eq!(int_literal("0b101"), Some(5));
        assert_eq!(int_unary(Some("-"), 3), Some(-3));
        assert_eq!(int_unary(Some("~"), 3), None);
        assert_eq!(int_binary(Some("*"), 6, 7), Some(42));
        assert_eq!(int_binary(Some("*"), i64::MAX, 2), None);
        assert_eq!(int_binary(Some("/"), 6, 3), None);
    }
}
