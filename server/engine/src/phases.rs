//! The phases, as the seed runs them: interview → shape → decompose (tree, contracts, tests,
//! validate) → implement → integrate → complete, with diagnose on failure. Each phase function
//! is idempotent: it skips what already exists on disk, so a resumed run redoes nothing.

use crate::build::{self, BuildMode};
use crate::engine::{Engine, EngineError, Outcome, Result};
use crate::events::Event;
use crate::roles;
use crate::stubs;
use pact_core::gate::{self, AnalysisCache, Finding, Scope, Severity};
use pact_core::ids::check_component_id;
use pact_core::model::{
    ComponentContract, ContractTestSuite, DecompositionNode, DecompositionTree,
    EngineeringDecision, ImplementationStatus, InterviewResult, Phase, TaskStatus, TestLanguage,
};
use serde_json::Value;
use std::collections::HashSet;

pub(crate) async fn run_phase(e: &Engine, phase: Phase) -> Result<Outcome> {
    match phase {
        Phase::Interview => interview(e).await,
        Phase::Shape => shape(e).await,
        Phase::Decompose | Phase::Contract | Phase::Test | Phase::Validate => decompose(e).await,
        Phase::Preflight => Ok(Outcome::Advanced {
            to: Phase::Implement,
        }),
        Phase::Implement => implement(e).await,
        Phase::Integrate => integrate(e).await,
        Phase::Diagnose => diagnose(e).await,
        Phase::Arbiter | Phase::Polish | Phase::Retrospective | Phase::Complete => {
            Ok(Outcome::Completed)
        }
    }
}

fn read(e: &Engine, path: &std::path::Path) -> Result<String> {
    Ok(e.project.read_text(path)?.unwrap_or_default())
}

pub(crate) fn language(e: &Engine) -> TestLanguage {
    crate::runtime::language(&e.config)
}

async fn ask(e: &Engine, req: &pact_agents::LlmRequest) -> Result<Value> {
    e.check_cancel()?;
    let backend = e.backends.for_role(&req.role)?;
    let req = with_operator_context(e, req.clone());
    let answer = backend.complete(&req, &e.cancel).await?;
    let _ = e.sync_spend();
    Ok(answer.value)
}

/// Context an operator injected into a running daemon (`inject_context`) reaches every agent.
pub(crate) fn with_operator_context(
    e: &Engine,
    req: pact_agents::LlmRequest,
) -> pact_agents::LlmRequest {
    match std::fs::read_to_string(crate::directive::context_path(&e.project)) {
        Ok(ctx) if !ctx.trim().is_empty() => {
            req.user(format!("Context from the operator:\n{}", ctx.trim()))
        }
        _ => req,
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|err| {
        EngineError::Invalid(format!("the {what} answer does not fit the model: {err}"))
    })
}

// ── interview ────────────────────────────────────────────────────────────────────────────

const INTERVIEW_PENDING: &str = "Interview questions pending — waiting for user answers";

