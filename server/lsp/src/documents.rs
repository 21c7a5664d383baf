//! Open editor buffers: text kept in a rope, incremental edits, and conversions between LSP
//! positions (in the negotiated encoding) and the byte offsets the gate speaks.
//!
//! Lines end at `\n`, `\r\n` or `\r`, as the LSP specification says (ropey is built with
//! `cr_lines` only, so U+2028 and friends do not split lines on either side).

use pact_core::model::TestLanguage;
use pact_core::store::is_test_code;
use pact_core::testcode::TestAnalysis;
use pact_core::text::{TextRange, floor_char_boundary};
use ropey::Rope;
use std::path::PathBuf;
use std::sync::Arc;
use tower_lsp_server::ls_types::{
    Position, PositionEncodingKind, Range, TextDocumentContentChangeEvent, Uri,
};

/// What a position's `character` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

impl Encoding {
    /// UTF-8 when the client offers it (no conversion work at all), else the mandatory UTF-16.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Self {
        let offered = offered.unwrap_or(&[]);
        if offered.contains(&PositionEncodingKind::UTF8) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    /// Code units of `c` in this encoding.
    pub fn width(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }
}

/// Start offsets of the lines of a text, for converting positions of a document that is not
/// (or no longer) held in a rope: the gate's findings point into plain `str` snapshots.
#[derive(Debug, Clone)]
pub struct LineMap {
    starts: Vec<usize>,
}

impl LineMap {
    pub fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let mut starts = Vec::with_capacity(b.len() / 32 + 1);
        starts.push(0);
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\n' => starts.push(i + 1),
                b'\r' => {
                    if b.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        Self { starts }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where `line` ends, before its terminator.
    fn line_end(&self, text: &str, line: usize) -> usize {
        let start = self.starts.get(line).copied().unwrap_or(text.len());
        let mut end = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(text.len())
            .min(text.len());
        let b = text.as_bytes();
        if end > start && b[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && b[end - 1] == b'\r' {
            end -= 1;
        }
        end
    }

    /// The position of a byte offset (clamped into the text, snapped back to a char boundary).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        let col: u32 = text
            .get(start..offset)
            .unwrap_or("")
            .chars()
            .map(|c| enc.width(c))
            .sum();
        Position::new(line as u32, col)
    }

    /// The byte offset of a position. A line past the end means the end of the text; a column
    /// past the end of its line means the line's end; a column inside a character (half of a
    /// surrogate pair, the middle of a UTF-8 sequence) snaps to the character's start.
    pub fn offset(&self, text: &str, pos: Position, enc: Encoding) -> usize {
        let line = pos.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return text.len();
        };
        let end = self.line_end(text, line);
        let mut acc = 0u32;
        for (i, c) in text.get(start..end).unwrap_or("").char_indices() {
            let w = enc.width(c);
            if acc >= pos.character || acc + w > pos.character {
                return start + i;
            }
            acc += w;
        }
        end
    }

    pub fn range(&self, text: &str, r: TextRange, enc: Encoding) -> Range {
        Range::new(
            self.position(text, r.start, enc),
            self.position(text, r.end, enc),
        )
    }

    pub fn text_range(&self, text: &str, r: Range, enc: Encoding) -> TextRange {
        TextRange::new(
            self.offset(text, r.start, enc),
            self.offset(text, r.end, enc),
        )
    }
}

/// A text with its line map and the session's encoding: converts both ways for one document.
pub struct Conv<'a> {
    pub text: &'a str,
    pub map: LineMap,
    pub enc: Encoding,
}

impl<'a> Conv<'a> {
    pub fn new(text: &'a str, enc: Encoding) -> Self {
        Self {
            text,
            map: LineMap::new(text),
            enc,
        }
    }
    pub fn range(&self, r: TextRange) -> Range {
        self.map.range(self.text, r, self.enc)
    }
    pub fn position(&self, offset: usize) -> Position {
        self.map.position(self.text, offset, self.enc)
    }
    pub fn offset(&self, p: Position) -> usize {
        self.map.offset(self.text, p, self.enc)
    }
}

