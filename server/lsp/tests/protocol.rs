//! The language server's protocol, end to end: the real server (`pact-lsp`, the entry `pact lsp`
//! calls) over stdio, driven as an editor drives it — initialize, open, edit, hover, definition,
//! references, completion, rename, code lens, code actions, watched files, a project deleted
//! under it, shutdown and exit.

#[path = "../../../tests/support/lsp_client.rs"]
mod lsp_client;
mod support;

use lsp_client::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

fn caps(utf8: bool, rename_files: bool) -> Value {
    let mut c = json!({
        "workspace": {
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "workspaceEdit": {"documentChanges": true, "resourceOperations": if rename_files { json!(["create", "rename", "delete"]) } else { json!([]) }},
            "codeLens": {"refreshSupport": true}
        },
        "textDocument": {
            "completion": {"completionItem": {"snippetSupport": true}},
            "publishDiagnostics": {"relatedInformation": true, "versionSupport": true}
        }
    });
    if utf8 {
        c["general"] = json!({"positionEncodings": ["utf-8", "utf-16"]});
    }
    c
}

/// A server on a fresh copy of the sample project, initialised and indexed.
struct Session {
    client: LspClient,
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Session {
    fn start(utf8: bool) -> Self {
        Self::start_with(utf8, false, |_| {})
    }

    fn start_with(utf8: bool, rename_files: bool, prepare: impl FnOnce(&Path)) -> Self {
        Self::start_on("sample", utf8, rename_files, prepare)
    }

    fn start_on(
        fixture: &str,
        utf8: bool,
        rename_files: bool,
        prepare: impl FnOnce(&Path),
    ) -> Self {
        let (tmp, root) = support::copy_project(fixture);
        prepare(&root);
        let mut client = LspClient::spawn(&support::server(), &[]);
        client.initialize(
            tmp.path(),
            caps(utf8, rename_files),
            json!({"debounceMs": 10}),
        );
        let indexed = client.wait_notification("pact/indexed", WAIT);
        assert!(
            indexed.is_some(),
            "no pact/indexed\n{}",
            client.stderr_text()
        );
        let checked = client.wait_notification("pact/checked", WAIT);
        assert!(
            checked.is_some(),
            "no pact/checked\n{}",
            client.stderr_text()
        );
        Self {
            client,
            _tmp: tmp,
            root,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn contract(&self, cid: &str) -> PathBuf {
        self.path(&format!(".pact/contracts/{cid}/interface.json"))
    }

    fn tests_py(&self, cid: &str) -> PathBuf {
        self.path(&format!(".pact/contracts/{cid}/tests/contract_test.py"))
    }

    fn at(&mut self, method: &str, uri: &str, pos: Value) -> Value {
        self.client.request(
            method,
            json!({"textDocument": {"uri": uri}, "position": pos}),
        )
    }
}

fn codes(p: &Published) -> Vec<String> {
    p.diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect()
}

fn with_code<'a>(p: &'a Published, code: &str) -> Option<&'a Value> {
    p.diagnostics.iter().find(|d| d["code"] == code)
}

fn range_of(line: u32, start: u32, end: u32) -> Value {
    json!({"start": {"line": line, "character": start}, "end": {"line": line, "character": end}})
}

#[test]
fn initialize_negotiates_the_position_encoding() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (utf8, want) in [(true, "utf-8"), (false, "utf-16")] {
        let mut c = LspClient::spawn(&support::server(), &[]);
        let r = c.initialize(tmp.path(), caps(utf8, false), Value::Null);
        let cap = &r["capabilities"];
        assert_eq!(cap["positionEncoding"], want, "{r}");
        assert_eq!(cap["textDocumentSync"]["change"], 2, "incremental sync");
        for k in [
            "hoverProvider",
            "definitionProvider",
            "referencesProvider",
            "documentSymbolProvider",
            "workspaceSymbolProvider",
        ] {
            assert_eq!(cap[k], true, "{k}: {r}");
        }
        assert_eq!(cap["renameProvider"]["prepareProvider"], true);
        assert!(cap["completionProvider"].is_object());
        assert!(cap["codeLensProvider"].is_object());
        assert_eq!(cap["codeActionProvider"]["codeActionKinds"][0], "quickfix");
        // Watchers are registered dynamically; the server logs to the client.
        assert!(c.wait_notification("pact/indexed", WAIT).is_some());
        let logged = |c: &LspClient| {
            c.notifications.iter().any(|(_, n)| {
                n["method"] == "window/logMessage"
                    && n["params"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("indexed"))
            })
        };
        let deadline = std::time::Instant::now() + WAIT;
        while !logged(&c) && std::time::Instant::now() < deadline {
            c.drain(Duration::from_millis(20));
        }
        assert!(logged(&c), "no window/logMessage about the index");
        let status = c.shutdown_and_exit();
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "{}",
            c.stderr_text()
        );
        assert!(
            c.server_requests
                .iter()
                .any(|r| r["method"] == "client/registerCapability"),
            "{:?}",
            c.server_requests
        );
    }
}

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
    // Published once, on the edge that closes the cycle (here, tokenizer's new edge), with the
    // other edge as related information.
    let on_t = s
        .client
        .wait_diagnostics(&tu, WAIT, cycle)
        .expect("cycle on tokenizer's edge");
    let d = with_code(&on_t, "dependency-cycle")
        .cloned()
        .unwrap_or_default();
    let related = d["relatedInformation"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(related.len(), 1, "{d}");
    assert_eq!(related[0]["location"]["uri"], cu.as_str(), "{d}");
    assert!(
        !s.client
            .diagnostics
            .get(&cu)
            .and_then(|v| v.last())
            .is_some_and(cycle),
        "the cycle was published twice"
    );
    let edited = ttext.replacen("\"dependencies\": []", "\"dependencies\": [\"counter\"]", 1);
    let at = edited.find("\"counter\"").expect("edge");
    let (l, c) = position(&edited, at);
    assert_eq!(d["range"], range_of(l, c, c + 9), "{d}");
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

#[test]
fn rapid_incremental_edits_end_in_the_clients_text() {
    let mut s = Session::start(false);
    let path = s.contract("formatter");
    let mut model = std::fs::read_to_string(&path).expect("read");
    let uri = s.client.open_text(&path, "json", &model);
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let inserts = ["a", "é", "𝄞", "\n", "\"", "{", "ß\n€", ""];
    for v in 2..=201i64 {
        // A random range of the current text, in UTF-16 positions.
        let len = model.len();
        let mut a = (next() as usize) % (len + 1);
        let mut b = (a + (next() as usize) % 4).min(len);
        while !model.is_char_boundary(a) {
            a -= 1;
        }
        while !model.is_char_boundary(b) {
            b += 1;
        }
        let (l1, c1) = position(&model, a);
        let (l2, c2) = position(&model, b);
        let t = inserts[(next() as usize) % inserts.len()];
        s.client.change(&uri, v, [l1, c1, l2, c2], t);
        model.replace_range(a..b, t);
    }
    let got = s
        .client
        .request("pact/debugText", json!({"textDocument": {"uri": uri}}));
    assert_eq!(got["version"], 201);
    assert_eq!(got["text"].as_str(), Some(model.as_str()));
    // Debounced: the diagnostics that arrive are for the last version.
    let p = s
        .client
        .wait_diagnostics(&uri, WAIT, |p| p.version == Some(201));
    assert!(
        p.is_some(),
        "{:?}",
        s.client
            .diagnostics
            .get(&uri)
            .map(|v| v.iter().map(|p| p.version).collect::<Vec<_>>())
    );
    let versions: Vec<Option<i64>> = s
        .client
        .diagnostics
        .get(&uri)
        .map(|v| v.iter().map(|p| p.version).collect())
        .unwrap_or_default();
    assert!(
        versions.len() < 20,
        "re-checks were not debounced: {versions:?}"
    );
}

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

#[test]
fn watched_file_changes_on_disk() {
    let mut s = Session::start(false);
    let path = s.contract("formatter");
    let u = uri(&path);
    let text = std::fs::read_to_string(&path).expect("read");
    let broken = text.replacen("\"type_ref\": \"str\"", "\"type_ref\": \"Strng\"", 1);
    assert_ne!(broken, text);
    std::fs::write(&path, &broken).expect("write");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": u, "type": 2}]}),
    );
    let p = s
        .client
        .wait_diagnostics(&u, WAIT, |p| with_code(p, "unresolved-type").is_some());
    assert!(p.is_some(), "{}", s.client.stderr_text());
    std::fs::write(&path, &text).expect("write");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": u, "type": 2}]}),
    );
    assert!(
        s.client
            .wait_diagnostics(&u, WAIT, |p| p.diagnostics.is_empty())
            .is_some()
    );
    // New test results on disk: code lenses are refreshed and show them.
    let results = s.path(".pact/implementations/formatter/test_results.json");
    std::fs::write(
        &results,
        json!({"total": 4, "passed": 4, "failed": 0, "errors": 0}).to_string(),
    )
    .expect("write");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&results), "type": 1}]}),
    );
    let refreshed = |c: &LspClient| {
        c.server_requests
            .iter()
            .any(|r| r["method"] == "workspace/codeLens/refresh")
    };
    let deadline = std::time::Instant::now() + WAIT;
    while !refreshed(&s.client) && std::time::Instant::now() < deadline {
        s.client.drain(Duration::from_millis(20));
    }
    assert!(refreshed(&s.client), "no workspace/codeLens/refresh");
    let lenses = s
        .client
        .request("textDocument/codeLens", json!({"textDocument": {"uri": u}}));
    assert!(
        lenses[1]["command"]["title"]
            .as_str()
            .unwrap_or("")
            .ends_with("4 passed · 0 failed"),
        "{lenses}"
    );
    // A new component directory appears: the project is read again.
    let dir = s.path(".pact/contracts/extra");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("interface.json"), "{\"component_id\": \"extra\", \"name\": \"X\", \"description\": \"\", \"functions\": [{\"name\": \"f\", \"description\": \"\", \"inputs\": [], \"output_type\": \"Nope\"}]}").expect("write");
    s.client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri(&dir), "type": 1}, {"uri": uri(&dir.join("interface.json")), "type": 1}]}));
    let p = s
        .client
        .wait_diagnostics(&uri(&dir.join("interface.json")), WAIT, |p| {
            with_code(p, "unresolved-type").is_some()
        });
    assert!(p.is_some());
}

