/**
 * Assessment handlers: `fleet assess`, `cluster preflight`, `cluster plan`. Thin: read the snapshot
 * file or the facts live (handlers/live.ts, same snapshot format), select, call shared/assess, shape
 * the result. Loaded only when one of them runs.
 */
import { armIdKey, parseArmId } from '../../shared/arm/id';
import { assessFleet, azAksUpdateCommands } from '../../shared/assess';
import { RESOURCE_TYPES, type ArmResource } from '../../shared/model/arm';
import type { Assessment, Target } from '../../shared/model/assessment';
import type { Snapshot } from '../../shared/model/snapshot';
import { CLIError, InvalidArgumentValueError, RequiredArgumentMissingError, ResourceNotFoundError } from '../errors';
// Live reads pull in the Azure SDK clients (about 1.5 s and 90 MB to load on a busy 2-core machine): loaded only in live mode.
const loadLive = (): Promise<typeof import('./live')> => import('./live');
import { assessSnapshotFileStreaming, readSnapshotFile } from '../snapshotFile';
import type { ClusterPlanResult } from '../transformers';
import type { CommandContext, CommandHandler, ParsedArgs } from '../types';

interface AssessArgs {
  /** Undefined in live mode. */
  snapshot?: string;
  target: Target;
  podCidr?: string;
}

function assessArgs(args: ParsedArgs): AssessArgs {
  return { snapshot: args.snapshot as string | undefined, target: args.target as Target, podCidr: args.podCidr as string | undefined };
}

function isManagedCluster(r: ArmResource): boolean {
  return r.type.toLowerCase() === RESOURCE_TYPES.managedCluster;
}

function load(file: string, ctx: CommandContext): Snapshot {
  const started = Date.now();
  const snapshot = readSnapshotFile(file, { cwd: ctx.cwd });
  ctx.log.debug(`read ${snapshot.resources.length} resources from '${file}' in ${Date.now() - started} ms`);
  return snapshot;
}

function runAssessment(snapshot: Snapshot, a: AssessArgs, ctx: CommandContext): Assessment[] {
  const started = Date.now();
  const result = assessFleet(snapshot, { target: a.target, podCidr: a.podCidr });
  ctx.log.info(`assessed ${result.length} cluster${result.length === 1 ? '' : 's'} for target ${a.target} in ${Date.now() - started} ms`);
  return result;
}

export const fleetAssess: CommandHandler = async (args, ctx) => {
  const a = assessArgs(args);
  if (a.snapshot === undefined) {
    // Live: the same pipeline on what was read. Maintenance configurations are not read (no rule uses them).
    const { liveFilter, readLive, reportFailures } = await loadLive();
    const read = await readLive(liveFilter(args), ctx, { maintenanceConfigurations: false });
    if (read.found === 0) ctx.log.warning('no managed clusters matched in the given subscriptions');
    const result = runAssessment(read.snapshot, a, ctx);
    reportFailures(read, ctx, 'assessment');
    return result;
  }
  // The file is assessed while it is read (a 10,000-cluster snapshot in a fifth of the memory, H10's
  // measurements in docs/benchmarks.md); anything that path does not read goes the whole-file way below,
  // which reports bad input exactly as before.
  const started = Date.now();
  const streamed = assessSnapshotFileStreaming(a.snapshot, { target: a.target, podCidr: a.podCidr }, { cwd: ctx.cwd });
  if (streamed) {
    const ms = Date.now() - started;
    ctx.log.debug(`read ${streamed.resources} resources from '${a.snapshot}' in ${ms} ms, assessing each cluster as it was read (streamed)`);
    if (streamed.clusters === 0) ctx.log.warning(`snapshot '${a.snapshot}' has no managed clusters (type Microsoft.ContainerService/managedClusters)`);
    const n = streamed.assessments.length;
    ctx.log.info(`assessed ${n} cluster${n === 1 ? '' : 's'} for target ${a.target} in ${ms} ms`);
    return streamed.assessments;
  }
  const snapshot = load(a.snapshot, ctx);
  if (!snapshot.resources.some(isManagedCluster)) ctx.log.warning(`snapshot '${a.snapshot}' has no managed clusters (type Microsoft.ContainerService/managedClusters)`);
  return runAssessment(snapshot, a, ctx);
};

/** The ARM id of the cluster to read live: --ids, or -g/-n in --subscription (else AZURE_SUBSCRIPTION_ID). */
export function liveClusterId(args: ParsedArgs, env: NodeJS.ProcessEnv): string {
  if (typeof args.ids === 'string') return args.ids;
  const sub = (args.subscription as string | undefined) ?? env.AZURE_SUBSCRIPTION_ID?.trim();
  if (!sub) {
    throw new RequiredArgumentMissingError(
      'the subscription of the cluster is not given',
      "Add '--subscription ID', set AZURE_SUBSCRIPTION_ID, use '--ids ID', or read a file with '--snapshot FILE'",
    );
  }
  return `/subscriptions/${sub}/resourceGroups/${String(args.resourceGroup)}/providers/Microsoft.ContainerService/managedClusters/${String(args.name)}`;
}

