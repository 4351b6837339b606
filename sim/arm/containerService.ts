/**
 * Microsoft.ContainerService as AKS serves it: managedClusters get/list/createOrUpdate, agentPools
 * get/list/createOrUpdate, maintenanceConfigurations list/get, listClusterUser/AdminCredential, and the
 * operation-status resources of its long-running operations (ARM async pattern: 201/202 with
 * Azure-AsyncOperation, Location and Retry-After; status InProgress → Succeeded | Failed | Canceled).
 */
import { randomBytes } from 'node:crypto';
import yaml from 'js-yaml';
import type { AgentPoolProfile, ManagedClusterProperties, ManagedClusterResource } from '../../shared/model/arm';
import { armIdKey, managedClusterId } from '../../shared/arm/id';
import { CLOCK_SCALE_HEADER } from '../../shared/azure/clockHeader';
import type { ClusterRecord } from '../aks/cluster';
import { kubeOf, kubeTokenOf, newETag, pools, props, reconcileAfterNetworkChange, reimageAll, scalePool } from '../aks/cluster';
import { compareVersions, dataplaneOf, ipamOf, napOf, policyOf } from '../aks/modes';
import { validateClusterUpdate } from '../aks/validation';
import type { SimClock } from '../clock';
import type { FaultInjector } from '../faults';
import type { SimOperation, SimWorld } from '../world';
import { ArmError, notFound } from './errors';
import type { SimRequest, SimResponse } from './http';
import { objectBody, ok, page, requireApiVersion } from './http';

export interface Durations {
  /** Simulated minutes of a whole-cluster reimage (IPAM / data plane / version update). Default 20. */
  reimageMinutes: number;
  /** Simulated minutes of a pool scale. Default 5. */
  scaleMinutes: number;
  /** Simulated minutes of any other update (NAP mode, tags, policy). Default 3. */
  updateMinutes: number;
}

export const DEFAULT_DURATIONS: Durations = { reimageMinutes: 20, scaleMinutes: 5, updateMinutes: 3 };

export interface ContainerServiceContext {
  world: SimWorld;
  clock: SimClock;
  faults: FaultInjector;
  armEndpoint: string;
  kubeEndpoint: string;
  caCert: string;
  durations: Durations;
}

const RX = {
  listSub: /^\/subscriptions\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters$/i,
  listRg: /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters$/i,
  cluster: /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)$/i,
  child: /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/i,
  poolAbort: /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/agentpools\/([^/]+)\/abort$/i,
  opStatus: /^\/subscriptions\/([^/]+)\/providers\/microsoft\.containerservice\/locations\/([^/]+)\/(operations|operationresults)\/([^/]+)$/i,
};

/** The cluster id a request concerns (for fault scoping), when it names one. */
export function clusterKeyOfPath(path: string, world: SimWorld): string | undefined {
  const m = RX.cluster.exec(path) ?? RX.child.exec(path);
  if (m) return armIdKey(managedClusterId(m[1], m[2], m[3]));
  const op = RX.opStatus.exec(path);
  if (op) return world.operations.get(op[4])?.clusterKey;
  return undefined;
}

