//! The tools' outputs that are not the engine's or the gate's own types.

use pact_engine::job::status::ComponentStatus;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Components {
    pub components: Vec<ComponentStatus>,
}

/// One component: its contract, a summary of its tests and how it was last built.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ContractView {
    pub component: String,
    /// `interface.json` as it is on disk (the contract).
    pub contract: Value,
    /// The contract's function names.
    pub functions: Vec<String>,
    pub tests: TestsSummary,
    /// `metadata.json` of the implementation (what it was built from), if it was built.
    pub build: Option<Value>,
    /// Where the component stands, as `status` says it.
    pub status: Option<ComponentStatus>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TestsSummary {
    /// The suite's test cases (0 when there is no suite).
    pub cases: usize,
    pub language: Option<String>,
    /// Whether the tests are locked (what runs is the locked copy).
    pub locked: bool,
    /// The test files, relative to the project.
    pub files: Vec<String>,
}

/// What a finding code means and how to fix it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Explanation {
    pub code: String,
    pub meaning: String,
    pub fix: String,
}

/// One test of a `run_tests` call: every failing test with its message.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TestFailure {
    pub test: String,
    pub message: String,
}

/// A `run_tests` call: the job's report and every failure the run recorded.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TestRun {
    pub report: pact_engine::job::JobReport,
    pub passed: u64,
    pub total: u64,
    pub failures: Vec<TestFailure>,
}
