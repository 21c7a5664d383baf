//! `pact resume`: a failed, paused or out-of-budget run set back to active, where it stopped or
//! at an earlier phase. [`plan`] checks everything and changes nothing; [`apply`] changes the run
//! state under its lock only if it is still what the plan saw. A daemon waiting on the project is
//! left to take the run back itself (the front end sends it `resume`).

use crate::joblock::{self, JobError};
use pact_core::model::{Phase, RunStatus, TaskStatus};
use pact_core::store::Project;
use serde::Serialize;
use std::path::PathBuf;
use thiserror::Error;

/// The phases a run can resume at: the ones the engine runs, in pipeline order.
pub const PHASES: &[Phase] = &[
    Phase::Interview,
    Phase::Shape,
    Phase::Decompose,
    Phase::Contract,
    Phase::Test,
    Phase::Validate,
    Phase::Implement,
    Phase::Integrate,
];

/// Why a run cannot be resumed. Nothing was changed.
#[derive(Debug, Error)]
pub enum ResumeError {
    #[error("no run to resume: {} does not exist (start one with `pact run`)", .path.display())]
    NoRun { path: PathBuf },
    #[error("the run is already active (phase {phase}); nothing to resume")]
    Active { phase: Phase },
    #[error("the run has completed; nothing to resume (`pact run --force-new` starts a new one)")]
    Completed,
    #[error("unknown phase '{given}' (phases: {})", names())]
    UnknownPhase { given: String },
    #[error("a run cannot resume at '{phase}' (phases: {})", names())]
    NotResumable { phase: Phase },
    #[error(
        "--from-phase {to} comes after the run's phase {at}: resume can only go back (phases: {})",
        names()
    )]
    Later { to: Phase, at: Phase },
    #[error("the budget is spent (${spent:.2} of ${budget:.2}); raise `budget` in pact.yaml first")]
    BudgetSpent { spent: f64, budget: f64 },
    #[error(transparent)]
    Busy(JobError),
    #[error(
        "the run changed while resuming (now {status}, phase {phase}); run `pact resume` again"
    )]
    Changed { status: RunStatus, phase: Phase },
    #[error("{0}")]
    Project(String),
}

fn names() -> String {
    PHASES
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What [`apply`] will do, decided from the run as it is now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResumePlan {
    pub status: RunStatus,
    pub phase: Phase,
    /// Where the run goes on.
    pub resume_phase: Phase,
    /// Why the run stopped (cleared when it resumes).
    pub pause_reason: String,
    /// Components the run has finished.
    pub completed_components: Vec<String>,
    /// The run was paused by a health check: resuming acknowledges its conditions.
    pub health_pause: bool,
    /// A daemon waits on the project for directives (its pid): it is sent `resume` and takes
    /// the run back itself.
    pub daemon: Option<u32>,
}

/// Checks that the project's run can resume (at `from_phase`, a phase name, if given) and says
/// how. Reads only.
pub fn plan(project: &Project, from_phase: Option<&str>) -> Result<ResumePlan, ResumeError> {
    let target = match from_phase.map(str::trim) {
        None => None,
        Some(name) => Some(parse_phase(name)?),
    };
    let state = crate::artifacts::read_state(project)
        .map_err(|e| ResumeError::Project(e.to_string()))?
        .ok_or_else(|| ResumeError::NoRun {
            path: project.layout.state(),
        })?;
    match state.status {
        RunStatus::Active => return Err(ResumeError::Active { phase: state.phase }),
        RunStatus::Completed => return Err(ResumeError::Completed),
        RunStatus::Paused | RunStatus::Failed | RunStatus::BudgetExceeded => {}
    }
    // As the original: a run that stopped in diagnosis goes on by implementing again.
    let here = match state.phase {
        Phase::Diagnose => Phase::Implement,
        p => p,
    };
    let resume_phase = match target {
        None => here,
        Some(to) if rank(to) > rank(here) => return Err(ResumeError::Later { to, at: here }),
        Some(to) => to,
    };
    if state.status == RunStatus::BudgetExceeded {
        let config = project
            .config()
            .map_err(|e| ResumeError::Project(e.to_string()))?;
        let ledger = pact_agents::BudgetLedger::load(&project.layout.budget())
            .map_err(|e| ResumeError::Project(e.to_string()))?;
        let spent = ledger.spent().max(state.total_cost_usd);
        let budget = config.budget();
        if spent >= budget {
            return Err(ResumeError::BudgetSpent { spent, budget });
        }
    }
    let health_pause = crate::health::is_health_pause(&state.pause_reason);
    if health_pause {
        // Acknowledging reads the configuration: a broken pact.yaml is found now, not halfway.
        project
            .config()
            .map_err(|e| ResumeError::Project(e.to_string()))?;
    }
    let daemon = match joblock::check_free(project) {
        Ok(()) => None,
        Err(e) => {
            // Only a daemon waiting for directives may hold the project while its run is paused.
            let d = crate::daemon::status(project);
            let daemon_holds = match (&e, d.pid) {
                (JobError::Busy(h), Some(pid)) => d.alive && h.pid == pid,
                _ => false,
            };
            if daemon_holds && state.status == RunStatus::Paused {
                d.pid
            } else {
                return Err(ResumeError::Busy(e));
            }
        }
    };
    Ok(ResumePlan {
        status: state.status,
        phase: state.phase,
        resume_phase,
        pause_reason: state.pause_reason.clone(),
        completed_components: state
            .component_tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Completed)
            .map(|t| t.component_id.clone())
            .collect(),
        health_pause,
        daemon,
    })
}

