/**
 * Table storage keys. PartitionKey and RowKey may not contain '/', '\', '#', '?' or control characters and are
 * at most 1 KiB (learn.microsoft.com "Understanding the Table service data model"); ARM ids are full of '/',
 * and event and instance ids come from outside. Two encodings:
 *
 * - {@link orderedKey}: lower-case hex of the UTF-8 bytes. Used where pages must come back in the order of the
 *   raw key (cluster ids: listClusters pages in armIdKey order, and Table storage returns rows in RowKey
 *   order). Hex keeps byte order; base64url would not ('A' < 'a' < '0' in its alphabet, not in ASCII).
 * - {@link escapeKey}: '%XX' for the forbidden characters, '%' itself and '~' (so that no escaped key can start
 *   with '~': the stores reserve partitions named '~…' for their own index rows). Readable in Storage Explorer.
 */
const MAX_KEY_CHARS = 1024;

function checkLength(kind: string, raw: string, key: string): string {
  if (key.length > MAX_KEY_CHARS) throw new Error(`${kind} '${raw.slice(0, 60)}…' is too long for a Table storage key (at most ${MAX_KEY_CHARS} characters encoded): use a shorter id`);
  return key;
}

export function orderedKey(raw: string): string {
  return checkLength('id', raw, Buffer.from(raw, 'utf8').toString('hex'));
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what Table keys forbid
const FORBIDDEN = /[/\\#?%~\u0000-\u001f\u007f-\u009f]/g;

export function escapeKey(raw: string): string {
  return checkLength('id', raw, raw.replace(FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`));
}

/** The HTTP status of a failed Table storage call (RestError.statusCode), if it has one. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}
