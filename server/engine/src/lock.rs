//! The test lock: when tests are generated their files are hashed and copied to
//! `.pact/locks/<cid>/`; every later run checks the hashes and runs the locked copy, so nobody —
//! least of all the implementing agent — can weaken a test after the fact.

use pact_core::ids::check_component_id;
use pact_core::store::Project;
use pact_core::store::fsio::write_atomic;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestLock {
    pub component_id: String,
    pub contract_version: i64,
    /// File name → sha256 (hex) of the locked copy.
    pub files: BTreeMap<String, String>,
    pub locked_at: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn lock_dir(project: &Project, cid: &str) -> PathBuf {
    project.layout.pact_dir().join("locks").join(cid)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LockError + '_ {
    move |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Locks the given test files (as generated) for `cid`, replacing an older lock.
pub fn lock_tests(
    project: &Project,
    cid: &str,
    contract_version: i64,
    files: &[PathBuf],
) -> Result<TestLock, LockError> {
    check_component_id(cid)?;
    let dir = lock_dir(project, cid);
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
    let lock = TestLock {
        component_id: cid.to_string(),
        contract_version,
        files: hashes,
        locked_at: pact_core::store::now_iso(),
    };
    let path = dir.join("lock.json");
    let text = serde_json::to_string_pretty(&lock).map_err(|e| LockError::Corrupt {
        cid: cid.into(),
        message: e.to_string(),
    })?;
    write_atomic(&path, text.as_bytes()).map_err(io(&path))?;
    Ok(lock)
}

/// Verifies the locked copy and returns the paths to run. Any mismatch is an error naming the file.
pub fn verified_tests(project: &Project, cid: &str) -> Result<(TestLock, Vec<PathBuf>), LockError> {
    check_component_id(cid)?;
    let dir = lock_dir(project, cid);
    let path = dir.join("lock.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LockError::NotLocked { cid: cid.into() });
        }
        Err(e) => return Err(LockError::Io { path, source: e }),
    };
    let lock: TestLock = serde_json::from_str(&text).map_err(|e| LockError::Corrupt {
        cid: cid.into(),
        message: e.to_string(),
    })?;
    let mut paths = Vec::new();
    for (name, expected) in &lock.files {
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
    Ok((lock, paths))
}

/// Whether the project's own test files still match the lock (a user or agent edited them).
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
        let lock = lock_tests(&project, "counter", 1, &[f.clone()])?;
        let (_, paths) = verified_tests(&project, "counter")?;
        assert_eq!(paths.len(), 1);
        assert!(drifted_files(&project, "counter", &lock).is_empty());
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
