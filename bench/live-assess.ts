/**
 * Bench: live fleet assessment against the simulator, with ARM throttling on and a per-call latency.
 *
 *   npm run build && node dist/bench/live-assess.js [--clusters 10000] [--subscriptions 50] [--latency-ms 50]
 *        [--naive-sample 150] [--modes arm,kubernetes]
 *
 * 1. Generates a fleet (sim/generate.ts) and writes it to bench/out/.
 * 2. For each mode, starts a fresh simulator as its own process (startSimulator from dist/sim/server.js,
 *    throttling on, `--latency-ms`), runs collectSnapshot through the real SDK clients, then normalize + assess
 *    (shared/assess.ts) on what was collected. Modes: `arm` (what live `fleet assess` reads from ARM:
 *    Resource Graph, each VNet and NSG once), `kubernetes` (also listClusterUserCredential and the
 *    Kubernetes lists per cluster: the full live `fleet assess`), `snapshot` (also each cluster's
 *    maintenance configurations: what `fleet snapshot` and a rollout's discovery read).
 * 3. Naive loop: on a fresh simulator, GET cluster + GET VNet + GET NSG one cluster after another for
 *    a sample of clusters spread over all subscriptions, extrapolated to the whole fleet (the loop runs
 *    ~20 reads/s spread over every subscription, far below each subscription's 25/s refill, so it never
 *    meets throttling and the per-cluster time scales linearly).
 * 4. Lower bound the throttling model allows (per subscription and principal: reads bucket 250 + 25/s,
 *    writes 200 + 10/s; Resource Graph 15 queries per 5 s; aks-facts.md § ARM behaviour), against the
 *    chain of latencies that cannot overlap (Resource Graph pages one after another, then a VNet GET
 *    and the NSG GET it names, and for Kubernetes the credential POST before the lists).
 *
 * Prints a markdown table and writes bench/out/live-assess.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { generateFleet } from '../sim/generate';
import { createAzureClients } from '../shared/azure/clients';
import { collectSnapshot } from '../shared/azure/collect';
import { RG_BATCH, RG_PAGE } from '../shared/azure/discovery';
import { assessFleet } from '../shared/assess';
import { armIdKey, parseArmId, vnetIdOfSubnet } from '../shared/arm/id';
import type { ManagedClusterResource, VirtualNetworkResource } from '../shared/model/arm';
import type { Snapshot } from '../shared/model/snapshot';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'bench', 'out');
const SIM_SERVER = path.join(ROOT, 'dist', 'sim', 'server.js');

/**
 * The simulator's own process: startSimulator from the build, seeded from the file, one JSON line when
 * ready, stopped by SIGTERM (what `aksnet sim start` does, without the CLI layer).
 */
const SIM_SCRIPT = `
const { startSimulator } = require(process.argv[1]);
const snapshot = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
startSimulator({ snapshot, latencyMs: Number(process.argv[3]) }).then((sim) => {
  process.stdout.write(JSON.stringify({ armEndpoint: sim.armEndpoint, caCertPath: sim.caCertPath }) + '\\n');
  process.once('SIGTERM', () => sim.stop().then(() => process.exit(0)));
});`;

// The throttling model (aks-facts.md § ARM behaviour, § Azure Resource Graph).
const READS = { bucket: 250, refill: 25 };
const WRITES = { bucket: 200, refill: 10 };
const GRAPH = { queries: 15, windowSeconds: 5 };

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} needs a non-negative number, got '${process.argv[i + 1]}'`);
  return v;
}
function stringOption(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : String(process.argv[i + 1]);
}

interface Sim {
  armEndpoint: string;
  caCertPath: string;
  child: ChildProcess;
  startMs: number;
}

/** Starts the simulator as its own process (its own core) and waits for its one JSON line. */
async function startSim(snapshotFile: string, latencyMs: number): Promise<Sim> {
  if (!fs.existsSync(SIM_SERVER)) throw new Error(`${SIM_SERVER} is missing: run 'npm run build' first`);
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--max-old-space-size=6144', '-e', SIM_SCRIPT, SIM_SERVER, snapshotFile, String(latencyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with code ${code} before it was ready`)));
  });
  const ready = JSON.parse(line) as { armEndpoint: string; caCertPath: string };
  return { ...ready, child, startMs: Date.now() - t0 };
}

