// A small stand-in for VS Code's extension host API, enough to run the packaged bundle
// (dist/extension.js, with the real vscode-languageclient inside) against a real language
// server process. VS Code itself cannot run in CI; this exercises everything but the UI.
//
// `host` (exported as `__host`) lets the test open documents, read diagnostics, the status bar,
// messages, and answer prompts. Anything not modelled falls back to inert stubs.
'use strict';

const path = require('node:path');
const fs = require('node:fs');

// ---- basics --------------------------------------------------------------------------------

class Disposable {
  constructor(fn) {
    this._fn = fn;
  }
  static from(...ds) {
    return new Disposable(() => ds.forEach((d) => d && d.dispose && d.dispose()));
  }
  dispose() {
    if (this._fn) this._fn();
    this._fn = undefined;
  }
}

class EventEmitter {
  constructor() {
    this._listeners = new Set();
    this.event = (listener, thisArg, disposables) => {
      const l = thisArg ? listener.bind(thisArg) : listener;
      this._listeners.add(l);
      const d = new Disposable(() => this._listeners.delete(l));
      if (Array.isArray(disposables)) disposables.push(d);
      return d;
    };
  }
  fire(e) {
    for (const l of [...this._listeners]) l(e);
  }
  dispose() {
    this._listeners.clear();
  }
}

class CancellationTokenSource {
  constructor() {
    const emitter = new EventEmitter();
    this._emitter = emitter;
    this.token = { isCancellationRequested: false, onCancellationRequested: emitter.event };
  }
  cancel() {
    this.token.isCancellationRequested = true;
    this._emitter.fire(undefined);
  }
  dispose() {}
}

class CancellationError extends Error {}

class Uri {
  constructor(scheme, authority, p, query, fragment) {
    this.scheme = scheme;
    this.authority = authority || '';
    this.path = p || '';
    this.query = query || '';
    this.fragment = fragment || '';
  }
  static file(p) {
    return new Uri('file', '', path.resolve(p));
  }
  static parse(s) {
    const m = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(s);
    if (!m) return new Uri('file', '', s);
    return new Uri(m[1], m[2], decodeURIComponent(m[3]), m[4], m[5]);
  }
  static joinPath(base, ...parts) {
    return base.with({ path: path.posix.join(base.path, ...parts) });
  }
  get fsPath() {
    return this.path;
  }
  with(change) {
    return new Uri(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }
  toString() {
    const p = this.path.split('/').map(encodeURIComponent).join('/');
    return `${this.scheme}://${this.authority}${p}${this.query ? '?' + this.query : ''}${this.fragment ? '#' + this.fragment : ''}`;
  }
  toJSON() {
    return { scheme: this.scheme, path: this.path, fsPath: this.fsPath };
  }
}

class Position {
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }
  isBefore(o) {
    return this.line < o.line || (this.line === o.line && this.character < o.character);
  }
  isEqual(o) {
    return this.line === o.line && this.character === o.character;
  }
  translate(dl = 0, dc = 0) {
    return new Position(this.line + dl, this.character + dc);
  }
}

class Range {
  constructor(a, b, c, d) {
    if (typeof a === 'number') {
      this.start = new Position(a, b);
      this.end = new Position(c, d);
    } else {
      this.start = a;
      this.end = b;
    }
  }
  get isEmpty() {
    return this.start.isEqual(this.end);
  }
}

class Location {
  constructor(uri, rangeOrPosition) {
    this.uri = uri;
    this.range = rangeOrPosition;
  }
}

const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };
const DiagnosticTag = { Unnecessary: 1, Deprecated: 2 };

class Diagnostic {
  constructor(range, message, severity = DiagnosticSeverity.Error) {
    this.range = range;
    this.message = message;
    this.severity = severity;
  }
}

class DiagnosticRelatedInformation {
  constructor(location, message) {
    this.location = location;
    this.message = message;
  }
}

class MarkdownString {
  constructor(value = '', supportThemeIcons = false) {
    this.value = value;
    this.supportThemeIcons = supportThemeIcons;
  }
  appendMarkdown(v) {
    this.value += v;
    return this;
  }
  appendText(v) {
    this.value += v;
    return this;
  }
  appendCodeblock(v, lang = '') {
    this.value += '\n```' + lang + '\n' + v + '\n```\n';
    return this;
  }
}

