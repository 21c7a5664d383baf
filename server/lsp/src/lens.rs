//! Code lenses: "N tests · P passed · F failed" on a contract (and its suite and test code),
//! from the last test results, and "k tests" on each contract function.

use crate::hover::{last_results, results_summary};
use crate::subject::{View, strings_at};
use pact_core::store::DocKind;
use pact_core::text::TextRange;
use std::path::Path;

/// (where, title) pairs for the document at `path`.
pub fn lenses(view: &View, path: &Path, text: &str) -> Vec<(TextRange, String)> {
    let Some((kind, Some(cid))) = view.project.layout.classify(path) else {
        return Vec::new();
    };
    if !matches!(kind, DocKind::Contract | DocKind::Suite | DocKind::TestCode) {
        return Vec::new();
    }
    let docs = &view.project.docs;
    let suite = docs.suite(&cid);
    let results = last_results(view, &cid);
    let n = suite
        .map(|s| s.test_cases.len() as u64)
        .or(results.as_ref().map(|r| r.total))
        .unwrap_or(0);
    let plural = |n: u64| if n == 1 { "test" } else { "tests" };
    let summary = format!("{n} {} · {}", plural(n), results_summary(results.as_ref()));
    let top = match kind {
        DocKind::TestCode => TextRange::new(0, 0),
        _ => strings_at(text, "component_id")
            .first()
            .map(|(_, _, i)| i.content())
            .unwrap_or_default(),
    };
    let mut out = vec![(top, summary)];
    if kind == DocKind::Contract
        && let Some(s) = suite
    {
        for (_, name, item) in strings_at(text, "functions/#/name") {
            let k = s.test_cases.iter().filter(|c| c.function == name).count() as u64;
            out.push((item.content(), format!("{k} {}", plural(k))));
        }
    }
    out
}
