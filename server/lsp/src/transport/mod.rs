//! A guard in front of the protocol codec. tower-lsp-server's decoder stops reading for good on
//! the first malformed message (a bad header, a body that is not UTF-8, not JSON, or not
//! JSON-RPC), and a length that lies glues the next header to a body, so one bad frame would
//! leave a live server that never answers again. Here every frame is read and checked first:
//! good ones are passed on unchanged (re-framed), bad ones are logged once and dropped, and the
//! reader resynchronises on the next frame header.
//!
//! Framing. A frame is a header block — `Name: value` lines, one of them `Content-Length:
//! <digits>`, ended by an empty line (CRLF or LF) — then exactly that many bytes of body. Where
//! the input is not a frame (a bad header, NUL bytes, a body with no header, the tail of a body
//! whose length was too short), the reader skips to the next `Content-Length:` whose header block
//! parses, wherever it starts. No valid JSON text contains such a block (it needs a raw line
//! break right after the digits, which JSON allows neither inside a string nor after a letter
//! outside one), so a block found inside a frame's bytes proves that frame's length wrong: a
//! length too long is caught as soon as the next header has arrived, without waiting for bytes
//! the client will never send. A length over [`MAX_MESSAGE`] (or past `u64`) is never buffered:
//! its bytes are skipped while looking for the next header. Memory stays bounded: a header block
//! by [`MAX_HEADER`], a body by [`MAX_MESSAGE`], skipped bytes by a 13-byte tail.
//!
//! Answers. A frame whose body is not JSON gets a parse error (-32700, id null); a JSON body that
//! is not a valid request — not an object, no `"jsonrpc": "2.0"`, a method that is not a string,
//! an id that is not an integer, a string or null — gets Invalid Request (-32600) with its id
//! when the id is valid, else null (JSON-RPC 2.0 §5); a request (with an id) named `$/…` gets
//! MethodNotFound (-32601), as LSP asks (tower-lsp-server drops those unanswered). A malformed
//! response from the client is dropped: responses are never answered. The answers go out through
//! [`GuardedOutput`], between the server's own frames.

use serde_json::{Map, Value, json};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};

/// Larger messages are skipped (no Pact document comes near this).
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// Longer header blocks are not headers (a real one is under 100 bytes).
const MAX_HEADER: usize = 1024;

/// Where a frame header can start while resynchronising (compared ignoring ASCII case).
const LENGTH: &[u8] = b"content-length";

/// Frames the guard answers itself, queued for the output.
type Replies = mpsc::Sender<Vec<u8>>;

/// Wires the guard between the client and the codec: the input with malformed frames removed,
/// and the output, which also carries the guard's answers to malformed requests.
pub fn guard<I, O>(input: I, output: O) -> (DuplexStream, GuardedOutput<O>)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite,
{
    let (tx, rx) = mpsc::channel(64);
    let output = GuardedOutput {
        inner: Box::pin(output),
        replies: rx,
        pending: Vec::new(),
        written: 0,
    };
    (sanitize(input, tx), output)
}

/// The input with malformed frames removed; answers for malformed requests go to `replies`.
pub fn sanitize<R>(mut input: R, replies: Replies) -> DuplexStream
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let (mut tx, rx) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut frames = Deframer::default();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match frames.next() {
                Step::Message(text) => {
                    let header = format!("Content-Length: {}\r\n\r\n", text.len());
                    if tx.write_all(header.as_bytes()).await.is_err()
                        || tx.write_all(text.as_bytes()).await.is_err()
                    {
                        return;
                    }
                }
                // The output is gone only when the server is: nothing left to answer.
                Step::Reply(frame) => {
                    let _ = replies.send(frame).await;
                }
                Step::NeedMore => match input.read(&mut chunk).await {
                    Ok(0) => frames.finish(),
                    Ok(n) => frames.push(&chunk[..n]),
                    Err(e) => {
                        tracing::warn!("cannot read the client's input any more: {e}");
                        frames.finish();
                    }
                },
                Step::End => break,
            }
        }
        let _ = tx.shutdown().await;
    });
    rx
}

