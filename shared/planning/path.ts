/**
 * The path planner: which ARM operations take a cluster from where it is to the target.
 * Each step is one `az aks update` / ARM PUT. Blockers are not considered here (the rule catalog
 * reports them); the path is what the cluster would need.
 */
import type { CurrentState, Step, Target } from '../model/assessment';

export function targetWantsOverlay(target: Target): boolean {
  return target === 'overlay' || target === 'overlay+cilium';
}

export function targetWantsCilium(target: Target): boolean {
  return target === 'cilium' || target === 'overlay+cilium';
}

export function planPath(current: CurrentState, target: Target): Step[] {
  const needCilium = targetWantsCilium(target) && current.dataplane !== 'cilium';
  // Kubenet can't move to the Cilium data plane directly: it migrates to Overlay first, as a separate
  // operation (seed 000_c747be24177f73a8.txt § Supported migration paths / Data plane migration).
  // A dynamic-IP cluster keeps its IPAM mode for a Cilium-only target: Cilium runs on any Azure CNI IPAM
  // mode (same section). For an Overlay target a dynamic-IP cluster still lists ipam:overlay; the rule
  // catalog blocks it (seed 000 § Update the IPAM mode to Azure CNI Overlay: no dynamic IP allocation).
  const needOverlay = current.ipam !== 'overlay' && (targetWantsOverlay(target) || (needCilium && current.ipam === 'kubenet'));
  // IPAM and data plane are two separate operations, in either order (seed 000 § Update considerations).
  // Overlay goes first, because kubenet needs that order — except on a node-subnet cluster running Azure NPM
  // or Calico: Overlay refuses a network policy engine (seed 000 § Update the IPAM mode), while the Cilium
  // update uninstalls that engine and replaces it with Cilium, after which Overlay is allowed.
  const ciliumFirst = needOverlay && needCilium && current.ipam === 'nodeSubnet' && (current.networkPolicy === 'azure' || current.networkPolicy === 'calico');
  const cilium: Step[] = [];
  if (needCilium) {
    // NAP clusters can't be updated to Cilium: disable NAP before, re-enable after (seed 000 § Update
    // considerations). NAP supports Overlay, so ipam:overlay is not wrapped (aks-facts.md § Disabling NAP).
    if (current.nap === 'Auto') cilium.push('nap:disable');
    cilium.push('dataplane:cilium');
    if (current.nap === 'Auto') cilium.push('nap:enable');
  }
  const overlay: Step[] = needOverlay ? ['ipam:overlay'] : [];
  return ciliumFirst ? [...cilium, ...overlay] : [...overlay, ...cilium];
}
