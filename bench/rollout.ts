/**
 * Rollout benchmark (issue 5): a fleet of clusters that are all ready for Cilium, migrated by the real Functions app
 * (dist/functions/index.js) on the local Durable host, against the AKS simulator over HTTPS.
 *
 *   node dist/bench/rollout.js [--clusters 1000] [--concurrency 50] [--time-scale 0.005] [--activities N] [--json] [--keep]
 *   (--activities: the host's maxConcurrentActivities; default host.json's maxConcurrentActivityFunctions, as the host reads it)
 *
 * - The simulator runs in a child process (this file, forked with --sim-child), so the CPU this process uses is the
 *   host's and the app's alone (orchestrator replays, activities, SDK clients, SQLite), not the simulated AKS's.
 * - Time: the simulator runs `--time-scale` wall seconds per simulated second (default 0.005: the 20-minute reimage
 *   takes 6 s); the host's durable timers run at the matching clock scale 1/time-scale (docs/local-host.md,
 *   AKSNET_CLOCK_SCALE in cli/backend/local.ts), so every poll timer keeps its simulated length.
 * - The fleet: Azure CNI node-subnet clusters on the azure data plane, no network policy engine, no NAP, Kubernetes
 *   1.31, Linux pools only — nothing in seed 000 § Update considerations blocks Cilium for them, and the move is one
 *   ARM operation (`dataplane:cilium`, a 20-minute reimage of every pool, seed 000), so T = 20 simulated minutes and
 *   the lower bound of the makespan is ⌈N/K⌉·T. The bench checks that every cluster was assessed ready.
 * - Throttling is off in the simulator and the app's pacing too (AKSNET_ARM_PACING=off): both token buckets run on
 *   wall-clock time (docs/simulator.md, docs/gateway.md), so a clock sped up 200× would throttle 200× too early.
 *   The app's ARM clients name the host's clock (AKSNET_CLOCK_SCALE), so Retry-After arrives in simulated seconds.
 *
 * Figures: makespan (rollout start → completed, simulated minutes, from wall time × clock scale) and the span of the
 * ARM operations themselves (first start → last end, the simulator's clock); CPU per cluster step (per ARM operation
 * the app started), split three ways: (a) the local host's own work, (b) the durable-functions SDK's replay of the
 * orchestrator code (TaskHub.stats: hostMs − sdkMs and sdkMs: main-thread time on the monotonic clock around each
 * batch of episodes — one macrotask —, around the SDK's handler and around each activity hand-back, turned into CPU
 * with the ratio of the batches the task hub also times with process.cpuUsage, one in 4), (c) the rest of this
 * process's user+system CPU (the app's activities: ARM and Kubernetes through the SDKs, TLS, JSON; GC; the bench's
 * sampling);
 * peak RSS of this process; TLS connections the simulator accepted; history events per
 * orchestration instance from the host's SQLite task hub (every clusterMigration at the end; the rollout sampled
 * while it runs, as continueAsNew replaces its history). Prints a markdown table (stdout), `--json` prints JSON.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface SimReady {
  type: 'ready';
  armEndpoint: string;
  caCertPath: string;
  clusters: number;
}

interface SimOperationSummary {
  resourceId: string;
  principal: string;
  status: string;
  startSim: number;
  endSim: number;
}

interface SimReport {
  type: 'report';
  operations: SimOperationSummary[];
  cpuSeconds: number;
  peakRssMiB: number;
  armReads: number;
  armWrites: number;
  kubernetes: number;
  connections: { arm: number; kubernetes: number };
  simNow: number;
  wallNow: number;
}

const SUBSCRIPTIONS = 5;
const RESOURCE_GROUPS = 20;
/** Simulated minutes of the one reimage each cluster goes through (the simulator's default `reimage` duration). */
const REIMAGE_MINUTES = 20;

const subscriptionId = (s: number): string => `00000000-0000-4000-8000-${String(s + 1).padStart(12, '0')}`;