async fn interview(e: &Engine) -> Result<Outcome> {
    let next = Outcome::Advanced { to: Phase::Shape };
    if let Some(existing) = e.project.load_interview()? {
        if existing.approved {
            return Ok(next);
        }
        return Ok(Outcome::Paused {
            reason: format!("{INTERVIEW_PENDING} (`pact answer` or `pact approve`)"),
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
        reason: format!("{INTERVIEW_PENDING} (`pact answer` or `pact approve`)"),
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

fn interview_context(i: Option<&InterviewResult>) -> String {
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

// ── shape ────────────────────────────────────────────────────────────────────────────────

async fn shape(e: &Engine) -> Result<Outcome> {
    let next = Outcome::Advanced {
        to: Phase::Decompose,
    };
    let pitch_path = e.project.layout.decomposition_dir().join("pitch.json");
    if !e.config.shaping() || pitch_path.exists() {
        return Ok(next);
    }
    let task = read(e, &e.project.layout.task_md())?;
    let sops = read(e, &e.project.layout.sops_md())?;
    let interview = interview_context(e.project.load_interview()?.as_ref());
    let spent = e
        .backends
        .budget()
        .and_then(|b| b.spent().ok())
        .unwrap_or(0.0);
    let appetite = if e.config.budget() - spent > e.config.budget() * 0.5 {
        "big"
    } else {
        "small"
    };
    match ask(e, &roles::shape(&task, &sops, &interview, appetite)).await {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.insert("status".into(), "shaped".into());
            }
            let text = serde_json::to_string_pretty(&v)
                .map_err(|err| EngineError::Invalid(err.to_string()))?;
            e.project.write_text(&pitch_path, &text)?;
            e.audit("shape", format!("appetite {appetite}"))?;
        }
        Err(err)
            if matches!(&err, EngineError::Agent(a) if a.is_budget()) || err.is_cancelled() =>
        {
            return Err(err);
        }
        // Shaping is advice: a failure is recorded and decomposition goes on without it.
        Err(err) => e.audit("shape_error", err.to_string())?,
    }
    Ok(next)
}

// ── decompose: tree → contracts → tests → validate ─────────────────────────────────────

async fn decompose(e: &Engine) -> Result<Outcome> {
    let tree = match e.project.load_tree()? {
        Some(t) if !t.nodes.is_empty() => t,
        _ => make_tree(e).await?,
    };
    let order = build_order(&tree);
    let task = read(e, &e.project.layout.task_md())?;
    let sops = read(e, &e.project.layout.sops_md())?;
    let lang = language(e);
    let max_revisions = e.config.max_plan_revisions();
    for cid in &order {
        e.check_cancel()?;
        if e.project.load_contract(cid)?.is_none() {
            e.emit(Event::Component {
                phase: "contract".into(),
                component: cid.clone(),
                step: "contract".into(),
            });
            if let Err(reason) = author_contract(e, &tree, cid, &task, &sops, max_revisions).await?
            {
                return Ok(Outcome::Paused { reason });
            }
        }
    }
    for cid in &order {
        e.check_cancel()?;
        if !tests_complete(e, cid, lang)? {
            e.emit(Event::Component {
                phase: "test".into(),
                component: cid.clone(),
                step: "tests".into(),
            });
            if let Err(reason) = author_tests(e, cid, lang, max_revisions).await? {
                return Ok(Outcome::Paused { reason });
            }
        }
    }
    e.emit(Event::PhaseStarted {
        phase: "validate".into(),
    });
    let report = gate::validate(&e.project.docs());
    e.audit(
        "validation",
        if report.passed() {
            format!("PASSED: {}", report.reason())
        } else {
            format!("FAILED: {}", report.reason())
        },
    )?;
    if !report.passed() {
        let details = report
            .details()
            .into_iter()
            .take(10)
            .collect::<Vec<_>>()
            .join("; ");
        return Ok(Outcome::Paused {
            reason: format!(
                "Contract validation failed: {} — {details}",
                report.reason()
            ),
        });
    }
    e.update(|s| {
        for cid in &order {
            let t = s.task_mut(cid);
            if t.status == TaskStatus::Pending {
                t.status = TaskStatus::Contracting;
            }
        }
    })?;
    write_design(e)?;
    if e.config.plan_only() {
        return Ok(Outcome::Paused {
            reason: "Plan-only mode: decomposition and contracts complete. Use 'pact build <project> <component_id>' to implement specific components, or disable plan_only to implement all.".into(),
        });
    }
    Ok(Outcome::Advanced {
        to: Phase::Implement,
    })
}

pub(crate) fn write_design(e: &Engine) -> Result<()> {
    let tree = e.project.load_tree()?;
    let decisions = e.project.load_decisions()?;
    let state = e.project.load_state()?;
    let title = tree
        .as_ref()
        .and_then(|t| t.nodes.get(&t.root_id).map(|n| n.name.clone()))
        .unwrap_or_else(|| "Project".into());
    let results = |cid: &str| e.project.load_test_results(cid).ok().flatten();
    let md = pact_core::design::render(&pact_core::design::DesignInputs {
        title: &title,
        tree: tree.as_ref(),
        decisions: &decisions,
        state: state.as_ref(),
        results: &results,
    });
    Ok(e.project.write_text(&e.project.layout.design_md(), &md)?)
}

async fn make_tree(e: &Engine) -> Result<DecompositionTree> {
    let task = read(e, &e.project.layout.task_md())?;
    let sops = read(e, &e.project.layout.sops_md())?;
    let mode = e.config.build_mode().to_string();
    let tree = if mode == "unary" {
        single_node_tree("root", "Main", &task)
    } else {
        let mut context = interview_context(e.project.load_interview()?.as_ref());
        let pitch = e.project.layout.decomposition_dir().join("pitch.json");
        if let Some(p) = e.project.read_text(&pitch)? {
            context.push_str(&format!("\n# Shaping pitch\n{p}\n"));
        }
        let v = ask(e, &roles::decompose(&task, &sops, &context, &mode)).await?;
        let decisions: Vec<EngineeringDecision> = v
            .get("decisions")
            .cloned()
            .map(|d| parse(d, "decisions"))
            .transpose()?
            .unwrap_or_default();
        e.project.save_decisions(&decisions)?;
        tree_from_answer(&v, &task)?
    };
    e.project.save_tree(&tree)?;
    e.audit("decomposition", format!("{} components", tree.nodes.len()))?;
    Ok(tree)
}

fn single_node_tree(id: &str, name: &str, description: &str) -> DecompositionTree {
    let mut nodes = indexmap::IndexMap::new();
    nodes.insert(
        id.to_string(),
        node(id, name, description, 0, "", Vec::new()),
    );
    DecompositionTree {
        root_id: id.into(),
        nodes,
        extra: Default::default(),
    }
}

fn node(
    id: &str,
    name: &str,
    description: &str,
    depth: u32,
    parent: &str,
    children: Vec<String>,
) -> DecompositionNode {
    DecompositionNode {
        component_id: id.into(),
        name: name.into(),
        description: description.into(),
        depth,
        parent_id: parent.into(),
        children,
        contract: None,
        implementation_status: ImplementationStatus::Pending,
        test_results: None,
        extra: Default::default(),
    }
}

/// Builds a well-formed tree from the decomposer's answer: ids checked, unknown children
/// dropped, one root (synthesized if the answer has several), depths and parents assigned, and
/// unreachable components adopted by the root, as the original does.
pub(crate) fn tree_from_answer(v: &Value, task: &str) -> Result<DecompositionTree> {
    let comps = v
        .get("components")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let field = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut list: Vec<(String, String, String, Vec<String>)> = Vec::new();
    let mut declared: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for c in &comps {
        let id = field(c, "component_id");
        check_component_id(&id).map_err(|err| {
            EngineError::Invalid(format!(
                "the decomposer proposed an unusable component id: {err}"
            ))
        })?;
        let children = c
            .get("children")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let deps: Vec<String> = c
            .get("dependencies")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        declared.insert(id.clone(), deps);
        if !list.iter().any(|(i, ..)| *i == id) {
            list.push((id, field(c, "name"), field(c, "description"), children));
        }
    }
    if list.is_empty() {
        return Err(EngineError::Invalid(
            "the decomposer proposed no components".into(),
        ));
    }
    if list.len() == 1 || v.get("is_trivial").and_then(Value::as_bool) == Some(true) {
        let (id, name, desc, _) = &list[0];
        return Ok(single_node_tree(id, name, desc));
    }
    let ids: HashSet<String> = list.iter().map(|(i, ..)| i.clone()).collect();
    for (_, _, _, ch) in list.iter_mut() {
        ch.retain(|c| ids.contains(c));
    }
    let child_ids: HashSet<String> = list
        .iter()
        .flat_map(|(_, _, _, ch)| ch.iter().cloned())
        .collect();
    let wanted_root = v.get("root_id").and_then(Value::as_str).unwrap_or("");
    let roots: Vec<String> = list
        .iter()
        .map(|(i, ..)| i.clone())
        .filter(|i| !child_ids.contains(i))
        .collect();
    let root = if ids.contains(wanted_root) && !child_ids.contains(wanted_root) {
        wanted_root.to_string()
    } else if roots.len() == 1 {
        roots[0].clone()
    } else {
        let desc: String = task.chars().take(200).collect();
        list.push(("root".into(), "Root".into(), desc, roots.clone()));
        "root".into()
    };
    let mut nodes = indexmap::IndexMap::new();
    let mut queue = std::collections::VecDeque::from([(root.clone(), 0u32, String::new())]);
    let find = |id: &str| list.iter().find(|(i, ..)| i == id).cloned();
    while let Some((id, depth, parent)) = queue.pop_front() {
        if nodes.contains_key(&id) {
            continue;
        }
        let Some((_, name, desc, children)) = find(&id) else {
            continue;
        };
        let children: Vec<String> = children
            .into_iter()
            .filter(|c| !nodes.contains_key(c) && *c != id)
            .collect();
        for c in &children {
            queue.push_back((c.clone(), depth + 1, id.clone()));
        }
        nodes.insert(
            id.clone(),
            node(&id, &name, &desc, depth, &parent, children),
        );
    }
    let orphans: Vec<String> = list
        .iter()
        .map(|(i, ..)| i.clone())
        .filter(|i| !nodes.contains_key(i))
        .collect();
    for o in orphans {
        if let Some((_, name, desc, _)) = find(&o) {
            nodes.insert(o.clone(), node(&o, &name, &desc, 1, &root, Vec::new()));
            if let Some(r) = nodes.get_mut(&root) {
                r.children.push(o);
            }
        }
    }
    // The decomposer's declared dependencies (beyond children) guide contract order and the
    // contracts' `dependencies`; kept in the node's extra fields, which the original ignores.
    let known: HashSet<String> = nodes.keys().cloned().collect();
    for (id, n) in nodes.iter_mut() {
        let deps: Vec<Value> = declared
            .get(id)
            .into_iter()
            .flatten()
            .filter(|d| known.contains(*d) && *d != id && !n.children.contains(d))
            .map(|d| Value::from(d.clone()))
            .collect();
        if !deps.is_empty() {
            n.extra.insert("dependencies".into(), Value::Array(deps));
        }
    }
    Ok(DecompositionTree {
        root_id: root,
        nodes,
        extra: Default::default(),
    })
}

/// Children plus the decomposer's declared dependencies of a node.
pub(crate) fn node_deps(node: &DecompositionNode) -> Vec<String> {
    let mut out = node.children.clone();
    for d in node
        .extra
        .get("dependencies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !out.iter().any(|o| o == d) {
            out.push(d.to_string());
        }
    }
    out
}

/// Components ordered so that each comes after everything it depends on (children and declared
/// dependencies); a cycle falls back to the tree's order for its members.
pub(crate) fn build_order(tree: &DecompositionTree) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut placed: HashSet<String> = HashSet::new();
    let base: Vec<String> = tree
        .topological_order()
        .into_iter()
        .map(str::to_string)
        .collect();
    loop {
        let before = out.len();
        for id in &base {
            if placed.contains(id) {
                continue;
            }
            let ready = tree.nodes.get(id).is_none_or(|n| {
                node_deps(n)
                    .iter()
                    .all(|d| placed.contains(d) || !tree.nodes.contains_key(d))
            });
            if ready {
                placed.insert(id.clone());
                out.push(id.clone());
            }
        }
        if out.len() == base.len() {
            return out;
        }
        if out.len() == before {
            // A cycle: take the rest in tree order; the gate reports the cycle.
            out.extend(base.into_iter().filter(|id| !placed.contains(id)));
            return out;
        }
    }
}

/// Errors of the gate for `cid` only (its contract, or its tests).
fn findings_for(e: &Engine, cid: &str, codes_of_tests: bool) -> Vec<Finding> {
    let docs = e.project.docs();
    let scope = Scope::Components {
        ids: [cid.to_string()].into(),
        tree: false,
    };
    let report = gate::validate_scoped(&docs, &scope, &mut AnalysisCache::in_memory());
    let is_test_code = |f: &Finding| {
        use pact_core::gate::Code::*;
        matches!(
            f.code,
            TestSyntax
                | UnknownFunction
                | ToothlessTest
                | EmptyTestSuite
                | StaleTests
                | MissingTestSuite
        )
    };
    report
        .findings
        .into_iter()
        .filter(|f| {
            f.severity == Severity::Error
                || (codes_of_tests && f.code == pact_core::gate::Code::ToothlessTest)
        })
        .filter(|f| is_test_code(f) == codes_of_tests)
        .filter(|f| f.code != pact_core::gate::Code::MissingTestSuite)
        .collect()
}

/// `Ok(Err(reason))` when the contract still fails the gate after every revision allowed.
async fn author_contract(
    e: &Engine,
    tree: &DecompositionTree,
    cid: &str,
    task: &str,
    sops: &str,
    max_revisions: u32,
) -> Result<std::result::Result<(), String>> {
    let Some(node) = tree.nodes.get(cid) else {
        return Ok(Ok(()));
    };
    let deps: Vec<ComponentContract> = node_deps(node)
        .iter()
        .filter_map(|c| e.project.load_contract(c).ok().flatten())
        .collect();
    let dep_refs: Vec<&ComponentContract> = deps.iter().collect();
    let mut findings: Vec<String> = Vec::new();
    for revision in 0..=max_revisions {
        let v = ask(
            e,
            &roles::contract(
                cid,
                &node.name,
                &node.description,
                task,
                sops,
                &dep_refs,
                &findings,
            ),
        )
        .await?;
        let mut obj = v.as_object().cloned().unwrap_or_default();
        // The engine, not the agent, decides identity and dependencies.
        obj.insert("component_id".into(), cid.into());
        if obj
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            obj.insert("name".into(), node.name.clone().into());
        }
        obj.insert(
            "dependencies".into(),
            deps.iter()
                .map(|d| Value::from(d.component_id.clone()))
                .collect::<Vec<_>>()
                .into(),
        );
        obj.entry("version").or_insert(1.into());
        let contract: ComponentContract = parse(Value::Object(obj), "contract")?;
        e.project.save_contract(&contract)?;
        let lang = language(e);
        e.project.write_text(
            &e.project
                .layout
                .contract_dir(cid)
                .join(stubs::file_name(lang)),
            &stubs::render(&contract, lang),
        )?;
        let problems = findings_for(e, cid, false);
        e.audit(
            "contract",
            format!(
                "{cid} v{} ({} functions, revision {revision})",
                contract.version,
                contract.functions.len()
            ),
        )?;
        if problems.is_empty() {
            set_node_status(e, cid, ImplementationStatus::Contracted)?;
            return Ok(Ok(()));
        }
        findings = problems.iter().map(|f| f.message.clone()).collect();
    }
    // Keep the last contract on disk for the user to fix; remove nothing.
    Ok(Err(format!(
        "Contract for '{cid}' still fails the gate after {max_revisions} revision(s): {}",
        findings.join("; ")
    )))
}

