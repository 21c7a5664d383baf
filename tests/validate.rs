//! The validation gate end to end: the real `pact validate` on the reference projects (same
//! details as the original) and on projects broken in every way we check.

use crate::support;
#[cfg(unix)]
use crate::support::special_files;

use serde_json::{Value, json};
use support::*;

#[test]
fn reference_projects_give_the_originals_details() {
    for entry in std::fs::read_dir(fixtures()).expect("fixtures") {
        let path = entry.expect("entry").path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".expected.json"))
        else {
            continue;
        };
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let (code, got) = validate_json(&fixtures().join(name));
        assert_eq!(got["passed"], expected["passed"], "{name}: {got:#}");
        assert_eq!(got["reason"], expected["reason"], "{name}");
        assert_eq!(
            code,
            if expected["passed"] == true { 0 } else { 1 },
            "{name}"
        );
        let details: Vec<&str> = got["details"]
            .as_array()
            .expect("details")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for want in expected["details"]
            .as_array()
            .expect("details")
            .iter()
            .filter_map(Value::as_str)
        {
            // Syntax-error text may differ after the component name and the line.
            let found = match want.split_once(" has syntax error in generated code: ") {
                Some((head, tail)) => {
                    let line = tail
                        .rsplit_once("line ")
                        .map(|(_, l)| l.trim_end_matches(')'))
                        .unwrap_or("");
                    details
                        .iter()
                        .any(|d| d.starts_with(head) && d.contains(&format!("line {line})")))
                }
                None => details.contains(&want),
            };
            assert!(found, "{name}: missing {want:?} in {details:#?}");
        }
        // Every diagnostic is located.
        for d in got["diagnostics"].as_array().expect("diagnostics") {
            assert!(
                d["file"].as_str().is_some_and(|f| !f.is_empty()),
                "{name}: {d}"
            );
        }
    }
}

#[test]
fn syntax_error_points_at_the_exact_position_in_the_test_file() {
    let (code, v) = validate_json(&fixtures().join("broken_test_syntax"));
    assert_eq!(code, 1);
    let d = with_code(&v, "test-syntax");
    let on_disk = d
        .iter()
        .find(|d| {
            d["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("contract_test.py"))
        })
        .expect("file finding");
    assert_eq!(
        (on_disk["line"].as_u64(), on_disk["column"].as_u64()),
        (Some(17), Some(28)),
        "{on_disk}"
    );
}

#[test]
fn unresolved_types_are_underlined_at_the_name_with_a_suggestion() {
    let (_, v) = validate_json(&fixtures().join("broken_unresolved_type"));
    let d = with_code(&v, "unresolved-type");
    assert_eq!(d.len(), 3);
    let top_n = d
        .iter()
        .find(|d| {
            d["message"]
                .as_str()
                .is_some_and(|m| m.contains("WordCounts"))
        })
        .expect("top_n");
    // `"list[WordCounts]"`: the name starts 6 columns into the string value.
    let (col, end) = (
        top_n["column"].as_u64().unwrap_or(0),
        top_n["end_column"].as_u64().unwrap_or(0),
    );
    assert_eq!(end - col, "WordCounts".len() as u64);
}

#[test]
fn cycles_through_contract_dependencies_are_errors() {
    let (_tmp, dir) = copy_project("sample");
    edit(&dir.join(".pact/contracts/tokenizer/interface.json"), |c| {
        c["dependencies"] = json!(["counter"])
    });
    edit(&dir.join(".pact/contracts/counter/interface.json"), |c| {
        c["dependencies"] = json!(["tokenizer"])
    });
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    let d = with_code(&v, "dependency-cycle");
    assert_eq!(d.len(), 1, "{v:#}");
    let msg = d[0]["message"].as_str().unwrap_or("");
    assert!(
        msg == "Contract dependency cycle detected: tokenizer -> counter -> tokenizer",
        "{msg}"
    );
}

#[test]
fn corrupt_and_half_written_json_is_an_error_with_its_position() {
    let (_tmp, dir) = copy_project("sample");
    let path = dir.join(".pact/contracts/counter/interface.json");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, &text[..text.len() / 2]).expect("write");
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    let d = with_code(&v, "json-syntax");
    assert_eq!(d.len(), 1, "{v:#}");
    assert!(
        d[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("truncated")),
        "{}",
        d[0]
    );
    assert!(d[0]["line"].as_u64().is_some_and(|l| l > 1));
    // Half-written is not "missing".
    assert!(with_code(&v, "missing-contract").is_empty());
}

