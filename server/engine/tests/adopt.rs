//! Adopting codebases of several modules, Python and TypeScript: each module is a leaf whose
//! locked tests pass against the code; the packages and the root get contracts integrating
//! their children and locked tests, so the project validates, and the run waits at the
//! implement phase for `pact run` to integrate them.

use crate::support::keyed;

use keyed::Keyed;
use pact_core::codebase::{self, ScanOptions};
use pact_core::store::Project;
use pact_engine::adopt::Adopted;
use pact_engine::job::{JobKind, JobOutcome, Prepared};
use pact_engine::{Engine, SameForAll, events};
use serde_json::{Value, json};
use std::sync::Arc;

fn function(name: &str, a: &str, b: &str, out: &str) -> Value {
    json!({"name": name, "description": format!("{name} of two integers"),
        "inputs": [{"name": a, "type_ref": "int"}, {"name": b, "type_ref": "int"}],
        "output_type": out, "error_cases": [], "preconditions": [], "postconditions": []})
}

fn contract(name: &str, functions: Vec<Value>) -> Value {
    json!({"name": name, "description": format!("The {name} of mathkit"), "types": [],
        "functions": functions, "invariants": ["pure"]})
}

/// A suite of `cases` (function, call, expected): `header`, then each case as `test` writes it
/// from its id (`prefix` and a number), function, call and expected value.
fn suite_of(
    header: String,
    prefix: &str,
    cases: &[(&str, &str, &str)],
    test: impl Fn(&str, &str, &str, &str) -> String,
) -> Value {
    let mut code = header;
    let mut test_cases = Vec::new();
    for (i, (f, call, want)) in cases.iter().enumerate() {
        let id = format!("{prefix}{:03}", i + 1);
        code.push_str(&test(&id, f, call, want));
        test_cases
            .push(json!({"id": id, "description": call, "function": f, "category": "happy_path"}));
    }
    json!({"test_cases": test_cases, "generated_code": code})
}

/// A pytest suite for `cid` of `cases` (function, call, expected).
fn suite(cid: &str, prefix: &str, cases: &[(&str, &str, &str)]) -> Value {
    suite_of(
        format!("from {cid} import *\n\n"),
        prefix,
        cases,
        |id, f, call, want| {
            format!(
                "def test_{}_{f}():\n    \"\"\"{id}: {call}\"\"\"\n    assert {call} == {want}\n\n\n",
                id.to_lowercase()
            )
        },
    )
}

