//! Cross-artifact analysis (`pact analyze`): checks across task.md, the tree, the contracts and
//! the test suites that need no model and that the gate does not make (the gate decides whether
//! the plan is valid; this says where it is thin):
//!
//! - coverage: a component without a contract or suite, a function without test cases, a
//!   requirement of task.md that no component's contract, tree node or tests speak of;
//! - ambiguity: vague words ("should", "appropriate", "etc.", "fast", …) in contracts, where a
//!   condition must be testable;
//! - duplication: one type name defined by several contracts;
//! - consistency: a parent whose contract does not depend on its children, a dependency the
//!   contract, tests and code never use.
//!
//! Findings carry the original's fields (`F001`, severity, category, component, description,
//! suggestion, artifacts) and the file and position where there is one. Deterministic: tree
//! order, then the order of each document.

mod ambiguity;
mod consistency;
mod duplication;
mod requirements;

use crate::artifacts::{Artifacts, Location};
use ambiguity::*;
use consistency::*;
use duplication::*;
use pact_core::json::Seg;
use pact_core::model::{ComponentContract, TypeSpec};
use requirements::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    CoverageGap,
    Ambiguity,
    Duplication,
    Consistency,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CoverageGap => "coverage_gap",
            Self::Ambiguity => "ambiguity",
            Self::Duplication => "duplication",
            Self::Consistency => "consistency",
        }
    }
}

/// What a finding is about, for front ends that group or filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    MissingContract,
    MissingSuite,
    UntestedFunction,
    UncoveredRequirement,
    VagueWording,
    DuplicateType,
    MissingChildDependency,
    UnusedDependency,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub category: Category,
    pub code: Code,
    /// The component it is about, or empty.
    pub component_id: String,
    pub description: String,
    pub suggestion: String,
    /// Files it concerns, relative to the project.
    pub artifacts: Vec<String>,
    /// Where it is, when there is one place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Other places it concerns (the other definitions of a duplicate type).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisReport {
    /// The tree's root component, as the original names the report.
    pub project_id: String,
    /// `"E error(s), W warning(s), I info(s)"`, the original's summary.
    pub summary: String,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub findings: Vec<Finding>,
}

/// Words that leave a contract open to interpretation. Matched whole, ignoring case.
pub const VAGUE_WORDS: &[&str] = &[
    "should",
    "appropriate",
    "appropriately",
    "etc",
    "fast",
    "quickly",
    "efficient",
    "efficiently",
    "reasonable",
    "reasonably",
    "properly",
    "adequate",
    "sufficient",
    "robust",
    "flexible",
    "user-friendly",
    "intuitive",
    "easy",
    "easily",
    "various",
    "several",
    "some",
    "maybe",
    "perhaps",
    "probably",
    "possibly",
    "somehow",
    "something",
    "stuff",
    "things",
    "whatever",
    "usually",
    "normally",
    "generally",
    "mostly",
    "roughly",
    "approximately",
    "tbd",
    "todo",
    "fixme",
    "hack",
];

/// The vague words in `text`, as written, each once, in order.
pub fn vague_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(text) {
        let lower = w.to_ascii_lowercase();
        if VAGUE_WORDS.contains(&lower.as_str()) && !out.iter().any(|o| o.eq_ignore_ascii_case(w)) {
            out.push(w.to_string());
        }
    }
    out
}

/// Words of `text`: letters, digits, `-`, `_` and `'` inside a word.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_' || c == '\''))
        .map(|w| w.trim_matches(|c| c == '-' || c == '\'' || c == '_'))
        .filter(|w| !w.is_empty())
}

