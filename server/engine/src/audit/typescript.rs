//! The TypeScript and JavaScript side of the audit (one scanner: the two grammars share their
//! expression nodes). Names are resolved through `import`, `require`, `import()`,
//! destructuring, aliases and `globalThis`/`global`/`window` to a qualified name such as
//! `child_process.exec` or `process.env`, then checked against [`RULES`]; strings are folded
//! through `+`, template literals, `join`, `String.fromCharCode`, `atob`, `Buffer.from`, ….

use super::text::{self, UNKNOWN, exact, js_ident};
use super::{
    Class, Gate, MAX_DEPTH, MemoCache, Rule, Scan, match_rule, memo, node_text, rule, visit, warm,
};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use tree_sitter::{Node, Tree};

use Class::{
    DynamicCode, EqualityGaming, ExitHook, Introspection, Patching, TestDetection, TestFramework,
    Unreadable,
};
use Gate::{FileRead, FileWrite, Never};

const RUNS: &str = "starts processes";
const NET: &str = "uses the network";
const STACK: &str = "inspects the call stack";
const EXITS: &str = "exits the test process";
const FRAMEWORK: &str = "imports the test framework";
const HANDLER: &str = "registers a process event handler";

/// Qualified names an implementation may not use (or only with the side effect declared).
/// File-system calls are judged by [`fs_rule`].
#[rustfmt::skip]
const RULES: &[Rule] = &[
    // Code built or loaded at run time.
    rule("eval", DynamicCode, Never, "evaluates code built at run time"),
    rule("vm", DynamicCode, Never, "runs code in a new context"),
    rule("module", DynamicCode, Never, "loads modules by hand"),
    rule("cjs.module.require", DynamicCode, Never, "loads a module by hand"),
    rule("cjs.module.constructor", DynamicCode, Never, "loads modules by hand"),
    rule("cjs.module.paths", DynamicCode, Never, "changes where modules are found"),
    rule("cjs.module.parent", Introspection, Never, "inspects the module that loaded it"),
    rule("cjs.module.children", Introspection, Never, "inspects loaded modules"),
    rule("require.cache", DynamicCode, Never, "rewrites or inspects loaded modules"),
    rule("require.extensions", DynamicCode, Never, "changes how modules load"),
    rule("require.main", TestDetection, Never, "inspects the main program"),
    rule("process.binding", DynamicCode, Never, "reaches Node's internal bindings"),
    rule("process._linkedBinding", DynamicCode, Never, "reaches Node's internal bindings"),
    rule("process.dlopen", DynamicCode, Never, "loads native code"),
    rule("process.mainModule", TestDetection, Never, "inspects the main program"),
    rule("WebAssembly", DynamicCode, Never, "compiles WebAssembly at run time"),
    // Stacks and internals.
    rule("Error.captureStackTrace", Introspection, Never, STACK),
    rule("Error.prepareStackTrace", Introspection, Never, STACK),
    rule("Error.stackTraceLimit", Introspection, Never, STACK),
    rule("inspector", Introspection, Never, "attaches the inspector"),
    rule("v8", Introspection, Never, "reaches V8 internals"),
    rule("async_hooks", Introspection, Never, "tracks async resources"),
    rule("trace_events", Introspection, Never, "traces the running code"),
    rule("process.report", Introspection, Never, STACK),
    rule("process._getActiveHandles", Introspection, Never, "inspects the process's handles"),
    rule("process._getActiveRequests", Introspection, Never, "inspects the process's handles"),
    // Telling a test run from real use.
    rule("process.argv", TestDetection, Never, "inspects the command line"),
    rule("process.argv0", TestDetection, Never, "inspects the command line"),
    rule("process.execArgv", TestDetection, Never, "inspects the command line"),
    rule("process.ppid", TestDetection, Never, "inspects its parent process"),
    rule("process.title", TestDetection, Never, "inspects the process title"),
    rule("import.meta.vitest", TestDetection, Never, "detects the test runner"),
    rule("import.meta.env", TestDetection, Never, "reads the bundler's environment (its MODE is 'test' under vitest)"),
    rule("__vitest*", TestDetection, Never, "reaches into the test runner"),
    rule("__VITEST*", TestDetection, Never, "reaches into the test runner"),
    // Exit hooks and signals.
    rule("process.exit", ExitHook, Never, EXITS),
    rule("process.reallyExit", ExitHook, Never, EXITS),
    rule("process.abort", ExitHook, Never, "aborts the test process"),
    rule("process.kill", ExitHook, Never, "sends signals"),
    rule("process.exitCode", ExitHook, Never, "sets the exit code"),
    rule("process.on", ExitHook, Never, HANDLER),
    rule("process.once", ExitHook, Never, HANDLER),
    rule("process.addListener", ExitHook, Never, HANDLER),
    rule("process.prependListener", ExitHook, Never, HANDLER),
    rule("process.prependOnceListener", ExitHook, Never, HANDLER),
    rule("process.removeListener", ExitHook, Never, "removes process event handlers"),
    rule("process.removeAllListeners", ExitHook, Never, "removes process event handlers"),
    rule("process.off", ExitHook, Never, "removes process event handlers"),
    rule("process.emit", ExitHook, Never, "emits process events"),
    rule("process.setUncaughtExceptionCaptureCallback", ExitHook, Never, "captures uncaught exceptions"),
    // The test framework.
    rule("vitest", TestFramework, Never, FRAMEWORK),
    rule("@vitest*", TestFramework, Never, FRAMEWORK),
    rule("node:test", TestFramework, Never, FRAMEWORK),
    rule("jest", TestFramework, Never, FRAMEWORK),
    rule("@jest*", TestFramework, Never, FRAMEWORK),
    rule("mocha", TestFramework, Never, FRAMEWORK),
    rule("chai", TestFramework, Never, FRAMEWORK),
    rule("expect", TestFramework, Never, FRAMEWORK),
    rule("sinon", TestFramework, Never, FRAMEWORK),
    rule("tinyspy", TestFramework, Never, FRAMEWORK),
    rule("@testing-library*", TestFramework, Never, FRAMEWORK),
    rule("assert", TestFramework, Never, "imports the assertion library"),
    // Processes.
    rule("child_process", Class::Process, Gate::Process, RUNS),
    rule("cluster", Class::Process, Gate::Process, RUNS),
    rule("worker_threads", Class::Process, Gate::Process, "starts workers"),
    // The network.
    rule("net", Class::Network, Gate::Network, NET),
    rule("http", Class::Network, Gate::Network, NET),
    rule("https", Class::Network, Gate::Network, NET),
    rule("http2", Class::Network, Gate::Network, NET),
    rule("dgram", Class::Network, Gate::Network, NET),
    rule("tls", Class::Network, Gate::Network, NET),
    rule("dns", Class::Network, Gate::Network, NET),
    rule("undici", Class::Network, Gate::Network, NET),
    rule("node-fetch", Class::Network, Gate::Network, NET),
    rule("axios", Class::Network, Gate::Network, NET),
    rule("ws", Class::Network, Gate::Network, NET),
    rule("got", Class::Network, Gate::Network, NET),
    rule("superagent", Class::Network, Gate::Network, NET),
    rule("fetch", Class::Network, Gate::Network, NET),
    rule("XMLHttpRequest", Class::Network, Gate::Network, NET),
    rule("WebSocket", Class::Network, Gate::Network, NET),
    rule("EventSource", Class::Network, Gate::Network, NET),
    // The process's own state.
    rule("process.cwd", Class::Filesystem, FileRead, "reads the working directory"),
    rule("process.chdir", Patching, Never, "changes the working directory"),
    rule("process.umask", Patching, Never, "changes the process state"),
    rule("process.setuid", Patching, Never, "changes the process state"),
    rule("process.setgid", Patching, Never, "changes the process state"),
    rule("process.seteuid", Patching, Never, "changes the process state"),
    rule("process.setegid", Patching, Never, "changes the process state"),
    rule("process.setgroups", Patching, Never, "changes the process state"),
];

