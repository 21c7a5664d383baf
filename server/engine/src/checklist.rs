//! The requirements checklist (`pact checklist`): questions a reviewer should answer about the
//! contracts, derived without a model from the contracts and their test suites. Where the
//! answer can be read off the project it is given (an error case with a test that expects its
//! error is satisfied; one without is not; a condition worded vaguely is not testable), else the
//! question stays open for a person. The original's items (`C001`, category, question, component,
//! reference, satisfied), with the place in the contract.

use crate::analyze::vague_words;
use crate::artifacts::{Artifacts, Location};
use pact_core::json::Seg;
use pact_core::model::{ContractTestSuite, FunctionContract, TestCase, TestCategory};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistCategory {
    AcceptanceCriteria,
    EdgeCases,
    ErrorHandling,
    Testability,
}

impl ChecklistCategory {
    /// The Markdown heading.
    pub fn title(self) -> &'static str {
        match self {
            Self::AcceptanceCriteria => "Acceptance Criteria",
            Self::EdgeCases => "Edge Cases",
            Self::ErrorHandling => "Error Handling",
            Self::Testability => "Testability",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChecklistItem {
    pub id: String,
    pub category: ChecklistCategory,
    pub question: String,
    pub component_id: String,
    /// The file the question is about, relative to the project.
    pub reference: String,
    /// `true`: the project answers yes; `false`: it answers no; `None`: a person must answer.
    pub satisfied: Option<bool>,
    /// Why the answer is what it is, when it was read off the project.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub why: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checklist {
    pub project_id: String,
    pub total: usize,
    pub satisfied: usize,
    pub unsatisfied: usize,
    pub unanswered: usize,
    pub items: Vec<ChecklistItem>,
}

/// The checklist of the plan; `project_id` names it (the original: the directory's name).
pub fn generate(a: &Artifacts, project_id: &str) -> Checklist {
    let mut items = Items::default();
    for id in a.tree.nodes.keys() {
        let Some(c) = a.contract(id) else { continue };
        let suite = a.suite(id);
        for (fi, f) in c.functions.iter().enumerate() {
            function(a, &mut items, id, fi, f, suite);
        }
        for (i, inv) in c.invariants.iter().enumerate() {
            let (satisfied, why) = condition_verdict(inv, None);
            items.add(
                ChecklistCategory::AcceptanceCriteria,
                format!("Is the invariant of '{}' measurable: {inv}?", c.name),
                id,
                satisfied,
                why,
                a.in_contract(id, &[Seg::from("invariants"), Seg::from(i)], None),
            );
        }
        if let Some(s) = suite {
            suite_items(a, &mut items, id, s);
        }
    }
    let items = items.0;
    let count = |v: Option<bool>| items.iter().filter(|i| i.satisfied == v).count();
    Checklist {
        project_id: project_id.to_string(),
        total: items.len(),
        satisfied: count(Some(true)),
        unsatisfied: count(Some(false)),
        unanswered: count(None),
        items,
    }
}

#[derive(Default)]
struct Items(Vec<ChecklistItem>);

impl Items {
    fn add(
        &mut self,
        category: ChecklistCategory,
        question: String,
        component: &str,
        satisfied: Option<bool>,
        why: String,
        location: Location,
    ) {
        self.0.push(ChecklistItem {
            id: format!("C{:03}", self.0.len() + 1),
            category,
            question,
            component_id: component.to_string(),
            reference: location.file.clone(),
            satisfied,
            why,
            location: Some(location),
        });
    }
}

fn tests_of<'a>(suite: Option<&'a ContractTestSuite>, f: &str) -> Vec<&'a TestCase> {
    suite
        .map(|s| s.test_cases.iter().filter(|t| t.function == f).collect())
        .unwrap_or_default()
}

