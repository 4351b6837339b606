/**
 * Managed cluster discovery through Azure Resource Graph: one query per batch of subscriptions (fewer
 * than 300 per query), paged with $skipToken at 1,000 rows, paced by the user quota headers
 * (15 queries per 5 s; aks-facts.md § Azure Resource Graph). Rows carry each cluster's full
 * `properties`, so no per-cluster ARM GET is needed for assessment.
 */
import type { ManagedClusterResource } from '../model/arm';
import type { AzureClients } from './clients';
import { sleep } from './limit';

export const RG_BATCH = 200;
export const RG_PAGE = 1000;

export interface DiscoveryFilter {
  subscriptions: string[];
  resourceGroup?: string;
  /** Every tag must match (key exact, value case-insensitive as Resource Graph's `=~`). */
  tags?: Record<string, string>;
}

export class DiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryError';
  }
}

/** KQL string literal. */
function kql(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The query the product sends (documented in docs/gateway.md; the simulator accepts exactly these shapes). */
export function clusterQuery(filter: Omit<DiscoveryFilter, 'subscriptions'>): string {
  const lines = ["Resources", "| where type =~ 'microsoft.containerservice/managedclusters'"];
  if (filter.resourceGroup) lines.push(`| where resourceGroup =~ ${kql(filter.resourceGroup)}`);
  for (const [k, v] of Object.entries(filter.tags ?? {})) lines.push(`| where tags[${kql(k)}] =~ ${kql(v)}`);
  return lines.join('\n');
}

/** Resource Graph columns that ARM GET does not return; dropped so a row reads like the GET body. */
const RG_ONLY = new Set(['tenantId', 'resourceGroup', 'subscriptionId']);

/** A Resource Graph row as the ARM resource the snapshot holds (empty columns such as `plan: null` dropped too). */
export function rowToResource(row: Record<string, unknown>): ManagedClusterResource {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (RG_ONLY.has(k) || v === null || v === '') continue;
    out[k] = v;
  }
  return out as ManagedClusterResource;
}

function header(headers: unknown, name: string): string | undefined {
  const h = headers as { get?: (n: string) => string | undefined } | undefined;
  return h?.get?.(name) ?? undefined;
}

export interface DiscoveryPage {
  clusters: ManagedClusterResource[];
  /** Total rows the query matched (Resource Graph's totalRecords). */
  total: number;
}

/**
 * Yields pages of managed clusters as Resource Graph returns them, so collection can start on the
 * first page while later ones are fetched.
 */
export async function* discoverClusters(clients: AzureClients, filter: DiscoveryFilter): AsyncGenerator<DiscoveryPage> {
  const subs = [...new Set(filter.subscriptions.map((s) => s.trim()).filter(Boolean))];
  if (subs.length === 0) throw new DiscoveryError('no subscription given: pass --subscription <id> (repeat it for more)');
  const query = clusterQuery(filter);
  for (let i = 0; i < subs.length; i += RG_BATCH) {
    const batch = subs.slice(i, i + RG_BATCH);
    let skipToken: string | undefined;
    do {
      let response;
      try {
        response = await clients.resourceGraph.resources({
          subscriptions: batch,
          query,
          options: { resultFormat: 'objectArray', top: RG_PAGE, ...(skipToken ? { skipToken } : {}) },
        });
      } catch (e) {
        const err = e as { statusCode?: number; message?: string };
        throw new DiscoveryError(`Resource Graph query failed (${err.statusCode ? `HTTP ${err.statusCode}: ` : ''}${String(err.message ?? e).split('\n')[0]}): check the subscription ids and that you can read them`);
      }
      const rows = (Array.isArray(response.data) ? response.data : []) as Array<Record<string, unknown>>;
      yield { clusters: rows.map(rowToResource), total: response.totalRecords };
      skipToken = response.skipToken || undefined;
      // Stay inside the user quota rather than collect 429s: when it is spent, wait until it resets.
      const remaining = Number(header(response._response?.headers, 'x-ms-user-quota-remaining'));
      const resetsAfter = header(response._response?.headers, 'x-ms-user-quota-resets-after');
      if (remaining === 0 && resetsAfter) await sleep(parseTimespanMs(resetsAfter));
    } while (skipToken);
  }
}

/** `hh:mm:ss[.fff]` → milliseconds (the format of x-ms-user-quota-resets-after). */
export function parseTimespanMs(value: string): number {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (!m) return 1000;
  return Math.ceil((Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000);
}
