//! Runs a component's contract tests against its implementation and reads the outcome.
//!
//! The code under test is untrusted (an LLM wrote it, and so did the tests), so every run:
//! works on fresh copies in a temp dir; runs each process in the sandbox (`crate::sandbox`),
//! with a minimal environment, killed whole on timeout or cancellation, output capped. With the
//! component's contracts, suites run across the contract boundary (`crate::boundary`): the
//! tests (pytest, vitest or node:test) import proxies and the implementation runs in a second
//! sandbox that never sees the tests, so nothing it does can touch the verdict. Results come
//! from the runner's JUnit XML.

mod junit;
mod vitest;
mod worker;

pub use junit::{parse_junit, parse_junit_cases};

use crate::sandbox::{self, Spec};
use pact_core::model::{ComponentContract, TestFailure, TestLanguage, TestResults};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Error)]
pub enum HarnessError {
    #[error("cannot prepare the test run: {0}")]
    Setup(#[from] std::io::Error),
    #[error("cannot start {program}: {source} (is it installed?)")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("test run cancelled")]
    Cancelled,
    /// The test runner itself could not run (as opposed to tests failing): never a test result.
    #[error("the test runner did not run: {0}")]
    Runner(String),
}

#[derive(Debug, Clone)]
pub struct HarnessOptions {
    pub timeout: Duration,
    /// Bytes kept of each of stdout and stderr.
    pub output_cap: usize,
    /// The managed environment's Python interpreter (see `runtime`); `None` when none has been
    /// provisioned, and then a Python suite does not run: there is no silent fallback to
    /// whatever `python3` is on PATH.
    pub python: Option<PathBuf>,
    /// The node binary: runs node:test suites, and vitest for TypeScript suites.
    pub node: PathBuf,
    /// The managed npm prefix's `node_modules` (with vitest in it); `None` when not provisioned.
    /// TypeScript suites run `node <node_modules>/vitest/vitest.mjs run …`.
    pub node_modules: Option<PathBuf>,
}

impl Default for HarnessOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            output_cap: 64 * 1024,
            python: None,
            node: "node".into(),
            node_modules: None,
        }
    }
}

/// What to run: the locked test files and the source directories the tests import from
/// (the component's `src/` first, then its dependencies').
#[derive(Debug, Clone)]
pub struct TestJob {
    pub language: TestLanguage,
    pub test_files: Vec<PathBuf>,
    pub src_dirs: Vec<PathBuf>,
    /// The component's contract, then its dependencies'. With them, the tests import proxies
    /// and the implementation runs in its own process; without, the sources are imported by
    /// the tests directly (still sandboxed) and the run says so.
    pub contracts: Vec<ComponentContract>,
    /// Every call answered with a type-correct dummy value instead of the implementation's
    /// (red-first's second stub: a test that passes against both dummies accepts anything of
    /// the right type, so it tests nothing).
    pub dummy: Option<Dummy>,
}

/// The type-correct answers of red-first's dummy runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dummy {
    /// `0`, `""`, `[]`, `{}`, the first enum variant, `None` for optionals.
    Zero,
    /// `1`, `"x"`, one-element lists and dicts, the last enum variant, optionals present.
    One,
}

impl Dummy {
    pub(super) fn mode(self) -> &'static str {
        match self {
            Dummy::Zero => "zero",
            Dummy::One => "one",
        }
    }
}

impl TestJob {
    pub fn new(language: TestLanguage, test_files: Vec<PathBuf>, src_dirs: Vec<PathBuf>) -> Self {
        Self {
            language,
            test_files,
            src_dirs,
            contracts: Vec::new(),
            dummy: None,
        }
    }

    pub fn with_contracts(mut self, contracts: Vec<ComponentContract>) -> Self {
        self.contracts = contracts;
        self
    }

