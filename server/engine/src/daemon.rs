//! `pact daemon`: the run advanced as events arrive, with a human in the loop.
//!
//! The daemon holds the project's job lock, runs phase after phase, and when the run pauses
//! (interview questions, plan-only, a health check, a failure that needs a human) it waits on
//! the named pipe `.pact/dispatch` for a directive from `pact signal`: resume, apply a remedy,
//! change the mode or a setting, inject context, or shut down. Files, as the seed's:
//!
//! - `.pact/dispatch` — the FIFO; one directive per line (JSON or a bare word).
//! - `.pact/daemon.pid` — the daemon's pid, removed when it exits.
//! - `.pact/shutdown` — written by `pact stop`; the daemon stops between phases.
//!
//! The daemon keeps the pipe open for its whole life, so directives sent while a phase runs
//! wait in the pipe and are handled right after it. A sender opens the pipe without blocking:
//! no daemon means no reader, and the sender is told at once.

use crate::directive::{self, Directive};
use crate::engine::{Engine, EngineError, Outcome, Result};
use pact_core::model::RunStatus;
use pact_core::store::Project;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;

pub fn dispatch_path(p: &Project) -> PathBuf {
    p.layout.pact_dir().join("dispatch")
}
pub fn pid_path(p: &Project) -> PathBuf {
    p.layout.pact_dir().join("daemon.pid")
}
pub fn shutdown_path(p: &Project) -> PathBuf {
    p.layout.pact_dir().join("shutdown")
}

pub const TIMED_OUT: &str = " [DAEMON TIMED OUT — manual resume required]";

#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// How long to wait for a directive while paused before giving up (the seed's `--max-idle`).
    pub max_idle: Duration,
    /// How often a waiting daemon looks for the shutdown file.
    pub poll: Duration,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        Self {
            max_idle: Duration::from_secs(600),
            poll: Duration::from_millis(250),
        }
    }
}

/// Why the daemon stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum DaemonExit {
    Completed,
    Failed(String),
    BudgetExceeded,
    Shutdown,
    IdleTimeout,
    Cancelled,
}

/// Whether a daemon runs for a project (`pact status`, `pact stop`, `pact signal`).
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonStatus {
    pub alive: bool,
    pub pid: Option<u32>,
    pub fifo_exists: bool,
}

pub fn status(p: &Project) -> DaemonStatus {
    let pid = std::fs::read_to_string(pid_path(p))
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok());
    DaemonStatus {
        alive: pid.is_some_and(pid_alive),
        pid,
        fifo_exists: dispatch_path(p).exists(),
    }
}

