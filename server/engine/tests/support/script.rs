//! Scripted answers for the wordfreq example, taken from the reference sample project: what a
//! good model would answer, in the order the engine asks. Shared by the recorder example and
//! the engine's tests.
#![allow(dead_code)]

use pact_agents::ScriptedBackend;
use serde_json::{Value, json};
use std::path::Path;

pub fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub const ORDER: [&str; 4] = ["tokenizer", "counter", "formatter", "wordfreq"];

pub fn interview() -> Value {
    json!({
        "risks": ["Unicode word boundaries differ between languages", "Very large inputs (1,000,000 characters)"],
        "ambiguities": ["What counts as a word", "Case sensitivity"],
        "questions": [],
        "assumptions": ["Words are maximal runs of letters, digits and apostrophes", "Counting is case-insensitive"],
        "acceptance_criteria": ["The N most frequent words are listed, ties broken alphabetically", "Output is plain text, JSON or CSV"]
    })
}

pub fn decomposition(sample: &Path) -> Value {
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
    json!({
        "root_id": "wordfreq", "is_trivial": false, "components": comps,
        "decisions": [{"ambiguity": "What counts as a word", "decision": "Runs of letters, digits and apostrophes",
            "rationale": "Simple, predictable, and matches common word-count tools"}]
    })
}

pub fn contract(sample: &Path, cid: &str) -> Value {
    let mut c = read_json(&sample.join(format!(".pact/contracts/{cid}/interface.json")));
    if let Some(o) = c.as_object_mut() {
        o.remove("component_id");
        o.remove("dependencies");
        o.remove("version");
    }
    c
}

pub fn tests(sample: &Path, cid: &str) -> Value {
    let s = read_json(&sample.join(format!(
        ".pact/contracts/{cid}/tests/contract_test_suite.json"
    )));
    json!({"test_cases": s["test_cases"], "generated_code": s["generated_code"]})
}

pub fn code(sample: &Path, cid: &str) -> Value {
    let src = sample.join(format!(".pact/implementations/{cid}/src/{cid}.py"));
    let code = std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    files(&[(&format!("{cid}.py"), &code)])
}

pub fn files(files: &[(&str, &str)]) -> Value {
    json!({"files": files.iter().map(|(p, c)| json!({"path": p, "content": c})).collect::<Vec<_>>(), "notes": ""})
}

/// Every answer of a good run, in order.
pub fn script(sample: &Path) -> ScriptedBackend {
    let b = ScriptedBackend::new();
    b.push("interviewer", interview());
    b.push("decomposer", decomposition(sample));
    for cid in ORDER {
        b.push("contract_author", contract(sample, cid));
    }
    for cid in ORDER {
        b.push("test_author", tests(sample, cid));
    }
    for cid in ORDER {
        b.push("code_author", code(sample, cid));
    }
    b
}
