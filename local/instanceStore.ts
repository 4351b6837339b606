import Database from 'better-sqlite3';
import type { HistoryEvent } from './history';

/**
 * SQLite persistence for the local task hub: instances, their history (current execution), the
 * orchestration inbox (messages not yet added to a history, timers included, visible from
 * `visible_at`) and the activity work items. Every episode commits in one transaction, so a process
 * killed at any moment restarts from a consistent state (work items still present run again:
 * at-least-once, as in Azure).
 */

export type RuntimeStatus = 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Pending' | 'Suspended';
export const terminalStatuses: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export interface InstanceRow {
  instance_id: string;
  name: string;
  execution_id: string;
  status: RuntimeStatus;
  input: string | null;
  output: string | null;
  custom_status: string | null;
  created_time: string;
  last_updated_time: string;
  parent_instance_id: string | null;
  parent_execution_id: string | null;
  parent_task_id: number | null;
}

export interface InboxRow {
  id: number;
  instance_id: string;
  execution_id: string | null;
  event: string;
  visible_at: number;
}

export interface WorkRow {
  id: number;
  instance_id: string;
  execution_id: string;
  task_id: number;
  name: string;
  input: string;
}

export interface NewInboxMessage {
  instanceId: string;
  executionId: string | null;
  event: HistoryEvent;
  visibleAt: number;
}

export interface EpisodeCommit {
  instanceId: string;
  /** Replace the stored history (continue-as-new / restart) before appending. */
  resetHistory: boolean;
  firstSeq: number;
  newEvents: HistoryEvent[];
  consumedInbox: number[];
  /** Work items whose results this episode delivered (results kept in memory until then). */
  completedWork?: number[];
  work: { executionId: string; taskId: number; name: string; input: string }[];
  messages: NewInboxMessage[];
  newInstances: InstanceRow[];
  instance: Partial<InstanceRow> & { instance_id: string };
}

export interface InstanceQuery {
  statuses?: RuntimeStatus[];
  createdFrom?: string;
  createdTo?: string;
  instanceIdPrefix?: string;
  limit: number;
  offset: number;
}

export class InstanceStore {
  readonly db: Database.Database;
  private readonly stmts: ReturnType<InstanceStore['prepare']>;
  private readonly updates = new Map<string, Database.Statement>();
  private nextInboxId: number;
  /** Committed episodes' last_updated_time not written to the file yet (patchInstance): every read sees it; close writes it. */
  private readonly unsavedTimes = new Map<string, string>();
  private nextWorkId: number;
  /**
   * Rows of the instances that are not finished, as last written: every episode reads its instance's row, and this
   * store is the only writer of the table (one host per task hub file), so the row is read from SQLite once per
   * instance instead of once per episode. Changed only after a transaction commits; finished instances leave it.
   */
  private readonly rows = new Map<string, InstanceRow>();
  /**
   * Inbox rows per instance (the store is the inbox's only writer): an episode that an activity result woke reads
   * its inbox only when something is in it — most episodes' inbox is empty, and the query was ~16 µs of each.
   * Unknown (undefined: every inbox is read) after a transaction failed, until counted again from the file.
   */
  private inboxCounts: Map<string, number> | undefined = new Map<string, number>();
  /**
   * Row changes of the transaction in progress, applied to `rows` once it commits. `timeOnly`: an episode that moved
   * only last_updated_time, not written (patchInstance); `timeWritten`: an UPDATE that wrote it.
   */
  private rowChanges: Array<{ id: string; row?: InstanceRow; patch?: Partial<InstanceRow>; timeOnly?: boolean; timeWritten?: boolean }> = [];

