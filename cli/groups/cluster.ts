/** `aksnet cluster …`: one managed cluster. Data only; handlers load on demand. */
import { clusterSelectionArgs, podCidrArg, snapshotArg, targetArg, validateClusterSelection } from '../params';
import { clusterPlanTable, clusterPreflightTable } from '../transformers';
import type { CommandGroupModule } from '../types';

export const clusterGroup: CommandGroupModule = {
  groups: [
    {
      name: 'cluster',
      help: {
        summary: 'Check and plan the network migration of one AKS cluster.',
        long: "Select the cluster with '-g RESOURCE_GROUP -n NAME' or '--ids ID'.",
        examples: [
          { summary: 'Why is a cluster blocked', command: 'aksnet cluster preflight --snapshot fleet.json -g rg-prod -n aks-prod-1 --target overlay -o table' },
          { summary: 'The az commands that migrate it', command: 'aksnet cluster plan --snapshot fleet.json -g rg-prod -n aks-prod-1 --target overlay+cilium --query commands -o tsv' },
        ],
      },
    },
  ],
  commands: [
    {
      name: 'cluster preflight',
      help: {
        summary: 'Run the preflight checks on one cluster of a snapshot: its verdict, steps and findings.',
        examples: [
          { summary: 'Check one cluster for Cilium', command: 'aksnet cluster preflight --snapshot fleet.json -g rg-prod -n aks-prod-1 --target cilium' },
          {
            summary: 'Check a cluster by ARM id and show findings as a table',
            command: 'aksnet cluster preflight -s fleet.json --ids /subscriptions/0000/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod-1 -t overlay -o table',
          },
        ],
      },
      args: [snapshotArg, ...clusterSelectionArgs, targetArg, podCidrArg],
      validate: validateClusterSelection,
      handler: () => import('../handlers/assess').then((m) => m.clusterPreflight),
      tableTransformer: clusterPreflightTable,
    },
    {
      name: 'cluster plan',
      help: {
        summary: "Plan one cluster's migration: the steps, the pod CIDR and the equivalent 'az aks update' commands.",
        long: 'Overlay and Cilium are separate operations (seed 000); a NAP cluster has NAP disabled around the Cilium step. Nothing is changed.',
        examples: [
          { summary: 'Plan Overlay then Cilium', command: 'aksnet cluster plan --snapshot fleet.json -g rg-prod -n aks-prod-1 --target overlay+cilium' },
          { summary: 'Print only the commands', command: 'aksnet cluster plan -s fleet.json -g rg-prod -n aks-prod-1 -t overlay --pod-cidr 192.168.0.0/16 --query commands -o tsv' },
        ],
      },
      args: [snapshotArg, ...clusterSelectionArgs, targetArg, podCidrArg],
      validate: validateClusterSelection,
      handler: () => import('../handlers/assess').then((m) => m.clusterPlan),
      tableTransformer: clusterPlanTable,
    },
  ],
};
