/**
 * What the CLI sends to a backend URL (docs/http-api.md § Authentication), seen by a recorder server that
 * answers as the Function App does with Entra in front: App Service authentication wants the bearer token,
 * and the Functions host still wants the function key for `authLevel: function` (Azure/azure-functions-host#11394).
 * The token comes from the real DefaultAzureCredential → AzureCliCredential path, with a stand-in `az` on PATH
 * (this machine has no Azure login), so the whole chain the CLI runs is exercised.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { aksnetAsync } from './live-support';
import { ensureBuilt } from './support';

const KEY = 'the-function-key';
const TOKEN = 'entra-token-for-aksnet-api';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';

interface Seen {
  method: string;
  url: string;
  key?: string;
  authorization?: string;
}

let server: http.Server;
let baseUrl: string;
let dir: string;
let azLog: string;
const seen: Seen[] = [];
const WAIT_ID = 'fleet-20261121T200000Z-d4e5f6';
const WAIT_POLLS = 4;
let polls = 0;

beforeAll(async () => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-auth-'));
  azLog = path.join(dir, 'az.log');
  // The stand-in Azure CLI: records its arguments and prints what `az account get-access-token -o json` prints.
  fs.writeFileSync(
    path.join(dir, 'az'),
    `#!/bin/sh\necho "$@" >> '${azLog}'\nif [ -n "$AZ_SIGNED_OUT" ]; then echo "ERROR: Please run 'az login' to setup account." >&2; exit 1; fi\n` +
      // AZ_EXPIRES_IN=S: a token that expires S seconds from now (as az prints it), instead of one good until 2099.
      `if [ -n "$AZ_EXPIRES_IN" ]; then printf '{"accessToken":"${TOKEN}","expiresOn":"2030-01-01 00:00:00.000000","expires_on":%s,"tokenType":"Bearer"}' $(( $(date +%s) + AZ_EXPIRES_IN )); exit 0; fi\nprintf '%s' '{"accessToken":"${TOKEN}","expiresOn":"2099-01-01 00:00:00.000000","expires_on":4070908800,"tokenType":"Bearer"}'\n`,
    { mode: 0o755 },
  );
  server = http.createServer((req, res) => {
    const key = req.headers['x-functions-key'];
    const authorization = req.headers.authorization;
    seen.push({ method: req.method ?? '', url: req.url ?? '', ...(typeof key === 'string' ? { key } : {}), ...(authorization ? { authorization } : {}) });
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // Easy Auth first (no valid token → 401 before the host), then the host's key check.
    if (authorization !== `Bearer ${TOKEN}`) return send(401, {});
    if (key !== KEY) return send(401, {});
    // A rollout that is running for its first WAIT_POLLS polls, then completed (for `rollout wait`).
    if (req.url === `/api/rollouts/${WAIT_ID}`) {
      polls++;
      const running = polls <= WAIT_POLLS;
      return send(200, { id: WAIT_ID, status: running ? 'running' : 'completed', runtimeStatus: running ? 'Running' : 'Completed', stages: [], counts: {}, verdictCounts: {}, failureBudget: { perStageLeft: null, totalLeft: null }, waitingApprovals: [] });
    }
    if (req.url?.startsWith(`/api/rollouts/${WAIT_ID}/clusters`)) return send(200, { value: [] });
    send(200, { value: [{ id: 'fleet-20261121T193005Z-a1b2c3', name: 'fleet', status: 'completed', runtimeStatus: 'Completed', target: 'cilium', total: 3, counts: { migrated: 3 }, createdTime: '2026-11-21T19:30:05.000Z' }] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen.length = 0;
  polls = 0;
  fs.rmSync(azLog, { force: true });
});

const azRuns = (): number => (fs.existsSync(azLog) ? fs.readFileSync(azLog, 'utf8').split('\n').filter((l) => l.includes('get-access-token')).length : 0);

/** `aksnet rollout wait` against the recorder: one poll every 20 ms until the rollout completes. */
function wait(env: Record<string, string>) {
  return aksnetAsync(['rollout', 'wait', WAIT_ID, '--backend', baseUrl, '-o', 'json'], {
    env: { PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}`, AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential', AKSNET_BACKEND: '', AKSNET_POLL_INTERVAL_MS: '20', AKSNET_FUNCTION_KEY: KEY, AKSNET_API_APP_CLIENT_ID: CLIENT_ID, ...env },
  });
}

it('rollout wait asks az for the Entra token once, not once a poll: the token is kept while it is good for more than 5 minutes', async () => {
  const r = await wait({});
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(r.stdout)).toEqual(expect.objectContaining({ id: WAIT_ID, status: 'completed' }));
  // Every poll and the final clusters call carried the token…
  expect(seen.length).toBeGreaterThanOrEqual(WAIT_POLLS + 2);
  expect(seen.every((c) => c.authorization === `Bearer ${TOKEN}` && c.key === KEY)).toBe(true);
  // …and az ran once.
  expect(azRuns()).toBe(1);
});

it('a token that expires within 5 minutes is fetched again before the next call (az runs for every call)', async () => {
  const r = await wait({ AZ_EXPIRES_IN: '120' });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(seen.length).toBeGreaterThanOrEqual(WAIT_POLLS + 2);
  expect(azRuns()).toBe(seen.length);
});

it('a token good for an hour is kept for every call of the command', async () => {
  const r = await wait({ AZ_EXPIRES_IN: '3600' });
  expect(r.code).toBe(0);
  expect(seen.length).toBeGreaterThanOrEqual(WAIT_POLLS + 2);
  expect(azRuns()).toBe(1);
});

/** `aksnet rollout list` against the recorder, with only the credentials given here (none inherited). */
function list(env: Record<string, string>) {
  return aksnetAsync(['rollout', 'list', '--backend', baseUrl, '-o', 'json'], {
    env: { PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}`, AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential', AKSNET_BACKEND: '', AKSNET_FUNCTION_KEY: '', AKSNET_API_APP_CLIENT_ID: '', ...env },
  });
}

