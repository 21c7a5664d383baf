// The packaged bundle (dist/extension.js, with the real vscode-languageclient inside) in a
// stand-in extension host (fake-vscode.cjs), driving a real language server process:
//
// - the stand-in server (editors/nvim/tests/fake_pact_lsp.py): commands, arguments, progress;
// - the real `pact lsp` (PACT_BIN, default target/debug/pact): diagnostics on a broken
//   contract, counted in the status bar, cleared by an edit, and Validate project answered.
//
// Run after `npm run build` (and `cargo build -p pact-cli` for the second):
//   node --test test/host/
// Without the pact binary the second test is skipped, unless CI is set, where it fails.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionDir = path.resolve(here, '../..');
const repo = path.resolve(extensionDir, '../..');
const bundle = path.join(extensionDir, 'dist/extension.js');

// `require('vscode')` from the bundle gets the stand-in host.
const fake = path.join(here, 'fake-vscode.cjs');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? fake : resolve.call(this, request, ...rest);
};
const require = createRequire(import.meta.url);
const vscode = require('vscode');
const host = vscode.__host;

function waitFor(what, check, ms = 20000) {
  const start = Date.now();
  return new Promise((ok, fail) => {
    const tick = () => {
      let value;
      try {
        value = check();
      } catch (e) {
        value = undefined;
        if (Date.now() - start > ms) return fail(e);
      }
      if (value) return ok(value);
      if (Date.now() - start > ms) {
        const log = host.outputs.map((o) => o.lines.join('\n')).join('\n');
        return fail(new Error(`timed out waiting for ${what}\nmessages: ${JSON.stringify(host.messages)}\nlog:\n${log}`));
      }
      setTimeout(tick, 25);
    };
    tick();
  });
}

const temps = [];

/** A copy of the sample project whose `formatter` contract has a field of an unknown type. */
function brokenProject() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pact-vscode-host-'));
  temps.push(tmp);
  const project = path.join(tmp, 'sample');
  fs.cpSync(path.join(repo, 'tests/fixtures/reference/sample'), project, { recursive: true });
  const contract = path.join(project, '.pact/contracts/formatter/interface.json');
  const v = JSON.parse(fs.readFileSync(contract, 'utf8'));
  v.types[0].fields.push({ name: 'ratio', type_ref: 'Percentage', required: true });
  fs.writeFileSync(contract, JSON.stringify(v, null, 2));
  const line = fs
    .readFileSync(contract, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('"type_ref": "Percentage"'));
  return { tmp, project, contract, line };
}

function codeOf(d) {
  return typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
}

function reset(tmp, serverPath, trace = 'off') {
  host.config = { 'pact.path': serverPath, 'pact.backend': 'replay', 'pact.budget': 4, 'pact.trace.server': trace };
  host.outputLogLevel = trace === 'off' ? 2 : 1;
  host.workspaceFolders = [tmp];
  host.documents.length = 0;
  host.messages.length = 0;
  host.answers.length = 0;
  host.statusItems.length = 0;
  host.outputs.length = 0;
  host.progress.length = 0;
  host.diagnostics.clear();
  host.commands.clear();
  host.activeTextEditor = undefined;
}

