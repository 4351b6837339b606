/**
 * `fleet assess --snapshot` assesses the file while reading it (cli/snapshotFile.ts
 * assessSnapshotFileStreaming). Through the built binary: the output is byte for byte what the whole-file
 * path prints for the same snapshot, for every target, with --pod-cidr, in every output format, and every
 * bad file still gives the same one-line error and exit code.
 *
 * The whole-file path is reached with the same snapshot written `kubernetes` first (the streaming reader
 * hands such a file to JSON.parse + parseSnapshot); the --debug line says which path ran, so a test
 * cannot pass by comparing the streamed path with itself.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assessFleet } from '../../shared/assess';
import { formatJson } from '../../cli/output';
import { readSnapshotFile } from '../../cli/snapshotFile';
import type { Snapshot } from '../../shared/model/snapshot';
import { generateFleet } from '../../sim/generate';
import { aksnet, ensureBuilt, FIXTURES, ROOT, type CliRun } from './support';

beforeAll(() => ensureBuilt(), 180_000);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-stream-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const STREAMED = /^DEBUG: read \d+ resources from '.*' in \d+ ms, assessing each cluster as it was read \(streamed\)$/m;

/** The same snapshot with `kubernetes` before `resources`: equal for parseSnapshot, read whole by the CLI. */
function wholeFileTwin(file: string): string {
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot | Snapshot['resources'];
  const snap: Snapshot = Array.isArray(data) ? { resources: data, kubernetes: {} } : data;
  const twin = path.join(dir, `whole-${path.basename(file)}`);
  fs.writeFileSync(twin, JSON.stringify({ kubernetes: snap.kubernetes, resources: snap.resources }, null, 2));
  return twin;
}

function assess(file: string, more: string[]): CliRun {
  return aksnet(['fleet', 'assess', '--snapshot', file, ...more, '--debug']);
}

/** stdout of both paths, having checked that each path really ran and that both succeeded alike. */
function bothPaths(file: string, more: string[]): { streamed: CliRun; whole: CliRun } {
  const streamed = assess(file, more);
  const whole = assess(wholeFileTwin(file), more);
  expect({ code: streamed.code, streamedPath: STREAMED.test(streamed.stderr) }).toEqual({ code: 0, streamedPath: true });
  expect({ code: whole.code, streamedPath: STREAMED.test(whole.stderr) }).toEqual({ code: 0, streamedPath: false });
  return { streamed, whole };
}

const SNAPSHOTS = ['fleet.json', 'dup-names.json', 'empty.json'];
const VARIANTS: Array<[string, string[]]> = [
  ['overlay', ['--target', 'overlay']],
  ['cilium', ['--target', 'cilium']],
  ['overlay+cilium', ['--target', 'overlay+cilium']],
  ['overlay --pod-cidr 192.168.0.0/16', ['--target', 'overlay', '--pod-cidr', '192.168.0.0/16']],
  ['overlay+cilium --pod-cidr 10.0.0.0/8 (overlaps the VNets: blockers)', ['--target', 'overlay+cilium', '--pod-cidr', '10.0.0.0/8']],
];

describe.each(SNAPSHOTS)('%s: streamed -o json is byte-identical to the whole-file output', (name) => {
  const file = path.join(FIXTURES, name);
  it.each(VARIANTS)('--target %s', (_label, args) => {
    const { streamed, whole } = bothPaths(file, [...args, '-o', 'json']);
    expect(streamed.stdout).toBe(whole.stdout);
    // And what the library gives for the file read whole.
    const target = args[1] as 'overlay' | 'cilium' | 'overlay+cilium';
    const podCidr = args[3];
    expect(streamed.stdout).toBe(formatJson(assessFleet(readSnapshotFile(file), { target, podCidr })));
  });
});

describe('the fixture fleet has clusters of every verdict, so the comparison covers them all', () => {
  it('ready, blocked and compliant all appear for overlay+cilium and for cilium', () => {
    const verdicts = (t: string): string[] => (JSON.parse(assess(path.join(FIXTURES, 'fleet.json'), ['--target', t, '-o', 'json']).stdout) as Array<{ verdict: string }>).map((a) => a.verdict);
    expect(new Set([...verdicts('overlay+cilium'), ...verdicts('cilium'), ...verdicts('overlay')])).toEqual(new Set(['ready', 'blocked', 'compliant']));
  });
});

