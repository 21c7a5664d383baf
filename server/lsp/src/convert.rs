//! Conversions between the protocol's types and ours, in one place (as rust-analyzer's
//! `to_proto`/`from_proto`): the handlers call the feature modules with byte offsets and paths,
//! and turn what they answer into `ls_types` values here.
//!
//! Positions themselves convert through `documents::Conv` (the negotiated encoding, UTF-8/16/32
//! ↔ bytes, shared with the rope's incremental edits) and URIs through `documents::file_path` /
//! `file_uri`; both are re-exported here so a handler finds every conversion in this module.
//! Findings become `Diagnostic`s where they are published (`diagnostics::to_diagnostic`).

pub use crate::documents::{Conv, Encoding, file_path, file_uri};

use crate::actions::{CommandAction, QuickFix};
use crate::lens::Lens;
use crate::navigation::RenamePlan;
use crate::state::Caps;
use crate::subject::{Loc, View};
use crate::symbols::WorkspaceSym;
use pact_core::text::TextRange;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

// ---- from the protocol ----

/// The directory a workspace folder (or root) URI names.
pub fn folder_path(uri: &Uri) -> Option<PathBuf> {
    file_path(uri)
}

/// A protocol range of the document `conv` holds, as bytes.
pub fn text_range(conv: &Conv, r: Range) -> TextRange {
    TextRange::new(conv.offset(r.start), conv.offset(r.end))
}

/// A progress token as the job registry keys it.
pub fn progress_token(token: &NumberOrString) -> String {
    match token {
        NumberOrString::String(s) => s.clone(),
        NumberOrString::Number(n) => n.to_string(),
    }
}

// ---- to the protocol ----

/// Converts locations in other files, reading each text once.
pub struct Locator<'a> {
    view: &'a View<'a>,
    enc: Encoding,
    texts: HashMap<PathBuf, Option<Arc<str>>>,
}

impl<'a> Locator<'a> {
    pub fn new(view: &'a View<'a>, enc: Encoding) -> Self {
        Self {
            view,
            enc,
            texts: HashMap::new(),
        }
    }

    pub fn range(&mut self, path: &Path, r: TextRange) -> Option<Range> {
        let text = self
            .texts
            .entry(path.to_path_buf())
            .or_insert_with(|| self.view.text(path))
            .clone()?;
        Some(Conv::new(&text, self.enc).range(r))
    }

    pub fn location(&mut self, loc: &Loc) -> Option<Location> {
        Some(Location {
            uri: file_uri(&loc.path)?,
            range: self.range(&loc.path, loc.range)?,
        })
    }

    /// The locations that can be named (a file without a text or a URI is left out).
    pub fn locations(&mut self, locs: &[Loc]) -> Vec<Location> {
        locs.iter().filter_map(|x| self.location(x)).collect()
    }
}

/// A hover's Markdown over `range`.
pub fn hover(conv: &Conv, markdown: String, range: TextRange) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(conv.range(range)),
    }
}

/// What `prepareRename` answers: the range to rename and the current name.
pub fn prepare_rename(conv: &Conv, range: TextRange, name: String) -> PrepareRenameResponse {
    PrepareRenameResponse::RangeWithPlaceholder {
        range: conv.range(range),
        placeholder: name,
    }
}

/// A rename plan as the client can apply it: versioned document changes (with file moves when
/// the client renames files) when it supports them, else plain per-file edits.
pub fn workspace_edit(view: &View, enc: Encoding, plan: RenamePlan, caps: &Caps) -> WorkspaceEdit {
    let mut l = Locator::new(view, enc);
    let mut files: Vec<(Uri, Vec<TextEdit>, Option<i32>)> = Vec::new();
    for (file, edits) in &plan.edits {
        let Some(uri) = file_uri(file) else { continue };
        let edits: Vec<TextEdit> = edits
            .iter()
            .filter_map(|(r, t)| {
                Some(TextEdit {
                    range: l.range(file, *r)?,
                    new_text: t.clone(),
                })
            })
            .collect();
        files.push((uri, edits, view.open.get(file).map(|o| o.version)));
    }
    let moves = if caps.resource_rename {
        plan.moves
    } else {
        Vec::new()
    };
    if caps.document_changes || !moves.is_empty() {
        let mut ops: Vec<DocumentChangeOperation> = files
            .into_iter()
            .map(|(uri, edits, version)| {
                DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                    edits: edits.into_iter().map(OneOf::Left).collect(),
                })
            })
            .collect();
        for (from, to) in moves {
            if let (Some(old_uri), Some(new_uri)) = (file_uri(&from), file_uri(&to)) {
                ops.push(DocumentChangeOperation::Op(ResourceOp::Rename(
                    RenameFile {
                        old_uri,
                        new_uri,
                        options: None,
                        annotation_id: None,
                    },
                )));
            }
        }
        WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(ops)),
            ..Default::default()
        }
    } else {
        let changes: HashMap<Uri, Vec<TextEdit>> =
            files.into_iter().map(|(u, e, _)| (u, e)).collect();
        WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }
    }
}

/// A workspace symbol at `location`.
pub fn symbol_information(s: WorkspaceSym, location: Location) -> SymbolInformation {
    #[allow(deprecated)]
    SymbolInformation {
        name: s.name,
        kind: s.kind,
        tags: None,
        deprecated: None,
        location,
        container_name: s.container,
    }
}

/// A code lens running its command with `argument` (the lens is only a label without one).
pub fn code_lens(conv: &Conv, lens: Lens, argument: Option<&Value>) -> CodeLens {
    CodeLens {
        range: conv.range(lens.range),
        command: Some(Command {
            title: lens.title,
            command: if argument.is_some() {
                lens.command.to_string()
            } else {
                String::new()
            },
            arguments: argument.cloned().map(|a| vec![a]),
        }),
        data: None,
    }
}

/// A quick fix: one edit in the document `uri`, for the diagnostic it fixes when known.
pub fn quick_fix(uri: &Uri, conv: &Conv, fix: QuickFix) -> CodeActionOrCommand {
    let edit = TextEdit {
        range: conv.range(fix.range),
        new_text: fix.new_text,
    };
    let changes: HashMap<Uri, Vec<TextEdit>> = [(uri.clone(), vec![edit])].into_iter().collect();
    CodeActionOrCommand::CodeAction(CodeAction {
        title: fix.title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: fix.diagnostic.map(|d| vec![d]),
        edit: Some(WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }),
        is_preferred: Some(true),
        ..Default::default()
    })
}

/// A code action that runs one of the server's commands (no edit), of `kind`.
pub fn command_action(a: CommandAction, kind: Option<CodeActionKind>) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title: a.title.clone(),
        kind,
        command: Some(Command {
            title: a.title,
            command: a.command.to_string(),
            arguments: Some(vec![a.argument]),
        }),
        ..Default::default()
    })
}
