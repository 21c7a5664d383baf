use pact_core::design::{DesignInputs, render};
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let tree = project.load_tree()?;
    let decisions = project.load_decisions()?;
    let state = project.load_state()?;
    let title = tree
        .as_ref()
        .and_then(|t| t.nodes.get(&t.root_id).map(|n| n.name.clone()))
        .unwrap_or_else(|| {
            project
                .root()
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("project")
                .to_string()
        });
    let results = |cid: &str| project.load_test_results(cid).ok().flatten();
    let text = render(&DesignInputs {
        title: &title,
        tree: tree.as_ref(),
        decisions: &decisions,
        state: state.as_ref(),
        results: &results,
    });
    let path = project.layout.design_md();
    project.write_text(&path, &text)?;
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}
