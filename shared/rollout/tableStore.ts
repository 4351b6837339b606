/**
 * ResultStore + ClusterLocks on Table storage (@azure/data-tables): what the Functions app uses in Azure, where
 * several instances run at once and must share results and locks (shared/storage/tables.ts builds the clients).
 * Same behaviour as MemoryResultStore and SqliteResultStore: the store tests run one suite against all three
 * (test/integration/tableStores.test.ts, against Azurite).
 *
 * Results table — one partition per rollout, so a rollout's clusters are one partition and every page is a
 * partition scan:
 *   PartitionKey = escapeKey(rolloutId), RowKey = orderedKey(armIdKey(clusterId)) (hex: Table storage returns
 *   rows in RowKey order, so pages come in cluster-id order as the port promises);
 *   clusterId, stageIndex and ord (-1 = no stage: Merge cannot remove a property), outcome ('' = pending, so
 *   `outcome eq ''` finds the pending ones), and the record and result JSON packed (shared/storage/tableJson.ts).
 *   Partition '~correlationIds' (no escaped rollout id starts with '~') lists the ARM correlation ids of
 *   aksnet's own writes, one row each, for remediation's "is this write ours" (docs/remediation.md check 4).
 *   Partition '~rollouts' is the rollout index (GET /api/rollouts), two rows per rollout written in one
 *   transaction: 'id:' + escapeKey(rolloutId) (its create fails with 409 once registered: the first
 *   registration wins) and 'at:' + newestFirstKey(createdAt, rolloutId), whose ascending RowKey order is newest
 *   first, so a page of the list is one range scan of the partition.
 *   Partitions '~stage~' + stageIndex + '~' + escapeKey(rolloutId) ('~' cannot occur in an escaped id, so the
 *   name splits one way) order a stage: one row per cluster of the stage, RowKey = its position in the stage
 *   (0-based, zero-padded: the same as its `order` for plans from shared/rollout/discovery.ts), with the cluster's
 *   results RowKey. A batch is one range scan of it (`RowKey ge <offset>`, `limit` rows) and point reads of
 *   those clusters, instead of reading every row of the stage per batch. savePlan writes them after the plan
 *   rows; a rollout stored before them has none, and its batches fall back to scanning the stage.
 * Locks table: PartitionKey = orderedKey(armIdKey(clusterId)), RowKey 'lock'; leases with conditional writes
 * (shared/storage/tableLease.ts), so two instances never both hold one cluster.
 */
import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { armIdKey } from '../arm/id';
import { limiter } from '../azure/limit';
import type { ClusterOutcome, ClusterResult } from '../migration/result';
import { escapeKey, orderedKey, statusOf } from '../storage/tableKeys';
import { ensureTables } from '../storage/tables';
import { packJson, unpackJson } from '../storage/tableJson';
import { acquireLease, leaseHolder, releaseLease } from '../storage/tableLease';
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
  type RolloutCursor,
  type RolloutIndexEntry,
  type RolloutIndexPage,
} from './store';

export interface ResultTables {
  results: TableClient;
  locks: TableClient;
}

const CORRELATION_PARTITION = '~correlationIds';
const ROLLOUT_PARTITION = '~rollouts';
/** RowKey prefixes of the rollout index: the order rows sort between 'at:' and 'at;' (';' follows ':'). */
const BY_TIME = 'at:';
const BY_TIME_END = 'at;';
const BY_ID = 'id:';
/** Milliseconds up to the year 2286 fit in 13 digits. */
const MAX_MS = 9_999_999_999_999;

/**
 * A RowKey whose ascending order is createdAt descending, then rolloutId descending: the inverted time in
 * fixed-width digits, then the id's UTF-8 bytes inverted (255 - b, as hex) and a terminator 'ff' — the inverted
 * NUL, larger than any inverted byte of an id (ids have no control characters), so "ab" sorts before "a".
 */
