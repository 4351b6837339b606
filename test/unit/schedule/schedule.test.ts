import { ScheduleError, planScheduledRollout, scheduledRolloutFromSettings, scheduledInstanceId, scheduledOccurrence, shouldStartScheduledRollout, validateNcrontab } from '../../../shared/schedule/schedule';

describe('NCRONTAB schedule setting', () => {
  it('accepts the six-field expressions Functions timers use', () => {
    for (const e of ['0 0 2 * * Sat', '0 */5 * * * *', ' 30 0 22 * * 1-5 ', '0 0 0 1 * *']) expect(validateNcrontab(e)).toBe(e.trim());
  });

  it('refuses five-field cron (minute first) although cron-parser would take it, and says what to write', () => {
    expect(() => validateNcrontab('0 2 * * 6')).toThrow(ScheduleError);
    expect(() => validateNcrontab('0 2 * * 6')).toThrow("AKSNET_ROLLOUT_SCHEDULE '0 2 * * 6' has 5 fields; Azure Functions timers need 6, seconds first");
  });

  it('refuses out-of-range values, unknown names and an empty setting with one clear line', () => {
    expect(() => validateNcrontab('0 61 * * * *')).toThrow(/'0 61 \* \* \* \*' is not a valid NCRONTAB expression: .*62|range/);
    expect(() => validateNcrontab('0 0 2 * * Caturday')).toThrow(/not a valid NCRONTAB expression/);
    expect(() => validateNcrontab(undefined)).toThrow('AKSNET_ROLLOUT_SCHEDULE is not set');
    expect(() => validateNcrontab('x', 'MY_SETTING')).toThrow(/^MY_SETTING 'x' has 1 fields/);
  });
});

describe('scheduled instance ids', () => {
  it('a timer fired twice for one occurrence (on time and late) yields one instance id', () => {
    const onTime = scheduledOccurrence('0 0 2 * * Sat', new Date('2026-11-21T02:00:00.000Z'));
    const late = scheduledOccurrence('0 0 2 * * Sat', new Date('2026-11-21T02:03:17.450Z'));
    expect(onTime.toISOString()).toBe('2026-11-21T02:00:00.000Z');
    expect(scheduledInstanceId('fleet-weekly', late)).toBe(scheduledInstanceId('fleet-weekly', onTime));
    expect(scheduledInstanceId('fleet-weekly', onTime)).toBe('scheduled:fleet-weekly:2026-11-21T02:00:00.000Z');
    const nextWeek = scheduledOccurrence('0 0 2 * * Sat', new Date('2026-11-28T02:00:01Z'));
    expect(scheduledInstanceId('fleet-weekly', nextWeek)).toBe('scheduled:fleet-weekly:2026-11-28T02:00:00.000Z');
  });

  it('refuses a spec name that cannot be part of an instance id', () => {
    expect(() => scheduledInstanceId('../etc', new Date())).toThrow(/cannot be part of an instance id/);
  });
});

describe('shouldStartScheduledRollout', () => {
  const id = 'scheduled:fleet-weekly:2026-11-28T02:00:00.000Z';
  it('does not start while the previous scheduled rollout is still active', () => {
    for (const runtimeStatus of ['Running', 'Pending', 'Suspended', 'ContinuedAsNew']) {
      const v = shouldStartScheduledRollout({ instanceId: 'scheduled:fleet-weekly:2026-11-21T02:00:00.000Z', runtimeStatus }, id);
      expect(v).toEqual({ start: false, reason: `the previous scheduled rollout scheduled:fleet-weekly:2026-11-21T02:00:00.000Z is still ${runtimeStatus}; not starting another until it ends` });
    }
  });

  it('starts when there was none or every previous one ended', () => {
    expect(shouldStartScheduledRollout(undefined, id)).toEqual({ start: true, reason: 'no previous scheduled rollout' });
    expect(shouldStartScheduledRollout([{ instanceId: 'scheduled:fleet-weekly:a', runtimeStatus: 'Completed' }, { instanceId: 'scheduled:fleet-weekly:b', runtimeStatus: 'Failed' }, { instanceId: 'scheduled:fleet-weekly:c', runtimeStatus: 'Terminated' }], id).start).toBe(true);
  });

  it('does not start a second time for the same occurrence, even when the first already completed', () => {
    const v = shouldStartScheduledRollout([{ instanceId: id, runtimeStatus: 'Completed' }], id);
    expect(v.start).toBe(false);
    expect(v.reason).toContain('the timer fired twice');
  });
});

describe('planScheduledRollout (what the timer trigger calls)', () => {
  const schedule = '0 0 2 * * Sat';
  it('names the instance to start, or why not', () => {
    const firedAt = new Date('2026-11-28T02:00:00.020Z');
    expect(planScheduledRollout({ schedule, specName: 'fleet-weekly', firedAt, previous: [] })).toEqual({
      start: true,
      instanceId: 'scheduled:fleet-weekly:2026-11-28T02:00:00.000Z',
      reason: 'no previous scheduled rollout',
    });
    const busy = planScheduledRollout({ schedule, specName: 'fleet-weekly', firedAt, previous: [{ instanceId: 'scheduled:fleet-weekly:2026-11-21T02:00:00.000Z', runtimeStatus: 'ContinuedAsNew' }] });
    expect(busy.start).toBe(false);
    // Instances of other specs do not hold this one back.
    expect(planScheduledRollout({ schedule, specName: 'fleet-weekly', firedAt, previous: [{ instanceId: 'scheduled:other:2026-11-21T02:00:00.000Z', runtimeStatus: 'Running' }] }).start).toBe(true);
  });
});

describe('scheduledRolloutFromSettings', () => {
  const spec = 'name: fleet-weekly\ntarget: overlay+cilium\nselector:\n  subscriptions: [6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d]\nstages:\n  - name: all\n    maxConcurrency: 5\n';
  it('reads the schedule and the spec text; an empty spec keeps the timer idle', () => {
    const c = scheduledRolloutFromSettings({ AKSNET_ROLLOUT_SCHEDULE: '0 0 2 * * 6', AKSNET_SCHEDULED_ROLLOUT_SPEC: spec });
    expect(c).toMatchObject({ idle: false, schedule: '0 0 2 * * 6', spec: { name: 'fleet-weekly', stages: [{ name: 'all', maxConcurrency: 5 }] } });
    expect(scheduledRolloutFromSettings({ AKSNET_ROLLOUT_SCHEDULE: '0 0 2 * * 6', AKSNET_SCHEDULED_ROLLOUT_SPEC: '' })).toEqual({ idle: true, reason: 'AKSNET_SCHEDULED_ROLLOUT_SPEC is empty: no scheduled rollout configured' });
  });
  it('names the setting and every problem of a bad spec or schedule', () => {
    expect(() => scheduledRolloutFromSettings({ AKSNET_ROLLOUT_SCHEDULE: '0 2 * * 6', AKSNET_SCHEDULED_ROLLOUT_SPEC: spec })).toThrow(/AKSNET_ROLLOUT_SCHEDULE '0 2 \* \* 6' has 5 fields/);
    expect(() => scheduledRolloutFromSettings({ AKSNET_ROLLOUT_SCHEDULE: '0 0 2 * * 6', AKSNET_SCHEDULED_ROLLOUT_SPEC: spec.replace('overlay+cilium', 'calico').replace('maxConcurrency: 5', 'maxConcurrency: 0') })).toThrow(
      /^AKSNET_SCHEDULED_ROLLOUT_SPEC: target: .*; stages\[0\]\.maxConcurrency: /,
    );
  });
});
