/**
 * The remediation policy, from one app setting (AKSNET_REMEDIATION_POLICY) holding JSON or YAML:
 *
 *   { mode: report | migrate, target, scope: { subscriptions?, resourceGroups?, tags? },
 *     ownIdentities: { objectIds, appIds }, debounceSeconds }
 *
 * `report` records what it would do and changes nothing; `migrate` starts a clusterMigration. Scope lists are
 * ANDed (a cluster must match every list given); an empty scope means every cluster the Event Grid subscription
 * delivers. Validated with zod: a bad setting fails with one line naming the field and the fix.
 */
import yaml from 'js-yaml';
import { z } from 'zod';
import { TARGETS, type Target } from '../model/assessment';

export const POLICY_SETTING = 'AKSNET_REMEDIATION_POLICY';

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, { message: 'must be a GUID' });

export const RemediationPolicySchema = z.strictObject({
  mode: z.enum(['report', 'migrate'], { message: "must be 'report' or 'migrate'" }),
  target: z.enum(TARGETS as [Target, ...Target[]], { message: `must be one of ${TARGETS.join(', ')}` }),
  scope: z
    .strictObject({
      subscriptions: z.array(guid).optional(),
      resourceGroups: z.array(z.string().min(1).max(90)).optional(),
      /** Tag name → value; names compare case-insensitively (as ARM), values exactly. */
      tags: z.record(z.string().min(1).max(512), z.string().max(256)).optional(),
    })
    .default({}),
  ownIdentities: z
    .strictObject({
      /** Principal (object) ids of aksnet's managed identity: the `oid` claim of its writes. */
      objectIds: z.array(guid).default([]),
      /** Client (application) ids of aksnet's identity: the `appid` claim. */
      appIds: z.array(guid).default([]),
    })
    .refine((o) => o.objectIds.length + o.appIds.length > 0, {
      message: "list aksnet's own managed identity (objectIds and/or appIds) so its own writes never trigger a remediation",
    }),
  /** Writes to one cluster within this many seconds start at most one migration. */
  debounceSeconds: z.number().int().min(1).max(86_400).default(900),
});

export type RemediationPolicy = z.infer<typeof RemediationPolicySchema>;

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

/** Validates a parsed policy; one line naming every problem. */
export function validatePolicy(value: unknown, source = POLICY_SETTING): RemediationPolicy {
  const r = RemediationPolicySchema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : '(root)';
    return i.code === 'unrecognized_keys' ? `${path}: unknown field(s) ${i.keys.join(', ')}` : `${path}: ${i.message}`;
  });
  throw new PolicyError(`${source} is not a valid remediation policy: ${problems.join('; ')} (see docs/remediation.md § Policy).`);
}

/** Parses the app setting text (JSON or YAML). */
export function parsePolicy(text: string | undefined, source = POLICY_SETTING): RemediationPolicy {
  if (text === undefined || text.trim() === '') throw new PolicyError(`${source} is not set; set it to a remediation policy in JSON or YAML (see docs/remediation.md § Policy).`);
  let value: unknown;
  try {
    // JSON_SCHEMA: plain data only, no YAML tags that build objects.
    value = yaml.load(text, { schema: yaml.JSON_SCHEMA, filename: source });
  } catch (err) {
    throw new PolicyError(`${source} is not valid JSON or YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
  return validatePolicy(value, source);
}

/**
 * The policy from app settings. AKSNET_REMEDIATION_POLICY (the whole policy, JSON or YAML) wins; otherwise it
 * is assembled from the single settings infra/main.bicep writes: AKSNET_REMEDIATION_MODE, _TARGET,
 * _SUBSCRIPTIONS (comma-separated), _RESOURCE_GROUPS (comma-separated), _TAGS (comma-separated key=value),
 * _DEBOUNCE_SECONDS, and aksnet's own identity from AKSNET_IDENTITY_PRINCIPAL_ID / AKSNET_IDENTITY_CLIENT_ID.
 */
export function policyFromSettings(env: Record<string, string | undefined>): RemediationPolicy {
  const whole = env[POLICY_SETTING];
  if (whole !== undefined && whole.trim() !== '') return parsePolicy(whole);
  const list = (name: string): string[] | undefined => {
    const v = env[name]?.trim();
    return v ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
  };
  const tags: Record<string, string> = {};
  for (const pair of list('AKSNET_REMEDIATION_TAGS') ?? []) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new PolicyError(`AKSNET_REMEDIATION_TAGS entry '${pair.slice(0, 80)}' is not key=value; write e.g. 'aksnet=enabled,env=prod'.`);
    tags[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  const subscriptions = list('AKSNET_REMEDIATION_SUBSCRIPTIONS');
  const resourceGroups = list('AKSNET_REMEDIATION_RESOURCE_GROUPS');
  const debounce = env.AKSNET_REMEDIATION_DEBOUNCE_SECONDS?.trim();
  const value = {
    mode: env.AKSNET_REMEDIATION_MODE?.trim() || 'report',
    target: env.AKSNET_REMEDIATION_TARGET?.trim() || 'overlay+cilium',
    scope: { ...(subscriptions ? { subscriptions } : {}), ...(resourceGroups ? { resourceGroups } : {}), ...(Object.keys(tags).length ? { tags } : {}) },
    ownIdentities: { objectIds: list('AKSNET_IDENTITY_PRINCIPAL_ID') ?? [], appIds: list('AKSNET_IDENTITY_CLIENT_ID') ?? [] },
    ...(debounce ? { debounceSeconds: /^\d+$/.test(debounce) ? Number(debounce) : debounce } : {}),
  };
  return validatePolicy(value, 'the AKSNET_REMEDIATION_* and AKSNET_IDENTITY_* app settings');
}
