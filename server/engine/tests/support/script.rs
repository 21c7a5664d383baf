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

/// Held-out tests, written independently of the visible ones (other inputs, other cases).
pub fn hidden(cid: &str) -> Value {
    let code = match cid {
        "tokenizer" => {
            "from tokenizer import *\nimport pytest\n\n\ndef test_h001_digits_and_apostrophes():\n    toks = tokenize(\"It's 42 o'clock\")\n    assert [t.text for t in toks] == [\"it's\", \"42\", \"o'clock\"]\n\n\ndef test_h002_whitespace_only():\n    assert tokenize(\"   \\n\\t \") == []\n\n\ndef test_h003_positions_count_words():\n    toks = tokenize(\"x y z\")\n    assert [t.position for t in toks] == [0, 1, 2]\n"
        }
        "counter" => {
            "from counter import *\nimport pytest\n\n\ndef _t(*ws):\n    return [Token(text=w, position=i) for i, w in enumerate(ws)]\n\n\ndef test_h001_single_word():\n    assert count_tokens(_t(\"z\")) == {\"z\": 1}\n\n\ndef test_h002_ties_alphabetical():\n    rows = top_n({\"b\": 1, \"a\": 1, \"c\": 1}, 3)\n    assert [r.word for r in rows] == [\"a\", \"b\", \"c\"]\n\n\ndef test_h003_negative_n():\n    with pytest.raises(ValueError):\n        top_n({\"a\": 1}, -5)\n"
        }
        "formatter" => {
            "from formatter import *\nimport json\nimport pytest\n\n\ndef test_h001_csv_header_only():\n    assert format_report([], \"csv\") == \"word,count\"\n\n\ndef test_h002_json_round_trip():\n    rows = [WordCount(word=\"q\", count=9)]\n    assert json.loads(format_report(rows, \"json\")) == [{\"word\": \"q\", \"count\": 9}]\n\n\ndef test_h003_text_lines():\n    rows = [WordCount(word=\"a\", count=2), WordCount(word=\"b\", count=1)]\n    assert format_report(rows, \"text\").splitlines() == [\"a 2\", \"b 1\"]\n"
        }
        _ => {
            "from wordfreq import *\nimport pytest\n\n\ndef test_h001_case_folding():\n    assert run_report(\"A a B\", 1) == \"a 2\"\n\n\ndef test_h002_csv_output():\n    assert run_report(\"x y x\", 2, \"csv\") == \"word,count\\nx,2\\ny,1\"\n\n\ndef test_h003_negative_top_n():\n    with pytest.raises(ValueError):\n        run_report(\"x\", -1)\n"
        }
    };
    json!({"test_cases": [{"id": "H001", "description": "held out", "function": "", "category": "happy_path"}], "generated_code": code})
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
        b.push("test_author", hidden(cid));
    }
    for cid in ORDER {
        b.push("code_author", code(sample, cid));
    }
    b
}
