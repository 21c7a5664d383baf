//! The test runtimes Pact provisions: contract tests are the judge, so what they run with is not
//! left to whatever `python3` happens to be first on PATH. Python suites run under a pinned
//! pytest in a virtualenv Pact creates from the user's interpreter; TypeScript suites under a
//! pinned vitest in an npm prefix Pact installs from a lock file; JavaScript needs only Node.
//!
//! Environments live in the user's cache directory, keyed by interpreter version and
//! requirement set, so projects share them and a second run creates nothing. Creating one is
//! locked across processes (two runs at once make one environment) and finishes by writing a
//! marker, so a half-made environment is never used: it is removed and made again.

pub mod node;
pub mod python;

pub use node::{NodeRuntime, PINNED_VITEST};
pub use python::{PINNED_PYTEST, PythonRuntime};

use pact_core::config::Config;
use pact_core::model::TestLanguage;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use thiserror::Error;

/// What a runtime needs that the machine lacks, with the commands that fix it.
#[derive(Debug, Clone, Error)]
pub enum RuntimeError {
    #[error("no Python interpreter found ({tried})")]
    NoPython { tried: String },
    #[error("{python} is Python {version}; contract tests need Python {min} or later")]
    OldPython {
        python: String,
        version: String,
        min: &'static str,
    },
    #[error("{python} (Python {version}) cannot create virtual environments: {detail}")]
    NoVenv {
        python: String,
        version: String,
        detail: String,
    },
    #[error("no Node.js found ({tried})")]
    NoNode { tried: String },
    #[error(
        "{node} is Node.js {version}; TypeScript and JavaScript suites need Node.js {min} or later"
    )]
    OldNode {
        node: String,
        version: String,
        min: u32,
    },
    #[error(
        "npm was not found next to {node} or on PATH; it installs vitest for TypeScript suites"
    )]
    NoNpm { node: String },
    #[error("installing {what} failed:\n{detail}")]
    Install { what: String, detail: String },
    #[error("the runtime cache {dir} cannot be used: {detail}")]
    Cache { dir: PathBuf, detail: String },
}

impl RuntimeError {
    /// The commands that fix this, one line per platform, for the message a user reads.
    pub fn fix(&self) -> String {
        match self {
            RuntimeError::NoPython { .. } | RuntimeError::OldPython { .. } => [
                "Install Python 3 (3.9 or later), then run again:",
                "  Debian/Ubuntu: sudo apt install python3 python3-venv",
                "  macOS:         brew install python@3.12",
                "  pyenv:         pyenv install 3.12 && pyenv global 3.12",
                "or name an interpreter with `python: /path/to/python3` in pact.yaml.",
            ]
            .join("\n"),
            RuntimeError::NoVenv { version, .. } => {
                let short: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
                [
                    "Install the venv module, then run again:".to_string(),
                    format!(
                        "  Debian/Ubuntu: sudo apt install python3-venv  (or python{short}-venv)"
                    ),
                    "  macOS:         brew install python@3.12".into(),
                    "  pyenv:         pyenv install 3.12 && pyenv global 3.12".into(),
                    "or name another interpreter with `python: /path/to/python3` in pact.yaml."
                        .into(),
                ]
                .join("\n")
            }
            RuntimeError::NoNode { .. }
            | RuntimeError::OldNode { .. }
            | RuntimeError::NoNpm { .. } => [
                "Install Node.js 18 or later with npm, then run again:",
                "  Debian/Ubuntu: sudo apt install nodejs npm",
                "  macOS:         brew install node",
                "  nvm:           nvm install --lts",
                "or name a binary with `node: /path/to/node` in pact.yaml.",
            ]
            .join("\n"),
            RuntimeError::Install { .. } => [
                "Pact installs its test runner from the package registry once per machine.",
                "Check the network or your registry settings (pip: PIP_INDEX_URL or pip.conf;",
                "npm: `npm config get registry`), then run again.",
            ]
            .join("\n"),
            RuntimeError::Cache { .. } => {
                "Make the directory writable, or point PACT_CACHE_DIR at one that is.".into()
            }
        }
    }
}

