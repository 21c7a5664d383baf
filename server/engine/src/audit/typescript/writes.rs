//! TypeScript and JavaScript code that changes the process: assignments and deletions that
//! patch modules, globals and built-in objects, and reads and writes of `process.env`.

use super::*;

impl<'a> Js<'a> {
    pub(super) fn assignment(&mut self, n: Node<'a>) {
        let (Some(left), right) = (field(n, "left"), field(n, "right")) else {
            return;
        };
        let aug = n.kind() == "augmented_assignment_expression";
        self.write_target(n, left, if aug { None } else { right }, false);
    }

    pub(super) fn write_target(
        &mut self,
        at: Node<'a>,
        t: Node<'a>,
        value: Option<Node<'a>>,
        delete: bool,
    ) {
        let t = unwrap(t);
        let (obj, key) = match t.kind() {
            "member_expression" => (
                field(t, "object"),
                field(t, "property").map(|p| self.name(p)),
            ),
            "subscript_expression" => (
                field(t, "object"),
                field(t, "index").and_then(|i| self.key_expr(i)),
            ),
            _ => return,
        };
        let Some(obj) = obj else { return };
        if let (Some(k), Some(v)) = (&key, value) {
            self.judge_value(at, k, v);
        }
        self.fresh();
        let Some(oq) = self.qualify(obj, 0) else {
            return;
        };
        let shown = key.clone().unwrap_or_else(|| "[…]".into());
        let how = if delete { "delete" } else { "=" };
        if oq.name == "globalThis" {
            match key {
                Some(k) => self.out.hit(
                    at,
                    Patching,
                    Never,
                    format!("writes a global (globalThis.{k} {how} …)"),
                ),
                None => self.out.hit(
                    at,
                    DynamicCode,
                    Never,
                    "writes a global by computed name (globalThis[…])",
                ),
            }
        } else if oq.name == "process.env" || oq.name.starts_with("process.env.") {
            // The environment is judged in `env`.
        } else if oq.name == "cjs.module" || oq.name.starts_with("cjs.module.exports") {
            // CommonJS exports.
        } else if BUILTIN_OBJECTS.contains(&oq.name.split('.').next().unwrap_or("")) {
            self.out.hit(
                at,
                Patching,
                Never,
                format!(
                    "patches the built-in {} ({}.{shown} {how} …)",
                    oq.name, oq.name
                ),
            );
        } else if oq.module {
            self.out.hit(
                at,
                Patching,
                Never,
                format!("patches module {} ({}.{shown} {how} …)", oq.name, oq.name),
            );
        }
    }

    pub(super) fn patch_target(&mut self, at: Node<'a>, target: Node<'a>, how: &str) {
        self.fresh();
        let Some(q) = self.qualify(target, 0) else {
            return;
        };
        let root = q.name.split('.').next().unwrap_or("");
        if q.name == "globalThis" {
            self.out.hit(
                at,
                Patching,
                Never,
                format!("writes globals ({how}(globalThis, …))"),
            );
        } else if BUILTIN_OBJECTS.contains(&root) && q.name != "process.env" {
            self.out.hit(
                at,
                Patching,
                Never,
                format!("patches the built-in {} ({how})", q.name),
            );
        } else if q.module {
            self.out.hit(
                at,
                Patching,
                Never,
                format!("patches module {} ({how})", q.name),
            );
        }
    }

    // ── the environment ───────────────────────────────────────────────────────────────────

