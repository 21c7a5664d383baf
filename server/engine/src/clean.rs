//! `pact clean`: what `.pact/` holds, by category and size, and removing what is safe to remove.
//!
//! Never removed: contracts and test suites, locked and held-out tests, the tree and the
//! interview, the run state, audit log and budget, implementations with their build records and
//! test results, integrity evidence and certification, integration results, incidents, and the
//! lock files (a lock file removed while a process holds it would let a second process lock a new
//! file of the same name). What can go, by flag:
//!
//! - **stale** — leftovers of processes that are gone: the daemon's pid file, pipe and shutdown
//!   note when no daemon runs, the Sentinel's pid file when it is not running, the job owner
//!   record when no job holds the project; the test-analysis cache (`cache/`, rebuilt on the next
//!   check); raw model answers that failed validation (`raw/`).
//! - **attempts** — competing and archived implementation attempts
//!   (`implementations/<cid>/attempts/`): the winner's code is already in `src/`.
//! - **all** — both, and the old contract versions (`contracts/<cid>/history/` but the newest).
//!
//! [`survey`] and [`plan`] only read; [`start`] takes the project's run lock before anything is
//! removed (and before the list of what goes is shown), so a job running or starting is never
//! cleaned under: refused while one holds the project.

use crate::joblock::{self, JobError};
use pact_core::store::Project;
use serde::Serialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Which flag removes something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Stale,
    Attempts,
    All,
}

/// What the user asked to remove.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selection {
    pub stale: bool,
    pub attempts: bool,
    pub all: bool,
}

impl Selection {
    pub fn any(self) -> bool {
        self.stale || self.attempts || self.all
    }
    fn takes(self, flag: Flag) -> bool {
        self.all
            || match flag {
                Flag::Stale => self.stale,
                Flag::Attempts => self.attempts,
                Flag::All => false,
            }
    }
}

/// The kinds of thing `.pact/` holds, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Contracts,
    ContractHistory,
    LockedTests,
    Plan,
    RunRecords,
    Implementations,
    Attempts,
    Evidence,
    Integration,
    Monitoring,
    Cache,
    RawAnswers,
    ProcessFiles,
    LockFiles,
    Other,
}

impl Category {
    pub const ALL: [Category; 15] = [
        Self::Contracts,
        Self::ContractHistory,
        Self::LockedTests,
        Self::Plan,
        Self::RunRecords,
        Self::Implementations,
        Self::Attempts,
        Self::Evidence,
        Self::Integration,
        Self::Monitoring,
        Self::Cache,
        Self::RawAnswers,
        Self::ProcessFiles,
        Self::LockFiles,
        Self::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Contracts => "contracts",
            Self::ContractHistory => "contract history",
            Self::LockedTests => "locked tests",
            Self::Plan => "plan",
            Self::RunRecords => "run records",
            Self::Implementations => "implementations",
            Self::Attempts => "attempts",
            Self::Evidence => "evidence",
            Self::Integration => "integration",
            Self::Monitoring => "monitoring",
            Self::Cache => "cache",
            Self::RawAnswers => "raw answers",
            Self::ProcessFiles => "process files",
            Self::LockFiles => "lock files",
            Self::Other => "other",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Contracts => "contracts, interface stubs and test suites",
            Self::ContractHistory => "earlier contract versions (contracts/<cid>/history/)",
            Self::LockedTests => "locked and held-out tests (locks/, hidden/)",
            Self::Plan => "tree, decisions, interview (decomposition/)",
            Self::RunRecords => "state.json, audit.jsonl, budget.json",
            Self::Implementations => "sources, build records, test results",
            Self::Attempts => "competing and archived attempts",
            Self::Evidence => "red-first and mutation records, certification",
            Self::Integration => "integration results (compositions/)",
            Self::Monitoring => "incidents and reports (monitoring/)",
            Self::Cache => "test-analysis cache (cache/)",
            Self::RawAnswers => "model answers that failed validation (raw/)",
            Self::ProcessFiles => "daemon and Sentinel pid files, pipe, job owner",
            Self::LockFiles => "locks of running processes (*.lock)",
            Self::Other => "anything else",
        }
    }

    /// The flag that may remove things of this category (some only when stale), if any.
    pub fn removed_by(self) -> Option<Flag> {
        match self {
            Self::Cache | Self::RawAnswers | Self::ProcessFiles => Some(Flag::Stale),
            Self::Attempts => Some(Flag::Attempts),
            Self::ContractHistory => Some(Flag::All),
            _ => None,
        }
    }
}

