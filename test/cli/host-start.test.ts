/**
 * `aksnet host start` through the built binary, serving the built Functions app (dist/functions/index.js,
 * compiled by ensureBuilt): one JSON ready line with baseUrl and functionKey, a host that answers, the
 * durable state in --db, and a clean exit 0 on SIGTERM and SIGINT.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ORCHESTRATIONS } from '../../functions/names';
import { aksnetAsync, startServer } from './live-support';
import { ensureBuilt } from './support';

jest.setTimeout(60_000);

interface HostReady {
  baseUrl: string;
  functionKey: string;
  taskHub: string;
  db: string;
  pid: number;
  functions: string[];
}

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-host-cli-'));
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each(['SIGTERM', 'SIGINT'] as const)('prints one JSON line with baseUrl and functionKey, serves the app, and exits 0 on %s', async (signal) => {
  const db = path.join(dir, `${signal}.db`);
  const server = await startServer<HostReady>(['host', 'start', '--port', '0', '--db', db]);
  try {
    expect(server.ready).toMatchObject({ baseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), functionKey: expect.any(String), db, pid: server.child.pid });
    expect(server.ready.functionKey.length).toBeGreaterThan(0);
    // The built app's orchestrations are registered.
    expect(server.ready.functions).toEqual(expect.arrayContaining(Object.values(ORCHESTRATIONS)));
    const status = await fetch(`${server.ready.baseUrl}/admin/host/status`);
    expect(status.status).toBe(200);
    expect(fs.existsSync(db)).toBe(true);
  } finally {
    expect(await server.stop(signal)).toBe(0);
  }
  expect(server.stdout().trim().split('\n')).toHaveLength(1);
  // Host logs are progress: not written when stderr is not a terminal.
  expect(server.stderr()).toBe('');
});

test('--verbose shows the host log as INFO lines', async () => {
  const server = await startServer<HostReady>(['host', 'start', '--verbose']);
  expect(await server.stop()).toBe(0);
  expect(server.stderr()).toMatch(/^INFO: \[aksnet host\] ready on http:\/\/127\.0\.0\.1:\d+ with \d+ functions$/m);
});

test('a missing --entry and a bad --port are usage errors: one line, exit 2', async () => {
  const [entry, port] = await Promise.all([
    aksnetAsync(['host', 'start', '--entry', path.join(dir, 'nope.js')]),
    aksnetAsync(['host', 'start', '--port', 'eighty']),
  ]);
  expect({ code: entry.code, stdout: entry.stdout, err: entry.errLines }).toEqual({
    code: 2,
    stdout: '',
    err: [`ERROR: the Functions app entry '${path.join(dir, 'nope.js')}' given to '--entry' does not exist. Check the path, or build the app with 'npm run build'.`],
  });
  expect({ code: port.code, stdout: port.stdout, err: port.errLines }).toEqual({
    code: 2,
    stdout: '',
    err: ["ERROR: 'eighty' is not a valid value for '--port': it must be a whole number from 0 to 65535. For example --port 0 (0 picks a free port)."],
  });
});