/// One open buffer.
#[derive(Debug, Clone)]
pub struct Document {
    pub uri: Uri,
    /// `None` for buffers that are not files (`untitled:`).
    pub path: Option<PathBuf>,
    pub version: i32,
    pub language_id: String,
    rope: Rope,
    /// The rope as one string, made on demand and dropped on every edit.
    text: Option<Arc<str>>,
    /// Contract test code: its language, its syntax tree (kept in step with every edit, for
    /// incremental re-parsing) and the analysis of a version.
    pub lang: Option<TestLanguage>,
    tree: Option<tree_sitter::Tree>,
    pub analysis: Option<(i32, Arc<TestAnalysis>)>,
}

impl Document {
    pub fn new(uri: Uri, version: i32, language_id: String, text: &str) -> Self {
        let path = file_path(&uri);
        let lang = path
            .as_deref()
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_test_code)
            })
            .and_then(TestLanguage::from_path);
        Self {
            uri,
            path,
            version,
            language_id,
            rope: Rope::from_str(text),
            text: Some(Arc::from(text)),
            lang,
            tree: None,
            analysis: None,
        }
    }

    /// Applies the client's changes in order. Ranges are clamped, never trusted: a bad range
    /// from a confused client cannot panic the server.
    pub fn apply(
        &mut self,
        changes: &[TextDocumentContentChangeEvent],
        version: i32,
        enc: Encoding,
    ) {
        for change in changes {
            match change.range {
                None => {
                    self.rope = Rope::from_str(&change.text);
                    self.tree = None;
                }
                Some(r) => {
                    let a = char_index(&self.rope, r.start, enc);
                    let b = char_index(&self.rope, r.end, enc);
                    let (a, b) = if a <= b { (a, b) } else { (b, a) };
                    if let Some(tree) = self.tree.as_mut() {
                        tree.edit(&crate::incremental::input_edit(
                            &self.rope,
                            a,
                            b,
                            &change.text,
                        ));
                    }
                    self.rope.remove(a..b);
                    self.rope.insert(a, &change.text);
                }
            }
        }
        self.version = version;
        self.text = None;
    }

    /// The whole text (cached until the next edit).
    pub fn text(&mut self) -> Arc<str> {
        if let Some(t) = &self.text {
            return t.clone();
        }
        let t: Arc<str> = Arc::from(self.rope.to_string());
        self.text = Some(t.clone());
        t
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    /// The syntax tree, edited along with the text since it was parsed.
    pub fn tree(&self) -> Option<&tree_sitter::Tree> {
        self.tree.as_ref()
    }

    pub fn set_tree(&mut self, tree: Option<tree_sitter::Tree>) {
        self.tree = tree;
    }

    pub fn take_tree(&mut self) -> Option<tree_sitter::Tree> {
        self.tree.take()
    }
}

/// The rope's char index of an LSP position (clamped like [`LineMap::offset`]).
pub fn char_index(rope: &Rope, pos: Position, enc: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let mut idx = rope.line_to_char(line);
    let mut acc = 0u32;
    for c in rope.line(line).chars() {
        if c == '\n' || c == '\r' {
            break;
        }
        let w = enc.width(c);
        if acc >= pos.character || acc + w > pos.character {
            break;
        }
        acc += w;
        idx += 1;
    }
    idx
}

/// The file a `file:` URI names.
pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

