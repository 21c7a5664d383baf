//! Editor-driven runs with the terminal in the loop, end to end: the real `pact lsp` over stdio
//! drives the pipeline on the offline example (replayed model answers, real pytest) while the
//! `pact` CLI acts on the same project — build a component, mutation-test it from a terminal
//! (`pact mutate`: its score joins the code lens, surviving mutants show), break it and run its
//! tests; a second job refused both ways (the editor's while a terminal holds the project,
//! `pact run` while the editor's job does). The protocol-only runs are the language server's
//! own tests (`server/lsp/tests/runs.rs`), which share this harness.

#[path = "../server/lsp/tests/support/editor_runs.rs"]
mod editor_runs;
use crate::support;
use crate::support::lsp_client;

use editor_runs::*;
use lsp_client::*;
use serde_json::{Value, json};
use std::path::Path;

/// `pact lsp --stdio`, as some clients start it.
fn start() -> Runs {
    Runs::start(Path::new(env!("CARGO_BIN_EXE_pact")), &["lsp", "--stdio"])
}

#[test]
fn build_a_component_then_run_its_tests_after_breaking_it() {
    let mut r = start();
    let values = r.run_job("pact.decompose", json!({"project": r.project()}));
    assert!(end_message(&values).contains("Decomposed"), "{values:?}");

    // The actions on a contract.
    let contract = r.path(".pact/contracts/tokenizer/interface.json");
    r.client.open(&contract, "json");
    let titles = r.action_titles(&contract, 1, 5);
    for t in [
        "Pact: Build component",
        "Pact: Build competitively (3)",
        "Pact: Rebuild from contract",
        "Pact: Regenerate tests from contract",
        "Pact: Validate project",
    ] {
        assert!(titles.iter().any(|x| x == t), "{t} missing: {titles:?}");
    }

    // …and on a component id in the tree, for that component.
    let tree = r.path(".pact/decomposition/tree.json");
    let text = std::fs::read_to_string(&tree).expect("tree");
    r.client.open(&tree, "json");
    let at = text.find("\"counter\"").expect("counter in the tree") + 2;
    let (line, character) = position(&text, at);
    let actions = r.client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&tree)},
               "range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}},
               "context": {"diagnostics": []}}),
    );
    let build = actions
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["title"] == "Pact: Build competitively (3)")
        .cloned()
        .unwrap_or_else(|| panic!("{actions}"));
    // In the ordinary code-action menu (no kind), not only under "Source Action…".
    assert!(build.get("kind").is_none_or(Value::is_null), "{build}");
    assert_eq!(build["command"]["command"], "pact.build");
    assert_eq!(
        build["command"]["arguments"][0],
        json!({"project": r.project(), "component": "counter", "competitive": true, "agents": 3})
    );

    // Build it: attempt k/N and the test counts in the progress, results on disk.
    let refreshes = |c: &LspClient| {
        c.server_requests
            .iter()
            .filter(|q| q["method"] == "workspace/codeLens/refresh")
            .count()
    };
    let before = refreshes(&r.client);
    let values = r.run_job(
        "pact.build",
        json!({"project": r.project(), "component": "tokenizer"}),
    );
    let reports = report_messages(&values);
    assert!(
        reports.iter().any(|m| m.contains("tokenizer · attempt 1/")),
        "{reports:#?}"
    );
    assert!(
        reports.iter().any(|m| m.contains("tests 7/7 passed")),
        "{reports:#?}"
    );
    let end = end_message(&values);
    assert!(
        end.contains("tokenizer passes 7/7 contract tests, held-out 3/3"),
        "{end}\n{}",
        r.client.stderr_text()
    );
    let results: Value = serde_json::from_str(
        &std::fs::read_to_string(r.path(".pact/implementations/tokenizer/test_results.json"))
            .expect("test_results.json"),
    )
    .expect("json");
    assert_eq!(
        (results["passed"].as_u64(), results["total"].as_u64()),
        (Some(7), Some(7))
    );
    // The lens shows the counts (the job's end refreshed them), and the mutation score the
    // build's mutation gate measured (6 of tokenizer's 7 mutants killed).
    assert!(
        r.client.wait_until(WAIT, |c| refreshes(c) > before),
        "no codeLens refresh"
    );
    let (titles, _) = r.lens_titles(&contract);
    assert_eq!(
        titles[1],
        "Run tests · 7 tests · 7 passed · 0 failed · held-out 3/3 · mutation 86%"
    );

    // Mutation testing from a terminal: its score joins the lens, surviving mutants show on
    // the implementation.
    let run = support::pact(&["mutate", &r.project(), "tokenizer", "--max", "6"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let record = r.path(".pact/integrity/tokenizer/mutation.json");
    r.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&record), "type": 1}]}),
    );
    let src = r.path(".pact/implementations/tokenizer/src/tokenizer.py");
    let survivors = r.client.wait_diagnostics(&uri(&src), WAIT, |p| {
        p.diagnostics
            .iter()
            .any(|d| d["code"] == "surviving-mutant")
    });
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("record")).expect("json");
    let had_survivors = m["survivors"].as_array().is_some_and(|s| !s.is_empty());
    if had_survivors {
        assert!(survivors.is_some(), "no surviving-mutant diagnostics");
    }
    let (titles, _) = r.lens_titles(&contract);
    let pct = (m["score"].as_f64().unwrap_or(0.0) * 100.0).round();
    assert!(
        titles[1].starts_with(&format!(
            "Run tests · 7 tests · 7 passed · 0 failed · held-out 3/3 · mutation {pct}%"
        )),
        "{titles:?}"
    );

    // Break the implementation; run the tests (from the implementation file's uri).
    let good = std::fs::read_to_string(&src).expect("src");
    let broken = good.replace(
        "m.group(0).lower() if lowercase else m.group(0)",
        "m.group(0).upper()",
    );
    assert_ne!(good, broken);
    std::fs::write(&src, &broken).expect("write");
    let values = r.run_job("pact.runTests", json!({"uri": uri(&src)}));
    assert_eq!(values[0]["title"], "Pact: Run tests of tokenizer");
    let end = end_message(&values);
    assert!(end.contains("failing: test_tc001"), "{end}");
    let tests = r.path(".pact/contracts/tokenizer/tests/contract_test.py");
    let tu = uri(&tests);
    let p = r
        .client
        .wait_diagnostics(&tu, WAIT, |p| {
            p.diagnostics.iter().any(|d| d["code"] == "test-failed")
        })
        .unwrap_or_else(|| panic!("no test-failed diagnostics\n{}", r.client.stderr_text()));
    let text = std::fs::read_to_string(&tests).expect("tests");
    let d = p
        .diagnostics
        .iter()
        .find(|d| {
            d["code"] == "test-failed"
                && d["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("test_tc001_tokenize_lowercases_and_splits")
        })
        .unwrap_or_else(|| panic!("{:?}", p.diagnostics));
    assert_eq!(d["severity"], 1);
    let at = text
        .find("test_tc001_tokenize_lowercases_and_splits")
        .expect("test name");
    let (line, col) = position(&text, at);
    assert_eq!(d["range"]["start"], json!({"line": line, "character": col}));
    assert!(
        d["message"].as_str().unwrap_or("").lines().count() > 1,
        "the failure's first lines: {d}"
    );
    // The surviving mutants were about the old sources: gone.
    if had_survivors {
        let gone = r.client.wait_diagnostics(&uri(&src), WAIT, |p| {
            !p.diagnostics
                .iter()
                .any(|d| d["code"] == "surviving-mutant")
        });
        assert!(gone.is_some(), "surviving-mutant diagnostics stayed");
    }
    // The lens shows the failures; the mutation score no longer applies to these sources.
    let (titles, _) = r.lens_titles(&contract);
    assert!(
        titles[1].starts_with("Run tests · 7 tests · "),
        "{titles:?}"
    );
    assert!(titles[1].contains("failed"), "{titles:?}");
    assert!(!titles[1].contains("mutation"), "{titles:?}");
    assert!(!titles[1].contains("held-out"), "{titles:?}");
    r.wait_message(2, "failing: test_tc001");

    // Fixed again: the next passing run clears them.
    std::fs::write(&src, &good).expect("write");
    let values = r.run_job(
        "pact.runTests",
        json!({"project": r.project(), "component": "tokenizer"}),
    );
    assert!(
        end_message(&values).contains("7/7 contract tests, held-out 3/3 pass"),
        "{values:?}"
    );
    let cleared = r.client.wait_diagnostics(&tu, WAIT, |p| {
        !p.diagnostics.iter().any(|d| d["code"] == "test-failed")
    });
    assert!(cleared.is_some(), "test-failed diagnostics stayed");

    // Built from the current tests: "Build" leaves it; "Rebuild from contract" builds it again.
    let values = r.run_job(
        "pact.build",
        json!({"project": r.project(), "component": "tokenizer"}),
    );
    assert!(
        end_message(&values).contains("tokenizer is up to date"),
        "{values:?}"
    );
    let values = r.run_job(
        "pact.rebuild",
        json!({"project": r.project(), "component": "tokenizer"}),
    );
    assert!(
        report_messages(&values)
            .iter()
            .any(|m| m.contains("attempt 1/")),
        "{values:?}"
    );
    assert!(
        end_message(&values).contains("tokenizer passes 7/7 contract tests"),
        "{values:?}"
    );
    let _ = r.client.shutdown_and_exit();
}

