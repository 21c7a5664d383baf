"""Pact's contract boundary, test side (trusted: written by Pact, runs with the locked tests).

A component's module, as the tests import it, is its contract rendered as code whose functions
forward each call to a separate process that runs the real implementation. Only plain data
crosses, shaped by the contract's types; what comes back is checked against the declared
output type and rebuilt as the contract's types, and errors come back as the contract's (or
Python's built-in) exception types, by name. The implementation never runs here: it cannot see
these tests, their frames, pytest, or the report.
"""

import base64
import builtins
import dataclasses
import enum
import functools
import inspect
import json
import os
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_HERE, "_pact_boundary.json"), encoding="utf-8") as _f:
    _SPEC = json.load(_f)

_MAX_DEPTH = 200


class ContractViolation(AssertionError):
    """The implementation returned a value its contract does not allow."""


class ComponentError(Exception):
    """The implementation raised an error that neither its contract nor Python names."""


class ComponentCrashed(Exception):
    """The implementation's process ended or broke the call protocol."""


class _Channel:
    def __init__(self):
        self.req = None
        self.resp = None
        self.n = 0
        self.dead = None

    def call(self, msg):
        if self.dead:
            raise ComponentCrashed(self.dead)
        if self.req is None:
            self.req = open(os.environ["PACT_CALL_REQ"], "w", encoding="utf-8")
            self.resp = open(os.environ["PACT_CALL_RESP"], "r", encoding="utf-8")
        self.n += 1
        msg["id"] = self.n
        try:
            self.req.write(json.dumps(msg) + "\n")
            self.req.flush()
            line = self.resp.readline()
        except OSError as e:
            line = ""
            self.dead = f"the call channel broke: {e}"
        if not line:
            self.dead = self.dead or "the implementation's process ended (crashed or exited)"
            raise ComponentCrashed(self.dead)
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict) or reply.get("id") != self.n:
            self.dead = "the implementation's process broke the call protocol"
            raise ComponentCrashed(self.dead)
        return reply


_CHANNEL = _Channel()
_TRACES = []


# ── test side → wire ─────────────────────────────────────────────────────────────────────────


def _generic(v, depth=0):
    """Any value a test passes, as plain data (wrong types pass through: the contract may say
    the implementation must reject them)."""
    if depth > _MAX_DEPTH:
        raise TypeError("value nested too deeply to cross the contract boundary")
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
    raise TypeError(
        f"a {type(v).__name__} cannot cross the contract boundary: contract tests pass plain "
        "data (the contract's types, lists, dicts, numbers, strings)"
    )


# ── wire → test side, checked against the contract ───────────────────────────────────────────


def _where(path):
    return path or "the value"


def _show(v):
    s = repr(v)
    return s if len(s) <= 80 else s[:77] + "..."


class _Decoder:
    def __init__(self, module, ns, what):
        self.module = module
        self.types = _SPEC["modules"][module]["types"]
        self.ns = ns
        self.what = what

    def fail(self, path, expected, v):
        if isinstance(v, dict) and "$repr" in v:
            got = f"{v.get('$type', 'object')} {v['$repr']}"
        else:
            got = f"{type(v).__name__} {_show(v)}"
        raise ContractViolation(
            f"{self.what} broke its contract: at {_where(path)}: expected {expected}, got {got}"
        )

    def value(self, v, t, path, depth=0):
        if depth > _MAX_DEPTH:
            raise ContractViolation(f"{self.what} returned a value nested too deeply")
        k = t["k"]
        if k == "any":
            return _plain(v)
        if k == "none":
            if v is not None:
                self.fail(path, "None", v)
            return None
        if k == "prim":
            return self.prim(v, t["name"], path)
        if k == "optional":
            return None if v is None else self.value(v, t["of"], path, depth + 1)
        if k == "union":
            for alt in t["of"]:
                try:
                    return self.value(v, alt, path, depth + 1)
                except ContractViolation:
                    continue
            self.fail(path, t["text"], v)
        if k in ("list", "set", "tuple"):
            if not isinstance(v, list):
                self.fail(path, t["text"], v)
            items = [self.value(x, t["of"], f"{path}[{i}]", depth + 1) for i, x in enumerate(v)]
            return {"list": list, "set": set, "tuple": tuple}[k](items)
        if k == "dict":
            if not (isinstance(v, dict) and isinstance(v.get("$dict"), list)):
                self.fail(path, t["text"], v)
            out = {}
            for pair in v["$dict"]:
                if not (isinstance(pair, list) and len(pair) == 2):
                    self.fail(path, t["text"], pair)
                key = self.value(pair[0], t["key"], f"{path}(key {_show(pair[0])})", depth + 1)
                out[key] = self.value(pair[1], t["of"], f"{path}[{_show(key)}]", depth + 1)
            return out
        if k == "named":
            return self.named(v, t["name"], path, depth)
        self.fail(path, t.get("text", "?"), v)

    def prim(self, v, name, path):
        ok = {
            "int": lambda x: isinstance(x, int) and not isinstance(x, bool),
            "float": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
            "str": lambda x: isinstance(x, str),
            "bool": lambda x: isinstance(x, bool),
        }
        if name == "bytes":
            if isinstance(v, dict) and isinstance(v.get("$bytes"), str):
                return base64.b64decode(v["$bytes"])
            self.fail(path, "bytes", v)
        if name in ok:
            if not ok[name](v):
                self.fail(path, name, v)
            return float(v) if name == "float" else v
        return _plain(v)

    def named(self, v, name, path, depth):
        spec = self.types.get(name)
        if spec is None:
            return _plain(v)
        kind = spec["kind"]
        if kind == "alias":
            return self.value(v, spec["of"], path, depth + 1)
        if kind == "enum":
            if not isinstance(v, str) or v not in spec["variants"]:
                self.fail(path, f"{name} (one of {', '.join(spec['variants'])})", v)
            cls = self.ns.get(name)
            try:
                return cls(v) if isinstance(cls, type) else v
            except Exception:
                return v
        if kind == "struct":
            if not (isinstance(v, dict) and isinstance(v.get("fields"), dict)):
                self.fail(path, name, v)
            fields = v["fields"]
            kwargs = {}
            for f in spec["fields"]:
                fpath = f"{path}.{f['name']}" if path else f["name"]
                if f["name"] not in fields:
                    if f["required"]:
                        raise ContractViolation(
                            f"{self.what} broke its contract: at {_where(path)}: "
                            f"the {name} has no field '{f['name']}'"
                        )
                    continue
                kwargs[f["name"]] = self.value(fields[f["name"]], f["t"], fpath, depth + 1)
            cls = self.ns.get(name)
            if isinstance(cls, type):
                try:
                    return cls(**kwargs)
                except Exception as e:
                    raise ContractViolation(
                        f"{self.what} broke its contract: at {_where(path)}: not a valid {name}: {e}"
                    )
            return kwargs
        return _plain(v)


