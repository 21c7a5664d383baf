//! The Python runtime: a virtualenv made from the user's interpreter with a pinned pytest and
//! the project's declared requirements. `uv` makes it when it is on PATH; `venv` + `pip`
//! otherwise.

use super::{
    MARKER, Progress, RuntimeError, RuntimeSpec, find_program, key, provision_locked, run_tool,
    tool_command,
};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The pytest every Python suite runs under (supports Python 3.9 and later).
pub const PINNED_PYTEST: &str = "pytest==8.4.2";
const MIN_PYTHON: (u32, u32) = (3, 9);

/// A provisioned environment.
#[derive(Debug, Clone)]
pub struct PythonRuntime {
    /// The environment's interpreter: what the harness runs.
    pub interpreter: PathBuf,
    /// The environment's directory in the cache.
    pub dir: PathBuf,
    /// The base interpreter's version, e.g. `3.11.7`.
    pub version: String,
    /// Whether this process created it (false: it was already there).
    pub created: bool,
}

/// What the probe learns about an interpreter.
#[derive(Debug, Clone, Deserialize)]
pub struct Probe {
    pub version: String,
    pub implementation: String,
    pub executable: String,
}

const PROBE: &str = "import json, sys\nprint(json.dumps({'version': '%d.%d.%d' % sys.version_info[:3], 'implementation': sys.implementation.name, 'executable': sys.executable}))";

/// The interpreter the spec names, or the first of `python3`, `python` on PATH, probed.
pub fn find(spec: &RuntimeSpec) -> Result<(PathBuf, Probe), RuntimeError> {
    let candidates: Vec<String> = match &spec.python {
        Some(p) => vec![p.clone()],
        None => vec!["python3".into(), "python".into()],
    };
    let mut tried = Vec::new();
    for name in &candidates {
        let Some(path) = find_program(name) else {
            tried.push(format!("`{name}` not found"));
            continue;
        };
        let mut c = tool_command(&path);
        c.args(["-I", "-c", PROBE]);
        match run_tool(c, "python")
            .ok()
            .and_then(|out| serde_json::from_str::<Probe>(out.trim()).ok())
        {
            Some(probe) => {
                let (maj, min) = major_minor(&probe.version);
                if (maj, min) < MIN_PYTHON {
                    return Err(RuntimeError::OldPython {
                        python: path.display().to_string(),
                        version: probe.version,
                        min: "3.9",
                    });
                }
                return Ok((path, probe));
            }
            None => tried.push(format!("`{}` did not run", path.display())),
        }
    }
    Err(RuntimeError::NoPython {
        tried: format!(
            "{}{}",
            tried.join(", "),
            if spec.python.is_some() {
                " — set by `python` in pact.yaml or config.yaml"
            } else {
                " on PATH"
            }
        ),
    })
}

