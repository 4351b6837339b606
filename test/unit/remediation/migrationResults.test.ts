/**
 * The decision listing joins each `migrate` decision of a page to its migration's result: one result-store query
 * per decision (up to 1,000 on a page), run at most 16 at a time rather than one after another. The results must
 * still land on their own decisions when the answers come back out of order.
 */
import type { ClusterResult } from '../../../shared/migration/result';
import { MemoryDecisionStore, withMigrationResults, type DecisionRecord } from '../../../shared/remediation/store';
import { MemoryResultStore, type ResultStore } from '../../../shared/rollout/store';

const SUB = '00000000-0000-4000-8000-000000000001';
const cluster = (i: number): string => `/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.ContainerService/managedClusters/aks-${i}`;
const instance = (i: number): string => `remediate:aks-${i}:0001`;

function decision(i: number, action: 'migrate' | 'ignore'): DecisionRecord {
  const at = new Date(Date.UTC(2026, 10, 21, 10, 0, i)).toISOString();
  return {
    decidedAt: at,
    eventId: `ev-${i}`,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: at,
    clusterId: cluster(i),
    action,
    reason: action === 'migrate' ? 'off policy' : 'written by aksnet',
    ...(action === 'migrate' ? { instanceId: instance(i), started: true } : {}),
    dedupeKey: cluster(i),
  };
}

function result(i: number): ClusterResult {
  return {
    clusterId: cluster(i),
    result: i % 3 === 0 ? 'failed' : 'migrated',
    findings: [],
    steps: [],
    startedAt: '2026-11-21T10:00:00.000Z',
    endedAt: `2026-11-21T10:${String(i % 60).padStart(2, '0')}:00.000Z`,
    correlationIds: [`c0ffee00-0000-4000-8000-${String(i).padStart(12, '0')}`],
  };
}

it('lists 120 decisions with each migration result on its own decision, 16 look-ups at a time, answers out of order', async () => {
  const results = new MemoryResultStore();
  const decisions: DecisionRecord[] = [];
  for (let i = 0; i < 120; i++) {
    const migrate = i % 4 !== 1;
    decisions.push(decision(i, migrate ? 'migrate' : 'ignore'));
    // Migrations that ended saved a result; the ones still running (i % 5 === 2) have a plan and no result yet.
    if (!migrate) continue;
    await results.savePlan(instance(i), [{ rolloutId: instance(i), clusterId: cluster(i), name: `aks-${i}`, resourceGroup: 'rg-a', subscriptionId: SUB, verdict: 'ready', steps: ['dataplane:cilium'], napMode: 'Manual', windows: [] }]);
    if (i % 5 !== 2) await results.saveResult(instance(i), result(i));
  }
  // The result store as Table storage answers it: each query takes a while, later ones sooner (out of order).
  let inFlight = 0;
  let peak = 0;
  const slow: Pick<ResultStore, 'listClusters'> = {
    listClusters: async (rolloutId, query) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      const i = Number(/aks-(\d+)/.exec(rolloutId)?.[1]);
      await new Promise((r) => setTimeout(r, 5 + ((120 - i) % 7) * 3));
      inFlight--;
      return results.listClusters(rolloutId, query);
    },
  };
  const store = new MemoryDecisionStore(slow);
  for (const d of decisions) await store.record(d);
  const page = await store.list({ limit: 1000 });
  expect(page.items).toHaveLength(120);
  for (const [i, item] of page.items.entries()) {
    expect(item.eventId).toBe(`ev-${i}`);
    if (item.action === 'migrate' && i % 5 !== 2) expect(item.migration).toEqual(result(i));
    else expect(item.migration).toBeUndefined();
  }
  // Exactly 16 in flight at the peak: parallel (one after another would peak at 1) and bounded. No timing asserted.
  expect(peak).toBe(16);
});

it('leaves a page without migrate decisions as it was, asking the result store nothing', async () => {
  let asked = 0;
  const page = { items: [decision(1, 'ignore'), decision(2, 'ignore')] };
  const out = await withMigrationResults(page, { listClusters: async () => (asked++, { items: [] }) });
  expect([out.items.map((d) => d.migration), asked]).toEqual([[undefined, undefined], 0]);
});
