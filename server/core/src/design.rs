//! `design.md`: a readable account of the decomposition, the decisions behind it and what failed,
//! regenerated from the project's records (never edited by hand).

use crate::model::{DecompositionTree, EngineeringDecision, RunState, TestResults};
use std::fmt::Write;

pub struct DesignInputs<'a> {
    pub title: &'a str,
    pub tree: Option<&'a DecompositionTree>,
    pub decisions: &'a [EngineeringDecision],
    pub state: Option<&'a RunState>,
    pub results: &'a dyn Fn(&str) -> Option<TestResults>,
}

pub fn render(d: &DesignInputs) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Design Document: {}\n", d.title);
    s.push_str("*Auto-maintained by pact. Do not edit manually.*\n\n");
    let status = d
        .state
        .map(|st| format!("{} ({})", st.phase, st.status))
        .unwrap_or_else(|| "Not started".into());
    let _ = writeln!(s, "## Status: {status}\n");
    if let Some(tree) = d.tree {
        s.push_str("## Components\n\n");
        for id in tree.topological_order().into_iter().rev() {
            let Some(n) = tree.nodes.get(id) else {
                continue;
            };
            let indent = "  ".repeat(n.depth as usize);
            let tests = (d.results)(id)
                .map(|r| format!(" — {}/{} tests passed", r.passed, r.total))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "{indent}- **{}** (`{}`) {}{tests}: {}",
                n.name,
                id,
                n.implementation_status.icon(),
                n.description
            );
        }
        s.push('\n');
    }
    if !d.decisions.is_empty() {
        s.push_str("## Engineering Decisions\n\n");
        for dec in d.decisions {
            let _ = writeln!(
                s,
                "- **{}** → {}  \n  *Why:* {}",
                dec.ambiguity, dec.decision, dec.rationale
            );
        }
        s.push('\n');
    }
    let failures: Vec<_> = d
        .state
        .into_iter()
        .flat_map(|st| st.component_tasks.iter())
        .filter(|t| !t.last_error.is_empty())
        .collect();
    if !failures.is_empty() {
        s.push_str("## Failure History\n\n");
        for t in failures {
            let _ = writeln!(
                s,
                "- `{}` ({}, {} attempt(s)): {}",
                t.component_id, t.status, t.attempts, t.last_error
            );
        }
        s.push('\n');
    }
    s
}
