//! Test runtimes for tests that call the harness directly, made by the product's own
//! provisioning code in the user cache directory: once per machine, shared by every test
//! binary (the cache is locked across processes), never a `python3` from PATH.

// A test shows the runtime's provisioning progress.
#![allow(clippy::print_stderr)]
#![allow(dead_code)]

use pact_engine::harness::HarnessOptions;
use pact_engine::runtime::{RuntimeSpec, cache_dir, node, python};
use std::path::PathBuf;
use std::sync::OnceLock;

fn spec() -> RuntimeSpec {
    RuntimeSpec {
        cache: cache_dir().expect("a cache directory (set PACT_CACHE_DIR)"),
        ..Default::default()
    }
}

/// The managed Python environment's interpreter.
pub fn python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        python::ensure(&spec(), &|what, msg| eprintln!("{what}: {msg}"))
            .unwrap_or_else(|e| panic!("{e}\n{}", e.fix()))
            .interpreter
    })
    .clone()
}

/// The managed vitest's `node_modules`, and the node that runs it.
pub fn vitest() -> (PathBuf, PathBuf) {
    static VT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    VT.get_or_init(|| {
        let spec = spec();
        let node = node::find(&spec).unwrap_or_else(|e| panic!("{e}\n{}", e.fix()));
        let modules = node::ensure_vitest(&node, &spec, &|what, msg| eprintln!("{what}: {msg}"))
            .unwrap_or_else(|e| panic!("{e}\n{}", e.fix()));
        (node.node, modules)
    })
    .clone()
}

/// Harness options for Python suites.
pub fn python_options() -> HarnessOptions {
    HarnessOptions {
        python: Some(python()),
        ..Default::default()
    }
}

/// Harness options for TypeScript suites.
pub fn typescript_options() -> HarnessOptions {
    let (node, modules) = vitest();
    HarnessOptions {
        node,
        node_modules: Some(modules),
        ..Default::default()
    }
}
