//! Hostile inputs (issue #15) end to end: a workspace full of special files opened in the
//! language server, and the spelling of a project's path.
#![cfg(unix)]

use crate::support;
use crate::support::lsp_client;
use crate::support::special_files;

use lsp_client::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::*;

fn pact_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pact"))
}

/// Opening a folder full of special files in an editor is enough to hang `pact lsp` on a FIFO
/// (no answer to `initialize`) or grow it without bound on `/dev/zero` (issue #15). Now the
/// server answers, checks the project, and publishes one `unreadable-file` diagnostic at the
/// start of each such file, in little memory.
#[test]
fn the_language_server_reports_each_special_file_from_initialize() {
    let (_tmp, dir) = copy_project("sample");
    let planted = special_files::plant(&dir);
    let started = Instant::now();
    let mut client = LspClient::spawn(&pact_bin(), &["lsp"]);
    client.initialize(
        &dir,
        json!({"textDocument": {"publishDiagnostics": {"versionSupport": true}}}),
        json!({}),
    );
    let answered = started.elapsed();
    let checked = client.wait_notification("pact/checked", Duration::from_secs(20));
    let elapsed = started.elapsed();
    assert!(
        checked.is_some(),
        "no pact/checked after {elapsed:?}\n{}",
        client.stderr_text()
    );
    // The target is well under a second (tens of ms here); the slack is for a loaded machine.
    assert!(
        answered < Duration::from_secs(3),
        "initialize took {answered:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "checked after {elapsed:?}"
    );
    // Diagnostics are published as the check commits; give the last ones a moment.
    let all_there = |c: &LspClient| {
        planted.iter().all(|p| {
            c.diagnostics
                .get(&uri(&dir.join(p.file)))
                .and_then(|v| v.last())
                .is_some_and(|pb| !pb.diagnostics.is_empty())
        })
    };
    client.wait_until(Duration::from_secs(5), all_there);
    for p in &planted {
        let u = uri(&dir.join(p.file));
        let diags: Vec<Value> = client
            .diagnostics
            .get(&u)
            .and_then(|v| v.last())
            .map(|pb| pb.diagnostics.clone())
            .unwrap_or_default();
        let unreadable: Vec<&Value> = diags
            .iter()
            .filter(|d| d["code"] == "unreadable-file")
            .collect();
        assert_eq!(unreadable.len(), 1, "{}: {diags:#?}", p.file);
        let d = unreadable[0];
        assert!(
            d["message"].as_str().is_some_and(|m| m.starts_with(p.says)),
            "{}: {}",
            p.file,
            d["message"]
        );
        assert_eq!(
            d["range"]["start"],
            json!({"line": 0, "character": 0}),
            "{}",
            p.file
        );
        assert_eq!(d["severity"], 1, "{}", p.file);
    }
    let rss = special_files::peak_rss_kb(client.pid()).unwrap_or(0);
    eprintln!(
        "pact lsp on {} special files: initialize answered in {answered:?}, checked in {elapsed:?}, peak RSS {rss} KiB",
        planted.len()
    );
    assert!(rss < 200 * 1024, "peak RSS {rss} KiB");
    // And it is still answering.
    assert!(client.shutdown_and_exit().is_some());
}

/// `pact … --json` in `cwd`, parsed.
fn json_in(cwd: &Path, args: &[&str]) -> Value {
    let out = std::process::Command::new(pact_bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run pact");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "pact {args:?} in {}: bad json ({e})\n{}\n{}",
            cwd.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Issue #15: the spelling of the project path changed results — components `[done]` under
/// one spelling were `[stale]` under another, and `cd examples/wordfreq && pact run` named the
/// run's project `.`. The root is canonical now: the example, run (offline, from its recording)
/// from inside its directory without naming it, is the same project however it is spelled
/// afterwards — the same statuses, the same name, nothing to rebuild.
#[test]
fn every_spelling_of_the_project_path_is_the_same_project() {
    let (tmp, dir) = support::example();
    let run = std::process::Command::new(pact_bin())
        .arg("run")
        .current_dir(&dir)
        .output()
        .expect("pact run");
    assert!(
        run.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".pact/state.json")).expect("state.json"),
    )
    .expect("json");
    assert_eq!(state["project_dir"], "wordfreq", "{state:#}");
    assert_eq!(state["status"], "completed");
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&dir, &link).expect("symlink");
    let abs = dir.to_str().expect("utf-8 path").to_string();
    // (where to run from, the spelling)
    let spellings: Vec<(PathBuf, String)> = vec![
        (dir.clone(), ".".into()),
        (dir.clone(), "./".into()),
        (dir.join(".pact"), "..".into()),
        (tmp.path().to_path_buf(), "wordfreq".into()),
        (tmp.path().to_path_buf(), "./wordfreq".into()),
        (tmp.path().to_path_buf(), "wordfreq/.".into()),
        (tmp.path().to_path_buf(), "wordfreq/../wordfreq/".into()),
        (tmp.path().to_path_buf(), "link".into()),
        (Path::new("/").to_path_buf(), abs),
    ];
    let statuses = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["id"].as_str().unwrap_or("").to_string(),
                    r["status"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let first = statuses(&json_in(&dir, &["components", ".", "--json"]));
    assert_eq!(first.len(), 4, "{first:?}");
    assert!(first.iter().all(|(_, s)| s == "done"), "{first:?}");
    for (cwd, spelled) in &spellings {
        let got = statuses(&json_in(cwd, &["components", spelled, "--json"]));
        assert_eq!(
            got,
            first,
            "`pact components {spelled}` in {}",
            cwd.display()
        );
        // Nothing to build, however the path is spelled.
        let build = std::process::Command::new(pact_bin())
            .args(["build", spelled, "counter"])
            .current_dir(cwd)
            .output()
            .expect("pact build");
        let out = String::from_utf8_lossy(&build.stdout);
        assert!(build.status.success(), "{out}");
        assert!(
            out.contains("UP TO DATE"),
            "`pact build {spelled} counter`: {out}"
        );
    }
}
