/**
 * What the built CLI does with awkward answers from a backend URL (cli/backend/client.ts), seen by local servers
 * that record every request: a redirect is not followed (the function key must never reach the host a Location
 * names), a continuation token that comes back again ends the listing with one line instead of looping for ever,
 * and a Ctrl-C while `rollout start` waits for the backend's answer still names the rollout it started.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { aksnetAsync, BIN } from './live-support';
import { ensureBuilt, ROOT, SUB, clusterId } from './support';

const KEY = 'the-function-key';

interface Seen {
  method: string;
  url: string;
  host?: string;
  key?: string;
}

interface Recorder {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

type Answer = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const servers: Recorder[] = [];

/** A server on 127.0.0.1 (ephemeral port) that records each request, then answers with `answer`. */
async function recorder(answer: Answer): Promise<Recorder> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const key = req.headers['x-functions-key'];
      seen.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers.host ? { host: req.headers.host } : {}), ...(typeof key === 'string' ? { key } : {}) });
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const r: Recorder = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(r);
  return r;
}

const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const listItem = { id: 'fleet-20261121T193005Z-a1b2c3', name: 'fleet', status: 'completed', runtimeStatus: 'Completed', target: 'cilium', total: 3, counts: { migrated: 3 } };

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-backend-http-'));
}, 180_000);

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}): Record<string, string> => ({ AKSNET_BACKEND: '', AKSNET_FUNCTION_KEY: KEY, AKSNET_API_APP_CLIENT_ID: '', ...extra });

describe('a backend that redirects', () => {
  it('302 to another host: the call stops there with one line naming the Location; the other host never sees the function key', async () => {
    const elsewhere = await recorder((_req, res) => sendJson(res, 200, { value: [listItem] }));
    // The same machine by another name: another origin for fetch, which keeps custom headers across origins.
    const target = elsewhere.url.replace('127.0.0.1', 'localhost');
    const front = await recorder((req, res) => {
      res.writeHead(302, { location: `${target}${req.url ?? '/'}` });
      res.end();
    });
    const r = await aksnetAsync(['rollout', 'list', '--backend', front.url, '-o', 'json'], { env: env() });
    expect({ code: r.code, stdout: r.stdout, err: r.errLines }).toEqual({
      code: 1,
      stdout: '',
      err: [`ERROR: the backend at ${front.url} redirected to ${target}/api/rollouts?limit=1000 (HTTP 302). Give the app's final URL in --backend (Easy Auth must answer 401, not redirect).`],
    });
    expect(front.seen).toEqual([expect.objectContaining({ method: 'GET', url: '/api/rollouts?limit=1000', key: KEY })]);
    expect(elsewhere.seen).toEqual([]);
  });

  it('a relative Location (an Easy Auth login page) is named in full, and a POST that is redirected is not sent again', async () => {
    const front = await recorder((_req, res) => {
      res.writeHead(307, { location: '/.auth/login/aad?post_login_redirect_uri=/api/rollouts' });
      res.end();
    });
    const spec = path.join(dir, 'spec.json');
    fs.writeFileSync(spec, JSON.stringify({ name: 'redirected', target: 'cilium', selector: { subscriptions: [SUB], ids: [clusterId('rg', 'c1')] }, stages: [{ name: 'only', maxConcurrency: 1 }] }));
    const r = await aksnetAsync(['rollout', 'start', '--spec', spec, '--backend', front.url, '--no-wait', '-o', 'json'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.errLines).toEqual([`ERROR: the backend at ${front.url} redirected to ${front.url}/.auth/login/aad?post_login_redirect_uri=/api/rollouts (HTTP 307). Give the app's final URL in --backend (Easy Auth must answer 401, not redirect).`]);
    expect(front.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/rollouts']);
  });
});

describe('a backend that repeats a continuation token', () => {
  it('rollout list stops at the repeat with one line (exit 1) instead of asking for the same page for ever', async () => {
    const backend = await recorder((_req, res) => sendJson(res, 200, { value: [listItem], continuationToken: 'page-2' }));
    const r = await aksnetAsync(['rollout', 'list', '--backend', backend.url, '-o', 'json'], { env: env(), timeoutMs: 20_000 });
    expect({ code: r.code, stdout: r.stdout, err: r.errLines }).toEqual({
      code: 1,
      stdout: '',
      err: [`ERROR: the backend at ${backend.url} returned continuation token 'page-2' a second time while listing the rollouts; following it would never end. Check that --backend names an aksnet Function App of this version; if it does, look at the app logs.`],
    });
    expect(backend.seen.map((s) => s.url)).toEqual(['/api/rollouts?limit=1000', '/api/rollouts?limit=1000&continuationToken=page-2']);
  });

  it('rollout show stops the same way when the clusters pages circle (a → b → a)', async () => {
    const id = 'fleet-20261121T193005Z-a1b2c3';
    const backend = await recorder((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === `/api/rollouts/${id}`) {
        return sendJson(res, 200, { id, status: 'completed', runtimeStatus: 'Completed', stages: [], counts: {}, verdictCounts: {}, failureBudget: { perStageLeft: null, totalLeft: null }, waitingApprovals: [] });
      }
      sendJson(res, 200, { value: [], continuationToken: url.searchParams.get('continuationToken') === 'a' ? 'b' : 'a' });
    });
    const r = await aksnetAsync(['rollout', 'show', id, '--backend', backend.url, '-o', 'json'], { env: env(), timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.errLines).toEqual([expect.stringMatching(new RegExp(`^ERROR: the backend at \\S+ returned continuation token 'a' a second time while listing the clusters of rollout ${id}; following it would never end\\.`))]);
    expect(backend.seen).toHaveLength(4);
  });

  it('distinct tokens are followed to the last page', async () => {
    const backend = await recorder((req, res) => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('continuationToken');
      if (token === null) return sendJson(res, 200, { value: [listItem], continuationToken: 't1' });
      if (token === 't1') return sendJson(res, 200, { value: [{ ...listItem, id: 'second' }], continuationToken: 't2' });
      sendJson(res, 200, { value: [{ ...listItem, id: 'third' }] });
    });
    const r = await aksnetAsync(['rollout', 'list', '--backend', backend.url, '-o', 'json'], { env: env() });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Array<{ id: string }>).map((x) => x.id)).toEqual([listItem.id, 'second', 'third']);
  });
});

