//! Regenerates `examples/csvstats/session.jsonl`: runs the whole pipeline on the TypeScript
//! example with scripted answers taken from the sample in `tests/fixtures/csvstats` (its
//! contracts, vitest suites and implementations) and records every answer. The contract tests
//! run for real under the vitest Pact provisions. Run after changing prompts or schemas:
//!
//!     cargo run -p pact-engine --example record_csvstats

// A recorder says what it recorded.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/support/csvstats.rs"]
mod csvstats;

use pact_agents::RecordingBackend;
use pact_core::store::Project;
use pact_engine::{Engine, Outcome, SameForAll, events};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = repo().join("examples/csvstats");
    let work = tempfile::tempdir()?;
    // Any name: nothing of the directory reaches a prompt (the log keys hash the tree's root).
    let dir = work.path().join("csvstats");
    std::fs::create_dir_all(&dir)?;
    for f in ["task.md", "sops.md", "pact.yaml"] {
        std::fs::copy(example.join(f), dir.join(f))?;
    }
    let out = example.join("session.jsonl");
    let _ = std::fs::remove_file(&out);
    let backend = Arc::new(RecordingBackend::new(csvstats::script(), &out));
    let project = Project::open(&dir)?;
    let mut config = project.config()?;
    // Scripted answers come in order: ask one component at a time. Replays need no order.
    config.project.parallel_components = Some(false);
    let engine = Engine::new(
        project,
        config,
        SameForAll::unbudgeted(backend),
        events::ignore(),
    );
    let outcome = engine.run().await?;
    if outcome != Outcome::Completed {
        return Err(format!("the scripted run did not complete: {outcome:?}").into());
    }
    println!(
        "recorded {} answers to {}",
        std::fs::read_to_string(&out)?.lines().count(),
        out.display()
    );
    Ok(())
}
