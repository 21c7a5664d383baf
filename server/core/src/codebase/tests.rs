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