/// The server's output with the guard's answers put in between its frames. The codec writes
/// whole frames from its buffer and flushes this writer only once that buffer is empty, so a
/// flush is a frame boundary: queued answers start there (and an answer cut short by a full pipe
/// is finished before anything else is written). Waiting in `poll_flush` for the queue also
/// registers the writer's task, so an answer goes out while the server is otherwise idle.
pub struct GuardedOutput<O> {
    inner: Pin<Box<O>>,
    replies: mpsc::Receiver<Vec<u8>>,
    /// The answer being written, and how much of it is out.
    pending: Vec<u8>,
    written: usize,
}

impl<O: AsyncWrite> GuardedOutput<O> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(
                self.inner
                    .as_mut()
                    .poll_write(cx, &self.pending[self.written..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<O: AsyncWrite> AsyncWrite for GuardedOutput<O> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        this.inner.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            ready!(this.poll_pending(cx))?;
            match this.replies.poll_recv(cx) {
                Poll::Ready(Some(frame)) => this.pending = frame,
                Poll::Ready(None) | Poll::Pending => break,
            }
        }
        this.inner.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        this.inner.as_mut().poll_shutdown(cx)
    }
}

/// What the reader does next.
#[derive(Debug, PartialEq)]
enum Step {
    /// A well-formed message for the server.
    Message(String),
    /// A frame to write to the client (an error response).
    Reply(Vec<u8>),
    /// Nothing more can be decided without more input.
    NeedMore,
    /// The input has ended.
    End,
}

/// The frame reader: bytes in, steps out. Pure (no I/O), so the property tests drive it with any
/// split of the input into reads.
#[derive(Default)]
struct Deframer {
    buf: Vec<u8>,
    /// Where the unread input starts in `buf`.
    pos: usize,
    /// While a frame's body is awaited: from here on (relative to `pos`) the bytes have not been
    /// searched for a header that would prove its length wrong.
    scan: usize,
    /// Skipping bytes that are not a frame, looking for the next header.
    junk: bool,
    /// The bytes since the last frame have been reported (one warning per run of them).
    warned: bool,
    eof: bool,
}

impl Deframer {
    fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    fn finish(&mut self) {
        self.eof = true;
    }

    fn advance(&mut self, n: usize) {
        self.pos += n;
        self.scan = 0;
    }

    /// A whole frame was read (passed on, answered or dropped).
    fn consume(&mut self, n: usize) {
        self.advance(n);
        self.warned = false;
    }

    /// The bytes at `pos` start no frame: report them (once per run) and look further on.
    fn skip(&mut self, why: &str) {
        if !self.warned {
            let b = &self.buf[self.pos..];
            // Shown up to the next header, when it has arrived.
            let b = match find_header(b, 1) {
                Found::Complete(q) | Found::Partial(q) => &b[..q],
                Found::Nothing(_) => b,
            };
            tracing::warn!(
                "dropped input that is not a frame ({why}): {}; skipping to the next \
                 Content-Length header",
                preview(b)
            );
            self.warned = true;
        }
        self.advance(1);
        self.junk = true;
    }

    /// More input is needed; at the end of the input, what is left is reported and dropped.
    fn more(&mut self) -> Step {
        if !self.eof {
            return Step::NeedMore;
        }
        let left = &self.buf[self.pos..];
        if !left.iter().all(u8::is_ascii_whitespace) && (!self.junk || !self.warned) {
            tracing::warn!(
                "the input ended inside a frame; dropped {} bytes: {}",
                left.len(),
                preview(left)
            );
        }
        self.pos = self.buf.len();
        Step::End
    }

