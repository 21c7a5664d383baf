//! Each agent role: its system prompt, how its request is built from the project, and the JSON
//! Schema its answer must satisfy. Prompts are deterministic (no clocks, stable ordering) so a
//! recorded session replays: the same project always asks the same questions.

use pact_agents::LlmRequest;
use pact_core::model::{ComponentContract, ContractTestSuite, TestLanguage, TestResults};
use regex::Regex;
use serde_json::{Value, json};
use std::sync::LazyLock;

pub const INTERVIEWER: &str = "interviewer";
pub const SHAPER: &str = "shaper";
pub const DECOMPOSER: &str = "decomposer";
pub const CONTRACT_AUTHOR: &str = "contract_author";
pub const TEST_AUTHOR: &str = "test_author";
pub const CODE_AUTHOR: &str = "code_author";
pub const TRACE_ANALYST: &str = "trace_analyst";

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

pub fn interview_schema() -> Value {
    json!({"type": "object", "required": ["risks", "ambiguities", "questions", "assumptions"],
        "properties": {"risks": strings(), "ambiguities": strings(), "questions": strings(),
            "assumptions": strings(), "acceptance_criteria": strings()}})
}

pub fn interview(task: &str, sops: &str) -> LlmRequest {
    LlmRequest::new(INTERVIEWER, "InterviewResult", interview_schema())
        .system("You are starting fresh as a cynical senior architect interviewing a client before any design. \
List the risks and ambiguities of the task, the questions that must be answered before decomposition \
(only those whose answer changes the design; none if the task is clear), your default assumption for \
each question, and testable acceptance criteria.")
        .user(format!("# task.md\n{task}\n\n# sops.md\n{sops}"))
        .phase("interview")
}

pub fn shape_schema() -> Value {
    json!({"type": "object", "required": ["problem", "appetite", "breadboard", "rabbit_holes", "no_gos"],
        "properties": {"problem": {"type": "string", "minLength": 1},
            "appetite": {"type": "string", "enum": ["small", "big"]},
            "breadboard": {"type": "string"},
            "rabbit_holes": {"type": "array", "items": {"type": "object", "required": ["description", "mitigation"],
                "properties": {"description": {"type": "string"}, "mitigation": {"type": "string"}}}},
            "no_gos": strings()}})
}

pub fn shape(task: &str, sops: &str, interview: &str, appetite: &str) -> LlmRequest {
    LlmRequest::new(SHAPER, "ShapingPitch", shape_schema())
        .system("You shape work the Shape Up way: state the problem, fix the appetite, sketch a breadboard \
(places, affordances, connections) in words, name the rabbit holes with how to avoid each, and the no-gos.")
        .user(format!("Appetite: {appetite}\n\n# task.md\n{task}\n\n# sops.md\n{sops}\n\n# Interview\n{interview}"))
        .phase("shape")
}

pub fn decompose_schema() -> Value {
    json!({"type": "object", "required": ["root_id", "components", "decisions"],
        "properties": {
            "root_id": {"type": "string"},
            "is_trivial": {"type": "boolean"},
            "components": {"type": "array", "minItems": 1, "items": {"type": "object",
                "required": ["component_id", "name", "description", "children"],
                "properties": {"component_id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "name": {"type": "string"}, "description": {"type": "string"},
                    "children": strings(), "dependencies": strings()}}},
            "decisions": {"type": "array", "items": {"type": "object", "required": ["ambiguity", "decision", "rationale"],
                "properties": {"ambiguity": {"type": "string"}, "decision": {"type": "string"}, "rationale": {"type": "string"}}}}}})
}

pub fn decompose(task: &str, sops: &str, context: &str, build_mode: &str) -> LlmRequest {
    LlmRequest::new(DECOMPOSER, "DecomposeResponse", decompose_schema())
        .system("You decompose a task into a tree of components with clear boundaries. Each level has 2 to 7 \
components; a parent composes its children; leaves are small enough for one engineer-day. Ids are snake_case \
and become module names. Give the root id, every component with its children, and the engineering decisions \
you made for each ambiguity. If one module suffices, say is_trivial and give a single component.")
        .user(format!("Build mode: {build_mode}\n\n# task.md\n{task}\n\n# sops.md\n{sops}\n\n{context}"))
        .phase("decompose")
}