/// Reports provisioning as it goes (`what` is "Python" or "vitest"); the engine turns this
/// into progress events.
pub type Progress<'a> = &'a (dyn Fn(&str, &str) + Sync);

/// [`Progress`] shared across the provisioning tasks.
pub type SharedProgress = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// Where Pact keeps its environments: `$PACT_CACHE_DIR`, else the platform's user cache
/// directory (`$XDG_CACHE_HOME/pact`, `~/.cache/pact`, `~/Library/Caches/pact`).
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PACT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    dirs::cache_dir().map(|d| d.join("pact"))
}

/// The language a project's contract tests are written in: `language` in pact.yaml; Python
/// when it is unset or names a language Pact does not run.
pub fn language(config: &Config) -> TestLanguage {
    TestLanguage::parse(&config.project.language).unwrap_or(TestLanguage::Python)
}

/// What the project asks of its runtimes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeSpec {
    /// The configured interpreter; `None` finds `python3` (then `python`) on PATH.
    pub python: Option<String>,
    /// The configured Node.js; `None` finds `node` on PATH.
    pub node: Option<String>,
    /// Requirement lines for the Python environment besides pytest, sorted and deduplicated.
    pub python_requirements: Vec<String>,
    pub cache: PathBuf,
}

impl RuntimeSpec {
    /// The project's spec: configuration, `python_requirements` and the project's
    /// `requirements.txt`.
    pub fn for_project(root: &Path, config: &Config) -> Result<Self, RuntimeError> {
        let cache = cache_dir().ok_or_else(|| RuntimeError::Cache {
            dir: PathBuf::from("~/.cache/pact"),
            detail: "no home or cache directory is set (set PACT_CACHE_DIR)".into(),
        })?;
        let mut reqs: Vec<String> = config.project.python_requirements.clone();
        // A missing requirements.txt is the common case; an unreadable one is the user's to fix.
        if let Ok(text) = std::fs::read_to_string(root.join("requirements.txt")) {
            reqs.extend(text.lines().map(str::to_string));
        }
        Ok(Self {
            python: config.python().map(str::to_string),
            node: config.node().map(str::to_string),
            python_requirements: normalize_requirements(&reqs),
            cache,
        })
    }
}

/// Requirement lines without comments, blanks and surrounding space, sorted and unique, so
/// the same set always names the same environment.
fn normalize_requirements(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| l.split(" #").next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The runtimes a process has resolved, each made at most once: the engine asks for a
/// language's runtime when a suite of that language is about to run (or at preflight).
#[derive(Default)]
pub struct Runtimes {
    python: tokio::sync::OnceCell<PythonRuntime>,
    node: tokio::sync::OnceCell<NodeRuntime>,
    vitest: tokio::sync::OnceCell<PathBuf>,
}

impl std::fmt::Debug for Runtimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtimes")
            .field("python", &self.python.get())
            .field("node", &self.node.get())
            .field("vitest", &self.vitest.get())
            .finish()
    }
}

/// What a suite of one language runs with.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub python: Option<PathBuf>,
    pub node: Option<PathBuf>,
    pub node_modules: Option<PathBuf>,
}

