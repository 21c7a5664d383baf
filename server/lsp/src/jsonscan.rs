//! A tolerant JSON scanner: it walks text that is being typed (unterminated strings, missing
//! commas, half an object) and says, for every string and container, the path it sits at. The
//! editor features use it to learn what is under the cursor without a successful parse.

use pact_core::json::Seg;
use pact_core::text::TextRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    OpenObj,
    CloseObj,
    OpenArr,
    CloseArr,
    Colon,
    Comma,
    /// A string; `closed` is false when the line or text ended first.
    Str {
        closed: bool,
    },
    Scalar,
}

struct Lexer<'a> {
    b: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Option<(Tok, TextRange)> {
        while self.pos < self.b.len() && matches!(self.b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let c = *self.b.get(start)?;
        let tok = match c {
            b'{' => Tok::OpenObj,
            b'}' => Tok::CloseObj,
            b'[' => Tok::OpenArr,
            b']' => Tok::CloseArr,
            b':' => Tok::Colon,
            b',' => Tok::Comma,
            b'"' => {
                let mut i = start + 1;
                let mut closed = false;
                while i < self.b.len() {
                    match self.b[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => i += 1,
                    }
                }
                self.pos = i.min(self.b.len());
                return Some((Tok::Str { closed }, TextRange::new(start, self.pos)));
            }
            _ => {
                let mut i = start;
                while i < self.b.len()
                    && !matches!(
                        self.b[i],
                        b' ' | b'\t'
                            | b'\n'
                            | b'\r'
                            | b'{'
                            | b'}'
                            | b'['
                            | b']'
                            | b':'
                            | b','
                            | b'"'
                    )
                {
                    i += 1;
                }
                // Always make progress, and stop on a char boundary.
                let mut i = i.max(start + 1);
                while i < self.b.len() && !self.text.is_char_boundary(i) {
                    i += 1;
                }
                self.pos = i;
                return Some((Tok::Scalar, TextRange::new(start, i)));
            }
        };
        self.pos = start + 1;
        Some((tok, TextRange::new(start, start + 1)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjSt {
    Key,
    Colon,
    Value,
    After,
}

#[derive(Debug, Clone)]
enum Frame {
    Obj {
        key: Option<String>,
        st: ObjSt,
        start: usize,
    },
    Arr {
        index: usize,
        after: bool,
        start: usize,
    },
}

/// What the scanner found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// An object key (the decoded name); its path is the object's path plus the key.
    Key(String),
    /// A string value (decoded).
    Str(String),
    /// A number, `true`, `false`, `null` or junk.
    Scalar,
    /// A container opened here (`true` for an object).
    Open(bool),
    /// A container closed here; `range` spans the whole container.
    Close(bool),
    /// A `:` or `,` (only [`spot_at`] sees these).
    Punct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    /// For strings and keys: quotes included (no closing quote when unterminated).
    pub range: TextRange,
    /// Strings only: whether the closing quote is there.
    pub closed: bool,
}

impl Item {
    /// The range between the quotes of a string or key.
    pub fn content(&self) -> TextRange {
        let end = if self.closed {
            self.range.end.saturating_sub(1)
        } else {
            self.range.end
        };
        TextRange::new((self.range.start + 1).min(end), end)
    }
}

/// The walker: the container stack and the current path.
struct Walker<'a> {
    lex: Lexer<'a>,
    stack: Vec<Frame>,
    /// Path segments of the containers on the stack, outermost first (one per frame but the first).
    path: Vec<Seg>,
}

impl<'a> Walker<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            lex: Lexer {
                b: text.as_bytes(),
                text,
                pos: 0,
            },
            stack: Vec::new(),
            path: Vec::new(),
        }
    }

    /// The segment a value at the current position gets inside the innermost container.
    fn value_seg(&self) -> Option<Seg> {
        match self.stack.last()? {
            Frame::Obj { key, .. } => Some(Seg::Key(key.clone().unwrap_or_default())),
            Frame::Arr { index, .. } => Some(Seg::Index(*index)),
        }
    }

    fn value_path(&self) -> Vec<Seg> {
        let mut p = self.path.clone();
        p.extend(self.value_seg());
        p
    }

    fn after_value(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Obj { st, .. }) => *st = ObjSt::After,
            Some(Frame::Arr { after, .. }) => *after = true,
            None => {}
        }
    }

    /// Whether the position after everything consumed so far expects an object key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Obj { st: ObjSt::Key, .. }))
    }

    fn expects_value(&self) -> bool {
        match self.stack.last() {
            Some(Frame::Obj { st, .. }) => *st == ObjSt::Value,
            Some(Frame::Arr { after, .. }) => !after,
            None => true,
        }
    }

    fn pop(&mut self) -> Option<Frame> {
        let f = self.stack.pop()?;
        if !self.stack.is_empty() {
            self.path.pop();
        }
        Some(f)
    }

    /// Consumes one token; returns what it was, with the path of the item.
    fn step(&mut self) -> Option<(Vec<Seg>, Item)> {
        let (tok, range) = self.lex.next()?;
        let text = self.lex.text;
        let out = match tok {
            Tok::OpenObj | Tok::OpenArr => {
                let is_obj = tok == Tok::OpenObj;
                let path = self.value_path();
                if let Some(seg) = self.value_seg() {
                    self.path.push(seg);
                }
                self.stack.push(if is_obj {
                    Frame::Obj {
                        key: None,
                        st: ObjSt::Key,
                        start: range.start,
                    }
                } else {
                    Frame::Arr {
                        index: 0,
                        after: false,
                        start: range.start,
                    }
                });
                (
                    path,
                    Item {
                        kind: ItemKind::Open(is_obj),
                        range,
                        closed: true,
                    },
                )
            }
            Tok::CloseObj | Tok::CloseArr => {
                let want_obj = tok == Tok::CloseObj;
                // Pop to the nearest container of the right kind (tolerating a missing bracket).
                let matching = self
                    .stack
                    .iter()
                    .rposition(|f| matches!(f, Frame::Obj { .. }) == want_obj);
                let Some(at) = matching else {
                    return Some((
                        self.path.clone(),
                        Item {
                            kind: ItemKind::Scalar,
                            range,
                            closed: true,
                        },
                    ));
                };
                while self.stack.len() > at + 1 {
                    self.pop();
                }
                let start = match self.stack.last() {
                    Some(Frame::Obj { start, .. } | Frame::Arr { start, .. }) => *start,
                    None => range.start,
                };
                let path = self.path.clone();
                self.pop();
                self.after_value();
                (
                    path,
                    Item {
                        kind: ItemKind::Close(want_obj),
                        range: TextRange::new(start, range.end),
                        closed: true,
                    },
                )
            }
            Tok::Colon => {
                if let Some(Frame::Obj { st, .. }) = self.stack.last_mut()
                    && *st == ObjSt::Colon
                {
                    *st = ObjSt::Value;
                }
                (
                    Vec::new(),
                    Item {
                        kind: ItemKind::Punct,
                        range,
                        closed: true,
                    },
                )
            }
            Tok::Comma => {
                match self.stack.last_mut() {
                    Some(Frame::Obj { st, key, .. }) => {
                        *st = ObjSt::Key;
                        *key = None;
                    }
                    Some(Frame::Arr { index, after, .. }) => {
                        *index += 1;
                        *after = false;
                    }
                    None => {}
                }
                (
                    Vec::new(),
                    Item {
                        kind: ItemKind::Punct,
                        range,
                        closed: true,
                    },
                )
            }
            Tok::Str { closed } => {
                let raw = text
                    .get(range.start + 1..if closed { range.end - 1 } else { range.end })
                    .unwrap_or("");
                let value = decode(raw);
                let is_key = matches!(
                    self.stack.last(),
                    Some(Frame::Obj {
                        st: ObjSt::Key | ObjSt::After,
                        ..
                    })
                );
                if is_key {
                    let mut path = self.path.clone();
                    path.push(Seg::Key(value.clone()));
                    if let Some(Frame::Obj { key, st, .. }) = self.stack.last_mut() {
                        *key = Some(value.clone());
                        *st = ObjSt::Colon;
                    }
                    (
                        path,
                        Item {
                            kind: ItemKind::Key(value),
                            range,
                            closed,
                        },
                    )
                } else {
                    let path = self.value_path();
                    self.after_value();
                    (
                        path,
                        Item {
                            kind: ItemKind::Str(value),
                            range,
                            closed,
                        },
                    )
                }
            }
            Tok::Scalar => {
                let path = self.value_path();
                self.after_value();
                (
                    path,
                    Item {
                        kind: ItemKind::Scalar,
                        range,
                        closed: true,
                    },
                )
            }
        };
        Some(out)
    }
}

