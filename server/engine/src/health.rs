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

use crate::engine::{Engine, Outcome, Result};
use crate::events::Event;
use pact_core::config::Config;
use pact_core::model::{AuditEntry, Phase, RunState, RunStatus, TaskStatus};
use pact_core::store::Project;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Phases whose model calls plan (interview, shaping, decomposition, contracts, tests, diagnosis).
pub const PLANNING_PHASES: &[&str] = &[
    "interview",
    "shape",
    "decompose",
    "contract",
    "test",
    "diagnose",
];
/// Phases whose model calls produce code.
pub const GENERATION_PHASES: &[&str] = &["implement", "integrate"];
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

/// Tokens and calls of one phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseTokens {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub calls: u64,
}

impl PhaseTokens {
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// The seed's `HealthMetrics` (same field names), computed from the run's records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthMetrics {
    pub planning_tokens: u64,
    pub generation_tokens: u64,
    pub planning_calls: u64,
    pub generation_calls: u64,
    pub plan_revisions: u64,
    pub implementation_attempts: u64,
    pub implementation_failures: u64,
    pub test_failures: u64,
    pub test_passes: u64,
    pub contracts_produced: u64,
    pub tests_produced: u64,
    pub implementations_produced: u64,
    pub component_failures: BTreeMap<String, u64>,
    pub cascade_events: u64,
    pub register_drift_events: u64,
    pub register_checks: u64,
    pub phase_tokens: BTreeMap<String, PhaseTokens>,
    pub total_spend: f64,
    pub budget_cap: f64,
}

