import fc from 'fast-check';
import { handleApiRequest, type ApiRequest } from '../../../shared/api/api';
import { encodeToken, type RolloutClusterRecord } from '../../../shared/rollout/store';
import { armIdKey } from '../../../shared/arm/id';
import { MemoryDecisionStore } from '../../../shared/remediation/store';
import type { InstanceStatus } from '../../../shared/api/summary';
import { SPEC, SUB, assessment, clusterId, fakePorts, indexInstances, report } from './support';

const BASE = 'https://aksnet-fn.azurewebsites.net';
const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): ApiRequest => ({
  method: 'POST',
  url: `${BASE}${path}?code=secret-key`,
  headers,
  bodyText: typeof body === 'string' ? body : JSON.stringify(body),
});
const get = (path: string): ApiRequest => ({ method: 'GET', url: `${BASE}${path}`, headers: {} });
type ErrorBody = { error: { code: string; message: string; target?: string; details?: Array<{ code: string; target?: string; message: string }> } };
const errorOf = (res: { jsonBody?: unknown }): ErrorBody['error'] => (res.jsonBody as ErrorBody).error;

describe('POST /api/rollouts', () => {
  it('starts the rollout under a new id and answers 202 with the status URLs', async () => {
    const { ports, rec } = fakePorts();
    const res = await handleApiRequest(post('/api/rollouts', SPEC), ports);
    expect(res.status).toBe(202);
    const body = res.jsonBody as Record<string, string>;
    expect(body.id).toBe('fleet-overlay-20261121T193005Z-a1b2c3');
    expect(body.statusUri).toBe(`${BASE}/api/rollouts/fleet-overlay-20261121T193005Z-a1b2c3`);
    expect(body.clustersUri).toBe(`${body.statusUri}/clusters`);
    expect(res.headers.location).toBe(body.statusUri);
    // The function key is a secret: it is never echoed into links.
    expect(JSON.stringify(res)).not.toContain('secret-key');
    expect(rec.starts).toHaveLength(1);
    expect(rec.starts[0].spec.stages[0].name).toBe('canary');
  });

  it('registers the rollout in the index before starting it, so the list shows it at once; a failed index write starts nothing', async () => {
    const { ports, rec, store } = fakePorts();
    await handleApiRequest(post('/api/rollouts', SPEC), ports);
    expect(await store.listRollouts()).toEqual({ items: [{ rolloutId: 'fleet-overlay-20261121T193005Z-a1b2c3', name: 'fleet-overlay', target: 'overlay+cilium', createdAt: '2026-11-21T19:30:05.123Z' }] });
    const listed = (await handleApiRequest(get('/api/rollouts'), ports)).jsonBody as { value: Array<Record<string, unknown>> };
    // Pending, no report yet: name and target come from the index.
    expect(listed.value).toEqual([{ id: 'fleet-overlay-20261121T193005Z-a1b2c3', name: 'fleet-overlay', status: 'pending', runtimeStatus: 'Pending', target: 'overlay+cilium', counts: {}, statusUri: `${BASE}/api/rollouts/fleet-overlay-20261121T193005Z-a1b2c3` }]);

    const broken = fakePorts();
    broken.ports.results = {
      listClusters: (id, q) => broken.store.listClusters(id, q),
      listRollouts: (q) => broken.store.listRollouts(q),
      registerRollout: async () => {
        throw new Error('table storage unavailable');
      },
    };
    const res = await handleApiRequest(post('/api/rollouts', SPEC), broken.ports);
    expect(res.status).toBe(500);
    expect(broken.rec.starts).toEqual([]);
    expect(rec.starts).toHaveLength(1);
  });

  it('lists every problem of an invalid spec by field path and starts nothing', async () => {
    const { ports, rec } = fakePorts();
    const bad = { ...SPEC, target: 'calico', stages: [{ name: 'a', maxConcurrency: 0 }, { name: 'a', maxConcurrency: 1, colour: 'red' }] };
    const res = await handleApiRequest(post('/api/rollouts', bad), ports);
    expect(res.status).toBe(400);
    const err = errorOf(res);
    expect(err.code).toBe('InvalidRolloutSpec');
    const targets = (err.details ?? []).map((d) => d.target);
    expect(targets).toEqual(expect.arrayContaining(['target', 'stages[0].maxConcurrency', 'stages[1]']));
    expect(err.details?.find((d) => d.target === 'stages[1]')?.message).toContain("'colour'");
    expect(rec.starts).toHaveLength(0);
  });

  it('refuses a missing body, a non-JSON content type and malformed JSON, naming the problem', async () => {
    const { ports, rec } = fakePorts();
    const empty = await handleApiRequest(post('/api/rollouts', ''), ports);
    expect([empty.status, errorOf(empty).code]).toEqual([400, 'MissingBody']);
    const yaml = await handleApiRequest(post('/api/rollouts', 'name: x', { 'content-type': 'text/plain' }), ports);
    expect([yaml.status, errorOf(yaml).code, errorOf(yaml).target]).toEqual([415, 'UnsupportedMediaType', 'content-type']);
    const broken = await handleApiRequest(post('/api/rollouts', '{"name": "x",'), ports);
    expect(broken.status).toBe(400);
    expect(errorOf(broken).code).toBe('InvalidJson');
    expect(errorOf(broken).message).toMatch(/^The request body is not valid JSON: /);
    expect(rec.starts).toHaveLength(0);
  });

  it('answers 413 for a body over 256 KiB and starts nothing', async () => {
    const { ports, rec } = fakePorts();
    const huge = { ...SPEC, selector: { subscriptions: [SUB], tags: { pad: 'x'.repeat(300 * 1024) } } };
    const res = await handleApiRequest(post('/api/rollouts', huge), ports);
    expect(res.status).toBe(413);
    expect(errorOf(res).message).toContain('262144 bytes');
    expect(rec.starts).toHaveLength(0);
  });

  it('refuses JSON nested deeper than 32 levels, even 100,000 deep, without a stack overflow', async () => {
    const { ports, rec } = fakePorts();
    for (const depth of [33, 100_000]) {
      const res = await handleApiRequest(post('/api/rollouts', `${'['.repeat(depth)}${']'.repeat(depth)}`), ports);
      expect([res.status, errorOf(res).code]).toEqual([400, 'BodyTooDeep']);
    }
    const ok32 = await handleApiRequest(post('/api/preflight', `${'['.repeat(32)}${']'.repeat(32)}`), ports);
    expect(errorOf(ok32).code).toBe('InvalidRequestBody');
    const deep = { ...SPEC, selector: { subscriptions: [SUB], tags: {} as Record<string, unknown> } };
    let node: Record<string, unknown> = deep.selector.tags;
    for (let i = 0; i < 40; i++) node = node.t = {} as Record<string, unknown>;
    const res = await handleApiRequest(post('/api/rollouts', deep), ports);
    expect([res.status, errorOf(res).code]).toEqual([400, 'BodyTooDeep']);
    // Brackets inside strings do not count as nesting.
    const inString = await handleApiRequest(post('/api/rollouts', { ...SPEC, selector: { subscriptions: [SUB], tags: { x: '['.repeat(100) } } }), ports);
    expect(inString.status).toBe(202);
    expect(rec.starts).toHaveLength(1);
  });

  it('refuses prototype-pollution keys naming the field, and Object.prototype stays clean', async () => {
    const { ports, rec } = fakePorts();
    const text = JSON.stringify(SPEC).replace('"selector":{', '"selector":{"__proto__":{"polluted":true},');
    const res = await handleApiRequest(post('/api/rollouts', text), ports);
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'ForbiddenKey', target: 'selector.__proto__' });
    const ctor = await handleApiRequest(post('/api/rollouts', { ...SPEC, stages: [{ name: 'a', maxConcurrency: 1, constructor: { prototype: {} } }] }), ports);
    expect(errorOf(ctor)).toMatchObject({ code: 'ForbiddenKey', target: 'stages[0].constructor' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(rec.starts).toHaveLength(0);
  });

  it('never puts a stack trace or internal error text in the response', async () => {
    const { ports, rec } = fakePorts();
    ports.rollouts.start = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.4:443 at TableClient.createEntity (/home/site/wwwroot/node_modules/x.js:1:1)');
    };
    const res = await handleApiRequest(post('/api/rollouts', SPEC), ports);
    expect(res.status).toBe(500);
    expect(errorOf(res).code).toBe('InternalError');
    const text = JSON.stringify(res.jsonBody);
    expect(text).not.toMatch(/ECONNREFUSED|node_modules|at \w+|10\.0\.0\.4/);
    expect(rec.logs.join('\n')).toContain('ECONNREFUSED');
  });
});

