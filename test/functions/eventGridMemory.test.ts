/**
 * Event Grid remediation on a host whose stores are in memory (AKSNET_RESULTS_DB unset — here ':memory:', which is
 * what unset falls back to): the "being migrated" (lock) and "aksnet's own correlation id" checks must see the
 * locks and results the migrations write. They once asked the decision store's own connection, a second,
 * empty in-memory database, and always answered "no". The app runs on the local host in this process against
 * the simulator; events are the simulator's ResourceWriteSuccess events, delivered as Event Grid does.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import { randomUUID } from 'node:crypto';
import { dependencies } from '../../functions/dependencies';
import { createAzureClients, type AzureClients } from '../../shared/azure/clients';
import { localPrincipal, simulatorCredential } from '../../shared/azure/credential';
import { armOperations } from '../../shared/azure/operations';
import type { ManagedClusterResource } from '../../shared/model/arm';
import { clusterId, nodeSubnetCluster, nsg, SUBSCRIPTION, vnet } from '../support/arm';
import { startHarness, until, type Harness } from '../e2e/support/harness';

const PERSON = { oid: '11111111-2222-4333-8444-555555555555', appid: '99999999-8888-4777-8666-555555555555' };
const AKSNET = localPrincipal();
const POLICY = JSON.stringify({ mode: 'migrate', target: 'cilium', scope: { subscriptions: [SUBSCRIPTION], resourceGroups: ['rg-mem'] }, ownIdentities: { objectIds: [AKSNET.oid] }, debounceSeconds: 900 });

type GridEvent = { id: string; subject: string; eventType: string; eventTime: string; data: { claims: Record<string, string>; correlationId?: string } };

let h: Harness;
let person: AzureClients;

beforeAll(async () => {
  h = await startHarness([nodeSubnetCluster({ name: 'mem-rollout', resourceGroup: 'rg-mem' }), nodeSubnetCluster({ name: 'mem-locked', resourceGroup: 'rg-mem' }), vnet(), nsg()], {
    env: { AKSNET_RESULTS_DB: ':memory:', AKSNET_REMEDIATION_POLICY: POLICY },
  });
  person = createAzureClients({ endpoint: h.sim.armEndpoint, caCertPath: h.sim.caCertPath, credential: simulatorCredential(PERSON) });
}, 60_000);

afterAll(async () => {
  person?.close();
  await h?.close();
});

async function deliver(events: GridEvent[]): Promise<void> {
  const res = await fetch(`${h.host.baseUrl}/runtime/webhooks/eventgrid?functionName=eventGridRemediation`, {
    method: 'POST',
    headers: { 'x-functions-key': h.host.functionKey, 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(202);
}

async function decisionOf(eventId: string): Promise<{ action: string; reason: string }> {
  const res = await h.call('GET', '/api/remediation/decisions?limit=1000');
  const found = (res.body.value as Array<{ eventId: string; action: string; reason: string }>).find((d) => d.eventId === eventId);
  if (!found) throw new Error(`no decision recorded for event ${eventId}`);
  return found;
}

const remediations = async (): Promise<string[]> => (await h.instances()).filter((i) => i.instanceId.startsWith('remediate:')).map((i) => i.instanceId);

it("a rollout's write, seen with a foreign identity, is recognised by its correlation id", async () => {
  const id = clusterId('mem-rollout', 'rg-mem');
  const res = await h.call('POST', '/api/rollouts', { body: { name: 'mem', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION], ids: [id] }, stages: [{ name: 'all', maxConcurrency: 1 }] } });
  expect(res.status).toBe(202);
  expect((await h.host.client.waitForCompletion(res.body.id as string, 50_000)).runtimeStatus).toBe('Completed');
  const write = (h.sim.world.events as unknown as GridEvent[]).find((e) => e.subject.toLowerCase() === id.toLowerCase() && e.data.claims.oid === AKSNET.oid && e.data.correlationId);
  expect(write).toBeDefined();
  const disguised: GridEvent = { ...write!, id: randomUUID(), data: { ...write!.data, claims: { oid: PERSON.oid, appid: PERSON.appid } } };
  await deliver([disguised]);
  expect(await decisionOf(disguised.id)).toMatchObject({ action: 'ignore', reason: expect.stringMatching(/correlation/i) });
  expect(await remediations()).toEqual([]);
}, 60_000);

it('a cluster whose lock is held is left alone', async () => {
  const id = clusterId('mem-locked', 'rg-mem');
  // Another run holds the cluster (taken in the app's own lock store, as a rollout's child would).
  expect(await (await dependencies()).locks.acquire(id, 'rollout-x:mem-locked', new Date(), 3600)).toEqual({ acquired: true });
  const ops = armOperations(person);
  const { resource, etag } = await ops.getCluster(id);
  const { handle } = await ops.beginPutCluster(id, { ...resource, tags: { ...resource.tags, touched: randomUUID() } } as ManagedClusterResource, etag);
  await until('the tag write to finish', async () => (await ops.getOperation(handle)).status === 'Succeeded');
  const event = await until('the write event', async () =>
    (h.sim.world.events as unknown as GridEvent[]).find((e) => e.subject.toLowerCase() === id.toLowerCase() && e.eventType === 'Microsoft.Resources.ResourceWriteSuccess' && e.data.claims.oid === PERSON.oid),
  );
  await deliver([event]);
  expect(await decisionOf(event.id)).toMatchObject({ action: 'ignore', reason: expect.stringContaining('rollout-x:mem-locked') });
  expect(await remediations()).toEqual([]);
}, 30_000);
