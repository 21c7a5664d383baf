//! The walk over a Python file: each node is checked for the names, imports and calls the
//! rules forbid (or allow only with a declared side effect), and for file and path use.

use super::*;

impl<'a> Py<'a> {
    pub(super) fn node(&mut self, n: Node<'a>) {
        match n.kind() {
            "import_statement" => self.import(n),
            "import_from_statement" => self.import_from(n),
            "identifier" => self.identifier(n),
            "attribute" => {
                let attr = field(n, "attribute").map(|a| self.text(a)).unwrap_or("");
                self.attribute_name(n, attr);
                if !self.reference(n)
                    && self.maximal(n)
                    && let Some((_, known)) = UNMISTAKABLE.iter().find(|(a, _)| *a == attr)
                {
                    // Whatever the receiver turns out to be, nothing else has this name.
                    self.rules(n, known);
                }
            }
            "subscript" => {
                self.reference(n);
            }
            "call" => {
                self.call(n);
                self.reference(n);
            }
            "assignment" | "augmented_assignment" => self.assignment(n),
            "delete_statement" => self.delete(n),
            "function_definition" => self.function(n),
            "pair" => {
                if let (Some(k), Some(v)) = (field(n, "key"), field(n, "value")) {
                    self.fresh();
                    if let Some(key) = self.fold(k, 0).filter(|k| exact(k)) {
                        self.dunder_value(n, &key, Some(v));
                    }
                }
            }
            "raise_statement" => self.raise(n),
            _ => {}
        }
        if matches!(n.kind(), "identifier")
            && let Some(i) = self.names.binding_of(n)
        {
            self.fresh();
            if let Some(s) = self.value_at(self.text(n), i, 0) {
                self.out.strings.push((crate::audit::line(n), s));
            }
        }
        if matches!(
            n.kind(),
            "string" | "concatenated_string" | "binary_operator" | "call" | "subscript"
        ) && !n
            .parent()
            .is_some_and(|p| matches!(p.kind(), "concatenated_string" | "binary_operator"))
        {
            self.fresh();
            if let Some(s) = self.fold(n, 0) {
                self.out.strings.push((crate::audit::line(n), s));
            }
        }
    }

    /// Whether an identifier is read here (not a binding, an attribute name or a keyword).
    pub(super) fn is_reference(&self, n: Node<'a>) -> bool {
        let Some(p) = n.parent() else { return false };
        let is = |f: &str| field(p, f) == Some(n);
        match p.kind() {
            "attribute" => is("object"),
            "keyword_argument" => is("value"),
            "default_parameter" | "typed_default_parameter" => is("value"),
            "assignment" | "augmented_assignment" => !is("left"),
            "named_expression" => !is("name"),
            "for_statement" | "for_in_clause" => !is("left"),
            "except_clause" => !is("alias"),
            "function_definition"
            | "class_definition"
            | "parameters"
            | "lambda_parameters"
            | "typed_parameter"
            | "list_splat_pattern"
            | "dictionary_splat_pattern"
            | "dotted_name"
            | "aliased_import"
            | "import_from_statement"
            | "import_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "as_pattern_target"
            | "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "keyword_pattern" => false,
            _ => true,
        }
    }

    /// Whether `n` is the longest name of its chain: not the `os` of `os.system`, but the
    /// `sys.argv` of `sys.argv[0]` (an index that names nothing).
    pub(super) fn maximal(&self, n: Node<'a>) -> bool {
        match n.parent() {
            Some(p) if p.kind() == "attribute" => field(p, "object") != Some(n),
            Some(p) if p.kind() == "subscript" && field(p, "value") == Some(n) => {
                self.fresh();
                self.qualify(p, 0).is_none()
            }
            _ => true,
        }
    }

    pub(super) fn rules(&mut self, at: Node<'a>, name: &str) {
        let name = normalize(name);
        if let Some((r, shown)) = match_rule(RULES, &name) {
            let shown = shown
                .strip_prefix("builtins.")
                .unwrap_or(&shown)
                .to_string();
            self.out
                .hit(at, r.class, r.gate, format!("{} ({shown})", r.what));
        }
    }