/// Whether a component's tests went through every step: suite, lock for the current contract,
/// red-first record for the locked tests, held-out suite. A run killed between the steps
/// resumes at the first one missing.
fn tests_complete(e: &Engine, cid: &str, _lang: TestLanguage) -> Result<bool> {
    let (Some(contract), Some(_)) = (e.project.load_contract(cid)?, e.project.load_suite(cid)?)
    else {
        return Ok(false);
    };
    let Ok(lock) = crate::lock::read_lock(&e.project, cid) else {
        return Ok(false);
    };
    if lock.contract_version != contract.version {
        return Ok(false);
    }
    if e.config.red_first() {
        let rec: Option<pact_core::model::RedFirstRecord> = e
            .project
            .read_text(&e.project.layout.integrity_dir(cid).join("red_first.json"))?
            .and_then(|t| serde_json::from_str(&t).ok());
        if rec.is_none_or(|r| {
            r.test_hash != lock.test_hash() || r.total == 0 || !r.vacuous.is_empty()
        }) {
            return Ok(false);
        }
    }
    Ok(!e.config.held_out_tests() || !lock.hidden.is_empty())
}

async fn author_tests(
    e: &Engine,
    cid: &str,
    lang: TestLanguage,
    max_revisions: u32,
) -> Result<std::result::Result<(), String>> {
    author_tests_with(e, cid, lang, max_revisions, None).await
}

