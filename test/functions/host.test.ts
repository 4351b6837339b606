/**
 * The real Functions app (functions/index.ts) on the local Durable host, against an in-memory Azure behind the
 * migration ports: a staged rollout runs to the end, results are queryable, nothing is written to blocked clusters.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import path from 'node:path';
import { startHost, type RunningHost } from '../../local/host';
import type { RolloutReport } from '../../functions/contracts';
import { setDependencyFactory } from '../../functions/dependencies';
import { ORCHESTRATIONS } from '../../functions/names';
import type { RolloutSpec } from '../../shared/rollout/spec';
import { kubenetCluster, nodeSubnetCluster } from '../support/arm';
import { FakeAzure } from './support/fakeAzure';

let host: RunningHost;
const azure = new FakeAzure();

beforeAll(async () => {
  for (let i = 0; i < 6; i++) azure.add(nodeSubnetCluster({ name: `aks-${i}`, resourceGroup: i < 2 ? 'rg-canary' : 'rg-prod' }));
  azure.add(kubenetCluster({ name: 'legacy' }));
  azure.failCilium.add(nodeSubnetCluster({ name: 'aks-5', resourceGroup: 'rg-prod' }).id.toLowerCase());
  setDependencyFactory(() => azure.dependencies());
  host = await startHost({ entry: path.join(__dirname, '../../functions/index.ts'), clockScale: 10_000, timers: false, log: () => undefined });
});

afterAll(async () => {
  await host?.stop();
});

it('runs a staged rollout end to end on the local host', async () => {
  const spec: RolloutSpec = {
    name: 'host-test',
    target: 'cilium',
    selector: { subscriptions: ['00000000-0000-0000-0000-000000000001'] },
    stages: [
      { name: 'canary', selector: { resourceGroups: ['rg-canary'] }, maxConcurrency: 1 },
      { name: 'rest', maxConcurrency: 2 },
    ],
    failureBudget: { total: 1 },
  };
  const id = host.client.startNew(ORCHESTRATIONS.rollout, { instanceId: 'rollout-host-1', input: { spec } });
  const status = await host.client.waitForCompletion(id, 50_000);
  expect(status.runtimeStatus).toBe('Completed');
  const report = status.output as RolloutReport;
  expect(report.status).toBe('completed');
  expect(report.counts).toEqual({ migrated: 5, failed: 1, blocked: 1 });
  // Nothing was written to the blocked kubenet cluster.
  expect(azure.writes.filter((w) => w.clusterId.endsWith('/legacy'))).toEqual([]);
  // Per-cluster results are queryable; the failure carries AKS's code.
  const failed = await azure.store.listClusters(id, { status: 'failed' });
  expect(failed.items.map((r) => [r.name, r.result?.error?.code])).toEqual([['aks-5', 'UpgradeFailed']]);
  const migrated = await azure.store.listClusters(id, { status: 'migrated' });
  expect(migrated.items).toHaveLength(5);
  expect(migrated.items.every((r) => r.result?.steps[0]?.correlationId?.startsWith('corr-'))).toBe(true);
}, 60_000);

it('two rollouts over the same clusters never run two operations on one cluster at once', async () => {
  const fresh = new FakeAzure();
  for (let i = 0; i < 3; i++) fresh.add(nodeSubnetCluster({ name: `shared-${i}`, nodeProvisioningProfile: { mode: 'Auto' } }));
  setDependencyFactory(() => fresh.dependencies());
  const spec = (name: string): RolloutSpec => ({ name, target: 'cilium', selector: { subscriptions: ['00000000-0000-0000-0000-000000000001'] }, stages: [{ name: 'all', maxConcurrency: 3 }] });
  const a = host.client.startNew(ORCHESTRATIONS.rollout, { instanceId: 'rollout-a', input: { spec: spec('a') } });
  const b = host.client.startNew(ORCHESTRATIONS.rollout, { instanceId: 'rollout-b', input: { spec: spec('b') } });
  const [ra, rb] = await Promise.all([host.client.waitForCompletion(a, 50_000), host.client.waitForCompletion(b, 50_000)]);
  const counts = [(ra.output as RolloutReport).counts, (rb.output as RolloutReport).counts];
  // Each cluster is migrated by exactly one of the two. The other run waited for the lock and then found it
  // done (compliant), or — when the wait outlasted lockWaitMinutes on a busy machine — skipped it saying why.
  expect((counts[0].migrated ?? 0) + (counts[1].migrated ?? 0)).toBe(3);
  expect((counts[0].compliant ?? 0) + (counts[1].compliant ?? 0) + (counts[0].skipped ?? 0) + (counts[1].skipped ?? 0)).toBe(3);
  for (const rid of [a, b]) {
    for (const r of (await fresh.store.listClusters(rid, { status: 'skipped' })).items) expect(r.result?.reason).toContain('being migrated by another run');
  }
  // Never a second PUT while an operation ran on the cluster.
  expect(fresh.conflicts).toBe(0);
  // One Cilium reimage per cluster, and NAP put back to Auto on every one.
  const reimages = fresh.writes.filter((w) => w.kind === 'reimage');
  expect(reimages).toHaveLength(3);
  for (const c of fresh.clusters.values()) expect(c.resource.properties?.nodeProvisioningProfile?.mode).toBe('Auto');
  setDependencyFactory(() => azure.dependencies());
}, 60_000);

it('cancel mid-way: the running operation ends, Cilium never starts, NAP comes back, the rest is cancelled', async () => {
  const fresh = new FakeAzure();
  for (let i = 0; i < 3; i++) fresh.add(nodeSubnetCluster({ name: `nap-${i}`, nodeProvisioningProfile: { mode: 'Auto' } }));
  setDependencyFactory(() => fresh.dependencies());
  fresh.hold = true;
  const spec: RolloutSpec = { name: 'cancel', target: 'cilium', selector: { subscriptions: ['00000000-0000-0000-0000-000000000001'] }, stages: [{ name: 'all', maxConcurrency: 1 }] };
  const id = host.client.startNew(ORCHESTRATIONS.rollout, { instanceId: 'rollout-cancel', input: { spec } });
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  // The first cluster's NAP-disable PUT (mode Manual) is running and held.
  await until('the NAP-disable PUT', () => fresh.writes.some((w) => w.kind === 'nap:Manual'));
  const child = fresh.writes.find((w) => w.kind === 'nap:Manual')!.clusterId;
  host.client.raiseEvent(id, 'cancel', { reason: 'test' });
  const childId = `rollout-cancel:00000000-0000-0000-0000-000000000001:rg-aks:${child.split('/').pop()}`;
  await until('the cancel to reach the cluster migration', () => host.client.history(childId).some((e) => e.EventType === 15 && e.Name === 'cancel'));
  fresh.hold = false;
  const status = await host.client.waitForCompletion(id, 50_000);
  const report = status.output as RolloutReport;
  expect(report.status).toBe('cancelled');
  expect(report.counts).toEqual({ cancelled: 3 });
  const kinds = fresh.writes.filter((w) => w.clusterId === child).map((w) => w.kind);
  expect(kinds).toEqual(['nap:Manual', 'nap:Auto']);
  expect(fresh.writes.filter((w) => w.clusterId !== child)).toEqual([]);
  for (const c of fresh.clusters.values()) expect(c.resource.properties?.nodeProvisioningProfile?.mode).toBe('Auto');
  const rec = (await fresh.store.listClusters(id, { status: 'cancelled' })).items.find((r) => r.clusterId === child);
  expect(rec?.result?.nap).toEqual({ disabled: true, restored: true });
  setDependencyFactory(() => azure.dependencies());
}, 60_000);

it('halts on a spent failure budget, starts nothing more, and goes on after resume', async () => {
  const fresh = new FakeAzure();
  for (let i = 0; i < 4; i++) fresh.add(nodeSubnetCluster({ name: `b-${i}` }));
  fresh.failCilium.add(nodeSubnetCluster({ name: 'b-0' }).id.toLowerCase());
  setDependencyFactory(() => fresh.dependencies());
  const spec: RolloutSpec = { name: 'budget', target: 'cilium', selector: { subscriptions: ['00000000-0000-0000-0000-000000000001'] }, stages: [{ name: 'all', maxConcurrency: 1 }], failureBudget: { total: 0 } };
  const id = host.client.startNew(ORCHESTRATIONS.rollout, { instanceId: 'rollout-budget', input: { spec } });
  const deadline = Date.now() + 20_000;
  while ((host.client.getStatus(id)?.customStatus as RolloutReport | undefined)?.status !== 'halted') {
    if (Date.now() > deadline) throw new Error(`never halted: ${JSON.stringify(host.client.getStatus(id)?.customStatus)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const halted = host.client.getStatus(id)?.customStatus as RolloutReport;
  expect(halted.haltReason).toBe('total failure budget spent: 1 failed, 0 allowed');
  await new Promise((r) => setTimeout(r, 100));
  // While halted nothing else was written.
  expect(new Set(fresh.writes.map((w) => w.clusterId)).size).toBe(1);
  host.client.raiseEvent(id, 'resume', {});
  const status = await host.client.waitForCompletion(id, 50_000);
  expect((status.output as RolloutReport).counts).toEqual({ failed: 1, migrated: 3 });
  setDependencyFactory(() => azure.dependencies());
}, 60_000);
