/**
 * Maintenance windows: is an operation allowed to start at time T, and when is the next start that fits.
 *
 * Sources (aks-facts § ARM behaviour, maintenance configurations): the cluster's own AKS maintenance
 * configurations — `aksManagedAutoUpgradeSchedule` / `aksManagedNodeOSUpgradeSchedule` with
 * `maintenanceWindow{schedule{daily|weekly|absoluteMonthly|relativeMonthly}, durationHours, utcOffset, startDate,
 * startTime, notAllowedDates}`, or the legacy `default` configuration with `timeInWeek[{day, hourSlots}]` (UTC
 * hours) and `notAllowedTime[{start, end}]` — or windows written in the rollout spec (same shape as
 * maintenanceWindow). "AKS does not hold a customer's PUT for the window: the tool must."
 *
 * The rule (documented in docs/rollout-spec.md): an operation starts at T only if T lies in an allowed interval
 * and T + the expected operation time still lies in that same interval — it must be expected to end before the
 * window closes. Allowed intervals are the window occurrences minus the not-allowed dates, merged where they
 * touch (back-to-back hour slots or daily 24-hour windows form one interval).
 *
 * Which configuration of a cluster applies: the update reimages every node pool (seed 000 § Update the IPAM mode:
 * "The update process triggers node pools to be reimaged simultaneously"), the disruption a node image upgrade
 * brings, so `aksManagedNodeOSUpgradeSchedule` comes first, then `aksManagedAutoUpgradeSchedule`, then `default`.
 * A cluster without any uses the spec's windows; with neither, any time is allowed.
 *
 * Hand-written date math: no date library is installed, and cron-parser cannot express "every 2nd week from
 * startDate" or "last Friday every 3 months". Everything is UTC milliseconds plus the window's fixed utcOffset.
 */
import type { MaintenanceConfigurationResource, MaintenanceWindow } from '../model/arm';

export type WindowSource =
  | { kind: 'window'; name: string; window: MaintenanceWindow }
  | { kind: 'timeInWeek'; name: string; timeInWeek: Array<{ day: string; hourSlots: number[] }>; notAllowedTime?: Array<{ start: string; end: string }> };

export interface Interval {
  start: number;
  end: number;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const WEEK_INDEX: Record<string, number> = { First: 0, Second: 1, Third: 2, Fourth: 3, Last: -1 };
/** Anchor when a window has no startDate: any date works for interval 1; for longer intervals AKS uses the creation date, which a spec cannot know. */
const DEFAULT_START_DATE = '2000-01-01';

export class MaintenanceWindowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MaintenanceWindowError';
  }
}

