//! The metrics: what the run's records (budget ledger, audit log, state) say it spent and
//! produced, computed the same way whether the run is live or stopped.

use pact_core::config::Config;
use pact_core::model::{AuditEntry, RunState, TaskStatus};
use pact_core::store::Project;
use serde::{Deserialize, Serialize};
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
