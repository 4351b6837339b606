/**
 * The local Functions + Durable host: public API (docs/local-host.md).
 * - startHost: run a functions entry in-process (tests, e2e, `aksnet` without --backend)
 * - hostStartCommand: `aksnet host start` (prints the ready line, runs until SIGINT/SIGTERM)
 */
export { startHost, type StartHostOptions, type RunningHost, type HostClient, type InstanceStatus } from './host';
export { hostStartCommand, HostUsageError, type HostStartOptions, type CommandIo } from './main';
export { EventType, type HistoryEvent } from './history';
