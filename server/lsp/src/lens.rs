//! Code lenses: the visible way to act on a component from its files. On a contract, suite or
//! test file: `Build` · `Run tests · N tests · P passed · F failed` (with the held-out counts and
//! the mutation score when the engine recorded them) · `Rebuild`, each running that server
//! command (`Build · adopted` while the implementation is still adopted code: `pact adopt`); on
//! each contract function, "k tests" (runs the tests).

use crate::commands;
use crate::hover::{last_results, results_summary};
use crate::subject::{View, strings_at};
use pact_core::store::DocKind;
use pact_core::text::TextRange;
use std::path::Path;

/// The held-out tests' counts of the component's implementation (`metadata.json` `hidden`),
/// if the record is about the implementation as it is now.
fn held_out(view: &View, cid: &str) -> Option<(u64, u64)> {
    pact_engine::job::held_out(&view.project.layout, cid).map(|c| (c.passed, c.total))
}

/// The mutation score (percent; `None`: measured nothing, which is unknown, not strong) and
/// threshold, if the record is about the implementation as it is now (same source hash) and
/// had mutants to try.
fn mutation(view: &View, cid: &str) -> Option<(Option<f64>, f64)> {
    let m = view.project.docs.integrity.get(cid)?.mutation.as_ref()?;
    if m.total == 0 {
        return None;
    }
    let src = view.project.layout.implementation_src(cid);
    (pact_core::digest::hash_dir(&src) == m.src_hash)
        .then_some((m.measured().map(|s| s * 100.0), m.threshold * 100.0))
}

/// "7 tests · 7 passed · 0 failed · held-out 3/3 · mutation 67%".
pub fn summary(view: &View, cid: &str) -> String {
    let suite = view.project.docs.suite(cid);
    let results = last_results(view, cid);
    let n = suite
        .map(|s| s.test_cases.len() as u64)
        .or(results.as_ref().map(|r| r.total))
        .unwrap_or(0);
    let mut s = format!("{n} {} · {}", plural(n), results_summary(results.as_ref()));
    if let Some((p, t)) = held_out(view, cid) {
        s.push_str(&format!(" · held-out {p}/{t}"));
    }
    match mutation(view, cid) {
        Some((Some(score), threshold)) => {
            s.push_str(&format!(" · mutation {score:.0}%"));
            if score < threshold {
                s.push_str(&format!(" (below {threshold:.0}%)"));
            }
        }
        Some((None, _)) => s.push_str(" · mutation: no score"),
        None => {}
    }
    s
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "test" } else { "tests" }
}

/// One lens: where, its title and the server command it runs (on the file's component).
#[derive(Debug, Clone, PartialEq)]
pub struct Lens {
    pub range: TextRange,
    pub title: String,
    pub command: &'static str,
}

/// The lenses of the document at `path` (all about the component it belongs to).
pub fn lenses(view: &View, path: &Path, text: &str) -> Vec<Lens> {
    let Some((kind, Some(cid))) = view.project.layout.classify(path) else {
        return Vec::new();
    };
    if !matches!(kind, DocKind::Contract | DocKind::Suite | DocKind::TestCode) {
        return Vec::new();
    }
    let suite = view.project.docs.suite(&cid);
    let summary = summary(view, &cid);
    let top = match kind {
        DocKind::TestCode => TextRange::new(0, 0),
        _ => strings_at(text, "component_id")
            .first()
            .map(|(_, _, i)| i.content())
            .unwrap_or_default(),
    };
    let lens = |range: TextRange, title: String, command: &'static str| Lens {
        range,
        title,
        command,
    };
    // An adopted component's implementation is the existing code until it is rebuilt.
    let build = if pact_engine::build::is_adopted(&view.project.layout, &cid) {
        "Build · adopted"
    } else {
        "Build"
    };
    let mut out = vec![
        lens(top, build.into(), commands::BUILD),
        lens(top, format!("Run tests · {summary}"), commands::RUN_TESTS),
        lens(top, "Rebuild".into(), commands::REBUILD),
    ];
    if kind == DocKind::Contract
        && let Some(s) = suite
    {
        for (_, name, item) in strings_at(text, "functions/#/name") {
            let k = s.test_cases.iter().filter(|c| c.function == name).count() as u64;
            out.push(lens(
                item.content(),
                format!("{k} {}", plural(k)),
                commands::RUN_TESTS,
            ));
        }
    }
    out
}
