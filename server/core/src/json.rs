//! Reading JSON documents with errors that point at a position, and finding where a value sits in
//! the text so findings can underline it.

use crate::text::TextRange;
use jsonc_parser::ast::{ObjectPropName, Value as Ast};
use jsonc_parser::common::Ranged;
use serde::de::DeserializeOwned;
use std::fmt;

/// Files larger than this are refused: no Pact document is legitimately this big, and reading one
/// should not take the language server's memory with it.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// tree.json alone may be larger: the original saves every contract into its node once the
/// contract phase is done (`node.contract = contract`), so its tree carries a second copy of all
/// contracts — ~15 MB at 1,000 components, ~75 MB at 5,000.
pub const MAX_TREE_BYTES: usize = 256 * 1024 * 1024;

/// The most bytes Pact reads of the document at `path`.
pub fn max_bytes(path: &std::path::Path) -> u64 {
    let tree = path.file_name().is_some_and(|n| n == "tree.json")
        && path
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == "decomposition");
    (if tree {
        MAX_TREE_BYTES
    } else {
        MAX_DOCUMENT_BYTES
    }) as u64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// Not a regular file, too large, not UTF-8 text, or refused by the file system.
    Unreadable,
    /// Not well-formed JSON (including a truncated, half-written file).
    Syntax,
    /// Well-formed JSON that does not fit the document's schema.
    Schema,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub message: String,
    /// Where the problem is; for schema errors, the offending value when it can be found.
    pub range: TextRange,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(s: &str) -> Self {
        Seg::Key(s.to_string())
    }
}
impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// Builds a path: `path!["functions", 2, "inputs", 0, "type_ref"]`.
#[macro_export]
macro_rules! json_path {
    ($($s:expr),* $(,)?) => { [$($crate::json::Seg::from($s)),*] };
}

/// Turns raw bytes into text, refusing binary garbage and oversized files with a clear reason.
pub fn decode(bytes: &[u8]) -> Result<&str, JsonError> {
    use crate::store::fsio::{ReadError, check_text};
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(JsonError::unreadable(&ReadError::TooLarge {
            size: bytes.len() as u64,
            max: MAX_DOCUMENT_BYTES as u64,
        }));
    }
    check_text(bytes).map_err(|e| JsonError::unreadable(&e))
}

impl JsonError {
    /// A document that could not be read as text, and why ("is a FIFO (named pipe), not a
    /// regular file"). It has no text, so the finding sits at its start.
    pub fn unreadable(e: &crate::store::fsio::ReadError) -> Self {
        JsonError {
            kind: JsonErrorKind::Unreadable,
            message: e.to_string(),
            range: TextRange::default(),
        }
    }
}

/// Parses `text` as a `T`. Errors carry a position; schema errors name the field path.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    match serde_json::from_str::<T>(text) {
        Ok(v) => Ok(v),
        Err(e) if e.is_data() => Err(schema_error::<T>(text, e)),
        Err(e) => {
            let offset = offset_of(text, e.line(), e.column());
            let message = strip_position(&e.to_string());
            let message = if e.is_eof() {
                format!("{message} (the file is truncated or half-written)")
            } else {
                message
            };
            Err(JsonError {
                kind: JsonErrorKind::Syntax,
                message,
                range: TextRange::new(offset, next_char(text, offset)),
            })
        }
    }
}

/// Re-reads the document to learn the path of a schema error, then underlines that value.
fn schema_error<T: DeserializeOwned>(text: &str, first: serde_json::Error) -> JsonError {
    let fallback = offset_of(text, first.line(), first.column());
    let mut de = serde_json::Deserializer::from_str(text);
    let (path, inner) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => (Vec::new(), first),
        Err(e) => {
            let path: Vec<Seg> = e
                .path()
                .iter()
                .filter_map(|s| match s {
                    serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                    serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                    _ => None,
                })
                .collect();
            (path, e.into_inner())
        }
    };
    let detail = strip_position(&inner.to_string());
    let missing = detail.starts_with("missing field");
    let range = if path.is_empty() {
        None
    } else if missing {
        locate(text, &path).map(|r| TextRange::new(r.start, r.start + 1))
    } else {
        locate(text, &path)
    };
    let range = range.unwrap_or_else(|| TextRange::new(fallback, next_char(text, fallback)));
    let message = if path.is_empty() {
        detail
    } else {
        format!("{}: {detail}", display_path(&path))
    };
    JsonError {
        kind: JsonErrorKind::Schema,
        message,
        range,
    }
}

