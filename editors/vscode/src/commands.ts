// The extension's commands: which server command each one runs, with which arguments, and the
// questions asked first (which project, which component, how many agents, "really regenerate
// the tests?"). The editor UI is injected (`Ui`), so the whole flow is unit-tested.

/** Server commands (`workspace/executeCommand`), as the language server advertises them. */
export const SERVER_COMMANDS = [
  'pact.decompose',
  'pact.runPipeline',
  'pact.build',
  'pact.rebuild',
  'pact.regenerateTests',
  'pact.runTests',
  'pact.validate',
  'pact.status',
  'pact.stop',
] as const;
export type ServerCommand = (typeof SERVER_COMMANDS)[number];

export interface CommandSpec {
  /** The VS Code command id (distinct from the server's: the language client registers those). */
  id: string;
  title: string;
  server: ServerCommand;
  /** Needs a component (taken from the file, else asked for). */
  component: boolean;
  competitive?: boolean;
  /** Long-running: the server reports progress and the status bar shows the job. */
  job: boolean;
}

export const COMMANDS: readonly CommandSpec[] = [
  { id: 'pact.ui.decompose', title: 'Pact: Decompose', server: 'pact.decompose', component: false, job: true },
  { id: 'pact.ui.runPipeline', title: 'Pact: Run pipeline', server: 'pact.runPipeline', component: false, job: true },
  { id: 'pact.ui.build', title: 'Pact: Build component', server: 'pact.build', component: true, job: true },
  {
    id: 'pact.ui.buildCompetitive',
    title: 'Pact: Build competitively',
    server: 'pact.build',
    component: true,
    competitive: true,
    job: true,
  },
  { id: 'pact.ui.rebuild', title: 'Pact: Rebuild from contract', server: 'pact.rebuild', component: true, job: true },
  {
    id: 'pact.ui.regenerateTests',
    title: 'Pact: Regenerate tests from contract',
    server: 'pact.regenerateTests',
    component: true,
    job: true,
  },
  { id: 'pact.ui.runTests', title: 'Pact: Run contract tests', server: 'pact.runTests', component: true, job: true },
  { id: 'pact.ui.validate', title: 'Pact: Validate project', server: 'pact.validate', component: false, job: false },
  { id: 'pact.ui.status', title: 'Pact: Show status', server: 'pact.status', component: false, job: false },
  { id: 'pact.ui.stop', title: 'Pact: Stop run', server: 'pact.stop', component: false, job: false },
];

export function specById(id: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.id === id);
}

/** The single argument object of a server command. */
export interface CommandArgs {
  project: string;
  component?: string;
  competitive?: boolean;
  agents?: number;
  confirmed?: boolean;
}

export const DEFAULT_AGENTS = 2;
export const MAX_AGENTS = 16;

/** Builds `arguments` for `workspace/executeCommand`. */
export function buildArgs(
  spec: CommandSpec,
  ctx: { project: string; component?: string; agents?: number; confirmed?: boolean },
): [CommandArgs] {
  const args: CommandArgs = { project: ctx.project };
  if (spec.component) {
    if (!ctx.component) throw new Error(`${spec.title} needs a component`);
    args.component = ctx.component;
  }
  if (spec.competitive) {
    args.competitive = true;
    args.agents = ctx.agents ?? DEFAULT_AGENTS;
  }
  if (spec.server === 'pact.regenerateTests') {
    args.confirmed = ctx.confirmed === true;
  }
  return [args];
}

// The same answer the server's own question offers (`pact.regenerateTests` without `confirmed`).
export const REGENERATE_CONFIRM = 'Regenerate';

export function regenerateWarning(component: string): string {
  return (
    `Regenerate the contract tests of "${component}" from its contract? ` +
    'Tests are law: the current tests (and any edits you made to them) are replaced, and ' +
    'implementations are judged by the new ones.'
  );
}

/** Parses the "how many agents" answer: an integer from 2 to MAX_AGENTS. */
export function parseAgents(input: string | undefined): number | undefined {
  if (input === undefined) return undefined;
  const t = input.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 2 && n <= MAX_AGENTS ? n : undefined;
}

