//! The pipeline engine: the phases that take `task.md` to implementations passing their contract
//! tests, the harness that runs those tests, and the locks and guards that keep tests law.
//! A library: the CLI, the language server and the daemon drive it through [`job`] and listen to
//! its [`events`]. Modules no front end needs (the diff audit, the contract boundary, the
//! implementation guard) are private to the crate; the rest stay public for the front ends'
//! other commands, the benchmarks and the integration tests.

pub mod adopt;
pub mod analyze;
pub mod artifacts;
pub(crate) mod audit;
pub mod audit_spec;
pub(crate) mod boundary;
pub mod build;
pub mod checklist;
pub mod clean;
pub mod cost;
pub mod daemon;
pub mod diff;
pub mod directive;
pub mod doctor;
pub mod engine;
pub mod events;
pub(crate) mod guard;
pub mod harness;
pub mod health;
pub mod integrity;
pub mod job;
pub mod joblock;
pub mod lock;
pub mod phases;
pub mod resume;
pub mod roles;
pub mod runtime;
pub mod sandbox;
pub(crate) mod scratch;
pub mod sentinel;
pub mod setup;
pub mod stubs;
pub mod tasks;

pub use engine::{Backends, Engine, EngineError, Outcome, SameForAll};
/// The backend layer's error, as `EngineError::Agent` carries it (front ends match on it).
pub use pact_agents::AgentError;
