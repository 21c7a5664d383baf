//! Pact's foundation: the project model, the store that reads and writes it safely, the
//! configuration, and the validation gate that the CLI, the engine and the language server share.

pub mod codebase;
pub mod config;
pub mod design;
pub mod digest;
pub mod gate;
pub mod ids;
pub mod json;
pub mod model;
pub mod store;
pub mod testcode;
pub mod text;
