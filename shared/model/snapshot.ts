/**
 * The snapshot file: what ARM and each cluster's Kubernetes API said, frozen in one JSON document.
 * The same format seeds the simulator and is written by `aksnet fleet snapshot`.
 * Schema published in docs/snapshot.md and docs/snapshot.schema.json (generated from this file).
 */
import { z } from 'zod';
import { armIdKey } from '../arm/id';
import type { ArmResource } from './arm';
import type { KubeObject } from './kube';

const ARM_ID = /^\/subscriptions\/[^/]+(\/.*)?$/i;
const ARM_TYPE = /^[A-Za-z0-9.]+\/[A-Za-z0-9/]+$/;
const armId = z.string().regex(ARM_ID, { message: "must be an ARM resource id starting with '/subscriptions/'" });

export const ArmResourceSchema = z.looseObject({
  id: armId,
  name: z.string().min(1),
  type: z.string().regex(ARM_TYPE, { message: "must be an ARM type such as 'Microsoft.ContainerService/managedClusters'" }),
  location: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  etag: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

const agentPool = z.looseObject({ name: z.string().min(1) });
const managedClusterProps = z.looseObject({
  agentPoolProfiles: z.array(agentPool).optional(),
  networkProfile: z.record(z.string(), z.unknown()).optional(),
});

export const KubeObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
});

export const SnapshotObjectSchema = z.strictObject({
  resources: z.array(ArmResourceSchema).optional(),
  kubernetes: z.record(armId, z.looseObject({ items: z.array(KubeObjectSchema) })).optional(),
});

/** A bare array of ARM resources is accepted too. */
export const SnapshotSchema = z.union([SnapshotObjectSchema, z.array(ArmResourceSchema)]);

export interface Snapshot {
  resources: ArmResource[];
  /** Keyed by the managed cluster's ARM id as written in the file. Use {@link kubeItemsFor} to look up. */
  kubernetes: Record<string, { items: KubeObject[] }>;
}

export class SnapshotError extends Error {
  constructor(message: string, public readonly problems: string[] = []) {
    super(message);
    this.name = 'SnapshotError';
  }
}

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

// ------------------------------------------------------------------------------ fast structural check
//
// zod validates a 10,000-cluster snapshot (hundreds of thousands of objects) in about a second and copies
// every object it checks. The checks below accept exactly what the schemas above accept, field by field,
// without copying; when one fails, parseSnapshot runs the zod schema to say why (zod stays the single
// source of the published JSON Schema and of the error messages). Hand-written on purpose: the point is
// to do less work than the schema library, so it cannot be built from it.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function isOptionalString(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}

/** ArmResourceSchema, plus managedClusterProps for managed clusters (checked by parseSnapshot after the schema). */
export function isValidArmResource(r: unknown): r is ArmResource {
  if (!isObject(r)) return false;
  const { id, name, type, location, tags, etag, properties } = r;
  if (typeof id !== 'string' || !ARM_ID.test(id) || !isNonEmptyString(name) || typeof type !== 'string' || !ARM_TYPE.test(type)) return false;
  if (!isOptionalString(location) || !isOptionalString(etag)) return false;
  if (tags !== undefined) {
    if (!isObject(tags)) return false;
    for (const k in tags) if (typeof tags[k] !== 'string') return false;
  }
  if (properties !== undefined && !isObject(properties)) return false;
  if (type.toLowerCase() === 'microsoft.containerservice/managedclusters' && properties !== undefined) {
    const { agentPoolProfiles, networkProfile } = properties;
    if (networkProfile !== undefined && !isObject(networkProfile)) return false;
    if (agentPoolProfiles !== undefined) {
      if (!Array.isArray(agentPoolProfiles)) return false;
      for (const p of agentPoolProfiles) if (!isObject(p) || !isNonEmptyString(p.name)) return false;
    }
  }
  return true;
}

/** KubeObjectSchema. */
export function isValidKubeObject(o: unknown): o is KubeObject {
  if (!isObject(o) || !isNonEmptyString(o.apiVersion) || !isNonEmptyString(o.kind)) return false;
  const m = o.metadata;
  return isObject(m) && isNonEmptyString(m.name) && isOptionalString(m.namespace);
}

