//! The harness against real pytest and node: passing, failing, crashing, hanging code.

use crate::support;
use crate::support::node;

use pact_core::model::TestLanguage;
use pact_engine::harness::{HarnessOptions, TestJob, run};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap_or(dir)).ok();
    std::fs::write(&p, text).ok();
    p
}

fn py_job(dir: &Path, impl_code: &str, test_code: &str) -> TestJob {
    let src = dir.join("src");
    write(&src, "counter.py", impl_code);
    let t = write(dir, "tests/contract_test.py", test_code);
    TestJob::new(TestLanguage::Python, vec![t], vec![src])
}

const TESTS: &str = "from counter import *\nimport pytest\n\ndef test_add():\n    assert add(1, 2) == 3\n\ndef test_neg():\n    with pytest.raises(ValueError):\n        add(-1, 0)\n";

#[tokio::test]
async fn pytest_pass_and_fail_are_counted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let good = "def add(a, b):\n    if a < 0:\n        raise ValueError('neg')\n    return a + b\n";
    let job = py_job(tmp.path(), good, TESTS);
    let run_ = run(
        &job,
        &support::runtime::python_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    assert_eq!(
        (run_.results.total, run_.results.passed),
        (2, 2),
        "{}\n{}",
        run_.stdout,
        run_.stderr
    );
    assert!(run_.results.all_passed());

    let tmp = tempfile::tempdir().expect("tmp");
    let job = py_job(tmp.path(), "def add(a, b):\n    return a - b\n", TESTS);
    let r = run(
        &job,
        &support::runtime::python_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run")
    .results;
    assert_eq!((r.total, r.passed, r.failed), (2, 0, 2));
    assert!(
        r.failure_details
            .iter()
            .any(|f| f.test_id.ends_with("test_add") && f.error_message.contains("assert")),
        "{r:?}"
    );
}

#[tokio::test]
async fn import_errors_are_errors_not_passes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let job = py_job(tmp.path(), "def add(:\n", TESTS);
    let r = run(
        &job,
        &support::runtime::python_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run")
    .results;
    assert!(!r.all_passed());
    assert!(r.errors >= 1, "{r:?}");
}

#[tokio::test]
async fn a_hanging_implementation_is_killed_with_its_children() {
    let tmp = tempfile::tempdir().expect("tmp");
    let marker = tmp.path().join("child-alive");
    // The implementation forks a grandchild that would outlive a plain kill.
    let hang = format!(
        "import subprocess, time\nsubprocess.Popen(['sh', '-c', 'sleep 3; touch {}'])\ndef add(a, b):\n    time.sleep(60)\n",
        marker.display()
    );
    let job = py_job(tmp.path(), &hang, TESTS);
    let opts = HarnessOptions {
        timeout: Duration::from_secs(2),
        ..support::runtime::python_options()
    };
    let started = Instant::now();
    let r = run(&job, &opts, &CancellationToken::new())
        .await
        .expect("run");
    assert!(r.timed_out);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!r.results.all_passed());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!marker.exists(), "the grandchild survived the kill");
}

#[tokio::test]
async fn cancellation_stops_the_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let job = py_job(
        tmp.path(),
        "import time\ndef add(a, b):\n    time.sleep(60)\n",
        TESTS,
    );
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        c2.cancel();
    });
    let started = Instant::now();
    let r = run(&job, &support::runtime::python_options(), &cancel).await;
    assert!(r.is_err());
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn secrets_are_not_passed_to_tests() {
    let tmp = tempfile::tempdir().expect("tmp");
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("ANTHROPIC_API_KEY", "sk-test-secret") };
    let tests = "import os\nfrom counter import *\n\ndef test_no_key():\n    assert 'ANTHROPIC_API_KEY' not in os.environ\n";
    let job = py_job(tmp.path(), "def add(a, b):\n    return a + b\n", tests);
    let r = run(
        &job,
        &support::runtime::python_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run")
    .results;
    assert!(r.all_passed(), "{r:?}");
}

#[tokio::test]
async fn output_is_capped() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tests = "from counter import *\n\ndef test_loud():\n    print('x' * 1_000_000)\n    assert add(1, 1) == 2\n";
    let job = py_job(tmp.path(), "def add(a, b):\n    return a + b\n", tests);
    let opts = HarnessOptions {
        output_cap: 4096,
        ..support::runtime::python_options()
    };
    let r = run(&job, &opts, &CancellationToken::new())
        .await
        .expect("run");
    assert!(r.results.all_passed());
    assert!(r.stdout.len() < 5000, "{}", r.stdout.len());
}

