/**
 * One behavioural suite for every store backend: in memory, SQLite, and Table storage (the real
 * @azure/data-tables client against Azurite's Table service). What the rollout orchestration, the HTTP API and
 * Event Grid remediation rely on must hold on all three — and on Table storage across two app instances.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { decisionStoreFromSettings, resultStoreFromSettings, storeSettingsKey } from '../../functions/dependencies';
import type { ClusterResult } from '../../shared/migration/result';
import { parsePolicy } from '../../shared/remediation/policy';
import { remediate, type RemediationPorts } from '../../shared/remediation/remediate';
import { SqliteDecisionStore } from '../../shared/remediation/sqliteDecisionStore';
import { MemoryDecisionStore, type DecisionRecord, type DecisionStore } from '../../shared/remediation/store';
import { TableDecisionStore } from '../../shared/remediation/tableDecisionStore';
import { SqliteResultStore } from '../../shared/rollout/sqliteStore';
import { MemoryResultStore, type ClusterLocks, type ResultStore, type RolloutClusterRecord } from '../../shared/rollout/store';
import { TableResultStore } from '../../shared/rollout/tableStore';
import { openSqlite } from '../../shared/storage/sqlite';
import { ensureTables, tablesFromSettings } from '../../shared/storage/tables';
import { clusterId } from '../support/arm';
import { DEV_KEY, startAzuriteTable, type AzuriteTable } from '../support/azurite';

let azurite: AzuriteTable;
beforeAll(async () => {
  azurite = await startAzuriteTable();
});
afterAll(async () => {
  await azurite?.stop();
});

let tableCount = 0;
/** Fresh, uniquely named tables per test: every test starts empty. */
async function freshTables(): Promise<{ results: TableClient; locks: TableClient; decisions: TableClient }> {
  const suffix = `${++tableCount}${randomBytes(3).toString('hex')}`;
  const tables = tablesFromSettings({
    AKSNET_TABLE_CONNECTION_STRING: azurite.connectionString,
    AKSNET_RESULTS_TABLE: `results${suffix}`,
    AKSNET_LOCKS_TABLE: `locks${suffix}`,
    AKSNET_DECISIONS_TABLE: `decisions${suffix}`,
  });
  if (!tables) throw new Error('tablesFromSettings returned nothing for a connection string');
  await ensureTables(tables);
  return tables;
}

/** A backend: `open()` twice = two app instances (or processes) over the same storage. */
interface Backend<S> {
  open(): S;
  cleanup(): void;
}

type Results = ResultStore & ClusterLocks & { close?(): void };

const resultBackends: Array<[string, () => Promise<Backend<Results>>]> = [
  [
    'MemoryResultStore',
    async () => {
      const store = new MemoryResultStore();
      return { open: () => store, cleanup: () => undefined };
    },
  ],
  [
    'SqliteResultStore',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'aksnet-stores-'));
      const opened: SqliteResultStore[] = [];
      return {
        open: () => {
          const s = new SqliteResultStore(join(dir, 'results.db'));
          opened.push(s);
          return s;
        },
        cleanup: () => {
          opened.forEach((s) => s.close());
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'TableResultStore',
    async () => {
      const tables = await freshTables();
      // A second instance gets its own clients (its own connections), as a second app instance would.
      const again = tablesFromSettings({
        AKSNET_TABLE_CONNECTION_STRING: azurite.connectionString,
        AKSNET_RESULTS_TABLE: tables.results.tableName,
        AKSNET_LOCKS_TABLE: tables.locks.tableName,
      });
      let n = 0;
      return { open: () => new TableResultStore(n++ === 0 ? tables : () => again!), cleanup: () => undefined };
    },
  ],
];