impl HealthMetrics {
    /// generation / planning tokens (∞ when only generation, 0 when neither).
    pub fn output_planning_ratio(&self) -> f64 {
        if self.planning_tokens == 0 {
            if self.generation_tokens > 0 {
                f64::INFINITY
            } else {
                0.0
            }
        } else {
            self.generation_tokens as f64 / self.planning_tokens as f64
        }
    }
    pub fn rejection_rate(&self) -> f64 {
        if self.implementation_attempts == 0 {
            0.0
        } else {
            self.implementation_failures as f64 / self.implementation_attempts as f64
        }
    }
    pub fn test_pass_rate(&self) -> f64 {
        let n = self.test_passes + self.test_failures;
        if n == 0 {
            0.0
        } else {
            self.test_passes as f64 / n as f64
        }
    }
    pub fn artifacts_produced(&self) -> u64 {
        self.contracts_produced + self.tests_produced + self.implementations_produced
    }
    /// Artifacts per dollar.
    pub fn budget_velocity(&self) -> f64 {
        if self.total_spend <= 0.0 {
            0.0
        } else {
            self.artifacts_produced() as f64 / self.total_spend
        }
    }
    pub fn register_drift_rate(&self) -> f64 {
        if self.register_checks == 0 {
            0.0
        } else {
            self.register_drift_events as f64 / self.register_checks as f64
        }
    }
    pub fn total_tokens(&self) -> u64 {
        self.planning_tokens + self.generation_tokens
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

// ── collecting metrics from the records ───────────────────────────────────────────────────

/// `"<cid>: <p>/<t> passed…"` → (cid, p, t).
fn parse_pass_count(detail: &str) -> Option<(String, u64, u64)> {
    let (cid, rest) = detail.split_once(": ")?;
    let (counts, _) = rest.split_once(" passed")?;
    let (p, t) = counts.trim().split_once('/')?;
    Some((cid.trim().to_string(), p.parse().ok()?, t.parse().ok()?))
}

/// `"… (revision N)"` / `"…, revision N)"` → N.
fn revision(detail: &str) -> Option<u64> {
    let i = detail.rfind("revision ")?;
    let digits: String = detail[i + 9..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Computes the metrics from the run's records. Missing records count as nothing.
pub fn collect(project: &Project, config: &Config) -> HealthMetrics {
    let ledger = pact_agents::BudgetLedger::load(&project.layout.budget()).unwrap_or_default();
    let audit = project.read_audit().map(|(e, _)| e).unwrap_or_default();
    let state = project.load_state().ok().flatten();
    metrics_from(&ledger, &audit, state.as_ref(), config.budget())
}

/// The pure part of [`collect`].
pub fn metrics_from(
    ledger: &pact_agents::BudgetLedger,
    audit: &[AuditEntry],
    state: Option<&RunState>,
    budget_cap: f64,
) -> HealthMetrics {
    let mut m = HealthMetrics {
        budget_cap,
        ..Default::default()
    };
    for (phase, line) in &ledger.by_phase {
        let pt = PhaseTokens {
            input_tokens: line.input_tokens
                + line.cache_creation_input_tokens
                + line.cache_read_input_tokens,
            output_tokens: line.output_tokens,
            calls: line.calls,
        };
        if PLANNING_PHASES.contains(&phase.as_str()) {
            m.planning_tokens += pt.total();
            m.planning_calls += pt.calls;
        } else if GENERATION_PHASES.contains(&phase.as_str()) {
            m.generation_tokens += pt.total();
            m.generation_calls += pt.calls;
        }
        m.phase_tokens.insert(phase.clone(), pt);
    }
    m.total_spend = ledger.spent().max(state.map_or(0.0, |s| s.total_cost_usd));

    let mut contracts = BTreeSet::new();
    let mut tests = BTreeSet::new();
    let mut implemented: BTreeMap<String, bool> = BTreeMap::new();
    let mut saw_test_run = false;
    let mut build_counts = (0u64, 0u64);
    for e in audit {
        let d = e.detail.as_str();
        match e.action.as_str() {
            "interview" => {
                let n: u64 = d
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                if n > 0 {
                    m.contracts_produced += 1;
                }
            }
            "shape" => m.contracts_produced += 1,
            "contract" => {
                if let Some(cid) = d.split_whitespace().next() {
                    contracts.insert(cid.to_string());
                }
                if revision(d).is_some_and(|r| r > 0) {
                    m.plan_revisions += 1;
                }
            }
            "tests" => {
                if let Some((cid, _)) = d.split_once(':') {
                    tests.insert(cid.to_string());
                }
                if revision(d).is_some_and(|r| r > 0) {
                    m.plan_revisions += 1;
                }
            }
            "test_run" => {
                if let Some((_, p, t)) = parse_pass_count(d) {
                    saw_test_run = true;
                    m.implementation_attempts += 1;
                    m.test_passes += p;
                    m.test_failures += t - p.min(t);
                    if p < t || t == 0 {
                        m.implementation_failures += 1;
                    }
                }
            }
            "implementation_rejected" => {
                m.implementation_attempts += 1;
                m.implementation_failures += 1;
            }
            "build" => {
                if let Some((cid, p, t)) = parse_pass_count(d) {
                    let ok = t > 0 && p == t;
                    implemented.insert(cid.clone(), ok);
                    if !ok {
                        *m.component_failures.entry(cid).or_default() += 1;
                    }
                    build_counts.0 += p;
                    build_counts.1 += t - p.min(t);
                }
            }
            _ => {}
        }
    }
    if !saw_test_run {
        // Records of another tool: builds only.
        m.test_passes = build_counts.0;
        m.test_failures = build_counts.1;
    }
    m.contracts_produced += contracts.len() as u64;
    m.tests_produced += tests.len() as u64;
    m.implementations_produced = implemented.values().filter(|ok| **ok).count() as u64;
    if let Some(s) = state {
        m.cascade_events = s
            .component_tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Failed && is_cascade(&t.last_error))
            .count() as u64;
    }
    m
}

/// A failure caused by another component's failure, not by its own code.
pub fn is_cascade(last_error: &str) -> bool {
    let e = last_error.to_ascii_lowercase();
    e.contains("dependency failed") || e.contains("depends on failed")
}

// ── checks ────────────────────────────────────────────────────────────────────────────────

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

// ── rendering ─────────────────────────────────────────────────────────────────────────────

/// The text `pact health` prints.
pub fn render(r: &HealthReport, project_dir: &str) -> String {
    let m = &r.metrics;
    let mut s = format!("Health: {}\n", r.status.as_str().to_uppercase());
    s.push_str(&format!(
        "Phase: {}   Spend: ${:.2} of ${:.2}\n\n",
        r.phase, m.total_spend, m.budget_cap
    ));
    s.push_str("Metrics:\n");
    let ratio = m.output_planning_ratio();
    s.push_str(&format!(
        "  output/planning ratio  {}  ({} planning / {} generation tokens)\n",
        if ratio.is_finite() {
            format!("{ratio:.2}")
        } else {
            "inf".into()
        },
        m.planning_tokens,
        m.generation_tokens
    ));
    s.push_str(&format!(
        "  rejection rate         {:.2}  ({} of {} attempts)\n",
        m.rejection_rate(),
        m.implementation_failures,
        m.implementation_attempts
    ));
    s.push_str(&format!(
        "  test pass rate         {:.2}  ({} passed, {} failed)\n",
        m.test_pass_rate(),
        m.test_passes,
        m.test_failures
    ));
    s.push_str(&format!(
        "  budget velocity        {:.2}  ({} artifacts: {} contracts, {} test suites, {} implementations)\n",
        m.budget_velocity(),
        m.artifacts_produced(),
        m.contracts_produced,
        m.tests_produced,
        m.implementations_produced
    ));
    s.push_str(&format!(
        "  cascades               {}  plan revisions {}\n",
        m.cascade_events, m.plan_revisions
    ));
    if !m.phase_tokens.is_empty() {
        s.push_str("\nTokens by phase:\n");
        s.push_str(&format!(
            "  {:<12} {:>6} {:>10} {:>10}\n",
            "PHASE", "CALLS", "INPUT", "OUTPUT"
        ));
        for (p, t) in &m.phase_tokens {
            s.push_str(&format!(
                "  {:<12} {:>6} {:>10} {:>10}\n",
                p, t.calls, t.input_tokens, t.output_tokens
            ));
        }
    }
    for (title, status) in [
        ("CRITICAL", HealthStatus::Critical),
        ("WARNING", HealthStatus::Warning),
    ] {
        let fs: Vec<&HealthFinding> = r.findings.iter().filter(|f| f.status == status).collect();
        if !fs.is_empty() {
            s.push_str(&format!("\n{title}:\n"));
            for f in fs {
                s.push_str(&format!("  [{}] {}\n", f.condition, f.message));
            }
        }
    }
    if !r.remedies.is_empty() {
        s.push_str("\nRemedies:\n");
        for rem in &r.remedies {
            s.push_str(&format!("  - {}: {}\n", rem.remedy, rem.description));
            if let Some(d) = &rem.directive {
                s.push_str(&format!(
                    "      pact signal {project_dir} --directive '{}'\n",
                    d
                ));
            }
        }
    }
    if r.should_pause {
        s.push_str(&format!("\n{}\n", r.pause_message));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_audit_details() {
        assert_eq!(
            parse_pass_count("counter: 5/6 passed (attempt 2)"),
            Some(("counter".into(), 5, 6))
        );
        assert_eq!(
            parse_pass_count("wordfreq: 3/3 passed (competitive, 2 agents)"),
            Some(("wordfreq".into(), 3, 3))
        );
        assert_eq!(parse_pass_count("garbage"), None);
        assert_eq!(revision("counter v1 (2 functions, revision 1)"), Some(1));
        assert_eq!(revision("counter: 6 test cases (revision 0)"), Some(0));
    }
}
