//! `pact adopt`: existing code under contract. Each module of a codebase becomes a component:
//! a contract written from its source, contract tests from that contract (gate-checked, locked,
//! red-first against the stub), and the module itself linked as the component's implementation,
//! so its locked tests run against the code as it is. The run is left at the implement phase:
//! from then on the contracts are the source of truth, and a rebuild replaces the adopted code.
//!
//! Nothing outside `.pact/` is written: the user's files (task.md included) are never touched.

mod link;
mod modules;
mod plan;

pub use link::{MARKER, adopted_file};
pub use modules::modules;
pub use plan::plan_tree;

use crate::engine::{Engine, Result};
use crate::job::Failure;
use pact_core::model::{ImplementationStatus, InterviewResult, Phase, RunStatus};
use serde::Serialize;
use std::path::PathBuf;

/// One module to adopt, as the mechanical scan found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AdoptModule {
    /// The component it becomes.
    pub component: String,
    /// Its import name (`pkg.sub.mod`).
    pub module: String,
    /// Its file, relative to the codebase's root.
    pub path: PathBuf,
    /// The directory imports resolve from, relative to the root (`""`, `src`).
    pub import_root: PathBuf,
    /// Its public functions and classes, as signatures: what the contract must cover.
    pub api: String,
    /// The public names the implementation exports.
    pub names: Vec<String>,
    /// `python` or `typescript` (JavaScript modules too): how the implementation is linked.
    pub language: String,
    /// Public functions the code gives no types for (a parameter or the result): their
    /// contract's types are the model's reading of the code, flagged for a person to check.
    pub untyped: Vec<String>,
}

/// How adopting one module went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Adopted {
    /// Its locked tests pass against the existing code (and, with the mutation gate on, they
    /// kill enough mutants of it).
    Passed { passed: u64, total: u64 },
    /// Its locked tests pass against the existing code, but the mutation gate finds them weak.
    WeakTests {
        passed: u64,
        total: u64,
        finding: String,
    },
    /// Some locked tests fail against the existing code: each is either a bug found in the code
    /// or a wrong test. Kept and reported, never dropped.
    TestsFail {
        passed: u64,
        total: u64,
        failures: Vec<Failure>,
    },
    /// The contract still fails the gate after every revision (left on disk to fix).
    ContractRejected { reason: String },
    /// The tests still fail the gate (or pass against the stub) after every revision.
    TestsRejected { reason: String },
    /// A package: its contract (integrating its children's) and locked tests are written; the
    /// integrate phase builds it (`pact run`).
    Contracted,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AdoptedComponent {
    pub component: String,
    pub module: String,
    pub path: PathBuf,
    /// Its public functions without types in the code (see [`AdoptModule::untyped`]).
    pub untyped: Vec<String>,
    #[serde(flatten)]
    pub outcome: Adopted,
}

/// What `adopt` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AdoptReport {
    pub components: Vec<AdoptedComponent>,
    pub spent_usd: f64,
}

