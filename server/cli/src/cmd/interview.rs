//! `pact interview`, `pact answer`, `pact approve`: the questions before any design.

use super::run::RunOpts;
use pact_core::model::InterviewResult;
use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

fn show(i: &InterviewResult) {
    for (title, items) in [
        ("Risks", &i.risks),
        ("Ambiguities", &i.ambiguities),
        ("Assumptions", &i.assumptions),
    ] {
        if !items.is_empty() {
            println!("{title}:");
            for x in items {
                println!("  - {x}");
            }
        }
    }
    if let Some(ac) = i.acceptance_criteria.as_ref().filter(|a| !a.is_empty()) {
        println!("Acceptance criteria:");
        for x in ac {
            println!("  - {x}");
        }
    }
    if i.questions.is_empty() {
        println!("No questions: the task is clear enough to decompose.");
    }
    for (n, q) in i.questions.iter().enumerate() {
        let a = i
            .user_answers
            .get(q)
            .map(|a| format!("  → {a}"))
            .unwrap_or_default();
        println!("Q{}: {q}{a}", n + 1);
    }
}

pub fn interview(dir: &Path, opts: &RunOpts) -> anyhow::Result<ExitCode> {
    let project = super::open(dir)?;
    let at_interview = project
        .load_state()?
        .is_none_or(|s| s.phase == pact_core::model::Phase::Interview);
    if project.load_interview()?.is_none() && at_interview {
        // Run just the interview phase (never a later one).
        super::run::run(
            dir,
            opts,
            super::run::RunFlags {
                once: true,
                force_new: false,
                plan_only: false,
                implement: false,
            },
        )?;
    }
    let Some(i) = project.load_interview()? else {
        anyhow::bail!("the interview did not produce decomposition/interview.json");
    };
    show(&i);
    if !i.approved {
        println!(
            "\nAnswer with `pact answer {}` or accept the assumptions with `pact approve {}`.",
            dir.display(),
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn load(dir: &Path) -> anyhow::Result<(pact_core::store::Project, InterviewResult)> {
    let project = super::open(dir)?;
    let i = project.load_interview()?.ok_or_else(|| {
        anyhow::anyhow!(
            "no interview yet in {}; run `pact interview {}` first",
            dir.display(),
            dir.display()
        )
    })?;
    Ok((project, i))
}

pub fn answer(dir: &Path, file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (project, mut i) = load(dir)?;
    match file {
        Some(f) => {
            let text =
                std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            let map = parse_answers(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            for (k, v) in map {
                let q = k
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| i.questions.get(n.wrapping_sub(1)).cloned())
                    .or_else(|| i.questions.iter().find(|q| **q == k).cloned())
                    .ok_or_else(|| {
                        anyhow::anyhow!("{}: no question {k:?} in the interview", f.display())
                    })?;
                i.user_answers.insert(q, v);
            }
        }
        None => {
            let stdin = std::io::stdin();
            let mut lines = stdin.lock().lines();
            for (n, q) in i.questions.clone().iter().enumerate() {
                let default = i
                    .assumptions
                    .get(n)
                    .cloned()
                    .unwrap_or_else(|| "No default".into());
                print!("Q{}: {q}\n  [Default: {default}]\n  A: ", n + 1);
                crate::out::flush();
                let line = lines.next().transpose()?.unwrap_or_default();
                let a = if line.trim().is_empty() {
                    default
                } else {
                    line.trim().to_string()
                };
                i.user_answers.insert(q.clone(), a);
            }
        }
    }
    pact_engine::phases::approve(&mut i);
    save(&project, &i)?;
    project.audit(
        "interview",
        format!("{} answers recorded", i.user_answers.len()),
    )?;
    println!(
        "Recorded {} answer(s). Run `pact run {}` to continue.",
        i.user_answers.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn approve(dir: &Path) -> anyhow::Result<ExitCode> {
    let (project, mut i) = load(dir)?;
    pact_engine::phases::approve(&mut i);
    save(&project, &i)?;
    project.audit("interview", "approved with defaults")?;
    println!("Approved. Run `pact run {}` to continue.", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// An answers file: a JSON or YAML mapping of question (text or 1-based number) → answer.
/// Answers are read as text (`yes` stays "yes", not a boolean).
fn parse_answers(text: &str) -> Result<Vec<(String, String)>, String> {
    if let Ok(v) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
        return Ok(v
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect());
    }
    let map: Vec<(String, String)> =
        serde_saphyr::from_str::<indexmap::IndexMap<String, String>>(text)
            .map_err(|e| e.to_string())?
            .into_iter()
            .collect();
    Ok(map)
}

/// Saves the interview and mirrors it into the run state, as the original's state.json holds it.
fn save(project: &pact_core::store::Project, i: &InterviewResult) -> anyhow::Result<()> {
    project.save_interview(i)?;
    project.update_state(|st| {
        if let Some(st) = st {
            st.interview_result = Some(i.clone());
        }
    })?;
    Ok(())
}
