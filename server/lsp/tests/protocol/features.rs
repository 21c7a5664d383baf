//! The features: hover, definition, references, completion, rename, code lens, symbols.

use super::*;

#[test]
fn hover_on_types_functions_and_components() {
    let mut s = Session::start(false);
    let path = s.contract("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "json");
    let h = s.at(
        "textDocument/hover",
        &uri,
        pos_of(&text, "\"WordCountList\"", 1, 3),
    );
    let v = h["contents"]["value"].as_str().unwrap_or("").to_string();
    assert!(v.contains("WordCountList = list[WordCount]"), "{v}");
    let h = s.at("textDocument/hover", &uri, pos_of(&text, "\"top_n\"", 0, 2));
    let v = h["contents"]["value"].as_str().unwrap_or("").to_string();
    assert!(
        v.contains("def top_n(counts: dict[str, int], n: int) -> WordCountList"),
        "{v}"
    );
    assert!(
        v.contains("**Preconditions**") && v.contains("`n >= 1`") && v.contains("`InvalidN`"),
        "{v}"
    );
    let h = s.at(
        "textDocument/hover",
        &uri,
        pos_of(&text, "\"tokenizer\"", 0, 3),
    );
    let v = h["contents"]["value"].as_str().unwrap_or("").to_string();
    assert!(
        v.contains("`tokenizer` — Tokenizer")
            && v.contains("**Status:** contracted")
            && v.contains("not run yet"),
        "{v}"
    );
    // The range of a type-ref hover is the name inside the string.
    let h = s.at(
        "textDocument/hover",
        &uri,
        pos_of(&text, "list[Token]", 0, 6),
    );
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("class Token:"),
        "{h}"
    );
    let (l, c) = position(&text, text.find("list[Token]").expect("x") + 5);
    assert_eq!(h["range"], range_of(l, c, c + 5));
    // Nothing under the cursor: null.
    assert!(
        s.at(
            "textDocument/hover",
            &uri,
            json!({"line": 0, "character": 0})
        )
        .is_null()
    );
}

