/**
 * The rollout spec: which clusters, to which target, in which stages, within which failure budget and
 * maintenance windows. Written as YAML or JSON; validated with zod so every problem is named by field path
 * (the HTTP API answers 400 with that list). JSON Schema: docs/rollout-spec.schema.json (generated, tested).
 */
import yaml from 'js-yaml';
import { z } from 'zod';
import { isArmId } from '../arm/id';
import { TARGETS, type Target } from '../model/assessment';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
const WEEK_INDEXES = ['First', 'Second', 'Third', 'Fourth', 'Last'] as const;

const armId = z.string().refine(isArmId, { message: "must be an ARM resource id such as '/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}'" });
const subscriptionId = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, { message: "must be a subscription id, a GUID such as '00000000-0000-0000-0000-000000000001'" });
const tags = z.record(z.string().min(1), z.string());

/**
 * The most stages a spec may have. The rollout publishes its status as Durable custom status, which Azure caps at
 * 16 KB (functions/contracts.ts RolloutReport) and which lists every stage with its name (≤ 63 characters), size and
 * counts: about 220 bytes a stage at worst for 10,000 clusters, so 50 stages stay near 11 KB with room for the rest
 * (test/unit/rollout/spec-stages.test.ts measures the worst case).
 */
export const MAX_STAGES = 50;

/** A count (10) or a percentage of the clusters in scope ("5%"). */
const countOrPercent = z.union([
  z.number().int().min(0),
  z.string().regex(/^(100|[1-9]?\d)(\.\d+)?%$/, { message: "must be a count (e.g. 3) or a percentage between 0% and 100% (e.g. '5%')" }),
]);

/** The same shape as AKS's maintenanceWindow (aks-facts § ARM behaviour, maintenance configurations). */
export const MaintenanceWindowSchema = z.strictObject({
  schedule: z
    .strictObject({
      daily: z.strictObject({ intervalDays: z.number().int().min(1).max(7) }).optional(),
      weekly: z.strictObject({ intervalWeeks: z.number().int().min(1).max(4), dayOfWeek: z.enum(DAYS) }).optional(),
      absoluteMonthly: z.strictObject({ intervalMonths: z.number().int().min(1).max(6), dayOfMonth: z.number().int().min(1).max(31) }).optional(),
      relativeMonthly: z
        .strictObject({ intervalMonths: z.number().int().min(1).max(6), weekIndex: z.enum(WEEK_INDEXES), dayOfWeek: z.enum(DAYS) })
        .optional(),
    })
    .refine((s) => [s.daily, s.weekly, s.absoluteMonthly, s.relativeMonthly].filter((x) => x !== undefined).length === 1, {
      message: 'must set exactly one of daily, weekly, absoluteMonthly, relativeMonthly',
    }),
  durationHours: z.number().int().min(1).max(24),
  utcOffset: z
    .string()
    .regex(/^[+-](0\d|1[0-4]):[0-5]\d$/, { message: "must be an offset such as '+00:00' or '-08:00'" })
    .optional(),
  startDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: "must be a date 'YYYY-MM-DD'" }).optional(),
  startTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "must be a time 'HH:mm'" }),
  notAllowedDates: z
    .array(z.strictObject({ start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), end: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }))
    .optional(),
});

const selectorFields = {
  subscriptions: z.array(subscriptionId).optional(),
  resourceGroups: z.array(z.string().min(1)).optional(),
  tags: tags.optional(),
  ids: z.array(armId).optional(),
};

export const StageSchema = z
  .strictObject({
    name: z.string().min(1).max(63),
    /** Clusters matching this selector (among those not taken by an earlier stage). */
    selector: z.strictObject(selectorFields).optional(),
    /** This percentage of all clusters in scope (rounded up). */
    percent: z.number().gt(0).max(100).optional(),
    /** This many clusters. */
    count: z.number().int().min(1).optional(),
    maxConcurrency: z.number().int().min(1).max(1000),
    afterStageWaitMinutes: z.number().int().min(0).max(10080).optional(),
    approval: z.boolean().optional(),
  })
  .refine((s) => [s.selector, s.percent, s.count].filter((x) => x !== undefined).length <= 1, {
    message: 'set at most one of selector, percent, count (none: the clusters left over)',
  });

