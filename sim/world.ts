/**
 * The simulated Azure: every ARM resource, every cluster (with its Kubernetes objects), the running
 * long-running operations and the operation log. Time advances lazily: each request first settles the
 * operations whose simulated end has passed (`settle`), so results are deterministic for a given clock.
 */
import { randomUUID } from 'node:crypto';
import type { ArmResource, ManagedClusterResource, VirtualNetworkResource } from '../shared/model/arm';
import type { KubeObject } from '../shared/model/kube';
import type { Snapshot } from '../shared/model/snapshot';
import { armIdKey, vnetIdOfSubnet } from '../shared/arm/id';
import type { ClusterEnv, ClusterRecord } from './aks/cluster';
import { kubeTokenOf, newETag, props } from './aks/cluster';
import type { SimClock } from './clock';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface SimOperation {
  id: string;
  clusterKey: string;
  /** The resource the operation changes (cluster or agent pool id). */
  resourceId: string;
  /** What AKS calls it in a 409 message: Updating, Scaling, Upgrading, ... */
  kind: string;
  subscriptionId: string;
  location: string;
  principal: string;
  startSim: number;
  /** Infinity for an operation that never finishes (fault `hang`). */
  endSim: number;
  status: OperationStatus;
  error?: { code: string; message: string };
  /** Set by fault `fail`: the operation ends Failed with this error. */
  failWith?: { code: string; message: string };
  /** Effects applied when the operation succeeds. */
  apply?: () => void;
  /** Called when the operation ends Failed. */
  onFail?: () => void;
  /** Index of the operation-log entry that started it. */
  logSeq?: number;
  /** A competing operation injected by fault `conflict` (not started by any client). */
  competing?: boolean;
}

export interface OperationLogEntry {
  seq: number;
  /** Which API the write went to. */
  api: 'arm' | 'kubernetes';
  time: string;
  simTime: string;
  principal: string;
  oid?: string;
  appid?: string;
  method: string;
  /** ARM resource id (path without query); Kubernetes writes: `{clusterId}/kubernetes{apiPath}`. */
  resourceId: string;
  apiVersion?: string;
  /** ARM's correlation id (the client's x-ms-correlation-request-id, else a new one): what events carry. */
  correlationId?: string;
  body?: unknown;
  result: { status: number; code?: string; message?: string; operationId?: string; operationStatus?: OperationStatus };
}

/**
 * An Event Grid event as a subscription system topic delivers it (aks-facts "Event Grid"):
 * Microsoft.Resources.ResourceWrite{Success,Failure,Cancel}, subject = resource id, data.claims naming the
 * caller (appid, object id), data.correlationId, data.operationName. GETs produce none.
 */
export interface SimEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: 'Microsoft.Resources.ResourceWriteSuccess' | 'Microsoft.Resources.ResourceWriteFailure' | 'Microsoft.Resources.ResourceWriteCancel';
  eventTime: string;
  data: {
    authorization: { scope: string; action: string; evidence: { role: string } };
    claims: Record<string, string>;
    correlationId?: string;
    httpRequest: { clientIpAddress: string; method: string; url: string };
    resourceProvider: string;
    resourceUri: string;
    operationName: string;
    status: 'Succeeded' | 'Failed' | 'Canceled';
    subscriptionId: string;
    tenantId: string;
  };
  dataVersion: string;
  metadataVersion: string;
}

export const SIM_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** `Microsoft.ContainerService/managedClusters/write`, `.../agentPools/write`, `.../managedClusters/abort/action`. */
export function operationNameOf(method: string, resourceId: string): string {
  const parts = resourceId.split('/').filter(Boolean);
  const i = parts.findIndex((p) => p.toLowerCase() === 'providers');
  if (i < 0) return `${method.toLowerCase()}`;
  const ns = parts[i + 1];
  const rest = parts.slice(i + 2);
  const types = rest.filter((_, k) => k % 2 === 0);
  if (method === 'POST' && rest.length % 2 === 1) {
    const action = types.pop();
    return `${ns}/${types.join('/')}/${action}/action`;
  }
  return `${ns}/${types.join('/')}/${method === 'DELETE' ? 'delete' : 'write'}`;
}