/// Whether a process runs (zombies count as gone).
pub fn pid_alive(pid: u32) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return false;
    }
    #[cfg(unix)]
    {
        // SAFETY: kill with signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
        let exists = r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !exists {
            return false;
        }
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // `pid (comm) S …`: the state follows the last ')'.
            if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r.trim_start()) {
                return !rest.starts_with('Z') && !rest.starts_with('X');
            }
        }
        true
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[derive(Debug, Error)]
pub enum SendError {
    #[error("no daemon is running for {0} (start one with `pact daemon {0}`)")]
    NoDaemon(String),
    #[error("{0} exists but is not a named pipe; remove it and restart the daemon")]
    NotAPipe(String),
    #[error("the directive is too long ({0} bytes; at most {max})", max = directive::MAX_DIRECTIVE_BYTES)]
    TooLong(usize),
    #[error("the daemon is not reading its pipe (busy for more than {0:?}); try again")]
    Busy(Duration),
    #[error("cannot write to the daemon's pipe: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes one directive line to the daemon's pipe, in one atomic write.
pub fn send(p: &Project, line: &str) -> std::result::Result<(), SendError> {
    let shown = p.root().display().to_string();
    let mut bytes = line.trim().as_bytes().to_vec();
    if bytes.len() > directive::MAX_DIRECTIVE_BYTES {
        return Err(SendError::TooLong(bytes.len()));
    }
    bytes.push(b'\n');
    let path = dispatch_path(p);
    if !path.exists() {
        return Err(SendError::NoDaemon(shown));
    }
    send_unix(&path, &bytes, &shown)
}

#[cfg(unix)]
fn send_unix(path: &Path, bytes: &[u8], shown: &str) -> std::result::Result<(), SendError> {
    use std::io::Write;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    if !std::fs::metadata(path)?.file_type().is_fifo() {
        return Err(SendError::NotAPipe(path.display().to_string()));
    }
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        // No reader: nobody is listening.
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
            return Err(SendError::NoDaemon(shown.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    let wait = Duration::from_secs(5);
    let deadline = Instant::now() + wait;
    loop {
        // At most PIPE_BUF bytes: written whole or not at all.
        match f.write(bytes) {
            Ok(n) if n == bytes.len() => return Ok(()),
            Ok(_) => return Err(SendError::Io(std::io::Error::other("short write"))),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Err(SendError::Busy(wait));
            }
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => {
                return Err(SendError::NoDaemon(shown.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(not(unix))]
fn send_unix(_: &Path, _: &[u8], shown: &str) -> std::result::Result<(), SendError> {
    Err(SendError::NoDaemon(shown.to_string()))
}

/// `pact stop`: asks a running daemon to stop between phases. Returns its pid, or `None` if
/// no daemon runs (a stale pid file is removed).
pub fn request_stop(p: &Project) -> std::io::Result<Option<u32>> {
    let st = status(p);
    match (st.alive, st.pid) {
        (true, Some(pid)) => {
            pact_core::store::fsio::write_atomic(&shutdown_path(p), b"shutdown requested\n")?;
            // The file alone suffices between phases; the message wakes a waiting daemon.
            let _ = send(p, "shutdown");
            Ok(Some(pid))
        }
        _ => {
            let _ = std::fs::remove_file(pid_path(p));
            Ok(None)
        }
    }
}

/// The daemon's files; removed when it exits.
struct Files {
    pid: PathBuf,
    fifo: PathBuf,
    me: u32,
}

impl Files {
    /// Makes the pipe and opens it for reading *before* the pid file says a daemon is there:
    /// a sender who sees the pid file always finds a reader (a pipe without one refuses the
    /// sender, who would then be told that no daemon runs).
    #[cfg(unix)]
    fn create(p: &Project) -> Result<(Self, Inbox)> {
        let io = |e: std::io::Error| EngineError::Invalid(format!("cannot set up the daemon: {e}"));
        let me = std::process::id();
        std::fs::create_dir_all(p.layout.pact_dir()).map_err(io)?;
        let _ = std::fs::remove_file(shutdown_path(p));
        let fifo = dispatch_path(p);
        make_fifo(&fifo).map_err(io)?;
        let inbox = Inbox::open(&fifo)?;
        let pid = pid_path(p);
        pact_core::store::fsio::write_atomic(&pid, format!("{me}\n").as_bytes()).map_err(io)?;
        Ok((Self { pid, fifo, me }, inbox))
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let ours = std::fs::read_to_string(&self.pid)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok())
            == Some(self.me);
        if ours {
            let _ = std::fs::remove_file(&self.pid);
            let _ = std::fs::remove_file(&self.fifo);
        }
    }
}

#[cfg(unix)]
fn make_fifo(path: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_fifo() => return Ok(()),
        // A regular file (or anything else) in its place is replaced, as the seed does.
        Ok(_) => std::fs::remove_file(path)?,
        Err(_) => {}
    }
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::other("path contains a NUL byte"))?;
    // SAFETY: `c` is a valid NUL-terminated path.
    let r = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The reading end of the pipe, kept open (with a writer of our own, so that senders closing
/// their end never look like end-of-file).
#[cfg(unix)]
struct Inbox {
    rx: tokio::net::unix::pipe::Receiver,
    _keep: tokio::net::unix::pipe::Sender,
    buf: Vec<u8>,
}

#[cfg(unix)]
impl Inbox {
    fn open(path: &Path) -> Result<Self> {
        use tokio::net::unix::pipe;
        let io = |e: std::io::Error| {
            EngineError::Invalid(format!("cannot open {}: {e}", path.display()))
        };
        let rx = pipe::OpenOptions::new().open_receiver(path).map_err(io)?;
        let keep = pipe::OpenOptions::new().open_sender(path).map_err(io)?;
        Ok(Self {
            rx,
            _keep: keep,
            buf: Vec::new(),
        })
    }

    /// Complete lines received so far, without waiting.
    fn drain(&mut self) -> Vec<String> {
        let mut chunk = [0u8; 4096];
        loop {
            match self.rx.try_read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => break,
            }
        }
        let mut lines = Vec::new();
        while let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            let text = String::from_utf8_lossy(&line).trim().to_string();
            if !text.is_empty() {
                lines.push(text);
            }
        }
        // A writer that never ends its line cannot fill our memory.
        if self.buf.len() > 64 * 1024 {
            self.buf.clear();
            lines.push("<oversized message without a newline>".into());
        }
        lines
    }

    async fn readable(&self) {
        let _ = self.rx.readable().await;
    }
}

/// What the daemon reports as it goes (printed by `pact daemon`).
pub type Log<'a> = &'a (dyn Fn(&str) + Send + Sync);

enum Handled {
    Nothing,
    Resumed,
    Shutdown,
}

/// Handles one line from the pipe: parse, then apply or reject (rejections change nothing).
fn handle(e: &mut Engine, line: &str, log: Log<'_>) -> Result<Handled> {
    let d = match directive::parse(line) {
        Ok(d) => d,
        Err(err) => {
            let shown: String = line.chars().take(200).collect();
            log(&format!("rejected directive: {err}"));
            e.audit("directive_rejected", format!("{err}: {shown}"))?;
            return Ok(Handled::Nothing);
        }
    };
    match &d {
        Directive::Shutdown => Ok(Handled::Shutdown),
        Directive::Resume(word) => {
            let st = e.state()?;
            if st.status != RunStatus::Paused {
                log(&format!("{word}: the run is not paused"));
                return Ok(Handled::Nothing);
            }
            if crate::health::is_health_pause(&st.pause_reason) {
                crate::health::acknowledge(&e.project, &e.config)?;
            }
            // The reason stays until the next phase advances (as `pact run` leaves it), so health
            // knows a human resumed past its pause.
            e.update(|s| s.status = RunStatus::Active)?;
            e.audit("daemon_resume", format!("Signal: {word}"))?;
            log(&format!("resumed ({word})"));
            Ok(Handled::Resumed)
        }
        _ => match directive::apply(e, &d) {
            Ok(done) => {
                log(&format!("applied: {done}"));
                Ok(Handled::Nothing)
            }
            Err(err) => {
                log(&format!("rejected directive: {err}"));
                e.audit("directive_rejected", err.to_string())?;
                Ok(Handled::Nothing)
            }
        },
    }
}

fn shutdown(e: &Engine, how: &str) -> Result<DaemonExit> {
    e.update(|s| {
        if s.status == RunStatus::Active {
            s.status = RunStatus::Paused;
            s.pause_reason = "Shutdown requested".into();
        }
    })?;
    e.audit("daemon_shutdown", how)?;
    let _ = std::fs::remove_file(shutdown_path(&e.project));
    Ok(DaemonExit::Shutdown)
}

/// Runs the daemon until the run completes, fails, runs out of budget, is shut down, or waits
/// longer than `max_idle` for a directive. The job (from [`crate::job::prepare`]) holds the
/// project's run lock and passed its preflight.
#[cfg(unix)]
pub async fn run(
    job: &mut crate::job::Prepared,
    opts: &DaemonOptions,
    log: Log<'_>,
) -> Result<DaemonExit> {
    let e = &mut job.engine;
    let (files, mut inbox) = Files::create(&e.project)?;
    e.audit("daemon_start", format!("pid {}", files.me))?;
    log(&format!(
        "daemon started (pid {}); send directives with `pact signal {}`",
        files.me,
        e.project.root().display()
    ));
    let shutdown_file = shutdown_path(&e.project);
    loop {
        if e.cancel.is_cancelled() {
            return Ok(DaemonExit::Cancelled);
        }
        for line in inbox.drain() {
            if let Handled::Shutdown = handle(e, &line, log)? {
                return shutdown(e, "Clean shutdown via FIFO signal");
            }
        }
        if shutdown_file.exists() {
            return shutdown(e, "Clean shutdown between phases");
        }
        let st = e.state()?;
        match st.status {
            RunStatus::Completed => return Ok(DaemonExit::Completed),
            RunStatus::Failed => return Ok(DaemonExit::Failed(st.pause_reason)),
            RunStatus::BudgetExceeded => return Ok(DaemonExit::BudgetExceeded),
            RunStatus::Paused => {
                log(&format!(
                    "paused: {} — waiting for a directive",
                    st.pause_reason
                ));
                let deadline = Instant::now() + opts.max_idle;
                'wait: loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        e.update(|s| {
                            if !s.pause_reason.ends_with(TIMED_OUT) {
                                s.pause_reason.push_str(TIMED_OUT);
                            }
                        })?;
                        e.audit(
                            "daemon_timeout",
                            format!("no directive in {:?}", opts.max_idle),
                        )?;
                        return Ok(DaemonExit::IdleTimeout);
                    }
                    tokio::select! {
                        _ = inbox.readable() => {}
                        _ = tokio::time::sleep(opts.poll.min(left)) => {}
                        _ = e.cancel.cancelled() => return Ok(DaemonExit::Cancelled),
                    }
                    for line in inbox.drain() {
                        match handle(e, &line, log)? {
                            Handled::Shutdown => {
                                return shutdown(e, "Clean shutdown via FIFO signal");
                            }
                            Handled::Resumed => break 'wait,
                            Handled::Nothing => {}
                        }
                    }
                    if shutdown_file.exists() {
                        return shutdown(e, "Clean shutdown between phases");
                    }
                    // Someone else resumed or finished the run (e.g. `pact approve` + state edit).
                    if e.state()?.status != RunStatus::Paused {
                        break 'wait;
                    }
                }
            }
            RunStatus::Active => {
                e.audit("daemon_dispatch", format!("Phase: {}", st.phase))?;
                match e.step().await {
                    Ok(Outcome::Advanced { to }) => log(&format!("{} → {to}", st.phase)),
                    Ok(Outcome::Completed) => log("run complete"),
                    Ok(Outcome::Paused { .. }) => {}
                    Ok(Outcome::Failed { reason }) => log(&format!("run failed: {reason}")),
                    Ok(Outcome::BudgetExceeded) => log("budget exceeded"),
                    Err(err) if err.is_cancelled() => return Ok(DaemonExit::Cancelled),
                    Err(err) => {
                        e.audit("daemon_error", err.to_string())?;
                        return Err(err);
                    }
                }
            }
        }
    }
}

#[cfg(not(unix))]
pub async fn run(
    _: &mut crate::job::Prepared,
    _: &DaemonOptions,
    _: Log<'_>,
) -> Result<DaemonExit> {
    Err(EngineError::Invalid(
        "the daemon needs a Unix system (named pipes)".into(),
    ))
}
