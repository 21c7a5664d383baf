//! What a job tells its front end when it ends, as data: the outcome, the components it touched
//! with their counts, the spend, and the next steps. Front ends word these for their users (the
//! CLI names commands, an editor names its own menus); nothing here names a user interface.

use crate::engine::EngineError;
use pact_agents::AgentError;
use pact_core::model::Phase;
use serde::Serialize;

/// Why a run stopped to wait for a person. `Display` gives the text `state.json` keeps (the
/// original's wording, so the two tools read each other's runs).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PauseReason {
    /// The interview asked questions: answer them or accept the assumptions.
    Interview,
    /// `plan_only`: the plan (tree, contracts, locked tests) is done; nothing is implemented.
    PlanOnly,
    /// The gate failed on the finished plan.
    ValidationFailed {
        summary: String,
        details: Vec<String>,
    },
    /// A component's contract or tests still fail the gate after every revision.
    Authoring { component: String, message: String },
    /// A health condition that needs a person.
    Health { message: String },
    /// Diagnosis found failures it cannot repair alone.
    Diagnosis { notes: Vec<String> },
    /// Stopped on request (Ctrl-C, SIGTERM, an editor's Stop): resumable.
    Stopped,
    /// A reason read back from `state.json` (written by another tool or version).
    Recorded { text: String },
}

const INTERVIEW_TEXT: &str =
    "Interview questions pending — waiting for user answers (`pact answer` or `pact approve`)";
const STOPPED_TEXT: &str =
    "Stopped on request; the project is consistent and running again resumes it";
const PLAN_ONLY_TEXT: &str = "Plan-only mode: decomposition and contracts complete. Use 'pact build <project> <component_id>' to implement specific components, or disable plan_only to implement all.";

impl PauseReason {
    /// The reason a `state.json` records, typed again (what this tool writes is recognised;
    /// anything else stays as text).
    pub fn from_recorded(text: &str) -> Self {
        match text {
            INTERVIEW_TEXT => Self::Interview,
            PLAN_ONLY_TEXT => Self::PlanOnly,
            STOPPED_TEXT => Self::Stopped,
            _ => Self::Recorded {
                text: text.to_string(),
            },
        }
    }
}

impl std::fmt::Display for PauseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Interview => f.write_str(INTERVIEW_TEXT),
            Self::PlanOnly => f.write_str(PLAN_ONLY_TEXT),
            Self::Stopped => f.write_str(STOPPED_TEXT),
            Self::ValidationFailed { summary, details } => write!(
                f,
                "Contract validation failed: {summary} — {}",
                details.join("; ")
            ),
            Self::Authoring { message, .. } => f.write_str(message),
            Self::Health { message } => {
                write!(f, "Health check: {message} Review with 'pact health'.")
            }
            Self::Diagnosis { notes } => {
                write!(f, "Diagnosis needs a human: {}", notes.join("; "))
            }
            Self::Recorded { text } => f.write_str(text),
        }
    }
}

/// What stands in a job's way, typed so a front end can say what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A routed backend needs an API key that is not set.
    MissingKey { backend: String, var: String },
    /// The provider refused the key.
    Auth { backend: String, var: String },
    /// The budget is spent.
    Budget { message: String },
    /// The replay recording has no answer for a request.
    ReplayMiss { message: String },
    /// Rate limits, server errors, timeouts: worth trying again later.
    Transient { message: String },
    /// A test runtime cannot be had; `fix` says what to install.
    Runtime { message: String, fix: String },
    /// The project has no decomposition yet.
    NotDecomposed,
    /// There is nothing to plan from: `task.md` is missing or empty.
    NoTask { path: String },
    /// No such component in the tree.
    UnknownComponent { component: String },
    /// The component has no contract yet.
    NoContract { component: String },
    /// The component has a contract but no (complete) test suite.
    NoTests { component: String },
    /// The locked tests were changed, or the lock is unreadable.
    TestsTampered { component: String, message: String },
    /// Another job holds the project.
    Busy { holder: String },
    /// The project's configuration cannot be used.
    Config { message: String },
    /// Anything else (the full text).
    Other { message: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingKey { backend, var } => {
                write!(
                    f,
                    "the {backend} backend needs an API key in {var}, which is not set"
                )
            }
            Self::Auth { backend, var } => {
                write!(f, "the {backend} backend refused the key in {var}")
            }
            Self::NotDecomposed => f.write_str("the project has no decomposition yet"),
            Self::NoTask { path } => {
                write!(
                    f,
                    "{path} is missing or empty: there is nothing to plan from"
                )
            }
            Self::UnknownComponent { component } => {
                write!(
                    f,
                    "there is no component '{component}' in the decomposition"
                )
            }
            Self::NoContract { component } => {
                write!(f, "component '{component}' has no contract yet")
            }
            Self::NoTests { component } => {
                write!(f, "component '{component}' has no contract tests yet")
            }
            Self::Busy { holder } => {
                write!(f, "another job is running on this project: {holder}")
            }
            Self::Runtime { message, .. }
            | Self::Budget { message }
            | Self::ReplayMiss { message }
            | Self::Transient { message }
            | Self::TestsTampered { message, .. }
            | Self::Config { message }
            | Self::Other { message } => f.write_str(message),
        }
    }
}

