//! The walk over a TypeScript or JavaScript file: each node is checked for the names,
//! imports, members, calls and constructors the rules forbid (or allow only with a declared
//! side effect).

use super::*;

impl<'a> Js<'a> {
    pub(super) fn node(&mut self, n: Node<'a>) {
        match n.kind() {
            "import_statement" | "export_statement" => self.import(n),
            "identifier" | "shorthand_property_identifier" => self.identifier(n),
            "member_expression" => {
                self.member_expr(n);
                self.reference(n);
            }
            "subscript_expression" => {
                self.subscript(n);
                self.reference(n);
            }
            "call_expression" => {
                self.call(n);
                self.reference(n);
            }
            "new_expression" => self.new_expr(n),
            "meta_property" => self.reference(n),
            "assignment_expression" | "augmented_assignment_expression" => self.assignment(n),
            "unary_expression" => {
                if field(n, "operator").is_some_and(|o| self.text(o) == "delete")
                    && let Some(arg) = field(n, "argument")
                {
                    self.write_target(n, arg, None, true);
                }
            }
            "binary_expression" => self.binary(n),
            "variable_declarator" => self.declarator(n),
            "method_definition" => {
                if let Some(k) = field(n, "name").and_then(|k| self.key_name(k)) {
                    self.judge(n, &k, n);
                }
            }
            "pair" => {
                if let (Some(k), Some(v)) = (field(n, "key"), field(n, "value"))
                    && let Some(key) = self.key_name(k)
                {
                    self.judge_value(n, &key, v);
                }
            }
            "public_field_definition" | "field_definition" => {
                let k = field(n, "name").or_else(|| field(n, "property"));
                if let (Some(k), Some(v)) = (k, field(n, "value"))
                    && let Some(key) = self.key_name(k)
                {
                    self.judge_value(n, &key, v);
                }
            }
            _ => {}
        }
        if n.kind() == "identifier"
            && let Some(i) = self.names.binding_of(n)
        {
            self.fresh();
            if let Some(s) = self.value_at(&self.name(n), i, 0) {
                self.out.strings.push((crate::audit::line(n), s));
            }
        }
        if matches!(
            n.kind(),
            "string" | "template_string" | "binary_expression" | "call_expression"
        ) && n.parent().is_none_or(|p| p.kind() != "binary_expression")
        {
            self.fresh();
            if let Some(s) = self.fold(n, 0) {
                self.out.strings.push((crate::audit::line(n), s));
            }
        }
    }

    pub(super) fn rules(&mut self, at: Node<'a>, name: &str) {
        let name = normalize(name);
        if let Some((r, shown)) = match_rule(RULES, &name) {
            let shown = shown.strip_prefix("cjs.").unwrap_or(&shown).to_string();
            self.out
                .hit(at, r.class, r.gate, format!("{} ({shown})", r.what));
        } else if let Some((gate, reason)) = fs_rule(&name) {
            self.out.hit(at, Class::Filesystem, gate, reason);
        }
    }

    pub(super) fn maximal(&self, n: Node<'a>) -> bool {
        match n.parent() {
            Some(p) if p.kind() == "member_expression" => field(p, "object") != Some(n),
            Some(p) if p.kind() == "subscript_expression" && field(p, "object") == Some(n) => {
                self.fresh();
                self.qualify(p, 0).is_none()
            }
            Some(p)
                if matches!(
                    p.kind(),
                    "parenthesized_expression"
                        | "non_null_expression"
                        | "as_expression"
                        | "satisfies_expression"
                ) =>
            {
                self.maximal(p)
            }
            _ => true,
        }
    }

    pub(super) fn reference(&mut self, n: Node<'a>) {
        self.fresh();
        let Some(q) = self.qualify(n, 0) else { return };
        if q.name == "process.env" {
            self.env(n);
        }
        if matches!(
            q.name.as_str(),
            "__dirname"
                | "__filename"
                | "import.meta.url"
                | "import.meta.dirname"
                | "import.meta.filename"
                | "process.cwd"
        ) {
            self.out.located(n);
        }
        if self.maximal(n) {
            // `fs.open` is judged with its flags in `call`.
            if !matches!(q.name.as_str(), "fs.open" | "fs.openSync")
                || n.parent().is_none_or(|p| p.kind() != "call_expression")
            {
                self.rules(n, &q.name);
            }
            if n.kind() != "identifier" && is_test_global(&q.name) {
                self.out.hit(
                    n,
                    TestDetection,
                    Never,
                    format!("refers to the test runner's global {}", q.name),
                );
            }
        }
    }

