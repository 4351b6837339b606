// The behaviour shared by every ResultStore (memory, SQLite, Table storage) is one suite:
// test/integration/tableStores.test.ts. Here: what only a SQLite file does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteResultStore } from '../../../shared/rollout/sqliteStore';
import type { RolloutClusterRecord } from '../../../shared/rollout/store';
import { clusterId } from '../../support/arm';

function record(i: number, stageIndex?: number): RolloutClusterRecord {
  const id = clusterId(`aks-${String(i).padStart(3, '0')}`);
  return { rolloutId: 'r1', clusterId: id, name: `aks-${i}`, resourceGroup: 'rg-aks', subscriptionId: '00000000-0000-0000-0000-000000000001', verdict: 'ready', steps: ['dataplane:cilium'], napMode: 'Manual', windows: [], ...(stageIndex !== undefined ? { stage: `s${stageIndex}`, stageIndex, order: i } : {}) };
}

const result = (id: string, outcome: 'migrated' | 'failed') => ({ clusterId: id, result: outcome, findings: [], steps: [], startedAt: 't', endedAt: 't', correlationIds: [] });

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
