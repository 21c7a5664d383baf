//! Requirements of task.md that no component mentions.

use super::*;

/// Template and filler text that states no requirement.
pub(super) const TEMPLATE_LINES: &[&str] = &[
    "Describe your task here.",
    "Any relevant context, constraints, or requirements.",
];

/// Words that carry no subject matter in a requirement.
pub(super) const STOPWORDS: &str = "\
     a an the and or nor but if then else of to in on at by for with from into onto as is are \
     be been being was were it its this that these those there their they them we you your \
     our us i me my he she his her not no yes all any each every some such than too very can \
     could should would will shall must may might do does did done has have had get gets got \
     make makes made use uses used using via also only just so up down out over under about \
     how what when where which who whom why build builds create creates implement implements \
     provide provides support supports given small simple new way like etc more most less \
     least other others same both between after before while per within without often many \
     much few one two three able need needs want wants task tasks user users e.g i.e eg ie";

pub(super) fn stopwords() -> &'static HashSet<&'static str> {
    static SET: std::sync::OnceLock<HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOPWORDS.split_whitespace().collect())
}

/// A requirement of task.md: where it starts (byte offset) and its text.
pub(super) fn requirement_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut para: Vec<(usize, &str)> = Vec::new();
    let mut fence = false;
    let mut offset = 0;
    let flush = |para: &mut Vec<(usize, &str)>, out: &mut Vec<(usize, String)>| {
        for (at, s) in sentences(para) {
            out.push((at, s));
        }
        para.clear();
    };
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        let indent = body.len() - trimmed.len();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            flush(&mut para, &mut out);
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            flush(&mut para, &mut out);
            continue;
        }
        if TEMPLATE_LINES.contains(&trimmed.trim()) {
            flush(&mut para, &mut out);
            continue;
        }
        if let Some(item) = list_item(trimmed) {
            flush(&mut para, &mut out);
            let at = start + indent + (trimmed.len() - item.len());
            para.push((at, item));
            continue;
        }
        para.push((start + indent, trimmed));
    }
    flush(&mut para, &mut out);
    out
}

/// The text of a list item (`- x`, `* x`, `+ x`, `1. x`, `1) x`), without its marker.
pub(super) fn list_item(line: &str) -> Option<&str> {
    for m in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(m) {
            let rest = rest.trim_start();
            // A task list's box is not part of the requirement.
            let rest = ["[ ] ", "[x] ", "[X] "]
                .iter()
                .find_map(|b| rest.strip_prefix(b))
                .unwrap_or(rest);
            return Some(rest);
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let rest = &line[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(r.trim_start());
        }
    }
    None
}

/// The sentences of a paragraph (its lines joined), each with the offset it starts at.
pub(super) fn sentences(lines: &[(usize, &str)]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_at: Option<usize> = None;
    for (at, line) in lines {
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (k, (i, c)) in chars.iter().enumerate() {
            if cur_at.is_none() {
                if c.is_whitespace() {
                    continue;
                }
                cur_at = Some(at + i);
            }
            cur.push(*c);
            let next = chars.get(k + 1).map(|(_, n)| *n);
            let ends = matches!(c, '.' | '!' | '?')
                && next.is_none_or(char::is_whitespace)
                && !abbreviation(&cur);
            if ends && let Some(s) = cur_at.take() {
                out.push((s, std::mem::take(&mut cur).trim().to_string()));
            }
        }
        if cur_at.is_some() {
            cur.push(' ');
        }
    }
    if let Some(s) = cur_at
        && !cur.trim().is_empty()
    {
        out.push((s, cur.trim().to_string()));
    }
    out
}

pub(super) fn abbreviation(sentence: &str) -> bool {
    let last = sentence.rsplit(char::is_whitespace).next().unwrap_or("");
    let l = last.to_ascii_lowercase();
    ["e.g.", "i.e.", "etc.", "vs.", "cf.", "approx."].contains(&l.as_str())
}

/// The subject-matter words of `text`, crudely stemmed, so that "tokenizes" meets "tokenize".
pub(super) fn keywords(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        for part in split_identifier(w) {
            let lower = part.to_lowercase();
            if lower.len() < 3
                || lower.chars().all(|c| c.is_ascii_digit())
                || stopwords().contains(lower.as_str())
            {
                continue;
            }
            out.insert(stem(&lower));
        }
    }
    out
}

