//! `pact-bench`: generates synthetic projects and times the real `pact` binary on them, from
//! outside, the way a user meets it (wall time and peak resident memory of the process).
//! "Cold" runs start without `.pact/cache` (every test text parsed); "warm" runs reuse it.
//!
//!     cargo build --release -p pact-cli -p pact-bench
//!     target/release/pact-bench validate --components 1000,5000
//!     PACT_ORIGINAL=/work/orig-venv/bin/pact \
//!         target/release/pact-bench validate --shape original --components 1000,5000
//!     target/release/pact-bench sweep
//!     target/release/pact-bench gen /tmp/p1000 --components 1000 --shape original
//!     target/release/pact-bench harness --runs 7

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod engine_bench;
mod harness_bench;
mod original;
mod synth;
mod validate_bench;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// How generated projects look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// Pact's own generator: compact contracts, ~240 lines of pytest per component (~33 KB a
    /// component).
    Pact,
    /// The original's layout, the way its users' projects look: every field of its models
    /// written out, ~11.6 KB contracts, ~17.8 KB suites, ~8.3 KB pytest files, interface stubs
    /// and history copies, the tree's copy of each contract, long-range dependencies (~70 KB a
    /// component).
    Original,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Pact => "pact",
            Shape::Original => "original",
        }
    }

    fn generate(self, dir: &Path, components: usize, seed: u64) -> anyhow::Result<()> {
        match self {
            Shape::Pact => synth::generate(dir, components, seed),
            Shape::Original => original::generate(dir, components, seed).map(|_| ()),
        }
    }
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
        #[arg(long, value_enum, default_value_t = Shape::Pact)]
        shape: Shape,
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
    /// Time `pact validate` on generated projects of these sizes, cold and warm; with
    /// PACT_ORIGINAL set to the original's `pact` executable, time `$PACT_ORIGINAL validate` on
    /// the same projects too, interleaved with ours, and print the ratios.
    Validate {
        #[arg(long, value_delimiter = ',', default_value = "1000,5000")]
        components: Vec<usize>,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long, value_enum, default_value_t = Shape::Pact)]
        shape: Shape,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The `pact` binary (default: next to this one).
        #[arg(long)]
        pact: Option<PathBuf>,
    },
    /// Whether cost grows linearly with the work: `pact validate` on projects whose contracts
    /// are all missing (tree only), and on a project with one test file ending in many comment
    /// lines (cold cache). Prints seconds per row and the growth between rows (and the
    /// original's figures with PACT_ORIGINAL set).
    Sweep {
        /// Components of the tree-only projects (`--missing` alone skips this sweep).
        #[arg(long, value_delimiter = ',', num_args = 0.., default_value = "1000,5000,10000")]
        missing: Vec<usize>,
        /// Comment lines at the end of the test file (`--comments` alone skips this sweep).
        #[arg(long, value_delimiter = ',', num_args = 0.., default_value = "2000,4000,8000,16000")]
        comments: Vec<usize>,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The `pact` binary (default: next to this one).
        #[arg(long)]
        pact: Option<PathBuf>,
    },
    /// Run a command and write `<seconds> <peak RSS KiB> <exit code>` to a file (what the
    /// benchmarks above start each timed process through).
    #[command(hide = true)]
    Measure {
        #[arg(long)]
        result: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<std::ffi::OsString>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Gen {
            dir,
            components,
            seed,
            shape,
        } => {
            if shape == Shape::Original {
                let s = original::generate(&dir, components, seed)?;
                println!(
                    "wrote {components} components in the original's shape to {} ({}: contracts {}, suites {}, test files {}, tree {}, other {})",
                    dir.display(),
                    human(s.total()),
                    human(s.contracts),
                    human(s.suites),
                    human(s.test_files),
                    human(s.tree),
                    human(s.other)
                );
            } else {
                shape.generate(&dir, components, seed)?;
                println!(
                    "wrote {components} components to {} ({})",
                    dir.display(),
                    human(validate_bench::dir_size(&dir))
                );
            }
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
            shape,
            seed,
            pact,
        } => {
            let tools = validate_bench::Tools::find(pact)?;
            validate_bench::validate(&tools, shape, &components, runs.max(1), seed)?;
        }
        Cmd::Sweep {
            missing,
            comments,
            runs,
            seed,
            pact,
        } => {
            let tools = validate_bench::Tools::find(pact)?;
            validate_bench::sweep(&tools, &missing, &comments, runs.max(1), seed)?;
        }
        Cmd::Measure { result, command } => validate_bench::measure(&result, &command)?,
    }
    Ok(())
}

fn human(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
