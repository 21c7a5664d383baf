//! Vague words in contracts.

use super::*;

/// A piece of a contract's prose, where it is, and whether it must be testable.
pub(super) struct Prose {
    pub(super) text: String,
    pub(super) path: Vec<Seg>,
    pub(super) what: String,
    pub(super) condition: bool,
}

pub(super) fn contract_strings(c: &ComponentContract) -> Vec<Prose> {
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

pub(super) fn ambiguity(a: &Artifacts, f: &mut Findings) {
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