/// Runs the adoption of `modules` on `project` through the job API, answered by `backend`,
/// and returns what it reports of each component.
async fn adopt(
    project: &Project,
    backend: Arc<Keyed>,
    modules: Vec<pact_engine::adopt::AdoptModule>,
) -> Vec<pact_engine::adopt::AdoptedComponent> {
    let config = project.config().expect("config");
    let engine = Engine::new(
        project.clone(),
        config,
        SameForAll::unbudgeted(backend),
        events::ignore(),
    );
    let report = Prepared::new(engine, JobKind::Adopt { modules }, "test")
        .await
        .map_err(|r| format!("{:?}", r.outcome))
        .expect("preflight")
        .execute()
        .await;
    match report.outcome {
        JobOutcome::Adopted { modules } => modules,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_of_modules_is_adopted_and_validates() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("mathkit-repo");
    let pkg = dir.join("mathkit");
    std::fs::create_dir_all(&pkg).expect("mkdir");
    std::fs::write(pkg.join("__init__.py"), "").expect("init");
    std::fs::write(
        pkg.join("add.py"),
        "def add(a: int, b: int) -> int:\n    return a + b\n",
    )
    .expect("add");
    std::fs::write(
        pkg.join("mul.py"),
        "from mathkit.add import add\n\n\ndef mul(a: int, b: int) -> int:\n    total = 0\n    for _ in range(b):\n        total = add(total, a)\n    return total\n",
    )
    .expect("mul");
    std::fs::create_dir_all(dir.join(".pact")).expect(".pact");

    let inventory = codebase::scan(&dir, &ScanOptions::default()).expect("scan");
    let modules = pact_engine::adopt::modules(&inventory);
    let ids: Vec<&str> = modules.iter().map(|m| m.component.as_str()).collect();
    assert_eq!(ids, ["mathkit_add", "mathkit_mul"]);
    let tree = pact_engine::adopt::plan_tree(&modules);
    assert_eq!(tree.root_id, "root");
    assert_eq!(
        tree.nodes["pkg_mathkit"].children,
        ["mathkit_add", "mathkit_mul"]
    );

    let k = Keyed::new();
    k.push(
        "contract_author",
        "mathkit_add",
        contract("add", vec![function("add", "a", "b", "int")]),
    );
    k.push(
        "contract_author",
        "mathkit_mul",
        contract("mul", vec![function("mul", "a", "b", "int")]),
    );
    let both = || {
        vec![
            function("add", "a", "b", "int"),
            function("mul", "a", "b", "int"),
        ]
    };
    k.push(
        "contract_author",
        "pkg_mathkit",
        contract("package", both()),
    );
    k.push("contract_author", "root", contract("codebase", both()));
    let add = [
        ("add", "add(2, 3)", "5"),
        ("add", "add(-1, 1)", "0"),
        ("add", "add(0, 7)", "7"),
    ];
    let mul = [
        ("mul", "mul(3, 4)", "12"),
        ("mul", "mul(5, 0)", "0"),
        ("mul", "mul(2, 1)", "2"),
    ];
    for (cid, cases) in [("mathkit_add", &add[..]), ("mathkit_mul", &mul[..])] {
        k.push("test_author", cid, suite(cid, "TC", cases));
        k.push("test_author", cid, suite(cid, "H", &cases[..2]));
    }
    let all: Vec<(&str, &str, &str)> = add.iter().chain(mul.iter()).copied().collect();
    for cid in ["pkg_mathkit", "root"] {
        k.push("test_author", cid, suite(cid, "TC", &all));
        k.push("test_author", cid, suite(cid, "H", &all[..2]));
    }

    let project = Project::open(&dir).expect("open");
    let modules = adopt(&project, Arc::new(k), modules).await;
    let modules = &modules;
    let outcome = |cid: &str| {
        modules
            .iter()
            .find(|m| m.component == cid)
            .map(|m| m.outcome.clone())
            .unwrap_or_else(|| panic!("{cid} in {modules:?}"))
    };
    assert!(
        matches!(
            outcome("mathkit_add"),
            Adopted::Passed {
                passed: 3,
                total: 3
            }
        ),
        "{modules:?}"
    );
    assert!(
        matches!(
            outcome("mathkit_mul"),
            Adopted::Passed {
                passed: 3,
                total: 3
            }
        ),
        "{modules:?}"
    );
    assert_eq!(outcome("pkg_mathkit"), Adopted::Contracted);
    assert_eq!(outcome("root"), Adopted::Contracted);

    // Every node has its contract and locked tests: the gate passes.
    let report = pact_core::gate::validate(&project.docs());
    assert!(report.passed(), "{:?}", report.findings);
    let state = project.load_state().expect("state").expect("a run");
    assert_eq!(state.phase, pact_core::model::Phase::Implement);
    // The user's files are as they were.
    assert_eq!(
        std::fs::read_to_string(pkg.join("add.py")).expect("add"),
        "def add(a: int, b: int) -> int:\n    return a + b\n"
    );
}

/// A vitest suite for `cid` of `cases` (function, call, expected).
fn ts_suite(cid: &str, functions: &[&str], prefix: &str, cases: &[(&str, &str, &str)]) -> Value {
    let header = format!(
        "import {{ describe, expect, test }} from \"vitest\";\nimport {{ {} }} from \"{cid}\";\n\n",
        functions.join(", ")
    );
    suite_of(header, prefix, cases, |id, f, call, want| {
        format!(
            "describe(\"{f}\", () => {{\n  test(\"test_{}_{f}\", () => {{\n    // {id}: {call}\n    expect({call}).toBe({want});\n  }});\n}});\n\n",
            id.to_lowercase()
        )
    })
}

/// TypeScript: the modules under `src/` are linked through a shim that re-exports them, and
/// their vitest suites pass against the code as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typescript_codebase_is_adopted_under_vitest() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("tsmath");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("add.ts"),
        "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
    )
    .expect("add");
    std::fs::write(
        src.join("mul.ts"),
        "import { add } from \"./add\";\n\nexport function mul(a: number, b: number): number {\n  let total = 0;\n  for (let i = 0; i < b; i++) {\n    total = add(total, a);\n  }\n  return total;\n}\n",
    )
    .expect("mul");
    std::fs::write(dir.join("pact.yaml"), "language: typescript\n").expect("yaml");
    std::fs::create_dir_all(dir.join(".pact")).expect(".pact");

    let inventory = codebase::scan(&dir, &ScanOptions::default()).expect("scan");
    let modules = pact_engine::adopt::modules(&inventory);
    let ids: Vec<&str> = modules.iter().map(|m| m.component.as_str()).collect();
    assert_eq!(ids, ["src_add", "src_mul"]);

    let num = |name: &str| {
        json!({"name": name, "description": format!("{name} of two numbers"),
            "inputs": [{"name": "a", "type_ref": "float"}, {"name": "b", "type_ref": "int"}],
            "output_type": "float", "error_cases": [], "preconditions": [], "postconditions": []})
    };
    let k = Keyed::new();
    k.push(
        "contract_author",
        "src_add",
        contract("add", vec![num("add")]),
    );
    k.push(
        "contract_author",
        "src_mul",
        contract("mul", vec![num("mul")]),
    );
    k.push(
        "contract_author",
        "root",
        contract("codebase", vec![num("add"), num("mul")]),
    );
    let add = [
        ("add", "add(2, 3)", "5"),
        ("add", "add(-1, 1)", "0"),
        ("add", "add(0, 7)", "7"),
    ];
    let mul = [
        ("mul", "mul(3, 4)", "12"),
        ("mul", "mul(5, 0)", "0"),
        ("mul", "mul(2, 1)", "2"),
    ];
    k.push(
        "test_author",
        "src_add",
        ts_suite("src_add", &["add"], "TC", &add),
    );
    k.push(
        "test_author",
        "src_add",
        ts_suite("src_add", &["add"], "H", &add[..2]),
    );
    k.push(
        "test_author",
        "src_mul",
        ts_suite("src_mul", &["mul"], "TC", &mul),
    );
    k.push(
        "test_author",
        "src_mul",
        ts_suite("src_mul", &["mul"], "H", &mul[..2]),
    );
    let all: Vec<(&str, &str, &str)> = add.iter().chain(mul.iter()).copied().collect();
    k.push(
        "test_author",
        "root",
        ts_suite("root", &["add", "mul"], "TC", &all),
    );
    k.push(
        "test_author",
        "root",
        ts_suite("root", &["add", "mul"], "H", &all[..2]),
    );

    let project = Project::open(&dir).expect("open");
    let modules = adopt(&project, Arc::new(k), modules).await;
    let modules = &modules;
    for cid in ["src_add", "src_mul"] {
        let m = modules
            .iter()
            .find(|m| m.component == cid)
            .expect("adopted");
        assert!(
            matches!(
                m.outcome,
                Adopted::Passed {
                    passed: 3,
                    total: 3
                }
            ),
            "{modules:?}"
        );
    }
    let shim = std::fs::read_to_string(dir.join(".pact/implementations/src_mul/src/src_mul.ts"))
        .expect("shim");
    assert!(
        shim.contains("export { mul } from \"./src/mul\";"),
        "{shim}"
    );
    let report = pact_core::gate::validate(&project.docs());
    assert!(report.passed(), "{:?}", report.findings);
}

