/**
 * AKS's own server-side validation of a managed cluster PUT, written from the source documents
 * (/work/shared/seeds) and aks-facts.md — never from the product's rule catalog: the simulator plays AKS.
 * Each check returns the error AKS returns: HTTP 400 and `{error:{code,message,target}}`.
 */
import type { ManagedClusterProperties } from '../../shared/model/arm';
import type { KubeObject, Node } from '../../shared/model/kube';
import { NAP_NODE_LABEL } from '../../shared/model/kube';
import { ArmError } from '../arm/errors';
import { cidrOverlaps, parseCidr4 } from '../ipv4';
import { compareVersions, dataplaneOf, ipamOf, isWindows, lowestVersion, napOf, podCidrOf, policyOf } from './modes';

export interface ValidationContext {
  /** Address prefixes of the VNet that holds a subnet (by subnet ARM id), and the subnet's own prefixes. */
  vnetOfSubnet(subnetId: string): { vnetPrefixes: string[]; subnetPrefixes: string[] } | undefined;
  /** The cluster's Kubernetes objects (built on demand). */
  kubeObjects(): KubeObject[];
}

const bad = (code: string, message: string, target?: string): ArmError => new ArmError(400, code, message, target);

/** AKS-reserved ranges a pod CIDR may not use (aks-facts "Other AKS rules": Azure/AKS CHANGELOG 2026-05). */
const RESERVED = ['172.30.0.0/16', '172.31.0.0/16', '169.254.0.0/16', '192.0.2.0/24'];

function validateCreate(next: ManagedClusterProperties): ArmError | undefined {
  if (dataplaneOf(next) === 'cilium' && policyOf(next) !== 'cilium') return ciliumNeedsPolicy();
  if (policyOf(next) === 'cilium' && dataplaneOf(next) !== 'cilium') return policyNeedsDataplane();
  if (!next.agentPoolProfiles?.length) return bad('InvalidParameter', 'At least one agent pool profile is required.', 'agentPoolProfiles');
  return undefined;
}

function ciliumNeedsPolicy(): ArmError {
  // aks-facts "What the PUT must contain": since API 2024-05-01 the policy defaults to none and AKS rejects it.
  return bad(
    'CiliumDataplaneRequiresNetworkPolicyCilium',
    "networkProfile.networkDataplane 'cilium' requires networkProfile.networkPolicy 'cilium'. Set networkPolicy to 'cilium' in the same request.",
    'networkProfile.networkPolicy',
  );
}

function policyNeedsDataplane(): ArmError {
  return bad('NetworkPolicyCiliumRequiresCiliumDataplane', "networkProfile.networkPolicy 'cilium' requires networkProfile.networkDataplane 'cilium'.", 'networkProfile.networkDataplane');
}

/** Validates an update of `old` into `next`; undefined when AKS accepts it. */
export function validateClusterUpdate(old: ManagedClusterProperties | undefined, next: ManagedClusterProperties, ctx: ValidationContext): ArmError | undefined {
  if (!old) return validateCreate(next);
  const ipamBefore = ipamOf(old);
  const ipamAfter = ipamOf(next);
  const dpBefore = dataplaneOf(old);
  const dpAfter = dataplaneOf(next);
  const ipamChange = ipamBefore !== ipamAfter;
  const dpChange = dpBefore !== dpAfter;

  // seed 000 "Supported migration paths": Overlay is one-way; seed 002 "Frequently asked questions": Cilium can't be disabled.
  if (ipamBefore === 'overlay' && ipamAfter !== 'overlay') {
    return bad('OperationNotAllowed', 'Updating a cluster from Azure CNI Overlay back to another IPAM mode is not supported: the migration to Overlay is irreversible.', 'networkProfile.networkPluginMode');
  }
  if (dpBefore === 'cilium' && dpAfter !== 'cilium') {
    return bad('OperationNotAllowed', "Azure CNI Powered by Cilium can't be disabled once enabled; create a new cluster to use another data plane.", 'networkProfile.networkDataplane');
  }
  // seed 000 "Update considerations": "The IPAM mode and the data plane can't be updated in a single operation."
  if (ipamChange && dpChange) {
    return bad('OperationNotAllowed', 'The IPAM mode and the network data plane cannot be updated in a single operation; update them as two separate operations.', 'networkProfile');
  }
  if (ipamChange) {
    const e = validateOverlayUpdate(old, next, ipamBefore, ipamAfter, ctx);
    if (e) return e;
  }
  if (dpChange) {
    const e = validateCiliumUpdate(old, next, ipamBefore);
    if (e) return e;
  }
  if (dpAfter === 'cilium' && policyOf(next) !== 'cilium') return ciliumNeedsPolicy();
  if (policyOf(next) === 'cilium' && dpAfter !== 'cilium') return policyNeedsDataplane();
  return validateNapChange(old, next, ctx);
}

