/**
 * Decision records: every event's decision — why acted, why ignored — kept and queryable. A port: functions/
 * backs it with the same store as the rollout results (SQLite locally, Table storage in Azure:
 * sqliteDecisionStore.ts, tableDecisionStore.ts); tests and a
 * single process use {@link MemoryDecisionStore}.
 */
import { armIdKey } from '../arm/id';
import { limiter } from '../azure/limit';
import type { ClusterResult } from '../migration/result';
import type { ResultStore } from '../rollout/store';
import type { Decision, RemediationAction } from './decide';
import type { WritePrincipal } from './events';

export interface DecisionRecord {
  /** When the decision was taken. */
  decidedAt: string;
  eventId: string;
  eventType: string;
  eventTime: string;
  clusterId?: string;
  action: RemediationAction;
  reason: string;
  principal?: WritePrincipal;
  correlationId?: string;
  /** For `migrate`: the clusterMigration instance id, and whether this decision started it or found it started. */
  instanceId?: string;
  started?: boolean;
  dedupeKey: string;
  /**
   * In `list` answers only, never recorded: for `migrate`, the migration's result once it ended. The run saves it
   * under its instance id as a one-record plan in the result store (functions/orchestrators/clusterMigration.ts),
   * where its correlation ids also mark later events as aksnet's own writes.
   */
  migration?: ClusterResult;
}

export interface DecisionQuery {
  clusterId?: string;
  /** Decisions taken at or after this ISO time. */
  since?: string;
  limit: number;
  /** A continuation token from a previous page. */
  after?: string;
}

export interface DecisionPage {
  items: DecisionRecord[];
  continuationToken?: string;
}

export interface DecisionStore {
  record(decision: DecisionRecord): Promise<void>;
  /** Oldest first. */
  list(query: DecisionQuery): Promise<DecisionPage>;
  /** Whether a decision for this event id is recorded (duplicate delivery). */
  hasEvent(eventId: string): Promise<boolean>;
  /** The event time of the latest `migrate` decision for the cluster, if any. */
  lastMigrate(clusterId: string): Promise<string | undefined>;
  /**
   * Claims the start of one migration instance for `holder`: true when it is now `holder`'s (free, lapsed, or
   * already its own), false while another holder's claim lasts. Atomic across app instances: two deliveries
   * deciding the same migration at once (Event Grid redelivers, several instances run) never both start it.
   * remediate.ts holds the claim only around its check-then-start; a crashed holder's claim lapses.
   */
  claimStart(instanceId: string, holder: string, now: Date, leaseSeconds: number): Promise<boolean>;
  /** Gives a claim back if `holder` has it; otherwise does nothing. */
  releaseStart(instanceId: string, holder: string): Promise<void>;
}

/** Result look-ups of one page at once: a page holds up to 1,000 decisions, one query each, not one after another. */
const RESULT_READS = 16;

/** Adds the migration result (kept in `results` under the instance id) to each `migrate` decision of a page. */
export async function withMigrationResults(page: DecisionPage, results: Pick<ResultStore, 'listClusters'>): Promise<DecisionPage> {
  const read = limiter(RESULT_READS);
  await Promise.all(
    page.items.map(async (item) => {
      if (item.action !== 'migrate' || !item.instanceId) return;
      const instanceId = item.instanceId;
      // Each look-up writes its own decision: the answers line up whatever order they arrive in.
      const result = (await read(() => results.listClusters(instanceId, { limit: 1 }))).items[0]?.result;
      if (result) item.migration = result;
    }),
  );
  return page;
}

export function toRecord(decision: Decision, decidedAt: Date, started?: boolean): DecisionRecord {
  return {
    decidedAt: decidedAt.toISOString(),
    eventId: decision.eventId,
    eventType: decision.eventType,
    eventTime: decision.eventTime,
    ...(decision.clusterId ? { clusterId: decision.clusterId } : {}),
    action: decision.action,
    reason: decision.reason,
    ...(decision.principal ? { principal: decision.principal } : {}),
    ...(decision.correlationId ? { correlationId: decision.correlationId } : {}),
    ...(decision.instanceId ? { instanceId: decision.instanceId } : {}),
    ...(started !== undefined ? { started } : {}),
    dedupeKey: decision.dedupeKey,
  };
}

export class MemoryDecisionStore implements DecisionStore {
  private readonly records: DecisionRecord[] = [];

  /** `results`: where migrations keep their results, for `list` to show them beside their decisions. */
  constructor(private readonly results?: Pick<ResultStore, 'listClusters'>) {}
  private readonly claims = new Map<string, { holder: string; expires: number }>();

  async record(decision: DecisionRecord): Promise<void> {
    this.records.push(structuredClone(decision));
  }

  async list(query: DecisionQuery): Promise<DecisionPage> {
    const start = query.after === undefined ? 0 : Number(Buffer.from(query.after, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new Error('continuation token is not one this store returned; start again without it');
    const key = query.clusterId === undefined ? undefined : armIdKey(query.clusterId);
    const since = query.since === undefined ? undefined : Date.parse(query.since);
    const matches: Array<[number, DecisionRecord]> = [];
    for (let i = start; i < this.records.length && matches.length <= query.limit; i++) {
      const r = this.records[i];
      if (key !== undefined && (r.clusterId === undefined || armIdKey(r.clusterId) !== key)) continue;
      if (since !== undefined && Date.parse(r.decidedAt) < since) continue;
      matches.push([i, r]);
    }
    const page = matches.slice(0, query.limit);
    const out: DecisionPage = {
      items: page.map(([, r]) => structuredClone(r)),
      ...(matches.length > query.limit ? { continuationToken: Buffer.from(String(page[page.length - 1][0] + 1)).toString('base64url') } : {}),
    };
    return this.results ? withMigrationResults(out, this.results) : out;
  }

  async hasEvent(eventId: string): Promise<boolean> {
    return this.records.some((r) => r.eventId === eventId);
  }

  async lastMigrate(clusterId: string): Promise<string | undefined> {
    const key = armIdKey(clusterId);
    let latest: string | undefined;
    for (const r of this.records) {
      if (r.action === 'migrate' && r.clusterId !== undefined && armIdKey(r.clusterId) === key && (latest === undefined || r.eventTime > latest)) latest = r.eventTime;
    }
    return latest;
  }

  async claimStart(instanceId: string, holder: string, now: Date, leaseSeconds: number): Promise<boolean> {
    const held = this.claims.get(instanceId);
    if (held && held.holder !== holder && held.expires > now.getTime()) return false;
    this.claims.set(instanceId, { holder, expires: now.getTime() + leaseSeconds * 1000 });
    return true;
  }

  async releaseStart(instanceId: string, holder: string): Promise<void> {
    if (this.claims.get(instanceId)?.holder === holder) this.claims.delete(instanceId);
  }
}
