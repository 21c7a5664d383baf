//! A small language-server client over stdio, as an editor drives one: Content-Length framing,
//! request ids, answers to the server's own requests, and waiting (with a timeout) for
//! notifications such as `textDocument/publishDiagnostics`. Used by the end-to-end tests here, by
//! the language server's protocol tests (`server/lsp/tests`) and by the `lsp-bench` benchmark,
//! which include this file by path.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// One publication of diagnostics, as received.
#[derive(Debug, Clone)]
pub struct Published {
    pub at: Instant,
    pub version: Option<i64>,
    pub diagnostics: Vec<Value>,
}

pub struct LspClient {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<(Instant, Value)>,
    next_id: i64,
    responses: HashMap<i64, Value>,
    /// Every notification from the server, in order, with its arrival time.
    pub notifications: Vec<(Instant, Value)>,
    consumed: usize,
    /// Publications per document URI, oldest first.
    pub diagnostics: HashMap<String, Vec<Published>>,
    /// Requests the server sent us (answered from `answers` by method, else with `null`).
    pub server_requests: Vec<Value>,
    /// The result to answer a server request with, by method (e.g. the button picked in a
    /// `window/showMessageRequest`).
    pub answers: HashMap<String, Value>,
    stderr: Arc<Mutex<String>>,
}

