/**
 * `aksnet host start` through the built binary, serving the built Functions app (dist/functions/index.js,
 * compiled by ensureBuilt): one JSON ready line with baseUrl and functionKey, a host that answers, the
 * durable state in --db, and a clean exit 0 on SIGTERM and SIGINT.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ORCHESTRATIONS } from '../../functions/names';
import { startSimulator } from '../../sim/server';
import { snapshotOf, SUBSCRIPTION, vnet } from '../support/arm';
import { aksnetAsync, startServer } from './live-support';
import { ensureBuilt } from './support';

jest.setTimeout(60_000);

interface HostReady {
  baseUrl: string;
  functionKey: string;
  taskHub: string;
  db: string;
  pid: number;
  functions: string[];
}

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-host-cli-'));
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each(['SIGTERM', 'SIGINT'] as const)('prints one JSON line with baseUrl and functionKey, serves the app, and exits 0 on %s', async (signal) => {
  const db = path.join(dir, `${signal}.db`);
  const server = await startServer<HostReady>(['host', 'start', '--port', '0', '--db', db]);
  try {
    expect(server.ready).toMatchObject({ baseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), functionKey: expect.any(String), db, pid: server.child.pid });
    expect(server.ready.functionKey.length).toBeGreaterThan(0);
    // The built app's orchestrations are registered.
    expect(server.ready.functions).toEqual(expect.arrayContaining(Object.values(ORCHESTRATIONS)));
    const status = await fetch(`${server.ready.baseUrl}/admin/host/status`);
    expect(status.status).toBe(200);
    expect(fs.existsSync(db)).toBe(true);
  } finally {
    expect(await server.stop(signal)).toBe(0);
  }
  expect(server.stdout().trim().split('\n')).toHaveLength(1);
  // Host logs are progress: not written when stderr is not a terminal.
  expect(server.stderr()).toBe('');
});

test('--verbose shows the host log as INFO lines', async () => {
  const server = await startServer<HostReady>(['host', 'start', '--verbose']);
  expect(await server.stop()).toBe(0);
  expect(server.stderr()).toMatch(/^INFO: \[aksnet host\] ready on http:\/\/127\.0\.0\.1:\d+ with \d+ functions$/m);
});

test('a missing --entry and a bad --port are usage errors: one line, exit 2', async () => {
  const [entry, port] = await Promise.all([
    aksnetAsync(['host', 'start', '--entry', path.join(dir, 'nope.js')]),
    aksnetAsync(['host', 'start', '--port', 'eighty']),
  ]);
  expect({ code: entry.code, stdout: entry.stdout, err: entry.errLines }).toEqual({
    code: 2,
    stdout: '',
    err: [`ERROR: the Functions app entry '${path.join(dir, 'nope.js')}' given to '--entry' does not exist. Check the path, or build the app with 'npm run build'.`],
  });
  expect({ code: port.code, stdout: port.stdout, err: port.errLines }).toEqual({
    code: 2,
    stdout: '',
    err: ["ERROR: 'eighty' is not a valid value for '--port': it must be a whole number from 0 to 65535. For example --port 0 (0 picks a free port)."],
  });
});

test('--clock-scale, AKSNET_CLOCK_SCALE: a bad factor is a usage error naming it, one line, exit 2', async () => {
  const [zero, word, env] = await Promise.all([
    aksnetAsync(['host', 'start', '--clock-scale', '0']),
    aksnetAsync(['host', 'start', '--clock-scale', 'fast']),
    aksnetAsync(['host', 'start'], { env: { AKSNET_CLOCK_SCALE: '-2' } }),
  ]);
  for (const [r, value] of [[zero, '0'], [word, 'fast']] as const) {
    expect({ code: r.code, stdout: r.stdout, err: r.errLines }).toEqual({
      code: 2,
      stdout: '',
      err: [`ERROR: '${value}' is not a valid value for '--clock-scale': it must be a number greater than 0. For example --clock-scale 1000.`],
    });
  }
  expect({ code: env.code, stdout: env.stdout, err: env.errLines }).toEqual({
    code: 2,
    stdout: '',
    err: ["ERROR: AKSNET_CLOCK_SCALE '-2' is not a positive number. Set it to 1/timeScale of the simulator, e.g. AKSNET_CLOCK_SCALE=1000, or unset it."],
  });
});

test('--clock-scale 20000 runs durable timers that much faster: a one-hour wait between stages takes a fraction of a second', async () => {
  // An empty fleet: the rollout discovers nothing, and the only durable timer is the stage's afterStageWaitMinutes.
  const sim = await startSimulator({ snapshot: snapshotOf([vnet()]), throttling: false });
  const server = await startServer<HostReady>(['host', 'start', '--clock-scale', '20000'], { env: { AKSNET_ARM_ENDPOINT: sim.armEndpoint, AKSNET_CA_CERT: sim.caCertPath } });
  try {
    const call = (method: string, route: string, body?: unknown) =>
      fetch(`${server.ready.baseUrl}${route}`, { method, headers: { 'x-functions-key': server.ready.functionKey, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const spec = { name: 'soak', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION] }, stages: [{ name: 'first', maxConcurrency: 1, afterStageWaitMinutes: 60 }, { name: 'second', maxConcurrency: 1 }] };
    const started = await call('POST', '/api/rollouts', spec);
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    const began = Date.now();
    let last: { runtimeStatus?: string; status?: string; stages?: Array<{ name: string; status: string }> } = {};
    while (Date.now() - began < 30_000) {
      last = (await (await call('GET', `/api/rollouts/${id}`)).json()) as typeof last;
      if (last.runtimeStatus === 'Completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // At scale 1 this would still be waiting out its hour; at 20000 the hour is 0.18 s.
    expect(last).toMatchObject({ runtimeStatus: 'Completed', status: 'completed' });
    expect(last.stages?.map((s) => s.name)).toEqual(['first', 'second']);
  } finally {
    expect(await server.stop()).toBe(0);
    await sim.stop();
  }
});
