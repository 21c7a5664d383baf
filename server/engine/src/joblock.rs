//! One job per project at a time. A run (from the CLI or the language server) holds
//! `.pact/run.lock`; a second one is refused with a message naming who holds it.

use pact_core::store::Project;
use pact_core::store::fsio::{FileLock, write_atomic};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Holder {
    pub pid: u32,
    pub command: String,
    pub started_at: String,
}

#[derive(Debug, Error)]
pub enum JobError {
    #[error("another job is running on this project: {} (pid {}, since {}); wait for it or stop it with `pact stop`", .0.command, .0.pid, .0.started_at)]
    Busy(Holder),
    #[error(
        "another job is running on this project (holder unknown); wait for it or stop it with `pact stop`"
    )]
    BusyUnknown,
    #[error("cannot lock the project: {0}")]
    Io(#[from] std::io::Error),
}

/// Held for the duration of a job; released on drop (or when the process dies).
#[derive(Debug)]
pub struct JobLock {
    _lock: FileLock,
    owner_path: std::path::PathBuf,
}

impl Drop for JobLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.owner_path);
    }
}

pub fn acquire(project: &Project, command: &str) -> Result<JobLock, JobError> {
    let dir = project.layout.pact_dir();
    let owner_path = dir.join("run.owner.json");
    match FileLock::try_acquire(&dir.join("run.lock"))? {
        Some(lock) => {
            pact_core::store::ensure_gitignore(&dir);
            let holder = Holder {
                pid: std::process::id(),
                command: command.to_string(),
                started_at: pact_core::store::now_iso(),
            };
            let text = serde_json::to_string(&holder).map_err(std::io::Error::other)?;
            write_atomic(&owner_path, text.as_bytes())?;
            Ok(JobLock {
                _lock: lock,
                owner_path,
            })
        }
        None => match holder(project) {
            Some(h) => Err(JobError::Busy(h)),
            None => Err(JobError::BusyUnknown),
        },
    }
}

/// Whether a job holds the project now, found without taking the lock and without creating or
/// changing any file (for commands that only look, or must refuse before they change anything).
/// `Err(JobError::Busy…)` names the holder when it said who it is.
pub fn check_free(project: &Project) -> Result<(), JobError> {
    let path = project.layout.pact_dir().join("run.lock");
    let file = match std::fs::OpenOptions::new().read(true).open(&path) {
        Ok(f) => f,
        // No lock file: no job has ever run here.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(JobError::Io(e)),
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            Ok(())
        }
        Err(std::fs::TryLockError::WouldBlock) => match holder(project) {
            Some(h) => Err(JobError::Busy(h)),
            None => Err(JobError::BusyUnknown),
        },
        Err(std::fs::TryLockError::Error(e)) => Err(JobError::Io(e)),
    }
}

/// Who holds the project now, if anyone says so.
pub fn holder(project: &Project) -> Option<Holder> {
    let text = std::fs::read_to_string(project.layout.pact_dir().join("run.owner.json")).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_job_is_refused_with_the_holder() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let (p, _) = Project::init(tmp.path(), 1.0)?;
        let first = acquire(&p, "pact run")?;
        let second = acquire(&p, "pact build x");
        let msg = second.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("pact run") && msg.contains(&std::process::id().to_string()),
            "{msg}"
        );
        drop(first);
        assert!(acquire(&p, "pact build x").is_ok());
        Ok(())
    }

    #[test]
    fn check_free_sees_the_holder_and_changes_nothing() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let (p, _) = Project::init(tmp.path(), 1.0)?;
        let lock = p.layout.pact_dir().join("run.lock");
        assert!(check_free(&p).is_ok());
        assert!(!lock.exists(), "looking must not create the lock file");
        let held = acquire(&p, "pact run")?;
        let msg = check_free(&p)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("pact run"), "{msg}");
        drop(held);
        assert!(check_free(&p).is_ok());
        Ok(())
    }
}