    /// Whether an identifier is read here (not declared, not a property name).
    pub(super) fn is_reference(&self, n: Node<'a>) -> bool {
        let Some(p) = n.parent() else { return false };
        let is = |f: &str| field(p, f) == Some(n);
        match p.kind() {
            "variable_declarator" => !is("name"),
            "function_declaration"
            | "function_expression"
            | "function"
            | "class_declaration"
            | "class"
            | "generator_function_declaration"
            | "generator_function" => !is("name"),
            "required_parameter" | "optional_parameter" => !is("pattern") && !is("name"),
            "assignment_pattern" | "object_assignment_pattern" => !is("left"),
            "arrow_function" => !is("parameter"),
            "catch_clause" => !is("parameter"),
            "for_in_statement" => !is("left"),
            "assignment_expression" => !is("left"),
            "pair_pattern" => !is("value"),
            "formal_parameters"
            | "rest_pattern"
            | "array_pattern"
            | "object_pattern"
            | "import_specifier"
            | "import_clause"
            | "namespace_import"
            | "import_require_clause"
            | "export_specifier"
            | "labeled_statement"
            | "break_statement"
            | "continue_statement" => false,
            _ => true,
        }
    }

    pub(super) fn identifier(&mut self, n: Node<'a>) {
        let raw = self.text(n);
        if raw.contains('\\') {
            self.out.hit(
                n,
                Unreadable,
                Never,
                format!(
                    "spells the name `{}` with escapes ({raw}), which can hide a call",
                    js_ident(raw)
                ),
            );
        }
        if !self.is_reference(n) {
            return;
        }
        let name = self.name(n);
        if !self.names.binds.contains_key(&name) {
            if is_test_global(&name) {
                self.out.hit(
                    n,
                    TestDetection,
                    Never,
                    format!("refers to the test runner's global {name}"),
                );
            }
            if name == "require"
                && !n.parent().is_some_and(|p| {
                    (p.kind() == "call_expression" && field(p, "function") == Some(n))
                        || (p.kind() == "member_expression" && field(p, "object") == Some(n))
                })
            {
                self.out.hit(
                    n,
                    DynamicCode,
                    Never,
                    "passes require around, which hides what it loads",
                );
            }
        }
        self.reference(n);
    }

    pub(super) fn import(&mut self, n: Node<'a>) {
        let Some(source) = field(n, "source") else {
            return;
        };
        // `import type …` is erased before the code runs.
        if n.child(1).is_some_and(|c| c.kind() == "type") {
            return;
        }
        let Some(spec) = self.spec(source) else {
            return;
        };
        let Some(m) = self.module_of(&spec) else {
            return;
        };
        self.rules(n, &m);
        let mut specs = Vec::new();
        visit(n, |c, _| {
            if matches!(c.kind(), "import_specifier" | "export_specifier") {
                specs.push(c);
            }
            true
        });
        for s in specs {
            if let Some(orig) = field(s, "name") {
                let orig = if orig.kind() == "string" {
                    self.spec(orig).unwrap_or_default()
                } else {
                    self.name(orig)
                };
                self.rules(s, &format!("{m}.{orig}"));
            }
        }
    }

    // ── members, calls, constructors ──────────────────────────────────────────────────────

    pub(super) fn member_expr(&mut self, n: Node<'a>) {
        let Some(prop) = field(n, "property").map(|p| self.name(p)) else {
            return;
        };
        match prop.as_str() {
            "callee" | "caller" => {
                self.out
                    .hit(n, Introspection, Never, format!("{STACK} (.{prop})"))
            }
            "constructor" => {
                let obj = field(n, "object").map(unwrap);
                let reaches_function = obj.is_some_and(|o| {
                    is_function(o)
                        || (o.kind() == "member_expression"
                            && field(o, "property").is_some_and(|p| self.text(p) == "constructor"))
                        || (o.kind() == "call_expression"
                            && field(o, "function").is_some_and(|f| {
                                self.fresh();
                                self.qualify(f, 0).is_some_and(|q| {
                                    matches!(
                                        q.name.as_str(),
                                        "Object.getPrototypeOf" | "Reflect.getPrototypeOf"
                                    )
                                })
                            }))
                });
                if reaches_function {
                    self.out.hit(
                        n,
                        DynamicCode,
                        Never,
                        "reaches the Function constructor (….constructor), which builds code from strings",
                    );
                }
            }
            "stack" if field(n, "object").is_some_and(|o| self.is_error(o, 0)) => {
                self.out.hit(
                    n,
                    Introspection,
                    Never,
                    format!("{STACK} (new Error().stack)"),
                );
            }
            _ => {}
        }
    }

