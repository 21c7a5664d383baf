//! Each finding class: cheating snippets are flagged, honest look-alikes are not; the honest
//! implementations of the reference and example projects produce no finding at all.
//!
//! One file though over 800 lines: the cases read as one catalogue, each cheat beside its honest
//! look-alike, class after class.

use super::*;
use serde_json::json;
use std::path::PathBuf;

fn contract_with(effects: serde_json::Value) -> ComponentContract {
    serde_json::from_value(json!({
        "component_id": "comp",
        "name": "Comp",
        "description": "A component.",
        "functions": [{
            "name": "run",
            "description": "Runs.",
            "inputs": [{"name": "text", "type_ref": "str"}],
            "output_type": "str",
            "structured_side_effects": effects,
        }],
    }))
    .expect("contract")
}

fn plain() -> ComponentContract {
    contract_with(json!([]))
}

fn run(files: &[(&str, &str)], contract: &ComponentContract, tests: &str) -> Vec<Finding> {
    let dir = tempfile::tempdir().expect("tmp");
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let lang = if files.iter().any(|(r, _)| r.ends_with(".py")) {
        TestLanguage::Python
    } else {
        TestLanguage::TypeScript
    };
    audit(dir.path(), contract, tests, lang)
}

fn py(code: &str) -> Vec<Finding> {
    run(&[("comp.py", code)], &plain(), "")
}

fn ts(code: &str) -> Vec<Finding> {
    run(&[("comp.ts", code)], &plain(), "")
}

fn js(code: &str) -> Vec<Finding> {
    run(&[("comp.js", code)], &plain(), "")
}

#[track_caller]
fn flags(found: Vec<Finding>, class: Class, want: &str, code: &str) {
    assert!(
        found
            .iter()
            .any(|f| f.class == class && f.reason.contains(want)),
        "expected a {} finding containing {want:?} for:\n{code}\ngot: {found:#?}",
        class.label()
    );
}

#[track_caller]
fn clean(found: Vec<Finding>, code: &str) {
    assert!(
        found.is_empty(),
        "expected no finding for:\n{code}\ngot: {found:#?}"
    );
}

#[track_caller]
fn cases(scan: fn(&str) -> Vec<Finding>, class: Class, bad: &[(&str, &str)], good: &[&str]) {
    for (code, want) in bad {
        flags(scan(code), class, want, code);
    }
    for code in good {
        clean(scan(code), code);
    }
}

// ── Python ────────────────────────────────────────────────────────────────────────────────

#[test]
#[rustfmt::skip]
fn python_dynamic_code() {
    cases(
        py,
        Class::DynamicCode,
        &[
            ("exec(open('data.txt').read())\n", "runs code built at run time (exec)"),
            ("x = eval ( '1+1' )\n", "(eval)"),
            ("run = exec\nrun('import os')\n", "(exec)"),
            ("code = compile('1', 'f', 'eval')\n", "(compile)"),
            ("m = __import__('o' + 's')\n", "(__import__)"),
            ("import importlib\nm = importlib.import_module('py' + 'test')\n", "(importlib)"),
            ("import importlib as il\nil.import_module(name)\n", "(importlib)"),
            ("from importlib import import_module as im\nim('x')\n", "(importlib)"),
            ("import importlib.util\nspec = importlib.util.find_spec('x')\n", "(importlib)"),
            ("import os\nf = getattr(os, 'sys' + 'tem')\n", "looks up an attribute of module os by name (getattr)"),
            ("import sys\ngetattr(sys.modules['_pytest.outcomes'], name)\n", "looks up an attribute of module _pytest.outcomes"),
            ("globals()['x'] = 1\n", "writes module globals by name"),
            ("globals().update({'x': 1})\n", "writes module globals by name (globals().update)"),
            ("import ctypes\n", "calls native code (ctypes)"),
            ("import pickle\npickle.loads(b'')\n", "unpickles data"),
            ("import sys\nsys.path.insert(0, '/tmp')\n", "changes the import path (sys.path.insert)"),
            ("from os import *\nsystem('ls')\n", "imports every name of os"),
            ("import marshal\n", "loads code objects"),
            ("f = (lambda: 0).__code__\n", "(__code__)"),
            ("().__class__.__bases__[0].__subclasses__()\n", "(__subclasses__)"),
        ],
        &[
            "import re\n_WORD = re.compile(r'\\w+')\n",
            "def compile(pattern):\n    return pattern\n\nx = compile('a')\n",
            "class Op:\n    def eval(self, x):\n        return x\n\ndef run(o, x):\n    return o.eval(x)\n",
            "def pick(obj, name):\n    return getattr(obj, name)\n",
            "import json\nprint(json.dumps({'a': 1}))\n",
            "import sys\nlimit = sys.maxsize\n",
        ],
    );
}

