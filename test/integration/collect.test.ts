/**
 * Live fact collection through the real SDK clients over HTTPS against the simulator: the collected
 * snapshot assesses exactly like the snapshot the simulator was seeded with, reads are read-only and
 * shared, throttling and faults are survived, and a failing cluster fails alone.
 */
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { generateFleet } from '../../sim/generate';
import { sampleFleet, SAMPLE_SUBSCRIPTIONS } from '../../sim/sample-fleet';
import { createAzureClients, type AzureClients } from '../../shared/azure/clients';
import { collectCluster, collectSnapshot, progressLine, type CollectProgress } from '../../shared/azure/collect';
import { assessFleet } from '../../shared/assess';
import { armIdKey, parseArmId, vnetIdOfSubnet } from '../../shared/arm/id';
import { kubeItemsFor, parseSnapshot, type Snapshot } from '../../shared/model/snapshot';
import { TARGETS } from '../../shared/model/assessment';
import type { ManagedClusterResource } from '../../shared/model/arm';
import type { KubeObject } from '../../shared/model/kube';

const MC = 'microsoft.containerservice/managedclusters';
const clustersOf = (s: Snapshot): ManagedClusterResource[] => s.resources.filter((r) => r.type.toLowerCase() === MC) as ManagedClusterResource[];
const subsOf = (s: Snapshot): string[] => [...new Set(clustersOf(s).map((c) => parseArmId(c.id).subscriptionId))];
/** A snapshot as it would be read back from a file. */
const reread = (s: Snapshot): Snapshot => parseSnapshot(JSON.parse(JSON.stringify(s)));

/** The VNets and NSGs a fleet's clusters use (what a collection must read, once each). */
function referencedNetwork(s: Snapshot): { vnets: Set<string>; nsgs: Set<string> } {
  const vnets = new Set<string>();
  const subnets = new Set<string>();
  for (const c of clustersOf(s)) {
    for (const p of c.properties?.agentPoolProfiles ?? []) {
      for (const sid of [p.vnetSubnetID, p.podSubnetID]) {
        if (!sid) continue;
        vnets.add(armIdKey(vnetIdOfSubnet(sid)!));
        subnets.add(armIdKey(sid));
      }
    }
  }
  const nsgs = new Set<string>();
  for (const r of s.resources) {
    if (!vnets.has(armIdKey(r.id))) continue;
    for (const sn of (r.properties?.subnets ?? []) as Array<{ id: string; properties?: { networkSecurityGroup?: { id: string } } }>) {
      if (subnets.has(armIdKey(sn.id)) && sn.properties?.networkSecurityGroup) nsgs.add(armIdKey(sn.properties.networkSecurityGroup.id));
    }
  }
  return { vnets, nsgs };
}

