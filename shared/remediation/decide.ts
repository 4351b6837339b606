/**
 * What to do about one Event Grid event: `ignore`, `report` (record only) or `migrate` (start a clusterMigration).
 * Pure: every fact that needs I/O (was this event seen, is the lock held, the cluster's tags from a fresh GET,
 * is this correlation id one of ours) is an input the caller gathers (remediate.ts does).
 *
 * Checks, in order — the first that applies decides:
 *  1. not about a managed cluster (other resource types, failed or cancelled writes) → ignore;
 *     a child resource (agentPools, maintenanceConfigurations, …) counts as a write to its cluster;
 *  2. the same event id already decided (Event Grid delivers at least once, aks-facts § Event Grid) → ignore;
 *  3. AKS system-topic events: NodePoolRolling* → ignore (our own reimage or an upgrade rolls nodes; nothing
 *     about the network changed); NewKubernetesVersionAvailable → ignore; ClusterSupportEnding/Ended → report
 *     (an unsupported version needs an upgrade first; never a reason to migrate);
 *  4. written by aksnet itself — its identity in the claims or one of its correlation ids → ignore
 *     (aks-facts § Event Grid: a remediator must ignore its own writes);
 *  5. outside the policy's scope (subscription, resource group, tags from a fresh GET) → ignore;
 *  6. the cluster is being migrated (its lock is held) → ignore;
 *  7. a migration was already decided for this cluster within debounceSeconds (a burst) → ignore;
 *  8. policy mode `report` → report; `migrate` → migrate under a deterministic instance id
 *     `remediate:{subscription}:{group}:{name}:{window start}`: a second start in the same window is a no-op.
 */
import { armIdKey, managedClusterId, parseArmId } from '../arm/id';
import { EVENT_TYPES, writePrincipal, type GridEvent, type WritePrincipal } from './events';
import type { RemediationPolicy } from './policy';

export type RemediationAction = 'ignore' | 'report' | 'migrate';

export interface Decision {
  action: RemediationAction;
  /** One line a person reads in the decision log. */
  reason: string;
  /** The managed cluster the event is about, when it is about one. */
  clusterId?: string;
  /** Same key → same decision already taken: the migration's instance id for `migrate`, else the event id. */
  dedupeKey: string;
  /** For `migrate`: the clusterMigration instance id to start. */
  instanceId?: string;
  eventId: string;
  eventType: string;
  eventTime: string;
  principal?: WritePrincipal;
  correlationId?: string;
}

export interface DecisionFacts {
  /** A decision for this event id is already recorded. */
  eventSeen: boolean;
  /** The event's correlation id is one aksnet's own writes used. */
  ownCorrelationId: boolean;
  /** Tags from a fresh GET of the cluster; null = the cluster no longer exists; undefined = not fetched (only allowed when the policy has no tag scope). */
  clusterTags?: Record<string, string> | null;
  /** Who holds the cluster's migration lock, when someone does. */
  lockHolder?: string;
  /** When the last `migrate` decision for this cluster was taken (its event time). */
  lastMigrateAt?: string;
}

const CLUSTER_TYPE = 'microsoft.containerservice/managedclusters';

/** The managed cluster a resource id is, or belongs to (agentPools etc.); undefined for anything else. */
export function clusterOf(resourceId: string | undefined): string | undefined {
  if (!resourceId) return undefined;
  try {
    const id = parseArmId(resourceId);
    const type = id.type?.toLowerCase() ?? '';
    if (type !== CLUSTER_TYPE && !type.startsWith(`${CLUSTER_TYPE}/`)) return undefined;
    return managedClusterId(id.subscriptionId, id.resourceGroup ?? '', id.names[0]);
  } catch {
    return undefined;
  }
}

function compactTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** The start of the debounce window an event time falls in (windows are aligned to the epoch). */
export function windowStart(eventTime: string, debounceSeconds: number): number {
  const size = debounceSeconds * 1000;
  return Math.floor(Date.parse(eventTime) / size) * size;
}

