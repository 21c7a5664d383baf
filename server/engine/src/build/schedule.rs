//! Building many components at once: each after what it depends on, in parallel up to the
//! configured limit, and nothing built on top of a failed dependency.

use super::deps::dependencies;
use super::{BuildMode, build_component};
use crate::engine::{Engine, EngineError, Result};
use crate::phases::set_node_status;
use pact_core::model::{ImplementationStatus, TaskStatus};
use std::collections::{HashMap, HashSet};

/// Builds `ids` (skipping those already built from the current tests), each after the
/// components it depends on. Returns the ids that failed.
pub async fn build_many(e: &Engine, ids: &[String], mode: BuildMode) -> Result<Vec<String>> {
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut deps: HashMap<String, Vec<String>> = HashMap::new();
    for id in ids {
        let d = dependencies(e, id)?;
        deps.insert(
            id.clone(),
            d.into_iter()
                .filter(|x| wanted.contains(x.as_str()))
                .collect(),
        );
    }
    let mut done: HashSet<String> = HashSet::new();
    let mut failed: Vec<String> = Vec::new();
    let mut pending: Vec<String> = ids.to_vec();
    let limit = if mode.parallel {
        mode.max_concurrent.max(1)
    } else {
        1
    };
    let mut running = tokio::task::JoinSet::new();
    loop {
        e.check_cancel()?;
        // Anything whose dependency failed cannot be built now.
        let mut blocked = Vec::new();
        pending.retain(|id| {
            let bad = deps
                .get(id)
                .is_some_and(|d| d.iter().any(|x| failed.contains(x)));
            if bad {
                blocked.push(id.clone());
            }
            !bad
        });
        for id in blocked {
            mark_failed(e, &id, "a dependency failed to build")?;
            failed.push(id);
        }
        let ready: Vec<String> = pending
            .iter()
            .filter(|id| {
                deps.get(*id)
                    .is_none_or(|d| d.iter().all(|x| done.contains(x)))
            })
            .cloned()
            .collect();
        for id in ready {
            if running.len() >= limit {
                break;
            }
            pending.retain(|p| *p != id);
            let e2 = e.clone();
            running.spawn(async move {
                let r = build_component(&e2, &id, mode).await;
                (id, r)
            });
        }
        let Some(joined) = running.join_next().await else {
            if pending.is_empty() {
                break;
            }
            // Nothing runs and nothing is ready: a dependency cycle among what is left.
            for id in std::mem::take(&mut pending) {
                mark_failed(e, &id, "its dependencies form a cycle")?;
                failed.push(id);
            }
            break;
        };
        let (id, r) =
            joined.map_err(|err| EngineError::Invalid(format!("a build task panicked: {err}")))?;
        match r {
            Ok(true) => {
                done.insert(id);
            }
            Ok(false) => failed.push(id),
            Err(err) => {
                running.abort_all();
                return Err(err);
            }
        }
    }
    Ok(failed)
}

fn mark_failed(e: &Engine, cid: &str, why: &str) -> Result<()> {
    e.update(|s| {
        let t = s.task_mut(cid);
        t.status = TaskStatus::Failed;
        t.last_error = why.to_string();
    })?;
    set_node_status(e, cid, ImplementationStatus::Failed)
}
