import {
  agentPool,
  ciliumNetworkPolicy,
  dynamicIpCluster,
  ipBlockEgressPolicy,
  karpenterNodePool,
  kubenetCluster,
  managedCluster,
  networkPolicy,
  node,
  nodeSubnetCluster,
  overlayCluster,
  pod,
  service,
  subnetId,
  windowsPool,
  userAssignedIdentity,
  daemonSet,
  vnet,
} from '../../support/arm';
import { BOTH, CILIUM, factsOf, hits } from './context';

describe('cilium.source-ipam (000: any Azure CNI mode; kubenet goes through Overlay)', () => {
  it('kubenet with Overlay first in the plan: info', () => {
    const [h] = hits('cilium.source-ipam', factsOf(kubenetCluster({ identity: userAssignedIdentity() })), BOTH);
    expect(h.severity).toBe('info');
    expect(h.message).toContain('updates the IPAM mode to Overlay first');
  });
  it('kubenet without Overlay first: blocker', () => {
    expect(hits('cilium.source-ipam', factsOf(kubenetCluster()), CILIUM)[0].severity).toBe('blocker');
    expect(hits('cilium.source-ipam', factsOf(kubenetCluster()), ['dataplane:cilium', 'ipam:overlay'])[0].severity).toBe('blocker');
  });
  it('node subnet, dynamic IP and Overlay are supported (001 said node subnet was not; newer documents stand)', () => {
    for (const c of [nodeSubnetCluster(), dynamicIpCluster(), overlayCluster()]) expect(hits('cilium.source-ipam', factsOf(c), CILIUM)).toEqual([]);
  });
});

describe('cilium.windows-pools', () => {
  it('blocks Windows pools, naming them', () => {
    const f = factsOf(overlayCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() }), windowsPool({ name: 'win1', vnetSubnetID: subnetId() })] }));
    expect(hits('cilium.windows-pools', f, CILIUM)[0]).toMatchObject({ severity: 'blocker', message: '1 Windows pool: win1.' });
  });
  it('passes Linux-only clusters', () => {
    expect(hits('cilium.windows-pools', factsOf(overlayCluster()), CILIUM)).toEqual([]);
  });
});

describe('cilium.node-auto-provisioning', () => {
  const nap = () =>
    factsOf(overlayCluster({ nodeProvisioningProfile: { mode: 'Auto' } }), {
      extraKube: [karpenterNodePool('default'), node('aks-default-abcde', { labels: { 'karpenter.sh/nodepool': 'default' } })],
    });
  it('info when the plan disables NAP around the update', () => {
    const [h] = hits('cilium.node-auto-provisioning', nap(), ['nap:disable', 'dataplane:cilium', 'nap:enable']);
    expect(h).toMatchObject({ severity: 'info', message: 'Node auto-provisioning is Auto (1 NodePool default, 1 NAP node): aksnet disables it before the update and re-enables it after.' });
  });
  it('blocker when the plan does not disable NAP first', () => {
    expect(hits('cilium.node-auto-provisioning', nap(), CILIUM)[0].severity).toBe('blocker');
  });
  it('nothing when NAP is Manual', () => {
    expect(hits('cilium.node-auto-provisioning', factsOf(overlayCluster()), CILIUM)).toEqual([]);
  });
});

describe('cilium.policy-engine-replaced', () => {
  it('warns that Azure NPM is replaced and counts NetworkPolicies', () => {
    const f = factsOf(nodeSubnetCluster({ networkProfile: { networkPolicy: 'azure' } }), { extraKube: [networkPolicy('a', 'p1'), networkPolicy('b', 'p2'), networkPolicy('b', 'p3')] });
    expect(hits('cilium.policy-engine-replaced', f, CILIUM)[0]).toMatchObject({
      severity: 'warning',
      message: 'Azure Network Policy Manager is uninstalled and replaced by Cilium; 3 NetworkPolicies will be enforced by Cilium instead; policy behaviour may change.',
    });
  });
  it('names Calico; nothing when no engine', () => {
    expect(hits('cilium.policy-engine-replaced', factsOf(overlayCluster({ networkProfile: { networkPolicy: 'calico' } })), CILIUM)[0].message).toMatch(/^Calico/);
    expect(hits('cilium.policy-engine-replaced', factsOf(overlayCluster()), CILIUM)).toEqual([]);
  });
});

