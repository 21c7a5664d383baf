//! Anthropic Messages API. Structured output by a forced tool: the answer schema is the tool's
//! `input_schema` and `tool_choice` `{"type": "tool", "name": ...}` makes the model call it, so
//! the answer arrives as the tool's parsed `input`.

use super::object_schema;
use crate::backend::{Provider, ProviderCall, Reply, Usage};
use crate::error::{AgentError, Result};
use crate::http::{HttpOptions, Transport, join_url};
use crate::request::Speaker;
use async_trait::async_trait;
use serde_json::{Value, json};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const API_VERSION: &str = "2023-06-01";
pub const KEY_VAR: &str = "ANTHROPIC_API_KEY";

#[derive(Debug, Clone)]
pub struct AnthropicProvider {
    transport: Transport,
    base_url: String,
    api_key: String,
    model: String,
}

impl AnthropicProvider {
    pub fn new(base_url: &str, api_key: &str, model: &str, options: HttpOptions) -> Result<Self> {
        Ok(Self {
            transport: Transport::new("anthropic", KEY_VAR, base_url, options)?,
            base_url: base_url.to_string(),
            api_key: api_key.to_string(),
            model: model.to_string(),
        })
    }

    pub fn body(&self, call: &ProviderCall<'_>) -> Value {
        let (schema, _) = object_schema(call.schema);
        let messages: Vec<Value> = call
            .messages
            .iter()
            .map(|m| {
                json!({
                    "role": match m.role { Speaker::User => "user", Speaker::Assistant => "assistant" },
                    "content": m.content,
                })
            })
            .collect();
        let mut body = json!({
            "model": self.model,
            "max_tokens": call.max_tokens,
            "messages": messages,
            "tools": [{
                "name": call.tool_name,
                "description": format!("Record the answer as a {} value. Put the whole answer in this call.", call.schema_name),
                "input_schema": schema,
            }],
            "tool_choice": {"type": "tool", "name": call.tool_name},
        });
        if !call.system.trim().is_empty() {
            body["system"] = Value::String(call.system.to_string());
        }
        body
    }
}

#[async_trait]
impl Provider for AnthropicProvider {
    fn name(&self) -> &str {
        "anthropic"
    }
    fn model(&self) -> &str {
        &self.model
    }

    async fn send(&self, call: &ProviderCall<'_>) -> Result<Reply> {
        let headers = self.transport.headers(&[
            ("x-api-key", &self.api_key, true),
            ("anthropic-version", API_VERSION, false),
        ])?;
        let url = join_url(&self.base_url, "v1/messages");
        let resp = self
            .transport
            .post_json(&url, headers, &self.body(call))
            .await?;
        parse_response(&resp, call, &self.model)
    }
}

fn parse_response(resp: &Value, call: &ProviderCall<'_>, model: &str) -> Result<Reply> {
    let content = resp
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| AgentError::Protocol {
            backend: "anthropic".into(),
            message: "no `content` array in the response".into(),
        })?;
    let (_, wrapped) = object_schema(call.schema);
    let tool_input = content
        .iter()
        .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
        .and_then(|b| b.get("input"))
        .map(|input| {
            if wrapped {
                input.get("value").cloned().unwrap_or(Value::Null)
            } else {
                input.clone()
            }
        });
    let text: String = content
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("\n");
    let usage = resp.get("usage").map(|u| {
        let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
        Usage {
            input_tokens: n("input_tokens"),
            output_tokens: n("output_tokens"),
            cache_creation_input_tokens: n("cache_creation_input_tokens"),
            cache_read_input_tokens: n("cache_read_input_tokens"),
            estimated: false,
        }
    });
    Ok(Reply {
        text: match &tool_input {
            Some(v) => v.to_string(),
            None => text,
        },
        value: tool_input,
        usage,
        model: resp
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(model)
            .to_string(),
        truncated: resp.get("stop_reason").and_then(Value::as_str) == Some("max_tokens"),
        reported_cost_usd: None,
    })
}
