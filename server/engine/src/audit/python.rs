//! The Python side of the audit: names are resolved through `import … as`, `from … import …
//! as`, assignments and a few run-time lookups (`__import__("os")`, `importlib.import_module`,
//! `getattr(mod, "name")`, `sys.modules["name"]`, `vars(mod)[…]`) to a qualified name such as
//! `os.system`, which is then checked against [`RULES`]; strings are folded (see [`Py::fold`]).

use super::text::{self, UNKNOWN, exact};
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
const READS: &str = "reads the file system";
const WRITES: &str = "writes to the file system";
const STACK: &str = "inspects the call stack";
const EXITS: &str = "exits the test process";
const SKIPS: &str = "skips tests";
const XFAIL: &str = "marks tests as expected failures (xfail)";
const FRAMEWORK: &str = "imports the test framework";

/// Qualified names an implementation may not use (or may use only if the contract declares
/// the side effect), with what using them does.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    // Code built or loaded at run time.
    rule("builtins.exec", DynamicCode, Never, "runs code built at run time"),
    rule("builtins.eval", DynamicCode, Never, "evaluates code built at run time"),
    rule("builtins.compile", DynamicCode, Never, "compiles code at run time"),
    rule("builtins.__import__", DynamicCode, Never, "imports a module by computed name"),
    rule("importlib", DynamicCode, Never, "imports modules at run time"),
    rule("runpy", DynamicCode, Never, "runs a file or module as code"),
    rule("code", DynamicCode, Never, "runs code at run time"),
    rule("codeop", DynamicCode, Never, "compiles code at run time"),
    rule("marshal", DynamicCode, Never, "loads code objects"),
    rule("pickle.load", DynamicCode, Never, "unpickles data, which can run code"),
    rule("pickle.loads", DynamicCode, Never, "unpickles data, which can run code"),
    rule("pickle.Unpickler", DynamicCode, Never, "unpickles data, which can run code"),
    rule("dill", DynamicCode, Never, "unpickles data, which can run code"),
    rule("cloudpickle", DynamicCode, Never, "unpickles data, which can run code"),
    rule("shelve", DynamicCode, Never, "unpickles data, which can run code"),
    rule("types.FunctionType", DynamicCode, Never, "builds a function from a code object"),
    rule("types.LambdaType", DynamicCode, Never, "builds a function from a code object"),
    rule("types.CodeType", DynamicCode, Never, "builds a code object"),
    rule("ctypes", DynamicCode, Never, "calls native code"),
    rule("cffi", DynamicCode, Never, "calls native code"),
    rule("sys.meta_path", DynamicCode, Never, "installs an import hook"),
    rule("sys.path_hooks", DynamicCode, Never, "installs an import hook"),
    rule("sys.path_importer_cache", DynamicCode, Never, "installs an import hook"),
    rule("zipimport", DynamicCode, Never, "imports code from an archive"),
    rule("pkgutil", DynamicCode, Never, "loads modules or data by name"),
    // Frames, tracebacks, tracing.
    rule("builtins.breakpoint", Introspection, Never, "enters the debugger"),
    rule("sys._getframe", Introspection, Never, STACK),
    rule("sys._getframemodulename", Introspection, Never, STACK),
    rule("sys._current_frames", Introspection, Never, STACK),
    rule("sys._current_exceptions", Introspection, Never, STACK),
    rule("sys.settrace", Introspection, Never, "traces the running code"),
    rule("sys.setprofile", Introspection, Never, "traces the running code"),
    rule("sys.monitoring", Introspection, Never, "traces the running code"),
    rule("sys.addaudithook", Introspection, Never, "hooks the interpreter's audit events"),
    rule("sys.last_traceback", Introspection, Never, STACK),
    rule("sys.last_exc", Introspection, Never, STACK),
    rule("sys.last_value", Introspection, Never, STACK),
    rule("inspect.stack", Introspection, Never, STACK),
    rule("inspect.trace", Introspection, Never, STACK),
    rule("inspect.currentframe", Introspection, Never, STACK),
    rule("inspect.getouterframes", Introspection, Never, STACK),
    rule("inspect.getinnerframes", Introspection, Never, STACK),
    rule("inspect.getframeinfo", Introspection, Never, STACK),
    rule("inspect.getargvalues", Introspection, Never, STACK),
    rule("inspect.getsource", Introspection, Never, "reads source code by introspection"),
    rule("inspect.getsourcelines", Introspection, Never, "reads source code by introspection"),
    rule("inspect.getsourcefile", Introspection, Never, "reads source code by introspection"),
    rule("inspect.getfile", Introspection, Never, "reads source code by introspection"),
    rule("inspect.getmodule", Introspection, Never, "finds modules by introspection"),
    rule("inspect.getcomments", Introspection, Never, "reads source code by introspection"),
    rule("traceback.extract_stack", Introspection, Never, STACK),
    rule("traceback.format_stack", Introspection, Never, STACK),
    rule("traceback.print_stack", Introspection, Never, STACK),
    rule("traceback.walk_stack", Introspection, Never, STACK),
    rule("traceback.walk_tb", Introspection, Never, STACK),
    rule("traceback.extract_tb", Introspection, Never, STACK),
    rule("traceback.StackSummary", Introspection, Never, STACK),
    rule("traceback.FrameSummary", Introspection, Never, STACK),
    rule("gc.get_referrers", Introspection, Never, "finds objects through the garbage collector"),
    rule("gc.get_referents", Introspection, Never, "finds objects through the garbage collector"),
    rule("gc.get_objects", Introspection, Never, "finds objects through the garbage collector"),
    rule("threading.settrace", Introspection, Never, "traces the running code"),
    rule("threading.setprofile", Introspection, Never, "traces the running code"),
    rule("threading.settrace_all_threads", Introspection, Never, "traces the running code"),
    rule("threading.setprofile_all_threads", Introspection, Never, "traces the running code"),
    rule("faulthandler", Introspection, Never, STACK),
    rule("pdb", Introspection, Never, "runs a debugger"),
    rule("bdb", Introspection, Never, "runs a debugger"),
    rule("trace", Introspection, Never, "traces the running code"),
    // Telling a test run from real use.
    rule("sys.argv", TestDetection, Never, "inspects the command line"),
    rule("sys.orig_argv", TestDetection, Never, "inspects the command line"),
    rule("sys.gettrace", TestDetection, Never, "checks whether a tracer (coverage, a debugger) is running"),
    rule("sys.getprofile", TestDetection, Never, "checks whether a profiler is running"),
    rule("sys._xoptions", TestDetection, Never, "inspects the interpreter's options"),
    rule("sys._called_from_test", TestDetection, Never, "looks for a test-run marker"),
    rule("__main__", TestDetection, Never, "inspects the main program"),
    rule("os.getppid", TestDetection, Never, "inspects its parent process"),
    // Exit hooks and signals.
    rule("sys.exit", ExitHook, Never, EXITS),
    rule("builtins.exit", ExitHook, Never, EXITS),
    rule("builtins.quit", ExitHook, Never, EXITS),
    rule("os._exit", ExitHook, Never, EXITS),
    rule("os.abort", ExitHook, Never, "aborts the test process"),
    rule("os.kill", ExitHook, Never, "sends signals"),
    rule("os.killpg", ExitHook, Never, "sends signals"),
    rule("signal", ExitHook, Never, "handles or sends signals"),
    rule("atexit", ExitHook, Never, "registers exit hooks"),
    rule("sys.exitfunc", ExitHook, Never, "registers exit hooks"),
    rule("os.register_at_fork", ExitHook, Never, "registers fork hooks"),
    rule("_thread.interrupt_main", ExitHook, Never, "interrupts the test process"),
    // The test framework.
    rule("pytest", TestFramework, Never, FRAMEWORK),
    rule("pytest.skip", TestFramework, Never, SKIPS),
    rule("pytest.importorskip", TestFramework, Never, SKIPS),
    rule("pytest.mark.skip", TestFramework, Never, SKIPS),
    rule("pytest.mark.skipif", TestFramework, Never, SKIPS),
    rule("pytest.xfail", TestFramework, Never, XFAIL),
    rule("pytest.mark.xfail", TestFramework, Never, XFAIL),
    rule("pytest.exit", TestFramework, Never, "ends the test session"),
    rule("_pytest", TestFramework, Never, "reaches into pytest's internals"),
    rule("pluggy", TestFramework, Never, "reaches into pytest's plugin system"),
    rule("unittest", TestFramework, Never, FRAMEWORK),
    rule("unittest.skip", TestFramework, Never, SKIPS),
    rule("unittest.skipIf", TestFramework, Never, SKIPS),
    rule("unittest.skipUnless", TestFramework, Never, SKIPS),
    rule("unittest.SkipTest", TestFramework, Never, "skips tests (SkipTest)"),
    rule("unittest.case.SkipTest", TestFramework, Never, "skips tests (SkipTest)"),
    rule("unittest.expectedFailure", TestFramework, Never, XFAIL),
    rule("unittest.mock", TestFramework, Never, "uses the test framework's mocks (mock.ANY equals everything)"),
    rule("doctest", TestFramework, Never, FRAMEWORK),
    rule("nose", TestFramework, Never, FRAMEWORK),
    // Processes.
    rule("subprocess", Class::Process, Gate::Process, RUNS),
    rule("os.system", Class::Process, Gate::Process, RUNS),
    rule("os.popen", Class::Process, Gate::Process, RUNS),
    rule("os.exec*", Class::Process, Gate::Process, RUNS),
    rule("os.spawn*", Class::Process, Gate::Process, RUNS),
    rule("os.posix_spawn*", Class::Process, Gate::Process, RUNS),
    rule("os.fork*", Class::Process, Gate::Process, RUNS),
    rule("os.startfile", Class::Process, Gate::Process, RUNS),
    rule("pty", Class::Process, Gate::Process, RUNS),
    rule("multiprocessing", Class::Process, Gate::Process, RUNS),
    rule("concurrent.futures.ProcessPoolExecutor", Class::Process, Gate::Process, RUNS),
    rule("asyncio.create_subprocess_exec", Class::Process, Gate::Process, RUNS),
    rule("asyncio.create_subprocess_shell", Class::Process, Gate::Process, RUNS),
    rule("psutil", Class::Process, Gate::Process, "inspects or controls processes"),
    rule("pexpect", Class::Process, Gate::Process, RUNS),
    rule("sh", Class::Process, Gate::Process, RUNS),
    rule("plumbum", Class::Process, Gate::Process, RUNS),
    // The network.
    rule("socket", Class::Network, Gate::Network, NET),
    rule("ssl", Class::Network, Gate::Network, NET),
    rule("socketserver", Class::Network, Gate::Network, NET),
    rule("urllib.request", Class::Network, Gate::Network, NET),
    rule("urllib3", Class::Network, Gate::Network, NET),
    rule("http.client", Class::Network, Gate::Network, NET),
    rule("http.server", Class::Network, Gate::Network, NET),
    rule("http.cookiejar", Class::Network, Gate::Network, NET),
    rule("requests", Class::Network, Gate::Network, NET),
    rule("httpx", Class::Network, Gate::Network, NET),
    rule("aiohttp", Class::Network, Gate::Network, NET),
    rule("ftplib", Class::Network, Gate::Network, NET),
    rule("smtplib", Class::Network, Gate::Network, NET),
    rule("poplib", Class::Network, Gate::Network, NET),
    rule("imaplib", Class::Network, Gate::Network, NET),
    rule("nntplib", Class::Network, Gate::Network, NET),
    rule("telnetlib", Class::Network, Gate::Network, NET),
    rule("xmlrpc", Class::Network, Gate::Network, NET),
    rule("websocket", Class::Network, Gate::Network, NET),
    rule("websockets", Class::Network, Gate::Network, NET),
    rule("asyncio.open_connection", Class::Network, Gate::Network, NET),
    rule("asyncio.start_server", Class::Network, Gate::Network, NET),
    rule("asyncio.open_unix_connection", Class::Network, Gate::Network, NET),
    rule("asyncio.start_unix_server", Class::Network, Gate::Network, NET),
    rule("pycurl", Class::Network, Gate::Network, NET),
    rule("paramiko", Class::Network, Gate::Network, NET),
    rule("grpc", Class::Network, Gate::Network, NET),
    rule("webbrowser", Class::Network, Gate::Network, NET),
    // The file system.
    rule("os.listdir", Class::Filesystem, FileRead, READS),
    rule("os.scandir", Class::Filesystem, FileRead, READS),
    rule("os.walk", Class::Filesystem, FileRead, READS),
    rule("os.fwalk", Class::Filesystem, FileRead, READS),
    rule("os.stat", Class::Filesystem, FileRead, READS),
    rule("os.lstat", Class::Filesystem, FileRead, READS),
    rule("os.access", Class::Filesystem, FileRead, READS),
    rule("os.readlink", Class::Filesystem, FileRead, READS),
    rule("os.read", Class::Filesystem, FileRead, READS),
    rule("os.getcwd", Class::Filesystem, FileRead, "reads the working directory"),
    rule("os.getcwdb", Class::Filesystem, FileRead, "reads the working directory"),
    rule("os.path.exists", Class::Filesystem, FileRead, READS),
    rule("os.path.lexists", Class::Filesystem, FileRead, READS),
    rule("os.path.isfile", Class::Filesystem, FileRead, READS),
    rule("os.path.isdir", Class::Filesystem, FileRead, READS),
    rule("os.path.islink", Class::Filesystem, FileRead, READS),
    rule("os.path.ismount", Class::Filesystem, FileRead, READS),
    rule("os.path.getsize", Class::Filesystem, FileRead, READS),
    rule("os.path.getmtime", Class::Filesystem, FileRead, READS),
    rule("os.path.getatime", Class::Filesystem, FileRead, READS),
    rule("os.path.getctime", Class::Filesystem, FileRead, READS),
    rule("os.path.realpath", Class::Filesystem, FileRead, READS),
    rule("os.path.samefile", Class::Filesystem, FileRead, READS),
    rule("glob", Class::Filesystem, FileRead, READS),
    rule("linecache", Class::Filesystem, FileRead, READS),
    rule("fileinput", Class::Filesystem, FileRead, READS),
    rule("filecmp", Class::Filesystem, FileRead, READS),
    rule("mmap", Class::Filesystem, FileRead, READS),
    rule("pathlib.Path.cwd", Class::Filesystem, FileRead, "reads the working directory"),
    rule("pathlib.Path.home", Class::Filesystem, FileRead, READS),
    rule("os.remove", Class::Filesystem, FileWrite, WRITES),
    rule("os.unlink", Class::Filesystem, FileWrite, WRITES),
    rule("os.rename", Class::Filesystem, FileWrite, WRITES),
    rule("os.renames", Class::Filesystem, FileWrite, WRITES),
    rule("os.replace", Class::Filesystem, FileWrite, WRITES),
    rule("os.mkdir", Class::Filesystem, FileWrite, WRITES),
    rule("os.makedirs", Class::Filesystem, FileWrite, WRITES),
    rule("os.rmdir", Class::Filesystem, FileWrite, WRITES),
    rule("os.removedirs", Class::Filesystem, FileWrite, WRITES),
    rule("os.chmod", Class::Filesystem, FileWrite, WRITES),
    rule("os.lchmod", Class::Filesystem, FileWrite, WRITES),
    rule("os.chown", Class::Filesystem, FileWrite, WRITES),
    rule("os.lchown", Class::Filesystem, FileWrite, WRITES),
    rule("os.link", Class::Filesystem, FileWrite, WRITES),
    rule("os.symlink", Class::Filesystem, FileWrite, WRITES),
    rule("os.truncate", Class::Filesystem, FileWrite, WRITES),
    rule("os.write", Class::Filesystem, FileWrite, WRITES),
    rule("os.utime", Class::Filesystem, FileWrite, WRITES),
    rule("os.mkfifo", Class::Filesystem, FileWrite, WRITES),
    rule("os.mknod", Class::Filesystem, FileWrite, WRITES),
    rule("os.chroot", Class::Filesystem, FileWrite, WRITES),
    rule("shutil.copy*", Class::Filesystem, FileWrite, WRITES),
    rule("shutil.move", Class::Filesystem, FileWrite, WRITES),
    rule("shutil.rmtree", Class::Filesystem, FileWrite, WRITES),
    rule("shutil.make_archive", Class::Filesystem, FileWrite, WRITES),
    rule("shutil.unpack_archive", Class::Filesystem, FileWrite, WRITES),
    rule("shutil.chown", Class::Filesystem, FileWrite, WRITES),
    rule("tempfile", Class::Filesystem, FileWrite, WRITES),
    rule("sqlite3", Class::Filesystem, FileWrite, WRITES),
    rule("dbm", Class::Filesystem, FileWrite, WRITES),
    rule("logging.FileHandler", Class::Filesystem, FileWrite, WRITES),
    rule("logging.handlers", Class::Filesystem, FileWrite, WRITES),
    // The process's own state.
    rule("os.putenv", Patching, Never, "changes the process environment"),
    rule("os.unsetenv", Patching, Never, "changes the process environment"),
    rule("os.chdir", Patching, Never, "changes the working directory"),
    rule("os.fchdir", Patching, Never, "changes the working directory"),
    rule("os.umask", Patching, Never, "changes the process state"),
    rule("os.setuid", Patching, Never, "changes the process state"),
    rule("os.setgid", Patching, Never, "changes the process state"),
    rule("os.seteuid", Patching, Never, "changes the process state"),
    rule("os.setegid", Patching, Never, "changes the process state"),
    rule("os.setsid", Patching, Never, "changes the process state"),
    rule("os.setpgid", Patching, Never, "changes the process state"),
    rule("os.nice", Patching, Never, "changes the process state"),
];

