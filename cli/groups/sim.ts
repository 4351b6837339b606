/** `aksnet sim …`: the local AKS simulator (sim/) and synthetic fleets. Data only; handlers load on demand. */
import { MutuallyExclusiveArgumentError } from '../errors';
import { validateNumber, validatePort } from '../params';
import type { CommandGroupModule } from '../types';

export const simGroup: CommandGroupModule = {
  groups: [
    {
      name: 'sim',
      help: {
        summary: 'Run the local AKS simulator (ARM, Resource Graph, Kubernetes APIs over HTTPS on 127.0.0.1) and generate synthetic fleets.',
        long: "Point aksnet at a running simulator with AKSNET_ARM_ENDPOINT=<armEndpoint> and AKSNET_CA_CERT=<caCertPath> from the line 'aksnet sim start' prints.",
        examples: [
          { summary: 'Simulate a generated fleet', command: 'aksnet sim generate --clusters 200 --subscriptions 4 --seed 7 --out fleet.json && aksnet sim start --snapshot fleet.json' },
          { summary: 'Simulate the sample fleet', command: 'aksnet sim start --sample' },
        ],
      },
    },
  ],
  commands: [
    {
      name: 'sim start',
      help: {
        summary: 'Start the simulator: prints one JSON line (armEndpoint, caCertPath, kubeEndpoint, clusters, pid) when ready, runs until SIGINT/SIGTERM.',
        long:
          "Seeded from '--snapshot FILE' or, with '--sample', from the built-in sample fleet (one cluster per situation, two subscriptions); with neither it starts empty (seed it later with POST <armEndpoint>/__sim/seed). " +
          'Stops cleanly (exit 0) on SIGINT or SIGTERM. -o and --query do not apply.',
        examples: [
          { summary: 'Start on a snapshot, on any free port', command: 'aksnet sim start --snapshot fleet.json' },
          { summary: 'Sample fleet, 20 simulated minutes per 1.2 s, with faults', command: 'aksnet sim start --sample --port 8443 --time-scale 0.001 --faults 500=0.05,seed=7' },
        ],
      },
      args: [
        { dest: 'snapshot', options: ['--snapshot', '-s'], metavar: 'FILE', help: "Snapshot file to seed from ('aksnet fleet snapshot' or 'aksnet sim generate' writes one)." },
        { dest: 'sample', options: ['--sample'], type: 'boolean', help: 'Seed from the built-in sample fleet (sim/sample-fleet.ts) instead of a file.' },
        { dest: 'port', options: ['--port'], metavar: 'PORT', help: 'ARM port on 127.0.0.1 (0 picks a free one).', default: '0', validator: validatePort },
        {
          dest: 'timeScale',
          options: ['--time-scale'],
          metavar: 'S',
          help: 'Wall seconds per simulated second (0.001: a 20-minute reimage takes 1.2 s).',
          default: '1',
          validator: (v, o) => validateNumber(v, o, { min: 0, exclusiveMin: true }, '0.001'),
        },
        { dest: 'latencyMs', options: ['--latency-ms'], metavar: 'MS', help: 'Latency added to every ARM request, in milliseconds.', default: '0', validator: (v, o) => validateNumber(v, o, { min: 0 }, '50') },
        { dest: 'faults', options: ['--faults'], metavar: 'SPEC', help: 'Faults to inject, e.g. 500=0.05,drop=0.01,fail=0.1,seed=7 (docs/simulator.md).' },
        { dest: 'noThrottling', options: ['--no-throttling'], type: 'boolean', help: 'Turn ARM and Resource Graph throttling off.' },
      ],
      validate: (args) => {
        if (args.snapshot !== undefined && args.sample === true) {
          throw new MutuallyExclusiveArgumentError("'--snapshot' cannot be used with '--sample'", "Use '--snapshot FILE' for your fleet, or '--sample' for the sample fleet");
        }
      },
      streaming: true,
      handler: () => import('../handlers/sim').then((m) => m.simStart),
    },
    {
      name: 'sim generate',
      help: {
        summary: 'Generate a synthetic fleet in the snapshot format: the same seed gives the same fleet.',
        long: "Clusters of every kind (kubenet, node subnet, dynamic pod IP, Overlay; Azure/Cilium/Calico, NAP, Windows pools) with their VNets, NSGs, maintenance configurations and Kubernetes objects. Written to stdout (always JSON), or to '--out FILE'.",
        examples: [
          { summary: 'A 1,000-cluster fleet in 10 subscriptions', command: 'aksnet sim generate --clusters 1000 --subscriptions 10 --seed 42 --out fleet.json' },
          { summary: 'Count the clusters of a small fleet', command: 'aksnet sim generate --clusters 5 --subscriptions 1 --seed 1 --query "length(resources[?type==\'Microsoft.ContainerService/managedClusters\'])"' },
        ],
      },
      args: [
        { dest: 'clusters', options: ['--clusters'], metavar: 'N', required: true, help: 'Number of managed clusters.', validator: (v, o) => validateNumber(v, o, { min: 0, integer: true }, '100') },
        { dest: 'subscriptions', options: ['--subscriptions'], metavar: 'N', required: true, help: 'Number of subscriptions to spread them over.', validator: (v, o) => validateNumber(v, o, { min: 1, integer: true }, '5') },
        { dest: 'seed', options: ['--seed'], metavar: 'SEED', required: true, help: 'Seed (a number or a word): the same seed gives the same fleet.' },
        { dest: 'out', options: ['--out'], metavar: 'FILE', help: 'Write the snapshot to this file instead of stdout (nothing is printed).' },
      ],
      fixedOutput: 'json',
      handler: () => import('../handlers/sim').then((m) => m.simGenerate),
    },
  ],
};
