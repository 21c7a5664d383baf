//! The budget around real (mocked) calls: refusal before, stop after, `budget.json` content.

use crate::anthropic::FLAVOR;
use crate::common::{fast_http, good, request, structured, tempdir};
use pact_agents::{AgentError, Backend, BudgetLedger, BudgetTracker, CancellationToken};
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_call_that_would_cross_the_budget_is_not_made() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(FLAVOR.path))
        .respond_with(ResponseTemplate::new(200).set_body_json((FLAVOR.ok_body)(
            &good(),
            1000,
            200,
        )))
        .expect(0)
        .mount(&s)
        .await;
    let project = tempdir();
    let budget = Arc::new(BudgetTracker::for_project(project.path(), 0.0001));
    let b = structured((FLAVOR.build)(&s.uri(), fast_http()), project.path()).with_budget(budget);
    let e = b
        .complete(&request(), &CancellationToken::new())
        .await
        .err();
    assert!(
        matches!(
            e,
            Some(AgentError::BudgetExceeded {
                estimate: Some(_),
                ..
            })
        ),
        "{e:?}"
    );
    assert!(e.is_some_and(|e| e.is_budget()));
}

#[tokio::test]
async fn spend_past_the_budget_stops_the_run_and_is_recorded() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(FLAVOR.path))
        .respond_with(ResponseTemplate::new(200).set_body_json((FLAVOR.ok_body)(
            &good(),
            1000,
            200,
        )))
        .expect(2)
        .mount(&s)
        .await;
    let project = tempdir();
    // Each call costs $0.006 at $3/$15; the estimate before the first (~$0.0015) fits.
    let budget = Arc::new(BudgetTracker::for_project(project.path(), 0.01));
    let b = structured((FLAVOR.build)(&s.uri(), fast_http()), project.path())
        .with_budget(budget.clone());
    let req = request().phase("decompose").component("parser");
    let cancel = CancellationToken::new();
    let first = b.complete(&req, &cancel).await;
    assert!(first.is_ok(), "{first:?}");
    let second = b.complete(&req, &cancel).await.err();
    assert!(
        matches!(
            second,
            Some(AgentError::BudgetExceeded { estimate: None, .. })
        ),
        "{second:?}"
    );
    let third = b.complete(&req, &cancel).await.err();
    assert!(
        matches!(
            third,
            Some(AgentError::BudgetExceeded {
                estimate: Some(_),
                ..
            })
        ),
        "{third:?}"
    );

    let ledger = match BudgetLedger::load(&project.path().join(".pact/budget.json")) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    assert!((ledger.spent() - 0.012).abs() < 1e-12);
    assert_eq!(ledger.budget_usd, 0.01);
    assert_eq!(ledger.total.calls, 2);
    assert_eq!(ledger.by_role["decomposer"].input_tokens, 2000);
    assert_eq!(ledger.by_phase["decompose"].calls, 2);
    assert_eq!(ledger.by_component["parser"].output_tokens, 400);
    assert_eq!(ledger.by_model["claude-sonnet-4-5-20250929"].calls, 2);
}
