/**
 * DecisionStore on Table storage (@azure/data-tables): what the Functions app uses in Azure, shared by every
 * instance. Same behaviour as MemoryDecisionStore and SqliteDecisionStore (one suite runs against all three:
 * test/integration/tableStores.test.ts). Decision volume is that of Event Grid cluster writes — small — so the
 * decisions live in one partition, which lets one record be written as one transaction.
 *
 * Decisions table, partition 'decisions':
 *   'd|{decidedAt ISO}|{stamp}'   one decision (eventId, clusterKey, action, eventTime, the record packed).
 *                                 Rows come back in RowKey order = decision time order: "oldest first".
 *                                 {stamp}: this process's monotonic clock + random, so rows never collide and
 *                                 one process's decisions of the same millisecond keep their order.
 *   'e|{escaped event id}'        the event was decided (hasEvent: one point read).
 *   'm|{hex cluster key}|{eventTime}|{stamp}'  a migrate decision (lastMigrate: one short range scan).
 *   record() writes its two or three rows in one transaction: all or none.
 * Partition 'claims': start claims of migration instances (leases with conditional writes,
 * shared/storage/tableLease.ts): atomic across instances.
 *
 * The lock and correlation-id checks remediation makes (docs/remediation.md § Decisions) are asked of the result
 * store itself (functions/eventGrid.ts), not of this store.
 */
import { randomBytes } from 'node:crypto';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { armIdKey } from '../arm/id';
import { escapeKey, orderedKey, statusOf } from '../storage/tableKeys';
import { ensureTables } from '../storage/tables';
import { packJson, unpackJson } from '../storage/tableJson';
import { acquireLease, releaseLease } from '../storage/tableLease';
import { withMigrationResults, type DecisionPage, type DecisionQuery, type DecisionRecord, type DecisionStore } from './store';
import type { ResultStore } from '../rollout/store';

const DECISIONS = 'decisions';
const CLAIMS = 'claims';
const TOKEN_KEY = /^d\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|\d{20}[0-9a-f]{8}$/;
const BAD_TOKEN = 'continuation token is not one this store returned; start again without it';

function stamp(): string {
  return `${process.hrtime.bigint().toString().padStart(20, '0')}${randomBytes(4).toString('hex')}`;
}

function isoOf(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`${what} '${value}' is not an ISO-8601 time: use e.g. 2026-11-21T19:00:00Z`);
  return new Date(ms).toISOString();
}

export class TableDecisionStore implements DecisionStore {
  private readonly clientOf: () => TableClient;
  private created?: Promise<void>;

  /**
   * `decisions`: the client of the decisions table (created on first use if missing), or a factory of it;
   * `results`: where migrations keep their results, for `list` to show them beside their decisions.
   */
  constructor(
    decisions: TableClient | (() => TableClient),
    private readonly results?: Pick<ResultStore, 'listClusters'>,
  ) {
    let built: TableClient | undefined;
    this.clientOf = typeof decisions === 'function' ? () => (built ??= decisions()) : () => decisions;
  }

  private async client(): Promise<TableClient> {
    const c = this.clientOf();
    if (!this.created) {
      this.created = ensureTables({ decisions: c });
      // A failed creation (no network, no role yet) is not remembered: the next call tries again.
      this.created.catch(() => (this.created = undefined));
    }
    await this.created;
    return c;
  }

  async record(decision: DecisionRecord): Promise<void> {
    const decidedAt = isoOf(decision.decidedAt, 'decidedAt');
    const clusterKey = decision.clusterId === undefined ? '' : armIdKey(decision.clusterId);
    const s = stamp();
    const actions: TransactionAction[] = [
      ['create', { partitionKey: DECISIONS, rowKey: `d|${decidedAt}|${s}`, eventId: decision.eventId, clusterKey, action: decision.action, eventTime: decision.eventTime, ...packJson('record', decision, `the decision on event ${decision.eventId}`) }],
      ['upsert', { partitionKey: DECISIONS, rowKey: `e|${escapeKey(decision.eventId)}`, decidedAt }, 'Replace'],
    ];
    if (decision.action === 'migrate' && clusterKey !== '') {
      actions.push(['create', { partitionKey: DECISIONS, rowKey: `m|${orderedKey(clusterKey)}|${escapeKey(decision.eventTime)}|${s}`, eventTime: decision.eventTime }]);
    }
    await (await this.client()).submitTransaction(actions);
  }

  async list(query: DecisionQuery): Promise<DecisionPage> {
    let after = 'd|';
    if (query.after !== undefined) {
      after = Buffer.from(query.after, 'base64url').toString('utf8');
      if (!TOKEN_KEY.test(after)) throw new Error(BAD_TOKEN);
    }
    // '}' follows '|': every 'd|…' row and nothing else.
    let filter = odata`PartitionKey eq ${DECISIONS} and RowKey gt ${after} and RowKey lt ${'d}'}`;
    if (query.since !== undefined) filter += odata` and RowKey ge ${`d|${isoOf(query.since, 'since')}`}`;
    if (query.clusterId !== undefined) filter += odata` and clusterKey eq ${armIdKey(query.clusterId)}`;
    const client = await this.client();
    const rows: Array<Record<string, unknown> & { rowKey?: string }> = [];
    for await (const page of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(query.limit + 1, 1000) })) {
      rows.push(...page);
      if (rows.length > query.limit) break;
    }
    const page = rows.slice(0, query.limit);
    const out: DecisionPage = {
      items: page.map((r) => unpackJson<DecisionRecord>(r, 'record')),
      ...(rows.length > query.limit ? { continuationToken: Buffer.from(String(page[page.length - 1].rowKey)).toString('base64url') } : {}),
    };
    // A `migrate` decision shows the result of the migration it started once that run has ended.
    return this.results ? withMigrationResults(out, this.results) : out;
  }

  async hasEvent(eventId: string): Promise<boolean> {
    try {
      await (await this.client()).getEntity(DECISIONS, `e|${escapeKey(eventId)}`);
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async lastMigrate(clusterId: string): Promise<string | undefined> {
    const prefix = `m|${orderedKey(armIdKey(clusterId))}`;
    const client = await this.client();
    const rows = client.listEntities<{ eventTime: string }>({ queryOptions: { filter: odata`PartitionKey eq ${DECISIONS} and RowKey gt ${`${prefix}|`} and RowKey lt ${`${prefix}}`}`, select: ['eventTime'] } });
    let latest: string | undefined;
    for await (const r of rows) if (latest === undefined || r.eventTime > latest) latest = r.eventTime;
    return latest;
  }

  async claimStart(instanceId: string, holder: string, now: Date, leaseSeconds: number): Promise<boolean> {
    return (await acquireLease(await this.client(), CLAIMS, escapeKey(instanceId), holder, now, leaseSeconds)).acquired;
  }

  async releaseStart(instanceId: string, holder: string): Promise<void> {
    await releaseLease(await this.client(), CLAIMS, escapeKey(instanceId), holder);
  }
}
