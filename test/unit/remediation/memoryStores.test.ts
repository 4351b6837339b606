/**
 * Without AKSNET_RESULTS_DB (or with ':memory:') the app's result store and decision store must be ONE in-memory
 * database: the decision listing joins each `migrate` decision to the result its migration saved. Two separate
 * in-memory databases would silently list no result. (The lock and correlation-id checks ask the result store
 * itself: test/functions/eventGridMemory.test.ts.)
 */
import { decisionStoreFromSettings, resultStoreFromSettings } from '../../../functions/dependencies';
import type { ClusterResult } from '../../../shared/migration/result';

const CLUSTER = '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-a/providers/Microsoft.ContainerService/managedClusters/aks-a';
const INSTANCE = 'remediate:aks-a:0001';

const result: ClusterResult = {
  clusterId: CLUSTER,
  result: 'migrated',
  findings: [],
  steps: [],
  startedAt: '2026-11-21T10:00:00.000Z',
  endedAt: '2026-11-21T10:30:00.000Z',
  correlationIds: ['c0ffee00-0000-4000-8000-000000000001'],
};

it.each([{}, { AKSNET_RESULTS_DB: ':memory:' }])('with %j, a migrate decision lists the result its migration saved', async (env) => {
  const results = resultStoreFromSettings(env);
  const decisions = decisionStoreFromSettings(env);
  await results.savePlan(INSTANCE, [{ rolloutId: INSTANCE, clusterId: CLUSTER, name: 'aks-a', resourceGroup: 'rg-a', subscriptionId: '00000000-0000-4000-8000-000000000001', verdict: 'ready', steps: ['dataplane:cilium'], napMode: 'Manual', windows: [] }]);
  await results.saveResult(INSTANCE, result);
  const at = new Date().toISOString();
  await decisions.record({ decidedAt: at, eventId: `ev-${Math.random()}`, eventType: 'Microsoft.Resources.ResourceWriteSuccess', eventTime: at, clusterId: CLUSTER, action: 'migrate', reason: 'off policy', instanceId: INSTANCE, started: true, dedupeKey: CLUSTER });
  const page = await decisions.list({ clusterId: CLUSTER, limit: 100 });
  const listed = page.items.find((d) => d.instanceId === INSTANCE);
  expect(listed?.migration?.result).toBe('migrated');
  expect(listed?.migration?.correlationIds).toEqual(['c0ffee00-0000-4000-8000-000000000001']);
});
