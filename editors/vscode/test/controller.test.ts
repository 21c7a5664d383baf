// The extension end to end against a mocked `vscode` and a mocked language client: activation,
// the missing-binary message, commands, progress in the status bar, settings reaching the server.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { LanguageClient as FakeClient, WorkDoneProgress } from './mocks/languageclient';
import { DiagnosticSeverity, Uri as MockUri, mock } from './mocks/vscode';

vi.mock('vscode-languageclient/node', () => import('./mocks/languageclient'));

const { activate, deactivate } = await import('../src/extension');
type ControllerT = Awaited<ReturnType<typeof activate>>;

let tmp: string;
let project: string;
let bin: string;

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

function client(): FakeClient {
  const c = FakeClient.instances[FakeClient.instances.length - 1];
  if (!c) throw new Error('no language client was created');
  return c;
}

async function run(id: string, ...args: unknown[]): Promise<unknown> {
  const fn = mock.commands.get(id);
  if (!fn) throw new Error(`command ${id} not registered`);
  return fn(...args);
}

function status(): vscode.StatusBarItem {
  const s = mock.statusItems[0];
  if (!s) throw new Error('no status bar item');
  return s as unknown as vscode.StatusBarItem;
}

beforeEach(() => {
  mock.reset();
  FakeClient.instances = [];
  FakeClient.respond = () => null;
  FakeClient.failStart = undefined;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pact-vscode-'));
  project = path.join(tmp, 'proj');
  write('proj/pact.yaml', 'budget: 10.0\nplan_only: true\n');
  write('proj/.pact/state.json', JSON.stringify({ phase: 'implement', status: 'paused', total_cost_usd: 0.42 }));
  write('proj/.pact/contracts/counter/interface.json', '{}');
  write('proj/.pact/contracts/tokenizer/interface.json', '{}');
  bin = write('bin/pact', '#!/bin/sh\n');
  fs.chmodSync(bin, 0o755);
  mock.workspaceFolders = [tmp];
  mock.markers = [path.join(project, 'pact.yaml'), path.join(project, '.pact/state.json')];
  mock.config = { 'pact.path': bin, 'pact.backend': 'replay', 'pact.budget': null, 'pact.trace.server': 'off' };
});