fn type_spec_schema() -> Value {
    json!({"type": "object", "required": ["name", "kind"], "properties": {
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["primitive", "struct", "enum", "list", "optional", "union"]},
        "fields": {"type": "array", "items": {"$ref": "#/$defs/FieldSpec"}},
        "item_type": {"type": "string"}, "variants": strings(), "inner_types": strings(),
        "description": {"type": "string"}}})
}

/// `req` with what the gate found in the previous answer (the same words for every role, so a
/// recorded session replays).
fn with_findings(req: LlmRequest, what: &str, findings: &[String]) -> LlmRequest {
    if findings.is_empty() {
        return req;
    }
    req.user(format!(
        "The previous {what} failed the validation gate:\n- {}\nFix every finding.",
        findings.join("\n- ")
    ))
}

pub fn contract_schema() -> Value {
    json!({"type": "object", "required": ["name", "description", "types", "functions", "invariants"],
        "$defs": {
            "FieldSpec": {"type": "object", "required": ["name", "type_ref"], "properties": {
                "name": {"type": "string"}, "type_ref": {"type": "string"}, "required": {"type": "boolean"},
                "default": {"type": "string"}, "description": {"type": "string"}}},
            "TypeSpec": type_spec_schema(),
            "ErrorCase": {"type": "object", "required": ["name", "condition", "error_type"], "properties": {
                "name": {"type": "string"}, "condition": {"type": "string"}, "error_type": {"type": "string"}}},
            "FunctionContract": {"type": "object", "required": ["name", "description", "inputs", "output_type"], "properties": {
                "name": {"type": "string"}, "description": {"type": "string"},
                "inputs": {"type": "array", "items": {"$ref": "#/$defs/FieldSpec"}},
                "output_type": {"type": "string", "minLength": 1},
                "error_cases": {"type": "array", "items": {"$ref": "#/$defs/ErrorCase"}},
                "preconditions": strings(), "postconditions": strings(),
                "idempotent": {"type": "boolean"}, "side_effects": strings()}}},
        "properties": {
            "name": {"type": "string"}, "description": {"type": "string"},
            "types": {"type": "array", "items": {"$ref": "#/$defs/TypeSpec"}},
            "functions": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/FunctionContract"}},
            "invariants": strings(), "requires": strings()}})
}

/// Asks for the contract of one component, given its place in the tree and its children's
/// contracts (which it may use).
pub fn contract(
    cid: &str,
    name: &str,
    description: &str,
    task: &str,
    sops: &str,
    deps: &[&ComponentContract],
    findings: &[String],
) -> LlmRequest {
    let deps_text: Vec<String> = deps.iter().map(|c| contract_brief(c)).collect();
    let req = LlmRequest::new(CONTRACT_AUTHOR, "ComponentContract", contract_schema())
        .system("You write the typed interface contract of one component: its types (every non-builtin name a \
type ref uses must be defined here; builtins are str int float bool None bytes dict list tuple set Optional \
Any), its functions with typed inputs, output type, error cases (raised exception types), pre- and \
postconditions, and its invariants. Contracts are the product: precise, testable, no vague words.")
        .user(format!(
            "Component `{cid}` — {name}: {description}\n\n# Dependencies it may call\n{}\n\n# task.md\n{task}\n\n# sops.md\n{sops}",
            if deps_text.is_empty() { "(none)".to_string() } else { deps_text.join("\n\n") }
        ))
        .phase("contract")
        .component(cid);
    with_findings(req, "contract", findings)
}