let ext;
before(() => {
  assert.ok(fs.existsSync(bundle), `${bundle} is missing: npm run build first`);
  ext = require(bundle);
});
// Each test stops its server, also when it fails (a server left running keeps Node alive).
afterEach(async () => {
  await ext.deactivate();
});
after(async () => {
  await ext.deactivate();
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

test('with the stand-in server: commands, arguments, progress, status bar', async () => {
  const { tmp, project, contract, line } = brokenProject();
  const log = path.join(tmp, 'server.jsonl');
  const server = path.join(tmp, 'pact');
  const python = process.env.PYTHON || 'python3';
  fs.writeFileSync(
    server,
    `#!/bin/sh\nFAKE_PACT_LOG='${log}' exec ${python} '${path.join(repo, 'editors/nvim/tests/fake_pact_lsp.py')}'\n`,
  );
  fs.chmodSync(server, 0o755);
  reset(tmp, server);
  const received = (method) =>
    fs.existsSync(log)
      ? fs
          .readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .filter((m) => m.method === method)
      : [];

  await ext.activate({ subscriptions: [] });
  const status = host.statusItems[0];
  assert.equal(host.contexts.get('pact.active'), true);
  assert.equal(status.text, '$(debug-pause) Pact: implement · $0.42/$4.00');

  const init = await waitFor('initialize', () => received('initialize')[0]);
  assert.deepEqual(init.params.initializationOptions, {
    pact: { backend: 'replay', model: null, budget: 4, trace: 'off' },
  });

  // Diagnostics from the server arrive through the real client's diagnostic collection.
  const doc = host.openDocument(contract, 'json');
  const diags = await waitFor('diagnostics', () => {
    const d = host.diagnosticsFor(contract);
    return d.length > 0 ? d : undefined;
  });
  assert.equal(codeOf(diags[0]), 'unresolved-type');
  assert.equal(diags[0].range.start.line, line);
  // A file outside any project is not sent to the server.
  const outside = path.join(tmp, 'outside.json');
  fs.writeFileSync(outside, '{"type_ref": "Percentage"}');
  host.openDocument(outside, 'json');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(
    received('textDocument/didOpen').some((m) => m.params.textDocument.uri.endsWith('outside.json')),
    false,
  );

  // The status bar counts the finding (as pact validate would).
  await waitFor('the finding counted in the status bar', () => status.text.endsWith(' · $(error) 1'));

  // Validate: the server's one message is the only one; its progress showed in the status bar.
  host.activeTextEditor = { document: doc };
  host.messages.length = 0;
  await host.commands.get('pact.ui.validate')();
  await waitFor('validate message', () => host.messages.find((m) => m.msg.startsWith('Pact: validation failed')));
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(
    host.messages.map((m) => m.msg),
    [host.messages[0].msg],
    'one message per outcome: the server\'s, and none of the extension\'s',
  );

  // Context menu on the contract: regenerate tests asks, then sends confirmed: true.
  host.answers.push('Regenerate');
  await host.commands.get('pact.ui.regenerateTests')(vscode.Uri.file(contract));
  // Build competitively from the palette, with the agents asked for.
  host.answers.push('3');
  await host.commands.get('pact.ui.buildCompetitive')();
  // The job's progress showed in the status bar ("Pact:" once) and in the client's own UI.
  assert.ok(
    status.history.some((t) => t.startsWith('$(sync~spin) Pact: build formatter')),
    `status bar never showed the job: ${JSON.stringify(status.history)}`,
  );
  assert.ok(host.progress.length > 0, "the client's own progress UI was not used");
  await waitFor('status bar idle again', () => status.text.startsWith('$(debug-pause) Pact: implement'));

  // A code lens runs the server's command itself: the language client registered the server's
  // command ids (no clash with the extension's pact.ui.* ones), through the extension's middleware.
  const lensProvider = host.codeLensProviders[0]?.provider;
  assert.ok(lensProvider, 'the client registered no code lens provider');
  const lenses = await lensProvider.provideCodeLenses(doc, new vscode.CancellationTokenSource().token);
  assert.deepEqual(
    lenses.map((l) => l.command.title),
    ['Build', 'Run tests · 4 tests · 4 passed · 0 failed', 'Rebuild'],
  );
  const build = lenses[0].command;
  assert.equal(build.command, 'pact.build');
  assert.ok(host.commands.has('pact.build'), 'the server command is not registered');
  host.messages.length = 0;
  await host.commands.get(build.command)(...build.arguments);
  await waitFor('the job\'s one message', () => host.messages.find((m) => m.msg.includes('build formatter')));

  const sent = received('workspace/executeCommand').map((m) => [m.params.command, m.params.arguments[0]]);
  assert.deepEqual(sent, [
    ['pact.validate', { project }],
    ['pact.regenerateTests', { project, component: 'formatter', confirmed: true }],
    ['pact.build', { project, component: 'formatter', competitive: true, agents: 3 }],
    ['pact.build', build.arguments[0]],
  ]);

  // A failing server command is reported.
  await host.commands.get('pact.ui.stop')();
  assert.ok(host.messages.some((m) => m.level === 'error' && m.msg === 'Pact: Stop run failed: no run in progress'));

  // Settings changes reach the server.
  host.config['pact.model'] = 'claude-opus-4-6';
  host.events.config.fire({ affectsConfiguration: (s) => s === 'pact' || s === 'pact.model' });
  const change = await waitFor('didChangeConfiguration', () =>
    received('workspace/didChangeConfiguration').find((m) => m.params.settings?.pact?.model === 'claude-opus-4-6'),
  );
  assert.deepEqual(change.params.settings.pact, { backend: 'replay', model: 'claude-opus-4-6', budget: 4, trace: 'off' });

  await ext.deactivate();
  await waitFor('shutdown', () => received('shutdown').length > 0);
});

function pactBinary() {
  const bin = process.env.PACT_BIN || path.join(repo, 'target/debug/pact');
  try {
    execFileSync(bin, ['lsp', '--help'], { stdio: 'ignore' });
    return bin;
  } catch {
    return undefined;
  }
}

const bin = pactBinary();
const skip = !bin && !process.env.CI ? 'no pact binary with `pact lsp` (cargo build -p pact-cli, or set PACT_BIN)' : false;

test('with `pact lsp`: diagnostics on a broken contract, cleared by an edit; validate answered', { skip }, async () => {
  assert.ok(bin, 'CI is set but there is no pact binary with `pact lsp`: build it first or set PACT_BIN');
  const { tmp, contract, line } = brokenProject();
  reset(tmp, bin);
  await ext.activate({ subscriptions: [] });

  const doc = host.openDocument(contract, 'json');
  const diags = await waitFor('unresolved-type diagnostic', () => {
    const found = host.diagnosticsFor(contract).filter((x) => codeOf(x) === 'unresolved-type');
    return found.length > 0 ? found : undefined;
  });
  const d = diags[0];
  assert.match(d.message, /'Percentage'/);
  assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
  assert.equal(d.range.start.line, line);
  const col = fs.readFileSync(contract, 'utf8').split('\n')[line].indexOf('Percentage');
  assert.ok(d.range.start.character <= col && d.range.end.character >= col + 'Percentage'.length);

  // Fix it in the editor only (unsaved): the diagnostic goes.
  host.changeDocument(doc, doc.getText().replace('"Percentage"', '"str"'));
  await waitFor('diagnostic cleared', () =>
    host.diagnosticsFor(contract).every((x) => codeOf(x) !== 'unresolved-type'),
  );

  host.messages.length = 0;
  await host.commands.get('pact.ui.validate')();
  await waitFor('the server\'s validate message', () => host.messages.find((m) => /validation (passed|failed)/.test(m.msg)));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(host.messages.length, 1, `one message per outcome: ${JSON.stringify(host.messages)}`);
  assert.equal(
    host.messages.filter((m) => m.level === 'error').length,
    0,
    `errors: ${JSON.stringify(host.messages)}`,
  );
  await ext.deactivate();
});

test('with `pact lsp` and the message trace on: each server log line once, no stderr as errors', { skip }, async () => {
  assert.ok(bin, 'CI is set but there is no pact binary with `pact lsp`: build it first or set PACT_BIN');
  const { tmp, contract } = brokenProject();
  // The server behind a tee: what it sent is the measure of what the channel must show.
  const sent = path.join(tmp, 'server-out.bin');
  const wrapper = path.join(tmp, 'pact-tee');
  fs.writeFileSync(wrapper, `#!/bin/sh\n'${bin}' "$@" | tee '${sent}'\n`);
  fs.chmodSync(wrapper, 0o755);
  reset(tmp, wrapper, 'verbose');
  await ext.activate({ subscriptions: [] });
  host.openDocument(contract, 'json');
  await waitFor('unresolved-type diagnostic', () =>
    host.diagnosticsFor(contract).some((x) => codeOf(x) === 'unresolved-type'),
  );
  await host.commands.get('pact.ui.validate')();
  const channel = host.outputs.find((o) => o.name === 'Pact');
  const lines = () => channel.lines.join('\n');
  await waitFor('the server log', () => /\[info\] checked \d+ project/.test(lines()));
  await ext.deactivate();
  const traced = channel.lines.filter((l) => l.startsWith('[trace] '));
  assert.ok(traced.some((l) => l.includes("Sending request 'initialize")), `the trace is off:\n${lines()}`);
  assert.deepEqual(
    traced.filter((l) => l.includes("'window/logMessage'")),
    [],
    'a traced window/logMessage repeats its line',
  );
  const logged = channel.lines.filter((l) => /^\[(info|warn|error)\] /.test(l));
  const shown = new Map();
  for (const l of logged) {
    const text = l.replace(/^\[\w+\] /, '');
    shown.set(text, (shown.get(text) ?? 0) + 1);
  }
  // tee writes each chunk to the client before the file: the file may still lack the last
  // frames the channel shows. Read it once it has stopped growing and ends on a whole frame.
  let size = -1;
  const written = await waitFor('the tee to write every frame', () => {
    const buf = fs.readFileSync(sent);
    const settled = buf.length === size;
    size = buf.length;
    const read = frames(buf);
    return settled && read.complete ? read.messages : undefined;
  });
  const told = new Map();
  for (const m of written) {
    if (m.method === 'window/logMessage' && m.params.type <= 3) {
      told.set(m.params.message, (told.get(m.params.message) ?? 0) + 1);
    }
  }
  assert.ok(told.size > 0, 'the server sent no log');
  for (const [text, n] of told) {
    assert.equal(shown.get(text), n, `"${text}": sent ${n} time(s), shown ${shown.get(text) ?? 0}:\n${lines()}`);
  }
  assert.deepEqual(
    logged.filter((l) => /^\[error\] .*\b(INFO|WARN|DEBUG)\b/.test(l)),
    [],
    'stderr shown as errors',
  );
});

/** The JSON-RPC messages of an LSP byte stream (Content-Length framing), and whether the
 * stream ends on a whole frame (no header or body cut short). */
function frames(buf) {
  const messages = [];
  let at = 0;
  while (at < buf.length) {
    const headerEnd = buf.indexOf('\r\n\r\n', at);
    if (headerEnd < 0) break;
    const m = /Content-Length: *(\d+)/i.exec(buf.subarray(at, headerEnd).toString('ascii'));
    if (!m) break;
    const start = headerEnd + 4;
    const end = start + Number(m[1]);
    if (end > buf.length) break;
    messages.push(JSON.parse(buf.subarray(start, end).toString('utf8')));
    at = end;
  }
  return { messages, complete: at === buf.length };
}
