//! Reliability scenarios every HTTP provider must pass: success with usage and cost, repair of a
//! malformed answer, bounded failure with the raw text saved, 429 with retry-after, 500 then
//! success, 401 with the variable to set, no retry on 400, request timeout, cancellation.

use crate::common::{Flavor, bad, fast_http, good, request, structured, tempdir};
use pact_agents::{AgentError, Backend, CancellationToken};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    MockServer::start().await
}

fn ok(f: &Flavor, answer: &serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json((f.ok_body)(answer, 1000, 200))
}

pub async fn success_usage_and_cost(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(ok(f, &good()))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured((f.build)(&s.uri(), fast_http()), raw.path());
    let a = b.complete(&request(), &CancellationToken::new()).await;
    let a = match a {
        Ok(a) => a,
        Err(e) => panic!("{}: {e}", f.name),
    };
    assert_eq!(a.value, good());
    assert_eq!(a.attempts, 1);
    assert_eq!(
        (a.usage.input_tokens, a.usage.output_tokens),
        (1000, 200),
        "{}",
        f.name
    );
    assert!(!a.usage.estimated);
    // 1000 × $3/M + 200 × $15/M
    assert!(
        (a.cost_usd - 0.006).abs() < 1e-12,
        "{}: {}",
        f.name,
        a.cost_usd
    );
    assert_eq!(b.name(), f.name);
}

