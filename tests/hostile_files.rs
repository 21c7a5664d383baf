//! Hostile inputs (issue #15) end to end: a workspace full of special files opened in the
//! language server.
#![cfg(unix)]

#[path = "support/lsp_client.rs"]
mod lsp_client;
#[path = "support/special_files.rs"]
mod special_files;
mod support;

use lsp_client::*;
use serde_json::{Value, json};
use std::path::PathBuf;
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
    assert!(rss < 200 * 1024, "peak RSS {rss} KiB");
    // And it is still answering.
    assert!(client.shutdown_and_exit().is_some());
}
