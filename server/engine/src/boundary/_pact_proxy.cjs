"use strict";
// Pact's contract boundary, test side, for TypeScript and JavaScript suites (trusted: written by
// Pact, loaded by the locked tests' vitest or node:test process).
//
// A component's module, as the tests import it, is its contract whose functions forward each
// call to a separate process that runs the real implementation. Only plain data crosses, shaped
// by the contract's types; what comes back is checked against the declared output type and
// rebuilt as the contract's types, and errors come back as the contract's (or JavaScript's
// built-in) error classes, by name. The implementation never runs here: it cannot see these
// tests, vitest, or the report.
//
// Contract tests call functions synchronously, so a call blocks this process until its answer
// is in: the channel is two FIFOs Pact relays to the implementation's process, read and written
// with fs.*Sync. Test files may run in several processes at once (vitest forks, node:test
// subprocesses); a lock directory next to the FIFOs lets one call through at a time.

const fs = require("node:fs");
const path = require("node:path");

const SPEC = JSON.parse(fs.readFileSync(path.join(__dirname, "_pact_boundary.json"), "utf8"));
const MAX_DEPTH = 200;

class ContractViolation extends Error {}
/** The implementation threw something that neither its contract nor JavaScript names. */
class ComponentError extends Error {}
/** The implementation's process ended or broke the call protocol. */
class ComponentCrashed extends Error {}
for (const c of [ContractViolation, ComponentError, ComponentCrashed]) {
  Object.defineProperty(c.prototype, "name", { value: c.name, writable: true, configurable: true });
}

const BUILTIN = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
};
const isBuiltin = (n) => Object.prototype.hasOwnProperty.call(BUILTIN, n);

// The contract's own error classes, one per name across every module of the run, so that a
// dependency's error a component lets through is the class the tests import.
const ERRORS = new Map();
for (const m of Object.values(SPEC.modules)) {
  for (const name of m.errors || []) {
    if (!isBuiltin(name) && !ERRORS.has(name)) {
      const cls = { [name]: class extends Error {} }[name];
      Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
      ERRORS.set(name, cls);
    }
  }
}

// ── the channel ──────────────────────────────────────────────────────────────────────────────

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms) {
  Atomics.wait(PAUSE, 0, 0, ms);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

/** One call at a time across the run's test processes; returns the unlock. */
function lock(dir) {
  const owner = path.join(dir, "owner");
  let wait = 0.05;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(owner, String(process.pid));
      return () => fs.rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
    }
    // A holder that is gone (killed mid-call) leaves its lock behind.
    let pid = 0;
    try {
      pid = Number(fs.readFileSync(owner, "utf8"));
    } catch {}
    if (pid > 0 && pid !== process.pid && !alive(pid)) {
      fs.rmSync(dir, { recursive: true, force: true });
      continue;
    }
    sleep(wait);
    wait = Math.min(wait * 2, 5);
  }
}

class Channel {
  constructor() {
    this.req = null;
    this.resp = null;
    this.n = 0;
    this.dead = null;
    this.chunks = [];
    this.lines = [];
    this.token = `${process.pid}.${Math.random().toString(36).slice(2, 10)}`;
  }

  fail(why) {
    this.dead = this.dead || why;
    return new ComponentCrashed(this.dead);
  }

  open() {
    const req = process.env.PACT_CALL_REQ;
    const resp = process.env.PACT_CALL_RESP;
    if (!req || !resp) {
      throw this.fail("no call channel to the implementation (run these tests with Pact)");
    }
    // Non-blocking, so that neither open waits for a process that is gone: a read then says
    // end-of-file, a write EPIPE or ENXIO, and the implementation has crashed.
    const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
    try {
      this.resp = fs.openSync(resp, O_RDONLY | O_NONBLOCK);
      this.req = fs.openSync(req, O_WRONLY | O_NONBLOCK);
    } catch (e) {
      throw this.fail(`the call channel cannot be opened: ${e.message}`);
    }
    this.lockDir = `${req}.lock`;
  }

  call(msg) {
    if (this.dead) throw new ComponentCrashed(this.dead);
    if (this.req === null) this.open();
    const unlock = lock(this.lockDir);
    try {
      const id = `${this.token}.${++this.n}`;
      msg.id = id;
      try {
        this.write(Buffer.from(JSON.stringify(msg) + "\n", "utf8"));
      } catch (e) {
        throw this.fail(`the call channel broke: ${e.message}`);
      }
      for (;;) {
        const line = this.readLine();
        if (line === null) throw this.fail("the implementation's process ended (crashed or exited)");
        let reply = null;
        try {
          reply = JSON.parse(line);
        } catch {}
        if (reply === null || typeof reply !== "object" || Array.isArray(reply)) {
          throw this.fail("the implementation's process broke the call protocol");
        }
        if (reply.id === id) return reply;
        // The answer to a call of a test process that is gone (its id is not ours): skip it.
        if (typeof reply.id === "string" && !reply.id.startsWith(`${this.token}.`)) continue;
        throw this.fail("the implementation's process broke the call protocol");
      }
    } finally {
      unlock();
    }
  }