#[test]
#[rustfmt::skip]
fn python_introspection() {
    cases(
        py,
        Class::Introspection,
        &[
            ("import sys\nf = sys._getframe(1)\n", "(sys._getframe)"),
            ("import sys as s\nf = s._getframe ( 1 )\n", "(sys._getframe)"),
            ("from sys import _getframe as gf\ngf()\n", "(sys._getframe)"),
            ("import inspect\nst = inspect.stack()\n", "(inspect.stack)"),
            ("import inspect\nf = inspect.currentframe()\n", "(inspect.currentframe)"),
            ("def f(frame):\n    return frame.f_back.f_globals\n", "(f_back)"),
            ("def f(frame):\n    return frame.f_globals['expected']\n", "(f_globals)"),
            ("import traceback\ns = traceback.extract_stack()\n", "(traceback.extract_stack)"),
            ("import gc\nrefs = gc.get_referrers(x)\n", "(gc.get_referrers)"),
            ("try:\n    1/0\nexcept Exception as e:\n    fr = e.__traceback__.tb_frame\n", "(tb_frame)"),
            ("x = getattr(frame, 'f_' + 'back')\n", "(f_back)"),
            ("import sys\nsys.settrace(None)\n", "(sys.settrace)"),
        ],
        &[
            "import inspect\n\ndef arity(f):\n    return len(inspect.signature(f).parameters)\n",
            "import traceback\n\ndef describe(e):\n    return ''.join(traceback.format_exception(e))\n",
            "import gc\ngc.collect()\n",
            "def back(xs):\n    return xs[::-1]\n",
        ],
    );
}

#[test]
#[rustfmt::skip]
fn python_test_run_detection() {
    cases(
        py,
        Class::TestDetection,
        &[
            ("import os\nif os.environ.get('PYTEST_CURRENT_TEST'):\n    pass\n", "PYTEST_CURRENT_TEST"),
            ("import os\nci = os.environ.get('CI')\n", "marker CI"),
            ("from os import environ as E\nx = E['CI']\n", "marker CI"),
            ("import os\nx = 'PYTEST_' + 'CURRENT_TEST' in os.environ\n", "PYTEST_CURRENT_TEST"),
            ("import os\nx = os.getenv('PYTEST' + '_CURRENT_TEST')\n", "PYTEST_CURRENT_TEST"),
            ("import os\nenv = os.environ\nx = env.get(f'{\"PY\"}TEST_CURRENT_TEST')\n", "PYTEST_CURRENT_TEST"),
            ("import os\nx = os.environ.get(name)\n", "by computed name"),
            ("import os\nx = dict(os.environ)\n", "reads the whole environment"),
            ("import os\nfor k in os.environ:\n    pass\n", "reads the whole environment"),
            ("import sys\nx = 'pytest' in sys.modules\n", "sys.modules['pytest']"),
            ("import sys\nm = sys.modules.get('_pytest')\n", "sys.modules['_pytest']"),
            ("import sys\nx = any('test' in m for m in sys.modules)\n", "inspects loaded modules"),
            ("import sys\nx = sys.argv[0]\n", "(sys.argv)"),
            ("import sys\ncov = sys.gettrace() is not None\n", "(sys.gettrace)"),
        ],
        &[
            "import os\nlevel = os.environ.get('LOG_LEVEL', 'INFO')\n",
            "import os\nsep = os.sep\n",
            "import sys\nthis = sys.modules[__name__]\n",
            "import os\npath = os.path.join('a', 'b')\n",
            "def f(environ):\n    return environ.get('CI')\n",
        ],
    );
}

#[test]
#[rustfmt::skip]
fn python_exit_hooks_and_signals() {
    cases(
        py,
        Class::ExitHook,
        &[
            ("import atexit\natexit.register(lambda: None)\n", "registers exit hooks (atexit)"),
            ("import signal\nsignal.signal(signal.SIGTERM, h)\n", "handles or sends signals (signal)"),
            ("import sys\nsys.exit(0)\n", "(sys.exit)"),
            ("import os\nos._exit(0)\n", "(os._exit)"),
            ("from os import _exit as q\nq(0)\n", "(os._exit)"),
            ("raise SystemExit(0)\n", "(raise SystemExit)"),
            ("import sys\nsys.exitfunc = f\n", "registers exit hooks"),
            ("import os\nos.kill(os.getpid(), 9)\n", "sends signals (os.kill)"),
        ],
        &[
            "def exit_code(status):\n    return 0 if status else 1\n",
            "class Door:\n    def exit(self):\n        return 'closed'\n",
        ],
    );
}

