//! Pact's end-to-end tests: the real `pact` binary driven as a user, an editor or a coding agent
//! drives it, one module a subject. They are one test binary, not fifteen: each would link the
//! whole of Pact, so one saves their link time and hundreds of MB of disk. Run one subject with
//! `cargo test -p pact-cli --test cli <module>::`.

mod support;
// `server/lsp/tests/support/editor_runs.rs`, shared with the language server's own tests, finds
// its LSP client at the crate root.
use support::lsp_client;

mod adopt;
mod claude_hook;
mod cli;
mod daemon;
mod doctor;
mod hostile_files;
mod jobs;
mod lsp_runs;
mod mcp;
mod nvim_plugin;
mod original_commands;
mod run;
mod sentinel;
mod test_gen;
mod validate;
