//! `pact-bench`: generates synthetic projects and times the real `pact` binary on them, from
//! outside, the way a user meets it (wall time and peak resident memory of the process).
//! "Cold" runs start without `.pact/cache` (every test text parsed); "warm" runs reuse it.
//!
//!     cargo build --release -p pact-cli -p pact-bench
//!     target/release/pact-bench validate --components 1000,5000
//!     target/release/pact-bench gen /tmp/p1000 --components 1000
//!     target/release/pact-bench harness --runs 7

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod engine_bench;
mod harness_bench;
mod synth;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write a synthetic project.
    Gen {
        dir: PathBuf,
        #[arg(long, default_value_t = 1000)]
        components: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Time the implement phase with a model that answers after a fixed delay.
    Engine {
        #[arg(long, default_value_t = 16)]
        components: usize,
        #[arg(long, default_value_t = 200)]
        delay_ms: u64,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// What one contract-test run costs (sandbox, contract boundary) and what provisioning
    /// the Python runtime costs, cold and warm.
    Harness {
        #[arg(long, default_value_t = 7)]
        runs: usize,
        #[arg(long, hide = true)]
        unsandboxed_child: bool,
    },
    /// Time `pact validate` on generated projects of these sizes.
    Validate {
        #[arg(long, value_delimiter = ',', default_value = "1000,5000")]
        components: Vec<usize>,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// The `pact` binary (default: next to this one).
        #[arg(long)]
        pact: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Gen {
            dir,
            components,
            seed,
        } => {
            synth::generate(&dir, components, seed)?;
            println!(
                "wrote {components} components to {} ({})",
                dir.display(),
                human(dir_size(&dir))
            );
        }
        Cmd::Engine {
            components,
            delay_ms,
            concurrency,
        } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(engine_bench::run(components, delay_ms, concurrency))?;
        }
        Cmd::Harness {
            runs,
            unsandboxed_child,
        } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(harness_bench::run_bench(runs.max(1), unsandboxed_child))?;
        }
        Cmd::Validate {
            components,
            runs,
            pact,
        } => {
            let pact = match pact {
                Some(p) => p,
                None => std::env::current_exe()?.with_file_name("pact"),
            };
            let mut sizes = components;
            sizes.sort_unstable(); // peak RSS of children is a running maximum: smallest first
            println!(
                "{:>10} {:>10} {:>14} {:>14} {:>14} {:>10}",
                "components", "size", "cold median ms", "cold max ms", "warm median ms", "peak MB"
            );
            for n in sizes {
                let tmp = tempfile::tempdir()?;
                let dir = tmp.path().join(format!("p{n}"));
                synth::generate(&dir, n, 42)?;
                let cache = dir.join(".pact/cache");
                let time = |cold: bool| -> anyhow::Result<Vec<f64>> {
                    let mut times = Vec::new();
                    for _ in 0..runs.max(1) {
                        if cold {
                            let _ = std::fs::remove_dir_all(&cache);
                        }
                        let t = Instant::now();
                        let out = Command::new(&pact)
                            .args(["validate", "--json"])
                            .arg(&dir)
                            .output()?;
                        times.push(t.elapsed().as_secs_f64() * 1e3);
                        anyhow::ensure!(
                            out.status.success(),
                            "validate failed on the synthetic project:\n{}",
                            String::from_utf8_lossy(&out.stdout)
                        );
                    }
                    times.sort_by(f64::total_cmp);
                    Ok(times)
                };
                let cold = time(true)?;
                let warm = time(false)?;
                println!(
                    "{n:>10} {:>10} {:>14.1} {:>14.1} {:>14.1} {:>10.1}",
                    human(dir_size(&dir)),
                    cold[cold.len() / 2],
                    cold[cold.len() - 1],
                    warm[warm.len() / 2],
                    peak_child_rss_mb()
                );
            }
        }
    }
    Ok(())
}

/// Largest resident set of any child so far (getrusage reports it in KiB on Linux).
fn peak_child_rss_mb() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage only writes into the struct we pass.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    if rc != 0 {
        return f64::NAN;
    }
    // SAFETY: initialised by the successful call above.
    let usage = unsafe { usage.assume_init() };
    usage.ru_maxrss as f64 / 1024.0
}

fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn human(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
