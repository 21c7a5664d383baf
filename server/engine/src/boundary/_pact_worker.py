"""Pact's contract boundary, implementation side: runs in the implementation's own sandboxed
process, which never sees the tests. Reads one call per line, calls the real function, answers
with plain data shaped by the contract's output type. Nothing here is trusted by the test side:
every answer is checked there against the contract.

Usage: python -I -B _pact_worker.py <boundary.json> <source dir>...
"""

import base64
import dataclasses
import enum
import importlib
import inspect
import json
import os
import sys
import traceback
import types as _types

# The call channel is the original stdin/stdout; the code under test gets /dev/null and stderr,
# so its prints cannot corrupt answers.
_IN = os.fdopen(os.dup(0), "r", encoding="utf-8")
_OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
_null = os.open(os.devnull, os.O_RDONLY)
os.dup2(_null, 0)
os.dup2(2, 1)

# The code under test runs where no test framework is: importing one fails exactly as if it
# were not installed (the environment has pytest for the other side of the boundary), and
# nothing in sys.modules hints at it.
class _NoTestFramework:
    _HIDDEN = ("pytest", "_pytest", "pluggy", "py", "iniconfig")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self._HIDDEN:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return None


sys.meta_path.insert(0, _NoTestFramework())

with open(sys.argv[1], encoding="utf-8") as _f:
    _SPEC = json.load(_f)
sys.path.extend(p for p in sys.argv[2:] if p)
# Nothing about how the process was started says "contract tests".
sys.argv = ["main.py"]
_DUMMY = os.environ.get("PACT_WORKER_MODE") if os.environ.get("PACT_WORKER_MODE") in ("zero", "one") else None
_MAX_DEPTH = 200
_modules = {}


def _module(name):
    if name not in _modules:
        _modules[name] = importlib.import_module(name)
    return _modules[name]


def _find_class(name, home):
    c = getattr(home, name, None)
    if isinstance(c, type):
        return c
    for m in list(_modules.values()):
        c = getattr(m, name, None)
        if isinstance(c, type):
            return c
    return None


# ── wire → implementation ────────────────────────────────────────────────────────────────────


def _plain(v):
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        if isinstance(v.get("$dict"), list):
            out = {}
            for p in v["$dict"]:
                k = _plain(p[0])
                out[tuple(k) if isinstance(k, list) else k] = _plain(p[1])
            return out
        if isinstance(v.get("$bytes"), str):
            return base64.b64decode(v["$bytes"])
        if isinstance(v.get("fields"), dict):
            return _types.SimpleNamespace(**{k: _plain(x) for k, x in v["fields"].items()})
        return {k: _plain(x) for k, x in v.items()}
    return v


def _to_impl(v, t, types, home, depth=0):
    if depth > _MAX_DEPTH:
        return _plain(v)
    k = t["k"]
    if k in ("list", "set", "tuple") and isinstance(v, list):
        items = [_to_impl(x, t["of"], types, home, depth + 1) for x in v]
        return {"list": list, "set": set, "tuple": tuple}[k](items)
    if k == "dict" and isinstance(v, dict) and isinstance(v.get("$dict"), list):
        out = {}
        for p in v["$dict"]:
            key = _to_impl(p[0], t["key"], types, home, depth + 1)
            out[tuple(key) if isinstance(key, list) else key] = _to_impl(p[1], t["of"], types, home, depth + 1)
        return out
    if k == "optional":
        return None if v is None else _to_impl(v, t["of"], types, home, depth + 1)
    if k == "union":
        for alt in t["of"]:
            if alt["k"] == "named" and isinstance(v, dict) and v.get("$struct") == alt["name"]:
                return _to_impl(v, alt, types, home, depth + 1)
        return _plain(v)
    if k == "named":
        spec = types.get(t["name"])
        if spec is None:
            return _plain(v)
        if spec["kind"] == "alias":
            return _to_impl(v, spec["of"], types, home, depth + 1)
        cls = _find_class(t["name"], home)
        if spec["kind"] == "enum" and cls is not None and not isinstance(v, (dict, list)):
            try:
                return cls(v)
            except Exception:
                try:
                    return cls[v]
                except Exception:
                    return v
        if spec["kind"] == "struct" and isinstance(v, dict) and isinstance(v.get("fields"), dict):
            ftypes = {f["name"]: f["t"] for f in spec["fields"]}
            fields = {
                n: _to_impl(x, ftypes.get(n, {"k": "any"}), types, home, depth + 1)
                for n, x in v["fields"].items()
            }
            if cls is not None:
                try:
                    return cls(**fields)
                except TypeError:
                    try:
                        return cls(*[fields[f["name"]] for f in spec["fields"] if f["name"] in fields])
                    except Exception:
                        pass
            return _types.SimpleNamespace(**fields)
    return _plain(v)


# ── implementation → wire ────────────────────────────────────────────────────────────────────


def _opaque(v):
    try:
        r = repr(v)
    except Exception:
        r = "<unrepresentable>"
    return {"$repr": r[:200], "$type": type(v).__name__}


def _generic(v, depth=0):
    if depth > _MAX_DEPTH:
        return _opaque(v)
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, enum.Enum):
        return _generic(v.value, depth + 1)
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, dict):
        return {"$dict": [[_generic(k, depth + 1), _generic(x, depth + 1)] for k, x in v.items()]}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_generic(x, depth + 1) for x in v]
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {
            "$struct": type(v).__name__,
            "fields": {f.name: _generic(getattr(v, f.name), depth + 1) for f in dataclasses.fields(v)},
        }
    return _opaque(v)


def _field(obj, name):
    if isinstance(obj, dict):
        return obj[name]
    return getattr(obj, name)