fn major_minor(version: &str) -> (u32, u32) {
    let mut it = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Where the environment for `probe` and `spec` lives, whether or not it exists yet.
pub fn env_dir(spec: &RuntimeSpec, probe: &Probe) -> PathBuf {
    let (maj, min) = major_minor(&probe.version);
    let reqs = spec.python_requirements.join("\n");
    let k = key(&[&probe.implementation, &probe.version, PINNED_PYTEST, &reqs]);
    spec.cache
        .join("python")
        .join(format!("{}{maj}.{min}-{k}", probe.implementation))
}

fn interpreter_in(dir: &Path) -> PathBuf {
    if cfg!(windows) {
        dir.join("Scripts").join("python.exe")
    } else {
        dir.join("bin").join("python")
    }
}

/// The environment, made on first use.
pub fn ensure(spec: &RuntimeSpec, progress: Progress) -> Result<PythonRuntime, RuntimeError> {
    let (base, probe) = find(spec)?;
    let dir = env_dir(spec, &probe);
    let interpreter = interpreter_in(&dir);
    // An environment whose base interpreter went away (a pyenv version removed) is made again.
    if dir.join(MARKER).is_file() && !super::is_executable(&interpreter) {
        let _ = std::fs::remove_file(dir.join(MARKER));
    }
    let marker = serde_json::json!({
        "python": probe.version,
        "implementation": probe.implementation,
        "base": probe.executable,
        "pytest": PINNED_PYTEST,
        "requirements": spec.python_requirements,
        "created_at": pact_core::store::now_iso(),
    })
    .to_string();
    let started = Instant::now();
    let created = provision_locked(&dir, &marker, |dir| {
        progress(
            "Python",
            &format!(
                "creating the test environment (Python {}, {PINNED_PYTEST}) in {}",
                probe.version,
                dir.display()
            ),
        );
        make(&base, &probe, dir, spec, progress)
    })?;
    if created {
        progress(
            "Python",
            &format!(
                "test environment ready in {:.1}s",
                started.elapsed().as_secs_f64()
            ),
        );
    }
    Ok(PythonRuntime {
        interpreter,
        dir,
        version: probe.version,
        created,
    })
}

fn make(
    base: &Path,
    probe: &Probe,
    dir: &Path,
    spec: &RuntimeSpec,
    progress: Progress,
) -> Result<(), RuntimeError> {
    let uv = find_program("uv");
    let no_venv = |e: RuntimeError| match e {
        RuntimeError::Install { detail, .. } => RuntimeError::NoVenv {
            python: base.display().to_string(),
            version: probe.version.clone(),
            detail,
        },
        other => other,
    };
    match &uv {
        Some(uv) => {
            let mut c = tool_command(uv);
            c.arg("venv")
                .arg("--quiet")
                .arg("--python")
                .arg(base)
                .arg(dir);
            run_tool(c, "a virtual environment (uv venv)").map_err(no_venv)?;
        }
        None => {
            let mut c = tool_command(base);
            c.args(["-I", "-m", "venv"]).arg(dir);
            run_tool(c, "a virtual environment (python -m venv)").map_err(no_venv)?;
        }
    }
    let interpreter = interpreter_in(dir);
    let mut packages = vec![PINNED_PYTEST.to_string()];
    packages.extend(spec.python_requirements.iter().cloned());
    progress("Python", &format!("installing {}", packages.join(", ")));
    let reqs = dir.join("pact-requirements.txt");
    std::fs::write(&reqs, packages.join("\n") + "\n").map_err(|e| RuntimeError::Cache {
        dir: dir.to_path_buf(),
        detail: e.to_string(),
    })?;
    let c = match &uv {
        Some(uv) => {
            let mut c = tool_command(uv);
            c.args(["pip", "install", "--quiet", "--python"])
                .arg(&interpreter)
                .arg("-r")
                .arg(&reqs);
            c
        }
        None => {
            let mut c = tool_command(&interpreter);
            c.args([
                "-I",
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
            ])
            .arg(&reqs);
            c
        }
    };
    run_tool(c, &packages.join(", "))?;
    // The environment must run pytest before it is called ready.
    let mut c = tool_command(&interpreter);
    c.args(["-I", "-c", "import pytest; print(pytest.__version__)"]);
    run_tool(c, "pytest (checking the new environment)")?;
    Ok(())
}

/// The environment for `spec` if it exists already (for `pact doctor`; creates nothing).
pub fn existing(spec: &RuntimeSpec) -> Result<Option<PythonRuntime>, RuntimeError> {
    let (_, probe) = find(spec)?;
    let dir = env_dir(spec, &probe);
    let interpreter = interpreter_in(&dir);
    let ready = dir.join(MARKER).is_file() && super::is_executable(&interpreter);
    Ok(ready.then_some(PythonRuntime {
        interpreter,
        dir,
        version: probe.version,
        created: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert_eq!(major_minor("3.11.7"), (3, 11));
        assert!(major_minor("3.8.18") < MIN_PYTHON);
        assert!(major_minor("3.10.0") >= MIN_PYTHON);
        assert_eq!(major_minor("garbage"), (0, 0));
    }

    #[test]
    fn no_python_names_what_was_tried_and_how_to_fix_it() {
        let spec = RuntimeSpec {
            python: Some("/nonexistent/python3".into()),
            cache: std::env::temp_dir(),
            ..Default::default()
        };
        let e = find(&spec).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/nonexistent/python3"), "{msg}");
        assert!(e.fix().contains("sudo apt install python3 python3-venv"));
        assert!(e.fix().contains("brew install"));
        assert!(e.fix().contains("pyenv install"));
    }

    #[test]
    fn the_environment_is_named_by_interpreter_and_requirements() {
        let probe = Probe {
            version: "3.11.7".into(),
            implementation: "cpython".into(),
            executable: "/usr/bin/python3".into(),
        };
        let mut spec = RuntimeSpec {
            cache: PathBuf::from("/c"),
            ..Default::default()
        };
        let a = env_dir(&spec, &probe);
        assert!(a.starts_with("/c/python"));
        assert!(
            a.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("cpython3.11-")
        );
        // The same interpreter version elsewhere shares it; other requirements do not.
        let other = Probe {
            executable: "/opt/python3".into(),
            ..probe.clone()
        };
        assert_eq!(env_dir(&spec, &other), a);
        spec.python_requirements = vec!["attrs".into()];
        assert_ne!(env_dir(&spec, &probe), a);
    }
}