    /// Whether this run crosses the contract boundary (tests and implementation in different
    /// processes).
    pub fn crosses_boundary(&self) -> bool {
        !self.contracts.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct TestRun {
    pub results: TestResults,
    /// Every test that ran, by id (`module::name`), in report order.
    pub cases: Vec<String>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    /// Whether the runner wrote its report. A run of trusted code (the interface stubs) that
    /// wrote none did not happen, whatever its exit status says.
    pub reported: bool,
    pub duration: Duration,
    /// Whether the code ran in the sandbox (false: only its own process group, and why).
    pub isolation: sandbox::Isolation,
    /// Whether the tests reached the implementation through the contract boundary.
    pub boundary: bool,
}

/// Runs contract tests. The engine calls it through this trait so benchmarks and tests can
/// measure the engine without the cost of real test processes.
#[async_trait::async_trait]
pub trait TestRunner: Send + Sync {
    async fn run(
        &self,
        job: &TestJob,
        opts: &HarnessOptions,
        cancel: &CancellationToken,
    ) -> Result<TestRun, HarnessError>;

    /// Whether runs need a provisioned runtime (in-memory runners in tests and benchmarks
    /// do not).
    fn needs_runtime(&self) -> bool {
        true
    }
}

/// The real runner: pytest, node:test or vitest in a fenced subprocess.
pub struct Subprocess;

#[async_trait::async_trait]
impl TestRunner for Subprocess {
    async fn run(
        &self,
        job: &TestJob,
        opts: &HarnessOptions,
        cancel: &CancellationToken,
    ) -> Result<TestRun, HarnessError> {
        run(job, opts, cancel).await
    }
}

/// Runs `job`; a timeout or a crash of the runner is a result (errors > 0), not an `Err`.
///
/// Everything the code under test can touch is a copy in a fresh temp dir: the test files, every
/// source directory, and `HOME`. So it cannot rewrite its locked tests, its dependencies or the
/// project, and cannot read held-out tests by walking up from `__file__`.
pub async fn run(
    job: &TestJob,
    opts: &HarnessOptions,
    cancel: &CancellationToken,
) -> Result<TestRun, HarnessError> {
    run_with(job, &[], opts, cancel).await.map(|(r, _)| r)
}

/// [`run`] (Python only) with every public function of `modules` traced at its boundary: the
/// calls, their inputs, outputs and errors, for diagnosis. Modules go dependencies first, so a
/// component that imports a dependency's function at import time binds the traced one.
pub async fn run_traced(
    job: &TestJob,
    modules: &[String],
    opts: &HarnessOptions,
    cancel: &CancellationToken,
) -> Result<(TestRun, Vec<pact_core::model::IoTrace>), HarnessError> {
    run_with(job, modules, opts, cancel).await
}

const TRACE_CONFTEST: &str = include_str!("trace_conftest.py");

async fn run_with(
    job: &TestJob,
    trace: &[String],
    opts: &HarnessOptions,
    cancel: &CancellationToken,
) -> Result<(TestRun, Vec<pact_core::model::IoTrace>), HarnessError> {
    let work = crate::scratch::dir("run")?;
    let boundary = job.crosses_boundary() && !job.test_files.iter().any(|f| patches_modules(f));
    // The runner's dir holds the tests and the report; with a boundary the sources go to the
    // worker's own dir, which the tests' sandbox does not contain (and the other way round).
    let runner_dir = work.path().join("runner");
    let tests_dir = runner_dir.join("tests");
    for d in ["home", "tmp"] {
        std::fs::create_dir_all(runner_dir.join(d))?;
    }
    std::fs::create_dir_all(&tests_dir)?;
    let mut copies = Vec::new();
    for f in &job.test_files {
        let name = f
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("contract_test"));
        let to = tests_dir.join(name);
        std::fs::copy(f, &to)?;
        copies.push(to);
    }
    let src_root = if boundary {
        work.path().join("worker")
    } else {
        runner_dir.clone()
    };
    let mut srcs = Vec::new();
    for (i, d) in job.src_dirs.iter().enumerate() {
        let to = src_root.join("src").join(i.to_string());
        copy_tree(d, &to)?;
        srcs.push(to);
    }
    let report = runner_dir.join("junit.xml");
    let trace_file = runner_dir.join("traces.json");
    let mut worker = None;
    let (import_path, aliases) = if boundary {
        if job.language == TestLanguage::TypeScript {
            // The runner needs vitest; without it nothing starts, the worker included.
            vitest::vitest_entry(opts)?;
        }
        let w = worker::start(job, &runner_dir, &src_root, &srcs, opts).await?;
        let import_path = match job.language {
            // node:test suites find their proxies as packages in the run's node_modules.
            TestLanguage::JavaScript => Vec::new(),
            _ => vec![w.proxy_dir.clone()],
        };
        let aliases = w.aliases.clone();
        worker = Some(w);
        (import_path, aliases)
    } else {
        (srcs.clone(), vitest::module_aliases(&srcs))
    };
    let (program, mut spec) = runner(
        job.language,
        opts,
        &runner_dir,
        &import_path,
        &aliases,
        &copies,
        &report,
    )?;
    if let Some(w) = &worker {
        spec.env.extend(w.runner_env());
    }
    if !trace.is_empty() && job.language == TestLanguage::Python {
        if !boundary {
            // Our own conftest, in the run's test dir: trusted code, unlike the sources.
            std::fs::write(tests_dir.join("conftest.py"), TRACE_CONFTEST)?;
            spec.env
                .push(("PACT_TRACE_MODULES".into(), trace.join(",")));
        }
        spec.env
            .push(("PACT_TRACE_FILE".into(), path_str(&trace_file)?));
    }
    spec.cwd = tests_dir.clone();
    spec.writable = vec![runner_dir.clone()];
    let started = Instant::now();
    let mut child = sandbox::spawn(spec, opts.output_cap)
        .await
        .map_err(|source| HarnessError::Spawn {
            program: program.clone(),
            source,
        })?;
    let (status, timed_out, cancelled) = tokio::select! {
        s = child.wait() => (s, false, false),
        _ = tokio::time::sleep(opts.timeout) => (None, true, false),
        _ = cancel.cancelled() => (None, false, true),
    };
    // Whatever happened, nothing of this run outlives it.
    child.kill();
    let implementation_log = match worker.take() {
        Some(w) => w.stop().await,
        None => String::new(),
    };
    let grace = Duration::from_secs(2);
    let (stdout, mut stderr) = child.output(grace).await;
    if !implementation_log.trim().is_empty() {
        stderr.push_str("\n--- the implementation's process (stderr) ---\n");
        stderr.push_str(&implementation_log);
    }
    if cancelled {
        return Err(HarnessError::Cancelled);
    }
    let duration = started.elapsed();
    let xml = std::fs::read_to_string(&report).ok();
    if xml.is_none() && status == Some(NO_RUNNER) {
        return Err(HarnessError::Runner(format!(
            "{program} could not start its test runner:\n{}",
            tail(&stdout, &stderr)
        )));
    }
    let reported = xml.is_some();
    let (mut results, cases) = xml.map(|x| parse_junit_cases(&x)).unwrap_or_default();
    if timed_out {
        results.errors += 1;
        results.failure_details.push(TestFailure {
            test_id: "<timeout>".into(),
            error_message: format!(
                "the test run exceeded its {}s timeout and was killed",
                opts.timeout.as_secs()
            ),
            ..Default::default()
        });
    } else if results.total == 0 {
        // Nothing ran: a collection error (import or syntax error), or the runner crashed.
        results.errors += 1;
        results.failure_details.push(TestFailure {
            test_id: "<collection>".into(),
            error_message: format!("no test ran; {program} said:\n{}", tail(&stdout, &stderr)),
            stdout: stdout.clone(),
            stderr: stderr.clone(),
            ..Default::default()
        });
    }
    // The report must account for every locked test: one that silently did not run fails.
    for missing in missing_tests(job.language, &copies, &cases) {
        results.total += 1;
        results.errors += 1;
        results.failure_details.push(TestFailure {
            test_id: missing.clone(),
            error_message: format!("test {missing} is in the locked tests but did not run"),
            ..Default::default()
        });
    }
    // Temp paths differ per run; keep messages stable (they go back into prompts and replays).
    let here = work.path().to_string_lossy().into_owned();
    let stable = |s: &str| s.replace(&here, "<run>");
    for f in &mut results.failure_details {
        f.error_message = stable(&f.error_message);
        f.stdout = stable(&f.stdout);
        f.stderr = stable(&f.stderr);
    }
    results.timestamp = pact_core::store::now_iso();
    let traces: Vec<pact_core::model::IoTrace> = std::fs::read_to_string(&trace_file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    Ok((
        TestRun {
            results,
            cases,
            stdout: stable(&stdout),
            stderr: stable(&stderr),
            timed_out,
            reported,
            duration,
            isolation: sandbox::isolation().clone(),
            boundary,
        },
        traces,
    ))
}

/// Whether a suite patches module internals (`patch(…)`, `patch.object(…)`, `monkeypatch`,
/// `mocker`): it needs the implementation in its own process, so it cannot cross the contract
/// boundary. The gate says so (`in-process-test`); the run reports `boundary: false`.
pub fn patches_modules(test_file: &Path) -> bool {
    std::fs::read_to_string(test_file).is_ok_and(|t| pact_core::testcode::patches_modules(&t))
}

/// Test functions of the locked files that no reported case accounts for. Python: reports name
/// `module::test`, `module::Class::test` or `module::test[param]`. TypeScript: vitest names
/// `file::title`, or `file::describe > title` inside a `describe`; titles vitest formats
/// (`%s`, `$name`, template strings) cannot be matched and are not checked.
fn missing_tests(lang: TestLanguage, files: &[PathBuf], cases: &[String]) -> Vec<String> {
    if lang == TestLanguage::JavaScript || cases.is_empty() {
        return Vec::new();
    }
    let mut missing = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for t in pact_core::testcode::analyze(lang, &text).tests {
            let name = &t.name;
            let ran = match lang {
                TestLanguage::Python => cases.iter().any(|c| {
                    let last = c.rsplit("::").next().unwrap_or(c);
                    last == name
                        || last
                            .strip_prefix(name.as_str())
                            .is_some_and(|rest| rest.starts_with('['))
                }),
                _ => {
                    name.contains(['%', '$'])
                        || cases.iter().any(|c| {
                            let title = c.split_once("::").map_or(c.as_str(), |(_, t)| t);
                            title == name
                                || title
                                    .strip_suffix(name.as_str())
                                    .is_some_and(|rest| rest.ends_with(" > "))
                        })
                }
            };
            if !ran {
                missing.push(name.clone());
            }
        }
    }
    missing
}

/// Copies a source tree (regular files only: symlinks are not followed, `__pycache__` skipped).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    let Ok(rd) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in rd.flatten() {
        let ft = entry.file_type()?;
        let dst = to.join(entry.file_name());
        if ft.is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_tree(&entry.path(), &dst)?;
            }
        } else if ft.is_file() {
            std::fs::copy(entry.path(), &dst)?;
        }
    }
    Ok(())
}