/// Decodes a JSON string body (without quotes), leniently.
pub fn decode(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                out.push(
                    u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .unwrap_or('\u{fffd}'),
                );
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Every item of the text, in order, with its path. `f` returns false to stop.
pub fn scan(text: &str, mut f: impl FnMut(&[Seg], &Item) -> bool) {
    let mut w = Walker::new(text);
    while let Some((path, item)) = w.step() {
        if item.kind != ItemKind::Punct && !f(&path, &item) {
            return;
        }
    }
}

/// What is at a cursor position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spot {
    /// Inside an object key.
    Key {
        path: Vec<Seg>,
        item: Item,
        siblings: Vec<String>,
    },
    /// Inside a string value.
    Str {
        path: Vec<Seg>,
        value: String,
        item: Item,
    },
    /// On a number/literal.
    Scalar {
        path: Vec<Seg>,
        item: Item,
    },
    /// Between tokens where an object key is expected; `path` is the object's.
    ExpectKey {
        path: Vec<Seg>,
        siblings: Vec<String>,
    },
    /// Between tokens where a value is expected; `path` is the value's.
    ExpectValue {
        path: Vec<Seg>,
    },
    Nothing,
}

/// What is at `offset`. With `typing` (completion), a cursor right after a string's opening
/// quote is inside it and one on the opening quote is not; without (hover), the character at
/// the offset is what counts.
pub fn spot_at(text: &str, offset: usize, typing: bool) -> Spot {
    let mut w = Walker::new(text);
    loop {
        // The state between the previous token and the next one.
        let before = if w.expects_key() {
            Spot::ExpectKey {
                path: w.path.clone(),
                siblings: Vec::new(),
            }
        } else if w.expects_value() {
            Spot::ExpectValue {
                path: w.value_path(),
            }
        } else {
            Spot::Nothing
        };
        let Some((path, item)) = w.step() else {
            return before;
        };
        let r = item.range;
        let inside = match item.kind {
            ItemKind::Str(_) | ItemKind::Key(_) => {
                let open = if typing {
                    r.start < offset
                } else {
                    r.start <= offset
                };
                open && (offset < r.end || (offset == r.end && !item.closed))
            }
            ItemKind::Scalar => r.start <= offset && offset < r.end,
            _ => false,
        };
        if inside {
            return match item.kind.clone() {
                ItemKind::Key(_) => Spot::Key {
                    path,
                    item,
                    siblings: Vec::new(),
                },
                ItemKind::Str(value) => Spot::Str { path, value, item },
                _ => Spot::Scalar { path, item },
            };
        }
        let start = match item.kind {
            ItemKind::Close(_) => r.end - 1,
            _ => r.start,
        };
        if start >= offset {
            return before;
        }
    }
}

