//! Unit tests of the mechanical pass: small codebases written to temp dirs.

use super::*;
use std::fs;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}

fn scan_files(files: &[(&str, &str)]) -> Inventory {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    scan(dir.path(), &ScanOptions::default()).unwrap()
}

fn func<'a>(inv: &'a Inventory, qualified: &str) -> &'a FunctionInfo {
    inv.functions()
        .map(|(_, f)| f)
        .find(|f| f.qualified_name == qualified)
        .unwrap_or_else(|| {
            let names: Vec<_> = inv.functions().map(|(_, f)| &f.qualified_name).collect();
            panic!("{qualified} not in {names:?}")
        })
}

fn names(inv: &Inventory) -> Vec<String> {
    inv.functions()
        .map(|(_, f)| f.qualified_name.clone())
        .collect()
}

#[test]
fn python_signatures() {
    let inv = scan_files(&[(
        "pkg/mod.py",
        r#"
import os

def plain(a, b: int, c=3, *args: str, d, e: "E" = None, **kw) -> bool:
    return True

def posonly(a, b, /, c, *, d=(1, 2)):
    pass

async def fetch(url: str) -> bytes:
    ...

def _private(x):
    pass

class Thing(Base, metaclass=Meta):
    def __init__(self, x: int):
        self.x = x

    @staticmethod
    def make(y: int) -> "Thing":
        return Thing(y)

    @property
    def value(self) -> int:
        return self.x

    def _hidden(self):
        pass

    def __eq__(self, other: object) -> bool:
        return True

    class Inner:
        def go(self) -> None:
            pass

class _Private:
    def visible(self):
        pass
"#,
    )]);
    assert_eq!(inv.language, Language::Python);
    let m = &inv.modules[0];
    assert_eq!(m.module, "pkg.mod");
    assert_eq!(m.component_id, "pkg_mod");
    assert_eq!(
        names(&inv),
        [
            "plain",
            "posonly",
            "fetch",
            "Thing.__init__",
            "Thing.make",
            "Thing.value",
            "Thing.__eq__",
            "Thing.Inner.go"
        ]
    );
    let plain = func(&inv, "plain");
    let got: Vec<_> = plain
        .params
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.annotation.as_deref(),
                p.default.as_deref(),
                p.kind,
            )
        })
        .collect();
    use ParamKind::*;
    assert_eq!(
        got,
        [
            ("a", None, None, Positional),
            ("b", Some("int"), None, Positional),
            ("c", None, Some("3"), Positional),
            ("args", Some("str"), None, VarPositional),
            ("d", None, None, KeywordOnly),
            ("e", Some("\"E\""), Some("None"), KeywordOnly),
            ("kw", None, None, VarKeyword),
        ]
    );
    assert_eq!(plain.returns.as_deref(), Some("bool"));
    assert!(plain.untyped);
    let posonly = func(&inv, "posonly");
    let kinds: Vec<_> = posonly.params.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [PositionalOnly, PositionalOnly, Positional, KeywordOnly]
    );
    assert_eq!(posonly.params[3].default.as_deref(), Some("(1, 2)"));
    let fetch = func(&inv, "fetch");
    assert!(fetch.is_async && !fetch.untyped);
    assert!(
        !func(&inv, "Thing.__init__").untyped,
        "self and __init__'s return are exempt"
    );
    assert!(!func(&inv, "Thing.make").untyped);
    assert_eq!(func(&inv, "Thing.make").decorators, ["staticmethod"]);
    assert_eq!(inv.modules[0].classes[0].bases, ["Base", "metaclass=Meta"]);
    assert_eq!(inv.modules[0].classes[1].name, "Thing.Inner");
}

#[test]
fn python_dunder_all() {
    let inv = scan_files(&[
        (
            "a.py",
            "__all__ = ['kept', 'Kept']\n__all__ += ['also']\ndef kept(): pass\ndef dropped(): pass\ndef also(): pass\nclass Kept: pass\n",
        ),
        (
            "b.py",
            "__all__ = [name for name in dir()]\ndef public(): pass\ndef _private(): pass\n",
        ),
        (
            "c.py",
            "__all__ = []\n__all__.append('x')\n__all__.extend(('y',))\ndef x(): pass\ndef y(): pass\ndef z(): pass\n",
        ),
    ]);
    assert_eq!(names(&inv), ["kept", "also", "public", "x", "y"]);
    assert_eq!(inv.modules[0].classes[0].name, "Kept");
}

