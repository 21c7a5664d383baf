use pact_core::model::{DecompositionTree, ImplementationStatus};
use pact_core::store::Project;
use pact_engine::job::status::ComponentStatus;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// The components as the engine's one status query gives them (done only with evidence).
fn rows(project: &Project) -> anyhow::Result<Vec<ComponentStatus>> {
    Ok(pact_engine::job::status::status(project, &Default::default())?.components)
}

fn need_tree(project: &Project) -> anyhow::Result<DecompositionTree> {
    project.load_tree()?.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no decomposition yet; run `pact run` first",
            project.root().display()
        )
    })
}

pub fn components(dir: &Path, as_json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    need_tree(&project)?;
    let rows = rows(&project)?;
    if as_json {
        let v: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({"id": r.id, "name": r.name, "depth": r.depth, "status": r.state.to_string(),
                    "type": if r.leaf { "leaf" } else { "parent" },
                    "tests_passed": r.tests.map(|t| t.0), "tests_total": r.tests.map(|t| t.1), "attempts": r.attempts})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<24} {:<32} {:<13} {:<7} TESTS",
        "ID", "NAME", "STATUS", "TYPE"
    );
    for r in &rows {
        let name = format!("{}{}", "  ".repeat(r.depth), r.name);
        let tests = r
            .tests
            .map(|(p, t)| format!("{p}/{t}"))
            .unwrap_or_else(|| "-".into());
        let attempts = if r.attempts > 0 {
            format!(" ({} attempts)", r.attempts)
        } else {
            String::new()
        };
        println!(
            "{:<24} {:<32} {:<13} {:<7} {tests}{attempts}",
            r.id,
            name,
            r.state.to_string(),
            if r.leaf { "leaf" } else { "parent" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn tree(dir: &Path) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let tree = need_tree(&project)?;
    let mut stack: Vec<(String, String, bool)> = vec![(tree.root_id.clone(), String::new(), true)];
    let mut seen = std::collections::HashSet::new();
    let mut first = true;
    while let Some((id, prefix, last)) = stack.pop() {
        let Some(node) = tree.nodes.get(&id) else {
            println!(
                "{prefix}{}(missing: {id})",
                if first {
                    ""
                } else if last {
                    "└── "
                } else {
                    "├── "
                }
            );
            continue;
        };
        if !seen.insert(id.clone()) {
            println!(
                "{prefix}{}(cycle back to {id})",
                if last { "└── " } else { "├── " }
            );
            continue;
        }
        let tests = project
            .load_test_results(&id)
            .ok()
            .flatten()
            .map(|r| format!("  {}/{} tests passed", r.passed, r.total))
            .unwrap_or_default();
        let branch = if first {
            ""
        } else if last {
            "└── "
        } else {
            "├── "
        };
        println!(
            "{prefix}{branch}{} {} ({id}){tests}",
            node.implementation_status.icon(),
            node.name
        );
        let child_prefix = if first {
            String::new()
        } else {
            format!("{prefix}{}", if last { "    " } else { "│   " })
        };
        first = false;
        let n = node.children.len();
        for (i, c) in node.children.iter().enumerate().rev() {
            stack.push((c.clone(), child_prefix.clone(), i + 1 == n));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn status(dir: &Path, component: Option<&str>) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let config = project.config()?;
    for w in &config.warnings {
        eprintln!("warning: {}: {}", w.path.display(), w.message);
    }
    if let Some(cid) = component {
        return component_status(&project, cid);
    }
    println!("Project: {}", project.root().display());
    let daemon = pact_engine::daemon::status(&project);
    match (daemon.alive, daemon.pid) {
        (true, Some(pid)) => println!("Daemon:  running (pid {pid})"),
        (false, Some(pid)) => println!("Daemon:  not running (stale pid file for pid {pid})"),
        _ => {}
    }
    match project.load_state()? {
        Some(s) => {
            println!("Run:     {} — phase {}, status {}", s.id, s.phase, s.status);
            if !s.pause_reason.is_empty() {
                println!("Paused:  {}", s.pause_reason);
            }
            println!(
                "Spend:   ${:.2} of ${:.2} budget ({} tokens)",
                s.total_cost_usd,
                config.budget(),
                s.total_tokens
            );
        }
        None => println!("Run:     not started (budget ${:.2})", config.budget()),
    }
    let ledger = pact_agents::BudgetLedger::load(&project.layout.budget())?;
    if ledger.total.calls > 0 {
        println!(
            "\nSpend (budget.json): ${:.4} in {} calls",
            ledger.spent(),
            ledger.total.calls
        );
        for (title, lines) in [
            ("by role", &ledger.by_role),
            ("by phase", &ledger.by_phase),
            ("by component", &ledger.by_component),
        ] {
            let parts: Vec<String> = lines
                .iter()
                .map(|(k, l)| format!("{k} ${:.4}", l.cost_usd))
                .collect();
            if !parts.is_empty() {
                println!("  {title}: {}", parts.join(", "));
            }
        }
    }
    if project.load_tree()?.is_some() {
        println!("\nComponents:");
        for r in rows(&project)? {
            let tests = r
                .tests
                .map(|(p, t)| format!("  {p}/{t} tests"))
                .unwrap_or_default();
            println!("  {}{} [{}]{tests}", "  ".repeat(r.depth), r.id, r.state);
        }
    }
    let (entries, _) = project.read_audit()?;
    if !entries.is_empty() {
        println!("\nRecent activity:");
        for e in entries.iter().rev().take(5).rev() {
            println!(
                "  {}  {:<14} {}",
                e.timestamp.chars().take(19).collect::<String>(),
                e.action,
                e.detail
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn component_status(project: &Project, cid: &str) -> anyhow::Result<ExitCode> {
    let contract = project.load_contract(cid)?;
    let suite = project.load_suite(cid)?;
    let tree = project.load_tree()?;
    let node = tree.as_ref().and_then(|t| t.nodes.get(cid));
    if contract.is_none() && node.is_none() {
        anyhow::bail!("no component '{cid}' in {}", project.root().display());
    }
    println!("Component: {cid}");
    if let Some(n) = node {
        println!(
            "Name:      {}\nStatus:    {}\n{}",
            n.name,
            n.implementation_status.as_str(),
            n.description
        );
    }
    if let Some(c) = &contract {
        println!("\nContract v{}: {}", c.version, c.description);
        for f in &c.functions {
            println!("  fn {}", f.signature());
        }
        for t in &c.types {
            println!("  type {} ({})", t.name, t.kind.as_str());
        }
        if !c.dependencies.is_empty() {
            println!("  depends on: {}", c.dependencies.join(", "));
        }
        for i in &c.invariants {
            println!("  invariant: {i}");
        }
    }
    if let Some(s) = &suite {
        println!(
            "\nTests: {} cases ({})",
            s.test_cases.len(),
            s.test_language
        );
    }
    if let Some(r) = project.load_test_results(cid)? {
        println!(
            "Last run: {}/{} passed, {} failed, {} errors",
            r.passed, r.total, r.failed, r.errors
        );
        for f in &r.failure_details {
            println!(
                "  ✗ {}: {}",
                f.test_id,
                f.error_message.lines().next().unwrap_or("")
            );
        }
    }
    // The mutation gate's verdict on the implementation (part of "done" when it is on).
    let verdict = project
        .load_build_record(cid)
        .ok()
        .flatten()
        .and_then(|m| m.mutation);
    if let Some(v) = verdict {
        let measured = match v.score {
            _ if !v.skipped.is_empty() => format!("not measured ({})", v.skipped),
            Some(s) => format!(
                "{:.0}% of the mutants killed ({}/{} tried, threshold {:.0}%)",
                s * 100.0,
                v.killed,
                v.total,
                v.threshold * 100.0
            ),
            None if v.total == 0 => "nothing to mutate".to_string(),
            None => "no score".to_string(),
        };
        let revised = if v.revisions > 0 {
            format!(", after {} test revision(s)", v.revisions)
        } else {
            String::new()
        };
        println!("Mutation: {measured}{revised}");
        if !v.finding.is_empty() {
            println!("Not done: {}", v.finding);
        }
    }
    let status = node
        .map(|n| n.implementation_status)
        .unwrap_or(ImplementationStatus::Pending);
    let _ = status;
    Ok(ExitCode::SUCCESS)
}