#[test]
fn wrong_types_and_unknown_enum_values_are_schema_errors() {
    let (_tmp, dir) = copy_project("sample");
    edit(&dir.join(".pact/contracts/counter/interface.json"), |c| {
        c["functions"][0]["output_type"] = json!(42)
    });
    edit(
        &dir.join(".pact/contracts/tokenizer/tests/contract_test_suite.json"),
        |s| s["test_cases"][0]["category"] = json!("happy"),
    );
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    let d = with_code(&v, "json-schema");
    assert_eq!(d.len(), 2, "{v:#}");
    let msgs: Vec<&str> = d.iter().filter_map(|d| d["message"].as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("functions[0].output_type: invalid type: integer `42`")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("test_cases[0].category: unknown variant `happy`")),
        "{msgs:?}"
    );
}

#[test]
fn path_traversal_ids_are_rejected() {
    let (_tmp, dir) = copy_project("sample");
    edit(&dir.join(".pact/decomposition/tree.json"), |t| {
        let node = t["nodes"]["counter"].clone();
        t["nodes"]["../../etc"] = node;
        t["nodes"]["wordfreq"]["children"]
            .as_array_mut()
            .expect("children")
            .push(json!("../../etc"));
    });
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    let d = with_code(&v, "invalid-component-id");
    assert!(!d.is_empty(), "{v:#}");
    assert!(
        d[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("../../etc"))
    );
}

#[test]
fn binary_garbage_and_huge_files_are_clear_errors() {
    let (_tmp, dir) = copy_project("sample");
    std::fs::write(
        dir.join(".pact/contracts/counter/interface.json"),
        [0u8, 159, 146, 150, 255, 0, 1],
    )
    .expect("write");
    let big = format!(
        "{{\"component_id\": \"tokenizer\", \"pad\": \"{}\"}}",
        "x".repeat(50 * 1024 * 1024)
    );
    std::fs::write(dir.join(".pact/contracts/tokenizer/interface.json"), big).expect("write");
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    let msgs: Vec<&str> = with_code(&v, "unreadable-file")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(msgs.iter().any(|m| m.contains("not UTF-8")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("too large")), "{msgs:?}");
}

/// The original saves every contract into its tree node after the contract phase, so the tree of
/// a project of ~1,100 components or more is over the 16 MB every other document is held to. It
/// is read (and its copies of the contracts are not what the gate checks).
#[test]
fn an_original_tree_carrying_every_contract_over_16_mb_is_read() {
    let (_tmp, dir) = copy_project("sample");
    let path = dir.join(".pact/decomposition/tree.json");
    let mut tree: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("tree")).expect("json");
    // One node carries the big copy; the text is written and freed before `pact` starts (a
    // child forked while this process holds it would count it in its own peak memory).
    {
        let root = tree["root_id"].as_str().expect("root").to_string();
        tree["nodes"][&root]["contract"] =
            serde_json::json!({"component_id": root, "description": "x".repeat(17 << 20)});
        let text = serde_json::to_string_pretty(&tree).expect("json");
        assert!(text.len() > 16 << 20);
        std::fs::write(&path, text).expect("write");
    }
    drop(tree);
    let (code, v) = validate_json(&dir);
    assert!(with_code(&v, "unreadable-file").is_empty(), "{v:#}");
    assert_eq!(code, 0, "{v:#}");
}

