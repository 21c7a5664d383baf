//! `pact adopt`: existing code under contract (the work is `pact_engine::adopt`'s, through the
//! job API). With `--dry-run`, the plan only: nothing is written. Python or TypeScript/JavaScript;
//! for the latter a `pact.yaml` saying so is written when there is none.

use super::run::RunOpts;
use pact_core::codebase::{self, Granularity, ScanOptions};
use pact_engine::job::{JobKind, JobOutcome};
use std::path::Path;
use std::process::ExitCode;

pub fn run(
    dir: &Path,
    opts: &RunOpts,
    dry_run: bool,
    json: bool,
    package: bool,
) -> anyhow::Result<ExitCode> {
    if !dir.is_dir() {
        anyhow::bail!("{}: not a directory", dir.display());
    }
    let scan = ScanOptions {
        granularity: if package {
            Granularity::Package
        } else {
            Granularity::Module
        },
        ..Default::default()
    };
    let inventory = codebase::scan(dir, &scan)?;
    let modules = pact_engine::adopt::modules(&inventory);
    if modules.is_empty() {
        anyhow::bail!(
            "{}: no module with a public function or class to adopt",
            dir.display()
        );
    }
    if dry_run {
        let tree = pact_engine::adopt::plan_tree(&modules);
        if json {
            let v = serde_json::json!({"modules": modules, "tree": tree});
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            for m in &modules {
                println!(
                    "{} <- {} ({}): {}",
                    m.component,
                    m.module,
                    m.path.display(),
                    m.names.join(", ")
                );
            }
            println!(
                "{} module(s) would be adopted: a contract and locked tests each, the module as the implementation. Nothing was written.",
                modules.len()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    // The tests' language is pact.yaml's `language`: TypeScript code needs it said, in a
    // pact.yaml made for the purpose (never one of the user's changed).
    let language = match inventory.language {
        codebase::Language::Python => "python",
        codebase::Language::TypeScript => "typescript",
    };
    let yaml = dir.join("pact.yaml");
    let made_yaml = !yaml.exists() && language != "python";
    if yaml.exists() {
        let configured = pact_core::store::Project::open(dir)
            .ok()
            .and_then(|p| p.config().ok())
            .map(|c| c.project.language.clone());
        if let Some(configured) = configured.filter(|c| c.as_str() != language) {
            anyhow::bail!(
                "{}: sets `language: {configured}`, but the code to adopt is {language}; set `language: {language}` to adopt it",
                yaml.display()
            );
        }
    }
    // `.pact/` is Pact's own: made here when absent, and taken away again if the job does not
    // start, so a refused adoption leaves the directory as it was.
    let pact = dir.join(".pact");
    let made = !pact.exists();
    std::fs::create_dir_all(&pact)?;
    if made_yaml {
        std::fs::write(&yaml, format!("language: {language}\n"))?;
    }
    let report =
        super::run::job_report(dir, opts, JobKind::Adopt { modules }, "pact adopt".into())?;
    if matches!(report.outcome, JobOutcome::Refused { .. }) {
        if made {
            let _ = std::fs::remove_dir_all(&pact);
        }
        if made_yaml {
            let _ = std::fs::remove_file(&yaml);
        }
    }
    Ok(super::report::print(&report, dir))
}
