//! The inventory's types: what a scan reports, and how paths are written in it.

use super::*;

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
