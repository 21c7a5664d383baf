//! The webhook receiver: production code (or its alerting) POSTs errors as JSON
//! `{"error" | "message": "...", "log_key": "PACT:…"?}` to a port on the loopback interface.
//! A deliberately small HTTP/1.1 server: one request per connection, `Content-Length` bodies
//! only, headers up to 8 KiB, bodies up to 64 KiB, 10 s per connection, 32 connections at once.
//!
//! What it files reaches the triage and fixer agents, so it takes only what the project's own
//! code sends: the project's token (`Authorization: Bearer <token>` or `X-Pact-Token`, kept in
//! `.pact/monitoring/webhook.token`, out of git), `Content-Type: application/json`, and no
//! `Origin` — a browser always sends one, so no web page the user visits can file incidents
//! (a `text/plain` POST needs no CORS preflight, which is why the type is checked too).

use super::{Signal, SignalSource};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

pub const MAX_HEADER: usize = 8 * 1024;
pub const MAX_BODY: usize = 64 * 1024;
const CONN_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_CONNS: usize = 32;

/// A request line and headers, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub method: String,
    pub path: String,
    pub content_length: Option<usize>,
    pub chunked: bool,
    /// `Origin`: present on every request a browser makes across origins.
    pub origin: Option<String>,
    pub content_type: Option<String>,
    /// From `Authorization: Bearer …` or `X-Pact-Token`.
    pub token: Option<String>,
}

/// An HTTP error to answer with.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject(pub u16, pub String);

fn reject(code: u16, msg: impl Into<String>) -> Reject {
    Reject(code, msg.into())
}

/// Parses the head (everything before the blank line).
pub fn parse_head(head: &[u8]) -> Result<Head, Reject> {
    let text = std::str::from_utf8(head).map_err(|_| reject(400, "headers are not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request = lines.next().unwrap_or("");
    let mut parts = request.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(reject(400, "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !path.starts_with('/') {
        return Err(reject(400, "malformed request line"));
    }
    let mut content_length = None;
    let mut chunked = false;
    let (mut origin, mut content_type, mut token) = (None, None, None);
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| reject(400, "malformed header"))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        match name.as_str() {
            "content-length" => {
                let n: usize = value
                    .parse()
                    .map_err(|_| reject(400, "bad Content-Length"))?;
                if content_length.is_some_and(|c| c != n) {
                    return Err(reject(400, "conflicting Content-Length headers"));
                }
                content_length = Some(n);
            }
            "transfer-encoding" => chunked = true,
            "origin" => origin = Some(value.to_string()),
            "content-type" => content_type = Some(value.to_ascii_lowercase()),
            "authorization" => {
                token = value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
                    .map(|t| t.trim().to_string());
            }
            "x-pact-token" => token = Some(value.to_string()),
            _ => {}
        }
    }
    Ok(Head {
        method: method.to_string(),
        path: path.to_string(),
        content_length,
        chunked,
        origin,
        content_type,
        token,
    })
}

/// The project's webhook token: made (32 random hex digits, owner-only) on first use, next to
/// the monitoring state, with a `.gitignore` so it never lands in git.
pub fn token(monitoring_dir: &std::path::Path) -> std::io::Result<String> {
    let path = monitoring_dir.join("webhook.token");
    if let Ok(t) = std::fs::read_to_string(&path)
        && t.trim().len() >= 32
    {
        return Ok(t.trim().to_string());
    }
    std::fs::create_dir_all(monitoring_dir)?;
    let ignore = monitoring_dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "webhook.token\n")?;
    }
    let t: String = (0..32)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect();
    pact_core::store::fsio::write_atomic(&path, format!("{t}\n").as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(t)
}

/// Whether a request may file an incident: not from a browser, JSON, with a project's token.
fn admit(head: &Head, tokens: &[String]) -> Result<(), Reject> {
    if let Some(o) = &head.origin {
        return Err(reject(
            403,
            format!("requests from web pages (Origin: {o}) are refused"),
        ));
    }
    if !head
        .content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("application/json"))
    {
        return Err(reject(415, "Content-Type must be application/json"));
    }
    let given = head.token.as_deref().unwrap_or("");
    // Compared in full whatever the first difference, so timing says nothing about the token.
    let ok = tokens.iter().any(|t| {
        t.len() == given.len()
            && t.bytes()
                .zip(given.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    if !ok {
        return Err(reject(
            401,
            "a valid token is required (Authorization: Bearer <token>; `pact watch` shows it)",
        ));
    }
    Ok(())
}

/// The signal a body carries.
pub fn parse_body(body: &[u8], timestamp: String) -> Result<Signal, Reject> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| reject(400, format!("body is not JSON: {e}")))?;
    let o = v
        .as_object()
        .ok_or_else(|| reject(400, "body must be a JSON object"))?;
    let text = ["error", "message"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| reject(400, "body needs a non-empty string `error` or `message`"))?;
    let mut sig = Signal::new(SignalSource::Webhook, text, timestamp);
    if let Some(k) = o.get("log_key") {
        sig.log_key = k
            .as_str()
            .ok_or_else(|| reject(400, "`log_key` must be a string"))?
            .chars()
            .take(200)
            .collect();
    }
    Ok(sig)
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        415 => "Unsupported Media Type",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

async fn respond(s: &mut TcpStream, code: u16, body: &str) {
    let text = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason(code),
        body.len()
    );
    let _ = s.write_all(text.as_bytes()).await;
    let _ = s.shutdown().await;
}

