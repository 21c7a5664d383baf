//! Python function definitions that game the tests: pytest hooks (`def pytest_…`), and
//! equality that ignores the other operand (`__eq__` and friends defined to be constant, by
//! `def`, by assignment or in a dict of methods).

use super::*;

impl<'a> Py<'a> {
    pub(super) fn function(&mut self, n: Node<'a>) {
        let Some(name) = field(n, "name").map(|x| self.text(x)) else {
            return;
        };
        if name.starts_with("pytest_") {
            self.out.hit(
                n,
                TestFramework,
                Never,
                format!("defines a pytest hook ({name})"),
            );
        }
        if let Some(why) = self.equality(name, n) {
            self.out.hit(n, EqualityGaming, Never, why);
        }
    }

    /// `name = value` where `name` is a comparison method: judge the function it binds.
    pub(super) fn dunder_value(&mut self, at: Node<'a>, name: &str, value: Option<Node<'a>>) {
        if !BINARY_DUNDERS.contains(&name) && !UNARY_DUNDERS.contains(&name) {
            return;
        }
        let Some(v) = value.map(unparen) else { return };
        let mut fns = Vec::new();
        match v.kind() {
            "lambda" | "function_definition" => fns.push(v),
            "identifier" => {
                let id = self.text(v);
                fns.extend(self.defs.get(id).into_iter().flatten().copied());
                for b in self.names.binds.get(id).into_iter().flatten() {
                    if let Bind::Expr(e) = b
                        && unparen(*e).kind() == "lambda"
                    {
                        fns.push(unparen(*e));
                    }
                }
            }
            _ => {}
        }
        for f in fns {
            if let Some(why) = self.equality(name, f) {
                self.out.hit(at, EqualityGaming, Never, why);
            }
        }
    }