    /// Checks what `n` names; whether the audit could tell.
    pub(super) fn reference(&mut self, n: Node<'a>) -> bool {
        self.fresh();
        let Some(q) = self.qualify(n, 0) else {
            return false;
        };
        match q.name.as_str() {
            "os.environ" | "os.environb" => self.environ(n, &q.name),
            "sys.modules" => self.sys_modules(n),
            "sys.path" => self.sys_path(n),
            _ => {}
        }
        if matches!(
            q.name.as_str(),
            "sys.path" | "os.getcwd" | "os.getcwdb" | "pathlib.Path.cwd"
        ) || q.name.starts_with("importlib.resources")
            || q.name.starts_with("pkgutil")
        {
            self.out.located(n);
        }
        if self.maximal(n) {
            self.rules(n, &q.name);
        }
        true
    }

    pub(super) fn identifier(&mut self, n: Node<'a>) {
        if !self.is_reference(n) {
            // Bindings can use look-alike letters too.
            self.lookalike(n);
            return;
        }
        self.lookalike(n);
        let name = self.text(n);
        match name {
            "__file__" | "__path__" | "__cached__" => self.out.located(n),
            "__loader__" | "__spec__" => {
                self.out.located(n);
                self.out.hit(
                    n,
                    DynamicCode,
                    Never,
                    format!(
                        "reaches its own module loader ({name}), which loads code and data by name"
                    ),
                );
            }
            "__builtins__" => self.out.hit(
                n,
                Patching,
                Never,
                "reaches into Python builtins (__builtins__)",
            ),
            _ => {}
        }
        self.reference(n);
    }

    pub(super) fn lookalike(&mut self, n: Node<'a>) {
        let name = self.text(n);
        if name.chars().any(text::folds_to_ascii) {
            self.out.hit(
                n,
                Unreadable,
                Never,
                format!(
                    "uses the look-alike name `{name}`, which Python reads as plain letters \
                     (it can hide a call); use ASCII names"
                ),
            );
        }
    }

    pub(super) fn attribute_name(&mut self, at: Node<'a>, attr: &str) {
        if let Some((_, class, what)) = ATTRS.iter().find(|(a, _, _)| *a == attr) {
            self.out.hit(at, *class, Never, format!("{what} ({attr})"));
        }
    }

    pub(super) fn import(&mut self, n: Node<'a>) {
        for c in named_children(n) {
            let full = match c.kind() {
                "dotted_name" => self.text(c),
                "aliased_import" => match field(c, "name") {
                    Some(name) => self.text(name),
                    None => continue,
                },
                _ => continue,
            };
            if !self.is_local(full) {
                self.rules(c, full);
            }
        }
    }

    pub(super) fn import_from(&mut self, n: Node<'a>) {
        let Some(m) = field(n, "module_name")
            .filter(|m| m.kind() == "dotted_name")
            .map(|m| self.text(m))
        else {
            return;
        };
        if self.is_local(m) {
            return;
        }
        let mut c = n.walk();
        let names: Vec<Node> = n.children_by_field_name("name", &mut c).collect();
        for name in names {
            let orig = match name.kind() {
                "aliased_import" => match field(name, "name") {
                    Some(o) => self.text(o),
                    None => continue,
                },
                _ => self.text(name),
            };
            self.rules(name, &format!("{m}.{orig}"));
        }
        if named_children(n)
            .iter()
            .any(|c| c.kind() == "wildcard_import")
        {
            let m = normalize(m);
            self.rules(n, &m);
            let sensitive = RULES
                .iter()
                .any(|r| r.pattern.starts_with(&format!("{m}.")) || r.pattern == m)
                || m == "os"
                || m == "sys";
            if sensitive {
                self.out.hit(
                    n,
                    DynamicCode,
                    Never,
                    format!("imports every name of {m} (a star import hides which calls it makes)"),
                );
            }
        }
    }

    // ── calls ─────────────────────────────────────────────────────────────────────────────