function validateOverlayUpdate(
  old: ManagedClusterProperties,
  next: ManagedClusterProperties,
  before: string,
  after: string,
  ctx: ValidationContext,
): ArmError | undefined {
  // seed 000 "Supported migration paths": the only IPAM migration is to Overlay, from node subnet or kubenet.
  if (after !== 'overlay') {
    return bad('OperationNotAllowed', `Updating the IPAM mode from '${before}' to '${after}' is not supported; the only supported IPAM update is to Azure CNI Overlay.`, 'networkProfile.networkPluginMode');
  }
  if ((next.networkProfile?.networkPlugin ?? '').toLowerCase() !== 'azure') {
    return bad('InvalidParameter', "Azure CNI Overlay requires networkProfile.networkPlugin 'azure'.", 'networkProfile.networkPlugin');
  }
  // seed 000 "Update the IPAM mode to Azure CNI Overlay": doesn't use the dynamic IP allocation feature.
  if (before === 'dynamicIp' || (old.agentPoolProfiles ?? []).some((p) => !!p.podSubnetID)) {
    const pools = (old.agentPoolProfiles ?? []).filter((p) => !!p.podSubnetID).map((p) => p.name);
    return bad('OperationNotAllowed', `Cannot update a cluster using dynamic IP allocation (pod subnets on pools: ${pools.join(', ')}) to Azure CNI Overlay.`, 'agentPoolProfiles.podSubnetID');
  }
  // seed 000: Kubernetes version 1.27 or later.
  const lowest = lowestVersion(next) ?? lowestVersion(old);
  if (lowest && (compareVersions(lowest, '1.27') ?? 0) < 0) {
    return bad('OperationNotAllowed', `Updating to Azure CNI Overlay requires Kubernetes 1.27 or later on the control plane and every node pool; the lowest version is ${lowest}.`, 'kubernetesVersion');
  }
  // seed 000: doesn't have network policies enabled (aks-facts: ValidationError, Azure/AKS#4006).
  for (const p of [policyOf(old), policyOf(next)]) {
    if (p === 'azure' || p === 'calico') {
      return bad('ValidationError', `Cannot update cluster to Azure CNI Overlay while using network policies with Azure CNI v1 (network policy '${p}'). Uninstall the network policy engine first.`, 'networkProfile.networkPolicy');
    }
  }
  // seed 000: doesn't use any Windows node pools with Docker as the container runtime.
  const dockerWindows = ctx
    .kubeObjects()
    .filter((o): o is Node => o.kind === 'Node')
    .filter((n) => (n.status?.nodeInfo?.operatingSystem ?? n.metadata.labels?.['kubernetes.io/os']) === 'windows')
    .filter((n) => /^docker:/i.test(n.status?.nodeInfo?.containerRuntimeVersion ?? ''));
  if (dockerWindows.length) {
    const winPools = (old.agentPoolProfiles ?? []).filter(isWindows).map((p) => p.name);
    return bad('OperationNotAllowed', `Cannot update to Azure CNI Overlay: Windows node pools (${winPools.join(', ') || 'unknown'}) use Docker as the container runtime (nodes: ${dockerWindows.map((n) => n.metadata.name).join(', ')}).`, 'agentPoolProfiles');
  }
  // seed 000: --pod-cidr is required from legacy CNI; kubenet keeps its pod CIDR (seed 003 "Kubenet Cluster Upgrade").
  const podCidr = podCidrOf(next);
  if (!podCidr) {
    return bad('InvalidParameter', 'networkProfile.podCidr is required when updating to Azure CNI Overlay from Azure CNI (node subnet).', 'networkProfile.podCidr');
  }
  if (!parseCidr4(podCidr)) return bad('InvalidParameter', `networkProfile.podCidr '${podCidr}' is not a valid IPv4 CIDR.`, 'networkProfile.podCidr');
  // seed 000/003: the pod CIDR can't overlap the node pools' VNet address space; aks-facts: nor the VNet's subnets.
  for (const pool of next.agentPoolProfiles ?? []) {
    if (!pool.vnetSubnetID) continue;
    const v = ctx.vnetOfSubnet(pool.vnetSubnetID);
    const hit = v && [...v.vnetPrefixes, ...v.subnetPrefixes].find((r) => cidrOverlaps(r, podCidr));
    if (hit) {
      return bad('NetworkProfileCIDROverlapVNET', `The pod CIDR ${podCidr} overlaps with the address range ${hit} of the virtual network of node pool '${pool.name}'. Choose a pod CIDR that does not overlap the VNet.`, 'networkProfile.podCIDR');
    }
  }
  const serviceCidrs = [next.networkProfile?.serviceCidr, ...(next.networkProfile?.serviceCidrs ?? [])].filter((x): x is string => !!x);
  const svc = serviceCidrs.find((s) => cidrOverlaps(s, podCidr));
  if (svc) return bad('InvalidParameter', `The pod CIDR ${podCidr} overlaps with the service CIDR ${svc}.`, 'networkProfile.podCidr');
  const reserved = RESERVED.find((r) => cidrOverlaps(r, podCidr));
  if (reserved) return bad('InvalidParameter', `The pod CIDR ${podCidr} overlaps with the AKS-reserved range ${reserved}.`, 'networkProfile.podCidr');
  return undefined;
}

