//! `pact-bench harness`: what one contract-test run costs, and what provisioning costs.
//!
//! - cold provisioning: a fresh cache dir, the Python environment made from scratch (network to
//!   the package registry; the figure is dominated by it);
//! - warm provisioning: the same call again (the marker is found, nothing is made);
//! - per test run: the reference sample's `counter` suite against its implementation, in three
//!   ways — across the contract boundary (runner and worker each sandboxed: what a build does),
//!   in-process in the sandbox, and in-process unsandboxed (`--unsandboxed` child, PACT_SANDBOX=off)
//!   — medians over `--runs`.

use pact_core::model::{ComponentContract, TestLanguage};
use pact_engine::harness::{HarnessOptions, TestJob, run};
use pact_engine::runtime::{RuntimeSpec, cache_dir, python};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/reference/sample/.pact")
}

fn job(boundary: bool) -> anyhow::Result<TestJob> {
    let s = sample();
    let contract: ComponentContract = serde_json::from_str(&std::fs::read_to_string(
        s.join("contracts/counter/interface.json"),
    )?)?;
    let job = TestJob::new(
        TestLanguage::Python,
        vec![s.join("contracts/counter/tests/contract_test.py")],
        vec![
            s.join("implementations/counter/src"),
            s.join("implementations/tokenizer/src"),
        ],
    );
    Ok(if boundary {
        job.with_contracts(vec![contract])
    } else {
        job
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

async fn time_runs(job: &TestJob, opts: &HarnessOptions, runs: usize) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let r = run(job, opts, &CancellationToken::new()).await?;
        anyhow::ensure!(
            r.results.all_passed() && r.results.total > 0,
            "the sample suite did not pass: {:?}",
            r.results.failure_details
        );
        times.push(t.elapsed());
    }
    Ok(median(times))
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

pub async fn run_bench(runs: usize, unsandboxed_child: bool) -> anyhow::Result<()> {
    let spec = RuntimeSpec {
        cache: cache_dir().ok_or_else(|| anyhow::anyhow!("no cache dir"))?,
        ..Default::default()
    };
    let quiet = |_: &str, _: &str| {};
    let py = python::ensure(&spec, &quiet).map_err(|e| anyhow::anyhow!("{e}"))?;
    let opts = HarnessOptions {
        python: Some(py.interpreter.clone()),
        ..Default::default()
    };
    if unsandboxed_child {
        // Printed for the parent to read.
        println!(
            "{}",
            time_runs(&job(false)?, &opts, runs).await?.as_micros()
        );
        return Ok(());
    }
    println!(
        "isolation here: {}",
        pact_engine::sandbox::isolation().label()
    );
    // Provisioning, cold then warm, in a cache of its own.
    let fresh = tempfile::tempdir()?;
    let cold_spec = RuntimeSpec {
        cache: fresh.path().to_path_buf(),
        ..Default::default()
    };
    let t = Instant::now();
    python::ensure(&cold_spec, &quiet).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cold = t.elapsed();
    let t = Instant::now();
    python::ensure(&cold_spec, &quiet).map_err(|e| anyhow::anyhow!("{e}"))?;
    let warm = t.elapsed();
    println!(
        "provisioning (Python env + pytest): cold {}, warm {}",
        ms(cold),
        ms(warm)
    );

    let boundary = time_runs(&job(true)?, &opts, runs).await?;
    let sandboxed = time_runs(&job(false)?, &opts, runs).await?;
    let exe = std::env::current_exe()?;
    let out = std::process::Command::new(exe)
        .args([
            "harness",
            "--runs",
            &runs.to_string(),
            "--unsandboxed-child",
        ])
        .env("PACT_SANDBOX", "off")
        .output()?;
    let plain = String::from_utf8_lossy(&out.stdout)
        .trim()
        .lines()
        .last()
        .and_then(|l| l.parse::<u64>().ok())
        .map(Duration::from_micros)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the unsandboxed run failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    println!("one test run of the sample's counter suite (median of {runs}):");
    println!("  unsandboxed, in-process:          {}", ms(plain));
    println!(
        "  sandboxed, in-process:            {}  (sandbox +{})",
        ms(sandboxed),
        ms(sandboxed.saturating_sub(plain))
    );
    println!(
        "  sandboxed, across the boundary:   {}  (+{} over unsandboxed; what builds do)",
        ms(boundary),
        ms(boundary.saturating_sub(plain))
    );
    Ok(())
}
