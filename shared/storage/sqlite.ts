/**
 * Opens the local host's SQLite database (AKSNET_RESULTS_DB) the one way every store opens it: the rollout
 * results and locks (shared/rollout/sqliteStore.ts) and the remediation decisions
 * (shared/remediation/sqliteDecisionStore.ts) share the file, and must agree on the pragmas.
 */
import Database from 'better-sqlite3';

export function openSqlite(file: string): Database.Database {
  const db = new Database(file);
  // WAL: readers (the HTTP API) never block the writer (an activity); two processes may share the file.
  db.pragma('journal_mode = WAL');
  // A second process writing at the same moment waits instead of failing at once with SQLITE_BUSY.
  db.pragma('busy_timeout = 5000');
  return db;
}