describe('cilium.ipblock-cluster-ips (001/002 FAQ)', () => {
  it('warns about 0.0.0.0/0 egress: it covers the pod CIDR and node IPs', () => {
    const f = factsOf(overlayCluster(), { extraKube: [ipBlockEgressPolicy('shop', 'allow-all-egress', '0.0.0.0/0')] });
    const [h] = hits('cilium.ipblock-cluster-ips', f, CILIUM);
    expect(h.severity).toBe('warning');
    expect(h.message).toMatch(/^NetworkPolicy shop\/allow-all-egress has an ipBlock over pod IPs \(0\.0\.0\.0\/0 covers pod CIDR 10\.244\.0\.0\/16\) and node IPs \(/);
    expect(h.remediation).toContain('namespaceSelector: {}');
  });

  it('checks the planned pod CIDR when the plan moves to Overlay, and node-subnet pod IPs', () => {
    const f = factsOf(nodeSubnetCluster(), { kube: [ipBlockEgressPolicy('shop', 'to-overlay', '192.168.0.0/16')] });
    expect(hits('cilium.ipblock-cluster-ips', f, CILIUM)).toEqual([]);
    const planned = { podCidr: { cidr: '192.168.0.0/16', source: 'planned' as const, requiredNodes: 10, collisions: [] } };
    expect(hits('cilium.ipblock-cluster-ips', f, BOTH, planned)[0].message).toContain('planned pod CIDR 192.168.0.0/16');
    const nodeSubnet = factsOf(nodeSubnetCluster(), { kube: [ipBlockEgressPolicy('shop', 'vnet', '10.10.0.0/16')] });
    expect(hits('cilium.ipblock-cluster-ips', nodeSubnet, CILIUM)[0].message).toContain('pod IPs in node subnet aks-nodes');
  });

  it('ipBlocks outside the cluster, or with the whole cluster in except, do not trigger', () => {
    const f = factsOf(overlayCluster(), {
      kube: [ipBlockEgressPolicy('shop', 'internet', '20.0.0.0/8'), ipBlockEgressPolicy('shop', 'except', '10.0.0.0/8', ['10.244.0.0/16', '10.10.0.0/16'])],
    });
    expect(hits('cilium.ipblock-cluster-ips', f, CILIUM)).toEqual([]);
  });

  it('with the FAQ workaround peers only the node IPs remain', () => {
    const fixed = networkPolicy('shop', 'fixed', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16' } }, { namespaceSelector: {} }, { podSelector: {} }] }],
    });
    expect(hits('cilium.ipblock-cluster-ips', factsOf(overlayCluster(), { extraKube: [fixed] }), CILIUM)).toEqual([]);
  });
});