    /// `new Error(…)`, `Error()`, or a name bound to one.
    pub(super) fn is_error(&self, n: Node<'a>, depth: u32) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let n = unwrap(n);
        match n.kind() {
            "new_expression" | "call_expression" => {
                let callee = field(n, "constructor").or_else(|| field(n, "function"));
                self.fresh();
                callee
                    .and_then(|c| self.qualify(c, 0))
                    .is_some_and(|q| q.name.ends_with("Error"))
            }
            "identifier" => self.names.binds.get(&self.name(n)).is_some_and(|bs| {
                bs.iter()
                    .any(|b| matches!(b, Bind::Expr(e) if self.is_error(*e, depth + 1)))
            }),
            _ => false,
        }
    }

    pub(super) fn subscript(&mut self, n: Node<'a>) {
        let (Some(obj), Some(index)) = (field(n, "object"), field(n, "index")) else {
            return;
        };
        self.fresh();
        let on_globals = self.qualify(obj, 0).is_some_and(|q| q.name == "globalThis");
        self.fresh();
        if on_globals && self.fold(index, 0).filter(|k| exact(k)).is_none() {
            self.out.hit(
                n,
                DynamicCode,
                Never,
                "looks up a global by computed name (globalThis[…])",
            );
        }
    }

    pub(super) fn call(&mut self, n: Node<'a>) {
        let Some(f) = field(n, "function") else {
            return;
        };
        let args = self.args(n);
        if f.kind() == "import" {
            self.fresh();
            if args
                .first()
                .and_then(|a| self.fold(*a, 0))
                .filter(|m| exact(m))
                .is_none()
            {
                self.out.hit(
                    n,
                    DynamicCode,
                    Never,
                    "imports a module by computed name (import())",
                );
            }
            return;
        }
        self.fresh();
        let q = self.qualify(f, 0);
        let name = q.as_ref().map(|q| q.name.as_str()).unwrap_or("");
        match name {
            "require" | "cjs.module.require" => {
                self.fresh();
                if args
                    .first()
                    .and_then(|a| self.fold(*a, 0))
                    .filter(|m| exact(m))
                    .is_none()
                {
                    self.out.hit(
                        n,
                        DynamicCode,
                        Never,
                        "loads a module by computed name (require)",
                    );
                }
            }
            "Function" => self.out.hit(
                n,
                DynamicCode,
                Never,
                "builds a function from a string (Function)",
            ),
            "setTimeout" | "setInterval" | "setImmediate"
                if args
                    .first()
                    .is_some_and(|a| matches!(unwrap(*a).kind(), "string" | "template_string")) =>
            {
                self.out.hit(
                    n,
                    DynamicCode,
                    Never,
                    format!("evaluates a string as code ({name})"),
                );
            }
            "fs.open" | "fs.openSync" => {
                self.fresh();
                let write = match args.get(1) {
                    None => false,
                    Some(flags) => self
                        .fold(*flags, 0)
                        .filter(|f| exact(f))
                        .is_none_or(|f| f != "r" && f != "rs" && f != "sr"),
                };
                let (gate, what) = if write {
                    (FileWrite, "writes a file")
                } else {
                    (FileRead, "reads a file")
                };
                self.out
                    .hit(n, Class::Filesystem, gate, format!("{what} (fs.open)"));
            }
            "Reflect.get"
            | "Reflect.has"
            | "Reflect.ownKeys"
            | "Reflect.apply"
            | "Object.getOwnPropertyDescriptor"
            | "Object.getOwnPropertyDescriptors"
            | "Object.getOwnPropertyNames"
            | "Object.keys"
            | "Object.entries"
            | "Object.values" => {
                self.fresh();
                let target = args.first().and_then(|a| self.qualify(*a, 0));
                if target.is_some_and(|t| {
                    t.name == "globalThis" || (t.module && t.name != "process.env")
                }) {
                    self.out.hit(
                        n,
                        DynamicCode,
                        Never,
                        format!("looks up globals or module members by name ({name})"),
                    );
                }
            }
            "Object.defineProperty"
            | "Object.defineProperties"
            | "Object.assign"
            | "Object.setPrototypeOf"
            | "Reflect.set"
            | "Reflect.defineProperty"
            | "Reflect.setPrototypeOf"
            | "Reflect.deleteProperty" => {
                if let Some(target) = args.first() {
                    self.patch_target(n, *target, name);
                }
                if name == "Object.defineProperty"
                    && let (Some(key), Some(desc)) = (args.get(1), args.get(2))
                    && let Some(key) = self.key_expr(*key)
                    && unwrap(*desc).kind() == "object"
                {
                    for p in named_children(unwrap(*desc)) {
                        match p.kind() {
                            "pair" => {
                                if field(p, "key").is_some_and(|k| self.text(k) == "value")
                                    && let Some(v) = field(p, "value")
                                {
                                    self.judge_value(n, &key, v);
                                }
                            }
                            "method_definition"
                                if field(p, "name").is_some_and(|k| self.text(k) == "value") =>
                            {
                                self.judge(n, &key, p);
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        let f = unwrap(f);
        if f.kind() == "member_expression"
            && field(f, "property").is_some_and(|p| self.text(p) == "constructor")
        {
            self.out.hit(
                n,
                DynamicCode,
                Never,
                "builds a function from a string (….constructor(…))",
            );
        }
    }

    /// A computed key (`"valueOf"`, `Symbol.toPrimitive`).
    pub(super) fn key_expr(&self, k: Node<'a>) -> Option<String> {
        self.fresh();
        if let Some(q) = self.qualify(k, 0)
            && q.name.starts_with("Symbol.")
        {
            return Some(format!("[{}]", q.name));
        }
        self.fold(k, 0).filter(|s| exact(s))
    }

    pub(super) fn new_expr(&mut self, n: Node<'a>) {
        let Some(c) = field(n, "constructor") else {
            return;
        };
        self.fresh();
        if self.qualify(c, 0).is_some_and(|q| q.name == "Function") {
            self.out.hit(
                n,
                DynamicCode,
                Never,
                "builds a function from a string (new Function)",
            );
        }
        let c = unwrap(c);
        if c.kind() == "member_expression"
            && field(c, "property").is_some_and(|p| self.text(p) == "constructor")
            && field(c, "object").is_some_and(|o| o.kind() != "this")
        {
            self.out.hit(
                n,
                DynamicCode,
                Never,
                "builds a function from a string (new ….constructor(…))",
            );
        }
    }

    pub(super) fn binary(&mut self, n: Node<'a>) {
        if field(n, "operator").is_none_or(|o| self.text(o) != "in") {
            return;
        }
        let (Some(left), Some(right)) = (field(n, "left"), field(n, "right")) else {
            return;
        };
        self.fresh();
        if self
            .qualify(right, 0)
            .is_some_and(|q| q.name == "globalThis")
        {
            self.fresh();
            match self.fold(left, 0).filter(|k| exact(k)) {
                Some(k) if is_test_global(&k) => self.out.hit(
                    n,
                    TestDetection,
                    Never,
                    format!("looks for the test runner's global {k} (in globalThis)"),
                ),
                Some(_) => {}
                None => self.out.hit(
                    n,
                    DynamicCode,
                    Never,
                    "looks up a global by computed name (… in globalThis)",
                ),
            }
        }
    }

    pub(super) fn declarator(&mut self, n: Node<'a>) {
        let (Some(name), Some(value)) = (field(n, "name"), field(n, "value")) else {
            return;
        };
        // `const { exec } = require("child_process")` uses `child_process.exec`.
        if name.kind() == "object_pattern" {
            self.fresh();
            if let Some(q) = self.qualify(value, 0)
                && q.name != "process.env"
            {
                let mut keys = Vec::new();
                for p in named_children(name) {
                    let key = match p.kind() {
                        "shorthand_property_identifier_pattern" => Some(self.name(p)),
                        "object_assignment_pattern" => field(p, "left").map(|l| self.name(l)),
                        "pair_pattern" => field(p, "key").and_then(|k| self.key_name(k)),
                        _ => None,
                    };
                    keys.extend(key.map(|k| (p, k)));
                }
                for (p, k) in keys {
                    let full = self.member(&q, &k).name;
                    self.rules(p, &full);
                }
            }
        }
        if name.kind() == "object_pattern"
            && self.is_error(value, 0)
            && named_children(name).iter().any(|p| {
                p.kind() == "shorthand_property_identifier_pattern" && self.text(*p) == "stack"
                    || field(*p, "key").is_some_and(|k| self.text(k) == "stack")
            })
        {
            self.out.hit(
                n,
                Introspection,
                Never,
                format!("{STACK} (new Error().stack)"),
            );
        }
    }
}
