//! The mechanical pass over an existing codebase (`pact test-gen`, issue #18): its modules, their
//! public functions and classes with signatures and cyclomatic complexity, which of them the
//! codebase's own tests already call, and obvious security smells. No interpreter and no model:
//! tree-sitter reads Python and TypeScript/JavaScript, files are parsed in parallel, the cost is
//! linear in the size of the tree, and no input makes it panic (a file with syntax errors yields
//! what the parser recovers, and says so in [`ModuleInfo::syntax_error`]).
//!
//! # What is public
//!
//! The original (`pact-agents` 0.3.0, `codebase_analyzer.py`) lists every `def` of a file,
//! private and nested ones included, with no notion of a public API and no `__all__`. We list
//! what a contract is written for:
//!
//! - **Python**: top-level `def`s and classes of a module (also those defined inside top-level
//!   `if`/`try`/`with` blocks) whose name does not start with `_`; when the module assigns
//!   `__all__` a literal list or tuple of strings (also through `+=`, `.extend([...])`,
//!   `.append("...")`), exactly the names it lists instead. An `__all__` built any other way
//!   cannot be read without running the module, and the underscore rule applies. Methods of a
//!   public class are public when their name does not start with `_` or is a dunder (`__init__`,
//!   `__eq__`, `__iter__`…: the protocol is interface); classes nested in a public class follow
//!   the underscore rule, and their methods are listed as `Outer.Inner.method`. Nested
//!   functions are never listed (their decision points count in the enclosing function).
//! - **TypeScript/JavaScript**: exported declarations: `export function`, `export const f =`
//!   an arrow function or function expression, `export class` (and `abstract class`), `export
//!   default`, `export { a, b as c }` of local declarations (listed under the exported name),
//!   and CommonJS `module.exports = …` / `exports.f = …`. A class's public methods are those
//!   not marked `private` or `protected` and not `#private`, the constructor included, and
//!   public fields initialized with an arrow function; getters, setters and overload signatures
//!   are not listed. Declaration files (`.d.ts`) and minified files (`.min.js`) are not read.
//!
//! # Cyclomatic complexity
//!
//! McCabe's number as the original computes it: **1 + the decision points anywhere inside the
//! definition** (its decorators, defaults and annotations, and nested functions, lambdas and
//! classes too, as the original's `ast.NodeVisitor` counts them). For Python a decision point is
//! each `if` and `elif`, `for` and `async for`, `while`, `except` clause, `assert`, conditional
//! expression (`a if c else b`), each `and`/`or` operator (`a and b or c` counts 2), and each
//! `case` of a `match` but its first. Not counted: `else` of any kind, `with`, `try`, `finally`,
//! comprehension `for`s and `if`s, `return`/`break`/`continue`. For TypeScript/JavaScript:
//! `if`, `for`, `for…in`/`for…of`, `while`, `do…while`, each `case` of a `switch` (not
//! `default`), `catch`, each `&&`, `||` and `??` operator, their assignment forms `&&=`, `||=`,
//! `??=`, and the ternary `?:`.
//!
//! # Coverage
//!
//! Test files (Python: `test_*.py`, `*_test.py`, `conftest.py`, anything under a `test`/`tests`
//! directory; TS/JS: `*.test.*`, `*.spec.*`, anything under `test`, `tests` or `__tests__`) are
//! not modules of the inventory. Their test functions (Python: `def test*` at the top level or in
//! a class; TS/JS: `it(…)`/`test(…)` calls, named under their `describe` titles) are read for the
//! calls they make, and a function is [`FunctionInfo::covered_by`] each test that calls it by
//! name, resolved through the test file's imports where that is cheap: `from pkg.mod import f`
//! (and `import pkg.mod as m; m.f()`) reaches `f` in `pkg.mod` or in a module under `pkg.mod`
//! (a package re-exporting it); calling a class reaches its constructor; `x.method()` on any
//! other object reaches methods of that name in the modules the test file imports from. TS/JS
//! resolves relative specifiers to the module's path, and the package's own name from the
//! root's `package.json`. A heuristic: it says which tests exercise a function, not how well.
//!
//! # What is read
//!
//! The root's tree without following symbolic links (a link is never followed, so nothing
//! outside the root is read; one that looks like a source file is reported in
//! [`Inventory::skipped`]); never `.git` or any other hidden directory, `node_modules`,
//! virtualenvs (`venv`, `env`, anything holding a `pyvenv.cfg`), `__pycache__`, `site-packages`,
//! `build`, `dist`, `*.egg-info`, `.pact`. Each file is read through
//! [`crate::store::fsio::read_text`] with [`ScanOptions::max_file_bytes`] as the bound: a file
//! that is too large, binary, not UTF-8 or unreadable is in [`Inventory::skipped`] with the
//! reason. Security smells are looked for in source modules, not in tests.

mod python;
mod security;
mod syntax;
mod typescript;

use rayon::prelude::*;
use serde::{Serialize, Serializer};
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The language of a codebase. `TypeScript` covers JavaScript too (`.ts`, `.tsx`, `.mts`,
/// `.cts`, `.js`, `.jsx`, `.mjs`, `.cjs`), as a project commonly mixes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    TypeScript,
}

impl Language {
    pub fn name(self) -> &'static str {
        match self {
            Self::Python => "Python",
            Self::TypeScript => "TypeScript/JavaScript",
        }
    }
}

