//! The tools. Each one opens the project, asks the gate, the status query or the job API, and
//! returns its answer as structured content (with a one-line summary as text for clients that
//! show text only).

use crate::args::{BuildArgs, ComponentArgs, ExplainArgs, ProjectArgs, ValidateArgs};
use crate::outputs::{Components, ContractView, Explanation, TestFailure, TestRun, TestsSummary};
use pact_core::gate::{self, Code, Verdict};
use pact_core::store::Project;
use pact_engine::job::status::{ProjectStatus, status};
use pact_engine::job::{JobKind, JobOutcome, JobReport};
use rmcp::handler::server::common::schema_for_output;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct PactServer {
    root: PathBuf,
    tool_router: ToolRouter<Self>,
}

/// A tool's answer: `value` as structured content, `text` for clients that show text.
fn answer<T: Serialize>(
    value: &T,
    text: String,
    is_error: bool,
) -> Result<CallToolResult, McpError> {
    let v =
        serde_json::to_value(value).map_err(|e| McpError::internal_error(e.to_string(), None))?;
    let mut r = if is_error {
        CallToolResult::structured_error(v)
    } else {
        CallToolResult::structured(v)
    };
    r.content = vec![ContentBlock::text(text)];
    Ok(r)
}

/// A failure the agent can act on (a wrong argument, an unusable project): a tool error, not a
/// protocol error, so the model sees the message.
fn refusal(message: impl Into<String>) -> Result<CallToolResult, McpError> {
    Ok(CallToolResult::error(vec![ContentBlock::text(
        message.into(),
    )]))
}

impl PactServer {
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            tool_router: Self::tool_router(),
        }
    }

    /// The project `arg` names (relative to where the server started), or the reason it is
    /// not one.
    pub(crate) fn project(&self, arg: Option<&str>) -> Result<Project, String> {
        let dir = match arg.map(str::trim).filter(|s| !s.is_empty()) {
            Some(p) => self.root.join(p),
            None => self.root.clone(),
        };
        // Its errors name the directory (or pact.yaml, with the line) already.
        Project::open(&dir).map_err(|e| e.to_string())
    }

    /// A read-only tool's answer about the project `arg` names: `f` gives the value and its
    /// one-line summary, or what stands in the way.
    fn read<T: Serialize>(
        &self,
        arg: Option<&str>,
        f: impl FnOnce(&Project) -> Result<(T, String), String>,
    ) -> Result<CallToolResult, McpError> {
        match self.project(arg).and_then(|p| f(&p)) {
            Ok((value, text)) => answer(&value, text, false),
            Err(e) => refusal(e),
        }
    }

    async fn job(
        &self,
        project: Option<&str>,
        kind: JobKind,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let project = match self.project(project) {
            Ok(p) => p,
            Err(e) => return refusal(e),
        };
        let report = crate::jobs::run(project, kind, &ctx).await;
        let text = summary(&report);
        let failed = matches!(
            report.outcome,
            JobOutcome::Refused { .. } | JobOutcome::Failed { .. }
        );
        answer(&report, text, failed)
    }
}

/// One line on how a job went, and what to do next.
fn summary(r: &JobReport) -> String {
    let what = crate::jobs::title(&r.job);
    let how = match &r.outcome {
        JobOutcome::Refused { problem } => format!("did not start: {problem}"),
        JobOutcome::Failed { problem } => format!("failed: {problem}"),
        JobOutcome::Paused { reason } => format!("paused: {reason}"),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| {
                v.get("outcome")
                    .and_then(|o| o.as_str())
                    .map(|s| s.replace('_', " "))
            })
            .unwrap_or_default(),
    };
    let mut line = format!("{what}: {how}");
    if let Some(c) = r.component() {
        line.push_str(&format!(" ({c})"));
    }
    if !r.next.is_empty() {
        let next: Vec<String> = r
            .next
            .iter()
            .filter_map(|n| serde_json::to_value(n).ok())
            .filter_map(|v| {
                v.get("kind")
                    .and_then(|k| k.as_str())
                    .map(|s| s.replace('_', " "))
            })
            .collect();
        line.push_str(&format!(". Next: {}", next.join("; ")));
    }
    line
}