// ------------------------------------------------------------------------------------------------
// The simulator child

async function simChild(clusters: number, timeScale: number): Promise<void> {
  // required here so the parent does not load the simulator
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { buildCluster, Rng, subscriptionNetwork } = require('../sim/generate') as typeof import('../sim/generate');
  const { startSimulator } = require('../sim/server') as typeof import('../sim/server');
  /* eslint-enable @typescript-eslint/no-require-imports */
  type Snapshot = import('../shared/model/snapshot').Snapshot;
  const rng = new Rng('aksnet-bench-rollout');
  const snapshot: Snapshot = { resources: [], kubernetes: {} };
  const nets = Array.from({ length: SUBSCRIPTIONS }, (_, s) => subscriptionNetwork(subscriptionId(s), 'westeurope'));
  for (let c = 0; c < clusters; c++) {
    const net = nets[c % SUBSCRIPTIONS];
    const out = buildCluster(
      rng,
      net,
      {
        subscriptionId: net.subscriptionId,
        resourceGroup: `rg-bench-${String(c % RESOURCE_GROUPS).padStart(2, '0')}`,
        name: `aks-bench-${String(c).padStart(5, '0')}`,
        location: 'westeurope',
        kubernetesVersion: '1.31.8',
        ipam: 'nodeSubnet',
        dataplane: 'azure',
        networkPolicy: 'none',
        pools: [
          { name: 'system', mode: 'System', osType: 'Linux', osSku: 'Ubuntu', vmSize: 'Standard_D4s_v5', count: 3, maxPods: 30 },
          { name: 'user1', mode: 'User', osType: 'Linux', osSku: 'Ubuntu', vmSize: 'Standard_D4s_v5', count: 2, maxPods: 30 },
        ],
        identity: 'SystemAssigned',
        tags: { bench: 'rollout' },
      },
      true,
    );
    snapshot.resources.push(out.cluster, ...out.maintenance);
    snapshot.kubernetes[out.cluster.id] = { items: out.items };
  }
  for (const net of nets) snapshot.resources.push(...net.resources());
  const sim = await startSimulator({ snapshot, validateSnapshot: false, timeScale, throttling: false });
  const send = (m: SimReady | SimReport): void => {
    process.send?.(m);
  };
  process.on('message', (m: { type: string }) => {
    if (m.type === 'report') {
      sim.world.settle();
      const cpu = process.cpuUsage();
      send({
        type: 'report',
        operations: [...sim.world.operations.values()].map((o) => ({ resourceId: o.resourceId, principal: o.principal, status: o.status, startSim: o.startSim, endSim: o.endSim })),
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        armReads: sim.requests.arm.reads,
        armWrites: sim.requests.arm.writes,
        kubernetes: sim.requests.kubernetes,
        connections: sim.requests.connections,
        simNow: sim.world.simNow(),
        wallNow: Date.now(),
      });
    } else if (m.type === 'stop') {
      void sim.stop().then(() => process.exit(0));
    }
  });
  send({ type: 'ready', armEndpoint: sim.armEndpoint, caCertPath: sim.caCertPath, clusters });
}

function startSimChild(clusters: number, timeScale: number): Promise<{ child: ChildProcess; ready: SimReady }> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--sim-child', '--clusters', String(clusters), '--time-scale', String(timeScale)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const onExit = (code: number | null): void => reject(new Error(`the simulator child exited (${code}) before it was ready`));
    child.once('exit', onExit);
    child.once('message', (m: SimReady) => {
      child.off('exit', onExit);
      resolve({ child, ready: m });
    });
  });
}

function askReport(child: ChildProcess): Promise<SimReport> {
  return new Promise((resolve) => {
    child.once('message', (m: SimReport) => resolve(m));
    child.send({ type: 'report' });
  });
}

// ------------------------------------------------------------------------------------------------
// The run

