/**
 * The REST body ARM returned, not the SDK's model: the network SDK flattens `properties` and the
 * modular container service SDK turns dates into Date objects, while the snapshot format keeps what
 * ARM GET said. Both SDKs call `onResponse` with the raw response, whose body text is that JSON.
 */
export interface RawCapture {
  onResponse: (raw: { parsedBody?: unknown; bodyAsText?: string | null; status: number }) => void;
  body(): unknown;
}

export function rawCapture(): RawCapture {
  let body: unknown;
  return {
    onResponse(raw) {
      if (raw.status >= 200 && raw.status < 300) {
        // bodyAsText first: core-client (the network SDK) replaces parsedBody with its flattened model.
        body = raw.bodyAsText ? (JSON.parse(raw.bodyAsText) as unknown) : raw.parsedBody;
      }
    },
    body: () => body,
  };
}

/** The message of an SDK error (RestError from either SDK generation, client-node ApiException, or anything else), on one line. */
export function errorLine(e: unknown): string {
  const err = e as { code?: unknown; statusCode?: unknown; message?: unknown; body?: unknown };
  const status = typeof err?.statusCode === 'number' ? err.statusCode : typeof err?.code === 'number' ? err.code : undefined;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const firstLine = message.split('\n')[0].slice(0, 300);
  return [status ? `HTTP ${status}` : undefined, code, firstLine].filter(Boolean).join(' ');
}