impl Runtimes {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The runtime for `lang`, provisioned on first use (blocking work off the async threads).
    pub async fn resolve(
        &self,
        lang: TestLanguage,
        spec: &RuntimeSpec,
        progress: SharedProgress,
    ) -> Result<Resolved, RuntimeError> {
        match lang {
            TestLanguage::Python => {
                let py = self
                    .python
                    .get_or_try_init(|| {
                        let spec = spec.clone();
                        let progress = progress.clone();
                        blocking(move || python::ensure(&spec, &*progress))
                    })
                    .await?;
                Ok(Resolved {
                    python: Some(py.interpreter.clone()),
                    ..Default::default()
                })
            }
            TestLanguage::JavaScript => {
                let node = self.node(spec).await?;
                Ok(Resolved {
                    node: Some(node.node.clone()),
                    ..Default::default()
                })
            }
            TestLanguage::TypeScript => {
                let node = self.node(spec).await?.clone();
                let modules = self
                    .vitest
                    .get_or_try_init(|| {
                        let spec = spec.clone();
                        let node = node.clone();
                        blocking(move || node::ensure_vitest(&node, &spec, &*progress))
                    })
                    .await?;
                Ok(Resolved {
                    node: Some(node.node.clone()),
                    node_modules: Some(modules.clone()),
                    ..Default::default()
                })
            }
        }
    }

    async fn node(&self, spec: &RuntimeSpec) -> Result<&NodeRuntime, RuntimeError> {
        self.node
            .get_or_try_init(|| {
                let spec = spec.clone();
                blocking(move || node::find(&spec))
            })
            .await
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RuntimeError> + Send + 'static,
) -> Result<T, RuntimeError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(RuntimeError::Install {
            what: "the test runtime".into(),
            detail: format!("the provisioning task failed: {e}"),
        })
    })
}

/// Finds `name` as given (a path) or on PATH.
pub fn find_program(name: &str) -> Option<PathBuf> {
    find_program_in(name, &std::env::var_os("PATH")?)
}

/// Finds `name` as given (a path) or in the directories of `path` (PATH's syntax).
pub fn find_program_in(name: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.components().count() > 1 {
        return p.is_file().then(|| p.to_path_buf());
    }
    std::env::split_paths(path)
        .map(|d| d.join(name))
        .find(|c| is_executable(c))
}

pub(crate) fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// A command for provisioning work: the user's network and registry settings pass through,
/// nothing else of Pact's environment does (no API keys reach pip, npm or their build scripts).
pub(crate) fn tool_command(program: &Path) -> Command {
    let mut c = Command::new(program);
    c.env_clear();
    for (k, v) in std::env::vars_os() {
        let Some(key) = k.to_str() else { continue };
        let upper = key.to_ascii_uppercase();
        let keep = matches!(
            upper.as_str(),
            "PATH"
                | "HOME"
                | "USER"
                | "LOGNAME"
                | "LANG"
                | "LC_ALL"
                | "LC_CTYPE"
                | "TMPDIR"
                | "SYSTEMROOT"
                | "XDG_CONFIG_HOME"
                | "XDG_CACHE_HOME"
                | "HTTP_PROXY"
                | "HTTPS_PROXY"
                | "NO_PROXY"
                | "ALL_PROXY"
                | "SSL_CERT_FILE"
                | "SSL_CERT_DIR"
                | "REQUESTS_CA_BUNDLE"
                | "PYENV_ROOT"
                | "PYENV_VERSION"
        ) || ["PIP_", "UV_", "NPM_CONFIG_"]
            .iter()
            .any(|p| upper.starts_with(p));
        if keep {
            c.env(key, v);
        }
    }
    c.stdin(std::process::Stdio::null());
    c
}

