//! The HTTP round trip shared by the API providers: JSON in and out, timeouts, retries, and the
//! mapping of HTTP failures to errors that say what to do. Keys travel only in headers marked
//! sensitive, so they never show up in `Debug` output or logs.

use crate::error::{AgentError, Result};
use crate::retry::{RetryPolicy, is_retryable_status, parse_retry_after};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use std::time::Duration;

/// Connect and whole-request limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
}

impl Default for Timeouts {
    /// 10 min for the whole request, as the original's SDK clients: long structured answers
    /// from large models take minutes.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(600),
        }
    }
}

/// Settings every HTTP provider takes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpOptions {
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
}

/// TLS is rustls with the `ring` crypto provider (ARCHITECTURE.md, Choices), made the process
/// default before the first client is built: reqwest (feature `rustls-no-provider`) has none of
/// its own and cannot build a client without one. A provider a host program installed first
/// stays, and is used.
pub(crate) fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}

#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    backend: String,
    /// The environment variable the key came from, named in auth errors.
    key_var: String,
    options: HttpOptions,
}

impl Transport {
    /// A client for `base_url`. A server on this machine (Ollama, a mock) is reached directly,
    /// never through an `HTTP(S)_PROXY` from the environment.
    pub(crate) fn new(
        backend: &str,
        key_var: &str,
        base_url: &str,
        options: HttpOptions,
    ) -> Result<Self> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.timeouts.connect)
            .user_agent(concat!("pact/", env!("CARGO_PKG_VERSION")));
        if is_loopback(base_url) {
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|e| {
            AgentError::Config(format!("{backend}: cannot set up the HTTP client: {e}"))
        })?;
        Ok(Self {
            client,
            backend: backend.to_string(),
            key_var: key_var.to_string(),
            options,
        })
    }

    /// Builds a header map; `sensitive` values are hidden from `Debug`.
    pub(crate) fn headers(&self, pairs: &[(&'static str, &str, bool)]) -> Result<HeaderMap> {
        let mut map = HeaderMap::new();
        map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value, sensitive) in pairs {
            let mut v = HeaderValue::from_str(value).map_err(|_| {
                AgentError::Config(format!(
                    "{}: the value for header `{name}` has characters HTTP does not allow{}",
                    self.backend,
                    if *sensitive {
                        format!(" (check {})", self.key_var)
                    } else {
                        String::new()
                    }
                ))
            })?;
            v.set_sensitive(*sensitive);
            map.insert(HeaderName::from_static(name), v);
        }
        Ok(map)
    }

    /// POSTs `body`, retrying per the policy; returns the parsed JSON of a 2xx answer.
    pub(crate) async fn post_json(
        &self,
        url: &str,
        headers: HeaderMap,
        body: &Value,
    ) -> Result<Value> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            AgentError::Config(format!("{}: cannot encode the request: {e}", self.backend))
        })?;
        let policy = &self.options.retry;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let sent = self
                .client
                .post(url)
                .timeout(self.options.timeouts.request)
                .headers(headers.clone())
                .body(bytes.clone())
                .send()
                .await;
            let (retry_after, failure) = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = parse_retry_after(resp.headers());
                    let text = match resp.text().await {
                        Ok(t) => t,
                        Err(e) => {
                            let err = self.transport_error(&e, attempt);
                            if matches!(err, AgentError::Connection { .. })
                                && attempt <= policy.max_retries
                            {
                                self.pause(attempt, None, &err).await;
                                continue;
                            }
                            return Err(err);
                        }
                    };
                    if (200..300).contains(&status) {
                        return serde_json::from_str(&text).map_err(|e| AgentError::Protocol {
                            backend: self.backend.clone(),
                            message: format!(
                                "the response is not JSON ({e}): {}",
                                clip(&text, 300)
                            ),
                        });
                    }
                    let err = self.status_error(status, &text, attempt);
                    if !is_retryable_status(status) {
                        return Err(err);
                    }
                    (retry_after, err)
                }
                Err(e) => {
                    let err = self.transport_error(&e, attempt);
                    if !matches!(err, AgentError::Connection { .. }) {
                        return Err(err);
                    }
                    (None, err)
                }
            };
            if attempt > policy.max_retries {
                return Err(failure);
            }
            self.pause(attempt, retry_after, &failure).await;
        }
    }

    async fn pause(&self, attempt: u32, retry_after: Option<Duration>, why: &AgentError) {
        let delay = self.options.retry.delay(attempt - 1, retry_after);
        tracing::warn!(backend = %self.backend, attempt, delay_ms = delay.as_millis() as u64, "retrying: {why}");
        tokio::time::sleep(delay).await;
    }

    fn status_error(&self, status: u16, body: &str, attempts: u32) -> AgentError {
        let message = error_message(body);
        let backend = self.backend.clone();
        // Gemini answers a bad key with 400 INVALID_ARGUMENT "API key not valid".
        let bad_key = status == 400 && message.to_ascii_lowercase().contains("api key");
        match status {
            401 | 403 => AgentError::Auth {
                backend,
                var: self.key_var.clone(),
                status,
                message,
            },
            _ if bad_key => AgentError::Auth {
                backend,
                var: self.key_var.clone(),
                status,
                message,
            },
            429 => AgentError::RateLimited {
                backend,
                attempts,
                message,
            },
            s if is_retryable_status(s) => AgentError::Server {
                backend,
                status,
                attempts,
                message,
            },
            _ => AgentError::BadRequest {
                backend,
                status,
                message,
            },
        }
    }

    fn transport_error(&self, e: &reqwest::Error, attempts: u32) -> AgentError {
        let backend = self.backend.clone();
        if e.is_timeout() && !e.is_connect() {
            return AgentError::Timeout {
                backend,
                seconds: self.options.timeouts.request.as_secs_f64(),
            };
        }
        if e.is_builder() {
            return AgentError::Config(format!("{backend}: invalid request URL or setting: {e}"));
        }
        AgentError::Connection {
            backend,
            attempts,
            message: error_chain(e),
        }
    }
}

