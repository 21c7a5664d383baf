//! A job's report in the editor's words: the progress end, the one message the user is shown
//! (at the level the outcome deserves), and the command's answer. Reads only the engine's typed
//! report; the next steps are worded for the client ([`crate::wording`]).

use crate::wording::Client;
use pact_engine::job::{ComponentResult, JobKind, JobOutcome, JobReport, PauseReason};
use serde_json::{Value, json};
use tower_lsp_server::ls_types::MessageType;

/// How a job ended, for the progress end, the user and the command's answer.
pub struct Summary {
    /// The progress end and the answer's `message` (no title).
    pub end: String,
    /// The one message shown to the user (title first).
    pub show: (MessageType, String),
    pub result: Value,
}

/// "Pact: Build tokenizer", as the progress and the messages name a job.
pub fn title(kind: &JobKind) -> String {
    match kind {
        JobKind::Decompose => "Pact: Decompose".into(),
        JobKind::Run { .. } => "Pact: Run pipeline".into(),
        JobKind::Build { component, agents } if *agents > 1 => {
            format!("Pact: Build {component} competitively ({agents})")
        }
        JobKind::Build { component, .. } => format!("Pact: Build {component}"),
        JobKind::Rebuild { component, .. } => format!("Pact: Rebuild {component}"),
        JobKind::RegenerateTests { component } => format!("Pact: Regenerate tests of {component}"),
        JobKind::RunTests { component } => format!("Pact: Run tests of {component}"),
        JobKind::Adopt { .. } => "Pact: Adopt".into(),
    }
}

/// Who holds the project's run lock, as a terminal refused meanwhile sees it.
pub fn holder(kind: &JobKind) -> String {
    let what = match kind {
        JobKind::Decompose => "decompose".to_string(),
        JobKind::Run { .. } => "run pipeline".to_string(),
        JobKind::Build { component, agents } if *agents > 1 => {
            format!("build {component} (competitive)")
        }
        JobKind::Build { component, .. } => format!("build {component}"),
        JobKind::Rebuild { component, .. } => format!("rebuild {component}"),
        JobKind::RegenerateTests { component } => format!("regenerate tests of {component}"),
        JobKind::RunTests { component } => format!("run tests of {component}"),
        JobKind::Adopt { .. } => "adopt".to_string(),
    };
    format!("pact lsp: {what}")
}

/// "7/7 contract tests, held-out 3/3".
fn counts(r: Option<&ComponentResult>) -> String {
    r.map_or_else(|| "its contract tests".into(), ToString::to_string)
}