#[test]
fn python_complexity_definition() {
    let inv = scan_files(&[(
        "m.py",
        r#"
def one():
    return 1

def branches(a, b, c):
    if a and b or c:          # if +1, and +1, or +1
        pass
    elif a:                   # +1
        pass
    else:
        pass
    for x in a:               # +1
        pass
    else:
        pass
    while b:                  # +1
        break
    try:
        pass
    except ValueError:        # +1
        pass
    except (TypeError, KeyError):  # +1
        pass
    else:
        pass
    finally:
        pass
    with open(a) as f:        # 0
        pass
    assert a                  # +1
    y = 1 if a else 2         # +1
    z = [i for i in a if i]   # 0
    match a:                  # 3 cases: +2
        case 1:
            pass
        case 2:
            pass
        case _:
            pass
    def inner():
        if c:                 # nested: +1
            pass
    f = lambda q: q if q else 0   # +1
    return y

@decorate(lambda v: v or 1)   # the decorator counts: +1
def decorated(x=1 if True else 2):   # a default counts: +1
    pass

async def loops(xs):
    async for x in xs:        # +1
        pass
"#,
    )]);
    assert_eq!(func(&inv, "one").complexity, 1);
    assert_eq!(
        func(&inv, "branches").complexity,
        1 + 3 + 1 + 1 + 1 + 2 + 1 + 1 + 2 + 1 + 1
    );
    assert_eq!(func(&inv, "decorated").complexity, 3);
    assert_eq!(func(&inv, "loops").complexity, 2);
}

#[test]
fn python_coverage_through_imports() {
    let inv = scan_files(&[
        ("src/shop/__init__.py", "from .cart import total\n"),
        (
            "src/shop/cart.py",
            "def total(items):\n    return 0\n\ndef unused():\n    pass\n\nclass Cart:\n    def __init__(self):\n        pass\n    def add(self, x):\n        pass\n",
        ),
        ("src/shop/other.py", "def total(x):\n    return 1\n"),
        (
            "tests/test_cart.py",
            "from shop import total\nfrom shop.cart import Cart\n\ndef test_total():\n    assert total([]) == 0\n\nclass TestCart:\n    def test_add(self):\n        c = Cart()\n        c.add(1)\n\ndef helper():\n    unused()\n",
        ),
    ]);
    assert_eq!(inv.test_files, [PathBuf::from("tests/test_cart.py")]);
    let mods: Vec<_> = inv.modules.iter().map(|m| m.module.as_str()).collect();
    assert_eq!(mods, ["shop", "shop.cart", "shop.other"]);
    let cart_total = &inv.modules[1].functions[0];
    assert_eq!(cart_total.covered_by, ["tests/test_cart.py::test_total"]);
    // `from shop import total` may mean either module's `total`: both are under `shop`.
    assert_eq!(inv.modules[2].functions[0].covered_by.len(), 1);
    assert!(
        func(&inv, "unused").covered_by.is_empty(),
        "a helper is not a test"
    );
    assert_eq!(
        func(&inv, "Cart.__init__").covered_by,
        ["tests/test_cart.py::TestCart::test_add"]
    );
    assert_eq!(
        func(&inv, "Cart.add").covered_by,
        ["tests/test_cart.py::TestCart::test_add"]
    );
}

#[test]
fn python_smells() {
    let inv = scan_files(&[(
        "app.py",
        r#"
import os, subprocess, pickle, yaml
PASSWORD = "s3cr3t-pa55word"
API_KEY = "API_KEY"
aws = "AKIAIOSFODNN7EXAMPLE"

def run(cmd, data, user, q):
    eval(cmd)
    os.system(cmd)
    subprocess.run(cmd, shell=True)
    subprocess.run([cmd])
    pickle.loads(data)
    yaml.load(data)
    yaml.load(data, Loader=yaml.SafeLoader)
    cur.execute(f"SELECT * FROM users WHERE name = '{q}'")
    cur.execute("DELETE FROM t WHERE id = %s" % q)
    cur.execute("SELECT * FROM t WHERE id = %s", (q,))
    if user.is_admin:
        pass
"#,
    )]);
    let kinds: Vec<(usize, &str)> = inv
        .smells
        .iter()
        .map(|s| (s.line, s.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (3, "hardcoded_secret"),
            (5, "hardcoded_secret"),
            (8, "eval"),
            (9, "shell_command"),
            (10, "shell_command"),
            (12, "unsafe_deserialization"),
            (13, "unsafe_yaml_load"),
            (15, "sql_formatting"),
            (16, "sql_formatting"),
            (18, "auth_branch"),
        ]
    );
    assert_eq!(inv.smells[2].function.as_deref(), Some("run"));
}