function record(i: number, stageIndex?: number, rolloutId = 'r1'): RolloutClusterRecord {
  const id = clusterId(`aks-${String(i).padStart(3, '0')}`);
  return {
    rolloutId,
    clusterId: id,
    name: `aks-${i}`,
    resourceGroup: 'rg-aks',
    subscriptionId: '00000000-0000-0000-0000-000000000001',
    verdict: 'ready',
    steps: ['dataplane:cilium'],
    napMode: 'Manual',
    windows: [],
    ...(stageIndex !== undefined ? { stage: `s${stageIndex}`, stageIndex, order: i } : {}),
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

const result = (id: string, outcome: 'migrated' | 'failed', correlationIds: string[] = []): ClusterResult => ({
  clusterId: id,
  result: outcome,
  findings: [],
  steps: [],
  startedAt: '2026-11-21T19:00:00Z',
  endedAt: '2026-11-21T19:30:00Z',
  correlationIds,
});

describe.each(resultBackends)('%s', (_name, backend) => {
  let b: Backend<Results>;
  beforeEach(async () => {
    b = await backend();
  });
  afterEach(() => b.cleanup());

  it('pages clusters in id order with a continuation token, filtered by outcome', async () => {
    const store = b.open();
    await store.savePlan('r1', Array.from({ length: 25 }, (_, i) => record(24 - i, 0)));
    for (let i = 0; i < 25; i += 5) await store.saveResult('r1', result(record(i).clusterId, 'failed'));
    const first = await store.listClusters('r1', { limit: 10 });
    expect(first.items.map((r) => r.name)).toEqual(Array.from({ length: 10 }, (_, i) => `aks-${i}`));
    const second = await store.listClusters('r1', { limit: 10, continuationToken: first.continuationToken });
    const third = await store.listClusters('r1', { limit: 10, continuationToken: second.continuationToken });
    expect(third.items.map((r) => r.name)).toEqual(['aks-20', 'aks-21', 'aks-22', 'aks-23', 'aks-24']);
    expect(third.continuationToken).toBeUndefined();
    expect(new Set([...first.items, ...second.items, ...third.items].map((r) => r.clusterId)).size).toBe(25);
    expect((await store.listClusters('r1', { status: 'failed' })).items.map((r) => r.name)).toEqual(['aks-0', 'aks-5', 'aks-10', 'aks-15', 'aks-20']);
    expect((await store.listClusters('r1', { status: 'failed' })).items[0].result).toMatchObject({ result: 'failed', endedAt: '2026-11-21T19:30:00Z' });
    const pending = await store.listClusters('r1', { status: 'pending', limit: 15 });
    expect([pending.items.length, pending.items.every((r) => r.result === undefined)]).toEqual([15, true]);
    const rest = await store.listClusters('r1', { status: 'pending', limit: 15, continuationToken: pending.continuationToken });
    expect([rest.items.length, rest.continuationToken]).toEqual([5, undefined]);
    expect(await store.listClusters('r2')).toEqual({ items: [] });
  });

  it('saves a plan of a few hundred clusters (several transactions) and pages through it', async () => {
    const store = b.open();
    const plan = Array.from({ length: 250 }, (_, i) => record(i, i % 3));
    await store.savePlan('r1', plan);
    await store.saveResult('r1', result(plan[200].clusterId, 'migrated'));
    await store.savePlan('r1', [...plan, plan[3]]);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await store.listClusters('r1', { limit: 64, ...(token ? { continuationToken: token } : {}) });
      names.push(...page.items.map((r) => r.name));
      token = page.continuationToken;
    } while (token);
    expect(names).toEqual(plan.map((r) => r.name));
    expect((await store.listClusters('r1', { status: 'migrated' })).items.map((r) => r.name)).toEqual(['aks-200']);
    expect((await store.loadStageBatch('r1', 2, 60, 3)).map((r) => r.order)).toEqual([182, 185, 188]);
  });

  it('refuses a token it did not issue with a clear message', async () => {
    const store = b.open();
    await expect(store.listClusters('r1', { continuationToken: 'Li4vZXRjL3Bhc3N3ZA' })).rejects.toThrow(/continuationToken .* is not one this API returned/);
  });

  it('loads stage batches in order and keeps results when the plan is saved again', async () => {
    const store = b.open();
    const plan = Array.from({ length: 7 }, (_, i) => record(i, i < 3 ? 0 : 1));
    await store.savePlan('r1', [...plan].reverse());
    await store.saveResult('r1', result(plan[4].clusterId, 'migrated'));
    await store.savePlan('r1', plan);
    const batch = await store.loadStageBatch('r1', 1, 1, 2);
    expect(batch.map((r) => r.name)).toEqual(['aks-4', 'aks-5']);
    expect(batch[0].result?.result).toBe('migrated');
    expect((await store.loadStageBatch('r1', 0, 0, 10)).map((r) => r.name)).toEqual(['aks-0', 'aks-1', 'aks-2']);
    expect(await store.loadStageBatch('r1', 1, 10, 5)).toEqual([]);
  });

  it('loads stage batches at any position after a re-saved plan moves clusters between stages', async () => {
    const store = b.open();
    // Orders 0..n-1 per stage, as discovery plans them; 230 clusters: more than two transactions per stage.
    const stage = (ids: number[], stageIndex: number) => ids.map((i, order) => ({ ...record(i, stageIndex), order }));
    const first = [...stage(range(0, 180), 0), ...stage(range(180, 230), 1)];
    await store.savePlan('r1', first);
    expect((await store.loadStageBatch('r1', 0, 95, 10)).map((r) => r.name)).toEqual(range(95, 105).map((i) => `aks-${i}`));
    // Saved again: clusters 150..179 move to the front of stage 1, stage 0 shrinks to 150.
    await store.saveResult('r1', result(record(160).clusterId, 'migrated'));
    await store.savePlan('r1', [...stage(range(0, 150), 0), ...stage([...range(150, 180), ...range(180, 230)], 1)]);
    const all0: string[] = [];
    for (let offset = 0; ; offset += 40) {
      const batch = await store.loadStageBatch('r1', 0, offset, 40);
      if (!batch.length) break;
      all0.push(...batch.map((r) => r.name));
    }
    expect(all0).toEqual(range(0, 150).map((i) => `aks-${i}`));
    const moved = await store.loadStageBatch('r1', 1, 5, 10);
    expect(moved.map((r) => [r.name, r.stageIndex])).toEqual(range(155, 165).map((i) => [`aks-${i}`, 1]));
    expect(moved[5].result?.result).toBe('migrated');
    expect((await store.loadStageBatch('r1', 1, 75, 10)).map((r) => r.name)).toEqual(range(225, 230).map((i) => `aks-${i}`));
    expect(await store.loadStageBatch('r1', 0, 150, 10)).toEqual([]);
    expect(await store.loadStageBatch('r1', 2, 0, 10)).toEqual([]);
  });

  it('keeps rollouts apart, including rollout ids with characters Table keys forbid', async () => {
    const store = b.open();
    await store.savePlan('rollout/a#1', [record(1, 0, 'rollout/a#1')]);
    await store.savePlan('rollout?a\\1', [record(2, 0, 'rollout?a\\1')]);
    expect((await store.listClusters('rollout/a#1')).items.map((r) => r.name)).toEqual(['aks-1']);
    expect((await store.loadStageBatch('rollout?a\\1', 0, 0, 5)).map((r) => r.name)).toEqual(['aks-2']);
  });

  it('stores a result with thousands of findings and reads it back whole', async () => {
    const store = b.open();
    await store.savePlan('r1', [record(1, 0)]);
    // Random text does not compress: this result is several hundred KiB, far over one Table property (64 KiB).
    const findings = Array.from({ length: 3000 }, (_, i) => ({
      rule: `rule-${i % 40}`,
      severity: 'warning' as const,
      message: `pool ${randomBytes(48).toString('base64')} has ${i} pods`,
      remediation: 'scale it down',
      source: '000_update_rules.txt § 3',
    }));
    const big: ClusterResult = { ...result(record(1).clusterId, 'failed'), findings, reason: 'é→😀 '.repeat(500) };
    await store.saveResult('r1', big);
    const [back] = (await store.listClusters('r1', { status: 'failed' })).items;
    expect(back.result).toEqual(big);
    expect((await b.open().loadStageBatch('r1', 0, 0, 1))[0].result).toEqual(big);
  });

  it('indexes rollouts newest first (ties by id, descending), pages them with a token, and keeps the first registration', async () => {
    const store = b.open();
    const at = (min: number): string => new Date(Date.UTC(2026, 10, 21, 19, min)).toISOString();
    await store.registerRollout({ rolloutId: 'old-20261121T190000Z-000000', name: 'old', target: 'cilium', createdAt: at(0) });
    // Same instant: by id descending, a longer id with the same start first ("fleet-10" > "fleet-1").
    await store.registerRollout({ rolloutId: 'fleet-1', name: 'fleet', target: 'overlay+cilium', createdAt: at(5) });
    await store.registerRollout({ rolloutId: 'fleet-10', name: 'fleet', createdAt: at(5) });
    await store.registerRollout({ rolloutId: 'fleet-0z', name: 'fleet', createdAt: at(5) });
    // A timer's id (':' in it) and a time not written as toISOString writes it.
    await store.registerRollout({ rolloutId: 'scheduled:nightly:2026-11-21T19:10:00.000Z', name: 'nightly', createdAt: '2026-11-21T19:10:00Z' });
    // Registered again later (the rollout's first activity after the API, or a re-run): it stays where it was.
    await store.registerRollout({ rolloutId: 'old-20261121T190000Z-000000', name: 'renamed', createdAt: at(30) });
    const all = await store.listRollouts();
    expect(all).toEqual({
      items: [
        { rolloutId: 'scheduled:nightly:2026-11-21T19:10:00.000Z', name: 'nightly', createdAt: '2026-11-21T19:10:00.000Z' },
        { rolloutId: 'fleet-10', name: 'fleet', createdAt: at(5) },
        { rolloutId: 'fleet-1', name: 'fleet', target: 'overlay+cilium', createdAt: at(5) },
        { rolloutId: 'fleet-0z', name: 'fleet', createdAt: at(5) },
        { rolloutId: 'old-20261121T190000Z-000000', name: 'old', target: 'cilium', createdAt: at(0) },
      ],
    });
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.listRollouts({ limit: 2, ...(token ? { continuationToken: token } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((e) => e.rolloutId));
      token = page.continuationToken;
      pages++;
    } while (token);
    expect([pages, paged]).toEqual([3, all.items.map((e) => e.rolloutId)]);
    // Exactly a page: no token pointing at an empty one.
    expect((await store.listRollouts({ limit: 5 })).continuationToken).toBeUndefined();
  });

  it('registers a rollout once when two instances of the store register it at the same time', async () => {
    const one = b.open();
    const two = b.open();
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? one : two).registerRollout({ rolloutId: 'race-20261121T190000Z-abcdef', name: 'race', createdAt: new Date(Date.UTC(2026, 10, 21, 19, i)).toISOString() })));
    const listed = await one.listRollouts();
    expect(listed.items.map((e) => e.rolloutId)).toEqual(['race-20261121T190000Z-abcdef']);
    expect((await two.listRollouts()).items).toEqual(listed.items);
  });

  it('refuses a rollout list token it did not issue, and a registration without a time, in one line each', async () => {
    const store = b.open();
    for (const token of ['Li4vZXRjL3Bhc3N3ZA', Buffer.from(JSON.stringify(['yesterday', 'r1'])).toString('base64url'), Buffer.from(clusterId('aks-1')).toString('base64url')]) {
      await expect(store.listRollouts({ continuationToken: token })).rejects.toThrow(/^continuationToken '.*' is not one this API returned: start again without it$/);
    }
    await expect(store.registerRollout({ rolloutId: 'r1', name: 'r', createdAt: 'now' })).rejects.toThrow("rollout r1: createdAt 'now' is not an ISO 8601 time: pass new Date().toISOString()");
    expect(await store.listRollouts()).toEqual({ items: [] });
  });

  it('refuses a result for a cluster that is not part of the rollout', async () => {
    const store = b.open();
    await store.savePlan('r1', [record(1, 0)]);
    await expect(store.saveResult('r1', result(record(2).clusterId, 'migrated'))).rejects.toThrow(`cluster ${record(2).clusterId} is not part of rollout r1`);
  });

  it('locks a cluster for one owner at a time; re-entrant; free after release or expiry', async () => {
    const store = b.open();
    const id = record(1).clusterId;
    const t0 = new Date('2026-01-05T10:00:00Z');
    expect(await store.acquire(id, 'a', t0, 60)).toEqual({ acquired: true });
    expect(await store.acquire(id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), 'b', t0, 60)).toEqual({ acquired: false, holder: 'a', since: t0.toISOString() });
    expect(await store.acquire(id, 'a', new Date(t0.getTime() + 30_000), 60)).toEqual({ acquired: true });
    // Re-entry renewed the lease: 61 s after the first take it is still a's.
    expect(await store.acquire(id, 'b', new Date(t0.getTime() + 61_000), 60)).toEqual({ acquired: false, holder: 'a', since: t0.toISOString() });
    await store.release(id, 'b');
    expect((await store.acquire(id, 'b', t0, 60)).acquired).toBe(false);
    expect((await store.acquire(id, 'b', new Date(t0.getTime() + 91_000), 60)).acquired).toBe(true);
    await store.release(id, 'a');
    expect((await store.acquire(id, 'c', new Date(t0.getTime() + 92_000), 60)).acquired).toBe(false);
    await store.release(id, 'b');
    expect((await store.acquire(id, 'c', t0, 60)).acquired).toBe(true);
  });

  it('lets exactly one of many concurrent owners take a lock, across two instances of the store', async () => {
    const one = b.open();
    const two = b.open();
    const id = record(7).clusterId;
    const now = new Date('2026-01-05T10:00:00Z');
    const tries = Array.from({ length: 16 }, (_, i) => (i % 2 ? one : two).acquire(id, `owner-${i}`, now, 600));
    const outcomes = await Promise.all(tries);
    const winners = outcomes.map((o, i) => (o.acquired ? `owner-${i}` : undefined)).filter((w) => w !== undefined);
    expect(winners).toHaveLength(1);
    expect(new Set(outcomes.filter((o) => !o.acquired).map((o) => (o.acquired ? '' : o.holder)))).toEqual(new Set(winners));
    // An expired lease taken over concurrently: again exactly one winner.
    const later = new Date(now.getTime() + 601_000);
    const again = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? two : one).acquire(id, `late-${i}`, later, 600)));
    expect(again.filter((o) => o.acquired)).toHaveLength(1);
  });
});

