//! One module per subcommand.

pub mod audit;
pub mod daemon;
pub mod design;
pub mod doctor;
pub mod health;
pub mod init;
pub mod integrity;
pub mod interview;
pub mod log;
pub mod run;
pub mod sentinel;
pub mod status;
pub mod validate;

use pact_core::store::Project;
use std::path::Path;

/// Opens the project or explains why not (the caller exits with 2).
pub fn open(dir: &Path) -> anyhow::Result<Project> {
    Ok(Project::open(dir)?)
}
