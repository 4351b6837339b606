/**
 * The gateway's own settings are read strictly: a value the code would otherwise silently treat as the default is a
 * one-line error naming the setting and the fix (a typo in AKSNET_ARM_PACING must not leave pacing on unnoticed).
 */
import { armPacingFromEnv, clockScaleFromEnv } from '../../../shared/azure/clients';
import { GatewayConfigError } from '../../../shared/azure/target';

describe('AKSNET_ARM_PACING', () => {
  it.each([[{}, 'on'], [{ AKSNET_ARM_PACING: '' }, 'on'], [{ AKSNET_ARM_PACING: 'on' }, 'on'], [{ AKSNET_ARM_PACING: ' OFF ' }, 'off']])('%j → %s', (env, expected) => {
    expect(armPacingFromEnv(env)).toBe(expected);
  });

  it.each(['false', '0', 'no'])('refuses %s in one line naming the values it takes', (value) => {
    expect(() => armPacingFromEnv({ AKSNET_ARM_PACING: value })).toThrow(GatewayConfigError);
    expect(() => armPacingFromEnv({ AKSNET_ARM_PACING: value })).toThrow(new RegExp(`^AKSNET_ARM_PACING='${value}' is not 'on' or 'off': [^\\n]+$`));
  });
});

describe('AKSNET_CLOCK_SCALE', () => {
  it('reads a positive number, 1 when unset', () => {
    expect(clockScaleFromEnv({})).toBe(1);
    expect(clockScaleFromEnv({ AKSNET_CLOCK_SCALE: '1200' })).toBe(1200);
    expect(clockScaleFromEnv({ AKSNET_CLOCK_SCALE: '0.5' })).toBe(0.5);
  });

  it.each(['abc', '-2', '0', 'Infinity'])('refuses %s in one line', (value) => {
    expect(() => clockScaleFromEnv({ AKSNET_CLOCK_SCALE: value })).toThrow(new RegExp(`^AKSNET_CLOCK_SCALE='${value}' is not a positive number: [^\\n]+$`));
  });
});
