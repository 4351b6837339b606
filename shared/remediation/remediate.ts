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
 * Two deliveries deciding the same migration at once (a redelivery racing the first, on two app instances) are
 * kept apart by a start claim in the decision store around the check-then-start: the loser fails its delivery,
 * and Event Grid's retry then finds the instance started (or, if the winner died, the claim lapsed).
 * Any port failure is thrown: the trigger fails and Event Grid retries the delivery.
 */
import { randomUUID } from 'node:crypto';
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

/** How long a start claim lasts: far longer than one status read and start, far shorter than Event Grid's later retries. */
export const START_CLAIM_SECONDS = 120;

/** Starts the migration unless another delivery is starting it right now; true when this call started it. */
async function startOnce(instanceId: string, clusterId: string, target: Target, ports: RemediationPorts, now: () => Date): Promise<boolean> {
  const holder = randomUUID();
  if (!(await ports.decisions.claimStart(instanceId, holder, now(), START_CLAIM_SECONDS))) {
    throw new Error(`migration ${instanceId} is being started by another delivery right now: failing this delivery so that Event Grid retries it`);
  }
  let outcome: 'started' | 'exists';
  try {
    outcome = await ports.startMigration(instanceId, clusterId, target);
  } catch (err) {
    await ports.decisions.releaseStart(instanceId, holder).catch(() => undefined);
    throw err;
  }
  await ports.decisions.releaseStart(instanceId, holder);
  return outcome === 'started';
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
      started = await startOnce(decision.instanceId, decision.clusterId, policy.target, ports, now);
      if (!started) decision.reason += ` (instance ${decision.instanceId} already exists: nothing new started)`;
    }
    const record = toRecord(decision, now(), started);
    await ports.decisions.record(record);
    out.push(record);
  }
  return out;
}