describe('services and ports', () => {
  it('cilium.internal-traffic-policy-local warns per 001 only', () => {
    const f = factsOf(overlayCluster(), { extraKube: [service('shop', 'cart', { internalTrafficPolicy: 'Local' }), service('shop', 'web')] });
    const [h] = hits('cilium.internal-traffic-policy-local', f, CILIUM);
    expect(h).toMatchObject({ severity: 'warning', message: '1 Service with internalTrafficPolicy=Local: shop/cart.' });
    expect(h.source).toBe('001_28698353061daa4e.txt § Limitations');
    expect(hits('cilium.internal-traffic-policy-local', factsOf(overlayCluster(), { extraKube: [service('shop', 'web')] }), CILIUM)).toEqual([]);
  });

  it('cilium.host-port-protocols: one port, TCP and UDP, across pods and services', () => {
    const dns = pod('infra', 'dns-0', { ports: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }] });
    const web = pod('infra', 'proxy-0', { ports: [{ containerPort: 53, hostPort: 53, protocol: 'TCP' }] });
    const svc = service('infra', 'syslog', { type: 'NodePort', ports: [{ port: 514, protocol: 'UDP', nodePort: 30514 }, { port: 514, protocol: 'TCP', nodePort: 30514 }] });
    const [a, b] = hits('cilium.host-port-protocols', factsOf(overlayCluster(), { extraKube: [dns, web, svc] }), CILIUM);
    expect(a.message).toBe('Host port 53 is used with UDP and TCP: UDP by pod infra/dns-0; TCP by pod infra/proxy-0.');
    expect(b.message).toBe('Host port 30514 is used with UDP and TCP: UDP by service infra/syslog; TCP by service infra/syslog.');
  });

  it('cilium.host-port-protocols: same protocol on many pods is fine', () => {
    const pods = [0, 1].map((i) => pod('infra', `agent-${i}`, { ports: [{ containerPort: 9100, hostPort: 9100 }] }));
    expect(hits('cilium.host-port-protocols', factsOf(overlayCluster(), { extraKube: pods }), CILIUM)).toEqual([]);
  });

  it('cilium.host-network-pods: only in namespaces with NetworkPolicies, not kube-system', () => {
    const hn = pod('monitoring', 'node-exporter-abc', { hostNetwork: true });
    const sys = pod('kube-system', 'kube-proxy-abc', { hostNetwork: true });
    const withPolicy = factsOf(overlayCluster(), { extraKube: [hn, sys, networkPolicy('monitoring', 'deny-all'), networkPolicy('kube-system', 'x')] });
    expect(hits('cilium.host-network-pods', withPolicy, CILIUM)[0].message).toBe('1 host-network pod in namespaces with NetworkPolicies will not be covered by them: monitoring/node-exporter-abc.');
    expect(hits('cilium.host-network-pods', factsOf(overlayCluster(), { extraKube: [hn] }), CILIUM)).toEqual([]);
  });
});

describe('CiliumNetworkPolicy and L7', () => {
  it('cilium.cilium-network-policies: info when any exist (002: partly supported)', () => {
    const f = factsOf(overlayCluster(), { extraKube: [ciliumNetworkPolicy('default', 'default-deny')] });
    expect(hits('cilium.cilium-network-policies', f, CILIUM)[0]).toMatchObject({ severity: 'info', message: '1 CiliumNetworkPolicy: default/default-deny; AKS supports them only partly.' });
    expect(hits('cilium.cilium-network-policies', factsOf(overlayCluster()), CILIUM)).toEqual([]);
  });

  it('cilium.l7-policy: info for CiliumNetworkPolicies with L7 rules only', () => {
    const l7 = ciliumNetworkPolicy('shop', 'http-get', {
      endpointSelector: { matchLabels: { app: 'api' } },
      ingress: [{ toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }], rules: { http: [{ method: 'GET' }] } }] }],
    });
    const l4 = ciliumNetworkPolicy('shop', 'l4', { endpointSelector: {}, ingress: [{ toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }] }] }] });
    expect(hits('cilium.l7-policy', factsOf(overlayCluster(), { extraKube: [l7, l4] }), CILIUM)[0].message).toBe('1 CiliumNetworkPolicy with L7 rules that will not be enforced: shop/http-get.');
    expect(hits('cilium.l7-policy', factsOf(overlayCluster(), { extraKube: [l4] }), CILIUM)).toEqual([]);
  });
});

