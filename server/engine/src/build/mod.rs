//! Implementing components: the code agent's attempt loop, competitive attempts, parallel
//! scheduling in dependency order, and the checks that make "implemented" mean "its locked
//! tests ran and all passed".
//! One file per job; this one holds the entry points (`build_component`, `flush`, `run_tests`).

mod archive;
mod attempts;
mod deps;
mod files;
mod mutation_gate;
mod record;
mod schedule;

pub(crate) use deps::{boundary_contracts, dependencies, src_dirs};
pub use record::{
    ADOPTED, BuildRecord, MutationVerdict, already_built, held_by_mutation_gate, is_adopted,
    record_adopted,
};
pub use schedule::build_many;

use attempts::implement;
use mutation_gate::{Gate, gate, mutation_gate};
use record::{accepted, record_verdict};

use crate::engine::{Engine, EngineError, Result};
use crate::events::Event;
use crate::harness::TestJob;
use crate::lock;
use crate::phases::{language, set_node_status};
use pact_core::config::Config;
use pact_core::model::{ImplementationStatus, TaskStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildMode {
    pub parallel: bool,
    pub max_concurrent: usize,
    /// Number of competing attempts per component (1 = not competitive).
    pub agents: u32,
    pub max_attempts: u32,
    /// Build even if the component is up to date (`pact build`, "Rebuild").
    pub force: bool,
}

impl BuildMode {
    pub fn from_config(c: &Config) -> Self {
        Self {
            parallel: c.parallel_components(),
            max_concurrent: c.max_concurrent_agents() as usize,
            agents: if c.competitive_implementations() {
                c.competitive_agents()
            } else {
                1
            },
            max_attempts: c.max_implementation_attempts().max(1),
            force: false,
        }
    }
}

pub use pact_core::digest::hash_dir;

/// Builds one component (`pact build`): `true` when its locked tests (visible and held out) all
/// pass and, with the mutation gate on, its suite kills enough mutants of the code.
pub async fn build_component(e: &Engine, cid: &str, mode: BuildMode) -> Result<bool> {
    pact_core::ids::check_component_id(cid).map_err(|err| EngineError::Invalid(err.to_string()))?;
    e.preflight().await?;
    if !mode.force && already_built(e, cid)? {
        e.emit(Event::Component {
            phase: pact_core::model::Phase::Implement,
            component: cid.into(),
            step: crate::events::Step::UpToDate,
        });
        return Ok(true);
    }
    let gate = gate(e);
    // Accepted by its tests, only the mutation verdict missing or failing (a run stopped before
    // the mutation pass, the gate turned on, a resumed weak verdict): measure again, not rebuild.
    let (mut passed, mut last_error) =
        if !mode.force && gate == Gate::On && accepted(e, cid)?.is_some() {
            (true, String::new())
        } else {
            implement(e, cid, mode, false).await?
        };
    if passed {
        match &gate {
            Gate::On => {
                if let Err(finding) = mutation_gate(e, cid, mode).await? {
                    passed = false;
                    last_error = finding;
                }
            }
            Gate::NoTestProcess => {
                e.audit(
                    "mutation_gate",
                    format!("{cid}: skipped — the test runner runs no code, so no mutant can be measured"),
                )?;
                record_verdict(
                    e,
                    cid,
                    MutationVerdict {
                        skipped: "the test runner runs no code".into(),
                        threshold: e.config.mutation_threshold(),
                        ..Default::default()
                    },
                )?;
            }
            Gate::Off(Some(why)) => e.audit("mutation_gate", format!("{cid}: skipped — {why}"))?,
            Gate::Off(None) => {}
        }
    }
    e.update(|s| {
        let t = s.task_mut(cid);
        t.status = if passed {
            TaskStatus::Completed
        } else {
            TaskStatus::Failed
        };
        t.last_error = if passed {
            String::new()
        } else {
            last_error.clone()
        };
    })?;
    set_node_status(
        e,
        cid,
        if passed {
            ImplementationStatus::Tested
        } else {
            ImplementationStatus::Failed
        },
    )?;
    Ok(passed)
}

/// "Rebuild from contract": the implementation is disposable; its sources and build record go
/// (archived first among its attempts).
pub fn flush(e: &Engine, cid: &str) -> Result<()> {
    pact_core::ids::check_component_id(cid).map_err(|err| EngineError::Invalid(err.to_string()))?;
    // Set aside, as the original does, so `pact diff` can show what the rebuild changed.
    archive::archive(e, cid, "rebuilt from its contract")?;
    let _ = std::fs::remove_dir_all(e.project.layout.implementation_src(cid));
    let _ = std::fs::remove_file(e.project.layout.build_record(cid));
    e.audit(
        "flush",
        format!("{cid}: implementation flushed for a rebuild from its contract"),
    )?;
    Ok(())
}

/// "Run contract tests" (no model): the locked tests against the current implementation.
/// Saves `test_results.json`; returns the run, with every test id.
pub async fn run_tests(e: &Engine, cid: &str) -> Result<crate::harness::TestRun> {
    pact_core::ids::check_component_id(cid).map_err(|err| EngineError::Invalid(err.to_string()))?;
    e.preflight().await?;
    let (_, files) = lock::verified_tests(&e.project, cid)?;
    let src = e.project.layout.implementation_src(cid);
    let job = TestJob::new(language(e), files, src_dirs(e, cid, &src)?)
        .with_contracts(boundary_contracts(e, cid)?);
    e.emit(Event::Component {
        phase: pact_core::model::Phase::Test,
        component: cid.into(),
        step: crate::events::Step::RunTests,
    });
    let run = e.run_tests(&job).await?;
    e.project.save_test_results(cid, &run.results)?;
    e.emit(Event::TestsRan {
        component: cid.into(),
        passed: run.results.passed,
        total: run.results.total,
    });
    e.audit(
        "test_run",
        format!(
            "{cid}: {}/{} passed (manual run)",
            run.results.passed, run.results.total
        ),
    )?;
    Ok(run)
}