    pub(super) fn env(&mut self, n: Node<'a>) {
        let mut at = n;
        while let Some(p) = at.parent().filter(|p| {
            matches!(
                p.kind(),
                "parenthesized_expression"
                    | "non_null_expression"
                    | "as_expression"
                    | "satisfies_expression"
            )
        }) {
            at = p;
        }
        let Some(p) = at.parent() else { return };
        let is = |f: &str| field(p, f) == Some(at);
        match p.kind() {
            "member_expression" if is("object") => {
                let prop = field(p, "property")
                    .map(|x| self.name(x))
                    .unwrap_or_default();
                let called = p
                    .parent()
                    .filter(|c| c.kind() == "call_expression" && field(*c, "function") == Some(p));
                if let Some(call) = called {
                    match prop.as_str() {
                        "hasOwnProperty" | "propertyIsEnumerable" => {
                            let key = self.args(call).first().copied();
                            self.env_key(n, key.map(Key::Node));
                        }
                        _ => self.env_probe(n, &format!("process.env.{prop}")),
                    }
                } else if env_written(p) {
                    self.env_write(n, &prop);
                } else {
                    self.env_key(n, Some(Key::Name(prop)));
                }
            }
            "subscript_expression" if is("object") => {
                if env_written(p) {
                    self.env_write(n, "[…]");
                } else {
                    self.env_key(n, field(p, "index").map(Key::Node));
                }
            }
            "binary_expression"
                if is("right") && field(p, "operator").is_some_and(|o| self.text(o) == "in") =>
            {
                self.env_key(n, field(p, "left").map(Key::Node));
            }
            "variable_declarator" if is("value") => match field(p, "name") {
                Some(name) if name.kind() == "identifier" => {}
                Some(name) if name.kind() == "object_pattern" => {
                    for part in named_children(name) {
                        match part.kind() {
                            "shorthand_property_identifier_pattern" => {
                                self.env_key(n, Some(Key::Name(self.name(part))));
                            }
                            "object_assignment_pattern" => {
                                let k = field(part, "left").map(|l| self.name(l));
                                self.env_key(n, k.map(Key::Name));
                            }
                            "pair_pattern" => {
                                let k = field(part, "key").and_then(|k| self.key_name(k));
                                self.env_key(n, k.map(Key::Name));
                            }
                            _ => self.env_probe(n, "…process.env"),
                        }
                    }
                }
                _ => self.env_probe(n, "process.env"),
            },
            "assignment_expression"
                if is("right") && field(p, "left").is_some_and(|l| l.kind() == "identifier") => {}
            _ => self.env_probe(n, "process.env"),
        }
    }

    pub(super) fn env_write(&mut self, n: Node<'a>, key: &str) {
        self.out.hit(
            n,
            Patching,
            Never,
            format!("changes the process environment (process.env.{key} = …)"),
        );
    }

    pub(super) fn env_probe(&mut self, n: Node<'a>, shown: &str) {
        self.out.hit(
            n,
            TestDetection,
            Never,
            format!("reads the whole environment ({shown}), which tells a test run from real use"),
        );
    }

    pub(super) fn env_key(&mut self, n: Node<'a>, key: Option<Key<'a>>) {
        let k = match key {
            Some(Key::Name(k)) => Some(k),
            Some(Key::Node(k)) => {
                self.fresh();
                self.fold(k, 0).filter(|k| exact(k))
            }
            None => None,
        };
        match k {
            Some(k) if text::is_marker_env(&k) => self.out.hit(
                n,
                TestDetection,
                Never,
                format!("reads the test-run marker {k} from the environment"),
            ),
            Some(_) => {}
            None => self.out.hit(
                n,
                TestDetection,
                Never,
                "reads environment variables by computed name (process.env[…])",
            ),
        }
    }
}

/// A key of `process.env`: a property name or an expression to fold.
pub(super) enum Key<'a> {
    Name(String),
    Node(Node<'a>),
}

/// Whether a member or subscript expression is assigned to or deleted.
pub(super) fn env_written(m: Node) -> bool {
    let Some(p) = m.parent() else { return false };
    match p.kind() {
        "assignment_expression" | "augmented_assignment_expression" => {
            p.child_by_field_name("left") == Some(m)
        }
        "unary_expression" => p
            .child_by_field_name("operator")
            .is_some_and(|o| o.kind() == "delete"),
        "update_expression" => true,
        _ => false,
    }
}
