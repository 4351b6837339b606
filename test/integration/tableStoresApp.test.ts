/**
 * The Functions app as Azure runs it, store-wise: wired from app settings alone (createDependenciesFromEnvironment,
 * the HTTP API's decision store), with AKSNET_TABLE_CONNECTION_STRING pointing at Azurite's Table service, on the
 * local host against the AKS simulator. A rollout's results and locks go through Table storage, and the HTTP API
 * pages them back from there.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createDependenciesFromEnvironment, setDependencyFactory } from '../../functions/dependencies';
import type { RolloutReport } from '../../functions/contracts';
import { ORCHESTRATIONS } from '../../functions/names';
import { startHost, type RunningHost } from '../../local/host';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import type { RolloutSpec } from '../../shared/rollout/spec';
import { TableResultStore } from '../../shared/rollout/tableStore';
import { tablesFromSettings } from '../../shared/storage/tables';
import { clusterId, kubenetCluster, nodeSubnetCluster, snapshotOf, SUBSCRIPTION, vnet } from '../support/arm';
import { startAzuriteTable, type AzuriteTable } from '../support/azurite';

let azurite: AzuriteTable;
let sim: RunningSimulator;
let host: RunningHost;
let settings: Record<string, string>;
const saved = { ...process.env };

beforeAll(async () => {
  azurite = await startAzuriteTable();
  sim = await startSimulator({ snapshot: snapshotOf([nodeSubnetCluster({ name: 'ns-1' }), nodeSubnetCluster({ name: 'ns-2' }), kubenetCluster({ name: 'legacy' }), vnet()]), timeScale: 0.0005, throttling: false });
  const suffix = randomBytes(3).toString('hex');
  settings = {
    AKSNET_ARM_ENDPOINT: sim.armEndpoint,
    AKSNET_CA_CERT: sim.caCertPath,
    AKSNET_TABLE_CONNECTION_STRING: azurite.connectionString,
    AKSNET_RESULTS_TABLE: `appResults${suffix}`,
    AKSNET_LOCKS_TABLE: `appLocks${suffix}`,
    AKSNET_DECISIONS_TABLE: `appDecisions${suffix}`,
    AKSNET_REMEDIATION_POLICY: `mode: report\ntarget: cilium\nscope:\n  subscriptions: [${SUBSCRIPTION}]\nownIdentities:\n  objectIds: [aaaaaaaa-0000-4000-8000-000000000001]\n`,
  };
  setDependencyFactory(createDependenciesFromEnvironment);
  host = await startHost({ entry: path.join(__dirname, '../../functions/index.ts'), clockScale: 1000, timers: false, log: () => undefined, env: settings });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await sim?.stop();
  await azurite?.stop();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

it('runs a rollout with its results and locks in Table storage, and the API pages them from there', async () => {
  const spec: RolloutSpec = { name: 'tables', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION] }, stages: [{ name: 'all', maxConcurrency: 2 }], failureBudget: { total: 5 } };
  const id = host.client.startNew(ORCHESTRATIONS.rollout, { instanceId: 'rollout-tables', input: { spec } });
  const status = await host.client.waitForCompletion(id, 100_000);
  expect((status.output as RolloutReport).counts).toMatchObject({ migrated: 2, blocked: 1 });

  // Another app instance (its own clients over the same tables) sees every result.
  const other = new TableResultStore(tablesFromSettings(settings)!);
  const all = (await other.listClusters(id)).items.map((r) => [r.name, r.result?.result]);
  expect(all.sort()).toEqual([
    ['legacy', 'blocked'],
    ['ns-1', 'migrated'],
    ['ns-2', 'migrated'],
  ]);
  // The migrations gave their locks back: another owner takes one at once.
  expect(await other.acquire(clusterId('ns-1'), 'someone-else', new Date(), 60)).toEqual({ acquired: true });
  await other.release(clusterId('ns-1'), 'someone-else');

  // The HTTP API reads the same store, in pages.
  const get = async (query: string) => {
    const res = await fetch(`${host.baseUrl}/api/rollouts/${id}/clusters?${query}`, { headers: { 'x-functions-key': host.functionKey } });
    expect(res.status).toBe(200);
    return (await res.json()) as { value: Array<{ name: string; result: string }>; continuationToken?: string };
  };
  const first = await get('status=migrated&limit=1');
  const second = await get(`status=migrated&limit=1&continuationToken=${encodeURIComponent(first.continuationToken ?? '')}`);
  expect([...first.value, ...second.value].map((r) => [r.name, r.result]).sort()).toEqual([
    ['ns-1', 'migrated'],
    ['ns-2', 'migrated'],
  ]);
  expect(second.continuationToken).toBeUndefined();
}, 120_000);

/** A ResourceWriteSuccess on a cluster, by a person, as the subscription system topic delivers it. */
function writeEvent(id: string, resourceUri: string): Record<string, unknown> {
  return {
    id,
    topic: `/subscriptions/${SUBSCRIPTION}`,
    subject: resourceUri,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: new Date().toISOString(),
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': 'bbbbbbbb-0000-4000-8000-000000000003' },
      correlationId: 'c0ffee00-0000-4000-8000-00000000000a',
      resourceUri,
      operationName: 'Microsoft.ContainerService/managedClusters/write',
      status: 'Succeeded',
      subscriptionId: SUBSCRIPTION,
    },
  };
}

it('records Event Grid decisions in Table storage and sees the locks a rollout holds there', async () => {
  const deliver = (events: unknown[]) =>
    fetch(`${host.baseUrl}/runtime/webhooks/eventgrid?functionName=eventGridRemediation`, {
      method: 'POST',
      headers: { 'x-functions-key': host.functionKey, 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify(events),
    });
  // A migration holds ns-2's lock (taken by another instance, through the same table).
  const rollout = new TableResultStore(tablesFromSettings(settings)!);
  expect(await rollout.acquire(clusterId('ns-2'), 'rollout-x:ns-2', new Date(), 600)).toEqual({ acquired: true });
  expect((await deliver([writeEvent('ev-a', clusterId('ns-1')), writeEvent('ev-b', clusterId('ns-2'))])).status).toBeLessThan(300);
  expect((await deliver([writeEvent('ev-a', clusterId('ns-1'))])).status).toBeLessThan(300);
  const res = await fetch(`${host.baseUrl}/api/remediation/decisions?limit=10`, { headers: { 'x-functions-key': host.functionKey } });
  const { value } = (await res.json()) as { value: Array<{ eventId: string; action: string; reason: string }> };
  expect(value.map((d) => [d.eventId, d.action])).toEqual([
    ['ev-a', 'report'],
    ['ev-b', 'ignore'],
    ['ev-a', 'ignore'],
  ]);
  expect(value[1].reason).toBe('the cluster is being migrated already (lock held by rollout-x:ns-2)');
  expect(value[2].reason).toContain('already delivered');
}, 60_000);
