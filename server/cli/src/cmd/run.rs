//! `pact run`, `pact build`, `pact ping`: the pipeline from the terminal, with progress bars and
//! Ctrl-C that stops model calls and test runs and leaves the project resumable.

use indicatif::{ProgressBar, ProgressStyle};
use pact_core::store::Project;
use pact_engine::Engine;
use pact_engine::events::{Event, Sink};
use pact_engine::job::{self, JobKind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Backend flags shared by the commands that call models.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RunOpts {
    /// Append every model answer to this recording (replayable offline).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Answer every model call from this recording: no network, no key.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
}

impl RunOpts {
    /// The engine's options for these flags.
    pub fn options(&self) -> pact_engine::setup::RunOptions {
        pact_engine::setup::RunOptions {
            record: self.record.clone(),
            replay: self.replay.clone(),
            ..Default::default()
        }
    }
}

/// `--plan-only` / `--implement` as the job's override of pact.yaml's `plan_only`.
pub fn plan_only(plan_only: bool, implement: bool) -> Option<bool> {
    if plan_only {
        Some(true)
    } else if implement {
        Some(false)
    } else {
        None
    }
}

pub struct RunFlags {
    pub once: bool,
    pub force_new: bool,
    pub plan_only: bool,
    pub implement: bool,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()?)
}

/// The engine for a project: config, router (record/replay), progress output.
fn engine(project: &Project, opts: &RunOpts, bar: &ProgressBar) -> anyhow::Result<Engine> {
    if let Ok(config) = project.config() {
        for w in &config.warnings {
            bar.suspend(|| eprintln!("warning: {}: {}", w.path.display(), w.message));
        }
    }
    let options = opts.options();
    Ok(pact_engine::setup::engine_for(
        project,
        &options,
        progress_sink(bar.clone()),
    )?)
}

fn progress_sink(bar: ProgressBar) -> Sink {
    // The prefix shows the phase and the spend so far.
    let status = std::sync::Mutex::new((String::new(), String::new()));
    Arc::new(move |e: &Event| {
        let mut st = status.lock().unwrap_or_else(|p| p.into_inner());
        match e {
            Event::PhaseStarted { phase } => {
                st.0 = phase.to_string();
                bar.set_message(String::new());
            }
            Event::PhaseFinished { phase } => bar.println(format!("  ✓ {phase}")),
            Event::Component {
                component, step, ..
            } => bar.set_message(format!("{component}: {step}")),
            Event::Attempt {
                component,
                attempt,
                of,
            } => bar.set_message(format!("{component}: attempt {attempt}/{of}")),
            Event::TestsRan {
                component,
                passed,
                total,
            } => {
                let mark = if passed == total && *total > 0 {
                    "✓"
                } else {
                    "✗"
                };
                bar.println(format!(
                    "    {mark} {component}: {passed}/{total} tests passed"
                ));
            }
            Event::Spend {
                spent_usd,
                budget_usd,
            } => st.1 = format!(" ${spent_usd:.2}/${budget_usd:.2}"),
            Event::Paused { reason } => bar.println(format!("  ‖ paused: {reason}")),
            Event::Note { message } => bar.println(format!("  {message}")),
            // Provisioning happens once per machine and takes seconds: always say so, on
            // stderr, even when no progress bar is drawn.
            Event::Runtime { runtime, message } => {
                bar.set_message(format!("{runtime}: {message}"));
                bar.suspend(|| eprintln!("  {runtime}: {message}"));
            }
        }
        bar.set_prefix(format!("{}{}", st.0, st.1));
    })
}

