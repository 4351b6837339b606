/**
 * What Event Grid remediation asks of the rollout side (docs/remediation.md, checks 4 and 6), answered by the very
 * store the migrations write to (functions/eventGrid.ts asks the result store, not the decision store), and the
 * result of a migration Event Grid started shown beside its decision.
 * Memory and SQLite here; the Table storage store answers the same (test/integration/tableStores.test.ts).
 */
import { SqliteDecisionStore } from '../../../shared/remediation/sqliteDecisionStore';
import { MemoryDecisionStore, type DecisionRecord, type DecisionStore } from '../../../shared/remediation/store';
import type { ClusterResult } from '../../../shared/migration/result';
import { SqliteResultStore } from '../../../shared/rollout/sqliteStore';
import { MemoryResultStore, type ClusterLocks, type ResultStore, type RolloutClusterRecord } from '../../../shared/rollout/store';
import { clusterId } from '../../support/arm';

const CLUSTER = clusterId('aks-in', 'rg-apps');
const INSTANCE = 'remediate:00000000-0000-0000-0000-000000000001:rg-apps:aks-in:20260105t100000z';
const T0 = new Date('2026-01-05T10:00:00Z');

/** The one-record plan a migration Event Grid started saves under its instance id (functions/activities/migration.ts). */
const plan: RolloutClusterRecord = { rolloutId: INSTANCE, clusterId: CLUSTER, name: 'aks-in', resourceGroup: 'rg-apps', subscriptionId: '00000000-0000-0000-0000-000000000001', verdict: 'ready', steps: ['dataplane:cilium'], napMode: 'Manual', windows: [] };
const result: ClusterResult = {
  clusterId: CLUSTER,
  result: 'migrated',
  findings: [],
  steps: [{ step: 'dataplane:cilium', status: 'done', startedAt: '2026-01-05T10:00:00.000Z', endedAt: '2026-01-05T10:20:00.000Z', correlationId: 'c0ffee00-0000-4000-8000-000000000001' }],
  startedAt: '2026-01-05T10:00:00.000Z',
  endedAt: '2026-01-05T10:21:00.000Z',
  correlationIds: ['c0ffee00-0000-4000-8000-000000000001'],
};
const decision: DecisionRecord = {
  decidedAt: '2026-01-05T10:00:00.000Z',
  eventId: 'e1',
  eventType: 'Microsoft.Resources.ResourceWriteSuccess',
  eventTime: '2026-01-05T09:59:58.000Z',
  clusterId: CLUSTER,
  action: 'migrate',
  reason: 'policy mode migrate',
  instanceId: INSTANCE,
  started: true,
  dedupeKey: INSTANCE,
};

type Results = ResultStore & ClusterLocks & { close?(): void };
const stores: Array<[string, () => { results: Results; decisions: DecisionStore & { close?(): void } }]> = [
  ['memory', () => {
    const results = new MemoryResultStore();
    return { results, decisions: new MemoryDecisionStore(results) };
  }],
  ['SQLite in memory, one database shared by both stores', () => {
    const results = new SqliteResultStore(':memory:');
    return { results, decisions: new SqliteDecisionStore(results) };
  }],
];

describe.each(stores)('%s', (_name, make) => {
  it('knows who holds a cluster lock, until it is released or lapses', async () => {
    const { results } = make();
    expect(await results.lockHolder(CLUSTER, T0)).toBeUndefined();
    await results.acquire(CLUSTER, 'rollout-1:aks-in', T0, 3600);
    expect(await results.lockHolder(CLUSTER.toUpperCase(), new Date(T0.getTime() + 60_000))).toBe('rollout-1:aks-in');
    expect(await results.lockHolder(CLUSTER, new Date(T0.getTime() + 3600_000))).toBeUndefined();
    await results.release(CLUSTER, 'rollout-1:aks-in');
    expect(await results.lockHolder(CLUSTER, T0)).toBeUndefined();
    results.close?.();
  });

  it("knows a migration's correlation ids as aksnet's own once its result is saved, whatever started it", async () => {
    const { results } = make();
    await results.savePlan(INSTANCE, [plan]);
    expect(await results.isOwnCorrelationId('c0ffee00-0000-4000-8000-000000000001')).toBe(false);
    await results.saveResult(INSTANCE, result);
    expect(await results.isOwnCorrelationId('c0ffee00-0000-4000-8000-000000000001')).toBe(true);
    expect(await results.isOwnCorrelationId('c0ffee00-0000-4000-8000-000000000002')).toBe(false);
    results.close?.();
  });

  it("shows a migrate decision's migration result once the run saved it", async () => {
    const { results, decisions } = make();
    await decisions.record(decision);
    await decisions.record({ ...decision, eventId: 'e2', action: 'ignore', reason: 'the same event was decided already', started: undefined, instanceId: undefined, dedupeKey: 'e2' });
    expect((await decisions.list({ limit: 10 })).items.map((d) => d.migration)).toEqual([undefined, undefined]);
    await results.savePlan(INSTANCE, [plan]);
    await results.saveResult(INSTANCE, result);
    const page = await decisions.list({ clusterId: CLUSTER, limit: 10 });
    expect(page.items[0]).toMatchObject({ eventId: 'e1', migration: { result: 'migrated', correlationIds: result.correlationIds } });
    expect(page.items[1].migration).toBeUndefined();
    decisions.close?.();
    results.close?.();
  });
});

describe('SqliteDecisionStore on a SqliteResultStore', () => {
  it("shares the store's own in-memory database, and leaves it open when closed", async () => {
    const results = new SqliteResultStore(':memory:');
    const decisions = new SqliteDecisionStore(results);
    await decisions.record(decision);
    await results.acquire(CLUSTER, 'remediate:x', new Date(), 3600);
    await results.savePlan(INSTANCE, [plan]);
    await results.saveResult(INSTANCE, result);
    expect((await decisions.list({ limit: 10 })).items[0].migration?.result).toBe('migrated');
    decisions.close();
    expect(await results.lockHolder(CLUSTER)).toBe('remediate:x');
    expect(await results.isOwnCorrelationId('c0ffee00-0000-4000-8000-000000000001')).toBe(true);
    results.close();
  });
});