#[rustfmt::skip]
const FS_WRITES: &[&str] = &[
    "writeFile", "appendFile", "mkdir", "mkdtemp", "rm", "rmdir", "unlink", "rename",
    "copyFile", "cp", "symlink", "link", "chmod", "lchmod", "chown", "lchown", "truncate",
    "ftruncate", "utimes", "lutimes", "futimes", "createWriteStream", "write", "writev",
    "fchmod", "fchown",
];
#[rustfmt::skip]
const FS_READS: &[&str] = &[
    "readFile", "readdir", "stat", "lstat", "fstat", "exists", "access", "createReadStream",
    "opendir", "readlink", "realpath", "watch", "watchFile", "read", "readv", "statfs", "glob",
];

/// `fs.writeFileSync` and friends (`fs.promises.…` and `fs/promises` alike).
fn fs_rule(name: &str) -> Option<(Gate, String)> {
    let rest = name.strip_prefix("fs.")?;
    let method = rest.split('.').next().unwrap_or(rest);
    let base = method.strip_suffix("Sync").unwrap_or(method);
    if FS_WRITES.contains(&base) {
        Some((
            FileWrite,
            format!("writes to the file system (fs.{method})"),
        ))
    } else if FS_READS.contains(&base) {
        Some((FileRead, format!("reads the file system (fs.{method})")))
    } else {
        None
    }
}

