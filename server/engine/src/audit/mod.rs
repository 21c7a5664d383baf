//! The diff audit: every file an implementation attempt writes is read as a syntax tree
//! (tree-sitter) and searched for the known ways to game contract tests. Names are resolved
//! through imports, aliases and assignments (`import importlib as il; il.import_module(...)`,
//! `from os import environ as E`, `const { exec } = require("child_process")`), and strings
//! are folded through concatenation, f-strings / template literals, `join`, `format` and a few
//! decoders, so spacing, aliasing and string building do not hide a call.
//!
//! Each finding names its file and line and says why, in words the user (and the agent, on
//! its next attempt) understands; any finding rejects the attempt. Side effects the contract
//! declares (network, subprocesses, file reads and writes) are allowed; everything else is
//! never allowed in an implementation: dynamic code, stack introspection, test-run
//! detection, exit hooks and signals, equality that ignores the other operand, patching of
//! modules and builtins, `/proc`, and data files in `src/` that the code reads or runs.
//!
//! `python` and `typescript` (TypeScript and JavaScript) each turn one file into a [`Scan`],
//! resolving names and folding strings with the language-independent machinery in `fold`;
//! this module lists the files, applies the contract, checks non-source files and literal
//! test inputs, and formats the findings.

mod fold;
mod python;
mod text;
mod typescript;

#[cfg(test)]
mod tests;

use pact_core::model::{ComponentContract, SideEffectKind, TestLanguage};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;
use tree_sitter::Node;

/// What kind of gaming a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Skipping tests, importing or configuring the test framework.
    TestFramework,
    /// Code built or loaded at run time: `exec`, `eval`, computed imports, `ctypes`, `vm`.
    DynamicCode,
    /// Stack frames, tracebacks, the garbage collector's referrers.
    Introspection,
    /// Telling a test run from real use: env markers, loaded modules, argv.
    TestDetection,
    /// Exit hooks, signals, exiting the process.
    ExitHook,
    /// `__eq__`/`valueOf`/… whose answer does not depend on what it is compared with.
    EqualityGaming,
    /// Writes to modules, builtins, globals or the process environment.
    Patching,
    /// File-system access (`/proc`, reads, writes).
    Filesystem,
    /// Starting processes.
    Process,
    /// Network access.
    Network,
    /// Files in `src/` that are not source code but are loaded or read.
    ShippedFile,
    /// Literal test inputs matched in the code.
    SpecialCasing,
    /// Code the audit cannot read as written (syntax errors, hidden characters).
    Unreadable,
}

impl Class {
    /// The class as the audit's tests name it.
    #[cfg(test)]
    pub fn label(self) -> &'static str {
        match self {
            Class::TestFramework => "test framework",
            Class::DynamicCode => "dynamic code",
            Class::Introspection => "introspection",
            Class::TestDetection => "test-run detection",
            Class::ExitHook => "exit hooks and signals",
            Class::EqualityGaming => "equality gaming",
            Class::Patching => "patching",
            Class::Filesystem => "file system",
            Class::Process => "processes",
            Class::Network => "network",
            Class::ShippedFile => "shipped file",
            Class::SpecialCasing => "special-casing",
            Class::Unreadable => "unreadable code",
        }
    }
}

/// One reason to reject an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Path relative to the component's `src/`.
    pub file: String,
    /// 1-based; 0 when the finding is about the whole file.
    pub line: usize,
    pub class: Class,
    pub reason: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        }
    }
}

/// Which contract declaration, if any, allows what a hit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Never allowed.
    Never,
    FileRead,
    FileWrite,
    Network,
    Process,
}

/// One thing a language scanner found, before the contract is applied.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub line: usize,
    pub class: Class,
    pub gate: Gate,
    pub reason: String,
}

/// What a language scanner reports about one file.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub hits: Vec<Hit>,
    /// Every string the code spells, folded as far as it goes (unknown parts are
    /// [`text::UNKNOWN`]), with its line: to find `/proc` and references to shipped files.
    pub strings: Vec<(usize, String)>,
    /// The first line where the code finds its own location (`__file__`, `__dirname`,
    /// `import.meta.url`, the working directory): with file reads, it can reach a data file
    /// shipped next to it without naming it.
    pub locates_itself: Option<usize>,
}

