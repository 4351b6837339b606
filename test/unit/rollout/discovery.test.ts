/**
 * Discovery of a rollout when another aksnet run is migrating some of its clusters (issue 5: a cluster is never
 * migrated by two runs at once; the second waits or skips with the reason). What discovery reads of such a cluster is
 * the other run's work in progress (provisioning state `Updating`, its PUT already showing): with the lock held no
 * verdict is drawn from it — the cluster goes to its stage and its own migration waits for the lock and assesses
 * afresh at its turn. Real ARM-shaped clusters, the real assessment, the in-memory lock store.
 */
import { discoverAndAssess } from '../../../functions/activities/rollout';
import { setDependencyFactory } from '../../../functions/dependencies';
import { useDiscoveryOnly } from '../../functions/support/discoveryOnly';
import { assessCluster } from '../../../shared/assess';
import type { ManagedClusterResource } from '../../../shared/model/arm';
import type { ClusterFacts } from '../../../shared/model/facts';
import { normalizeFleet } from '../../../shared/model/normalize';
import { heldByAnotherRun, IN_PROGRESS_RULE, planRolloutWithLocks } from '../../../shared/rollout/discovery';
import type { RolloutSpec } from '../../../shared/rollout/spec';
import { MemoryResultStore, type RolloutClusterRecord } from '../../../shared/rollout/store';
import { clusterId, kubenetCluster, nodeSubnetCluster, nsg, overlayCluster, snapshotOf, SUBSCRIPTION, vnet } from '../../support/arm';

const T0 = new Date('2026-11-21T10:00:00.000Z');
const HOLDER = 'twin-a:00000000-0000-0000-0000-000000000001:rg-aks:aks-held';

const spec: RolloutSpec = { name: 'twin-b', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION] }, stages: [{ name: 'all', maxConcurrency: 4 }] };
const assess = (facts: ClusterFacts) => assessCluster(facts, { target: spec.target });

function factsOf(clusters: ManagedClusterResource[]): ClusterFacts[] {
  return normalizeFleet(snapshotOf([...clusters, vnet(), nsg()]));
}

function byName(records: RolloutClusterRecord[]): Record<string, RolloutClusterRecord> {
  return Object.fromEntries(records.map((r) => [r.name, r]));
}

const blockers = (r: RolloutClusterRecord | undefined): string[] => (r?.result?.findings ?? []).filter((f) => f.severity === 'blocker').map((f) => f.rule);