describe('SqliteResultStore on a results file from before the rollout index', () => {
  it('opens it, keeps its results, lists none of its earlier rollouts, and indexes new ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aksnet-oldfile-'));
    try {
      const file = join(dir, 'results.db');
      // The schema the first session's SqliteResultStore created (no `rollouts` table), with one plan row in it.
      const old = openSqlite(file);
      old.exec(`CREATE TABLE rollout_clusters (rollout_id TEXT NOT NULL, cluster_key TEXT NOT NULL, stage_index INTEGER, ord INTEGER,
        record_json TEXT NOT NULL, outcome TEXT, result_json TEXT, PRIMARY KEY (rollout_id, cluster_key));
        CREATE TABLE cluster_locks (cluster_key TEXT PRIMARY KEY, owner TEXT NOT NULL, since TEXT NOT NULL, expires INTEGER NOT NULL);`);
      const rec = record(1, 0, 'before-20261120T000000Z-000000');
      old.prepare('INSERT INTO rollout_clusters (rollout_id, cluster_key, stage_index, ord, record_json) VALUES (?, ?, 0, 1, ?)').run('before-20261120T000000Z-000000', rec.clusterId.toLowerCase(), JSON.stringify(rec));
      old.close();
      const store = new SqliteResultStore(file);
      try {
        expect((await store.listClusters('before-20261120T000000Z-000000')).items.map((r) => r.name)).toEqual(['aks-1']);
        expect(await store.listRollouts()).toEqual({ items: [] });
        await store.registerRollout({ rolloutId: 'after-20261121T190000Z-000000', name: 'after', createdAt: '2026-11-21T19:00:00.000Z' });
        expect((await store.listRollouts()).items.map((e) => e.rolloutId)).toEqual(['after-20261121T190000Z-000000']);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TableResultStore stage batches', () => {
  /** The results table through a client that counts the rows its queries bring back (what a batch costs). */
  function countingClient(name: string): { client: TableClient; rowsRead: () => number } {
    let rows = 0;
    const client = TableClient.fromConnectionString(azurite.connectionString, name, {
      allowInsecureConnection: true,
      additionalPolicies: [
        {
          position: 'perCall',
          policy: {
            name: 'countRows',
            sendRequest: async (req, next) => {
              const res = await next(req);
              // A query answers {"value": [...]}; a point read answers one entity (counted as one row).
              if (req.method === 'GET' && res.bodyAsText) {
                const body = JSON.parse(res.bodyAsText) as { value?: unknown[] };
                rows += Array.isArray(body.value) ? body.value.length : 1;
              }
              return res;
            },
          },
        },
      ],
    });
    return { client, rowsRead: () => rows };
  }

  it('reads only the batch it loads, not the whole stage', async () => {
    const tables = await freshTables();
    const counted = countingClient(tables.results.tableName);
    const store = new TableResultStore({ results: counted.client, locks: tables.locks });
    await store.savePlan('r1', range(0, 1500).map((i) => ({ ...record(i, 0), order: i })));
    const before = counted.rowsRead();
    const batch = await store.loadStageBatch('r1', 0, 1400, 50);
    expect(batch.map((r) => r.order)).toEqual(range(1400, 1450));
    // 50 position rows and 50 records; the scan read all 1,500 rows of the stage for every batch.
    expect(counted.rowsRead() - before).toBeLessThanOrEqual(100);
  });

  it('falls back to scanning the stage for a rollout saved before position rows, until its plan is saved again', async () => {
    const tables = await freshTables();
    const store = new TableResultStore(tables);
    const plan = range(0, 120).map((i) => record(i, i % 2));
    await store.savePlan('r/old', plan);
    // What a store written before this change holds: the plan rows, no '~stage~' position partitions.
    const positions = tables.results.listEntities({ queryOptions: { filter: "PartitionKey ge '~stage~' and PartitionKey lt '~stage~~'", select: ['PartitionKey', 'RowKey'] } });
    const old: Array<[string, string]> = [];
    for await (const row of positions) old.push([row.partitionKey as string, row.rowKey as string]);
    expect(old).toHaveLength(120);
    for (const [pk, rk] of old) await tables.results.deleteEntity(pk, rk);
    const legacy = await store.loadStageBatch('r/old', 1, 10, 5);
    expect(legacy.map((r) => r.order)).toEqual([21, 23, 25, 27, 29]);
    expect(await store.loadStageBatch('r/old', 1, 60, 5)).toEqual([]);
    // A re-save (discovery run again) writes them, and the batches read the same clusters.
    await store.savePlan('r/old', plan);
    const rows = tables.results.listEntities({ queryOptions: { filter: "PartitionKey ge '~stage~' and PartitionKey lt '~stage~~'", select: ['RowKey'] } });
    let n = 0;
    for await (const _row of rows) n++;
    expect(n).toBe(120);
    expect((await store.loadStageBatch('r/old', 1, 10, 5)).map((r) => r.order)).toEqual([21, 23, 25, 27, 29]);
  });
});

describe('TableResultStore: what remediation asks of the rollout side', () => {
  it('knows who holds a lock and which correlation ids are aksnet writes', async () => {
    const store = new TableResultStore(await freshTables());
    const id = record(3).clusterId;
    const now = new Date('2026-01-05T10:00:00Z');
    expect(await store.lockHolder(id, now)).toBeUndefined();
    await store.acquire(id, 'rollout-1:x', now, 60);
    expect(await store.lockHolder(id, now)).toBe('rollout-1:x');
    // ARM ids are case-insensitive: an Event Grid subject in other casing finds the same lock.
    expect(await store.lockHolder(id.toUpperCase(), now)).toBe('rollout-1:x');
    expect(await store.lockHolder(id, new Date(now.getTime() + 61_000))).toBeUndefined();
    await store.savePlan('r1', [record(3, 0)]);
    await store.saveResult('r1', result(id, 'migrated', ['c0ffee00-0000-4000-8000-000000000001', 'c0ffee00-0000-4000-8000-000000000002']));
    expect(await store.isOwnCorrelationId('c0ffee00-0000-4000-8000-000000000002')).toBe(true);
    expect(await store.isOwnCorrelationId('feed0000-0000-4000-8000-000000000000')).toBe(false);
    // The index rows are no rollout: listing r1 shows only its cluster.
    expect((await store.listClusters('r1')).items.map((r) => r.name)).toEqual(['aks-3']);
  });
});

type Decisions = DecisionStore & { close?(): void };

const decisionBackends: Array<[string, () => Promise<Backend<Decisions>>]> = [
  [
    'MemoryDecisionStore',
    async () => {
      const store = new MemoryDecisionStore();
      return { open: () => store, cleanup: () => undefined };
    },
  ],
  [
    'SqliteDecisionStore',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'aksnet-decisions-'));
      const opened: SqliteDecisionStore[] = [];
      return {
        open: () => {
          const s = new SqliteDecisionStore(join(dir, 'results.db'));
          opened.push(s);
          return s;
        },
        cleanup: () => {
          opened.forEach((s) => s.close());
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'TableDecisionStore',
    async () => {
      const { decisions } = await freshTables();
      let n = 0;
      return {
        open: () => new TableDecisionStore(n++ === 0 ? decisions : () => TableClient.fromConnectionString(azurite.connectionString, decisions.tableName, { allowInsecureConnection: true })),
        cleanup: () => undefined,
      };
    },
  ],
];

const SUB = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const aks = (name: string): string => `/subscriptions/${SUB}/resourceGroups/rg-apps/providers/Microsoft.ContainerService/managedClusters/${name}`;

function decision(i: number, over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decidedAt: new Date(Date.UTC(2026, 10, 21, 19, 0, i)).toISOString(),
    eventId: `ev-${i}`,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: new Date(Date.UTC(2026, 10, 21, 18, 59, i)).toISOString(),
    clusterId: aks(i % 2 ? 'aks-odd' : 'aks-even'),
    action: 'report',
    reason: `decision ${i}`,
    dedupeKey: `event:ev-${i}`,
    ...over,
  };
}

