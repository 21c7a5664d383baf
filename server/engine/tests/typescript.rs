//! The TypeScript example (`examples/csvstats`) end to end with scripted agents and real
//! vitest: contracts, visible and held-out vitest suites that fail against the interface stubs
//! and pass against the implementations, every component built and integrated.

use crate::support::csvstats;
use crate::support::keyed;
use crate::support::node;

use csvstats::ORDER;
use keyed::Keyed;
use pact_core::model::{ComponentContract, RedFirstRecord, RunStatus, TaskStatus, TestLanguage};
use pact_core::store::Project;
use pact_engine::build::{BuildRecord, already_built};
use pact_engine::harness::{HarnessOptions, TestJob};
use pact_engine::{Engine, Outcome, SameForAll};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// A fresh copy of the example's task, standards and settings.
fn project() -> (tempfile::TempDir, Project) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("csvstats");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/csvstats");
    for f in ["task.md", "sops.md", "pact.yaml"] {
        std::fs::copy(example.join(f), dir.join(f)).expect("copy");
    }
    (tmp, Project::open(&dir).expect("open"))
}

/// Every answer of a good run, by role and component (so parallel builds get theirs).
fn good_answers() -> Keyed {
    let k = Keyed::new();
    k.push("interviewer", "", csvstats::interview());
    k.push("decomposer", "", csvstats::decomposition());
    for cid in ORDER {
        k.push("contract_author", cid, csvstats::contract(cid));
        k.push("test_author", cid, csvstats::tests(cid));
        k.push("test_author", cid, csvstats::hidden(cid));
        k.push("code_author", cid, csvstats::code(cid));
    }
    k
}

