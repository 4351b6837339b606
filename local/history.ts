/**
 * History events in the shape the Durable extension hands the out-of-process SDK (DurableTask.Core
 * history classes serialized with PascalCase names). Numbers from DurableTask.Core EventType; the
 * fields the SDK reads are listed in /work/shared/docs/durable-local-host.md ("Driving an orchestration").
 */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;
export type EventTypeNumber = (typeof EventType)[keyof typeof EventType];

export const eventTypeName: Record<number, string> = Object.fromEntries(Object.entries(EventType).map(([k, v]) => [v, k]));

export interface OrchestrationInstanceRef {
  InstanceId: string;
  ExecutionId: string;
}

export interface HistoryEvent {
  EventType: number;
  /** Sequence number for scheduling events, -1 otherwise. */
  EventId: number;
  IsPlayed: boolean;
  /** ISO string when stored; the SDK turns it into a Date in place (Utils.parseTimestampsAsDates). */
  Timestamp: string | Date;
  Name?: string;
  Version?: string;
  Input?: string | null;
  Result?: string | null;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  Reason?: string;
  Details?: string | null;
  InstanceId?: string;
  OrchestrationInstance?: OrchestrationInstanceRef;
  ParentInstance?: { Name: string; Version: string; TaskScheduleId: number; OrchestrationInstance: OrchestrationInstanceRef } | null;
  OrchestrationStatus?: string;
  FailureDetails?: unknown;
}

/** Returns the event with an ISO Timestamp, safe to store or print. */
export function toStoredEvent(e: HistoryEvent): HistoryEvent {
  const ts = e.Timestamp instanceof Date ? e.Timestamp.toISOString() : e.Timestamp;
  return { ...e, Timestamp: ts };
}

/** JSON text of a value as the extension stores it (`null` for undefined, like Newtonsoft). */
export function toJsonText(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}