#[test]
fn definitions_across_documents() {
    let mut s = Session::start(false);
    let path = s.contract("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "json");
    // Type ref → its TypeSpec.
    let d = s.at(
        "textDocument/definition",
        &uri,
        pos_of(&text, "\"item_type\": \"WordCount\"", 0, 15),
    );
    let (l, c) = position(
        &text,
        text.find("\"name\": \"WordCount\"").expect("def") + 9,
    );
    assert_eq!(d[0]["uri"], uri.as_str());
    assert_eq!(d[0]["range"], range_of(l, c, c + 9), "{d}");
    // Dependency → that component's interface.json.
    let d = s.at(
        "textDocument/definition",
        &uri,
        pos_of(&text, "\"tokenizer\"", 0, 2),
    );
    assert_eq!(d[0]["uri"], uri_of(&s.contract("tokenizer")));
    // Contract function → its implementation.
    let d = s.at(
        "textDocument/definition",
        &uri,
        pos_of(&text, "\"top_n\"", 0, 2),
    );
    let impl_path = s.path(".pact/implementations/counter/src/counter.py");
    assert_eq!(d[0]["uri"], uri_of(&impl_path), "{d}");
    let impl_text = std::fs::read_to_string(&impl_path).expect("impl");
    let (l, _) = position(&impl_text, impl_text.find("def top_n").expect("def"));
    assert_eq!(d[0]["range"]["start"]["line"], l);
    // Test function → the contract function it tests.
    let tpath = s.tests_py("counter");
    let ttext = std::fs::read_to_string(&tpath).expect("read");
    let tu = s.client.open(&tpath, "python");
    let d = s.at(
        "textDocument/definition",
        &tu,
        pos_of(&ttext, "test_tc003_top_n_ranking", 0, 3),
    );
    let (l, c) = position(&text, text.find("\"top_n\"").expect("top_n") + 1);
    assert_eq!(d[0]["uri"], uri.as_str(), "{d}");
    assert_eq!(d[0]["range"], range_of(l, c, c + 5));
    // Test case in the suite → the contract function.
    let spath = s.path(".pact/contracts/counter/tests/contract_test_suite.json");
    let stext = std::fs::read_to_string(&spath).expect("read");
    let su = s.client.open(&spath, "json");
    let d = s.at(
        "textDocument/definition",
        &su,
        pos_of(&stext, "\"TC003\"", 0, 2),
    );
    assert_eq!(d[0]["range"], range_of(l, c, c + 5), "{d}");
    // Tree child id → that component's contract.
    let tree = s.path(".pact/decomposition/tree.json");
    let tree_text = std::fs::read_to_string(&tree).expect("read");
    let tru = s.client.open(&tree, "json");
    let d = s.at(
        "textDocument/definition",
        &tru,
        pos_of(&tree_text, "\"formatter\"", 0, 3),
    );
    assert_eq!(d[0]["uri"], uri_of(&s.contract("formatter")));
}

#[test]
fn references_for_types_functions_and_components() {
    let mut s = Session::start(false);
    let path = s.contract("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "json");
    let refs = |v: &Value| -> Vec<(String, u64)> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|l| {
                (
                    l["uri"].as_str().unwrap_or("").to_string(),
                    l["range"]["start"]["line"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let params = |p: Value| json!({"textDocument": {"uri": uri}, "position": p, "context": {"includeDeclaration": true}});
    let r = s.client.request(
        "textDocument/references",
        params(pos_of(&text, "\"name\": \"WordCount\"", 0, 10)),
    );
    let r = refs(&r);
    assert!(r.iter().filter(|(u, _)| *u == uri).count() >= 2, "{r:?}");
    let r = s.client.request(
        "textDocument/references",
        params(pos_of(&text, "\"count_tokens\"", 0, 2)),
    );
    let r = refs(&r);
    let suite = uri_of(&s.path(".pact/contracts/counter/tests/contract_test_suite.json"));
    let tests = uri_of(&s.tests_py("counter"));
    assert!(r.iter().any(|(u, _)| *u == suite), "{r:?}");
    assert!(r.iter().any(|(u, _)| *u == tests), "{r:?}");
    let r = s.client.request(
        "textDocument/references",
        params(pos_of(&text, "\"tokenizer\"", 0, 2)),
    );
    let r = refs(&r);
    let tree = uri_of(&s.path(".pact/decomposition/tree.json"));
    assert!(
        r.iter().filter(|(u, _)| *u == tree).count() >= 3,
        "key, component_id, child: {r:?}"
    );
    assert!(
        r.iter().any(|(u, _)| *u == uri_of(&s.contract("wordfreq"))),
        "{r:?}"
    );
    assert!(
        r.iter()
            .any(|(u, _)| *u == uri_of(&s.contract("tokenizer"))),
        "{r:?}"
    );
}

fn uri_of(p: &Path) -> String {
    uri(p)
}

#[test]
fn completion_of_types_ids_enums_and_fields() {
    let mut s = Session::start(false);
    let path = s.contract("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "json");
    let labels = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["label"].as_str().map(str::to_string))
            .collect()
    };
    // Typing a type ref.
    let typed = text.replacen(
        "\"output_type\": \"WordCountList\"",
        "\"output_type\": \"list[Wor",
        1,
    );
    s.client.change_full(&uri, 2, &typed);
    let at = typed.find("list[Wor").expect("at") + 8;
    let (l, c) = position(&typed, at);
    let items = s.client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": l, "character": c}}),
    );
    let got = labels(&items);
    assert!(
        got.contains(&"WordCount".to_string()) && got.contains(&"str".to_string()),
        "{got:?}"
    );
    let wc = items
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["label"] == "WordCount")
        .cloned()
        .unwrap_or_default();
    assert_eq!(wc["textEdit"]["range"], range_of(l, c - 3, c), "{wc}");
    // Component ids in dependencies.
    s.client.change_full(&uri, 3, &text);
    let items = s.at(
        "textDocument/completion",
        &uri,
        pos_of(&text, "\"tokenizer\"", 0, 1),
    );
    let got = labels(&items);
    assert!(
        got.contains(&"formatter".to_string()) && !got.contains(&"counter".to_string()),
        "{got:?}"
    );
    // Enum values of `kind`.
    let items = s.at(
        "textDocument/completion",
        &uri,
        pos_of(&text, "\"struct\"", 0, 1),
    );
    assert_eq!(
        labels(&items),
        ["primitive", "struct", "enum", "list", "optional", "union"]
    );
    // Field names in a type object, as snippets, without those already there.
    let items = s.at(
        "textDocument/completion",
        &uri,
        pos_of(&text, "\"description\": \"A word together", 0, 1),
    );
    let got = labels(&items);
    assert!(
        got.contains(&"item_type".to_string())
            && got.contains(&"description".to_string())
            && !got.contains(&"kind".to_string()),
        "{got:?}"
    );
    let it = items
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["label"] == "item_type")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        it["textEdit"]["newText"], "\"item_type\"",
        "has a colon already: only the name"
    );
}

