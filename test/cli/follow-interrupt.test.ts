/**
 * Ctrl-C while a command follows a rollout (cli/handlers/rolloutRun.ts FollowInterrupt with waitForRollout), with the
 * real BackendClient and HTTP transport against a local server that plays the backend's API (docs/http-api.md):
 * the command says a Ctrl-C cancelled the run only when the backend accepted the cancel, and the press that stops
 * following aborts a poll in flight instead of waiting out the transport's 30 s. SIGINT is delivered as the event
 * Node raises for it (process.emit), so the test process itself is not signalled.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BackendClient, httpTransport } from '../../cli/backend/client';
import { InterruptedError } from '../../cli/errors';
import { FollowInterrupt, waitForRollout } from '../../cli/handlers/rolloutRun';
import type { CommandContext } from '../../cli/types';
import type { CLIError } from '../../cli/errors';

const ID = 'fleet-20261121T210000Z-abc123';
const KEY = 'k';

interface Backend {
  client: BackendClient;
  /** Requests seen, `METHOD path`. */
  seen: string[];
  close(): Promise<void>;
}

const summary = (status: string, runtimeStatus: string): unknown => ({ id: ID, status, runtimeStatus, stages: [], counts: {}, verdictCounts: {}, failureBudget: { perStageLeft: null, totalLeft: null }, waitingApprovals: [] });

/**
 * A backend whose GET of the rollout answers `poll(n)` (n counts from 1; undefined = never answer, as a poll in
 * flight), and whose cancel answers `cancel()` after `cancelDelayMs`.
 */
async function backend(poll: (n: number) => unknown, cancel: () => { status: number; body: unknown }, cancelDelayMs = 0): Promise<Backend> {
  const seen: string[] = [];
  let polls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-functions-key'] !== KEY) return send(401, {});
      if (req.method === 'POST' && req.url === `/api/rollouts/${ID}/cancel`) {
        const answer = cancel();
        setTimeout(() => send(answer.status, answer.body), cancelDelayMs);
        return;
      }
      if (req.method === 'GET' && req.url === `/api/rollouts/${ID}`) {
        const body = poll(++polls);
        if (body !== undefined) send(200, body);
        return;
      }
      send(404, { error: { code: 'NotFound', message: 'no such route' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    client: new BackendClient(httpTransport(url, { key: KEY }), { url, describe: url, sends: { key: true, token: false } }),
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Ctx {
  ctx: CommandContext;
  warnings: string[];
  failures: CLIError[];
}

function context(): Ctx {
  const warnings: string[] = [];
  const failures: CLIError[] = [];
  const ctx: CommandContext = {
    log: { level: 'warning', error: () => undefined, warning: (m) => warnings.push(m), info: () => undefined, debug: () => undefined },
    cwd: process.cwd(),
    env: {},
    interactive: false,
    progress: () => undefined,
    stderrIsTTY: false,
    stdout: () => undefined,
    failAfterOutput: (e) => failures.push(e),
  };
  return { ctx, warnings, failures };
}

const ctrlC = (): boolean => process.emit('SIGINT', 'SIGINT');
const owned = { dir: '/tmp/aksnet-state', resumeCommand: 'AKSNET_RESULTS_DB=/tmp/aksnet-state/results.db aksnet host start --db /tmp/aksnet-state/hub.db' };

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function follow(b: Backend, interrupt: FollowInterrupt) {
  return waitForRollout(b.client, ID, { intervalMs: 20, progress: () => undefined, interrupt });
}

/**
 * Follows rollout ID on `b` with a FollowInterrupt as the CLI sets one up (attached to the run when the CLI owns the
 * host), every piece closed after the test.
 */
function startFollowing(b: Backend, owner: typeof owned | undefined, followAgain?: (id: string) => string) {
  cleanup.push(() => b.close());
  const { ctx, warnings } = context();
  const interrupt = new FollowInterrupt(ctx, owner, followAgain);
  cleanup.push(() => interrupt.dispose());
  if (owner) interrupt.attach(b.client, ID);
  return { interrupt, warnings, following: follow(b, interrupt) };
}

/** One Ctrl-C once the first poll was answered; resolves with the run's last summary. */
async function ctrlCAfterFirstPoll(b: Backend, following: ReturnType<typeof follow>) {
  await until('the first poll', () => b.seen.length >= 1);
  ctrlC();
  return following;
}

describe('first Ctrl-C on the CLI’s own host', () => {
  it('a cancel refused because the run had just ended (409 RolloutEnded): no "cancelled" claim, the real end and its exit code stand', async () => {
    let cancelAsked = false;
    // Running until the cancel arrives; by then it has completed, and the cancel is refused (after the poll that shows it).
    const b = await backend(
      () => (cancelAsked ? summary('completed', 'Completed') : summary('running', 'Running')),
      () => {
        cancelAsked = true;
        return { status: 409, body: { error: { code: 'RolloutEnded', message: `Rollout '${ID}' has ended (completed); nothing to cancel.` } } };
      },
      200,
    );
    const { interrupt, warnings, following } = startFollowing(b, owned);
    const last = await ctrlCAfterFirstPoll(b, following);
    expect(last.status).toBe('completed');
    expect(interrupt.cancelled).toBe(false);
    expect(interrupt.endedError(ID, last.status)).toBeUndefined();
    expect(interrupt.keepState).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/^Ctrl-C: cancelling rollout \S+ gracefully/), `Ctrl-C: rollout ${ID} had already ended, nothing to cancel`]);
  });

  it('a cancel the backend accepted, and the run ended cancelled: exit 130 with "Ctrl-C cancelled rollout …; it ended cancelled"', async () => {
    let cancelAsked = false;
    const b = await backend(
      () => (cancelAsked ? summary('cancelled', 'Completed') : summary('running', 'Running')),
      () => {
        cancelAsked = true;
        return { status: 202, body: { id: ID, action: 'cancel', accepted: true } };
      },
      200,
    );
    const { interrupt, following } = startFollowing(b, owned);
    const last = await ctrlCAfterFirstPoll(b, following);
    expect(last.status).toBe('cancelled');
    expect(interrupt.cancelled).toBe(true);
    const err = interrupt.endedError(ID, last.status);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err?.exitCode).toBe(130);
    expect(err?.message).toBe(`interrupted: Ctrl-C cancelled rollout ${ID}; it ended cancelled`);
    expect(b.seen).toContain(`POST /api/rollouts/${ID}/cancel`);
  });

  it('a cancel accepted too late (the run completed anyway): no "cancelled" claim, a warning says so', async () => {
    let cancelAsked = false;
    const b = await backend(
      () => (cancelAsked ? summary('completed', 'Completed') : summary('running', 'Running')),
      () => {
        cancelAsked = true;
        return { status: 202, body: { id: ID, action: 'cancel', accepted: true } };
      },
    );
    const { interrupt, warnings, following } = startFollowing(b, owned);
    const last = await ctrlCAfterFirstPoll(b, following);
    expect(interrupt.endedError(ID, last.status)).toBeUndefined();
    expect(warnings[warnings.length - 1]).toBe(`Ctrl-C: the cancel of rollout ${ID} came too late; it ended completed`);
  });
});