interface Options {
  clusters: number;
  concurrency: number;
  timeScale: number;
  /** undefined: host.json's maxConcurrentActivityFunctions, as the host reads it. */
  activities?: number;
  json: boolean;
  /** Keep the task hub and results SQLite files (their directory is printed on stderr) to inspect histories. */
  keep: boolean;
}

function parseOptions(argv: string[]): Options | string {
  const { values } = parseArgs({
    args: argv,
    options: { clusters: { type: 'string' }, concurrency: { type: 'string' }, 'time-scale': { type: 'string' }, activities: { type: 'string' }, json: { type: 'boolean' }, keep: { type: 'boolean' }, 'sim-child': { type: 'boolean' } },
  });
  const clusters = Number(values.clusters ?? 1000);
  const concurrency = Number(values.concurrency ?? 50);
  const timeScale = Number(values['time-scale'] ?? 0.005);
  const activities = values.activities === undefined ? undefined : Number(values.activities);
  if (!Number.isInteger(clusters) || clusters < 1) return `--clusters '${values.clusters}' is not a whole number ≥ 1: pass e.g. --clusters 100`;
  if (!Number.isInteger(concurrency) || concurrency < 1) return `--concurrency '${values.concurrency}' is not a whole number ≥ 1: pass e.g. --concurrency 50`;
  if (!Number.isFinite(timeScale) || timeScale <= 0 || timeScale > 1) return `--time-scale '${values['time-scale']}' is not in (0, 1]: pass wall seconds per simulated second, e.g. --time-scale 0.005`;
  if (activities !== undefined && (!Number.isInteger(activities) || activities < 1)) return `--activities '${values.activities}' is not a whole number ≥ 1: pass e.g. --activities 10 (host.json maxConcurrentActivityFunctions)`;
  return { clusters, concurrency, timeScale, activities, json: values.json === true, keep: values.keep === true };
}

interface HistoryFigures {
  instances: number;
  max: number;
  mean: number;
}

export interface RolloutBenchResult {
  node: string;
  cpus: number;
  loadAverage: number;
  /** 1-minute load average when the rollout started. */
  loadAverageAtStart: number;
  clusters: number;
  concurrency: number;
  timeScale: number;
  clockScale: number;
  maxConcurrentActivities: number;
  wallSeconds: number;
  counts: Record<string, number>;
  operations: number;
  lowerBoundMinutes: number;
  makespanMinutes: number;
  operationsSpanMinutes: number;
  makespanRatio: number;
  maxOperationsAtOnce: number;
  /** Whole bench process (host + app + SDK clients + SQLite), user+system, during the rollout. */
  hostCpuSeconds: number;
  cpuMsPerStep: number;
  /**
   * The Durable host's own overhead per step: CPU of its synchronous work (orchestrator episodes with their replay and
   * SQLite commit, activity hand-backs): the task hub's main-thread time of it (TaskHub.stats.hostMs) × cpuPerWall.
   */
  hostOverheadMsPerStep: number;
  /** CPU per main-thread millisecond of the host's batches, from the batches the task hub samples with process.cpuUsage. */
  cpuPerWall: number;
  /**
   * The three-way split per step: (a) the local host's own work (inbox, history, the shim's plan, SQLite commits,
   * dispatch, activity hand-backs: hostMs − sdkMs), (b) the durable-functions SDK's replay of the app's
   * orchestrator code (CPU inside the SDK's orchestrator handler: sdkMs), (c) the rest of the process (appMsPerStep).
   */
  hostOwnMsPerStep: number;
  sdkReplayMsPerStep: number;
  /** Of (a): the SQLite transactions of episodes. */
  commitMsPerStep: number;
  /** The rest of the process CPU per step: the activities' own work (ARM/Kubernetes reads and writes, SDKs, TLS), GC, the bench's sampling. */
  appMsPerStep: number;
  peakRssMiB: number;
  simCpuSeconds: number;
  simPeakRssMiB: number;
  armRequests: { reads: number; writes: number; kubernetes: number };
  /** TLS connections the simulator accepted (ARM, Kubernetes). */
  connections: { arm: number; kubernetes: number };
  historyPerClusterMigration: HistoryFigures;
  /** followOperation children (one per ARM operation): the history of their last execution (they continue as new every few polls). */
  historyPerFollowOperation: HistoryFigures;
  rolloutHistoryMax: number;
  rolloutExecutions: number;
  /** The host's counters over the run: orchestrator episodes, events replayed in them, their time, activities run. */
  hub: { episodes: number; replayedEvents: number; episodeCpuMs: number; hostMs: number; sdkMs: number; commitMs: number; batches: number; activities: number };
  /** The host's episodes per orchestration (rollout, clusterMigration): count, events replayed, host CPU (ms) and the SDK's part of it. */
  hubByName: Record<string, { episodes: number; replayedEvents: number; ms: number; sdkMs: number }>;
  /** Simulated minutes from the rollout's start to the first ARM operation (discovery, assessment, first preflight). */
  firstOperationAfterMinutes: number;
}