export function handleContainerService(req: SimRequest, ctx: ContainerServiceContext): SimResponse | undefined {
  const { world } = ctx;
  world.settle();
  let m: RegExpExecArray | null;
  if ((m = RX.opStatus.exec(req.path)) && req.method === 'GET') return operationStatus(req, ctx, m[3].toLowerCase() === 'operationresults', m[4]);
  if ((m = RX.poolAbort.exec(req.path)) && req.method === 'POST') {
    const apiVersion = requireApiVersion(req);
    const rec = world.cluster(managedClusterId(m[1], m[2], m[3]));
    const pool = rec && pools(rec).find((p) => p.name.toLowerCase() === m![4].toLowerCase());
    if (!rec || !pool) throw notFound('Microsoft.ContainerService/managedClusters/agentPools', `${m[3]}/${m[4]}`, m[2]);
    return abort(req, ctx, rec, apiVersion, `${rec.resource.id}/agentPools/${pool.name}`);
  }
  if ((m = RX.listSub.exec(req.path)) && req.method === 'GET') {
    requireApiVersion(req);
    return listClusters(req, ctx, (r) => r.key.startsWith(`/subscriptions/${m![1].toLowerCase()}/`));
  }
  if ((m = RX.listRg.exec(req.path)) && req.method === 'GET') {
    requireApiVersion(req);
    const prefix = `/subscriptions/${m[1]}/resourcegroups/${m[2]}/`.toLowerCase();
    return listClusters(req, ctx, (r) => r.key.startsWith(prefix));
  }
  if ((m = RX.cluster.exec(req.path))) {
    const apiVersion = requireApiVersion(req);
    const [, sub, rg, name] = m;
    if (req.method === 'GET') {
      const rec = world.cluster(managedClusterId(sub, rg, name));
      if (!rec) throw notFound('Microsoft.ContainerService/managedClusters', name, rg);
      return ok(clusterView(rec), 200, { ETag: rec.eTag });
    }
    if (req.method === 'PUT') return putCluster(req, ctx, sub, rg, name, apiVersion);
    throw new ArmError(405, 'MethodNotAllowed', `The simulator does not support ${req.method} on managed clusters.`);
  }
  if ((m = RX.child.exec(req.path))) {
    const apiVersion = requireApiVersion(req);
    const [, sub, rg, name, child, childName] = m;
    const rec = world.cluster(managedClusterId(sub, rg, name));
    if (!rec) throw notFound('Microsoft.ContainerService/managedClusters', name, rg);
    switch (child.toLowerCase()) {
      case 'agentpools':
        if (!childName && req.method === 'GET') return ok({ value: pools(rec).map((p) => poolView(rec, p)) });
        if (childName && req.method === 'GET') {
          const pool = pools(rec).find((p) => p.name.toLowerCase() === childName.toLowerCase());
          if (!pool) throw notFound('Microsoft.ContainerService/managedClusters/agentPools', `${name}/${childName}`, rg);
          return ok(poolView(rec, pool), 200, { ETag: rec.poolETags[pool.name.toLowerCase()] });
        }
        if (childName && req.method === 'PUT') return putPool(req, ctx, rec, childName, apiVersion);
        break;
      case 'maintenanceconfigurations': {
        const configs = world.maintenanceConfigurationsOf(rec.key);
        if (!childName && req.method === 'GET') return ok({ value: configs });
        if (childName && req.method === 'GET') {
          const c = configs.find((r) => r.name.toLowerCase() === childName.toLowerCase());
          if (!c) throw notFound('Microsoft.ContainerService/managedClusters/maintenanceConfigurations', `${name}/${childName}`, rg);
          return ok(c);
        }
        break;
      }
      case 'abort':
        if (!childName && req.method === 'POST') return abort(req, ctx, rec, apiVersion, rec.resource.id);
        break;
      case 'listclusterusercredential':
      case 'listclusteradmincredential':
        if (!childName && req.method === 'POST') return ok(credentials(rec, ctx, child.toLowerCase() === 'listclusteradmincredential'));
        break;
      default:
        break;
    }
  }
  return undefined;
}

function listClusters(req: SimRequest, ctx: ContainerServiceContext, match: (r: ClusterRecord) => boolean): SimResponse {
  const all = [...ctx.world.clusters.values()].filter(match).map(clusterView);
  return ok(page(all, req, ctx.armEndpoint, 100));
}

/** The managed cluster as AKS's GET returns it. */
export function clusterView(rec: ClusterRecord): ManagedClusterResource {
  // Shallow copies only: the view is serialized at once, and a deep clone per GET costs the most at fleet scale.
  const p = rec.resource.properties ?? {};
  return {
    ...rec.resource,
    eTag: rec.eTag,
    properties: { ...p, agentPoolProfiles: (p.agentPoolProfiles ?? []).map((pool) => ({ ...pool, eTag: rec.poolETags[pool.name.toLowerCase()] })) },
  };
}

function poolView(rec: ClusterRecord, pool: AgentPoolProfile) {
  const { name, ...rest } = pool;
  return {
    id: `${rec.resource.id}/agentPools/${name}`,
    name,
    type: 'Microsoft.ContainerService/managedClusters/agentPools',
    properties: { ...rest, eTag: rec.poolETags[name.toLowerCase()] },
  };
}