it('Ctrl-C while rollout start waits for the remote backend: the answer is awaited, then one line names the started rollout and how to follow it (exit 130)', async () => {
  const id = 'interrupted-20261121T200000Z-0a0b0c';
  let posted!: () => void;
  const postArrived = new Promise<void>((resolve) => (posted = resolve));
  let answerStart!: () => void;
  const backend = await recorder((req, res) => {
    if (req.method === 'POST') {
      answerStart = () => sendJson(res, 202, { id, status: 'pending', statusUri: `/api/rollouts/${id}` });
      posted();
      return;
    }
    sendJson(res, 200, { id, status: 'running', runtimeStatus: 'Running', stages: [], counts: {}, verdictCounts: {}, failureBudget: { perStageLeft: null, totalLeft: null }, waitingApprovals: [] });
  });
  const spec = path.join(dir, 'start.json');
  fs.writeFileSync(spec, JSON.stringify({ name: 'interrupted', target: 'cilium', selector: { subscriptions: [SUB], ids: [clusterId('rg', 'c1')] }, stages: [{ name: 'only', maxConcurrency: 1 }] }));
  const child = spawn(process.execPath, [BIN, 'rollout', 'start', '--spec', spec, '--backend', backend.url, '-o', 'json'], { cwd: ROOT, env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await postArrived;
    child.kill('SIGINT');
    // The command is still alive, waiting for the start's answer.
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull();
    answerStart();
    const code = await closed;
    expect({ code, stdout }).toEqual({ code: 130, stdout: '' });
    expect(stderr.split('\n').filter((l) => l.startsWith('ERROR'))).toEqual([
      `ERROR: stopped following rollout ${id} (Ctrl-C); it goes on in the backend (now pending). Follow it again with 'aksnet rollout wait ${id} --backend ${backend.url}'.`,
    ]);
    // Nothing was polled after the Ctrl-C: the start was answered, then the command stopped.
    expect(backend.seen.map((s) => s.method)).toEqual(['POST']);
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
});