describe('live collection of a generated fleet', () => {
  let sim: RunningSimulator;
  let clients: AzureClients;
  const fleet = generateFleet({ clusters: 120, subscriptions: 3, seed: 11 });
  beforeAll(async () => {
    sim = await startSimulator({ snapshot: fleet, throttling: false });
    clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath });
  });
  afterAll(async () => {
    clients?.close();
    await sim?.stop();
  });

  it('assesses exactly like the seeded snapshot, for every target, with read-only calls', async () => {
    const progress: CollectProgress[] = [];
    const result = await collectSnapshot({ clients, subscriptions: subsOf(fleet), onProgress: (p) => progress.push(p) });
    expect(result.failures).toEqual([]);
    const live = reread(result.snapshot);
    expect(clustersOf(live)).toHaveLength(120);
    // Every kind aksnet reads comes back, item for item (Namespaces are not read: no rule needs them).
    const kinds = (items: KubeObject[] | undefined): string[] => (items ?? []).filter((i) => i.kind !== 'Namespace').map((i) => `${i.kind}/${i.metadata.namespace ?? ''}/${i.metadata.name}`).sort();
    for (const c of clustersOf(fleet)) expect(kinds(kubeItemsFor(live, c.id))).toEqual(kinds(kubeItemsFor(fleet, c.id)));
    for (const target of TARGETS) expect(assessFleet(live, { target })).toEqual(assessFleet(reread(fleet), { target }));
    // `fleet snapshot` promises read-only calls: the simulator logs every state-changing request.
    expect(sim.world.log).toEqual([]);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', discovered: 120, total: 120, done: 120, failed: 0 });
    expect(progress.map(progressLine)).toContain('collected 120 clusters');
    expect(progressLine({ phase: 'collecting', discovered: 5000, total: 10000, done: 4210, failed: 3 })).toBe('collecting 4,210/10,000 clusters (3 failed)');
  });

  it('reads each VNet and NSG once however many clusters share it', async () => {
    const { vnets, nsgs } = referencedNetwork(fleet);
    expect(vnets.size).toBeLessThan(60); // spokes are shared: far fewer VNets than clusters
    const result = await collectSnapshot({ clients, subscriptions: subsOf(fleet), kubernetes: false });
    expect(result.stats.byOperation['GET Microsoft.Network/virtualNetworks']).toBe(vnets.size);
    expect(result.stats.byOperation['GET Microsoft.Network/networkSecurityGroups']).toBe(nsgs.size);
    expect(result.stats.byOperation['GET Microsoft.ContainerService/managedClusters/maintenanceConfigurations']).toBe(120);
    expect(result.stats.byOperation['POST Microsoft.ContainerService/managedClusters/listClusterUserCredential']).toBeUndefined();
    expect(result.stats.resourceGraph).toBe(1);
    const got = new Set(result.snapshot.resources.filter((r) => /virtualNetworks|networkSecurityGroups/i.test(r.type)).map((r) => armIdKey(r.id)));
    expect(got).toEqual(new Set([...vnets, ...nsgs]));
  });

  it('narrows discovery by resource group and tag', async () => {
    const some = clustersOf(fleet)[0];
    const rg = parseArmId(some.id).resourceGroup!;
    const byRg = await collectSnapshot({ clients, subscriptions: subsOf(fleet), resourceGroup: rg.toUpperCase(), kubernetes: false });
    const expected = clustersOf(fleet).filter((c) => parseArmId(c.id).resourceGroup!.toLowerCase() === rg.toLowerCase());
    expect(clustersOf(byRg.snapshot).map((c) => armIdKey(c.id)).sort()).toEqual(expected.map((c) => armIdKey(c.id)).sort());
    const team = some.tags!.team;
    const byTag = await collectSnapshot({ clients, subscriptions: subsOf(fleet), tags: { team }, kubernetes: false });
    expect(clustersOf(byTag.snapshot).length).toBe(clustersOf(fleet).filter((c) => c.tags?.team === team).length);
    expect(clustersOf(byTag.snapshot).length).toBeGreaterThan(0);
  });

  it('collects one cluster fresh from ARM for preflight', async () => {
    const target = clustersOf(fleet)[5];
    const result = await collectCluster(target.id, { clients });
    expect(result.failures).toEqual([]);
    const [c] = clustersOf(result.snapshot);
    expect(armIdKey(c.id)).toBe(armIdKey(target.id));
    expect(c.eTag ?? c.etag).toBeTruthy(); // a GET, not a Resource Graph row: the ETag a PUT needs
    expect(assessFleet(result.snapshot, { target: 'overlay+cilium' })).toEqual(assessFleet({ resources: [...fleet.resources], kubernetes: fleet.kubernetes }, { target: 'overlay+cilium' }).filter((a) => armIdKey(a.id) === armIdKey(target.id)));
    const missing = await collectCluster(`${target.id}-gone`, { clients, kubernetes: false });
    expect(missing.failures).toHaveLength(1);
    expect(missing.failures[0].error).toMatch(/HTTP 404.*ResourceNotFound/);
    expect(clustersOf(missing.snapshot)).toEqual([]);
  });
});

