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

use crate::artifacts::{Artifacts, Location};
use pact_core::json::Seg;
use pact_core::model::{ComponentContract, TypeSpec};
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

// ── Requirements ────────────────────────────────────────────────────

/// Template and filler text that states no requirement.
const TEMPLATE_LINES: &[&str] = &[
    "Describe your task here.",
    "Any relevant context, constraints, or requirements.",
];

/// Words that carry no subject matter in a requirement.
const STOPWORDS: &str = "\
     a an the and or nor but if then else of to in on at by for with from into onto as is are \
     be been being was were it its this that these those there their they them we you your \
     our us i me my he she his her not no yes all any each every some such than too very can \
     could should would will shall must may might do does did done has have had get gets got \
     make makes made use uses used using via also only just so up down out over under about \
     how what when where which who whom why build builds create creates implement implements \
     provide provides support supports given small simple new way like etc more most less \
     least other others same both between after before while per within without often many \
     much few one two three able need needs want wants task tasks user users e.g i.e eg ie";

fn stopwords() -> &'static HashSet<&'static str> {
    static SET: std::sync::OnceLock<HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOPWORDS.split_whitespace().collect())
}

/// A requirement of task.md: where it starts (byte offset) and its text.
fn requirement_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut para: Vec<(usize, &str)> = Vec::new();
    let mut fence = false;
    let mut offset = 0;
    let flush = |para: &mut Vec<(usize, &str)>, out: &mut Vec<(usize, String)>| {
        for (at, s) in sentences(para) {
            out.push((at, s));
        }
        para.clear();
    };
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        let indent = body.len() - trimmed.len();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            flush(&mut para, &mut out);
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            flush(&mut para, &mut out);
            continue;
        }
        if TEMPLATE_LINES.contains(&trimmed.trim()) {
            flush(&mut para, &mut out);
            continue;
        }
        if let Some(item) = list_item(trimmed) {
            flush(&mut para, &mut out);
            let at = start + indent + (trimmed.len() - item.len());
            para.push((at, item));
            continue;
        }
        para.push((start + indent, trimmed));
    }
    flush(&mut para, &mut out);
    out
}

/// The text of a list item (`- x`, `* x`, `+ x`, `1. x`, `1) x`), without its marker.
fn list_item(line: &str) -> Option<&str> {
    for m in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(m) {
            let rest = rest.trim_start();
            // A task list's box is not part of the requirement.
            let rest = ["[ ] ", "[x] ", "[X] "]
                .iter()
                .find_map(|b| rest.strip_prefix(b))
                .unwrap_or(rest);
            return Some(rest);
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let rest = &line[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(r.trim_start());
        }
    }
    None
}

/// The sentences of a paragraph (its lines joined), each with the offset it starts at.
fn sentences(lines: &[(usize, &str)]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_at: Option<usize> = None;
    for (at, line) in lines {
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (k, (i, c)) in chars.iter().enumerate() {
            if cur_at.is_none() {
                if c.is_whitespace() {
                    continue;
                }
                cur_at = Some(at + i);
            }
            cur.push(*c);
            let next = chars.get(k + 1).map(|(_, n)| *n);
            let ends = matches!(c, '.' | '!' | '?')
                && next.is_none_or(char::is_whitespace)
                && !abbreviation(&cur);
            if ends && let Some(s) = cur_at.take() {
                out.push((s, std::mem::take(&mut cur).trim().to_string()));
            }
        }
        if cur_at.is_some() {
            cur.push(' ');
        }
    }
    if let Some(s) = cur_at
        && !cur.trim().is_empty()
    {
        out.push((s, cur.trim().to_string()));
    }
    out
}

fn abbreviation(sentence: &str) -> bool {
    let last = sentence.rsplit(char::is_whitespace).next().unwrap_or("");
    let l = last.to_ascii_lowercase();
    ["e.g.", "i.e.", "etc.", "vs.", "cf.", "approx."].contains(&l.as_str())
}

/// The subject-matter words of `text`, crudely stemmed, so that "tokenizes" meets "tokenize".
fn keywords(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        for part in split_identifier(w) {
            let lower = part.to_lowercase();
            if lower.len() < 3
                || lower.chars().all(|c| c.is_ascii_digit())
                || stopwords().contains(lower.as_str())
            {
                continue;
            }
            out.insert(stem(&lower));
        }
    }
    out
}

/// `WordCount` → `Word`, `Count`; `top_n` is split by the caller on `_`.
fn split_identifier(w: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = w.char_indices().collect();
    for k in 1..chars.len() {
        let (i, c) = chars[k];
        let prev = chars[k - 1].1;
        if c.is_uppercase() && prev.is_lowercase() {
            parts.push(&w[start..i]);
            start = i;
        }
    }
    parts.push(&w[start..]);
    parts
}

