// The status bar item's content: the run's phase, spend against budget, and the running job
// (from the server's work-done progress) with a cancel action. Pure (no `vscode` import).

/** `$/progress` values (LSP WorkDoneProgressBegin / Report / End). */
export type ProgressValue =
  | { kind: 'begin'; title: string; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: 'report'; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: 'end'; message?: string };

export interface Job {
  /** The progress token as a map key. */
  token: string;
  /** The token as the server sent it (for `window/workDoneProgress/cancel`). */
  raw: string | number;
  title: string;
  message?: string;
  percentage?: number;
  cancellable: boolean;
}

export interface RunStatus {
  phase?: string;
  /** RunState status: active, paused, completed, failed, budget_exceeded. */
  status?: string;
  /** Spend so far in USD. */
  spend?: number;
  /** Budget in USD. */
  budget?: number;
  pauseReason?: string;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Reads a run status from a `pact.status` result or from `.pact/state.json` (RunState:
 * `phase`, `status`, `total_cost_usd`, `pause_reason`). Unknown shapes give an empty status.
 */
export function parseStatus(payload: unknown): RunStatus {
  if (typeof payload !== 'object' || payload === null) return {};
  const p = payload as Record<string, unknown>;
  // `{state: {...}}` or `{run: {...}}` wrappers.
  for (const key of ['state', 'run']) {
    if (typeof p[key] === 'object' && p[key] !== null && !('phase' in p)) {
      const inner = parseStatus(p[key]);
      return { ...inner, ...stripUndefined(parseFlat(p)) };
    }
  }
  return parseFlat(p);
}

function parseFlat(p: Record<string, unknown>): RunStatus {
  const spendObj = typeof p.spend === 'object' && p.spend !== null ? (p.spend as Record<string, unknown>) : undefined;
  const budgetObj = typeof p.budget === 'object' && p.budget !== null ? (p.budget as Record<string, unknown>) : undefined;
  return stripUndefined({
    phase: text(p.phase),
    status: text(p.status),
    spend:
      num(p.total_cost_usd) ??
      num(p.spend_usd) ??
      num(p.spend) ??
      num(spendObj?.total ?? spendObj?.spent ?? spendObj?.usd) ??
      num(budgetObj?.spent ?? budgetObj?.spend),
    budget: num(p.budget_usd) ?? num(p.budget) ?? num(spendObj?.budget) ?? num(budgetObj?.limit ?? budgetObj?.budget ?? budgetObj?.total),
    pauseReason: text(p.pause_reason) ?? text(p.pauseReason),
  });
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `budget:` from a `pact.yaml` (a top-level scalar key), without a YAML parser. */
export function budgetFromPactYaml(yaml: string): number | undefined {
  const m = /^budget:\s*["']?([0-9]+(?:\.[0-9]+)?)["']?\s*(?:#.*)?$/m.exec(yaml);
  return m ? Number(m[1]) : undefined;
}

/** Applies one `$/progress` value to the running jobs (mutates and returns the map). */
export function applyProgress(jobs: Map<string, Job>, token: string | number, value: ProgressValue): Map<string, Job> {
  const key = String(token);
  switch (value.kind) {
    case 'begin':
      jobs.set(key, {
        token: key,
        raw: token,
        title: value.title,
        message: value.message,
        percentage: value.percentage,
        cancellable: value.cancellable === true,
      });
      break;
    case 'report': {
      const job = jobs.get(key);
      if (job) {
        if (value.message !== undefined) job.message = value.message;
        if (value.percentage !== undefined) job.percentage = value.percentage;
        if (value.cancellable !== undefined) job.cancellable = value.cancellable;
      }
      break;
    }
    case 'end':
      jobs.delete(key);
      break;
  }
  return jobs;
}

/** The gate's findings in a project: what `pact validate --json` counts. */
export interface FindingCounts {
  errors: number;
  warnings: number;
}

/** `vscode.DiagnosticSeverity` values (a stable part of the API; this module imports no `vscode`). */
export const SEVERITY_ERROR = 0;
export const SEVERITY_WARNING = 1;

/** The diagnostic code of a failed contract test (the last test run's results, not the gate's). */
export const TEST_FAILED = 'test-failed';

export interface DiagnosticLike {
  severity: number;
  source?: string;
  code?: string | number | { value: string | number };
}

/**
 * Counts the gate's findings among the diagnostics VS Code holds for the files of one project.
 *
 * Why from diagnostics and not from `pact.validate`'s `{errors, warnings}`: the server publishes
 * every gate finding of a project as a diagnostic (source `pact`) once its first full check is
 * done, and re-publishes on every change, so the count is live and needs no command, while
 * `pact.validate` always answers with a message of its own (one per run: a count kept up to date
 * by running it would toast). The diagnostics hold one thing the gate does not count:
 * `test-failed`, the last test run's failures on the test files, which is left out. Other
 * extensions' diagnostics (another source) are left out too. What remains is, finding for
 * finding, what `pact validate --json` lists for the same project state (the e2e test checks it).
 */
export function countFindings(
  entries: Iterable<readonly [file: string | undefined, diagnostics: readonly DiagnosticLike[]]>,
  inProject: (file: string) => boolean,
): FindingCounts {
  const counts: FindingCounts = { errors: 0, warnings: 0 };
  for (const [file, diagnostics] of entries) {
    if (file === undefined || !inProject(file)) continue;
    for (const d of diagnostics) {
      if (d.source !== 'pact') continue;
      const code = typeof d.code === 'object' ? d.code.value : d.code;
      if (code === TEST_FAILED) continue;
      if (d.severity === SEVERITY_ERROR) counts.errors += 1;
      else if (d.severity === SEVERITY_WARNING) counts.warnings += 1;
    }
  }
  return counts;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** `$(error) 3 $(warning) 2` for the status bar (nothing when there is nothing to count). */
export function findingsText(f: FindingCounts | undefined): string | undefined {
  if (!f || (f.errors === 0 && f.warnings === 0)) return undefined;
  const parts: string[] = [];
  if (f.errors > 0) parts.push(`$(error) ${f.errors}`);
  if (f.warnings > 0) parts.push(`$(warning) ${f.warnings}`);
  return parts.join(' ');
}

/** "3 errors, 2 warnings". */
export function findingsWords(f: FindingCounts): string {
  return `${plural(f.errors, 'error')}, ${plural(f.warnings, 'warning')}`;
}

export function money(v: number): string {
  return `$${v.toFixed(2)}`;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** What a screen reader says (the text without its icons, the counts in words). */
  ariaLabel: string;
  /** The VS Code command the item runs when clicked. */
  command: string;
  background?: 'warning' | 'error';
}

export const CANCEL_COMMAND = 'pact.ui.cancelJob';
export const STATUS_COMMAND = 'pact.ui.status';

const STATUS_ICONS: Record<string, string> = {
  active: '$(pulse)',
  paused: '$(debug-pause)',
  completed: '$(check)',
  failed: '$(error)',
  budget_exceeded: '$(warning)',
};

/** Strips `$(icon)` references: what is left is the text a screen reader gets. */
function withoutIcons(text: string): string {
  return text.replace(/\$\([a-z0-9~-]+\)\s*/g, '').trim();
}

/**
 * Renders the status bar item from the run status, the running jobs and the gate's findings
 * (`undefined`: not known yet, e.g. before the server's first check).
 */
export function renderStatus(
  status: RunStatus | undefined,
  jobs: readonly Job[],
  project?: string,
  findings?: FindingCounts,
): StatusView {
  const s = status ?? {};
  const spendText =
    s.spend !== undefined ? (s.budget !== undefined ? `${money(s.spend)}/${money(s.budget)}` : money(s.spend)) : undefined;
  const phaseText = s.phase ? s.phase + (s.status && s.status !== 'active' ? ` (${s.status.replace('_', ' ')})` : '') : s.status;
  const lines: string[] = [];
  if (project) lines.push(`Project: ${project}`);
  if (phaseText) lines.push(`Phase: ${phaseText}`);
  if (s.pauseReason) lines.push(`Paused: ${s.pauseReason}`);
  if (s.spend !== undefined) {
    lines.push(s.budget !== undefined ? `Spend: ${money(s.spend)} of ${money(s.budget)} budget` : `Spend: ${money(s.spend)}`);
  }
  const countText = findingsText(findings);
  if (findings) lines.push(`Findings (as pact validate): ${findingsWords(findings)}`);
  const spoken = findings ? `, ${findingsWords(findings)}` : '';
  let background: StatusView['background'];
  if (s.status === 'failed' || s.status === 'budget_exceeded') {
    background = 'error';
  } else if (s.spend !== undefined && s.budget !== undefined && s.budget > 0 && s.spend >= 0.8 * s.budget) {
    background = 'warning';
  }

  const job = jobs[jobs.length - 1];
  if (job) {
    const pct = job.percentage !== undefined ? ` ${Math.round(job.percentage)}%` : '';
    // The server titles its progress "Pact: Build tokenizer"; the item says "Pact:" once.
    const title = job.title.replace(/^Pact:\s*/, '');
    const label = jobs.length > 1 ? `${title} (+${jobs.length - 1})` : title;
    const head = `$(sync~spin) Pact: ${label}${pct}`;
    const jobLines = jobs.map(
      (j) => `Running: ${j.title}${j.message ? ` — ${j.message}` : ''}${j.percentage !== undefined ? ` (${Math.round(j.percentage)}%)` : ''}`,
    );
    const text = [head, spendText, countText].filter((p) => p !== undefined).join(' · ');
    return {
      text,
      tooltip: [...jobLines, ...lines, 'Click to cancel.'].join('\n'),
      ariaLabel: withoutIcons([head, spendText].filter((p) => p !== undefined).join(' · ')) + spoken,
      command: CANCEL_COMMAND,
      background,
    };
  }
  const icon = (s.status !== undefined ? STATUS_ICONS[s.status] : undefined) ?? '$(beaker)';
  const parts = [s.phase ? `${icon} Pact: ${s.phase}` : `${icon} Pact`];
  if (spendText) parts.push(spendText);
  const ariaLabel = withoutIcons(parts.join(' · ')) + spoken;
  if (countText) parts.push(countText);
  return {
    text: parts.join(' · '),
    ariaLabel,
    tooltip: [...(lines.length > 0 ? lines : ['Pact']), 'Click for the full status.'].join('\n'),
    command: STATUS_COMMAND,
    background,
  };
}

/** Jobs the cancel action can offer: cancellable ones, most recent first. */
export function cancellableJobs(jobs: readonly Job[]): Job[] {
  return jobs.filter((j) => j.cancellable).reverse();
}
