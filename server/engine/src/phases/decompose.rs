//! The decompose phase's driver: contracts then tests for every component in dependency order,
//! each revised against the gate, then the whole project validated before any code is written.

use super::test_authoring::{author_tests, tests_complete};
use super::tree::{build_order, make_tree, node_deps};
use super::{ask, language, parse, read, set_node_status};
use crate::engine::{Engine, Outcome, Result};
use crate::events::{Event, Step};
use crate::job::PauseReason;
use crate::{roles, stubs};
use pact_core::gate::{self, AnalysisCache, Finding, Scope, Severity};
use pact_core::model::{
    ComponentContract, DecompositionTree, ImplementationStatus, Phase, TaskStatus,
};
use serde_json::Value;

pub(super) async fn decompose(e: &Engine) -> Result<Outcome> {
    let tree = match e.project.load_tree()? {
        Some(t) if !t.nodes.is_empty() => t,
        _ => make_tree(e).await?,
    };
    let order = build_order(&tree);
    let task = read(e, &e.project.layout.task_md())?;
    let sops = read(e, &e.project.layout.sops_md())?;
    let lang = language(e);
    let max_revisions = e.config.max_plan_revisions();
    for cid in &order {
        e.check_cancel()?;
        if e.project.load_contract(cid)?.is_none() {
            e.emit(Event::Component {
                phase: Phase::Contract,
                component: cid.clone(),
                step: Step::Contract,
            });
            if let Err(message) =
                author_contract(e, &tree, cid, &task, &sops, max_revisions).await?
            {
                return Ok(Outcome::Paused {
                    reason: PauseReason::Authoring {
                        component: cid.clone(),
                        message,
                    },
                });
            }
        }
    }
    for cid in &order {
        e.check_cancel()?;
        if !tests_complete(e, cid, lang)? {
            e.emit(Event::Component {
                phase: Phase::Test,
                component: cid.clone(),
                step: Step::Tests,
            });
            if let Err(message) = author_tests(e, cid, lang, max_revisions).await? {
                return Ok(Outcome::Paused {
                    reason: PauseReason::Authoring {
                        component: cid.clone(),
                        message,
                    },
                });
            }
        }
    }
    e.emit(Event::PhaseStarted {
        phase: Phase::Validate,
    });
    let report = gate::validate(&e.project.docs());
    e.audit(
        "validation",
        if report.passed() {
            format!("PASSED: {}", report.reason())
        } else {
            format!("FAILED: {}", report.reason())
        },
    )?;
    if !report.passed() {
        return Ok(Outcome::Paused {
            reason: PauseReason::ValidationFailed {
                summary: report.reason(),
                details: report.details().into_iter().take(10).collect(),
            },
        });
    }
    e.update(|s| {
        for cid in &order {
            let t = s.task_mut(cid);
            if t.status == TaskStatus::Pending {
                t.status = TaskStatus::Contracting;
            }
        }
    })?;
    write_design(e)?;
    if e.config.plan_only() {
        return Ok(Outcome::Paused {
            reason: PauseReason::PlanOnly,
        });
    }
    Ok(Outcome::Advanced {
        to: Phase::Implement,
    })
}

pub(crate) fn write_design(e: &Engine) -> Result<()> {
    let tree = e.project.load_tree()?;
    let decisions = e.project.load_decisions()?;
    let state = e.project.load_state()?;
    let title = tree
        .as_ref()
        .and_then(|t| t.nodes.get(&t.root_id).map(|n| n.name.clone()))
        .unwrap_or_else(|| "Project".into());
    let results = |cid: &str| e.project.load_test_results(cid).ok().flatten();
    let md = pact_core::design::render(&pact_core::design::DesignInputs {
        title: &title,
        tree: tree.as_ref(),
        decisions: &decisions,
        state: state.as_ref(),
        results: &results,
    });
    Ok(e.project.write_text(&e.project.layout.design_md(), &md)?)
}

