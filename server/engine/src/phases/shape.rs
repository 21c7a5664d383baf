//! The shape phase: an optional pitch (appetite, scope) that guides decomposition; advice only,
//! so its failure never stops a run.

use super::interview::interview_context;
use super::{ask, read};
use crate::engine::{Engine, EngineError, Outcome, Result};
use crate::roles;
use pact_core::model::Phase;

pub(super) async fn shape(e: &Engine) -> Result<Outcome> {
    let next = Outcome::Advanced {
        to: Phase::Decompose,
    };
    let pitch_path = e.project.layout.decomposition_dir().join("pitch.json");
    if !e.config.shaping() || pitch_path.exists() {
        return Ok(next);
    }
    let task = read(e, &e.project.layout.task_md())?;
    let sops = read(e, &e.project.layout.sops_md())?;
    let interview = interview_context(e.project.load_interview()?.as_ref());
    let spent = e
        .backends
        .budget()
        .and_then(|b| b.spent().ok())
        .unwrap_or(0.0);
    let appetite = if e.config.budget() - spent > e.config.budget() * 0.5 {
        "big"
    } else {
        "small"
    };
    match ask(e, &roles::shape(&task, &sops, &interview, appetite)).await {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.insert("status".into(), "shaped".into());
            }
            let text = serde_json::to_string_pretty(&v)
                .map_err(|err| EngineError::Invalid(err.to_string()))?;
            e.project.write_text(&pitch_path, &text)?;
            e.audit("shape", format!("appetite {appetite}"))?;
        }
        Err(err)
            if matches!(&err, EngineError::Agent(a) if a.is_budget()) || err.is_cancelled() =>
        {
            return Err(err);
        }
        // Shaping is advice: a failure is recorded and decomposition goes on without it.
        Err(err) => e.audit("shape_error", err.to_string())?,
    }
    Ok(next)
}
