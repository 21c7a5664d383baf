//! The mechanisms that keep agents from weakening, dodging or gaming the tests: red-first
//! (tests must fail against a stub), mutation testing of accepted implementations, and
//! evidence-gated certification. The diff audit of every implementation attempt is
//! [`crate::audit`] (re-exported here as [`diff_audit`]).

use crate::engine::{Engine, EngineError, Result};
use crate::harness::{HarnessError, HarnessOptions, TestJob};
use crate::lock;
use crate::stubs;
use pact_core::digest::{hash_dir, sha256_hex};
use pact_core::model::{
    Certification, CertifiedComponent, ComponentContract, MutationRecord, PassCount,
    RedFirstRecord, Survivor, TestLanguage,
};
use pact_core::store::Project;
use pact_core::store::fsio::write_atomic;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tree_sitter::Node;

// ── red first ─────────────────────────────────────────────────────────────────────────────

/// Runs `tests` against the interface stubs of the component and its dependencies (functions
/// that only raise) and, across the contract boundary, against two type-correct dummies. Every
/// test that passes against the stub, or against both dummies, is vacuous. Returns their ids.
pub async fn passing_on_stub(
    e: &Engine,
    contract: &ComponentContract,
    lang: TestLanguage,
    tests: &[PathBuf],
) -> Result<(Vec<String>, u64)> {
    let work = tempfile::Builder::new()
        .prefix("pact-stub-")
        .tempdir()
        .map_err(|err| EngineError::Invalid(err.to_string()))?;
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

/// The ids of the tests that passed in `run`.
fn passed(run: &crate::harness::TestRun) -> Vec<String> {
    let failed: HashSet<&str> = run
        .results
        .failure_details
        .iter()
        .map(|f| f.test_id.as_str())
        .collect();
    run.cases
        .iter()
        .filter(|c| !failed.contains(c.as_str()))
        .cloned()
        .collect()
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

// ── diff audit ────────────────────────────────────────────────────────────────────────────

/// The diff audit of implementation attempts lives in [`crate::audit`].
pub use crate::audit::diff_audit;

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

// ── mutation testing ──────────────────────────────────────────────────────────────────────

/// One candidate change to a source file.
#[derive(Debug, Clone)]
pub struct Mutation {
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub replacement: String,
    pub operator: &'static str,
    pub original: String,
    pub function: String,
}

fn span_text<'t>(n: Node, text: &'t str) -> &'t str {
    text.get(n.start_byte()..n.end_byte()).unwrap_or("")
}