/// [`spot_at`] that also lists all keys of the object for `ExpectKey` (walking the whole text).
pub fn spot_with_keys(text: &str, offset: usize, typing: bool) -> Spot {
    match spot_at(text, offset, typing) {
        Spot::ExpectKey { path, .. } => {
            let siblings = keys_of(text, &path, offset);
            Spot::ExpectKey { path, siblings }
        }
        Spot::Key { path, item, .. } => {
            let obj = &path[..path.len().saturating_sub(1)];
            let mut siblings = keys_of(text, obj, offset);
            if let ItemKind::Key(k) = &item.kind
                && let Some(i) = siblings.iter().position(|s| s == k)
            {
                siblings.remove(i);
            }
            Spot::Key {
                path,
                item,
                siblings,
            }
        }
        other => other,
    }
}

/// Keys of the object at `path` (the one containing `near` when several share the path, which
/// cannot happen in valid JSON).
fn keys_of(text: &str, path: &[Seg], _near: usize) -> Vec<String> {
    let mut out = Vec::new();
    scan(text, |p, item| {
        if let ItemKind::Key(k) = &item.kind
            && p.len() == path.len() + 1
            && p[..path.len()] == *path
        {
            out.push(k.clone());
        }
        true
    });
    out
}

/// Does `path` match a pattern like `functions/#/inputs/#/type_ref`? `#` is any index, `*` any
/// key; other segments are literal keys.
pub fn is(path: &[Seg], pattern: &str) -> bool {
    let pat: Vec<&str> = if pattern.is_empty() {
        Vec::new()
    } else {
        pattern.split('/').collect()
    };
    pat.len() == path.len()
        && pat.iter().zip(path).all(|(p, s)| match (*p, s) {
            ("#", Seg::Index(_)) => true,
            ("*", Seg::Key(_)) => true,
            (lit, Seg::Key(k)) => lit == k,
            _ => false,
        })
}

/// A path as a string key (`types.0.name`), for maps.
pub fn path_key(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                s.push('\u{1}');
                s.push_str(k);
            }
            Seg::Index(i) => {
                s.push('\u{2}');
                s.push_str(&i.to_string());
            }
        }
    }
    s
}

/// The index at position `i` of a path (0 when it is not an index).
pub fn index(path: &[Seg], i: usize) -> usize {
    match path.get(i) {
        Some(Seg::Index(n)) => *n,
        _ => 0,
    }
}

/// The key at position `i` of a path.
pub fn key(path: &[Seg], i: usize) -> &str {
    match path.get(i) {
        Some(Seg::Key(k)) => k,
        _ => "",
    }
}