/// Attributes flagged on any object: frames, function internals, escape hatches.
#[rustfmt::skip]
const ATTRS: &[(&str, Class, &str)] = &[
    ("f_back", Introspection, "reaches the caller's stack frame"),
    ("f_globals", Introspection, "reads a stack frame's globals"),
    ("f_locals", Introspection, "reads a stack frame's locals"),
    ("f_builtins", Introspection, "reads a stack frame's builtins"),
    ("f_code", Introspection, "reads a stack frame's code"),
    ("f_trace", Introspection, "traces a stack frame"),
    ("tb_frame", Introspection, "reaches stack frames through a traceback"),
    ("gi_frame", Introspection, "reaches a generator's stack frame"),
    ("cr_frame", Introspection, "reaches a coroutine's stack frame"),
    ("ag_frame", Introspection, "reaches a generator's stack frame"),
    ("__code__", DynamicCode, "reads or replaces a function's code"),
    ("__globals__", Introspection, "reads a function's module globals"),
    ("__closure__", Introspection, "reads a function's closure"),
    ("__subclasses__", DynamicCode, "walks the class hierarchy to reach hidden objects"),
    ("__builtins__", Patching, "reaches into Python builtins"),
    ("_called_from_test", TestDetection, "looks for a test-run marker"),
];

