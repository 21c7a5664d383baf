//! The core CLI end to end: human output (snapshots), init, status, components, tree, log, design.

mod support;

use support::*;

/// Paths differ per machine; snapshots show them relative to the project.
fn validate_human(name: &str) -> String {
    let dir = fixtures().join(name);
    let run = pact(&["validate", dir.to_str().unwrap_or(".")]);
    format!("exit {}\n{}", run.code, run.stdout)
}

#[test]
fn validate_messages() {
    for name in [
        "sample",
        "broken_tree_cycle",
        "broken_unresolved_type",
        "broken_test_syntax",
        "broken_missing_contract",
    ] {
        insta::assert_snapshot!(format!("validate_{name}"), validate_human(name));
    }
}

#[test]
fn init_scaffolds_and_never_overwrites() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("proj");
    let d = dir.to_str().unwrap_or(".");
    let run = pact(&["init", d, "--budget", "25"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("pact.yaml"))
            .ok()
            .as_deref(),
        Some("budget: 25.0\n")
    );
    std::fs::write(dir.join("task.md"), "# Task\nMine.\n").expect("write");
    let run = pact(&["init", d]);
    assert_eq!(run.code, 0);
    assert_eq!(
        std::fs::read_to_string(dir.join("task.md")).ok().as_deref(),
        Some("# Task\nMine.\n")
    );
    assert!(run.stdout.contains("nothing written"), "{}", run.stdout);
}

#[test]
fn status_components_tree_and_log() {
    let dir = fixtures().join("sample");
    let d = dir.to_str().unwrap_or(".");
    let run = pact(&["status", d]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("phase implement, status paused"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("$0.42 of $10.00"), "{}", run.stdout);
    let run = pact(&["status", d, "counter"]);
    assert!(run.stdout.contains("fn top_n("), "{}", run.stdout);
    let run = pact(&["components", d, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let ids: Vec<&str> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, ["wordfreq", "tokenizer", "counter", "formatter"]);
    assert_eq!(v[3]["status"], "failed");
    insta::assert_snapshot!("tree_sample", pact(&["tree", d]).stdout);
    let run = pact(&["log", d, "--tail", "2"]);
    assert!(run.stdout.contains("(2 of 5 entries)"), "{}", run.stdout);
    let run = pact(&["log", d, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(5));
}

#[test]
fn design_regenerates_design_md() {
    let (_tmp, dir) = copy_project("sample");
    let run = pact(&["design", dir.to_str().unwrap_or(".")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let md = std::fs::read_to_string(dir.join("design.md")).expect("design.md");
    assert!(
        md.starts_with("# Design Document: Word Frequency Report"),
        "{md}"
    );
    assert!(
        md.contains("`formatter` (failed, 2 attempt(s)): test_tc005_unknown_format failed"),
        "{md}"
    );
}

#[test]
fn unreadable_project_is_exit_2() {
    let run = pact(&["status", "/nonexistent/pact-project"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
}
