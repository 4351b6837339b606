/**
 * Ctrl-C (SIGINT) while the built CLI (`node bin/aksnet.js`, a child process) follows a migration, against the AKS
 * simulator. On a local host the command started for itself, the first Ctrl-C cancels gracefully and follows the run
 * to its end (NAP back to Auto, the operation under way completed); a second one exits at once and keeps the host's
 * state for a resume. On a remote backend Ctrl-C only stops following. Assertions read the simulator's ARM state and
 * operations, the CLI's exit code and its stderr lines.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from '../setup/build';
import { startHarness, until, type Harness } from './support/harness';
import { armCluster, operationsOn, overlapping } from './rollout-support';
import { clusterId, nsg, overlayCluster, SUBSCRIPTION, vnet } from '../support/arm';

const RG = 'rg-int';
/** Wall seconds per simulated second: a NAP mode change (3 simulated minutes) takes ~0.9 s, a reimage ~6 s. */
const TIME_SCALE = 0.005;
const CLOCK_SCALE = String(1 / TIME_SCALE);
const nap = { nodeProvisioningProfile: { mode: 'Auto' } } as const;

let h: Harness;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  h = await startHarness([...['int-own', 'int-keep', 'int-remote'].map((name) => overlayCluster({ name, resourceGroup: RG, ...nap })), vnet(), nsg()], {
    timeScale: TIME_SCALE,
    host: { clockScale: 1 / TIME_SCALE },
  });
  dir = fs.mkdtempSync(path.join(h.dir, 'specs-'));
}, 240_000);

afterAll(async () => {
  await h?.close();
});

interface Child {
  child: ChildProcessWithoutNullStreams;
  out: { stdout: string; stderr: string };
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function start(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'aksnet.js'), ...args], {
    cwd: dir,
    env: { ...process.env, AKSNET_BACKEND: '', AKSNET_FUNCTION_KEY: '', AZURE_SUBSCRIPTION_ID: SUBSCRIPTION, ...env },
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ...out });
    });
  });
  return { child, out, closed };
}

const simEnv = (): Record<string, string> => ({ AKSNET_ARM_ENDPOINT: h.sim.armEndpoint, AKSNET_CA_CERT: h.sim.caCertPath, AKSNET_CLOCK_SCALE: CLOCK_SCALE });
const id = (name: string): string => clusterId(name, RG);
/** NAP has been switched off by the workflow (the documented disable ends with mode Manual): the moment to interrupt. */
const napManual = (name: string): Promise<true> => until(`NAP Manual on ${name}`, async () => armCluster(h, id(name)).napMode === 'Manual', 60_000);
const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

function writeSpec(name: string, cluster: string): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ name, target: 'cilium', selector: { subscriptions: [SUBSCRIPTION], ids: [id(cluster)] }, stages: [{ name: 'only', maxConcurrency: 1 }] }));
  return file;
}

it('cluster migrate on its own host: the first Ctrl-C cancels gracefully and follows to the end — NAP back to Auto, the operation completed, exit 130', async () => {
  const run = start(['cluster', 'migrate', '-g', RG, '-n', 'int-own', '--target', 'cilium', '--yes', '-o', 'json'], simEnv());
  await napManual('int-own');
  run.child.kill('SIGINT');
  const r = await run.closed;

  expect(r.code).toBe(130);
  const err = lines(r.stderr);
  expect(err[0]).toMatch(/^WARNING: Ctrl-C: cancelling rollout migrate-int-own-\S+ gracefully \(operations under way are followed to their end, NAP is restored\) and following it to its end; press Ctrl-C again to exit now/);
  expect(err[err.length - 1]).toMatch(/^ERROR: interrupted: Ctrl-C cancelled rollout migrate-int-own-\S+; it ended cancelled\. Operations under way were followed to their end/);
  expect(err).toHaveLength(2);
  const out = JSON.parse(r.stdout) as { result: string; nap?: { disabled: boolean; restored: boolean }; correlationIds?: string[]; steps: Array<{ step: string }> };
  expect(out.result).toBe('cancelled');
  expect(out.nap).toEqual({ disabled: true, restored: true });
  // The NAP mode writes (Manual, then Auto) carry their ARM correlation ids.
  expect(out.correlationIds?.length).toBeGreaterThanOrEqual(2);

  // ARM: NAP back to Auto, Cilium never started, every operation on the cluster ended Succeeded, one at a time.
  expect(armCluster(h, id('int-own'))).toMatchObject({ napMode: 'Auto', provisioningState: 'Succeeded' });
  expect(armCluster(h, id('int-own')).networkDataplane).not.toBe('cilium');
  const ops = operationsOn(h, id('int-own'));
  expect(ops.length).toBeGreaterThanOrEqual(2);
  expect(ops.map((o) => o.status)).toEqual(ops.map(() => 'Succeeded'));
  expect(overlapping(ops)).toEqual([]);
}, 100_000);

