//! The gate's findings as diagnostics: exact ranges in either encoding, quick fixes, JSON and
//! schema errors, test code, stale tests, cycles with their related information.

use super::*;

#[test]
fn unresolved_type_at_its_exact_range_with_a_quick_fix() {
    let mut s = Session::start(false);
    let path = s.contract("counter");
    let mut text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "json");
    // Non-ASCII before the broken name on the same line: UTF-16 columns differ from bytes.
    let old = "\"output_type\": \"WordCountList\"";
    let new = "\"x_note\": \"é𝄞\", \"output_type\": \"list[WordCoutList]\"";
    let at = text.find(old).expect("output_type");
    let (l, c) = position(&text, at);
    let (_, c2) = position(&text, at + old.len());
    s.client.change(&uri, 2, [l, c, l, c2], new);
    text.replace_range(at..at + old.len(), new);
    let p = s.client.wait_diagnostics(&uri, WAIT, |p| {
        p.version == Some(2) && with_code(p, "unresolved-type").is_some()
    });
    let p = p.unwrap_or_else(|| {
        panic!(
            "no unresolved-type: {:?}\n{}",
            s.client.diagnostics.get(&uri),
            s.client.stderr_text()
        )
    });
    let d = with_code(&p, "unresolved-type")
        .cloned()
        .unwrap_or_default();
    let name = text.find("WordCoutList").expect("name");
    let (l, c) = position(&text, name);
    assert_eq!(
        d["range"],
        range_of(l, c, c + "WordCoutList".len() as u32),
        "{d}"
    );
    assert_eq!(d["source"], "pact");
    assert_eq!(d["severity"], 1);
    // The quick fix replaces the name.
    let actions = s.client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let action = &actions[0];
    assert_eq!(
        action["title"], "Did you mean `WordCountList`?",
        "{actions}"
    );
    let edit = &action["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "WordCountList");
    assert_eq!(edit["range"], d["range"]);
    // Applying it clears the diagnostic.
    let r = &edit["range"];
    let range = [
        r["start"]["line"].as_u64(),
        r["start"]["character"].as_u64(),
        r["end"]["line"].as_u64(),
        r["end"]["character"].as_u64(),
    ]
    .map(|x| x.unwrap_or(0) as u32);
    s.client.change(&uri, 3, range, "WordCountList");
    let p = s
        .client
        .wait_diagnostics(&uri, WAIT, |p| p.version == Some(3));
    assert_eq!(p.map(|p| codes(&p)), Some(vec![]));
}

