/**
 * clusterMigration on histories: the real durable-functions SDK replays the orchestrator; the test answers each
 * activity the way the activity would for a given cluster (ARM-shaped outcomes) and reads what was scheduled.
 */
import { RESULT_SAVE_FAILED, type ClusterMigrationInput, type ClusterRunSummary, type FinishRunInput, type LockAndPreflightOutput, type LockInput, type LockOutput, type PreflightOutput, type VerifyAndFinishInput } from '../../functions/contracts';
import { ACTIVITIES, ORCHESTRATIONS } from '../../functions/names';
import { clusterMigrationOrchestrator } from '../../functions/orchestrators/clusterMigration';
import { followOperationOrchestrator, nextPollWait, POLLS_PER_EXECUTION, type FollowOperationInput } from '../../functions/orchestrators/followOperation';
import type { Finding, Step } from '../../shared/model/assessment';
import type { NapDisablePlan } from '../../shared/migration/nap';
import type { BeginOutcome } from '../../shared/migration/operations';
import type { OperationStarted, OperationStatus } from '../../shared/migration/ports';
import type { ClusterResult } from '../../shared/migration/result';
import { withVerifyProblems } from '../../shared/migration/verify';
import { activityCalls, runOrchestration as replay, type DriverScript, type Reply, type Run } from './support/replay';
import { failureText } from '../../functions/orchestrators/common';
import { verifyAndFinish } from '../../functions/activities/migration';
import { factsReader, fleetDiscovery, setDependencyFactory } from '../../functions/dependencies';
import { createAzureClients, type AzureClients } from '../../shared/azure/clients';
import { armOperations } from '../../shared/azure/operations';
import { kubernetesActions, type KubernetesActions } from '../../shared/kube/actions';
import { MemoryResultStore } from '../../shared/rollout/store';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { clusterId as armClusterId, nodeSubnetCluster, nsg, snapshotOf, vnet } from '../support/arm';

/** Every operation is followed by the real followOperation sub-orchestration, on the same script and clock. */
const runOrchestration = (...[handler, inp, driver, options]: Parameters<typeof replay>) =>
  replay(handler, inp, driver, { ...options, children: { [ORCHESTRATIONS.followOperation]: followOperationOrchestrator } });

const CLUSTER = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-nap';

const napPlan: NapDisablePlan = {
  nodePools: [{ name: 'default', before: { limitsCpu: '1000', taints: [] }, after: { limitsCpu: '0', taints: [{ key: 'karpenter.azure.com/disable', effect: 'NoSchedule' }] } }],
  scale: [{ pool: 'nodepool1', from: 3, to: 5 }],
  napNodes: ['aks-default-abcde'],
  notes: [],
};

const blocker: Finding = {
  rule: 'overlay.network-policy',
  severity: 'blocker',
  message: 'Calico is enabled',
  remediation: 'Uninstall Calico first',
  source: '000_c747be24177f73a8.txt § Update the IPAM mode to Azure CNI Overlay',
};

interface ClusterModel {
  verdict?: PreflightOutput['verdict'];
  steps?: Step[];
  napMode?: 'Auto' | 'Manual';
  /** Per step: what beginStep answers, in order (the last one repeats). */
  begin?: Partial<Record<Step, BeginOutcome[]>>;
  /** Per step: poll answers in order (the last one repeats). */
  poll?: Partial<Record<Step, OperationStatus[]>>;
  /** Activities that throw on their first N attempts (transient faults). */
  flaky?: Partial<Record<string, number>>;
  /** The preflight half of acquireLockAndPreflight throws on its first N attempts (transient faults). */
  preflightFailsFor?: number;
  lockHeldUntilAttempt?: number;
  /** From this acquire on (renewals included), another run holds the lock. */
  lockLostAtAttempt?: number;
  /** What napApply starts (default: nothing to scale); polled under the handle's last URL segment. */
  napApplied?: OperationStarted[];
  /** napNodesRemaining answers a NAP node still there this many times. */
  napNodesRemainFor?: number;
  /** The first N poll calls fail on every attempt (ARM unreachable for minutes). */
  pollFailsForCalls?: number;
  verifyProblems?: string[];
  /** The save (finishClusterRun's, verifyAndFinish's) fails on its first N attempts. */
  saveFailsFor?: number;
  onActivity?: (name: string, input: Record<string, unknown>, run: Run) => void;
}

function started(step: Step, retryAfterSeconds = 30): BeginOutcome {
  return { kind: 'started', handle: { kind: 'azure-asyncoperation', url: `https://management.azure.com/operations/${step}`, resourceId: CLUSTER }, retryAfterSeconds, correlationId: `corr-${step}` };
}

function script(model: ClusterModel): DriverScript & { calls: Array<{ name: string; input: Record<string, unknown> }>; preflights: Date[]; released: LockInput[]; saved: ClusterResult[] } {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const released: LockInput[] = [];
  /** Every result the store received, in order (a retried save overwrites, so the last one is what a user reads). */
  const saved: ClusterResult[] = [];
  const beginCount = new Map<Step, number>();
  const pollCount = new Map<string, number>();
  let lockAttempts = 0;
  let napNodesCalls = 0;
  let pollCalls = 0;
  const nth = <T>(list: T[] | undefined, i: number, fallback: T): T => (list && list.length ? list[Math.min(i, list.length - 1)] : fallback);
  // The lock store: the first acquisition (with the preflight) and every renewal count as attempts.
  const lock = (): LockOutput => {
    lockAttempts++;
    if (model.lockLostAtAttempt && lockAttempts >= model.lockLostAtAttempt) return { acquired: false, holder: 'rollout-b:aks-nap', since: '2026-01-06T11:00:00.000Z' };
    return model.lockHeldUntilAttempt && lockAttempts < model.lockHeldUntilAttempt ? { acquired: false, holder: 'rollout-a:aks-nap', since: '2026-01-05T09:00:00.000Z' } : { acquired: true };
  };
  const preflights: Date[] = [];
  const preflight = (at: Date): PreflightOutput => {
    preflights.push(new Date(at));
    return {
      verdict: model.verdict ?? 'ready',
      steps: model.verdict === 'blocked' || model.verdict === 'compliant' ? [] : (model.steps ?? ['dataplane:cilium']),
      findings: model.verdict === 'blocked' ? [blocker] : [],
      napMode: model.napMode ?? 'Manual',
      nodeImages: { nodepool1: 'AKSUbuntu-2204gen2containerd-202410.15.0' },
    };
  };
  return {
    calls,
    preflights,
    released,
    saved,
    activity(name, input, attempt, run): Reply {
      calls.push({ name, input });
      model.onActivity?.(name, input, run);
      const flaky = model.flaky?.[name] ?? 0;
      if (attempt <= flaky) return { ok: false, message: `TransientAzureError: HTTP503: Service Unavailable (attempt ${attempt})` };
      switch (name) {
        case ACTIVITIES.acquireClusterLock:
          return { ok: true, value: lock() };
        case ACTIVITIES.acquireLockAndPreflight: {
          // The real activity (functions/activities/migration.ts): the preflight only once the lock is taken.
          const taken = lock();
          if (!taken.acquired) return { ok: true, value: taken };
          if (attempt <= (model.preflightFailsFor ?? 0)) return { ok: false, message: `TransientAzureError: HTTP503: Service Unavailable (preflight attempt ${attempt})` };
          return { ok: true, value: { acquired: true, preflight: preflight(run.now) } satisfies LockAndPreflightOutput };
        }
        case ACTIVITIES.beginStep: {
          const step = input.step as Step;
          const i = beginCount.get(step) ?? 0;
          beginCount.set(step, i + 1);
          return { ok: true, value: nth(model.begin?.[step], i, started(step)) };
        }
        case ACTIVITIES.pollOperation: {
          if (attempt === 1) pollCalls++;
          if (model.pollFailsForCalls && pollCalls <= model.pollFailsForCalls) return { ok: false, message: `TransientAzureError: HTTP503: Service Unavailable (poll ${pollCalls})` };
          const url = (input.handle as { url: string }).url;
          const step = url.split('/').pop() as Step;
          const i = pollCount.get(url) ?? 0;
          pollCount.set(url, i + 1);
          return { ok: true, value: nth(model.poll?.[step], i, { status: 'Succeeded' } as OperationStatus) };
        }
        case ACTIVITIES.napPlan:
          return { ok: true, value: napPlan };
        case ACTIVITIES.napApply:
          return { ok: true, value: { started: model.napApplied ?? [] } };
        case ACTIVITIES.napRestore:
          return { ok: true, value: { started: [] } };
        case ACTIVITIES.napDrain:
          return { ok: true, value: ['aks-default-abcde'] };
        case ACTIVITIES.napNodesRemaining:
          napNodesCalls++;
          return { ok: true, value: model.napNodesRemainFor && napNodesCalls <= model.napNodesRemainFor ? ['aks-default-abcde'] : [] };
        case ACTIVITIES.verifyAndFinish: {
          // The real activity (functions/activities/migration.ts): verify, its problems applied to the result with the
          // same function, then the save and the release: a save that fails keeps the lock.
          const { finish } = input as unknown as VerifyAndFinishInput;
          const problems = model.verifyProblems ?? [];
          // As the local host reports an activity's error (docs/local-host.md § Failures), with the activity's code for
          // a failure in its save half.
          if (attempt <= (model.saveFailsFor ?? 0)) {
            return { ok: false, message: `Activity function 'verifyAndFinish' failed: ${RESULT_SAVE_FAILED}: the result could not be saved or the lock released: HTTP503: the result store is unavailable (attempt ${attempt})` };
          }
          saved.push(withVerifyProblems(finish.result, problems));
          if (finish.release) released.push(finish.release);
          return { ok: true, value: { problems } };
        }
        case ACTIVITIES.verify:
          // the fallback after verifyAndFinish failed: verify alone, nothing saved
          return { ok: true, value: { problems: model.verifyProblems ?? [] } };
        case ACTIVITIES.finishClusterRun:
          // The real activity saves, then releases: a save that fails keeps the lock.
          if (attempt <= (model.saveFailsFor ?? 0)) return { ok: false, message: `TransientAzureError: HTTP503: the result store is unavailable (attempt ${attempt})` };
          saved.push((input as FinishRunInput).result);
          if ((input as FinishRunInput).release) released.push((input as FinishRunInput).release as LockInput);
          return { ok: true };
        case ACTIVITIES.releaseClusterLock:
          released.push(input as unknown as LockInput);
          return { ok: true };
        default:
          return { ok: false, message: `unexpected activity ${name}` };
      }
    },
  };
}

