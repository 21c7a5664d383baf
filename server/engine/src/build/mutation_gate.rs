//! The mutation gate: whether an accepted implementation's suite is strong enough to call it
//! done, and the loop that sends weak suites back to the test author.

use super::BuildMode;
use super::attempts::implement;
use super::record::{MutationVerdict, record_verdict};
use crate::engine::{Engine, Result};
use crate::events::Event;
use crate::phases::language;
use pact_core::model::TestLanguage;

/// Whether the mutation gate decides "done" here, and if not why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Gate {
    On,
    /// Off in pact.yaml, or a language without mutation testing.
    Off(Option<String>),
    /// On, but the test runner runs no code (tests, benchmarks): recorded as skipped.
    NoTestProcess,
}

pub(super) fn gate(e: &Engine) -> Gate {
    if !e.config.mutation_gate() {
        return Gate::Off(None);
    }
    let lang = language(e);
    if lang != TestLanguage::Python {
        return Gate::Off(Some(format!(
            "mutation testing is Python-only; this project's tests are {}",
            crate::phases::lang_name(lang)
        )));
    }
    if !e.runner.needs_runtime() {
        return Gate::NoTestProcess;
    }
    Gate::On
}

pub(super) fn gate_applies(e: &Engine) -> bool {
    e.config.mutation_gate() && language(e) == TestLanguage::Python
}

/// The mutation gate: mutates the accepted implementation and, while its score is below
/// `mutation_threshold`, sends the suite back to the test author with the surviving mutants
/// (at most `max_plan_revisions` times); the new tests are checked red-first and locked, and
/// the code is re-tested against them (rebuilt if it fails them). The verdict goes into
/// `metadata.json`. `Ok(Err(finding))`: the component is not done, and why.
pub(super) async fn mutation_gate(
    e: &Engine,
    cid: &str,
    mode: BuildMode,
) -> Result<std::result::Result<(), String>> {
    let threshold = e.config.mutation_threshold();
    let max_revisions = e.config.max_plan_revisions();
    let mut revisions = 0;
    loop {
        e.emit(Event::Component {
            phase: pact_core::model::Phase::Implement,
            component: cid.into(),
            step: crate::events::Step::MutationTesting,
        });
        let rec = crate::integrity::mutate(e, cid, e.config.gate_mutants(), threshold).await?;
        let finding = crate::integrity::gate_finding(&rec);
        let mut verdict = MutationVerdict {
            score: rec.measured(),
            threshold,
            killed: rec.killed,
            total: rec.total,
            revisions,
            finding: finding.clone().unwrap_or_default(),
            skipped: String::new(),
        };
        record_verdict(e, cid, verdict.clone())?;
        let Some(finding) = finding else {
            e.audit(
                "mutation_gate",
                format!(
                    "{cid}: passed — {} (threshold {:.0}%)",
                    rec.summary(),
                    threshold * 100.0
                ),
            )?;
            return Ok(Ok(()));
        };
        if !rec.is_weak() || revisions >= max_revisions {
            e.audit("mutation_gate", format!("{cid}: not done — {finding}"))?;
            return Ok(Err(finding));
        }
        revisions += 1;
        e.audit(
            "mutation_gate",
            format!(
                "{cid}: {finding}; back to the test author (revision {revisions} of {max_revisions})"
            ),
        )?;
        if let Err(why) = crate::phases::strengthen_tests(e, cid, &rec).await? {
            verdict.finding = format!("{finding}; the strengthened tests were refused: {why}");
            record_verdict(e, cid, verdict.clone())?;
            e.audit(
                "mutation_gate",
                format!("{cid}: not done — {}", verdict.finding),
            )?;
            return Ok(Err(verdict.finding));
        }
        // The code meets the new tests: as it is, or rebuilt.
        let (ok, why) = implement(
            e,
            cid,
            BuildMode {
                force: true,
                ..mode
            },
            true,
        )
        .await?;
        if !ok {
            return Ok(Err(why));
        }
    }
}
