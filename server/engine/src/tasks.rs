//! The task list (`pact tasks`, `pact export-tasks`): the plan as checkable tasks in five phases
//! — setup, shared types, each leaf component (review, harness, tests, implement, verify), each
//! parent (review, integration tests, wiring, verify; deepest first), polish — with the
//! original's ids (`T001`, …), checkpoints and Markdown. No model and no clock: the same project
//! gives the same list, byte for byte.
//!
//! Dependencies are the real ones: a component is implemented after the components its contract
//! depends on are verified, and a parent is wired after its children. A task is marked parallel
//! (`[P]`) when nothing else in its phase must come first and another such task can start with
//! it. Statuses follow each component's status in the tree, as the original's pipeline keeps
//! its `tasks.json` up to date.

use crate::artifacts::Artifacts;
use pact_core::model::ImplementationStatus;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskPhase {
    Setup,
    Foundational,
    Component,
    Integration,
    Polish,
}

impl TaskPhase {
    /// The Markdown heading's word.
    pub fn title(self) -> &'static str {
        match self {
            Self::Setup => "Setup",
            Self::Foundational => "Foundational",
            Self::Component => "Component",
            Self::Integration => "Integration",
            Self::Polish => "Polish",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    Completed,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskCategory {
    Scaffold,
    TypeDefinition,
    ContractReview,
    TestSetup,
    TestWrite,
    Implement,
    Verify,
    Integrate,
    Validate,
    Document,
}

/// One task, with the original's fields (`TaskItem`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    pub id: String,
    pub phase: TaskPhase,
    /// The component it is about, or empty.
    pub component_id: String,
    pub description: String,
    /// The file or directory it works on, relative to the project, or empty.
    pub file_path: String,
    pub status: TaskStatus,
    /// It can start with the phase, alongside the phase's other such tasks.
    pub parallel: bool,
    pub depends_on: Vec<String>,
    pub category: TaskCategory,
}

/// What must hold once a phase is done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    pub after_phase: TaskPhase,
    pub description: String,
    pub validation: String,
}

/// The original's `TaskList` (`.pact/tasks.json`), without its generation time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskList {
    pub project_id: String,
    pub tasks: Vec<Task>,
    pub checkpoints: Vec<Checkpoint>,
    pub version: u32,
}

impl TaskList {
    pub fn total(&self) -> usize {
        self.tasks.len()
    }
    pub fn completed(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Completed)
            .count()
    }

    /// The task list in the original's Markdown (`TASKS.md`).
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let pct = if self.tasks.is_empty() {
            0.0
        } else {
            self.completed() as f64 * 100.0 / self.total() as f64
        };
        out.push_str(&format!("# TASKS — {}\n", self.project_id));
        out.push_str(&format!(
            "Progress: {}/{} completed ({pct:.0}%)\n\n",
            self.completed(),
            self.total()
        ));
        let checkpoint = |out: &mut String, phase: TaskPhase| {
            if let Some(cp) = self.checkpoints.iter().find(|c| c.after_phase == phase) {
                out.push_str(&format!("\n---\nCHECKPOINT: {}\n", cp.description));
            }
        };
        let mut current: Option<TaskPhase> = None;
        for t in &self.tasks {
            if current != Some(t.phase) {
                if let Some(p) = current {
                    checkpoint(&mut out, p);
                    out.push('\n');
                }
                current = Some(t.phase);
                out.push_str(&format!("## Phase: {}\n\n", t.phase.title()));
            }
            let check = if t.status == TaskStatus::Completed {
                "[x]"
            } else {
                "[ ]"
            };
            let mut line = format!("- {check} {}", t.id);
            if t.parallel {
                line.push_str(" [P]");
            }
            if !t.component_id.is_empty() {
                line.push_str(&format!(" [{}]", t.component_id));
            }
            line.push(' ');
            line.push_str(&t.description);
            if !t.file_path.is_empty() {
                line.push_str(&format!(" ({})", t.file_path));
            }
            out.push_str(&line);
            out.push('\n');
        }
        if let Some(p) = current {
            checkpoint(&mut out, p);
        }
        out
    }
}

