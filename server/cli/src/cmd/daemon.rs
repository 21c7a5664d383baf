//! `pact daemon`, `pact signal`, `pact stop`: the run advanced by a background process that
//! waits for directives while paused.

use super::run::RunOpts;
use pact_engine::daemon::{self, DaemonExit, DaemonOptions};
use pact_engine::directive;
use pact_engine::events::Event;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn stamp() -> String {
    pact_core::store::now_iso()
        .chars()
        .skip(11)
        .take(8)
        .collect()
}

pub struct DaemonFlags {
    pub max_idle: u64,
    pub plan_only: bool,
    pub implement: bool,
}

pub fn run(dir: &Path, opts: &RunOpts, flags: DaemonFlags) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()?;
    let events: pact_engine::events::Sink = Arc::new(|e: &Event| match e {
        Event::PhaseStarted { phase } => println!("[{}] phase {phase}", stamp()),
        Event::TestsRan {
            component,
            passed,
            total,
        } => println!("[{}]   {component}: {passed}/{total} tests passed", stamp()),
        Event::Paused { reason } => println!("[{}] paused: {reason}", stamp()),
        Event::Note { message } => println!("[{}] {message}", stamp()),
        Event::Runtime { runtime, message } => println!("[{}] {runtime}: {message}", stamp()),
        _ => {}
    });
    let request = pact_engine::job::JobRequest {
        project,
        kind: pact_engine::job::JobKind::Run {
            once: false,
            fresh: false,
            plan_only: super::run::plan_only(flags.plan_only, flags.implement),
        },
        options: opts.options(),
        holder: "pact daemon".into(),
    };
    let options = DaemonOptions {
        max_idle: Duration::from_secs(flags.max_idle),
        ..DaemonOptions::default()
    };
    let log = |m: &str| println!("[{}] {m}", stamp());
    let cancel = pact_agents::CancellationToken::new();
    // A reader that goes away stops the daemon like Ctrl-C, between consistent states.
    crate::out::cancel_on_failure(&cancel);
    let result = rt.block_on(async {
        super::cancel_on_signals(cancel.clone());
        // The same preflight as every job: nothing changes if the daemon cannot run.
        match pact_engine::job::prepare(&request, events, cancel).await {
            Ok(mut job) => Ok(daemon::run(&mut job, &options, &log).await),
            Err(report) => Err(report),
        }
    });
    let result = match result {
        Ok(r) => r,
        Err(report) => return Ok(super::report::print(&report, dir)),
    };
    let exit = result?;
    let (msg, code) = match &exit {
        DaemonExit::Completed => ("run complete".to_string(), 0),
        DaemonExit::Failed(r) => (format!("run failed: {r}"), 1),
        DaemonExit::BudgetExceeded => ("the budget is spent".to_string(), 1),
        DaemonExit::Shutdown => ("stopped on request".to_string(), 0),
        DaemonExit::IdleTimeout => (
            format!(
                "no directive for {} s; the run stays paused",
                flags.max_idle
            ),
            0,
        ),
        DaemonExit::Cancelled => ("interrupted; the project is consistent".to_string(), 130),
    };
    println!("[{}] daemon exits: {msg}", stamp());
    Ok(ExitCode::from(code))
}

/// `pact signal`: one directive to the daemon. Checked here first: a malformed directive is
/// rejected with the reason and never sent.
pub fn signal(dir: &Path, directive: Option<&str>, msg: Option<&str>) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let text = directive.or(msg).unwrap_or("resume");
    let d = match directive::parse(text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: directive rejected: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let st = daemon::status(&project);
    if !st.alive {
        anyhow::bail!(
            "no daemon is running for {} (start one with `pact daemon {}`)",
            dir.display(),
            dir.display()
        );
    }
    daemon::send(&project, &d.to_line())?;
    println!(
        "Sent to the daemon (pid {}): {}",
        st.pid.unwrap_or(0),
        d.to_line()
    );
    Ok(ExitCode::SUCCESS)
}

/// `pact stop`: the daemon stops between phases; waits until it is gone unless `--no-wait`.
pub fn stop(dir: &Path, no_wait: bool, timeout: u64) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let Some(pid) = daemon::request_stop(&project)? else {
        println!("No daemon is running for {}.", dir.display());
        return Ok(ExitCode::SUCCESS);
    };
    println!("Asked the daemon (pid {pid}) to stop after the current phase.");
    if no_wait {
        return Ok(ExitCode::SUCCESS);
    }
    let deadline = Instant::now() + Duration::from_secs(timeout);
    while Instant::now() < deadline {
        if !daemon::status(&project).alive {
            println!("Daemon stopped.");
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("The daemon is still finishing its phase; it stops when the phase ends.");
    Ok(ExitCode::from(1))
}
