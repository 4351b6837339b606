import fc from 'fast-check';
import type { SecurityRule, NetworkSecurityGroupResource } from '../../../shared/model/arm';
import { ARM_DEFAULT_SECURITY_RULES, NsgEvaluator, NsgRuleError, evaluateNsgFlow, type FlowClass } from '../../../shared/network/nsg';
import { contains, parseAddress, parseCidr } from '../../../shared/network/cidr';

const NSG_ID = '/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/aks-nsg';

/** An NSG exactly as ARM GET returns it (default rules included, as ARM always does). */
function armNsg(rules: SecurityRule[], withDefaults = true): NetworkSecurityGroupResource {
  return {
    id: NSG_ID,
    name: 'aks-nsg',
    type: 'Microsoft.Network/networkSecurityGroups',
    location: 'westeurope',
    properties: {
      securityRules: rules.map((r) => ({ ...r, id: `${NSG_ID}/securityRules/${r.name}` })),
      defaultSecurityRules: withDefaults ? ARM_DEFAULT_SECURITY_RULES.map((r) => ({ ...r, id: `${NSG_ID}/defaultSecurityRules/${r.name}` })) : [],
    },
  };
}

function secRule(name: string, priority: number, direction: 'Inbound' | 'Outbound', access: 'Allow' | 'Deny', src: string | string[], dst: string | string[], protocol = '*', dport: string | string[] = '*'): SecurityRule {
  return {
    name,
    properties: {
      priority,
      direction,
      access,
      protocol,
      sourcePortRange: '*',
      ...(Array.isArray(src) ? { sourceAddressPrefixes: src } : { sourceAddressPrefix: src }),
      ...(Array.isArray(dst) ? { destinationAddressPrefixes: dst } : { destinationAddressPrefix: dst }),
      ...(Array.isArray(dport) ? { destinationPortRanges: dport } : { destinationPortRange: dport }),
    },
  };
}

const VNET = ['10.0.0.0/16'];
const NODES = ['10.0.1.0/24'];
const PODS = ['10.244.0.0/16'];
const afterOverlay = { virtualNetwork: [...VNET, ...PODS] };
const inbound = (src: string[], dst: string[]): FlowClass => ({ direction: 'Inbound', sourceRanges: src, destinationRanges: dst });
const outbound = (src: string[], dst: string[]): FlowClass => ({ direction: 'Outbound', sourceRanges: src, destinationRanges: dst });

describe('NSG evaluation: default rules', () => {
  it('lets node↔node, node→pod and pod→pod through when the pod CIDR is part of VirtualNetwork (Overlay)', () => {
    const nsg = armNsg([]).properties!;
    for (const [s, d] of [[NODES, NODES], [NODES, PODS], [PODS, PODS]]) {
      expect(evaluateNsgFlow(nsg, inbound(s, d), afterOverlay).denied).toBe(false);
      expect(evaluateNsgFlow(nsg, outbound(s, d), afterOverlay).denied).toBe(false);
    }
  });

  it('denies pod→pod inbound with DenyAllInBound when the VirtualNetwork tag does not include the pod CIDR', () => {
    const v = evaluateNsgFlow(armNsg([]).properties!, inbound(PODS, PODS), { virtualNetwork: VNET });
    expect(v.denied).toBe(true);
    expect(v.denials[0]).toMatchObject({ rule: 'DenyAllInBound', priority: 65500, isDefault: true, uncertain: false });
  });

  it("uses ARM's default rules when the NSG JSON omits them", () => {
    const withDefaults = evaluateNsgFlow(armNsg([]).properties!, inbound(['8.8.8.8'], NODES), afterOverlay);
    const without = evaluateNsgFlow(armNsg([], false).properties!, inbound(['8.8.8.8'], NODES), afterOverlay);
    expect(without).toEqual(withDefaults);
    expect(without.denials.map((d) => d.rule)).toEqual(['DenyAllInBound']);
  });

  it('lets the Azure load balancer probe in (AllowAzureLoadBalancerInBound) and internet traffic out', () => {
    const nsg = armNsg([]).properties!;
    expect(evaluateNsgFlow(nsg, inbound(['168.63.129.16'], NODES), afterOverlay).denied).toBe(false);
    expect(evaluateNsgFlow(nsg, inbound(['168.63.129.17'], NODES), afterOverlay).denied).toBe(true);
    expect(evaluateNsgFlow(nsg, outbound(NODES, ['20.0.0.0/8']), afterOverlay).denied).toBe(false);
  });
});

