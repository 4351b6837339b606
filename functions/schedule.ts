/**
 * Scheduled rollouts (issue 6): the timer `scheduledRollout` on the NCRONTAB schedule in the app setting
 * AKSNET_ROLLOUT_SCHEDULE starts the rollout spec in AKSNET_SCHEDULED_ROLLOUT_SPEC under the deterministic id
 * `scheduled:{spec name}:{occurrence}` (shared/schedule/schedule.ts), unless the previous scheduled rollout of
 * that spec is still running. Maintenance windows stay the rollout's business: it starts no operation outside them.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import {
  ACTIVE_RUNTIME_STATUSES,
  planScheduledRollout,
  scheduledInstanceId,
  scheduledInstancePrefix,
  scheduledOccurrence,
  scheduledRolloutFromSettings,
  type InstanceSummary,
} from '../shared/schedule/schedule';
import type { RolloutInput } from './contracts';
import { instanceStatus } from './http/ports';
import { ORCHESTRATIONS } from './names';

export const SCHEDULE_FUNCTION = 'scheduledRollout';

/** Previous scheduled instances of this spec that may still run, plus this occurrence's own id if it exists. */
async function previousInstances(client: df.DurableClient, specName: string, ownId: string): Promise<InstanceSummary[]> {
  const prefix = scheduledInstancePrefix(specName);
  const active = await client.getStatusBy({ runtimeStatus: [...ACTIVE_RUNTIME_STATUSES] as df.OrchestrationRuntimeStatus[] });
  const list: InstanceSummary[] = active.filter((s) => s.instanceId.startsWith(prefix)).map((s) => ({ instanceId: s.instanceId, runtimeStatus: String(s.runtimeStatus) }));
  if (!list.some((s) => s.instanceId === ownId)) {
    const own = await instanceStatus(client, ownId);
    if (own) list.push({ instanceId: own.instanceId, runtimeStatus: own.runtimeStatus });
  }
  return list;
}

export async function handleTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  // Read at each firing, so a changed spec applies at the next occurrence; a bad setting throws one line naming it.
  const config = scheduledRolloutFromSettings(process.env);
  if (config.idle) {
    context.log(`scheduled rollout: ${config.reason}`);
    return;
  }
  const client = df.getClient(context);
  const firedAt = new Date();
  const ownId = scheduledInstanceId(config.spec.name, scheduledOccurrence(config.schedule, firedAt));
  const plan = planScheduledRollout({ schedule: config.schedule, specName: config.spec.name, firedAt, previous: await previousInstances(client, config.spec.name, ownId) });
  if (!plan.start) {
    context.log(`scheduled rollout ${config.spec.name}: not started: ${plan.reason}`);
    return;
  }
  const input: RolloutInput = { spec: config.spec };
  try {
    await client.startNew(ORCHESTRATIONS.rollout, { instanceId: plan.instanceId, input });
  } catch (err) {
    // The same occurrence fired twice at once (scale-out): the task hub refuses the second start.
    if (err instanceof Error && /409|already exists/i.test(err.message)) {
      context.log(`scheduled rollout ${plan.instanceId} was started by another firing`);
      return;
    }
    throw err;
  }
  context.log(`scheduled rollout ${plan.instanceId} started (${plan.reason})`);
}

/**
 * Registers the timer only when AKSNET_ROLLOUT_SCHEDULE is set (infra/ always sets it): a host cannot resolve
 * `%AKSNET_ROLLOUT_SCHEDULE%` without it, and the local host would then refuse to start at all.
 */
export function registerScheduleTrigger(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!env.AKSNET_ROLLOUT_SCHEDULE?.trim()) return false;
  app.timer(SCHEDULE_FUNCTION, { schedule: '%AKSNET_ROLLOUT_SCHEDULE%', extraInputs: [df.input.durableClient()], handler: handleTimer });
  return true;
}
