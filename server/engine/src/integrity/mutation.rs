//! Mutation testing: the locked tests run on the unmutated code, then on each mutant, and the
//! score and survivors recorded — the evidence the mutation gate decides on.

use super::mutants::{Mutation, python_mutations, sample};
use super::passed;
use crate::engine::{Engine, EngineError, Result};
use crate::harness::{HarnessError, HarnessOptions, TestJob};
use crate::lock;
use pact_core::digest::hash_dir;
use pact_core::model::{ComponentContract, MutationRecord, Survivor, TestLanguage};
use pact_core::store::fsio::write_atomic;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Every readable text file under `src`, relative path first, sorted.
fn source_files(src: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if !ft.is_file() {
                continue;
            } else if let Ok(t) = std::fs::read_to_string(&p) {
                out.push((
                    p.strip_prefix(src)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .into_owned(),
                    t,
                ));
            }
        }
    }
    out.sort();
    out
}

/// A mutant's run gets at least this long, and at least five times the baseline's duration
/// (never more than the harness's own limit).
const MUTANT_TIMEOUT_FLOOR: Duration = Duration::from_secs(20);

/// Mutant runs in flight at once, across every mutation pass of the process (components built
/// in parallel share them): two, as many as a small machine runs well.
fn mutant_slots() -> Arc<tokio::sync::Semaphore> {
    static SLOTS: LazyLock<Arc<tokio::sync::Semaphore>> =
        LazyLock::new(|| Arc::new(tokio::sync::Semaphore::new(2)));
    SLOTS.clone()
}

/// What one mutant's run showed.
#[derive(Debug, Clone, PartialEq)]
enum Fate {
    /// A test that passed on the unmutated code fails or errors on the mutant.
    Killed,
    Survived,
    /// Nothing can be concluded (why): counted neither way.
    Undecided(String),
}

/// `pact mutate`, and the build's mutation gate: mutates the accepted implementation of `cid`,
/// runs its locked tests on the unmutated sources first (the baseline: they must all pass),
/// then against each mutant, and records the score and the survivors in
/// `.pact/integrity/<cid>/mutation.json`. A mutant is killed only by a test that passed on the
/// baseline and fails or errors on it. With no mutants, a baseline that does not pass or no
/// mutant decided, the record has no score and says why.
pub async fn mutate(
    e: &Engine,
    cid: &str,
    max_mutants: usize,
    threshold: f64,
) -> Result<MutationRecord> {
    let src = e.project.layout.implementation_src(cid);
    let (lock, tests) = lock::verified_tests(&e.project, cid)?;
    let lang = crate::phases::language(e);
    if lang != TestLanguage::Python {
        return Err(EngineError::Invalid(format!(
            "mutation testing supports Python implementations; '{cid}' is {lang:?}"
        )));
    }
    // One reading of the sources: the baseline and every mutant are made from it.
    let files = Arc::new(source_files(&src));
    // Adopted code carries its whole package beside it: only the component's own module is its
    // implementation to mutate (`pact adopt`).
    let own = crate::adopt::adopted_file(&src).map(|f| f.to_string_lossy().into_owned());
    let mut all = Vec::new();
    for (rel, text) in files.iter() {
        if rel.ends_with(".py") && own.as_ref().is_none_or(|o| o == rel) {
            all.extend(python_mutations(rel, text));
        }
    }
    let mutants = sample(all, max_mutants);
    let mut rec = MutationRecord {
        component_id: cid.into(),
        src_hash: hash_dir(&src),
        test_hash: lock.test_hash(),
        total: mutants.len() as u64,
        threshold,
        ran_at: pact_core::store::now_iso(),
        ..Default::default()
    };
    if mutants.is_empty() {
        return no_score(
            e,
            rec,
            "no mutants: the implementation has no operator, constant, condition or return value to change".into(),
        );
    }
    let deps = crate::build::src_dirs(e, cid, &src)?;
    let contracts = crate::build::boundary_contracts(e, cid)?;
    let mut opts = e.harness_for(lang).await?;
    let slots = mutant_slots();
    let run = |m: Option<Mutation>, opts: HarnessOptions| {
        let (e, files, deps, tests, contracts, slots) = (
            e.clone(),
            files.clone(),
            deps.clone(),
            tests.clone(),
            contracts.clone(),
            slots.clone(),
        );
        async move {
            let _slot = slots.acquire_owned().await;
            run_copy(
                &e,
                &files,
                m.as_ref(),
                &deps,
                &tests,
                lang,
                &contracts,
                &opts,
            )
            .await
        }
    };
    let baseline = match run(None, opts.clone()).await {
        Ok(r) => r,
        Err(HarnessError::Cancelled) => return Err(HarnessError::Cancelled.into()),
        Err(err) => {
            return no_score(
                e,
                rec,
                format!("the tests could not run on the unmutated code: {err}"),
            );
        }
    };
    rec.baseline_ms = baseline.duration.as_millis() as u64;
    if let Some(why) = baseline_problem(&baseline, opts.timeout) {
        return no_score(e, rec, why);
    }
    let passing: Arc<HashSet<String>> = Arc::new(passed(&baseline).into_iter().collect());
    // A mutant that loops forever is caught by its timeout, which counts as detection only when
    // the unmutated suite runs well under that limit.
    let limit = opts
        .timeout
        .min(MUTANT_TIMEOUT_FLOOR.max(baseline.duration.saturating_mul(5)));
    let timeout_kills = baseline.duration.saturating_mul(4) <= limit;
    rec.mutant_timeout_ms = limit.as_millis() as u64;
    opts.timeout = limit;
    let mut set = tokio::task::JoinSet::new();
    for m in mutants {
        let running = run(Some(m.clone()), opts.clone());
        let passing = passing.clone();
        let baseline_took = baseline.duration;
        set.spawn(async move {
            let fate = match running.await {
                Ok(r) => judge(&r, &passing, timeout_kills, baseline_took, limit),
                Err(HarnessError::Cancelled) => return (m, Err(HarnessError::Cancelled)),
                Err(err) => Fate::Undecided(format!("the test runner failed: {err}")),
            };
            (m, Ok(fate))
        });
    }
    let mut undecided_why = Vec::new();
    while let Some(j) = set.join_next().await {
        let (m, fate) = j.map_err(|err| EngineError::Invalid(err.to_string()))?;
        match fate? {
            Fate::Killed => rec.killed += 1,
            Fate::Survived => rec.survivors.push(survivor(&files, &m)),
            Fate::Undecided(why) => {
                rec.undecided += 1;
                undecided_why.push(why);
            }
        }
    }
    rec.survivors
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    let decided = rec.killed + rec.survivors.len() as u64;
    if decided == 0 {
        undecided_why.sort();
        let why = format!(
            "none of the {} mutants could be decided ({})",
            rec.total,
            undecided_why.first().map_or("", String::as_str)
        );
        return no_score(e, rec, why);
    }
    rec.score = Some(rec.killed as f64 / decided as f64);
    finish_mutation(e, rec)
}

