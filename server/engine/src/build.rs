//! Implementing components: the code agent's attempt loop, competitive attempts, parallel
//! scheduling in dependency order, and the checks that make "implemented" mean "its locked
//! tests ran and all passed".

use crate::engine::{Engine, EngineError, Result, log_key};
use crate::events::Event;
use crate::harness::TestJob;
use crate::phases::{language, set_node_status};
use crate::{guard, lock, roles, stubs};
use pact_core::config::Config;
use pact_core::model::{
    ComponentContract, ImplementationStatus, PassCount, TaskStatus, TestLanguage, TestResults,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildMode {
    pub parallel: bool,
    pub max_concurrent: usize,
    /// Number of competing attempts per component (1 = not competitive).
    pub agents: u32,
    pub max_attempts: u32,
    /// Build even if the component is up to date (`pact build`, "Rebuild").
    pub force: bool,
}

impl BuildMode {
    pub fn from_config(c: &Config) -> Self {
        Self {
            parallel: c.parallel_components(),
            max_concurrent: c.max_concurrent_agents() as usize,
            agents: if c.competitive_implementations() {
                c.competitive_agents()
            } else {
                1
            },
            max_attempts: c.max_implementation_attempts().max(1),
            force: false,
        }
    }
}

/// `metadata.json` of an implementation: what it was built from, so a resumed run can tell
/// finished work from stale work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImplMetadata {
    pub component_id: String,
    pub status: String,
    pub attempts: u32,
    pub contract_version: i64,
    pub src_hash: String,
    pub test_hash: String,
    pub winner_attempt: String,
    pub timestamp: String,
    /// Held-out tests: the code agent never saw them.
    #[serde(default)]
    pub hidden: Option<pact_core::model::PassCount>,
    /// Visible pass rate minus held-out pass rate: a positive gap suggests tests were gamed.
    #[serde(default)]
    pub gaming_gap: f64,
    /// sha256 of interface.json, of the held-out tests, and of every dependency's sources the
    /// tests ran with: a change to any of them makes the verdict stale.
    #[serde(default)]
    pub contract_hash: String,
    #[serde(default)]
    pub hidden_hash: String,
    #[serde(default)]
    pub deps_hash: String,
    /// How the verdict's code ran: "sandboxed", or "unsandboxed: <why>".
    #[serde(default)]
    pub isolation: String,
    /// Whether the tests reached the implementation only through the contract boundary (false:
    /// in the tests' process, e.g. a suite that patches module internals).
    #[serde(default)]
    pub boundary: bool,
    /// The mutation gate's verdict on these sources and tests (`None`: not measured yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutation: Option<MutationVerdict>,
}

/// What the build's mutation pass measured of an accepted implementation's suite: part of
/// "done" when `mutation_gate` is on (Python projects).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MutationVerdict {
    /// Killed share of the decided mutants; `None`: no score.
    pub score: Option<f64>,
    pub threshold: f64,
    pub killed: u64,
    /// Mutants tried.
    pub total: u64,
    /// Test-author revisions the gate asked for.
    #[serde(default)]
    pub revisions: u32,
    /// Why the component is not done; empty when the gate passed.
    #[serde(default)]
    pub finding: String,
    /// Why nothing was measured though the gate was on (a test runner that runs no code).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub skipped: String,
}

impl MutationVerdict {
    /// Why this verdict keeps the component from being done at `threshold`, if it does.
    pub fn blocks(&self, threshold: f64) -> Option<String> {
        if !self.skipped.is_empty() || self.total == 0 {
            return None;
        }
        match self.score {
            Some(s) if s >= threshold => None,
            Some(s) if self.finding.is_empty() || self.threshold != threshold => Some(format!(
                "mutation score {:.0}% is below the threshold {:.0}%",
                s * 100.0,
                threshold * 100.0
            )),
            None if self.finding.is_empty() => Some("mutation score unknown".into()),
            _ => Some(self.finding.clone()),
        }
    }
}

/// Whether the mutation gate decides "done" here, and if not why.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Gate {
    On,
    /// Off in pact.yaml, or a language without mutation testing.
    Off(Option<String>),
    /// On, but the test runner runs no code (tests, benchmarks): recorded as skipped.
    NoTestProcess,
}

