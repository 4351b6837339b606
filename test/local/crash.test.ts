import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Kill -9 the host (a child process on a SQLite file) at random moments while a workflow of timers,
 * retries, sub-orchestrations and external events runs; restart it on the same file each time.
 * Every instance must finish with the right output and the right number of completed activities;
 * activities in flight at a kill run again (at least once), never zero times.
 */

const root = path.join(__dirname, '../..');
const register = path.join(__dirname, 'apps/tsRegister.cjs');
const main = path.join(root, 'local/main.ts');
const app = path.join(__dirname, 'apps/crashApp.ts');
const instances = ['crash-1', 'crash-2', 'crash-3'];
// per round r: fan-out 50r+10, flaky 100r, sub 30r+303, event 1 → Σ r=1..5 (180r + 314)
const rounds = 5;
const expectedOutput = 4270;

let dir: string;
let child: ChildProcessWithoutNullStreams | undefined;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-crash-'));
});
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Ready {
  baseUrl: string;
  functionKey: string;
}

function startChild(db: string, log: string): Promise<{ proc: ChildProcessWithoutNullStreams; ready: Ready }> {
  const proc = spawn(process.execPath, ['-r', register, main, '--entry', app, '--db', db, '--clock-scale', '10000', '--function-key', 'crash-key'], {
    cwd: root,
    env: { ...process.env, CRASH_LOG: log },
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ proc, ready: JSON.parse(out.slice(0, nl)) as Ready });
    });
    proc.on('exit', (code) => reject(new Error(`host exited (${code}) before ready: ${err}`)));
  });
}

function kill9(proc: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

async function nudge(ready: Ready): Promise<void> {
  const api = `${ready.baseUrl}/runtime/webhooks/durabletask`;
  const h = { 'x-functions-key': ready.functionKey };
  for (const id of instances) {
    const status = await fetch(`${api}/instances/${id}`, { headers: h });
    if (status.status === 404) await fetch(`${api}/orchestrators/CrashWorkflow/${id}`, { method: 'POST', headers: h });
    else await fetch(`${api}/instances/${id}/raiseEvent/Continue`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: '1' });
  }
}

/** Completed activities stored so far (all instances), read between kills. */
function completedSoFar(db: string): number {
  if (!fs.existsSync(db)) return 0;
  const store = new Database(db, { readonly: true });
  try {
    return (store.prepare("SELECT COUNT(*) AS n FROM history_events WHERE json_extract(event, '$.EventType') = 5").get() as { n: number }).n;
  } catch {
    return 0; // killed before the schema was created
  } finally {
    store.close();
  }
}

test('SIGKILL at random points, restart on the same file: every instance finishes, right output and activity count', async () => {
  const db = path.join(dir, 'hub.db');
  const log = path.join(dir, 'activities.log');
  let kills = 0;
  const progress: number[] = [];
  const started = Date.now();
  while (kills < 24) {
    const { proc, ready } = await startChild(db, log);
    // the requests themselves may be cut by the kill: that is part of the test
    const pending = nudge(ready).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 250)));
    await kill9(proc);
    await pending;
    kills++;
    progress.push(completedSoFar(db));
  }
  // last run: no more kills; keep raising Continue until everything is done
  const { proc, ready } = await startChild(db, log);
  const api = `${ready.baseUrl}/runtime/webhooks/durabletask`;
  const h = { 'x-functions-key': ready.functionKey };
  const outputs: Record<string, unknown> = {};
  const deadline = Date.now() + 30_000;
  while (Object.keys(outputs).length < instances.length && Date.now() < deadline) {
    await nudge(ready);
    for (const id of instances) {
      const s = (await (await fetch(`${api}/instances/${id}`, { headers: h })).json()) as { runtimeStatus: string; output: unknown };
      if (s.runtimeStatus === 'Completed' || s.runtimeStatus === 'Failed') outputs[id] = s.output;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  process.stderr.write(`crash test: completed activities after each kill ${progress.join(',')}\n`);
  expect(kills).toBeGreaterThanOrEqual(20);
  // the kills hit a running workflow, not an idle host: work got done between them
  expect(progress.filter((n, i) => i > 0 && n > progress[i - 1]).length).toBeGreaterThanOrEqual(8);
  expect(outputs).toEqual(Object.fromEntries(instances.map((id) => [id, expectedOutput])));

  // completed activities in the stored histories: 5 rounds × (5 fan-out + 1 flaky) per workflow,
  // 3 per sub-orchestration; nothing lost, nothing completed twice
  const store = new Database(db, { readonly: true });
  const count = (id: string, type: number) =>
    (store.prepare("SELECT COUNT(*) AS n FROM history_events WHERE instance_id = ? AND json_extract(event, '$.EventType') = ?").get(id, type) as { n: number }).n;
  for (const id of instances) {
    expect(count(id, 5)).toBe(rounds * 6);
    for (let round = 1; round <= rounds; round++) expect(count(`${id}:sub:${round}`, 5)).toBe(3);
  }
  expect((store.prepare('SELECT COUNT(*) AS n FROM work').get() as { n: number }).n).toBe(0);
  store.close();
  // at least once: every Step ran at least once per instance (re-runs after kills are allowed)
  const runs = fs.readFileSync(log, 'utf8').trim().split('\n');
  const steps = runs.filter((l) => l.startsWith('Step '));
  expect(steps.length).toBeGreaterThanOrEqual(instances.length * rounds * 8);
  // and some were cut by a kill and ran again
  expect(steps.length).toBeGreaterThan(instances.length * rounds * 8);

  process.stderr.write(`crash test: ${kills} kills, ${steps.length} Step starts for ${instances.length * rounds * 8} completions, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}, 90_000);
