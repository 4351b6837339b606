import { parseRouteTemplate } from '../../local/routeTemplate';
import { parseSchedule } from '../../local/timerTriggers';
import { computeNextDelay } from '../../local/orchestrationShim';

describe('HTTP route templates (ASP.NET syntax, as the Functions host reads `route`)', () => {
  test('parameters, optional segments, constraints, catch-all, case-insensitive literals', () => {
    const t = parseRouteTemplate('orchestrators/{name}/{instanceId?}');
    expect(t.match('/Orchestrators/Migrate')).toEqual({ name: 'Migrate' });
    expect(t.match('/orchestrators/Migrate/abc%20d')).toEqual({ name: 'Migrate', instanceId: 'abc d' });
    expect(t.match('/orchestrators')).toBeUndefined();
    expect(t.match('/orchestrators/a/b/c')).toBeUndefined();
    const c = parseRouteTemplate('clusters/{index:int}');
    expect(c.match('/clusters/42')).toEqual({ index: '42' });
    expect(c.match('/clusters/x')).toBeUndefined();
    expect(parseRouteTemplate('files/{*path}').match('/files/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(() => parseRouteTemplate('bad/{na-me}')).toThrow("Unsupported route segment '{na-me}' in 'bad/{na-me}'; use {name}, {name?}, {name:int} or {*rest}.");
  });
});

describe('timer schedules', () => {
  test('six-field NCRONTAB: seconds first', () => {
    const s = parseSchedule('0 */5 * * * *');
    expect(new Date(s.next(Date.parse('2026-01-01T10:02:30Z'))).toISOString()).toBe('2026-01-01T10:05:00.000Z');
    expect(new Date(parseSchedule('30 0 2 * * 1').next(Date.parse('2026-01-01T00:00:00Z'))).toISOString()).toBe('2026-01-05T02:00:30.000Z');
  });
  test('TimeSpan and %app setting%', () => {
    expect(parseSchedule('00:10:00').next(0)).toBe(600_000);
    expect(parseSchedule('1.00:00:00').next(0)).toBe(86_400_000);
    expect(parseSchedule('%SWEEP_SCHEDULE%', { SWEEP_SCHEDULE: '0 0 * * * *' }).describe).toBe('0 0 * * * *');
    expect(() => parseSchedule('%MISSING_SCHEDULE%', {})).toThrow('The timer schedule refers to app setting %MISSING_SCHEDULE% which is not set');
  });
  test('five fields are refused with the fix', () => {
    expect(() => parseSchedule('*/5 * * * *')).toThrow("must be an NCRONTAB expression with 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), e.g. '0 */5 * * * *'.");
  });
});

describe('retry delays (DurableTask.Core RetryInterceptor.ComputeNextDelay)', () => {
  test('first × backoff^attempt, capped, none past the retry timeout', () => {
    const o = { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 5, backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 5000 };
    expect([0, 1, 2, 3, 4].map((a) => computeNextDelay(o, a, 0, 0))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(computeNextDelay({ ...o, retryTimeoutInMilliseconds: 10_000 }, 1, 0, 9_999)).toBe(2000);
    expect(computeNextDelay({ ...o, retryTimeoutInMilliseconds: 10_000 }, 1, 0, 10_000)).toBe(0);
    expect(computeNextDelay({ firstRetryIntervalInMilliseconds: 250, maxNumberOfAttempts: 3 }, 2, 0, 0)).toBe(250);
  });
});
