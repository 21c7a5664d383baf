//! `pact clean`: `.pact/` by category and size, then (with `--stale`, `--attempts`, `--all`)
//! the list of what goes, before it goes (`pact_engine::clean` decides what is safe).

use pact_core::store::fsio::human_size;
use pact_engine::clean::{self, Removal, Selection};
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, sel: Selection, dry_run: bool, json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let survey = clean::survey(&project)?;
    let plan = if sel.any() {
        clean::plan(&project, &survey, sel)
    } else {
        Vec::new()
    };
    // The run lock, held from before the list is shown until the last removal.
    let cleaner = if dry_run || plan.is_empty() {
        None
    } else {
        match clean::start(&project) {
            Ok(c) => Some(c),
            Err(e) => return Ok(refused(&e, json, dir, &survey, &plan)),
        }
    };
    if json {
        let done = cleaner.map(|c| c.remove(&plan)).unwrap_or_default();
        let v = report_json(
            dir,
            &survey,
            &plan,
            serde_json::json!({
                "dry_run": dry_run,
                "removed": done.removed,
                "removed_bytes": done.bytes,
                "failed": done.failed,
            }),
        );
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(exit(&done));
    }

    print_survey(&survey);
    if !sel.any() {
        println!(
            "\nNothing removed. `--stale`, `--attempts` or `--all` remove what is safe to remove (`--dry-run` lists it first); `pact clean --help` says what each takes."
        );
        return Ok(ExitCode::SUCCESS);
    }
    if plan.is_empty() {
        println!("\nNothing to remove.");
        return Ok(ExitCode::SUCCESS);
    }
    let total: u64 = plan.iter().map(|r| r.bytes).sum();
    let files: u64 = plan.iter().map(|r| r.files).sum();
    println!(
        "\n{} ({} in {files} file{}):",
        if dry_run { "Would remove" } else { "Removing" },
        human_size(total),
        if files == 1 { "" } else { "s" }
    );
    for r in &plan {
        print_removal(r);
    }
    let Some(cleaner) = cleaner else {
        println!("Dry run: nothing was removed.");
        if let Some(job) = &survey.job {
            println!("(A job is running: {job}; a clean now would be refused.)");
        }
        return Ok(ExitCode::SUCCESS);
    };
    let done = cleaner.remove(&plan);
    for (path, why) in &done.failed {
        eprintln!("error: could not remove {path}: {why}");
    }
    println!(
        "Removed {} of {} ({}).",
        done.removed.len(),
        plan.len(),
        human_size(done.bytes)
    );
    Ok(exit(&done))
}

fn exit(done: &clean::Cleaned) -> ExitCode {
    if done.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Another job holds the project: nothing is removed, exit 2.
fn refused(
    e: &clean::CleanError,
    json: bool,
    dir: &Path,
    survey: &clean::Survey,
    plan: &[Removal],
) -> ExitCode {
    if json {
        let v = report_json(
            dir,
            survey,
            plan,
            serde_json::json!({"refused": e.to_string()}),
        );
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        print_survey(survey);
    }
    eprintln!("error: {e}");
    ExitCode::from(2)
}

/// `--json`: the survey and the plan, then how it ended (`outcome`'s fields).
fn report_json(
    dir: &Path,
    survey: &clean::Survey,
    plan: &[Removal],
    outcome: serde_json::Value,
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "project": dir.display().to_string(),
        "bytes": survey.bytes,
        "files": survey.files,
        "categories": survey.categories,
        "job": survey.job,
        "plan": plan,
    });
    if let (Some(v), serde_json::Value::Object(outcome)) = (v.as_object_mut(), outcome) {
        v.extend(outcome);
    }
    v
}

fn print_survey(s: &clean::Survey) {
    println!(
        ".pact/: {} in {} file{}",
        human_size(s.bytes),
        s.files,
        if s.files == 1 { "" } else { "s" }
    );
    for c in s.categories.iter().filter(|c| c.files > 0) {
        let by = match c.removed_by {
            Some(clean::Flag::Stale) => "--stale (when stale)",
            Some(clean::Flag::Attempts) => "--attempts",
            Some(clean::Flag::All) => "--all",
            None => "kept",
        };
        println!(
            "  {:<17} {:>10} {:>6} file{}  {:<21} {}",
            c.name,
            human_size(c.bytes),
            c.files,
            if c.files == 1 { " " } else { "s" },
            by,
            c.description
        );
    }
    if let Some(job) = &s.job {
        println!("A job is running: {job}.");
    }
}

fn print_removal(r: &Removal) {
    println!("  {}  ({}, {})", r.path, human_size(r.bytes), r.reason);
}