/// What one entry of [`Inventory::modules`] stands for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One entry per source file.
    #[default]
    Module,
    /// One entry per directory (a Python package, a TS folder): its files' functions and
    /// classes together, their qualified names prefixed with the file's module
    /// (`version.Version.__init__`; nothing for `__init__.py` or `index.ts`).
    Package,
}

/// How [`scan`] reads a codebase.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// `None`: the language with more source files (Python on a tie).
    pub language: Option<Language>,
    pub granularity: Granularity,
    /// Read the test files and fill in [`FunctionInfo::covered_by`] and
    /// [`Inventory::test_files`]; when false they are neither read nor listed.
    pub include_tests: bool,
    /// Files larger than this are not read (they go to [`Inventory::skipped`]).
    pub max_file_bytes: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            language: None,
            granularity: Granularity::Module,
            include_tests: true,
            max_file_bytes: 2 * 1024 * 1024,
        }
    }
}

/// Everything the mechanical pass found. Paths are relative to `root`, with `/` separators.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Inventory {
    /// The directory scanned, canonical.
    #[serde(serialize_with = "lossy_path")]
    pub root: PathBuf,
    pub language: Language,
    pub granularity: Granularity,
    /// In path order.
    pub modules: Vec<ModuleInfo>,
    /// The test files found (read for coverage unless [`ScanOptions::include_tests`] is off).
    #[serde(serialize_with = "lossy_paths")]
    pub test_files: Vec<PathBuf>,
    /// In file and line order.
    pub smells: Vec<Smell>,
    /// Files that could not be read, or were not followed, and why.
    #[serde(serialize_with = "lossy_skipped")]
    pub skipped: Vec<(PathBuf, String)>,
}

impl Inventory {
    /// Every listed function and method, with the module it is in.
    pub fn functions(&self) -> impl Iterator<Item = (&ModuleInfo, &FunctionInfo)> {
        self.modules.iter().flat_map(|m| {
            m.functions
                .iter()
                .chain(m.classes.iter().flat_map(|c| c.methods.iter()))
                .map(move |f| (m, f))
        })
    }
}

/// One module (a file) or, with [`Granularity::Package`], one package (a directory).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModuleInfo {
    /// The file, or the package's directory (`""` for the root).
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// Python: the dotted name it is imported by (`packaging.version`: the path from the
    /// topmost directory of its chain of `__init__.py` packages, else from the root without a
    /// leading `src/`; `__init__` is the package). TS/JS: the path without its extension
    /// (`src/utils/strings`; `index` is its directory).
    pub module: String,
    /// A valid component id made from `module` (`packaging_version`, as the original names
    /// them: every character but letters, digits, `_` and `-` becomes `_`), unique in the
    /// inventory (a clash gets `_2`, `_3`…).
    pub component_id: String,
    /// With [`Granularity::Package`], the files it is made of; else the one file.
    #[serde(serialize_with = "lossy_paths")]
    pub files: Vec<PathBuf>,
    /// Public free functions, in source order.
    pub functions: Vec<FunctionInfo>,
    /// Public classes, in source order (nested ones after their parent, as `Outer.Inner`).
    pub classes: Vec<ClassInfo>,
    /// Lines of text (of all its files).
    pub lines: usize,
    /// The 1-based line of the first syntax error, when the parser had to recover: what it
    /// recovered is listed, and may be incomplete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syntax_error: Option<usize>,
}

/// How an argument binds to a parameter (Python's `inspect.Parameter.kind`; TS/JS parameters
/// are `positional`, a rest parameter `var_positional`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// Before a `/`.
    PositionalOnly,
    /// Positional or keyword: an ordinary parameter.
    Positional,
    /// `*args`, `...rest`.
    VarPositional,
    /// After `*` or `*args`.
    KeywordOnly,
    /// `**kwargs`.
    VarKeyword,
}

/// One parameter. Annotations, defaults and decorators are the source text; text spanning
/// lines is each line trimmed and joined by one space, and redundant outer parentheses of a
/// default or annotation are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Param {
    /// Without `*`/`**`/`...` (the kind says it); a destructuring pattern is its text.
    pub name: String,
    pub annotation: Option<String>,
    pub default: Option<String>,
    pub kind: ParamKind,
    /// TS/JS `x?: T`: may be left out though it has no default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

/// One public function or method.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FunctionInfo {
    pub name: String,
    /// `name`, or `Class.name` for a method (`Outer.Inner.name`); with
    /// [`Granularity::Package`] prefixed with the file's module (`version.parse`).
    pub qualified_name: String,
    pub params: Vec<Param>,
    /// The return annotation.
    pub returns: Option<String>,
    pub is_async: bool,
    /// Each decorator's expression without the `@` (`staticmethod`, `lru_cache(maxsize=None)`).
    pub decorators: Vec<String>,
    /// See the module documentation for the exact definition.
    pub complexity: u32,
    /// 1-based line of the `def`/`function` keyword (after any decorators), and the last line.
    pub line: usize,
    pub end_line: usize,
    /// The tests that call it, as `tests/test_x.py::TestClass::test_name` or
    /// `test/x.test.ts::describe title > test title`; sorted.
    pub covered_by: Vec<String>,
    /// A parameter or the return lacks a type annotation (not counting a method's
    /// `self`/`cls` nor a constructor's return): its contract will say `Any`/`unknown` there.
    pub untyped: bool,
}