#[test]
fn utf8_positions_when_negotiated() {
    let mut s = Session::start(true);
    let path = s.contract("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "json");
    let text = text.replacen(
        "\"item_type\": \"WordCount\"",
        "\"x\": \"ü€\", \"item_type\": \"WordCoun\"",
        1,
    );
    s.client.change_full(&uri, 2, &text);
    let p = s
        .client
        .wait_diagnostics(&uri, WAIT, |p| {
            p.version == Some(2) && with_code(p, "unresolved-type").is_some()
        })
        .expect("diagnostic");
    let d = with_code(&p, "unresolved-type")
        .cloned()
        .unwrap_or_default();
    let at = text.find("WordCoun\"").expect("name");
    let (l, c) = position_utf8(&text, at);
    assert_eq!(d["range"], range_of(l, c, c + 8), "{d}");
    // Hover positions are UTF-8 too: the byte column of "WordCoun" inside "list" type.
    let h = s.at(
        "textDocument/hover",
        &uri,
        json!({"line": l, "character": c + 2}),
    );
    assert!(h.is_null() || h["contents"]["value"].is_string());
}

#[test]
fn json_syntax_error_then_fixed() {
    let mut s = Session::start(false);
    let path = s.contract("tokenizer");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "json");
    // Drop the comma after "version": 1.
    let at = text.find("\"version\": 1,").expect("version") + "\"version\": 1".len();
    let (l, c) = position(&text, at);
    s.client.change(&uri, 2, [l, c, l, c + 1], "");
    let p = s
        .client
        .wait_diagnostics(&uri, WAIT, |p| {
            p.version == Some(2) && with_code(p, "json-syntax").is_some()
        })
        .expect("json-syntax");
    let d = with_code(&p, "json-syntax").cloned().unwrap_or_default();
    // serde_json reports it where the next key starts.
    let next = text[at + 1..].find('"').map(|i| at + i).expect("next key");
    let (nl, nc) = position(&text.replacen("\"version\": 1,", "\"version\": 1", 1), next);
    assert_eq!(
        d["range"]["start"],
        json!({"line": nl, "character": nc}),
        "{d}"
    );
    s.client.change(&uri, 3, [l, c, l, c], ",");
    let p = s
        .client
        .wait_diagnostics(&uri, WAIT, |p| p.version == Some(3))
        .expect("cleared");
    assert!(codes(&p).is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn schema_errors_wrong_type_and_unknown_enum_value() {
    let mut s = Session::start(false);
    let path = s.contract("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "json");
    let broken = text.replacen("\"kind\": \"list\"", "\"kind\": \"lisst\"", 1);
    s.client.change_full(&uri, 2, &broken);
    let p = s
        .client
        .wait_diagnostics(&uri, WAIT, |p| {
            p.version == Some(2) && with_code(p, "json-schema").is_some()
        })
        .expect("schema");
    let d = with_code(&p, "json-schema").cloned().unwrap_or_default();
    assert!(
        d["message"]
            .as_str()
            .unwrap_or("")
            .contains("unknown variant `lisst`"),
        "{d}"
    );
    let at = broken.find("\"lisst\"").expect("at");
    let (l, c) = position(&broken, at);
    assert_eq!(d["range"], range_of(l, c, c + 7));
}

#[test]
fn test_syntax_errors_and_unknown_functions_in_test_code() {
    let mut s = Session::start(false);
    let path = s.tests_py("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open(&path, "python");
    let broken = format!("{text}\n\ndef test_tc099_broken(:\n    assert top_n({{}}, 1) == []\n");
    s.client.change_full(&uri, 2, &broken);
    let p = s
        .client
        .wait_diagnostics(&uri, WAIT, |p| {
            p.version == Some(2) && with_code(p, "test-syntax").is_some()
        })
        .expect("test-syntax");
    let d = with_code(&p, "test-syntax").cloned().unwrap_or_default();
    let line = broken
        .lines()
        .position(|l| l.starts_with("def test_tc099_broken"))
        .expect("line") as u64;
    assert_eq!(d["range"]["start"]["line"], line, "{d}");
    // A test calling a function the contract lacks, and a test without assertion.
    let calls = format!(
        "{text}\n\ndef test_tc100_x():\n    assert top_k({{}}, 1) == []\n\ndef test_tc101_y():\n    count_tokens([])\n"
    );
    s.client.change_full(&uri, 3, &calls);
    let p = s
        .client
        .wait_diagnostics(&uri, WAIT, |p| {
            p.version == Some(3)
                && with_code(p, "unknown-function").is_some()
                && with_code(p, "toothless-test").is_some()
        })
        .expect("unknown-function");
    let d = with_code(&p, "unknown-function")
        .cloned()
        .unwrap_or_default();
    let (l, c) = position(&calls, calls.find("top_k").expect("top_k"));
    assert_eq!(d["range"], range_of(l, c, c + 5));
    assert!(with_code(&p, "test-syntax").is_none());
}

#[test]
fn stale_tests_and_dependency_cycles_with_related_information() {
    let mut s = Session::start(false);
    let counter = s.contract("counter");
    let tokenizer = s.contract("tokenizer");
    let suite_uri = uri(&s.path(".pact/contracts/counter/tests/contract_test_suite.json"));
    let text = std::fs::read_to_string(&counter).expect("read");
    let cu = s.client.open(&counter, "json");
    s.client.change_full(
        &cu,
        2,
        &text.replacen("\"version\": 1", "\"version\": 2", 1),
    );
    let p = s
        .client
        .wait_diagnostics(&suite_uri, WAIT, |p| with_code(p, "stale-tests").is_some())
        .expect("stale-tests on the suite");
    assert_eq!(
        with_code(&p, "stale-tests").map(|d| d["severity"].clone()),
        Some(json!(2))
    );
    // tokenizer -> counter -> tokenizer: a cycle, marked on an edge with the other member related.
    let ttext = std::fs::read_to_string(&tokenizer).expect("read");
    let tu = s.client.open(&tokenizer, "json");
    s.client.change_full(
        &tu,
        2,
        &ttext.replacen("\"dependencies\": []", "\"dependencies\": [\"counter\"]", 1),
    );
    let cycle = |p: &Published| with_code(p, "dependency-cycle").is_some();
    // Published once, on the edge the gate reports it at (counter's edge to tokenizer), with
    // the other edge — the new one in tokenizer's contract — as related information.
    let on_c = s
        .client
        .wait_diagnostics(&cu, WAIT, cycle)
        .expect("cycle on counter's edge");
    let d = with_code(&on_c, "dependency-cycle")
        .cloned()
        .unwrap_or_default();
    let related = d["relatedInformation"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(related.len(), 1, "{d}");
    assert_eq!(related[0]["location"]["uri"], tu.as_str(), "{d}");
    let edited = ttext.replacen("\"dependencies\": []", "\"dependencies\": [\"counter\"]", 1);
    let at = edited.find("\"counter\"").expect("edge");
    let (l, c) = position(&edited, at);
    assert_eq!(
        related[0]["location"]["range"],
        range_of(l, c, c + 9),
        "{d}"
    );
    assert!(
        !s.client
            .diagnostics
            .get(&tu)
            .and_then(|v| v.last())
            .is_some_and(cycle),
        "the cycle was published twice"
    );
    // Breaking the cycle clears it everywhere.
    s.client.change_full(&tu, 3, &ttext);
    assert!(
        s.client
            .wait_diagnostics(&tu, WAIT, |p| p.version == Some(3) && !cycle(p))
            .is_some()
    );
    assert!(
        s.client
            .wait_diagnostics(&cu, WAIT, |p| !cycle(p))
            .is_some()
    );
}

#[test]
fn tree_cycle_once_without_opening_anything() {
    let mut s = Session::start_on("broken_tree_cycle", false, false, |_| {});
    let tree = s.path(".pact/decomposition/tree.json");
    let text = std::fs::read_to_string(&tree).expect("read");
    let p = s.client.wait_diagnostics(&uri(&tree), WAIT, |p| {
        p.diagnostics.iter().any(|d| d["code"] == "tree-cycle")
    });
    let p = p.unwrap_or_else(|| panic!("{:?}", s.client.diagnostics.get(&uri(&tree))));
    let cycles: Vec<&Value> = p
        .diagnostics
        .iter()
        .filter(|d| d["code"] == "tree-cycle")
        .collect();
    // One finding, one diagnostic (the count `pact validate` gives), on one of the cycle's
    // edges — wordfreq's child "tokenizer" or tokenizer's child "wordfreq" — with the other
    // edge as related information.
    assert_eq!(cycles.len(), 1, "{:?}", p.diagnostics);
    let edge =
        |needle: &str, nth: usize| pos_of(&text, needle, nth, 0)["line"].as_u64().unwrap_or(0);
    let edges = [edge("\"tokenizer\"", 0), edge("\"wordfreq\"", 4)];
    let line = cycles[0]["range"]["start"]["line"].as_u64().unwrap_or(0);
    assert!(edges.contains(&line), "{line} not in {edges:?}");
    let related = cycles[0]["relatedInformation"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(related.len(), 1, "{:?}", cycles[0]);
    let other = related[0]["location"]["range"]["start"]["line"]
        .as_u64()
        .unwrap_or(0);
    assert!(edges.contains(&other) && other != line, "{:?}", cycles[0]);
}