/// Why the baseline run cannot serve as one, if it cannot: every test must have run and passed.
fn baseline_problem(run: &crate::harness::TestRun, limit: Duration) -> Option<String> {
    if run.timed_out {
        return Some(format!(
            "the tests time out on the unmutated code (limit {}s)",
            limit.as_secs()
        ));
    }
    if !run.reported {
        return Some(format!(
            "the test runner wrote no report for the unmutated code:\n{}",
            crate::harness::tail(&run.stdout, &run.stderr)
        ));
    }
    let r = &run.results;
    if !r.all_passed() {
        let first = r
            .failure_details
            .first()
            .map(|f| {
                format!(
                    "; first: {} — {}",
                    f.test_id,
                    f.error_message.lines().next().unwrap_or("").trim()
                )
            })
            .unwrap_or_default();
        return Some(format!(
            "the tests do not all pass on the unmutated code ({}/{} passed{first})",
            r.passed, r.total
        ));
    }
    if passed(run).is_empty() {
        return Some("the test runner named no test that passed on the unmutated code".into());
    }
    None
}

/// Killed when a test that passed on the baseline fails, errors or does not run on the mutant.
fn judge(
    run: &crate::harness::TestRun,
    baseline_passing: &HashSet<String>,
    timeout_kills: bool,
    baseline_took: Duration,
    limit: Duration,
) -> Fate {
    if run.timed_out {
        return if timeout_kills {
            Fate::Killed
        } else {
            Fate::Undecided(format!(
                "timed out after {}s, but the unmutated tests take {:.1}s themselves",
                limit.as_secs(),
                baseline_took.as_secs_f64()
            ))
        };
    }
    if !run.reported {
        return Fate::Undecided("the test runner wrote no report".into());
    }
    let still: HashSet<String> = passed(run).into_iter().collect();
    if baseline_passing.iter().any(|t| !still.contains(t)) {
        Fate::Killed
    } else {
        Fate::Survived
    }
}

fn survivor(files: &[(String, String)], m: &Mutation) -> Survivor {
    let text = files
        .iter()
        .find(|(rel, _)| *rel == m.file)
        .map_or("", |(_, t)| t.as_str());
    let idx = pact_core::text::LineIndex::new(text);
    let a = idx.line_col(text, m.start);
    let b = idx.line_col(text, m.end);
    Survivor {
        file: m.file.clone(),
        line: a.line,
        column: a.column,
        end_column: if b.line == a.line {
            b.column
        } else {
            a.column + 1
        },
        operator: m.operator.into(),
        original: m.original.clone(),
        mutated: m.replacement.clone(),
        function: m.function.clone(),
    }
}

fn no_score(e: &Engine, mut rec: MutationRecord, why: String) -> Result<MutationRecord> {
    rec.score = None;
    rec.no_score = Some(why);
    finish_mutation(e, rec)
}