function validateCiliumUpdate(old: ManagedClusterProperties, next: ManagedClusterProperties, ipamBefore: string): ArmError | undefined {
  // seed 000 "Update considerations": kubenet clusters must migrate to Overlay first.
  if (ipamBefore === 'kubenet') {
    return bad('OperationNotAllowed', 'Kubenet clusters cannot update the data plane to Cilium directly; migrate the IPAM mode to Azure CNI Overlay first.', 'networkProfile.networkDataplane');
  }
  // seed 000: not supported on clusters with Windows node pools.
  const win = (next.agentPoolProfiles ?? old.agentPoolProfiles ?? []).filter(isWindows).map((p) => p.name);
  if (win.length) {
    return bad('OperationNotAllowed', `Azure CNI Powered by Cilium is not supported on clusters with Windows node pools (${win.join(', ')}).`, 'networkProfile.networkDataplane');
  }
  // seed 000: clusters with node auto-provisioning enabled can't be updated; disable NAP first.
  if (napOf(old) === 'Auto' || napOf(next) === 'Auto') {
    return bad('OperationNotAllowed', 'Clusters with node auto-provisioning (nodeProvisioningProfile.mode Auto) cannot be updated to Azure CNI Powered by Cilium. Disable node auto-provisioning first, then re-enable it after the update.', 'nodeProvisioningProfile.mode');
  }
  if (policyOf(next) !== 'cilium') return ciliumNeedsPolicy();
  return undefined;
}

function validateNapChange(old: ManagedClusterProperties, next: ManagedClusterProperties, ctx: ValidationContext): ArmError | undefined {
  const before = napOf(old);
  const after = napOf(next);
  if (before === after) return undefined;
  if (after === 'Manual') {
    // aks-facts "Disabling NAP is a workload move": no NAP nodes may remain and every NodePool must have limits.cpu 0.
    const objects = ctx.kubeObjects();
    const napNodes = objects.filter((o) => o.kind === 'Node' && o.metadata.labels?.[NAP_NODE_LABEL]).map((o) => o.metadata.name);
    if (napNodes.length) {
      return bad('OperationNotAllowed', `Node auto-provisioning cannot be set to Manual while nodes it manages remain (${napNodes.join(', ')}). Set limits.cpu to 0 on every NodePool, taint them, move the workload and delete these nodes first.`, 'nodeProvisioningProfile.mode');
    }
    const open = objects
      .filter((o) => o.kind === 'NodePool' && o.apiVersion.startsWith('karpenter.sh/'))
      .filter((o) => String((o as { spec?: { limits?: { cpu?: unknown } } }).spec?.limits?.cpu ?? '') !== '0')
      .map((o) => o.metadata.name);
    if (open.length) {
      return bad('OperationNotAllowed', `Node auto-provisioning cannot be set to Manual while NodePools have limits.cpu other than 0 (${open.join(', ')}).`, 'nodeProvisioningProfile.mode');
    }
    return undefined;
  }
  // aks-facts (Azure/AKS#4759): Auto needs ipFamilies [IPv4]; NAP supports Overlay, Overlay+Cilium and Azure CNI only.
  const families = next.networkProfile?.ipFamilies ?? [];
  if (!(families.length === 1 && families[0] === 'IPv4')) {
    return bad('OperationNotAllowed', 'Node provisioning mode cannot be Auto unless .properties.networkProfile.ipFamilies is set to one of [IPv4].', 'networkProfile.ipFamilies');
  }
  const ipam = ipamOf(next);
  if (ipam === 'kubenet' || ipam === 'dynamicIp' || policyOf(next) === 'calico') {
    const what = ipam === 'kubenet' ? 'kubenet' : ipam === 'dynamicIp' ? 'dynamic IP allocation' : 'Calico network policy';
    return bad('OperationNotAllowed', `Node auto-provisioning (mode Auto) is not supported with ${what}.`, 'nodeProvisioningProfile.mode');
  }
  return undefined;
}
