//! Project fixtures shared by the engine's end-to-end tests.
#![allow(dead_code)]

use super::keyed::Keyed;
use super::script;
use pact_core::store::Project;
use pact_engine::events::{self, Event};
use pact_engine::{Engine, Outcome, SameForAll};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
pub fn sample() -> PathBuf {
    repo().join("tests/fixtures/reference/sample")
}

/// A fresh copy of the example project.
pub fn project(yaml_extra: &str) -> (tempfile::TempDir, Project) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("wordfreq");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for f in ["task.md", "sops.md"] {
        std::fs::copy(repo().join("examples/wordfreq").join(f), dir.join(f)).expect("copy");
    }
    std::fs::write(
        dir.join("pact.yaml"),
        format!("budget: 5.0\nlanguage: python\n{yaml_extra}"),
    )
    .expect("yaml");
    let p = Project::open(&dir).expect("open");
    (tmp, p)
}

/// Every answer of a good run, keyed by role and component.
pub fn good_answers() -> Keyed {
    let k = Keyed::new();
    let s = sample();
    k.push("interviewer", "", script::interview());
    k.push("decomposer", "", script::decomposition(&s));
    for cid in script::ORDER {
        k.push("contract_author", cid, script::contract(&s, cid));
        k.push("test_author", cid, script::tests(&s, cid));
        k.push("test_author", cid, script::hidden(cid));
        k.push("code_author", cid, script::code(&s, cid));
    }
    k
}

pub fn engine(p: &Project, k: Arc<Keyed>) -> (Engine, Arc<std::sync::Mutex<Vec<Event>>>) {
    let (sink, store) = events::collect();
    let budget = k.budget.clone();
    let e = Engine::new(
        p.clone(),
        p.config().expect("config"),
        Arc::new(SameForAll { backend: k, budget }),
        sink,
    );
    (e, store)
}

pub fn all_passed(p: &Project) -> bool {
    script::ORDER.iter().all(|c| {
        p.load_test_results(c)
            .ok()
            .flatten()
            .is_some_and(|r| r.all_passed())
    })
}

pub fn audit_actions(p: &Project) -> Vec<(String, String)> {
    p.read_audit()
        .map(|(e, _)| e.into_iter().map(|e| (e.action, e.detail)).collect())
        .unwrap_or_default()
}

pub fn wrong_counter() -> Value {
    script::files(&[(
        "counter.py",
        "from collections import Counter\nfrom dataclasses import dataclass\n\n@dataclass(frozen=True)\nclass Token:\n    text: str\n    position: int\n\n@dataclass(frozen=True)\nclass WordCount:\n    word: str\n    count: int\n\ndef count_tokens(tokens):\n    return {}\n\ndef top_n(counts, n):\n    return []\n",
    )])
}

/// A project already planned (contracts, tests, locks), ready to build.
pub async fn planned(yaml: &str) -> (tempfile::TempDir, Project) {
    let (t, p) = project(&format!("plan_only: true\n{yaml}"));
    let (e, _) = engine(&p, Arc::new(good_answers()));
    let o = e.run().await.expect("plan");
    assert!(matches!(o, Outcome::Paused { .. }), "{o:?}");
    (t, p)
}
