//! The engine's one job API as users meet it, from the terminal and from an editor (the real
//! `pact lsp` over stdio): a job whose preflight fails — no API key, no tests, no runtime —
//! leaves every record and contract byte-identical and says, once, what to do next; the
//! counts of a broken project agree on every surface; the server words its messages for the
//! client it talks to.

use crate::support;
use crate::support::lsp_client;

use lsp_client::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// The offline example, run to completion (replayed answers, real pytest).
fn completed_example() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = support::example();
    let run = support::pact(&["run", dir.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    (tmp, dir)
}

/// Every file a job could change that users keep: the run state, the audit trail, the test
/// locks, the contracts, the tests and the implementations (not Pact's own caches and locks,
/// which `.pact/.gitignore` keeps out of git).
fn records(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "cache" || name.ends_with(".lock") || name == "run.owner.json" {
                continue;
            }
            if p.is_dir() {
                walk(&p, root, out);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&root.join(".pact"), root, &mut out);
    assert!(out.contains_key(".pact/state.json"), "{:?}", out.keys());
    out
}

fn unchanged(before: &BTreeMap<String, Vec<u8>>, root: &Path) {
    let after = records(root);
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(changed.is_empty(), "changed: {changed:?}");
}

fn pact_env(args: &[&str], env: &[(&str, &str)], remove: &[&str]) -> support::Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pact"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    for k in remove {
        cmd.env_remove(k);
    }
    let out = cmd.output().expect("run pact");
    support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const NO_KEY: &[&str] = &["ANTHROPIC_API_KEY", "PACT_REPLAY_FILE"];

