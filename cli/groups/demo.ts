/** `aksnet demo` (what `npm start` runs): the whole job on the embedded simulator. Data only; the handler loads on demand. */
import { rolloutTable } from '../backend/views';
import type { CommandGroupModule } from '../types';

export const demoGroup: CommandGroupModule = {
  groups: [],
  commands: [
    {
      name: 'demo',
      help: {
        summary: 'Run a staged rollout to overlay+cilium over a sample fleet on the embedded simulator and local host, end to end (npm start).',
        long:
          'Starts the AKS simulator with the sample fleet (13 clusters: kubenet, node subnet, dynamic IP, Overlay, NAP Auto, Windows, policy engines, blocked cases), ' +
          'the local Functions host on the built app (npm run build), and a rollout of two stages (canary of 2; the rest 4 at a time after an approval the demo gives itself). ' +
          'Progress goes to stderr; the per-cluster table to stdout; the report (JSON) to .aksnet/reports/<id>.json. Everything stops at the end. Exit 1 if a cluster failed.',
        examples: [
          { summary: 'Run the demo (what npm start does)', command: 'aksnet demo --report-dir .aksnet/reports' },
          { summary: 'Run it and keep only the JSON', command: 'aksnet demo -o json --report-dir /tmp/aksnet-reports' },
        ],
      },
      args: [{ dest: 'reportDir', options: ['--report-dir'], metavar: 'DIR', help: 'Where to write the report (default .aksnet/reports).' }],
      defaultOutput: 'table',
      tableTransformer: rolloutTable,
      handler: () => import('../handlers/demo').then((m) => m.demo),
    },
  ],
};
