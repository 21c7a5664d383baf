//! Building an engine for a project the way every front end does (CLI, language server,
//! daemon): configuration, the backend router with record/replay, and editor overrides.

use crate::engine::{Engine, EngineError, Result};
use crate::events::Sink;
use pact_agents::{Env, Router, RouterOptions};
use pact_core::config::Config;
use pact_core::store::Project;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Choices a front end passes in (flags, editor settings). `None` leaves the project's own.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Append every model answer to this recording.
    pub record: Option<PathBuf>,
    /// Answer every model call from this recording.
    pub replay: Option<PathBuf>,
    /// Use this backend for every role (an editor setting).
    pub backend: Option<String>,
    /// Use this model for every role (an editor setting).
    pub model: Option<String>,
    /// Cap spend at this budget instead of pact.yaml's.
    pub budget: Option<f64>,
}

/// The engine for `project`. A project whose `backend` is `replay` and that carries a
/// `session.jsonl` replays it, unless the environment chooses another backend or recording.
pub fn engine_for(project: &Project, opts: &RunOptions, events: Sink) -> Result<Engine> {
    let (config, router) = router_for(project, opts)?;
    let mut engine = Engine::new(project.clone(), config, Arc::new(router), events);
    engine.harness.timeout = Duration::from_secs(300);
    Ok(engine)
}

/// The project's configuration with the front end's overrides, and the router built from it
/// (also what `pact ping` checks).
pub fn router_for(project: &Project, opts: &RunOptions) -> Result<(Config, Router)> {
    let mut config = project
        .config()
        .map_err(|e| EngineError::Invalid(e.to_string()))?;
    if let Some(b) = opts.backend.as_ref().filter(|b| !b.is_empty()) {
        config.project.backend = b.clone();
        config.project.role_backends.clear();
    }
    if let Some(m) = opts.model.as_ref().filter(|m| !m.is_empty()) {
        config.project.model = m.clone();
        config.project.role_models.clear();
    }
    if let Some(b) = opts.budget.filter(|b| b.is_finite() && *b > 0.0) {
        config.project.budget = b;
    }
    let replay = opts.replay.clone().or_else(|| {
        let own = project.root().join("session.jsonl");
        let overridden = std::env::var_os("PACT_REPLAY_FILE").is_some()
            || std::env::var_os("PACT_BACKEND").is_some();
        (config.project.backend == "replay" && !overridden && own.is_file()).then_some(own)
    });
    let router = Router::new(
        config.clone(),
        Env::from_process(),
        RouterOptions {
            project_root: Some(project.root().to_path_buf()),
            record: opts.record.clone(),
            replay,
            ..Default::default()
        },
    );
    Ok((config, router))
}
