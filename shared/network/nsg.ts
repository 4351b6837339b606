/**
 * Network security group evaluation, the way Azure applies a subnet NSG: the rules of one direction
 * in priority order (lowest number first), the first rule that matches a packet decides, and the
 * default rules (priorities 65000-65500) come last. aksnet asks about whole classes of flows
 * ("node CIDR to pod CIDR on all ports and protocols", seed 003_fe34ccaeba990a60.txt § Network
 * security groups) rather than single packets, so the evaluator tracks the part of the class that no
 * rule has decided yet as a union of boxes (source × destination × protocol × source port ×
 * destination port) and reports every Deny rule that decides some non-empty part of it.
 *
 * Address prefixes: CIDR, bare IP, '*', and service tags:
 * - VirtualNetwork: an INPUT ({@link NsgContext.virtualNetwork}). Azure expands it to the VNet's address
 *   space, peered VNets' spaces, connected on-premises ranges and, on an Azure CNI Overlay cluster, the
 *   pod CIDR; the caller decides which of these apply (before or after a migration).
 * - AzureLoadBalancer: 168.63.129.16/32 (the Azure platform health-probe address).
 * - Internet: every address not in the VirtualNetwork expansion or AzureLoadBalancer.
 * - Any other tag (Storage, AzureCloud, Sql.WestEurope, ...) names public Azure ranges aksnet does not
 *   download: it is treated as every address outside the private ranges (RFC 1918, RFC 6598, fc00::/7)
 *   and outside the VirtualNetwork expansion, i.e. it never matches cluster-internal flows.
 * - Application security groups: membership of NICs is not known here. A Deny rule naming an ASG is
 *   assumed to match (reported with `uncertain: true`); an Allow rule naming one is assumed not to.
 *
 * Protocols: '*' is every IP protocol number (0-255); Icmp covers ICMP (1) and ICMPv6 (58); Tcp 6,
 * Udp 17, Esp 50, Ah 51. Port ranges apply to the destination/source port of every protocol matched;
 * a flow class with "all ports" therefore includes port-less protocols as ports 0-65535 (conservative).
 */
import type { SecurityRule } from '../model/arm';
import {
  ALL_ADDRESSES,
  addressSet,
  addressSetToCidrs,
  formatCidr,
  parseCidr,
  tryParseCidr,
  type Cidr,
} from './cidr';
import { type Interval, type IntervalSet, cardinality, covers, intersect, intersects, isEmpty, normalize, subtract, union } from './intervals';

export type NsgDirection = 'Inbound' | 'Outbound';

export class NsgRuleError extends Error {
  constructor(rule: string, field: string, value: string, expected: string) {
    super(`NSG rule '${rule}' has an invalid ${field} '${value}': expected ${expected}`);
    this.name = 'NsgRuleError';
  }
}

/** What the caller knows about the network the NSG sits in. */
export interface NsgContext {
  /** CIDRs the VirtualNetwork service tag stands for (VNet address space, peered spaces, pod CIDR on Overlay). */
  virtualNetwork: readonly string[];
}

/** A class of flows: every packet from any source address to any destination address, optionally narrowed. */
export interface FlowClass {
  direction: NsgDirection;
  sourceRanges: readonly string[];
  destinationRanges: readonly string[];
  /** Defaults to '*': all protocols. */
  protocol?: string;
  /** Destination port ranges, ARM syntax ('*', '80', '1000-2000'); defaults to all. */
  destinationPorts?: readonly string[];
}

export interface NsgDenial {
  rule: string;
  priority: number;
  /** One of Azure's default rules (e.g. DenyAllInBound). */
  isDefault: boolean;
  /** The rule matched only under an assumption (it names an application security group). */
  uncertain: boolean;
  /** A readable sample of what the rule denies: the first denied box. */
  denied: { sources: string[]; destinations: string[]; protocols: string; destinationPorts: string };
}

export interface FlowVerdict {
  /** True when some part of the flow class is denied. */
  denied: boolean;
  /** Every Deny rule that decides part of the flow class, in evaluation order. */
  denials: NsgDenial[];
}

export interface NsgInput {
  securityRules?: readonly SecurityRule[];
  defaultSecurityRules?: readonly SecurityRule[];
}

