//! Mutation testing with teeth: a score only from a baseline that passes (no score otherwise,
//! never 0 or 100%), kills only by tests that passed on the unmutated code, timeouts that count
//! only when the suite runs well under the limit — and the mutation gate in the build: a weak
//! suite goes back to the test author with its surviving mutants, and a suite still weak after
//! its revisions keeps the component from being done.

use crate::support::keyed;
use crate::support::script;
use crate::support::setup;

use keyed::Keyed;
use pact_core::gate::Code;
use pact_core::model::{TaskStatus, TestResults};
use pact_core::store::Project;
use pact_engine::build::{BuildRecord, already_built};
use pact_engine::harness::{HarnessError, HarnessOptions, TestJob, TestRun, TestRunner};
use pact_engine::integrity;
use pact_engine::{Engine, Outcome};
use serde_json::{Value, json};
use setup::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Counter tests that are law (they fail against the stub and both dummies) but weak: they
/// kill few mutants of the sample's counter.
fn weak_counter_suite() -> Value {
    json!({
        "test_cases": [
            {"id": "TC001", "description": "one token counts once", "function": "count_tokens", "category": "happy_path"},
            {"id": "TC002", "description": "n below one is rejected", "function": "top_n", "category": "error_case"}
        ],
        "generated_code": "from counter import *\nimport pytest\n\n\ndef test_tc001_counts_one_token():\n    \"\"\"TC001: one token counts once\"\"\"\n    assert count_tokens([Token(text=\"a\", position=0)]) == {\"a\": 1}\n\n\ndef test_tc002_rejects_zero():\n    \"\"\"TC002: n below one is rejected\"\"\"\n    with pytest.raises(ValueError):\n        top_n({\"a\": 1}, 0)\n"
    })
}