it('a second Ctrl-C exits at once (130) and keeps the host state; the printed command resumes it and the cancel completes', async () => {
  const spec = writeSpec('keep', 'int-keep');
  const run = start(['rollout', 'start', '--spec', spec, '-o', 'json'], simEnv());
  await napManual('int-keep');
  run.child.kill('SIGINT');
  await until('the Ctrl-C notice', async () => /Ctrl-C: cancelling/.test(run.out.stderr), 10_000);
  run.child.kill('SIGINT');
  const r = await run.closed;

  expect(r.code).toBe(130);
  expect(r.stdout).toBe('');
  const err = lines(r.stderr);
  expect(err).toHaveLength(2);
  const m = /^ERROR: interrupted: rollout (\S+) is still (\w+); the local host stopped and its state is kept in (\S+)\. To resume it, serve that state with '(AKSNET_RESULTS_DB=(\S+) aksnet host start --db (\S+))' .*then follow it with 'aksnet rollout wait \1'/.exec(err[1]);
  if (!m) throw new Error(`unexpected last line: ${err[1]}`);
  const [, rolloutId, , stateDir, , resultsDb, hubDb] = m;
  try {
    expect(fs.existsSync(hubDb) && fs.existsSync(resultsDb)).toBe(true);
    expect(path.dirname(hubDb)).toBe(stateDir);

    // Resume as the line says: `aksnet host start --db …` with the results file, in the same shell (ARM endpoint).
    const host = start(['host', 'start', '--db', hubDb], { ...simEnv(), AKSNET_RESULTS_DB: resultsDb });
    try {
      const ready = await until('the host ready line', async () => (/\n/.test(host.out.stdout) ? (JSON.parse(host.out.stdout.split('\n')[0]) as { baseUrl: string; functionKey: string }) : undefined), 30_000);
      const waited = await start(['rollout', 'wait', rolloutId, '--timeout', '60', '-o', 'json'], { AKSNET_BACKEND: ready.baseUrl, AKSNET_FUNCTION_KEY: ready.functionKey }).closed;
      expect({ code: waited.code, stderr: waited.stderr }).toEqual({ code: 0, stderr: '' });
      const view = JSON.parse(waited.stdout) as { status: string; clusters: Array<{ name: string; result: string; nap?: { restored: boolean } }> };
      expect(view.status).toBe('cancelled');
      expect(view.clusters).toEqual([expect.objectContaining({ name: 'int-keep', result: 'cancelled', nap: expect.objectContaining({ disabled: true, restored: true }) })]);
    } finally {
      host.child.kill('SIGINT');
      await host.closed;
    }
    expect(armCluster(h, id('int-keep'))).toMatchObject({ napMode: 'Auto', provisioningState: 'Succeeded' });
    const ops = operationsOn(h, id('int-keep'));
    expect(ops.map((o) => o.status)).toEqual(ops.map(() => 'Succeeded'));
    expect(overlapping(ops)).toEqual([]);
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}, 100_000);

it('with a remote backend Ctrl-C only stops following (exit 130, how to follow again); the rollout goes on to the end there', async () => {
  const spec = writeSpec('remote', 'int-remote');
  const run = start(['rollout', 'start', '--spec', spec, '--backend', h.host.baseUrl, '-o', 'json'], { AKSNET_FUNCTION_KEY: h.host.functionKey });
  await napManual('int-remote');
  run.child.kill('SIGINT');
  const r = await run.closed;

  expect(r.code).toBe(130);
  expect(r.stdout).toBe('');
  const err = lines(r.stderr);
  expect(err).toHaveLength(1);
  const m = /^ERROR: stopped following rollout (\S+) \(Ctrl-C\); it goes on in the backend \(now running\)\. Follow it again with 'aksnet rollout wait \1 --backend (\S+)'\.$/.exec(err[0]);
  if (!m) throw new Error(`unexpected stderr: ${r.stderr}`);
  expect(m[2]).toBe(h.host.baseUrl);

  const again = await start(['rollout', 'wait', m[1], '--backend', h.host.baseUrl, '--timeout', '60', '-o', 'json'], { AKSNET_FUNCTION_KEY: h.host.functionKey }).closed;
  expect(again.code).toBe(0);
  const view = JSON.parse(again.stdout) as { status: string; clusters: Array<{ name: string; result: string }> };
  expect(view).toMatchObject({ status: 'completed', clusters: [expect.objectContaining({ name: 'int-remote', result: 'migrated' })] });
  expect(armCluster(h, id('int-remote'))).toMatchObject({ napMode: 'Auto', networkDataplane: 'cilium' });
}, 100_000);