/// Globals the audit resolves when the file does not declare them.
#[rustfmt::skip]
const GLOBALS: &[&str] = &[
    "process", "require", "eval", "Function", "Error", "Reflect", "Object", "Array", "String",
    "Number", "Boolean", "Symbol", "JSON", "Math", "Promise", "RegExp", "Map", "Set", "WeakMap",
    "WeakSet", "Date", "Proxy", "WebAssembly", "fetch", "XMLHttpRequest", "WebSocket",
    "EventSource", "setTimeout", "setInterval", "setImmediate", "Buffer", "console", "atob",
    "btoa", "arguments", "__dirname", "__filename", "Intl", "BigInt", "decodeURIComponent",
    "decodeURI", "unescape", "TypeError", "RangeError", "SyntaxError", "ReferenceError",
    "EvalError", "URIError", "AggregateError",
];

/// Built-in objects whose members an implementation may not overwrite.
#[rustfmt::skip]
const BUILTIN_OBJECTS: &[&str] = &[
    "Object", "Array", "String", "Number", "Boolean", "Symbol", "JSON", "Math", "Promise",
    "Error", "RegExp", "Map", "Set", "WeakMap", "WeakSet", "Date", "Function", "Reflect",
    "console", "process", "Buffer", "Proxy", "Intl", "BigInt",
];

/// Modules (for "patches module …").
#[rustfmt::skip]
const MODULES: &[&str] = &[
    "fs", "path", "os", "child_process", "vm", "module", "http", "https", "net", "util",
    "worker_threads", "v8", "inspector", "async_hooks", "cluster", "dgram", "dns", "tls",
    "http2", "crypto", "events", "stream", "url", "assert", "timers", "vitest", "node:test",
];

/// The test runner's globals (`describe`, `expect`, `vi`, …).
fn is_test_global(name: &str) -> bool {
    matches!(
        name,
        "expect"
            | "describe"
            | "it"
            | "test"
            | "vi"
            | "vitest"
            | "jest"
            | "beforeAll"
            | "afterAll"
            | "beforeEach"
            | "afterEach"
            | "suite"
            | "bench"
            | "chai"
            | "assert"
    ) || name.starts_with("__vitest")
        || name.starts_with("__VITEST")
        || name.starts_with("__jest")
}

/// Methods whose answer must depend on what they are compared with or must not be constant.
const UNARY_EQ: &[&str] = &["valueOf", "toString", "toJSON", "[Symbol.toPrimitive]"];
const BINARY_EQ: &[&str] = &["equals", "isEqual", "compareTo", "[Symbol.hasInstance]"];

fn normalize_module(spec: &str) -> String {
    if spec == "node:test" || spec == "test" {
        return "node:test".into();
    }
    let s = spec.strip_prefix("node:").unwrap_or(spec);
    match s {
        "fs/promises" => "fs".into(),
        "path/posix" | "path/win32" => "path".into(),
        "assert/strict" => "assert".into(),
        "timers/promises" => "timers".into(),
        "dns/promises" => "dns".into(),
        _ => s.to_string(),
    }
}

fn normalize(name: &str) -> String {
    let mut n = name.to_string();
    for (from, to) in [
        ("fs.promises.", "fs."),
        ("fs.default.", "fs."),
        ("globalThis.", ""),
    ] {
        if let Some(rest) = n.strip_prefix(from) {
            n = format!("{to}{rest}");
        }
    }
    if let Some(m) = n.strip_suffix(".default") {
        n = m.to_string();
    }
    n
}

#[derive(Debug, Clone)]
struct Q {
    name: String,
    module: bool,
}

impl Q {
    fn new(name: &str) -> Q {
        let name = normalize(name);
        let module = MODULES.contains(&name.as_str());
        Q { name, module }
    }
    fn module(name: &str) -> Q {
        Q {
            module: true,
            ..Q::new(name)
        }
    }
}

