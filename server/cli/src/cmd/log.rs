use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, tail: usize, as_json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let (entries, problems) = project.read_audit()?;
    for p in &problems {
        eprintln!("warning: skipped a damaged audit line: {p}");
    }
    let skip = if tail == 0 {
        0
    } else {
        entries.len().saturating_sub(tail)
    };
    let shown = &entries[skip..];
    if as_json {
        println!("{}", serde_json::to_string_pretty(shown)?);
        return Ok(ExitCode::SUCCESS);
    }
    for e in shown {
        let ts: String = e.timestamp.chars().take(19).collect();
        println!("{ts:<19}  {:<20}  {}", e.action, e.detail);
    }
    println!("({} of {} entries)", shown.len(), entries.len());
    Ok(ExitCode::SUCCESS)
}
