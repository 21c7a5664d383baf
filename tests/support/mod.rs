//! Shared helpers for the end-to-end tests: fixture projects copied to temp dirs, and running
//! the real `pact` binary.
#![allow(dead_code)]

mod files;
pub mod lsp_client;
#[cfg(unix)]
pub mod special_files;
pub use files::*;

use std::path::Path;
use std::process::Command;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn pact(args: &[&str]) -> Run {
    pact_with(args, |_| {})
}

/// [`pact`], with the command adjusted first (its environment, say).
pub fn pact_with(args: &[&str], adjust: impl FnOnce(&mut Command)) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pact"));
    cmd.args(args);
    adjust(&mut cmd);
    let out = cmd.output().expect("run pact");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `pact validate DIR --json`, parsed.
pub fn validate_json(dir: &Path) -> (i32, serde_json::Value) {
    let run = pact(&["validate", dir.to_str().expect("utf-8 path"), "--json"]);
    let v = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("bad json ({e}): {}\n{}", run.stdout, run.stderr));
    (run.code, v)
}

pub fn edit(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    f(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).expect("ser")).expect("write");
}

/// Diagnostics with a given code.
pub fn with_code<'a>(v: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    v["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == code)
        .collect()
}
