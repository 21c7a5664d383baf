//! `pact mutate` and `pact certify`: how strong the tests are, and evidence for "done".

use super::run::RunOpts;
use std::path::Path;
use std::process::ExitCode;

pub fn mutate(
    dir: &Path,
    component: Option<&str>,
    max: Option<usize>,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let config = project.config()?;
    let ids: Vec<String> = match component {
        Some(c) => vec![c.to_string()],
        None => {
            let tree = project
                .load_tree()?
                .ok_or_else(|| anyhow::anyhow!("no decomposition yet; run `pact run` first"))?;
            tree.topological_order()
                .into_iter()
                .filter(|c| {
                    project
                        .load_test_results(c)
                        .ok()
                        .flatten()
                        .is_some_and(|r| r.all_passed())
                })
                .map(str::to_string)
                .collect()
        }
    };
    let _job = pact_engine::joblock::acquire(&project, "pact mutate")?;
    let engine = super::run::quiet_engine(&project, &RunOpts::default())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // Ctrl-C or SIGTERM stops the mutants' test runs; their sandboxes and temp dirs go too.
    {
        let _entered = rt.enter();
        super::cancel_on_signals(engine.cancel.clone());
    }
    let threshold = config.mutation_threshold();
    let max = max.unwrap_or(config.max_mutants());
    let mut records = Vec::new();
    for cid in &ids {
        let rec = rt.block_on(pact_engine::integrity::mutate(&engine, cid, max, threshold))?;
        if !as_json {
            let flag = if rec.is_weak() { "  WEAK" } else { "" };
            println!("{cid}: {}{flag}", rec.summary());
            for s in &rec.survivors {
                let f = if s.function.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", s.function)
                };
                println!(
                    "  survived: {}:{}:{}  `{}` → `{}` ({}){f}",
                    s.file, s.line, s.column, s.original, s.mutated, s.operator
                );
            }
        }
        records.push(rec);
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&records)?);
    }
    // Exit 0 only when every suite measured at or above the threshold (or had nothing to
    // mutate): no score is not a pass.
    let weak = records
        .iter()
        .any(|r| r.is_weak() || (r.measured().is_none() && r.total > 0));
    Ok(if weak {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn certify(dir: &Path, verify: bool, as_json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    if verify {
        let stale = pact_engine::integrity::verify_certification(&project)?;
        if as_json {
            let v: Vec<_> = stale
                .iter()
                .map(|(c, w)| serde_json::json!({"component": c, "stale": w}))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"valid": stale.is_empty(), "stale": v})
                )?
            );
        } else if stale.is_empty() {
            println!("Certification holds: every certified component is unchanged.");
        } else {
            for (c, why) in &stale {
                println!("STALE {c}: {why}");
            }
        }
        return Ok(if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let (cert, refused) = pact_engine::integrity::certify(&project)?;
    if as_json {
        let r: Vec<_> = refused
            .iter()
            .map(|(c, w)| serde_json::json!({"component": c, "reason": w}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"certification": cert, "refused": r})
            )?
        );
    } else {
        for (cid, c) in &cert.components {
            let hidden = c
                .hidden
                .map(|h| format!(", held-out {}/{}", h.passed, h.total))
                .unwrap_or_default();
            let mutation = c
                .mutation_score
                .map(|m| format!(", mutation {:.0}%", m * 100.0))
                .unwrap_or_default();
            let how = match (c.sandboxed, c.boundary.as_deref()) {
                (Some(false), b) => format!(
                    ", UNSANDBOXED{}",
                    b.map(|b| format!(", {b}")).unwrap_or_default()
                ),
                (Some(true), Some(b)) => format!(", sandboxed, {b}"),
                _ => String::new(),
            };
            println!(
                "CERTIFIED {cid}: {}/{} tests{hidden}{mutation}{how}",
                c.visible.passed, c.visible.total
            );
        }
        for (cid, why) in &refused {
            println!("NOT CERTIFIED {cid}: {why}");
        }
        println!("Wrote {}", project.layout.certification().display());
    }
    Ok(if refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
