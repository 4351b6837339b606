/**
 * Validators for what arrives in URLs, query strings and bodies. Each returns the clean value or throws an
 * ApiError 400 naming the field and what a good value looks like. Small and pure: tested alone.
 */
import { ArmIdError, armIdKey, parseArmId } from '../arm/id';
import { TARGETS, type Target } from '../model/assessment';
import { CLUSTER_OUTCOMES, type ClusterOutcome } from '../migration/result';
import { decodeRolloutToken, encodeRolloutToken, type RolloutCursor } from '../rollout/store';
import { ApiError } from './errors';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Shows a bad value in an error message without echoing control characters or kilobytes of it. */
export function quote(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return `'${shown.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?')}'`; // eslint-disable-line no-control-regex
}

function invalid(target: string, message: string, code = 'InvalidParameter'): ApiError {
  return new ApiError(400, code, message, target);
}

function requireString(value: unknown, target: string, code = 'InvalidParameter'): string {
  if (typeof value !== 'string') throw invalid(target, `'${target}' must be a string.`, code);
  if (CONTROL.test(value)) throw invalid(target, `'${target}' contains control characters; remove them.`, code);
  return value;
}

const SUBSCRIPTION = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Resource group names: 1–90 of (Unicode) letters, digits, `-_.()`, not ending in a period (ARM naming rules). */
const RESOURCE_GROUP = /^[-\p{L}\p{N}_.()]{0,89}[-\p{L}\p{N}_()]$/u;
/** AKS cluster names: 1–63 of letters, digits, `-_`, starting and ending with a letter or digit. */
const CLUSTER_NAME = /^[A-Za-z0-9](?:[-_A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

/**
 * A managed cluster id, exactly `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}`.
 * parseArmId already refuses `.`/`..` segments, backslashes, `?`, `#` and whitespace; the naming rules on top
 * refuse `%`-encoded tricks and anything ARM itself would not accept.
 */
export function validateClusterId(value: unknown, target: string): string {
  const s = requireString(value, target, 'InvalidResourceId').trim();
  const example = "'/subscriptions/{subscription id}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}'";
  let id;
  try {
    id = parseArmId(s);
  } catch (err) {
    const reason = err instanceof ArmIdError ? err.message.replace(/^'.*' is not/s, `${quote(s)} is not`) : `${quote(s)} is not a valid ARM resource id`;
    throw invalid(target, `'${target}': ${reason}; expected ${example}.`, 'InvalidResourceId');
  }
  if (id.type?.toLowerCase() !== 'microsoft.containerservice/managedclusters') {
    throw invalid(target, `'${target}': ${quote(s)} is not a managed cluster id; expected ${example}.`, 'InvalidResourceId');
  }
  if (!SUBSCRIPTION.test(id.subscriptionId)) throw invalid(target, `'${target}': subscription ${quote(id.subscriptionId)} is not a GUID.`, 'InvalidResourceId');
  if (!RESOURCE_GROUP.test(id.resourceGroup ?? '')) throw invalid(target, `'${target}': resource group ${quote(id.resourceGroup ?? '')} is not a valid resource group name.`, 'InvalidResourceId');
  if (!CLUSTER_NAME.test(id.name ?? '')) throw invalid(target, `'${target}': ${quote(id.name ?? '')} is not a valid AKS cluster name (1–63 letters, digits, '-' or '_').`, 'InvalidResourceId');
  return id.id;
}

/**
 * Rollout ids are Durable instance ids aksnet made: `{spec name}-{yyyymmddThhmmssZ}-{6 hex}` from the API,
 * `scheduled:{spec name}:{ISO time}` from the timer. Instance ids must not contain `/ \ # ?` or control
 * characters (Azure Storage row keys), and `..` is refused so no id can look like a path step.
 */
const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

export function validateRolloutId(value: unknown, target = 'id'): string {
  const s = requireString(value, target, 'InvalidRolloutId');
  if (!ROLLOUT_ID.test(s) || s.includes('..')) {
    throw invalid(target, `${quote(s)} is not a rollout id: ids are 1–200 letters, digits, '.', '_', ':' or '-' (as returned by POST /api/rollouts).`, 'InvalidRolloutId');
  }
  return s;
}

export function newRolloutId(specName: string, now: Date, randomHex: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${specName}-${stamp}-${randomHex.slice(0, 6).toLowerCase()}`;
}

export function validateTarget(value: unknown, target = 'target'): Target {
  const s = requireString(value, target);
  if (!(TARGETS as readonly string[]).includes(s)) throw invalid(target, `'${target}' must be one of ${TARGETS.join(', ')}, not ${quote(s)}.`);
  return s as Target;
}

export type ClusterStatusFilter = ClusterOutcome | 'pending';
export const CLUSTER_STATUS_FILTERS: readonly ClusterStatusFilter[] = [...CLUSTER_OUTCOMES, 'pending'];

export function validateStatusFilter(value: string | null | undefined, target = 'status'): ClusterStatusFilter | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const s = requireString(value, target);
  if (!(CLUSTER_STATUS_FILTERS as readonly string[]).includes(s)) {
    throw invalid(target, `'${target}' must be one of ${CLUSTER_STATUS_FILTERS.join(', ')}, not ${quote(s)}.`);
  }
  return s as ClusterStatusFilter;
}

/**
 * Continuation tokens are the ResultStore's: base64url of the key of the last cluster returned (shared/rollout/store.ts).
 * Opaque to clients; checked here so an edited token is a 400, never an exception inside the store: canonical
 * base64url, decoding to a managed-cluster id key.
 */
export function validateContinuationToken(value: string | null | undefined, target = 'continuationToken'): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const bad = (): ApiError => invalid(target, `'${target}' is not a token this API returned; start again without it.`, 'InvalidContinuationToken');
  if (value.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(value)) throw bad();
  const decoded = Buffer.from(value, 'base64url');
  if (decoded.toString('base64url') !== value) throw bad();
  const key = decoded.toString('utf8');
  if (CONTROL.test(key) || key !== armIdKey(key)) throw bad();
  try {
    validateClusterId(key, target);
  } catch {
    throw bad();
  }
  return value;
}

export function validatePageSize(value: string | null | undefined, max: number, target = 'limit'): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > max) throw invalid(target, `'${target}' must be a whole number from 1 to ${max}.`);
  return Number(value);
}

/** An ISO 8601 date-time (`since=2026-11-21T00:00:00Z`), returned normalized. */
export function validateSince(value: string | null | undefined, target = 'since'): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(target, `'${target}' must be an ISO 8601 date-time such as 2026-11-21T00:00:00Z, not ${quote(value)}.`);
  }
  return new Date(value).toISOString();
}

/** A store-made token the API does not interpret: base64url, bounded. The store refuses one it did not make. */
export function validateOpaqueToken(value: string | null | undefined, target = 'continuationToken'): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (value.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(value)) throw invalid(target, `'${target}' is not a token this API returned; start again without it.`, 'InvalidContinuationToken');
  return value;
}

/** Durable runtime statuses, the values of `GET /api/rollouts?status=` (durable-local-host.md § Management API shapes). */
export const RUNTIME_STATUSES = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew', 'Completed', 'Failed', 'Canceled', 'Terminated'] as const;
export type RuntimeStatusFilter = (typeof RUNTIME_STATUSES)[number];

/** `status=Running` or `status=Completed,Failed`: runtime statuses, any letter case; returned as the runtime spells them. */
export function validateRuntimeStatusFilter(value: string | null | undefined, target = 'status'): RuntimeStatusFilter[] | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const s = requireString(value, target);
  const out: RuntimeStatusFilter[] = [];
  for (const part of s.split(',').map((p) => p.trim())) {
    const match = RUNTIME_STATUSES.find((r) => r.toLowerCase() === part.toLowerCase());
    if (!match) throw invalid(target, `'${target}' must be one or more of ${RUNTIME_STATUSES.join(', ')} (comma-separated), not ${quote(part)}.`);
    if (!out.includes(match)) out.push(match);
  }
  return out;
}

/** Where a page of `GET /api/rollouts` ended: the last rollout index row read (the list is newest first). */
export interface RolloutListCursor {
  /** ISO 8601 with ms: when the rollout was registered in the index. */
  createdTime: string;
  id: string;
}

/** The token the result store's rollout index makes (ResultStore.listRollouts): one format, one encoder. */
export function encodeRolloutListToken(cursor: RolloutListCursor): string {
  return encodeRolloutToken({ createdAt: cursor.createdTime, rolloutId: cursor.id });
}

/**
 * The continuation token of `GET /api/rollouts`: the rollout index's, base64url of `[createdAt, id]` of the last
 * index row read (shared/rollout/store.ts). Opaque to clients; an edited one is a 400 naming the field, never an
 * exception further in.
 */
export function validateRolloutListToken(value: string | null | undefined, target = 'continuationToken'): RolloutListCursor | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const bad = (): ApiError => invalid(target, `'${target}' is not a token this API returned; start again without it.`, 'InvalidContinuationToken');
  if (value.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(value) || Buffer.from(value, 'base64url').toString('base64url') !== value) throw bad();
  // the store's own decoder (one format, one decoder), then the id as any rollout id
  try {
    const cursor = decodeRolloutToken(value) as RolloutCursor;
    validateRolloutId(cursor.rolloutId);
    return { createdTime: cursor.createdAt, id: cursor.rolloutId };
  } catch {
    throw bad();
  }
}