function newestFirstKey(cursor: RolloutCursor): string {
  const inverted = String(MAX_MS - Date.parse(cursor.createdAt)).padStart(13, '0');
  const id = [...Buffer.from(cursor.rolloutId, 'utf8')].map((b) => (255 - b).toString(16).padStart(2, '0')).join('');
  return `${BY_TIME}${inverted}-${id}ff`;
}
const LOCK_ROW = 'lock';
/** A transaction holds at most 100 operations and 4 MiB; plan rows are small, results may not be. */
const MAX_BATCH_OPS = 100;
const MAX_BATCH_BYTES = 3 * 1024 * 1024;
const SAVE_PLAN_ATTEMPTS = 3;
/** Positions up to 10^10 - 1 (a rollout is far smaller); fixed width so that RowKey order is numeric order. */
const POSITION_DIGITS = 10;
/** Point reads of a batch's clusters at once: enough to hide latency, few enough not to flood the account. */
const BATCH_READS = 16;

/** The partition that orders one stage of a rollout (see the header). */
function stagePartition(rolloutId: string, stageIndex: number): string {
  return `~stage~${stageIndex}~${escapeKey(rolloutId)}`;
}

function positionKey(position: number): string {
  return String(position).padStart(POSITION_DIGITS, '0');
}

type Row = TableEntityResult<Record<string, unknown>>;

/** An upper bound of the bytes a row adds to a transaction's request body (binary travels as base64). */
function bytesOf(props: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries(props)) n += k.length + 64 + (v instanceof Uint8Array ? Math.ceil(v.length / 3) * 4 : typeof v === 'string' ? v.length * 3 : 16);
  return n;
}

export class TableResultStore implements ResultStore, ClusterLocks {
  private readonly clients: () => ResultTables;
  private created?: Promise<void>;

  /**
   * `tables`: the clients, or a factory of them (built on first use, e.g. with DefaultAzureCredential).
   * The tables are created on first use if missing.
   */
  constructor(tables: ResultTables | (() => ResultTables)) {
    let built: ResultTables | undefined;
    this.clients = typeof tables === 'function' ? () => (built ??= tables()) : () => tables;
  }

  private async tables(): Promise<ResultTables> {
    const t = this.clients();
    if (!this.created) {
      this.created = ensureTables(t);
      // A failed creation (no network, no role yet) is not remembered: the next call tries again.
      this.created.catch(() => (this.created = undefined));
    }
    await this.created;
    return t;
  }

  async registerRollout(entry: RolloutIndexEntry): Promise<void> {
    const e = indexEntry(entry);
    const props = { rolloutId: e.rolloutId, name: e.name, target: e.target ?? '', createdAt: e.createdAt };
    const { results } = await this.tables();
    try {
      // One transaction: both rows or neither, so the order row exists whenever the id row does.
      await results.submitTransaction([
        ['create', { partitionKey: ROLLOUT_PARTITION, rowKey: `${BY_ID}${escapeKey(e.rolloutId)}`, ...props }],
        ['create', { partitionKey: ROLLOUT_PARTITION, rowKey: newestFirstKey(e), ...props }],
      ]);
    } catch (err) {
      // Already registered (the id row exists): the first registration stands.
      if (statusOf(err) !== 409) throw err;
    }
  }

  async listRollouts(query: { limit?: number; continuationToken?: string } = {}): Promise<RolloutIndexPage> {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    const after = decodeRolloutToken(query.continuationToken);
    const from = after ? newestFirstKey(after) : BY_TIME;
    const filter = odata`PartitionKey eq ${ROLLOUT_PARTITION} and RowKey gt ${from} and RowKey lt ${BY_TIME_END}`;
    const { results } = await this.tables();
    const rows: Array<{ rolloutId: string; name: string; target?: string; createdAt: string }> = [];
    // One more than the page: whether a next page exists.
    const entities = results.listEntities<{ rolloutId: string; name: string; target?: string; createdAt: string }>({ queryOptions: { filter, select: ['rolloutId', 'name', 'target', 'createdAt'] } });
    for await (const page of entities.byPage({ maxPageSize: Math.min(limit + 1, 1000) })) {
      rows.push(...page);
      if (rows.length > limit) break;
    }
    const items = rows.slice(0, limit).map((r): RolloutIndexEntry => ({ rolloutId: r.rolloutId, name: r.name, ...(r.target ? { target: r.target } : {}), createdAt: r.createdAt }));
    return { items, ...(rows.length > limit ? { continuationToken: encodeRolloutToken(items[items.length - 1]) } : {}) };
  }