/**
 * Without rolloutId (as Event Grid starts a run) the output is the full ClusterResult, which these tests read; a
 * rollout child's compact output has its own tests below.
 */
const input = (over: Partial<ClusterMigrationInput> = {}): ClusterMigrationInput => ({ clusterId: CLUSTER, target: 'cilium', ...over });

const stepsBegun = (run: Run): string[] => activityCalls(run, ACTIVITIES.beginStep).map((c) => (c.input as { step: string }).step);
const names = (run: Run): string[] => activityCalls(run).map((c) => c.name as string);


/** An afterEpisode hook that raises `cancel` once, after the first episode for which `when` holds. */
function cancelOnceWhen(when: (run: Run) => boolean): NonNullable<DriverScript['afterEpisode']> {
  let raised = false;
  return (run) => {
    if (raised || !when(run)) return [];
    raised = true;
    return [{ name: 'cancel', input: { reason: 'test' } }];
  };
}

describe('clusterMigration', () => {
  it('ends a blocked cluster with its findings and never schedules a write', async () => {
    const model = script({ verdict: 'blocked' });
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ target: 'overlay' }), model);
    expect(run.state).toBe('completed');
    const result = run.output as ClusterResult;
    expect(result.result).toBe('blocked');
    expect(result.findings.map((f) => f.rule)).toEqual(['overlay.network-policy']);
    const writes = [ACTIVITIES.beginStep, ACTIVITIES.napApply, ACTIVITIES.napDrain, ACTIVITIES.napRestore];
    expect(names(run).filter((n) => (writes as string[]).includes(n))).toEqual([]);
    // Lock and preflight in one activity; the result stored for the rollout and the lock given back in another.
    expect(names(run)).toEqual([ACTIVITIES.acquireLockAndPreflight, ACTIVITIES.finishClusterRun]);
    expect(model.released).toEqual([{ clusterId: CLUSTER, owner: 'test-instance' }]);
  });

  it('disables NAP before the Cilium update and puts it back after, then verifies', async () => {
    const model = script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'] });
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    const result = run.output as ClusterResult;
    expect(result.result).toBe('migrated');
    const order = names(run).filter((n) => ![ACTIVITIES.pollOperation, ACTIVITIES.napNodesRemaining].includes(n as never));
    expect(order).toEqual([
      ACTIVITIES.acquireLockAndPreflight,
      ACTIVITIES.napPlan,
      ACTIVITIES.napApply,
      ACTIVITIES.napDrain,
      ACTIVITIES.napNodesRemaining,
      ACTIVITIES.beginStep, // nap:disable (mode Manual)
      ACTIVITIES.beginStep, // dataplane:cilium
      ACTIVITIES.beginStep, // nap:enable (mode Auto)
      ACTIVITIES.napRestore,
      ACTIVITIES.verifyAndFinish,
    ].filter((n) => n !== ACTIVITIES.napNodesRemaining));
    expect(stepsBegun(run)).toEqual(['nap:disable', 'dataplane:cilium', 'nap:enable']);
    expect(result.nap).toEqual({ disabled: true, restored: true });
    // NAP restore gets the plan recorded when it was disabled.
    const restore = model.calls.find((c) => c.name === ACTIVITIES.napRestore);
    expect(restore?.input.plan).toEqual(napPlan);
    // verify compares with the NAP mode before the run and the node images before the reimage.
    const verify = model.calls.find((c) => c.name === ACTIVITIES.verifyAndFinish);
    expect(verify?.input.verify).toMatchObject({ napModeBefore: 'Auto', nodeImagesBefore: { nodepool1: 'AKSUbuntu-2204gen2containerd-202410.15.0' } });
    expect(result.correlationIds).toEqual(['corr-nap:disable', 'corr-dataplane:cilium', 'corr-nap:enable']);
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([
      ['nap:disable', 'done'],
      ['dataplane:cilium', 'done'],
      ['nap:enable', 'done'],
    ]);
  });

  it('restores NAP when the Cilium update is rejected, and fails with AKS code and message', async () => {
    const rejected: BeginOutcome = { kind: 'rejected', code: 'CiliumDataplaneRequiresNetworkPolicyCilium', message: 'Cilium dataplane requires network policy cilium.' };
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input(),
      script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'], begin: { 'dataplane:cilium': [rejected] } }),
    );
    const result = run.output as ClusterResult;
    expect(result.result).toBe('failed');
    expect(result.error).toEqual({ code: 'CiliumDataplaneRequiresNetworkPolicyCilium', message: expect.stringContaining('Cilium dataplane requires network policy cilium.') });
    // Rejected at once: one begin for the Cilium step, no retry.
    expect(stepsBegun(run)).toEqual(['nap:disable', 'dataplane:cilium', 'nap:enable']);
    expect(names(run)).toContain(ACTIVITIES.napRestore);
    expect(names(run)).not.toContain(ACTIVITIES.verifyAndFinish);
    expect(names(run).slice(-1)).toEqual([ACTIVITIES.finishClusterRun]);
    expect(result.nap).toEqual({ disabled: true, restored: true });
  });

  it('restores NAP when the update operation ends Failed', async () => {
    const failed: OperationStatus = { status: 'Failed', error: { code: 'UpgradeFailed', message: 'Drain node aks-nodepool1-1 failed when evicting pod web-0' } };
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input(),
      script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'], poll: { 'dataplane:cilium': [{ status: 'InProgress' }, failed] } }),
    );
    const result = run.output as ClusterResult;
    expect(result.result).toBe('failed');
    expect(result.error?.code).toBe('UpgradeFailed');
    expect(result.steps.find((s) => s.step === 'dataplane:cilium')).toMatchObject({ status: 'failed', correlationId: 'corr-dataplane:cilium' });
    expect(names(run)).toContain(ACTIVITIES.napRestore);
  });

  it('waits with a durable timer after 409 OperationNotAllowed and begins again', async () => {
    const busy: BeginOutcome = { kind: 'busy', code: 'OperationNotAllowed', message: 'Another operation (Upgrading) is in progress, please wait for it to finish', retryAfterSeconds: 120 };
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ target: 'overlay', podCidr: '192.168.0.0/16' }), script({ steps: ['ipam:overlay'], begin: { 'ipam:overlay': [busy, started('ipam:overlay')] } }));
    expect((run.output as ClusterResult).result).toBe('migrated');
    const begins = activityCalls(run, ACTIVITIES.beginStep);
    expect(begins).toHaveLength(2);
    // Between the two begins: one timer for the Retry-After of the 409.
    const timers = run.log.filter((s) => s.kind === 'timer' && s.seq > begins[0].seq && s.seq < begins[1].seq);
    expect(timers).toHaveLength(1);
    expect(timers[0].fireAt!.getTime() - begins[0].at.getTime()).toBe(120_000);
    expect((begins[1].input as { podCidr: string }).podCidr).toBe('192.168.0.0/16');
  });

  it('polls on durable timers honouring Retry-After until the operation ends', async () => {
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input(),
      script({ begin: { 'dataplane:cilium': [started('dataplane:cilium', 45)] }, poll: { 'dataplane:cilium': [{ status: 'InProgress', retryAfterSeconds: 90 }, { status: 'InProgress' }, { status: 'Succeeded' }] } }),
    );
    expect((run.output as ClusterResult).result).toBe('migrated');
    const polls = activityCalls(run, ACTIVITIES.pollOperation);
    expect(polls).toHaveLength(3);
    const begin = activityCalls(run, ACTIVITIES.beginStep)[0];
    // A minute (the PUT's Retry-After, 45 s, is shorter), then 90 s (the first poll's Retry-After, longer than the
    // operation's age then, 60 s), then the age (150 s) capped at two minutes, longer than the 30 s default.
    expect(polls.map((p, i) => (p.at.getTime() - (i === 0 ? begin.at.getTime() : polls[i - 1].at.getTime())) / 1000)).toEqual([60, 90, 120]);
  });

  it('polls a 20-minute operation 11 times, its last poll at 20 minutes: a minute, a minute, then every two', async () => {
    const inProgress = Array.from({ length: 10 }, () => ({ status: 'InProgress' as const, retryAfterSeconds: 15 }));
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input(),
      script({ begin: { 'dataplane:cilium': [started('dataplane:cilium', 15)] }, poll: { 'dataplane:cilium': [...inProgress, { status: 'Succeeded' }] } }),
    );
    expect((run.output as ClusterResult).result).toBe('migrated');
    const begin = activityCalls(run, ACTIVITIES.beginStep)[0];
    const ages = activityCalls(run, ACTIVITIES.pollOperation).map((p) => (p.at.getTime() - begin.at.getTime()) / 1000);
    // ARM's 15 s Retry-After is a minimum, not a cadence (was ~26 polls: every 15 s, then a quarter of the age ≤ 60 s)
    expect(ages).toEqual([60, 120, 240, 360, 480, 600, 720, 840, 960, 1080, 1200]);
    // 11 polls: one execution of the child, no continueAsNew
    expect(run.children[0].executions).toBe(1);
  });

  it('spreads polls out as a long operation ages, never sooner than Retry-After, never more than two minutes apart', async () => {
    const inProgress = Array.from({ length: 40 }, () => ({ status: 'InProgress' as const, retryAfterSeconds: 15 }));
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input(),
      script({ begin: { 'dataplane:cilium': [started('dataplane:cilium', 15)] }, poll: { 'dataplane:cilium': [...inProgress, { status: 'Succeeded' }] } }),
    );
    expect((run.output as ClusterResult).result).toBe('migrated');
    const polls = activityCalls(run, ACTIVITIES.pollOperation);
    const begin = activityCalls(run, ACTIVITIES.beginStep)[0];
    const gaps = polls.map((p, i) => (p.at.getTime() - (i === 0 ? begin.at.getTime() : polls[i - 1].at.getTime())) / 1000);
    expect(gaps.slice(0, 3)).toEqual([60, 60, 120]); // young: a minute, then the age; Retry-After (15 s) is less
    expect(Math.min(...gaps)).toBe(60);
    expect(Math.max(...gaps)).toBe(120);
    expect(gaps[gaps.length - 1]).toBe(120);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]);
  });

  it('retries an activity that hit a transient fault, with backoff', async () => {
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), script({ flaky: { [ACTIVITIES.beginStep]: 2 } }));
    expect((run.output as ClusterResult).result).toBe('migrated');
    const attempts = activityCalls(run, ACTIVITIES.beginStep);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect((attempts[1].at.getTime() - attempts[0].at.getTime()) / 1000).toBe(5);
    expect((attempts[2].at.getTime() - attempts[1].at.getTime()) / 1000).toBe(10);
  });

  it('fails with the fault once the retries are spent, and still restores NAP', async () => {
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input(),
      script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'], flaky: { [ACTIVITIES.napDrain]: 99 } }),
    );
    const result = run.output as ClusterResult;
    expect(result.result).toBe('failed');
    expect(result.error?.code).toBe('HTTP503');
    expect(activityCalls(run, ACTIVITIES.napDrain)).toHaveLength(6);
    expect(stepsBegun(run)).toEqual(['nap:enable']);
    expect(names(run)).toContain(ACTIVITIES.napRestore);
  });

  it('on cancel finishes the running operation, starts no other, restores NAP and ends cancelled', async () => {
    let cancelAfterEpisode = -1;
    const model = script({
      napMode: 'Auto',
      steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'],
      onActivity: (name, inp, run) => {
        if (name === ACTIVITIES.beginStep && inp.step === 'nap:disable') cancelAfterEpisode = run.episodes;
      },
    });
    model.afterEpisode = cancelOnceWhen((run) => cancelAfterEpisode >= 0 && run.episodes > cancelAfterEpisode);
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    const result = run.output as ClusterResult;
    expect(result.result).toBe('cancelled');
    // The NAP-disable operation in flight was followed to its end; Cilium never began; NAP came back.
    expect(stepsBegun(run)).toEqual(['nap:disable', 'nap:enable']);
    expect(activityCalls(run, ACTIVITIES.pollOperation).length).toBeGreaterThanOrEqual(2);
    expect(names(run)).toContain(ACTIVITIES.napRestore);
    expect(result.nap?.restored).toBe(true);
  });

  it('waits for a lock another run holds, then goes on', async () => {
    const model = script({ lockHeldUntilAttempt: 3 });
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    expect((run.output as ClusterResult).result).toBe('migrated');
    const locks = activityCalls(run, ACTIVITIES.acquireLockAndPreflight);
    expect(locks).toHaveLength(3);
    // The preflight ran once, when the lock was taken.
    expect(model.preflights).toEqual([locks[2].at]);
    expect((locks[2].at.getTime() - locks[0].at.getTime()) / 1000).toBe(600);
  });

  it('skips with the reason when the lock stays taken', async () => {
    const model = script({ lockHeldUntilAttempt: 1000 });
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ lockWaitMinutes: 10 }), model);
    const result = run.output as ClusterResult;
    expect(result.result).toBe('skipped');
    expect(result.reason).toContain('being migrated by another run (rollout-a:aks-nap');
    // Asked 3 times (0, 5, 10 minutes), never acquired: no preflight, the result saved, the other run's lock left alone.
    expect(activityCalls(run, ACTIVITIES.acquireLockAndPreflight)).toHaveLength(3);
    expect(model.preflights).toEqual([]);
    expect(names(run)).toContain(ACTIVITIES.finishClusterRun);
    expect(model.released).toEqual([]);
  });

  it('starts no operation before the maintenance window opens', async () => {
    // Saturdays 02:00 UTC for 6 hours; the run starts Monday 2026-01-05 10:00 UTC.
    const windows: ClusterMigrationInput['windows'] = [{ kind: 'window', name: 'aksManagedNodeOSUpgradeSchedule', window: { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } }, durationHours: 6, startTime: '02:00', utcOffset: '+00:00' } }];
    const model = script({});
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ windows, expectedOperationMinutes: 60 }), model);
    expect((run.output as ClusterResult).result).toBe('migrated');
    const begin = activityCalls(run, ACTIVITIES.beginStep)[0];
    expect(begin.at.toISOString()).toBe('2026-01-10T02:00:00.000Z');
    // The preflight (read-only) ran at once.
    expect(model.preflights.map((d) => d.toISOString())).toEqual(['2026-01-05T10:00:00.000Z']);
  });

  it('fails a cluster whose operation outlives the deadline without abandoning it silently', async () => {
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ operationDeadlineMinutes: 30 }), script({ poll: { 'dataplane:cilium': [{ status: 'InProgress' }] } }));
    const result = run.output as ClusterResult;
    expect(result.result).toBe('failed');
    expect(result.error?.code).toBe('OperationTimedOut');
    expect(result.steps[0]).toMatchObject({ step: 'dataplane:cilium', status: 'timedOut' });
  });

  it('reports verify problems as a failure, saved as it is output', async () => {
    const problems = ['kube-proxy: DaemonSet kube-system/kube-proxy is still running alongside Cilium', 'cilium: DaemonSet kube-system/cilium has 2/3 pods ready'];
    const model = script({ verifyProblems: problems });
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    const result = run.output as ClusterResult;
    expect(result.result).toBe('failed');
    expect(result.verifyProblems).toEqual(problems);
    expect(result.reason).toBe('verify found 2 problem(s): kube-proxy: DaemonSet kube-system/kube-proxy is still running alongside Cilium');
    expect(result.error).toEqual({ code: 'VerifyFailed', message: problems.join('; ') });
    // The steps that ran are kept, and the run's end is not before its last step's.
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([['dataplane:cilium', 'done']]);
    expect(Date.parse(result.endedAt)).toBeGreaterThanOrEqual(Date.parse(result.steps[0].endedAt));
    // Verify, save and release were one activity; the store holds exactly what the orchestration output.
    expect(names(run).slice(-1)).toEqual([ACTIVITIES.verifyAndFinish]);
    expect(model.saved).toEqual([result]);
    expect(model.released).toEqual([{ clusterId: CLUSTER, owner: 'test-instance' }]);
  });

  it('ends compliant without writing', async () => {
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), script({ verdict: 'compliant' }));
    expect((run.output as ClusterResult).result).toBe('compliant');
    expect(names(run)).not.toContain(ACTIVITIES.beginStep);
  });
});