/** The managed cluster chosen with -g/-n or --ids; ResourceNotFoundError (exit 3) when absent. */
export function selectCluster(snapshot: Snapshot, args: ParsedArgs, file: string): ArmResource {
  const clusters = snapshot.resources.filter(isManagedCluster);
  if (typeof args.ids === 'string') {
    const key = armIdKey(args.ids);
    const hit = clusters.find((c) => armIdKey(c.id) === key);
    if (!hit) {
      throw new ResourceNotFoundError(
        `cluster '${args.ids}' is not in snapshot ${file}`,
        `Check the id, or list the ids with 'aksnet fleet assess --snapshot ${file} --target ${String(args.target)} --query "[].id" -o tsv'`,
      );
    }
    return hit;
  }
  const rg = String(args.resourceGroup);
  const name = String(args.name);
  const hits = clusters.filter((c) => {
    let id;
    try {
      id = parseArmId(c.id);
    } catch {
      return false;
    }
    return id.resourceGroup?.toLowerCase() === rg.toLowerCase() && c.name.toLowerCase() === name.toLowerCase();
  });
  if (hits.length === 0) {
    throw new ResourceNotFoundError(
      `cluster '${name}' in resource group '${rg}' is not in snapshot ${file}`,
      `Check the names, or list the clusters with 'aksnet fleet assess --snapshot ${file} --target ${String(args.target)} -o table'`,
    );
  }
  if (hits.length > 1) {
    throw new InvalidArgumentValueError(
      `cluster '${name}' in resource group '${rg}' is in ${hits.length} subscriptions of snapshot ${file}`,
      `Select one with '--ids', e.g. --ids ${hits[0].id}`,
    );
  }
  return hits[0];
}

async function assessOne(args: ParsedArgs, ctx: CommandContext): Promise<Assessment> {
  const a = assessArgs(args);
  let snapshot: Snapshot;
  let cluster: ArmResource;
  if (a.snapshot === undefined) {
    const id = liveClusterId(args, ctx.env);
    const sub = parseArmId(id).subscriptionId;
    const { readLiveCluster } = await loadLive();
    snapshot = await readLiveCluster(id, ctx, `Check the names, or list the clusters with 'aksnet fleet assess --subscription ${sub} --target ${String(args.target)} -o table'`);
    const hit = snapshot.resources.find((r) => isManagedCluster(r) && armIdKey(r.id) === armIdKey(id));
    if (!hit) throw new ResourceNotFoundError(`cluster '${id}' was not found`, `Check the names, or list the clusters with 'aksnet fleet assess --subscription ${sub} --target ${String(args.target)} -o table'`);
    cluster = hit;
  } else {
    snapshot = load(a.snapshot, ctx);
    cluster = selectCluster(snapshot, args, a.snapshot);
  }
  // Only the chosen managed cluster is assessed; its VNets, NSGs and maintenance configurations stay.
  // A cluster's assessment depends on its own resources only (pod CIDRs may repeat across clusters, seed 003 § IP address planning).
  const only: Snapshot = { ...snapshot, resources: snapshot.resources.filter((r) => !isManagedCluster(r) || r === cluster) };
  const [assessment, ...rest] = runAssessment(only, a, ctx);
  if (!assessment || rest.length > 0) throw new CLIError(`expected one assessment for '${cluster.id}', got ${rest.length + (assessment ? 1 : 0)}`, 'Report this as a bug with the snapshot attached');
  return assessment;
}

export const clusterPreflight: CommandHandler = async (args, ctx) => assessOne(args, ctx);

export const clusterPlan: CommandHandler = async (args, ctx) => {
  const assessment = await assessOne(args, ctx);
  const plan: ClusterPlanResult = {
    id: assessment.id,
    name: assessment.name,
    resourceGroup: assessment.resourceGroup,
    target: String(args.target),
    verdict: assessment.verdict,
    steps: assessment.steps,
    ...(assessment.podCidr !== undefined ? { podCidr: assessment.podCidr } : {}),
    commands: assessment.verdict === 'ready' ? azAksUpdateCommands(assessment) : [],
    blockers: assessment.findings
      .filter((f) => f.severity === 'blocker')
      .map((f) => ({ rule: f.rule, message: f.message, remediation: f.remediation, source: f.source })),
  };
  if (assessment.verdict === 'blocked') ctx.log.warning(`cluster '${assessment.name}' is blocked: nothing to run until its blockers are resolved`);
  return plan;
};
