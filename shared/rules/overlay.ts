/**
 * Preconditions and limitations of the IPAM update to Azure CNI Overlay (step ipam:overlay).
 * Seed 000 (newest, authoritative for update rules) § "Update the IPAM mode to Azure CNI Overlay";
 * seed 003 for Overlay limitations the update inherits; aks-facts.md for field rules.
 */
import { compareKubernetesVersions, compareWindowsBuilds } from '../model/normalize';
import type { KubeFacts, PoolFacts } from '../model/facts';
import { type CatalogRule, SEEDS, count, hasStep, kubeRule, listOf, runsBefore } from './catalog-rule';

const OVERLAY = ['ipam:overlay'] as const;
const UPDATE_SECTION = 'Update the IPAM mode to Azure CNI Overlay';

export const MIN_OVERLAY_KUBERNETES = '1.27';
export const MIN_OVERLAY_WINDOWS_BUILD = '20348.1668';
/** Seed 003 § Regional availability for ARM64 node pools, as ARM location names. */
export const ARM64_OVERLAY_UNAVAILABLE_REGIONS: Readonly<Record<string, string>> = {
  eastus2: 'East US 2',
  francecentral: 'France Central',
  southeastasia: 'Southeast Asia',
  southcentralus: 'South Central US',
  westeurope: 'West Europe',
  westus3: 'West US 3',
};
export const MAX_LABEL_NAME = 63;
export const MIN_MAX_PODS = 10;
export const MAX_MAX_PODS = 250;
/** The ConfigMap a custom (or leftover) azure-ip-masq-agent configuration lives in; `-reconciled` is AKS's own. */
export const IP_MASQ_CONFIGMAP = 'azure-ip-masq-agent-config';

const poolNames = (pools: PoolFacts[]): string => listOf(pools.map((p) => p.name));

export const overlayKubernetesVersion: CatalogRule = {
  id: 'overlay.kubernetes-version',
  severity: 'blocker',
  title: 'Kubernetes 1.27 or later',
  appliesTo: OVERLAY,
  source: {
    doc: SEEDS.update,
    section: UPDATE_SECTION,
    note: '003 (2023–24, Upgrade an existing cluster to CNI Overlay) says 1.22+; 000 (newest) says 1.27 or later → 1.27.',
  },
  remediation: `Upgrade the control plane and every node pool to Kubernetes ${MIN_OVERLAY_KUBERNETES} or later (az aks upgrade), then assess again.`,
  evaluate({ facts }) {
    const low = facts.lowestKubernetesVersion;
    if (!low || compareKubernetesVersions(low, MIN_OVERLAY_KUBERNETES) >= 0) return [];
    const old = [
      ...(facts.kubernetesVersion && compareKubernetesVersions(facts.kubernetesVersion, MIN_OVERLAY_KUBERNETES) < 0 ? [`control plane ${facts.kubernetesVersion}`] : []),
      ...facts.pools.filter((p) => p.orchestratorVersion && compareKubernetesVersions(p.orchestratorVersion, MIN_OVERLAY_KUBERNETES) < 0).map((p) => `pool ${p.name} ${p.orchestratorVersion}`),
    ];
    return [{ message: `Kubernetes ${low} is older than ${MIN_OVERLAY_KUBERNETES}: ${listOf(old)}.` }];
  },
};

export const overlayDynamicIp: CatalogRule = {
  id: 'overlay.dynamic-ip',
  severity: 'blocker',
  title: 'No dynamic IP allocation (pod subnets)',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.update, section: UPDATE_SECTION },
  remediation:
    'Azure CNI with dynamic IP allocation cannot be updated to Overlay (only node subnet and kubenet can, seed 000 § Supported migration paths). Keep the pod subnet mode (the Cilium data plane is supported on it) or move workloads to a new Overlay cluster.',
  evaluate({ facts }) {
    const pools = facts.pools.filter((p) => p.podSubnetId);
    if (facts.ipam !== 'dynamicIp' || pools.length === 0) return [];
    const subnets = [...new Set(pools.map((p) => p.podSubnetId?.split('/').pop() ?? ''))];
    return [{ message: `Dynamic IP allocation on ${count(pools.length, 'pool')}: ${poolNames(pools)} (pod subnet ${listOf(subnets)}).` }];
  },
};

