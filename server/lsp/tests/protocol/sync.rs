//! Documents and the disk: rapid incremental edits end in the client's text, files changed on
//! disk are re-read, a project deleted under the server is survived.

use super::*;

#[test]
fn rapid_incremental_edits_end_in_the_clients_text() {
    let mut s = Session::start(false);
    let path = s.contract("formatter");
    let mut model = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open_text(&path, "json", &model);
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let inserts = ["a", "é", "𝄞", "\n", "\"", "{", "ß\n€", ""];
    for v in 2..=201i64 {
        // A random range of the current text, in UTF-16 positions.
        let len = model.len();
        let mut a = (next() as usize) % (len + 1);
        let mut b = (a + (next() as usize) % 4).min(len);
        while !model.is_char_boundary(a) {
            a -= 1;
        }
        while !model.is_char_boundary(b) {
            b += 1;
        }
        let (l1, c1) = position(&model, a);
        let (l2, c2) = position(&model, b);
        let t = inserts[(next() as usize) % inserts.len()];
        s.client.change(&uri, v, [l1, c1, l2, c2], t);
        model.replace_range(a..b, t);
    }
    let got = s
        .client
        .request("pact/debugText", json!({"textDocument": {"uri": uri}}));
    assert_eq!(got["version"], 201);
    assert_eq!(got["text"].as_str(), Some(model.as_str()));
    // Debounced: the diagnostics that arrive are for the last version.
    let p = s
        .client
        .wait_diagnostics(&uri, WAIT, |p| p.version == Some(201));
    assert!(
        p.is_some(),
        "{:?}",
        s.client
            .diagnostics
            .get(&uri)
            .map(|v| v.iter().map(|p| p.version).collect::<Vec<_>>())
    );
    let versions: Vec<Option<i64>> = s
        .client
        .diagnostics
        .get(&uri)
        .map(|v| v.iter().map(|p| p.version).collect())
        .unwrap_or_default();
    assert!(
        versions.len() < 20,
        "re-checks were not debounced: {versions:?}"
    );
}

#[test]
fn watched_file_changes_on_disk() {
    let mut s = Session::start(false);
    let path = s.contract("formatter");
    let u = uri(&path);
    let text = std::fs::read_to_string(&path).expect("read");
    let broken = text.replacen("\"type_ref\": \"str\"", "\"type_ref\": \"Strng\"", 1);
    assert_ne!(broken, text);
    std::fs::write(&path, &broken).expect("write");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": u, "type": 2}]}),
    );
    let p = s
        .client
        .wait_diagnostics(&u, WAIT, |p| with_code(p, "unresolved-type").is_some());
    assert!(p.is_some(), "{}", s.client.stderr_text());
    std::fs::write(&path, &text).expect("write");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": u, "type": 2}]}),
    );
    assert!(
        s.client
            .wait_diagnostics(&u, WAIT, |p| p.diagnostics.is_empty())
            .is_some()
    );
    // New test results on disk: code lenses are refreshed and show them.
    let results = s.path(".pact/implementations/formatter/test_results.json");
    std::fs::write(
        &results,
        json!({"total": 4, "passed": 4, "failed": 0, "errors": 0}).to_string(),
    )
    .expect("write");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&results), "type": 1}]}),
    );
    let refreshed = |c: &LspClient| {
        c.server_requests
            .iter()
            .any(|r| r["method"] == "workspace/codeLens/refresh")
    };
    let deadline = std::time::Instant::now() + WAIT;
    while !refreshed(&s.client) && std::time::Instant::now() < deadline {
        s.client.drain(Duration::from_millis(20));
    }
    assert!(refreshed(&s.client), "no workspace/codeLens/refresh");
    let lenses = s
        .client
        .request("textDocument/codeLens", json!({"textDocument": {"uri": u}}));
    assert!(
        lenses[1]["command"]["title"]
            .as_str()
            .unwrap_or("")
            .ends_with("4 passed · 0 failed"),
        "{lenses}"
    );
    // A new component directory appears: the project is read again.
    let dir = s.path(".pact/contracts/extra");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("interface.json"), "{\"component_id\": \"extra\", \"name\": \"X\", \"description\": \"\", \"functions\": [{\"name\": \"f\", \"description\": \"\", \"inputs\": [], \"output_type\": \"Nope\"}]}").expect("write");
    s.client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri(&dir), "type": 1}, {"uri": uri(&dir.join("interface.json")), "type": 1}]}));
    let p = s
        .client
        .wait_diagnostics(&uri(&dir.join("interface.json")), WAIT, |p| {
            with_code(p, "unresolved-type").is_some()
        });
    assert!(p.is_some());
}

#[test]
fn survives_the_project_being_deleted_under_it() {
    let mut s = Session::start(false);
    let path = s.contract("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let u = s.client.open(&path, "json");
    s.client
        .change_full(&u, 2, &text.replacen("\"WordCountList\"", "\"Nope\"", 1));
    assert!(
        s.client
            .wait_diagnostics(&u, WAIT, |p| with_code(p, "unresolved-type").is_some())
            .is_some()
    );
    let moved = s.root.with_file_name("renamed");
    std::fs::rename(&s.root, &moved).expect("rename");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&s.root), "type": 3}, {"uri": uri(&moved), "type": 1}]}),
    );
    // Its diagnostics are withdrawn…
    assert!(
        s.client
            .wait_diagnostics(&u, WAIT, |p| p.diagnostics.is_empty())
            .is_some(),
        "{}",
        s.client.stderr_text()
    );
    // …requests on the orphaned buffer answer without harm…
    let h = s.at("textDocument/hover", &u, json!({"line": 3, "character": 5}));
    assert!(h.is_null());
    s.client.change_full(&u, 3, "{ not json");
    s.client.drain(Duration::from_millis(100));
    // …and the renamed project is picked up.
    let moved_contract = moved.join(".pact/contracts/formatter/interface.json");
    let mu = s.client.open(&moved_contract, "json");
    let mtext = std::fs::read_to_string(&moved_contract).expect("read");
    s.client.change_full(
        &mu,
        2,
        &mtext.replacen("\"type_ref\": \"str\"", "\"type_ref\": \"Strng\"", 1),
    );
    assert!(
        s.client
            .wait_diagnostics(&mu, WAIT, |p| with_code(p, "unresolved-type").is_some())
            .is_some(),
        "{}",
        s.client.stderr_text()
    );
    std::fs::remove_dir_all(&moved).expect("rm");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&moved), "type": 3}]}),
    );
    assert!(
        s.client
            .wait_diagnostics(&mu, WAIT, |p| p.diagnostics.is_empty())
            .is_some()
    );
    assert_eq!(s.client.shutdown_and_exit().and_then(|s| s.code()), Some(0));
}
