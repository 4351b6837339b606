/**
 * The ports the triggers of issue 6 hand to the pure domain (shared/api, shared/remediation, shared/schedule),
 * built from the Durable client of the invocation and the app's dependencies (functions/dependencies.ts).
 * Nothing here decides anything: it only translates between the Durable client / stores and the port shapes.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { armIdKey } from '../../shared/arm/id';
import { assessCluster } from '../../shared/assess';
import type { ApiPorts, PreflightFailure } from '../../shared/api/ports';
import type { InstanceStatus } from '../../shared/api/summary';
import type { Target } from '../../shared/model/assessment';
import { decisionStoreFromSettings, dependencies, storeSettingsKey, type RemediationStore } from '../dependencies';
import { EVENTS, ORCHESTRATIONS } from '../names';

let decisions: { key: string; store: RemediationStore } | undefined;

/**
 * The remediation decision store, one per process, chosen like the result store (functions/dependencies.ts):
 * Table storage when AKSNET_TABLE_ENDPOINT is set, else SQLite in the results database (AKSNET_RESULTS_DB;
 * unset → in memory: decisions then last as long as the process).
 */
export function decisionStore(): RemediationStore {
  const key = storeSettingsKey(process.env);
  if (decisions?.key !== key) {
    decisions?.store.close?.();
    decisions = { key, store: decisionStoreFromSettings(process.env) };
  }
  return decisions.store;
}

/** The durable-functions client's "no such instance" (its getStatus throws on the extension's 404). */
function isNotFound(err: unknown): boolean {
  return err instanceof Error && /HTTP 404/.test(err.message);
}

function iso(d: Date | string | undefined): string | undefined {
  if (d === undefined) return undefined;
  return d instanceof Date ? d.toISOString() : String(d);
}

/** The client's status object as the API's InstanceStatus (times as ISO strings). */
function statusOf(s: df.DurableOrchestrationStatus): InstanceStatus & { name: string } {
  const createdTime = iso(s.createdTime);
  const lastUpdatedTime = iso(s.lastUpdatedTime);
  return {
    name: s.name,
    instanceId: s.instanceId,
    runtimeStatus: String(s.runtimeStatus),
    customStatus: s.customStatus,
    output: s.output,
    ...(createdTime ? { createdTime } : {}),
    ...(lastUpdatedTime ? { lastUpdatedTime } : {}),
  };
}

/** The instance's status (no history, no input: a rollout's input is its whole spec), or undefined when there is none. */
export async function instanceStatus(client: df.DurableClient, instanceId: string): Promise<(InstanceStatus & { name: string }) | undefined> {
  try {
    return statusOf(await client.getStatus(instanceId, { showHistory: false, showInput: false }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A cluster the gateway could not find: the reader's own "was not found" or ARM's 404 codes. */
function isMissingCluster(message: string): boolean {
  return /was not found|ResourceNotFound|NotFound|\b404\b/i.test(message);
}

async function preflightOne(id: string, target: Target): Promise<ReturnType<typeof assessCluster> | PreflightFailure> {
  const deps = await dependencies();
  try {
    return assessCluster(await deps.facts.readCluster(id), { target });
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return { id, error: { code: isMissingCluster(message) ? 'NotFound' : 'AssessmentFailed', message: isMissingCluster(message) ? `cluster ${id} was not found` : message } };
  }
}

/** ApiPorts (shared/api/ports.ts) over the Durable client of this invocation and the app's stores. */
export function apiPorts(context: InvocationContext): ApiPorts {
  const client = df.getClient(context);
  return {
    rollouts: {
      async start(instanceId, spec) {
        await client.startNew(ORCHESTRATIONS.rollout, { instanceId, input: { spec } });
      },
      // Also what GET /api/rollouts calls once per rollout of a page of the rollout index (shared/api/rolloutList.ts).
      async status(instanceId) {
        const s = await instanceStatus(client, instanceId);
        // Only rollouts: a cluster migration's id must not be readable (or steerable) as a rollout.
        return s && s.name.toLowerCase() === ORCHESTRATIONS.rollout.toLowerCase() ? s : undefined;
      },
      async raise(instanceId, action, data) {
        await client.raiseEvent(instanceId, EVENTS[action], data);
      },
    },
    results: {
      async listClusters(rolloutId, query) {
        return (await dependencies()).results.listClusters(rolloutId, query);
      },
      async listRollouts(query) {
        return (await dependencies()).results.listRollouts(query);
      },
      async registerRollout(entry) {
        await (await dependencies()).results.registerRollout(entry);
      },
    },
    preflight: {
      // Sequential on purpose: each id costs fresh ARM and Kubernetes reads, and the API caps the count.
      async assess(ids, target) {
        const out: Array<ReturnType<typeof assessCluster> | PreflightFailure> = [];
        const seen = new Set<string>();
        for (const id of ids) {
          if (seen.has(armIdKey(id))) continue;
          seen.add(armIdKey(id));
          out.push(await preflightOne(id, target));
        }
        return out;
      },
    },
    decisions: decisionStore(),
    async health() {
      await dependencies();
      return { taskHub: process.env.AKSNET_TASK_HUB ?? 'aksnetlocal' };
    },
    log: (message) => context.error(message),
  };
}
