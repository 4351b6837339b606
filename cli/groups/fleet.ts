/** `aksnet fleet …`: whole-fleet commands. Data only; handlers load on demand. */
import { podCidrArg, snapshotArg, targetArg } from '../params';
import { fleetAssessTable } from '../transformers';
import type { CommandGroupModule } from '../types';

export const fleetGroup: CommandGroupModule = {
  groups: [
    {
      name: 'fleet',
      help: {
        summary: 'Assess a fleet of AKS clusters for Azure CNI Overlay and the Cilium data plane.',
        long: 'Works offline on a snapshot file: ARM resources (managed clusters, VNets, NSGs, maintenance configurations) and each cluster\'s Kubernetes objects.',
        examples: [{ summary: 'Which clusters can move to Overlay and Cilium today', command: 'aksnet fleet assess --snapshot fleet.json --target overlay+cilium -o table' }],
      },
    },
  ],
  commands: [
    {
      name: 'fleet assess',
      help: {
        summary: 'Assess every managed cluster in a snapshot: verdict, steps, pod CIDR and findings.',
        long:
          'Each cluster is ready (the listed steps reach the target), blocked (a blocker finding says why and what to do) or compliant (already at the target). ' +
          'Updating to Overlay and to Cilium are separate, irreversible operations that reimage every node pool (seed 000).',
        examples: [
          { summary: 'Assess a fleet for Overlay and Cilium', command: 'aksnet fleet assess --snapshot fleet.json --target overlay+cilium' },
          { summary: 'Show a summary table', command: 'aksnet fleet assess --snapshot fleet.json --target overlay -o table' },
          { summary: 'List the ids of blocked clusters', command: 'aksnet fleet assess -s fleet.json -t cilium --query "[?verdict==\'blocked\'].id" -o tsv' },
          { summary: 'Use one pod CIDR for every cluster that moves from node subnet to Overlay', command: 'aksnet fleet assess -s fleet.json -t overlay --pod-cidr 192.168.0.0/16' },
        ],
      },
      args: [snapshotArg, targetArg, podCidrArg],
      handler: () => import('../handlers/assess').then((m) => m.fleetAssess),
      tableTransformer: fleetAssessTable,
    },
  ],
};