/// Attribute names that mean one thing whatever the receiver (used when the receiver cannot
/// be resolved: a module reached some way the audit does not follow).
#[rustfmt::skip]
const UNMISTAKABLE: &[(&str, &str)] = &[
    ("_getframe", "sys._getframe"),
    ("_current_frames", "sys._current_frames"),
    ("settrace", "sys.settrace"),
    ("setprofile", "sys.setprofile"),
    ("addaudithook", "sys.addaudithook"),
    ("currentframe", "inspect.currentframe"),
    ("getouterframes", "inspect.getouterframes"),
    ("extract_stack", "traceback.extract_stack"),
    ("get_referrers", "gc.get_referrers"),
    ("get_referents", "gc.get_referents"),
    ("import_module", "importlib.import_module"),
    ("module_from_spec", "importlib.util.module_from_spec"),
    ("spec_from_file_location", "importlib.util.spec_from_file_location"),
    ("exec_module", "importlib.abc.Loader.exec_module"),
    ("_exit", "os._exit"),
    ("__import__", "builtins.__import__"),
];

/// Comparison methods whose answer must depend on the other operand.
#[rustfmt::skip]
const BINARY_DUNDERS: &[&str] = &[
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__cmp__", "__contains__",
    "__instancecheck__", "__subclasscheck__",
];
/// Methods that must not be constant either (`assert result`, hashing into sets).
const UNARY_DUNDERS: &[&str] = &["__hash__", "__bool__"];

