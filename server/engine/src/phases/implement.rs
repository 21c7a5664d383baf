//! The implement and integrate phases: leaves, then parents deepest first, built through
//! [`crate::build`]; any failure sends the run to diagnosis.

use super::decompose::write_design;
use crate::build::{self, BuildMode};
use crate::engine::{Engine, EngineError, Outcome, Result};
use pact_core::model::{DecompositionNode, Phase};

pub(super) async fn implement(e: &Engine) -> Result<Outcome> {
    let tree = e
        .project
        .load_tree()?
        .ok_or_else(|| EngineError::Invalid("no decomposition tree".into()))?;
    let leaves: Vec<String> = tree
        .topological_order()
        .into_iter()
        .filter(|id| tree.is_leaf(id))
        .map(str::to_string)
        .collect();
    let failed = build::build_many(e, &leaves, BuildMode::from_config(&e.config)).await?;
    finish_build_phase(e, failed, Phase::Integrate, "Components failed")
}

pub(super) async fn integrate(e: &Engine) -> Result<Outcome> {
    let tree = e
        .project
        .load_tree()?
        .ok_or_else(|| EngineError::Invalid("no decomposition tree".into()))?;
    // Deepest parents first: children before the parents that wire them.
    let mut parents: Vec<&DecompositionNode> = tree
        .nodes
        .values()
        .filter(|n| !n.children.is_empty())
        .collect();
    parents.sort_by_key(|n| std::cmp::Reverse(n.depth));
    let ids: Vec<String> = parents.iter().map(|n| n.component_id.clone()).collect();
    let failed = build::build_many(e, &ids, BuildMode::from_config(&e.config)).await?;
    for id in &ids {
        if let Some(r) = e.project.load_test_results(id)? {
            let path = e
                .project
                .layout
                .composition_dir(id)
                .join("test_results.json");
            let text = serde_json::to_string_pretty(&r)
                .map_err(|err| EngineError::Invalid(err.to_string()))?;
            e.project.write_text(&path, &text)?;
        }
    }
    let outcome = finish_build_phase(e, failed, Phase::Complete, "Integration failed")?;
    write_design(e)?;
    Ok(match outcome {
        Outcome::Advanced {
            to: Phase::Complete,
        } => Outcome::Completed,
        other => other,
    })
}

fn finish_build_phase(e: &Engine, failed: Vec<String>, next: Phase, what: &str) -> Result<Outcome> {
    if failed.is_empty() {
        return Ok(Outcome::Advanced { to: next });
    }
    let reason = format!("{what}: {}", failed.join(", "));
    e.update(|s| s.pause_reason = reason.clone())?;
    Ok(Outcome::Advanced {
        to: Phase::Diagnose,
    })
}
