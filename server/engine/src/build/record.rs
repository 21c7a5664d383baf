//! The build record (`metadata.json`): what an implementation was built from, so "done" can be
//! decided from disk — a resumed run tells finished work from stale work.

use super::deps::src_dirs;
use super::hash_dir;
use super::mutation_gate::gate_applies;
use crate::engine::{Engine, EngineError, Result};
use crate::lock;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `metadata.json` of an implementation: what it was built from, so a resumed run can tell
/// finished work from stale work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImplMetadata {
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
    pub hidden: Option<pact_core::model::PassCount>,
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

pub(super) fn lock_hash(l: &lock::TestLock) -> String {
    l.test_hash()
}

/// Whether the component is built from exactly its current contract, tests (visible and held
/// out) and dependencies, with a passing run on record, and — with the mutation gate on — a
/// suite strong enough by its mutation score. What "done" means everywhere.
pub fn already_built(e: &Engine, cid: &str) -> Result<bool> {
    let Some(meta) = accepted(e, cid)? else {
        return Ok(false);
    };
    Ok(!gate_applies(e) || mutation_blocker(e, &meta).is_none())
}

/// Why the mutation gate keeps an accepted component from being done, if it does.
fn mutation_blocker(e: &Engine, meta: &ImplMetadata) -> Option<String> {
    match &meta.mutation {
        None => Some("its suite's mutation score was not measured yet".into()),
        Some(v) => v.blocks(e.config.mutation_threshold()),
    }
}

/// A component whose tests accept its implementation (what "done" means without the mutation
/// gate) but which the gate holds back: why, or `None`.
pub fn held_by_mutation_gate(e: &Engine, cid: &str) -> Result<Option<String>> {
    if !gate_applies(e) {
        return Ok(None);
    }
    Ok(accepted(e, cid)?.and_then(|m| mutation_blocker(e, &m)))
}

/// The build record, if its locked tests accepted the implementation as it is now: built from
/// exactly the current contract, tests (visible and held out) and dependencies, with a passing
/// run on record.
pub(super) fn accepted(e: &Engine, cid: &str) -> Result<Option<ImplMetadata>> {
    let meta_path = e
        .project
        .layout
        .implementation_dir(cid)
        .join("metadata.json");
    let Some(text) = e.project.read_text(&meta_path)? else {
        return Ok(None);
    };
    let Ok(meta) = serde_json::from_str::<ImplMetadata>(&text) else {
        return Ok(None);
    };
    let Ok((l, _)) = lock::verified_tests(&e.project, cid) else {
        return Ok(None);
    };
    let results_ok = e
        .project
        .load_test_results(cid)?
        .is_some_and(|r| r.all_passed());
    let src = e.project.layout.implementation_src(cid);
    let current = meta.status == "passed"
        && results_ok
        && meta.test_hash == lock_hash(&l)
        && meta.hidden_hash == l.hidden_hash()
        && meta.contract_hash == contract_hash(e, cid)?
        && meta.src_hash == hash_dir(&src)
        && meta.deps_hash == deps_hash(e, cid, &src)?;
    Ok(current.then_some(meta))
}

pub(super) fn contract_hash(e: &Engine, cid: &str) -> Result<String> {
    Ok(e.project
        .read_text(&e.project.layout.contract(cid))?
        .map(|t| pact_core::digest::sha256_hex(t.as_bytes()))
        .unwrap_or_default())
}

/// One hash over the sources of everything the component's tests import besides itself, each
/// named by its place in the project: a moved or copied project is still up to date.
pub(super) fn deps_hash(e: &Engine, cid: &str, own: &Path) -> Result<String> {
    let dirs = src_dirs(e, cid, own)?;
    let root = e.project.root();
    let joined: String = dirs
        .iter()
        .skip(1)
        .map(|d| {
            let name = d.strip_prefix(root).unwrap_or(d);
            format!("{}\0{}\n", name.display(), hash_dir(d))
        })
        .collect();
    Ok(pact_core::digest::sha256_hex(joined.as_bytes()))
}

/// Writes the mutation gate's verdict into the component's build record.
pub(super) fn record_verdict(e: &Engine, cid: &str, verdict: MutationVerdict) -> Result<()> {
    let path = e
        .project
        .layout
        .implementation_dir(cid)
        .join("metadata.json");
    let Some(mut meta) = e
        .project
        .read_text(&path)?
        .and_then(|t| serde_json::from_str::<ImplMetadata>(&t).ok())
    else {
        return Err(EngineError::Invalid(format!(
            "'{cid}' has no build record to add the mutation verdict to"
        )));
    };
    meta.mutation = Some(verdict);
    let text =
        serde_json::to_string_pretty(&meta).map_err(|err| EngineError::Invalid(err.to_string()))?;
    Ok(e.project.write_text(&path, &text)?)
}