/// Module-level names pytest reads from any module it imports.
#[rustfmt::skip]
const PYTEST_NAMES: &[&str] = &[
    "pytestmark", "pytest_plugins", "collect_ignore", "collect_ignore_glob",
];

/// Builtins the audit resolves when the file does not rebind them.
#[rustfmt::skip]
const BUILTINS: &[&str] = &[
    "exec", "eval", "compile", "__import__", "open", "getattr", "setattr", "delattr", "hasattr",
    "globals", "locals", "vars", "breakpoint", "exit", "quit", "SystemExit",
    "KeyboardInterrupt", "str", "chr", "ord", "bytes", "bytearray", "bool", "object", "type",
    "reversed", "list", "tuple", "map", "isinstance", "issubclass", "callable", "id",
];

/// Names that are modules (for "getattr on a module object").
#[rustfmt::skip]
const MODULES: &[&str] = &[
    "os", "os.path", "sys", "builtins", "importlib", "importlib.util", "importlib.machinery",
    "importlib.resources", "importlib.abc", "importlib.metadata", "inspect", "gc", "ctypes",
    "pytest", "_pytest", "unittest", "unittest.mock", "subprocess", "socket", "signal",
    "atexit", "shutil", "pathlib", "io", "threading", "multiprocessing", "traceback", "types",
    "marshal", "pickle", "runpy", "code", "codeop", "http", "http.client", "urllib",
    "urllib.request", "json", "re", "math", "random", "time", "logging", "collections",
    "functools", "itertools", "operator", "tempfile", "glob", "pkgutil", "zipimport",
    "faulthandler", "pdb", "__main__", "asyncio", "ssl", "select", "selectors", "platform",
    "getpass", "codecs", "base64", "string", "struct", "weakref", "copy", "dataclasses", "enum",
    "typing", "abc", "contextlib", "warnings", "linecache", "tokenize", "dis", "site",
    "sysconfig", "_thread", "pluggy", "doctest",
];

/// Private and platform names of the modules the rules speak about.
#[rustfmt::skip]
const ALIASES: &[(&str, &str)] = &[
    ("posixpath", "os.path"),
    ("ntpath", "os.path"),
    ("genericpath", "os.path"),
    ("posix", "os"),
    ("nt", "os"),
    ("_io", "io"),
    ("_socket", "socket"),
    ("_signal", "signal"),
    ("_posixsubprocess", "subprocess"),
    ("_pickle", "pickle"),
    ("_imp", "importlib"),
    ("_frozen_importlib_external", "importlib"),
    ("_frozen_importlib", "importlib"),
    ("_ctypes", "ctypes"),
    ("_atexit", "atexit"),
    ("__builtin__", "builtins"),
    ("__builtins__", "builtins"),
    ("py.test", "pytest"),
    ("io.open", "builtins.open"),
    ("io.open_code", "builtins.open"),
];

fn normalize(name: &str) -> String {
    for (from, to) in ALIASES {
        if let Some(rest) = name.strip_prefix(from)
            && (rest.is_empty() || rest.starts_with('.'))
        {
            return format!("{to}{rest}");
        }
    }
    name.to_string()
}