impl Scan {
    pub(crate) fn hit(&mut self, n: Node, class: Class, gate: Gate, reason: impl Into<String>) {
        self.hits.push(Hit {
            line: line(n),
            class,
            gate,
            reason: reason.into(),
        });
    }

    pub(crate) fn located(&mut self, n: Node) {
        self.locates_itself.get_or_insert(line(n));
    }
}

/// What the contract allows, from its functions' `side_effects` and `structured_side_effects`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub network: bool,
    pub subprocess: bool,
    pub file_read: bool,
    pub file_write: bool,
}

impl Policy {
    pub fn of(contract: &ComponentContract) -> Policy {
        let free: Vec<String> = contract
            .functions
            .iter()
            .flat_map(|f| f.side_effects.iter())
            .map(|s| s.to_lowercase())
            .filter(|s| !negated(s))
            .collect();
        let kinds: Vec<SideEffectKind> = contract
            .functions
            .iter()
            .flat_map(|f| f.structured_side_effects.iter().map(|s| s.kind))
            .collect();
        let says = |w: &str| free.iter().any(|s| s.contains(w));
        let writes = free.iter().any(|s| {
            s.contains("file")
                && ["writ", "creat", "delet", "remov", "save", "append"]
                    .iter()
                    .any(|w| s.contains(w))
        });
        Policy {
            network: says("network") || kinds.contains(&SideEffectKind::NetworkCall),
            subprocess: says("subprocess"),
            file_read: says("file")
                || kinds.contains(&SideEffectKind::ReadsFile)
                || kinds.contains(&SideEffectKind::WritesFile),
            file_write: writes || kinds.contains(&SideEffectKind::WritesFile),
        }
    }

    fn allows(self, gate: Gate) -> bool {
        match gate {
            Gate::Never => false,
            Gate::FileRead => self.file_read,
            Gate::FileWrite => self.file_write,
            Gate::Network => self.network,
            Gate::Process => self.subprocess,
        }
    }
}

/// "No network access", "does not write files": a declaration that something does *not* happen.
fn negated(s: &str) -> bool {
    s.split(|c: char| !c.is_alphanumeric())
        .any(|w| matches!(w, "no" | "not" | "never" | "none" | "without"))
}

fn undeclared(gate: Gate) -> &'static str {
    match gate {
        Gate::Never => "",
        Gate::FileRead => " but the contract declares no file side effect",
        Gate::FileWrite => " but the contract declares no file-writing side effect",
        Gate::Network => " but the contract declares no network side effect",
        Gate::Process => " but the contract declares no subprocess side effect",
    }
}