async function stopSim(sim: Sim): Promise<void> {
  if (sim.child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    sim.child.once('exit', () => resolve());
    sim.child.kill('SIGTERM');
  });
}

type Mode = 'arm' | 'kubernetes' | 'snapshot';
const MODES: Record<Mode, { kubernetes: boolean; maintenance: boolean; label: string }> = {
  arm: { kubernetes: false, maintenance: false, label: 'assess, ARM facts only' },
  kubernetes: { kubernetes: true, maintenance: false, label: 'assess, ARM + Kubernetes facts' },
  snapshot: { kubernetes: true, maintenance: true, label: 'snapshot (+ maintenance configurations)' },
};

/** CPU seconds a process has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

interface SubscriptionLoad {
  clusters: number;
  vnets: number;
  nsgs: number;
}

/** What a collection must read per subscription: maintenance list per cluster, each VNet and NSG once. */
function loadPerSubscription(fleet: Snapshot): Map<string, SubscriptionLoad> {
  const vnetById = new Map<string, VirtualNetworkResource>();
  for (const r of fleet.resources) if (r.type.toLowerCase() === 'microsoft.network/virtualnetworks') vnetById.set(armIdKey(r.id), r as VirtualNetworkResource);
  const load = new Map<string, SubscriptionLoad>();
  const get = (sub: string): SubscriptionLoad => {
    let l = load.get(sub.toLowerCase());
    if (!l) load.set(sub.toLowerCase(), (l = { clusters: 0, vnets: 0, nsgs: 0 }));
    return l;
  };
  const vnets = new Set<string>();
  const nsgs = new Set<string>();
  for (const r of fleet.resources) {
    if (r.type.toLowerCase() !== 'microsoft.containerservice/managedclusters') continue;
    get(parseArmId(r.id).subscriptionId).clusters++;
    for (const p of (r as ManagedClusterResource).properties?.agentPoolProfiles ?? []) {
      for (const sid of [p.vnetSubnetID, p.podSubnetID]) {
        if (!sid) continue;
        const vnetKey = armIdKey(vnetIdOfSubnet(sid)!);
        if (!vnets.has(vnetKey)) {
          vnets.add(vnetKey);
          get(parseArmId(vnetKey).subscriptionId).vnets++;
        }
        const subnet = vnetById.get(vnetKey)?.properties?.subnets?.find((s) => armIdKey(s.id) === armIdKey(sid));
        const nsg = subnet?.properties?.networkSecurityGroup?.id;
        if (nsg && !nsgs.has(armIdKey(nsg))) {
          nsgs.add(armIdKey(nsg));
          get(parseArmId(nsg).subscriptionId).nsgs++;
        }
      }
    }
  }
  return load;
}

interface LowerBound {
  ms: number;
  tokenMs: number;
  graphMs: number;
  latencyChainMs: number;
  busiestSubscription: { reads: number; writes: number };
  graphQueries: number;
}

function lowerBound(fleet: Snapshot, subscriptions: number, mode: Mode, latencyMs: number): LowerBound {
  const withKube = MODES[mode].kubernetes;
  let tokenMs = 0;
  let busiest = { reads: 0, writes: 0 };
  let clusters = 0;
  for (const l of loadPerSubscription(fleet).values()) {
    clusters += l.clusters;
    const reads = (MODES[mode].maintenance ? l.clusters : 0) + l.vnets + l.nsgs;
    const writes = withKube ? l.clusters : 0;
    const ms = Math.max(Math.max(0, reads - READS.bucket) / READS.refill, Math.max(0, writes - WRITES.bucket) / WRITES.refill) * 1000;
    if (ms >= tokenMs) {
      tokenMs = ms;
      busiest = { reads, writes };
    }
  }
  const batches = Math.ceil(subscriptions / RG_BATCH);
  const graphQueries = Math.max(batches, Math.ceil(clusters / RG_PAGE) + batches - 1);
  const graphMs = Math.max(0, Math.ceil(graphQueries / GRAPH.queries) - 1) * GRAPH.windowSeconds * 1000;
  const latencyChainMs = (graphQueries + 2 + (withKube ? 1 : 0)) * latencyMs;
  return { ms: Math.max(tokenMs, graphMs, latencyChainMs), tokenMs, graphMs, latencyChainMs, busiestSubscription: busiest, graphQueries };
}

