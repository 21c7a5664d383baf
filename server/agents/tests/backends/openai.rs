use crate::common::{Flavor, fast_http, good, request, schema, structured, tempdir};
use pact_agents::providers::{OpenAiProvider, StructuredMode};
use pact_agents::{Backend, CancellationToken, Provider};
use serde_json::{Value, json};
use std::sync::Arc;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn build(uri: &str, http: pact_agents::HttpOptions) -> Arc<dyn Provider> {
    match OpenAiProvider::openai(&format!("{uri}/v1"), "test-key", "gpt-4o", http) {
        Ok(p) => Arc::new(p),
        Err(e) => panic!("{e}"),
    }
}

fn ok_body(answer: &Value, input: u64, output: u64) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "Widget", "arguments": answer.to_string()}}]}}],
        "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output}
    })
}

pub const FLAVOR: Flavor = Flavor {
    name: "openai",
    path: "/v1/chat/completions",
    key_var: "OPENAI_API_KEY",
    build,
    ok_body,
};

crate::scenario_tests!(FLAVOR);

#[tokio::test]
async fn request_shape_function_calling() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer test-key"))
        .and(body_partial_json(json!({
            "model": "gpt-4o",
            "max_completion_tokens": 100,
            "messages": [{"role": "system", "content": "You make widgets."}, {"role": "user", "content": "make a widget"}],
            "tools": [{"type": "function", "function": {"name": "Widget", "parameters": schema()}}],
            "tool_choice": {"type": "function", "function": {"name": "Widget"}}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "model": "gpt-4o-2024-08-06",
            "choices": [{"finish_reason": "stop", "message": {"role": "assistant",
                "tool_calls": [{"type": "function", "function": {"name": "Widget", "arguments": good().to_string()}}]}}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 10, "prompt_tokens_details": {"cached_tokens": 800}}
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
    assert_eq!(a.model, "gpt-4o-2024-08-06");
    assert_eq!(
        (
            a.usage.input_tokens,
            a.usage.cache_read_input_tokens,
            a.usage.output_tokens
        ),
        (200, 800, 10)
    );
}

/// A local server (Ollama and the like): `response_format` json_schema, `max_tokens`, no key
/// header unless one is configured, and an answer in the message text (here fenced).
#[tokio::test]
async fn compatible_server_uses_response_format_and_needs_no_key() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(json!({
            "model": "llama3.1:8b",
            "max_tokens": 100,
            "response_format": {"type": "json_schema", "json_schema": {"name": "Widget", "schema": schema(), "strict": false}}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "model": "llama3.1:8b",
            "choices": [{"finish_reason": "stop", "message": {"role": "assistant",
                "content": format!("```json\n{}\n```", good())}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 10}
        })))
        .expect(1)
        .mount(&s)
        .await;
    let p = match OpenAiProvider::compatible(
        &format!("{}/v1/", s.uri()),
        None,
        "llama3.1:8b",
        fast_http(),
    ) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let raw = tempdir();
    let b = structured(Arc::new(p), raw.path());
    let a = b.complete(&request(), &CancellationToken::new()).await;
    assert_eq!(
        a.as_ref().ok().map(|a| a.value.clone()),
        Some(good()),
        "{a:?}"
    );
    assert_eq!(b.name(), "openai_compatible");
    let requests = s.received_requests().await.unwrap_or_default();
    let req: &Request = &requests[0];
    assert!(req.headers.get("authorization").is_none());
    assert!(
        req.body_json::<Value>()
            .ok()
            .and_then(|b| b.get("tools").cloned())
            .is_none()
    );
}

#[tokio::test]
async fn json_object_mode_puts_the_schema_in_the_prompt() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(header("authorization", "Bearer local-key"))
        .and(body_partial_json(
            json!({"response_format": {"type": "json_object"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"finish_reason": "stop", "message": {"content": good().to_string()}}]
        })))
        .expect(1)
        .mount(&s)
        .await;
    let p = match OpenAiProvider::compatible(&s.uri(), Some("local-key"), "m", fast_http()) {
        Ok(p) => p.with_mode(StructuredMode::JsonObject),
        Err(e) => panic!("{e}"),
    };
    let raw = tempdir();
    let b = structured(Arc::new(p), raw.path());
    let a = b.complete(&request(), &CancellationToken::new()).await;
    let a = match a {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    assert!(a.usage.estimated, "no usage reported: estimated from text");
    assert!(a.usage.input_tokens > 0 && a.usage.output_tokens > 0);
    let requests = s.received_requests().await.unwrap_or_default();
    let body: Value = requests[0].body_json().unwrap_or_default();
    let system = body
        .pointer("/messages/0/content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(
        system.contains("Respond with a JSON object matching this schema")
            && system.contains("\"count\""),
        "{system}"
    );
}

#[tokio::test]
async fn retry_after_ms_is_honoured() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after-ms", "250"))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body(&good(), 1, 1)))
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured(build(&s.uri(), fast_http()), raw.path());
    let started = std::time::Instant::now();
    assert!(
        b.complete(&request(), &CancellationToken::new())
            .await
            .is_ok()
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
}

#[tokio::test]
async fn array_answers_travel_wrapped_in_an_object() {
    let s = MockServer::start().await;
    let list = json!({"type": "array", "items": {"type": "string"}});
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(
            json!({"tools": [{"function": {"parameters": {
            "type": "object", "required": ["value"], "properties": {"value": list}}}}]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body(
            &json!({"value": ["a", "b"]}),
            1,
            1,
        )))
        .expect(1)
        .mount(&s)
        .await;
    let raw = tempdir();
    let b = structured(build(&s.uri(), fast_http()), raw.path());
    let req = pact_agents::LlmRequest::new("shaper", "Names", list).user("names?");
    let a = b.complete(&req, &CancellationToken::new()).await;
    assert_eq!(a.ok().map(|a| a.value), Some(json!(["a", "b"])));
}