/// Known ways to game tests, looked for in every file an implementation attempt writes, as
/// `file:line: reason` lines. Each finding rejects the attempt. `test_code` is the
/// component's contract tests (to spot literal test inputs matched in the code); `contract`
/// declares which side effects are allowed.
pub fn diff_audit(
    src: &Path,
    contract: &ComponentContract,
    test_code: &str,
    lang: TestLanguage,
) -> Vec<String> {
    audit(src, contract, test_code, lang)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// [`diff_audit`], as structured findings sorted by file and line.
pub fn audit(
    src: &Path,
    contract: &ComponentContract,
    test_code: &str,
    lang: TestLanguage,
) -> Vec<Finding> {
    let policy = Policy::of(contract);
    let contract_text = serde_json::to_string(contract).unwrap_or_default();
    let test_literals: HashSet<String> = literals(lang, test_code)
        .into_iter()
        .map(|l| l.text)
        .collect();
    let mut local: HashSet<String> = contract.dependencies.iter().cloned().collect();
    local.insert(contract.component_id.clone());
    let files = list_files(src);
    for (rel, _) in &files {
        if let Some(stem) = Path::new(rel).file_stem().and_then(|s| s.to_str()) {
            local.insert(stem.to_string());
        }
    }

    let mut findings = Vec::new();
    let mut data_files = Vec::new();
    let mut scans: Vec<(String, Scan)> = Vec::new();
    for (rel, bytes) in files {
        let mut say = |line: usize, class: Class, reason: String| {
            findings.push(Finding {
                file: rel.clone(),
                line,
                class,
                reason,
            })
        };
        match kind_of(&rel) {
            FileKind::Data => data_files.push(rel),
            FileKind::Loadable => say(
                0,
                Class::ShippedFile,
                "is a compiled or packaged file, which Python or Node can load and run as code; \
                 implementations ship source only"
                    .into(),
            ),
            FileKind::Source(flang) => {
                if bytes.len() > MAX_SOURCE {
                    say(
                        0,
                        Class::Unreadable,
                        format!("is too large to audit ({} bytes)", bytes.len()),
                    );
                    continue;
                }
                let text = String::from_utf8_lossy(&bytes);
                for (line, class, reason) in text_checks(flang, &text) {
                    say(line, class, reason);
                }
                let Some(tree) = pact_core::testcode::parse(flang, &text) else {
                    continue;
                };
                if tree.root_node().has_error() {
                    let errors =
                        pact_core::testcode::analyze_tree(flang, &tree, &text).syntax_errors;
                    let (line, what) = errors
                        .first()
                        .map(|e| (e.line as usize, e.message.clone()))
                        .unwrap_or((0, "invalid syntax".into()));
                    say(
                        line,
                        Class::Unreadable,
                        format!(
                            "cannot be audited: {what} (the audit reads only code that parses)"
                        ),
                    );
                }
                let (depth, deepest) = nesting(&tree);
                if depth > MAX_NESTING {
                    say(
                        deepest,
                        Class::Unreadable,
                        format!(
                            "nests code {depth} levels deep, more than the audit reads \
                             ({MAX_NESTING}); write it flatter"
                        ),
                    );
                    continue;
                }
                let scan = match flang {
                    TestLanguage::Python => python::scan(&tree, &text, &local),
                    TestLanguage::TypeScript | TestLanguage::JavaScript => {
                        typescript::scan(&tree, &text, &local)
                    }
                };
                for lit in literals_of(&tree, &text) {
                    if lit.compared
                        && lit.text.chars().count() >= 4
                        && test_literals.contains(&lit.text)
                        && !contract_text.contains(&lit.text)
                    {
                        say(
                            lit.line,
                            Class::SpecialCasing,
                            format!("special-cases a literal test input ({:?})", lit.text),
                        );
                    }
                }
                scans.push((rel, scan));
            }
        }
    }

    for (rel, scan) in &scans {
        let mut say = |line: usize, class: Class, reason: String| {
            findings.push(Finding {
                file: rel.clone(),
                line,
                class,
                reason,
            })
        };
        for h in &scan.hits {
            if !policy.allows(h.gate) {
                say(
                    h.line,
                    h.class,
                    format!("{}{}", h.reason, undeclared(h.gate)),
                );
            }
        }
        for (line, s) in &scan.strings {
            if text::mentions_proc(s) {
                say(
                    *line,
                    Class::Filesystem,
                    "reaches into /proc (the test process's own state)".into(),
                );
            }
            for run in s.split(text::UNKNOWN) {
                if let Some((class, what)) = text::sensitive_string(run) {
                    say(*line, class, format!("spells {run:?} as a string ({what})"));
                }
                if let Some(name) = text::names_test_file(run) {
                    say(
                        *line,
                        Class::TestDetection,
                        format!("names the tests or the harness ({name:?})"),
                    );
                }
            }
        }
        let reads_files = scan.hits.iter().any(|h| {
            matches!(h.gate, Gate::FileRead | Gate::FileWrite) || h.class == Class::DynamicCode
        });
        for data in &data_files {
            let named = scan
                .strings
                .iter()
                .find(|(_, s)| text::names_file(s, data))
                .map(|(l, _)| *l);
            match (named, scan.locates_itself) {
                (Some(line), _) => say(
                    line,
                    Class::ShippedFile,
                    format!(
                        "reads or runs '{data}', a non-source file shipped in its src/ \
                         (data files can hide code or test answers)"
                    ),
                ),
                (None, Some(line)) if reads_files => say(
                    line,
                    Class::ShippedFile,
                    format!(
                        "reads files next to its own module, where it ships '{data}', a \
                         non-source file (data files can hide code or test answers)"
                    ),
                ),
                _ => {}
            }
        }
    }

    // One finding per file and reason: the first line says where.
    let mut first: BTreeMap<(String, String), Finding> = BTreeMap::new();
    for f in findings {
        let key = (f.file.clone(), f.reason.clone());
        match first.get(&key) {
            Some(old) if old.line <= f.line => {}
            _ => {
                first.insert(key, f);
            }
        }
    }
    let mut out: Vec<Finding> = first.into_values().collect();
    out.sort_by(|a, b| (&a.file, a.line, &a.reason).cmp(&(&b.file, b.line, &b.reason)));
    out
}

/// Source files larger than this are not parsed (an LLM does not write them).
const MAX_SOURCE: usize = 2 << 20;
/// Syntax trees deeper than this are not scanned (no honest code nests so deep, and finding
/// a node's parent costs its depth).
const MAX_NESTING: usize = 400;

/// The depth of the deepest node, and its line.
fn nesting(tree: &tree_sitter::Tree) -> (usize, usize) {
    let mut deepest = (0, 0);
    visit(tree.root_node(), |n, anc| {
        if anc.len() > deepest.0 {
            deepest = (anc.len(), line(n));
        }
        true
    });
    deepest
}

enum FileKind {
    Source(TestLanguage),
    /// Compiled or packaged code an interpreter loads by itself.
    Loadable,
    /// Anything else: harmless unless the code reads or runs it.
    Data,
}

fn kind_of(rel: &str) -> FileKind {
    let ext = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "py" | "pyi" | "pyw" => FileKind::Source(TestLanguage::Python),
        "ts" | "mts" | "cts" => FileKind::Source(TestLanguage::TypeScript),
        "js" | "mjs" | "cjs" | "jsx" => FileKind::Source(TestLanguage::JavaScript),
        "so" | "pyd" | "pyc" | "pyo" | "dll" | "dylib" | "node" | "wasm" | "egg" | "whl"
        | "zip" | "pth" | "pyz" | "exe" => FileKind::Loadable,
        _ => FileKind::Data,
    }
}

