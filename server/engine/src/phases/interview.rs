//! The interview phase: the questions an agent asks before planning, paused on until the user
//! answers or approves the assumptions.

use super::{ask, parse, read};
use crate::engine::{Engine, Outcome, Result};
use crate::job::PauseReason;
use crate::roles;
use pact_core::model::{InterviewResult, Phase};

pub(super) async fn interview(e: &Engine) -> Result<Outcome> {
    let next = Outcome::Advanced { to: Phase::Shape };
    if let Some(existing) = e.project.load_interview()? {
        if existing.approved {
            return Ok(next);
        }
        return Ok(Outcome::Paused {
            reason: PauseReason::Interview,
        });
    }
    let task = read(e, &e.project.layout.task_md())?;
    let sops = read(e, &e.project.layout.sops_md())?;
    let mut result: InterviewResult =
        parse(ask(e, &roles::interview(&task, &sops)).await?, "interview")?;
    result.approved = result.questions.is_empty();
    e.project.save_interview(&result)?;
    e.audit("interview", format!("{} questions", result.questions.len()))?;
    if result.approved {
        return Ok(next);
    }
    e.update(|s| s.interview_result = Some(result.clone()))?;
    Ok(Outcome::Paused {
        reason: PauseReason::Interview,
    })
}

/// Accepts the assumptions as answers for every unanswered question (`pact approve`).
pub fn approve(interview: &mut InterviewResult) {
    let questions = interview.questions.clone();
    for (i, q) in questions.iter().enumerate() {
        if !interview.user_answers.contains_key(q) {
            let answer = interview
                .assumptions
                .get(i)
                .cloned()
                .unwrap_or_else(|| "Accepted as stated".into());
            interview.user_answers.insert(q.clone(), answer);
        }
    }
    interview.approved = true;
}

pub(super) fn interview_context(i: Option<&InterviewResult>) -> String {
    let Some(i) = i else { return String::new() };
    let mut s = String::from("# Interview\n");
    for (q, a) in &i.user_answers {
        s.push_str(&format!("Q: {q}\nA: {a}\n"));
    }
    for a in &i.acceptance_criteria.clone().unwrap_or_default() {
        s.push_str(&format!("Acceptance: {a}\n"));
    }
    s
}
