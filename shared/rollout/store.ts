/**
 * Where a rollout keeps its per-cluster plan and results (queryable by the HTTP API and the CLI), and the
 * cluster locks that stop two runs from migrating one cluster at once. A port: the local host backs it with
 * SQLite (sqliteStore.ts), Azure with Table storage; tests use the in-memory one.
 *
 * Why not a Durable entity for the lock: the local host has no entity support, and a lease row next to the
 * results needs nothing more than a conditional write (Table storage: ETag; SQLite: one transaction).
 */
import { armIdKey } from '../arm/id';
import type { NapMode } from '../model/facts';
import type { Step, Verdict } from '../model/assessment';
import type { ClusterOutcome, ClusterResult } from '../migration/result';
import type { WindowSource } from './maintenance';

/** One cluster of a rollout: what discovery decided and, once it ran, how it ended. */
export interface RolloutClusterRecord {
  rolloutId: string;
  clusterId: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  /** Undefined when no stage runs it (blocked or compliant at discovery, or no stage selected it). */
  stage?: string;
  stageIndex?: number;
  /** Position inside the stage, 0-based: batches page by it. */
  order?: number;
  verdict: Verdict;
  steps: Step[];
  podCidr?: string;
  napMode: NapMode;
  windows: WindowSource[];
  result?: ClusterResult;
}

export interface ClusterPage {
  items: RolloutClusterRecord[];
  /** Pass back to get the next page; absent on the last page. */
  continuationToken?: string;
}

/**
 * One row of the rollout index: the rollouts this store has seen, so GET /api/rollouts pages them here (newest
 * first) and asks the task hub for one status per listed rollout, instead of reading every Durable instance
 * (each rollout's up to 10,000 cluster migrations included) on every call.
 */
export interface RolloutIndexEntry {
  rolloutId: string;
  /** The spec's name (shown while the orchestration has not published a report yet). */
  name: string;
  target?: string;
  /** ISO 8601 (UTC, ms): when the rollout was registered — the list's order. */
  createdAt: string;
}

export interface RolloutIndexPage {
  items: RolloutIndexEntry[];
  /** Pass back to get the next page; absent on the last page. */
  continuationToken?: string;
}

export interface ResultStore {
  /**
   * Adds the rollout to the index. Idempotent: registering an id again (an activity re-runs, the API and the
   * rollout's first activity both register) keeps the first registration and its createdAt.
   */
  registerRollout(entry: RolloutIndexEntry): Promise<void>;
  /** Pages the index newest first (createdAt descending, then id descending). */
  listRollouts(query?: { limit?: number; continuationToken?: string }): Promise<RolloutIndexPage>;
  /** Stores the plan of a rollout; calling it again with the same records is harmless (activities re-run). */
  savePlan(rolloutId: string, records: RolloutClusterRecord[]): Promise<void>;
  /** Clusters of one stage by `order`, [offset, offset+limit). */
  loadStageBatch(rolloutId: string, stageIndex: number, offset: number, limit: number): Promise<RolloutClusterRecord[]>;
  saveResult(rolloutId: string, result: ClusterResult): Promise<void>;
  /** Pages the clusters of a rollout in id order, optionally only those with one outcome ('pending' = no result yet). */
  listClusters(rolloutId: string, query?: { status?: ClusterOutcome | 'pending'; continuationToken?: string; limit?: number }): Promise<ClusterPage>;
  /**
   * Whether a saved result (of any rollout, or of a migration Event Grid started: its one-record plan) lists this
   * ARM correlation id: one of aksnet's own writes (docs/remediation.md, check 4).
   */
  isOwnCorrelationId(correlationId: string): Promise<boolean>;
}

export type LockResult = { acquired: true } | { acquired: false; holder: string; since: string };

export interface ClusterLocks {
  /** Takes the lock if free, expired, or already held by `owner` (re-entrant: activities re-run). */
  acquire(clusterId: string, owner: string, now: Date, leaseSeconds: number): Promise<LockResult>;
  /** Releases the lock if `owner` holds it; otherwise does nothing. */
  release(clusterId: string, owner: string): Promise<void>;
  /** The owner of the cluster's unexpired lock, if any: the cluster is being migrated (docs/remediation.md, check 6). */
  lockHolder(clusterId: string, now?: Date): Promise<string | undefined>;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function encodeToken(afterKey: string): string {
  return Buffer.from(afterKey, 'utf8').toString('base64url');
}

export function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded.startsWith('/subscriptions/')) throw new Error(`continuationToken '${token.slice(0, 40)}' is not one this API returned: start again without it`);
  return decoded;
}

/** Where a page of the rollout index ended: the last entry's createdAt and id. */
export interface RolloutCursor {
  createdAt: string;
  rolloutId: string;
}

/** The rollout index's continuation token: base64url of `[createdAt, rolloutId]` (the format GET /api/rollouts validates). */
export function encodeRolloutToken(cursor: RolloutCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.rolloutId]), 'utf8').toString('base64url');
}

