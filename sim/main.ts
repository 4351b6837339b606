/**
 * Runnable simulator: `node dist/sim/main.js --snapshot FILE --port P --time-scale S --latency-ms L --faults SPEC`.
 * Prints one JSON line once ready and runs until SIGINT/SIGTERM.
 */
import { Command } from 'commander';
import { simStartCommand } from './start';

export { simStartCommand } from './start';
export { startSimulator } from './server';

async function main(argv: string[]): Promise<number> {
  const program = new Command('aksnet-sim')
    .description('AKS simulator: ARM (ContainerService, Network, ResourceGraph) and per-cluster Kubernetes APIs over HTTPS on 127.0.0.1')
    .option('--snapshot <file>', 'seed from a snapshot file')
    .option('--port <port>', 'ARM port (0 = any free port)', '0')
    .option('--time-scale <s>', 'wall seconds per simulated second (0.001: a 20-minute reimage takes 1.2 s)', '1')
    .option('--latency-ms <ms>', 'latency added to every ARM request', '0')
    .option('--faults <spec>', 'faults to inject, e.g. 500=0.05,drop=0.01,fail=0.1,seed=7 (docs/simulator.md)')
    .option('--no-throttling', 'turn ARM and Resource Graph throttling off')
    .exitOverride();
  try {
    program.parse(argv);
  } catch (e) {
    return (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const o = program.opts<{ snapshot?: string; port: string; timeScale: string; latencyMs: string; faults?: string; throttling: boolean }>();
  return simStartCommand(o, { stdout: process.stdout, stderr: process.stderr });
}

if (require.main === module) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
