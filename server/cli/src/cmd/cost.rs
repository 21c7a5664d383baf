//! `pact cost`: the estimate of what the work left will cost (`pact_engine::cost`), phase by
//! phase at the configured models' prices, with the spend so far and the budget.

use pact_engine::artifacts;
use pact_engine::cost::{self, CostEstimate, TokenSource};
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let plan = artifacts::load(&project)?;
    let e = cost::estimate(&project, &plan)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        print!("{}", render(&e, &dir.display().to_string()));
    }
    Ok(ExitCode::SUCCESS)
}

fn usd(v: f64) -> String {
    format!("${v:.2}")
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn render(e: &CostEstimate, dir: &str) -> String {
    let with_work = e
        .per_component
        .iter()
        .filter(|c| !c.needs.is_empty())
        .count();
    let mut out = format!(
        "Cost estimate for {dir}: {} components, {with_work} with work left\n\n",
        e.components
    );
    let model = |p: &cost::PhaseCost| {
        let guess = if p.price_guessed {
            ", price guessed"
        } else {
            ""
        };
        format!("{} ({}{guess})", p.model, p.backend)
    };
    let w = e
        .phases
        .iter()
        .map(|p| model(p).chars().count())
        .max()
        .unwrap_or(0)
        .max("MODEL (BACKEND)".len());
    out.push_str(&format!(
        "{:<10} {:<16} {:<w$} {:>13} {:>6} {:>9} {:>11}\n",
        "PHASE", "ROLE", "MODEL (BACKEND)", "$/M IN/OUT", "CALLS", "ESTIMATE", "WORST CASE"
    ));
    for p in &e.phases {
        out.push_str(&format!(
            "{:<10} {:<16} {:<w$} {:>13} {:>6} {:>9} {:>11}\n",
            p.phase.as_str(),
            p.role,
            model(p),
            format!("{:.2}/{:.2}", p.price_in, p.price_out),
            p.calls,
            usd(p.estimate_usd),
            usd(p.worst_case_usd),
        ));
    }
    out.push_str(&format!(
        "{:<10} {:<16} {:<w$} {:>13} {:>6} {:>9} {:>11}\n\n",
        "total",
        "",
        "",
        "",
        e.phases.iter().map(|p| p.calls).sum::<u64>(),
        usd(e.estimate_usd),
        usd(e.worst_case_usd),
    ));
    let pending: Vec<String> = e
        .phases
        .iter()
        .filter(|p| !p.pending.is_empty())
        .map(|p| format!("{}: {}", p.phase, p.pending.join(", ")))
        .collect();
    if pending.is_empty() {
        out.push_str(
            "No work left: every component is built from its current contract and tests.\n",
        );
    } else {
        out.push_str(&format!("Work left: {}.\n", pending.join("; ")));
    }
    out.push_str(&format!(
        "Spent so far: {} of the {} budget ({} left).\n",
        usd(e.spent_usd),
        usd(e.budget_usd),
        usd(e.budget_left_usd)
    ));
    if !e.spent_by_phase.is_empty() {
        let by: Vec<String> = e
            .spent_by_phase
            .iter()
            .map(|(k, v)| format!("{k} {}", usd(*v)))
            .collect();
        out.push_str(&format!("  by phase: {}\n", by.join(", ")));
    }
    if e.replayed {
        out.push_str("Answers come from a recorded session: replaying it spends nothing.\n");
    } else if e.fits {
        out.push_str("The estimate fits in what the budget has left.\n");
    } else {
        out.push_str(&format!(
            "The estimate is {} more than the budget has left: raise `budget` in pact.yaml.\n",
            usd(e.estimate_usd - e.budget_left_usd)
        ));
    }
    let per_call: Vec<String> = e
        .phases
        .iter()
        .map(|p| {
            let from = match p.tokens_from {
                TokenSource::Default => "",
                TokenSource::Project => " (this project's average)",
            };
            format!(
                "{} {} in / {} out{from}",
                p.phase,
                thousands(p.input_tokens),
                thousands(p.output_tokens)
            )
        })
        .collect();
    out.push_str(&format!(
        "Tokens per call: {}. The estimate counts one answer per call; the worst case every retry and revision pact.yaml allows.\n",
        per_call.join(", ")
    ));
    out
}
