/**
 * Request bodies: size, syntax, nesting depth, array lengths and key names are checked before any handler
 * sees the value, so a hostile body is refused with one clear 4xx and never reaches a validator or a port.
 *
 * Hand-written on purpose: JSON.parse has no size, depth or key limits, and zod would only see the value after
 * it was built. The depth scan runs on the text before parsing, so a 100,000-deep `[[[[...` costs one linear
 * pass and never a deep recursion in our own walk.
 */
import { ApiError, badRequest } from './errors';

export interface BodyLimits {
  /** UTF-8 bytes; larger → 413. */
  maxBytes: number;
  /** Nesting of objects and arrays (the top-level value is depth 1); deeper → 400. */
  maxDepth: number;
  /** Elements of any one array; longer → 400. */
  maxArrayLength: number;
}

/** Documented in docs/http-api.md § Limits. */
export const DEFAULT_BODY_LIMITS: Readonly<BodyLimits> = { maxBytes: 256 * 1024, maxDepth: 32, maxArrayLength: 10_000 };

/**
 * Keys that would reach Object.prototype (or a constructor) if any later code merged the body into an object.
 * JSON.parse itself creates them as own properties, but nothing we accept needs them, so they are refused.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** `stages[0].name` — the same notation the rollout spec's problems use. */
export function jsonPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const plain = /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key);
  if (!plain) return `${parent}[${JSON.stringify(key.slice(0, 40))}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function scanDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) {
        throw badRequest('BodyTooDeep', `The request body nests objects or arrays more than ${maxDepth} levels deep (at character ${i}); flatten it.`);
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** Walks the parsed value (iteratively: the depth is already bounded) checking array lengths and key names. */
function checkShape(root: unknown, limits: BodyLimits): void {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: string };
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayLength) {
        throw new ApiError(400, 'ArrayTooLong', `'${path || '(root)'}' has ${value.length} elements; at most ${limits.maxArrayLength} are accepted in one request. Split the request.`, path || '(root)');
      }
      value.forEach((v, i) => stack.push({ value: v, path: jsonPath(path, i) }));
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        const keyPath = jsonPath(path, key);
        if (FORBIDDEN_KEYS.has(key)) {
          throw new ApiError(400, 'ForbiddenKey', `The field name '${key}' is not accepted (at '${keyPath}'); remove it.`, keyPath);
        }
        if (CONTROL.test(key)) throw new ApiError(400, 'InvalidFieldName', `A field name at '${path || '(root)'}' contains control characters; remove them.`, path || '(root)');
        stack.push({ value: (value as Record<string, unknown>)[key], path: keyPath });
      }
    }
  }
}

/**
 * Parses a JSON request body within the limits. Empty or whitespace-only text → undefined (the route decides
 * whether a body is required). Never throws anything but ApiError.
 */
export function parseJsonBody(bodyText: string | undefined, contentType: string | undefined, limits: BodyLimits = DEFAULT_BODY_LIMITS): unknown {
  const text = bodyText ?? '';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) {
    throw new ApiError(413, 'PayloadTooLarge', `The request body is ${bytes} bytes; the limit is ${limits.maxBytes} bytes (${limits.maxBytes / 1024} KiB).`);
  }
  if (text.trim() === '') return undefined;
  if (contentType !== undefined && contentType.trim() !== '' && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType.trim())) {
    throw new ApiError(415, 'UnsupportedMediaType', `The request body must be JSON (Content-Type: application/json), not '${contentType.slice(0, 80)}'.`, 'content-type');
  }
  scanDepth(text, limits.maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 200);
    throw badRequest('InvalidJson', `The request body is not valid JSON: ${reason}`);
  }
  checkShape(value, limits);
  return value;
}
