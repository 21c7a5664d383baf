//! `pact diff`: a component's current implementation against one of its attempts
//! (`pact_engine::diff`), as unified diffs, or JSON.

use pact_engine::diff::{self, Change, SourceKind};
use std::path::Path;
use std::process::ExitCode;

pub fn run(
    dir: &Path,
    component: &str,
    attempt: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let d = diff::diff(&project, component, attempt)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("Implementations of {}:", d.component);
    let w = d.sources.iter().map(|s| s.id.len()).max().unwrap_or(0);
    for s in &d.sources {
        let mut notes = vec![match s.kind {
            SourceKind::Current => s.path.clone(),
            SourceKind::Competitive => "competitive".into(),
            SourceKind::Archived => "archived".into(),
        }];
        if s.winner {
            notes.push("winner".into());
        }
        if let (Some(p), Some(t)) = (s.passed, s.total) {
            notes.push(format!("{p}/{t} passed"));
        }
        notes.push(format!(
            "{} file{}",
            s.files,
            if s.files == 1 { "" } else { "s" }
        ));
        println!("  {:<w$}  {}", s.id, notes.join(", "));
    }
    println!();
    if d.files.is_empty() {
        println!("No differences: {} and {} are identical.", d.from, d.to);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Diff: {} → {} ({} file{} differ{})",
        d.from,
        d.to,
        d.files.len(),
        if d.files.len() == 1 { "" } else { "s" },
        if d.files.len() == 1 { "s" } else { "" }
    );
    for f in &d.files {
        match f.change {
            Change::Binary => println!(
                "Binary files {}/{} and {}/{} differ",
                d.from, f.path, d.to, f.path
            ),
            _ => print!("{}", f.unified),
        }
    }
    Ok(ExitCode::SUCCESS)
}
