/**
 * Event Grid remediation end to end, over ports: parse the delivery, gather each event's facts, decide, start
 * the migration for `migrate`, record the decision. The Event Grid trigger in functions/ is one line:
 *
 *   handler: async (event, ctx) => { await remediate(event, loadPolicy(), remediationPorts(ctx)); }
 *
 * Order matters for at-least-once delivery: the migration is started *before* the decision is recorded. If the
 * record fails, Event Grid redelivers, the event is not seen yet, the same deterministic instance id comes out
 * and the start is a no-op ('exists'). Recording first would lose the migration when the start then failed.
 * Events of one delivery are decided one after the other, so a burst inside one array is debounced too.
 * Any port failure is thrown: the trigger fails and Event Grid retries the delivery.
 */
import type { Target } from '../model/assessment';
import { decide, eventCluster, needsClusterTags, type Decision } from './decide';
import { parseGridEvents } from './events';
import type { RemediationPolicy } from './policy';
import { toRecord, type DecisionRecord, type DecisionStore } from './store';

export interface RemediationPorts {
  decisions: DecisionStore;
  /** Tags of the cluster from a fresh ARM GET; null when the cluster is gone (404). */
  clusterTags(clusterId: string): Promise<Record<string, string> | null>;
  /** Whether an ARM correlation id is one of aksnet's own writes (ClusterResult.correlationIds). */
  isOwnCorrelationId(correlationId: string): Promise<boolean>;
  /** Who holds the cluster's migration lock now, if anyone. */
  lockHolder(clusterId: string): Promise<string | undefined>;
  /** Starts clusterMigration under the instance id; 'exists' when an instance with that id already exists. */
  startMigration(instanceId: string, clusterId: string, target: Target): Promise<'started' | 'exists'>;
  now?: () => Date;
}

async function factsFor(decisionEvent: Parameters<typeof decide>[0], policy: RemediationPolicy, ports: RemediationPorts) {
  const target = eventCluster(decisionEvent);
  const clusterId = 'clusterId' in target ? target.clusterId : undefined;
  const correlationId = typeof decisionEvent.data.correlationId === 'string' ? decisionEvent.data.correlationId : undefined;
  const eventSeen = await ports.decisions.hasEvent(decisionEvent.id);
  if (clusterId === undefined || eventSeen) return { eventSeen, ownCorrelationId: false };
  const [ownCorrelationId, clusterTags, lockHolder, lastMigrateAt] = await Promise.all([
    correlationId ? ports.isOwnCorrelationId(correlationId) : Promise.resolve(false),
    needsClusterTags(policy) ? ports.clusterTags(clusterId) : Promise.resolve(undefined),
    ports.lockHolder(clusterId),
    ports.decisions.lastMigrate(clusterId),
  ]);
  return {
    eventSeen,
    ownCorrelationId,
    ...(clusterTags !== undefined ? { clusterTags } : {}),
    ...(lockHolder !== undefined ? { lockHolder } : {}),
    ...(lastMigrateAt !== undefined ? { lastMigrateAt } : {}),
  };
}

/** Decides every event of a delivery (one event or an array, either schema) and acts; returns the records written. */
export async function remediate(delivery: unknown, policy: RemediationPolicy, ports: RemediationPorts): Promise<DecisionRecord[]> {
  const now = ports.now ?? (() => new Date());
  const events = parseGridEvents(delivery, now());
  const out: DecisionRecord[] = [];
  for (const event of events) {
    const decision: Decision = decide(event, policy, await factsFor(event, policy, ports));
    let started: boolean | undefined;
    if (decision.action === 'migrate' && decision.instanceId && decision.clusterId) {
      started = (await ports.startMigration(decision.instanceId, decision.clusterId, policy.target)) === 'started';
      if (!started) decision.reason += ` (instance ${decision.instanceId} already exists: nothing new started)`;
    }
    const record = toRecord(decision, now(), started);
    await ports.decisions.record(record);
    out.push(record);
  }
  return out;
}
