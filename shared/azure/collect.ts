/**
 * Live fact collection: what `fleet assess` (live), `fleet snapshot` and `cluster preflight` read from
 * ARM and each cluster's Kubernetes API, returned in the snapshot format (shared/model/snapshot.ts) so
 * that live assessment is normalize + assess on it, exactly as for a snapshot file.
 *
 * Read-only: GETs, the Resource Graph query, and listClusterUserCredential (a POST that returns the
 * user kubeconfig and changes nothing).
 *
 * Reads, per run: Resource Graph pages (1,000 clusters each); per cluster the maintenance
 * configurations (1 GET), the user credential (1 POST) and the Kubernetes lists; each VNet and NSG ONCE
 * however many clusters share it (in-flight reads are shared, not repeated). Throttled calls are retried
 * by the SDK pipelines after Retry-After (core-rest-pipeline throttlingRetryStrategy, ms-rest-js
 * ThrottlingRetryPolicy). A failure on one cluster (or on a VNet/NSG) is recorded in `failures` and the
 * run goes on.
 */
import type {
  ArmResource,
  MaintenanceConfigurationResource,
  ManagedClusterResource,
  NetworkSecurityGroupResource,
  VirtualNetworkResource,
} from '../model/arm';
import type { KubeObject } from '../model/kube';
import type { Snapshot } from '../model/snapshot';
import { armIdKey, parseArmId, vnetIdOfSubnet } from '../arm/id';
import { KubeConnectionPool, kubeClientFromKubeconfig } from '../kube/client';
import { KUBE_KINDS, readKubeObjects, type KubeKind } from '../kube/read';
import { createAzureClients, type AzureClients, type GatewayStats } from './clients';
import { discoverClusters, type DiscoveryFilter } from './discovery';
import { limiter, type Limiter } from './limit';
import { errorLine, rawCapture } from './raw';

export interface CollectProgress {
  phase: 'discovery' | 'collecting' | 'done';
  /** Clusters found so far. */
  discovered: number;
  /** Clusters the query matched, once Resource Graph said. */
  total?: number;
  /** Clusters fully collected (including failed ones). */
  done: number;
  failed: number;
}

/** One line for a terminal: `collecting 4,210/10,000 clusters (3 failed)`. */
export function progressLine(p: CollectProgress): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  if (p.phase === 'discovery') return 'discovering clusters (Resource Graph)…';
  const of = p.total !== undefined ? `/${n(p.total)}` : '';
  const failed = p.failed ? ` (${n(p.failed)} failed)` : '';
  return p.phase === 'done' ? `collected ${n(p.done)} clusters${failed}` : `collecting ${n(p.done)}${of} clusters${failed}`;
}

export interface CollectFailure {
  /** The resource that could not be read: a cluster, VNet or NSG id. */
  id: string;
  /** One line: what failed and why. */
  error: string;
  /** Clusters whose facts are incomplete because of it. */
  clusters: string[];
}

export interface CollectOptions {
  /** The gateway to use; by default one is made from the environment (and closed at the end). */
  clients?: AzureClients;
  subscriptions?: string[];
  resourceGroup?: string;
  tags?: Record<string, string>;
  /** Collect exactly these clusters (ARM GET each) instead of discovering them. */
  ids?: string[];
  /**
   * Clusters collected at once per subscription (default 64). Per subscription because ARM throttles per
   * subscription: one busy subscription waiting for tokens must not hold the slots of the others.
   */
  concurrency?: number;
  /** Clusters collected at once in all (default 1,024): bounds sockets and memory. */
  maxClustersInFlight?: number;
  /** VNet/NSG reads at once (default 32). */
  networkConcurrency?: number;
  /** Read each cluster's Kubernetes objects (default true). */
  kubernetes?: boolean;
  /**
   * Read each cluster's maintenance configurations (default true: `fleet snapshot` and rollouts need them).
   * No assessment rule reads them, so live `fleet assess` passes false and saves one ARM read per cluster.
   */
  maintenanceConfigurations?: boolean;
  onProgress?: (progress: CollectProgress) => void;
}

export interface CollectResult {
  snapshot: Snapshot;
  failures: CollectFailure[];
  /** Requests the gateway made during this run. */
  stats: GatewayStats;
}

