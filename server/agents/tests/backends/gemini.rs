use crate::common::{Flavor, fast_http, good, request, schema, structured, tempdir};
use pact_agents::providers::GeminiProvider;
use pact_agents::{AgentError, Backend, CancellationToken, Provider};
use serde_json::{Value, json};
use std::sync::Arc;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn build(uri: &str, http: pact_agents::HttpOptions) -> Arc<dyn Provider> {
    match GeminiProvider::new(uri, "test-key", "gemini-2.5-flash", http) {
        Ok(p) => Arc::new(p),
        Err(e) => panic!("{e}"),
    }
}

fn ok_body(answer: &Value, input: u64, output: u64) -> Value {
    json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": answer.to_string()}]},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": input, "candidatesTokenCount": output,
                          "totalTokenCount": input + output},
        "modelVersion": "gemini-2.5-flash"
    })
}

pub const FLAVOR: Flavor = Flavor {
    name: "gemini",
    path: "/v1beta/models/gemini-2.5-flash:generateContent",
    key_var: "GEMINI_API_KEY",
    build,
    ok_body,
};

crate::scenario_tests!(FLAVOR);

#[tokio::test]
async fn request_shape_response_schema_and_thinking_usage() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1beta/models/gemini-2.5-flash:generateContent"))
        .and(header("x-goog-api-key", "test-key"))
        .and(body_partial_json(json!({
            "systemInstruction": {"parts": [{"text": "You make widgets."}]},
            "contents": [{"role": "user", "parts": [{"text": "make a widget"}]}],
            "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": schema(), "maxOutputTokens": 100}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"parts": [{"text": good().to_string()}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 300, "candidatesTokenCount": 20, "thoughtsTokenCount": 80,
                              "cachedContentTokenCount": 100}
        })))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured(build(&s.uri(), fast_http()), raw.path());
    let a = match b.complete(&request(), &CancellationToken::new()).await {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(a.value, good());
    assert_eq!(
        (
            a.usage.input_tokens,
            a.usage.cache_read_input_tokens,
            a.usage.output_tokens
        ),
        (200, 100, 100)
    );
    // The key never travels in the URL.
    let requests = s.received_requests().await.unwrap_or_default();
    assert!(!requests[0].url.as_str().contains("test-key"));
}

#[tokio::test]
async fn invalid_key_answered_with_400_is_an_auth_error() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1beta/models/gemini-2.5-flash:generateContent"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT"}
        })))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured(build(&s.uri(), fast_http()), raw.path());
    let e = b
        .complete(&request(), &CancellationToken::new())
        .await
        .err();
    assert!(
        matches!(&e, Some(AgentError::Auth { var, .. }) if var == "GEMINI_API_KEY"),
        "{e:?}"
    );
}

#[tokio::test]
async fn blocked_prompt_is_a_clear_error() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1beta/models/gemini-2.5-flash:generateContent"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"promptFeedback": {"blockReason": "SAFETY"}})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured(build(&s.uri(), fast_http()), raw.path());
    let msg = b
        .complete(&request(), &CancellationToken::new())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("blocked (SAFETY)"), "{msg}");
}
