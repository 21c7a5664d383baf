//! `pact audit`: spec compliance of task.md against the implementations (an auditor agent).

use super::run::RunOpts;
use std::path::Path;
use std::process::ExitCode;

/// Exit 0 when every requirement is at least partly covered, 1 when there are gaps.
pub fn run(dir: &Path, opts: &RunOpts, as_json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let engine = super::run::quiet_engine(&project, opts)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let r = rt.block_on(pact_engine::audit_spec::audit(&engine))?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", r.render());
    }
    Ok(if r.gap_count > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