    pub(super) fn call(&mut self, n: Node<'a>) {
        let Some(f) = field(n, "function") else {
            return;
        };
        self.fresh();
        let q = self.qualify(f, 0);
        let name = q.as_ref().map(|q| q.name.as_str()).unwrap_or("");
        match name {
            "builtins.open" | "codecs.open" | "gzip.open" | "bz2.open" | "lzma.open"
            | "tokenize.open" | "os.fdopen" | "io.FileIO" => self.open_call(n, name, 1),
            "os.open" => {
                let flags = self.arg(n, 1, "flags").map(|f| self.text(f)).unwrap_or("");
                let write = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"]
                    .iter()
                    .any(|w| flags.contains(w))
                    || !flags.contains("O_RDONLY");
                self.file_op(n, "os.open", write, self.arg(n, 0, "path"));
            }
            "builtins.getattr" | "builtins.setattr" | "builtins.delattr" | "builtins.hasattr" => {
                let (pos, _) = self.args(n);
                let short = &name["builtins.".len()..];
                self.attr_call(
                    n,
                    short,
                    pos.first().copied(),
                    pos.get(1).copied(),
                    pos.get(2).copied(),
                );
            }
            "builtins.object.__getattribute__" | "builtins.type.__getattribute__" => {
                let (pos, _) = self.args(n);
                self.attr_call(
                    n,
                    "__getattribute__",
                    pos.first().copied(),
                    pos.get(1).copied(),
                    None,
                );
            }
            "builtins.object.__setattr__" | "builtins.type.__setattr__" => {
                let (pos, _) = self.args(n);
                self.attr_call(
                    n,
                    "__setattr__",
                    pos.first().copied(),
                    pos.get(1).copied(),
                    pos.get(2).copied(),
                );
            }
            "os.getenv" | "os.getenvb" => {
                let key = self.arg(n, 0, "key");
                self.env_key(n, name, key);
            }
            "logging.basicConfig" => {
                let (_, kw) = self.args(n);
                if kw.iter().any(|(k, _)| *k == "filename") {
                    self.out.hit(
                        n,
                        Class::Filesystem,
                        FileWrite,
                        "writes to the file system (logging.basicConfig(filename=…))",
                    );
                }
            }
            _ => {}
        }
        if f.kind() != "attribute" {
            return;
        }
        let (Some(recv), Some(m)) = (
            field(f, "object"),
            field(f, "attribute").map(|a| self.text(a)),
        ) else {
            return;
        };
        match m {
            "__getattribute__" | "__getattr__" | "__setattr__" | "__delattr__" => {
                let (pos, _) = self.args(n);
                self.attr_call(n, m, Some(recv), pos.first().copied(), pos.get(1).copied());
            }
            "update" | "setdefault" | "pop" | "popitem" | "clear" | "__setitem__"
            | "__delitem__"
                if self.is_globals_call(recv) =>
            {
                self.out.hit(
                    n,
                    DynamicCode,
                    Never,
                    format!("writes module globals by name (globals().{m})"),
                );
            }
            _ => {}
        }
        self.path_method(n, recv, m);
    }

    pub(super) fn is_globals_call(&self, n: Node<'a>) -> bool {
        let n = unparen(n);
        n.kind() == "call"
            && self.args(n).0.is_empty()
            && field(n, "function")
                .and_then(|f| self.qualify(f, 0))
                .is_some_and(|q| {
                    matches!(
                        q.name.as_str(),
                        "builtins.globals" | "builtins.locals" | "builtins.vars"
                    )
                })
    }

    pub(super) fn open_call(&mut self, n: Node<'a>, name: &str, mode_at: usize) {
        let mode = self.arg(n, mode_at, "mode");
        let write = match mode {
            None => false,
            Some(m) => self
                .fold(m, 0)
                .filter(|m| exact(m))
                .is_none_or(|m| m.contains(['w', 'a', 'x', '+'])),
        };
        let path = self.arg(n, 0, "file");
        let short = name.strip_prefix("builtins.").unwrap_or(name);
        self.file_op(n, short, write, path);
    }

    pub(super) fn file_op(&mut self, n: Node<'a>, what: &str, write: bool, path: Option<Node<'a>>) {
        self.fresh();
        let path = path.and_then(|p| self.fold(p, 0));
        let gate = if write { FileWrite } else { FileRead };
        let outside = path
            .as_deref()
            .filter(|p| p.starts_with('/') || p.starts_with("..") || p.starts_with('~'));
        let reason = match outside {
            Some(p) => format!(
                "accesses a file outside its src/ ({:?})",
                p.replace(UNKNOWN, "…")
            ),
            None if write => format!("writes a file ({what})"),
            None => format!("reads a file ({what})"),
        };
        self.out.hit(n, Class::Filesystem, gate, reason);
    }

