/**
 * What the rollout commands, `cluster migrate` and `aksnet demo` share: reading a spec file, following a
 * rollout until it ends (or reaches a status), and assembling `{ id, status, stages, clusters }` from the API's
 * summary and its paged per-cluster results.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterResult } from '../../shared/migration/result';
import { parseRolloutSpec, RolloutSpecError, type RolloutSpec } from '../../shared/rollout/spec';
import { hasEnded, RequestAbortedError, type BackendClient, type RolloutClusterItem, type RolloutSummary } from '../backend/client';
import { CLIError, FileArgumentError, InterruptedError } from '../errors';
import { ProgressTracker } from '../progress';
import { formatTable } from '../output';
import type { CommandContext, ParsedArgs, TableTransformer } from '../types';
import { rolloutTable, type ClusterView, type RolloutView } from '../backend/views';

/** Reads and validates a rollout spec (YAML or JSON); every problem is named, on one line (exit 2). */
export function readSpecFile(file: string, cwd: string): RolloutSpec {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileArgumentError(`spec file '${file}' cannot be read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e))})`, 'Give the path of a rollout spec in YAML or JSON (docs/rollout-spec.md)');
  }
  try {
    return parseRolloutSpec(text, file);
  } catch (e) {
    if (!(e instanceof RolloutSpecError)) throw e;
    const all = e.problems.length > 1 ? ` — all problems: ${e.problems.join('; ')}` : '';
    throw new FileArgumentError(`spec file '${file}': ${e.message}${all}`, 'Fix the spec (fields and an example: docs/rollout-spec.md)');
  }
}

/** A cluster item with the result fields the API adds (shared/api/api.ts clusterItem; ClusterResult in shared/migration/result.ts). */
type ClusterItem = RolloutClusterItem & Partial<Pick<ClusterResult, 'correlationIds' | 'nap' | 'verifyProblems'>>;

function clusterView(c: ClusterItem): ClusterView {
  return {
    id: c.id,
    name: c.name,
    resourceGroup: c.resourceGroup,
    subscriptionId: c.subscriptionId,
    stage: c.stage ?? null,
    verdict: c.verdict,
    result: c.result,
    reason: c.reason ?? null,
    steps: c.steps,
    findings: c.findings,
    error: c.error ?? null,
    ...(c.startedAt ? { startedAt: c.startedAt } : {}),
    ...(c.endedAt ? { endedAt: c.endedAt } : {}),
    correlationIds: c.correlationIds ?? [],
    ...(c.nap ? { nap: c.nap } : {}),
    ...(c.verifyProblems ? { verifyProblems: c.verifyProblems } : {}),
  };
}

/** The rollout with every cluster (optionally only those with one result). */
export async function rolloutView(client: BackendClient, id: string, summary?: RolloutSummary, status?: string): Promise<RolloutView> {
  const s = summary ?? (await client.getRollout(id));
  const clusters = (await client.allClusters(id, status)).map(clusterView);
  return {
    id: s.id,
    ...(s.name !== undefined ? { name: s.name } : {}),
    status: s.status,
    runtimeStatus: s.runtimeStatus,
    ...(s.target !== undefined ? { target: s.target } : {}),
    ...(s.total !== undefined ? { total: s.total } : {}),
    stages: s.stages,
    counts: s.counts,
    verdictCounts: s.verdictCounts,
    failureBudget: s.failureBudget,
    waitingApprovals: s.waitingApprovals,
    ...(s.haltReason !== undefined ? { haltReason: s.haltReason } : {}),
    ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}),
    ...(s.updatedAt !== undefined ? { updatedAt: s.updatedAt } : {}),
    clusters,
  };
}