/// One public class.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClassInfo {
    /// `Name`, or `Outer.Inner` for a nested class (package granularity: prefixed like
    /// [`FunctionInfo::qualified_name`]).
    pub name: String,
    /// Base classes (Python: also keywords such as `metaclass=ABCMeta`; TS: `extends` then
    /// `implements`), as written.
    pub bases: Vec<String>,
    /// Public methods, in source order.
    pub methods: Vec<FunctionInfo>,
    pub line: usize,
    pub end_line: usize,
}

/// An obvious security smell, for the LLM step to pay attention to and for a human to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Smell {
    #[serde(serialize_with = "lossy_path")]
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    pub kind: SmellKind,
    pub message: String,
    /// The qualified name of the function it is in, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SmellKind {
    /// `eval`/`exec`, `new Function`: code from data.
    Eval,
    /// A command run through a shell: `shell=True`, `os.system`, `os.popen`,
    /// `child_process.exec`, `{ shell: true }`.
    ShellCommand,
    /// `pickle`/`marshal`/`dill`/`shelve` loads: objects from bytes run code.
    UnsafeDeserialization,
    /// `yaml.load` without a safe loader, `yaml.unsafe_load`.
    UnsafeYamlLoad,
    /// A string literal that looks like a credential, or is assigned to a name that says so.
    HardcodedSecret,
    /// SQL put together by string formatting (f-string, `%`, `.format`, `+`, a template
    /// literal): an injection unless every value is trusted.
    SqlFormatting,
    /// A branch on a name about authorization (`is_admin`, `role`, `token`, …) or a call such as
    /// `check_permission`: both ways need tests (the original's security finding).
    AuthBranch,
}

impl SmellKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eval => "eval",
            Self::ShellCommand => "shell_command",
            Self::UnsafeDeserialization => "unsafe_deserialization",
            Self::UnsafeYamlLoad => "unsafe_yaml_load",
            Self::HardcodedSecret => "hardcoded_secret",
            Self::SqlFormatting => "sql_formatting",
            Self::AuthBranch => "auth_branch",
        }
    }
}

/// Why a directory cannot be scanned. Each message names the path.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{}: no such directory", .0.display())]
    NotFound(PathBuf),
    #[error("{}: {kind}, not a directory", .path.display())]
    NotADirectory { path: PathBuf, kind: &'static str },
    #[error("{}: cannot be read: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {}", .path.display(), if *.dirs_not_read == 0 {
        "the directory is empty (nothing to scan)"
    } else {
        "nothing to scan: only directories that are not read (hidden ones, virtualenvs, node_modules, build output)"
    })]
    Empty {
        path: PathBuf,
        /// Directories it holds that a scan never enters.
        dirs_not_read: usize,
    },
    #[error("{}: no {} source files{}", .path.display(), .wanted, .detail)]
    NoSources {
        path: PathBuf,
        /// "Python", "TypeScript/JavaScript", or "Python or TypeScript/JavaScript".
        wanted: &'static str,
        /// Words on what was there instead (`" (only 3 test files)"`), or empty.
        detail: String,
    },
}

/// Scans the codebase at `root`. See the module documentation for what it reports.
pub fn scan(root: &Path, opts: &ScanOptions) -> Result<Inventory, ScanError> {
    scan_with_progress(root, opts, &|_, _| {})
}

/// [`scan`], calling `progress(done, total)` as files are parsed (from several threads).
pub fn scan_with_progress(
    root: &Path,
    opts: &ScanOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Inventory, ScanError> {
    // Errors name the directory as it was given; the inventory, canonically.
    let given = root;
    let root = open_root(root)?;
    let walk = walk(&root);
    if walk.files_seen == 0 && walk.candidates.is_empty() && walk.skipped.is_empty() {
        return Err(ScanError::Empty {
            path: given.to_path_buf(),
            dirs_not_read: walk.dirs_not_read,
        });
    }
    let language = match opts.language {
        Some(l) => l,
        None => detect_language(&walk.candidates).ok_or_else(|| no_sources(given, None, &walk))?,
    };
    let mut candidates: Vec<&Candidate> = walk
        .candidates
        .iter()
        .filter(|c| c.kind.language() == language)
        .collect();
    if !candidates.iter().any(|c| !c.is_test) {
        return Err(no_sources(given, Some(language), &walk));
    }
    let test_files: Vec<PathBuf> = if opts.include_tests {
        candidates
            .iter()
            .filter(|c| c.is_test)
            .map(|c| c.rel.clone())
            .collect()
    } else {
        candidates.retain(|c| !c.is_test);
        Vec::new()
    };
    let ctx = Context::new(&root, language, &walk);

    let total = candidates.len();
    let done = AtomicUsize::new(0);
    let results: Vec<(usize, Result<Parsed, String>)> = candidates
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let r = read_and_parse(&root, c, opts.max_file_bytes, &ctx);
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(n, total);
            (i, r)
        })
        .collect();

    let mut skipped = walk.skipped.clone();
    let mut units: Vec<Unit> = Vec::new();
    let mut tests: Vec<TestUnit> = Vec::new();
    for (i, r) in results {
        let c = candidates[i];
        match r {
            Err(reason) => skipped.push((c.rel.clone(), reason)),
            Ok(Parsed::Source(u)) => units.push(u),
            Ok(Parsed::Test(t)) => tests.push(t),
        }
    }
    units.sort_by(|a, b| a.rel.cmp(&b.rel));
    tests.sort_by(|a, b| a.rel.cmp(&b.rel));
    skipped.sort();

    map_coverage(&mut units, &tests, &ctx);

    let mut smells: Vec<Smell> = units.iter_mut().flat_map(|u| u.smells.drain(..)).collect();
    smells.sort_by(|a, b| {
        (&a.file, a.line, a.kind.as_str()).cmp(&(&b.file, b.line, b.kind.as_str()))
    });

    let modules = assemble(units, opts.granularity, &ctx);
    Ok(Inventory {
        root,
        language,
        granularity: opts.granularity,
        modules,
        test_files,
        smells,
        skipped,
    })
}