    fn next(&mut self) -> Step {
        loop {
            let b = &self.buf[self.pos..];
            if self.junk {
                match find_header(b, 0) {
                    Found::Complete(q) | Found::Partial(q) => {
                        self.junk = false;
                        self.advance(q);
                    }
                    Found::Nothing(keep) => {
                        self.advance(keep);
                        return self.more();
                    }
                }
                continue;
            }
            // Blank lines between frames are tolerated silently.
            let blank = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
            if blank > 0 {
                self.advance(blank);
                continue;
            }
            if b.is_empty() {
                return self.more();
            }
            let (header_len, len) = match parse_header(b) {
                Header::Incomplete => return self.more(),
                Header::Bad(why) => {
                    self.skip(why);
                    continue;
                }
                Header::TooLarge(declared) => {
                    tracing::warn!(
                        "skipped a message of {declared} bytes (the limit is {MAX_MESSAGE})"
                    );
                    self.warned = true;
                    self.skip("");
                    continue;
                }
                Header::Frame { header_len, len } => (header_len, len),
            };
            let end = header_len + len;
            if b.len() < end {
                // A header among the bytes awaited: the length is wrong, the frame is lost.
                match find_other_header(b, self.scan.max(1), header_len, len) {
                    Found::Complete(q) => {
                        tracing::warn!(
                            "dropped a frame whose Content-Length ({len}) runs into the next \
                             frame: {}",
                            preview(&b[header_len..q.max(header_len)])
                        );
                        self.warned = true;
                        self.advance(q);
                        continue;
                    }
                    Found::Partial(q) | Found::Nothing(q) => {
                        self.scan = q;
                        if self.eof {
                            tracing::warn!(
                                "the input ended inside a frame ({} of {len} bytes): {}",
                                b.len() - header_len,
                                preview(&b[header_len..])
                            );
                            self.pos = self.buf.len();
                            return Step::End;
                        }
                        return Step::NeedMore;
                    }
                }
            }
            let body = &b[header_len..end];
            match classify(body) {
                Verdict::Forward(text) => {
                    self.consume(end);
                    return Step::Message(text);
                }
                Verdict::Reply(frame, why) => {
                    let shown = preview(body);
                    tracing::warn!("answered a malformed message with an error ({why}): {shown}");
                    self.consume(end);
                    return Step::Reply(frame);
                }
                Verdict::Drop(why) => {
                    tracing::warn!("dropped a malformed message ({why}): {}", preview(body));
                    self.consume(end);
                }
                Verdict::NotJson(why) => {
                    // Not JSON: perhaps the length lied and the next frame starts inside.
                    match find_other_header(b, 1, header_len, len) {
                        Found::Complete(q) if q < end => {
                            tracing::warn!(
                                "dropped a frame whose Content-Length ({len}) does not match \
                                 its body: {}",
                                preview(&b[header_len..q.max(header_len)])
                            );
                            self.warned = true;
                            self.advance(q);
                            continue;
                        }
                        Found::Partial(q) if q < end && !self.eof => return Step::NeedMore,
                        _ => {}
                    }
                    tracing::warn!(
                        "answered a message that is not JSON with a parse error ({why}): {}",
                        preview(body)
                    );
                    self.consume(end);
                    // Bytes right after it (a length too short) are part of the same report.
                    self.warned = true;
                    return Step::Reply(error_frame(Value::Null, -32700, "Parse error", &why));
                }
            }
        }
    }
}

/// The start of some bytes, for a log line.
fn preview(b: &[u8]) -> String {
    let shown = &b[..b.len().min(80)];
    let more = if b.len() > shown.len() { "…" } else { "" };
    format!("{:?}{more}", String::from_utf8_lossy(shown))
}

