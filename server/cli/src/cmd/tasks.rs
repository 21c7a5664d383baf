//! `pact tasks` and `pact export-tasks`: the plan as a task list (the engine's
//! `pact_engine::tasks`), printed as Markdown or JSON, or written to a file.

use pact_engine::{artifacts, tasks};
use std::path::Path;
use std::process::ExitCode;

/// Which rendering `export-tasks` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

fn task_list(dir: &Path) -> anyhow::Result<tasks::TaskList> {
    let project = super::open(dir)?;
    let plan = artifacts::load(&project)?;
    let name = project
        .root()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(tasks::generate(&plan, &name))
}

fn render(list: &tasks::TaskList, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Markdown => list.to_markdown(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(list)?;
            s.push('\n');
            s
        }
    })
}

/// `pact tasks`: the task list on standard output.
pub fn show(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let list = task_list(dir)?;
    let format = if json { Format::Json } else { Format::Markdown };
    print!("{}", render(&list, format)?);
    Ok(ExitCode::SUCCESS)
}

/// `pact export-tasks`: the task list on standard output, or in `out` (never over an existing
/// file without `force`).
pub fn export(
    dir: &Path,
    format: Format,
    out: Option<&Path>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let list = task_list(dir)?;
    let text = render(&list, format)?;
    let Some(path) = out else {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    };
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.is_file() => {
            anyhow::bail!("{} exists and is not a regular file", path.display())
        }
        Ok(_) if !force => anyhow::bail!(
            "{} exists; `--force` overwrites it (nothing was written)",
            path.display()
        ),
        _ => {}
    }
    pact_core::store::fsio::write_atomic(path, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
    println!(
        "Wrote {} ({} tasks, {} completed).",
        path.display(),
        list.total(),
        list.completed()
    );
    Ok(ExitCode::SUCCESS)
}