/** A `kubernetes` entry: its key is an ARM id and its value holds an `items` array of Kubernetes objects. */
export function isValidKubeEntry(clusterId: string, entry: unknown): entry is { items: KubeObject[] } {
  if (!ARM_ID.test(clusterId) || !isObject(entry) || !Array.isArray(entry.items)) return false;
  for (const o of entry.items) if (!isValidKubeObject(o)) return false;
  return true;
}

/** The snapshot, without copying, when the fast check accepts it; undefined when zod must explain. */
function fastSnapshot(data: unknown): Snapshot | undefined {
  if (Array.isArray(data)) return data.every(isValidArmResource) ? { resources: data, kubernetes: {} } : undefined;
  if (!isObject(data)) return undefined;
  for (const k in data) if (k !== 'resources' && k !== 'kubernetes') return undefined; // strictObject
  const { resources, kubernetes } = data;
  if (resources !== undefined && !(Array.isArray(resources) && resources.every(isValidArmResource))) return undefined;
  if (kubernetes !== undefined) {
    if (!isObject(kubernetes)) return undefined;
    for (const k in kubernetes) if (!isValidKubeEntry(k, kubernetes[k])) return undefined;
  }
  return { resources: (resources ?? []) as ArmResource[], kubernetes: (kubernetes ?? {}) as Snapshot['kubernetes'] };
}

/**
 * Validates parsed JSON as a snapshot; throws SnapshotError listing each problem by path. A valid snapshot
 * is returned as parsed (same objects, keys in the file's order).
 */
