/**
 * `aksnet host start --db FILE` (local/main.ts): per-cluster results, locks and remediation decisions default to a
 * file beside the task hub, so a restarted host finds them (they were in memory before, and a restart mid-rollout
 * lost the plan).
 */
import * as path from 'node:path';
import { defaultResultsDb, hostAppSettings } from '../../../local/main';

describe('defaultResultsDb', () => {
  it('puts the results beside a task hub file', () => {
    expect(defaultResultsDb(path.join('/var', 'aksnet', 'hub.db'))).toBe(path.join('/var', 'aksnet', 'hub.results.db'));
    expect(defaultResultsDb('state/hub.sqlite')).toBe(path.join('state', 'hub.results.sqlite'));
    expect(defaultResultsDb('hub')).toBe('hub.results.db');
  });

  it('has none for an in-memory task hub', () => {
    expect(defaultResultsDb(undefined)).toBeUndefined();
    expect(defaultResultsDb(':memory:')).toBeUndefined();
  });
});

describe('hostAppSettings', () => {
  it('tells the app the clock scale, so the simulator answers Retry-After in host seconds', () => {
    expect(hostAppSettings('/tmp/hub.results.db', 1000)).toEqual({ AKSNET_RESULTS_DB: '/tmp/hub.results.db', AKSNET_CLOCK_SCALE: '1000' });
  });

  it('adds nothing for the wall clock or an in-memory store', () => {
    expect(hostAppSettings(undefined, 1)).toEqual({});
    expect(hostAppSettings(undefined, undefined)).toEqual({});
  });
});
