// The glue between VS Code and the pure modules: starts `pact lsp` through vscode-languageclient
// once the workspace holds a Pact project, registers the commands, keeps the status bar item
// up to date, and forwards settings. Unit-tested with mocked `vscode` and language client.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  State,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  type Disposable as LspDisposable,
  type LanguageClientOptions,
  type NotificationHandler,
  type ProgressType,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { resolveBinary, serverArgs, type BinaryEnv } from './binary';
import { COMMANDS, guardServerCommand, prepare, type CommandSpec, type Target, type Ui } from './commands';
import {
  componentFromPath,
  contractDirs,
  findProjectRoot,
  isComponentId,
  ROOT_MARKER_GLOB,
  rootOf,
  rootsFromMarkers,
} from './project';
import { exitReport, isLogMessageTrace, logStderrLine, StderrTail } from './serverlog';
import {
  changeAction,
  configurationItem,
  didChangeConfigurationParams,
  initializationOptions,
  readSettings,
  SECTION,
  type Settings,
} from './settings';
import {
  applyProgress,
  budgetFromPactYaml,
  cancellableJobs,
  countFindings,
  parseStatus,
  renderStatus,
  type FindingCounts,
  type Job,
  type ProgressValue,
  type RunStatus,
} from './status';

export const CLIENT_ID = 'pact';
export const CLIENT_NAME = 'Pact Language Server';
export const ACTIVE_CONTEXT = 'pact.active';

/** A language client that also reports every work-done progress to a listener (the status
 * bar), while the client's own progress UI (notification with a cancel button) stays as is. */
export class PactLanguageClient extends LanguageClient {
  progressListener: ((token: string | number, value: ProgressValue) => void) | undefined;

  override onProgress<P>(type: ProgressType<P>, token: string | number, handler: NotificationHandler<P>): LspDisposable {
    if ((type as unknown) !== WorkDoneProgress.type) {
      return super.onProgress(type, token, handler);
    }
    return super.onProgress(type, token, (value: P) => {
      this.progressListener?.(token, value as unknown as ProgressValue);
      return handler(value);
    });
  }

  /** The message trace without `window/logMessage` notifications: their text is in the log
   * already, at its level (see serverlog.ts). */
  override trace(message: string, data?: unknown): void {
    if (isLogMessageTrace(message)) return;
    super.trace(message, data);
  }
}

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const exists = (p: string): boolean => fs.existsSync(p);