fn function(
    a: &Artifacts,
    items: &mut Items,
    id: &str,
    fi: usize,
    f: &FunctionContract,
    suite: Option<&ContractTestSuite>,
) {
    let at = |more: &[Seg]| {
        let mut p = vec![Seg::from("functions"), Seg::from(fi)];
        p.extend_from_slice(more);
        a.in_contract(id, &p, None)
    };
    let tests = tests_of(suite, &f.name);
    let has = |cat: TestCategory| tests.iter().any(|t| t.category == cat);

    // Coverage first: without tests, nothing below is checked.
    if tests.is_empty() {
        items.add(
            ChecklistCategory::Testability,
            format!("Does '{}' have any test coverage?", f.name),
            id,
            Some(false),
            if suite.is_some() {
                "no test case calls it".into()
            } else {
                "the component has no test suite".into()
            },
            at(&[Seg::from("name")]),
        );
    } else if !has(TestCategory::HappyPath) {
        items.add(
            ChecklistCategory::Testability,
            format!("Does '{}' have happy path test coverage?", f.name),
            id,
            Some(false),
            "no happy_path test case".into(),
            at(&[Seg::from("name")]),
        );
    }

    // Error handling: each declared error case expected by a test, or the question why none.
    if f.error_cases.is_empty() {
        items.add(
            ChecklistCategory::ErrorHandling,
            format!(
                "Are error cases defined for '{}'? Its contract declares none.",
                f.name
            ),
            id,
            None,
            String::new(),
            at(&[Seg::from("name")]),
        );
    }
    for (i, e) in f.error_cases.iter().enumerate() {
        let tested = tests.iter().any(|t| {
            t.category == TestCategory::ErrorCase
                && (t.expected_error.contains(&e.error_type)
                    || t.expected_error.contains(&e.name)
                    || t.description.contains(&e.name))
        });
        let why = if tested {
            format!("an error_case test expects {}", e.error_type)
        } else {
            format!("no error_case test of {} expects {}", f.name, e.error_type)
        };
        items.add(
            ChecklistCategory::ErrorHandling,
            format!(
                "Is error case '{}' of '{}' ({} when {}) tested?",
                e.name, f.name, e.error_type, e.condition
            ),
            id,
            Some(tested),
            why,
            at(&[Seg::from("error_cases"), Seg::from(i), Seg::from("name")]),
        );
    }

    // Boundaries of the inputs that have them.
    for (i, input) in f.inputs.iter().enumerate() {
        let Some(bounds) = boundaries(&input.type_ref) else {
            continue;
        };
        let (satisfied, why) = if has(TestCategory::EdgeCase) {
            (None, String::new())
        } else {
            (Some(false), format!("no edge_case test of {}", f.name))
        };
        items.add(
            ChecklistCategory::EdgeCases,
            format!(
                "Are the boundaries of '{}' input '{}' ({}) tested: {bounds}?",
                f.name, input.name, input.type_ref
            ),
            id,
            satisfied,
            why,
            at(&[Seg::from("inputs"), Seg::from(i), Seg::from("type_ref")]),
        );
    }

    // Conditions a test must be able to decide.
    for (i, pre) in f.preconditions.iter().enumerate() {
        let (satisfied, why) = condition_verdict(pre, Some(f));
        items.add(
            ChecklistCategory::Testability,
            format!("Is the precondition of '{}' testable: {pre}?", f.name),
            id,
            satisfied,
            why,
            at(&[Seg::from("preconditions"), Seg::from(i)]),
        );
    }
    for (i, post) in f.postconditions.iter().enumerate() {
        let (satisfied, why) = condition_verdict(post, Some(f));
        items.add(
            ChecklistCategory::AcceptanceCriteria,
            format!("Is the postcondition of '{}' measurable: {post}?", f.name),
            id,
            satisfied,
            why,
            at(&[Seg::from("postconditions"), Seg::from(i)]),
        );
    }
}

