//! `pact audit`: does the code do what task.md asks? An auditor agent reads the spec, the
//! contracts and every implementation's sources and rates each requirement covered, partial or
//! gap (the seed's `SpecAuditResult`). Counts and the summary are recomputed here, never taken
//! from the agent.

use crate::engine::{Engine, EngineError, Result};
use pact_agents::LlmRequest;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub const AUDITOR: &str = "auditor";
/// Source text sent to the auditor at most (the rest is named, not shown).
const MAX_SOURCE: usize = 120_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    Covered,
    Partial,
    Gap,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequirementCoverage {
    pub requirement: String,
    pub status: Coverage,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpecAuditResult {
    #[serde(default)]
    pub requirements: Vec<RequirementCoverage>,
    #[serde(default)]
    pub covered_count: u64,
    #[serde(default)]
    pub partial_count: u64,
    #[serde(default)]
    pub gap_count: u64,
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub summary: String,
}

impl SpecAuditResult {
    /// Counts and summary from the requirements: `"<c>/<t> requirements fully covered (<pct>%)"`.
    pub fn recount(&mut self) {
        let n = |s: Coverage| self.requirements.iter().filter(|r| r.status == s).count() as u64;
        self.covered_count = n(Coverage::Covered);
        self.partial_count = n(Coverage::Partial);
        self.gap_count = n(Coverage::Gap);
        self.total_count = self.requirements.len() as u64;
        let pct = (self.covered_count * 100)
            .checked_div(self.total_count)
            .unwrap_or(0);
        self.summary = format!(
            "{}/{} requirements fully covered ({pct}%)",
            self.covered_count, self.total_count
        );
    }

    /// `[COVERED]/[PARTIAL]/[GAP]` lines and the summary.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for r in &self.requirements {
            let tag = match r.status {
                Coverage::Covered => "[COVERED]",
                Coverage::Partial => "[PARTIAL]",
                Coverage::Gap => "[GAP]    ",
            };
            s.push_str(&format!("{tag} {}\n", r.requirement));
            if !r.evidence.is_empty() {
                s.push_str(&format!("          evidence: {}\n", r.evidence));
            }
            if !r.notes.is_empty() {
                s.push_str(&format!("          notes: {}\n", r.notes));
            }
        }
        s.push_str(&format!(
            "\n{} — {} partial, {} gap(s)\n",
            self.summary, self.partial_count, self.gap_count
        ));
        s
    }
}

pub fn schema() -> Value {
    json!({"type": "object", "required": ["requirements", "summary"], "properties": {
        "requirements": {"type": "array", "items": {"type": "object", "required": ["requirement", "status"],
            "properties": {
                "requirement": {"type": "string", "minLength": 1},
                "status": {"type": "string", "enum": ["covered", "partial", "gap"]},
                "evidence": {"type": "string"},
                "notes": {"type": "string"}}}},
        "summary": {"type": "string"}}})
}

fn sources(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                if e.file_name() != "__pycache__" && e.file_name() != "node_modules" {
                    stack.push(p);
                }
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("py" | "ts" | "js")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The auditor's request: task.md, each contract's functions, every implementation source.
pub fn request(e: &Engine) -> Result<LlmRequest> {
    let p = &e.project;
    let task = p.read_text(&p.layout.task_md())?.unwrap_or_default();
    if task.trim().is_empty() {
        return Err(EngineError::Invalid(
            "task.md is empty: nothing to audit against".into(),
        ));
    }
    let tree = p.load_tree()?;
    let ids: Vec<String> = tree
        .as_ref()
        .map(|t| t.nodes.keys().cloned().collect())
        .unwrap_or_default();
    let mut contracts = String::new();
    let mut code = String::new();
    let mut omitted = Vec::new();
    for id in &ids {
        if let Some(c) = p.load_contract(id)? {
            contracts.push_str(&format!("## {id} — {}\n{}\n", c.name, c.description));
            for f in &c.functions {
                contracts.push_str(&format!("- {}\n", f.signature()));
            }
        }
        let src = p.layout.implementation_src(id);
        for f in sources(&src) {
            let rel = f.strip_prefix(p.root()).unwrap_or(&f).display().to_string();
            match std::fs::read_to_string(&f) {
                Ok(t) if code.len() + t.len() <= MAX_SOURCE => {
                    code.push_str(&format!("### {rel}\n```\n{t}\n```\n"));
                }
                _ => omitted.push(rel),
            }
        }
    }
    if code.is_empty() {
        return Err(EngineError::Invalid(
            "no implementation sources yet: build the components first (`pact run`)".into(),
        ));
    }
    if !omitted.is_empty() {
        code.push_str(&format!(
            "\n(Not shown, too long: {})\n",
            omitted.join(", ")
        ));
    }
    Ok(LlmRequest::new(AUDITOR, "SpecAuditResult", schema())
        .system("You are starting fresh as a spec-compliance auditor. Extract every requirement the task \
states (functional behaviour, inputs, outputs, formats, limits, errors), then judge from the contracts and \
the code whether each is covered (implemented as stated), partial (implemented with gaps) or a gap (missing). \
Cite the component and function as evidence; explain partial coverage and gaps in notes. Judge only from the \
code shown, never from intentions.")
        .user(format!("# task.md\n{task}\n\n# Contracts\n{contracts}\n# Implementations\n{code}"))
        .phase("audit"))
}

/// Runs the audit, records it in the audit trail, and saves it to `.pact/spec_audit.json`.
pub async fn audit(e: &Engine) -> Result<SpecAuditResult> {
    let req = request(e)?;
    let answer = e
        .backends
        .for_role(AUDITOR)?
        .complete(&req, &e.cancel)
        .await?;
    let mut r: SpecAuditResult = serde_json::from_value(answer.value).map_err(|err| {
        EngineError::Invalid(format!(
            "the auditor's answer does not fit the model: {err}"
        ))
    })?;
    r.recount();
    let text =
        serde_json::to_string_pretty(&r).map_err(|err| EngineError::Invalid(err.to_string()))?;
    e.project
        .write_text(&e.project.layout.pact_dir().join("spec_audit.json"), &text)?;
    e.project.audit("spec_audit", r.summary.clone())?;
    Ok(r)
}