#[tool_router]
impl PactServer {
    #[tool(
        description = "Run Pact's validation gate over a project's contracts, tree and tests. Returns every finding with its code, severity, file, 1-based line/column range, message and suggested fix (did_you_mean, add_dependency); the same findings as `pact validate --json`. Narrow it with `component` or `file`.",
        output_schema = schema_for_output::<Verdict>(),
        annotations(read_only_hint = true)
    )]
    async fn validate(
        &self,
        Parameters(a): Parameters<ValidateArgs>,
    ) -> Result<CallToolResult, McpError> {
        let project = match self.project(a.project.as_deref()) {
            Ok(p) => p,
            Err(e) => return refusal(e),
        };
        let root = project.root().to_path_buf();
        let file = a.file.as_deref().map(|f| {
            let p = root.join(f);
            std::fs::canonicalize(&p).unwrap_or(p)
        });
        let verdict = tokio::task::spawn_blocking(move || {
            let docs = project.docs();
            let mut cache = gate::AnalysisCache::open(&project.layout.pact_dir().join("cache"));
            let report = gate::validate_with(&docs, &mut cache);
            let keep = |f: &gate::Finding| {
                a.component
                    .as_deref()
                    .is_none_or(|c| f.component.as_deref() == Some(c))
                    && file.as_deref().is_none_or(|p| f.file.as_deref() == Some(p))
            };
            report.verdict_where(&root, keep)
        })
        .await
        .map_err(|e| McpError::internal_error(e.to_string(), None))?;
        let text = format!(
            "Validation {}: {} ({} error(s), {} warning(s))",
            if verdict.passed { "PASSED" } else { "FAILED" },
            verdict.reason,
            verdict.errors,
            verdict.warnings
        );
        answer(&verdict, text, false)
    }

    #[tool(
        description = "Where a project's run stands: phase, status, spend against budget, the run lock's holder, and every component's state (done only with evidence) and test counts.",
        output_schema = schema_for_output::<ProjectStatus>(),
        annotations(read_only_hint = true)
    )]
    async fn status(
        &self,
        Parameters(a): Parameters<ProjectArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.read(a.project.as_deref(), |project| {
            let s = status(project, &Default::default()).map_err(|e| e.to_string())?;
            let text = format!(
                "{} of {} components done; phase {}; spent ${:.2} of ${:.2}",
                s.done(),
                s.components.len(),
                s.phase
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "none".into()),
                s.spent_usd,
                s.budget_usd
            );
            Ok((s, text))
        })
    }

    #[tool(
        description = "The project's components from its decomposition tree, each with its state and test counts.",
        output_schema = schema_for_output::<Components>(),
        annotations(read_only_hint = true)
    )]
    async fn components(
        &self,
        Parameters(a): Parameters<ProjectArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.read(a.project.as_deref(), |project| {
            let s = status(project, &Default::default()).map_err(|e| e.to_string())?;
            let text = s
                .components
                .iter()
                .map(|c| format!("{} ({})", c.id, c.state))
                .collect::<Vec<_>>()
                .join(", ");
            let components = Components {
                components: s.components,
            };
            Ok((components, text))
        })
    }

    #[tool(
        description = "One component: its contract (interface.json), its functions, a summary of its tests (cases, language, locked, files) and its build record.",
        output_schema = schema_for_output::<ContractView>(),
        annotations(read_only_hint = true)
    )]
    async fn contract(
        &self,
        Parameters(a): Parameters<ComponentArgs>,
    ) -> Result<CallToolResult, McpError> {
        self.read(a.project.as_deref(), |project| {
            let v = contract_view(project, &a.component)?;
            let text = format!(
                "{}: {} function(s), {} test case(s){}",
                v.component,
                v.functions.len(),
                v.tests.cases,
                if v.tests.locked { ", locked" } else { "" }
            );
            Ok((v, text))
        })
    }

    #[tool(
        description = "What a finding code from `validate` means and how to fix it.",
        output_schema = schema_for_output::<Explanation>(),
        annotations(read_only_hint = true)
    )]
    async fn explain(
        &self,
        Parameters(a): Parameters<ExplainArgs>,
    ) -> Result<CallToolResult, McpError> {
        let Some(code) = Code::parse(a.code.trim()) else {
            let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            let hint = gate::nearest(a.code.trim(), known.iter().copied())
                .map(|n| format!(" Did you mean `{n}`?"))
                .unwrap_or_default();
            return refusal(format!(
                "No finding has the code `{}`.{hint} The codes: {}.",
                a.code,
                known.join(", ")
            ));
        };
        let e = Explanation {
            code: code.as_str().to_string(),
            meaning: code.describe().to_string(),
            fix: code.remedy().to_string(),
        };
        let text = format!("{}: {} Fix: {}", e.code, e.meaning, e.fix);
        answer(&e, text, false)
    }

    #[tool(
        description = "Run a component's locked contract tests against its current implementation (no model is called). Returns the counts and every failing test with its message. Refused while another job holds the project.",
        output_schema = schema_for_output::<TestRun>()
    )]
    async fn run_tests(
        &self,
        Parameters(a): Parameters<ComponentArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let project = match self.project(a.project.as_deref()) {
            Ok(p) => p,
            Err(e) => return refusal(e),
        };
        let kind = JobKind::RunTests {
            component: a.component.clone(),
        };
        let report = crate::jobs::run(project.clone(), kind, &ctx).await;
        let text = summary(&report);
        let refused = matches!(
            report.outcome,
            JobOutcome::Refused { .. } | JobOutcome::Failed { .. }
        );
        let recorded = project
            .load_test_results(&a.component)
            .ok()
            .flatten()
            .filter(|_| !refused);
        let (passed, total) = report
            .component()
            .map(|c| (c.passed, c.total))
            .unwrap_or_default();
        let failures = recorded
            .map(|r| {
                r.failure_details
                    .into_iter()
                    .map(|f| TestFailure {
                        test: f.test_id,
                        message: f.error_message,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let run = TestRun {
            report,
            passed,
            total,
            failures,
        };
        answer(&run, text, refused)
    }

    #[tool(
        description = "Decompose the project's task.md into a component tree with a contract and locked tests per component, stopping at the plan (interview → decomposition → contracts → tests → validation). Calls the configured model; spends budget. Sends progress notifications; cancellable. Refused while another job holds the project.",
        output_schema = schema_for_output::<JobReport>()
    )]
    async fn decompose(
        &self,
        Parameters(a): Parameters<ProjectArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        self.job(a.project.as_deref(), JobKind::Decompose, ctx)
            .await
    }

    #[tool(
        description = "Build one component from its contract with code agents until its locked contract tests pass (skipped when it is up to date). Calls the configured model; spends budget. Sends progress notifications; cancellable. Refused while another job holds the project.",
        output_schema = schema_for_output::<JobReport>()
    )]
    async fn build(
        &self,
        Parameters(a): Parameters<BuildArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let kind = JobKind::Build {
            component: a.component,
            agents: a.agents.unwrap_or(1).max(1),
        };
        self.job(a.project.as_deref(), kind, ctx).await
    }

    #[tool(
        description = "Discard a component's implementation and build it again from its contract. Calls the configured model; spends budget. Sends progress notifications; cancellable. Refused while another job holds the project.",
        output_schema = schema_for_output::<JobReport>()
    )]
    async fn rebuild(
        &self,
        Parameters(a): Parameters<BuildArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let kind = JobKind::Rebuild {
            component: a.component,
            agents: a.agents.unwrap_or(1).max(1),
        };
        self.job(a.project.as_deref(), kind, ctx).await
    }
}

