//! Code actions: quick fixes where the fix is mechanical (the gate's `Fix` on a finding: "did
//! you mean `WordCount`?", add a missing dependency entry), and the pipeline's commands where
//! they apply (decompose on `task.md`, build on a contract or tree node, run tests on test
//! files, validate and status everywhere in a project).

use crate::commands;
use crate::diagnostics::{FixData, FixDto};
use crate::jsonscan::{self, ItemKind, is};
use crate::subject::{Subject, View, subject_at};
use pact_core::store::DocKind;
use pact_core::text::TextRange;
use serde_json::{Value, json};
use std::path::Path;
use tower_lsp_server::ls_types::Diagnostic;

/// A code action that runs a server command (no edit).
#[derive(Debug, Clone, PartialEq)]
pub struct CommandAction {
    pub title: String,
    pub command: &'static str,
    pub argument: Value,
}

/// Agents of the "Build competitively" action.
pub const COMPETITIVE_AGENTS: u32 = 3;

/// The pipeline commands that apply at `offset` of the document at `path`. `running`: a job
/// runs on this project (then "Stop run" is offered).
pub fn command_actions(
    view: &View,
    path: &Path,
    text: &str,
    offset: usize,
    running: bool,
) -> Vec<CommandAction> {
    let root = view.project.root().to_string_lossy().into_owned();
    let project = || json!({"project": root});
    let of = |cid: &str| json!({"project": root, "component": cid});
    let act = |title: &str, command: &'static str, argument: Value| CommandAction {
        title: title.to_string(),
        command,
        argument,
    };
    let mut out = Vec::new();
    let component = match view.project.layout.classify(path) {
        Some((DocKind::Task, _)) => {
            out.push(act("Pact: Decompose", commands::DECOMPOSE, project()));
            out.push(act("Pact: Run pipeline", commands::RUN_PIPELINE, project()));
            None
        }
        Some((DocKind::Contract, Some(cid))) => Some(cid),
        Some((DocKind::Tree, _)) => match subject_at(view, path, text, offset) {
            Some(Subject::Component { id, .. }) => Some(id),
            _ => None,
        },
        Some((DocKind::TestCode | DocKind::Suite | DocKind::Implementation, Some(cid))) => {
            out.push(act(
                "Pact: Run contract tests",
                commands::RUN_TESTS,
                of(&cid),
            ));
            None
        }
        _ => None,
    };
    if let Some(cid) = component.filter(|c| pact_core::ids::check_component_id(c).is_ok()) {
        out.push(act("Pact: Build component", commands::BUILD, of(&cid)));
        let mut competitive = of(&cid);
        competitive["competitive"] = true.into();
        competitive["agents"] = COMPETITIVE_AGENTS.into();
        out.push(act(
            &format!("Pact: Build competitively ({COMPETITIVE_AGENTS})"),
            commands::BUILD,
            competitive,
        ));
        out.push(act(
            "Pact: Rebuild from contract",
            commands::REBUILD,
            of(&cid),
        ));
        // No `confirmed`: the server (or the editor) asks first — tests are law.
        out.push(act(
            "Pact: Regenerate tests from contract",
            commands::REGENERATE_TESTS,
            of(&cid),
        ));
    }
    out.push(act("Pact: Validate project", commands::VALIDATE, project()));
    out.push(act("Pact: Show status", commands::STATUS, project()));
    if running {
        out.push(act("Pact: Stop run", commands::STOP, project()));
    }
    out
}

/// One edit in the document the diagnostic is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickFix {
    pub title: String,
    pub range: TextRange,
    pub new_text: String,
    pub diagnostic: Option<Diagnostic>,
}

/// The fix a diagnostic carries (set by the server when it published it).
pub fn fix_of(d: &Diagnostic) -> Option<FixDto> {
    let data = d.data.clone()?;
    serde_json::from_value::<FixData>(data).ok().map(|f| f.fix)
}

/// The edit for a fix on a finding at `range` of `text`.
pub fn quick_fix(
    fix: &FixDto,
    text: &str,
    range: TextRange,
) -> Option<(String, TextRange, String)> {
    match fix {
        FixDto::Replace { with } => {
            let shown = with.trim_matches('"');
            Some((format!("Did you mean `{shown}`?"), range, with.clone()))
        }
        FixDto::AddDependency { id } => {
            let (at, insert) = dependency_insertion(text, id)?;
            Some((
                format!("Add `{id}` to dependencies"),
                TextRange::new(at, at),
                insert,
            ))
        }
    }
}

/// Where and what to insert to add `id` to a contract's `dependencies`.
fn dependency_insertion(text: &str, id: &str) -> Option<(usize, String)> {
    let quoted = serde_json::to_string(id).ok()?;
    let mut array: Option<(TextRange, usize)> = None; // (array range, entries)
    let mut entries = 0usize;
    let mut root_open: Option<usize> = None;
    jsonscan::scan(text, |p, item| {
        match &item.kind {
            ItemKind::Open(true) if p.is_empty() && root_open.is_none() => {
                root_open = Some(item.range.start)
            }
            ItemKind::Str(_) if is(p, "dependencies/#") => entries += 1,
            ItemKind::Close(false) if is(p, "dependencies") => {
                array = Some((item.range, entries));
                return false;
            }
            _ => {}
        }
        true
    });
    match array {
        Some((r, 0)) => Some((r.start + 1, quoted)),
        Some((r, _)) => {
            // After the last entry: before the closing bracket and any whitespace before it.
            let inner = &text[r.start..r.end - 1];
            let last = inner.trim_end().len();
            Some((r.start + last, format!(", {quoted}")))
        }
        None => Some((root_open? + 1, format!("\n  \"dependencies\": [{quoted}],"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, fix: FixDto) -> String {
        let (_, r, t) = quick_fix(&fix, text, TextRange::new(0, 0)).unwrap_or_default();
        let mut s = text.to_string();
        s.replace_range(r.start..r.end, &t);
        s
    }

    #[test]
    fn adds_dependencies() {
        let add = || FixDto::AddDependency { id: "b".into() };
        assert_eq!(
            apply("{\"dependencies\": []}", add()),
            "{\"dependencies\": [\"b\"]}"
        );
        assert_eq!(
            apply("{\"dependencies\": [\"a\"\n]}", add()),
            "{\"dependencies\": [\"a\", \"b\"\n]}"
        );
        let v: serde_json::Value =
            serde_json::from_str(&apply("{\"name\": \"x\"}", add())).unwrap_or_default();
        assert_eq!(v["dependencies"][0], "b");
    }
}
