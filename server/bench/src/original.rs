//! Projects in the original's layout, generated the way the original's users' projects look
//! (`pact-bench … --shape original`): the seed layout under `.pact/`; a 7-ary decomposition tree
//! of named components; contracts written the way the original writes them (every field of its
//! models, defaults included, indented by two, so the original reads them and writes back the
//! same bytes; ~11.6 KB each) with a few types with fields and three to five functions with
//! inputs, output, preconditions, postconditions and error cases; a dependency DAG (mostly
//! children and siblings, ~6% long-range edges, which the gate reports as distant
//! dependencies); a suite of four cases per function whose generated code is a ~8.3 KB pytest
//! file (suite ~17.8 KB), the same code on disk as `contract_test.py`; plus what the original
//! writes next to them and no validator reads: the interface stub, the contract's history copy,
//! the run state and the audit log; and the tree as the original's decomposer saves it after the
//! contract phase, each node carrying a copy of its contract. At 1,000 components that is
//! ~70 MB on disk.
//!
//! Same `n` and seed, same bytes.

use serde_json::{Value, json};
use std::fmt::Write;
use std::path::{Path, PathBuf};

const FANOUT: usize = 7;
/// Share of components with one dependency outside their sibling/parent scope.
const LONG_RANGE: f64 = 0.06;
/// The history copy's name (`history/<timestamp>.json`); fixed so output is deterministic.
const HISTORY_STAMP: &str = "20250114_093012";

const AREAS: &[&str] = &[
    "invoice",
    "order",
    "payment",
    "customer",
    "inventory",
    "shipment",
    "catalog",
    "pricing",
    "account",
    "session",
    "ledger",
    "report",
    "audit",
    "schedule",
    "notification",
    "document",
    "search",
    "metric",
    "tenant",
    "policy",
    "quota",
    "billing",
    "refund",
    "subscription",
    "coupon",
    "review",
    "message",
    "webhook",
    "token",
    "job",
    "event",
    "export",
    "profile",
    "address",
    "warehouse",
    "supplier",
    "claim",
    "ticket",
    "asset",
    "vendor",
    "budget",
    "forecast",
    "shelf",
    "route",
    "carrier",
    "tax",
    "discount",
    "permission",
    "archive",
    "feed",
];

/// A role and what a component in it does ("<Does> <area> records …").
const ROLES: &[(&str, &str)] = &[
    ("parser", "Parses"),
    ("validator", "Validates"),
    ("store", "Persists"),
    ("index", "Indexes"),
    ("router", "Routes"),
    ("scheduler", "Schedules work on"),
    ("formatter", "Formats"),
    ("aggregator", "Aggregates"),
    ("normalizer", "Normalizes"),
    ("resolver", "Resolves references in"),
    ("planner", "Plans batches of"),
    ("tracker", "Tracks the state of"),
    ("exporter", "Exports"),
    ("importer", "Imports"),
    ("matcher", "Matches"),
    ("ranker", "Ranks"),
    ("notifier", "Sends notifications about"),
    ("reconciler", "Reconciles"),
    ("calculator", "Computes figures over"),
    ("gateway", "Fronts the external API for"),
    ("loader", "Loads"),
    ("registry", "Keeps the registry of"),
    ("monitor", "Monitors"),
    ("builder", "Builds"),
];

const STATUSES: &[&str] = &[
    "pending",
    "active",
    "suspended",
    "settled",
    "closed",
    "archived",
];

/// Where the original's files of one project are (the seed layout).
pub struct Paths {
    pub root: PathBuf,
}

impl Paths {
    pub fn pact(&self) -> PathBuf {
        self.root.join(".pact")
    }
    pub fn tree(&self) -> PathBuf {
        self.pact().join("decomposition/tree.json")
    }
    pub fn contract_dir(&self, cid: &str) -> PathBuf {
        self.pact().join("contracts").join(cid)
    }
    pub fn suite(&self, cid: &str) -> PathBuf {
        self.contract_dir(cid)
            .join("tests/contract_test_suite.json")
    }
    pub fn test_file(&self, cid: &str) -> PathBuf {
        self.contract_dir(cid).join("tests/contract_test.py")
    }
}

/// Bytes written, by kind (what `gen` prints and the unit tests check).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub contracts: u64,
    pub suites: u64,
    pub test_files: u64,
    /// tree.json, with its embedded copy of every contract.
    pub tree: u64,
    pub other: u64,
}

impl Sizes {
    pub fn total(&self) -> u64 {
        self.contracts + self.suites + self.test_files + self.tree + self.other
    }
}

/// One component of the tree.
struct Node {
    id: String,
    name: String,
    description: String,
    area: &'static str,
    /// CamelCase prefix of its type names.
    prefix: String,
}

fn parent(i: usize) -> Option<usize> {
    (i > 0).then(|| (i - 1) / FANOUT)
}

fn children(i: usize, n: usize) -> std::ops::Range<usize> {
    let first = (i * FANOUT + 1).min(n);
    first..(i * FANOUT + FANOUT + 1).min(n)
}

fn depth(i: usize) -> usize {
    std::iter::successors(parent(i), |p| parent(*p)).count()
}

/// Whether the gate counts `j` as within `i`'s scope: parent, sibling, child or uncle.
fn local(i: usize, j: usize) -> bool {
    let (pi, pj) = (parent(i), parent(j));
    Some(j) == pi || pi == pj || pj == Some(i) || (pj.is_some() && pj == pi.and_then(parent))
}

fn title(words: &str) -> String {
    words
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn camel(words: &str) -> String {
    title(words).replace(' ', "")
}

/// Names every component: `<area>_<role>`, with `_2`, `_3` … when a pair repeats.
fn plan(n: usize, rng: &mut fastrand::Rng) -> Vec<Node> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    (0..n)
        .map(|i| {
            let area = AREAS[rng.usize(..AREAS.len())];
            let (role, does) = if i == 0 {
                ("platform", "Composes the subsystems that handle")
            } else {
                ROLES[rng.usize(..ROLES.len())]
            };
            let base = format!("{area}_{role}");
            let k = seen.entry(base.clone()).or_insert(0);
            *k += 1;
            let id = if *k == 1 { base } else { format!("{base}_{k}") };
            let name = title(&id);
            let description = format!(
                "{does} {area} records for the {} subsystem, keeping each record's status and \
                 amounts consistent with the rules its callers rely on.",
                parent(i).map_or("whole", |_| area)
            );
            Node {
                prefix: camel(area),
                id,
                name,
                description,
                area,
            }
        })
        .collect()
}

