//! Record through a mock-backed provider via the router, then replay offline.

use crate::common::{fast_http, good, request, tempdir};
use pact_agents::{AgentError, CancellationToken, Env, Router, RouterOptions};
use pact_core::config::{Config, GlobalConfig, ProjectConfig};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "sk-ant-very-secret-key";

#[tokio::test]
async fn record_then_replay_offline() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "model": "claude-opus-4-6",
            "content": [{"type": "tool_use", "id": "t", "name": "Widget", "input": good()}],
            "stop_reason": "tool_use", "usage": {"input_tokens": 1000, "output_tokens": 100}
        })))
        .expect(1)
        .mount(&s)
        .await;
    let project = tempdir();
    let recording = project.path().join("session.jsonl");
    let config = Config::from_parts(GlobalConfig::default(), ProjectConfig::default());
    let recorder = Router::new(
        config.clone(),
        Env::from_pairs([
            ("ANTHROPIC_API_KEY", SECRET),
            ("ANTHROPIC_BASE_URL", s.uri().as_str()),
        ]),
        RouterOptions {
            project_root: Some(project.path().to_path_buf()),
            record: Some(recording.clone()),
            http: fast_http(),
            ..RouterOptions::default()
        },
    );
    let cancel = CancellationToken::new();
    let live = match recorder.backend_for("decomposer") {
        Ok(b) => b.complete(&request(), &cancel).await,
        Err(e) => Err(e),
    };
    let live = match live {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    // Seed pricing for claude-opus-4-6: $15/$75 per million tokens.
    assert!((live.cost_usd - (1000.0 * 15.0 + 100.0 * 75.0) / 1e6).abs() < 1e-12);

    let text = std::fs::read_to_string(&recording).unwrap_or_default();
    assert_eq!(text.lines().count(), 1);
    assert!(
        !text.contains(SECRET)
            && !text.contains("x-api-key")
            && !text.contains("You make widgets."),
        "{text}"
    );
    let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_default();
    assert_eq!(line["role"], "decomposer");
    assert_eq!(line["key"], request().key());
    assert_eq!(line["answer"], good());
    assert_eq!(line["backend"], "anthropic");

    // Offline: no key, no server; every role answers from the recording.
    drop(s);
    let replayer = Router::new(
        config,
        Env::default(),
        RouterOptions {
            replay: Some(recording.clone()),
            ..RouterOptions::default()
        },
    );
    let replayed = match replayer.backend_for("decomposer") {
        Ok(b) => b.complete(&request(), &cancel).await,
        Err(e) => Err(e),
    };
    let replayed = match replayed {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(replayed.value, live.value);
    assert_eq!(replayed.usage, live.usage);
    assert_eq!(replayed.cost_usd, live.cost_usd);

    // A request that was never recorded: a clear miss naming the role and the request.
    let other = request().user("and another one");
    let e = match replayer.backend_for("decomposer") {
        Ok(b) => b.complete(&other, &cancel).await.err(),
        Err(e) => Some(e),
    };
    match e {
        Some(AgentError::ReplayMiss {
            role,
            key,
            summary,
            file,
        }) => {
            assert_eq!(role, "decomposer");
            assert_eq!(key, other.key());
            assert!(summary.contains("and another one"), "{summary}");
            assert_eq!(file, recording);
        }
        other => panic!("expected a replay miss, got {other:?}"),
    }
    let msg = AgentError::ReplayMiss {
        role: "r".into(),
        key: "r:abc".into(),
        summary: "s".into(),
        file: recording,
    }
    .to_string();
    assert!(
        msg.contains("role `r`") && msg.contains("r:abc") && msg.contains("--record"),
        "{msg}"
    );
}

#[tokio::test]
async fn repeated_requests_replay_in_order() {
    let dir = tempdir();
    let file = dir.path().join("r.jsonl");
    let key = request().key();
    let line = |n: i64| {
        json!({"pact_recording": 1, "role": "decomposer", "key": key, "summary": "s", "backend": "anthropic",
               "model": "m", "answer": {"name": "w", "count": n}}).to_string()
    };
    let _ = std::fs::write(&file, format!("{}\n\n{}\n", line(1), line(2)));
    let r = match pact_agents::ReplayBackend::open(&file) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    use pact_agents::Backend;
    let cancel = CancellationToken::new();
    let mut counts = Vec::new();
    for _ in 0..3 {
        counts.push(
            r.complete(&request(), &cancel)
                .await
                .ok()
                .map(|a| a.value["count"].clone()),
        );
    }
    assert_eq!(counts, [Some(json!(1)), Some(json!(2)), Some(json!(2))]);

    let _ = std::fs::write(&file, "not json\n");
    let msg = pact_agents::ReplayBackend::open(&file)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("line 1"), "{msg}");
}
