/**
 * Node auto-provisioning (NAP) around the data plane update: disabling NAP is a workload move, and
 * re-enabling it has its own precondition (aks-facts.md § Disabling NAP is a workload move, not a flag).
 */
import { NAP_NODE_LABEL } from '../model/kube';
import { type CatalogRule, SEEDS, count, listOf } from './catalog-rule';

const NAP_SECTION = 'Disabling NAP is a workload move, not a flag (learn.microsoft.com aks use-node-auto-provisioning)';

export const napDisableMovesWorkload: CatalogRule = {
  id: 'nap.disable-moves-workload',
  severity: 'warning',
  title: 'Disabling NAP drains its nodes to the fixed pools',
  appliesTo: ['nap:disable'],
  source: { doc: SEEDS.facts, section: NAP_SECTION },
  remediation: 'Check the fixed agent pools can absorb the NAP nodes\' workload (aksnet scales them up) and that PodDisruptionBudgets allow the drain.',
  evaluate({ facts }) {
    const k = facts.kubernetes;
    if (!k) return [{ message: 'NAP will be disabled: NodePools get limits.cpu 0 and the disable taint, NAP nodes are drained to the fixed pools, then mode Manual.' }];
    const napNodes = k.nodes.filter((n) => n.metadata.labels?.[NAP_NODE_LABEL]);
    return [
      {
        message: `Disabling NAP drains ${count(napNodes.length, 'NAP node')}${napNodes.length ? ` (${listOf(napNodes.map((n) => n.metadata.name), 3)})` : ''} from ${count(k.napNodePools.length, 'NodePool')} to the agent pools ${listOf(facts.pools.map((p) => p.name))}.`,
      },
    ];
  },
};

export const napReenableIpFamilies: CatalogRule = {
  id: 'nap.reenable-ip-families',
  severity: 'warning',
  title: 'Re-enabling NAP needs ipFamilies IPv4',
  appliesTo: ['nap:enable'],
  source: { doc: SEEDS.facts, section: NAP_SECTION },
  remediation: "NAP mode Auto is rejected unless networkProfile.ipFamilies is [IPv4] (Azure/AKS#4759): expect NAP to stay Manual on this dual-stack cluster, or keep it off the rollout.",
  evaluate({ facts }) {
    if (facts.ipFamilies.length === 1 && facts.ipFamilies[0] === 'IPv4') return [];
    return [{ message: `ipFamilies is ${facts.ipFamilies.join(', ')}: re-enabling NAP (mode Auto) after the update can fail with OperationNotAllowed.` }];
  },
};

export const napRules: CatalogRule[] = [napDisableMovesWorkload, napReenableIpFamilies];