/// Issue #15: a contract linked to `/dev/zero` took `pact validate` to 17.8 GB, a FIFO for
/// `tree.json` hung it forever, and unreadable test files passed the gate. Now every special
/// file is one positioned `unreadable-file` finding, at once and in little memory.
#[cfg(unix)]
#[test]
fn special_files_are_each_an_unreadable_finding_at_once() {
    let (_tmp, dir) = copy_project("sample");
    let planted = special_files::plant(&dir);
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_pact"));
    let dir_s = dir.to_str().expect("utf-8 path");
    let run = special_files::run_bounded(
        bin,
        &["validate", dir_s, "--json"],
        None,
        std::time::Duration::from_secs(20),
    );
    assert!(
        run.code.is_some(),
        "pact validate was still running after {:?} (killed)\n{}",
        run.elapsed,
        run.stderr
    );
    eprintln!(
        "pact validate on {} special files: {:?}, peak RSS {} KiB",
        planted.len(),
        run.elapsed,
        run.max_rss_kb
    );
    // The target is well under a second (about 20 ms here); the slack is for a loaded machine.
    assert!(
        run.elapsed < std::time::Duration::from_secs(3),
        "{:?}",
        run.elapsed
    );
    assert!(
        run.max_rss_kb < 200 * 1024,
        "peak RSS {} KiB",
        run.max_rss_kb
    );
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    let found = with_code(&v, "unreadable-file");
    for p in &planted {
        let here: Vec<&&Value> = found.iter().filter(|d| d["file"] == p.file).collect();
        assert_eq!(
            here.len(),
            1,
            "{}: {here:#?}\n{:#}",
            p.file,
            v["diagnostics"]
        );
        let d = here[0];
        assert!(
            d["message"].as_str().is_some_and(|m| m.starts_with(p.says)),
            "{}: {}",
            p.file,
            d["message"]
        );
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(d["severity"], "error");
    }
    assert_eq!(found.len(), planted.len(), "{found:#?}");
    assert_eq!(v["passed"], false);
    // The text output says the same, and never "PASSED".
    let text = pact(&["validate", dir_s]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("Validation FAILED"), "{}", text.stdout);
    assert!(
        text.stdout
            .contains("error[unreadable-file]: test_nul.py of 'wordfreq' is binary")
    );
}

/// The other commands that read the same documents answer at once too (an error naming the
/// file where they need it), in little memory: none blocks on a FIFO or reads a device.
#[cfg(unix)]
#[test]
fn special_files_never_hang_a_command() {
    let (_tmp, dir) = copy_project("sample");
    special_files::plant(&dir);
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_pact"));
    let d = dir.to_str().expect("utf-8 path");
    let commands: [&[&str]; 7] = [
        &["status", d],
        &["tree", d],
        &["design", d],
        &["components", d],
        &["certify", "--verify", d],
        &["log", d],
        &["health", d],
    ];
    for args in commands {
        let run = special_files::run_bounded(bin, args, None, std::time::Duration::from_secs(20));
        assert!(
            run.code.is_some(),
            "pact {args:?} was still running after {:?} (killed)",
            run.elapsed
        );
        assert!(
            run.max_rss_kb < 200 * 1024,
            "pact {args:?}: {} KiB",
            run.max_rss_kb
        );
        assert!(
            !run.stderr.contains("panicked"),
            "pact {args:?}: {}",
            run.stderr
        );
    }
    let status = pact(&["status", d]);
    assert_eq!(status.code, 2);
    assert!(
        status
            .stderr
            .contains("state.json is a FIFO (named pipe), not a regular file"),
        "{}",
        status.stderr
    );
    for cmd in ["tree", "design"] {
        let run = pact(&[cmd, d]);
        assert_eq!(run.code, 2, "{cmd}");
        assert!(
            run.stderr
                .contains("tree.json is a FIFO (named pipe), not a regular file"),
            "{cmd}: {}",
            run.stderr
        );
    }
    // pact.yaml is read by every command: a FIFO there is an error naming it (it was silently
    // "no config", or a hang).
    let yaml = dir.join("pact.yaml");
    std::fs::remove_file(&yaml).expect("rm pact.yaml");
    special_files::mkfifo(&yaml);
    for cmd in ["validate", "status"] {
        let run =
            special_files::run_bounded(bin, &[cmd, d], None, std::time::Duration::from_secs(20));
        assert_eq!(run.code, Some(2), "{cmd}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("pact.yaml is a FIFO (named pipe), not a regular file"),
            "{cmd}: {}",
            run.stderr
        );
    }
}