const MAINTENANCE_PARENT = /^(.*\/providers\/microsoft\.containerservice\/managedclusters\/[^/]+)\/maintenanceconfigurations\/[^/]+$/;

export class SimWorld implements ClusterEnv {
  readonly clusters = new Map<string, ClusterRecord>();
  /** Every other ARM resource (VNets, NSGs, maintenance configurations, ...), by armIdKey. */
  readonly resources = new Map<string, ArmResource>();
  readonly operations = new Map<string, SimOperation>();
  readonly log: OperationLogEntry[] = [];
  /** Event Grid resource events for ARM writes, in the order they happened. */
  readonly events: SimEvent[] = [];
  /** Operations still InProgress: settling looks at these only (a 10,000-cluster rollout leaves many finished ones). */
  private readonly active = new Set<SimOperation>();
  private readonly byKubeToken = new Map<string, ClusterRecord>();
  /** Bumped by every change to ARM state, so derived views (Resource Graph pages) can be cached. */
  revision = 0;
  private subnetCache?: Map<string, { vnetPrefixes: string[]; subnetPrefixes: string[] }>;
  /** Maintenance configurations by their cluster's key: listing them must not scan every resource (10,000-cluster fleets). */
  private readonly maintenanceByCluster = new Map<string, ArmResource[]>();

  constructor(readonly clock: SimClock) {}

  nowIso(): string {
    return this.clock.iso();
  }

  simNow(): number {
    return this.clock.now();
  }

  /** Adds (or replaces, by id) everything in a snapshot. */
  seed(snapshot: Snapshot): void {
    this.subnetCache = undefined;
    this.revision++;
    // One index instead of kubeItemsFor per cluster: that scans every entry, quadratic for a 10,000-cluster fleet.
    const kube = new Map<string, KubeObject[]>();
    for (const [id, v] of Object.entries(snapshot.kubernetes)) kube.set(armIdKey(id), v.items);
    for (const r of snapshot.resources) {
      const key = armIdKey(r.id);
      if (r.type.toLowerCase() === 'microsoft.containerservice/managedclusters') {
        const resource = structuredClone(r) as ManagedClusterResource;
        const rec: ClusterRecord = {
          key,
          resource,
          eTag: (r.eTag as string | undefined) ?? r.etag ?? newETag(),
          poolETags: {},
          generation: 0,
          ipCursor: {},
          nodeCursor: 0,
          kubeToken: kubeTokenOf(key),
          seedItems: kube.get(key),
        };
        normalizeSeededCluster(rec);
        this.clusters.set(key, rec);
        this.byKubeToken.set(rec.kubeToken, rec);
      } else {
        const copy = structuredClone(r);
        const previous = this.resources.get(key);
        this.resources.set(key, copy);
        const parent = MAINTENANCE_PARENT.exec(key)?.[1];
        if (parent) {
          const list = (this.maintenanceByCluster.get(parent) ?? []).filter((x) => x !== previous);
          list.push(copy);
          this.maintenanceByCluster.set(parent, list);
        }
      }
    }
  }

  /** The maintenance configurations seeded under a cluster. */
  maintenanceConfigurationsOf(clusterKey: string): ArmResource[] {
    return this.maintenanceByCluster.get(clusterKey) ?? [];
  }

  reset(): void {
    this.clusters.clear();
    this.resources.clear();
    this.maintenanceByCluster.clear();
    this.operations.clear();
    this.active.clear();
    this.byKubeToken.clear();
    this.log.length = 0;
    this.events.length = 0;
    this.subnetCache = undefined;
    this.revision++;
  }

  cluster(id: string): ClusterRecord | undefined {
    return this.clusters.get(armIdKey(id));
  }

  clusterByKubeToken(token: string): ClusterRecord | undefined {
    return this.byKubeToken.get(token);
  }

  addCluster(rec: ClusterRecord): void {
    this.revision++;
    this.clusters.set(rec.key, rec);
    this.byKubeToken.set(rec.kubeToken, rec);
  }

