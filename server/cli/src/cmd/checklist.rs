//! `pact checklist`: questions about the contracts (`pact_engine::checklist`), answered where the
//! project answers them: `[x]` yes, `[!]` no (with why), `[ ]` for a person. Markdown grouped by
//! category, as the original's, or JSON.

use pact_engine::{artifacts, checklist};
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let plan = artifacts::load(&project)?;
    let name = project
        .root()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = checklist::generate(&plan, &name);
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        print!("{}", render(&list));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(c: &checklist::Checklist) -> String {
    let mut out = format!(
        "# Requirements Checklist — {}\nItems: {} total, {} satisfied, {} not satisfied, {} unanswered\n\n",
        c.project_id, c.total, c.satisfied, c.unsatisfied, c.unanswered
    );
    if c.items.is_empty() {
        out.push_str("No checklist items generated.\n");
        return out;
    }
    let mut categories = Vec::new();
    for i in &c.items {
        if !categories.contains(&i.category) {
            categories.push(i.category);
        }
    }
    for cat in categories {
        let items: Vec<_> = c.items.iter().filter(|i| i.category == cat).collect();
        out.push_str(&format!("## {} ({})\n\n", cat.title(), items.len()));
        for i in items {
            let mark = match i.satisfied {
                Some(true) => "[x]",
                Some(false) => "[!]",
                None => "[ ]",
            };
            let component = if i.component_id.is_empty() {
                String::new()
            } else {
                format!(" [{}]", i.component_id)
            };
            out.push_str(&format!("- {mark} {}{component} {}\n", i.id, i.question));
            if !i.why.is_empty() {
                out.push_str(&format!("  - {}\n", i.why));
            }
            match &i.location {
                Some(at) => out.push_str(&format!("  - Ref: {at}\n")),
                None if !i.reference.is_empty() => {
                    out.push_str(&format!("  - Ref: {}\n", i.reference));
                }
                None => {}
            }
        }
        out.push('\n');
    }
    out
}