describe('NSG evaluation: custom rules', () => {
  it('reports a custom deny of VirtualNetwork traffic with the rule name, the part denied and what gets through', () => {
    const nsg = armNsg([
      secRule('AllowNodes', 100, 'Inbound', 'Allow', '10.0.0.0/16', '10.0.0.0/16'),
      secRule('DenyVnetInbound', 4000, 'Inbound', 'Deny', 'VirtualNetwork', 'VirtualNetwork'),
    ]).properties!;
    expect(evaluateNsgFlow(nsg, inbound(NODES, NODES), afterOverlay).denied).toBe(false);
    const v = evaluateNsgFlow(nsg, inbound(NODES, PODS), afterOverlay);
    expect(v.denials).toHaveLength(1);
    expect(v.denials[0]).toMatchObject({ rule: 'DenyVnetInbound', priority: 4000, isDefault: false });
    expect(v.denials[0].denied).toEqual({ sources: ['10.0.1.0/24'], destinations: ['10.244.0.0/16'], protocols: 'all protocols', destinationPorts: 'all ports' });
  });

  it('first match wins: an allow at a lower priority number hides a later deny', () => {
    const nsg = armNsg([
      secRule('DenyAll', 200, 'Inbound', 'Deny', '*', '*'),
      secRule('AllowPods', 100, 'Inbound', 'Allow', PODS, PODS),
    ]).properties!;
    expect(evaluateNsgFlow(nsg, inbound(PODS, PODS), afterOverlay).denied).toBe(false);
    expect(evaluateNsgFlow(nsg, inbound(NODES, PODS), afterOverlay).denials[0].rule).toBe('DenyAll');
  });

  it('a protocol- and port-limited deny denies part of "all ports and protocols", and says which part', () => {
    const nsg = armNsg([secRule('DenySsh', 300, 'Inbound', 'Deny', '*', '*', 'Tcp', ['22', '2222-2223'])]).properties!;
    const v = evaluateNsgFlow(nsg, inbound(NODES, NODES), afterOverlay);
    expect(v.denied).toBe(true);
    expect(v.denials[0].denied).toMatchObject({ protocols: 'Tcp', destinationPorts: '22,2222-2223' });
    expect(evaluateNsgFlow(nsg, { ...inbound(NODES, NODES), protocol: 'Udp' }, afterOverlay).denied).toBe(false);
    expect(evaluateNsgFlow(nsg, { ...inbound(NODES, NODES), destinationPorts: ['443'] }, afterOverlay).denied).toBe(false);
  });

  it('allowing only Tcp and Udp leaves the other protocols to DenyAllInBound (seed 003: all ports and protocols)', () => {
    const nsg = armNsg([
      secRule('AllowTcp', 100, 'Inbound', 'Allow', PODS, PODS, 'Tcp'),
      secRule('AllowUdp', 110, 'Inbound', 'Allow', PODS, PODS, 'Udp'),
    ]).properties!;
    const v = evaluateNsgFlow(nsg, inbound(PODS, PODS), { virtualNetwork: VNET });
    expect(v.denials[0].rule).toBe('DenyAllInBound');
    expect(v.denials[0].denied.protocols).toBe('Icmp, Esp, Ah, other IP protocols');
  });

  it('treats other service tags as public ranges that never match private cluster traffic', () => {
    const nsg = armNsg([secRule('DenyStorage', 100, 'Outbound', 'Deny', '*', 'Storage.WestEurope'), secRule('DenyCloud', 110, 'Inbound', 'Deny', 'AzureCloud', '*')]).properties!;
    expect(evaluateNsgFlow(nsg, outbound(NODES, PODS), afterOverlay).denied).toBe(false);
    expect(evaluateNsgFlow(nsg, inbound(PODS, NODES), afterOverlay).denied).toBe(false);
    expect(evaluateNsgFlow(nsg, outbound(NODES, ['52.239.0.0/16']), afterOverlay).denials[0].rule).toBe('DenyStorage');
  });

  it('assumes a deny naming an application security group matches, and marks it uncertain', () => {
    const asgRule: SecurityRule = {
      name: 'DenyFromAsg',
      properties: { priority: 150, direction: 'Inbound', access: 'Deny', protocol: '*', sourcePortRange: '*', destinationPortRange: '*', destinationAddressPrefix: '*', sourceApplicationSecurityGroups: [{ id: `${NSG_ID}/asg` }] },
    };
    const v = evaluateNsgFlow(armNsg([asgRule]).properties!, inbound(NODES, NODES), afterOverlay);
    expect(v.denials[0]).toMatchObject({ rule: 'DenyFromAsg', uncertain: true });
  });

  it('honours source port ranges: a deny limited to source port 53 denies only part of the class', () => {
    const r = secRule('DenyFrom53', 100, 'Inbound', 'Deny', '*', '*');
    r.properties.sourcePortRange = '53';
    const v = evaluateNsgFlow(armNsg([r]).properties!, inbound(NODES, NODES), afterOverlay);
    expect(v.denials.map((d) => d.rule)).toEqual(['DenyFrom53']);
  });

  it('evaluates rules of equal priority in a fixed order (by name), whatever the input order', () => {
    const allow = secRule('A-allow', 100, 'Inbound', 'Allow', '*', '*');
    const deny = secRule('B-deny', 100, 'Inbound', 'Deny', '*', '*');
    expect(evaluateNsgFlow({ securityRules: [deny, allow] }, inbound(NODES, NODES), afterOverlay).denied).toBe(false);
    expect(evaluateNsgFlow({ securityRules: [allow, deny] }, inbound(NODES, NODES), afterOverlay).denied).toBe(false);
  });

  it('stays fast and exact on a large NSG (400 single-port allows before a deny-all)', () => {
    const rules = Array.from({ length: 400 }, (_, i) => secRule(`AllowPort${1000 + i}`, 100 + i, 'Inbound', 'Allow', '*', '*', 'Tcp', String(1000 + i)));
    rules.push(secRule('DenyRest', 4000, 'Inbound', 'Deny', '*', '*'));
    const started = Date.now();
    const v = evaluateNsgFlow({ securityRules: rules }, inbound(NODES, NODES), afterOverlay);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(v.denials.map((d) => d.rule)).toEqual(['DenyRest']);
    expect(evaluateNsgFlow({ securityRules: rules }, { ...inbound(NODES, NODES), protocol: 'Tcp', destinationPorts: ['1000-1399'] }, afterOverlay).denied).toBe(false);
    expect(evaluateNsgFlow({ securityRules: rules }, { ...inbound(NODES, NODES), protocol: 'Tcp', destinationPorts: ['1000-1400'] }, afterOverlay).denials[0].denied.destinationPorts).toBe('1400');
  });

  it('handles IPv6 prefixes alongside IPv4', () => {
    const nsg = armNsg([secRule('DenyV6', 100, 'Inbound', 'Deny', 'fd00::/8', '*')]).properties!;
    expect(evaluateNsgFlow(nsg, inbound(['fd12:3456:789a::/64'], NODES), afterOverlay).denials[0].rule).toBe('DenyV6');
    expect(evaluateNsgFlow(nsg, inbound(NODES, NODES), afterOverlay).denied).toBe(false);
  });

  it.each([
    [secRule('BadPort', 100, 'Inbound', 'Deny', '*', '*', '*', '70000'), "NSG rule 'BadPort' has an invalid destination port range '70000'"],
    [secRule('BadProto', 100, 'Inbound', 'Deny', '*', '*', 'Sctp'), "NSG rule 'BadProto' has an invalid protocol 'Sctp'"],
    [secRule('BadPrefix', 100, 'Inbound', 'Deny', '10.0.0.300/24', '*'), "NSG rule 'BadPrefix' has an invalid source address prefix '10.0.0.300/24'"],
  ])('rejects a malformed rule with one clear line (%#)', (r, message) => {
    expect(() => new NsgEvaluator(armNsg([r]).properties!, afterOverlay)).toThrow(NsgRuleError);
    expect(() => new NsgEvaluator(armNsg([r]).properties!, afterOverlay)).toThrow(message);
  });
});