export function parseSnapshot(data: unknown): Snapshot {
  const fast = fastSnapshot(data);
  if (fast) return fast;
  const result = SnapshotSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`);
    throw new SnapshotError(`not a snapshot: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`, problems);
  }
  const value = result.data;
  const snapshot: Snapshot = Array.isArray(value)
    ? { resources: value as ArmResource[], kubernetes: {} }
    : { resources: (value.resources ?? []) as ArmResource[], kubernetes: (value.kubernetes ?? {}) as Snapshot['kubernetes'] };
  const problems: string[] = [];
  snapshot.resources.forEach((r, i) => {
    if (r.type.toLowerCase() === 'microsoft.containerservice/managedclusters') {
      const p = managedClusterProps.safeParse(r.properties ?? {});
      if (!p.success) problems.push(...p.error.issues.map((x) => `resources[${i}].properties.${pathOf(x.path)}: ${x.message}`));
    }
  });
  if (problems.length) throw new SnapshotError(`not a snapshot: ${problems[0]}`, problems);
  return snapshot;
}

/** Kubernetes items recorded for a cluster, looked up case-insensitively by ARM id; undefined when none were recorded. */
export function kubeItemsFor(snapshot: Snapshot, clusterId: string): KubeObject[] | undefined {
  const key = armIdKey(clusterId);
  for (const [id, v] of Object.entries(snapshot.kubernetes)) if (armIdKey(id) === key) return v.items;
  return undefined;
}

/** JSON Schema of the snapshot format (draft 2020-12), generated from the zod schema. */
export function snapshotJsonSchema(): unknown {
  return z.toJSONSchema(SnapshotSchema, { target: 'draft-2020-12' });
}

// ------------------------------------------------------------------------------------------ streaming

/** Fills `buf` from the current read position; returns the number of bytes read, 0 at the end (`(b) => fs.readSync(fd, b)`). */
export type ByteReader = (buf: Uint8Array) => number;

export interface SnapshotVisitor {
  /** Each resource in file order, once it passed the schema check. */
  resource(resource: ArmResource): void;
  /**
   * Each `kubernetes` entry in file order (an id may repeat), once it passed the schema check; never before
   * a resource. Returning false stops the reading (streamSnapshot then returns false).
   */
  kube(clusterId: string, entry: { items: KubeObject[] }): boolean | void;
}

const enum Byte {
  Tab = 0x09,
  Newline = 0x0a,
  Return = 0x0d,
  Space = 0x20,
  Quote = 0x22,
  Comma = 0x2c,
  Colon = 0x3a,
  OpenSquare = 0x5b,
  Backslash = 0x5c,
  CloseSquare = 0x5d,
  OpenCurly = 0x7b,
  CloseCurly = 0x7d,
}

/** Thrown inside the scanner when the document is not one streamSnapshot reads; it then returns false. */
class NotStreamable extends Error {}

/**
 * A forward-only window over the bytes of a JSON document. Only the piece being read is kept in memory:
 * a 235 MB snapshot never exists as one string. Hand-written because no installed package streams JSON;
 * it only finds where each resource and each `kubernetes` entry starts and ends (strings, escapes and
 * nesting), and JSON.parse (native, and the judge of validity) reads each piece.
 */
class JsonPieces {
  private buf = Buffer.allocUnsafe(1 << 20);
  private end = 0;
  private pos = 0;
  private eof = false;
  /** Bytes dropped from the front of buf so far: base + pos is the offset in the document. */
  private base = 0;
  /** objectBefore: objects not followed by the tail although the bytes after them were searched. */
  private misses = 0;

  constructor(private readonly read: ByteReader) {}

  /** Reads more bytes, keeping those from `keep` on (they move to the front); false at the end. */
  private more(keep: number): boolean {
    if (this.eof) return false;
    if (keep > 0) {
      this.buf.copyWithin(0, keep, this.end);
      this.end -= keep;
      this.pos -= keep;
      this.base += keep;
    }
    if (this.end === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
    }
    const n = this.read(this.buf.subarray(this.end));
    if (n <= 0) this.eof = true;
    else this.end += n;
    return n > 0;
  }

  /** The next byte that is not JSON whitespace, without consuming it; -1 at the end of the input. */
  peek(): number {
    for (;;) {
      while (this.pos < this.end) {
        const c = this.buf[this.pos];
        if (c !== Byte.Space && c !== Byte.Newline && c !== Byte.Return && c !== Byte.Tab) return c;
        this.pos++;
      }
      if (!this.more(this.pos)) return -1;
    }
  }

  /** Skips a UTF-8 byte order mark at the very start (it is not part of the JSON). */
  skipBom(): void {
    while (this.end < 3 && this.more(0));
    if (this.end >= 3 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = 3;
  }

  expect(byte: number): void {
    if (this.peek() !== byte) throw new NotStreamable();
    this.pos++;
  }

  /** After an element of an array or object: true for ',', false for the closing byte. */
  separator(close: number): boolean {
    const c = this.peek();
    this.pos++;
    if (c === Byte.Comma) return true;
    if (c === close) return false;
    throw new NotStreamable();
  }

  /** The next string token, decoded. */
  string(): string {
    if (this.peek() !== Byte.Quote) throw new NotStreamable();
    return JSON.parse(this.raw()) as string;
  }

  /** The next object (or array), parsed. */
  value(): unknown {
    const c = this.peek();
    if (c !== Byte.OpenCurly && c !== Byte.OpenSquare) throw new NotStreamable();
    return JSON.parse(this.raw());
  }

  /**
   * The next object, parsed, when it is followed by `tail` (e.g. `,"/subscriptions/` before the next
   * `kubernetes` key in a compact file): the candidate end is found with Buffer.indexOf instead of a byte
   * by byte scan. Sound because JSON.parse accepts the candidate only when it is exactly one object: a
   * `tail` inside a string, or a candidate spanning two objects, fails to parse, and the byte scan
   * (value) decides. An object that ends inside the bytes searched without `tail` after it (the last
   * entry, a pretty-printed file) counts as a miss; after two the scan alone is used.
   */
  objectBefore(tail: Buffer): unknown {
    if (this.misses >= 2) return this.value();
    if (this.peek() !== Byte.OpenCurly) throw new NotStreamable();
    const searchedTo = this.base + this.end;
    const at = this.buf.subarray(this.pos, this.end).indexOf(tail);
    if (at > 0 && this.buf[this.pos + at - 1] === Byte.CloseCurly) {
      try {
        const parsed = JSON.parse(this.buf.toString('utf8', this.pos, this.pos + at));
        this.pos += at;
        return parsed;
      } catch {
        /* not this object's end: scan */
      }
    }
    const parsed = this.value();
    if (this.base + this.pos + tail.length <= searchedTo) this.misses++;
    return parsed;
  }

  /**
   * The text of the string, object or array starting at pos. Nesting is tracked byte by byte outside
   * strings; inside a string the closing quote is found with Buffer.indexOf (native, and most of the
   * bytes of a snapshot are inside strings), a quote preceded by an odd run of backslashes being escaped.
   */
  private raw(): string {
    let start = this.pos;
    let i = start;
    let depth = 0;
    let inString = false;
    for (;;) {
      const buf = this.buf;
      const end = this.end;
      while (i < end) {
        if (inString) {
          const q = buf.indexOf(Byte.Quote, i);
          if (q < 0 || q >= end) {
            i = end;
            break;
          }
          let b = q - 1;
          while (buf[b] === Byte.Backslash) b--; // stops at the opening quote at the latest
          i = q + 1;
          if ((q - 1 - b) % 2 === 1) continue;
          inString = false;
          if (depth === 0) return this.take(start, i);
          continue;
        }
        const c = buf[i++];
        if (c === Byte.Quote) inString = true;
        else if (c === Byte.OpenCurly || c === Byte.OpenSquare) depth++;
        else if ((c === Byte.CloseCurly || c === Byte.CloseSquare) && --depth === 0) return this.take(start, i);
      }
      // Not complete yet: read more, keeping the piece (it moves to the front of the buffer).
      const keep = start;
      if (!this.more(keep)) throw new NotStreamable();
      i -= keep;
      start -= keep;
    }
  }

  private take(start: number, end: number): string {
    this.pos = end;
    return this.buf.toString('utf8', start, end);
  }
}