/// Asks for the contract an existing module already fulfils: the code is the specification, so
/// the contract describes what it does (its public functions as they are, the errors it raises,
/// the conditions it checks), not what it might do better.
pub fn adopt_contract(
    cid: &str,
    module: &str,
    source: &str,
    api: &str,
    findings: &[String],
) -> LlmRequest {
    let req = LlmRequest::new(CONTRACT_AUTHOR, "ComponentContract", contract_schema())
        .system("You write the typed interface contract of an existing module, from its source: one \
function contract per public function listed, with the same name and parameters; typed inputs and \
output (use the type hints; where the code has none, infer the type from the code, and use Any only \
when nothing narrower is true); the exceptions it raises as error cases; pre- and postconditions \
that the code as written satisfies. The code is the specification: describe what it does, exactly \
and testably.")
        .user(format!(
            "Component `{cid}`: the module `{module}`.\n\n# Its public API\n{api}\n\n# Its source\n```\n{source}\n```"
        ))
        .phase("contract")
        .component(cid);
    with_findings(req, "contract", findings)
}

pub fn tests_schema() -> Value {
    json!({"type": "object", "required": ["test_cases", "generated_code"], "properties": {
        "test_cases": {"type": "array", "minItems": 1, "items": {"type": "object",
            "required": ["id", "description", "function", "category"], "properties": {
                "id": {"type": "string"}, "description": {"type": "string"}, "function": {"type": "string"},
                "category": {"type": "string", "enum": ["happy_path", "edge_case", "error_case", "invariant"]},
                "input_values": {"type": "object"}, "expected_output_description": {"type": "string"},
                "expected_error": {"type": "string"}, "assertions": strings()}}},
        "generated_code": {"type": "string", "minLength": 1}}})
}

pub fn tests(
    contract: &ComponentContract,
    language: TestLanguage,
    stub: &str,
    findings: &[String],
) -> LlmRequest {
    let cid = &contract.component_id;
    let how = match language {
        TestLanguage::Python => format!(
            "pytest. Import the component with `from {cid} import *` (its module is `{cid}`)."
        ),
        TestLanguage::TypeScript => format!("vitest. Import from \"{cid}\"."),
        TestLanguage::JavaScript => format!("node:test with node:assert. Require \"{cid}\"."),
    };
    let req = LlmRequest::new(TEST_AUTHOR, "ContractTestSuite", tests_schema())
        .system("You write the executable contract tests of one component. Tests are law: every function gets \
happy-path, edge-case and error-case tests, every test asserts something that fails on a wrong \
implementation, test names are `test_<case id lowercased>_<what>` and each test's docstring starts with its case \
id. Test only through the contract's interface. Never skip a test.")
        .user(format!(
            "Write {how}\n\n# Contract\n{}\n\n# Interface stub\n{stub}",
            serde_json::to_string_pretty(contract).unwrap_or_default()
        ))
        .phase("test")
        .component(cid);
    with_findings(req, "tests", findings)
}

/// The held-out suite: written like the visible one, but with different inputs, and never shown
/// to the code agent. Its pass rate against the visible one's is a gaming signal.
pub fn hidden_tests(
    contract: &ComponentContract,
    language: TestLanguage,
    stub: &str,
    visible_names: &[String],
    findings: &[String],
) -> LlmRequest {
    let cid = &contract.component_id;
    let mut req = tests(contract, language, stub, &[]);
    req.schema_name = "HeldOutTestSuite".into();
    req = req.user(format!(
        "Now write a second, independent suite for `{cid}` that will be held out: the implementer never sees it. \
Use different inputs and cases from the visible tests ({}). Name tests `test_h<NNN>_<what>`.",
        visible_names.join(", ")
    ));
    if !findings.is_empty() {
        req = req.user(format!(
            "The previous held-out tests were refused:\n- {}\nFix every finding.",
            findings.join("\n- ")
        ));
    }
    req
}

pub fn code_schema() -> Value {
    json!({"type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["path", "content"],
            "properties": {"path": {"type": "string"}, "content": {"type": "string"}}}},
        "notes": {"type": "string"}}})
}

/// Everything the code agent may see: its contract, its tests, its dependencies' contracts and
/// stubs, the standards and earlier failures — never another implementation.
pub struct CodeBrief<'a> {
    pub contract: &'a ComponentContract,
    pub suite: &'a ContractTestSuite,
    pub test_code: &'a str,
    pub stub: &'a str,
    pub deps: Vec<(&'a ComponentContract, String)>,
    pub sops: &'a str,
    pub log_key: &'a str,
    pub failures: Option<&'a TestResults>,
    pub rejected: &'a [String],
    pub learnings: &'a [String],
    /// Counts only: held-out tests are never shown.
    pub hidden_failed: Option<pact_core::model::PassCount>,
}

