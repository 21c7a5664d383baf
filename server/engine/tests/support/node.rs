//! Where the tests find vitest: a `node_modules` directory with vitest 3 in it, named by
//! `PACT_TEST_NODE_MODULES` (for example after `npm install vitest@3.2.4` in a scratch prefix).
#![allow(dead_code)]

use std::path::PathBuf;

/// The `node_modules` with vitest the TypeScript tests run with; `None` (and the caller skips,
/// saying so) when none is provided.
pub fn node_modules() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("PACT_TEST_NODE_MODULES")?);
    dir.join("vitest/vitest.mjs").is_file().then_some(dir)
}

/// [`node_modules`], or a note on stderr that the calling test does not run.
pub fn node_modules_or_skip(test: &str) -> Option<PathBuf> {
    let found = node_modules();
    if found.is_none() {
        eprintln!(
            "{test}: skipped: set PACT_TEST_NODE_MODULES to a node_modules directory with vitest"
        );
    }
    found
}
