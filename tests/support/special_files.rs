//! A project full of files that are not documents — a FIFO, links to `/dev/zero` and
//! `/dev/urandom`, a symbolic link loop, a broken link, non-UTF-8, binary, oversized and
//! unreadable files — and a way to run `pact` on it that cannot hang the test suite and measures
//! the process's peak memory. Included by path (`#[path]`) by the tests that use it.
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One planted file: where (relative to the project), and what the `unreadable-file` finding
/// about it must say.
pub struct Planted {
    pub file: &'static str,
    pub says: &'static str,
}

/// Whether this process runs as root (who reads a chmod 000 file anyway).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

pub fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {}", path.display());
}

fn replace_with_link(target: &str, path: &Path) {
    let _ = std::fs::remove_file(path);
    std::os::unix::fs::symlink(target, path).expect("symlink");
}

/// Plants special files in the project at `dir` (a copy of the `sample` reference project):
/// every document kind the gate reads, each replaced by something that is not a document.
/// Returns what each one's finding must say. Also plants a FIFO for `state.json` and the
/// analysis cache, which `validate` must not block on either (no finding: the cache is an
/// optimisation, and the gate does not read the state).
pub fn plant(dir: &Path) -> Vec<Planted> {
    let pact = dir.join(".pact");
    let c = pact.join("contracts");
    let tree = pact.join("decomposition/tree.json");
    std::fs::remove_file(&tree).expect("rm tree.json");
    mkfifo(&tree);
    replace_with_link("/dev/zero", &c.join("counter/interface.json"));
    replace_with_link("/dev/urandom", &c.join("tokenizer/tests/contract_test.py"));
    // contract_test_suite.json -> loop -> contract_test_suite.json
    let suite = c.join("formatter/tests/contract_test_suite.json");
    replace_with_link("loop", &suite);
    replace_with_link("contract_test_suite.json", &c.join("formatter/tests/loop"));
    replace_with_link("gone.py", &c.join("formatter/tests/test_gone.py"));
    let w = c.join("wordfreq/tests");
    std::fs::write(
        w.join("test_latin1.py"),
        b"def test_caf\xe9():\n    assert 1\n",
    )
    .expect("write");
    std::fs::write(w.join("test_nul.py"), b"def test_a():\n    assert 1\0\n").expect("write");
    std::fs::write(w.join("test_big.py"), vec![b'#'; 17 * 1024 * 1024]).expect("write");
    let locked = w.join("test_locked.py");
    std::fs::write(&locked, "def test_a():\n    assert 1\n").expect("write");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    }
    std::fs::create_dir_all(pact.join("locks/counter")).expect("mkdir");
    mkfifo(&pact.join("locks/counter/lock.json"));
    for p in [
        pact.join("state.json"),
        pact.join("cache/test-analysis.json"),
    ] {
        let _ = std::fs::remove_file(&p);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        mkfifo(&p);
    }
    let mut planted = vec![
        Planted {
            file: ".pact/decomposition/tree.json",
            says: "tree.json is a FIFO (named pipe), not a regular file",
        },
        Planted {
            file: ".pact/contracts/counter/interface.json",
            says: "interface.json of 'counter' is a character device, not a regular file",
        },
        Planted {
            file: ".pact/contracts/tokenizer/tests/contract_test.py",
            says: "contract_test.py of 'tokenizer' is a character device, not a regular file",
        },
        Planted {
            file: ".pact/contracts/formatter/tests/contract_test_suite.json",
            says: "contract_test_suite.json of 'formatter' is a symbolic link loop",
        },
        Planted {
            file: ".pact/contracts/formatter/tests/test_gone.py",
            says: "test_gone.py of 'formatter' is a broken symbolic link",
        },
        Planted {
            file: ".pact/contracts/wordfreq/tests/test_latin1.py",
            says: "test_latin1.py of 'wordfreq' is not UTF-8 text",
        },
        Planted {
            file: ".pact/contracts/wordfreq/tests/test_nul.py",
            says: "test_nul.py of 'wordfreq' is binary, not text",
        },
        Planted {
            file: ".pact/contracts/wordfreq/tests/test_big.py",
            says: "test_big.py of 'wordfreq' is too large: 17 MB, over the 16 MB limit",
        },
        Planted {
            file: ".pact/locks/counter/lock.json",
            says: "lock.json of 'counter' is a FIFO (named pipe), not a regular file",
        },
    ];
    if !is_root() {
        planted.push(Planted {
            file: ".pact/contracts/wordfreq/tests/test_locked.py",
            says: "test_locked.py of 'wordfreq' cannot be read: permission denied",
        });
    }
    planted
}

/// A finished (or killed) run of `pact`.
pub struct Bounded {
    /// `None` when it was killed for running over its time.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Peak resident memory of the process, in KiB (from `wait4`).
    pub max_rss_kb: u64,
}

/// Runs `program args…`, killing it if it runs longer than `limit`, and measures it.
// The child is reaped by `wait4` (which also gives its peak memory), not by std's `wait`.
#[allow(clippy::zombie_processes)]
pub fn run_bounded(program: &Path, args: &[&str], cwd: Option<&Path>, limit: Duration) -> Bounded {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn pact");
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("stdout")));
    let err = reader(Box::new(child.stderr.take().expect("stderr")));
    let pid = child.id() as libc::pid_t;
    let mut killed = false;
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let flags = if killed { 0 } else { libc::WNOHANG };
        // SAFETY: `status` and `usage` are valid for writes; `pid` is our own child, not yet
        // reaped (std's handle never waits for it once we have).
        let r = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if r == pid {
            break (status, usage);
        }
        assert!(r == 0, "wait4 failed");
        if started.elapsed() > limit {
            let _ = child.kill();
            killed = true;
        } else {
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    let elapsed = started.elapsed();
    Bounded {
        code: (!killed && libc::WIFEXITED(status)).then(|| libc::WEXITSTATUS(status)),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed,
        max_rss_kb: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    }
}

/// Peak resident memory of a live process, in KiB (`VmHWM`).
pub fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
