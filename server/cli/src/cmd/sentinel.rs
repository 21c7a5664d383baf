//! `pact watch`, `pact report`, `pact incidents`, `pact incident`: the Sentinel from the
//! terminal.

use super::run::RunOpts;
use pact_engine::events::Event;
use pact_engine::sentinel::budget::SystemClock;
use pact_engine::sentinel::incidents::{Incident, IncidentStore};
use pact_engine::sentinel::watch::{self, WatchOptions};
use pact_engine::sentinel::{LogFn, Sentinel, Signal, SignalSource, Target};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

fn stamp() -> String {
    pact_core::store::now_iso()
        .chars()
        .skip(11)
        .take(8)
        .collect()
}

fn printer() -> LogFn {
    Arc::new(|m: &str| println!("[{}] {m}", stamp()))
}

fn targets(dirs: &[PathBuf], opts: &RunOpts) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    for d in dirs {
        let project = super::open(d)?;
        let mut engine = super::run::quiet_engine(&project, opts)?;
        // The Sentinel prints its own lines; the engine's notes would repeat them.
        engine.events = Arc::new(|e: &Event| {
            if let Event::TestsRan {
                component,
                passed,
                total,
            } = e
            {
                println!("[{}]   {component}: {passed}/{total} tests passed", stamp());
            }
        });
        let (t, warnings) = Target::new(engine);
        for w in warnings {
            eprintln!("warning: {}: {w}", d.display());
        }
        out.push(t);
    }
    Ok(out)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()?)
}

pub struct WatchFlags {
    pub once_for: Option<f64>,
    pub bind: Option<IpAddr>,
    pub process_interval: f64,
}

pub fn watch(dirs: &[PathBuf], opts: &RunOpts, flags: WatchFlags) -> anyhow::Result<ExitCode> {
    let dirs: Vec<PathBuf> = if dirs.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        dirs.to_vec()
    };
    let first = super::open(&dirs[0])?;
    if !first.config()?.global.monitoring_enabled {
        eprintln!("Monitoring is disabled. Set monitoring_enabled: true in config.yaml");
        return Ok(ExitCode::from(2));
    }
    let targets = targets(&dirs, opts)?;
    let watched: usize = targets
        .iter()
        .map(|t| t.log_files.len() + t.process_patterns.len() + usize::from(t.webhook_port != 0))
        .sum();
    if watched == 0 {
        eprintln!(
            "warning: nothing to watch: set monitoring_log_files, monitoring_process_patterns or monitoring_webhook_port in pact.yaml"
        );
    }
    let pid_file = first.layout.pact_dir().join("sentinel.pid");
    pact_core::store::fsio::write_atomic(
        &pid_file,
        format!("{}\n", std::process::id()).as_bytes(),
    )?;
    let sentinel = Arc::new(Sentinel::new(targets, Arc::new(SystemClock), printer()));
    let mut options = WatchOptions {
        duration: flags.once_for.map(Duration::from_secs_f64),
        process_interval: Duration::from_secs_f64(flags.process_interval.max(0.05)),
        ..WatchOptions::default()
    };
    if let Some(b) = flags.bind {
        options.webhook_bind = b;
    }
    let rt = runtime()?;
    let cancel = pact_agents::CancellationToken::new();
    // A reader that goes away stops the watch like Ctrl-C.
    crate::out::cancel_on_failure(&cancel);
    let result = rt.block_on(async {
        super::cancel_on_signals(cancel.clone());
        println!(
            "[{}] watching {} project(s); Ctrl-C to stop",
            stamp(),
            dirs.len()
        );
        watch::run(sentinel, options, cancel).await
    });
    let _ = std::fs::remove_file(&pid_file);
    let summary = result?;
    println!(
        "[{}] stopped: {} signal(s), {} new incident(s)",
        stamp(),
        summary.signals,
        summary.new_incidents
    );
    Ok(ExitCode::SUCCESS)
}

/// `pact report`: one error by hand, worked like any other signal.
pub fn report(
    dir: &Path,
    text: &str,
    log_key: Option<&str>,
    opts: &RunOpts,
) -> anyhow::Result<ExitCode> {
    if text.trim().is_empty() {
        anyhow::bail!("nothing to report: give the error text");
    }
    let targets = targets(&[dir.to_path_buf()], opts)?;
    let sentinel = Sentinel::new(targets, Arc::new(SystemClock), printer());
    let mut sig = Signal::new(SignalSource::Manual, text, String::new());
    if let Some(k) = log_key {
        sig.log_key = k.to_string();
    }
    let rt = runtime()?;
    let handled = rt.block_on(sentinel.handle(sig))?;
    let i = &handled.incident;
    println!(
        "Incident {}: {}{}",
        i.id,
        i.status,
        if i.component_id.is_empty() {
            String::new()
        } else {
            format!(" (component {})", i.component_id)
        }
    );
    if !i.resolution.is_empty() {
        println!("Resolution: {}", i.resolution);
    }
    if !handled.new {
        println!("(a known incident: seen {} times)", i.occurrences);
    }
    Ok(ExitCode::SUCCESS)
}

fn row(i: &Incident) -> String {
    format!(
        "{:<13} {:<11} {:<16} {:<20} {:>5}  {}",
        i.id,
        i.status.as_str(),
        if i.component_id.is_empty() {
            "-"
        } else {
            &i.component_id
        },
        i.created_at,
        i.occurrences,
        i.headline()
    )
}

/// `pact incidents`: open incidents (escalated ones need a human), or the last 50 with `--all`.
pub fn incidents(dir: &Path, all: bool, as_json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let file = IncidentStore::new(&project).load()?;
    let mut list: Vec<&Incident> = file.incidents.values().collect();
    list.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    let list: Vec<&Incident> = if all {
        let skip = list.len().saturating_sub(50);
        list.into_iter().skip(skip).collect()
    } else {
        list.into_iter()
            .filter(|i| i.status != pact_engine::sentinel::incidents::IncidentStatus::Resolved)
            .collect()
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        println!("No {}incidents.", if all { "" } else { "open " });
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<13} {:<11} {:<16} {:<20} {:>5}  ERROR",
        "ID", "STATUS", "COMPONENT", "CREATED", "SEEN"
    );
    for i in list {
        println!("{}", row(i));
    }
    Ok(ExitCode::SUCCESS)
}

/// `pact incident`: one incident (by id or unique prefix) with its signals and report.
pub fn incident(dir: &Path, id: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let store = IncidentStore::new(&project);
    let found = store.find(id)?;
    let i = match found.as_slice() {
        [one] => one,
        [] => anyhow::bail!("no incident '{id}' in {}", dir.display()),
        many => anyhow::bail!(
            "'{id}' matches {} incidents ({}); give more of the id",
            many.len(),
            many.iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(i)?);
        return Ok(ExitCode::SUCCESS);
    }
    let report = std::fs::read_to_string(store.report_path(&i.id))
        .unwrap_or_else(|_| pact_engine::sentinel::incidents::render_report(i));
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}
