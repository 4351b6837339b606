// The Functions worker provides @azure/functions-core; under jest the host's stand-in plays it.
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EventType } from '../../local/history';
import { startHost } from '../../local/host';
import { InstanceStore } from '../../local/instanceStore';

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

test('a task hub file of the earlier layout (a history row per event) is read as before and carries on', async () => {
  const db = path.join(dir, 'old-layout.db');
  const first = await startHost({ entry, db, clockScale: 1000, timers: false, log: () => undefined });
  const id = first.client.startNew('TwoEvents', { instanceId: 'old-layout' });
  first.client.raiseEvent(id, 'First', 'one');
  const deadline = Date.now() + 5000;
  while (!first.client.history(id).some((e) => e.EventType === EventType.EventRaised) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const before = first.client.history(id);
  await first.stop();

  // rewrite the stored history as the earlier version wrote it: one row per event, keyed by its position
  const sqlite = new Database(db);
  const rows = sqlite.prepare<[string], { seq: number; event: string }>('SELECT seq, event FROM history_events WHERE instance_id = ? ORDER BY seq').all(id);
  sqlite.transaction(() => {
    sqlite.prepare('DELETE FROM history WHERE instance_id = ?').run(id);
    for (const r of rows) sqlite.prepare('INSERT INTO history (instance_id, seq, event) VALUES (?, ?, ?)').run(id, r.seq, r.event);
  })();
  const perRow = sqlite.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM history WHERE instance_id = ?').get(id)?.n;
  sqlite.close();
  expect(perRow).toBe(before.length);

  const second = await startHost({ entry, db, clockScale: 1000, timers: false, log: () => undefined });
  try {
    expect(second.client.history(id).map((e) => e.EventType)).toEqual(before.map((e) => e.EventType));
    second.client.raiseEvent(id, 'Second', 'two');
    expect((await second.client.waitForCompletion(id)).output).toEqual(['one', 'two']);
  } finally {
    await second.stop();
  }
});

test('inbox and work ids only rise: a consumed highest id is not handed out again, nor one a file already used', () => {
  const file = path.join(dir, 'ids.db');
  const store = new InstanceStore(file);
  const message = (instanceId: string) => ({ instanceId, executionId: null, event: { EventType: EventType.EventRaised, EventId: -1, IsPlayed: false, Timestamp: new Date(0).toISOString(), Name: 'x', Input: null }, visibleAt: 0 });
  const a = store.enqueue(message('i1'));
  const b = store.enqueue(message('i1'));
  expect(b).toBeGreaterThan(a);
  // the highest row goes (an episode consumed it): a plain rowid would be handed out again
  store.commitEpisode({ instanceId: 'i1', resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: [b], work: [], messages: [], newInstances: [], instance: { instance_id: 'i1' } });
  const c = store.enqueue(message('i1'));
  expect(c).toBeGreaterThan(b);
  const { workIds } = store.commitEpisode({ instanceId: 'i1', resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: [], work: [{ executionId: 'e', taskId: 0, name: 'A', input: '1' }], messages: [], newInstances: [], instance: { instance_id: 'i1' } });
  store.commitEpisode({ instanceId: 'i1', resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: [], completedWork: workIds, work: [], messages: [], newInstances: [], instance: { instance_id: 'i1' } });
  const again = store.commitEpisode({ instanceId: 'i1', resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: [], work: [{ executionId: 'e', taskId: 1, name: 'A', input: '2' }], messages: [], newInstances: [], instance: { instance_id: 'i1' } });
  expect(again.workIds[0]).toBeGreaterThan(workIds[0]);
  store.close();

  // a file whose AUTOINCREMENT sequence (an earlier version's) passed its rows: the next id passes the sequence too
  const old = path.join(dir, 'ids-old.db');
  const sqlite = new Database(old);
  sqlite.exec('CREATE TABLE inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, execution_id TEXT, event TEXT NOT NULL, visible_at INTEGER NOT NULL)');
  sqlite.prepare("INSERT INTO inbox (id, instance_id, execution_id, event, visible_at) VALUES (41, 'i', NULL, '{}', 0)").run();
  sqlite.prepare('DELETE FROM inbox').run();
  sqlite.close();
  const reopened = new InstanceStore(old);
  try {
    expect(reopened.enqueue(message('i2'))).toBe(42);
  } finally {
    reopened.close();
  }
});

test("an instance's inbox reads what was written to it, also after the file is opened again, and nothing once consumed", () => {
  const file = path.join(dir, 'inbox.db');
  const message = (instanceId: string, name: string) => ({ instanceId, executionId: null, event: { EventType: EventType.EventRaised, EventId: -1, IsPlayed: false, Timestamp: new Date(0).toISOString(), Name: name, Input: null }, visibleAt: 0 });
  const store = new InstanceStore(file);
  expect(store.inbox('a')).toEqual([]);
  const first = store.enqueue(message('a', 'one'));
  store.enqueue(message('b', 'other'));
  expect(store.inbox('a').map((m) => m.id)).toEqual([first]);
  store.close();
  const again = new InstanceStore(file);
  try {
    const rows = again.inbox('a');
    expect(rows.map((m) => (JSON.parse(m.event) as { Name: string }).Name)).toEqual(['one']);
    again.commitEpisode({ instanceId: 'a', resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: rows.map((m) => m.id), work: [], messages: [message('a', 'two')], newInstances: [], instance: { instance_id: 'a' } });
    expect(again.inbox('a').map((m) => (JSON.parse(m.event) as { Name: string }).Name)).toEqual(['two']);
    expect(again.inbox('b')).toHaveLength(1);
  } finally {
    again.close();
  }
});

test("an episode that moves only a running instance's last-updated time is read back at once, and is in the file after close", () => {
  const file = path.join(dir, 'times.db');
  const store = new InstanceStore(file);
  const row = { instance_id: 'f', name: 'followOperation', execution_id: 'e', status: 'Running' as const, input: null, output: null, custom_status: null, created_time: '2026-11-22T00:00:00.000Z', last_updated_time: '2026-11-22T00:00:00.000Z', parent_instance_id: null, parent_execution_id: null, parent_task_id: null };
  store.createInstance(row, { instanceId: 'f', executionId: 'e', event: { EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: false, Timestamp: row.created_time }, visibleAt: 0 });
  const episode = (at: string, extra: Record<string, unknown> = {}) =>
    store.commitEpisode({ instanceId: 'f', resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: [], work: [], messages: [], newInstances: [], instance: { instance_id: 'f', status: 'Running', last_updated_time: at, ...extra } });
  episode('2026-11-22T00:01:00.000Z');
  episode('2026-11-22T00:02:00.000Z');
  const onDisk = (): string | undefined => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare<[string], { t: string }>('SELECT last_updated_time AS t FROM instances WHERE instance_id = ?').get('f')?.t;
    } finally {
      db.close();
    }
  };
  // nothing but the time moved: no write (the file keeps the earlier time), every read sees the new one
  expect(onDisk()).toBe('2026-11-22T00:00:00.000Z');
  expect(store.getInstance('f')?.last_updated_time).toBe('2026-11-22T00:02:00.000Z');
  expect(store.queryInstances({ limit: 10, offset: 0 }).map((r) => r.last_updated_time)).toEqual(['2026-11-22T00:02:00.000Z']);
  // a transaction that fails (a work item without a name) changes nothing: the reads still see the committed time,
  // and the inbox is counted again from the file
  store.enqueue({ instanceId: 'f', executionId: 'e', event: { EventType: EventType.EventRaised, EventId: -1, IsPlayed: false, Timestamp: row.created_time, Name: 'x', Input: null }, visibleAt: 0 });
  expect(() =>
    store.commitEpisode({ instanceId: 'f', resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: [], work: [{ executionId: 'e', taskId: 0, name: null as unknown as string, input: '1' }], messages: [], newInstances: [], instance: { instance_id: 'f', status: 'Running', last_updated_time: '2026-11-22T00:02:30.000Z' } }),
  ).toThrow(/NOT NULL/);
  expect(store.getInstance('f')?.last_updated_time).toBe('2026-11-22T00:02:00.000Z');
  expect(store.queryInstances({ limit: 10, offset: 0 }).map((r) => r.last_updated_time)).toEqual(['2026-11-22T00:02:00.000Z']);
  const waiting = store.inbox('f');
  // the start message createInstance queued, and the event
  expect(waiting.map((m) => (JSON.parse(m.event) as { EventType: number }).EventType)).toEqual([EventType.ExecutionStarted, EventType.EventRaised]);
  store.commitEpisode({ instanceId: 'f', resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: waiting.map((m) => m.id), work: [], messages: [], newInstances: [], instance: { instance_id: 'f' } });
  expect(store.inbox('f')).toEqual([]);
  // a real change (custom status) writes the row, time included
  episode('2026-11-22T00:03:00.000Z', { custom_status: '"polling"' });
  expect(onDisk()).toBe('2026-11-22T00:03:00.000Z');
  episode('2026-11-22T00:04:00.000Z', { custom_status: '"polling"' });
  store.close();
  expect(onDisk()).toBe('2026-11-22T00:04:00.000Z');
  const again = new InstanceStore(file);
  try {
    expect(again.getInstance('f')).toMatchObject({ status: 'Running', custom_status: '"polling"', last_updated_time: '2026-11-22T00:04:00.000Z' });
  } finally {
    again.close();
  }
});

test('a second host on the same task hub file refuses at once, naming the fix; once the first is closed it may open', () => {
  const file = path.join(dir, 'owned.db');
  const first = new InstanceStore(file);
  expect(() => new InstanceStore(file)).toThrow(`the task hub file ${file} is in use by another aksnet host; stop that host, or give this one another file (--db)`);
  first.close();
  const second = new InstanceStore(file);
  second.close();
});
