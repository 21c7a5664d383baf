//! Python code that reads or changes the process: the environment, `sys.modules`, `sys.path`,
//! and assignments, deletions and raises that patch modules and builtins.

use super::*;

impl<'a> Py<'a> {
    pub(super) fn environ(&mut self, n: Node<'a>, shown: &str) {
        match self.use_of(n) {
            Use::Alias => {}
            Use::Method(m, call) => match m {
                "get" | "__getitem__" | "__contains__" => {
                    let key = self.args(call).0.first().copied();
                    self.env_key(n, shown, key);
                }
                "setdefault" | "pop" | "popitem" | "update" | "clear" | "__setitem__"
                | "__delitem__" => self.out.hit(
                    n,
                    Patching,
                    Never,
                    format!("changes the process environment ({shown}.{m})"),
                ),
                _ => self.env_probe(n, &format!("{shown}.{m}")),
            },
            Use::Index(key, write) => {
                if write {
                    self.out.hit(
                        n,
                        Patching,
                        Never,
                        format!("changes the process environment ({shown}[…] = …)"),
                    );
                } else {
                    self.env_key(n, shown, key);
                }
            }
            Use::In(left) => self.env_key(n, shown, Some(left)),
            Use::MethodRef(m) => self.env_probe(n, &format!("{shown}.{m}")),
            Use::Other => self.env_probe(n, shown),
        }
    }

    pub(super) fn env_probe(&mut self, n: Node<'a>, shown: &str) {
        self.out.hit(
            n,
            TestDetection,
            Never,
            format!("reads the whole environment ({shown}), which tells a test run from real use"),
        );
    }