export const overlayNetworkPolicyEngine: CatalogRule = {
  id: 'overlay.network-policy-engine',
  severity: 'blocker',
  title: 'No network policy engine (Azure NPM or Calico)',
  appliesTo: OVERLAY,
  source: {
    doc: SEEDS.update,
    section: UPDATE_SECTION,
    note: "000 also allows the IPAM and data plane updates in either order, so a cluster whose engine is (or will first become) Cilium is not blocked; AKS rejects Azure NPM and Calico with 'Cannot update cluster to Azure CNI Overlay while using network policies' (aks-facts.md, Azure/AKS#4006).",
  },
  remediation:
    "Uninstall the network policy engine first, as seed 000 says: follow 'Uninstall Azure Network Policy Manager or Calico' (az aks update --network-policy none), or plan the Cilium data plane update first: it replaces the engine with Cilium.",
  evaluate({ facts, plan }) {
    if (facts.networkPolicy !== 'azure' && facts.networkPolicy !== 'calico') return [];
    // Cilium first uninstalls the engine and replaces it with Cilium (seed 000 § Update considerations).
    if (runsBefore(plan, 'dataplane:cilium', 'ipam:overlay')) return [];
    const engine = facts.networkPolicy === 'azure' ? 'Azure Network Policy Manager (networkPolicy azure)' : 'Calico (networkPolicy calico)';
    const policies = facts.kubernetes ? ` with ${count(facts.kubernetes.networkPolicies.length, 'NetworkPolicy', 'NetworkPolicies')}` : '';
    return [{ message: `The cluster runs ${engine}${policies}; Overlay requires no network policy engine.` }];
  },
};

export const overlayWindowsDocker: CatalogRule = {
  id: 'overlay.windows-docker',
  severity: 'blocker',
  title: 'No Windows pools on Docker',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.update, section: UPDATE_SECTION },
  remediation: 'Move the Windows workloads to a containerd pool (Windows Server 2022, or 2019 with containerd) and delete the Docker pools, then assess again.',
  evaluate({ facts }) {
    const pools = facts.pools.filter((p) => p.osType === 'Windows' && p.containerRuntime === 'docker');
    return pools.length ? [{ message: `${count(pools.length, 'Windows pool')} on Docker: ${listOf(pools.map((p) => `${p.name} (${p.nodeImageVersion ?? 'image unknown'})`))}.` }] : [];
  },
};

export const overlayWindowsBuild: CatalogRule = {
  id: 'overlay.windows-build',
  severity: 'warning',
  title: `Windows OS build ${MIN_OVERLAY_WINDOWS_BUILD} or later`,
  appliesTo: OVERLAY,
  source: { doc: SEEDS.update, section: UPDATE_SECTION },
  remediation: `Upgrade the Windows node images to build ${MIN_OVERLAY_WINDOWS_BUILD} or later (az aks nodepool upgrade --node-image-only) before the update: older builds SNAT packets from host-network pods wrongly under Overlay.`,
  evaluate({ facts }) {
    const pools = facts.pools.filter((p) => p.osType === 'Windows' && p.windowsBuild && compareWindowsBuilds(p.windowsBuild, MIN_OVERLAY_WINDOWS_BUILD) < 0);
    return pools.length ? [{ message: `${count(pools.length, 'Windows pool')} below build ${MIN_OVERLAY_WINDOWS_BUILD}: ${listOf(pools.map((p) => `${p.name} (${p.windowsBuild})`))}.` }] : [];
  },
};