afterEach(async () => {
  await deactivate();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('activation', () => {
  it('starts `pact lsp` with the settings as initializationOptions', async () => {
    const ctx = { subscriptions: [] as { dispose(): unknown }[] };
    await activate(ctx as unknown as vscode.ExtensionContext);
    const c = client();
    expect(c.id).toBe('pact');
    expect(c.running).toBe(true);
    // Exactly `pact lsp`: no `transport`, which would make the client append `--stdio`.
    expect(c.serverOptions).toEqual({ command: bin, args: ['lsp'], options: { cwd: tmp } });
    expect(c.clientOptions.initializationOptions).toEqual({
      pact: { backend: 'replay', model: null, budget: null, trace: 'off' },
    });
    expect(c.clientOptions.outputChannel).toBe(mock.outputs[0]);
    expect(mock.contexts.get('pact.active')).toBe(true);
    expect(ctx.subscriptions).toHaveLength(1);
  });

  it('registers every command', async () => {
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
    for (const id of [
      'pact.ui.decompose',
      'pact.ui.runPipeline',
      'pact.ui.build',
      'pact.ui.buildCompetitive',
      'pact.ui.rebuild',
      'pact.ui.regenerateTests',
      'pact.ui.runTests',
      'pact.ui.validate',
      'pact.ui.status',
      'pact.ui.stop',
      'pact.ui.cancelJob',
      'pact.ui.showOutput',
      'pact.ui.restartServer',
    ]) {
      expect(mock.commands.has(id), id).toBe(true);
    }
  });

  it('shows phase and spend/budget from the project in the status bar', async () => {
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
    expect(status().text).toBe('$(debug-pause) Pact: implement · $0.42/$10.00');
    expect((status() as unknown as { visible: boolean }).visible).toBe(true);
  });

  it('stays idle in a workspace without a Pact project', async () => {
    mock.markers = [];
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
    expect(FakeClient.instances).toHaveLength(0);
    expect(mock.contexts.get('pact.active')).toBe(false);
    expect((status() as unknown as { visible: boolean }).visible).toBe(false);
  });

  it('explains a missing binary with an install hint and a way to the setting', async () => {
    mock.config['pact.path'] = path.join(tmp, 'nowhere', 'pact');
    const opened: unknown[] = [];
    mock.commands.set('workbench.action.openSettings', (query) => opened.push(query));
    vi.mocked(vscode.window.showErrorMessage).mockResolvedValueOnce('Open Settings' as never);
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
    expect(FakeClient.instances).toHaveLength(0);
    const [message, ...actions] = vi.mocked(vscode.window.showErrorMessage).mock.calls[0] as string[];
    expect(message).toContain('is not an executable file');
    expect(message).toContain('cargo install');
    expect(actions).toEqual(['Open Settings', 'Show Log']);
    expect(mock.outputs[0]?.lines.join('\n')).toContain('not an executable file');
    // 'Open Settings' was chosen: the settings open at pact.path.
    await vi.waitFor(() => {
      expect(opened).toEqual(['pact.path']);
    });
  });

  it('does not hold activation until the missing-binary message is dismissed', async () => {
    mock.config['pact.path'] = path.join(tmp, 'nowhere', 'pact');
    vi.mocked(vscode.window.showErrorMessage).mockReturnValueOnce(new Promise(() => undefined));
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
    expect(vscode.window.showErrorMessage).toHaveBeenCalledTimes(1);
  });

  it('reports a server that fails to start', async () => {
    FakeClient.failStart = new Error('exited with code 2');
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
    const [message] = vi.mocked(vscode.window.showErrorMessage).mock.calls[0] as string[];
    expect(message).toContain('failed to start (exited with code 2)');
  });
});

describe('commands', () => {
  let c: ControllerT;
  beforeEach(async () => {
    c = await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
  });

  it('builds the component of the file the context menu was opened on', async () => {
    const file = vscode.Uri.file(path.join(project, '.pact/contracts/counter/interface.json'));
    FakeClient.respond = () => ({ message: 'Build of counter started' });
    await run('pact.ui.build', file);
    expect(client().requests).toEqual([
      {
        method: 'workspace/executeCommand',
        params: { command: 'pact.build', arguments: [{ project, component: 'counter' }] },
      },
    ]);
    // The server says how the job went (window/showMessage); the extension adds no toast.
    expect(vscode.window.showInformationMessage).not.toHaveBeenCalled();
  });

  it('uses the active editor from the palette, and asks for a component it cannot tell', async () => {
    mock.config['pact.path'] = bin;
    (vscode.window as { activeTextEditor: unknown }).activeTextEditor = {
      document: { uri: vscode.Uri.file(path.join(project, 'pact.yaml')) },
    };
    vi.mocked(vscode.window.showQuickPick).mockResolvedValueOnce('tokenizer' as never);
    await run('pact.ui.runTests');
    expect(vscode.window.showQuickPick).toHaveBeenCalledWith(['counter', 'tokenizer'], expect.anything());
    expect(client().requests[0]?.params).toEqual({
      command: 'pact.runTests',
      arguments: [{ project, component: 'tokenizer' }],
    });
  });

  it('asks before regenerating tests and sends nothing when declined', async () => {
    const file = vscode.Uri.file(path.join(project, '.pact/contracts/counter/tests/contract_test.py'));
    await run('pact.ui.regenerateTests', file);
    expect(vscode.window.showWarningMessage).toHaveBeenCalledWith(
      expect.stringContaining('Tests are law'),
      { modal: true },
      'Regenerate',
    );
    expect(client().requests).toHaveLength(0);
    vi.mocked(vscode.window.showWarningMessage).mockResolvedValueOnce('Regenerate' as never);
    await run('pact.ui.regenerateTests', file);
    expect(client().requests[0]?.params).toEqual({
      command: 'pact.regenerateTests',
      arguments: [{ project, component: 'counter', confirmed: true }],
    });
  });

  it('asks how many agents for a competitive build', async () => {
    vi.mocked(vscode.window.showInputBox).mockResolvedValueOnce('3');
    await run('pact.ui.buildCompetitive', vscode.Uri.file(path.join(project, '.pact/contracts/counter/interface.json')));
    expect(client().requests[0]?.params).toEqual({
      command: 'pact.build',
      arguments: [{ project, component: 'counter', competitive: true, agents: 3 }],
    });
  });

  it("validates the project and leaves the verdict to the server's one message", async () => {
    FakeClient.respond = () => ({ passed: false, reason: 'Contract validation failed with 3 error(s)', errors: 3, warnings: 0 });
    await run('pact.ui.validate');
    expect(client().requests[0]?.params).toEqual({ command: 'pact.validate', arguments: [{ project }] });
    for (const toast of [
      vscode.window.showInformationMessage,
      vscode.window.showWarningMessage,
      vscode.window.showErrorMessage,
    ]) {
      expect(toast).not.toHaveBeenCalled();
    }
  });

  it('puts the status result in the status bar, silently', async () => {
    FakeClient.respond = () => ({ phase: 'integrate', status: 'active', total_cost_usd: 1.25, budget: 5 });
    await run('pact.ui.status');
    expect(client().requests[0]?.params).toEqual({ command: 'pact.status', arguments: [{ project }] });
    expect(status().text).toBe('$(pulse) Pact: integrate · $1.25/$5.00');
    expect(vscode.window.showInformationMessage).not.toHaveBeenCalled();
    expect(mock.outputs[0]?.shown).toBe(false);
  });

  it('reports a failing server command', async () => {
    FakeClient.respond = () => {
      throw new Error('no run in progress');
    };
    await run('pact.ui.stop');
    expect(vscode.window.showErrorMessage).toHaveBeenCalledWith('Pact: Stop run failed: no run in progress');
  });

  it('confirms a regeneration coming from a code lens (middleware)', async () => {
    const mw = client().clientOptions.middleware as {
      executeCommand: (cmd: string, args: unknown[], next: (c: string, a: unknown[]) => unknown) => Promise<unknown>;
    };
    const next = vi.fn(() => 'ok');
    expect(await mw.executeCommand('pact.regenerateTests', [{ project, component: 'counter' }], next)).toBeUndefined();
    expect(next).not.toHaveBeenCalled();
    vi.mocked(vscode.window.showWarningMessage).mockResolvedValueOnce('Regenerate' as never);
    expect(await mw.executeCommand('pact.regenerateTests', [{ project, component: 'counter' }], next)).toBe('ok');
    expect(next).toHaveBeenCalledWith('pact.regenerateTests', [{ project, component: 'counter', confirmed: true }]);
    expect(await mw.executeCommand('pact.build', [{ project, component: 'counter' }], next)).toBe('ok');
  });

  it('only syncs documents inside a Pact project', async () => {
    const mw = client().clientOptions.middleware as {
      didOpen: (d: unknown, next: (d: unknown) => Promise<void>) => Promise<void>;
      didChange: (e: unknown, next: (e: unknown) => Promise<void>) => Promise<void>;
    };
    const next = vi.fn(() => Promise.resolve());
    const inside = { uri: vscode.Uri.file(path.join(project, '.pact/contracts/counter/interface.json')) };
    const outside = { uri: vscode.Uri.file(path.join(tmp, 'elsewhere.py')) };
    await mw.didOpen(outside, next);
    await mw.didChange({ document: outside }, next);
    expect(next).not.toHaveBeenCalled();
    await mw.didOpen(inside, next);
    await mw.didChange({ document: inside }, next);
    expect(next).toHaveBeenCalledTimes(2);
  });

  it('answers workspace/configuration for the pact section in the server shape', async () => {
    const mw = client().clientOptions.middleware as {
      workspace: {
        configuration: (p: { items: { section?: string }[] }, t: unknown, next: () => unknown) => unknown;
      };
    };
    expect(await mw.workspace.configuration({ items: [{ section: 'pact' }] }, undefined, () => ['vscode'])).toEqual([
      { backend: 'replay', model: null, budget: null, trace: 'off' },
    ]);
    expect(
      await mw.workspace.configuration({ items: [{ section: 'pact.backend' }, { section: 'files' }] }, undefined, () => [
        'x',
        'files-config',
      ]),
    ).toEqual(['replay', 'files-config']);
  });

  it('shows progress of a server job in the status bar and cancels it on click', async () => {
    // What the language client's progress feature does when the server creates a token.
    const seen: unknown[] = [];
    client().onProgress(WorkDoneProgress.type, 'job-1', (v) => seen.push(v));
    const deliver = client().progressHandlers.get('job-1');
    if (!deliver) throw new Error('no progress handler');
    deliver({ kind: 'begin', title: 'Build counter', cancellable: true, percentage: 0 });
    deliver({ kind: 'report', message: 'attempt 1/3', percentage: 50 });
    expect(status().text).toBe('$(sync~spin) Pact: Build counter 50% · $0.42/$10.00');
    expect(status().command).toBe('pact.ui.cancelJob');
    expect(seen).toHaveLength(2); // the client's own progress UI still gets every value

    await run('pact.ui.cancelJob');
    expect(client().notifications).toContainEqual({
      method: 'window/workDoneProgress/cancel',
      params: { token: 'job-1' },
    });

    deliver({ kind: 'end' });
    expect(status().command).toBe('pact.ui.status');
    expect(status().text).toContain('Pact: implement');
    expect(c).toBeDefined();
  });

  it('offers to stop the run when no job can be cancelled', async () => {
    vi.mocked(vscode.window.showQuickPick).mockResolvedValueOnce('Stop the run in proj' as never);
    await run('pact.ui.cancelJob');
    expect(client().requests[0]?.params).toEqual({ command: 'pact.stop', arguments: [{ project }] });
  });
});

describe('settings changes', () => {
  beforeEach(async () => {
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
  });

  it('pushes backend, model, budget and trace to the server', async () => {
    mock.changeConfig({ 'pact.model': 'claude-opus-4-6', 'pact.budget': 3 });
    await vi.waitFor(() => {
      expect(client().notifications).toContainEqual({
        method: 'workspace/didChangeConfiguration',
        params: { settings: { pact: { backend: 'replay', model: 'claude-opus-4-6', budget: 3, trace: 'off' } } },
      });
    });
    await vi.waitFor(() => {
      expect(status().text).toBe('$(debug-pause) Pact: implement · $0.42/$3.00');
    });
  });

  it('restarts the server when the binary path changes', async () => {
    const first = client();
    const other = write('bin2/pact', '#!/bin/sh\n');
    fs.chmodSync(other, 0o755);
    mock.changeConfig({ 'pact.path': other });
    await vi.waitFor(() => {
      expect(FakeClient.instances).toHaveLength(2);
    });
    expect(first.stopped).toBe(true);
    expect(client().serverOptions).toMatchObject({ command: other, args: ['lsp'] });
  });
});

describe('projects appearing later', () => {
  it('starts the server when a pact.yaml is created', async () => {
    mock.markers = [];
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
    expect(FakeClient.instances).toHaveLength(0);
    mock.markers = [path.join(project, 'pact.yaml')];
    const watcher = mock.watchers[0];
    if (!watcher) throw new Error('no watcher');
    watcher.created.fire(MockUri.file(path.join(project, 'pact.yaml')));
    await vi.waitFor(() => {
      expect(FakeClient.instances).toHaveLength(1);
    });
    expect(mock.contexts.get('pact.active')).toBe(true);
  });
});

describe('the status bar counts the gate\'s findings', () => {
  const err = (code: string) => ({ severity: DiagnosticSeverity.Error, source: 'pact', code, message: code });
  const warn = (code: string) => ({ severity: DiagnosticSeverity.Warning, source: 'pact', code, message: code });

  it('as pact validate: Pact errors and warnings of this project, not test failures or other sources', async () => {
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
    expect(status().text).toBe('$(debug-pause) Pact: implement · $0.42/$10.00');
    mock.setDiagnostics(path.join(project, '.pact/contracts/counter/interface.json'), [
      err('unresolved-type'),
      err('unresolved-type'),
      warn('toothless-test'),
      { severity: DiagnosticSeverity.Error, source: 'json', code: 'x', message: 'other extension' },
    ]);
    mock.setDiagnostics(path.join(project, '.pact/contracts/counter/tests/contract_test.py'), [
      { ...err('test-failed'), code: { value: 'test-failed' } },
      err('test-syntax'),
    ]);
    mock.setDiagnostics(path.join(tmp, 'elsewhere', 'interface.json'), [err('unresolved-type')]);
    expect(status().text).toBe('$(debug-pause) Pact: implement · $0.42/$10.00 · $(error) 3 $(warning) 1');
    expect(status().accessibilityInformation?.label).toBe('Pact: implement · $0.42/$10.00, 3 errors, 1 warning');
    expect(status().tooltip).toContain('Findings (as pact validate): 3 errors, 1 warning');

    mock.setDiagnostics(path.join(project, '.pact/contracts/counter/interface.json'), []);
    mock.setDiagnostics(path.join(project, '.pact/contracts/counter/tests/contract_test.py'), []);
    expect(status().text).toBe('$(debug-pause) Pact: implement · $0.42/$10.00');
  });
});

describe('the server log, each line once', () => {
  beforeEach(async () => {
    await activate({ subscriptions: [] } as unknown as vscode.ExtensionContext);
  });

  function stderr(text: string): Promise<void> {
    const opts = client().clientOptions.stdioOptions as { stderr: (input: Readable, ch: unknown) => void };
    const input = Readable.from([text]);
    const done = new Promise<void>((ok) => input.on('close', ok));
    opts.stderr(input, mock.outputs[0]);
    return done.then(() => new Promise((ok) => setTimeout(ok, 10)));
  }

  it('has one output channel, for the log and the trace', () => {
    expect(mock.outputs).toHaveLength(1);
    expect(client().clientOptions.outputChannel).toBe(mock.outputs[0]);
    expect(client().clientOptions.traceOutputChannel).toBeUndefined();
  });

  it('writes stderr at trace level, never as errors; a panic is an error', async () => {
    const lines = mock.outputs[0]!.lines;
    lines.length = 0;
    await deactivateLater(async () => {
      await stderr('2026-01-01T00:00:00Z  INFO indexed 1 project\nthread \'tokio\' panicked at src/x.rs:1:1:\n');
    });
    expect(lines).toContain('[trace] [stderr] 2026-01-01T00:00:00Z  INFO indexed 1 project');
    expect(lines).toContain("[error] pact lsp: thread 'tokio' panicked at src/x.rs:1:1:");
    expect(lines.filter((l) => l.startsWith('[error]') && l.includes('INFO indexed'))).toEqual([]);
  });

  it('shows the last stderr lines when the server exits unasked, not when stopped', async () => {
    const lines = mock.outputs[0]!.lines;
    await stderr('some last words\n');
    expect(lines.some((l) => l.startsWith('[error] pact lsp stopped unexpectedly') && l.includes('some last words'))).toBe(true);
    lines.length = 0;
    await deactivateLater(async () => {
      await stderr('bye\n');
    });
    expect(lines.some((l) => l.includes('stopped unexpectedly'))).toBe(false);
  });

  it('leaves window/logMessage out of the message trace (its text is in the log already)', () => {
    const c = client() as unknown as { trace(m: string, d?: unknown): void; traced: string[] };
    c.trace("Received notification 'window/logMessage'.", { type: 3, message: 'indexed' });
    c.trace("Received notification 'textDocument/publishDiagnostics'.", {});
    expect(c.traced).toEqual(["Received notification 'textDocument/publishDiagnostics'."]);
  });
});

/** Runs `f` as the extension stops the server (so its stderr closing is expected). */
async function deactivateLater(f: () => Promise<void>): Promise<void> {
  const stopping = deactivate();
  await f();
  await stopping;
}
