//! `pact run`, `pact build`, `pact ping`: the pipeline from the terminal, with progress bars and
//! Ctrl-C that stops model calls and test runs and leaves the project resumable.

use indicatif::{ProgressBar, ProgressStyle};
use pact_core::store::Project;
use pact_engine::build::BuildMode;
use pact_engine::events::{Event, Sink};
use pact_engine::{Engine, Outcome};
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
    let options = pact_engine::setup::RunOptions {
        record: opts.record.clone(),
        replay: opts.replay.clone(),
        ..Default::default()
    };
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
                st.0 = phase.clone();
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

/// Ctrl-C (or SIGTERM, SIGHUP) cancels the engine's token: model calls and test runs stop,
/// state stays consistent.
fn cancel_on_ctrl_c(engine: &Engine) {
    super::cancel_on_signals(engine.cancel.clone());
}

fn print_outcome(project: &Project, outcome: &Outcome) -> anyhow::Result<ExitCode> {
    let state = project.load_state()?;
    let spend = state
        .as_ref()
        .map(|s| format!("${:.2}", s.total_cost_usd))
        .unwrap_or_default();
    Ok(match outcome {
        Outcome::Completed => {
            println!("Run complete: every component passes its contract tests (spend {spend}).");
            ExitCode::SUCCESS
        }
        Outcome::Paused { reason } => {
            println!("Paused: {reason}");
            println!(
                "Run `pact run {}` again to continue.",
                project.root().display()
            );
            ExitCode::SUCCESS
        }
        Outcome::Advanced { to } => {
            println!("Advanced to phase {to} (spend {spend}).");
            ExitCode::SUCCESS
        }
        Outcome::Failed { reason } => {
            println!("Run failed: {reason}");
            ExitCode::from(1)
        }
        Outcome::BudgetExceeded => {
            println!(
                "Stopped: the budget is spent ({spend}). Raise `budget` in pact.yaml to go on."
            );
            ExitCode::from(1)
        }
    })
}

/// Checks that the contract tests can run (provisioning their runtime on first use) before
/// anything changes; on failure prints what is missing and how to fix it, and gives the exit
/// code.
fn preflight(rt: &tokio::runtime::Runtime, engine: &Engine, bar: &ProgressBar) -> Option<ExitCode> {
    if let pact_engine::sandbox::Isolation::Unsandboxed(why) = pact_engine::sandbox::isolation() {
        bar.suspend(|| {
            eprintln!(
                "warning: UNSANDBOXED: {why}. Generated code runs only in its own process group; \
                 every verdict records it (`pact doctor`)."
            )
        });
    }
    let err = rt.block_on(engine.preflight()).err()?;
    bar.finish_and_clear();
    eprintln!("error: {err}");
    eprintln!("Nothing was changed. `pact doctor` checks every runtime and backend.");
    Some(ExitCode::from(2))
}

/// An engine without progress output (for commands that print their own results).
pub fn quiet_engine(project: &Project, opts: &RunOpts) -> anyhow::Result<Engine> {
    engine(project, opts, &ProgressBar::hidden())
}

pub fn run(dir: &Path, opts: &RunOpts, flags: RunFlags) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let rt = runtime()?;
    let bar = bar();
    let mut engine = engine(&project, opts, &bar)?;
    if let Some(code) = preflight(&rt, &engine, &bar) {
        return Ok(code);
    }
    let _job = pact_engine::joblock::acquire(&project, "pact run")?;
    if flags.force_new {
        let _ = std::fs::remove_file(project.layout.state());
    }
    if flags.plan_only {
        engine.config.project.plan_only = Some(true);
    }
    if flags.implement {
        engine.config.project.plan_only = Some(false);
    }
    let result = rt.block_on(async {
        cancel_on_ctrl_c(&engine);
        if flags.once {
            engine.step().await
        } else {
            engine.run().await
        }
    });
    bar.finish_and_clear();
    match result {
        Ok(outcome) => print_outcome(&project, &outcome),
        Err(e) if e.is_cancelled() => {
            println!("Stopped: {e}");
            Ok(ExitCode::from(130))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn build(
    dir: &Path,
    cid: &str,
    opts: &RunOpts,
    competitive: Option<u32>,
) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let rt = runtime()?;
    let bar = bar();
    let engine = engine(&project, opts, &bar)?;
    if let Some(code) = preflight(&rt, &engine, &bar) {
        return Ok(code);
    }
    let _job = pact_engine::joblock::acquire(&project, &format!("pact build {cid}"))?;
    let mut mode = BuildMode::from_config(&engine.config);
    if let Some(n) = competitive {
        mode.agents = n.max(2);
    }
    // `pact build` always builds, even a component that is up to date.
    mode.force = true;
    let result = rt.block_on(async {
        cancel_on_ctrl_c(&engine);
        pact_engine::build::build_component(&engine, cid, mode).await
    });
    bar.finish_and_clear();
    let spent = project
        .load_state()?
        .map(|s| s.total_cost_usd)
        .unwrap_or(0.0);
    match result {
        Ok(true) => {
            let r = project.load_test_results(cid)?.unwrap_or_default();
            println!(
                "SUCCESS: {cid} passes {}/{} contract tests (spend ${spent:.2}).",
                r.passed, r.total
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(false) => {
            let r = project.load_test_results(cid)?.unwrap_or_default();
            if let Some(why) = pact_engine::build::held_by_mutation_gate(&engine, cid)? {
                println!(
                    "NOT DONE: {cid} passes {}/{} contract tests, but {why} (spend ${spent:.2}).",
                    r.passed, r.total
                );
                return Ok(ExitCode::from(1));
            }
            println!(
                "FAILED: {cid} passes {}/{} contract tests (spend ${spent:.2}).",
                r.passed, r.total
            );
            for f in r.failure_details.iter().take(5) {
                println!(
                    "  ✗ {}: {}",
                    f.test_id,
                    f.error_message.lines().next().unwrap_or("")
                );
            }
            Ok(ExitCode::from(1))
        }
        Err(e) if e.is_cancelled() => {
            println!("Stopped: {e}");
            Ok(ExitCode::from(130))
        }
        Err(e) => Err(e.into()),
    }
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
