/**
 * Sets of integers kept as sorted, disjoint, non-adjacent inclusive intervals with BigInt bounds.
 * Address ranges (IPv4 and IPv6 on one number line, see cidr.ts), ports and protocol numbers all
 * use them. Hand-written because no installed library does interval-set algebra over BigInt
 * (ipaddr.js parses and matches single ranges only).
 */
export type Interval = readonly [bigint, bigint];
/** Normalized: sorted by start, disjoint, no two adjacent. Every function here returns one. */
export type IntervalSet = readonly Interval[];

export const EMPTY: IntervalSet = [];

/** Sorts and merges overlapping or adjacent intervals; drops inverted ones. */
export function normalize(list: readonly Interval[]): IntervalSet {
  const sorted = list.filter(([a, b]) => a <= b).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1n) {
      if (b > last[1]) last[1] = b;
    } else out.push([a, b]);
  }
  return out;
}

export function union(a: IntervalSet, b: IntervalSet): IntervalSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return normalize([...a, ...b]);
}

export function intersect(a: IntervalSet, b: IntervalSet): IntervalSet {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = a[i][0] > b[j][0] ? a[i][0] : b[j][0];
    const hi = a[i][1] < b[j][1] ? a[i][1] : b[j][1];
    if (lo <= hi) out.push([lo, hi]);
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return out;
}

/** a minus b. */
export function subtract(a: IntervalSet, b: IntervalSet): IntervalSet {
  if (a.length === 0 || b.length === 0) return a;
  const out: Interval[] = [];
  let j = 0;
  for (const [start, end] of a) {
    let cur = start;
    while (j < b.length && b[j][1] < cur) j++;
    let k = j;
    while (k < b.length && b[k][0] <= end) {
      if (b[k][0] > cur) out.push([cur, b[k][0] - 1n]);
      if (b[k][1] + 1n > cur) cur = b[k][1] + 1n;
      if (cur > end) break;
      k++;
    }
    if (cur <= end) out.push([cur, end]);
  }
  return out;
}

export function isEmpty(a: IntervalSet): boolean {
  return a.length === 0;
}

/** True when every member of `inner` is in `outer`. No allocation: it runs in the NSG evaluator's hot loop. */
export function covers(outer: IntervalSet, inner: IntervalSet): boolean {
  // Both normalized: each inner interval must sit inside one outer interval (adjacent ones are merged).
  let j = 0;
  for (const [a, b] of inner) {
    while (j < outer.length && outer[j][1] < a) j++;
    if (j === outer.length || outer[j][0] > a || outer[j][1] < b) return false;
  }
  return true;
}

/** True when the sets share a member. No allocation. */
export function intersects(a: IntervalSet, b: IntervalSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i][1] < b[j][0]) i++;
    else if (b[j][1] < a[i][0]) j++;
    else return true;
  }
  return false;
}

/** Number of members. */
export function cardinality(a: IntervalSet): bigint {
  let n = 0n;
  for (const [x, y] of a) n += y - x + 1n;
  return n;
}

export function equals(a: IntervalSet, b: IntervalSet): boolean {
  return a.length === b.length && a.every(([x, y], i) => x === b[i][0] && y === b[i][1]);
}
