//! Health on recorded runs: records that trip each check's warning and critical thresholds,
//! thresholds from pact.yaml, and a real run that pauses on a critical condition with remedies
//! (and never changes its configuration), resumes past it, or never pauses when disabled.

use crate::support::fixture;
use crate::support::keyed;
use crate::support::script;

use fixture::project;

use keyed::Keyed;
use pact_agents::{BudgetLedger, SpendLine};
use pact_core::model::{RunState, RunStatus, TaskStatus};
use pact_core::store::Project;
use pact_engine::health::{self, HealthStatus};
use pact_engine::{Engine, Outcome};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
fn sample() -> PathBuf {
    repo().join("tests/fixtures/reference/sample")
}

fn bare(yaml: &str) -> (tempfile::TempDir, Project) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("wordfreq");
    std::fs::create_dir_all(dir.join(".pact")).expect("mkdir");
    std::fs::write(dir.join("task.md"), "# Task\n").expect("task");
    std::fs::write(dir.join("pact.yaml"), format!("budget: 50.0\n{yaml}")).expect("yaml");
    (tmp, Project::open(&dir).expect("open"))
}

/// `.pact/budget.json` with tokens per phase: (phase, tokens, calls); `spend` in total.
fn ledger(p: &Project, phases: &[(&str, u64, u64)], spend: f64) {
    let mut l = BudgetLedger::default();
    for (phase, tokens, calls) in phases {
        let line = SpendLine {
            input_tokens: tokens * 3 / 4,
            output_tokens: tokens - tokens * 3 / 4,
            calls: *calls,
            ..Default::default()
        };
        l.total.input_tokens += line.input_tokens;
        l.total.output_tokens += line.output_tokens;
        l.total.calls += calls;
        l.by_phase.insert(phase.to_string(), line);
    }
    l.total.cost_usd = spend;
    std::fs::create_dir_all(p.layout.pact_dir()).expect("mkdir");
    std::fs::write(p.layout.budget(), serde_json::to_string(&l).expect("ser")).expect("write");
}

fn audit(p: &Project, lines: &[(&str, &str)]) {
    for (a, d) in lines {
        p.audit(a, *d).expect("audit");
    }
}

fn state(p: &Project, phase: pact_core::model::Phase, failed: &[(&str, &str)]) {
    let mut s = RunState::new("r1", "wordfreq");
    s.phase = phase;
    for (cid, err) in failed {
        let t = s.task_mut(cid);
        t.status = TaskStatus::Failed;
        t.last_error = err.to_string();
    }
    p.save_state(&s).expect("state");
}

fn status_of(p: &Project, phase: &str, condition: &str) -> HealthStatus {
    let r = health::report_for(p, &p.config().expect("config"), phase);
    r.findings
        .iter()
        .find(|f| f.condition == condition)
        .map(|f| f.status)
        .unwrap_or_else(|| panic!("no finding {condition}"))
}

use HealthStatus::{Critical, Healthy, Warning};

#[test]
fn output_planning_ratio_warns_then_goes_critical_and_is_skipped_before_implementation() {
    let (_t, p) = bare("");
    ledger(&p, &[("contract", 10_000, 5), ("implement", 4_000, 2)], 0.0);
    assert_eq!(status_of(&p, "implement", "output_planning_ratio"), Warning);
    ledger(&p, &[("contract", 10_000, 5), ("implement", 2_000, 2)], 0.0);
    assert_eq!(
        status_of(&p, "implement", "output_planning_ratio"),
        Critical
    );
    assert_eq!(
        status_of(&p, "implement", "variance_reaches_target"),
        Critical
    );
    assert_eq!(status_of(&p, "decompose", "output_planning_ratio"), Healthy);
    assert_eq!(
        status_of(&p, "decompose", "variance_reaches_target"),
        Warning
    );
    let r = health::report_for(&p, &p.config().expect("c"), "implement");
    assert!(r.should_pause);
    assert!(
        r.pause_message.contains("Dysmemic pressure"),
        "{}",
        r.pause_message
    );
    let shaping = r
        .remedies
        .iter()
        .find(|x| x.remedy == "shaping")
        .expect("shaping remedy");
    assert_eq!(
        shaping.directive,
        Some(serde_json::json!({"type": "apply_remedy", "remedy": "shaping", "value": false}))
    );
    assert!(!shaping.auto);
}