fn gate(e: &Engine) -> Gate {
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

fn gate_applies(e: &Engine) -> bool {
    e.config.mutation_gate() && language(e) == TestLanguage::Python
}

/// Builds `ids` (skipping those already built from the current tests), each after the
/// components it depends on. Returns the ids that failed.
pub async fn build_many(e: &Engine, ids: &[String], mode: BuildMode) -> Result<Vec<String>> {
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut deps: HashMap<String, Vec<String>> = HashMap::new();
    for id in ids {
        let d = dependencies(e, id)?;
        deps.insert(
            id.clone(),
            d.into_iter()
                .filter(|x| wanted.contains(x.as_str()))
                .collect(),
        );
    }
    let mut done: HashSet<String> = HashSet::new();
    let mut failed: Vec<String> = Vec::new();
    let mut pending: Vec<String> = ids.to_vec();
    let limit = if mode.parallel {
        mode.max_concurrent.max(1)
    } else {
        1
    };
    let mut running = tokio::task::JoinSet::new();
    loop {
        e.check_cancel()?;
        // Anything whose dependency failed cannot be built now.
        let mut blocked = Vec::new();
        pending.retain(|id| {
            let bad = deps
                .get(id)
                .is_some_and(|d| d.iter().any(|x| failed.contains(x)));
            if bad {
                blocked.push(id.clone());
            }
            !bad
        });
        for id in blocked {
            mark_failed(e, &id, "a dependency failed to build")?;
            failed.push(id);
        }
        let ready: Vec<String> = pending
            .iter()
            .filter(|id| {
                deps.get(*id)
                    .is_none_or(|d| d.iter().all(|x| done.contains(x)))
            })
            .cloned()
            .collect();
        for id in ready {
            if running.len() >= limit {
                break;
            }
            pending.retain(|p| *p != id);
            let e2 = e.clone();
            running.spawn(async move {
                let r = build_component(&e2, &id, mode).await;
                (id, r)
            });
        }
        let Some(joined) = running.join_next().await else {
            if pending.is_empty() {
                break;
            }
            // Nothing runs and nothing is ready: a dependency cycle among what is left.
            for id in std::mem::take(&mut pending) {
                mark_failed(e, &id, "its dependencies form a cycle")?;
                failed.push(id);
            }
            break;
        };
        let (id, r) =
            joined.map_err(|err| EngineError::Invalid(format!("a build task panicked: {err}")))?;
        match r {
            Ok(true) => {
                done.insert(id);
            }
            Ok(false) => failed.push(id),
            Err(err) => {
                running.abort_all();
                return Err(err);
            }
        }
    }
    Ok(failed)
}

fn mark_failed(e: &Engine, cid: &str, why: &str) -> Result<()> {
    e.update(|s| {
        let t = s.task_mut(cid);
        t.status = TaskStatus::Failed;
        t.last_error = why.to_string();
    })?;
    set_node_status(e, cid, ImplementationStatus::Failed)
}

/// A component's dependencies: its contract's `dependencies` plus its tree children.
pub(crate) fn dependencies(e: &Engine, cid: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = e
        .project
        .load_contract(cid)?
        .map(|c| c.dependencies)
        .unwrap_or_default();
    if let Some(t) = e.project.load_tree()?
        && let Some(n) = t.nodes.get(cid)
    {
        for c in &n.children {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
    }
    Ok(out)
}

/// `src/` of the component and of everything it depends on, transitively: what its tests import.
pub(crate) fn src_dirs(e: &Engine, cid: &str, own: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = vec![own.to_path_buf()];
    for d in dependency_closure(e, cid)?.iter().skip(1) {
        dirs.push(e.project.layout.implementation_src(d));
    }
    Ok(dirs)
}

/// The contracts a component's tests cross to reach it: its own, then its dependencies' (the
/// modules [`src_dirs`] puts on the implementation's path). A dependency without a contract is
/// left out (its module is then reached only by the implementation itself).
pub(crate) fn boundary_contracts(e: &Engine, cid: &str) -> Result<Vec<ComponentContract>> {
    let mut out = Vec::new();
    for d in dependency_closure(e, cid)? {
        out.extend(e.project.load_contract(&d)?);
    }
    Ok(out)
}

/// `cid`, then every component it depends on, directly or not, each once (invalid ids skipped).
fn dependency_closure(e: &Engine, cid: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue = vec![cid.to_string()];
    while let Some(d) = queue.pop() {
        if pact_core::ids::check_component_id(&d).is_err() || !seen.insert(d.clone()) {
            continue;
        }
        queue.extend(dependencies(e, &d)?);
        out.push(d);
    }
    Ok(out)
}

pub use pact_core::digest::hash_dir;

fn lock_hash(l: &lock::TestLock) -> String {
    l.test_hash()
}

/// Whether the component is built from exactly its current contract, tests (visible and held
/// out) and dependencies, with a passing run on record, and — with the mutation gate on — a
/// suite strong enough by its mutation score. What "done" means everywhere.
pub fn already_built(e: &Engine, cid: &str) -> Result<bool> {
    let Some(meta) = accepted(e, cid)? else {
        return Ok(false);
    };
    Ok(!gate_applies(e) || mutation_blocker(e, &meta).is_none())
}

/// Why the mutation gate keeps an accepted component from being done, if it does.
fn mutation_blocker(e: &Engine, meta: &ImplMetadata) -> Option<String> {
    match &meta.mutation {
        None => Some("its suite's mutation score was not measured yet".into()),
        Some(v) => v.blocks(e.config.mutation_threshold()),
    }
}

/// A component whose tests accept its implementation (what "done" means without the mutation
/// gate) but which the gate holds back: why, or `None`.
pub fn held_by_mutation_gate(e: &Engine, cid: &str) -> Result<Option<String>> {
    if !gate_applies(e) {
        return Ok(None);
    }
    Ok(accepted(e, cid)?.and_then(|m| mutation_blocker(e, &m)))
}

/// The build record, if its locked tests accepted the implementation as it is now: built from
/// exactly the current contract, tests (visible and held out) and dependencies, with a passing
/// run on record.
fn accepted(e: &Engine, cid: &str) -> Result<Option<ImplMetadata>> {
    let meta_path = e
        .project
        .layout
        .implementation_dir(cid)
        .join("metadata.json");
    let Some(text) = e.project.read_text(&meta_path)? else {
        return Ok(None);
    };
    let Ok(meta) = serde_json::from_str::<ImplMetadata>(&text) else {
        return Ok(None);
    };
    let Ok((l, _)) = lock::verified_tests(&e.project, cid) else {
        return Ok(None);
    };
    let results_ok = e
        .project
        .load_test_results(cid)?
        .is_some_and(|r| r.all_passed());
    let src = e.project.layout.implementation_src(cid);
    let current = meta.status == "passed"
        && results_ok
        && meta.test_hash == lock_hash(&l)
        && meta.hidden_hash == l.hidden_hash()
        && meta.contract_hash == contract_hash(e, cid)?
        && meta.src_hash == hash_dir(&src)
        && meta.deps_hash == deps_hash(e, cid, &src)?;
    Ok(current.then_some(meta))
}

fn contract_hash(e: &Engine, cid: &str) -> Result<String> {
    Ok(e.project
        .read_text(&e.project.layout.contract(cid))?
        .map(|t| pact_core::digest::sha256_hex(t.as_bytes()))
        .unwrap_or_default())
}

/// One hash over the sources of everything the component's tests import besides itself, each
/// named by its place in the project: a moved or copied project is still up to date.
fn deps_hash(e: &Engine, cid: &str, own: &Path) -> Result<String> {
    let dirs = src_dirs(e, cid, own)?;
    let root = e.project.root();
    let joined: String = dirs
        .iter()
        .skip(1)
        .map(|d| {
            let name = d.strip_prefix(root).unwrap_or(d);
            format!("{}\0{}\n", name.display(), hash_dir(d))
        })
        .collect();
    Ok(pact_core::digest::sha256_hex(joined.as_bytes()))
}

/// Builds one component (`pact build`): `true` when its locked tests (visible and held out) all
/// pass and, with the mutation gate on, its suite kills enough mutants of the code.
pub async fn build_component(e: &Engine, cid: &str, mode: BuildMode) -> Result<bool> {
    pact_core::ids::check_component_id(cid).map_err(|err| EngineError::Invalid(err.to_string()))?;
    e.preflight().await?;
    if !mode.force && already_built(e, cid)? {
        e.emit(Event::Component {
            phase: "implement".into(),
            component: cid.into(),
            step: "up to date".into(),
        });
        return Ok(true);
    }
    let gate = gate(e);
    // Accepted by its tests, only the mutation verdict missing or failing (a run stopped before
    // the mutation pass, the gate turned on, a resumed weak verdict): measure again, not rebuild.
    let (mut passed, mut last_error) =
        if !mode.force && gate == Gate::On && accepted(e, cid)?.is_some() {
            (true, String::new())
        } else {
            implement(e, cid, mode, false).await?
        };
    if passed {
        match &gate {
            Gate::On => {
                if let Err(finding) = mutation_gate(e, cid, mode).await? {
                    passed = false;
                    last_error = finding;
                }
            }
            Gate::NoTestProcess => {
                e.audit(
                    "mutation_gate",
                    format!("{cid}: skipped — the test runner runs no code, so no mutant can be measured"),
                )?;
                record_verdict(
                    e,
                    cid,
                    MutationVerdict {
                        skipped: "the test runner runs no code".into(),
                        threshold: e.config.mutation_threshold(),
                        ..Default::default()
                    },
                )?;
            }
            Gate::Off(Some(why)) => e.audit("mutation_gate", format!("{cid}: skipped — {why}"))?,
            Gate::Off(None) => {}
        }
    }
    e.update(|s| {
        let t = s.task_mut(cid);
        t.status = if passed {
            TaskStatus::Completed
        } else {
            TaskStatus::Failed
        };
        t.last_error = if passed {
            String::new()
        } else {
            last_error.clone()
        };
    })?;
    set_node_status(
        e,
        cid,
        if passed {
            ImplementationStatus::Tested
        } else {
            ImplementationStatus::Failed
        },
    )?;
    Ok(passed)
}

/// The mutation gate: mutates the accepted implementation and, while its score is below
/// `mutation_threshold`, sends the suite back to the test author with the surviving mutants
/// (at most `max_plan_revisions` times); the new tests are checked red-first and locked, and
/// the code is re-tested against them (rebuilt if it fails them). The verdict goes into
/// `metadata.json`. `Ok(Err(finding))`: the component is not done, and why.
async fn mutation_gate(
    e: &Engine,
    cid: &str,
    mode: BuildMode,
) -> Result<std::result::Result<(), String>> {
    let threshold = e.config.mutation_threshold();
    let max_revisions = e.config.max_plan_revisions();
    let mut revisions = 0;
    loop {
        e.emit(Event::Component {
            phase: "implement".into(),
            component: cid.into(),
            step: "mutation testing".into(),
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

/// Writes the mutation gate's verdict into the component's build record.
fn record_verdict(e: &Engine, cid: &str, verdict: MutationVerdict) -> Result<()> {
    let path = e
        .project
        .layout
        .implementation_dir(cid)
        .join("metadata.json");
    let Some(mut meta) = e
        .project
        .read_text(&path)?
        .and_then(|t| serde_json::from_str::<ImplMetadata>(&t).ok())
    else {
        return Err(EngineError::Invalid(format!(
            "'{cid}' has no build record to add the mutation verdict to"
        )));
    };
    meta.mutation = Some(verdict);
    let text =
        serde_json::to_string_pretty(&meta).map_err(|err| EngineError::Invalid(err.to_string()))?;
    Ok(e.project.write_text(&path, &text)?)
}

/// The code agent's attempts (or, with `retest`, first the implementation as it is) against the
/// locked tests; writes `test_results.json` and `metadata.json` and counts the attempts. Returns
/// whether every test passed, and else the first failure.
async fn implement(e: &Engine, cid: &str, mode: BuildMode, retest: bool) -> Result<(bool, String)> {
    let contract = e.project.load_contract(cid)?.ok_or_else(|| {
        EngineError::Invalid(format!(
            "component '{cid}' has no contract; decompose first"
        ))
    })?;
    let suite = e.project.load_suite(cid)?.ok_or_else(|| {
        EngineError::Invalid(format!(
            "component '{cid}' has no test suite; decompose first"
        ))
    })?;
    let lang = language(e);
    let (test_lock, test_files) = match lock::verified_tests(&e.project, cid) {
        Ok(x) => x,
        Err(lock::LockError::NotLocked { .. }) => {
            // Tests made by another tool (or before locking existed): lock what is there now.
            let f = e.project.layout.tests_dir(cid).join(lang.test_file_name());
            lock::lock_tests(&e.project, cid, suite.contract_version, &[f])?;
            e.audit("test_lock", format!("{cid}: locked existing tests"))?;
            lock::verified_tests(&e.project, cid)?
        }
        Err(err) => {
            e.audit("test_tampered", err.to_string())?;
            return Err(err.into());
        }
    };
    let drift = lock::drifted_files(&e.project, cid, &test_lock);
    if !drift.is_empty() {
        e.audit(
            "test_drift",
            format!(
                "{cid}: {} differ from the locked tests; the locked copy runs",
                drift.join(", ")
            ),
        )?;
    }
    let test_code: String = test_files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect::<Vec<_>>()
        .join("\n");
    e.update(|s| s.task_mut(cid).status = TaskStatus::Implementing)?;
    e.emit(Event::Component {
        phase: "implement".into(),
        component: cid.into(),
        step: "implement".into(),
    });
    let key = log_key(e.project.load_tree()?.as_ref(), cid);
    let ctx = Ctx {
        test_lock: &test_lock,
        e,
        cid,
        contract: &contract,
        suite: &suite,
        test_code: &test_code,
        test_files: &test_files,
        lang,
        key: &key,
    };

    let agents = mode.agents.max(1);
    // New tests for code that exists: it may meet them as it is.
    let mut first_failures = None;
    if retest {
        let src = e.project.layout.implementation_src(cid);
        match ctx.retest(&src).await? {
            Ok(r) => return ctx.accept(r, 0, String::new(), agents).await,
            Err(results) => first_failures = Some(results),
        }
    }
    let (best, attempts_used) = if agents == 1 {
        let src = e.project.layout.implementation_src(cid);
        let r = ctx
            .iterate(&src, mode.max_attempts, "", first_failures)
            .await?;
        let n = r.attempts;
        (Some((String::new(), r)), n)
    } else {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..agents {
            let id: String =
                std::iter::repeat_with(|| fastrand::alphanumeric().to_ascii_lowercase())
                    .take(8)
                    .collect();
            let dir = e.project.layout.attempts_dir(cid).join(&id);
            let owned = OwnedCtx::from(&ctx);
            let max = mode.max_attempts;
            let first = first_failures.clone();
            set.spawn(async move {
                let ctx = owned.borrow();
                let r = ctx.iterate(&dir.join("src"), max, &id, first).await;
                if let Ok(r) = &r {
                    let meta = serde_json::json!({"attempt_id": id, "passed": r.results.passed, "total": r.results.total,
                        "duration_ms": r.millis, "attempts": r.attempts});
                    let _ = std::fs::write(dir.join("metadata.json"), serde_json::to_string_pretty(&meta).unwrap_or_default());
                    let _ = std::fs::write(dir.join("test_results.json"), serde_json::to_string_pretty(&r.results).unwrap_or_default());
                }
                (id, r)
            });
        }
        let mut best: Option<(String, AttemptResult)> = None;
        let mut used = 0;
        while let Some(j) = set.join_next().await {
            let (id, r) =
                j.map_err(|err| EngineError::Invalid(format!("an attempt panicked: {err}")))?;
            let r = r?;
            used += r.attempts;
            // Pass rate first, then speed.
            let better = best.as_ref().is_none_or(|(_, b)| score(&r) > score(b));
            if better {
                best = Some((id, r));
            }
        }
        if let Some((id, r)) = &best {
            let src = e.project.layout.implementation_src(cid);
            replace_dir(
                &e.project.layout.attempts_dir(cid).join(id).join("src"),
                &src,
            )?;
            e.audit(
                "competitive_resolution",
                format!(
                    "{cid}: attempt {id} won with {}/{} passed",
                    r.results.passed, r.results.total
                ),
            )?;
        }
        (best, used)
    };
    let Some((winner, result)) = best else {
        return Ok((false, String::new()));
    };
    ctx.accept(result, attempts_used, winner, agents).await
}

impl Ctx<'_> {
    /// Records the outcome of the attempts: the test results, the gaming signal, `metadata.json`
    /// (without a mutation verdict: that comes after), the attempts spent and the audit entry.
    async fn accept(
        &self,
        result: AttemptResult,
        attempts_used: u32,
        winner: String,
        agents: u32,
    ) -> Result<(bool, String)> {
        let (e, cid) = (self.e, self.cid);
        let hidden_ok = result
            .hidden
            .is_none_or(|h| h.total > 0 && h.passed == h.total);
        let passed = result.results.all_passed() && hidden_ok;
        let rate = |p: u64, t: u64| if t == 0 { 0.0 } else { p as f64 / t as f64 };
        let gaming_gap = result.hidden.map_or(0.0, |h| {
            rate(result.results.passed, result.results.total) - rate(h.passed, h.total)
        });
        if gaming_gap > 0.0 {
            e.audit(
                "gaming_signal",
                format!(
                    "{cid}: visible pass rate exceeds held-out by {:.0} points",
                    gaming_gap * 100.0
                ),
            )?;
        }
        e.project.save_test_results(cid, &result.results)?;
        e.emit(Event::TestsRan {
            component: cid.into(),
            passed: result.results.passed,
            total: result.results.total,
        });
        let src = e.project.layout.implementation_src(cid);
        let meta = ImplMetadata {
            component_id: cid.into(),
            status: if passed {
                "passed".into()
            } else {
                "failed".into()
            },
            attempts: attempts_used,
            contract_version: self.contract.version,
            src_hash: hash_dir(&src),
            test_hash: lock_hash(self.test_lock),
            winner_attempt: winner,
            timestamp: pact_core::store::now_iso(),
            hidden: result.hidden,
            gaming_gap,
            contract_hash: contract_hash(e, cid)?,
            hidden_hash: self.test_lock.hidden_hash(),
            deps_hash: deps_hash(e, cid, &src)?,
            isolation: match &result.isolation {
                crate::sandbox::Isolation::Sandboxed => "sandboxed".into(),
                crate::sandbox::Isolation::Unsandboxed(why) => format!("unsandboxed: {why}"),
            },
            boundary: result.boundary,
            mutation: None,
        };
        let text = serde_json::to_string_pretty(&meta)
            .map_err(|err| EngineError::Invalid(err.to_string()))?;
        e.project.write_text(
            &e.project
                .layout
                .implementation_dir(cid)
                .join("metadata.json"),
            &text,
        )?;
        let last_error = result
            .results
            .failure_details
            .first()
            .map(|f| format!("{} failed", f.test_id))
            .or_else(|| result.rejected.last().cloned())
            .unwrap_or_default();
        e.update(|s| s.task_mut(cid).attempts += attempts_used)?;
        let detail = format!(
            "{cid}: {}/{} passed{}",
            result.results.passed,
            result.results.total,
            if agents > 1 {
                format!(" (competitive, {agents} agents)")
            } else if attempts_used == 0 {
                " (the implementation as it was, against new tests)".to_string()
            } else {
                String::new()
            }
        );
        e.audit("build", detail)?;
        Ok((passed, last_error))
    }
}

/// "Rebuild from contract": the implementation is disposable; its sources and build record go.
pub fn flush(e: &Engine, cid: &str) -> Result<()> {
    pact_core::ids::check_component_id(cid).map_err(|err| EngineError::Invalid(err.to_string()))?;
    let _ = std::fs::remove_dir_all(e.project.layout.implementation_src(cid));
    let _ = std::fs::remove_file(
        e.project
            .layout
            .implementation_dir(cid)
            .join("metadata.json"),
    );
    e.audit(
        "flush",
        format!("{cid}: implementation flushed for a rebuild from its contract"),
    )?;
    Ok(())
}

/// "Run contract tests" (no model): the locked tests against the current implementation.
/// Saves `test_results.json`; returns the run, with every test id.
pub async fn run_tests(e: &Engine, cid: &str) -> Result<crate::harness::TestRun> {
    pact_core::ids::check_component_id(cid).map_err(|err| EngineError::Invalid(err.to_string()))?;
    e.preflight().await?;
    let (_, files) = lock::verified_tests(&e.project, cid)?;
    let src = e.project.layout.implementation_src(cid);
    let job = TestJob::new(language(e), files, src_dirs(e, cid, &src)?)
        .with_contracts(boundary_contracts(e, cid)?);
    e.emit(Event::Component {
        phase: "test".into(),
        component: cid.into(),
        step: "run contract tests".into(),
    });
    let run = e.run_tests(&job).await?;
    e.project.save_test_results(cid, &run.results)?;
    e.emit(Event::TestsRan {
        component: cid.into(),
        passed: run.results.passed,
        total: run.results.total,
    });
    e.audit(
        "test_run",
        format!(
            "{cid}: {}/{} passed (manual run)",
            run.results.passed, run.results.total
        ),
    )?;
    Ok(run)
}

fn score(r: &AttemptResult) -> (u64, i64) {
    let rate = (r.results.passed * 1_000_000)
        .checked_div(r.results.total)
        .unwrap_or(0);
    (rate, -(r.millis as i64))
}

struct AttemptResult {
    results: TestResults,
    hidden: Option<PassCount>,
    /// Where the last test run's code ran, and whether across the contract boundary.
    isolation: crate::sandbox::Isolation,
    boundary: bool,
    attempts: u32,
    millis: u128,
    rejected: Vec<String>,
}

struct Ctx<'a> {
    /// The lock as it was when the build started: a run cannot re-lock its own tests.
    test_lock: &'a lock::TestLock,
    e: &'a Engine,
    cid: &'a str,
    contract: &'a ComponentContract,
    suite: &'a pact_core::model::ContractTestSuite,
    test_code: &'a str,
    test_files: &'a [PathBuf],
    lang: TestLanguage,
    key: &'a str,
}

/// What a spawned competitive attempt owns (tasks cannot borrow from the caller).
struct OwnedCtx {
    test_lock: lock::TestLock,
    e: Engine,
    cid: String,
    contract: ComponentContract,
    suite: pact_core::model::ContractTestSuite,
    test_code: String,
    test_files: Vec<PathBuf>,
    lang: TestLanguage,
    key: String,
}

impl From<&Ctx<'_>> for OwnedCtx {
    fn from(c: &Ctx<'_>) -> Self {
        Self {
            test_lock: c.test_lock.clone(),
            e: c.e.clone(),
            cid: c.cid.into(),
            contract: c.contract.clone(),
            suite: c.suite.clone(),
            test_code: c.test_code.into(),
            test_files: c.test_files.to_vec(),
            lang: c.lang,
            key: c.key.into(),
        }
    }
}

impl OwnedCtx {
    fn borrow(&self) -> Ctx<'_> {
        Ctx {
            test_lock: &self.test_lock,
            e: &self.e,
            cid: &self.cid,
            contract: &self.contract,
            suite: &self.suite,
            test_code: &self.test_code,
            test_files: &self.test_files,
            lang: self.lang,
            key: &self.key,
        }
    }
}

impl Ctx<'_> {
    /// The implementation as it is against the (new) locked tests, visible then held out:
    /// accepted as it is, or the failures for the code agent's first attempt.
    async fn retest(&self, src: &Path) -> Result<std::result::Result<AttemptResult, TestResults>> {
        let e = self.e;
        let started = Instant::now();
        let label = "the implementation as it was, against new tests";
        let audited = hash_dir(src);
        let job = TestJob::new(
            self.lang,
            self.test_files.to_vec(),
            src_dirs(e, self.cid, src)?,
        )
        .with_contracts(boundary_contracts(e, self.cid)?);
        lock::verify_against(&e.project, self.cid, self.test_lock)?;
        let run = e.run_tests(&job).await?;
        e.emit(Event::TestsRan {
            component: self.cid.into(),
            passed: run.results.passed,
            total: run.results.total,
        });
        e.audit(
            "test_run",
            format!(
                "{}: {}/{} passed ({label})",
                self.cid, run.results.passed, run.results.total
            ),
        )?;
        if !run.results.all_passed() {
            return Ok(Err(run.results));
        }
        let hidden_files = lock::verify_hidden_against(&e.project, self.cid, self.test_lock)?;
        let mut hidden = None;
        if !hidden_files.is_empty() {
            let h = e
                .run_tests(&TestJob {
                    test_files: hidden_files,
                    ..job
                })
                .await?
                .results;
            e.audit(
                "hidden_test_run",
                format!(
                    "{}: {}/{} held-out tests passed ({label})",
                    self.cid, h.passed, h.total
                ),
            )?;
            if !h.all_passed() {
                // The agent learns only how many held-out tests failed, in its first attempt.
                return Ok(Err(run.results));
            }
            hidden = Some(PassCount {
                passed: h.passed,
                total: h.total,
            });
        }
        if hash_dir(src) != audited {
            return Ok(Err(run.results));
        }
        Ok(Ok(AttemptResult {
            results: run.results,
            hidden,
            isolation: run.isolation,
            boundary: run.boundary,
            attempts: 0,
            millis: started.elapsed().as_millis(),
            rejected: Vec::new(),
        }))
    }

    /// Asks, writes, tests — until the tests pass or `max` attempts are spent. `first`: how the
    /// current code fails new tests, for the first attempt's brief.
    async fn iterate(
        &self,
        src: &Path,
        max: u32,
        attempt_id: &str,
        first: Option<TestResults>,
    ) -> Result<AttemptResult> {
        let e = self.e;
        let started = Instant::now();
        let stub = stubs::render(self.contract, self.lang);
        let deps: Vec<(ComponentContract, String)> = self
            .contract
            .dependencies
            .iter()
            .filter_map(|d| e.project.load_contract(d).ok().flatten())
            .map(|c| {
                let s = stubs::render(&c, self.lang);
                (c, s)
            })
            .collect();
        let learnings = learnings_for(e, self.cid);
        let mut last: Option<TestResults> = first;
        let mut rejected: Vec<String> = Vec::new();
        let mut all_rejections = Vec::new();
        let mut hidden_failed: Option<PassCount> = None;
        let mut last_hidden: Option<PassCount> = None;
        let hidden_files = lock::verify_hidden_against(&e.project, self.cid, self.test_lock)?;
        let mut isolation = crate::sandbox::isolation().clone();
        let mut boundary = false;
        for k in 1..=max {
            e.check_cancel()?;
            e.emit(Event::Attempt {
                component: self.cid.into(),
                attempt: k,
                of: max,
            });
            let brief = roles::CodeBrief {
                contract: self.contract,
                suite: self.suite,
                test_code: self.test_code,
                stub: &stub,
                deps: deps.iter().map(|(c, s)| (c, s.clone())).collect(),
                sops: &e
                    .project
                    .read_text(&e.project.layout.sops_md())?
                    .unwrap_or_default(),
                log_key: self.key,
                failures: last.as_ref(),
                rejected: &rejected,
                learnings: &learnings,
                hidden_failed,
            };
            let answer = e
                .backends
                .for_role(roles::CODE_AUTHOR)?
                .complete(
                    &crate::phases::with_operator_context(e, roles::code(&brief)),
                    &e.cancel,
                )
                .await?;
            let _ = e.sync_spend();
            rejected = match write_files(&answer.value, src, self.cid, self.lang, self.key) {
                Ok(()) => {
                    let mut r = guard::audit_src_dir(src);
                    r.extend(crate::integrity::diff_audit(
                        src,
                        self.contract,
                        self.test_code,
                        self.lang,
                    ));
                    r
                }
                Err(reasons) => reasons,
            };
            if !rejected.is_empty() {
                let why = rejected.join("; ");
                e.audit(
                    "implementation_rejected",
                    format!(
                        "{}{}: {why}",
                        self.cid,
                        if attempt_id.is_empty() {
                            String::new()
                        } else {
                            format!(" (attempt {attempt_id})")
                        }
                    ),
                )?;
                all_rejections.extend(rejected.clone());
                continue;
            }
            // What ships is what was audited and tested: the sources are hashed now and
            // again after every test run; any change between the two rejects the attempt.
            let audited = hash_dir(src);
            let job = TestJob::new(
                self.lang,
                self.test_files.to_vec(),
                src_dirs(e, self.cid, src)?,
            )
            .with_contracts(boundary_contracts(e, self.cid)?);
            // Tests run from the verified locked copy every time.
            lock::verify_against(&e.project, self.cid, self.test_lock)?;
            let run = e.run_tests(&job).await?;
            e.emit(Event::TestsRan {
                component: self.cid.into(),
                passed: run.results.passed,
                total: run.results.total,
            });
            e.audit(
                "test_run",
                format!(
                    "{}: {}/{} passed (attempt {k})",
                    self.cid, run.results.passed, run.results.total
                ),
            )?;
            let mut passed = run.results.all_passed();
            isolation = run.isolation.clone();
            boundary = run.boundary;
            last = Some(run.results);
            // The held-out suite decides too; the agent learns only how many it failed.
            if passed && !hidden_files.is_empty() {
                let job = TestJob {
                    test_files: lock::verify_hidden_against(&e.project, self.cid, self.test_lock)?,
                    ..job
                };
                let hidden = e.run_tests(&job).await?.results;
                let count = PassCount {
                    passed: hidden.passed,
                    total: hidden.total,
                };
                e.audit(
                    "hidden_test_run",
                    format!(
                        "{}: {}/{} held-out tests passed (attempt {k})",
                        self.cid, hidden.passed, hidden.total
                    ),
                )?;
                last_hidden = Some(count);
                passed = hidden.all_passed();
                hidden_failed = (!passed).then_some(count);
            }
            if hash_dir(src) != audited {
                let why = "the implementation's files changed while its tests ran; what ships must be what was tested".to_string();
                e.audit("implementation_rejected", format!("{}: {why}", self.cid))?;
                rejected = vec![why.clone()];
                all_rejections.push(why.clone());
                // Whatever the runs said, this attempt did not pass.
                let mut failed = last.take().unwrap_or_default();
                failed.errors += 1;
                failed.failure_details.push(pact_core::model::TestFailure {
                    test_id: "<changed-during-tests>".into(),
                    error_message: why,
                    ..Default::default()
                });
                last = Some(failed);
                last_hidden = None;
                continue;
            }
            if passed {
                return Ok(AttemptResult {
                    results: last.unwrap_or_default(),
                    hidden: last_hidden,
                    isolation,
                    boundary,
                    attempts: k,
                    millis: started.elapsed().as_millis(),
                    rejected: all_rejections,
                });
            }
        }
        let mut results = last.unwrap_or_default();
        if results.total == 0 && results.failure_details.is_empty() && !all_rejections.is_empty() {
            results.errors = 1;
            results.failure_details.push(pact_core::model::TestFailure {
                test_id: "<rejected>".into(),
                error_message: all_rejections.join("; "),
                ..Default::default()
            });
        }
        Ok(AttemptResult {
            hidden: last_hidden,
            isolation,
            boundary,
            results,
            attempts: max,
            millis: started.elapsed().as_millis(),
            rejected: all_rejections,
        })
    }
}

fn learnings_for(e: &Engine, cid: &str) -> Vec<String> {
    let Ok(Some(text)) = e.project.read_text(&e.project.layout.learnings()) else {
        return Vec::new();
    };
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("component_id").and_then(Value::as_str) == Some(cid))
        .filter_map(|v| {
            let cat = v
                .get("category")
                .and_then(Value::as_str)
                .unwrap_or("note")
                .to_string();
            v.get("lesson")
                .and_then(Value::as_str)
                .map(|l| format!("On {cat}: {l}"))
        })
        .collect();
    let keep = out.len().saturating_sub(10);
    out.drain(..keep);
    out
}

