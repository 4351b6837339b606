/**
 * The one error shape of the HTTP API, as ARM answers: `{ error: { code, message, target?, details? } }`.
 * Handlers throw {@link ApiError}; anything else becomes a 500 whose body says nothing about the internals
 * (no stack, no exception text): the full error goes to the caller's logger only.
 */

export interface ApiErrorBody {
  code: string;
  message: string;
  /** The field (JSON path, query parameter or route parameter) the problem is about. */
  target?: string;
  /** Every problem, when there are several (an invalid rollout spec lists each by field path). */
  details?: Array<{ code: string; message: string; target?: string }>;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** Absent only for responses without a body. */
  jsonBody?: unknown;
}

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly target?: string,
    public readonly details?: ApiErrorBody['details'],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): { error: ApiErrorBody } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target !== undefined ? { target: this.target } : {}),
        ...(this.details !== undefined ? { details: this.details } : {}),
      },
    };
  }
}

export const badRequest = (code: string, message: string, target?: string): ApiError => new ApiError(400, code, message, target);
export const notFound = (message: string, target?: string): ApiError => new ApiError(404, 'NotFound', message, target);

export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  // Responses carry rollout state; nothing in between should keep a copy.
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, jsonBody: body };
}

/** Turns anything thrown into a response; only ApiError text ever reaches the client. */
export function errorResponse(err: unknown, log?: (message: string) => void): ApiResponse {
  if (err instanceof ApiError) return json(err.status, err.toBody());
  log?.(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return json(500, { error: { code: 'InternalError', message: 'The request failed on the server. Retry later; if it persists, look up this time in the app logs.' } });
}
