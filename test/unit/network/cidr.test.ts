import fc from 'fast-check';
import {
  addressSet,
  broadcastAddress,
  canonicalCidr,
  cidrSize,
  CidrError,
  contains,
  firstFreeBlock,
  firstHost,
  formatCidr,
  lastHost,
  networkAddress,
  overlaps,
  parseCidr,
  subnetsOf,
  subtractCidrs,
  type Cidr,
} from '../../../shared/network/cidr';
import { cardinality, covers, intersect, intersects, subtract, union, normalize, type Interval } from '../../../shared/network/intervals';

const v4 = fc.record({ family: fc.constant<4>(4), network: fc.bigInt(0n, (1n << 32n) - 1n), prefix: fc.integer({ min: 0, max: 32 }) }).map(normalizeCidr);
const v6 = fc.record({ family: fc.constant<6>(6), network: fc.bigInt(0n, (1n << 128n) - 1n), prefix: fc.integer({ min: 0, max: 128 }) }).map(normalizeCidr);
const anyCidr = fc.oneof(v4, v6);

function normalizeCidr(c: Cidr): Cidr {
  const bits = BigInt(c.family === 4 ? 32 : 128);
  const host = (1n << (bits - BigInt(c.prefix))) - 1n;
  return { ...c, network: c.network & ~host };
}

