//! The phases, as the seed runs them: interview → shape → decompose (tree, contracts, tests,
//! validate) → implement → integrate → complete, with diagnose on failure. Each phase function
//! is idempotent: it skips what already exists on disk, so a resumed run redoes nothing.
//! One file per phase (or per job within decompose); this one dispatches and holds the helpers
//! every phase shares.

pub(crate) mod adopt;
mod decompose;
mod diagnose;
mod implement;
mod interview;
mod shape;
mod test_authoring;
mod tests_revision;
mod tree;

pub use interview::approve;
pub use tests_revision::regenerate_tests;
pub(crate) use tests_revision::strengthen_tests;

use crate::engine::{Engine, EngineError, Outcome, Result};
use pact_core::model::{ImplementationStatus, Phase, TestLanguage};
use serde_json::Value;

pub(crate) async fn run_phase(e: &Engine, phase: Phase) -> Result<Outcome> {
    match phase {
        Phase::Interview => interview::interview(e).await,
        Phase::Shape => shape::shape(e).await,
        Phase::Decompose | Phase::Contract | Phase::Test | Phase::Validate => {
            decompose::decompose(e).await
        }
        Phase::Preflight => Ok(Outcome::Advanced {
            to: Phase::Implement,
        }),
        Phase::Implement => implement::implement(e).await,
        Phase::Integrate => implement::integrate(e).await,
        Phase::Diagnose => diagnose::diagnose(e).await,
        Phase::Arbiter | Phase::Polish | Phase::Retrospective | Phase::Complete => {
            Ok(Outcome::Completed)
        }
    }
}

fn read(e: &Engine, path: &std::path::Path) -> Result<String> {
    Ok(e.project.read_text(path)?.unwrap_or_default())
}

pub(crate) fn language(e: &Engine) -> TestLanguage {
    crate::runtime::language(&e.config)
}

async fn ask(e: &Engine, req: &pact_agents::LlmRequest) -> Result<Value> {
    e.check_cancel()?;
    let backend = e.backends.for_role(&req.role)?;
    let req = with_operator_context(e, req.clone());
    let answer = backend.complete(&req, &e.cancel).await?;
    let _ = e.sync_spend();
    Ok(answer.value)
}

/// Context an operator injected into a running daemon (`inject_context`) reaches every agent.
pub(crate) fn with_operator_context(
    e: &Engine,
    req: pact_agents::LlmRequest,
) -> pact_agents::LlmRequest {
    match std::fs::read_to_string(crate::directive::context_path(&e.project)) {
        Ok(ctx) if !ctx.trim().is_empty() => {
            req.user(format!("Context from the operator:\n{}", ctx.trim()))
        }
        _ => req,
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|err| {
        EngineError::Invalid(format!("the {what} answer does not fit the model: {err}"))
    })
}

pub(crate) fn lang_name(l: TestLanguage) -> &'static str {
    match l {
        TestLanguage::Python => "python",
        TestLanguage::TypeScript => "typescript",
        TestLanguage::JavaScript => "javascript",
    }
}

pub(crate) fn set_node_status(e: &Engine, cid: &str, status: ImplementationStatus) -> Result<()> {
    e.project.update_tree(|tree| {
        if let Some(n) = tree.nodes.get_mut(cid) {
            n.implementation_status = status;
        }
    })?;
    Ok(())
}