describe('discovery with cluster locks', () => {
  afterEach(() =>
    setDependencyFactory(() => {
      throw new Error('no dependencies in this test');
    }),
  );

  it('sends every cluster another run holds to its stage, and reads again a busy cluster whose lock is free', async () => {
    const locks = new MemoryResultStore();
    const nap = { nodeProvisioningProfile: { mode: 'Auto' as const } };
    const fleet = factsOf([
      // Being migrated by twin-a: its NAP disable → Cilium → NAP enable is under way.
      overlayCluster({ name: 'aks-held', provisioningState: 'Updating', ...nap }),
      // Held, its Cilium PUT already showing in ARM: no verdict from a half-done update.
      nodeSubnetCluster({ name: 'aks-held-put', provisioningState: 'Updating', networkProfile: { networkDataplane: 'cilium', networkPolicy: 'cilium' } }),
      // Held too, and kubenet with a system-assigned identity cannot move to Overlay: its own preflight says so, at its turn.
      kubenetCluster({ name: 'aks-legacy', provisioningState: 'Updating' }),
      // Updating with nobody's lock: an auto-upgrade, still running when read again.
      nodeSubnetCluster({ name: 'aks-upgrading', provisioningState: 'Updating' }),
      // Updating when discovery read it, lock free when asked: the run that held it has finished since.
      nodeSubnetCluster({ name: 'aks-finished', provisioningState: 'Updating' }),
      // A failed operation: nothing is running, so nothing to read again; blocked until reconciled.
      nodeSubnetCluster({ name: 'aks-failed', provisioningState: 'Failed' }),
      nodeSubnetCluster({ name: 'aks-ok' }),
    ]);
    for (const name of ['aks-held', 'aks-held-put', 'aks-legacy']) expect(await locks.acquire(clusterId(name), `twin-a:${name}`, new Date(T0.getTime() - 600_000), 86_400)).toEqual({ acquired: true });
    const later = factsOf([
      nodeSubnetCluster({ name: 'aks-upgrading', provisioningState: 'Upgrading' }),
      nodeSubnetCluster({ name: 'aks-finished', networkProfile: { networkDataplane: 'cilium', networkPolicy: 'cilium' } }),
    ]);
    const reads: string[] = [];
    const readCluster = async (id: string): Promise<ClusterFacts> => {
      reads.push(id.split('/').pop() ?? id);
      const f = later.find((c) => c.id.toLowerCase() === id.toLowerCase());
      if (!f) throw new Error(`ResourceNotFound: ${id}`);
      return f;
    };

    const { records, summary } = await planRolloutWithLocks('twin-b', spec, fleet, assess, [], T0, { locks, readCluster });
    const r = byName(records);

    // Held: planned into the stage with the whole path, no result yet — its migration waits for twin-a's lock.
    expect(r['aks-held']).toMatchObject({ verdict: 'ready', stage: 'all', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'] });
    expect(r['aks-held'].result).toBeUndefined();
    // Held, whatever the snapshot made of it (compliant from the PUT showing, blocked for a reason of its own): to its
    // stage, pending; nothing ends it before its turn.
    expect(r['aks-held-put']).toMatchObject({ verdict: 'ready', stage: 'all', steps: [] });
    expect(r['aks-legacy']).toMatchObject({ verdict: 'ready', stage: 'all', steps: ['ipam:overlay', 'dataplane:cilium'] });
    expect([r['aks-held-put'].result, r['aks-legacy'].result]).toEqual([undefined, undefined]);
    // No lock, still busy after a second read: blocked by the running operation, as AKS would refuse the update.
    expect(r['aks-upgrading'].result?.result).toBe('blocked');
    expect(blockers(r['aks-upgrading'])).toEqual([IN_PROGRESS_RULE]);
    expect(r['aks-upgrading'].result?.findings[0].message).toContain('cluster Upgrading');
    // Finished since it was read: compliant from the fresh facts, not blocked from the stale ones.
    expect(r['aks-finished'].result?.result).toBe('compliant');
    expect(r['aks-failed'].result?.result).toBe('blocked');
    expect(blockers(r['aks-failed'])).toEqual([IN_PROGRESS_RULE]);
    expect(r['aks-ok']).toMatchObject({ verdict: 'ready', stage: 'all' });
    // Only the clusters read mid-operation with a free lock were read again.
    expect(reads.sort()).toEqual(['aks-finished', 'aks-upgrading']);
    expect(summary).toMatchObject({ total: 7, byVerdict: { ready: 4, blocked: 2, compliant: 1 }, stages: [{ name: 'all', size: 4 }] });
  });

  it('a lease that has lapsed holds nothing: the busy cluster stays blocked', async () => {
    const locks = new MemoryResultStore();
    await locks.acquire(clusterId('aks-held'), HOLDER, new Date(T0.getTime() - 120_000), 60);
    const fleet = factsOf([nodeSubnetCluster({ name: 'aks-held', provisioningState: 'Updating' })]);
    const { records } = await planRolloutWithLocks('twin-b', spec, fleet, assess, [], T0, { locks });
    expect(records[0].result?.result).toBe('blocked');
    expect(blockers(records[0])).toEqual([IN_PROGRESS_RULE]);
  });

  it('heldByAnotherRun names the run in the in-progress finding and keeps the other findings as read', () => {
    const [held] = factsOf([kubenetCluster({ name: 'aks-held', provisioningState: 'Updating' })]);
    const before = assess(held);
    expect(before.verdict).toBe('blocked');
    const after = heldByAnotherRun(before, HOLDER, 'cilium');
    expect(after).toMatchObject({ verdict: 'ready', steps: ['ipam:overlay', 'dataplane:cilium'], current: before.current });
    const told = after.findings.find((f) => f.rule === IN_PROGRESS_RULE);
    expect(told).toMatchObject({ severity: 'info', message: expect.stringContaining(`Another aksnet run (${HOLDER}) holds this cluster's lock`) });
    expect(told?.remediation).toContain('waits for the lock');
    // The kubenet identity blocker is the cluster's own: kept as read (its preflight reports it again at its turn).
    expect(after.findings.filter((f) => f.severity === 'blocker').map((f) => f.rule)).toEqual(before.findings.filter((f) => f.severity === 'blocker' && f.rule !== IN_PROGRESS_RULE).map((f) => f.rule));
    expect(after.findings.filter((f) => f.severity === 'blocker').length).toBeGreaterThan(0);
  });

  it('the discovery activity asks the locks: a second rollout records the held cluster pending in its stage, not blocked', async () => {
    const facts = factsOf([nodeSubnetCluster({ name: 'aks-held', provisioningState: 'Updating' }), nodeSubnetCluster({ name: 'aks-ok' })]);
    const store = useDiscoveryOnly(facts, 'discovery');
    await store.acquire(clusterId('aks-held'), HOLDER, new Date(), 86_400);

    const summary = await discoverAndAssess({ rolloutId: 'twin-b', spec });
    expect(summary).toMatchObject({ byVerdict: { ready: 2, blocked: 0, compliant: 0 }, stages: [{ name: 'all', size: 2 }] });
    const pending = await store.listClusters('twin-b', { status: 'pending' });
    expect(pending.items.map((c) => [c.name, c.stage])).toEqual([
      ['aks-held', 'all'],
      ['aks-ok', 'all'],
    ]);
    expect((await store.listClusters('twin-b', { status: 'blocked' })).items).toEqual([]);
  });
});
