//! The one way a front end runs the pipeline: the CLI, the language server and the daemon hand a
//! [`JobRequest`] to [`run`] and render the [`JobReport`] it returns. Here, and only here: the
//! project's run lock is taken, the engine is built, every precondition is checked **before**
//! anything changes (API keys of the roles the job will call, the test runtime, the component's
//! contract and locked tests), and the policy of each kind of job is applied.
//!
//! The build policy, for every front end: **Build** builds a component unless it is up to date
//! (its implementation passed the current contract, tests, held-out tests and dependencies, as
//! `metadata.json` records it, and the mutation gate, where it applies), which costs nothing;
//! **Rebuild** (`pact build --force`) flushes the implementation and builds it from the contract.

mod preflight;
pub mod report;
pub mod status;

pub use report::{
    ComponentResult, Counts, Failure, JobOutcome, JobReport, NextStep, PauseReason, Problem, Spend,
};

use crate::build::{self, BuildMode};
use crate::engine::{Engine, EngineError, Outcome};
use crate::events::Sink;
use crate::joblock::JobLock;
use crate::setup::{RunOptions, engine_for};
use pact_core::model::Phase;
use pact_core::store::Project;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobKind {
    /// Interview → decomposition → contracts → tests → validation; stops at the plan.
    Decompose,
    /// The pipeline from the current phase. `once`: one phase. `fresh`: a new run (the old
    /// `state.json` goes, after the preflight). `plan_only`: overrides pact.yaml's.
    Run {
        once: bool,
        fresh: bool,
        plan_only: Option<bool>,
    },
    /// One component; `agents > 1` is a competitive build.
    Build { component: String, agents: u32 },
    /// Flush the implementation, then build it from the contract.
    Rebuild { component: String, agents: u32 },
    /// Rewrite and re-lock the component's tests from its contract.
    RegenerateTests { component: String },
    /// The locked contract tests against the current implementation (no model).
    RunTests { component: String },
    /// Existing code under contract (`pact adopt`): a contract and locked tests per module, the
    /// module linked as the implementation; the run is left at the implement phase.
    Adopt {
        /// The modules, as the mechanical scan found them.
        #[serde(skip_serializing)]
        modules: Vec<crate::adopt::AdoptModule>,
    },
}

impl JobKind {
    /// The pipeline from where it is, as `pact run` does it.
    pub fn run() -> Self {
        Self::Run {
            once: false,
            fresh: false,
            plan_only: None,
        }
    }

    pub fn component(&self) -> Option<&str> {
        match self {
            Self::Build { component, .. }
            | Self::Rebuild { component, .. }
            | Self::RegenerateTests { component }
            | Self::RunTests { component } => Some(component),
            _ => None,
        }
    }

    /// What picks up where a stopped job of this kind left off.
    pub fn resume(&self) -> NextStep {
        match self {
            Self::Decompose | Self::Run { .. } => NextStep::RunPipeline,
            Self::Build { component, .. } | Self::Rebuild { component, .. } => NextStep::Build {
                component: Some(component.clone()),
            },
            Self::RegenerateTests { component } => NextStep::RegenerateTests {
                component: component.clone(),
            },
            Self::RunTests { component } => NextStep::RunTests {
                component: component.clone(),
            },
            Self::Adopt { .. } => NextStep::Adopt,
        }
    }
}

/// A job to run.
#[derive(Debug, Clone)]
pub struct JobRequest {
    pub project: Project,
    pub kind: JobKind,
    /// Backend, model, budget, recording: the front end's overrides.
    pub options: RunOptions,
    /// Who runs it, as another job refused meanwhile sees it ("pact build tokenizer",
    /// "pact lsp: build tokenizer").
    pub holder: String,
}

/// A job that passed its preflight: the engine, holding the project's run lock.
pub struct Prepared {
    pub engine: Engine,
    pub kind: JobKind,
    /// The preflight found the component built from its current contract and tests.
    up_to_date: bool,
    _lock: JobLock,
}

