//! The policy: which critical findings pause a run, the remedies proposed for them, and the
//! engine's after-step hook that persists the snapshot and pauses once per condition.

use super::checks::{HealthFinding, HealthStatus, HealthThresholds};
use super::{HealthReport, report, report_for, snapshot};
use crate::engine::{Engine, Outcome, Result};
use crate::events::Event;
use pact_core::config::Config;
use pact_core::model::{Phase, RunState, RunStatus};
use pact_core::store::Project;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A fix health proposes; `directive` is what `pact signal --directive` takes to apply it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remedy {
    pub remedy: String,
    pub condition: String,
    pub description: String,
    /// The seed's `auto`: informational remedies that need no action. Never applied silently.
    pub auto: bool,
    pub directive: Option<Value>,
}

/// Conditions the seed stops a run for.
pub const ABORT_CONDITIONS: &[&str] = &[
    "gain_outweighs_cost",
    "output_planning_ratio",
    "variance_reaches_target",
];

/// The seed's `health_policy`: remedies for critical findings, and whether to pause.
pub fn policy(findings: &[HealthFinding]) -> (Vec<Remedy>, bool, String) {
    let mut remedies = Vec::new();
    for f in findings
        .iter()
        .filter(|f| f.status == HealthStatus::Critical)
    {
        let r = match f.condition.as_str() {
            "rejection_rate" => Remedy {
                remedy: "max_plan_revisions".into(),
                condition: f.condition.clone(),
                description: "Limit contract/test revisions to 1 so effort goes to implementation".into(),
                auto: false,
                directive: Some(json!({"type": "apply_remedy", "remedy": "max_plan_revisions", "value": 1})),
            },
            "output_planning_ratio" => Remedy {
                remedy: "shaping".into(),
                condition: f.condition.clone(),
                description: "Turn shaping off to cut planning overhead".into(),
                auto: false,
                directive: Some(json!({"type": "apply_remedy", "remedy": "shaping", "value": false})),
            },
            "graceful_degradation" => Remedy {
                remedy: "skip_cascaded".into(),
                condition: f.condition.clone(),
                description: "Mark components waiting on failed dependencies as failed instead of building them".into(),
                auto: false,
                directive: Some(json!({"type": "apply_remedy", "remedy": "skip_cascaded"})),
            },
            "budget_velocity" => Remedy {
                remedy: "informational".into(),
                condition: f.condition.clone(),
                description: "Spend is high for what it produced; review the phase breakdown".into(),
                auto: true,
                directive: None,
            },
            _ => continue,
        };
        if !remedies.iter().any(|x: &Remedy| x.remedy == r.remedy) {
            remedies.push(r);
        }
    }
    let abort: Vec<&HealthFinding> = findings
        .iter()
        .filter(|f| {
            f.status == HealthStatus::Critical && ABORT_CONDITIONS.contains(&f.condition.as_str())
        })
        .collect();
    if abort.is_empty() {
        return (remedies, false, String::new());
    }
    let problems: Vec<String> = abort
        .iter()
        .map(|f| format!("[{}] {}", f.condition, f.message))
        .collect();
    let proposed: Vec<String> = remedies
        .iter()
        .filter(|r| !r.auto)
        .map(|r| format!("{} ({})", r.remedy, r.description))
        .collect();
    let message = format!(
        "Dysmemic pressure detected: {}. Applied: nothing (remedies are never applied silently). Proposed: {}.",
        problems.join(" "),
        if proposed.is_empty() {
            "review the run".to_string()
        } else {
            proposed.join("; ")
        }
    );
    (remedies, true, message)
}

/// The pause reason health gives.
pub fn pause_reason(message: &str) -> String {
    crate::job::PauseReason::Health {
        message: message.to_string(),
    }
    .to_string()
}

pub fn is_health_pause(reason: &str) -> bool {
    reason.starts_with("Health check:")
}

fn critical_abort_conditions(r: &HealthReport) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| {
            f.status == HealthStatus::Critical && ABORT_CONDITIONS.contains(&f.condition.as_str())
        })
        .map(|f| f.condition.clone())
        .collect()
}

/// Marks the current critical conditions as seen by a human (a resume after a health pause),
/// so the run does not pause again for the same conditions.
pub fn acknowledge(project: &Project, config: &Config) -> Result<()> {
    let r = report(project, config);
    let mut ack = critical_abort_conditions(&r);
    project.update_state(|s| {
        if let Some(s) = s {
            let old: Vec<String> = s
                .health_snapshot
                .get("_acknowledged")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            for o in old {
                if !ack.contains(&o) {
                    ack.push(o);
                }
            }
            s.health_snapshot = snapshot(&r, &ack);
        }
    })?;
    Ok(())
}

/// Runs after every step of the engine: persists the snapshot, and pauses a run that just
/// advanced into a critical condition of the kinds the seed aborts on (once per condition:
/// resuming past a health pause acknowledges its conditions).
pub(crate) fn after_step(
    e: &Engine,
    before: &RunState,
    phase: Phase,
    outcome: Outcome,
) -> Result<Outcome> {
    let thresholds = HealthThresholds::from_config(&e.config);
    if thresholds.disabled() {
        return Ok(outcome);
    }
    let r = report_for(&e.project, &e.config, phase.as_str());
    let mut acknowledged: Vec<String> = before
        .health_snapshot
        .get("_acknowledged")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    // The run was paused by health and someone resumed it: those conditions are known.
    if is_health_pause(&before.pause_reason) && before.status == RunStatus::Active {
        let prev: Vec<String> = before
            .health_snapshot
            .get("_critical_findings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter_map(|s| {
                s.strip_prefix('[')?
                    .split_once(']')
                    .map(|(c, _)| c.to_string())
            })
            .collect();
        for c in prev {
            if !acknowledged.contains(&c) {
                acknowledged.push(c);
            }
        }
    }
    let new_conditions: Vec<String> = critical_abort_conditions(&r)
        .into_iter()
        .filter(|c| !acknowledged.contains(c))
        .collect();
    let snap = snapshot(&r, &acknowledged);
    let pause =
        r.should_pause && !new_conditions.is_empty() && matches!(outcome, Outcome::Advanced { .. });
    let reason = crate::job::PauseReason::Health {
        message: r.pause_message.clone(),
    };
    e.update(|s| {
        s.health_snapshot = snap;
        if pause {
            s.status = RunStatus::Paused;
            s.pause_reason = reason.to_string();
        }
    })?;
    if !pause {
        return Ok(outcome);
    }
    e.audit("health_abort", r.pause_message.clone())?;
    e.emit(Event::Paused {
        reason: reason.clone(),
    });
    Ok(Outcome::Paused { reason })
}
