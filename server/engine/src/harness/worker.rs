//! The implementation's side of a run across the contract boundary: the worker process in its
//! own sandbox (sources, runtime, nothing else), and the relay that carries calls between the
//! tests' proxies and it. The two sandboxes share no directory: calls travel through two FIFOs
//! in the tests' run dir, which Pact relays to the worker's stdin and from its stdout. The
//! worker is `python` for Python suites, `node` for TypeScript and JavaScript ones.

use super::{HarnessError, HarnessOptions, TestJob, base_env, path_str, runtime_mounts};
use crate::boundary;
use crate::sandbox::{self, Spec};
use pact_core::model::TestLanguage;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;

/// Most bytes one run's answers may carry back (a worker that floods its channel stops there).
const MAX_ANSWERS: u64 = 256 * 1024 * 1024;
/// The implementation's memory: a Python worker's address space (allocation past it raises
/// MemoryError); a node worker's heap (V8 reserves far more address space than it uses).
const WORKER_MEMORY: u64 = 4 * 1024 * 1024 * 1024;

pub(super) struct Worker {
    /// Where the proxies live (on the tests' import path).
    pub proxy_dir: PathBuf,
    /// TypeScript: each contract module's bare name and its proxy (the run's vitest aliases).
    pub aliases: Vec<(String, PathBuf)>,
    req: PathBuf,
    resp: PathBuf,
    process: sandbox::Running,
    relay: Vec<tokio::task::JoinHandle<()>>,
}

impl Worker {
    /// What the tests' process needs to reach the worker.
    pub fn runner_env(&self) -> Vec<(String, String)> {
        vec![
            (
                "PACT_CALL_REQ".into(),
                self.req.to_string_lossy().into_owned(),
            ),
            (
                "PACT_CALL_RESP".into(),
                self.resp.to_string_lossy().into_owned(),
            ),
        ]
    }

    /// Ends the worker and the relay; what the implementation wrote to stderr.
    pub async fn stop(mut self) -> String {
        self.process.kill();
        for r in &self.relay {
            r.abort();
        }
        let _ = self.process.wait().await;
        let (_, stderr) = self.process.output(std::time::Duration::from_secs(2)).await;
        stderr
    }
}

