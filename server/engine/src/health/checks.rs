//! The checks: each metric graded against its thresholds (the seed's, or `pact.yaml`'s), as
//! healthy, warning or critical findings.

use super::metrics::{HealthMetrics, PhaseTokens};
use pact_core::config::Config;
use serde::{Deserialize, Serialize};

/// Phases before any implementation exists: the output/planning and velocity checks would only
/// measure that nothing was generated yet, so they are skipped, and the cost conditions are at
/// most warnings.
pub const PRE_ARTIFACT_PHASES: &[&str] = &[
    "interview",
    "shape",
    "decompose",
    "contract",
    "test",
    "validate",
    "preflight",
];
/// Phases allowed to dominate spend (the work itself); the seed 1.2's list plus our split of
/// decomposition into its contract and test phases.
const BALANCE_EXEMPT: &[&str] = &[
    "decompose",
    "contract",
    "test",
    "implement",
    "integrate",
    "polish",
    "retrospective",
    "complete",
];

/// `health_thresholds` with the seed's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthThresholds {
    pub output_planning_ratio_warning: f64,
    pub output_planning_ratio_critical: f64,
    pub rejection_rate_warning: f64,
    pub rejection_rate_critical: f64,
    pub budget_velocity_warning: f64,
    pub budget_velocity_critical: f64,
    pub phase_balance_warning: f64,
    pub phase_balance_critical: f64,
    pub cascade_warning: f64,
    pub cascade_critical: f64,
    pub component_failure_threshold: f64,
    pub register_drift_warning: f64,
    pub register_drift_critical: f64,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        Self {
            output_planning_ratio_warning: 0.5,
            output_planning_ratio_critical: 0.25,
            rejection_rate_warning: 0.5,
            rejection_rate_critical: 0.8,
            budget_velocity_warning: 1.0,
            budget_velocity_critical: 0.25,
            phase_balance_warning: 0.4,
            phase_balance_critical: 0.6,
            cascade_warning: 2.0,
            cascade_critical: 5.0,
            component_failure_threshold: 3.0,
            register_drift_warning: 0.2,
            register_drift_critical: 0.5,
        }
    }
}