#[test]
fn survives_the_project_being_deleted_under_it() {
    let mut s = Session::start(false);
    let path = s.contract("counter");
    let text = std::fs::read_to_string(&path).expect("read");
    let u = s.client.open(&path, "json");
    s.client
        .change_full(&u, 2, &text.replacen("\"WordCountList\"", "\"Nope\"", 1));
    assert!(
        s.client
            .wait_diagnostics(&u, WAIT, |p| with_code(p, "unresolved-type").is_some())
            .is_some()
    );
    let moved = s.root.with_file_name("renamed");
    std::fs::rename(&s.root, &moved).expect("rename");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&s.root), "type": 3}, {"uri": uri(&moved), "type": 1}]}),
    );
    // Its diagnostics are withdrawn…
    assert!(
        s.client
            .wait_diagnostics(&u, WAIT, |p| p.diagnostics.is_empty())
            .is_some(),
        "{}",
        s.client.stderr_text()
    );
    // …requests on the orphaned buffer answer without harm…
    let h = s.at("textDocument/hover", &u, json!({"line": 3, "character": 5}));
    assert!(h.is_null());
    s.client.change_full(&u, 3, "{ not json");
    s.client.drain(Duration::from_millis(100));
    // …and the renamed project is picked up.
    let moved_contract = moved.join(".pact/contracts/formatter/interface.json");
    let mu = s.client.open(&moved_contract, "json");
    let mtext = std::fs::read_to_string(&moved_contract).expect("read");
    s.client.change_full(
        &mu,
        2,
        &mtext.replacen("\"type_ref\": \"str\"", "\"type_ref\": \"Strng\"", 1),
    );
    assert!(
        s.client
            .wait_diagnostics(&mu, WAIT, |p| with_code(p, "unresolved-type").is_some())
            .is_some(),
        "{}",
        s.client.stderr_text()
    );
    std::fs::remove_dir_all(&moved).expect("rm");
    s.client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&moved), "type": 3}]}),
    );
    assert!(
        s.client
            .wait_diagnostics(&mu, WAIT, |p| p.diagnostics.is_empty())
            .is_some()
    );
    assert_eq!(s.client.shutdown_and_exit().and_then(|s| s.code()), Some(0));
}

