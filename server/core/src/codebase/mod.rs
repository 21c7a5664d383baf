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

mod coverage;
mod model;
mod python;
mod security;
mod syntax;
mod typescript;
mod walk;

use coverage::*;
pub use model::*;
use walk::*;

use rayon::prelude::*;
use serde::{Serialize, Serializer};
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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

#[cfg(test)]
mod tests;
