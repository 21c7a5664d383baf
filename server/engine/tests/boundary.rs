//! The contract boundary end to end, on the reference sample: each component's contract tests
//! run against its implementation in another sandboxed process, through generated proxies.

mod support {
    pub mod runtime;
}

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
    let r = run(&counter_job(tmp.path(), &bad, tests), &opts, &CancellationToken::new())
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
    assert!(msg.contains("[0].count") && msg.contains("expected int"), "{msg}");
    // The honest one passes both, the ValueError crossing by name.
    let tmp2 = tempfile::tempdir().expect("tmp");
    let r = run(&counter_job(tmp2.path(), HONEST, tests), &opts, &CancellationToken::new())
        .await
        .expect("run");
    assert!(r.results.all_passed() && r.results.total == 2, "{:#?}", r.results);
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
        let r = run(&job, &opts, &CancellationToken::new()).await.expect("run");
        let failed: Vec<&str> = r.results.failure_details.iter().map(|f| f.test_id.as_str()).collect();
        let ok: Vec<String> = r.cases.iter().filter(|c| !failed.contains(&c.as_str())).cloned().collect();
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