fn open_root(root: &Path) -> Result<PathBuf, ScanError> {
    let meta = match std::fs::metadata(root) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ScanError::NotFound(root.to_path_buf()));
        }
        Err(e) => {
            return Err(ScanError::Unreadable {
                path: root.to_path_buf(),
                source: e,
            });
        }
    };
    if !meta.is_dir() {
        let kind = if meta.is_file() {
            "a file"
        } else {
            "not a file or directory"
        };
        return Err(ScanError::NotADirectory {
            path: root.to_path_buf(),
            kind,
        });
    }
    let canonical = std::fs::canonicalize(root).map_err(|e| ScanError::Unreadable {
        path: root.to_path_buf(),
        source: e,
    })?;
    // Listing it now turns "permission denied" into an error rather than an empty inventory.
    std::fs::read_dir(&canonical).map_err(|e| ScanError::Unreadable {
        path: root.to_path_buf(),
        source: e,
    })?;
    Ok(canonical)
}

fn no_sources(root: &Path, language: Option<Language>, walk: &Walk) -> ScanError {
    let wanted = match language {
        Some(l) => l.name(),
        None => "Python or TypeScript/JavaScript",
    };
    let tests = walk
        .candidates
        .iter()
        .filter(|c| c.is_test && language.is_none_or(|l| c.kind.language() == l))
        .count();
    let other = walk
        .candidates
        .iter()
        .filter(|c| !c.is_test && language.is_some_and(|l| c.kind.language() != l))
        .count();
    let mut parts = Vec::new();
    if tests > 0 {
        parts.push(format!(
            "only {tests} test file{}",
            if tests == 1 { "" } else { "s" }
        ));
    }
    if other > 0 {
        let other_name = match language {
            Some(Language::Python) => "TypeScript/JavaScript",
            _ => "Python",
        };
        parts.push(format!(
            "{other} {other_name} source file{}",
            if other == 1 { "" } else { "s" }
        ));
    }
    if walk.files_seen > 0 && parts.is_empty() {
        parts.push(format!(
            "{} other file{}",
            walk.files_seen,
            if walk.files_seen == 1 { "" } else { "s" }
        ));
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    ScanError::NoSources {
        path: root.to_path_buf(),
        wanted,
        detail,
    }
}

// ---------------------------------------------------------------------------------------------
// Walking the tree
// ---------------------------------------------------------------------------------------------

/// The grammar a file is parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Python,
    TypeScript,
    Tsx,
    JavaScript,
}

impl FileKind {
    fn language(self) -> Language {
        match self {
            Self::Python => Language::Python,
            _ => Language::TypeScript,
        }
    }

    fn of(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".d.ts")
            || lower.ends_with(".d.mts")
            || lower.ends_with(".d.cts")
            || lower.ends_with(".min.js")
        {
            return None;
        }
        let ext = lower.rsplit_once('.')?.1;
        Some(match ext {
            "py" => Self::Python,
            "ts" | "mts" | "cts" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "js" | "jsx" | "mjs" | "cjs" => Self::JavaScript,
            _ => return None,
        })
    }
}

#[derive(Debug)]
struct Candidate {
    rel: PathBuf,
    kind: FileKind,
    is_test: bool,
}

#[derive(Debug, Default)]
struct Walk {
    candidates: Vec<Candidate>,
    skipped: Vec<(PathBuf, String)>,
    /// Regular files seen that are not candidates.
    files_seen: usize,
    /// Directories not entered (hidden, virtualenvs, `node_modules`…).
    dirs_not_read: usize,
    /// Directories (relative) holding an `__init__.py`.
    packages: HashSet<PathBuf>,
    /// The `name` of the root's `package.json`.
    package_name: Option<String>,
}

/// Directories never entered.
const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "venv",
    "env",
    "__pycache__",
    "site-packages",
    "build",
    "dist",
    "bower_components",
    "jspm_packages",
];

fn skip_dir(name: &str, abs: &Path) -> bool {
    name.starts_with('.')
        || SKIP_DIRS.contains(&name)
        || name.ends_with(".egg-info")
        || abs.join("pyvenv.cfg").exists()
}

