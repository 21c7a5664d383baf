//! Authoring a component's tests until they are law: the suite revised against the gate, locked,
//! shown to fail against the stub (red first), and a held-out suite written and locked beside it.

use super::decompose::findings_for;
use super::{ask, lang_name, parse};
use crate::engine::{Engine, EngineError, Result};
use crate::{roles, stubs};
use pact_core::model::{ComponentContract, ContractTestSuite, TestLanguage};
use serde_json::Value;
use std::collections::HashSet;

/// Whether a component's tests went through every step: suite, lock for the current contract,
/// red-first record for the locked tests, held-out suite. A run killed between the steps
/// resumes at the first one missing.
pub(super) fn tests_complete(e: &Engine, cid: &str, _lang: TestLanguage) -> Result<bool> {
    let (Some(contract), Some(_)) = (e.project.load_contract(cid)?, e.project.load_suite(cid)?)
    else {
        return Ok(false);
    };
    let Ok(lock) = crate::lock::read_lock(&e.project, cid) else {
        return Ok(false);
    };
    if lock.contract_version != contract.version {
        return Ok(false);
    }
    if e.config.red_first() {
        let rec: Option<pact_core::model::RedFirstRecord> = e
            .project
            .read_text(&e.project.layout.integrity_dir(cid).join("red_first.json"))?
            .and_then(|t| serde_json::from_str(&t).ok());
        if rec.is_none_or(|r| {
            r.test_hash != lock.test_hash() || r.total == 0 || !r.vacuous.is_empty()
        }) {
            return Ok(false);
        }
    }
    Ok(!e.config.held_out_tests() || !lock.hidden.is_empty())
}

pub(super) async fn author_tests(
    e: &Engine,
    cid: &str,
    lang: TestLanguage,
    max_revisions: u32,
) -> Result<std::result::Result<(), String>> {
    author_tests_with(e, cid, lang, max_revisions, None).await
}

/// [`author_tests`]; with `brief` (what the current tests miss), a new suite is always asked
/// for, with the brief in every request.
pub(super) async fn author_tests_with(
    e: &Engine,
    cid: &str,
    lang: TestLanguage,
    max_revisions: u32,
    brief: Option<&str>,
) -> Result<std::result::Result<(), String>> {
    let Some(contract) = e.project.load_contract(cid)? else {
        return Ok(Ok(()));
    };
    let stub = stubs::render(&contract, lang);
    let mut findings: Vec<String> = Vec::new();
    // A suite already on disk (a run killed after writing it) is checked before asking again.
    let mut reuse = e
        .project
        .load_suite(cid)?
        .filter(|s| s.contract_version == contract.version && brief.is_none());
    for revision in 0..=max_revisions {
        let suite = match reuse.take() {
            Some(s) => s,
            None => {
                let mut req = roles::tests(&contract, lang, &stub, &findings);
                if let Some(b) = brief {
                    req = req.user(b.to_string());
                }
                let v = ask(e, &req).await?;
                let mut obj = v.as_object().cloned().unwrap_or_default();
                obj.insert("component_id".into(), cid.into());
                obj.insert("contract_version".into(), contract.version.into());
                obj.insert("test_language".into(), lang_name(lang).into());
                let suite: ContractTestSuite = parse(Value::Object(obj), "test suite")?;
                e.project.save_suite(&suite)?;
                e.audit(
                    "tests",
                    format!(
                        "{cid}: {} test cases (revision {revision})",
                        suite.test_cases.len()
                    ),
                )?;
                suite
            }
        };
        let test_file = e.project.layout.tests_dir(cid).join(lang.test_file_name());
        if e.project.read_text(&test_file)?.as_deref() != Some(suite.generated_code.as_str()) {
            e.project.write_text(&test_file, &suite.generated_code)?;
        }
        let problems = findings_for(e, cid, true);
        if !problems.is_empty() {
            findings = problems.iter().map(|f| f.message.clone()).collect();
            continue;
        }
        // Tests are law from here on: hash and copy them where no agent writes.
        let lock = match crate::lock::verified_tests(&e.project, cid) {
            Ok((l, _))
                if l.contract_version == contract.version
                    && l.files.values().next()
                        == Some(&pact_core::digest::sha256_hex(
                            suite.generated_code.as_bytes(),
                        )) =>
            {
                l
            }
            _ => crate::lock::lock_tests(&e.project, cid, contract.version, &[test_file])?,
        };
        let vacuous = red_first(e, &contract, lang, &lock, false).await?;
        if !vacuous.is_empty() {
            findings = vacuous_findings(&vacuous);
            continue;
        }
        if e.config.held_out_tests() && lock.hidden.is_empty() {
            let names: Vec<String> = suite.test_cases.iter().map(|c| c.id.clone()).collect();
            if let Err(reason) =
                author_hidden_tests(e, &contract, lang, &stub, &names, max_revisions).await?
            {
                return Ok(Err(reason));
            }
        }
        return Ok(Ok(()));
    }
    Ok(Err(format!(
        "Tests for '{cid}' still fail the gate after {max_revisions} revision(s): {}",
        findings.join("; ")
    )))
}