#[derive(Debug, Clone)]
enum Bind<'a> {
    /// `import x from "m"`, `import * as x from "m"`, `const x = require("m")`.
    Module(String),
    /// `import { a as x } from "m"`.
    From(String, String),
    /// `const x = <expr>`, `x = <expr>`.
    Expr(Node<'a>),
    /// A parameter's default: followed to name a module, never taken as the value.
    Default(Node<'a>),
    /// `const { key: x } = <expr>`.
    Destructure(Node<'a>, String),
    /// `x += <expr>`.
    Aug(Node<'a>),
    Opaque,
}

const MAX_FOLD: usize = 8 << 10;
const BUDGET: u32 = 5_000;

pub(crate) fn scan(tree: &Tree, src: &str, local: &HashSet<String>) -> Scan {
    let mut js = Js {
        src,
        local,
        binds: HashMap::new(),
        funcs: HashMap::new(),
        budget: Cell::new(BUDGET),
        cut: Cell::new(false),
        resolved: RefCell::default(),
        folded: RefCell::default(),
        order: Vec::new(),
        at: HashMap::new(),
        shadow: RefCell::default(),
        out: Scan::default(),
    };
    let root = tree.root_node();
    js.collect(root);
    warm(&js.resolved, &js.order, |n| {
        js.fresh();
        js.resolve(n, 0);
    });
    visit(root, |n, _| {
        js.node(n);
        true
    });
    js.out
}

struct Js<'a> {
    src: &'a str,
    local: &'a HashSet<String>,
    binds: HashMap<String, Vec<Bind<'a>>>,
    /// Function declarations by name (for `X.prototype.valueOf = f`).
    funcs: HashMap<String, Vec<Node<'a>>>,
    budget: Cell<u32>,
    /// Set when a question ran out of depth or budget (its answer is not remembered).
    cut: Cell<bool>,
    /// Names already resolved and folded (`None` while in progress: a cycle).
    resolved: MemoCache<Q>,
    folded: MemoCache<String>,
    /// Names in the order they are first bound.
    order: Vec<String>,
    /// For a name node that binds (`x` of `x = …`), which of the name's bindings it is.
    at: HashMap<usize, usize>,
    /// While folding binding `i` of a name, the name means its binding `i - 1`.
    shadow: RefCell<Vec<(String, usize)>>,
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
        let index = self.binds.get(&name).map_or(0, Vec::len);
        self.at.insert(at.id(), index);
        self.bind(name, b);
    }

    fn bind(&mut self, name: String, b: Bind<'a>) {
        if !self.binds.contains_key(&name) {
            self.order.push(name.clone());
        }
        self.binds.entry(name).or_default().push(b);
    }

    fn tick(&self) -> bool {
        let b = self.budget.get();
        if b == 0 {
            return false;
        }
        self.budget.set(b - 1);
        true
    }

    fn fresh(&self) {
        self.budget.set(BUDGET);
    }

    /// One level deeper and one step more, if allowed; otherwise the question is cut short.
    fn step(&self, depth: u32) -> bool {
        if depth > MAX_DEPTH || !self.tick() {
            self.cut.set(true);
            return false;
        }
        true
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

    // ── resolution ────────────────────────────────────────────────────────────────────────

    fn qualify(&self, n: Node<'a>, depth: u32) -> Option<Q> {
        if !self.step(depth) {
            return None;
        }
        let n = unwrap(n);
        match n.kind() {
            "identifier" | "shorthand_property_identifier" => self.resolve(&self.name(n), depth),
            "member_expression" => {
                let o = self.qualify(field(n, "object")?, depth + 1)?;
                let p = self.name(field(n, "property")?);
                Some(self.member(&o, &p))
            }
            "subscript_expression" => {
                let o = self.qualify(field(n, "object")?, depth + 1)?;
                let k = self
                    .fold(field(n, "index")?, depth + 1)
                    .filter(|k| exact(k))?;
                Some(self.member(&o, &k))
            }
            "call_expression" => {
                let f = field(n, "function")?;
                let args = self.args(n);
                if f.kind() == "import" {
                    let m = self.fold(*args.first()?, depth + 1).filter(|m| exact(m))?;
                    return self.module_of(&m).map(|m| Q::module(&m));
                }
                let fq = self.qualify(f, depth + 1)?;
                match fq.name.as_str() {
                    "require" | "cjs.module.require" => {
                        let m = self.fold(*args.first()?, depth + 1).filter(|m| exact(m))?;
                        self.module_of(&m).map(|m| Q::module(&m))
                    }
                    "module.createRequire" => Some(Q::new("require")),
                    _ => None,
                }
            }
            "meta_property" => Some(Q::new("import.meta")),
            _ => None,
        }
    }

    fn member(&self, o: &Q, prop: &str) -> Q {
        if o.name == "globalThis" {
            match prop {
                "globalThis" | "global" | "window" | "self" => Q::new("globalThis"),
                "module" => Q::new("cjs.module"),
                _ => Q::new(prop),
            }
        } else {
            Q::new(&format!("{}.{prop}", o.name))
        }
    }

    /// [`Self::resolve_uncached`], remembered per name (a name bound in a cycle is unknown).
    fn resolve(&self, name: &str, depth: u32) -> Option<Q> {
        memo(&self.resolved, &self.cut, &self.budget, name, || {
            self.resolve_uncached(name, depth)
        })
    }

    fn resolve_uncached(&self, name: &str, depth: u32) -> Option<Q> {
        match self.binds.get(name) {
            Some(bs) => {
                for b in bs {
                    match b {
                        Bind::Module(m) => return Some(Q::module(m)),
                        Bind::From(m, x) => return Some(Q::new(&format!("{m}.{x}"))),
                        Bind::Expr(e) | Bind::Default(e) => {
                            if let Some(q) = self.qualify(*e, depth + 1) {
                                return Some(q);
                            }
                        }
                        Bind::Destructure(e, k) => {
                            if let Some(q) = self.qualify(*e, depth + 1) {
                                return Some(self.member(&q, k));
                            }
                        }
                        Bind::Aug(_) | Bind::Opaque => {}
                    }
                }
                None
            }
            None => match name {
                "globalThis" | "global" | "window" | "self" => Some(Q::new("globalThis")),
                "module" => Some(Q::new("cjs.module")),
                _ if GLOBALS.contains(&name) => Some(Q::new(name)),
                _ => None,
            },
        }
    }

    fn args(&self, call: Node<'a>) -> Vec<Node<'a>> {
        match field(call, "arguments") {
            Some(a) if a.kind() == "arguments" => named_children(a),
            Some(t) => vec![t],
            None => Vec::new(),
        }
    }

    // ── string folding ────────────────────────────────────────────────────────────────────

    fn fold(&self, n: Node<'a>, depth: u32) -> Option<String> {
        if !self.step(depth) {
            return None;
        }
        let n = unwrap(n);
        let s = match n.kind() {
            "string" => {
                let mut out = String::new();
                for c in named_children(n) {
                    match c.kind() {
                        "string_fragment" => out.push_str(self.text(c)),
                        "escape_sequence" => out.push_str(&text::decode_js(self.text(c))),
                        _ => out.push(UNKNOWN),
                    }
                }
                Some(out)
            }
            "template_string" => {
                let mut out = String::new();
                for c in named_children(n) {
                    match c.kind() {
                        "string_fragment" => out.push_str(self.text(c)),
                        "escape_sequence" => out.push_str(&text::decode_js(self.text(c))),
                        "template_substitution" => match c.named_child(0) {
                            Some(e) => out.push_str(&self.fold_or_unknown(e, depth + 1)),
                            None => out.push(UNKNOWN),
                        },
                        _ => {}
                    }
                }
                Some(out)
            }
            "binary_expression" => {
                let op = |b: Node| field(b, "operator").map(|o| self.text(o)).unwrap_or("");
                if op(n) != "+" {
                    return None;
                }
                let mut parts = Vec::new();
                let mut cur = n;
                while cur.kind() == "binary_expression" && op(cur) == "+" {
                    parts.push(field(cur, "right")?);
                    cur = unwrap(field(cur, "left")?);
                }
                parts.push(cur);
                parts.reverse();
                let folded: Vec<Option<String>> =
                    parts.iter().map(|p| self.fold(*p, depth + 1)).collect();
                if folded.iter().all(Option::is_none) {
                    return None;
                }
                Some(
                    folded
                        .into_iter()
                        .map(|f| f.unwrap_or_else(|| UNKNOWN.to_string()))
                        .collect(),
                )
            }
            "identifier" => {
                let name = self.name(n);
                let shadowed = self
                    .shadow
                    .borrow()
                    .iter()
                    .rev()
                    .find(|(s, _)| *s == name)
                    .map(|(_, i)| *i);
                match shadowed {
                    Some(i) => self.value_at(&name, i, depth + 1),
                    None => self.const_of(&name, depth),
                }
            }
            "call_expression" => self.fold_call(n, depth),
            _ => None,
        };
        s.filter(|s| s.len() <= MAX_FOLD)
    }

    fn fold_or_unknown(&self, n: Node<'a>, depth: u32) -> String {
        self.fold(n, depth).unwrap_or_else(|| UNKNOWN.to_string())
    }

    fn fold_call(&self, n: Node<'a>, depth: u32) -> Option<String> {
        let f = unwrap(field(n, "function")?);
        let args = self.args(n);
        if f.kind() == "member_expression" {
            let recv = field(f, "object")?;
            let m = self.name(field(f, "property")?);
            match m.as_str() {
                "join" => {
                    let sep = match args.first() {
                        Some(a) => self.fold(*a, depth + 1).filter(|s| exact(s))?,
                        None => ",".into(),
                    };
                    return Some(self.fold_list(recv, depth + 1)?.join(&sep));
                }
                "concat" => {
                    let mut s = self.fold(recv, depth + 1)?;
                    for a in &args {
                        s.push_str(&self.fold_or_unknown(*a, depth + 1));
                    }
                    return Some(s);
                }
                "toLowerCase" => return self.fold(recv, depth + 1).map(|s| s.to_lowercase()),
                "toUpperCase" => return self.fold(recv, depth + 1).map(|s| s.to_uppercase()),
                "trim" | "normalize" => {
                    return self.fold(recv, depth + 1).map(|s| s.trim().to_string());
                }
                "replace" | "replaceAll" => {
                    let s = self.fold(recv, depth + 1)?;
                    let a = args.first().filter(|a| a.kind() != "regex")?;
                    let a = self
                        .fold(*a, depth + 1)
                        .filter(|a| exact(a) && !a.is_empty())?;
                    let b = self.fold(*args.get(1)?, depth + 1).filter(|b| exact(b))?;
                    return Some(if m == "replace" {
                        s.replacen(&a, &b, 1)
                    } else {
                        s.replace(&a, &b)
                    });
                }
                "toString" => {
                    let recv = unwrap(recv);
                    if recv.kind() == "call_expression"
                        && let Some(rf) = field(recv, "function")
                        && self
                            .qualify(rf, depth + 1)
                            .is_some_and(|q| q.name == "Buffer.from")
                    {
                        let inner = self.args(recv);
                        let s = self.fold(*inner.first()?, depth + 1).filter(|s| exact(s))?;
                        let enc = inner
                            .get(1)
                            .and_then(|e| self.fold(*e, depth + 1))
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        return match enc.as_str() {
                            "base64" | "base64url" => text::base64(&s),
                            "hex" => text::hex(&s),
                            _ => Some(s),
                        };
                    }
                    return self.fold(recv, depth + 1);
                }
                _ => {}
            }
        }
        let q = self.qualify(f, depth + 1)?;
        let first = || args.first().and_then(|a| self.fold(*a, depth + 1));
        match q.name.as_str() {
            "String" => first(),
            "String.fromCharCode" | "String.fromCodePoint" => args
                .iter()
                .map(|a| {
                    self.fold_int(*a, depth + 1)
                        .and_then(|v| u32::try_from(v).ok())
                        .and_then(char::from_u32)
                })
                .collect(),
            "atob" => text::base64(&first().filter(|s| exact(s))?),
            "decodeURIComponent" | "decodeURI" | "unescape" => {
                first().map(|s| text::percent_decode(&s))
            }
            "path.join" | "path.resolve" | "path.normalize" | "path.posix.join"
            | "path.posix.resolve" => {
                let parts: Vec<Option<String>> =
                    args.iter().map(|a| self.fold(*a, depth + 1)).collect();
                if parts.iter().all(Option::is_none) {
                    return None;
                }
                let parts: Vec<String> = parts
                    .into_iter()
                    .map(|p| p.unwrap_or_else(|| UNKNOWN.to_string()))
                    .collect();
                Some(text::path_join(&parts))
            }
            _ => None,
        }
    }

    fn fold_list(&self, n: Node<'a>, depth: u32) -> Option<Vec<String>> {
        if !self.step(depth) {
            return None;
        }
        let n = unwrap(n);
        match n.kind() {
            "array" => {
                let mut out = Vec::new();
                for c in named_children(n) {
                    if c.kind() == "spread_element" {
                        let inner = c.named_child(0)?;
                        out.extend(self.fold_list(inner, depth + 1)?);
                    } else {
                        out.push(self.fold_or_unknown(c, depth + 1));
                    }
                }
                Some(out)
            }
            "call_expression" => {
                let f = unwrap(field(n, "function")?);
                let args = self.args(n);
                if f.kind() == "member_expression" {
                    let recv = field(f, "object")?;
                    match self.name(field(f, "property")?).as_str() {
                        "split" => {
                            let s = self.fold(recv, depth + 1).filter(|s| exact(s))?;
                            let sep = self.fold(*args.first()?, depth + 1).filter(|s| exact(s))?;
                            return Some(if sep.is_empty() {
                                s.chars().map(String::from).collect()
                            } else {
                                s.split(sep.as_str()).map(String::from).collect()
                            });
                        }
                        "reverse" | "toReversed" => {
                            let mut l = self.fold_list(recv, depth + 1)?;
                            l.reverse();
                            return Some(l);
                        }
                        _ => {}
                    }
                }
                let q = self.qualify(f, depth + 1)?;
                if q.name == "Array.from" {
                    return self.fold_list(*args.first()?, depth + 1);
                }
                None
            }
            _ => self
                .fold(n, depth + 1)
                .map(|s| s.chars().map(String::from).collect()),
        }
    }

    fn fold_int(&self, n: Node<'a>, depth: u32) -> Option<i64> {
        if !self.step(depth) {
            return None;
        }
        let n = unwrap(n);
        match n.kind() {
            "number" => {
                let t = self.text(n).replace('_', "").to_ascii_lowercase();
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
            "unary_expression" => {
                let v = self.fold_int(field(n, "argument")?, depth + 1)?;
                match field(n, "operator").map(|o| self.text(o)) {
                    Some("-") => v.checked_neg(),
                    Some("+") => Some(v),
                    _ => None,
                }
            }
            "binary_expression" => {
                let l = self.fold_int(field(n, "left")?, depth + 1)?;
                let r = self.fold_int(field(n, "right")?, depth + 1)?;
                match field(n, "operator").map(|o| self.text(o)) {
                    Some("+") => l.checked_add(r),
                    Some("-") => l.checked_sub(r),
                    Some("*") => l.checked_mul(r),
                    _ => None,
                }
            }
            "identifier" => {
                let bs = self.binds.get(&self.name(n))?;
                match bs.as_slice() {
                    [Bind::Expr(e)] => self.fold_int(*e, depth + 1),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The value binding `i` of `name` gives it, reading the bindings in order.
    fn value_at(&self, name: &str, i: usize, depth: u32) -> Option<String> {
        if !self.step(depth) {
            return None;
        }
        let b = self.binds.get(name)?.get(i)?.clone();
        let v = match b {
            Bind::Expr(e) => {
                let Some(before) = i.checked_sub(1) else {
                    return self.fold(e, depth + 1);
                };
                self.shadow.borrow_mut().push((name.to_string(), before));
                let v = self.fold(e, depth + 1);
                self.shadow.borrow_mut().pop();
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
        memo(&self.folded, &self.cut, &self.budget, name, || {
            self.const_of_uncached(name, depth)
        })
    }

    fn const_of_uncached(&self, name: &str, depth: u32) -> Option<String> {
        let mut value: Option<String> = None;
        for b in self.binds.get(name)? {
            match b {
                Bind::Expr(e) => {
                    if value.is_some() {
                        return None;
                    }
                    value = Some(self.fold(*e, depth + 1)?);
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

    // ── checks ────────────────────────────────────────────────────────────────────────────

    fn node(&mut self, n: Node<'a>) {
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
            && let Some(i) = self.at.get(&n.id()).copied()
        {
            self.fresh();
            if let Some(s) = self.value_at(&self.name(n), i, 0) {
                self.out.strings.push((super::line(n), s));
            }
        }
        if matches!(
            n.kind(),
            "string" | "template_string" | "binary_expression" | "call_expression"
        ) && n.parent().is_none_or(|p| p.kind() != "binary_expression")
        {
            self.fresh();
            if let Some(s) = self.fold(n, 0) {
                self.out.strings.push((super::line(n), s));
            }
        }
    }

    fn rules(&mut self, at: Node<'a>, name: &str) {
        let name = normalize(name);
        if let Some((r, shown)) = match_rule(RULES, &name) {
            let shown = shown.strip_prefix("cjs.").unwrap_or(&shown).to_string();
            self.out
                .hit(at, r.class, r.gate, format!("{} ({shown})", r.what));
        } else if let Some((gate, reason)) = fs_rule(&name) {
            self.out.hit(at, Class::Filesystem, gate, reason);
        }
    }

    fn maximal(&self, n: Node<'a>) -> bool {
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

    fn reference(&mut self, n: Node<'a>) {
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
    fn is_reference(&self, n: Node<'a>) -> bool {
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

    fn identifier(&mut self, n: Node<'a>) {
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
        if !self.binds.contains_key(&name) {
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

    fn import(&mut self, n: Node<'a>) {
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

    fn member_expr(&mut self, n: Node<'a>) {
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
    fn is_error(&self, n: Node<'a>, depth: u32) -> bool {
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
            "identifier" => self.binds.get(&self.name(n)).is_some_and(|bs| {
                bs.iter()
                    .any(|b| matches!(b, Bind::Expr(e) if self.is_error(*e, depth + 1)))
            }),
            _ => false,
        }
    }

    fn subscript(&mut self, n: Node<'a>) {
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

    fn call(&mut self, n: Node<'a>) {
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
    fn key_expr(&self, k: Node<'a>) -> Option<String> {
        self.fresh();
        if let Some(q) = self.qualify(k, 0)
            && q.name.starts_with("Symbol.")
        {
            return Some(format!("[{}]", q.name));
        }
        self.fold(k, 0).filter(|s| exact(s))
    }

    fn new_expr(&mut self, n: Node<'a>) {
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

    fn binary(&mut self, n: Node<'a>) {
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

    fn declarator(&mut self, n: Node<'a>) {
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

    // ── writes ────────────────────────────────────────────────────────────────────────────

    fn assignment(&mut self, n: Node<'a>) {
        let (Some(left), right) = (field(n, "left"), field(n, "right")) else {
            return;
        };
        let aug = n.kind() == "augmented_assignment_expression";
        self.write_target(n, left, if aug { None } else { right }, false);
    }

    fn write_target(&mut self, at: Node<'a>, t: Node<'a>, value: Option<Node<'a>>, delete: bool) {
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

    fn patch_target(&mut self, at: Node<'a>, target: Node<'a>, how: &str) {
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

    fn env(&mut self, n: Node<'a>) {
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

    fn env_write(&mut self, n: Node<'a>, key: &str) {
        self.out.hit(
            n,
            Patching,
            Never,
            format!("changes the process environment (process.env.{key} = …)"),
        );
    }

    fn env_probe(&mut self, n: Node<'a>, shown: &str) {
        self.out.hit(
            n,
            TestDetection,
            Never,
            format!("reads the whole environment ({shown}), which tells a test run from real use"),
        );
    }

    fn env_key(&mut self, n: Node<'a>, key: Option<Key<'a>>) {
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

    // ── equality ──────────────────────────────────────────────────────────────────────────

    /// `key: value` where `key` is a comparison method: judge the function `value` is.
    fn judge_value(&mut self, at: Node<'a>, key: &str, value: Node<'a>) {
        if !is_eq_method(key) {
            return;
        }
        let v = unwrap(value);
        if is_function(v) {
            self.judge(at, key, v);
        } else if v.kind() == "identifier" {
            let id = self.name(v);
            let mut fns: Vec<Node<'a>> = self.funcs.get(&id).cloned().unwrap_or_default();
            for b in self.binds.get(&id).into_iter().flatten() {
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

    fn judge(&mut self, at: Node<'a>, key: &str, f: Node<'a>) {
        if let Some(why) = self.equality(key, f) {
            self.out.hit(at, EqualityGaming, Never, why);
        }
    }

    fn equality(&self, key: &str, f: Node<'a>) -> Option<String> {
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

    fn first_param(&self, f: Node<'a>) -> Option<String> {
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

    fn type_only(&self, r: Node<'a>) -> bool {
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

    fn constant(&self, n: Node<'a>) -> bool {
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

    fn truthy(&self, n: Node<'a>) -> bool {
        let n = unwrap(n);
        match n.kind() {
            "true" => true,
            "number" => self.text(n).chars().any(|c| c.is_ascii_digit() && c != '0'),
            "string" => self.text(n).len() > 2,
            _ => false,
        }
    }
}

fn is_eq_method(key: &str) -> bool {
    key == "asymmetricMatch" || UNARY_EQ.contains(&key) || BINARY_EQ.contains(&key)
}

/// A key of `process.env`: a property name or an expression to fold.
enum Key<'a> {
    Name(String),
    Node(Node<'a>),
}

/// Whether a member or subscript expression is assigned to or deleted.
fn env_written(m: Node) -> bool {
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