fn walk(root: &Path) -> Walk {
    let mut w = Walk::default();
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let abs_dir = root.join(&rel_dir);
        let entries = match std::fs::read_dir(&abs_dir) {
            Ok(e) => e,
            Err(e) => {
                if !rel_dir.as_os_str().is_empty() {
                    w.skipped
                        .push((rel_dir.clone(), format!("directory cannot be read: {e}")));
                }
                continue;
            }
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let name_os = entry.file_name();
            let name = name_os.to_string_lossy();
            let rel = rel_dir.join(&name_os);
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_symlink() {
                let target_is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
                if FileKind::of(&name).is_some()
                    || (target_is_dir && !skip_dir(&name, &entry.path()))
                {
                    w.skipped.push((
                        rel,
                        "a symbolic link: not followed (nothing outside the root is read)"
                            .to_string(),
                    ));
                }
                continue;
            }
            if ft.is_dir() {
                if skip_dir(&name, &entry.path()) {
                    w.dirs_not_read += 1;
                } else {
                    subdirs.push(rel);
                }
                continue;
            }
            if !ft.is_file() {
                if FileKind::of(&name).is_some() {
                    w.skipped.push((
                        rel,
                        "not a regular file (a FIFO, socket or device)".to_string(),
                    ));
                }
                continue;
            }
            if name == "__init__.py" {
                w.packages.insert(rel_dir.clone());
            }
            if rel_dir.as_os_str().is_empty() && name == "package.json" {
                w.package_name = package_name(&entry.path());
            }
            match FileKind::of(&name) {
                Some(kind) => {
                    let is_test = is_test_file(&rel, kind.language());
                    w.candidates.push(Candidate { rel, kind, is_test });
                }
                None => w.files_seen += 1,
            }
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    w.candidates.sort_by(|a, b| a.rel.cmp(&b.rel));
    w
}

fn package_name(path: &Path) -> Option<String> {
    let text = crate::store::fsio::read_text(path, 1024 * 1024).ok()??;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("name")?.as_str().map(str::to_string)
}

/// Whether `rel` (relative to the root) is a test file of a `language` codebase, by the
/// conventions pytest, vitest and jest use.
pub fn is_test_file(rel: &Path, language: Language) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let dirs: Vec<String> = rel
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    match language {
        Language::Python => {
            name.starts_with("test_")
                || name.ends_with("_test.py")
                || name == "conftest.py"
                || dirs.iter().any(|d| d == "test" || d == "tests")
        }
        Language::TypeScript => {
            let stem_parts: Vec<&str> = name.split('.').collect();
            stem_parts.len() > 2
                && stem_parts[1..stem_parts.len() - 1]
                    .iter()
                    .any(|p| *p == "test" || *p == "spec")
                || dirs
                    .iter()
                    .any(|d| d == "test" || d == "tests" || d == "__tests__")
        }
    }
}

fn detect_language(candidates: &[Candidate]) -> Option<Language> {
    let count = |lang: Language, tests: bool| {
        candidates
            .iter()
            .filter(|c| c.kind.language() == lang && c.is_test == tests)
            .count()
    };
    let (py, ts) = (
        count(Language::Python, false),
        count(Language::TypeScript, false),
    );
    if py == 0 && ts == 0 {
        return None;
    }
    Some(if ts > py {
        Language::TypeScript
    } else {
        Language::Python
    })
}

// ---------------------------------------------------------------------------------------------
// Per-file analysis
// ---------------------------------------------------------------------------------------------

/// What every file's analysis may consult: module naming.
pub(crate) struct Context {
    root_name: String,
    language: Language,
    packages: HashSet<PathBuf>,
    package_name: Option<String>,
}

impl Context {
    fn new(root: &Path, language: Language, walk: &Walk) -> Self {
        Self {
            root_name: root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            language,
            packages: walk.packages.clone(),
            package_name: walk.package_name.clone(),
        }
    }

    /// The module name of the file at `rel` (see [`ModuleInfo::module`]).
    pub(crate) fn module_name(&self, rel: &Path) -> String {
        let comps: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let Some((file, dirs)) = comps.split_last() else {
            return String::new();
        };
        match self.language {
            Language::Python => {
                let stem = file.strip_suffix(".py").unwrap_or(file);
                // The topmost directory of the chain of packages the file is in.
                let mut start = dirs.len();
                while start > 0 {
                    let dir: PathBuf = dirs[..start].iter().collect();
                    if !self.packages.contains(&dir) {
                        break;
                    }
                    start -= 1;
                }
                let mut parts: Vec<&str> = Vec::new();
                let in_package = start < dirs.len() || (dirs.is_empty() && self.root_is_package());
                if start == 0 && self.root_is_package() && !self.root_name.is_empty() {
                    parts.push(&self.root_name);
                }
                if in_package {
                    parts.extend(dirs[start..].iter().map(String::as_str));
                } else {
                    let skip = usize::from(dirs.first().is_some_and(|d| d == "src"));
                    parts.extend(dirs[skip..].iter().map(String::as_str));
                }
                if stem != "__init__" {
                    parts.push(stem);
                }
                let name = parts.join(".");
                if name.is_empty() {
                    "__init__".to_string()
                } else {
                    name
                }
            }
            Language::TypeScript => {
                let stem = strip_ts_ext(file);
                let mut parts: Vec<&str> = dirs.iter().map(String::as_str).collect();
                if stem != "index" || parts.is_empty() {
                    parts.push(stem);
                }
                parts.join("/")
            }
        }
    }

    fn root_is_package(&self) -> bool {
        self.packages.contains(Path::new(""))
    }
}

fn strip_ts_ext(file: &str) -> &str {
    for ext in [".tsx", ".ts", ".mts", ".cts", ".jsx", ".js", ".mjs", ".cjs"] {
        if let Some(s) = file.strip_suffix(ext) {
            return s;
        }
    }
    file
}

/// A source file's analysis.
#[derive(Debug, Default)]
pub(crate) struct Unit {
    pub rel: PathBuf,
    pub module: String,
    pub functions: Vec<FunctionInfo>,
    pub classes: Vec<ClassInfo>,
    pub lines: usize,
    pub syntax_error: Option<usize>,
    pub smells: Vec<Smell>,
    /// TS/JS: the listed name of what `export default` exports.
    pub default_export: Option<String>,
}

/// A test file's analysis.
#[derive(Debug, Default)]
pub(crate) struct TestUnit {
    pub rel: PathBuf,
    pub tests: Vec<TestCase>,
    pub imports: Vec<Import>,
    /// Python `from X import *`: the modules.
    pub star_imports: Vec<String>,
    /// Names the file defines itself (a call to one is not a call into the codebase).
    pub local_defs: HashSet<String>,
}

