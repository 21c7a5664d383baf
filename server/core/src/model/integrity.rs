//! Integrity records: the evidence behind "tests are law". The engine writes them; the gate and
//! the language server read them to show vacuous tests, weak suites and stale certifications.

use serde::{Deserialize, Serialize};

/// Tests run against the interface stub (whose functions only raise): any test that passes
/// there tests nothing. `.pact/integrity/<cid>/red_first.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RedFirstRecord {
    pub component_id: String,
    /// sha256 of the locked test files this record is about (stale if they change).
    pub test_hash: String,
    pub total: u64,
    /// Test ids (`module::test_name`) that passed against the stub.
    pub vacuous: Vec<String>,
    #[serde(default)]
    pub hidden_vacuous: Vec<String>,
    pub ran_at: String,
}

/// A mutant the tests did not kill.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Survivor {
    /// Path relative to the implementation's `src/`.
    pub file: String,
    /// 1-based.
    pub line: u32,
    pub column: u32,
    pub end_column: u32,
    pub operator: String,
    pub original: String,
    pub mutated: String,
    /// The contract function whose body holds the mutation, if any.
    pub function: String,
}

/// `pact mutate`: how many mutants of the accepted implementation the contract tests kill.
/// `.pact/integrity/<cid>/mutation.json`.
///
/// A mutant is killed only by a test that passed on the unmutated code (the baseline) and fails
/// or errors on the mutant. When nothing could be measured — no mutants, a baseline that does
/// not pass, no mutant whose outcome could be decided — there is no score (`score: null`, the
/// reason in `no_score`): unknown, never 0 or 100%.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MutationRecord {
    pub component_id: String,
    pub src_hash: String,
    pub test_hash: String,
    /// Mutants tried (after sampling).
    pub total: u64,
    pub killed: u64,
    /// Killed share of the decided mutants (killed + survivors); `None` when there is no score.
    pub score: Option<f64>,
    pub threshold: f64,
    pub survivors: Vec<Survivor>,
    /// Mutants whose outcome could not be decided (a timeout while the unmutated suite itself
    /// runs close to the limit, a runner that wrote no report): counted neither way.
    #[serde(default)]
    pub undecided: u64,
    /// Why there is no score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_score: Option<String>,
    /// How long the suite took on the unmutated code, and the limit each mutant's run had (ms).
    #[serde(default)]
    pub baseline_ms: u64,
    #[serde(default)]
    pub mutant_timeout_ms: u64,
    pub ran_at: String,
}

impl MutationRecord {
    /// The score, if one was measured. Records written before baselines existed said 1.0 for
    /// zero mutants: a record without a decided mutant has no score whatever it says.
    pub fn measured(&self) -> Option<f64> {
        self.score
            .filter(|_| self.killed + self.survivors.len() as u64 > 0)
    }

    /// Measured and below its threshold. No score is not weak: it is unknown.
    pub fn is_weak(&self) -> bool {
        self.measured().is_some_and(|s| s < self.threshold)
    }

    /// "5/7 mutants killed (71%)", or "no score (why)".
    pub fn summary(&self) -> String {
        match self.measured() {
            Some(s) => {
                let undecided = if self.undecided > 0 {
                    format!(", {} undecided", self.undecided)
                } else {
                    String::new()
                };
                format!(
                    "{}/{} mutants killed ({:.0}%){undecided}",
                    self.killed,
                    self.killed + self.survivors.len() as u64,
                    s * 100.0
                )
            }
            None => format!(
                "no score ({})",
                self.no_score
                    .as_deref()
                    .unwrap_or("no mutant could be measured")
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassCount {
    pub passed: u64,
    pub total: u64,
}

/// What a certified component was: every hash its verdict depends on, and the counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CertifiedComponent {
    pub contract_hash: String,
    pub test_hash: String,
    #[serde(default)]
    pub hidden_test_hash: String,
    pub src_hash: String,
    pub visible: PassCount,
    #[serde(default)]
    pub hidden: Option<PassCount>,
    #[serde(default)]
    pub mutation_score: Option<f64>,
    /// Whether the code ran in the sandbox when its verdict was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandboxed: Option<bool>,
    /// Whether its tests reached it only through the contract boundary ("proxy") or in their
    /// own process ("in-process").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<String>,
}

impl CertifiedComponent {
    /// What changed since certification: "contract", "tests" (visible or held out),
    /// "implementation". Empty when the certificate still holds. The one staleness rule, used by
    /// the gate (editors) and `pact certify --verify`.
    pub fn changes(
        &self,
        contract_text: Option<&str>,
        lock: Option<&TestLock>,
        src_hash: &str,
    ) -> Vec<&'static str> {
        let mut out = Vec::new();
        if contract_text
            .map(|t| crate::digest::sha256_hex(t.as_bytes()))
            .as_deref()
            != Some(self.contract_hash.as_str())
        {
            out.push("contract");
        }
        if lock.is_none_or(|l| {
            l.test_hash() != self.test_hash || l.hidden_hash() != self.hidden_test_hash
        }) {
            out.push("tests");
        }
        if src_hash != self.src_hash {
            out.push("implementation");
        }
        out
    }
}

/// `pact certify`: `.pact/certification.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    pub version: u32,
    pub certified_at: String,
    pub components: indexmap::IndexMap<String, CertifiedComponent>,
}

/// `.pact/locks/<cid>/lock.json`: the hashes of a component's tests when they were generated.
/// The files themselves are copied beside it (visible) and to `.pact/hidden/<cid>/` (held out).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestLock {
    pub component_id: String,
    pub contract_version: i64,
    /// File name → sha256 of the locked visible test files.
    pub files: std::collections::BTreeMap<String, String>,
    /// File name → sha256 of the held-out test files.
    #[serde(default)]
    pub hidden: std::collections::BTreeMap<String, String>,
    pub locked_at: String,
}

impl TestLock {
    /// One hash for the visible tests (what records and certifications refer to).
    pub fn test_hash(&self) -> String {
        canonical_hash(&self.files)
    }
    pub fn hidden_hash(&self) -> String {
        if self.hidden.is_empty() {
            String::new()
        } else {
            canonical_hash(&self.hidden)
        }
    }
}

/// A hash of `name → hash` pairs that does not depend on any formatting implementation.
fn canonical_hash(files: &std::collections::BTreeMap<String, String>) -> String {
    let joined: String = files.iter().map(|(k, v)| format!("{k}\0{v}\n")).collect();
    crate::digest::sha256_hex(joined.as_bytes())
}

/// One call at a component boundary, recorded while diagnosing failing tests (the original's
/// IOTrace). `.pact/implementations/<cid>/traces.json` holds a list of these.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IoTrace {
    pub component_id: String,
    pub function: String,
    #[serde(default)]
    pub inputs: indexmap::IndexMap<String, String>,
    #[serde(default)]
    pub output: String,
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub duration_ms: f64,
    #[serde(default)]
    pub sub_traces: Vec<IoTrace>,
}
