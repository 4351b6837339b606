/** Targets, steps, findings and assessments: the vocabulary of the planner, the rules and every output. */
import type { IpamMode, Dataplane, PolicyEngine, NapMode } from './facts';

/** The desired end state. */
export type Target = 'overlay' | 'cilium' | 'overlay+cilium';
export const TARGETS: readonly Target[] = ['overlay', 'cilium', 'overlay+cilium'];

/** Each step is one ARM operation. */
export type Step = 'nap:disable' | 'ipam:overlay' | 'dataplane:cilium' | 'nap:enable';
export const STEPS: readonly Step[] = ['nap:disable', 'ipam:overlay', 'dataplane:cilium', 'nap:enable'];

export type Severity = 'blocker' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['blocker', 'warning', 'info'];

/** Where a rule comes from: a seed document (file name) and its section heading. */
export interface RuleSource {
  doc: string;
  section: string;
  /** Set when documents disagree and this rule follows the newest; says what the older one said. */
  note?: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  /** What was found on this cluster. */
  message: string;
  /** What to do about it. */
  remediation: string;
  /** `file § section` of the seed document. */
  source: string;
}

export type Verdict = 'ready' | 'blocked' | 'compliant';

export interface CurrentState {
  ipam: IpamMode;
  dataplane: Dataplane;
  networkPolicy: PolicyEngine;
  nap: NapMode;
}

/** The `fleet assess -o json` contract: one per managed cluster. */
export interface Assessment {
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  verdict: Verdict;
  /** Empty unless verdict is `ready`. */
  steps: Step[];
  /** Present when the steps include ipam:overlay (or a blocked cluster would need one). */
  podCidr?: string;
  findings: Finding[];
  current: CurrentState;
}
