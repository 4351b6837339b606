import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRolloutSpec, resolveCountOrPercent, rolloutSpecJsonSchema, RolloutSpecError, validateRolloutSpec } from '../../../shared/rollout/spec';

const docs = join(__dirname, '../../../docs');

function exampleYaml(): string {
  const md = readFileSync(join(docs, 'rollout-spec.md'), 'utf8');
  const m = /## A complete example\s+```yaml\n([\s\S]*?)```/.exec(md);
  if (!m) throw new Error('docs/rollout-spec.md has no yaml example under "A complete example"');
  return m[1];
}

function problemsOf(data: unknown): string[] {
  try {
    validateRolloutSpec(data);
  } catch (err) {
    if (err instanceof RolloutSpecError) return err.problems;
    throw err;
  }
  throw new Error('spec was accepted');
}

const minimal = { name: 'r1', target: 'cilium', selector: { subscriptions: ['00000000-0000-0000-0000-000000000001'] }, stages: [{ name: 'all', maxConcurrency: 5 }] };

describe('rollout spec', () => {
  it('accepts the complete example of docs/rollout-spec.md', () => {
    const spec = parseRolloutSpec(exampleYaml(), 'docs/rollout-spec.md');
    expect(spec.target).toBe('overlay+cilium');
    expect(spec.stages.map((s) => s.name)).toEqual(['canary', 'early', 'broad']);
    expect(spec.failureBudget).toEqual({ perStage: 1, total: '2%' });
    expect(spec.maintenanceWindow?.windows?.[0].schedule.weekly).toEqual({ intervalWeeks: 1, dayOfWeek: 'Saturday' });
  });

  it('reads JSON too', () => {
    expect(parseRolloutSpec(JSON.stringify(minimal)).name).toBe('r1');
  });

  it('lists every problem by field path', () => {
    const problems = problemsOf({
      name: 'has space',
      target: 'calico',
      selector: { subscriptions: ['not-a-guid'], excludes: ['/subscription/x'], region: 'eastus' },
      podCidr: { policy: 'fixed' },
      stages: [
        { name: 'a', percent: 5, count: 3, maxConcurrency: 0 },
        { name: 'a', maxConcurrency: 1 },
      ],
      failureBudget: { total: '120%', perStage: -1 },
      maintenanceWindow: { useClusterConfiguration: true, windows: [{ schedule: {}, durationHours: 4, startTime: '25:00' }] },
    });
    const fields = problems.map((p) => p.split(':')[0]);
    expect(fields).toEqual(
      expect.arrayContaining([
        'name',
        'target',
        'selector.subscriptions[0]',
        'selector.excludes[0]',
        'selector',
        'podCidr',
        'stages[0].maxConcurrency',
        'stages[0]',
        'stages[1].name',
        'failureBudget.total',
        'failureBudget.perStage',
        'maintenanceWindow.windows[0].schedule',
        'maintenanceWindow.windows[0].startTime',
      ]),
    );
    expect(problems.find((p) => p.startsWith('selector:'))).toContain("unknown field(s) 'region'");
    expect(problems.find((p) => p.startsWith('stages[1].name'))).toContain("duplicate stage name 'a'");
    expect(problems.find((p) => p.startsWith('maintenanceWindow.windows[0].schedule'))).toContain('exactly one of daily, weekly, absoluteMonthly, relativeMonthly');
  });

  it('names the first problem in one line and counts the rest', () => {
    try {
      validateRolloutSpec({ ...minimal, target: 'x', stages: [] });
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(RolloutSpecError);
      expect((err as Error).message).toMatch(/^invalid rollout spec: target: .* \(and 1 more\)$/);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('refuses text that is not YAML with the reason', () => {
    expect(() => parseRolloutSpec('name: [unclosed', 'spec.yaml')).toThrow(/spec.yaml is not valid YAML or JSON: /);
  });

  it('resolves counts and percentages of the clusters in scope', () => {
    expect(resolveCountOrPercent(3, 100)).toBe(3);
    expect(resolveCountOrPercent('5%', 100)).toBe(5);
    expect(resolveCountOrPercent('2.5%', 100)).toBe(2);
    expect(resolveCountOrPercent('10%', 9)).toBe(0);
    expect(resolveCountOrPercent(undefined, 9)).toBeUndefined();
  });

  it('maintenanceWindow.useClusterConfiguration is optional and defaults to true: the cluster\'s own configuration first, then the spec\'s windows', () => {
    const window = { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } }, durationHours: 8, startTime: '22:00' };
    const implicit = parseRolloutSpec(['name: w', 'target: cilium', 'selector: { subscriptions: [00000000-0000-0000-0000-000000000001] }', 'stages: [{ name: all, maxConcurrency: 5 }]', 'maintenanceWindow:', '  expectedOperationMinutes: 30', ''].join('\n'));
    expect(implicit.maintenanceWindow).toEqual({ useClusterConfiguration: true, expectedOperationMinutes: 30 });
    expect(validateRolloutSpec({ ...minimal, maintenanceWindow: { windows: [window] } }).maintenanceWindow).toEqual({ useClusterConfiguration: true, windows: [window] });
    // An explicit false is kept (only the spec's windows), and a non-boolean is still refused by field path.
    expect(validateRolloutSpec({ ...minimal, maintenanceWindow: { useClusterConfiguration: false, windows: [window] } }).maintenanceWindow?.useClusterConfiguration).toBe(false);
    expect(problemsOf({ ...minimal, maintenanceWindow: { useClusterConfiguration: 'yes' } })).toEqual([expect.stringMatching(/^maintenanceWindow\.useClusterConfiguration: /)]);
    // No maintenanceWindow at all stays absent: any time.
    expect(validateRolloutSpec(minimal).maintenanceWindow).toBeUndefined();
    // The published schema says the same: optional, default true.
    const mw = (rolloutSpecJsonSchema() as { properties: { maintenanceWindow: { properties: { useClusterConfiguration: unknown }; required?: string[] } } }).properties.maintenanceWindow;
    expect(mw.properties.useClusterConfiguration).toEqual({ default: true, type: 'boolean' });
    expect(mw.required ?? []).not.toContain('useClusterConfiguration');
  });

  it('docs/rollout-spec.schema.json is the schema generated from the code (regenerate: UPDATE_DOCS=1 npx jest test/unit/rollout/spec.test.ts)', () => {
    if (process.env.UPDATE_DOCS === '1') writeFileSync(join(docs, 'rollout-spec.schema.json'), `${JSON.stringify(rolloutSpecJsonSchema(), null, 2)}\n`);
    const committed = JSON.parse(readFileSync(join(docs, 'rollout-spec.schema.json'), 'utf8'));
    expect(committed).toEqual(rolloutSpecJsonSchema());
  });
});
