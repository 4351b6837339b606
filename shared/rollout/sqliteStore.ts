/**
 * ResultStore + ClusterLocks on SQLite (better-sqlite3): what the local host uses, in a file of its own or in
 * memory. Same behaviour as MemoryResultStore (the store tests run against both). Statements are prepared once;
 * a lock is taken in one transaction, so two runs in two processes sharing the file cannot both win.
 */
import type Database from 'better-sqlite3';
import { armIdKey } from '../arm/id';
import { openSqlite } from '../storage/sqlite';
import type { ClusterOutcome, ClusterResult } from '../migration/result';
import {
  decodeRolloutToken,
  decodeToken,
  DEFAULT_PAGE_SIZE,
  encodeRolloutToken,
  encodeToken,
  indexEntry,
  MAX_PAGE_SIZE,
  type ClusterLocks,
  type ClusterPage,
  type LockResult,
  type ResultStore,
  type RolloutClusterRecord,
  type RolloutIndexEntry,
  type RolloutIndexPage,
} from './store';

interface Row {
  cluster_key: string;
  record_json: string;
  result_json: string | null;
}

export class SqliteResultStore implements ResultStore, ClusterLocks {
  private readonly db: Database.Database;
  private readonly upsertPlan: Database.Statement;
  private readonly setResult: Database.Statement;
  private readonly batch: Database.Statement;
  private readonly lockRow: Database.Statement;
  private readonly lockPut: Database.Statement;
  private readonly lockDelete: Database.Statement;
  private readonly indexInsert: Database.Statement;
  private readonly ownCorrelation: Database.Statement;
  private readonly newestRollouts: Database.Statement;
  private readonly olderRollouts: Database.Statement;