pub fn code(b: &CodeBrief) -> LlmRequest {
    let cid = &b.contract.component_id;
    let module = match b.suite.language().unwrap_or(TestLanguage::Python) {
        TestLanguage::Python => format!("{cid}.py"),
        TestLanguage::TypeScript => format!("{cid}.ts"),
        TestLanguage::JavaScript => format!("{cid}.js"),
    };
    let deps: Vec<String> = b
        .deps
        .iter()
        .map(|(c, stub)| format!("{}\n{stub}", contract_brief(c)))
        .collect();
    let mut req = LlmRequest::new(CODE_AUTHOR, "Implementation", code_schema())
        .system("You implement one component so that its contract tests pass. Write only source files of the \
component (relative paths inside its src/ directory); never tests, test configuration or files elsewhere. \
Do not special-case test inputs: implement the contract. Log errors with the component's log key.")
        .user(format!(
            "Implement `{cid}`; the main module is `{module}`. Every log line carries the key `{}`.\n\n# Contract\n{}\n\n# Interface stub\n{}\n\n# Contract tests (read-only)\n{}\n\n# Dependencies (their implementations exist; import them by module name)\n{}\n\n# Standards (sops.md)\n{}",
            b.log_key,
            serde_json::to_string_pretty(b.contract).unwrap_or_default(),
            b.stub,
            b.test_code,
            if deps.is_empty() { "(none)".to_string() } else { deps.join("\n\n") },
            b.sops
        ))
        .phase("implement")
        .component(cid);
    if !b.learnings.is_empty() {
        req = req.user(format!(
            "Previous agents working on this component noted:\n  - {}",
            b.learnings.join("\n  - ")
        ));
    }
    if !b.rejected.is_empty() {
        req = req.user(format!(
            "Your previous answer was rejected:\n- {}",
            b.rejected.join("\n- ")
        ));
    }
    if let Some(h) = b.hidden_failed {
        req = req.user(format!(
            "Your previous implementation passed every visible test but failed {} of {} held-out tests, which you cannot see: \
implement the contract in general, not the visible cases.",
            h.total - h.passed,
            h.total
        ));
    }
    if let Some(r) = b.failures {
        let lines: Vec<String> = r
            .failure_details
            .iter()
            .take(10)
            .map(|f| format!("{}: {}", f.test_id, first_lines(&f.error_message, 8)))
            .collect();
        req = req.user(format!(
            "Your previous implementation passed {}/{} tests. Failures:\n{}",
            r.passed,
            r.total,
            lines.join("\n")
        ));
    }
    req
}

pub fn diagnose_schema() -> Value {
    json!({"type": "object", "required": ["root_cause", "explanation"], "properties": {
        "root_cause": {"type": "string", "enum": ["implementation_bug", "contract_bug", "glue_bug", "design_bug"]},
        "explanation": {"type": "string"}, "suggested_fix": {"type": "string"}}})
}

pub fn diagnose(
    contract: &ComponentContract,
    results: &TestResults,
    test_code: &str,
    traces: &[pact_core::model::IoTrace],
) -> LlmRequest {
    let failures: Vec<String> = results
        .failure_details
        .iter()
        .take(10)
        .map(|f| format!("{}: {}", f.test_id, first_lines(&f.error_message, 12)))
        .collect();
    LlmRequest::new(TRACE_ANALYST, "TraceDiagnosis", diagnose_schema())
        .system("You find the root cause of failing contract tests at a component boundary: an implementation bug \
(the code is wrong), a contract bug (the contract is contradictory or incomplete), a glue bug (a parent wires \
its children wrongly) or a design bug (the decomposition cannot work). Explain briefly and suggest the fix.")
        .user(format!(
            "# Contract\n{}\n\n# Tests\n{test_code}\n\n# Failures ({}/{} passed)\n{}",
            serde_json::to_string_pretty(contract).unwrap_or_default(),
            results.passed,
            results.total,
            failures.join("\n")
        ))
        .user(trace_text(traces))
        .phase("diagnose")
        .component(&contract.component_id)
}