#[test]
#[rustfmt::skip]
fn python_equality_gaming() {
    cases(
        py,
        Class::EqualityGaming,
        &[
            ("class A:\n    def __eq__(self, other):\n        return True\n", "always return a constant (True)"),
            ("class A:\n    __eq__ = lambda self, other: True\n", "always return a constant"),
            ("class A:\n    pass\n\nA.__eq__ = lambda s, o: True\n", "always return a constant"),
            ("class A:\n    pass\n\nsetattr(A, '__e' + 'q__', lambda s, o: 1 == 1)\n", "__eq__"),
            ("def same(a, b):\n    return True\n\nclass A:\n    __eq__ = same\n", "always return a constant"),
            ("class A:\n    def __eq__(self, other):\n        return self.x == self.x\n", "__eq__"),
            ("class A:\n    def __eq__(self, other):\n        return self is not None\n", "does not depend on the other operand"),
            ("class A:\n    def __eq__(self, other):\n        return isinstance(other, A)\n", "only at the other operand's type"),
            ("class A:\n    def __ne__(self, *args):\n        return False\n", "(False)"),
            ("class A:\n    def __hash__(self):\n        return 0\n", "__hash__ to always return a constant"),
            ("A = type('A', (), {'__eq__': lambda s, o: True})\n", "__eq__"),
            ("class A:\n    def __eq__(self, other):\n        if not isinstance(other, A):\n            return NotImplemented\n        return True\n", "always return a constant"),
        ],
        &[
            "class P:\n    def __eq__(self, other):\n        return isinstance(other, P) and (self.x, self.y) == (other.x, other.y)\n\n    def __hash__(self):\n        return hash((self.x, self.y))\n",
            "class P:\n    def __eq__(self, other):\n        if not isinstance(other, P):\n            return NotImplemented\n        return self.x == other.x\n\n    __hash__ = None\n",
            "class P:\n    def __lt__(self, other):\n        return self.rank < other.rank\n",
            "class P:\n    def __bool__(self):\n        return bool(self.items)\n",
            "class Base:\n    def __eq__(self, other):\n        return NotImplemented\n",
        ],
    );
}

#[test]
#[rustfmt::skip]
fn python_filesystem_processes_network() {
    cases(
        py,
        Class::Filesystem,
        &[
            ("x = open('/proc/self/status').read()\n", "/proc"),
            ("import os\np = os.path.join('/', 'pr' + 'oc', 'self')\n", "/proc"),
            ("pid = 1\np = f'/proc/{pid}/cmdline'\n", "/proc"),
            ("p = '/{}/self'.format('proc')\n", "/proc"),
            ("p = ''.join(['/', 'p', 'r', 'o', 'c'])\n", "/proc"),
            ("p = 'corp/'[::-1]\n", "/proc"),
            ("import base64\np = base64.b64decode('L3Byb2M=').decode()\n", "/proc"),
            ("from pathlib import Path\nroot = Path('/') / 'proc'\n", "/proc"),
            ("x = open('out.txt', 'w').write('a')\n", "writes a file (open)"),
            ("x = open('/etc/passwd').read()\n", "outside its src/"),
            ("from pathlib import Path\nPath('x').write_text('a')\n", "writes a file (Path.write_text)"),
            ("import shutil\nshutil.rmtree('x')\n", "writes to the file system (shutil.rmtree)"),
            ("import os\nnames = os.listdir('.')\n", "reads the file system (os.listdir)"),
            ("import tempfile\nd = tempfile.mkdtemp()\n", "writes to the file system (tempfile)"),
        ],
        &[
            "import os\np = os.path.join(os.path.dirname('a/b'), 'c')\n",
            "kind = 'process'\nlabel = 'processes: ' + kind\n",
            "def proc(x):\n    return x\n",
            "import re\nWORD = re.compile(r'[a-z]+')\n",
        ],
    );
    cases(
        py,
        Class::Process,
        &[
            ("import subprocess\nsubprocess.run(['ls'])\n", "starts processes (subprocess)"),
            ("import os\nos.system('ls')\n", "(os.system)"),
            ("import os\nos.execv('/bin/ls', [])\n", "(os.execv)"),
            ("import importlib\nsp = importlib.import_module('sub' + 'process')\n", "(subprocess)"),
            ("from multiprocessing import Pool\n", "(multiprocessing)"),
        ],
        &["def process(items):\n    return [i for i in items]\n"],
    );
    cases(
        py,
        Class::Network,
        &[
            ("import socket\n", "uses the network (socket)"),
            ("import urllib.request\nurllib.request.urlopen('http://x')\n", "(urllib.request)"),
            ("from http import client\n", "(http.client)"),
            ("import requests\n", "(requests)"),
        ],
        &["from urllib.parse import quote\nq = quote('a b')\n"],
    );
}

#[test]
#[rustfmt::skip]
fn python_patching_and_framework() {
    cases(
        py,
        Class::Patching,
        &[
            ("import builtins\nbuiltins.AssertionError = Exception\n", "patches Python builtins"),
            ("import sys\nsys.modules['pytest'] = None\n", "rewrites loaded modules (sys.modules['pytest'] = …)"),
            ("import json\njson.dumps = str\n", "patches module json (json.dumps = …)"),
            ("import os\nos.environ['CI'] = '1'\n", "changes the process environment"),
            ("x = __builtins__\n", "reaches into Python builtins"),
            ("import os\nsetattr(os, 'sep', '|')\n", "sets an attribute of module os"),
        ],
        &["class C:\n    pass\n\nc = C()\nc.value = 1\nsetattr(c, 'other', 2)\n"],
    );
    cases(
        py,
        Class::TestFramework,
        &[
            ("import pytest\npytest.skip('no', allow_module_level=True)\n", "skips tests (pytest.skip)"),
            ("from unittest import SkipTest\n", "skips tests (SkipTest)"),
            ("import pytest\npytestmark = pytest.mark.xfail\n", "xfail"),
            ("import unittest\n", "imports the test framework (unittest)"),
            ("def pytest_collection_modifyitems(items):\n    items.clear()\n", "defines a pytest hook"),
            ("from unittest.mock import ANY\n", "mock.ANY equals everything"),
        ],
        &["def skip(xs):\n    return xs[1:]\n\nxfail = 'a name'\n"],
    );
}

