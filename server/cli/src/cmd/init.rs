use pact_core::store::Project;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, budget: f64) -> anyhow::Result<ExitCode> {
    let (project, written) = Project::init(dir, budget)?;
    if written.is_empty() {
        println!(
            "{} already has task.md, sops.md, pact.yaml and design.md; nothing written.",
            dir.display()
        );
    } else {
        for p in &written {
            println!(
                "created {}",
                p.strip_prefix(project.root()).unwrap_or(p).display()
            );
        }
        println!(
            "\nNext: describe what to build in {}, your standards in {}, then `pact run {}`.",
            project.layout.task_md().display(),
            project.layout.sops_md().display(),
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
