/**
 * The rollout orchestrator on histories, with the real discovery/batch activities over an in-memory result store
 * and a fleet of ARM-shaped clusters; cluster migrations are answered as sub-orchestration results.
 */
import { discoverAndAssess, loadStageBatch, closeRollout } from '../../functions/activities/rollout';
import type { ClusterMigrationInput, ClusterRunSummary, RolloutCursor, RolloutReport } from '../../functions/contracts';
import { setDependencyFactory } from '../../functions/dependencies';
import { ACTIVITIES, EVENTS, ORCHESTRATIONS } from '../../functions/names';
import { rolloutOrchestrator } from '../../functions/orchestrators/rollout';
import type { ManagedClusterResource } from '../../shared/model/arm';
import { normalizeFleet } from '../../shared/model/normalize';
import type { ClusterResult } from '../../shared/migration/result';
import type { RolloutSpec } from '../../shared/rollout/spec';
import { MemoryResultStore } from '../../shared/rollout/store';
import { useDiscoveryOnly } from './support/discoveryOnly';
import { ciliumCluster, kubenetCluster, maintenanceConfiguration, nodeSubnetCluster, nsg, snapshotOf, vnet } from '../support/arm';
import { activityCalls, runOrchestration, type DriverScript, type Reply, type Run, type Scheduled } from './support/replay';

const SUB = '00000000-0000-0000-0000-000000000001';
const ROLLOUT = 'rollout-1';

function fleet(n: number, extra: ManagedClusterResource[] = []): ManagedClusterResource[] {
  const clusters = Array.from({ length: n }, (_, i) => nodeSubnetCluster({ name: `aks-${String(i).padStart(5, '0')}`, resourceGroup: i % 3 === 0 ? 'rg-canary' : 'rg-prod' }));
  return [...clusters, ...extra];
}

function wire(clusters: ManagedClusterResource[], extraResources: Parameters<typeof snapshotOf>[0] = []): MemoryResultStore {
  return useDiscoveryOnly(normalizeFleet(snapshotOf([...clusters, vnet(), nsg(), ...extraResources])), 'the rollout orchestrator test');
}

interface ChildPlan {
  /** Seconds a migration takes (virtual time). */
  seconds?: number;
  /** Seconds for this one (called as each child starts, in start order); default `seconds`. */
  secondsFor?: (clusterId: string) => number;
  failed?: (clusterId: string) => boolean;
  /** The sub-orchestration itself fails (an unhandled error in it), leaving no result of its own. */
  crashed?: (clusterId: string) => boolean;
  /** The child's save failed every attempt: its output carries the full result (ClusterRunSummary.unsaved). */
  unsaved?: (clusterId: string) => boolean;
  /** What the child measured (ClusterRunSummary.operationSeconds); default: nothing. */
  operationSeconds?: (clusterId: string) => ClusterRunSummary['operationSeconds'];
}

function script(store: MemoryResultStore, plan: ChildPlan = {}): DriverScript & { cancelled: string[] } {
  const cancelled: string[] = [];
  return {
    cancelled,
    async activity(name, input): Promise<Reply> {
      switch (name) {
        case ACTIVITIES.discoverAndAssess:
          return { ok: true, value: await discoverAndAssess(input) };
        case ACTIVITIES.loadStageBatch:
          return { ok: true, value: await loadStageBatch(input) };
        case ACTIVITIES.closeRollout:
          return { ok: true, value: await closeRollout(input) };
        case ACTIVITIES.saveClusterResult:
          await store.saveResult(input.rolloutId, input.result);
          return { ok: true };
        case ACTIVITIES.cancelInstances:
          cancelled.push(...(input.instanceIds as string[]));
          return { ok: true, value: input.instanceIds.length };
        default:
          return { ok: false, message: `unexpected activity ${name}` };
      }
    },
    subOrchestration(name, input: ClusterMigrationInput): Reply {
      expect(name).toBe(ORCHESTRATIONS.clusterMigration);
      if (plan.crashed?.(input.clusterId)) return { ok: false, message: 'Error: orchestrator function failed: boom', afterSeconds: plan.seconds ?? 1200 };
      const failed = plan.failed?.(input.clusterId) ?? false;
      const result: ClusterResult = {
        clusterId: input.clusterId,
        result: failed ? 'failed' : 'migrated',
        ...(failed ? { error: { code: 'UpgradeFailed', message: 'Drain node failed' } } : {}),
        findings: [],
        steps: [],
        startedAt: '',
        endedAt: '',
        correlationIds: [],
      };
      // The child stores its own full result (finishClusterRun) and returns its summary (clusterMigration.ts), or,
      // when every save failed, returns the full result in the summary.
      const unsaved = plan.unsaved?.(input.clusterId) ?? false;
      if (!unsaved) void store.saveResult(input.rolloutId as string, result);
      const measured = plan.operationSeconds?.(input.clusterId);
      const summary: ClusterRunSummary = { clusterId: input.clusterId, result: result.result, ...(measured ? { operationSeconds: measured } : {}), ...(unsaved ? { unsaved: result } : {}) };
      return { ok: true, value: summary, afterSeconds: plan.secondsFor?.(input.clusterId) ?? plan.seconds ?? 1200 };
    },
  };
}

