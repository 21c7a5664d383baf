//! `pact analyze`: cross-artifact checks without a model (`pact_engine::analyze`), as the
//! original's Markdown report with each finding's place, or as JSON. Exit 1 when a finding is
//! an error (a component without a contract or suite).

use pact_engine::analyze::{self, Severity};
use pact_engine::artifacts;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let plan = artifacts::load(&project)?;
    let report = analyze::analyze(&plan);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(if report.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn render(r: &analyze::AnalysisReport) -> String {
    let mut out = format!(
        "# Cross-Artifact Analysis — {}\nSummary: {}\n\n",
        r.project_id, r.summary
    );
    if r.findings.is_empty() {
        out.push_str("No findings. All artifacts are consistent.\n");
        return out;
    }
    for (severity, heading) in [
        (Severity::Error, "ERRORS"),
        (Severity::Warning, "WARNINGS"),
        (Severity::Info, "INFOS"),
    ] {
        let items: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if items.is_empty() {
            continue;
        }
        out.push_str(&format!("## {heading} ({})\n\n", items.len()));
        for f in items {
            let component = if f.component_id.is_empty() {
                String::new()
            } else {
                format!(" [{}]", f.component_id)
            };
            out.push_str(&format!(
                "- **{}**{component} [{}] {}\n",
                f.id,
                f.category.as_str(),
                f.description
            ));
            if let Some(at) = &f.location {
                let mut places = vec![at.to_string()];
                places.extend(f.related.iter().map(ToString::to_string));
                out.push_str(&format!("  - At: {}\n", places.join(", ")));
            }
            if !f.suggestion.is_empty() {
                out.push_str(&format!("  - Suggestion: {}\n", f.suggestion));
            }
        }
        out.push('\n');
    }
    out
}