/// Writes the proxies (into the tests' dir) and the worker (into its own), then starts the
/// worker and the relay.
///
/// - Python: proxies `<cid>.py` in `boundary/` (on the tests' `sys.path`), the worker
///   `python -I -B _pact_worker.py`.
/// - TypeScript: proxies `<cid>.mjs` in `boundary/`, which the run's vitest config aliases the
///   bare names to; the worker `node _pact_worker.mjs`, which compiles the sources with the
///   managed esbuild.
/// - JavaScript: proxies as packages `node_modules/<cid>/` of the tests' dir (found by
///   `require` and `import` alike); the worker `node _pact_worker.mjs`, which `require`s the
///   sources.
pub(super) async fn start(
    job: &TestJob,
    runner_dir: &Path,
    worker_dir: &Path,
    srcs: &[PathBuf],
    opts: &HarnessOptions,
) -> Result<Worker, HarnessError> {
    let lang = job.language;
    let spec = boundary::spec(&job.contracts).to_string();
    let proxy_dir = runner_dir.join("boundary");
    std::fs::create_dir_all(&proxy_dir)?;
    std::fs::write(proxy_dir.join(boundary::SPEC_FILE), &spec)?;
    for c in &job.contracts {
        pact_core::ids::check_component_id(&c.component_id)
            .map_err(|e| HarnessError::Setup(std::io::Error::other(e.to_string())))?;
    }
    let mut aliases = Vec::new();
    match lang {
        TestLanguage::Python => {
            std::fs::write(proxy_dir.join("_pact_proxy.py"), boundary::PROXY_PY)?;
            for c in &job.contracts {
                std::fs::write(
                    proxy_dir.join(format!("{}.py", c.component_id)),
                    boundary::python_proxy(c),
                )?;
            }
        }
        TestLanguage::TypeScript => {
            let runtime = proxy_dir.join("_pact_proxy.cjs");
            std::fs::write(&runtime, boundary::PROXY_JS)?;
            for c in &job.contracts {
                let file = proxy_dir.join(format!("{}.mjs", c.component_id));
                std::fs::write(&file, boundary::esm_proxy(c, &runtime))?;
                if !aliases.iter().any(|(n, _)| n == &c.component_id) {
                    aliases.push((c.component_id.clone(), file));
                }
            }
        }
        TestLanguage::JavaScript => {
            let runtime = proxy_dir.join("_pact_proxy.cjs");
            std::fs::write(&runtime, boundary::PROXY_JS)?;
            for c in &job.contracts {
                let pkg = runner_dir.join("node_modules").join(&c.component_id);
                std::fs::create_dir_all(&pkg)?;
                std::fs::write(
                    pkg.join("package.json"),
                    serde_json::json!({"name": c.component_id, "main": "index.js", "private": true})
                        .to_string(),
                )?;
                std::fs::write(pkg.join("index.js"), boundary::cjs_proxy(c, &runtime))?;
            }
        }
    }
    for d in ["home", "tmp"] {
        std::fs::create_dir_all(worker_dir.join(d))?;
    }
    let worker_spec = worker_dir.join(boundary::SPEC_FILE);
    std::fs::write(&worker_spec, &spec)?;

    let req = runner_dir.join("call.req");
    let resp = runner_dir.join("call.resp");
    mkfifo(&req)?;
    mkfifo(&resp)?;
    // Pact holds both FIFOs open read-write, so the proxies' opens never block, and the tests
    // see end-of-file on answers once the worker is gone (the relay drops its end).
    let mut from_tests = pipe::OpenOptions::new()
        .read_write(true)
        .open_receiver(&req)?;
    let mut to_tests = pipe::OpenOptions::new()
        .read_write(true)
        .open_sender(&resp)?;
    let (mut to_worker, worker_stdin) = pipe::pipe()?;
    let (worker_stdout, from_worker) = pipe::pipe()?;

    let mut s = match lang {
        TestLanguage::Python => {
            let python = super::python_of(opts)?;
            let worker_py = worker_dir.join("_pact_worker.py");
            std::fs::write(&worker_py, boundary::WORKER_PY)?;
            let mut s = Spec::new(python.to_path_buf(), worker_dir.to_path_buf());
            s.args = vec![
                "-I".into(),
                "-B".into(),
                path_str(&worker_py)?,
                path_str(&worker_spec)?,
            ];
            for d in srcs {
                s.args.push(path_str(d)?);
            }
            s.env = base_env(lang, opts, worker_dir);
            s.memory = Some(WORKER_MEMORY);
            s
        }
        TestLanguage::TypeScript | TestLanguage::JavaScript => {
            let worker_js = worker_dir.join("_pact_worker.mjs");
            std::fs::write(&worker_js, boundary::WORKER_JS)?;
            // The sources' modules by bare name, as the tests resolve them in-process.
            let modules: serde_json::Map<String, serde_json::Value> =
                super::vitest::module_aliases(srcs)
                    .into_iter()
                    .map(|(n, p)| (n, p.to_string_lossy().into_owned().into()))
                    .collect();
            // The sandbox shows the managed node_modules at its real path.
            let esbuild = opts
                .node_modules
                .as_ref()
                .and_then(|m| std::fs::canonicalize(m).ok())
                .map(|m| m.join("esbuild"))
                .filter(|e| e.join("package.json").is_file());
            let setup = serde_json::json!({
                "language": if lang == TestLanguage::TypeScript { "typescript" } else { "javascript" },
                "root": worker_dir.to_string_lossy(),
                "modules": modules,
                "esbuild": esbuild.map(|e| e.to_string_lossy().into_owned()),
                "out": worker_dir.join("out").to_string_lossy(),
            });
            let setup_file = worker_dir.join("_pact_setup.json");
            std::fs::write(&setup_file, setup.to_string())?;
            // Stops esbuild's search for a tsconfig.json above the sources.
            std::fs::write(worker_dir.join("tsconfig.json"), "{}\n")?;
            let mut s = Spec::new(opts.node.clone(), worker_dir.to_path_buf());
            s.args = vec![
                "--enable-source-maps".into(),
                format!("--max-old-space-size={}", WORKER_MEMORY / (1024 * 1024)),
                path_str(&worker_js)?,
                path_str(&worker_spec)?,
                path_str(&setup_file)?,
            ];
            s.env = base_env(lang, opts, worker_dir);
            if lang == TestLanguage::JavaScript {
                let paths = std::env::join_paths(srcs)
                    .map_err(|e| HarnessError::Setup(std::io::Error::other(e)))?;
                s.env
                    .push(("NODE_PATH".into(), paths.to_string_lossy().into_owned()));
            }
            s
        }
    };
    if let Some(d) = job.dummy {
        s.env.push(("PACT_WORKER_MODE".into(), d.mode().into()));
    }
    s.read_only = runtime_mounts(lang, opts);
    s.writable = vec![worker_dir.to_path_buf()];
    s.stdin = Some(worker_stdin.into_blocking_fd()?);
    s.stdout = Some(worker_stdout.into_blocking_fd()?);
    let program = s.program.display().to_string();
    let process =
        sandbox::spawn(s, opts.output_cap)
            .await
            .map_err(|source| HarnessError::Spawn {
                program: format!("{program} (the implementation's process)"),
                source,
            })?;
    let calls = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_tests, &mut to_worker).await;
    });
    let answers = tokio::spawn(async move {
        let mut capped = from_worker.take(MAX_ANSWERS);
        let _ = tokio::io::copy(&mut capped, &mut to_tests).await;
        // `to_tests` drops here: the tests read end-of-file instead of waiting forever.
    });
    Ok(Worker {
        proxy_dir,
        aliases,
        req,
        resp,
        process,
        relay: vec![calls, answers],
    })
}

fn mkfifo(path: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