  write(buf) {
    let off = 0;
    let wait = 0.05;
    while (off < buf.length) {
      try {
        off += fs.writeSync(this.req, buf, off, buf.length - off);
        wait = 0.05;
      } catch (e) {
        if (e.code !== "EAGAIN") throw e;
        sleep(wait);
        wait = Math.min(wait * 2, 5);
      }
    }
  }

  /** The next line of answers, or null at end-of-file; blocks until one is in. */
  readLine() {
    let wait = 0.02;
    for (;;) {
      if (this.lines.length) return this.lines.shift();
      const buf = Buffer.allocUnsafe(65536);
      let n;
      try {
        n = fs.readSync(this.resp, buf, 0, buf.length, null);
      } catch (e) {
        if (e.code !== "EAGAIN") throw this.fail(`the call channel broke: ${e.message}`);
        sleep(wait);
        wait = Math.min(wait * 2, 2);
        continue;
      }
      if (n === 0) return null;
      wait = 0.02;
      const data = buf.subarray(0, n);
      let start = 0;
      let at;
      while ((at = data.indexOf(10, start)) >= 0) {
        this.chunks.push(data.subarray(start, at));
        this.lines.push(Buffer.concat(this.chunks).toString("utf8"));
        this.chunks = [];
        start = at + 1;
      }
      if (start < n) this.chunks.push(data.subarray(start));
    }
  }
}

const CHANNEL = new Channel();

// ── test side → wire ─────────────────────────────────────────────────────────────────────────

function cannotCross(what) {
  return new TypeError(
    `${what} cannot cross the contract boundary: contract tests pass plain data (the contract's ` +
      "types, arrays, objects, numbers, strings)",
  );
}

function num(v) {
  if (Number.isNaN(v)) return { $num: "NaN" };
  if (v === Infinity) return { $num: "Infinity" };
  if (v === -Infinity) return { $num: "-Infinity" };
  if (Object.is(v, -0)) return { $num: "-0" };
  return v;
}

function bytes(v) {
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return { $bytes: b.toString("base64") };
}

/** Any value a test passes, as plain data (wrong types pass through: the contract may say the
 * implementation must reject them). */