/// Adopts `modules` into the engine's project (a codebase with an empty `.pact/`): the tree,
/// then per module the contract, the link to the code, the tests and a run of them against the
/// code, then the run state at the implement phase.
pub async fn adopt(e: &Engine, modules: &[AdoptModule], max_revisions: u32) -> Result<AdoptReport> {
    let project = &e.project;
    let tree = plan_tree(modules);
    project.save_tree(&tree)?;
    let leaves: Vec<String> = modules.iter().map(|m| m.component.clone()).collect();
    let mut state = crate::engine::new_state(project);
    state.phase = Phase::Contract;
    state.status = RunStatus::Active;
    state.interview_result = Some(InterviewResult {
        assumptions: vec![
            "The existing code is the specification".into(),
            "Contracts describe what the code does".into(),
        ],
        approved: true,
        ..Default::default()
    });
    for cid in &leaves {
        state.task_mut(cid);
    }
    project.save_state(&state)?;
    e.audit("adopt", format!("{} modules", modules.len()))?;

    let mut out = Vec::new();
    for m in modules {
        e.check_cancel()?;
        let source = project
            .read_text(&project.root().join(&m.path))?
            .unwrap_or_default();
        let outcome = match crate::phases::adopt::contract_from_source(
            e,
            &m.component,
            &m.module,
            &source,
            &m.api,
            max_revisions,
        )
        .await?
        {
            Err(reason) => Adopted::ContractRejected { reason },
            Ok(_) => {
                crate::phases::set_node_status(e, &m.component, ImplementationStatus::Contracted)?;
                link::link(e, m)?;
                match crate::phases::adopt::tests_from_contract(e, &m.component, max_revisions)
                    .await?
                {
                    Err(reason) => Adopted::TestsRejected { reason },
                    Ok(()) => run_against_code(e, &m.component, max_revisions).await?,
                }
            }
        };
        out.push(AdoptedComponent {
            component: m.component.clone(),
            module: m.module.clone(),
            path: m.path.clone(),
            untyped: m.untyped.clone(),
            outcome,
        });
    }
    // Packages (and the root), children first: each integrates its children's contracts, as any
    // parent does; `pact run` builds them in the integrate phase.
    let context = format!(
        "An existing codebase adopted under contract: its modules are the leaves, each with a \
         contract written from its code. Modules: {}.",
        modules
            .iter()
            .map(|m| m.module.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for cid in tree.topological_order() {
        if tree.is_leaf(cid) {
            continue;
        }
        e.check_cancel()?;
        let outcome =
            match crate::phases::adopt::parent(e, &tree, cid, &context, max_revisions).await? {
                Ok(()) => Adopted::Contracted,
                Err(reason) => Adopted::ContractRejected { reason },
            };
        let node = &tree.nodes[cid];
        out.push(AdoptedComponent {
            component: cid.to_string(),
            module: node.name.clone(),
            path: PathBuf::new(),
            untyped: Vec::new(),
            outcome,
        });
    }
    e.update(|s| {
        s.phase = Phase::Implement;
        s.status = RunStatus::Active;
    })?;
    let spent_usd = project.load_state()?.map_or(0.0, |s| s.total_cost_usd);
    e.audit(
        "adopt_complete",
        format!(
            "{} of {} modules pass their locked tests",
            out.iter()
                .filter(|c| matches!(c.outcome, Adopted::Passed { .. }))
                .count(),
            modules.len()
        ),
    )?;
    Ok(AdoptReport {
        components: out,
        spent_usd,
    })
}

/// What the test author is told when its tests fail on the code they were written from.
fn failures_brief(r: &pact_core::model::TestResults) -> String {
    let lines: Vec<String> = r
        .failure_details
        .iter()
        .take(20)
        .map(|f| format!("- {}: {}", f.test_id, Failure::of(f).message))
        .collect();
    format!(
        "These tests fail against the existing code, which is the specification: fix each test \
         so it checks what the code does (keep the test only if the code is plainly wrong):\n{}",
        lines.join("\n")
    )
}

/// The component's locked tests against the adopted code, recorded as its build. The code is
/// the specification: tests that fail on it go back to the test author with their failures
/// (up to `max_revisions` times); those still failing are reported, each a bug found in the
/// code or a wrong test.
async fn run_against_code(e: &Engine, cid: &str, max_revisions: u32) -> Result<Adopted> {
    let mut run = crate::build::run_tests(e, cid).await?;
    for _ in 0..max_revisions {
        if run.results.all_passed() {
            break;
        }
        let brief = failures_brief(&run.results);
        match crate::phases::adopt::revise_tests(e, cid, max_revisions, &brief).await? {
            Ok(()) => run = crate::build::run_tests(e, cid).await?,
            // New tests that fail the gate: the locked ones stay, with their failures.
            Err(_) => break,
        }
    }
    let r = &run.results;
    let passed = r.all_passed();
    crate::build::record_adopted(e, cid, passed)?;
    Ok(if passed {
        // As `pact build` would now: the code is accepted by its tests, so only the mutation
        // gate (where it applies) is left to measure; task and node status follow.
        let mode = crate::build::BuildMode::from_config(&e.config);
        if crate::build::build_component(e, cid, mode).await? {
            Adopted::Passed {
                passed: r.passed,
                total: r.total,
            }
        } else {
            Adopted::WeakTests {
                passed: r.passed,
                total: r.total,
                finding: crate::build::held_by_mutation_gate(e, cid)?.unwrap_or_default(),
            }
        }
    } else {
        crate::phases::set_node_status(e, cid, ImplementationStatus::Failed)?;
        Adopted::TestsFail {
            passed: r.passed,
            total: r.total,
            failures: r.failure_details.iter().map(Failure::of).collect(),
        }
    })
}