/// `functions[0].inputs[1].type_ref`
pub fn display_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn next_char(text: &str, offset: usize) -> usize {
    text[offset..]
        .chars()
        .next()
        .map_or(offset, |c| offset + c.len_utf8())
}

/// serde_json reports 1-based lines and 1-based byte columns (0 when the error is at a newline).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line.max(1) {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    crate::text::floor_char_boundary(text, (start + column.saturating_sub(1)).min(text.len()))
}

/// Where in `text` the value at `path` is (its full extent, quotes included for strings).
pub fn locate(text: &str, path: &[Seg]) -> Option<TextRange> {
    with_ast(text, |root| walk(root, path).map(|v| to_range(v.range())))
}

/// Where the key of the last step of `path` is, or the value for an array index.
pub fn locate_key(text: &str, path: &[Seg]) -> Option<TextRange> {
    let (last, parent) = path.split_last()?;
    with_ast(text, |root| {
        let parent = walk(root, parent)?;
        match (parent, last) {
            (Ast::Object(o), Seg::Key(k)) => o.get(k).map(|p| to_range(p.name.range())),
            (Ast::Array(a), Seg::Index(i)) => a.elements.get(*i).map(|v| to_range(v.range())),
            _ => None,
        }
    })
}

/// The range of `needle` inside the string value at `path` (e.g. a type name inside a type ref).
pub fn locate_in_string(text: &str, path: &[Seg], needle: &str) -> Option<TextRange> {
    let whole = locate(text, path)?;
    let raw = text.get(whole.start..whole.end)?;
    let at = find_word(raw, needle)?;
    Some(TextRange::new(
        whole.start + at,
        whole.start + at + needle.len(),
    ))
}