#[test]
fn python_unreadable_code() {
    flags(
        py("ｅｘｅｃ('1')\n"),
        Class::Unreadable,
        "look-alike name",
        "fullwidth exec",
    );
    flags(
        py("# -*- coding: utf-7 -*-\nx = 1\n"),
        Class::Unreadable,
        "source encoding 'utf-7'",
        "utf-7",
    );
    flags(
        py("x = 1 # \u{202e} hidden\n"),
        Class::Unreadable,
        "U+202E",
        "bidi",
    );
    flags(
        py("def f(:\n"),
        Class::Unreadable,
        "cannot be audited",
        "syntax error",
    );
    clean(
        py("# -*- coding: utf-8 -*-\ngröße = 1\n"),
        "accented names are fine",
    );
}

// ── TypeScript / JavaScript ───────────────────────────────────────────────────────────────

#[test]
#[rustfmt::skip]
fn js_dynamic_code() {
    cases(
        ts,
        Class::DynamicCode,
        &[
            ("const x = eval('1');\n", "(eval)"),
            ("const e = eval;\ne('1');\n", "(eval)"),
            ("const x = (0, eval)('1');\n", "(eval)"),
            ("const f = new Function('return 1');\n", "(new Function)"),
            ("const f = Function('return 1');\n", "(Function)"),
            ("const f = globalThis['ev' + 'al'];\n", "(eval)"),
            ("const m = await import(name);\n", "import()"),
            ("const m = require(name);\n", "(require)"),
            ("import vm from 'node:vm';\n", "(vm)"),
            ("globalThis[key] = 1;\n", "by computed name"),
            ("const b = process.binding('fs');\n", "(process.binding)"),
            ("const F = (async () => {}).constructor;\nF('x')();\n", "constructor"),
            ("setTimeout('doIt()', 1);\n", "evaluates a string as code"),
            ("const { createRequire } = await import('module');\n", "(module)"),
        ],
        &[
            "export function evaluate(expr: string): number {\n  return Number(expr);\n}\n",
            "const table = { eval: 1 };\nexport const x = table.eval;\n",
            "class Point {\n  constructor(public x: number) {}\n  clone() {\n    return new Point(this.x);\n  }\n}\nexport { Point };\n",
        ],
    );
}

#[test]
#[rustfmt::skip]
fn js_introspection_detection_and_exit() {
    cases(
        ts,
        Class::Introspection,
        &[
            ("const s = new Error().stack;\n", "(new Error().stack)"),
            ("const err = new Error('x');\nconst s = err.stack;\n", "(new Error().stack)"),
            ("Error.captureStackTrace(obj);\n", "(Error.captureStackTrace)"),
            ("function f() { return arguments.callee; }\n", "(.callee)"),
            ("import v8 from 'v8';\n", "(v8)"),
        ],
        &[
            "export function wrap(e: unknown) {\n  return e instanceof Error ? e.message : String(e);\n}\n",
        ],
    );
    cases(
        ts,
        Class::TestDetection,
        &[
            ("const t = process.env.VITEST;\n", "marker VITEST"),
            ("const t = process.env['NODE_' + 'ENV'];\n", "marker NODE_ENV"),
            ("const { CI } = process.env;\n", "marker CI"),
            ("const env = process.env;\nconst t = env.VITEST_WORKER_ID;\n", "VITEST_WORKER_ID"),
            ("const t = 'VITEST' in process.env;\n", "marker VITEST"),
            ("const all = Object.keys(process.env);\n", "reads the whole environment"),
            ("const a = process.argv.slice(2);\n", "(process.argv)"),
            ("if (import.meta.vitest) {}\n", "(import.meta.vitest)"),
            ("const t = typeof describe === 'function';\n", "global describe"),
            ("const w = globalThis.__vitest_worker__;\n", "__vitest"),
        ],
        &[
            "const level = process.env.LOG_LEVEL ?? 'info';\nexport { level };\n",
            "export function test(x: number) {\n  return x > 0;\n}\nexport const ok = test(1);\n",
        ],
    );
    cases(
        ts,
        Class::ExitHook,
        &[
            ("process.exit(0);\n", "(process.exit)"),
            ("process.on('exit', () => {});\n", "(process.on)"),
            ("const p = process;\np.kill(p.pid, 'SIGKILL');\n", "(process.kill)"),
            ("process.exitCode = 0;\n", "(process.exitCode)"),
        ],
        &["export function exit(door: { open: boolean }) {\n  door.open = false;\n}\n"],
    );
}