/// Writes the agent's files into `src` (replacing what was there). Refuses the whole answer if
/// any file would land outside `src/` or change how tests run.
fn write_files(
    answer: &Value,
    src: &Path,
    cid: &str,
    lang: TestLanguage,
    key: &str,
) -> std::result::Result<(), Vec<String>> {
    let files = answer
        .get("files")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut refused = Vec::new();
    let mut plan = Vec::new();
    for f in &files {
        let path = f.get("path").and_then(Value::as_str).unwrap_or("");
        let path = path.strip_prefix("src/").unwrap_or(path);
        let content = f.get("content").and_then(Value::as_str).unwrap_or("");
        match guard::check_generated_path(path) {
            Some(why) => refused.push(why),
            None => plan.push((path.to_string(), content.to_string())),
        }
    }
    if plan.is_empty() && refused.is_empty() {
        refused.push("the answer contained no files".into());
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    let main = match lang {
        TestLanguage::Python => format!("{cid}.py"),
        TestLanguage::TypeScript => format!("{cid}.ts"),
        TestLanguage::JavaScript => format!("{cid}.js"),
    };
    // Every implementation carries its log key, even if the agent forgot it.
    if !plan.iter().any(|(_, c)| c.contains(key))
        && let Some((_, c)) = plan.iter_mut().find(|(p, _)| *p == main)
    {
        let line = match lang {
            TestLanguage::Python => {
                format!("PACT_LOG_KEY = \"{key}\"  # attributes log lines to this component\n")
            }
            _ => format!(
                "export const PACT_LOG_KEY = \"{key}\"; // attributes log lines to this component\n"
            ),
        };
        *c = insert_after_docstring(c, &line, lang);
    }
    let io = |e: std::io::Error| vec![format!("cannot write the implementation: {e}")];
    // Write the whole attempt beside `src/`, then swap it in: never a half-written tree.
    let staging = src.with_extension("staging");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io)?;
    }
    for (p, c) in plan {
        pact_core::store::fsio::write_atomic(&staging.join(&p), c.as_bytes()).map_err(io)?;
    }
    swap_in(&staging, src).map_err(io)
}

