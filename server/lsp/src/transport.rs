//! A guard in front of the protocol codec. tower-lsp-server's decoder stops reading for good on
//! the first malformed message (a body that is not UTF-8, not JSON, or not JSON-RPC), which
//! would end the session. Here every frame is checked first; bad ones are logged and dropped,
//! good ones are passed on unchanged.

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// Larger messages are skipped (no Pact document comes near this).
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// The input with malformed frames removed.
pub fn sanitize<R: AsyncRead + Unpin + Send + 'static>(input: R) -> DuplexStream {
    let (mut tx, rx) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut reader = BufReader::new(input);
        while let Some(body) = next_frame(&mut reader).await {
            let Some(body) = checked(body) else { continue };
            let header = format!("Content-Length: {}\r\n\r\n", body.len());
            if tx.write_all(header.as_bytes()).await.is_err()
                || tx.write_all(body.as_bytes()).await.is_err()
            {
                return;
            }
        }
        let _ = tx.shutdown().await;
    });
    rx
}

/// The next frame's body; `None` at the end of the input.
async fn next_frame<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Vec<u8>> {
    loop {
        let mut len: Option<usize> = None;
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).await.ok()? == 0 {
                return None;
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim();
            if text.is_empty() {
                if len.is_some() {
                    break;
                }
                continue;
            }
            if let Some((name, value)) = text.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                len = value.trim().parse().ok();
            }
        }
        let len = len?;
        if len > MAX_MESSAGE {
            tracing::warn!("skipped a {len}-byte message");
            let mut rest = reader.take(len as u64);
            tokio::io::copy(&mut rest, &mut tokio::io::sink())
                .await
                .ok()?;
            continue;
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).await.ok()?;
        return Some(body);
    }
}

/// The body as text when it is a JSON-RPC message the codec will accept.
fn checked(body: Vec<u8>) -> Option<String> {
    let text = match String::from_utf8(body) {
        Ok(t) => t,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let ok = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => {
            let id_ok = m
                .get("id")
                .is_none_or(|id| id.is_i64() || id.is_string() || id.is_null());
            let is_request = m.get("method").is_some_and(Value::is_string);
            let is_response =
                m.contains_key("id") && (m.contains_key("result") || m.contains_key("error"));
            m.get("jsonrpc").and_then(Value::as_str) == Some("2.0")
                && id_ok
                && (is_request || is_response)
        }
        _ => false,
    };
    if !ok {
        let shown: String = text.chars().take(80).collect();
        tracing::warn!("dropped a malformed message: {shown:?}");
        return None;
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bad_frames_are_dropped_and_good_ones_kept() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: 5\r\n\r\n\u{ff}xyz!junk line\r\nContent-Length: 7\r\n\r\n[1,2,3]Content-Length: {}\r\n\r\n{good}",
            good.len()
        );
        let mut out = sanitize(std::io::Cursor::new(input.into_bytes()));
        let mut s = String::new();
        let _ = out.read_to_string(&mut s).await;
        assert_eq!(s, format!("Content-Length: {}\r\n\r\n{good}", good.len()));
    }
}
