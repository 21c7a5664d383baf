//! A seeded generator of realistic Pact projects of any size: a 7-ary component tree, contracts
//! with types and functions, a DAG of sibling dependencies, and ~240 lines of pytest per component
//! (stored both in the suite's `generated_code` and in `contract_test.py`, as Pact writes them).

use pact_core::store::Project;
use serde_json::{Value, json};
use std::fmt::Write;
use std::path::Path;

const FANOUT: usize = 7;

pub fn id(i: usize) -> String {
    if i == 0 {
        "system".to_string()
    } else {
        format!("comp_{i:05}")
    }
}

fn parent(i: usize) -> Option<usize> {
    (i > 0).then(|| (i - 1) / FANOUT)
}

fn children(i: usize, n: usize) -> Vec<usize> {
    (i * FANOUT + 1..=(i * FANOUT + FANOUT).min(n - 1)).collect()
}

/// Writes an `n`-component project at `dir`. Same seed, same bytes.
pub fn generate(dir: &Path, n: usize, seed: u64) -> anyhow::Result<()> {
    let n = n.max(2);
    let (project, _) = Project::init(dir, 100.0)?;
    std::fs::write(
        dir.join("task.md"),
        "# Task\n\nA synthetic system for benchmarks.\n",
    )?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut nodes = serde_json::Map::new();
    for i in 0..n {
        let depth = std::iter::successors(parent(i), |p| parent(*p)).count();
        nodes.insert(
            id(i),
            json!({
                "component_id": id(i), "name": format!("Component {i}"),
                "description": format!("Synthetic component number {i}."),
                "depth": depth, "parent_id": parent(i).map(id).unwrap_or_default(),
                "children": children(i, n).into_iter().map(id).collect::<Vec<_>>(),
                "contract": null, "implementation_status": "contracted", "test_results": null
            }),
        );
    }
    let tree = json!({"root_id": "system", "nodes": nodes});
    write(&project.layout.tree(), &tree)?;
    for i in 0..n {
        let cid = id(i);
        // Dependencies: the children, plus up to two earlier siblings (a DAG within scope).
        let mut deps: Vec<String> = children(i, n).into_iter().map(id).collect();
        if let Some(p) = parent(i) {
            let first = p * FANOUT + 1;
            for _ in 0..rng.usize(0..3) {
                if i > first {
                    let s = id(rng.usize(first..i));
                    if !deps.contains(&s) {
                        deps.push(s);
                    }
                }
            }
        }
        let (contract, fnames) = contract(&cid, deps, &mut rng);
        write(&project.layout.contract(&cid), &contract)?;
        let code = test_code(&cid, &fnames);
        let cases: Vec<Value> = (0..20)
            .map(|k| {
                let category = ["happy_path", "edge_case", "error_case", "invariant"][k % 4];
                json!({"id": format!("TC{:03}", k + 1), "description": format!("case {k} of {cid}"),
                    "function": fnames[k % fnames.len()], "category": category,
                    "input_values": {"value": k.to_string()}, "expected_output_description": "as specified",
                    "assertions": [format!("result of case {k} matches the contract")]})
            })
            .collect();
        let suite = json!({"component_id": cid, "contract_version": 1, "test_cases": cases,
            "test_language": "python", "generated_code": code});
        write(&project.layout.suite(&cid), &suite)?;
        std::fs::write(
            project.layout.tests_dir(&cid).join("contract_test.py"),
            &code,
        )?;
    }
    Ok(())
}

fn write(path: &Path, v: &Value) -> anyhow::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(path, serde_json::to_string_pretty(v)?)?;
    Ok(())
}