/** A ResourceWriteSuccess on a cluster as the subscription system topic delivers it (Event Grid schema). */
function writeEvent(id: string, resourceUri: string): Record<string, unknown> {
  return {
    id,
    topic: `/subscriptions/${SUB}`,
    subject: resourceUri,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2026-11-21T19:00:10.000Z',
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      authorization: { scope: resourceUri, action: 'Microsoft.ContainerService/managedClusters/write', evidence: { role: 'Contributor', principalId: 'bbbbbbbb-0000-4000-8000-000000000003', principalType: 'User' } },
      claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': 'bbbbbbbb-0000-4000-8000-000000000003', appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' },
      correlationId: 'c0ffee00-0000-4000-8000-000000000000',
      resourceProvider: 'Microsoft.ContainerService',
      resourceUri,
      operationName: 'Microsoft.ContainerService/managedClusters/write',
      status: 'Succeeded',
      subscriptionId: SUB,
      tenantId: '72f988bf-0000-4000-8000-000000000000',
    },
  };
}

describe.each(decisionBackends)('%s', (_name, backend) => {
  let b: Backend<Decisions>;
  beforeEach(async () => {
    b = await backend();
  });
  afterEach(() => b.cleanup());

  it('lists decisions oldest first, by cluster and since a time, in pages', async () => {
    const store = b.open();
    for (let i = 0; i < 7; i++) await store.record(decision(i));
    const all = await store.list({ limit: 3 });
    expect(all.items.map((r) => r.eventId)).toEqual(['ev-0', 'ev-1', 'ev-2']);
    expect(all.items[1]).toEqual(decision(1));
    const next = await b.open().list({ limit: 3, after: all.continuationToken });
    const last = await store.list({ limit: 3, after: next.continuationToken });
    expect([next.items.map((r) => r.eventId), last.items.map((r) => r.eventId), last.continuationToken]).toEqual([['ev-3', 'ev-4', 'ev-5'], ['ev-6'], undefined]);
    const odd = await store.list({ clusterId: aks('AKS-ODD').replace('/subscriptions/', '/SUBSCRIPTIONS/').replace('/SUBSCRIPTIONS/', '/subscriptions/'), limit: 2 });
    const oddRest = await store.list({ clusterId: aks('aks-odd'), limit: 2, after: odd.continuationToken });
    expect([...odd.items, ...oddRest.items].map((r) => r.eventId)).toEqual(['ev-1', 'ev-3', 'ev-5']);
    expect((await store.list({ since: '2026-11-21T19:00:05Z', limit: 10 })).items.map((r) => r.eventId)).toEqual(['ev-5', 'ev-6']);
    expect((await store.list({ since: '2026-11-21T19:00:04Z', clusterId: aks('aks-even'), limit: 10 })).items.map((r) => r.eventId)).toEqual(['ev-4', 'ev-6']);
    expect((await store.list({ since: '2026-11-21T20:00:00Z', limit: 5 })).items).toEqual([]);
  });

  it('keeps the order of decisions taken in the same millisecond', async () => {
    const store = b.open();
    const at = '2026-11-21T19:00:30.000Z';
    for (let i = 0; i < 5; i++) await store.record(decision(i, { decidedAt: at }));
    expect((await store.list({ limit: 10 })).items.map((r) => r.eventId)).toEqual(['ev-0', 'ev-1', 'ev-2', 'ev-3', 'ev-4']);
  });

  it('refuses a token it did not issue with a clear message', async () => {
    const store = b.open();
    await store.record(decision(1));
    await expect(store.list({ limit: 1, after: 'Li4vZXRjL3Bhc3N3ZA' })).rejects.toThrow('continuation token is not one this store returned; start again without it');
  });

  it('knows which events were decided, keeps every decision of a redelivered event, and the last migrate per cluster', async () => {
    const store = b.open();
    expect(await store.hasEvent('ev/odd?#1')).toBe(false);
    await store.record(decision(1, { eventId: 'ev/odd?#1', action: 'migrate', eventTime: '2026-11-21T18:00:00.000Z' }));
    await store.record(decision(2, { eventId: 'ev/odd?#1', action: 'ignore', reason: 'already delivered' }));
    await store.record(decision(3, { action: 'migrate', clusterId: aks('aks-odd'), eventTime: '2026-11-21T18:30:00.000Z' }));
    await store.record(decision(5, { action: 'report', clusterId: aks('aks-odd'), eventTime: '2026-11-21T19:30:00.000Z' }));
    await store.record(decision(6, { action: 'migrate', clusterId: undefined }));
    expect(await b.open().hasEvent('ev/odd?#1')).toBe(true);
    expect((await store.list({ limit: 10 })).items.filter((r) => r.eventId === 'ev/odd?#1').map((r) => r.action)).toEqual(['migrate', 'ignore']);
    expect(await store.lastMigrate(aks('AKS-ODD'))).toBe('2026-11-21T18:30:00.000Z');
    expect(await store.lastMigrate(aks('aks-none'))).toBeUndefined();
  });

  it('claims a start for one holder at a time; re-entrant; free after release or when it lapses', async () => {
    const store = b.open();
    const t0 = new Date('2026-11-21T19:00:00Z');
    const id = `remediate:${SUB}:rg-apps:aks-a:20261121t190000z`;
    expect(await store.claimStart(id, 'a', t0, 60)).toBe(true);
    expect(await b.open().claimStart(id, 'b', t0, 60)).toBe(false);
    expect(await store.claimStart(id, 'a', t0, 60)).toBe(true);
    await store.releaseStart(id, 'b');
    expect(await store.claimStart(id, 'b', t0, 60)).toBe(false);
    await store.releaseStart(id, 'a');
    expect(await store.claimStart(id, 'b', t0, 60)).toBe(true);
    expect(await store.claimStart(id, 'c', new Date(t0.getTime() + 61_000), 60)).toBe(true);
    expect(await store.claimStart(`${id}x`, 'b', t0, 60)).toBe(true);
  });

  it('lets exactly one of many concurrent holders claim a start, across two instances of the store', async () => {
    const one = b.open();
    const two = b.open();
    const now = new Date('2026-11-21T19:00:00Z');
    const claims = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? one : two).claimStart('remediate:x', `h-${i}`, now, 120)));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('one event delivered to two app instances at once starts one migration', async () => {
    // The Durable start as the Functions app does it: a status read, then the start — not atomic by itself.
    const started: string[] = [];
    const exists = new Set<string>();
    const ports = (decisions: DecisionStore): RemediationPorts => ({
      decisions,
      clusterTags: async () => ({}),
      isOwnCorrelationId: async () => false,
      lockHolder: async () => undefined,
      async startMigration(instanceId) {
        if (exists.has(instanceId)) return 'exists';
        await new Promise((r) => setTimeout(r, 50));
        exists.add(instanceId);
        started.push(instanceId);
        return 'started';
      },
      now: () => new Date('2026-11-21T19:00:30Z'),
    });
    const policy = parsePolicy(`mode: migrate\ntarget: overlay+cilium\nscope:\n  subscriptions: [${SUB}]\nownIdentities:\n  objectIds: [aaaaaaaa-0000-4000-8000-000000000001]\ndebounceSeconds: 600\n`);
    const event = writeEvent('e-dup', aks('aks-a'));
    const instances = [ports(b.open()), ports(b.open()), ports(b.open())];
    const deliveries = await Promise.allSettled(instances.map((p) => remediate([event], policy, p)));
    expect(started).toHaveLength(1);
    // The losers failed their delivery (Event Grid retries it); the retry records the event as already decided.
    const failed = deliveries.filter((d) => d.status === 'rejected');
    expect(failed.map((d) => String((d as PromiseRejectedResult).reason))).toEqual(failed.map(() => expect.stringContaining('is being started by another delivery right now')));
    for (const _ of failed) expect((await remediate([event], policy, instances[0]))[0]).toMatchObject({ action: 'ignore', eventId: 'e-dup' });
    expect(started).toHaveLength(1);
    const recorded = (await b.open().list({ limit: 10 })).items;
    expect(recorded.filter((r) => r.started === true)).toHaveLength(1);
  });
});

