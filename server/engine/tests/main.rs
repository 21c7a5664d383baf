//! The engine's integration tests, one module a subject, built as one test binary: each binary
//! links the whole engine, so one instead of twelve saves their link time and about 400 MB of
//! disk. Run one subject with `cargo test -p pact-engine --test engine <module>::`.

mod support;

mod adopt;
mod adversarial;
mod boundary;
mod daemon;
mod harness;
mod health;
mod integrity;
mod mutation;
mod pipeline;
mod replay;
mod sentinel;
mod typescript;