fn contract(cid: &str, deps: Vec<String>, rng: &mut fastrand::Rng) -> (Value, Vec<String>) {
    let t = |k: &str| format!("{}{k}", camel(cid));
    let types = json!([
        {"name": t("Record"), "kind": "struct", "description": "A record this component handles.", "fields": [
            {"name": "key", "type_ref": "str", "description": "Stable identifier."},
            {"name": "amount", "type_ref": "float", "validators": [{"kind": "range", "expression": "0 <= amount"}]},
            {"name": "tags", "type_ref": "list[str]", "required": false, "default": "[]"},
            {"name": "status", "type_ref": t("Status")},
            {"name": "meta", "type_ref": "Optional[dict[str, int]]", "required": false}]},
        {"name": t("Status"), "kind": "enum", "variants": ["new", "active", "closed"]},
        {"name": t("Batch"), "kind": "list", "item_type": t("Record")}
    ]);
    let count = 3 + rng.usize(0..2);
    let fnames: Vec<String> = (0..count)
        .map(|k| format!("{}_op{k}", cid.replace('-', "_")))
        .collect();
    let functions: Vec<Value> = fnames
        .iter()
        .enumerate()
        .map(|(k, f)| {
            json!({"name": f, "description": format!("Operation {k}: transforms records."),
                "inputs": [
                    {"name": "records", "type_ref": format!("list[{}]", t("Record"))},
                    {"name": "limit", "type_ref": "int", "required": false, "default": "10"},
                    {"name": "mode", "type_ref": format!("{} | None", t("Status"))}],
                "output_type": if k % 2 == 0 { t("Batch") } else { format!("dict[str, {}]", t("Record")) },
                "error_cases": [{"name": "InvalidLimit", "condition": "limit < 1", "error_type": "ValueError"}],
                "preconditions": ["limit >= 1"], "postconditions": ["len(result) <= limit"],
                "idempotent": true, "side_effects": []})
        })
        .collect();
    let c = json!({"component_id": cid, "name": format!("Component {cid}"),
        "description": "A synthetic component.", "version": 1, "types": types, "functions": functions,
        "dependencies": deps, "invariants": ["Never loses a record"]});
    (c, fnames)
}

fn camel(cid: &str) -> String {
    cid.split(['_', '-'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// ~240 lines of pytest that exercises every function with assertions, raises and helpers.
fn test_code(cid: &str, fnames: &[String]) -> String {
    let rec = format!("{}Record", camel(cid));
    let status = format!("{}Status", camel(cid));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\"\"\"Contract tests for component '{cid}' (contract v1).\"\"\"\nimport pytest\nfrom unittest.mock import MagicMock, patch\n\nfrom {cid} import *\n\n"
    );
    let _ = writeln!(
        s,
        "def _records(n):\n    return [{rec}(key=f\"k{{i}}\", amount=float(i), tags=[], status={status}.new) for i in range(n)]\n\n"
    );
    for k in 0..22 {
        let f = &fnames[k % fnames.len()];
        let _ = writeln!(s, "def test_tc{:03}_{f}_case_{k}():", k + 1);
        let _ = writeln!(s, "    \"\"\"TC{:03}: case {k} of {f}\"\"\"", k + 1);
        match k % 4 {
            0 => {
                let _ = writeln!(
                    s,
                    "    records = _records({})\n    result = {f}(records, limit=5, mode=None)\n    assert len(result) <= 5\n    assert all(r is not None for r in result)\n    total = sum(1 for _ in result)\n    assert total == len(result)\n    assert isinstance(result, (list, dict))\n",
                    k + 3
                );
            }
            1 => {
                let _ = writeln!(
                    s,
                    "    records = _records(0)\n    result = {f}(records, limit=1, mode={status}.active)\n    assert len(result) == 0\n    again = {f}(records, limit=1, mode={status}.active)\n    assert again == result\n    assert not result\n    assert result is not None\n"
                );
            }
            2 => {
                let _ = writeln!(
                    s,
                    "    records = _records(2)\n    with pytest.raises(ValueError):\n        {f}(records, limit=0, mode=None)\n    with pytest.raises(ValueError):\n        {f}(records, limit=-1, mode=None)\n    ok = {f}(records, limit=1, mode=None)\n    assert len(ok) <= 1\n"
                );
            }
            _ => {
                let _ = writeln!(
                    s,
                    "    records = _records(7)\n    first = {f}(records, limit=3, mode=None)\n    second = {f}(records, limit=3, mode=None)\n    assert first == second\n    assert len(first) <= 3\n    assert len(records) == 7\n    assert records[0].key == \"k0\"\n"
                );
            }
        }
    }
    s
}
