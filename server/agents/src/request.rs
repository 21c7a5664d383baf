//! What an agent asks a model: a role, a system prompt, the conversation and the JSON Schema the
//! answer must satisfy. The request also has a stable key (role + hash of its normalized content)
//! so that recordings can be replayed and misses can be named.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Who said a message in the conversation. The system prompt is separate ([`LlmRequest::system`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Speaker,
    pub content: String,
}

impl Message {
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Speaker::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Speaker::Assistant,
            content: content.into(),
        }
    }
}

/// Default output allowance: enough for a contract or a code file, below every model's cap.
pub const DEFAULT_MAX_TOKENS: u32 = 16_384;

/// One structured call. `phase` and `component` only label the spend in `budget.json`; they are
/// not part of the request key, so the same question asked in another phase replays the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmRequest {
    pub role: String,
    pub system: String,
    pub messages: Vec<Message>,
    /// Names the answer type (the tool or function name on the wire), e.g. `DecomposeResponse`.
    pub schema_name: String,
    pub schema: Value,
    pub max_tokens: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
}

impl LlmRequest {
    pub fn new(role: impl Into<String>, schema_name: impl Into<String>, schema: Value) -> Self {
        Self {
            role: role.into(),
            system: String::new(),
            messages: Vec::new(),
            schema_name: schema_name.into(),
            schema,
            max_tokens: DEFAULT_MAX_TOKENS,
            phase: None,
            component: None,
        }
    }
    pub fn system(mut self, system: impl Into<String>) -> Self {
        self.system = system.into();
        self
    }
    pub fn user(mut self, content: impl Into<String>) -> Self {
        self.messages.push(Message::user(content));
        self
    }
    pub fn assistant(mut self, content: impl Into<String>) -> Self {
        self.messages.push(Message::assistant(content));
        self
    }
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = max_tokens.max(1);
        self
    }
    pub fn phase(mut self, phase: impl Into<String>) -> Self {
        self.phase = Some(phase.into());
        self
    }
    pub fn component(mut self, component: impl Into<String>) -> Self {
        self.component = Some(component.into());
        self
    }

    /// `<role>:<sha256 hex>` over the canonical JSON of system, messages, schema name and schema.
    /// Object key order and insignificant whitespace do not change it; any content change does.
    pub fn key(&self) -> String {
        let normalized = serde_json::json!({
            "system": self.system.trim(),
            "messages": self.messages.iter().map(|m| serde_json::json!({
                "role": m.role,
                "content": m.content.trim(),
            })).collect::<Vec<_>>(),
            "schema_name": self.schema_name,
            "schema": self.schema,
        });
        let digest = Sha256::digest(canonical_json(&normalized).as_bytes());
        format!("{}:{}", self.role, hex(&digest))
    }

    /// A short human description for error messages and recordings: never the whole prompt.
    pub fn summary(&self) -> String {
        let last = self
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Speaker::User)
            .map(|m| m.content.as_str())
            .unwrap_or("");
        let mut first_line: String = last
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string();
        if first_line.chars().count() > 80 {
            first_line = first_line.chars().take(77).collect::<String>() + "...";
        }
        format!(
            "{} answer, {} message(s): \"{}\"",
            self.schema_name,
            self.messages.len(),
            first_line
        )
    }

    /// A name providers accept for a tool or function (`^[A-Za-z0-9_-]{1,64}$`).
    pub fn tool_name(&self) -> String {
        let cleaned: String = self
            .schema_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        if cleaned.is_empty() {
            "answer".to_string()
        } else {
            cleaned
        }
    }

    /// Everything the model reads, for token estimates.
    pub fn prompt_text_len(&self) -> usize {
        self.system.len() + self.messages.iter().map(|m| m.content.len()).sum::<usize>()
    }
}

/// JSON with object keys sorted at every level and no whitespace: the same value always gives
/// the same text, whatever order the keys were inserted in.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The original's token estimate: ~3.5 chars/token for symbol-heavy text (code, JSON), ~4.5 for
/// prose, 4.0 otherwise, judged on the first 2000 characters.
pub fn estimate_tokens(text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    let sample: Vec<char> = text.chars().take(2000).collect();
    let symbols = sample
        .iter()
        .filter(|c| "{}[]()=<>+*&|!@#$%^;:.,/".contains(**c))
        .count();
    let ratio = symbols as f64 / sample.len().max(1) as f64;
    let chars_per_token = if ratio > 0.08 {
        3.5
    } else if ratio < 0.03 {
        4.5
    } else {
        4.0
    };
    ((text.chars().count() as f64 / chars_per_token) + 0.5).max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_ignores_key_order_and_labels_but_not_content() {
        let a = LlmRequest::new(
            "decomposer",
            "T",
            json!({"type": "object", "properties": {"a": {}, "b": {}}}),
        )
        .system("sys")
        .user("hello");
        let mut b = LlmRequest::new(
            "decomposer",
            "T",
            json!({"properties": {"b": {}, "a": {}}, "type": "object"}),
        )
        .system("sys ")
        .user("hello\n")
        .phase("decompose")
        .component("c1");
        assert_eq!(a.key(), b.key());
        assert!(a.key().starts_with("decomposer:"));
        b.messages[0].content = "hello!".into();
        assert_ne!(a.key(), b.key());
        let c = LlmRequest::new("code_author", "T", a.schema.clone())
            .system("sys")
            .user("hello");
        assert_ne!(a.key(), c.key());
    }

    #[test]
    fn canonical_json_sorts_nested_keys() {
        assert_eq!(
            canonical_json(&json!({"b": [ {"y": 1, "x": "\n"} ], "a": null})),
            r#"{"a":null,"b":[{"x":"\n","y":1}]}"#
        );
    }

    #[test]
    fn tool_names_are_wire_safe() {
        assert_eq!(
            LlmRequest::new("r", "_RegisterResponse", json!({})).tool_name(),
            "_RegisterResponse"
        );
        assert_eq!(
            LlmRequest::new("r", "a b.c", json!({})).tool_name(),
            "a_b_c"
        );
        assert_eq!(LlmRequest::new("r", "", json!({})).tool_name(), "answer");
    }

    #[test]
    fn token_estimates() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("a"), 1);
        let prose = "the quick brown fox jumps over the lazy dog ".repeat(10);
        assert_eq!(
            estimate_tokens(&prose),
            (prose.len() as f64 / 4.5 + 0.5) as u64
        );
        let code = "{\"a\":[1,2],\"b\":{}}".repeat(10);
        assert_eq!(
            estimate_tokens(&code),
            (code.len() as f64 / 3.5 + 0.5) as u64
        );
    }
}