  /** Held for the store's life on a file-backed hub: see claimFile. */
  private readonly owner?: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') this.owner = InstanceStore.claimFile(file);
    this.db = new Database(file);
    if (file !== ':memory:') {
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process kill (only an OS crash can lose the last commits).
      this.db.pragma('synchronous = NORMAL');
      // Performance only (docs/benchmarks.md § Rollout): a 32 MB page cache that holds a fleet's hot pages (the
      // default 2 MB re-reads history pages from the file on commits), and a checkpoint every ~40 MB of WAL instead of
      // every 4 MB (pages rewritten by many episodes are copied back once).
      this.db.pragma('cache_size = -32768');
      this.db.pragma('wal_autocheckpoint = 10000');
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS instances (
        instance_id TEXT PRIMARY KEY, name TEXT NOT NULL, execution_id TEXT NOT NULL, status TEXT NOT NULL,
        input TEXT, output TEXT, custom_status TEXT, created_time TEXT NOT NULL, last_updated_time TEXT NOT NULL,
        parent_instance_id TEXT, parent_execution_id TEXT, parent_task_id INTEGER);
      CREATE INDEX IF NOT EXISTS instances_created ON instances(created_time);
      CREATE TABLE IF NOT EXISTS history (instance_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (instance_id, seq)) WITHOUT ROWID;
      CREATE VIEW IF NOT EXISTS history_events AS
        SELECT h.instance_id AS instance_id, h.seq + CAST(j.key AS INTEGER) AS seq, j.value AS event
        FROM history h, json_each(CASE WHEN json_type(h.event) = 'array' THEN h.event ELSE json_array(json(h.event)) END) j;
      CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, instance_id TEXT NOT NULL, execution_id TEXT, event TEXT NOT NULL, visible_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS inbox_instance ON inbox(instance_id, id);
      CREATE TABLE IF NOT EXISTS work (id INTEGER PRIMARY KEY, instance_id TEXT NOT NULL, execution_id TEXT NOT NULL, task_id INTEGER NOT NULL, name TEXT NOT NULL, input TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.stmts = this.prepare();
    this.nextInboxId = this.highestId('inbox') + 1;
    this.countInbox();
    this.nextWorkId = this.highestId('work') + 1;
  }

  /**
   * One host per task hub file: this store is the only writer of its tables (its caches, counts and ids rely on it), and
   * two hosts on one file would both run its work items — two PUTs for one step. An exclusive SQLite lock on a file
   * beside it (`<file>-owner`), taken here and held until close, makes a second host refuse at once; the operating
   * system drops it when the process dies (a restart after a kill takes it again). Hand-written: no npm package locks
   * a file across processes without a native build of its own, and better-sqlite3 is already here.
   */
  private static claimFile(file: string): Database.Database {
    const lock = new Database(`${file}-owner`, { timeout: 0 });
    try {
      lock.pragma('locking_mode = EXCLUSIVE');
      lock.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER, since TEXT)');
      lock.prepare('INSERT INTO owner (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
      lock.exec('DELETE FROM owner WHERE rowid < (SELECT MAX(rowid) FROM owner)');
    } catch (err) {
      lock.close();
      // by code and text, not `instanceof Error`: the native module's errors may come from another realm (jest's vm)
      const e = err as { code?: unknown; message?: unknown };
      if (/SQLITE_BUSY|SQLITE_LOCKED|database is locked/i.test(`${String(e?.code ?? '')} ${String(e?.message ?? err)}`)) {
        throw new Error(`the task hub file ${file} is in use by another aksnet host; stop that host, or give this one another file (--db)`);
      }
      throw err;
    }
    return lock;
  }

  /**
   * Inbox and work ids are handed out here, rising for the process's life, instead of by AUTOINCREMENT: that writes
   * the sqlite_sequence page in every transaction (a page per commit is ~50 µs here), and a plain rowid may be
   * reused once the highest row is gone — while a running activity of a purged instance still holds its work id.
   * Nothing keeps an id across a restart (pending work and inbox are read again), so the next id after a restart
   * only has to pass the ids in the file (and a sequence an earlier version of this file left).
   */
  private highestId(table: 'inbox' | 'work'): number {
    const max = this.db.prepare<[], { m: number | null }>(`SELECT MAX(id) AS m FROM ${table}`).get()?.m ?? 0;
    const hasSequence = this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get() !== undefined;
    const seq = hasSequence ? (this.db.prepare<[string], { seq: number }>('SELECT seq FROM sqlite_sequence WHERE name = ?').get(table)?.seq ?? 0) : 0;
    return Math.max(max, seq);
  }

  private prepare() {
    const db = this.db;
    return {
      getInstance: db.prepare<[string], InstanceRow>('SELECT * FROM instances WHERE instance_id = ?'),
      insertInstance: db.prepare(
        `INSERT OR REPLACE INTO instances (instance_id, name, execution_id, status, input, output, custom_status, created_time, last_updated_time, parent_instance_id, parent_execution_id, parent_task_id)
         VALUES (@instance_id, @name, @execution_id, @status, @input, @output, @custom_status, @created_time, @last_updated_time, @parent_instance_id, @parent_execution_id, @parent_task_id)`,
      ),
      history: db.prepare<[string], { seq: number; event: string }>('SELECT seq, event FROM history WHERE instance_id = ? ORDER BY seq'),
      insertHistory: db.prepare('INSERT OR REPLACE INTO history (instance_id, seq, event) VALUES (?, ?, ?)'),
      deleteHistory: db.prepare('DELETE FROM history WHERE instance_id = ?'),
      inboxFor: db.prepare<[string], InboxRow>('SELECT * FROM inbox WHERE instance_id = ? ORDER BY id'),
      insertInbox: db.prepare('INSERT INTO inbox (id, instance_id, execution_id, event, visible_at) VALUES (?, ?, ?, ?, ?)'),
      deleteInbox: db.prepare('DELETE FROM inbox WHERE id = ?'),
      deleteInboxFor: db.prepare('DELETE FROM inbox WHERE instance_id = ?'),
      allInbox: db.prepare<[], { instance_id: string; visible_at: number }>('SELECT instance_id, MIN(visible_at) AS visible_at FROM inbox GROUP BY instance_id'),
      futureInbox: db.prepare<[], { instance_id: string; visible_at: number }>('SELECT instance_id, visible_at FROM inbox'),
      insertWork: db.prepare('INSERT INTO work (id, instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?, ?)'),
      deleteWork: db.prepare('DELETE FROM work WHERE id = ?'),
      deleteWorkFor: db.prepare('DELETE FROM work WHERE instance_id = ?'),
      allWork: db.prepare<[], WorkRow>('SELECT * FROM work ORDER BY id'),
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  getInstance(instanceId: string): InstanceRow | undefined {
    const cached = this.rows.get(instanceId);
    if (cached) return { ...cached };
    const row = this.withUnsavedTime(this.stmts.getInstance.get(instanceId));
    if (row && !terminalStatuses.has(row.status)) this.rows.set(instanceId, { ...row });
    return row;
  }

  private countInbox(): void {
    const counts = this.db.prepare<[], { instance_id: string; n: number }>('SELECT instance_id, COUNT(*) AS n FROM inbox GROUP BY instance_id').all();
    this.inboxCounts = new Map(counts.map((c) => [c.instance_id, c.n]));
  }

  private countInboxChange(instanceId: string, by: number): void {
    if (!this.inboxCounts) return;
    const n = (this.inboxCounts.get(instanceId) ?? 0) + by;
    if (n > 0) this.inboxCounts.set(instanceId, n);
    else this.inboxCounts.delete(instanceId);
  }

  /** Runs `body` in a transaction; the cached rows follow only once it has committed. */
  private write<T>(body: () => T): T {
    this.rowChanges = [];
    let out: T;
    try {
      out = this.db.transaction(body)();
    } catch (err) {
      this.rowChanges = [];
      // not knowing what was rolled back: rows read again, inbox counts counted again at the next read (unsaved
      // times are those of committed episodes: they stay)
      this.rows.clear();
      this.inboxCounts = undefined;
      throw err;
    }
    for (const c of this.rowChanges) {
      const row = c.row ? { ...c.row } : this.rows.get(c.id) ? { ...(this.rows.get(c.id) as InstanceRow), ...c.patch } : undefined;
      if (!row || terminalStatuses.has(row.status)) this.rows.delete(c.id);
      else this.rows.set(c.id, row);
      if (c.timeOnly && c.patch?.last_updated_time) this.unsavedTimes.set(c.id, c.patch.last_updated_time);
      else if (c.timeWritten || c.row) this.unsavedTimes.delete(c.id);
    }
    this.rowChanges = [];
    return out;
  }

  /** The current execution's history: each row holds one episode's events (a JSON array; files of earlier versions: one event each). */
  loadHistory(instanceId: string): HistoryEvent[] {
    const events: HistoryEvent[] = [];
    for (const r of this.stmts.history.all(instanceId)) {
      const parsed = JSON.parse(r.event) as HistoryEvent | HistoryEvent[];
      if (Array.isArray(parsed)) events.push(...parsed);
      else events.push(parsed);
    }
    return events;
  }

  inbox(instanceId: string): InboxRow[] {
    if (!this.inboxCounts) {
      try {
        this.countInbox();
      } catch {
        // counted again at the next read; until then every inbox is read
      }
    }
    if (this.inboxCounts && !this.inboxCounts.has(instanceId)) return [];
    return this.stmts.inboxFor.all(instanceId);
  }

  /** Instance id → earliest visible_at of its inbox, for the dispatcher after a restart. */
  pendingInbox(): { instance_id: string; visible_at: number }[] {
    return this.stmts.futureInbox.all();
  }

  pendingWork(): WorkRow[] {
    return this.stmts.allWork.all();
  }

  getMeta(key: string): string | undefined {
    return this.stmts.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
  }

  /** A new instance (or a restart over a finished one): row, cleared history/inbox, ExecutionStarted message. */
  createInstance(row: InstanceRow, start: NewInboxMessage): void {
    this.write(() => {
      this.stmts.deleteHistory.run(row.instance_id);
      this.stmts.deleteInboxFor.run(row.instance_id);
      this.inboxCounts?.delete(row.instance_id);
      this.stmts.deleteWorkFor.run(row.instance_id);
      this.insertInstance(row);
      this.insertMessage(start);
    });
  }

  private insertInstance(row: InstanceRow): void {
    this.stmts.insertInstance.run(row);
    this.rowChanges.push({ id: row.instance_id, row });
  }

  enqueue(message: NewInboxMessage): number {
    return this.insertMessage(message);
  }

  private insertMessage(m: NewInboxMessage): number {
    const id = this.nextInboxId++;
    this.stmts.insertInbox.run(id, m.instanceId, m.executionId, JSON.stringify(m.event), m.visibleAt);
    this.countInboxChange(m.instanceId, 1);
    return id;
  }

  /** Activity result: the work item goes, its completion message arrives, in one transaction. */
  completeWork(workId: number, message: NewInboxMessage | undefined): void {
    this.write(() => {
      this.stmts.deleteWork.run(workId);
      if (message) this.insertMessage(message);
    });
  }

  /** Commits one orchestration episode; returns the ids of inserted work items and messages. */
  commitEpisode(c: EpisodeCommit): { workIds: number[]; messageIds: number[] } {
    return this.commitEpisodes([c])[0];
  }

  /**
   * Group commit: several episodes (of different instances) in one transaction, in order. A commit costs about as
   * much as the rows it writes again (the WAL frames of every page it dirtied: ~50 µs on this machine's disk,
   * docs/benchmarks.md § Rollout); episodes ready together share it. All or none: the caller dispatches their
   * effects only after this returns.
   */
  commitEpisodes(commits: EpisodeCommit[]): { workIds: number[]; messageIds: number[] }[] {
    const out: { workIds: number[]; messageIds: number[] }[] = [];
    this.write(() => {
      for (const c of commits) out.push(this.writeEpisode(c));
    });
    return out;
  }

  private writeEpisode(c: EpisodeCommit): { workIds: number[]; messageIds: number[] } {
    const workIds: number[] = [];
    const messageIds: number[] = [];
    if (c.resetHistory) this.stmts.deleteHistory.run(c.instanceId);
    // One row per episode, keyed by the position of its first event (the view history_events lists them one by one):
    // a row per event cost a statement each, 4–6 per episode (docs/benchmarks.md § Rollout).
    if (c.newEvents.length > 0) this.stmts.insertHistory.run(c.instanceId, c.firstSeq, JSON.stringify(c.newEvents));
    // an episode consumes only its own instance's messages
    for (const id of c.consumedInbox) this.countInboxChange(c.instanceId, -this.stmts.deleteInbox.run(id).changes);
    for (const id of c.completedWork ?? []) this.stmts.deleteWork.run(id);
    for (const w of c.work) {
      const id = this.nextWorkId++;
      this.stmts.insertWork.run(id, c.instanceId, w.executionId, w.taskId, w.name, w.input);
      workIds.push(id);
    }
    for (const row of c.newInstances) {
      this.stmts.deleteHistory.run(row.instance_id);
      this.stmts.deleteInboxFor.run(row.instance_id);
      this.inboxCounts?.delete(row.instance_id);
      this.insertInstance(row);
    }
    for (const m of c.messages) messageIds.push(this.insertMessage(m));
    this.patchInstance(c.instance);
    return { workIds, messageIds };
  }

  /**
   * UPDATE of the given columns only (one prepared statement per column set). A running instance's episode that
   * changed nothing but `last_updated_time` (most polls of a followOperation: same status, no custom status) writes
   * nothing: the time is kept in the cached row — what every status read returns — and goes to the file with the
   * instance's next real change, or at close. After a kill the file may show an earlier last-updated time for such an
   * instance; the rows a replay depends on (history, inbox, work, status) are never held back. The comparison is with
   * the committed row: a transaction holds at most one episode per instance (runBatch takes each ready instance once).
   */
  private patchInstance(patch: Partial<InstanceRow> & { instance_id: string }): void {
    const columns = Object.keys(patch).filter((k) => k !== 'instance_id' && (patch as Record<string, unknown>)[k] !== undefined);
    if (columns.length === 0) return;
    const cached = this.rows.get(patch.instance_id);
    const values = patch as Record<string, unknown>;
    if (cached && columns.every((c) => c === 'last_updated_time' || (cached as unknown as Record<string, unknown>)[c] === values[c])) {
      if (patch.last_updated_time !== undefined) this.rowChanges.push({ id: patch.instance_id, patch: { last_updated_time: patch.last_updated_time }, timeOnly: true });
      return;
    }
    const key = columns.join(',');
    let stmt = this.updates.get(key);
    if (!stmt) {
      stmt = this.db.prepare(`UPDATE instances SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE instance_id = @instance_id`);
      this.updates.set(key, stmt);
    }
    stmt.run(patch);
    this.rowChanges.push({
      id: patch.instance_id,
      patch: Object.fromEntries(columns.map((c) => [c, (patch as Record<string, unknown>)[c]])) as Partial<InstanceRow>,
      timeWritten: patch.last_updated_time !== undefined,
    });
  }

  purge(instanceId: string): boolean {
    let deleted = 0;
    this.write(() => {
      deleted = this.db.prepare('DELETE FROM instances WHERE instance_id = ?').run(instanceId).changes;
      this.stmts.deleteHistory.run(instanceId);
      this.stmts.deleteInboxFor.run(instanceId);
      this.inboxCounts?.delete(instanceId);
      this.stmts.deleteWorkFor.run(instanceId);
    });
    this.rows.delete(instanceId);
    this.unsavedTimes.delete(instanceId);
    return deleted > 0;
  }

  queryInstances(q: InstanceQuery): InstanceRow[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.statuses && q.statuses.length > 0) {
      where.push(`status IN (${q.statuses.map(() => '?').join(',')})`);
      params.push(...q.statuses);
    }
    if (q.createdFrom) {
      where.push('created_time >= ?');
      params.push(q.createdFrom);
    }
    if (q.createdTo) {
      where.push('created_time <= ?');
      params.push(q.createdTo);
    }
    if (q.instanceIdPrefix) {
      where.push('substr(instance_id, 1, ?) = ?');
      params.push(q.instanceIdPrefix.length, q.instanceIdPrefix);
    }
    const sql = `SELECT * FROM instances ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_time, instance_id LIMIT ? OFFSET ?`;
    // a running instance's cached row is the fresher (its last_updated_time may not be written yet: patchInstance)
    return this.db
      .prepare<(string | number)[], InstanceRow>(sql)
      .all(...params, q.limit, q.offset)
      .map((r) => (this.rows.has(r.instance_id) ? { ...(this.rows.get(r.instance_id) as InstanceRow) } : (this.withUnsavedTime(r) as InstanceRow)));
  }

  private withUnsavedTime(row: InstanceRow | undefined): InstanceRow | undefined {
    const time = row ? this.unsavedTimes.get(row.instance_id) : undefined;
    return row && time !== undefined ? { ...row, last_updated_time: time } : row;
  }

  close(): void {
    try {
      const save = this.db.prepare('UPDATE instances SET last_updated_time = ? WHERE instance_id = ?');
      this.db.transaction(() => {
        for (const [id, time] of this.unsavedTimes) save.run(time, id);
      })();
      this.unsavedTimes.clear();
    } finally {
      this.db.close();
      this.owner?.close();
    }
  }
}
