//! The mechanisms that keep agents from weakening, dodging or gaming the tests: red-first
//! (tests must fail against a stub), mutation testing of accepted implementations, and
//! evidence-gated certification. The diff audit of every implementation attempt is
//! [`crate::audit`] (re-exported here as [`diff_audit`]).
//! One file per mechanism; mutant generation is apart from running them.

mod certify;
mod mutants;
mod mutation;
mod red_first;

pub use certify::{certify, verify_certification};
pub use mutants::{Mutation, python_mutations};
pub use mutation::{gate_finding, mutate};
pub use red_first::{passing_on_stub, write_red_first};

use std::collections::HashSet;

/// The diff audit of implementation attempts lives in [`crate::audit`].
pub use crate::audit::diff_audit;

/// The ids of the tests that passed in `run`.
fn passed(run: &crate::harness::TestRun) -> Vec<String> {
    let failed: HashSet<&str> = run
        .results
        .failure_details
        .iter()
        .map(|f| f.test_id.as_str())
        .collect();
    run.cases
        .iter()
        .filter(|c| !failed.contains(c.as_str()))
        .cloned()
        .collect()
}