fn stem(w: &str) -> String {
    let mut s = w.to_string();
    if let Some(b) = s.strip_suffix("ies").filter(|b| b.len() >= 2) {
        s = format!("{b}y");
    } else if s.ends_with("sses") {
        s.truncate(s.len() - 2);
    } else if s.len() > 3 && s.ends_with('s') && !s.ends_with("ss") && !s.ends_with("us") {
        s.pop();
    }
    for suffix in ["ingly", "ing", "edly", "ed", "ly"] {
        if s.len() > suffix.len() + 3
            && let Some(b) = s.strip_suffix(suffix)
        {
            s = b.to_string();
            break;
        }
    }
    if s.len() > 4 && s.ends_with('e') {
        s.pop();
    }
    s
}

/// Everything a component's plan says: its node, contract and test cases.
fn component_text(a: &Artifacts, id: &str) -> String {
    let mut t = String::new();
    let mut add = |s: &str| {
        t.push_str(s);
        t.push('\n');
    };
    add(id);
    if let Some(n) = a.tree.nodes.get(id) {
        add(&n.name);
        add(&n.description);
    }
    if let Some(c) = a.contract(id) {
        for s in contract_strings(c) {
            add(&s.text);
        }
        for ty in &c.types {
            add(&ty.name);
            for field in &ty.fields {
                add(&field.name);
            }
            for v in &ty.variants {
                add(v);
            }
        }
        for func in &c.functions {
            add(&func.name.replace('_', " "));
            for i in &func.inputs {
                add(&i.name.replace('_', " "));
            }
            for e in &func.error_cases {
                add(&e.name);
            }
        }
    }
    if let Some(s) = a.suite(id) {
        for tc in &s.test_cases {
            add(&tc.description);
            add(&tc.input_description);
            add(&tc.expected_output_description);
        }
    }
    t
}

fn requirements(a: &Artifacts, f: &mut Findings) {
    let path = a.docs.layout.task_md();
    let max = pact_core::json::MAX_DOCUMENT_BYTES as u64;
    let Ok(Some(text)) = pact_core::store::fsio::read_text(&path, max) else {
        return;
    };
    let reqs = requirement_lines(&text);
    if reqs.is_empty() {
        return;
    }
    let corpora: Vec<(&str, BTreeSet<String>)> = a
        .tree
        .nodes
        .keys()
        .map(|id| (id.as_str(), keywords(&component_text(a, id))))
        .collect();
    for (at, req) in reqs {
        let kw = keywords(&req);
        if kw.is_empty() {
            continue;
        }
        let need = kw.len().div_ceil(2);
        let best = corpora
            .iter()
            .map(|(id, words)| (*id, kw.iter().filter(|k| words.contains(*k)).count()))
            .max_by_key(|(_, n)| *n);
        if best.is_some_and(|(_, n)| n >= need) {
            continue;
        }
        let shown: String = if req.chars().count() > 120 {
            format!("{}…", req.chars().take(119).collect::<String>())
        } else {
            req.clone()
        };
        let closest = match best {
            Some((id, n)) if n > 0 => {
                format!(" (closest: {id}, matching {n} of {} key words)", kw.len())
            }
            _ => String::new(),
        };
        f.add(
            Severity::Warning,
            Category::CoverageGap,
            Code::UncoveredRequirement,
            "",
            format!(
                "Requirement in task.md has no component that speaks of it: \"{shown}\"{closest}"
            ),
            "Cover it in a component's contract (or its tests), or drop it from task.md".into(),
            Some(a.at(&path, &text, Some(at))),
            vec![],
        );
    }
}

// ── Ambiguity ───────────────────────────────────────────────────────

/// A piece of a contract's prose, where it is, and whether it must be testable.
struct Prose {
    text: String,
    path: Vec<Seg>,
    what: String,
    condition: bool,
}

