/**
 * The host killed (SIGKILL) and restarted mid-rollout, on the same SQLite files: the real app with its default
 * dependencies from app settings (gateway → simulator, SQLite result store) runs in a child process. Every
 * cluster ends migrated, each accepted ARM operation was sent once (a re-run follows it instead of PUTting
 * again), never two operations at once on a cluster, NAP back to Auto.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import type { RolloutReport } from '../../functions/contracts';
import type { RolloutSpec } from '../../shared/rollout/spec';
import { clusterId, nodeSubnetCluster, nsg, overlayCluster, snapshotOf, SUBSCRIPTION, vnet } from '../support/arm';

const root = path.join(__dirname, '../..');
// The local host's own test helper: lets the child run the TypeScript sources with @swc/core.
const register = path.join(root, 'test/local/apps/tsRegister.cjs');
const names = ['c-0', 'c-1', 'c-2', 'c-3', 'c-4'];

let sim: RunningSimulator;
let dir: string;
let child: ChildProcessWithoutNullStreams | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-h7-crash-'));
  sim = await startSimulator({
    snapshot: snapshotOf([...names.map((name) => nodeSubnetCluster({ name })), overlayCluster({ name: 'nap', nodeProvisioningProfile: { mode: 'Auto' } }), vnet(), nsg()]),
    // A 20-minute reimage takes 2.4 s: kills land in the middle of operations.
    timeScale: 0.002,
    throttling: false,
  });
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sim?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function startHostChild(): Promise<{ proc: ChildProcessWithoutNullStreams; api: string; key: string }> {
  const proc = spawn(
    process.execPath,
    ['-r', register, path.join(root, 'local/main.ts'), '--entry', path.join(root, 'functions/index.ts'), '--db', path.join(dir, 'hub.db'), '--clock-scale', '100', '--function-key', 'k'],
    {
      cwd: root,
      env: { ...process.env, AKSNET_ARM_ENDPOINT: sim.armEndpoint, AKSNET_CA_CERT: sim.caCertPath, AKSNET_RESULTS_DB: path.join(dir, 'results.db') },
    },
  );
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        const ready = JSON.parse(out.slice(0, nl)) as { baseUrl: string; functionKey: string };
        resolve({ proc, api: `${ready.baseUrl}/runtime/webhooks/durabletask`, key: ready.functionKey });
      }
    });
    proc.on('exit', (code) => reject(new Error(`host exited (${code}) before ready: ${err.slice(-2000)}`)));
  });
}

function kill9(proc: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

const spec: RolloutSpec = { name: 'crash', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION] }, stages: [{ name: 'all', maxConcurrency: 3 }], failureBudget: { total: 6 } };

test('SIGKILL mid-rollout and restart: no operation sent twice, every cluster migrated, NAP restored', async () => {
  let host = await startHostChild();
  const h = { 'x-functions-key': host.key, 'content-type': 'application/json' };
  const created = await fetch(`${host.api}/orchestrators/rollout/rollout-crash`, { method: 'POST', headers: h, body: JSON.stringify({ spec }) });
  expect(created.status).toBe(202);
  let kills = 0;
  for (; kills < 4; kills++) {
    await new Promise((r) => setTimeout(r, 700 + Math.floor(Math.random() * 900)));
    await kill9(host.proc);
    host = await startHostChild();
  }
  let status: { runtimeStatus: string; output: RolloutReport; customStatus: unknown } | undefined;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    status = (await (await fetch(`${host.api}/instances/rollout-crash`, { headers: { 'x-functions-key': host.key } })).json()) as typeof status;
    if (status && ['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  host.proc.kill('SIGTERM');
  await new Promise((r) => host.proc.once('exit', r));
  expect(status?.runtimeStatus).toBe('Completed');
  expect(status?.output.counts).toEqual({ migrated: 6 });

  const puts = sim.world.log.filter((e) => e.api === 'arm' && e.method === 'PUT');
  // A PUT during a running operation would be refused with 409: none was sent.
  expect(puts.filter((p) => p.result.status === 409)).toEqual([]);
  // One accepted PUT per step: the Cilium update on each cluster; mode Manual, Cilium, mode Auto on the NAP one
  // (plus its pool scaled up and back). A re-run after a kill followed the accepted operation instead.
  type Body = { properties?: { nodeProvisioningProfile?: { mode?: string } } };
  const accepted = (id: string) => puts.filter((p) => p.resourceId.toLowerCase() === id.toLowerCase() && p.result.status < 300);
  for (const name of names) expect(accepted(clusterId(name))).toHaveLength(1);
  expect(accepted(clusterId('nap'))).toHaveLength(3);
  expect(accepted(`${clusterId('nap')}/agentPools/nodepool1`)).toHaveLength(2);
  const nap = sim.world.log.filter((e) => e.api === 'arm' && e.method === 'PUT' && e.resourceId.toLowerCase() === clusterId('nap').toLowerCase());
  expect((nap[nap.length - 1].body as Body).properties?.nodeProvisioningProfile?.mode).toBe('Auto');
  expect(kills).toBe(4);
}, 150_000);