fn bar() -> ProgressBar {
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// An engine without progress output (for commands that print their own results).
pub fn quiet_engine(project: &Project, opts: &RunOpts) -> anyhow::Result<Engine> {
    engine(project, opts, &ProgressBar::hidden())
}

/// Runs a job through the engine's job API with progress on stderr; Ctrl-C, SIGTERM and SIGHUP
/// cancel it (model calls and test runs stop, the project stays resumable). Prints the report
/// and gives the exit code.
fn job(dir: &Path, opts: &RunOpts, kind: JobKind, holder: String) -> anyhow::Result<ExitCode> {
    let report = job_report(dir, opts, kind, holder)?;
    Ok(super::report::print(&report, dir))
}

/// Runs a job with progress on the terminal and returns its report, unprinted.
pub(super) fn job_report(
    dir: &Path,
    opts: &RunOpts,
    kind: JobKind,
    holder: String,
) -> anyhow::Result<job::JobReport> {
    let project = super::open(dir)?;
    let rt = runtime()?;
    let bar = bar();
    if let Ok(config) = project.config() {
        for w in &config.warnings {
            bar.suspend(|| eprintln!("warning: {}: {}", w.path.display(), w.message));
        }
    }
    if let pact_engine::sandbox::Isolation::Unsandboxed(why) = pact_engine::sandbox::isolation() {
        bar.suspend(|| {
            eprintln!(
                "warning: UNSANDBOXED: {why}. Generated code runs only in its own process group; \
                 every verdict records it (`pact doctor`)."
            )
        });
    }
    let request = job::JobRequest {
        project,
        kind,
        options: opts.options(),
        holder,
    };
    let cancel = pact_agents::CancellationToken::new();
    let report = rt.block_on(async {
        super::cancel_on_signals(cancel.clone());
        job::run(request, progress_sink(bar.clone()), cancel).await
    });
    bar.finish_and_clear();
    Ok(report)
}

pub fn run(dir: &Path, opts: &RunOpts, flags: RunFlags) -> anyhow::Result<ExitCode> {
    let kind = JobKind::Run {
        once: flags.once,
        fresh: flags.force_new,
        plan_only: plan_only(flags.plan_only, flags.implement),
    };
    job(dir, opts, kind, "pact run".into())
}

/// `pact build`: the one build policy (see `pact_engine::job`): builds unless the component is
/// up to date; `force` rebuilds it from its contract.
pub fn build(
    dir: &Path,
    cid: &str,
    opts: &RunOpts,
    competitive: Option<u32>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let agents = competitive.map_or(1, |n| n.max(2));
    let component = cid.to_string();
    let kind = if force {
        JobKind::Rebuild { component, agents }
    } else {
        JobKind::Build { component, agents }
    };
    job(dir, opts, kind, format!("pact build {cid}"))
}

/// `pact test`: the locked contract tests against the implementation as it is (no model), or
/// (`regenerate`) new tests written from the contract and locked.
pub fn test(dir: &Path, cid: &str, opts: &RunOpts, regenerate: bool) -> anyhow::Result<ExitCode> {
    let component = cid.to_string();
    let kind = if regenerate {
        JobKind::RegenerateTests { component }
    } else {
        JobKind::RunTests { component }
    };
    job(dir, opts, kind, format!("pact test {cid}"))
}

pub fn ping(dir: &Path) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let reports = match Project::open(dir) {
        // A project's own routing, replay recording included.
        Ok(p) => {
            let (_, router) =
                pact_engine::setup::router_for(&p, &pact_engine::setup::RunOptions::default())?;
            rt.block_on(pact_agents::ping_with(
                &router,
                &pact_agents::CancellationToken::new(),
            ))
        }
        Err(_) => rt.block_on(pact_agents::ping(&pact_core::config::Config::load(
            Path::new("pact.yaml"),
        )?)),
    };
    let mut ok = true;
    println!(
        "{:<18} {:<30} {:>9} {:>12}  RESULT",
        "BACKEND", "MODEL", "LATENCY", "$/M IN/OUT"
    );
    for r in &reports {
        let result = match &r.result {
            Ok(text) => format!("ok: {text}"),
            Err(e) => {
                ok = false;
                format!("error: {e}")
            }
        };
        println!(
            "{:<18} {:<30} {:>7}ms {:>5.2}/{:<6.2}  {result}",
            r.backend, r.model, r.latency_ms, r.price_in, r.price_out
        );
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
