/**
 * Rules about the cluster as a whole, whatever the step: its state, its network plugin, and the
 * order of operations when both the IPAM mode and the data plane change.
 */
import { type CatalogRule, ALL_STEPS, SEEDS, count, hasStep, listOf } from './catalog-rule';

export const clusterProvisioningState: CatalogRule = {
  id: 'cluster.provisioning-state',
  severity: 'blocker',
  title: 'Cluster and pools in provisioning state Succeeded',
  appliesTo: ALL_STEPS,
  source: { doc: SEEDS.facts, section: 'Server-side errors seen in the field' },
  remediation: 'Wait for the running operation to finish, or fix the failed one (az aks update with no changes reconciles a Failed cluster), then assess again.',
  evaluate({ facts }) {
    const found: string[] = [];
    if (facts.provisioningState && facts.provisioningState !== 'Succeeded') found.push(`cluster ${facts.provisioningState}`);
    for (const p of facts.pools) if (p.provisioningState && p.provisioningState !== 'Succeeded') found.push(`pool ${p.name} ${p.provisioningState}`);
    if (found.length === 0) return [];
    return [{ message: `Not in provisioning state Succeeded: ${listOf(found)}; AKS rejects an update while another operation runs (409 OperationNotAllowed) and a failed one must be reconciled first.` }];
  },
};

export const clusterNetworkPlugin: CatalogRule = {
  id: 'cluster.network-plugin',
  severity: 'blocker',
  title: 'Network plugin azure or kubenet',
  appliesTo: ALL_STEPS,
  source: { doc: SEEDS.update, section: 'Supported migration paths' },
  remediation: 'Only Azure CNI (node subnet, dynamic IP allocation, Overlay) and kubenet clusters can be updated; a bring-your-own CNI cluster needs a new cluster.',
  evaluate({ facts }) {
    if (facts.networkPlugin === 'azure' || facts.networkPlugin === 'kubenet') return [];
    return [{ message: `Network plugin '${facts.networkPlugin}'${facts.networkPlugin === 'none' ? ' (bring your own CNI)' : ''} has no supported migration path.` }];
  },
};

export const planSeparateOperations: CatalogRule = {
  id: 'plan.separate-operations',
  severity: 'info',
  title: 'IPAM mode and data plane are updated in two operations',
  appliesTo: ['ipam:overlay', 'dataplane:cilium'],
  source: { doc: SEEDS.update, section: 'Update the data plane to Azure CNI Powered by Cilium › Update considerations' },
  remediation: 'Nothing to do: aksnet runs the two updates one after the other, each reimaging every pool.',
  evaluate({ plan, facts }) {
    if (!hasStep(plan, 'ipam:overlay') || !hasStep(plan, 'dataplane:cilium')) return [];
    const order = plan.steps.filter((s) => s === 'ipam:overlay' || s === 'dataplane:cilium');
    return [{ message: `The IPAM mode and the data plane cannot change in one operation: ${order.join(' then ')}, each reimaging every node pool (${count(facts.pools.length, 'pool')}).` }];
  },
};

export const clusterPowerState: CatalogRule = {
  id: 'cluster.stopped',
  severity: 'blocker',
  title: 'Cluster running',
  appliesTo: ALL_STEPS,
  source: { doc: SEEDS.update, section: 'Update the IPAM mode to Azure CNI Overlay' },
  remediation: 'Start the cluster (az aks start) before updating it: a stopped cluster has no nodes to reimage.',
  evaluate({ facts }) {
    if (!facts.powerState || facts.powerState === 'Running') return [];
    return [{ message: `The cluster's power state is ${facts.powerState}; the update reimages every node pool, which a stopped cluster cannot do.` }];
  },
};

export const clusterRules: CatalogRule[] = [clusterProvisioningState, clusterPowerState, clusterNetworkPlugin, planSeparateOperations];