  resource(id: string): ArmResource | undefined {
    return this.resources.get(armIdKey(id));
  }

  private subnets(): Map<string, { vnetPrefixes: string[]; subnetPrefixes: string[] }> {
    if (!this.subnetCache) {
      const m = new Map<string, { vnetPrefixes: string[]; subnetPrefixes: string[] }>();
      for (const r of this.resources.values()) {
        if (r.type.toLowerCase() !== 'microsoft.network/virtualnetworks') continue;
        const v = r as VirtualNetworkResource;
        const vnetPrefixes = v.properties?.addressSpace?.addressPrefixes ?? [];
        for (const s of v.properties?.subnets ?? []) {
          const subnetPrefixes = [s.properties?.addressPrefix, ...(s.properties?.addressPrefixes ?? [])].filter((x): x is string => !!x);
          const id = s.id ?? `${v.id}/subnets/${s.name}`;
          m.set(armIdKey(id), { vnetPrefixes, subnetPrefixes });
        }
      }
      this.subnetCache = m;
    }
    return this.subnetCache;
  }

  subnetPrefix(subnetId: string): string | undefined {
    return this.subnets().get(armIdKey(subnetId))?.subnetPrefixes[0];
  }

  vnetOfSubnet(subnetId: string): { vnetPrefixes: string[]; subnetPrefixes: string[] } | undefined {
    const hit = this.subnets().get(armIdKey(subnetId));
    if (hit) return hit;
    const vnet = vnetIdOfSubnet(subnetId);
    const v = vnet ? (this.resource(vnet) as VirtualNetworkResource | undefined) : undefined;
    return v ? { vnetPrefixes: v.properties?.addressSpace?.addressPrefixes ?? [], subnetPrefixes: [] } : undefined;
  }

  /** Settles every operation whose simulated end has passed. */
  settle(): void {
    const now = this.clock.now();
    for (const op of [...this.active]) {
      if (op.endSim <= now) this.finish(op);
    }
  }

  startOperation(op: Omit<SimOperation, 'id' | 'status' | 'startSim' | 'endSim'> & { durationSimMs: number }): SimOperation {
    const { durationSimMs, ...rest } = op;
    const start = this.clock.now();
    const started: SimOperation = { ...rest, id: randomUUID(), status: 'InProgress', startSim: start, endSim: start + durationSimMs };
    this.operations.set(started.id, started);
    this.active.add(started);
    this.revision++;
    const rec = this.clusters.get(op.clusterKey);
    if (rec) rec.activeOperationId = started.id;
    return started;
  }

  private finish(op: SimOperation): void {
    this.active.delete(op);
    this.revision++;
    const rec = this.clusters.get(op.clusterKey);
    if (op.failWith) {
      op.status = 'Failed';
      op.error = op.failWith;
      op.onFail?.();
      if (rec) {
        props(rec).provisioningState = 'Failed';
        for (const p of props(rec).agentPoolProfiles ?? []) p.provisioningState = 'Failed';
      }
    } else {
      op.status = 'Succeeded';
      op.apply?.();
      if (rec) {
        props(rec).provisioningState = 'Succeeded';
        for (const p of props(rec).agentPoolProfiles ?? []) p.provisioningState = 'Succeeded';
      }
    }
    if (rec && rec.activeOperationId === op.id) rec.activeOperationId = undefined;
    const entry = op.logSeq !== undefined ? this.log[op.logSeq] : undefined;
    if (entry) {
      entry.result.operationStatus = op.status;
      this.emitWriteEvent(entry, op.status);
    }
  }

