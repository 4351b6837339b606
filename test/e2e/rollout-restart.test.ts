/**
 * The host killed (SIGKILL) and restarted mid-rollout, all through the CLI: `aksnet host start --db FILE` as its own
 * process, `aksnet rollout start --backend URL --no-wait`, the host killed while an ARM operation it started is still
 * running, `aksnet host start` again on the same task hub, `aksnet rollout wait`. The simulator's operation log and
 * ARM state must show every cluster migrated with one reimage each — the activity that began it is not re-sent a
 * second PUT after the crash (docs/workflow.md, idempotent begin) — and never two operations on one cluster at once.
 *
 * The hosts are started without AKSNET_RESULTS_DB: the per-cluster plan and results must survive the restart in
 * the default results file beside --db (with them in memory the restarted rollout found its stage empty).
 *
 * `aksnet host start` runs durable timers in real time (it has no clock scale), so the simulator's 20-minute reimage
 * is scaled to 6 s and the fleet is two clusters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from '../setup/build';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { aksnet, parseJson, type RolloutView } from './rollout-support';
import { clusterId, nodeSubnetCluster, nsg, snapshotOf, SUBSCRIPTION, vnet } from '../support/arm';

const RG = 'rg-restart';
const NAMES = ['rs-1', 'rs-2'];

let sim: RunningSimulator;
let dir: string;
const hosts: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(tmpdir(), 'aksnet-e2e-restart-'));
  sim = await startSimulator({ snapshot: snapshotOf([...NAMES.map((name) => nodeSubnetCluster({ name, resourceGroup: RG })), vnet(), nsg()]), timeScale: 0.005, throttling: false });
}, 240_000);

afterAll(async () => {
  for (const p of hosts) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await sim?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface HostReady {
  baseUrl: string;
  functionKey: string;
  resultsDb: string;
}

/** `aksnet host start --db FILE` as its own process; resolves with its ready line. */
function startHostProcess(): Promise<{ proc: ChildProcess; ready: HostReady }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'aksnet.js'), 'host', 'start', '--db', path.join(dir, 'hub.db')], {
      cwd: dir,
      // No AKSNET_RESULTS_DB: `host start --db FILE` keeps results, locks and decisions in a file beside FILE by
      // default, so the restarted host finds the rollout's plan and results (local/main.ts defaultResultsDb).
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'AKSNET_RESULTS_DB')), AKSNET_ARM_ENDPOINT: sim.armEndpoint, AKSNET_CA_CERT: sim.caCertPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    hosts.push(proc);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`aksnet host start was not ready in 60 s; stderr: ${err.slice(-1000)}`)), 60_000);
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.trim().startsWith('{'));
      if (line && out.includes('\n')) {
        clearTimeout(timer);
        resolve({ proc, ready: JSON.parse(line) as HostReady });
      }
    });
    proc.on('exit', (code) => reject(new Error(`aksnet host start exited (${code}) before it was ready; stderr: ${err.slice(-1000)}`)));
  });
}

const env = (r: HostReady): Record<string, string> => ({ AKSNET_BACKEND: r.baseUrl, AKSNET_FUNCTION_KEY: r.functionKey });

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('SIGKILL of the host while an operation runs, restart on the same task hub: every cluster migrated with one reimage each', async () => {
  const spec = path.join(dir, 'restart.json');
  fs.writeFileSync(spec, JSON.stringify({ name: 'restart', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION], resourceGroups: [RG] }, stages: [{ name: 'all', maxConcurrency: 2 }] }));
  const first = await startHostProcess();
  expect(first.ready.resultsDb).toBe(path.join(dir, 'hub.results.db'));
  const started = await aksnet(['rollout', 'start', '--spec', spec, '--no-wait', '--query', 'id', '-o', 'tsv'], env(first.ready), dir);
  expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
  const id = started.stdout.trim();

  // Kill the host as soon as AKS accepted the first data plane update, while that operation still runs.
  const accepted = (): number => sim.world.log.filter((e) => e.method === 'PUT' && /managedClusters\/rs-\d$/.test(e.resourceId) && e.result.status === 201).length;
  await until('the first accepted PUT', () => accepted() > 0, 90_000);
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));
  sim.world.settle();
  expect([...sim.world.operations.values()].some((op) => op.status === 'InProgress')).toBe(true);

  const second = await startHostProcess();
  const done = await aksnet(['rollout', 'wait', '--id', id, '--timeout', '120', '-o', 'json'], env(second.ready), dir);
  const view = parseJson<RolloutView>(done);
  expect({ code: done.code, status: view.status }).toEqual({ code: 0, status: 'completed' });
  expect(view.clusters.map((c) => [c.name, c.result]).sort()).toEqual(NAMES.map((n) => [n, 'migrated']));

  sim.world.settle();
  for (const name of NAMES) {
    const key = clusterId(name, RG).toLowerCase();
    const ops = [...sim.world.operations.values()].filter((op) => op.resourceId.toLowerCase() === key).sort((a, b) => a.startSim - b.startSim);
    // One operation per cluster: the update, Succeeded; nothing re-sent after the crash, nothing overlapping.
    expect({ name, ops: ops.map((op) => op.status) }).toEqual({ name, ops: ['Succeeded'] });
    const props = sim.world.cluster(clusterId(name, RG))?.resource.properties as { networkProfile?: { networkDataplane?: string } };
    expect(props.networkProfile?.networkDataplane).toBe('cilium');
  }
  second.proc.kill('SIGTERM');
  await new Promise((r) => second.proc.once('exit', r));
}, 240_000);