/// Takes the project's run lock, builds the engine and checks every precondition of the job;
/// nothing in the project has changed when this fails.
pub async fn prepare(
    req: &JobRequest,
    events: Sink,
    cancel: CancellationToken,
) -> Result<Prepared, Box<JobReport>> {
    let lock = lock(&req.project, &req.kind, &req.holder)?;
    let mut engine = match engine_for(&req.project, &req.options, events) {
        Ok(e) => e,
        Err(e) => {
            return Err(refusal(
                &req.project,
                &req.kind,
                Problem::Config {
                    message: e.to_string(),
                },
            ));
        }
    };
    engine.cancel = cancel;
    admit(engine, req.kind.clone(), lock).await
}

/// A refusal: the job did not start and changed nothing.
fn refusal(project: &Project, kind: &JobKind, problem: Problem) -> Box<JobReport> {
    let next = problem.next(kind.resume());
    Box::new(JobReport {
        job: kind.clone(),
        outcome: JobOutcome::Refused { problem },
        components: Vec::new(),
        spend: spend(project, None),
        next,
    })
}

/// The project's run lock: every job holds it from its preflight to its end.
fn lock(project: &Project, kind: &JobKind, holder: &str) -> Result<JobLock, Box<JobReport>> {
    crate::joblock::acquire(project, holder)
        .map_err(|e| refusal(project, kind, Problem::from_error(&EngineError::Job(e))))
}

/// Applies the job's settings to its engine and runs the preflight.
async fn admit(
    mut engine: Engine,
    kind: JobKind,
    lock: JobLock,
) -> Result<Prepared, Box<JobReport>> {
    match &kind {
        JobKind::Decompose => engine.config.project.plan_only = Some(true),
        JobKind::Run {
            plan_only: Some(p), ..
        } => engine.config.project.plan_only = Some(*p),
        _ => {}
    }
    let up_to_date = match preflight::check(&engine, &kind).await {
        Ok(ready) => ready == preflight::Ready::UpToDate,
        Err(problem) => return Err(refusal(&engine.project, &kind, problem)),
    };
    Ok(Prepared {
        engine,
        kind,
        up_to_date,
        _lock: lock,
    })
}

impl Prepared {
    /// A job on an engine the caller built (scripted backends, a daemon's engine): takes the
    /// run lock as `holder` and runs the preflight, like [`prepare`].
    pub async fn new(engine: Engine, kind: JobKind, holder: &str) -> Result<Self, Box<JobReport>> {
        let lock = lock(&engine.project, &kind, holder)?;
        admit(engine, kind, lock).await
    }
}

/// Runs a job start to end and reports how it went. Never returns an error: a failed
/// precondition is [`JobOutcome::Refused`] (nothing changed), a failure while working is
/// [`JobOutcome::Failed`].
pub async fn run(req: JobRequest, events: Sink, cancel: CancellationToken) -> JobReport {
    match prepare(&req, events, cancel).await {
        Ok(p) => p.execute().await,
        Err(report) => *report,
    }
}

impl Prepared {
    /// Does the job's work (the run lock is released when this returns).
    pub async fn execute(self) -> JobReport {
        let e = &self.engine;
        let kind = self.kind.clone();
        let outcome = match work(e, &kind, self.up_to_date).await {
            Ok(o) => o,
            Err(err) if err.is_cancelled() => JobOutcome::Cancelled,
            Err(err) => JobOutcome::Failed {
                problem: Problem::from_error(&err),
            },
        };
        finish(e, kind, outcome)
    }
}

