//! Regenerates `examples/wordfreq/session.jsonl`: runs the whole pipeline on the example with
//! scripted answers taken from the reference sample project (its contracts, tests and
//! implementations) and records every answer. Run after changing prompts or schemas:
//!
//!     cargo run -p pact-engine --example record_wordfreq

use pact_agents::{RecordingBackend, ScriptedBackend};
use pact_core::store::Project;
use pact_engine::{Engine, Outcome, SameForAll, events};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The answers a good model would give, in the order the engine asks for them.
pub fn script(sample: &Path) -> ScriptedBackend {
    let b = ScriptedBackend::new();
    b.push("interviewer", json!({
        "risks": ["Unicode word boundaries differ between languages", "Very large inputs (1,000,000 characters)"],
        "ambiguities": ["What counts as a word", "Case sensitivity"],
        "questions": [],
        "assumptions": ["Words are maximal runs of letters, digits and apostrophes", "Counting is case-insensitive"],
        "acceptance_criteria": ["The N most frequent words are listed, ties broken alphabetically", "Output is plain text, JSON or CSV"]
    }));
    let tree = read_json(&sample.join(".pact/decomposition/tree.json"));
    let mut comps = Vec::new();
    for (id, n) in tree["nodes"].as_object().into_iter().flatten() {
        let deps = if id == "counter" {
            json!(["tokenizer"])
        } else {
            json!([])
        };
        comps.push(
            json!({"component_id": id, "name": n["name"], "description": n["description"],
            "children": n["children"], "dependencies": deps}),
        );
    }
    b.push("decomposer", json!({
        "root_id": "wordfreq", "is_trivial": false, "components": comps,
        "decisions": [{"ambiguity": "What counts as a word", "decision": "Runs of letters, digits and apostrophes",
            "rationale": "Simple, predictable, and matches common word-count tools"}]
    }));
    let order = ["tokenizer", "counter", "formatter", "wordfreq"];
    for cid in order {
        let mut c = read_json(&sample.join(format!(".pact/contracts/{cid}/interface.json")));
        if let Some(o) = c.as_object_mut() {
            o.remove("component_id");
            o.remove("dependencies");
            o.remove("version");
        }
        b.push("contract_author", c);
    }
    for cid in order {
        let s = read_json(&sample.join(format!(
            ".pact/contracts/{cid}/tests/contract_test_suite.json"
        )));
        b.push(
            "test_author",
            json!({"test_cases": s["test_cases"], "generated_code": s["generated_code"]}),
        );
    }
    for cid in order {
        let src = sample.join(format!(".pact/implementations/{cid}/src/{cid}.py"));
        let code =
            std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        b.push(
            "code_author",
            json!({"files": [{"path": format!("{cid}.py"), "content": code}], "notes": ""}),
        );
    }
    b
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = repo().join("examples/wordfreq");
    let sample = repo().join("tests/fixtures/reference/sample");
    let work = tempfile::tempdir()?;
    // Same directory name as the example: the log keys in the prompts depend on it.
    let dir = work.path().join("wordfreq");
    std::fs::create_dir_all(&dir)?;
    for f in ["task.md", "sops.md", "pact.yaml"] {
        std::fs::copy(example.join(f), dir.join(f))?;
    }
    let out = example.join("session.jsonl");
    let _ = std::fs::remove_file(&out);
    let backend = Arc::new(RecordingBackend::new(script(&sample), &out));
    let project = Project::open(&dir)?;
    let mut config = project.config()?;
    // Scripted answers come in order: ask one component at a time. Replays need no order.
    config.project.parallel_components = Some(false);
    let engine = Engine::new(
        project,
        config,
        Arc::new(SameForAll {
            backend,
            budget: None,
        }),
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
