//! The engine: owns a project, its configuration, the agents and the event sink, and advances
//! the run one phase at a time. Every step persists what it made before the next begins, so a
//! run killed at any moment resumes where it stopped without redoing finished work.

use crate::events::{Event, Sink};
use crate::harness::{HarnessOptions, TestJob, TestRun};
use crate::runtime::{RuntimeError, RuntimeSpec, Runtimes};
use pact_agents::{AgentError, Backend, BudgetTracker, Router};
use pact_core::config::Config;
use pact_core::model::{Phase, RunState, RunStatus, TestLanguage};
use pact_core::store::{Project, StoreError};
use std::sync::Arc;
use thiserror::Error;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error(transparent)]
    Harness(#[from] crate::harness::HarnessError),
    #[error(transparent)]
    Job(#[from] crate::joblock::JobError),
    /// A test runtime cannot be had; checked before a run changes anything.
    #[error("cannot run the contract tests: {0}\n{fix}", fix = .0.fix())]
    Runtime(#[from] RuntimeError),
    #[error("cancelled; the project is consistent and `pact run` resumes it")]
    Cancelled,
    #[error("{0}")]
    Invalid(String),
}

impl EngineError {
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            EngineError::Cancelled | EngineError::Agent(AgentError::Cancelled)
        ) || matches!(
            self,
            EngineError::Harness(crate::harness::HarnessError::Cancelled)
        )
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Where each role's backend comes from: the configured router, or one backend for all roles.
pub trait Backends: Send + Sync {
    fn for_role(&self, role: &str) -> Result<Arc<dyn Backend>, AgentError>;
    fn budget(&self) -> Option<Arc<BudgetTracker>>;
}

impl Backends for Router {
    fn for_role(&self, role: &str) -> Result<Arc<dyn Backend>, AgentError> {
        self.backend_for(role)
    }
    fn budget(&self) -> Option<Arc<BudgetTracker>> {
        Router::budget(self)
    }
}

/// Every role answered by the same backend (tests, scripted runs).
pub struct SameForAll {
    pub backend: Arc<dyn Backend>,
    pub budget: Option<Arc<BudgetTracker>>,
}

impl SameForAll {
    /// One backend for every role and no budget of its own: what scripted, recorded and
    /// benchmarked runs use.
    pub fn unbudgeted(backend: Arc<dyn Backend>) -> Arc<Self> {
        Arc::new(Self {
            backend,
            budget: None,
        })
    }
}

impl Backends for SameForAll {
    fn for_role(&self, _role: &str) -> Result<Arc<dyn Backend>, AgentError> {
        Ok(self.backend.clone())
    }
    fn budget(&self) -> Option<Arc<BudgetTracker>> {
        self.budget.clone()
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Advanced { to: Phase },
    Paused { reason: crate::job::PauseReason },
    Completed,
    Failed { reason: String },
    BudgetExceeded,
}

#[derive(Clone)]
pub struct Engine {
    pub project: Project,
    pub config: Config,
    pub backends: Arc<dyn Backends>,
    pub events: Sink,
    pub cancel: CancellationToken,
    pub harness: HarnessOptions,
    pub runner: Arc<dyn crate::harness::TestRunner>,
    /// The test runtimes, provisioned on first use and shared by the engine's clones.
    pub runtimes: Arc<Runtimes>,
}

impl Engine {
    pub fn new(
        project: Project,
        config: Config,
        backends: Arc<dyn Backends>,
        events: Sink,
    ) -> Self {
        Self {
            project,
            config,
            backends,
            events,
            cancel: CancellationToken::new(),
            harness: HarnessOptions::default(),
            runner: Arc::new(crate::harness::Subprocess),
            runtimes: Runtimes::new(),
        }
    }

    /// Harness options for a suite in `lang`, its runtime provisioned on first use (with
    /// progress events). Options a caller set already are kept.
    pub async fn harness_for(&self, lang: TestLanguage) -> Result<HarnessOptions> {
        let mut opts = self.harness.clone();
        let have = match lang {
            TestLanguage::Python => opts.python.is_some(),
            TestLanguage::TypeScript => opts.node_modules.is_some(),
            TestLanguage::JavaScript => false,
        };
        if have || !self.runner.needs_runtime() {
            return Ok(opts);
        }
        let spec = RuntimeSpec::for_project(self.project.root(), &self.config)?;
        let events = self.events.clone();
        let progress = Arc::new(move |runtime: &str, message: &str| {
            events(&Event::Runtime {
                runtime: runtime.to_string(),
                message: message.to_string(),
            })
        });
        let resolved = self.runtimes.resolve(lang, &spec, progress).await?;
        if let Some(p) = resolved.python {
            opts.python = Some(p);
        }
        if let Some(n) = resolved.node {
            opts.node = n;
        }
        if let Some(m) = resolved.node_modules {
            opts.node_modules = Some(m);
        }
        Ok(opts)
    }

    /// Runs a suite with its runtime.
    pub(crate) async fn run_tests(&self, job: &TestJob) -> Result<TestRun> {
        let opts = self.harness_for(job.language).await?;
        Ok(self.runner.run(job, &opts, &self.cancel).await?)
    }

    /// Checks, before a run changes anything, that the project's contract tests can run:
    /// provisions the runtime of the project's language (once per machine) or fails with what
    /// is missing and how to fix it.
    pub async fn preflight(&self) -> Result<()> {
        self.harness_for(crate::phases::language(self)).await?;
        Ok(())
    }

    pub fn emit(&self, e: Event) {
        (self.events)(&e);
    }

    pub(crate) fn check_cancel(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            Err(EngineError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// The run state, created on first use.
    pub fn state(&self) -> Result<RunState> {
        let created = self.project.update_state(|st| {
            if st.is_none() {
                *st = Some(new_state(&self.project));
            }
            st.clone()
        })?;
        created.ok_or_else(|| EngineError::Invalid("state.json could not be created".into()))
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut RunState)) -> Result<RunState> {
        let st = self.project.update_state(|st| {
            let s = st.get_or_insert_with(|| new_state(&self.project));
            f(s);
            s.last_check_in = pact_core::store::now_iso();
            s.clone()
        })?;
        Ok(st)
    }

    pub(crate) fn audit(&self, action: &str, detail: impl Into<String>) -> Result<()> {
        Ok(self.project.audit(action, detail)?)
    }

    /// Copies spend from the budget ledger into state.json and reports it.
    pub(crate) fn sync_spend(&self) -> Result<()> {
        let Some(b) = self.backends.budget() else {
            return Ok(());
        };
        let ledger = b.ledger()?;
        let spent = ledger.spent();
        let tokens = ledger.total.tokens();
        self.update(|s| {
            s.total_cost_usd = spent;
            s.total_tokens = tokens;
        })?;
        self.emit(Event::Spend {
            spent_usd: spent,
            budget_usd: b.budget(),
        });
        Ok(())
    }

    /// A run stopped on request is paused, not active: `state.json` says so, and running again
    /// resumes it.
    fn stopped(&self) -> Result<()> {
        self.update(|s| {
            s.status = RunStatus::Paused;
            s.pause_reason = crate::job::PauseReason::Stopped.to_string();
        })?;
        Ok(())
    }

    /// Advances one phase (`pact run --once`).
    pub async fn step(&self) -> Result<Outcome> {
        self.preflight().await?;
        let state = self.state()?;
        match state.status {
            RunStatus::Completed => return Ok(Outcome::Completed),
            RunStatus::Failed => {
                return Ok(Outcome::Failed {
                    reason: state.pause_reason,
                });
            }
            RunStatus::BudgetExceeded => return Ok(Outcome::BudgetExceeded),
            RunStatus::Active | RunStatus::Paused => {}
        }
        let phase = state.phase;
        self.emit(Event::PhaseStarted { phase });
        let result = crate::phases::run_phase(self, phase).await;
        let outcome = match result {
            Ok(o) => o,
            Err(EngineError::Agent(e)) if e.is_budget() => {
                self.update(|s| {
                    s.status = RunStatus::BudgetExceeded;
                    s.pause_reason = "Budget cap reached".into();
                })?;
                self.audit("budget_exceeded", e.to_string())?;
                Outcome::BudgetExceeded
            }
            Err(e) if e.is_cancelled() => {
                self.stopped()?;
                self.audit("cancelled", format!("phase {phase}"))?;
                return Err(EngineError::Cancelled);
            }
            Err(e) => return Err(e),
        };
        let _ = self.sync_spend();
        self.emit(Event::PhaseFinished { phase });
        match &outcome {
            Outcome::Advanced { to } => {
                self.update(|s| {
                    s.phase = *to;
                    s.status = RunStatus::Active;
                    // Going to diagnose keeps the reason (which components failed).
                    if *to != Phase::Diagnose {
                        s.pause_reason.clear();
                    }
                })?;
            }
            Outcome::Paused { reason } => {
                self.update(|s| {
                    s.status = RunStatus::Paused;
                    s.pause_reason = reason.to_string();
                })?;
                self.emit(Event::Paused {
                    reason: reason.clone(),
                });
            }
            Outcome::Completed => {
                self.update(|s| {
                    s.phase = Phase::Complete;
                    s.status = RunStatus::Completed;
                    s.completed_at = pact_core::store::now_iso();
                    s.pause_reason.clear();
                })?;
            }
            Outcome::Failed { reason } => {
                self.update(|s| {
                    s.status = RunStatus::Failed;
                    s.pause_reason = reason.clone();
                    s.completed_at = pact_core::store::now_iso();
                })?;
            }
            Outcome::BudgetExceeded => {}
        }
        // Health: snapshot after every step; a critical condition pauses the run.
        let outcome = crate::health::after_step(self, &state, phase, outcome)?;
        Ok(outcome)
    }

    /// Runs until the run completes, fails, pauses or runs out of budget.
    pub async fn run(&self) -> Result<Outcome> {
        self.preflight().await?;
        // A paused run resumes when asked to run again (answers given, plan approved, …).
        self.update(|s| {
            if s.status == RunStatus::Paused {
                s.status = RunStatus::Active;
            }
        })?;
        loop {
            if self.cancel.is_cancelled() {
                self.stopped()?;
                return Err(EngineError::Cancelled);
            }
            match self.step().await? {
                Outcome::Advanced { .. } => continue,
                other => return Ok(other),
            }
        }
    }
}

pub(crate) fn new_state(project: &Project) -> RunState {
    let id: String = std::iter::repeat_with(|| fastrand::alphanumeric().to_ascii_lowercase())
        .take(12)
        .collect();
    let dir = project
        .root()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(".")
        .to_string();
    let mut s = RunState::new(id, dir);
    s.created_at = pact_core::store::now_iso();
    s
}

/// `PACT:<project hash>:<component>`: the key generated code puts in its log lines, so the
/// Sentinel can attribute a production error to the component that logged it.
pub fn log_key(tree: Option<&pact_core::model::DecompositionTree>, cid: &str) -> String {
    format!("PACT:{}:{cid}", project_hash(tree))
}

/// The project part of its log keys: 8 hex digits of a hash of the root component's id and
/// name, from the decomposition tree. It comes from the project itself, never from where it
/// lives: stable across runs, rebuilds, machines, copies and `pact run .`, and so are the
/// prompts that carry it (a recorded session replays from any directory).
pub fn project_hash(tree: Option<&pact_core::model::DecompositionTree>) -> String {
    let (id, name) = tree.map_or(("", ""), |t| {
        let name = t.nodes.get(&t.root_id).map_or("", |n| n.name.as_str());
        (t.root_id.as_str(), name)
    });
    let h = crate::lock::sha256_hex(format!("{id}\0{name}").as_bytes());
    h[..8].to_string()
}
