//! Where untrusted code runs: every process that executes what an LLM wrote (implementations,
//! test suites, mutants, reproducers) starts here.
//!
//! On Linux the process gets its own user, mount, PID, network, IPC and UTS namespaces
//! (through `hakoniwa`): a root filesystem that holds only the system directories and the
//! runtime read-only plus the run's own directories, a fresh `/proc` that shows no other
//! process (so no `/proc/<ppid>/environ`), no network, a minimal environment, and resource
//! limits. It dies with the thread that started it. Where namespaces are not available (macOS,
//! a kernel without unprivileged user namespaces), the same process runs in its own process
//! group with a clean environment, and every verdict says it ran unsandboxed.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tokio::sync::oneshot;

/// How untrusted code is isolated on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// Linux namespaces and resource limits.
    Sandboxed,
    /// Own process group and clean environment only; the reason namespaces are not used.
    Unsandboxed(String),
}

impl Isolation {
    pub fn is_sandboxed(&self) -> bool {
        matches!(self, Isolation::Sandboxed)
    }
    /// One word for verdicts and certificates.
    pub fn label(&self) -> &'static str {
        match self {
            Isolation::Sandboxed => "sandboxed",
            Isolation::Unsandboxed(_) => "unsandboxed",
        }
    }
}

/// What this machine offers, probed once per process by starting `true` in a sandbox.
/// `PACT_SANDBOX=off` turns the sandbox off (and says so everywhere); it is never off silently.
pub fn isolation() -> &'static Isolation {
    static PROBE: OnceLock<Isolation> = OnceLock::new();
    PROBE.get_or_init(|| {
        if std::env::var("PACT_SANDBOX").is_ok_and(|v| v == "off" || v == "0") {
            return Isolation::Unsandboxed("turned off by PACT_SANDBOX=off".into());
        }
        probe()
    })
}

