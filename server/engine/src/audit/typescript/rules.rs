//! What a TypeScript or JavaScript implementation may not name: the rules over qualified
//! names, file-system calls ([`fs_rule`]), the globals followed, and the canonical spelling
//! of a name ([`q`]) and a module specifier.

use super::*;

pub(super) const RUNS: &str = "starts processes";
pub(super) const NET: &str = "uses the network";
pub(super) const STACK: &str = "inspects the call stack";
pub(super) const EXITS: &str = "exits the test process";
pub(super) const FRAMEWORK: &str = "imports the test framework";
pub(super) const HANDLER: &str = "registers a process event handler";

/// Qualified names an implementation may not use (or only with the side effect declared).
/// File-system calls are judged by [`fs_rule`].
#[rustfmt::skip]
pub(super) const RULES: &[Rule] = &[
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
pub(super) const FS_WRITES: &[&str] = &[
    "writeFile", "appendFile", "mkdir", "mkdtemp", "rm", "rmdir", "unlink", "rename",
    "copyFile", "cp", "symlink", "link", "chmod", "lchmod", "chown", "lchown", "truncate",
    "ftruncate", "utimes", "lutimes", "futimes", "createWriteStream", "write", "writev",
    "fchmod", "fchown",
];
#[rustfmt::skip]
pub(super) const FS_READS: &[&str] = &[
    "readFile", "readdir", "stat", "lstat", "fstat", "exists", "access", "createReadStream",
    "opendir", "readlink", "realpath", "watch", "watchFile", "read", "readv", "statfs", "glob",
];

/// `fs.writeFileSync` and friends (`fs.promises.…` and `fs/promises` alike).
pub(super) fn fs_rule(name: &str) -> Option<(Gate, String)> {
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
pub(super) const GLOBALS: &[&str] = &[
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
pub(super) const BUILTIN_OBJECTS: &[&str] = &[
    "Object", "Array", "String", "Number", "Boolean", "Symbol", "JSON", "Math", "Promise",
    "Error", "RegExp", "Map", "Set", "WeakMap", "WeakSet", "Date", "Function", "Reflect",
    "console", "process", "Buffer", "Proxy", "Intl", "BigInt",
];

/// Modules (for "patches module …").
#[rustfmt::skip]
pub(super) const MODULES: &[&str] = &[
    "fs", "path", "os", "child_process", "vm", "module", "http", "https", "net", "util",
    "worker_threads", "v8", "inspector", "async_hooks", "cluster", "dgram", "dns", "tls",
    "http2", "crypto", "events", "stream", "url", "assert", "timers", "vitest", "node:test",
];

/// The test runner's globals (`describe`, `expect`, `vi`, …).
pub(super) fn is_test_global(name: &str) -> bool {
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
pub(super) const UNARY_EQ: &[&str] = &["valueOf", "toString", "toJSON", "[Symbol.toPrimitive]"];
pub(super) const BINARY_EQ: &[&str] = &["equals", "isEqual", "compareTo", "[Symbol.hasInstance]"];

pub(super) fn normalize_module(spec: &str) -> String {
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

pub(super) fn normalize(name: &str) -> String {
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

/// The qualified name `name`, under its canonical spelling.
pub(super) fn q(name: &str) -> Q {
    let name = normalize(name);
    let module = MODULES.contains(&name.as_str());
    Q { name, module }
}

pub(super) fn q_module(name: &str) -> Q {
    Q {
        module: true,
        ..q(name)
    }
}