/// A header block at the start of some bytes.
#[derive(Debug, PartialEq)]
enum Header {
    /// Could still become a header block with more bytes.
    Incomplete,
    /// Not a header block, whatever follows.
    Bad(&'static str),
    /// A frame whose body is `len` bytes after `header_len` bytes of header.
    Frame { header_len: usize, len: usize },
    /// A frame declaring more than [`MAX_MESSAGE`] bytes (the digits as written).
    TooLarge(String),
}

/// `token` characters of RFC 7230 (what a header name is made of).
fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Parses the header block at the start of `b`. Every verdict but `Incomplete` stands whatever
/// bytes follow (a line is judged as far as it goes), which keeps the reader independent of how
/// the input is split into reads.
fn parse_header(b: &[u8]) -> Header {
    let mut i = 0;
    let mut fields = 0;
    // The Content-Length value: None until seen; Some(None) when past u64.
    let mut length: Option<Option<u64>> = None;
    let mut digits = String::new();
    loop {
        let rest = &b[i..];
        let nl = rest.iter().position(|&c| c == b'\n');
        let line = match nl {
            Some(n) => rest[..n].strip_suffix(b"\r").unwrap_or(&rest[..n]),
            None => rest,
        };
        if i + line.len() > MAX_HEADER {
            return Header::Bad("header block too long");
        }
        let Some(n) = nl else {
            return match check_line(line, false) {
                Err(why) => Header::Bad(why),
                Ok(_) => Header::Incomplete,
            };
        };
        if line.is_empty() {
            if fields == 0 {
                return Header::Bad("empty header block");
            }
            return match length {
                None => Header::Bad("no Content-Length"),
                Some(Some(len)) if len <= MAX_MESSAGE as u64 => Header::Frame {
                    header_len: i + n + 1,
                    len: len as usize,
                },
                Some(_) => Header::TooLarge(digits),
            };
        }
        match check_line(line, true) {
            Err(why) => return Header::Bad(why),
            Ok(Some((name, value))) if name.eq_ignore_ascii_case(b"content-length") => {
                let text = String::from_utf8_lossy(value.trim_ascii()).into_owned();
                let parsed = text.parse::<u64>().ok();
                if length.is_some_and(|l| l != parsed) {
                    return Header::Bad("two different Content-Length values");
                }
                length = Some(parsed);
                digits = text;
            }
            Ok(_) => {}
        }
        fields += 1;
        i += n + 1;
    }
}

/// A header line's name and value.
type Field<'a> = (&'a [u8], &'a [u8]);

/// One header line, as far as it has arrived: its name and value, None while its colon has not
/// arrived, an error when no bytes that follow can make it a header line.
fn check_line(line: &[u8], complete: bool) -> Result<Option<Field<'_>>, &'static str> {
    if !complete && (line.is_empty() || line == b"\r") {
        return Ok(None);
    }
    let colon = line.iter().position(|&c| c == b':');
    let name = &line[..colon.unwrap_or(line.len())];
    if !name.iter().all(|&c| is_token(c)) {
        return Err("not a header line");
    }
    let Some(colon) = colon else {
        return if complete {
            Err("a header line without a colon")
        } else {
            Ok(None)
        };
    };
    if name.is_empty() {
        return Err("a header line without a name");
    }
    let mut value = &line[colon + 1..];
    if !complete {
        // Its LF may follow.
        value = value.strip_suffix(b"\r").unwrap_or(value);
    }
    if !value
        .iter()
        .all(|&c| c == b'\t' || (c >= b' ' && c != 0x7f))
    {
        return Err("a control character in a header");
    }
    if name.eq_ignore_ascii_case(b"content-length") {
        let v = value.trim_ascii_start();
        let d = v.iter().take_while(|c| c.is_ascii_digit()).count();
        if !v[d..].iter().all(|&c| c == b' ' || c == b'\t') || (complete && d == 0) {
            return Err("Content-Length is not a number");
        }
    }
    Ok(Some((name, value)))
}

/// A header found by [`find_header`].
#[derive(Debug, PartialEq)]
enum Found {
    /// A complete header block starts here.
    Complete(usize),
    /// A header block may start here (it needs more bytes); nothing complete before it.
    Partial(usize),
    /// None: every byte before this offset can go.
    Nothing(usize),
}

/// The first header block starting with `Content-Length` at or after `from`.
fn find_header(b: &[u8], from: usize) -> Found {
    let mut q = from;
    while q < b.len() {
        let c = b[q];
        if c == b'c' || c == b'C' {
            let rest = &b[q..];
            if rest.len() < LENGTH.len() {
                if rest.eq_ignore_ascii_case(&LENGTH[..rest.len()]) {
                    return Found::Partial(q);
                }
            } else if rest[..LENGTH.len()].eq_ignore_ascii_case(LENGTH) {
                match parse_header(rest) {
                    Header::Bad(_) => {}
                    Header::Incomplete => return Found::Partial(q),
                    Header::Frame { .. } | Header::TooLarge(_) => return Found::Complete(q),
                }
            }
        }
        q += 1;
    }
    Found::Nothing(b.len().max(from))
}

/// A header block among a frame's bytes, at or after `from`, that reads them differently (one
/// inside the frame's own header block that gives the same frame is the frame itself).
fn find_other_header(b: &[u8], mut from: usize, header_len: usize, len: usize) -> Found {
    loop {
        match find_header(b, from) {
            Found::Complete(q)
                if q < header_len
                    && parse_header(&b[q..])
                        == (Header::Frame {
                            header_len: header_len - q,
                            len,
                        }) =>
            {
                from = q + 1;
            }
            found => return found,
        }
    }
}

/// What to do with a frame's body.
#[derive(Debug)]
enum Verdict {
    /// A message the codec accepts, passed on.
    Forward(String),
    /// A malformed request, answered with this frame.
    Reply(Vec<u8>, String),
    /// A malformed response (never answered).
    Drop(&'static str),
    /// Not JSON at all.
    NotJson(String),
}

/// A JSON-RPC error response, framed.
fn error_frame(id: Value, code: i64, message: &str, data: &str) -> Vec<u8> {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message, "data": data},
    })
    .to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// An id as JSON-RPC allows it (LSP: integer or string; null is tolerated).
