//! `pact health`: is the run turning money into working software? Metrics from the run's
//! records, findings against the thresholds, and the remedies to apply with `pact signal`.

use pact_engine::health::{self, HealthStatus};
use std::path::Path;
use std::process::ExitCode;

/// Exit 0 when healthy or warning, 1 when a condition is critical.
pub fn run(dir: &Path, as_json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let config = project.config()?;
    for w in &config.warnings {
        eprintln!("warning: {}: {}", w.path.display(), w.message);
    }
    let report = health::report(&project, &config);
    if as_json {
        let mut v = serde_json::to_value(&report)?;
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "thresholds".into(),
                serde_json::to_value(health::HealthThresholds::from_config(&config))?,
            );
            o.insert(
                "snapshot".into(),
                serde_json::Value::Object(
                    project
                        .load_state()?
                        .map(|s| s.health_snapshot)
                        .unwrap_or_default(),
                ),
            );
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", health::render(&report, &dir.display().to_string()));
        if let Some(s) = project.load_state()?
            && health::is_health_pause(&s.pause_reason)
        {
            println!("\nThe run is paused by this check: {}", s.pause_reason);
            println!(
                "Apply a remedy with `pact signal {} --directive '…'`, or resume with `pact signal {} --msg resume` (daemon) or `pact run {}`.",
                dir.display(),
                dir.display(),
                dir.display()
            );
        }
    }
    Ok(if report.status == HealthStatus::Critical {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
