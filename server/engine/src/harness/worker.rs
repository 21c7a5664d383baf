//! The implementation's side of a run across the contract boundary: the worker process in its
//! own sandbox (sources, runtime, nothing else), and the relay that carries calls between the
//! tests' proxies and it. The two sandboxes share no directory: calls travel through two FIFOs
//! in the tests' run dir, which Pact relays to the worker's stdin and from its stdout.

use super::{HarnessError, HarnessOptions, TestJob, base_env, path_str, runtime_mounts};
use crate::boundary;
use crate::sandbox::{self, Spec};
use pact_core::model::TestLanguage;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;

/// Most bytes one run's answers may carry back (a worker that floods its channel stops there).
const MAX_ANSWERS: u64 = 256 * 1024 * 1024;
/// The implementation's address space (a Python worker; allocation past it raises MemoryError).
const WORKER_MEMORY: u64 = 4 * 1024 * 1024 * 1024;

pub(super) struct Worker {
    /// Where the proxies live (on the tests' import path).
    pub proxy_dir: PathBuf,
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
pub(super) async fn start(
    job: &TestJob,
    runner_dir: &Path,
    worker_dir: &Path,
    srcs: &[PathBuf],
    python: &Path,
    opts: &HarnessOptions,
) -> Result<Worker, HarnessError> {
    let spec = boundary::spec(&job.contracts).to_string();
    let proxy_dir = runner_dir.join("boundary");
    std::fs::create_dir_all(&proxy_dir)?;
    std::fs::write(proxy_dir.join(boundary::SPEC_FILE), &spec)?;
    std::fs::write(proxy_dir.join("_pact_proxy.py"), boundary::PROXY_PY)?;
    for c in &job.contracts {
        pact_core::ids::check_component_id(&c.component_id)
            .map_err(|e| HarnessError::Setup(std::io::Error::other(e.to_string())))?;
        std::fs::write(
            proxy_dir.join(format!("{}.py", c.component_id)),
            boundary::python_proxy(c),
        )?;
    }
    for d in ["home", "tmp"] {
        std::fs::create_dir_all(worker_dir.join(d))?;
    }
    let worker_py = worker_dir.join("_pact_worker.py");
    let worker_spec = worker_dir.join(boundary::SPEC_FILE);
    std::fs::write(&worker_py, boundary::WORKER_PY)?;
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
    s.env = base_env(TestLanguage::Python, opts, worker_dir);
    if let Some(d) = job.dummy {
        s.env.push(("PACT_WORKER_MODE".into(), d.mode().into()));
    }
    s.read_only = runtime_mounts(TestLanguage::Python, opts);
    s.writable = vec![worker_dir.to_path_buf()];
    s.memory = Some(WORKER_MEMORY);
    s.stdin = Some(worker_stdin.into_blocking_fd()?);
    s.stdout = Some(worker_stdout.into_blocking_fd()?);
    let process =
        sandbox::spawn(s, opts.output_cap)
            .await
            .map_err(|source| HarnessError::Spawn {
                program: format!("{} (the implementation's process)", python.display()),
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
