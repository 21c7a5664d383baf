//! The text `pact health` prints: a report for a human at a terminal.

use super::HealthReport;
use super::checks::{HealthFinding, HealthStatus};

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