/// The byte offset inside the raw text of a string item that corresponds to `decoded` bytes of
/// its value (identity for strings without escapes, which is every type ref and id).
pub fn raw_offset(text: &str, item: &Item, decoded: usize) -> usize {
    let raw = text.get(item.range.start..item.range.end).unwrap_or("");
    item.range.start + pact_core::json::raw_offset_in_string(raw, decoded)
}

/// The decoded offset of raw position `offset` inside a string item.
pub fn decoded_offset(text: &str, item: &Item, offset: usize) -> usize {
    let content = item.content();
    let raw = text
        .get(content.start..offset.clamp(content.start, content.end))
        .unwrap_or("");
    decode(raw).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    macro_rules! json_path {
        ($($t:tt)*) => { pact_core::json_path![$($t)*].to_vec() };
    }

    fn strings(text: &str) -> Vec<(Vec<Seg>, String)> {
        let mut out = Vec::new();
        scan(text, |p, i| {
            if let ItemKind::Str(s) = &i.kind {
                out.push((p.to_vec(), s.clone()));
            }
            true
        });
        out
    }

    #[test]
    fn paths_of_values() {
        let text = r#"{"a": [{"b": "x"}, "y"], "c": {"d": "z\n"}}"#;
        assert_eq!(
            strings(text),
            vec![
                (json_path!["a", 0, "b"], "x".to_string()),
                (json_path!["a", 1], "y".to_string()),
                (json_path!["c", "d"], "z\n".to_string())
            ]
        );
    }

    #[test]
    fn tolerates_half_typed_json() {
        let text = "{\"functions\": [{\"name\": \"f\", \"output_type\": \"Wo\n";
        let off = text.find("Wo").unwrap_or_default() + 2;
        match spot_at(text, off, true) {
            Spot::Str { path, value, .. } => {
                assert_eq!(path, json_path!["functions", 0, "output_type"]);
                assert_eq!(value, "Wo");
            }
            other => panic!("{other:?}"),
        }
        let text = "{\"types\": [{\"kind\": ";
        assert_eq!(
            spot_at(text, text.len(), true),
            Spot::ExpectValue {
                path: json_path!["types", 0, "kind"]
            }
        );
        let text = "{\"types\": [{\"name\": \"T\", ";
        assert!(
            matches!(spot_at(text, text.len(), true), Spot::ExpectKey { path, .. } if path == json_path!["types", 0])
        );
        let text = "{\"dependencies\": [\"a\", ";
        assert_eq!(
            spot_at(text, text.len(), true),
            Spot::ExpectValue {
                path: json_path!["dependencies", 1]
            }
        );
    }

    #[test]
    fn keys_and_siblings() {
        let text = r#"{"name": "x", "ki": "struct", "fields": []}"#;
        let off = text.find("ki").unwrap_or_default() + 1;
        match spot_with_keys(text, off, true) {
            Spot::Key { path, siblings, .. } => {
                assert_eq!(path, json_path!["ki"]);
                assert_eq!(siblings, vec!["name".to_string(), "fields".to_string()]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hover_counts_the_opening_quote() {
        let text = r#"{"a": "xyz"}"#;
        let q = text.find("\"xyz").unwrap_or_default();
        assert!(matches!(spot_at(text, q, false), Spot::Str { .. }));
        assert!(!matches!(spot_at(text, q, true), Spot::Str { .. }));
    }

    #[test]
    fn container_ranges() {
        let text = r#"{"types": [{"name": "A"}, {"name": "B"}]}"#;
        let mut closes = Vec::new();
        scan(text, |p, i| {
            if let ItemKind::Close(true) = i.kind {
                closes.push((p.to_vec(), &text[i.range.start..i.range.end]));
            }
            true
        });
        assert_eq!(closes[0], (json_path!["types", 0], r#"{"name": "A"}"#));
        assert_eq!(closes[2], (Vec::new(), text));
    }

    #[test]
    fn patterns() {
        assert!(is(
            &json_path!["functions", 3, "inputs", 0, "type_ref"],
            "functions/#/inputs/#/type_ref"
        ));
        assert!(is(
            &json_path!["nodes", "counter", "children", 2],
            "nodes/*/children/#"
        ));
        assert!(!is(&json_path!["nodes", "counter"], "nodes/*/children/#"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[{}\\[\\]:,\"\\\\a-z0-9 \\n]{0,80}|\\PC{0,80}", off in 0usize..100) {
            scan(&text, |_, _| true);
            let off = pact_core::text::floor_char_boundary(&text, off.min(text.len()));
            let _ = spot_with_keys(&text, off, true);
            let _ = spot_at(&text, off, false);
        }
    }
}