/// [`author_tests`]; with `brief` (what the current tests miss), a new suite is always asked
/// for, with the brief in every request.
async fn author_tests_with(
    e: &Engine,
    cid: &str,
    lang: TestLanguage,
    max_revisions: u32,
    brief: Option<&str>,
) -> Result<std::result::Result<(), String>> {
    let Some(contract) = e.project.load_contract(cid)? else {
        return Ok(Ok(()));
    };
    let stub = stubs::render(&contract, lang);
    let mut findings: Vec<String> = Vec::new();
    // A suite already on disk (a run killed after writing it) is checked before asking again.
    let mut reuse = e
        .project
        .load_suite(cid)?
        .filter(|s| s.contract_version == contract.version && brief.is_none());
    for revision in 0..=max_revisions {
        let suite = match reuse.take() {
            Some(s) => s,
            None => {
                let mut req = roles::tests(&contract, lang, &stub, &findings);
                if let Some(b) = brief {
                    req = req.user(b.to_string());
                }
                let v = ask(e, &req).await?;
                let mut obj = v.as_object().cloned().unwrap_or_default();
                obj.insert("component_id".into(), cid.into());
                obj.insert("contract_version".into(), contract.version.into());
                obj.insert("test_language".into(), lang_name(lang).into());
                let suite: ContractTestSuite = parse(Value::Object(obj), "test suite")?;
                e.project.save_suite(&suite)?;
                e.audit(
                    "tests",
                    format!(
                        "{cid}: {} test cases (revision {revision})",
                        suite.test_cases.len()
                    ),
                )?;
                suite
            }
        };
        let test_file = e.project.layout.tests_dir(cid).join(lang.test_file_name());
        if e.project.read_text(&test_file)?.as_deref() != Some(suite.generated_code.as_str()) {
            e.project.write_text(&test_file, &suite.generated_code)?;
        }
        let problems = findings_for(e, cid, true);
        if !problems.is_empty() {
            findings = problems.iter().map(|f| f.message.clone()).collect();
            continue;
        }
        // Tests are law from here on: hash and copy them where no agent writes.
        let lock = match crate::lock::verified_tests(&e.project, cid) {
            Ok((l, _))
                if l.contract_version == contract.version
                    && l.files.values().next()
                        == Some(&pact_core::digest::sha256_hex(
                            suite.generated_code.as_bytes(),
                        )) =>
            {
                l
            }
            _ => crate::lock::lock_tests(&e.project, cid, contract.version, &[test_file])?,
        };
        let vacuous = red_first(e, &contract, lang, &lock, false).await?;
        if !vacuous.is_empty() {
            findings = vacuous_findings(&vacuous);
            continue;
        }
        if e.config.held_out_tests() && lock.hidden.is_empty() {
            let names: Vec<String> = suite.test_cases.iter().map(|c| c.id.clone()).collect();
            if let Err(reason) =
                author_hidden_tests(e, &contract, lang, &stub, &names, max_revisions).await?
            {
                return Ok(Err(reason));
            }
        }
        return Ok(Ok(()));
    }
    Ok(Err(format!(
        "Tests for '{cid}' still fail the gate after {max_revisions} revision(s): {}",
        findings.join("; ")
    )))
}

