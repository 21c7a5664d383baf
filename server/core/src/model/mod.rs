//! The documents of a Pact project, field for field as the original Python Pact writes them.
//!
//! Every struct keeps the fields it does not know in `extra` and writes them back unchanged, so a
//! project written by a newer (or older) Pact survives a round trip through this one. Fields the
//! original added after v0.3.0 are `Option`s written only when present.

mod build_record;
mod contract;
mod integrity;
mod run;
mod suite;
mod tree;

pub use build_record::*;
pub use contract::*;
pub use integrity::*;
pub use run::*;
pub use suite::*;
pub use tree::*;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Fields a document carries that this version of the model does not know.
pub type Extra = serde_json::Map<String, Value>;

/// An insertion-ordered map of strings, as the original's `dict[str, str]` fields.
pub type StringMap = IndexMap<String, String>;

fn value_to_string(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Accepts a string, `null` (→ "") or any other JSON value (→ its JSON text), as the original's
/// pre-validators do for LLM-written fields such as `FieldSpec.default`.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Value::deserialize(d).map(value_to_string)
}

/// Like [`lenient_string`] for maps of strings (`input_values`, `mock_dependencies`, `error_data`).
pub(crate) fn lenient_string_map<'de, D: Deserializer<'de>>(d: D) -> Result<StringMap, D::Error> {
    let map = Option::<IndexMap<String, Value>>::deserialize(d)?.unwrap_or_default();
    Ok(map
        .into_iter()
        .map(|(k, v)| (k, value_to_string(v)))
        .collect())
}
