//! Type references such as `list[dict[str, Foo]]`, `Optional[X]` or `A | B`, split into the base
//! names that must resolve — with the same rules as the original's `extract_base_types`.

/// Names every type ref may use without defining them (the original's builtins, all versions).
pub const BUILTIN_TYPES: &[&str] = &[
    "str",
    "int",
    "float",
    "bool",
    "None",
    "bytes",
    "dict",
    "list",
    "any",
    "Optional",
    "Union",
    "tuple",
    "set",
    "frozenset",
    "Callable",
    "Iterator",
    "Generator",
    "Sequence",
    "Mapping",
    "Iterable",
    "Any",
    "AsyncCallable",
    "Awaitable",
    "Coroutine",
    "AsyncIterator",
    "Path",
    "datetime",
];

/// A base name inside a type ref, with its byte offset in the ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseName<'a> {
    pub name: &'a str,
    pub offset: usize,
}

/// Base names of `type_ref`: `dict[str, Bar]` → dict, str, Bar; `str | None` → str, None.
pub fn base_types(type_ref: &str) -> Vec<BaseName<'_>> {
    let mut out = Vec::new();
    collect(type_ref, 0, &mut out, 0);
    out
}

fn collect<'a>(s: &'a str, base: usize, out: &mut Vec<BaseName<'a>>, depth: usize) {
    if depth > 64 {
        return; // absurd nesting: stop rather than recurse without bound
    }
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    let base = base + lead;
    if t.is_empty() {
        return;
    }
    let parts = split_top(t, '|');
    if parts.len() > 1 {
        for (off, p) in parts {
            collect(p, base + off, out, depth + 1);
        }
        return;
    }
    if let Some(open) = t.find('[') {
        if open > 0 && t.ends_with(']') {
            collect(&t[..open], base, out, depth + 1);
            let inner = &t[open + 1..t.len() - 1];
            for (off, p) in split_top(inner, ',') {
                collect(p, base + open + 1 + off, out, depth + 1);
            }
            return;
        }
        if open == 0 && t.ends_with(']') {
            // A bare `[a, b]` group, as in `Callable[[str, int], X]`.
            for (off, p) in split_top(&t[1..t.len() - 1], ',') {
                collect(p, base + 1 + off, out, depth + 1);
            }
            return;
        }
    }
    out.push(BaseName {
        name: t,
        offset: base,
    });
}

/// Splits at `sep` where brackets are balanced; yields (offset, part).
fn split_top(s: &str, sep: char) -> Vec<(usize, &str)> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push((start, &s[start..i]));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push((start, &s[start..]));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<&str> {
        base_types(s).into_iter().map(|b| b.name).collect()
    }

    #[test]
    fn splits_like_the_original() {
        assert_eq!(names("dict[str, int]"), ["dict", "str", "int"]);
        assert_eq!(
            names("list[dict[str, Bar]]"),
            ["list", "dict", "str", "Bar"]
        );
        assert_eq!(names("str | None"), ["str", "None"]);
        assert_eq!(names("Optional[X]"), ["Optional", "X"]);
        assert_eq!(
            names("AsyncCallable[[str, str], X]"),
            ["AsyncCallable", "str", "str", "X"]
        );
        assert_eq!(names("  "), Vec::<&str>::new());
        assert_eq!(names("list[A | B]"), ["list", "A", "B"]);
    }

    #[test]
    fn offsets_point_into_the_ref() {
        let r = "list[dict[str, Bar]]";
        for b in base_types(r) {
            assert_eq!(&r[b.offset..b.offset + b.name.len()], b.name);
        }
    }

    proptest::proptest! {
        #[test]
        fn offsets_always_valid(r in "[A-Za-z\\[\\], |()]{0,40}") {
            for b in base_types(&r) {
                proptest::prop_assert_eq!(r.get(b.offset..b.offset + b.name.len()), Some(b.name));
            }
        }
    }
}
