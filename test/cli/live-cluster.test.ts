/**
 * Live `cluster preflight|plan` through the built binary against the simulator: the same result as on
 * the snapshot; unknown clusters exit 3; no subscription → exit 2; a bad endpoint → one line; clusters
 * that cannot be read are left out, named on stderr, and the command exits 1.
 */
import { armIdKey, vnetIdOfSubnet } from '../../shared/arm/id';
import type { Assessment } from '../../shared/model/assessment';
import { parseSnapshot } from '../../shared/model/snapshot';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { aksnetAsync, expectReadsOnly, clustersOf, liveFleet, subArgs, type LiveFleet } from './live-support';
import { ensureBuilt, json } from './support';

jest.setTimeout(60_000);

let live: LiveFleet;
let fleetFile: string;
let fleet: LiveFleet['fleet'];
let subs: string[];
let sim: LiveFleet['sim'];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ensureBuilt();
  live = await liveFleet(12, 2, 'live-cluster');
  ({ fleetFile, fleet, subs, sim, env } = live);
  expect(subs).toHaveLength(2);
}, 180_000);

afterAll(async () => live?.close());


describe('cluster preflight and plan, live', () => {
  it('give what they give on the snapshot, by -g/-n with --subscription, AZURE_SUBSCRIPTION_ID, or --ids', async () => {
    for (const c of clustersOf(fleet).slice(0, 1)) {
      const [, , sub, , rg] = c.id.split('/');
      const offline = await aksnetAsync(['cluster', 'preflight', '-s', fleetFile, '--ids', c.id, '-t', 'overlay+cilium']);
      expect(offline.code).toBe(0);
      const runs = await Promise.all([
        aksnetAsync(['cluster', 'preflight', '--subscription', sub, '-g', rg, '-n', c.name, '-t', 'overlay+cilium'], { env }),
        aksnetAsync(['cluster', 'preflight', '-g', rg, '-n', c.name, '-t', 'overlay+cilium'], { env: { ...env, AZURE_SUBSCRIPTION_ID: sub } }),
        aksnetAsync(['cluster', 'preflight', '--ids', c.id, '-t', 'overlay+cilium'], { env }),
      ]);
      for (const r of runs) expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 0, stderr: '', stdout: offline.stdout });
    }
    const c = clustersOf(fleet)[1];
    const [planLive, planOff] = await Promise.all([
      aksnetAsync(['cluster', 'plan', '--ids', c.id, '-t', 'overlay+cilium', '-o', 'table'], { env }),
      aksnetAsync(['cluster', 'plan', '-s', fleetFile, '--ids', c.id, '-t', 'overlay+cilium', '-o', 'table']),
    ]);
    expect(planLive.code).toBe(0);
    expect(planLive.stdout).toBe(planOff.stdout);
    expect(planLive.stderr).toBe(planOff.stderr);
    expectReadsOnly(sim);
  });

  it('an unknown cluster exits 3 with one line naming it and how to list the clusters', async () => {
    const run = await aksnetAsync(['cluster', 'preflight', '--subscription', subs[0], '-g', 'rg-nope', '-n', 'aks-nope', '-t', 'cilium'], { env });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.errLines).toEqual([
      `ERROR: cluster 'aks-nope' in resource group 'rg-nope' was not found in subscription ${subs[0]}. Check the names, or list the clusters with 'aksnet fleet assess --subscription ${subs[0]} --target cilium -o table'.`,
    ]);
  });

  it('without a subscription anywhere: exit 2 naming the three ways to give it', async () => {
    const run = await aksnetAsync(['cluster', 'plan', '-g', 'rg', '-n', 'aks', '-t', 'cilium'], { env });
    expect(run.code).toBe(2);
    expect(run.errLines).toEqual(["ERROR: the subscription of the cluster is not given. Add '--subscription ID', set AZURE_SUBSCRIPTION_ID, use '--ids ID', or read a file with '--snapshot FILE'."]);
  });

  it('a bad simulator endpoint is one line (exit 1) naming the fix', async () => {
    const c = clustersOf(fleet)[0];
    const run = await aksnetAsync(['cluster', 'preflight', '--ids', c.id, '-t', 'cilium'], { env: { ...env, AKSNET_ARM_ENDPOINT: 'http://127.0.0.1:1' } });
    expect(run.code).toBe(1);
    expect(run.errLines).toHaveLength(1);
    expect(run.errLines[0]).toMatch(/^ERROR: AKSNET_ARM_ENDPOINT='http:\/\/127\.0\.0\.1:1' must be https .*\. Use the armEndpoint 'aksnet sim start' printed\.$/);
  });
});