describe('GET /api/rollouts/{id}', () => {
  const ID = 'fleet-overlay-20261121T193005Z-a1b2c3';

  it('shapes the summary from the custom status: stages, verdict counts, budget left, waiting approvals', async () => {
    const { ports } = fakePorts({ [ID]: { instanceId: ID, runtimeStatus: 'Running', customStatus: report('waitingForApproval') } });
    const res = await handleApiRequest(get(`/api/rollouts/${ID}`), ports);
    expect(res.status).toBe(200);
    expect(res.headers['retry-after']).toBe('10');
    expect(res.jsonBody).toMatchObject({
      id: ID,
      status: 'waitingForApproval',
      runtimeStatus: 'Running',
      stages: [
        { name: 'canary', status: 'done', size: 1, counts: { migrated: 1 } },
        { name: 'rest', status: 'running', size: 9, counts: {} },
      ],
      verdictCounts: { ready: 10, blocked: 1, compliant: 1 },
      failureBudget: { perStageLeft: null, totalLeft: 2 },
      waitingApprovals: [{ stage: 'rest' }],
    });
  });

  it('reports a failed or terminated instance as such, from its output when it ended', async () => {
    const { ports } = fakePorts({
      done: { instanceId: 'done', runtimeStatus: 'Completed', customStatus: report('running'), output: report('completed', { failureBudgetLeft: 1 }) },
      dead: { instanceId: 'dead', runtimeStatus: 'Terminated', customStatus: report('running') },
      early: { instanceId: 'early', runtimeStatus: 'Running', customStatus: { id: 'early', name: 'x', status: 'running', phase: 'discovering' } },
      junk: { instanceId: 'junk', runtimeStatus: 'Running', customStatus: 'not an object' },
    });
    const done = await handleApiRequest(get('/api/rollouts/done'), ports);
    expect(done.jsonBody).toMatchObject({ status: 'completed', failureBudget: { totalLeft: 1 } });
    expect(done.headers['retry-after']).toBeUndefined();
    expect((await handleApiRequest(get('/api/rollouts/dead'), ports)).jsonBody).toMatchObject({ status: 'terminated', waitingApprovals: [] });
    expect((await handleApiRequest(get('/api/rollouts/early'), ports)).jsonBody).toMatchObject({ status: 'running', phase: 'discovering', stages: [] });
    expect((await handleApiRequest(get('/api/rollouts/junk'), ports)).status).toBe(200);
  });

  it('answers 404 for an unknown id and 400 for ids that are not rollout ids', async () => {
    const { ports } = fakePorts();
    const res = await handleApiRequest(get('/api/rollouts/nope-20261121T000000Z-000000'), ports);
    expect([res.status, errorOf(res).code, errorOf(res).target]).toEqual([404, 'NotFound', 'id']);
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', '%00abc', 'a%5Cb', '-leading-dash', 'x'.repeat(201), 'a..b']) {
      const r = await handleApiRequest(get(`/api/rollouts/${bad}`), ports);
      expect([bad, r.status, errorOf(r).code]).toEqual([bad, 400, 'InvalidRolloutId']);
      expect(errorOf(r).message).not.toMatch(/[\u0000-\u001f]/); // eslint-disable-line no-control-regex
    }
    // Dot segments are resolved by URL parsing before routing: they never reach a handler as an id.
    const dots = await handleApiRequest(get('/api/rollouts/../../admin'), ports);
    expect(dots.status).toBe(404);
    expect(errorOf(dots).target).toBe('path');
  });
});

