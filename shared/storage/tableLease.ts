/**
 * A lease row in Table storage: the cluster locks of the rollout store and the start claims of the decision
 * store. Atomic across app instances with the conditional writes Table storage offers
 * (learn.microsoft.com "Managing concurrency in Table storage"):
 * - a free lease is taken with an insert, which fails with 409 if another instance inserted first;
 * - an expired (or our own) lease is taken over with a Replace carrying the ETag we read, which fails with 412
 *   if anyone changed the row since;
 * - release is a delete carrying the ETag, so a lease taken over meanwhile is never deleted by the old owner.
 * A lost race re-reads the row and decides again: the winner's row is then what it sees.
 */
import type { TableClient } from '@azure/data-tables';
import { statusOf } from './tableKeys';

export type LeaseResult = { acquired: true } | { acquired: false; holder: string; since: string };

interface LeaseRow {
  owner: string;
  since: string;
  /** Epoch milliseconds (stored as an ISO string: a whole number above 2^31 would need an Edm.Int64 annotation). */
  expires: number;
  etag: string;
}

/** Each retry follows a write another instance won, so a handful always settles. */
const MAX_ATTEMPTS = 8;

async function readLease(client: TableClient, partitionKey: string, rowKey: string): Promise<LeaseRow | undefined> {
  try {
    const e = await client.getEntity<{ owner: string; since: string; expiresAt: string }>(partitionKey, rowKey);
    return { owner: e.owner, since: e.since, expires: Date.parse(e.expiresAt), etag: e.etag };
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

export async function acquireLease(client: TableClient, partitionKey: string, rowKey: string, owner: string, now: Date, leaseSeconds: number): Promise<LeaseResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const held = await readLease(client, partitionKey, rowKey);
    if (held && held.owner !== owner && held.expires > now.getTime()) return { acquired: false, holder: held.owner, since: held.since };
    const row = { partitionKey, rowKey, owner, since: held?.owner === owner ? held.since : now.toISOString(), expiresAt: new Date(now.getTime() + leaseSeconds * 1000).toISOString() };
    try {
      if (held) await client.updateEntity(row, 'Replace', { etag: held.etag });
      else await client.createEntity(row);
      return { acquired: true };
    } catch (err) {
      // 409: inserted by another instance first; 412: changed since we read it; 404: deleted since we read it.
      if (![409, 412, 404].includes(statusOf(err) ?? 0)) throw err;
    }
  }
  throw new Error(`lease ${partitionKey}/${rowKey} changed hands ${MAX_ATTEMPTS} times while being acquired: try again`);
}

export async function releaseLease(client: TableClient, partitionKey: string, rowKey: string, owner: string): Promise<void> {
  const held = await readLease(client, partitionKey, rowKey);
  if (held?.owner !== owner) return;
  try {
    await client.deleteEntity(partitionKey, rowKey, { etag: held.etag });
  } catch (err) {
    // Taken over (412) or already gone (404) since we read it: no longer ours to release.
    if (![412, 404].includes(statusOf(err) ?? 0)) throw err;
  }
}

/** The owner of an unexpired lease, if any. */
export async function leaseHolder(client: TableClient, partitionKey: string, rowKey: string, now: Date): Promise<string | undefined> {
  const held = await readLease(client, partitionKey, rowKey);
  return held && held.expires > now.getTime() ? held.owner : undefined;
}
