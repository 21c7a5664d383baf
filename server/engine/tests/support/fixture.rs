//! Projects for the health, daemon and Sentinel tests: the wordfreq example planned from the
//! reference sample (no agents, no test runs) or run by scripted agents, and a test runner that
//! passes everything instantly where real pytest would only cost time.
#![allow(dead_code)]

use pact_core::model::{Phase, RunState, TaskStatus, TestResults};
use pact_core::store::Project;
use pact_engine::harness::{HarnessError, HarnessOptions, TestJob, TestRun, TestRunner};
use pact_engine::{Engine, SameForAll};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const ORDER: [&str; 4] = ["tokenizer", "counter", "formatter", "wordfreq"];

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
pub fn sample() -> PathBuf {
    repo().join("tests/fixtures/reference/sample")
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir").flatten() {
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

/// A fresh copy of the example's task.
pub fn project(yaml_extra: &str) -> (tempfile::TempDir, Project) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("wordfreq");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for f in ["task.md", "sops.md"] {
        std::fs::copy(repo().join("examples/wordfreq").join(f), dir.join(f)).expect("copy");
    }
    std::fs::write(
        dir.join("pact.yaml"),
        format!("budget: 50.0\nlanguage: python\n{yaml_extra}"),
    )
    .expect("yaml");
    (tmp, Project::open(&dir).expect("open"))
}

/// The example fully built from the reference sample: tree, contracts, locked tests and the
/// sample's implementations, every component completed. No agent or test run involved.
pub fn built(yaml_extra: &str) -> (tempfile::TempDir, Project) {
    let (tmp, p) = project(yaml_extra);
    let pact = p.root().join(".pact");
    for sub in ["decomposition", "contracts", "implementations"] {
        copy_dir(&sample().join(".pact").join(sub), &pact.join(sub));
    }
    let p = Project::open(p.root()).expect("reopen");
    let mut st = RunState::new("built0000001", "wordfreq");
    st.phase = Phase::Complete;
    st.status = pact_core::model::RunStatus::Completed;
    for cid in ORDER {
        let f = p.layout.tests_dir(cid).join("contract_test.py");
        pact_engine::lock::lock_tests(&p, cid, 1, &[f]).expect("lock");
        let t = st.task_mut(cid);
        t.status = TaskStatus::Completed;
        t.attempts = 1;
    }
    p.save_state(&st).expect("state");
    (tmp, p)
}

/// The component's log key, as generated code carries it.
pub fn key(p: &Project, cid: &str) -> String {
    pact_engine::engine::log_key(p.load_tree().expect("tree").as_ref(), cid)
}

pub fn engine_with<B: pact_agents::Backend + 'static>(
    p: &Project,
    backend: Arc<B>,
    budget: Option<Arc<pact_agents::BudgetTracker>>,
) -> Engine {
    Engine::new(
        p.clone(),
        p.config().expect("config"),
        Arc::new(SameForAll { backend, budget }),
        pact_engine::events::ignore(),
    )
}

/// Every test passes at once (for tests about what happens around test runs).
pub struct InstantPass;

#[async_trait::async_trait]
impl TestRunner for InstantPass {
    async fn run(
        &self,
        _job: &TestJob,
        _o: &HarnessOptions,
        _c: &CancellationToken,
    ) -> Result<TestRun, HarnessError> {
        Ok(TestRun {
            results: TestResults {
                total: 3,
                passed: 3,
                ..Default::default()
            },
            cases: Vec::new(),
            stdout: String::new(),
            stderr: String::new(),
            timed_out: false,
            reported: true,
            duration: Duration::ZERO,
            isolation: pact_engine::sandbox::Isolation::Sandboxed,
            boundary: true,
        })
    }

    fn needs_runtime(&self) -> bool {
        false
    }
}

pub fn audit_actions(p: &Project) -> Vec<(String, String)> {
    p.read_audit()
        .map(|(e, _)| e.into_iter().map(|e| (e.action, e.detail)).collect())
        .unwrap_or_default()
}