fn vacuous_findings(vacuous: &[String]) -> Vec<String> {
    vacuous
        .iter()
        .map(|t| {
            if t == "<collection>" {
                "No test ran against the interface stub (the tests do not import or collect): fix the imports so each test runs".to_string()
            } else {
                format!("Test '{t}' passes against the interface stub (whose functions only raise NotImplementedError) or accepts any type-correct answer: it tests nothing; make it assert on real behaviour")
            }
        })
        .collect()
}

/// Red first: runs the locked tests against the stub and records the result. Returns the
/// vacuous tests (empty when red-first is off).
async fn red_first(
    e: &Engine,
    contract: &ComponentContract,
    lang: TestLanguage,
    lock: &crate::lock::TestLock,
    hidden: bool,
) -> Result<Vec<String>> {
    if !e.config.red_first() {
        return Ok(Vec::new());
    }
    let cid = &contract.component_id;
    let paths = if hidden {
        crate::lock::verified_hidden(&e.project, cid)?
    } else {
        crate::lock::verified_tests(&e.project, cid)?.1
    };
    let (mut vacuous, total) = crate::integrity::passing_on_stub(e, contract, lang, &paths).await?;
    if total == 0 {
        // Nothing ran against the stub (an import or collection error): no evidence at all.
        vacuous.push("<collection>".into());
    }
    let path = e.project.layout.integrity_dir(cid).join("red_first.json");
    let mut rec: pact_core::model::RedFirstRecord = e
        .project
        .read_text(&path)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .filter(|r: &pact_core::model::RedFirstRecord| r.test_hash == lock.test_hash())
        .unwrap_or_default();
    rec.component_id = cid.clone();
    rec.test_hash = lock.test_hash();
    if hidden {
        rec.hidden_vacuous = vacuous.clone();
    } else {
        rec.total = total;
        rec.vacuous = vacuous.clone();
    }
    rec.ran_at = pact_core::store::now_iso();
    crate::integrity::write_red_first(&e.project, &rec)?;
    e.audit(
        "red_first",
        format!(
            "{cid}{}: {} of {total} tests pass against the stub",
            if hidden { " (held out)" } else { "" },
            vacuous.len()
        ),
    )?;
    Ok(vacuous)
}

/// The held-out suite: checked like the visible one (parses, asserts, names real functions,
/// fails against the stub), then locked in `.pact/hidden/<cid>/`, which no prompt includes.
async fn author_hidden_tests(
    e: &Engine,
    contract: &ComponentContract,
    lang: TestLanguage,
    stub: &str,
    visible: &[String],
    max_revisions: u32,
) -> Result<std::result::Result<(), String>> {
    let cid = &contract.component_id;
    let mut findings: Vec<String> = Vec::new();
    for _ in 0..=max_revisions {
        let v = ask(
            e,
            &roles::hidden_tests(contract, lang, stub, visible, &findings),
        )
        .await?;
        let code = v
            .get("generated_code")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let analysis = pact_core::testcode::analyze(lang, &code);
        let known: HashSet<&str> = contract
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .chain(contract.types.iter().map(|t| t.name.as_str()))
            .collect();
        findings = analysis
            .syntax_errors
            .iter()
            .take(3)
            .map(|s| format!("syntax error at line {}: {}", s.line, s.message))
            .collect();
        if analysis.tests.is_empty() {
            findings.push("the held-out suite defines no tests".into());
        }
        for t in &analysis.tests {
            if !t.has_assertion {
                findings.push(format!(
                    "Test '{}' has no assertion: it cannot fail",
                    t.name
                ));
            }
            for (name, _) in t
                .free_calls
                .iter()
                .filter(|(n, _)| !known.contains(n.as_str()))
            {
                findings.push(format!(
                    "Test '{}' calls '{name}', which contract '{cid}' does not define",
                    t.name
                ));
            }
        }
        if !findings.is_empty() {
            continue;
        }
        let tmp = tempfile::tempdir().map_err(|err| EngineError::Invalid(err.to_string()))?;
        let file = tmp.path().join(hidden_file_name(lang));
        std::fs::write(&file, &code).map_err(|err| EngineError::Invalid(err.to_string()))?;
        let lock = crate::lock::lock_hidden(&e.project, cid, &[file])?;
        let suite_path = e
            .project
            .layout
            .hidden_dir(cid)
            .join("hidden_test_suite.json");
        e.project.write_text(
            &suite_path,
            &serde_json::to_string_pretty(&v).unwrap_or_default(),
        )?;
        e.audit(
            "hidden_tests",
            format!("{cid}: {} held-out tests", analysis.tests.len()),
        )?;
        let vacuous = red_first(e, contract, lang, &lock, true).await?;
        if vacuous.is_empty() {
            return Ok(Ok(()));
        }
        findings = vacuous_findings(&vacuous);
    }
    Ok(Err(format!(
        "Held-out tests for '{cid}' were refused after {max_revisions} revision(s): {}",
        findings.join("; ")
    )))
}

pub(crate) fn hidden_file_name(lang: TestLanguage) -> &'static str {
    match lang {
        TestLanguage::Python => "hidden_test.py",
        TestLanguage::TypeScript => "hidden_test.test.ts",
        TestLanguage::JavaScript => "hidden_test.test.js",
    }
}
