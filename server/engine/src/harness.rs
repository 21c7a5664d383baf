//! Runs a component's contract tests against its implementation and reads the outcome.
//!
//! The code under test is untrusted (an LLM wrote it), so every run: works on a fresh copy of
//! the locked test files in a temp dir; gets a clean environment (no API keys, no user site
//! packages); runs in its own process group, killed whole on timeout or cancellation; has its
//! output capped. Results come from the runner's JUnit XML, not from scraping text.

use pact_core::model::{TestFailure, TestLanguage, TestResults};
use quick_xml::events::Event;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt};
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
    let work = tempfile::Builder::new().prefix("pact-run-").tempdir()?;
    let tests_dir = work.path().join("tests");
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
    let mut srcs = Vec::new();
    for (i, d) in job.src_dirs.iter().enumerate() {
        let to = work.path().join("src").join(i.to_string());
        copy_tree(d, &to)?;
        srcs.push(to);
    }
    let report = work.path().join("junit.xml");
    let (program, mut cmd) = command(job.language, opts, work.path(), &srcs, &copies, &report)?;
    let trace_file = work.path().join("traces.json");
    if !trace.is_empty() && job.language == TestLanguage::Python {
        // Our own conftest, in the run's test dir: trusted code, unlike the sources.
        std::fs::write(tests_dir.join("conftest.py"), TRACE_CONFTEST)?;
        cmd.env("PACT_TRACE_MODULES", trace.join(","))
            .env("PACT_TRACE_FILE", &trace_file);
    }
    cmd.current_dir(&tests_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|source| HarnessError::Spawn {
        program: program.clone(),
        source,
    })?;
    // Whatever happens from here (timeout, cancel, panic, the future dropped), the whole
    // process group dies with this guard — grandchildren included.
    let group = GroupGuard(child.id());
    let out = tokio::spawn(read_capped(child.stdout.take(), opts.output_cap));
    let err = tokio::spawn(read_capped(child.stderr.take(), opts.output_cap));
    let (status, timed_out, cancelled) = tokio::select! {
        s = child.wait() => (s.ok(), false, false),
        _ = tokio::time::sleep(opts.timeout) => (None, true, false),
        _ = cancel.cancelled() => (None, false, true),
    };
    drop(group);
    let _ = child.kill().await;
    let _ = child.wait().await;
    // Output pipes close once the group is dead; never wait on them for long.
    let grace = Duration::from_secs(2);
    let stdout = tokio::time::timeout(grace, out)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let stderr = tokio::time::timeout(grace, err)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    if cancelled {
        return Err(HarnessError::Cancelled);
    }
    let duration = started.elapsed();
    let xml = std::fs::read_to_string(&report).ok();
    if xml.is_none() && status.and_then(|s| s.code()) == Some(NO_RUNNER) {
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
    for f in &mut results.failure_details {
        f.error_message = f.error_message.replace(&here, "<run>");
        f.stdout = f.stdout.replace(&here, "<run>");
        f.stderr = f.stderr.replace(&here, "<run>");
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
            stdout,
            stderr,
            timed_out,
            reported,
            duration,
        },
        traces,
    ))
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

/// Kills a process group when dropped.
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