/// One category's share of `.pact/`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategorySize {
    pub category: Category,
    pub name: &'static str,
    pub description: &'static str,
    pub bytes: u64,
    pub files: u64,
    pub removed_by: Option<Flag>,
}

/// Something the clean removes: a file or a directory (with everything in it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Removal {
    /// Relative to the project, `/`-separated.
    pub path: String,
    pub category: Category,
    pub flag: Flag,
    pub bytes: u64,
    pub files: u64,
    pub reason: String,
}

/// What `.pact/` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Survey {
    pub bytes: u64,
    pub files: u64,
    pub categories: Vec<CategorySize>,
    /// A job holding the project ("pact run (pid 12, since …)"), if one does.
    pub job: Option<String>,
    #[serde(skip)]
    entries: Vec<Entry>,
    #[serde(skip)]
    root: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    rel: Vec<String>,
    bytes: u64,
    category: Category,
}

#[derive(Debug, Error)]
pub enum CleanError {
    #[error("{0}; nothing was removed")]
    Busy(JobError),
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Sizes `.pact/` by category (reads only; nothing is followed through a symbolic link).
pub fn survey(project: &Project) -> Result<Survey, CleanError> {
    let pact = project.layout.pact_dir();
    let mut entries = Vec::new();
    if std::fs::symlink_metadata(&pact).is_ok_and(|m| m.is_dir()) {
        walk(&pact, &mut Vec::new(), &mut entries)?;
    }
    entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    let categories = Category::ALL
        .iter()
        .map(|&c| {
            let mine = entries.iter().filter(|e| e.category == c);
            CategorySize {
                category: c,
                name: c.name(),
                description: c.describe(),
                bytes: mine.clone().map(|e| e.bytes).sum(),
                files: mine.count() as u64,
                removed_by: c.removed_by(),
            }
        })
        .collect();
    let job = match joblock::check_free(project) {
        Ok(()) => None,
        Err(JobError::Busy(h)) => Some(format!(
            "{} (pid {}, since {})",
            h.command, h.pid, h.started_at
        )),
        Err(e) => Some(e.to_string()),
    };
    Ok(Survey {
        bytes: entries.iter().map(|e| e.bytes).sum(),
        files: entries.len() as u64,
        categories,
        job,
        entries,
        root: project.root().to_path_buf(),
    })
}

fn walk(dir: &Path, rel: &mut Vec<String>, out: &mut Vec<Entry>) -> Result<(), CleanError> {
    let rd = std::fs::read_dir(dir).map_err(|source| CleanError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        rel.push(name);
        if meta.is_dir() {
            walk(&e.path(), rel, out)?;
        } else {
            out.push(Entry {
                category: classify(rel),
                rel: rel.clone(),
                bytes: meta.len(),
            });
        }
        rel.pop();
    }
    Ok(())
}

/// The category of a file by its path inside `.pact/`.
fn classify(rel: &[String]) -> Category {
    let parts: Vec<&str> = rel.iter().map(String::as_str).collect();
    match parts.as_slice() {
        ["contracts", _, "history", ..] => Category::ContractHistory,
        ["contracts", ..] => Category::Contracts,
        ["locks", .., f] | ["hidden", .., f] if !f.ends_with(".lock") => Category::LockedTests,
        ["decomposition", ..] => Category::Plan,
        ["state.json" | "audit.jsonl" | "budget.json"] => Category::RunRecords,
        ["implementations", _, "attempts", ..] => Category::Attempts,
        ["implementations", ..] => Category::Implementations,
        ["integrity", ..] | ["certification.json"] => Category::Evidence,
        ["compositions", ..] => Category::Integration,
        ["monitoring", ..] => Category::Monitoring,
        ["cache", ..] => Category::Cache,
        ["raw", ..] => Category::RawAnswers,
        ["daemon.pid" | "dispatch" | "shutdown" | "sentinel.pid" | "run.owner.json"] => {
            Category::ProcessFiles
        }
        [.., f] if f.ends_with(".lock") => Category::LockFiles,
        _ => Category::Other,
    }
}

/// What a clean with `sel` would remove, and why (reads only).
pub fn plan(project: &Project, survey: &Survey, sel: Selection) -> Vec<Removal> {
    let mut out: Vec<Removal> = Vec::new();
    let rel_of = |parts: &[&str]| {
        let mut p = vec![".pact"];
        p.extend_from_slice(parts);
        p.join("/")
    };
    // Whole directories: everything under them, counted once.
    let dir = |out: &mut Vec<Removal>, prefix: &[&str], category, flag, reason: &str| {
        let inside: Vec<&Entry> = survey
            .entries
            .iter()
            .filter(|e| e.rel.len() > prefix.len() && e.rel.iter().zip(prefix).all(|(a, b)| a == b))
            .collect();
        let exists = survey.root.join(".pact").join(prefix.join("/")).is_dir();
        if exists {
            out.push(Removal {
                path: format!("{}/", rel_of(prefix)),
                category,
                flag,
                bytes: inside.iter().map(|e| e.bytes).sum(),
                files: inside.len() as u64,
                reason: reason.to_string(),
            });
        }
    };
    if sel.takes(Flag::Stale) {
        let daemon = crate::daemon::status(project);
        let sentinel_alive =
            std::fs::read_to_string(project.layout.pact_dir().join("sentinel.pid"))
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
                .is_some_and(crate::daemon::pid_alive);
        for e in survey
            .entries
            .iter()
            .filter(|e| e.category == Category::ProcessFiles)
        {
            let name = e.rel.join("/");
            let reason = match name.as_str() {
                "daemon.pid" | "dispatch" | "shutdown" if !daemon.alive => "no daemon is running",
                "sentinel.pid" if !sentinel_alive => "the Sentinel is not running",
                "run.owner.json" if survey.job.is_none() => "no job holds the project",
                _ => continue,
            };
            out.push(Removal {
                path: rel_of(&[name.as_str()]),
                category: Category::ProcessFiles,
                flag: Flag::Stale,
                bytes: e.bytes,
                files: 1,
                reason: reason.into(),
            });
        }
        // The pipe is not a regular file: the survey saw it only if it is one.
        let fifo = crate::daemon::dispatch_path(project);
        if !daemon.alive
            && std::fs::symlink_metadata(&fifo).is_ok_and(|m| !m.is_file() && !m.is_dir())
            && !out.iter().any(|r| r.path == ".pact/dispatch")
        {
            out.push(Removal {
                path: ".pact/dispatch".into(),
                category: Category::ProcessFiles,
                flag: Flag::Stale,
                bytes: 0,
                files: 1,
                reason: "no daemon is running".into(),
            });
        }
        dir(
            &mut out,
            &["cache"],
            Category::Cache,
            Flag::Stale,
            "rebuilt on the next check",
        );
        dir(
            &mut out,
            &["raw"],
            Category::RawAnswers,
            Flag::Stale,
            "kept only to look at failed answers",
        );
    }
    if sel.takes(Flag::Attempts) {
        let mut cids: Vec<&str> = survey
            .entries
            .iter()
            .filter(|e| e.category == Category::Attempts)
            .filter_map(|e| e.rel.get(1).map(String::as_str))
            .collect();
        cids.dedup();
        for cid in cids {
            dir(
                &mut out,
                &["implementations", cid, "attempts"],
                Category::Attempts,
                Flag::Attempts,
                "the winner's code is in src/",
            );
        }
    }
    if sel.takes(Flag::All) {
        // Each component's history but its newest version (names are timestamps).
        let mut by_cid: std::collections::BTreeMap<&str, Vec<&Entry>> = Default::default();
        for e in survey
            .entries
            .iter()
            .filter(|e| e.category == Category::ContractHistory && e.rel.len() == 4)
        {
            by_cid.entry(e.rel[1].as_str()).or_default().push(e);
        }
        for (_, mut versions) in by_cid {
            versions.sort_by(|a, b| a.rel[3].cmp(&b.rel[3]));
            versions.pop();
            for e in versions {
                let parts: Vec<&str> = e.rel.iter().map(String::as_str).collect();
                out.push(Removal {
                    path: rel_of(&parts),
                    category: Category::ContractHistory,
                    flag: Flag::All,
                    bytes: e.bytes,
                    files: 1,
                    reason: "an earlier contract version".into(),
                });
            }
        }
    }
    out
}

/// What a clean removed, and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cleaned {
    pub removed: Vec<Removal>,
    pub bytes: u64,
    /// Paths it could not remove, with why.
    pub failed: Vec<(String, String)>,
}

