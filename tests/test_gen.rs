//! `pact test-gen --dry-run` end to end (issue #18): on a real published Python package
//! (packaging 24.2, vendored in `tests/fixtures/codebases/packaging`) every public function and
//! method with the signature and complexity Python's own `ast` gives
//! (`tests/codebase_inventory.py`), nothing more; a hand-written TypeScript/JavaScript codebase
//! against its expected inventory; packages; bad input, which is a clear error, never a panic;
//! and, without `--dry-run`, the hand-over to `pact adopt`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn codebases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/codebases")
}

/// `pact test-gen ARGS`, and how long the whole process took.
fn test_gen(args: &[&str]) -> (Run, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_pact"))
        .arg("test-gen")
        .args(args)
        .output()
        .expect("run pact");
    let took = start.elapsed();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    (run, took)
}

fn inventory(dir: &Path, extra: &[&str]) -> Value {
    let d = dir.to_str().expect("utf-8 path");
    let mut args = vec![d, "--dry-run", "--json"];
    args.extend_from_slice(extra);
    let (run, _) = test_gen(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad json ({e}): {}", run.stdout))
}

/// Every function and method of a module, free functions first, then each class's methods.
fn functions(module: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = module["functions"]
        .as_array()
        .expect("functions")
        .iter()
        .collect();
    for c in module["classes"].as_array().expect("classes") {
        out.extend(c["methods"].as_array().expect("methods"));
    }
    out
}

/// The fields of a function the reference inventory has (ours has more: `covered_by`).
const COMPARED: &[&str] = &[
    "name",
    "qualified_name",
    "returns",
    "is_async",
    "decorators",
    "complexity",
    "line",
    "end_line",
    "untyped",
];

#[test]
fn packaging_inventory_is_what_python_ast_says() {
    let root = codebases().join("packaging");
    let (run, took) = test_gen(&[root.to_str().unwrap(), "--dry-run", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ours: Value = serde_json::from_str(&run.stdout).expect("json");
    let reference = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/codebase_inventory.py"))
        .arg(&root)
        .output()
        .expect("python3 (the reference inventory needs it) runs");
    assert!(
        reference.status.success(),
        "{}",
        String::from_utf8_lossy(&reference.stderr)
    );
    let reference: Value = serde_json::from_slice(&reference.stdout).expect("reference json");
    eprintln!(
        "pact test-gen --dry-run --json on packaging 24.2: {:.0} ms for the whole process \
         (this build; the release build's median is in the README)",
        took.as_secs_f64() * 1000.0
    );

    assert_eq!(ours["language"], "python");
    let ours_modules = ours["modules"].as_array().unwrap();
    let ref_modules = reference["modules"].as_array().unwrap();
    let paths = |ms: &[Value]| -> Vec<String> {
        ms.iter()
            .map(|m| m["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(paths(ours_modules), paths(ref_modules), "the same modules");
    let mut compared = 0;
    for (o, r) in ours_modules.iter().zip(ref_modules) {
        let path = r["path"].as_str().unwrap();
        assert_eq!(o["module"], r["module"], "{path}: module name");
        assert_eq!(o["files"], serde_json::json!([path]));
        // Classes: names, bases, where.
        let oc = o["classes"].as_array().unwrap();
        let rc = r["classes"].as_array().unwrap();
        let names = |cs: &[Value]| -> Vec<String> {
            cs.iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(oc), names(rc), "{path}: classes");
        for (a, b) in oc.iter().zip(rc) {
            for k in ["bases", "line", "end_line"] {
                assert_eq!(a[k], b[k], "{path}: class {}: {k}", b["name"]);
            }
        }
        // Functions and methods, one by one, in order: nothing missing, nothing extra.
        let of = functions(o);
        let rf = functions(r);
        let qualified = |fs: &[&Value]| -> Vec<String> {
            fs.iter()
                .map(|f| f["qualified_name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(qualified(&of), qualified(&rf), "{path}: public functions");
        for (a, b) in of.iter().zip(&rf) {
            let q = b["qualified_name"].as_str().unwrap();
            for k in COMPARED {
                assert_eq!(a[k], b[k], "{path}: {q}: {k}");
            }
            let params: Vec<Value> = a["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    assert!(p.get("optional").is_none(), "{path}: {q}: a Python param");
                    serde_json::json!({
                        "name": p["name"], "annotation": p["annotation"],
                        "default": p["default"], "kind": p["kind"],
                    })
                })
                .collect();
            assert_eq!(Value::from(params), b["params"], "{path}: {q}: params");
            compared += 1;
        }
    }
    assert_eq!(
        compared, 132,
        "packaging 24.2 has 132 public functions and methods"
    );

    // Its tests: found, not modules, and read for who calls what.
    let test_files = ours["test_files"].as_array().unwrap();
    assert_eq!(test_files.len(), 13, "{test_files:?}");
    assert!(
        ours_modules
            .iter()
            .all(|m| !m["path"].as_str().unwrap().starts_with("tests/"))
    );
    let find = |module: &str, q: &str| -> Value {
        let m = ours_modules
            .iter()
            .find(|m| m["module"] == module)
            .unwrap_or_else(|| panic!("{module}"));
        functions(m)
            .into_iter()
            .find(|f| f["qualified_name"] == q)
            .unwrap_or_else(|| panic!("{module}.{q}"))
            .clone()
    };
    let covered = |module: &str, q: &str| -> Vec<String> {
        find(module, q)["covered_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    };
    let canon = covered("packaging.utils", "canonicalize_name");
    assert!(
        canon.contains(&"tests/test_utils.py::test_canonicalize_name".to_string()),
        "{canon:?}"
    );
    assert!(covered("packaging.version", "Version.__init__").len() > 10);
    assert_eq!(
        covered("packaging.version", "Version.is_prerelease"),
        ["tests/test_version.py::TestVersion::test_version_is_prerelease"],
        "a property read by a test"
    );
    assert!(covered("packaging.version", "Version.__repr__").is_empty());
    // The one smell: `eval` of a sanitized expression in licenses.
    let smells = ours["smells"].as_array().unwrap();
    assert_eq!(smells.len(), 1, "{smells:?}");
    assert_eq!(smells[0]["kind"], "eval");
    assert_eq!(smells[0]["file"], "src/packaging/licenses/__init__.py");
    assert_eq!(smells[0]["function"], "canonicalize_license_expression");
    assert_eq!(ours["skipped"], serde_json::json!([]));
}

/// One function as a line: `qualified(params): returns | complexity | untyped | tests`.
fn render(f: &Value) -> String {
    let params: Vec<String> = f["params"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|p| {
            let mut s = String::new();
            if p["kind"] == "var_positional" {
                s.push_str("...");
            } else {
                assert_eq!(p["kind"], "positional");
            }
            s.push_str(p["name"].as_str().expect("as written"));
            if p["optional"] == true {
                s.push('?');
            }
            if let Some(a) = p["annotation"].as_str() {
                s.push_str(&format!(": {a}"));
            }
            if let Some(d) = p["default"].as_str() {
                s.push_str(&format!(" = {d}"));
            }
            s
        })
        .collect();
    let returns = f["returns"]
        .as_str()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let asyn = if f["is_async"] == true { "async " } else { "" };
    let untyped = if f["untyped"] == true { " untyped" } else { "" };
    let tests: Vec<&str> = f["covered_by"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|t| t.as_str().expect("as written"))
        .collect();
    format!(
        "{asyn}{}({}){returns} | {}{untyped} | {}",
        f["qualified_name"].as_str().expect("as written"),
        params.join(", "),
        f["complexity"],
        tests.join("; ")
    )
}

#[test]
fn typescript_inventory_is_as_written() {
    let root = codebases().join("strkit");
    let inv = inventory(&root, &[]);
    assert_eq!(inv["language"], "typescript");
    let modules: Vec<(String, String, String)> = inv["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["path"].as_str().unwrap().to_string(),
                m["module"].as_str().unwrap().to_string(),
                m["component_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect_modules = [
        ("src/index.ts", "src", "src"),
        ("src/legacy/util.mjs", "src/legacy/util", "src_legacy_util"),
        ("src/math.js", "src/math", "src_math"),
        ("src/strings.ts", "src/strings", "src_strings"),
    ];
    let expect_modules: Vec<(String, String, String)> = expect_modules
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(modules, expect_modules);
    let got: Vec<String> = inv["modules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| functions(m).into_iter().map(render))
        .collect();
    let strings_test = "test/strings.test.ts::strings";
    let expected = [
        // src/index.ts: re-exports list nothing; its own function does.
        "version(): string | 1 | ".to_string(),
        // src/legacy/util.mjs: an anonymous default export, an exported arrow function.
        "default(items) | 1 untyped | ".to_string(),
        "isAdmin(user) | 3 untyped | ".to_string(),
        // src/math.js: CommonJS, under the exported names.
        "add(a, b) | 1 untyped | src/math.spec.js::adds".to_string(),
        "mul(a, b = 1) | 3 untyped | src/math.spec.js::adds".to_string(),
        "div(a, b) | 3 untyped | ".to_string(),
        // src/strings.ts
        format!("capitalize(word: string): string | 2 | {strings_test} > capitalizes"),
        format!(
            "slugify(text: string, sep: string = \"-\"): string | 2 | {strings_test} > slugify > joins words"
        ),
        "async fetchTitle(url, retries = 3) | 4 untyped | ".to_string(),
        format!(
            "pad(s: string, width: number, fill?: string): string | 3 | {strings_test} > slugify > keeps %s"
        ),
        "double(x: number): number | 1 | ".to_string(),
        "classify(n: number, ...tags: string[]): \"small\" | \"big\" | \"none\" | 4 | ".to_string(),
        "shell(cmd: string): string | 1 | ".to_string(),
        "findUser(db: any, name: string) | 1 untyped | ".to_string(),
        "run(code: string): unknown | 1 | ".to_string(),
        format!(
            "Formatter.constructor(prefix: string, width?: number) | 1 | {strings_test} > formats"
        ),
        format!("Formatter.format(value: T): string | 1 | {strings_test} > formats"),
        "Formatter.create(prefix = \">\"): Formatter<unknown> | 1 untyped | ".to_string(),
        "Formatter.onClick(event: string): void | 2 | ".to_string(),
    ];
    assert_eq!(got, expected, "\n{}", got.join("\n"));
    let class = &inv["modules"][3]["classes"][0];
    assert_eq!(class["name"], "Formatter");
    assert_eq!(
        class["bases"],
        serde_json::json!(["Base", "Printable", "Sized"])
    );
    let smells: Vec<(String, u64, String)> = inv["smells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["file"].as_str().unwrap().to_string(),
                s["line"].as_u64().unwrap(),
                s["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect_smells = [
        ("src/legacy/util.mjs", 6, "auth_branch"),
        ("src/strings.ts", 89, "shell_command"),
        ("src/strings.ts", 93, "hardcoded_secret"),
        ("src/strings.ts", 94, "sql_formatting"),
        ("src/strings.ts", 98, "eval"),
    ];
    let expect_smells: Vec<(String, u64, String)> = expect_smells
        .iter()
        .map(|(f, l, k)| (f.to_string(), *l, k.to_string()))
        .collect();
    assert_eq!(smells, expect_smells);
    assert_eq!(
        inv["test_files"],
        serde_json::json!(["src/math.spec.js", "test/strings.test.ts"])
    );
    // The same codebase, asked for as Python, has none.
    let (run, _) = test_gen(&[root.to_str().unwrap(), "--dry-run", "--language", "python"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no Python source files (4 TypeScript/JavaScript source files)"),
        "{}",
        run.stderr
    );
}

#[test]
fn packages_group_modules_by_directory() {
    let inv = inventory(&codebases().join("packaging"), &["--package"]);
    assert_eq!(inv["granularity"], "package");
    let modules = inv["modules"].as_array().unwrap();
    let names: Vec<&str> = modules
        .iter()
        .map(|m| m["module"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["packaging", "packaging.licenses"]);
    assert_eq!(modules[0]["component_id"], "packaging");
    assert_eq!(modules[0]["path"], "src/packaging");
    assert_eq!(modules[0]["files"].as_array().unwrap().len(), 14);
    let all: Vec<&str> = modules
        .iter()
        .flat_map(functions)
        .map(|f| f["qualified_name"].as_str().unwrap())
        .collect();
    assert_eq!(all.len(), 132);
    assert!(all.contains(&"version.parse"), "{all:?}");
    assert!(all.contains(&"version.Version.__init__"));
    assert!(all.contains(&"canonicalize_license_expression"), "{all:?}");
}

#[test]
fn the_summary_says_what_a_reader_needs() {
    let root = codebases().join("packaging");
    let (run, _) = test_gen(&[root.to_str().unwrap(), "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    for needle in [
        "packaging.version  src/packaging/version.py  (582 lines, component packaging_version)",
        "  parse(version: str) -> Version  [complexity 1, 4 tests]",
        "  class Version(_BaseVersion)",
        "    __init__(self, version: str) -> None  [complexity 4, 27 tests]",
        "  canonicalize_name(name: str, *, validate: bool = False) -> NormalizedName  [complexity 3,",
        "Security smells (1):",
        "  src/packaging/licenses/__init__.py:100  eval: `eval()` runs code made from data (in canonicalize_license_expression)",
        "(Python): 16 modules, 132 public functions and methods",
        "Tests: 13 files; 72 of 132 functions called by a test (54%)",
        "Next: `pact test-gen ",
    ] {
        assert!(out.contains(needle), "{needle:?} not in:\n{out}");
    }
    assert!(
        run.stderr.is_empty(),
        "no progress bar off a terminal: {}",
        run.stderr
    );
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let empty = t.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let docs = t.join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("notes.md"), "# notes\n").unwrap();
    let only_tests = t.join("only-tests");
    std::fs::create_dir_all(only_tests.join("tests")).unwrap();
    std::fs::write(
        only_tests.join("tests/test_a.py"),
        "def test_a():\n    pass\n",
    )
    .unwrap();
    let only_venv = t.join("only-venv");
    std::fs::create_dir_all(only_venv.join(".venv/lib")).unwrap();
    std::fs::write(only_venv.join(".venv/lib/x.py"), "def f(): pass\n").unwrap();
    let file = t.join("file.py");
    std::fs::write(&file, "def f(): pass\n").unwrap();
    let missing = t.join("missing");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![s(&missing)],
            format!("{}: no such directory", s(&missing)),
        ),
        (
            vec![s(&file)],
            format!("{}: a file, not a directory", s(&file)),
        ),
        (
            vec![s(&empty)],
            format!("{}: the directory is empty (nothing to scan)", s(&empty)),
        ),
        (
            vec![s(&only_venv)],
            format!(
                "{}: nothing to scan: only directories that are not read (hidden ones, virtualenvs, node_modules, build output)",
                s(&only_venv)
            ),
        ),
        (
            vec![s(&docs)],
            format!(
                "{}: no Python or TypeScript/JavaScript source files (1 other file)",
                s(&docs)
            ),
        ),
        (
            vec![s(&only_tests)],
            format!(
                "{}: no Python or TypeScript/JavaScript source files (only 1 test file)",
                s(&only_tests)
            ),
        ),
        (
            vec![s(&docs), "--language".into(), "typescript".into()],
            format!(
                "{}: no TypeScript/JavaScript source files (1 other file)",
                s(&docs)
            ),
        ),
    ];
    for (args, message) in cases {
        for json in [false, true] {
            let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
            a.push("--dry-run");
            if json {
                a.push("--json");
            }
            let (run, _) = test_gen(&a);
            assert_eq!(run.code, 2, "{a:?}: {}", run.stderr);
            assert_eq!(run.stderr.trim_end(), format!("error: {message}"), "{a:?}");
            assert!(run.stdout.is_empty(), "{a:?}: {}", run.stdout);
        }
    }
    let pkg = codebases().join("packaging");
    // An unknown language is clap's usage error.
    let (run, _) = test_gen(&[pkg.to_str().unwrap(), "--dry-run", "--language", "cobol"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid value 'cobol'"),
        "{}",
        run.stderr
    );
    // --json is the inventory's: with --dry-run only.
    let (run, _) = test_gen(&[pkg.to_str().unwrap(), "--json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--dry-run"), "{}", run.stderr);
}

/// The backends' variables: none leaks in from the machine running the tests.
const BACKEND_VARS: &[&str] = &[
    "PACT_BACKEND",
    "PACT_MODEL",
    "PACT_REPLAY_FILE",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENAI_COMPATIBLE_API_KEY",
];

/// `pact ARGS` without any backend configured by the environment.
fn pact_offline(args: &[&str]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pact"));
    c.args(args);
    for v in BACKEND_VARS {
        c.env_remove(v);
    }
    let out = c.output().expect("run pact");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A copy of a vendored codebase in a temp dir.
fn copy_codebase(name: &str) -> (tempfile::TempDir, PathBuf) {
    fn copy(src: &Path, dst: &Path) {
        std::fs::create_dir_all(dst).expect("mkdir");
        for e in std::fs::read_dir(src).expect("read_dir").flatten() {
            let to = dst.join(e.file_name());
            if e.file_type().expect("type").is_dir() {
                copy(&e.path(), &to);
            } else {
                std::fs::copy(e.path(), &to).expect("copy");
            }
        }
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dst = tmp.path().join(name);
    copy(&codebases().join(name), &dst);
    (tmp, dst)
}

#[test]
fn without_dry_run_a_python_codebase_is_adopted() {
    // No key and no recording: `pact adopt`'s refusal, word for word, and nothing changed.
    let (_tmp, dir) = copy_codebase("packaging");
    let d = dir.to_str().unwrap();
    let before = listing(&dir);
    let tg = pact_offline(&["test-gen", d]);
    let adopt = pact_offline(&["adopt", d]);
    assert_eq!(tg.code, 2, "{}\n{}", tg.stdout, tg.stderr);
    assert_eq!(tg.stdout, adopt.stdout);
    let (first, rest) = tg.stderr.split_once('\n').unwrap();
    assert!(
        first.starts_with("test-gen: contracts and contract tests by a model are `pact adopt`'s"),
        "{first}"
    );
    assert_eq!(rest, adopt.stderr);
    assert!(format!("{}{}", tg.stdout, tg.stderr).contains("ANTHROPIC_API_KEY"));
    assert_eq!(
        listing(&dir),
        before,
        "a refused adoption leaves nothing behind"
    );

    // TypeScript/JavaScript goes the same way: whatever `pact adopt` says, test-gen says.
    let (_tmp, dir) = copy_codebase("strkit");
    let d = dir.to_str().unwrap();
    let before = listing(&dir);
    let tg = pact_offline(&["test-gen", d]);
    let adopt = pact_offline(&["adopt", d]);
    assert_eq!(tg.code, adopt.code, "{}\n{}", tg.stdout, tg.stderr);
    assert_ne!(tg.code, 0, "no model to ask");
    assert_eq!(tg.stdout, adopt.stdout);
    assert_eq!(tg.stderr.split_once('\n').unwrap().1, adopt.stderr);
    assert_eq!(listing(&dir), before);

    // From adopt's recording, offline: the contract and locked tests, run against the code.
    let (_tmp, dir) = copy_codebase("inflection");
    let recording = codebases().join("inflection.answers/session.jsonl");
    let run = pact_offline(&[
        "test-gen",
        dir.to_str().unwrap(),
        "--replay",
        recording.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("inflection_module (inflection): 245/245 locked tests pass"),
        "{}",
        run.stdout
    );
    assert!(
        dir.join(".pact/contracts/inflection_module/interface.json")
            .is_file()
    );
}

/// Every file under `dir` (recursively) with its size.
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("as written").flatten() {
            let m = std::fs::symlink_metadata(e.path()).expect("as written");
            if m.is_dir() {
                stack.push(e.path());
            }
            out.push((e.path(), m.len()));
        }
    }
    out.sort();
    out
}

#[cfg(unix)]
#[test]
fn hostile_files_are_skipped_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("code");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.py"), "def leaked(): pass\n").unwrap();
    let w = |rel: &str, bytes: &[u8]| std::fs::write(root.join(rel), bytes).unwrap();
    w("pkg/__init__.py", b"");
    w("pkg/good.py", b"def fine(x: int) -> int:\n    return x\n");
    w("pkg/binary.py", b"def f():\x00\x01\x02 pass\n");
    w("pkg/latin1.py", b"# caf\xe9\ndef g(): pass\n");
    w(
        "pkg/broken.py",
        b"def ok(a) -> int:\n    return a\n\ndef bad(:\n    pass\n\ndef later(b): pass\n",
    );
    let mut huge = b"def big(): pass\n".to_vec();
    huge.resize(3 * 1024 * 1024, b'#');
    w("pkg/huge.py", &huge);
    // Ten thousand nested parentheses: no stack to overflow.
    let deep = format!(
        "def deep():\n    return {}1{}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    w("pkg/deep.py", deep.as_bytes());
    std::os::unix::fs::symlink(outside.join("secret.py"), root.join("pkg/link.py")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("outside_dir")).unwrap();
    std::os::unix::fs::symlink(root.join("loop"), root.join("loop")).unwrap();
    let fifo = root.join("pkg/fifo.py");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);

    let inv = inventory(&root, &[]);
    let skipped: Vec<(String, String)> = inv["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s[0].as_str().unwrap().to_string(),
                s[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason = |p: &str| -> &str {
        skipped
            .iter()
            .find(|(q, _)| q == p)
            .map(|(_, r)| r.as_str())
            .unwrap_or_else(|| panic!("{p} not skipped: {skipped:?}"))
    };
    assert!(
        reason("pkg/binary.py").starts_with("is binary"),
        "{skipped:?}"
    );
    assert!(
        reason("pkg/latin1.py").starts_with("is not UTF-8"),
        "{skipped:?}"
    );
    assert!(
        reason("pkg/huge.py").starts_with("is too large"),
        "{skipped:?}"
    );
    assert!(
        reason("pkg/fifo.py").contains("not a regular file"),
        "{skipped:?}"
    );
    assert!(
        reason("pkg/link.py").contains("symbolic link"),
        "{skipped:?}"
    );
    assert!(
        reason("outside_dir").contains("symbolic link"),
        "{skipped:?}"
    );
    let all: Vec<String> = inv["modules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(functions)
        .map(|f| f["qualified_name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !all.contains(&"leaked".to_string()),
        "nothing outside the root is read"
    );
    assert!(all.contains(&"fine".to_string()) && all.contains(&"deep".to_string()));
    // A syntax error: what the parser recovered, and where the error is.
    let broken = inv["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == "pkg/broken.py")
        .unwrap();
    assert_eq!(broken["syntax_error"], 4);
    let recovered: Vec<&str> = functions(broken)
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(recovered.contains(&"ok"), "{recovered:?}");
    // The human output says so too.
    let (run, _) = test_gen(&[root.to_str().unwrap(), "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Not read (6):"), "{}", run.stdout);
    assert!(
        run.stdout.contains("! syntax error at line 4"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_reader_that_goes_away_ends_it_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let root = codebases().join("packaging");
    for json in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pact"));
        cmd.args(["test-gen", root.to_str().unwrap(), "--dry-run"]);
        if json {
            cmd.arg("--json");
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 10];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
