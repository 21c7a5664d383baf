//! Property tests: every document handler on arbitrary text and random edit sequences, in every
//! kind of document, must answer without panicking (the server also catches panics, but a
//! caught panic is still a feature that did not work).

use crate::diagnostics;
use crate::documents::{Conv, Document, Encoding};
use crate::subject::View;
use crate::workspace::{OpenMap, OpenText, Project};
use crate::{actions, completion, hover, lens, navigation, symbols};
use pact_core::gate;
use pact_core::text::TextRange;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

fn copy_dir(src: &Path, dst: &Path) {
    let _ = std::fs::create_dir_all(dst);
    for e in std::fs::read_dir(src).into_iter().flatten().flatten() {
        let to = dst.join(e.file_name());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&e.path(), &to);
        } else {
            let _ = std::fs::copy(e.path(), &to);
        }
    }
}

/// A temp copy of the reference sample project (kept for the whole test run).
fn sample() -> &'static PathBuf {
    static DIR: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, root) = DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tmp: {e}"));
        let root = tmp.path().join("sample");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/reference/sample"),
            &root,
        );
        (tmp, root)
    });
    root
}

const DOCS: &[&str] = &[
    ".pact/contracts/counter/interface.json",
    ".pact/contracts/counter/tests/contract_test_suite.json",
    ".pact/contracts/counter/tests/contract_test.py",
    ".pact/decomposition/tree.json",
    ".pact/implementations/counter/src/counter.py",
    ".pact/contracts/counter/tests/extra.test.ts",
    "task.md",
];

/// Runs every handler on `text` as the buffer of `rel`, at `offsets`.
fn exercise(rel: &str, text: &str, offsets: &[usize]) {
    let root = sample();
    let path = root.join(rel);
    let mut open = OpenMap::new();
    open.insert(
        path.clone(),
        OpenText {
            text: Arc::from(text),
            version: 2,
        },
    );
    let mut project = Project::load(root, &OpenMap::new());
    project.mark(&path);
    project.refresh(&open);
    let pending = project.pending.clone();
    let report = gate::validate_scoped(
        &project.docs,
        &pending.scope(),
        &mut gate::AnalysisCache::in_memory(),
    );
    let layout = project.layout.clone();
    let mut files = project.findings.commit(&layout, &pending, report.findings);
    files.insert(path.clone());
    for enc in [Encoding::Utf8, Encoding::Utf16] {
        let pubs = diagnostics::plan(&mut project, files.clone(), &open, enc);
        for p in pubs {
            for d in p.diagnostics {
                if let Some(fix) = actions::fix_of(&d) {
                    let conv = Conv::new(text, enc);
                    let r = TextRange::new(conv.offset(d.range.start), conv.offset(d.range.end));
                    let _ = actions::quick_fix(&fix, text, r);
                }
            }
        }
    }
    let view = View {
        project: &project,
        open: &open,
    };
    let conv = Conv::new(text, Encoding::Utf16);
    let _ = symbols::document_symbols(&view, &path, &conv);
    let _ = lens::lenses(&view, &path, text);
    let mut ws = Vec::new();
    symbols::workspace_symbols(&view, "o", 100, &mut ws);
    for &o in offsets {
        let o = pact_core::text::floor_char_boundary(text, o.min(text.len()));
        let _ = hover::hover(&view, &path, text, o);
        let _ = navigation::definition(&view, &path, text, o);
        let _ = navigation::references(&view, &path, text, o, true);
        let _ = navigation::prepare_rename(&view, &path, text, o);
        let _ = navigation::rename(&view, &path, text, o, "renamed_x");
        let _ = completion::complete(&view, &path, &conv, o, true);
        let _ = completion::complete(&view, &path, &conv, o, false);
        let _ = crate::jsonscan::spot_with_keys(text, o, true);
    }
}

/// Text that looks like the documents (so the handlers get past the first token), mixed with
/// arbitrary characters.
fn doc_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(":".to_string()),
        Just(",".to_string()),
        Just("\"".to_string()),
        Just("\"types\"".to_string()),
        Just("\"functions\"".to_string()),
        Just("\"name\"".to_string()),
        Just("\"type_ref\"".to_string()),
        Just("\"dependencies\"".to_string()),
        Just("\"test_cases\"".to_string()),
        Just("\"function\"".to_string()),
        Just("\"nodes\"".to_string()),
        Just("\"children\"".to_string()),
        Just("\"list[WordCount]\"".to_string()),
        Just("\"counter\"".to_string()),
        Just("def test_tc001_x():\n    assert top_n({}, 1)\n".to_string()),
        Just("test('t', () => { expect(f()).toBe(1) })\n".to_string()),
        "\\PC{0,8}",
        "[\\\\\"\n\r\t ]{1,3}",
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

fn uri() -> Uri {
    Uri::from_str("file:///tmp/fuzz.json").unwrap_or_else(|_| unreachable!())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn handlers_survive_arbitrary_documents(doc in 0usize..DOCS.len(), text in doc_text(), offsets in proptest::collection::vec(0usize..4000, 1..8)) {
        exercise(DOCS[doc], &text, &offsets);
    }

    #[test]
    fn handlers_survive_arbitrary_bytes(doc in 0usize..DOCS.len(), bytes in proptest::collection::vec(any::<u8>(), 0..400), off in 0usize..400) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        exercise(DOCS[doc], &text, &[off, 0, text.len()]);
    }

    /// Random edit sequences on a real document: every intermediate text goes through the handlers.
    #[test]
    fn handlers_survive_random_edit_sequences(
        doc in 0usize..4,
        edits in proptest::collection::vec((0u32..120, 0u32..60, 0u32..3, 0u32..20, "\\PC{0,6}|[{}\\[\\]\":,]{1,3}"), 1..12),
    ) {
        let path = sample().join(DOCS[doc]);
        let start = std::fs::read_to_string(&path).unwrap_or_default();
        let mut d = Document::new(uri(), 1, "json".into(), &start);
        for (i, (line, col, dl, dc, t)) in edits.into_iter().enumerate() {
            let r = Range::new(Position::new(line, col), Position::new(line + dl, col + dc));
            d.apply(&[TextDocumentContentChangeEvent { range: Some(r), range_length: None, text: t }], i as i32 + 2, Encoding::Utf16);
            let text = d.text();
            let mid = text.len() / 2;
            exercise(DOCS[doc], &text, &[mid, text.len()]);
        }
    }
}
