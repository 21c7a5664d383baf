//! Where the tests find vitest: the managed `node_modules` the product provisions (see
//! `support/runtime.rs`), made once per machine. A test never skips for want of it.
#![allow(dead_code)]

use super::runtime;

use std::path::PathBuf;

/// The managed `node_modules` with vitest.
pub fn node_modules() -> Option<PathBuf> {
    Some(runtime::vitest().1)
}

/// [`node_modules`]; provisioning failures fail the calling test (they panic with the fix).
pub fn node_modules_or_skip(_test: &str) -> Option<PathBuf> {
    node_modules()
}