/// "Regenerate tests from contract": the old suite, test file, lock and records go, and the
/// test author writes new ones (visible and held out), checked and locked as in a run.
/// `Ok(Err(reason))` when the new tests still fail the gate.
pub async fn regenerate_tests(e: &Engine, cid: &str) -> Result<std::result::Result<(), String>> {
    check_component_id(cid).map_err(|err| EngineError::Invalid(err.to_string()))?;
    e.preflight().await?;
    if e.project.load_contract(cid)?.is_none() {
        return Err(EngineError::Invalid(format!(
            "component '{cid}' has no contract"
        )));
    }
    let lang = language(e);
    let layout = &e.project.layout;
    for p in [
        layout.suite(cid),
        layout.tests_dir(cid).join(lang.test_file_name()),
    ] {
        let _ = std::fs::remove_file(p);
    }
    for d in [
        layout.lock_dir(cid),
        layout.hidden_dir(cid),
        layout.integrity_dir(cid),
    ] {
        let _ = std::fs::remove_dir_all(d);
    }
    let _ = std::fs::remove_file(layout.implementation_dir(cid).join("metadata.json"));
    e.audit(
        "tests_regenerated",
        format!("{cid}: tests flushed; regenerating from the contract"),
    )?;
    author_tests(e, cid, lang, e.config.max_plan_revisions()).await
}

/// The mutation gate's revision: the test author gets the current suite and the mutants of the
/// accepted implementation it lets survive, and writes the suite again (keeping what it has);
/// the new tests are checked, red-first run and locked like any others (the held-out suite
/// stays). `Ok(Err(reason))` when they fail the gate: then the old suite, its lock and its
/// red-first record are put back as they were.
pub(crate) async fn strengthen_tests(
    e: &Engine,
    cid: &str,
    rec: &pact_core::model::MutationRecord,
) -> Result<std::result::Result<(), String>> {
    let lang = language(e);
    let layout = &e.project.layout;
    let test_file = layout.tests_dir(cid).join(lang.test_file_name());
    let current = crate::lock::verified_tests(&e.project, cid)?
        .1
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect::<Vec<_>>()
        .join("\n");
    let brief = mutants_brief(e, cid, lang, rec, &current);
    // What a refused revision puts back.
    let mut saved: Vec<(std::path::PathBuf, Option<Vec<u8>>)> = Vec::new();
    for p in [
        layout.suite(cid),
        test_file.clone(),
        layout.integrity_dir(cid).join("red_first.json"),
    ] {
        saved.push((p.clone(), std::fs::read(&p).ok()));
    }
    for entry in std::fs::read_dir(layout.lock_dir(cid))
        .into_iter()
        .flatten()
        .flatten()
    {
        let p = entry.path();
        if p.is_file() {
            saved.push((p.clone(), std::fs::read(&p).ok()));
        }
    }
    let outcome =
        author_tests_with(e, cid, lang, e.config.max_plan_revisions(), Some(&brief)).await?;
    match &outcome {
        Ok(()) => e.audit(
            "tests_strengthened",
            format!("{cid}: new tests locked for the surviving mutants"),
        )?,
        Err(why) => {
            for (p, bytes) in &saved {
                match bytes {
                    Some(b) => pact_core::store::fsio::write_atomic(p, b)
                        .map_err(|err| EngineError::Invalid(format!("{}: {err}", p.display())))?,
                    None => {
                        let _ = std::fs::remove_file(p);
                    }
                }
            }
            e.audit(
                "tests_strengthened",
                format!("{cid}: the new tests were refused, the old ones restored: {why}"),
            )?;
        }
    }
    Ok(outcome)
}