#[cfg(target_os = "linux")]
fn probe() -> Isolation {
    let Some(truth) = ["/usr/bin/true", "/bin/true"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
    else {
        return Isolation::Unsandboxed("no /usr/bin/true to probe the sandbox with".into());
    };
    let spec = Spec::new(PathBuf::from(truth), PathBuf::from("/"));
    let result = std::thread::spawn(move || -> Result<bool, String> {
        let mut cmd = linux::command(&spec).map_err(|e| e.to_string())?;
        let status = cmd.status().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(true)
        } else {
            Err(status.reason)
        }
    })
    .join();
    match result {
        Ok(Ok(true)) => Isolation::Sandboxed,
        Ok(Ok(false)) => Isolation::Unsandboxed("the sandbox probe failed".into()),
        Ok(Err(e)) => Isolation::Unsandboxed(format!(
            "Linux user namespaces are not available here ({e})"
        )),
        Err(_) => Isolation::Unsandboxed("the sandbox probe panicked".into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn probe() -> Isolation {
    Isolation::Unsandboxed(format!(
        "no sandbox on {} yet (Linux namespaces only)",
        std::env::consts::OS
    ))
}

/// One untrusted process.
#[derive(Debug)]
pub struct Spec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    /// Host paths visible read-only at the same path (the runtime, the run's inputs).
    pub read_only: Vec<PathBuf>,
    /// Host paths visible read-write at the same path: only the run's own directories.
    pub writable: Vec<PathBuf>,
    /// Address-space limit in bytes (Python workers; V8 reserves too much for one).
    pub memory: Option<u64>,
    /// Standard input (default: nothing).
    pub stdin: Option<OwnedFd>,
    /// Standard output (default: captured, capped).
    pub stdout: Option<OwnedFd>,
}

impl Spec {
    pub fn new(program: PathBuf, cwd: PathBuf) -> Self {
        Self {
            program,
            args: Vec::new(),
            env: Vec::new(),
            cwd,
            read_only: Vec::new(),
            writable: Vec::new(),
            memory: None,
            stdin: None,
            stdout: None,
        }
    }
}

/// Largest file the process may write (RLIMIT_FSIZE).
const MAX_FILE: u64 = 64 * 1024 * 1024;
/// Open files (RLIMIT_NOFILE).
const MAX_FILES: u64 = 1024;

/// A started process: its pid, its captured output, and how it ended.
pub struct Running {
    pid: Option<u32>,
    done: Option<oneshot::Receiver<Option<i32>>>,
    exit: Option<Option<i32>>,
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Running {
    /// Waits for the process to end; its exit code (`None` when killed by a signal).
    pub async fn wait(&mut self) -> Option<i32> {
        if let Some(code) = self.exit {
            return code;
        }
        let code = match self.done.take() {
            Some(rx) => rx.await.ok().flatten(),
            None => None,
        };
        self.exit = Some(code);
        code
    }

    /// Kills the process and everything it started.
    pub fn kill(&mut self) {
        if self.exit.is_some() {
            return;
        }
        // A waiter that has reported has reaped the pid: it may belong to someone else now.
        if let Some(Ok(code)) = self.done.as_mut().map(|rx| rx.try_recv()) {
            self.exit = Some(code);
            self.done = None;
            return;
        }
        if let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill/killpg only send signals. The pid is ours and its waiter has not
            // reported (checked just above), so it is not reaped and cannot have been reused. A
            // sandbox's processes die with it (PDEATHSIG); the fallback runs in its own process
            // group.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::killpg(pid, libc::SIGKILL);
            }
        }
    }

    /// Output captured so far, after the process ended (capped; empty if it was redirected).
    pub async fn output(&mut self, grace: std::time::Duration) -> (String, String) {
        let join = |h: Option<std::thread::JoinHandle<String>>| async move {
            let Some(h) = h else { return String::new() };
            tokio::time::timeout(grace, tokio::task::spawn_blocking(move || h.join()))
                .await
                .ok()
                .and_then(Result::ok)
                .and_then(Result::ok)
                .unwrap_or_default()
        };
        (
            join(self.stdout.take()).await,
            join(self.stderr.take()).await,
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `spec` isolated as [`isolation`] says: sandboxed, or in its own process group.
pub async fn spawn(mut spec: Spec, output_cap: usize) -> std::io::Result<Running> {
    // The sandbox runs programs by path: a bare name is looked up here, on the host's PATH.
    if spec.program.components().count() == 1 {
        let name = spec.program.to_string_lossy().into_owned();
        spec.program = crate::runtime::find_program(&name).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("`{name}` is not on PATH"),
            )
        })?;
    }
    match isolation() {
        #[cfg(target_os = "linux")]
        Isolation::Sandboxed => linux::spawn(spec, output_cap).await,
        _ => fallback(spec, output_cap),
    }
}

fn fallback(spec: Spec, output_cap: usize) -> std::io::Result<Running> {
    let mut cmd = tokio::process::Command::new(&spec.program);
    cmd.args(&spec.args)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spec.cwd);
    cmd.stdin(match spec.stdin {
        Some(fd) => std::process::Stdio::from(fd),
        None => std::process::Stdio::null(),
    });
    let (out_r, out_w) = std::io::pipe()?;
    let (err_r, err_w) = std::io::pipe()?;
    let captured = spec.stdout.is_none();
    cmd.stdout(match spec.stdout {
        Some(fd) => std::process::Stdio::from(fd),
        None => std::process::Stdio::from(OwnedFd::from(out_w)),
    });
    cmd.stderr(std::process::Stdio::from(OwnedFd::from(err_w)));
    #[cfg(unix)]
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    {
        // The process dies with the thread that starts it (a Tokio worker, which lives as long
        // as Pact's runtime): a SIGKILLed Pact leaves no test run behind. What the process
        // starts itself is in its process group, which `kill` and dropping `Running` end.
        let parent = std::process::id();
        // SAFETY: between fork and exec only async-signal-safe calls are made (prctl, getppid,
        // _exit), on this process's own state.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent died before the call took effect: go with it.
                if libc::getppid() as u32 != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn()?;
    let pid = child.id();
    // The writing ends now belong to the child only, so the readers see EOF when it exits.
    drop(cmd);
    let stdout = captured.then(|| read_capped(out_r, output_cap));
    let stderr = Some(read_capped(err_r, output_cap));
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let code = child.wait().await.ok().and_then(|s| s.code());
        let _ = tx.send(code);
    });
    Ok(Running {
        pid,
        done: Some(rx),
        exit: None,
        stdout,
        stderr,
    })
}