describe('every output format and --query give the same text on both paths', () => {
  const file = path.join(FIXTURES, 'fleet.json');
  it.each([['table'], ['tsv'], ['yaml'], ['jsonc'], ['none']])('-o %s', (format) => {
    const { streamed, whole } = bothPaths(file, ['--target', 'overlay+cilium', '-o', format]);
    expect(streamed.stdout).toBe(whole.stdout);
    if (format !== 'none') expect(streamed.stdout.length).toBeGreaterThan(0);
  });
  it('--query', () => {
    const { streamed, whole } = bothPaths(file, ['--target', 'cilium', '--query', "[?verdict=='blocked'].{id: id, rules: findings[].rule}", '-o', 'json']);
    expect(streamed.stdout).toBe(whole.stdout);
    expect(JSON.parse(streamed.stdout)).not.toEqual([]);
  });
});

describe('the log lines are the ones the whole-file path writes', () => {
  it('--verbose: the INFO line counting the clusters; no clusters: the same WARNING', () => {
    const file = path.join(FIXTURES, 'fleet.json');
    const run = aksnet(['fleet', 'assess', '-s', file, '-t', 'overlay', '--verbose', '-o', 'none']);
    expect(run.errLines).toEqual([expect.stringMatching(/^INFO: assessed 7 clusters for target overlay in \d+ ms$/)]);
    const empty = aksnet(['fleet', 'assess', '-s', path.join(FIXTURES, 'empty.json'), '-t', 'overlay']);
    const emptyWhole = aksnet(['fleet', 'assess', '-s', wholeFileTwin(path.join(FIXTURES, 'empty.json')), '-t', 'overlay']);
    expect(empty).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(empty.errLines).toEqual([expect.stringMatching(/^WARNING: snapshot '.*empty\.json' has no managed clusters \(type Microsoft\.ContainerService\/managedClusters\)$/)]);
    expect(emptyWhole.errLines).toEqual([expect.stringMatching(/^WARNING: snapshot '.*empty\.json' has no managed clusters/)]);
  });
});

describe('a generated fleet of 300 clusters with Kubernetes objects, compact and indented', () => {
  it.each([
    ['compact', 0],
    ['indented', 2],
  ])('%s: streamed output equals the whole-file output', (_label, indent) => {
    const snapshot = generateFleet({ clusters: 300, subscriptions: 4, seed: 'h15-stream' });
    const file = path.join(dir, `gen-${indent}.json`);
    fs.writeFileSync(file, JSON.stringify(snapshot, null, indent));
    const { streamed, whole } = bothPaths(file, ['--target', 'overlay+cilium', '-o', 'json']);
    expect(streamed.stdout).toBe(whole.stdout);
    expect(JSON.parse(streamed.stdout)).toHaveLength(300);
  });
});

