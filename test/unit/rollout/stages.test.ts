import fc from 'fast-check';
import { assignStages, type StageCandidate } from '../../../shared/rollout/stages';
import type { StageSpec } from '../../../shared/rollout/spec';
import { clusterId } from '../../support/arm';

const SUBS = ['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002'];

function candidates(n: number): StageCandidate[] {
  return Array.from({ length: n }, (_, i) => {
    const subscriptionId = SUBS[i % 2];
    const resourceGroup = i % 5 === 0 ? 'rg-canary' : 'rg-prod';
    return { id: clusterId(`aks-${i}`, resourceGroup, subscriptionId), subscriptionId, resourceGroup, tags: (i % 7 === 0 ? { Ring: 'early' } : {}) as Record<string, string> };
  });
}

const stage = (s: Partial<StageSpec> & { name: string }): StageSpec => ({ maxConcurrency: 5, ...s }) as StageSpec;

describe('stage assignment', () => {
  it('fills stages in order: selector takes matches, percent a share of all, count that many, the last the rest', () => {
    const cs = candidates(40);
    const plan = assignStages(
      cs,
      [stage({ name: 'canary', selector: { resourceGroups: ['RG-CANARY'] } }), stage({ name: 'ring', selector: { tags: { ring: 'early' } } }), stage({ name: 'ten', percent: 10 }), stage({ name: 'three', count: 3 }), stage({ name: 'rest' })],
      'r1',
    );
    const sizes = Object.fromEntries(plan.stages.map((s) => [s.stage, s.clusters.length]));
    // 8 in rg-canary (i % 5 == 0); tagged ones not already taken: i in {7, 14, 21, 28} (0 and 35 were canary).
    expect(sizes).toEqual({ canary: 8, ring: 4, ten: 4, three: 3, rest: 21 });
    expect(plan.unassigned).toEqual([]);
  });

  it('leaves clusters no stage selected unassigned', () => {
    const plan = assignStages(candidates(10), [stage({ name: 'canary', selector: { resourceGroups: ['rg-canary'] } })], 'r1');
    expect(plan.stages[0].clusters).toHaveLength(2);
    expect(plan.unassigned).toHaveLength(8);
  });

  it('percent and count picks spread across subscriptions and differ between rollouts', () => {
    const cs = candidates(100);
    const a = assignStages(cs, [stage({ name: 'pick', count: 10 }), stage({ name: 'rest' })], 'rollout-a').stages[0].clusters;
    const b = assignStages(cs, [stage({ name: 'pick', count: 10 }), stage({ name: 'rest' })], 'rollout-b').stages[0].clusters;
    expect(new Set(a.map((c) => c.subscriptionId)).size).toBe(2);
    expect(a.map((c) => c.id)).not.toEqual(b.map((c) => c.id));
  });

  it('property: every cluster lands in exactly one stage or unassigned, the same way every time and for any input order', () => {
    const stageArb = fc.oneof(
      fc.record({ kind: fc.constant('selector' as const), rg: fc.constantFrom('rg-canary', 'rg-prod', 'rg-none') }),
      fc.record({ kind: fc.constant('percent' as const), percent: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ kind: fc.constant('count' as const), count: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant('rest' as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.array(stageArb, { minLength: 1, maxLength: 5 }), fc.integer(), (n, kinds, seed) => {
        const cs = candidates(n);
        const stages = kinds.map((k, i) =>
          stage({ name: `s${i}`, ...(k.kind === 'selector' ? { selector: { resourceGroups: [k.rg] } } : k.kind === 'percent' ? { percent: k.percent } : k.kind === 'count' ? { count: k.count } : {}) }),
        );
        const plan = assignStages(cs, stages, 'r');
        const all = [...plan.stages.flatMap((s) => s.clusters), ...plan.unassigned].map((c) => c.id.toLowerCase());
        expect(all).toHaveLength(n);
        expect(new Set(all).size).toBe(n);
        const shuffled = [...cs].sort((x, y) => ((x.id.length * 31 + seed) % 7) - ((y.id.length * 31 + seed) % 7) || (seed % 2 ? 1 : -1));
        const again = assignStages(shuffled, stages, 'r');
        expect(again.stages.map((s) => s.clusters.map((c) => c.id))).toEqual(plan.stages.map((s) => s.clusters.map((c) => c.id)));
      }),
      { numRuns: 200 },
    );
  });

  it('counts a cluster once even when listed twice with different id casing', () => {
    const [c] = candidates(1);
    const plan = assignStages([c, { ...c, id: c.id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') }], [stage({ name: 'all' })], 'r');
    expect(plan.stages[0].clusters).toHaveLength(1);
  });
});
