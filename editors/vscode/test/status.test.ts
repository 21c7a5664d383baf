import { describe, expect, it } from 'vitest';
import {
  CANCEL_COMMAND,
  STATUS_COMMAND,
  applyProgress,
  budgetFromPactYaml,
  cancellableJobs,
  countFindings,
  findingsText,
  money,
  parseStatus,
  renderStatus,
  type DiagnosticLike,
  type Job,
} from '../src/status';

describe('parseStatus', () => {
  it('reads a RunState (.pact/state.json)', () => {
    expect(
      parseStatus({ phase: 'implement', status: 'paused', total_cost_usd: 0.42, pause_reason: 'waiting', extra: 1 }),
    ).toEqual({ phase: 'implement', status: 'paused', spend: 0.42, pauseReason: 'waiting' });
  });
  it('reads status payloads of other shapes', () => {
    expect(parseStatus({ phase: 'decompose', spend: 1.5, budget: 10 })).toEqual({ phase: 'decompose', spend: 1.5, budget: 10 });
    expect(parseStatus({ phase: 'contract', spend: { total: 2, budget: 8 } })).toEqual({ phase: 'contract', spend: 2, budget: 8 });
    expect(parseStatus({ phase: 'contract', budget: { spent: 2, limit: 8 } })).toEqual({ phase: 'contract', spend: 2, budget: 8 });
    expect(parseStatus({ state: { phase: 'integrate', total_cost_usd: 3 }, budget: 9 })).toEqual({
      phase: 'integrate',
      spend: 3,
      budget: 9,
    });
  });
  it('gives an empty status for anything else', () => {
    expect(parseStatus(null)).toEqual({});
    expect(parseStatus('text')).toEqual({});
    expect(parseStatus({ phase: 3 })).toEqual({});
  });
});

describe('budgetFromPactYaml', () => {
  it('reads the top-level budget', () => {
    expect(budgetFromPactYaml('plan_only: true\nbudget: 10.0\nlanguage: python\n')).toBe(10);
    expect(budgetFromPactYaml("budget: '2.5'  # usd\n")).toBe(2.5);
    expect(budgetFromPactYaml('  budget: 3\n')).toBeUndefined();
    expect(budgetFromPactYaml('language: python\n')).toBeUndefined();
  });
});

describe('applyProgress', () => {
  it('tracks begin, report and end per token', () => {
    const jobs = new Map<string, Job>();
    applyProgress(jobs, 1, { kind: 'begin', title: 'Build counter', cancellable: true });
    applyProgress(jobs, 'b', { kind: 'begin', title: 'Validate' });
    applyProgress(jobs, 1, { kind: 'report', message: 'attempt 1/3', percentage: 30 });
    expect(jobs.get('1')).toEqual({
      token: '1',
      raw: 1,
      title: 'Build counter',
      message: 'attempt 1/3',
      percentage: 30,
      cancellable: true,
    });
    applyProgress(jobs, 'b', { kind: 'end' });
    expect([...jobs.keys()]).toEqual(['1']);
    applyProgress(jobs, 'zz', { kind: 'report', message: 'unknown token' });
    expect(jobs.size).toBe(1);
  });
});

