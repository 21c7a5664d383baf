//! `pact`: the command line. Each subcommand lives in `cmd/`; this file only parses arguments
//! and maps outcomes to exit codes (0 ok, 1 the check failed, 2 the project cannot be used).
//! `println!`, `print!` and `eprintln!` here are `out`'s, not std's: a closed pipe
//! (`pact log | head`) ends a command quietly instead of panicking.

#[macro_use]
mod out;
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
        /// One JSON object: passed, reason, counts, details, every diagnostic.
        #[arg(long)]
        json: bool,
        /// Print every warning (by default the first few of each kind, then a count).
        #[arg(long)]
        all: bool,
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
    /// Run the pipeline: interview → (shape) → decompose → contracts → tests → validate →
    /// implement → integrate. Resumes where the last run stopped.
    Run {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
        /// Advance one phase only.
        #[arg(long)]
        once: bool,
        /// Forget the run state (state.json) and start over; artifacts stay.
        #[arg(long)]
        force_new: bool,
        /// Stop after the plan (contracts and tests), whatever pact.yaml says.
        #[arg(long, conflicts_with = "implement")]
        plan_only: bool,
        /// Implement even if pact.yaml says plan_only.
        #[arg(long)]
        implement: bool,
    },
    /// Build one component from its contract and tests, unless it is up to date (`--force`
    /// rebuilds it from the contract). The editor's Build and Rebuild do the same.
    Build {
        dir: PathBuf,
        component: String,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
        /// Several agents implement it; the best attempt wins.
        #[arg(long)]
        competitive: bool,
        /// Number of competing agents.
        #[arg(long, default_value_t = 2)]
        agents: u32,
        /// Flush the implementation and build it again, even if it is up to date.
        #[arg(long)]
        force: bool,
    },
    /// Run one component's locked contract tests against its implementation (no model), or
    /// write new tests from its contract and lock them (`--regenerate`).
    Test {
        dir: PathBuf,
        component: String,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
        /// Write new tests from the contract and lock them (tests are law: the old ones go).
        #[arg(long)]
        regenerate: bool,
    },
    /// Bring an existing Python codebase under contract: per module a contract written from its
    /// source and locked contract tests, the module itself linked as the implementation, the
    /// run left at the implement phase. Writes only under `.pact/`; never a file of yours.
    Adopt {
        dir: PathBuf,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
        /// Show the plan (components, modules, public names) and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: the plan as JSON.
        #[arg(long)]
        json: bool,
        /// A component per package (directory) instead of per module.
        #[arg(long)]
        package: bool,
    },
    /// The mechanical pass over an existing Python or TypeScript/JavaScript codebase: modules,
    /// public functions with signatures and cyclomatic complexity, which the codebase's tests
    /// already call, security smells. `--dry-run` prints it; without it, the codebase goes on
    /// to `pact adopt` (a contract and locked tests per module, written by a model).
    TestGen {
        dir: PathBuf,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
        /// Print the inventory and stop (no model, nothing written).
        #[arg(long)]
        dry_run: bool,
        /// The inventory as one JSON object.
        #[arg(long, requires = "dry_run")]
        json: bool,
        /// The codebase's language (default: the one with more source files).
        #[arg(long, value_enum)]
        language: Option<cmd::testgen::LanguageArg>,
        /// One entry per package (directory) instead of per module (file).
        #[arg(long)]
        package: bool,
    },
    /// Run the interview phase only and show its questions.
    Interview {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
    },
    /// Answer the interview's questions (interactively, or from a JSON/YAML file).
    Answer {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// A mapping of question (text or 1-based number) to answer.
        #[arg(long)]
        answers: Option<PathBuf>,
    },
    /// Accept the interview's assumptions as answers and let the run go on.
    Approve {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Check each configured backend with a tiny request: model, latency, prices.
    Ping {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Check that this machine can run the project: backends and their keys (never shown),
    /// Python and Node.js with their managed test environments, config, locks, git.
    Doctor {
        /// The project (default: the current directory if it is one, else the global config).
        dir: Option<PathBuf>,
        /// One JSON object: project, passed, summary, checks (name, status, message, fix).
        #[arg(long)]
        json: bool,
    },
    /// Mutate accepted implementations and report how many mutants the contract tests kill.
    Mutate {
        dir: PathBuf,
        component: Option<String>,
        /// At most this many mutants per component.
        #[arg(long)]
        max: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Record evidence that components are done (hashes of contract, tests, implementation and
    /// the test counts), or re-check that record.
    Certify {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Re-check an existing certification instead of writing one.
        #[arg(long)]
        verify: bool,
        #[arg(long)]
        json: bool,
    },
    /// Regenerate design.md from the tree, decisions and failures.
    Design {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Health of the run: metrics from its records, findings against the thresholds, remedies.
    Health {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Run the pipeline in the background, waiting for directives (`pact signal`) while paused.
    Daemon {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
        /// Seconds to wait for a directive while paused before exiting.
        #[arg(long, default_value_t = 600)]
        max_idle: u64,
        /// Stop after the plan, whatever pact.yaml says.
        #[arg(long, conflicts_with = "implement")]
        plan_only: bool,
        /// Implement even if pact.yaml says plan_only.
        #[arg(long)]
        implement: bool,
    },
    /// Send a directive to the daemon: resume it, apply a remedy, change a setting.
    Signal {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// A JSON directive, e.g. '{"type":"apply_remedy","remedy":"max_plan_revisions","value":1}'.
        #[arg(long, conflicts_with = "msg")]
        directive: Option<String>,
        /// A bare directive word (default: resume).
        #[arg(long)]
        msg: Option<String>,
    },
    /// Send one directive to the daemon: the original's name for `pact signal --directive`
    /// (a JSON directive, or a bare word such as `resume` or `shutdown`).
    Directive {
        dir: PathBuf,
        /// E.g. '{"type":"set_mode","mode":"implement"}' or `resume`.
        directive: String,
    },
    /// Set a failed, paused or out-of-budget run back to active, where it stopped or at an
    /// earlier phase, and tell a daemon waiting on the project to go on. Checks everything
    /// first: with no run, a run already active or completed, an unknown or later phase, or
    /// another job holding the project, it changes nothing and exits 2.
    Resume {
        dir: PathBuf,
        /// Go on from this phase instead (interview, shape, decompose, contract, test,
        /// validate, implement, integrate); never later than where the run stopped.
        #[arg(long, value_name = "PHASE")]
        from_phase: Option<String>,
    },
    /// The plan as a task list: ids (T001, …), phases, dependencies, `[P]` for tasks that can
    /// start together, statuses from the components'. Markdown, or one JSON object.
    Tasks {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Write the task list (Markdown or JSON) to standard output or to a file.
    ExportTasks {
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "markdown")]
        format: cmd::tasks::Format,
        /// Write it to this file instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite FILE if it exists.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Cross-artifact checks without a model: requirements of task.md no component covers,
    /// vague words in contracts, duplicate type names, dependencies never used, functions
    /// without tests. Exit 1 when a component lacks its contract or suite.
    Analyze {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Questions about the contracts, answered where the project answers them: error cases
    /// without a test that expects them, inputs without boundary tests, pre- and
    /// postconditions a test cannot decide, suites missing a kind of test.
    Checklist {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Estimate what the work left will cost, phase by phase, at the configured models'
    /// prices, with the spend so far and the budget.
    Cost {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Show what .pact/ holds by category and size; remove what is safe to remove.
    ///
    /// Never removed: contracts and suites, locked and held-out tests, the tree, the run
    /// state, audit log and budget, implementations with their build records and test
    /// results, integrity evidence, integration results, incidents, lock files. What each
    /// flag removes (listed before it is removed):
    ///
    /// --stale: leftovers of processes that are gone (the daemon's pid file, pipe and shutdown
    /// note when no daemon runs, the Sentinel's pid file when it is not running, the job owner
    /// record when no job holds the project), the test-analysis cache (cache/, rebuilt on the
    /// next check) and raw model answers that failed validation (raw/).
    ///
    /// --attempts: competing and archived implementation attempts
    /// (implementations/<id>/attempts/); the winner's code is already in src/.
    ///
    /// --all: both, and earlier contract versions (contracts/<id>/history/ but the newest).
    ///
    /// Refused (exit 2, nothing removed) while a job holds the project. Scratch directories
    /// live in the system's temp dir and are removed by Pact itself once their process is gone.
    Clean {
        dir: PathBuf,
        /// Remove leftovers of processes that are gone, the cache and raw answers.
        #[arg(long)]
        stale: bool,
        /// Remove implementation attempts.
        #[arg(long)]
        attempts: bool,
        /// Remove everything --stale and --attempts do, and old contract versions.
        #[arg(long)]
        all: bool,
        /// List what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// A component's current implementation against one of its attempts (a competing attempt
    /// of a competitive build, or an earlier implementation archived when it was rebuilt), as
    /// unified diffs from the attempt to the current code.
    Diff {
        dir: PathBuf,
        component: String,
        /// The attempt to compare with (default: the latest archived one, else the first
        /// attempt that did not win).
        #[arg(long, value_name = "ID")]
        attempt: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Stop the daemon between phases.
    Stop {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Return at once instead of waiting for the daemon to exit.
        #[arg(long)]
        no_wait: bool,
        /// Seconds to wait for it.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Watch production: tail logs, watch processes, receive webhooks; file and fix incidents.
    Watch {
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
        /// Stop after this many seconds.
        #[arg(long, value_name = "SECS")]
        once_for: Option<f64>,
        /// Address the webhook binds to (default 127.0.0.1).
        #[arg(long, value_name = "ADDR")]
        bind: Option<std::net::IpAddr>,
        /// Seconds between process scans.
        #[arg(long, default_value_t = 10.0)]
        process_interval: f64,
    },
    /// Report a production error by hand; it is attributed, triaged and remediated like any other.
    Report {
        dir: PathBuf,
        /// The error text.
        #[arg(required = true, num_args = 1..)]
        error: Vec<String>,
        /// The PACT log key of the line, if known.
        #[arg(long)]
        log_key: Option<String>,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
    },
    /// List open incidents (escalated ones need a human), or the last 50 with --all.
    Incidents {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one incident: status, signals, diagnostic report.
    Incident {
        dir: PathBuf,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Audit task.md against the implementations: each requirement covered, partial or a gap.
    Audit {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        opts: cmd::run::RunOpts,
        #[arg(long)]
        json: bool,
    },
    /// Hooks for coding agents: check the Pact document an agent just edited, and tell the agent.
    Hook {
        #[command(subcommand)]
        agent: cmd::hook::Agent,
    },
    /// Run the MCP server over stdio, for coding agents (tools: validate, status, components,
    /// contract, explain, run_tests, decompose, build, rebuild).
    Mcp {
        /// Where relative `project` arguments are resolved (default: the current directory).
        dir: Option<PathBuf>,
    },
    /// Run the language server over stdio.
    Lsp {
        /// Accepted and ignored: stdio is the only transport (some clients pass it).
        #[arg(long)]
        stdio: bool,
    },
}

/// Grows glibc's heap in 64 MiB steps instead of its default 128 KiB. A large project's
/// documents are tens of megabytes in many small allocations on two threads; growing the heap
/// step by step (`mprotect`, then a fault per fresh page) was a third of a warm `pact validate`
/// on 1,000 components (0.16 s → 0.14 s). Only address space is reserved: a page counts as
/// memory once it is touched, so peak RSS is unchanged. (mimalloc was faster still, 0.09 s, but
/// its peak RSS was 170-190 MB against glibc's 141-146 MB.)
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt(3) sets one parameter of glibc's allocator and touches no memory of ours;
    // it runs first thing in `main`, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init { dir, budget } => cmd::init::run(&dir, budget),
        Command::Validate { dir, json, all } => cmd::validate::run(&dir, json, all),
        Command::Status { dir, component } => cmd::status::status(&dir, component.as_deref()),
        Command::Components { dir, json } => cmd::status::components(&dir, json),
        Command::Tree { dir } => cmd::status::tree(&dir),
        Command::Log { dir, tail, json } => cmd::log::run(&dir, tail, json),
        Command::Design { dir } => cmd::design::run(&dir),
        Command::Mutate {
            dir,
            component,
            max,
            json,
        } => cmd::integrity::mutate(&dir, component.as_deref(), max, json),
        Command::Certify { dir, verify, json } => cmd::integrity::certify(&dir, verify, json),
        Command::Run {
            dir,
            opts,
            once,
            force_new,
            plan_only,
            implement,
        } => cmd::run::run(
            &dir,
            &opts,
            cmd::run::RunFlags {
                once,
                force_new,
                plan_only,
                implement,
            },
        ),
        Command::Build {
            dir,
            component,
            opts,
            competitive,
            agents,
            force,
        } => cmd::run::build(
            &dir,
            &component,
            &opts,
            competitive.then_some(agents),
            force,
        ),
        Command::Test {
            dir,
            component,
            opts,
            regenerate,
        } => cmd::run::test(&dir, &component, &opts, regenerate),
        Command::Adopt {
            dir,
            opts,
            dry_run,
            json,
            package,
        } => cmd::adopt::run(&dir, &opts, dry_run, json, package),
        Command::TestGen {
            dir,
            opts,
            dry_run,
            json,
            language,
            package,
        } => cmd::testgen::run(
            &dir,
            &cmd::testgen::Flags {
                opts,
                dry_run,
                json,
                language,
                package,
            },
        ),
        Command::Interview { dir, opts } => cmd::interview::interview(&dir, &opts),
        Command::Answer { dir, answers } => cmd::interview::answer(&dir, answers.as_deref()),
        Command::Approve { dir } => cmd::interview::approve(&dir),
        Command::Ping { dir } => cmd::run::ping(&dir),
        Command::Doctor { dir, json } => cmd::doctor::run(dir.as_deref(), json),
        Command::Health { dir, json } => cmd::health::run(&dir, json),
        Command::Daemon {
            dir,
            opts,
            max_idle,
            plan_only,
            implement,
        } => cmd::daemon::run(
            &dir,
            &opts,
            cmd::daemon::DaemonFlags {
                max_idle,
                plan_only,
                implement,
            },
        ),
        Command::Signal {
            dir,
            directive,
            msg,
        } => cmd::daemon::signal(&dir, directive.as_deref(), msg.as_deref()),
        Command::Directive { dir, directive } => cmd::daemon::signal(&dir, Some(&directive), None),
        Command::Tasks { dir, json } => cmd::tasks::show(&dir, json),
        Command::ExportTasks {
            dir,
            format,
            output,
            force,
        } => cmd::tasks::export(&dir, format, output.as_deref(), force),
        Command::Analyze { dir, json } => cmd::analyze::run(&dir, json),
        Command::Checklist { dir, json } => cmd::checklist::run(&dir, json),
        Command::Cost { dir, json } => cmd::cost::run(&dir, json),
        Command::Diff {
            dir,
            component,
            attempt,
            json,
        } => cmd::diff::run(&dir, &component, attempt.as_deref(), json),
        Command::Clean {
            dir,
            stale,
            attempts,
            all,
            dry_run,
            json,
        } => cmd::clean::run(
            &dir,
            pact_engine::clean::Selection {
                stale,
                attempts,
                all,
            },
            dry_run,
            json,
        ),
        Command::Resume { dir, from_phase } => cmd::resume::run(&dir, from_phase.as_deref()),
        Command::Stop {
            dir,
            no_wait,
            timeout,
        } => cmd::daemon::stop(&dir, no_wait, timeout),
        Command::Watch {
            dirs,
            opts,
            once_for,
            bind,
            process_interval,
        } => cmd::sentinel::watch(
            &dirs,
            &opts,
            cmd::sentinel::WatchFlags {
                once_for,
                bind,
                process_interval,
            },
        ),
        Command::Report {
            dir,
            error,
            log_key,
            opts,
        } => cmd::sentinel::report(&dir, &error.join(" "), log_key.as_deref(), &opts),
        Command::Incidents { dir, all, json } => cmd::sentinel::incidents(&dir, all, json),
        Command::Incident { dir, id, json } => cmd::sentinel::incident(&dir, &id, json),
        Command::Audit { dir, opts, json } => cmd::audit::run(&dir, &opts, json),
        Command::Hook { agent } => cmd::hook::run(&agent),
        Command::Lsp { stdio: _ } => Ok(pact_lsp::run_stdio()),
        Command::Mcp { dir } => {
            let root = dir
                .or_else(|| std::env::current_dir().ok())
                .unwrap_or_else(|| PathBuf::from("."));
            pact_mcp::run_stdio(root)
                .map(|()| ExitCode::SUCCESS)
                .map_err(|e| anyhow::anyhow!("pact mcp: {e:#}"))
        }
    };
    if let Some(status) = out::exit_status() {
        // Standard output failed (the reader went away) and the command stopped early.
        return ExitCode::from(status);
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, each cause once: many errors already name their cause
/// in their own text ("x.json: Permission denied (os error 13)"), which must not be repeated.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

#[cfg(test)]
mod error_tests {
    use super::error_text;

    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let shown = io.to_string();
        let e = anyhow::Error::new(io).context(format!("pact.yaml: cannot read: {shown}"));
        assert_eq!(error_text(&e), format!("pact.yaml: cannot read: {shown}"));
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_text(&e), "outer: inner");
    }
}