function checkIfMatch(req: SimRequest, current: string | undefined, exists: boolean): void {
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  if (typeof ifMatch === 'string' && ifMatch !== '*' && ifMatch.replace(/^W\//, '').replace(/"/g, '') !== current) {
    throw new ArmError(412, 'PreconditionFailed', `Operation failed as the If-Match header value '${ifMatch}' does not match the resource's current ETag '${current ?? ''}'. Read the resource again and retry with its current ETag.`);
  }
  if (typeof ifMatch === 'string' && ifMatch === '*' && !exists) {
    throw new ArmError(412, 'PreconditionFailed', "If-Match '*' was given but the resource does not exist.");
  }
  if (typeof ifNoneMatch === 'string' && ifNoneMatch === '*' && exists) {
    throw new ArmError(412, 'PreconditionFailed', "If-None-Match '*' was given but the resource already exists.");
  }
}

function conflict(op: SimOperation): ArmError {
  // aks-facts "Server-side errors seen in the field": 409 OperationNotAllowed while another operation runs.
  return new ArmError(
    409,
    'OperationNotAllowed',
    `Operation is not allowed: Another operation (${op.kind}) is in progress, please wait for it to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details.`,
  );
}

/** Fault `conflict`: something else (an auto-upgrade, another team) starts an operation just now. */
function maybeInjectCompeting(ctx: ContainerServiceContext, rec: ClusterRecord): void {
  if (ctx.world.activeOperation(rec) || !ctx.faults.competingOperation(rec.key)) return;
  const op = ctx.world.startOperation({
    clusterKey: rec.key,
    resourceId: rec.resource.id,
    kind: 'Upgrading',
    subscriptionId: subOf(rec),
    location: rec.resource.location ?? 'eastus',
    principal: 'aks-auto-upgrade',
    durationSimMs: ctx.durations.updateMinutes * 60_000 * 2,
    competing: true,
  });
  const entry = ctx.world.record({
    api: 'arm',
    time: new Date().toISOString(),
    simTime: ctx.clock.iso(),
    principal: 'aks-auto-upgrade',
    appid: 'aks-auto-upgrade',
    method: 'POST',
    resourceId: `${rec.resource.id}/agentPools/*/upgradeNodeImageVersion`,
    result: { status: 202, operationId: op.id, operationStatus: 'InProgress' },
  });
  op.logSeq = entry.seq;
}

function subOf(rec: ClusterRecord): string {
  return rec.resource.id.split('/')[2];
}

function lroHeaders(req: SimRequest, ctx: ContainerServiceContext, op: SimOperation, apiVersion: string): Record<string, string> {
  const base = `${ctx.armEndpoint}/subscriptions/${op.subscriptionId}/providers/Microsoft.ContainerService/locations/${op.location}`;
  return {
    'Azure-AsyncOperation': `${base}/operations/${op.id}?api-version=${apiVersion}`,
    Location: `${base}/operationresults/${op.id}?api-version=${apiVersion}`,
    'Retry-After': String(retryAfterSeconds(req, ctx)),
  };
}

/**
 * ARM asks for a poll every ~15 s (simulated time). A client on the wall clock (the SDK's LRO poller) gets it scaled
 * to wall seconds; a client that declares its clock scale (CLOCK_SCALE_HEADER, shared/azure/clockHeader.ts) gets it in its own seconds, so a
 * host whose durable timers run at 1/timeScale hears 15. At least 1 s either way (core-lro treats 0 as "no advice").
 */
function retryAfterSeconds(req: SimRequest, ctx: ContainerServiceContext): number {
  const raw = req.headers[CLOCK_SCALE_HEADER];
  const clientScale = Number(Array.isArray(raw) ? raw[0] : (raw ?? 1));
  const scale = Number.isFinite(clientScale) && clientScale > 0 ? clientScale : 1;
  return Math.max(1, Math.ceil((ctx.clock.realMs(15_000) * scale) / 1000 - 1e-9));
}

/** What a full-model PUT turns the cluster into: body fields win, read-only fields stay AKS's. */
function mergeClusterProperties(old: ManagedClusterProperties | undefined, body: Record<string, unknown>): ManagedClusterProperties {
  const given = (body.properties ?? {}) as ManagedClusterProperties;
  const next: ManagedClusterProperties = { ...(old ? structuredClone(old) : {}), ...structuredClone(given) };
  for (const ro of ['provisioningState', 'powerState', 'fqdn', 'currentKubernetesVersion', 'azurePortalFQDN', 'privateFQDN']) {
    if (old && ro in old) next[ro] = old[ro];
    else delete next[ro];
  }
  const np = { ...(given.networkProfile ?? old?.networkProfile ?? {}) };
  // seed 001 Prerequisites note: API versions 2022-09-02-preview..2023-01-02-preview used ebpfDataplane.
  if (np.ebpfDataplane && !np.networkDataplane) np.networkDataplane = np.ebpfDataplane;
  delete np.ebpfDataplane;
  np.ipFamilies ??= old?.networkProfile?.ipFamilies ?? ['IPv4'];
  // Kubenet keeps its pod CIDR when moving to Overlay (seed 003 "Kubenet Cluster Upgrade").
  if (!np.podCidr && !np.podCidrs && old?.networkProfile?.podCidr && (old.networkProfile.networkPlugin ?? '').toLowerCase() === 'kubenet') np.podCidr = old.networkProfile.podCidr;
  if (np.podCidr && np.podCidrs && np.podCidrs[0] !== np.podCidr) np.podCidrs = [np.podCidr];
  if (!np.podCidr && np.podCidrs?.length) np.podCidr = np.podCidrs[0];
  next.networkProfile = np;
  if (given.agentPoolProfiles) {
    const oldPools = old?.agentPoolProfiles ?? [];
    const merged = given.agentPoolProfiles.map((gp) => {
      const op = oldPools.find((p) => p.name.toLowerCase() === gp.name.toLowerCase());
      const pool: AgentPoolProfile = { ...(op ? structuredClone(op) : {}), ...structuredClone(gp) };
      for (const ro of ['provisioningState', 'powerState', 'nodeImageVersion', 'currentOrchestratorVersion', 'eTag']) {
        if (op && ro in op) pool[ro] = op[ro];
        else delete pool[ro];
      }
      return pool;
    });
    for (const op of oldPools) if (!merged.some((p) => p.name.toLowerCase() === op.name.toLowerCase())) merged.push(structuredClone(op));
    next.agentPoolProfiles = merged;
  }
  return next;
}

function putCluster(req: SimRequest, ctx: ContainerServiceContext, sub: string, rg: string, name: string, apiVersion: string): SimResponse {
  const { world } = ctx;
  const body = objectBody(req);
  const id = managedClusterId(sub, rg, name);
  const existing = world.cluster(id);
  checkIfMatch(req, existing?.eTag, !!existing);
  if (!existing) return createCluster(req, ctx, id, name, body, apiVersion);

  const rec = existing;
  maybeInjectCompeting(ctx, rec);
  const running = world.activeOperation(rec);
  if (running) throw conflict(running);

  const old = props(rec);
  const next = mergeClusterProperties(old, body);
  const error = validateClusterUpdate(old, next, {
    vnetOfSubnet: (s) => world.vnetOfSubnet(s),
    kubeObjects: () => kubeOf(rec, world).all(),
  });
  if (error) throw error;

  const ipamChange = ipamOf(old) !== ipamOf(next);
  const dpChange = dataplaneOf(old) !== dataplaneOf(next);
  const versionChange = !!next.kubernetesVersion && !!old.kubernetesVersion && compareVersions(next.kubernetesVersion, old.kubernetesVersion) !== 0;
  const napChange = napOf(old) !== napOf(next);
  const policyChange = policyOf(old) !== policyOf(next);
  const scaled = (next.agentPoolProfiles ?? []).filter((p) => {
    const o = (old.agentPoolProfiles ?? []).find((x) => x.name === p.name);
    return o && (o.count ?? 0) !== (p.count ?? 0);
  });
  const reimage = ipamChange || dpChange || versionChange || !!rec.pendingReimage;
  const kind = versionChange ? 'Upgrading' : scaled.length && !reimage ? 'Scaling' : 'Updating';
  const minutes = reimage ? ctx.durations.reimageMinutes : scaled.length ? ctx.durations.scaleMinutes : ctx.durations.updateMinutes;

  if (versionChange) {
    next.currentKubernetesVersion = next.kubernetesVersion;
    for (const p of next.agentPoolProfiles ?? []) {
      p.orchestratorVersion = next.kubernetesVersion;
      p.currentOrchestratorVersion = next.kubernetesVersion;
    }
  }
  if (body.tags !== undefined) rec.resource.tags = body.tags as Record<string, string>;
  if (body.identity !== undefined) rec.resource.identity = body.identity as ManagedClusterResource['identity'];
  if (body.sku !== undefined) rec.resource.sku = body.sku as ManagedClusterResource['sku'];
  next.provisioningState = kind;
  for (const p of next.agentPoolProfiles ?? []) p.provisioningState = reimage ? 'Upgrading' : kind;
  rec.resource.properties = next;
  rec.eTag = newETag();
  for (const p of next.agentPoolProfiles ?? []) rec.poolETags[p.name.toLowerCase()] ??= newETag();

  const { fail, hang } = ctx.faults.forOperation(rec.key);
  const op = world.startOperation({
    clusterKey: rec.key,
    resourceId: rec.resource.id,
    kind,
    subscriptionId: sub,
    location: rec.resource.location ?? 'eastus',
    principal: req.principal.id,
    durationSimMs: hang ? Infinity : minutes * 60_000,
    failWith: fail ? failure(rec) : undefined,
    apply: () => {
      if (reimage) {
        rec.pendingReimage = false;
        reimageAll(rec, world);
      } else {
        for (const p of scaled) scalePool(rec, world, p.name, p.count ?? 0);
        if (policyChange) reconcileAfterNetworkChange(rec, world);
      }
      if (napChange && napOf(next) === 'Auto') ensureNapNodePool(rec, ctx);
    },
    onFail: () => {
      if (reimage) rec.pendingReimage = true;
    },
  });
  return { ...ok(clusterView(rec), 201, { ...lroHeaders(req, ctx, op, apiVersion), ETag: rec.eTag }), logged: { resourceId: rec.resource.id, operationId: op.id } };
}

/** A reimage that fails the way AKS reports a blocked drain (aks-facts "Server-side errors"). */
function failure(rec: ClusterRecord): { code: string; message: string } {
  const pool = pools(rec)[0]?.name ?? 'nodepool1';
  return {
    code: 'UpgradeFailed',
    message: `Drain node aks-${pool}-00000000-vmss000000 failed when evicting pod web-0 in namespace web: Cannot evict pod as it would violate the pod's disruption budget. (UnsatisfiablePDB)`,
  };
}

function ensureNapNodePool(rec: ClusterRecord, ctx: ContainerServiceContext): void {
  if (!rec.kube && rec.seedItems === undefined) return;
  const store = kubeOf(rec, ctx.world);
  if (store.list('karpenter.sh', 'NodePool').length === 0) {
    store.add({ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'default' }, spec: { limits: { cpu: '1000' } } });
  }
}

