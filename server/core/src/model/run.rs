//! `.pact/state.json`, `decomposition/interview.json`, `decisions.json` and `audit.jsonl`: the run.

use super::{Extra, StringMap};
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }
        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// Lifecycle of a run. The original's v0.3.0 values.
    RunStatus { Active = "active", Paused = "paused", Completed = "completed", Failed = "failed",
        BudgetExceeded = "budget_exceeded" }
}

string_enum! {
    /// Pipeline phase: v0.3.0's phases plus the later ones (preflight, arbiter, polish,
    /// retrospective) so a newer project's state still loads.
    Phase { Interview = "interview", Shape = "shape", Decompose = "decompose", Contract = "contract",
        Test = "test", Validate = "validate", Preflight = "preflight", Implement = "implement",
        Integrate = "integrate", Arbiter = "arbiter", Polish = "polish",
        Retrospective = "retrospective", Diagnose = "diagnose", Complete = "complete" }
}

string_enum! {
    TaskStatus { Pending = "pending", Researching = "researching", Contracting = "contracting",
        Testing = "testing", Implementing = "implementing", Integrating = "integrating",
        Completed = "completed", Failed = "failed" }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentTask {
    pub component_id: String,
    #[serde(default = "pending")]
    pub status: TaskStatus,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub last_error: String,
    #[serde(flatten)]
    pub extra: Extra,
}

fn pending() -> TaskStatus {
    TaskStatus::Pending
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub id: String,
    pub project_dir: String,
    #[serde(default = "active")]
    pub status: RunStatus,
    #[serde(default = "interview")]
    pub phase: Phase,
    #[serde(default)]
    pub component_tasks: Vec<ComponentTask>,
    #[serde(default)]
    pub interview_result: Option<InterviewResult>,
    #[serde(default)]
    pub total_cost_usd: f64,
    #[serde(default)]
    pub total_tokens: u64,
    #[serde(default)]
    pub last_check_in: String,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub completed_at: String,
    #[serde(default)]
    pub pause_reason: String,
    #[serde(default)]
    pub phase_cycles: u32,
    #[serde(default)]
    pub health_snapshot: serde_json::Map<String, serde_json::Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

fn active() -> RunStatus {
    RunStatus::Active
}
fn interview() -> Phase {
    Phase::Interview
}

impl RunState {
    /// A fresh run: active, in the interview phase, nothing spent.
    pub fn new(id: impl Into<String>, project_dir: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            project_dir: project_dir.into(),
            status: RunStatus::Active,
            phase: Phase::Interview,
            component_tasks: Vec::new(),
            interview_result: None,
            total_cost_usd: 0.0,
            total_tokens: 0,
            last_check_in: String::new(),
            created_at: String::new(),
            completed_at: String::new(),
            pause_reason: String::new(),
            phase_cycles: 0,
            health_snapshot: Default::default(),
            extra: Default::default(),
        }
    }

    /// The task entry of a component, created if missing.
    pub fn task_mut(&mut self, cid: &str) -> &mut ComponentTask {
        let i = match self
            .component_tasks
            .iter()
            .position(|t| t.component_id == cid)
        {
            Some(i) => i,
            None => {
                self.component_tasks.push(ComponentTask {
                    component_id: cid.to_string(),
                    status: TaskStatus::Pending,
                    attempts: 0,
                    last_error: String::new(),
                    extra: Default::default(),
                });
                self.component_tasks.len() - 1
            }
        };
        &mut self.component_tasks[i]
    }

    /// Components whose last build failed.
    pub fn failed_components(&self) -> Vec<String> {
        self.component_tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Failed)
            .map(|t| t.component_id.clone())
            .collect()
    }

    pub fn task(&self, cid: &str) -> Option<&ComponentTask> {
        self.component_tasks.iter().find(|t| t.component_id == cid)
    }
}

string_enum! {
    AnswerSource { UserInteractive = "user_interactive", AutoAssumption = "auto_assumption",
        IntegrationSlack = "integration_slack", IntegrationLinear = "integration_linear",
        CliApprove = "cli_approve" }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditedAnswer {
    pub question_id: String,
    pub answer: String,
    pub source: AnswerSource,
    pub confidence: f64,
    #[serde(default)]
    pub timestamp: String,
    #[serde(default)]
    pub matched_assumption: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InterviewResult {
    #[serde(default)]
    pub risks: Vec<String>,
    #[serde(default)]
    pub ambiguities: Vec<String>,
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub assumptions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance_criteria: Option<Vec<String>>,
    /// Keyed by the full question text, as the original keys it.
    #[serde(default)]
    pub user_answers: StringMap,
    #[serde(default)]
    pub approved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audited_answers: Option<Vec<AuditedAnswer>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry of `decisions.json` (a JSON list of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineeringDecision {
    #[serde(default)]
    pub ambiguity: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub rationale: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One line of `audit.jsonl`: `{"timestamp", "action", "detail", **extra}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    #[serde(default)]
    pub timestamp: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub detail: String,
    #[serde(flatten)]
    pub extra: Extra,
}