interface Run {
  clients: AzureClients;
  kube: boolean;
  readMaintenance: boolean;
  kubePool: KubeConnectionPool;
  netGate: Limiter;
  vnets: Map<string, Promise<VirtualNetworkResource | undefined>>;
  nsgs: Map<string, Promise<NetworkSecurityGroupResource | undefined>>;
  failures: Map<string, CollectFailure>;
  clusters: ManagedClusterResource[];
  maintenance: Map<string, MaintenanceConfigurationResource[]>;
  kubernetes: Map<string, KubeObject[]>;
}

function fail(run: Run, id: string, error: string, clusterId: string): void {
  const key = armIdKey(id);
  const f = run.failures.get(key);
  if (f) {
    if (!f.clusters.some((c) => armIdKey(c) === armIdKey(clusterId))) f.clusters.push(clusterId);
  } else run.failures.set(key, { id, error, clusters: [clusterId] });
}

function subscriptionOfId(id: string): string {
  return /\/subscriptions\/([^/]+)/i.exec(id)?.[1] ?? '';
}

function rgAndName(id: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const p = parseArmId(id);
  if (!p.resourceGroup || !p.name) throw new Error(`'${id}' is not a resource id`);
  return { subscriptionId: p.subscriptionId, resourceGroup: p.resourceGroup, name: p.name };
}

/** GET a VNet once per run, however many clusters ask (the in-flight promise is shared). */
function readVnet(run: Run, vnetId: string): Promise<VirtualNetworkResource | undefined> {
  const key = armIdKey(vnetId);
  let p = run.vnets.get(key);
  if (!p) {
    p = run.netGate(async () => {
      const { subscriptionId, resourceGroup, name } = rgAndName(vnetId);
      const raw = rawCapture();
      await run.clients.network(subscriptionId).virtualNetworks.get(resourceGroup, name, { onResponse: raw.onResponse });
      return raw.body() as VirtualNetworkResource;
    });
    run.vnets.set(key, p);
  }
  return p;
}

function readNsg(run: Run, nsgId: string): Promise<NetworkSecurityGroupResource | undefined> {
  const key = armIdKey(nsgId);
  let p = run.nsgs.get(key);
  if (!p) {
    p = run.netGate(async () => {
      const { subscriptionId, resourceGroup, name } = rgAndName(nsgId);
      const raw = rawCapture();
      await run.clients.network(subscriptionId).networkSecurityGroups.get(resourceGroup, name, { onResponse: raw.onResponse });
      return raw.body() as NetworkSecurityGroupResource;
    });
    run.nsgs.set(key, p);
  }
  return p;
}

/** The VNets holding the cluster's node and pod subnets, and the NSGs on those subnets. */
async function collectNetwork(run: Run, cluster: ManagedClusterResource): Promise<void> {
  const subnetIds = new Map<string, string>();
  for (const pool of cluster.properties?.agentPoolProfiles ?? []) {
    for (const sid of [pool.vnetSubnetID, pool.podSubnetID]) if (typeof sid === 'string' && sid) subnetIds.set(armIdKey(sid), sid);
  }
  const byVnet = new Map<string, { vnetId: string; subnets: string[] }>();
  for (const [key, sid] of subnetIds) {
    const vnetId = vnetIdOfSubnet(sid);
    if (!vnetId) continue;
    const entry = byVnet.get(armIdKey(vnetId)) ?? { vnetId, subnets: [] };
    entry.subnets.push(key);
    byVnet.set(armIdKey(vnetId), entry);
  }
  await Promise.all(
    [...byVnet.values()].map(async ({ vnetId, subnets }) => {
      let vnet: VirtualNetworkResource | undefined;
      try {
        vnet = await readVnet(run, vnetId);
      } catch (e) {
        fail(run, vnetId, `VNet could not be read: ${errorLine(e)}`, cluster.id);
        return;
      }
      const nsgIds = new Map<string, string>();
      for (const s of vnet?.properties?.subnets ?? []) {
        const nsg = s.properties?.networkSecurityGroup?.id;
        if (nsg && subnets.includes(armIdKey(s.id))) nsgIds.set(armIdKey(nsg), nsg);
      }
      await Promise.all(
        [...nsgIds.values()].map(async (nsgId) => {
          try {
            await readNsg(run, nsgId);
          } catch (e) {
            fail(run, nsgId, `NSG could not be read: ${errorLine(e)}`, cluster.id);
          }
        }),
      );
    }),
  );
}

