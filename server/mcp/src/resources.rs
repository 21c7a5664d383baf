//! Resources: `pact://<project>/contracts/<id>` (a contract), `pact://<project>/tests/<id>`
//! (its test suite) and `pact://<project>/tree` (the decomposition tree), where `<project>` is
//! the name of the project's directory. The server's own project is listed; any project below
//! the server's root can be read by its path in place of the name.

use crate::server::PactServer;
use rmcp::ErrorData as McpError;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

const SCHEME: &str = "pact://";

pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(
            format!("{SCHEME}{{project}}/contracts/{{component}}"),
            "contract",
        )
        .with_description("A component's contract (interface.json)")
        .with_mime_type("application/json"),
        ResourceTemplate::new(format!("{SCHEME}{{project}}/tests/{{component}}"), "tests")
            .with_description("A component's contract test suite")
            .with_mime_type("application/json"),
        ResourceTemplate::new(format!("{SCHEME}{{project}}/tree"), "tree")
            .with_description("The project's decomposition tree")
            .with_mime_type("application/json"),
    ]
}

/// The server's project's resources: its tree and each component's contract.
pub fn list(server: &PactServer) -> Vec<Resource> {
    let Ok(project) = server.project(None) else {
        return Vec::new();
    };
    let name = project_name(project.root());
    let mut out = vec![
        Resource::new(format!("{SCHEME}{name}/tree"), format!("{name}: tree"))
            .with_mime_type("application/json"),
    ];
    if let Ok(Some(tree)) = project.load_tree() {
        for id in tree.nodes.keys() {
            if project.layout.contract(id).is_file() {
                out.push(
                    Resource::new(
                        format!("{SCHEME}{name}/contracts/{id}"),
                        format!("{name}: contract {id}"),
                    )
                    .with_mime_type("application/json"),
                );
            }
        }
    }
    out
}

fn project_name(root: &std::path::Path) -> String {
    root.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("project")
        .to_string()
}

pub fn read(server: &PactServer, uri: &str) -> Result<ReadResourceResult, McpError> {
    let not_found = || McpError::resource_not_found(format!("no such resource: {uri}"), None);
    let rest = uri.strip_prefix(SCHEME).ok_or_else(not_found)?;
    // The project part is everything before the last one or two segments.
    let (project_part, kind, id) = if let Some(p) = rest.strip_suffix("/tree") {
        (p, "tree", "")
    } else {
        let (head, id) = rest.rsplit_once('/').ok_or_else(not_found)?;
        let (project_part, kind) = head.rsplit_once('/').ok_or_else(not_found)?;
        (project_part, kind, id)
    };
    let own = server.project(None).ok();
    let project = match own {
        Some(p) if project_name(p.root()) == project_part => p,
        _ => server
            .project(Some(project_part))
            .map_err(|_| not_found())?,
    };
    if !id.is_empty() && pact_core::ids::check_component_id(id).is_err() {
        return Err(not_found());
    }
    let path = match kind {
        "tree" => project.layout.tree(),
        "contracts" => project.layout.contract(id),
        "tests" => project.layout.suite(id),
        _ => return Err(not_found()),
    };
    let text = pact_core::store::fsio::read_text(&path, pact_core::json::max_bytes(&path))
        .ok()
        .flatten()
        .ok_or_else(not_found)?;
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type("application/json"),
    ]))
}