    /// Why a comparison method `name` defined by `f` (a def or a lambda) games equality.
    pub(super) fn equality(&self, name: &str, f: Node<'a>) -> Option<String> {
        let binary = BINARY_DUNDERS.contains(&name);
        if !binary && !UNARY_DUNDERS.contains(&name) {
            return None;
        }
        let params = field(f, "parameters");
        let body = field(f, "body")?;
        let returns: Vec<Option<Node<'a>>> = if f.kind() == "lambda" {
            vec![Some(body)]
        } else {
            let mut out = Vec::new();
            let mut generator = false;
            visit(body, |c, _| match c.kind() {
                "function_definition" | "lambda" | "class_definition" => false,
                "yield" => {
                    generator = true;
                    false
                }
                "return_statement" => {
                    out.push(c.named_child(0));
                    false
                }
                _ => true,
            });
            if generator {
                return None;
            }
            out
        };
        if returns.is_empty() {
            // Never returns a value: `==` is always False (or raises), which games nothing.
            return None;
        }
        let deferring = |r: &Option<Node<'a>>| {
            r.is_some_and(|r| matches!(self.text(unparen(r)), "NotImplemented"))
        };
        if returns.iter().all(deferring) {
            // Always defers to the other operand's method: plain identity.
            return None;
        }
        if returns.iter().all(|r| r.is_none_or(|r| self.constant(r))) {
            let shown = returns
                .iter()
                .filter(|r| !deferring(r))
                .find_map(|r| *r)
                .map(|r| self.text(r))
                .unwrap_or("None");
            return Some(format!(
                "defines {name} to always return a constant ({shown}), whatever it is compared with"
            ));
        }
        if !binary {
            return None;
        }
        let names = params.map(|p| self.param_names(p)).unwrap_or_default();
        let other = names
            .iter()
            .filter(|(_, star)| !star)
            .nth(1)
            .or_else(|| names.iter().find(|(_, star)| *star))
            .map(|(n, _)| *n);
        let Some(other) = other else {
            return Some(format!("defines {name} without an operand to compare with"));
        };
        let mut refs = Vec::new();
        visit(body, |c, _| {
            if c.kind() == "identifier" && self.text(c) == other && self.is_reference(c) {
                refs.push(c);
            }
            true
        });
        if refs.is_empty() {
            return Some(format!(
                "defines {name} so that its result does not depend on the other operand"
            ));
        }
        if refs.iter().all(|r| self.type_only(*r)) {
            return Some(format!(
                "defines {name} so that it looks only at the other operand's type, not its value"
            ));
        }
        None
    }

    pub(super) fn param_names(&self, params: Node<'a>) -> Vec<(&'a str, bool)> {
        let mut out = Vec::new();
        for p in named_children(params) {
            match p.kind() {
                "identifier" => out.push((self.text(p), false)),
                "default_parameter" | "typed_default_parameter" => {
                    if let Some(n) = field(p, "name") {
                        out.push((self.text(n), false));
                    }
                }
                "typed_parameter" => {
                    if let Some(c) = p.named_child(0) {
                        match c.kind() {
                            "identifier" => out.push((self.text(c), false)),
                            "list_splat_pattern" => {
                                if let Some(i) = c.named_child(0) {
                                    out.push((self.text(i), true));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "list_splat_pattern" => {
                    if let Some(i) = p.named_child(0) {
                        out.push((self.text(i), true));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// A reference to the other operand that only asks for its type.
    pub(super) fn type_only(&self, r: Node<'a>) -> bool {
        let Some(p) = r.parent() else { return false };
        match p.kind() {
            "argument_list" => p.parent().is_some_and(|call| {
                field(call, "function").is_some_and(|f| {
                    matches!(
                        self.text(f),
                        "isinstance" | "issubclass" | "type" | "hasattr" | "callable" | "id"
                    )
                })
            }),
            "attribute" => field(p, "attribute").is_some_and(|a| self.text(a) == "__class__"),
            "comparison_operator" => {
                let ops: Vec<&str> = {
                    let mut c = p.walk();
                    p.children(&mut c)
                        .filter(|c| !c.is_named())
                        .map(|c| c.kind())
                        .collect()
                };
                ops.iter().all(|o| matches!(*o, "is" | "is not" | "not"))
                    && named_children(p).iter().any(|c| c.kind() == "none")
            }
            _ => false,
        }
    }

    /// An expression whose value does not depend on anything.
    pub(super) fn constant(&self, n: Node<'a>) -> bool {
        match n.kind() {
            "true" | "false" | "none" | "integer" | "float" | "ellipsis" => true,
            "string" => !named_children(n)
                .iter()
                .any(|c| c.kind() == "interpolation"),
            "concatenated_string" | "tuple" | "list" => {
                named_children(n).iter().all(|c| self.constant(*c))
            }
            "identifier" => matches!(
                self.text(n),
                "NotImplemented" | "Ellipsis" | "True" | "False" | "None"
            ),
            "parenthesized_expression" => n.named_child(0).is_some_and(|c| self.constant(c)),
            "not_operator" | "unary_operator" => {
                field(n, "argument").is_some_and(|c| self.constant(c))
            }
            "boolean_operator" => {
                let (Some(l), Some(r)) = (field(n, "left"), field(n, "right")) else {
                    return false;
                };
                let op = field(n, "operator").map(|o| self.text(o)).unwrap_or("");
                let lc = self.constant(l);
                (lc && self.constant(r))
                    || (lc && op == "or" && self.truthy(l))
                    || (lc && op == "and" && !self.truthy(l))
            }
            "comparison_operator" => {
                let operands = named_children(n);
                operands.len() == 2 && self.text(operands[0]) == self.text(operands[1])
            }
            "call" => {
                field(n, "function").is_some_and(|f| self.text(f) == "bool")
                    && self.args(n).0.iter().all(|a| self.constant(*a))
            }
            _ => false,
        }
    }

    pub(super) fn truthy(&self, n: Node<'a>) -> bool {
        let n = unparen(n);
        match n.kind() {
            "true" => true,
            "false" | "none" => false,
            "integer" | "float" => self
                .text(n)
                .trim_start_matches(['0', '.', '_'])
                .chars()
                .any(|c| c.is_ascii_digit() && c != '0'),
            "string" => !self.fold_string(n, 0).is_empty(),
            "not_operator" => field(n, "argument").is_some_and(|a| !self.truthy(a)),
            _ => false,
        }
    }
}