/// Resumes the run as planned: the phase set, and — unless a daemon is to take it back — the run
/// active with its stop reason cleared, a health pause acknowledged, and the resume audited.
/// Refused, with nothing changed, if the run is no longer what the plan saw.
pub fn apply(project: &Project, plan: &ResumePlan) -> Result<(), ResumeError> {
    let by_daemon = plan.daemon.is_some();
    if plan.health_pause {
        let config = project
            .config()
            .map_err(|e| ResumeError::Project(e.to_string()))?;
        crate::health::acknowledge(project, &config)
            .map_err(|e| ResumeError::Project(e.to_string()))?;
    }
    let changed = project
        .update_state(|s| {
            let s = s.as_mut()?;
            if s.status != plan.status || s.phase != plan.phase {
                return Some(Err(ResumeError::Changed {
                    status: s.status,
                    phase: s.phase,
                }));
            }
            s.phase = plan.resume_phase;
            s.completed_at.clear();
            if !by_daemon {
                s.status = RunStatus::Active;
                s.pause_reason.clear();
            }
            s.last_check_in = pact_core::store::now_iso();
            Some(Ok(()))
        })
        .map_err(|e| ResumeError::Project(e.to_string()))?;
    match changed {
        None => {
            return Err(ResumeError::NoRun {
                path: project.layout.state(),
            });
        }
        Some(r) => r?,
    }
    let mut detail = format!(
        "Resuming from {} at {}: {}",
        plan.status, plan.phase, plan.pause_reason
    );
    if plan.resume_phase != plan.phase {
        detail.push_str(&format!(" (at phase {})", plan.resume_phase));
    }
    project
        .audit("daemon_resume", detail)
        .map_err(|e| ResumeError::Project(e.to_string()))
}

/// Sets the run active, for when the daemon the plan counted on did not take the signal.
pub fn activate(project: &Project) -> Result<(), ResumeError> {
    project
        .update_state(|s| {
            if let Some(s) = s.as_mut()
                && s.status == RunStatus::Paused
            {
                s.status = RunStatus::Active;
                s.pause_reason.clear();
            }
        })
        .map_err(|e| ResumeError::Project(e.to_string()))
}

fn parse_phase(name: &str) -> Result<Phase, ResumeError> {
    let phase: Phase = serde_json::from_value(serde_json::Value::from(name.to_ascii_lowercase()))
        .map_err(|_| ResumeError::UnknownPhase {
        given: name.to_string(),
    })?;
    if PHASES.contains(&phase) {
        Ok(phase)
    } else {
        Err(ResumeError::NotResumable { phase })
    }
}

/// Pipeline order; the later phases after the ones a run resumes at.
fn rank(p: Phase) -> usize {
    PHASES.iter().position(|x| *x == p).unwrap_or(PHASES.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_parse() {
        assert!(matches!(parse_phase("Implement"), Ok(Phase::Implement)));
        assert!(matches!(
            parse_phase("complete"),
            Err(ResumeError::NotResumable { .. })
        ));
        assert!(matches!(
            parse_phase("implementing"),
            Err(ResumeError::UnknownPhase { .. })
        ));
    }

    #[test]
    fn resume_goes_back_only() {
        assert!(rank(Phase::Contract) < rank(Phase::Implement));
        assert!(rank(Phase::Integrate) > rank(Phase::Implement));
    }
}