fn python_of(opts: &HarnessOptions) -> Result<&Path, HarnessError> {
    opts.python.as_deref().ok_or_else(|| {
        HarnessError::Runner("no Python test environment is provisioned for this run".into())
    })
}

fn path_str(p: &Path) -> Result<String, HarnessError> {
    p.to_str().map(str::to_string).ok_or_else(|| {
        HarnessError::Setup(std::io::Error::other(format!(
            "{} is not valid UTF-8",
            p.display()
        )))
    })
}

/// What a sandboxed process needs to see of a runtime: the Python environment and the
/// interpreter it was made from, or the Node.js installation and the managed `node_modules`.
fn runtime_mounts(lang: TestLanguage, opts: &HarnessOptions) -> Vec<PathBuf> {
    let prefix = |bin: &Path| {
        std::fs::canonicalize(bin)
            .ok()
            .and_then(|real| real.parent()?.parent().map(Path::to_path_buf))
    };
    let mut out = Vec::new();
    match lang {
        TestLanguage::Python => {
            if let Some(py) = &opts.python {
                // The environment (…/env/bin/python → …/env) and its base installation.
                if let Some(env) = py.parent().and_then(Path::parent) {
                    out.push(env.to_path_buf());
                }
                out.extend(prefix(py));
            }
        }
        _ => {
            let node = crate::runtime::find_program(&opts.node.to_string_lossy())
                .unwrap_or_else(|| opts.node.clone());
            out.extend(prefix(&node));
            if let Some(m) = &opts.node_modules {
                out.extend(std::fs::canonicalize(m).ok());
            }
        }
    }
    // The system directories are in every sandbox already.
    out.retain(|p| {
        !["/usr", "/", "/bin", "/lib"]
            .iter()
            .any(|s| p == Path::new(s))
    });
    out.sort();
    out.dedup();
    out
}

