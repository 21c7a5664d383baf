use crate::common::{Flavor, PRICE, fast_http, good, request, schema, structured, tempdir};
use pact_agents::providers::AnthropicProvider;
use pact_agents::{Backend, CancellationToken, Provider};
use serde_json::{Value, json};
use std::sync::Arc;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn build(uri: &str, http: pact_agents::HttpOptions) -> Arc<dyn Provider> {
    match AnthropicProvider::new(uri, "test-key", "claude-sonnet-4-5-20250929", http) {
        Ok(p) => Arc::new(p),
        Err(e) => panic!("{e}"),
    }
}

fn ok_body(answer: &Value, input: u64, output: u64) -> Value {
    json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "tool_use", "id": "toolu_01", "name": "Widget", "input": answer}],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": input, "output_tokens": output}
    })
}

pub const FLAVOR: Flavor = Flavor {
    name: "anthropic",
    path: "/v1/messages",
    key_var: "ANTHROPIC_API_KEY",
    build,
    ok_body,
};

crate::scenario_tests!(FLAVOR);

#[tokio::test]
async fn request_shape_forced_tool_and_cache_usage() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "test-key"))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "model": "claude-sonnet-4-5-20250929",
            "max_tokens": 100,
            "system": "You make widgets.",
            "messages": [{"role": "user", "content": "make a widget"}],
            "tools": [{"name": "Widget", "input_schema": schema()}],
            "tool_choice": {"type": "tool", "name": "Widget"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "text", "text": "Here you go."},
                        {"type": "tool_use", "id": "t", "name": "Widget", "input": good()}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 100, "output_tokens": 50,
                      "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 10000}
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
    assert_eq!(a.model, "claude-sonnet-4-5-20250929");
    assert_eq!(a.usage.cache_creation_input_tokens, 1000);
    assert_eq!(a.usage.cache_read_input_tokens, 10000);
    let expected = (100.0 * PRICE.input
        + 50.0 * PRICE.output
        + 1000.0 * PRICE.input * 1.25
        + 10000.0 * PRICE.input * 0.1)
        / 1e6;
    assert!(
        (a.cost_usd - expected).abs() < 1e-12,
        "{} vs {expected}",
        a.cost_usd
    );
}

#[tokio::test]
async fn array_answers_travel_wrapped_in_an_object_tool() {
    let s = MockServer::start().await;
    let list_schema = json!({"type": "array", "items": {"type": "string"}});
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(json!({"tools": [{"input_schema": {
            "type": "object", "required": ["value"], "properties": {"value": list_schema}}}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "content": [{"type": "tool_use", "id": "t", "name": "Names", "input": {"value": ["a", "b"]}}],
            "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 1}
        })))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured(build(&s.uri(), fast_http()), raw.path());
    let req = pact_agents::LlmRequest::new("shaper", "Names", list_schema).user("names?");
    let a = b
        .complete(&req, &CancellationToken::new())
        .await
        .ok()
        .map(|a| a.value);
    assert_eq!(a, Some(json!(["a", "b"])));
}

#[tokio::test]
async fn truncated_answer_is_retried_with_a_larger_allowance() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(json!({"max_tokens": 100})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "content": [{"type": "text", "text": "{\"name\": \"wid"}],
            "stop_reason": "max_tokens", "usage": {"input_tokens": 10, "output_tokens": 100}
        })))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(json!({"max_tokens": 200})))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body(&good(), 10, 20)))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured(build(&s.uri(), fast_http()), raw.path());
    let a = b.complete(&request(), &CancellationToken::new()).await;
    assert_eq!(a.ok().map(|a| (a.value, a.attempts)), Some((good(), 2)));
}