class CodeActionKind {
  constructor(value) {
    this.value = value;
  }
  append(part) {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other) {
    return this.value === other.value || other.value.startsWith(this.value + '.');
  }
  intersects(other) {
    return this.contains(other) || other.contains(this);
  }
}
for (const [k, v] of Object.entries({
  Empty: '',
  QuickFix: 'quickfix',
  Refactor: 'refactor',
  RefactorExtract: 'refactor.extract',
  RefactorInline: 'refactor.inline',
  RefactorRewrite: 'refactor.rewrite',
  Source: 'source',
  SourceOrganizeImports: 'source.organizeImports',
  SourceFixAll: 'source.fixAll',
  Notebook: 'notebook',
})) {
  CodeActionKind[k] = new CodeActionKind(v);
}

class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}

/** A class for any API type not modelled here (the client only extends or instantiates it). */
function genericClass(name) {
  const C = class {
    constructor(...args) {
      this.__args = args;
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  return C;
}

// ---- documents -----------------------------------------------------------------------------

class TextDocument {
  constructor(uri, languageId, text) {
    this.uri = uri;
    this.fileName = uri.fsPath;
    this.languageId = languageId;
    this.version = 1;
    this.isDirty = false;
    this.isClosed = false;
    this.isUntitled = false;
    this.eol = 1;
    this._text = text;
  }
  getText() {
    return this._text;
  }
  get lineCount() {
    return this._text.split('\n').length;
  }
  save() {
    return Promise.resolve(true);
  }
}

// ---- host state ------------------------------------------------------------------------------

const host = {
  config: {},
  workspaceFolders: [],
  documents: [],
  commands: new Map(),
  contexts: new Map(),
  messages: [],
  /** Answers to showQuickPick / showInputBox / show*Message with items, in order. */
  answers: [],
  statusItems: [],
  outputs: [],
  diagnostics: new Map(),
  /** The log level new output channels start at (LogLevel: Trace 1, Debug 2, Info 3). */
  outputLogLevel: 2,
  /** Code lens providers the language client registered: `{selector, provider}`. */
  codeLensProviders: [],
  progress: [],
  events: {
    open: new EventEmitter(),
    close: new EventEmitter(),
    change: new EventEmitter(),
    save: new EventEmitter(),
    config: new EventEmitter(),
    editor: new EventEmitter(),
    diagnostics: new EventEmitter(),
  },
  activeTextEditor: undefined,

  openDocument(file, languageId) {
    const doc = new TextDocument(Uri.file(file), languageId, fs.readFileSync(file, 'utf8'));
    this.documents.push(doc);
    this.activeTextEditor = { document: doc };
    this.events.open.fire(doc);
    this.events.editor.fire(this.activeTextEditor);
    return doc;
  },
  changeDocument(doc, text) {
    const old = doc._text;
    doc._text = text;
    doc.version += 1;
    const lines = old.split('\n');
    const end = new Position(lines.length - 1, lines[lines.length - 1].length);
    this.events.change.fire({
      document: doc,
      contentChanges: [{ range: new Range(new Position(0, 0), end), rangeOffset: 0, rangeLength: old.length, text }],
      reason: undefined,
    });
  },
  diagnosticsFor(file) {
    return this.diagnostics.get(Uri.file(file).toString()) || [];
  },
  answer() {
    return Promise.resolve(this.answers.shift());
  },
};

// ---- namespaces ----------------------------------------------------------------------------

const stubFn = () => new Disposable();

/** A namespace whose unknown members are inert functions returning a Disposable. */
function namespace(obj) {
  return new Proxy(obj, {
    get(target, prop) {
      if (prop in target) return target[prop];
      if (typeof prop === 'symbol') return undefined;
      return stubFn;
    },
  });
}

function outputChannel(name) {
  const lines = [];
  const channel = {
    name,
    lines,
    logLevel: host.outputLogLevel,
    onDidChangeLogLevel: new EventEmitter().event,
    append: (s) => lines.push(s),
    appendLine: (s) => lines.push(s),
    replace: (s) => lines.splice(0, lines.length, s),
    clear: () => lines.splice(0),
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
  };
  for (const level of ['trace', 'debug', 'info', 'warn', 'error']) {
    channel[level] = (m, ...rest) => lines.push(`[${level}] ${m instanceof Error ? m.message : m}${rest.length ? ' ' + JSON.stringify(rest) : ''}`);
  }
  host.outputs.push(channel);
  return channel;
}

const window = namespace({
  get activeTextEditor() {
    return host.activeTextEditor;
  },
  get visibleTextEditors() {
    return host.activeTextEditor ? [host.activeTextEditor] : [];
  },
  tabGroups: { all: [], onDidChangeTabs: stubFn, onDidChangeTabGroups: stubFn },
  onDidChangeActiveTextEditor: host.events.editor.event,
  onDidChangeVisibleTextEditors: stubFn,
  createOutputChannel: (name) => outputChannel(name),
  createStatusBarItem: (id, alignment, priority) => {
    let text = '';
    const item = { id, alignment, priority, tooltip: '', command: undefined, visible: false, history: [] };
    Object.defineProperty(item, 'text', {
      get: () => text,
      set: (v) => {
        text = v;
        item.history.push(v);
      },
    });
    item.show = () => (item.visible = true);
    item.hide = () => (item.visible = false);
    item.dispose = () => (item.visible = false);
    host.statusItems.push(item);
    return item;
  },
  showInformationMessage: (msg, ...items) => (host.messages.push({ level: 'info', msg, items }), host.answer()),
  showWarningMessage: (msg, ...items) => (host.messages.push({ level: 'warning', msg, items }), host.answer()),
  showErrorMessage: (msg, ...items) => (host.messages.push({ level: 'error', msg, items }), host.answer()),
  showQuickPick: (items, options) => (host.messages.push({ level: 'pick', items, options }), host.answer()),
  showInputBox: (options) => (host.messages.push({ level: 'input', options }), host.answer()),
  withProgress: (options, task) => {
    const entry = { options, reports: [] };
    host.progress.push(entry);
    const source = new CancellationTokenSource();
    entry.cancel = () => source.cancel();
    return Promise.resolve(task({ report: (v) => entry.reports.push(v) }, source.token)).finally(() => {
      entry.done = true;
    });
  },
  showTextDocument: () => Promise.resolve(undefined),
});

function configuration(section) {
  const full = (key) => (section ? `${section}.${key}` : key);
  return {
    get: (key, dflt) => (full(key) in host.config ? host.config[full(key)] : dflt),
    has: (key) => full(key) in host.config,
    inspect: () => undefined,
    update: (key, value) => {
      host.config[full(key)] = value;
      return Promise.resolve();
    },
  };
}

const workspace = namespace({
  get workspaceFolders() {
    return host.workspaceFolders.map((p, index) => ({ uri: Uri.file(p), name: path.basename(p), index }));
  },
  get textDocuments() {
    return host.documents;
  },
  notebookDocuments: [],
  getConfiguration: configuration,
  getWorkspaceFolder: (uri) => {
    const f = host.workspaceFolders.find((p) => uri.fsPath.startsWith(p + path.sep));
    return f ? { uri: Uri.file(f), name: path.basename(f), index: 0 } : undefined;
  },
  findFiles: () => {
    const found = [];
    const walk = (dir, depth) => {
      if (depth > 6) return;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== 'node_modules') walk(p, depth + 1);
        else if (e.name === 'pact.yaml' || (e.name === 'state.json' && path.basename(dir) === '.pact')) {
          found.push(Uri.file(p));
        }
      }
    };
    host.workspaceFolders.forEach((f) => walk(f, 0));
    return Promise.resolve(found);
  },
  createFileSystemWatcher: () => ({
    onDidCreate: stubFn,
    onDidChange: stubFn,
    onDidDelete: stubFn,
    dispose: () => undefined,
  }),
  onDidOpenTextDocument: host.events.open.event,
  onDidCloseTextDocument: host.events.close.event,
  onDidChangeTextDocument: host.events.change.event,
  onDidSaveTextDocument: host.events.save.event,
  onWillSaveTextDocument: stubFn,
  onDidChangeConfiguration: host.events.config.event,
  onDidChangeWorkspaceFolders: stubFn,
  applyEdit: () => Promise.resolve(true),
});

