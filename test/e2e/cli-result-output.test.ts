/**
 * What the rollout commands print at the end, run in-process (cli/main, the same module graph as the binary) against
 * the real Functions app on the local host and the AKS simulator: the final per-cluster table on stderr when it is a
 * terminal and stdout carries another format; the result fields of each cluster (correlation ids, NAP); the rollout
 * id given alone (`aksnet rollout show ID`) as well as with `--id`.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { startHarness, type Harness } from './support/harness';
import { clusterId, nodeSubnetCluster, nsg, overlayCluster, SUBSCRIPTION, vnet } from '../support/arm';

const RG = 'rg-out';
let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await startHarness([nodeSubnetCluster({ name: 'out-1', resourceGroup: RG }), overlayCluster({ name: 'out-nap', resourceGroup: RG, nodeProvisioningProfile: { mode: 'Auto' } }), nodeSubnetCluster({ name: 'out-mig', resourceGroup: RG }), vnet(), nsg()]);
  dir = fs.mkdtempSync(path.join(h.dir, 'specs-'));
  fs.writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify({ name: 'out', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION], ids: [clusterId('out-1', RG), clusterId('out-nap', RG)] }, stages: [{ name: 'all', maxConcurrency: 2 }] }));
}, 240_000);

afterAll(async () => {
  await h?.close();
});

async function run(args: string[], terminal: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdoutIsTTY: false,
    stdinIsTTY: false,
    stderrIsTTY: terminal,
    cwd: dir,
    env: { ...process.env, AKSNET_BACKEND: h.host.baseUrl, AKSNET_FUNCTION_KEY: h.host.functionKey, AZURE_SUBSCRIPTION_ID: SUBSCRIPTION },
    confirm: async () => false,
  });
  return { code, stdout, stderr };
}

interface Cluster {
  name: string;
  result: string;
  correlationIds: string[];
  nap?: { disabled: boolean; restored: boolean };
  steps: Array<{ step: string; correlationId?: string }>;
}

let rolloutId = '';

it('rollout start --wait -o json on a terminal: stdout is exactly the JSON, the per-cluster table follows the progress on stderr', async () => {
  const r = await run(['rollout', 'start', '--spec', 'fleet.json', '--wait', '-o', 'json'], true);
  expect(r.code).toBe(0);
  const view = JSON.parse(r.stdout) as { id: string; status: string; clusters: Cluster[] };
  rolloutId = view.id;
  expect(view.status).toBe('completed');
  const lines = r.stderr.split('\n');
  const header = lines.findIndex((l) => /^Name\s+ResourceGroup\s+Stage\s+Verdict\s+Result\s+Steps/.test(l));
  expect(header).toBeGreaterThan(0);
  // After the progress lines, at the end: the rows and the footer.
  expect(lines.slice(0, header).some((l) => /^rollout out-\S+: completed/.test(l))).toBe(true);
  expect(lines.slice(header).join('\n')).toMatch(/out-1\s+rg-out\s+all\s+ready\s+migrated\s+dataplane:cilium/);
  expect(lines.slice(header).join('\n')).toContain(`rollout ${view.id}: completed  migrated: 2  (2 clusters)`);

  // The result fields of each cluster: the ARM correlation ids of every write (the step PUT; for NAP also the mode
  // changes), and what became of NAP.
  const byName = Object.fromEntries(view.clusters.map((c) => [c.name, c]));
  expect(byName['out-1'].correlationIds).toEqual([byName['out-1'].steps[0].correlationId]);
  expect(byName['out-1'].nap).toBeUndefined();
  expect(byName['out-nap'].nap).toEqual({ disabled: true, restored: true });
  expect(byName['out-nap'].correlationIds.length).toBeGreaterThanOrEqual(3);
  expect(byName['out-nap'].correlationIds).toContain(byName['out-nap'].steps.find((s) => s.step === 'dataplane:cilium')?.correlationId);
}, 90_000);

it('no table on stderr when it is not a terminal, nor when stdout already is the table', async () => {
  const quiet = await run(['rollout', 'wait', rolloutId, '-o', 'json'], false);
  expect({ code: quiet.code, stderr: quiet.stderr }).toEqual({ code: 0, stderr: '' });
  const table = await run(['rollout', 'wait', rolloutId, '-o', 'table'], true);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^Name\s+ResourceGroup/);
  expect(table.stderr).not.toMatch(/Name\s+ResourceGroup/);
  // With a query stdout carries the query's answer, so the table goes to the terminal.
  const queried = await run(['rollout', 'wait', rolloutId, '--query', 'status', '-o', 'tsv'], true);
  expect(queried.stdout).toBe('completed\n');
  expect(queried.stderr).toMatch(/^Name\s+ResourceGroup/m);
}, 60_000);

it('rollout show takes the id alone or with --id, the same result; two different ids are refused (exit 2)', async () => {
  const alone = await run(['rollout', 'show', rolloutId, '-o', 'json'], false);
  const named = await run(['rollout', 'show', '--id', rolloutId, '-o', 'json'], false);
  expect(alone.code).toBe(0);
  expect(JSON.parse(alone.stdout)).toEqual(JSON.parse(named.stdout));
  const both = await run(['rollout', 'show', rolloutId, '--id', rolloutId, '--query', 'status', '-o', 'tsv'], false);
  expect(both).toMatchObject({ code: 0, stdout: 'completed\n' });
  const clash = await run(['rollout', 'show', rolloutId, '--id', 'other-1'], false);
  expect(clash.code).toBe(2);
  expect(clash.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ERROR: '.*' and '--id other-1' name two different values for '--id'\. Give it once: 'aksnet rollout show .*'/)]);
}, 60_000);

it('cluster migrate -o json on a terminal ends with the steps table on stderr; stdout is the JSON', async () => {
  const r = await run(['cluster', 'migrate', '-g', RG, '-n', 'out-mig', '--target', 'cilium', '--yes', '-o', 'json'], true);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ name: 'out-mig', result: 'migrated', correlationIds: [expect.any(String)] });
  expect(r.stderr).toMatch(/^#\s+Step\s+Status/m);
  expect(r.stderr).toMatch(/^1\s+dataplane:cilium\s+done/m);
  expect(r.stderr).toMatch(/out-mig \(rg-out\): migrated/);
}, 90_000);
