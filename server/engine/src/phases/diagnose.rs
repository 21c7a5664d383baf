//! The diagnose phase: why components failed (with their boundary calls traced), and whether
//! the run may retry them or needs a human.

use super::{ask, language, set_node_status};
use crate::build;
use crate::engine::{Engine, EngineError, Outcome, Result};
use crate::job::PauseReason;
use crate::roles;
use pact_core::ids::check_component_id;
use pact_core::model::{ImplementationStatus, Phase, TaskStatus, TestLanguage};
use serde_json::Value;
use std::collections::HashSet;

/// Re-runs a failing component's locked tests with every call into it and its dependencies
/// traced, and keeps the traces in `.pact/implementations/<cid>/traces.json`.
async fn trace_boundaries(e: &Engine, cid: &str) -> Result<Vec<pact_core::model::IoTrace>> {
    if language(e) != TestLanguage::Python {
        return Ok(Vec::new());
    }
    let Ok((_, files)) = crate::lock::verified_tests(&e.project, cid) else {
        return Ok(Vec::new());
    };
    // Dependencies before dependents, so imports bind the traced functions.
    let mut order: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack: Vec<(String, bool)> = vec![(cid.to_string(), false)];
    while let Some((id, expanded)) = stack.pop() {
        if expanded {
            order.push(id);
        } else if check_component_id(&id).is_ok() && seen.insert(id.clone()) {
            stack.push((id.clone(), true));
            for d in crate::build::dependencies(e, &id)? {
                stack.push((d, false));
            }
        }
    }
    let src = e.project.layout.implementation_src(cid);
    let job = crate::harness::TestJob::new(
        TestLanguage::Python,
        files,
        crate::build::src_dirs(e, cid, &src)?,
    )
    .with_contracts(crate::build::boundary_contracts(e, cid)?);
    let (_, traces) = crate::harness::run_traced(
        &job,
        &order,
        &e.harness_for(TestLanguage::Python).await?,
        &e.cancel,
    )
    .await?;
    let path = e.project.layout.implementation_dir(cid).join("traces.json");
    e.project.write_text(
        &path,
        &serde_json::to_string_pretty(&traces).unwrap_or_default(),
    )?;
    Ok(traces)
}

pub(super) async fn diagnose(e: &Engine) -> Result<Outcome> {
    let state = e.state()?;
    let mut failed: Vec<String> = state.failed_components();
    // A component held back only by the mutation gate needs no diagnosis (its tests pass): it
    // is done if the gate now lets it be (threshold lowered, gate off), else its tests need a
    // human. Retrying the code would not make its tests stronger.
    let mut weak = Vec::new();
    let mut done_now = Vec::new();
    for cid in &failed {
        if build::already_built(e, cid)? {
            done_now.push(cid.clone());
        } else if let Some(why) = build::held_by_mutation_gate(e, cid)? {
            weak.push((cid.clone(), why));
        }
    }
    if !done_now.is_empty() {
        e.update(|s| {
            for cid in &done_now {
                let t = s.task_mut(cid);
                t.status = TaskStatus::Completed;
                t.last_error.clear();
            }
        })?;
        for cid in &done_now {
            set_node_status(e, cid, ImplementationStatus::Tested)?;
            e.audit("diagnosis", format!("{cid}: done (its build record holds)"))?;
        }
        failed.retain(|c| !done_now.contains(c));
    }
    if failed.is_empty() {
        return Ok(Outcome::Advanced {
            to: Phase::Implement,
        });
    }
    let mut retryable = weak.is_empty();
    let mut notes: Vec<String> = weak
        .iter()
        .map(|(cid, why)| {
            format!("{cid}: its tests are too weak — {why}; strengthen them, lower mutation_threshold or set mutation_gate: false in pact.yaml, then resume")
        })
        .collect();
    for cid in &failed {
        if weak.iter().any(|(c, _)| c == cid) {
            continue;
        }
        let (Some(contract), Some(results)) = (
            e.project.load_contract(cid)?,
            e.project.load_test_results(cid)?,
        ) else {
            continue;
        };
        let test_code = e
            .project
            .read_text(
                &e.project
                    .layout
                    .tests_dir(cid)
                    .join(language(e).test_file_name()),
            )?
            .unwrap_or_default();
        let traces = trace_boundaries(e, cid).await?;
        let v = ask(
            e,
            &roles::diagnose(&contract, &results, &test_code, &traces),
        )
        .await?;
        let cause = v
            .get("root_cause")
            .and_then(Value::as_str)
            .unwrap_or("implementation_bug")
            .to_string();
        let explanation = v
            .get("explanation")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        e.audit("diagnosis", format!("{cid}: {cause}: {explanation}"))?;
        let lesson = serde_json::json!({"lesson": explanation, "category": "failure_mode", "component_id": cid, "timestamp": pact_core::store::now_iso()});
        pact_core::store::fsio::append_line(&e.project.layout.learnings(), &lesson.to_string())
            .map_err(|err| EngineError::Invalid(format!("cannot write learnings: {err}")))?;
        if cause != "implementation_bug" && cause != "glue_bug" {
            retryable = false;
        }
        notes.push(format!("{cid}: {cause} — {explanation}"));
    }
    let cycles = state.phase_cycles;
    if retryable && cycles < e.config.global.max_phase_cycles {
        e.update(|s| {
            s.phase_cycles += 1;
            for t in s
                .component_tasks
                .iter_mut()
                .filter(|t| t.status == TaskStatus::Failed)
            {
                t.status = TaskStatus::Pending;
            }
        })?;
        let tree = e.project.load_tree()?;
        let back_to = if failed
            .iter()
            .any(|c| tree.as_ref().is_some_and(|t| t.is_leaf(c)))
        {
            Phase::Implement
        } else {
            Phase::Integrate
        };
        return Ok(Outcome::Advanced { to: back_to });
    }
    Ok(Outcome::Paused {
        reason: PauseReason::Diagnosis { notes },
    })
}
