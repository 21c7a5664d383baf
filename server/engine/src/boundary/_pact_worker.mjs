// Pact's contract boundary, implementation side, for TypeScript and JavaScript: runs in the
// implementation's own sandboxed process, which never sees the tests. Reads one call per line,
// calls the real function, answers with plain data shaped by the contract's output type.
// Nothing here is trusted by the test side: every answer is checked there against the
// contract.
//
// TypeScript sources are compiled here, on the first call, with the esbuild of the managed
// node_modules: every contract module one entry of one bundle (shared code split out, so a
// dependency is one module however many import it), bare component names resolved to the
// copied sources as vitest resolves them in-process, every other bare import left to node —
// which finds nothing: no node_modules is on this process's path, so vitest cannot be
// imported. JavaScript sources are loaded with require (NODE_PATH: the copied sources), as
// node:test loads them in-process.
//
// Usage: node _pact_worker.mjs <boundary.json> <setup.json>

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Readable } from "node:stream";

// The call channel is fd 0 and fd 1; the code under test gets an empty stdin and stderr for
// stdout, so its output cannot corrupt answers.
const EMPTY = Readable.from([]);
Object.defineProperty(process, "stdin", { configurable: true, enumerable: true, get: () => EMPTY });
Object.defineProperty(process, "stdout", { configurable: true, enumerable: true, get: () => process.stderr });
process.on("unhandledRejection", (e) => {
  process.stderr.write(`pact worker: an unhandled rejection in the implementation: ${e && e.stack ? e.stack : e}\n`);
});
process.on("uncaughtException", (e) => {
  process.stderr.write(`pact worker: an uncaught exception in the implementation: ${e && e.stack ? e.stack : e}\n`);
});

const SPEC = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// {language, root, modules: {bare name: source file}, esbuild: dir | null, out: dir}
const SETUP = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
// Nothing about how the process was started says "contract tests".
process.argv.splice(1, process.argv.length, path.join(SETUP.root, "main.mjs"));
const MODE = process.env.PACT_WORKER_MODE;
const DUMMY = MODE === "zero" || MODE === "one" ? MODE : null;
const MAX_DEPTH = 200;

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
function setKey(out, k, v) {
  Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
}

// ── loading the implementation ───────────────────────────────────────────────────────────────

const requireHere = createRequire(path.join(SETUP.root, "_pact_worker.mjs"));
let bundled = null;
const loaded = new Map();

async function bundle() {
  if (!SETUP.esbuild) {
    throw new Error("no esbuild in the managed node_modules: TypeScript sources cannot be compiled");
  }
  const esbuild = requireHere(SETUP.esbuild);
  const modules = SETUP.modules;
  const entryPoints = {};
  for (const name of Object.keys(SPEC.modules)) {
    if (own(modules, name)) entryPoints[name] = modules[name];
  }
  await esbuild.build({
    entryPoints,
    absWorkingDir: SETUP.root,
    outdir: SETUP.out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node18",
    keepNames: true,
    sourcemap: "inline",
    tsconfigRaw: "{}",
    logLevel: "silent",
    write: true,
    // ES modules have no require; code that uses one (or a CommonJS dependency) gets node's.
    banner: {
      js: 'import { createRequire as __pact_createRequire } from "node:module";\nconst require = __pact_createRequire(import.meta.url);',
    },
    plugins: [
      {
        name: "pact-modules",
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            if (own(modules, args.path) && args.path !== "vitest") return { path: modules[args.path] };
            return { external: true };
          });
        },
      },
    ],
  });
}

async function loadModule(name) {
  if (SETUP.language === "typescript") {
    if (!own(SETUP.modules, name)) throw new Error(`Cannot find module '${name}' among the sources`);
    if (!bundled) bundled = bundle();
    await bundled;
    return import(pathToFileURL(path.join(SETUP.out, `${name}.mjs`)).href);
  }
  try {
    return requireHere(name);
  } catch (e) {
    if (e && e.code === "ERR_REQUIRE_ESM") return import(pathToFileURL(requireHere.resolve(name)).href);
    throw e;
  }
}

// The compiler starts now, while the tests' runner is still starting: the first call finds the
// bundle ready. (Dummy answers need no implementation.)
if (SETUP.language === "typescript" && !DUMMY) {
  bundled = bundle();
  bundled.catch(() => {});
}

function module_(name) {
  if (!loaded.has(name)) loaded.set(name, loadModule(name));
  return loaded.get(name);
}