describe('bad snapshot files: the same single ERROR line and exit code as before', () => {
  const cases: Array<[string, () => string, RegExp, number]> = [
    ['missing file', () => 'no/such/fleet.json', /^ERROR: snapshot file 'no\/such\/fleet\.json' \(--snapshot\) does not exist\. Check the path, or write a snapshot with 'aksnet fleet snapshot'\.$/, 2],
    ['a directory', () => 'test/fixtures', /^ERROR: 'test\/fixtures' \(--snapshot\) is a directory, not a snapshot file\. Give the path of a snapshot JSON file\.$/, 2],
    ['invalid JSON', () => 'test/fixtures/cli/invalid.json', /^ERROR: snapshot file 'test\/fixtures\/cli\/invalid\.json' is not valid JSON: .* at line 4 column 1\. Fix the JSON, or write the snapshot again\.$/, 2],
    ['not a snapshot', () => 'test/fixtures/cli/not-snapshot.json', /^ERROR: 'test\/fixtures\/cli\/not-snapshot\.json' is not a snapshot: .*"clusters".*see docs\/snapshot\.md\.$/, 2],
    [
      'a bad resource deep in a valid file (after clusters were already assessed)',
      () => {
        const snap = generateFleet({ clusters: 20, subscriptions: 1, seed: 'h15-bad' });
        snap.resources.push({ ...snap.resources[0], id: 'not-an-arm-id' });
        const file = path.join(dir, 'bad-late.json');
        fs.writeFileSync(file, JSON.stringify(snap));
        return file;
      },
      /^ERROR: '.*bad-late\.json' is not a snapshot: resources\[\d+\]\.id: must be an ARM resource id starting with '\/subscriptions\/'/,
      2,
    ],
    [
      'a file cut off in the middle',
      () => {
        const text = JSON.stringify(generateFleet({ clusters: 20, subscriptions: 1, seed: 'h15-cut' }));
        const file = path.join(dir, 'cut.json');
        fs.writeFileSync(file, text.slice(0, Math.floor(text.length * 0.7)));
        return file;
      },
      /^ERROR: snapshot file '.*cut\.json' is not valid JSON: .* at line 1 column \d+\. Fix the JSON, or write the snapshot again\.$/,
      2,
    ],
  ];
  it.each(cases)('%s', (_label, make, pattern, code) => {
    const run = aksnet(['fleet', 'assess', '--snapshot', make(), '--target', 'overlay']);
    expect({ code: run.code, stdout: run.stdout, lines: run.errLines.length }).toEqual({ code, stdout: '', lines: 1 });
    expect(run.errLines[0]).toMatch(pattern);
  });
});

describe('snapshots that are not plain files on disk', () => {
  /** `... | aksnet fleet assess --snapshot /dev/stdin`: a pipe cannot be read twice, so it is read whole, as before. */
  function fromStdin(input: string, more: string[]): CliRun {
    // Through `cat |`, a real pipe as in a shell (spawnSync's `input` is a socket, which /dev/stdin cannot reopen).
    const source = path.join(dir, 'stdin.json');
    fs.writeFileSync(source, input);
    const script = 'src=$1 node=$2 bin=$3; shift 3; cat "$src" | "$node" "$bin" fleet assess --snapshot /dev/stdin "$@"';
    const r = spawnSync('/bin/sh', ['-c', script, 'sh', source, process.execPath, path.join(ROOT, 'bin', 'aksnet.js'), ...more], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (r.error) throw r.error;
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, errLines: r.stderr.split('\n').filter((l) => l.trim() !== '') };
  }

  it('a snapshot piped on stdin, in either key order, gives the same output as the file', () => {
    const file = path.join(FIXTURES, 'fleet.json');
    const expected = assess(file, ['--target', 'cilium', '-o', 'json']).stdout;
    for (const text of [fs.readFileSync(file, 'utf8'), fs.readFileSync(wholeFileTwin(file), 'utf8')]) {
      const run = fromStdin(text, ['--target', 'cilium', '-o', 'json']);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout).toBe(expected);
    }
  });

  it('invalid JSON piped on stdin: the error names the line and column of the problem, not the end of an emptied pipe', () => {
    const run = fromStdin(fs.readFileSync(path.join(FIXTURES, 'invalid.json'), 'utf8'), ['--target', 'overlay']);
    expect({ code: run.code, stdout: run.stdout, lines: run.errLines.length }).toEqual({ code: 2, stdout: '', lines: 1 });
    expect(run.errLines[0]).toMatch(/^ERROR: snapshot file '\/dev\/stdin' is not valid JSON: .* at line 4 column 1\. Fix the JSON, or write the snapshot again\.$/);
  });

  it('a file starting with a UTF-8 byte order mark is streamed and assessed the same', () => {
    const file = path.join(FIXTURES, 'fleet.json');
    const bom = path.join(dir, 'bom.json');
    fs.writeFileSync(bom, `\uFEFF${fs.readFileSync(file, 'utf8')}`);
    const run = assess(bom, ['--target', 'overlay', '-o', 'json']);
    expect({ code: run.code, streamedPath: STREAMED.test(run.stderr) }).toEqual({ code: 0, streamedPath: true });
    expect(run.stdout).toBe(assess(file, ['--target', 'overlay', '-o', 'json']).stdout);
  });
});