describe('parseCidr', () => {
  it.each([
    ['10.244.0.0/16', '10.244.0.0/16'],
    [' 192.168.1.7/24 ', '192.168.1.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['FD12:3456:789A:0:0:0:0:0/64', 'fd12:3456:789a::/64'],
    ['fd12:3456:789a:1::/108', 'fd12:3456:789a:1::/108'],
  ])('reads %s as %s', (input, canonical) => {
    expect(canonicalCidr(input)).toBe(canonical);
  });

  it.each([
    ['10.0.0.0/33', 'prefix length must be 0-32 for IPv4'],
    ['fd00::/129', 'prefix length must be 0-128 for IPv6'],
    ['10.0.0/16', "'10.0.0' is not an IPv4 or IPv6 address"],
    ['10.0.0.0', "missing '/prefix-length'"],
    ['10.0.0.0/', 'prefix length'],
    ['10.0.0.0/1a', 'prefix length'],
    ['', 'empty'],
    ['banana/8', "'banana' is not an IPv4 or IPv6 address"],
    ['256.0.0.0/8', "'256.0.0.0' is not"],
  ])('rejects %j with one clear line', (input, reason) => {
    let err: unknown;
    try {
      parseCidr(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CidrError);
    const message = (err as Error).message;
    expect(message).toContain(reason);
    expect(message).toContain(`'${input}'`);
    expect(message).toContain('expected e.g. 10.244.0.0/16');
    expect(message).not.toContain('\n');
  });

  it('in strict mode rejects host bits the way ARM does, naming the network', () => {
    expect(() => parseCidr('10.0.0.1/16', { strict: true })).toThrow("host bits are set after /16; the network is 10.0.0.0/16");
    expect(formatCidr(parseCidr('10.0.0.1/16'))).toBe('10.0.0.0/16');
  });

  it('accepts bare addresses only when asked (NSG prefixes)', () => {
    expect(formatCidr(parseCidr('168.63.129.16', { allowBareAddress: true }))).toBe('168.63.129.16/32');
    expect(formatCidr(parseCidr('fd00::1', { allowBareAddress: true }))).toBe('fd00::1/128');
  });

  it('round-trips every canonical CIDR (property)', () => {
    fc.assert(fc.property(anyCidr, (c) => expect(parseCidr(formatCidr(c))).toEqual(c)));
  });
});

describe('range facts', () => {
  it('gives network, broadcast, first and last host', () => {
    expect(networkAddress('10.0.1.77/24')).toBe('10.0.1.0');
    expect(broadcastAddress('10.0.1.77/24')).toBe('10.0.1.255');
    expect(firstHost('10.0.1.0/24')).toBe('10.0.1.1');
    expect(lastHost('10.0.1.0/24')).toBe('10.0.1.254');
    expect(firstHost('10.0.0.4/31')).toBe('10.0.0.4');
    expect(lastHost('10.0.0.4/31')).toBe('10.0.0.5');
    expect(cidrSize('10.0.0.0/8')).toBe(16777216n);
    expect(cidrSize('fd12:3456:789a::/64')).toBe(1n << 64n);
    expect(broadcastAddress('fd12:3456:789a:1::/108')).toBe('fd12:3456:789a:1::f:ffff');
  });

  it('contains addresses and ranges of its own family only', () => {
    expect(contains('10.0.0.0/8', '10.240.0.0/16')).toBe(true);
    expect(contains('10.0.0.0/8', '10.0.0.10')).toBe(true);
    expect(contains('10.240.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(contains('0.0.0.0/0', '::/0')).toBe(false);
    expect(overlaps('10.240.0.0/16', '10.0.0.0/8')).toBe(true);
    expect(overlaps('10.244.0.0/16', '10.245.0.0/16')).toBe(false);
    expect(overlaps('::/0', '0.0.0.0/0')).toBe(false);
  });

  it('overlaps iff one contains the other (property: CIDRs nest or are disjoint)', () => {
    fc.assert(
      fc.property(anyCidr, anyCidr, (a, b) => {
        expect(overlaps(a, b)).toBe(contains(a, b) || contains(b, a));
        expect(overlaps(a, b)).toBe(overlaps(b, a));
      }),
    );
  });

  it('contains agrees with interval inclusion (property)', () => {
    fc.assert(
      fc.property(v4, v4, (a, b) => {
        const [a0, a1] = [a.network, a.network + cidrSize(a) - 1n];
        const [b0, b1] = [b.network, b.network + cidrSize(b) - 1n];
        expect(contains(a, b)).toBe(a0 <= b0 && b1 <= a1);
      }),
    );
  });
});

describe('subnetsOf', () => {
  it('lists /24 blocks of a /22 in order', () => {
    expect([...subnetsOf('10.1.0.0/22', 24)].map(formatCidr)).toEqual(['10.1.0.0/24', '10.1.1.0/24', '10.1.2.0/24', '10.1.3.0/24']);
  });

  it('is lazy over huge spaces', () => {
    const it = subnetsOf('fd00::/8', 128);
    expect(formatCidr(it.next().value as Cidr)).toBe('fd00::/128');
  });

  it('rejects a prefix shorter than the supernet', () => {
    expect(() => [...subnetsOf('10.1.0.0/22', 16)]).toThrow('cannot split 10.1.0.0/22 into /16 blocks: the prefix length must be between 22 and 32');
  });

  it('blocks are inside the supernet, disjoint and cover it (property)', () => {
    fc.assert(
      fc.property(v4, fc.integer({ min: 0, max: 6 }), (s, extra) => {
        const prefix = Math.min(32, s.prefix + extra);
        const blocks = [...subnetsOf(s, prefix)];
        expect(BigInt(blocks.length) * cidrSize(blocks[0])).toBe(cidrSize(s));
        for (const b of blocks) expect(contains(s, b)).toBe(true);
        for (let i = 1; i < blocks.length; i++) expect(overlaps(blocks[i - 1], blocks[i])).toBe(false);
      }),
    );
  });
});

describe('subtract and free blocks', () => {
  it('lists the free parts of a /16 around a subnet', () => {
    expect(subtractCidrs('10.0.0.0/16', ['10.0.1.0/24']).map(formatCidr)).toEqual([
      '10.0.0.0/24',
      '10.0.2.0/23',
      '10.0.4.0/22',
      '10.0.8.0/21',
      '10.0.16.0/20',
      '10.0.32.0/19',
      '10.0.64.0/18',
      '10.0.128.0/17',
    ]);
    expect(subtractCidrs('10.0.0.0/16', ['10.0.0.0/8'])).toEqual([]);
  });

  it('free parts never overlap a hole and with the holes fill the range (property)', () => {
    fc.assert(
      fc.property(v4, fc.array(v4, { maxLength: 6 }), (from, holes) => {
        const free = subtractCidrs(from, holes);
        for (const f of free) {
          expect(contains(from, f)).toBe(true);
          for (const h of holes) expect(overlaps(f, h)).toBe(false);
        }
        const covered = union(addressSet(free), intersect(addressSet([from]), addressSet(holes)));
        expect(cardinality(covered)).toBe(cidrSize(from));
      }),
    );
  });

  it('works the same for IPv6 (property)', () => {
    const near = fc.record({ network: fc.bigInt(0n, 255n), prefix: fc.integer({ min: 112, max: 128 }) }).map(({ network, prefix }) => normalizeCidr({ family: 6, network: (0xfd12n << 112n) | (network << 8n), prefix }));
    fc.assert(
      fc.property(near, fc.array(near, { maxLength: 5 }), (from, holes) => {
        const free = subtractCidrs(from, holes);
        for (const f of free) {
          expect(f.family).toBe(6);
          expect(contains(from, f)).toBe(true);
          for (const h of holes) expect(overlaps(f, h)).toBe(false);
        }
        expect(cardinality(union(addressSet(free), intersect(addressSet([from]), addressSet(holes))))).toBe(cidrSize(from));
      }),
    );
  });

  it('finds the lowest free aligned block (property: free, aligned, nothing lower fits)', () => {
    fc.assert(
      fc.property(fc.array(v4.filter((c) => c.prefix >= 8), { maxLength: 8 }), fc.integer({ min: 12, max: 24 }), (used, prefix) => {
        const usedSet = addressSet(used);
        const block = firstFreeBlock('10.0.0.0/8', prefix, usedSet);
        const firstByScan = [...subnetsOf('10.0.0.0/8', prefix)].find((b) => used.every((u) => !overlaps(b, u)));
        expect(block && formatCidr(block)).toBe(firstByScan && formatCidr(firstByScan));
      }),
    );
  });
});

describe('interval sets', () => {
  const iv = fc.array(fc.tuple(fc.bigInt(0n, 200n), fc.bigInt(0n, 200n)), { maxLength: 6 }).map((xs) => normalize(xs.map(([a, b]) => (a <= b ? [a, b] : [b, a]) as Interval)));
  const members = (s: readonly Interval[]) => {
    const out = new Set<bigint>();
    for (const [a, b] of s) for (let x = a; x <= b; x++) out.add(x);
    return out;
  };

  it('union, intersect and subtract agree with plain sets (property)', () => {
    fc.assert(
      fc.property(iv, iv, (a, b) => {
        const A = members(a);
        const B = members(b);
        expect(members(union(a, b))).toEqual(new Set([...A, ...B]));
        expect(members(intersect(a, b))).toEqual(new Set([...A].filter((x) => B.has(x))));
        expect(members(subtract(a, b))).toEqual(new Set([...A].filter((x) => !B.has(x))));
        expect(covers(a, b)).toBe([...B].every((x) => A.has(x)));
        expect(intersects(a, b)).toBe([...A].some((x) => B.has(x)));
      }),
    );
  });
});