/// What the test author is told about the mutants a suite lets survive.
fn mutants_brief(
    e: &Engine,
    cid: &str,
    lang: TestLanguage,
    rec: &pact_core::model::MutationRecord,
    current: &str,
) -> String {
    let src = e.project.layout.implementation_src(cid);
    let mut lines = Vec::new();
    for s in &rec.survivors {
        let within = if s.function.is_empty() {
            String::new()
        } else {
            format!(", in `{}`", s.function)
        };
        let code = std::fs::read_to_string(src.join(&s.file))
            .ok()
            .and_then(|t| {
                let line = t
                    .lines()
                    .nth((s.line as usize).saturating_sub(1))?
                    .to_string();
                let chars: Vec<char> = line.chars().collect();
                let (a, b) = (
                    (s.column as usize).saturating_sub(1),
                    (s.end_column as usize).saturating_sub(1),
                );
                let mutated: String = chars.get(..a)?.iter().collect::<String>()
                    + &s.mutated
                    + &chars.get(b..)?.iter().collect::<String>();
                Some(format!(": `{}` becomes `{}`", line.trim(), mutated.trim()))
            })
            .unwrap_or_else(|| format!(": `{}` becomes `{}`", s.original, s.mutated));
        lines.push(format!(
            "- {} line {}{within} ({}){code}",
            s.file, s.line, s.operator
        ));
    }
    format!(
        "# The current tests are too weak
The current tests (below) all pass against the accepted implementation, but they kill only {} of its mutants (the threshold is {:.0}%). Each of these changes to the implementation survives every test:
{}

Write the whole suite again: keep every current test, and add tests that pass on a correct implementation and fail on each of these changes, through the contract's interface only. A change that cannot alter any behaviour the contract promises may stay.

# Current tests
```{}
{current}
```",
        rec.summary(),
        rec.threshold * 100.0,
        lines.join("\n"),
        lang_name(lang)
    )
}

fn vacuous_findings(vacuous: &[String]) -> Vec<String> {
    vacuous
        .iter()
        .map(|t| {
            if t == "<collection>" {
                "No test ran against the interface stub (the tests do not import or collect): fix the imports so each test runs".to_string()
            } else {
                format!("Test '{t}' passes against the interface stub (whose functions only raise NotImplementedError) or accepts any type-correct answer: it tests nothing; make it assert on real behaviour")
            }
        })
        .collect()
}

/// Red first: runs the locked tests against the stub and records the result. Returns the
/// vacuous tests (empty when red-first is off).
async fn red_first(
    e: &Engine,
    contract: &ComponentContract,
    lang: TestLanguage,
    lock: &crate::lock::TestLock,
    hidden: bool,
) -> Result<Vec<String>> {
    if !e.config.red_first() {
        return Ok(Vec::new());
    }
    let cid = &contract.component_id;
    let paths = if hidden {
        crate::lock::verified_hidden(&e.project, cid)?
    } else {
        crate::lock::verified_tests(&e.project, cid)?.1
    };
    let (mut vacuous, total) = crate::integrity::passing_on_stub(e, contract, lang, &paths).await?;
    if total == 0 {
        // Nothing ran against the stub (an import or collection error): no evidence at all.
        vacuous.push("<collection>".into());
    }
    let path = e.project.layout.integrity_dir(cid).join("red_first.json");
    let mut rec: pact_core::model::RedFirstRecord = e
        .project
        .read_text(&path)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .filter(|r: &pact_core::model::RedFirstRecord| r.test_hash == lock.test_hash())
        .unwrap_or_default();
    rec.component_id = cid.clone();
    rec.test_hash = lock.test_hash();
    if hidden {
        rec.hidden_vacuous = vacuous.clone();
    } else {
        rec.total = total;
        rec.vacuous = vacuous.clone();
    }
    rec.ran_at = pact_core::store::now_iso();
    crate::integrity::write_red_first(&e.project, &rec)?;
    e.audit(
        "red_first",
        format!(
            "{cid}{}: {} of {total} tests pass against the stub",
            if hidden { " (held out)" } else { "" },
            vacuous.len()
        ),
    )?;
    Ok(vacuous)
}