/** At most how many of these intervals overlap (sweep over starts and ends). */
function maxOverlap(intervals: Array<[number, number]>): number {
  const points = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (now += d));
  return max;
}

async function run(o: Options): Promise<RolloutBenchResult> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { startHost } = require('../local/host') as typeof import('../local/host');
  const { hostAppSettings } = require('../local/main') as typeof import('../local/main');
  const { ORCHESTRATIONS } = require('../functions/names') as typeof import('../functions/names');
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  /* eslint-enable @typescript-eslint/no-require-imports */
  type RolloutReport = import('../functions/contracts').RolloutReport;
  const entry = path.join(__dirname, '..', 'functions', `index${path.extname(__filename)}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-bench-rollout-'));
  const clockScale = 1 / o.timeScale;
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  log(`generating ${o.clusters} ready clusters and starting the simulator (time scale ${o.timeScale}) …`);
  const { child, ready } = await startSimChild(o.clusters, o.timeScale);
  let host: Awaited<ReturnType<typeof startHost>> | undefined;
  try {
    const db = path.join(tmp, 'hub.db');
    host = await startHost({
      entry,
      db,
      clockScale,
      ...(o.activities !== undefined ? { maxConcurrentActivities: o.activities } : {}),
      timers: false,
      log: () => undefined,
      // The settings `aksnet host start` gives the app (hostAppSettings: the result store's file, AKSNET_CLOCK_SCALE),
      // plus the simulator's endpoint and CA. AKSNET_CLOCK_SCALE: the app's ARM clients tell the simulator their clock (x-aksnet-clock-scale), so an
      // operation's Retry-After comes in the host's simulated seconds (docs/simulator.md). AKSNET_ARM_PACING=off for
      // the reason the simulator's throttling is off: the gateway's pacer refills ARM's buckets on the wall clock
      // (25 reads/s per subscription), which under a 50× clock is 50× less ARM per simulated second than Azure
      // gives; with it on, 1,000 clusters' polls queued for seconds of wall time behind the pacer.
      env: {
        AKSNET_ARM_ENDPOINT: ready.armEndpoint,
        AKSNET_CA_CERT: ready.caCertPath,
        ...hostAppSettings(path.join(tmp, 'results.db'), clockScale),
        AKSNET_ARM_PACING: 'off',
      },
    });
    const spec = {
      name: 'bench',
      target: 'cilium',
      selector: { subscriptions: Array.from({ length: SUBSCRIPTIONS }, (_, s) => subscriptionId(s)), tags: { bench: 'rollout' } },
      stages: [{ name: 'all', maxConcurrency: o.concurrency }],
      failureBudget: { total: o.clusters },
    };
    const id = 'bench-rollout';
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    const rolloutHistory = reader.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM history_events WHERE instance_id = ?');
    let rolloutHistoryMax = 0;
    const stats0 = { ...host.hub.stats };
    const loadAverageAtStart = Number(os.loadavg()[0].toFixed(2));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const wall0 = Date.now();
    host.client.startNew(ORCHESTRATIONS.rollout, { instanceId: id, input: { spec } });
    const executionOf = reader.prepare<[string], { execution_id: string }>('SELECT execution_id FROM instances WHERE instance_id = ?');
    const executionsSeen = new Set<string>();
    let ticks = 0;
    // Sampled twice a second: continueAsNew replaces the rollout's history, so its size is only visible while it runs.
    const sampler = setInterval(() => {
      rolloutHistoryMax = Math.max(rolloutHistoryMax, rolloutHistory.get(id)?.n ?? 0);
      const execution = executionOf.get(id)?.execution_id;
      if (execution) executionsSeen.add(execution);
      if (++ticks % 10 !== 0) return;
      const s = host?.client.getStatus(id)?.customStatus as Partial<RolloutReport> | undefined;
      if (s?.counts) log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: running ${s.running ?? 0}, ${JSON.stringify(s.counts)}`);
    }, 500);
    let status;
    try {
      status = await host.client.waitForCompletion(id, 3_600_000);
    } finally {
      clearInterval(sampler);
    }
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const stats = host.hub.stats;
    // main-thread times → CPU with the task hub's sampled ratio (TaskHub.stats: one batch in 4 also timed with getrusage)
    const sampledWall = stats.sampledWallMs - stats0.sampledWallMs;
    const cpuPerWall = sampledWall > 0 ? (stats.sampledCpuMs - stats0.sampledCpuMs) / sampledWall : 1;
    const perStep = (ms: number): number => Number((ms / Math.max(1, ours.length)).toFixed(2));
    rolloutHistoryMax = Math.max(rolloutHistoryMax, rolloutHistory.get(id)?.n ?? 0);
    if (status.runtimeStatus !== 'Completed') throw new Error(`the rollout ended ${status.runtimeStatus}: ${JSON.stringify(status.output).slice(0, 500)}`);
    const report = status.output as RolloutReport;
    if (report.byVerdict.ready !== o.clusters) throw new Error(`expected every cluster ready for Cilium, the assessment says ${JSON.stringify(report.byVerdict)}`);

    const historyOf = (name: string): number[] =>
      reader
        .prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM history_events h JOIN instances i ON i.instance_id = h.instance_id WHERE i.name = '${name}' GROUP BY h.instance_id`)
        .all()
        .map((r) => r.n);
    const perInstance = historyOf(ORCHESTRATIONS.clusterMigration);
    const perFollow = historyOf(ORCHESTRATIONS.followOperation);
    const finalExecution = executionOf.get(id)?.execution_id;
    if (finalExecution) executionsSeen.add(finalExecution);
    const executions = executionsSeen.size;
    reader.close();

    const sim = await askReport(child);
    const ours = sim.operations.filter((op) => op.principal !== 'aks-auto-upgrade');
    const first = Math.min(...ours.map((op) => op.startSim));
    const last = Math.max(...ours.map((op) => op.endSim));
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // The simulator's clock is wall time scaled from its own start: map the rollout's start onto it.
    const simAtStart = sim.simNow - (sim.wallNow - wall0) / o.timeScale;
    const lowerBoundMinutes = Math.ceil(o.clusters / o.concurrency) * REIMAGE_MINUTES;
    const makespanMinutes = (wallSeconds * clockScale) / 60;
    return {
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: Number(os.loadavg()[0].toFixed(2)),
      loadAverageAtStart,
      clusters: o.clusters,
      concurrency: o.concurrency,
      timeScale: o.timeScale,
      clockScale,
      maxConcurrentActivities: host.hub.options.maxConcurrentActivities,
      wallSeconds: Number(wallSeconds.toFixed(1)),
      counts: report.counts as Record<string, number>,
      operations: ours.length,
      lowerBoundMinutes,
      makespanMinutes: Number(makespanMinutes.toFixed(1)),
      operationsSpanMinutes: Number(((last - first) / 60_000).toFixed(1)),
      makespanRatio: Number((makespanMinutes / lowerBoundMinutes).toFixed(3)),
      maxOperationsAtOnce: maxOverlap(ours.map((op) => [op.startSim, op.endSim])),
      hostCpuSeconds: Number(cpuSeconds.toFixed(2)),
      cpuMsPerStep: Number(((cpuSeconds * 1000) / Math.max(1, ours.length)).toFixed(2)),
      cpuPerWall: Number(cpuPerWall.toFixed(3)),
      hostOverheadMsPerStep: perStep((stats.hostMs - stats0.hostMs) * cpuPerWall),
      appMsPerStep: perStep(cpuSeconds * 1000 - (stats.hostMs - stats0.hostMs) * cpuPerWall),
      hostOwnMsPerStep: perStep((stats.hostMs - stats0.hostMs - (stats.sdkMs - stats0.sdkMs)) * cpuPerWall),
      sdkReplayMsPerStep: perStep((stats.sdkMs - stats0.sdkMs) * cpuPerWall),
      commitMsPerStep: perStep((stats.commitMs - stats0.commitMs) * cpuPerWall),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      simCpuSeconds: Number(sim.cpuSeconds.toFixed(2)),
      simPeakRssMiB: sim.peakRssMiB,
      armRequests: { reads: sim.armReads, writes: sim.armWrites, kubernetes: sim.kubernetes },
      connections: sim.connections,
      historyPerClusterMigration: {
        instances: perInstance.length,
        max: Math.max(0, ...perInstance),
        mean: Number((perInstance.reduce((a, b) => a + b, 0) / Math.max(1, perInstance.length)).toFixed(1)),
      },
      historyPerFollowOperation: {
        instances: perFollow.length,
        max: Math.max(0, ...perFollow),
        mean: Number((perFollow.reduce((a, b) => a + b, 0) / Math.max(1, perFollow.length)).toFixed(1)),
      },
      rolloutHistoryMax,
      rolloutExecutions: executions,
      hub: {
        episodes: stats.episodes - stats0.episodes,
        replayedEvents: stats.replayedEvents - stats0.replayedEvents,
        episodeCpuMs: Math.round(stats.episodeMs - stats0.episodeMs),
        hostMs: Math.round(stats.hostMs - stats0.hostMs),
        sdkMs: Math.round(stats.sdkMs - stats0.sdkMs),
        commitMs: Math.round(stats.commitMs - stats0.commitMs),
        batches: stats.batches - stats0.batches,
        activities: stats.activitiesCompleted + stats.activitiesFailed - stats0.activitiesCompleted - stats0.activitiesFailed,
      },
      firstOperationAfterMinutes: Number(((first - simAtStart) / 60_000).toFixed(1)),
      hubByName: Object.fromEntries([...host.hub.statsByName].map(([name, v]) => [name, { episodes: v.episodes, replayedEvents: v.replayedEvents, ms: Math.round(v.ms), sdkMs: Math.round(v.sdkMs) }])),
    };
  } finally {
    await host?.stop();
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.send({ type: 'stop' });
    });
    if (o.keep) log(`task hub and results kept in ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function table(r: RolloutBenchResult): string {
  const rows: Array<[string, string, string]> = [
    ['clusters × maxConcurrency', `${r.clusters} × ${r.concurrency}`, ''],
    ['time scale (wall s per simulated s) / host clock scale', `${r.timeScale} / ${r.clockScale}`, ''],
    ['results', Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', '), `${r.clusters} migrated`],
    ['ARM operations (steps) started by the app', String(r.operations), String(r.clusters)],
    ['lower bound ⌈N/K⌉·T', `${r.lowerBoundMinutes} min`, ''],
    ['makespan (rollout start → completed)', `${r.makespanMinutes} min = ${r.makespanRatio}× bound`, '≤ 1.15×'],
    ['first ARM operation after / span of the ARM operations', `${r.firstOperationAfterMinutes} min / ${r.operationsSpanMinutes} min`, ''],
    ['most ARM operations at once', String(r.maxOperationsAtOnce), `≤ ${r.concurrency}`],
    ['wall time', `${r.wallSeconds} s`, ''],
    ['process CPU (user+system: host + app + SDKs)', `${r.hostCpuSeconds} s`, ''],
    ['process CPU per cluster step', `${r.cpuMsPerStep} ms`, ''],
    ['(a) local host\'s own work per cluster step (inbox, history, plan, SQLite commits, dispatch, hand-backs; CPU)', `${r.hostOwnMsPerStep} ms (of it SQLite commits ${r.commitMsPerStep} ms)`, '≤ 10 ms'],
    ["(b) the durable-functions SDK's replay of the orchestrator code, per step (CPU)", `${r.sdkReplayMsPerStep} ms`, ''],
    ['(a)+(b) Durable host overhead per cluster step (CPU)', `${r.hostOverheadMsPerStep} ms (main-thread ${r.hub.hostMs} ms in all × ${r.cpuPerWall} CPU per main-thread ms, sampled)`, '≤ 10 ms'],
    ["(c) the app's activity work and the rest, per step", `${r.appMsPerStep} ms`, ''],
    ['host orchestrator episodes / events replayed / replay wall time', `${r.hub.episodes} / ${r.hub.replayedEvents} / ${r.hub.episodeCpuMs} ms`, ''],
    ['episode commits (SQLite transactions) / episodes per commit', `${r.hub.batches} / ${(r.hub.episodes / Math.max(1, r.hub.batches)).toFixed(2)}`, ''],
    ...Object.entries(r.hubByName).map(([name, v]): [string, string, string] => [
      `… of which ${name}: episodes / events replayed (per episode) / (a)+(b) per step / (b) per step`,
      `${v.episodes} / ${v.replayedEvents} (${(v.replayedEvents / Math.max(1, v.episodes)).toFixed(1)}) / ${((v.ms * r.cpuPerWall) / Math.max(1, r.operations)).toFixed(2)} ms / ${((v.sdkMs * r.cpuPerWall) / Math.max(1, r.operations)).toFixed(2)} ms`,
      '',
    ]),
    ['activities run', String(r.hub.activities), ''],
    ['host peak RSS', `${r.peakRssMiB} MiB`, ''],
    ['simulator CPU / peak RSS', `${r.simCpuSeconds} s / ${r.simPeakRssMiB} MiB`, ''],
    ['ARM reads / writes, Kubernetes requests', `${r.armRequests.reads} / ${r.armRequests.writes}, ${r.armRequests.kubernetes}`, ''],
    ['TLS connections accepted by the simulator (ARM / Kubernetes)', `${r.connections.arm} / ${r.connections.kubernetes}`, ''],
    ['history events per clusterMigration (max / mean)', `${r.historyPerClusterMigration.max} / ${r.historyPerClusterMigration.mean} (${r.historyPerClusterMigration.instances} instances)`, ''],
    ['history events per followOperation, last execution (max / mean)', `${r.historyPerFollowOperation.max} / ${r.historyPerFollowOperation.mean} (${r.historyPerFollowOperation.instances} instances)`, ''],
    ['history events of the rollout (max of one execution) / executions', `${r.rolloutHistoryMax} / ${r.rolloutExecutions}`, ''],
    ['machine', `node ${r.node}, ${r.cpus} CPUs, 1-min load ${r.loadAverageAtStart} at the start, ${r.loadAverage} at the end`, ''],
    ["host's maxConcurrentActivities", String(r.maxConcurrentActivities), ''],
  ];
  return ['| figure | measured | target |', '|---|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n') + '\n';
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (typeof o === 'string') {
    process.stderr.write(`${o}\nusage: node dist/bench/rollout.js [--clusters 1000] [--concurrency 50] [--time-scale 0.005] [--activities N] [--json] [--keep]\n`);
    process.exitCode = 2;
    return;
  }
  if (process.argv.includes('--sim-child')) return simChild(o.clusters, o.timeScale);
  const r = await run(o);
  process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : table(r));
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