export const overlayIpMasqAgentConfig: CatalogRule = kubeRule({
  id: 'overlay.ip-masq-agent-config',
  severity: 'blocker',
  title: 'No custom or leftover azure-ip-masq-agent-config ConfigMap',
  appliesTo: OVERLAY,
  source: {
    doc: SEEDS.update,
    section: UPDATE_SECTION,
    note: 'Seed 000 (Warning) says a custom config can break connectivity and a leftover must be deleted; the AKS release notes (2025-01, aks-facts.md) make a custom ip-masq-agent configuration block the Overlay migration, so this is a blocker.',
  },
  remediation: `If kube-system/${IP_MASQ_CONFIGMAP} is a leftover, delete it (kubectl -n kube-system delete configmap ${IP_MASQ_CONFIGMAP}). If it is intentional, the ranges it exempts from SNAT cannot reach Overlay pod IPs: move those needs elsewhere and remove it. Only ${IP_MASQ_CONFIGMAP}-reconciled should remain.`,
  evaluate(_ctx, kube) {
    const cm = kube.configMaps.find((c) => c.metadata.namespace === 'kube-system' && c.metadata.name === IP_MASQ_CONFIGMAP);
    if (!cm) return [];
    const text = Object.values(cm.data ?? {}).join('\n');
    const cidrs = [...text.matchAll(/^\s*-\s*([0-9a-fA-F:.]+\/\d+)\s*$/gm)].map((m) => m[1]);
    const what = cidrs.length ? ` exempting ${listOf(cidrs)} from SNAT` : '';
    return [{ message: `ConfigMap kube-system/${IP_MASQ_CONFIGMAP} exists${what}: a custom or leftover ip-masq-agent configuration blocks the update.` }];
  },
});

export const overlayAvailabilitySet: CatalogRule = {
  id: 'overlay.availability-set',
  severity: 'blocker',
  title: 'No Availability Set pools',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: 'Limitations with Azure CNI Overlay' },
  remediation: 'Replace the Availability Set pools with Virtual Machine Scale Set pools (Availability Sets retire on 2025-09-30), then assess again.',
  evaluate({ facts }) {
    const pools = facts.pools.filter((p) => p.type.toLowerCase() === 'availabilityset');
    return pools.length ? [{ message: `${count(pools.length, 'pool')} on Virtual Machine Availability Sets: ${poolNames(pools)}.` }] : [];
  },
};

export const overlayDCsv2: CatalogRule = {
  id: 'overlay.dcsv2',
  severity: 'blocker',
  title: 'No DCsv2-series pools',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: 'Limitations with Azure CNI Overlay' },
  remediation: 'Move confidential workloads to a pool of DCasv5 or DCadsv5-series VMs (seed 003) and delete the DCsv2 pools, then assess again.',
  evaluate({ facts }) {
    const pools = facts.pools.filter((p) => p.isDCsv2);
    return pools.length ? [{ message: `${count(pools.length, 'pool')} of DCsv2-series VMs: ${listOf(pools.map((p) => `${p.name} (${p.vmSize})`))}.` }] : [];
  },
};

export const overlayAppGatewayIngress: CatalogRule = {
  id: 'overlay.app-gateway-ingress',
  severity: 'blocker',
  title: 'No Application Gateway Ingress Controller add-on',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: 'Limitations with Azure CNI Overlay' },
  remediation:
    'Move ingress to another controller (e.g. NGINX or the application routing add-on) and disable the add-on (az aks disable-addons --addons ingress-appgw), then assess again.',
  evaluate({ facts }) {
    return facts.addons.appGatewayIngress ? [{ message: 'The Application Gateway Ingress Controller add-on (ingressApplicationGateway) is enabled.' }] : [];
  },
};

export const overlayArm64Region: CatalogRule = {
  id: 'overlay.arm64-region',
  severity: 'blocker',
  title: 'No ARM64 pools in regions without Overlay for ARM64',
  appliesTo: OVERLAY,
  source: {
    doc: SEEDS.overlay,
    section: 'Regional availability for ARM64 node pools',
    note: "003's update section also says Overlay is not yet supported on ARM64 at all; its newer regional list stands: ARM64 is blocked only in the listed regions.",
  },
  remediation: 'Move the ARM64 workloads to x64 pools and delete the ARM64 pools before the update, or wait until Overlay for ARM64 is available in this region.',
  evaluate({ facts }) {
    const region = ARM64_OVERLAY_UNAVAILABLE_REGIONS[facts.location];
    const pools = facts.pools.filter((p) => p.isArm64);
    if (!region || pools.length === 0) return [];
    return [{ message: `${count(pools.length, 'ARM64 pool')} in ${region} (${facts.location}), where Overlay is unavailable for ARM64: ${listOf(pools.map((p) => `${p.name} (${p.vmSize})`))}.` }];
  },
};

