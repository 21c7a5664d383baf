//! What a Python implementation may not name: the rules over qualified names, the attributes
//! and names flagged on sight, and the canonical spelling of a name ([`q`]).

use super::*;

pub(super) const RUNS: &str = "starts processes";
pub(super) const NET: &str = "uses the network";
pub(super) const READS: &str = "reads the file system";
pub(super) const WRITES: &str = "writes to the file system";
pub(super) const STACK: &str = "inspects the call stack";
pub(super) const EXITS: &str = "exits the test process";
pub(super) const SKIPS: &str = "skips tests";
pub(super) const XFAIL: &str = "marks tests as expected failures (xfail)";
pub(super) const FRAMEWORK: &str = "imports the test framework";

/// Qualified names an implementation may not use (or may use only if the contract declares
/// the side effect), with what using them does.
#[rustfmt::skip]
pub(super) const RULES: &[Rule] = &[
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
pub(super) const ATTRS: &[(&str, Class, &str)] = &[
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
pub(super) const UNMISTAKABLE: &[(&str, &str)] = &[
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
pub(super) const BINARY_DUNDERS: &[&str] = &[
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__cmp__", "__contains__",
    "__instancecheck__", "__subclasscheck__",
];
/// Methods that must not be constant either (`assert result`, hashing into sets).
pub(super) const UNARY_DUNDERS: &[&str] = &["__hash__", "__bool__"];

/// Module-level names pytest reads from any module it imports.
#[rustfmt::skip]
pub(super) const PYTEST_NAMES: &[&str] = &[
    "pytestmark", "pytest_plugins", "collect_ignore", "collect_ignore_glob",
];

/// Builtins the audit resolves when the file does not rebind them.
#[rustfmt::skip]
pub(super) const BUILTINS: &[&str] = &[
    "exec", "eval", "compile", "__import__", "open", "getattr", "setattr", "delattr", "hasattr",
    "globals", "locals", "vars", "breakpoint", "exit", "quit", "SystemExit",
    "KeyboardInterrupt", "str", "chr", "ord", "bytes", "bytearray", "bool", "object", "type",
    "reversed", "list", "tuple", "map", "isinstance", "issubclass", "callable", "id",
];

/// Names that are modules (for "getattr on a module object").
#[rustfmt::skip]
pub(super) const MODULES: &[&str] = &[
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
pub(super) const ALIASES: &[(&str, &str)] = &[
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

pub(super) fn normalize(name: &str) -> String {
    for (from, to) in ALIASES {
        if let Some(rest) = name.strip_prefix(from)
            && (rest.is_empty() || rest.starts_with('.'))
        {
            return format!("{to}{rest}");
        }
    }
    name.to_string()
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
