/**
 * `aksnet rollout start|show|list|wait|approve|resume|cancel`: thin calls of the aksnet HTTP API
 * (cli/backend/client.ts). `rollout start` without a backend runs the rollout on a local host started for the
 * command (cli/backend/local.ts) and waits for its end: that host lives only as long as the command.
 */
import { InterruptedError, UsageError } from '../errors';
import { startEmbeddedBackend, type EmbeddedBackend } from '../backend/local';
import { backendUrlFrom, BACKEND_ENV, FUNCTION_KEY_ENV, remoteClient, requireRemoteClient } from '../backend/resolve';
import type { BackendClient, RolloutSummary } from '../backend/client';
import type { CommandContext, CommandHandler } from '../types';
import { ctrlCCounter, finalTable, FollowInterrupt, followAgainCommand, pollIntervalFor, readSpecFile, reportOutcome, rolloutView, waitForRollout } from './rolloutRun';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Follows a rollout on a remote backend: Ctrl-C stops following (exit 130; the rollout goes on there). `listening`:
 * the caller's FollowInterrupt, already listening (and disposed by the caller).
 */
async function follow(client: BackendClient, id: string, args: Record<string, unknown>, ctx: CommandContext, notice: (text: string, s: RolloutSummary) => void, until?: string, timeoutMs?: number, listening?: FollowInterrupt): Promise<RolloutSummary> {
  const interrupt = listening ?? new FollowInterrupt(ctx, undefined, followAgainCommand(args));
  try {
    return await waitForRollout(client, id, { intervalMs: pollIntervalFor(client.info.url, ctx.env), progress: ctx.progress, notice, until, timeoutMs, interrupt });
  } finally {
    if (!listening) interrupt.dispose();
  }
}

export const rolloutStart: CommandHandler = async (args, ctx) => {
  const spec = readSpecFile(args.spec as string, ctx.cwd);
  const url = backendUrlFrom(args, ctx.env);
  if (url) {
    const client = remoteClient(url, ctx.env);
    // Listening before the start: a Ctrl-C while the POST is in flight must not kill the process before it can
    // name the rollout the backend may already have started. The start is not aborted; its answer is awaited,
    // then the command stops with the id and how to follow it.
    const interrupt = new FollowInterrupt(ctx, undefined, followAgainCommand(args));
    try {
      const started = await client.startRollout(spec);
      ctx.log.info(`rollout ${started.id} started on ${url}`);
      const stop = interrupt.stopError(started.id, started.status);
      if (stop) throw stop;
      if (args.noWait === true) return started;
      const last = await follow(client, started.id, args, ctx, (text) => ctx.log.warning(text), undefined, undefined, interrupt);
      const view = await rolloutView(client, started.id, last);
      finalTable(view, args, ctx);
      reportOutcome(view, ctx);
      return view;
    } finally {
      interrupt.dispose();
    }
  }
  if (args.noWait === true) {
    throw new UsageError(
      `'--no-wait' needs a backend that outlives the command, and none is given`,
      `Start one with 'aksnet host start --db FILE' and pass its baseUrl with '--backend URL' (or ${BACKEND_ENV}), or drop '--no-wait'`,
    );
  }
  let backend: EmbeddedBackend | undefined;
  let interrupt: FollowInterrupt | undefined;
  // Listening from the start: a Ctrl-C while the host starts must not kill the process with the host's
  // directory left behind (the handler below decides what it means).
  const early = ctrlCCounter();
  try {
    backend = await startEmbeddedBackend({ env: ctx.env, log: (l) => ctx.log.debug(l) });
    const b = backend;
    ctx.log.info(`local host ${b.host.baseUrl} started for this command (ARM: ${b.arm})`);
    interrupt = new FollowInterrupt(ctx, b);
    early.dispose();
    if (early.pressed()) throw new InterruptedError('interrupted (Ctrl-C) before the rollout started; nothing was changed');
    const started = await b.client.startRollout(spec);
    interrupt.attach(b.client, started.id);
    ctx.log.info(`rollout ${started.id} started`);
    const notice = (text: string, s: RolloutSummary): void => {
      ctx.log.warning(text);
      if (s.status === 'waitingForApproval' || s.status === 'halted') {
        ctx.log.warning(
          `this rollout runs on a local host that lives as long as this command; from another terminal: ${BACKEND_ENV}=${b.host.baseUrl} ${FUNCTION_KEY_ENV}=${b.host.functionKey} aksnet rollout ${s.status === 'halted' ? 'resume' : 'approve'} --id ${s.id}`,
        );
      }
    };
    const last = await waitForRollout(b.client, started.id, { intervalMs: pollIntervalFor(b.client.info.url, ctx.env), progress: ctx.progress, notice, interrupt });
    const view = await rolloutView(b.client, started.id, last);
    finalTable(view, args, ctx);
    const cancelledOnCtrlC = interrupt.endedError(view.id, view.status);
    if (cancelledOnCtrlC) ctx.failAfterOutput(cancelledOnCtrlC);
    reportOutcome(view, ctx);
    return view;
  } finally {
    early.dispose();
    interrupt?.dispose();
    await backend?.stop({ keepState: interrupt?.keepState === true });
  }
};

export const rolloutShow: CommandHandler = async (args, ctx) => {
  const client = requireRemoteClient(args, ctx.env);
  return rolloutView(client, args.id as string, undefined, str(args.status));
};

export const rolloutList: CommandHandler = async (args, ctx) => requireRemoteClient(args, ctx.env).listRollouts({ status: str(args.status) });

export const rolloutWait: CommandHandler = async (args, ctx) => {
  const client = requireRemoteClient(args, ctx.env);
  const id = args.id as string;
  const timeout = typeof args.timeout === 'number' ? args.timeout * 1000 : undefined;
  const last = await follow(client, id, args, ctx, (text) => ctx.log.warning(text), str(args.until), timeout);
  const view = await rolloutView(client, id, last);
  finalTable(view, args, ctx);
  if (last.status !== args.until) reportOutcome(view, ctx);
  return view;
};

export const rolloutApprove: CommandHandler = async (args, ctx) => {
  const stage = str(args.stage);
  return requireRemoteClient(args, ctx.env).action(args.id as string, 'approve', stage ? { stage } : {});
};

export const rolloutResume: CommandHandler = async (args, ctx) => {
  const reason = str(args.reason);
  return requireRemoteClient(args, ctx.env).action(args.id as string, 'resume', reason ? { reason } : {});
};

export const rolloutCancel: CommandHandler = async (args, ctx) => {
  const client = requireRemoteClient(args, ctx.env);
  const id = args.id as string;
  const reason = str(args.reason);
  const accepted = await client.action(id, 'cancel', reason ? { reason } : {});
  if (args.noWait === true) return accepted;
  // Cancel is graceful: operations under way finish and NAP is restored before the rollout ends.
  const last = await follow(client, id, args, ctx, (text) => ctx.log.warning(text));
  const view = await rolloutView(client, id, last);
  finalTable(view, args, ctx);
  return view;
};