/// The test runner for a language: its program and sandbox spec (cwd and writable dirs are
/// set by the caller).
fn runner(
    lang: TestLanguage,
    opts: &HarnessOptions,
    work: &Path,
    import_path: &[PathBuf],
    aliases: &[(String, PathBuf)],
    files: &[PathBuf],
    report: &Path,
) -> Result<(String, Spec), HarnessError> {
    let path_list = std::env::join_paths(import_path)
        .map_err(|e| HarnessError::Setup(std::io::Error::other(e)))?;
    let path_list = path_list.to_string_lossy().into_owned();
    let paths = files;
    let files: Vec<String> = paths
        .iter()
        .map(|f| path_str(f))
        .collect::<Result<_, _>>()?;
    let (program, mut spec) = match lang {
        TestLanguage::Python => {
            let python = python_of(opts)?;
            // An explicit config file stops pytest from picking up one the code under test wrote.
            let ini = work.join("pytest.ini");
            std::fs::write(&ini, "[pytest]\n")?;
            let mut s = Spec::new(python.to_path_buf(), work.to_path_buf());
            // -I: no PYTHON* variables, no user site, no script dir on the path; the import path
            // goes *after* the standard library and installed packages, so nothing the tests
            // import can shadow pytest, its plugins or a standard module.
            s.args = [
                "-I",
                "-B",
                "-c",
                PY_BOOT,
                "-q",
                "-p",
                "no:cacheprovider",
                "-c",
            ]
            .map(String::from)
            .to_vec();
            s.args.extend([
                path_str(&ini)?,
                "--rootdir".into(),
                path_str(work)?,
                format!("--junitxml={}", path_str(report)?),
            ]);
            s.args.extend(files);
            s.env.push(("PACT_SRC".into(), path_list));
            (python.display().to_string(), s)
        }
        TestLanguage::JavaScript => {
            let mut s = Spec::new(opts.node.clone(), work.to_path_buf());
            s.args = vec![
                "--test".into(),
                "--test-reporter=junit".into(),
                format!("--test-reporter-destination={}", path_str(report)?),
            ];
            s.args.extend(files);
            s.env.push(("NODE_PATH".into(), path_list));
            (opts.node.display().to_string(), s)
        }
        TestLanguage::TypeScript => {
            let entry = vitest::vitest_entry(opts)?;
            let config = vitest::vitest_config(work, aliases, paths, report, opts)?;
            let mut s = Spec::new(opts.node.clone(), work.to_path_buf());
            s.args = vec![
                path_str(&entry)?,
                "run".into(),
                "--config".into(),
                path_str(&config)?,
                "--root".into(),
                path_str(work)?,
            ];
            // Modules resolve through the run's vitest config (ESM ignores NODE_PATH).
            s.env.push(("NO_COLOR".into(), "1".into()));
            (format!("{} {}", opts.node.display(), entry.display()), s)
        }
    };
    spec.read_only = runtime_mounts(lang, opts);
    spec.env.extend(base_env(lang, opts, work));
    Ok((program, spec))
}

