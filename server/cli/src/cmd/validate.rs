use pact_core::gate::{self, Finding, Severity};
use std::path::Path;
use std::process::ExitCode;

/// Warnings of one kind printed before the rest are counted (`--all` prints them all).
const WARNINGS_SHOWN: usize = 3;

pub fn run(dir: &Path, as_json: bool, all: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    // A pact.yaml Pact cannot use is an unusable project here too (exit 2), as for every
    // other command; unknown keys are warnings.
    let config = project.config()?;
    for w in &config.warnings {
        eprintln!("warning: {}: {}", w.path.display(), w.message);
    }
    let docs = project.docs();
    let mut cache = gate::AnalysisCache::open(&project.layout.pact_dir().join("cache"));
    let report = gate::validate_with(&docs, &mut cache);
    let root = project.root();
    let rel = |f: &Finding| {
        f.file
            .as_deref()
            .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
            .unwrap_or_default()
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report.verdict(root))?);
    } else {
        // One problem seen in several places prints once, with each place; errors in full,
        // warnings the first few of each kind and then how many more (a big project can have a
        // thousand of one kind; `--json` and `--all` give them all).
        let mut groups: indexmap::IndexMap<(&str, &str), Vec<&Finding>> = indexmap::IndexMap::new();
        for f in report
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
        {
            groups
                .entry((f.code.as_str(), f.message.as_str()))
                .or_default()
                .push(f);
        }
        let mut shown_of: std::collections::HashMap<&str, usize> = Default::default();
        let mut hidden: indexmap::IndexMap<&str, usize> = indexmap::IndexMap::new();
        for ((code, message), places) in &groups {
            let f = places[0];
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            if f.severity == Severity::Warning && !all {
                let n = shown_of.entry(code).or_default();
                if *n >= WARNINGS_SHOWN {
                    *hidden.entry(code).or_default() += 1;
                    continue;
                }
                *n += 1;
            }
            println!("{sev}[{code}]: {message}");
            for same in places {
                let file = rel(same);
                match (file.is_empty(), same.start) {
                    (true, _) => {}
                    (false, Some(p)) => println!("  --> {file}:{}:{}", p.line, p.column),
                    (false, None) => println!("  --> {file}"),
                }
            }
            match &f.fix {
                Some(gate::Fix::Replace { with }) => println!("  = help: did you mean {with}?"),
                Some(gate::Fix::AddDependency { id }) => {
                    println!("  = help: add \"{id}\" to `dependencies`")
                }
                None => {}
            }
        }
        for (code, n) in &hidden {
            println!(
                "… {n} more {code} warning{} (`pact validate --all` prints them)",
                if *n == 1 { "" } else { "s" }
            );
        }
        if report.passed() {
            println!("Validation PASSED: {}", report.reason());
        } else {
            println!("Validation FAILED: {}", report.reason());
        }
    }
    let code = if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    // The process ends here: freeing every parsed document one by one only costs time (a tenth
    // of a warm run on a large project); the OS takes the memory back at once.
    std::mem::forget(report);
    std::mem::forget(docs);
    Ok(code)
}
