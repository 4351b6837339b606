// The Functions worker provides @azure/functions-core; under jest the host's stand-in plays it.
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import path from 'node:path';
import { startHost, type RunningHost } from '../../local/host';

const entry = path.join(__dirname, 'apps/conformanceApp.ts');
type App = typeof import('./apps/conformanceApp');
let appModule: App;
let host: RunningHost;

beforeAll(async () => {
  host = await startHost({ entry, clockScale: 1_000_000, timers: false, log: () => undefined });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  appModule = require('./apps/conformanceApp') as App;
});
afterAll(() => host.stop());

async function pollUntilDone(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await fetch(url);
    const body = (await r.json()) as Record<string, unknown>;
    if (r.status === 200) return { status: r.status, body };
    expect(r.status).toBe(202);
    if (Date.now() > deadline) throw new Error(`still ${String(body.runtimeStatus)}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe('HTTP triggers', () => {
  test('route parameters, constraints, query and response headers', async () => {
    const r = await fetch(`${host.baseUrl}/api/greet/world?q=1`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-greeted')).toBe('world');
    expect(await r.json()).toEqual({ hello: 'world', q: '1' });
    // {name:alpha} does not match digits
    expect((await fetch(`${host.baseUrl}/api/greet/123`)).status).toBe(404);
    // app.get registers GET only
    expect((await fetch(`${host.baseUrl}/api/greet/world`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${host.baseUrl}/api/nothing-here`)).status).toBe(404);
  });

  test('app hooks run like in the worker: appStart once loaded, pre/postInvocation around each call', () => {
    expect(appModule.hookLog[0]).toBe('appStart');
    expect(appModule.hookLog).toContain('pre:Greet');
    expect(appModule.hookLog).toContain('post:Greet:world');
  });

  test('authLevel function needs the key, as code= or x-functions-key', async () => {
    expect((await fetch(`${host.baseUrl}/api/secret`)).status).toBe(401);
    expect((await fetch(`${host.baseUrl}/api/secret?code=wrong`)).status).toBe(401);
    const withCode = await fetch(`${host.baseUrl}/api/secret?code=${encodeURIComponent(host.functionKey)}`);
    expect(withCode.status).toBe(200);
    expect(await withCode.text()).toBe('the secret');
    expect((await fetch(`${host.baseUrl}/api/secret`, { headers: { 'x-functions-key': host.functionKey } })).status).toBe(200);
  });

  test('a path with broken percent-encoding is a 400 before any function runs, as in the Functions host', async () => {
    const res = await fetch(`${host.baseUrl}/api/greet/%E0%A4%A?code=${encodeURIComponent(host.functionKey)}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ Message: 'The request path has invalid percent-encoding.' });
  });
});

describe('Durable HTTP API', () => {
  test('a starter using df.getClient: createCheckStatusResponse returns working URLs', async () => {
    const r = await fetch(`${host.baseUrl}/api/orchestrators/Sequence`, { method: 'POST' });
    expect(r.status).toBe(202);
    expect(r.headers.get('retry-after')).toBe('10');
    const payload = (await r.json()) as Record<string, string>;
    expect(Object.keys(payload).sort()).toEqual(['id', 'purgeHistoryDeleteUri', 'restartPostUri', 'resumePostUri', 'rewindPostUri', 'sendEventPostUri', 'statusQueryGetUri', 'suspendPostUri', 'terminatePostUri']);
    expect(r.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect(payload.statusQueryGetUri.startsWith(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${payload.id}?`)).toBe(true);
    const done = await pollUntilDone(payload.statusQueryGetUri);
    expect(done.body).toMatchObject({ name: 'Sequence', instanceId: payload.id, runtimeStatus: 'Completed', output: ['Hello Tokyo', 'Hello Seattle', 'Hello London'] });
    expect(String(done.body.createdTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // the management URLs need the key
    expect((await fetch(payload.statusQueryGetUri.replace(/code=[^&]+/, 'code=nope'))).status).toBe(401);
    // purge through its URL
    const purge = await fetch(payload.purgeHistoryDeleteUri, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    expect(await purge.json()).toEqual({ instancesDeleted: 1 });
    expect((await fetch(payload.statusQueryGetUri)).status).toBe(404);
  });

  test('sendEventPostUri and terminatePostUri from the payload drive a running instance', async () => {
    const r = await fetch(`${host.baseUrl}/api/orchestrators/Approval/approval-http-1`, { method: 'POST', body: '8760' });
    const payload = (await r.json()) as Record<string, string>;
    expect(payload.id).toBe('approval-http-1');
    const running = await fetch(payload.statusQueryGetUri);
    expect(running.status).toBe(202);
    const send = await fetch(payload.sendEventPostUri.replace('{eventName}', 'Approval'), { method: 'POST', body: JSON.stringify('yes'), headers: { 'content-type': 'application/json' } });
    expect(send.status).toBe(202);
    const done = await pollUntilDone(payload.statusQueryGetUri);
    expect(done.body.output).toEqual({ approved: 'yes' });
    // finished: raising again is 410 Gone, unknown instance 404
    expect((await fetch(payload.sendEventPostUri.replace('{eventName}', 'Approval'), { method: 'POST', body: '1' })).status).toBe(410);
    expect((await fetch(payload.terminatePostUri.replace('{text}', 'x').replace('approval-http-1', 'nope'), { method: 'POST' })).status).toBe(404);
  });

  test('the durable client inside a function: status with history, raise, suspend/resume, terminate, list, purge', async () => {
    const key = `code=${encodeURIComponent(host.functionKey)}`;
    // a one-year timeout (31 s of real time at ×1,000,000) so the event comes first
    const start = await fetch(`${host.baseUrl}/api/orchestrators/Approval/client-ops-1`, { method: 'POST', body: '8760' });
    expect(start.status).toBe(202);
    const op = (o: string, init?: RequestInit) => fetch(`${host.baseUrl}/api/client/client-ops-1/${o}?${key}`, init);
    let status = (await (await op('status')).json()) as { runtimeStatus: string; history?: unknown[] };
    expect(['Pending', 'Running']).toContain(status.runtimeStatus);
    expect((await op('suspend', { method: 'POST' })).status).toBe(202);
    for (let i = 0; i < 200 && status.runtimeStatus !== 'Suspended'; i++) {
      await new Promise((res) => setTimeout(res, 5));
      status = (await (await op('status')).json()) as { runtimeStatus: string };
    }
    expect(status.runtimeStatus).toBe('Suspended');
    expect((await op('resume', { method: 'POST' })).status).toBe(202);
    expect((await op('raise', { method: 'POST', body: JSON.stringify({ ok: true }) })).status).toBe(202);
    const final = await host.client.waitForCompletion('client-ops-1');
    expect(final.output).toEqual({ approved: { ok: true } });
    expect(((await (await op('status')).json()) as { runtimeStatus: string }).runtimeStatus).toBe('Completed');
    const withHistory = (await (await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/client-ops-1?showHistory=true&${key}`)).json()) as { historyEvents: { EventType: string }[] };
    expect(withHistory.historyEvents.map((e) => e.EventType)).toEqual(expect.arrayContaining(['ExecutionStarted', 'TimerCreated', 'EventRaised', 'ExecutionCompleted']));
    const listed = (await (await op('list')).json()) as string[];
    expect(listed).toContain('client-ops-1');
    expect(await (await op('purge', { method: 'POST' })).json()).toEqual({ instancesDeleted: 1 });

    const t = await fetch(`${host.baseUrl}/api/orchestrators/TwoEvents/client-ops-2`, { method: 'POST' });
    expect(t.status).toBe(202);
    expect((await fetch(`${host.baseUrl}/api/client/client-ops-2/terminate?${key}`, { method: 'POST' })).status).toBe(202);
    expect((await host.client.waitForCompletion('client-ops-2')).runtimeStatus).toBe('Terminated');
  });

  test('list with runtimeStatus, instanceIdPrefix, top and continuation; purge by filter', async () => {
    for (const id of ['batch-a-1', 'batch-a-2', 'batch-a-3', 'batch-b-1']) host.client.startNew('Sequence', { instanceId: id });
    for (const id of ['batch-a-1', 'batch-a-2', 'batch-a-3', 'batch-b-1']) await host.client.waitForCompletion(id);
    const base = `${host.baseUrl}/runtime/webhooks/durabletask/instances`;
    const h = { 'x-functions-key': host.functionKey };
    const first = await fetch(`${base}?instanceIdPrefix=batch-a&runtimeStatus=Completed,Failed&top=2`, { headers: h });
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as { instanceId: string; input: unknown }[];
    expect(page1.map((s) => s.instanceId)).toEqual(['batch-a-1', 'batch-a-2']);
    const token = first.headers.get('x-ms-continuation-token');
    expect(token).toBeTruthy();
    const second = await fetch(`${base}?instanceIdPrefix=batch-a&runtimeStatus=Completed&top=2`, { headers: { ...h, 'x-ms-continuation-token': token as string } });
    expect(((await second.json()) as { instanceId: string }[]).map((s) => s.instanceId)).toEqual(['batch-a-3']);
    expect(second.headers.get('x-ms-continuation-token')).toBeNull();
    const bad = await fetch(`${base}?runtimeStatus=Finished`, { headers: h });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { Message: string }).Message).toMatch(/runtimeStatus 'Finished' is not one of/);
    const purged = await fetch(`${base}?instanceIdPrefix=batch-a&runtimeStatus=Completed`, { method: 'DELETE', headers: h });
    expect(await purged.json()).toEqual({ instancesDeleted: 3 });
    expect(host.client.getStatus('batch-b-1')?.runtimeStatus).toBe('Completed');
  });

  test('start-and-wait (timeout/pollingInterval) returns the output; restart reruns with the same input', async () => {
    const code = encodeURIComponent(host.functionKey);
    const waited = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/FanOut?timeout=10&pollingInterval=0.02&code=${code}`, { method: 'POST', body: '4' });
    expect(waited.status).toBe(200);
    expect(await waited.json()).toBe(12);
    const first = await fetch(`${host.baseUrl}/api/orchestrators/FanOut/restart-me`, { method: 'POST', body: '3' });
    const payload = (await first.json()) as Record<string, string>;
    await pollUntilDone(payload.statusQueryGetUri);
    const again = await fetch(payload.restartPostUri, { method: 'POST' });
    expect(again.status).toBe(202);
    const second = (await again.json()) as Record<string, string>;
    expect(second.id).not.toBe('restart-me');
    expect((await pollUntilDone(second.statusQueryGetUri)).body.output).toBe(6);
    const same = await fetch(`${payload.restartPostUri}&restartWithNewInstanceId=false`, { method: 'POST' });
    expect(((await same.json()) as Record<string, string>).id).toBe('restart-me');
    expect((await host.client.waitForCompletion('restart-me')).output).toBe(6);
  });

  test('status with showHistory shows the condensed history; unknown orchestrator is 400', async () => {
    const id = host.client.startNew('Sequence');
    await host.client.waitForCompletion(id);
    const r = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}?showHistory=true&showHistoryOutput=true&code=${encodeURIComponent(host.functionKey)}`);
    const body = (await r.json()) as { historyEvents: { EventType: string; FunctionName?: string; Result?: unknown }[] };
    expect(body.historyEvents.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskCompleted', 'TaskCompleted', 'TaskCompleted', 'ExecutionCompleted']);
    expect(body.historyEvents[1]).toMatchObject({ FunctionName: 'Hello', Result: 'Hello Tokyo' });
    const bad = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/NoSuchThing?code=${encodeURIComponent(host.functionKey)}`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { Message: string }).Message).toMatch(/The function 'NoSuchThing' doesn't exist.*'Sequence'/);
  });
});

