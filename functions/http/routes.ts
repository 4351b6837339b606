/**
 * The HTTP API's functions: one per route template of shared/api (API_ROUTES), all with authLevel 'function'
 * (never anonymous, issue 6: the host checks the key before any aksnet code runs) and all handing the request to
 * the same `handleApiRequest`, which validates everything before it starts or raises anything (docs/http-api.md).
 */
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { API_ROUTES, handleApiRequest } from '../../shared/api/api';
import { apiPorts } from './ports';

async function handle(req: HttpRequest, context: InvocationContext) {
  return handleApiRequest({ method: req.method, url: req.url, headers: req.headers, bodyText: await req.text() }, apiPorts(context));
}

export function registerHttpTriggers(): void {
  for (const r of API_ROUTES) {
    app.http(r.name, { methods: r.methods, route: r.route, authLevel: 'function', extraInputs: [df.input.durableClient()], handler: handle });
  }
}
