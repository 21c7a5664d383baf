//! The tools' inputs. Field docs become the JSON Schema's descriptions the agent reads.

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct ProjectArgs {
    /// The project's directory (absolute, or relative to where the server was started);
    /// default: that directory.
    #[serde(default)]
    pub project: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct ValidateArgs {
    /// The project's directory (absolute, or relative to where the server was started);
    /// default: that directory.
    #[serde(default)]
    pub project: Option<String>,
    /// Only the findings about this component.
    #[serde(default)]
    pub component: Option<String>,
    /// Only the findings in this file (absolute, or relative to the project).
    #[serde(default)]
    pub file: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ComponentArgs {
    /// The project's directory (absolute, or relative to where the server was started);
    /// default: that directory.
    #[serde(default)]
    pub project: Option<String>,
    /// The component's id, as in the decomposition tree.
    pub component: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct BuildArgs {
    /// The project's directory (absolute, or relative to where the server was started);
    /// default: that directory.
    #[serde(default)]
    pub project: Option<String>,
    /// The component's id, as in the decomposition tree.
    pub component: String,
    /// Competing code agents (1: one agent). Default 1.
    #[serde(default)]
    pub agents: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ExplainArgs {
    /// A finding's code, as `validate` reports it (`unresolved-type`, …).
    pub code: String,
}