pub fn render(report: &JobReport, client: Client) -> Summary {
    let cid = report.job.component().unwrap_or_default();
    let spend = format!(
        "spend ${:.2} of ${:.2}",
        report.spend.spent_usd, report.spend.budget_usd
    );
    let r = report.component();
    use MessageType as M;
    let (level, text) = match &report.outcome {
        JobOutcome::Completed => (
            M::INFO,
            format!("Run complete: every component passes its contract tests ({spend})."),
        ),
        JobOutcome::Advanced { to } => (M::INFO, format!("Advanced to {to} ({spend}).")),
        JobOutcome::Planned { components } => (
            M::INFO,
            format!(
                "Decomposed into {components} components, each with a contract and locked tests ({spend})."
            ),
        ),
        JobOutcome::AlreadyPlanned { phase } => (
            M::INFO,
            format!("Already decomposed: the run is in phase {phase}; nothing was done."),
        ),
        JobOutcome::Paused {
            reason: PauseReason::PlanOnly,
        } => (
            M::INFO,
            format!("Stopped at the plan: pact.yaml sets plan_only ({spend})."),
        ),
        JobOutcome::Paused { reason } => (M::WARNING, format!("Paused: {reason}.")),
        JobOutcome::BudgetExceeded => {
            (M::ERROR, format!("Stopped: the budget is spent ({spend})."))
        }
        JobOutcome::RunFailed { reason } => (M::ERROR, format!("The run failed: {reason}.")),
        JobOutcome::Passed if matches!(report.job, JobKind::RunTests { .. }) => {
            (M::INFO, format!("{cid}: {} pass.", counts(r)))
        }
        JobOutcome::Passed => (M::INFO, format!("{cid} passes {} ({spend}).", counts(r))),
        JobOutcome::Adopted { modules } => {
            let passing = modules
                .iter()
                .filter(|m| matches!(m.outcome, pact_engine::adopt::Adopted::Passed { .. }))
                .count();
            let leaves = modules
                .iter()
                .filter(|m| !matches!(m.outcome, pact_engine::adopt::Adopted::Contracted))
                .count();
            let level = if passing == leaves {
                M::INFO
            } else {
                M::WARNING
            };
            (
                level,
                format!(
                    "Adopted {leaves} module(s): {passing} pass their locked tests against the existing code ({spend})."
                ),
            )
        }
        JobOutcome::UpToDate => (
            M::INFO,
            format!(
                "{cid} is up to date: it passes {}; nothing was built.",
                counts(r)
            ),
        ),
        JobOutcome::FailedTests { attempts: 0 } => {
            let failing = r.map_or_else(String::new, |r| {
                let names: Vec<&str> = r
                    .failures
                    .iter()
                    .map(|f| f.test.rsplit("::").next().unwrap_or(&f.test))
                    .collect();
                let more = if r.more_failures > 0 {
                    format!(" and {} more", r.more_failures)
                } else {
                    String::new()
                };
                format!("; failing: {}{more}", names.join(", "))
            });
            (M::WARNING, format!("{cid}: {} pass{failing}.", counts(r)))
        }
        JobOutcome::FailedTests { attempts } => {
            let first = r
                .and_then(|r| r.failures.first())
                .map(|f| format!(" First failure: {} — {}.", f.test, f.message))
                .unwrap_or_default();
            (
                M::WARNING,
                format!(
                    "{cid} passes {} after {attempts} attempt(s) ({spend}).{first}",
                    counts(r)
                ),
            )
        }
        JobOutcome::WeakTests { finding } => (
            M::WARNING,
            format!(
                "{cid} passes {} but is not done: {finding} ({spend}).",
                counts(r)
            ),
        ),
        JobOutcome::Regenerated => (
            M::INFO,
            format!("New contract tests of {cid} written and locked ({spend})."),
        ),
        JobOutcome::GateFailed { reason } => (
            M::WARNING,
            format!("The new tests of {cid} still fail the gate: {reason}."),
        ),
        JobOutcome::Cancelled => (
            M::INFO,
            "Cancelled: model calls and test runs stopped; the project is consistent.".into(),
        ),
        JobOutcome::Refused { problem } => (
            M::ERROR,
            format!("Did not start: {problem}. Nothing was changed."),
        ),
        JobOutcome::Failed { problem } => (
            M::ERROR,
            format!("Failed: {problem}. What it finished is kept; the project is consistent."),
        ),
    };
    let end = format!("{text}{}", client.next(&report.next));
    let mut result = serde_json::to_value(report).unwrap_or_else(|_| json!({}));
    if let Some(o) = result.as_object_mut() {
        o.insert("message".into(), end.clone().into());
        if let JobOutcome::Refused { problem } = &report.outcome {
            o.insert("started".into(), false.into());
            o.insert("error".into(), problem.to_string().into());
        }
    }
    Summary {
        show: (level, format!("{}: {end}", title(&report.job))),
        end,
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pact_engine::job::{NextStep, Problem, Spend};

    fn report(job: JobKind, outcome: JobOutcome, next: Vec<NextStep>) -> JobReport {
        JobReport {
            job,
            outcome,
            components: Vec::new(),
            spend: Spend {
                spent_usd: 0.0,
                budget_usd: 5.0,
            },
            next,
        }
    }

    /// A build refused for want of tests says "decompose", never "build resumes it".
    #[test]
    fn a_refusal_says_one_thing_to_do() {
        let r = report(
            JobKind::Build {
                component: "tokenizer".into(),
                agents: 1,
            },
            JobOutcome::Refused {
                problem: Problem::NoTests {
                    component: "tokenizer".into(),
                },
            },
            vec![NextStep::Decompose],
        );
        let s = render(&r, Client::VsCode);
        assert_eq!(s.show.0, MessageType::ERROR);
        assert_eq!(
            s.show.1,
            "Pact: Build tokenizer: Did not start: component 'tokenizer' has no contract tests yet. Nothing was changed. Next: Pact: Decompose."
        );
        assert!(!s.end.contains("resumes"));
        assert_eq!(s.result["outcome"], "refused");
        assert_eq!(s.result["started"], false);
        let n = render(&r, Client::Neovim);
        assert!(n.end.ends_with("Next: :PactDecompose."), "{}", n.end);
    }

    #[test]
    fn outcomes_keep_their_wire_names() {
        let r = report(
            JobKind::RunTests {
                component: "c".into(),
            },
            JobOutcome::FailedTests { attempts: 0 },
            vec![NextStep::SeeFailures],
        );
        assert_eq!(render(&r, Client::Other).result["outcome"], "failed_tests");
        let r = report(JobKind::run(), JobOutcome::UpToDate, vec![]);
        assert_eq!(render(&r, Client::Other).result["outcome"], "up_to_date");
    }
}