// ── wire → implementation ────────────────────────────────────────────────────────────────────

function fromNum(s) {
  return { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 }[s];
}

function fromBytes(b64) {
  const b = Buffer.from(b64, "base64");
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

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
  const out = {};
  for (const [k, x] of Object.entries(v)) setKey(out, k, plain(x, depth + 1));
  return out;
}

/** A value from the tests, as the implementation expects the contract's types: structs are
 * plain objects (interfaces), enums their strings, dicts records, sets Sets, bytes Uint8Arrays. */
function toImpl(v, t, types, depth) {
  if (depth > MAX_DEPTH) return plain(v);
  switch (t.k) {
    case "list":
    case "tuple":
      return Array.isArray(v) ? v.map((x) => toImpl(x, t.of, types, depth + 1)) : plain(v);
    case "set":
      return Array.isArray(v) ? new Set(v.map((x) => toImpl(x, t.of, types, depth + 1))) : plain(v);
    case "dict": {
      if (!(isObj(v) && Array.isArray(v.$dict)) || v.$type === "Map") return plain(v);
      const out = {};
      for (const p of v.$dict) {
        if (!(Array.isArray(p) && p.length === 2)) continue;
        const k = toImpl(p[0], t.key, types, depth + 1);
        setKey(out, typeof k === "string" ? k : String(k), toImpl(p[1], t.of, types, depth + 1));
      }
      return out;
    }
    case "optional":
      if (v === null || (isObj(v) && v.$undefined === true)) return plain(v);
      return toImpl(v, t.of, types, depth + 1);
    case "union":
      for (const alt of t.of) {
        if (alt.k === "named" && isObj(v) && v.$struct === alt.name) return toImpl(v, alt, types, depth + 1);
      }
      return plain(v);
    case "named": {
      const spec = own(types, t.name) ? types[t.name] : null;
      if (!spec) return plain(v);
      if (spec.kind === "alias") return toImpl(v, spec.of, types, depth + 1);
      if (spec.kind === "struct" && isObj(v)) {
        const given = isObj(v.fields) ? Object.entries(v.fields) : Array.isArray(v.$dict) ? v.$dict : null;
        if (!given || v.$type === "Map") return plain(v);
        const ftypes = new Map(spec.fields.map((f) => [f.name, f.t]));
        const out = {};
        for (const p of given) {
          if (!(Array.isArray(p) && p.length === 2)) continue;
          const name = String(plain(p[0]));
          setKey(out, name, toImpl(p[1], ftypes.get(name) || { k: "any" }, types, depth + 1));
        }
        return out;
      }
      return plain(v);
    }
  }
  return plain(v);
}

// ── implementation → wire ────────────────────────────────────────────────────────────────────

function num(v) {
  if (Number.isNaN(v)) return { $num: "NaN" };
  if (v === Infinity) return { $num: "Infinity" };
  if (v === -Infinity) return { $num: "-Infinity" };
  if (Object.is(v, -0)) return { $num: "-0" };
  return v;
}

function opaque(v) {
  let r;
  try {
    r = typeof v === "symbol" ? v.toString() : typeof v === "bigint" ? `${v}n` : String(v);
  } catch {
    r = "<unrepresentable>";
  }
  let type = typeof v;
  if (type === "object" || type === "function") {
    try {
      type = (v.constructor && v.constructor.name) || type;
    } catch {}
  }
  return { $repr: r.slice(0, 200), $type: type };
}

function bytesOf(v) {
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (v instanceof ArrayBuffer) return { $bytes: Buffer.from(v).toString("base64") };
  return null;
}

function isIterable(v) {
  return v !== null && typeof v === "object" && typeof v[Symbol.iterator] === "function";
}

function generic(v, depth) {
  if (depth > MAX_DEPTH) return opaque(v);
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
      return opaque(v);
  }
  if (Array.isArray(v) || v instanceof Set) return [...v].map((x) => generic(x, depth + 1));
  if (v instanceof Map) {
    return { $dict: [...v].map(([k, x]) => [generic(k, depth + 1), generic(x, depth + 1)]), $type: "Map" };
  }
  const b = bytesOf(v);
  if (b) return b;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return [...v].map((x) => generic(x, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    return { $dict: Object.keys(v).map((k) => [k, generic(v[k], depth + 1)]) };
  }
  if (v instanceof Date || v instanceof RegExp || v instanceof Error || v instanceof Promise) return opaque(v);
  const fields = {};
  for (const k of Object.keys(v)) setKey(fields, k, generic(v[k], depth + 1));
  return { $struct: (v.constructor && v.constructor.name) || "Object", fields };
}