#[test]
fn rejection_rate_counts_failed_and_rejected_attempts() {
    let (_t, p) = bare("");
    audit(
        &p,
        &[
            ("test_run", "counter: 2/6 passed (attempt 1)"),
            ("test_run", "counter: 6/6 passed (attempt 2)"),
            ("implementation_rejected", "tokenizer: wrote outside src/"),
            ("test_run", "tokenizer: 7/7 passed (attempt 2)"),
        ],
    );
    assert_eq!(status_of(&p, "implement", "rejection_rate"), Warning);
    audit(
        &p,
        &[
            ("test_run", "formatter: 0/5 passed (attempt 1)"),
            ("test_run", "formatter: 1/5 passed (attempt 2)"),
            ("test_run", "formatter: 1/5 passed (attempt 3)"),
            ("implementation_rejected", "formatter: wrote a conftest.py"),
            ("implementation_rejected", "formatter: wrote a conftest.py"),
            ("test_run", "wordfreq: 0/3 passed (attempt 1)"),
        ],
    );
    // 8 failures of 10 attempts.
    assert_eq!(status_of(&p, "implement", "rejection_rate"), Critical);
    let r = health::report(&p, &p.config().expect("c"));
    assert_eq!(r.metrics.implementation_attempts, 10);
    assert_eq!(r.metrics.implementation_failures, 8);
    let remedy = r
        .remedies
        .iter()
        .find(|x| x.remedy == "max_plan_revisions")
        .expect("remedy");
    assert_eq!(
        remedy.directive,
        Some(
            serde_json::json!({"type": "apply_remedy", "remedy": "max_plan_revisions", "value": 1})
        )
    );
    // A rejection rate alone does not stop the run.
    assert!(!r.should_pause);
}

#[test]
fn budget_velocity_and_gain_outweighs_cost() {
    let (_t, p) = bare("");
    audit(
        &p,
        &[
            ("contract", "tokenizer v1 (1 functions, revision 0)"),
            ("contract", "counter v1 (2 functions, revision 1)"),
            ("contract", "formatter v1 (1 functions, revision 0)"),
            ("tests", "tokenizer: 7 test cases (revision 0)"),
            ("tests", "counter: 6 test cases (revision 0)"),
        ],
    );
    ledger(&p, &[("contract", 500, 3), ("implement", 500, 1)], 10.0);
    assert_eq!(status_of(&p, "implement", "budget_velocity"), Warning);
    let r = health::report(&p, &p.config().expect("c"));
    assert_eq!(
        (
            r.metrics.contracts_produced,
            r.metrics.tests_produced,
            r.metrics.plan_revisions
        ),
        (3, 2, 1)
    );
    ledger(&p, &[("contract", 500, 3), ("implement", 500, 1)], 30.0);
    assert_eq!(status_of(&p, "implement", "budget_velocity"), Critical);
    assert_eq!(status_of(&p, "implement", "gain_outweighs_cost"), Warning);
    assert_eq!(
        status_of(&p, "contract", "budget_velocity"),
        Healthy,
        "skipped before implementation"
    );

    let (_t2, empty) = bare("");
    ledger(&empty, &[("contract", 500, 3)], 2.0);
    assert_eq!(
        status_of(&empty, "implement", "gain_outweighs_cost"),
        Critical
    );
    assert_eq!(
        status_of(&empty, "contract", "gain_outweighs_cost"),
        Warning,
        "softened before implementation"
    );
}

#[test]
fn phase_balance_flags_a_phase_that_eats_the_tokens() {
    let (_t, p) = bare("");
    ledger(
        &p,
        &[
            ("diagnose", 4_500, 3),
            ("implement", 3_000, 2),
            ("contract", 2_500, 2),
        ],
        0.0,
    );
    assert_eq!(status_of(&p, "implement", "phase_balance"), Warning);
    ledger(
        &p,
        &[
            ("diagnose", 7_000, 3),
            ("implement", 1_000, 2),
            ("contract", 2_000, 2),
        ],
        0.0,
    );
    assert_eq!(status_of(&p, "implement", "phase_balance"), Critical);
    // The work itself may dominate.
    ledger(
        &p,
        &[
            ("implement", 7_000, 3),
            ("diagnose", 1_000, 2),
            ("contract", 2_000, 2),
        ],
        0.0,
    );
    assert_eq!(status_of(&p, "implement", "phase_balance"), Healthy);
}

#[test]
fn cascades_and_repeated_failures_degrade_gracefully() {
    use pact_core::model::Phase;
    let (_t, p) = bare("");
    let dep = "a dependency failed to build";
    state(
        &p,
        Phase::Implement,
        &[("a", dep), ("b", dep), ("c", "test_x failed")],
    );
    assert_eq!(status_of(&p, "implement", "graceful_degradation"), Warning);
    state(
        &p,
        Phase::Implement,
        &[("a", dep), ("b", dep), ("c", dep), ("d", dep), ("e", dep)],
    );
    assert_eq!(status_of(&p, "implement", "graceful_degradation"), Critical);
    let r = health::report(&p, &p.config().expect("c"));
    assert_eq!(r.metrics.cascade_events, 5);
    assert!(r.remedies.iter().any(|x| x.remedy == "skip_cascaded"));

    let (_t2, q) = bare("");
    audit(
        &q,
        &[
            ("build", "counter: 1/6 passed"),
            ("build", "counter: 2/6 passed"),
            ("build", "counter: 5/6 passed"),
        ],
    );
    assert_eq!(status_of(&q, "implement", "graceful_degradation"), Warning);
}

