//! The harness against real pytest and node: passing, failing, crashing, hanging code.

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
    TestJob {
        language: TestLanguage::Python,
        test_files: vec![t],
        src_dirs: vec![src],
    }
}

const TESTS: &str = "from counter import *\nimport pytest\n\ndef test_add():\n    assert add(1, 2) == 3\n\ndef test_neg():\n    with pytest.raises(ValueError):\n        add(-1, 0)\n";

#[tokio::test]
async fn pytest_pass_and_fail_are_counted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let good = "def add(a, b):\n    if a < 0:\n        raise ValueError('neg')\n    return a + b\n";
    let job = py_job(tmp.path(), good, TESTS);
    let run_ = run(&job, &HarnessOptions::default(), &CancellationToken::new())
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
    let r = run(&job, &HarnessOptions::default(), &CancellationToken::new())
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
    let r = run(&job, &HarnessOptions::default(), &CancellationToken::new())
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
        ..Default::default()
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
    let r = run(&job, &HarnessOptions::default(), &cancel).await;
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
    let r = run(&job, &HarnessOptions::default(), &CancellationToken::new())
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
        ..Default::default()
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
    let job = TestJob {
        language: TestLanguage::JavaScript,
        test_files: vec![t],
        src_dirs: vec![src],
    };
    let r = run(&job, &HarnessOptions::default(), &CancellationToken::new())
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
    let r = run(&job, &HarnessOptions::default(), &CancellationToken::new())
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
