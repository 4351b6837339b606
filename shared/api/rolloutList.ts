/**
 * GET /api/rollouts without reading the task hub: the rollouts come from the result store's rollout index
 * (ResultStore.listRollouts, newest first, paged), and each listed rollout's status from one
 * `ports.rollouts.status` call (a Durable getStatus without history or input). durable-functions 3.x has no
 * instance query by orchestration name, id prefix or page (its getStatusBy returns every instance of the task
 * hub — each rollout's up to 10,000 cluster migrations included, with their inputs and outputs), so the cost
 * of a list call is bounded here instead: at most `maxScanned` index rows, hence status calls, per request.
 */
import { limiter } from '../azure/limit';
import type { ResultStore, RolloutIndexEntry } from '../rollout/store';
import type { InstanceStatus } from './summary';
import type { RuntimeStatusFilter } from './validate';

/** Index rows one list request may read (and ask the task hub about) at most, whatever the filter. */
export const DEFAULT_MAX_ROLLOUTS_SCANNED = 1000;
/** Status calls in flight at once: enough to hide a round trip each, few enough not to flood the host. */
export const STATUS_CONCURRENCY = 16;

export interface RolloutListSources {
  index: Pick<ResultStore, 'listRollouts'>;
  /** The rollout's status; undefined when the instance is gone (purged) or is not a rollout. */
  status(rolloutId: string): Promise<InstanceStatus | undefined>;
}

export interface RolloutListRequest {
  limit: number;
  runtimeStatus?: RuntimeStatusFilter[];
  continuationToken?: string;
  /** At least `limit` is read regardless. */
  maxScanned?: number;
}

export interface RolloutListRow {
  entry: RolloutIndexEntry;
  instance: InstanceStatus;
}

export interface RolloutListResult {
  rows: RolloutListRow[];
  /** Where the next request continues; absent when the index has no more rows. */
  continuationToken?: string;
}

/**
 * One page of rollouts, newest first: index rows in order, those whose instance is gone or whose runtime status
 * the filter excludes dropped. It reads the index in chunks of exactly the rows still missing from the page (so
 * an unfiltered page costs `limit` status calls) until the page is full, the index ends, or `maxScanned` rows
 * were read — then the page may be short, even empty, and still carry a continuation token.
 */
export async function pageRollouts(sources: RolloutListSources, req: RolloutListRequest): Promise<RolloutListResult> {
  const budget = Math.max(req.limit, req.maxScanned ?? DEFAULT_MAX_ROLLOUTS_SCANNED);
  const wanted = req.runtimeStatus ? new Set<string>(req.runtimeStatus) : undefined;
  const rows: RolloutListRow[] = [];
  let token = req.continuationToken;
  let scanned = 0;
  do {
    const page = await sources.index.listRollouts({ limit: Math.min(req.limit - rows.length, budget - scanned), ...(token ? { continuationToken: token } : {}) });
    scanned += page.items.length;
    const limit = limiter(STATUS_CONCURRENCY);
    const statuses = await Promise.all(page.items.map((e) => limit(() => sources.status(e.rolloutId))));
    page.items.forEach((entry, i) => {
      const instance = statuses[i];
      if (instance && (!wanted || wanted.has(instance.runtimeStatus))) rows.push({ entry, instance });
    });
    // An empty page ends the index (a token with it would send the client round in circles).
    token = page.items.length === 0 ? undefined : page.continuationToken;
  } while (token && rows.length < req.limit && scanned < budget);
  return { rows, ...(token ? { continuationToken: token } : {}) };
}