pub async fn malformed_then_repaired(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(ok(f, &bad()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    // The second request must carry the validation errors back to the model.
    Mock::given(method("POST"))
        .and(path(f.path))
        .and(body_string_contains(
            "does not match the JSON Schema of `Widget`",
        ))
        .and(body_string_contains("missing required property `count`"))
        .respond_with(ok(f, &good()))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured((f.build)(&s.uri(), fast_http()), raw.path());
    let a = b.complete(&request(), &CancellationToken::new()).await;
    let a = match a {
        Ok(a) => a,
        Err(e) => panic!("{}: {e}", f.name),
    };
    assert_eq!(a.value, good());
    assert_eq!(a.attempts, 2);
    assert_eq!(a.usage.input_tokens, 2000, "usage adds up over attempts");
    assert!((a.cost_usd - 0.012).abs() < 1e-12);
}

pub async fn never_valid_fails_with_raw_text_saved(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(ok(f, &bad()))
        .expect(3)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured((f.build)(&s.uri(), fast_http()), raw.path());
    match b.complete(&request(), &CancellationToken::new()).await {
        Err(AgentError::SchemaFailed {
            role,
            schema_name,
            attempts,
            errors,
            raw_path: Some(p),
        }) => {
            assert_eq!(
                (role.as_str(), schema_name.as_str(), attempts),
                ("decomposer", "Widget", 3)
            );
            assert!(
                errors.contains("$: missing required property `count`"),
                "{errors}"
            );
            assert!(
                errors.contains("$.name: expected string, got integer"),
                "{errors}"
            );
            assert!(p.starts_with(raw.path()));
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            assert!(
                text.contains("attempt 3") && text.contains("{\"name\":5}"),
                "{text}"
            );
        }
        other => panic!(
            "{}: expected SchemaFailed with a raw file, got {other:?}",
            f.name
        ),
    }
}

pub async fn rate_limited_honours_retry_after(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0.3")
                .set_body_string("slow down"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(ok(f, &good()))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured((f.build)(&s.uri(), fast_http()), raw.path());
    let started = Instant::now();
    let a = b.complete(&request(), &CancellationToken::new()).await;
    assert!(a.is_ok(), "{}: {a:?}", f.name);
    // The policy's own backoff is 5 ms: only retry-after explains the wait.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

pub async fn rate_limited_until_retries_run_out(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(serde_json::json!({"error": {"message": "quota"}})),
        )
        .expect(4)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured((f.build)(&s.uri(), fast_http()), raw.path());
    match b.complete(&request(), &CancellationToken::new()).await {
        Err(AgentError::RateLimited {
            attempts: 4,
            message,
            ..
        }) => assert_eq!(message, "quota"),
        other => panic!("{}: {other:?}", f.name),
    }
}

pub async fn server_error_then_success(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(ResponseTemplate::new(529).set_body_string("overloaded"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(ok(f, &good()))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured((f.build)(&s.uri(), fast_http()), raw.path());
    let a = b.complete(&request(), &CancellationToken::new()).await;
    assert_eq!(a.ok().map(|a| a.value), Some(good()), "{}", f.name);
}

pub async fn unauthorized_names_the_variable(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": {"message": "invalid key"}})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured((f.build)(&s.uri(), fast_http()), raw.path());
    let e = b
        .complete(&request(), &CancellationToken::new())
        .await
        .err();
    assert!(
        matches!(e, Some(AgentError::Auth { status: 401, .. })),
        "{}: {e:?}",
        f.name
    );
    let msg = e.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains(f.key_var) && msg.contains("invalid key"),
        "{msg}"
    );
}

pub async fn bad_request_is_not_retried(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"error": {"message": "model: unknown"}})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured((f.build)(&s.uri(), fast_http()), raw.path());
    match b.complete(&request(), &CancellationToken::new()).await {
        Err(AgentError::BadRequest {
            status: 400,
            message,
            ..
        }) => assert_eq!(message, "model: unknown"),
        other => panic!("{}: {other:?}", f.name),
    }
}

pub async fn request_timeout(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(ok(f, &good()).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let mut http = fast_http();
    http.timeouts.request = Duration::from_millis(300);
    let b = structured((f.build)(&s.uri(), http), raw.path());
    let started = Instant::now();
    let e = b
        .complete(&request(), &CancellationToken::new())
        .await
        .err();
    assert!(
        matches!(e, Some(AgentError::Timeout { .. })),
        "{}: {e:?}",
        f.name
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

pub async fn cancellation(f: &Flavor) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(f.path))
        .respond_with(ok(f, &good()).set_delay(Duration::from_secs(3)))
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured((f.build)(&s.uri(), fast_http()), raw.path());
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let e = b.complete(&request(), &cancel).await.err();
    assert!(
        matches!(e, Some(AgentError::Cancelled)),
        "{}: {e:?}",
        f.name
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Dropping the future stops the call too.
    let dropped = tokio::time::timeout(
        Duration::from_millis(100),
        b.complete(&request(), &CancellationToken::new()),
    )
    .await;
    assert!(dropped.is_err());
    // A token cancelled before the call means no request at all.
    let before = s.received_requests().await.map(|r| r.len()).unwrap_or(0);
    let e = b.complete(&request(), &cancel).await.err();
    assert!(matches!(e, Some(AgentError::Cancelled)));
    assert_eq!(
        s.received_requests().await.map(|r| r.len()).unwrap_or(0),
        before
    );
}

/// One `#[tokio::test]` per scenario for a flavor.
#[macro_export]
macro_rules! scenario_tests {
    ($flavor:expr) => {
        #[tokio::test]
        async fn success_usage_and_cost() {
            $crate::scenarios::success_usage_and_cost(&$flavor).await
        }
        #[tokio::test]
        async fn malformed_then_repaired() {
            $crate::scenarios::malformed_then_repaired(&$flavor).await
        }
        #[tokio::test]
        async fn never_valid_fails_with_raw_text_saved() {
            $crate::scenarios::never_valid_fails_with_raw_text_saved(&$flavor).await
        }
        #[tokio::test]
        async fn rate_limited_honours_retry_after() {
            $crate::scenarios::rate_limited_honours_retry_after(&$flavor).await
        }
        #[tokio::test]
        async fn rate_limited_until_retries_run_out() {
            $crate::scenarios::rate_limited_until_retries_run_out(&$flavor).await
        }
        #[tokio::test]
        async fn server_error_then_success() {
            $crate::scenarios::server_error_then_success(&$flavor).await
        }
        #[tokio::test]
        async fn unauthorized_names_the_variable() {
            $crate::scenarios::unauthorized_names_the_variable(&$flavor).await
        }
        #[tokio::test]
        async fn bad_request_is_not_retried() {
            $crate::scenarios::bad_request_is_not_retried(&$flavor).await
        }
        #[tokio::test]
        async fn request_timeout() {
            $crate::scenarios::request_timeout(&$flavor).await
        }
        #[tokio::test]
        async fn cancellation() {
            $crate::scenarios::cancellation(&$flavor).await
        }
    };
}