function spec(over: Partial<RolloutSpec> = {}): RolloutSpec {
  return {
    name: 'fleet-cilium',
    target: 'cilium',
    selector: { subscriptions: [SUB] },
    stages: [
      { name: 'canary', selector: { resourceGroups: ['rg-canary'] }, maxConcurrency: 2 },
      { name: 'rest', maxConcurrency: 3 },
    ],
    failureBudget: { total: 10 },
    ...over,
  };
}

const children = (run: Run): Scheduled[] => run.log.filter((s) => s.kind === 'subOrchestration');

function maxOverlap(items: Scheduled[], seconds: number): number {
  const points = items.flatMap((c) => [
    { t: c.at.getTime(), d: 1 },
    { t: c.at.getTime() + seconds * 1000, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const p of points) max = Math.max(max, (cur += p.d));
  return max;
}

describe('rollout', () => {
  afterEach(() => setDependencyFactory(() => {
    throw new Error('no dependencies in this test');
  }));

  it('runs stages in order with a sliding window of at most maxConcurrency clusters and deterministic ids', async () => {
    const store = wire(fleet(9, [kubenetCluster({ name: 'legacy' }), ciliumCluster({ name: 'done' })]));
    const run = await runOrchestration(rolloutOrchestrator, { spec: spec() }, script(store), { instanceId: ROLLOUT });
    expect(run.state).toBe('completed');
    const report = run.output as RolloutReport;
    expect(report.status).toBe('completed');
    expect(report.counts).toEqual({ migrated: 9, blocked: 1, compliant: 1 });
    expect(report.stages.map((s) => [s.name, s.size, s.counts.migrated])).toEqual([
      ['canary', 3, 3],
      ['rest', 6, 6],
    ]);
    const kids = children(run);
    expect(kids).toHaveLength(9);
    // Canary (rg-canary) first, all of it before any of the rest.
    const canary = kids.slice(0, 3);
    expect(canary.every((c) => /\/resourcegroups\/rg-canary\//i.test((c.input as ClusterMigrationInput).clusterId))).toBe(true);
    expect(Math.max(...canary.map((c) => c.at.getTime() + 1200_000))).toBeLessThanOrEqual(Math.min(...kids.slice(3).map((c) => c.at.getTime())) + 30_000);
    expect(maxOverlap(canary, 1200)).toBe(2);
    expect(maxOverlap(kids.slice(3), 1200)).toBe(3);
    expect(kids[0].instanceId).toBe(`${ROLLOUT}:${SUB}:rg-canary:aks-00000`);
    // Nothing was started for the blocked or the compliant cluster.
    expect(kids.some((c) => /legacy|\/done$/.test((c.input as ClusterMigrationInput).clusterId))).toBe(false);
    // Results are queryable per cluster.
    const page = await store.listClusters(ROLLOUT, { status: 'blocked' });
    expect(page.items.map((r) => r.name)).toEqual(['legacy']);
    // Makespan: canary 2 rounds (3 clusters, 2 at a time) + rest 2 rounds (6, 3 at a time), each 20 min, plus polling slack.
    const makespan = (run.now.getTime() - new Date('2026-01-05T10:00:00Z').getTime()) / 1000;
    expect(makespan).toBeGreaterThanOrEqual(4 * 1200);
    expect(makespan).toBeLessThanOrEqual(4 * 1200 * 1.1);
  });

  it('waits for approval before a stage that asks for it', async () => {
    const store = wire(fleet(6));
    const s = spec({ stages: [{ name: 'canary', selector: { resourceGroups: ['rg-canary'] }, maxConcurrency: 5 }, { name: 'rest', maxConcurrency: 5, approval: true }] });
    const driver = script(store);
    let approveAt: Date | undefined;
    driver.onIdle = (run) => {
      const status = run.customStatus as RolloutReport;
      if (status.status !== 'waitingForApproval' || approveAt) return [];
      expect(status.currentStage).toBe('rest');
      approveAt = new Date(run.now.getTime());
      return [{ name: EVENTS.approve }];
    };
    const run = await runOrchestration(rolloutOrchestrator, { spec: s }, driver, { instanceId: ROLLOUT });
    expect(run.state).toBe('completed');
    const kids = children(run);
    expect(kids).toHaveLength(6);
    const rest = kids.filter((c) => /\/resourcegroups\/rg-prod\//i.test((c.input as ClusterMigrationInput).clusterId));
    expect(approveAt).toBeDefined();
    expect(rest.every((c) => c.at.getTime() >= (approveAt as Date).getTime())).toBe(true);
  });

  it('waits afterStageWaitMinutes between stages', async () => {
    const store = wire(fleet(6));
    const s = spec({ stages: [{ name: 'canary', selector: { resourceGroups: ['rg-canary'] }, maxConcurrency: 5, afterStageWaitMinutes: 90 }, { name: 'rest', maxConcurrency: 5 }] });
    const run = await runOrchestration(rolloutOrchestrator, { spec: s }, script(store, { seconds: 600 }), { instanceId: ROLLOUT });
    const kids = children(run);
    const canaryEnd = Math.max(...kids.slice(0, 2).map((c) => c.at.getTime() + 600_000));
    const restStart = Math.min(...kids.slice(2).map((c) => c.at.getTime()));
    expect(restStart - canaryEnd).toBeGreaterThanOrEqual(90 * 60_000);
    expect(restStart - canaryEnd).toBeLessThanOrEqual(90 * 60_000 + 30_000);
  });

  it('stays waiting for approval while none comes', async () => {
    const store = wire(fleet(3));
    const s = spec({ stages: [{ name: 'all', maxConcurrency: 5, approval: true }] });
    const run = await runOrchestration(rolloutOrchestrator, { spec: s }, script(store), { instanceId: ROLLOUT });
    expect(run.state).toBe('waiting');
    expect((run.customStatus as RolloutReport).status).toBe('waitingForApproval');
    expect(children(run)).toHaveLength(0);
  });

  it('halts when the failure budget is spent and starts nothing until resumed', async () => {
    const store = wire(fleet(9));
    const s = spec({ failureBudget: { total: 0, perStage: 5 }, stages: [{ name: 'all', maxConcurrency: 2 }] });
    const failing = (id: string): boolean => id.endsWith('aks-00000');
    const driver = script(store, { failed: failing });
    let resumedAt: Date | undefined;
    let haltedSeen = 0;
    driver.onIdle = (run) => {
      const status = run.customStatus as RolloutReport;
      if (status.status === 'halted' && !resumedAt) {
        haltedSeen = children(run).length;
        expect(status.haltReason).toContain('total failure budget spent: 1 failed, 0 allowed');
        expect(status.failureBudgetLeft).toBe(0);
        expect(status.stageFailureBudgetLeft).toBe(4);
        resumedAt = new Date(run.now.getTime());
        return [{ name: EVENTS.resume }];
      }
      return [];
    };
    const run = await runOrchestration(rolloutOrchestrator, { spec: s }, driver, { instanceId: ROLLOUT });
    expect(run.state).toBe('completed');
    expect(resumedAt).toBeDefined();
    // When halted only the first window (2 clusters) had started.
    expect(haltedSeen).toBe(2);
    const kids = children(run);
    expect(kids).toHaveLength(9);
    expect(kids.slice(2).every((c) => c.at.getTime() >= (resumedAt as Date).getTime())).toBe(true);
    expect((run.output as RolloutReport).counts).toEqual({ failed: 1, migrated: 8 });
  });

  it('halts, saying why, when a stage batch comes back empty while the stage still has clusters (a lost plan)', async () => {
    const store = wire(fleet(9));
    const base = script(store);
    // The second stage's batch is read from a store that lost the plan, as a host restarted on an in-memory
    // result store would: it has no rows for this rollout.
    let storeLost = true;
    const driver: typeof base = {
      ...base,
      async activity(name, input, attempt, run) {
        if (name === ACTIVITIES.loadStageBatch && input.stageIndex === 1 && storeLost) {
          return { ok: true, value: await new MemoryResultStore().loadStageBatch(input.rolloutId, input.stageIndex, input.offset, input.limit) };
        }
        return base.activity(name, input, attempt, run);
      },
    };
    let halted: RolloutReport | undefined;
    driver.onIdle = (run) => {
      const status = run.customStatus as RolloutReport;
      if (status.status === 'halted' && !halted) {
        halted = status;
        storeLost = false; // the operator restarts the host on its results file, then resumes
        return [{ name: EVENTS.resume }];
      }
      return [];
    };
    const run = await runOrchestration(rolloutOrchestrator, { spec: spec() }, driver, { instanceId: ROLLOUT });
    expect(halted?.haltReason).toContain("stage 'rest': the result store returned no clusters from position 0 of 6");
    expect(halted?.haltReason).toContain('AKSNET_RESULTS_DB');
    expect(halted?.counts).toEqual({ migrated: 3 });
    expect(run.state).toBe('completed');
    expect((run.output as RolloutReport).counts).toEqual({ migrated: 9 });
    expect(children(run)).toHaveLength(9);
  });

  it('cancel stops new clusters, asks running ones to cancel, and marks the rest cancelled', async () => {
    const store = wire(fleet(8));
    const driver = script(store);
    let sent = false;
    driver.afterEpisode = (run) => {
      if (!sent && children(run).length >= 2) {
        sent = true;
        return [{ name: EVENTS.cancel }];
      }
      return [];
    };
    const s = spec({ stages: [{ name: 'all', maxConcurrency: 2 }] });
    const run = await runOrchestration(rolloutOrchestrator, { spec: s }, driver, { instanceId: ROLLOUT });
    expect(run.state).toBe('completed');
    const report = run.output as RolloutReport;
    expect(report.status).toBe('cancelled');
    expect(children(run)).toHaveLength(2);
    expect(driver.cancelled).toHaveLength(2);
    expect(report.counts).toEqual({ migrated: 2, cancelled: 6 });
    expect((await store.listClusters(ROLLOUT, { status: 'cancelled' })).items).toHaveLength(6);
  });

  it('starts clusters only inside their maintenance window', async () => {
    // Every cluster has a node-OS schedule: Saturdays 02:00 UTC for 8 hours; the rollout starts on a Monday.
    const clusters = fleet(4);
    const configs = clusters.map((c) =>
      maintenanceConfiguration(c.id, 'aksManagedNodeOSUpgradeSchedule', { maintenanceWindow: { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } }, durationHours: 8, startTime: '02:00', utcOffset: '+00:00' } }),
    );
    const store = wire(clusters, configs);
    const s = spec({ stages: [{ name: 'all', maxConcurrency: 2 }], maintenanceWindow: { useClusterConfiguration: true, expectedOperationMinutes: 60 } });
    const run = await runOrchestration(rolloutOrchestrator, { spec: s }, script(store), { instanceId: ROLLOUT });
    expect(run.state).toBe('completed');
    const kids = children(run);
    expect(kids).toHaveLength(4);
    for (const k of kids) {
      expect(k.at.getUTCDay()).toBe(6);
      expect(k.at.getUTCHours()).toBeGreaterThanOrEqual(2);
      expect(k.at.getUTCHours()).toBeLessThan(9);
      expect((k.input as ClusterMigrationInput).windows).toHaveLength(1);
    }
    expect(kids[0].at.toISOString()).toBe('2026-01-10T02:00:00.000Z');
  });

  it('records a failed result for a cluster migration that crashed, and counts it against the budget', async () => {
    const store = wire(fleet(3));
    const run = await runOrchestration(rolloutOrchestrator, { spec: spec({ stages: [{ name: 'all', maxConcurrency: 3 }] }) }, script(store, { crashed: (id) => id.endsWith('aks-00001') }), { instanceId: ROLLOUT });
    expect((run.output as RolloutReport).counts).toEqual({ failed: 1, migrated: 2 });
    const failed = (await store.listClusters(ROLLOUT, { status: 'failed' })).items;
    expect(failed.map((r) => [r.name, r.result?.reason])).toEqual([['aks-00001', expect.stringContaining('boom')]]);
    expect((await store.listClusters(ROLLOUT, { status: 'pending' })).items).toEqual([]);
  });

  it('stores the full result of a child whose own save failed, counted once by its outcome, never later marked cancelled', async () => {
    const store = wire(fleet(4));
    const driver = script(store, { unsaved: (id) => id.endsWith('aks-00000'), failed: (id) => id.endsWith('aks-00000') });
    let sent = false;
    // cancel once the first two children ended: the other two never start
    driver.afterEpisode = (r) => {
      if (!sent && children(r).length >= 2 && r.now.getTime() - children(r)[0].at.getTime() >= 1200_000) {
        sent = true;
        return [{ name: EVENTS.cancel }];
      }
      return [];
    };
    const run = await runOrchestration(rolloutOrchestrator, { spec: spec({ stages: [{ name: 'all', maxConcurrency: 2 }] }) }, driver, { instanceId: ROLLOUT });
    const report = run.output as RolloutReport;
    expect(report.status).toBe('cancelled');
    expect(children(run)).toHaveLength(2);
    // 4 clusters, 4 counted: the unsaved one as failed (its own outcome), not also as cancelled
    expect(report.counts).toEqual({ failed: 1, migrated: 1, cancelled: 2 });
    const [saved] = (await store.listClusters(ROLLOUT, { status: 'failed' })).items;
    expect(saved.name).toBe('aks-00000');
    expect(saved.result).toMatchObject({ result: 'failed', error: { code: 'UpgradeFailed', message: 'Drain node failed' } });
    const cancelled = (await store.listClusters(ROLLOUT, { status: 'cancelled' })).items.map((r) => r.name);
    expect(cancelled).toHaveLength(2);
    expect(cancelled).not.toContain('aks-00000');
    expect((await store.listClusters(ROLLOUT, { status: 'pending' })).items).toEqual([]);
    expect(activityCalls(run, ACTIVITIES.saveClusterResult)).toHaveLength(1);
  });

  it('fails at once, naming the problems, when started with an invalid spec', async () => {
    const store = wire(fleet(1));
    const run = await runOrchestration(rolloutOrchestrator, { spec: { ...spec(), stages: [] } }, script(store), { instanceId: ROLLOUT });
    expect(run.state).toBe('failed');
    expect(run.error).toContain('invalid rollout spec: stages: define at least one stage');
    expect(children(run)).toHaveLength(0);
  });

  it('dry run assesses and reports without starting any migration', async () => {
    const store = wire(fleet(5, [kubenetCluster({ name: 'legacy' })]));
    const run = await runOrchestration(rolloutOrchestrator, { spec: spec({ dryRun: true }) }, script(store), { instanceId: ROLLOUT });
    const report = run.output as RolloutReport;
    expect(report.status).toBe('dryRun');
    expect(report.byVerdict).toEqual({ ready: 5, blocked: 1, compliant: 0 });
    expect(children(run)).toHaveLength(0);
  });

  it('keeps custom status under 16 KB and history bounded for 10,000 clusters', async () => {
    const store = wire(fleet(10_000));
    const s = spec({ stages: [{ name: 'canary', count: 50, maxConcurrency: 50 }, { name: 'rest', maxConcurrency: 250 }], failureBudget: { total: '1%' } });
    let largestStatus = 0;
    const driver = script(store, { seconds: 600 });
    driver.afterEpisode = (run) => {
      largestStatus = Math.max(largestStatus, Buffer.byteLength(JSON.stringify(run.customStatus ?? null)));
      return [];
    };
    const run = await runOrchestration(rolloutOrchestrator, { spec: s }, driver, { instanceId: ROLLOUT, maxEpisodes: 200_000 });
    expect(run.state).toBe('completed');
    expect((run.output as RolloutReport).counts.migrated).toBe(10_000);
    if (process.env.AKSNET_PRINT_FIGURES) console.log(JSON.stringify({ largestStatus, maxHistory: run.maxHistory, executions: run.executions, episodes: run.episodes, makespanMinutes: (run.now.getTime() - Date.parse("2026-01-05T10:00:00Z")) / 60000 }));
    expect(largestStatus).toBeLessThan(16 * 1024);
    // One batch per execution: at most 500 children, a few events each.
    expect(run.maxHistory).toBeLessThan(500 * 4 + 200);
    expect(run.executions).toBeGreaterThanOrEqual(10_000 / 500);
    expect(Buffer.byteLength(JSON.stringify(run.continuedWith[run.continuedWith.length - 1]))).toBeLessThan(16 * 1024);
  }, 120_000);
});

describe('rollout learns how long its operations take (pollQuietSeconds)', () => {
  afterEach(() => setDependencyFactory(() => {
    throw new Error('no dependencies in this test');
  }));

  const quietOf = (c: Scheduled): ClusterMigrationInput['pollQuietSeconds'] => (c.input as ClusterMigrationInput).pollQuietSeconds;

  it('gives children a quiet period per step kind only once 3 clusters measured it: 0.8 × the shortest', async () => {
    const store = wire(fleet(8));
    // Cilium updates measured by the children, in start order: 25, 20, 22.5, 21.7, 16.7 min, then 20 min each;
    // only two clusters had an Overlay step (never 3 samples: never quiet).
    const took = [1500, 1200, 1350, 1300, 1000];
    let started = 0;
    const driver = script(store, {
      operationSeconds: () => {
        const n = started++;
        return { 'dataplane:cilium': took[n] ?? 1200, ...(n < 2 ? { 'ipam:overlay': 900 } : {}) };
      },
    });
    const run = await runOrchestration(rolloutOrchestrator, { spec: spec({ stages: [{ name: 'all', maxConcurrency: 2 }] }) }, driver, { instanceId: ROLLOUT });
    expect(run.state).toBe('completed');
    expect((run.output as RolloutReport).counts).toEqual({ migrated: 8 });
    const kids = children(run);
    expect(kids).toHaveLength(8);
    // Rounds of two (each 20 min): the 2nd round starts with 2 samples (no quiet), the 3rd with 4 (0.8 × 20 min),
    // the 4th with 6, the shortest now 16.7 min (0.8 × 1000 s).
    expect(kids.map(quietOf)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      { 'dataplane:cilium': 960 },
      { 'dataplane:cilium': 960 },
      { 'dataplane:cilium': 800 },
      { 'dataplane:cilium': 800 },
    ]);
  });

  it('carries the last 20 durations per step kind across continueAsNew', async () => {
    const store = wire(fleet(30));
    let started = 0;
    // The n-th child started measures 1000 + n seconds; all take as long, so they end in the order they started.
    const driver = script(store, { seconds: 1200, operationSeconds: () => ({ 'ipam:overlay': 1000 + started++ }) });
    const s = spec({ stages: [{ name: 'first', count: 24, maxConcurrency: 4 }, { name: 'rest', maxConcurrency: 4 }] });
    const run = await runOrchestration(rolloutOrchestrator, { spec: s }, driver, { instanceId: ROLLOUT });
    expect(run.state).toBe('completed');
    expect(run.executions).toBe(2);
    const cursor = (run.continuedWith[0] as { cursor: RolloutCursor }).cursor;
    expect(cursor.operationSeconds).toEqual({ 'ipam:overlay': Array.from({ length: 20 }, (_, i) => 1004 + i) });
    // The next stage, in a fresh execution, starts its first window with the quiet period those samples give;
    // once its own first 4 ended, the oldest 4 (1004–1007) have left the 20 and the shortest is 1008.
    const rest = children(run).slice(24);
    expect(rest.map(quietOf)).toEqual([...Array(4).fill({ 'ipam:overlay': Math.floor(0.8 * 1004) }), ...Array(2).fill({ 'ipam:overlay': Math.floor(0.8 * 1008) })]);
  });
});

describe('rollout looks at running children less while all are in their quiet period', () => {
  afterEach(() => setDependencyFactory(() => {
    throw new Error('no dependencies in this test');
  }));

  const run12 = async (measured: boolean): Promise<Awaited<ReturnType<typeof runOrchestration>>> => {
    const store = wire(fleet(12));
    // every Cilium update takes 20 minutes; with `measured` the children report it (the rollout learns: quiet 16 min)
    const driver = script(store, { seconds: 1200, ...(measured ? { operationSeconds: () => ({ 'dataplane:cilium': 1200 }) } : {}) });
    return runOrchestration(rolloutOrchestrator, { spec: spec({ stages: [{ name: 'all', maxConcurrency: 4 }] }) }, driver, { instanceId: ROLLOUT });
  };
  const timers = (run: Run): Scheduled[] => run.log.filter((x) => x.kind === 'timer');

  it('wakes at most every 5 minutes between a round\'s first 6 minutes and its quiet period\'s end, and ends no later', async () => {
    const quiet = await run12(true);
    const plain = await run12(false);
    for (const r of [quiet, plain]) {
      expect(r.state).toBe('completed');
      expect((r.output as RolloutReport).counts).toEqual({ migrated: 12 });
    }
    // the third round of four starts with three samples: quiet 960 s; from its 6th minute (EARLY_SECONDS: early ends
    // such as a first poll after a 5-minute Retry-After are seen within 30 s) to its 16th it is looked at every
    // 5 minutes at most (the first round, without samples, every 30 s)
    const third = children(quiet).slice(8).map((c) => c.at.getTime());
    const t3 = Math.max(...third);
    const inQuiet = (run: Run): number => timers(run).filter((t) => t.at.getTime() >= t3 + 360_000 && t.at.getTime() < t3 + 960_000).length;
    expect(inQuiet(quiet)).toBeLessThanOrEqual(Math.ceil(600 / 300) + 1);
    expect(inQuiet(plain)).toBeGreaterThanOrEqual(600 / 30 - 1);
    expect(timers(quiet).length).toBeLessThan(timers(plain).length * 0.75);
    // the same children start at the same times: nothing is seen later than with 30-second looks
    expect(children(quiet).map((c) => c.at.getTime())).toEqual(children(plain).map((c) => c.at.getTime()));
    expect(quiet.now.getTime()).toBe(plain.now.getTime());
  });

  /**
   * Nine clusters, four at a time, 20 minutes each, measured: the 6th child started (second round, quiet 960 s known)
   * ends after `seconds` instead. How long after its end the 9th cluster started in its slot (ms).
   */
  const slotFreedLate = async (seconds: number): Promise<number> => {
    const store = wire(fleet(9));
    let n = 0;
    const driver = script(store, { seconds: 1200, secondsFor: () => (n++ === 5 ? seconds : 1200), operationSeconds: () => ({ 'dataplane:cilium': 1200 }) });
    const run = await runOrchestration(rolloutOrchestrator, { spec: spec({ stages: [{ name: 'all', maxConcurrency: 4 }] }) }, driver, { instanceId: ROLLOUT });
    expect(run.state).toBe('completed');
    const kids = children(run);
    expect(kids).toHaveLength(9);
    expect((kids[5].input as ClusterMigrationInput).pollQuietSeconds).toEqual({ 'dataplane:cilium': 960 });
    return kids[8].at.getTime() - (kids[5].at.getTime() + seconds * 1000);
  };

  it('sees a child that ends in its first 6 minutes (a first poll after a 5-minute Retry-After) within 30 s', async () => {
    // it fails at 330 s: its first poll came after a Retry-After of 300 s; the rollout is still looking every 30 s then
    const late = await slotFreedLate(330);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThanOrEqual(30_000);
  });

  it('sees a child that ends inside its quiet period within 5 minutes and starts the next cluster in its slot', async () => {
    // it ends after 500 s: inside its quiet period
    const late = await slotFreedLate(500);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThanOrEqual(300_000);
  });
});