/// Analyzes the plan.
pub fn analyze(a: &Artifacts) -> AnalysisReport {
    let mut f = Findings::default();
    coverage(a, &mut f);
    requirements(a, &mut f);
    ambiguity(a, &mut f);
    duplication(a, &mut f);
    consistency(a, &mut f);
    let count = |s: Severity| f.0.iter().filter(|x| x.severity == s).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    AnalysisReport {
        project_id: a.tree.root_id.clone(),
        summary: format!("{errors} error(s), {warnings} warning(s), {infos} info(s)"),
        errors,
        warnings,
        infos,
        findings: f.0,
    }
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        severity: Severity,
        category: Category,
        code: Code,
        component: &str,
        description: String,
        suggestion: String,
        location: Option<Location>,
        related: Vec<Location>,
    ) {
        let mut artifacts: Vec<String> = Vec::new();
        for l in location.iter().chain(&related) {
            if !artifacts.contains(&l.file) {
                artifacts.push(l.file.clone());
            }
        }
        self.0.push(Finding {
            id: format!("F{:03}", self.0.len() + 1),
            severity,
            category,
            code,
            component_id: component.to_string(),
            description,
            suggestion,
            artifacts,
            location,
            related,
        });
    }
}

fn coverage(a: &Artifacts, f: &mut Findings) {
    for (id, node) in &a.tree.nodes {
        let Some(contract) = a.contract(id) else {
            f.add(
                Severity::Error,
                Category::CoverageGap,
                Code::MissingContract,
                id,
                format!("Component '{}' ({id}) has no contract", node.name),
                "Generate a contract for this component (`pact run`)".into(),
                Some(a.in_tree(id)),
                vec![],
            );
            continue;
        };
        let Some(suite) = a.suite(id) else {
            f.add(
                Severity::Error,
                Category::CoverageGap,
                Code::MissingSuite,
                id,
                format!("Component '{}' ({id}) has no test suite", node.name),
                "Generate a test suite from the contract (`pact test --regenerate`)".into(),
                Some(a.file(&a.docs.layout.suite(id))),
                vec![],
            );
            continue;
        };
        let tested: HashSet<&str> = suite
            .test_cases
            .iter()
            .map(|t| t.function.as_str())
            .collect();
        for (i, func) in contract.functions.iter().enumerate() {
            if !tested.contains(func.name.as_str()) {
                f.add(
                    Severity::Warning,
                    Category::CoverageGap,
                    Code::UntestedFunction,
                    id,
                    format!(
                        "Function '{}' in '{}' has no test cases",
                        func.name, contract.name
                    ),
                    format!("Add test cases for {}", func.name),
                    Some(a.in_contract(
                        id,
                        &[Seg::from("functions"), Seg::from(i), Seg::from("name")],
                        None,
                    )),
                    vec![],
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vague_words_are_found_whole_and_once() {
        assert_eq!(
            vague_words("Should be fast, etc. It should be FAST."),
            ["Should", "fast", "etc"]
        );
        assert!(vague_words("Counts how many times each token occurs").is_empty());
        assert!(vague_words("breakfast shoulder").is_empty());
    }

    #[test]
    fn requirements_are_items_and_sentences() {
        let text = "# Task\n\nDescribe your task here.\n\nBuild a thing. It counts words, e.g. nouns.\n\n## Context\n\n- Input is UTF-8.\n- Ties are broken\n  alphabetically.\n1. Numbered one\n```\ncode. here.\n```\n";
        let reqs: Vec<String> = requirement_lines(text)
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(
            reqs,
            [
                "Build a thing.",
                "It counts words, e.g. nouns.",
                "Input is UTF-8.",
                "Ties are broken alphabetically.",
                "Numbered one"
            ]
        );
        let (at, _) = requirement_lines(text)[2].clone();
        assert!(text[at..].starts_with("Input is"));
    }

    #[test]
    fn keywords_are_stemmed_and_split() {
        let k = keywords("Tokenizes the WordCount entries; ties broken alphabetically");
        for w in [
            "tokeniz",
            "word",
            "count",
            "entry",
            "tie",
            "broken",
            "alphabetical",
        ] {
            assert!(k.contains(w), "{w} not in {k:?}");
        }
        assert_eq!(stem("tokenize"), stem("tokenized"));
        assert_eq!(stem("counts"), stem("counting"));
    }
}