describe('clusters that cannot be read', () => {
  let broken: RunningSimulator;
  let lost: string[];
  beforeAll(async () => {
    // The simulator holds every resource but one spoke VNet: its clusters' network cannot be read (HTTP 404).
    const vnetIds = new Set(clustersOf(fleet).flatMap((c) => (c.properties?.agentPoolProfiles ?? []).map((p) => (p.vnetSubnetID ? armIdKey(vnetIdOfSubnet(p.vnetSubnetID) ?? '') : ''))).filter(Boolean));
    const gone = [...vnetIds][0];
    lost = clustersOf(fleet)
      .filter((c) => (c.properties?.agentPoolProfiles ?? []).some((p) => p.vnetSubnetID && armIdKey(vnetIdOfSubnet(p.vnetSubnetID) ?? '') === gone))
      .map((c) => armIdKey(c.id))
      .sort();
    expect(lost.length).toBeGreaterThan(0);
    broken = await startSimulator({ snapshot: { ...fleet, resources: fleet.resources.filter((r) => armIdKey(r.id) !== gone) }, port: 0 });
  });
  afterAll(async () => broken?.stop());

  it('fleet assess prints the others, names each lost cluster in a WARNING, and ends with one ERROR and exit 1', async () => {
    const brokenEnv = { ...env, AKSNET_ARM_ENDPOINT: broken.armEndpoint, AKSNET_CA_CERT: broken.caCertPath };
    const [run, offline] = await Promise.all([
      aksnetAsync(['fleet', 'assess', ...subArgs(subs), '-t', 'overlay'], { env: brokenEnv }),
      aksnetAsync(['fleet', 'assess', '-s', fleetFile, '-t', 'overlay']),
    ]);
    expect(run.code).toBe(1);
    const got = json<Assessment[]>(run);
    const expected = json<Assessment[]>(offline).filter((a) => !lost.includes(armIdKey(a.id)));
    expect(got.map((a) => armIdKey(a.id))).toEqual(expected.map((a) => armIdKey(a.id)));
    const warnings = run.errLines.slice(0, -1);
    expect(warnings).toHaveLength(lost.length);
    for (const w of warnings) expect(w).toMatch(/^WARNING: cluster '\/subscriptions\/.*' is left out of the assessment: VNet could not be read: HTTP 404/);
    expect(warnings.map((w) => armIdKey(/cluster '([^']+)'/.exec(w)?.[1] ?? '')).sort()).toEqual(lost);
    expect(run.errLines.at(-1)).toBe(`ERROR: ${lost.length} of ${clustersOf(fleet).length} clusters could not be read and ${lost.length === 1 ? 'is' : 'are'} not in the assessment. The WARNING lines above say why; fix access or wait for the API to recover, then run the command again.`);
  });

  it('fleet snapshot leaves the lost clusters out too (with their maintenance configurations and Kubernetes objects), exit 1', async () => {
    const brokenEnv = { ...env, AKSNET_ARM_ENDPOINT: broken.armEndpoint, AKSNET_CA_CERT: broken.caCertPath };
    const run = await aksnetAsync(['fleet', 'snapshot', ...subArgs(subs)], { env: brokenEnv });
    expect(run.code).toBe(1);
    const snap = parseSnapshot(JSON.parse(run.stdout));
    const kept = clustersOf(snap).map((c) => armIdKey(c.id));
    expect(kept.sort()).toEqual(clustersOf(fleet).map((c) => armIdKey(c.id)).filter((k) => !lost.includes(k)).sort());
    expect(snap.resources.filter((r) => lost.some((k) => armIdKey(r.id) === k || armIdKey(r.id).startsWith(`${k}/`)))).toEqual([]);
    expect(Object.keys(snap.kubernetes).filter((k) => lost.includes(armIdKey(k)))).toEqual([]);
    expect(run.errLines.filter((l) => l.startsWith('WARNING: '))).toHaveLength(lost.length);
    expect(run.errLines.at(-1)).toMatch(new RegExp(`^ERROR: ${lost.length} of ${clustersOf(fleet).length} clusters could not be read and (is|are) not in the snapshot\\. `));
  });

  it('cluster preflight on a lost cluster fails (exit 1) rather than assess incomplete facts', async () => {
    const brokenEnv = { ...env, AKSNET_ARM_ENDPOINT: broken.armEndpoint, AKSNET_CA_CERT: broken.caCertPath };
    const id = clustersOf(fleet).find((c) => armIdKey(c.id) === lost[0])?.id as string;
    const run = await aksnetAsync(['cluster', 'preflight', '--ids', id, '-t', 'overlay'], { env: brokenEnv });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.errLines).toHaveLength(1);
    expect(run.errLines[0]).toMatch(/^ERROR: cluster '.*' could not be read: VNet could not be read: HTTP 404/);
  });
});
