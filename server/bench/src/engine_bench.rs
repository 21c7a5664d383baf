//! The implement phase under a model that answers after a fixed delay: how close parallel
//! scheduling comes to the ideal (calls / concurrency × delay), and the engine's own overhead
//! per component with an instant model. Test runs are replaced by an instant runner so only
//! the engine is measured.

use pact_agents::{Answer, Backend, LlmRequest, Usage};
use pact_core::model::{TestLanguage, TestResults};
use pact_core::store::Project;
use pact_engine::build::{BuildMode, build_many};
use pact_engine::harness::{HarnessError, HarnessOptions, TestJob, TestRun, TestRunner};
use pact_engine::{Engine, SameForAll, events};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

struct Delayed(Duration);

#[async_trait::async_trait]
impl Backend for Delayed {
    fn name(&self) -> &str {
        "delayed"
    }
    fn model(&self) -> &str {
        "bench"
    }
    async fn complete(
        &self,
        req: &LlmRequest,
        _cancel: &CancellationToken,
    ) -> pact_agents::Result<Answer> {
        if !self.0.is_zero() {
            tokio::time::sleep(self.0).await;
        }
        let cid = req.component.clone().unwrap_or_default();
        let value = json!({"files": [{"path": format!("{cid}.py"), "content": format!("def f_{cid}():\n    return 1\n")}]});
        Ok(Answer {
            raw_text: value.to_string(),
            value,
            usage: Usage::default(),
            cost_usd: 0.0,
            model: "bench".into(),
            attempts: 1,
        })
    }
}

struct InstantPass;

#[async_trait::async_trait]
impl TestRunner for InstantPass {
    async fn run(
        &self,
        _job: &TestJob,
        _o: &HarnessOptions,
        _c: &CancellationToken,
    ) -> Result<TestRun, HarnessError> {
        let results = TestResults {
            total: 1,
            passed: 1,
            ..Default::default()
        };
        Ok(TestRun {
            results,
            cases: vec!["bench::test".into()],
            stdout: String::new(),
            stderr: String::new(),
            timed_out: false,
            reported: true,
            duration: Duration::ZERO,
            isolation: pact_engine::sandbox::Isolation::Sandboxed,
            boundary: true,
        })
    }

    fn needs_runtime(&self) -> bool {
        false
    }
}

/// A planned project: `n` independent leaves under one root, each with a contract, a suite and
/// locked tests.
fn planned(dir: &Path, n: usize) -> anyhow::Result<(Project, Vec<String>)> {
    let (project, _) = Project::init(dir, 1000.0)?;
    let ids: Vec<String> = (0..n).map(|i| format!("leaf_{i:03}")).collect();
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "root".into(),
        json!({"component_id": "root", "name": "Root", "description": "", "children": ids}),
    );
    for id in &ids {
        nodes.insert(id.clone(), json!({"component_id": id, "name": id, "description": "", "depth": 1, "parent_id": "root"}));
    }
    project.save_tree(&serde_json::from_value(
        json!({"root_id": "root", "nodes": nodes}),
    )?)?;
    for id in &ids {
        project.save_contract(&serde_json::from_value(json!({"component_id": id, "name": id, "description": "",
            "functions": [{"name": format!("f_{id}"), "description": "", "inputs": [], "output_type": "int"}]}))?)?;
        let code = format!("from {id} import *\n\ndef test_tc001_f():\n    assert f_{id}() == 1\n");
        project.save_suite(&serde_json::from_value(json!({"component_id": id, "contract_version": 1,
            "test_cases": [{"id": "TC001", "description": "", "function": format!("f_{id}"), "category": "happy_path"}],
            "generated_code": code}))?)?;
        let f = project
            .layout
            .tests_dir(id)
            .join(TestLanguage::Python.test_file_name());
        std::fs::write(&f, &code)?;
        pact_engine::lock::lock_tests(&project, id, 1, &[f])?;
    }
    Ok((project, ids))
}

async fn time_build(n: usize, delay: Duration, concurrency: usize) -> anyhow::Result<Duration> {
    let tmp = tempfile::tempdir()?;
    let (project, ids) = planned(&tmp.path().join("bench"), n)?;
    let config = project.config()?;
    let backends = SameForAll::unbudgeted(Arc::new(Delayed(delay)));
    let mut engine = Engine::new(project, config, backends, events::ignore());
    engine.runner = Arc::new(InstantPass);
    let mode = BuildMode {
        parallel: true,
        max_concurrent: concurrency,
        agents: 1,
        max_attempts: 1,
        force: false,
    };
    let t = Instant::now();
    let failed = build_many(&engine, &ids, mode).await?;
    let took = t.elapsed();
    anyhow::ensure!(failed.is_empty(), "components failed: {failed:?}");
    Ok(took)
}

pub async fn run(n: usize, delay_ms: u64, concurrency: usize) -> anyhow::Result<()> {
    let delay = Duration::from_millis(delay_ms);
    let ideal = delay.as_secs_f64() * (n as f64 / concurrency as f64).ceil();
    let took = time_build(n, delay, concurrency).await?.as_secs_f64();
    println!(
        "implement phase: {n} components, {delay_ms} ms model, {concurrency} agents: {:.0} ms (ideal {:.0} ms, +{:.1}%)",
        took * 1e3,
        ideal * 1e3,
        (took / ideal - 1.0) * 100.0
    );
    let mut per = Vec::new();
    for _ in 0..5 {
        per.push(
            time_build(n, Duration::ZERO, concurrency)
                .await?
                .as_secs_f64()
                * 1e3
                / n as f64,
        );
    }
    per.sort_by(f64::total_cmp);
    println!(
        "engine overhead per component (instant model, no test process): median {:.2} ms, max {:.2} ms",
        per[per.len() / 2],
        per[per.len() - 1]
    );
    Ok(())
}
