//! A job's report in the terminal's words: the outcome line on stdout, a refusal or failure on
//! stderr, the next steps as the commands to type, and the exit code (0 done, 1 the job's
//! verdict is negative, 2 it could not run, 130 stopped).

use pact_engine::job::{ComponentResult, JobKind, JobOutcome, JobReport, NextStep};
use std::path::Path;
use std::process::ExitCode;

/// The command that does `step` for the project in `dir`.
pub fn step(step: &NextStep, dir: &Path) -> String {
    let d = shell_path(dir);
    match step {
        NextStep::Decompose => format!("`pact run {d} --plan-only` decomposes the task"),
        NextStep::RunPipeline => format!("`pact run {d}`"),
        NextStep::Build { component: Some(c) } => format!("`pact build {d} {c}`"),
        NextStep::Build { component: None } => {
            format!("`pact build {d} <component>` builds components one by one")
        }
        NextStep::Rebuild { component } => {
            format!("`pact build --force {d} {component}` rebuilds it")
        }
        NextStep::RegenerateTests { component } => {
            format!("`pact test --regenerate {d} {component}` writes and locks new tests")
        }
        NextStep::RunTests { component } => format!("`pact test {d} {component}`"),
        NextStep::WriteTask => {
            format!("write what to build in {d}/task.md (`pact init {d}` scaffolds it)")
        }
        NextStep::Answer => format!("`pact answer {d}` answers the questions"),
        NextStep::Approve => format!("`pact approve {d}` accepts the assumptions"),
        NextStep::FixDiagnostics => format!("fix what `pact validate {d}` lists"),
        NextStep::SeeFailures => "the failing tests are listed above".into(),
        NextStep::SeeHealth => format!("`pact health {d}` says what needs a person"),
        NextStep::RaiseBudget => "raise `budget` in pact.yaml".into(),
        NextStep::DisablePlanOnly => {
            format!("set `plan_only: false` in pact.yaml, or `pact run --implement {d}`")
        }
        NextStep::RelaxMutationGate => {
            "lower `mutation_threshold` or set `mutation_gate: false` in pact.yaml".into()
        }
        NextStep::NewRun => format!("`pact run --force-new {d}` starts a new run"),
        NextStep::SetKey { var } => format!("export {var}=… and run it again"),
        NextStep::CheckKey { var } => {
            format!("check that {var} holds a valid key (`pact ping {d}`)")
        }
        NextStep::ChooseBackend => {
            "choose another backend (`backend` in pact.yaml, or `--replay FILE`)".into()
        }
        NextStep::InstallRuntime { fix } => fix.trim().to_string(),
        NextStep::FixConfig => "fix pact.yaml".into(),
        NextStep::ListComponents => format!("`pact components {d}` lists the components"),
        NextStep::TryLater => "try again later".into(),
        NextStep::WaitOrStop => format!(
            "wait for it, or stop it where it runs (Ctrl-C in its terminal; `pact stop {d}` for the daemon)"
        ),
        NextStep::Adopt => format!("`pact adopt {d}`"),
    }
}

/// A path as the user would type it (quoted when it has spaces).
fn shell_path(dir: &Path) -> String {
    let s = dir.display().to_string();
    if s.contains(char::is_whitespace) {
        format!("\"{s}\"")
    } else {
        s
    }
}

fn next(steps: &[NextStep], dir: &Path) -> Option<String> {
    if steps.is_empty() {
        return None;
    }
    let parts: Vec<String> = steps.iter().map(|s| step(s, dir)).collect();
    Some(format!("Next: {}.", parts.join("; or ")))
}

fn counts(r: Option<&ComponentResult>) -> String {
    r.map_or_else(|| "its contract tests".into(), ToString::to_string)
}

fn failures(r: Option<&ComponentResult>) {
    for f in r.map(|r| r.failures.as_slice()).unwrap_or_default() {
        println!("  ✗ {}: {}", f.test, f.message);
    }
    if let Some(r) = r.filter(|r| r.more_failures > 0) {
        println!("  … and {} more", r.more_failures);
    }
}

