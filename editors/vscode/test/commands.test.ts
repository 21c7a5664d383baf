import { describe, expect, it, vi } from 'vitest';
import {
  COMMANDS,
  REGENERATE_CONFIRM,
  SERVER_COMMANDS,
  buildArgs,
  guardServerCommand,
  parseAgents,
  prepare,
  specById,
  type Target,
  type Ui,
} from '../src/commands';

function spec(id: string) {
  const s = specById(id);
  if (!s) throw new Error(id);
  return s;
}

function ui(over: Partial<Ui> = {}): Ui & { errors: string[] } {
  const errors: string[] = [];
  return {
    errors,
    pick: vi.fn(() => Promise.resolve(undefined)),
    input: vi.fn(() => Promise.resolve(undefined)),
    confirm: vi.fn(() => Promise.resolve(false)),
    error: (m: string) => errors.push(m),
    ...over,
  };
}

function target(over: Partial<Target> = {}): Target {
  return {
    file: '/p/.pact/contracts/counter/interface.json',
    rootOfFile: () => '/p',
    roots: () => Promise.resolve(['/p']),
    componentOf: (_root, file) => (/contracts\/(\w+)\//.exec(file) ?? [])[1],
    components: () => Promise.resolve(['counter', 'tokenizer']),
    ...over,
  };
}

describe('COMMANDS', () => {
  it('covers every server command with a distinct VS Code id', () => {
    expect(new Set(COMMANDS.map((c) => c.server))).toEqual(new Set(SERVER_COMMANDS));
    const ids = COMMANDS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(SERVER_COMMANDS as readonly string[]).not.toContain(id);
  });
});

describe('buildArgs', () => {
  it('project-level commands send {project}', () => {
    for (const id of ['pact.ui.decompose', 'pact.ui.runPipeline', 'pact.ui.validate', 'pact.ui.status', 'pact.ui.stop']) {
      expect(buildArgs(spec(id), { project: '/p' })).toEqual([{ project: '/p' }]);
    }
  });
  it('component commands send {project, component}', () => {
    for (const id of ['pact.ui.build', 'pact.ui.rebuild', 'pact.ui.runTests']) {
      expect(buildArgs(spec(id), { project: '/p', component: 'c' })).toEqual([{ project: '/p', component: 'c' }]);
    }
    expect(() => buildArgs(spec('pact.ui.build'), { project: '/p' })).toThrow(/needs a component/);
  });
  it('competitive build sends competitive and agents to pact.build', () => {
    const s = spec('pact.ui.buildCompetitive');
    expect(s.server).toBe('pact.build');
    expect(buildArgs(s, { project: '/p', component: 'c', agents: 3 })).toEqual([
      { project: '/p', component: 'c', competitive: true, agents: 3 },
    ]);
    expect(buildArgs(s, { project: '/p', component: 'c' })[0].agents).toBe(2);
  });
  it('regenerate tests always says whether it was confirmed', () => {
    expect(buildArgs(spec('pact.ui.regenerateTests'), { project: '/p', component: 'c', confirmed: true })).toEqual([
      { project: '/p', component: 'c', confirmed: true },
    ]);
    expect(buildArgs(spec('pact.ui.regenerateTests'), { project: '/p', component: 'c' })[0].confirmed).toBe(false);
  });
});

describe('prepare', () => {
  it('takes project and component from the file', async () => {
    expect(await prepare(spec('pact.ui.build'), target(), ui())).toEqual({
      command: 'pact.build',
      arguments: [{ project: '/p', component: 'counter' }],
    });
  });
  it('asks for the component when the file has none', async () => {
    const u = ui({ pick: vi.fn(() => Promise.resolve('tokenizer')) });
    const r = await prepare(spec('pact.ui.rebuild'), target({ file: '/p/pact.yaml' }), u);
    expect(u.pick).toHaveBeenCalledWith(['counter', 'tokenizer'], 'Pact: Rebuild from contract: which component?');
    expect(r?.arguments).toEqual([{ project: '/p', component: 'tokenizer' }]);
  });
  it('asks for the project when there are several and no file', async () => {
    const u = ui({ pick: vi.fn(() => Promise.resolve('/q')) });
    const r = await prepare(spec('pact.ui.validate'), target({ file: undefined, roots: () => Promise.resolve(['/p', '/q']) }), u);
    expect(r).toEqual({ command: 'pact.validate', arguments: [{ project: '/q' }] });
  });
  it('uses the only project without asking', async () => {
    const u = ui();
    const r = await prepare(spec('pact.ui.status'), target({ file: undefined }), u);
    expect(u.pick).not.toHaveBeenCalled();
    expect(r?.arguments).toEqual([{ project: '/p' }]);
  });
  it('says so when there is no project', async () => {
    const u = ui();
    const r = await prepare(spec('pact.ui.validate'), target({ file: undefined, roots: () => Promise.resolve([]) }), u);
    expect(r).toBeUndefined();
    expect(u.errors[0]).toMatch(/No Pact project/);
  });
  it('says so when there are no components', async () => {
    const u = ui();
    const r = await prepare(
      spec('pact.ui.build'),
      target({ file: undefined, components: () => Promise.resolve([]) }),
      u,
    );
    expect(r).toBeUndefined();
    expect(u.errors[0]).toMatch(/no components yet/);
  });
  it('stops when a pick is dismissed', async () => {
    expect(await prepare(spec('pact.ui.build'), target({ file: undefined }), ui())).toBeUndefined();
  });
  it('asks how many agents for a competitive build', async () => {
    const u = ui({ input: vi.fn(() => Promise.resolve('4')) });
    const r = await prepare(spec('pact.ui.buildCompetitive'), target(), u);
    expect(r?.arguments).toEqual([{ project: '/p', component: 'counter', competitive: true, agents: 4 }]);
  });
  it('regenerating tests needs the user to confirm', async () => {
    const no = ui();
    expect(await prepare(spec('pact.ui.regenerateTests'), target(), no)).toBeUndefined();
    expect(no.confirm).toHaveBeenCalledWith(expect.stringContaining('Tests are law'), REGENERATE_CONFIRM);
    const yes = ui({ confirm: vi.fn(() => Promise.resolve(true)) });
    expect(await prepare(spec('pact.ui.regenerateTests'), target(), yes)).toEqual({
      command: 'pact.regenerateTests',
      arguments: [{ project: '/p', component: 'counter', confirmed: true }],
    });
  });
});

describe('guardServerCommand (code lenses, code actions)', () => {
  it('passes other commands through untouched', async () => {
    const u = ui();
    expect(await guardServerCommand('pact.build', [{ project: '/p' }], u)).toEqual([{ project: '/p' }]);
    expect(u.confirm).not.toHaveBeenCalled();
  });
  it('passes an already confirmed regeneration through', async () => {
    const args = [{ project: '/p', component: 'c', confirmed: true }];
    expect(await guardServerCommand('pact.regenerateTests', args, ui())).toBe(args);
  });
  it('confirms an unconfirmed regeneration, or drops it', async () => {
    expect(await guardServerCommand('pact.regenerateTests', [{ project: '/p', component: 'c' }], ui())).toBeUndefined();
    const yes = ui({ confirm: vi.fn(() => Promise.resolve(true)) });
    expect(
      await guardServerCommand('pact.regenerateTests', [{ project: '/p', component: 'c', confirmed: false }], yes),
    ).toEqual([{ project: '/p', component: 'c', confirmed: true }]);
    expect(yes.confirm).toHaveBeenCalledWith(expect.stringContaining('"c"'), REGENERATE_CONFIRM);
  });
});

describe('parseAgents', () => {
  it('accepts 2..16', () => {
    expect(parseAgents('2')).toBe(2);
    expect(parseAgents(' 16 ')).toBe(16);
    expect(parseAgents('1')).toBeUndefined();
    expect(parseAgents('17')).toBeUndefined();
    expect(parseAgents('2.5')).toBeUndefined();
    expect(parseAgents(undefined)).toBeUndefined();
  });
});

describe('names', () => {
  it('are the sentence-case names the server\'s code actions and the README use', () => {
    expect(COMMANDS.map((c) => c.title)).toEqual([
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
    ]);
  });
  it('confirm a regeneration with the answer the server\'s own question offers', () => {
    expect(REGENERATE_CONFIRM).toBe('Regenerate');
  });
});
