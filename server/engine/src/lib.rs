//! The pipeline engine: the phases that take `task.md` to implementations passing their contract
//! tests, the harness that runs those tests, and the locks and guards that keep tests law.

pub mod guard;
pub mod harness;
pub mod lock;
