//! OpenAI Chat Completions, and any server that speaks it (Ollama, vLLM, llama.cpp server,
//! LM Studio) as the `openai_compatible` backend: the way to run Pact with no cloud account.
//!
//! Structured output, by [`StructuredMode`]: a forced function call whose parameters are the
//! answer schema (OpenAI's default here), `response_format` `json_schema` (the default for
//! compatible servers, which support it more widely than function calling), or plain
//! `json_object` with the schema in the prompt for servers that support neither.
//! Schemas are sent non-strict: Pact's schemas have free-form maps that strict mode refuses.

use super::object_schema;
use crate::backend::{Provider, ProviderCall, Reply, Usage};
use crate::error::{AgentError, Result};
use crate::http::{HttpOptions, Transport, join_url};
use crate::request::Speaker;
use async_trait::async_trait;
use serde_json::{Value, json};

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const KEY_VAR: &str = "OPENAI_API_KEY";
/// Ollama's OpenAI endpoint: the most common local server.
pub const COMPATIBLE_DEFAULT_BASE_URL: &str = "http://127.0.0.1:11434/v1";
pub const COMPATIBLE_KEY_VAR: &str = "OPENAI_COMPATIBLE_API_KEY";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructuredMode {
    /// `tools` + `tool_choice` naming the one function.
    Tool,
    /// `response_format: {"type": "json_schema", ...}`.
    JsonSchema,
    /// `response_format: {"type": "json_object"}` and the schema in the system prompt.
    JsonObject,
}

impl StructuredMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "tool" | "tools" | "function" | "function_call" => Some(Self::Tool),
            "json_schema" | "schema" => Some(Self::JsonSchema),
            "json_object" | "json" => Some(Self::JsonObject),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OpenAiProvider {
    transport: Transport,
    name: &'static str,
    base_url: String,
    api_key: Option<String>,
    model: String,
    mode: StructuredMode,
}

impl OpenAiProvider {
    /// OpenAI itself: a key is required.
    pub fn openai(
        base_url: &str,
        api_key: &str,
        model: &str,
        options: HttpOptions,
    ) -> Result<Self> {
        Ok(Self {
            transport: Transport::new("openai", KEY_VAR, base_url, options)?,
            name: "openai",
            base_url: base_url.to_string(),
            api_key: Some(api_key.to_string()),
            model: model.to_string(),
            mode: StructuredMode::Tool,
        })
    }

    /// A local or self-hosted server: a key only if it wants one.
    pub fn compatible(
        base_url: &str,
        api_key: Option<&str>,
        model: &str,
        options: HttpOptions,
    ) -> Result<Self> {
        Ok(Self {
            transport: Transport::new("openai_compatible", COMPATIBLE_KEY_VAR, base_url, options)?,
            name: "openai_compatible",
            base_url: base_url.to_string(),
            api_key: api_key.map(str::to_string),
            model: model.to_string(),
            mode: StructuredMode::JsonSchema,
        })
    }

    pub fn with_mode(mut self, mode: StructuredMode) -> Self {
        self.mode = mode;
        self
    }

    pub fn body(&self, call: &ProviderCall<'_>) -> Value {
        let mut system = call.system.to_string();
        if self.mode == StructuredMode::JsonObject {
            let schema = serde_json::to_string_pretty(call.schema)
                .unwrap_or_else(|_| call.schema.to_string());
            system.push_str(&format!(
                "\n\nRespond with a JSON object matching this schema:\n```json\n{schema}\n```\nReturn ONLY valid JSON, no markdown fences or explanation."
            ));
        }
        let mut messages = Vec::with_capacity(call.messages.len() + 1);
        if !system.trim().is_empty() {
            messages.push(json!({"role": "system", "content": system.trim_start()}));
        }
        for m in call.messages {
            let role = match m.role {
                Speaker::User => "user",
                Speaker::Assistant => "assistant",
            };
            messages.push(json!({"role": role, "content": m.content}));
        }
        let mut body = json!({"model": self.model, "messages": messages});
        // OpenAI's newer models only take `max_completion_tokens`; most local servers only the older name.
        let limit_key = if self.name == "openai" {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body[limit_key] = json!(call.max_tokens);
        let description = format!("Record the answer as a {} value.", call.schema_name);
        let (schema, _) = object_schema(call.schema);
        match self.mode {
            StructuredMode::Tool => {
                body["tools"] = json!([{
                    "type": "function",
                    "function": {"name": call.tool_name, "description": description, "parameters": schema},
                }]);
                body["tool_choice"] =
                    json!({"type": "function", "function": {"name": call.tool_name}});
            }
            StructuredMode::JsonSchema => {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": {"name": call.tool_name, "description": description, "schema": schema, "strict": false},
                });
            }
            StructuredMode::JsonObject => {
                body["response_format"] = json!({"type": "json_object"});
            }
        }
        body
    }
}