#[test]
fn a_job_that_cannot_start_changes_nothing_and_says_what_to_do() {
    let (_tmp, root) = completed_example();
    let dir = root.to_str().expect("utf-8");
    let before = records(&root);

    // Up to date: Build costs nothing and needs no key.
    let run = pact_env(
        &["build", dir, "counter"],
        &[("PACT_BACKEND", "anthropic")],
        NO_KEY,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("UP TO DATE: counter passes"),
        "{}",
        run.stdout
    );
    unchanged(&before, &root);

    // No key: a rebuild is refused before anything changes, with the variable to set.
    let run = pact_env(
        &["build", "--force", dir, "counter"],
        &[("PACT_BACKEND", "anthropic")],
        NO_KEY,
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the anthropic backend needs an API key in ANTHROPIC_API_KEY"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Nothing was changed."),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Next: export ANTHROPIC_API_KEY=…"),
        "{}",
        run.stderr
    );
    unchanged(&before, &root);

    // No runtime: no Python on PATH, an empty cache.
    let cache = tempfile::tempdir().expect("cache");
    let run = pact_env(
        &["build", "--force", dir, "counter"],
        &[
            ("PATH", "/nonexistent"),
            ("PACT_CACHE_DIR", cache.path().to_str().expect("utf-8")),
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Python"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Nothing was changed."),
        "{}",
        run.stderr
    );
    unchanged(&before, &root);

    // No tests: the advice is to write them from the contract, and only that.
    let tests = root.join(".pact/contracts/counter/tests");
    std::fs::remove_dir_all(&tests).expect("rm tests");
    let _ = std::fs::remove_file(root.join(".pact/contracts/counter/contract_test_suite.json"));
    let before = records(&root);
    let run = support::pact(&["build", "--force", dir, "counter"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("component 'counter' has no contract tests yet"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Next: `pact test --regenerate"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("resumes"), "{}", run.stderr);
    unchanged(&before, &root);
}

/// A server started the way `client` is, on `root`, with the editor's settings.
fn server(root: &Path, client: &str, settings: Value, env: &[(&str, &str)]) -> LspClient {
    let mut c = LspClient::spawn_with_env(Path::new(env!("CARGO_BIN_EXE_pact")), &["lsp"], env);
    c.initialize_as(
        root.parent().expect("parent"),
        json!({"window": {"workDoneProgress": true}}),
        json!({"debounceMs": 10, "pact": settings}),
        client,
    );
    assert!(c.wait_notification("pact/checked", WAIT).is_some());
    c
}

fn shown(c: &LspClient) -> Vec<(i64, String)> {
    c.notifications
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

fn exec(c: &mut LspClient, command: &str, args: Value) -> Value {
    c.request(
        "workspace/executeCommand",
        json!({"command": command, "arguments": [args]}),
    )
}

/// Runs a command the server must refuse; returns the one message it shows (as type, text).
fn refused_once(c: &mut LspClient, command: &str, args: Value) -> (i64, String) {
    let before = shown(c).len();
    let r = exec(c, command, args);
    assert_eq!(r["started"], false, "{r}");
    assert_eq!(r["outcome"], "refused", "{r}");
    assert!(c.wait_until(WAIT, |c| shown(c).len() > before));
    // Read what else arrives for a moment (strays would show here).
    c.wait_until(Duration::from_millis(500), |_| false);
    let messages = shown(c);
    assert_eq!(messages.len(), before + 1, "{messages:?}");
    messages[before].clone()
}

#[test]
fn from_the_editor_a_refused_job_changes_nothing_and_tells_it_once() {
    let (_tmp, root) = completed_example();
    let before = records(&root);
    let project = root.to_string_lossy().into_owned();
    // The editor chooses a backend whose key the server's environment lacks.
    let mut c = server(
        &root,
        "Visual Studio Code",
        json!({"backend": "anthropic"}),
        &[],
    );
    let (typ, text) = refused_once(
        &mut c,
        "pact.rebuild",
        json!({"project": project, "component": "counter"}),
    );
    assert_eq!(typ, 1, "{text}");
    assert!(text.contains("ANTHROPIC_API_KEY"), "{text}");
    assert!(text.contains("Nothing was changed."), "{text}");
    assert!(text.contains("the pact.backend setting"), "{text}");
    unchanged(&before, &root);
    // A component the project does not have: refused, nothing started.
    let r = exec(
        &mut c,
        "pact.runTests",
        json!({"project": project, "component": "nosuch"}),
    );
    assert_eq!(r["started"], false, "{r}");
    assert!(
        r["error"]
            .as_str()
            .is_some_and(|e| e.contains("no component 'nosuch'")),
        "{r}"
    );
    unchanged(&before, &root);
    let _ = c.shutdown_and_exit();

    // No runtime: the server's environment has no Python and an empty cache.
    let cache = tempfile::tempdir().expect("cache");
    let env = [
        ("PATH", "/nonexistent"),
        ("PACT_CACHE_DIR", cache.path().to_str().expect("utf-8")),
    ];
    let mut c = server(&root, "Visual Studio Code", json!({}), &env);
    let (_, text) = refused_once(
        &mut c,
        "pact.runTests",
        json!({"project": project, "component": "counter"}),
    );
    assert!(text.contains("Python"), "{text}");
    assert!(text.contains("Nothing was changed."), "{text}");
    unchanged(&before, &root);
    let _ = c.shutdown_and_exit();

    // No tests: write them from the contract (and nothing else is advised).
    std::fs::remove_dir_all(root.join(".pact/contracts/counter/tests")).expect("rm tests");
    let before = records(&root);
    let mut c = server(&root, "Visual Studio Code", json!({}), &[]);
    let (_, text) = refused_once(
        &mut c,
        "pact.build",
        json!({"project": project, "component": "counter"}),
    );
    assert!(
        text.ends_with("Next: Pact: Regenerate tests from contract on 'counter'."),
        "{text}"
    );
    assert!(!text.contains("resumes"), "{text}");
    unchanged(&before, &root);
    let _ = c.shutdown_and_exit();
}

/// Words of VS Code's UI a Neovim user cannot act on.
const VSCODE_WORDS: &[&str] = &[
    "Problems view",
    "pact.backend setting",
    "Pact: Build component",
    "Pact: Run pipeline",
    "Pact: Regenerate tests",
    "Pact: Decompose",
    "Pact: Stop run",
];

#[test]
fn counts_agree_and_a_neovim_user_reads_neovim_words() {
    let (_tmp, root) = completed_example();
    let project = root.to_string_lossy().into_owned();
    // Break a contract: two types that do not exist, and a dependency cycle in the tree.
    support::edit(&root.join(".pact/contracts/counter/interface.json"), |v| {
        v["functions"][0]["output_type"] = json!("NoSuchType");
        v["functions"][0]["inputs"][0]["type_ref"] = json!("AlsoMissing");
    });
    support::edit(&root.join(".pact/decomposition/tree.json"), |v| {
        let root_id = v["root_id"].as_str().unwrap_or("").to_string();
        if let Some(nodes) = v["nodes"].as_object_mut() {
            let first = nodes
                .iter()
                .find(|(k, _)| **k != root_id)
                .map(|(k, _)| k.clone());
            if let Some(k) = first {
                nodes[&k]["children"] = json!([root_id]);
            }
        }
    });
    let (code, cli) = support::validate_json(&root);
    assert_eq!(code, 1, "{cli}");
    let errors = cli["errors"].as_u64().expect("errors");
    let warnings = cli["warnings"].as_u64().expect("warnings");
    let listed = |sev: &str| {
        cli["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["severity"] == sev)
            .count() as u64
    };
    assert_eq!((listed("error"), listed("warning")), (errors, warnings));
    assert!(errors >= 3, "{cli}");

    let mut c = server(&root, "Neovim", json!({"backend": "anthropic"}), &[]);
    // The diagnostics published over the project.
    let count = |c: &LspClient, severity: i64| -> u64 {
        let mut latest: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (_, n) in &c.notifications {
            if n["method"] == "textDocument/publishDiagnostics" {
                let u = n["params"]["uri"].as_str().unwrap_or("").to_string();
                let ds = n["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                latest.insert(u, ds);
            }
        }
        latest
            .values()
            .flatten()
            .filter(|d| d["severity"] == severity && d["code"] != "test-failed")
            .count() as u64
    };
    let agreed = c.wait_until(WAIT, |c| count(c, 1) == errors && count(c, 2) == warnings);
    assert!(
        agreed,
        "published {} errors, {} warnings; pact validate says {errors}, {warnings}",
        count(&c, 1),
        count(&c, 2)
    );
    // `pact.validate`'s result, and its one message.
    let v = exec(&mut c, "pact.validate", json!({"project": project}));
    assert_eq!(
        (v["errors"].as_u64(), v["warnings"].as_u64()),
        (Some(errors), Some(warnings)),
        "{v}"
    );
    assert!(c.wait_until(WAIT, |c| !shown(c).is_empty()));
    // A job refused (no key), a job that fails its tests, and status: one message each.
    let r = exec(
        &mut c,
        "pact.rebuild",
        json!({"project": project, "component": "counter", "wait": true}),
    );
    assert_eq!(r["outcome"], "refused", "{r}");
    let s = exec(&mut c, "pact.status", json!({"project": project}));
    assert!(
        s["components"].as_array().is_some_and(|a| !a.is_empty()),
        "{s}"
    );
    // A notification may arrive after the answer it goes with: wait for it, then for strays.
    assert!(
        c.wait_until(WAIT, |c| shown(c).len() >= 3),
        "{:?}",
        shown(&c)
    );
    c.wait_until(Duration::from_millis(500), |_| false);
    let messages = shown(&c);
    assert_eq!(messages.len(), 3, "one message per outcome: {messages:?}");
    assert!(
        messages[0].1.contains(&format!("{errors} error(s)")),
        "{messages:?}"
    );
    for (_, m) in &messages {
        for w in VSCODE_WORDS {
            assert!(!m.contains(w), "a VS Code word ({w}) for Neovim: {m}");
        }
    }
    assert!(messages[0].1.contains("setqflist"), "{messages:?}");
    assert!(
        messages[1].1.contains("settings.pact.backend"),
        "{messages:?}"
    );
    let _ = c.shutdown_and_exit();
}

/// Front ends render what the engine returns as data; none of them decides anything by
/// matching the engine's English (a pause reason, a step, an error's text). Kept so by reading
/// their sources: no text comparison on a value that carries the engine's words.
#[test]
fn no_front_end_matches_engine_english() {
    let receivers = [
        "reason",
        "pause_reason",
        "message",
        "step",
        "phase",
        "detail",
        "last_error",
        "error",
        "err",
    ];
    let calls = [
        ".starts_with(",
        ".contains(",
        ".ends_with(",
        " == \"",
        ".find(",
    ];
    let mut offences = Vec::new();
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stack = vec![crates.join("lsp/src"), crates.join("cli/src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("read");
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for r in receivers {
                    for c in calls {
                        let pattern = format!("{r}{c}");
                        let hit = code.match_indices(&pattern).any(|(at, _)| {
                            // The receiver is a whole name (`reason.`, not `treason.`).
                            code[..at]
                                .chars()
                                .next_back()
                                .is_none_or(|ch| !(ch.is_alphanumeric() || ch == '_'))
                        });
                        if hit {
                            offences.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
                        }
                    }
                }
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

/// `pact.stop` answers once the job has stopped: the project's lock is free and `state.json`
/// says the run is paused (stopped on request), not `active`, the moment the answer arrives;
/// the job's end is the one message about it.
#[test]
fn stop_answers_when_the_project_is_free_again() {
    let (_tmp, root) = support::example();
    let project = root.to_string_lossy().into_owned();
    let mut c = server(&root, "", json!({}), &[]);
    let r = exec(&mut c, "pact.runPipeline", json!({"project": project}));
    assert_eq!(r["started"], true, "{r}");
    // Wait until the run is under way (its state exists), then stop it.
    let state = root.join(".pact/state.json");
    assert!(c.wait_until(Duration::from_secs(60), |_| state.exists()));
    // Read what else arrives for a moment (strays would show here).
    c.wait_until(Duration::from_millis(500), |_| false);
    let s = exec(&mut c, "pact.stop", json!({"project": project}));
    assert_eq!(s["stopped"], true, "{s}");
    let store = pact_core::store::Project::open(&root).expect("open");
    let lock = pact_engine::joblock::acquire(&store, "test");
    assert!(lock.is_ok(), "the lock is still held after stop answered");
    drop(lock);
    let st: Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("state")).expect("json");
    assert_eq!(st["status"], "paused", "{st}");
    assert!(
        st["pause_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("Stopped on request")),
        "{st}"
    );
    // Read what else arrives for a moment (strays would show here).
    c.wait_until(Duration::from_millis(500), |_| false);
    let messages = shown(&c);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].1.contains("Cancelled"), "{messages:?}");
    let _ = c.shutdown_and_exit();
}
