/**
 * GET /api/rollouts/{id}/clusters carries the whole per-cluster result the workflow records (shared/migration/result.ts):
 * besides the documented `{ id, result, steps, findings, error }`, the ARM correlation ids of every write (steps, NAP
 * mode changes, pool scaling), what became of NAP, and what verify found.
 */
import { handleApiRequest } from '../../../shared/api/api';
import type { RolloutClusterRecord } from '../../../shared/rollout/store';
import type { ClusterResult } from '../../../shared/migration/result';
import { SUB, clusterId, fakePorts, report } from './support';

const ID = 'r-fields';
const BASE = 'https://aksnet-fn.azurewebsites.net';

function record(name: string, result?: Omit<ClusterResult, 'clusterId'>): RolloutClusterRecord {
  return {
    rolloutId: ID,
    clusterId: clusterId('rg-apps', name),
    name,
    resourceGroup: 'rg-apps',
    subscriptionId: SUB,
    stage: 'all',
    stageIndex: 0,
    verdict: 'ready',
    steps: ['dataplane:cilium'],
    napMode: 'Auto',
    windows: [],
    ...(result ? { result: { clusterId: clusterId('rg-apps', name), ...result } } : {}),
  };
}

const at = { startedAt: '2026-11-21T19:31:00Z', endedAt: '2026-11-21T19:50:00Z' };

async function items(): Promise<Array<Record<string, unknown>>> {
  const f = fakePorts({ [ID]: { instanceId: ID, runtimeStatus: 'Running', customStatus: report('running') } });
  await f.store.savePlan(ID, [
    record('aks-nap', {
      result: 'migrated',
      findings: [],
      steps: [
        { step: 'nap:disable', status: 'done', ...at, correlationId: 'corr-manual' },
        { step: 'dataplane:cilium', status: 'done', ...at, correlationId: 'corr-cilium' },
        { step: 'nap:enable', status: 'done', ...at, correlationId: 'corr-auto' },
      ],
      ...at,
      // The pool scaling writes have no step of their own: only here.
      correlationIds: ['corr-scale-up', 'corr-manual', 'corr-cilium', 'corr-auto', 'corr-scale-back'],
      nap: { disabled: true, restored: true },
    }),
    record('aks-verify', {
      result: 'failed',
      reason: 'verify found problems',
      error: { code: 'VerifyFailed', message: 'cilium DaemonSet not ready' },
      findings: [],
      steps: [{ step: 'dataplane:cilium', status: 'done', ...at, correlationId: 'corr-v' }],
      ...at,
      correlationIds: ['corr-v'],
      verifyProblems: ['cilium DaemonSet kube-system/cilium: 2 of 3 ready', 'kube-proxy still present'],
    }),
    record('aks-pending'),
  ]);
  const res = await handleApiRequest({ method: 'GET', url: `${BASE}/api/rollouts/${ID}/clusters`, headers: {} }, f.ports);
  expect(res.status).toBe(200);
  return (res.jsonBody as { value: Array<Record<string, unknown>> }).value;
}

it('each finished cluster carries its correlation ids (pool scaling included), NAP and verify problems, next to the documented fields', async () => {
  const byName = Object.fromEntries((await items()).map((i) => [i.name, i]));
  expect(byName['aks-nap']).toMatchObject({
    id: clusterId('rg-apps', 'aks-nap'),
    result: 'migrated',
    findings: [],
    correlationIds: ['corr-scale-up', 'corr-manual', 'corr-cilium', 'corr-auto', 'corr-scale-back'],
    nap: { disabled: true, restored: true },
  });
  expect(byName['aks-nap']).not.toHaveProperty('verifyProblems');
  expect(byName['aks-verify']).toMatchObject({
    result: 'failed',
    error: { code: 'VerifyFailed', message: 'cilium DaemonSet not ready' },
    correlationIds: ['corr-v'],
    verifyProblems: ['cilium DaemonSet kube-system/cilium: 2 of 3 ready', 'kube-proxy still present'],
  });
  expect(byName['aks-verify']).not.toHaveProperty('nap');
});

it('a cluster that has not run yet has none of them (nothing was written)', async () => {
  const pending = (await items()).find((i) => i.name === 'aks-pending');
  expect(pending).toMatchObject({ result: 'pending', steps: [], findings: [] });
  expect(Object.keys(pending ?? {})).toEqual(expect.not.arrayContaining(['correlationIds', 'nap', 'verifyProblems']));
});