/** Whether `v` has every required field of the struct `spec` (to pick a union's member). */
function fits(v, spec) {
  return isObj(v) && spec.fields.every((f) => !f.required || f.name in v);
}

function fromImpl(v, t, types, depth) {
  if (depth > MAX_DEPTH) return opaque(v);
  switch (t.k) {
    case "list":
    case "set":
    case "tuple":
      if (isIterable(v) && !(v instanceof Map) && typeof v !== "string") {
        return [...v].map((x) => fromImpl(x, t.of, types, depth + 1));
      }
      return generic(v, depth);
    case "dict": {
      let entries = null;
      if (v instanceof Map) entries = [...v];
      else if (isObj(v) && !isIterable(v)) entries = Object.keys(v).map((k) => [k, v[k]]);
      if (!entries) return generic(v, depth);
      return {
        $dict: entries.map(([a, b]) => [fromImpl(a, t.key, types, depth + 1), fromImpl(b, t.of, types, depth + 1)]),
      };
    }
    case "optional":
      if (v === null || v === undefined) return generic(v, depth);
      return fromImpl(v, t.of, types, depth + 1);
    case "union":
      for (const alt of t.of) {
        if (alt.k !== "named") continue;
        const spec = own(types, alt.name) ? types[alt.name] : null;
        if (spec && spec.kind === "struct" && fits(v, spec)) return fromImpl(v, alt, types, depth + 1);
      }
      return generic(v, depth);
    case "prim":
      if (t.name === "bytes") return bytesOf(v) || generic(v, depth);
      return generic(v, depth);
    case "named": {
      const spec = own(types, t.name) ? types[t.name] : null;
      if (!spec) return generic(v, depth);
      if (spec.kind === "alias") return fromImpl(v, spec.of, types, depth + 1);
      if (spec.kind === "struct") {
        if (v === null || typeof v !== "object" || Array.isArray(v)) return generic(v, depth);
        const out = {};
        for (const f of spec.fields) {
          let x;
          try {
            x = v instanceof Map ? v.get(f.name) : v[f.name];
          } catch {
            continue;
          }
          // An absent field, or one set to undefined, is not there.
          if (x !== undefined) setKey(out, f.name, fromImpl(x, f.t, types, depth + 1));
        }
        return { $struct: t.name, fields: out };
      }
      return generic(v, depth);
    }
  }
  return generic(v, depth);
}

// ── type-correct dummy answers (red-first: a test that passes against these tests nothing) ──

/** A type-correct value: the smallest (`zero`) or a small non-empty one (`one`). */
function dummy(t, types, one, depth) {
  const k = t.k;
  if (depth > 20 || k === "any" || k === "none") return null;
  if (k === "optional") return one ? dummy(t.of, types, one, depth + 1) : null;
  if (k === "prim") {
    const values = one
      ? { int: 1, float: 1.5, str: "x", bool: true, bytes: { $bytes: "eA==" } }
      : { int: 0, float: 0.0, str: "", bool: false, bytes: { $bytes: "" } };
    return own(values, t.name) ? values[t.name] : null;
  }
  if (k === "list" || k === "set" || k === "tuple") return one ? [dummy(t.of, types, one, depth + 1)] : [];
  if (k === "dict") {
    return one ? { $dict: [[dummy(t.key, types, one, depth + 1), dummy(t.of, types, one, depth + 1)]] } : { $dict: [] };
  }
  if (k === "union") {
    const alts = t.of.filter((a) => a.k !== "none");
    return alts.length ? dummy(one ? alts[alts.length - 1] : alts[0], types, one, depth + 1) : null;
  }
  if (k === "named") {
    const spec = own(types, t.name) ? types[t.name] : null;
    if (!spec) return null;
    if (spec.kind === "alias") return dummy(spec.of, types, one, depth + 1);
    if (spec.kind === "enum") {
      const v = spec.variants;
      return v.length ? (one ? v[v.length - 1] : v[0]) : null;
    }
    if (spec.kind === "struct") {
      const fields = {};
      for (const f of spec.fields) setKey(fields, f.name, dummy(f.t, types, one, depth + 1));
      return { $struct: t.name, fields };
    }
  }
  return null;
}