impl Problem {
    /// The problem an engine error is, by its type.
    pub fn from_error(e: &EngineError) -> Self {
        match e {
            EngineError::Agent(a) => match a {
                AgentError::MissingKey { backend, var } => Self::MissingKey {
                    backend: backend.clone(),
                    var: var.clone(),
                },
                AgentError::Auth { backend, var, .. } => Self::Auth {
                    backend: backend.clone(),
                    var: var.clone(),
                },
                a if a.is_budget() => Self::Budget {
                    message: a.to_string(),
                },
                AgentError::ReplayMiss { .. } => Self::ReplayMiss {
                    message: a.to_string(),
                },
                AgentError::RateLimited { .. }
                | AgentError::Server { .. }
                | AgentError::Connection { .. }
                | AgentError::Timeout { .. } => Self::Transient {
                    message: a.to_string(),
                },
                AgentError::Config(m) => Self::Config { message: m.clone() },
                _ => Self::Other {
                    message: a.to_string(),
                },
            },
            EngineError::Runtime(r) => Self::Runtime {
                message: r.to_string(),
                fix: r.fix(),
            },
            EngineError::Lock(l) => Self::TestsTampered {
                component: match l {
                    crate::lock::LockError::NotLocked { cid }
                    | crate::lock::LockError::Tampered { cid, .. }
                    | crate::lock::LockError::Corrupt { cid, .. } => cid.clone(),
                    _ => String::new(),
                },
                message: l.to_string(),
            },
            EngineError::Job(j) => Self::Busy {
                holder: match j {
                    crate::joblock::JobError::Busy(h) => {
                        format!("{} (pid {}, since {})", h.command, h.pid, h.started_at)
                    }
                    other => other.to_string(),
                },
            },
            other => Self::Other {
                message: other.to_string(),
            },
        }
    }

    /// What to do about it.
    pub fn next(&self, resume: NextStep) -> Vec<NextStep> {
        match self {
            Self::MissingKey { var, .. } => vec![
                NextStep::SetKey { var: var.clone() },
                NextStep::ChooseBackend,
            ],
            Self::Auth { var, .. } => vec![NextStep::CheckKey { var: var.clone() }],
            Self::Budget { .. } => vec![NextStep::RaiseBudget],
            Self::ReplayMiss { .. } => vec![NextStep::ChooseBackend],
            Self::Transient { .. } => vec![NextStep::TryLater, resume],
            Self::Runtime { fix, .. } => vec![NextStep::InstallRuntime { fix: fix.clone() }],
            Self::NotDecomposed | Self::NoContract { .. } => vec![NextStep::Decompose],
            Self::NoTask { .. } => vec![NextStep::WriteTask],
            // The contract is there: tests are written from it.
            Self::NoTests { component } => vec![NextStep::RegenerateTests {
                component: component.clone(),
            }],
            Self::UnknownComponent { .. } => vec![NextStep::ListComponents],
            Self::TestsTampered { component, .. } => vec![NextStep::RegenerateTests {
                component: component.clone(),
            }],
            Self::Busy { .. } => vec![NextStep::WaitOrStop],
            Self::Config { .. } => vec![NextStep::FixConfig],
            Self::Other { .. } => vec![resume],
        }
    }
}

