//! The language server's protocol, end to end: the real server (`pact-lsp`, the entry `pact lsp`
//! calls) over stdio, driven as an editor drives it. One test binary, by area: `lifecycle`
//! (initialize, malformed input, exit), `diagnostics` (the gate's findings at their exact
//! ranges, quick fixes), `features` (hover, definition, references, completion, rename, code
//! lens, symbols), `sync` (rapid edits, watched files, a project deleted under it). The session
//! harness is here.

#[path = "../../../../tests/support/lsp_client.rs"]
mod lsp_client;
#[path = "../support/mod.rs"]
mod support;

mod diagnostics;
mod features;
mod lifecycle;
mod sync;

use lsp_client::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

fn caps(utf8: bool, rename_files: bool) -> Value {
    let mut c = json!({
        "workspace": {
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "workspaceEdit": {"documentChanges": true, "resourceOperations": if rename_files { json!(["create", "rename", "delete"]) } else { json!([]) }},
            "codeLens": {"refreshSupport": true}
        },
        "textDocument": {
            "completion": {"completionItem": {"snippetSupport": true}},
            "publishDiagnostics": {"relatedInformation": true, "versionSupport": true}
        }
    });
    if utf8 {
        c["general"] = json!({"positionEncodings": ["utf-8", "utf-16"]});
    }
    c
}

/// A server on a fresh copy of the sample project, initialised and indexed.
struct Session {
    client: LspClient,
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Session {
    fn start(utf8: bool) -> Self {
        Self::start_with(utf8, false, |_| {})
    }

    fn start_with(utf8: bool, rename_files: bool, prepare: impl FnOnce(&Path)) -> Self {
        Self::start_on("sample", utf8, rename_files, prepare)
    }

    fn start_on(
        fixture: &str,
        utf8: bool,
        rename_files: bool,
        prepare: impl FnOnce(&Path),
    ) -> Self {
        let (tmp, root) = support::copy_project(fixture);
        prepare(&root);
        let mut client = LspClient::spawn(&support::server(), &[]);
        client.initialize(
            tmp.path(),
            caps(utf8, rename_files),
            json!({"debounceMs": 10}),
        );
        let indexed = client.wait_notification("pact/indexed", WAIT);
        assert!(
            indexed.is_some(),
            "no pact/indexed\n{}",
            client.stderr_text()
        );
        let checked = client.wait_notification("pact/checked", WAIT);
        assert!(
            checked.is_some(),
            "no pact/checked\n{}",
            client.stderr_text()
        );
        Self {
            client,
            _tmp: tmp,
            root,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn contract(&self, cid: &str) -> PathBuf {
        self.path(&format!(".pact/contracts/{cid}/interface.json"))
    }

    fn tests_py(&self, cid: &str) -> PathBuf {
        self.path(&format!(".pact/contracts/{cid}/tests/contract_test.py"))
    }

    fn at(&mut self, method: &str, uri: &str, pos: Value) -> Value {
        self.client.request(
            method,
            json!({"textDocument": {"uri": uri}, "position": pos}),
        )
    }
}

fn codes(p: &Published) -> Vec<String> {
    p.diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect()
}

fn with_code<'a>(p: &'a Published, code: &str) -> Option<&'a Value> {
    p.diagnostics.iter().find(|d| d["code"] == code)
}

fn range_of(line: u32, start: u32, end: u32) -> Value {
    json!({"start": {"line": line, "character": start}, "end": {"line": line, "character": end}})
}