function toWire(v, depth) {
  if (depth > MAX_DEPTH) throw new TypeError("value nested too deeply to cross the contract boundary");
  if (v === null) return null;
  if (v === undefined) return { $undefined: true };
  switch (typeof v) {
    case "boolean":
    case "string":
      return v;
    case "number":
      return num(v);
    case "bigint":
    case "function":
    case "symbol":
      throw cannotCross(`a ${typeof v}`);
  }
  if (Array.isArray(v)) return v.map((x) => toWire(x, depth + 1));
  if (v instanceof Set) return [...v].map((x) => toWire(x, depth + 1));
  if (v instanceof Map) {
    return { $dict: [...v].map(([k, x]) => [toWire(k, depth + 1), toWire(x, depth + 1)]), $type: "Map" };
  }
  if (v instanceof Uint8Array) return bytes(v);
  if (v instanceof ArrayBuffer) return bytes(new Uint8Array(v));
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return [...v].map((x) => toWire(x, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    return { $dict: Object.keys(v).map((k) => [k, toWire(v[k], depth + 1)]) };
  }
  if (
    v instanceof Date ||
    v instanceof RegExp ||
    v instanceof Error ||
    v instanceof Promise ||
    v instanceof WeakMap ||
    v instanceof WeakSet ||
    v instanceof DataView
  ) {
    throw cannotCross(`a ${v.constructor.name}`);
  }
  // An instance of a class: its own fields.
  const fields = {};
  for (const k of Object.keys(v)) {
    Object.defineProperty(fields, k, { value: toWire(v[k], depth + 1), enumerable: true });
  }
  return { $struct: (v.constructor && v.constructor.name) || "Object", fields };
}

// ── wire → test side, checked against the contract ───────────────────────────────────────────

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

function setKey(out, k, v) {
  Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function fromBytes(b64) {
  const b = Buffer.from(b64, "base64");
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function fromNum(s) {
  return { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 }[s];
}

function clip(s) {
  return s.length <= 80 ? s : s.slice(0, 77) + "...";
}

function quote(s) {
  return clip(`'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`);
}

/** A wire value, for a message: its JavaScript type and a short rendering. */
function describe(v) {
  if (v === null) return "null";
  if (typeof v === "string") return `string ${quote(v)}`;
  if (typeof v === "number" || typeof v === "boolean") return `${typeof v} ${v}`;
  if (Array.isArray(v)) return `array ${clip(JSON.stringify(v))}`;
  if (isObj(v)) {
    if (v.$undefined === true) return "undefined";
    if (typeof v.$num === "string") return `number ${v.$num}`;
    if (typeof v.$repr === "string") return `${v.$type || "object"} ${clip(v.$repr)}`;
    if (typeof v.$bytes === "string") return "bytes";
    if (typeof v.$struct === "string") return `${v.$struct} ${clip(JSON.stringify(v.fields))}`;
    if (Array.isArray(v.$dict)) return `object ${clip(JSON.stringify(plain(v)))}`;
  }
  return `${typeof v} ${clip(String(JSON.stringify(v)))}`;
}

const PRIM = {
  int: ["number (int)", (x) => (typeof x === "number" && Number.isInteger(x)) || (isObj(x) && x.$num === "-0")],
  float: ["number (float)", (x) => typeof x === "number" || (isObj(x) && typeof x.$num === "string")],
  str: ["string", (x) => typeof x === "string"],
  bool: ["boolean", (x) => typeof x === "boolean"],
};

class Decoder {
  constructor(module, what) {
    this.types = SPEC.modules[module].types;
    this.what = what;
  }

  fail(path, expected, v) {
    throw new ContractViolation(
      `${this.what} broke its contract: at ${path || "the value"}: expected ${expected}, got ${describe(v)}`,
    );
  }

  value(v, t, path, depth) {
    if (depth > MAX_DEPTH) throw new ContractViolation(`${this.what} returned a value nested too deeply`);
    switch (t.k) {
      case "any":
        return plain(v);
      case "none":
        if (v === null) return null;
        if (isObj(v) && v.$undefined === true) return undefined;
        return this.fail(path, "null", v);
      case "prim":
        return this.prim(v, t.name, path);
      case "optional":
        if (v === null) return null;
        if (isObj(v) && v.$undefined === true) return undefined;
        return this.value(v, t.of, path, depth + 1);
      case "union":
        for (const alt of t.of) {
          try {
            return this.value(v, alt, path, depth + 1);
          } catch (e) {
            if (!(e instanceof ContractViolation)) throw e;
          }
        }
        return this.fail(path, t.text, v);
      case "list":
      case "set":
      case "tuple": {
        if (!Array.isArray(v)) return this.fail(path, t.text, v);
        const items = v.map((x, i) => this.value(x, t.of, `${path}[${i}]`, depth + 1));
        return t.k === "set" ? new Set(items) : items;
      }
      case "dict": {
        if (!(isObj(v) && Array.isArray(v.$dict))) return this.fail(path, t.text, v);
        const out = {};
        for (const pair of v.$dict) {
          if (!(Array.isArray(pair) && pair.length === 2)) return this.fail(path, t.text, pair);
          const key = this.value(pair[0], t.key, `${path}(key ${describe(pair[0])})`, depth + 1);
          const k = typeof key === "string" ? key : String(key);
          setKey(out, k, this.value(pair[1], t.of, `${path}[${JSON.stringify(k)}]`, depth + 1));
        }
        return out;
      }
      case "named":
        return this.named(v, t.name, path, depth);
    }
    return this.fail(path, t.text || "?", v);
  }

  prim(v, name, path) {
    if (name === "bytes") {
      if (isObj(v) && typeof v.$bytes === "string") return fromBytes(v.$bytes);
      return this.fail(path, "Uint8Array (bytes)", v);
    }
    const p = PRIM[name];
    if (!p) return plain(v);
    if (!p[1](v)) return this.fail(path, p[0], v);
    return isObj(v) ? fromNum(v.$num) : v;
  }

  named(v, name, path, depth) {
    const spec = own(this.types, name) ? this.types[name] : null;
    if (!spec) return plain(v);
    if (spec.kind === "alias") return this.value(v, spec.of, path, depth + 1);
    if (spec.kind === "enum") {
      if (typeof v !== "string" || !spec.variants.includes(v)) {
        return this.fail(path, `${name} (one of ${spec.variants.join(", ")})`, v);
      }
      return v;
    }
    if (spec.kind === "struct") {
      if (!(isObj(v) && isObj(v.fields))) return this.fail(path, name, v);
      const out = {};
      for (const f of spec.fields) {
        const fpath = path ? `${path}.${f.name}` : f.name;
        if (!own(v.fields, f.name)) {
          if (f.required) {
            throw new ContractViolation(
              `${this.what} broke its contract: at ${path || "the value"}: the ${name} has no field '${f.name}'`,
            );
          }
          continue;
        }
        setKey(out, f.name, this.value(v.fields[f.name], f.t, fpath, depth + 1));
      }
      return out;
    }
    return plain(v);
  }
}

/** Untyped data back from the wire. */
function plain(v, depth = 0) {
  if (depth > MAX_DEPTH) return v;
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  if (!isObj(v)) return v;
  if (v.$undefined === true) return undefined;
  if (typeof v.$num === "string") return fromNum(v.$num);
  if (typeof v.$bytes === "string") return fromBytes(v.$bytes);
  if (Array.isArray(v.$dict)) {
    const pairs = v.$dict.filter((p) => Array.isArray(p) && p.length === 2);
    if (v.$type === "Map") return new Map(pairs.map(([k, x]) => [plain(k, depth + 1), plain(x, depth + 1)]));
    const out = {};
    for (const [k, x] of pairs) setKey(out, String(plain(k, depth + 1)), plain(x, depth + 1));
    return out;
  }
  if (typeof v.$struct === "string" && isObj(v.fields)) return plain({ $dict: Object.entries(v.fields) }, depth);
  if (typeof v.$repr === "string") return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) setKey(out, k, plain(x, depth + 1));
  return out;
}

// ── errors ───────────────────────────────────────────────────────────────────────────────────

function rebuild(module, fn, err) {
  const names = Array.isArray(err.types) ? err.types.filter((n) => typeof n === "string") : [];
  const message = typeof err.message === "string" ? err.message : String(err.message ?? "");
  let e;
  if (err.kind === "import") {
    e = new ComponentError(`the implementation of '${module}' failed to import: ${message}`);
  } else if (err.kind === "missing") {
    e = new ComponentError(`the implementation of '${module}' has no function '${fn}'`);
  } else {
    // The most specific class the tests can know: the contract's, or one of JavaScript's own.
    let cls = null;
    for (const n of names) {
      if (ERRORS.has(n)) {
        cls = ERRORS.get(n);
        break;
      }
      if (isBuiltin(n) && n !== "Error") {
        cls = BUILTIN[n];
        break;
      }
    }
    if (!cls && names[0] === "Error") cls = Error;
    if (cls === AggregateError) e = new AggregateError([], message);
    else if (cls) e = new cls(message);
    else e = new ComponentError(`${module}.${fn} threw ${names[0] || "a value that is not an Error"}: ${message}`);
  }
  if (typeof err.traceback === "string" && err.traceback) {
    e.stack = `${e.stack}\nIn the implementation's process:\n${err.traceback.slice(-4000)}`;
  }
  return e;
}

// ── binding a module ─────────────────────────────────────────────────────────────────────────

function forwarder(module, name, fspec) {
  const what = `${name}()`;
  const call = (args) => {
    const wire = args.map((a) => toWire(a, 0));
    const reply = CHANNEL.call({ module, function: name, args: wire, kwargs: {} });
    if (own(reply, "error")) throw rebuild(module, name, isObj(reply.error) ? reply.error : {});
    return new Decoder(module, what).value(own(reply, "value") ? reply.value : null, fspec.output, "", 0);
  };
  const f = fspec.is_async
    ? function (...args) {
        return new Promise((resolve, reject) => {
          try {
            resolve(call(args));
          } catch (e) {
            reject(e);
          }
        });
      }
    : function (...args) {
        return call(args);
      };
  Object.defineProperty(f, "name", { value: name });
  return f;
}

/** The exports of the contract module `module`: its functions, forwarding across the boundary,
 * its error classes and the boundary's. */
function bind(module) {
  const spec = SPEC.modules[module];
  const out = Object.create(null);
  for (const name of spec.errors || []) {
    if (ERRORS.has(name)) setKey(out, name, ERRORS.get(name));
  }
  for (const [name, fspec] of Object.entries(spec.functions)) setKey(out, name, forwarder(module, name, fspec));
  setKey(out, "ContractViolation", ContractViolation);
  setKey(out, "ComponentError", ComponentError);
  setKey(out, "ComponentCrashed", ComponentCrashed);
  return out;
}

module.exports = { bind, ContractViolation, ComponentError, ComponentCrashed };