// ---- property tests against an independent packet-level reference ------------------------------

const addrPool = ['10.0.0.0/16', '10.0.1.0/24', '10.0.1.128/25', '10.244.0.0/16', '10.244.3.0/24', '192.168.0.0/16', '*', 'VirtualNetwork', 'Internet', 'AzureLoadBalancer', '10.0.1.7'];
const protoPool = ['*', 'Tcp', 'Udp', 'Icmp'];
const portPool = ['*', '53', '80-90', '1000-2000'];
const arbRule = (access: fc.Arbitrary<'Allow' | 'Deny'>) =>
  fc
    .record({
      priority: fc.integer({ min: 100, max: 4096 }),
      direction: fc.constantFrom<'Inbound' | 'Outbound'>('Inbound', 'Outbound'),
      access,
      src: fc.constantFrom(...addrPool),
      dst: fc.constantFrom(...addrPool),
      protocol: fc.constantFrom(...protoPool),
      dport: fc.constantFrom(...portPool),
    })
    .map((r): SecurityRule => secRule(`r${r.priority}`, r.priority, r.direction, r.access, r.src, r.dst, r.protocol, r.dport));
const uniqueRules = (access: fc.Arbitrary<'Allow' | 'Deny'>) => fc.uniqueArray(arbRule(access), { selector: (r) => r.properties.priority, maxLength: 8 });
const arbFlow = fc.record({
  direction: fc.constantFrom<'Inbound' | 'Outbound'>('Inbound', 'Outbound'),
  sourceRanges: fc.constantFrom(NODES, PODS, [...NODES, ...PODS]),
  destinationRanges: fc.constantFrom(NODES, PODS, ['10.0.1.7']),
});

