/**
 * Throttling and injected faults, seen through the real SDK clients: 429 + Retry-After (retried by the
 * SDK's own policy), the x-ms-ratelimit headers, per-principal buckets, 500/503/dropped connections
 * survived by the SDK's retries, and operations that fail, hang or meet a competing operation.
 */
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { FaultInjector, parseFaultSpec } from '../../sim/faults';
import { clusterId, nodeSubnetCluster, nsg, RESOURCE_GROUP, snapshotOf, SUBSCRIPTION, vnet } from '../support/arm';
import { clientsFor, request } from './simClients';

const RG = RESOURCE_GROUP;
const fleet = snapshotOf([nodeSubnetCluster({ name: 'a' }), nodeSubnetCluster({ name: 'b' }), vnet(), nsg()]);
const auth = (oid: string) => ({ authorization: `Bearer ${Buffer.from('{}').toString('base64url')}.${Buffer.from(JSON.stringify({ oid })).toString('base64url')}.x` });

describe('throttling', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ snapshot: fleet, timeScale: 0.0005, throttling: { reads: { bucket: 5, refillPerSecond: 2 }, writes: { bucket: 200, refillPerSecond: 10 } } });
  });
  afterAll(() => sim.stop());

  test('an empty read bucket answers 429 with Retry-After and the remaining-reads header; other principals have their own bucket', async () => {
    const path = `${clusterId('a')}?api-version=2026-04-01`;
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await request(sim, 'GET', path, undefined, auth('alice'));
      expect(r.status).toBe(200);
      remaining.push(String(r.headers['x-ms-ratelimit-remaining-subscription-reads']));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const throttled = await request(sim, 'GET', path, undefined, auth('alice'));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(throttled.body).toMatchObject({ error: { code: 'SubscriptionRequestsThrottled' } });
    expect((await request(sim, 'GET', path, undefined, auth('bob'))).status).toBe(200);
  });

  test('the SDK waits out Retry-After and succeeds', async () => {
    const { cs } = clientsFor(sim, SUBSCRIPTION, { oid: 'carol' });
    const t0 = Date.now();
    const names: string[] = [];
    for (let i = 0; i < 7; i++) names.push((await cs.managedClusters.get(RG, 'a')).name!);
    expect(names).toEqual(Array(7).fill('a'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  test('Resource Graph allows 15 queries per 5 s per principal and says so in x-ms-user-quota-*', async () => {
    const body = { subscriptions: [SUBSCRIPTION], query: "Resources | where type =~ 'microsoft.containerservice/managedclusters'" };
    const path = '/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01';
    let last;
    for (let i = 0; i < 15; i++) {
      last = await request(sim, 'POST', path, body, auth('dave'));
      expect(last.status).toBe(200);
    }
    expect(last!.headers['x-ms-user-quota-remaining']).toBe('0');
    expect(last!.headers['x-ms-user-quota-resets-after']).toMatch(/^00:00:0[0-5]$/);
    const throttled = await request(sim, 'POST', path, body, auth('dave'));
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ error: { code: 'RateLimiting' } });
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  test('throttling can be turned off', async () => {
    await request(sim, 'PUT', '/__sim/settings', { throttling: false });
    try {
      for (let i = 0; i < 10; i++) expect((await request(sim, 'GET', `${clusterId('b')}?api-version=2026-04-01`, undefined, auth('erin'))).status).toBe(200);
    } finally {
      await request(sim, 'PUT', '/__sim/settings', { throttling: true });
    }
  });
});

describe('faults', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ snapshot: fleet, timeScale: 0.0005, faults: '500=0.1,503=0.1,drop=0.05,seed=42' });
  });
  afterAll(() => sim.stop());
  const setFaults = (spec: string) => request(sim, 'PUT', '/__sim/faults', { spec });

  test('500s, 503s and dropped connections are injected and the SDK survives them through its retries', async () => {
    const { cs } = clientsFor(sim, SUBSCRIPTION);
    for (let i = 0; i < 6; i++) expect((await cs.managedClusters.get(RG, 'a')).name).toBe('a');
    const statuses = new Set<number>();
    let drops = 0;
    for (let i = 0; i < 80; i++) {
      try {
        statuses.add((await request(sim, 'GET', `${clusterId('a')}?api-version=2026-04-01`, undefined, auth('x'))).status);
      } catch {
        drops++;
      }
    }
    expect([...statuses].sort()).toEqual([200, 500, 503]);
    expect(drops).toBeGreaterThan(0);
  }, 60_000);

  test('operations that end Failed surface as the poller error', async () => {
    await setFaults('fail=1');
    const { cs } = clientsFor(sim, SUBSCRIPTION);
    const mc = await cs.managedClusters.get(RG, 'a');
    await expect(cs.managedClusters.createOrUpdate(RG, 'a', { ...mc, tags: { x: '1' } }, { updateIntervalInMs: 100 }).pollUntilDone()).rejects.toThrow(/UpgradeFailed.*UnsatisfiablePDB/);
    expect((await cs.managedClusters.get(RG, 'a')).provisioningState).toBe('Failed');
  });

  test('operations that never finish stay InProgress, and block the next write with 409', async () => {
    await setFaults('hang=1');
    const { cs } = clientsFor(sim, SUBSCRIPTION);
    const mc = await cs.managedClusters.get(RG, 'b');
    const poller = cs.managedClusters.createOrUpdate(RG, 'b', { ...mc, tags: { x: '1' } }, { updateIntervalInMs: 100 });
    await poller.submitted();
    await new Promise((r) => setTimeout(r, 1500));
    await poller.poll();
    expect(poller.isDone).toBe(false);
    expect(poller.operationState?.status).toBe('running');
    await setFaults('');
    const again = await cs.managedClusters.get(RG, 'b');
    await expect(cs.managedClusters.createOrUpdate(RG, 'b', again).pollUntilDone()).rejects.toMatchObject({ statusCode: 409, code: 'OperationNotAllowed' });
  });

  test('a competing operation appears mid-rollout (409) and only on the clusters in scope', async () => {
    await setFaults(`conflict=1,scope=${clusterId('a')}`);
    const { cs } = clientsFor(sim, SUBSCRIPTION);
    const mc = await cs.managedClusters.get(RG, 'a');
    await expect(cs.managedClusters.createOrUpdate(RG, 'a', { ...mc, tags: { y: '1' } }).pollUntilDone()).rejects.toMatchObject({ statusCode: 409, code: 'OperationNotAllowed' });
    const ops = (await request(sim, 'GET', '/__sim/operations')).body as { value: Array<{ principal: string; result: { status: number; code?: string } }> };
    expect(ops.value.some((e) => e.principal === 'aks-auto-upgrade')).toBe(true);
    expect(ops.value[ops.value.length - 1].result).toMatchObject({ status: 409, code: 'OperationNotAllowed' });
    await setFaults('');
  });

  test('the fault spec is validated with one clear line', () => {
    expect(parseFaultSpec('500=0.05,latency=200@0.5,seed=3,scope=/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/a|/subscriptions/s/x')).toEqual({
      error500: 0.05,
      latencyMs: 200,
      latencyRate: 0.5,
      seed: 3,
      scope: ['/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/a', '/subscriptions/s/x'],
    });
    expect(() => parseFaultSpec('500=5')).toThrow("fault '500=5': the rate must be a number between 0 and 1 (e.g. 500=0.05)");
    expect(() => parseFaultSpec('boom=1')).toThrow(/unknown fault 'boom'/);
  });

  test('faults are deterministic for a seed', () => {
    const decisions = (spec: string) => {
      const f = new FaultInjector(parseFaultSpec(spec));
      return Array.from({ length: 200 }, () => {
        const r = f.forRequest(undefined);
        return r.drop ? 'drop' : String(r.status ?? 200);
      }).join(',');
    };
    expect(decisions('500=0.2,503=0.1,drop=0.1,seed=9')).toBe(decisions('500=0.2,503=0.1,drop=0.1,seed=9'));
    expect(decisions('500=0.2,503=0.1,drop=0.1,seed=9')).not.toBe(decisions('500=0.2,503=0.1,drop=0.1,seed=10'));
  });

  test('the admin endpoint rejects a bad spec with 400', async () => {
    const r = await setFaults('drop=yes');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { message: expect.stringContaining('drop=yes') } });
  });
});

describe('latency', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ snapshot: fleet, latencyMs: 1000, throttling: false });
  });
  afterAll(() => sim.stop());

  test('every ARM request waits latencyMs and a latency fault adds to it; the admin API does not wait', async () => {
    const path = `${clusterId('a')}?api-version=2026-04-01`;
    let t = Date.now();
    expect((await request(sim, 'GET', path, undefined, auth('l'))).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(990);
    t = Date.now();
    await request(sim, 'GET', '/__sim/faults');
    expect(Date.now() - t).toBeLessThan(900);
    await request(sim, 'PUT', '/__sim/faults', { spec: 'latency=500' });
    t = Date.now();
    await request(sim, 'GET', path, undefined, auth('l'));
    expect(Date.now() - t).toBeGreaterThanOrEqual(1490);
    await request(sim, 'PUT', '/__sim/settings', { latencyMs: 0 });
    await request(sim, 'PUT', '/__sim/faults', { spec: '' });
    t = Date.now();
    await request(sim, 'GET', path, undefined, auth('l'));
    expect(Date.now() - t).toBeLessThan(900);
  });
});
