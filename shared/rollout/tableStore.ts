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
 * Locks table: PartitionKey = orderedKey(armIdKey(clusterId)), RowKey 'lock'; leases with conditional writes
 * (shared/storage/tableLease.ts), so two instances never both hold one cluster.
 */
import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { armIdKey } from '../arm/id';
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

  /** RowKey → outcome ('' = pending) of every cluster already stored for the rollout. */
  private async existing(partitionKey: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const rows = (await this.tables()).results.listEntities<{ outcome?: string }>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}`, select: ['RowKey', 'outcome'] } });
    for await (const row of rows) out.set(row.rowKey as string, row.outcome ?? '');
    return out;
  }

  async savePlan(rolloutId: string, records: RolloutClusterRecord[]): Promise<void> {
    const partitionKey = TableResultStore.partition(rolloutId);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.writePlan(partitionKey, records);
        return;
      } catch (err) {
        // A concurrent savePlan created (409) a row this one meant to create: read again and merge instead.
        if (statusOf(err) !== 409 || attempt >= SAVE_PLAN_ATTEMPTS) throw err;
      }
    }
  }

  private async writePlan(partitionKey: string, records: RolloutClusterRecord[]): Promise<void> {
    const existing = await this.existing(partitionKey);
    const batches: TransactionAction[][] = [];
    let batch: TransactionAction[] = [];
    let bytes = 0;
    // One operation per row and transaction: a plan listing a cluster twice keeps the last, as the other stores do.
    const byRow = new Map<string, RolloutClusterRecord>();
    for (const r of records) byRow.set(orderedKey(armIdKey(r.clusterId)), r);
    for (const [rowKey, r] of byRow) {
      const outcome = existing.get(rowKey);
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
  }

  async loadStageBatch(rolloutId: string, stageIndex: number, offset: number, limit: number): Promise<RolloutClusterRecord[]> {
    const partitionKey = TableResultStore.partition(rolloutId);
    const { results } = await this.tables();
    // Table storage sorts by key only: read the stage's (RowKey, ord) pairs — small rows — order them, then
    // fetch just the batch's rows.
    const keys: Array<{ rowKey: string; ord: number }> = [];
    const rows = results.listEntities<{ ord: number }>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and stageIndex eq ${stageIndex}`, select: ['RowKey', 'ord'] } });
    for await (const row of rows) keys.push({ rowKey: row.rowKey as string, ord: row.ord });
    const wanted = keys.sort((a, b) => a.ord - b.ord || (a.rowKey < b.rowKey ? -1 : 1)).slice(offset, offset + limit);
    const full = await Promise.all(wanted.map((k) => results.getEntity<Record<string, unknown>>(partitionKey, k.rowKey)));
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
