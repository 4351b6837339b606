/**
 * Request bodies of the HTTP API as zod schemas (the rollout spec's own schema lives in shared/rollout/spec.ts).
 * Problems become one ApiError 400 listing each by field path, the notation of the rollout spec's problems.
 */
import { z } from 'zod';
import { armIdKey } from '../arm/id';
import { TARGETS, type Target } from '../model/assessment';
import { ApiError } from './errors';
import { validateClusterId } from './validate';

export const DEFAULT_MAX_PREFLIGHT_IDS = 100;

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/** Parses with a schema or throws a 400 whose details name every problem. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({
    code: 'InvalidField',
    target: pathOf(i.path),
    message: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.map((k) => `'${k}'`).join(', ')}` : i.message,
  }));
  const first = details[0];
  throw new ApiError(400, 'InvalidRequestBody', `Invalid ${what}: ${first.target}: ${first.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`, first.target, details);
}

export const ApproveRequestSchema = z.strictObject({
  /** The stage to approve; when given it must be the stage waiting. */
  stage: z.string().min(1).max(63).optional(),
});
export type ApproveRequest = z.infer<typeof ApproveRequestSchema>;

export const ActionRequestSchema = z.strictObject({
  /** Why (kept with the event, shown in the history). */
  reason: z.string().max(500).optional(),
});

export function preflightRequestSchema(maxIds: number) {
  return z.strictObject({
    ids: z
      .array(z.string())
      .min(1, { message: 'name at least one managed cluster id' })
      .max(maxIds, { message: `at most ${maxIds} cluster ids per request; split the list` })
      .superRefine((ids, ctx) => {
        ids.forEach((id, i) => {
          try {
            validateClusterId(id, `ids[${i}]`);
          } catch (err) {
            ctx.addIssue({ code: 'custom', path: [i], message: err instanceof ApiError ? err.message : 'is not a managed cluster id' });
          }
        });
      }),
    target: z.enum(TARGETS as [Target, ...Target[]], { message: `must be one of ${TARGETS.join(', ')}` }),
  });
}

/** Distinct ids, first spelling kept (ARM ids compare case-insensitively). */
export function distinctIds(ids: string[]): string[] {
  const seen = new Map<string, string>();
  for (const id of ids) if (!seen.has(armIdKey(id))) seen.set(armIdKey(id), id.trim().replace(/\/+$/, ''));
  return [...seen.values()];
}