/// The task list of a project's plan; `project_id` names it (the original: the directory's name).
pub fn generate(a: &Artifacts, project_id: &str) -> TaskList {
    let mut b = Builder::default();
    let tree = &a.tree;
    let layout = &a.docs.layout;

    // Setup.
    let init = b.push(
        TaskPhase::Setup,
        "",
        "Initialize project directory structure",
        "",
        TaskCategory::Scaffold,
        vec![],
    );
    let env = b.push(
        TaskPhase::Setup,
        "",
        "Verify environment and dependencies",
        "",
        TaskCategory::Scaffold,
        vec![init],
    );

    // Foundational: types defined by two or more contracts, by name.
    let mut definers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for id in tree.nodes.keys() {
        if let Some(c) = a.contract(id) {
            let mut seen = HashSet::new();
            for t in &c.types {
                if seen.insert(t.name.as_str()) {
                    definers.entry(&t.name).or_default().push(id);
                }
            }
        }
    }
    let mut type_task: HashMap<&str, String> = HashMap::new();
    for (name, ids) in &definers {
        if ids.len() >= 2 {
            let t = b.push(
                TaskPhase::Foundational,
                "",
                &format!("Define shared type: {name}"),
                "",
                TaskCategory::TypeDefinition,
                vec![env.clone()],
            );
            type_task.insert(name, t);
        }
    }

    // Components: leaves, each after the leaves its contract depends on.
    let deps_of = |id: &str| -> Vec<String> {
        let mut d: Vec<String> = a
            .contract(id)
            .map(|c| c.dependencies.clone())
            .unwrap_or_default();
        if let Some(n) = tree.nodes.get(id) {
            for c in &n.children {
                if !d.contains(c) {
                    d.push(c.clone());
                }
            }
        }
        d
    };
    let order: Vec<&str> = tree.topological_order();
    let leaves: Vec<&str> = order
        .iter()
        .copied()
        .filter(|id| tree.is_leaf(id))
        .collect();
    let leaves = dependency_order(&leaves, &deps_of);
    let mut verify: HashMap<String, String> = HashMap::new();
    let status_of = |id: &str| {
        tree.nodes
            .get(id)
            .map_or(ImplementationStatus::Pending, |n| n.implementation_status)
    };
    for id in &leaves {
        let Some(node) = tree.nodes.get(*id) else {
            continue;
        };
        let name = &node.name;
        let st = status_of(id);
        let contract = a.contract(id);
        let mut first = vec![env.clone()];
        if let Some(c) = contract {
            for t in &c.types {
                if let Some(task) = type_task.get(t.name.as_str())
                    && !first.contains(task)
                {
                    first.push(task.clone());
                }
            }
        }
        let file = |p: std::path::PathBuf, exists: bool| {
            if exists {
                a.relative(&p)
            } else {
                String::new()
            }
        };
        let review = b.push_status(
            TaskPhase::Component,
            id,
            &format!("Review contract for {name}"),
            &file(layout.contract(id), contract.is_some()),
            TaskCategory::ContractReview,
            first,
            st,
        );
        let harness = b.push_status(
            TaskPhase::Component,
            id,
            &format!("Set up test harness for {name}"),
            "",
            TaskCategory::TestSetup,
            vec![review],
            st,
        );
        let tests = b.push_status(
            TaskPhase::Component,
            id,
            &format!("Write contract tests for {name}"),
            &file(layout.suite(id), a.suite(id).is_some()),
            TaskCategory::TestWrite,
            vec![harness],
            st,
        );
        let mut before = vec![tests];
        for d in deps_of(id) {
            if let Some(v) = verify.get(&d)
                && !before.contains(v)
            {
                before.push(v.clone());
            }
        }
        let src = layout.implementation_src(id);
        let imp = b.push_status(
            TaskPhase::Component,
            id,
            &format!("Implement {name}"),
            &format!("{}/", a.relative(&src)),
            TaskCategory::Implement,
            before,
            st,
        );
        let v = b.push_status(
            TaskPhase::Component,
            id,
            &format!("Run tests and verify {name}"),
            "",
            TaskCategory::Verify,
            vec![imp],
            st,
        );
        verify.insert(id.to_string(), v);
    }
    let mut checkpoints = Vec::new();
    if !leaves.is_empty() {
        checkpoints.push(Checkpoint {
            after_phase: TaskPhase::Component,
            description: "All leaf components verified".into(),
            validation: "All leaf contract tests pass".into(),
        });
    }

    // Integration: parents, deepest first (children before parents at equal depth).
    let mut parents: Vec<&str> = order
        .iter()
        .copied()
        .filter(|id| !tree.is_leaf(id))
        .collect();
    parents.sort_by_key(|id| std::cmp::Reverse(tree.nodes.get(*id).map_or(0, |n| n.depth)));
    for id in &parents {
        let Some(node) = tree.nodes.get(*id) else {
            continue;
        };
        let name = &node.name;
        let st = status_of(id);
        let contract = a.contract(id);
        let review = b.push_status(
            TaskPhase::Integration,
            id,
            &format!("Review integration contract for {name}"),
            &if contract.is_some() {
                a.relative(&layout.contract(id))
            } else {
                String::new()
            },
            TaskCategory::ContractReview,
            vec![],
            st,
        );
        let tests = b.push_status(
            TaskPhase::Integration,
            id,
            &format!("Write integration tests for {name}"),
            &if a.suite(id).is_some() {
                a.relative(&layout.suite(id))
            } else {
                String::new()
            },
            TaskCategory::TestWrite,
            vec![review],
            st,
        );
        let mut before = vec![tests];
        for d in deps_of(id) {
            if let Some(v) = verify.get(&d)
                && !before.contains(v)
            {
                before.push(v.clone());
            }
        }
        let wire = b.push_status(
            TaskPhase::Integration,
            id,
            &format!("Wire children for {name}"),
            &format!("{}/", a.relative(&layout.implementation_src(id))),
            TaskCategory::Integrate,
            before,
            st,
        );
        let v = b.push_status(
            TaskPhase::Integration,
            id,
            &format!("Run integration tests for {name}"),
            "",
            TaskCategory::Verify,
            vec![wire],
            st,
        );
        verify.insert(id.to_string(), v);
    }
    if !parents.is_empty() {
        checkpoints.push(Checkpoint {
            after_phase: TaskPhase::Integration,
            description: "All integrations verified".into(),
            validation: "All integration tests pass".into(),
        });
    }

    // Polish: after every verification nothing else waits on.
    let needed: HashSet<&String> = b.tasks.iter().flat_map(|t| &t.depends_on).collect();
    let mut last: Vec<String> = b
        .tasks
        .iter()
        .filter(|t| t.category == TaskCategory::Verify && !needed.contains(&t.id))
        .map(|t| t.id.clone())
        .collect();
    if last.is_empty() {
        last = vec![b.tasks.last().map_or(env.clone(), |t| t.id.clone())];
    }
    let gate = b.push(
        TaskPhase::Polish,
        "",
        "Run full contract validation gate",
        "",
        TaskCategory::Validate,
        last.clone(),
    );
    let analysis = b.push(
        TaskPhase::Polish,
        "",
        "Cross-artifact analysis",
        "",
        TaskCategory::Validate,
        last,
    );
    b.push(
        TaskPhase::Polish,
        "",
        "Update design document",
        &a.relative(&layout.design_md()),
        TaskCategory::Document,
        vec![gate, analysis],
    );

    let mut tasks = b.tasks;
    mark_parallel(&mut tasks);
    TaskList {
        project_id: project_id.to_string(),
        tasks,
        checkpoints,
        version: 1,
    }
}