fn contract_strings(c: &ComponentContract) -> Vec<Prose> {
    let mut out = Vec::new();
    let p = |segs: Vec<Seg>, text: &str, what: String, condition: bool| Prose {
        text: text.to_string(),
        path: segs,
        what,
        condition,
    };
    out.push(p(
        vec!["description".into()],
        &c.description,
        "the contract's description".into(),
        true,
    ));
    for (i, inv) in c.invariants.iter().enumerate() {
        out.push(p(
            vec!["invariants".into(), i.into()],
            inv,
            "an invariant".into(),
            true,
        ));
    }
    for (ti, t) in c.types.iter().enumerate() {
        out.push(p(
            vec!["types".into(), ti.into(), "description".into()],
            &t.description,
            format!("type {}'s description", t.name),
            false,
        ));
        for (fi, field) in t.fields.iter().enumerate() {
            out.push(p(
                vec![
                    "types".into(),
                    ti.into(),
                    "fields".into(),
                    fi.into(),
                    "description".into(),
                ],
                &field.description,
                format!("field {}.{}'s description", t.name, field.name),
                false,
            ));
        }
    }
    for (fi, func) in c.functions.iter().enumerate() {
        let base = || vec![Seg::from("functions"), Seg::from(fi)];
        let with = |more: &[Seg]| {
            let mut v = base();
            v.extend_from_slice(more);
            v
        };
        out.push(p(
            with(&["description".into()]),
            &func.description,
            format!("{}'s description", func.name),
            false,
        ));
        for (i, s) in func.preconditions.iter().enumerate() {
            out.push(p(
                with(&["preconditions".into(), i.into()]),
                s,
                format!("a precondition of {}", func.name),
                true,
            ));
        }
        for (i, s) in func.postconditions.iter().enumerate() {
            out.push(p(
                with(&["postconditions".into(), i.into()]),
                s,
                format!("a postcondition of {}", func.name),
                true,
            ));
        }
        for (i, e) in func.error_cases.iter().enumerate() {
            out.push(p(
                with(&["error_cases".into(), i.into(), "condition".into()]),
                &e.condition,
                format!("error case {} of {}", e.name, func.name),
                true,
            ));
        }
        for (ii, input) in func.inputs.iter().enumerate() {
            out.push(p(
                with(&["inputs".into(), ii.into(), "description".into()]),
                &input.description,
                format!("input {} of {}", input.name, func.name),
                false,
            ));
        }
    }
    out
}

fn ambiguity(a: &Artifacts, f: &mut Findings) {
    for id in a.tree.nodes.keys() {
        let Some(c) = a.contract(id) else { continue };
        for prose in contract_strings(c) {
            let vague = vague_words(&prose.text);
            let Some(first) = vague.first() else { continue };
            let quoted: Vec<String> = vague.iter().map(|w| format!("\"{w}\"")).collect();
            let (severity, suggestion) = if prose.condition {
                (
                    Severity::Warning,
                    "State it so a test can decide it: a value, a bound, an exact behaviour",
                )
            } else {
                (
                    Severity::Info,
                    "Replace vague terms with specific requirements",
                )
            };
            f.add(
                severity,
                Category::Ambiguity,
                Code::VagueWording,
                id,
                format!(
                    "Contract '{}': {} uses vague wording ({}): \"{}\"",
                    c.name,
                    prose.what,
                    quoted.join(", "),
                    prose.text
                ),
                suggestion.into(),
                Some(a.in_contract(id, &prose.path, Some(first))),
                vec![],
            );
        }
    }
}

// ── Duplication ─────────────────────────────────────────────────────

/// What makes two definitions of a type the same type.
fn shape(t: &TypeSpec) -> serde_json::Value {
    let fields: Vec<serde_json::Value> = t
        .fields
        .iter()
        .map(|f| serde_json::json!([f.name, f.type_ref, f.required]))
        .collect();
    serde_json::json!({
        "kind": t.kind.as_str(),
        "fields": fields,
        "item_type": t.item_type,
        "variants": t.variants,
        "inner_types": t.inner_types,
    })
}

fn duplication(a: &Artifacts, f: &mut Findings) {
    let mut names: Vec<&str> = Vec::new();
    let mut defs: Vec<Vec<(&str, usize, &TypeSpec)>> = Vec::new();
    for id in a.tree.nodes.keys() {
        let Some(c) = a.contract(id) else { continue };
        for (i, t) in c.types.iter().enumerate() {
            match names.iter().position(|n| *n == t.name) {
                Some(k) => {
                    if !defs[k].iter().any(|(d, _, _)| d == id) {
                        defs[k].push((id, i, t));
                    }
                }
                None => {
                    names.push(&t.name);
                    defs.push(vec![(id, i, t)]);
                }
            }
        }
    }
    for (name, defs) in names.iter().zip(&defs) {
        if defs.len() < 2 {
            continue;
        }
        let ids: Vec<&str> = defs.iter().map(|(id, _, _)| *id).collect();
        let same = defs.iter().all(|(_, _, t)| shape(t) == shape(defs[0].2));
        let locs: Vec<Location> = defs
            .iter()
            .map(|(id, i, _)| {
                a.in_contract(
                    id,
                    &[Seg::from("types"), Seg::from(*i), Seg::from("name")],
                    None,
                )
            })
            .collect();
        let (severity, description, suggestion) = if same {
            (
                Severity::Info,
                format!(
                    "Type '{name}' is defined in multiple contracts, identically: {}",
                    ids.join(", ")
                ),
                "Consider one owner for it (`owner_component`) or a shared types module",
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "Type '{name}' is defined in multiple contracts, differently: {}",
                    ids.join(", ")
                ),
                "Make the definitions agree, or give the types different names",
            )
        };
        let mut locs = locs.into_iter();
        let first = locs.next();
        f.add(
            severity,
            Category::Duplication,
            Code::DuplicateType,
            "",
            description,
            suggestion.into(),
            first,
            locs.collect(),
        );
    }
}