describe('live collection under throttling, faults and a failing cluster', () => {
  let sim: RunningSimulator;
  afterEach(async () => {
    await sim?.stop();
  });

  it('waits out 429s as Retry-After says and still collects everything', async () => {
    const fleet = sampleFleet();
    // Tiny buckets so the sample fleet's reads and credential POSTs overflow them.
    sim = await startSimulator({ snapshot: fleet, throttling: { enabled: true, reads: { bucket: 4, refillPerSecond: 4 }, writes: { bucket: 3, refillPerSecond: 3 } } });
    const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath });
    try {
      const t0 = Date.now();
      const result = await collectSnapshot({ clients, subscriptions: [...SAMPLE_SUBSCRIPTIONS] });
      const seconds = (Date.now() - t0) / 1000;
      expect(result.failures).toEqual([]);
      expect(result.stats.throttled).toBeGreaterThan(0);
      // The sub with the most clusters makes 7 credential POSTs against a bucket of 3 refilled at 3/s:
      // at least one second of waiting, which only honouring Retry-After explains.
      expect(seconds).toBeGreaterThanOrEqual(1);
      for (const target of TARGETS) expect(assessFleet(reread(result.snapshot), { target })).toEqual(assessFleet(reread(fleet), { target }));
    } finally {
      clients.close();
    }
  });

  it('paces calls to each subscription refill rate instead of collecting 429s', async () => {
    const fleet = sampleFleet();
    const model = { reads: { bucket: 4, refillPerSecond: 4 }, writes: { bucket: 3, refillPerSecond: 3 } };
    const throttled = async (pacing: false | typeof model): Promise<number> => {
      sim = await startSimulator({ snapshot: fleet, throttling: { enabled: true, ...model } });
      const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath, pacing });
      try {
        const result = await collectSnapshot({ clients, subscriptions: [...SAMPLE_SUBSCRIPTIONS] });
        expect(result.failures).toEqual([]);
        return result.stats.throttled;
      } finally {
        clients.close();
        await sim.stop();
      }
    };
    const unpaced = await throttled(false);
    // Told the limits the simulator applies, the gateway waits for tokens: only the calls right after each
    // bucket's first burst (which reached ARM later than it left) can meet a 429, and that 429
    // re-synchronises the bucket.
    const paced = await throttled(model);
    expect(unpaced).toBeGreaterThan(6);
    expect(paced * 2).toBeLessThan(unpaced);
  });

  it('survives injected 500s, 503s and dropped connections', async () => {
    const fleet = generateFleet({ clusters: 40, subscriptions: 2, seed: 3 });
    sim = await startSimulator({ snapshot: fleet, throttling: false, faults: '500=0.1,503=0.1,drop=0.05,seed=5' });
    const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath, retryDelayInMs: 20 });
    try {
      const result = await collectSnapshot({ clients, subscriptions: subsOf(fleet) });
      expect(result.failures).toEqual([]);
      expect(result.stats.serverErrors).toBeGreaterThan(5);
      expect(assessFleet(reread(result.snapshot), { target: 'overlay' })).toEqual(assessFleet(reread(fleet), { target: 'overlay' }));
    } finally {
      clients.close();
    }
  });

  it('marks only the failing cluster and goes on with the rest', async () => {
    const fleet = sampleFleet();
    const broken = clustersOf(fleet).find((c) => c.name === 'aks-web-prd')!;
    sim = await startSimulator({ snapshot: fleet, throttling: false, faults: `500=1,scope=${broken.id}` });
    const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath, maxRetries: 2, retryDelayInMs: 10 });
    try {
      const result = await collectSnapshot({ clients, subscriptions: [...SAMPLE_SUBSCRIPTIONS] });
      expect(result.failures.map((f) => armIdKey(f.id))).toEqual([armIdKey(broken.id)]);
      expect(result.failures[0].clusters.map(armIdKey)).toEqual([armIdKey(broken.id)]);
      expect(result.failures[0].error).toMatch(/HTTP 500/);
      const live = reread(result.snapshot);
      // Every cluster is still there (Resource Graph found it); only the broken one lacks Kubernetes facts.
      expect(clustersOf(live)).toHaveLength(13);
      expect(kubeItemsFor(live, broken.id)).toBeUndefined();
      const liveAssess = assessFleet(live, { target: 'overlay+cilium' });
      const fileAssess = assessFleet(reread(fleet), { target: 'overlay+cilium' });
      for (const [i, a] of liveAssess.entries()) {
        if (armIdKey(a.id) === armIdKey(broken.id)) expect(JSON.stringify(a.findings)).toMatch(/Kubernetes objects/);
        else expect(a).toEqual(fileAssess[i]);
      }
    } finally {
      clients.close();
    }
  });

  it('pages Resource Graph past 1,000 clusters, waiting out the user quota instead of meeting 429s', async () => {
    const fleet = generateFleet({ clusters: 1100, subscriptions: 4, seed: 9, kubernetes: false });
    // One Resource Graph query per 2 s; ARM buckets large enough not to matter here.
    const big = { bucket: 1_000_000, refillPerSecond: 1_000_000 };
    sim = await startSimulator({ snapshot: fleet, throttling: { enabled: true, reads: big, writes: big, resourceGraph: { queries: 1, windowSeconds: 2 } } });
    const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath });
    try {
      const t0 = Date.now();
      const result = await collectSnapshot({ clients, subscriptions: subsOf(fleet), kubernetes: false, maintenanceConfigurations: false, concurrency: 128 });
      expect(result.failures).toEqual([]);
      expect(result.stats.resourceGraph).toBe(2);
      expect(result.stats.throttled).toBe(0); // the second page waited for x-ms-user-quota-resets-after
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
      expect(new Set(clustersOf(result.snapshot).map((c) => armIdKey(c.id))).size).toBe(1100);
    } finally {
      clients.close();
    }
  });
});