/// Replaces `dst` by `staged` with two renames (the old tree kept until the new one is in place).
fn swap_in(staged: &Path, dst: &Path) -> std::io::Result<()> {
    let old = dst.with_extension("old");
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    if dst.exists() {
        std::fs::rename(dst, &old)?;
    }
    std::fs::rename(staged, dst)?;
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// Keeps a module docstring and `from __future__` imports first, where Python requires them.
fn insert_after_docstring(code: &str, line: &str, lang: TestLanguage) -> String {
    if lang != TestLanguage::Python {
        return format!("{line}{code}");
    }
    let mut offset = 0;
    let mut in_doc = false;
    for l in code.split_inclusive('\n') {
        let t = l.trim();
        if in_doc {
            offset += l.len();
            if t.ends_with("\"\"\"") || t.ends_with("'''") {
                in_doc = false;
            }
            continue;
        }
        if offset == 0 && (t.starts_with("\"\"\"") || t.starts_with("'''")) {
            offset += l.len();
            let body = &t[3..];
            in_doc = !(body.ends_with("\"\"\"") || body.ends_with("'''"));
            continue;
        }
        if t.starts_with("from __future__") || t.starts_with('#') && offset == 0 {
            offset += l.len();
            continue;
        }
        break;
    }
    format!("{}{line}{}", &code[..offset], &code[offset..])
}

fn replace_dir(from: &Path, to: &Path) -> Result<()> {
    let io = |err: std::io::Error| {
        EngineError::Invalid(format!("cannot promote the winning attempt: {err}"))
    };
    let staging = to.with_extension("staging");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io)?;
    }
    let mut stack = vec![from.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(io)?.flatten() {
            let p = entry.path();
            let rel = p.strip_prefix(from).unwrap_or(&p);
            let ft = entry.file_type().map_err(io)?;
            if ft.is_dir() {
                stack.push(p.clone());
            } else if ft.is_file() {
                pact_core::store::fsio::write_atomic(
                    &staging.join(rel),
                    &std::fs::read(&p).map_err(io)?,
                )
                .map_err(io)?;
            }
        }
    }
    swap_in(&staging, to).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_key_goes_after_the_docstring() {
        let code = "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport os\n";
        let out = insert_after_docstring(code, "KEY = 1\n", TestLanguage::Python);
        assert_eq!(
            out,
            "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nKEY = 1\nimport os\n"
        );
        let out = insert_after_docstring("import os\n", "KEY = 1\n", TestLanguage::Python);
        assert_eq!(out, "KEY = 1\nimport os\n");
    }
}
