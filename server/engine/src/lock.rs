//! The test lock: when tests are generated their files are hashed and copied to
//! `.pact/locks/<cid>/` (visible) and `.pact/hidden/<cid>/` (held out); every later run checks
//! the hashes and runs the locked copy, so nobody — least of all the implementing agent — can
//! weaken a test after the fact.

pub use pact_core::digest::sha256_hex;
use pact_core::ids::check_component_id;
pub use pact_core::model::TestLock;
use pact_core::store::Project;
use pact_core::store::fsio::write_atomic;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LockError {
    #[error("{0}")]
    Id(#[from] pact_core::ids::IdError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("tests of '{cid}' are not locked yet")]
    NotLocked { cid: String },
    #[error(
        "test file '{file}' of '{cid}' changed after it was locked (expected sha256 {expected}, found {found})"
    )]
    Tampered {
        cid: String,
        file: String,
        expected: String,
        found: String,
    },
    #[error("the lock of '{cid}' is unreadable: {message}")]
    Corrupt { cid: String, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LockError + '_ {
    move |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn copy_all(files: &[PathBuf], dir: &Path) -> Result<BTreeMap<String, String>, LockError> {
    let mut hashes = BTreeMap::new();
    for f in files {
        let bytes = std::fs::read(f).map_err(io(f))?;
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("contract_test")
            .to_string();
        let to = dir.join(&name);
        write_atomic(&to, &bytes).map_err(io(&to))?;
        hashes.insert(name, sha256_hex(&bytes));
    }
    Ok(hashes)
}

/// Locks the given visible test files for `cid` (replacing an older lock; held-out tests stay).
pub fn lock_tests(
    project: &Project,
    cid: &str,
    contract_version: i64,
    files: &[PathBuf],
) -> Result<TestLock, LockError> {
    check_component_id(cid)?;
    let hidden = read_lock(project, cid)
        .ok()
        .map(|l| l.hidden)
        .unwrap_or_default();
    let lock = TestLock {
        component_id: cid.to_string(),
        contract_version,
        files: copy_all(files, &project.layout.lock_dir(cid))?,
        hidden,
        locked_at: pact_core::store::now_iso(),
    };
    write_lock(project, cid, &lock)?;
    Ok(lock)
}

/// Locks held-out test files for `cid` in `.pact/hidden/<cid>/`, outside every agent's view.
pub fn lock_hidden(project: &Project, cid: &str, files: &[PathBuf]) -> Result<TestLock, LockError> {
    let mut lock = read_lock(project, cid)?;
    lock.hidden = copy_all(files, &project.layout.hidden_dir(cid))?;
    write_lock(project, cid, &lock)?;
    Ok(lock)
}

fn write_lock(project: &Project, cid: &str, lock: &TestLock) -> Result<(), LockError> {
    let path = project.layout.lock_dir(cid).join("lock.json");
    let text = serde_json::to_string_pretty(lock).map_err(|e| LockError::Corrupt {
        cid: cid.into(),
        message: e.to_string(),
    })?;
    write_atomic(&path, text.as_bytes()).map_err(io(&path))
}

pub fn read_lock(project: &Project, cid: &str) -> Result<TestLock, LockError> {
    check_component_id(cid)?;
    let path = project.layout.lock_dir(cid).join("lock.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LockError::NotLocked { cid: cid.into() });
        }
        Err(e) => return Err(LockError::Io { path, source: e }),
    };
    serde_json::from_str(&text).map_err(|e| LockError::Corrupt {
        cid: cid.into(),
        message: e.to_string(),
    })
}

fn verify(
    cid: &str,
    dir: &Path,
    files: &BTreeMap<String, String>,
) -> Result<Vec<PathBuf>, LockError> {
    let mut paths = Vec::new();
    for (name, expected) in files {
        let p = dir.join(name);
        let found = std::fs::read(&p)
            .map(|b| sha256_hex(&b))
            .unwrap_or_else(|_| "<missing>".into());
        if &found != expected {
            return Err(LockError::Tampered {
                cid: cid.into(),
                file: name.clone(),
                expected: expected.clone(),
                found,
            });
        }
        paths.push(p);
    }
    Ok(paths)
}

