//! How to fix each finding: what `explain` answers (the MCP server's tool) next to the code's
//! meaning ([`Code::describe`]).

use super::Code;

impl Code {
    /// The code whose stable name is `name` (`unresolved-type`).
    pub fn parse(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// What to do about a finding with this code.
    pub fn remedy(self) -> &'static str {
        match self {
            Code::Unreadable => {
                "Replace the file with a regular UTF-8 text file under the size limit (16 MB; tree.json 256 MB), or remove it; a link to a device, a FIFO or a binary file is never read."
            }
            Code::JsonSyntax => {
                "Fix the JSON at the position shown (a missing comma, quote or bracket; a file cut short by a crash). If Pact wrote it, `pact test --regenerate` or running the phase again rewrites it."
            }
            Code::JsonSchema => {
                "Give the underlined value the type the document expects (the message names it): a known enum value, a list where a list is expected, every required field present."
            }
            Code::InvalidId => {
                "Rename the component to an id of letters, digits, `_` and `-` (no `/`, `..` or spaces), in tree.json and its directories alike."
            }
            Code::IdMismatch => {
                "Make `component_id` equal the name of the directory the document lives in (or move the document)."
            }
            Code::MissingTree => {
                "Decompose the task first: `pact run <dir>` (or the `decompose` tool) writes decomposition/tree.json."
            }
            Code::MissingRoot => "Set `root_id` to the id of a node in `nodes`.",
            Code::DanglingChild => {
                "Remove the child id from `children`, or add a node with that id (the did-you-mean names a close one)."
            }
            Code::TreeCycle => {
                "Remove one `children` edge of the cycle: a component cannot contain itself."
            }
            Code::DependencyCycle => {
                "Remove one dependency of the cycle (the related places list the others), or merge the components that need each other."
            }
            Code::MissingContract => {
                "Write the component's contract (`pact run` writes contracts for every component), or remove the component from the tree."
            }
            Code::IncompleteContract => {
                "Give the contract a name and at least one function with its inputs and output type."
            }
            Code::UnresolvedType => {
                "Define the type in the contract's `types`, use a built-in type, or correct the spelling (the did-you-mean names the closest type)."
            }
            Code::MissingTestSuite => {
                "Write the component's tests: `pact test <dir> <component> --regenerate` writes and locks them from the contract."
            }
            Code::EmptyTestSuite => {
                "Add test cases, or regenerate the suite from the contract (`pact test <dir> <component> --regenerate`)."
            }
            Code::TestSyntax => {
                "Fix the test code at the position shown so that it parses, or regenerate the tests from the contract."
            }
            Code::UnknownFunction => {
                "Call a function the contract defines (the did-you-mean names the closest), or add the function to the contract and regenerate the tests."
            }
            Code::ToothlessTest => {
                "Give the test an assertion about the result (or `pytest.raises` / `expect(...).toThrow()` for an error case): a test that cannot fail is not law."
            }
            Code::StaleTests => {
                "The contract changed since the tests were written: regenerate them (`pact test <dir> <component> --regenerate`)."
            }
            Code::DependencyWithoutContract => {
                "Write the dependency's contract, or drop the dependency."
            }
            Code::UnknownDependency => {
                "Correct the id (the did-you-mean names the closest component); an id naming no component is treated as external."
            }
            Code::DistantDependency => {
                "Depend on a sibling, a child or the parent instead, or move the component next to what it needs; if the dependency is intended, this warning can stay."
            }
            Code::VacuousTest => {
                "Make the test check something only a correct implementation gives (a specific value, an error raised): it passes against a stub that only raises."
            }
            Code::TestLockMismatch => {
                "Locked tests are the law and run as locked: undo the edit, or regenerate and re-lock the tests from the contract (`pact test <dir> <component> --regenerate`)."
            }
            Code::TestTampered => {
                "A locked test file changed after it was locked: restore it (regenerate from the contract with `pact test <dir> <component> --regenerate`). Never edit locked tests to make code pass."
            }
            Code::StaleCertification => {
                "Certify again after the change (`pact certify <dir>`), once the component's tests pass."
            }
            Code::SurvivingMutant => {
                "Add a test that fails on the mutated line shown: the suite does not notice that change to the implementation."
            }
            Code::WeakSuite => {
                "Strengthen the tests until the mutation score reaches the threshold (see the surviving mutants), or lower `mutation_threshold` in pact.yaml."
            }
            Code::UnmeasuredSuite => {
                "Make the tests pass on the current implementation first; then the mutation score can be measured."
            }
            Code::UncheckedTests => {
                "Regenerate the tests (`pact test <dir> <component> --regenerate`): that checks they fail against a stub before locking them."
            }
            Code::InProcessTest => {
                "Test the component through its contract's functions only, without patching its internals, so the tests can run across the contract boundary."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_name_that_parses_back_and_a_remedy() {
        for c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(*c));
            assert!(c.remedy().len() > 20, "{c:?}");
        }
        assert_eq!(Code::parse("no-such-code"), None);
    }
}
