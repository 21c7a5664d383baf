//! Equality that ignores the other operand: `valueOf`, `equals` and friends defined to be
//! constant, in a class, an object literal or by assignment.

use super::*;

impl<'a> Js<'a> {
    /// `key: value` where `key` is a comparison method: judge the function `value` is.
    pub(super) fn judge_value(&mut self, at: Node<'a>, key: &str, value: Node<'a>) {
        if !is_eq_method(key) {
            return;
        }
        let v = unwrap(value);
        if is_function(v) {
            self.judge(at, key, v);
        } else if v.kind() == "identifier" {
            let id = self.name(v);
            let mut fns: Vec<Node<'a>> = self.funcs.get(&id).cloned().unwrap_or_default();
            for b in self.names.binds.get(&id).into_iter().flatten() {
                if let Bind::Expr(e) = b
                    && is_function(unwrap(*e))
                {
                    fns.push(unwrap(*e));
                }
            }
            for f in fns {
                self.judge(at, key, f);
            }
        }
    }

    pub(super) fn judge(&mut self, at: Node<'a>, key: &str, f: Node<'a>) {
        if let Some(why) = self.equality(key, f) {
            self.out.hit(at, EqualityGaming, Never, why);
        }
    }

    pub(super) fn equality(&self, key: &str, f: Node<'a>) -> Option<String> {
        if key == "asymmetricMatch" {
            return Some(
                "defines asymmetricMatch, which test matchers treat as a wildcard".to_string(),
            );
        }
        let binary = BINARY_EQ.contains(&key);
        if !binary && !UNARY_EQ.contains(&key) {
            return None;
        }
        let body = field(f, "body")?;
        let returns: Vec<Option<Node<'a>>> = if body.kind() != "statement_block" {
            vec![Some(body)]
        } else {
            let mut out = Vec::new();
            visit(body, |c, _| {
                if c != body
                    && (is_function(c) || matches!(c.kind(), "class" | "class_declaration"))
                {
                    return false;
                }
                if c.kind() == "return_statement" {
                    out.push(c.named_child(0));
                    return false;
                }
                true
            });
            out
        };
        if returns.is_empty() {
            return None;
        }
        if returns.iter().all(|r| r.is_none_or(|r| self.constant(r))) {
            let shown = returns
                .iter()
                .find_map(|r| *r)
                .map(|r| self.text(r))
                .unwrap_or("undefined");
            return Some(format!(
                "defines {key} to always return a constant ({shown}), whatever it is compared with"
            ));
        }
        if !binary {
            return None;
        }
        let other = self.first_param(f);
        let Some(other) = other else {
            return Some(format!("defines {key} without an operand to compare with"));
        };
        let mut refs = Vec::new();
        visit(body, |c, _| {
            if c.kind() == "identifier" && self.name(c) == other && self.is_reference(c) {
                refs.push(c);
            }
            true
        });
        if refs.is_empty() {
            return Some(format!(
                "defines {key} so that its result does not depend on the other operand"
            ));
        }
        if refs.iter().all(|r| self.type_only(*r)) {
            return Some(format!(
                "defines {key} so that it looks only at the other operand's type, not its value"
            ));
        }
        None
    }

    pub(super) fn first_param(&self, f: Node<'a>) -> Option<String> {
        if let Some(p) = field(f, "parameter") {
            return Some(self.name(p));
        }
        let params = field(f, "parameters")?;
        let first = named_children(params).into_iter().next()?;
        let id = match first.kind() {
            "identifier" => Some(first),
            "required_parameter" | "optional_parameter" => {
                field(first, "pattern").filter(|p| p.kind() == "identifier")
            }
            "assignment_pattern" => field(first, "left"),
            "rest_pattern" => first.named_child(0),
            _ => None,
        }?;
        Some(self.name(id))
    }

    pub(super) fn type_only(&self, r: Node<'a>) -> bool {
        let Some(p) = r.parent() else { return false };
        match p.kind() {
            "unary_expression" => field(p, "operator").is_some_and(|o| self.text(o) == "typeof"),
            "binary_expression" => {
                let op = field(p, "operator").map(|o| self.text(o)).unwrap_or("");
                let other = if field(p, "left") == Some(r) {
                    field(p, "right")
                } else {
                    field(p, "left")
                };
                op == "instanceof"
                    || (matches!(op, "==" | "===" | "!=" | "!==")
                        && other.is_some_and(|o| {
                            matches!(o.kind(), "null" | "undefined")
                                || (o.kind() == "identifier" && self.text(o) == "undefined")
                        }))
            }
            "member_expression" => {
                field(p, "property").is_some_and(|x| self.text(x) == "constructor")
            }
            _ => false,
        }
    }

    pub(super) fn constant(&self, n: Node<'a>) -> bool {
        let n = unwrap(n);
        match n.kind() {
            "number" | "string" | "true" | "false" | "null" | "undefined" => true,
            "template_string" => !named_children(n)
                .iter()
                .any(|c| c.kind() == "template_substitution"),
            "identifier" => matches!(self.text(n), "undefined" | "NaN" | "Infinity"),
            "unary_expression" => {
                field(n, "operator").is_some_and(|o| self.text(o) == "void")
                    || field(n, "argument").is_some_and(|a| self.constant(a))
            }
            "binary_expression" => {
                let (Some(l), Some(r)) = (field(n, "left"), field(n, "right")) else {
                    return false;
                };
                let op = field(n, "operator").map(|o| self.text(o)).unwrap_or("");
                let lc = self.constant(l);
                (lc && self.constant(r))
                    || (lc && op == "||" && self.truthy(l))
                    || (lc && op == "&&" && !self.truthy(l))
                    || (matches!(op, "==" | "===" | "!=" | "!==" | "<=" | ">=")
                        && self.text(l) == self.text(r))
            }
            _ => false,
        }
    }

    pub(super) fn truthy(&self, n: Node<'a>) -> bool {
        let n = unwrap(n);
        match n.kind() {
            "true" => true,
            "number" => self.text(n).chars().any(|c| c.is_ascii_digit() && c != '0'),
            "string" => self.text(n).len() > 2,
            _ => false,
        }
    }
}

pub(super) fn is_eq_method(key: &str) -> bool {
    key == "asymmetricMatch" || UNARY_EQ.contains(&key) || BINARY_EQ.contains(&key)
}
