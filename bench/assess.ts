/**
 * Bench: offline fleet assessment through the real CLI binary, and the cost of `aksnet --help`.
 *
 *   npm run build && node dist/bench/assess.js [--clusters 10000] [--subscriptions 50] [--runs 3] [--without-kubernetes] [--bin bin/aksnet.js]
 *
 * Generates a synthetic fleet (sim/generate.ts), writes it to bench/out/, then times
 * `node bin/aksnet.js fleet assess --snapshot FILE --target overlay+cilium -o json > /dev/null`
 * (wall time, peak RSS of the CLI process) and `node bin/aksnet.js --help` (median of several runs),
 * and prints a markdown table against the goals: assess ≤ 2 s and ≤ 300 MB, help ≤ 0.25 s.
 *
 * `fleet assess --snapshot` assesses each cluster while the file is read (cli/snapshotFile.ts), so reading
 * and assessing are one phase then (its DEBUG line ends in "(streamed)"); a file the streaming reader
 * hands over is read whole first and the two phases are timed apart. `--bin` runs another launcher
 * (a copy of bin/ and dist/ with a change under test) against the same snapshot.
 *
 * Peak RSS is read inside the CLI process (process.resourceUsage().maxRSS at exit, through a one-line
 * `node -e` wrapper) so the bench does not depend on GNU time being installed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateFleet } from '../sim/generate';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.resolve(textOption('--bin') ?? path.join(ROOT, 'bin', 'aksnet.js'));
const OUT = path.join(ROOT, 'bench', 'out');

interface Run {
  wallMs: number;
  /** user + system CPU time of the CLI process: less sensitive than wall time to a busy machine. */
  cpuMs: number;
  rssMb: number;
  code: number;
  stderr: string;
}

