import fc from 'fast-check';
import type { MaintenanceWindow } from '../../../shared/model/arm';
import { allowedIntervals, mergeIntervals, nextOperationStart, operationAllowedAt, windowSourcesFor, type WindowSource } from '../../../shared/rollout/maintenance';
import { maintenanceConfiguration, clusterId } from '../../support/arm';

const at = (iso: string): Date => new Date(iso);
const win = (window: MaintenanceWindow): WindowSource => ({ kind: 'window', name: 'w', window });
const HOUR = 3_600_000;

describe('maintenance windows', () => {
  const saturdayNight = win({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } }, durationHours: 8, startTime: '22:00', utcOffset: '+01:00' });

  it('opens weekly windows on the right local day and time', () => {
    // 2026-01-10 is a Saturday; 22:00 +01:00 = 21:00 UTC.
    expect(nextOperationStart([saturdayNight], at('2026-01-05T10:00:00Z'), 60)?.toISOString()).toBe('2026-01-10T21:00:00.000Z');
    expect(operationAllowedAt([saturdayNight], at('2026-01-10T23:30:00Z'), 60)).toBe(true);
  });

  it('starts an operation only if it is expected to end inside the window', () => {
    // The window closes at 05:00 UTC on Sunday: 04:30 leaves 30 minutes, not enough for 60.
    expect(operationAllowedAt([saturdayNight], at('2026-01-11T04:30:00Z'), 60)).toBe(false);
    expect(operationAllowedAt([saturdayNight], at('2026-01-11T04:00:00Z'), 60)).toBe(true);
    expect(nextOperationStart([saturdayNight], at('2026-01-11T04:30:00Z'), 60)?.toISOString()).toBe('2026-01-17T21:00:00.000Z');
  });

  it('never fits an operation longer than every window', () => {
    expect(nextOperationStart([saturdayNight], at('2026-01-05T10:00:00Z'), 9 * 60)).toBeUndefined();
  });

  it('skips notAllowedDates (local dates, inclusive)', () => {
    const w = win({ schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startTime: '01:00', utcOffset: '+00:00', notAllowedDates: [{ start: '2026-01-06', end: '2026-01-07' }] });
    expect(nextOperationStart([w], at('2026-01-05T10:00:00Z'), 30)?.toISOString()).toBe('2026-01-08T01:00:00.000Z');
  });

  it('every second week counts from startDate', () => {
    const w = win({ schedule: { weekly: { intervalWeeks: 2, dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '00:00', startDate: '2026-01-12' });
    expect(nextOperationStart([w], at('2026-01-01T00:00:00Z'), 60)?.toISOString()).toBe('2026-01-12T00:00:00.000Z');
    expect(nextOperationStart([w], at('2026-01-12T05:00:00Z'), 60)?.toISOString()).toBe('2026-01-26T00:00:00.000Z');
  });

  it('absoluteMonthly skips months without the day; relativeMonthly finds the last weekday', () => {
    const day31 = win({ schedule: { absoluteMonthly: { intervalMonths: 1, dayOfMonth: 31 } }, durationHours: 4, startTime: '02:00' });
    expect(nextOperationStart([day31], at('2026-02-01T00:00:00Z'), 60)?.toISOString()).toBe('2026-03-31T02:00:00.000Z');
    const lastFriday = win({ schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Last', dayOfWeek: 'Friday' } }, durationHours: 4, startTime: '20:00' });
    expect(nextOperationStart([lastFriday], at('2026-01-01T00:00:00Z'), 60)?.toISOString()).toBe('2026-01-30T20:00:00.000Z');
    const secondTuesday = win({ schedule: { relativeMonthly: { intervalMonths: 3, weekIndex: 'Second', dayOfWeek: 'Tuesday' } }, durationHours: 4, startTime: '20:00', startDate: '2026-01-01' });
    expect(nextOperationStart([secondTuesday], at('2026-01-14T00:00:00Z'), 60)?.toISOString()).toBe('2026-04-14T20:00:00.000Z');
  });

  it('merges back-to-back hour slots of the default configuration', () => {
    const def: WindowSource = { kind: 'timeInWeek', name: 'default', timeInWeek: [{ day: 'Tuesday', hourSlots: [1, 2, 3] }] };
    // 2026-01-06 is a Tuesday: slots 01–04 UTC form one 3-hour interval, so a 2-hour operation fits at 01:00.
    expect(nextOperationStart([def], at('2026-01-05T00:00:00Z'), 120)?.toISOString()).toBe('2026-01-06T01:00:00.000Z');
    expect(operationAllowedAt([def], at('2026-01-06T02:30:00Z'), 60)).toBe(true);
    expect(operationAllowedAt([def], at('2026-01-06T03:30:00Z'), 60)).toBe(false);
    const blocked: WindowSource = { ...def, notAllowedTime: [{ start: '2026-01-06T00:00:00Z', end: '2026-01-07T00:00:00Z' }] } as WindowSource;
    expect(nextOperationStart([blocked], at('2026-01-05T00:00:00Z'), 120)?.toISOString()).toBe('2026-01-13T01:00:00.000Z');
  });

  it('no sources means any time', () => {
    expect(nextOperationStart([], at('2026-01-05T10:00:00Z'), 600)?.toISOString()).toBe('2026-01-05T10:00:00.000Z');
  });

  it("picks the cluster's node OS schedule first, then auto-upgrade, then default, else the spec's windows", () => {
    const id = clusterId('aks-1');
    const nodeOs = maintenanceConfiguration(id, 'aksManagedNodeOSUpgradeSchedule', { maintenanceWindow: { schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startTime: '03:00' } });
    const auto = maintenanceConfiguration(id, 'aksManagedAutoUpgradeSchedule', { maintenanceWindow: { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Sunday' } }, durationHours: 4, startTime: '03:00' } });
    const spec = { useClusterConfiguration: true, windows: [saturdayNight.kind === 'window' ? saturdayNight.window : {}] };
    expect(windowSourcesFor([auto, nodeOs], spec).map((s) => s.name)).toEqual(['aksManagedNodeOSUpgradeSchedule']);
    expect(windowSourcesFor([auto], spec).map((s) => s.name)).toEqual(['aksManagedAutoUpgradeSchedule']);
    expect(windowSourcesFor([], spec).map((s) => s.name)).toEqual(['spec window 1']);
    expect(windowSourcesFor([nodeOs], { useClusterConfiguration: false, windows: [] })).toEqual([]);
    expect(windowSourcesFor([nodeOs], undefined)).toEqual([]);
  });

  describe('properties', () => {
    const schedule = fc.oneof(
      fc.record({ daily: fc.record({ intervalDays: fc.integer({ min: 1, max: 7 }) }) }),
      fc.record({ weekly: fc.record({ intervalWeeks: fc.integer({ min: 1, max: 4 }), dayOfWeek: fc.constantFrom('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday') }) }),
      fc.record({ absoluteMonthly: fc.record({ intervalMonths: fc.integer({ min: 1, max: 6 }), dayOfMonth: fc.integer({ min: 1, max: 28 }) }) }),
      fc.record({ relativeMonthly: fc.record({ intervalMonths: fc.integer({ min: 1, max: 6 }), weekIndex: fc.constantFrom('First', 'Second', 'Third', 'Fourth', 'Last'), dayOfWeek: fc.constantFrom('Monday', 'Friday', 'Sunday') }) }),
    );
    const offset = fc.constantFrom('+00:00', '+01:00', '-08:00', '+05:30', '+14:00', '-11:00');
    const window = fc.record({
      schedule,
      durationHours: fc.integer({ min: 1, max: 24 }),
      startTime: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`),
      utcOffset: offset,
      startDate: fc.date({ min: new Date('2025-01-01'), max: new Date('2026-06-30') }).map((d) => d.toISOString().slice(0, 10)),
    }) as fc.Arbitrary<MaintenanceWindow>;
    const when = fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z') }).map((d) => new Date(Math.floor(d.getTime() / 60000) * 60000));
    const need = fc.integer({ min: 1, max: 24 * 60 });

    it('the next start is not before T, and the operation fits in one allowed interval from it', () => {
      fc.assert(
        fc.property(window, when, need, (w, t, minutes) => {
          const src = win(w);
          const next = nextOperationStart([src], t, minutes);
          if (!next) {
            // Only an operation longer than the window can find no start within the horizon.
            expect(minutes).toBeGreaterThan((w.durationHours ?? 0) * 60);
            return;
          }
          expect(next.getTime()).toBeGreaterThanOrEqual(t.getTime());
          const end = next.getTime() + minutes * 60_000;
          const merged = mergeIntervals(allowedIntervals(src, next.getTime() - 25 * HOUR, end + 25 * HOUR));
          expect(merged.some((i) => i.start <= next.getTime() && end <= i.end)).toBe(true);
          expect(operationAllowedAt([src], next, minutes)).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it('no earlier start fits: one minute before the answer (if after T) does not fit', () => {
      fc.assert(
        fc.property(window, when, need, (w, t, minutes) => {
          const src = win(w);
          const next = nextOperationStart([src], t, minutes);
          if (!next || next.getTime() === t.getTime()) return;
          const before = new Date(next.getTime() - 60_000);
          expect(operationAllowedAt([src], before, minutes)).toBe(false);
        }),
        { numRuns: 300 },
      );
    });

    it('windows start on the scheduled weekday in local time and last durationHours', () => {
      fc.assert(
        fc.property(
          fc.constantFrom('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'),
          offset,
          fc.integer({ min: 1, max: 12 }),
          when,
          (day, utcOffset, hours, t) => {
            const w: MaintenanceWindow = { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: day } }, durationHours: hours, startTime: '03:00', utcOffset };
            const intervals = allowedIntervals(win(w), t.getTime(), t.getTime() + 21 * 24 * HOUR);
            const sign = utcOffset.startsWith('-') ? -1 : 1;
            const off = sign * (Number(utcOffset.slice(1, 3)) * 60 + Number(utcOffset.slice(4, 6))) * 60_000;
            expect(intervals.length).toBeGreaterThanOrEqual(2);
            for (const i of intervals) {
              const local = new Date(i.start + off);
              expect(['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][local.getUTCDay()]).toBe(day);
              expect(local.getUTCHours()).toBe(3);
              expect(i.end - i.start).toBe(hours * HOUR);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