/// Calls at component boundaries, failed calls first: `component.function(a=1) -> 2`.
fn trace_text(traces: &[pact_core::model::IoTrace]) -> String {
    if traces.is_empty() {
        return "# I/O traces at component boundaries\n(none recorded)".into();
    }
    let mut sorted: Vec<&pact_core::model::IoTrace> = traces.iter().collect();
    sorted.sort_by_key(|t| t.error.is_empty());
    let lines: Vec<String> = sorted
        .iter()
        .take(30)
        .map(|t| {
            let args: Vec<String> = t.inputs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let result = if t.error.is_empty() {
                format!("-> {}", t.output)
            } else {
                format!("raised {}", t.error)
            };
            format!(
                "{}.{}({}) {result}",
                t.component_id,
                t.function,
                args.join(", ")
            )
        })
        .collect();
    format!(
        "# I/O traces at component boundaries ({} calls)\n{}",
        traces.len(),
        lines.join("\n")
    )
}

/// The first `n` lines of a test failure, as an agent sees it: machine-neutral.
fn first_lines(s: &str, n: usize) -> String {
    let s = machine_neutral(s);
    s.lines().take(n).collect::<Vec<_>>().join("\n")
}

/// The harness already names the run's directory `<run>`; what else in a failure differs from
/// machine to machine is where Python lives: a traceback through the standard library or
/// site-packages, the interpreter a collection error names. Those become `<python>/lib/…` and
/// `python`, so that prompts, and the keys recorded sessions are found by, are the same on
/// every machine.
fn machine_neutral(s: &str) -> String {
    static LIB: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"[^\s"'()<>,:]*[/\\]lib[/\\]python\d+(?:\.\d+)?[/\\]"#)
            .unwrap_or_else(|_| unreachable!())
    });
    static BIN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"[^\s"'()<>,:]*[/\\]bin[/\\](python\d*(?:\.\d+)?)\b"#)
            .unwrap_or_else(|_| unreachable!())
    });
    let s = LIB.replace_all(s, "<python>/lib/");
    BIN.replace_all(&s, "$1").into_owned()
}

/// A dependency as another agent should see it: functions and types, compactly.
pub fn contract_brief(c: &ComponentContract) -> String {
    let mut s = format!("## {} (`{}`): {}\n", c.name, c.component_id, c.description);
    for t in &c.types {
        s.push_str(&format!("- type {} ({})\n", t.name, t.kind.as_str()));
    }
    for f in &c.functions {
        s.push_str(&format!("- fn {}\n", f.signature()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_reach_prompts_without_this_machines_python_paths() {
        let collection = "no test ran; /home/ann/.cache/pact/python/cpython3.11-8f1cbe0d5c0a/bin/python said:\n\
ImportError while importing test module '<run>/tests/contract_test.py'.\n\
Traceback:\n\
/home/ann/.pyenv/versions/3.11.7/lib/python3.11/importlib/__init__.py:126: in import_module\n\
    return _bootstrap._gcd_import(name[level:], package, level)\n\
File \"/opt/homebrew/Cellar/python@3.12/3.12.1/Frameworks/Python.framework/Versions/3.12/lib/python3.12/json/decoder.py\", line 355\n\
/root/.cache/pact/python/cpython3.11-0a/lib/python3.11/site-packages/_pytest/python.py:1: in f";
        assert_eq!(
            first_lines(collection, 10),
            "no test ran; python said:\n\
ImportError while importing test module '<run>/tests/contract_test.py'.\n\
Traceback:\n\
<python>/lib/importlib/__init__.py:126: in import_module\n\
    return _bootstrap._gcd_import(name[level:], package, level)\n\
File \"<python>/lib/json/decoder.py\", line 355\n\
<python>/lib/site-packages/_pytest/python.py:1: in f"
        );
        let plain = "assert count_tokens([]) == {}\nE   AssertionError: lib/python is a word";
        assert_eq!(first_lines(plain, 8), plain);
    }
}
