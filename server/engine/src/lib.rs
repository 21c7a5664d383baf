//! The pipeline engine: the phases that take `task.md` to implementations passing their contract
//! tests, the harness that runs those tests, and the locks and guards that keep tests law.
//! A library: the CLI and the language server both drive it and listen to its [`events`].

pub mod audit;
pub mod audit_spec;
pub mod boundary;
pub mod build;
pub mod daemon;
pub mod directive;
pub mod doctor;
pub mod engine;
pub mod events;
pub mod guard;
pub mod harness;
pub mod health;
pub mod integrity;
pub mod job;
pub mod joblock;
pub mod lock;
pub mod phases;
pub mod roles;
pub mod runtime;
pub mod sandbox;
pub mod sentinel;
pub mod setup;
pub mod stubs;

pub use engine::{Backends, Engine, EngineError, Outcome, SameForAll};
/// The backend layer's error, as `EngineError::Agent` carries it (front ends match on it).
pub use pact_agents::AgentError;