/// Errors of the gate for `cid` only (its contract, or its tests).
pub(super) fn findings_for(e: &Engine, cid: &str, codes_of_tests: bool) -> Vec<Finding> {
    let docs = e.project.docs();
    let scope = Scope::Components {
        ids: [cid.to_string()].into(),
        tree: false,
    };
    let report = gate::validate_scoped(&docs, &scope, &mut AnalysisCache::in_memory());
    let is_test_code = |f: &Finding| {
        use pact_core::gate::Code::*;
        matches!(
            f.code,
            TestSyntax
                | UnknownFunction
                | ToothlessTest
                | EmptyTestSuite
                | StaleTests
                | MissingTestSuite
        )
    };
    report
        .findings
        .into_iter()
        .filter(|f| {
            f.severity == Severity::Error
                || (codes_of_tests && f.code == pact_core::gate::Code::ToothlessTest)
        })
        .filter(|f| is_test_code(f) == codes_of_tests)
        .filter(|f| f.code != pact_core::gate::Code::MissingTestSuite)
        .collect()
}

/// A contract the model answered, with what the engine decides put in: the component's id,
/// its name (`name` when the answer gave none), its dependencies, and version 1 if unset.
pub(super) fn identify(
    v: Value,
    cid: &str,
    name: &str,
    dependencies: Vec<Value>,
) -> serde_json::Map<String, Value> {
    let mut obj = v.as_object().cloned().unwrap_or_default();
    obj.insert("component_id".into(), cid.into());
    if obj
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        obj.insert("name".into(), name.into());
    }
    obj.insert("dependencies".into(), Value::Array(dependencies));
    obj.entry("version").or_insert(1.into());
    obj
}

/// Saves a contract with its interface stub beside it (the agents' code-shaped view of it).
pub(super) fn save_contract(e: &Engine, contract: &ComponentContract) -> Result<()> {
    e.project.save_contract(contract)?;
    let lang = language(e);
    e.project.write_text(
        &e.project
            .layout
            .contract_dir(&contract.component_id)
            .join(stubs::file_name(lang)),
        &stubs::render(contract, lang),
    )?;
    Ok(())
}

/// `Ok(Err(reason))` when the contract still fails the gate after every revision allowed.
pub(super) async fn author_contract(
    e: &Engine,
    tree: &DecompositionTree,
    cid: &str,
    task: &str,
    sops: &str,
    max_revisions: u32,
) -> Result<std::result::Result<(), String>> {
    let Some(node) = tree.nodes.get(cid) else {
        return Ok(Ok(()));
    };
    let deps: Vec<ComponentContract> = node_deps(node)
        .iter()
        .filter_map(|c| e.project.load_contract(c).ok().flatten())
        .collect();
    let dep_refs: Vec<&ComponentContract> = deps.iter().collect();
    let mut findings: Vec<String> = Vec::new();
    for revision in 0..=max_revisions {
        let v = ask(
            e,
            &roles::contract(
                cid,
                &node.name,
                &node.description,
                task,
                sops,
                &dep_refs,
                &findings,
            ),
        )
        .await?;
        // The engine, not the agent, decides identity and dependencies.
        let deps = deps
            .iter()
            .map(|d| Value::from(d.component_id.clone()))
            .collect();
        let obj = identify(v, cid, &node.name, deps);
        let contract: ComponentContract = parse(Value::Object(obj), "contract")?;
        save_contract(e, &contract)?;
        let problems = findings_for(e, cid, false);
        e.audit(
            "contract",
            format!(
                "{cid} v{} ({} functions, revision {revision})",
                contract.version,
                contract.functions.len()
            ),
        )?;
        if problems.is_empty() {
            set_node_status(e, cid, ImplementationStatus::Contracted)?;
            return Ok(Ok(()));
        }
        findings = problems.iter().map(|f| f.message.clone()).collect();
    }
    // Keep the last contract on disk for the user to fix; remove nothing.
    Ok(Err(format!(
        "Contract for '{cid}' still fails the gate after {max_revisions} revision(s): {}",
        findings.join("; ")
    )))
}
