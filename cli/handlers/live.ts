/**
 * Live mode: reads facts from ARM (real Azure, or the simulator when AKSNET_ARM_ENDPOINT and
 * AKSNET_CA_CERT are set) through shared/azure/collect.ts, into the snapshot format, so that live
 * assessment is exactly the snapshot assessment on what was read. Also `fleet snapshot`.
 *
 * Decision on partial failures (a cluster, its VNet/NSG or its Kubernetes API could not be read):
 * the run goes on; the cluster is LEFT OUT of the result (an assessment on incomplete facts could say
 * "ready" for a cluster whose pod CIDR overlaps a VNet we could not read), each one is named in a
 * `WARNING:` line on stderr, and after the result is printed the command ends with one `ERROR:` line
 * and exit code 1. A pipeline therefore fails loudly, and the printed result is still usable.
 */
import { armIdKey, parseArmId } from '../../shared/arm/id';
import { createAzureClients, type AzureClients } from '../../shared/azure/clients';
import { collectSnapshot, type CollectFailure, type CollectOptions, type CollectProgress } from '../../shared/azure/collect';
import { DiscoveryError } from '../../shared/azure/discovery';
import { ARM_ENDPOINT_ENV, CA_CERT_ENV, GatewayConfigError } from '../../shared/azure/target';
import type { Snapshot } from '../../shared/model/snapshot';
import { AzureError, CLIError, ResourceNotFoundError } from '../errors';
import type { CommandContext, CommandHandler, ParsedArgs } from '../types';

export interface LiveFilter {
  subscriptions?: string[];
  resourceGroup?: string;
  tags?: Record<string, string>;
  ids?: string[];
}

export interface LiveRead {
  /** What was read, without the clusters that failed. */
  snapshot: Snapshot;
  /** Failed clusters by ARM id key: the id as reported and why. */
  failed: Map<string, { id: string; errors: string[] }>;
  /** Clusters found (collected and failed). */
  found: number;
}

/** The gateway's "<problem>: <fix>" messages put the fix after a colon; the CLI prints it as its own sentence. */
function sentence(fix: string): string {
  return fix.charAt(0).toUpperCase() + fix.slice(1);
}

/** The gateway for the environment the command runs in (ctx.env, not only process.env). */
function clientsFor(ctx: CommandContext): AzureClients {
  try {
    return createAzureClients({ endpoint: ctx.env[ARM_ENDPOINT_ENV], caCertPath: ctx.env[CA_CERT_ENV] });
  } catch (e) {
    if (e instanceof GatewayConfigError) {
      // Its message is "<problem>: <fix>".
      const i = e.message.indexOf(': ');
      throw new CLIError(i > 0 ? e.message.slice(0, i) : e.message, i > 0 ? sentence(e.message.slice(i + 2)) : undefined);
    }
    throw e;
  }
}

function progressReporter(ctx: CommandContext): (p: CollectProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    // A line at most every half second (and the last one), for a person watching a large fleet.
    if (p.phase === 'discovery' || (p.phase !== 'done' && now - last < 500)) return;
    last = now;
    const of = p.total !== undefined ? `/${p.total}` : '';
    ctx.progress(`read ${p.done}${of} clusters${p.failed ? ` (${p.failed} failed)` : ''}${p.phase === 'done' ? ', done' : ''}`);
  };
}

/** Removes failed clusters, their child resources (maintenance configurations) and their Kubernetes objects. */
function withoutClusters(snapshot: Snapshot, failed: ReadonlySet<string>): Snapshot {
  if (failed.size === 0) return snapshot;
  const isFailed = (id: string): boolean => {
    const key = armIdKey(id);
    for (const f of failed) if (key === f || key.startsWith(`${f}/`)) return true;
    return false;
  };
  const kubernetes: Snapshot['kubernetes'] = {};
  for (const [id, entry] of Object.entries(snapshot.kubernetes)) if (!isFailed(id)) kubernetes[id] = entry;
  return { resources: snapshot.resources.filter((r) => !isFailed(r.id)), kubernetes };
}

function failedClusters(failures: readonly CollectFailure[]): Map<string, { id: string; errors: string[] }> {
  const out = new Map<string, { id: string; errors: string[] }>();
  for (const f of failures) {
    for (const c of f.clusters) {
      const key = armIdKey(c);
      const entry = out.get(key) ?? { id: c, errors: [] };
      entry.errors.push(f.error);
      out.set(key, entry);
    }
  }
  return out;
}