  private static partition(rolloutId: string): string {
    return escapeKey(rolloutId);
  }

  private static toRecord(row: Row): RolloutClusterRecord {
    const rec = unpackJson<RolloutClusterRecord>(row, 'record');
    if (typeof row.outcome === 'string' && row.outcome !== '') rec.result = unpackJson<ClusterResult>(row, 'result');
    return rec;
  }

  private static planProps(r: RolloutClusterRecord): Record<string, unknown> {
    const { result: _result, ...record } = r;
    return { clusterId: r.clusterId, stageIndex: r.stageIndex ?? -1, ord: r.order ?? -1, ...packJson('record', record, `the plan record of ${r.clusterId}`) };
  }

  private static resultProps(result: ClusterResult): Record<string, unknown> {
    return { outcome: result.result, ...packJson('result', result, `the result of ${result.clusterId}`) };
  }

  /** RowKey → outcome ('' = pending), stage (-1 = none) and order of every cluster already stored for the rollout. */
  private async existing(partitionKey: string): Promise<Map<string, { outcome: string; stageIndex: number; ord: number }>> {
    const out = new Map<string, { outcome: string; stageIndex: number; ord: number }>();
    const rows = (await this.tables()).results.listEntities<{ outcome?: string; stageIndex?: number; ord?: number }>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}`, select: ['RowKey', 'outcome', 'stageIndex', 'ord'] } });
    for await (const row of rows) out.set(row.rowKey as string, { outcome: row.outcome ?? '', stageIndex: row.stageIndex ?? -1, ord: row.ord ?? -1 });
    return out;
  }

  async savePlan(rolloutId: string, records: RolloutClusterRecord[]): Promise<void> {
    const partitionKey = TableResultStore.partition(rolloutId);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.writePlan(rolloutId, partitionKey, records);
        return;
      } catch (err) {
        // A concurrent savePlan created (409) a row this one meant to create, or removed (404) a stage position
        // this one meant to remove: read again and merge instead.
        const status = statusOf(err);
        if ((status !== 409 && status !== 404) || attempt >= SAVE_PLAN_ATTEMPTS) throw err;
      }
    }
  }

  private async writePlan(rolloutId: string, partitionKey: string, records: RolloutClusterRecord[]): Promise<void> {
    const existing = await this.existing(partitionKey);
    const batches: TransactionAction[][] = [];
    let batch: TransactionAction[] = [];
    let bytes = 0;
    // One operation per row and transaction: a plan listing a cluster twice keeps the last, as the other stores do.
    const byRow = new Map<string, RolloutClusterRecord>();
    for (const r of records) byRow.set(orderedKey(armIdKey(r.clusterId)), r);
    for (const [rowKey, r] of byRow) {
      const outcome = existing.get(rowKey)?.outcome;
      const props = { partitionKey, rowKey, ...TableResultStore.planProps(r) };
      // Keep a result already written: a re-run of discovery must not erase what happened.
      const action: TransactionAction =
        outcome === undefined
          ? ['create', { ...props, ...(r.result ? TableResultStore.resultProps(r.result) : { outcome: '' }) }]
          : ['update', { ...props, ...(outcome === '' && r.result ? TableResultStore.resultProps(r.result) : {}) }, 'Merge'];
      const size = bytesOf(action[1]);
      if (batch.length >= MAX_BATCH_OPS || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(action);
      bytes += size;
    }
    if (batch.length) batches.push(batch);
    const { results } = await this.tables();
    for (const b of batches) await results.submitTransaction(b);
    // The plan rows first: a position row never names a cluster whose row is not written yet.
    await this.writeStagePositions(rolloutId, existing, byRow);
  }

  /**
   * Rewrites the position rows of every stage this save touches (a cluster's new stage and, if it moved, its old
   * one) from the rollout's clusters after the save: positions 0..n-1 by (order, RowKey) — the order the old
   * stage scan sorted in — then removes positions n.. left by a stage that shrank. Idempotent: saving the same
   * plan again reads the positions and writes nothing. One partition per stage, at most 100 operations per
   * transaction.
   */
  private async writeStagePositions(
    rolloutId: string,
    existing: Map<string, { outcome: string; stageIndex: number; ord: number }>,
    saved: Map<string, RolloutClusterRecord>,
  ): Promise<void> {
    const touched = new Set<number>();
    const after = new Map<string, { stageIndex: number; ord: number }>();
    for (const [rowKey, e] of existing) after.set(rowKey, { stageIndex: e.stageIndex, ord: e.ord });
    for (const [rowKey, r] of saved) {
      const before = existing.get(rowKey);
      if (before && before.stageIndex >= 0) touched.add(before.stageIndex);
      const stageIndex = r.stageIndex ?? -1;
      if (stageIndex >= 0) touched.add(stageIndex);
      after.set(rowKey, { stageIndex, ord: r.order ?? -1 });
    }
    if (touched.size === 0) return;
    const members = new Map<number, Array<{ rowKey: string; ord: number }>>([...touched].map((s) => [s, []]));
    for (const [rowKey, a] of after) members.get(a.stageIndex)?.push({ rowKey, ord: a.ord });
    const { results } = await this.tables();
    for (const [stageIndex, list] of members) {
      const partitionKey = stagePartition(rolloutId, stageIndex);
      list.sort((a, b) => a.ord - b.ord || (a.rowKey < b.rowKey ? -1 : 1));
      // The stage's position rows as stored: a re-saved plan rewrites only the positions that changed, and
      // deletes only rows that are there (a delete of a missing row fails its whole transaction).
      const stored = new Map<string, string>();
      const rows = results.listEntities<{ cluster?: string }>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}`, select: ['RowKey', 'cluster'] } });
      for await (const row of rows) stored.set(row.rowKey as string, row.cluster ?? '');
      const actions: TransactionAction[] = [];
      list.forEach((m, i) => {
        const rowKey = positionKey(i);
        if (stored.get(rowKey) !== m.rowKey) actions.push(['upsert', { partitionKey, rowKey, cluster: m.rowKey }, 'Replace']);
        stored.delete(rowKey);
      });
      // Positions past the new end: the stage lost clusters to another stage.
      for (const rowKey of stored.keys()) actions.push(['delete', { partitionKey, rowKey }]);
      for (let i = 0; i < actions.length; i += MAX_BATCH_OPS) await results.submitTransaction(actions.slice(i, i + MAX_BATCH_OPS));
    }
  }

  async loadStageBatch(rolloutId: string, stageIndex: number, offset: number, limit: number): Promise<RolloutClusterRecord[]> {
    const partitionKey = TableResultStore.partition(rolloutId);
    const { results } = await this.tables();
    const positions = stagePartition(rolloutId, stageIndex);
    const wanted: string[] = [];
    if (limit > 0) {
      const rows = results.listEntities<{ cluster: string }>({ queryOptions: { filter: odata`PartitionKey eq ${positions} and RowKey ge ${positionKey(Math.max(0, offset))}`, select: ['cluster'] } });
      for await (const page of rows.byPage({ maxPageSize: Math.min(limit, 1000) })) {
        wanted.push(...page.map((r) => r.cluster));
        if (wanted.length >= limit) break;
      }
    }
    if (wanted.length === 0 && limit > 0) {
      // Nothing at this position: past the stage's end, or a rollout stored before position rows existed.
      const any = results.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${positions}`, select: ['RowKey'] } }).byPage({ maxPageSize: 1 });
      const first = await any.next();
      if (first.done || first.value.length === 0) return this.scanStageBatch(results, partitionKey, stageIndex, offset, limit);
    }
    const read = limiter(BATCH_READS);
    const full = await Promise.all(wanted.slice(0, limit).map((rowKey) => read(() => results.getEntity<Record<string, unknown>>(partitionKey, rowKey))));
    return full.map(TableResultStore.toRecord);
  }

  /**
   * The batch of a rollout saved before the stage position rows: Table storage sorts by key only, so read the
   * stage's (RowKey, ord) pairs — small rows — order them, then fetch just the batch's rows. Every call reads the
   * whole stage; saving the plan again writes the position rows.
   */
  private async scanStageBatch(results: TableClient, partitionKey: string, stageIndex: number, offset: number, limit: number): Promise<RolloutClusterRecord[]> {
    const keys: Array<{ rowKey: string; ord: number }> = [];
    const rows = results.listEntities<{ ord: number }>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and stageIndex eq ${stageIndex}`, select: ['RowKey', 'ord'] } });
    for await (const row of rows) keys.push({ rowKey: row.rowKey as string, ord: row.ord });
    const wanted = keys.sort((a, b) => a.ord - b.ord || (a.rowKey < b.rowKey ? -1 : 1)).slice(offset, offset + limit);
    const read = limiter(BATCH_READS);
    const full = await Promise.all(wanted.map((k) => read(() => results.getEntity<Record<string, unknown>>(partitionKey, k.rowKey))));
    return full.map(TableResultStore.toRecord);
  }

  async saveResult(rolloutId: string, result: ClusterResult): Promise<void> {
    const props = TableResultStore.resultProps(result);
    const { results } = await this.tables();
    // The correlation ids first: if the result write then fails, the retry writes them again (idempotent),
    // and an id listed without its result is still one of aksnet's own writes.
    const ids = [...new Set(result.correlationIds)];
    for (let i = 0; i < ids.length; i += MAX_BATCH_OPS) {
      await results.submitTransaction(ids.slice(i, i + MAX_BATCH_OPS).map((id): TransactionAction => ['upsert', { partitionKey: CORRELATION_PARTITION, rowKey: escapeKey(id), clusterId: result.clusterId }, 'Replace']));
    }
    try {
      await results.updateEntity({ partitionKey: TableResultStore.partition(rolloutId), rowKey: orderedKey(armIdKey(result.clusterId)), ...props }, 'Merge');
    } catch (err) {
      if (statusOf(err) === 404) throw new Error(`cluster ${result.clusterId} is not part of rollout ${rolloutId}`);
      throw err;
    }
  }

  async listClusters(rolloutId: string, query: { status?: ClusterOutcome | 'pending'; continuationToken?: string; limit?: number } = {}): Promise<ClusterPage> {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    const after = decodeToken(query.continuationToken);
    let filter = odata`PartitionKey eq ${TableResultStore.partition(rolloutId)} and RowKey gt ${after === undefined ? '' : orderedKey(after)}`;
    if (query.status !== undefined) filter += odata` and outcome eq ${query.status === 'pending' ? '' : query.status}`;
    const { results } = await this.tables();
    const rows: Row[] = [];
    // One more than the page: whether a next page exists. The service pages at most 1000 rows (fewer when
    // filtered), the SDK follows its continuation until we stop.
    for await (const page of results.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(limit + 1, 1000) })) {
      rows.push(...page);
      if (rows.length > limit) break;
    }
    const items = rows.slice(0, limit).map(TableResultStore.toRecord);
    return { items, ...(rows.length > limit ? { continuationToken: encodeToken(armIdKey(items[items.length - 1].clusterId)) } : {}) };
  }

  async acquire(clusterId: string, owner: string, now: Date, leaseSeconds: number): Promise<LockResult> {
    return acquireLease((await this.tables()).locks, orderedKey(armIdKey(clusterId)), LOCK_ROW, owner, now, leaseSeconds);
  }

  async release(clusterId: string, owner: string): Promise<void> {
    await releaseLease((await this.tables()).locks, orderedKey(armIdKey(clusterId)), LOCK_ROW, owner);
  }

  /** The owner of the cluster's unexpired migration lock, if any (remediation: docs/remediation.md check 6). */
  async lockHolder(clusterId: string, now: Date = new Date()): Promise<string | undefined> {
    return leaseHolder((await this.tables()).locks, orderedKey(armIdKey(clusterId)), LOCK_ROW, now);
  }

  /** Whether a recorded result lists this ARM correlation id among aksnet's own writes (check 4). */
  async isOwnCorrelationId(correlationId: string): Promise<boolean> {
    try {
      await (await this.tables()).results.getEntity(CORRELATION_PARTITION, escapeKey(correlationId), { queryOptions: { select: ['RowKey'] } });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }
}
