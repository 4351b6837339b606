/**
 * `aksnet sim start` and `aksnet sim generate` through the built binary: one JSON ready line, a
 * simulator that serves the seeded fleet through the real SDK, a clean exit 0 on SIGTERM/SIGINT;
 * generated fleets that are valid snapshots and the same for the same seed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { createAzureClients } from '../../shared/azure/clients';
import { parseSnapshot, type Snapshot } from '../../shared/model/snapshot';
import { sampleFleet } from '../../sim/sample-fleet';
import { aksnetAsync, startServer } from './live-support';
import { ensureBuilt } from './support';

jest.setTimeout(60_000);

interface SimReady {
  armEndpoint: string;
  caCertPath: string;
  kubeEndpoint: string;
  clusters: number;
  timeScale: number;
  pid: number;
}

const isCluster = (r: { type: string }): boolean => r.type.toLowerCase() === 'microsoft.containerservice/managedclusters';
let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-sim-cli-'));
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('sim generate', () => {
  it('is deterministic for a seed, differs for another, and --out writes what stdout shows', async () => {
    const args = ['sim', 'generate', '--clusters', '6', '--subscriptions', '2'];
    const out = path.join(dir, 'gen.json');
    const [a, b, c, d] = await Promise.all([
      aksnetAsync([...args, '--seed', '42']),
      aksnetAsync([...args, '--seed', '42']),
      aksnetAsync([...args, '--seed', '43']),
      aksnetAsync([...args, '--seed', '42', '--out', out]),
    ]);
    for (const r of [a, b, c, d]) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    expect(d.stdout).toBe('');
    const snap = parseSnapshot(JSON.parse(a.stdout));
    expect(snap.resources.filter(isCluster)).toHaveLength(6);
    expect(new Set(snap.resources.filter(isCluster).map((r) => r.id.split('/')[2])).size).toBe(2);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(JSON.parse(a.stdout));
  });

  it('rejects bad counts and a missing seed with one line, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['--clusters', 'ten', '--subscriptions', '1', '--seed', '1'], "ERROR: 'ten' is not a valid value for '--clusters': it must be a whole number of at least 0. For example --clusters 100."],
      [['--clusters', '5', '--subscriptions', '0', '--seed', '1'], "ERROR: '0' is not a valid value for '--subscriptions': it must be a whole number of at least 1. For example --subscriptions 5."],
      [['--clusters', '5', '--subscriptions', '1'], "ERROR: the following arguments are required: --seed. Run 'aksnet sim generate --help' for the arguments and examples."],
      [['--clusters', '1', '--subscriptions', '1', '--seed', '1', '--out', path.join(dir, 'no', 'such', 'dir.json')], "ERROR: cannot write '" + path.join(dir, 'no', 'such', 'dir.json') + "' given to '--out': ENOENT. Check that the directory exists and can be written."],
    ];
    const runs = await Promise.all(cases.map(([args]) => aksnetAsync(['sim', 'generate', ...args])));
    runs.forEach((r, i) => {
      expect({ code: r.code, stdout: r.stdout, err: r.errLines }).toEqual({ code: 2, stdout: '', err: [cases[i][1]] });
    });
  });
});

describe('sim start', () => {
  let fleetFile: string;
  let fleet: Snapshot;
  beforeAll(async () => {
    fleetFile = path.join(dir, 'fleet.json');
    const gen = await aksnetAsync(['sim', 'generate', '--clusters', '5', '--subscriptions', '1', '--seed', 'start', '--out', fleetFile]);
    expect(gen.code).toBe(0);
    fleet = JSON.parse(fs.readFileSync(fleetFile, 'utf8')) as Snapshot;
  });

  it('prints exactly one JSON line, serves the seeded clusters to the SDK, and exits 0 on SIGTERM', async () => {
    const server = await startServer<SimReady>(['sim', 'start', '--snapshot', fleetFile, '--time-scale', '0.001']);
    try {
      expect(server.ready).toMatchObject({ armEndpoint: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/), clusters: 5, timeScale: 0.001, pid: server.child.pid });
      expect(fs.existsSync(server.ready.caCertPath)).toBe(true);
      const clients = createAzureClients({ endpoint: server.ready.armEndpoint, caCertPath: server.ready.caCertPath });
      try {
        const first = fleet.resources.find(isCluster) as { id: string; name: string };
        const [, , sub, , rg] = first.id.split('/');
        const cs: ContainerServiceClient = clients.containerService(sub);
        expect((await cs.managedClusters.get(rg, first.name)).name).toBe(first.name);
      } finally {
        clients.close();
      }
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(server.stdout().trim().split('\n')).toHaveLength(1);
    // Quiet when stderr is not a terminal.
    expect(server.stderr()).toBe('');
    expect(fs.existsSync(server.ready.caCertPath)).toBe(false);
  });

  it('--sample seeds the sample fleet; SIGINT stops it with exit 0', async () => {
    const server = await startServer<SimReady>(['sim', 'start', '--sample', '--port', '0']);
    expect(server.ready.clusters).toBe(sampleFleet().resources.filter(isCluster).length);
    expect(await server.stop('SIGINT')).toBe(0);
    expect(server.stdout().trim().split('\n')).toHaveLength(1);
  });

  it('without a snapshot starts empty and says how to seed it', async () => {
    const server = await startServer<SimReady>(['sim', 'start']);
    expect(server.ready.clusters).toBe(0);
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toBe("WARNING: the simulator starts with no clusters: seed it with POST <armEndpoint>/__sim/seed, or start it with '--snapshot FILE' or '--sample'\n");
  });

  it('bad options: one ERROR line, exit 2, nothing on stdout', async () => {
    const notSnapshot = path.join(dir, 'not-snapshot.json');
    fs.writeFileSync(notSnapshot, JSON.stringify({ resources: [{ id: 'nope', name: 'x', type: 'a/b' }] }));
    const cases: Array<[string[], RegExp]> = [
      [['--snapshot', fleetFile, '--sample'], /^ERROR: '--snapshot' cannot be used with '--sample'\. /],
      [['--snapshot', path.join(dir, 'missing.json')], /^ERROR: file '.*missing\.json' given to '--snapshot' does not exist\. /],
      [['--snapshot', notSnapshot], /^ERROR: --snapshot '.*not-snapshot\.json': not a snapshot: .*\.$/],
      [['--port', '70000'], /^ERROR: '70000' is not a valid value for '--port': it must be a whole number from 0 to 65535\. /],
      [['--time-scale', '0'], /^ERROR: '0' is not a valid value for '--time-scale': it must be a number greater than 0\. For example --time-scale 0\.001\.$/],
      [['--sample', '--faults', '500=2'], /^ERROR: --faults: fault '500=2': the rate must be a number between 0 and 1/],
    ];
    const runs = await Promise.all(cases.map(([args]) => aksnetAsync(['sim', 'start', ...args], { timeoutMs: 20_000 })));
    runs.forEach((r, i) => {
      expect({ args: cases[i][0], code: r.code, stdout: r.stdout, lines: r.errLines.length }).toEqual({ args: cases[i][0], code: 2, stdout: '', lines: 1 });
      expect(r.errLines[0]).toMatch(cases[i][1]);
    });
  });
});