/** Reads the fleet (or the clusters in `filter.ids`) live. Discovery failing is an AzureError (exit 1). */
export async function readLive(filter: LiveFilter, ctx: CommandContext, options: Pick<CollectOptions, 'maintenanceConfigurations'> = {}): Promise<LiveRead> {
  const clients = clientsFor(ctx);
  const started = Date.now();
  if (clients.target.kind === 'azure') {
    // Asking for a token first turns "no credential" into one line naming the fix, instead of a
    // Resource Graph failure that wraps DefaultAzureCredential's chained message.
    try {
      await clients.credential.getToken('https://management.azure.com/.default');
    } catch (e) {
      clients.close();
      throw new CLIError(
        `no Azure credential is available (${(e instanceof Error ? e.message : String(e)).split('\n')[0].replace(/[.\s]+$/, '')})`,
        `Sign in with 'az login' (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET), or use the simulator: set ${ARM_ENDPOINT_ENV} and ${CA_CERT_ENV} from 'aksnet sim start'`,
      );
    }
  }
  ctx.log.info(`reading ${filter.ids ? filter.ids.join(', ') : `subscription${filter.subscriptions?.length === 1 ? '' : 's'} ${(filter.subscriptions ?? []).join(', ')}`} from ${clients.target.endpoint}`);
  ctx.progress(filter.ids ? `reading ${filter.ids.length === 1 ? filter.ids[0] : `${filter.ids.length} clusters`}…` : 'discovering clusters…');
  try {
    const result = await collectSnapshot({
      clients,
      subscriptions: filter.subscriptions,
      resourceGroup: filter.resourceGroup,
      tags: filter.tags,
      ids: filter.ids,
      maintenanceConfigurations: options.maintenanceConfigurations,
      onProgress: progressReporter(ctx),
    });
    const failed = failedClusters(result.failures);
    const snapshot = withoutClusters(result.snapshot, new Set(failed.keys()));
    const s = result.stats;
    ctx.log.info(`read ${result.snapshot.resources.length} resources in ${Date.now() - started} ms: ${s.armReads} ARM reads, ${s.armWrites} ARM POSTs (kubeconfig), ${s.resourceGraph} Resource Graph queries, ${s.throttled} throttled`);
    const clusterKeys = new Set(result.snapshot.resources.filter((r) => r.type.toLowerCase() === 'microsoft.containerservice/managedclusters').map((r) => armIdKey(r.id)));
    for (const k of failed.keys()) clusterKeys.add(k);
    return { snapshot, failed, found: clusterKeys.size };
  } catch (e) {
    if (e instanceof DiscoveryError) {
      // Its message is "<problem>: <fix>"; the fix is capitalized as a sentence of its own.
      const i = e.message.lastIndexOf(': ');
      throw new AzureError((i > 0 ? e.message.slice(0, i) : e.message).replace(/\.\)$/, ')'), i > 0 ? sentence(e.message.slice(i + 2)) : undefined);
    }
    throw e;
  } finally {
    clients.close();
  }
}

/** One WARNING line per failed cluster; an ERROR after the result, exit 1. */
export function reportFailures(read: LiveRead, ctx: CommandContext, what: string): void {
  if (read.failed.size === 0) return;
  for (const { id, errors } of read.failed.values()) ctx.log.warning(`cluster '${id}' is left out of the ${what}: ${errors.join('; ')}`);
  ctx.failAfterOutput(
    new AzureError(
      `${read.failed.size} of ${read.found} cluster${read.found === 1 ? '' : 's'} could not be read and ${read.failed.size === 1 ? 'is' : 'are'} not in the ${what}`,
      'The WARNING lines above say why; fix access or wait for the API to recover, then run the command again',
    ),
  );
}

export function liveFilter(args: ParsedArgs): LiveFilter {
  const tags = args.tags as Array<{ key: string; value: string }> | undefined;
  return {
    subscriptions: args.subscriptions as string[] | undefined,
    resourceGroup: args.resourceGroup as string | undefined,
    tags: tags ? Object.fromEntries(tags.map((t) => [t.key, t.value])) : undefined,
  };
}

/** `fleet snapshot`: read-only collection, written in the snapshot format. */
export const fleetSnapshot: CommandHandler = async (args, ctx) => {
  const read = await readLive(liveFilter(args), ctx);
  if (read.found === 0) ctx.log.warning('no managed clusters matched: the snapshot is empty');
  reportFailures(read, ctx, 'snapshot');
  return read.snapshot;
};

/**
 * One cluster, live: ARM GET, its network and Kubernetes objects. Not found (HTTP 404) is a
 * ResourceNotFoundError (exit 3), any other failure an AzureError (exit 1): a single cluster with
 * incomplete facts is not assessed.
 */
export async function readLiveCluster(id: string, ctx: CommandContext, hint: string): Promise<Snapshot> {
  const read = await readLive({ ids: [id] }, ctx, { maintenanceConfigurations: false });
  const failure = read.failed.get(armIdKey(id));
  if (failure) {
    if (failure.errors.some((e) => /^cluster could not be read: HTTP 404\b/.test(e))) {
      const p = parseArmId(id);
      throw new ResourceNotFoundError(`cluster '${p.name ?? id}' in resource group '${p.resourceGroup ?? '?'}' was not found in subscription ${p.subscriptionId}`, hint);
    }
    throw new AzureError(`cluster '${id}' could not be read: ${failure.errors.join('; ')}`, 'Check your access to the cluster, or run the command again when the API recovers');
  }
  return read.snapshot;
}