describe('Event Grid', () => {
  test('an event array posted to /runtime/webhooks/eventgrid reaches the function, one invocation per event', async () => {
    const events = [1, 2].map((n) => ({
      id: `evt-${n}`,
      topic: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1',
      subject: 'aks1',
      eventType: 'Microsoft.ContainerService.NewKubernetesVersionAvailable',
      eventTime: '2026-11-21T19:00:00Z',
      data: { latestSupportedKubernetesVersion: '1.33.1' },
      dataVersion: '1',
      metadataVersion: '1',
    }));
    const url = `${host.baseUrl}/runtime/webhooks/eventgrid?functionName=OnClusterEvent&code=${encodeURIComponent(host.functionKey)}`;
    const r = await fetch(url, { method: 'POST', body: JSON.stringify(events), headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' } });
    expect(r.status).toBe(202);
    expect(appModule.observed.eventGrid).toEqual(events);
    // the function started orchestrations through its durable client
    expect((await host.client.waitForCompletion('eg-evt-1')).runtimeStatus).toBe('Completed');
    expect((await host.client.waitForCompletion('eg-evt-2')).runtimeStatus).toBe('Completed');
    // subscription validation handshake
    const v = await fetch(url, { method: 'POST', body: JSON.stringify([{ id: 'v', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: { validationCode: 'abc' } }]), headers: { 'aeg-event-type': 'SubscriptionValidation' } });
    expect(await v.json()).toEqual({ validationResponse: 'abc' });
    expect((await fetch(url.replace('OnClusterEvent', 'Nope'), { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(url.replace(/&code=.*/, ''), { method: 'POST', body: '{}' })).status).toBe(401);
  });
});

describe('timer triggers', () => {
  test('fire on their six-field NCRONTAB schedule', async () => {
    const timed = await startHost({ entry, log: () => undefined });
    try {
      const before = appModule.observed.timers.length;
      await new Promise((r) => setTimeout(r, 2300));
      const fired = appModule.observed.timers.slice(before);
      expect(fired.length).toBeGreaterThanOrEqual(2);
      expect(fired.length).toBeLessThanOrEqual(3);
      // the handler got the Timer object (camel-cased by @azure/functions) with the next occurrence
      expect(fired[0]).toMatch(/^false:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    } finally {
      await timed.stop();
    }
  });
});
