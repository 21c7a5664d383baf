//! `pact mcp`: Pact as a Model Context Protocol server over stdio, for coding agents (Claude
//! Code, Codex, Copilot CLI, …). It is a front end like the CLI and the language server: the
//! gate, the status query and the engine's job API do the work, and this crate renders what they
//! return as typed tool results (each tool has a JSON Schema for its input and its output).
//! Jobs take the project's run lock like every other front end, so a build started here is
//! refused while `pact build` or an editor holds the project, and the other way round.

mod args;
mod jobs;
mod outputs;
mod resources;
mod server;

pub use server::PactServer;

use rmcp::ServiceExt;
use std::path::PathBuf;

/// Serves MCP on stdin/stdout until the client closes the connection. `root` is where relative
/// `project` arguments are resolved (the directory the agent started the server in).
pub async fn serve_stdio(root: PathBuf) -> anyhow::Result<()> {
    let service = PactServer::new(root)
        .serve(rmcp::transport::stdio())
        .await?;
    service.waiting().await?;
    Ok(())
}

/// `pact mcp`: serves on stdio until the client closes the connection. Nothing but the protocol
/// is written to stdout; with `PACT_LOG` set (`info`, `pact_engine=debug`, …) a log goes to
/// stderr, which MCP clients keep as the server's log. An error that ends the server (a client
/// gone before `initialize`, no async runtime) is returned for the CLI to print: without
/// `PACT_LOG` it would otherwise end the process without a word.
pub fn run_stdio(root: PathBuf) -> anyhow::Result<()> {
    if let Ok(spec) = std::env::var("PACT_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new(spec))
            .try_init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    rt.block_on(serve_stdio(root))
}
