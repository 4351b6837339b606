/**
 * Checks run on fresh facts after a cluster's steps: what a user would check by hand after `az aks update`.
 */
import ipaddr from 'ipaddr.js';
import type { Target } from '../model/assessment';
import type { ClusterFacts, NapMode } from '../model/facts';
import type { ClusterResult } from './result';

export interface VerifyExpectation {
  target: Target;
  /** Pod CIDR the overlay step set (when it ran or the cluster was already overlay). */
  podCidr?: string;
  /** NAP mode before the run: it must be the same after (seed 000 § Update the data plane: re-enable NAP). */
  napModeBefore: NapMode;
  /** Node image per pool before the first step; a pool still on it after a reimaging step was not reimaged. */
  nodeImagesBefore?: Record<string, string | undefined>;
}

export interface VerifyProblem {
  check: 'network-profile' | 'pool-state' | 'node-image' | 'nodes-ready' | 'cilium' | 'kube-proxy' | 'pod-ips' | 'nap-mode' | 'facts';
  message: string;
}

const wantsOverlay = (t: Target): boolean => t === 'overlay' || t === 'overlay+cilium';
const wantsCilium = (t: Target): boolean => t === 'cilium' || t === 'overlay+cilium';

function inCidr(ip: string, cidr: string): boolean {
  try {
    const addr = ipaddr.parse(ip);
    const [range, bits] = ipaddr.parseCIDR(cidr);
    return addr.kind() === range.kind() && addr.match(range, bits);
  } catch {
    return false;
  }
}

export function verifyCluster(facts: ClusterFacts, expect: VerifyExpectation): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  if (wantsOverlay(expect.target)) {
    if (facts.ipam !== 'overlay') problems.push({ check: 'network-profile', message: `IPAM is ${facts.ipam}, expected overlay` });
    if (expect.podCidr && !facts.podCidrs.includes(expect.podCidr)) {
      problems.push({ check: 'network-profile', message: `pod CIDR is ${facts.podCidrs.join(', ') || 'unset'}, expected ${expect.podCidr}` });
    }
  }
  if (wantsCilium(expect.target)) {
    if (facts.dataplane !== 'cilium') problems.push({ check: 'network-profile', message: `data plane is ${facts.dataplane}, expected cilium` });
    if (facts.networkPolicy !== 'cilium') problems.push({ check: 'network-profile', message: `network policy is ${facts.networkPolicy}, expected cilium` });
  }
  for (const pool of facts.pools) {
    if (pool.provisioningState && pool.provisioningState !== 'Succeeded') {
      problems.push({ check: 'pool-state', message: `pool ${pool.name} is ${pool.provisioningState}, expected Succeeded` });
    }
    const before = expect.nodeImagesBefore?.[pool.name];
    // seed 000: the update reimages every node pool at once; the same image afterwards means no reimage happened.
    if (before !== undefined && pool.nodeImageVersion === before) {
      problems.push({ check: 'node-image', message: `pool ${pool.name} is still on node image ${before}; the update reimages every pool` });
    }
  }
  const kube = facts.kubernetes;
  if (!kube) {
    problems.push({ check: 'facts', message: 'no Kubernetes facts could be read: nodes, Cilium and pod IPs were not checked' });
  } else {
    for (const node of kube.nodes) {
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') problems.push({ check: 'nodes-ready', message: `node ${node.metadata.name} is not Ready` });
    }
    if (wantsCilium(expect.target)) {
      const cilium = kube.daemonSets.find((d) => d.metadata.name === 'cilium' && (d.metadata.namespace ?? 'kube-system') === 'kube-system');
      const desired = cilium?.status?.desiredNumberScheduled ?? 0;
      if (!cilium) problems.push({ check: 'cilium', message: 'DaemonSet kube-system/cilium not found' });
      else if (desired === 0 || (cilium.status?.numberReady ?? 0) < desired) {
        problems.push({ check: 'cilium', message: `DaemonSet kube-system/cilium has ${cilium.status?.numberReady ?? 0}/${desired} pods ready` });
      }
      // seed 002 § FAQ "Does Azure CNI powered by Cilium use Kube-Proxy?": no; upgraded clusters run without it.
      const kubeProxy = kube.daemonSets.find((d) => d.metadata.name === 'kube-proxy' && (d.metadata.namespace ?? 'kube-system') === 'kube-system');
      if (kubeProxy && (kubeProxy.status?.desiredNumberScheduled ?? 1) > 0) {
        problems.push({ check: 'kube-proxy', message: 'DaemonSet kube-system/kube-proxy is still running alongside Cilium' });
      }
    }
    if (wantsOverlay(expect.target)) {
      const cidrs = expect.podCidr ? [expect.podCidr] : facts.podCidrs;
      const outside = kube.pods.filter((p) => {
        if (p.spec?.hostNetwork) return false;
        const ips = (p.status?.podIPs ?? []).map((x) => x.ip).concat(p.status?.podIP ? [p.status.podIP] : []);
        const v4 = ips.filter((ip) => !ip.includes(':'));
        return v4.length > 0 && !v4.some((ip) => cidrs.some((c) => inCidr(ip, c)));
      });
      if (outside.length > 0) {
        const names = outside.slice(0, 3).map((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`);
        problems.push({ check: 'pod-ips', message: `${outside.length} pod(s) have IPs outside the pod CIDR ${cidrs.join(', ')}: ${names.join(', ')}${outside.length > 3 ? ', …' : ''}` });
      }
    }
  }
  if (facts.napMode !== expect.napModeBefore) {
    problems.push({ check: 'nap-mode', message: `node auto-provisioning is ${facts.napMode}, it was ${expect.napModeBefore} before the run` });
  }
  return problems;
}

/**
 * A migrated run's result once verify answered: unchanged without problems, else `failed` with every problem, the
 * first in `reason` and all of them in `error` (VerifyFailed). The one place this is decided: the run's end activity
 * (functions verifyAndFinish) saves what it returns and the orchestrator outputs what it returns, from the same
 * result and problems, so the saved result and the output agree.
 */
export function withVerifyProblems(result: ClusterResult, problems: readonly string[]): ClusterResult {
  if (problems.length === 0) return result;
  return {
    ...result,
    result: 'failed',
    verifyProblems: [...problems],
    reason: `verify found ${problems.length} problem(s): ${problems[0]}`,
    error: { code: 'VerifyFailed', message: problems.join('; ') },
  };
}