/// The runner command for a language, with a clean environment.
fn command(
    lang: TestLanguage,
    opts: &HarnessOptions,
    work: &Path,
    srcs: &[PathBuf],
    files: &[PathBuf],
    report: &Path,
) -> Result<(String, tokio::process::Command), HarnessError> {
    let path_list =
        std::env::join_paths(srcs).map_err(|e| HarnessError::Setup(std::io::Error::other(e)))?;
    let (program, mut cmd) = match lang {
        TestLanguage::Python => {
            // An explicit config file stops pytest from picking up one the code under test wrote.
            let ini = work.join("pytest.ini");
            std::fs::write(&ini, "[pytest]\n")?;
            let python = opts.python.as_ref().ok_or_else(|| {
                HarnessError::Runner(
                    "no Python test environment is provisioned for this run".into(),
                )
            })?;
            let mut c = tokio::process::Command::new(python);
            // -I: no PYTHON* variables, no user site, no script dir on the path; the sources go
            // *after* the standard library and installed packages, so code under test cannot
            // shadow pytest, its plugins or a standard module (nor run a sitecustomize.py).
            c.args([
                "-I",
                "-B",
                "-c",
                PY_BOOT,
                "-q",
                "-p",
                "no:cacheprovider",
                "-c",
            ])
            .arg(&ini)
            .arg("--rootdir")
            .arg(work)
            .arg(format!("--junitxml={}", report.display()))
            .args(files);
            (python.display().to_string(), c)
        }
        TestLanguage::JavaScript => {
            let mut c = tokio::process::Command::new(&opts.node);
            c.arg("--test")
                .arg("--test-reporter=junit")
                .arg(format!("--test-reporter-destination={}", report.display()))
                .args(files);
            (opts.node.display().to_string(), c)
        }
        TestLanguage::TypeScript => {
            let vitest = vitest_entry(opts)?;
            let config = vitest_config(work, srcs, files, report, opts)?;
            let mut c = tokio::process::Command::new(&opts.node);
            c.arg(&vitest)
                .arg("run")
                .arg("--config")
                .arg(&config)
                .arg("--root")
                .arg(work);
            (format!("{} {}", opts.node.display(), vitest.display()), c)
        }
    };
    // Untrusted code sees no secrets: only what a test runner needs; HOME is the run's own dir.
    cmd.env_clear();
    for key in ["PATH", "LANG", "LC_ALL", "SYSTEMROOT"] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("HOME", work).env("TMPDIR", work);
    match lang {
        TestLanguage::Python => cmd.env("PACT_SRC", &path_list),
        TestLanguage::JavaScript => cmd.env("NODE_PATH", &path_list),
        // Modules resolve through the run's vitest config (ESM ignores NODE_PATH).
        TestLanguage::TypeScript => cmd.env("NO_COLOR", "1"),
    };
    Ok((program, cmd))
}

/// vitest's command-line entry in the managed `node_modules`.
fn vitest_entry(opts: &HarnessOptions) -> Result<PathBuf, HarnessError> {
    let Some(modules) = &opts.node_modules else {
        return Err(HarnessError::Runner(
            "no node_modules with vitest is provisioned for this run".into(),
        ));
    };
    let entry = modules.join("vitest").join("vitest.mjs");
    if !entry.is_file() {
        return Err(HarnessError::Runner(format!(
            "vitest is not installed: {} does not exist",
            entry.display()
        )));
    }
    Ok(entry)
}

