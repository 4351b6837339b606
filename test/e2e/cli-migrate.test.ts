/**
 * `aksnet cluster migrate` as a user runs it (the built binary, stdin not a terminal) against the real Functions
 * app on the local host and the AKS simulator. An irreversible change: refused without `--yes` when nothing can
 * ask; with `--yes` the cluster goes through the whole workflow. Assertions read the simulator's log and state.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import { ensureBuilt } from '../setup/build';
import { startHarness, type Harness } from './support/harness';
import { clusterId, nodeSubnetCluster, nsg, SUBSCRIPTION, vnet } from '../support/arm';
import { aksnet as runCli, backendEnv, writesTo as writesToCluster, type Run } from './rollout-support';

let h: Harness;

beforeAll(async () => {
  ensureBuilt();
  h = await startHarness([
    nodeSubnetCluster({ name: 'mig-1', resourceGroup: 'rg-mig' }),
    nodeSubnetCluster({ name: 'mig-emb', resourceGroup: 'rg-mig' }),
    nodeSubnetCluster({ name: 'mig-tty', resourceGroup: 'rg-mig' }),
    // Azure NPM must be uninstalled before Overlay (seed 000 § Update the IPAM mode to Azure CNI Overlay).
    nodeSubnetCluster({ name: 'mig-npm', resourceGroup: 'rg-mig', networkProfile: { networkPolicy: 'azure' } }),
    vnet(),
    nsg(),
  ]);
}, 240_000);

afterAll(async () => {
  await h?.close();
});

/** The built binary, stdin not a terminal ('ignore', as in a pipeline), the fleet's subscription as the default. */
const aksnet = (args: string[], env: Record<string, string> = {}): Promise<Run> => runCli(args, { AZURE_SUBSCRIPTION_ID: SUBSCRIPTION, ...env }, h.dir, 90_000);
const backend = (): Record<string, string> => backendEnv(h);
const writesTo = (name: string): Array<{ method: string; resourceId: string }> => writesToCluster(h, clusterId(name, 'rg-mig'));

it('without a terminal and without --yes it refuses: exit 2, one line saying to pass --yes, nothing started or written', async () => {
  const before = (await h.instances()).length;
  const r = await aksnet(['cluster', 'migrate', '-g', 'rg-mig', '-n', 'mig-1', '--target', 'overlay+cilium'], backend());
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ERROR: 'aksnet cluster migrate' needs confirmation and there is no terminal to ask on\. Add '--yes' to confirm\.$/)]);
  expect((await h.instances()).length).toBe(before);
  expect(writesTo('mig-1')).toEqual([]);
}, 60_000);

it('with --yes it migrates the cluster through the workflow: Overlay, then Cilium, as two operations', async () => {
  const r = await aksnet(['cluster', 'migrate', '-g', 'rg-mig', '-n', 'mig-1', '--target', 'overlay+cilium', '--yes', '-o', 'json'], backend());
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  const out = JSON.parse(r.stdout) as { id: string; result: string; steps: Array<{ step: string; status: string; correlationId?: string }>; error: unknown; rollout: string };
  expect(out).toMatchObject({ id: clusterId('mig-1', 'rg-mig'), result: 'migrated', error: null, rollout: expect.stringMatching(/^migrate-mig-1-/) });
  expect(out.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['ipam:overlay:done', 'dataplane:cilium:done']);
  // Two PUTs on the cluster (seed 000: IPAM and data plane are separate operations), and the result in ARM.
  expect(writesTo('mig-1').filter((w) => w.method === 'PUT' && /managedClusters\/mig-1$/.test(w.resourceId))).toHaveLength(2);
  const arm = h.sim.world.clusters.get(clusterId('mig-1', 'rg-mig').toLowerCase())?.resource.properties?.networkProfile;
  expect(arm).toMatchObject({ networkPluginMode: 'overlay', networkDataplane: 'cilium', networkPolicy: 'cilium' });
}, 90_000);

it('a blocked cluster is not changed: exit 1 naming the blocker', async () => {
  const r = await aksnet(['cluster', 'migrate', '--ids', clusterId('mig-npm', 'rg-mig'), '--target', 'overlay', '--yes', '-o', 'json'], backend());
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout)).toMatchObject({ result: 'blocked' });
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ERROR: cluster 'mig-npm' is blocked and was not changed: overlay\.network-policy-engine: /)]);
  expect(writesTo('mig-npm')).toEqual([]);
}, 90_000);

it('an unknown cluster is not found (exit 3)', async () => {
  const r = await aksnet(['cluster', 'migrate', '-g', 'rg-mig', '-n', 'no-such', '--target', 'cilium', '--yes'], backend());
  expect({ code: r.code, stderr: r.stderr, stdout: r.stdout.slice(0, 1500) }).toMatchObject({ code: 3, stdout: '' });
  expect(r.stderr.trim()).toMatch(/^ERROR: cluster 'no-such' in resource group 'rg-mig' was not found in subscription/);
}, 90_000);

it('without a backend it runs on a local host of its own, against the simulator named in AKSNET_ARM_ENDPOINT', async () => {
  const r = await aksnet(['cluster', 'migrate', '-g', 'rg-mig', '-n', 'mig-emb', '--target', 'cilium', '--yes', '-o', 'table'], {
    AKSNET_ARM_ENDPOINT: h.sim.armEndpoint,
    AKSNET_CA_CERT: h.sim.caCertPath,
    AKSNET_CLOCK_SCALE: '2000',
  });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/^#\s+Step\s+Status/);
  expect(r.stdout).toMatch(/1\s+dataplane:cilium\s+done/);
  expect(r.stdout).toMatch(/mig-emb \(rg-mig\): migrated/);
  expect(h.sim.world.clusters.get(clusterId('mig-emb', 'rg-mig').toLowerCase())?.resource.properties?.networkProfile?.networkDataplane).toBe('cilium');
}, 90_000);

describe('on a terminal (cli/main in-process, stdin a terminal)', () => {
  // Imported here: the CLI module graph is the same the binary runs, loaded by jest.
  const run = async (args: string[], answer: boolean): Promise<{ code: number; stdout: string; stderr: string; asked: string[] }> => {
    const { main } = await import('../../cli/main');
    let stdout = '';
    let stderr = '';
    const asked: string[] = [];
    const code = await main(args, {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      stdoutIsTTY: false,
      stdinIsTTY: true,
      stderrIsTTY: true,
      cwd: h.dir,
      env: { ...process.env, ...backend(), AZURE_SUBSCRIPTION_ID: SUBSCRIPTION },
      confirm: async (q) => {
        asked.push(q);
        return answer;
      },
    });
    return { code, stdout, stderr, asked };
  };

  it('asks before the irreversible change; "no" changes nothing (exit 0)', async () => {
    const r = await run(['cluster', 'migrate', '-g', 'rg-mig', '-n', 'mig-tty', '--target', 'cilium'], false);
    expect(r.asked).toEqual([expect.stringMatching(/cannot be undone.*Continue\?$/)]);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: 'WARNING: Cancelled; nothing was changed.\n' });
  }, 60_000);

  it('"yes" migrates it, with progress lines on the terminal (stderr) and the result on stdout', async () => {
    const r = await run(['cluster', 'migrate', '-g', 'rg-mig', '-n', 'mig-tty', '--target', 'cilium'], true);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'mig-tty', result: 'migrated' });
    expect(r.stderr).toMatch(/rollout migrate-mig-tty-\S+: completed \| cluster done 1\/1 \| migrated 1/);
    expect(writesTo('mig-tty').some((w) => w.method === 'PUT')).toBe(true);
  }, 90_000);
});