#[derive(Debug, Default)]
pub(crate) struct TestCase {
    /// `tests/test_x.py::Class::test_y`.
    pub id: String,
    pub calls: Vec<Call>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Call {
    /// `f(...)`, `new F(...)`.
    Bare(String),
    /// `a.b.f(...)`: the object's text (empty when it is not a chain of names) and the name.
    Attr { object: String, name: String },
    /// `x.name` read, not called: reaches properties (`@property`, `@cached_property`).
    Read(String),
}

/// A name a test file binds by importing.
#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub local: String,
    pub target: ImportTarget,
    /// `None`: the binding is the module itself (`import m`, `import * as m`).
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImportTarget {
    /// A module name (Python dotted; TS/JS a module path as in [`ModuleInfo::module`]).
    Module(String),
    /// The codebase's package as a whole (TS: its `package.json` name): any module.
    Any,
    /// Outside the codebase.
    External,
}

enum Parsed {
    Source(Unit),
    Test(TestUnit),
}

fn read_and_parse(root: &Path, c: &Candidate, max: u64, ctx: &Context) -> Result<Parsed, String> {
    let text = match crate::store::fsio::read_text(&root.join(&c.rel), max) {
        Ok(Some(t)) => t,
        Ok(None) => return Err("disappeared while scanning".to_string()),
        Err(e) => return Err(e.to_string()),
    };
    let module = ctx.module_name(&c.rel);
    let parsed = if c.is_test {
        let t = match c.kind {
            FileKind::Python => python::analyze_test(&text, &c.rel, &module),
            k => typescript::analyze_test(k, &text, &c.rel, ctx),
        };
        t.map(Parsed::Test)
    } else {
        let u = match c.kind {
            FileKind::Python => python::analyze(&text, &c.rel, &module),
            k => typescript::analyze(k, &text, &c.rel, &module),
        };
        u.map(Parsed::Source)
    };
    parsed.ok_or_else(|| "the parser could not read it".to_string())
}

// ---------------------------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------------------------

/// Where a listed function is: (unit, class or `usize::MAX` for a free function, index).
type FnRef = (usize, usize, usize);
const FREE: usize = usize::MAX;

/// Marks each listed function with the tests that call it. Every lookup goes through a map
/// keyed by unit and name, so the cost is the calls times the units a call can reach, never
/// the number of functions that happen to share a name.
fn map_coverage(units: &mut [Unit], tests: &[TestUnit], ctx: &Context) {
    if tests.is_empty() {
        return;
    }
    let ctor = match ctx.language {
        Language::Python => "__init__",
        Language::TypeScript => "constructor",
    };
    let mut hits: HashMap<FnRef, Vec<&str>> = HashMap::new();
    {
        let index = Index::new(units, ctx, ctor);
        for t in tests {
            let resolver = index.resolver(t);
            for case in &t.tests {
                let mut seen: HashSet<FnRef> = HashSet::new();
                for call in &case.calls {
                    let mut found = Vec::new();
                    resolver.resolve(call, &mut found);
                    for r in found {
                        if seen.insert(r) {
                            hits.entry(r).or_default().push(case.id.as_str());
                        }
                    }
                }
            }
        }
    }
    for ((ui, ci, fi), ids) in hits {
        let mut ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
        ids.sort();
        ids.dedup();
        let f = if ci == FREE {
            units.get_mut(ui).and_then(|u| u.functions.get_mut(fi))
        } else {
            units
                .get_mut(ui)
                .and_then(|u| u.classes.get_mut(ci))
                .and_then(|c| c.methods.get_mut(fi))
        };
        if let Some(f) = f {
            f.covered_by = ids;
        }
    }
}

struct Index<'a> {
    units: &'a [Unit],
    ctx: &'a Context,
    ctor: &'static str,
    /// (unit, name) → its free functions of that name.
    free: HashMap<(usize, &'a str), Vec<FnRef>>,
    /// (unit, short class name) → its classes of that name.
    classes: HashMap<(usize, &'a str), Vec<usize>>,
    /// (unit, method name) → its methods of that name.
    methods: HashMap<(usize, &'a str), Vec<FnRef>>,
    /// Module name → its units; Python: also each package → the units under it.
    units_of: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Index<'a> {
    fn new(units: &'a [Unit], ctx: &'a Context, ctor: &'static str) -> Self {
        let mut ix = Index {
            units,
            ctx,
            ctor,
            free: HashMap::new(),
            classes: HashMap::new(),
            methods: HashMap::new(),
            units_of: HashMap::new(),
        };
        for (ui, u) in units.iter().enumerate() {
            let m = u.module.as_str();
            ix.units_of.entry(m).or_default().push(ui);
            if ctx.language == Language::Python {
                for (i, _) in m.match_indices('.') {
                    ix.units_of.entry(&m[..i]).or_default().push(ui);
                }
            }
            for (fi, f) in u.functions.iter().enumerate() {
                ix.free
                    .entry((ui, f.name.as_str()))
                    .or_default()
                    .push((ui, FREE, fi));
            }
            for (ci, c) in u.classes.iter().enumerate() {
                let short = c.name.rsplit('.').next().unwrap_or(&c.name);
                ix.classes.entry((ui, short)).or_default().push(ci);
                for (mi, m) in c.methods.iter().enumerate() {
                    ix.methods
                        .entry((ui, m.name.as_str()))
                        .or_default()
                        .push((ui, ci, mi));
                }
            }
        }
        ix
    }

    /// Calls `f` with each unit `target` reaches: the module, or (Python) a package and every
    /// module under it (a package re-exports its modules' names); all of them for `Any`.
    fn each_unit(&self, target: &ImportTarget, mut f: impl FnMut(usize)) {
        match target {
            ImportTarget::External => {}
            ImportTarget::Any => (0..self.units.len()).for_each(f),
            ImportTarget::Module(m) => {
                for &ui in self.units_of.get(m.as_str()).into_iter().flatten() {
                    f(ui);
                }
            }
        }
    }

    fn resolver(&'a self, t: &'a TestUnit) -> Resolver<'a> {
        let mut bindings: HashMap<&str, &Import> = HashMap::new();
        for imp in &t.imports {
            if imp.target != ImportTarget::External {
                bindings.insert(imp.local.as_str(), imp);
            }
        }
        let star: Vec<ImportTarget> = t
            .star_imports
            .iter()
            .map(|m| ImportTarget::Module(m.clone()))
            .collect();
        // The units this test file imports from (for method calls on objects).
        let mut imported: HashSet<usize> = HashSet::new();
        for target in t.imports.iter().map(|i| &i.target).chain(&star) {
            self.each_unit(target, |ui| {
                imported.insert(ui);
            });
        }
        let mut imported: Vec<usize> = imported.into_iter().collect();
        imported.sort_unstable();
        Resolver {
            index: self,
            test: t,
            bindings,
            star,
            imported,
        }
    }

    /// Whether `name` is a module or package of the codebase.
    fn is_module(&self, name: &str) -> bool {
        self.units_of.contains_key(name)
    }
}

struct Resolver<'a> {
    index: &'a Index<'a>,
    test: &'a TestUnit,
    bindings: HashMap<&'a str, &'a Import>,
    star: Vec<ImportTarget>,
    imported: Vec<usize>,
}

impl Resolver<'_> {
    fn resolve(&self, call: &Call, out: &mut Vec<FnRef>) {
        let ix = self.index;
        match call {
            Call::Bare(name) => {
                if let Some(imp) = self.bindings.get(name.as_str()) {
                    if let Some(orig) = &imp.name {
                        self.named(&imp.target, orig, out);
                    }
                } else if !self.test.local_defs.contains(name) {
                    for target in &self.star {
                        self.named(target, name, out);
                    }
                }
            }
            Call::Attr { object, name } => {
                let mut segs = object.split('.');
                let head = segs.next().unwrap_or("");
                let rest: Vec<&str> = segs.collect();
                if matches!(head, "self" | "cls" | "this" | "super") {
                    return;
                }
                if let Some(imp) = self.bindings.get(head) {
                    let sep = match ix.ctx.language {
                        Language::Python => ".",
                        Language::TypeScript => "/",
                    };
                    let module = match (&imp.target, &imp.name) {
                        // `import pkg.mod as m; m.f()`, `import * as m; m.f()`.
                        (ImportTarget::Module(_) | ImportTarget::Any, None) => {
                            Some(imp.target.clone())
                        }
                        // `from pkg import mod; mod.f()`.
                        (ImportTarget::Module(m), Some(n))
                            if ix.ctx.language == Language::Python
                                && ix.is_module(&format!("{m}.{n}")) =>
                        {
                            Some(ImportTarget::Module(format!("{m}.{n}")))
                        }
                        // `from mod import Class; Class.method()`.
                        (target, Some(n)) => {
                            ix.each_unit(target, |ui| {
                                for &ci in ix.classes.get(&(ui, n.as_str())).into_iter().flatten() {
                                    let Some(c) = ix.units[ui].classes.get(ci) else {
                                        continue;
                                    };
                                    for (mi, m) in c.methods.iter().enumerate() {
                                        if m.name == *name {
                                            out.push((ui, ci, mi));
                                        }
                                    }
                                }
                            });
                            None
                        }
                        _ => None,
                    };
                    if let Some(module) = module {
                        let target = match module {
                            ImportTarget::Module(m) if !rest.is_empty() => {
                                ImportTarget::Module(format!("{m}{sep}{}", rest.join(sep)))
                            }
                            other => other,
                        };
                        self.named(&target, name, out);
                    }
                    if !out.is_empty() {
                        return;
                    }
                }
                // A method called on some object: methods of that name in imported modules.
                for &ui in &self.imported {
                    if let Some(found) = ix.methods.get(&(ui, name.as_str())) {
                        out.extend(found.iter().copied());
                    }
                }
            }
            Call::Read(name) => {
                for &ui in &self.imported {
                    for &(u, ci, mi) in ix.methods.get(&(ui, name.as_str())).into_iter().flatten() {
                        let is_prop = ix.units[u]
                            .classes
                            .get(ci)
                            .and_then(|c| c.methods.get(mi))
                            .is_some_and(|m| m.decorators.iter().any(|d| is_property(d)));
                        if is_prop {
                            out.push((u, ci, mi));
                        }
                    }
                }
            }
        }
    }