function textOption(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} needs a positive integer, got '${process.argv[i + 1]}'`);
  return v;
}

/** Runs the CLI once with stdout discarded; returns wall time and the CLI process's peak RSS. */
function runCli(args: string[]): Run {
  const wrapper =
    "process.argv.splice(1, 0, 'aksnet');" +
    "process.on('exit', () => { const u = process.resourceUsage(); require('fs').writeSync(2, '\\nBENCH_MAX_RSS_KB=' + u.maxRSS + ' BENCH_CPU_US=' + (u.userCPUTime + u.systemCPUTime) + '\\n'); });" +
    `require(${JSON.stringify(BIN)});`;
  const devNull = fs.openSync('/dev/null', 'w');
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', wrapper, '--', ...args], { cwd: ROOT, stdio: ['ignore', devNull, 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  fs.closeSync(devNull);
  const stderr = r.stderr?.toString() ?? '';
  const m = /BENCH_MAX_RSS_KB=(\d+) BENCH_CPU_US=(\d+)/.exec(stderr);
  return {
    wallMs,
    cpuMs: m ? Number(m[2]) / 1000 : NaN,
    rssMb: m ? Number(m[1]) / 1024 : NaN,
    code: r.status ?? -1,
    stderr: stderr.replace(/\n?BENCH_MAX_RSS_KB=\d+ BENCH_CPU_US=\d+\n?/, ''),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function main(): number {
  const clusters = option('--clusters', 10_000);
  const subscriptions = option('--subscriptions', 50);
  const runs = option('--runs', 3);
  // Without each cluster's Kubernetes objects the snapshot is about a quarter of the size (ARM only).
  const withKubernetes = !process.argv.includes('--without-kubernetes');
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    process.stderr.write("ERROR: dist/cli/main.js is missing. Run 'npm run build' first.\n");
    return 2;
  }
  if (!fs.existsSync(BIN)) {
    process.stderr.write(`ERROR: --bin ${BIN} does not exist. Give the path of an aksnet launcher such as bin/aksnet.js.\n`);
    return 2;
  }
  // Other work shares the machine: the load when the bench starts is part of the figures.
  const loadAtStart = os.loadavg()[0];

  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `fleet-${clusters}${withKubernetes ? '' : '-arm-only'}.json`);
  let started = process.hrtime.bigint();
  const snapshot = generateFleet({ clusters, subscriptions, seed: 'bench', kubernetes: withKubernetes });
  const generateMs = Number(process.hrtime.bigint() - started) / 1e6;
  started = process.hrtime.bigint();
  fs.writeFileSync(file, JSON.stringify(snapshot));
  const writeMs = Number(process.hrtime.bigint() - started) / 1e6;
  const sizeMb = fs.statSync(file).size / 1024 / 1024;
  process.stderr.write(`generated ${clusters} clusters (${snapshot.resources.length} resources, ${sizeMb.toFixed(1)} MB) in ${generateMs.toFixed(0)} ms, written in ${writeMs.toFixed(0)} ms\n`);

  const assessRuns: Run[] = [];
  for (let i = 0; i < runs; i++) {
    // --debug makes the CLI log its phases on stderr (stdout, the result, still goes to /dev/null).
    const r = runCli(['fleet', 'assess', '--snapshot', file, '--target', 'overlay+cilium', '-o', 'json', '--debug']);
    if (r.code !== 0) {
      process.stderr.write(`ERROR: fleet assess exited ${r.code}: ${r.stderr.trim().split('\n')[0]}\n`);
      return 1;
    }
    assessRuns.push(r);
  }
  const helpRuns: Run[] = [];
  for (let i = 0; i < 7; i++) helpRuns.push(runCli(['--help']));

  const assessMs = median(assessRuns.map((r) => r.wallMs));
  const phase = (re: RegExp): number => median(assessRuns.map((r) => Number(re.exec(r.stderr)?.[1] ?? NaN)));
  const streamed = assessRuns.every((r) => /^DEBUG: read \d+ resources from .* \(streamed\)$/m.test(r.stderr));
  const readMs = phase(/^DEBUG: read \d+ resources from .* in (\d+) ms/m);
  const evalMs = streamed ? 0 : phase(/^INFO: assessed \d+ clusters? for target \S+ in (\d+) ms$/m);
  const assessRss = Math.max(...assessRuns.map((r) => r.rssMb));
  const helpMs = median(helpRuns.map((r) => r.wallMs));
  const helpRss = median(helpRuns.map((r) => r.rssMb));
  const ok = (pass: boolean): string => (pass ? 'ok' : 'OVER');
  const lines = [
    `| measure (${clusters} clusters, ${subscriptions} subscriptions, ${withKubernetes ? 'with' : 'without'} Kubernetes objects, snapshot ${sizeMb.toFixed(1)} MB) | value | goal | |`,
    '|---|---|---|---|',
    `| \`fleet assess -o json\` wall time (median of ${runs}) | ${(assessMs / 1000).toFixed(2)} s | ≤ 2 s | ${ok(assessMs <= 2000)} |`,
    `| \`fleet assess -o json\` CPU time, user + system (median of ${runs}) | ${(median(assessRuns.map((r) => r.cpuMs)) / 1000).toFixed(2)} s | | |`,
    ...(streamed
      ? [`| … of which reading, validating and assessing, interleaved (streamed) | ${(readMs / 1000).toFixed(2)} s | | |`]
      : [
          `| … of which reading, parsing and validating the snapshot (whole file) | ${(readMs / 1000).toFixed(2)} s | | |`,
          `| … of which assessing (normalize, plan, rules) | ${(evalMs / 1000).toFixed(2)} s | | |`,
        ]),
    `| … the rest (Node start-up, module loading, JSON output) | ${((assessMs - readMs - evalMs) / 1000).toFixed(2)} s | | |`,
    `| \`fleet assess -o json\` peak RSS (max of ${runs}) | ${assessRss.toFixed(0)} MB | ≤ 300 MB | ${ok(assessRss <= 300)} |`,
    `| \`aksnet --help\` wall time (median of ${helpRuns.length}) | ${(helpMs / 1000).toFixed(3)} s | ≤ 0.25 s | ${ok(helpMs <= 250)} |`,
    `| \`aksnet --help\` CPU time (median) | ${(median(helpRuns.map((r) => r.cpuMs)) / 1000).toFixed(3)} s | | |`,
    `| \`aksnet --help\` peak RSS (median) | ${helpRss.toFixed(0)} MB | | |`,
    `| each run: wall / CPU / peak RSS | ${assessRuns.map((r) => `${(r.wallMs / 1000).toFixed(2)} s / ${(r.cpuMs / 1000).toFixed(2)} s / ${r.rssMb.toFixed(0)} MB`).join('; ')} | | |`,
    `| machine: ${os.cpus().length} CPUs, 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end | | | |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return assessMs <= 2000 && assessRss <= 300 && helpMs <= 250 ? 0 : 1;
}

process.exitCode = main();