#[test]
fn garbage_input_does_not_kill_it() {
    let mut s = Session::start(false);
    // Not JSON at all, a JSON-RPC message of the wrong shape, binary text in a buffer.
    s.client.send_raw(b"\xff\xfe not json");
    s.client.send_raw(
        br#"{"jsonrpc":"2.0","id":99,"method":"textDocument/hover","params":{"bogus":true}}"#,
    );
    let path = s.contract("counter");
    let junk: String = (0..2000u32)
        .map(|i| char::from_u32((i * 7919) % 0x2FFF).unwrap_or('x'))
        .collect();
    let u = s.client.open_text(&path, "json", &junk);
    for v in 2..30 {
        s.client
            .change(&u, v, [v as u32 % 5, 1000, 0, 3], "\u{0}\"[{");
        s.client.change(&u, v, [99, 99, 0, 0], "}");
    }
    for line in 0..5u32 {
        for m in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
            "textDocument/prepareRename",
        ] {
            let r = s.client.request_raw(m, json!({"textDocument": {"uri": u}, "position": {"line": line, "character": line * 7}}));
            assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
        }
    }
    let syms = s.client.request_raw(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    assert!(syms.get("result").is_some(), "{syms}");
    assert_eq!(
        s.client.shutdown_and_exit().and_then(|s| s.code()),
        Some(0),
        "{}",
        s.client.stderr_text()
    );
}

#[test]
fn exits_without_shutdown_when_the_client_goes_away() {
    let s = Session::start(false);
    let mut c = s.client;
    c.close_stdin();
    let status = c.wait_exit(Duration::from_secs(10));
    assert!(status.is_some(), "still running after stdin closed");
}