export function decodeRolloutToken(token: string | undefined): RolloutCursor | undefined {
  if (token === undefined) return undefined;
  const bad = (): Error => new Error(`continuationToken '${token.slice(0, 40)}' is not one this API returned: start again without it`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string' || parsed[1] === '') throw bad();
  const [createdAt, rolloutId] = parsed as [string, string];
  if (Number.isNaN(Date.parse(createdAt)) || new Date(createdAt).toISOString() !== createdAt) throw bad();
  return { createdAt, rolloutId };
}

/** The entry as stored: createdAt normalized to ISO 8601 UTC with ms (the stores order by it as a string). */
export function indexEntry(entry: RolloutIndexEntry): RolloutIndexEntry {
  const t = Date.parse(entry.createdAt);
  if (Number.isNaN(t)) throw new Error(`rollout ${entry.rolloutId}: createdAt '${entry.createdAt}' is not an ISO 8601 time: pass new Date().toISOString()`);
  if (entry.rolloutId === '') throw new Error('registerRollout needs a rollout id');
  return { rolloutId: entry.rolloutId, name: entry.name, ...(entry.target !== undefined ? { target: entry.target } : {}), createdAt: new Date(t).toISOString() };
}

/** Newest first; the same createdAt → by id, descending: a total order, so a cursor is exact. */
export function newestFirst(a: RolloutCursor, b: RolloutCursor): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.rolloutId < b.rolloutId ? 1 : a.rolloutId > b.rolloutId ? -1 : 0;
}

/** An in-memory store: tests, and a single-process run without the local host's database. */
export class MemoryResultStore implements ResultStore, ClusterLocks {
  private readonly rollouts = new Map<string, Map<string, RolloutClusterRecord>>();
  private readonly index = new Map<string, RolloutIndexEntry>();
  private readonly locks = new Map<string, { owner: string; since: string; expires: number }>();

  async registerRollout(entry: RolloutIndexEntry): Promise<void> {
    const e = indexEntry(entry);
    if (!this.index.has(e.rolloutId)) this.index.set(e.rolloutId, e);
  }

  async listRollouts(query: { limit?: number; continuationToken?: string } = {}): Promise<RolloutIndexPage> {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    const after = decodeRolloutToken(query.continuationToken);
    const all = [...this.index.values()].filter((e) => after === undefined || newestFirst(after, e) < 0).sort(newestFirst);
    const page = all.slice(0, limit);
    return { items: page.map((e) => ({ ...e })), ...(all.length > limit ? { continuationToken: encodeRolloutToken(page[page.length - 1]) } : {}) };
  }

  async savePlan(rolloutId: string, records: RolloutClusterRecord[]): Promise<void> {
    const existing = this.rollouts.get(rolloutId) ?? new Map<string, RolloutClusterRecord>();
    for (const r of records) {
      const key = armIdKey(r.clusterId);
      // Keep a result already written: a re-run of discovery must not erase what happened.
      existing.set(key, { ...structuredClone(r), result: existing.get(key)?.result ?? r.result });
    }
    this.rollouts.set(rolloutId, existing);
  }

  async loadStageBatch(rolloutId: string, stageIndex: number, offset: number, limit: number): Promise<RolloutClusterRecord[]> {
    const all = [...(this.rollouts.get(rolloutId)?.values() ?? [])].filter((r) => r.stageIndex === stageIndex);
    return all.sort((a, b) => (a.order ?? 0) - (b.order ?? 0)).slice(offset, offset + limit).map((r) => structuredClone(r));
  }

  async saveResult(rolloutId: string, result: ClusterResult): Promise<void> {
    const rec = this.rollouts.get(rolloutId)?.get(armIdKey(result.clusterId));
    if (!rec) throw new Error(`cluster ${result.clusterId} is not part of rollout ${rolloutId}`);
    rec.result = structuredClone(result);
  }

  async listClusters(rolloutId: string, query: { status?: ClusterOutcome | 'pending'; continuationToken?: string; limit?: number } = {}): Promise<ClusterPage> {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    const after = decodeToken(query.continuationToken);
    const all = [...(this.rollouts.get(rolloutId)?.entries() ?? [])]
      .sort(([a], [b]) => a.localeCompare(b))
      .filter(([key]) => after === undefined || key > after)
      .filter(([, r]) => query.status === undefined || (query.status === 'pending' ? r.result === undefined : r.result?.result === query.status));
    const page = all.slice(0, limit);
    return {
      items: page.map(([, r]) => structuredClone(r)),
      ...(all.length > limit ? { continuationToken: encodeToken(page[page.length - 1][0]) } : {}),
    };
  }

  async acquire(clusterId: string, owner: string, now: Date, leaseSeconds: number): Promise<LockResult> {
    const key = armIdKey(clusterId);
    const held = this.locks.get(key);
    if (held && held.owner !== owner && held.expires > now.getTime()) return { acquired: false, holder: held.owner, since: held.since };
    this.locks.set(key, { owner, since: held?.owner === owner ? held.since : now.toISOString(), expires: now.getTime() + leaseSeconds * 1000 });
    return { acquired: true };
  }

  async release(clusterId: string, owner: string): Promise<void> {
    const key = armIdKey(clusterId);
    if (this.locks.get(key)?.owner === owner) this.locks.delete(key);
  }

  async lockHolder(clusterId: string, now: Date = new Date()): Promise<string | undefined> {
    const held = this.locks.get(armIdKey(clusterId));
    return held && held.expires > now.getTime() ? held.owner : undefined;
  }

  async isOwnCorrelationId(correlationId: string): Promise<boolean> {
    for (const records of this.rollouts.values()) {
      for (const r of records.values()) if (r.result?.correlationIds.includes(correlationId)) return true;
    }
    return false;
  }
}