    /// Whether an expression is a `pathlib` path (`Path(…)`, `p.parent`, `p / "x"`, a name
    /// bound to one).
    pub(super) fn pathlike(&self, n: Node<'a>, depth: u32) -> bool {
        if !self.step(depth) {
            return false;
        }
        let n = unparen(n);
        match n.kind() {
            "call" => field(n, "function").is_some_and(|f| {
                self.qualify(f, depth + 1)
                    .is_some_and(|q| q.name.starts_with("pathlib."))
                    || (f.kind() == "attribute"
                        && field(f, "object").is_some_and(|o| self.pathlike(o, depth + 1)))
            }),
            "attribute" => field(n, "object").is_some_and(|o| self.pathlike(o, depth + 1)),
            "binary_operator" => field(n, "left").is_some_and(|l| self.pathlike(l, depth + 1)),
            "identifier" => self.names.binds.get(self.text(n)).is_some_and(|bs| {
                bs.iter().any(|b| match b {
                    Bind::Expr(e) | Bind::Default(e) => self.pathlike(*e, depth + 1),
                    _ => false,
                })
            }),
            _ => false,
        }
    }

    pub(super) fn path_method(&mut self, n: Node<'a>, recv: Node<'a>, m: &str) {
        const WRITE_ALWAYS: &[&str] = &[
            "write_text",
            "write_bytes",
            "symlink_to",
            "hardlink_to",
            "link_to",
        ];
        const READ_ALWAYS: &[&str] = &["read_text", "read_bytes", "iterdir", "rglob"];
        const WRITE: &[&str] = &[
            "touch", "mkdir", "unlink", "rmdir", "chmod", "lchmod", "rename", "replace",
        ];
        const READ: &[&str] = &[
            "exists",
            "is_file",
            "is_dir",
            "is_symlink",
            "stat",
            "lstat",
            "glob",
            "resolve",
            "readlink",
            "samefile",
            "owner",
            "group",
            "walk",
            "absolute",
        ];
        let known = || {
            self.fresh();
            self.pathlike(recv, 0)
        };
        if WRITE_ALWAYS.contains(&m) || (WRITE.contains(&m) && known()) {
            self.out.hit(
                n,
                Class::Filesystem,
                FileWrite,
                format!("writes a file (Path.{m})"),
            );
        } else if READ_ALWAYS.contains(&m) || (READ.contains(&m) && known()) {
            self.out.hit(
                n,
                Class::Filesystem,
                FileRead,
                format!("reads the file system (Path.{m})"),
            );
        } else if m == "open" && known() {
            let mode = self.arg(n, 0, "mode");
            let write = mode.is_some_and(|m| {
                self.fold(m, 0)
                    .filter(|m| exact(m))
                    .is_none_or(|m| m.contains(['w', 'a', 'x', '+']))
            });
            self.file_op(n, "Path.open", write, None);
        }
    }

    /// `getattr(obj, name)` and friends.
    pub(super) fn attr_call(
        &mut self,
        n: Node<'a>,
        short: &str,
        obj: Option<Node<'a>>,
        attr: Option<Node<'a>>,
        value: Option<Node<'a>>,
    ) {
        let Some(obj) = obj else { return };
        self.fresh();
        let oq = self.qualify(obj, 0);
        let key = attr.and_then(|a| self.fold(a, 0)).filter(|k| exact(k));
        if let Some(oq) = oq.filter(|q| q.module) {
            let m = &oq.name;
            let what = match short {
                "setattr" | "__setattr__" => format!("sets an attribute of module {m} ({short})"),
                "delattr" | "__delattr__" => {
                    format!("deletes an attribute of module {m} ({short})")
                }
                _ => format!("looks up an attribute of module {m} by name ({short})"),
            };
            let class = if short.contains("set") || short.contains("del") {
                Patching
            } else {
                DynamicCode
            };
            self.out.hit(n, class, Never, what);
        }
        if let Some(k) = key {
            self.attribute_name(n, &k);
            if short.contains("set") {
                self.dunder_value(n, &k, value);
            }
        }
    }
}
