/**
 * DecisionStore on SQLite (better-sqlite3), in the same database file as the rollout results
 * (AKSNET_RESULTS_DB, shared/rollout/sqliteStore.ts): what the local host uses. Same behaviour as
 * MemoryDecisionStore: oldest first, continuation token = base64url of the last row id returned.
 *
 * Because it shares the file with SqliteResultStore, `list` adds to each `migrate` decision the result its
 * migration saved (`rollout_clusters` under the instance id: functions/orchestrators/clusterMigration.ts; the
 * table is created by SqliteResultStore, and until it exists there is no result to show). The lock and
 * correlation-id checks remediation makes (docs/remediation.md § Decisions) are asked of the result store itself
 * (functions/eventGrid.ts), not of this store.
 *
 * Built on a file name it opens its own connection; built on a SqliteResultStore it shares that store's open
 * database — the only way to share an in-memory one (AKSNET_RESULTS_DB unset), where two connections would be two
 * separate databases and the listing would never find a migration's result.
 */
import type Database from 'better-sqlite3';
import { armIdKey } from '../arm/id';
import { openSqlite } from '../storage/sqlite';
import type { ClusterResult } from '../migration/result';
import type { DecisionPage, DecisionQuery, DecisionRecord, DecisionStore } from './store';

interface Row {
  seq: number;
  record_json: string;
}

export class SqliteDecisionStore implements DecisionStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private migrationRow?: Database.Statement;
  private readonly eventRow: Database.Statement;
  private readonly lastMigrateRow: Database.Statement;
  private readonly claimRow: Database.Statement;
  private readonly claimPut: Database.Statement;
  private readonly claimDelete: Database.Statement;
  private readonly ownsDb: boolean;

  constructor(source: string | { readonly database: Database.Database } = ':memory:') {
    this.ownsDb = typeof source === 'string';
    this.db = typeof source === 'string' ? openSqlite(source) : source.database;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS remediation_decisions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, cluster_key TEXT, action TEXT NOT NULL,
        event_time TEXT NOT NULL, decided_at TEXT NOT NULL, record_json TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS remediation_decisions_event ON remediation_decisions (event_id);
      CREATE INDEX IF NOT EXISTS remediation_decisions_cluster ON remediation_decisions (cluster_key, action, event_time);
      CREATE TABLE IF NOT EXISTS remediation_start_claims (instance_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires INTEGER NOT NULL);
    `);
    this.insert = this.db.prepare(
      'INSERT INTO remediation_decisions (event_id, cluster_key, action, event_time, decided_at, record_json) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.eventRow = this.db.prepare('SELECT 1 FROM remediation_decisions WHERE event_id = ? LIMIT 1');
    this.lastMigrateRow = this.db.prepare("SELECT MAX(event_time) AS t FROM remediation_decisions WHERE cluster_key = ? AND action = 'migrate'");
    this.claimRow = this.db.prepare('SELECT holder, expires FROM remediation_start_claims WHERE instance_id = ?');
    this.claimPut = this.db.prepare('INSERT OR REPLACE INTO remediation_start_claims (instance_id, holder, expires) VALUES (?, ?, ?)');
    this.claimDelete = this.db.prepare('DELETE FROM remediation_start_claims WHERE instance_id = ? AND holder = ?');
  }

  /** Closes the database it opened (a shared one stays open for its result store). */
  close(): void {
    if (this.ownsDb) this.db.close();
  }

  async record(decision: DecisionRecord): Promise<void> {
    this.insert.run(
      decision.eventId,
      decision.clusterId === undefined ? null : armIdKey(decision.clusterId),
      decision.action,
      decision.eventTime,
      decision.decidedAt,
      JSON.stringify(decision),
    );
  }

  async list(query: DecisionQuery): Promise<DecisionPage> {
    let after = 0;
    if (query.after !== undefined) {
      after = Number(Buffer.from(query.after, 'base64url').toString('utf8'));
      if (!Number.isInteger(after) || after < 0) throw new Error('continuation token is not one this store returned; start again without it');
    }
    const where = ['seq > @after'];
    if (query.clusterId !== undefined) where.push('cluster_key = @cluster');
    // decided_at is ISO-8601 UTC (toISOString), so text order is time order; `since` is normalised the same way.
    if (query.since !== undefined) where.push('decided_at >= @since');
    const rows = this.db
      .prepare(`SELECT seq, record_json FROM remediation_decisions WHERE ${where.join(' AND ')} ORDER BY seq LIMIT @limit`)
      .all({
        after,
        limit: query.limit + 1,
        ...(query.clusterId !== undefined ? { cluster: armIdKey(query.clusterId) } : {}),
        ...(query.since !== undefined ? { since: new Date(query.since).toISOString() } : {}),
      }) as Row[];
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((r) => this.withMigration(JSON.parse(r.record_json) as DecisionRecord)),
      ...(rows.length > query.limit ? { continuationToken: Buffer.from(String(page[page.length - 1].seq)).toString('base64url') } : {}),
    };
  }

  async hasEvent(eventId: string): Promise<boolean> {
    return this.eventRow.get(eventId) !== undefined;
  }

  async lastMigrate(clusterId: string): Promise<string | undefined> {
    const row = this.lastMigrateRow.get(armIdKey(clusterId)) as { t: string | null } | undefined;
    return row?.t ?? undefined;
  }

  async claimStart(instanceId: string, holder: string, now: Date, leaseSeconds: number): Promise<boolean> {
    // One IMMEDIATE transaction: a second process sharing the file waits for it (busy_timeout), then sees the claim.
    const take = this.db.transaction((): boolean => {
      const held = this.claimRow.get(instanceId) as { holder: string; expires: number } | undefined;
      if (held && held.holder !== holder && held.expires > now.getTime()) return false;
      this.claimPut.run(instanceId, holder, now.getTime() + leaseSeconds * 1000);
      return true;
    });
    return take.immediate();
  }

  async releaseStart(instanceId: string, holder: string): Promise<void> {
    this.claimDelete.run(instanceId, holder);
  }

  /** A `migrate` decision with the result its migration saved under the instance id, once it ended. */
  private withMigration(record: DecisionRecord): DecisionRecord {
    if (record.action !== 'migrate' || !record.instanceId) return record;
    // Prepared once the result store has made its table (until then there is no result to show).
    this.migrationRow ??= this.hasTable('rollout_clusters') ? this.db.prepare('SELECT result_json FROM rollout_clusters WHERE rollout_id = ? AND result_json IS NOT NULL LIMIT 1') : undefined;
    if (!this.migrationRow) return record;
    const row = this.migrationRow.get(record.instanceId) as { result_json: string } | undefined;
    return row ? { ...record, migration: JSON.parse(row.result_json) as ClusterResult } : record;
  }

  private hasTable(name: string): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }
}