describe('acknowledgements', () => {
  it('cilium.irreversible and cilium.reimage-all-pools warn; enforcement delay is info when policies exist', () => {
    const f = factsOf(overlayCluster({ networkProfile: { networkPolicy: 'azure' } }), { extraKube: [networkPolicy('a', 'p')] });
    expect(hits('cilium.irreversible', f, CILIUM)[0].severity).toBe('warning');
    expect(hits('cilium.reimage-all-pools', f, CILIUM)[0].message).toBe('Every node pool is reimaged at the same time: 1 pool (nodepool1), 3 nodes; pools cannot be updated one at a time.');
    expect(hits('cilium.policy-enforcement-delay', f, CILIUM)[0]).toMatchObject({ severity: 'info', message: 'Cilium begins enforcing 1 NetworkPolicy only after all 3 nodes are reimaged.' });
    expect(hits('cilium.policy-enforcement-delay', factsOf(overlayCluster()), CILIUM)).toEqual([]);
    expect(hits('cilium.irreversible', f, ['ipam:overlay'])).toEqual([]);
  });
  it('does not run Cilium rules for an Overlay-only plan', () => {
    const f = factsOf(managedCluster({ agentPoolProfiles: [windowsPool({ vnetSubnetID: subnetId() })] }));
    expect(hits('cilium.windows-pools', f, ['ipam:overlay'])).toEqual([]);
  });
});

describe('more Cilium limitations', () => {
  it('cilium.self-connect-reply: info when ingress policies exist', () => {
    const f = factsOf(overlayCluster(), { extraKube: [networkPolicy('shop', 'deny-in')] });
    expect(hits('cilium.self-connect-reply', f, CILIUM)[0].message).toBe(
      '1 ingress NetworkPolicy (shop/deny-in) may also drop reply packets when a selected pod connects to itself through a service cluster IP.',
    );
    const egressOnly = factsOf(overlayCluster(), { extraKube: [ipBlockEgressPolicy('shop', 'out', '20.0.0.0/8')] });
    expect(hits('cilium.self-connect-reply', egressOnly, CILIUM)).toEqual([]);
  });

  it('cilium.kube-proxy-removed: info when the kube-proxy DaemonSet runs', () => {
    const f = factsOf(overlayCluster(), { extraKube: [daemonSet('kube-system', 'kube-proxy', 3)] });
    expect(hits('cilium.kube-proxy-removed', f, CILIUM)[0].message).toBe('DaemonSet kube-system/kube-proxy (3 pods) is removed by the update; Cilium handles service routing instead.');
    expect(hits('cilium.kube-proxy-removed', factsOf(overlayCluster(), { extraKube: [daemonSet('kube-system', 'cilium', 3)] }), CILIUM)).toEqual([]);
  });
});

describe('cilium.node-subnet-surge-capacity (seed 004)', () => {
  it('warns when a node subnet cannot hold one surge node per pool (1 + maxPods addresses each)', () => {
    // /24 = 251 usable; 7 nodes × 31 = 217 used; surge needs 31 → 34 free is enough, 8 nodes (248) is not.
    const small = vnet({ subnets: [{ name: 'aks-nodes', addressPrefix: '10.10.0.0/24' }] });
    const ok = factsOf(nodeSubnetCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId(), count: 7 })] }), { resources: [small] });
    expect(hits('cilium.node-subnet-surge-capacity', ok, CILIUM)).toEqual([]);
    const full = factsOf(nodeSubnetCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId(), count: 8 })] }), { resources: [small] });
    expect(hits('cilium.node-subnet-surge-capacity', full, CILIUM)[0].message).toBe(
      'Subnet aks-nodes (10.10.0.0/24, 251 usable addresses) holds 8 nodes of pools nodepool1 using about 248; one surge node per pool needs 31 more, leaving 3.',
    );
  });
  it('does not apply to Overlay or dynamic IP clusters', () => {
    const small = vnet({ subnets: [{ name: 'aks-nodes', addressPrefix: '10.10.0.0/24' }, { name: 'aks-pods', addressPrefix: '10.10.64.0/18' }] });
    expect(hits('cilium.node-subnet-surge-capacity', factsOf(overlayCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId(), count: 200, maxPods: 250 })] }), { resources: [small] }), CILIUM)).toEqual([]);
    expect(hits('cilium.node-subnet-surge-capacity', factsOf(dynamicIpCluster(), { resources: [small] }), CILIUM)).toEqual([]);
  });
});