interface ModeFigures {
  mode: Mode;
  clusters: number;
  failures: number;
  simStartMs: number;
  collectMs: number;
  assessMs: number;
  wallMs: number;
  armCalls: number;
  armReads: number;
  armWrites: number;
  resourceGraphCalls: number;
  throttled: number;
  serverErrors: number;
  byOperation: Record<string, number>;
  lowerBound: LowerBound;
  /** CPU seconds spent during collection by this process and by the simulator process. */
  cpu: { collector: number; simulator?: number };
}

async function runMode(mode: Mode, file: string, fleet: Snapshot, subscriptions: number, latencyMs: number): Promise<ModeFigures> {
  const sim = await startSim(file, latencyMs);
  const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath });
  try {
    const subs = [...new Set(fleet.resources.filter((r) => r.type.toLowerCase() === 'microsoft.containerservice/managedclusters').map((r) => parseArmId(r.id).subscriptionId))];
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    const simCpu0 = processCpuSeconds(sim.child.pid);
    let lastReport = 0;
    const result = await collectSnapshot({
      clients,
      subscriptions: subs,
      kubernetes: MODES[mode].kubernetes,
      maintenanceConfigurations: MODES[mode].maintenance,
      concurrency: 128,
      onProgress: (p) => {
        if (Date.now() - lastReport > 5000) {
          lastReport = Date.now();
          process.stderr.write(`  ${mode}: ${p.done}/${p.total ?? '?'} clusters, ${((Date.now() - t0) / 1000).toFixed(1)} s, 429s ${clients.stats.throttled}\n`);
        }
      },
    });
    const collectMs = Date.now() - t0;
    const cpuUsed = process.cpuUsage(cpu0);
    const simCpu1 = processCpuSeconds(sim.child.pid);
    const t1 = Date.now();
    const assessments = assessFleet(result.snapshot, { target: 'overlay+cilium' });
    const assessMs = Date.now() - t1;
    return {
      mode,
      clusters: assessments.length,
      failures: result.failures.length,
      simStartMs: sim.startMs,
      collectMs,
      assessMs,
      wallMs: collectMs + assessMs,
      armCalls: result.stats.arm,
      armReads: result.stats.armReads,
      armWrites: result.stats.armWrites,
      resourceGraphCalls: result.stats.resourceGraph,
      throttled: result.stats.throttled,
      serverErrors: result.stats.serverErrors,
      byOperation: result.stats.byOperation,
      lowerBound: lowerBound(fleet, subscriptions, mode, latencyMs),
      cpu: { collector: (cpuUsed.user + cpuUsed.system) / 1e6, simulator: simCpu0 !== undefined && simCpu1 !== undefined ? simCpu1 - simCpu0 : undefined },
    };
  } finally {
    clients.close();
    await stopSim(sim);
  }
}

interface NaiveFigures {
  sample: number;
  sampleMs: number;
  perClusterMs: number;
  extrapolatedMs: number;
  calls: number;
  throttled: number;
}

