//! Gemini `generateContent`. Structured output by `generationConfig.responseMimeType`
//! `application/json` with the answer schema as `responseJsonSchema` (full JSON Schema, so
//! `$defs`/`$ref`/`anyOf` pass as they are, unlike the OpenAPI subset of `responseSchema`).

use crate::backend::{Provider, ProviderCall, Reply, Usage};
use crate::error::{AgentError, Result};
use crate::http::{HttpOptions, Transport, join_url};
use crate::request::Speaker;
use async_trait::async_trait;
use serde_json::{Value, json};

pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
pub const DEFAULT_MODEL: &str = "gemini-2.5-flash";
pub const KEY_VAR: &str = "GEMINI_API_KEY";

#[derive(Debug, Clone)]
pub struct GeminiProvider {
    transport: Transport,
    base_url: String,
    api_key: String,
    model: String,
}

impl GeminiProvider {
    pub fn new(base_url: &str, api_key: &str, model: &str, options: HttpOptions) -> Result<Self> {
        Ok(Self {
            transport: Transport::new("gemini", KEY_VAR, base_url, options)?,
            base_url: base_url.to_string(),
            api_key: api_key.to_string(),
            model: model.to_string(),
        })
    }

    pub fn body(&self, call: &ProviderCall<'_>) -> Value {
        let contents: Vec<Value> = call
            .messages
            .iter()
            .map(|m| {
                let role = match m.role {
                    Speaker::User => "user",
                    Speaker::Assistant => "model",
                };
                json!({"role": role, "parts": [{"text": m.content}]})
            })
            .collect();
        let mut body = json!({
            "contents": contents,
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseJsonSchema": call.schema,
                "maxOutputTokens": call.max_tokens,
            },
        });
        if !call.system.trim().is_empty() {
            body["systemInstruction"] = json!({"parts": [{"text": call.system}]});
        }
        body
    }
}

#[async_trait]
impl Provider for GeminiProvider {
    fn name(&self) -> &str {
        "gemini"
    }
    fn model(&self) -> &str {
        &self.model
    }

    async fn send(&self, call: &ProviderCall<'_>) -> Result<Reply> {
        // The key goes in a header, never in the URL, so it cannot end up in logs of URLs.
        let headers = self
            .transport
            .headers(&[("x-goog-api-key", &self.api_key, true)])?;
        let model = self.model.strip_prefix("models/").unwrap_or(&self.model);
        let url = join_url(
            &self.base_url,
            &format!("v1beta/models/{model}:generateContent"),
        );
        let resp = self
            .transport
            .post_json(&url, headers, &self.body(call))
            .await?;
        parse_response(&resp, &self.model)
    }
}

fn parse_response(resp: &Value, model: &str) -> Result<Reply> {
    let protocol = |message: String| AgentError::Protocol {
        backend: "gemini".into(),
        message,
    };
    if let Some(reason) = resp
        .pointer("/promptFeedback/blockReason")
        .and_then(Value::as_str)
    {
        return Err(protocol(format!("the prompt was blocked ({reason})")));
    }
    let candidate = resp
        .pointer("/candidates/0")
        .ok_or_else(|| protocol("no `candidates[0]` in the response".into()))?;
    let text: String = candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter(|p| p.get("thought").and_then(Value::as_bool) != Some(true))
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let finish = candidate
        .get("finishReason")
        .and_then(Value::as_str)
        .unwrap_or("");
    if text.is_empty()
        && matches!(
            finish,
            "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT"
        )
    {
        return Err(protocol(format!("the answer was withheld ({finish})")));
    }
    let usage = resp.get("usageMetadata").map(|u| {
        let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
        let cached = n("cachedContentTokenCount");
        Usage {
            input_tokens: n("promptTokenCount").saturating_sub(cached),
            // Thinking tokens are billed as output.
            output_tokens: n("candidatesTokenCount") + n("thoughtsTokenCount"),
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
            .get("modelVersion")
            .and_then(Value::as_str)
            .unwrap_or(model)
            .to_string(),
        truncated: finish == "MAX_TOKENS",
        reported_cost_usd: None,
    })
}
