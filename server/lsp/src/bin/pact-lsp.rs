//! `pact-lsp`: the language server alone, over stdio — the same entry as `pact lsp`
//! (`pact_lsp::run_stdio`). The crate's protocol tests (`server/lsp/tests`) start it as an
//! editor starts `pact lsp`. `--stdio` is accepted (stdio is the only transport).

use std::process::ExitCode;

// A usage error before any client exists: stderr is the only channel.
#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    if let Some(other) = std::env::args().skip(1).find(|a| a != "--stdio") {
        eprintln!("pact-lsp: unknown argument {other} (usage: pact-lsp [--stdio])");
        return ExitCode::from(2);
    }
    pact_lsp::run_stdio()
}