#[test]
fn empty_and_missing_projects() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = pact(&["validate", tmp.path().to_str().unwrap_or("."), "--json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a Pact project"), "{}", run.stderr);
    let run = pact(&["validate", "/nonexistent/pact-project"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no such directory"), "{}", run.stderr);
    // A freshly initialised project: not decomposed yet.
    let dir = tmp.path().join("p");
    assert_eq!(pact(&["init", dir.to_str().unwrap_or(".")]).code, 0);
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    assert_eq!(with_code(&v, "missing-tree").len(), 1);
}

#[test]
fn toothless_tests_and_unknown_functions() {
    let (_tmp, dir) = copy_project("sample");
    let test_py = dir.join(".pact/contracts/counter/tests/contract_test.py");
    let mut code = std::fs::read_to_string(&test_py).expect("read");
    code.push_str("\n\ndef test_tc099_no_teeth():\n    count_tokens([])\n\n\ndef test_tc098_ghost():\n    assert rank_words([]) == []\n");
    std::fs::write(&test_py, code).expect("write");
    edit(
        &dir.join(".pact/contracts/counter/tests/contract_test_suite.json"),
        |s| s["test_cases"][0]["function"] = json!("count_tokenz"),
    );
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1, "{v:#}");
    let toothless = with_code(&v, "toothless-test");
    assert_eq!(toothless.len(), 1, "{v:#}");
    assert_eq!(toothless[0]["severity"], "warning");
    assert!(
        toothless[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("test_tc099_no_teeth"))
    );
    let unknown = with_code(&v, "unknown-function");
    let msgs: Vec<&str> = unknown
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("calls 'rank_words'")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("tests function 'count_tokenz'")),
        "{msgs:?}"
    );
    let details: Vec<&str> = v["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("[warning] Test 'test_tc099_no_teeth'")),
        "{details:?}"
    );
}

#[test]
fn typescript_test_files_are_parsed_too() {
    let (_tmp, dir) = copy_project("sample");
    std::fs::write(
        dir.join(".pact/contracts/formatter/tests/contract_test.test.ts"),
        "import { expect, it } from 'vitest';\nit('renders', () => {\n  expect(formatReport([], 'text')).toBe('';\n});\n",
    )
    .expect("write");
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    let d = with_code(&v, "test-syntax");
    assert_eq!(d.len(), 1, "{v:#}");
    assert!(
        d[0]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("contract_test.test.ts"))
    );
    assert_eq!(d[0]["line"].as_u64(), Some(3));
}

#[test]
fn stale_tests_and_distant_dependencies_warn() {
    let (_tmp, dir) = copy_project("sample");
    edit(&dir.join(".pact/contracts/counter/interface.json"), |c| {
        c["version"] = json!(2)
    });
    // Nest formatter under counter and make it depend on a new node under tokenizer (a cousin).
    edit(&dir.join(".pact/decomposition/tree.json"), |t| {
        t["nodes"]["wordfreq"]["children"] = json!(["tokenizer", "counter"]);
        t["nodes"]["counter"]["children"] = json!(["formatter"]);
        t["nodes"]["formatter"]["parent_id"] = json!("counter");
        t["nodes"]["formatter"]["depth"] = json!(2);
        let mut leaf = t["nodes"]["formatter"].clone();
        leaf["component_id"] = json!("splitter");
        leaf["parent_id"] = json!("tokenizer");
        t["nodes"]["splitter"] = leaf;
        t["nodes"]["tokenizer"]["children"] = json!(["splitter"]);
    });
    let src = dir.join(".pact/contracts/formatter");
    let dst = dir.join(".pact/contracts/splitter");
    copy_dir(&src, &dst);
    edit(&dst.join("interface.json"), |c| {
        c["component_id"] = json!("splitter")
    });
    edit(&dst.join("tests/contract_test_suite.json"), |s| {
        s["component_id"] = json!("splitter")
    });
    edit(&src.join("interface.json"), |c| {
        c["dependencies"] = json!(["splitter"])
    });
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(with_code(&v, "stale-tests").len(), 1, "{v:#}");
    let distant = with_code(&v, "distant-dependency");
    // wordfreq → formatter (now a grandchild) and formatter → splitter (a cousin).
    assert_eq!(distant.len(), 2, "{v:#}");
    assert!(distant.iter().filter_map(|d| d["message"].as_str()).any(|m| m.starts_with("Distant dependency: 'formatter' (Word Frequency Report > Word Counter > Report Formatter) depends on 'splitter'")), "{v:#}");
}

#[test]
fn dangling_children_and_missing_root() {
    let (_tmp, dir) = copy_project("sample");
    edit(&dir.join(".pact/decomposition/tree.json"), |t| {
        t["nodes"]["wordfreq"]["children"]
            .as_array_mut()
            .expect("children")
            .push(json!("ghost"));
        t["root_id"] = json!("nothing");
    });
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    let details = v["details"].to_string();
    assert!(
        details.contains("Child 'ghost' of 'wordfreq' not found in tree"),
        "{details}"
    );
    assert!(
        details.contains("Root node 'nothing' not found in tree"),
        "{details}"
    );
}

