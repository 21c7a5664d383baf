# Written by Pact for a diagnosis run: records every call into the listed modules' functions
# (component boundaries) and writes them as IOTrace records when the session ends.
import functools, inspect, importlib, json, os, time

_TRACES = []
_LIMIT = 500


def _r(v):
    try:
        s = repr(v)
    except Exception as e:  # a broken __repr__ must not hide the call
        s = f"<unrepresentable {type(v).__name__}: {e}>"
    return s if len(s) <= 300 else s[:297] + "..."


def _wrap(module, name, fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None

    @functools.wraps(fn)
    def traced(*args, **kwargs):
        inputs = {}
        try:
            bound = sig.bind(*args, **kwargs) if sig else None
            if bound:
                inputs = {k: _r(v) for k, v in bound.arguments.items()}
        except TypeError:
            inputs = {"args": _r(args), "kwargs": _r(kwargs)}
        t = time.perf_counter()
        rec = {"component_id": module, "function": name, "inputs": inputs, "output": "", "error": "", "duration_ms": 0.0, "sub_traces": []}
        try:
            out = fn(*args, **kwargs)
            rec["output"] = _r(out)
            return out
        except BaseException as e:
            rec["error"] = f"{type(e).__name__}: {e}"
            raise
        finally:
            rec["duration_ms"] = (time.perf_counter() - t) * 1000.0
            if len(_TRACES) < _LIMIT:
                _TRACES.append(rec)

    return traced


for _name in [m for m in os.environ.get("PACT_TRACE_MODULES", "").split(",") if m]:
    try:
        _mod = importlib.import_module(_name)
    except Exception:
        continue
    for _attr, _fn in list(vars(_mod).items()):
        if inspect.isfunction(_fn) and _fn.__module__ == _name and not _attr.startswith("_"):
            setattr(_mod, _attr, _wrap(_name, _attr, _fn))


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("PACT_TRACE_FILE")
    if path:
        with open(path, "w") as f:
            json.dump(_TRACES, f)