export interface WaitOptions {
  /** Poll interval in ms. */
  intervalMs: number;
  /** Progress lines (the caller decides where: ctx.progress, or stderr always for the demo). */
  progress: (line: string) => void;
  /** A waiting state began (approval, halt, window); default: the progress writer. */
  notice?: (text: string, s: RolloutSummary) => void;
  /** Stop waiting at this status or one of these (besides the end), e.g. 'waitingForApproval'. */
  until?: string | readonly string[];
  /** Give up after this many ms (the rollout goes on). */
  timeoutMs?: number;
  /** Ctrl-C (cli/handlers/rolloutRun.ts FollowInterrupt): its sleep ends at a press, and it says when to stop following. */
  interrupt?: FollowInterrupt;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How to follow a rollout again on a remote backend: with '--backend URL' when it was given that way. */
export function followAgainCommand(args: Record<string, unknown>): (id: string) => string {
  return (id) => `aksnet rollout wait ${id}${typeof args.backend === 'string' ? ` --backend ${args.backend}` : ''}`;
}

/**
 * What Ctrl-C does while a command follows a rollout (or a one-cluster migration) it started or was asked to follow.
 *
 * On a host the command started for itself (`owned`), the run lives in this process: dying would abandon it
 * half-way — against Azure a cluster could keep NAP Manual, its NodePools at limits 0 with the disable taint and a
 * pool scaled up, with no record left. So the first Ctrl-C raises `cancel` (graceful: accepted operations are
 * followed to their end and NAP is restored, docs/workflow.md) and the command keeps following the run to its end;
 * a second one stops following at once, stops the host and KEEPS its state directory, naming the command that
 * resumes it. On a remote backend the run lives there: Ctrl-C only stops following, and says how to follow again.
 *
 * "At once" includes a poll in flight: the press that stops following aborts it ({@link signal}), rather than
 * waiting up to the transport's 30 s. The command says the run was cancelled only when the backend ACCEPTED the
 * cancel: a run that had just ended refuses it (409 RolloutEnded), and then its real end and exit code stand.
 */
export class FollowInterrupt {
  presses = 0;
  /** Set when the host's state must outlive the command (second Ctrl-C before the run ended). */
  keepState = false;
  private run?: { client: BackendClient; id: string };
  /** The cancel raised on Ctrl-C: not sent, sent and unanswered, accepted (202), or refused/failed. */
  private cancel: 'none' | 'pending' | 'accepted' | 'refused' = 'none';
  private cancelAnswer?: Promise<void>;
  private readonly aborter = new AbortController();
  private readonly wakers = new Set<() => void>();
  private readonly onSigint = (): void => {
    this.presses++;
    if (this.owned && this.presses === 1) {
      this.ctx.log.warning(
        `Ctrl-C: cancelling ${this.run ? `rollout ${this.run.id}` : 'the run'} gracefully (operations under way are followed to their end, NAP is restored) and following it to its end; press Ctrl-C again to exit now and keep its state for later`,
      );
      this.sendCancel();
    }
    if (this.stopping) this.aborter.abort();
    for (const wake of [...this.wakers]) wake();
  };

  constructor(
    private readonly ctx: CommandContext,
    /** The CLI's own host (its state directory and how to serve it again); undefined for a remote backend. */
    private readonly owned?: { dir: string; resumeCommand: string },
    /** How to follow the run again on the remote backend, e.g. `aksnet rollout wait ID --backend URL`. */
    private readonly followAgain: (id: string) => string = (id) => `aksnet rollout wait ${id}`,
  ) {
    process.on('SIGINT', this.onSigint);
  }

  /** The run is known (started or named): a Ctrl-C pressed before this cancels it now. */
  attach(client: BackendClient, id: string): void {
    this.run = { client, id };
    if (this.owned && this.presses >= 1) this.sendCancel();
  }

  /** A Ctrl-C on the CLI's own host had the run cancelled: the backend accepted the cancel. */
  get cancelled(): boolean {
    return this.owned !== undefined && this.cancel === 'accepted';
  }

  /** True once Ctrl-C means "stop following now": the first press on a remote backend, the second on the CLI's own host. */
  private get stopping(): boolean {
    return this.presses >= (this.owned ? 2 : 1);
  }