describe('the press that stops following aborts the poll in flight', () => {
  it('second Ctrl-C on the CLI’s own host while a poll hangs: stops within a second (not the 30 s request timeout), state kept', async () => {
    // First poll answers; every later one never does.
    const b = await backend(
      (n) => (n === 1 ? summary('running', 'Running') : undefined),
      () => ({ status: 202, body: { id: ID, action: 'cancel', accepted: true } }),
    );
    const { interrupt, following } = startFollowing(b, owned);
    const outcome = following.then(
      () => undefined,
      (e: unknown) => e,
    );
    await until('a second poll in flight', () => b.seen.filter((s) => s.startsWith('GET')).length >= 2);
    ctrlC();
    await until('the cancel', () => b.seen.includes(`POST /api/rollouts/${ID}/cancel`));
    const pressed = Date.now();
    ctrlC();
    const err = await outcome;
    expect(Date.now() - pressed).toBeLessThan(1000);
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as InterruptedError).message).toBe(`interrupted: rollout ${ID} is still running; the local host stopped and its state is kept in ${owned.dir}`);
    expect(interrupt.keepState).toBe(true);
  });

  it('first Ctrl-C on a remote backend while a poll hangs: stops at once, naming the rollout and how to follow it again', async () => {
    const b = await backend(
      (n) => (n === 1 ? summary('waitingForApproval', 'Running') : undefined),
      () => ({ status: 500, body: {} }),
    );
    const { following } = startFollowing(b, undefined, (id) => `aksnet rollout wait ${id} --backend URL`);
    const outcome = following.then(
      () => undefined,
      (e: unknown) => e,
    );
    await until('a second poll in flight', () => b.seen.length >= 2);
    const pressed = Date.now();
    ctrlC();
    const err = await outcome;
    expect(Date.now() - pressed).toBeLessThan(1000);
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as InterruptedError).message).toBe(`stopped following rollout ${ID} (Ctrl-C); it goes on in the backend (now waitingForApproval)`);
    expect((err as InterruptedError).recommendation).toBe(`Follow it again with 'aksnet rollout wait ${ID} --backend URL'`);
    // A remote Ctrl-C never cancels.
    expect(b.seen.some((s) => s.startsWith('POST'))).toBe(false);
  });
});