/// `file://` URI of a path, encoded the way the server encodes it.
pub fn uri(path: &Path) -> String {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

impl LspClient {
    /// Starts `program args…` with piped stdio.
    pub fn spawn(program: &Path, args: &[&str]) -> Self {
        Self::spawn_with_env(program, args, &[])
    }

    pub fn spawn_with_env(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut r) {
                if tx.send((Instant::now(), msg)).is_err() {
                    break;
                }
            }
        });
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut line = String::new();
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&line);
                }
                line.clear();
            }
        });
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            rx,
            next_id: 1,
            responses: HashMap::new(),
            notifications: Vec::new(),
            consumed: 0,
            diagnostics: HashMap::new(),
            server_requests: Vec::new(),
            answers: HashMap::new(),
            stderr: log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Writes one framed message (raw bytes of the body).
    pub fn send_raw(&mut self, body: &[u8]) {
        let Some(stdin) = self.stdin.as_mut() else {
            return;
        };
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        let _ = stdin.write_all(header.as_bytes());
        let _ = stdin.write_all(body);
        let _ = stdin.flush();
    }

    pub fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).expect("json");
        self.send_raw(&body);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Handles one incoming message; false on timeout or when the server is gone.
    fn pump(&mut self, deadline: Instant) -> bool {
        let wait = deadline.saturating_duration_since(Instant::now());
        let (at, msg) = match self.rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return false,
        };
        let method = msg
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_string);
        match (msg.get("id").cloned(), method) {
            (Some(id), Some(m)) => {
                // A request from the server: answer it.
                let result = self.answers.get(&m).cloned().unwrap_or(Value::Null);
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
                self.server_requests.push(msg);
            }
            (Some(id), None) => {
                if let Some(n) = id.as_i64() {
                    self.responses.insert(n, msg);
                }
            }
            (None, Some(m)) => {
                if m == "textDocument/publishDiagnostics" {
                    let p = &msg["params"];
                    let uri = p["uri"].as_str().unwrap_or("").to_string();
                    self.diagnostics.entry(uri).or_default().push(Published {
                        at,
                        version: p["version"].as_i64(),
                        diagnostics: p["diagnostics"].as_array().cloned().unwrap_or_default(),
                    });
                }
                self.notifications.push((at, msg));
            }
            (None, None) => {}
        }
        true
    }

    /// The response to request `id` (the whole message: `result` or `error`).
    pub fn response(&mut self, id: i64, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.responses.remove(&id) {
                return r;
            }
            if !self.pump(deadline) {
                panic!(
                    "no response to request {id} within {timeout:?}\n--- server stderr ---\n{}",
                    self.stderr_text()
                );
            }
        }
    }

    /// A request's `result` (panics on an error response).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        let r = self.response(id, TIMEOUT);
        if let Some(e) = r.get("error") {
            panic!("{method} failed: {e}");
        }
        r["result"].clone()
    }

    /// A request's whole response (result or error).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id, TIMEOUT)
    }

    /// The next notification named `method` not yet returned by this function.
    pub fn wait_notification(&mut self, method: &str, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            while self.consumed < self.notifications.len() {
                let (_, n) = &self.notifications[self.consumed];
                self.consumed += 1;
                if n["method"] == method {
                    return Some(n["params"].clone());
                }
            }
            if !self.pump(deadline) {
                return None;
            }
        }
    }

    /// Waits until the latest publication for `uri` satisfies `pred`; returns it.
    pub fn wait_diagnostics(
        &mut self,
        uri: &str,
        timeout: Duration,
        pred: impl Fn(&Published) -> bool,
    ) -> Option<Published> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(p) = self.diagnostics.get(uri).and_then(|v| v.last())
                && pred(p)
            {
                return Some(p.clone());
            }
            if !self.pump(deadline) {
                return None;
            }
        }
    }

    /// Reads messages until `done` holds (true) or `timeout` passes (false).
    pub fn wait_until(&mut self, timeout: Duration, done: impl Fn(&LspClient) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(self) {
                return true;
            }
            if !self.pump(deadline) {
                return done(self);
            }
        }
    }

    /// Reads whatever arrives within `d` (to see what a quiet server still sends).
    pub fn drain(&mut self, d: Duration) {
        let deadline = Instant::now() + d;
        while self.pump(deadline) {}
    }

    /// `initialize` with the given workspace folder and client capabilities, then `initialized`.
    pub fn initialize(&mut self, root: &Path, capabilities: Value, options: Value) -> Value {
        self.initialize_as(root, capabilities, options, "")
    }

    /// `initialize` as a client that names itself `client` in `clientInfo` ("" names none).
    pub fn initialize_as(
        &mut self,
        root: &Path,
        capabilities: Value,
        options: Value,
        client: &str,
    ) -> Value {
        let mut params = json!({
            "processId": std::process::id(),
            "rootUri": uri(root),
            "workspaceFolders": [{"uri": uri(root), "name": "ws"}],
            "capabilities": capabilities,
            "initializationOptions": options,
        });
        if !client.is_empty() {
            params["clientInfo"] = json!({"name": client, "version": "0"});
        }
        let r = self.request("initialize", params);
        self.notify("initialized", json!({}));
        r
    }

    pub fn open(&mut self, path: &Path, language: &str) -> String {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.open_text(path, language, &text)
    }

    pub fn open_text(&mut self, path: &Path, language: &str, text: &str) -> String {
        let u = uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": language, "version": 1, "text": text}}),
        );
        u
    }

    /// One incremental change (`range` as `[line, character, line, character]`).
    pub fn change(&mut self, uri: &str, version: i64, range: [u32; 4], text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {
                    "start": {"line": range[0], "character": range[1]},
                    "end": {"line": range[2], "character": range[3]}}, "text": text}]
            }),
        );
    }

    /// Replaces the whole text.
    pub fn change_full(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// `shutdown`, `exit`, and the process's exit status (waits up to 10 s).
    pub fn shutdown_and_exit(&mut self) -> Option<ExitStatus> {
        let _ = self.request_raw("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        self.wait_exit(Duration::from_secs(10))
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Closes the server's stdin (as a crashing client would).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len: Option<usize> = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse().ok();
        }
    }
    let mut body = vec![0u8; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// UTF-16 position (line, character) of a byte offset in `text`, as an editor counts.
pub fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let col: usize = text[start..offset].chars().map(char::len_utf16).sum();
    (line, col as u32)
}

/// UTF-8 position (line, byte column) of a byte offset.
pub fn position_utf8(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, (offset - start) as u32)
}

/// Byte offset of a UTF-16 position.
pub fn offset(text: &str, line: u32, character: u32) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        if units >= character {
            return start + i;
        }
        units += c.len_utf16() as u32;
    }
    end
}

/// `{"line":…, "character":…}` of the n-th occurrence (0-based) of `needle`, plus `delta` bytes.
pub fn pos_of(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let at = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in text"))
        .0
        + delta;
    let (l, c) = position(text, at);
    json!({"line": l, "character": c})
}
