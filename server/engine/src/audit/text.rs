//! String helpers for the audit: escape decoding, the few decoders cheating code uses to
//! spell a name without writing it, path joining, and the checks on folded strings.

use super::Class;

/// Stands for a part of a folded string the audit cannot compute (`f"/proc/{pid}"` folds to
/// `/proc/` + UNKNOWN).
pub(crate) const UNKNOWN: char = '\u{0}';

/// Whether a folded string is fully known.
pub(crate) fn exact(s: &str) -> bool {
    !s.contains(UNKNOWN)
}

fn push_code(out: &mut String, v: Option<u32>) {
    out.push(v.and_then(char::from_u32).unwrap_or(UNKNOWN));
}

fn take_hex(it: &mut std::iter::Peekable<std::str::Chars>, n: usize) -> Option<u32> {
    let mut v = 0u32;
    for _ in 0..n {
        let d = it.peek().and_then(|c| c.to_digit(16))?;
        it.next();
        v = v.checked_mul(16)?.checked_add(d)?;
    }
    Some(v)
}

/// Decodes the escapes of a Python string body (not raw). `\N{...}` is unknown.
pub(crate) fn decode_py(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = it.next() else {
            out.push('\\');
            break;
        };
        match e {
            '\n' => {}
            '\\' | '\'' | '"' => out.push(e),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match it.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            it.next();
                        }
                        None => break,
                    }
                }
                push_code(&mut out, Some(v));
            }
            'x' => push_code(&mut out, take_hex(&mut it, 2)),
            'u' => push_code(&mut out, take_hex(&mut it, 4)),
            'U' => push_code(&mut out, take_hex(&mut it, 8)),
            'N' => {
                if it.peek() == Some(&'{') {
                    for c in it.by_ref() {
                        if c == '}' {
                            break;
                        }
                    }
                }
                out.push(UNKNOWN);
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

/// Decodes the escapes of a JavaScript string or template body.
pub(crate) fn decode_js(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = it.next() else {
            break;
        };
        match e {
            '\n' | '\u{2028}' | '\u{2029}' => {}
            '\r' => {
                if it.peek() == Some(&'\n') {
                    it.next();
                }
            }
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            '0' if !it.peek().is_some_and(char::is_ascii_digit) => out.push('\0'),
            'x' => push_code(&mut out, take_hex(&mut it, 2)),
            'u' => {
                if it.peek() == Some(&'{') {
                    it.next();
                    let mut v: Option<u32> = Some(0);
                    let mut closed = false;
                    for c in it.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        v = v.and_then(|v| {
                            c.to_digit(16)
                                .and_then(|d| v.checked_mul(16)?.checked_add(d))
                        });
                    }
                    push_code(&mut out, v.filter(|_| closed));
                } else {
                    push_code(&mut out, take_hex(&mut it, 4));
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Identifier with JavaScript unicode escapes decoded (`\u0065val` is `eval`).
pub(crate) fn js_ident(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.contains('\\') {
        std::borrow::Cow::Owned(decode_js(raw))
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

/// Standard or URL-safe base64, padding optional; `None` if it is not base64 of UTF-8.
pub(crate) fn base64(s: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut n = 0u32;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Hexadecimal bytes (`bytes.fromhex`), spaces allowed.
pub(crate) fn hex(s: &str) -> Option<String> {
    let digits: Vec<u32> = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_digit(16))
        .collect::<Option<_>>()?;
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Vec<u8> = digits.chunks(2).map(|p| (p[0] * 16 + p[1]) as u8).collect();
    String::from_utf8(bytes).ok()
}

pub(crate) fn rot13(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
            _ => c,
        })
        .collect()
}

/// `%2Fproc` → `/proc` (`decodeURIComponent`, `urllib.parse.unquote`).
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `os.path.join` / `path.join`: an absolute part restarts the path.
pub(crate) fn path_join<S: AsRef<str>>(parts: &[S]) -> String {
    let mut out = String::new();
    for p in parts {
        let p = p.as_ref();
        if p.starts_with('/') || out.is_empty() {
            out = p.to_string();
        } else {
            if !out.ends_with('/') {
                out.push('/');
            }
            out.push_str(p);
        }
    }
    out
}

/// Python's `str.format` with folded arguments (`None` = unknown).
pub(crate) fn py_format(
    template: &str,
    positional: &[Option<String>],
    named: &[(String, Option<String>)],
) -> String {
    let mut out = String::new();
    let mut auto = 0usize;
    let mut it = template.chars().peekable();
    let unknown = UNKNOWN.to_string();
    while let Some(c) = it.next() {
        match c {
            '{' if it.peek() == Some(&'{') => {
                it.next();
                out.push('{');
            }
            '}' if it.peek() == Some(&'}') => {
                it.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                for c in it.by_ref() {
                    if c == '}' {
                        break;
                    }
                    field.push(c);
                }
                let name = field
                    .split([':', '!', '.', '['])
                    .next()
                    .unwrap_or("")
                    .to_string();
                let v = if name.is_empty() {
                    auto += 1;
                    positional.get(auto - 1).cloned().flatten()
                } else if let Ok(i) = name.parse::<usize>() {
                    positional.get(i).cloned().flatten()
                } else {
                    named
                        .iter()
                        .find(|(k, _)| *k == name)
                        .and_then(|(_, v)| v.clone())
                };
                out.push_str(v.as_deref().unwrap_or(&unknown));
            }
            c => out.push(c),
        }
    }
    out
}

/// Python's `template % args` with folded arguments.
pub(crate) fn py_percent(template: &str, args: &[Option<String>]) -> String {
    let mut out = String::new();
    let mut it = template.chars().peekable();
    let mut next = 0usize;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if it.peek() == Some(&'%') {
            it.next();
            out.push('%');
            continue;
        }
        // Flags, width, precision, then the conversion letter.
        let mut conv = None;
        for c in it.by_ref() {
            if c.is_ascii_alphabetic() {
                conv = Some(c);
                break;
            }
        }
        let arg = args.get(next).cloned().flatten();
        next += 1;
        match (conv, arg) {
            (Some('s'), Some(v)) => out.push_str(&v),
            _ => out.push(UNKNOWN),
        }
    }
    out
}

/// Whether a folded string mentions `/proc` as a path (`/proc`, `/proc/self/…`).
pub(crate) fn mentions_proc(s: &str) -> bool {
    s.split(UNKNOWN).any(|run| {
        run.match_indices("/proc").any(|(at, m)| {
            let rest = &run[at + m.len()..];
            rest.is_empty() || rest.starts_with('/')
        })
    })
}

/// Whether a folded string names the shipped file `rel` (its path or its file name, as a
/// whole word; or, for a module specifier like `./answers`, its stem).
pub(crate) fn names_file(s: &str, rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = name.split('.').next().unwrap_or(name);
    s.split(UNKNOWN).any(|run| {
        whole(run, rel)
            || whole(run, name)
            || ((run.starts_with("./") || run.starts_with("../"))
                && !stem.is_empty()
                && (run.ends_with(&format!("/{stem}")) || run.ends_with(&format!("/{name}"))))
    })
}

fn whole(run: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let part = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    run.match_indices(word).any(|(at, _)| {
        let before = run[..at].chars().next_back();
        let after = run[at + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

/// Environment variables a test runner, CI or Pact's harness sets: reading one tells a test
/// run from real use.
pub(crate) fn is_marker_env(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    const PREFIXES: &[&str] = &[
        "PYTEST",
        "_PYTEST",
        "VITEST",
        "VITE_",
        "JEST",
        "MOCHA",
        "PACT",
        "NODE_",
        "CI_",
        "GITHUB_",
        "GITLAB_",
        "TRAVIS",
        "BUILDKITE",
        "CIRCLE",
        "TEAMCITY",
        "JENKINS",
        "TOX_",
        "NOX_",
        "COV_",
        "COVERAGE",
        "PYTHON",
        "UNITTEST",
        "TEST",
    ];
    const EXACT: &[&str] = &[
        "CI",
        "CONTINUOUS_INTEGRATION",
        "BUILD_ID",
        "BUILD_NUMBER",
        "RUN_ID",
        "HOME",
        "TMPDIR",
        "TMP",
        "TEMP",
        "PATH",
        "PWD",
        "OLDPWD",
        "NO_COLOR",
        "FORCE_COLOR",
        "VIRTUAL_ENV",
        "USER",
        "LOGNAME",
        "SHLVL",
        "_",
    ];
    EXACT.contains(&k.as_str()) || PREFIXES.iter().any(|p| k.starts_with(p)) || k.contains("_TEST")
}

/// A string that is the name of something only cheating code reaches by name: a frame
/// attribute (`getattr(frame, "f_" + "back")`), a test-run marker, the test framework.
pub(crate) fn sensitive_string(s: &str) -> Option<(Class, &'static str)> {
    const FRAMES: &str = "a name used to reach stack frames or interpreter internals";
    const MARKERS: &str = "a test-run marker";
    const DYNAMIC: &str = "a name used to import or run code by name";
    Some(match s {
        "f_back" | "f_globals" | "f_locals" | "f_builtins" | "f_code" | "tb_frame" | "gi_frame"
        | "cr_frame" | "ag_frame" | "_getframe" | "_current_frames" | "currentframe"
        | "getouterframes" | "extract_stack" | "get_referrers" | "get_referents"
        | "captureStackTrace" | "prepareStackTrace" => (Class::Introspection, FRAMES),
        "__builtins__" | "__globals__" | "__code__" | "__subclasses__" | "__import__"
        | "import_module" => (Class::DynamicCode, DYNAMIC),
        "PYTEST_CURRENT_TEST"
        | "PYTEST_VERSION"
        | "PYTEST_XDIST_WORKER"
        | "VITEST"
        | "VITEST_WORKER_ID"
        | "VITEST_POOL_ID"
        | "VITEST_MODE"
        | "JEST_WORKER_ID"
        | "__vitest_worker__"
        | "__vitest_environment__"
        | "_called_from_test"
        | "pytest"
        | "_pytest"
        | "py.test"
        | "vitest" => (Class::TestDetection, MARKERS),
        _ if s.starts_with("_pytest.") || s.starts_with("PYTEST_") || s.starts_with("VITEST_") => {
            (Class::TestDetection, MARKERS)
        }
        _ => return None,
    })
}

/// The test or harness file a string names, if any (`contract_test.py`, `conftest.py`,
/// `x.test.ts`, `.pact/`).
pub(crate) fn names_test_file(s: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "contract_test",
        "hidden_test",
        "conftest",
        ".test.ts",
        ".test.js",
        ".test.mjs",
        ".spec.ts",
        ".spec.js",
        "pytest.ini",
        "vitest.config",
        ".pact/",
        "junit.xml",
    ];
    NAMES.iter().copied().find(|n| s.contains(n))
}

/// Module names that belong to a test framework or the test run (`pytest`, `_pytest.…`,
/// `contract_test`, `__main__`).
pub(crate) fn is_test_module(name: &str) -> bool {
    let root = name.split(['.', '/']).next().unwrap_or(name);
    name.to_ascii_lowercase().contains("test")
        || matches!(
            root,
            "py" | "pluggy"
                | "nose"
                | "nose2"
                | "coverage"
                | "hypothesis"
                | "xdist"
                | "__main__"
                | "vitest"
                | "jest"
                | "mocha"
                | "chai"
        )
}

/// The encoding a Python coding cookie (PEP 263) declares, if the line is one.
pub(crate) fn coding_cookie(line: &str) -> Option<String> {
    let t = line.trim_start_matches([' ', '\t', '\x0c']);
    let comment = t.strip_prefix('#')?;
    let at = comment.find("coding")?;
    let rest = &comment[at + "coding".len()..];
    let rest = rest.strip_prefix([':', '='])?;
    let enc: String = rest
        .trim_start_matches([' ', '\t'])
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!enc.is_empty()).then_some(enc)
}

/// Encodings that read the same as UTF-8 for code: anything else (`utf-7`, …) can turn
/// a comment into code.
pub(crate) fn plain_encoding(enc: &str) -> bool {
    let e = enc.to_ascii_lowercase().replace('_', "-");
    matches!(
        e.as_str(),
        "utf-8"
            | "utf8"
            | "utf-8-sig"
            | "ascii"
            | "us-ascii"
            | "latin-1"
            | "latin1"
            | "iso-8859-1"
            | "iso8859-1"
            | "iso-8859-15"
            | "cp1252"
            | "windows-1252"
    )
}

/// Characters Python folds to plain letters in names (NFKC): fullwidth and mathematical
/// letters, ligatures, super- and subscripts, the long s. `ｅｘｅｃ` is `exec` to Python.
pub(crate) fn folds_to_ascii(c: char) -> bool {
    matches!(c as u32,
        0x00AA | 0x00B2 | 0x00B3 | 0x00B5 | 0x00B9 | 0x00BA | 0x017F
        | 0x02B0..=0x02FF
        | 0x1D2C..=0x1DBF
        | 0x2070..=0x209F
        | 0x2100..=0x218F
        | 0x2460..=0x24FF
        | 0xFB00..=0xFB06
        | 0xFE00..=0xFE6F
        | 0xFF00..=0xFFEF
        | 0x1D400..=0x1D7FF
        | 0x1EE00..=0x1EEFF
        | 0x1F100..=0x1F1FF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders() {
        assert_eq!(decode_py(r"\x2fproc\n\u0041\101"), "/proc\nAA");
        assert_eq!(decode_js(r"\x2f\u0070\u{72}oc"), "/proc");
        assert_eq!(base64("L3Byb2M=").as_deref(), Some("/proc"));
        assert_eq!(base64("cHl0ZXN0").as_deref(), Some("pytest"));
        assert_eq!(hex("2f70726f63").as_deref(), Some("/proc"));
        assert_eq!(rot13("clgrfg"), "pytest");
        assert_eq!(percent_decode("%2Fproc%2fself"), "/proc/self");
        assert_eq!(path_join(&["/", "proc", "self"]), "/proc/self");
        assert_eq!(path_join(&["a", "/proc"]), "/proc");
        assert_eq!(
            py_format("/{}/{x}", &[Some("proc".into())], &[("x".into(), None)]),
            format!("/proc/{UNKNOWN}")
        );
        assert_eq!(py_percent("/%s/self", &[Some("proc".into())]), "/proc/self");
    }

    #[test]
    fn proc_and_file_names() {
        assert!(mentions_proc("/proc"));
        assert!(mentions_proc(&format!("/proc/{UNKNOWN}/status")));
        assert!(mentions_proc(&format!("{UNKNOWN}/proc")));
        assert!(!mentions_proc("/process"));
        assert!(!mentions_proc("process"));
        assert!(!mentions_proc(&format!("/pr{UNKNOWN}oc")));
        assert!(names_file("data.txt", "data.txt"));
        assert!(names_file("payload/data.txt", "payload/data.txt"));
        assert!(names_file(&format!("{UNKNOWN}/data.txt"), "data.txt"));
        assert!(names_file("./answers", "answers.json"));
        assert!(!names_file("metadata.txt", "data.txt"));
        assert!(!names_file("data", "data.txt"));
        assert!(!names_file("README", "README.md"));
    }

    #[test]
    fn markers_and_cookies() {
        for k in [
            "PYTEST_CURRENT_TEST",
            "CI",
            "ci",
            "NODE_ENV",
            "VITEST_WORKER_ID",
            "PACT_SRC",
            "HOME",
        ] {
            assert!(is_marker_env(k), "{k}");
        }
        for k in ["LOG_LEVEL", "WORDFREQ_LOCALE", "LANG", "CIPHER"] {
            assert!(!is_marker_env(k), "{k}");
        }
        assert!(is_test_module("_pytest.outcomes"));
        assert!(is_test_module("contract_test"));
        assert!(!is_test_module("os"));
        assert_eq!(
            coding_cookie("# -*- coding: utf-7 -*-").as_deref(),
            Some("utf-7")
        );
        assert!(!plain_encoding("utf-7"));
        assert!(plain_encoding("UTF_8"));
        assert!(folds_to_ascii('ｅ'));
        assert!(!folds_to_ascii('é'));
    }
}
