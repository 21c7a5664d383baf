//! The contract boundary end to end, on the reference sample: each component's contract tests
//! run against its implementation in another sandboxed process, through generated proxies.

use crate::support;

use pact_core::model::{ComponentContract, TestLanguage};
use pact_engine::harness::{TestJob, run};
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/reference/sample/.pact")
}

fn contract(cid: &str) -> ComponentContract {
    let p = sample().join(format!("contracts/{cid}/interface.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("contract")
}

/// The component's tests, its sources and its dependencies', and the contracts they cross.
fn job(cid: &str, deps: &[&str]) -> TestJob {
    let s = sample();
    let mut src = vec![s.join(format!("implementations/{cid}/src"))];
    let mut contracts = vec![contract(cid)];
    for d in deps {
        src.push(s.join(format!("implementations/{d}/src")));
        contracts.push(contract(d));
    }
    TestJob::new(
        TestLanguage::Python,
        vec![s.join(format!("contracts/{cid}/tests/contract_test.py"))],
        src,
    )
    .with_contracts(contracts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_passes_across_the_boundary() {
    let opts = support::runtime::python_options();
    for (cid, deps) in [
        ("tokenizer", vec![]),
        ("counter", vec!["tokenizer"]),
        ("formatter", vec![]),
        ("wordfreq", vec!["tokenizer", "counter", "formatter"]),
    ] {
        let r = run(&job(cid, &deps), &opts, &CancellationToken::new())
            .await
            .expect("run");
        // wordfreq's suite patches its module's imports (delegation tests): in-process, said so.
        assert_eq!(r.boundary, cid != "wordfreq", "{cid}");
        assert!(
            r.results.all_passed() && r.results.total > 0,
            "{cid}: {:#?}\n{}\n{}",
            r.results.failure_details,
            r.stdout,
            r.stderr
        );
    }
}

/// A component `counter` with its own contract; `code` is its implementation, `tests` its suite.
fn counter_job(dir: &Path, code: &str, tests: &str) -> TestJob {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("counter.py"), code).expect("write");
    let t = dir.join("contract_test.py");
    std::fs::write(&t, tests).expect("write");
    TestJob::new(TestLanguage::Python, vec![t], vec![src]).with_contracts(vec![contract("counter")])
}

const HONEST: &str = "from dataclasses import dataclass\n\n@dataclass\nclass WordCount:\n    word: str\n    count: int\n\ndef count_tokens(tokens):\n    out = {}\n    for t in tokens:\n        out[t.text] = out.get(t.text, 0) + 1\n    return out\n\ndef top_n(counts, n):\n    if n < 1:\n        raise ValueError('n must be >= 1')\n    return [WordCount(w, c) for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_checked_against_the_contract_and_errors_keep_their_names() {
    let tmp = tempfile::tempdir().expect("tmp");
    // top_n returns counts as strings: not the contract's WordCount.count: int.
    let bad = HONEST.replace("WordCount(w, c)", "WordCount(w, str(c))");
    let tests = "from counter import *\nimport pytest\n\ndef test_rank():\n    assert [r.word for r in top_n({'a': 2, 'b': 1}, 1)] == ['a']\n\ndef test_negative():\n    with pytest.raises(ValueError):\n        top_n({}, 0)\n";
    let opts = support::runtime::python_options();
    let r = run(
        &counter_job(tmp.path(), &bad, tests),
        &opts,
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    assert_eq!(
        (r.results.passed, r.results.total),
        (1, 2),
        "{:#?}\n{}\n{}",
        r.results,
        r.stdout,
        r.stderr
    );
    let msg = &r.results.failure_details[0].error_message;
    assert!(
        msg.contains("[0].count") && msg.contains("expected int"),
        "{msg}"
    );
    // The honest one passes both, the ValueError crossing by name.
    let tmp2 = tempfile::tempdir().expect("tmp");
    let r = run(
        &counter_job(tmp2.path(), HONEST, tests),
        &opts,
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    assert!(
        r.results.all_passed() && r.results.total == 2,
        "{:#?}",
        r.results
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_implementation_fails_its_tests_and_cannot_see_them() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Looks for its tests everywhere it can reach, then dies mid-call.
    let code = format!(
        "{HONEST}\nimport os\nfound = []\nfor root in ['/', os.getcwd(), os.path.dirname(__file__) + '/../..']:\n    for dp, dn, fn in os.walk(root):\n        if dp.startswith(('/proc', '/sys', '/usr', '/dev')):\n            continue\n        found += [f for f in fn if f.startswith(('contract_test', 'hidden_test'))]\n_real = count_tokens\ndef count_tokens(tokens):\n    if found:\n        raise RuntimeError('saw tests: %r' % found[:3])\n    os._exit(3)\n"
    );
    let tests = "from counter import *\n\ndef test_count():\n    assert count_tokens([]) == {}\n\ndef test_rank():\n    assert top_n({'a': 1}, 1)[0].word == 'a'\n";
    let r = run(
        &counter_job(tmp.path(), &code, tests),
        &support::runtime::python_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    let text = format!("{:#?}", r.results.failure_details);
    assert!(!text.contains("saw tests"), "{text}");
    assert!(text.contains("ComponentCrashed"), "{text}");
    // The process is gone: every later call fails too.
    assert_eq!(r.results.passed, 0, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_correct_dummies_expose_tests_that_accept_anything() {
    use pact_engine::harness::Dummy;
    let opts = support::runtime::python_options();
    let weak = "from counter import *\n\ndef test_shape():\n    assert isinstance(count_tokens([Token(text='a', position=0)]), dict)\n\ndef test_value():\n    assert count_tokens([Token(text='a', position=0)]) == {'a': 1}\n\ndef test_empty():\n    assert count_tokens([]) == {}\n";
    let mut passing_both: Option<Vec<String>> = None;
    for d in [Dummy::Zero, Dummy::One] {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut job = counter_job(tmp.path(), HONEST, weak);
        job.dummy = Some(d);
        let r = run(&job, &opts, &CancellationToken::new())
            .await
            .expect("run");
        let failed: Vec<&str> = r
            .results
            .failure_details
            .iter()
            .map(|f| f.test_id.as_str())
            .collect();
        let ok: Vec<String> = r
            .cases
            .iter()
            .filter(|c| !failed.contains(&c.as_str()))
            .cloned()
            .collect();
        passing_both = Some(match passing_both {
            None => ok,
            Some(prev) => prev.into_iter().filter(|c| ok.contains(c)).collect(),
        });
    }
    // Only the shape-only test accepts both dummies; the empty case passes only the first.
    let both = passing_both.unwrap_or_default();
    assert_eq!(both.len(), 1, "{both:?}");
    assert!(both[0].ends_with("test_shape"), "{both:?}");
}

// ── TypeScript (vitest) and JavaScript (node:test) across the boundary ──────────────────────

fn ts_options() -> pact_engine::harness::HarnessOptions {
    support::runtime::typescript_options()
}

/// A TypeScript-shaped `counter`: structs, an enum, a dict, an optional input, a built-in and a
/// contract error, an async function.
fn ts_contract() -> ComponentContract {
    serde_json::from_value(serde_json::json!({
        "component_id": "counter", "name": "Counter", "description": "Counts words.",
        "types": [
            {"name": "Token", "kind": "struct", "fields": [
                {"name": "text", "type_ref": "str", "required": true},
                {"name": "position", "type_ref": "int", "required": true}]},
            {"name": "WordCount", "kind": "struct", "fields": [
                {"name": "word", "type_ref": "str", "required": true},
                {"name": "count", "type_ref": "int", "required": true},
                {"name": "share", "type_ref": "float", "required": false}]},
            {"name": "Order", "kind": "enum", "variants": ["count", "alpha"]}
        ],
        "functions": [
            {"name": "countTokens", "description": "Occurrences per text.",
             "inputs": [{"name": "tokens", "type_ref": "list[Token]", "required": true}],
             "output_type": "dict[str, int]"},
            {"name": "topN", "description": "The n most frequent.",
             "inputs": [{"name": "counts", "type_ref": "dict[str, int]", "required": true},
                        {"name": "n", "type_ref": "int", "required": true},
                        {"name": "order", "type_ref": "Order", "required": false}],
             "output_type": "list[WordCount]",
             "error_cases": [{"name": "BadN", "condition": "n < 1", "error_type": "RangeError"},
                             {"name": "Empty", "condition": "no counts", "error_type": "EmptyCounts"}]},
            {"name": "total", "description": "All counts added.", "is_async": true,
             "inputs": [{"name": "counts", "type_ref": "dict[str, int]", "required": true}],
             "output_type": "int"},
            {"name": "find", "description": "A word's count, if counted.",
             "inputs": [{"name": "counts", "type_ref": "dict[str, int]", "required": true},
                        {"name": "word", "type_ref": "str", "required": true}],
             "output_type": "Optional[int]"}
        ]
    }))
    .expect("contract")
}

const TS_HONEST: &str = r#"export interface Token { text: string; position: number }
export interface WordCount { word: string; count: number; share?: number }
export type Order = "count" | "alpha";

export class EmptyCounts extends Error {}

export function countTokens(tokens: Token[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tokens) out[t.text] = (out[t.text] ?? 0) + 1;
  return out;
}

export function topN(counts: Record<string, number>, n: number, order: Order = "count"): WordCount[] {
  if (n < 1) throw new RangeError("n must be >= 1");
  const entries = Object.entries(counts);
  if (entries.length === 0) throw new EmptyCounts("nothing counted");
  entries.sort(order === "alpha" ? (a, b) => a[0].localeCompare(b[0]) : (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.slice(0, n).map(([word, count]) => ({ word, count }));
}

export async function total(counts: Record<string, number>): Promise<number> {
  await new Promise((r) => setTimeout(r, 1));
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export function find(counts: Record<string, number>, word: string): number | undefined {
  return counts[word];
}
"#;

const TS_TESTS: &str = r#"import { describe, expect, test } from "vitest";
import { EmptyCounts, countTokens, find, topN, total } from "counter";
import type { Token } from "counter";

test("test_count", () => {
  const tokens: Token[] = [{ text: "a", position: 0 }, { text: "b", position: 1 }, { text: "a", position: 2 }];
  expect(countTokens(tokens)).toEqual({ a: 2, b: 1 });
});

test("test_rank", () => {
  expect(topN({ a: 2, b: 1 }, 1)).toEqual([{ word: "a", count: 2 }]);
  expect(topN({ b: 2, a: 1 }, 2, "alpha").map((w) => w.word)).toEqual(["a", "b"]);
});

describe("errors", () => {
  test("test_bad_n", () => {
    expect(() => topN({ a: 1 }, 0)).toThrow(RangeError);
    expect(() => topN({ a: 1 }, 0)).toThrow("n must be >= 1");
  });
  test("test_empty", () => {
    expect(() => topN({}, 1)).toThrow(EmptyCounts);
    try {
      topN({}, 1);
    } catch (e) {
      expect((e as Error).name).toBe("EmptyCounts");
    }
  });
});

test("test_async_total", async () => {
  const p = total({ a: 2, b: 3 });
  expect(p).toBeInstanceOf(Promise);
  expect(await p).toBe(5);
});

test("test_find", () => {
  expect(find({ a: 2 }, "a")).toBe(2);
  expect(find({ a: 2 }, "z")).toBeUndefined();
});
"#;

/// A TypeScript `counter` with the contract above; `code` is its implementation.
fn ts_counter_job(dir: &Path, code: &str, tests: &str) -> TestJob {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("counter.ts"), code).expect("write");
    let t = dir.join("tests/contract.test.ts");
    std::fs::create_dir_all(t.parent().expect("dir")).expect("mkdir");
    std::fs::write(&t, tests).expect("write");
    TestJob::new(TestLanguage::TypeScript, vec![t], vec![src]).with_contracts(vec![ts_contract()])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_answers_are_checked_and_errors_keep_their_names() {
    let opts = ts_options();
    // The honest implementation passes, every value and error crossing as the contract says.
    let tmp = tempfile::tempdir().expect("tmp");
    let started = std::time::Instant::now();
    let r = run(
        &ts_counter_job(tmp.path(), TS_HONEST, TS_TESTS),
        &opts,
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    eprintln!(
        "one vitest run across the boundary: {:?}",
        started.elapsed()
    );
    assert!(r.boundary);
    assert!(
        r.results.all_passed() && r.results.total == 6,
        "{:#?}\n{}\n{}",
        r.results,
        r.stdout,
        r.stderr
    );
    // topN answers counts as strings: not the contract's WordCount.count: int.
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = TS_HONEST.replace(
        "map(([word, count]) => ({ word, count }))",
        "map(([word, count]) => ({ word, count: String(count) as unknown as number }))",
    );
    let r = run(
        &ts_counter_job(tmp.path(), &bad, TS_TESTS),
        &opts,
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    let failed: Vec<&str> = r
        .results
        .failure_details
        .iter()
        .map(|f| f.test_id.as_str())
        .collect();
    assert_eq!(failed.len(), 1, "{:#?}", r.results);
    assert!(failed[0].ends_with("test_rank"), "{failed:?}");
    let msg = &r.results.failure_details[0].error_message;
    assert!(
        msg.contains("ContractViolation")
            && msg.contains(
                "topN() broke its contract: at [0].count: expected number (int), got string '2'"
            ),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_typescript_implementation_fails_and_cannot_see_its_tests() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Looks for its tests everywhere it can reach, tries to import vitest, then dies mid-call.
    let code = format!(
        r#"{TS_HONEST}
import * as fs from "node:fs";
import * as path from "node:path";
const found: string[] = [];
function walk(dir: string, depth: number) {{
  if (depth > 12 || ["/proc", "/sys", "/usr", "/dev"].includes(dir)) return;
  let entries: fs.Dirent[] = [];
  try {{ entries = fs.readdirSync(dir, {{ withFileTypes: true }}); }} catch {{ return; }}
  for (const e of entries) {{
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, depth + 1);
    else if (e.name.includes(".test.")) found.push(p);
  }}
}}
walk("/", 0);
walk(process.cwd(), 0);
let vitest = "";
try {{ await import("vitest"); vitest = "imported"; }} catch {{}}
export function crash(): void {{
  if (found.length) throw new Error("saw tests: " + found.slice(0, 3).join(", "));
  if (vitest) throw new Error("vitest " + vitest);
  process.exit(3);
}}
"#
    )
    .replace("export function countTokens(", "function countTokens0(")
    .replace(
        "export async function total(",
        "export function countTokens(tokens: Token[]) { crash(); return countTokens0(tokens); }\nexport async function total(",
    );
    let tests = "import { expect, test } from \"vitest\";\nimport { countTokens, topN } from \"counter\";\n\ntest(\"test_count\", () => {\n  expect(countTokens([])).toEqual({});\n});\n\ntest(\"test_rank\", () => {\n  expect(topN({ a: 1 }, 1)[0].word).toBe(\"a\");\n});\n";
    let r = run(
        &ts_counter_job(tmp.path(), &code, tests),
        &ts_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    let text = format!("{:#?}\n{}", r.results.failure_details, r.stderr);
    assert!(r.boundary);
    assert!(!text.contains("saw tests"), "{text}");
    assert!(!text.contains("vitest imported"), "{text}");
    assert!(text.contains("ComponentCrashed"), "{text}");
    // The process is gone: every later call fails too.
    assert_eq!((r.results.passed, r.results.total), (0, 2), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_that_does_not_compile_fails_every_call_saying_why() {
    let tmp = tempfile::tempdir().expect("tmp");
    let broken = TS_HONEST.replace("export function find(", "export function find((");
    let r = run(
        &ts_counter_job(tmp.path(), &broken, TS_TESTS),
        &ts_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    assert!(r.boundary);
    assert_eq!(
        (r.results.passed, r.results.total),
        (0, 6),
        "{:#?}",
        r.results
    );
    let msg = &r.results.failure_details[0].error_message;
    assert!(
        msg.contains("the implementation of 'counter' failed to import")
            && msg.contains("counter.ts"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_dummies_expose_tests_that_accept_anything() {
    use pact_engine::harness::Dummy;
    let weak = r#"import { expect, test } from "vitest";
import { countTokens, topN } from "counter";

test("test_shape", () => {
  expect(typeof countTokens([{ text: "a", position: 0 }])).toBe("object");
});

test("test_value", () => {
  expect(countTokens([{ text: "a", position: 0 }])).toEqual({ a: 1 });
});

test("test_empty", () => {
  expect(topN({ a: 1 }, 1).length).toBe(0);
});
"#;
    let mut passing_both: Option<Vec<String>> = None;
    for d in [Dummy::Zero, Dummy::One] {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut job = ts_counter_job(tmp.path(), TS_HONEST, weak);
        job.dummy = Some(d);
        let r = run(&job, &ts_options(), &CancellationToken::new())
            .await
            .expect("run");
        assert!(r.results.total == 3, "{:#?}\n{}", r.results, r.stderr);
        let failed: Vec<&str> = r
            .results
            .failure_details
            .iter()
            .map(|f| f.test_id.as_str())
            .collect();
        let ok: Vec<String> = r
            .cases
            .iter()
            .filter(|c| !failed.contains(&c.as_str()))
            .cloned()
            .collect();
        passing_both = Some(match passing_both {
            None => ok,
            Some(prev) => prev.into_iter().filter(|c| ok.contains(c)).collect(),
        });
    }
    // Only the shape-only test accepts both dummies; the empty case passes only the first.
    let both = passing_both.unwrap_or_default();
    assert_eq!(both.len(), 1, "{both:?}");
    assert!(both[0].ends_with("test_shape"), "{both:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typescript_suite_that_mocks_modules_runs_in_process() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tests = TS_TESTS.replace(
        "import type { Token }",
        "import * as counter from \"counter\";\nvi.spyOn(counter, \"find\");\nimport type { Token }",
    )
    .replace("import { describe, expect, test }", "import { describe, expect, test, vi }");
    let r = run(
        &ts_counter_job(tmp.path(), TS_HONEST, &tests),
        &ts_options(),
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    assert!(!r.boundary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_suites_cross_the_boundary_too() {
    let code = r#"class EmptyCounts extends Error {}
exports.EmptyCounts = EmptyCounts;
exports.countTokens = (tokens) => {
  const out = {};
  for (const t of tokens) out[t.text] = (out[t.text] || 0) + 1;
  return out;
};
exports.topN = (counts, n) => {
  if (n < 1) throw new RangeError("n must be >= 1");
  const e = Object.entries(counts);
  if (!e.length) throw new EmptyCounts("nothing counted");
  return e.sort((a, b) => b[1] - a[1]).slice(0, n).map(([word, count]) => ({ word, count: COUNT }));
};
exports.total = async (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
exports.find = (counts, word) => counts[word];
"#;
    let tests = r#"const test = require("node:test");
const assert = require("node:assert");
const { EmptyCounts, countTokens, topN, total } = require("counter");

test("test_count", () => {
  assert.deepStrictEqual(countTokens([{ text: "a", position: 0 }, { text: "a", position: 1 }]), { a: 2 });
});
test("test_rank", () => {
  assert.deepStrictEqual(topN({ a: 2, b: 1 }, 1), [{ word: "a", count: 2 }]);
});
test("test_errors", () => {
  assert.throws(() => topN({ a: 1 }, 0), RangeError);
  assert.throws(() => topN({}, 1), EmptyCounts);
});
test("test_total", async () => {
  assert.strictEqual(await total({ a: 1, b: 2 }), 3);
});
"#;
    // An ES module suite too, in a second test process at the same time.
    let esm = r#"import test from "node:test";
import assert from "node:assert";
import { find, topN } from "counter";

test("test_esm", () => {
  assert.strictEqual(find({ a: 2 }, "a"), 2);
  assert.strictEqual(find({ a: 2 }, "z"), undefined);
  assert.strictEqual(topN({ a: 1 }, 1)[0].word, "a");
});
"#;
    let contract = ts_contract();
    for (count, passed) in [("count", 5), ("String(count)", 3)] {
        let tmp = tempfile::tempdir().expect("tmp");
        let src = tmp.path().join("src");
        std::fs::create_dir_all(&src).expect("mkdir");
        std::fs::write(src.join("counter.js"), code.replace("COUNT", count)).expect("write");
        let t = tmp.path().join("contract.test.js");
        std::fs::write(&t, tests).expect("write");
        let t2 = tmp.path().join("esm.test.mjs");
        std::fs::write(&t2, esm).expect("write");
        let job = TestJob::new(TestLanguage::JavaScript, vec![t, t2], vec![src])
            .with_contracts(vec![contract.clone()]);
        // node:test needs nothing but node: no node_modules on either side.
        let opts = pact_engine::harness::HarnessOptions {
            node: ts_options().node,
            ..Default::default()
        };
        let r = run(&job, &opts, &CancellationToken::new())
            .await
            .expect("run");
        assert!(r.boundary);
        assert_eq!(
            (r.results.passed, r.results.total),
            (passed, 5),
            "{:#?}\n{}\n{}",
            r.results,
            r.stdout,
            r.stderr
        );
        if passed < 5 {
            assert!(
                r.results.failure_details.iter().all(|f| f
                    .error_message
                    .contains("at [0].count: expected number (int), got string '")),
                "{:#?}",
                r.results.failure_details
            );
        }
    }
}
