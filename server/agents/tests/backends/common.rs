//! Shared fixtures: the answer schema, requests, fast HTTP settings, and a description of each
//! HTTP provider's wire format so the reliability scenarios run against all of them.

use pact_agents::{
    HttpOptions, LlmRequest, Price, Provider, RetryPolicy, StructuredBackend, StructuredOptions,
    Timeouts,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "count": {"type": "integer", "minimum": 0}
        },
        "required": ["name", "count"],
        "additionalProperties": false
    })
}

pub fn good() -> Value {
    json!({"name": "widget", "count": 3})
}

pub fn bad() -> Value {
    json!({"name": 5})
}

pub fn request() -> LlmRequest {
    LlmRequest::new("decomposer", "Widget", schema())
        .system("You make widgets.")
        .user("make a widget")
        .max_tokens(100)
}

/// Retries fast; the request timeout is generous so a loaded CI machine does not flake.
pub fn fast_http() -> HttpOptions {
    HttpOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(10),
        },
        retry: RetryPolicy::fast(3),
    }
}

pub const PRICE: Price = Price {
    input: 3.0,
    output: 15.0,
};

/// A structured backend whose raw answers go to `raw_dir`.
pub fn structured(provider: Arc<dyn Provider>, raw_dir: &std::path::Path) -> StructuredBackend {
    StructuredBackend::new(provider, PRICE).with_options(StructuredOptions {
        max_repairs: 2,
        raw_dir: raw_dir.to_path_buf(),
        ..StructuredOptions::default()
    })
}

/// How one HTTP provider looks on the wire.
pub struct Flavor {
    pub name: &'static str,
    pub path: &'static str,
    pub key_var: &'static str,
    pub build: fn(&str, HttpOptions) -> Arc<dyn Provider>,
    /// A successful response carrying `answer`, with `input`/`output` tokens of usage.
    pub ok_body: fn(&Value, u64, u64) -> Value,
}

pub fn tempdir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot create a temp dir: {e}"),
    }
}
