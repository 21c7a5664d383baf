//! Editor-driven runs end to end: the real `pact lsp` over stdio drives the pipeline on the
//! offline example (replayed model answers, real pytest) through `workspace/executeCommand` —
//! decompose from task.md, build a component, run its tests, cancel a run midway and resume
//! it, a second job refused while one runs — watching the work-done progress, the messages and
//! the diagnostics an editor would show.

#[path = "support/lsp_client.rs"]
mod lsp_client;
mod support;

use lsp_client::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A decomposition runs pytest (red-first) for every component: allow for a slow machine.
const JOB: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(15);

/// The offline example, fresh: no `.pact/`, no design.md.
fn example() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("wordfreq");
    support::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wordfreq"),
        &dir,
    );
    let _ = std::fs::remove_dir_all(dir.join(".pact"));
    let _ = std::fs::remove_file(dir.join("design.md"));
    (tmp, dir)
}

struct Runs {
    client: LspClient,
    root: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Runs {
    fn start() -> Self {
        let (tmp, root) = example();
        // `--stdio` as some clients pass it.
        let mut client =
            LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_pact")), &["lsp", "--stdio"]);
        let caps = json!({
            "window": {"workDoneProgress": true},
            "workspace": {"codeLens": {"refreshSupport": true}},
            "textDocument": {"publishDiagnostics": {"versionSupport": true}}
        });
        let init = client.initialize(
            tmp.path(),
            caps,
            json!({"debounceMs": 10, "pact": {"backend": null, "model": null, "budget": null, "trace": "off"}}),
        );
        let advertised: Vec<&str> = init["capabilities"]["executeCommandProvider"]["commands"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            advertised,
            [
                "pact.decompose",
                "pact.runPipeline",
                "pact.build",
                "pact.rebuild",
                "pact.regenerateTests",
                "pact.runTests",
                "pact.validate",
                "pact.status",
                "pact.stop"
            ]
        );
        assert!(
            client.wait_notification("pact/checked", WAIT).is_some(),
            "{}",
            client.stderr_text()
        );
        Self {
            client,
            root,
            _tmp: tmp,
        }
    }

    fn project(&self) -> String {
        self.root.to_string_lossy().into_owned()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn exec(&mut self, command: &str, args: Value) -> Value {
        self.client.request(
            "workspace/executeCommand",
            json!({"command": command, "arguments": [args]}),
        )
    }

    /// Starts a job; returns its progress token.
    fn start_job(&mut self, command: &str, args: Value) -> String {
        let r = self.exec(command, args);
        assert_eq!(r["started"], true, "{command}: {r}");
        r["token"].as_str().expect("token").to_string()
    }

    /// The `$/progress` values of one token, in order.
    fn progress(&self, token: &str) -> Vec<Value> {
        self.client
            .notifications
            .iter()
            .map(|(_, n)| n)
            .filter(|n| n["method"] == "$/progress" && n["params"]["token"] == token)
            .map(|n| n["params"]["value"].clone())
            .collect()
    }

    /// Waits for the job's progress to end; returns every value it reported.
    fn wait_end(&mut self, token: &str) -> Vec<Value> {
        let t = token.to_string();
        let ended = self.client.wait_until(JOB, |c| {
            c.notifications.iter().any(|(_, n)| {
                n["method"] == "$/progress"
                    && n["params"]["token"] == t.as_str()
                    && n["params"]["value"]["kind"] == "end"
            })
        });
        assert!(
            ended,
            "job {token} did not end\n{}",
            self.client.stderr_text()
        );
        self.progress(token)
    }

    fn run_job(&mut self, command: &str, args: Value) -> Vec<Value> {
        let token = self.start_job(command, args);
        self.wait_end(&token)
    }

    /// `window/showMessage` (type, text) pairs so far.
    fn messages(&self) -> Vec<(i64, String)> {
        self.client
            .notifications
            .iter()
            .map(|(_, n)| n)
            .filter(|n| n["method"] == "window/showMessage")
            .map(|n| {
                (
                    n["params"]["type"].as_i64().unwrap_or(0),
                    n["params"]["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// Waits for a `window/showMessage` of type `typ` containing `needle`; returns its text.
    fn wait_message(&mut self, typ: i64, needle: &str) -> String {
        let found = |c: &LspClient| {
            c.notifications.iter().map(|(_, n)| n).find_map(|n| {
                let m = n["params"]["message"].as_str().unwrap_or("");
                (n["method"] == "window/showMessage"
                    && n["params"]["type"] == typ
                    && m.contains(needle))
                .then(|| m.to_string())
            })
        };
        self.client.wait_until(WAIT, |c| found(c).is_some());
        found(&self.client).unwrap_or_else(|| {
            panic!(
                "no message of type {typ} with {needle:?}: {:?}\n{}",
                self.messages(),
                self.client.stderr_text()
            )
        })
    }

    fn lens_titles(&mut self, path: &Path) -> (Vec<String>, Value) {
        let lenses = self.client.request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri(path)}}),
        );
        let titles = lenses
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["command"]["title"].as_str().map(str::to_string))
            .collect();
        (titles, lenses)
    }

    fn action_titles(&mut self, path: &Path, line: u32, character: u32) -> Vec<String> {
        let actions = self.client.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(path)},
                   "range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}},
                   "context": {"diagnostics": []}}),
        );
        actions
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["title"].as_str().map(str::to_string))
            .collect()
    }
}

fn end_message(values: &[Value]) -> String {
    values
        .iter()
        .find(|v| v["kind"] == "end")
        .and_then(|v| v["message"].as_str())
        .unwrap_or("")
        .to_string()
}

fn report_messages(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter(|v| v["kind"] == "report")
        .filter_map(|v| v["message"].as_str().map(str::to_string))
        .collect()
}

const COMPONENTS: [&str; 4] = ["tokenizer", "counter", "formatter", "wordfreq"];

#[test]
fn decompose_from_task_md_reports_progress_and_leaves_a_valid_plan() {
    let mut r = Runs::start();
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
fn build_a_component_then_run_its_tests_after_breaking_it() {
    let mut r = Runs::start();
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
fn cancel_a_run_midway_then_resume_it_to_completion() {
    let mut r = Runs::start();
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
    // The lock is free again, the project valid.
    let (code, v) = support::validate_json(&r.root);
    assert_eq!(code, 0, "{v}");

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

#[test]
fn a_second_job_is_refused_naming_who_holds_the_project() {
    let mut r = Runs::start();
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