  /** Aborted when Ctrl-C stops following: pass it to the poll in flight (BackendClient.getRollout). */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  /**
   * Waits for the backend's answer to a cancel sent on Ctrl-C (if any): so {@link cancelled} is known at the end,
   * and so a second press does not stop the CLI's own host before the cancel is recorded in it (the resumed run
   * must pick the cancel up). On this machine that answer takes milliseconds; it is bounded by the 30 s request timeout.
   */
  async settled(): Promise<void> {
    await this.cancelAnswer;
  }

  private sendCancel(): void {
    if (!this.run || this.cancel !== 'none') return;
    this.cancel = 'pending';
    const { client, id } = this.run;
    this.cancelAnswer = client.action(id, 'cancel', { reason: 'Ctrl-C in the aksnet command that runs it' }).then(
      (answer) => {
        this.cancel = answer.accepted === false ? 'refused' : 'accepted';
      },
      (e: unknown) => {
        this.cancel = 'refused';
        const why = e instanceof Error ? e.message : String(e);
        // A rollout that has just ended refuses the cancel (409 RolloutEnded): following it shows how it ended.
        if (/\(RolloutEnded\)/.test(why)) this.ctx.log.warning(`Ctrl-C: rollout ${id} had already ended, nothing to cancel`);
        else this.ctx.log.warning(`Ctrl-C: the cancel of rollout ${id} failed (${why.replace(/[.\s]+$/, '')}); following it to its end — press Ctrl-C again to exit now and keep its state for later`);
      },
    );
  }

  /** Sleeps `ms`, or less when Ctrl-C is pressed meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  /** The error to stop following with, now that the run is still `status`; undefined to go on following. */
  stopError(id: string, status: string): InterruptedError | undefined {
    if (!this.stopping) return undefined;
    if (this.owned) {
      this.keepState = true;
      return new InterruptedError(
        `interrupted: rollout ${id} is still ${status}; the local host stopped and its state is kept in ${this.owned.dir}`,
        `To resume it, serve that state with '${this.owned.resumeCommand}' (in this shell: the same ARM endpoint), then follow it with 'aksnet rollout wait ${id}' with AKSNET_BACKEND and AKSNET_FUNCTION_KEY set to the baseUrl and functionKey it prints`,
      );
    }
    return new InterruptedError(`stopped following rollout ${id} (Ctrl-C); it goes on in the backend (now ${status})`, `Follow it again with '${this.followAgain(id)}'`);
  }

  /**
   * After the run ended: exit 130 when a Ctrl-C cancelled it (the result is printed first). A cancel the backend
   * refused, or one accepted too late to change the end (the run completed), cancelled nothing: the run's real
   * end and its usual exit code stand.
   */
  endedError(id: string, status: string): InterruptedError | undefined {
    if (!this.cancelled) return undefined;
    if (status !== 'cancelled') {
      this.ctx.log.warning(`Ctrl-C: the cancel of rollout ${id} came too late; it ended ${status}`);
      return undefined;
    }
    return new InterruptedError(`interrupted: Ctrl-C cancelled rollout ${id}; it ended ${status}`, "Operations under way were followed to their end; the result above shows each cluster, its 'nap.restored' whether NAP is back");
  }

