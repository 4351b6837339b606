/**
 * Event Grid remediation (docs/remediation.md) through the local host against the simulator. The events are the
 * simulator's own Event Grid-shaped ResourceWriteSuccess events for real ARM writes (made with the SDK clients,
 * as a person or as aksnet), delivered to the host's Event Grid endpoint as Event Grid delivers them: duplicates,
 * bursts, aksnet's own writes, out-of-scope clusters, report mode; decisions read back over the HTTP API.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import { randomUUID } from 'node:crypto';
import { createAzureClients, type AzureClients } from '../../shared/azure/clients';
import { localPrincipal, simulatorCredential } from '../../shared/azure/credential';
import { armOperations } from '../../shared/azure/operations';
import type { ManagedClusterResource } from '../../shared/model/arm';
import { clusterId, nodeSubnetCluster, nsg, SUBSCRIPTION, vnet } from '../support/arm';
import { startHarness, until, type Harness } from './support/harness';

const PERSON = { oid: '11111111-2222-4333-8444-555555555555', appid: '99999999-8888-4777-8666-555555555555' };
const AKSNET = localPrincipal(); // the identity the app's gateway uses against the simulator
const policy = (mode: 'report' | 'migrate') =>
  JSON.stringify({ mode, target: 'cilium', scope: { subscriptions: [SUBSCRIPTION], resourceGroups: ['rg-apps'] }, ownIdentities: { objectIds: [AKSNET.oid] }, debounceSeconds: 900 });

let h: Harness;
let person: AzureClients;

beforeAll(async () => {
  h = await startHarness(
    [
      nodeSubnetCluster({ name: 'aks-in', resourceGroup: 'rg-apps' }),
      nodeSubnetCluster({ name: 'aks-report', resourceGroup: 'rg-apps' }),
      nodeSubnetCluster({ name: 'aks-out', resourceGroup: 'rg-other' }),
      vnet(),
      nsg(),
    ],
    { env: { AKSNET_REMEDIATION_POLICY: policy('migrate') } },
  );
  person = createAzureClients({ endpoint: h.sim.armEndpoint, caCertPath: h.sim.caCertPath, credential: simulatorCredential(PERSON) });
}, 60_000);

afterAll(async () => {
  person?.close();
  await h?.close();
});

type GridEvent = { id: string; subject: string; eventType: string; eventTime: string; data: { claims: Record<string, string>; correlationId?: string } };

/** A person changes the cluster's tags with the SDK; returns the write's Event Grid event once ARM emits it. */
async function personWrites(id: string): Promise<GridEvent> {
  const ops = armOperations(person);
  const { resource, etag } = await ops.getCluster(id);
  const body: ManagedClusterResource = { ...resource, tags: { ...resource.tags, touched: randomUUID() } };
  const { handle } = await ops.beginPutCluster(id, body, etag);
  // The write ends (and ARM emits its event) when its operation does; follow it as a client would.
  await until(`the tag write on ${id} to finish`, async () => (await ops.getOperation(handle)).status === 'Succeeded');
  return until(`the write event of ${id}`, async () =>
    (h.sim.world.events as unknown as GridEvent[]).find((e) => e.subject.toLowerCase() === id.toLowerCase() && e.eventType === 'Microsoft.Resources.ResourceWriteSuccess' && e.data.claims.oid === PERSON.oid && !delivered.has(e.id)),
  );
}

