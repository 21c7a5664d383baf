//! Turns a [`Provider`] into a [`Backend`]: finds the JSON in each reply, checks it against the
//! schema, sends it back with the errors a bounded number of times, prices every attempt, and
//! keeps the budget informed before and after each one.

use crate::backend::{Answer, Backend, Provider, ProviderCall, Reply, Usage};
use crate::budget::{BudgetTracker, Spend};
use crate::error::{AgentError, Result};
use crate::pricing::Price;
use crate::request::{LlmRequest, Message, estimate_tokens};
use crate::schema::{self, SchemaError};
use async_trait::async_trait;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, PartialEq)]
pub struct StructuredOptions {
    /// Times an invalid answer is sent back with its errors before the call fails.
    pub max_repairs: u32,
    /// Where the raw text of an answer that never validated is saved.
    pub raw_dir: PathBuf,
    /// Ceiling when an answer cut off at `max_tokens` is retried with a doubled allowance.
    pub max_output_tokens: u32,
}

impl Default for StructuredOptions {
    fn default() -> Self {
        Self {
            max_repairs: 2,
            raw_dir: std::env::temp_dir().join("pact-raw"),
            max_output_tokens: 64_000,
        }
    }
}

pub struct StructuredBackend {
    provider: Arc<dyn Provider>,
    price: Price,
    options: StructuredOptions,
    budget: Option<Arc<BudgetTracker>>,
}

impl StructuredBackend {
    pub fn new(provider: Arc<dyn Provider>, price: Price) -> Self {
        Self {
            provider,
            price,
            options: StructuredOptions::default(),
            budget: None,
        }
    }
    pub fn with_options(mut self, options: StructuredOptions) -> Self {
        self.options = options;
        self
    }
    pub fn with_budget(mut self, budget: Arc<BudgetTracker>) -> Self {
        self.budget = Some(budget);
        self
    }
    pub fn price(&self) -> Price {
        self.price
    }