/// Writes the run's own vitest config (an explicit `--config`, so none the code under test
/// wrote is read) and makes the test files' imports resolve:
///
/// - each module at the top of a source directory (`<name>.ts`, `.js`, …) is importable by its
///   bare name (`import { f } from "tokenizer"`), the first directory winning — the component's
///   own `src/` first, as `PACT_SRC` orders Python's path; the name `vitest` is never one;
/// - `vitest` itself resolves through a `node_modules` link in the run dir to the managed one;
/// - the cache goes to the run dir, never into the shared `node_modules`.
fn vitest_config(
    work: &Path,
    srcs: &[PathBuf],
    files: &[PathBuf],
    report: &Path,
    opts: &HarnessOptions,
) -> Result<PathBuf, HarnessError> {
    if let Some(modules) = &opts.node_modules {
        link_dir(modules, &work.join("node_modules"))?;
    }
    // Stops the search for a tsconfig.json above the run dir.
    std::fs::write(work.join("tsconfig.json"), "{}\n")?;
    let js = |p: &Path| serde_json::Value::from(p.to_string_lossy().into_owned()).to_string();
    let mut seen = std::collections::HashSet::new();
    let mut aliases = Vec::new();
    for dir in srcs {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut modules: Vec<(String, PathBuf)> = rd
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let stem = module_stem(&name)?;
                Some((stem.to_string(), e.path()))
            })
            .collect();
        modules.sort();
        for (stem, path) in modules {
            if stem != "vitest" && seen.insert(stem.clone()) {
                let find = format!("^{}$", regex_escape(&stem));
                aliases.push(format!(
                    "      {{ find: new RegExp({}), replacement: {} }},",
                    serde_json::Value::from(find),
                    js(&path)
                ));
            }
        }
    }
    let include: Vec<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(work).ok())
        .map(|rel| {
            let rel = rel.to_string_lossy().replace('\\', "/");
            serde_json::Value::from(glob_escape(&rel)).to_string()
        })
        .collect();
    let config = format!(
        r#"// Written by pact for this test run.
export default {{
  root: {root},
  cacheDir: {cache},
  resolve: {{
    alias: [
{aliases}
    ],
  }},
  test: {{
    include: [{include}],
    reporters: ["junit", "dot"],
    outputFile: {{ junit: {report} }},
    watch: false,
    globals: false,
    environment: "node",
    testTimeout: 30000,
    hookTimeout: 30000,
  }},
}};
"#,
        root = js(work),
        cache = js(&work.join(".vite")),
        aliases = aliases.join("\n"),
        include = include.join(", "),
        report = js(report),
    );
    let path = work.join("vitest.config.mjs");
    std::fs::write(&path, config)?;
    Ok(path)
}

