//! The build record (`metadata.json`): what an implementation was built from, so "done" can be
//! decided from disk — a resumed run tells finished work from stale work.

use super::deps::src_dirs;
use super::hash_dir;
use super::mutation_gate::gate_applies;
use crate::engine::{Engine, EngineError, Result};
use crate::lock;
pub use pact_core::model::{BuildRecord, MutationVerdict};
use std::path::Path;

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
fn mutation_blocker(e: &Engine, meta: &BuildRecord) -> Option<String> {
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
pub(super) fn accepted(e: &Engine, cid: &str) -> Result<Option<BuildRecord>> {
    let Ok(Some(meta)) = e.project.load_build_record(cid) else {
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

/// The build record of an adopted component: its implementation is the existing code, run
/// against its locked tests just now (`passed` when all passed). `winner_attempt` says
/// `adopted` until a rebuild replaces the code.
pub fn record_adopted(e: &Engine, cid: &str, passed: bool) -> Result<()> {
    let (l, _) = lock::verified_tests(&e.project, cid)?;
    let contract_version = e.project.load_contract(cid)?.map_or(1, |c| c.version);
    let src = e.project.layout.implementation_src(cid);
    let meta = BuildRecord {
        component_id: cid.into(),
        status: if passed { "passed" } else { "failed" }.into(),
        attempts: 0,
        contract_version,
        src_hash: super::hash_dir(&src),
        test_hash: lock_hash(&l),
        winner_attempt: ADOPTED.into(),
        timestamp: pact_core::store::now_iso(),
        hidden: None,
        gaming_gap: 0.0,
        contract_hash: contract_hash(e, cid)?,
        hidden_hash: l.hidden_hash(),
        deps_hash: deps_hash(e, cid, &src)?,
        isolation: String::new(),
        boundary: true,
        mutation: None,
    };
    Ok(e.project.save_build_record(cid, &meta)?)
}

/// `winner_attempt` of a component whose implementation is adopted code.
pub const ADOPTED: &str = "adopted";

/// Whether the component's implementation is still the adopted code (no rebuild since).
pub fn is_adopted(layout: &pact_core::store::Layout, cid: &str) -> bool {
    let max = pact_core::json::MAX_DOCUMENT_BYTES as u64;
    pact_core::store::fsio::read_text(&layout.build_record(cid), max)
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str::<BuildRecord>(&t).ok())
        .is_some_and(|r| r.winner_attempt == ADOPTED)
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
    let Ok(Some(mut meta)) = e.project.load_build_record(cid) else {
        return Err(EngineError::Invalid(format!(
            "'{cid}' has no build record to add the mutation verdict to"
        )));
    };
    meta.mutation = Some(verdict);
    Ok(e.project.save_build_record(cid, &meta)?)
}