/// The `file:` URI of a path.
pub fn file_uri(path: &std::path::Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn uri() -> Uri {
        Uri::from_str("file:///tmp/x.json").unwrap_or_else(|_| unreachable!())
    }

    fn change(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn positions_count_code_units_of_the_encoding() {
        // "é" is 2 UTF-8 bytes / 1 UTF-16 unit; "𝄞" is 4 bytes / 2 units (a surrogate pair).
        let text = "aé𝄞x\nline2";
        let map = LineMap::new(text);
        let x = text.find('x').unwrap_or_default();
        assert_eq!(map.position(text, x, Encoding::Utf16), Position::new(0, 4));
        assert_eq!(map.position(text, x, Encoding::Utf8), Position::new(0, 7));
        assert_eq!(map.position(text, x, Encoding::Utf32), Position::new(0, 3));
        assert_eq!(map.offset(text, Position::new(0, 4), Encoding::Utf16), x);
        assert_eq!(map.offset(text, Position::new(0, 7), Encoding::Utf8), x);
        // Half a surrogate pair snaps to the character's start.
        let clef = text.find('𝄞').unwrap_or_default();
        assert_eq!(map.offset(text, Position::new(0, 3), Encoding::Utf16), clef);
        // Past the end of a line: its end; past the last line: the text's end.
        assert_eq!(
            map.offset(text, Position::new(0, 99), Encoding::Utf16),
            x + 1
        );
        assert_eq!(
            map.offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        assert_eq!(
            map.position(text, text.len(), Encoding::Utf16),
            Position::new(1, 5)
        );
    }

    #[test]
    fn all_three_line_terminators() {
        let text = "a\r\nb\rc\nd";
        let map = LineMap::new(text);
        assert_eq!(map.line_count(), 4);
        for (ch, line) in [('b', 1), ('c', 2), ('d', 3)] {
            let at = text.find(ch).unwrap_or_default();
            assert_eq!(
                map.position(text, at, Encoding::Utf16),
                Position::new(line, 0)
            );
            assert_eq!(
                map.offset(text, Position::new(line, 0), Encoding::Utf16),
                at
            );
        }
        // The end of line 0 is before "\r\n".
        assert_eq!(map.offset(text, Position::new(0, 5), Encoding::Utf16), 1);
    }

    #[test]
    fn incremental_edits_on_non_ascii_text() {
        let mut d = Document::new(uri(), 1, "json".into(), "{\"ü\": \"𝄞x\"}\nzweite Zeile\n");
        // Replace "x" (after the surrogate pair: UTF-16 col 9) with "yé".
        d.apply(&[change(0, 9, 0, 10, "yé")], 2, Encoding::Utf16);
        assert_eq!(&*d.text(), "{\"ü\": \"𝄞yé\"}\nzweite Zeile\n");
        // Same edit space in UTF-8 columns: "é" is bytes 13..15 of line 0.
        d.apply(&[change(0, 13, 0, 15, "")], 3, Encoding::Utf8);
        assert_eq!(&*d.text(), "{\"ü\": \"𝄞y\"}\nzweite Zeile\n");
        // Across lines, then a full replacement.
        d.apply(&[change(0, 11, 1, 6, "")], 4, Encoding::Utf16);
        assert_eq!(&*d.text(), "{\"ü\": \"𝄞y\" Zeile\n");
        d.apply(
            &[TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "neu".into(),
            }],
            5,
            Encoding::Utf16,
        );
        assert_eq!(&*d.text(), "neu");
        assert_eq!(d.version, 5);
    }

    #[test]
    fn out_of_range_edits_are_clamped() {
        let mut d = Document::new(uri(), 1, "json".into(), "abc");
        d.apply(&[change(7, 3, 2, 0, "!")], 2, Encoding::Utf16);
        assert_eq!(&*d.text(), "abc!");
        d.apply(&[change(0, 2, 0, 1, "")], 3, Encoding::Utf16);
        assert_eq!(&*d.text(), "ac!");
    }

    proptest::proptest! {
        /// Random edits in random encodings give the same text as applying them to a String.
        #[test]
        fn rope_matches_a_string_model(
            init in "[a-zé𝄞\\n\\r ]{0,40}",
            edits in proptest::collection::vec((0u32..6, 0u32..12, 0u32..6, 0u32..12, "[xü𝄞\\n]{0,4}", 0u8..3), 0..30),
        ) {
            let mut d = Document::new(uri(), 0, "t".into(), &init);
            let mut model = init.clone();
            for (i, (l1, c1, l2, c2, t, e)) in edits.into_iter().enumerate() {
                let enc = [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32][e as usize];
                let map = LineMap::new(&model);
                let a = map.offset(&model, Position::new(l1, c1), enc);
                let b = map.offset(&model, Position::new(l2, c2), enc);
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                model.replace_range(a..b, &t);
                d.apply(&[change(l1, c1, l2, c2, &t)], i as i32, enc);
                proptest::prop_assert_eq!(&*d.text(), model.as_str());
            }
        }

        #[test]
        fn position_offset_round_trip(text in "\\PC{0,60}", off in 0usize..80) {
            let map = LineMap::new(&text);
            let off = floor_char_boundary(&text, off.min(text.len()));
            for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
                let p = map.position(&text, off, enc);
                // A '\r' directly before '\n' has no position of its own; all else round-trips.
                let back = map.offset(&text, p, enc);
                let crlf = text.as_bytes().get(off) == Some(&b'\n') && off > 0 && text.as_bytes()[off - 1] == b'\r';
                if !crlf {
                    proptest::prop_assert_eq!(back, off);
                }
            }
        }
    }
}
