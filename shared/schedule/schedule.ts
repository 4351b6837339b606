/**
 * Scheduled rollouts: a timer trigger on an NCRONTAB schedule from app settings starts the rollout spec named in
 * configuration. Azure Functions timer schedules are NCRONTAB with six fields, seconds first:
 * `{second} {minute} {hour} {day} {month} {day-of-week}` (e.g. `0 0 2 * * Sat` = Saturdays 02:00 UTC).
 * cron-parser 5 reads six fields the same way — but it also accepts five (minute first), which the Functions
 * host would reject, so the field count is checked here first.
 *
 * At most one scheduled rollout runs at a time: a firing while the previous one is still Running, Pending,
 * Suspended or ContinuedAsNew (the rollout continues as new after every batch) starts nothing. A timer that
 * fires twice for one occurrence (host restart, scale-out) computes the same instance id
 * `scheduled:{spec name}:{occurrence}`, and a start under an existing id is refused by the task hub.
 * Maintenance windows are the rollout's business (spec maintenanceWindow and the clusters' own configurations):
 * a scheduled rollout still starts no operation outside them.
 */
import { CronExpressionParser } from 'cron-parser';
import { RolloutSpecError, parseRolloutSpec, type RolloutSpec } from '../rollout/spec';

export const SCHEDULE_SETTING = 'AKSNET_ROLLOUT_SCHEDULE';
export const SCHEDULED_SPEC_SETTING = 'AKSNET_SCHEDULED_ROLLOUT_SPEC';

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

const EXAMPLE = "e.g. '0 0 2 * * Sat' (Saturdays 02:00 UTC)";

/** Validates an NCRONTAB expression as a Functions timer trigger reads it; returns it trimmed. */
export function validateNcrontab(expression: string | undefined, source = SCHEDULE_SETTING): string {
  const expr = (expression ?? '').trim();
  if (expr === '') throw new ScheduleError(`${source} is not set; set it to an NCRONTAB schedule with 6 fields {second} {minute} {hour} {day} {month} {day-of-week}, ${EXAMPLE}.`);
  const fields = expr.split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleError(
      `${source} '${expr}' has ${fields.length} fields; Azure Functions timers need 6, seconds first: {second} {minute} {hour} {day} {month} {day-of-week}, ${EXAMPLE}.`,
    );
  }
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: new Date(0) });
  } catch (err) {
    throw new ScheduleError(`${source} '${expr}' is not a valid NCRONTAB expression: ${err instanceof Error ? err.message : String(err)}; ${EXAMPLE}.`);
  }
  return expr;
}

/**
 * The occurrence a firing belongs to: the latest scheduled time at or before `firedAt` (a timer fires at its
 * occurrence or late, never early). Two firings for one occurrence get the same answer.
 */
export function scheduledOccurrence(expression: string, firedAt: Date, timeZone = 'UTC'): Date {
  const expr = validateNcrontab(expression);
  // prev() is strictly before currentDate: step 1 ms past the firing so an on-time firing finds its own occurrence.
  return CronExpressionParser.parse(expr, { tz: timeZone, currentDate: new Date(firedAt.getTime() + 1) }).prev().toDate();
}

/** `scheduled:{spec name}:{occurrence ISO}`: deterministic, so a timer fired twice starts one rollout. */
export function scheduledInstanceId(specName: string, occurrence: Date): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(specName)) throw new ScheduleError(`rollout spec name '${specName.slice(0, 80)}' cannot be part of an instance id; use letters, digits, '.', '_' or '-'.`);
  return `scheduled:${specName}:${occurrence.toISOString()}`;
}

export function scheduledInstancePrefix(specName: string): string {
  return `scheduled:${specName}:`;
}

/** Durable runtime statuses during which an instance may still do work. */
export const ACTIVE_RUNTIME_STATUSES: ReadonlySet<string> = new Set(['Running', 'Pending', 'Suspended', 'ContinuedAsNew']);

export interface InstanceSummary {
  instanceId: string;
  runtimeStatus: string;
}

export interface StartVerdict {
  start: boolean;
  reason: string;
}

/**
 * Whether this firing may start a rollout. Pass the previous scheduled instances of this spec (the functions
 * side lists instances with the {@link scheduledInstancePrefix}; a single status is accepted too) and the
 * instance id this firing would use.
 */
export function shouldStartScheduledRollout(previous: InstanceSummary | InstanceSummary[] | undefined, instanceId?: string): StartVerdict {
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [previous];
  const same = instanceId === undefined ? undefined : list.find((p) => p.instanceId === instanceId);
  if (same) return { start: false, reason: `this occurrence already started ${same.instanceId} (${same.runtimeStatus}); the timer fired twice` };
  const active = list.filter((p) => ACTIVE_RUNTIME_STATUSES.has(p.runtimeStatus)).sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  if (active.length > 0) {
    return { start: false, reason: `the previous scheduled rollout ${active[0].instanceId} is still ${active[0].runtimeStatus}; not starting another until it ends` };
  }
  return { start: true, reason: list.length === 0 ? 'no previous scheduled rollout' : 'the previous scheduled rollouts have ended' };
}

/**
 * Everything a timer firing decides, for the trigger's one line: the occurrence, its instance id and whether to
 * start. `previous`: instances whose id starts with {@link scheduledInstancePrefix} (others are ignored here).
 */
export function planScheduledRollout(input: { schedule: string; specName: string; firedAt: Date; previous: InstanceSummary[]; timeZone?: string }): StartVerdict & { instanceId: string } {
  const instanceId = scheduledInstanceId(input.specName, scheduledOccurrence(input.schedule, input.firedAt, input.timeZone));
  const prefix = scheduledInstancePrefix(input.specName);
  const verdict = shouldStartScheduledRollout(input.previous.filter((p) => p.instanceId.startsWith(prefix)), instanceId);
  return { start: verdict.start, instanceId, reason: verdict.reason };
}

export type ScheduledRolloutConfig = { idle: true; reason: string } | { idle: false; schedule: string; spec: RolloutSpec };

/**
 * The scheduled rollout's configuration from app settings: AKSNET_ROLLOUT_SCHEDULE (NCRONTAB) and
 * AKSNET_SCHEDULED_ROLLOUT_SPEC (the rollout spec as JSON or YAML text; empty keeps the timer idle).
 * A bad schedule or spec throws one line naming the setting.
 */
export function scheduledRolloutFromSettings(env: Record<string, string | undefined>): ScheduledRolloutConfig {
  const text = env[SCHEDULED_SPEC_SETTING];
  if (text === undefined || text.trim() === '') return { idle: true, reason: `${SCHEDULED_SPEC_SETTING} is empty: no scheduled rollout configured` };
  const schedule = validateNcrontab(env[SCHEDULE_SETTING]);
  try {
    return { idle: false, schedule, spec: parseRolloutSpec(text, SCHEDULED_SPEC_SETTING) };
  } catch (err) {
    if (err instanceof RolloutSpecError) throw new ScheduleError(`${SCHEDULED_SPEC_SETTING}: ${err.problems.join('; ')}`);
    throw err;
  }
}