/// `i`'s dependencies, all with a larger index (so the graph is a DAG): some of its children,
/// sometimes a later sibling, and rarely a component elsewhere in the tree.
fn dependencies(i: usize, n: usize, rng: &mut fastrand::Rng) -> Vec<usize> {
    let mut deps: Vec<usize> = children(i, n).collect();
    if !deps.is_empty() {
        rng.shuffle(&mut deps);
        let keep = rng.usize(1..=deps.len().min(4));
        deps.truncate(keep);
        deps.sort_unstable();
    }
    if let Some(p) = parent(i) {
        let last = children(p, n).end - 1;
        if i < last && rng.bool() {
            deps.push(rng.usize(i + 1..=last));
        }
    }
    if i + 1 < n && rng.f64() < LONG_RANGE {
        for _ in 0..8 {
            let j = rng.usize(i + 1..n);
            if !local(i, j) && !deps.contains(&j) {
                deps.push(j);
                break;
            }
        }
    }
    deps
}

/// The tree as the original's decomposer saves it once contracts are written: each node carries
/// its contract (`node.contract = contract`, then `save_tree`), so tree.json holds a second copy
/// of every contract. `contracts` is `None` for a tree saved before the contract phase.
fn tree_json(nodes: &[Node], contracts: Option<&[Value]>) -> Value {
    let n = nodes.len();
    let mut map = serde_json::Map::new();
    for (i, node) in nodes.iter().enumerate() {
        let contract = contracts.map_or(Value::Null, |c| c[i].clone());
        map.insert(
            node.id.clone(),
            json!({
                "component_id": node.id,
                "name": node.name,
                "description": node.description,
                "depth": depth(i),
                "parent_id": parent(i).map(|p| nodes[p].id.as_str()).unwrap_or_default(),
                "children": children(i, n).map(|c| nodes[c].id.as_str()).collect::<Vec<_>>(),
                "contract": contract,
                "implementation_status": "contracted",
                "test_results": null
            }),
        );
    }
    json!({"root_id": nodes[0].id, "nodes": map})
}

/// Writes an `n`-component project in the original's layout at `dir`.
pub fn generate(dir: &Path, n: usize, seed: u64) -> anyhow::Result<Sizes> {
    let n = n.max(2);
    let paths = Paths {
        root: dir.to_path_buf(),
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let nodes = plan(n, &mut rng);
    let mut sizes = Sizes::default();
    sizes.other += project_files(&paths, &nodes)?;
    let mut contracts = Vec::with_capacity(n);
    for i in 0..n {
        let node = &nodes[i];
        let deps: Vec<&str> = dependencies(i, n, &mut rng)
            .into_iter()
            .map(|j| nodes[j].id.as_str())
            .collect();
        let c = Component::new(node, &mut rng);
        let value = c.contract(node, &deps);
        let contract = pretty(&value)?;
        contracts.push(value);
        let dir = paths.contract_dir(&node.id);
        sizes.contracts += put(&dir.join("interface.json"), &contract)?;
        sizes.other += put(
            &dir.join(format!("history/{HISTORY_STAMP}.json")),
            &contract,
        )?;
        sizes.other += put(&dir.join("interface.py"), &c.stub(node, &deps))?;
        let (cases, code) = c.tests(node);
        let suite = json!({"component_id": node.id, "contract_version": 1, "test_cases": cases,
            "test_language": "python", "generated_code": code});
        sizes.suites += put(&paths.suite(&node.id), &pretty(&suite)?)?;
        sizes.test_files += put(&paths.test_file(&node.id), &code)?;
    }
    sizes.tree += put(
        &paths.tree(),
        &pretty(&tree_json(&nodes, Some(&contracts)))?,
    )?;
    Ok(sizes)
}

/// Writes the same project's tree and nothing else: every contract and suite is missing.
pub fn generate_tree_only(dir: &Path, n: usize, seed: u64) -> anyhow::Result<()> {
    let n = n.max(2);
    let paths = Paths {
        root: dir.to_path_buf(),
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let nodes = plan(n, &mut rng);
    project_files(&paths, &nodes)?;
    put(&paths.tree(), &pretty(&tree_json(&nodes, None))?)?;
    std::fs::create_dir_all(paths.pact().join("contracts"))?;
    Ok(())
}

/// Appends `lines` comment lines to one component's test code, in its suite and on disk alike
/// (the original writes the suite's code to the file). Returns that component's id.
pub fn append_comment_lines(dir: &Path, lines: usize) -> anyhow::Result<String> {
    let paths = Paths {
        root: dir.to_path_buf(),
    };
    let tree: Value = serde_json::from_str(&std::fs::read_to_string(paths.tree())?)?;
    let cid = tree["nodes"][tree["root_id"].as_str().unwrap_or_default()]["children"][0]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("the tree has no component below its root"))?
        .to_string();
    let mut suite: Value = serde_json::from_str(&std::fs::read_to_string(paths.suite(&cid))?)?;
    let mut code = suite["generated_code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for k in 0..lines {
        let _ = writeln!(
            code,
            "# note {k}: regenerate these tests from the contract, do not edit them by hand"
        );
    }
    suite["generated_code"] = Value::String(code.clone());
    put(&paths.suite(&cid), &pretty(&suite)?)?;
    put(&paths.test_file(&cid), &code)?;
    Ok(cid)
}

fn pretty(v: &Value) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(v)?)
}

fn put(path: &Path, text: &str) -> anyhow::Result<u64> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(path, text)?;
    Ok(text.len() as u64)
}

/// pact.yaml, task.md, sops.md, the run state, the audit log and the decomposition decisions.
fn project_files(paths: &Paths, nodes: &[Node]) -> anyhow::Result<u64> {
    let root = &nodes[0];
    let mut total = 0;
    total += put(
        &paths.root.join("pact.yaml"),
        "budget: 50.0\nplan_only: true\nlanguage: python\n",
    )?;
    total += put(
        &paths.root.join("task.md"),
        &format!(
            "# Task\n\nBuild {}: {}\n\nThe system has {} components; each keeps its records \
             consistent and reports problems instead of guessing.\n",
            root.name,
            root.description,
            nodes.len()
        ),
    )?;
    total += put(
        &paths.root.join("sops.md"),
        "# Standard operating procedures\n\n- Python 3.12, standard library only.\n- Every \
         public function validates its inputs and raises the documented error.\n- No network \
         access in tests.\n",
    )?;
    let tasks: Vec<Value> = nodes
        .iter()
        .rev()
        .map(
            |n| json!({"component_id": n.id, "status": "pending", "attempts": 0, "last_error": ""}),
        )
        .collect();
    let state = json!({"id": "bench0000001", "project_dir": paths.root.file_name()
            .and_then(|s| s.to_str()).unwrap_or("project"),
        "status": "paused", "phase": "decompose", "component_tasks": tasks,
        "total_cost_usd": 12.5, "total_tokens": 4_200_000, "created_at": "2025-01-14T09:00:00",
        "pause_reason": "Plan-only mode: decomposition and contracts complete."});
    total += put(&paths.pact().join("state.json"), &pretty(&state)?)?;
    let mut audit = String::new();
    let line = |action: &str, detail: String| {
        json!({"timestamp": "2025-01-14T09:30:12.000000", "action": action, "detail": detail})
            .to_string()
    };
    audit += &line("decomposition", format!("{} components", nodes.len()));
    audit.push('\n');
    for n in nodes.iter().rev() {
        audit += &line("contract", format!("{}: 5 functions", n.id));
        audit.push('\n');
        audit += &line("tests", format!("{}: 20 cases", n.id));
        audit.push('\n');
    }
    audit += &line(
        "validation",
        "PASSED: All contracts validated successfully".into(),
    );
    audit.push('\n');
    total += put(&paths.pact().join("audit.jsonl"), &audit)?;
    let decisions = json!([
        {"ambiguity": "How records are identified", "decision": "A string id, unique per area",
            "rationale": "Ids cross process boundaries and appear in logs"},
        {"ambiguity": "How amounts are represented", "decision": "float, never negative",
            "rationale": "Matches the upstream payloads"}
    ]);
    total += put(
        &paths.pact().join("decomposition/decisions.json"),
        &pretty(&decisions)?,
    )?;
    Ok(total)
}