/// Runs a provisioning command; on failure, the last lines it printed.
pub(crate) fn run_tool(mut c: Command, what: &str) -> Result<String, RuntimeError> {
    let out = c.output().map_err(|e| RuntimeError::Install {
        what: what.into(),
        detail: format!("cannot start {:?}: {e}", c.get_program()),
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        return Ok(stdout);
    }
    let both = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = both.lines().filter(|l| !l.trim().is_empty()).collect();
    Err(RuntimeError::Install {
        what: what.into(),
        detail: lines[lines.len().saturating_sub(12)..].join("\n"),
    })
}

/// A short stable name for a set of inputs.
pub(crate) fn key(parts: &[&str]) -> String {
    let h = crate::lock::sha256_hex(parts.join("\0").as_bytes());
    h[..12].to_string()
}

/// Makes `dir` under an exclusive lock unless its marker says it is complete: `make` builds it
/// in place and the marker is written last, so a crash leaves no environment that looks usable.
pub(crate) fn provision_locked(
    dir: &Path,
    marker_text: &str,
    make: impl FnOnce(&Path) -> Result<(), RuntimeError>,
) -> Result<bool, RuntimeError> {
    let cache_err = |e: std::io::Error| RuntimeError::Cache {
        dir: dir.parent().unwrap_or(dir).to_path_buf(),
        detail: e.to_string(),
    };
    let marker = dir.join(MARKER);
    if marker.is_file() {
        return Ok(false);
    }
    let parent = dir.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(cache_err)?;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let lock_path = parent.join(format!("{}.lock", name.unwrap_or_default()));
    let _lock = pact_core::store::fsio::FileLock::acquire(&lock_path).map_err(cache_err)?;
    // Another process may have finished it while this one waited for the lock.
    if marker.is_file() {
        return Ok(false);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(cache_err)?;
    }
    let made = make(dir);
    if made.is_err() {
        let _ = std::fs::remove_dir_all(dir);
        return made.map(|_| true);
    }
    pact_core::store::fsio::write_atomic(&marker, marker_text.as_bytes()).map_err(cache_err)?;
    Ok(true)
}

/// Written last into a finished environment.
pub(crate) const MARKER: &str = ".pact-runtime.json";

/// Bytes under `dir` (for `pact doctor`).
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
            } else if let Ok(m) = e.metadata() {
                total += m.len();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_are_normalized_so_equal_sets_share_an_environment() {
        let a = normalize_requirements(&[
            "requests==2.32.3  # http".into(),
            "".into(),
            "# comment".into(),
            " attrs ".into(),
        ]);
        let b = normalize_requirements(&["attrs".into(), "requests==2.32.3".into()]);
        assert_eq!(a, b);
        assert_eq!(a, vec!["attrs".to_string(), "requests==2.32.3".to_string()]);
    }

    #[test]
    fn provisioning_runs_once_and_a_half_made_environment_is_made_again() {
        let cache = tempfile::tempdir().unwrap();
        let dir = cache.path().join("env");
        // A crash mid-way leaves a directory without the marker.
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("partial"), "x").unwrap();
        let made = provision_locked(&dir, "{}", |d| {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join("ok"), "1").unwrap();
            Ok(())
        })
        .unwrap();
        assert!(made);
        assert!(!dir.join("partial").exists() && dir.join("ok").exists());
        let again = provision_locked(&dir, "{}", |_| panic!("must not run twice")).unwrap();
        assert!(!again);
    }

    #[test]
    fn a_failed_provisioning_leaves_nothing_that_looks_usable() {
        let cache = tempfile::tempdir().unwrap();
        let dir = cache.path().join("env");
        let err = provision_locked(&dir, "{}", |d| {
            std::fs::create_dir_all(d).unwrap();
            Err(RuntimeError::Install {
                what: "x".into(),
                detail: "registry unreachable".into(),
            })
        });
        assert!(err.is_err());
        assert!(!dir.exists());
    }

    #[test]
    fn concurrent_provisioning_makes_one_environment() {
        let cache = tempfile::tempdir().unwrap();
        let dir = cache.path().join("env");
        let count = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    provision_locked(&dir, "{}", |d| {
                        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        std::fs::create_dir_all(d).unwrap();
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(())
                    })
                    .unwrap();
                });
            }
        });
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn provisioning_tools_see_no_api_keys() {
        // SAFETY: set before spawning the child; the variable name is unique to this test.
        unsafe { std::env::set_var("PACT_TEST_FAKE_API_KEY", "sk-secret") };
        let sh = find_program("sh").unwrap();
        let mut c = tool_command(&sh);
        c.args(["-c", "env"]);
        let out = run_tool(c, "env").unwrap();
        assert!(!out.contains("sk-secret"));
        assert!(out.contains("PATH="));
    }
}