/// Every regular file under `src` (symbolic links are the guard's business), sorted.
fn list_files(src: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file()
                && let Ok(bytes) = std::fs::read(&p)
            {
                let rel = p.strip_prefix(src).unwrap_or(&p);
                out.push((rel.to_string_lossy().replace('\\', "/"), bytes));
            }
        }
    }
    out.sort();
    out
}

/// Checks on the raw text: characters that make code read differently than it runs, and
/// Python source encodings that can hide code.
fn text_checks(lang: TestLanguage, text: &str) -> Vec<(usize, Class, String)> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let hidden = l.char_indices().find(|&(at, c)| {
            matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{00ad}')
                || (c == '\u{feff}' && (i > 0 || at > 0))
        });
        if let Some((_, c)) = hidden {
            out.push((
                i + 1,
                Class::Unreadable,
                format!(
                    "contains an invisible or bidirectional control character (U+{:04X}), which \
                     makes code read differently than it runs",
                    c as u32
                ),
            ));
        }
        if lang == TestLanguage::Python
            && i < 2
            && let Some(enc) = text::coding_cookie(l)
            && !text::plain_encoding(&enc)
        {
            out.push((
                i + 1,
                Class::Unreadable,
                format!(
                    "declares the source encoding '{enc}', which can hide code from anyone \
                     reading it; use UTF-8"
                ),
            ));
        }
    }
    out
}

/// A string literal of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Literal {
    pub text: String,
    pub line: usize,
    /// Compared against (`==`, `in`, a dict key, a `case`, `.includes(...)`, …).
    pub compared: bool,
}

fn literals(lang: TestLanguage, text: &str) -> Vec<Literal> {
    pact_core::testcode::parse(lang, text)
        .map(|tree| literals_of(&tree, text))
        .unwrap_or_default()
}

