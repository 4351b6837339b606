/**
 * `aksnet cluster migrate`: one cluster through the same workflow as a fleet — a rollout of one cluster, one
 * stage, started through the HTTP API — so the cluster gets the preflight, NAP handling, retries, verification
 * and the cluster lock (never two runs on one cluster) of docs/workflow.md. The confirmation (`--yes`) is asked by
 * the framework before this runs (cli/main.ts).
 */
import { parseArmId } from '../../shared/arm/id';
import type { Target } from '../../shared/model/assessment';
import type { RolloutSpec } from '../../shared/rollout/spec';
import { startEmbeddedBackend, type EmbeddedBackend } from '../backend/local';
import { backendUrlFrom, BACKEND_ENV, remoteClient } from '../backend/resolve';
import type { BackendClient } from '../backend/client';
import { CLIError, InterruptedError, RequiredArgumentMissingError, ResourceNotFoundError, UsageError } from '../errors';
import type { CommandContext, CommandHandler, ParsedArgs } from '../types';
import { ctrlCCounter, finalTable, FollowInterrupt, followAgainCommand, pollIntervalFor, rolloutView, waitForRollout } from './rolloutRun';
import { clusterMigrateTable, type ClusterView } from '../backend/views';

/** The cluster's ARM id from --ids, or -g/-n with --subscription / AZURE_SUBSCRIPTION_ID. */
export function clusterIdFrom(args: ParsedArgs, env: NodeJS.ProcessEnv): string {
  if (typeof args.ids === 'string') return args.ids;
  const sub = (args.subscription as string | undefined) ?? env.AZURE_SUBSCRIPTION_ID?.trim();
  if (!sub) throw new RequiredArgumentMissingError('the subscription of the cluster is not given', "Add '--subscription ID', set AZURE_SUBSCRIPTION_ID, or use '--ids ID'");
  return `/subscriptions/${sub}/resourceGroups/${String(args.resourceGroup)}/providers/Microsoft.ContainerService/managedClusters/${String(args.name)}`;
}

/** A one-cluster rollout: one stage, one at a time, a failure ends it without halting (nothing else to protect). */
export function singleClusterSpec(id: string, target: Target, podCidr?: string): RolloutSpec {
  const p = parseArmId(id);
  const name = `migrate-${p.name ?? 'cluster'}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80);
  return {
    name,
    target,
    selector: { subscriptions: [p.subscriptionId], ids: [id] },
    ...(podCidr ? { podCidr: { policy: 'fixed' as const, cidr: podCidr } } : {}),
    stages: [{ name: 'cluster', maxConcurrency: 1 }],
    failureBudget: { total: 1 },
  };
}

/** Ctrl-C: on the CLI's own host it cancels the migration gracefully; on a remote one it stops following (FollowInterrupt). */
async function run(client: BackendClient, spec: RolloutSpec, id: string, args: ParsedArgs, ctx: CommandContext, interrupt: FollowInterrupt): Promise<unknown> {
  const started = await client.startRollout(spec);
  interrupt.attach(client, started.id);
  ctx.log.info(`migration of ${id} started as rollout ${started.id}`);
  if (args.noWait === true) return started;
  const last = await waitForRollout(client, started.id, { intervalMs: pollIntervalFor(client.info.url, ctx.env), progress: ctx.progress, notice: (t) => ctx.log.warning(t), interrupt });
  const view = await rolloutView(client, started.id, last);
  // First, so it is the error reported (exit 130) rather than the cluster's cancelled result.
  const cancelledOnCtrlC = interrupt.endedError(view.id, view.status);
  if (cancelledOnCtrlC) ctx.failAfterOutput(cancelledOnCtrlC);
  const p = parseArmId(id);
  const cluster: ClusterView | undefined = view.clusters.find((c) => c.id.toLowerCase() === id.toLowerCase());
  // Discovery records a cluster ARM does not have as skipped with ARM's 404 (ids are looked up one by one).
  if (!cluster || (cluster.result === 'skipped' && /\bHTTP 404\b|ResourceNotFound/.test(cluster.reason ?? ''))) {
    throw new ResourceNotFoundError(`cluster '${p.name}' in resource group '${p.resourceGroup}' was not found in subscription ${p.subscriptionId} (rollout ${view.id} found no such cluster)`, 'Check the names and the subscription');
  }
  const out = { ...cluster, rollout: view.id, rolloutStatus: view.status };
  finalTable(out, args, ctx, clusterMigrateTable);
  if (cluster.result === 'failed' || cluster.result === 'cancelled' || cluster.result === 'skipped') {
    ctx.failAfterOutput(new CLIError(`cluster '${cluster.name}' was not migrated: ${cluster.result}${cluster.error ? `, ${cluster.error.code}: ${cluster.error.message}` : cluster.reason ? `, ${cluster.reason}` : ''}`.replace(/[.\s]+$/, ''), 'See the steps above; fix the cause and run the command again'));
  } else if (cluster.result === 'blocked') {
    const blocker = cluster.findings.find((f) => f.severity === 'blocker');
    ctx.failAfterOutput(new CLIError(`cluster '${cluster.name}' is blocked and was not changed${blocker ? `: ${blocker.rule}: ${blocker.message}` : ''}`.replace(/[.\s]+$/, ''), blocker?.remediation ?? `See 'aksnet cluster preflight --ids ${id} --target ${spec.target}'`));
  }
  return out;
}

export const clusterMigrate: CommandHandler = async (args, ctx) => {
  const id = clusterIdFrom(args, ctx.env);
  const spec = singleClusterSpec(id, args.target as Target, args.podCidr as string | undefined);
  const url = backendUrlFrom(args, ctx.env);
  if (url) {
    const interrupt = new FollowInterrupt(ctx, undefined, followAgainCommand(args));
    try {
      return await run(remoteClient(url, ctx.env), spec, id, args, ctx, interrupt);
    } finally {
      interrupt.dispose();
    }
  }
  if (args.noWait === true) {
    throw new UsageError(`'--no-wait' needs a backend that outlives the command, and none is given`, `Pass '--backend URL' (or set ${BACKEND_ENV}) of a running app, or drop '--no-wait'`);
  }
  let backend: EmbeddedBackend | undefined;
  let interrupt: FollowInterrupt | undefined;
  // Listening from the start: a Ctrl-C while the host starts must not kill the process with the host's directory left behind.
  const early = ctrlCCounter();
  try {
    backend = await startEmbeddedBackend({ env: ctx.env, log: (l) => ctx.log.debug(l) });
    ctx.log.info(`local host ${backend.host.baseUrl} started for this command (ARM: ${backend.arm})`);
    interrupt = new FollowInterrupt(ctx, backend);
    early.dispose();
    if (early.pressed()) throw new InterruptedError('interrupted (Ctrl-C) before the migration started; nothing was changed');
    return await run(backend.client, spec, id, args, ctx, interrupt);
  } finally {
    early.dispose();
    interrupt?.dispose();
    await backend?.stop({ keepState: interrupt?.keepState === true });
  }
};
