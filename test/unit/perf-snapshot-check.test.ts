/**
 * parseSnapshot checks a snapshot without zod when it can (a 10,000-cluster snapshot holds hundreds of
 * thousands of objects). These properties hold the hand-written checks to the published zod schema:
 * they accept exactly what the schema accepts, and a rejected snapshot is still explained by zod.
 */
import fc from 'fast-check';
import {
  ArmResourceSchema,
  isValidArmResource,
  isValidKubeEntry,
  isValidKubeObject,
  KubeObjectSchema,
  parseSnapshot,
  SnapshotError,
  SnapshotSchema,
} from '../../shared/model/snapshot';

const CLUSTER_ID = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1';

/** Any JSON value of the wrong kind for a field, or a right one. */
const odd = fc.oneof(fc.constant(''), fc.constant(null), fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}), fc.string({ maxLength: 4 }));
/** A field that is absent (undefined → dropped by the JSON round trip), valid, or odd. */
const field = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof(fc.constant(undefined), valid, valid, odd);

const armId = fc.oneof(
  fc.constant(CLUSTER_ID),
  fc.constant('/SUBSCRIPTIONS/s2'),
  fc.constant('/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v'),
  fc.constant('/subscriptions//x'),
  fc.constant('subscriptions/s1'),
);
const armType = fc.oneof(
  fc.constant('Microsoft.ContainerService/managedClusters'),
  fc.constant('microsoft.containerservice/MANAGEDCLUSTERS'),
  fc.constant('Microsoft.Network/virtualNetworks'),
  fc.constant('Microsoft.Network'),
  fc.constant('Microsoft.Network/virtual Networks'),
);
const pool = fc.oneof(fc.record({ name: field(fc.constant('p1')), count: field(fc.integer()) }), odd);
const properties = fc.oneof(
  fc.record({ agentPoolProfiles: field(fc.array(pool, { maxLength: 3 })), networkProfile: field(fc.record({ networkPlugin: fc.constant('azure') })) }),
  odd,
);
const tags = fc.oneof(fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string({ maxLength: 3 }), odd), { maxKeys: 3 }), odd);
const resource = fc.record({
  id: field(armId),
  name: field(fc.constant('n')),
  type: field(armType),
  location: field(fc.constant('westeurope')),
  tags: field(tags),
  etag: field(fc.constant('"e"')),
  properties: field(properties),
  extra: field(fc.constant(1)),
});
const kubeObject = fc.oneof(
  fc.record({
    apiVersion: field(fc.constant('v1')),
    kind: field(fc.constant('Pod')),
    metadata: field(fc.record({ name: field(fc.constant('p')), namespace: field(fc.constant('default')), labels: field(fc.constant({ a: 'b' })) })),
  }),
  odd,
);
const kubeEntry = fc.oneof(fc.record({ items: field(fc.array(kubeObject, { maxLength: 3 })) }), odd);
const snapshot = fc.oneof(
  fc.record({
    resources: field(fc.array(resource, { maxLength: 3 })),
    kubernetes: field(fc.dictionary(armId, kubeEntry, { maxKeys: 2 })),
    extra: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.constant(1)),
  }),
  fc.array(resource, { maxLength: 3 }),
  odd,
);

/** As the value would arrive from a file: undefined fields gone. */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

describe('the fast snapshot checks accept exactly what the zod schema accepts', () => {
  it('ARM resources (non-cluster types)', () => {
    fc.assert(
      fc.property(resource, (raw) => {
        const r = asJson(raw) as Record<string, unknown>;
        if (typeof r.type === 'string' && r.type.toLowerCase() === 'microsoft.containerservice/managedclusters') return;
        expect(isValidArmResource(r)).toBe(ArmResourceSchema.safeParse(r).success);
      }),
      { numRuns: 800 },
    );
  });

  it('Kubernetes objects and kubernetes entries', () => {
    fc.assert(
      fc.property(kubeObject, kubeEntry, (rawObject, rawEntry) => {
        const o = asJson(rawObject);
        expect(isValidKubeObject(o)).toBe(KubeObjectSchema.safeParse(o).success);
        const e = asJson(rawEntry);
        expect(isValidKubeEntry(CLUSTER_ID, e)).toBe(SnapshotSchema.safeParse({ kubernetes: { [CLUSTER_ID]: e } }).success);
      }),
      { numRuns: 800 },
    );
  });

  it('whole snapshots: parseSnapshot accepts what the schema accepts, returns the same content, and explains a rejection with zod paths', () => {
    fc.assert(
      fc.property(snapshot, (raw) => {
        const data = asJson(raw);
        const schema = SnapshotSchema.safeParse(data);
        let parsed: ReturnType<typeof parseSnapshot> | SnapshotError;
        try {
          parsed = parseSnapshot(data);
        } catch (e) {
          if (!(e instanceof SnapshotError)) throw e;
          parsed = e;
        }
        if (!schema.success) {
          expect(parsed).toBeInstanceOf(SnapshotError);
          expect((parsed as SnapshotError).problems.length).toBe(schema.error.issues.length);
          return;
        }
        if (parsed instanceof SnapshotError) {
          // Only a managed cluster's properties can fail after the schema passed.
          expect(parsed.problems.every((p) => /^resources\[\d+\]\.properties\./.test(p))).toBe(true);
          return;
        }
        const value = schema.data;
        expect(parsed.resources).toEqual(Array.isArray(value) ? value : (value.resources ?? []));
        expect(parsed.kubernetes).toEqual(Array.isArray(value) ? {} : (value.kubernetes ?? {}));
      }),
      { numRuns: 1500 },
    );
  });

  it('a managed cluster whose pools lack names is rejected, naming the field', () => {
    const cluster = { id: CLUSTER_ID, name: 'c1', type: 'Microsoft.ContainerService/managedClusters', properties: { agentPoolProfiles: [{ count: 1 }] } };
    expect(() => parseSnapshot({ resources: [cluster] })).toThrow(/resources\[0\]\.properties\.agentPoolProfiles\[0\]\.name/);
    expect(isValidArmResource(cluster)).toBe(false);
    expect(isValidArmResource({ ...cluster, properties: { agentPoolProfiles: [{ name: 'p1' }], networkProfile: {} } })).toBe(true);
    expect(isValidArmResource({ ...cluster, properties: { networkProfile: [] } })).toBe(false);
  });
});