/// The held-out suite: checked like the visible one (parses, asserts, names real functions,
/// fails against the stub), then locked in `.pact/hidden/<cid>/`, which no prompt includes.
async fn author_hidden_tests(
    e: &Engine,
    contract: &ComponentContract,
    lang: TestLanguage,
    stub: &str,
    visible: &[String],
    max_revisions: u32,
) -> Result<std::result::Result<(), String>> {
    let cid = &contract.component_id;
    let mut findings: Vec<String> = Vec::new();
    for _ in 0..=max_revisions {
        let v = ask(
            e,
            &roles::hidden_tests(contract, lang, stub, visible, &findings),
        )
        .await?;
        let code = v
            .get("generated_code")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let analysis = pact_core::testcode::analyze(lang, &code);
        let known: HashSet<&str> = contract
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .chain(contract.types.iter().map(|t| t.name.as_str()))
            .collect();
        findings = analysis
            .syntax_errors
            .iter()
            .take(3)
            .map(|s| format!("syntax error at line {}: {}", s.line, s.message))
            .collect();
        if analysis.tests.is_empty() {
            findings.push("the held-out suite defines no tests".into());
        }
        for t in &analysis.tests {
            if !t.has_assertion {
                findings.push(format!(
                    "Test '{}' has no assertion: it cannot fail",
                    t.name
                ));
            }
            for (name, _) in t
                .free_calls
                .iter()
                .filter(|(n, _)| !known.contains(n.as_str()))
            {
                findings.push(format!(
                    "Test '{}' calls '{name}', which contract '{cid}' does not define",
                    t.name
                ));
            }
        }
        if !findings.is_empty() {
            continue;
        }
        let tmp = tempfile::tempdir().map_err(|err| EngineError::Invalid(err.to_string()))?;
        let file = tmp.path().join(hidden_file_name(lang));
        std::fs::write(&file, &code).map_err(|err| EngineError::Invalid(err.to_string()))?;
        let lock = crate::lock::lock_hidden(&e.project, cid, &[file])?;
        let suite_path = e
            .project
            .layout
            .hidden_dir(cid)
            .join("hidden_test_suite.json");
        e.project.write_text(
            &suite_path,
            &serde_json::to_string_pretty(&v).unwrap_or_default(),
        )?;
        e.audit(
            "hidden_tests",
            format!("{cid}: {} held-out tests", analysis.tests.len()),
        )?;
        let vacuous = red_first(e, contract, lang, &lock, true).await?;
        if vacuous.is_empty() {
            return Ok(Ok(()));
        }
        findings = vacuous_findings(&vacuous);
    }
    Ok(Err(format!(
        "Held-out tests for '{cid}' were refused after {max_revisions} revision(s): {}",
        findings.join("; ")
    )))
}

pub(crate) fn hidden_file_name(lang: TestLanguage) -> &'static str {
    match lang {
        TestLanguage::Python => "hidden_test.py",
        TestLanguage::TypeScript => "hidden_test.test.ts",
        TestLanguage::JavaScript => "hidden_test.test.js",
    }
}

pub(crate) fn lang_name(l: TestLanguage) -> &'static str {
    match l {
        TestLanguage::Python => "python",
        TestLanguage::TypeScript => "typescript",
        TestLanguage::JavaScript => "javascript",
    }
}

pub(crate) fn set_node_status(e: &Engine, cid: &str, status: ImplementationStatus) -> Result<()> {
    e.project.update_tree(|tree| {
        if let Some(n) = tree.nodes.get_mut(cid) {
            n.implementation_status = status;
        }
    })?;
    Ok(())
}

// ── implement, integrate, diagnose ──────────────────────────────────────────────────────

async fn implement(e: &Engine) -> Result<Outcome> {
    let tree = e
        .project
        .load_tree()?
        .ok_or_else(|| EngineError::Invalid("no decomposition tree".into()))?;
    let leaves: Vec<String> = tree
        .topological_order()
        .into_iter()
        .filter(|id| tree.is_leaf(id))
        .map(str::to_string)
        .collect();
    let failed = build::build_many(e, &leaves, BuildMode::from_config(&e.config)).await?;
    finish_build_phase(e, failed, Phase::Integrate, "Components failed")
}

async fn integrate(e: &Engine) -> Result<Outcome> {
    let tree = e
        .project
        .load_tree()?
        .ok_or_else(|| EngineError::Invalid("no decomposition tree".into()))?;
    // Deepest parents first: children before the parents that wire them.
    let mut parents: Vec<&DecompositionNode> = tree
        .nodes
        .values()
        .filter(|n| !n.children.is_empty())
        .collect();
    parents.sort_by_key(|n| std::cmp::Reverse(n.depth));
    let ids: Vec<String> = parents.iter().map(|n| n.component_id.clone()).collect();
    let failed = build::build_many(e, &ids, BuildMode::from_config(&e.config)).await?;
    for id in &ids {
        if let Some(r) = e.project.load_test_results(id)? {
            let path = e
                .project
                .layout
                .composition_dir(id)
                .join("test_results.json");
            let text = serde_json::to_string_pretty(&r)
                .map_err(|err| EngineError::Invalid(err.to_string()))?;
            e.project.write_text(&path, &text)?;
        }
    }
    let outcome = finish_build_phase(e, failed, Phase::Complete, "Integration failed")?;
    write_design(e)?;
    Ok(match outcome {
        Outcome::Advanced {
            to: Phase::Complete,
        } => Outcome::Completed,
        other => other,
    })
}

fn finish_build_phase(e: &Engine, failed: Vec<String>, next: Phase, what: &str) -> Result<Outcome> {
    if failed.is_empty() {
        return Ok(Outcome::Advanced { to: next });
    }
    let reason = format!("{what}: {}", failed.join(", "));
    e.update(|s| s.pause_reason = reason.clone())?;
    Ok(Outcome::Advanced {
        to: Phase::Diagnose,
    })
}

