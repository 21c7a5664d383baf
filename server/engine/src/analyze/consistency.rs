//! Parents that do not depend on their children, dependencies never used.

use super::*;

pub(super) fn consistency(a: &Artifacts, f: &mut Findings) {
    for (id, node) in &a.tree.nodes {
        let Some(c) = a.contract(id) else { continue };
        let missing: Vec<&str> = node
            .children
            .iter()
            .filter(|ch| !c.dependencies.contains(ch))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            f.add(
                Severity::Warning,
                Category::Consistency,
                Code::MissingChildDependency,
                id,
                format!(
                    "Contract for '{}' does not depend on its children in the tree: {}",
                    c.name,
                    missing.join(", ")
                ),
                "Add the children to the contract's dependencies".into(),
                Some(a.in_contract(id, &[Seg::from("dependencies")], None)),
                vec![],
            );
        }
        let own = used_text(a, id, c);
        for (i, dep) in c.dependencies.iter().enumerate() {
            let Some(dc) = a.contract(dep) else { continue };
            if dep == id || uses(&own, dep, dc) {
                continue;
            }
            f.add(
                Severity::Warning,
                Category::Consistency,
                Code::UnusedDependency,
                id,
                format!(
                    "'{}' depends on '{dep}', but its contract, tests and code never use it (none of its types or functions)",
                    c.name
                ),
                format!("Use {dep} where the contract needs it, or drop the dependency"),
                Some(a.in_contract(id, &[Seg::from("dependencies"), Seg::from(i)], None)),
                vec![],
            );
        }
    }
}

/// What a component's contract, tests and code say, for finding what it uses.
pub(super) struct UsedText {
    pub(super) words: HashSet<String>,
}

pub(super) fn used_text(a: &Artifacts, id: &str, c: &ComponentContract) -> UsedText {
    let mut text = String::new();
    let mut add = |s: &str| {
        text.push_str(s);
        text.push('\n');
    };
    for p in contract_strings(c) {
        add(&p.text);
    }
    for t in &c.types {
        add(&t.item_type);
        for i in &t.inner_types {
            add(i);
        }
        for fl in &t.fields {
            add(&fl.type_ref);
        }
    }
    for func in &c.functions {
        add(&func.output_type);
        for i in &func.inputs {
            add(&i.type_ref);
        }
        for e in &func.error_cases {
            add(&e.error_type);
        }
    }
    if let Some(s) = a.suite(id) {
        add(&s.generated_code);
        for tc in &s.test_cases {
            for k in tc.mock_dependencies.keys() {
                add(k);
            }
            add(&tc.description);
        }
    }
    if let Some(files) = a.docs.test_files.get(id) {
        for f in files {
            add(&f.text);
        }
    }
    add(&source_text(&a.docs.layout.implementation_src(id)));
    let words = text
        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    UsedText { words }
}

/// Whether the component uses `dep`: its id, or one of its types or functions, by name.
pub(super) fn uses(own: &UsedText, dep: &str, dc: &ComponentContract) -> bool {
    let has = |w: &str| own.words.contains(&w.to_lowercase());
    has(dep) || dc.types.iter().any(|t| has(&t.name)) || dc.functions.iter().any(|f| has(&f.name))
}

/// The text of an implementation's sources (at most 64 files of 1 MB, regular files only).
pub(super) fn source_text(dir: &std::path::Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let Ok(ty) = e.file_type() else { continue };
            let name = e.file_name().to_string_lossy().to_string();
            if ty.is_dir()
                && !name.starts_with('.')
                && name != "__pycache__"
                && name != "node_modules"
            {
                stack.push(e.path());
            } else if ty.is_file()
                && [".py", ".ts", ".js", ".mjs", ".tsx"]
                    .iter()
                    .any(|x| name.ends_with(x))
                && files < 64
            {
                files += 1;
                if let Ok(Some(t)) = pact_core::store::fsio::read_text(&e.path(), 1 << 20) {
                    out.push_str(&t);
                    out.push('\n');
                }
            }
        }
    }
    out
}