/** `remediate:{subscription}:{group}:{name}:{window start}`, lower case (no `/`: instance ids are row keys). */
export function remediationInstanceId(clusterId: string, eventTime: string, debounceSeconds: number): string {
  const p = parseArmId(clusterId);
  return `remediate:${p.subscriptionId}:${p.resourceGroup ?? ''}:${p.name ?? ''}:${compactTime(windowStart(eventTime, debounceSeconds))}`.toLowerCase();
}

const sameGuid = (a: string | undefined, list: string[]): boolean => a !== undefined && list.some((x) => x.toLowerCase() === a.toLowerCase());

function tagMismatch(policyTags: Record<string, string>, clusterTags: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(policyTags)) {
    const key = Object.keys(clusterTags).find((t) => t.toLowerCase() === k.toLowerCase());
    if (key === undefined) return `has no tag '${k}'`;
    if (clusterTags[key] !== v) return `has tag '${key}' = '${clusterTags[key]}', not '${v}'`;
  }
  return undefined;
}

/** Which cluster an event is about, or why it is not about one. */
export function eventCluster(event: GridEvent): { clusterId: string } | { ignore: string } {
  switch (event.type) {
    case EVENT_TYPES.resourceWriteSuccess: {
      const uri = typeof event.data.resourceUri === 'string' ? event.data.resourceUri : event.subject;
      const clusterId = clusterOf(uri);
      if (!clusterId) return { ignore: 'not a managed cluster (or one of its child resources)' };
      const op = typeof event.data.operationName === 'string' ? event.data.operationName.toLowerCase() : '';
      if (op !== '' && !(op.startsWith(`${CLUSTER_TYPE}/`) && op.endsWith('/write'))) return { ignore: `operation '${event.data.operationName}' is not a write to a managed cluster` };
      return { clusterId };
    }
    case EVENT_TYPES.resourceWriteFailure:
    case EVENT_TYPES.resourceWriteCancel:
      return { ignore: 'the write failed or was cancelled: nothing changed' };
    case EVENT_TYPES.newKubernetesVersionAvailable:
    case EVENT_TYPES.clusterSupportEnding:
    case EVENT_TYPES.clusterSupportEnded:
    case EVENT_TYPES.nodePoolRollingStarted:
    case EVENT_TYPES.nodePoolRollingSucceeded:
    case EVENT_TYPES.nodePoolRollingFailed: {
      // AKS system topic: the topic (CloudEvents source) is the cluster id, the subject its name.
      const clusterId = clusterOf(event.topic) ?? clusterOf(event.subject);
      return clusterId ? { clusterId } : { ignore: 'an AKS event without a managed cluster id in its topic' };
    }
    default:
      return { ignore: `event type '${event.type}' is not one aksnet acts on` };
  }
}

/** True when the policy needs the cluster's tags (the caller then does a fresh GET). */
export function needsClusterTags(policy: RemediationPolicy): boolean {
  return Object.keys(policy.scope.tags ?? {}).length > 0;
}