/// A clean under way: it holds the project's run lock from before the list of what it removes
/// is shown until the last removal, so no job starts in between.
#[derive(Debug)]
pub struct Cleaner {
    project: Project,
    _lock: joblock::JobLock,
}

/// Takes the project's run lock for a clean: refused, with nothing removed, while another job
/// holds the project.
pub fn start(project: &Project) -> Result<Cleaner, CleanError> {
    let lock = joblock::acquire(project, "pact clean").map_err(CleanError::Busy)?;
    Ok(Cleaner {
        project: project.clone(),
        _lock: lock,
    })
}

impl Cleaner {
    /// Removes what `plan` lists (a directory with everything in it; a link, never what it
    /// points to). What cannot be removed is reported, not fatal.
    pub fn remove(self, plan: &[Removal]) -> Cleaned {
        let mut done = Cleaned::default();
        for r in plan {
            // The job owner record is ours now; the lock removes it when it is released.
            if r.path == ".pact/run.owner.json" {
                done.bytes += r.bytes;
                done.removed.push(r.clone());
                continue;
            }
            let path = self.project.root().join(r.path.trim_end_matches('/'));
            let result = match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
                Ok(_) => std::fs::remove_file(&path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    done.bytes += r.bytes;
                    done.removed.push(r.clone());
                }
                Err(e) => done.failed.push((r.path.clone(), e.to_string())),
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(p: &str) -> Category {
        classify(&p.split('/').map(str::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn paths_are_classified() {
        assert_eq!(c("contracts/a/interface.json"), Category::Contracts);
        assert_eq!(c("contracts/a/history/1.json"), Category::ContractHistory);
        assert_eq!(c("contracts/a/tests/contract_test.py"), Category::Contracts);
        assert_eq!(c("locks/a/lock.json"), Category::LockedTests);
        assert_eq!(
            c("implementations/a/metadata.json"),
            Category::Implementations
        );
        assert_eq!(
            c("implementations/a/attempts/x/src/a.py"),
            Category::Attempts
        );
        assert_eq!(c("cache/test-analysis.json"), Category::Cache);
        assert_eq!(c(".state.lock"), Category::LockFiles);
        assert_eq!(c("run.lock"), Category::LockFiles);
        assert_eq!(c("daemon.pid"), Category::ProcessFiles);
        assert_eq!(c("state.json"), Category::RunRecords);
        assert_eq!(c("tasks.json"), Category::Other);
    }

    #[test]
    fn flags_select() {
        let s = Selection {
            stale: true,
            ..Default::default()
        };
        assert!(s.takes(Flag::Stale) && !s.takes(Flag::Attempts) && !s.takes(Flag::All));
        let all = Selection {
            all: true,
            ..Default::default()
        };
        assert!(all.takes(Flag::Stale) && all.takes(Flag::Attempts) && all.takes(Flag::All));
    }
}
