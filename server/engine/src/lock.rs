//! The test lock: when tests are generated their files are hashed and copied to
//! `.pact/locks/<cid>/` (visible) and `.pact/hidden/<cid>/` (held out); every later run checks
//! the hashes and runs the locked copy, so nobody — least of all the implementing agent — can
//! weaken a test after the fact.

pub use pact_core::digest::sha256_hex;
use pact_core::ids::check_component_id;
use pact_core::json::MAX_DOCUMENT_BYTES;
pub use pact_core::model::TestLock;
use pact_core::store::Project;
use pact_core::store::fsio::{self, ReadError, write_atomic};
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
    /// A test file that is not text Pact can lock: a special file, too large, not UTF-8,
    /// binary, or refused by the file system. Nothing is copied.
    #[error("test file {path} {reason}")]
    Unreadable { path: PathBuf, reason: ReadError },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LockError + '_ {
    move |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A test file's bytes, read as every document is ([`fsio::read_document`]): a regular file of
/// at most [`MAX_DOCUMENT_BYTES`] of UTF-8 text, or an error that says why not.
fn read_test_file(f: &Path) -> Result<Vec<u8>, LockError> {
    let unreadable = |reason| LockError::Unreadable {
        path: f.to_path_buf(),
        reason,
    };
    let bytes = fsio::read_document(f, MAX_DOCUMENT_BYTES as u64)
        .map_err(unreadable)?
        .ok_or_else(|| LockError::Io {
            path: f.to_path_buf(),
            source: std::io::ErrorKind::NotFound.into(),
        })?;
    fsio::check_text(&bytes).map_err(unreadable)?;
    Ok(bytes)
}

/// The sha256 of a locked or project copy, `None` when it cannot be read (bounded, regular
/// files only: a FIFO planted in a lock directory cannot hang the check).
fn hash_of(p: &Path) -> Option<String> {
    pact_core::digest::hash_file(p)
}

fn copy_all(files: &[PathBuf], dir: &Path) -> Result<BTreeMap<String, String>, LockError> {
    // Every file is read (and refused) before any is copied.
    let mut read = Vec::with_capacity(files.len());
    for f in files {
        read.push((f, read_test_file(f)?));
    }
    let mut hashes = BTreeMap::new();
    for (f, bytes) in read {
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
    let text = match fsio::read_text(&path, MAX_DOCUMENT_BYTES as u64) {
        Ok(Some(t)) => t,
        Ok(None) => return Err(LockError::NotLocked { cid: cid.into() }),
        Err(reason) => {
            return Err(LockError::Corrupt {
                cid: cid.into(),
                message: format!("{} {reason}", path.display()),
            });
        }
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
        let found = hash_of(&p).unwrap_or_else(|| "<missing>".into());
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
        .filter(|(name, hash)| hash_of(&dir.join(name)).is_none_or(|h| &h != *hash))
        .map(|(name, _)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test file that is not text (non-UTF-8, binary, over the limit, a device, a FIFO) is
    /// refused by the lock with the reason, and nothing is copied (issue #15: the lock copied
    /// those bytes).
    #[test]
    fn unreadable_test_files_are_never_locked() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let (project, _) = Project::init(tmp.path(), 1.0)?;
        let tests_dir = project.layout.tests_dir("counter");
        std::fs::create_dir_all(&tests_dir)?;
        let good = tests_dir.join("contract_test.py");
        std::fs::write(&good, "def test_a():\n    assert 1\n")?;
        let mut cases = vec![
            ("test_latin1.py", "is not UTF-8 text"),
            ("test_nul.py", "is binary, not text"),
            ("test_big.py", "is too large: 17 MB, over the 16 MB limit"),
        ];
        std::fs::write(tests_dir.join("test_latin1.py"), b"# caf\xe9\n")?;
        std::fs::write(
            tests_dir.join("test_nul.py"),
            b"def test_a():\n    assert 1\0\n",
        )?;
        std::fs::write(tests_dir.join("test_big.py"), vec![b'#'; 17 * 1024 * 1024])?;
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/dev/urandom", tests_dir.join("test_random.py"))?;
            cases.push((
                "test_random.py",
                "is a character device, not a regular file",
            ));
            let fifo = tests_dir.join("test_fifo.py");
            assert!(
                std::process::Command::new("mkfifo")
                    .arg(&fifo)
                    .status()?
                    .success()
            );
            cases.push(("test_fifo.py", "is a FIFO (named pipe), not a regular file"));
        }
        for (name, why) in cases {
            let files = vec![good.clone(), tests_dir.join(name)];
            let err = lock_tests(&project, "counter", 1, &files).err();
            let text = err.as_ref().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                matches!(err, Some(LockError::Unreadable { .. })) && text.contains(why),
                "{name}: {text}"
            );
            assert!(text.contains(name), "{text}");
            // Nothing was copied, not even the good file before it.
            assert!(!project.layout.lock_dir("counter").exists(), "{name}");
        }
        // A locked copy replaced by a device cannot hang verification: it is tampering.
        lock_tests(&project, "counter", 1, std::slice::from_ref(&good))?;
        #[cfg(unix)]
        {
            let locked = project.layout.lock_dir("counter").join("contract_test.py");
            std::fs::remove_file(&locked)?;
            std::os::unix::fs::symlink("/dev/zero", &locked)?;
            assert!(matches!(
                verified_tests(&project, "counter"),
                Err(LockError::Tampered { .. })
            ));
        }
        Ok(())
    }

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