#[test]
fn a_second_job_is_refused_naming_who_holds_the_project() {
    let mut r = start();
    // A job from a terminal holds the project.
    let project = pact_core::store::Project::open(&r.root).expect("open");
    let held = pact_engine::joblock::acquire(&project, "pact run (terminal)").expect("lock");
    let g = r.exec("pact.decompose", json!({"project": r.project()}));
    assert_eq!(g["started"], false, "{g}");
    let pid = std::process::id().to_string();
    let refused = r.wait_message(
        1,
        "another job is running on this project: pact run (terminal)",
    );
    assert!(refused.contains(&pid), "{refused}");
    assert!(
        !r.path(".pact/state.json").exists(),
        "the refused job changed something"
    );
    drop(held);

    // From the editor, while the terminal waits.
    let token = r.start_job("pact.decompose", json!({"project": r.project()}));
    let g = r.exec("pact.runPipeline", json!({"project": r.project()}));
    assert_eq!(g["started"], false, "{g}");
    r.wait_message(1, "Pact: Decompose is already running");
    let run = support::pact(&["run", &r.project()]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("another job is running on this project: pact lsp: decompose"),
        "{}",
        run.stderr
    );
    // "Stop run" is offered while it runs, and stops it.
    let task = r.path("task.md");
    r.client.open(&task, "markdown");
    let titles = r.action_titles(&task, 0, 0);
    assert!(titles.iter().any(|t| t == "Pact: Stop run"), "{titles:?}");
    let s = r.exec("pact.stop", json!({"project": r.project()}));
    assert_eq!(s["stopped"], true, "{s}");
    let values = r.wait_end(&token);
    assert!(end_message(&values).contains("Cancelled"), "{values:?}");
    // Nothing corrupted: every document that exists is whole, and the run resumes later.
    let (_, v) = support::validate_json(&r.root);
    assert!(
        v["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|d| d["code"] != "json-syntax"),
        "{v}"
    );
    let s = r.exec("pact.stop", json!({"project": r.project()}));
    assert_eq!(s["stopped"], false, "{s}");
    let _ = r.client.shutdown_and_exit();
}