describe('GET /api/rollouts', () => {
  // Five rollouts created a minute apart (r0 oldest), two of them at the same instant to test the tie-break.
  const at = (min: number): string => new Date(Date.UTC(2026, 10, 21, 19, min)).toISOString();
  const fleet = (): Record<string, InstanceStatus> => ({
    'r0-20261121T190000Z-000000': { instanceId: 'r0-20261121T190000Z-000000', runtimeStatus: 'Completed', customStatus: report('running'), output: report('completed', { name: 'r0' }), createdTime: at(0), lastUpdatedTime: at(9) },
    'r1-20261121T190100Z-111111': { instanceId: 'r1-20261121T190100Z-111111', runtimeStatus: 'Failed', createdTime: at(1) },
    'r2-20261121T190200Z-222222': { instanceId: 'r2-20261121T190200Z-222222', runtimeStatus: 'Running', customStatus: report('waitingForApproval', { name: 'r2' }), createdTime: at(2) },
    'r3-20261121T190200Z-333333': { instanceId: 'r3-20261121T190200Z-333333', runtimeStatus: 'Running', customStatus: report('halted', { name: 'r3' }), createdTime: at(2) },
    'r4-20261121T190400Z-444444': { instanceId: 'r4-20261121T190400Z-444444', runtimeStatus: 'Pending', createdTime: at(4) },
  });
  const NEWEST_FIRST = ['r4-20261121T190400Z-444444', 'r3-20261121T190200Z-333333', 'r2-20261121T190200Z-222222', 'r1-20261121T190100Z-111111', 'r0-20261121T190000Z-000000'];
  type ListBody = { value: Array<Record<string, unknown>>; continuationToken?: string; nextLink?: string };

  /** Ports over the fleet, every rollout of it in the index. */
  async function indexedFleet(instances = fleet()): Promise<ReturnType<typeof fakePorts>> {
    const f = fakePorts(instances);
    await indexInstances(f.store, instances);
    return f;
  }

  it('lists the rollouts newest first, each with its status, name, target, counts and status link', async () => {
    const { ports } = await indexedFleet();
    const res = await handleApiRequest(get('/api/rollouts'), ports);
    expect(res.status).toBe(200);
    const body = res.jsonBody as ListBody;
    expect(body.value.map((r) => r.id)).toEqual(NEWEST_FIRST);
    expect(body.continuationToken).toBeUndefined();
    expect(body.value[1]).toEqual({
      id: 'r3-20261121T190200Z-333333',
      name: 'r3',
      status: 'halted',
      runtimeStatus: 'Running',
      target: 'overlay+cilium',
      total: 12,
      counts: { blocked: 1, compliant: 1, migrated: 1 },
      createdTime: at(2),
      statusUri: `${BASE}/api/rollouts/r3-20261121T190200Z-333333`,
    });
    // An ended rollout shows its final report; a failed orchestration says so whatever its report said.
    expect(body.value.find((r) => String(r.id).startsWith('r0'))).toMatchObject({ status: 'completed', runtimeStatus: 'Completed', lastUpdatedTime: at(9) });
    expect(body.value.find((r) => String(r.id).startsWith('r1'))).toMatchObject({ name: 'r1', status: 'failed', runtimeStatus: 'Failed' });
  });

  it('pages with limit and continuationToken: every rollout once, in order, one status call per listed rollout, the token never echoing the key', async () => {
    const { ports, rec } = await indexedFleet();
    const seen: string[] = [];
    let next: string | undefined = '/api/rollouts?limit=2';
    let pages = 0;
    while (next) {
      const before = rec.statusCalls.length;
      const res = await handleApiRequest({ method: 'GET', url: `${BASE}${next.replace(BASE, '')}&code=secret-key`, headers: {} }, ports);
      expect(res.status).toBe(200);
      const body = res.jsonBody as ListBody;
      expect(body.value.length).toBeLessThanOrEqual(2);
      // The cost of a page is its own rollouts' statuses: nothing else of the task hub is read.
      expect(rec.statusCalls.slice(before)).toEqual(body.value.map((r) => r.id));
      seen.push(...body.value.map((r) => String(r.id)));
      expect(JSON.stringify(body)).not.toContain('secret-key');
      next = body.nextLink;
      if (next) expect(next).toBe(`${BASE}/api/rollouts?limit=2&continuationToken=${body.continuationToken}`);
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(NEWEST_FIRST);
  });

  it('costs one status call per listed rollout however many instances the task hub holds', async () => {
    // 3 rollouts, and the task hub full of their cluster migrations (10,000 instances the list must not read).
    const instances = fleet();
    for (let i = 0; i < 10_000; i++) {
      const id = `r4-20261121T190400Z-444444:${clusterId('rg', `aks-${i}`).toLowerCase()}`;
      instances[id] = { instanceId: id, runtimeStatus: 'Completed', createdTime: at(5) };
    }
    const { ports, rec, store } = fakePorts(instances);
    await indexInstances(store, fleet());
    const res = await handleApiRequest(get('/api/rollouts?limit=3'), ports);
    expect((res.jsonBody as ListBody).value.map((r) => r.id)).toEqual(NEWEST_FIRST.slice(0, 3));
    expect(rec.statusCalls).toEqual(NEWEST_FIRST.slice(0, 3));
  });

  it('filters by runtime status, any letter case, several comma-separated, reading on until the page is full', async () => {
    const { ports, rec } = await indexedFleet();
    const running = (await handleApiRequest(get('/api/rollouts?status=running'), ports)).jsonBody as ListBody;
    expect(running.value.map((r) => r.status)).toEqual(['halted', 'waitingForApproval']);
    expect(running.continuationToken).toBeUndefined();
    const ended = (await handleApiRequest(get('/api/rollouts?status=Completed,Failed&limit=1'), ports)).jsonBody as ListBody;
    expect(ended.value.map((r) => r.runtimeStatus)).toEqual(['Failed']);
    expect(ended.nextLink).toContain('status=Completed%2CFailed');
    rec.statusCalls.length = 0;
    const last = (await handleApiRequest(get(ended.nextLink!.replace(BASE, '')), ports)).jsonBody as ListBody;
    expect([last.value.map((r) => r.runtimeStatus), last.continuationToken]).toEqual([['Completed'], undefined]);
    expect(rec.statusCalls).toEqual(['r0-20261121T190000Z-000000']);
  });

  it('reads at most maxRolloutsScanned index rows a call: a filtered page may be short, even empty, with a token to go on', async () => {
    const { ports, rec } = await indexedFleet();
    const options = { maxRolloutsScanned: 2 };
    const pages: Array<{ value: unknown[]; calls: number }> = [];
    const found: string[] = [];
    let next: string | undefined = '/api/rollouts?status=Completed&limit=1';
    while (next) {
      const before = rec.statusCalls.length;
      const body = (await handleApiRequest(get(next.replace(BASE, '')), ports, options)).jsonBody as ListBody;
      pages.push({ value: body.value, calls: rec.statusCalls.length - before });
      found.push(...body.value.map((r) => String(r.id)));
      next = body.nextLink;
    }
    // limit 1, at most 2 rows a call: r4,r3 | r2,r1 | r0 — the only Completed one is the oldest.
    expect(pages.map((p) => [p.value.length, p.calls])).toEqual([
      [0, 2],
      [0, 2],
      [1, 1],
    ]);
    expect(found).toEqual(['r0-20261121T190000Z-000000']);
  });

  it('leaves out rollouts whose instance is gone (purged) and never an index row without one', async () => {
    const instances = fleet();
    const { ports } = await indexedFleet(instances);
    delete instances['r3-20261121T190200Z-333333'];
    const body = (await handleApiRequest(get('/api/rollouts?limit=3'), ports)).jsonBody as ListBody;
    // The page is filled from the next index rows.
    expect(body.value.map((r) => r.id)).toEqual(['r4-20261121T190400Z-444444', 'r2-20261121T190200Z-222222', 'r1-20261121T190100Z-111111']);
    expect(body.continuationToken).toBeDefined();
  });

  it('refuses an unknown status, an edited token and a bad limit with 400 naming the parameter, and reads nothing', async () => {
    const { ports, rec } = await indexedFleet();
    const cases: Array<[string, string, string]> = [
      ['/api/rollouts?status=waiting', 'InvalidParameter', 'status'],
      ['/api/rollouts?status=Running,,', 'InvalidParameter', 'status'],
      ['/api/rollouts?continuationToken=bm90LWEtdG9rZW4', 'InvalidContinuationToken', 'continuationToken'],
      [`/api/rollouts?continuationToken=${Buffer.from(JSON.stringify(['2026-11-21T19:02:00.000Z', '../etc'])).toString('base64url')}`, 'InvalidContinuationToken', 'continuationToken'],
      [`/api/rollouts?continuationToken=${Buffer.from(JSON.stringify(['yesterday', 'r1'])).toString('base64url')}`, 'InvalidContinuationToken', 'continuationToken'],
      [`/api/rollouts?continuationToken=${Buffer.from(JSON.stringify(['', 'r1'])).toString('base64url')}`, 'InvalidContinuationToken', 'continuationToken'],
      [`/api/rollouts?continuationToken=${encodeToken(clusterId('rg', 'aks-1').toLowerCase())}`, 'InvalidContinuationToken', 'continuationToken'],
      ['/api/rollouts?limit=0', 'InvalidParameter', 'limit'],
    ];
    for (const [path, code, target] of cases) {
      const res = await handleApiRequest(get(path), ports);
      expect([path, res.status, errorOf(res).code, errorOf(res).target]).toEqual([path, 400, code, target]);
    }
    expect(errorOf(await handleApiRequest(get('/api/rollouts?status=waiting'), ports)).message).toBe(
      "'status' must be one or more of Pending, Running, Suspended, ContinuedAsNew, Completed, Failed, Canceled, Terminated (comma-separated), not 'waiting'.",
    );
    expect(rec.statusCalls).toEqual([]);
  });

  it('an empty index is an empty list', async () => {
    const { ports } = fakePorts(fleet());
    expect((await handleApiRequest(get('/api/rollouts'), ports)).jsonBody).toEqual({ value: [] });
  });
});

describe('routing', () => {
  it('answers 404 for unknown routes and 405 with Allow for a wrong method', async () => {
    const { ports } = fakePorts();
    const r404 = await handleApiRequest(get('/api/clusters'), ports);
    expect(r404.status).toBe(404);
    const r405 = await handleApiRequest({ method: 'PUT', url: '/api/rollouts', headers: {} }, ports);
    expect([r405.status, r405.headers.allow]).toEqual([405, 'GET, POST']);
    const del = await handleApiRequest({ method: 'DELETE', url: '/api/rollouts/x', headers: {} }, ports);
    expect([del.status, del.headers.allow]).toEqual([405, 'GET']);
  });

  it('GET /api/health answers 200, and 503 without details when a dependency fails', async () => {
    const { ports } = fakePorts();
    const ok = await handleApiRequest(get('/api/health'), { ...ports, health: async () => ({ taskHub: 'aksnet' }) });
    expect(ok).toMatchObject({ status: 200, jsonBody: { status: 'ok', taskHub: 'aksnet', time: '2026-11-21T19:30:05.123Z' } });
    const bad = await handleApiRequest(get('/api/health'), { ...ports, health: async () => Promise.reject(new Error('sqlite: database is locked /var/x.db')) });
    expect(bad.status).toBe(503);
    expect(JSON.stringify(bad.jsonBody)).not.toContain('sqlite');
  });

  it('accepts a Headers object as the Functions host passes it', async () => {
    const { ports, rec } = fakePorts();
    const headers = new Headers({ 'Content-Type': 'application/json' });
    const res = await handleApiRequest({ method: 'POST', url: '/api/rollouts', headers, bodyText: JSON.stringify(SPEC) }, ports);
    expect(res.status).toBe(202);
    expect((res.jsonBody as { statusUri: string }).statusUri).toBe('/api/rollouts/fleet-overlay-20261121T193005Z-a1b2c3');
    expect(rec.starts).toHaveLength(1);
  });
});

describe('POST /api/rollouts/{id}/approve | resume | cancel', () => {
  const ID = 'r1';
  const setup = (runtimeStatus: string, status: string) => fakePorts({ [ID]: { instanceId: ID, runtimeStatus, customStatus: report(status), output: runtimeStatus === 'Completed' ? report(status) : undefined } });

  it('approves the stage that is waiting', async () => {
    const { ports, rec } = setup('Running', 'waitingForApproval');
    const res = await handleApiRequest(post(`/api/rollouts/${ID}/approve`, ''), ports);
    expect(res.status).toBe(202);
    expect(rec.raised).toEqual([{ id: ID, action: 'approve', data: { stage: 'rest' } }]);
    const named = await handleApiRequest(post(`/api/rollouts/${ID}/approve`, { stage: 'rest' }), ports);
    expect(named.status).toBe(202);
    expect(rec.raised).toHaveLength(2);
  });

  it('refuses to approve another stage, or when nothing waits, with 409 and raises nothing', async () => {
    const waiting = setup('Running', 'waitingForApproval');
    const other = await handleApiRequest(post(`/api/rollouts/${ID}/approve`, { stage: 'canary' }), waiting.ports);
    expect([other.status, errorOf(other).code, errorOf(other).target]).toEqual([409, 'StageNotWaiting', 'stage']);
    const unknownField = await handleApiRequest(post(`/api/rollouts/${ID}/approve`, { stage: 'rest', force: true }), waiting.ports);
    expect([unknownField.status, errorOf(unknownField).code]).toEqual([400, 'InvalidRequestBody']);
    expect(waiting.rec.raised).toHaveLength(0);
    const running = setup('Running', 'running');
    const none = await handleApiRequest(post(`/api/rollouts/${ID}/approve`, {}), running.ports);
    expect([none.status, errorOf(none).code]).toEqual([409, 'NotWaitingForApproval']);
    expect(running.rec.raised).toHaveLength(0);
  });

  it('resumes only a halted rollout', async () => {
    const halted = setup('Running', 'halted');
    expect((await handleApiRequest(post(`/api/rollouts/${ID}/resume`, { reason: 'cluster fixed by hand' }), halted.ports)).status).toBe(202);
    expect(halted.rec.raised).toEqual([{ id: ID, action: 'resume', data: { reason: 'cluster fixed by hand' } }]);
    const running = setup('Running', 'running');
    const res = await handleApiRequest(post(`/api/rollouts/${ID}/resume`, ''), running.ports);
    expect([res.status, errorOf(res).code]).toEqual([409, 'NotHalted']);
    expect(running.rec.raised).toHaveLength(0);
  });

  it('cancels a running rollout; an ended one is a 409; an unknown one a 404', async () => {
    const running = setup('Running', 'running');
    expect((await handleApiRequest(post(`/api/rollouts/${ID}/cancel`, ''), running.ports)).status).toBe(202);
    expect(running.rec.raised.map((r) => r.action)).toEqual(['cancel']);
    const done = setup('Completed', 'completed');
    const ended = await handleApiRequest(post(`/api/rollouts/${ID}/cancel`, ''), done.ports);
    expect([ended.status, errorOf(ended).code]).toEqual([409, 'RolloutEnded']);
    const missing = await handleApiRequest(post('/api/rollouts/other/cancel', ''), done.ports);
    expect(missing.status).toBe(404);
    expect(done.rec.raised).toHaveLength(0);
  });
});

describe('GET /api/rollouts/{id}/clusters', () => {
  const ID = 'r2';
  const record = (name: string, result?: 'migrated' | 'failed'): RolloutClusterRecord => ({
    rolloutId: ID,
    clusterId: clusterId('rg-apps', name),
    name,
    resourceGroup: 'rg-apps',
    subscriptionId: SUB,
    stage: 'rest',
    stageIndex: 1,
    verdict: 'ready',
    steps: ['ipam:overlay', 'dataplane:cilium'],
    napMode: 'Manual',
    windows: [],
    ...(result
      ? { result: { clusterId: clusterId('rg-apps', name), result, findings: [], steps: [], startedAt: '2026-11-21T19:31:00Z', endedAt: '2026-11-21T19:50:00Z', correlationIds: [], ...(result === 'failed' ? { error: { code: 'InvalidParameter', message: 'podCidr overlaps' } } : {}) } }
      : {}),
  });

  async function setup() {
    const f = fakePorts({ [ID]: { instanceId: ID, runtimeStatus: 'Running', customStatus: report('running') } });
    await f.store.savePlan(ID, [record('aks-a', 'migrated'), record('aks-b', 'failed'), record('aks-c'), record('aks-d', 'migrated'), record('aks-e')]);
    return f;
  }

  it('pages through every cluster with continuation tokens and nextLinks', async () => {
    const { ports } = await setup();
    const names: string[] = [];
    let path: string | undefined = `/api/rollouts/${ID}/clusters?limit=2`;
    let pages = 0;
    while (path !== undefined && pages < 10) {
      const res = await handleApiRequest(get(path), ports);
      expect(res.status).toBe(200);
      const body = res.jsonBody as { value: Array<{ name: string }>; nextLink?: string };
      names.push(...body.value.map((v) => v.name));
      path = body.nextLink?.replace(BASE, '');
      pages++;
    }
    expect(names).toEqual(['aks-a', 'aks-b', 'aks-c', 'aks-d', 'aks-e']);
    expect(pages).toBe(3);
  });

  it('filters by status and shows each cluster result', async () => {
    const { ports } = await setup();
    const failed = await handleApiRequest(get(`/api/rollouts/${ID}/clusters?status=failed`), ports);
    expect((failed.jsonBody as { value: unknown[] }).value).toEqual([
      expect.objectContaining({ name: 'aks-b', result: 'failed', error: { code: 'InvalidParameter', message: 'podCidr overlaps' }, plannedSteps: ['ipam:overlay', 'dataplane:cilium'] }),
    ]);
    const pending = await handleApiRequest(get(`/api/rollouts/${ID}/clusters?status=pending`), ports);
    expect((pending.jsonBody as { value: Array<{ name: string }> }).value.map((v) => v.name)).toEqual(['aks-c', 'aks-e']);
  });

  it('refuses a tampered token, an unknown status and a bad limit with 400 naming the parameter', async () => {
    const { ports } = await setup();
    const good = encodeToken(armIdKey(clusterId('rg-apps', 'aks-b')));
    const tampered = [`${good.slice(0, -2)}!!`, encodeToken('../../etc/passwd'), encodeToken('/subscriptions/x/../y'), `${good}=`, Buffer.from('{"offset":1}').toString('base64url')];
    for (const t of tampered) {
      const res = await handleApiRequest(get(`/api/rollouts/${ID}/clusters?continuationToken=${encodeURIComponent(t)}`), ports);
      expect([t, res.status, errorOf(res).code, errorOf(res).target]).toEqual([t, 400, 'InvalidContinuationToken', 'continuationToken']);
    }
    const ok = await handleApiRequest(get(`/api/rollouts/${ID}/clusters?continuationToken=${good}`), ports);
    expect((ok.jsonBody as { value: Array<{ name: string }> }).value.map((v) => v.name)).toEqual(['aks-c', 'aks-d', 'aks-e']);
    const st = await handleApiRequest(get(`/api/rollouts/${ID}/clusters?status=done`), ports);
    expect([st.status, errorOf(st).target]).toEqual([400, 'status']);
    const lim = await handleApiRequest(get(`/api/rollouts/${ID}/clusters?limit=0`), ports);
    expect([lim.status, errorOf(lim).target]).toEqual([400, 'limit']);
    const unknown = await handleApiRequest(get('/api/rollouts/zzz/clusters'), ports);
    expect(unknown.status).toBe(404);
  });
});

describe('POST /api/preflight', () => {
  const a = clusterId('rg-apps', 'aks-a');
  const b = clusterId('rg-apps', 'aks-b');

  it('returns the assessment objects of fleet assess for the ids, each id once', async () => {
    const { ports, rec } = fakePorts({}, { [a.toLowerCase()]: assessment(a), [b.toLowerCase()]: assessment(b) });
    const res = await handleApiRequest(post('/api/preflight', { ids: [a, b, a.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')], target: 'overlay+cilium' }), ports);
    expect(res.status).toBe(200);
    expect((res.jsonBody as { value: Array<{ id: string; verdict: string }> }).value.map((v) => [v.id, v.verdict])).toEqual([
      [a, 'ready'],
      [b, 'ready'],
    ]);
    expect(rec.assessed).toEqual([{ ids: [a, b], target: 'overlay+cilium' }]);
  });

  it('answers 404 naming the unknown cluster', async () => {
    const { ports } = fakePorts({}, { [a.toLowerCase()]: assessment(a) });
    const res = await handleApiRequest(post('/api/preflight', { ids: [a, b], target: 'cilium' }), ports);
    expect([res.status, errorOf(res).target]).toEqual([404, 'ids[1]']);
    expect(errorOf(res).message).toContain('aks-b');
  });

  it('refuses hostile ids, too many ids and a bad target before assessing anything', async () => {
    const { ports, rec } = fakePorts();
    const hostile = [
      '/subscriptions/../../etc/passwd',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/..`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a%2F..%2Fb`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks\u0000x`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet`,
      `/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks`,
      'C:\\Windows\\system32',
    ];
    for (const [i, id] of hostile.entries()) {
      const res = await handleApiRequest(post('/api/preflight', { ids: [a, id], target: 'overlay' }), ports);
      expect([i, res.status, errorOf(res).target]).toEqual([i, 400, 'ids[1]']);
      expect(errorOf(res).message).not.toContain('\u0000');
    }
    const many = await handleApiRequest(post('/api/preflight', { ids: Array.from({ length: 101 }, (_, i) => clusterId('rg', `aks-${i}`)), target: 'overlay' }), ports);
    expect([many.status, errorOf(many).target]).toEqual([400, 'ids']);
    const huge = await handleApiRequest(post('/api/preflight', `{"ids":[${Array(10_001).fill('1').join(',')}],"target":"overlay"}`), ports);
    expect([huge.status, errorOf(huge).code, errorOf(huge).target]).toEqual([400, 'ArrayTooLong', 'ids']);
    const target = await handleApiRequest(post('/api/preflight', { ids: [a], target: 'calico' }), ports);
    expect([target.status, errorOf(target).target]).toEqual([400, 'target']);
    expect(rec.assessed).toHaveLength(0);
  });

  it('any JSON body up to the limits is answered with 200 or a 4xx error, never a throw or a 500', async () => {
    const { ports } = fakePorts({}, { [a.toLowerCase()]: assessment(a) });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 40 }).map((v) => JSON.stringify(v) ?? ''), fc.string({ maxLength: 300 }), fc.record({ ids: fc.array(fc.oneof(fc.string(), fc.constant(a)), { maxLength: 5 }), target: fc.string() }).map((v) => JSON.stringify(v))), async (text) => {
        for (const path of ['/api/preflight', '/api/rollouts', '/api/rollouts/r/approve']) {
          const res = await handleApiRequest(post(path, text), ports);
          expect(res.status === 200 || res.status === 202 || (res.status >= 400 && res.status < 500)).toBe(true);
          if (res.status >= 400) expect(typeof errorOf(res).message).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('GET /api/remediation/decisions', () => {
  async function setup() {
    const { ports } = fakePorts();
    const decisions = new MemoryDecisionStore();
    const base = { eventType: 'Microsoft.Resources.ResourceWriteSuccess', eventTime: '2026-11-21T19:00:00.000Z', reason: 'r', action: 'ignore' as const };
    for (let i = 0; i < 5; i++) {
      await decisions.record({ ...base, decidedAt: `2026-11-21T19:0${i}:00.000Z`, eventId: `e${i}`, clusterId: clusterId('rg-apps', i < 3 ? 'aks-a' : 'aks-b'), dedupeKey: `event:e${i}` });
    }
    return { ports: { ...ports, decisions }, decisions };
  }

  it('pages the decisions of one cluster since a time', async () => {
    const { ports } = await setup();
    const first = await handleApiRequest(get(`/api/remediation/decisions?clusterId=${encodeURIComponent(clusterId('rg-apps', 'aks-a'))}&limit=2`), ports);
    const body = first.jsonBody as { value: Array<{ eventId: string }>; nextLink: string };
    expect(body.value.map((d) => d.eventId)).toEqual(['e0', 'e1']);
    const second = await handleApiRequest(get(body.nextLink.replace(BASE, '')), ports);
    expect((second.jsonBody as { value: Array<{ eventId: string }> }).value.map((d) => d.eventId)).toEqual(['e2']);
    const since = await handleApiRequest(get('/api/remediation/decisions?since=2026-11-21T19:03:00Z'), ports);
    expect((since.jsonBody as { value: Array<{ eventId: string }> }).value.map((d) => d.eventId)).toEqual(['e3', 'e4']);
  });

  it('refuses bad parameters naming them, and is a 404 when remediation is not configured', async () => {
    const { ports } = await setup();
    for (const [query, target] of [
      ['clusterId=/subscriptions/../x', 'clusterId'],
      ['since=yesterday', 'since'],
      ['continuationToken=%3Cscript%3E', 'continuationToken'],
      [`continuationToken=${Buffer.from('not-a-number').toString('base64url')}`, 'continuationToken'],
      ['limit=100000', 'limit'],
    ]) {
      const res = await handleApiRequest(get(`/api/remediation/decisions?${query}`), ports);
      expect([query, res.status, errorOf(res).target]).toEqual([query, 400, target]);
    }
    const { ports: bare } = fakePorts();
    expect((await handleApiRequest(get('/api/remediation/decisions'), bare)).status).toBe(404);
  });
});