/// The values worth a test for an input of this type, or `None` for types without boundaries.
fn boundaries(type_ref: &str) -> Option<&'static str> {
    let t = type_ref.trim();
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("optional[") || lower.ends_with("| none") || lower.ends_with("|none") {
        return Some("None");
    }
    if lower.starts_with("list[")
        || lower.starts_with("dict[")
        || lower.starts_with("set[")
        || lower.starts_with("tuple[")
        || matches!(lower.as_str(), "list" | "dict" | "set" | "tuple" | "bytes")
        || lower.ends_with("[]")
        || lower.starts_with("array<")
        || lower.starts_with("record<")
        || lower.starts_with("map<")
    {
        return Some("empty, a single element, many elements");
    }
    match lower.as_str() {
        "int" | "float" | "number" | "bigint" | "decimal" => {
            Some("0, negative values, the largest values")
        }
        "str" | "string" => Some("the empty string, whitespace only, non-ASCII text"),
        _ => None,
    }
}

/// Whether a condition can be decided by a test as worded: not when it is vague, nor when it
/// names nothing a test can observe (an input, the result, a function); otherwise a person
/// answers.
fn condition_verdict(text: &str, f: Option<&FunctionContract>) -> (Option<bool>, String) {
    let vague = vague_words(text);
    if !vague.is_empty() {
        let quoted: Vec<String> = vague.iter().map(|w| format!("\"{w}\"")).collect();
        return (
            Some(false),
            format!(
                "vague wording ({}): a test cannot decide it",
                quoted.join(", ")
            ),
        );
    }
    let Some(f) = f else {
        return (None, String::new());
    };
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let observable = [
        "result", "results", "output", "returns", "return", "returned",
    ];
    let names_something = words.iter().any(|w| {
        observable.contains(&w.as_str())
            || f.inputs.iter().any(|i| i.name.eq_ignore_ascii_case(w))
            || f.name.eq_ignore_ascii_case(w)
    }) || ["==", "!=", "<", ">", "len("]
        .iter()
        .any(|op| text.contains(op));
    if names_something {
        (None, String::new())
    } else {
        (
            Some(false),
            format!(
                "it names no input of {}, nor its result: a test has nothing to check",
                f.name
            ),
        )
    }
}

fn suite_items(a: &Artifacts, items: &mut Items, id: &str, s: &ContractTestSuite) {
    let file = a.file(&a.docs.layout.suite(id));
    let has = |cat: TestCategory| s.test_cases.iter().any(|t| t.category == cat);
    for (cat, name, category) in [
        (
            TestCategory::HappyPath,
            "happy path",
            ChecklistCategory::Testability,
        ),
        (
            TestCategory::ErrorCase,
            "error case",
            ChecklistCategory::Testability,
        ),
        (
            TestCategory::EdgeCase,
            "edge case",
            ChecklistCategory::EdgeCases,
        ),
    ] {
        if !has(cat) {
            items.add(
                category,
                format!("Does the test suite of '{id}' include {name} tests?"),
                id,
                Some(false),
                format!("none of its {} test cases is one", s.test_cases.len()),
                file.clone(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_by_type() {
        assert!(boundaries("int").is_some_and(|b| b.contains("negative")));
        assert!(boundaries("list[Token]").is_some_and(|b| b.contains("empty")));
        assert_eq!(boundaries("Optional[str]"), Some("None"));
        assert_eq!(boundaries("WordCount"), None);
        assert_eq!(boundaries("bool"), None);
    }

    #[test]
    fn conditions_vague_or_about_nothing_are_not_testable() {
        let f: FunctionContract = serde_json::from_value(serde_json::json!({
            "name": "top_n", "description": "", "output_type": "list[str]",
            "inputs": [{"name": "n", "type_ref": "int"}]
        }))
        .expect("function");
        assert_eq!(condition_verdict("n >= 1", Some(&f)).0, None);
        assert_eq!(condition_verdict("the result is sorted", Some(&f)).0, None);
        assert_eq!(condition_verdict("should be fast", Some(&f)).0, Some(false));
        assert_eq!(
            condition_verdict("everything is consistent", Some(&f)).0,
            Some(false)
        );
    }
}