/// `ids` reordered so that each comes after the ones (among `ids`) it depends on, otherwise in
/// the given order; a dependency cycle keeps the given order for what is left.
fn dependency_order<'a>(ids: &[&'a str], deps_of: &dyn Fn(&str) -> Vec<String>) -> Vec<&'a str> {
    let wanted: HashSet<&str> = ids.iter().copied().collect();
    let deps: HashMap<&str, Vec<String>> = ids
        .iter()
        .map(|id| {
            let d = deps_of(id)
                .into_iter()
                .filter(|x| wanted.contains(x.as_str()) && x != id)
                .collect();
            (*id, d)
        })
        .collect();
    let mut placed: HashSet<&str> = HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    let mut left: Vec<&str> = ids.to_vec();
    while !left.is_empty() {
        let next = left.iter().position(|id| {
            deps.get(id)
                .is_none_or(|d| d.iter().all(|x| placed.contains(x.as_str())))
        });
        let i = next.unwrap_or(0);
        let id = left.remove(i);
        placed.insert(id);
        out.push(id);
    }
    out
}

/// A task is parallel when no task of its own phase must come before it and its phase has
/// another such task.
fn mark_parallel(tasks: &mut [Task]) {
    let phase_of: HashMap<String, TaskPhase> =
        tasks.iter().map(|t| (t.id.clone(), t.phase)).collect();
    let starts: Vec<bool> = tasks
        .iter()
        .map(|t| {
            !t.depends_on
                .iter()
                .any(|d| phase_of.get(d) == Some(&t.phase))
        })
        .collect();
    let mut per_phase: HashMap<TaskPhase, usize> = HashMap::new();
    for (t, s) in tasks.iter().zip(&starts) {
        if *s {
            *per_phase.entry(t.phase).or_default() += 1;
        }
    }
    for (t, s) in tasks.iter_mut().zip(starts) {
        t.parallel = s && per_phase.get(&t.phase).copied().unwrap_or(0) >= 2;
    }
}

