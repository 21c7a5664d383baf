//! Red first: tests must fail against an interface stub (and across the boundary, against
//! type-correct dummies), or they test nothing.

use super::passed;
use crate::engine::{Engine, EngineError, Result};
use crate::harness::TestJob;
use crate::stubs;
use pact_core::model::{ComponentContract, RedFirstRecord, TestLanguage};
use pact_core::store::Project;
use pact_core::store::fsio::write_atomic;
use std::collections::HashSet;
use std::path::PathBuf;

/// Runs `tests` against the interface stubs of the component and its dependencies (functions
/// that only raise) and, across the contract boundary, against two type-correct dummies. Every
/// test that passes against the stub, or against both dummies, is vacuous. Returns their ids.
pub async fn passing_on_stub(
    e: &Engine,
    contract: &ComponentContract,
    lang: TestLanguage,
    tests: &[PathBuf],
) -> Result<(Vec<String>, u64)> {
    let work = crate::scratch::dir("stub").map_err(|err| EngineError::Invalid(err.to_string()))?;
    let mut dirs = Vec::new();
    let mut all = vec![contract.clone()];
    all.extend(
        contract
            .dependencies
            .iter()
            .filter_map(|d| e.project.load_contract(d).ok().flatten()),
    );
    for c in &all {
        let dir = work.path().join(&c.component_id);
        let module = dir.join(format!("{}.{}", c.component_id, module_ext(lang)));
        write_atomic(&module, stubs::render(c, lang).as_bytes())
            .map_err(|err| EngineError::Invalid(err.to_string()))?;
        dirs.push(dir);
    }
    let job = TestJob::new(lang, tests.to_vec(), dirs).with_contracts(all.clone());
    let run = e.run_tests(&job).await?;
    if !run.reported && !run.timed_out {
        // The stubs are ours and only raise: a run without a report is the runner failing,
        // which says nothing about the tests and must not be recorded as if it did.
        return Err(crate::harness::HarnessError::Runner(format!(
            "no report from the red-first run of '{}':\n{}",
            contract.component_id,
            crate::harness::tail(&run.stdout, &run.stderr)
        ))
        .into());
    }
    let mut passing = passed(&run);
    // Across the boundary the stub has two more faces: every function answering a small
    // type-correct value, then another. A test that passes against both accepts anything of
    // the right type (`isinstance(r, dict)`, `len(r) >= 0`): it tests nothing either.
    if job.crosses_boundary() && !tests.iter().any(|t| crate::harness::patches_modules(t)) {
        let mut both: Option<HashSet<String>> = None;
        for d in [crate::harness::Dummy::Zero, crate::harness::Dummy::One] {
            let mut dj = job.clone();
            dj.dummy = Some(d);
            let r = e.run_tests(&dj).await?;
            let ok: HashSet<String> = passed(&r).into_iter().collect();
            both = Some(match both {
                None => ok,
                Some(prev) => prev.intersection(&ok).cloned().collect(),
            });
        }
        for id in both.unwrap_or_default() {
            if !passing.contains(&id) {
                passing.push(id);
            }
        }
    }
    Ok((passing, run.results.total))
}

fn module_ext(lang: TestLanguage) -> &'static str {
    match lang {
        TestLanguage::Python => "py",
        TestLanguage::TypeScript => "ts",
        TestLanguage::JavaScript => "js",
    }
}

pub fn write_red_first(project: &Project, rec: &RedFirstRecord) -> Result<()> {
    let path = project
        .layout
        .integrity_dir(&rec.component_id)
        .join("red_first.json");
    let text =
        serde_json::to_string_pretty(rec).map_err(|err| EngineError::Invalid(err.to_string()))?;
    Ok(project.write_text(&path, &text)?)
}