/** Reference: first-match evaluation of ONE packet, written independently of the evaluator. */
function packetVerdict(rules: SecurityRule[], p: { direction: string; src: string; dst: string; proto: number; port: number }, vnet: string[]): { access: string; rule: string } {
  const inAny = (ip: string, list: string[]) => list.some((c) => contains(parseCidr(c, { allowBareAddress: true }), ip));
  const matchAddr = (prefix: string, ip: string) => {
    if (prefix === '*') return true;
    if (prefix === 'VirtualNetwork') return inAny(ip, vnet);
    if (prefix === 'AzureLoadBalancer') return ip === '168.63.129.16';
    if (prefix === 'Internet') return !inAny(ip, vnet) && ip !== '168.63.129.16';
    return contains(parseCidr(prefix, { allowBareAddress: true }), ip);
  };
  const protoNum: Record<string, number[]> = { Tcp: [6], Udp: [17], Icmp: [1, 58] };
  const matchPort = (range: string, port: number) => range === '*' || (range.includes('-') ? port >= Number(range.split('-')[0]) && port <= Number(range.split('-')[1]) : port === Number(range));
  const all = [...rules, ...ARM_DEFAULT_SECURITY_RULES].filter((r) => r.properties.direction === p.direction).sort((a, b) => a.properties.priority - b.properties.priority);
  for (const r of all) {
    const q = r.properties;
    if (!matchAddr(q.sourceAddressPrefix!, p.src) || !matchAddr(q.destinationAddressPrefix!, p.dst)) continue;
    if (q.protocol !== '*' && !protoNum[q.protocol].includes(p.proto)) continue;
    if (!matchPort(q.destinationPortRange!, p.port)) continue;
    return { access: q.access, rule: r.name };
  }
  return { access: 'Allow', rule: '(none)' };
}