function createCluster(req: SimRequest, ctx: ContainerServiceContext, id: string, name: string, body: Record<string, unknown>, apiVersion: string): SimResponse {
  const { world } = ctx;
  if (typeof body.location !== 'string' || !body.location) throw new ArmError(400, 'InvalidParameter', "The 'location' property is required to create a managed cluster.", 'location');
  const next = mergeClusterProperties(undefined, body);
  const error = validateClusterUpdate(undefined, next, { vnetOfSubnet: (s) => world.vnetOfSubnet(s), kubeObjects: () => [] });
  if (error) throw error;
  next.provisioningState = 'Creating';
  next.powerState = { code: 'Running' };
  next.currentKubernetesVersion = next.kubernetesVersion;
  for (const p of next.agentPoolProfiles ?? []) {
    p.provisioningState = 'Creating';
    p.count ??= 1;
    p.nodeImageVersion ??= (p.osType ?? 'Linux').toLowerCase() === 'windows' ? 'AKSWindows-2022-containerd-20348.2762.250101' : 'AKSUbuntu-2204gen2containerd-202501.01.0';
  }
  const key = armIdKey(id);
  const rec: ClusterRecord = {
    key,
    resource: { id, name, type: 'Microsoft.ContainerService/ManagedClusters', location: body.location, tags: body.tags as Record<string, string> | undefined, properties: next },
    eTag: newETag(),
    poolETags: Object.fromEntries((next.agentPoolProfiles ?? []).map((p) => [p.name.toLowerCase(), newETag()])),
    generation: 0,
    ipCursor: {},
    nodeCursor: 0,
    kubeToken: kubeTokenOf(key),
  };
  if (body.identity) rec.resource.identity = body.identity as ManagedClusterResource['identity'];
  world.addCluster(rec);
  const { fail, hang } = ctx.faults.forOperation(key);
  const op = world.startOperation({
    clusterKey: key,
    resourceId: id,
    kind: 'Creating',
    subscriptionId: id.split('/')[2],
    location: body.location,
    principal: req.principal.id,
    durationSimMs: hang ? Infinity : ctx.durations.reimageMinutes * 60_000,
    failWith: fail ? failure(rec) : undefined,
  });
  return { ...ok(clusterView(rec), 201, { ...lroHeaders(req, ctx, op, apiVersion), ETag: rec.eTag }), logged: { resourceId: id, operationId: op.id } };
}

