//! The git check: git on PATH and the project in a work tree; advice only, Pact runs without.

use super::Check;
use crate::runtime::find_program_in;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// `git` on PATH and, for a project, whether it is in a work tree. Pact runs without git:
/// both only warn.
pub fn git_check(root: Option<&Path>, search_path: &OsStr) -> Check {
    let Some(git) = find_program_in("git", search_path) else {
        return Check::warn(
            "git",
            "`git` not found on PATH",
            "Install git (Debian/Ubuntu: sudo apt install git; macOS: xcode-select --install) to keep contracts and tests under version control.",
        );
    };
    let version = quiet(Command::new(&git).arg("--version"))
        .map(|v| v.trim().trim_start_matches("git version ").to_string())
        .unwrap_or_else(|_| "(version unknown)".into());
    let Some(root) = root else {
        return Check::ok("git", format!("git {version} at {}", git.display()));
    };
    match quiet(
        Command::new(&git)
            .arg("-C")
            .arg(root)
            .args(["rev-parse", "--show-toplevel"]),
    ) {
        Ok(top) => Check::ok(
            "git",
            format!(
                "git {version}; the project is in the work tree {}",
                top.trim()
            ),
        ),
        Err(why) => Check::warn(
            "git",
            format!(
                "git {version}; the project is not in a git work tree{}",
                why.lines()
                    .find(|l| !l.trim().is_empty() && !l.contains("not a git repository"))
                    .map(|l| format!(" ({})", l.trim()))
                    .unwrap_or_default()
            ),
            format!(
                "Keep its contracts and tests under version control: git -C {} init",
                root.display()
            ),
        ),
    }
}

/// A short command's standard output, or its standard error when it fails.
fn quiet(c: &mut Command) -> Result<String, String> {
    let out = c.stdin(Stdio::null()).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn git_missing_or_no_work_tree_only_warns() {
        let tmp = tempfile::tempdir().unwrap();
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let c = git_check(Some(tmp.path()), empty.as_os_str());
        assert_eq!(c.status, Status::Warn);
        assert_eq!(c.message, "`git` not found on PATH");
        let path = std::env::var_os("PATH").unwrap_or_default();
        if find_program_in("git", &path).is_none() {
            eprintln!("skipped the work-tree half: no git on PATH");
            return;
        }
        let c = git_check(Some(&empty), &path);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(
            c.message.contains("not in a git work tree"),
            "{}",
            c.message
        );
        let init = Command::new("git")
            .args(["init", "-q"])
            .current_dir(&empty)
            .status()
            .unwrap();
        assert!(init.success());
        let c = git_check(Some(&empty), &path);
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.message.contains("in the work tree"), "{}", c.message);
    }
}