describe('clusterMigration and windows that never fit', () => {
  it('skips at once, without lock or preflight, when no window can hold an operation', async () => {
    const windows: ClusterMigrationInput['windows'] = [{ kind: 'window', name: 'default', window: { schedule: { daily: { intervalDays: 1 } }, durationHours: 1, startTime: '02:00' } }];
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ windows, expectedOperationMinutes: 90 }), script({}));
    const result = run.output as ClusterResult;
    expect(result.result).toBe('skipped');
    expect(result.reason).toContain('90-minute operation');
    expect(names(run)).toEqual([ACTIVITIES.finishClusterRun]);
    expect(activityCalls(run, ACTIVITIES.finishClusterRun)[0].input).not.toHaveProperty('release');
  });
});

describe('clusterMigration, NAP and maintenance windows', () => {
  it('disables NAP only when the disable and the Cilium update both fit in the window', async () => {
    // Daily windows of 3 hours, operations expected to take 100 minutes: one operation fits, NAP-off plus the
    // Cilium update (200 minutes) never does, so NAP is never disabled and the cluster is skipped saying why.
    const windows: ClusterMigrationInput['windows'] = [{ kind: 'window', name: 'w', window: { schedule: { daily: { intervalDays: 1 } }, durationHours: 3, startTime: '02:00' } }];
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input({ windows, expectedOperationMinutes: 100, windowWaitMinutes: 3 * 24 * 60 }),
      script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'] }),
    );
    const result = run.output as ClusterResult;
    expect(result.result).toBe('skipped');
    expect(result.reason).toContain('200-minute operation');
    expect(names(run)).not.toContain(ACTIVITIES.napPlan);
    expect(names(run)).not.toContain(ACTIVITIES.beginStep);
  });

  it('with a window long enough for both, disables NAP at its start', async () => {
    const windows: ClusterMigrationInput['windows'] = [{ kind: 'window', name: 'w', window: { schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startTime: '02:00' } }];
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input({ windows, expectedOperationMinutes: 100 }),
      script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'] }),
    );
    expect((run.output as ClusterResult).result).toBe('migrated');
    expect(activityCalls(run, ACTIVITIES.napPlan)[0].at.toISOString()).toBe('2026-01-06T02:00:00.000Z');
  });
});