/// The code is the specification: a test that fails on it goes back to the test author with its
/// failure, and the corrected suite is the one locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tests_that_fail_on_the_code_go_back_to_the_test_author() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("calc-repo");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("calc.py"),
        "def add(a: int, b: int) -> int:\n    return a + b\n",
    )
    .expect("calc");
    std::fs::create_dir_all(dir.join(".pact")).expect(".pact");
    let inventory = codebase::scan(&dir, &ScanOptions::default()).expect("scan");
    let modules = pact_engine::adopt::modules(&inventory);
    assert_eq!(modules[0].component, "calc_module");

    let k = Arc::new(Keyed::new());
    let cid = "calc_module";
    k.push(
        "contract_author",
        cid,
        contract("calc", vec![function("add", "a", "b", "int")]),
    );
    let wrong = [("add", "add(2, 3)", "6"), ("add", "add(0, 7)", "7")];
    let right = [("add", "add(2, 3)", "5"), ("add", "add(0, 7)", "7")];
    k.push("test_author", cid, suite(cid, "TC", &wrong));
    k.push(
        "test_author",
        cid,
        suite(cid, "H", &[("add", "add(-1, 1)", "0")]),
    );
    k.push("test_author", cid, suite(cid, "TC", &right));

    let project = Project::open(&dir).expect("open");
    let modules = adopt(&project, k.clone(), modules).await;
    let modules = &modules;
    assert!(
        matches!(
            modules[0].outcome,
            Adopted::Passed {
                passed: 2,
                total: 2
            }
        ),
        "{modules:?}"
    );
    // The test author was told which test failed on the code, and why.
    let calls = k.calls.lock().unwrap_or_else(|p| p.into_inner());
    let asked = calls
        .iter()
        .filter(|c| c.role == "test_author")
        .map(|c| format!("{:?}", c.messages))
        .find(|m| m.contains("fail against the existing code"))
        .expect("a revision with the failures");
    assert!(asked.contains("test_tc001_add"), "{asked}");
}
