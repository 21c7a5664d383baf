//! Remediation: the contract gets stricter, then the code catches up.
//!
//! 1. The fixer agent writes a reproducer test from the incident's signals, the contract, the
//!    current tests and the implementation.
//! 2. The reproducer runs against the current implementation in a scratch copy: it must fail
//!    (else it reproduces nothing) while every existing test still passes. Up to two tries.
//! 3. It joins the component's suite (`generated_code`, a test case, the test file) and the
//!    tests are locked again — explicitly, audited `test_lock`.
//! 4. The component is rebuilt from its contract and the stricter tests (the incident goes to
//!    the code agent as a learning), and every test must pass — its own and those of the
//!    components built on it. A failed rebuild restores the previous implementation.

use crate::build::{BuildMode, build_component};
use crate::engine::{Engine, EngineError, Result};
use crate::harness::TestJob;
use crate::lock;
use pact_agents::LlmRequest;
use pact_core::model::{ContractTestSuite, TestCase, TestCategory, TestLanguage, TestResults};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::incidents::Incident;

pub const FIXER: &str = "fixer";
/// Reproducers asked for per incident (the seed's two remediation attempts).
pub const MAX_ATTEMPTS: u32 = 2;

/// What the fixer answers (the seed's `ReproducerResult`, plus the function it exercises).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reproducer {
    pub test_name: String,
    pub test_code: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub function: String,
}

pub fn fixer_schema() -> Value {
    json!({"type": "object", "required": ["test_name", "test_code", "description"],
        "properties": {
            "test_name": {"type": "string", "pattern": "^test_[A-Za-z0-9_]+$"},
            "test_code": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "function": {"type": "string"}}})
}

pub struct FixerBrief<'a> {
    pub cid: &'a str,
    pub error: &'a str,
    pub contract: &'a str,
    pub test_code: &'a str,
    pub implementation: &'a str,
    pub language: TestLanguage,
    pub feedback: Option<&'a str>,
}

pub fn fixer_request(b: &FixerBrief) -> LlmRequest {
    let how = match b.language {
        TestLanguage::Python => {
            "one pytest function `def test_reproducer_<what>():` using only names the existing tests already import"
        }
        TestLanguage::TypeScript => {
            "one vitest `test(\"test_reproducer_<what>\", …)` using only what the existing tests import"
        }
        TestLanguage::JavaScript => {
            "one node:test `test(\"test_reproducer_<what>\", …)` using only what the existing tests require"
        }
    };
    let mut req = LlmRequest::new(FIXER, "ReproducerResult", fixer_schema())
        .system("You are starting fresh as a senior engineer turning a production incident into a regression \
test. Write the smallest test that reproduces the error through the component's contract interface: it must \
FAIL against the current implementation and PASS once the bug is fixed. It will be appended to the existing \
contract tests, so reuse their imports and helpers and do not redefine them. Never weaken or skip anything; \
assert the behaviour the contract promises.")
        .user(format!(
            "Component `{}`. Write {how}.\n\n# Production error\n```\n{}\n```\n\n# Contract\n{}\n\n# Existing contract tests\n```\n{}\n```\n\n# Current implementation\n```\n{}\n```",
            b.cid,
            b.error.trim(),
            b.contract,
            b.test_code,
            b.implementation
        ))
        .phase("monitor")
        .component(b.cid);
    if let Some(f) = b.feedback {
        req = req.user(format!(
            "Your previous reproducer was not usable: {f}\nWrite another one."
        ));
    }
    req
}

/// How remediation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Remediation {
    Fixed {
        test_name: String,
        attempts: u32,
        passed: u64,
        total: u64,
    },
    Escalated {
        reason: String,
        attempts: u32,
    },
}

