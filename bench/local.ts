/**
 * Local host throughput: fan-out/fan-in of N trivial activities and a chain of N sequential
 * activities, on a SQLite file. Prints one JSON object on stdout; a summary on stderr.
 *
 *   node dist/bench/local.js [--n 1000] [--concurrency 10] [--db FILE|:memory:]
 *
 * This file is also the benchmark's Functions app: loaded by the host (not as main) it registers
 * its orchestrations and activity, so the host loads it exactly like functions/index.js.
 *
 * Published figures to compare with (docs/durable-local-host.md, "Limits to respect"): Azure
 * Storage provider ~100 activities/s fan-out and ~5/s sequential per instance; Netherite on EP1
 * ~500 parallel activities/s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

function registerApp(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const df = require('durable-functions') as typeof import('durable-functions');
  df.app.activity('BenchNoop', { handler: (i: number) => i });
  df.app.orchestration('BenchFanOut', function* (context) {
    const n = context.df.getInput() as number;
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(context.df.callActivity('BenchNoop', i));
    const results = (yield context.df.Task.all(tasks)) as number[];
    return results.length;
  });
  df.app.orchestration('BenchChain', function* (context) {
    const n = context.df.getInput() as number;
    let last = 0;
    for (let i = 0; i < n; i++) last = (yield context.df.callActivity('BenchNoop', i)) as number;
    return last + 1;
  });
}

interface RunFigures {
  scenario: string;
  activities: number;
  seconds: number;
  activitiesPerSecond: number;
  /** CPU seconds this process used (user+system): on a shared machine, n / cpuSeconds is the load-independent rate. */
  cpuSeconds: number;
  activitiesPerCpuSecond: number;
  episodes: number;
  replayedEvents: number;
  historyEvents: number;
  episodeMsTotal: number;
  episodeMsPerEpisode: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: 'string' }, concurrency: { type: 'string' }, db: { type: 'string' } } });
  const n = Number(values.n ?? 1000);
  const concurrency = Number(values.concurrency ?? 10);
  if (!Number.isInteger(n) || n <= 0 || !Number.isInteger(concurrency) || concurrency <= 0) {
    process.stderr.write('usage: node dist/bench/local.js [--n 1000] [--concurrency 10] [--db FILE|:memory:]\n');
    process.exitCode = 2;
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-bench-'));
  const db = values.db ?? path.join(tmp, 'bench.db');
  // imported here so loading this file as the app does not load the host
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startHost } = require('../local/host') as typeof import('../local/host');
  // this file is both the runner and the app: let the host require it afresh, as an app
  delete require.cache[__filename];
  const host = await startHost({ entry: __filename, db, maxConcurrentActivities: concurrency, timers: false, log: (m) => process.stderr.write(`[host] ${m}\n`) });
  const figures: RunFigures[] = [];
  try {
    for (const [scenario, orchestration] of [
      ['fan-out/fan-in', 'BenchFanOut'],
      ['sequential chain', 'BenchChain'],
    ] as const) {
      const before = { ...host.hub.stats };
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const id = host.client.startNew(orchestration, { input: n });
      const status = await host.client.waitForCompletion(id, 600_000);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      if (status.runtimeStatus !== 'Completed') throw new Error(`${orchestration} ended ${status.runtimeStatus}: ${JSON.stringify(status.output)}`);
      const s = host.hub.stats;
      const episodes = s.episodes - before.episodes;
      const episodeMs = s.episodeMs - before.episodeMs;
      figures.push({
        scenario,
        activities: n,
        seconds: Number(seconds.toFixed(3)),
        activitiesPerSecond: Math.round(n / seconds),
        cpuSeconds: Number(cpuSeconds.toFixed(3)),
        activitiesPerCpuSecond: Math.round(n / cpuSeconds),
        episodes,
        replayedEvents: s.replayedEvents - before.replayedEvents,
        historyEvents: host.client.history(id).length,
        episodeMsTotal: Math.round(episodeMs),
        episodeMsPerEpisode: Number((episodeMs / episodes).toFixed(3)),
      });
    }
  } finally {
    await host.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  const result = { node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg()[0], db: values.db ?? 'temporary file (WAL)', concurrency, peakRssMiB, runs: figures };
  process.stdout.write(JSON.stringify(result) + '\n');
  for (const f of figures) {
    process.stderr.write(
      `${f.scenario}: ${f.activities} activities in ${f.seconds} s = ${f.activitiesPerSecond}/s (${f.activitiesPerCpuSecond} per CPU second); ${f.episodes} episodes replayed ${f.replayedEvents} events (${f.episodeMsPerEpisode} ms/episode incl. replay)\n`,
    );
  }
  process.stderr.write(`peak RSS ${peakRssMiB} MiB. Published: Azure Storage ~100/s fan-out, ~5/s sequential; Netherite EP1 ~500/s parallel.\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
} else {
  registerApp();
}
