//! `pact doctor`: can this machine run this project? Each backend the project routes to, the
//! test runtimes, the configuration and the project's own files, as typed checks that any front
//! end renders (the CLI as text or JSON; an editor or an MCP server could show the same).
//!
//! Doctor only looks. It creates no environment and no file, takes no lock a job could be
//! refused for (it reads `run.owner.json` instead of trying `run.lock`), never opens the daemon's
//! pipe (it reads the file type), and never puts any part of a key's value into a check: only
//! the variable's name and whether it is set.
//!
//! One file per area checked; this one holds the check types and runs every area in order.

mod backends;
mod config;
mod git;
mod project;
mod runtimes;
#[cfg(all(test, unix))]
mod test_support;

pub use backends::backend_checks;
pub use config::config_checks;
pub use git::git_check;
pub use project::project_checks;
pub use runtimes::{node_checks, python_checks};

use backends::redact;

use crate::runtime::{self, RuntimeSpec};
use crate::setup;
use pact_agents::{Env, Router, RouterOptions};
use pact_core::config::Config;
use pact_core::store::Project;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Ready (possibly with a note: "will be created on first run").
    Ok,
    /// Works, but something is off or missing that a run may need.
    Warn,
    /// A run would fail on this.
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: `config`, `backend anthropic`, `python`, `python environment`,
    /// `python requirements`, `node`, `vitest`, `.pact`, `run lock`, `state lock`,
    /// `audit lock`, `daemon pipe`, `git`, `project`.
    pub name: String,
    pub status: Status,
    pub message: String,
    /// What to do about it (commands, one per line); `None` when nothing needs doing.
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status: Status::Ok,
            message: message.into(),
            fix: None,
        }
    }
    pub fn warn(
        name: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::with(Status::Warn, name, message, fix)
    }
    pub fn fail(
        name: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::with(Status::Fail, name, message, fix)
    }
    fn with(
        status: Status,
        name: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        let fix: String = fix.into();
        Self {
            name: name.into(),
            status,
            message: message.into(),
            fix: (!fix.is_empty()).then_some(fix),
        }
    }
}

/// Every check for one project (or for the global configuration), in a stable order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The project checked; `None`: the global configuration only.
    pub project: Option<PathBuf>,
    pub checks: Vec<Check>,
}

/// How many checks came out each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub warn: usize,
    pub fail: usize,
}

impl Report {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.checks {
            match c.status {
                Status::Ok => s.ok += 1,
                Status::Warn => s.warn += 1,
                Status::Fail => s.fail += 1,
            }
        }
        s
    }
    /// No check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }
}

/// The checks for `dir` (a project, or a `project` failure when it is not one, followed by the
/// global configuration's checks); without `dir`, the current directory if it is a project,
/// else the global configuration.
pub fn for_dir(dir: Option<&Path>) -> Report {
    let opened = Project::open(dir.unwrap_or(Path::new(".")));
    match (opened, dir) {
        (Ok(p), _) => Report {
            project: Some(std::path::absolute(p.root()).unwrap_or_else(|_| p.root().into())),
            checks: run(Some(&p)),
        },
        (Err(e), Some(d)) => {
            let mut checks = vec![Check::fail(
                "project",
                e.to_string(),
                format!(
                    "Name a project directory, or create one with `pact init {}`.",
                    d.display()
                ),
            )];
            checks.extend(run(None));
            Report {
                project: None,
                checks,
            }
        }
        (Err(_), None) => {
            let mut checks = vec![Check::ok(
                "project",
                "the current directory is not a Pact project: checking the global configuration",
            )];
            checks.extend(run(None));
            Report {
                project: None,
                checks,
            }
        }
    }
}

/// Every check, for `project` or, without one, for the global configuration; from this
/// process's environment (PATH, keys, `PACT_CACHE_DIR`).
pub fn run(project: Option<&Project>) -> Vec<Check> {
    let search_path = std::env::var_os("PATH").unwrap_or_default();
    let mut checks = Vec::new();

    // Configuration, then the router built from it exactly as a run builds it.
    let loaded = match project {
        Some(p) => p.config().map_err(|e| e.to_string()),
        // An empty path is never a file: the global config.yaml alone.
        None => Config::load(Path::new("")).map_err(|e| e.to_string()),
    };
    checks.extend(config_checks(project, &loaded));
    let config = loaded.clone().unwrap_or_default();
    let routed = project.and_then(|p| {
        loaded.is_ok().then(|| {
            setup::router_for(p, &setup::RunOptions::default())
                .ok()
                .map(|(_, r)| r)
        })?
    });
    let router = routed.unwrap_or_else(|| {
        Router::new(
            config.clone(),
            Env::from_process(),
            RouterOptions {
                project_root: project.map(|p| p.root().to_path_buf()),
                track_budget: false,
                ..RouterOptions::default()
            },
        )
    });
    checks.extend(backend_checks(&router, &search_path));

    // Test runtimes.
    let language = runtime::language(&config);
    let root = project.map(|p| p.root().to_path_buf()).unwrap_or_default();
    match RuntimeSpec::for_project(&root, &config) {
        Ok(mut spec) => {
            if project.is_none() {
                // Outside a project there is no requirements.txt of its own to read.
                spec.python_requirements.clear();
            }
            checks.extend(python_checks(&spec, language, &search_path));
            checks.extend(node_checks(&spec, language));
        }
        Err(e) => checks.push(Check::fail("runtime cache", e.to_string(), e.fix())),
    }

    checks.push(sandbox_check());

    // The project's files.
    if let Some(p) = project {
        checks.extend(project_checks(p, LOCK_WAIT));
    }
    checks.push(git_check(project.map(Project::root), &search_path));
    redact(&mut checks, router.env());
    checks
}

/// Whether untrusted code runs sandboxed here. Unsandboxed runs still work, but every verdict
/// and certificate says so: it is a warning, not a failure.
pub fn sandbox_check() -> Check {
    match crate::sandbox::isolation() {
        crate::sandbox::Isolation::Sandboxed => Check::ok(
            "sandbox",
            "untrusted code runs in Linux namespaces (user, mount, pid, net, ipc, uts) with \
             resource limits; tests reach implementations through contract proxies",
        ),
        crate::sandbox::Isolation::Unsandboxed(why) => Check::warn(
            "sandbox",
            format!("UNSANDBOXED: {why}; generated code runs only in its own process group"),
            "On Linux, allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, \
             or user.max_user_namespaces > 0); unset PACT_SANDBOX=off",
        ),
    }
}

/// How long a state or audit lock may stay held before doctor calls it stuck: their writers
/// hold them for one read-modify-write, milliseconds.
const LOCK_WAIT: Duration = Duration::from_secs(1);

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn statuses_order_and_the_report_fails_on_any_failure() {
        assert!(Status::Ok < Status::Warn && Status::Warn < Status::Fail);
        let mut r = Report {
            project: None,
            checks: vec![Check::ok("a", "x"), Check::warn("b", "y", "z")],
        };
        assert!(r.passed());
        r.checks.push(Check::fail("c", "bad", ""));
        assert!(!r.passed());
        assert_eq!(
            r.summary(),
            Summary {
                ok: 1,
                warn: 1,
                fail: 1
            }
        );
        assert_eq!(r.checks[2].fix, None, "an empty fix is none");
        let v = serde_json::to_value(&r.checks[1]).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"name": "b", "status": "warn", "message": "y", "fix": "z"})
        );
    }
}