// ── Contracts ──────────────────────────────────────────────────────────────────────────────

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Select,
    Summarize,
    Lookup,
    Transition,
    Check,
    Merge,
}

const KINDS: &[(Kind, &[&str], &str)] = &[
    (
        Kind::Select,
        &["select", "filter", "page", "rank"],
        "records",
    ),
    (
        Kind::Summarize,
        &["summarize", "aggregate", "tally"],
        "totals",
    ),
    (Kind::Lookup, &["find", "get", "lookup"], "record"),
    (Kind::Transition, &["transition", "advance"], "status"),
    (Kind::Check, &["check", "validate"], "config"),
    (Kind::Merge, &["merge", "combine", "reconcile"], "batches"),
];

struct Func {
    kind: Kind,
    name: String,
}

/// One component's contract, decided once and rendered as interface.json, stub and tests.
struct Component {
    funcs: Vec<Func>,
    statuses: Vec<&'static str>,
}

fn field(
    name: &str,
    ty: &str,
    required: bool,
    default: &str,
    desc: &str,
    validators: Value,
) -> Value {
    json!({"name": name, "type_ref": ty, "required": required, "default": default,
        "description": desc, "validators": validators})
}

fn validator(kind: &str, expression: &str, message: &str) -> Value {
    json!({"kind": kind, "expression": expression, "error_message": message})
}

fn type_spec(
    name: &str,
    kind: &str,
    fields: Vec<Value>,
    item_type: &str,
    variants: &[&str],
    inner: &[&str],
    desc: &str,
) -> Value {
    json!({"name": name, "kind": kind, "fields": fields, "item_type": item_type,
        "variants": variants, "inner_types": inner, "description": desc})
}

fn error_case(name: &str, condition: &str, error_type: &str) -> Value {
    json!({"name": name, "condition": condition, "error_type": error_type, "error_data": {}})
}

impl Component {
    fn has(&self, kind: Kind) -> bool {
        self.funcs.iter().any(|f| f.kind == kind)
    }

    fn new(node: &Node, rng: &mut fastrand::Rng) -> Self {
        let mut pairs: Vec<(Kind, &str, &str)> = KINDS
            .iter()
            .flat_map(|(k, verbs, obj)| verbs.iter().map(move |v| (*k, *v, *obj)))
            .collect();
        rng.shuffle(&mut pairs);
        let mut funcs: Vec<Func> = Vec::new();
        let count = rng.usize(3..=5);
        // One function of each kind at most, so every name reads naturally.
        for (kind, verb, obj) in pairs {
            if funcs.len() == count {
                break;
            }
            if funcs.iter().any(|f| f.kind == kind) {
                continue;
            }
            funcs.push(Func {
                kind,
                name: format!("{verb}_{}_{obj}", node.area),
            });
        }
        let take = rng.usize(4..=STATUSES.len());
        Component {
            funcs,
            statuses: STATUSES[..take].to_vec(),
        }
    }