#[test]
fn newer_root_layout_is_read_too() {
    let (_tmp, seed) = copy_project("sample");
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("newer");
    std::fs::create_dir_all(dir.join("tests")).expect("mkdir");
    for f in ["task.md", "sops.md", "pact.yaml"] {
        std::fs::copy(seed.join(f), dir.join(f)).expect("copy");
    }
    copy_dir(
        &seed.join(".pact/decomposition"),
        &dir.join("decomposition"),
    );
    for cid in ["wordfreq", "tokenizer", "counter", "formatter"] {
        let c = seed.join(".pact/contracts").join(cid);
        std::fs::create_dir_all(dir.join("contracts").join(cid)).expect("mkdir");
        std::fs::copy(
            c.join("interface.json"),
            dir.join("contracts").join(cid).join("interface.json"),
        )
        .expect("copy");
        copy_dir(&c.join("tests"), &dir.join("tests").join(cid));
    }
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 0, "{v:#}");
    std::fs::remove_file(dir.join("tests/counter/contract_test_suite.json")).expect("rm");
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    assert_eq!(
        v["details"],
        json!(["Component 'counter' missing test suite"])
    );
}

/// Loading and saving every reference JSON document changes no field.
#[test]
fn round_trip_keeps_every_field() {
    use pact_core::model::*;
    fn subset(orig: &Value, saved: &Value, at: &str) {
        match (orig, saved) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in a {
                    let w = b.get(k).unwrap_or_else(|| panic!("{at}.{k} dropped"));
                    subset(v, w, &format!("{at}.{k}"));
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                assert_eq!(a.len(), b.len(), "{at}");
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    subset(x, y, &format!("{at}[{i}]"));
                }
            }
            (Value::Number(a), Value::Number(b)) => assert_eq!(a.as_f64(), b.as_f64(), "{at}"),
            _ => assert_eq!(orig, saved, "{at}"),
        }
    }
    fn check<T: serde::de::DeserializeOwned + serde::Serialize>(path: &std::path::Path) -> usize {
        let text = std::fs::read_to_string(path).expect("read");
        let orig: Value = serde_json::from_str(&text).expect("json");
        let model: T =
            pact_core::json::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let saved = serde_json::to_value(&model).expect("ser");
        subset(&orig, &saved, &path.display().to_string());
        // And a second round trip is a fixed point.
        let again: T = serde_json::from_value(saved.clone()).expect("reparse");
        assert_eq!(serde_json::to_value(&again).expect("ser"), saved);
        1
    }
    let mut n = 0;
    let mut stack = vec![fixtures()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            n += match p.file_name().and_then(|f| f.to_str()).unwrap_or("") {
                "interface.json" => check::<ComponentContract>(&p),
                "contract_test_suite.json" => check::<ContractTestSuite>(&p),
                "tree.json" => check::<DecompositionTree>(&p),
                "state.json" => check::<RunState>(&p),
                "test_results.json" => check::<TestResults>(&p),
                _ => 0,
            };
        }
    }
    assert!(n > 50, "only {n} documents checked");
}

#[test]
fn unknown_fields_survive_a_save() {
    let text = r#"{"component_id": "c", "name": "C", "description": "", "future_field": {"x": [1, 2]},
        "functions": [{"name": "f", "description": "", "inputs": [], "output_type": "int", "new_flag": true}]}"#;
    let c: pact_core::model::ComponentContract = pact_core::json::parse(text).expect("parse");
    let saved = serde_json::to_value(&c).expect("ser");
    assert_eq!(saved["future_field"], json!({"x": [1, 2]}));
    assert_eq!(saved["functions"][0]["new_flag"], json!(true));
}

#[test]
fn incomplete_contracts_are_errors() {
    let (_tmp, dir) = copy_project("sample");
    edit(&dir.join(".pact/contracts/tokenizer/interface.json"), |c| {
        c["name"] = json!("")
    });
    edit(&dir.join(".pact/contracts/formatter/interface.json"), |c| {
        c["functions"] = json!([])
    });
    edit(&dir.join(".pact/contracts/counter/interface.json"), |c| {
        c["functions"][1]["output_type"] = json!("")
    });
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 1);
    let msgs: Vec<&str> = with_code(&v, "incomplete-contract")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert_eq!(
        msgs,
        vec![
            "Contract missing name",
            "Function 'top_n' in 'counter' missing output_type",
            "Contract 'formatter' has no functions defined"
        ],
        "{v:#}"
    );
}