/// A qualified name, and whether it names a module.
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

/// How a name is bound somewhere in the file (flow-insensitive: every binding counts).
#[derive(Debug, Clone, Copy)]
enum Bind<'a> {
    /// `import a.b as c` (`c` → `a.b`); `import a.b` binds `a` → `a`.
    Module(&'a str),
    /// `from m import x as y` (`y` → `m.x`).
    From(&'a str, &'a str),
    /// `y = <expr>`, `(y := <expr>)`.
    Expr(Node<'a>),
    /// A parameter's default: followed to name a module, never taken as the value.
    Default(Node<'a>),
    /// `y += <expr>`.
    Aug(Node<'a>),
    /// Anything the audit does not follow (a def, a parameter, a loop variable, a local module).
    Opaque,
}

/// Folded strings longer than this are given up on (a doubling loop cannot blow up).
const MAX_FOLD: usize = 8 << 10;
/// Resolution and folding steps per question asked (adversarial aliasing stays linear).
const BUDGET: u32 = 5_000;

pub(crate) fn scan(tree: &Tree, src: &str, local: &HashSet<String>) -> Scan {
    let mut py = Py {
        src,
        local,
        binds: HashMap::new(),
        defs: HashMap::new(),
        stars: Vec::new(),
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
    py.collect(root);
    warm(&py.resolved, &py.order, |n| {
        py.fresh();
        py.resolve(n, 0);
    });
    visit(root, |n, _| {
        py.node(n);
        true
    });
    py.out
}

struct Py<'a> {
    src: &'a str,
    local: &'a HashSet<String>,
    binds: HashMap<&'a str, Vec<Bind<'a>>>,
    defs: HashMap<&'a str, Vec<Node<'a>>>,
    /// Modules imported with `from m import *`.
    stars: Vec<&'a str>,
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

fn unparen(mut n: Node) -> Node {
    while n.kind() == "parenthesized_expression" {
        match n.named_child(0) {
            Some(i) => n = i,
            None => break,
        }
    }
    n
}

impl<'a> Py<'a> {
    fn text(&self, n: Node) -> &'a str {
        node_text(n, self.src)
    }

    /// [`Self::bind`], remembering which binding the name node `at` makes.
    fn bind_at(&mut self, at: Node<'a>, b: Bind<'a>) {
        let name = self.text(at);
        let index = self.binds.get(name).map_or(0, Vec::len);
        self.at.insert(at.id(), index);
        self.bind(name, b);
    }

    fn bind(&mut self, name: &'a str, b: Bind<'a>) {
        let e = self.binds.entry(name).or_default();
        if e.is_empty() {
            self.order.push(name.to_string());
        }
        e.push(b);
    }

    fn is_local(&self, module: &str) -> bool {
        let root = module.split('.').next().unwrap_or(module);
        self.local.contains(root)
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
                                    Bind::Module(first)
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
                                        Bind::Module(full)
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
                            Some(m) => Bind::From(m, orig),
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

    // ── resolution ────────────────────────────────────────────────────────────────────────

    /// The qualified name an expression stands for, when the audit can tell.
    fn qualify(&self, n: Node<'a>, depth: u32) -> Option<Q> {
        if !self.step(depth) {
            return None;
        }
        match n.kind() {
            "identifier" => self.resolve(self.text(n), depth),
            "attribute" => {
                let o = self.qualify(field(n, "object")?, depth + 1)?;
                let a = self.text(field(n, "attribute")?);
                Some(Q::new(&format!("{}.{a}", o.name)))
            }
            "subscript" => {
                let value = field(n, "value")?;
                let key = self
                    .fold(field(n, "subscript")?, depth + 1)
                    .filter(|k| exact(k))?;
                let vq = self.qualify(value, depth + 1)?;
                if vq.name == "sys.modules" {
                    return Some(Q::module(&key));
                }
                if vq.name == "builtins.globals()" {
                    return self.resolve(&key, depth + 1);
                }
                if let Some(m) = vq.name.strip_suffix(".__dict__") {
                    return Some(Q::new(&format!("{m}.{key}")));
                }
                if vq.name == "builtins" {
                    return Some(Q::new(&format!("builtins.{key}")));
                }
                None
            }
            "call" => {
                let f = self.qualify(field(n, "function")?, depth + 1)?;
                let (pos, _) = self.args(n);
                match f.name.as_str() {
                    "builtins.__import__" | "importlib.import_module" | "importlib.__import__" => {
                        let m = self.fold(*pos.first()?, depth + 1).filter(|m| exact(m))?;
                        Some(Q::module(&m))
                    }
                    "builtins.getattr" => {
                        let o = self.qualify(*pos.first()?, depth + 1)?;
                        let a = self.fold(*pos.get(1)?, depth + 1).filter(|a| exact(a))?;
                        Some(Q::new(&format!("{}.{a}", o.name)))
                    }
                    "builtins.vars" if pos.len() == 1 => {
                        let o = self.qualify(pos[0], depth + 1)?;
                        Some(Q::new(&format!("{}.__dict__", o.name)))
                    }
                    "builtins.vars" | "builtins.globals" | "builtins.locals" if pos.is_empty() => {
                        Some(Q::new("builtins.globals()"))
                    }
                    _ => None,
                }
            }
            "parenthesized_expression" => self.qualify(n.named_child(0)?, depth + 1),
            _ => None,
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
                        Bind::Aug(_) | Bind::Opaque => {}
                    }
                }
                None
            }
            None if name == "__builtins__" => Some(Q::module("builtins")),
            None if BUILTINS.contains(&name) => Some(Q::new(&format!("builtins.{name}"))),
            None => self.stars.iter().find_map(|m| {
                let full = normalize(&format!("{m}.{name}"));
                match_rule(RULES, &full).map(|_| Q::new(&full))
            }),
        }
    }

    /// Positional and keyword arguments of a call.
    fn args(&self, call: Node<'a>) -> (Vec<Node<'a>>, Vec<(&'a str, Node<'a>)>) {
        let mut pos = Vec::new();
        let mut kw = Vec::new();
        if let Some(al) = field(call, "arguments") {
            if al.kind() != "argument_list" {
                pos.push(al);
            } else {
                for a in named_children(al) {
                    match a.kind() {
                        "keyword_argument" => {
                            if let (Some(k), Some(v)) = (field(a, "name"), field(a, "value")) {
                                kw.push((self.text(k), v));
                            }
                        }
                        _ => pos.push(a),
                    }
                }
            }
        }
        (pos, kw)
    }

    fn arg(&self, call: Node<'a>, i: usize, key: &str) -> Option<Node<'a>> {
        let (pos, kw) = self.args(call);
        pos.get(i)
            .copied()
            .or_else(|| kw.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
    }

    // ── string folding ────────────────────────────────────────────────────────────────────

    /// The string an expression evaluates to, as far as the audit can compute it: literals,
    /// f-strings, `+`, `%`, `str.format`, `join`, `chr`, `[::-1]`, `os.path.join`, `Path(…)`,
    /// base64/hex/rot13, names bound once. Unknown parts are [`UNKNOWN`]; `None` if nothing is
    /// known.
    fn fold(&self, n: Node<'a>, depth: u32) -> Option<String> {
        if !self.step(depth) {
            return None;
        }
        let s = match n.kind() {
            "string" => Some(self.fold_string(n, depth)),
            "concatenated_string" => Some(
                named_children(n)
                    .into_iter()
                    .map(|c| self.fold_or_unknown(c, depth + 1))
                    .collect(),
            ),
            "parenthesized_expression" => self.fold(n.named_child(0)?, depth + 1),
            "binary_operator" => self.fold_binary(n, depth),
            "identifier" => {
                let name = self.text(n);
                let shadowed = self
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
            "call" => self.fold_call(n, depth),
            "subscript" => {
                let slice = field(n, "subscript")?;
                if slice.kind() == "slice" && self.text(slice).replace(' ', "") == "::-1" {
                    self.fold(field(n, "value")?, depth + 1)
                        .map(|s| s.chars().rev().collect())
                } else {
                    None
                }
            }
            _ => None,
        };
        s.filter(|s| s.len() <= MAX_FOLD)
    }

    fn fold_or_unknown(&self, n: Node<'a>, depth: u32) -> String {
        self.fold(n, depth).unwrap_or_else(|| UNKNOWN.to_string())
    }

    fn fold_string(&self, n: Node<'a>, depth: u32) -> String {
        let start = n
            .child(0)
            .map(|s| self.text(s).to_ascii_lowercase())
            .unwrap_or_default();
        let raw = start.contains('r');
        let formatted = start.contains('f') || start.contains('t');
        let mut out = String::new();
        for c in named_children(n) {
            match c.kind() {
                "string_content" => {
                    let t = self.text(c);
                    let t = if formatted {
                        t.replace("{{", "{").replace("}}", "}")
                    } else {
                        t.to_string()
                    };
                    out.push_str(&if raw { t } else { text::decode_py(&t) });
                }
                "interpolation" => match field(c, "expression") {
                    Some(e) => out.push_str(&self.fold_or_unknown(e, depth + 1)),
                    None => out.push(UNKNOWN),
                },
                _ => {}
            }
        }
        out
    }

    fn fold_binary(&self, n: Node<'a>, depth: u32) -> Option<String> {
        let op = |b: Node| field(b, "operator").map(|o| self.text(o)).unwrap_or("");
        match op(n) {
            "+" => {
                // `a + b + c` nests to the left: walk the spine instead of recursing.
                let mut parts = Vec::new();
                let mut cur = n;
                while cur.kind() == "binary_operator" && op(cur) == "+" {
                    parts.push(field(cur, "right")?);
                    cur = field(cur, "left")?;
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
            "%" => {
                let t = self
                    .fold(field(n, "left")?, depth + 1)
                    .filter(|t| exact(t))?;
                let right = unparen(field(n, "right")?);
                let args: Vec<Option<String>> = if right.kind() == "tuple" {
                    named_children(right)
                        .into_iter()
                        .map(|a| self.fold(a, depth + 1))
                        .collect()
                } else {
                    vec![self.fold(right, depth + 1)]
                };
                Some(text::py_percent(&t, &args))
            }
            "/" => {
                let l = self.fold(field(n, "left")?, depth + 1)?;
                let r = self.fold_or_unknown(field(n, "right")?, depth + 1);
                Some(text::path_join(&[l, r]))
            }
            _ => None,
        }
    }

    fn fold_call(&self, n: Node<'a>, depth: u32) -> Option<String> {
        let f = field(n, "function")?;
        let (pos, kw) = self.args(n);
        if f.kind() == "attribute"
            && let Some(s) = self.fold_method(f, &pos, &kw, depth)
        {
            return Some(s);
        }
        let q = self.qualify(f, depth + 1)?;
        let first = || pos.first().and_then(|a| self.fold(*a, depth + 1));
        match q.name.as_str() {
            "builtins.str" | "os.fsdecode" | "os.fsencode" => first(),
            "builtins.bytes" | "builtins.bytearray" => {
                let a = *pos.first()?;
                if matches!(a.kind(), "list" | "tuple") {
                    self.fold_list(a, depth + 1).map(|l| l.concat())
                } else {
                    first()
                }
            }
            "builtins.chr" => {
                let v = self.fold_int(*pos.first()?, depth + 1)?;
                char::from_u32(u32::try_from(v).ok()?).map(String::from)
            }
            "builtins.bytes.fromhex" | "builtins.bytearray.fromhex" => {
                text::hex(&first().filter(|s| exact(s))?)
            }
            "base64.b64decode"
            | "base64.standard_b64decode"
            | "base64.urlsafe_b64decode"
            | "base64.decodebytes" => text::base64(&first().filter(|s| exact(s))?),
            "codecs.decode" => {
                let s = first().filter(|s| exact(s))?;
                let how = pos
                    .get(1)
                    .and_then(|a| self.fold(*a, depth + 1))
                    .unwrap_or_default()
                    .to_ascii_lowercase()
                    .replace(['_', '-'], "");
                match how.as_str() {
                    "rot13" => Some(text::rot13(&s)),
                    "hex" => text::hex(&s),
                    "base64" => text::base64(&s),
                    _ => None,
                }
            }
            "urllib.parse.unquote" | "urllib.parse.unquote_plus" => {
                first().map(|s| text::percent_decode(&s))
            }
            "os.path.join"
            | "pathlib.Path"
            | "pathlib.PurePath"
            | "pathlib.PosixPath"
            | "pathlib.PurePosixPath" => {
                let parts: Vec<Option<String>> =
                    pos.iter().map(|a| self.fold(*a, depth + 1)).collect();
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

    /// `sep.join(…)`, `t.format(…)`, `s.lower()`, `s.replace(a, b)`, ….
    fn fold_method(
        &self,
        f: Node<'a>,
        pos: &[Node<'a>],
        kw: &[(&'a str, Node<'a>)],
        depth: u32,
    ) -> Option<String> {
        let recv = field(f, "object")?;
        match self.text(field(f, "attribute")?) {
            "join" => {
                let sep = self.fold(recv, depth + 1).filter(|s| exact(s))?;
                let items = self.fold_list(*pos.first()?, depth + 1)?;
                Some(items.join(&sep))
            }
            "format" => {
                let t = self.fold(recv, depth + 1).filter(|t| exact(t))?;
                let positional: Vec<Option<String>> =
                    pos.iter().map(|a| self.fold(*a, depth + 1)).collect();
                let named: Vec<(String, Option<String>)> = kw
                    .iter()
                    .map(|(k, v)| (k.to_string(), self.fold(*v, depth + 1)))
                    .collect();
                Some(text::py_format(&t, &positional, &named))
            }
            "lower" | "casefold" => self.fold(recv, depth + 1).map(|s| s.to_lowercase()),
            "upper" => self.fold(recv, depth + 1).map(|s| s.to_uppercase()),
            "strip" | "lstrip" | "rstrip" if pos.is_empty() => {
                self.fold(recv, depth + 1).map(|s| s.trim().to_string())
            }
            "replace" => {
                let s = self.fold(recv, depth + 1)?;
                let a = self.fold(*pos.first()?, depth + 1).filter(|a| exact(a))?;
                let b = self.fold(*pos.get(1)?, depth + 1).filter(|b| exact(b))?;
                (!a.is_empty()).then(|| s.replace(&a, &b))
            }
            "decode" | "encode" => self.fold(recv, depth + 1),
            _ => None,
        }
    }

    /// The items of something `join` can iterate: a list/tuple/set literal, `reversed(…)`,
    /// `list(…)`, `map(chr, …)`, `s.split(…)`, or a string (its characters).
    fn fold_list(&self, n: Node<'a>, depth: u32) -> Option<Vec<String>> {
        if !self.step(depth) {
            return None;
        }
        let n = unparen(n);
        match n.kind() {
            "list" | "tuple" | "set" => Some(
                named_children(n)
                    .into_iter()
                    .map(|c| self.fold_or_unknown(c, depth + 1))
                    .collect(),
            ),
            "call" => {
                let f = field(n, "function")?;
                let (pos, _) = self.args(n);
                if f.kind() == "attribute"
                    && field(f, "attribute").map(|a| self.text(a)) == Some("split")
                {
                    let s = self
                        .fold(field(f, "object")?, depth + 1)
                        .filter(|s| exact(s))?;
                    return match pos.first() {
                        Some(sep) => {
                            let sep = self
                                .fold(*sep, depth + 1)
                                .filter(|s| exact(s) && !s.is_empty())?;
                            Some(s.split(sep.as_str()).map(String::from).collect())
                        }
                        None => Some(s.split_whitespace().map(String::from).collect()),
                    };
                }
                let q = self.qualify(f, depth + 1)?;
                match q.name.as_str() {
                    "builtins.reversed" => {
                        let mut l = self.fold_list(*pos.first()?, depth + 1)?;
                        l.reverse();
                        Some(l)
                    }
                    "builtins.list" | "builtins.tuple" => self.fold_list(*pos.first()?, depth + 1),
                    "builtins.map" => {
                        let func = self.qualify(*pos.first()?, depth + 1)?;
                        if func.name != "builtins.chr" {
                            return None;
                        }
                        let items = unparen(*pos.get(1)?);
                        named_children(items)
                            .into_iter()
                            .map(|i| {
                                self.fold_int(i, depth + 1)
                                    .and_then(|v| u32::try_from(v).ok())
                                    .and_then(char::from_u32)
                                    .map(String::from)
                            })
                            .collect()
                    }
                    _ => self
                        .fold(n, depth + 1)
                        .map(|s| s.chars().map(String::from).collect()),
                }
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
        let n = unparen(n);
        match n.kind() {
            "integer" => {
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
            "unary_operator" => {
                let v = self.fold_int(field(n, "argument")?, depth + 1)?;
                match field(n, "operator").map(|o| self.text(o)) {
                    Some("-") => v.checked_neg(),
                    Some("+") => Some(v),
                    _ => None,
                }
            }
            "binary_operator" => {
                let l = self.fold_int(field(n, "left")?, depth + 1)?;
                let r = self.fold_int(field(n, "right")?, depth + 1)?;
                match field(n, "operator").map(|o| self.text(o)) {
                    Some("+") => l.checked_add(r),
                    Some("-") => l.checked_sub(r),
                    Some("*") => l.checked_mul(r),
                    _ => None,
                }
            }
            "call" => {
                let q = self.qualify(field(n, "function")?, depth + 1)?;
                let (pos, _) = self.args(n);
                if q.name == "builtins.ord" {
                    let s = self.fold(*pos.first()?, depth + 1)?;
                    let mut cs = s.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) if c != UNKNOWN => Some(c as i64),
                        _ => None,
                    }
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// The value of a name bound once to a foldable expression (plus `+=` pieces).
    /// The value binding `i` of `name` gives it, reading the bindings in order (`p = "/pr"`,
    /// `p += "oc"`, `p = p + "/self"`): what a string is at the point it is built.
    fn value_at(&self, name: &str, i: usize, depth: u32) -> Option<String> {
        if !self.step(depth) {
            return None;
        }
        let b = *self.binds.get(name)?.get(i)?;
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
            && let Some(i) = self.at.get(&n.id()).copied()
        {
            self.fresh();
            if let Some(s) = self.value_at(self.text(n), i, 0) {
                self.out.strings.push((super::line(n), s));
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
                self.out.strings.push((super::line(n), s));
            }
        }
    }

    /// Whether an identifier is read here (not a binding, an attribute name or a keyword).
    fn is_reference(&self, n: Node<'a>) -> bool {
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
    fn maximal(&self, n: Node<'a>) -> bool {
        match n.parent() {
            Some(p) if p.kind() == "attribute" => field(p, "object") != Some(n),
            Some(p) if p.kind() == "subscript" && field(p, "value") == Some(n) => {
                self.fresh();
                self.qualify(p, 0).is_none()
            }
            _ => true,
        }
    }

    fn rules(&mut self, at: Node<'a>, name: &str) {
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
    fn reference(&mut self, n: Node<'a>) -> bool {
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

    fn identifier(&mut self, n: Node<'a>) {
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

    fn lookalike(&mut self, n: Node<'a>) {
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

    fn attribute_name(&mut self, at: Node<'a>, attr: &str) {
        if let Some((_, class, what)) = ATTRS.iter().find(|(a, _, _)| *a == attr) {
            self.out.hit(at, *class, Never, format!("{what} ({attr})"));
        }
    }

    fn import(&mut self, n: Node<'a>) {
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

    fn import_from(&mut self, n: Node<'a>) {
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

    fn call(&mut self, n: Node<'a>) {
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

    fn is_globals_call(&self, n: Node<'a>) -> bool {
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

    fn open_call(&mut self, n: Node<'a>, name: &str, mode_at: usize) {
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

    fn file_op(&mut self, n: Node<'a>, what: &str, write: bool, path: Option<Node<'a>>) {
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
    fn pathlike(&self, n: Node<'a>, depth: u32) -> bool {
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
            "identifier" => self.binds.get(self.text(n)).is_some_and(|bs| {
                bs.iter().any(|b| match b {
                    Bind::Expr(e) | Bind::Default(e) => self.pathlike(*e, depth + 1),
                    _ => false,
                })
            }),
            _ => false,
        }
    }

    fn path_method(&mut self, n: Node<'a>, recv: Node<'a>, m: &str) {
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
    fn attr_call(
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

    // ── the environment, loaded modules, the import path ──────────────────────────────────

    fn environ(&mut self, n: Node<'a>, shown: &str) {
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

    fn env_probe(&mut self, n: Node<'a>, shown: &str) {
        self.out.hit(
            n,
            TestDetection,
            Never,
            format!("reads the whole environment ({shown}), which tells a test run from real use"),
        );
    }

    fn env_key(&mut self, n: Node<'a>, shown: &str, key: Option<Node<'a>>) {
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

    fn sys_modules(&mut self, n: Node<'a>) {
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

    fn modules_probe(&mut self, n: Node<'a>, shown: &str) {
        self.out.hit(
            n,
            TestDetection,
            Never,
            format!("inspects loaded modules ({shown}), which tells a test run from real use"),
        );
    }

    fn module_key(&mut self, n: Node<'a>, key: Option<Node<'a>>) {
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

    fn sys_path(&mut self, n: Node<'a>) {
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
    fn use_of(&self, n: Node<'a>) -> Use<'a> {
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

    fn assignment(&mut self, n: Node<'a>) {
        let Some(left) = field(n, "left") else { return };
        let mut value = field(n, "right");
        while let Some(r) = value.filter(|r| r.kind() == "assignment") {
            value = field(r, "right");
        }
        let aug = n.kind() == "augmented_assignment";
        self.target(n, left, if aug { None } else { value }, aug);
    }

    fn target(&mut self, at: Node<'a>, t: Node<'a>, value: Option<Node<'a>>, aug: bool) {
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
                        && Q::new(m).module
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

    fn module_write(&mut self, at: Node<'a>, m: &str, attr: &str, how: &str) {
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

    fn delete(&mut self, n: Node<'a>) {
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

    fn raise(&mut self, n: Node<'a>) {
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

    // ── equality ──────────────────────────────────────────────────────────────────────────

    fn function(&mut self, n: Node<'a>) {
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
    fn dunder_value(&mut self, at: Node<'a>, name: &str, value: Option<Node<'a>>) {
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
                for b in self.binds.get(id).into_iter().flatten() {
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
    fn equality(&self, name: &str, f: Node<'a>) -> Option<String> {
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

    fn param_names(&self, params: Node<'a>) -> Vec<(&'a str, bool)> {
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
    fn type_only(&self, r: Node<'a>) -> bool {
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
    fn constant(&self, n: Node<'a>) -> bool {
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

    fn truthy(&self, n: Node<'a>) -> bool {
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

/// What surrounds a use of the environment, `sys.modules` or `sys.path`.
enum Use<'a> {
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
fn is_write_target(n: Node) -> bool {
    let Some(p) = n.parent() else { return false };
    match p.kind() {
        "assignment" | "augmented_assignment" => p.child_by_field_name("left") == Some(n),
        "delete_statement" => true,
        "expression_list" | "pattern_list" | "tuple_pattern" | "list_pattern" => is_write_target(p),
        _ => false,
    }
}