#[derive(Default)]
struct Builder {
    tasks: Vec<Task>,
}

impl Builder {
    fn push(
        &mut self,
        phase: TaskPhase,
        component: &str,
        description: &str,
        file: &str,
        category: TaskCategory,
        depends_on: Vec<String>,
    ) -> String {
        let id = format!("T{:03}", self.tasks.len() + 1);
        self.tasks.push(Task {
            id: id.clone(),
            phase,
            component_id: component.to_string(),
            description: description.to_string(),
            file_path: file.to_string(),
            status: TaskStatus::Pending,
            parallel: false,
            depends_on,
            category,
        });
        id
    }

    /// A component's task, its status from the component's (as the original maps them).
    #[allow(clippy::too_many_arguments)]
    fn push_status(
        &mut self,
        phase: TaskPhase,
        component: &str,
        description: &str,
        file: &str,
        category: TaskCategory,
        depends_on: Vec<String>,
        component_status: ImplementationStatus,
    ) -> String {
        let id = self.push(phase, component, description, file, category, depends_on);
        if let Some(t) = self.tasks.last_mut() {
            t.status = status_for(component_status, category);
        }
        id
    }
}

/// The original's mapping of a component's status to its tasks' (wiring counts as implementing).
fn status_for(component: ImplementationStatus, category: TaskCategory) -> TaskStatus {
    use ImplementationStatus as I;
    use TaskCategory as C;
    let done = match component {
        I::Pending => false,
        I::Contracted => category == C::ContractReview,
        I::Implemented => category != C::Verify,
        I::Tested => true,
        I::Failed if category == C::Verify => return TaskStatus::Failed,
        I::Failed => true,
    };
    if done {
        TaskStatus::Completed
    } else {
        TaskStatus::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_come_first_and_cycles_keep_order() {
        let deps = |id: &str| match id {
            "a" => vec!["c".to_string()],
            "c" => vec!["b".to_string()],
            "x" => vec!["y".to_string()],
            "y" => vec!["x".to_string()],
            _ => vec![],
        };
        assert_eq!(dependency_order(&["a", "b", "c"], &deps), ["b", "c", "a"]);
        assert_eq!(dependency_order(&["x", "y"], &deps), ["x", "y"]);
    }

    #[test]
    fn statuses_follow_the_component() {
        use ImplementationStatus as I;
        use TaskCategory as C;
        assert_eq!(
            status_for(I::Contracted, C::ContractReview),
            TaskStatus::Completed
        );
        assert_eq!(status_for(I::Contracted, C::Implement), TaskStatus::Pending);
        assert_eq!(
            status_for(I::Implemented, C::Integrate),
            TaskStatus::Completed
        );
        assert_eq!(status_for(I::Implemented, C::Verify), TaskStatus::Pending);
        assert_eq!(status_for(I::Failed, C::Verify), TaskStatus::Failed);
        assert_eq!(status_for(I::Tested, C::Verify), TaskStatus::Completed);
    }
}
