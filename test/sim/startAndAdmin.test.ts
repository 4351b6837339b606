/**
 * `aksnet sim start` (simStartCommand): one JSON line on stdout once ready, clean stop on SIGTERM, clear
 * errors for bad options; and the /__sim admin API: seeding, state, reset and the operation log.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simStartCommand, type SimStartOptions } from '../../sim/start';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { clusterId, nodeSubnetCluster, nsg, RESOURCE_GROUP, snapshotOf, SUBSCRIPTION, vnet } from '../support/arm';
import { clientsFor, request } from './simClients';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aksnet-sim-test-'));
  writeFileSync(join(dir, 'fleet.json'), JSON.stringify(snapshotOf([nodeSubnetCluster({ name: 'one' }), vnet(), nsg()])));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ resources: [{ id: 'nope', name: 'x', type: 'a/b' }] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  return { out, stream: { write: (t: string) => out.push(t) } };
}

test('prints exactly one JSON line once ready, serves ARM, and stops cleanly when told to', async () => {
  const stdout = capture();
  const stderr = capture();
  let stop!: () => void;
  const until = new Promise<void>((r) => (stop = r));
  const running = simStartCommand({ snapshot: join(dir, 'fleet.json'), port: 0, timeScale: '0.001', latencyMs: '0' }, { stdout: stdout.stream, stderr: stderr.stream, until });
  while (stdout.out.length === 0) await new Promise((r) => setTimeout(r, 20));
  expect(stdout.out).toHaveLength(1);
  expect(stdout.out[0].endsWith('\n')).toBe(true);
  const ready = JSON.parse(stdout.out[0]) as { armEndpoint: string; caCertPath: string; clusters: number };
  expect(ready.armEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(ready.clusters).toBe(1);
  expect(existsSync(ready.caCertPath)).toBe(true);
  const sim = { armEndpoint: ready.armEndpoint, caCert: readFileSync(ready.caCertPath, 'utf8') } as RunningSimulator;
  const { cs } = clientsFor(sim, SUBSCRIPTION);
  expect((await cs.managedClusters.get(RESOURCE_GROUP, 'one')).name).toBe('one');
  stop();
  expect(await running).toBe(0);
  expect(existsSync(ready.caCertPath)).toBe(false);
  expect(stderr.out).toEqual([]);
});

test.each<[SimStartOptions, RegExp]>([
  [{ snapshot: '/no/such/file.json' }, /--snapshot '\/no\/such\/file.json' cannot be read \(ENOENT\)/],
  [{ snapshot: 'BAD' }, /--snapshot '.*bad.json': not a snapshot: resources\[0\]\.id: must be an ARM resource id/],
  [{ timeScale: '0' }, /--time-scale '0' is invalid: use a positive number/],
  [{ port: '70000' }, /--port '70000' is invalid/],
  [{ faults: '500=2' }, /--faults: fault '500=2': the rate must be a number between 0 and 1/],
])('bad options fail with exit code 2 and one line on stderr (%o)', async (options, message) => {
  const stdout = capture();
  const stderr = capture();
  const opts = { ...options, ...(options.snapshot === 'BAD' ? { snapshot: join(dir, 'bad.json') } : {}) };
  const code = await simStartCommand(opts, { stdout: stdout.stream, stderr: stderr.stream, until: Promise.resolve() });
  expect(code).toBe(2);
  expect(stdout.out).toEqual([]);
  expect(stderr.out).toHaveLength(1);
  expect(stderr.out[0]).toMatch(message);
  expect(stderr.out[0].trim().split('\n')).toHaveLength(1);
});

test('as a process it runs until SIGTERM and exits 0', async () => {
  // Loads the TypeScript sources through @swc/core (no build step in tests) and runs the same command the CLI wires.
  const script = `
    const fs = require('fs'); const swc = require('@swc/core');
    require.extensions['.ts'] = (m, f) => m._compile(swc.transformSync(fs.readFileSync(f, 'utf8'), { filename: f, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }).code, f);
    require('./sim/start.ts').simStartCommand({ snapshot: ${JSON.stringify(join(dir, 'fleet.json'))}, timeScale: '0.001' }, { stdout: process.stdout, stderr: process.stderr }).then((c) => { process.exitCode = c; });`;
  const child = spawn(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve();
      });
      child.on('exit', () => reject(new Error(`exited early: ${err}`)));
    });
    expect(JSON.parse(out.trim())).toMatchObject({ armEndpoint: expect.stringMatching(/^https:\/\/127\.0\.0\.1:/), caCertPath: expect.any(String) });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(1);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 30_000);

describe('admin API and operation log', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0.0005 });
  });
  afterAll(() => sim.stop());

  test('seed, state, operation log and reset', async () => {
    const seeded = await request(sim, 'POST', '/__sim/seed', snapshotOf([nodeSubnetCluster({ name: 'logged' }), vnet(), nsg()]));
    expect(seeded).toMatchObject({ status: 200, body: { clusters: 1, resources: 2 } });
    const bad = await request(sim, 'POST', '/__sim/seed', { resources: 'x' });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { message: string } }).error.message).toMatch(/^POST \/__sim\/seed: not a snapshot/);

    const { cs } = clientsFor(sim, SUBSCRIPTION, { oid: 'oid-ops', appid: 'app-ops' });
    const mc = await cs.managedClusters.get(RESOURCE_GROUP, 'logged');
    await cs.managedClusters.createOrUpdate(RESOURCE_GROUP, 'logged', { ...mc, tags: { owner: 'ops' } }, { updateIntervalInMs: 100 }).pollUntilDone();
    await expect(cs.managedClusters.createOrUpdate(RESOURCE_GROUP, 'logged', mc, { ifMatch: mc.eTag }).pollUntilDone()).rejects.toMatchObject({ statusCode: 412 });

    const ops = (await request(sim, 'GET', '/__sim/operations')).body as { value: Array<Record<string, unknown>> };
    expect(ops.value).toHaveLength(2);
    expect(ops.value[0]).toMatchObject({
      principal: 'oid-ops',
      oid: 'oid-ops',
      appid: 'app-ops',
      method: 'PUT',
      resourceId: clusterId('logged'),
      apiVersion: '2026-04-01',
      correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      body: { tags: { owner: 'ops' } },
      result: { status: 201, operationId: expect.any(String), operationStatus: 'Succeeded' },
    });
    expect(Date.parse(ops.value[0].time as string)).not.toBeNaN();
    expect(ops.value[1]).toMatchObject({ method: 'PUT', result: { status: 412, code: 'PreconditionFailed' } });

    const events = (await request(sim, 'GET', '/__sim/events')).body as { value: Array<Record<string, unknown> & { data: Record<string, unknown> }>; next: number };
    expect(events.next).toBe(2);
    expect(events.value[0]).toMatchObject({
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      subject: clusterId('logged'),
      topic: `/subscriptions/${SUBSCRIPTION}`,
      data: {
        operationName: 'Microsoft.ContainerService/managedClusters/write',
        status: 'Succeeded',
        correlationId: ops.value[0].correlationId,
        claims: { appid: 'app-ops', 'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid-ops' },
      },
    });
    expect(events.value[1]).toMatchObject({ eventType: 'Microsoft.Resources.ResourceWriteFailure', data: { status: 'Failed' } });
    expect(((await request(sim, 'GET', '/__sim/events?since=1')).body as { value: unknown[] }).value).toHaveLength(1);

    const state = (await request(sim, 'GET', '/__sim/state')).body as { clusters: Array<{ id: string; resource: { tags?: Record<string, string> } }> };
    expect(state.clusters.map((x) => x.resource.tags)).toEqual([{ owner: 'ops' }]);

    expect((await request(sim, 'POST', '/__sim/reset')).status).toBe(200);
    await expect(cs.managedClusters.get(RESOURCE_GROUP, 'logged')).rejects.toMatchObject({ statusCode: 404 });
    expect(((await request(sim, 'GET', '/__sim/operations')).body as { value: unknown[] }).value).toEqual([]);
  });

  test('request counters say what was read, how often, and what was throttled', async () => {
    await request(sim, 'POST', '/__sim/reset');
    await request(sim, 'POST', '/__sim/seed', snapshotOf([nodeSubnetCluster({ name: 'counted' }), vnet(), nsg()]));
    const { cs, net, graph } = clientsFor(sim, SUBSCRIPTION, { oid: 'counter' });
    await graph.resources({ subscriptions: [SUBSCRIPTION], query: "Resources | where type =~ 'microsoft.containerservice/managedclusters'" });
    await cs.managedClusters.get(RESOURCE_GROUP, 'counted');
    await net.virtualNetworks.get(RESOURCE_GROUP, 'vnet-aks');
    await net.virtualNetworks.get(RESOURCE_GROUP, 'vnet-aks');
    const counts = (await request(sim, 'GET', '/__sim/requests')).body as { arm: { reads: number; writes: number }; resourceGraph: number; byResource: Record<string, Record<string, number>> };
    expect(counts).toMatchObject({ arm: { reads: 3, writes: 0 }, resourceGraph: 1 });
    expect(counts.byResource[`/subscriptions/${SUBSCRIPTION}/resourcegroups/${RESOURCE_GROUP}/providers/microsoft.network/virtualnetworks/vnet-aks`]).toEqual({ GET: 2 });
    expect(sim.requests.arm.reads).toBe(3);
    expect((await request(sim, 'DELETE', '/__sim/requests')).body).toMatchObject({ arm: { reads: 0 }, byResource: {} });
  });

  test('a process started with NODE_EXTRA_CA_CERTS=<caCertPath> trusts the simulator; one without it does not', async () => {
    const probe = `require('https').get(${JSON.stringify(`${sim.armEndpoint}/__sim/faults`)}, (r) => { console.log(r.statusCode); r.resume(); }).on('error', (e) => console.log(e.code));`;
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['-e', probe], { env, stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', () => resolve(out.trim()));
      });
    const { NODE_EXTRA_CA_CERTS: _ignored, ...env } = process.env;
    expect(await run({ ...env, NODE_EXTRA_CA_CERTS: sim.caCertPath })).toBe('200');
    expect(await run(env)).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
  });

  test('an ARM body over 4 MB is a 413', async () => {
    const r = await request(sim, 'PUT', `${clusterId('big')}?api-version=2026-04-01`, { properties: { blob: 'x'.repeat(5 * 1024 * 1024) } }, { authorization: 'Bearer t' });
    expect(r).toMatchObject({ status: 413, body: { error: { code: 'RequestEntityTooLarge' } } });
  });

  test('requests without a bearer token are refused like ARM refuses them', async () => {
    const r = await request(sim, 'GET', `${clusterId('x')}?api-version=2026-04-01`);
    expect(r).toMatchObject({ status: 401, body: { error: { code: 'AuthenticationFailed' } } });
    const noVersion = await request(sim, 'GET', clusterId('x'), undefined, { authorization: 'Bearer t' });
    expect(noVersion).toMatchObject({ status: 400, body: { error: { code: 'MissingApiVersionParameter' } } });
  });
});
