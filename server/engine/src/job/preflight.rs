//! Everything a job needs, checked before it changes anything: the component and its files,
//! the locked tests, the API key of every role the job will call, and the test runtime (which
//! is provisioned here, once per machine, with progress). A job that fails here leaves every
//! file of the project as it was.

use super::{JobKind, Problem};
use crate::engine::Engine;
use crate::lock::{self, LockError};
use crate::roles;
use pact_core::model::{Phase, RunStatus};

/// What the preflight found: the job can go, or (a Build) there is nothing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ready {
    Go,
    UpToDate,
}

pub(super) async fn check(e: &Engine, kind: &JobKind) -> Result<Ready, Problem> {
    match kind {
        JobKind::Decompose | JobKind::Run { .. } => {
            let fresh = matches!(kind, JobKind::Run { fresh: true, .. });
            let state = if fresh {
                None
            } else {
                e.project.load_state().map_err(|err| Problem::Config {
                    message: err.to_string(),
                })?
            };
            // A run that has ended reports how it ended: nothing to call.
            let ended = state.as_ref().is_some_and(|s| {
                matches!(
                    s.status,
                    RunStatus::Completed | RunStatus::Failed | RunStatus::BudgetExceeded
                )
            });
            if ended {
                return Ok(Ready::Go);
            }
            let phase = state.map_or(Phase::Interview, |s| s.phase);
            let planned = e.project.load_tree().ok().flatten().is_some();
            if !planned && matches!(phase, Phase::Interview | Phase::Shape | Phase::Decompose) {
                // The interview and the decomposition work from task.md: without it they
                // would plan from nothing (and spend on it).
                let task = e.project.layout.task_md();
                let max = pact_core::json::MAX_DOCUMENT_BYTES as u64;
                let empty = pact_core::store::fsio::read_text(&task, max)
                    .ok()
                    .flatten()
                    .is_none_or(|t| t.trim().is_empty());
                if empty {
                    return Err(Problem::NoTask {
                        path: task.display().to_string(),
                    });
                }
            }
            keys(
                e,
                &pipeline_roles(e, phase, matches!(kind, JobKind::Decompose)),
            )?;
        }
        JobKind::Build { component, .. } | JobKind::Rebuild { component, .. } => {
            component_ready(e, component, true)?;
            let rebuild = matches!(kind, JobKind::Rebuild { .. });
            // An up-to-date component needs nothing: Build says so and costs nothing.
            if !rebuild && crate::build::already_built(e, component).unwrap_or(false) {
                return Ok(Ready::UpToDate);
            }
            let mut needed = vec![roles::CODE_AUTHOR];
            if e.config.mutation_gate() && e.config.max_plan_revisions() > 0 {
                // The mutation gate sends a weak suite back to the test author.
                needed.push(roles::TEST_AUTHOR);
            }
            keys(e, &needed)?;
        }
        JobKind::RegenerateTests { component } => {
            component_ready(e, component, false)?;
            keys(e, &[roles::TEST_AUTHOR])?;
        }
        JobKind::RunTests { component } => component_ready(e, component, true)?,
        JobKind::Adopt { modules } => {
            if modules.is_empty() {
                return Err(Problem::Other {
                    message: "no module with a public function to adopt".into(),
                });
            }
            if e.project.load_tree().ok().flatten().is_some() {
                return Err(Problem::Other {
                    message: format!(
                        "{} is a Pact project already (it has a decomposition tree); adopt brings code without one under contract",
                        e.project.root().display()
                    ),
                });
            }
            keys(e, &[roles::CONTRACT_AUTHOR, roles::TEST_AUTHOR])?;
        }
    }
    e.preflight()
        .await
        .map(|()| Ready::Go)
        .map_err(|err| Problem::from_error(&err))
}

/// The roles the pipeline will call from `phase` on (a decompose stops at the plan).
fn pipeline_roles(e: &Engine, phase: Phase, plan_only: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    if super::planning(phase) {
        if phase == Phase::Interview {
            out.push(roles::INTERVIEWER);
        }
        if matches!(phase, Phase::Interview | Phase::Shape) && e.config.shaping() {
            out.push(roles::SHAPER);
        }
        out.extend([
            roles::DECOMPOSER,
            roles::CONTRACT_AUTHOR,
            roles::TEST_AUTHOR,
        ]);
    }
    if !plan_only && !e.config.plan_only() {
        out.push(roles::CODE_AUTHOR);
        if phase == Phase::Diagnose {
            out.push(roles::TRACE_ANALYST);
        }
        if !out.contains(&roles::TEST_AUTHOR) && e.config.mutation_gate() {
            out.push(roles::TEST_AUTHOR);
        }
    }
    out
}

/// Each role's backend can be built: its key is set, its recording exists.
fn keys(e: &Engine, needed: &[&str]) -> Result<(), Problem> {
    for role in needed {
        if let Err(err) = e.backends.for_role(role) {
            return Err(Problem::from_error(&crate::EngineError::Agent(err)));
        }
    }
    Ok(())
}

/// The component is in the tree with a contract and (`tests`) its locked tests, unchanged.
fn component_ready(e: &Engine, cid: &str, tests: bool) -> Result<(), Problem> {
    let other = |err: &dyn std::fmt::Display| Problem::Other {
        message: err.to_string(),
    };
    pact_core::ids::check_component_id(cid).map_err(|err| other(&err))?;
    let tree = e.project.load_tree().map_err(|err| other(&err))?;
    let Some(tree) = tree else {
        return Err(Problem::NotDecomposed);
    };
    if !tree.nodes.contains_key(cid) {
        return Err(Problem::UnknownComponent {
            component: cid.to_string(),
        });
    }
    if e.project
        .load_contract(cid)
        .map_err(|err| other(&err))?
        .is_none()
    {
        return Err(Problem::NoContract {
            component: cid.to_string(),
        });
    }
    if !tests {
        return Ok(());
    }
    if e.project
        .load_suite(cid)
        .map_err(|err| other(&err))?
        .is_none()
    {
        return Err(Problem::NoTests {
            component: cid.to_string(),
        });
    }
    match lock::verified_tests(&e.project, cid) {
        Ok(_) => Ok(()),
        // Tests another tool wrote (or from before locking): the build locks them as they are.
        Err(LockError::NotLocked { .. }) => {
            let file = e
                .project
                .layout
                .tests_dir(cid)
                .join(crate::phases::language(e).test_file_name());
            if file.is_file() {
                Ok(())
            } else {
                Err(Problem::NoTests {
                    component: cid.to_string(),
                })
            }
        }
        Err(err) => Err(Problem::from_error(&crate::EngineError::Lock(err))),
    }
}
