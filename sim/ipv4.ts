/**
 * IPv4 arithmetic the simulator needs to hand out node and pod addresses and to check overlaps.
 * Parsing goes through ipaddr.js; the integer arithmetic is a few lines, kept here so sim/ does not
 * depend on shared/network being finished.
 */
import ipaddr from 'ipaddr.js';

export interface Cidr4 {
  base: number;
  bits: number;
}

export function parseCidr4(cidr: string): Cidr4 | undefined {
  try {
    const [addr, bits] = ipaddr.parseCIDR(cidr.trim());
    if (addr.kind() !== 'ipv4') return undefined;
    const bytes = addr.toByteArray();
    const raw = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return { base: (raw & mask) >>> 0, bits };
  } catch {
    return undefined;
  }
}

export function size(c: Cidr4): number {
  return 2 ** (32 - c.bits);
}

export function ipString(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function cidrOverlaps(a: string, b: string): boolean {
  const x = parseCidr4(a);
  const y = parseCidr4(b);
  if (!x || !y) return false;
  return x.base < y.base + size(y) && y.base < x.base + size(x);
}

/** The `index`-th address of a range (wrapping inside it so a long-lived simulation never leaves it). */
export function addressAt(cidr: string, index: number): string {
  const c = parseCidr4(cidr) ?? (parseCidr4('10.224.0.0/16') as Cidr4);
  return ipString((c.base + (index % size(c))) >>> 0);
}

/** The `index`-th /24 (or the range itself when smaller) of a range, as a CIDR. */
export function slash24At(cidr: string, index: number): string {
  const c = parseCidr4(cidr) ?? (parseCidr4('10.244.0.0/16') as Cidr4);
  if (c.bits >= 24) return `${ipString(c.base)}/${c.bits}`;
  const count = 2 ** (24 - c.bits);
  return `${ipString((c.base + (index % count) * 256) >>> 0)}/24`;
}