    fn contract(&self, node: &Node, deps: &[&str]) -> Value {
        let p = &node.prefix;
        let area = node.area;
        let rec = format!("{p}Record");
        let status = format!("{p}Status");
        let none = || json!([]);
        let mut types = vec![
            type_spec(
                &rec,
                "struct",
                vec![
                    field(
                        "id",
                        "str",
                        true,
                        "",
                        &format!(
                            "Stable identifier of the {area} record, unique within the {area} area."
                        ),
                        json!([validator(
                            "length",
                            "1 <= len(id) <= 64",
                            "id must be 1 to 64 characters"
                        )]),
                    ),
                    field(
                        "amount",
                        "float",
                        true,
                        "",
                        "Monetary amount in the account currency; never negative.",
                        json!([validator(
                            "range",
                            "amount >= 0",
                            "amount must not be negative"
                        )]),
                    ),
                    field(
                        "created_at",
                        "str",
                        true,
                        "",
                        "ISO-8601 timestamp (UTC) of when the record was created.",
                        none(),
                    ),
                    field(
                        "status",
                        &status,
                        true,
                        "",
                        "Lifecycle status of the record.",
                        none(),
                    ),
                    field(
                        "tags",
                        "list[str]",
                        false,
                        "[]",
                        "Free-form labels used for filtering.",
                        none(),
                    ),
                    field(
                        "metadata",
                        "dict[str, str]",
                        false,
                        "{}",
                        "Opaque key/value pairs carried through unchanged.",
                        none(),
                    ),
                ],
                "",
                &[],
                &[],
                &format!("One {area} record as it moves through the system."),
            ),
            type_spec(
                &status,
                "enum",
                vec![],
                "",
                &self.statuses,
                &[],
                &format!(
                    "Lifecycle states of a {area} record, in the order they are normally reached."
                ),
            ),
        ];
        if self.has(Kind::Select) {
            types.push(type_spec(
                &format!("{p}Query"),
                "struct",
                vec![
                    field(
                        "filters",
                        "dict[str, str]",
                        false,
                        "{}",
                        "Field name to required value; all must match.",
                        none(),
                    ),
                    field(
                        "limit",
                        "int",
                        false,
                        "100",
                        "Maximum number of records to return.",
                        json!([validator(
                            "range",
                            "1 <= limit <= 1000",
                            "limit must be between 1 and 1000"
                        )]),
                    ),
                    field(
                        "offset",
                        "int",
                        false,
                        "0",
                        "Number of matching records to skip.",
                        json!([validator(
                            "range",
                            "offset >= 0",
                            "offset must not be negative"
                        )]),
                    ),
                    field(
                        "order_by",
                        "str",
                        false,
                        "id",
                        "Field of the record to sort by.",
                        none(),
                    ),
                    field(
                        "descending",
                        "bool",
                        false,
                        "False",
                        "Sort from largest to smallest.",
                        none(),
                    ),
                ],
                "",
                &[],
                &[],
                &format!("Selection, ordering and paging of {area} records."),
            ));
        }
        if self.has(Kind::Select) || self.has(Kind::Merge) {
            types.push(type_spec(
                &format!("{p}RecordList"),
                "list",
                vec![],
                &rec,
                &[],
                &[],
                &format!("An ordered batch of {area} records."),
            ));
        }
        if self.has(Kind::Summarize) {
            types.push(type_spec(
                &format!("{p}Summary"),
                "struct",
                vec![
                    field(
                        "count",
                        "int",
                        true,
                        "",
                        "Number of records summarized.",
                        none(),
                    ),
                    field(
                        "total",
                        "float",
                        true,
                        "",
                        "Sum of the records' amounts.",
                        none(),
                    ),
                    field(
                        "by_status",
                        "dict[str, int]",
                        true,
                        "",
                        "Number of records per status value.",
                        none(),
                    ),
                    field(
                        "warnings",
                        "list[str]",
                        false,
                        "[]",
                        "Human-readable notes about skipped or suspicious records.",
                        none(),
                    ),
                ],
                "",
                &[],
                &[],
                &format!("Totals over a batch of {area} records."),
            ));
        }
        if self.has(Kind::Check) {
            types.push(type_spec(
                &format!("{p}Config"),
                "struct",
                vec![
                    field(
                        "max_batch_size",
                        "int",
                        false,
                        "500",
                        "Largest batch processed in one call.",
                        json!([validator(
                            "range",
                            "max_batch_size >= 1",
                            "max_batch_size must be at least 1"
                        )]),
                    ),
                    field(
                        "retry_limit",
                        "int",
                        false,
                        "3",
                        "How many times a failed step is retried.",
                        json!([validator(
                            "range",
                            "retry_limit >= 0",
                            "retry_limit must not be negative"
                        )]),
                    ),
                    field(
                        "timeout_seconds",
                        "float",
                        false,
                        "30.0",
                        "Time budget of one call.",
                        none(),
                    ),
                    field(
                        "strict_mode",
                        "bool",
                        false,
                        "False",
                        "Reject records with unknown fields instead of dropping them.",
                        none(),
                    ),
                    field(
                        "allowed_statuses",
                        &format!("list[{status}]"),
                        false,
                        "[]",
                        "Statuses accepted on input; empty means all.",
                        none(),
                    ),
                ],
                "",
                &[],
                &[],
                &format!("Settings of the {area} component, read once at start-up."),
            ));
        }
        let functions: Vec<Value> = self.funcs.iter().map(|f| self.function(f, node)).collect();
        json!({
            "component_id": node.id, "name": node.name, "description": node.description,
            "version": 1, "types": types, "functions": functions, "dependencies": deps,
            "dependency_contracts": {},
            "invariants": [
                format!("Every {area} record keeps its id for its whole lifetime."),
                format!("Functions never mutate the {rec} values they are given."),
            ],
            "requires": []
        })
    }

    fn function(&self, f: &Func, node: &Node) -> Value {
        let p = &node.prefix;
        let area = node.area;
        let rec = format!("{p}Record");
        let list_in = || {
            field(
                "records",
                &format!("list[{rec}]"),
                true,
                "",
                &format!("The {area} records to work on, in any order."),
                json!([]),
            )
        };
        let none = || json!([]);
        let perf = |ms: u32, complexity: &str| json!({"p95_latency_ms": ms, "max_memory_mb": null, "complexity": complexity});
        let (desc, inputs, output, errors, pre, post, idempotent, effects, structured, budget) =
            match f.kind {
                Kind::Select => (
                    format!(
                        "Return the {area} records that match the query's filters, sorted by query.order_by and paged by offset and limit."
                    ),
                    vec![
                        list_in(),
                        field(
                            "query",
                            &format!("{p}Query"),
                            true,
                            "",
                            "Which records to return and in what order.",
                            none(),
                        ),
                        field(
                            "include_archived",
                            "bool",
                            false,
                            "False",
                            "Also consider archived records.",
                            none(),
                        ),
                    ],
                    format!("{p}RecordList"),
                    vec![error_case("InvalidLimit", "query.limit < 1", "ValueError")],
                    vec![
                        "query.limit >= 1".to_string(),
                        "query.offset >= 0".to_string(),
                    ],
                    vec![
                        "len(result) <= query.limit".to_string(),
                        "every record in result is one of records".to_string(),
                    ],
                    true,
                    vec![],
                    vec![],
                    perf(50, "O(n log n)"),
                ),
                Kind::Summarize => (
                    format!(
                        "Count and total a batch of {area} records, grouped by a field of the record."
                    ),
                    vec![
                        list_in(),
                        field(
                            "group_by",
                            "str",
                            false,
                            "status",
                            "Field of the record to group counts by.",
                            none(),
                        ),
                    ],
                    format!("{p}Summary"),
                    vec![error_case(
                        "UnknownGroupField",
                        "group_by is not a field of the record",
                        "KeyError",
                    )],
                    vec!["group_by names a field of the record".to_string()],
                    vec![
                        "result.count == len(records)".to_string(),
                        "sum(result.by_status.values()) == result.count".to_string(),
                    ],
                    true,
                    vec![],
                    vec![],
                    Value::Null,
                ),
                Kind::Lookup => (
                    format!(
                        "Find the {area} record with the given id, or None when there is none."
                    ),
                    vec![
                        list_in(),
                        field(
                            "record_id",
                            "str",
                            true,
                            "",
                            "Id of the record to find.",
                            json!([validator(
                                "length",
                                "len(record_id) >= 1",
                                "record_id must not be empty"
                            )]),
                        ),
                    ],
                    format!("Optional[{rec}]"),
                    vec![error_case("EmptyId", "record_id == ''", "ValueError")],
                    vec!["record_id != ''".to_string()],
                    vec!["result is None or result.id == record_id".to_string()],
                    true,
                    vec![],
                    vec![],
                    Value::Null,
                ),
                Kind::Transition => (
                    format!(
                        "Move a {area} record to another status, returning the updated copy and leaving the input unchanged."
                    ),
                    vec![
                        field("record", &rec, true, "", "The record to move.", none()),
                        field(
                            "target",
                            &format!("{p}Status"),
                            true,
                            "",
                            "The status to move it to.",
                            none(),
                        ),
                        field(
                            "reason",
                            "str",
                            false,
                            "",
                            "Why, recorded in the audit log.",
                            none(),
                        ),
                    ],
                    rec.clone(),
                    vec![error_case(
                        "IllegalTransition",
                        "target comes before record.status in the lifecycle",
                        &format!("{p}TransitionError"),
                    )],
                    vec!["record.status is a known status".to_string()],
                    vec![
                        "result.status == target".to_string(),
                        "result.id == record.id".to_string(),
                        "record is unchanged".to_string(),
                    ],
                    false,
                    vec![format!("Appends a status change to the {area} audit log")],
                    vec![
                        json!({"kind": "logging", "target": format!("{area} audit log"), "description": "One line per transition"}),
                    ],
                    Value::Null,
                ),
                Kind::Check => (
                    format!(
                        "Check a {area} configuration and return one message per problem; an empty list means it is usable."
                    ),
                    vec![field(
                        "config",
                        &format!("{p}Config"),
                        true,
                        "",
                        "The configuration to check.",
                        none(),
                    )],
                    "list[str]".to_string(),
                    vec![error_case("MissingConfig", "config is None", "TypeError")],
                    vec![],
                    vec!["result == [] exactly when the configuration is usable".to_string()],
                    true,
                    vec![],
                    vec![],
                    Value::Null,
                ),
                Kind::Merge => (
                    format!(
                        "Merge two batches of {area} records into one, keeping one record per id."
                    ),
                    vec![
                        field(
                            "left",
                            &format!("{p}RecordList"),
                            true,
                            "",
                            "The first batch.",
                            none(),
                        ),
                        field(
                            "right",
                            &format!("{p}RecordList"),
                            true,
                            "",
                            "The second batch; wins on conflicts by default.",
                            none(),
                        ),
                        field(
                            "prefer",
                            "str",
                            false,
                            "right",
                            "Which side wins when the same id differs: 'left', 'right' or 'none'.",
                            none(),
                        ),
                    ],
                    format!("{p}RecordList"),
                    vec![error_case(
                        "ConflictingRecords",
                        "the same id has different amounts and prefer == 'none'",
                        "ValueError",
                    )],
                    vec!["prefer in ('left', 'right', 'none')".to_string()],
                    vec![
                        "the ids of result are the union of the ids of left and right".to_string(),
                    ],
                    true,
                    vec![],
                    vec![],
                    Value::Null,
                ),
            };
        json!({"name": f.name, "description": desc, "inputs": inputs, "output_type": output,
            "error_cases": errors, "preconditions": pre, "postconditions": post,
            "idempotent": idempotent, "side_effects": effects,
            "structured_side_effects": structured, "performance_budget": budget})
    }

