"""The public API of a Python codebase as Python's own `ast` sees it, printed as JSON.

The reference `tests/test_gen.rs` checks `pact test-gen --dry-run --json` against: written
from the definitions in the documentation of `pact_core::codebase` (which files, what is
public, how a signature is shown, what cyclomatic complexity counts), with the standard library
only. Usage: python3 tests/codebase_inventory.py <root>
"""

from __future__ import annotations

import ast
import json
import os
import sys

SKIP_DIRS = {
    "node_modules",
    "venv",
    "env",
    "__pycache__",
    "site-packages",
    "build",
    "dist",
    "bower_components",
    "jspm_packages",
}


def skip_dir(name: str, path: str) -> bool:
    return (
        name.startswith(".")
        or name in SKIP_DIRS
        or name.endswith(".egg-info")
        or os.path.exists(os.path.join(path, "pyvenv.cfg"))
    )


def is_test(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1].lower()
    dirs = [d.lower() for d in parts[:-1]]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(d in ("test", "tests") for d in dirs)
    )


def source_files(root: str) -> tuple[list[str], set[str]]:
    """Relative paths of the source modules, and the directories that are packages."""
    files: list[str] = []
    packages: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [
            d
            for d in dirnames
            if not skip_dir(d, os.path.join(dirpath, d))
            and not os.path.islink(os.path.join(dirpath, d))
        ]
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        for f in filenames:
            full = os.path.join(dirpath, f)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            if f == "__init__.py":
                packages.add(rel_dir)
            if f.lower().endswith(".py"):
                rel = f"{rel_dir}/{f}" if rel_dir else f
                if not is_test(rel):
                    files.append(rel)
    return sorted(files), packages


def module_name(rel: str, packages: set[str], root_name: str) -> str:
    parts = rel.split("/")
    stem = parts[-1][:-3]
    dirs = parts[:-1]
    start = len(dirs)
    while start > 0 and "/".join(dirs[:start]) in packages:
        start -= 1
    root_is_package = "" in packages
    in_package = start < len(dirs) or (not dirs and root_is_package)
    out: list[str] = []
    if start == 0 and root_is_package and root_name:
        out.append(root_name)
    if in_package:
        out.extend(dirs[start:])
    else:
        out.extend(dirs[1:] if dirs and dirs[0] == "src" else dirs)
    if stem != "__init__":
        out.append(stem)
    return ".".join(out) or "__init__"


def squash(text: str | None) -> str | None:
    if text is None:
        return None
    if "\n" not in text:
        return text.strip()
    return " ".join(line.strip() for line in text.split("\n") if line.strip())


class Complexity(ast.NodeVisitor):
    """1 + if/elif, for/async for, while, except, assert, conditional expression, each
    and/or operator, each match case but the first; anywhere inside the definition."""

    def __init__(self) -> None:
        self.count = 1

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(
            node,
            (
                ast.If,
                ast.For,
                ast.AsyncFor,
                ast.While,
                ast.ExceptHandler,
                ast.Assert,
                ast.IfExp,
            ),
        ):
            self.count += 1
        elif isinstance(node, ast.BoolOp):
            self.count += len(node.values) - 1
        elif sys.version_info >= (3, 10) and isinstance(node, ast.Match):
            self.count += max(len(node.cases) - 1, 0)
        super().generic_visit(node)


def complexity(node: ast.AST) -> int:
    v = Complexity()
    v.visit(node)
    return v.count


def nested_blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    if isinstance(stmt, ast.If):
        return [stmt.body, stmt.orelse]
    try_types = (ast.Try,) + ((ast.TryStar,) if sys.version_info >= (3, 11) else ())
    if isinstance(stmt, try_types):
        return [stmt.body, *[h.body for h in stmt.handlers], stmt.orelse, stmt.finalbody]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [stmt.body]
    return []