// ── Consistency ─────────────────────────────────────────────────────

fn consistency(a: &Artifacts, f: &mut Findings) {
    for (id, node) in &a.tree.nodes {
        let Some(c) = a.contract(id) else { continue };
        let missing: Vec<&str> = node
            .children
            .iter()
            .filter(|ch| !c.dependencies.contains(ch))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            f.add(
                Severity::Warning,
                Category::Consistency,
                Code::MissingChildDependency,
                id,
                format!(
                    "Contract for '{}' does not depend on its children in the tree: {}",
                    c.name,
                    missing.join(", ")
                ),
                "Add the children to the contract's dependencies".into(),
                Some(a.in_contract(id, &[Seg::from("dependencies")], None)),
                vec![],
            );
        }
        let own = used_text(a, id, c);
        for (i, dep) in c.dependencies.iter().enumerate() {
            let Some(dc) = a.contract(dep) else { continue };
            if dep == id || uses(&own, dep, dc) {
                continue;
            }
            f.add(
                Severity::Warning,
                Category::Consistency,
                Code::UnusedDependency,
                id,
                format!(
                    "'{}' depends on '{dep}', but its contract, tests and code never use it (none of its types or functions)",
                    c.name
                ),
                format!("Use {dep} where the contract needs it, or drop the dependency"),
                Some(a.in_contract(id, &[Seg::from("dependencies"), Seg::from(i)], None)),
                vec![],
            );
        }
    }
}

/// What a component's contract, tests and code say, for finding what it uses.
struct UsedText {
    words: HashSet<String>,
}

fn used_text(a: &Artifacts, id: &str, c: &ComponentContract) -> UsedText {
    let mut text = String::new();
    let mut add = |s: &str| {
        text.push_str(s);
        text.push('\n');
    };
    for p in contract_strings(c) {
        add(&p.text);
    }
    for t in &c.types {
        add(&t.item_type);
        for i in &t.inner_types {
            add(i);
        }
        for fl in &t.fields {
            add(&fl.type_ref);
        }
    }
    for func in &c.functions {
        add(&func.output_type);
        for i in &func.inputs {
            add(&i.type_ref);
        }
        for e in &func.error_cases {
            add(&e.error_type);
        }
    }
    if let Some(s) = a.suite(id) {
        add(&s.generated_code);
        for tc in &s.test_cases {
            for k in tc.mock_dependencies.keys() {
                add(k);
            }
            add(&tc.description);
        }
    }
    if let Some(files) = a.docs.test_files.get(id) {
        for f in files {
            add(&f.text);
        }
    }
    add(&source_text(&a.docs.layout.implementation_src(id)));
    let words = text
        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    UsedText { words }
}

/// Whether the component uses `dep`: its id, or one of its types or functions, by name.
fn uses(own: &UsedText, dep: &str, dc: &ComponentContract) -> bool {
    let has = |w: &str| own.words.contains(&w.to_lowercase());
    has(dep) || dc.types.iter().any(|t| has(&t.name)) || dc.functions.iter().any(|f| has(&f.name))
}

/// The text of an implementation's sources (at most 64 files of 1 MB, regular files only).
fn source_text(dir: &std::path::Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let Ok(ty) = e.file_type() else { continue };
            let name = e.file_name().to_string_lossy().to_string();
            if ty.is_dir()
                && !name.starts_with('.')
                && name != "__pycache__"
                && name != "node_modules"
            {
                stack.push(e.path());
            } else if ty.is_file()
                && [".py", ".ts", ".js", ".mjs", ".tsx"]
                    .iter()
                    .any(|x| name.ends_with(x))
                && files < 64
            {
                files += 1;
                if let Ok(Some(t)) = pact_core::store::fsio::read_text(&e.path(), 1 << 20) {
                    out.push_str(&t);
                    out.push('\n');
                }
            }
        }
    }
    out
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