def _from_impl(v, t, types, depth=0):
    if depth > _MAX_DEPTH:
        return _opaque(v)
    k = t["k"]
    if k in ("list", "set", "tuple"):
        if isinstance(v, (list, tuple, set, frozenset)):
            return [_from_impl(x, t["of"], types, depth + 1) for x in v]
        return _generic(v, depth)
    if k == "dict":
        if isinstance(v, dict):
            return {
                "$dict": [
                    [_from_impl(a, t["key"], types, depth + 1), _from_impl(b, t["of"], types, depth + 1)]
                    for a, b in v.items()
                ]
            }
        return _generic(v, depth)
    if k == "optional":
        return None if v is None else _from_impl(v, t["of"], types, depth + 1)
    if k == "union":
        for alt in t["of"]:
            if alt["k"] == "named" and type(v).__name__ == alt["name"]:
                return _from_impl(v, alt, types, depth + 1)
        return _generic(v, depth)
    if k == "named":
        spec = types.get(t["name"])
        if spec is None:
            return _generic(v, depth)
        if spec["kind"] == "alias":
            return _from_impl(v, spec["of"], types, depth + 1)
        if spec["kind"] == "enum":
            return _generic(v.value if isinstance(v, enum.Enum) else v, depth)
        if spec["kind"] == "struct":
            if v is None or isinstance(v, (bool, int, float, str, list, tuple)):
                return _generic(v, depth)
            out = {}
            for f in spec["fields"]:
                try:
                    out[f["name"]] = _from_impl(_field(v, f["name"]), f["t"], types, depth + 1)
                except (AttributeError, KeyError, TypeError):
                    continue
            return {"$struct": t["name"], "fields": out}
    return _generic(v, depth)


# ── type-correct dummy answers (red-first: a test that passes against these tests nothing) ──


def _dummy(t, types, one, depth=0):
    """A type-correct value: the smallest (`zero`) or a small non-empty one (`one`)."""
    k = t["k"]
    if depth > 20 or k in ("any", "none"):
        return None
    if k == "optional":
        return _dummy(t["of"], types, one, depth + 1) if one else None
    if k == "prim":
        if one:
            return {"int": 1, "float": 1.5, "str": "x", "bool": True, "bytes": {"$bytes": "eA=="}}.get(t["name"])
        return {"int": 0, "float": 0.0, "str": "", "bool": False, "bytes": {"$bytes": ""}}.get(t["name"])
    if k in ("list", "set", "tuple"):
        return [_dummy(t["of"], types, one, depth + 1)] if one else []
    if k == "dict":
        if one:
            return {"$dict": [[_dummy(t["key"], types, one, depth + 1), _dummy(t["of"], types, one, depth + 1)]]}
        return {"$dict": []}
    if k == "union":
        alts = [a for a in t["of"] if a["k"] != "none"]
        return _dummy((alts[-1] if one else alts[0]), types, one, depth + 1) if alts else None
    if k == "named":
        spec = types.get(t["name"])
        if spec is None:
            return None
        if spec["kind"] == "alias":
            return _dummy(spec["of"], types, one, depth + 1)
        if spec["kind"] == "enum":
            v = spec["variants"]
            return (v[-1] if one else v[0]) if v else None
        if spec["kind"] == "struct":
            return {
                "$struct": t["name"],
                "fields": {f["name"]: _dummy(f["t"], types, one, depth + 1) for f in spec["fields"]},
            }
    return None


# ── the loop ─────────────────────────────────────────────────────────────────────────────────


def _answer(req):
    module = req.get("module", "")
    fname = req.get("function", "")
    mspec = _SPEC["modules"].get(module)
    fspec = mspec and mspec["functions"].get(fname)
    if not fspec:
        return {"error": {"kind": "missing", "types": [], "message": f"{module}.{fname} is not in the contract"}}
    types = mspec["types"]
    if _DUMMY:
        return {"value": _dummy(fspec["output"], types, _DUMMY == "one")}
    try:
        home = _module(module)
    except BaseException as e:
        return {
            "error": {
                "kind": "import",
                "types": [c.__name__ for c in type(e).__mro__],
                "message": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc()[-4000:],
            }
        }
    fn = getattr(home, fname, None)
    if not callable(fn):
        return {"error": {"kind": "missing", "types": [], "message": f"no function {fname}"}}
    inputs = {i["name"]: i["t"] for i in fspec["inputs"]}
    order = [i["name"] for i in fspec["inputs"]]
    args = [_to_impl(v, inputs[order[i]], types, home) for i, v in enumerate(req.get("args", [])) if i < len(order)]
    kwargs = {n: _to_impl(v, inputs.get(n, {"k": "any"}), types, home) for n, v in (req.get("kwargs") or {}).items()}
    try:
        result = fn(*args, **kwargs)
        if inspect.isawaitable(result):
            import asyncio

            result = asyncio.run(_await(result))
    except BaseException as e:
        return {
            "error": {
                "kind": "raised",
                "types": [c.__name__ for c in type(e).__mro__],
                "message": str(e),
                "traceback": traceback.format_exc()[-4000:],
            }
        }
    return {"value": _from_impl(result, fspec["output"], types)}


async def _await(a):
    return await a


def main():
    for line in _IN:
        try:
            req = json.loads(line)
        except ValueError:
            continue
        reply = _answer(req) if isinstance(req, dict) else {"error": {"kind": "missing", "types": []}}
        reply["id"] = req.get("id") if isinstance(req, dict) else None
        try:
            text = json.dumps(reply)
        except (TypeError, ValueError) as e:
            text = json.dumps({"id": reply["id"], "error": {"kind": "raised", "types": ["TypeError"], "message": f"unserializable answer: {e}"}})
        _OUT.write(text + "\n")
        _OUT.flush()


main()