/// Re-runs a failing component's locked tests with every call into it and its dependencies
/// traced, and keeps the traces in `.pact/implementations/<cid>/traces.json`.
async fn trace_boundaries(e: &Engine, cid: &str) -> Result<Vec<pact_core::model::IoTrace>> {
    if language(e) != TestLanguage::Python {
        return Ok(Vec::new());
    }
    let Ok((_, files)) = crate::lock::verified_tests(&e.project, cid) else {
        return Ok(Vec::new());
    };
    // Dependencies before dependents, so imports bind the traced functions.
    let mut order: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack: Vec<(String, bool)> = vec![(cid.to_string(), false)];
    while let Some((id, expanded)) = stack.pop() {
        if expanded {
            order.push(id);
        } else if check_component_id(&id).is_ok() && seen.insert(id.clone()) {
            stack.push((id.clone(), true));
            for d in crate::build::dependencies(e, &id)? {
                stack.push((d, false));
            }
        }
    }
    let src = e.project.layout.implementation_src(cid);
    let job = crate::harness::TestJob::new(
        TestLanguage::Python,
        files,
        crate::build::src_dirs(e, cid, &src)?,
    )
    .with_contracts(crate::build::boundary_contracts(e, cid)?);
    let (_, traces) = crate::harness::run_traced(
        &job,
        &order,
        &e.harness_for(TestLanguage::Python).await?,
        &e.cancel,
    )
    .await?;
    let path = e.project.layout.implementation_dir(cid).join("traces.json");
    e.project.write_text(
        &path,
        &serde_json::to_string_pretty(&traces).unwrap_or_default(),
    )?;
    Ok(traces)
}

async fn diagnose(e: &Engine) -> Result<Outcome> {
    let state = e.state()?;
    let mut failed: Vec<String> = state.failed_components();
    // A component held back only by the mutation gate needs no diagnosis (its tests pass): it
    // is done if the gate now lets it be (threshold lowered, gate off), else its tests need a
    // human. Retrying the code would not make its tests stronger.
    let mut weak = Vec::new();
    let mut done_now = Vec::new();
    for cid in &failed {
        if build::already_built(e, cid)? {
            done_now.push(cid.clone());
        } else if let Some(why) = build::held_by_mutation_gate(e, cid)? {
            weak.push((cid.clone(), why));
        }
    }
    if !done_now.is_empty() {
        e.update(|s| {
            for cid in &done_now {
                let t = s.task_mut(cid);
                t.status = TaskStatus::Completed;
                t.last_error.clear();
            }
        })?;
        for cid in &done_now {
            set_node_status(e, cid, ImplementationStatus::Tested)?;
            e.audit("diagnosis", format!("{cid}: done (its build record holds)"))?;
        }
        failed.retain(|c| !done_now.contains(c));
    }
    if failed.is_empty() {
        return Ok(Outcome::Advanced {
            to: Phase::Implement,
        });
    }
    let mut retryable = weak.is_empty();
    let mut notes: Vec<String> = weak
        .iter()
        .map(|(cid, why)| {
            format!("{cid}: its tests are too weak — {why}; strengthen them, lower mutation_threshold or set mutation_gate: false in pact.yaml, then resume")
        })
        .collect();
    for cid in &failed {
        if weak.iter().any(|(c, _)| c == cid) {
            continue;
        }
        let (Some(contract), Some(results)) = (
            e.project.load_contract(cid)?,
            e.project.load_test_results(cid)?,
        ) else {
            continue;
        };
        let test_code = e
            .project
            .read_text(
                &e.project
                    .layout
                    .tests_dir(cid)
                    .join(language(e).test_file_name()),
            )?
            .unwrap_or_default();
        let traces = trace_boundaries(e, cid).await?;
        let v = ask(
            e,
            &roles::diagnose(&contract, &results, &test_code, &traces),
        )
        .await?;
        let cause = v
            .get("root_cause")
            .and_then(Value::as_str)
            .unwrap_or("implementation_bug")
            .to_string();
        let explanation = v
            .get("explanation")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        e.audit("diagnosis", format!("{cid}: {cause}: {explanation}"))?;
        let lesson = serde_json::json!({"lesson": explanation, "category": "failure_mode", "component_id": cid, "timestamp": pact_core::store::now_iso()});
        pact_core::store::fsio::append_line(&e.project.layout.learnings(), &lesson.to_string())
            .map_err(|err| EngineError::Invalid(format!("cannot write learnings: {err}")))?;
        if cause != "implementation_bug" && cause != "glue_bug" {
            retryable = false;
        }
        notes.push(format!("{cid}: {cause} — {explanation}"));
    }
    let cycles = state.phase_cycles;
    if retryable && cycles < e.config.global.max_phase_cycles {
        e.update(|s| {
            s.phase_cycles += 1;
            for t in s
                .component_tasks
                .iter_mut()
                .filter(|t| t.status == TaskStatus::Failed)
            {
                t.status = TaskStatus::Pending;
            }
        })?;
        let tree = e.project.load_tree()?;
        let back_to = if failed
            .iter()
            .any(|c| tree.as_ref().is_some_and(|t| t.is_leaf(c)))
        {
            Phase::Implement
        } else {
            Phase::Integrate
        };
        return Ok(Outcome::Advanced { to: back_to });
    }
    Ok(Outcome::Paused {
        reason: format!("Diagnosis needs a human: {}", notes.join("; ")),
    })
}
