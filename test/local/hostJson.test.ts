// The Functions worker provides @azure/functions-core; under jest the host's stand-in plays it.
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readHostJson } from '../../local/hostJson';
import { startHost } from '../../local/host';

const entry = path.join(__dirname, 'apps/conformanceApp.ts');

describe("the app's host.json", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-hostjson-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is the nearest host.json above the entry, as the Functions host reads it from the app root', () => {
    fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ version: '2.0', extensions: { durableTask: { maxConcurrentActivityFunctions: 42 } } }));
    fs.mkdirSync(path.join(dir, 'dist', 'functions'), { recursive: true });
    expect(readHostJson(path.join(dir, 'dist', 'functions', 'index.js'))).toEqual({ file: path.join(dir, 'host.json'), maxConcurrentActivityFunctions: 42 });
  });

  it('gives nothing without the setting, and one line naming the fix for a bad one', () => {
    fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ version: '2.0' }));
    expect(readHostJson(path.join(dir, 'index.js'))).toEqual({ file: path.join(dir, 'host.json') });
    fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ extensions: { durableTask: { maxConcurrentActivityFunctions: 'ten' } } }));
    expect(() => readHostJson(path.join(dir, 'index.js'))).toThrow(/maxConcurrentActivityFunctions is "ten": use a positive whole number/);
    fs.writeFileSync(path.join(dir, 'host.json'), '{ nope');
    expect(() => readHostJson(path.join(dir, 'index.js'))).toThrow(/host\.json is not valid JSON .*: fix the file or remove it/);
  });

  it("sizes the local host's activity pool from the repository's host.json unless told otherwise, and counts the host's CPU", async () => {
    const configured = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../host.json'), 'utf8')) as { extensions: { durableTask: { maxConcurrentActivityFunctions: number } } }).extensions.durableTask
      .maxConcurrentActivityFunctions;
    // activities are I/O-bound (ARM and Kubernetes calls): at least a rollout's window of 50 clusters runs at once
    expect(configured).toBeGreaterThanOrEqual(50);
    const host = await startHost({ entry, clockScale: 1_000_000, timers: false, log: () => undefined });
    try {
      expect(host.hub.options.maxConcurrentActivities).toBe(configured);
      const t0 = performance.now();
      const id = host.client.startNew('Sequence', { input: 'x' });
      expect((await host.client.waitForCompletion(id)).runtimeStatus).toBe('Completed');
      const elapsed = performance.now() - t0;
      // main-thread time of the host's own synchronous work: some, and within the time the run took
      expect(host.hub.stats.hostMs).toBeGreaterThan(0);
      expect(host.hub.stats.hostMs).toBeLessThanOrEqual(elapsed);
      // three activities in sequence: the start, then one episode per result
      expect(host.hub.statsByName.get('Sequence')).toMatchObject({ episodes: 4 });
      expect(host.hub.statsByName.get('Sequence')!.ms).toBeGreaterThan(0);
    } finally {
      await host.stop();
    }
    const told = await startHost({ entry, maxConcurrentActivities: 3, timers: false, log: () => undefined });
    try {
      expect(told.hub.options.maxConcurrentActivities).toBe(3);
    } finally {
      await told.stop();
    }
  });
});