  /**
   * Cancels a running operation, as AKS's abort does: the operation ends Canceled, the cluster and its
   * pools report provisioningState Canceled, and the operation's effects are not applied.
   */
  cancel(op: SimOperation): void {
    if (op.status !== 'InProgress') return;
    this.active.delete(op);
    this.revision++;
    op.status = 'Canceled';
    op.endSim = this.clock.now();
    op.error = { code: 'OperationCanceled', message: 'The operation was canceled by an abort request.' };
    op.onFail?.();
    const rec = this.clusters.get(op.clusterKey);
    if (rec) {
      props(rec).provisioningState = 'Canceled';
      for (const p of props(rec).agentPoolProfiles ?? []) p.provisioningState = 'Canceled';
      if (rec.activeOperationId === op.id) rec.activeOperationId = undefined;
    }
    const entry = op.logSeq !== undefined ? this.log[op.logSeq] : undefined;
    if (entry) {
      entry.result.operationStatus = op.status;
      this.emitWriteEvent(entry, 'Canceled');
    }
  }

  /** An operation that is over as soon as it starts (e.g. the abort request itself). */
  instantOperation(op: Omit<SimOperation, 'id' | 'status' | 'startSim' | 'endSim'>): SimOperation {
    const now = this.clock.now();
    const done: SimOperation = { ...op, id: randomUUID(), status: 'Succeeded', startSim: now, endSim: now };
    this.operations.set(done.id, done);
    return done;
  }

  activeOperation(rec: ClusterRecord): SimOperation | undefined {
    const op = rec.activeOperationId ? this.operations.get(rec.activeOperationId) : undefined;
    return op && op.status === 'InProgress' ? op : undefined;
  }

  /** Emits the Event Grid event for an ARM write that has reached its end (accepted synchronously, or its operation ended). */
  emitWriteEvent(entry: OperationLogEntry, status: OperationStatus): void {
    if (entry.api !== 'arm' || status === 'InProgress') return;
    const subscriptionId = entry.resourceId.split('/')[2] ?? '';
    const operationName = operationNameOf(entry.method, entry.resourceId);
    const claims: Record<string, string> = {};
    if (entry.appid) claims.appid = entry.appid;
    if (entry.oid) {
      claims.oid = entry.oid;
      claims['http://schemas.microsoft.com/identity/claims/objectidentifier'] = entry.oid;
    }
    if (!entry.oid && !entry.appid) claims.principal = entry.principal;
    this.events.push({
      id: randomUUID(),
      topic: `/subscriptions/${subscriptionId}`,
      subject: entry.resourceId,
      eventType: status === 'Succeeded' ? 'Microsoft.Resources.ResourceWriteSuccess' : status === 'Canceled' ? 'Microsoft.Resources.ResourceWriteCancel' : 'Microsoft.Resources.ResourceWriteFailure',
      eventTime: this.clock.iso(),
      data: {
        authorization: { scope: entry.resourceId, action: operationName, evidence: { role: 'Contributor' } },
        claims,
        correlationId: entry.correlationId,
        httpRequest: { clientIpAddress: '127.0.0.1', method: entry.method, url: `${entry.resourceId}?api-version=${entry.apiVersion ?? ''}` },
        resourceProvider: operationName.split('/')[0],
        resourceUri: entry.resourceId,
        operationName,
        status,
        subscriptionId,
        tenantId: SIM_TENANT_ID,
      },
      dataVersion: '',
      metadataVersion: '1',
    });
  }

  record(entry: Omit<OperationLogEntry, 'seq'>): OperationLogEntry {
    const full = { seq: this.log.length, ...entry };
    this.log.push(full);
    return full;
  }
}

/** AKS always reports these; a snapshot may have left them out. */
function normalizeSeededCluster(rec: ClusterRecord): void {
  const p = props(rec);
  p.provisioningState ??= 'Succeeded';
  p.powerState ??= { code: 'Running' };
  p.networkProfile ??= { networkPlugin: 'kubenet', podCidr: '10.244.0.0/16' };
  p.networkProfile.ipFamilies ??= ['IPv4'];
  for (const pool of p.agentPoolProfiles ?? []) {
    pool.provisioningState ??= 'Succeeded';
    pool.powerState ??= { code: 'Running' };
    pool.count ??= 1;
    rec.poolETags[pool.name.toLowerCase()] = (pool.eTag as string | undefined) ?? newETag();
  }
  rec.resource.type = 'Microsoft.ContainerService/ManagedClusters';
}
