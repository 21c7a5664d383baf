//! Scripted answers for the TypeScript example `examples/csvstats`, from the sample in
//! `tests/fixtures/csvstats` (contracts, vitest suites visible and held out, implementations):
//! what a good model would answer, in the order the engine asks. Shared by the recorder example
//! and the engine's tests.
#![allow(dead_code)]

use pact_agents::ScriptedBackend;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Build order: leaves first (`column_stats` uses `csv_parser`), then the parent.
pub const ORDER: [&str; 4] = ["csv_parser", "column_stats", "report", "csvstats"];

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csvstats")
}

fn read(cid: &str, file: &str) -> String {
    let p = fixtures().join(cid).join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn read_json(cid: &str, file: &str) -> Value {
    serde_json::from_str(&read(cid, file)).unwrap_or_else(|e| panic!("{cid}/{file}: {e}"))
}

pub fn interview() -> Value {
    json!({
        "risks": ["CSV dialects differ (separators, quoting, line ends)", "Large files are held in memory"],
        "ambiguities": ["Whether empty cells count as zero", "Which cell texts are numbers"],
        "questions": [],
        "assumptions": ["Input is RFC 4180 CSV with a header record", "Empty cells are missing values, not zeros",
            "Numbers are plain decimals, optionally signed, with an optional exponent"],
        "acceptance_criteria": ["For each chosen column: count, missing, min, max and mean",
            "Output is plain text or a Markdown table, numbers with two decimals"]
    })
}

pub fn decomposition() -> Value {
    json!({
        "root_id": "csvstats", "is_trivial": false,
        "components": [
            {"component_id": "csvstats", "name": "CSV Column Statistics",
             "description": "Statistics of chosen numeric columns of a CSV document, as text or Markdown.",
             "children": ["csv_parser", "column_stats", "report"], "dependencies": []},
            {"component_id": "csv_parser", "name": "CSV Parser",
             "description": "Parse RFC 4180 CSV text into a header and rows; select a column by name.",
             "children": [], "dependencies": []},
            {"component_id": "column_stats", "name": "Column Statistics",
             "description": "Count, missing, min, max and mean of one numeric column of a parsed table.",
             "children": [], "dependencies": ["csv_parser"]},
            {"component_id": "report", "name": "Report Formatter",
             "description": "Render column statistics as plain text or a Markdown table.",
             "children": [], "dependencies": []}
        ],
        "decisions": [
            {"ambiguity": "Whether empty cells count as zero",
             "decision": "Empty or whitespace-only cells are missing and left out of min, max and mean",
             "rationale": "A zero would silently skew the statistics"},
            {"ambiguity": "Which cell texts are numbers",
             "decision": "Plain decimals: optional sign, digits, optional fraction and exponent",
             "rationale": "Predictable and locale-free; hexadecimal, Infinity and NaN are refused"}
        ]
    })
}

/// The contract author's answer (no id, dependencies or version: the engine sets those).
pub fn contract(cid: &str) -> Value {
    read_json(cid, "contract.json")
}

pub fn test_code(cid: &str) -> String {
    read(cid, "contract.test.ts")
}

pub fn hidden_code(cid: &str) -> String {
    read(cid, "hidden.test.ts")
}

pub fn implementation(cid: &str) -> String {
    read(cid, &format!("{cid}.ts"))
}

pub fn tests(cid: &str) -> Value {
    json!({"test_cases": read_json(cid, "cases.json")["visible"], "generated_code": test_code(cid)})
}

/// Held-out tests, written independently of the visible ones (other inputs, other cases).
pub fn hidden(cid: &str) -> Value {
    json!({"test_cases": read_json(cid, "cases.json")["held_out"], "generated_code": hidden_code(cid)})
}

pub fn code(cid: &str) -> Value {
    files(&[(&format!("{cid}.ts"), &implementation(cid))])
}

pub fn files(files: &[(&str, &str)]) -> Value {
    json!({"files": files.iter().map(|(p, c)| json!({"path": p, "content": c})).collect::<Vec<_>>(), "notes": ""})
}

/// Every answer of a good run, in order.
pub fn script() -> ScriptedBackend {
    let b = ScriptedBackend::new();
    b.push("interviewer", interview());
    b.push("decomposer", decomposition());
    for cid in ORDER {
        b.push("contract_author", contract(cid));
    }
    for cid in ORDER {
        b.push("test_author", tests(cid));
        b.push("test_author", hidden(cid));
    }
    for cid in ORDER {
        b.push("code_author", code(cid));
    }
    b
}