/// First occurrence of `needle` not glued to other identifier characters.
pub fn find_word(hay: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let at = from + i;
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

fn to_range(r: jsonc_parser::common::Range) -> TextRange {
    TextRange::new(r.start, r.end)
}

fn with_ast<R>(text: &str, f: impl FnOnce(&Ast<'_>) -> Option<R>) -> Option<R> {
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default()).ok()?;
    f(parsed.value.as_ref()?)
}

fn walk<'a, 'b>(mut v: &'b Ast<'a>, path: &[Seg]) -> Option<&'b Ast<'a>> {
    for seg in path {
        v = match (v, seg) {
            (Ast::Object(o), Seg::Key(k)) => &o.get(k)?.value,
            (Ast::Array(a), Seg::Index(i)) => a.elements.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Every key of the object at `path`, with its range (used for completions and symbols).
pub fn object_keys(text: &str, path: &[Seg]) -> Vec<(String, TextRange)> {
    with_ast(text, |root| match walk(root, path)? {
        Ast::Object(o) => Some(
            o.properties
                .iter()
                .map(|p| {
                    let name = match &p.name {
                        ObjectPropName::String(s) => s.value.to_string(),
                        ObjectPropName::Word(w) => w.value.to_string(),
                    };
                    (name, to_range(p.name.range()))
                })
                .collect(),
        ),
        _ => None,
    })
    .unwrap_or_default()
}

/// Maps an offset in the decoded value of a JSON string literal to the offset in its raw text
/// (`raw` starts at the opening quote), so a position inside embedded code can be underlined in
/// the JSON file that holds it.
pub fn raw_offset_in_string(raw: &str, decoded_offset: usize) -> usize {
    let bytes = raw.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'"'));
    let mut decoded = 0;
    while i < bytes.len() && decoded < decoded_offset {
        match bytes[i] {
            b'"' => break,
            b'\\' => {
                let esc = bytes.get(i + 1).copied().unwrap_or(b'\\');
                if esc == b'u' {
                    let hex = raw
                        .get(i + 2..i + 6)
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .unwrap_or(0);
                    if (0xD800..0xDC00).contains(&hex) {
                        decoded += 4; // a surrogate pair: one 4-byte char, 12 raw bytes
                        i += 12;
                    } else {
                        decoded += char::from_u32(hex).map_or(3, char::len_utf8);
                        i += 6;
                    }
                } else {
                    decoded += 1;
                    i += 2;
                }
            }
            b => {
                let len = utf8_len(b);
                decoded += len;
                i += len;
            }
        }
    }
    i.min(raw.len())
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentContract;

    #[test]
    fn raw_offsets_follow_escapes() {
        let raw = r#""a\nb\u00e9c""#;
        // decoded: "a\nbéc" → 'c' at decoded offset 5 (é is 2 bytes)
        assert_eq!(
            &raw[raw_offset_in_string(raw, 5)..raw_offset_in_string(raw, 5) + 1],
            "c"
        );
        assert_eq!(raw_offset_in_string(raw, 0), 1);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse::<serde_json::Value>("{\n  \"a\": 1,\n  \"b\": }").err();
        let e = e.map(|e| (e.kind, e.range.start));
        assert_eq!(e, Some((JsonErrorKind::Syntax, 19)));
        let e = parse::<serde_json::Value>("{\"a\": [1, 2")
            .err()
            .map(|e| e.message);
        assert!(e.is_some_and(|m| m.contains("truncated")));
    }

    #[test]
    fn schema_errors_name_and_underline_the_value() {
        let text = r#"{"component_id": "c", "name": "n", "description": "d",
 "functions": [{"name": "f", "description": "", "inputs": [], "output_type": 7}]}"#;
        let e = parse::<ComponentContract>(text).err();
        let Some(e) = e else {
            panic!("expected a schema error")
        };
        assert_eq!(e.kind, JsonErrorKind::Schema);
        assert!(
            e.message
                .starts_with("functions[0].output_type: invalid type: integer `7`"),
            "{}",
            e.message
        );
        assert_eq!(&text[e.range.start..e.range.end], "7");
    }

    #[test]
    fn unknown_enum_values_are_schema_errors() {
        let text = r#"{"name": "T", "kind": "structure"}"#;
        let e = parse::<crate::model::TypeSpec>(text).err();
        let Some(e) = e else {
            panic!("expected a schema error")
        };
        assert!(
            e.message.contains("unknown variant `structure`"),
            "{}",
            e.message
        );
        assert_eq!(&text[e.range.start..e.range.end], "\"structure\"");
    }

    #[test]
    fn only_the_tree_may_be_larger() {
        use std::path::Path;
        let tree = Path::new("/p/.pact/decomposition/tree.json");
        assert_eq!(max_bytes(tree), MAX_TREE_BYTES as u64);
        for other in [
            "/p/.pact/contracts/a/interface.json",
            "/p/tree.json",
            "/p/x/tree.json",
        ] {
            assert_eq!(
                max_bytes(Path::new(other)),
                MAX_DOCUMENT_BYTES as u64,
                "{other}"
            );
        }
    }

    #[test]
    fn binary_and_huge_input_is_refused() {
        assert_eq!(
            decode(&[0xff, 0xfe, 0]).err().map(|e| e.kind),
            Some(JsonErrorKind::Unreadable)
        );
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert!(
            decode(&big)
                .err()
                .is_some_and(|e| e.message.contains("too large"))
        );
    }

    #[test]
    fn locate_finds_nested_values() {
        let text = "{\"a\": [{\"b\": \"list[Foo]\"}]}";
        let r = locate_in_string(text, &json_path!["a", 0, "b"], "Foo");
        assert_eq!(r.map(|r| &text[r.start..r.end]), Some("Foo"));
    }
}