fn read<T: serde::de::DeserializeOwned>(p: &Path) -> T {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_example_completes_under_vitest() {
    let Some(nm) = node::node_modules_or_skip("the_typescript_example_completes_under_vitest")
    else {
        return;
    };
    let (_t, p) = project();
    let k = Arc::new(good_answers());
    let mut e = Engine::new(
        p.clone(),
        p.config().expect("config"),
        SameForAll::unbudgeted(k.clone()),
        pact_engine::events::ignore(),
    );
    e.harness.node_modules = Some(nm);
    let started = std::time::Instant::now();
    let outcome = e.run().await.expect("run");
    eprintln!("scripted TypeScript run: {:?}", started.elapsed());
    let st = p.load_state().expect("state").expect("some");
    assert_eq!(outcome, Outcome::Completed, "{}", st.pause_reason);
    assert_eq!(st.status, RunStatus::Completed);
    assert_eq!(
        k.total_calls(),
        2 + 4 * ORDER.len(),
        "one answer per artifact: nothing refused, nothing redone"
    );
    for cid in ORDER {
        assert!(already_built(&e, cid).expect("done"), "{cid} is not done");
        assert_eq!(st.task(cid).map(|t| t.status), Some(TaskStatus::Completed));
        let r = p.load_test_results(cid).expect("results").expect("some");
        assert!(r.total >= 5 && r.all_passed(), "{cid}: {r:?}");
        // Red first: every visible and held-out test ran and failed against the stubs.
        let red: RedFirstRecord = read(&p.layout.integrity_dir(cid).join("red_first.json"));
        assert_eq!(red.total, r.total, "{cid}: {red:?}");
        assert!(
            red.vacuous.is_empty() && red.hidden_vacuous.is_empty(),
            "{red:?}"
        );
        // The held-out suite ran too, and passed.
        let meta: BuildRecord = read(&p.layout.build_record(cid));
        assert!(
            meta.boundary,
            "{cid}: its suites crossed the contract boundary"
        );
        let hidden = meta.hidden.expect("held-out run");
        assert!(
            hidden.total >= 5 && hidden.passed == hidden.total,
            "{cid}: {hidden:?}"
        );
        let src = p.layout.implementation_src(cid).join(format!("{cid}.ts"));
        assert!(src.is_file(), "{}", src.display());
        assert!(p.layout.contract_dir(cid).join("interface.ts").is_file());
    }
    let report = pact_core::gate::validate(&p.docs());
    assert!(report.passed(), "{:?}", report.details());
}

/// The sample's contract of `cid`, as the engine completes it.
fn sample_contract(cid: &str) -> ComponentContract {
    let mut c = csvstats::contract(cid);
    c["component_id"] = cid.into();
    serde_json::from_value(c).expect("contract")
}

/// Every suite of the sample, visible and held out, in one vitest run against `module` of each
/// component (its stub or its implementation): across the contract boundary (every contract
/// given) or in the tests' process.
async fn run_sample(
    nm: std::path::PathBuf,
    module: impl Fn(&str) -> String,
    boundary: bool,
) -> pact_engine::harness::TestRun {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut test_files = Vec::new();
    let mut src_dirs = Vec::new();
    for cid in ORDER {
        for (name, code) in [
            (format!("{cid}.test.ts"), csvstats::test_code(cid)),
            (format!("{cid}_hidden.test.ts"), csvstats::hidden_code(cid)),
        ] {
            let f = tmp.path().join("tests").join(name);
            std::fs::create_dir_all(f.parent().expect("dir")).expect("mkdir");
            std::fs::write(&f, code).expect("write");
            test_files.push(f);
        }
        let src = tmp.path().join("src").join(cid);
        std::fs::create_dir_all(&src).expect("mkdir");
        std::fs::write(src.join(format!("{cid}.ts")), module(cid)).expect("write");
        src_dirs.push(src);
    }
    let mut job = TestJob::new(TestLanguage::TypeScript, test_files, src_dirs);
    if boundary {
        job = job.with_contracts(ORDER.iter().map(|cid| sample_contract(cid)).collect());
    }
    let opts = HarnessOptions {
        node_modules: Some(nm),
        ..Default::default()
    };
    pact_engine::harness::run(&job, &opts, &CancellationToken::new())
        .await
        .expect("run")
}

#[tokio::test]
async fn every_sample_test_fails_on_the_stubs_and_passes_on_the_implementations() {
    let Some(nm) = node::node_modules_or_skip("every_sample_test_fails_on_the_stubs") else {
        return;
    };
    let stub =
        |cid: &str| pact_engine::stubs::render(&sample_contract(cid), TestLanguage::TypeScript);
    // In the tests' process, then across the boundary (eight suites in parallel test processes
    // sharing one implementation process; one component importing another).
    for boundary in [false, true] {
        let red = run_sample(nm.clone(), stub, boundary).await;
        assert_eq!(red.boundary, boundary);
        let red = red.results;
        assert!(red.total >= 50, "{red:?}");
        assert_eq!(red.passed, 0, "{red:?}");
        // Each fails because the stub does nothing, not because something does not resolve.
        for f in &red.failure_details {
            assert!(
                f.error_message.starts_with("not implemented")
                    || f.error_message
                        .starts_with("expected error to be instance of"),
                "{}: {}",
                f.test_id,
                f.error_message
            );
        }
        let started = std::time::Instant::now();
        let green = run_sample(nm.clone(), csvstats::implementation, boundary).await;
        eprintln!(
            "every sample suite, boundary: {boundary}: {:?}",
            started.elapsed()
        );
        assert_eq!(green.boundary, boundary);
        let green = green.results;
        assert_eq!(green.total, red.total, "{green:?}");
        assert!(green.all_passed(), "{green:?}");
    }
}

/// The calls a suite makes to the contract's functions, whitespace removed: `parseCsv("a,b\n")`.
fn calls(code: &str, functions: &[String]) -> HashSet<String> {
    let mut out = HashSet::new();
    for f in functions {
        for (at, _) in code.match_indices(&format!("{f}(")) {
            if code[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let mut depth = 0;
            let mut end = code.len();
            for (i, c) in code[at..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = at + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out.insert(code[at..end].split_whitespace().collect());
        }
    }
    out
}

#[test]
fn held_out_suites_are_independent_of_the_visible_ones() {
    for cid in ORDER {
        let contract = csvstats::contract(cid);
        let functions: Vec<String> = contract["functions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["name"].as_str().map(str::to_string))
            .collect();
        let visible = calls(&csvstats::test_code(cid), &functions);
        let hidden = calls(&csvstats::hidden_code(cid), &functions);
        assert!(visible.len() >= 4 && hidden.len() >= 4, "{cid}");
        let shared: Vec<_> = visible.intersection(&hidden).collect();
        assert!(shared.is_empty(), "{cid}: both suites make {shared:?}");
        let titles = |code: &str| -> HashSet<String> {
            pact_core::testcode::analyze(pact_core::model::TestLanguage::TypeScript, code)
                .tests
                .into_iter()
                .map(|t| t.name)
                .collect()
        };
        let (v, h) = (
            titles(&csvstats::test_code(cid)),
            titles(&csvstats::hidden_code(cid)),
        );
        assert!(v.is_disjoint(&h), "{cid}: shared test names");
        // Every function of the contract is exercised by both suites.
        for f in &functions {
            assert!(
                visible.iter().any(|c| c.starts_with(&format!("{f}("))),
                "{cid}.{f}"
            );
            assert!(
                hidden.iter().any(|c| c.starts_with(&format!("{f}("))),
                "{cid}.{f}"
            );
        }
    }
}