#[test]
fn module_names_and_component_ids() {
    let inv = scan_files(&[
        ("src/pkg/__init__.py", "def top(): pass\n"),
        ("src/pkg/sub/__init__.py", ""),
        ("src/pkg/sub/my-mod.py", "def f(): pass\n"),
        ("scripts/tool.py", "def main(): pass\n"),
        ("tool.py", "def main(): pass\n"),
        ("ns/loose.py", "def g(): pass\n"),
    ]);
    let got: Vec<(&str, &str)> = inv
        .modules
        .iter()
        .map(|m| (m.module.as_str(), m.component_id.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("ns.loose", "ns_loose"),
            ("scripts.tool", "scripts_tool"),
            ("pkg", "pkg"),
            ("pkg.sub", "pkg_sub"),
            ("pkg.sub.my-mod", "pkg_sub_my-mod"),
            ("tool", "tool"),
        ]
    );
    for m in &inv.modules {
        crate::ids::check_component_id(&m.component_id).unwrap();
    }
    // A clash gets a suffix.
    let inv = scan_files(&[("a/b.py", "def f(): pass\n"), ("a_b.py", "def g(): pass\n")]);
    let ids: Vec<&str> = inv
        .modules
        .iter()
        .map(|m| m.component_id.as_str())
        .collect();
    assert_eq!(ids, ["a_b", "a_b_2"]);
    assert_eq!(component_id(&"x".repeat(300)).len(), 120);
    assert_eq!(component_id("..."), "___");
    assert_eq!(component_id(""), "module");
}

#[test]
fn test_files_by_convention() {
    use Language::*;
    for (p, lang, is) in [
        ("test_a.py", Python, true),
        ("a_test.py", Python, true),
        ("conftest.py", Python, true),
        ("tests/helpers.py", Python, true),
        ("pkg/test/x.py", Python, true),
        ("testing.py", Python, false),
        ("contest.py", Python, false),
        ("src/a.test.ts", TypeScript, true),
        ("src/a.spec.tsx", TypeScript, true),
        ("__tests__/a.js", TypeScript, true),
        ("src/latest.ts", TypeScript, false),
        ("src/test.ts", TypeScript, false),
    ] {
        assert_eq!(is_test_file(Path::new(p), lang), is, "{p}");
    }
}

#[test]
fn skipped_directories_are_not_read() {
    let inv = scan_files(&[
        ("app.py", "def main(): pass\n"),
        ("node_modules/x/index.py", "def nm(): pass\n"),
        (".venv/lib/site.py", "def venv(): pass\n"),
        ("myenv/pyvenv.cfg", "home = /usr\n"),
        ("myenv/lib/a.py", "def custom_venv(): pass\n"),
        ("build/lib/b.py", "def built(): pass\n"),
        ("dist/c.py", "def dist(): pass\n"),
        ("__pycache__/d.py", "def cache(): pass\n"),
        ("x.egg-info/e.py", "def egg(): pass\n"),
        (".pact/f.py", "def pact(): pass\n"),
        ("stubs.pyi", "def stub() -> int: ...\n"),
    ]);
    assert_eq!(names(&inv), ["main"]);
}

