/** The request/response shapes the ARM handlers work with (the server does the HTTP). */
import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '../principal';
import { ArmError } from './errors';

export interface SimRequest {
  method: string;
  /** Path without query, as sent (percent-decoded). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  principal: Principal;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Set by write handlers so the server logs the request in the operation log. */
  logged?: { resourceId: string; operationId?: string };
}

export function ok(body: unknown, status = 200, headers: Record<string, string> = {}): SimResponse {
  return { status, body, headers };
}

/** ARM requires api-version; any date-shaped version is accepted (older ones leniently). */
export function requireApiVersion(req: SimRequest): string {
  const v = req.query.get('api-version');
  if (!v) throw new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/i.test(v)) {
    throw new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${v}' is invalid. The supported versions are dates such as '2026-04-01'.`);
  }
  return v;
}

export function objectBody(req: SimRequest): Record<string, unknown> {
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
    throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: expected a JSON object.');
  }
  return req.body as Record<string, unknown>;
}

/** A list page ARM style: `{value, nextLink}` with an opaque $skipToken. */
export function page<T>(items: T[], req: SimRequest, baseUrl: string, pageSize: number): { value: T[]; nextLink?: string } {
  const skip = Number(req.query.get('$skipToken') ?? '0') || 0;
  const value = items.slice(skip, skip + pageSize);
  if (skip + pageSize >= items.length) return { value };
  const q = new URLSearchParams(req.query);
  q.set('$skipToken', String(skip + pageSize));
  return { value, nextLink: `${baseUrl}${req.path}?${q.toString()}` };
}
