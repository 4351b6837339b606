/**
 * The HTTP API (docs/http-api.md) through the local host against the simulator: a pipeline's view. Every route
 * needs the function key; a rollout started over HTTP runs (dry run, then a gated one approved over HTTP, then
 * one cancelled while it waits); results page with continuationToken; preflight returns `fleet assess` objects.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import { clusterId, kubenetCluster, nodeSubnetCluster, nsg, SUBSCRIPTION, vnet } from '../support/arm';
import { startHarness, until, type Harness } from './support/harness';

let h: Harness;
const FAILING = ['aks-f1', 'aks-f2'];

beforeAll(async () => {
  h = await startHarness(
    [nodeSubnetCluster({ name: 'aks-a' }), nodeSubnetCluster({ name: 'aks-b' }), nodeSubnetCluster({ name: 'aks-c' }), kubenetCluster({ name: 'legacy' }), ...FAILING.map((name) => nodeSubnetCluster({ name, resourceGroup: 'rg-fail' })), vnet(), nsg()],
    // Every operation on the rg-fail clusters ends Failed (as AKS reports UpgradeFailed & co.).
    { faults: `fail=1,scope=${FAILING.map((n) => clusterId(n, 'rg-fail')).join('|')}` },
  );
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const ROUTES: Array<[string, string]> = [
  ['GET', '/api/health'],
  ['GET', '/api/rollouts'],
  ['POST', '/api/rollouts'],
  ['GET', '/api/rollouts/some-id'],
  ['GET', '/api/rollouts/some-id/clusters'],
  ['POST', '/api/rollouts/some-id/approve'],
  ['POST', '/api/rollouts/some-id/resume'],
  ['POST', '/api/rollouts/some-id/cancel'],
  ['POST', '/api/preflight'],
  ['GET', '/api/remediation/decisions'],
];

const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  target: 'cilium',
  selector: { subscriptions: [SUBSCRIPTION] },
  stages: [{ name: 'all', maxConcurrency: 2 }],
  ...extra,
});

async function summaryWhen(id: string, ok: (b: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
  return until(what, async () => {
    const r = await h.call('GET', `/api/rollouts/${id}`);
    return r.status === 200 && ok(r.body) ? r.body : undefined;
  });
}

describe('authentication', () => {
  it.each(ROUTES)('%s %s refuses an anonymous call and a wrong key with 401, and starts nothing', async (method, route) => {
    const body = method === 'POST' ? spec('anon') : undefined;
    expect((await h.call(method, route, { key: null, ...(body ? { body } : {}) })).status).toBe(401);
    expect((await h.call(method, `${route}?code=not-the-key`, { key: null, ...(body ? { body } : {}) })).status).toBe(401);
    expect((await h.call(method, route, { key: 'wrong', ...(body ? { body } : {}) })).status).toBe(401);
    expect((await h.instances()).filter((i) => i.instanceId.startsWith('anon'))).toEqual([]);
  });

  it('accepts the key in the x-functions-key header or the code query parameter', async () => {
    const viaHeader = await h.call('GET', '/api/health');
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body).toMatchObject({ status: 'ok', taskHub: expect.any(String) });
    expect((await h.call('GET', `/api/health?code=${encodeURIComponent(h.host.functionKey)}`, { key: null })).status).toBe(200);
  });
});

describe('rollouts', () => {
  it('POST /api/rollouts with a valid spec → 202 with the id and status URLs; the dry run completes and its clusters page', async () => {
    const res = await h.call('POST', '/api/rollouts', { body: spec('dry', { dryRun: true }) });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    expect(id).toMatch(/^dry-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(res.body).toMatchObject({ status: 'pending', statusUri: `${h.host.baseUrl}/api/rollouts/${id}`, clustersUri: `${h.host.baseUrl}/api/rollouts/${id}/clusters`, cancelUri: `${h.host.baseUrl}/api/rollouts/${id}/cancel` });
    expect(res.headers.get('location')).toBe(`${h.host.baseUrl}/api/rollouts/${id}`);
    // The status URL answers with the key (it carries none itself).
    expect(res.body.statusUri).not.toContain('code=');
    const done = await summaryWhen(id, (b) => b.runtimeStatus === 'Completed', 'the dry run to complete');
    expect(done).toMatchObject({ id, name: 'dry', status: 'dryRun', target: 'cilium', total: 6, verdictCounts: { ready: 5, blocked: 1 } });

    // Paging: one cluster per page, following nextLink until it is absent, visits every cluster once.
    const seen: string[] = [];
    let next: string | undefined = `/api/rollouts/${id}/clusters?limit=1`;
    while (next) {
      const page = await h.call('GET', next.replace(h.host.baseUrl, ''));
      expect(page.status).toBe(200);
      const value = page.body.value as Array<{ name: string; verdict: string; result: string }>;
      expect(value).toHaveLength(1);
      seen.push(value[0].name);
      if (page.body.continuationToken) expect(page.body.nextLink).toContain(`continuationToken=${page.body.continuationToken as string}`);
      next = page.body.nextLink as string | undefined;
    }
    expect(seen.sort()).toEqual(['aks-a', 'aks-b', 'aks-c', 'aks-f1', 'aks-f2', 'legacy']);
    const blocked = await h.call('GET', `/api/rollouts/${id}/clusters?status=blocked`);
    expect(blocked.body.value).toEqual([expect.objectContaining({ name: 'legacy', verdict: 'blocked', result: 'blocked' })]);
    // A dry run writes nothing.
    expect(h.writes()).toEqual([]);
    // An edited continuation token is the client's problem: 400, not 500.
    expect((await h.call('GET', `/api/rollouts/${id}/clusters?continuationToken=bm90LWEta2V5`)).body).toMatchObject({ error: { code: 'InvalidContinuationToken', target: 'continuationToken' } });
  }, 60_000);

  it('an invalid spec → 400 listing every problem by field path, and nothing starts', async () => {
    const before = (await h.instances()).length;
    const res = await h.call('POST', '/api/rollouts', { body: { name: 'bad name!', target: 'flannel', selector: { subscriptions: [] }, stages: [{ name: 's', maxConcurrency: 0 }] } });
    expect(res.status).toBe(400);
    const error = res.body.error as { code: string; details: Array<{ target: string }> };
    expect(error.code).toBe('InvalidRolloutSpec');
    expect(error.details.map((d) => d.target)).toEqual(expect.arrayContaining(['name', 'target', 'selector.subscriptions', 'stages[0].maxConcurrency']));
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
    expect((await h.instances()).length).toBe(before);
  });

  it('an unknown rollout id → 404 on every rollout route', async () => {
    for (const [method, route] of ROUTES.filter(([, r]) => r.includes('some-id'))) {
      const res = await h.call(method, route.replace('some-id', 'no-such-rollout'));
      expect([method, route, res.status, (res.body.error as { code: string }).code]).toEqual([method, route, 404, 'NotFound']);
    }
  });

  it('a gated stage waits; approve over HTTP runs it through the simulator; resume/cancel of an ended rollout → 409', async () => {
    const res = await h.call('POST', '/api/rollouts', { body: spec('gated', { selector: { subscriptions: [SUBSCRIPTION], ids: [clusterId('aks-a')] }, stages: [{ name: 'canary', maxConcurrency: 1, approval: true }] }) });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const waiting = await summaryWhen(id, (b) => b.status === 'waitingForApproval', 'the approval gate');
    expect(waiting.waitingApprovals).toEqual([{ stage: 'canary' }]);
    expect(h.writes()).toEqual([]);
    expect((await h.call('POST', `/api/rollouts/${id}/resume`)).body).toMatchObject({ error: { code: 'NotHalted' } });
    expect((await h.call('POST', `/api/rollouts/${id}/approve`, { body: { stage: 'other' } })).status).toBe(409);
    const approved = await h.call('POST', `/api/rollouts/${id}/approve`, { body: { stage: 'canary' } });
    expect(approved.status).toBe(202);
    expect(approved.body).toMatchObject({ id, action: 'approve', accepted: true });
    const done = await summaryWhen(id, (b) => b.runtimeStatus === 'Completed', 'the approved rollout to complete');
    expect(done).toMatchObject({ status: 'completed', counts: { migrated: 1 } });
    const migrated = await h.call('GET', `/api/rollouts/${id}/clusters?status=migrated`);
    expect(migrated.body.value).toEqual([expect.objectContaining({ name: 'aks-a', result: 'migrated', plannedSteps: ['dataplane:cilium'] })]);
    // The migration wrote to aks-a only.
    expect(new Set(h.writes().filter((w) => w.resourceId.includes('/managedClusters/')).map((w) => w.resourceId.split('/')[8]))).toEqual(new Set(['aks-a']));
    expect((await h.call('POST', `/api/rollouts/${id}/cancel`)).body).toMatchObject({ error: { code: 'RolloutEnded' } });
  }, 60_000);

  it('cancel over HTTP while a stage waits for approval: the rollout ends cancelled and writes nothing', async () => {
    const writes = h.writes().length;
    const res = await h.call('POST', '/api/rollouts', { body: spec('tocancel', { selector: { subscriptions: [SUBSCRIPTION], ids: [clusterId('aks-b')] }, stages: [{ name: 'gate', maxConcurrency: 1, approval: true }] }) });
    const id = res.body.id as string;
    await summaryWhen(id, (b) => b.status === 'waitingForApproval', 'the approval gate');
    const cancelled = await h.call('POST', `/api/rollouts/${id}/cancel`, { body: { reason: 'change freeze' } });
    expect(cancelled.status).toBe(202);
    const done = await summaryWhen(id, (b) => b.runtimeStatus === 'Completed', 'the cancelled rollout to end');
    expect(done).toMatchObject({ status: 'cancelled' });
    expect(h.writes().length).toBe(writes);
  }, 60_000);
});

describe('failure budget', () => {
  it('halts when the budget is spent; resume over HTTP goes on with the next cluster', async () => {
    const res = await h.call('POST', '/api/rollouts', {
      body: spec('budget', { selector: { subscriptions: [SUBSCRIPTION], resourceGroups: ['rg-fail'] }, stages: [{ name: 'all', maxConcurrency: 1 }], failureBudget: { total: 0 } }),
    });
    const id = res.body.id as string;
    const halted = await summaryWhen(id, (b) => b.status === 'halted', 'the failure budget to halt the rollout');
    expect(halted).toMatchObject({ counts: { failed: 1 }, failureBudget: { totalLeft: 0 }, haltReason: expect.stringContaining('failure budget') });
    expect((await h.call('POST', `/api/rollouts/${id}/approve`)).body).toMatchObject({ error: { code: 'NotWaitingForApproval' } });
    const resumed = await h.call('POST', `/api/rollouts/${id}/resume`, { body: { reason: 'known flaky pool' } });
    expect(resumed.status).toBe(202);
    // The second cluster runs (and fails too: every operation in rg-fail does).
    await summaryWhen(id, (b) => (b.counts as { failed?: number }).failed === 2, 'the second cluster after resume');
    const failed = await h.call('GET', `/api/rollouts/${id}/clusters?status=failed`);
    expect((failed.body.value as Array<{ name: string; error?: { code: string } }>).map((c) => c.name).sort()).toEqual(FAILING);
  }, 60_000);
});

describe('preflight', () => {
  it('POST /api/preflight returns the fleet assess objects; an unknown cluster → 404 naming it', async () => {
    const res = await h.call('POST', '/api/preflight', { body: { ids: [clusterId('aks-c'), clusterId('legacy'), clusterId('AKS-C')], target: 'overlay+cilium' } });
    expect(res.status).toBe(200);
    const value = res.body.value as Array<{ name: string; verdict: string; steps: string[] }>;
    expect(value.map((a) => [a.name, a.verdict]).sort()).toEqual([
      ['aks-c', 'ready'],
      ['legacy', 'blocked'],
    ]);
    expect(value.find((a) => a.name === 'aks-c')?.steps).toEqual(['ipam:overlay', 'dataplane:cilium']);
    const missing = await h.call('POST', '/api/preflight', { body: { ids: [clusterId('aks-c'), clusterId('ghost')], target: 'cilium' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NotFound', target: 'ids[1]' } });
    // Preflight only reads.
    expect(h.writes().filter((w) => w.resourceId.includes('aks-c'))).toEqual([]);
  }, 60_000);
});

describe('GET /api/rollouts', () => {
  it('lists the rollouts started above newest first, pages them, filters by runtime status, and never lists a cluster migration', async () => {
    type Item = { id: string; name?: string; status: string; runtimeStatus: string; createdTime?: string; statusUri: string };
    const all = await h.call('GET', '/api/rollouts');
    expect(all.status).toBe(200);
    const items = all.body.value as Item[];
    // The rollouts the tests above started over HTTP (an invalid spec started nothing).
    expect(items.map((i) => i.name).sort()).toEqual(['budget', 'dry', 'gated', 'tocancel']);
    const created = items.map((i) => i.createdTime ?? '');
    expect(created).toEqual([...created].sort().reverse());
    expect(items.find((i) => i.name === 'gated')).toMatchObject({ status: 'completed', runtimeStatus: 'Completed', statusUri: `${h.host.baseUrl}/api/rollouts/${items.find((i) => i.name === 'gated')?.id}` });
    // The task hub also holds the clusters' sub-orchestrations; the list shows rollouts only.
    expect((await h.instances()).some((i) => i.name === 'clusterMigration')).toBe(true);
    expect(items.every((i) => /^(budget|dry|gated|tocancel)-\d{8}T\d{6}Z-[0-9a-f]{6}$/.test(i.id))).toBe(true);

    // One rollout a page: the same rollouts in the same order, following nextLink.
    const paged: string[] = [];
    let next: string | undefined = '/api/rollouts?limit=1';
    while (next) {
      const page = await h.call('GET', next.replace(h.host.baseUrl, ''));
      expect(page.status).toBe(200);
      paged.push(...(page.body.value as Item[]).map((i) => i.id));
      next = page.body.nextLink as string | undefined;
    }
    expect(paged).toEqual(items.map((i) => i.id));

    // The budget rollout waits, halted again, for resume or cancel (its orchestration is Running); the others have ended.
    const running = await h.call('GET', '/api/rollouts?status=Running');
    expect((running.body.value as Item[]).map((i) => [i.name, i.runtimeStatus])).toEqual([['budget', 'Running']]);
    const ended = await h.call('GET', '/api/rollouts?status=completed,failed,terminated');
    expect((ended.body.value as Item[]).map((i) => i.name).sort()).toEqual(['dry', 'gated', 'tocancel']);
  }, 60_000);

  it('lists a rollout started without the API (as the schedule timer or another Durable client does) once its first activity ran', async () => {
    // Straight through the Durable management API: the HTTP API never saw this start, so only the rollout's
    // first activity can have put it in the index.
    const id = 'direct:nightly:2026-11-21T02:00:00.000Z';
    const started = await fetch(`${h.host.baseUrl}/runtime/webhooks/durabletask/orchestrators/rollout/${encodeURIComponent(id)}`, {
      method: 'POST',
      headers: { 'x-functions-key': h.host.functionKey, 'content-type': 'application/json' },
      body: JSON.stringify({ spec: spec('nightly', { dryRun: true, selector: { subscriptions: [SUBSCRIPTION], ids: [clusterId('aks-c')] } }) }),
    });
    expect(started.status).toBe(202);
    const first = await until('the directly started rollout to be listed, completed', async () => {
      const r = await h.call('GET', '/api/rollouts?status=Completed&limit=1');
      const top = (r.body.value as Array<{ id: string; name?: string; status: string }>)[0];
      return top?.id === id ? top : undefined;
    });
    expect(first).toMatchObject({ id, name: 'nightly', status: 'dryRun', runtimeStatus: 'Completed', target: 'cilium', total: 1 });
    // Newest first: before every rollout the earlier tests started over HTTP.
    const all = ((await h.call('GET', '/api/rollouts')).body.value as Array<{ id: string }>).map((i) => i.id);
    expect([all.length, all[0]]).toEqual([5, id]);
  }, 60_000);
});
