//! One error type for every backend, with messages a user can act on: which variable to set,
//! which file holds the raw answer, which recorded request is missing.

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AgentError {
    /// The backend needs a key and the environment has none.
    #[error("{var} is not set: the {backend} backend needs an API key (export {var}=...)")]
    MissingKey { backend: String, var: String },

    /// 401/403: retrying cannot help, the user has to fix the key.
    #[error(
        "{backend} rejected the API key (HTTP {status}): {message}. Check that {var} holds a valid key with access to this model"
    )]
    Auth {
        backend: String,
        var: String,
        status: u16,
        message: String,
    },

    /// 400/404/413/422: the request itself is wrong (unknown model, schema the provider refuses…).
    #[error("{backend} refused the request (HTTP {status}): {message}")]
    BadRequest {
        backend: String,
        status: u16,
        message: String,
    },

    #[error("{backend} is still rate limiting (HTTP 429) after {attempts} attempts: {message}")]
    RateLimited {
        backend: String,
        attempts: u32,
        message: String,
    },

    #[error("{backend} server error (HTTP {status}) after {attempts} attempts: {message}")]
    Server {
        backend: String,
        status: u16,
        attempts: u32,
        message: String,
    },

    #[error("cannot reach {backend} after {attempts} attempts: {message}")]
    Connection {
        backend: String,
        attempts: u32,
        message: String,
    },

    #[error("{backend} did not answer within {seconds:.1} s")]
    Timeout { backend: String, seconds: f64 },

    #[error("the call was cancelled")]
    Cancelled,

    /// The provider answered 2xx but not in the shape its API documents.
    #[error("{backend} sent an unexpected response: {message}")]
    Protocol { backend: String, message: String },

    /// A subprocess backend (`claude`) failed to start or reported an error.
    #[error("{backend}: {message}")]
    Process { backend: String, message: String },

    /// The answer kept failing its schema after the bounded repair rounds.
    #[error(
        "{role}: the answer does not match the schema `{schema_name}` after {attempts} attempts: {errors}{}",
        raw_path.as_ref().map(|p| format!(" (raw answer saved to {})", p.display())).unwrap_or_default()
    )]
    SchemaFailed {
        role: String,
        schema_name: String,
        attempts: u32,
        errors: String,
        raw_path: Option<PathBuf>,
    },

    #[error(
        "replay: no recorded answer for role `{role}`, request {key} ({summary}) in {}; record it again with --record",
        file.display()
    )]
    ReplayMiss {
        role: String,
        key: String,
        summary: String,
        file: PathBuf,
    },

    #[error("{}", budget_message(*spent, *budget, *estimate))]
    BudgetExceeded {
        spent: f64,
        budget: f64,
        estimate: Option<f64>,
    },

    #[error("unknown backend `{name}` (available: {available})")]
    UnknownBackend { name: String, available: String },

    #[error("{0}")]
    Config(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn budget_message(spent: f64, budget: f64, estimate: Option<f64>) -> String {
    match estimate {
        Some(e) => format!(
            "budget: this call (about ${e:.4}) would take spend from ${spent:.4} past the project budget of ${budget:.2}"
        ),
        None => format!("budget: spend ${spent:.4} has passed the project budget of ${budget:.2}"),
    }
}

impl AgentError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        AgentError::Io {
            context: context.into(),
            source,
        }
    }

    /// Whether the run should stop with status `budget_exceeded` rather than fail.
    pub fn is_budget(&self) -> bool {
        matches!(self, AgentError::BudgetExceeded { .. })
    }
}

pub type Result<T, E = AgentError> = std::result::Result<T, E>;
