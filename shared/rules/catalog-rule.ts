/**
 * What every module of the catalog shares: the source documents by name, the catalog's rule shape
 * (a Rule that may declare it reads Kubernetes objects) and wording helpers for messages.
 */
import type { KubeFacts } from '../model/facts';
import type { Step } from '../model/assessment';
import type { PlanContext } from '../model/plan';
import type { Rule, RuleContext, RuleHit } from './types';

/** The source documents (../shared/seeds, README.md there). Newest wins; 000 is authoritative for update rules. */
export const SEEDS = {
  /** 2025, newest: Update Azure CNI IPAM mode and data plane (authoritative for update rules). */
  update: '000_c747be24177f73a8.txt',
  /** 2024-02: Configure Azure CNI Powered by Cilium (older revision). */
  cilium2024: '001_28698353061daa4e.txt',
  /** 2025: Configure Azure CNI Powered by Cilium (newer revision). */
  cilium2025: '002_2c67ea4faf8313ca.txt',
  /** 2023–24: Configure Azure CNI Overlay. */
  overlay: '003_fe34ccaeba990a60.txt',
  /** 2025-04-29 blog: Node Subnet IPAM mode with the Cilium data plane. */
  nodeSubnetBlog: '004_0219dc0f7ec5c05a.txt',
  /** AKS facts beyond the seeds (release notes, field errors, NAP docs). */
  facts: 'aks-facts.md',
} as const;

/** A catalog rule. `needsKubernetes` rules are skipped (and listed in one info finding) when no Kubernetes objects were collected. */
export interface CatalogRule extends Rule {
  needsKubernetes?: boolean;
}

/** A rule that reads Kubernetes objects: evaluate receives them, never undefined. */
export function kubeRule(rule: Omit<CatalogRule, 'evaluate' | 'needsKubernetes'> & { evaluate(ctx: RuleContext, kube: KubeFacts): RuleHit[] }): CatalogRule {
  const { evaluate, ...rest } = rule;
  return {
    ...rest,
    needsKubernetes: true,
    evaluate: (ctx) => (ctx.facts.kubernetes ? evaluate(ctx, ctx.facts.kubernetes) : []),
  };
}

export const ALL_STEPS: readonly Step[] = ['nap:disable', 'ipam:overlay', 'dataplane:cilium', 'nap:enable'];

export function hasStep(plan: PlanContext, step: Step): boolean {
  return plan.steps.includes(step);
}

/** True when the plan runs `first` before `second` (both present). */
export function runsBefore(plan: PlanContext, first: Step, second: Step): boolean {
  const a = plan.steps.indexOf(first);
  const b = plan.steps.indexOf(second);
  return a >= 0 && b >= 0 && a < b;
}

/** 'a', 'a and b', 'a, b and c', 'a, b, c, d, e and 3 more'. */
export function listOf(items: readonly string[], max = 5): string {
  if (items.length === 0) return '';
  if (items.length === 1) return items[0];
  if (items.length > max) return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** '1 pool', '3 pools'. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** 'namespace/name' (or 'name' for cluster-scoped objects). */
export function objectName(o: { metadata: { name: string; namespace?: string } }): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}