export const overlayByoNameLength: CatalogRule = {
  id: 'overlay.byo-name-length',
  severity: 'blocker',
  title: 'BYO subnet, VNet and VNet resource group names of 63 characters or less',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: 'Limitations' },
  remediation: `Names longer than ${MAX_LABEL_NAME} characters cannot be node labels: move the pools to a subnet in a VNet and resource group with shorter names (new pools, then delete the old ones).`,
  evaluate({ facts }) {
    const hits: string[] = [];
    for (const s of facts.byoSubnets) {
      const parts: Array<[string, string]> = [
        ['subnet', s.subnetName],
        ['VNet', s.vnetName],
        ['VNet resource group', s.vnetResourceGroup],
      ];
      for (const [what, name] of parts) {
        const line = `${what} '${name}' (${name.length} characters, pools ${listOf(s.usedBy)})`;
        if (name.length > MAX_LABEL_NAME && !hits.includes(line)) hits.push(line);
      }
    }
    return hits.length ? [{ message: `Names longer than ${MAX_LABEL_NAME} characters: ${listOf(hits)}.` }] : [];
  },
};

export const overlayMaxPods: CatalogRule = {
  id: 'overlay.max-pods',
  severity: 'blocker',
  title: `Max pods per node between ${MIN_MAX_PODS} and ${MAX_MAX_PODS}`,
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: 'Maximum pods per node' },
  remediation: `Recreate the pools with --max-pods between ${MIN_MAX_PODS} and ${MAX_MAX_PODS} (max pods cannot be changed on an existing pool), then assess again.`,
  evaluate({ facts }) {
    const pools = facts.pools.filter((p) => p.maxPods < MIN_MAX_PODS || p.maxPods > MAX_MAX_PODS);
    return pools.length ? [{ message: `Max pods outside ${MIN_MAX_PODS}–${MAX_MAX_PODS}: ${listOf(pools.map((p) => `pool ${p.name} (${p.maxPods})`))}.` }] : [];
  },
};

export const overlayDualStack: CatalogRule = {
  id: 'overlay.dual-stack',
  severity: 'blocker',
  title: 'Dual-stack limits: no Windows pools, Azure/Calico policies, NAT Gateway or virtual nodes',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: 'Dual-stack Networking (Preview) › Limitations' },
  remediation: 'Dual-stack Overlay does not support Windows node pools, Azure or Calico network policies, NAT Gateway outbound or the virtual nodes add-on: remove them, or stay single-stack.',
  evaluate({ facts }) {
    if (!facts.ipFamilies.includes('IPv6')) return [];
    const found: string[] = [];
    const win = facts.pools.filter((p) => p.osType === 'Windows');
    if (win.length) found.push(`${count(win.length, 'Windows pool')} (${poolNames(win)})`);
    if (facts.networkPolicy === 'azure' || facts.networkPolicy === 'calico') found.push(`${facts.networkPolicy === 'azure' ? 'Azure' : 'Calico'} network policy`);
    if (/natgateway/i.test(facts.outboundType ?? '')) found.push(`outbound type ${facts.outboundType}`);
    const vn = virtualNodes(facts.kubernetes);
    if (vn.length) found.push(`virtual nodes (${listOf(vn)})`);
    return found.length ? [{ message: `Dual-stack cluster (${facts.ipFamilies.join(', ')}) with ${listOf(found)}, not supported with dual-stack Overlay.` }] : [];
  },
};

export const overlayKubenetIdentity: CatalogRule = {
  id: 'overlay.kubenet-identity',
  severity: 'blocker',
  title: 'Kubenet → Overlay needs a user-assigned managed identity',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.facts, section: 'Other AKS rules from the AKS release notes (Azure/AKS CHANGELOG)' },
  remediation:
    'Give the cluster a user-assigned managed identity with rights on the route table (az aks update --enable-managed-identity --assign-identity <identity id>), then assess again.',
  evaluate({ facts }) {
    if (facts.ipam !== 'kubenet' || facts.identity.userAssigned) return [];
    return [{ message: `Kubenet cluster with identity type '${facts.identity.type}': detaching the route table during the update needs a user-assigned managed identity.` }];
  },
};