const LOAD_BALANCER_SET = addressSet(['168.63.129.16/32']);
const PRIVATE_SET = addressSet(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7']);

const rule = (name: string, priority: number, direction: NsgDirection, access: 'Allow' | 'Deny', source: string, destination: string): SecurityRule => ({
  name,
  properties: {
    priority,
    direction,
    access,
    protocol: '*',
    sourceAddressPrefix: source,
    sourcePortRange: '*',
    destinationAddressPrefix: destination,
    destinationPortRange: '*',
  },
});

/** The default rules ARM puts in every NSG (learn.microsoft.com: network-security-groups-overview § Default security rules). */
export const ARM_DEFAULT_SECURITY_RULES: readonly SecurityRule[] = [
  rule('AllowVnetInBound', 65000, 'Inbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'),
  rule('AllowAzureLoadBalancerInBound', 65001, 'Inbound', 'Allow', 'AzureLoadBalancer', '*'),
  rule('DenyAllInBound', 65500, 'Inbound', 'Deny', '*', '*'),
  rule('AllowVnetOutBound', 65000, 'Outbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'),
  rule('AllowInternetOutBound', 65001, 'Outbound', 'Allow', '*', 'Internet'),
  rule('DenyAllOutBound', 65500, 'Outbound', 'Deny', '*', '*'),
];

const PROTOCOLS = new Map<string, IntervalSet>([
  ['*', [[0n, 255n]]],
  ['any', [[0n, 255n]]],
  ['tcp', [[6n, 6n]]],
  ['udp', [[17n, 17n]]],
  ['icmp', [[1n, 1n], [58n, 58n]]],
  ['esp', [[50n, 50n]]],
  ['ah', [[51n, 51n]]],
]);
const PROTOCOL_NAMES: Array<[string, bigint[]]> = [
  ['Tcp', [6n]],
  ['Udp', [17n]],
  ['Icmp', [1n, 58n]],
  ['Esp', [50n]],
  ['Ah', [51n]],
];
const ALL_PORTS: IntervalSet = [[0n, 65535n]];

/**
 * Parsed port specs and literal prefixes, shared by every evaluator: a fleet's NSGs repeat the same
 * few ('*', '443', '10.0.0.0/16'), and parsing them per NSG dominated a 10,000-cluster assessment.
 */
const PORT_SPECS = new Map<string, IntervalSet>();
const LITERAL_PREFIXES = new Map<string, IntervalSet>();
const MEMO_LIMIT = 20_000;

function remember(memo: Map<string, IntervalSet>, key: string, value: IntervalSet): IntervalSet {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

/** Box dimensions: source address, destination address, protocol, source port, destination port. */
type Box = readonly [IntervalSet, IntervalSet, IntervalSet, IntervalSet, IntervalSet];

interface CompiledRule {
  name: string;
  direction: NsgDirection;
  priority: number;
  access: 'Allow' | 'Deny';
  isDefault: boolean;
  uncertain: boolean;
  box: Box;
}

/** A safety valve: real NSGs stay far below this; past it the remainder is coalesced per dimension (over-approximation). */
const MAX_BOXES = 5000;

/** Compiles one NSG for one context; evaluate as many flow classes as needed against it. */
export class NsgEvaluator {
  private readonly rules: Record<NsgDirection, CompiledRule[]>;
  private readonly vnet: IntervalSet;
  private internetSet?: IntervalSet;
  private otherTagSet?: IntervalSet;

  constructor(nsg: NsgInput, context: NsgContext) {
    this.vnet = addressSet(context.virtualNetwork.map((p) => parseCidr(p, { allowBareAddress: true })));
    const defaults = nsg.defaultSecurityRules && nsg.defaultSecurityRules.length > 0 ? nsg.defaultSecurityRules : ARM_DEFAULT_SECURITY_RULES;
    const compiled = [
      ...(nsg.securityRules ?? []).map((r) => this.compile(r, false)),
      ...defaults.map((r) => this.compile(r, true)),
    ];
    const byDirection = (d: NsgDirection) =>
      compiled
        .filter((r) => r.direction === d)
        // Azure keeps priorities unique per direction; the name breaks ties so input order never matters.
        .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.rules = { Inbound: byDirection('Inbound'), Outbound: byDirection('Outbound') };
  }

  evaluate(flow: FlowClass): FlowVerdict {
    const protocol = this.protocolSet(flow.protocol ?? '*', 'flow');
    const dports = flow.destinationPorts ? this.portSet(flow.destinationPorts, 'flow', 'destination port') : ALL_PORTS;
    const start: Box = [
      addressSet(flow.sourceRanges.map((p) => parseCidr(p, { allowBareAddress: true }))),
      addressSet(flow.destinationRanges.map((p) => parseCidr(p, { allowBareAddress: true }))),
      protocol,
      ALL_PORTS,
      dports,
    ];
    if (boxEmpty(start)) return { denied: false, denials: [] };
    const rules = this.rules[flow.direction];
    // Fast path, the common case in a fleet: an Allow covering the whole class (AllowVnetInBound for
    // cluster-internal traffic) before any Deny that touches it decides everything at once.
    for (const r of rules) {
      if (r.access === 'Deny' && start.every((d, k) => intersects(d, r.box[k]))) break;
      if (r.access === 'Allow' && r.box.every((d, k) => covers(d, start[k]))) return { denied: false, denials: [] };
    }
    let remaining: Box[] = [start];
    const denials: NsgDenial[] = [];
    for (const r of rules) {
      if (remaining.length === 0) break;
      if (r.access === 'Deny') {
        const hit = firstIntersection(remaining, r.box);
        if (hit) denials.push({ rule: r.name, priority: r.priority, isDefault: r.isDefault, uncertain: r.uncertain, denied: describe(hit) });
      }
      const next: Box[] = [];
      for (const b of remaining) next.push(...boxMinus(b, r.box));
      remaining = next.length > MAX_BOXES ? [coalesce(next)] : next;
    }
    return { denied: denials.length > 0, denials };
  }

  private compile(r: SecurityRule, isDefault: boolean): CompiledRule {
    const p = r.properties;
    if (!p || typeof p.priority !== 'number') throw new NsgRuleError(r.name, 'priority', String(p?.priority), 'a number 100-4096 (default rules 65000-65500)');
    let uncertain = false;
    const asgs = (k: string) => {
      const v = p[k];
      return Array.isArray(v) && v.length > 0;
    };
    const side = (single: string | undefined, list: string[] | undefined, asgKey: string, field: string): IntervalSet => {
      const values = [...(single !== undefined && single !== '' ? [single] : []), ...(list ?? [])];
      if (values.length === 0 && asgs(asgKey)) {
        // Application security groups: see the module comment.
        if (p.access === 'Deny') uncertain = true;
        return p.access === 'Deny' ? ALL_ADDRESSES : [];
      }
      if (values.length === 0) throw new NsgRuleError(r.name, field, '', "a CIDR, an IP address, '*' or a service tag");
      if (values.length === 1) return this.prefixSet(values[0], r.name, field);
      return values.reduce<IntervalSet>((acc, v) => union(acc, this.prefixSet(v, r.name, field)), []);
    };
    const box: Box = [
      side(p.sourceAddressPrefix, p.sourceAddressPrefixes, 'sourceApplicationSecurityGroups', 'source address prefix'),
      side(p.destinationAddressPrefix, p.destinationAddressPrefixes, 'destinationApplicationSecurityGroups', 'destination address prefix'),
      this.protocolSet(p.protocol, r.name),
      this.portSet(portSpecs(p.sourcePortRange, p.sourcePortRanges), r.name, 'source port range'),
      this.portSet(portSpecs(p.destinationPortRange, p.destinationPortRanges), r.name, 'destination port range'),
    ];
    const access = String(p.access).toLowerCase() === 'deny' ? 'Deny' : 'Allow';
    const direction: NsgDirection = String(p.direction).toLowerCase() === 'outbound' ? 'Outbound' : 'Inbound';
    return { name: r.name, priority: p.priority, access, isDefault, uncertain, box, direction };
  }

  private prefixSet(value: string, ruleName: string, field: string): IntervalSet {
    const v = value.trim();
    const tag = v.toLowerCase();
    if (tag === '*' || tag === 'any') return ALL_ADDRESSES;
    // Classic deployments spell the tags VIRTUAL_NETWORK, AZURE_LOADBALANCER, INTERNET.
    if (tag === 'virtualnetwork' || tag === 'virtual_network') return this.vnet;
    if (tag === 'azureloadbalancer' || tag === 'azure_loadbalancer') return LOAD_BALANCER_SET;
    if (tag === 'internet') return (this.internetSet ??= subtract(ALL_ADDRESSES, union(this.vnet, LOAD_BALANCER_SET)));
    const literal = LITERAL_PREFIXES.get(v);
    if (literal) return literal;
    if (/^[0-9a-f:.]+(\/\d+)?$/i.test(v) && /[.:]/.test(v)) {
      const c = tryParseCidr(v, { allowBareAddress: true });
      if (!c) throw new NsgRuleError(ruleName, field, value, "a CIDR, an IP address, '*' or a service tag");
      return remember(LITERAL_PREFIXES, v, addressSet([c]));
    }
    return (this.otherTagSet ??= subtract(ALL_ADDRESSES, union(this.vnet, PRIVATE_SET)));
  }

  private protocolSet(value: string, ruleName: string): IntervalSet {
    const set = PROTOCOLS.get(value) ?? PROTOCOLS.get(String(value).toLowerCase());
    if (!set) throw new NsgRuleError(ruleName, 'protocol', String(value), "one of '*', Tcp, Udp, Icmp, Esp, Ah");
    return set;
  }

  private portSet(values: readonly string[], ruleName: string, field: string): IntervalSet {
    if (values.length === 0) return ALL_PORTS;
    const key = values.length === 1 ? values[0] : values.join('\u0000');
    const known = PORT_SPECS.get(key);
    if (known) return known;
    return remember(PORT_SPECS, key, this.parsePorts(values, ruleName, field));
  }

  private parsePorts(values: readonly string[], ruleName: string, field: string): IntervalSet {
    const out: Interval[] = [];
    for (const raw of values) {
      for (const part of String(raw).split(',')) {
        const v = part.trim();
        if (v === '*' || v.toLowerCase() === 'any') return ALL_PORTS;
        const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v);
        const lo = m ? Number(m[1]) : NaN;
        const hi = m ? Number(m[2] ?? m[1]) : NaN;
        if (!m || lo > hi || hi > 65535) throw new NsgRuleError(ruleName, field, String(raw), "'*', a port 0-65535 or a range such as '1000-2000'");
        out.push([BigInt(lo), BigInt(hi)]);
      }
    }
    return normalize(out);
  }
}

/** One-shot helper: does this NSG deny any part of the flow class? */
export function evaluateNsgFlow(nsg: NsgInput, flow: FlowClass, context: NsgContext): FlowVerdict {
  return new NsgEvaluator(nsg, context).evaluate(flow);
}

const NO_SPECS: readonly string[] = [];

function portSpecs(single: string | undefined, list: string[] | undefined): readonly string[] {
  if (!list || list.length === 0) return single ? [single] : NO_SPECS;
  return single ? [single, ...list] : list;
}

function boxEmpty(b: Box): boolean {
  return b.some(isEmpty);
}

function intersectBox(b: Box, r: Box): Box {
  return [intersect(b[0], r[0]), intersect(b[1], r[1]), intersect(b[2], r[2]), intersect(b[3], r[3]), intersect(b[4], r[4])];
}

function firstIntersection(boxes: readonly Box[], r: Box): Box | undefined {
  for (const b of boxes) {
    const i = intersectBox(b, r);
    if (!boxEmpty(i)) return i;
  }
  return undefined;
}

/**
 * b minus r as disjoint boxes: for each dimension k, the part of b that r covers in dimensions < k
 * and misses in dimension k. At most 5 boxes.
 */
function boxMinus(b: Box, r: Box): Box[] {
  const inter = b.map((d, k) => intersect(d, r[k]));
  if (inter.some(isEmpty)) return [b];
  const out: Box[] = [];
  for (let k = 0; k < 5; k++) {
    const miss = subtract(b[k], r[k]);
    if (isEmpty(miss)) continue;
    const dims = b.map((d, j) => (j < k ? inter[j] : j === k ? miss : d));
    out.push(dims as unknown as Box);
  }
  return out;
}

function coalesce(boxes: readonly Box[]): Box {
  const dims = [0, 1, 2, 3, 4].map((k) => boxes.reduce<IntervalSet>((acc, b) => union(acc, b[k]), []));
  return dims as unknown as Box;
}

function describe(b: Box): NsgDenial['denied'] {
  const cidrs = (s: IntervalSet) => {
    const list = addressSetToCidrs(s).map((c: Cidr) => formatCidr(c));
    return list.length > 4 ? [...list.slice(0, 4), `(+${list.length - 4} more)`] : list;
  };
  return { sources: cidrs(b[0]), destinations: cidrs(b[1]), protocols: describeProtocols(b[2]), destinationPorts: describePorts(b[4]) };
}

function describeProtocols(s: IntervalSet): string {
  if (cardinality(s) === 256n) return 'all protocols';
  const has = (n: bigint) => s.some(([a, b]) => a <= n && n <= b);
  const names = PROTOCOL_NAMES.filter(([, nums]) => nums.some(has)).map(([n]) => n);
  const known = PROTOCOL_NAMES.flatMap(([, nums]) => nums);
  const other = cardinality(s) > BigInt(known.filter(has).length);
  return [...names, ...(other ? ['other IP protocols'] : [])].join(', ');
}

function describePorts(s: IntervalSet): string {
  if (cardinality(s) === 65536n) return 'all ports';
  return s.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}