    /// Free functions named `name`, or the constructor of classes named `name`, in the units
    /// `target` reaches (`default`: what a TS/JS module exports as default).
    fn named(&self, target: &ImportTarget, name: &str, out: &mut Vec<FnRef>) {
        let ix = self.index;
        ix.each_unit(target, |ui| {
            let Some(u) = ix.units.get(ui) else { return };
            let name = match (name, &u.default_export) {
                ("default", Some(d)) => d.as_str(),
                _ => name,
            };
            if let Some(found) = ix.free.get(&(ui, name)) {
                out.extend(found.iter().copied());
            }
            for &ci in ix.classes.get(&(ui, name)).into_iter().flatten() {
                if let Some(c) = u.classes.get(ci) {
                    for (mi, m) in c.methods.iter().enumerate() {
                        if m.name == ix.ctor {
                            out.push((ui, ci, mi));
                        }
                    }
                }
            }
        });
    }
}

/// A decorator that makes a method a property (read, not called).
fn is_property(decorator: &str) -> bool {
    let last = decorator.rsplit('.').next().unwrap_or(decorator);
    matches!(last, "property" | "cached_property" | "abstractproperty")
}

// ---------------------------------------------------------------------------------------------
// Modules and packages
// ---------------------------------------------------------------------------------------------

