//! A project is the same project wherever it lives: the prompts (and so the keys a recording is
//! looked up by) carry nothing of its directory — not its name, its path or the machine — so a
//! recorded session replays from a copy, a clone or `pact run .`.

use crate::support::fixture;
use crate::support::keyed;
use crate::support::setup;

use pact_core::store::Project;
use pact_engine::Outcome;
use std::path::Path;
use std::sync::Arc;

/// The example's inputs (task, standards, pact.yaml) in `dir`, whatever its name. Tests pass at
/// once (the runner is not what is under test), so red-first is off.
fn example_at(dir: &Path) -> Project {
    let example = fixture::repo().join("examples/wordfreq");
    std::fs::create_dir_all(dir).expect("mkdir");
    for f in ["task.md", "sops.md"] {
        std::fs::copy(example.join(f), dir.join(f)).expect("copy");
    }
    let yaml = std::fs::read_to_string(example.join("pact.yaml")).expect("pact.yaml");
    std::fs::write(dir.join("pact.yaml"), format!("{yaml}red_first: false\n")).expect("yaml");
    Project::open(dir).expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_the_same_for_two_copies_under_different_names() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut runs = Vec::new();
    for dir in [
        tmp.path().join("wordfreq"),
        tmp.path().join("elsewhere").join("a copy of it"),
    ] {
        let p = example_at(&dir);
        let k = Arc::new(setup::good_answers());
        let mut e = fixture::engine_with(&p, k.clone(), None);
        // One component at a time, so both runs ask in the same order.
        e.config.project.parallel_components = Some(false);
        e.runner = Arc::new(fixture::InstantPass);
        assert_eq!(e.run().await.expect("run"), Outcome::Completed);
        let code_author = k.calls_for("code_author", "counter");
        assert_eq!(code_author.len(), 1);
        let prompt = code_author[0].messages[0].content.clone();
        let calls = k.calls.lock().expect("calls");
        let mut keys: Vec<String> = calls.iter().map(|r| r.key()).collect();
        keys.sort();
        runs.push((code_author[0].key(), prompt, keys));
    }
    let (a, b) = (&runs[0], &runs[1]);
    assert_eq!(
        a.1, b.1,
        "the code author's prompt differs between the copies"
    );
    assert_eq!(a.0, b.0);
    assert_eq!(a.2, b.2, "some request differs between the copies");
    assert!(!a.2.is_empty());
    let key = pact_engine::engine::log_key(
        Project::open(&tmp.path().join("wordfreq"))
            .expect("open")
            .load_tree()
            .expect("tree")
            .as_ref(),
        "counter",
    );
    assert!(a.1.contains(&key), "no `{key}` in the prompt:\n{}", a.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorded_example_replays_under_another_directory_name() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = example_at(&tmp.path().join("not-the-example"));
    let recording = fixture::repo().join("examples/wordfreq/session.jsonl");
    let replay = Arc::new(pact_agents::ReplayBackend::open(&recording).expect("recording"));
    let mut e = fixture::engine_with(&p, replay, None);
    e.runner = Arc::new(fixture::InstantPass);
    let outcome = e
        .run()
        .await
        .expect("every request of the run is in the recording");
    assert_eq!(outcome, Outcome::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_built_project_copied_elsewhere_is_still_up_to_date() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = example_at(&tmp.path().join("wordfreq"));
    let mut e = fixture::engine_with(&p, Arc::new(setup::good_answers()), None);
    e.runner = Arc::new(fixture::InstantPass);
    assert_eq!(e.run().await.expect("run"), Outcome::Completed);
    let copy = tmp.path().join("elsewhere").join("copied");
    fixture::copy_dir(p.root(), &copy);
    let e = fixture::engine_with(
        &Project::open(&copy).expect("open"),
        Arc::new(keyed::Keyed::new()),
        None,
    );
    for cid in fixture::ORDER {
        assert!(
            pact_engine::build::already_built(&e, cid).expect("check"),
            "{cid} would be rebuilt in the copy"
        );
    }
}