fn counter_code() -> String {
    script::code(&sample(), "counter")["files"][0]["content"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn meta(p: &Project, cid: &str) -> BuildRecord {
    serde_json::from_str(
        &std::fs::read_to_string(p.layout.build_record(cid)).expect("metadata.json"),
    )
    .expect("json")
}

fn codes(p: &Project) -> Vec<Code> {
    pact_core::gate::validate(&p.docs())
        .findings
        .iter()
        .filter(|f| f.component.as_deref() == Some("counter"))
        .map(|f| f.code)
        .collect()
}

fn text_of(req: &pact_agents::LlmRequest) -> String {
    req.messages.iter().map(|m| m.content.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weak_suite_goes_back_to_the_test_author_and_a_strong_one_replaces_it() {
    let (_t, p) = project("");
    let k = good_answers();
    let strong = script::tests(&sample(), "counter");
    k.replace(
        "test_author",
        "counter",
        vec![
            weak_counter_suite(),
            script::hidden("counter"),
            strong.clone(),
        ],
    );
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    assert_eq!(e.run().await.expect("run"), Outcome::Completed);
    let asks = k.calls_for("test_author", "counter");
    assert_eq!(asks.len(), 3, "visible, held out, one revision");
    let revision = text_of(&asks[2]);
    assert!(
        revision.contains("The current tests are too weak"),
        "{revision}"
    );
    assert!(
        revision.contains("in `top_n` (comparison): `if n < 1:` becomes `if n <= 1:`"),
        "{revision}"
    );
    assert!(
        revision.contains("def test_tc002_rejects_zero"),
        "the current tests are shown: {revision}"
    );
    // The strong suite is law now; the code met it as it was (no second code request).
    let locked = std::fs::read_to_string(p.layout.lock_dir("counter").join("contract_test.py"))
        .expect("lock");
    assert_eq!(locked, strong["generated_code"].as_str().unwrap_or(""));
    assert_eq!(k.calls_for("code_author", "counter").len(), 1);
    let v = meta(&p, "counter").mutation.expect("verdict");
    assert_eq!(v.revisions, 1);
    assert!(v.finding.is_empty(), "{v:?}");
    assert!(v.score.is_some_and(|s| s >= 0.6), "{v:?}");
    let gate: Vec<String> = audit_actions(&p)
        .into_iter()
        .filter(|(a, d)| a == "mutation_gate" && d.starts_with("counter"))
        .map(|(_, d)| d)
        .collect();
    assert_eq!(gate.len(), 2, "{gate:#?}");
    assert!(
        gate[0].contains("is below the threshold 60%: surviving mutants at counter.py:")
            && gate[0].ends_with("back to the test author (revision 1 of 2)"),
        "{gate:#?}"
    );
    assert!(gate[1].starts_with("counter: passed — "), "{gate:#?}");
    assert!(already_built(&e, "counter").expect("check"));
    let (cert, refused) = integrity::certify(&p).expect("certify");
    assert!(refused.is_empty(), "{refused:?}");
    assert!(
        cert.components["counter"]
            .mutation_score
            .is_some_and(|s| s >= 0.6)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suite_still_weak_after_its_revisions_is_not_done_and_certify_refuses_it() {
    let (_t, p) = project("max_plan_revisions: 1\n");
    let k = good_answers();
    k.replace(
        "test_author",
        "counter",
        vec![weak_counter_suite(), script::hidden("counter")],
    );
    // Asked to strengthen them, the test author answers with the same weak tests.
    k.push("test_author", "counter", weak_counter_suite());
    let k = Arc::new(k);
    let (e, _) = engine(&p, k.clone());
    let outcome = e.run().await.expect("run");
    let Outcome::Paused { reason } = outcome else {
        panic!("not paused: {outcome:?}");
    };
    // 2 of the 7 mutants killed: the count and the negated condition; `n < 1` → `n <= 1` on
    // line 23 (after the log key) is the first survivor.
    assert!(
        reason.to_string().contains("counter: its tests are too weak — mutation score 29% is below the threshold 60%: surviving mutants at counter.py:23 (`<` → `<=` in top_n)"),
        "{reason}"
    );
    assert_eq!(k.calls_for("test_author", "counter").len(), 3);
    assert_eq!(
        k.calls_for(pact_engine::roles::TRACE_ANALYST, "counter")
            .len(),
        0,
        "passing tests need no diagnosis"
    );
    // Not done anywhere: the build record, the run's state, the certificate.
    assert!(!already_built(&e, "counter").expect("check"));
    let v = meta(&p, "counter").mutation.expect("verdict");
    assert_eq!(v.revisions, 1);
    assert!(v.score.is_some_and(|s| s < 0.6), "{v:?}");
    let st = p.load_state().expect("state").expect("some");
    let task = st.task("counter").expect("task");
    assert_eq!(task.status, TaskStatus::Failed);
    assert!(
        task.last_error.starts_with("mutation score "),
        "{}",
        task.last_error
    );
    let (cert, refused) = integrity::certify(&p).expect("certify");
    assert!(!cert.components.contains_key("counter"));
    let why = refused
        .iter()
        .find(|(c, _)| c == "counter")
        .map(|(_, w)| w.clone())
        .unwrap_or_default();
    assert!(
        why.starts_with("mutation score ") && why.contains("below the threshold 60%"),
        "{refused:?}"
    );
    assert!(codes(&p).contains(&Code::WeakSuite));
    // A human lowers the threshold: the run resumes, counter is done as it is (no agent asked
    // about it again) and the rest is built.
    let yaml = std::fs::read_to_string(p.layout.pact_yaml()).expect("yaml");
    std::fs::write(
        p.layout.pact_yaml(),
        format!("{yaml}mutation_threshold: 0.2\n"),
    )
    .expect("yaml");
    let k2 = Arc::new(good_answers());
    let (e2, _) = engine(&p, k2.clone());
    assert_eq!(e2.run().await.expect("resume"), Outcome::Completed);
    assert!(already_built(&e2, "counter").expect("check"));
    assert!(k2.calls_for("test_author", "counter").is_empty());
    assert!(k2.calls_for("code_author", "counter").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_score_when_nothing_can_be_measured() {
    let (_t, p) = planned("").await;
    let (e, _) = engine(&p, Arc::new(Keyed::new()));
    let file = p.layout.implementation_src("counter").join("counter.py");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");

    // Code that fails its tests: there is no baseline, so no mutant says anything.
    let wrong = wrong_counter()["files"][0]["content"]
        .as_str()
        .unwrap_or("")
        .to_string();
    std::fs::write(&file, &wrong).expect("write");
    let rec = integrity::mutate(&e, "counter", 40, 0.6)
        .await
        .expect("mutate");
    assert!(rec.total > 0);
    assert_eq!((rec.score, rec.killed), (None, 0), "{rec:?}");
    assert!(
        rec.no_score
            .as_deref()
            .is_some_and(|w| w.starts_with("the tests do not all pass on the unmutated code (")),
        "{rec:?}"
    );
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(p.layout.integrity_dir("counter").join("mutation.json"))
            .expect("record"),
    )
    .expect("json");
    assert_eq!(saved["score"], Value::Null);
    let c = codes(&p);
    assert!(
        c.contains(&Code::UnmeasuredSuite) && !c.contains(&Code::WeakSuite),
        "{c:?}"
    );

    // A source that raises at import used to score 100% (every mutant "killed").
    std::fs::write(
        &file,
        format!("raise RuntimeError('broken at import')\n{}", counter_code()),
    )
    .expect("write");
    let rec = integrity::mutate(&e, "counter", 40, 0.6)
        .await
        .expect("mutate");
    assert!(rec.total > 0);
    assert_eq!((rec.score, rec.killed), (None, 0), "{rec:?}");
    assert!(
        rec.summary()
            .starts_with("no score (the tests do not all pass")
    );

    // Nothing to mutate: no score, and nothing for the gate to say.
    std::fs::write(&file, "from collections import Counter\n").expect("write");
    let rec = integrity::mutate(&e, "counter", 40, 0.6)
        .await
        .expect("mutate");
    assert_eq!((rec.total, rec.score), (0, None), "{rec:?}");
    assert!(
        rec.no_score
            .as_deref()
            .is_some_and(|w| w.starts_with("no mutants"))
    );
    let c = codes(&p);
    assert!(
        !c.contains(&Code::UnmeasuredSuite) && !c.contains(&Code::WeakSuite),
        "{c:?}"
    );

    // The honest code against its own tests: a score, from the baseline's passing tests.
    std::fs::write(&file, counter_code()).expect("write");
    let rec = integrity::mutate(&e, "counter", 40, 0.6)
        .await
        .expect("mutate");
    assert!(rec.score.is_some_and(|s| s >= 0.6), "{rec:?}");
    assert_eq!(
        rec.killed + rec.survivors.len() as u64 + rec.undecided,
        rec.total
    );
    assert!(
        rec.baseline_ms > 0 && rec.mutant_timeout_ms >= 20_000,
        "{rec:?}"
    );
}

/// A runner scripted per call: the first call is the baseline, the rest are mutants.
struct Scripted {
    calls: AtomicUsize,
    answer: Box<dyn Fn(usize) -> Result<TestRun, HarnessError> + Send + Sync>,
}

#[async_trait::async_trait]
impl TestRunner for Scripted {
    async fn run(
        &self,
        _job: &TestJob,
        _o: &HarnessOptions,
        _c: &CancellationToken,
    ) -> Result<TestRun, HarnessError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        (self.answer)(n)
    }
    fn needs_runtime(&self) -> bool {
        false
    }
}

fn run_of(passed: bool, timed_out: bool, took: Duration) -> TestRun {
    let cases = vec![
        "contract_test.py::test_a".to_string(),
        "contract_test.py::test_b".to_string(),
    ];
    let mut results = TestResults {
        total: 2,
        passed: 2,
        ..Default::default()
    };
    if !passed || timed_out {
        results.passed = 1;
        results.failed = 1;
        results.failure_details.push(pact_core::model::TestFailure {
            test_id: if timed_out {
                "<timeout>".into()
            } else {
                "contract_test.py::test_b".into()
            },
            ..Default::default()
        });
    }
    TestRun {
        results,
        cases,
        stdout: String::new(),
        stderr: String::new(),
        timed_out,
        reported: true,
        duration: took,
        isolation: pact_engine::sandbox::Isolation::Sandboxed,
        boundary: true,
    }
}

async fn mutate_with(
    p: &Project,
    answer: impl Fn(usize) -> Result<TestRun, HarnessError> + Send + Sync + 'static,
) -> pact_core::model::MutationRecord {
    let (mut e, _): (Engine, _) = engine(p, Arc::new(Keyed::new()));
    e.runner = Arc::new(Scripted {
        calls: AtomicUsize::new(0),
        answer: Box::new(answer),
    });
    integrity::mutate(&e, "counter", 40, 0.6)
        .await
        .expect("mutate")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runners_that_fail_or_time_out_do_not_kill_mutants() {
    let (_t, p) = planned("").await;
    let file = p.layout.implementation_src("counter").join("counter.py");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
    std::fs::write(&file, counter_code()).expect("write");
    let quick = Duration::from_millis(300);

    // No test runner: it used to be "every mutant killed".
    let rec = mutate_with(&p, |_| {
        Err(HarnessError::Runner("pytest is not installed".into()))
    })
    .await;
    assert_eq!((rec.score, rec.killed), (None, 0), "{rec:?}");
    assert!(
        rec.no_score
            .as_deref()
            .is_some_and(|w| w.contains("could not run on the unmutated code")),
        "{rec:?}"
    );

    // A suite that takes 50 s on the unmutated code: a mutant timing out after 120 s proves
    // nothing (it used to count as killed).
    let rec = mutate_with(&p, move |n| {
        Ok(if n == 0 {
            run_of(true, false, Duration::from_secs(50))
        } else {
            run_of(false, true, Duration::from_secs(120))
        })
    })
    .await;
    assert_eq!(rec.score, None, "{rec:?}");
    assert_eq!(rec.undecided, rec.total);
    assert!(
        rec.no_score
            .as_deref()
            .is_some_and(|w| w.contains("could be decided") && w.contains("timed out")),
        "{rec:?}"
    );

    // A fast suite: a mutant that times out does so because of the mutation — killed.
    let rec = mutate_with(&p, move |n| Ok(run_of(n == 0, n > 0, quick))).await;
    assert_eq!(rec.score, Some(1.0), "{rec:?}");
    assert_eq!(rec.mutant_timeout_ms, 20_000);

    // Every test passing on every mutant: all survive, a score of 0 — measured, and weak.
    let rec = mutate_with(&p, move |_| Ok(run_of(true, false, quick))).await;
    assert_eq!(rec.score, Some(0.0), "{rec:?}");
    assert!(rec.is_weak());

    // A mutant's run without a report (the runner crashed) is undecided, not killed.
    let rec = mutate_with(&p, move |n| {
        let mut r = run_of(n == 0, false, quick);
        r.reported = n == 0 || n % 2 == 0;
        Ok(r)
    })
    .await;
    assert!(
        rec.undecided > 0 && rec.killed + rec.undecided == rec.total,
        "{rec:?}"
    );
    assert_eq!(rec.score, Some(1.0), "{rec:?}");

    // A baseline that does not pass fully: no score, whatever the mutants do.
    let rec = mutate_with(&p, move |_| Ok(run_of(false, false, quick))).await;
    assert_eq!(rec.score, None, "{rec:?}");
    assert!(
        rec.no_score
            .as_deref()
            .is_some_and(|w| w.contains("(1/2 passed; first: contract_test.py::test_b")),
        "{rec:?}"
    );
}
