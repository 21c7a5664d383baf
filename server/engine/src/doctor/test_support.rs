//! What the doctor tests of every area share: a router from a config and an environment, fake
//! interpreters and tools, a fresh project.

use super::Check;
use crate::runtime::RuntimeSpec;
use pact_agents::{Env, Router, RouterOptions};
use pact_core::config::{Config, GlobalConfig, ProjectConfig};
use pact_core::store::Project;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub(super) const SECRET: &str = "sk-ant-DOCTOR-never-print-me-4242";

pub(super) fn router(
    project: ProjectConfig,
    env: &[(&str, &str)],
    replay: Option<PathBuf>,
) -> Router {
    Router::new(
        Config::from_parts(GlobalConfig::default(), project),
        Env::from_pairs(env.iter().copied()),
        RouterOptions {
            replay,
            track_budget: false,
            ..RouterOptions::default()
        },
    )
}

pub(super) fn backend(name: &str) -> ProjectConfig {
    ProjectConfig {
        backend: name.into(),
        ..ProjectConfig::default()
    }
}

pub(super) fn one(checks: &[Check], name: &str) -> Check {
    let found: Vec<&Check> = checks.iter().filter(|c| c.name == name).collect();
    assert_eq!(found.len(), 1, "one `{name}` check in {checks:#?}");
    found[0].clone()
}

/// An executable shell script. Another test's fork may hold a just-written file open for
/// writing for a moment (ETXTBSY on exec): this waits until the script runs.
pub(super) fn stub(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write the stub");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod the stub");
    for _ in 0..200 {
        match Command::new(&p)
            .arg("--ready")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(10))
            }
            _ => break,
        }
    }
    p
}

/// A Python that answers the runtime's probe; `ensurepip: false` is Debian's python3 without
/// python3-venv.
pub(super) fn fake_python(dir: &Path, version: &str, ensurepip: bool) -> PathBuf {
    let venv = if ensurepip {
        ""
    } else {
        "case \"$3\" in *ensurepip*) echo \"ModuleNotFoundError: No module named 'ensurepip'\" >&2; exit 1;; esac\n"
    };
    stub(
        dir,
        "python3",
        &format!(
            "{venv}echo '{{\"version\": \"{version}\", \"implementation\": \"cpython\", \"executable\": \"/opt/py/bin/python{version}\"}}'"
        ),
    )
}

pub(super) fn spec(cache: &Path, python: Option<&Path>, node: Option<&Path>) -> RuntimeSpec {
    RuntimeSpec {
        python: python.map(|p| p.display().to_string()),
        node: node.map(|p| p.display().to_string()),
        python_requirements: Vec::new(),
        cache: cache.to_path_buf(),
    }
}

pub(super) fn project() -> (tempfile::TempDir, Project) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (p, _) = Project::init(tmp.path(), 1.0).expect("init");
    (tmp, p)
}