describe('clusterMigration keeps its lock across long waits', () => {
  // Thursdays 02:00 UTC for 6 hours; the run starts Monday 2026-01-05 10:00 UTC: the window is 2 2/3 days away and
  // the lease lasts 24 h, so a run that took the lock on Monday must renew it before it writes on Thursday.
  const thursdays: ClusterMigrationInput['windows'] = [{ kind: 'window', name: 'aksManagedNodeOSUpgradeSchedule', window: { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Thursday' } }, durationHours: 6, startTime: '02:00', utcOffset: '+00:00' } }];

  it('renews the lease while it waits days for the window, so no other run can take the cluster meanwhile', async () => {
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ windows: thursdays }), script({}));
    expect((run.output as ClusterResult).result).toBe('migrated');
    const begin = activityCalls(run, ACTIVITIES.beginStep)[0];
    expect(begin.at.toISOString()).toBe('2026-01-08T02:00:00.000Z');
    const lockCalls = activityCalls(run).filter((c) => c.name === ACTIVITIES.acquireLockAndPreflight || c.name === ACTIVITIES.acquireClusterLock);
    expect(lockCalls[0].name).toBe(ACTIVITIES.acquireLockAndPreflight);
    const locks = lockCalls.map((c) => c.at.getTime());
    // Taken Monday 10:00, then renewed every ~6 h of the wait (each renewal a re-entrant acquire by the same run).
    expect(locks.length).toBeGreaterThanOrEqual(8);
    for (let i = 1; i < locks.length; i++) expect(locks[i] - locks[i - 1]).toBeLessThanOrEqual(7 * 3600_000);
    // The last renewal before the write left the 24 h lease far from its end.
    expect(begin.at.getTime() - locks[locks.length - 1]).toBeLessThan(7 * 3600_000);
    expect(lockCalls.every((c) => (c.input as { owner: string }).owner === 'test-instance')).toBe(true);
  });

  it('stops without writing when another run holds the lock at a renewal, saying why', async () => {
    const model = script({ lockLostAtAttempt: 3 });
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ windows: thursdays }), model);
    const result = run.output as ClusterResult;
    expect(result.result).toBe('skipped');
    expect(result.reason).toContain('another run holds it now (rollout-b:aks-nap');
    expect(names(run)).not.toContain(ACTIVITIES.beginStep);
    // The lock is the other run's now: the result is saved, the lock not released by this one.
    expect(names(run)).toContain(ACTIVITIES.finishClusterRun);
    expect(model.released).toEqual([]);
  });

  it('losing the lock while NAP is off puts NAP back and writes nothing else', async () => {
    // Scaling the fixed pools up takes 6 hours (72 polls 5 minutes apart; operationDeadlineMinutes raised so it
    // may): the renewal due in the NAP drain after it fails.
    const scale: OperationStarted = { handle: { kind: 'azure-asyncoperation', url: 'https://management.azure.com/operations/scale', resourceId: `${CLUSTER}/agentPools/nodepool1` }, retryAfterSeconds: 300 };
    const slow = Array.from({ length: 72 }, () => ({ status: 'InProgress' as const, retryAfterSeconds: 300 }));
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input({ operationDeadlineMinutes: 600 }),
      script({
        napMode: 'Auto',
        steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'],
        napApplied: [scale],
        poll: { ['scale' as Step]: [...slow, { status: 'Succeeded' }] },
        napNodesRemainFor: 2,
        lockLostAtAttempt: 2,
      }),
    );
    const result = run.output as ClusterResult;
    expect(result.result).toBe('skipped');
    expect(result.reason).toContain('another run holds it now');
    expect(stepsBegun(run)).toEqual(['nap:enable']);
    expect(names(run)).toContain(ACTIVITIES.napRestore);
    expect(result.nap).toEqual({ disabled: false, restored: true });
  });
});

