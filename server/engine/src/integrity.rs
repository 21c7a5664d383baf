//! The mechanisms that keep agents from weakening, dodging or gaming the tests: red-first
//! (tests must fail against a stub), mutation testing of accepted implementations, and
//! evidence-gated certification. The diff audit of every implementation attempt is
//! [`crate::audit`] (re-exported here as [`diff_audit`]).

use crate::engine::{Engine, EngineError, Result};
use crate::harness::TestJob;
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
            last_lines(&run.stdout, &run.stderr)
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

fn last_lines(stdout: &str, stderr: &str) -> String {
    let both = format!("{stdout}\n{stderr}");
    let lines: Vec<&str> = both.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
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

fn node_text<'t>(n: Node, text: &'t str) -> &'t str {
    text.get(n.start_byte()..n.end_byte()).unwrap_or("")
}

fn walk(n: Node, f: &mut impl FnMut(Node)) {
    f(n);
    let mut c = n.walk();
    for child in n.children(&mut c) {
        walk(child, f);
    }
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

/// Mutations of a Python file: arithmetic and comparison operators, boolean operators,
/// constants, negated conditions and replaced return values.
pub fn python_mutations(file: &str, text: &str) -> Vec<Mutation> {
    let Some(tree) = pact_core::testcode::parse(TestLanguage::Python, text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut fns: Vec<(usize, usize, String)> = Vec::new();
    walk(tree.root_node(), &mut |n| {
        if n.kind() == "function_definition" {
            let name = n
                .child_by_field_name("name")
                .map(|x| node_text(x, text).to_string())
                .unwrap_or_default();
            fns.push((n.start_byte(), n.end_byte(), name));
        }
    });
    let function_at = |at: usize| {
        fns.iter()
            .filter(|(s, e, _)| *s <= at && at < *e)
            .min_by_key(|(s, e, _)| e - s)
            .map(|f| f.2.clone())
            .unwrap_or_default()
    };
    let mut push = |n: Node, replacement: String, operator: &'static str| {
        out.push(Mutation {
            file: file.to_string(),
            start: n.start_byte(),
            end: n.end_byte(),
            original: node_text(n, text).to_string(),
            replacement,
            operator,
            function: function_at(n.start_byte()),
        });
    };
    walk(tree.root_node(), &mut |n| match n.kind() {
        "binary_operator" | "comparison_operator" | "boolean_operator" => {
            let mut c = n.walk();
            for child in n.children(&mut c) {
                let swapped = match node_text(child, text) {
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
                let op = if n.kind() == "boolean_operator" {
                    "boolean operator"
                } else if n.kind() == "comparison_operator" {
                    "comparison"
                } else {
                    "arithmetic"
                };
                push(child, swapped.to_string(), op);
            }
        }
        "integer" => {
            let v = node_text(n, text);
            let repl = match v.parse::<i64>() {
                Ok(0) => "1".to_string(),
                Ok(x) => x
                    .checked_add(1)
                    .map_or_else(|| "0".to_string(), |v| v.to_string()),
                Err(_) => return,
            };
            push(n, repl, "constant");
        }
        "true" => push(n, "False".into(), "constant"),
        "false" => push(n, "True".into(), "constant"),
        "if_statement" | "while_statement" | "elif_clause" => {
            if let Some(cond) = n.child_by_field_name("condition") {
                push(
                    cond,
                    format!("not ({})", node_text(cond, text)),
                    "negated condition",
                );
            }
        }
        "return_statement" => {
            let mut c = n.walk();
            if let Some(value) = n.named_children(&mut c).next()
                && node_text(value, text) != "None"
            {
                push(value, "None".into(), "return value");
            }
        }
        _ => {}
    });
    out
}

/// Picks at most `max` mutations spread evenly over the list (deterministic).
fn sample(mut all: Vec<Mutation>, max: usize) -> Vec<Mutation> {
    if all.len() <= max || max == 0 {
        return all;
    }
    let step = all.len() as f64 / max as f64;
    let picked: Vec<usize> = (0..max).map(|i| (i as f64 * step) as usize).collect();
    let mut i = 0;
    all.retain(|_| {
        let keep = picked.contains(&i);
        i += 1;
        keep
    });
    all
}

/// `pact mutate`: mutates the accepted implementation of `cid`, runs its locked tests against
/// each mutant, and records the score and the survivors.
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
    let mut all = Vec::new();
    for (rel, text) in source_files(&src) {
        if rel.ends_with(".py") {
            all.extend(python_mutations(&rel, &text));
        }
    }
    let mutants = sample(all, max_mutants);
    let deps = crate::build::src_dirs(e, cid, &src)?;
    let contracts = crate::build::boundary_contracts(e, cid)?;
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(2));
    let mut set = tokio::task::JoinSet::new();
    for m in mutants.clone() {
        let e2 = e.clone();
        let tests = tests.clone();
        let deps = deps.clone();
        let src = src.clone();
        let sem = sem.clone();
        let contracts = contracts.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let killed = run_mutant(&e2, &src, &deps, &tests, &m, lang, &contracts).await;
            (m, killed)
        });
    }
    let mut killed = 0u64;
    let mut survivors = Vec::new();
    while let Some(j) = set.join_next().await {
        let (m, k) = j.map_err(|err| EngineError::Invalid(err.to_string()))?;
        if k? {
            killed += 1;
        } else {
            let text = std::fs::read_to_string(src.join(&m.file)).unwrap_or_default();
            let idx = pact_core::text::LineIndex::new(&text);
            let a = idx.line_col(&text, m.start);
            let b = idx.line_col(&text, m.end);
            survivors.push(Survivor {
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
            });
        }
    }
    survivors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    let total = mutants.len() as u64;
    let rec = MutationRecord {
        component_id: cid.into(),
        src_hash: hash_dir(&src),
        test_hash: lock.test_hash(),
        total,
        killed,
        score: if total == 0 {
            1.0
        } else {
            killed as f64 / total as f64
        },
        threshold,
        survivors,
        ran_at: pact_core::store::now_iso(),
    };
    let path = e.project.layout.integrity_dir(cid).join("mutation.json");
    let text =
        serde_json::to_string_pretty(&rec).map_err(|err| EngineError::Invalid(err.to_string()))?;
    e.project.write_text(&path, &text)?;
    e.project.audit(
        "mutation",
        format!(
            "{cid}: {killed}/{total} mutants killed ({:.0}%)",
            rec.score * 100.0
        ),
    )?;
    Ok(rec)
}