/// Contract dependencies and tree children of a component.
fn direct_deps(e: &Engine, cid: &str) -> Vec<String> {
    let mut out: Vec<String> = e
        .project
        .load_contract(cid)
        .ok()
        .flatten()
        .map(|c| c.dependencies)
        .unwrap_or_default();
    if let Some(t) = e.project.load_tree().ok().flatten()
        && let Some(n) = t.nodes.get(cid)
    {
        for c in &n.children {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
    }
    out
}

/// `src/` of the component and everything it depends on: what its tests import.
fn src_dirs(e: &Engine, cid: &str) -> Vec<PathBuf> {
    let mut dirs = vec![e.project.layout.implementation_src(cid)];
    let mut seen: HashSet<String> = HashSet::from([cid.to_string()]);
    let mut queue = direct_deps(e, cid);
    while let Some(d) = queue.pop() {
        if pact_core::ids::check_component_id(&d).is_err() || !seen.insert(d.clone()) {
            continue;
        }
        dirs.push(e.project.layout.implementation_src(&d));
        queue.extend(direct_deps(e, &d));
    }
    dirs
}

/// Components built on `cid`, transitively (they import it).
fn dependents(e: &Engine, cid: &str) -> Vec<String> {
    let Some(tree) = e.project.load_tree().ok().flatten() else {
        return Vec::new();
    };
    let ids: Vec<String> = tree.nodes.keys().cloned().collect();
    let mut out = Vec::new();
    let mut frontier = vec![cid.to_string()];
    while let Some(x) = frontier.pop() {
        for id in &ids {
            if !out.contains(id) && id != cid && direct_deps(e, id).contains(&x) {
                out.push(id.clone());
                frontier.push(id.clone());
            }
        }
    }
    out
}

fn source_of(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                if entry.file_name() != "__pycache__" {
                    stack.push(p);
                }
            } else if TestLanguage::from_path(&p).is_some() {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = String::new();
    for f in files {
        if let Ok(t) = std::fs::read_to_string(&f) {
            let name = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
            out.push_str(&format!("# --- {name} ---\n{t}\n"));
        }
        if out.len() > 60_000 {
            out.push_str("# (truncated)\n");
            break;
        }
    }
    out
}

fn failed_tests(r: &TestResults) -> Vec<String> {
    r.failure_details
        .iter()
        .map(|f| f.test_id.clone())
        .collect()
}

/// Whether a result is "exactly the reproducer fails".
fn only_reproducer_fails(r: &TestResults, name: &str) -> std::result::Result<(), String> {
    let failed = failed_tests(r);
    let repro_failed = failed.iter().any(|t| {
        t == name
            || t.ends_with(&format!("::{name}"))
            || t.ends_with(&format!(".{name}"))
            || t.contains(name)
    });
    if r.total == 0 || failed.iter().any(|t| t.starts_with('<')) {
        let why = r
            .failure_details
            .first()
            .map(|f| {
                f.error_message
                    .lines()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        return Err(format!(
            "the test file with your reproducer does not run: {why}"
        ));
    }
    if !repro_failed {
        return Err(format!(
            "`{name}` passed against the current implementation, so it does not reproduce the error"
        ));
    }
    let others: Vec<&String> = failed.iter().filter(|t| !t.contains(name)).collect();
    if !others.is_empty() {
        return Err(format!(
            "adding it made other tests fail ({}): do not redefine the existing helpers or imports",
            others
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

fn check_reproducer(
    r: &Reproducer,
    lang: TestLanguage,
    existing: &str,
) -> std::result::Result<(), String> {
    let analysis = pact_core::testcode::analyze(lang, &r.test_code);
    if !analysis.parses() {
        let e = &analysis.syntax_errors[0];
        return Err(format!("syntax error on line {}: {}", e.line, e.message));
    }
    let Some(t) = analysis.tests.iter().find(|t| t.name == r.test_name) else {
        return Err(format!("the code defines no test named `{}`", r.test_name));
    };
    if !t.has_assertion {
        return Err(format!(
            "`{}` asserts nothing, so it cannot fail",
            r.test_name
        ));
    }
    let before = pact_core::testcode::analyze(lang, existing);
    if before.tests.iter().any(|t| t.name == r.test_name) {
        return Err(format!("a test named `{}` already exists", r.test_name));
    }
    Ok(())
}

fn combine(existing: &str, r: &Reproducer, incident: &str, lang: TestLanguage) -> String {
    let comment = match lang {
        TestLanguage::Python => "#",
        _ => "//",
    };
    let desc = r.description.lines().next().unwrap_or("").trim();
    format!(
        "{}\n\n\n{comment} Reproducer for production incident {incident}: {desc}\n{}\n",
        existing.trim_end(),
        r.test_code.trim()
    )
}

/// Runs one test file against the component's current source in a scratch directory.
async fn run_file(e: &Engine, cid: &str, file_name: &str, code: &str) -> Result<TestResults> {
    let tmp = crate::scratch::dir("repro")
        .map_err(|err| EngineError::Invalid(format!("cannot make a scratch dir: {err}")))?;
    let f = tmp.path().join(file_name);
    std::fs::write(&f, code)
        .map_err(|err| EngineError::Invalid(format!("cannot write {}: {err}", f.display())))?;
    let job = TestJob::new(crate::phases::language(e), vec![f], src_dirs(e, cid))
        .with_contracts(crate::build::boundary_contracts(e, cid)?);
    Ok(e.run_tests(&job).await?.results)
}

/// The locked tests of a component against the current sources.
async fn run_locked(e: &Engine, cid: &str) -> Result<TestResults> {
    let (_, files) = lock::verified_tests(&e.project, cid)?;
    let job = TestJob::new(crate::phases::language(e), files, src_dirs(e, cid))
        .with_contracts(crate::build::boundary_contracts(e, cid)?);
    Ok(e.run_tests(&job).await?.results)
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    if !from.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)?.flatten() {
        let p = entry.path();
        let dst = to.join(entry.file_name());
        if p.is_dir() {
            copy_tree(&p, &dst)?;
        } else {
            std::fs::copy(&p, &dst)?;
        }
    }
    Ok(())
}

/// Works one incident attributed to `cid`. Agent errors (including a budget cap) are `Err`.
pub async fn remediate(
    e: &Engine,
    incident: &Incident,
    cid: &str,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<Remediation> {
    pact_core::ids::check_component_id(cid).map_err(|err| EngineError::Invalid(err.to_string()))?;
    let escalate = |reason: String, attempts: u32| Ok(Remediation::Escalated { reason, attempts });
    let (Some(contract), Some(mut suite)) =
        (e.project.load_contract(cid)?, e.project.load_suite(cid)?)
    else {
        return escalate(
            format!("{cid} has no contract or test suite to make stricter"),
            0,
        );
    };
    let lang = crate::phases::language(e);
    let test_file = e.project.layout.tests_dir(cid).join(lang.test_file_name());
    let existing = match e.project.read_text(&test_file)? {
        Some(t) if !t.trim().is_empty() => t,
        _ => suite.generated_code.clone(),
    };
    let error: String = incident
        .signals
        .iter()
        .take(5)
        .map(|s| s.raw_text.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n");
    let contract_text = serde_json::to_string_pretty(&contract).unwrap_or_default();
    let implementation = source_of(&e.project.layout.implementation_src(cid));

    // 1–2: a reproducer that fails now, and only it.
    let mut feedback: Option<String> = None;
    let mut accepted: Option<(Reproducer, String)> = None;
    let mut attempts = 0;
    while attempts < MAX_ATTEMPTS {
        attempts += 1;
        e.check_cancel()?;
        let req = fixer_request(&FixerBrief {
            cid,
            error: &error,
            contract: &contract_text,
            test_code: &existing,
            implementation: &implementation,
            language: lang,
            feedback: feedback.as_deref(),
        });
        let answer = e
            .backends
            .for_role(FIXER)?
            .complete(&req, &e.cancel)
            .await?;
        let r: Reproducer = match serde_json::from_value(answer.value) {
            Ok(r) => r,
            Err(err) => {
                feedback = Some(format!("the answer does not fit the schema: {err}"));
                continue;
            }
        };
        if let Err(why) = check_reproducer(&r, lang, &existing) {
            log(&format!(
                "incident {}: reproducer refused: {why}",
                incident.id
            ));
            feedback = Some(why);
            continue;
        }
        let combined = combine(&existing, &r, &incident.id, lang);
        let results = run_file(e, cid, lang.test_file_name(), &combined).await?;
        match only_reproducer_fails(&results, &r.test_name) {
            Ok(()) => {
                accepted = Some((r, combined));
                break;
            }
            Err(why) => {
                log(&format!(
                    "incident {}: reproducer refused: {why}",
                    incident.id
                ));
                e.audit(
                    "reproducer_rejected",
                    format!("{cid}: {}: {why}", r.test_name),
                )?;
                feedback = Some(why);
            }
        }
    }
    let Some((repro, combined)) = accepted else {
        return escalate(
            format!(
                "no reproducer: the fixer could not write a test that fails against {cid} ({})",
                feedback.unwrap_or_default()
            ),
            attempts,
        );
    };

    // 3: the contract's tests get stricter, explicitly.
    e.project.write_text(&test_file, &combined)?;
    suite.generated_code = combined.clone();
    let function = if contract.functions.iter().any(|f| f.name == repro.function) {
        repro.function.clone()
    } else {
        contract
            .functions
            .iter()
            .find(|f| repro.test_code.contains(&format!("{}(", f.name)))
            .or(contract.functions.first())
            .map(|f| f.name.clone())
            .unwrap_or_default()
    };
    let case_id = format!("REPRO_{}", incident.id.to_ascii_uppercase());
    suite.test_cases.retain(|c| c.id != case_id);
    suite.test_cases.push(TestCase {
        id: case_id,
        description: format!(
            "{} (production incident {})",
            repro.description.trim(),
            incident.id
        ),
        function,
        category: TestCategory::ErrorCase,
        setup_description: String::new(),
        mock_dependencies: Default::default(),
        input_values: Default::default(),
        input_description: String::new(),
        expected_output_description: String::new(),
        expected_error: String::new(),
        assertions: vec![format!(
            "{} fails before the fix and passes after",
            repro.test_name
        )],
        extra: [("incident_id".to_string(), Value::from(incident.id.clone()))]
            .into_iter()
            .collect(),
    });
    save_suite(e, &suite)?;
    lock::lock_tests(
        &e.project,
        cid,
        suite.contract_version,
        std::slice::from_ref(&test_file),
    )?;
    e.audit(
        "test_lock",
        format!(
            "{cid}: reproducer {} added for incident {}; tests locked again",
            repro.test_name, incident.id
        ),
    )?;
    log(&format!(
        "incident {}: reproducer {} fails against {cid} as it should; rebuilding",
        incident.id, repro.test_name
    ));

    // 4: rebuild against the stricter tests; the incident is a lesson for the code agent.
    let lesson = json!({
        "lesson": format!(
            "Production incident {}: {} — reproduced by {}: {}",
            incident.id,
            incident.headline(),
            repro.test_name,
            repro.description.trim()
        ),
        "category": "production_incident",
        "component_id": cid,
        "timestamp": pact_core::store::now_iso(),
    });
    pact_core::store::fsio::append_line(&e.project.layout.learnings(), &lesson.to_string())
        .map_err(|err| EngineError::Invalid(format!("cannot write learnings: {err}")))?;
    let src = e.project.layout.implementation_src(cid);
    let backup = crate::scratch::dir("backup")
        .map_err(|err| EngineError::Invalid(format!("cannot back up {}: {err}", src.display())))?;
    copy_tree(&src, backup.path())
        .map_err(|err| EngineError::Invalid(format!("cannot back up {}: {err}", src.display())))?;
    let _ = std::fs::remove_file(e.project.layout.build_record(cid));
    let restore = |why: &str| -> Result<()> {
        copy_tree(backup.path(), &src).map_err(|err| {
            EngineError::Invalid(format!("cannot restore {}: {err}", src.display()))
        })?;
        e.audit(
            "remediation_rollback",
            format!("{cid}: previous implementation restored ({why})"),
        )?;
        Ok(())
    };
    let built = match build_component(e, cid, BuildMode::from_config(&e.config)).await {
        Ok(ok) => ok,
        Err(err) => {
            restore("the rebuild stopped")?;
            return Err(err);
        }
    };
    let results = e.project.load_test_results(cid)?.unwrap_or_default();
    if !built {
        restore("the rebuild failed its tests")?;
        return escalate(
            format!(
                "rebuild failed: {cid} passes {}/{} tests with the reproducer {}; the previous implementation was restored",
                results.passed, results.total, repro.test_name
            ),
            attempts,
        );
    }
    // Everything built on it must still pass.
    for d in dependents(e, cid) {
        let r = run_locked(e, &d).await?;
        if !r.all_passed() {
            return escalate(
                format!(
                    "{cid} was rebuilt and passes its tests, but {d} now passes only {}/{}: needs a human",
                    r.passed, r.total
                ),
                attempts,
            );
        }
    }
    e.audit(
        "remediation",
        format!(
            "{cid}: incident {} fixed; {}/{} tests pass including {}",
            incident.id, results.passed, results.total, repro.test_name
        ),
    )?;
    Ok(Remediation::Fixed {
        test_name: repro.test_name,
        attempts,
        passed: results.passed,
        total: results.total,
    })
}

fn save_suite(e: &Engine, suite: &ContractTestSuite) -> Result<()> {
    Ok(e.project.save_suite(suite)?)
}