fn valid_id(id: &Value) -> bool {
    id.is_i64() || id.is_string() || id.is_null()
}

/// Judges a frame's body.
fn classify(body: &[u8]) -> Verdict {
    // A stray invalid byte (inside a string) is replaced rather than costing the message.
    let text = String::from_utf8_lossy(body);
    let value = match serde_json::from_str::<Value>(&text) {
        Ok(v) => v,
        Err(e) => return Verdict::NotJson(e.to_string()),
    };
    let invalid = |id: Value, why: &str| {
        Verdict::Reply(
            error_frame(id, -32600, "Invalid Request", why),
            why.to_string(),
        )
    };
    let Value::Object(m) = &value else {
        return invalid(
            Value::Null,
            "not a JSON object (batches are not part of LSP)",
        );
    };
    let id = m.get("id");
    let version_ok = m.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    if !m.contains_key("method") && (m.contains_key("result") || m.contains_key("error")) {
        // A response to one of the server's requests.
        let ok = version_ok
            && id.is_some_and(valid_id)
            && serde_json::from_str::<Response>(&text).is_ok();
        return if ok {
            Verdict::Forward(text.into_owned())
        } else {
            Verdict::Drop("a malformed response")
        };
    }
    let answer_id = id.filter(|i| valid_id(i)).cloned().unwrap_or(Value::Null);
    if let Some(why) = request_problem(m, version_ok) {
        return invalid(answer_id, why);
    }
    if serde_json::from_str::<Request>(&text).is_err() {
        return invalid(answer_id, "not a JSON-RPC request");
    }
    let method = m.get("method").and_then(Value::as_str).unwrap_or_default();
    if method.starts_with("$/") && id.is_some() {
        let why = format!("no request named {method} ($/ methods are notifications)");
        return Verdict::Reply(
            error_frame(answer_id, -32601, "Method not found", method),
            why,
        );
    }
    Verdict::Forward(text.into_owned())
}

/// Why a request object is invalid, if it is.
fn request_problem(m: &Map<String, Value>, version_ok: bool) -> Option<&'static str> {
    if !version_ok {
        Some("\"jsonrpc\" must be \"2.0\"")
    } else if !m.get("method").is_some_and(Value::is_string) {
        Some("\"method\" must be a string")
    } else if m.get("id").is_some_and(|id| !valid_id(id)) {
        Some("\"id\" must be an integer, a string or null")
    } else if m.contains_key("result") || m.contains_key("error") {
        Some("a request carries no \"result\" or \"error\"")
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