export function validateAgents(input: string): string | undefined {
  return parseAgents(input) === undefined
    ? `Enter a whole number of agents from 2 to ${MAX_AGENTS}.`
    : undefined;
}

/** The editor interactions a command may need; VS Code's in the extension, fakes in tests. */
export interface Ui {
  /** Lets the user pick one item; undefined when dismissed. */
  pick(items: string[], placeHolder: string): Promise<string | undefined>;
  /** Asks for a value; undefined when dismissed. */
  input(prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string | undefined>;
  /** A modal warning with one action button; true if that button was chosen. */
  confirm(message: string, action: string): Promise<boolean>;
  error(message: string): void;
}

/** What the command was invoked on, and how to find projects and components. */
export interface Target {
  /** The file or folder (context menu argument, else the active editor's file). */
  file: string | undefined;
  /** Root of the project holding `file`. */
  rootOfFile(file: string): string | undefined;
  /** All project roots in the workspace. */
  roots(): Promise<string[]>;
  /** The component `file` belongs to within `root`. */
  componentOf(root: string, file: string): string | undefined;
  /** Components of a project (contract directories). */
  components(root: string): Promise<string[]>;
}

export type Prepared = { command: ServerCommand; arguments: [CommandArgs] } | undefined;

/**
 * Works out the server command and its arguments for a UI command, asking the user what the
 * file does not tell. Returns undefined if the user cancelled or nothing fits (after saying why).
 */
export async function prepare(spec: CommandSpec, target: Target, ui: Ui): Promise<Prepared> {
  let project = target.file ? target.rootOfFile(target.file) : undefined;
  if (!project) {
    const roots = await target.roots();
    if (roots.length === 0) {
      ui.error('No Pact project in this workspace (a directory holding .pact/ or pact.yaml).');
      return undefined;
    }
    project = roots.length === 1 ? roots[0] : await ui.pick(roots, 'Pact project');
    if (!project) return undefined;
  }

  let component: string | undefined;
  if (spec.component) {
    component = target.file ? target.componentOf(project, target.file) : undefined;
    if (!component) {
      const all = await target.components(project);
      if (all.length === 0) {
        ui.error(`${spec.title}: the project at ${project} has no components yet (run Pact: Decompose).`);
        return undefined;
      }
      component = await ui.pick(all, `${spec.title}: which component?`);
      if (!component) return undefined;
    }
  }

  let agents: number | undefined;
  if (spec.competitive) {
    const answer = await ui.input(
      `Number of competing agents for "${component ?? ''}"`,
      String(DEFAULT_AGENTS),
      validateAgents,
    );
    agents = parseAgents(answer);
    if (agents === undefined) return undefined;
  }

  let confirmed: boolean | undefined;
  if (spec.server === 'pact.regenerateTests') {
    confirmed = await ui.confirm(regenerateWarning(component ?? ''), REGENERATE_CONFIRM);
    if (!confirmed) return undefined;
  }

  return {
    command: spec.server,
    arguments: buildArgs(spec, { project, component, agents, confirmed }),
  };
}

/**
 * Server commands also run from code lenses and code actions (through the language client).
 * `pact.regenerateTests` there without `confirmed: true` is confirmed first. Returns the
 * arguments to send, or undefined to drop the call.
 */
export async function guardServerCommand(
  command: string,
  args: unknown[],
  ui: Pick<Ui, 'confirm'>,
): Promise<unknown[] | undefined> {
  if (command !== 'pact.regenerateTests') return args;
  const first = args[0];
  const obj = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
  if (obj?.confirmed === true) return args;
  const component = typeof obj?.component === 'string' ? obj.component : '';
  const ok = await ui.confirm(regenerateWarning(component), REGENERATE_CONFIRM);
  if (!ok) return undefined;
  return [{ ...(obj ?? {}), confirmed: true }, ...args.slice(1)];
}
