/** What the planner decided for one cluster; the rules read it (e.g. to check the chosen pod CIDR). */
import type { Step, Target } from './assessment';

export type PodCidrSource =
  /** given with --pod-cidr / the rollout spec */
  | 'user'
  /** kubenet keeps its pod CIDR (seed 003 § Kubenet Cluster Upgrade) */
  | 'kubenet'
  /** chosen by the pod CIDR planner */
  | 'planned'
  /** already overlay: the cluster's own */
  | 'existing';

export interface PodCidrCollision {
  /** The range the pod CIDR would overlap, e.g. '10.0.0.0/8'. */
  range: string;
  /** What that range is: 'VNet vnet-a address space', 'subnet aks-subnet', 'peered VNet hub', 'service CIDR', 'DNS service IP', 'AKS-reserved range'. */
  what: string;
}

export interface PodCidrChoice {
  /** Undefined when no range could be found (a blocker is reported). */
  cidr?: string;
  source: PodCidrSource;
  /** Nodes the range must hold (/24 each) at the pools' largest reachable size, with headroom. */
  requiredNodes: number;
  /** Non-empty when the cidr overlaps something: each overlap becomes part of a blocker. */
  collisions: PodCidrCollision[];
  /** Why the planner could not choose (no free range large enough, ...). */
  problem?: string;
}

export interface PlanContext {
  target: Target;
  /** The path from the current state to the target, before any blocker is considered. Empty when compliant. */
  steps: Step[];
  /** Set when steps include ipam:overlay. */
  podCidr?: PodCidrChoice;
}