/// String literals of a parsed file (single-line, non-empty), each with whether it is compared.
fn literals_of(tree: &tree_sitter::Tree, text: &str) -> Vec<Literal> {
    let mut out = Vec::new();
    visit(tree.root_node(), |n, anc| {
        let kind = n.kind();
        let is_string = kind == "string"
            || (kind == "string_fragment" && anc.last().map(|a| a.kind()) != Some("string"));
        if !is_string {
            return true;
        }
        let raw = node_text(n, text);
        let lit = raw
            .trim_start_matches(['r', 'b', 'f', 'u', 'R', 'B', 'F', 'U'])
            .trim_matches(|c| c == '"' || c == '\'' || c == '`');
        if !lit.is_empty() && !lit.contains('\n') {
            out.push(Literal {
                text: lit.to_string(),
                line: line(n),
                compared: anc.iter().rev().take(3).any(|a| compares(*a, text)),
            });
        }
        false
    });
    out
}

/// Whether a string under `a` (within three levels) is compared against.
fn compares(a: Node, text: &str) -> bool {
    match a.kind() {
        "comparison_operator" | "pair" | "case_clause" | "case_pattern" | "switch_case" => true,
        "binary_expression" => a.child_by_field_name("operator").is_some_and(|o| {
            matches!(
                node_text(o, text),
                "==" | "===" | "!=" | "!==" | "<" | ">" | "<=" | ">=" | "in"
            )
        }),
        "call" | "call_expression" => {
            let f = a.child_by_field_name("function");
            let method = f
                .and_then(|f| {
                    f.child_by_field_name("attribute")
                        .or_else(|| f.child_by_field_name("property"))
                })
                .map(|m| node_text(m, text))
                .unwrap_or("");
            matches!(
                method,
                "includes"
                    | "has"
                    | "startsWith"
                    | "endsWith"
                    | "startswith"
                    | "endswith"
                    | "indexOf"
                    | "index"
                    | "find"
                    | "count"
                    | "equals"
                    | "__eq__"
                    | "__contains__"
            )
        }
        _ => false,
    }
}

// ── tree helpers shared by the language scanners ──────────────────────────────────────────

/// 1-based line of a node.
pub(crate) fn line(n: Node) -> usize {
    n.start_position().row + 1
}

pub(crate) fn node_text<'t>(n: Node, text: &'t str) -> &'t str {
    text.get(n.start_byte()..n.end_byte()).unwrap_or("")
}

/// Depth-first, iteratively (a deeply nested file cannot overflow the stack). `f` gets each
/// node and its ancestors (root first) and says whether to descend into it.
pub(crate) fn visit<'t>(root: Node<'t>, mut f: impl FnMut(Node<'t>, &[Node<'t>]) -> bool) {
    let mut cursor = root.walk();
    let mut ancestors: Vec<Node<'t>> = Vec::new();
    loop {
        let node = cursor.node();
        if f(node, &ancestors) && cursor.goto_first_child() {
            ancestors.push(node);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            ancestors.pop();
        }
    }
}

/// A rule over qualified names: `pattern` matches the name itself or anything under it
/// (`socket` matches `socket.socket`); a trailing `*` matches any continuation (`os.exec*`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub pattern: &'static str,
    pub class: Class,
    pub gate: Gate,
    pub what: &'static str,
}

pub(crate) const fn rule(
    pattern: &'static str,
    class: Class,
    gate: Gate,
    what: &'static str,
) -> Rule {
    Rule {
        pattern,
        class,
        gate,
        what,
    }
}

/// The most specific rule matching `name`, with the name to show.
pub(crate) fn match_rule<'r>(rules: &'r [Rule], name: &str) -> Option<(&'r Rule, String)> {
    let mut best: Option<(&Rule, String)> = None;
    for r in rules {
        let shown = if let Some(prefix) = r.pattern.strip_suffix('*') {
            if !name.starts_with(prefix) {
                continue;
            }
            name.split(['[', '(']).next().unwrap_or(name).to_string()
        } else if name == r.pattern
            || name
                .strip_prefix(r.pattern)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        {
            r.pattern.to_string()
        } else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|(b, _)| b.pattern.len() < r.pattern.len())
        {
            best = Some((r, shown));
        }
    }
    best
}