/// Prints the report and gives the exit code.
pub fn print(report: &JobReport, dir: &Path) -> ExitCode {
    let cid = report.job.component().unwrap_or_default();
    let spend = format!("spend ${:.2}", report.spend.spent_usd);
    let r = report.component();
    let code = match &report.outcome {
        JobOutcome::Completed => {
            println!("Run complete: every component passes its contract tests ({spend}).");
            0
        }
        JobOutcome::Advanced { to } => {
            println!("Advanced to phase {to} ({spend}).");
            0
        }
        JobOutcome::Planned { components } => {
            println!(
                "Decomposed into {components} components, each with a contract and locked tests ({spend})."
            );
            0
        }
        JobOutcome::AlreadyPlanned { phase } => {
            println!("Already decomposed: the run is in phase {phase}; nothing was done.");
            0
        }
        JobOutcome::Paused { reason } => {
            println!("Paused: {reason}");
            0
        }
        JobOutcome::BudgetExceeded => {
            println!("Stopped: the budget is spent ({spend}).");
            1
        }
        JobOutcome::RunFailed { reason } => {
            println!("Run failed: {reason}");
            1
        }
        JobOutcome::Passed if matches!(report.job, JobKind::RunTests { .. }) => {
            println!("{cid}: {} pass.", counts(r));
            0
        }
        JobOutcome::Passed => {
            println!("SUCCESS: {cid} passes {} ({spend}).", counts(r));
            0
        }
        JobOutcome::Adopted { modules } => {
            use pact_engine::adopt::Adopted;
            let mut all = true;
            for m in modules {
                let what = match &m.outcome {
                    Adopted::Passed { passed, total } => {
                        format!("{passed}/{total} locked tests pass against the code")
                    }
                    Adopted::TestsFail {
                        passed,
                        total,
                        failures,
                    } => {
                        all = false;
                        let mut t = format!(
                            "{passed}/{total} locked tests pass; each failing one is a bug found in the code or a wrong test:"
                        );
                        for f in failures {
                            t.push_str(&format!("\n    {} — {}", f.test, f.message));
                        }
                        t
                    }
                    Adopted::WeakTests {
                        passed,
                        total,
                        finding,
                    } => {
                        all = false;
                        format!(
                            "{passed}/{total} locked tests pass, but the mutation gate holds them back: {finding}"
                        )
                    }
                    Adopted::Contracted => {
                        "a package: its contract and locked tests are written; `pact run` integrates it"
                            .to_string()
                    }
                    Adopted::ContractRejected { reason } | Adopted::TestsRejected { reason } => {
                        all = false;
                        reason.clone()
                    }
                };
                println!("  {} ({}): {what}", m.component, m.module);
                if !m.untyped.is_empty() {
                    println!(
                        "    untyped in the code (the contract's types are a reading of it; check them): {}",
                        m.untyped.join(", ")
                    );
                }
            }
            let leaves = modules
                .iter()
                .filter(|m| !matches!(m.outcome, Adopted::Contracted))
                .count();
            println!(
                "Adopted {leaves} module(s) under contract; the run is at the implement phase ({spend})."
            );
            if all { 0 } else { 1 }
        }
        JobOutcome::UpToDate => {
            println!("UP TO DATE: {cid} passes {}; nothing was built.", counts(r));
            0
        }
        JobOutcome::FailedTests { attempts: 0 } => {
            println!("FAILED: {cid} passes {}.", counts(r));
            failures(r);
            1
        }
        JobOutcome::FailedTests { .. } => {
            println!("FAILED: {cid} passes {} ({spend}).", counts(r));
            failures(r);
            1
        }
        JobOutcome::WeakTests { finding } => {
            println!(
                "NOT DONE: {cid} passes {}, but {finding} ({spend}).",
                counts(r)
            );
            1
        }
        JobOutcome::Regenerated => {
            println!("New contract tests of {cid} written and locked ({spend}).");
            0
        }
        JobOutcome::GateFailed { reason } => {
            println!("The new tests of {cid} still fail the gate: {reason}");
            1
        }
        JobOutcome::Cancelled => {
            println!("Stopped: cancelled; the project is consistent.");
            130
        }
        JobOutcome::Refused { problem } => {
            eprintln!("error: {problem}");
            eprintln!("Nothing was changed.");
            2
        }
        JobOutcome::Failed { problem } => {
            eprintln!("error: {problem}");
            eprintln!("What the job finished is kept; the project is consistent.");
            2
        }
    };
    if let Some(line) = next(&report.next, dir) {
        if code == 2 {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    ExitCode::from(code)
}
