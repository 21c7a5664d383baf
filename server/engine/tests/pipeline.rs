//! The pipeline end to end with scripted agents and real pytest: every phase, bad answers at
//! each step, parallel and competitive builds, resume after a kill, and budget exhaustion.

use crate::support::keyed;
use crate::support::script;
use crate::support::setup;

use keyed::Keyed;
use pact_core::model::{RunStatus, TaskStatus};
use pact_engine::build::{BuildMode, build_component};
use pact_engine::events::{self, Event};
use pact_engine::job::PauseReason;
use pact_engine::{Engine, Outcome, SameForAll};
use serde_json::json;
use setup::*;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_parallel_run_completes_with_real_pytest() {
    let (_t, p) = project("parallel_components: true\nmax_concurrent_agents: 4\n");
    let k = Arc::new(good_answers());
    let (e, events) = engine(&p, k.clone());
    let outcome = e.run().await.expect("run");
    assert_eq!(outcome, Outcome::Completed);
    assert!(all_passed(&p));
    assert_eq!(k.total_calls(), 18, "one call per artifact, nothing redone");
    let st = p.load_state().expect("state").expect("some");
    assert_eq!(st.status, RunStatus::Completed);
    assert!(
        st.component_tasks
            .iter()
            .all(|t| t.status == TaskStatus::Completed),
        "{:?}",
        st.component_tasks
    );
    // Tests are locked, implementations carry their log key, design.md is written.
    assert!(
        p.layout
            .pact_dir()
            .join("locks/counter/lock.json")
            .is_file()
    );
    let code = std::fs::read_to_string(p.layout.implementation_src("counter").join("counter.py"))
        .expect("code");
    assert!(code.contains("PACT_LOG_KEY = \"PACT:"), "{code}");
    assert!(
        std::fs::read_to_string(p.layout.design_md())
            .expect("design")
            .contains("Word Counter")
    );
    let ev = events.lock().expect("events").clone();
    let phases: Vec<String> = ev
        .iter()
        .filter_map(|e| match e {
            Event::PhaseStarted { phase } => Some(phase.to_string()),
            _ => None,
        })
        .collect();
    for want in [
        "interview",
        "shape",
        "decompose",
        "validate",
        "implement",
        "integrate",
    ] {
        assert!(
            phases.iter().any(|p| p == want),
            "{want} missing from {phases:?}"
        );
    }
    assert!(ev.iter().any(|e| matches!(e, Event::TestsRan { component, passed: 6, total: 6 } if component == "counter")));
    // Code agents only ever saw contracts of their dependencies, never other implementations.
    for req in k.calls_for("code_author", "wordfreq") {
        let text: String = req.messages.iter().map(|m| m.content.clone()).collect();
        assert!(
            !text.contains("def count_tokens(tokens):"),
            "the parent saw a child's implementation"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_failing_the_gate_is_revised_with_the_findings() {
    let (_t, p) = project("plan_only: true\n");
    let k = good_answers();
    let mut bad = script::contract(&sample(), "counter");
    bad["functions"][0]["inputs"][0]["type_ref"] = json!("list[Tokn]");
    // First a contract that fails the gate, then the good one.
    k.before("contract_author", "counter", bad);
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    let outcome = e.run().await.expect("run");
    assert!(
        matches!(
            &outcome,
            Outcome::Paused {
                reason: PauseReason::PlanOnly
            }
        ),
        "{outcome:?}"
    );
    let asks = k.calls_for("contract_author", "counter");
    assert_eq!(asks.len(), 2);
    let second: String = asks[1].messages.iter().map(|m| m.content.clone()).collect();
    assert!(
        second.contains("type_ref 'list[Tokn]' not defined in component 'counter'"),
        "{second}"
    );
    assert!(pact_core::gate::validate(&p.docs()).passed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_that_never_passes_pauses_with_a_clear_reason() {
    let (_t, p) = project("max_plan_revisions: 1\n");
    let k = Keyed::new();
    k.push("interviewer", "", script::interview());
    k.push("decomposer", "", script::decomposition(&sample()));
    let mut bad = script::contract(&sample(), "tokenizer");
    bad["functions"] =
        json!([{"name": "tokenize", "description": "", "inputs": [], "output_type": "Tokens"}]);
    k.push("contract_author", "tokenizer", bad);
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    let outcome = e.run().await.expect("run");
    let Outcome::Paused { reason } = outcome else {
        panic!("expected a pause, got {outcome:?}")
    };
    assert!(
        reason
            .to_string()
            .contains("Contract for 'tokenizer' still fails the gate after 1 revision(s)"),
        "{reason}"
    );
    assert!(
        reason
            .to_string()
            .contains("output_type 'Tokens' not defined"),
        "{reason}"
    );
    assert_eq!(k.calls_for("contract_author", "tokenizer").len(), 2);
    assert_eq!(
        p.load_state().expect("state").map(|s| s.status),
        Some(RunStatus::Paused)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_code_that_does_not_parse_or_cannot_fail_is_regenerated() {
    let (_t, p) = project("plan_only: true\n");
    let k = good_answers();
    let mut broken = script::tests(&sample(), "formatter");
    broken["generated_code"] =
        json!("from formatter import *\n\ndef test_tc001_x(:\n    assert 1\n");
    let mut toothless = script::tests(&sample(), "formatter");
    toothless["generated_code"] =
        json!("from formatter import *\n\ndef test_tc001_x():\n    format_report([], 'text')\n");
    k.before("test_author", "formatter", toothless);
    k.before("test_author", "formatter", broken);
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    e.run().await.expect("run");
    let asks: Vec<_> = k
        .calls_for("test_author", "formatter")
        .into_iter()
        .filter(|r| r.schema_name == "ContractTestSuite")
        .collect();
    assert_eq!(asks.len(), 3, "syntax error, then toothless, then good");
    let texts: Vec<String> = asks
        .iter()
        .map(|r| r.messages.iter().map(|m| m.content.clone()).collect())
        .collect();
    assert!(texts[1].contains("syntax error"), "{}", texts[1]);
    assert!(texts[2].contains("has no assertion"), "{}", texts[2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_implementation_is_retried_with_its_failures() {
    let (_t, p) = planned("").await;
    let k = Keyed::new();
    k.push("code_author", "counter", wrong_counter());
    k.push("code_author", "counter", script::code(&sample(), "counter"));
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    let ok = build_component(&e, "counter", BuildMode::from_config(&e.config))
        .await
        .expect("build");
    assert!(ok);
    let asks = k.calls_for("code_author", "counter");
    assert_eq!(asks.len(), 2);
    let second: String = asks[1].messages.iter().map(|m| m.content.clone()).collect();
    assert!(
        second.contains("Your previous implementation passed 1/6 tests"),
        "{second}"
    );
    assert_eq!(
        p.load_state()
            .expect("s")
            .and_then(|s| s.task("counter").map(|t| t.attempts)),
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_implementation_that_touches_tests_or_the_harness_is_rejected() {
    let (_t, p) = planned("").await;
    let good = script::code(&sample(), "counter");
    let good_code = good["files"][0]["content"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let k = Keyed::new();
    k.push(
        "code_author",
        "counter",
        script::files(&[
            ("counter.py", &good_code),
            (
                "../tests/contract_test.py",
                "def test_x():\n    assert True\n",
            ),
        ]),
    );
    k.push(
        "code_author",
        "counter",
        script::files(&[
            ("counter.py", &good_code),
            ("conftest.py", "import pytest\n"),
        ]),
    );
    k.push(
        "code_author",
        "counter",
        script::files(&[
            ("counter.py", &good_code),
            ("test_counter.py", "def test_ok():\n    assert True\n"),
        ]),
    );
    k.push("code_author", "counter", good);
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    let mode = BuildMode {
        max_attempts: 4,
        ..BuildMode::from_config(&e.config)
    };
    assert!(build_component(&e, "counter", mode).await.expect("build"));
    let rejected: Vec<String> = audit_actions(&p)
        .into_iter()
        .filter(|(a, _)| a == "implementation_rejected")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert!(rejected[0].contains("reaches outside the component's src/"));
    assert!(rejected[1].contains("conftest.py"));
    assert!(rejected[2].contains("is a test file"));
    // The locked tests were never touched.
    assert!(pact_engine::lock::verified_tests(&p, "counter").is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competitive_mode_keeps_every_attempt_and_promotes_the_best() {
    let (_t, p) = planned("").await;
    let k = Keyed::new();
    k.push("code_author", "counter", wrong_counter());
    k.push("code_author", "counter", script::code(&sample(), "counter"));
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    let mode = BuildMode {
        agents: 2,
        max_attempts: 1,
        parallel: false,
        max_concurrent: 4,
        force: false,
    };
    assert!(build_component(&e, "counter", mode).await.expect("build"));
    let attempts: Vec<_> = std::fs::read_dir(p.layout.attempts_dir("counter"))
        .expect("attempts")
        .flatten()
        .collect();
    assert_eq!(attempts.len(), 2);
    for a in &attempts {
        assert!(a.path().join("src/counter.py").is_file());
        assert!(a.path().join("test_results.json").is_file());
    }
    assert!(
        audit_actions(&p)
            .iter()
            .any(|(a, d)| a == "competitive_resolution" && d.contains("won with 6/6"))
    );
    assert_eq!(
        p.load_test_results("counter").expect("r").map(|r| r.passed),
        Some(6)
    );
}

/// Red-first and held-out runs are tested on their own; here they would only add pytest runs.
const FAST: &str = "red_first: false\nheld_out_tests: false\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_at_any_point_resumes_without_redoing_finished_work() {
    // Kill (cancel) after the k-th event, then resume with a fresh engine, as a new process would.
    let reference_events = {
        let (_t, p) = project(FAST);
        let (e, ev) = engine(&p, Arc::new(good_answers()));
        assert_eq!(e.run().await.expect("run"), Outcome::Completed);

        ev.lock().expect("ev").len()
    };
    // Six kill points spread over the whole run: every phase gets one.
    for k_at in (1..reference_events).step_by((reference_events / 6).max(1)) {
        let (_t, p) = project(FAST);
        let k = Arc::new(good_answers());
        let (sink, _) = events::collect();
        let mut e = Engine::new(
            p.clone(),
            p.config().expect("c"),
            SameForAll::unbudgeted(k.clone()),
            sink,
        );
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let cancel = e.cancel.clone();
        let c2 = count.clone();
        e.events = Arc::new(move |_: &Event| {
            if c2.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == k_at {
                cancel.cancel();
            }
        });
        let first = e.run().await;
        if let Err(err) = &first {
            assert!(err.is_cancelled(), "kill at {k_at}: {err}");
        }
        let (e2, _) = engine(&p, k.clone());
        let outcome = e2.run().await.expect("resume");
        assert_eq!(outcome, Outcome::Completed, "kill at event {k_at}");
        assert!(all_passed(&p), "kill at event {k_at}");
        // At most the one call in flight at the kill is asked again.
        assert!(
            k.total_calls() <= 15,
            "kill at event {k_at}: {} calls",
            k.total_calls()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_out_of_budget_mid_run_stops_with_budget_exceeded() {
    let (_t, p) = project("");
    let mut k = good_answers();
    k.cost_per_call = 0.5;
    k.budget = Some(Arc::new(pact_agents::BudgetTracker::for_project(
        p.root(),
        2.2,
    )));
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    let outcome = e.run().await.expect("run");
    assert_eq!(outcome, Outcome::BudgetExceeded);
    let st = p.load_state().expect("s").expect("state");
    assert_eq!(st.status, RunStatus::BudgetExceeded);
    assert!(st.total_cost_usd <= 2.2 + 1e-9, "{}", st.total_cost_usd);
    assert_eq!(k.total_calls(), 4);
    // A budget-exceeded run does not go on by itself.
    assert_eq!(e.step().await.expect("step"), Outcome::BudgetExceeded);
    assert!(
        audit_actions(&p)
            .iter()
            .any(|(a, _)| a == "budget_exceeded")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interview_questions_pause_until_approved() {
    let (_t, p) = project("plan_only: true\n");
    let mut iv = script::interview();
    iv["questions"] = json!(["Should numbers count as words?"]);
    iv["assumptions"] = json!(["No"]);
    let k = Keyed::new();
    k.push("interviewer", "", iv);
    let (e, _) = engine(&p, Arc::new(k));
    let o = e.run().await.expect("run");
    assert!(
        matches!(
            &o,
            Outcome::Paused {
                reason: PauseReason::Interview
            }
        ),
        "{o:?}"
    );
    let mut i = p.load_interview().expect("i").expect("some");
    pact_engine::phases::approve(&mut i);
    assert_eq!(
        i.user_answers
            .get("Should numbers count as words?")
            .map(String::as_str),
        Some("No")
    );
    p.save_interview(&i).expect("save");
    let (e, _) = engine(&p, Arc::new(good_answers()));
    let o = e.run().await.expect("run");
    assert!(
        matches!(
            &o,
            Outcome::Paused {
                reason: PauseReason::PlanOnly
            }
        ),
        "{o:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_decomposition_is_a_clear_error() {
    let (_t, p) = project("");
    let k = Keyed::new();
    k.push("interviewer", "", script::interview());
    k.push("decomposer", "", json!({"root_id": "a", "components": [{"component_id": "../etc", "name": "x", "description": "", "children": []}, {"component_id": "b", "name": "b", "description": "", "children": []}], "decisions": []}));
    let (e, _) = engine(&p, Arc::new(k));
    let err = e
        .run()
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("unusable component id") && err.contains("../etc"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shaping_writes_a_pitch_that_feeds_decomposition() {
    let (_t, p) =
        project("shaping: true\nplan_only: true\nred_first: false\nheld_out_tests: false\n");
    let k = good_answers();
    k.push("shaper", "", json!({"problem": "Reports of word frequency", "appetite": "small", "breadboard": "text → tokens → counts → report",
        "rabbit_holes": [{"description": "Unicode segmentation", "mitigation": "ASCII word pattern"}], "no_gos": ["stemming"]}));
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    e.run().await.expect("run");
    let pitch = std::fs::read_to_string(p.layout.decomposition_dir().join("pitch.json"))
        .expect("pitch.json");
    assert!(pitch.contains("\"status\": \"shaped\""), "{pitch}");
    let decompose: String = k.calls_for("decomposer", "")[0]
        .messages
        .iter()
        .map(|m| m.content.clone())
        .collect();
    assert!(
        decompose.contains("# Shaping pitch") && decompose.contains("stemming"),
        "{decompose}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unary_build_mode_needs_no_decomposer() {
    let (_t, p) =
        project("build_mode: unary\nplan_only: true\nred_first: false\nheld_out_tests: false\n");
    let k = Keyed::new();
    k.push("interviewer", "", script::interview());
    k.push(
        "contract_author",
        "root",
        script::contract(&sample(), "wordfreq"),
    );
    k.push("test_author", "root", script::tests(&sample(), "wordfreq"));
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    let o = e.run().await.expect("run");
    assert!(
        matches!(
            &o,
            Outcome::Paused {
                reason: PauseReason::PlanOnly
            }
        ),
        "{o:?}"
    );
    assert!(k.calls_for("decomposer", "").is_empty());
    let tree = p.load_tree().expect("tree").expect("some");
    assert_eq!(tree.nodes.keys().collect::<Vec<_>>(), vec!["root"]);
    assert_eq!(tree.nodes["root"].name, "Main");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_is_diagnosed_then_retried_or_handed_to_a_human() {
    // An implementation bug: diagnosed, recorded as a learning, and the next cycle fixes it.
    let (_t, p) =
        project("max_implementation_attempts: 1\nred_first: false\nheld_out_tests: false\n");
    let k = good_answers();
    k.before("code_author", "counter", wrong_counter());
    k.push("trace_analyst", "counter", json!({"root_cause": "implementation_bug", "explanation": "count_tokens ignores its input", "suggested_fix": "count the token texts"}));
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    assert_eq!(e.run().await.expect("run"), Outcome::Completed);
    assert!(all_passed(&p));
    let diag = k.calls_for("trace_analyst", "counter");
    assert_eq!(diag.len(), 1);
    // The analyst saw the calls at the boundary, with inputs and outputs.
    let text: String = diag[0].messages.iter().map(|m| m.content.clone()).collect();
    assert!(
        text.contains("# I/O traces at component boundaries"),
        "{text}"
    );
    assert!(
        text.contains("counter.count_tokens(tokens=[Token(text='a', position=0)"),
        "{text}"
    );
    let traces: Vec<pact_core::model::IoTrace> = serde_json::from_str(
        &std::fs::read_to_string(p.layout.implementation_dir("counter").join("traces.json"))
            .expect("traces"),
    )
    .expect("json");
    assert!(
        traces
            .iter()
            .any(|t| t.component_id == "counter" && t.function == "top_n" && t.output == "[]"),
        "{traces:?}"
    );
    let learnings = std::fs::read_to_string(p.layout.learnings()).expect("learnings");
    assert!(
        learnings.contains("count_tokens ignores its input"),
        "{learnings}"
    );
    // The retry was told what earlier agents learned.
    let last: String = k
        .calls_for("code_author", "counter")
        .last()
        .map(|r| r.messages.iter().map(|m| m.content.clone()).collect())
        .unwrap_or_default();
    assert!(
        last.contains("On failure_mode: count_tokens ignores its input"),
        "{last}"
    );
    assert_eq!(p.load_state().expect("s").map(|s| s.phase_cycles), Some(1));

    // A contract bug is not something another attempt can fix: the run pauses for a human.
    let (_t2, p2) =
        project("max_implementation_attempts: 1\nred_first: false\nheld_out_tests: false\n");
    let k3 = good_answers();
    k3.replace("code_author", "counter", vec![wrong_counter()]);
    k3.push("trace_analyst", "counter", json!({"root_cause": "contract_bug", "explanation": "the contract never says how ties rank"}));
    let (e, _) = engine(&p2, Arc::new(k3));
    let o = e.run().await.expect("run");
    assert!(
        matches!(&o, Outcome::Paused { reason } if reason.to_string().contains("counter: contract_bug")),
        "{o:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_context_reaches_the_agents() {
    let (_t, p) = project("plan_only: true\nred_first: false\nheld_out_tests: false\n");
    std::fs::create_dir_all(p.layout.pact_dir()).expect("mkdir");
    std::fs::write(
        pact_engine::directive::context_path(&p),
        "Prefer a regex tokenizer.\n",
    )
    .expect("write");
    let k = Arc::new(good_answers());
    let (e, _) = engine(&p, k.clone());
    e.run().await.expect("run");
    for (role, cid) in [
        ("interviewer", ""),
        ("decomposer", ""),
        ("contract_author", "tokenizer"),
    ] {
        let text: String = k.calls_for(role, cid)[0]
            .messages
            .iter()
            .map(|m| m.content.clone())
            .collect();
        assert!(
            text.contains("Context from the operator:\nPrefer a regex tokenizer."),
            "{role}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_between_test_steps_resumes_at_the_missing_step() {
    let (_t, p) = project("plan_only: true\n");
    // The held-out suite for `formatter` fails (a bad answer): the run stops after its visible
    // suite was written, locked and checked red-first.
    let k1 = good_answers();
    k1.replace(
        "test_author",
        "formatter",
        vec![
            script::tests(&sample(), "formatter"),
            json!({"nonsense": true}),
        ],
    );
    let (e, _) = engine(&p, Arc::new(k1));
    assert!(e.run().await.is_err());
    assert!(p.load_suite("formatter").expect("suite").is_some());
    // Resume: only the missing held-out suite is asked for; nothing else is redone.
    let k2 = Arc::new(good_answers());
    let (e, _) = engine(&p, k2.clone());
    let o = e.run().await.expect("resume");
    assert!(
        matches!(
            &o,
            Outcome::Paused {
                reason: PauseReason::PlanOnly
            }
        ),
        "{o:?}"
    );
    let asked: Vec<String> = k2
        .calls
        .lock()
        .map(|c| {
            c.iter()
                .map(|r| {
                    format!(
                        "{}:{}:{}",
                        r.role,
                        r.component.clone().unwrap_or_default(),
                        r.schema_name
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        asked,
        vec![
            "test_author:formatter:HeldOutTestSuite",
            "test_author:wordfreq:ContractTestSuite",
            "test_author:wordfreq:HeldOutTestSuite"
        ],
        "{asked:?}"
    );
    assert!(
        pact_engine::lock::verified_hidden(&p, "formatter")
            .expect("hidden")
            .len()
            == 1
    );
}
