import { CronExpressionParser } from 'cron-parser';
import type { RegisteredFunction } from './loadEntry';

/**
 * Timer triggers on their NCRONTAB schedule ({second} {minute} {hour} {day} {month} {day-of-week},
 * six fields; cron-parser reads six fields the same way) or a TimeSpan ("hh:mm:ss") as on App Service
 * plans. `%NAME%` is resolved from app settings (process.env) as the host does. Times are UTC unless
 * WEBSITE_TIME_ZONE names an IANA zone. They run on the wall clock, not the scaled durable clock.
 */

export interface TimerSchedule {
  /** Next occurrence strictly after `after` (ms). */
  next(after: number): number;
  describe: string;
}

export function resolveAppSetting(value: string, env: NodeJS.ProcessEnv = process.env): string {
  const m = /^%([^%]+)%$/.exec(value.trim());
  if (!m) return value;
  const v = env[m[1]];
  if (v === undefined) throw new Error(`The timer schedule refers to app setting %${m[1]}% which is not set; set ${m[1]} in the environment (or the host's env option).`);
  return v;
}

export function parseSchedule(raw: string, env: NodeJS.ProcessEnv = process.env): TimerSchedule {
  const expr = resolveAppSetting(raw, env).trim();
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(expr);
  if (span) {
    const ms = ((Number(span[1] ?? 0) * 24 + Number(span[2])) * 3600 + Number(span[3]) * 60 + Number(span[4])) * 1000;
    if (ms <= 0) throw new Error(`Timer schedule '${expr}' is a zero interval; use e.g. 00:05:00.`);
    return { describe: expr, next: (after) => after + ms };
  }
  const fields = expr.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(`Timer schedule '${expr}' must be an NCRONTAB expression with 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), e.g. '0 */5 * * * *'.`);
  }
  const tz = process.env.WEBSITE_TIME_ZONE || 'UTC';
  // validate now, so a bad expression fails at start, not at the first tick
  try {
    CronExpressionParser.parse(expr, { currentDate: new Date(), tz });
  } catch (err) {
    throw new Error(`Timer schedule '${expr}' is not a valid NCRONTAB expression: ${err instanceof Error ? err.message : String(err)}.`);
  }
  return {
    describe: expr,
    next: (after) => CronExpressionParser.parse(expr, { currentDate: new Date(after), tz }).next().getTime(),
  };
}

export interface TimerRunner {
  stop(): void;
}

/** Starts one timer loop per timer function; `fire(fn, payload)` invokes it. */
export function startTimerTriggers(fns: RegisteredFunction[], fire: (fn: RegisteredFunction, payload: Record<string, unknown>) => Promise<void>, log: (m: string) => void): TimerRunner {
  const handles = new Set<NodeJS.Timeout>();
  let stopped = false;
  for (const fn of fns) {
    const schedule = parseSchedule(String(fn.trigger.schedule ?? ''));
    let last: number | undefined;
    const run = (scheduledAt: number, isPastDue: boolean) => {
      const next = schedule.next(Math.max(Date.now(), scheduledAt));
      const payload = {
        Schedule: { AdjustForDST: true },
        ScheduleStatus: { Last: new Date(last ?? scheduledAt).toISOString(), Next: new Date(next).toISOString(), LastUpdated: new Date().toISOString() },
        IsPastDue: isPastDue,
      };
      last = scheduledAt;
      fire(fn, payload).catch((err) => log(`timer function ${fn.name} failed: ${err instanceof Error ? err.message : String(err)}`));
    };
    const arm = (after: number) => {
      if (stopped) return;
      const at = schedule.next(after);
      const h = setTimeout(() => {
        handles.delete(h);
        run(at, Date.now() - at > 1000);
        arm(at);
      }, Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1));
      handles.add(h);
    };
    if (fn.trigger.runOnStartup === true) run(Date.now(), false);
    arm(Date.now());
    log(`timer function ${fn.name}: schedule '${schedule.describe}', next at ${new Date(schedule.next(Date.now())).toISOString()}`);
  }
  return {
    stop() {
      stopped = true;
      for (const h of handles) clearTimeout(h);
      handles.clear();
    },
  };
}
