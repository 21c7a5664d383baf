//! Regenerates `tests/fixtures/codebases/inflection.answers/session.jsonl`: adopts the vendored
//! `inflection` (PyPI 0.5.1, MIT) with scripted answers — the contract, visible and held-out
//! tests that `make_answers.py` writes next to it from the module's type hints, docstring
//! examples and the package's own test tables — and records every answer. The tests run for
//! real against the adopted code. Run after changing the adoption's prompts or schemas:
//!
//!     python3 tests/fixtures/codebases/inflection.answers/make_answers.py
//!     cargo run -p pact-engine --example record_adopt

// A recorder says what it recorded.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use pact_agents::{RecordingBackend, ScriptedBackend};
use pact_core::codebase::{self, ScanOptions};
use pact_core::store::Project;
use pact_engine::job::{JobKind, JobOutcome, Prepared};
use pact_engine::{Engine, SameForAll, events};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/codebases")
}

fn answer(name: &str) -> Result<Value, Box<dyn std::error::Error>> {
    let path = fixtures().join("inflection.answers").join(name);
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy(&e.path(), &dest)?;
        } else {
            std::fs::copy(e.path(), dest)?;
        }
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let work = tempfile::tempdir()?;
    let dir = work.path().join("inflection");
    copy(&fixtures().join("inflection"), &dir)?;
    std::fs::create_dir_all(dir.join(".pact"))?;
    let inventory = codebase::scan(&dir, &ScanOptions::default())?;
    let modules = pact_engine::adopt::modules(&inventory);
    let ids: Vec<&str> = modules.iter().map(|m| m.component.as_str()).collect();
    if ids != ["inflection_module"] {
        return Err(format!("unexpected modules: {ids:?}").into());
    }
    let script = ScriptedBackend::new();
    script.push("contract_author", answer("contract.json")?);
    script.push("test_author", answer("tests.json")?);
    script.push("test_author", answer("held_out.json")?);
    let out = fixtures().join("inflection.answers/session.jsonl");
    let _ = std::fs::remove_file(&out);
    let backend = Arc::new(RecordingBackend::new(script, &out));
    let project = Project::open(&dir)?;
    let config = project.config()?;
    let engine = Engine::new(
        project,
        config,
        SameForAll::unbudgeted(backend),
        events::ignore(),
    );
    let prepared = Prepared::new(engine, JobKind::Adopt { modules }, "record_adopt")
        .await
        .map_err(|r| format!("refused: {:?}", r.outcome))?;
    let report = prepared.execute().await;
    match &report.outcome {
        JobOutcome::Adopted { modules } => {
            for m in modules {
                println!("{}: {:?}", m.component, m.outcome);
            }
        }
        other => return Err(format!("the scripted adoption did not finish: {other:?}").into()),
    }
    println!(
        "recorded {} answers to {}",
        std::fs::read_to_string(&out)?.lines().count(),
        out.display()
    );
    Ok(())
}