/**
 * Reads a snapshot document piece by piece and hands each resource, then each `kubernetes` entry, to the
 * visitor, checking each against the schema as it goes. Returns false, having stopped early, when the
 * document is anything it does not read this way: not JSON, not a valid snapshot, or `kubernetes` written
 * before `resources`. The caller then reads the file whole with JSON.parse and parseSnapshot, which accept
 * or reject it and name the problem exactly as before.
 */
export function streamSnapshot(read: ByteReader, visitor: SnapshotVisitor): boolean {
  const json = new JsonPieces(read);
  try {
    json.skipBom();
    const first = json.peek();
    if (first === Byte.OpenSquare) {
      json.expect(Byte.OpenSquare);
      streamResources(json, visitor);
    } else {
      json.expect(Byte.OpenCurly);
      const seen = new Set<string>();
      if (json.peek() === Byte.CloseCurly) json.expect(Byte.CloseCurly);
      else {
        do {
          const key = json.string();
          json.expect(Byte.Colon);
          // A repeated key (JSON.parse keeps the last) or kubernetes before resources: read it whole.
          if (seen.has(key) || (key === 'resources' && seen.has('kubernetes'))) return false;
          seen.add(key);
          if (key === 'resources') {
            json.expect(Byte.OpenSquare);
            streamResources(json, visitor);
          } else if (key === 'kubernetes') {
            json.expect(Byte.OpenCurly);
            streamKubernetes(json, visitor);
          } else return false;
        } while (json.separator(Byte.CloseCurly));
      }
    }
    return json.peek() === -1;
  } catch (e) {
    if (e instanceof NotStreamable || e instanceof SyntaxError) return false;
    throw e;
  }
}

function streamResources(json: JsonPieces, visitor: SnapshotVisitor): void {
  if (json.peek() === Byte.CloseSquare) return json.expect(Byte.CloseSquare);
  do {
    const r = json.value();
    if (!isValidArmResource(r)) throw new NotStreamable();
    visitor.resource(r);
  } while (json.separator(Byte.CloseSquare));
}

/** What follows a `kubernetes` entry in a compact file when another one comes. */
const NEXT_CLUSTER_KEY = Buffer.from(',"/subscriptions/', 'latin1');

function streamKubernetes(json: JsonPieces, visitor: SnapshotVisitor): void {
  if (json.peek() === Byte.CloseCurly) return json.expect(Byte.CloseCurly);
  do {
    const id = json.string();
    json.expect(Byte.Colon);
    const entry = json.objectBefore(NEXT_CLUSTER_KEY);
    if (!isValidKubeEntry(id, entry)) throw new NotStreamable();
    if (visitor.kube(id, entry) === false) throw new NotStreamable();
  } while (json.separator(Byte.CloseCurly));
}
