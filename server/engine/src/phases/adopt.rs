//! The model's part of adopting existing code: a contract written from a module's source (what
//! the code does is the specification), then tests from that contract through the same
//! authoring, gate, lock and red-first steps as any component's.

use super::decompose::findings_for;
use super::{ask, language, parse};
use crate::engine::{Engine, Result};
use crate::roles;
use pact_core::model::ComponentContract;
use serde_json::Value;

/// Writes `cid`'s contract from the module's source. `Ok(Err(reason))` when it still fails the
/// gate after every revision allowed (the last one stays on disk for the user to fix).
pub(crate) async fn contract_from_source(
    e: &Engine,
    cid: &str,
    module: &str,
    source: &str,
    api: &str,
    max_revisions: u32,
) -> Result<std::result::Result<ComponentContract, String>> {
    let mut findings: Vec<String> = Vec::new();
    for revision in 0..=max_revisions {
        let v = ask(
            e,
            &roles::adopt_contract(cid, module, source, api, &findings),
        )
        .await?;
        // The engine, not the agent, decides identity and dependencies (none: a module's
        // imports are its own business).
        let obj = super::decompose::identify(v, cid, module, Vec::new());
        let contract: ComponentContract = parse(Value::Object(obj), "contract")?;
        super::decompose::save_contract(e, &contract)?;
        e.audit(
            "adopt_contract",
            format!(
                "{cid} from {module} ({} functions, revision {revision})",
                contract.functions.len()
            ),
        )?;
        let problems = findings_for(e, cid, false);
        if problems.is_empty() {
            return Ok(Ok(contract));
        }
        findings = problems.iter().map(|f| f.message.clone()).collect();
    }
    Ok(Err(format!(
        "The contract of '{cid}' still fails the gate after {max_revisions} revision(s): {}",
        findings.join("; ")
    )))
}

/// Tests for `cid` from its contract: written, gate-checked, locked and red-first checked
/// against the interface stub, with held-out tests where configured.
pub(crate) async fn tests_from_contract(
    e: &Engine,
    cid: &str,
    max_revisions: u32,
) -> Result<std::result::Result<(), String>> {
    super::test_authoring::author_tests(e, cid, language(e), max_revisions).await
}

/// New tests for `cid`, asked with `brief` (its tests fail on the adopted code), through the
/// same gate, lock and red-first as the first ones.
pub(crate) async fn revise_tests(
    e: &Engine,
    cid: &str,
    max_revisions: u32,
    brief: &str,
) -> Result<std::result::Result<(), String>> {
    super::test_authoring::author_tests_with(e, cid, language(e), max_revisions, Some(brief)).await
}

/// A package node of an adopted tree: its contract written like any parent's (from its
/// children's contracts, which it integrates), then its tests. The integrate phase builds it.
pub(crate) async fn parent(
    e: &Engine,
    tree: &pact_core::model::DecompositionTree,
    cid: &str,
    context: &str,
    max_revisions: u32,
) -> Result<std::result::Result<(), String>> {
    if let Err(reason) =
        super::decompose::author_contract(e, tree, cid, context, "", max_revisions).await?
    {
        return Ok(Err(reason));
    }
    tests_from_contract(e, cid, max_revisions).await
}