    pub(super) fn env_key(&mut self, n: Node<'a>, shown: &str, key: Option<Node<'a>>) {
        self.fresh();
        match key.and_then(|k| self.fold(k, 0)).filter(|k| exact(k)) {
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
                format!("reads environment variables by computed name ({shown})"),
            ),
        }
    }

    pub(super) fn sys_modules(&mut self, n: Node<'a>) {
        match self.use_of(n) {
            Use::Alias => {}
            Use::Method(m, call) => match m {
                "get" | "__getitem__" | "__contains__" => {
                    let key = self.args(call).0.first().copied();
                    self.module_key(n, key);
                }
                "pop" | "popitem" | "update" | "setdefault" | "clear" | "__setitem__"
                | "__delitem__" => self.out.hit(
                    n,
                    Patching,
                    Never,
                    format!("rewrites loaded modules (sys.modules.{m})"),
                ),
                _ => self.modules_probe(n, &format!("sys.modules.{m}")),
            },
            Use::Index(key, write) => {
                if write {
                    self.fresh();
                    let k = key
                        .and_then(|k| self.fold(k, 0))
                        .filter(|k| exact(k))
                        .map(|k| format!("'{k}'"))
                        .unwrap_or_else(|| "…".into());
                    self.out.hit(
                        n,
                        Patching,
                        Never,
                        format!("rewrites loaded modules (sys.modules[{k}] = …)"),
                    );
                } else {
                    self.module_key(n, key);
                }
            }
            Use::In(left) => self.module_key(n, Some(left)),
            Use::MethodRef(m) => self.modules_probe(n, &format!("sys.modules.{m}")),
            Use::Other => self.modules_probe(n, "sys.modules"),
        }
    }

    pub(super) fn modules_probe(&mut self, n: Node<'a>, shown: &str) {
        self.out.hit(
            n,
            TestDetection,
            Never,
            format!("inspects loaded modules ({shown}), which tells a test run from real use"),
        );
    }

    pub(super) fn module_key(&mut self, n: Node<'a>, key: Option<Node<'a>>) {
        if key.is_some_and(|k| k.kind() == "identifier" && self.text(k) == "__name__") {
            return;
        }
        self.fresh();
        match key.and_then(|k| self.fold(k, 0)).filter(|k| exact(k)) {
            Some(k) if text::is_test_module(&k) => self.out.hit(
                n,
                TestDetection,
                Never,
                format!("looks for the test framework among loaded modules (sys.modules['{k}'])"),
            ),
            Some(_) => {}
            None => self.out.hit(
                n,
                TestDetection,
                Never,
                "inspects loaded modules by computed name (sys.modules[…])",
            ),
        }
    }

    pub(super) fn sys_path(&mut self, n: Node<'a>) {
        let changes = match self.use_of(n) {
            Use::Method(m, _) => matches!(
                m,
                "append"
                    | "insert"
                    | "extend"
                    | "remove"
                    | "pop"
                    | "clear"
                    | "__setitem__"
                    | "__iadd__"
                    | "reverse"
                    | "sort"
            )
            .then(|| format!("sys.path.{m}")),
            Use::Index(_, true) => Some("sys.path[…] = …".into()),
            _ => None,
        };
        if let Some(how) = changes {
            self.out.hit(
                n,
                DynamicCode,
                Never,
                format!("changes the import path ({how})"),
            );
        }
    }

    /// What the code around `n` does with the value `n` stands for.
    pub(super) fn use_of(&self, n: Node<'a>) -> Use<'a> {
        let Some(p) = n.parent() else {
            return Use::Other;
        };
        match p.kind() {
            "attribute" if field(p, "object") == Some(n) => {
                let m = field(p, "attribute").map(|a| self.text(a)).unwrap_or("");
                match p.parent() {
                    Some(c) if c.kind() == "call" && field(c, "function") == Some(p) => {
                        Use::Method(m, c)
                    }
                    _ => Use::MethodRef(m),
                }
            }
            "subscript" if field(p, "value") == Some(n) => {
                Use::Index(field(p, "subscript"), is_write_target(p))
            }
            "comparison_operator" => {
                let op = n.prev_sibling().map(|o| o.kind()).unwrap_or("");
                match n.prev_named_sibling() {
                    Some(left) if matches!(op, "in" | "not in") => Use::In(left),
                    _ => Use::Other,
                }
            }
            "assignment" if field(p, "right") == Some(n) => {
                if field(p, "left").is_some_and(|l| l.kind() == "identifier") {
                    Use::Alias
                } else {
                    Use::Other
                }
            }
            "named_expression" | "default_parameter" | "typed_default_parameter"
                if field(p, "value") == Some(n) =>
            {
                Use::Alias
            }
            "parenthesized_expression" => self.use_of(p),
            _ => Use::Other,
        }
    }

    // ── assignments ───────────────────────────────────────────────────────────────────────

    pub(super) fn assignment(&mut self, n: Node<'a>) {
        let Some(left) = field(n, "left") else { return };
        let mut value = field(n, "right");
        while let Some(r) = value.filter(|r| r.kind() == "assignment") {
            value = field(r, "right");
        }
        let aug = n.kind() == "augmented_assignment";
        self.target(n, left, if aug { None } else { value }, aug);
    }

    pub(super) fn target(&mut self, at: Node<'a>, t: Node<'a>, value: Option<Node<'a>>, aug: bool) {
        match t.kind() {
            "pattern_list" | "tuple_pattern" | "list_pattern" | "expression_list" => {
                for c in named_children(t) {
                    self.target(at, c, None, aug);
                }
            }
            "identifier" => {
                let name = self.text(t);
                if !aug {
                    self.dunder_value(at, name, value);
                }
                if PYTEST_NAMES.contains(&name) {
                    self.out.hit(
                        at,
                        TestFramework,
                        Never,
                        format!("configures pytest ({name} = …)"),
                    );
                }
            }
            "attribute" => {
                let (Some(obj), Some(attr)) = (field(t, "object"), field(t, "attribute")) else {
                    return;
                };
                let attr = self.text(attr);
                if !aug {
                    self.dunder_value(at, attr, value);
                }
                self.fresh();
                if let Some(oq) = self.qualify(obj, 0).filter(|q| q.module) {
                    self.module_write(at, &oq.name, attr, "=");
                }
            }
            "subscript" => {
                let Some(v) = field(t, "value") else { return };
                if self.is_globals_call(v) {
                    self.out.hit(
                        at,
                        DynamicCode,
                        Never,
                        "writes module globals by name (globals()[…] = …)",
                    );
                }
                self.fresh();
                if let Some(vq) = self.qualify(v, 0) {
                    if let Some(m) = vq.name.strip_suffix(".__dict__")
                        && q(m).module
                    {
                        self.out.hit(
                            at,
                            Patching,
                            Never,
                            format!("patches module {m} ({m}.__dict__[…] = …)"),
                        );
                    } else if vq.name == "builtins" {
                        self.out.hit(
                            at,
                            Patching,
                            Never,
                            "patches Python builtins (__builtins__[…] = …)",
                        );
                    }
                }
                self.fresh();
                if let Some(key) = field(t, "subscript")
                    .and_then(|k| self.fold(k, 0))
                    .filter(|k| exact(k))
                    && !aug
                {
                    self.dunder_value(at, &key, value);
                }
            }
            _ => {}
        }
    }

    pub(super) fn module_write(&mut self, at: Node<'a>, m: &str, attr: &str, how: &str) {
        let (class, reason) = match (m, attr) {
            ("builtins", _) => (
                Patching,
                format!("patches Python builtins (builtins.{attr} {how} …)"),
            ),
            ("sys", "exitfunc") => (ExitHook, "registers exit hooks (sys.exitfunc)".to_string()),
            ("sys", "modules") => (
                Patching,
                format!("rewrites loaded modules (sys.modules {how} …)"),
            ),
            ("sys", "path") => (
                DynamicCode,
                format!("changes the import path (sys.path {how} …)"),
            ),
            _ => (Patching, format!("patches module {m} ({m}.{attr} {how} …)")),
        };
        self.out.hit(at, class, Never, reason);
    }

    pub(super) fn delete(&mut self, n: Node<'a>) {
        let mut targets = named_children(n);
        if targets.len() == 1 && targets[0].kind() == "expression_list" {
            targets = named_children(targets[0]);
        }
        for t in targets {
            if t.kind() == "attribute"
                && let (Some(obj), Some(attr)) = (field(t, "object"), field(t, "attribute"))
            {
                self.fresh();
                if let Some(oq) = self.qualify(obj, 0).filter(|q| q.module) {
                    let attr = self.text(attr);
                    self.module_write(n, &oq.name, attr, "deleted,");
                }
            }
        }
    }

    pub(super) fn raise(&mut self, n: Node<'a>) {
        let Some(e) = n.named_child(0) else { return };
        let callee = if e.kind() == "call" {
            field(e, "function")
        } else {
            Some(e)
        };
        self.fresh();
        if let Some(q) = callee.and_then(|c| self.qualify(c, 0))
            && matches!(
                q.name.as_str(),
                "builtins.SystemExit" | "builtins.KeyboardInterrupt"
            )
        {
            let short = &q.name["builtins.".len()..];
            self.out
                .hit(n, ExitHook, Never, format!("{EXITS} (raise {short})"));
        }
    }
}

/// What surrounds a use of the environment, `sys.modules` or `sys.path`.
pub(super) enum Use<'a> {
    /// `x = os.environ`: the uses of `x` are checked where they are.
    Alias,
    /// `os.environ.get(…)`: the method and the call.
    Method(&'a str, Node<'a>),
    /// `os.environ.get` without a call.
    MethodRef(&'a str),
    /// `os.environ[key]`, and whether it is written.
    Index(Option<Node<'a>>, bool),
    /// `key in os.environ`.
    In(Node<'a>),
    Other,
}

/// Whether `n` is assigned to or deleted.
pub(super) fn is_write_target(n: Node) -> bool {
    let Some(p) = n.parent() else { return false };
    match p.kind() {
        "assignment" | "augmented_assignment" => p.child_by_field_name("left") == Some(n),
        "delete_statement" => true,
        "expression_list" | "pattern_list" | "tuple_pattern" | "list_pattern" => is_write_target(p),
        _ => false,
    }
}