export const overlayIrreversible: CatalogRule = {
  id: 'overlay.irreversible',
  severity: 'warning',
  title: 'Overlay is forward-only (acknowledge)',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.update, section: 'Supported migration paths' },
  remediation: 'Acknowledge that the cluster cannot go back to its current networking mode; test the workloads on an Overlay cluster first.',
  evaluate({ facts }) {
    const from = facts.ipam === 'kubenet' ? 'kubenet' : facts.ipam === 'dynamicIp' ? 'Azure CNI dynamic IP allocation' : 'Azure CNI node subnet';
    return [{ message: `Updating from ${from} to Azure CNI Overlay is one-way: the cluster cannot be moved back to ${from}.` }];
  },
};

export const overlayReimage: CatalogRule = {
  id: 'overlay.reimage-all-pools',
  severity: 'warning',
  title: 'Every node pool is reimaged at once (acknowledge)',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.update, section: UPDATE_SECTION },
  remediation: 'Acknowledge the disruption: schedule the update in a maintenance window, check PodDisruptionBudgets allow draining, expect disruption similar to a node image upgrade.',
  evaluate({ facts }) {
    const nodes = facts.pools.reduce((n, p) => n + p.count, 0);
    return [{ message: `Every node pool is reimaged at the same time: ${count(facts.pools.length, 'pool')} (${poolNames(facts.pools)}), ${count(nodes, 'node')}; pools cannot be updated one at a time.` }];
  },
};

export const overlayPodsNotRoutable: CatalogRule = {
  id: 'overlay.pods-not-routable',
  severity: 'info',
  title: 'Pod IPs are no longer reachable from outside the cluster',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: 'Overview of Overlay networking' },
  remediation: 'Publish pods that outside clients reach directly through a Kubernetes LoadBalancer service (or an ingress) before the update.',
  evaluate({ facts }) {
    if (facts.ipam === 'kubenet') return [];
    return [{ message: `Pods get VNet IPs today (${facts.ipam === 'dynamicIp' ? 'pod subnet' : 'node subnet'}); after the update they get Overlay IPs that endpoints outside the cluster (peered VNets, on-premises) cannot reach directly.` }];
  },
};

export const overlayKubenetRouteTable: CatalogRule = {
  id: 'overlay.kubenet-route-table',
  severity: 'info',
  title: "Kubenet's pod routes are removed",
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: 'Kubenet Cluster Upgrade (Preview)' },
  remediation: 'Nothing to do unless other systems rely on those routes; the pod CIDR stays the same.',
  evaluate({ facts, plan }) {
    if (facts.ipam !== 'kubenet' || !hasStep(plan, 'ipam:overlay')) return [];
    return [{ message: `Kubenet keeps its pod CIDR ${listOf(facts.podCidrs)}; the route table's pod routes are deleted (an AKS-managed route table is deleted entirely).` }];
  },
};

/** Virtual nodes (ACI connector) show up as virtual-kubelet nodes. */
function virtualNodes(kube: KubeFacts | undefined): string[] {
  return (kube?.nodes ?? []).filter((n) => n.metadata.labels?.type === 'virtual-kubelet' || n.metadata.name.startsWith('virtual-node-aci')).map((n) => n.metadata.name);
}

export const overlayVirtualNodes: CatalogRule = kubeRule({
  id: 'overlay.virtual-nodes',
  severity: 'warning',
  title: 'Virtual nodes need VNet pod IPs',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: 'Choosing a network model to use' },
  remediation: 'Seed 003 advises the traditional VNet mode for virtual nodes: move the virtual-node workloads (or keep this cluster off Overlay) before the update.',
  evaluate(_ctx, kube) {
    const names = virtualNodes(kube);
    return names.length ? [{ message: `Virtual nodes in use (${listOf(names)}); Overlay is for clusters that don't need virtual nodes.` }] : [];
  },
});

export const overlayRules: CatalogRule[] = [
  overlayKubernetesVersion,
  overlayDynamicIp,
  overlayNetworkPolicyEngine,
  overlayWindowsDocker,
  overlayIpMasqAgentConfig,
  overlayAvailabilitySet,
  overlayDCsv2,
  overlayAppGatewayIngress,
  overlayArm64Region,
  overlayByoNameLength,
  overlayMaxPods,
  overlayDualStack,
  overlayKubenetIdentity,
  overlayWindowsBuild,
  overlayVirtualNodes,
  overlayIrreversible,
  overlayReimage,
  overlayPodsNotRoutable,
  overlayKubenetRouteTable,
];
