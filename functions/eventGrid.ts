/**
 * Event Grid remediation (issue 6; docs/remediation.md): the function `eventGridRemediation` that infra/
 * subscribes to the subscription system topic (managed-cluster writes) and the AKS system topic. The decisions
 * are shared/remediation's; this file only builds its ports over the Durable client and the stores.
 *
 * The validation handshake is the Functions host's for an Event Grid trigger (the local host answers it too);
 * this function never sees `SubscriptionValidationEvent`.
 */
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { policyFromSettings } from '../shared/remediation/policy';
import { remediate, type RemediationPorts } from '../shared/remediation/remediate';
import type { ClusterMigrationInput } from './contracts';
import { dependencies } from './dependencies';
import { decisionStore, instanceStatus } from './http/ports';
import { ORCHESTRATIONS } from './names';

export const EVENT_GRID_FUNCTION = 'eventGridRemediation';

function statusCodeOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export function remediationPorts(context: InvocationContext): RemediationPorts {
  const client = df.getClient(context);
  const decisions = decisionStore();
  return {
    decisions,
    async clusterTags(clusterId) {
      try {
        return (await (await dependencies()).clusters.getCluster(clusterId)).resource.tags ?? {};
      } catch (err) {
        // A cluster deleted since the event: nothing to remediate (any other failure fails the delivery: retried).
        if (statusCodeOf(err) === 404) return null;
        throw err;
      }
    },
    // Asked of the very store the migrations write their locks and results to (the dependencies'), not of a second
    // connection: with AKSNET_RESULTS_DB unset that would be another, empty, in-memory database, and both checks
    // would always say "no". A migration Event Grid started saves its result too (under its instance id).
    isOwnCorrelationId: async (correlationId) => (await dependencies()).results.isOwnCorrelationId(correlationId),
    lockHolder: async (clusterId) => (await dependencies()).locks.lockHolder(clusterId),
    async startMigration(instanceId, clusterId, target) {
      if (await instanceStatus(client, instanceId)) return 'exists';
      const input: ClusterMigrationInput = { clusterId, target };
      try {
        await client.startNew(ORCHESTRATIONS.clusterMigration, { instanceId, input });
        return 'started';
      } catch (err) {
        // Two deliveries decided at once on two instances: the task hub refuses the second start (409).
        if (err instanceof Error && /409|already exists/i.test(err.message)) return 'exists';
        throw err;
      }
    },
  };
}

export async function handleGridDelivery(event: unknown, context: InvocationContext): Promise<void> {
  // Read per delivery, so a changed app setting applies without a restart; a bad policy fails the delivery
  // (Event Grid retries, then dead-letters) with the one-line message naming the setting.
  const policy = policyFromSettings(process.env);
  const records = await remediate(event, policy, remediationPorts(context));
  for (const r of records) context.log(`remediation: ${r.action} ${r.clusterId ?? r.eventId}: ${r.reason}`);
}

export function registerEventGridTrigger(): void {
  // The literal name: infra/main.bicep's eventGridFunctionName points the Event Grid subscription at it (test/infra checks).
  app.eventGrid('eventGridRemediation', { extraInputs: [df.input.durableClient()], handler: handleGridDelivery });
}
