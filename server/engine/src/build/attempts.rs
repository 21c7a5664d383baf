//! The code agent's attempts against the locked tests: the ask → write → audit → test loop,
//! competing attempts and the pick of the best, and the record of the outcome.

use super::deps::{boundary_contracts, src_dirs};
use super::files::{replace_dir, write_files};
use super::record::{BuildRecord, contract_hash, deps_hash, lock_hash};
use super::{BuildMode, hash_dir};
use crate::engine::{Engine, EngineError, Result, log_key};
use crate::events::Event;
use crate::harness::TestJob;
use crate::phases::language;
use crate::{guard, lock, roles, stubs};
use pact_core::model::{ComponentContract, PassCount, TaskStatus, TestLanguage, TestResults};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The code agent's attempts (or, with `retest`, first the implementation as it is) against the
/// locked tests; writes `test_results.json` and `metadata.json` and counts the attempts. Returns
/// whether every test passed, and else the first failure.
pub(super) async fn implement(
    e: &Engine,
    cid: &str,
    mode: BuildMode,
    retest: bool,
) -> Result<(bool, String)> {
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
        phase: pact_core::model::Phase::Implement,
        component: cid.into(),
        step: crate::events::Step::Implement,
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
        let meta = BuildRecord {
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
        e.project.save_build_record(cid, &meta)?;
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
