/** `aksnet host …`: the local Functions/Durable host (local/). Data only; handlers load on demand. */
import { validateNumber, validatePort } from '../params';
import type { CommandGroupModule } from '../types';

export const hostGroup: CommandGroupModule = {
  groups: [
    {
      name: 'host',
      help: {
        summary: 'Run the aksnet Functions app (orchestrations, activities, HTTP API) on a local Durable Functions host.',
        examples: [{ summary: 'Start the host on a free port, state in memory', command: 'aksnet host start' }],
      },
    },
  ],
  commands: [
    {
      name: 'host start',
      help: {
        summary: 'Start the local host: prints one JSON line (baseUrl, functionKey, taskHub, db, pid, functions) when ready, runs until SIGINT/SIGTERM.',
        long:
          'Serves the built Functions app (dist/functions/index.js, or AKSNET_FUNCTIONS_ENTRY) with its HTTP triggers and the Durable management API on 127.0.0.1. ' +
          "State lives in '--db FILE' (SQLite), or in memory. '--clock-scale K' runs durable timers K times faster (default AKSNET_CLOCK_SCALE, else 1): " +
          "against 'aksnet sim start --time-scale S' use K = 1/S, so the workflow's polls keep pace with the simulated operations. " +
          'Host logs go to stderr when it is a terminal (else with --verbose). -o and --query do not apply.',
        examples: [
          { summary: 'Start on port 7071 with durable state in a file', command: 'aksnet host start --port 7071 --db aksnet.db' },
          { summary: 'Serve another build of the app', command: 'aksnet host start --entry build/functions/index.js' },
          { summary: "Durable timers 1000 times faster, for a simulator started with '--time-scale 0.001'", command: 'aksnet host start --port 7071 --clock-scale 1000' },
        ],
      },
      args: [
        { dest: 'port', options: ['--port'], metavar: 'PORT', help: 'HTTP port on 127.0.0.1 (0 picks a free one).', default: '0', validator: validatePort },
        { dest: 'db', options: ['--db'], metavar: 'FILE', help: 'SQLite file for the task hub (orchestration state survives restarts). Default: in memory.' },
        { dest: 'entry', options: ['--entry'], metavar: 'FILE', help: 'The Functions app entry to load. Default: the built app, dist/functions/index.js.' },
        {
          dest: 'clockScale',
          options: ['--clock-scale'],
          metavar: 'K',
          help: 'Durable timers run K times faster (a positive number; default AKSNET_CLOCK_SCALE, else 1). Use 1/time-scale of the simulator.',
          validator: (v, o) => validateNumber(v, o, { min: 0, exclusiveMin: true }, '1000'),
        },
      ],
      streaming: true,
      handler: () => import('../handlers/host').then((m) => m.hostStart),
    },
  ],
};