fn assemble(units: Vec<Unit>, granularity: Granularity, ctx: &Context) -> Vec<ModuleInfo> {
    let mut modules: Vec<ModuleInfo> = match granularity {
        Granularity::Module => units
            .into_iter()
            .map(|u| ModuleInfo {
                path: u.rel.clone(),
                module: u.module,
                component_id: String::new(),
                files: vec![u.rel],
                functions: u.functions,
                classes: u.classes,
                lines: u.lines,
                syntax_error: u.syntax_error,
            })
            .collect(),
        Granularity::Package => {
            let mut groups: indexmap::IndexMap<PathBuf, Vec<Unit>> = indexmap::IndexMap::new();
            for u in units {
                let dir = u.rel.parent().map(Path::to_path_buf).unwrap_or_default();
                groups.entry(dir).or_default().push(u);
            }
            groups
                .into_iter()
                .map(|(dir, members)| package(dir, members, ctx))
                .collect()
        }
    };
    let mut used: HashSet<String> = HashSet::new();
    for m in &mut modules {
        let base = component_id(&m.module);
        let mut id = base.clone();
        let mut n = 2;
        while used.contains(&id) {
            let suffix = format!("_{n}");
            let mut b = base.clone();
            b.truncate(128 - suffix.len());
            id = format!("{b}{suffix}");
            n += 1;
        }
        used.insert(id.clone());
        m.component_id = id;
    }
    modules
}

fn package(dir: PathBuf, members: Vec<Unit>, ctx: &Context) -> ModuleInfo {
    let is_init = |u: &Unit| {
        let stem = u
            .rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match ctx.language {
            Language::Python => stem == "__init__.py",
            Language::TypeScript => strip_ts_ext(&stem) == "index",
        }
    };
    let module = match members.iter().find(|u| is_init(u)) {
        Some(init) => init.module.clone(),
        None => {
            let first = members.first().map(|u| u.module.as_str()).unwrap_or("");
            let sep = if ctx.language == Language::Python {
                '.'
            } else {
                '/'
            };
            match first.rsplit_once(sep) {
                Some((parent, _)) => parent.to_string(),
                None => String::new(),
            }
        }
    };
    let module = if module.is_empty() {
        if ctx.root_name.is_empty() {
            "root".to_string()
        } else {
            ctx.root_name.clone()
        }
    } else {
        module
    };
    let mut info = ModuleInfo {
        path: dir,
        module,
        component_id: String::new(),
        files: Vec::new(),
        functions: Vec::new(),
        classes: Vec::new(),
        lines: 0,
        syntax_error: None,
    };
    for u in members {
        let prefix = if is_init(&u) {
            String::new()
        } else {
            let stem = u
                .rel
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = match ctx.language {
                Language::Python => stem.strip_suffix(".py").unwrap_or(&stem).to_string(),
                Language::TypeScript => strip_ts_ext(&stem).to_string(),
            };
            format!("{stem}.")
        };
        info.files.push(u.rel);
        info.lines += u.lines;
        if info.syntax_error.is_none() {
            info.syntax_error = u.syntax_error;
        }
        for mut f in u.functions {
            f.qualified_name = format!("{prefix}{}", f.qualified_name);
            info.functions.push(f);
        }
        for mut c in u.classes {
            c.name = format!("{prefix}{}", c.name);
            for m in &mut c.methods {
                m.qualified_name = format!("{prefix}{}", m.qualified_name);
            }
            info.classes.push(c);
        }
    }
    info
}

/// A valid component id for `module` (see [`ModuleInfo::component_id`]).
pub fn component_id(module: &str) -> String {
    let mut id: String = module
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    id.truncate(120);
    if id.is_empty() || crate::ids::check_component_id(&id).is_err() {
        return "module".to_string();
    }
    id
}

// ---------------------------------------------------------------------------------------------
// Serialization of paths (never an error: a name that is not UTF-8 is written lossily)
// ---------------------------------------------------------------------------------------------

/// `/`-separated and lossy: the same JSON on every platform, never a serialization error.
fn path_text(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if p.is_absolute() {
        p.to_string_lossy().into_owned()
    } else {
        parts.join("/")
    }
}

fn lossy_path<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path_text(p))
}

fn lossy_paths<S: Serializer>(ps: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(ps.iter().map(|p| path_text(p)))
}

fn lossy_skipped<S: Serializer>(v: &[(PathBuf, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|(p, r)| (path_text(p), r)))
}

/// `rel` as the `/`-separated text the inventory uses.
pub(crate) fn rel_text(rel: &Path) -> String {
    path_text(rel)
}

#[cfg(test)]
mod tests;
