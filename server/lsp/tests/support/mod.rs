//! Shared helpers for the language server's protocol tests: the server binary, and (from the
//! root `tests/support/files.rs`, which the CLI's end-to-end tests use too) fixture projects
//! copied to temp dirs.
#![allow(dead_code)]

#[path = "../../../../tests/support/files.rs"]
mod files;
#[allow(unused_imports)]
pub use files::*;

use std::path::{Path, PathBuf};

/// The server under test: this crate's `pact-lsp` binary (the entry `pact lsp` calls).
pub fn server() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pact-lsp"))
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
