//! One module per wire format. Each turns a [`crate::backend::ProviderCall`] into one request and
//! the response into a [`crate::backend::Reply`]; validation, repair and pricing happen above them.

pub mod anthropic;
pub mod claude_code;
pub mod gemini;
pub mod openai;

pub use anthropic::AnthropicProvider;
pub use claude_code::ClaudeCodeProvider;
pub use gemini::GeminiProvider;
pub use openai::{OpenAiProvider, StructuredMode};

use serde_json::{Value, json};

/// Tool inputs and OpenAI's structured outputs must be objects: any other answer schema is
/// wrapped as `{"value": <schema>}` (with `$defs` kept at the top so its `$ref`s still resolve).
/// Returns the schema to send and whether it was wrapped.
pub(crate) fn object_schema(schema: &Value) -> (Value, bool) {
    let is_object = schema.get("type").and_then(Value::as_str) == Some("object")
        || (schema.get("type").is_none() && schema.get("properties").is_some());
    if is_object {
        return (schema.clone(), false);
    }
    let mut inner = schema.clone();
    let mut wrapped = json!({"type": "object", "properties": {}, "required": ["value"]});
    for defs in ["$defs", "definitions"] {
        if let Some(d) = inner.as_object_mut().and_then(|o| o.remove(defs)) {
            wrapped[defs] = d;
        }
    }
    wrapped["properties"]["value"] = inner;
    (wrapped, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_object_schemas_are_wrapped() {
        let (s, wrapped) = object_schema(
            &json!({"type": "array", "items": {"$ref": "#/$defs/X"}, "$defs": {"X": {}}}),
        );
        assert!(wrapped);
        assert_eq!(s["properties"]["value"]["type"], "array");
        assert!(s["$defs"]["X"].is_object());
        assert!(s["properties"]["value"].get("$defs").is_none());
        let (_, wrapped) = object_schema(&json!({"type": "object", "properties": {}}));
        assert!(!wrapped);
    }
}
