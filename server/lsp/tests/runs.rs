//! Editor-driven runs over the protocol: the real server (`pact-lsp`) over stdio drives the
//! pipeline on the offline example (replayed model answers, real pytest) through
//! `workspace/executeCommand` — decompose from task.md, cancel a run midway and resume it —
//! watching the work-done progress, the messages and the diagnostics an editor would show.
//! The runs that also drive the CLI from a terminal (`pact mutate`, `pact run` refused while
//! the editor's job holds the project) are end-to-end tests of both, in `tests/lsp_runs.rs`.

#[path = "support/editor_runs.rs"]
mod editor_runs;
#[path = "../../../tests/support/lsp_client.rs"]
mod lsp_client;
mod support;

use editor_runs::*;
use lsp_client::*;
use serde_json::{Value, json};
use std::time::Duration;

/// `--stdio` as some clients pass it.
fn start() -> Runs {
    Runs::start(&support::server(), &["--stdio"])
}

#[test]
fn decompose_from_task_md_reports_progress_and_leaves_a_valid_plan() {
    let mut r = start();
    // The actions on task.md.
    let task = r.path("task.md");
    r.client.open(&task, "markdown");
    let titles = r.action_titles(&task, 0, 0);
    for t in [
        "Pact: Decompose",
        "Pact: Run pipeline",
        "Pact: Validate project",
        "Pact: Show status",
    ] {
        assert!(titles.iter().any(|x| x == t), "{t} missing: {titles:?}");
    }
    assert!(!titles.iter().any(|x| x == "Pact: Stop run"), "{titles:?}");

    // pact.decompose, from the uri of task.md.
    let token = r.start_job("pact.decompose", json!({"uri": uri(&task)}));
    let values = r.wait_end(&token);
    // The server created the token before using it.
    assert!(
        r.client
            .server_requests
            .iter()
            .any(|q| q["method"] == "window/workDoneProgress/create"
                && q["params"]["token"] == token.as_str()),
        "no window/workDoneProgress/create"
    );
    assert_eq!(values[0]["kind"], "begin", "{values:?}");
    assert_eq!(values[0]["title"], "Pact: Decompose");
    assert_eq!(values[0]["cancellable"], true);
    assert_eq!(values.last().map(|v| v["kind"].clone()), Some(json!("end")));
    let reports = report_messages(&values);
    // The phases in order: interview, then decompose (contracts, tests), then validate.
    let first = |needle: &str| {
        reports
            .iter()
            .position(|m| m.starts_with(needle))
            .unwrap_or_else(|| panic!("no report of {needle}: {reports:#?}"))
    };
    let (i, d, c, t, v) = (
        first("interview"),
        first("decompose"),
        first("contract"),
        first("test"),
        first("validate"),
    );
    assert!(i < d && d < c && c < t && t < v, "{reports:#?}");
    assert!(
        reports.iter().any(|m| m.contains("contract · counter")),
        "{reports:#?}"
    );
    // Percentages only rise.
    let pcts: Vec<u64> = values
        .iter()
        .filter_map(|v| v["percentage"].as_u64())
        .collect();
    assert!(pcts.windows(2).all(|w| w[0] <= w[1]), "{pcts:?}");
    let end = end_message(&values);
    assert!(
        end.contains("Decomposed into 4 components"),
        "{end}\n{}",
        r.client.stderr_text()
    );
    r.wait_message(3, "Decomposed into 4 components");
    // Contracts and locked tests on disk; the run paused at the plan.
    for c in COMPONENTS {
        assert!(
            r.path(&format!(".pact/contracts/{c}/interface.json"))
                .is_file()
        );
        assert!(
            r.path(&format!(".pact/contracts/{c}/tests/contract_test.py"))
                .is_file()
        );
    }
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(r.path(".pact/state.json")).expect("state.json"),
    )
    .expect("json");
    assert_eq!(state["status"], "paused");
    // The gate's diagnostics: no error anywhere (the plan passed validation).
    r.client.drain(Duration::from_millis(300));
    for (u, pubs) in &r.client.diagnostics {
        if let Some(last) = pubs.last() {
            let errors: Vec<&Value> = last
                .diagnostics
                .iter()
                .filter(|d| d["severity"] == 1)
                .collect();
            assert!(errors.is_empty(), "{u}: {errors:?}");
        }
    }
    let v = r.exec("pact.validate", json!({"project": r.project()}));
    assert_eq!(v["passed"], true, "{v}");
    r.wait_message(3, "validation passed");
    // A code lens on a new contract: its tests, not run yet, click to run them.
    let contract = r.path(".pact/contracts/tokenizer/interface.json");
    r.client.open(&contract, "json");
    let (titles, lenses) = r.lens_titles(&contract);
    assert_eq!(
        titles[..3],
        ["Build", "Run tests · 7 tests · not run yet", "Rebuild"],
        "{lenses}"
    );
    let commands: Vec<&str> = (0..3)
        .filter_map(|i| lenses[i]["command"]["command"].as_str())
        .collect();
    assert_eq!(commands, ["pact.build", "pact.runTests", "pact.rebuild"]);
    assert_eq!(
        lenses[0]["command"]["arguments"][0]["component"],
        "tokenizer"
    );
    // Status.
    let s = r.exec("pact.status", json!({"project": r.project()}));
    assert_eq!(s["phase"], "decompose", "{s}");
    assert_eq!(s["status"], "paused", "{s}");
    assert_eq!(s["components"].as_array().map(Vec::len), Some(4), "{s}");

    // Regenerating tests without `confirmed`: the server asks; the user says Cancel.
    let tests = r.path(".pact/contracts/counter/tests/contract_test.py");
    let before = std::fs::read_to_string(&tests).expect("tests");
    r.client.answers.insert(
        "window/showMessageRequest".into(),
        json!({"title": "Cancel"}),
    );
    let g = r.exec(
        "pact.regenerateTests",
        json!({"project": r.project(), "component": "counter"}),
    );
    assert_eq!(g["started"], false, "{g}");
    let asked = r
        .client
        .server_requests
        .iter()
        .find(|q| q["method"] == "window/showMessageRequest")
        .cloned()
        .unwrap_or_default();
    assert!(
        asked["params"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Tests are law"),
        "{asked}"
    );
    let buttons: Vec<&str> = asked["params"]["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert_eq!(buttons, ["Regenerate", "Cancel"]);
    assert_eq!(
        std::fs::read_to_string(&tests).expect("tests"),
        before,
        "tests changed"
    );
    assert!(r.path(".pact/locks/counter").is_dir(), "the lock went away");
    let _ = r.client.shutdown_and_exit();
}

#[test]
fn cancel_a_run_midway_then_resume_it_to_completion() {
    let mut r = start();
    let values = r.run_job("pact.decompose", json!({"project": r.project()}));
    assert!(end_message(&values).contains("Decomposed"), "{values:?}");

    let token = r.start_job("pact.runPipeline", json!({"project": r.project()}));
    let t = token.clone();
    let implementing = r.client.wait_until(JOB, |c| {
        c.notifications.iter().any(|(_, n)| {
            n["method"] == "$/progress"
                && n["params"]["token"] == t.as_str()
                && n["params"]["value"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("implement"))
        })
    });
    assert!(
        implementing,
        "no implement report\n{}",
        r.client.stderr_text()
    );
    r.client
        .notify("window/workDoneProgress/cancel", json!({"token": token}));
    let values = r.wait_end(&token);
    let end = end_message(&values);
    assert!(
        end.contains("Cancelled")
            && end.contains("consistent")
            && end.contains("Next: Pact: Run pipeline."),
        "{end}"
    );
    r.wait_message(3, "Cancelled");
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(r.path(".pact/state.json")).expect("state.json"),
    )
    .expect("json");
    assert_ne!(state["status"], "completed", "the run was not stopped");
    assert_eq!(state["phase"], "implement");
    // The lock is free again, the project valid (the gate `pact validate` runs, on the disk).
    let project = pact_core::store::Project::open(&r.root).expect("open");
    drop(pact_engine::joblock::acquire(&project, "the test").expect("the run lock is free"));
    let report = pact_core::gate::validate(&project.docs());
    assert!(report.passed(), "{:?}", report.details());

    // A run that answers when it ends (`wait`), cancelled with `$/cancelRequest`.
    let id = r.client.send_request(
        "workspace/executeCommand",
        json!({"command": "pact.runPipeline", "arguments": [{"project": r.project(), "wait": true}]}),
    );
    let begun = r.client.wait_until(JOB, |c| {
        c.notifications
            .iter()
            .filter(|(_, n)| n["method"] == "$/progress" && n["params"]["value"]["kind"] == "begin")
            .count()
            == 3
    });
    assert!(begun, "the waiting run did not start");
    r.client.notify("$/cancelRequest", json!({"id": id}));
    let answer = r.client.response(id, JOB);
    assert_eq!(answer["error"]["code"], -32800, "{answer}");
    let token = r
        .client
        .notifications
        .iter()
        .rev()
        .find(|(_, n)| n["method"] == "$/progress" && n["params"]["value"]["kind"] == "begin")
        .and_then(|(_, n)| n["params"]["token"].as_str().map(str::to_string))
        .unwrap_or_default();
    let values = r.wait_end(&token);
    assert!(end_message(&values).contains("Cancelled"), "{values:?}");

    // Resume: the pipeline finishes.
    let values = r.run_job("pact.runPipeline", json!({"project": r.project()}));
    let end = end_message(&values);
    assert!(
        end.contains("Run complete"),
        "{end}\n{}",
        r.client.stderr_text()
    );
    for c in COMPONENTS {
        let res: Value = serde_json::from_str(
            &std::fs::read_to_string(
                r.path(&format!(".pact/implementations/{c}/test_results.json")),
            )
            .expect("results"),
        )
        .expect("json");
        assert!(
            res["total"].as_u64().unwrap_or(0) > 0 && res["failed"] == 0 && res["errors"] == 0,
            "{c}: {res}"
        );
    }
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(r.path(".pact/state.json")).expect("state.json"),
    )
    .expect("json");
    assert_eq!(state["status"], "completed");
    // Decompose on a finished run does not start over (nor implement anything).
    let values = r.run_job("pact.decompose", json!({"project": r.project()}));
    assert!(
        end_message(&values).contains("Already decomposed"),
        "{values:?}"
    );
    let _ = r.client.shutdown_and_exit();
}