#[test]
fn package_granularity_merges_files() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("pkg/__init__.py", "def init_fn(): pass\n"),
            (
                "pkg/a.py",
                "def fa(): pass\nclass C:\n    def m(self): pass\n",
            ),
            ("pkg/b.py", "def fb(): pass\n"),
            ("other/c.py", "def fc(): pass\n"),
        ],
    );
    let opts = ScanOptions {
        granularity: Granularity::Package,
        ..ScanOptions::default()
    };
    let inv = scan(dir.path(), &opts).unwrap();
    let got: Vec<(&str, Vec<String>)> = inv
        .modules
        .iter()
        .map(|m| {
            (
                m.module.as_str(),
                m.functions
                    .iter()
                    .map(|f| f.qualified_name.clone())
                    .chain(
                        m.classes
                            .iter()
                            .flat_map(|c| c.methods.iter().map(|f| f.qualified_name.clone())),
                    )
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("other", vec!["c.fc".to_string()]),
            (
                "pkg",
                vec![
                    "init_fn".into(),
                    "a.fa".into(),
                    "b.fb".into(),
                    "a.C.m".into()
                ]
            ),
        ]
    );
    assert_eq!(inv.modules[1].files.len(), 3);
    assert_eq!(inv.modules[1].classes[0].name, "a.C");
}

#[test]
fn language_detection_and_choice() {
    let files = [
        ("a.py", "def a(): pass\n"),
        ("b.ts", "export function b(): void {}\n"),
        ("c.ts", "export function c(): void {}\n"),
    ];
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &files);
    let inv = scan(dir.path(), &ScanOptions::default()).unwrap();
    assert_eq!(inv.language, Language::TypeScript);
    assert_eq!(names(&inv), ["b", "c"]);
    let py = ScanOptions {
        language: Some(Language::Python),
        ..ScanOptions::default()
    };
    assert_eq!(names(&scan(dir.path(), &py).unwrap()), ["a"]);
    let no_tests = ScanOptions {
        include_tests: false,
        ..ScanOptions::default()
    };
    write(
        dir.path(),
        &[(
            "b.test.ts",
            "import { b } from './b';\nit('x', () => b());\n",
        )],
    );
    let inv = scan(dir.path(), &ScanOptions::default()).unwrap();
    assert_eq!(inv.test_files, [PathBuf::from("b.test.ts")]);
    assert_eq!(func(&inv, "b").covered_by, ["b.test.ts::x"]);
    let inv = scan(dir.path(), &no_tests).unwrap();
    assert!(inv.test_files.is_empty() && func(&inv, "b").covered_by.is_empty());
}

#[test]
fn scan_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let e = scan(&missing, &ScanOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: no such directory", missing.display())
    );
    let file = dir.path().join("f.py");
    fs::write(&file, "x = 1\n").unwrap();
    let e = scan(&file, &ScanOptions::default()).unwrap_err();
    assert!(matches!(e, ScanError::NotADirectory { .. }), "{e}");
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let e = scan(&empty, &ScanOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            ScanError::Empty {
                dirs_not_read: 0,
                ..
            }
        ),
        "{e}"
    );
}