describe('renderStatus', () => {
  it('shows phase and spend against budget when idle, clicking shows the status', () => {
    const v = renderStatus({ phase: 'implement', status: 'paused', spend: 0.42, budget: 10, pauseReason: 'plan only' }, [], '/p');
    expect(v.text).toBe('$(debug-pause) Pact: implement · $0.42/$10.00');
    expect(v.command).toBe(STATUS_COMMAND);
    expect(v.tooltip).toContain('Phase: implement (paused)');
    expect(v.tooltip).toContain('Paused: plan only');
    expect(v.tooltip).toContain('Spend: $0.42 of $10.00 budget');
    expect(v.background).toBeUndefined();
  });
  it('shows the running job with a cancel action', () => {
    const jobs: Job[] = [{ token: '1', raw: 1, title: 'Build counter', message: 'attempt 2', percentage: 40.4, cancellable: true }];
    const v = renderStatus({ phase: 'implement', spend: 1, budget: 10 }, jobs);
    expect(v.text).toBe('$(sync~spin) Pact: Build counter 40% · $1.00/$10.00');
    expect(v.command).toBe(CANCEL_COMMAND);
    expect(v.tooltip).toContain('Running: Build counter — attempt 2 (40%)');
    expect(v.tooltip).toContain('Click to cancel.');
  });
  it('counts further jobs', () => {
    const jobs: Job[] = [
      { token: 'a', raw: 'a', title: 'Decompose', cancellable: true },
      { token: 'b', raw: 'b', title: 'Run tests', cancellable: false },
    ];
    expect(renderStatus(undefined, jobs).text).toBe('$(sync~spin) Pact: Run tests (+1)');
  });
  it('warns near the budget and errors when exceeded or failed', () => {
    expect(renderStatus({ spend: 8, budget: 10 }, []).background).toBe('warning');
    expect(renderStatus({ spend: 10.5, budget: 10, status: 'budget_exceeded' }, []).background).toBe('error');
    expect(renderStatus({ status: 'failed' }, []).background).toBe('error');
  });
  it('is a plain label without a run', () => {
    expect(renderStatus(undefined, []).text).toBe('$(beaker) Pact');
    expect(renderStatus({ spend: 0.5 }, []).text).toBe('$(beaker) Pact · $0.50');
  });
});

describe('helpers', () => {
  it('formats money and lists cancellable jobs newest first', () => {
    expect(money(3)).toBe('$3.00');
    const jobs: Job[] = [
      { token: 'a', raw: 'a', title: 'A', cancellable: true },
      { token: 'b', raw: 'b', title: 'B', cancellable: false },
      { token: 'c', raw: 'c', title: 'C', cancellable: true },
    ];
    expect(cancellableJobs(jobs).map((j) => j.title)).toEqual(['C', 'A']);
  });
});

describe('countFindings', () => {
  const d = (severity: number, code: unknown, source = 'pact') => ({ severity, code, source }) as DiagnosticLike;
  it('counts Pact errors and warnings in the project, without test failures', () => {
    const inProject = (f: string) => f.startsWith('/p/');
    expect(
      countFindings(
        [
          ['/p/.pact/contracts/a/interface.json', [d(0, 'unresolved-type'), d(0, 'tree-cycle'), d(1, 'toothless-test'), d(2, 'x')]],
          ['/p/.pact/contracts/a/tests/contract_test.py', [d(0, 'test-failed'), d(0, { value: 'test-failed' }), d(0, 'test-syntax')]],
          ['/p/x.json', [d(0, 'json', 'json')]],
          ['/q/interface.json', [d(0, 'unresolved-type')]],
          [undefined, [d(0, 'unresolved-type')]],
        ],
        inProject,
      ),
    ).toEqual({ errors: 3, warnings: 1 });
  });
});

describe('findings in the status bar', () => {
  it('shows non-zero counts after the phase and spend, in words for screen readers', () => {
    const v = renderStatus({ phase: 'implement', spend: 1, budget: 5 }, [], '/p', { errors: 17, warnings: 0 });
    expect(v.text).toBe('$(beaker) Pact: implement · $1.00/$5.00 · $(error) 17');
    expect(v.ariaLabel).toBe('Pact: implement · $1.00/$5.00, 17 errors, 0 warnings');
    expect(findingsText({ errors: 0, warnings: 2 })).toBe('$(warning) 2');
    expect(findingsText({ errors: 0, warnings: 0 })).toBeUndefined();
    expect(findingsText(undefined)).toBeUndefined();
  });
  it('keeps them while a job runs', () => {
    const job: Job = { token: 't', raw: 't', title: 'Build x', percentage: 10, cancellable: true };
    const v = renderStatus({}, [job], '/p', { errors: 1, warnings: 1 });
    expect(v.text).toBe('$(sync~spin) Pact: Build x 10% · $(error) 1 $(warning) 1');
    expect(v.ariaLabel).toBe('Pact: Build x 10%, 1 error, 1 warning');
  });
});

describe('a job titled by the server', () => {
  it('says "Pact:" once', () => {
    const job: Job = { token: 't', raw: 't', title: 'Pact: Build tokenizer', percentage: 40, cancellable: true };
    expect(renderStatus({}, [job]).text).toBe('$(sync~spin) Pact: Build tokenizer 40%');
  });
});