it('with a function key and an Entra app configured, every call carries both: x-functions-key and the bearer token', async () => {
  const r = await list({ AKSNET_FUNCTION_KEY: KEY, AKSNET_API_APP_CLIENT_ID: CLIENT_ID });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ id: 'fleet-20261121T193005Z-a1b2c3', status: 'completed' })]);
  expect(seen).toEqual([{ method: 'GET', url: '/api/rollouts?limit=1000', key: KEY, authorization: `Bearer ${TOKEN}` }]);
  // The token was asked for the API's own scope.
  expect(fs.readFileSync(azLog, 'utf8')).toContain(`account get-access-token --output json --resource api://${CLIENT_ID}`);
});

it('with only the Entra app, the host refuses (401): one line saying to set the function key as well', async () => {
  const r = await list({ AKSNET_API_APP_CLIENT_ID: CLIENT_ID });
  expect(seen).toEqual([{ method: 'GET', url: '/api/rollouts?limit=1000', authorization: `Bearer ${TOKEN}` }]);
  expect({ code: r.code, stdout: r.stdout, err: r.errLines }).toEqual({
    code: 1,
    stdout: '',
    err: [
      `ERROR: the backend at ${baseUrl} refused the call (HTTP 401). Set AKSNET_FUNCTION_KEY to a function key of the app as well: the Functions host requires it even with an Entra token (docs/http-api.md § Authentication).`,
    ],
  });
});

it('with only the key, Entra in front refuses (401): one line naming the Entra setting', async () => {
  const r = await list({ AKSNET_FUNCTION_KEY: KEY });
  expect(seen).toEqual([{ method: 'GET', url: '/api/rollouts?limit=1000', key: KEY }]);
  expect(r.code).toBe(1);
  expect(r.errLines).toEqual([expect.stringMatching(/refused the call \(HTTP 401\)\. Set AKSNET_FUNCTION_KEY to a function key of this app; with Entra authentication in front of it, set AKSNET_API_APP_CLIENT_ID too/)]);
});

it('with neither, the call goes out bare and the error names both settings', async () => {
  const r = await list({});
  expect(seen).toEqual([{ method: 'GET', url: '/api/rollouts?limit=1000' }]);
  expect(r.code).toBe(1);
  expect(r.errLines).toEqual([expect.stringMatching(/refused the call \(HTTP 401\)\. Set AKSNET_FUNCTION_KEY to a function key of the app, and AKSNET_API_APP_CLIENT_ID too when Entra authentication is in front of it/)]);
});

it('with both configured but no Azure sign-in, nothing is sent: one line naming the scope, az login, and the key-only way', async () => {
  const r = await list({ AKSNET_FUNCTION_KEY: KEY, AKSNET_API_APP_CLIENT_ID: CLIENT_ID, AZ_SIGNED_OUT: '1' });
  expect(seen).toEqual([]);
  expect(r.code).toBe(1);
  expect(r.errLines).toEqual([
    expect.stringMatching(
      new RegExp(`^ERROR: could not get an Entra token for api://${CLIENT_ID}/\\.default to call ${baseUrl.replace(/\./g, '\\.')}: [^\\n]+\\. Sign in so DefaultAzureCredential finds you \\(e\\.g\\. 'az login'\\); if the app has no Entra authentication in front, unset AKSNET_API_APP_CLIENT_ID and use AKSNET_FUNCTION_KEY alone\\.$`),
    ),
  ]);
});
