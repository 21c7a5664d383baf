//! The session: the position encoding negotiated in `initialize`, malformed input survived,
//! and the exit when the client goes away.

use super::*;

#[test]
fn initialize_negotiates_the_position_encoding() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (utf8, want) in [(true, "utf-8"), (false, "utf-16")] {
        let mut c = LspClient::spawn(&support::server(), &[]);
        let r = c.initialize(tmp.path(), caps(utf8, false), Value::Null);
        let cap = &r["capabilities"];
        assert_eq!(cap["positionEncoding"], want, "{r}");
        assert_eq!(cap["textDocumentSync"]["change"], 2, "incremental sync");
        for k in [
            "hoverProvider",
            "definitionProvider",
            "referencesProvider",
            "documentSymbolProvider",
            "workspaceSymbolProvider",
        ] {
            assert_eq!(cap[k], true, "{k}: {r}");
        }
        assert_eq!(cap["renameProvider"]["prepareProvider"], true);
        assert!(cap["completionProvider"].is_object());
        assert!(cap["codeLensProvider"].is_object());
        assert_eq!(cap["codeActionProvider"]["codeActionKinds"][0], "quickfix");
        // Watchers are registered dynamically; the server logs to the client.
        assert!(c.wait_notification("pact/indexed", WAIT).is_some());
        let logged = |c: &LspClient| {
            c.notifications.iter().any(|(_, n)| {
                n["method"] == "window/logMessage"
                    && n["params"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("indexed"))
            })
        };
        let deadline = std::time::Instant::now() + WAIT;
        while !logged(&c) && std::time::Instant::now() < deadline {
            c.drain(Duration::from_millis(20));
        }
        assert!(logged(&c), "no window/logMessage about the index");
        let status = c.shutdown_and_exit();
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "{}",
            c.stderr_text()
        );
        assert!(
            c.server_requests
                .iter()
                .any(|r| r["method"] == "client/registerCapability"),
            "{:?}",
            c.server_requests
        );
    }
}

#[test]
fn garbage_input_does_not_kill_it() {
    let mut s = Session::start(false);
    // Not JSON at all, a JSON-RPC message of the wrong shape, binary text in a buffer.
    s.client.send_raw(b"\xff\xfe not json");
    s.client.send_raw(
        br#"{"jsonrpc":"2.0","id":99,"method":"textDocument/hover","params":{"bogus":true}}"#,
    );
    let path = s.contract("counter");
    let junk: String = (0..2000u32)
        .map(|i| char::from_u32((i * 7919) % 0x2FFF).unwrap_or('x'))
        .collect();
    let u = s.client.open_text(&path, "json", &junk);
    for v in 2..30 {
        s.client
            .change(&u, v, [v as u32 % 5, 1000, 0, 3], "\u{0}\"[{");
        s.client.change(&u, v, [99, 99, 0, 0], "}");
    }
    for line in 0..5u32 {
        for m in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
            "textDocument/prepareRename",
        ] {
            let r = s.client.request_raw(m, json!({"textDocument": {"uri": u}, "position": {"line": line, "character": line * 7}}));
            assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
        }
    }
    let syms = s.client.request_raw(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    assert!(syms.get("result").is_some(), "{syms}");
    assert_eq!(
        s.client.shutdown_and_exit().and_then(|s| s.code()),
        Some(0),
        "{}",
        s.client.stderr_text()
    );
}

#[test]
fn exits_without_shutdown_when_the_client_goes_away() {
    let s = Session::start(false);
    let mut c = s.client;
    c.close_stdin();
    let status = c.wait_exit(Duration::from_secs(10));
    assert!(status.is_some(), "still running after stdin closed");
}
