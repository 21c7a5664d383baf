//! Shared helpers for the language server's protocol tests: the server binary, and fixture
//! projects copied to temp dirs. (The CLI's end-to-end tests have their own, in the root
//! `tests/support`, which also runs the `pact` binary.)
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The server under test: this crate's `pact-lsp` binary (the entry `pact lsp` calls).
pub fn server() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pact-lsp"))
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/reference")
}

/// A writable copy of a reference project.
pub fn copy_project(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dst = tmp.path().join(name);
    copy_dir(&fixtures().join(name), &dst);
    (tmp, dst)
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir") {
        let e = e.expect("entry");
        let to = dst.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}