async function collectMaintenance(run: Run, cluster: ManagedClusterResource): Promise<void> {
  const { subscriptionId, resourceGroup, name } = rgAndName(cluster.id);
  const raw = rawCapture();
  const models: unknown[] = [];
  for await (const m of run.clients.containerService(subscriptionId).maintenanceConfigurations.listByManagedCluster(resourceGroup, name, { onResponse: raw.onResponse })) models.push(m);
  // The raw first page is ARM's JSON; only pages after it (never seen in practice: a cluster has at
  // most three configurations) fall back to the SDK models.
  const page = ((raw.body() as { value?: MaintenanceConfigurationResource[] } | undefined)?.value ?? []).slice();
  for (const m of models.slice(page.length)) page.push(JSON.parse(JSON.stringify(m)) as MaintenanceConfigurationResource);
  run.maintenance.set(armIdKey(cluster.id), page);
}

/**
 * The kinds worth listing on this cluster. Karpenter's NodePool CRD exists only where NAP was turned on
 * (a nodeProvisioningProfile mode is set) and Cilium's policy CRD only with the Cilium data plane (or a
 * bring-your-own CNI); elsewhere the list is a 404, i.e. empty, so the call is skipped: a quarter fewer
 * Kubernetes calls across a typical fleet, same facts.
 */
export function kubeKindsFor(cluster: ManagedClusterResource): KubeKind[] {
  const np = cluster.properties?.networkProfile;
  const cilium = np?.networkDataplane === 'cilium' || np?.ebpfDataplane === 'cilium' || np?.networkPlugin === 'none';
  const nap = !!cluster.properties?.nodeProvisioningProfile?.mode;
  return KUBE_KINDS.filter((k) => (k.kind === 'NodePool' ? nap : k.kind === 'CiliumNetworkPolicy' ? cilium : true));
}

async function collectKubernetes(run: Run, cluster: ManagedClusterResource): Promise<void> {
  const { subscriptionId, resourceGroup, name } = rgAndName(cluster.id);
  const creds = await run.clients.containerService(subscriptionId).managedClusters.listClusterUserCredentials(resourceGroup, name);
  const value = creds.kubeconfigs?.[0]?.value;
  if (!value) throw new Error('listClusterUserCredential returned no kubeconfig');
  const client = await kubeClientFromKubeconfig(Buffer.from(value).toString('utf8'), { pool: run.kubePool });
  try {
    run.kubernetes.set(armIdKey(cluster.id), await readKubeObjects(client, kubeKindsFor(cluster)));
  } finally {
    client.close();
  }
}

async function collectOne(run: Run, cluster: ManagedClusterResource): Promise<boolean> {
  let ok = true;
  const step = async (what: string, f: () => Promise<void>): Promise<void> => {
    try {
      await f();
    } catch (e) {
      ok = false;
      fail(run, cluster.id, `${what}: ${errorLine(e)}`, cluster.id);
    }
  };
  await Promise.all([
    collectNetwork(run, cluster),
    run.readMaintenance ? step('maintenance configurations could not be read', () => collectMaintenance(run, cluster)) : Promise.resolve(),
    run.kube ? step('Kubernetes objects could not be read', () => collectKubernetes(run, cluster)) : Promise.resolve(),
  ]);
  return ok;
}

async function getCluster(run: Run, id: string): Promise<ManagedClusterResource> {
  const { subscriptionId, resourceGroup, name } = rgAndName(id);
  const raw = rawCapture();
  await run.clients.containerService(subscriptionId).managedClusters.get(resourceGroup, name, { onResponse: raw.onResponse });
  return raw.body() as ManagedClusterResource;
}

function assemble(run: Run): Snapshot {
  const resources: ArmResource[] = [];
  const kubernetes: Snapshot['kubernetes'] = {};
  for (const c of run.clusters) {
    resources.push(c);
    const items = run.kubernetes.get(armIdKey(c.id));
    if (items) kubernetes[c.id] = { items };
  }
  for (const c of run.clusters) resources.push(...(run.maintenance.get(armIdKey(c.id)) ?? []));
  return { resources, kubernetes };
}

function statsSince(before: GatewayStats, now: GatewayStats): GatewayStats {
  const byOperation: Record<string, number> = {};
  for (const [k, v] of Object.entries(now.byOperation)) if (v - (before.byOperation[k] ?? 0) > 0) byOperation[k] = v - (before.byOperation[k] ?? 0);
  return {
    arm: now.arm - before.arm,
    armReads: now.armReads - before.armReads,
    armWrites: now.armWrites - before.armWrites,
    resourceGraph: now.resourceGraph - before.resourceGraph,
    throttled: now.throttled - before.throttled,
    serverErrors: now.serverErrors - before.serverErrors,
    byOperation,
  };
}

