//! The build record (`metadata.json` in an implementation's directory): what the implementation
//! was built from and how its verdict was reached, so "done" is decided from disk — a resumed
//! run, `pact status` and the editor all tell finished work from stale work the same way. One
//! type, one path (`Layout::build_record`).

use super::PassCount;
use serde::{Deserialize, Serialize};

/// `metadata.json` of an implementation: what it was built from, so a resumed run can tell
/// finished work from stale work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildRecord {
    pub component_id: String,
    pub status: String,
    pub attempts: u32,
    pub contract_version: i64,
    pub src_hash: String,
    pub test_hash: String,
    pub winner_attempt: String,
    pub timestamp: String,
    /// Held-out tests: the code agent never saw them.
    #[serde(default)]
    pub hidden: Option<PassCount>,
    /// Visible pass rate minus held-out pass rate: a positive gap suggests tests were gamed.
    #[serde(default)]
    pub gaming_gap: f64,
    /// sha256 of interface.json, of the held-out tests, and of every dependency's sources the
    /// tests ran with: a change to any of them makes the verdict stale.
    #[serde(default)]
    pub contract_hash: String,
    #[serde(default)]
    pub hidden_hash: String,
    #[serde(default)]
    pub deps_hash: String,
    /// How the verdict's code ran: "sandboxed", or "unsandboxed: <why>".
    #[serde(default)]
    pub isolation: String,
    /// Whether the tests reached the implementation only through the contract boundary (false:
    /// in the tests' process, e.g. a suite that patches module internals).
    #[serde(default)]
    pub boundary: bool,
    /// The mutation gate's verdict on these sources and tests (`None`: not measured yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutation: Option<MutationVerdict>,
}

/// What the build's mutation pass measured of an accepted implementation's suite: part of
/// "done" when `mutation_gate` is on (Python projects).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MutationVerdict {
    /// Killed share of the decided mutants; `None`: no score.
    pub score: Option<f64>,
    pub threshold: f64,
    pub killed: u64,
    /// Mutants tried.
    pub total: u64,
    /// Test-author revisions the gate asked for.
    #[serde(default)]
    pub revisions: u32,
    /// Why the component is not done; empty when the gate passed.
    #[serde(default)]
    pub finding: String,
    /// Why nothing was measured though the gate was on (a test runner that runs no code).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub skipped: String,
}

impl MutationVerdict {
    /// Why this verdict keeps the component from being done at `threshold`, if it does.
    pub fn blocks(&self, threshold: f64) -> Option<String> {
        if !self.skipped.is_empty() || self.total == 0 {
            return None;
        }
        match self.score {
            Some(s) if s >= threshold => None,
            Some(s) if self.finding.is_empty() || self.threshold != threshold => Some(format!(
                "mutation score {:.0}% is below the threshold {:.0}%",
                s * 100.0,
                threshold * 100.0
            )),
            None if self.finding.is_empty() => Some("mutation score unknown".into()),
            _ => Some(self.finding.clone()),
        }
    }
}