#[tokio::test]
async fn node_test_runner_for_javascript() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    write(&src, "counter.js", "exports.add = (a, b) => a + b;\n");
    let t = write(
        tmp.path(),
        "tests/contract_test.test.js",
        "const test = require('node:test');\nconst assert = require('node:assert');\nconst { add } = require('counter.js');\ntest('adds', () => { assert.equal(add(1, 2), 3); });\ntest('wrong', () => { assert.equal(add(1, 2), 4); });\n",
    );
    let job = TestJob::new(TestLanguage::JavaScript, vec![t], vec![src]);
    let r = run(
        &job,
        &support::runtime::python_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run")
    .results;
    assert_eq!((r.total, r.passed, r.failed), (2, 1, 1), "{r:?}");
}

#[tokio::test]
async fn code_under_test_cannot_shadow_pytest_or_touch_the_project() {
    let tmp = tempfile::tempdir().expect("tmp");
    // A fake `pytest` package in the sources would report everything green if it were imported.
    write(
        &tmp.path().join("src"),
        "pytest/__init__.py",
        "import sys\ndef main(args):\n    sys.exit(0)\nraises = None\n",
    );
    let tests = "import os\nfrom pathlib import Path\nfrom counter import *\n\ndef test_add():\n    assert add(1, 2) == 3\n\ndef test_sandbox():\n    here = Path(__import__('counter').__file__).parent\n    (here / 'sitecustomize.py').write_text('x = 1')\n    assert os.environ['HOME'] != os.path.expanduser('~root') or True\n    assert Path(os.environ['HOME']).exists()\n";
    let job = py_job(tmp.path(), "def add(a, b):\n    return a - b\n", tests);
    let r = run(
        &job,
        &support::runtime::python_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    // The real pytest ran: the wrong `add` fails.
    assert_eq!(
        (r.results.total, r.results.failed),
        (2, 1),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    // The write went to the run's copy, not to the project's sources.
    assert!(!tmp.path().join("src/sitecustomize.py").exists());
}

// ── TypeScript under vitest ────────────────────────────────────────────────────────────────

fn ts_opts(node_modules: std::path::PathBuf) -> HarnessOptions {
    HarnessOptions {
        node_modules: Some(node_modules),
        ..Default::default()
    }
}

/// A component `counter` (its own `src/`) that imports its dependency `adder` (another `src/`).
fn ts_job(dir: &Path, counter: &str, tests: &str) -> TestJob {
    let own = dir.join("src/counter");
    let dep = dir.join("src/adder");
    write(&own, "counter.ts", counter);
    write(
        &dep,
        "adder.ts",
        "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
    );
    let t = write(dir, "locked/contract_test.test.ts", tests);
    TestJob::new(TestLanguage::TypeScript, vec![t], vec![own, dep])
}

const TS_TESTS: &str = r#"import { describe, expect, test } from "vitest";
import { total } from "counter";

test("test_tc001_sums", () => {
  expect(total([1, 2, 3])).toBe(6);
});

describe("errors", () => {
  test("test_tc002_negative", () => {
    expect(() => total([-1])).toThrow(RangeError);
  });
});
"#;

const TS_GOOD: &str = r#"import { add } from "adder";

export function total(xs: number[]): number {
  if (xs.some((x) => x < 0)) {
    throw new RangeError("negative");
  }
  return xs.reduce(add, 0);
}
"#;

#[tokio::test]
async fn vitest_runs_typescript_suites_and_counts_passes_and_failures() {
    let Some(nm) = node::node_modules_or_skip("vitest_runs_typescript_suites") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let job = ts_job(tmp.path(), TS_GOOD, TS_TESTS);
    let started = Instant::now();
    let r = run(&job, &ts_opts(nm.clone()), &CancellationToken::new())
        .await
        .expect("run");
    eprintln!("one vitest run: {:?}", started.elapsed());
    assert_eq!(
        (r.results.total, r.results.passed),
        (2, 2),
        "{:?}\n{}\n{}",
        r.results,
        r.stdout,
        r.stderr
    );
    assert!(r.results.all_passed());
    assert!(
        r.cases
            .iter()
            .any(|c| c.ends_with("::errors > test_tc002_negative")),
        "{:?}",
        r.cases
    );

    // A wrong implementation: each failing test is named, with vitest's assertion message.
    let tmp = tempfile::tempdir().expect("tmp");
    let wrong = "import { add } from \"adder\";\nexport function total(xs: number[]): number {\n  return xs.reduce(add, 1);\n}\n";
    let job = ts_job(tmp.path(), wrong, TS_TESTS);
    let r = run(&job, &ts_opts(nm.clone()), &CancellationToken::new())
        .await
        .expect("run")
        .results;
    assert_eq!((r.total, r.passed, r.failed), (2, 0, 2), "{r:?}");
    let sums = r
        .failure_details
        .iter()
        .find(|f| f.test_id.ends_with("::test_tc001_sums"))
        .expect("named failure");
    assert!(
        sums.error_message.contains("expected 7 to be 6"),
        "{sums:?}"
    );

    // The interface stub (functions that only throw): red first, every test fails.
    let tmp = tempfile::tempdir().expect("tmp");
    let stub = "export function total(xs: number[]): number {\n  throw new Error(\"not implemented\");\n}\n";
    let job = ts_job(tmp.path(), stub, TS_TESTS);
    let r = run(&job, &ts_opts(nm), &CancellationToken::new())
        .await
        .expect("run")
        .results;
    assert_eq!((r.total, r.passed), (2, 0), "{r:?}");
}

#[tokio::test]
async fn vitest_missing_imports_and_tests_that_did_not_run_are_failures() {
    let Some(nm) = node::node_modules_or_skip("vitest_missing_imports") else {
        return;
    };
    // The tests import a module no source directory provides.
    let tmp = tempfile::tempdir().expect("tmp");
    let tests = TS_TESTS.replace("from \"counter\"", "from \"no_such_component\"");
    let job = ts_job(tmp.path(), TS_GOOD, &tests);
    let r = run(&job, &ts_opts(nm.clone()), &CancellationToken::new())
        .await
        .expect("run")
        .results;
    assert!(!r.all_passed(), "{r:?}");
    assert_eq!(r.passed, 0, "{r:?}");
    assert!(
        r.failure_details
            .iter()
            .any(|f| f.error_message.contains("no_such_component")),
        "{r:?}"
    );
    // Each locked test that did not run is a failure of its own.
    for t in ["test_tc001_sums", "test_tc002_negative"] {
        assert!(
            r.failure_details.iter().any(|f| f.test_id == t),
            "{t}: {r:?}"
        );
    }

    // The implementation imports a dependency that is not there.
    let tmp = tempfile::tempdir().expect("tmp");
    let job = ts_job(
        tmp.path(),
        &TS_GOOD.replace("from \"adder\"", "from \"subtracter\""),
        TS_TESTS,
    );
    let r = run(&job, &ts_opts(nm.clone()), &CancellationToken::new())
        .await
        .expect("run")
        .results;
    assert_eq!(r.passed, 0, "{r:?}");
    assert!(r.errors >= 2, "{r:?}");

    // A skipped test does not pass, and one that never registers is missing.
    let tmp = tempfile::tempdir().expect("tmp");
    let tests = TS_TESTS
        .replace("test(\"test_tc001_sums\"", "test.skip(\"test_tc001_sums\"")
        .replace(
            "describe(\"errors\", () => {",
            "describe(\"errors\", () => {\n  if (Date.now() < 0)",
        );
    let job = ts_job(tmp.path(), TS_GOOD, &tests);
    let r = run(&job, &ts_opts(nm), &CancellationToken::new())
        .await
        .expect("run")
        .results;
    assert_eq!(r.passed, 0, "{r:?}");
    assert!(
        r.failure_details
            .iter()
            .any(|f| f.test_id == "test_tc002_negative" && f.error_message.contains("did not run")),
        "{r:?}"
    );
}

#[tokio::test]
async fn vitest_resolution_cannot_be_hijacked_by_the_sources() {
    let Some(nm) = node::node_modules_or_skip("vitest_resolution") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let job = ts_job(tmp.path(), TS_GOOD, TS_TESTS);
    // A fake `vitest` module and a config file among the sources would turn everything green if
    // either were used; a second `counter` further down the path must not shadow the first.
    let dep = tmp.path().join("src/adder");
    write(
        &dep,
        "vitest.ts",
        "export const test = () => {};\nexport const describe = () => {};\nexport const expect = () => ({ toBe() {}, toThrow() {} });\n",
    );
    write(
        &dep,
        "vitest.config.ts",
        "export default { test: { passWithNoTests: true, include: [] } };\n",
    );
    write(
        &dep,
        "counter.ts",
        "export function total(): number {\n  return 6;\n}\n",
    );
    let wrong = "export function total(xs: number[]): number {\n  return 0;\n}\n";
    write(&tmp.path().join("src/counter"), "counter.ts", wrong);
    let r = run(&job, &ts_opts(nm), &CancellationToken::new())
        .await
        .expect("run")
        .results;
    assert_eq!((r.total, r.passed), (2, 0), "{r:?}");
}

#[tokio::test]
async fn typescript_without_vitest_is_an_error_not_a_result() {
    let tmp = tempfile::tempdir().expect("tmp");
    let job = ts_job(tmp.path(), TS_GOOD, TS_TESTS);
    let none = run(
        &job,
        &support::runtime::python_options(),
        &CancellationToken::new(),
    )
    .await;
    assert!(none.is_err(), "{:?}", none.map(|r| r.results));
    let missing = run(
        &job,
        &ts_opts(tmp.path().join("no_node_modules")),
        &CancellationToken::new(),
    )
    .await;
    assert!(missing.is_err(), "{:?}", missing.map(|r| r.results));
}