describe('clusterMigration never begins an operation outside the maintenance window', () => {
  // Daily 02:00–05:00 UTC; the run starts Monday 10:00, so its first begin is Tuesday 02:00.
  const daily3h: ClusterMigrationInput['windows'] = [{ kind: 'window', name: 'w', window: { schedule: { daily: { intervalDays: 1 } }, durationHours: 3, startTime: '02:00' } }];
  const inWindow = (at: Date, minutes: number): boolean => {
    const m = at.getUTCHours() * 60 + at.getUTCMinutes();
    return m >= 120 && m + minutes <= 300;
  };

  it('a 409 retried past the window end waits for the next window instead of beginning outside it', async () => {
    const busy: BeginOutcome = { kind: 'busy', code: 'OperationNotAllowed', message: 'Another operation (Upgrading) is in progress, please wait for it to finish', retryAfterSeconds: 600 };
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input({ target: 'overlay', podCidr: '192.168.0.0/16', windows: daily3h, expectedOperationMinutes: 60 }),
      script({ steps: ['ipam:overlay'], begin: { 'ipam:overlay': [...Array.from({ length: 13 }, () => busy), started('ipam:overlay')] } }),
    );
    expect((run.output as ClusterResult).result).toBe('migrated');
    const begins = activityCalls(run, ACTIVITIES.beginStep);
    expect(begins).toHaveLength(14);
    for (const b of begins) expect({ at: b.at.toISOString(), inWindow: inWindow(b.at, 60) }).toEqual({ at: b.at.toISOString(), inWindow: true });
    expect(begins[13].at.toISOString()).toBe('2026-01-07T02:00:00.000Z');
  });

  it('a NAP drain that outlasts the room left in the window: NAP put back, skipped saying why, no mode-Manual PUT', async () => {
    // 4-hour window, operations of 100 minutes: disable + Cilium (200 min) fit at 02:00, not after 02:40.
    const windows: ClusterMigrationInput['windows'] = [{ kind: 'window', name: 'w', window: { schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startTime: '02:00' } }];
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input({ windows, expectedOperationMinutes: 100 }),
      script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'], napNodesRemainFor: 120 }),
    );
    const result = run.output as ClusterResult;
    expect(result.result).toBe('skipped');
    expect(result.reason).toContain('maintenance window no longer holds a 200-minute operation after NAP was disabled');
    expect(stepsBegun(run)).toEqual(['nap:enable']);
    expect(names(run)).toContain(ACTIVITIES.napRestore);
    expect(result.nap?.restored).toBe(true);
  });

  it('when the Cilium update no longer fits after NAP went off, NAP is put back at once rather than left off until the next window', async () => {
    const windows: ClusterMigrationInput['windows'] = [{ kind: 'window', name: 'w', window: { schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startTime: '02:00' } }];
    // The mode-Manual PUT runs 2.5 hours (30 polls 5 minutes apart): 04:30 + 100 minutes is past 06:00.
    const slow = Array.from({ length: 30 }, () => ({ status: 'InProgress' as const, retryAfterSeconds: 300 }));
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input({ windows, expectedOperationMinutes: 100 }),
      script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'], begin: { 'nap:disable': [started('nap:disable', 300)] }, poll: { 'nap:disable': [...slow, { status: 'Succeeded' }] } }),
    );
    const result = run.output as ClusterResult;
    expect(result.result).toBe('skipped');
    expect(result.reason).toContain('no longer holds a 100-minute operation');
    expect(stepsBegun(run)).toEqual(['nap:disable', 'nap:enable']);
    const enable = activityCalls(run, ACTIVITIES.beginStep)[1];
    expect(enable.at.toISOString().slice(0, 10)).toBe('2026-01-06'); // the same night, not the next window
    expect(result.nap).toEqual({ disabled: true, restored: true });
  });
});

describe('clusterMigration hears cancel in every wait', () => {
  it('during a 409 wait: ends cancelled at once, nothing begun again', async () => {
    const busy: BeginOutcome = { kind: 'busy', code: 'OperationNotAllowed', message: 'Another operation (Upgrading) is in progress, please wait for it to finish', retryAfterSeconds: 600 };
    const model = script({ begin: { 'dataplane:cilium': [busy] } });
    model.afterEpisode = cancelOnceWhen((run) => activityCalls(run, ACTIVITIES.beginStep).length > 0);
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    const result = run.output as ClusterResult;
    expect(result.result).toBe('cancelled');
    expect(result.reason).toContain('waited for the cluster to be free');
    expect(activityCalls(run, ACTIVITIES.beginStep)).toHaveLength(1);
    expect(Date.parse(result.endedAt) - activityCalls(run, ACTIVITIES.beginStep)[0].at.getTime()).toBeLessThan(600_000);
  });

  it('during the NAP drain: ends cancelled, the mode-Manual PUT never sent, NAP put back', async () => {
    const model = script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'], napNodesRemainFor: 1000 });
    model.afterEpisode = cancelOnceWhen((run) => activityCalls(run, ACTIVITIES.napNodesRemaining).length >= 2);
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    const result = run.output as ClusterResult;
    expect(result.result).toBe('cancelled');
    expect(result.reason).toContain('NAP nodes drained');
    expect(stepsBegun(run)).toEqual(['nap:enable']);
    expect(activityCalls(run, ACTIVITIES.napNodesRemaining).length).toBeLessThan(5);
    expect(result.nap?.restored).toBe(true);
  });
});

describe('clusterMigration follows an operation through poll failures', () => {
  it('polls that fail all their retries do not fail the cluster: it keeps following and sees the operation succeed', async () => {
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), script({ pollFailsForCalls: 3, poll: { 'dataplane:cilium': [{ status: 'InProgress' }, { status: 'Succeeded' }] } }));
    const result = run.output as ClusterResult;
    expect(result.result).toBe('migrated');
    expect(result.steps[0]).toMatchObject({ step: 'dataplane:cilium', status: 'done' });
    expect(activityCalls(run, ACTIVITIES.pollOperation).filter((c) => c.attempt === 1)).toHaveLength(5);
  });

  it('past the deadline with every poll failing: timed out, naming the poll failure, not the operation failed', async () => {
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ operationDeadlineMinutes: 30 }), script({ pollFailsForCalls: 1000 }));
    const result = run.output as ClusterResult;
    expect(result.result).toBe('failed');
    expect(result.error?.code).toBe('OperationTimedOut');
    expect(result.reason).toContain('the last poll failed: Service Unavailable');
    expect(result.steps[0]).toMatchObject({ step: 'dataplane:cilium', status: 'timedOut' });
  });
});

describe('clusterMigration started by Event Grid (no rollout)', () => {
  it('saves its result under its own instance id with a one-record plan of what preflight found', async () => {
    const model = script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'] });
    const run = await runOrchestration(clusterMigrationOrchestrator, { clusterId: CLUSTER, target: 'cilium' } satisfies ClusterMigrationInput, model, { instanceId: 'remediate:sub:rg-aks:aks-nap:20260105t100000z' });
    expect((run.output as ClusterResult).result).toBe('migrated');
    const save = (model.calls.find((c) => c.name === ACTIVITIES.verifyAndFinish)?.input as VerifyAndFinishInput | undefined)?.finish;
    expect(save).toMatchObject({
      rolloutId: 'remediate:sub:rg-aks:aks-nap:20260105t100000z',
      plan: { verdict: 'ready', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'], napMode: 'Auto' },
      result: { result: 'migrated', correlationIds: ['corr-nap:disable', 'corr-dataplane:cilium', 'corr-nap:enable'] },
    });
  });
});

describe('clusterMigration follows each operation in a followOperation sub-orchestration', () => {
  const longRun = (polls: number) =>
    runOrchestration(
      clusterMigrationOrchestrator,
      input(),
      script({
        begin: { 'dataplane:cilium': [started('dataplane:cilium', 15)] },
        poll: { 'dataplane:cilium': [...Array.from({ length: polls - 1 }, () => ({ status: 'InProgress' as const, retryAfterSeconds: 15 })), { status: 'Succeeded' }] },
      }),
    );

  it('keeps every history short however long the operation runs: the child continues as new every few polls', async () => {
    const long = await longRun(31);
    expect((long.output as ClusterResult).result).toBe('migrated');
    expect(activityCalls(long, ACTIVITIES.pollOperation)).toHaveLength(31);
    expect(long.children).toHaveLength(1);
    const [child] = long.children;
    expect(child.output).toEqual({ status: 'Succeeded' });
    // 31 polls, POLLS_PER_EXECUTION (12) an execution: 12 + 12 + 7, each execution a fresh history
    expect(child.executions).toBe(Math.ceil(31 / POLLS_PER_EXECUTION));
    expect(child.continuedWith).toHaveLength(Math.ceil(31 / POLLS_PER_EXECUTION) - 1);
    expect(child.maxHistory).toBeLessThanOrEqual(8 * POLLS_PER_EXECUTION + 6);
    // the same operation throughout, its age still counted from its begin (the waits grew to the two-minute cap)
    for (const c of child.continuedWith as Array<{ handle: { url: string }; begunAt: string; waitSeconds: number }>) {
      expect(c.handle.url).toBe('https://management.azure.com/operations/dataplane:cilium');
      expect(c.begunAt).toBe(activityCalls(long, ACTIVITIES.beginStep)[0].at.toISOString());
    }
    expect((child.continuedWith[1] as { waitSeconds: number }).waitSeconds).toBe(120);
    // the run's own history does not grow with the polls: 31 polls leave it as long as 2 do
    const short = await longRun(2);
    expect(short.children[0].executions).toBe(1);
    expect(long.maxHistory).toBe(short.maxHistory);
    expect(long.maxHistory).toBeLessThan(80);
  });
});

describe('clusterMigration as a rollout child returns a compact summary', () => {
  it('returns { clusterId, result, operationSeconds } and saves the full result (with each step measured) to the store', async () => {
    const inProgress = Array.from({ length: 10 }, () => ({ status: 'InProgress' as const, retryAfterSeconds: 15 }));
    const model = script({ steps: ['ipam:overlay', 'dataplane:cilium'], poll: { 'dataplane:cilium': [...inProgress, { status: 'Succeeded' }] } });
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ target: 'overlay+cilium', podCidr: '192.168.0.0/16', rolloutId: 'r1' }), model);
    // ipam:overlay ended at its first poll (a minute), dataplane:cilium at its 11th (20 minutes).
    expect(run.output).toEqual({ clusterId: CLUSTER, result: 'migrated', operationSeconds: { 'ipam:overlay': 60, 'dataplane:cilium': 1200 } } satisfies ClusterRunSummary);
    const { finish } = activityCalls(run, ACTIVITIES.verifyAndFinish)[0].input as VerifyAndFinishInput;
    expect(finish.rolloutId).toBe('r1');
    expect(finish.plan).toBeUndefined();
    expect(finish.result.steps.map((s) => [s.step, s.status, s.operationSeconds])).toEqual([
      ['ipam:overlay', 'done', 60],
      ['dataplane:cilium', 'done', 1200],
    ]);
    expect(finish.result.correlationIds).toEqual(['corr-ipam:overlay', 'corr-dataplane:cilium']);
  });

  it('measures only the network steps that ended done: NAP mode PUTs and failed steps carry no duration', async () => {
    const failed: OperationStatus = { status: 'Failed', error: { code: 'UpgradeFailed', message: 'Drain node aks-nodepool1-1 failed when evicting pod web-0' } };
    const model = script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'], poll: { 'dataplane:cilium': [{ status: 'InProgress' }, failed] } });
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ rolloutId: 'r1' }), model);
    expect(run.output).toEqual({ clusterId: CLUSTER, result: 'failed' });
    const steps = (activityCalls(run, ACTIVITIES.finishClusterRun)[0].input as FinishRunInput).result.steps;
    expect(steps.map((s) => [s.step, s.status, s.operationSeconds])).toEqual([
      ['nap:disable', 'done', undefined],
      ['dataplane:cilium', 'failed', undefined],
      ['nap:enable', 'done', undefined],
    ]);
  });

  it('without rolloutId (Event Grid) the output stays the full ClusterResult', async () => {
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), script({}), { instanceId: 'remediate:sub:rg-aks:aks-nap:20260105t100000z' });
    const result = run.output as ClusterResult;
    expect(result).toMatchObject({ clusterId: CLUSTER, result: 'migrated', correlationIds: ['corr-dataplane:cilium'], findings: [] });
    expect(result.steps).toEqual([expect.objectContaining({ step: 'dataplane:cilium', status: 'done', operationSeconds: 60 })]);
  });
});

