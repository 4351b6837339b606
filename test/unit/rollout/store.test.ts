import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteResultStore } from '../../../shared/rollout/sqliteStore';
import { MemoryResultStore, type ClusterLocks, type ResultStore, type RolloutClusterRecord } from '../../../shared/rollout/store';
import { clusterId } from '../../support/arm';

function record(i: number, stageIndex?: number): RolloutClusterRecord {
  const id = clusterId(`aks-${String(i).padStart(3, '0')}`);
  return { rolloutId: 'r1', clusterId: id, name: `aks-${i}`, resourceGroup: 'rg-aks', subscriptionId: '00000000-0000-0000-0000-000000000001', verdict: 'ready', steps: ['dataplane:cilium'], napMode: 'Manual', windows: [], ...(stageIndex !== undefined ? { stage: `s${stageIndex}`, stageIndex, order: i } : {}) };
}

const result = (id: string, outcome: 'migrated' | 'failed') => ({ clusterId: id, result: outcome, findings: [], steps: [], startedAt: 't', endedAt: 't', correlationIds: [] });

const stores: Array<[string, () => ResultStore & ClusterLocks & { close?(): void }]> = [
  ['MemoryResultStore', () => new MemoryResultStore()],
  ['SqliteResultStore', () => new SqliteResultStore(':memory:')],
];

describe.each(stores)('%s', (_name, factory) => {
  const opened: Array<{ close?(): void }> = [];
  const make = () => {
    const s = factory();
    opened.push(s);
    return s;
  };
  afterEach(() => opened.splice(0).forEach((s) => s.close?.()));

  it('pages clusters in id order with a continuation token, filtered by outcome', async () => {
    const store = make();
    await store.savePlan('r1', Array.from({ length: 25 }, (_, i) => record(i, 0)));
    for (let i = 0; i < 25; i += 5) await store.saveResult('r1', result(record(i).clusterId, 'failed'));
    const first = await store.listClusters('r1', { limit: 10 });
    expect(first.items).toHaveLength(10);
    const second = await store.listClusters('r1', { limit: 10, continuationToken: first.continuationToken });
    const third = await store.listClusters('r1', { limit: 10, continuationToken: second.continuationToken });
    expect(third.items).toHaveLength(5);
    expect(third.continuationToken).toBeUndefined();
    expect(new Set([...first.items, ...second.items, ...third.items].map((r) => r.clusterId)).size).toBe(25);
    expect((await store.listClusters('r1', { status: 'failed' })).items.map((r) => r.name)).toEqual(['aks-0', 'aks-5', 'aks-10', 'aks-15', 'aks-20']);
    expect((await store.listClusters('r1', { status: 'pending' })).items).toHaveLength(20);
  });

  it('refuses a token it did not issue with a clear message', async () => {
    const store = make();
    await expect(store.listClusters('r1', { continuationToken: 'Li4vZXRjL3Bhc3N3ZA' })).rejects.toThrow(/continuationToken .* is not one this API returned/);
  });

  it('loads stage batches in order and keeps results when the plan is saved again', async () => {
    const store = make();
    const plan = Array.from({ length: 7 }, (_, i) => record(i, i < 3 ? 0 : 1));
    await store.savePlan('r1', plan);
    await store.saveResult('r1', result(plan[4].clusterId, 'migrated'));
    await store.savePlan('r1', plan);
    const batch = await store.loadStageBatch('r1', 1, 1, 2);
    expect(batch.map((r) => r.name)).toEqual(['aks-4', 'aks-5']);
    expect(batch[0].result?.result).toBe('migrated');
  });

  it('locks a cluster for one owner at a time; re-entrant; free after release or expiry', async () => {
    const store = make();
    const id = record(1).clusterId;
    const t0 = new Date('2026-01-05T10:00:00Z');
    expect(await store.acquire(id, 'a', t0, 60)).toEqual({ acquired: true });
    expect(await store.acquire(id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), 'b', t0, 60)).toEqual({ acquired: false, holder: 'a', since: t0.toISOString() });
    expect(await store.acquire(id, 'a', t0, 60)).toEqual({ acquired: true });
    await store.release(id, 'b');
    expect((await store.acquire(id, 'b', t0, 60)).acquired).toBe(false);
    expect((await store.acquire(id, 'b', new Date(t0.getTime() + 61_000), 60)).acquired).toBe(true);
    await store.release(id, 'b');
    expect((await store.acquire(id, 'c', t0, 60)).acquired).toBe(true);
  });
});

describe('SqliteResultStore in a file', () => {
  it('keeps plan, results and locks across a reopen (a host restart)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aksnet-results-'));
    try {
      const file = join(dir, 'results.db');
      const a = new SqliteResultStore(file);
      await a.savePlan('r1', [record(1, 0), record(2, 0)]);
      await a.saveResult('r1', result(record(1).clusterId, 'migrated'));
      expect((await a.acquire(record(2).clusterId, 'owner-1', new Date('2026-01-05T10:00:00Z'), 3600)).acquired).toBe(true);
      a.close();
      const b = new SqliteResultStore(file);
      expect((await b.listClusters('r1', { status: 'migrated' })).items.map((r) => r.name)).toEqual(['aks-1']);
      expect((await b.acquire(record(2).clusterId, 'owner-2', new Date('2026-01-05T10:30:00Z'), 3600))).toEqual({ acquired: false, holder: 'owner-1', since: '2026-01-05T10:00:00.000Z' });
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
