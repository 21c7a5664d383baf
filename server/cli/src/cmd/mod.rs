//! One module per subcommand.

pub mod adopt;
pub mod analyze;
pub mod audit;
pub mod checklist;
pub mod clean;
pub mod cost;
pub mod daemon;
pub mod design;
pub mod diff;
pub mod doctor;
pub mod health;
pub mod hook;
pub mod init;
pub mod integrity;
pub mod interview;
pub mod log;
pub mod report;
pub mod resume;
pub mod run;
pub mod sentinel;
pub mod status;
pub mod tasks;
pub mod testgen;
pub mod validate;

use pact_core::store::Project;
use std::path::Path;

/// Opens the project or explains why not (the caller exits with 2).
pub fn open(dir: &Path) -> anyhow::Result<Project> {
    Ok(Project::open(dir)?)
}

/// Ctrl-C, SIGTERM and SIGHUP all cancel `token`: model calls and test runs stop (their
/// sandboxes and temp dirs go with them) and the project is left consistent and resumable. A
/// terminal closing or `kill` is no worse than Ctrl-C. Must be called inside a Tokio runtime.
pub fn cancel_on_signals(token: pact_agents::CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut hup)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            ) else {
                let _ = tokio::signal::ctrl_c().await;
                token.cancel();
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        token.cancel();
    });
}