describe('followOperation with a quiet period (pollQuietSeconds from the rollout)', () => {
  /** A 20-minute reimage: InProgress (Retry-After 15 s) until 1200 s after the begin, then Succeeded. */
  const reimage = (over: Partial<ClusterMigrationInput> = {}, endsAt = 1200, end: OperationStatus = { status: 'Succeeded' }) => {
    let begunAt = 0;
    const model = script({
      begin: { 'dataplane:cilium': [started('dataplane:cilium', 15)] },
      onActivity: (name, _inp, run) => {
        if (name === ACTIVITIES.beginStep) begunAt = run.now.getTime();
      },
    });
    const base = model.activity.bind(model);
    model.activity = (name, inp, attempt, run) => {
      if (name !== ACTIVITIES.pollOperation) return base(name, inp, attempt, run);
      model.calls.push({ name, input: inp });
      return { ok: true, value: run.now.getTime() - begunAt >= endsAt * 1000 ? end : { status: 'InProgress', retryAfterSeconds: 15 } };
    };
    return runOrchestration(clusterMigrationOrchestrator, input(over), model);
  };
  const pollAges = (run: Run): number[] => {
    const begin = activityCalls(run, ACTIVITIES.beginStep)[0];
    return activityCalls(run, ACTIVITIES.pollOperation).map((p) => (p.at.getTime() - begin.at.getTime()) / 1000);
  };
  const timerAges = (run: Run): number[] => {
    const begin = activityCalls(run, ACTIVITIES.beginStep)[0];
    // The follow's timers (the run's own listen-for-cancel tick is due at once, before the begin answered).
    return run.log.filter((s) => s.kind === 'timer' && s.fireAt! > begin.at).map((t) => (t.fireAt!.getTime() - begin.at.getTime()) / 1000);
  };

  it('quiet 16 minutes: a 20-minute reimage is polled at 1, 16, 17, 18 and 20 minutes (5 polls instead of 11)', async () => {
    const run = await reimage({ pollQuietSeconds: { 'dataplane:cilium': 960 } });
    expect((run.output as ClusterResult).result).toBe('migrated');
    expect(pollAges(run)).toEqual([60, 960, 1020, 1080, 1200]);
    // The durable timers the follow set, and when they fire: the second reaches past MAX_POLL_SECONDS (5 min).
    expect(timerAges(run)).toEqual([60, 960, 1020, 1080, 1200]);
    const follow = run.log.find((s) => s.kind === 'subOrchestration');
    expect((follow?.input as FollowOperationInput).quietUntil).toBe(new Date(activityCalls(run, ACTIVITIES.beginStep)[0].at.getTime() + 960_000).toISOString());
    expect((run.output as ClusterResult).steps[0].operationSeconds).toBe(1200);
  });

  it('without a quiet period the cadence is unchanged: 11 polls, a minute, a minute, then every two', async () => {
    const run = await reimage();
    expect(pollAges(run)).toEqual([60, 120, 240, 360, 480, 600, 720, 840, 960, 1080, 1200]);
    expect(timerAges(run)).toEqual([60, 120, 240, 360, 480, 600, 720, 840, 960, 1080, 1200]);
    expect(run.log.find((s) => s.kind === 'subOrchestration')?.input).not.toHaveProperty('quietUntil');
  });

  it('the first poll still catches a fast failure; a failure after it is heard at the end of the quiet period', async () => {
    const failed: OperationStatus = { status: 'Failed', error: { code: 'UpgradeFailed', message: 'Drain node aks-nodepool1-1 failed when evicting pod web-0' } };
    const fast = await reimage({ pollQuietSeconds: { 'dataplane:cilium': 960 } }, 30, failed);
    expect(pollAges(fast)).toEqual([60]);
    expect((fast.output as ClusterResult).error?.code).toBe('UpgradeFailed');
    const later = await reimage({ pollQuietSeconds: { 'dataplane:cilium': 960 } }, 300, failed);
    expect(pollAges(later)).toEqual([60, 960]);
    expect((later.output as ClusterResult).error?.code).toBe('UpgradeFailed');
  });

  it('an operation longer than expected is polled from the quiet period on at 1, 1, 2, 2 … minutes', async () => {
    const run = await reimage({ pollQuietSeconds: { 'dataplane:cilium': 600 } }, 1500);
    expect(pollAges(run)).toEqual([60, 600, 660, 720, 840, 960, 1080, 1200, 1320, 1440, 1560]);
  });

  it('the quiet period never reaches past the deadline', async () => {
    const run = await reimage({ pollQuietSeconds: { 'dataplane:cilium': 7200 }, operationDeadlineMinutes: 30 }, 99_999);
    const result = run.output as ClusterResult;
    expect(result.error?.code).toBe('OperationTimedOut');
    // The first poll, then the deadline itself (30 min), where the follow gives up.
    expect(pollAges(run)).toEqual([60, 1800]);
  });

  it('is never sooner than Retry-After, before or after the quiet period ends', () => {
    const begun = new Date('2026-01-05T10:00:00Z');
    const quiet = new Date('2026-01-05T10:16:00Z');
    const at = (s: number) => new Date(begun.getTime() + s * 1000);
    expect(nextPollWait(at(60), begun, quiet, 15)).toBe(900);
    expect(nextPollWait(at(950), begun, quiet, 120)).toBe(120);
    expect(nextPollWait(at(960), begun, quiet, 15)).toBe(60);
    expect(nextPollWait(at(960), begun, quiet, 180)).toBe(180);
    expect(nextPollWait(at(1080), begun, quiet, undefined)).toBe(120);
  });

  it('an operation seen ended at the first poll past its quiet period is measured up to the last poll that saw it running', async () => {
    // quiet 16 minutes, but this reimage takes 500 s: polls at 1 and 16 minutes; it ended somewhere between.
    const run = await reimage({ pollQuietSeconds: { 'dataplane:cilium': 960 } }, 500);
    expect(pollAges(run)).toEqual([60, 960]);
    const result = run.output as ClusterResult;
    expect(result.result).toBe('migrated');
    // 60 s (a lower bound), not 960 s (when it was seen): the rollout's next quiet period falls at once.
    expect(result.steps[0].operationSeconds).toBe(60);
    // One that was still running at the quiet period's end is measured to the poll that saw it end, as before.
    const longer = await reimage({ pollQuietSeconds: { 'dataplane:cilium': 960 } }, 1000);
    expect(pollAges(longer)).toEqual([60, 960, 1020]);
    expect((longer.output as ClusterResult).steps[0].operationSeconds).toBe(1020);
  });

  it('an operation followed from the provisioning state (its PUT accepted before a crash) is neither measured nor quiet', async () => {
    const resumed: BeginOutcome = { kind: 'started', handle: { kind: 'provisioning-state', url: CLUSTER, resourceId: CLUSTER } };
    const model = script({ begin: { 'dataplane:cilium': [resumed] } });
    const base = model.activity.bind(model);
    // the operation began before this run's begin: its end is 5 minutes in
    let begunAt = 0;
    model.activity = (name, inp, attempt, r) => {
      if (name === ACTIVITIES.beginStep) begunAt = r.now.getTime();
      if (name !== ACTIVITIES.pollOperation) return base(name, inp, attempt, r);
      return { ok: true, value: r.now.getTime() - begunAt >= 300_000 ? { status: 'Succeeded' } : { status: 'InProgress' } };
    };
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ rolloutId: 'r1', pollQuietSeconds: { 'dataplane:cilium': 960 } }), model);
    // a summary without a duration: the rollout learns nothing from a partly seen operation
    expect(run.output).toEqual({ clusterId: CLUSTER, result: 'migrated' } satisfies ClusterRunSummary);
    expect(run.log.find((x) => x.kind === 'subOrchestration')?.input).not.toHaveProperty('quietUntil');
    const { finish } = activityCalls(run, ACTIVITIES.verifyAndFinish)[0].input as VerifyAndFinishInput;
    expect(finish.result.steps.map((st) => [st.step, st.status, st.operationSeconds])).toEqual([['dataplane:cilium', 'done', undefined]]);
  });

  it('applies to the network steps only: NAP mode PUTs and pool scaling keep the usual cadence', async () => {
    const scale: OperationStarted = { handle: { kind: 'azure-asyncoperation', url: 'https://management.azure.com/operations/scale', resourceId: `${CLUSTER}/agentPools/nodepool1` }, retryAfterSeconds: 15 };
    const quiet = { 'nap:disable': 600, 'nap:enable': 600, 'dataplane:cilium': 600 } as ClusterMigrationInput['pollQuietSeconds'];
    const run = await runOrchestration(
      clusterMigrationOrchestrator,
      input({ pollQuietSeconds: quiet }),
      script({ napMode: 'Auto', steps: ['nap:disable', 'dataplane:cilium', 'nap:enable'], napApplied: [scale] }),
    );
    expect((run.output as ClusterResult).result).toBe('migrated');
    const follows = run.log.filter((s) => s.kind === 'subOrchestration').map((s) => s.input as FollowOperationInput);
    expect(follows.map((f) => [f.handle.url.split('/').pop(), f.quietUntil !== undefined])).toEqual([
      ['scale', false],
      ['nap:disable', false],
      ['dataplane:cilium', true],
      ['nap:enable', false],
    ]);
  });
});