#[test]
#[rustfmt::skip]
fn js_equality_filesystem_network() {
    cases(
        ts,
        Class::EqualityGaming,
        &[
            ("class A { valueOf() { return 42; } }\n", "valueOf to always return a constant"),
            ("class A { toString() { return 'x'; } }\n", "toString to always return a constant"),
            ("class A { [Symbol.toPrimitive]() { return 1; } }\n", "[Symbol.toPrimitive]"),
            ("class A { equals(other: A) { return true; } }\n", "equals"),
            ("class A { equals(other: A) { return this.x === this.x; } }\n", "equals"),
            ("class A { equals(other: unknown) { return other instanceof A; } }\n", "type"),
            ("const any = { asymmetricMatch: () => true };\n", "asymmetricMatch"),
            ("function A() {}\nA.prototype.valueOf = () => 1;\n", "valueOf"),
            ("Object.defineProperty(o, 'valueOf', { value: () => 7 });\n", "valueOf"),
        ],
        &[
            "class P {\n  constructor(private x: number) {}\n  equals(other: P) { return other instanceof P && other.x === this.x; }\n  toString() { return `P(${this.x})`; }\n  valueOf() { return this.x; }\n}\nexport { P };\n",
        ],
    );
    cases(
        ts,
        Class::Filesystem,
        &[
            ("import fs from 'node:fs';\nfs.writeFileSync('x', 'y');\n", "writes to the file system (fs.writeFileSync)"),
            ("import { readFileSync as r } from 'fs';\nr('x');\n", "reads the file system (fs.readFileSync)"),
            ("const { writeFile } = require('fs/promises');\n", "(fs.writeFile)"),
            ("import * as fs from 'fs';\nawait fs.promises.rm('x');\n", "(fs.rm)"),
            ("const p = '/pr' + 'oc/self/status';\n", "/proc"),
            ("const p = `/${'proc'}/1`;\n", "/proc"),
            ("const p = ['c', 'o', 'r', 'p', '/'].reverse().join('');\n", "/proc"),
            ("const p = String.fromCharCode(47, 112, 114, 111, 99);\n", "/proc"),
            ("const p = atob('L3Byb2M=');\n", "/proc"),
        ],
        &[
            "import path from 'node:path';\nexport const p = path.join('a', 'b');\n",
            "export const label = 'process';\nexport const kind = `processes: ${label}`;\n",
        ],
    );
    cases(
        ts,
        Class::Network,
        &[
            ("const r = await fetch('http://x');\n", "(fetch)"),
            ("import http from 'node:http';\n", "(http)"),
        ],
        &[
            "export function fetchAll(xs: number[]) { return xs; }\nexport const y = fetchAll([1]);\n",
        ],
    );
    cases(
        ts,
        Class::Process,
        &[
            ("import { execSync } from 'child_process';\nexecSync('ls');\n", "(child_process)"),
            ("const cp = require('child' + '_process');\n", "(child_process)"),
        ],
        &[],
    );
    cases(
        ts,
        Class::Patching,
        &[
            ("globalThis.expect = () => {};\n", "writes a global"),
            ("Array.prototype.includes = () => true;\n", "patches the built-in Array.prototype"),
            ("JSON.stringify = () => '';\n", "patches the built-in JSON"),
            ("process.env.CI = '1';\n", "changes the process environment"),
            ("import fs from 'fs';\nfs.readFileSync = () => '';\n", "patches module fs"),
        ],
        &[
            "const o = { a: 1 };\no.a = 2;\nexport { o };\n",
            "module.exports = { a: 1 };\n",
        ],
    );
    cases(
        ts,
        Class::TestFramework,
        &[
            ("import { describe } from 'vitest';\n", "imports the test framework (vitest)"),
            ("import assert from 'node:assert';\n", "assertion library"),
            ("import test from 'node:test';\n", "(node:test)"),
        ],
        &["import type { Table } from 'csv_parser';\nexport const x = 1;\n"],
    );
    flags(
        js("const e = \\u0065val;\n"),
        Class::Unreadable,
        "with escapes",
        "escaped identifier",
    );
    flags(
        js("const e = \\u0065val;\n"),
        Class::DynamicCode,
        "(eval)",
        "escaped eval",
    );
}