/// Verifies the locked visible tests and returns the paths to run.
pub fn verified_tests(project: &Project, cid: &str) -> Result<(TestLock, Vec<PathBuf>), LockError> {
    let lock = read_lock(project, cid)?;
    let paths = verify(cid, &project.layout.lock_dir(cid), &lock.files)?;
    Ok((lock, paths))
}

/// Verifies the locked visible tests against a lock read earlier (not against lock.json, which
/// code running in the meantime could have rewritten together with the files).
pub fn verify_against(
    project: &Project,
    cid: &str,
    lock: &TestLock,
) -> Result<Vec<PathBuf>, LockError> {
    verify(cid, &project.layout.lock_dir(cid), &lock.files)
}

/// Verifies the held-out tests against a lock read earlier (see [`verify_against`]).
pub fn verify_hidden_against(
    project: &Project,
    cid: &str,
    lock: &TestLock,
) -> Result<Vec<PathBuf>, LockError> {
    verify(cid, &project.layout.hidden_dir(cid), &lock.hidden)
}

/// Verifies the held-out tests (empty when the component has none).
pub fn verified_hidden(project: &Project, cid: &str) -> Result<Vec<PathBuf>, LockError> {
    let lock = read_lock(project, cid)?;
    verify(cid, &project.layout.hidden_dir(cid), &lock.hidden)
}

/// The project's own test files that no longer match the lock (a user or agent edited them).
pub fn drifted_files(project: &Project, cid: &str, lock: &TestLock) -> Vec<String> {
    let dir = project.layout.tests_dir(cid);
    lock.files
        .iter()
        .filter(|(name, hash)| {
            std::fs::read(dir.join(name))
                .map(|b| &sha256_hex(&b) != *hash)
                .unwrap_or(true)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_then_tamper_is_caught() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let (project, _) = Project::init(tmp.path(), 1.0)?;
        let tests_dir = project.layout.tests_dir("counter");
        std::fs::create_dir_all(&tests_dir)?;
        let f = tests_dir.join("contract_test.py");
        std::fs::write(&f, "def test_a():\n    assert 1\n")?;
        let lock = lock_tests(&project, "counter", 1, std::slice::from_ref(&f))?;
        let (_, paths) = verified_tests(&project, "counter")?;
        assert_eq!(paths.len(), 1);
        assert!(drifted_files(&project, "counter", &lock).is_empty());
        let h = tmp.path().join("hidden_test.py");
        std::fs::write(&h, "def test_h():\n    assert 1\n")?;
        lock_hidden(&project, "counter", &[h])?;
        assert_eq!(verified_hidden(&project, "counter")?.len(), 1);
        // Re-locking the visible tests keeps the held-out ones.
        let lock = lock_tests(&project, "counter", 1, std::slice::from_ref(&f))?;
        assert_eq!(lock.hidden.len(), 1);
        // Editing the project's copy does not touch the locked copy, but is noticed.
        std::fs::write(&f, "def test_a():\n    pass\n")?;
        assert_eq!(
            drifted_files(&project, "counter", &lock),
            vec!["contract_test.py".to_string()]
        );
        // Editing the locked copy is tampering.
        std::fs::write(&paths[0], "def test_a():\n    pass\n")?;
        assert!(matches!(
            verified_tests(&project, "counter"),
            Err(LockError::Tampered { .. })
        ));
        assert!(matches!(
            verified_tests(&project, "other"),
            Err(LockError::NotLocked { .. })
        ));
        assert!(matches!(
            verified_tests(&project, "../x"),
            Err(LockError::Id(_))
        ));
        Ok(())
    }
}
