//! The editor's settings for runs (backend, model, budget, trace), as the client sends them.

use pact_engine::setup::RunOptions;
use serde_json::Value;

/// The editor's settings for runs: `initializationOptions.pact` and
/// `workspace/didChangeConfiguration` `settings.pact` (`backend`, `model`, `budget`, `trace`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub backend: Option<String>,
    pub model: Option<String>,
    pub budget: Option<f64>,
    pub trace: Option<String>,
}

impl Settings {
    /// Reads the `pact` object of `v`; `None` when there is none. Null, empty and malformed
    /// values are unset (the project's own `pact.yaml` applies).
    pub fn from_value(v: &Value) -> Option<Self> {
        let o = v.get("pact")?.as_object()?;
        let text = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let budget = o
            .get("budget")
            .and_then(|b| b.as_f64().or_else(|| b.as_str()?.trim().parse().ok()))
            .filter(|b| b.is_finite() && *b > 0.0);
        Some(Self {
            backend: text("backend"),
            model: text("model"),
            budget,
            trace: text("trace"),
        })
    }

    pub fn run_options(&self) -> RunOptions {
        RunOptions {
            backend: self.backend.clone(),
            model: self.model.clone(),
            budget: self.budget,
            ..Default::default()
        }
    }

    /// `trace: verbose` also forwards the server's debug log to the client.
    pub fn verbose(&self) -> bool {
        self.trace.as_deref() == Some("verbose")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_from_the_editor() {
        let s = Settings::from_value(
            &json!({"pact": {"backend": "replay", "model": "", "budget": "2.5", "trace": "verbose"}}),
        )
        .unwrap_or_default();
        assert_eq!(s.backend.as_deref(), Some("replay"));
        assert_eq!(s.model, None);
        assert_eq!(s.budget, Some(2.5));
        assert!(s.verbose());
        assert!(Settings::from_value(&json!({"debounceMs": 10})).is_none());
        let s = Settings::from_value(&json!({"pact": {"budget": null, "backend": null}}))
            .unwrap_or_default();
        assert_eq!(s, Settings::default());
    }
}