/// The name a source file is imported by: `tokenizer.ts` → `tokenizer`. Declaration files and
/// other files are not modules.
fn module_stem(name: &str) -> Option<&str> {
    if name.ends_with(".d.ts") || name.starts_with('.') {
        return None;
    }
    [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .filter(|stem| !stem.is_empty())
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\*?[]{}()!@+".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(unix)]
fn link_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn link_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// Starts pytest with the component sources appended to `sys.path` (see [`command`]).
/// pytest is imported before any source is on the path; if it cannot be, the boot exits with
/// [`NO_RUNNER`] so that a missing runner is never mistaken for failing tests.
const PY_BOOT: &str = "import os, sys\ntry:\n    import pytest\nexcept Exception as e:\n    sys.stderr.write('pact: pytest cannot be imported: %r\\n' % (e,))\n    sys.exit(97)\nsys.path.extend(p for p in os.environ.get('PACT_SRC', '').split(os.pathsep) if p)\nsys.exit(pytest.main(sys.argv[1:]))";

/// The boot's exit status when the runner itself cannot start.
const NO_RUNNER: i32 = 97;

#[cfg(unix)]
fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: killpg only sends a signal; the group was created for this run (process_group(0)).
        unsafe {
            libc::killpg(pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn kill_group(_pid: Option<u32>) {}

async fn read_capped<R: AsyncRead + Unpin>(r: Option<R>, cap: usize) -> String {
    let Some(mut r) = r else { return String::new() };
    let mut kept = Vec::with_capacity(cap.min(8192));
    let mut buf = [0u8; 8192];
    let mut dropped = 0usize;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                dropped += n.saturating_sub(room);
            }
        }
    }
    let mut s = String::from_utf8_lossy(&kept).into_owned();
    if dropped > 0 {
        s.push_str(&format!("\n[… {dropped} more bytes of output dropped]"));
    }
    s
}

fn tail(stdout: &str, stderr: &str) -> String {
    let both = format!("{stdout}\n{stderr}");
    let lines: Vec<&str> = both.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Reads JUnit XML as pytest, node:test and vitest write it. A skipped test does not pass:
/// tests are law, so a skip counts as a failure.
pub fn parse_junit(xml: &str) -> TestResults {
    parse_junit_cases(xml).0
}

/// [`parse_junit`], plus the id of every test case that ran.
pub fn parse_junit_cases(xml: &str) -> (TestResults, Vec<String>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut r = TestResults::default();
    let mut cases: Vec<String> = Vec::new();
    let mut current: Option<(String, Option<(String, String)>)> = None; // (id, (kind, message))
    let mut in_outcome = false;
    let mut outcome_text = String::new();
    let attr = |e: &quick_xml::events::BytesStart, name: &[u8]| -> String {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
            .unwrap_or_default()
    };
    // A malformed document ends the read; what was read so far counts.
    while let Ok(ev) = reader.read_event() {
        match ev {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let class = attr(&e, b"classname");
                let name = attr(&e, b"name");
                let id = if class.is_empty() {
                    name
                } else {
                    format!("{class}::{name}")
                };
                cases.push(id.clone());
                finish(&mut r, current.take());
                // A self-closed <testcase/> is finished when the next one starts or at the end.
                current = Some((id, None));
            }
            Event::Start(e) | Event::Empty(e)
                if matches!(e.name().as_ref(), b"failure" | b"error" | b"skipped") =>
            {
                let kind = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let message = attr(&e, b"message");
                if let Some((_, outcome)) = current.as_mut()
                    && outcome.is_none()
                {
                    *outcome = Some((kind, message));
                }
                in_outcome = true;
                outcome_text.clear();
            }
            Event::Text(t) if in_outcome => {
                if let Ok(s) = t.decode() {
                    outcome_text.push_str(&s);
                }
            }
            Event::End(e) if matches!(e.name().as_ref(), b"failure" | b"error" | b"skipped") => {
                in_outcome = false;
                if let Some((_, Some((_, msg)))) = current.as_mut() {
                    let detail = outcome_text.trim();
                    if !detail.is_empty() && !msg.contains(detail) {
                        if !msg.is_empty() {
                            msg.push('\n');
                        }
                        msg.push_str(&detail.chars().take(4000).collect::<String>());
                    }
                }
            }
            Event::End(e) if e.name().as_ref() == b"testcase" => finish(&mut r, current.take()),
            Event::Eof => break,
            _ => {}
        }
    }
    finish(&mut r, current.take());
    (r, cases)
}

fn finish(r: &mut TestResults, case: Option<(String, Option<(String, String)>)>) {
    let Some((id, outcome)) = case else { return };
    r.total += 1;
    match outcome {
        None => r.passed += 1,
        Some((kind, message)) => {
            if kind == "error" {
                r.errors += 1;
            } else {
                r.failed += 1;
            }
            let message = if kind == "skipped" {
                format!("skipped (a skipped test does not pass): {message}")
            } else {
                message
            };
            r.failure_details.push(TestFailure {
                test_id: id,
                error_message: message,
                ..Default::default()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_from_pytest_and_node() {
        let pytest = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4">
<testcase classname="contract_test" name="test_a" time="0.001" />
<testcase classname="contract_test" name="test_b" time="0.001"><failure message="assert 1 == 2">def test_b():
&gt;   assert 1 == 2</failure></testcase>
<testcase classname="contract_test" name="test_c" time="0.0"><skipped type="pytest.skip" message="nope">skip</skipped></testcase>
<testcase classname="contract_test" name="test_d" time="0.0"><error message="fixture broke" /></testcase>
</testsuite></testsuites>"#;
        let r = parse_junit(pytest);
        assert_eq!((r.total, r.passed, r.failed, r.errors), (4, 1, 2, 1));
        assert_eq!(r.failure_details[0].test_id, "contract_test::test_b");
        assert!(
            r.failure_details[0]
                .error_message
                .starts_with("assert 1 == 2")
        );
        assert!(r.failure_details[1].error_message.starts_with("skipped"));
        assert!(!r.all_passed());
        assert_eq!(parse_junit("not xml <<<").total, 0);
    }
}
