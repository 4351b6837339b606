/**
 * JSON values too large for one Table storage property. A property holds at most 64 KiB (a string at most 32 Ki
 * UTF-16 characters) and an entity at most 1 MiB, while a ClusterResult with many findings can be several
 * hundred KiB of JSON. So the JSON is gzipped (findings repeat the same words: typically 10x smaller) and split
 * into Edm.Binary properties `<name>0`, `<name>1`, … of 64 KiB each, with the count in `<name>Parts`.
 * The readable parts of a row (ids, outcome, stage) stay plain properties beside it; the JSON is read through
 * the API and the CLI, not in Storage Explorer.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

const PART_BYTES = 64 * 1024;
/** Leaves room under the 1 MiB entity limit for the other properties (and a second packed value of a plan). */
export const MAX_PACKED_BYTES = 900 * 1024;

export type PackedProperties = Record<string, number | Uint8Array>;

export function packJson(name: string, value: unknown, what: string): PackedProperties {
  const zipped = gzipSync(Buffer.from(JSON.stringify(value), 'utf8'));
  if (zipped.length > MAX_PACKED_BYTES) {
    throw new Error(`${what} is ${Math.ceil(zipped.length / 1024)} KiB compressed; a Table storage row holds at most ${MAX_PACKED_BYTES / 1024} KiB: reduce it (fewer findings) or use the SQLite store`);
  }
  const out: PackedProperties = { [`${name}Parts`]: Math.ceil(zipped.length / PART_BYTES) };
  // gzip output is never empty: at least one part.
  for (let i = 0, p = 0; i < zipped.length; i += PART_BYTES, p++) out[`${name}${p}`] = new Uint8Array(zipped.subarray(i, i + PART_BYTES));
  return out;
}

export function unpackJson<T>(entity: Record<string, unknown>, name: string): T {
  const parts = entity[`${name}Parts`];
  if (typeof parts !== 'number' || parts < 1) throw new Error(`Table row ${String(entity.partitionKey)}/${String(entity.rowKey)} has no '${name}' value: was it written by aksnet?`);
  const chunks: Uint8Array[] = [];
  for (let p = 0; p < parts; p++) {
    const c = entity[`${name}${p}`];
    if (!(c instanceof Uint8Array)) throw new Error(`Table row ${String(entity.partitionKey)}/${String(entity.rowKey)} misses part ${p} of '${name}'`);
    chunks.push(c);
  }
  return JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as T;
}