def definitions(body: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(stmt)
        else:
            for block in nested_blocks(stmt):
                out.extend(definitions(block))
    return out


def statements(body: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        for block in nested_blocks(stmt):
            out.extend(statements(block))
    return out


def literal_strings(node: ast.expr) -> list[str] | None:
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    out = []
    for e in node.elts:
        if not (isinstance(e, ast.Constant) and isinstance(e.value, str)):
            return None
        out.append(e.value)
    return out


def dunder_all(tree: ast.Module) -> set[str] | None:
    names: set[str] | None = None
    dynamic = False
    for stmt in statements(tree.body):
        is_all = lambda t: isinstance(t, ast.Name) and t.id == "__all__"  # noqa: E731
        if isinstance(stmt, ast.Assign) and any(is_all(t) for t in stmt.targets):
            lit = literal_strings(stmt.value)
            if lit is None:
                dynamic = True
            else:
                names = set(lit)
        elif isinstance(stmt, ast.AnnAssign) and is_all(stmt.target):
            if stmt.value is not None:
                lit = literal_strings(stmt.value)
                if lit is None:
                    dynamic = True
                else:
                    names = set(lit)
        elif isinstance(stmt, ast.AugAssign) and is_all(stmt.target):
            lit = literal_strings(stmt.value)
            if isinstance(stmt.op, ast.Add) and lit is not None:
                names = (names or set()) | set(lit)
            else:
                dynamic = True
        elif (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and is_all(stmt.value.func.value)
        ):
            call = stmt.value
            added = None
            if call.func.attr == "extend" and len(call.args) == 1 and not call.keywords:
                added = literal_strings(call.args[0])
            elif call.func.attr == "append" and len(call.args) == 1 and not call.keywords:
                a = call.args[0]
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    added = [a.value]
            if added is None:
                dynamic = True
            else:
                names = (names or set()) | set(added)
    return None if dynamic else names


class Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def text(self, node: ast.AST | None) -> str | None:
        if node is None:
            return None
        return squash(ast.get_source_segment(self.source, node))

    def function(self, node, prefix: str, in_class: bool) -> dict:
        a = node.args
        params = []
        positional = a.posonlyargs + a.args
        defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        for i, arg in enumerate(positional):
            kind = "positional_only" if i < len(a.posonlyargs) else "positional"
            params.append(self.param(arg, defaults[i], kind))
        if a.vararg:
            params.append(self.param(a.vararg, None, "var_positional"))
        for arg, default in zip(a.kwonlyargs, a.kw_defaults):
            params.append(self.param(arg, default, "keyword_only"))
        if a.kwarg:
            params.append(self.param(a.kwarg, None, "var_keyword"))
        decorators = [self.text(d) for d in node.decorator_list]
        returns = self.text(node.returns)
        skip_first = in_class and "staticmethod" not in decorators
        untyped = any(
            p["annotation"] is None
            and not (
                i == 0 and skip_first and p["kind"] in ("positional", "positional_only")
            )
            for i, p in enumerate(params)
        ) or (returns is None and not (in_class and node.name == "__init__"))
        return {
            "name": node.name,
            "qualified_name": prefix + node.name,
            "params": params,
            "returns": returns,
            "is_async": isinstance(node, ast.AsyncFunctionDef),
            "decorators": decorators,
            "complexity": complexity(node),
            "line": node.lineno,
            "end_line": node.end_lineno,
            "untyped": untyped,
        }

    def param(self, arg: ast.arg, default, kind: str) -> dict:
        return {
            "name": arg.arg,
            "annotation": self.text(arg.annotation),
            "default": self.text(default),
            "kind": kind,
        }

    def class_(self, node: ast.ClassDef, prefix: str, out: list[dict]) -> None:
        name = prefix + node.name
        info = {
            "name": name,
            "bases": [self.text(b) for b in node.bases]
            + [self.text(k) for k in node.keywords],
            "line": node.lineno,
            "end_line": node.end_lineno,
            "methods": [],
        }
        out.append(info)
        for d in definitions(node.body):
            dunder = len(d.name) > 4 and d.name.startswith("__") and d.name.endswith("__")
            if isinstance(d, ast.ClassDef):
                if not d.name.startswith("_"):
                    self.class_(d, name + ".", out)
            elif not d.name.startswith("_") or dunder:
                info["methods"].append(self.function(d, name + ".", True))


def inventory(root: str) -> dict:
    root = os.path.realpath(root)
    files, packages = source_files(root)
    modules = []
    for rel in files:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            source = f.read()
        tree = ast.parse(source)
        reader = Reader(source)
        public = dunder_all(tree)
        functions: list[dict] = []
        classes: list[dict] = []
        for d in definitions(tree.body):
            if public is not None and d.name not in public:
                continue
            if public is None and d.name.startswith("_"):
                continue
            if isinstance(d, ast.ClassDef):
                reader.class_(d, "", classes)
            else:
                functions.append(reader.function(d, "", False))
        modules.append(
            {
                "path": rel,
                "module": module_name(rel, packages, os.path.basename(root)),
                "functions": functions,
                "classes": classes,
            }
        )
    return {"modules": modules}


if __name__ == "__main__":
    json.dump(inventory(sys.argv[1]), sys.stdout, indent=1)
    sys.stdout.write("\n")
