/**
 * Assigns the clusters a rollout will migrate to its stages: each cluster in exactly one stage, the same
 * answer for the same input. Stages are filled in order; a stage takes from the clusters no earlier stage
 * took. `selector` takes every match, `percent` a share of all clusters to migrate (rounded up), `count` that
 * many, and a stage with none of them takes the rest. Picks for percent/count follow a hash of the cluster id
 * salted with the rollout name, so canaries spread over subscriptions and resource groups instead of taking the
 * alphabetically first, and the same spec always picks the same clusters.
 */
import { createHash } from 'node:crypto';
import { armIdKey } from '../arm/id';
import type { StageSpec } from './spec';

export interface StageCandidate {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  tags: Record<string, string>;
}

export interface StageAssignment<C extends StageCandidate = StageCandidate> {
  stage: string;
  stageIndex: number;
  clusters: C[];
}

export interface StagePlan<C extends StageCandidate = StageCandidate> {
  stages: Array<StageAssignment<C>>;
  /** Clusters no stage took (every stage had a selector/percent/count and none matched). */
  unassigned: C[];
}

type Selector = NonNullable<StageSpec['selector']>;

export function matchesSelector(c: StageCandidate, selector: Selector): boolean {
  const lower = (xs: string[] | undefined): string[] | undefined => xs?.map((x) => x.toLowerCase());
  const subs = lower(selector.subscriptions);
  if (subs && !subs.includes(c.subscriptionId.toLowerCase())) return false;
  const rgs = lower(selector.resourceGroups);
  if (rgs && !rgs.includes(c.resourceGroup.toLowerCase())) return false;
  if (selector.ids && !selector.ids.some((id) => armIdKey(id) === armIdKey(c.id))) return false;
  // Tag names are case-insensitive in ARM; values are compared exactly.
  for (const [k, v] of Object.entries(selector.tags ?? {})) {
    const key = Object.keys(c.tags).find((t) => t.toLowerCase() === k.toLowerCase());
    if (key === undefined || c.tags[key] !== v) return false;
  }
  return true;
}

function pickKey(salt: string, id: string): string {
  return createHash('sha256').update(`${salt}\n${armIdKey(id)}`).digest('hex');
}

export function assignStages<C extends StageCandidate>(clusters: C[], stages: StageSpec[], salt: string): StagePlan<C> {
  // One entry per cluster id, in a stable order (ids compare case-insensitively).
  const unique = new Map<string, C>();
  for (const c of clusters) if (!unique.has(armIdKey(c.id))) unique.set(armIdKey(c.id), c);
  let remaining = [...unique.values()].sort((a, b) => pickKey(salt, a.id).localeCompare(pickKey(salt, b.id)));
  const total = remaining.length;
  const out: Array<StageAssignment<C>> = stages.map((stage, stageIndex) => {
    let taken: C[];
    if (stage.selector) taken = remaining.filter((c) => matchesSelector(c, stage.selector as Selector));
    else if (stage.percent !== undefined) taken = remaining.slice(0, Math.ceil((stage.percent / 100) * total));
    else if (stage.count !== undefined) taken = remaining.slice(0, stage.count);
    else taken = remaining;
    const takenKeys = new Set(taken.map((c) => armIdKey(c.id)));
    remaining = remaining.filter((c) => !takenKeys.has(armIdKey(c.id)));
    return { stage: stage.name, stageIndex, clusters: [...taken].sort((a, b) => armIdKey(a.id).localeCompare(armIdKey(b.id))) };
  });
  return { stages: out, unassigned: remaining.sort((a, b) => armIdKey(a.id).localeCompare(armIdKey(b.id))) };
}