/// The provider's own message: `error.message` (Anthropic, OpenAI, Gemini), `message`, or text.
/// The provider's error message, with anything that looks like a credential masked: some
/// providers echo the key they were sent, and this text reaches terminals and CI logs.
fn error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let msg = v
            .pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .and_then(Value::as_str);
        if let Some(m) = msg {
            return clip(&redact(m), 500);
        }
    }
    let t = body.trim();
    if t.is_empty() {
        "(empty response body)".to_string()
    } else {
        clip(&redact(t), 500)
    }
}

/// Masks credential-like tokens: runs of 20 or more key characters (letters, digits, `-`, `_`,
/// `.`, `*`) in mixed case with digits or with a provider's key prefix (`sk-ant-api03-…`,
/// `AIza…`), and long hex strings; the first four characters stay so the user can tell which
/// key it was.
pub(crate) fn redact(text: &str) -> String {
    let is_key = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*');
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        let upper = token.chars().any(|c| c.is_ascii_uppercase());
        let lower = token.chars().any(|c| c.is_ascii_lowercase());
        let digits = token.chars().any(|c| c.is_ascii_digit());
        let hex = token.chars().all(|c| c.is_ascii_hexdigit());
        let prefixed = ["sk-", "AIza", "xai-", "gsk_", "Bearer"]
            .iter()
            .any(|p| token.starts_with(p));
        let n = token.chars().count();
        // Keys are mixed-case base62, or carry a known prefix, or are long hex; model names
        // (`claude-sonnet-4-5-20250929`) are none of these.
        if (n >= 20 && ((upper && lower && digits) || prefixed)) || (n >= 32 && hex) {
            out.extend(token.chars().take(4));
            out.push_str("…[redacted]");
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in text.chars() {
        if is_key(c) {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let m = inner.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        source = inner.source();
    }
    s
}

pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max).collect::<String>() + "..."
    }
}

