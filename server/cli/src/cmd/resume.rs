//! `pact resume`: a failed, paused or out-of-budget run set back to active, where it stopped or
//! at an earlier phase (`--from-phase`); a daemon waiting on the project is told to go on.
//! Everything is checked before anything changes; a refusal exits 2 and changes nothing.

use pact_engine::{daemon, resume};
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, from_phase: Option<&str>) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let refused = |e: resume::ResumeError| {
        eprintln!("error: {e}");
        eprintln!("Nothing was changed.");
        ExitCode::from(2)
    };
    let plan = match resume::plan(&project, from_phase) {
        Ok(p) => p,
        Err(e) => return Ok(refused(e)),
    };
    if let Err(e) = resume::apply(&project, &plan) {
        return Ok(refused(e));
    }
    let d = dir.display();
    if plan.resume_phase == plan.phase {
        println!(
            "Resumed the run at phase {} (it was {}).",
            plan.resume_phase, plan.status
        );
    } else {
        println!(
            "Resumed the run at phase {} (it was {} at {}).",
            plan.resume_phase, plan.status, plan.phase
        );
    }
    if !plan.pause_reason.is_empty() {
        println!("  It had stopped because: {}", plan.pause_reason);
    }
    let done = &plan.completed_components;
    if done.is_empty() {
        println!("  Completed components: none");
    } else {
        println!(
            "  Completed components: {} ({})",
            done.len(),
            done.join(", ")
        );
    }
    if plan.health_pause {
        println!("  The health check's conditions are acknowledged.");
    }
    match plan.daemon {
        Some(pid) => match daemon::send(&project, "resume") {
            Ok(()) => println!("Signalled the daemon (pid {pid}): it goes on from here."),
            Err(e) => {
                // It went away between the check and the signal: the run is ours to set going.
                resume::activate(&project).map_err(anyhow::Error::new)?;
                println!("The daemon (pid {pid}) did not take the signal: {e}.");
                println!("Next: `pact run {d}` (or `pact daemon {d}`) continues the run.");
            }
        },
        None => println!("Next: `pact run {d}` (or `pact daemon {d}`) continues the run."),
    }
    Ok(ExitCode::SUCCESS)
}
