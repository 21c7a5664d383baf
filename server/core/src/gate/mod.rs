//! The validation gate: "refs resolve, no cycles, tests parse", and more. One function, used by
//! `pact validate`, the pipeline and the language server. Every finding has a severity, a stable
//! code, the original's message where it has one, and a file and range to underline.

mod cache;
mod checks;
mod integrity;
mod remedy;
mod suites;
mod typeref;
mod wire;

pub use cache::AnalysisCache;
pub use wire::{Diagnostic, Verdict};

pub use typeref::{BUILTIN_TYPES, BaseName, base_types};

use crate::store::ProjectDocs;
use crate::text::{LineCol, LineIndex, TextRange};
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

macro_rules! codes {
    ($($variant:ident = $text:literal : $doc:literal),+ $(,)?) => {
        /// Stable finding codes: editors filter and link on them, so they never change meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $(#[doc = $doc] $variant),+ }
        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $(Code::$variant => $text),+ } }
            pub fn describe(self) -> &'static str { match self { $(Code::$variant => $doc),+ } }
        }
    };
}

codes! {
    Unreadable = "unreadable-file": "A file that cannot be read as text (binary, too large, no permission).",
    JsonSyntax = "json-syntax": "A JSON document that is not well-formed, e.g. truncated by a crash.",
    JsonSchema = "json-schema": "JSON that does not fit the document's schema (wrong type, unknown enum value, missing field).",
    InvalidId = "invalid-component-id": "A component id that cannot be a directory name.",
    IdMismatch = "id-mismatch": "A document whose component_id differs from the directory it lives in.",
    MissingTree = "missing-tree": "The project has no decomposition tree yet.",
    MissingRoot = "missing-root": "The tree's root_id names no node.",
    DanglingChild = "dangling-child": "A tree child id that names no node.",
    TreeCycle = "tree-cycle": "A cycle through the tree's children edges.",
    DependencyCycle = "dependency-cycle": "A cycle through contracts' `dependencies`.",
    MissingContract = "missing-contract": "A tree component without interface.json.",
    IncompleteContract = "incomplete-contract": "A contract without a name, functions, or output types.",
    UnresolvedType = "unresolved-type": "A type ref naming a type the contract does not define and that is not built in.",
    MissingTestSuite = "missing-test-suite": "A tree component without contract_test_suite.json.",
    EmptyTestSuite = "empty-test-suite": "A test suite without test cases.",
    TestSyntax = "test-syntax": "Test code that does not parse.",
    UnknownFunction = "unknown-function": "A test case or test calling a function the contract does not have.",
    ToothlessTest = "toothless-test": "A test without any assertion: it cannot fail, so it is not law.",
    StaleTests = "stale-tests": "Tests generated for an older version of the contract.",
    DependencyWithoutContract = "dependency-without-contract": "A dependency on a tree component that has no contract.",
    UnknownDependency = "unknown-dependency": "A dependency or id naming no component (treated as external).",
    DistantDependency = "distant-dependency": "A dependency outside the sibling/parent scope of the tree.",
    VacuousTest = "vacuous-test": "A test that passes against the interface stub (whose functions only raise) or accepts any type-correct answer: it tests nothing.",
    TestLockMismatch = "test-lock-mismatch": "A test file that differs from its locked copy; the locked copy is what runs.",
    TestTampered = "test-tampered": "A locked test file whose content no longer matches the hash recorded when it was locked.",
    StaleCertification = "stale-certification": "A certified component whose contract, tests or implementation changed since.",
    SurvivingMutant = "surviving-mutant": "A change to the implementation that no contract test notices.",
    WeakSuite = "weak-suite": "A test suite whose mutation score is below the configured threshold.",
    UnmeasuredSuite = "unmeasured-suite": "A test suite whose mutation score could not be measured (its tests do not pass on the unmutated code, or no mutant could be decided): unknown, not strong.",
    UncheckedTests = "unchecked-tests": "Locked tests whose red-first record is for other tests: nothing shows they can fail.",
    InProcessTest = "in-process-test": "A suite that patches module internals: it runs in the implementation's process instead of across the contract boundary, so the code under test can see it.",
}

/// Related information: another place that matters for a finding (e.g. other members of a cycle).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    pub file: PathBuf,
    pub range: TextRange,
    pub message: String,
}

/// A mechanical repair an editor can offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// Replace the finding's range with this text ("did you mean `WordCount`?").
    Replace { with: String },
    /// Add this id to the contract's `dependencies`.
    AddDependency { id: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    #[serde(serialize_with = "ser_code")]
    pub code: Code,
    pub message: String,
    pub component: Option<String>,
    pub file: Option<PathBuf>,
    pub range: Option<TextRange>,
    pub start: Option<LineCol>,
    pub end: Option<LineCol>,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
    /// Whether it is listed in the gate's `details` (false for a second view of the same
    /// problem, e.g. a test file identical to the suite's generated code).
    #[serde(skip)]
    pub in_details: bool,
}