  dispose(): void {
    process.off('SIGINT', this.onSigint);
    for (const wake of [...this.wakers]) wake();
  }
}

/** Polls the summary until the rollout ends (or reaches `until`); returns the last summary. */
export async function waitForRollout(client: BackendClient, id: string, options: WaitOptions): Promise<RolloutSummary> {
  const tracker = new ProgressTracker(options.progress, (text, s) => {
    if (options.notice) options.notice(text, s);
    else options.progress(text);
  });
  const until = options.until === undefined ? [] : typeof options.until === 'string' ? [options.until] : options.until;
  const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Infinity;
  let lastStatus = 'running';
  for (;;) {
    let s: RolloutSummary;
    try {
      s = await client.getRollout(id, options.interrupt?.signal);
    } catch (e) {
      // Ctrl-C aborted the poll in flight: stop following now, with the last status seen.
      const stop = e instanceof RequestAbortedError ? options.interrupt?.stopError(id, lastStatus) : undefined;
      if (stop) await options.interrupt?.settled();
      throw stop ?? e;
    }
    lastStatus = s.status;
    tracker.update(s);
    if (hasEnded(s)) {
      // A cancel sent on Ctrl-C: its answer says whether the run was cancelled (FollowInterrupt.endedError).
      await options.interrupt?.settled();
      return s;
    }
    if (until.includes(s.status)) return s;
    const stop = options.interrupt?.stopError(id, s.status);
    if (stop) {
      // The cancel of the first press must reach the host before the command stops it: the resumed run picks it up.
      await options.interrupt?.settled();
      throw stop;
    }
    if (Date.now() > deadline) {
      throw new CLIError(`rollout ${id} is still ${s.status} after ${Math.round((options.timeoutMs ?? 0) / 1000)} s`, `Follow it with 'aksnet rollout wait ${id}', or see it with 'aksnet rollout show ${id}'`);
    }
    await (options.interrupt ? options.interrupt.sleep(options.intervalMs) : sleep(options.intervalMs));
  }
}

/**
 * The issue's "progress bars on stderr when it is a terminal; a final per-cluster table": the person watching gets the
 * table at the end on stderr (as the progress lines) when stdout carries something else (-o json, yaml, tsv, a
 * --query), so stdout stays exactly the format asked for. Nothing when stderr is not a terminal, or when stdout
 * already is that table.
 */
export function finalTable(result: unknown, args: ParsedArgs, ctx: CommandContext, transformer: TableTransformer = rolloutTable): void {
  if (!ctx.stderrIsTTY) return;
  if (args.output === 'table' && args.query === undefined) return;
  ctx.progress(formatTable(result, transformer).replace(/\n+$/, ''));
}

/** Poll interval for a backend: short for this machine, longer across the network (Retry-After is 10 s). */
export function pollIntervalFor(url: string, env: NodeJS.ProcessEnv): number {
  const fromEnv = Number(env.AKSNET_POLL_INTERVAL_MS);
  if (Number.isFinite(fromEnv) && fromEnv > 0) return fromEnv;
  return /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(`${url}/`) ? 250 : 5000;
}

/**
 * A rollout that ended badly still prints its result; then the command exits 1: clusters failed, or the
 * orchestration itself failed or was terminated. Blocked and compliant clusters are not failures (nothing to do
 * or nothing allowed, by the assessment), nor is a cancel someone asked for.
 */
export function reportOutcome(view: RolloutView, ctx: CommandContext): void {
  const failed = view.clusters.filter((c) => c.result === 'failed');
  if (view.runtimeStatus === 'Failed' || view.runtimeStatus === 'Terminated') {
    ctx.failAfterOutput(new CLIError(`rollout ${view.id} ended ${view.status}${view.haltReason ? `: ${view.haltReason}` : ''}`, 'Look at the app log; the clusters above show how far it got'));
  } else if (failed.length > 0) {
    const first = failed[0];
    ctx.failAfterOutput(
      new CLIError(
        `${failed.length} cluster(s) failed in rollout ${view.id}, first ${first.name}: ${first.error ? `${first.error.code}: ${first.error.message}` : (first.reason ?? 'no reason recorded')}`.replace(/[.\s]+$/, ''),
        `See them with 'aksnet rollout show --id ${view.id} --status failed'`,
      ),
    );
  }
}

/**
 * Counts Ctrl-C presses while the CLI starts its own host (before a FollowInterrupt exists): a press then must stop
 * the command before anything starts, not kill the process mid-start.
 */
export function ctrlCCounter(): { pressed(): boolean; dispose(): void } {
  let presses = 0;
  const count = (): void => void presses++;
  process.on('SIGINT', count);
  return { pressed: () => presses > 0, dispose: () => void process.off('SIGINT', count) };
}