/// Ways around a substring audit, each caught by name resolution or string folding.
#[test]
#[rustfmt::skip]
fn evasions_are_caught() {
    let python: &[(&str, Class, &str)] = &[
        ("import builtins\nf = builtins.__dict__['ex' + 'ec']\n", Class::DynamicCode, "(exec)"),
        ("f = vars(__builtins__)['ev' + 'al']\n", Class::DynamicCode, "(eval)"),
        ("f = [eval][0]\n", Class::DynamicCode, "(eval)"),
        ("__import__('o' + 's').system('ls')\n", Class::Process, "(os.system)"),
        ("import sys\nsys.modules['o' + 's'].system('ls')\n", Class::Process, "(os.system)"),
        ("import os\nx = os.environ.__getitem__('CI')\n", Class::TestDetection, "marker CI"),
        ("import os\nx = os.getenv(*['CI'])\n", Class::TestDetection, "computed name"),
        ("import os\nx = str(os.environ)\n", Class::TestDetection, "whole environment"),
        ("import os\nx = 'CI' in os.environ.keys()\n", Class::TestDetection, "whole environment"),
        ("environ = __import__('os').environ\nx = environ['CI']\n", Class::TestDetection, "marker CI"),
        ("import os\nx = getattr(os, 'environ')['CI']\n", Class::TestDetection, "marker CI"),
        ("import sys\nf = getattr(sys, '_get' + 'frame')(1)\n", Class::Introspection, "(sys._getframe)"),
        ("from inspect import stack as s\nx = s()\n", Class::Introspection, "(inspect.stack)"),
        ("def g():\n    yield 1\n\nx = g().gi_frame.f_back\n", Class::Introspection, "(gi_frame)"),
        ("import operator\nget = operator.attrgetter('f_' + 'back')\n", Class::Introspection, "\"f_back\""),
        ("x = open('/pr' 'oc/self/cmdline').read()\n", Class::Filesystem, "/proc"),
        ("import codecs\np = codecs.decode('/cebp', 'rot13')\n", Class::Filesystem, "/proc"),
        ("p = '/%s/self' % 'proc'\n", Class::Filesystem, "/proc"),
        ("p = chr(47) + 'proc'\n", Class::Filesystem, "/proc"),
        ("P = '/pr'\nP += 'oc'\n", Class::Filesystem, "/proc"),
        ("p = '/pr'\np = p + 'oc'\np = 'safe'\n", Class::Filesystem, "/proc"),
        ("def probe(key='LOG'):\n    import os\n    return os.environ.get(key)\n", Class::TestDetection, "computed name"),
        ("x = open('../tests/contract_test.py').read()\n", Class::TestDetection, "contract_test"),
        ("data = __loader__.get_data('x')\n", Class::DynamicCode, "__loader__"),
        ("import __main__\nx = __main__.__file__\n", Class::TestDetection, "(__main__)"),
        ("import sys\nx = sys.modules['__main__']\n", Class::TestDetection, "'__main__'"),
        ("import os\nn = 'PYTEST_CURRENT_TEST'\nx = os.environ.get(n)\n", Class::TestDetection, "PYTEST_CURRENT_TEST"),
    ];
    for (code, class, want) in python {
        flags(py(code), *class, want, code);
    }
    let typescript: &[(&str, Class, &str)] = &[
        ("const e = window.eval;\n", Class::DynamicCode, "(eval)"),
        ("const e = global['eval'];\n", Class::DynamicCode, "(eval)"),
        ("const e = Reflect.get(globalThis, k);\n", Class::DynamicCode, "Reflect.get"),
        ("const f = Function.prototype.constructor('return 1');\n", Class::DynamicCode, "constructor"),
        ("const f = [].constructor.constructor('return 1');\n", Class::DynamicCode, "constructor"),
        ("const cp = await import('child' + '_process');\n", Class::Process, "(child_process)"),
        ("const cp = require(['child', 'process'].join('_'));\n", Class::Process, "(child_process)"),
        ("const cp = require(Buffer.from('Y2hpbGRfcHJvY2Vzcw==', 'base64').toString());\n", Class::Process, "(child_process)"),
        ("const cp = process.mainModule.require('child_process');\n", Class::TestDetection, "(process.mainModule)"),
        ("const m = module.constructor._load('child_process');\n", Class::DynamicCode, "(module.constructor)"),
        ("const ci = process['e' + 'nv']['CI'];\n", Class::TestDetection, "marker CI"),
        ("let p = '/pr';\np += 'oc';\n", Class::Filesystem, "/proc"),
        ("const { env } = process;\nconst ci = env.CI;\n", Class::TestDetection, "marker CI"),
        ("const ci = process.env?.CI;\n", Class::TestDetection, "marker CI"),
        ("const ci = globalThis.process.env.CI;\n", Class::TestDetection, "marker CI"),
        ("for (const k in process.env) {}\n", Class::TestDetection, "whole environment"),
        ("const s = JSON.stringify(process.env);\n", Class::TestDetection, "whole environment"),
        ("const m = import.meta.env.MODE;\n", Class::TestDetection, "(import.meta.env)"),
        ("const s = (new Error).stack;\n", Class::Introspection, "(new Error().stack)"),
        ("Error.prepareStackTrace = (_: unknown, s: unknown) => s;\n", Class::Introspection, "(Error.prepareStackTrace)"),
        ("setTimeout(() => process.exit(0), 0);\n", Class::ExitHook, "(process.exit)"),
        ("const any = { valueOf: () => 42 };\n", Class::EqualityGaming, "valueOf"),
        ("import fsx from 'node:fs';\nfsx.writeFileSync('x', '');\n", Class::Filesystem, "fs.writeFileSync"),
        ("const w = require('f' + 's').writeFileSync;\n", Class::Filesystem, "fs.writeFileSync"),
        ("const t = new URL('./data.txt', import.meta.url);\n", Class::TestDetection, ""),
    ];
    for (code, class, want) in &typescript[..typescript.len() - 1] {
        flags(ts(code), *class, want, code);
    }
}

// ── whole directories ─────────────────────────────────────────────────────────────────────

