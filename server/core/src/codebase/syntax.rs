//! Tree-sitter helpers shared by the Python and TypeScript readers: parsing (one parser per
//! thread and grammar), node text, lines, and an iterative walk (no recursion: a file of
//! deeply nested expressions cannot overflow a stack).

use super::FileKind;
use crate::model::TestLanguage;
use std::cell::RefCell;
use tree_sitter::{Node, Parser, Tree};

thread_local! {
    static TSX: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parses `text` with the grammar of `kind`. `None` only if the grammar cannot be loaded.
pub(super) fn parse(kind: FileKind, text: &str) -> Option<Tree> {
    match kind {
        // Python goes through `testcode`, whose parser blanks comment-only lines first (the
        // grammar's scanner is quadratic in a run of them); offsets stay those of `text`.
        FileKind::Python => crate::testcode::parse(TestLanguage::Python, text),
        FileKind::TypeScript => crate::testcode::parse(TestLanguage::TypeScript, text),
        FileKind::JavaScript => crate::testcode::parse(TestLanguage::JavaScript, text),
        FileKind::Tsx => TSX.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let mut p = Parser::new();
                p.set_language(&tree_sitter_typescript::LANGUAGE_TSX.into())
                    .ok()?;
                *slot = Some(p);
            }
            slot.as_mut()?.parse(text, None)
        }),
    }
}

pub(super) use crate::testcode::text_of as text;

/// Source text as the inventory shows it: one line as it is; text over several lines with
/// each line trimmed and the non-empty ones joined by one space.
pub(super) fn squash(s: &str) -> String {
    if !s.contains('\n') {
        return s.trim().to_string();
    }
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// 1-based line where `n` starts.
pub(super) fn line(n: Node) -> usize {
    n.start_position().row + 1
}

/// 1-based line of the last character of `n`.
pub(super) fn end_line(n: Node) -> usize {
    let end = n.end_position();
    if end.column == 0 && end.row > n.start_position().row {
        end.row
    } else {
        end.row + 1
    }
}

/// Number of lines of `text` (a last line without a newline counts).
pub(super) fn count_lines(text: &str) -> usize {
    let n = memchr::memchr_iter(b'\n', text.as_bytes()).count();
    if text.is_empty() || text.ends_with('\n') {
        n
    } else {
        n + 1
    }
}

/// The 1-based line of the first syntax error in `tree`, if any.
pub(super) fn first_error_line(tree: &Tree) -> Option<usize> {
    let root = tree.root_node();
    if !root.has_error() {
        return None;
    }
    descendants(root)
        .find(|n| n.is_error() || n.is_missing())
        .map(line)
}

pub(super) use crate::testcode::descendants;

/// Named children of `n`, collected (tree-sitter's iterator borrows a cursor).
pub(super) fn named_children(n: Node) -> Vec<Node> {
    let mut c = n.walk();
    n.named_children(&mut c).collect()
}

/// All children of `n`, collected.
pub(super) fn children(n: Node) -> Vec<Node> {
    let mut c = n.walk();
    n.children(&mut c).collect()
}

/// `n` without redundant parentheses around it (`(x)` → `x`), as Python's `ast` positions
/// an expression inside them.
pub(super) fn unparen(mut n: Node) -> Node {
    while n.kind() == "parenthesized_expression" {
        let inner = named_children(n);
        match inner.as_slice() {
            [only] if only.kind() != "comment" => n = *only,
            _ => break,
        }
    }
    n
}

/// The text of a string literal's content when it is a plain literal (no interpolation), else
/// `None`. Works for Python `string` and TS/JS `string`/`template_string` nodes.
pub(super) fn literal_string(n: Node, src: &str) -> Option<String> {
    match n.kind() {
        "string" => {
            let mut out = String::new();
            for c in named_children(n) {
                match c.kind() {
                    "string_content" | "string_fragment" | "escape_sequence" => {
                        out.push_str(text(c, src))
                    }
                    "string_start" | "string_end" => {}
                    _ => return None,
                }
            }
            Some(out)
        }
        "template_string" => {
            let mut out = String::new();
            for c in named_children(n) {
                match c.kind() {
                    "string_fragment" | "escape_sequence" => out.push_str(text(c, src)),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}
