import fc from 'fast-check';
import { normalizeFleet } from '../../../shared/model/normalize';
import { parseSnapshot } from '../../../shared/model/snapshot';
import { evaluateRules } from '../../../shared/rules';
import { STEPS } from '../../../shared/model/assessment';
import { agentPool, managedCluster, nsg, subnetId, vnet, node, networkPolicy, service, pod } from '../../support/arm';

/** Replaces random fields of ARM JSON with random JSON values, as a hand-edited snapshot might. */
function mutate(value: unknown, junk: unknown[], picks: number[]): unknown {
  let i = 0;
  const walk = (v: unknown, depth: number): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const pick = picks[i++ % picks.length];
        // Keep the envelope parseSnapshot requires (id, name, type, apiVersion, kind, metadata.name).
        const envelope = depth <= 1 && ['id', 'name', 'type', 'apiVersion', 'kind', 'metadata'].includes(k);
        out[k] = !envelope && pick % 5 === 0 ? junk[pick % junk.length] : walk(x, depth + 1);
      }
      return out;
    }
    return v;
  };
  return walk(value, 0);
}

describe('normalize never throws on odd input (gaps instead)', () => {
  it('mutated ARM resources and Kubernetes objects', () => {
    const cluster = managedCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() }), agentPool({ name: 'win', osType: 'Windows', vnetSubnetID: subnetId() })] });
    const kube = [node('n0', { pool: 'nodepool1' }), networkPolicy('a', 'p'), service('a', 's'), pod('a', 'x', { ports: [{ containerPort: 1, hostPort: 1 }] })];
    let parsed = 0;
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(1000), { minLength: 1, maxLength: 50 }), (junk, picks) => {
        const resources = [cluster, vnet(), nsg()].map((r) => mutate(r, junk, picks));
        const items = kube.map((k) => mutate(k, junk, picks));
        let snapshot;
        try {
          snapshot = parseSnapshot({ resources, kubernetes: { [cluster.id]: { items } } });
        } catch {
          return; // rejected up front with a clear message: fine
        }
        parsed++;
        for (const facts of normalizeFleet(snapshot)) {
          const findings = evaluateRules({ facts, plan: { target: 'overlay+cilium', steps: [...STEPS] } });
          // Odd ARM values must not break a rule; odd Kubernetes objects may (caught and reported per rule).
          for (const f of findings) expect(typeof f.message).toBe('string');
        }
      }),
      { numRuns: 150, seed: 42 },
    );
    // Most mutations must get past the schema, or this test would prove nothing.
    expect(parsed).toBeGreaterThan(50);
  });

  it('odd ARM values never break a rule (no "could not be evaluated" findings)', () => {
    const cluster = managedCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() }), agentPool({ name: 'win', osType: 'Windows', vnetSubnetID: subnetId() })] });
    const items = [node('n0', { pool: 'nodepool1' }), networkPolicy('a', 'p'), service('a', 's')];
    let parsed = 0;
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(1000), { minLength: 1, maxLength: 50 }), (junk, picks) => {
        const resources = [cluster, vnet(), nsg()].map((r) => mutate(r, junk, picks));
        let snapshot;
        try {
          snapshot = parseSnapshot({ resources, kubernetes: { [cluster.id]: { items } } });
        } catch {
          return;
        }
        parsed++;
        for (const facts of normalizeFleet(snapshot)) {
          const plan = { target: 'overlay+cilium' as const, steps: [...STEPS], podCidr: { cidr: '192.168.0.0/16', source: 'planned' as const, requiredNodes: 4, collisions: [] } };
          const broken = evaluateRules({ facts, plan }).filter((f) => f.message.startsWith('The rule could not be evaluated'));
          expect(broken).toEqual([]);
        }
      }),
      { numRuns: 150, seed: 7 },
    );
    expect(parsed).toBeGreaterThan(50);
  });
});