/// One thing the user can do next. Front ends name the command or menu item for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NextStep {
    Decompose,
    RunPipeline,
    /// Build one component, or (`None`) components one by one.
    Build {
        component: Option<String>,
    },
    Rebuild {
        component: String,
    },
    RegenerateTests {
        component: String,
    },
    RunTests {
        component: String,
    },
    /// Write `task.md`: what to build.
    WriteTask,
    /// Answer the interview's questions.
    Answer,
    /// Accept the interview's assumptions as answers.
    Approve,
    /// Fix what the diagnostics (or `pact validate`) point at.
    FixDiagnostics,
    /// Look at the failing tests (marked in the test file, listed by the build).
    SeeFailures,
    /// `pact health` says what needs a person.
    SeeHealth,
    RaiseBudget,
    /// Set `plan_only: false` to let the pipeline implement everything.
    DisablePlanOnly,
    /// Lower `mutation_threshold` or set `mutation_gate: false`.
    RelaxMutationGate,
    /// Start a new run (`pact run --force-new`).
    NewRun,
    SetKey {
        var: String,
    },
    CheckKey {
        var: String,
    },
    /// Choose another backend (or a recording).
    ChooseBackend,
    /// Install what a runtime needs (`fix`: the commands).
    InstallRuntime {
        fix: String,
    },
    FixConfig,
    ListComponents,
    TryLater,
    /// Wait for the other job, or stop it where it runs.
    WaitOrStop,
    /// Adopt the codebase again (`pact adopt`).
    Adopt,
}

/// One component's tests as the job left them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ComponentResult {
    pub component: String,
    pub passed: u64,
    pub total: u64,
    /// Held-out tests of the implementation as it is (`metadata.json` `hidden`).
    pub held_out: Option<Counts>,
    /// The failing tests' ids and the first line of each failure (at most five).
    pub failures: Vec<Failure>,
    /// Failing tests beyond those listed.
    pub more_failures: usize,
}

/// "7/7 contract tests, held-out 3/3": what every front end says of a component's tests.
impl std::fmt::Display for ComponentResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} contract tests", self.passed, self.total)?;
        if let Some(h) = self.held_out {
            write!(f, ", held-out {}/{}", h.passed, h.total)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Counts {
    pub passed: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Failure {
    pub test: String,
    pub message: String,
}

impl Failure {
    /// A failing test as every front end shows it: its id and the first line of its message.
    pub fn of(f: &pact_core::model::TestFailure) -> Self {
        Self {
            test: f.test_id.clone(),
            message: f
                .error_message
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Spend {
    pub spent_usd: f64,
    pub budget_usd: f64,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum JobOutcome {
    /// The pipeline finished: every component passes its contract tests.
    Completed,
    /// One phase done (`pact run --once`).
    Advanced {
        to: Phase,
    },
    /// Decompose reached the plan: `components` in the tree, each with a contract and tests.
    Planned {
        /// Named apart from the report's `components` (the outcome is flattened into it).
        #[serde(rename = "component_count")]
        components: usize,
    },
    /// Decompose on a run already past its plan: nothing was done.
    AlreadyPlanned {
        phase: Phase,
    },
    Paused {
        reason: PauseReason,
    },
    BudgetExceeded,
    /// The run ended as failed (`state.json` status `failed`).
    RunFailed {
        reason: String,
    },
    /// The component passes its contract tests (built, or its tests run).
    Passed,
    /// Built already from the current contract and tests: nothing was done.
    UpToDate,
    /// Some contract tests fail (after `attempts` attempts; 0 for a plain test run).
    FailedTests {
        attempts: u32,
    },
    /// Its tests pass, but the mutation gate holds it back.
    WeakTests {
        finding: String,
    },
    /// New tests written and locked.
    Regenerated,
    /// The new tests still fail the gate.
    GateFailed {
        reason: String,
    },
    /// Existing code adopted: each module's contract, tests and how its tests did against the
    /// code as it is (a failing test is a bug found or a wrong test, never dropped).
    Adopted {
        modules: Vec<crate::adopt::AdoptedComponent>,
    },
    /// Stopped on request; the project is consistent and resumable.
    Cancelled,
    /// A precondition failed before anything changed.
    Refused {
        problem: Problem,
    },
    /// The job failed while it worked (what it finished is kept).
    Failed {
        problem: Problem,
    },
}

/// Everything a front end needs to tell the user how a job went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct JobReport {
    pub job: super::JobKind,
    #[serde(flatten)]
    pub outcome: JobOutcome,
    pub components: Vec<ComponentResult>,
    pub spend: Spend,
    pub next: Vec<NextStep>,
}

impl JobReport {
    /// The component's result, when the job was about one.
    pub fn component(&self) -> Option<&ComponentResult> {
        match self.job.component() {
            Some(c) => self.components.iter().find(|r| r.component == c),
            None => None,
        }
    }
}
