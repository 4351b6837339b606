/**
 * The snapshot file: what ARM and each cluster's Kubernetes API said, frozen in one JSON document.
 * The same format seeds the simulator and is written by `aksnet fleet snapshot`.
 * Schema published in docs/snapshot.md and docs/snapshot.schema.json (generated from this file).
 */
import { z } from 'zod';
import { armIdKey } from '../arm/id';
import type { ArmResource } from './arm';
import type { KubeObject } from './kube';

const armId = z
  .string()
  .regex(/^\/subscriptions\/[^/]+(\/.*)?$/i, { message: "must be an ARM resource id starting with '/subscriptions/'" });

export const ArmResourceSchema = z.looseObject({
  id: armId,
  name: z.string().min(1),
  type: z.string().regex(/^[A-Za-z0-9.]+\/[A-Za-z0-9/]+$/, { message: "must be an ARM type such as 'Microsoft.ContainerService/managedClusters'" }),
  location: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  etag: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

const agentPool = z.looseObject({ name: z.string().min(1) });
const managedClusterProps = z.looseObject({
  agentPoolProfiles: z.array(agentPool).optional(),
  networkProfile: z.record(z.string(), z.unknown()).optional(),
});

export const KubeObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
});

export const SnapshotObjectSchema = z.strictObject({
  resources: z.array(ArmResourceSchema).optional(),
  kubernetes: z.record(armId, z.looseObject({ items: z.array(KubeObjectSchema) })).optional(),
});

/** A bare array of ARM resources is accepted too. */
export const SnapshotSchema = z.union([SnapshotObjectSchema, z.array(ArmResourceSchema)]);

export interface Snapshot {
  resources: ArmResource[];
  /** Keyed by the managed cluster's ARM id as written in the file. Use {@link kubeItemsFor} to look up. */
  kubernetes: Record<string, { items: KubeObject[] }>;
}

export class SnapshotError extends Error {
  constructor(message: string, public readonly problems: string[] = []) {
    super(message);
    this.name = 'SnapshotError';
  }
}

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/** Validates parsed JSON as a snapshot; throws SnapshotError listing each problem by path. */
export function parseSnapshot(data: unknown): Snapshot {
  const result = SnapshotSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`);
    throw new SnapshotError(`not a snapshot: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`, problems);
  }
  const value = result.data;
  const snapshot: Snapshot = Array.isArray(value)
    ? { resources: value as ArmResource[], kubernetes: {} }
    : { resources: (value.resources ?? []) as ArmResource[], kubernetes: (value.kubernetes ?? {}) as Snapshot['kubernetes'] };
  const problems: string[] = [];
  snapshot.resources.forEach((r, i) => {
    if (r.type.toLowerCase() === 'microsoft.containerservice/managedclusters') {
      const p = managedClusterProps.safeParse(r.properties ?? {});
      if (!p.success) problems.push(...p.error.issues.map((x) => `resources[${i}].properties.${pathOf(x.path)}: ${x.message}`));
    }
  });
  if (problems.length) throw new SnapshotError(`not a snapshot: ${problems[0]}`, problems);
  return snapshot;
}

/** Kubernetes items recorded for a cluster, looked up case-insensitively by ARM id; undefined when none were recorded. */
export function kubeItemsFor(snapshot: Snapshot, clusterId: string): KubeObject[] | undefined {
  const key = armIdKey(clusterId);
  for (const [id, v] of Object.entries(snapshot.kubernetes)) if (armIdKey(id) === key) return v.items;
  return undefined;
}

/** JSON Schema of the snapshot format (draft 2020-12), generated from the zod schema. */
export function snapshotJsonSchema(): unknown {
  return z.toJSONSchema(SnapshotSchema, { target: 'draft-2020-12' });
}