// ── the loop ─────────────────────────────────────────────────────────────────────────────────

/** The class names of a thrown value, most specific first. */
function errorTypes(e) {
  const names = [];
  if (e === null || (typeof e !== "object" && typeof e !== "function")) return names;
  try {
    for (let p = Object.getPrototypeOf(e); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      const n = p.constructor && p.constructor.name;
      if (typeof n === "string" && n && !names.includes(n)) names.push(n);
    }
    // `err.name = "NotFound"` on a plain Error names it too.
    if (typeof e.name === "string" && e.name && !names.includes(e.name)) names.unshift(e.name);
  } catch {}
  return names;
}

function errorOf(kind, e) {
  let message;
  let traceback = "";
  try {
    message = e instanceof Error ? e.message : String(e);
    if (kind === "import" && e instanceof Error) message = `${e.name}: ${e.message}`;
    traceback = e && typeof e.stack === "string" ? e.stack.slice(-4000) : "";
  } catch {
    message = "<unrepresentable>";
  }
  return { error: { kind, types: errorTypes(e), message: String(message), traceback } };
}

async function answer(req) {
  const module = typeof req.module === "string" ? req.module : "";
  const fname = typeof req.function === "string" ? req.function : "";
  const mspec = own(SPEC.modules, module) ? SPEC.modules[module] : null;
  const fspec = mspec && own(mspec.functions, fname) ? mspec.functions[fname] : null;
  if (!fspec) {
    return { error: { kind: "missing", types: [], message: `${module}.${fname} is not in the contract` } };
  }
  const types = mspec.types;
  if (DUMMY) return { value: dummy(fspec.output, types, DUMMY === "one", 0) };
  let home;
  try {
    home = await module_(module);
  } catch (e) {
    return errorOf("import", e);
  }
  const fn = home ? home[fname] : undefined;
  if (typeof fn !== "function") return { error: { kind: "missing", types: [], message: `no function ${fname}` } };
  const inputs = fspec.inputs;
  const args = (Array.isArray(req.args) ? req.args : []).map((v, i) =>
    i < inputs.length ? toImpl(v, inputs[i].t, types, 0) : plain(v),
  );
  for (const [n, v] of isObj(req.kwargs) ? Object.entries(req.kwargs) : []) {
    const i = inputs.findIndex((inp) => inp.name === n);
    if (i >= 0) args[i] = toImpl(v, inputs[i].t, types, 0);
  }
  for (let i = 0; i < args.length; i++) if (!(i in args)) args[i] = undefined;
  let result;
  try {
    result = fn(...args);
    if (result !== null && typeof result === "object" && typeof result.then === "function") result = await result;
  } catch (e) {
    return errorOf("raised", e);
  }
  return { value: fromImpl(result, fspec.output, types, 0) };
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd, text) {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
      Atomics.wait(PAUSE, 0, 0, 1);
    }
  }
}

/** The calls, one per line, read with blocking reads of fd 0 (between calls nothing else runs). */
function* calls() {
  let pending = [];
  const buf = Buffer.allocUnsafe(65536);
  for (;;) {
    let n;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if (e.code === "EAGAIN") {
        Atomics.wait(PAUSE, 0, 0, 1);
        continue;
      }
      if (e.code === "EOF") return;
      throw e;
    }
    if (n === 0) return;
    let data = buf.subarray(0, n);
    let at;
    while ((at = data.indexOf(10)) >= 0) {
      pending.push(Buffer.from(data.subarray(0, at)));
      yield Buffer.concat(pending).toString("utf8");
      pending = [];
      data = data.subarray(at + 1);
    }
    if (data.length) pending.push(Buffer.from(data));
  }
}

async function main() {
  for (const line of calls()) {
    let req = null;
    try {
      req = JSON.parse(line);
    } catch {
      continue;
    }
    let reply;
    if (isObj(req)) {
      try {
        reply = await answer(req);
      } catch (e) {
        reply = errorOf("raised", e);
      }
    } else {
      reply = { error: { kind: "missing", types: [] } };
    }
    reply.id = isObj(req) ? req.id : null;
    let text;
    try {
      text = JSON.stringify(reply);
    } catch (e) {
      text = JSON.stringify({
        id: reply.id,
        error: { kind: "raised", types: ["TypeError"], message: `unserializable answer: ${e}` },
      });
    }
    writeAll(1, text + "\n");
  }
  process.exit(0);
}

main();
