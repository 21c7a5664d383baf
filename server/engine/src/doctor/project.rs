//! The project-file checks: `.pact/` writable, the run lock's holder alive, the state and audit
//! locks not stuck, the daemon's pipe sound — all without taking a lock or opening the pipe.

use super::Check;
use crate::{daemon, joblock};
use pact_core::store::Project;
use std::path::Path;
use std::time::{Duration, Instant};

/// `.pact/`, the job lock, the state and audit locks, the daemon's pipe.
pub fn project_checks(project: &Project, lock_wait: Duration) -> Vec<Check> {
    let dir = project.layout.pact_dir();
    let mut out = Vec::new();
    match std::fs::metadata(&dir) {
        Err(_) => {
            out.push(Check::ok(".pact", "not created yet: the first run creates it"));
            return out;
        }
        Ok(m) if !m.is_dir() => {
            out.push(Check::fail(
                ".pact",
                format!("{} is not a directory", dir.display()),
                format!("Move it away: mv {0} {0}.bak", dir.display()),
            ));
            return out;
        }
        Ok(_) if !writable(&dir) => out.push(Check::fail(
            ".pact",
            format!("{} is not writable by this user", dir.display()),
            format!(
                "Give it back to yourself (a `sudo pact …` may have taken it): sudo chown -R \"$(id -un)\" {}",
                dir.display()
            ),
        )),
        Ok(_) => out.push(Check::ok(".pact", format!("{} is writable", dir.display()))),
    }
    let job = joblock::holder(project);
    let job_alive = job.as_ref().is_some_and(|h| daemon::pid_alive(h.pid));
    out.push(match &job {
        None => Check::ok("run lock", "free (no job is running)"),
        Some(h) if job_alive => Check::ok(
            "run lock",
            format!(
                "held by `{}` (pid {}, since {}): another job waits until it ends",
                h.command, h.pid, h.started_at
            ),
        ),
        Some(h) => Check::warn(
            "run lock",
            format!(
                "stale: `{}` (pid {}, since {}) ended without releasing it; the lock itself is free",
                h.command, h.pid, h.started_at
            ),
            format!(
                "Nothing blocks a run; to clear the record: rm {}",
                dir.join("run.owner.json").display()
            ),
        ),
    });
    out.push(lock_check(
        "state lock",
        &project.layout.state_lock(),
        job_alive,
        lock_wait,
    ));
    out.push(lock_check(
        "audit lock",
        &project.layout.audit_lock(),
        job_alive,
        lock_wait,
    ));
    out.push(pipe_check(project));
    out
}

/// A sidecar lock file: a regular file this user can write, not held for long when no job runs.
fn lock_check(name: &str, path: &Path, job_running: bool, wait: Duration) -> Check {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Err(_) => return Check::ok(name, format!("not created yet ({shown})")),
        Ok(m) => m,
    };
    if !meta.is_file() {
        return Check::fail(
            name,
            format!("{shown} is not a regular file: every write to the project would fail"),
            format!("Remove it: rm -r {shown}"),
        );
    }
    if !writable(path) {
        return Check::fail(
            name,
            format!("{shown} is not writable by this user"),
            format!("sudo chown \"$(id -un)\" {shown}"),
        );
    }
    if job_running {
        return Check::ok(name, format!("in use by the running job ({shown})"));
    }
    if held_longer_than(path, wait) {
        return Check::warn(
            name,
            format!(
                "{shown} has been held for over {:.0?} with no job running: a stuck process holds it",
                wait
            ),
            "Find it with `fuser -v` or `lsof` on the file and end it; writes to the project wait until then.",
        );
    }
    Check::ok(name, format!("free ({shown})"))
}

/// Whether another process keeps an exclusive lock on `path` for `wait`. Asks for a shared lock
/// without blocking: a writer that arrives meanwhile waits a moment, nothing is refused.
fn held_longer_than(path: &Path, wait: Duration) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let start = Instant::now();
    loop {
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                return false;
            }
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => return true,
            Err(std::fs::TryLockError::Error(_)) => return false,
        }
    }
}

/// `.pact/dispatch`, by its file type: opening a FIFO could block.
fn pipe_check(project: &Project) -> Check {
    let path = daemon::dispatch_path(project);
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(&path) {
        Err(_) => {
            return Check::ok(
                "daemon pipe",
                "none: no daemon is running (`pact daemon` creates .pact/dispatch)",
            );
        }
        Ok(m) => m,
    };
    let status = daemon::status(project);
    if is_fifo(&meta) {
        return match (status.alive, status.pid) {
            (true, Some(pid)) => Check::ok(
                "daemon pipe",
                format!("{shown}: the daemon (pid {pid}) listens on it"),
            ),
            _ => Check::warn(
                "daemon pipe",
                format!(
                    "{shown} is left from a daemon that is not running{}: `pact signal` will say no daemon listens",
                    status
                        .pid
                        .map(|p| format!(" (pid {p})"))
                        .unwrap_or_default()
                ),
                format!(
                    "Start one with `pact daemon {}` (it reuses the pipe), or remove it: rm {shown}",
                    project.root().display()
                ),
            ),
        };
    }
    if meta.is_dir() {
        return Check::fail(
            "daemon pipe",
            format!("{shown} is a directory, not a named pipe: `pact daemon` cannot start"),
            format!("Remove it: rm -r {shown}"),
        );
    }
    Check::warn(
        "daemon pipe",
        format!(
            "{shown} is not a named pipe: `pact signal` cannot use it (`pact daemon` replaces it)"
        ),
        format!("Remove it: rm {shown}"),
    )
}

