//! One module per subcommand.

pub mod design;
pub mod init;
pub mod interview;
pub mod log;
pub mod run;
pub mod status;
pub mod validate;

use pact_core::store::Project;
use std::path::Path;

/// Opens the project or explains why not (the caller exits with 2).
pub fn open(dir: &Path) -> anyhow::Result<Project> {
    Ok(Project::open(dir)?)
}