export const RolloutSpecSchema = z
  .strictObject({
    name: z.string().min(1).max(80).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'must be letters, digits, ., _ or - (it becomes part of instance ids)' }),
    target: z.enum(TARGETS as [Target, ...Target[]]),
    selector: z.strictObject({
      subscriptions: z.array(subscriptionId).min(1, { message: 'list at least one subscription' }),
      resourceGroups: z.array(z.string().min(1)).optional(),
      tags: tags.optional(),
      ids: z.array(armId).optional(),
      excludes: z.array(armId).optional(),
    }),
    podCidr: z
      .strictObject({
        policy: z.enum(['plan', 'fixed']),
        cidr: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, { message: "must be an IPv4 CIDR such as '192.168.0.0/16'" }).optional(),
      })
      .refine((p) => (p.policy === 'fixed') === (p.cidr !== undefined), { message: "policy 'fixed' needs cidr, policy 'plan' must not set it" })
      .optional(),
    stages: z
      .array(StageSchema)
      .min(1, { message: 'define at least one stage' })
      .max(MAX_STAGES, { message: `at most ${MAX_STAGES} stages: the rollout's status lists every stage and must stay under 16 KB; merge stages (percent, count) or split the fleet into several rollouts` }),
    failureBudget: z
      .strictObject({
        perStage: countOrPercent.optional(),
        total: countOrPercent.optional(),
      })
      .optional(),
    maintenanceWindow: z
      .strictObject({
        /**
         * true (the default): a cluster's own AKS maintenance configuration governs it, and `windows` apply to
         * clusters without one; false: only `windows`. Issue 5: "the cluster's own maintenance configuration or a
         * window in the spec". Defaulting to true is the safe side: an operation never starts outside a window the
         * cluster's owners configured in AKS (aks-facts § ARM behaviour, maintenance configurations).
         */
        useClusterConfiguration: z.boolean().default(true),
        windows: z.array(MaintenanceWindowSchema).optional(),
        /** How long one ARM operation (one step) is expected to take; it must fit in the window. Default 60. */
        expectedOperationMinutes: z.number().int().min(1).max(1440).optional(),
      })
      .optional(),
    dryRun: z.boolean().optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.stages.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'name'], message: `duplicate stage name '${s.name}'` });
      seen.add(s.name);
    });
  });

export type RolloutSpec = z.infer<typeof RolloutSpecSchema>;
export type StageSpec = RolloutSpec['stages'][number];
export type SpecMaintenanceWindow = z.infer<typeof MaintenanceWindowSchema>;
export type CountOrPercent = number | string;

export class RolloutSpecError extends Error {
  constructor(
    message: string,
    /** Every problem, `path: message`. */
    public readonly problems: string[],
  ) {
    super(message);
    this.name = 'RolloutSpecError';
  }
}

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

function issueMessages(issues: z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors) && issue.errors.length > 0) {
      // Report the union's most specific branch message rather than zod's generic "Invalid input".
      const branch = issue.errors.map((e) => e).find((e) => e.length > 0 && e[0].code !== 'invalid_type') ?? issue.errors[0];
      out.push(...branch.map((b) => `${pathOf([...issue.path, ...b.path])}: ${b.message}`));
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      out.push(`${pathOf(issue.path)}: unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`);
      continue;
    }
    out.push(`${pathOf(issue.path)}: ${issue.message}`);
  }
  return out;
}

/** Validates a parsed spec; throws RolloutSpecError listing every problem by field path. */
export function validateRolloutSpec(data: unknown): RolloutSpec {
  const result = RolloutSpecSchema.safeParse(data);
  if (!result.success) {
    const problems = issueMessages(result.error.issues);
    // zod skips the whole-spec refinement once a field failed; duplicate stage names are still worth reporting.
    const stages = (data as { stages?: unknown } | null)?.stages;
    if (Array.isArray(stages) && !problems.some((p) => p.includes('duplicate stage name'))) {
      const seen = new Set<string>();
      stages.forEach((s: unknown, i) => {
        const name = (s as { name?: unknown } | null)?.name;
        if (typeof name !== 'string') return;
        if (seen.has(name)) problems.push(`stages[${i}].name: duplicate stage name '${name}'`);
        seen.add(name);
      });
    }
    throw new RolloutSpecError(`invalid rollout spec: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, problems);
  }
  return result.data;
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseRolloutSpec(text: string, source = 'rollout spec'): RolloutSpec {
  let data: unknown;
  try {
    data = yaml.load(text, { schema: yaml.JSON_SCHEMA, filename: source });
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new RolloutSpecError(`${source} is not valid YAML or JSON: ${reason}`, [`(root): ${reason}`]);
  }
  return validateRolloutSpec(data);
}

/** Resolves a count or percentage against the number of clusters in scope (percentages round down, never below 0). */
export function resolveCountOrPercent(value: CountOrPercent | undefined, of: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  return Math.floor((Number(value.slice(0, -1)) / 100) * of);
}

/** JSON Schema (draft 2020-12) of the rollout spec, committed as docs/rollout-spec.schema.json. */
export function rolloutSpecJsonSchema(): unknown {
  return z.toJSONSchema(RolloutSpecSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
}
