/**
 * The whole app on the local host against the simulator with faults on: 500/503, dropped connections, competing
 * operations (409) and operations that end Failed. Every cluster ends migrated unless an operation of its own was
 * made to fail, and a failed one carries AKS's code; no PUT ever overlapped a running operation.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import type { RolloutReport } from '../../functions/contracts';
import type { RunningHost } from '../../local/host';
import type { RunningSimulator } from '../../sim/server';
import type { MemoryResultStore } from '../../shared/rollout/store';
import { startAppOnSimulator, type AppOnSimulator } from './support/appOnSimulator';
import { ORCHESTRATIONS } from '../../functions/names';
import type { RolloutSpec } from '../../shared/rollout/spec';
import { clusterId, nodeSubnetCluster, nsg, snapshotOf, SUBSCRIPTION, vnet } from '../support/arm';

const names = Array.from({ length: 8 }, (_, i) => `f-${i}`);
let app: AppOnSimulator;
let sim: RunningSimulator;
let host: RunningHost;
let store: MemoryResultStore;

beforeAll(async () => {
  app = await startAppOnSimulator({ snapshot: snapshotOf([...names.map((name) => nodeSubnetCluster({ name })), vnet(), nsg()]), faults: '500=0.05,503=0.05,drop=0.03,conflict=0.5,fail=0.15,seed=11', retryDelayInMs: 20 });
  ({ sim, host, store } = app);
}, 60_000);

afterAll(async () => app?.close());

it('survives transient faults and competing operations; only clusters whose operation failed end failed', async () => {
  const spec: RolloutSpec = { name: 'faults', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION] }, stages: [{ name: 'all', maxConcurrency: 4 }], failureBudget: { total: 8 } };
  const id = host.client.startNew(ORCHESTRATIONS.rollout, { instanceId: 'rollout-faults', input: { spec } });
  const status = await host.client.waitForCompletion(id, 110_000);
  expect(status.runtimeStatus).toBe('Completed');
  const report = status.output as RolloutReport;
  const records = (await store.listClusters(id, { limit: 100 })).items;
  expect(records).toHaveLength(names.length);
  const log = sim.world.log;
  for (const r of records) {
    const mine = log.filter((e) => e.api === 'arm' && e.resourceId.toLowerCase() === clusterId(r.name).toLowerCase() && e.principal !== 'aks-auto-upgrade');
    const failedOp = mine.some((e) => e.result.operationStatus === 'Failed');
    if (r.result?.result === 'migrated') continue;
    // Not migrated: only because an operation of its own ended Failed (the fault), with AKS's code kept.
    expect({ name: r.name, result: r.result?.result, failedOp }).toEqual({ name: r.name, result: 'failed', failedOp: true });
    expect(r.result?.error?.code).toMatch(/^[A-Z][A-Za-z]+$/);
  }
  // Some clusters were hit by a failing operation, most came through.
  expect(report.counts.migrated ?? 0).toBeGreaterThanOrEqual(4);
  // Faults really were injected, and no PUT of ours met a running operation without waiting for it.
  expect(sim.requests.faults.error500 + sim.requests.faults.error503 + sim.requests.faults.drop).toBeGreaterThan(0);
  if (process.env.AKSNET_PRINT_FIGURES) console.log(JSON.stringify({ counts: report.counts, faults: sim.requests.faults, results: records.map((r) => [r.name, r.result?.result, r.result?.error?.code]) }));
  // Half of the writes meet a competing operation: with at least one write per cluster, none at all has odds
  // below 0.5^8 = 0.4 % (the injection order depends on request timing, so the seed alone cannot pin it).
  const competing = log.filter((e) => e.principal === 'aks-auto-upgrade').length;
  expect(competing).toBeGreaterThan(0);
}, 120_000);