/// The whole environment an untrusted process gets: no API keys, nothing of Pact's, HOME and
/// TMPDIR in its own dir.
fn base_env(lang: TestLanguage, opts: &HarnessOptions, dir: &Path) -> Vec<(String, String)> {
    let bin = match lang {
        TestLanguage::Python => opts.python.as_deref().and_then(Path::parent),
        _ => opts.node.parent(),
    };
    let mut path = String::new();
    if let Some(b) = bin.filter(|b| !b.as_os_str().is_empty()) {
        path.push_str(&b.to_string_lossy());
        path.push(':');
    }
    path.push_str("/usr/local/bin:/usr/bin:/bin");
    vec![
        ("PATH".into(), path),
        (
            "HOME".into(),
            dir.join("home").to_string_lossy().into_owned(),
        ),
        (
            "TMPDIR".into(),
            dir.join("tmp").to_string_lossy().into_owned(),
        ),
        ("LANG".into(), "C.UTF-8".into()),
    ]
}

/// pytest is imported before any source is on the path; if it cannot be, the boot exits with
/// [`NO_RUNNER`] so that a missing runner is never mistaken for failing tests.
const PY_BOOT: &str = "import os, sys\ntry:\n    import pytest\nexcept Exception as e:\n    sys.stderr.write('pact: pytest cannot be imported: %r\\n' % (e,))\n    sys.exit(97)\nsys.path.extend(p for p in os.environ.get('PACT_SRC', '').split(os.pathsep) if p)\nsys.exit(pytest.main(sys.argv[1:]))";

/// The boot's exit status when the runner itself cannot start.
const NO_RUNNER: i32 = 97;

/// The last lines a run printed, for a message that says why it did not run.
pub(crate) fn tail(stdout: &str, stderr: &str) -> String {
    let both = format!("{stdout}\n{stderr}");
    let lines: Vec<&str> = both.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