    async fn run(&self, req: &LlmRequest, cancel: &CancellationToken) -> Result<Answer> {
        let tool_name = req.tool_name();
        let mut messages: Vec<Message> = req.messages.clone();
        let mut max_tokens = req.max_tokens.max(1);
        let mut usage = Usage::default();
        let mut cost = 0.0;
        let mut transcript: Vec<(String, Vec<SchemaError>)> = Vec::new();
        let attempts = self.options.max_repairs + 1;
        for attempt in 1..=attempts {
            let call = ProviderCall {
                role: &req.role,
                system: &req.system,
                messages: &messages,
                schema_name: &req.schema_name,
                tool_name: &tool_name,
                schema: &req.schema,
                max_tokens,
            };
            let estimate = {
                let mut r = req.clone();
                r.messages = messages.clone();
                r.max_tokens = max_tokens;
                self.price.estimate(&r)
            };
            let reservation = match &self.budget {
                Some(b) => Some(b.reserve(estimate)?),
                None => None,
            };
            let reply = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(AgentError::Cancelled),
                r = self.provider.send(&call) => r?,
            };
            let call_usage = reply.usage.unwrap_or_else(|| estimate_usage(&call, &reply));
            let call_cost = reply
                .reported_cost_usd
                .unwrap_or_else(|| self.price.cost(&call_usage));
            usage += call_usage;
            cost += call_cost;
            if let Some(b) = &self.budget {
                let recorded = b.record(&Spend {
                    role: &req.role,
                    phase: req.phase.as_deref(),
                    component: req.component.as_deref(),
                    model: if reply.model.is_empty() {
                        self.provider.model()
                    } else {
                        &reply.model
                    },
                    usage: call_usage,
                    cost_usd: call_cost,
                });
                drop(reservation);
                recorded?;
            }
            match interpret(&reply, &req.schema) {
                Ok(value) => {
                    return Ok(Answer {
                        value,
                        usage,
                        cost_usd: cost,
                        model: if reply.model.is_empty() {
                            self.provider.model().to_string()
                        } else {
                            reply.model
                        },
                        raw_text: reply.text,
                        attempts: attempt,
                    });
                }
                Err(errors) => {
                    tracing::warn!(
                        backend = self.provider.name(), role = %req.role, schema = %req.schema_name, attempt,
                        "answer failed its schema: {}", errors.first().map(ToString::to_string).unwrap_or_default()
                    );
                    if reply.truncated {
                        max_tokens = max_tokens
                            .saturating_mul(2)
                            .min(self.options.max_output_tokens.max(max_tokens));
                    }
                    messages.push(Message::assistant(if reply.text.is_empty() {
                        "(no answer)".to_string()
                    } else {
                        reply.text.clone()
                    }));
                    messages.push(Message::user(correction(
                        &req.schema_name,
                        &errors,
                        reply.truncated,
                    )));
                    transcript.push((reply.text, errors));
                }
            }
        }
        let raw_path = save_raw(&self.options.raw_dir, req, &transcript);
        let errors = transcript
            .last()
            .map(|(_, e)| {
                e.iter()
                    .take(5)
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        Err(AgentError::SchemaFailed {
            role: req.role.clone(),
            schema_name: req.schema_name.clone(),
            attempts,
            errors,
            raw_path,
        })
    }
}

#[async_trait]
impl Backend for StructuredBackend {
    fn name(&self) -> &str {
        self.provider.name()
    }
    fn model(&self) -> &str {
        self.provider.model()
    }
    async fn complete(&self, req: &LlmRequest, cancel: &CancellationToken) -> Result<Answer> {
        if cancel.is_cancelled() {
            return Err(AgentError::Cancelled);
        }
        self.run(req, cancel).await
    }
}

/// Providers that report no usage are charged by the original's text estimate.
fn estimate_usage(call: &ProviderCall<'_>, reply: &Reply) -> Usage {
    let prompt: String = std::iter::once(call.system)
        .chain(call.messages.iter().map(|m| m.content.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    Usage {
        input_tokens: estimate_tokens(&prompt) + estimate_tokens(&call.schema.to_string()),
        output_tokens: estimate_tokens(&reply.text),
        estimated: true,
        ..Usage::default()
    }
}

/// The reply's JSON, coerced where that needs no round trip, if it validates.
fn interpret(reply: &Reply, schema: &Value) -> Result<Value, Vec<SchemaError>> {
    let mut value = match reply.value.clone().or_else(|| extract_json(&reply.text)) {
        Some(v) => v,
        None => {
            let why = if reply.text.trim().is_empty() {
                "the answer was empty".to_string()
            } else if reply.truncated {
                "the answer was cut off at the output limit before the JSON was complete"
                    .to_string()
            } else {
                match serde_json::from_str::<Value>(reply.text.trim()) {
                    Err(e) => format!("the answer is not valid JSON ({e})"),
                    Ok(_) => "the answer is not valid JSON".to_string(),
                }
            };
            return Err(vec![SchemaError {
                path: "$".into(),
                message: why,
            }]);
        }
    };
    let errors = schema::validate(schema, &value);
    if errors.is_empty() {
        return Ok(value);
    }
    if schema::coerce(schema, &mut value) && schema::is_valid(schema, &value) {
        return Ok(value);
    }
    Err(errors)
}

/// The JSON in a model's text: the whole text, else a fenced ```json block, else the first
/// balanced `{...}` or `[...]` that parses.
pub fn extract_json(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return Some(v);
    }
    let mut rest = t;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let body_start = after.find('\n').map(|i| i + 1).unwrap_or(0);
        let Some(end) = after[body_start..].find("```") else {
            break;
        };
        let block = after[body_start..body_start + end].trim();
        if let Ok(v) = serde_json::from_str::<Value>(block) {
            return Some(v);
        }
        rest = &after[body_start + end + 3..];
    }
    let bytes = t.as_bytes();
    for (start, &b) in bytes.iter().enumerate() {
        if b != b'{' && b != b'[' {
            continue;
        }
        if let Some(end) = balanced_end(&t[start..])
            && let Ok(v) = serde_json::from_str::<Value>(&t[start..start + end])
        {
            return Some(v);
        }
    }
    None
}

/// Byte length of the bracketed value at the start of `s`, respecting strings and escapes.
fn balanced_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

fn correction(schema_name: &str, errors: &[SchemaError], truncated: bool) -> String {
    let mut s =
        format!("Your previous answer does not match the JSON Schema of `{schema_name}`:\n");
    for e in errors {
        s.push_str(&format!("- {e}\n"));
    }
    if truncated {
        s.push_str("It was also cut off at the output limit: keep it more concise.\n");
    }
    s.push_str(
        "Answer again with the complete, corrected JSON value only: no prose, no markdown fences.",
    );
    s
}

/// Saves every attempt's raw text with its errors; `None` if even that fails (the error
/// message then says so by omission, and the log has the reason).
fn save_raw(
    dir: &std::path::Path,
    req: &LlmRequest,
    transcript: &[(String, Vec<SchemaError>)],
) -> Option<PathBuf> {
    let key = req.key();
    let short = key
        .rsplit(':')
        .next()
        .unwrap_or("")
        .chars()
        .take(12)
        .collect::<String>();
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let safe_role: String = req
        .role
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{safe_role}-{short}-{millis}.txt"));
    let mut text = format!(
        "# role: {}\n# schema: {}\n# request: {}\n# {}\n",
        req.role,
        req.schema_name,
        key,
        req.summary()
    );
    for (i, (raw, errors)) in transcript.iter().enumerate() {
        text.push_str(&format!("\n# ---- attempt {} ----\n", i + 1));
        for e in errors {
            text.push_str(&format!("# error: {e}\n"));
        }
        text.push_str(raw);
        text.push('\n');
    }
    match pact_core::store::fsio::write_atomic(&path, text.as_bytes()) {
        Ok(()) => Some(path),
        Err(e) => {
            tracing::error!(path = %path.display(), "cannot save the raw answer: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extracts_json_from_prose_and_fences() {
        assert_eq!(extract_json(" {\"a\": 1} "), Some(json!({"a": 1})));
        assert_eq!(
            extract_json("Here:\n```json\n{\"a\": [1, 2]}\n```\nDone."),
            Some(json!({"a": [1, 2]}))
        );
        assert_eq!(
            extract_json("```\nnot json\n```\n```json\n[3]\n```"),
            Some(json!([3]))
        );
        assert_eq!(
            extract_json("Sure! {\"s\": \"a } tricky \\\" one\"} trailing {"),
            Some(json!({"s": "a } tricky \" one"}))
        );
        assert_eq!(extract_json("no json here"), None);
        assert_eq!(extract_json("{\"cut\": [1, 2"), None);
    }

    #[test]
    fn correction_lists_errors() {
        let c = correction(
            "T",
            &[SchemaError {
                path: "$.a".into(),
                message: "expected string, got integer".into(),
            }],
            true,
        );
        assert!(c.contains("- $.a: expected string, got integer"));
        assert!(c.contains("cut off"));
    }
}
