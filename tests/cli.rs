//! The core CLI end to end: human output (snapshots), init, status, components, tree, log, design.

use crate::support;

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

/// Runs `pact ARGS` with its standard output (and standard error, if `close_stderr`) read by a
/// reader that takes `read` bytes and goes away, as `pact … | head -c N` does; returns the exit
/// status and what went to standard error.
fn closed_pipe(args: &[&str], read: usize, close_stderr: bool) -> (Option<i32>, String) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pact");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = vec![0u8; read];
    stdout.read_exact(&mut first).expect("the first bytes");
    drop(stdout);
    let mut stderr = String::new();
    if close_stderr {
        drop(child.stderr.take());
    } else if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr).expect("stderr");
    }
    let status = child.wait().expect("wait");
    (status.code(), stderr)
}

#[test]
fn a_reader_that_goes_away_ends_a_command_quietly() {
    let (_tmp, dir) = copy_project("sample");
    // An audit trail far larger than a pipe's buffer: `pact log` must meet the closed pipe.
    let mut audit = std::fs::read_to_string(dir.join(".pact/audit.jsonl")).expect("audit");
    for i in 0..5000 {
        audit.push_str(&format!(
            "{{\"timestamp\": \"2025-01-02T00:00:00\", \"action\": \"note\", \"detail\": \"line {i} of a long trail\"}}\n"
        ));
    }
    std::fs::write(dir.join(".pact/audit.jsonl"), audit).expect("write");
    let d = dir.to_str().unwrap_or(".");
    for args in [vec!["log", d], vec!["log", d, "--json"]] {
        let (code, stderr) = closed_pipe(&args, 100, false);
        assert_eq!(code, Some(0), "pact {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "pact {args:?}: {stderr}");
        assert!(stderr.is_empty(), "pact {args:?}: {stderr}");
    }
    // Output smaller than the pipe's buffer may be written before the reader goes: then the
    // command ends as usual. Either way, never a panic (101) or a signal (no code).
    let broken = fixtures().join("broken_tree_cycle");
    let b = broken.to_str().unwrap_or(".");
    for (args, usual) in [
        (vec!["validate", d, "--json"], 0),
        (vec!["validate", b, "--json"], 1),
        (vec!["validate", b], 1),
        (vec!["tree", d], 0),
        (vec!["status", d], 0),
        (vec!["--help"], 0),
    ] {
        let (code, stderr) = closed_pipe(&args, 1, false);
        assert!(
            code == Some(0) || code == Some(usual),
            "pact {args:?}: {code:?}\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "pact {args:?}: {stderr}");
    }
    // Both streams closed (`pact … 2>&1 | head`): an error nobody reads is no panic either.
    let (code, _) = closed_pipe(&["log", d], 100, true);
    assert_eq!(code, Some(0));
}

/// Values Pact would otherwise replace silently are errors with their file and line: a
/// typo'd language in pact.yaml (every command exits 2 and changes nothing), a suite's
/// test_language (a gate finding at its place); and a run with no task.md to plan from is
/// refused before anything is written.
#[test]
fn values_pact_does_not_know_are_errors_with_their_place() {
    let (_t, dir) = copy_project("sample");
    let d = dir.to_str().unwrap_or(".");
    let yaml = dir.join("pact.yaml");
    let original = std::fs::read_to_string(&yaml).unwrap_or_default();
    let others: String = original
        .lines()
        .filter(|l| !l.starts_with("language:") && !l.starts_with("build_mode:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&yaml, format!("{others}language: cobol\n")).expect("write");
    let line = others.lines().count() + 1;
    for args in [vec!["validate", d], vec!["status", d], vec!["run", d]] {
        let run = pact(&args);
        assert_eq!(run.code, 2, "{args:?}: {}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "pact.yaml:{line}: `language: cobol` is not one Pact knows"
            )),
            "{args:?}: {}",
            run.stderr
        );
    }
    std::fs::write(&yaml, format!("{others}build_mode: weird\n")).expect("write");
    assert_eq!(pact(&["validate", d]).code, 2);
    std::fs::write(&yaml, &original).expect("write");

    let suite = dir.join(".pact/contracts/formatter/tests/contract_test_suite.json");
    let text = std::fs::read_to_string(&suite).expect("suite");
    std::fs::write(
        &suite,
        text.replacen(
            "\"test_language\": \"python\"",
            "\"test_language\": \"cobol\"",
            1,
        ),
    )
    .expect("write");
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1, "{v}");
    let found = with_code(&v, "json-schema");
    assert!(
        found.iter().any(|d| d["message"]
            .as_str()
            .is_some_and(|m| m.contains("test_language 'cobol'"))
            && d["line"].as_u64().is_some()),
        "{v}"
    );

    // No task.md: nothing to plan from, nothing written.
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    std::fs::write(empty.join("pact.yaml"), "budget: 1.0\n").expect("write");
    let run = pact(&["run", empty.to_str().unwrap_or(".")]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("task.md is missing or empty"),
        "{}",
        run.stderr
    );
    assert!(!empty.join(".pact/state.json").exists());
}

/// Warnings of one kind beyond the first few are counted, not printed (`--all` prints them);
/// `--json` always lists every one.
#[test]
fn many_warnings_of_one_kind_are_summed_up() {
    let (_t, dir) = copy_project("sample");
    let d = dir.to_str().unwrap_or(".");
    let test = dir.join(".pact/contracts/formatter/tests/contract_test.py");
    let mut text = std::fs::read_to_string(&test).expect("tests");
    for i in 0..6 {
        text.push_str(&format!("\n\ndef test_toothless_{i}():\n    pass\n"));
    }
    std::fs::write(&test, text).expect("write");
    let run = pact(&["validate", d]);
    let shown = run.stdout.matches("warning[toothless-test]").count();
    assert_eq!(shown, 3, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("… 3 more toothless-test warnings (`pact validate --all` prints them)"),
        "{}",
        run.stdout
    );
    let all = pact(&["validate", d, "--all"]);
    assert_eq!(all.stdout.matches("warning[toothless-test]").count(), 6);
    let (_, v) = validate_json(&dir);
    assert_eq!(with_code(&v, "toothless-test").len(), 6);
}
