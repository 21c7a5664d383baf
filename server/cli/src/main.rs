//! `pact`: the command line. Each subcommand lives in `cmd/`; this file only parses arguments
//! and maps outcomes to exit codes (0 ok, 1 the check failed, 2 the project cannot be used).

mod cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "pact",
    version,
    about = "Contracts before code. Tests as law. Agents that can't cheat."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scaffold a new project (task.md, sops.md, pact.yaml, design.md); never overwrites.
    Init {
        dir: PathBuf,
        #[arg(long, default_value_t = 10.0)]
        budget: f64,
    },
    /// Run the validation gate: refs resolve, no cycles, tests parse and can fail.
    Validate {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// One JSON object: passed, reason, details, diagnostics.
        #[arg(long)]
        json: bool,
    },
    /// Show the run's phase, spend and components, or one component in detail.
    Status {
        #[arg(default_value = ".")]
        dir: PathBuf,
        component: Option<String>,
    },
    /// List components with their status.
    Components {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Draw the component tree with status and test counts.
    Tree {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Show the audit trail.
    Log {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Only the last N entries (0 = all).
        #[arg(long, default_value_t = 0)]
        tail: usize,
        #[arg(long)]
        json: bool,
    },
    /// Regenerate design.md from the tree, decisions and failures.
    Design {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init { dir, budget } => cmd::init::run(&dir, budget),
        Command::Validate { dir, json } => cmd::validate::run(&dir, json),
        Command::Status { dir, component } => cmd::status::status(&dir, component.as_deref()),
        Command::Components { dir, json } => cmd::status::components(&dir, json),
        Command::Tree { dir } => cmd::status::tree(&dir),
        Command::Log { dir, tail, json } => cmd::log::run(&dir, tail, json),
        Command::Design { dir } => cmd::design::run(&dir),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
