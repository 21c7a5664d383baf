//! Replacing tests after the fact: regenerating them from the contract on request, and
//! strengthening them when the mutation gate finds mutants they let survive.

use super::test_authoring::{author_tests, author_tests_with};
use super::{lang_name, language};
use crate::engine::{Engine, EngineError, Result};
use pact_core::ids::check_component_id;
use pact_core::model::TestLanguage;

/// "Regenerate tests from contract": the old suite, test file, lock and records go, and the
/// test author writes new ones (visible and held out), checked and locked as in a run.
/// `Ok(Err(reason))` when the new tests still fail the gate.
pub async fn regenerate_tests(e: &Engine, cid: &str) -> Result<std::result::Result<(), String>> {
    check_component_id(cid).map_err(|err| EngineError::Invalid(err.to_string()))?;
    e.preflight().await?;
    if e.project.load_contract(cid)?.is_none() {
        return Err(EngineError::Invalid(format!(
            "component '{cid}' has no contract"
        )));
    }
    let lang = language(e);
    let layout = &e.project.layout;
    for p in [
        layout.suite(cid),
        layout.tests_dir(cid).join(lang.test_file_name()),
    ] {
        let _ = std::fs::remove_file(p);
    }
    for d in [
        layout.lock_dir(cid),
        layout.hidden_dir(cid),
        layout.integrity_dir(cid),
    ] {
        let _ = std::fs::remove_dir_all(d);
    }
    let _ = std::fs::remove_file(layout.build_record(cid));
    e.audit(
        "tests_regenerated",
        format!("{cid}: tests flushed; regenerating from the contract"),
    )?;
    author_tests(e, cid, lang, e.config.max_plan_revisions()).await
}

/// The mutation gate's revision: the test author gets the current suite and the mutants of the
/// accepted implementation it lets survive, and writes the suite again (keeping what it has);
/// the new tests are checked, red-first run and locked like any others (the held-out suite
/// stays). `Ok(Err(reason))` when they fail the gate: then the old suite, its lock and its
/// red-first record are put back as they were.
pub(crate) async fn strengthen_tests(
    e: &Engine,
    cid: &str,
    rec: &pact_core::model::MutationRecord,
) -> Result<std::result::Result<(), String>> {
    let lang = language(e);
    let layout = &e.project.layout;
    let test_file = layout.tests_dir(cid).join(lang.test_file_name());
    let current = crate::lock::verified_tests(&e.project, cid)?
        .1
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect::<Vec<_>>()
        .join("\n");
    let brief = mutants_brief(e, cid, lang, rec, &current);
    // What a refused revision puts back.
    let mut saved: Vec<(std::path::PathBuf, Option<Vec<u8>>)> = Vec::new();
    for p in [
        layout.suite(cid),
        test_file.clone(),
        layout.integrity_dir(cid).join("red_first.json"),
    ] {
        saved.push((p.clone(), std::fs::read(&p).ok()));
    }
    for entry in std::fs::read_dir(layout.lock_dir(cid))
        .into_iter()
        .flatten()
        .flatten()
    {
        let p = entry.path();
        if p.is_file() {
            saved.push((p.clone(), std::fs::read(&p).ok()));
        }
    }
    let outcome =
        author_tests_with(e, cid, lang, e.config.max_plan_revisions(), Some(&brief)).await?;
    match &outcome {
        Ok(()) => e.audit(
            "tests_strengthened",
            format!("{cid}: new tests locked for the surviving mutants"),
        )?,
        Err(why) => {
            for (p, bytes) in &saved {
                match bytes {
                    Some(b) => pact_core::store::fsio::write_atomic(p, b)
                        .map_err(|err| EngineError::Invalid(format!("{}: {err}", p.display())))?,
                    None => {
                        let _ = std::fs::remove_file(p);
                    }
                }
            }
            e.audit(
                "tests_strengthened",
                format!("{cid}: the new tests were refused, the old ones restored: {why}"),
            )?;
        }
    }
    Ok(outcome)
}

/// What the test author is told about the mutants a suite lets survive.
fn mutants_brief(
    e: &Engine,
    cid: &str,
    lang: TestLanguage,
    rec: &pact_core::model::MutationRecord,
    current: &str,
) -> String {
    let src = e.project.layout.implementation_src(cid);
    let mut lines = Vec::new();
    for s in &rec.survivors {
        let within = if s.function.is_empty() {
            String::new()
        } else {
            format!(", in `{}`", s.function)
        };
        let code = std::fs::read_to_string(src.join(&s.file))
            .ok()
            .and_then(|t| {
                let line = t
                    .lines()
                    .nth((s.line as usize).saturating_sub(1))?
                    .to_string();
                let chars: Vec<char> = line.chars().collect();
                let (a, b) = (
                    (s.column as usize).saturating_sub(1),
                    (s.end_column as usize).saturating_sub(1),
                );
                let mutated: String = chars.get(..a)?.iter().collect::<String>()
                    + &s.mutated
                    + &chars.get(b..)?.iter().collect::<String>();
                Some(format!(": `{}` becomes `{}`", line.trim(), mutated.trim()))
            })
            .unwrap_or_else(|| format!(": `{}` becomes `{}`", s.original, s.mutated));
        lines.push(format!(
            "- {} line {}{within} ({}){code}",
            s.file, s.line, s.operator
        ));
    }
    format!(
        "# The current tests are too weak
The current tests (below) all pass against the accepted implementation, but they kill only {} of its mutants (the threshold is {:.0}%). Each of these changes to the implementation survives every test:
{}

Write the whole suite again: keep every current test, and add tests that pass on a correct implementation and fail on each of these changes, through the contract's interface only. A change that cannot alter any behaviour the contract promises may stay.

# Current tests
```{}
{current}
```",
        rec.summary(),
        rec.threshold * 100.0,
        lines.join("\n"),
        lang_name(lang)
    )
}