/// The `contract` tool's answer for `cid`, or why there is none.
fn contract_view(project: &Project, cid: &str) -> Result<ContractView, String> {
    // An id is a path segment under .pact/contracts: `../x` or `a/b` would read elsewhere.
    pact_core::ids::check_component_id(cid).map_err(|e| {
        format!("`{cid}` is not a component id ({e}); the `components` tool lists the components.")
    })?;
    let layout = &project.layout;
    let path = layout.contract(cid);
    // The bounded reader: a FIFO or a device in a contract's place must not hang the server.
    let text = match pact_core::store::fsio::read_text(&path, pact_core::json::max_bytes(&path)) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Err(format!(
                "No contract for `{cid}` ({} does not exist); the `components` tool lists the components.",
                path.display()
            ));
        }
        Err(e) => return Err(format!("{} {e}", path.display())),
    };
    let contract: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?;
    let functions = contract
        .get("functions")
        .and_then(|f| f.as_array())
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f.get("name")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let suite = project.load_suite(cid).ok().flatten();
    let root = project.root();
    let files = std::fs::read_dir(layout.tests_dir(cid))
        .map(|rd| {
            let mut v: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .map(|p| rel(root, &p))
                .collect();
            v.sort();
            v
        })
        .unwrap_or_default();
    let tests = TestsSummary {
        cases: suite.as_ref().map_or(0, |s| s.test_cases.len()),
        language: suite.as_ref().map(|s| s.test_language.clone()),
        locked: layout.lock_dir(cid).join("lock.json").is_file(),
        files,
    };
    let build = project
        .load_build_record(cid)
        .ok()
        .flatten()
        .and_then(|b| serde_json::to_value(b).ok());
    let status = status(project, &Default::default())
        .ok()
        .and_then(|s| s.components.into_iter().find(|c| c.id == cid));
    Ok(ContractView {
        component: cid.to_string(),
        contract,
        functions,
        tests,
        build,
        status,
    })
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for PactServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("pact", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Pact: contracts before code, tests as law. After editing a contract \
             (.pact/contracts/<id>/interface.json), a test suite or tree.json, call `validate` \
             (scoped with `file`) and fix every error it reports; `explain` says what a finding \
             code means. `status`/`components`/`contract` read the project; `build`, `rebuild`, \
             `decompose` and `run_tests` run jobs. Never edit locked tests to make code pass.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(crate::resources::list(
            self,
        )))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            crate::resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        crate::resources::read(self, &request.uri).map(Into::into)
    }
}