describe('TableDecisionStore given the result store', () => {
  it("lists a migrate decision with its migration's result once the run saved it, and without it when given no result store", async () => {
    const tables = await freshTables();
    const results = new TableResultStore(tables);
    const store = new TableDecisionStore(tables.decisions, results);
    const instanceId = 'remediate:aks-busy:0001';
    await store.record(decision(1, { clusterId: aks('aks-busy'), action: 'migrate', instanceId, started: true, dedupeKey: instanceId }));
    expect((await store.list({ limit: 10 })).items[0].migration).toBeUndefined();
    await results.savePlan(instanceId, [{ ...record(1), rolloutId: instanceId, clusterId: aks('aks-busy') }]);
    await results.saveResult(instanceId, result(aks('aks-busy'), 'migrated', ['feed0000-0000-4000-8000-000000000000']));
    expect((await store.list({ limit: 10 })).items[0].migration).toMatchObject({ result: 'migrated', correlationIds: ['feed0000-0000-4000-8000-000000000000'] });
    expect((await new TableDecisionStore(tables.decisions).list({ limit: 10 })).items[0].migration).toBeUndefined();
  });
});

describe('store choice from the app settings (functions/dependencies.ts)', () => {
  it('uses Table storage when a table endpoint or connection string is set, creating missing tables, shared by results, locks and decisions', async () => {
    const suffix = randomBytes(3).toString('hex');
    const env = { AKSNET_TABLE_CONNECTION_STRING: azurite.connectionString, AKSNET_RESULTS_TABLE: `res${suffix}`, AKSNET_LOCKS_TABLE: `lck${suffix}`, AKSNET_DECISIONS_TABLE: `dec${suffix}` };
    const results = resultStoreFromSettings(env);
    const decisions = decisionStoreFromSettings(env);
    expect([results, decisions].map((s) => s.constructor.name)).toEqual(['TableResultStore', 'TableDecisionStore']);
    // Tables that do not exist yet are created on first use.
    await results.acquire(aks('aks-a'), 'rollout-9:aks-a', new Date(), 600);
    await decisions.record(decision(1));
    expect(await resultStoreFromSettings(env).acquire(aks('aks-a'), 'other', new Date(), 600)).toMatchObject({ acquired: false, holder: 'rollout-9:aks-a' });
    expect(await decisionStoreFromSettings(env).hasEvent('ev-1')).toBe(true);
    expect(storeSettingsKey(env)).not.toBe(storeSettingsKey({ ...env, AKSNET_RESULTS_TABLE: 'other' }));
  });

  it('falls back to SQLite without table settings, and names a bad setting in one line', () => {
    const sqlite = resultStoreFromSettings({});
    expect(sqlite.constructor.name).toBe('SqliteResultStore');
    (sqlite as SqliteResultStore).close();
    expect(() => resultStoreFromSettings({ AKSNET_TABLE_ENDPOINT: 'http://aksnetstore.table.core.windows.net' })).toThrow(
      "AKSNET_TABLE_ENDPOINT 'http://aksnetstore.table.core.windows.net' must be https (http only for an emulator on 127.0.0.1): use https://<account>.table.core.windows.net",
    );
    expect(() => resultStoreFromSettings({ AKSNET_TABLE_ENDPOINT: 'aksnetstore' })).toThrow("AKSNET_TABLE_ENDPOINT 'aksnetstore' is not a URL: use https://<account>.table.core.windows.net");
    expect(() => decisionStoreFromSettings({ AKSNET_TABLE_ENDPOINT: 'https://aksnetstore.table.core.windows.net/', AKSNET_DECISIONS_TABLE: 'aksnet-decisions' })).toThrow(
      "AKSNET_DECISIONS_TABLE 'aksnet-decisions' is not a valid table name: use 3-63 letters and digits, starting with a letter",
    );
    expect(() => decisionStoreFromSettings({ AKSNET_TABLE_CONNECTION_STRING: 'nonsense' })).toThrow(/^AKSNET_TABLE_CONNECTION_STRING is not a usable connection string \(.*\): use Azurite's, e.g. UseDevelopmentStorage=true$/);
    expect(resultStoreFromSettings({ AKSNET_TABLE_ENDPOINT: 'https://aksnetstore.table.core.windows.net/' }).constructor.name).toBe('TableResultStore');
  });

  it('refuses both table settings at once, and an account key sent over http to another machine, in one line each', async () => {
    expect(() => tablesFromSettings({ AKSNET_TABLE_ENDPOINT: 'https://aksnetstore.table.core.windows.net', AKSNET_TABLE_CONNECTION_STRING: azurite.connectionString })).toThrow(
      /^set AKSNET_TABLE_ENDPOINT or AKSNET_TABLE_CONNECTION_STRING, not both$/,
    );
    const key = `AccountName=aksnetstore;AccountKey=${Buffer.from('not-a-real-key').toString('base64')}`;
    expect(() => tablesFromSettings({ AKSNET_TABLE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;${key};TableEndpoint=http://aksnetstore.table.core.windows.net/` })).toThrow(
      /^AKSNET_TABLE_CONNECTION_STRING uses http to aksnetstore\.table\.core\.windows\.net: http only for an emulator on 127\.0\.0\.1/,
    );
    expect(() => tablesFromSettings({ AKSNET_TABLE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;${key};EndpointSuffix=core.windows.net` })).toThrow(
      /^AKSNET_TABLE_CONNECTION_STRING uses http to account 'aksnetstore': /,
    );
    expect(() => tablesFromSettings({ AKSNET_TABLE_CONNECTION_STRING: `${key};TableEndpoint=not a url` })).toThrow(/^AKSNET_TABLE_CONNECTION_STRING has a TableEndpoint 'not a url' that is not a URL/);
    // Https to the account, Azurite's well-known strings and the test's own (http to 127.0.0.1) all build clients.
    expect(tablesFromSettings({ AKSNET_TABLE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;${key};EndpointSuffix=core.windows.net` })?.results.url).toMatch(/^https:\/\/aksnetstore\.table\.core\.windows\.net/);
    expect(tablesFromSettings({ AKSNET_TABLE_CONNECTION_STRING: 'UseDevelopmentStorage=true' })?.results.url).toMatch(/^http:\/\/127\.0\.0\.1:10002\/devstoreaccount1/);
    expect(tablesFromSettings({ AKSNET_TABLE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;` })?.results.url).toMatch(/^http:\/\/127\.0\.0\.1:10002\//);
    const viaAzurite = tablesFromSettings({ AKSNET_TABLE_CONNECTION_STRING: azurite.connectionString, AKSNET_RESULTS_TABLE: `cs${randomBytes(3).toString('hex')}` });
    await viaAzurite?.results.createTable();
    await viaAzurite?.results.createEntity({ partitionKey: 'p', rowKey: 'r' });
    expect((await viaAzurite?.results.getEntity('p', 'r'))?.rowKey).toBe('r');
  });
});