/// Odd files: every one is read without a panic, and what can be listed is.
#[test]
fn odd_files_never_panic() {
    let python = [
        "",
        "\u{feff}def bom(x: int) -> int: return x\n",
        "def crlf(a,\r\n        b):\r\n    return a\r\n",
        "def tabs(a):\n\tif a:\n\t\treturn 1\n",
        "def ünïcode(ä: \"Ö\") -> 'ü': pass\n",
        "def no_body(",
        "@decorator_without_def\n",
        "class Weird(*bases, **kw, metaclass=M):\n    def m(self, /): pass\n",
        "def lam(f=lambda x=1, *a, **k: (yield)): pass\n",
        "def m(x):\n    match x:\n        case [1, *rest] if rest: pass\n        case {'k': v}: pass\n        case _: pass\n",
        "def f(x):\n    return f\"{x!r:>{width}} {f'{x}'}\"\n",
        "print 'python 2'\ndef after(): pass\n",
        "def d(*, a): pass\ndef e(a, /): pass\ndef g(*args, b=1, **kwargs): pass\n",
        "async def a():\n    async with x as y:\n        async for i in y:\n            await i\n",
        "def t():\n    try:\n        pass\n    except* ValueError:\n        pass\n",
        "__all__ = 'not a list'\ndef x(): pass\n",
        "__all__: list[str]\ndef y(): pass\n",
        "if True:\n    def in_if(): pass\nelse:\n    def in_if(): pass\n",
        &"(".repeat(5000),
        &format!("x = {}\n", "[".repeat(3000)),
        &"def f():\n    pass\n".repeat(2000),
        &"# comment\n".repeat(20_000),
        &format!("def test_chain():\n    a{}()\n", ".b".repeat(100_000)),
    ];
    for (i, text) in python.iter().enumerate() {
        let rel = PathBuf::from(format!("m{i}.py"));
        let u = python::analyze(text, &rel, "m").unwrap();
        assert!(u.lines <= text.len() + 1);
        python::analyze_test(text, &rel, "tests.m").unwrap();
    }
    let u = python::analyze(python[1], Path::new("a.py"), "a").unwrap();
    assert_eq!(u.functions[0].name, "bom");
    let u = python::analyze(python[17], Path::new("a.py"), "a").unwrap();
    assert_eq!(u.functions.len(), 2, "both branches' definitions");
    let ts = [
        "",
        "export function (",
        "export default class { method() {} }",
        "export const a = 1, b = () => 2, c = function named() {};",
        "export class X { @dec() m(@p x: number): void {} get g() { return 1 } set g(v) {} }",
        "export function jsx() { return <div>{x ? <a/> : null}</div>; }",
        "export const t = `unterminated ${",
        "module.exports = function () {};",
        "module.exports = class Named {};",
        "exports.a.b = 1; module.exports.x = y;",
        "export { a as default, b as 'string name' };",
        "describe(); it(); test.each()(); describe('x', 5);",
        &"(".repeat(5000),
        &"if (a) {".repeat(3000),
        &format!("it('chain', () => a{}());", ".b".repeat(100_000)),
    ];
    let ctx = Context {
        root_name: "r".into(),
        language: Language::TypeScript,
        packages: HashSet::new(),
        package_name: Some("r".into()),
    };
    for (i, text) in ts.iter().enumerate() {
        for kind in [FileKind::TypeScript, FileKind::Tsx, FileKind::JavaScript] {
            let rel = PathBuf::from(format!("m{i}.ts"));
            typescript::analyze(kind, text, &rel, "m").unwrap();
            typescript::analyze_test(kind, text, &rel, &ctx).unwrap();
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Token soup in both languages: never a panic, lines always counted.
    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(
        proptest::sample::select(vec![
            "def ", "class ", "async ", "lambda", "(", ")", "[", "]", "{", "}", ":", ",", "=",
            "->", "*", "**", "/", "@", "\n", "    ", "if ", "elif ", "else", "for ", "while ",
            "and ", "or ", "match ", "case ", "try", "except ", "assert ", "x", "y", "_z",
            "__all__", "'s'", "f'{x}'", "\"\"\"", "#", "export ", "function ", "const ", "=>",
            "?", "??", "&&", "||", "`", "${", "import ", "from ", "require(", "it(", "describe(",
            "\\", "é", "\r",
        ]),
        0..200,
    )) {
        let text: String = tokens.concat();
        let rel = Path::new("m.py");
        let u = python::analyze(&text, rel, "m").unwrap();
        proptest::prop_assert_eq!(u.lines, syntax::count_lines(&text));
        python::analyze_test(&text, rel, "m").unwrap();
        let ctx = Context {
            root_name: String::new(),
            language: Language::TypeScript,
            packages: HashSet::new(),
            package_name: None,
        };
        for kind in [FileKind::TypeScript, FileKind::Tsx, FileKind::JavaScript] {
            typescript::analyze(kind, &text, Path::new("m.ts"), "m").unwrap();
            typescript::analyze_test(kind, &text, Path::new("m.test.ts"), &ctx).unwrap();
        }
    }
}

/// The JSON Schema describes what the JSON is: paths as strings, skipped files as pairs.
#[cfg(feature = "schema")]
#[test]
fn schema_matches_the_json() {
    let schema = serde_json::to_value(schemars::schema_for!(Inventory)).unwrap();
    let props = &schema["properties"];
    assert_eq!(props["root"]["type"], "string");
    assert_eq!(props["test_files"]["items"]["type"], "string");
    assert_eq!(props["skipped"]["items"]["type"], "array");
    let inv = scan_files(&[("a.py", "def f(): pass\n")]);
    let json = serde_json::to_value(&inv).unwrap();
    assert!(json["root"].is_string() && json["skipped"].is_array());
}