describe('clusterMigration ends with one activity: result saved, lock released', () => {
  it('a save that fails all its retries still releases the lock, and the output still holds the result', async () => {
    const model = script({ verdict: 'blocked', saveFailsFor: 99 });
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    expect(run.state).toBe('completed');
    expect((run.output as ClusterResult).result).toBe('blocked');
    expect(activityCalls(run, ACTIVITIES.finishClusterRun)).toHaveLength(6);
    expect(names(run).slice(-2)).toEqual([ACTIVITIES.finishClusterRun, ACTIVITIES.releaseClusterLock]);
    expect(model.released).toEqual([{ clusterId: CLUSTER, owner: 'test-instance' }]);
  });

  it('a rollout child whose save fails every attempt returns its full result as `unsaved`, for the rollout to store', async () => {
    const blocked = script({ verdict: 'blocked', saveFailsFor: 99 });
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ rolloutId: 'r1' }), blocked);
    expect(blocked.saved).toEqual([]);
    const out = run.output as ClusterRunSummary;
    expect(out).toMatchObject({ clusterId: CLUSTER, result: 'blocked' });
    // the full result, findings and all, as the store would have held it
    expect(out.unsaved).toEqual((activityCalls(run, ACTIVITIES.finishClusterRun)[5].input as FinishRunInput).result);
    expect(out.unsaved?.findings.map((f) => f.rule)).toEqual(['overlay.network-policy']);
    expect(blocked.released).toEqual([{ clusterId: CLUSTER, owner: 'test-instance' }]);

    // A migrated run with the store down: verified alone, its result (with its measured step) unsaved in the output.
    const migrated = script({ saveFailsFor: 99 });
    const m = await runOrchestration(clusterMigrationOrchestrator, input({ rolloutId: 'r1' }), migrated);
    const mout = m.output as ClusterRunSummary;
    expect(mout).toMatchObject({ clusterId: CLUSTER, result: 'migrated', operationSeconds: { 'dataplane:cilium': 60 } });
    expect(mout.unsaved).toMatchObject({ clusterId: CLUSTER, result: 'migrated', correlationIds: ['corr-dataplane:cilium'], steps: [expect.objectContaining({ step: 'dataplane:cilium', status: 'done' })] });

    // A save that succeeds on a retry leaves nothing unsaved: the output stays compact.
    const once = await runOrchestration(clusterMigrationOrchestrator, input({ rolloutId: 'r1' }), script({ verdict: 'blocked', saveFailsFor: 1 }));
    expect(once.output).toEqual({ clusterId: CLUSTER, result: 'blocked' } satisfies ClusterRunSummary);
  });

  it('a save that fails once is retried with the release in the same activity (no separate release)', async () => {
    const model = script({ verdict: 'compliant', saveFailsFor: 1 });
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    expect(activityCalls(run, ACTIVITIES.finishClusterRun).map((c) => c.attempt)).toEqual([1, 2]);
    expect(names(run)).not.toContain(ACTIVITIES.releaseClusterLock);
    expect(model.released).toEqual([{ clusterId: CLUSTER, owner: 'test-instance' }]);
  });

  it('a migrated run whose save fails once runs verify + save + release again as one activity, nothing else', async () => {
    const model = script({ saveFailsFor: 1 });
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    expect((run.output as ClusterResult).result).toBe('migrated');
    expect(activityCalls(run, ACTIVITIES.verifyAndFinish).map((c) => c.attempt)).toEqual([1, 2]);
    expect(names(run)).not.toContain(ACTIVITIES.finishClusterRun);
    expect(names(run)).not.toContain(ACTIVITIES.releaseClusterLock);
    expect(model.saved).toEqual([run.output]);
    expect(model.released).toEqual([{ clusterId: CLUSTER, owner: 'test-instance' }]);
  });

  it('verify that cannot read the cluster through all its retries: failed with its error at once (not verified again), then saved and released as any run', async () => {
    const model = script({ flaky: { [ACTIVITIES.verifyAndFinish]: 99 } });
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ rolloutId: 'r1' }), model);
    expect(run.state).toBe('completed');
    expect(run.output).toEqual({ clusterId: CLUSTER, result: 'failed', operationSeconds: { 'dataplane:cilium': 60 } } satisfies ClusterRunSummary);
    // 6 attempts in all, as before verify and the save were one activity (not 6 merged, then 6 of verify alone).
    expect(activityCalls(run, ACTIVITIES.verifyAndFinish)).toHaveLength(6);
    expect(activityCalls(run, ACTIVITIES.verify)).toHaveLength(0);
    expect(names(run).slice(-2)).toEqual([ACTIVITIES.verifyAndFinish, ACTIVITIES.finishClusterRun]);
    const [saved] = model.saved;
    expect(model.saved).toHaveLength(1);
    expect(saved.error).toEqual({ code: 'HTTP503', message: 'verifyAndFinish: Service Unavailable (attempt 6)' });
    expect(saved.reason).toBe('verifyAndFinish: Service Unavailable (attempt 6)');
    expect(saved.verifyProblems).toBeUndefined();
    expect(saved.steps.map((s) => [s.step, s.status])).toEqual([['dataplane:cilium', 'done']]);
    expect(model.released).toEqual([{ clusterId: CLUSTER, owner: 'test-instance' }]);
  });

  it('a migrated run whose store stays down stays migrated (verified alone), and the lock is still given back', async () => {
    const model = script({ saveFailsFor: 99 });
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    expect(run.state).toBe('completed');
    const result = run.output as ClusterResult;
    expect(result.result).toBe('migrated');
    expect(result.error).toBeUndefined();
    expect(activityCalls(run, ACTIVITIES.verifyAndFinish)).toHaveLength(6);
    expect(activityCalls(run, ACTIVITIES.verify)).toHaveLength(1);
    expect(activityCalls(run, ACTIVITIES.finishClusterRun)).toHaveLength(6);
    expect(names(run).slice(-1)).toEqual([ACTIVITIES.releaseClusterLock]);
    expect(model.released).toEqual([{ clusterId: CLUSTER, owner: 'test-instance' }]);
  });

  it('a preflight that fails all its retries fails the run naming it, and the lock taken with it is released', async () => {
    const model = script({ preflightFailsFor: 99 });
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), model);
    const result = run.output as ClusterResult;
    expect(result.result).toBe('failed');
    expect(result.reason).toBe('acquireLockAndPreflight: Service Unavailable (preflight attempt 6)');
    expect(activityCalls(run, ACTIVITIES.acquireLockAndPreflight)).toHaveLength(6);
    expect(names(run)).not.toContain(ACTIVITIES.beginStep);
    expect(model.released).toEqual([{ clusterId: CLUSTER, owner: 'test-instance' }]);
  });

  it('a clean run costs 4 activities: lock + preflight, begin, poll, verify + save + release', async () => {
    const model = script({});
    const run = await runOrchestration(clusterMigrationOrchestrator, input({ rolloutId: 'r1' }), model);
    expect(names(run)).toEqual([ACTIVITIES.acquireLockAndPreflight, ACTIVITIES.beginStep, ACTIVITIES.pollOperation, ACTIVITIES.verifyAndFinish]);
    // Its output is the summary as before; the full result went to the store under the rollout.
    expect(run.output).toEqual({ clusterId: CLUSTER, result: 'migrated', operationSeconds: { 'dataplane:cilium': 60 } } satisfies ClusterRunSummary);
    const end = activityCalls(run, ACTIVITIES.verifyAndFinish)[0].input as VerifyAndFinishInput;
    expect(end.finish).toMatchObject({ rolloutId: 'r1', release: { clusterId: CLUSTER, owner: 'test-instance' } });
    expect(end.finish.plan).toBeUndefined();
    expect(end.verify).toEqual({ clusterId: CLUSTER, target: 'cilium', napModeBefore: 'Manual', nodeImagesBefore: { nodepool1: 'AKSUbuntu-2204gen2containerd-202410.15.0' } });
    expect(model.saved).toEqual([expect.objectContaining({ clusterId: CLUSTER, result: 'migrated', steps: [expect.objectContaining({ step: 'dataplane:cilium', status: 'done', operationSeconds: 60 })] })]);
  });

  it('ends in the custom status phase `done` with the outcome', async () => {
    const run = await runOrchestration(clusterMigrationOrchestrator, input(), script({ verifyProblems: ['nap-mode: node auto-provisioning is Manual, it was Auto before the run'] }));
    expect(run.customStatus).toEqual({ phase: 'done', result: 'failed' });
  });
});