    /// The interface stub the original writes next to the contract (`interface.py`), from the
    /// rendered contract, in the original's format.
    fn stub(&self, node: &Node, deps: &[&str]) -> String {
        let c = self.contract(node, deps);
        let mut s = String::new();
        let _ = writeln!(s, "# === {} ({}) v1 ===", node.name, node.id);
        if !deps.is_empty() {
            let _ = writeln!(s, "#  Dependencies: {}", deps.join(", "));
        }
        let _ = writeln!(s, "# {}\n\n# Module invariants:", node.description);
        for inv in c["invariants"].as_array().into_iter().flatten() {
            let _ = writeln!(s, "#   - {}", inv.as_str().unwrap_or_default());
        }
        s.push('\n');
        let mut exports = Vec::new();
        for t in c["types"].as_array().into_iter().flatten() {
            let name = t["name"].as_str().unwrap_or_default();
            exports.push(name.to_string());
            let desc = t["description"].as_str().unwrap_or_default();
            match t["kind"].as_str().unwrap_or_default() {
                "enum" => {
                    let _ = writeln!(s, "class {name}(Enum):\n    \"\"\"{desc}\"\"\"");
                    for v in t["variants"].as_array().into_iter().flatten() {
                        let v = v.as_str().unwrap_or_default();
                        let _ = writeln!(s, "    {v} = \"{v}\"");
                    }
                }
                "list" => {
                    let _ = writeln!(
                        s,
                        "{name} = list[{}]\n# {desc}",
                        t["item_type"].as_str().unwrap_or_default()
                    );
                }
                _ => {
                    let _ = writeln!(s, "class {name}:\n    \"\"\"{desc}\"\"\"");
                    for f in t["fields"].as_array().into_iter().flatten() {
                        let mut decl = format!(
                            "{}: {}",
                            f["name"].as_str().unwrap_or_default(),
                            f["type_ref"].as_str().unwrap_or_default()
                        );
                        let default = f["default"].as_str().unwrap_or_default();
                        if !default.is_empty() {
                            decl += &format!(" = {default}");
                        }
                        let req = if f["required"].as_bool().unwrap_or(true) {
                            "required"
                        } else {
                            "optional"
                        };
                        let _ = writeln!(
                            s,
                            "    {decl:<40} # {req}, {}{}",
                            validators(f),
                            f["description"].as_str().unwrap_or_default()
                        );
                    }
                }
            }
            s.push('\n');
        }
        for f in c["functions"].as_array().into_iter().flatten() {
            let name = f["name"].as_str().unwrap_or_default();
            exports.push(name.to_string());
            let _ = writeln!(s, "def {name}(");
            for i in f["inputs"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    s,
                    "    {}: {},",
                    i["name"].as_str().unwrap_or_default(),
                    i["type_ref"].as_str().unwrap_or_default()
                );
            }
            let _ = writeln!(
                s,
                ") -> {}:\n    \"\"\"\n    {}\n",
                f["output_type"].as_str().unwrap_or_default(),
                f["description"].as_str().unwrap_or_default()
            );
            for (title, key) in [
                ("Preconditions", "preconditions"),
                ("Postconditions", "postconditions"),
            ] {
                let items = f[key].as_array().cloned().unwrap_or_default();
                if !items.is_empty() {
                    let _ = writeln!(s, "    {title}:");
                    for it in items {
                        let _ = writeln!(s, "      - {}", it.as_str().unwrap_or_default());
                    }
                    s.push('\n');
                }
            }
            let _ = writeln!(s, "    Errors:");
            for e in f["error_cases"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    s,
                    "      - {} ({}): {}",
                    e["name"].as_str().unwrap_or_default(),
                    e["error_type"].as_str().unwrap_or_default(),
                    e["condition"].as_str().unwrap_or_default()
                );
            }
            let idem = if f["idempotent"].as_bool().unwrap_or(false) {
                "yes"
            } else {
                "no"
            };
            let effects: Vec<&str> = f["side_effects"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str())
                .collect();
            let effects = if effects.is_empty() {
                "none".to_string()
            } else {
                effects.join(", ")
            };
            let _ = writeln!(
                s,
                "\n    Side effects: {effects}\n    Idempotent: {idem}\n    \"\"\"\n    ...\n"
            );
        }
        let _ = writeln!(
            s,
            "# ── REQUIRED EXPORTS ──────────────────────────────────\n# Your implementation module MUST export ALL of these names\n# with EXACTLY these spellings. Tests import them by name.\n# __all__ = {exports:?}"
        );
        s
    }

    /// The suite's test cases and its generated pytest code: four cases per function.
    fn tests(&self, node: &Node) -> (Vec<Value>, String) {
        let p = &node.prefix;
        let cid = &node.id;
        let first = self.statuses[0];
        let second = self.statuses[1];
        let last = self.statuses[self.statuses.len() - 1];
        let mut code = String::new();
        let _ = write!(
            code,
            r#""""Contract tests for component '{cid}' (contract v1).

Generated from the contract: {n} test cases over {m} functions. Each test calls the
component through its public interface only.

Functions under test: {fnames}.
"""
import pytest
from unittest.mock import MagicMock, patch

from {cid} import *


def _record(key, amount=1.0, status=None, tags=None):
    return {p}Record(
        id=key,
        amount=amount,
        created_at="2024-01-01T00:00:00Z",
        status=status or {p}Status.{first},
        tags=list(tags or []),
        metadata={{}},
    )


def _records(n, status=None):
    return [_record(f"r{{i:03d}}", amount=float(i) + 0.5, status=status) for i in range(n)]
"#,
            n = self.funcs.len() * 4,
            m = self.funcs.len(),
            fnames = self
                .funcs
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        if self.has(Kind::Select) {
            let _ = write!(
                code,
                "\n\ndef _query(limit=10, offset=0, order_by=\"id\", descending=False):\n    return {p}Query(filters={{}}, limit=limit, offset=offset, order_by=order_by, descending=descending)\n"
            );
        }
        if self.has(Kind::Check) {
            let _ = write!(
                code,
                "\n\ndef _config(**overrides):\n    values = dict(max_batch_size=500, retry_limit=3, timeout_seconds=30.0, strict_mode=False, allowed_statuses=[])\n    values.update(overrides)\n    return {p}Config(**values)\n"
            );
        }
        code += "\n\n@pytest.fixture\ndef records():\n    return _records(5)\n";
        let mut cases = Vec::new();
        let mut k = 0;
        for f in &self.funcs {
            let fname = f.name.as_str();
            for category in ["happy_path", "edge_case", "error_case", "invariant"] {
                k += 1;
                let t = test_case(f.kind, category, fname, p, [first, second, last]);
                let _ = write!(
                    code,
                    "\n\ndef test_tc{k:03}_{fname}_{}({}):\n    \"\"\"TC{k:03}: {}.\n\n    Category: {category}. Input: {}.\n    Expected: {}.\n    \"\"\"\n    # Checks: {}\n{}",
                    t.slug,
                    if t.uses_fixture { "records" } else { "" },
                    t.description,
                    t.inputs
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if t.error.is_empty() {
                        t.expected.clone()
                    } else {
                        format!("raises {}", t.error)
                    },
                    t.assertions.join("; "),
                    t.body
                );
                cases.push(json!({
                    "id": format!("TC{k:03}"), "description": t.description, "function": fname,
                    "category": category, "setup_description": t.setup, "mock_dependencies": {},
                    "input_values": t.inputs, "input_description": t.input_description,
                    "expected_output_description": t.expected, "expected_error": t.error,
                    "assertions": t.assertions
                }));
            }
        }
        (cases, code)
    }
}

struct Case {
    slug: &'static str,
    description: String,
    uses_fixture: bool,
    body: String,
    setup: &'static str,
    inputs: Value,
    input_description: String,
    expected: String,
    error: String,
    assertions: Vec<String>,
}

/// `kind(expression), ` for each validator of a field, as the stub shows them.
fn validators(field: &Value) -> String {
    field["validators"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            format!(
                "{}({}), ",
                v["kind"].as_str().unwrap_or_default(),
                v["expression"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// One test of `f`: its pytest function body and its test-case record.
fn test_case(
    kind: Kind,
    category: &str,
    f: &str,
    p: &str,
    [first, second, last]: [&str; 3],
) -> Case {
    let five = "Five records r000..r004 with amounts 0.5..4.5";
    let case = |slug,
                description: String,
                uses_fixture,
                body: String,
                inputs: Value,
                expected: &str,
                error: &str,
                assertions: &[&str]| Case {
        slug,
        description,
        uses_fixture,
        body,
        setup: if uses_fixture {
            five
        } else {
            "Records built with _record(); no fixture"
        },
        input_description: inputs
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
        inputs,
        expected: expected.to_string(),
        error: error.to_string(),
        assertions: assertions.iter().map(|a| a.to_string()).collect(),
    };
    match (kind, category) {
        (Kind::Select, "happy_path") => case(
            "respects_limit",
            format!("{f} returns at most query.limit matching records"),
            true,
            format!(
                "    result = {f}(records, _query(limit=3))\n    assert len(result) <= 3\n    assert all(isinstance(r, {p}Record) for r in result)\n    ids = [r.id for r in result]\n    assert len(ids) == len(set(ids))\n    assert set(ids) <= {{r.id for r in records}}\n"
            ),
            json!({"records": "five records", "query": "limit=3"}),
            "At most three records, all from the input, no duplicates",
            "",
            &[
                "len(result) <= 3",
                "ids are unique",
                "ids are a subset of the input ids",
            ],
        ),
        (Kind::Select, "edge_case") => case(
            "empty_input",
            format!("{f} on an empty batch returns an empty batch"),
            false,
            format!(
                "    result = {f}([], _query())\n    assert list(result) == []\n    result = {f}(_records(2), _query(offset=5))\n    assert list(result) == []\n"
            ),
            json!({"records": "[]", "query": "defaults"}),
            "An empty list",
            "",
            &["result == []"],
        ),
        (Kind::Select, "error_case") => case(
            "rejects_zero_limit",
            format!("{f} rejects a query whose limit is below one"),
            true,
            format!("    with pytest.raises(ValueError):\n        {f}(records, _query(limit=0))\n"),
            json!({"records": "five records", "query": "limit=0"}),
            "",
            "ValueError",
            &["raises ValueError"],
        ),
        (Kind::Select, _) => case(
            "is_deterministic",
            format!("{f} gives the same answer for the same input and leaves it unchanged"),
            true,
            format!(
                "    first = {f}(records, _query(limit=5))\n    second = {f}(records, _query(limit=5))\n    assert [r.id for r in first] == [r.id for r in second]\n    assert len(records) == 5\n"
            ),
            json!({"records": "five records", "query": "limit=5"}),
            "Identical results; input unchanged",
            "",
            &["first == second", "len(records) == 5"],
        ),
        (Kind::Summarize, "happy_path") => case(
            "counts_and_totals",
            format!("{f} counts the records and totals their amounts"),
            true,
            format!(
                "    result = {f}(records)\n    assert result.count == len(records)\n    assert result.total == pytest.approx(sum(r.amount for r in records))\n    assert sum(result.by_status.values()) == result.count\n"
            ),
            json!({"records": "five records"}),
            "count 5, total 12.5",
            "",
            &["result.count == 5", "result.total == 12.5"],
        ),
        (Kind::Summarize, "edge_case") => case(
            "empty_batch",
            format!("{f} of an empty batch is all zeros"),
            false,
            format!(
                "    result = {f}([])\n    assert result.count == 0\n    assert result.total == 0\n    assert result.by_status == {{}}\n"
            ),
            json!({"records": "[]"}),
            "count 0, total 0, no groups",
            "",
            &["result.count == 0", "result.by_status == {}"],
        ),
        (Kind::Summarize, "error_case") => case(
            "unknown_group_field",
            format!("{f} rejects grouping by a field the record does not have"),
            true,
            format!(
                "    with pytest.raises(KeyError):\n        {f}(records, group_by=\"no_such_field\")\n"
            ),
            json!({"records": "five records", "group_by": "no_such_field"}),
            "",
            "KeyError",
            &["raises KeyError"],
        ),
        (Kind::Summarize, _) => case(
            "count_follows_input",
            format!("{f} counts one more when one more record is given"),
            true,
            format!(
                "    before = {f}(records).count\n    after = {f}(records + [_record(\"extra\")]).count\n    assert after == before + 1\n"
            ),
            json!({"records": "five records, then six"}),
            "count grows by one",
            "",
            &["after == before + 1"],
        ),
        (Kind::Lookup, "happy_path") => case(
            "finds_by_id",
            format!("{f} finds a record by its id"),
            true,
            format!(
                "    found = {f}(records, \"r002\")\n    assert found is not None\n    assert found.id == \"r002\"\n    assert found.amount == pytest.approx(2.5)\n"
            ),
            json!({"records": "five records", "record_id": "r002"}),
            "The record r002",
            "",
            &["found.id == 'r002'"],
        ),
        (Kind::Lookup, "edge_case") => case(
            "missing_id",
            format!("{f} returns None for an id that is not there"),
            true,
            format!(
                "    assert {f}(records, \"missing\") is None\n    assert {f}([], \"r000\") is None\n"
            ),
            json!({"records": "five records", "record_id": "missing"}),
            "None",
            "",
            &["result is None"],
        ),
        (Kind::Lookup, "error_case") => case(
            "empty_id",
            format!("{f} rejects an empty id"),
            true,
            format!("    with pytest.raises(ValueError):\n        {f}(records, \"\")\n"),
            json!({"records": "five records", "record_id": "''"}),
            "",
            "ValueError",
            &["raises ValueError"],
        ),
        (Kind::Lookup, _) => case(
            "every_record_found",
            format!("{f} finds every record of the batch"),
            true,
            format!(
                "    for record in records:\n        found = {f}(records, record.id)\n        assert found is not None\n        assert found.id == record.id\n"
            ),
            json!({"records": "five records"}),
            "Each record is found",
            "",
            &["found.id == record.id for each record"],
        ),
        (Kind::Transition, "happy_path") => case(
            "moves_forward",
            format!("{f} moves a record to a later status"),
            false,
            format!(
                "    moved = {f}(_record(\"r001\"), {p}Status.{second}, reason=\"approved\")\n    assert moved.status == {p}Status.{second}\n    assert moved.id == \"r001\"\n"
            ),
            json!({"record": "r001 in the first status", "target": second, "reason": "approved"}),
            &format!("r001 with status {second}"),
            "",
            &[&format!("moved.status == {second}"), "moved.id == 'r001'"],
        ),
        (Kind::Transition, "edge_case") => case(
            "same_status",
            format!("{f} to the current status changes nothing"),
            false,
            format!(
                "    record = _record(\"r001\")\n    moved = {f}(record, {p}Status.{first})\n    assert moved.status == record.status\n    assert moved.amount == record.amount\n"
            ),
            json!({"record": "r001", "target": first}),
            "An equal record",
            "",
            &["moved.status == record.status"],
        ),
        (Kind::Transition, "error_case") => case(
            "rejects_going_back",
            format!("{f} refuses to move a record back to an earlier status"),
            false,
            format!(
                "    with pytest.raises({p}TransitionError):\n        {f}(_record(\"r001\", status={p}Status.{last}), {p}Status.{first}, reason=\"reopen\")\n"
            ),
            json!({"record": format!("r001 in {last}"), "target": first}),
            "",
            &format!("{p}TransitionError"),
            &[&format!("raises {p}TransitionError")],
        ),
        (Kind::Transition, _) => case(
            "input_unchanged",
            format!("{f} leaves the record it was given unchanged"),
            false,
            format!(
                "    record = _record(\"r001\")\n    {f}(record, {p}Status.{second})\n    assert record.status == {p}Status.{first}\n"
            ),
            json!({"record": "r001", "target": second}),
            "The input keeps its status",
            "",
            &[&format!("record.status == {first}")],
        ),
        (Kind::Check, "happy_path") => case(
            "accepts_defaults",
            format!("{f} accepts the default configuration"),
            false,
            format!("    assert {f}(_config()) == []\n"),
            json!({"config": "defaults"}),
            "No messages",
            "",
            &["result == []"],
        ),
        (Kind::Check, "edge_case") => case(
            "smallest_batch",
            format!("{f} accepts a batch size of one"),
            false,
            format!(
                "    messages = {f}(_config(max_batch_size=1))\n    assert isinstance(messages, list)\n    assert messages == []\n"
            ),
            json!({"config": "max_batch_size=1"}),
            "No messages",
            "",
            &["result == []"],
        ),
        (Kind::Check, "error_case") => case(
            "rejects_none",
            format!("{f} rejects a missing configuration"),
            false,
            format!("    with pytest.raises(TypeError):\n        {f}(None)\n"),
            json!({"config": "None"}),
            "",
            "TypeError",
            &["raises TypeError"],
        ),
        (Kind::Check, _) => case(
            "reports_each_problem",
            format!("{f} reports a negative retry limit as text"),
            false,
            format!(
                "    messages = {f}(_config(retry_limit=-1))\n    assert messages\n    assert all(isinstance(m, str) for m in messages)\n"
            ),
            json!({"config": "retry_limit=-1"}),
            "At least one message",
            "",
            &["len(result) >= 1"],
        ),
        (Kind::Merge, "happy_path") => case(
            "union_of_ids",
            format!("{f} keeps one record per id from both batches"),
            true,
            format!(
                "    merged = {f}(records[:3], records[2:])\n    assert sorted(r.id for r in merged) == sorted({{r.id for r in records}})\n"
            ),
            json!({"left": "r000..r002", "right": "r002..r004"}),
            "r000..r004 once each",
            "",
            &["ids == union of ids"],
        ),
        (Kind::Merge, "edge_case") => case(
            "empty_side",
            format!("{f} with an empty batch returns the other batch"),
            true,
            format!(
                "    merged = {f}(records, [])\n    assert [r.id for r in merged] == [r.id for r in records]\n"
            ),
            json!({"left": "five records", "right": "[]"}),
            "The left batch",
            "",
            &["ids == left ids"],
        ),
        (Kind::Merge, "error_case") => case(
            "conflict_without_preference",
            format!("{f} rejects conflicting records when no side is preferred"),
            false,
            format!(
                "    with pytest.raises(ValueError):\n        {f}([_record(\"r001\", amount=1.0)], [_record(\"r001\", amount=2.0)], prefer=\"none\")\n"
            ),
            json!({"left": "r001 amount 1.0", "right": "r001 amount 2.0", "prefer": "none"}),
            "",
            "ValueError",
            &["raises ValueError"],
        ),
        (Kind::Merge, _) => case(
            "ids_commute",
            format!("{f} gives the same ids whichever batch comes first"),
            true,
            format!(
                "    one = {{r.id for r in {f}(records[:2], records[1:])}}\n    two = {{r.id for r in {f}(records[1:], records[:2])}}\n    assert one == two\n"
            ),
            json!({"left": "r000..r001", "right": "r001..r004"}),
            "Same ids both ways",
            "",
            &["ids(a, b) == ids(b, a)"],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
                    out.push((rel, std::fs::read(e.path()).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn same_seed_same_bytes() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        generate(&a.path().join("p"), 60, 7).unwrap();
        generate(&b.path().join("p"), 60, 7).unwrap();
        assert_eq!(read_all(&a.path().join("p")), read_all(&b.path().join("p")));
        let c = tempfile::tempdir().unwrap();
        generate(&c.path().join("p"), 60, 8).unwrap();
        assert_ne!(read_all(&a.path().join("p")), read_all(&c.path().join("p")));
    }

    #[test]
    fn sizes_and_layout_match_the_originals_users_projects() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        let n = 400;
        let sizes = generate(&dir, n, 42).unwrap();
        let per = |b: u64| b as f64 / n as f64 / 1000.0;
        // interface.json ~11.6 KB, suite ~17.8 KB, contract_test.py ~8.3 KB, the tree's copy
        // of the contract ~15 KB (indented deeper), ~70 KB in all.
        assert!((10.4..12.8).contains(&per(sizes.contracts)), "{sizes:?}");
        assert!((16.0..19.6).contains(&per(sizes.suites)), "{sizes:?}");
        assert!((7.5..9.1).contains(&per(sizes.test_files)), "{sizes:?}");
        assert!((13.0..17.0).contains(&per(sizes.tree)), "{sizes:?}");
        assert!((63.0..77.0).contains(&per(sizes.total())), "{sizes:?}");

        let paths = Paths { root: dir.clone() };
        let tree: Value = serde_json::from_slice(&std::fs::read(paths.tree()).unwrap()).unwrap();
        let nodes = tree["nodes"].as_object().unwrap();
        assert_eq!(nodes.len(), n);
        let root = tree["root_id"].as_str().unwrap();
        assert_eq!(nodes[root]["children"].as_array().unwrap().len(), FANOUT);
        let mut long_range = 0;
        for (cid, node) in nodes {
            assert!(node["children"].as_array().unwrap().len() <= FANOUT);
            let contract: Value = serde_json::from_slice(
                &std::fs::read(paths.contract_dir(cid).join("interface.json")).unwrap(),
            )
            .unwrap();
            assert_eq!(contract["component_id"], *cid);
            assert_eq!(
                node["contract"], contract,
                "the tree's copy is the contract"
            );
            let fns = contract["functions"].as_array().unwrap();
            assert!((3..=5).contains(&fns.len()));
            for f in fns {
                for key in ["inputs", "preconditions", "postconditions", "error_cases"] {
                    assert!(f.get(key).is_some(), "{key}");
                }
            }
            for d in contract["dependencies"].as_array().unwrap() {
                let d = d.as_str().unwrap();
                assert!(nodes.contains_key(d));
                let dn = &nodes[d];
                let near = dn["parent_id"] == node["parent_id"]
                    || dn["parent_id"].as_str() == Some(cid.as_str())
                    || node["parent_id"].as_str() == Some(d);
                long_range += usize::from(!near);
            }
            let suite: Value =
                serde_json::from_slice(&std::fs::read(paths.suite(cid)).unwrap()).unwrap();
            let code = std::fs::read_to_string(paths.test_file(cid)).unwrap();
            assert_eq!(
                suite["generated_code"].as_str().unwrap(),
                code,
                "the file is the suite's code"
            );
            let names: Vec<&str> = fns.iter().map(|f| f["name"].as_str().unwrap()).collect();
            for case in suite["test_cases"].as_array().unwrap() {
                assert!(names.contains(&case["function"].as_str().unwrap()));
            }
        }
        // Some long-range edges (uncles count as near here too, so this over-counts a little).
        assert!((n / 50..n / 5).contains(&long_range), "{long_range}");
    }

    /// Pact's gate passes it, and warns only about the long-range dependencies.
    #[test]
    fn the_gate_passes_it_with_a_few_distant_dependency_warnings() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        generate(&dir, 200, 42).unwrap();
        let project = pact_core::store::Project::open(&dir).unwrap();
        let report = pact_core::gate::validate(&project.docs());
        let errors: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == pact_core::gate::Severity::Error)
            .map(|f| &f.message)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let warnings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == pact_core::gate::Severity::Warning)
            .collect();
        for w in &warnings {
            assert_eq!(
                w.code,
                pact_core::gate::Code::DistantDependency,
                "{}",
                w.message
            );
        }
        assert!((2..30).contains(&warnings.len()), "{}", warnings.len());
    }

    #[test]
    fn dependencies_form_a_dag() {
        let mut rng = fastrand::Rng::with_seed(1);
        for i in 0..3000 {
            for j in dependencies(i, 3000, &mut rng) {
                assert!(j > i && j < 3000);
            }
        }
    }

    #[test]
    fn comment_lines_go_to_the_suite_and_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        generate(&dir, 8, 42).unwrap();
        let cid = append_comment_lines(&dir, 100).unwrap();
        let paths = Paths { root: dir };
        let code = std::fs::read_to_string(paths.test_file(&cid)).unwrap();
        let suite: Value =
            serde_json::from_slice(&std::fs::read(paths.suite(&cid)).unwrap()).unwrap();
        assert_eq!(suite["generated_code"].as_str().unwrap(), code);
        assert_eq!(
            code.lines()
                .rev()
                .take_while(|l| l.starts_with("# note"))
                .count(),
            100
        );
    }
}