/// Reads a pipe to its end on a thread, keeping at most `cap` bytes.
fn read_capped(mut r: std::io::PipeReader, cap: usize) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut kept = Vec::with_capacity(cap.min(8192));
        let mut buf = [0u8; 8192];
        let mut dropped = 0usize;
        loop {
            match r.read(&mut buf) {
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
    })
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use hakoniwa::{Container, Namespace, Rlimit, Stdio};

    /// The sandbox for `spec`, as a hakoniwa command.
    pub(super) fn command(spec: &Spec) -> std::io::Result<hakoniwa::Command> {
        let utf8 = |p: &Path| {
            p.to_str()
                .map(str::to_string)
                .ok_or_else(|| std::io::Error::other(format!("{} is not valid UTF-8", p.display())))
        };
        let mut c = Container::new();
        c.unshare(Namespace::Network)
            .unshare(Namespace::Ipc)
            .unshare(Namespace::Uts)
            .devfsmount("/dev")
            .tmpfsmount("/tmp");
        // The system's programs and libraries, read-only. Not /etc as a whole (it holds the
        // machine's secrets), only what programs need to start.
        for dir in ["/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin"] {
            let p = Path::new(dir);
            match std::fs::symlink_metadata(p) {
                Ok(m) if m.file_type().is_symlink() => {
                    if let Ok(target) = std::fs::read_link(p) {
                        c.symlink(&utf8(&target)?, dir);
                    }
                }
                Ok(m) if m.is_dir() => {
                    c.bindmount_ro(dir, dir);
                }
                _ => {}
            }
        }
        for file in [
            "/etc/ld.so.cache",
            "/etc/localtime",
            "/etc/alternatives",
            "/etc/ssl",
            "/etc/ca-certificates",
        ] {
            if Path::new(file).exists() {
                c.bindmount_ro(file, file);
            }
        }
        // Names resolve only to the loopback (there is no network to reach anyway).
        c.file("/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n");
        for p in &spec.read_only {
            let s = utf8(p)?;
            c.bindmount_ro(&s, &s);
        }
        for p in &spec.writable {
            let s = utf8(p)?;
            c.bindmount_rw(&s, &s);
        }
        c.setrlimit(Rlimit::Fsize, MAX_FILE, MAX_FILE)
            .setrlimit(Rlimit::Nofile, MAX_FILES, MAX_FILES)
            .setrlimit(Rlimit::Core, 0, 0);
        if let Some(bytes) = spec.memory {
            c.setrlimit(Rlimit::As, bytes, bytes);
        }
        let mut cmd = c.command(&utf8(&spec.program)?);
        cmd.args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(utf8(&spec.cwd)?);
        Ok(cmd)
    }

    pub(super) async fn spawn(mut spec: Spec, output_cap: usize) -> std::io::Result<Running> {
        let stdin = spec.stdin.take();
        let stdout_fd = spec.stdout.take();
        let captured = stdout_fd.is_none();
        let (out_r, out_w) = std::io::pipe()?;
        let (err_r, err_w) = std::io::pipe()?;
        let (pid_tx, pid_rx) = oneshot::channel::<std::io::Result<u32>>();
        let (done_tx, done_rx) = oneshot::channel();
        // One thread starts the sandbox and waits for it: the sandbox is tied to this thread's
        // life (PDEATHSIG), so it must outlive the process it started.
        std::thread::spawn(move || {
            let started = command(&spec).and_then(|mut cmd| {
                cmd.stdin(match stdin {
                    Some(fd) => Stdio::from(fd),
                    None => Stdio::from(std::fs::File::open("/dev/null")?),
                });
                cmd.stdout(match stdout_fd {
                    Some(fd) => Stdio::from(fd),
                    None => Stdio::from(out_w),
                });
                cmd.stderr(Stdio::from(err_w));
                cmd.spawn()
                    .map_err(|e| std::io::Error::other(format!("cannot start the sandbox: {e}")))
            });
            match started {
                Ok(mut child) => {
                    let _ = pid_tx.send(Ok(child.id()));
                    let code = child.wait().ok().and_then(|s| s.exit_code);
                    let _ = done_tx.send(code);
                }
                Err(e) => {
                    let _ = pid_tx.send(Err(e));
                }
            }
        });
        let pid = pid_rx
            .await
            .map_err(|_| std::io::Error::other("the sandbox thread ended early"))??;
        Ok(Running {
            pid: Some(pid),
            done: Some(done_rx),
            exit: None,
            stdout: captured.then(|| read_capped(out_r, output_cap)),
            stderr: Some(read_capped(err_r, output_cap)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, dir: &Path) -> Spec {
        let mut s = Spec::new(PathBuf::from("/bin/sh"), dir.to_path_buf());
        s.args = vec!["-c".into(), script.into()];
        s.env = vec![("PATH".into(), "/usr/bin:/bin".into())];
        s.writable = vec![dir.to_path_buf()];
        s
    }

    async fn run(spec: Spec) -> (Option<i32>, String, String) {
        let mut r = spawn(spec, 64 * 1024).await.expect("spawn");
        let code = r.wait().await;
        let (o, e) = r.output(std::time::Duration::from_secs(5)).await;
        (code, o, e)
    }

    #[tokio::test]
    async fn the_sandbox_sees_only_what_it_is_given() {
        if !isolation().is_sandboxed() {
            eprintln!("skipping: {:?}", isolation());
            return;
        }
        let work = tempfile::tempdir().unwrap();
        let secret = tempfile::tempdir().unwrap();
        std::fs::write(secret.path().join("key"), "sk-secret").unwrap();
        let script = format!(
            "echo ok > {w}/out; cat {s}/key; echo x > {s}/planted; ls /proc | grep -c '^[0-9]'; \
             cat /proc/1/environ | tr '\\0' '\\n' | grep -c SECRET; echo done",
            w = work.path().display(),
            s = secret.path().display()
        );
        let (code, out, err) = run(sh(&script, work.path())).await;
        assert_eq!(code, Some(0), "{out}\n{err}");
        // Its own dir is writable; the rest of the machine is not there.
        assert!(work.path().join("out").is_file());
        assert!(!out.contains("sk-secret"), "{out}");
        assert!(!secret.path().join("planted").exists());
        // Only its own processes are visible: the shell and the pipeline.
        let procs: u32 = out
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(99);
        assert!(procs < 6, "{out}");
    }

    #[tokio::test]
    async fn no_network_and_a_file_size_limit() {
        if !isolation().is_sandboxed() {
            return;
        }
        let work = tempfile::tempdir().unwrap();
        let script = "cat /sys/class/net/*/operstate 2>/dev/null | grep -c up; \
                      head -c 100000000 /dev/zero > big; echo $?; ls -l big | awk '{print $5}'";
        let (_, out, _) = run(sh(script, work.path())).await;
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.first().map(|l| l.trim()), Some("0"), "{out}");
        let size: u64 = lines
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0);
        assert!(size <= MAX_FILE, "{out}");
    }

    #[tokio::test]
    async fn kill_ends_the_sandbox_and_its_children() {
        let work = tempfile::tempdir().unwrap();
        let mut r = spawn(sh("sleep 300 & sleep 300; echo never", work.path()), 1024)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        r.kill();
        let code = tokio::time::timeout(std::time::Duration::from_secs(5), r.wait()).await;
        assert!(code.is_ok(), "the sandbox did not die");
    }
}