#[async_trait]
impl Provider for OpenAiProvider {
    fn name(&self) -> &str {
        self.name
    }
    fn model(&self) -> &str {
        &self.model
    }

    async fn send(&self, call: &ProviderCall<'_>) -> Result<Reply> {
        let auth = self.api_key.as_ref().map(|k| format!("Bearer {k}"));
        let pairs: Vec<(&'static str, &str, bool)> = auth
            .as_deref()
            .map(|a| vec![("authorization", a, true)])
            .unwrap_or_default();
        let headers = self.transport.headers(&pairs)?;
        let url = join_url(&self.base_url, "chat/completions");
        let resp = self
            .transport
            .post_json(&url, headers, &self.body(call))
            .await?;
        let mut reply = parse_response(self.name, &resp, &self.model)?;
        if self.mode != StructuredMode::JsonObject && object_schema(call.schema).1 {
            // The answer came wrapped as {"value": ...}; hand on what the caller asked for.
            if let Some(v) =
                crate::structured::extract_json(&reply.text).and_then(|w| w.get("value").cloned())
            {
                reply.text = v.to_string();
                reply.value = Some(v);
            }
        }
        Ok(reply)
    }
}

fn parse_response(backend: &str, resp: &Value, model: &str) -> Result<Reply> {
    let protocol = |message: &str| AgentError::Protocol {
        backend: backend.to_string(),
        message: message.to_string(),
    };
    let choice = resp
        .pointer("/choices/0")
        .ok_or_else(|| protocol("no `choices[0]` in the response"))?;
    let message = choice
        .get("message")
        .ok_or_else(|| protocol("no `message` in `choices[0]`"))?;
    if let Some(refusal) = message
        .get("refusal")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
    {
        return Err(protocol(&format!("the model refused: {refusal}")));
    }
    let arguments = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .and_then(|calls| calls.first())
        .and_then(|c| c.pointer("/function/arguments"));
    let text = match arguments {
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Object(_)) => v.to_string(),
        _ => message
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    };
    let usage = resp.get("usage").filter(|u| u.is_object()).map(|u| {
        let n = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
        let cached = n("/prompt_tokens_details/cached_tokens");
        Usage {
            input_tokens: n("/prompt_tokens").saturating_sub(cached),
            output_tokens: n("/completion_tokens"),
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: cached,
            estimated: false,
        }
    });
    Ok(Reply {
        text,
        value: None,
        usage,
        model: resp
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(model)
            .to_string(),
        truncated: choice.get("finish_reason").and_then(Value::as_str) == Some("length"),
        reported_cost_usd: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse() {
        assert_eq!(
            StructuredMode::parse("json-schema"),
            Some(StructuredMode::JsonSchema)
        );
        assert_eq!(StructuredMode::parse("Tool"), Some(StructuredMode::Tool));
        assert_eq!(
            StructuredMode::parse("json"),
            Some(StructuredMode::JsonObject)
        );
        assert_eq!(StructuredMode::parse("xml"), None);
    }

    #[test]
    fn content_answers_and_cached_tokens() -> Result<()> {
        let r = parse_response(
            "openai_compatible",
            &json!({"choices": [{"message": {"content": "{\"a\":1}"}, "finish_reason": "length"}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": 40}}}),
            "m",
        )?;
        assert_eq!(r.text, "{\"a\":1}");
        assert!(r.truncated);
        assert_eq!(r.model, "m");
        assert_eq!(
            r.usage,
            Some(Usage {
                input_tokens: 60,
                output_tokens: 7,
                cache_read_input_tokens: 40,
                ..Usage::default()
            })
        );
        let refused = parse_response(
            "openai",
            &json!({"choices": [{"message": {"content": null, "refusal": "no"}}]}),
            "m",
        );
        assert!(
            refused
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("refused")
        );
        Ok(())
    }
}
