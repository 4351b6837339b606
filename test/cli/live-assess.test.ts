/**
 * Live `fleet assess` and `fleet snapshot` through the built binary against the simulator (started
 * here, in-process, seeded with a fleet written by `aksnet sim generate`): live output is exactly the
 * `--snapshot` output on the same fleet; discovery filters; source usage errors; `fleet snapshot` writes
 * a valid snapshot with read calls only.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { armIdKey } from '../../shared/arm/id';
import type { Assessment } from '../../shared/model/assessment';
import { parseSnapshot } from '../../shared/model/snapshot';
import { aksnetAsync, expectReadsOnly, BIN, clustersOf, liveFleet, subArgs, type LiveFleet } from './live-support';
import { ensureBuilt, json, ROOT } from './support';

jest.setTimeout(60_000);

let live: LiveFleet;
let fleetFile: string;
let fleet: LiveFleet['fleet'];
let subs: string[];
let sim: LiveFleet['sim'];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ensureBuilt();
  live = await liveFleet(24, 3, 'live-cli');
  ({ fleetFile, fleet, subs, sim, env } = live);
  expect(subs).toHaveLength(3);
}, 180_000);

afterAll(async () => live?.close());


describe('fleet assess, live', () => {
  it('prints exactly what --snapshot prints on the same fleet (json and table), with nothing on stderr', async () => {
    for (const output of ['json', 'table']) {
      const [live, offline] = await Promise.all([
        aksnetAsync(['fleet', 'assess', ...subArgs(subs), '--target', 'overlay+cilium', '-o', output], { env }),
        aksnetAsync(['fleet', 'assess', '--snapshot', fleetFile, '--target', 'overlay+cilium', '-o', output]),
      ]);
      expect(offline.code).toBe(0);
      expect(live.stderr).toBe('');
      expect(live.code).toBe(0);
      expect(live.stdout).toBe(offline.stdout);
    }
    const list = json<Assessment[]>(await aksnetAsync(['fleet', 'assess', ...subArgs(subs), '-t', 'cilium'], { env }));
    expect(list).toHaveLength(24);
    expectReadsOnly(sim);
  });

  it('--resource-group and --tag narrow live discovery; one subscription gives only its clusters', async () => {
    const first = clustersOf(fleet)[0];
    const rg = first.id.split('/')[4];
    const team = (first.tags as Record<string, string>).team;
    const byRg = json<Assessment[]>(await aksnetAsync(['fleet', 'assess', ...subArgs(subs), '-g', rg.toUpperCase(), '-t', 'overlay'], { env }));
    const expectRg = clustersOf(fleet).filter((c) => c.id.split('/')[4].toLowerCase() === rg.toLowerCase());
    expect(byRg.map((a) => armIdKey(a.id)).sort()).toEqual(expectRg.map((c) => armIdKey(c.id)).sort());

    const byTag = json<Assessment[]>(await aksnetAsync(['fleet', 'assess', ...subArgs(subs), '--tag', `team=${team}`, '-t', 'overlay'], { env }));
    const expectTag = clustersOf(fleet).filter((c) => (c.tags as Record<string, string> | undefined)?.team === team);
    expect(byTag.map((a) => armIdKey(a.id)).sort()).toEqual(expectTag.map((c) => armIdKey(c.id)).sort());

    // Repeated --tag: every tag must match.
    const cc = (first.tags as Record<string, string>).costCenter;
    const both = json<Assessment[]>(await aksnetAsync(['fleet', 'assess', ...subArgs(subs), '--tag', `team=${team}`, '--tag', `costCenter=${cc}`, '-t', 'overlay'], { env }));
    const expectBoth = expectTag.filter((c) => (c.tags as Record<string, string>).costCenter === cc);
    expect(both.map((a) => armIdKey(a.id)).sort()).toEqual(expectBoth.map((c) => armIdKey(c.id)).sort());
    expect(expectBoth.length).toBeLessThanOrEqual(expectTag.length);

    const one = json<Assessment[]>(await aksnetAsync(['fleet', 'assess', '--subscription', subs[1], '-t', 'overlay', '--query', '[].subscriptionId'], { env }));
    expect(one.length).toBe(8);
    expect(new Set(one)).toEqual(new Set([subs[1]]));
  });

  it('source errors are usage errors (exit 2, one line): both sources, neither, a bad subscription id, --tag with --snapshot', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--snapshot', fleetFile, '--subscription', subs[0]], /^ERROR: '--snapshot' cannot be used with '--subscription'\. /],
      [[], /^ERROR: the following arguments are required: --snapshot\/-s or --subscription\. /],
      [['--subscription', 'prod'], /^ERROR: 'prod' is not a subscription id \(for '--subscription'\)\. Give the subscription's GUID/],
      [['--snapshot', fleetFile, '--tag', 'team=a'], /^ERROR: '--resource-group' and '--tag' filter live discovery and cannot be used with '--snapshot'\. /],
      [['--subscription', subs[0], '--tag', 'team'], /^ERROR: 'team' is not a tag filter \(for '--tag'\)\. Write it as KEY=VALUE/],
    ];
    for (const [args, message] of cases) {
      const run = await aksnetAsync(['fleet', 'assess', ...args, '-t', 'overlay'], { env });
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.errLines).toHaveLength(1);
      expect(run.errLines[0]).toMatch(message);
    }
  });
});

describe('progress', () => {
  it('is written to stderr when it is a terminal (run under script(1)); the result is unchanged', async () => {
    // script gives the command a pseudo-terminal for stdout and stderr alike; -o none keeps stdout empty.
    const command = [process.execPath, BIN, 'fleet', 'assess', ...subArgs(subs), '-t', 'overlay', '-o', 'none'].map((a) => `'${a}'`).join(' ');
    const out = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, text }));
    });
    expect(out.code).toBe(0);
    const lines = out.text.split(/\r?\n/).filter(Boolean);
    expect(lines[0]).toBe('discovering clusters…');
    expect(lines.at(-1)).toBe(`read ${clustersOf(fleet).length}/${clustersOf(fleet).length} clusters, done`);
    expect(lines.every((l) => l === 'discovering clusters…' || /^read \d+\/\d+ clusters/.test(l))).toBe(true);
  });
});

describe('fleet snapshot', () => {
  it('writes a valid snapshot of the fleet (JSON whatever -o says) that assesses like the original, with reads only', async () => {
    const run = await aksnetAsync(['fleet', 'snapshot', ...subArgs(subs)], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const snap = parseSnapshot(JSON.parse(run.stdout));
    expect(clustersOf(snap).map((c) => armIdKey(c.id)).sort()).toEqual(clustersOf(fleet).map((c) => armIdKey(c.id)).sort());
    // Every cluster's Kubernetes objects were read (the simulator serves the seeded ones).
    expect(Object.keys(snap.kubernetes).map(armIdKey).sort()).toEqual(Object.keys(fleet.kubernetes).map(armIdKey).sort());
    expectReadsOnly(sim);

    const file = path.join(live.dir, 'snap.json');
    fs.writeFileSync(file, run.stdout);
    const [fromSnap, fromFleet] = await Promise.all([
      aksnetAsync(['fleet', 'assess', '-s', file, '-t', 'overlay+cilium']),
      aksnetAsync(['fleet', 'assess', '-s', fleetFile, '-t', 'overlay+cilium']),
    ]);
    expect(fromSnap.code).toBe(0);
    expect(fromSnap.stdout).toBe(fromFleet.stdout);

    const table = await aksnetAsync(['fleet', 'snapshot', '--subscription', subs[0], '-o', 'table'], { env });
    expect(table.code).toBe(0);
    expect(clustersOf(parseSnapshot(JSON.parse(table.stdout)))).toHaveLength(8);
    expect(table.errLines).toEqual(["WARNING: 'aksnet fleet snapshot' always writes json; '--output table' is ignored"]);
  });

  it('needs --subscription (exit 2)', async () => {
    const run = await aksnetAsync(['fleet', 'snapshot'], { env });
    expect(run.code).toBe(2);
    expect(run.errLines).toEqual(["ERROR: the following arguments are required: --subscription. Run 'aksnet fleet snapshot --help' for the arguments and examples."]);
  });
});
