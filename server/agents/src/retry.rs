//! When and how long to wait before trying a failed HTTP call again.
//!
//! Retried: 408, 409, 429, 5xx (529 "overloaded" included) and connection failures. Not retried:
//! 400/401/403/404/413/422 (the same request fails the same way) and a request that ran into its
//! whole-request timeout (a stalled generation tends to stall again, and each try costs the full
//! timeout). A server's `retry-after` (or `retry-after-ms`) wins over the computed backoff.

use reqwest::header::HeaderMap;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first try: `max_retries + 1` attempts in all.
    pub max_retries: u32,
    /// The first backoff; doubled for each further retry.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A server asking for a longer pause than this is not waited for beyond it.
    pub max_retry_after: Duration,
    /// Randomize each backoff within [half, full] so parallel agents do not retry in lockstep.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Fast retries for tests and local servers.
    pub fn fast(max_retries: u32) -> Self {
        Self {
            max_retries,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
            jitter: true,
        }
    }

    /// The pause before retry number `retry` (0 = the first retry).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(self.max_retry_after);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(20)));
        let capped = exp.min(self.max_delay);
        if self.jitter && !capped.is_zero() {
            let half = capped / 2;
            half + half.mul_f64(fastrand::f64())
        } else {
            capped
        }
    }
}

pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// `retry-after-ms` (OpenAI) or `retry-after` in seconds (fractions accepted). HTTP-date forms
/// are ignored: the computed backoff applies then.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    get("retry-after")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_caps_and_jitters_within_half() {
        let p = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay(0, None), Duration::from_secs(1));
        assert_eq!(p.delay(2, None), Duration::from_secs(4));
        assert_eq!(p.delay(10, None), Duration::from_secs(30));
        let j = RetryPolicy::default();
        for _ in 0..50 {
            let d = j.delay(1, None);
            assert!(
                d >= Duration::from_secs(1) && d <= Duration::from_secs(2),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(3, Some(Duration::from_millis(300))),
            Duration::from_millis(300)
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(999))),
            Duration::from_secs(120)
        );
    }

    #[test]
    fn parses_retry_after_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h), None);
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_millis(250)));
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 409, 429, 500, 502, 503, 529] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }
}
