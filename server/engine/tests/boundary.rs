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
