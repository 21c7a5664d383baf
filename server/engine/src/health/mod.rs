//! Health monitoring: is the run turning money into working software?
//!
//! Health is a pure function of the run's records — `.pact/budget.json` (tokens and dollars per
//! phase), `.pact/audit.jsonl` (what the engine did) and `.pact/state.json` (component tasks) —
//! so `pact health` on a stopped project says the same as the check the engine runs after each
//! step. The metrics, checks, thresholds and remedies are the seed's (`HealthMetrics`,
//! `check_health`, `health_policy`); the thresholds can be overridden in `pact.yaml`
//! `health_thresholds`.
//!
//! A critical condition of the kinds the seed aborts on (planning that produces nothing,
//! spend without artifacts) pauses the run with the findings and proposed remedies. Health
//! never changes the configuration: remedies are proposals, applied only by a directive
//! (`pact signal --directive …`) or by the user.
//!
//! One file per stage — metrics, checks, policy, rendering; this one puts them together into
//! the report.

mod checks;
mod metrics;
mod policy;
mod render;

pub use checks::{
    HealthFinding, HealthStatus, HealthThresholds, PRE_ARTIFACT_PHASES, check_health, overall,
};
pub use metrics::{
    GENERATION_PHASES, HealthMetrics, PLANNING_PHASES, PhaseTokens, collect, is_cascade,
    metrics_from,
};
pub(crate) use policy::after_step;
pub use policy::{ABORT_CONDITIONS, Remedy, acknowledge, is_health_pause, pause_reason, policy};
pub use render::render;

use pact_core::config::Config;
use pact_core::model::Phase;
use pact_core::store::Project;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Metrics, findings, overall status and remedies: what `pact health` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub phase: String,
    pub status: HealthStatus,
    pub metrics: HealthMetrics,
    pub derived: BTreeMap<String, f64>,
    pub findings: Vec<HealthFinding>,
    pub remedies: Vec<Remedy>,
    /// Whether the condition is one the engine pauses the run for.
    pub should_pause: bool,
    pub pause_message: String,
}

/// Metrics, checks and policy for the project as its records stand.
pub fn report(project: &Project, config: &Config) -> HealthReport {
    let phase = project
        .load_state()
        .ok()
        .flatten()
        .map(|s| s.phase.to_string())
        .unwrap_or_else(|| Phase::Interview.to_string());
    report_for(project, config, &phase)
}

/// As [`report`], judging the checks as of `phase` (the phase that just ran).
pub fn report_for(project: &Project, config: &Config, phase: &str) -> HealthReport {
    let metrics = collect(project, config);
    let thresholds = HealthThresholds::from_config(config);
    let findings = check_health(&metrics, &thresholds, phase);
    let status = overall(&findings);
    let (remedies, should_pause, pause_message) = policy(&findings);
    let mut derived = BTreeMap::new();
    let finite = |v: f64| if v.is_finite() { v } else { f64::MAX };
    derived.insert(
        "output_planning_ratio".into(),
        finite(metrics.output_planning_ratio()),
    );
    derived.insert("rejection_rate".into(), metrics.rejection_rate());
    derived.insert("test_pass_rate".into(), metrics.test_pass_rate());
    derived.insert("budget_velocity".into(), metrics.budget_velocity());
    derived.insert("register_drift_rate".into(), metrics.register_drift_rate());
    derived.insert(
        "artifacts_produced".into(),
        metrics.artifacts_produced() as f64,
    );
    derived.insert("total_tokens".into(), metrics.total_tokens() as f64);
    HealthReport {
        phase: phase.to_string(),
        status,
        metrics,
        derived,
        findings,
        remedies,
        should_pause,
        pause_message,
    }
}

/// `state.health_snapshot`: the metrics and derived values, plus `_overall_status`,
/// `_critical_findings` (up to 3, `"[<condition>] <message[:80]>"`) and `_proposed_remedies`.
pub fn snapshot(r: &HealthReport, acknowledged: &[String]) -> Map<String, Value> {
    let mut m = match serde_json::to_value(&r.metrics) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (k, v) in &r.derived {
        m.insert(k.clone(), json!(v));
    }
    m.insert("_overall_status".into(), r.status.as_str().into());
    let critical: Vec<Value> = r
        .findings
        .iter()
        .filter(|f| f.status == HealthStatus::Critical)
        .take(3)
        .map(|f| {
            let msg: String = f.message.chars().take(80).collect();
            Value::from(format!("[{}] {msg}", f.condition))
        })
        .collect();
    m.insert("_critical_findings".into(), Value::Array(critical));
    m.insert(
        "_proposed_remedies".into(),
        serde_json::to_value(&r.remedies).unwrap_or(Value::Array(Vec::new())),
    );
    m.insert("_phase".into(), r.phase.clone().into());
    m.insert("_updated_at".into(), pact_core::store::now_iso().into());
    if !acknowledged.is_empty() {
        m.insert("_acknowledged".into(), json!(acknowledged));
    }
    m
}