describe('verifyAndFinish, the real activity against the AKS simulator', () => {
  let sim: RunningSimulator;
  let clients: AzureClients;
  let kube: KubernetesActions;
  let store: MemoryResultStore;
  const id = armClusterId('ns-1');

  beforeAll(async () => {
    sim = await startSimulator({ snapshot: snapshotOf([nodeSubnetCluster({ name: 'ns-1' }), vnet(), nsg()]), timeScale: 0.0005, throttling: false });
    clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath });
    kube = kubernetesActions(clients);
    store = new MemoryResultStore();
    setDependencyFactory(() => ({ clusters: armOperations(clients), kube, facts: factsReader(clients), discovery: fleetDiscovery(clients), results: store, locks: store }));
  }, 60_000);

  afterAll(async () => {
    clients?.close();
    kube?.close();
    await sim?.stop();
  });

  it('a cluster still on the Azure data plane: saved failed with what verify found, the lock released, the same problems answered; a re-run changes nothing', async () => {
    const owner = 'remediate:ns-1:run-1';
    expect(await store.acquire(id, owner, new Date(), 3600)).toEqual({ acquired: true });
    const before: ClusterResult = { clusterId: id, result: 'migrated', findings: [], steps: [{ step: 'dataplane:cilium', status: 'done', startedAt: '2026-01-05T10:00:00.000Z', endedAt: '2026-01-05T10:20:00.000Z' }], startedAt: '2026-01-05T10:00:00.000Z', endedAt: '2026-01-05T10:20:00.000Z', correlationIds: ['corr-1'] };
    const end: VerifyAndFinishInput = {
      verify: { clusterId: id, target: 'cilium', napModeBefore: 'Manual' },
      finish: { rolloutId: owner, result: before, plan: { verdict: 'ready', steps: ['dataplane:cilium'], napMode: 'Manual' }, release: { clusterId: id, owner } },
    };
    const answer = await verifyAndFinish(end);
    expect(answer.problems).toContain('network-profile: data plane is azure, expected cilium');
    const [record] = (await store.listClusters(owner)).items;
    expect(record.result).toEqual(withVerifyProblems(before, answer.problems));
    expect(record.result).toMatchObject({ result: 'failed', error: { code: 'VerifyFailed' }, reason: expect.stringMatching(/^verify found \d+ problem\(s\): /) });
    expect(await store.lockHolder(id)).toBeUndefined();
    // A re-run (a crash after the save) saves the same result again; the lock another run took since stays theirs.
    expect(await store.acquire(id, 'rollout-b:ns-1', new Date(), 3600)).toEqual({ acquired: true });
    expect(await verifyAndFinish(end)).toEqual(answer);
    expect((await store.listClusters(owner)).items.map((r) => r.result)).toEqual([record.result]);
    expect(await store.lockHolder(id)).toBe('rollout-b:ns-1');
  });

  it('a store that fails: the activity fails with ResultSaveFailed (as the orchestrator reads it through the host); verify failing does not', async () => {
    const owner = 'remediate:ns-1:run-2';
    const down = new MemoryResultStore();
    down.saveResult = async () => {
      throw new Error('SQLITE_BUSY: database is locked');
    };
    setDependencyFactory(() => ({ clusters: armOperations(clients), kube, facts: factsReader(clients), discovery: fleetDiscovery(clients), results: down, locks: store }));
    try {
      const before: ClusterResult = { clusterId: id, result: 'migrated', findings: [], steps: [], startedAt: '2026-01-05T10:00:00.000Z', endedAt: '2026-01-05T10:20:00.000Z', correlationIds: [] };
      const end: VerifyAndFinishInput = { verify: { clusterId: id, target: 'cilium', napModeBefore: 'Manual' }, finish: { rolloutId: owner, result: before } };
      const saveErr = await verifyAndFinish(end).then(() => undefined, (e: unknown) => e);
      // What the orchestrator gets: the host's TaskFailed Reason and Details (docs/local-host.md § Failures), joined by
      // the SDK into one Error.
      const seen = (err: unknown): { code: string; message: string } => {
        const message = err instanceof Error ? err.message : String(err);
        return failureText(new Error(`Activity function '${ACTIVITIES.verifyAndFinish}' failed: ${message} \n {"ClassName":"System.Exception"}`));
      };
      expect(seen(saveErr)).toEqual({ code: RESULT_SAVE_FAILED, message: 'the result could not be saved or the lock released: SQLITE_BUSY: database is locked' });
      // verify's own failure (the cluster cannot be read) keeps its own code: the orchestrator does not verify again
      const missing = `${id}-gone`;
      const verifyErr = await verifyAndFinish({ ...end, verify: { ...end.verify, clusterId: missing } }).then(() => undefined, (e: unknown) => e);
      expect(verifyErr).toBeInstanceOf(Error);
      expect(seen(verifyErr).code).not.toBe(RESULT_SAVE_FAILED);
    } finally {
      setDependencyFactory(() => ({ clusters: armOperations(clients), kube, facts: factsReader(clients), discovery: fleetDiscovery(clients), results: store, locks: store }));
    }
  });
});