/// `WordCount` → `Word`, `Count`; `top_n` is split by the caller on `_`.
pub(super) fn split_identifier(w: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = w.char_indices().collect();
    for k in 1..chars.len() {
        let (i, c) = chars[k];
        let prev = chars[k - 1].1;
        if c.is_uppercase() && prev.is_lowercase() {
            parts.push(&w[start..i]);
            start = i;
        }
    }
    parts.push(&w[start..]);
    parts
}

pub(super) fn stem(w: &str) -> String {
    let mut s = w.to_string();
    if let Some(b) = s.strip_suffix("ies").filter(|b| b.len() >= 2) {
        s = format!("{b}y");
    } else if s.ends_with("sses") {
        s.truncate(s.len() - 2);
    } else if s.len() > 3 && s.ends_with('s') && !s.ends_with("ss") && !s.ends_with("us") {
        s.pop();
    }
    for suffix in ["ingly", "ing", "edly", "ed", "ly"] {
        if s.len() > suffix.len() + 3
            && let Some(b) = s.strip_suffix(suffix)
        {
            s = b.to_string();
            break;
        }
    }
    if s.len() > 4 && s.ends_with('e') {
        s.pop();
    }
    s
}

/// Everything a component's plan says: its node, contract and test cases.
pub(super) fn component_text(a: &Artifacts, id: &str) -> String {
    let mut t = String::new();
    let mut add = |s: &str| {
        t.push_str(s);
        t.push('\n');
    };
    add(id);
    if let Some(n) = a.tree.nodes.get(id) {
        add(&n.name);
        add(&n.description);
    }
    if let Some(c) = a.contract(id) {
        for s in contract_strings(c) {
            add(&s.text);
        }
        for ty in &c.types {
            add(&ty.name);
            for field in &ty.fields {
                add(&field.name);
            }
            for v in &ty.variants {
                add(v);
            }
        }
        for func in &c.functions {
            add(&func.name.replace('_', " "));
            for i in &func.inputs {
                add(&i.name.replace('_', " "));
            }
            for e in &func.error_cases {
                add(&e.name);
            }
        }
    }
    if let Some(s) = a.suite(id) {
        for tc in &s.test_cases {
            add(&tc.description);
            add(&tc.input_description);
            add(&tc.expected_output_description);
        }
    }
    t
}

pub(super) fn requirements(a: &Artifacts, f: &mut Findings) {
    let path = a.docs.layout.task_md();
    let max = pact_core::json::MAX_DOCUMENT_BYTES as u64;
    let Ok(Some(text)) = pact_core::store::fsio::read_text(&path, max) else {
        return;
    };
    let reqs = requirement_lines(&text);
    if reqs.is_empty() {
        return;
    }
    let corpora: Vec<(&str, BTreeSet<String>)> = a
        .tree
        .nodes
        .keys()
        .map(|id| (id.as_str(), keywords(&component_text(a, id))))
        .collect();
    for (at, req) in reqs {
        let kw = keywords(&req);
        if kw.is_empty() {
            continue;
        }
        let need = kw.len().div_ceil(2);
        let best = corpora
            .iter()
            .map(|(id, words)| (*id, kw.iter().filter(|k| words.contains(*k)).count()))
            .max_by_key(|(_, n)| *n);
        if best.is_some_and(|(_, n)| n >= need) {
            continue;
        }
        let shown: String = if req.chars().count() > 120 {
            format!("{}…", req.chars().take(119).collect::<String>())
        } else {
            req.clone()
        };
        let closest = match best {
            Some((id, n)) if n > 0 => {
                format!(" (closest: {id}, matching {n} of {} key words)", kw.len())
            }
            _ => String::new(),
        };
        f.add(
            Severity::Warning,
            Category::CoverageGap,
            Code::UncoveredRequirement,
            "",
            format!(
                "Requirement in task.md has no component that speaks of it: \"{shown}\"{closest}"
            ),
            "Cover it in a component's contract (or its tests), or drop it from task.md".into(),
            Some(a.at(&path, &text, Some(at))),
            vec![],
        );
    }
}
