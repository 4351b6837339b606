/** `aksnet cluster …`: one managed cluster. Data only; handlers load on demand. */
import { clusterSelectionArgs, clusterSnapshotArg, clusterSubscriptionArg, podCidrArg, targetArg, validateClusterSource } from '../params';
import { clusterPlanTable, clusterPreflightTable } from '../transformers';
import type { CommandGroupModule } from '../types';

export const clusterGroup: CommandGroupModule = {
  groups: [
    {
      name: 'cluster',
      help: {
        summary: 'Check and plan the network migration of one AKS cluster.',
        long:
          "Select the cluster with '-g RESOURCE_GROUP -n NAME' or '--ids ID'. With '--snapshot' it is read from the file; without, live from Azure " +
          "(subscription from '--subscription', AZURE_SUBSCRIPTION_ID or the id), or from the simulator when AKSNET_ARM_ENDPOINT and AKSNET_CA_CERT are set.",
        examples: [
          { summary: 'Why is a cluster blocked', command: 'aksnet cluster preflight --snapshot fleet.json -g rg-prod -n aks-prod-1 --target overlay -o table' },
          { summary: 'The az commands that migrate it', command: 'aksnet cluster plan --snapshot fleet.json -g rg-prod -n aks-prod-1 --target overlay+cilium --query commands -o tsv' },
          { summary: 'Check a cluster live', command: 'aksnet cluster preflight --subscription 00000000-0000-0000-0000-000000000000 -g rg-prod -n aks-prod-1 --target cilium' },
        ],
      },
    },
  ],
  commands: [
    {
      name: 'cluster preflight',
      help: {
        summary: 'Run the preflight checks on one cluster, from a snapshot or live: its verdict, steps and findings.',
        examples: [
          { summary: 'Check one cluster for Cilium', command: 'aksnet cluster preflight --snapshot fleet.json -g rg-prod -n aks-prod-1 --target cilium' },
          {
            summary: 'Check a cluster by ARM id and show findings as a table',
            command: 'aksnet cluster preflight -s fleet.json --ids /subscriptions/0000/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod-1 -t overlay -o table',
          },
          {
            summary: 'Check a cluster live (read-only), by ARM id',
            command: 'aksnet cluster preflight --ids /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod-1 -t overlay',
          },
        ],
      },
      args: [clusterSnapshotArg, ...clusterSelectionArgs, clusterSubscriptionArg, targetArg, podCidrArg],
      validate: validateClusterSource,
      handler: () => import('../handlers/assess').then((m) => m.clusterPreflight),
      tableTransformer: clusterPreflightTable,
    },
    {
      name: 'cluster plan',
      help: {
        summary: "Plan one cluster's migration, from a snapshot or live: the steps, the pod CIDR and the equivalent 'az aks update' commands.",
        long: 'Overlay and Cilium are separate operations (seed 000); a NAP cluster has NAP disabled around the Cilium step. Nothing is changed.',
        examples: [
          { summary: 'Plan Overlay then Cilium', command: 'aksnet cluster plan --snapshot fleet.json -g rg-prod -n aks-prod-1 --target overlay+cilium' },
          { summary: 'Print only the commands', command: 'aksnet cluster plan -s fleet.json -g rg-prod -n aks-prod-1 -t overlay --pod-cidr 192.168.0.0/16 --query commands -o tsv' },
          { summary: 'Plan live, subscription from AZURE_SUBSCRIPTION_ID', command: 'aksnet cluster plan -g rg-prod -n aks-prod-1 -t cilium' },
        ],
      },
      args: [clusterSnapshotArg, ...clusterSelectionArgs, clusterSubscriptionArg, targetArg, podCidrArg],
      validate: validateClusterSource,
      handler: () => import('../handlers/assess').then((m) => m.clusterPlan),
      tableTransformer: clusterPlanTable,
    },
  ],
};