export function decide(event: GridEvent, policy: RemediationPolicy, facts: DecisionFacts): Decision {
  const correlationId = typeof event.data.correlationId === 'string' ? event.data.correlationId : undefined;
  const isWrite = event.type === EVENT_TYPES.resourceWriteSuccess;
  const principal = isWrite ? writePrincipal(event.data) : undefined;
  const base = {
    eventId: event.id,
    eventType: event.type,
    eventTime: event.time,
    ...(principal && Object.keys(principal).length > 0 ? { principal } : {}),
    ...(correlationId ? { correlationId } : {}),
  };
  const ignore = (reason: string, clusterId?: string): Decision => ({ action: 'ignore', reason, ...(clusterId ? { clusterId } : {}), dedupeKey: `event:${event.id}`, ...base });

  const target = eventCluster(event);
  if ('ignore' in target) return ignore(target.ignore);
  const { clusterId } = target;

  if (facts.eventSeen) return ignore(`event ${event.id} was already delivered and decided (Event Grid delivers at least once)`, clusterId);

  switch (event.type) {
    case EVENT_TYPES.nodePoolRollingStarted:
    case EVENT_TYPES.nodePoolRollingSucceeded:
    case EVENT_TYPES.nodePoolRollingFailed:
      return ignore('node pools roll during upgrades and during an aksnet reimage; the network configuration did not change', clusterId);
    case EVENT_TYPES.newKubernetesVersionAvailable:
      return ignore('a new Kubernetes version is available; the network configuration did not change', clusterId);
  }

  if (isWrite) {
    const own = policy.ownIdentities;
    if (sameGuid(principal?.objectId, own.objectIds) || sameGuid(principal?.evidencePrincipalId, own.objectIds) || sameGuid(principal?.appId, own.appIds)) {
      return ignore("written by aksnet's own identity", clusterId);
    }
    if (facts.ownCorrelationId) return ignore(`correlation id ${correlationId} belongs to a write aksnet made`, clusterId);
  }

  const id = parseArmId(clusterId);
  const scope = policy.scope;
  if (scope.subscriptions && !sameGuid(id.subscriptionId, scope.subscriptions)) return ignore(`subscription ${id.subscriptionId} is outside the policy's scope`, clusterId);
  if (scope.resourceGroups && !scope.resourceGroups.some((g) => g.toLowerCase() === (id.resourceGroup ?? '').toLowerCase())) {
    return ignore(`resource group ${id.resourceGroup} is outside the policy's scope`, clusterId);
  }
  if (needsClusterTags(policy)) {
    if (facts.clusterTags === null) return ignore('the cluster no longer exists (fresh GET: not found)', clusterId);
    if (facts.clusterTags === undefined) throw new Error('decide: the policy scopes by tags, so clusterTags (a fresh GET) must be given');
    const why = tagMismatch(scope.tags ?? {}, facts.clusterTags);
    if (why) return ignore(`outside the policy's scope: the cluster ${why}`, clusterId);
  }

  if (event.type === EVENT_TYPES.clusterSupportEnding || event.type === EVENT_TYPES.clusterSupportEnded) {
    const version = typeof event.data.kubernetesVersion === 'string' ? ` ${event.data.kubernetesVersion}` : '';
    const when = event.type === EVENT_TYPES.clusterSupportEnded ? 'is out of support' : 'is going out of support';
    return { action: 'report', reason: `Kubernetes version${version} ${when}: upgrade it; a migration is never started for this`, clusterId, dedupeKey: `event:${event.id}`, ...base };
  }

  // From here on: a successful write to a managed cluster in scope, made by someone else.
  if (facts.lockHolder) return ignore(`the cluster is being migrated already (lock held by ${facts.lockHolder})`, clusterId);
  const windowMs = policy.debounceSeconds * 1000;
  if (facts.lastMigrateAt !== undefined) {
    const since = Date.parse(event.time) - Date.parse(facts.lastMigrateAt);
    if (since >= 0 && since < windowMs) {
      return ignore(`a migration was already decided for this cluster ${Math.round(since / 1000)} s earlier (within debounceSeconds ${policy.debounceSeconds})`, clusterId);
    }
  }
  const who = principal?.objectId ?? principal?.appId ?? 'an unknown principal';
  if (policy.mode === 'report') {
    return { action: 'report', reason: `written by ${who}; policy mode 'report': recorded, nothing started`, clusterId, dedupeKey: `event:${event.id}`, ...base };
  }
  const instanceId = remediationInstanceId(clusterId, event.time, policy.debounceSeconds);
  return { action: 'migrate', reason: `written by ${who}; policy mode 'migrate': migrate to ${policy.target}`, clusterId, dedupeKey: instanceId, instanceId, ...base };
}

/** The key a cluster's decisions are filed under. */
export const clusterKey = armIdKey;