/// The nodes under `root` worth mutating, in document order, found without recursion (a file of
/// 100,000 nested parentheses must not overflow the stack). Decorators are left out:
/// `@dataclass(frozen=True)` and the like configure definitions that the contract boundary
/// rebuilds on the tests' side (values cross it as plain data), so their mutants are
/// equivalent or nearly so, and would only dilute the score.
fn mutable_nodes(root: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    loop {
        let n = cursor.node();
        let descend = n.kind() != "decorator";
        if descend {
            out.push(n);
            if cursor.goto_first_child() {
                continue;
            }
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// Mutations of a Python file: arithmetic and comparison operators, boolean operators,
/// constants, negated conditions and replaced return values.
pub fn python_mutations(file: &str, text: &str) -> Vec<Mutation> {
    let Some(tree) = pact_core::testcode::parse(TestLanguage::Python, text) else {
        return Vec::new();
    };
    let nodes = mutable_nodes(tree.root_node());
    let fns: Vec<(usize, usize, String)> = nodes
        .iter()
        .filter(|n| n.kind() == "function_definition")
        .map(|n| {
            let name = n
                .child_by_field_name("name")
                .map(|x| span_text(x, text).to_string())
                .unwrap_or_default();
            (n.start_byte(), n.end_byte(), name)
        })
        .collect();
    let function_at = |at: usize| {
        fns.iter()
            .filter(|(s, e, _)| *s <= at && at < *e)
            .min_by_key(|(s, e, _)| e - s)
            .map(|f| f.2.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut push = |n: Node, replacement: String, operator: &'static str| {
        out.push(Mutation {
            file: file.to_string(),
            start: n.start_byte(),
            end: n.end_byte(),
            original: span_text(n, text).to_string(),
            replacement,
            operator,
            function: function_at(n.start_byte()),
        });
    };
    for &n in &nodes {
        match n.kind() {
            "binary_operator" | "comparison_operator" | "boolean_operator" => {
                let op = match n.kind() {
                    "boolean_operator" => "boolean operator",
                    "comparison_operator" => "comparison",
                    _ => "arithmetic",
                };
                let mut c = n.walk();
                for child in n.children(&mut c) {
                    let swapped = match span_text(child, text) {
                        "+" => "-",
                        "-" => "+",
                        "*" => "//",
                        "<" => "<=",
                        "<=" => "<",
                        ">" => ">=",
                        ">=" => ">",
                        "==" => "!=",
                        "!=" => "==",
                        "and" => "or",
                        "or" => "and",
                        _ => continue,
                    };
                    push(child, swapped.to_string(), op);
                }
            }
            "integer" => {
                let repl = match span_text(n, text).parse::<i64>() {
                    Ok(0) => "1".to_string(),
                    Ok(x) => x
                        .checked_add(1)
                        .map_or_else(|| "0".to_string(), |v| v.to_string()),
                    Err(_) => continue,
                };
                push(n, repl, "constant");
            }
            "true" => push(n, "False".into(), "constant"),
            "false" => push(n, "True".into(), "constant"),
            "if_statement" | "while_statement" | "elif_clause" => {
                if let Some(cond) = n.child_by_field_name("condition") {
                    push(
                        cond,
                        format!("not ({})", span_text(cond, text)),
                        "negated condition",
                    );
                }
            }
            "return_statement" => {
                let mut c = n.walk();
                if let Some(value) = n.named_children(&mut c).next()
                    && span_text(value, text) != "None"
                {
                    push(value, "None".into(), "return value");
                }
            }
            _ => {}
        }
    }
    out
}

/// Picks at most `max` mutations spread evenly over the list (deterministic).
fn sample(mut all: Vec<Mutation>, max: usize) -> Vec<Mutation> {
    if all.len() <= max || max == 0 {
        return all;
    }
    let step = all.len() as f64 / max as f64;
    let picked: HashSet<usize> = (0..max).map(|i| (i as f64 * step) as usize).collect();
    let mut i = 0;
    all.retain(|_| {
        let keep = picked.contains(&i);
        i += 1;
        keep
    });
    all
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
    let mut all = Vec::new();
    for (rel, text) in files.iter() {
        if rel.ends_with(".py") {
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
    let work = tempfile::Builder::new().prefix("pact-mutant-").tempdir()?;
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

// ── certification ─────────────────────────────────────────────────────────────────────────

/// `pact certify`: records, for every component whose locked tests (visible and held out) all
/// passed, the hashes of its contract, tests and implementation with the counts. Returns the
/// certification and the components that could not be certified, with why.
pub fn certify(project: &Project) -> Result<(Certification, Vec<(String, String)>)> {
    let tree = project
        .load_tree()?
        .ok_or_else(|| EngineError::Invalid("no decomposition tree".into()))?;
    let mut cert = Certification {
        version: 1,
        certified_at: pact_core::store::now_iso(),
        components: Default::default(),
    };
    // With the mutation gate on, a Python component is done only with a strong enough suite.
    let config = project.config()?;
    let gate = (config.mutation_gate()
        && crate::runtime::language(&config) == TestLanguage::Python)
        .then(|| config.mutation_threshold());
    let mut refused = Vec::new();
    for cid in tree.topological_order() {
        match certify_one(project, cid, gate) {
            Ok(c) => {
                cert.components.insert(cid.to_string(), c);
            }
            Err(why) => refused.push((cid.to_string(), why)),
        }
    }
    let text =
        serde_json::to_string_pretty(&cert).map_err(|err| EngineError::Invalid(err.to_string()))?;
    project.write_text(&project.layout.certification(), &text)?;
    project.audit(
        "certify",
        format!(
            "{} certified, {} refused",
            cert.components.len(),
            refused.len()
        ),
    )?;
    Ok((cert, refused))
}

fn certify_one(
    project: &Project,
    cid: &str,
    gate: Option<f64>,
) -> std::result::Result<CertifiedComponent, String> {
    let contract_text = project
        .read_text(&project.layout.contract(cid))
        .ok()
        .flatten()
        .ok_or("no contract")?;
    let (lock, _) = lock::verified_tests(project, cid).map_err(|e| e.to_string())?;
    lock::verified_hidden(project, cid).map_err(|e| e.to_string())?;
    let results = project
        .load_test_results(cid)
        .ok()
        .flatten()
        .ok_or("its tests never ran")?;
    if !results.all_passed() {
        return Err(format!(
            "its last test run passed {}/{}",
            results.passed, results.total
        ));
    }
    let meta = project
        .load_build_record(cid)
        .ok()
        .flatten()
        .ok_or("no build record (metadata.json)")?;
    let src_hash = hash_dir(&project.layout.implementation_src(cid));
    if meta.src_hash != src_hash || meta.test_hash != lock.test_hash() {
        return Err("the implementation or its tests changed since the last test run".into());
    }
    let hidden = meta.hidden.filter(|_| !lock.hidden.is_empty());
    if !lock.hidden.is_empty() && (hidden.is_none() || meta.hidden_hash != lock.hidden_hash()) {
        return Err("its held-out tests did not run against this implementation".into());
    }
    if let Some(h) = &hidden
        && (h.passed != h.total || h.total == 0)
    {
        return Err(format!(
            "its held-out tests passed {}/{}",
            h.passed, h.total
        ));
    }
    if let Some(threshold) = gate {
        match &meta.mutation {
            None => {
                return Err("its suite's mutation score was never measured for this implementation (mutation_gate is on; `pact run` or `pact build` measures it)".into());
            }
            Some(v) => {
                if let Some(why) = v.blocks(threshold) {
                    return Err(why);
                }
            }
        }
    }
    let mutation = meta.mutation.as_ref().and_then(|v| v.score).or_else(|| {
        project
            .read_text(&project.layout.integrity_dir(cid).join("mutation.json"))
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_str::<MutationRecord>(&t).ok())
            .filter(|m| m.src_hash == src_hash && m.test_hash == lock.test_hash())
            .and_then(|m| m.measured())
    });
    Ok(CertifiedComponent {
        contract_hash: sha256_hex(contract_text.as_bytes()),
        test_hash: lock.test_hash(),
        hidden_test_hash: lock.hidden_hash(),
        src_hash,
        visible: PassCount {
            passed: results.passed,
            total: results.total,
        },
        hidden,
        mutation_score: mutation,
        sandboxed: Some(meta.isolation == "sandboxed"),
        boundary: Some(if meta.boundary { "proxy" } else { "in-process" }.into()),
    })
}

/// `pact certify --verify`: which certified components are stale, and why.
pub fn verify_certification(project: &Project) -> Result<Vec<(String, String)>> {
    let text = project
        .read_text(&project.layout.certification())?
        .ok_or_else(|| EngineError::Invalid("no certification yet; run `pact certify`".into()))?;
    let cert: Certification = serde_json::from_str(&text)
        .map_err(|err| EngineError::Invalid(format!("certification.json: {err}")))?;
    let mut stale = Vec::new();
    for (cid, c) in &cert.components {
        let contract = project.read_text(&project.layout.contract(cid))?;
        let lock = lock::verified_tests(project, cid).ok().map(|(l, _)| l);
        let mut why: Vec<String> = c
            .changes(
                contract.as_deref(),
                lock.as_ref(),
                &hash_dir(&project.layout.implementation_src(cid)),
            )
            .iter()
            .map(|w| format!("{w} changed"))
            .collect();
        if lock.is_none() {
            why.retain(|w| w != "tests changed");
            why.push("locked tests missing or tampered".into());
        }
        if !why.is_empty() {
            stale.push((cid.clone(), why.join(", ")));
        }
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_mutations_cover_the_operators() {
        let code =
            "def f(a, b):\n    if a < b and b > 0:\n        return a + 1\n    return False\n";
        let ms = python_mutations("x.py", code);
        let ops: HashSet<&str> = ms.iter().map(|m| m.operator).collect();
        for want in [
            "comparison",
            "boolean operator",
            "arithmetic",
            "constant",
            "negated condition",
            "return value",
        ] {
            assert!(ops.contains(want), "{want} missing: {ms:?}");
        }
        assert!(ms.iter().all(|m| m.function == "f"));
        for m in &ms {
            let mutated = format!("{}{}{}", &code[..m.start], m.replacement, &code[m.end..]);
            assert!(
                pact_core::testcode::analyze(TestLanguage::Python, &mutated).parses(),
                "{mutated}"
            );
        }
    }

    #[test]
    fn decorators_are_not_mutated() {
        let code = "from dataclasses import dataclass\n\n@dataclass(frozen=True)\nclass T:\n    n: int = 0\n\ndef f(a):\n    return a > 1\n";
        let ms = python_mutations("t.py", code);
        assert!(ms.iter().all(|m| m.original != "True"), "{ms:?}");
        // `0` of the field default, `>` and `1` in f, f's return value.
        assert_eq!(ms.len(), 4, "{ms:?}");
    }

    #[test]
    fn deeply_nested_sources_do_not_overflow_the_stack() {
        // 100,000 nested parentheses, walked on a thread with a small stack: no recursion.
        let n = 100_000;
        let code = format!("x = {}1 + 2{}\n", "(".repeat(n), ")".repeat(n));
        let ms = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || python_mutations("deep.py", &code).len())
            .expect("spawn")
            .join()
            .expect("no stack overflow");
        assert_eq!(ms, 3, "`+`, `1` and `2`");
    }

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

    #[test]
    fn sampling_is_even_and_bounded() {
        let ms: Vec<Mutation> = (0..100)
            .map(|i| Mutation {
                file: String::new(),
                start: i,
                end: i,
                replacement: String::new(),
                operator: "x",
                original: String::new(),
                function: String::new(),
            })
            .collect();
        let s = sample(ms, 10);
        assert_eq!(s.len(), 10);
        assert_eq!(s[1].start, 10);
    }
}