#[test]
fn thresholds_come_from_pact_yaml() {
    let (_t, p) = bare(
        "health_thresholds:\n  rejection_rate_warning: 0.9\n  rejection_rate_critical: 0.95\n",
    );
    audit(
        &p,
        &[
            ("test_run", "counter: 2/6 passed (attempt 1)"),
            ("test_run", "counter: 6/6 passed (attempt 2)"),
        ],
    );
    assert_eq!(status_of(&p, "implement", "rejection_rate"), Healthy);
    let t = health::HealthThresholds::from_config(&p.config().expect("c"));
    assert_eq!(t.rejection_rate_critical, 0.95);
    assert_eq!(t.cascade_critical, 5.0, "the rest keep the seed's defaults");
}

// ── the engine pauses on a critical condition ────────────────────────────────────────────

fn good_answers(p: &Project) -> Keyed {
    let mut k = Keyed::new();
    let s = sample();
    k.push("interviewer", "", script::interview());
    k.push("decomposer", "", script::decomposition(&s));
    for cid in script::ORDER {
        k.push("contract_author", cid, script::contract(&s, cid));
        k.push("test_author", cid, script::tests(&s, cid));
        k.push("code_author", cid, script::code(&s, cid));
    }
    k.budget = Some(Arc::new(pact_agents::BudgetTracker::for_project(
        p.root(),
        50.0,
    )));
    k
}

/// Scripted agents, and a runner that passes every test at once: health is about the records.
fn engine(p: &Project, k: Arc<Keyed>) -> Engine {
    let budget = k.budget.clone();
    let mut e = fixture::engine_with(p, k, budget);
    e.runner = Arc::new(fixture::InstantPass);
    e
}

/// A planning-heavy history: a million tokens spent on contracts.
fn heavy_planning(p: &Project) {
    ledger(p, &[("contract", 1_000_000, 40)], 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_condition_pauses_the_run_with_remedies_and_changes_no_configuration() {
    let (_t, p) = project("");
    heavy_planning(&p);
    let yaml_before = std::fs::read_to_string(p.layout.pact_yaml()).expect("yaml");
    let e = engine(&p, Arc::new(good_answers(&p)));
    let config_before = e.config.clone();
    let o = e.run().await.expect("run");
    let Outcome::Paused { reason } = &o else {
        panic!("expected a health pause, got {o:?}")
    };
    assert!(
        reason
            .to_string()
            .starts_with("Health check: Dysmemic pressure"),
        "{reason}"
    );
    assert!(
        reason.to_string().ends_with("Review with 'pact health'."),
        "{reason}"
    );
    let st = p.load_state().expect("s").expect("state");
    assert_eq!(st.status, RunStatus::Paused);
    assert_eq!(
        st.phase.as_str(),
        "integrate",
        "it paused after implementing, before integrating"
    );
    let snap = &st.health_snapshot;
    assert_eq!(snap["_overall_status"], "critical");
    let crit: Vec<String> =
        serde_json::from_value(snap["_critical_findings"].clone()).expect("list");
    assert!(
        crit.iter()
            .any(|c| c.starts_with("[output_planning_ratio]")),
        "{crit:?}"
    );
    let remedies = snap["_proposed_remedies"].as_array().expect("remedies");
    assert!(
        remedies.iter().any(|r| r["remedy"] == "shaping"),
        "{remedies:?}"
    );
    assert!(snap["planning_tokens"].as_u64().unwrap_or(0) >= 1_000_000);
    // Never changes its own configuration.
    assert_eq!(e.config, config_before);
    assert_eq!(
        std::fs::read_to_string(p.layout.pact_yaml()).expect("yaml"),
        yaml_before
    );
    let (entries, _) = p.read_audit().expect("audit");
    assert!(entries.iter().any(|a| a.action == "health_abort"));
    // `pact health` says the same.
    let r = health::report(&p, &p.config().expect("c"));
    assert_eq!(r.status, HealthStatus::Critical);

    // A human resumes: the same conditions do not pause it again.
    let o = e.run().await.expect("resume");
    assert_eq!(o, Outcome::Completed);
    let st = p.load_state().expect("s").expect("state");
    let ack: Vec<String> =
        serde_json::from_value(st.health_snapshot["_acknowledged"].clone()).expect("ack");
    assert!(
        ack.contains(&"output_planning_ratio".to_string()),
        "{ack:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_planning_ratio_critical_zero_disables_the_checks() {
    let (_t, p) = project("health_thresholds:\n  output_planning_ratio_critical: 0.0\n");
    heavy_planning(&p);
    let e = engine(&p, Arc::new(good_answers(&p)));
    assert_eq!(e.run().await.expect("run"), Outcome::Completed);
}