#[test]
fn data_files_the_code_reads_are_findings_a_stray_readme_is_not() {
    let code = "import os\n\nHERE = os.path.dirname(__file__)\nexec(open(os.path.join(HERE, 'data.txt')).read())\n";
    let found = run(
        &[("comp.py", code), ("data.txt", "import os\n")],
        &plain(),
        "",
    );
    flags(
        found.clone(),
        Class::ShippedFile,
        "reads or runs 'data.txt'",
        code,
    );
    flags(found, Class::DynamicCode, "(exec)", code);

    // Declared file reads do not make a shipped data file readable.
    let reads = contract_with(json!([{"kind": "reads_file", "target": "input"}]));
    let code = "from pathlib import Path\n\ndef load():\n    return (Path(__file__).parent / 'answers.json').read_text()\n";
    let found = run(&[("comp.py", code), ("answers.json", "{}")], &reads, "");
    flags(found, Class::ShippedFile, "answers.json", code);

    // Found by listing its own directory, without naming it.
    let code = "import os\n\ndef load():\n    d = os.path.dirname(__file__)\n    return [open(os.path.join(d, n)).read() for n in os.listdir(d)]\n";
    let found = run(&[("comp.py", code), ("blob.bin", "x")], &reads, "");
    flags(found, Class::ShippedFile, "blob.bin", code);

    let code = "import answers from './answers.json';\nexport const a = answers;\n";
    let found = run(&[("comp.ts", code), ("answers.json", "{}")], &plain(), "");
    flags(found, Class::ShippedFile, "answers.json", code);

    let found = run(
        &[
            ("comp.py", "def f():\n    return 1\n"),
            ("README.md", "# notes\n"),
        ],
        &plain(),
        "",
    );
    clean(found, "a stray README");

    let found = run(&[("comp.py", "x = 1\n"), ("_native.so", "x")], &plain(), "");
    flags(
        found,
        Class::ShippedFile,
        "compiled or packaged",
        "a shipped .so",
    );
    let found = run(
        &[
            ("comp.py", "x = 1\n"),
            ("__pycache__/comp.cpython-312.pyc", "x"),
        ],
        &plain(),
        "",
    );
    flags(
        found,
        Class::ShippedFile,
        "compiled or packaged",
        "a shipped .pyc",
    );
}

#[test]
fn declared_side_effects_are_allowed_and_only_those() {
    let code = "import socket\nimport subprocess\n\ndef get():\n    return open('in.txt').read()\n";
    let found = run(&[("comp.py", code)], &plain(), "");
    for want in ["uses the network", "starts processes", "reads a file"] {
        assert!(
            found.iter().any(|f| f.reason.contains(want)),
            "{want}: {found:#?}"
        );
    }
    let effects = contract_with(json!([
        {"kind": "network_call", "target": "api"},
        {"kind": "reads_file", "target": "input"}
    ]));
    let found = run(&[("comp.py", code)], &effects, "");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].reason.contains("starts processes"), "{found:#?}");
    // Reading is not writing.
    let found = run(
        &[("comp.py", "open('out.txt', 'w').write('x')\n")],
        &effects,
        "",
    );
    flags(
        found,
        Class::Filesystem,
        "writes a file",
        "write with reads declared",
    );
    // "No network access" declares nothing.
    let mut negated = plain();
    negated.functions[0].side_effects = vec!["no network access".into()];
    let found = run(&[("comp.py", "import socket\n")], &negated, "");
    flags(
        found,
        Class::Network,
        "uses the network",
        "negated declaration",
    );
    let mut free = plain();
    free.functions[0].side_effects = vec!["calls the weather API over the network".into()];
    clean(
        run(&[("comp.py", "import socket\n")], &free, ""),
        "free-text declaration",
    );
}

#[test]
fn literal_test_inputs_keep_their_line() {
    let tests = "from comp import run\n\ndef test_a():\n    assert run('b a b c b a') == 'b 3'\n";
    let code =
        "def run(text):\n    if text == 'b a b c b a':\n        return 'b 3'\n    return ''\n";
    let found = run(&[("comp.py", code)], &plain(), tests);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].line, 2);
    assert_eq!(
        found[0].to_string(),
        "comp.py:2: special-cases a literal test input (\"b a b c b a\")"
    );
    let code =
        "export function run(t: string) {\n  return ['b a b c b a'].includes(t) ? 'b 3' : '';\n}\n";
    let found = run(&[("comp.ts", code)], &plain(), "run('b a b c b a')");
    flags(found, Class::SpecialCasing, "b a b c b a", code);
}

#[test]
fn hostile_input_does_not_hang_or_overflow() {
    let chain = format!("x = {}'a'\n", "'a' + ".repeat(20_000));
    flags(py(&chain), Class::Unreadable, "levels deep", "a long chain");
    let chain = format!("x = {}'a'\n", "'a' + ".repeat(300));
    clean(py(&chain), "a chain the audit still reads");
    let doubling: String = std::iter::once("a0 = 'ab'\n".to_string())
        .chain((1..200).map(|i| format!("a{i} = a{} + a{}\n", i - 1, i - 1)))
        .collect();
    let _ = py(&doubling);
    let nested = format!("x = {}1{}\n", "(".repeat(3000), ")".repeat(3000));
    let _ = py(&nested);
    let aliases: String = (1..300)
        .map(|i| format!("m{i} = m{}\nm{i} = m{}\n", i - 1, i - 1))
        .collect();
    let code = format!("def f():\n    m99.system('x')\n\nimport os\nm0 = os\n{aliases}");
    flags(
        py(&code),
        Class::Process,
        "(os.system)",
        "a long chain of aliases",
    );
    let reversed: String = (1..120)
        .rev()
        .map(|i| format!("m{i} = m{}\n", i - 1))
        .collect();
    let code = format!("import os\n{reversed}m0 = os\nm119.system('x')\n");
    flags(
        py(&code),
        Class::Process,
        "(os.system)",
        "aliases bound in reverse order",
    );
    let code = "import os\na = b\nb = a\na = os\nb.system('x')\n";
    flags(py(code), Class::Process, "(os.system)", code);
    let code = "def f(m):\n    return m._getframe(1)\n";
    flags(py(code), Class::Introspection, "(sys._getframe)", code);
    let js_chain = format!("const x = {}'a';\n", "'a' + ".repeat(20_000));
    flags(
        ts(&js_chain),
        Class::Unreadable,
        "levels deep",
        "a long chain",
    );
}