function putPool(req: SimRequest, ctx: ContainerServiceContext, rec: ClusterRecord, poolName: string, apiVersion: string): SimResponse {
  const { world } = ctx;
  const body = objectBody(req);
  const given = (body.properties ?? {}) as Partial<AgentPoolProfile>;
  const existing = pools(rec).find((p) => p.name.toLowerCase() === poolName.toLowerCase());
  checkIfMatch(req, existing ? rec.poolETags[existing.name.toLowerCase()] : undefined, !!existing);
  maybeInjectCompeting(ctx, rec);
  const running = world.activeOperation(rec);
  if (running) throw conflict(running);
  if (given.count !== undefined && (!Number.isInteger(given.count) || given.count < 0 || given.count > 1000)) {
    throw new ArmError(400, 'InvalidParameter', `The value of parameter agentPoolProfile.count is invalid: ${given.count}. It must be an integer between 0 and 1000.`, 'properties.count');
  }
  if (existing && given.osType && given.osType.toLowerCase() !== (existing.osType ?? 'Linux').toLowerCase()) {
    throw new ArmError(400, 'InvalidParameter', `Changing the osType of agent pool '${existing.name}' is not allowed.`, 'properties.osType');
  }
  // seed 000 / 002 Limitations: Cilium is Linux only, so a Windows pool can't join a Cilium cluster.
  if (!existing && (given.osType ?? 'Linux').toLowerCase() === 'windows' && dataplaneOf(props(rec)) === 'cilium') {
    throw new ArmError(400, 'OperationNotAllowed', 'Windows node pools are not supported on clusters using Azure CNI Powered by Cilium.', 'properties.osType');
  }
  let pool: AgentPoolProfile;
  const oldCount = existing?.count ?? 0;
  if (existing) {
    for (const [k, v] of Object.entries(structuredClone(given))) {
      if (!['provisioningState', 'powerState', 'nodeImageVersion', 'currentOrchestratorVersion', 'eTag', 'name'].includes(k)) existing[k] = v;
    }
    pool = existing;
  } else {
    pool = { ...structuredClone(given), name: poolName, count: given.count ?? 1 } as AgentPoolProfile;
    pool.nodeImageVersion = (pool.osType ?? 'Linux').toLowerCase() === 'windows' ? 'AKSWindows-2022-containerd-20348.2762.250101' : 'AKSUbuntu-2204gen2containerd-202501.01.0';
    props(rec).agentPoolProfiles = [...pools(rec), pool];
  }
  const kind = existing ? 'Scaling' : 'Creating';
  pool.provisioningState = kind;
  rec.poolETags[pool.name.toLowerCase()] = newETag();
  const { fail, hang } = ctx.faults.forOperation(rec.key);
  const target = pool.count ?? 0;
  const op = world.startOperation({
    clusterKey: rec.key,
    resourceId: `${rec.resource.id}/agentPools/${pool.name}`,
    kind,
    subscriptionId: subOf(rec),
    location: rec.resource.location ?? 'eastus',
    principal: req.principal.id,
    durationSimMs: hang ? Infinity : ctx.durations.scaleMinutes * 60_000,
    failWith: fail ? failure(rec) : undefined,
    apply: () => {
      if (!existing || oldCount !== target) scalePool(rec, world, pool.name, target);
    },
  });
  const view = poolView(rec, pool);
  return { ...ok(view, 201, lroHeaders(req, ctx, op, apiVersion)), logged: { resourceId: view.id, operationId: op.id } };
}

