/**
 * CIDR math for IPv4 and IPv6 on top of ipaddr.js (parsing, validation, formatting) with BigInt
 * arithmetic for ranges (ipaddr.js has no range arithmetic: sizes, iteration and subtraction are here).
 *
 * Both families share one number line so that address sets can mix them: an IPv4 address `v` sits
 * at `v`, an IPv6 address `v` at `2^32 + v` ({@link addressKey}); no IPv4 range can overlap an IPv6 one.
 */
import ipaddr from 'ipaddr.js';
import { type Interval, type IntervalSet, normalize, subtract as subtractIntervals } from './intervals';

export type AddressFamily = 4 | 6;

export interface Cidr {
  family: AddressFamily;
  /** The network (first) address as an integer of its family. */
  network: bigint;
  prefix: number;
}

export class CidrError extends Error {
  constructor(public readonly value: string, reason: string) {
    super(`'${value}' is not a valid CIDR: ${reason} (expected e.g. 10.244.0.0/16 or fd12:3456:789a::/64)`);
    this.name = 'CidrError';
  }
}

const BITS: Record<AddressFamily, number> = { 4: 32, 6: 128 };
const IPV6_OFFSET = 1n << 32n;

export function familyBits(family: AddressFamily): number {
  return BITS[family];
}

function bytesToBigInt(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function bigIntToBytes(v: bigint, length: number): number[] {
  const out = new Array<number>(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Parses one IP address (dotted-quad IPv4 or any RFC 4291 IPv6 form). */
export function parseAddress(value: string): { family: AddressFamily; value: bigint } {
  const s = value.trim();
  // ipaddr.js also accepts '10' or '0x0a.1' as IPv4 (inet_aton forms); Azure and Kubernetes take dotted quads only.
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return { family: 4, value: bytesToBigInt(ipaddr.IPv4.parse(s).toByteArray()) };
  if (ipaddr.IPv6.isValid(s) && !s.includes('%')) return { family: 6, value: bytesToBigInt(ipaddr.IPv6.parse(s).toByteArray()) };
  throw new CidrError(value, 'not an IPv4 or IPv6 address');
}

export function formatAddress(family: AddressFamily, value: bigint): string {
  if (family === 4) {
    // Fast path (fleet assessments format many IPv4 ranges): dotted quad straight from the integer.
    const n = Number(value);
    return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  return (ipaddr.fromByteArray(bigIntToBytes(value, 16)) as ipaddr.IPv6).toRFC5952String();
}

export interface ParseCidrOptions {
  /** Accept a bare address as a /32 or /128 (NSG prefixes do). Default false. */
  allowBareAddress?: boolean;
  /** Reject host bits set after the prefix ('10.0.0.1/16'), as ARM does for address prefixes. Default false: they are cleared. */
  strict?: boolean;
}

/** One cache per option combination (index: bare-address bit | strict bit << 1). */
const caches: Array<Map<string, Cidr>> = [new Map(), new Map(), new Map(), new Map()];
const CACHE_LIMIT = 20_000;

/**
 * Parses a CIDR; throws {@link CidrError} naming the value and what is wrong. Results are cached
 * (fleets repeat the same ranges: 10.0.0.0/16, 10.244.0.0/16 ...) so a fleet assessment stays cheap.
 */
export function parseCidr(value: string, options: ParseCidrOptions = {}): Cidr {
  const cache = caches[(options.allowBareAddress ? 1 : 0) | (options.strict ? 2 : 0)];
  const hit = cache.get(value);
  if (hit) return hit;
  const parsed = parseUncached(value, options);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  // Frozen: callers share cached objects.
  cache.set(value, Object.freeze(parsed));
  return parsed;
}

function parseUncached(value: string, options: ParseCidrOptions): Cidr {
  if (typeof value !== 'string' || value.trim() === '') throw new CidrError(String(value), 'empty');
  const s = value.trim();
  const slash = s.indexOf('/');
  if (slash < 0) {
    if (!options.allowBareAddress) throw new CidrError(value, "missing '/prefix-length'");
    const a = parseAddress(s);
    return { family: a.family, network: a.value, prefix: BITS[a.family] };
  }
  const addrPart = s.slice(0, slash);
  const prefixPart = s.slice(slash + 1);
  let a: { family: AddressFamily; value: bigint };
  try {
    a = parseAddress(addrPart);
  } catch {
    throw new CidrError(value, `'${addrPart}' is not an IPv4 or IPv6 address`);
  }
  const bits = BITS[a.family];
  if (!/^\d{1,3}$/.test(prefixPart) || Number(prefixPart) > bits) {
    throw new CidrError(value, `prefix length must be 0-${bits} for IPv${a.family}`);
  }
  const prefix = Number(prefixPart);
  const network = a.value & maskOf(a.family, prefix);
  if (options.strict && network !== a.value) {
    throw new CidrError(value, `host bits are set after /${prefix}; the network is ${formatAddress(a.family, network)}/${prefix}`);
  }
  return { family: a.family, network, prefix };
}

/** Like {@link parseCidr} but returns undefined instead of throwing. */
export function tryParseCidr(value: string, options: ParseCidrOptions = {}): Cidr | undefined {
  try {
    return parseCidr(value, options);
  } catch {
    return undefined;
  }
}

export function isValidCidr(value: string, options: ParseCidrOptions = {}): boolean {
  return tryParseCidr(value, options) !== undefined;
}

function maskOf(family: AddressFamily, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  return all ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

function asCidr(x: Cidr | string): Cidr {
  return typeof x === 'string' ? parseCidr(x, { allowBareAddress: true }) : x;
}

/** Canonical text: network address (host bits cleared), IPv6 in RFC 5952 form. */
export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.family, c.network)}/${c.prefix}`;
}

export function canonicalCidr(value: string): string {
  return formatCidr(parseCidr(value));
}

/** Number of addresses. */
/** Block sizes by prefix length, precomputed: BigInt shifts allocate, and fleets ask millions of times. */
const SIZES: Record<AddressFamily, bigint[]> = {
  4: Array.from({ length: 33 }, (_, p) => 1n << BigInt(32 - p)),
  6: Array.from({ length: 129 }, (_, p) => 1n << BigInt(128 - p)),
};

export function cidrSize(c: Cidr | string): bigint {
  const r = asCidr(c);
  return SIZES[r.family][r.prefix];
}

/** The last address of the range (the IPv4 broadcast address; IPv6 has no broadcast but the same last address). */
export function lastAddressValue(c: Cidr | string): bigint {
  const r = asCidr(c);
  return r.network + cidrSize(r) - 1n;
}

export function networkAddress(c: Cidr | string): string {
  const r = asCidr(c);
  return formatAddress(r.family, r.network);
}

export function broadcastAddress(c: Cidr | string): string {
  const r = asCidr(c);
  return formatAddress(r.family, lastAddressValue(r));
}

/**
 * First usable host: IPv4 skips the network address except in /31 and /32 (RFC 3021); IPv6 has no
 * network-address reservation in general, but we follow the same convention for symmetry with Azure,
 * which reserves the first addresses of every subnet anyway.
 */
export function firstHost(c: Cidr | string): string {
  const r = asCidr(c);
  const hostBits = BITS[r.family] - r.prefix;
  return formatAddress(r.family, hostBits <= 1 ? r.network : r.network + 1n);
}

/** Last usable host: IPv4 skips the broadcast address except in /31 and /32; IPv6 keeps its last address. */
export function lastHost(c: Cidr | string): string {
  const r = asCidr(c);
  const hostBits = BITS[r.family] - r.prefix;
  const last = lastAddressValue(r);
  return formatAddress(r.family, r.family === 4 && hostBits > 1 ? last - 1n : last);
}

/** True when `inner` (an address or a range) lies entirely inside `range`. Different families never contain each other. */
export function contains(range: Cidr | string, inner: Cidr | string): boolean {
  const a = asCidr(range);
  const b = asCidr(inner);
  return a.family === b.family && a.prefix <= b.prefix && (b.network & maskOf(a.family, a.prefix)) === a.network;
}

export function overlaps(a: Cidr | string, b: Cidr | string): boolean {
  const x = asCidr(a);
  const y = asCidr(b);
  if (x.family !== y.family) return false;
  const p = Math.min(x.prefix, y.prefix);
  const m = maskOf(x.family, p);
  return (x.network & m) === (y.network & m);
}

/** Blocks of `/prefix` inside `supernet`, lowest first. Lazy: a /8 holds 2^24 /32s. */
export function* subnetsOf(supernet: Cidr | string, prefix: number): Generator<Cidr> {
  const s = asCidr(supernet);
  if (!Number.isInteger(prefix) || prefix < s.prefix || prefix > BITS[s.family]) {
    throw new RangeError(`cannot split ${formatCidr(s)} into /${prefix} blocks: the prefix length must be between ${s.prefix} and ${BITS[s.family]}`);
  }
  const step = 1n << BigInt(BITS[s.family] - prefix);
  const end = s.network + cidrSize(s);
  for (let n = s.network; n < end; n += step) yield { family: s.family, network: n, prefix };
}

/** The position of a range on the shared IPv4+IPv6 number line (see the module comment). */
export function addressInterval(c: Cidr | string): Interval {
  const r = asCidr(c);
  const offset = r.family === 6 ? IPV6_OFFSET : 0n;
  const start = r.network + offset;
  return [start, start + SIZES[r.family][r.prefix] - 1n];
}

export function addressSet(ranges: ReadonlyArray<Cidr | string>): IntervalSet {
  if (ranges.length === 1) return [addressInterval(ranges[0])];
  return normalize(ranges.map(addressInterval));
}

/** Every IPv4 address and every IPv6 address on the shared number line. */
export const ALL_IPV4: Interval = [0n, (1n << 32n) - 1n];
export const ALL_IPV6: Interval = [IPV6_OFFSET, IPV6_OFFSET + (1n << 128n) - 1n];
export const ALL_ADDRESSES: IntervalSet = normalize([ALL_IPV4, ALL_IPV6]);

/** The minimal list of CIDRs covering exactly [start, end] of one family (values of that family, not number-line keys). */
export function rangeToCidrs(family: AddressFamily, start: bigint, end: bigint): Cidr[] {
  const bits = BITS[family];
  const out: Cidr[] = [];
  let cur = start;
  while (cur <= end) {
    // Largest block aligned at `cur` that does not pass `end`.
    let size = 1n;
    let prefix = bits;
    while (prefix > 0) {
      const next = size << 1n;
      if (cur % next !== 0n || cur + next - 1n > end) break;
      size = next;
      prefix--;
    }
    out.push({ family, network: cur, prefix });
    cur += size;
  }
  return out;
}

/** Turns a set on the shared number line back into minimal CIDRs, IPv4 first. */
export function addressSetToCidrs(set: IntervalSet): Cidr[] {
  const out: Cidr[] = [];
  for (const [a, b] of set) {
    if (b < IPV6_OFFSET) out.push(...rangeToCidrs(4, a, b));
    else if (a >= IPV6_OFFSET) out.push(...rangeToCidrs(6, a - IPV6_OFFSET, b - IPV6_OFFSET));
    else {
      out.push(...rangeToCidrs(4, a, IPV6_OFFSET - 1n));
      out.push(...rangeToCidrs(6, 0n, b - IPV6_OFFSET));
    }
  }
  return out;
}

/** The parts of `from` not covered by any of `holes`, as minimal CIDRs, lowest first. */
export function subtractCidrs(from: Cidr | string, holes: ReadonlyArray<Cidr | string>): Cidr[] {
  return addressSetToCidrs(subtractIntervals(addressSet([from]), addressSet(holes)));
}

/**
 * The lowest `/prefix` block inside `within` that overlaps none of `used`, or undefined.
 * Linear in the number of ranges (free intervals are computed once), not in the number of candidate blocks.
 */
export function firstFreeBlock(within: Cidr | string, prefix: number, used: IntervalSet): Cidr | undefined {
  const w = asCidr(within);
  if (prefix < w.prefix || prefix > BITS[w.family]) return undefined;
  const offset = w.family === 6 ? IPV6_OFFSET : 0n;
  const size = 1n << BigInt(BITS[w.family] - prefix);
  for (const [a, b] of subtractIntervals(addressSet([w]), used)) {
    const start = a - offset;
    const aligned = ((start + size - 1n) / size) * size;
    if (aligned + size - 1n <= b - offset) return { family: w.family, network: aligned, prefix };
  }
  return undefined;
}
