/** `aksnet fleet …`: whole-fleet commands. Data only; handlers load on demand. */
import { fleetResourceGroupArg, podCidrArg, snapshotOrLiveArg, subscriptionsArg, tagArg, targetArg, validateFleetSource } from '../params';
import { fleetAssessTable } from '../transformers';
import type { CommandGroupModule } from '../types';

const SUB = '00000000-0000-0000-0000-000000000000';

export const fleetGroup: CommandGroupModule = {
  groups: [
    {
      name: 'fleet',
      help: {
        summary: 'Assess a fleet of AKS clusters for Azure CNI Overlay and the Cilium data plane.',
        long:
          "Works offline on a snapshot file ('--snapshot'), or live ('--subscription'): managed clusters found through Azure Resource Graph, their VNets and NSGs, and each cluster's Kubernetes objects, read-only. " +
          'The simulator is used instead of Azure when AKSNET_ARM_ENDPOINT and AKSNET_CA_CERT are set.',
        examples: [
          { summary: 'Which clusters can move to Overlay and Cilium today', command: 'aksnet fleet assess --snapshot fleet.json --target overlay+cilium -o table' },
          { summary: 'The same, live from two subscriptions', command: `aksnet fleet assess --subscription ${SUB} --subscription 11111111-1111-1111-1111-111111111111 --target overlay+cilium -o table` },
        ],
      },
    },
  ],
  commands: [
    {
      name: 'fleet assess',
      help: {
        summary: 'Assess every managed cluster in a snapshot, or live in subscriptions: verdict, steps, pod CIDR and findings.',
        long:
          'Each cluster is ready (the listed steps reach the target), blocked (a blocker finding says why and what to do) or compliant (already at the target). ' +
          'Updating to Overlay and to Cilium are separate, irreversible operations that reimage every node pool (seed 000). ' +
          'Live, a cluster whose facts cannot all be read is left out of the result and named in a WARNING line; the command then ends with an ERROR line and exit code 1, after printing the others.',
        examples: [
          { summary: 'Assess a fleet for Overlay and Cilium', command: 'aksnet fleet assess --snapshot fleet.json --target overlay+cilium' },
          { summary: 'Show a summary table', command: 'aksnet fleet assess --snapshot fleet.json --target overlay -o table' },
          { summary: 'List the ids of blocked clusters', command: 'aksnet fleet assess -s fleet.json -t cilium --query "[?verdict==\'blocked\'].id" -o tsv' },
          { summary: 'Use one pod CIDR for every cluster that moves from node subnet to Overlay', command: 'aksnet fleet assess -s fleet.json -t overlay --pod-cidr 192.168.0.0/16' },
          { summary: "Live: one team's clusters in a subscription", command: `aksnet fleet assess --subscription ${SUB} --tag team=payments --target overlay -o table` },
        ],
      },
      args: [snapshotOrLiveArg, subscriptionsArg, fleetResourceGroupArg, tagArg, targetArg, podCidrArg],
      validate: validateFleetSource,
      handler: () => import('../handlers/assess').then((m) => m.fleetAssess),
      tableTransformer: fleetAssessTable,
    },
    {
      name: 'fleet snapshot',
      help: {
        summary: "Read a fleet live (read-only) and write it in the snapshot format, for 'fleet assess --snapshot' later or elsewhere.",
        long:
          'Managed clusters found through Azure Resource Graph, their maintenance configurations, the VNets and NSGs of their subnets, and their Kubernetes objects. ' +
          'Only reads: GETs, the Resource Graph query, and listClusterUserCredential for the kubeconfig. Always JSON (-o is ignored). ' +
          'A cluster whose facts cannot all be read is left out and named in a WARNING line; the command then exits 1 after writing the rest.',
        examples: [
          { summary: 'Snapshot a subscription to a file', command: `aksnet fleet snapshot --subscription ${SUB} > fleet.json` },
          { summary: 'Only one resource group, then assess the file', command: `aksnet fleet snapshot --subscription ${SUB} -g rg-prod > prod.json && aksnet fleet assess -s prod.json -t cilium` },
        ],
      },
      args: [{ ...subscriptionsArg, requiredOneOf: undefined, required: true, help: 'Subscription to read (repeat for more). Read-only.' }, fleetResourceGroupArg, tagArg],
      fixedOutput: 'json',
      handler: () => import('../handlers/live').then((m) => m.fleetSnapshot),
    },
  ],
};
