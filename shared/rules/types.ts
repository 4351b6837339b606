/** The shape of a preflight rule. Each rule lives in a module per concern and cites its source document. */
import type { ClusterFacts } from '../model/facts';
import type { RuleSource, Severity, Step } from '../model/assessment';
import type { PlanContext } from '../model/plan';

export interface RuleContext {
  facts: ClusterFacts;
  plan: PlanContext;
}

/** One thing a rule found on a cluster. Severity defaults to the rule's. */
export interface RuleHit {
  message: string;
  remediation?: string;
  severity?: Severity;
}

export interface Rule {
  /** Stable id, e.g. 'overlay.kubernetes-version'. Never renamed: users suppress and search by it. */
  id: string;
  severity: Severity;
  title: string;
  /** The rule is evaluated when the plan contains any of these steps. */
  appliesTo: readonly Step[];
  source: RuleSource;
  /** Default remediation text (a hit may override it). */
  remediation: string;
  evaluate(ctx: RuleContext): RuleHit[];
}