const delivered = new Set<string>();
async function deliver(events: GridEvent | GridEvent[]): Promise<number> {
  for (const e of [events].flat()) delivered.add(e.id);
  const res = await fetch(`${h.host.baseUrl}/runtime/webhooks/eventgrid?functionName=eventGridRemediation`, {
    method: 'POST',
    headers: { 'x-functions-key': h.host.functionKey, 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify([events].flat()),
  });
  return res.status;
}

interface Decision {
  eventId: string;
  clusterId?: string;
  action: string;
  reason: string;
  instanceId?: string;
  started?: boolean;
  migration?: { clusterId: string; result: string; correlationIds: string[]; steps: Array<{ step: string; status: string }> };
}
async function decisions(cluster?: string): Promise<Decision[]> {
  const res = await h.call('GET', `/api/remediation/decisions${cluster ? `?clusterId=${encodeURIComponent(cluster)}` : ''}`);
  expect(res.status).toBe(200);
  return res.body.value as Decision[];
}

/** clusterMigration instances remediation started for the cluster (`remediate:{sub}:{group}:{name}:{window}`). */
const migrations = async (name: string) => (await h.instances()).filter((i) => i.name === 'clusterMigration' && i.instanceId.startsWith('remediate:') && i.instanceId.includes(`:${name}:`));

it('answers the subscription validation handshake', async () => {
  const res = await fetch(`${h.host.baseUrl}/runtime/webhooks/eventgrid?functionName=eventGridRemediation`, {
    method: 'POST',
    headers: { 'x-functions-key': h.host.functionKey, 'aeg-event-type': 'SubscriptionValidation' },
    body: JSON.stringify([{ id: randomUUID(), eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', subject: '', eventTime: new Date().toISOString(), data: { validationCode: 'abc-123' } }]),
  });
  expect(await res.json()).toEqual({ validationResponse: 'abc-123' });
});

it("a person's write to an in-scope cluster starts one migration; the same event twice and a burst of writes start no other", async () => {
  const id = clusterId('aks-in', 'rg-apps');
  const event = await personWrites(id);
  expect(await deliver(event)).toBe(202);
  const [first] = await decisions(id);
  expect(first).toMatchObject({ eventId: event.id, action: 'migrate', started: true, instanceId: expect.stringMatching(/^remediate:.*:rg-apps:aks-in:/) });
  // Redelivered (at least once), and a burst: the same write seen again plus more writes within the debounce window.
  expect(await deliver(event)).toBe(202);
  const burst = [1, 2, 3].map((i) => ({ ...event, id: randomUUID(), eventTime: new Date(Date.parse(event.eventTime) + i * 1000).toISOString() }));
  expect(await deliver(burst)).toBe(202);
  expect(await deliver(burst[0])).toBe(202);
  const all = await decisions(id);
  expect(all.map((d) => d.action)).toEqual(['migrate', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore']);
  expect(all[1].reason).toMatch(/already/i);
  const started = await migrations('aks-in');
  expect(started.map((i) => i.instanceId)).toEqual([first.instanceId]);
  // The migration runs to the end against the simulator: the cluster is on Cilium.
  const done = await h.host.client.waitForCompletion(first.instanceId as string, 50_000);
  expect(done.runtimeStatus).toBe('Completed');
  const after = await armOperations(person).getCluster(id);
  expect(after.resource.properties?.networkProfile).toMatchObject({ networkDataplane: 'cilium' });
  // A write after it ended, still inside the debounce window, starts nothing either.
  expect(await deliver({ ...event, id: randomUUID(), eventTime: new Date(Date.parse(event.eventTime) + 60_000).toISOString() })).toBe(202);
  expect((await migrations('aks-in')).length).toBe(1);
}, 60_000);

it('the migration Event Grid started leaves its result beside its decision, and its writes are known by their correlation ids', async () => {
  const id = clusterId('aks-in', 'rg-apps');
  const [first] = await decisions(id);
  expect(first.action).toBe('migrate');
  // The run saved its result under its own instance id; the decision query shows it.
  expect(first.migration).toMatchObject({ clusterId: expect.stringMatching(/aks-in$/i), result: 'migrated', steps: [expect.objectContaining({ step: 'dataplane:cilium', status: 'done' })] });
  expect(first.migration?.correlationIds.length).toBeGreaterThan(0);
  // One of its ARM writes, delivered late (after the lock was released and past the debounce window) and with a
  // foreign identity in the claims: still recognised as aksnet's own by its correlation id.
  const write = (h.sim.world.events as unknown as GridEvent[]).find((e) => e.subject.toLowerCase() === id.toLowerCase() && e.data.correlationId && first.migration?.correlationIds.includes(e.data.correlationId));
  expect(write).toBeDefined();
  const late = { ...write!, id: randomUUID(), eventTime: new Date(Date.parse(write!.eventTime) + 3600_000).toISOString(), data: { ...write!.data, claims: { oid: PERSON.oid, appid: PERSON.appid } } };
  expect(await deliver(late)).toBe(202);
  const [d] = (await decisions(id)).filter((x) => x.eventId === late.id);
  expect(d).toMatchObject({ action: 'ignore', reason: expect.stringMatching(/correlation/i) });
  expect((await migrations('aks-in')).length).toBe(1);
}, 30_000);

it("aksnet's own writes never trigger anything: its identity in the claims", async () => {
  const id = clusterId('aks-in', 'rg-apps');
  const own = (h.sim.world.events as unknown as GridEvent[]).filter((e) => e.subject.toLowerCase() === id.toLowerCase() && e.data.claims.oid === AKSNET.oid);
  expect(own.length).toBeGreaterThan(0);
  const before = (await h.instances()).length;
  expect(await deliver(own)).toBe(202);
  const byIdentity = (await decisions(id)).filter((d) => own.some((e) => e.id === d.eventId));
  expect(byIdentity.map((d) => d.action)).toEqual(own.map(() => 'ignore'));
  expect(byIdentity.every((d) => /aksnet's own identity/.test(d.reason))).toBe(true);
  expect((await h.instances()).length).toBe(before);
}, 30_000);

it('a rollout write seen with a foreign identity is still recognised by its correlation id', async () => {
  // A rollout over HTTP migrates aks-report; its result records the correlation ids of its ARM writes.
  const res = await h.call('POST', '/api/rollouts', { body: { name: 'corr', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION], ids: [clusterId('aks-report', 'rg-apps')] }, stages: [{ name: 'all', maxConcurrency: 1 }] } });
  expect(res.status).toBe(202);
  await h.host.client.waitForCompletion(res.body.id as string, 50_000);
  const write = (h.sim.world.events as unknown as GridEvent[]).find((e) => e.subject.toLowerCase() === clusterId('aks-report', 'rg-apps').toLowerCase() && e.data.claims.oid === AKSNET.oid && e.data.correlationId);
  expect(write).toBeDefined();
  const disguised = { ...write!, id: randomUUID(), data: { ...write!.data, claims: { oid: PERSON.oid, appid: PERSON.appid } } };
  expect(await deliver(disguised)).toBe(202);
  const [d] = (await decisions(clusterId('aks-report', 'rg-apps'))).filter((x) => x.eventId === disguised.id);
  expect(d).toMatchObject({ action: 'ignore', reason: expect.stringMatching(/correlation/i) });
  expect(await migrations('aks-report')).toEqual([]);
}, 60_000);

it('an out-of-scope cluster is ignored, saying why', async () => {
  const id = clusterId('aks-out', 'rg-other');
  const event = await personWrites(id);
  const writes = h.writes().length;
  expect(await deliver(event)).toBe(202);
  const [d] = await decisions(id);
  expect(d).toMatchObject({ eventId: event.id, action: 'ignore', reason: expect.stringMatching(/scope/) });
  expect(await migrations('aks-out')).toEqual([]);
  expect(h.writes().length).toBe(writes);
}, 30_000);

it('mode report records what it would do and changes nothing; decisions page and filter', async () => {
  process.env.AKSNET_REMEDIATION_POLICY = policy('report');
  try {
    const id = clusterId('aks-report', 'rg-apps');
    const event = await personWrites(id);
    const writes = h.writes().length;
    expect(await deliver(event)).toBe(202);
    const mine = (await decisions(id)).filter((d) => d.eventId === event.id);
    expect(mine).toEqual([expect.objectContaining({ action: 'report', clusterId: expect.stringMatching(/aks-report$/i) })]);
    expect(mine[0].instanceId).toBeUndefined();
    expect(await migrations('aks-report')).toEqual([]);
    expect(h.writes().length).toBe(writes);
  } finally {
    process.env.AKSNET_REMEDIATION_POLICY = policy('migrate');
  }
  // Every decision is queryable, oldest first, page by page.
  const all = await decisions();
  const paged: Decision[] = [];
  let next: string | undefined = '/api/remediation/decisions?limit=2';
  while (next) {
    const page = await h.call('GET', next.replace(h.host.baseUrl, ''));
    paged.push(...(page.body.value as Decision[]));
    next = page.body.nextLink as string | undefined;
  }
  expect(paged).toEqual(all);
  expect(new Set(all.map((d) => d.action))).toEqual(new Set(['migrate', 'ignore', 'report']));
}, 30_000);
