//! What the engine's integration tests share: scripted and keyed backends, fixture projects, the
//! provisioned test runtimes (made once per machine, then shared by every test in this binary).
#![allow(dead_code)]

pub mod csvstats;
pub mod fixture;
pub mod keyed;
pub mod node;
pub mod runtime;
pub mod script;
pub mod setup;