/**
 * managedClusters/abort and agentPools/abort: the running operation ends Canceled (provisioningState
 * Canceled). The abort is itself a long-running operation (202 + Location), over at once here.
 */
function abort(req: SimRequest, ctx: ContainerServiceContext, rec: ClusterRecord, apiVersion: string, resourceId: string): SimResponse {
  const running = ctx.world.activeOperation(rec);
  if (!running) {
    throw new ArmError(409, 'OperationNotAllowed', `There is no operation in progress on '${rec.resource.name}' to abort.`);
  }
  ctx.world.cancel(running);
  const op = ctx.world.instantOperation({
    clusterKey: rec.key,
    resourceId,
    kind: 'Aborting',
    subscriptionId: subOf(rec),
    location: rec.resource.location ?? 'eastus',
    principal: req.principal.id,
  });
  return { ...ok(undefined, 202, lroHeaders(req, ctx, op, apiVersion)), logged: { resourceId: `${resourceId}/abort`, operationId: op.id } };
}

function operationStatus(req: SimRequest, ctx: ContainerServiceContext, results: boolean, id: string): SimResponse {
  const apiVersion = requireApiVersion(req);
  const op = ctx.world.operations.get(id) ?? [...ctx.world.operations.values()].find((o) => o.id.toLowerCase() === id.toLowerCase());
  if (!op) throw new ArmError(404, 'NotFound', `Operation '${id}' was not found.`);
  if (results) {
    if (op.status === 'InProgress') {
      const h = lroHeaders(req, ctx, op, apiVersion);
      return ok(undefined, 202, { 'Retry-After': h['Retry-After'], Location: h.Location });
    }
    if (op.status === 'Failed') throw new ArmError(400, op.error?.code ?? 'Failed', op.error?.message ?? 'The operation failed.');
    if (op.status === 'Canceled') throw new ArmError(400, 'Canceled', 'The operation was canceled.');
    return ok(undefined, 204);
  }
  const retry = { 'Retry-After': String(retryAfterSeconds(req, ctx)) };
  const body: Record<string, unknown> = {
    id: `/subscriptions/${op.subscriptionId}/providers/Microsoft.ContainerService/locations/${op.location}/operations/${op.id}`,
    name: op.id,
    status: op.status,
    startTime: new Date(op.startSim).toISOString(),
  };
  if (op.status !== 'InProgress') body.endTime = new Date(Math.min(op.endSim, ctx.clock.now())).toISOString();
  if (op.error) body.error = op.error;
  return ok(body, 200, op.status === 'InProgress' ? retry : {});
}

function credentials(rec: ClusterRecord, ctx: ContainerServiceContext, admin: boolean) {
  const name = rec.resource.name;
  const rg = rec.resource.id.split('/')[4];
  const user = `${admin ? 'clusterAdmin' : 'clusterUser'}_${rg}_${name}`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: `${ctx.kubeEndpoint}/clusters/${rec.kubeToken}`, 'certificate-authority-data': Buffer.from(ctx.caCert).toString('base64') } }],
    users: [{ name: user, user: { token: randomBytes(32).toString('hex') } }],
    contexts: [{ name, context: { cluster: name, user } }],
    'current-context': name,
    preferences: {},
  };
  return { kubeconfigs: [{ name: admin ? 'clusterAdmin' : 'clusterUser', value: Buffer.from(yaml.dump(config)).toString('base64') }] };
}