/** GET cluster + VNet + NSG one cluster after another: what a script calling `az` in a loop does. */
async function runNaive(file: string, fleet: Snapshot, sample: number, latencyMs: number): Promise<NaiveFigures> {
  const sim = await startSim(file, latencyMs);
  const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath });
  try {
    const clusters = fleet.resources.filter((r) => r.type.toLowerCase() === 'microsoft.containerservice/managedclusters') as ManagedClusterResource[];
    const step = Math.max(1, Math.floor(clusters.length / sample));
    const picked = clusters.filter((_, i) => i % step === 0).slice(0, sample);
    const t0 = Date.now();
    for (const c of picked) {
      const id = parseArmId(c.id);
      const got = await clients.containerService(id.subscriptionId).managedClusters.get(id.resourceGroup!, id.name!);
      const subnetId = got.agentPoolProfiles?.[0]?.vnetSubnetID;
      if (!subnetId) continue;
      const v = parseArmId(vnetIdOfSubnet(subnetId)!);
      const vnet = await clients.network(v.subscriptionId).virtualNetworks.get(v.resourceGroup!, v.name!);
      const nsgId = vnet.subnets?.find((s) => armIdKey(s.id ?? '') === armIdKey(subnetId))?.networkSecurityGroup?.id;
      if (!nsgId) continue;
      const n = parseArmId(nsgId);
      await clients.network(n.subscriptionId).networkSecurityGroups.get(n.resourceGroup!, n.name!);
    }
    const sampleMs = Date.now() - t0;
    const perClusterMs = sampleMs / picked.length;
    return { sample: picked.length, sampleMs, perClusterMs, extrapolatedMs: perClusterMs * clusters.length, calls: clients.stats.arm, throttled: clients.stats.throttled };
  } finally {
    clients.close();
    await stopSim(sim);
  }
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  const clusters = option('--clusters', 10000);
  const subscriptions = option('--subscriptions', 50);
  const latencyMs = option('--latency-ms', 50);
  const naiveSample = option('--naive-sample', 150);
  const modes = stringOption('--modes', 'arm,kubernetes').split(',').filter((m): m is Mode => m in MODES);
  fs.mkdirSync(OUT, { recursive: true });
  process.stderr.write(`generating ${clusters} clusters in ${subscriptions} subscriptions…\n`);
  const fleet = generateFleet({ clusters, subscriptions, seed: 42, kubernetes: modes.some((m) => MODES[m].kubernetes) });
  const file = path.join(OUT, `live-fleet-${clusters}.json`);
  fs.writeFileSync(file, JSON.stringify(fleet));

  const results: ModeFigures[] = [];
  for (const mode of modes) {
    process.stderr.write(`collecting (${mode})…\n`);
    results.push(await runMode(mode, file, fleet, subscriptions, latencyMs));
  }
  process.stderr.write(`naive loop on ${naiveSample} clusters…\n`);
  const naive = await runNaive(file, fleet, naiveSample, latencyMs);
  const armNaive = naive.extrapolatedMs;

  const lines = [
    `Live assessment: ${clusters} clusters, ${subscriptions} subscriptions, ${latencyMs} ms per ARM call, throttling on (reads 250 + 25/s, writes 200 + 10/s per subscription and principal; Resource Graph 15 per 5 s).`,
    '',
    '| mode | wall (collect + assess) | ARM calls (reads / writes) | Resource Graph calls | 429s | failures | lower bound | naive loop (extrapolated) | speed-up vs naive | target ≤ 60 s and ≥ 50× |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => {
      const speedup = armNaive / r.wallMs;
      const ok = r.wallMs <= 60_000 && speedup >= 50;
      return `| ${MODES[r.mode].label} | ${s(r.collectMs)} + ${s(r.assessMs)} = ${s(r.wallMs)} | ${r.armCalls} (${r.armReads} / ${r.armWrites}) | ${r.resourceGraphCalls} | ${r.throttled} | ${r.failures} | ${s(r.lowerBound.ms)} (tokens ${s(r.lowerBound.tokenMs)}, RG ${s(r.lowerBound.graphMs)}, latency chain ${s(r.lowerBound.latencyChainMs)}) | ${s(armNaive)} | ${speedup.toFixed(0)}× | ${ok ? 'met' : 'not met'} |`;
    }),
    '',
    `Naive loop: ${naive.sample} clusters in ${s(naive.sampleMs)} (${naive.perClusterMs.toFixed(0)} ms per cluster, ${naive.calls} calls, ${naive.throttled} 429s), extrapolated × ${clusters}.`,
    `Simulator start (seeding ${clusters} clusters): ${results.map((r) => `${r.mode} ${s(r.simStartMs)}`).join(', ')} (not counted in wall time).`,
    `CPU during collection (collector / simulator process): ${results.map((r) => `${r.mode} ${r.cpu.collector.toFixed(1)} s / ${r.cpu.simulator?.toFixed(1) ?? '?'} s`).join(', ')}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(OUT, 'live-assess.json'), JSON.stringify({ clusters, subscriptions, latencyMs, modes: results, naive }, null, 2));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 1;
  },
);