// ── the honest implementations of the reference and example projects ─────────────────────

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_reference_sample_implementations_are_clean() {
    let sample = repo().join("tests/fixtures/reference/sample/.pact");
    let mut audited = 0;
    for entry in std::fs::read_dir(sample.join("implementations")).expect("implementations") {
        let dir = entry.expect("entry").path();
        let cid = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let contract: ComponentContract = serde_json::from_str(
            &std::fs::read_to_string(sample.join(format!("contracts/{cid}/interface.json")))
                .expect("contract"),
        )
        .expect("contract json");
        let tests =
            std::fs::read_to_string(sample.join(format!("contracts/{cid}/tests/contract_test.py")))
                .unwrap_or_default();
        let found = audit(&dir.join("src"), &contract, &tests, TestLanguage::Python);
        assert!(found.is_empty(), "{cid}: {found:#?}");
        audited += 1;
    }
    assert_eq!(audited, 4);
}

/// Every implementation and test suite a recorded example session answers with.
fn session(example: &str) -> Vec<(String, String, String)> {
    let path = repo().join(format!("examples/{example}/session.jsonl"));
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let records: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let tests: Vec<String> = records
        .iter()
        .filter(|r| r["role"] == "test_author")
        .filter_map(|r| r["answer"]["generated_code"].as_str().map(String::from))
        .collect();
    let mut out = Vec::new();
    for r in records.iter().filter(|r| r["role"] == "code_author") {
        for f in r["answer"]["files"].as_array().into_iter().flatten() {
            let path = f["path"].as_str().unwrap_or("").to_string();
            let code = f["content"].as_str().unwrap_or("").to_string();
            let stem = path
                .rsplit('/')
                .next()
                .unwrap_or("")
                .split('.')
                .next()
                .unwrap_or("");
            let suite = tests
                .iter()
                .find(|t| {
                    t.contains(&format!("from {stem} import")) || t.contains(&format!("\"{stem}\""))
                })
                .cloned()
                .unwrap_or_default();
            out.push((path, code, suite));
        }
    }
    out
}

#[test]
fn the_example_sessions_implementations_are_clean() {
    let mut audited = 0;
    for example in ["wordfreq", "csvstats"] {
        for (path, code, tests) in session(example) {
            let name = path.rsplit('/').next().unwrap_or(&path).to_string();
            let cid = name.split('.').next().unwrap_or("").to_string();
            let mut contract = plain();
            contract.component_id = cid.clone();
            contract.dependencies = vec![
                "tokenizer",
                "counter",
                "formatter",
                "wordfreq",
                "csv_parser",
                "column_stats",
                "report",
                "csvstats",
            ]
            .into_iter()
            .map(String::from)
            .collect();
            // Literals the real contract names are allowed; without it, only the code's own
            // checks are asked for here (the sample test above covers literals with contracts).
            let found: Vec<Finding> = run(&[(name.as_str(), code.as_str())], &contract, &tests)
                .into_iter()
                .filter(|f| f.class != Class::SpecialCasing)
                .collect();
            assert!(found.is_empty(), "{example}/{path}: {found:#?}");
            audited += 1;
        }
    }
    assert!(audited >= 4, "audited {audited}");
}

#[test]
fn the_typescript_fixture_implementations_are_clean() {
    let root = repo().join("server/engine/tests/fixtures/csvstats");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return;
    };
    for entry in dirs.flatten() {
        let dir = entry.path();
        if !dir.is_dir() {
            continue;
        }
        let cid = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let Ok(contract_text) = std::fs::read_to_string(dir.join("contract.json")) else {
            continue;
        };
        let mut value: serde_json::Value = serde_json::from_str(&contract_text).expect("json");
        value["component_id"] = json!(cid);
        let contract: ComponentContract = serde_json::from_value(value).expect("contract");
        let tests = std::fs::read_to_string(dir.join("contract.test.ts")).unwrap_or_default();
        let src = tempfile::tempdir().expect("tmp");
        std::fs::copy(
            dir.join(format!("{cid}.ts")),
            src.path().join(format!("{cid}.ts")),
        )
        .expect("copy");
        let found = audit(src.path(), &contract, &tests, TestLanguage::TypeScript);
        assert!(found.is_empty(), "{cid}: {found:#?}");
    }
}