async fn work(e: &Engine, kind: &JobKind, up_to_date: bool) -> Result<JobOutcome, EngineError> {
    Ok(match kind {
        JobKind::Decompose => {
            // Past the plan, "decompose" would go on implementing: it stops instead.
            let phase = e.project.load_state()?.map(|s| s.phase);
            match phase {
                Some(p) if !planning(p) => JobOutcome::AlreadyPlanned { phase: p },
                _ => match e.run().await? {
                    Outcome::Paused {
                        reason: PauseReason::PlanOnly,
                    } => JobOutcome::Planned {
                        components: e.project.load_tree()?.map_or(0, |t| t.nodes.len()),
                    },
                    other => from_outcome(other),
                },
            }
        }
        JobKind::Run { once, fresh, .. } => {
            if *fresh {
                let _ = std::fs::remove_file(e.project.layout.state());
            }
            from_outcome(if *once {
                e.step().await?
            } else {
                e.run().await?
            })
        }
        JobKind::Build { component, agents } => {
            let mut mode = BuildMode::from_config(&e.config);
            if *agents > 1 {
                mode.agents = *agents;
            }
            if up_to_date {
                e.emit(crate::events::Event::Component {
                    phase: Phase::Implement,
                    component: component.clone(),
                    step: crate::events::Step::UpToDate,
                });
                return Ok(JobOutcome::UpToDate);
            }
            built(
                e,
                component,
                build::build_component(e, component, mode).await?,
            )?
        }
        JobKind::Rebuild { component, agents } => {
            build::flush(e, component)?;
            let mut mode = BuildMode {
                force: true,
                ..BuildMode::from_config(&e.config)
            };
            if *agents > 1 {
                mode.agents = *agents;
            }
            built(
                e,
                component,
                build::build_component(e, component, mode).await?,
            )?
        }
        JobKind::RegenerateTests { component } => {
            match crate::phases::regenerate_tests(e, component).await? {
                Ok(()) => JobOutcome::Regenerated,
                Err(reason) => JobOutcome::GateFailed { reason },
            }
        }
        JobKind::Adopt { modules } => {
            let report = crate::adopt::adopt(e, modules, e.config.max_plan_revisions()).await?;
            JobOutcome::Adopted {
                modules: report.components,
            }
        }
        JobKind::RunTests { component } => {
            let run = build::run_tests(e, component).await?;
            if run.results.all_passed() {
                JobOutcome::Passed
            } else {
                JobOutcome::FailedTests { attempts: 0 }
            }
        }
    })
}

/// Phases in which the plan is still being made.
pub(super) fn planning(p: Phase) -> bool {
    matches!(
        p,
        Phase::Interview
            | Phase::Shape
            | Phase::Decompose
            | Phase::Contract
            | Phase::Test
            | Phase::Validate
    )
}

fn from_outcome(o: Outcome) -> JobOutcome {
    match o {
        Outcome::Advanced { to } => JobOutcome::Advanced { to },
        Outcome::Paused { reason } => JobOutcome::Paused { reason },
        Outcome::Completed => JobOutcome::Completed,
        Outcome::Failed { reason } => JobOutcome::RunFailed { reason },
        Outcome::BudgetExceeded => JobOutcome::BudgetExceeded,
    }
}

/// A build's verdict: passed, held back by the mutation gate, or failing tests.
fn built(e: &Engine, cid: &str, passed: bool) -> Result<JobOutcome, EngineError> {
    if passed {
        return Ok(JobOutcome::Passed);
    }
    let all_pass = e
        .project
        .load_test_results(cid)?
        .is_some_and(|r| r.all_passed());
    if all_pass && let Some(finding) = build::held_by_mutation_gate(e, cid)? {
        return Ok(JobOutcome::WeakTests { finding });
    }
    let attempts = e
        .project
        .load_state()?
        .and_then(|s| s.task(cid).map(|t| t.attempts))
        .unwrap_or(1);
    Ok(JobOutcome::FailedTests {
        attempts: attempts.max(1),
    })
}

fn spend(project: &Project, engine: Option<&Engine>) -> Spend {
    let spent = project
        .load_state()
        .ok()
        .flatten()
        .map_or(0.0, |s| s.total_cost_usd);
    let budget = match engine {
        Some(e) => e.config.budget(),
        None => project.config().map_or(0.0, |c| c.budget()),
    };
    Spend {
        spent_usd: spent,
        budget_usd: budget,
    }
}

