//! `pact ping`: one tiny structured request to each configured backend and model, with its
//! latency and price, so a broken key or an unreachable local server shows before a run.

use crate::error::AgentError;
use crate::http::HttpOptions;
use crate::request::LlmRequest;
use crate::retry::RetryPolicy;
use crate::router::{Env, ROLES, Route, Router, RouterOptions};
use pact_core::config::Config;
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PingReport {
    pub backend: String,
    pub model: String,
    /// The roles configured to use this backend and model.
    pub roles: Vec<String>,
    pub latency_ms: u64,
    /// USD per million tokens.
    pub price_in: f64,
    pub price_out: f64,
    /// The price is the fallback for a model the table does not know.
    pub price_guessed: bool,
    /// The model's reply, or what went wrong.
    pub result: Result<String, String>,
}

/// Pings every distinct backend and model the configuration routes a role to, using the
/// process environment for keys and URLs.
pub async fn ping(config: &Config) -> Vec<PingReport> {
    let options = RouterOptions {
        http: HttpOptions {
            timeouts: crate::http::Timeouts {
                connect: Duration::from_secs(10),
                request: Duration::from_secs(60),
            },
            retry: RetryPolicy {
                max_retries: 1,
                ..RetryPolicy::default()
            },
        },
        claude_timeout: Duration::from_secs(120),
        max_repairs: 1,
        track_budget: false,
        ..RouterOptions::default()
    };
    let router = Router::new(config.clone(), Env::from_process(), options);
    ping_with(&router, &CancellationToken::new()).await
}

/// The routes `ping` checks: one per distinct backend and model, with the roles that use it.
pub fn configured_routes(router: &Router) -> Vec<(Route, Vec<String>)> {
    let mut out: Vec<(Route, Vec<String>)> = Vec::new();
    for role in ROLES {
        let r = router.route(role);
        match out
            .iter_mut()
            .find(|(seen, _)| seen.backend == r.backend && seen.model == r.model)
        {
            Some((_, roles)) => roles.push(role.to_string()),
            None => out.push((r, vec![role.to_string()])),
        }
    }
    out
}

/// Pings with a router the caller built (tests, or a CLI with `--replay`).
pub async fn ping_with(router: &Router, cancel: &CancellationToken) -> Vec<PingReport> {
    let mut reports = Vec::new();
    for (route, roles) in configured_routes(router) {
        let (price, source) = router.price_for(&route.backend, &route.model);
        let req = LlmRequest::new(
            route.role.clone(),
            "Pong",
            json!({
                "type": "object",
                "properties": {"reply": {"type": "string"}},
                "required": ["reply"],
            }),
        )
        .user("Reply with only the word: pong")
        .max_tokens(64);
        let started = Instant::now();
        let result = match router.build(&route) {
            Err(e) => Err(e),
            Ok(backend) => backend.complete(&req, cancel).await,
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        reports.push(PingReport {
            model: result
                .as_ref()
                .ok()
                .map(|a| a.model.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or(route.model.clone()),
            backend: route.backend,
            roles,
            latency_ms,
            price_in: price.input,
            price_out: price.output,
            price_guessed: source == crate::pricing::PriceSource::Unknown,
            result: result
                .map(|a| {
                    a.value
                        .get("reply")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                })
                .map_err(|e: AgentError| e.to_string()),
        });
    }
    reports
}
