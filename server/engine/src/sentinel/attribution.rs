//! Which project and component an error belongs to: by the `PACT:<hash>:<component>` log key
//! generated code writes, by the log file or process it came from, and — when no key says —
//! by asking the triage agent.

use super::{Signal, Target};
use crate::engine::{Engine, EngineError};
use pact_agents::LlmRequest;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::LazyLock;

pub const TRIAGE: &str = "triage";

/// `PACT:<8 hex>:<component id>`.
pub static KEY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"PACT:([0-9a-f]{8}):([A-Za-z0-9_.\-]+)").unwrap_or_else(|_| unreachable!())
});

/// The first log key in `text`: (project hash, component id).
pub fn find_key(text: &str) -> Option<(String, String)> {
    let c = KEY_RE.captures(text)?;
    let cid = c.get(2)?.as_str().trim_end_matches('.');
    if cid.is_empty() {
        return None;
    }
    Some((c.get(1)?.as_str().to_string(), cid.to_string()))
}

/// Where a signal points before any agent is asked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Located {
    /// Index into the targets.
    pub project: Option<usize>,
    pub component: Option<String>,
    /// `log_key`, `log_file`, `process`, `webhook`, `only_project`, or "".
    pub how: String,
}

/// Attribution without an agent: the log key first, then where the signal came from.
pub fn locate(targets: &[Target], sig: &Signal) -> Located {
    let key = if sig.log_key.is_empty() {
        find_key(&sig.raw_text)
    } else {
        find_key(&sig.log_key).or_else(|| find_key(&sig.raw_text))
    };
    if let Some((hash, cid)) = key {
        for (i, t) in targets.iter().enumerate() {
            if t.key_hash == hash {
                let known = t.components().iter().any(|c| c.id == cid);
                return Located {
                    project: Some(i),
                    component: known.then_some(cid),
                    how: "log_key".into(),
                };
            }
        }
    }
    if !sig.file_path.is_empty()
        && let Some(i) = targets.iter().position(|t| {
            t.log_files
                .iter()
                .any(|f| f.to_string_lossy() == sig.file_path)
        })
    {
        return Located {
            project: Some(i),
            component: None,
            how: "log_file".into(),
        };
    }
    if !sig.process_name.is_empty()
        && let Some(i) = targets.iter().position(|t| {
            t.process_patterns
                .iter()
                .any(|p| sig.process_name.contains(p.as_str()) || p.contains(&sig.process_name))
        })
    {
        return Located {
            project: Some(i),
            component: None,
            how: "process".into(),
        };
    }
    if let Some(dir) = sig.extra.get("project").and_then(Value::as_str)
        && let Some(i) = targets
            .iter()
            .position(|t| t.engine.project.root().to_string_lossy() == dir)
    {
        return Located {
            project: Some(i),
            component: None,
            how: "webhook".into(),
        };
    }
    if targets.len() == 1 {
        return Located {
            project: Some(0),
            component: None,
            how: "only_project".into(),
        };
    }
    Located::default()
}

/// What the triage agent answers (the seed's `TriageResult`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageResult {
    pub component_id: String,
    #[serde(default)]
    pub confidence: f64,
    #[serde(default)]
    pub reasoning: String,
}

pub fn triage_schema() -> Value {
    json!({"type": "object", "required": ["component_id", "confidence", "reasoning"],
        "properties": {
            "component_id": {"type": "string", "minLength": 1},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "reasoning": {"type": "string"}}})
}

/// A component as triage sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentBrief {
    pub id: String,
    pub name: String,
    pub description: String,
    pub functions: Vec<String>,
    pub files: Vec<String>,
}

pub fn triage_request(error: &str, components: &[ComponentBrief]) -> LlmRequest {
    let listing: Vec<String> = components
        .iter()
        .map(|c| {
            let mut s = format!("- `{}` — {}: {}", c.id, c.name, c.description);
            if !c.functions.is_empty() {
                s.push_str(&format!("\n  functions: {}", c.functions.join(", ")));
            }
            if !c.files.is_empty() {
                s.push_str(&format!("\n  files: {}", c.files.join(", ")));
            }
            s
        })
        .collect();
    LlmRequest::new(TRIAGE, "TriageResult", triage_schema())
        .system(
            "You are starting fresh as an on-call engineer triaging a production error. Given the \
error and the components of the system (their contracts' functions and source files), name the one \
component whose code most likely raised it, how confident you are (0 to 1), and why. Answer \
`unknown` if the error cannot come from any of them.",
        )
        .user(format!(
            "# Error\n```\n{}\n```\n\n# Components\n{}",
            error.trim(),
            listing.join("\n")
        ))
        .phase("monitor")
}

/// Asks the triage agent; `Ok(None)` when it cannot name a known component.
pub async fn triage(
    e: &Engine,
    error: &str,
    components: &[ComponentBrief],
) -> Result<(Option<String>, TriageResult), EngineError> {
    let req = triage_request(error, components);
    let answer = e
        .backends
        .for_role(TRIAGE)?
        .complete(&req, &e.cancel)
        .await?;
    let r: TriageResult = serde_json::from_value(answer.value).map_err(|err| {
        EngineError::Invalid(format!("the triage answer does not fit the model: {err}"))
    })?;
    let known = components.iter().any(|c| c.id == r.component_id);
    Ok((known.then(|| r.component_id.clone()), r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_in_log_lines() {
        assert_eq!(
            find_key("2024-01-01 ERROR [PACT:0a1b2c3d:counter] boom"),
            Some(("0a1b2c3d".into(), "counter".into()))
        );
        assert_eq!(
            find_key("raised in PACT:0a1b2c3d:word_freq.v2."),
            Some(("0a1b2c3d".into(), "word_freq.v2".into()))
        );
        assert_eq!(find_key("PACT:xyz:counter"), None);
        assert_eq!(find_key("no key here"), None);
    }
}