/// A mutant is killed when the tests do not all pass against it.
async fn run_mutant(
    e: &Engine,
    src: &Path,
    deps: &[PathBuf],
    tests: &[PathBuf],
    m: &Mutation,
    lang: TestLanguage,
    contracts: &[ComponentContract],
) -> Result<bool> {
    let work = tempfile::Builder::new()
        .prefix("pact-mutant-")
        .tempdir()
        .map_err(|err| EngineError::Invalid(err.to_string()))?;
    let copy = work.path().join("src");
    for (rel, text) in source_files(src) {
        let body = match (rel == m.file, text.get(..m.start), text.get(m.end..)) {
            (true, Some(head), Some(tail)) => format!("{head}{}{tail}", m.replacement),
            // The file changed since the mutants were computed: skip rather than mangle it.
            (true, ..) => return Ok(true),
            (false, ..) => text,
        };
        write_atomic(&copy.join(&rel), body.as_bytes())
            .map_err(|err| EngineError::Invalid(err.to_string()))?;
    }
    let mut dirs = vec![copy];
    dirs.extend(deps.iter().skip(1).cloned());
    let job = TestJob::new(lang, tests.to_vec(), dirs).with_contracts(contracts.to_vec());
    let mut opts = e.harness_for(lang).await?;
    // A mutant that loops forever is killed by the timeout, which counts as detection.
    opts.timeout = opts.timeout.min(std::time::Duration::from_secs(20));
    let run = e.runner.run(&job, &opts, &e.cancel).await?;
    Ok(!run.results.all_passed())
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
    let mut refused = Vec::new();
    for cid in tree.topological_order() {
        match certify_one(project, cid) {
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

fn certify_one(project: &Project, cid: &str) -> std::result::Result<CertifiedComponent, String> {
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
    let meta: crate::build::ImplMetadata = project
        .read_text(&project.layout.implementation_dir(cid).join("metadata.json"))
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str(&t).ok())
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
    let mutation = project
        .read_text(&project.layout.integrity_dir(cid).join("mutation.json"))
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str::<MutationRecord>(&t).ok())
        .filter(|m| m.src_hash == src_hash && m.test_hash == lock.test_hash())
        .map(|m| m.score);
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
