/**
 * How AKS reads a managed cluster's network configuration. The simulator derives these on its own from
 * the ARM properties (it plays AKS and must not share the product's rule code).
 */
import type { AgentPoolProfile, ManagedClusterProperties } from '../../shared/model/arm';

export type SimIpam = 'kubenet' | 'nodeSubnet' | 'dynamicIp' | 'overlay' | 'none';

/** Pools with a pod subnet use dynamic IP allocation (seed 000 "Supported migration paths"). */
export function ipamOf(p: ManagedClusterProperties): SimIpam {
  const np = p.networkProfile ?? {};
  const plugin = (np.networkPlugin ?? 'kubenet').toLowerCase();
  if (plugin === 'kubenet') return 'kubenet';
  if (plugin === 'none') return 'none';
  if ((np.networkPluginMode ?? '').toLowerCase() === 'overlay') return 'overlay';
  if ((p.agentPoolProfiles ?? []).some((pool) => !!pool.podSubnetID)) return 'dynamicIp';
  return 'nodeSubnet';
}

/** API versions 2022-09-02-preview..2023-01-02-preview named the field ebpfDataplane (seed 001, Prerequisites note). */
export function dataplaneOf(p: ManagedClusterProperties): 'azure' | 'cilium' {
  const np = p.networkProfile ?? {};
  const v = (np.networkDataplane ?? np.ebpfDataplane ?? 'azure').toLowerCase();
  return v === 'cilium' ? 'cilium' : 'azure';
}

export function policyOf(p: ManagedClusterProperties): string {
  return (p.networkProfile?.networkPolicy ?? 'none').toLowerCase() || 'none';
}

export function napOf(p: ManagedClusterProperties): 'Auto' | 'Manual' {
  return (p.nodeProvisioningProfile?.mode ?? 'Manual').toLowerCase() === 'auto' ? 'Auto' : 'Manual';
}

export function isWindows(pool: AgentPoolProfile): boolean {
  return (pool.osType ?? 'Linux').toLowerCase() === 'windows';
}

export function podCidrOf(p: ManagedClusterProperties): string | undefined {
  const np = p.networkProfile ?? {};
  return np.podCidr ?? np.podCidrs?.[0];
}

/** Compares 'major.minor[.patch]' versions numerically; undefined when unparsable. */
export function compareVersions(a: string, b: string): number | undefined {
  const pa = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(a.trim());
  const pb = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(b.trim());
  if (!pa || !pb) return undefined;
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i] ?? 0) - Number(pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The lowest Kubernetes version among the control plane and every pool. */
export function lowestVersion(p: ManagedClusterProperties): string | undefined {
  const versions = [p.currentKubernetesVersion, p.kubernetesVersion]
    .concat((p.agentPoolProfiles ?? []).flatMap((pool) => [pool.currentOrchestratorVersion, pool.orchestratorVersion]))
    .filter((v): v is string => typeof v === 'string' && v !== '');
  let lowest: string | undefined;
  for (const v of versions) if (lowest === undefined || (compareVersions(v, lowest) ?? 0) < 0) lowest = v;
  return lowest;
}
