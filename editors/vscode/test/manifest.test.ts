// package.json against the code: every command the code registers is contributed with the right
// title, menus name real commands, settings are the ones the code reads.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, SERVER_COMMANDS } from '../src/commands';
import { CANCEL_COMMAND, STATUS_COMMAND } from '../src/status';

interface Manifest {
  name: string;
  publisher: string;
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command?: string; submenu?: string; when?: string }[] | undefined>;
    submenus: { id: string }[];
    configuration: { properties: Record<string, { default?: unknown; enum?: string[] }> };
  };
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Manifest;
const contributed = new Map(pkg.contributes.commands.map((c) => [c.command, c.title]));

describe('package.json', () => {
  it('is the pact-vscode extension for VS Code ^1.91 with a bundled entry point', () => {
    expect(pkg.name).toBe('pact-vscode');
    expect(pkg.publisher).toBeTruthy();
    expect(pkg.engines.vscode).toBe('^1.91.0');
    expect(pkg.main).toBe('./dist/extension.js');
    expect(pkg.devDependencies['@types/vscode']).toBe('1.91.0');
    expect(pkg.dependencies['vscode-languageclient']).toMatch(/^11\./);
  });

  it('activates in Pact workspaces and on JSON and Python files', () => {
    expect(pkg.activationEvents).toEqual([
      'workspaceContains:**/.pact/state.json',
      'workspaceContains:**/pact.yaml',
      'onLanguage:json',
      'onLanguage:python',
    ]);
  });

  it('contributes every command with its title', () => {
    for (const spec of COMMANDS) expect(contributed.get(spec.id)).toBe(spec.title);
    expect([...contributed.values()]).toEqual(
      expect.arrayContaining([
        'Pact: Decompose',
        'Pact: Run pipeline',
        'Pact: Build component',
        'Pact: Build competitively',
        'Pact: Rebuild from contract',
        'Pact: Regenerate tests from contract',
        'Pact: Run contract tests',
        'Pact: Validate project',
        'Pact: Show status',
        'Pact: Stop run',
        'Pact: Cancel running job',
        'Pact: Show server log',
        'Pact: Restart language server',
      ]),
    );
    // Sentence case everywhere: "Pact: " then one capital.
    for (const title of contributed.values()) expect(title).toMatch(/^Pact: [A-Z][^A-Z]*$/);
    expect(contributed.has(CANCEL_COMMAND)).toBe(true);
    expect(contributed.has(STATUS_COMMAND)).toBe(true);
  });

  it('names no server command as its own: the language client registers those (code lenses, code actions)', () => {
    for (const id of contributed.keys()) expect(SERVER_COMMANDS as readonly string[]).not.toContain(id);
    for (const spec of COMMANDS) expect(spec.id.startsWith('pact.ui.')).toBe(true);
  });

  it('menus only name contributed commands and submenus', () => {
    const submenus = new Set(pkg.contributes.submenus.map((s) => s.id));
    for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
      for (const item of items ?? []) {
        if (item.command) expect(contributed.has(item.command), `${menu}: ${item.command}`).toBe(true);
        if (item.submenu) expect(submenus.has(item.submenu), `${menu}: ${item.submenu}`).toBe(true);
      }
    }
  });

  it('offers the Pact menu on contracts and test files in the explorer and the editor', () => {
    for (const menu of ['explorer/context', 'editor/context']) {
      const when = pkg.contributes.menus[menu]?.[0]?.when ?? '';
      expect(when).toContain('resourceFilename == interface.json');
      expect(when).toContain('contract_test');
      expect(when).toContain('.test\\.ts$');
    }
    const inner = pkg.contributes.menus['pact.context'] ?? [];
    const build = inner.find((i) => i.command === 'pact.ui.build');
    expect(build?.when).toBe('resourceFilename == interface.json');
    const regenerate = inner.find((i) => i.command === 'pact.ui.regenerateTests');
    expect(regenerate?.when).toMatch(/contract_test/);
  });

  it('hides the palette commands outside Pact workspaces', () => {
    const palette = pkg.contributes.menus.commandPalette ?? [];
    for (const item of palette) expect(item.when).toBe('pact.active');
    expect(palette).toHaveLength(contributed.size);
  });

  it('declares the settings the extension reads', () => {
    const props = pkg.contributes.configuration.properties;
    expect(Object.keys(props).sort()).toEqual(['pact.backend', 'pact.budget', 'pact.model', 'pact.path', 'pact.trace.server']);
    expect(props['pact.trace.server']?.enum).toEqual(['off', 'messages', 'verbose']);
    expect(props['pact.budget']?.default).toBeNull();
    expect(props['pact.path']?.default).toBe('');
  });
});