#[test]
fn rename_a_type_and_a_component() {
    let mut s = Session::start_with(false, true, |_| {});
    let path = s.contract("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "json");
    let pos = pos_of(&text, "\"name\": \"WordCount\"", 0, 10);
    let prep = s.at("textDocument/prepareRename", &uri, pos.clone());
    assert_eq!(prep["placeholder"], "WordCount");
    let edit = s.client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": pos, "newName": "Tally"}),
    );
    let ops = edit["documentChanges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let in_contract: Vec<&Value> = ops
        .iter()
        .filter(|o| o["textDocument"]["uri"] == uri.as_str())
        .flat_map(|o| o["edits"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(in_contract.len(), 2, "definition and item_type: {edit}");
    assert!(in_contract.iter().all(|e| e["newText"] == "Tally"));
    // Invalid names are refused.
    let bad = s.client.request_raw("textDocument/rename", json!({"textDocument": {"uri": uri}, "position": pos_of(&text, "\"name\": \"WordCount\"", 0, 10), "newName": "no good"}));
    assert!(bad.get("error").is_some(), "{bad}");
    // Component: every file naming it, and its directories moved.
    let edit = s.client.request("textDocument/rename", json!({"textDocument": {"uri": uri}, "position": pos_of(&text, "\"tokenizer\"", 0, 2), "newName": "lexer"}));
    let ops = edit["documentChanges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let files: Vec<&str> = ops
        .iter()
        .filter_map(|o| o["textDocument"]["uri"].as_str())
        .collect();
    for f in [
        uri.clone(),
        uri_of(&s.path(".pact/decomposition/tree.json")),
        uri_of(&s.contract("tokenizer")),
        uri_of(&s.contract("wordfreq")),
    ] {
        assert!(files.contains(&f.as_str()), "{f} not edited: {files:?}");
    }
    let renames: Vec<(&str, &str)> = ops
        .iter()
        .filter(|o| o["kind"] == "rename")
        .map(|o| {
            (
                o["oldUri"].as_str().unwrap_or(""),
                o["newUri"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        renames
            .iter()
            .any(|(a, b)| a.ends_with("/contracts/tokenizer") && b.ends_with("/contracts/lexer")),
        "{renames:?}"
    );
    // Edits come before the moves.
    let first_rename = ops.iter().position(|o| o["kind"] == "rename").unwrap_or(0);
    assert!(
        ops[..first_rename]
            .iter()
            .all(|o| o.get("textDocument").is_some())
    );
}

#[test]
fn code_lens_shows_the_last_test_results() {
    let mut s = Session::start_with(false, false, |root| {
        let results = json!({"total": 6, "passed": 5, "failed": 1, "errors": 0, "failure_details": [{"test_id": "test_tc005_top_n_invalid", "error_message": "boom"}], "timestamp": "2025-01-01T00:00:00"});
        let dir = root.join(".pact/implementations/counter");
        std::fs::write(dir.join("test_results.json"), results.to_string()).expect("write");
    });
    let path = s.contract("counter");
    let uri = s.client.open(&path, "json");
    let lenses = s.client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": uri}}),
    );
    let titles: Vec<&str> = lenses
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["command"]["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "Build",
            "Run tests · 6 tests · 5 passed · 1 failed",
            "Rebuild",
            "3 tests",
            "3 tests"
        ],
        "{lenses}"
    );
    let text = std::fs::read_to_string(&path).expect("read");
    let h = s.at(
        "textDocument/hover",
        &uri,
        pos_of(&text, "\"counter\"", 0, 2),
    );
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("5 passed · 1 failed"),
        "{h}"
    );
}

/// `pact adopt` links existing code as the implementation; until a rebuild replaces it, the
/// Build lens says so.
#[test]
fn code_lens_says_adopted_while_the_implementation_is_adopted_code() {
    let mut s = Session::start_with(false, false, |root| {
        let record = json!({"component_id": "counter", "status": "passed", "attempts": 0,
            "contract_version": 1, "src_hash": "", "test_hash": "", "winner_attempt": "adopted",
            "timestamp": "2025-01-01T00:00:00"});
        let dir = root.join(".pact/implementations/counter");
        std::fs::write(dir.join("metadata.json"), record.to_string()).expect("write");
    });
    let path = s.contract("counter");
    let uri = s.client.open(&path, "json");
    let lenses = s.client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": uri}}),
    );
    let first = lenses[0]["command"]["title"].as_str().unwrap_or_default();
    assert_eq!(first, "Build · adopted", "{lenses}");
}

#[test]
fn symbols_of_documents_and_the_workspace() {
    let mut s = Session::start(false);
    let path = s.contract("counter");
    let uri = s.client.open(&path, "json");
    let syms = s.client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let names: Vec<&str> = syms
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Token",
            "WordCount",
            "WordCountList",
            "count_tokens",
            "top_n"
        ]
    );
    assert_eq!(syms[0]["children"][1]["name"], "position");
    let tpath = s.tests_py("counter");
    let tu = s.client.open(&tpath, "python");
    let syms = s.client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": tu}}),
    );
    assert_eq!(syms.as_array().map(Vec::len), Some(6), "{syms}");
    let ws = s
        .client
        .request("workspace/symbol", json!({"query": "tok"}));
    let names: Vec<&str> = ws
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["name"].as_str())
        .collect();
    for n in ["tokenizer", "Token", "tokenize", "count_tokens"] {
        assert!(names.contains(&n), "{n} missing: {names:?}");
    }
}