function matchSelector(selector, doc) {
  const selectors = Array.isArray(selector) ? selector : [selector];
  for (const s of selectors) {
    if (typeof s === 'string') {
      if (s === doc.languageId || s === '*') return 10;
      continue;
    }
    if (s.scheme && s.scheme !== doc.uri.scheme) continue;
    if (s.language && s.language !== doc.languageId && s.language !== '*') continue;
    if (s.pattern) {
      const glob = typeof s.pattern === 'string' ? s.pattern : s.pattern.pattern;
      const name = glob.replace(/^\*\*\//, '');
      if (!doc.uri.fsPath.endsWith('/' + name)) continue;
    }
    return 10;
  }
  return 0;
}

const languages = namespace({
  match: matchSelector,
  registerCodeLensProvider: (selector, provider) => {
    host.codeLensProviders.push({ selector, provider });
    return new Disposable(() => host.codeLensProviders.splice(host.codeLensProviders.findIndex((p) => p.provider === provider), 1));
  },
  getDiagnostics: () => [...host.diagnostics].map(([u, d]) => [Uri.parse(u), d]),
  onDidChangeDiagnostics: host.events.diagnostics.event,
  createDiagnosticCollection: (name) => {
    const collection = {
      name,
      set: (uri, diags) => {
        if (Array.isArray(uri)) {
          for (const [u, d] of uri) host.diagnostics.set(u.toString(), d || []);
        } else {
          host.diagnostics.set(uri.toString(), diags || []);
        }
        host.events.diagnostics.fire({ uris: Array.isArray(uri) ? uri.map(([u]) => u) : [uri] });
      },
      delete: (uri) => {
        host.diagnostics.delete(uri.toString());
        host.events.diagnostics.fire({ uris: [uri] });
      },
      clear: () => {
        host.diagnostics.clear();
        host.events.diagnostics.fire({ uris: [] });
      },
      get: (uri) => host.diagnostics.get(uri.toString()),
      has: (uri) => host.diagnostics.has(uri.toString()),
      forEach: (fn) => host.diagnostics.forEach((d, u) => fn(Uri.parse(u), d, collection)),
      dispose: () => undefined,
    };
    return collection;
  },
});

const commands = namespace({
  registerCommand: (id, fn) => {
    if (host.commands.has(id)) throw new Error(`command '${id}' already exists`);
    host.commands.set(id, fn);
    return new Disposable(() => host.commands.delete(id));
  },
  executeCommand: (id, ...args) => {
    if (id === 'setContext') {
      host.contexts.set(args[0], args[1]);
      return Promise.resolve();
    }
    const fn = host.commands.get(id);
    return Promise.resolve(fn ? fn(...args) : undefined);
  },
  getCommands: () => Promise.resolve([...host.commands.keys()]),
});

const env = namespace({
  language: 'en',
  appName: 'Fake Code',
  appRoot: '/',
  machineId: 'test',
  sessionId: 'test',
  uiKind: 1,
  openExternal: () => Promise.resolve(true),
});

const known = {
  version: '1.91.0',
  Disposable,
  EventEmitter,
  CancellationTokenSource,
  CancellationError,
  Uri,
  Position,
  Range,
  Location,
  Diagnostic,
  DiagnosticSeverity,
  DiagnosticTag,
  DiagnosticRelatedInformation,
  MarkdownString,
  CodeActionKind,
  ThemeColor,
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  TextDocumentSaveReason: { Manual: 1, AfterDelay: 2, FocusOut: 3 },
  CompletionItemKind: new Proxy({}, { get: (_, k) => (typeof k === 'string' ? 0 : undefined) }),
  SymbolKind: new Proxy({}, { get: (_, k) => (typeof k === 'string' ? 0 : undefined) }),
  window,
  workspace,
  languages,
  commands,
  env,
  extensions: namespace({ all: [], getExtension: () => undefined }),
  __host: host,
};

// Classes the language client extends or instantiates; named up front because bundlers copy
// the module's own keys (`__importStar`).
for (const name of [
  'CallHierarchyIncomingCall',
  'CallHierarchyItem',
  'CallHierarchyOutgoingCall',
  'CodeAction',
  'CodeLens',
  'Color',
  'ColorInformation',
  'ColorPresentation',
  'CompletionItem',
  'CompletionList',
  'DocumentHighlight',
  'DocumentLink',
  'DocumentSymbol',
  'FoldingRange',
  'Hover',
  'InlayHint',
  'InlayHintLabelPart',
  'InlineCompletionItem',
  'InlineCompletionList',
  'InlineValueEvaluatableExpression',
  'InlineValueText',
  'InlineValueVariableLookup',
  'LinkedEditingRanges',
  'LocationLink',
  'ParameterInformation',
  'RelativePattern',
  'SelectionRange',
  'SemanticTokens',
  'SemanticTokensEdit',
  'SemanticTokensEdits',
  'SemanticTokensLegend',
  'SignatureHelp',
  'SignatureInformation',
  'SnippetString',
  'SnippetTextEdit',
  'SymbolInformation',
  'TextEdit',
  'TypeHierarchyItem',
  'WorkspaceEdit',
  'TabInputText',
  'TabInputTextDiff',
  'TabInputNotebook',
  'TabInputCustom',
  'NotebookCellKind',
]) {
  known[name] = genericClass(name);
}
for (const name of ['CompletionItemTag', 'DocumentHighlightKind', 'FoldingRangeKind', 'InlayHintKind', 'SymbolTag',
  'CodeActionTriggerKind', 'CompletionTriggerKind', 'SignatureHelpTriggerKind', 'InlineCompletionTriggerKind', 'FileType']) {
  known[name] = new Proxy({}, { get: (_, k) => (typeof k === 'string' ? 1 : undefined) });
}

module.exports = new Proxy(known, {
  get(target, prop) {
    if (prop in target) return target[prop];
    if (typeof prop !== 'string' || prop === '__esModule' || prop === 'then') return undefined;
    // Enums and classes not modelled: a class works for both `extends` and `new`.
    target[prop] = genericClass(prop);
    return target[prop];
  },
});