function offsetMinutes(utcOffset: string | undefined): number {
  if (!utcOffset) return 0;
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(utcOffset.trim());
  if (!m) throw new MaintenanceWindowError(`utcOffset '${utcOffset}' is not an offset such as '+05:30'`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** Local calendar date 'YYYY-MM-DD' → days since the epoch. */
function dayNumber(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (!m) throw new MaintenanceWindowError(`date '${date}' is not 'YYYY-MM-DD'`);
  return Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS);
}

function dayIndex(name: string): number {
  const i = DAYS.findIndex((d) => d.toLowerCase() === name.toLowerCase());
  if (i < 0) throw new MaintenanceWindowError(`day '${name}' is not a day of the week`);
  return i;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** Local day numbers (days since epoch, local calendar) on which the schedule starts a window, within [fromDay, toDay]. */
function occurrenceDays(window: MaintenanceWindow, fromDay: number, toDay: number): number[] {
  const schedule = window.schedule ?? {};
  const start = dayNumber(window.startDate ?? DEFAULT_START_DATE);
  const days: number[] = [];
  const lo = Math.max(fromDay, start);
  if (schedule.daily) {
    const n = schedule.daily.intervalDays;
    for (let d = lo; d <= toDay; d++) if ((d - start) % n === 0) days.push(d);
  } else if (schedule.weekly) {
    const n = schedule.weekly.intervalWeeks;
    const want = dayIndex(schedule.weekly.dayOfWeek);
    // The first wanted weekday on or after startDate; then every n weeks. Epoch day 0 was a Thursday (4).
    const first = start + ((want - ((start + 4) % 7) + 7) % 7);
    for (let d = lo; d <= toDay; d++) if (d >= first && (d - first) % (7 * n) === 0) days.push(d);
  } else if (schedule.absoluteMonthly || schedule.relativeMonthly) {
    const n = (schedule.absoluteMonthly ?? schedule.relativeMonthly)?.intervalMonths ?? 1;
    const s = new Date(start * DAY_MS);
    const startMonth = s.getUTCFullYear() * 12 + s.getUTCMonth();
    const f = new Date(lo * DAY_MS);
    const t = new Date(toDay * DAY_MS);
    for (let mi = f.getUTCFullYear() * 12 + f.getUTCMonth(); mi <= t.getUTCFullYear() * 12 + t.getUTCMonth(); mi++) {
      if ((mi - startMonth) % n !== 0) continue;
      const year = Math.floor(mi / 12);
      const month = mi % 12;
      let dom: number | undefined;
      if (schedule.absoluteMonthly) {
        // A day the month does not have (31 in April) has no window that month.
        if (schedule.absoluteMonthly.dayOfMonth <= daysInMonth(year, month)) dom = schedule.absoluteMonthly.dayOfMonth;
      } else if (schedule.relativeMonthly) {
        const want = dayIndex(schedule.relativeMonthly.dayOfWeek);
        const idx = WEEK_INDEX[schedule.relativeMonthly.weekIndex];
        if (idx === undefined) throw new MaintenanceWindowError(`weekIndex '${schedule.relativeMonthly.weekIndex}' is not First, Second, Third, Fourth or Last`);
        const firstDow = new Date(Date.UTC(year, month, 1)).getUTCDay();
        const firstMatch = 1 + ((want - firstDow + 7) % 7);
        if (idx >= 0) dom = firstMatch + 7 * idx;
        else {
          dom = firstMatch;
          while (dom + 7 <= daysInMonth(year, month)) dom += 7;
        }
      }
      if (dom === undefined) continue;
      const d = Math.floor(Date.UTC(year, month, dom) / DAY_MS);
      if (d >= lo && d <= toDay) days.push(d);
    }
  } else {
    throw new MaintenanceWindowError('maintenance window has no schedule: set one of daily, weekly, absoluteMonthly, relativeMonthly');
  }
  return days;
}

function subtract(intervals: Interval[], blocked: Interval[]): Interval[] {
  let out = intervals;
  for (const b of blocked) {
    const next: Interval[] = [];
    for (const i of out) {
      if (b.end <= i.start || b.start >= i.end) next.push(i);
      else {
        if (b.start > i.start) next.push({ start: i.start, end: b.start });
        if (b.end < i.end) next.push({ start: b.end, end: i.end });
      }
    }
    out = next;
  }
  return out;
}

export function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/** Allowed intervals of one source that overlap [from, to] (UTC ms), not yet merged with other sources. */
export function allowedIntervals(source: WindowSource, from: number, to: number): Interval[] {
  if (source.kind === 'window') {
    const w = source.window;
    const off = offsetMinutes(w.utcOffset) * MINUTE_MS;
    const [hh, mm] = (w.startTime ?? '00:00').split(':').map(Number);
    const duration = (w.durationHours ?? 4) * 3_600_000;
    // Local days whose window could overlap [from, to]: a window lasts at most 24 h.
    const fromDay = Math.floor((from + off - duration) / DAY_MS) - 1;
    const toDay = Math.floor((to + off) / DAY_MS) + 1;
    const occurrences = occurrenceDays(w, fromDay, toDay).map((d) => {
      const start = d * DAY_MS + (hh * 60 + mm) * MINUTE_MS - off;
      return { start, end: start + duration };
    });
    const blocked = (w.notAllowedDates ?? []).map((n) => ({ start: dayNumber(n.start) * DAY_MS - off, end: (dayNumber(n.end) + 1) * DAY_MS - off }));
    return subtract(occurrences, blocked).filter((i) => i.end > from && i.start < to);
  }
  // `default` configuration: hour slots are UTC (aks-facts: timeInWeek[{day, hourSlots}]).
  const out: Interval[] = [];
  const firstDay = Math.floor(from / DAY_MS) - 1;
  const lastDay = Math.floor(to / DAY_MS) + 1;
  const byDay = new Map<number, number[]>();
  for (const t of source.timeInWeek) byDay.set(dayIndex(t.day), [...(byDay.get(dayIndex(t.day)) ?? []), ...t.hourSlots]);
  for (let d = firstDay; d <= lastDay; d++) {
    for (const h of byDay.get((d + 4) % 7) ?? []) out.push({ start: d * DAY_MS + h * 3_600_000, end: d * DAY_MS + (h + 1) * 3_600_000 });
  }
  const blocked = (source.notAllowedTime ?? []).map((n) => {
    const start = Date.parse(n.start);
    const end = Date.parse(n.end);
    if (Number.isNaN(start) || Number.isNaN(end)) throw new MaintenanceWindowError(`notAllowedTime ${n.start}..${n.end} is not a pair of date-times`);
    return { start, end };
  });
  return subtract(out, blocked).filter((i) => i.end > from && i.start < to);
}

/** How far ahead to look: windows every 6 months exist (intervalMonths ≤ 6), so a little over a year. */
const HORIZONS_DAYS = [8, 40, 400];

/**
 * The earliest time ≥ `at` at which an operation of `needMinutes` may start and is expected to end inside the
 * same allowed interval. No sources = no restriction (returns `at`). Undefined when nothing fits within a year
 * (e.g. every window is shorter than the operation).
 */
export function nextOperationStart(sources: WindowSource[], at: Date, needMinutes: number): Date | undefined {
  const t = at.getTime();
  if (sources.length === 0) return new Date(t);
  const need = needMinutes * MINUTE_MS;
  for (const days of HORIZONS_DAYS) {
    const to = t + days * DAY_MS;
    const intervals = mergeIntervals(sources.flatMap((s) => allowedIntervals(s, t, to + need)));
    for (const i of intervals) {
      const start = Math.max(i.start, t);
      if (start + need <= i.end && start <= to) return new Date(start);
    }
  }
  return undefined;
}

/** True when an operation of `needMinutes` may start at `at`. */
export function operationAllowedAt(sources: WindowSource[], at: Date, needMinutes: number): boolean {
  return nextOperationStart(sources, at, needMinutes)?.getTime() === at.getTime();
}

/** Order of precedence among a cluster's maintenance configurations (see the module comment). */
const CONFIG_PRECEDENCE = ['aksmanagednodeosupgradeschedule', 'aksmanagedautoupgradeschedule', 'default'];

/** The window sources that govern a cluster, from its own configurations and the spec's windows. */
export function windowSourcesFor(
  configurations: MaintenanceConfigurationResource[],
  spec: { useClusterConfiguration: boolean; windows?: MaintenanceWindow[] } | undefined,
): WindowSource[] {
  if (!spec) return [];
  if (spec.useClusterConfiguration) {
    for (const name of CONFIG_PRECEDENCE) {
      const config = configurations.find((c) => c.name.toLowerCase() === name);
      const props = config?.properties;
      if (!config || !props) continue;
      if (props.maintenanceWindow) return [{ kind: 'window', name: config.name, window: props.maintenanceWindow }];
      if (props.timeInWeek && props.timeInWeek.length > 0) {
        return [{ kind: 'timeInWeek', name: config.name, timeInWeek: props.timeInWeek, notAllowedTime: props.notAllowedTime }];
      }
    }
  }
  return (spec.windows ?? []).map((window, i) => ({ kind: 'window', name: `spec window ${i + 1}`, window }));
}
