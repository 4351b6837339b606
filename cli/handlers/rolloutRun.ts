/**
 * What the rollout commands, `cluster migrate` and `aksnet demo` share: reading a spec file, following a
 * rollout until it ends (or reaches a status), and assembling `{ id, status, stages, clusters }` from the API's
 * summary and its paged per-cluster results.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRolloutSpec, RolloutSpecError, type RolloutSpec } from '../../shared/rollout/spec';
import { hasEnded, type BackendClient, type RolloutClusterItem, type RolloutSummary } from '../backend/client';
import { CLIError, FileArgumentError } from '../errors';
import { ProgressTracker } from '../progress';
import type { CommandContext } from '../types';
import type { ClusterView, RolloutView } from '../backend/views';

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

function clusterView(c: RolloutClusterItem): ClusterView {
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
  /** Set when the user interrupted (Ctrl-C): stop waiting. */
  interrupted?: () => boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the summary until the rollout ends (or reaches `until`); returns the last summary. */
export async function waitForRollout(client: BackendClient, id: string, options: WaitOptions): Promise<RolloutSummary> {
  const tracker = new ProgressTracker(options.progress, (text, s) => {
    if (options.notice) options.notice(text, s);
    else options.progress(text);
  });
  const until = options.until === undefined ? [] : typeof options.until === 'string' ? [options.until] : options.until;
  const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Infinity;
  for (;;) {
    const s = await client.getRollout(id);
    tracker.update(s);
    if (hasEnded(s) || until.includes(s.status)) return s;
    if (options.interrupted?.()) throw new CLIError(`stopped waiting for rollout ${id} (interrupted); it is still ${s.status}`, `Follow it with 'aksnet rollout wait --id ${id}'`);
    if (Date.now() > deadline) {
      throw new CLIError(`rollout ${id} is still ${s.status} after ${Math.round((options.timeoutMs ?? 0) / 1000)} s`, `Follow it with 'aksnet rollout wait --id ${id}', or see it with 'aksnet rollout show --id ${id}'`);
    }
    await sleep(options.intervalMs);
  }
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
