//! What an implementation may contain. Tests are law: code that ships files which would change
//! how the tests are collected or run (conftest.py, pytest.ini, sitecustomize.py, .pth files,
//! test files of its own) or that reaches outside its `src/` is rejected, with the reason.

use std::path::{Component, Path};

/// File names that change how Python or the test runner behaves when present on the path.
const FORBIDDEN_NAMES: &[&str] = &[
    "conftest.py",
    "pytest.ini",
    "tox.ini",
    "setup.cfg",
    "pyproject.toml",
    "sitecustomize.py",
    "usercustomize.py",
    "vitest.config.ts",
    "vitest.config.js",
    "vitest.config.mts",
    "vitest.config.mjs",
    "vite.config.ts",
    "vite.config.js",
    "vite.config.mts",
    "vite.config.mjs",
    "package.json",
    // vite compiles each TypeScript file with the nearest tsconfig.json's options.
    "tsconfig.json",
];

/// Why a file an agent wants to write is refused, or `None` if it may write it into `src/`.
pub fn check_generated_path(rel: &str) -> Option<String> {
    let path = Path::new(rel);
    if rel.is_empty() {
        return Some("empty file name".into());
    }
    if path.is_absolute()
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Some(format!(
            "'{rel}' reaches outside the component's src/ directory"
        ));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(rel);
    if FORBIDDEN_NAMES.contains(&name) {
        return Some(format!(
            "'{rel}' would change how the contract tests are collected or run"
        ));
    }
    if name.ends_with(".pth") {
        return Some(format!(
            "'{rel}' is a .pth file, which Python executes at start-up"
        ));
    }
    let lower = name.to_ascii_lowercase();
    let is_test = (lower.starts_with("test_") && lower.ends_with(".py"))
        || lower.ends_with("_test.py")
        || lower.starts_with("contract_test")
        || lower.contains(".test.")
        || lower.contains(".spec.");
    if is_test {
        return Some(format!(
            "'{rel}' is a test file: implementations may not ship tests of their own"
        ));
    }
    None
}

/// Every problem with an implementation directory already on disk (symlinks out, forbidden files).
pub fn audit_src_dir(src: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(src)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                problems.push(format!(
                    "'{rel}' is a symbolic link; implementations are plain files"
                ));
            } else if meta.is_dir() {
                if e.file_name() != "__pycache__" {
                    stack.push(p);
                }
            } else if let Some(why) = check_generated_path(&rel) {
                problems.push(why);
            }
        }
    }
    problems.sort();
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_harness_and_escape_files() {
        assert_eq!(check_generated_path("counter.py"), None);
        assert_eq!(check_generated_path("pkg/util.py"), None);
        for bad in [
            "../tests/contract_test.py",
            "/etc/passwd",
            "conftest.py",
            "pkg/conftest.py",
            "sitecustomize.py",
            "evil.pth",
            "test_counter.py",
            "counter_test.py",
            "contract_test.py",
            "x.test.ts",
            "tsconfig.json",
            "vitest.config.mjs",
            "pytest.ini",
            "",
        ] {
            assert!(
                check_generated_path(bad).is_some(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn audits_a_directory() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("ok.py"), "x = 1\n")?;
        std::fs::write(dir.path().join("conftest.py"), "")?;
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc", dir.path().join("escape"))?;
        let problems = audit_src_dir(dir.path());
        assert!(
            problems.iter().any(|p| p.contains("conftest.py")),
            "{problems:?}"
        );
        #[cfg(unix)]
        assert!(
            problems.iter().any(|p| p.contains("symbolic link")),
            "{problems:?}"
        );
        Ok(())
    }
}