async function settled<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

/**
 * Collects the fleet: discovery through Resource Graph (or ARM GET of `ids`), then per cluster its
 * network, maintenance configurations and Kubernetes objects. Discovery failing fails the run
 * (DiscoveryError); anything after that fails only the clusters it concerns.
 */
export async function collectSnapshot(options: CollectOptions): Promise<CollectResult> {
  const own = !options.clients;
  const clients = options.clients ?? createAzureClients();
  const before: GatewayStats = { ...clients.stats, byOperation: { ...clients.stats.byOperation } };
  const run: Run = {
    clients,
    kube: options.kubernetes !== false,
    readMaintenance: options.maintenanceConfigurations !== false,
    kubePool: new KubeConnectionPool(),
    netGate: limiter(options.networkConcurrency ?? 32),
    vnets: new Map(),
    nsgs: new Map(),
    failures: new Map(),
    clusters: [],
    maintenance: new Map(),
    kubernetes: new Map(),
  };
  const perSubscription = options.concurrency ?? 64;
  const subscriptionGates = new Map<string, Limiter>();
  const overall = limiter(options.maxClustersInFlight ?? 1024);
  // Subscription slot first, then an overall slot: a task waiting for its subscription holds nothing.
  const gate = <T>(subscriptionId: string, task: () => Promise<T>): Promise<T> => {
    const key = subscriptionId.toLowerCase();
    let g = subscriptionGates.get(key);
    if (!g) subscriptionGates.set(key, (g = limiter(perSubscription)));
    return g(() => overall(task));
  };
  const progress: CollectProgress = { phase: 'discovery', discovered: 0, done: 0, failed: 0 };
  const report = (): void => options.onProgress?.({ ...progress });
  const tasks: Array<Promise<void>> = [];
  const schedule = (slot: number, subscriptionId: string, load: () => Promise<ManagedClusterResource>): void => {
    tasks.push(
      gate(subscriptionId, async () => {
        let cluster: ManagedClusterResource;
        try {
          cluster = await load();
        } catch (e) {
          progress.failed++;
          progress.done++;
          const id = (options.ids ?? [])[slot] ?? `cluster #${slot}`;
          fail(run, id, `cluster could not be read: ${errorLine(e)}`, id);
          report();
          return;
        }
        run.clusters[slot] = cluster;
        const ok = await collectOne(run, cluster);
        progress.done++;
        if (!ok) progress.failed++;
        report();
      }),
    );
  };
  try {
    if (options.ids?.length) {
      progress.phase = 'collecting';
      progress.discovered = progress.total = options.ids.length;
      report();
      options.ids.forEach((id, i) => schedule(i, subscriptionOfId(id), () => getCluster(run, id)));
    } else {
      const filter: DiscoveryFilter = { subscriptions: options.subscriptions ?? [], resourceGroup: options.resourceGroup, tags: options.tags };
      for await (const page of discoverClusters(clients, filter)) {
        progress.total = page.total;
        progress.phase = 'collecting';
        for (const c of page.clusters) {
          const slot = progress.discovered++;
          schedule(slot, subscriptionOfId(c.id), async () => c);
        }
        report();
      }
    }
    await Promise.all(tasks);
    run.clusters = run.clusters.filter(Boolean);
    const snapshot = assemble(run);
    // VNets and NSGs in a stable order (by id), each once.
    const vnets = (await Promise.all([...run.vnets.values()].map(settled))).filter((v): v is VirtualNetworkResource => !!v);
    const nsgs = (await Promise.all([...run.nsgs.values()].map(settled))).filter((v): v is NetworkSecurityGroupResource => !!v);
    const byId = (a: ArmResource, b: ArmResource): number => armIdKey(a.id).localeCompare(armIdKey(b.id));
    snapshot.resources.push(...vnets.sort(byId), ...nsgs.sort(byId));
    progress.phase = 'done';
    report();
    return { snapshot, failures: [...run.failures.values()], stats: statsSince(before, clients.stats) };
  } finally {
    run.kubePool.close();
    if (own) clients.close();
  }
}

/** One cluster, fresh from ARM (GET) and its Kubernetes API: what `cluster preflight` reads. */
export async function collectCluster(id: string, options: Omit<CollectOptions, 'ids' | 'subscriptions' | 'resourceGroup' | 'tags'> = {}): Promise<CollectResult> {
  return collectSnapshot({ ...options, ids: [id] });
}
