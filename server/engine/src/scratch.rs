//! Scratch directories in the temp dir (test runs, mutants, stubs, reproducers, backups), named
//! `pact-<kind>-<pid>-<random>` so that a Pact killed before it could clean up (SIGKILL, a
//! crash, the power) leaves nothing for long: the first scratch directory a later Pact makes
//! removes those whose process is gone. The pid is in the name, which no sandboxed process can
//! change (the temp dir itself is not writable from a sandbox).

use std::path::Path;
use std::sync::Once;

/// A fresh scratch directory, removed when dropped.
pub fn dir(kind: &str) -> std::io::Result<tempfile::TempDir> {
    static SWEEP: Once = Once::new();
    SWEEP.call_once(|| sweep(&std::env::temp_dir()));
    tempfile::Builder::new()
        .prefix(&format!("pact-{kind}-{}-", std::process::id()))
        .tempdir()
}

/// Removes the scratch directories in `tmp` whose owning process is gone.
fn sweep(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = owner(&name.to_string_lossy()) else {
            continue;
        };
        // Only real directories (never a symlink someone planted), only of dead processes.
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && pid != std::process::id() && !crate::daemon::pid_alive(pid) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The pid in `pact-<kind>-<pid>-<random>`.
fn owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("pact-")?;
    let mut parts = rest.splitn(3, '-');
    let kind = parts.next()?;
    let pid = parts.next()?;
    let _random = parts.next()?;
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_owner() {
        assert_eq!(owner("pact-run-1234-abCD12"), Some(1234));
        assert_eq!(owner("pact-mutant-7-x"), Some(7));
        assert_eq!(owner("pact-run-abc"), None);
        assert_eq!(owner("pact-run-12"), None);
        assert_eq!(owner("other-run-12-x"), None);
    }

    #[test]
    fn a_dead_owners_dirs_go_a_live_ones_stay() {
        let tmp = tempfile::tempdir().expect("tmp");
        // A pid that cannot exist (above pid_max), and ours.
        let dead = tmp.path().join("pact-run-2147483646-aaaa");
        let live = tmp
            .path()
            .join(format!("pact-run-{}-bbbb", std::process::id()));
        let other = tmp.path().join("pact-run-notapid");
        for d in [&dead, &live, &other] {
            std::fs::create_dir_all(d.join("inner")).expect("mkdir");
        }
        sweep(tmp.path());
        assert!(!dead.exists());
        assert!(live.exists());
        assert!(other.exists());
    }
}
