//! `pact ping` against a mock Anthropic server and a backend with no key.

use crate::common::fast_http;
use pact_agents::{CancellationToken, Env, Router, RouterOptions, ping_with};
use pact_core::config::{Config, GlobalConfig, ProjectConfig};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

#[tokio::test]
async fn pings_each_configured_backend_once_with_latency_and_prices() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(json!({"messages": [{"role": "user", "content": "Reply with only the word: pong"}]})))
        .respond_with(|req: &Request| {
            // Answer as the model asked for, with its dated name as the API does.
            let asked = req.body_json::<serde_json::Value>().ok().and_then(|b| b["model"].as_str().map(str::to_string));
            let model = match asked.as_deref() {
                Some("claude-haiku-4-5") => "claude-haiku-4-5-20251001".to_string(),
                other => other.unwrap_or("?").to_string(),
            };
            ResponseTemplate::new(200).set_body_json(json!({
                "model": model,
                "content": [{"type": "tool_use", "id": "t", "name": "Pong", "input": {"reply": "pong"}}],
                "stop_reason": "tool_use", "usage": {"input_tokens": 12, "output_tokens": 3}
            }))
        })
        .expect(2)
        .mount(&s)
        .await;
    let mut project = ProjectConfig::default();
    project
        .role_models
        .insert("test_author".into(), "claude-haiku-4-5".into());
    project
        .role_backends
        .insert("code_author".into(), "openai".into());
    let router = Router::new(
        Config::from_parts(GlobalConfig::default(), project),
        Env::from_pairs([
            ("ANTHROPIC_API_KEY", "k"),
            ("ANTHROPIC_BASE_URL", s.uri().as_str()),
        ]),
        RouterOptions {
            http: fast_http(),
            track_budget: false,
            ..RouterOptions::default()
        },
    );
    let reports = ping_with(&router, &CancellationToken::new()).await;
    let rows: Vec<(&str, &str, usize)> = reports
        .iter()
        .map(|r| (r.backend.as_str(), r.model.as_str(), r.roles.len()))
        .collect();
    assert_eq!(
        rows,
        [
            ("anthropic", "claude-opus-4-6", 5),
            ("anthropic", "claude-haiku-4-5-20251001", 1),
            ("openai", "gpt-4o", 1)
        ],
        "{reports:#?}"
    );
    let opus = &reports[0];
    assert_eq!(opus.result, Ok("pong".to_string()));
    assert_eq!(
        (opus.price_in, opus.price_out, opus.price_guessed),
        (15.0, 75.0, false)
    );
    assert_eq!(reports[1].roles, ["test_author"]);
    assert_eq!((reports[1].price_in, reports[1].price_out), (0.8, 4.0));
    let openai = &reports[2];
    assert!(
        openai
            .result
            .as_ref()
            .err()
            .is_some_and(|e| e.contains("OPENAI_API_KEY is not set")),
        "{openai:?}"
    );
    assert_eq!(openai.roles, ["code_author"]);
}