export class Controller implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly statusItem: vscode.StatusBarItem;
  client: PactLanguageClient | undefined;
  private roots: string[] = [];
  private readonly jobs = new Map<string, Job>();
  private runStatus: RunStatus | undefined;
  private shownProject: string | undefined;
  private readonly disposables: { dispose(): unknown }[] = [];
  private starting: Promise<void> | undefined;
  /** Documents the server was told about (only files inside a Pact project are synced). */
  private readonly synced = new Set<string>();
  private missingBinaryShown = false;
  /** The gate's findings in the shown project (from the diagnostics; see `countFindings`). */
  private findings: FindingCounts | undefined;
  /** The last stderr lines of the running server, shown if it exits unasked. */
  private readonly stderrTail = new StderrTail();
  /** Set while the extension itself stops the server (restart, shutdown). */
  private stopping = false;

  constructor() {
    this.output = vscode.window.createOutputChannel('Pact', { log: true });
    this.statusItem = vscode.window.createStatusBarItem('pact.status', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'Pact';
    this.disposables.push(this.output, this.statusItem);
  }

  settings(): Settings {
    return readSettings(vscode.workspace.getConfiguration(SECTION));
  }

  async activate(): Promise<void> {
    this.registerCommands();
    this.watch();
    await this.discover();
  }

  // ---- projects ----------------------------------------------------------------------------

  /** Finds the workspace's project roots and starts the server if there is one. */
  async discover(): Promise<void> {
    const found = await vscode.workspace.findFiles(ROOT_MARKER_GLOB, '**/node_modules/**', 200);
    const file = this.activeFile();
    const extra = file ? findProjectRoot(file, exists) : undefined;
    this.roots = rootsFromMarkers(found.map((u) => u.fsPath));
    if (extra && !this.roots.includes(extra)) this.roots.push(extra);
    if (this.roots.length === 0) {
      void vscode.commands.executeCommand('setContext', ACTIVE_CONTEXT, false);
      this.statusItem.hide();
      return;
    }
    void vscode.commands.executeCommand('setContext', ACTIVE_CONTEXT, true);
    await this.refreshStatus();
    await this.ensureStarted();
  }

  private activeFile(): string | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    return doc?.uri.scheme === 'file' ? doc.uri.fsPath : undefined;
  }

  /** The project the status bar describes: the active file's, else the first. */
  currentProject(): string | undefined {
    const file = this.activeFile();
    const own = file ? (rootOf(file, this.roots) ?? findProjectRoot(file, exists)) : undefined;
    return own ?? this.roots[0];
  }

  private async components(root: string): Promise<string[]> {
    const names = new Set<string>();
    for (const dir of contractDirs(root)) {
      try {
        for (const e of await fs.promises.readdir(dir, { withFileTypes: true })) {
          if (e.isDirectory() && isComponentId(e.name)) names.add(e.name);
        }
      } catch {
        // layout not used by this project
      }
    }
    return [...names].sort();
  }

  // ---- the language server -----------------------------------------------------------------

  ensureStarted(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private binaryEnv(): BinaryEnv {
    return {
      platform: process.platform,
      pathEnv: process.env.PATH,
      pathExt: process.env.PATHEXT,
      home: os.homedir(),
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      isExecutable,
    };
  }

  private async start(): Promise<void> {
    const settings = this.settings();
    const bin = resolveBinary(settings.path, this.binaryEnv());
    if (!bin.ok) {
      this.output.appendLine(bin.message);
      if (!this.missingBinaryShown) {
        this.missingBinaryShown = true;
        // Not awaited: activation must not wait for the user to dismiss the message.
        void vscode.window.showErrorMessage(bin.message, 'Open Settings', 'Show Log').then((choice) => {
          if (choice === 'Open Settings') {
            void vscode.commands.executeCommand('workbench.action.openSettings', 'pact.path');
          } else if (choice === 'Show Log') {
            this.output.show(true);
          }
        });
      }
      return;
    }
    this.missingBinaryShown = false;
    this.output.appendLine(`Starting ${bin.path} ${serverArgs().join(' ')} (found via ${bin.source})`);
    // No `transport`: with TransportKind.stdio the client would append `--stdio` to the
    // arguments, which `pact lsp` does not take. Without it the server still speaks over stdio.
    const serverOptions: ServerOptions = {
      command: bin.path,
      args: serverArgs(),
      options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath },
    };
    this.stopping = false;
    const client = new PactLanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, this.clientOptions(settings));
    client.progressListener = (token, value) => {
      applyProgress(this.jobs, token, value);
      this.render();
      if (value.kind === 'end') void this.refreshStatus();
    };
    this.disposables.push(
      client.onDidChangeState((e) => {
        if (e.newState === State.Stopped) {
          this.jobs.clear();
          this.synced.clear();
          this.render();
        }
      }),
    );
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      this.output.appendLine(`The language server failed to start: ${String(err)}`);
      void vscode.window
        .showErrorMessage(
          `Pact: "${bin.path} lsp" failed to start (${errorText(err)}). Is the binary recent enough to have "pact lsp"?`,
          'Show Log',
        )
        .then((c) => c === 'Show Log' && this.output.show(true));
    }
  }

  clientOptions(settings: Settings): LanguageClientOptions {
    const languages = ['json', 'jsonc', 'python', 'typescript', 'javascript', 'yaml'];
    const keep = (doc: vscode.TextDocument): boolean => this.synced.has(doc.uri.toString());
    return {
      documentSelector: [
        ...languages.map((language) => ({ scheme: 'file', language })),
        { scheme: 'file', pattern: '**/pact.yaml' },
      ],
      initializationOptions: initializationOptions(settings),
      // One channel for the log and the trace (no `traceOutputChannel`).
      outputChannel: this.output,
      // The server's log arrives as `window/logMessage`; stderr is not echoed as errors.
      stdioOptions: {
        stdout: (input) => this.pipeLines(input, (line) => this.output.info(line)),
        stderr: (input) => this.pipeStderr(input),
      },
      middleware: {
        // Only files inside a Pact project go to the server.
        didOpen: (doc, next) => {
          if (doc.uri.scheme !== 'file' || !findProjectRoot(doc.uri.fsPath, exists)) return Promise.resolve();
          this.synced.add(doc.uri.toString());
          return next(doc);
        },
        didChange: (e, next) => (keep(e.document) ? next(e) : Promise.resolve()),
        didSave: (doc, next) => (keep(doc) ? next(doc) : Promise.resolve()),
        didClose: (doc, next) => {
          if (!keep(doc)) return Promise.resolve();
          this.synced.delete(doc.uri.toString());
          return next(doc);
        },
        executeCommand: async (command, args, next) => {
          const guarded = await guardServerCommand(command, args, this.ui());
          if (!guarded) return undefined;
          const result: unknown = await next(command, guarded);
          void this.refreshStatus();
          return result;
        },
        workspace: {
          configuration: (params, token, next) => {
            const s = this.settings();
            const own = params.items.map((i) => configurationItem(i.section, s));
            if (params.items.every((i) => i.section === SECTION || i.section?.startsWith(SECTION + '.'))) {
              return own;
            }
            return Promise.resolve(next(params, token)).then((theirs) =>
              Array.isArray(theirs)
                ? theirs.map((v: unknown, i) => (own[i] !== undefined ? own[i] : v))
                : theirs,
            );
          },
        },
      },
    };
  }

  private pipeLines(input: Readable, onLine: (line: string) => void): readline.Interface {
    const lines = readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 });
    lines.on('line', onLine);
    return lines;
  }

  /** One server process's stderr (see serverlog.ts). */
  pipeStderr(input: Readable): void {
    this.stderrTail.take();
    this.pipeLines(input, (line) => logStderrLine(this.output, this.stderrTail, line)).on('close', () => {
      const report = exitReport(this.stderrTail, this.stopping);
      if (report) this.output.error(report);
    });
  }

  async restart(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    this.jobs.clear();
    this.synced.clear();
    if (old) await this.stopClient(old);
    if (this.roots.length > 0) await this.ensureStarted();
    this.render();
  }

  // ---- commands ----------------------------------------------------------------------------

  ui(): Ui {
    return {
      pick: (items, placeHolder) => Promise.resolve(vscode.window.showQuickPick(items, { placeHolder })),
      input: (prompt, value, validate) =>
        Promise.resolve(vscode.window.showInputBox({ prompt, value, validateInput: validate })),
      confirm: async (message, action) =>
        (await vscode.window.showWarningMessage(message, { modal: true }, action)) === action,
      error: (message) => void vscode.window.showErrorMessage(message),
    };
  }

  private target(arg: unknown): Target {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    return {
      file: uri?.scheme === 'file' ? uri.fsPath : undefined,
      rootOfFile: (file) => rootOf(file, this.roots) ?? findProjectRoot(file, exists),
      roots: () => Promise.resolve([...this.roots]),
      componentOf: componentFromPath,
      components: (root) => this.components(root),
    };
  }

  /** Runs one UI command: asks what is missing, sends `workspace/executeCommand`, reports. */
  async run(spec: CommandSpec, arg?: unknown): Promise<unknown> {
    const prepared = await prepare(spec, this.target(arg), this.ui());
    if (!prepared) return undefined;
    await this.ensureStarted();
    const client = this.client;
    if (!client?.isRunning()) {
      const choice = await vscode.window.showErrorMessage(
        `${spec.title}: the Pact language server is not running.`,
        'Show Log',
      );
      if (choice === 'Show Log') this.output.show(true);
      return undefined;
    }
    try {
      const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
        command: prepared.command,
        arguments: prepared.arguments,
      });
      this.report(spec, result);
      return result;
    } catch (err) {
      void vscode.window.showErrorMessage(`${spec.title} failed: ${errorText(err)}`);
      return undefined;
    } finally {
      void this.refreshStatus(prepared.arguments[0].project);
    }
  }

  /**
   * Takes what the status bar can use from a command's answer, silently: the server sends the
   * one message of every command outcome (`window/showMessage`: a job's end or refusal, the
   * validation verdict, the status), so the extension shows none of its own for it.
   */
  private report(spec: CommandSpec, result: unknown): void {
    if (spec.server === 'pact.status') {
      const parsed = parseStatus(result);
      if (parsed.phase !== undefined || parsed.spend !== undefined) {
        this.runStatus = { ...this.runStatus, ...parsed };
        this.render();
      }
    }
  }

  /** The status bar's cancel action: cancel the running job (or pick one), else stop the run. */
  async cancelJob(): Promise<void> {
    const client = this.client;
    const cancellable = cancellableJobs([...this.jobs.values()]);
    const project = this.currentProject();
    const stop = project ? `Stop the run in ${path.basename(project)}` : undefined;
    let job: Job | undefined;
    if (cancellable.length === 1 && this.jobs.size === 1) {
      job = cancellable[0];
    } else {
      const items = [...cancellable.map((j) => `Cancel: ${j.title}`), ...(stop ? [stop] : [])];
      if (items.length === 0) return;
      const choice = await vscode.window.showQuickPick(items, { placeHolder: 'Pact: cancel what?' });
      if (!choice) return;
      if (choice === stop) {
        const spec = COMMANDS.find((c) => c.server === 'pact.stop');
        if (spec) await this.run(spec);
        return;
      }
      job = cancellable[items.indexOf(choice)];
    }
    if (job && client) {
      await client.sendNotification(WorkDoneProgressCancelNotification.type, { token: job.raw });
      this.output.appendLine(`Cancel requested: ${job.title}`);
    }
  }

  private registerCommands(): void {
    const reg = (id: string, fn: (...args: unknown[]) => unknown): void => {
      this.disposables.push(vscode.commands.registerCommand(id, fn));
    };
    for (const spec of COMMANDS) {
      reg(spec.id, (arg) => this.run(spec, arg));
    }
    reg('pact.ui.cancelJob', () => this.cancelJob());
    reg('pact.ui.showOutput', () => this.output.show(true));
    reg('pact.ui.restartServer', () => this.restart());
  }

  // ---- status bar --------------------------------------------------------------------------

  /** Re-reads the run status of `project` (default: the current one) for the status bar. */
  async refreshStatus(project: string | undefined = this.currentProject()): Promise<void> {
    if (!project) {
      this.statusItem.hide();
      return;
    }
    let status: RunStatus = {};
    try {
      status = parseStatus(JSON.parse(await fs.promises.readFile(path.join(project, '.pact', 'state.json'), 'utf8')));
    } catch {
      // no run yet
    }
    const budget = this.settings().budget;
    if (budget !== undefined) {
      status.budget = budget;
    } else if (status.budget === undefined) {
      try {
        status.budget = budgetFromPactYaml(await fs.promises.readFile(path.join(project, 'pact.yaml'), 'utf8'));
      } catch {
        // no pact.yaml
      }
    }
    this.runStatus = status;
    this.shownProject = project;
    this.findings = this.countFindings(project);
    this.render();
  }

  /** The gate's findings in `project` among the diagnostics VS Code holds (see `countFindings`). */
  countFindings(project: string | undefined = this.shownProject): FindingCounts | undefined {
    if (!project || !this.client) return undefined;
    const entries = vscode.languages
      .getDiagnostics()
      .map(([uri, diagnostics]) => [uri.scheme === 'file' ? uri.fsPath : undefined, diagnostics] as const);
    const roots = this.roots.includes(project) ? this.roots : [...this.roots, project];
    return countFindings(entries, (file) => rootOf(file, roots) === project);
  }

  private onDiagnostics(): void {
    if (this.shownProject === undefined) return;
    const counts = this.countFindings();
    const same = counts?.errors === this.findings?.errors && counts?.warnings === this.findings?.warnings;
    if (same) return;
    this.findings = counts;
    this.render();
  }

  render(): void {
    if (this.roots.length === 0) {
      this.statusItem.hide();
      return;
    }
    const view = renderStatus(this.runStatus, [...this.jobs.values()], this.shownProject, this.findings);
    this.statusItem.text = view.text;
    this.statusItem.tooltip = view.tooltip;
    this.statusItem.accessibilityInformation = { label: view.ariaLabel };
    this.statusItem.command = view.command;
    this.statusItem.backgroundColor =
      view.background === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.background === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.statusItem.show();
  }

  // ---- events ------------------------------------------------------------------------------

  private watch(): void {
    const markers = vscode.workspace.createFileSystemWatcher(ROOT_MARKER_GLOB);
    const rediscover = (): void => void this.discover();
    markers.onDidCreate(rediscover);
    markers.onDidDelete(rediscover);
    markers.onDidChange(() => void this.refreshStatus());
    this.disposables.push(
      markers,
      vscode.window.onDidChangeActiveTextEditor(() => {
        const file = this.activeFile();
        if (file && !rootOf(file, this.roots) && findProjectRoot(file, exists)) {
          void this.discover();
        } else {
          void this.refreshStatus();
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => void this.onConfigurationChanged(e)),
      vscode.languages.onDidChangeDiagnostics(() => {
        this.onDiagnostics();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.discover()),
    );
  }

  async onConfigurationChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    switch (changeAction((s) => e.affectsConfiguration(s))) {
      case 'restart':
        await this.restart();
        break;
      case 'notify':
        if (this.client?.isRunning()) {
          await this.client.sendNotification(
            DidChangeConfigurationNotification.type,
            didChangeConfigurationParams(this.settings()),
          );
        }
        await this.refreshStatus();
        break;
      case 'none':
        break;
    }
  }

  async dispose(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    if (client) await this.stopClient(client);
  }

  /** Stops a client; one that never started (or already stopped) is fine. */
  private async stopClient(client: PactLanguageClient): Promise<void> {
    if (!client.needsStop()) return;
    this.stopping = true;
    try {
      await client.stop();
    } catch (err) {
      this.output.appendLine(`Stopping the language server: ${errorText(err)}`);
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
