//! Hostile framing over real stdio (issue #15): the server binary gets raw bytes — lengths that
//! are not numbers, negative, past `u64`, 10 bytes too long or too short, a body with no header,
//! NUL bytes between frames — each followed by a valid request, which must be answered within a
//! bounded wait; and requests JSON-RPC calls invalid (float or object ids, no `jsonrpc`, `$/…`
//! requests) get their error responses. The bytes are written as they are, not through the
//! shared test client (which only writes well-formed frames).

mod support;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// Generous for a debug build on a busy machine; a deaf server fails here instead of hanging.
const WAIT: Duration = Duration::from_secs(20);

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// A request every initialised server answers at once (an empty workspace: no symbols).
fn request(id: i64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "workspace/symbol", "params": {"query": "x"}})
        .to_string()
}

/// The server binary on a pipe: raw bytes in, every message it writes out (parsed strictly:
/// a malformed frame from the server fails the test).
struct Raw {
    child: Child,
    stdin: ChildStdin,
    out: Receiver<Value>,
    seen: Vec<Value>,
    _root: tempfile::TempDir,
}

impl Raw {
    /// Started on an empty workspace, initialised.
    fn start() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(support::server())
            .current_dir(root.path())
            .env_remove("PACT_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pact-lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, out) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end_matches(['\r', '\n']);
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) =
                        line.split_once(':').expect("a header line from the server");
                    if name.eq_ignore_ascii_case("content-length") {
                        len = Some(value.trim().parse::<usize>().expect("a length"));
                    }
                }
                let mut body = vec![0; len.expect("Content-Length from the server")];
                r.read_exact(&mut body).expect("a body");
                let msg: Value = serde_json::from_slice(&body).expect("JSON from the server");
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
        let uri = format!("file://{}", root.path().display());
        let mut s = Raw {
            child,
            stdin,
            out,
            seen: Vec::new(),
            _root: root,
        };
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "processId": null, "rootUri": uri, "capabilities": {},
            "workspaceFolders": [{"uri": uri, "name": "w"}],
        }});
        s.write(&frame(&init.to_string()));
        s.response(&json!(0));
        s.write(&frame(
            r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
        ));
        s
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    /// The first message `want` accepts (of those not taken yet); panics after `WAIT`.
    fn wait_for(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(&want) {
            return self.seen.remove(i);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.out.recv_timeout(left) {
                Ok(m) if want(&m) => return m,
                Ok(m) => self.seen.push(m),
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no {what} within {WAIT:?}; the server sent {:#?}",
                        self.seen
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the server closed its output before {what}: {:#?}",
                        self.seen
                    )
                }
            }
        }
    }

    /// The response to request `id`.
    fn response(&mut self, id: &Value) -> Value {
        self.wait_for(&format!("response to {id}"), |m| {
            m.get("method").is_none() && m.get("id") == Some(id)
        })
    }

    /// Asks a valid request and checks it is answered.
    fn answers(&mut self, id: i64, after: &str) {
        self.write(&frame(&request(id)));
        let r = self.response(&json!(id));
        assert!(r.get("result").is_some(), "after {after}: {r}");
    }

    /// `shutdown` then `exit`: the process ends with success.
    fn shut_down(mut self) {
        self.write(&frame(
            r#"{"jsonrpc":"2.0","id":"bye","method":"shutdown"}"#,
        ));
        self.response(&json!("bye"));
        self.write(&frame(r#"{"jsonrpc":"2.0","method":"exit"}"#));
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "exit status {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The inputs of issue #15 item 2. Each is written, then a valid request (id 7), in one write:
/// the bad bytes run straight into the next header, as they do on a real pipe.
fn hostile() -> Vec<(&'static str, Vec<u8>)> {
    let body = request(100);
    let n = body.len();
    vec![
        (
            "Content-Length: abc",
            format!("Content-Length: abc\r\n\r\n{body}").into(),
        ),
        (
            "Content-Length: -5",
            format!("Content-Length: -5\r\n\r\n{body}").into(),
        ),
        (
            "Content-Length: 10^20",
            format!("Content-Length: 100000000000000000000\r\n\r\n{body}").into(),
        ),
        (
            "a length 10 bytes too long",
            format!("Content-Length: {}\r\n\r\n{body}", n + 10).into(),
        ),
        (
            "a length 10 bytes too short",
            format!("Content-Length: {}\r\n\r\n{body}", n - 10).into(),
        ),
        ("a body with no header", body.clone().into()),
        ("NUL bytes between frames", vec![0; 16]),
        (
            "a length over the limit",
            format!("Content-Length: 70000000\r\n\r\n{body}").into(),
        ),
        (
            "a length under the limit that lies",
            format!("Content-Length: 50000000\r\n\r\n{body}").into(),
        ),
        ("a header with no body", b"Content-Length: 52\r\n".to_vec()),
        ("a body that is not JSON", frame("{\"jsonrpc\":\"2.0\",")),
        (
            "a body that is not UTF-8",
            b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc".to_vec(),
        ),
    ]
}

#[test]
fn each_bad_frame_then_a_valid_request_is_answered() {
    for (name, bad) in hostile() {
        let mut s = Raw::start();
        let mut bytes = bad;
        bytes.extend_from_slice(&frame(&request(7)));
        s.write(&bytes);
        let r = s.response(&json!(7));
        assert!(r.get("result").is_some(), "{name}: {r}");
        // Still a working session, not one lucky answer.
        s.answers(8, name);
        s.shut_down();
    }
}

#[test]
fn one_session_survives_every_bad_frame_in_turn() {
    let mut s = Raw::start();
    for (i, (name, bad)) in hostile().into_iter().enumerate() {
        s.write(&bad);
        s.answers(1000 + i as i64, name);
    }
    s.shut_down();
}

#[test]
fn a_dropped_frame_is_reported_in_the_client_log() {
    let mut s = Raw::start();
    s.write(b"Content-Length: abc\r\n\r\n");
    s.answers(1, "a bad header");
    s.wait_for("warning about the dropped bytes", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["type"] == 2
            && m["params"]["message"]
                .as_str()
                .is_some_and(|t| t.contains("not a frame"))
    });
}

#[test]
fn invalid_json_rpc_gets_error_responses() {
    let mut s = Raw::start();
    // (body, the id the error answers, its code)
    let cases = [
        (
            r#"{"jsonrpc":"2.0","id":1.5,"method":"workspace/symbol","params":{"query":""}}"#,
            Value::Null,
            -32600,
        ),
        (
            r#"{"jsonrpc":"2.0","id":{"n":1},"method":"workspace/symbol","params":{"query":""}}"#,
            Value::Null,
            -32600,
        ),
        (
            r#"{"id":41,"method":"workspace/symbol","params":{"query":""}}"#,
            json!(41),
            -32600,
        ),
        (r#"{"jsonrpc":"2.0","id":42}"#, json!(42), -32600),
        (r#"[]"#, Value::Null, -32600),
        (
            r#"{"jsonrpc":"2.0","id":43,"method":"$/pact/unknown"}"#,
            json!(43),
            -32601,
        ),
        (
            r#"{"jsonrpc":"2.0","id":"c","method":"$/cancelRequest","params":{"id":1}}"#,
            json!("c"),
            -32601,
        ),
        (r#"{"jsonrpc":"2.0","id":44,"method""#, Value::Null, -32700),
    ];
    for (i, (body, id, code)) in cases.into_iter().enumerate() {
        s.write(&frame(body));
        let r = s.wait_for(&format!("error for {body}"), |m| {
            m.get("method").is_none() && m["id"] == id && m["error"]["code"] == code
        });
        assert_eq!(r["jsonrpc"], "2.0", "{r}");
        s.answers(2000 + i as i64, body);
    }
    // A `$/` notification is not answered, and nothing breaks.
    s.write(&frame(
        r#"{"jsonrpc":"2.0","method":"$/setTrace","params":{"value":"off"}}"#,
    ));
    s.answers(3000, "a $/ notification");
    assert!(
        !s.seen.iter().any(|m| m["id"].is_null()
            && m.get("method").is_none()
            && m["error"]["code"] == -32601),
        "{:#?}",
        s.seen
    );
    s.shut_down();
}