impl HealthThresholds {
    pub const KEYS: &'static [&'static str] = &[
        "output_planning_ratio_warning",
        "output_planning_ratio_critical",
        "rejection_rate_warning",
        "rejection_rate_critical",
        "budget_velocity_warning",
        "budget_velocity_critical",
        "phase_balance_warning",
        "phase_balance_critical",
        "cascade_warning",
        "cascade_critical",
        "component_failure_threshold",
        "register_drift_warning",
        "register_drift_critical",
    ];

    /// The defaults overridden by `pact.yaml` `health_thresholds` (unknown keys are ignored).
    pub fn from_config(c: &Config) -> Self {
        let mut t = Self::default();
        for (k, v) in &c.project.health_thresholds {
            t.set(k, *v);
        }
        t
    }

    /// Sets one threshold by name; false if the name is unknown.
    pub fn set(&mut self, key: &str, v: f64) -> bool {
        let slot = match key {
            "output_planning_ratio_warning" => &mut self.output_planning_ratio_warning,
            "output_planning_ratio_critical" => &mut self.output_planning_ratio_critical,
            "rejection_rate_warning" => &mut self.rejection_rate_warning,
            "rejection_rate_critical" => &mut self.rejection_rate_critical,
            "budget_velocity_warning" => &mut self.budget_velocity_warning,
            "budget_velocity_critical" => &mut self.budget_velocity_critical,
            "phase_balance_warning" => &mut self.phase_balance_warning,
            "phase_balance_critical" => &mut self.phase_balance_critical,
            "cascade_warning" => &mut self.cascade_warning,
            "cascade_critical" => &mut self.cascade_critical,
            "component_failure_threshold" => &mut self.component_failure_threshold,
            "register_drift_warning" => &mut self.register_drift_warning,
            "register_drift_critical" => &mut self.register_drift_critical,
            _ => return false,
        };
        *slot = v;
        true
    }

    /// `output_planning_ratio_critical: 0.0` turns the engine's health checks off, as in the seed.
    pub fn disabled(&self) -> bool {
        self.output_planning_ratio_critical == 0.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Healthy,
    Warning,
    Critical,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

impl std::fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthFinding {
    pub condition: String,
    pub status: HealthStatus,
    pub message: String,
    pub metric_value: f64,
    pub threshold: f64,
}

fn finding(
    condition: &str,
    status: HealthStatus,
    message: String,
    v: f64,
    t: f64,
) -> HealthFinding {
    HealthFinding {
        condition: condition.into(),
        status,
        message,
        metric_value: if v.is_finite() { v } else { f64::MAX },
        threshold: t,
    }
}

/// Grades `value` against the warning and critical thresholds, in the direction where higher
/// (or, for ratios that should stay up, lower) is worse.
fn grade(
    condition: &str,
    value: f64,
    warn: f64,
    crit: f64,
    higher_is_worse: bool,
    bad: String,
    ok: String,
) -> HealthFinding {
    let past = |t: f64| {
        if higher_is_worse {
            value >= t
        } else {
            value < t
        }
    };
    if past(crit) {
        finding(condition, HealthStatus::Critical, bad, value, crit)
    } else if past(warn) {
        finding(condition, HealthStatus::Warning, bad, value, warn)
    } else {
        finding(condition, HealthStatus::Healthy, ok, value, warn)
    }
}

fn healthy(condition: &str, message: &str) -> HealthFinding {
    finding(condition, HealthStatus::Healthy, message.into(), 0.0, 0.0)
}

/// Every check of the seed, in its order.
pub fn check_health(m: &HealthMetrics, t: &HealthThresholds, phase: &str) -> Vec<HealthFinding> {
    use HealthStatus::*;
    let pre = PRE_ARTIFACT_PHASES.contains(&phase);
    let mut out = Vec::new();

    // Output/planning ratio: the $50-planning-zero-output pattern.
    let ratio = m.output_planning_ratio();
    out.push(if pre {
        healthy("output_planning_ratio", "Not checked before implementation starts")
    } else if m.total_tokens() < 1000 || m.generation_tokens == 0 {
        healthy("output_planning_ratio", "Too little generation to judge")
    } else if ratio < t.output_planning_ratio_critical {
        finding(
            "output_planning_ratio",
            Critical,
            format!(
                "Planning dominates generation {ratio:.2}x — spending {} tokens planning vs {} generating. This is the $50-planning-zero-output pattern.",
                m.planning_tokens, m.generation_tokens
            ),
            ratio,
            t.output_planning_ratio_critical,
        )
    } else if ratio < t.output_planning_ratio_warning {
        finding(
            "output_planning_ratio",
            Warning,
            format!(
                "Output/planning ratio {ratio:.2} is low: {} tokens planning vs {} generating.",
                m.planning_tokens, m.generation_tokens
            ),
            ratio,
            t.output_planning_ratio_warning,
        )
    } else {
        finding(
            "output_planning_ratio",
            Healthy,
            format!("Output/planning ratio {ratio:.2}"),
            ratio,
            t.output_planning_ratio_warning,
        )
    });

    // Rejection rate.
    let rate = m.rejection_rate();
    let what = format!(
        "{} of {} implementation attempts failed or were rejected",
        m.implementation_failures, m.implementation_attempts
    );
    out.push(if m.implementation_attempts < 2 {
        healthy("rejection_rate", "Too few implementation attempts to judge")
    } else {
        grade(
            "rejection_rate",
            rate,
            t.rejection_rate_warning,
            t.rejection_rate_critical,
            true,
            format!("Rejection rate {:.0}%: {what}.", rate * 100.0),
            format!("Rejection rate {:.0}%", rate * 100.0),
        )
    });

    // Budget velocity: artifacts per dollar.
    let v = m.budget_velocity();
    let what = format!(
        "{} artifacts for ${:.2}",
        m.artifacts_produced(),
        m.total_spend
    );
    out.push(if pre {
        healthy(
            "budget_velocity",
            "Not checked before implementation starts",
        )
    } else if m.total_spend < 0.10 {
        healthy("budget_velocity", "Too little spend to judge")
    } else {
        grade(
            "budget_velocity",
            v,
            t.budget_velocity_warning,
            t.budget_velocity_critical,
            false,
            format!("Budget velocity {v:.2} artifacts per dollar ({what})."),
            format!("Budget velocity {v:.2} artifacts per dollar"),
        )
    });

    // Phase balance: one phase eating the budget.
    let total: u64 = m.phase_tokens.values().map(PhaseTokens::total).sum();
    let n = m.phase_tokens.len();
    out.push(if total < 1000 || n < 2 {
        healthy("phase_balance", "Too few phases to judge")
    } else {
        let (worst, tokens) = m
            .phase_tokens
            .iter()
            .map(|(p, pt)| (p.as_str(), pt.total()))
            .max_by_key(|(_, t)| *t)
            .unwrap_or(("", 0));
        let share = tokens as f64 / total as f64;
        let excess = share - 1.0 / n as f64;
        let msg = format!(
            "Phase '{worst}' used {:.0}% of all tokens ({n} phases).",
            share * 100.0
        );
        if BALANCE_EXEMPT.contains(&worst) || excess <= 0.1 {
            finding(
                "phase_balance",
                Healthy,
                msg,
                share,
                t.phase_balance_warning,
            )
        } else {
            grade(
                "phase_balance",
                share,
                t.phase_balance_warning,
                t.phase_balance_critical,
                true,
                msg.clone(),
                msg,
            )
        }
    });

    // Graceful degradation: failures cascading to dependents, components failing repeatedly.
    let c = m.cascade_events as f64;
    let repeat: Vec<String> = m
        .component_failures
        .iter()
        .filter(|(_, n)| **n as f64 >= t.component_failure_threshold)
        .map(|(cid, n)| format!("{cid} ({n}x)"))
        .collect();
    out.push(if c >= t.cascade_critical {
        finding(
            "graceful_degradation",
            Critical,
            format!("{c} components failed because a dependency failed: failures are cascading."),
            c,
            t.cascade_critical,
        )
    } else if c >= t.cascade_warning {
        finding(
            "graceful_degradation",
            Warning,
            format!("{c} components failed because a dependency failed."),
            c,
            t.cascade_warning,
        )
    } else if !repeat.is_empty() {
        finding(
            "graceful_degradation",
            Warning,
            format!("Components failing repeatedly: {}.", repeat.join(", ")),
            repeat.len() as f64,
            t.component_failure_threshold,
        )
    } else {
        finding(
            "graceful_degradation",
            Healthy,
            "No cascading failures".into(),
            c,
            t.cascade_warning,
        )
    });

    // Register drift (the seed's later versions; needs register checks, which we do not run).
    let dr = m.register_drift_rate();
    out.push(if m.register_checks < 2 {
        healthy("register_drift", "No register checks")
    } else {
        grade(
            "register_drift",
            dr,
            t.register_drift_warning,
            t.register_drift_critical,
            true,
            format!("Register drift in {:.0}% of checks.", dr * 100.0),
            "Register stable".into(),
        )
    });

    // The five conditions (1, 3, 4 are checks; 2 and 5 are the ones above).
    out.push(healthy("room_to_improve", "There is room to improve"));
    let gen_share = if m.total_tokens() == 0 {
        1.0
    } else {
        m.generation_tokens as f64 / m.total_tokens() as f64
    };
    let cap = |s: HealthStatus| if pre && s == Critical { Warning } else { s };
    out.push(if gen_share < 0.2 && m.total_tokens() > 5000 {
        finding(
            "variance_reaches_target",
            cap(Critical),
            format!(
                "Only {:.0}% of {} tokens went to generating code: variance never reaches the target.",
                gen_share * 100.0,
                m.total_tokens()
            ),
            gen_share,
            0.2,
        )
    } else {
        finding(
            "variance_reaches_target",
            Healthy,
            "Generation reaches the target".into(),
            gen_share,
            0.2,
        )
    });
    let artifacts = m.artifacts_produced();
    out.push(if m.total_spend > 1.0 && artifacts == 0 {
        finding(
            "gain_outweighs_cost",
            cap(Critical),
            format!("${:.2} spent and nothing produced.", m.total_spend),
            0.0,
            1.0,
        )
    } else if m.total_spend >= 0.10 && v < 0.5 {
        finding(
            "gain_outweighs_cost",
            Warning,
            format!("Gain barely outweighs cost: {v:.2} artifacts per dollar."),
            v,
            0.5,
        )
    } else {
        finding(
            "gain_outweighs_cost",
            Healthy,
            "Gain outweighs cost".into(),
            v,
            0.5,
        )
    });
    out
}

pub fn overall(findings: &[HealthFinding]) -> HealthStatus {
    findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(HealthStatus::Healthy)
}
