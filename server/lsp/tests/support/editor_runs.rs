//! The harness of the editor-driven run tests: the offline example (replayed model answers,
//! real pytest) fresh in a temp dir, a language server on it, and what an editor watches while
//! a job runs — work-done progress, messages, code lenses and actions. Shared by the
//! protocol-only runs (`server/lsp/tests/runs.rs`, against `pact-lsp`) and the runs that also
//! drive the CLI (`tests/lsp_runs.rs`, against `pact lsp`), which include it by path; each
//! declares `lsp_client` and a `support` with `copy_dir` at its root.
#![allow(dead_code)]

use crate::lsp_client::*;
use crate::support;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A decomposition runs pytest (red-first) for every component: allow for a slow machine.
pub const JOB: Duration = Duration::from_secs(60);
pub const WAIT: Duration = Duration::from_secs(15);

pub struct Runs {
    pub client: LspClient,
    pub root: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Runs {
    /// The server (`program args…`, e.g. `pact lsp --stdio`) on a fresh copy of the offline
    /// example, initialised (it advertises every command) and checked.
    pub fn start(program: &Path, args: &[&str]) -> Self {
        let (tmp, root) = support::example();
        let mut client = LspClient::spawn(program, args);
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

    pub fn project(&self) -> String {
        self.root.to_string_lossy().into_owned()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn exec(&mut self, command: &str, args: Value) -> Value {
        self.client.request(
            "workspace/executeCommand",
            json!({"command": command, "arguments": [args]}),
        )
    }

    /// Starts a job; returns its progress token.
    pub fn start_job(&mut self, command: &str, args: Value) -> String {
        let r = self.exec(command, args);
        assert_eq!(r["started"], true, "{command}: {r}");
        r["token"].as_str().expect("token").to_string()
    }

    /// The `$/progress` values of one token, in order.
    pub fn progress(&self, token: &str) -> Vec<Value> {
        self.client
            .notifications
            .iter()
            .map(|(_, n)| n)
            .filter(|n| n["method"] == "$/progress" && n["params"]["token"] == token)
            .map(|n| n["params"]["value"].clone())
            .collect()
    }

    /// Waits for the job's progress to end; returns every value it reported.
    pub fn wait_end(&mut self, token: &str) -> Vec<Value> {
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

    pub fn run_job(&mut self, command: &str, args: Value) -> Vec<Value> {
        let token = self.start_job(command, args);
        self.wait_end(&token)
    }

    /// `window/showMessage` (type, text) pairs so far.
    pub fn messages(&self) -> Vec<(i64, String)> {
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
    pub fn wait_message(&mut self, typ: i64, needle: &str) -> String {
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

    pub fn lens_titles(&mut self, path: &Path) -> (Vec<String>, Value) {
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

    pub fn action_titles(&mut self, path: &Path, line: u32, character: u32) -> Vec<String> {
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

pub fn end_message(values: &[Value]) -> String {
    values
        .iter()
        .find(|v| v["kind"] == "end")
        .and_then(|v| v["message"].as_str())
        .unwrap_or("")
        .to_string()
}

pub fn report_messages(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter(|v| v["kind"] == "report")
        .filter_map(|v| v["message"].as_str().map(str::to_string))
        .collect()
}

pub const COMPONENTS: [&str; 4] = ["tokenizer", "counter", "formatter", "wordfreq"];