def _plain(v):
    """Untyped data back from the wire."""
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        if isinstance(v.get("$dict"), list):
            return {_hashable(_plain(p[0])): _plain(p[1]) for p in v["$dict"] if isinstance(p, list) and len(p) == 2}
        if isinstance(v.get("$bytes"), str):
            return base64.b64decode(v["$bytes"])
        if isinstance(v.get("fields"), dict):
            return {k: _plain(x) for k, x in v["fields"].items()}
        return {k: _plain(x) for k, x in v.items()}
    return v


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


# ── errors ───────────────────────────────────────────────────────────────────────────────────


def _error(module, ns, fn, err):
    names = err.get("types") or []
    message = str(err.get("message", ""))
    where = f"{module}.{fn}"
    if err.get("kind") == "import":
        e = ComponentError(f"the implementation of '{module}' failed to import: {message}")
    elif err.get("kind") == "missing":
        e = ComponentError(f"the implementation of '{module}' has no function '{fn}'")
    else:
        cls = None
        for n in names:
            c = ns.get(n)
            if isinstance(c, type) and issubclass(c, Exception):
                cls = c
                break
            c = getattr(builtins, n, None)
            if isinstance(c, type) and issubclass(c, Exception):
                cls = c
                break
        if cls is None:
            e = ComponentError(f"{where} raised {names[0] if names else 'an error'}: {message}")
        else:
            try:
                e = cls(message)
            except Exception:
                e = ComponentError(f"{where} raised {cls.__name__}: {message}")
    tb = err.get("traceback")
    if tb and hasattr(e, "add_note"):
        e.add_note("In the implementation's process:\n" + str(tb)[-4000:])
    return e


# ── binding a module ─────────────────────────────────────────────────────────────────────────


def _forwarder(module, ns, name, stub, fspec):
    try:
        sig = inspect.signature(stub)
    except (TypeError, ValueError):
        sig = None
    what = f"{name}()"

    @functools.wraps(stub)
    def call(*args, **kwargs):
        if sig is not None:
            bound = sig.bind(*args, **kwargs)
            given = bound.arguments
        else:
            given = dict(zip([i["name"] for i in fspec["inputs"]], args), **kwargs)
        wire_args = []
        wire_kwargs = {}
        missing = False
        for inp in fspec["inputs"]:
            if inp["name"] in given:
                v = _generic(given[inp["name"]])
                if missing:
                    wire_kwargs[inp["name"]] = v
                else:
                    wire_args.append(v)
            else:
                missing = True
        started = time.perf_counter()
        reply = _CHANNEL.call(
            {"module": module, "function": name, "args": wire_args, "kwargs": wire_kwargs}
        )
        rec = None
        if os.environ.get("PACT_TRACE_FILE") and len(_TRACES) < 500:
            rec = {
                "component_id": module,
                "function": name,
                "inputs": {k: _show(v) for k, v in given.items()},
                "output": "",
                "error": "",
                "duration_ms": (time.perf_counter() - started) * 1000.0,
                "sub_traces": reply.get("sub_traces") or [],
            }
            _TRACES.append(rec)
        if "error" in reply:
            err = reply["error"] if isinstance(reply["error"], dict) else {}
            if rec is not None:
                rec["error"] = f"{(err.get('types') or ['Error'])[0]}: {err.get('message', '')}"
            raise _error(module, ns, name, err)
        value = _Decoder(module, ns, what).value(reply.get("value"), fspec["output"], "")
        if rec is not None:
            rec["output"] = _show(value)
        return value

    call.__pact_boundary__ = True
    return call


def bind(ns, module):
    """Makes the contract module `ns` forward its functions across the boundary."""
    spec = _SPEC["modules"][module]
    for name in spec["errors"]:
        if name not in ns and not isinstance(getattr(builtins, name, None), type):
            ns[name] = type(name, (Exception,), {"__module__": module})
    for name, fspec in spec["functions"].items():
        stub = ns.get(name)
        if callable(stub):
            ns[name] = _forwarder(module, ns, name, stub, fspec)
    ns["ContractViolation"] = ContractViolation


def _write_traces():
    path = os.environ.get("PACT_TRACE_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_TRACES, f)


import atexit  # noqa: E402  (trusted side: the traces of a diagnosis run)

atexit.register(_write_traces)
