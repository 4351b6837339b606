import fc from 'fast-check';
import { ApiError } from '../../../shared/api/errors';
import { encodeRolloutListToken, newRolloutId, validateClusterId, validateContinuationToken, validateRolloutId, validateRolloutListToken, validateRuntimeStatusFilter, validateSince, validateTarget } from '../../../shared/api/validate';
import { scheduledInstanceId } from '../../../shared/schedule/schedule';
import { encodeToken } from '../../../shared/rollout/store';
import { SUB, clusterId } from './support';

const rejects = (f: () => unknown): ApiError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('accepted');
};

describe('validators', () => {
  it('cluster ids: accepts real ones (any case), trims a trailing slash', () => {
    expect(validateClusterId(`${clusterId('MC_rg-apps(1)', 'aks_prod-01')}/`, 'id')).toBe(clusterId('MC_rg-apps(1)', 'aks_prod-01'));
    expect(validateClusterId(clusterId('rg', 'a').replace('managedClusters', 'MANAGEDCLUSTERS'), 'id')).toContain('MANAGEDCLUSTERS/a');
    expect(validateClusterId(clusterId('rg-münchen', 'aks'), 'id')).toContain('rg-münchen');
  });

  it('cluster ids: refuses traversal, encoded separators, other types and bad names, naming the field', () => {
    for (const bad of [
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks/../../x/y`,
      `/subscriptions/${SUB}/resourceGroups/rg./providers/Microsoft.ContainerService/managedClusters/aks`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/-aks`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks/agentPools/p1`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${'a'.repeat(64)}`,
      `/subscriptions/${SUB}/resourceGroups/r%2Fg/providers/Microsoft.ContainerService/managedClusters/aks`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks\u202e`,
      42,
    ]) {
      const e = rejects(() => validateClusterId(bad, 'ids[3]'));
      expect([e.status, e.target]).toEqual([400, 'ids[3]']);
    }
  });

  it('any string is a valid cluster id or a 400 — and what passes has no dot segments', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.constantFrom('subscriptions', SUB, 'resourceGroups', 'rg', 'providers', 'Microsoft.ContainerService', 'managedClusters', 'aks', '..', '.', '%2e', ''), { maxLength: 10 }).map((p) => `/${p.join('/')}`)), (s) => {
        try {
          const id = validateClusterId(s, 'id');
          expect(id.split('/')).not.toContain('..');
          expect(id.split('/')).not.toContain('.');
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('rollout ids: the ids the API and the timer make are accepted', () => {
    const api = newRolloutId('fleet-overlay', new Date('2026-11-21T19:30:05.123Z'), 'A1B2C3D4');
    expect(api).toBe('fleet-overlay-20261121T193005Z-a1b2c3');
    expect(validateRolloutId(api)).toBe(api);
    const timer = scheduledInstanceId('fleet-weekly', new Date('2026-11-28T02:00:00Z'));
    expect(validateRolloutId(timer)).toBe(timer);
    expect(rejects(() => validateRolloutId('a/b')).code).toBe('InvalidRolloutId');
  });

  it('targets and dates', () => {
    expect(validateTarget('cilium')).toBe('cilium');
    expect(rejects(() => validateTarget('calico')).message).toBe("'target' must be one of overlay, cilium, overlay+cilium, not 'calico'.");
    expect(validateSince('2026-11-21')).toBe('2026-11-21T00:00:00.000Z');
    expect(rejects(() => validateSince('2026-13-45T00:00:00Z')).target).toBe('since');
  });

  it('continuation tokens: the store’s own pass; anything else is a 400, never an exception of another kind', () => {
    const good = encodeToken(clusterId('rg', 'aks').toLowerCase());
    expect(validateContinuationToken(good)).toBe(good);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => Buffer.from(s).toString('base64url'))), (t) => {
        try {
          validateContinuationToken(t);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect((e as ApiError).target).toBe('continuationToken');
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('GET /api/rollouts parameters', () => {
  it('status: runtime statuses in any letter case, comma-separated, each once, spelled as the runtime does', () => {
    expect(validateRuntimeStatusFilter(null)).toBeUndefined();
    expect(validateRuntimeStatusFilter('running')).toEqual(['Running']);
    expect(validateRuntimeStatusFilter('COMPLETED, failed,Completed')).toEqual(['Completed', 'Failed']);
    const e = rejects(() => validateRuntimeStatusFilter('Running,halted'));
    expect([e.status, e.target, e.message]).toEqual([400, 'status', expect.stringContaining("not 'halted'")]);
  });

  it('continuation tokens: every cursor a page can end on comes back the same; anything else is a 400 naming the token', () => {
    const rolloutIds = fc.oneof(
      fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.date({ min: new Date('2020-01-01'), max: new Date('2099-01-01'), noInvalidDate: true }), fc.stringMatching(/^[0-9a-f]{6}$/)).map(([n, d, hex]) => newRolloutId(n, d, hex)),
      fc.date({ min: new Date('2020-01-01'), max: new Date('2099-01-01'), noInvalidDate: true }).map((d) => scheduledInstanceId('nightly', d)),
    );
    const times = fc.date({ min: new Date('2000-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    fc.assert(
      fc.property(times, rolloutIds, (createdTime, id) => {
        expect(validateRolloutListToken(encodeRolloutListToken({ createdTime, id }))).toEqual({ createdTime, id });
      }),
    );
    for (const bad of ['x', 'bm90LWpzb24', Buffer.from('["2026-11-21T19:30:05Z","r1"]').toString('base64url'), Buffer.from('["","a/b"]').toString('base64url'), Buffer.from('["","r1"]').toString('base64url'), Buffer.from('{"t":"","i":"r1"}').toString('base64url')]) {
      const e = rejects(() => validateRolloutListToken(bad));
      expect([bad, e.status, e.code, e.target]).toEqual([bad, 400, 'InvalidContinuationToken', 'continuationToken']);
    }
  });
});
