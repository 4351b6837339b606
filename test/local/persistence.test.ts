// The Functions worker provides @azure/functions-core; under jest the host's stand-in plays it.
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventType } from '../../local/history';
import { startHost } from '../../local/host';

const entry = path.join(__dirname, 'apps/conformanceApp.ts');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-persist-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('stop and start again on the same SQLite file: instances, events and timers carry on', async () => {
  const db = path.join(dir, 'hub.db');
  const first = await startHost({ entry, db, clockScale: 1000, timers: false, log: () => undefined });
  const waiting = first.client.startNew('TwoEvents', { instanceId: 'persist-events' });
  first.client.raiseEvent(waiting, 'First', 'before the restart');
  // an hour of durable time is 3.6 s here: stop long before it fires
  const timer = first.client.startNew('Timer', { instanceId: 'persist-timer', input: 1 });
  const deadline = Date.now() + 5000;
  while (!first.client.history(timer).some((e) => e.EventType === EventType.TimerCreated) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await first.stop();

  await new Promise((r) => setTimeout(r, 300)); // downtime counts on the durable clock, as in Azure
  const second = await startHost({ entry, db, clockScale: 1000, timers: false, log: () => undefined });
  try {
    expect(second.client.getStatus('persist-events')?.runtimeStatus).toBe('Running');
    second.client.raiseEvent('persist-events', 'Second', 'after it');
    expect((await second.client.waitForCompletion('persist-events')).output).toEqual(['before the restart', 'after it']);
    const t = await second.client.waitForCompletion('persist-timer', 10_000);
    expect((t.output as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(3600_000);
    // one TimerCreated, one TimerFired: the restart re-armed the stored timer instead of creating another
    const types = second.client.history('persist-timer').map((e) => e.EventType);
    expect(types.filter((x) => x === EventType.TimerCreated)).toHaveLength(1);
    expect(types.filter((x) => x === EventType.TimerFired)).toHaveLength(1);
  } finally {
    await second.stop();
  }
});