/// The report: the outcome, the components it is about, spend, next steps.
fn finish(e: &Engine, kind: JobKind, outcome: JobOutcome) -> JobReport {
    let components = match kind.component() {
        Some(c) => component_result(&e.project, c).into_iter().collect(),
        None => e
            .project
            .load_tree()
            .ok()
            .flatten()
            .map(|t| {
                t.nodes
                    .keys()
                    .filter_map(|c| component_result(&e.project, c))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let next = next_steps(&kind, &outcome);
    JobReport {
        job: kind,
        outcome,
        components,
        spend: spend(&e.project, Some(e)),
        next,
    }
}

/// A component's last test results, if it has any.
pub fn component_result(project: &Project, cid: &str) -> Option<ComponentResult> {
    let r = project.load_test_results(cid).ok().flatten()?;
    let failures: Vec<Failure> = r.failure_details.iter().take(5).map(Failure::of).collect();
    Some(ComponentResult {
        component: cid.to_string(),
        passed: r.passed,
        total: r.total,
        held_out: held_out(&project.layout, cid),
        more_failures: r.failure_details.len().saturating_sub(failures.len()),
        failures,
    })
}

fn next_steps(kind: &JobKind, outcome: &JobOutcome) -> Vec<NextStep> {
    let cid = kind.component().unwrap_or_default().to_string();
    match outcome {
        JobOutcome::Completed | JobOutcome::Passed => Vec::new(),
        JobOutcome::Advanced { .. } => vec![NextStep::RunPipeline],
        JobOutcome::Planned { .. } => {
            vec![NextStep::Build { component: None }, NextStep::RunPipeline]
        }
        JobOutcome::AlreadyPlanned { .. } => vec![NextStep::RunPipeline, NextStep::NewRun],
        JobOutcome::Paused { reason } => match reason {
            PauseReason::Interview => vec![NextStep::Answer, NextStep::Approve],
            PauseReason::PlanOnly => vec![
                NextStep::Build { component: None },
                NextStep::DisablePlanOnly,
            ],
            PauseReason::ValidationFailed { .. } | PauseReason::Authoring { .. } => {
                vec![NextStep::FixDiagnostics, NextStep::RunPipeline]
            }
            PauseReason::Health { .. } | PauseReason::Diagnosis { .. } => {
                vec![NextStep::SeeHealth, NextStep::RunPipeline]
            }
            PauseReason::Recorded { .. } | PauseReason::Stopped => vec![NextStep::RunPipeline],
        },
        JobOutcome::BudgetExceeded => vec![NextStep::RaiseBudget, NextStep::RunPipeline],
        JobOutcome::RunFailed { .. } => vec![NextStep::SeeHealth, NextStep::NewRun],
        JobOutcome::UpToDate => vec![NextStep::Rebuild { component: cid }],
        JobOutcome::Adopted { modules } => {
            let failing = modules.iter().any(|m| {
                !matches!(
                    m.outcome,
                    crate::adopt::Adopted::Passed { .. } | crate::adopt::Adopted::Contracted
                )
            });
            if failing {
                vec![NextStep::SeeFailures, NextStep::FixDiagnostics]
            } else {
                Vec::new()
            }
        }
        JobOutcome::FailedTests { attempts: 0 } => vec![NextStep::SeeFailures],
        JobOutcome::FailedTests { .. } => {
            vec![NextStep::SeeFailures, NextStep::Rebuild { component: cid }]
        }
        JobOutcome::WeakTests { .. } => vec![
            NextStep::RegenerateTests { component: cid },
            NextStep::RelaxMutationGate,
        ],
        JobOutcome::Regenerated => vec![NextStep::Build {
            component: Some(cid),
        }],
        JobOutcome::GateFailed { .. } => vec![
            NextStep::FixDiagnostics,
            NextStep::RegenerateTests { component: cid },
        ],
        JobOutcome::Cancelled => vec![kind.resume()],
        JobOutcome::Refused { problem } | JobOutcome::Failed { problem } => {
            problem.next(kind.resume())
        }
    }
}

/// Held-out counts of an implementation (its build record's `hidden`), while the record is
/// about its sources as they are.
pub fn held_out(layout: &pact_core::store::Layout, cid: &str) -> Option<Counts> {
    let max = pact_core::json::MAX_DOCUMENT_BYTES as u64;
    let text = pact_core::store::fsio::read_text(&layout.build_record(cid), max).ok()??;
    let meta: pact_core::model::BuildRecord = serde_json::from_str(&text).ok()?;
    let h = meta.hidden?;
    let src = pact_core::digest::hash_dir(&layout.implementation_src(cid));
    (meta.src_hash == src).then_some(Counts {
        passed: h.passed,
        total: h.total,
    })
}
