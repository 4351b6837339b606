// The Functions worker provides @azure/functions-core; under jest the host's stand-in plays it.
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startHost } from '../../local/host';

const entry = path.join(__dirname, 'apps/conformanceApp.ts');

describe('the local task hub commits episodes that are ready together in one transaction', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-groupcommit-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('40 instances started at once: fewer transactions than episodes, every history complete, the CPU split adds up', async () => {
    const db = path.join(dir, 'hub.db');
    const host = await startHost({ entry, db, clockScale: 1000, timers: false, log: () => undefined });
    const ids: string[] = [];
    try {
      for (let i = 0; i < 40; i++) ids.push(host.client.startNew('Sequence', { instanceId: `seq-${i}`, input: null }));
      for (const id of ids) {
        const status = await host.client.waitForCompletion(id);
        expect(status.runtimeStatus).toBe('Completed');
        expect(status.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
      }
      const s = host.hub.stats;
      // 40 × (start + 3 results) episodes; the 40 starts alone were ready together
      expect(s.episodes).toBe(160);
      expect(s.batches).toBeLessThan(s.episodes);
      expect(s.batches).toBeGreaterThan(0);
      // (a) + (b): the SDK's part and the SQLite commits are parts of the host's whole
      expect(s.sdkMs).toBeGreaterThan(0);
      expect(s.commitMs).toBeGreaterThan(0);
      expect(s.sdkMs + s.commitMs).toBeLessThanOrEqual(s.hostMs);
      const byName = host.hub.statsByName.get('Sequence');
      expect(byName).toMatchObject({ episodes: 160 });
      expect(byName!.sdkMs).toBeLessThanOrEqual(byName!.ms);
    } finally {
      await host.stop();
    }
    // What was committed together reads back as each instance's own, ordered history.
    const reader = new Database(db, { readonly: true });
    try {
      for (const id of ids) {
        const types = reader
          .prepare<[string], { t: number }>("SELECT json_extract(event, '$.EventType') AS t FROM history_events WHERE instance_id = ? ORDER BY seq")
          .all(id)
          .map((r) => r.t);
        // ExecutionStarted, 3 × (TaskScheduled … TaskCompleted), ExecutionCompleted
        expect(types.filter((t) => t === 0)).toHaveLength(1);
        expect(types.filter((t) => t === 4)).toHaveLength(3);
        expect(types.filter((t) => t === 5)).toHaveLength(3);
        expect(types.indexOf(1)).toBe(types.length - 2);
      }
      expect((reader.prepare('SELECT COUNT(*) AS n FROM work').get() as { n: number }).n).toBe(0);
      expect((reader.prepare('SELECT COUNT(*) AS n FROM inbox').get() as { n: number }).n).toBe(0);
    } finally {
      reader.close();
    }
  });
});
