/**
 * The preflight rule catalog: every rule of every module, and the evaluator that runs the rules a
 * plan needs and turns their hits into findings (blockers first).
 */
import type { Finding, Severity } from '../model/assessment';
import { KUBERNETES_GAP } from '../model/normalize';
import { type CatalogRule, ALL_STEPS, SEEDS, count, listOf } from './catalog-rule';
import { capacityRules } from './capacity';
import { ciliumRules } from './cilium';
import { clusterRules } from './cluster';
import { napRules } from './nap';
import { networkRules } from './network';
import { overlayRules } from './overlay';
import type { Rule, RuleContext } from './types';

export type { CatalogRule } from './catalog-rule';

function applies(rule: Rule, ctx: RuleContext): boolean {
  return rule.appliesTo.some((s) => ctx.plan.steps.includes(s));
}

const domainRules: CatalogRule[] = [...clusterRules, ...overlayRules, ...ciliumRules, ...capacityRules, ...napRules, ...networkRules];

export const factsKubernetesMissing: CatalogRule = {
  id: 'facts.kubernetes-missing',
  severity: 'info',
  title: 'Kubernetes objects were not collected',
  appliesTo: ALL_STEPS,
  source: { doc: 'docs/snapshot.md', section: 'Kubernetes objects', note: 'aksnet itself, not a seed: rules that read Kubernetes objects cannot run without them.' },
  remediation: "Collect the cluster's Kubernetes objects (aksnet fleet snapshot with cluster access, or add them under kubernetes.<cluster id>.items) and assess again.",
  evaluate(ctx) {
    if (ctx.facts.kubernetes) return [];
    const skipped = domainRules.filter((r) => r.needsKubernetes && applies(r, ctx)).map((r) => r.id);
    if (skipped.length === 0) return [];
    return [{ message: `No Kubernetes objects for this cluster: ${count(skipped.length, 'rule')} could not run (${listOf(skipped, 20)}).` }];
  },
};

export const factsGaps: CatalogRule = {
  id: 'facts.gaps',
  severity: 'info',
  title: 'Facts that could not be gathered',
  appliesTo: ALL_STEPS,
  source: { doc: 'docs/snapshot.md', section: 'References and gaps', note: 'aksnet itself, not a seed: referenced resources missing from the snapshot limit what the rules can check.' },
  remediation: 'Add the missing resources to the snapshot (or grant read access to them) and assess again.',
  evaluate({ facts }) {
    return facts.gaps.filter((g) => g !== KUBERNETES_GAP).map((g) => ({ message: g }));
  },
};

/** Every rule, in evaluation order. Ids are stable: users suppress and search by them. */
export const catalog: CatalogRule[] = [...domainRules, factsKubernetesMissing, factsGaps];

const RANK: Record<Severity, number> = { blocker: 0, warning: 1, info: 2 };

/**
 * Runs the rules whose appliesTo intersects the plan's steps (a compliant cluster, with no steps, gets
 * none) and returns their findings sorted blocker, warning, info (catalog order within a severity).
 * A rule that throws on odd input becomes a warning naming the rule, never a failed assessment.
 */
export function evaluateRules(ctx: RuleContext, rules: readonly Rule[] = catalog): Finding[] {
  const findings: Array<Finding & { order: number }> = [];
  let order = 0;
  for (const rule of rules) {
    if (!applies(rule, ctx)) continue;
    const source = `${rule.source.doc} § ${rule.source.section}`;
    try {
      for (const hit of rule.evaluate(ctx)) {
        findings.push({ rule: rule.id, severity: hit.severity ?? rule.severity, message: hit.message, remediation: hit.remediation ?? rule.remediation, source, order: order++ });
      }
    } catch (e) {
      findings.push({
        rule: rule.id,
        severity: 'warning',
        message: `The rule could not be evaluated on this cluster: ${(e as Error).message}`,
        remediation: 'Check the cluster by hand against the rule source, and report the input that broke the rule.',
        source,
        order: order++,
      });
    }
  }
  return findings.sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.order - b.order).map(({ order: _o, ...f }) => f);
}

export { SEEDS };
