/** The simulator's public surface: start it in-process or as `aksnet sim start`, and talk to it as a principal. */
export { startSimulator } from './server';
export type { RunningSimulator, SimulatorOptions } from './server';
export { simStartCommand } from './start';
export type { SimStartIo, SimStartOptions } from './start';
export { simulatorCredential } from './credential';
export { unsignedJwt } from './principal';
export { parseFaultSpec, FaultSpecError } from './faults';
export type { FaultConfig } from './faults';
export type { OperationLogEntry } from './world';
