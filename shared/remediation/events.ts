/**
 * Event Grid deliveries, in the Event Grid schema (id, topic, subject, eventType, eventTime, data, dataVersion,
 * metadataVersion) or CloudEvents 1.0 (id, source, subject, type, time, data, specversion), one event or an
 * array, normalized to {@link GridEvent}. Facts: aks-facts.md § Event Grid; the AKS event schema
 * (learn.microsoft.com/azure/event-grid/event-schema-aks): for AKS system-topic events the topic (source) is the
 * cluster id and the subject its name.
 *
 * The subscription validation handshake: an Event Grid *trigger* never sees it (the Functions host answers it);
 * an HTTP *webhook* must — Event Grid schema: answer `{ validationResponse: data.validationCode }` to a
 * `Microsoft.EventGrid.SubscriptionValidationEvent`; CloudEvents schema: answer the `OPTIONS` abuse-protection
 * request with `WebHook-Allowed-Origin` (see {@link webhookHandshake}).
 */
import { z } from 'zod';

export const EVENT_TYPES = {
  resourceWriteSuccess: 'Microsoft.Resources.ResourceWriteSuccess',
  resourceWriteFailure: 'Microsoft.Resources.ResourceWriteFailure',
  resourceWriteCancel: 'Microsoft.Resources.ResourceWriteCancel',
  subscriptionValidation: 'Microsoft.EventGrid.SubscriptionValidationEvent',
  newKubernetesVersionAvailable: 'Microsoft.ContainerService.NewKubernetesVersionAvailable',
  clusterSupportEnding: 'Microsoft.ContainerService.ClusterSupportEnding',
  clusterSupportEnded: 'Microsoft.ContainerService.ClusterSupportEnded',
  nodePoolRollingStarted: 'Microsoft.ContainerService.NodePoolRollingStarted',
  nodePoolRollingSucceeded: 'Microsoft.ContainerService.NodePoolRollingSucceeded',
  nodePoolRollingFailed: 'Microsoft.ContainerService.NodePoolRollingFailed',
} as const;

/** One event, whichever schema it came in. */
export interface GridEvent {
  id: string;
  type: string;
  /** Event Grid `topic` or CloudEvents `source`. */
  topic?: string;
  subject: string;
  /** ISO time the event happened (eventTime / time). */
  time: string;
  data: Record<string, unknown>;
  schema: 'eventGrid' | 'cloudEvents';
}

export class EventParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventParseError';
  }
}

const text = z.string().min(1).max(2048);
const data = z.record(z.string(), z.unknown()).catch({});

const EventGridSchema = z.looseObject({
  id: text,
  topic: z.string().max(2048).optional(),
  subject: z.string().max(2048),
  eventType: text,
  eventTime: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO date-time' }),
  data: data.optional(),
  dataVersion: z.string().optional(),
  metadataVersion: z.string().optional(),
});

const CloudEventSchema = z.looseObject({
  specversion: z.literal('1.0'),
  id: text,
  source: text,
  type: text,
  subject: z.string().max(2048).optional(),
  time: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO date-time' })
    .optional(),
  data: data.optional(),
});

function describe(issues: z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** One event object in either schema; `receivedAt` stands in for a CloudEvent without `time`. */
export function parseGridEvent(value: unknown, receivedAt: Date = new Date()): GridEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new EventParseError('an event must be a JSON object');
  if ('specversion' in value) {
    const r = CloudEventSchema.safeParse(value);
    if (!r.success) throw new EventParseError(`not a CloudEvents 1.0 event: ${describe(r.error.issues)}`);
    const e = r.data;
    return { id: e.id, type: e.type, topic: e.source, subject: e.subject ?? '', time: new Date(e.time ?? receivedAt).toISOString(), data: e.data ?? {}, schema: 'cloudEvents' };
  }
  const r = EventGridSchema.safeParse(value);
  if (!r.success) throw new EventParseError(`not an Event Grid event: ${describe(r.error.issues)}`);
  const e = r.data;
  return { id: e.id, type: e.eventType, ...(e.topic !== undefined ? { topic: e.topic } : {}), subject: e.subject, time: new Date(e.eventTime).toISOString(), data: e.data ?? {}, schema: 'eventGrid' };
}

/** A delivery: one event or an array (Event Grid batches arrays; a trigger hands over one at a time). */
export function parseGridEvents(value: unknown, receivedAt: Date = new Date()): GridEvent[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, i) => {
    try {
      return parseGridEvent(v, receivedAt);
    } catch (err) {
      if (err instanceof EventParseError && Array.isArray(value)) throw new EventParseError(`event [${i}]: ${err.message}`);
      throw err;
    }
  });
}

export type WebhookHandshake =
  | { kind: 'validation'; status: 200; headers: Record<string, string>; jsonBody: { validationResponse: string } }
  | { kind: 'cloudEventsOptions'; status: 200; headers: Record<string, string> }
  | { kind: 'none' };

/**
 * The handshake an HTTP webhook must answer before Event Grid delivers to it. Pass the request method, the
 * `WebHook-Request-Origin` header and the parsed body; `kind: 'none'` means it is an ordinary delivery.
 */
export function webhookHandshake(method: string, requestOrigin: string | undefined, body: unknown): WebhookHandshake {
  if (method.toUpperCase() === 'OPTIONS' && requestOrigin) {
    // CloudEvents abuse protection (HTTP 1.1 Web Hooks for event delivery, § 4): allow the origin that asked.
    return { kind: 'cloudEventsOptions', status: 200, headers: { 'webhook-allowed-origin': requestOrigin.slice(0, 256), 'webhook-allowed-rate': '*' } };
  }
  const list = Array.isArray(body) ? body : [body];
  for (const e of list) {
    if (e !== null && typeof e === 'object' && (e as { eventType?: unknown }).eventType === EVENT_TYPES.subscriptionValidation) {
      const code = (e as { data?: { validationCode?: unknown } }).data?.validationCode;
      if (typeof code === 'string' && /^[A-Za-z0-9-]{1,128}$/.test(code)) {
        return { kind: 'validation', status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, jsonBody: { validationResponse: code } };
      }
    }
  }
  return { kind: 'none' };
}

/** The caller of a ResourceWrite* event: object id, app id and the principal named in the RBAC evidence. */
export interface WritePrincipal {
  objectId?: string;
  appId?: string;
  evidencePrincipalId?: string;
}

const OID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : undefined;
}

export function writePrincipal(data: Record<string, unknown>): WritePrincipal {
  const claims = (data.claims !== null && typeof data.claims === 'object' ? data.claims : {}) as Record<string, unknown>;
  const evidence = ((data.authorization as { evidence?: unknown } | undefined)?.evidence ?? {}) as Record<string, unknown>;
  const objectId = str(claims[OID_CLAIM]) ?? str(claims.oid);
  const appId = str(claims.appid) ?? str(claims.azp);
  const evidencePrincipalId = str(evidence.principalId);
  return { ...(objectId ? { objectId } : {}), ...(appId ? { appId } : {}), ...(evidencePrincipalId ? { evidencePrincipalId } : {}) };
}
