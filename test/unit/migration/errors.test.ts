import { RestError } from '@azure/core-rest-pipeline';
import { classifyError, parseRetryAfter } from '../../../shared/migration/errors';

function armError(statusCode: number, code: string, message: string, headers: Record<string, string> = {}): RestError {
  const body = JSON.stringify({ error: { code, message } });
  return new RestError(message, {
    code,
    statusCode,
    response: {
      status: statusCode,
      headers: { get: (n: string) => headers[n.toLowerCase()], has: (n: string) => n.toLowerCase() in headers, toJSON: () => headers } as never,
      bodyAsText: body,
      request: {} as never,
    },
  });
}

describe('error classes', () => {
  it('400 AKS validation → rejected with AKS code and message', () => {
    const c = classifyError(armError(400, 'CiliumDataplaneRequiresNetworkPolicyCilium', 'Cilium dataplane requires network policy cilium.'));
    expect(c).toMatchObject({ kind: 'rejected', statusCode: 400, code: 'CiliumDataplaneRequiresNetworkPolicyCilium', message: 'Cilium dataplane requires network policy cilium.' });
  });

  it('409 OperationNotAllowed → busy', () => {
    const c = classifyError(armError(409, 'OperationNotAllowed', 'Another operation (Upgrading) is in progress, please wait for it to finish', { 'retry-after': '60' }));
    expect(c).toMatchObject({ kind: 'busy', code: 'OperationNotAllowed', retryAfterSeconds: 60 });
  });

  it('429 throttling → transient with Retry-After; 429 RetryableErrorDueToAnotherOperation → busy', () => {
    expect(classifyError(armError(429, 'TooManyRequests', 'throttled', { 'retry-after': '17' }))).toMatchObject({ kind: 'transient', retryAfterSeconds: 17 });
    expect(classifyError(armError(429, 'RetryableErrorDueToAnotherOperation', 'another op'))).toMatchObject({ kind: 'busy' });
  });

  it('5xx and dropped connections → transient', () => {
    expect(classifyError(armError(503, 'ServiceUnavailable', 'try later')).kind).toBe('transient');
    expect(classifyError(new RestError('socket hang up', { code: 'REQUEST_SEND_ERROR' })).kind).toBe('transient');
    expect(classifyError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })).kind).toBe('transient');
  });

  it('412 → stale (ETag moved)', () => {
    expect(classifyError(armError(412, 'PreconditionFailed', 'etag mismatch')).kind).toBe('stale');
  });

  it('Kubernetes client errors carry the status in code', () => {
    expect(classifyError(Object.assign(new Error('HTTP-Code: 404 Message: Unknown API Status Code!'), { code: 404, body: '{"kind":"Status","message":"nodes \\"x\\" not found"}' }))).toMatchObject({ kind: 'rejected', statusCode: 404 });
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter('Mon, 05 Jan 2026 10:01:00 GMT', new Date('2026-01-05T10:00:00Z'))).toBe(60);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
