//! `pact lsp`: a language server over stdio that makes a Pact project's contracts, tree, test
//! suites and test code live documents. Diagnostics come from the same validation gate as
//! `pact validate` (`pact_core::gate`); nothing here re-implements a check.
//!
//! One job per module: `server` (the protocol surface: each method names its handler),
//! `handlers` (requests and notifications apart), `capabilities` (what the server advertises,
//! what it reads of the client's), `convert` (protocol types ↔ ours), `documents` (ropey buffers,
//! incremental edits, position encodings), `workspace` (projects, overlay, what to re-check),
//! `scheduler` (debounced, cancellable re-checks on the blocking pool), `diagnostics`
//! (findings → diagnostics), `commands` and `jobs` (pipeline runs from the editor: the engine
//! in-process, work-done progress, cancellation, the shared project lock), and one module per
//! feature.

pub mod actions;
mod capabilities;
pub mod commands;
pub mod completion;
mod convert;
pub mod diagnostics;
pub mod documents;
#[cfg(test)]
mod fuzz;
mod handlers;
pub mod hover;
pub mod incremental;
pub mod jobs;
pub mod jsonscan;
pub mod lens;
mod logging;
pub mod navigation;
pub mod scheduler;
pub mod server;
pub mod state;
pub mod subject;
pub mod symbols;
mod transport;
pub mod wording;
pub mod workspace;

use std::process::ExitCode;
use std::time::Duration;

/// Runs the server on stdin/stdout until the client says `exit` (or closes stdin).
pub fn run_stdio() -> ExitCode {
    let log = logging::init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            // No client to tell yet: stderr is the only channel.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("pact lsp: cannot start the async runtime: {e}");
            }
            return ExitCode::from(2);
        }
    };
    let clean = rt.block_on(server::serve(tokio::io::stdin(), tokio::io::stdout(), log));
    // The stdin reader sits in a blocking read; do not wait for it.
    rt.shutdown_timeout(Duration::from_millis(200));
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