fn finish_mutation(e: &Engine, rec: MutationRecord) -> Result<MutationRecord> {
    let path = e
        .project
        .layout
        .integrity_dir(&rec.component_id)
        .join("mutation.json");
    let text =
        serde_json::to_string_pretty(&rec).map_err(|err| EngineError::Invalid(err.to_string()))?;
    e.project.write_text(&path, &text)?;
    e.project.audit(
        "mutation",
        format!("{}: {}", rec.component_id, rec.summary()),
    )?;
    Ok(rec)
}

/// Runs the tests against a fresh copy of `files`, with `m` applied if given.
#[allow(clippy::too_many_arguments)]
async fn run_copy(
    e: &Engine,
    files: &[(String, String)],
    m: Option<&Mutation>,
    deps: &[PathBuf],
    tests: &[PathBuf],
    lang: TestLanguage,
    contracts: &[ComponentContract],
    opts: &HarnessOptions,
) -> std::result::Result<crate::harness::TestRun, HarnessError> {
    let work = crate::scratch::dir("mutant")?;
    let copy = work.path().join("src");
    std::fs::create_dir_all(&copy)?;
    for (rel, text) in files {
        let body = match m {
            Some(m) if m.file == *rel => match (text.get(..m.start), text.get(m.end..)) {
                (Some(head), Some(tail)) => format!("{head}{}{tail}", m.replacement),
                _ => text.clone(),
            },
            _ => text.clone(),
        };
        write_atomic(&copy.join(rel), body.as_bytes())?;
    }
    let mut dirs = vec![copy];
    dirs.extend(deps.iter().skip(1).cloned());
    let job = TestJob::new(lang, tests.to_vec(), dirs).with_contracts(contracts.to_vec());
    e.runner.run(&job, opts, &e.cancel).await
}

/// Why `rec` keeps its component from being done under the mutation gate, if it does: a score
/// below the threshold (naming the survivors), or no score although there were mutants. With
/// nothing to mutate there is nothing the tests could miss.
pub fn gate_finding(rec: &MutationRecord) -> Option<String> {
    match rec.measured() {
        Some(s) if s < rec.threshold => {
            let shown: Vec<String> = rec
                .survivors
                .iter()
                .take(5)
                .map(|s| {
                    let within = if s.function.is_empty() {
                        String::new()
                    } else {
                        format!(" in {}", s.function)
                    };
                    format!(
                        "{}:{} (`{}` → `{}`{within})",
                        s.file, s.line, s.original, s.mutated
                    )
                })
                .collect();
            let more = rec.survivors.len().saturating_sub(shown.len());
            Some(format!(
                "mutation score {:.0}% is below the threshold {:.0}%: surviving mutants at {}{}",
                s * 100.0,
                rec.threshold * 100.0,
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ))
        }
        Some(_) => None,
        None if rec.total == 0 => None,
        None => Some(format!(
            "mutation score unknown: {}",
            rec.no_score
                .as_deref()
                .unwrap_or("no mutant could be measured")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_score_is_not_a_score() {
        let mut rec = MutationRecord {
            total: 5,
            killed: 0,
            score: None,
            threshold: 0.6,
            no_score: Some("the tests do not all pass on the unmutated code (1/3 passed)".into()),
            ..Default::default()
        };
        assert_eq!(rec.measured(), None);
        assert!(!rec.is_weak());
        assert!(
            rec.summary()
                .starts_with("no score (the tests do not all pass")
        );
        assert!(
            gate_finding(&rec)
                .is_some_and(|f| f.starts_with("mutation score unknown: the tests do not all pass"))
        );
        // Records from before baselines said 1.0 for zero mutants: still no score.
        rec = MutationRecord {
            score: Some(1.0),
            threshold: 0.6,
            ..Default::default()
        };
        assert_eq!(rec.measured(), None);
        assert_eq!(gate_finding(&rec), None, "nothing to mutate blocks nothing");
        let v: serde_json::Value = serde_json::to_value(MutationRecord {
            total: 3,
            no_score: Some("x".into()),
            ..Default::default()
        })
        .expect("json");
        assert_eq!(v["score"], serde_json::Value::Null);
    }

    #[test]
    fn a_weak_score_names_its_survivors() {
        let s = |line, original: &str, mutated: &str| Survivor {
            file: "counter.py".into(),
            line,
            column: 10,
            end_column: 11,
            operator: "comparison".into(),
            original: original.into(),
            mutated: mutated.into(),
            function: "top_n".into(),
        };
        let rec = MutationRecord {
            total: 5,
            killed: 1,
            score: Some(0.2),
            threshold: 0.6,
            survivors: vec![
                s(12, "<", "<="),
                s(12, "1", "2"),
                s(13, "a", "b"),
                s(14, "a", "b"),
                s(15, "a", "b"),
                s(16, "a", "b"),
            ],
            ..Default::default()
        };
        let f = gate_finding(&rec).expect("weak");
        assert!(
            f.starts_with("mutation score 20% is below the threshold 60%: surviving mutants at counter.py:12 (`<` → `<=` in top_n), counter.py:12 (`1` → `2` in top_n)"),
            "{f}"
        );
        assert!(f.ends_with(" and 1 more"), "{f}");
    }
}