#[cfg(unix)]
fn is_fifo(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::Metadata) -> bool {
    false
}

/// Whether this user may write `path`, asked without opening it.
#[cfg(unix)]
fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path; access() only reads it.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::doctor::Status;
    use crate::doctor::test_support::*;

    #[test]
    fn the_pact_directory_must_be_a_writable_directory() {
        let (_tmp, p) = project();
        let dir = p.layout.pact_dir();
        let c = one(&project_checks(&p, Duration::ZERO), ".pact");
        assert_eq!(c.status, Status::Ok);
        std::fs::remove_dir_all(&dir).unwrap();
        let checks = project_checks(&p, Duration::ZERO);
        assert_eq!(checks.len(), 1);
        assert!(checks[0].message.starts_with("not created yet"));
        assert!(!dir.exists(), "doctor created .pact");
        std::fs::write(&dir, "oops").unwrap();
        let c = one(&project_checks(&p, Duration::ZERO), ".pact");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("not a directory"), "{}", c.message);
    }

    #[test]
    fn the_run_lock_names_a_live_holder_and_calls_a_dead_one_stale() {
        let (_tmp, p) = project();
        let owner = p.layout.pact_dir().join("run.owner.json");
        let c = one(&project_checks(&p, Duration::ZERO), "run lock");
        assert_eq!(c.status, Status::Ok);
        assert!(c.message.starts_with("free"), "{}", c.message);
        let job = joblock::acquire(&p, "pact run").unwrap();
        let c = one(&project_checks(&p, Duration::ZERO), "run lock");
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message
                .contains(&format!("held by `pact run` (pid {}", std::process::id())),
            "{}",
            c.message
        );
        drop(job);
        // A job killed outright leaves its record behind.
        let dead = r#"{"pid": 2147483000, "command": "pact build x", "started_at": "2026-01-01T00:00:00"}"#;
        std::fs::write(&owner, dead).unwrap();
        let c = one(&project_checks(&p, Duration::ZERO), "run lock");
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.message.starts_with("stale: `pact build x`"),
            "{}",
            c.message
        );
        assert!(c.fix.as_deref().unwrap_or("").contains("run.owner.json"));
    }

    #[test]
    fn a_state_lock_held_with_no_job_running_warns() {
        let (_tmp, p) = project();
        let lock = p.layout.state_lock();
        let c = one(&project_checks(&p, Duration::ZERO), "state lock");
        assert!(
            c.status == Status::Ok && c.message.starts_with("not created yet"),
            "{c:?}"
        );
        std::fs::write(&lock, "").unwrap();
        let held = pact_core::store::fsio::FileLock::acquire(&lock).unwrap();
        let c = one(
            &project_checks(&p, Duration::from_millis(100)),
            "state lock",
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.message.contains("held for over"), "{}", c.message);
        let _job = joblock::acquire(&p, "pact run").unwrap();
        let c = one(
            &project_checks(&p, Duration::from_millis(100)),
            "state lock",
        );
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message.starts_with("in use by the running job"),
            "{}",
            c.message
        );
        drop(held);
        drop(_job);
        let c = one(
            &project_checks(&p, Duration::from_millis(100)),
            "state lock",
        );
        assert!(
            c.status == Status::Ok && c.message.starts_with("free ("),
            "{c:?}"
        );
        // A directory where the lock file goes breaks every write.
        std::fs::create_dir_all(p.layout.audit_lock()).unwrap();
        let c = one(&project_checks(&p, Duration::ZERO), "audit lock");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("not a regular file"), "{}", c.message);
    }

    #[test]
    fn the_daemon_pipe_is_judged_by_its_file_type_without_opening_it() {
        use std::os::unix::ffi::OsStrExt;
        let (_tmp, p) = project();
        let fifo = daemon::dispatch_path(&p);
        // A check that opened the pipe would block here for want of a writer.
        let check = |p: &Project| {
            let p = p.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(one(&project_checks(&p, Duration::ZERO), "daemon pipe"));
            });
            rx.recv_timeout(Duration::from_secs(20))
                .expect("the pipe check returns without blocking")
        };
        let c = check(&p);
        assert!(
            c.status == Status::Ok && c.message.starts_with("none"),
            "{c:?}"
        );

        let c_path = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let c = check(&p);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.message.contains("not running"), "{}", c.message);
        std::fs::write(daemon::pid_path(&p), format!("{}\n", std::process::id())).unwrap();
        let c = check(&p);
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(
            c.message
                .contains(&format!("the daemon (pid {}) listens", std::process::id())),
            "{}",
            c.message
        );

        std::fs::remove_file(&fifo).unwrap();
        std::fs::write(&fifo, "resume\n").unwrap();
        let c = check(&p);
        assert_eq!(c.status, Status::Warn);
        assert!(c.message.contains("not a named pipe"), "{}", c.message);
        std::fs::remove_file(&fifo).unwrap();
        std::fs::create_dir(&fifo).unwrap();
        let c = check(&p);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("is a directory"), "{}", c.message);
    }
}