async fn read_request(s: &mut TcpStream, now: &str, tokens: &[String]) -> Result<Signal, Reject> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEADER {
            return Err(reject(431, "headers too large"));
        }
        let n = s
            .read(&mut chunk)
            .await
            .map_err(|e| reject(400, e.to_string()))?;
        if n == 0 {
            return Err(reject(
                400,
                "connection closed before the end of the headers",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    if head_end > MAX_HEADER {
        return Err(reject(431, "headers too large"));
    }
    let head = parse_head(&buf[..head_end])?;
    if head.method != "POST" {
        return Err(reject(405, "only POST is accepted"));
    }
    admit(&head, tokens)?;
    if head.chunked {
        return Err(reject(
            501,
            "chunked bodies are not supported; send Content-Length",
        ));
    }
    let len = head
        .content_length
        .ok_or_else(|| reject(411, "Content-Length required"))?;
    if len > MAX_BODY {
        return Err(reject(413, format!("body larger than {MAX_BODY} bytes")));
    }
    let mut body: Vec<u8> = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = s
            .read(&mut chunk)
            .await
            .map_err(|e| reject(400, e.to_string()))?;
        if n == 0 {
            return Err(reject(400, "connection closed before the end of the body"));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    parse_body(&body, now.to_string())
}

/// Serves until `cancel`; every accepted error goes to `tx`. `project` (the project's directory,
/// when one project owns the port) is attached to each signal for attribution; `tokens` are the
/// tokens of the projects that share the port.
pub async fn serve(
    listener: TcpListener,
    tx: mpsc::Sender<Signal>,
    project: Option<String>,
    tokens: Vec<String>,
    clock: Arc<dyn super::budget::Clock>,
    cancel: CancellationToken,
) {
    let tokens = Arc::new(tokens);
    let slots = Arc::new(Semaphore::new(MAX_CONNS));
    loop {
        let (mut stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = cancel.cancelled() => return,
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tokio::spawn(async move { respond(&mut stream, 503, "busy\n").await });
            continue;
        };
        let tx = tx.clone();
        let project = project.clone();
        let tokens = tokens.clone();
        let now = super::budget::iso(clock.now());
        tokio::spawn(async move {
            let _permit = permit;
            let r =
                tokio::time::timeout(CONN_TIMEOUT, read_request(&mut stream, &now, &tokens)).await;
            match r {
                Err(_) => respond(&mut stream, 408, "timed out\n").await,
                Ok(Err(Reject(code, msg))) => respond(&mut stream, code, &format!("{msg}\n")).await,
                Ok(Ok(mut sig)) => {
                    if let Some(p) = project {
                        sig.extra.insert("project".into(), p.into());
                    }
                    if tx.send(sig).await.is_ok() {
                        respond(&mut stream, 200, "OK").await;
                    } else {
                        respond(&mut stream, 503, "shutting down\n").await;
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_and_bodies() {
        let h =
            parse_head(b"POST /report HTTP/1.1\r\nHost: x\r\nContent-Length: 12").expect("head");
        assert_eq!((h.method.as_str(), h.content_length), ("POST", Some(12)));
        assert!(parse_head(b"GARBAGE").is_err());
        assert!(parse_head(b"POST / HTTP/1.1\r\nContent-Length: x").is_err());
        assert!(parse_head(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2").is_err());
        let s = parse_body(
            br#"{"error": "boom", "log_key": "PACT:0a1b2c3d:x"}"#,
            "t".into(),
        )
        .expect("body");
        assert_eq!(
            (s.raw_text.as_str(), s.log_key.as_str()),
            ("boom", "PACT:0a1b2c3d:x")
        );
        assert!(parse_body(br#"{"message": "m"}"#, "t".into()).is_ok());
        for bad in [
            &b"[]"[..],
            b"{}",
            br#"{"error": ""}"#,
            br#"{"error": 3}"#,
            b"not json",
            br#"{"error":"e","log_key":1}"#,
        ] {
            assert_eq!(parse_body(bad, "t".into()).err().map(|r| r.0), Some(400));
        }
    }
}