fn ser_code<S: serde::Serializer>(c: &Code, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.as_str())
}

impl Finding {
    pub fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            component: None,
            file: None,
            range: None,
            start: None,
            end: None,
            related: Vec::new(),
            fix: None,
            in_details: true,
        }
    }
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }
    pub fn at(mut self, file: &std::path::Path, range: Option<TextRange>) -> Self {
        self.file = Some(file.to_path_buf());
        self.range = range;
        self
    }
    pub fn of(mut self, cid: &str) -> Self {
        self.component = Some(cid.to_string());
        self
    }
}

/// The gate's verdict, in the original's shape (`passed`, `reason`, `details`) plus findings.
/// How many errors and warnings a report has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }
    /// Errors, as every surface counts them: each finding is one diagnostic, published once.
    pub fn error_count(&self) -> usize {
        self.counts().errors
    }
    /// The errors and warnings of the report: the numbers `pact validate`, the language
    /// server's diagnostics, its `pact.validate` result and the editors' status bars all show.
    pub fn counts(&self) -> Counts {
        let n = |s| self.findings.iter().filter(|f| f.severity == s).count();
        Counts {
            errors: n(Severity::Error),
            warnings: n(Severity::Warning),
        }
    }
    pub fn reason(&self) -> String {
        if self.passed() {
            "All contracts validated successfully".to_string()
        } else {
            format!(
                "Contract validation failed with {} error(s)",
                self.error_count().max(1)
            )
        }
    }
    /// Errors in check order, then warnings as `[warning] …`, as the original lists them.
    pub fn details(&self) -> Vec<String> {
        let listed = |sev| {
            self.findings
                .iter()
                .filter(move |f| f.in_details && f.severity == sev)
        };
        listed(Severity::Error)
            .map(|f| f.message.clone())
            .chain(listed(Severity::Warning).map(|f| format!("[warning] {}", f.message)))
            .collect()
    }
    pub fn for_file<'a>(
        &'a self,
        path: &'a std::path::Path,
    ) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings
            .iter()
            .filter(move |f| f.file.as_deref() == Some(path))
    }
}

/// Runs every check over a snapshot of the project.
pub fn validate(docs: &ProjectDocs) -> Report {
    validate_with(docs, &mut AnalysisCache::in_memory())
}

/// [`validate`], reusing earlier analyses of unchanged test texts.
pub fn validate_with(docs: &ProjectDocs, cache: &mut AnalysisCache) -> Report {
    validate_scoped(docs, &Scope::All, cache)
}

/// Which part of a project to check. The language server re-checks only what an edit can
/// affect: the edited component, its dependents, and the tree when the tree changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Components {
        ids: std::collections::HashSet<String>,
        tree: bool,
    },
}

impl Scope {
    pub fn includes(&self, cid: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Components { ids, .. } => ids.contains(cid),
        }
    }
    pub fn includes_tree(&self) -> bool {
        match self {
            Scope::All => true,
            Scope::Components { tree, .. } => *tree,
        }
    }
}

/// [`validate_with`] restricted to a [`Scope`]; findings outside it are not produced.
pub fn validate_scoped(docs: &ProjectDocs, scope: &Scope, cache: &mut AnalysisCache) -> Report {
    let mut findings = checks::run(docs, scope, cache);
    integrity::run(docs, scope, &mut findings);
    fill_positions(docs, &mut findings);
    Report { findings }
}

/// Computes 1-based line/columns once per file that has findings.
fn fill_positions(docs: &ProjectDocs, findings: &mut [Finding]) {
    let mut indexes: HashMap<PathBuf, Option<(std::sync::Arc<str>, LineIndex)>> = HashMap::new();
    for f in findings.iter_mut() {
        let (Some(file), Some(range)) = (&f.file, f.range) else {
            continue;
        };
        let entry = indexes
            .entry(file.clone())
            .or_insert_with(|| docs.text_of(file).map(|t| (t.clone(), LineIndex::new(t))));
        if let Some((text, idx)) = entry {
            f.start = Some(idx.line_col(text, range.start));
            f.end = Some(idx.line_col(text, range.end));
        } else if range == TextRange::default() {
            // A file without text in the snapshot (one that cannot be read): its start.
            f.start = Some(LineCol { line: 1, column: 1 });
            f.end = f.start;
        }
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}
