import { normalizeFleet } from '../../../shared/model/normalize';
import type { ArmResource } from '../../../shared/model/arm';
import type { ClusterFacts } from '../../../shared/model/facts';
import type { Target } from '../../../shared/model/assessment';
import { evaluateRules } from '../../../shared/rules';
import { networkRules } from '../../../shared/rules/network';
import { planFor } from '../../../shared/assess';
import { kubenetCluster, nodeSubnetCluster, nsg, securityRule, snapshotOf, vnet, vnetId } from '../../support/arm';

function facts(resources: ArmResource[]): ClusterFacts {
  return normalizeFleet(snapshotOf(resources))[0];
}

function findings(f: ClusterFacts, target: Target = 'overlay', podCidr?: string) {
  return evaluateRules({ facts: f, plan: planFor(f, { target, podCidr }) }, networkRules);
}

const ids = (fs: Array<{ rule: string }>) => fs.map((x) => x.rule);

describe('network rules', () => {
  it('find nothing on a well-planned node-subnet cluster behind an NSG with only the default rules', () => {
    expect(findings(facts([nodeSubnetCluster(), vnet(), nsg()]))).toEqual([]);
  });

  it('cite seed 003 sections', () => {
    for (const r of networkRules) {
      expect(r.source.doc).toBe('003_fe34ccaeba990a60.txt');
      expect(['IP address planning', 'Network security groups']).toContain(r.source.section);
      expect(r.appliesTo).toEqual(['ipam:overlay']);
    }
  });

  it('only run when the plan moves IPAM to Overlay', () => {
    const f = facts([nodeSubnetCluster({ networkProfile: { serviceCidr: '10.0.0.0/8', serviceCidrs: ['10.0.0.0/8'] } }), vnet()]);
    expect(ids(findings(f, 'overlay'))).toContain('overlay.service-cidr-size');
    expect(findings(f, 'cilium')).toEqual([]);
  });

  describe('overlay.pod-cidr-required / overlay.pod-cidr-overlap', () => {
    it('block a requested pod CIDR that overlaps the VNet, naming each range and suggesting a free one', () => {
      const f = facts([nodeSubnetCluster(), vnet(), nsg()]);
      const [finding, ...rest] = findings(f, 'overlay', '10.10.0.0/16');
      expect(rest).toEqual([]);
      expect(finding).toMatchObject({ rule: 'overlay.pod-cidr-overlap', severity: 'blocker', source: '003_fe34ccaeba990a60.txt § IP address planning' });
      expect(finding.message).toBe(
        'The requested pod CIDR 10.10.0.0/16 overlaps 10.10.0.0/16 (VNet vnet-aks address space), 10.10.0.0/20 (subnet aks-nodes) and 10.10.64.0/18 (subnet aks-pods).',
      );
      expect(finding.remediation).toContain('e.g. 10.244.0.0/16');
    });

    it('block a kubenet cluster whose kept pod CIDR overlaps a peered VNet, telling the user the peering must move', () => {
      const f = facts([
        kubenetCluster({ agentPoolProfiles: undefined }),
        // the AKS-managed VNet lives in the node resource group
        vnet({
          name: 'aks-vnet-123',
          resourceGroup: 'MC_rg-aks_aks-1_eastus',
          addressPrefixes: ['10.224.0.0/12'],
          subnets: [{ name: 'aks-subnet', addressPrefix: '10.224.0.0/16' }],
          peerings: [{ name: 'hub', remoteVnetId: vnetId('hub', 'rg-hub'), remoteAddressPrefixes: ['10.244.0.0/14'] }],
        }),
      ]);
      const fs = findings(f);
      expect(ids(fs)).toEqual(['overlay.pod-cidr-overlap']);
      expect(fs[0].message).toBe('The kubenet pod CIDR 10.244.0.0/16 (kept by the update) overlaps 10.244.0.0/14 (peered VNet hub (peering hub)).');
      expect(fs[0].remediation).toContain('Kubenet keeps its pod CIDR');
    });

    it('block when no pod CIDR can be had, with the planner’s reason', () => {
      const f = facts([nodeSubnetCluster(), vnet()]);
      const fs = findings(f, 'overlay', '10.244.0.0/33');
      expect(ids(fs)).toEqual(['overlay.pod-cidr-required']);
      expect(fs[0].message).toContain("'10.244.0.0/33' is not a valid CIDR: prefix length must be 0-32 for IPv4");
    });
  });

  describe('overlay.nsg-blocks-cluster-traffic', () => {
    it('blocks when a custom deny hits pod traffic, naming the NSG, subnet, rule, flows and the fix', () => {
      const f = facts([
        nodeSubnetCluster(),
        vnet(),
        nsg({
          securityRules: [
            securityRule('AllowNodes', { priority: 100, sourceAddressPrefix: '10.10.0.0/20', destinationAddressPrefix: '10.10.0.0/20' }),
            securityRule('DenyAllVnetIn', { priority: 4000, access: 'Deny', sourceAddressPrefix: 'VirtualNetwork', destinationAddressPrefix: 'VirtualNetwork' }),
          ],
        }),
      ]);
      const fs = findings(f);
      expect(ids(fs)).toEqual(['overlay.nsg-blocks-cluster-traffic']);
      expect(fs[0].severity).toBe('blocker');
      expect(fs[0].source).toBe('003_fe34ccaeba990a60.txt § Network security groups');
      expect(fs[0].message).toBe(
        'NSG nsg-aks on subnet aks-nodes: rule DenyAllVnetIn (priority 4000, Inbound) would deny node → pod inbound (10.10.0.0/20 → 10.244.0.0/16, all protocols, all ports) and pod → pod inbound (10.244.0.0/16 → 10.244.0.0/16, all protocols, all ports) after the update.',
      );
      expect(fs[0].remediation).toContain('add inbound Allow rules with a priority number below 4000 for 10.10.0.0/20 → 10.244.0.0/16 and 10.244.0.0/16 → 10.244.0.0/16');
    });

    it('blocks on a port-limited deny of node traffic and says which ports', () => {
      const f = facts([nodeSubnetCluster(), vnet(), nsg({ securityRules: [securityRule('DenyDns', { priority: 200, access: 'Deny', direction: 'Outbound', protocol: 'Udp', destinationPortRange: '53' })] })]);
      const fs = findings(f);
      expect(fs).toHaveLength(1);
      expect(fs[0].message).toContain('rule DenyDns (priority 200, Outbound) would deny node → node outbound (10.10.0.0/20 → 10.10.0.0/20, Udp, ports 53), node → pod outbound');
    });

    it('passes when the deny comes after explicit allows for node and pod CIDRs (the seed 003 recipe)', () => {
      const f = facts([
        nodeSubnetCluster(),
        vnet(),
        nsg({
          securityRules: [
            ...(['Inbound', 'Outbound'] as const).flatMap((direction, i) => [
              securityRule(`AllowNodeNode${direction}`, { priority: 100 + i * 10, direction, sourceAddressPrefix: '10.10.0.0/20', destinationAddressPrefix: '10.10.0.0/20' }),
              securityRule(`AllowNodePod${direction}`, { priority: 101 + i * 10, direction, sourceAddressPrefix: '10.10.0.0/20', destinationAddressPrefix: '10.244.0.0/16' }),
              securityRule(`AllowPodPod${direction}`, { priority: 102 + i * 10, direction, sourceAddressPrefix: '10.244.0.0/16', destinationAddressPrefix: '10.244.0.0/16' }),
            ]),
            securityRule('DenyEverythingIn', { priority: 4000, access: 'Deny' }),
            securityRule('DenyEverythingOut', { priority: 4000, access: 'Deny', direction: 'Outbound' }),
          ],
        }),
      ]);
      expect(findings(f)).toEqual([]);
    });

    it('warns (not blocks) when the deny only matches through an application security group', () => {
      const rule = securityRule('DenyAsg', { priority: 300, access: 'Deny', sourceAddressPrefix: undefined, sourceApplicationSecurityGroups: [{ id: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/web' }] });
      const fs = findings(facts([nodeSubnetCluster(), vnet(), nsg({ securityRules: [rule] })]));
      expect(fs.map((x) => [x.rule, x.severity])).toEqual([['overlay.nsg-blocks-cluster-traffic', 'warning']]);
      expect(fs[0].message).toContain('application security group');
    });

    it('turns a malformed NSG rule into a warning naming the NSG and the field', () => {
      const fs = findings(facts([nodeSubnetCluster(), vnet(), nsg({ securityRules: [securityRule('Broken', { destinationPortRange: '99999' })] })]));
      expect(fs[0]).toMatchObject({ rule: 'overlay.nsg-blocks-cluster-traffic', severity: 'warning' });
      expect(fs[0].message).toContain("NSG nsg-aks on subnet aks-nodes could not be evaluated: NSG rule 'Broken' has an invalid destination port range '99999'");
    });
  });

  describe('overlay.service-cidr-size / overlay.dns-service-ip / overlay.service-cidr-overlap', () => {
    it.each([
      ['10.96.0.0/12', '10.96.0.10', 'overlay.service-cidr-size', 'The service CIDR 10.96.0.0/12 (/12, 1048576 addresses) is not smaller than /12.'],
      ['10.0.0.0/16', '10.1.0.10', 'overlay.dns-service-ip', 'The DNS service IP 10.1.0.10 is outside the service CIDR 10.0.0.0/16.'],
      ['10.0.0.0/16', '10.0.0.1', 'overlay.dns-service-ip', 'The DNS service IP 10.0.0.1 is the first address of the service CIDR 10.0.0.0/16.'],
      ['10.0.0.0/16', '10.0.0.0', 'overlay.dns-service-ip', 'The DNS service IP 10.0.0.0 is the network address of the service CIDR 10.0.0.0/16.'],
    ])('service CIDR %s with DNS IP %s → %s', (serviceCidr, dnsServiceIP, rule, message) => {
      const f = facts([nodeSubnetCluster({ networkProfile: { serviceCidr, serviceCidrs: [serviceCidr], dnsServiceIP } }), vnet()]);
      const fs = findings(f);
      expect(fs.map((x) => [x.rule, x.severity, x.message])).toEqual([[rule, 'blocker', message]]);
    });

    it('accepts a /13 service CIDR and a DNS IP past the first address', () => {
      const f = facts([nodeSubnetCluster({ networkProfile: { serviceCidr: '10.96.0.0/13', serviceCidrs: ['10.96.0.0/13'], dnsServiceIP: '10.96.0.2' } }), vnet()]);
      expect(findings(f)).toEqual([]);
    });

    it('warns when the service CIDR overlaps a peered VNet', () => {
      const f = facts([nodeSubnetCluster(), vnet({ peerings: [{ name: 'to-hub', remoteVnetId: vnetId('hub', 'rg-hub'), remoteAddressPrefixes: ['10.0.0.0/24'] }] })]);
      const fs = findings(f);
      expect(fs.map((x) => [x.rule, x.severity, x.message])).toEqual([['overlay.service-cidr-overlap', 'warning', 'The service CIDR 10.0.0.0/16 overlaps 10.0.0.0/24 (peered VNet hub).']]);
    });
  });
});