/** A few concrete packets inside a flow class: range edges and interesting protocol/port values. */
function samplePackets(flow: FlowClass): Array<{ direction: string; src: string; dst: string; proto: number; port: number }> {
  const edges = (ranges: readonly string[]) => ranges.flatMap((r) => (r.includes('/') ? [r.split('/')[0], r.replace(/\.0\/\d+$/, '.7').replace(/\.0\.0\.7$/, '.3.7')] : [r]));
  const out = [];
  for (const src of edges(flow.sourceRanges)) for (const dst of edges(flow.destinationRanges)) for (const proto of [6, 17, 1, 50]) for (const port of [53, 85, 1500, 443]) out.push({ direction: flow.direction, src, dst, proto, port });
  return out.filter((p) => parseAddress(p.src) && parseAddress(p.dst));
}

describe('NSG evaluation: properties', () => {
  it('an NSG whose rules (defaults included) are all Allow never denies', () => {
    fc.assert(
      fc.property(uniqueRules(fc.constant('Allow')), arbFlow, (rules, flow) => {
        const allowDefaults = ARM_DEFAULT_SECURITY_RULES.filter((r) => r.properties.access === 'Allow');
        expect(evaluateNsgFlow({ securityRules: rules, defaultSecurityRules: allowDefaults }, flow, afterOverlay).denied).toBe(false);
      }),
    );
  });

  it('adding a deny covering the flow at a higher priority than every other rule makes it denied by that rule', () => {
    fc.assert(
      fc.property(uniqueRules(fc.constantFrom('Allow', 'Deny')), arbFlow, (rules, flow) => {
        const deny = secRule('DenyFirst', 99, flow.direction, 'Deny', '*', '*');
        const v = evaluateNsgFlow({ securityRules: [...rules, deny] }, flow, afterOverlay);
        expect(v.denials.map((d) => d.rule)).toEqual(['DenyFirst']);
      }),
    );
  });

  it('does not depend on the order of the rules array', () => {
    fc.assert(
      fc.property(uniqueRules(fc.constantFrom('Allow', 'Deny')).chain((rules) => fc.tuple(fc.constant(rules), fc.shuffledSubarray(rules, { minLength: rules.length, maxLength: rules.length }))), arbFlow, ([rules, shuffled], flow) => {
        expect(evaluateNsgFlow({ securityRules: shuffled }, flow, afterOverlay)).toEqual(evaluateNsgFlow({ securityRules: rules }, flow, afterOverlay));
      }),
    );
  });

  it('agrees with packet-by-packet first-match evaluation: any denied sample packet means denied, and the reported part really is denied', () => {
    fc.assert(
      fc.property(uniqueRules(fc.constantFrom('Allow', 'Deny')), arbFlow, (rules, flow) => {
        const v = evaluateNsgFlow({ securityRules: rules }, flow, afterOverlay);
        const deniedPackets = samplePackets(flow).filter((p) => packetVerdict(rules, p, afterOverlay.virtualNetwork).access === 'Deny');
        if (deniedPackets.length > 0) expect(v.denied).toBe(true);
        for (const p of deniedPackets) expect(v.denials.map((d) => d.rule)).toContain(packetVerdict(rules, p, afterOverlay.virtualNetwork).rule);
        // The first address of each reported part, on a protocol and port inside it, is denied by that rule.
        for (const d of v.denials) {
          const proto = d.denied.protocols === 'all protocols' || d.denied.protocols.startsWith('Tcp') ? 6 : d.denied.protocols.startsWith('Udp') ? 17 : d.denied.protocols.startsWith('Icmp') ? 1 : 50;
          const port = d.denied.destinationPorts === 'all ports' ? 0 : Number(d.denied.destinationPorts.split(/[-,]/)[0]);
          const pkt = { direction: flow.direction, src: d.denied.sources[0].split('/')[0], dst: d.denied.destinations[0].split('/')[0], proto, port };
          expect(packetVerdict(rules, pkt, afterOverlay.virtualNetwork)).toEqual({ access: 'Deny', rule: d.rule });
        }
      }),
      { numRuns: 300 },
    );
  });
});