fn is_loopback(url: &str) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .is_some_and(|h| {
            let h = h.trim_start_matches('[').trim_end_matches(']');
            h.eq_ignore_ascii_case("localhost")
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        })
}

/// `base` without a trailing slash, joined to `path`.
pub(crate) fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echoed_key_never_reaches_the_message() {
        let body = r#"{"error": {"message": "Incorrect API key provided: sk-proj-AbC123xyz987QWErty456. You can find your key at https://example.invalid/keys."}}"#;
        let m = error_message(body);
        assert!(!m.contains("AbC123xyz987QWErty456"), "{m}");
        assert!(m.contains("sk-p…[redacted]"), "{m}");
        assert!(m.contains("You can find your key at"), "{m}");
        assert_eq!(
            redact("model claude-opus-4-6 not found"),
            "model claude-opus-4-6 not found"
        );
        let model = "model claude-sonnet-4-5-20250929 is unknown";
        assert_eq!(redact(model), model);
        assert!(redact("key 0123456789abcdef0123456789abcdef0123").contains("[redacted]"));
        assert_eq!(error_message("invalid x-api-key"), "invalid x-api-key");
    }

    #[test]
    fn provider_error_messages_are_extracted() {
        assert_eq!(
            error_message(
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#
            ),
            "invalid x-api-key"
        );
        assert_eq!(
            error_message(
                r#"{"error":{"code":400,"message":"API key not valid","status":"INVALID_ARGUMENT"}}"#
            ),
            "API key not valid"
        );
        assert_eq!(error_message("  "), "(empty response body)");
        assert_eq!(
            error_message("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn https_clients_are_built_with_the_ring_provider() {
        let t = Transport::new(
            "anthropic",
            "ANTHROPIC_API_KEY",
            "https://api.anthropic.com",
            HttpOptions::default(),
        );
        assert!(t.is_ok(), "{:?}", t.err());
        let installed = rustls::crypto::CryptoProvider::get_default().expect("a provider");
        let suites = |p: &rustls::crypto::CryptoProvider| -> Vec<rustls::CipherSuite> {
            p.cipher_suites.iter().map(|s| s.suite()).collect()
        };
        assert_eq!(
            suites(installed),
            suites(&rustls::crypto::ring::default_provider())
        );
        // Building another client (or installing again) is fine.
        install_crypto_provider();
        assert!(
            Transport::new(
                "openai",
                "OPENAI_API_KEY",
                "https://api.openai.com/v1",
                HttpOptions::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("http://127.0.0.1:11434/v1"));
        assert!(is_loopback("http://localhost:8080"));
        assert!(is_loopback("http://[::1]:1234/v1"));
        assert!(!is_loopback("https://api.openai.com/v1"));
        assert!(!is_loopback("not a url"));
    }

    #[test]
    fn urls_join_cleanly() {
        assert_eq!(
            join_url("http://h/v1/", "/chat/completions"),
            "http://h/v1/chat/completions"
        );
        assert_eq!(join_url("http://h", "v1/messages"), "http://h/v1/messages");
    }

    #[test]
    fn sensitive_headers_do_not_leak_in_debug() -> Result<()> {
        let t = Transport::new(
            "anthropic",
            "ANTHROPIC_API_KEY",
            "https://api.anthropic.com",
            HttpOptions::default(),
        )?;
        let h = t.headers(&[
            ("x-api-key", "sk-secret-123", true),
            ("anthropic-version", "2023-06-01", false),
        ])?;
        let shown = format!("{h:?}");
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(shown.contains("2023-06-01"));
        let bad = t.headers(&[("x-api-key", "bad\nkey", true)]);
        assert!(
            bad.err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("ANTHROPIC_API_KEY")
        );
        Ok(())
    }
}
