/**
 * Failure classes for ARM and Kubernetes calls, so retries fire only where they help.
 *
 * - transient: 5xx, 429 throttling, dropped connections → retried with backoff (aks-facts § ARM behaviour:
 *   429 carries Retry-After).
 * - busy: 409 `OperationNotAllowed` ("Another operation ... is in progress"), and 429 bodies that are not
 *   throttling such as `RetryableErrorDueToAnotherOperation` (aks-facts § ARM behaviour) → wait, then retry.
 * - stale: 412 Precondition Failed, the If-Match ETag no longer matches (aks-facts § What the PUT must contain)
 *   → read the cluster again and retry at once.
 * - rejected: every other 4xx, above all AKS validation errors (400) → fail at once with AKS's code and message.
 */
export type FailureKind = 'transient' | 'busy' | 'stale' | 'rejected';

export interface ClassifiedFailure {
  kind: FailureKind;
  statusCode?: number;
  /** AKS/ARM error code (e.g. `CiliumDataplaneRequiresNetworkPolicyCilium`) or the Node error code (`ECONNRESET`). */
  code: string;
  message: string;
  /** From Retry-After when the service sent one. */
  retryAfterSeconds?: number;
}

/** Node and core-rest-pipeline codes for a connection that dropped or never answered. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'REQUEST_SEND_ERROR',
]);

/** 409/429 codes that mean "another operation holds the cluster", not throttling (aks-facts § ARM behaviour). */
const BUSY_CODES = new Set(['OperationNotAllowed', 'RetryableErrorDueToAnotherOperation', 'AnotherOperationInProgress', 'Conflict']);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Reads `{ error: { code, message } }` from an ARM error body (string or parsed). */
export function armErrorBody(body: unknown): { code?: string; message?: string } {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return {};
    }
  }
  const error = record(record(parsed)?.error) ?? record(parsed);
  return { code: str(error?.code), message: str(error?.message) };
}

function headerValue(headers: unknown, name: string): string | undefined {
  const h = record(headers);
  if (!h) return undefined;
  if (typeof h.get === 'function') {
    const v: unknown = (h.get as (n: string) => unknown).call(h, name);
    return str(v);
  }
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === name) return str(v) ?? (typeof v === 'number' ? String(v) : undefined);
  return undefined;
}

/** Retry-After in seconds (delta-seconds or an HTTP date relative to `now`). */
export function parseRetryAfter(value: string | undefined, now = new Date()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * Classifies anything thrown by the Azure SDK (RestError: `statusCode`, `code`, `response`), the Kubernetes
 * client (`code` = HTTP status, `body`), fetch/undici or Node sockets.
 */
export function classifyError(err: unknown): ClassifiedFailure {
  const e = record(err) ?? {};
  const response = record(e.response);
  const statusCode =
    typeof e.statusCode === 'number'
      ? e.statusCode
      : typeof e.status === 'number'
        ? e.status
        : typeof e.code === 'number'
          ? e.code
          : typeof response?.status === 'number'
            ? response.status
            : undefined;
  const body = armErrorBody(response?.bodyAsText ?? e.body ?? record(e.details) ?? undefined);
  const rawCode = str(e.code) ?? str(record(e.cause)?.code);
  const code = body.code ?? rawCode ?? (statusCode !== undefined ? `HTTP${statusCode}` : 'Unknown');
  const message = body.message ?? (err instanceof Error ? err.message : str(e.message) ?? String(err));
  const retryAfterSeconds = parseRetryAfter(headerValue(response?.headers ?? e.headers, 'retry-after'));
  const base = { statusCode, code, message, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };

  if (statusCode === undefined) {
    // No HTTP answer at all: the connection dropped or never opened.
    if (rawCode && NETWORK_CODES.has(rawCode)) return { kind: 'transient', ...base };
    if (err instanceof Error && /socket hang up|network|timed? ?out|aborted/i.test(err.message)) return { kind: 'transient', ...base };
    return { kind: 'rejected', ...base };
  }
  if (statusCode === 412) return { kind: 'stale', ...base };
  if (statusCode === 409) return { kind: 'busy', ...base };
  if (statusCode === 429) return { kind: BUSY_CODES.has(code) ? 'busy' : 'transient', ...base };
  if (statusCode === 408 || statusCode >= 500) return { kind: 'transient', ...base };
  return { kind: 'rejected', ...base };
}

/** Terminal LRO errors that mean "try the same step again" rather than "the change was refused" (aks-facts § Server-side errors). */
const RETRYABLE_OPERATION_CODES = new Set(['AKSOperationPreempted', 'OperationPreempted', 'InternalOperationError', 'RetryableError']);

export function isRetryableOperationError(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_OPERATION_CODES.has(code);
}

/**
 * Thrown by activities for transient faults only, so `callActivityWithRetry` retries them; the message
 * starts with the code so the orchestrator can report it when retries run out.
 */
export class TransientAzureError extends Error {
  constructor(public readonly failure: ClassifiedFailure) {
    super(`${failure.code}: ${failure.message}`);
    this.name = 'TransientAzureError';
  }
}