  constructor(file = ':memory:') {
    this.db = openSqlite(file);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS rollout_clusters (
        rollout_id TEXT NOT NULL, cluster_key TEXT NOT NULL, stage_index INTEGER, ord INTEGER,
        record_json TEXT NOT NULL, outcome TEXT, result_json TEXT,
        PRIMARY KEY (rollout_id, cluster_key));
      CREATE INDEX IF NOT EXISTS rollout_clusters_stage ON rollout_clusters (rollout_id, stage_index, ord);
      CREATE INDEX IF NOT EXISTS rollout_clusters_outcome ON rollout_clusters (rollout_id, outcome, cluster_key);
      CREATE TABLE IF NOT EXISTS cluster_locks (cluster_key TEXT PRIMARY KEY, owner TEXT NOT NULL, since TEXT NOT NULL, expires INTEGER NOT NULL);
      -- The rollout index (GET /api/rollouts). Created if missing: a results file from before it keeps working,
      -- its earlier rollouts are simply not indexed.
      CREATE TABLE IF NOT EXISTS rollouts (rollout_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, name TEXT NOT NULL, target TEXT);
      CREATE INDEX IF NOT EXISTS rollouts_newest ON rollouts (created_at DESC, rollout_id DESC);
    `);
    this.upsertPlan = this.db.prepare(`
      INSERT INTO rollout_clusters (rollout_id, cluster_key, stage_index, ord, record_json, outcome, result_json)
      VALUES (@rollout, @key, @stage, @ord, @record, @outcome, @result)
      ON CONFLICT (rollout_id, cluster_key) DO UPDATE SET
        stage_index = excluded.stage_index, ord = excluded.ord, record_json = excluded.record_json,
        outcome = COALESCE(rollout_clusters.outcome, excluded.outcome),
        result_json = COALESCE(rollout_clusters.result_json, excluded.result_json)`);
    this.setResult = this.db.prepare('UPDATE rollout_clusters SET outcome = ?, result_json = ? WHERE rollout_id = ? AND cluster_key = ?');
    this.batch = this.db.prepare('SELECT cluster_key, record_json, result_json FROM rollout_clusters WHERE rollout_id = ? AND stage_index = ? ORDER BY ord LIMIT ? OFFSET ?');
    this.lockRow = this.db.prepare('SELECT owner, since, expires FROM cluster_locks WHERE cluster_key = ?');
    this.lockPut = this.db.prepare('INSERT OR REPLACE INTO cluster_locks (cluster_key, owner, since, expires) VALUES (?, ?, ?, ?)');
    this.lockDelete = this.db.prepare('DELETE FROM cluster_locks WHERE cluster_key = ? AND owner = ?');
    // First registration wins (the API and the rollout's first activity both register; activities re-run).
    this.indexInsert = this.db.prepare('INSERT OR IGNORE INTO rollouts (rollout_id, created_at, name, target) VALUES (@rolloutId, @createdAt, @name, @target)');
    // ISO 8601 UTC times with ms (indexEntry normalizes them) sort as strings; the row-value comparison is the
    // cursor "older than, or as old with a smaller id", served by the rollouts_newest index.
    const rollouts = 'SELECT rollout_id, created_at, name, target FROM rollouts';
    const newestFirst = 'ORDER BY created_at DESC, rollout_id DESC LIMIT @limit';
    this.newestRollouts = this.db.prepare(`${rollouts} ${newestFirst}`);
    this.olderRollouts = this.db.prepare(`${rollouts} WHERE (created_at, rollout_id) < (@createdAt, @rolloutId) ${newestFirst}`);
    this.ownCorrelation = this.db.prepare(
      "SELECT 1 FROM rollout_clusters, json_each(rollout_clusters.result_json, '$.correlationIds') AS c WHERE rollout_clusters.result_json IS NOT NULL AND c.value = ? LIMIT 1",
    );
  }

  close(): void {
    this.db.close();
  }

  /** The open database, for the remediation decisions kept beside the results (SqliteDecisionStore). */
  get database(): Database.Database {
    return this.db;
  }

  private static toRecord(row: Row): RolloutClusterRecord {
    const rec = JSON.parse(row.record_json) as RolloutClusterRecord;
    if (row.result_json) rec.result = JSON.parse(row.result_json) as ClusterResult;
    return rec;
  }

  async savePlan(rolloutId: string, records: RolloutClusterRecord[]): Promise<void> {
    const insert = this.db.transaction((rs: RolloutClusterRecord[]) => {
      for (const r of rs) {
        const { result, ...record } = r;
        this.upsertPlan.run({
          rollout: rolloutId,
          key: armIdKey(r.clusterId),
          stage: r.stageIndex ?? null,
          ord: r.order ?? null,
          record: JSON.stringify(record),
          outcome: result?.result ?? null,
          result: result ? JSON.stringify(result) : null,
        });
      }
    });
    insert(records);
  }

  async registerRollout(entry: RolloutIndexEntry): Promise<void> {
    const e = indexEntry(entry);
    this.indexInsert.run({ rolloutId: e.rolloutId, createdAt: e.createdAt, name: e.name, target: e.target ?? null });
  }

  async listRollouts(query: { limit?: number; continuationToken?: string } = {}): Promise<RolloutIndexPage> {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    const after = decodeRolloutToken(query.continuationToken);
    const rows = (after ? this.olderRollouts : this.newestRollouts).all({ limit: limit + 1, ...(after ?? {}) }) as Array<{ rollout_id: string; created_at: string; name: string; target: string | null }>;
    const items = rows.slice(0, limit).map((r): RolloutIndexEntry => ({ rolloutId: r.rollout_id, name: r.name, ...(r.target !== null ? { target: r.target } : {}), createdAt: r.created_at }));
    return { items, ...(rows.length > limit ? { continuationToken: encodeRolloutToken(items[items.length - 1]) } : {}) };
  }

  async loadStageBatch(rolloutId: string, stageIndex: number, offset: number, limit: number): Promise<RolloutClusterRecord[]> {
    return (this.batch.all(rolloutId, stageIndex, limit, offset) as Row[]).map(SqliteResultStore.toRecord);
  }

  async saveResult(rolloutId: string, result: ClusterResult): Promise<void> {
    const info = this.setResult.run(result.result, JSON.stringify(result), rolloutId, armIdKey(result.clusterId));
    if (info.changes === 0) throw new Error(`cluster ${result.clusterId} is not part of rollout ${rolloutId}`);
  }

  async listClusters(rolloutId: string, query: { status?: ClusterOutcome | 'pending'; continuationToken?: string; limit?: number } = {}): Promise<ClusterPage> {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    const after = decodeToken(query.continuationToken) ?? '';
    const where = query.status === undefined ? '' : query.status === 'pending' ? 'AND outcome IS NULL' : 'AND outcome = @status';
    const rows = this.db
      .prepare(`SELECT cluster_key, record_json, result_json FROM rollout_clusters WHERE rollout_id = @rollout AND cluster_key > @after ${where} ORDER BY cluster_key LIMIT @limit`)
      .all({ rollout: rolloutId, after, limit: limit + 1, ...(query.status && query.status !== 'pending' ? { status: query.status } : {}) }) as Row[];
    const page = rows.slice(0, limit);
    return { items: page.map(SqliteResultStore.toRecord), ...(rows.length > limit ? { continuationToken: encodeToken(page[page.length - 1].cluster_key) } : {}) };
  }

  async acquire(clusterId: string, owner: string, now: Date, leaseSeconds: number): Promise<LockResult> {
    const take = this.db.transaction((): LockResult => {
      const key = armIdKey(clusterId);
      const held = this.lockRow.get(key) as { owner: string; since: string; expires: number } | undefined;
      if (held && held.owner !== owner && held.expires > now.getTime()) return { acquired: false, holder: held.owner, since: held.since };
      this.lockPut.run(key, owner, held?.owner === owner ? held.since : now.toISOString(), now.getTime() + leaseSeconds * 1000);
      return { acquired: true };
    });
    return take.immediate();
  }

  async release(clusterId: string, owner: string): Promise<void> {
    this.lockDelete.run(armIdKey(clusterId), owner);
  }

  async lockHolder(clusterId: string, now: Date = new Date()): Promise<string | undefined> {
    const held = this.lockRow.get(armIdKey(clusterId)) as { owner: string; expires: number } | undefined;
    return held && held.expires > now.getTime() ? held.owner : undefined;
  }

  async isOwnCorrelationId(correlationId: string): Promise<boolean> {
    return this.ownCorrelation.get(correlationId) !== undefined;
  }
}
