import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot, snapshotJsonSchema } from '../../../shared/model/snapshot';
import { normalizeFleet } from '../../../shared/model/normalize';
import { evaluateRules } from '../../../shared/rules';

const SCHEMA = join(__dirname, '../../../docs/snapshot.schema.json');
const DOC = join(__dirname, '../../../docs/snapshot.md');
const render = (): string => `${JSON.stringify(snapshotJsonSchema(), null, 2)}\n`;

describe('published snapshot format', () => {
  if (process.env.UPDATE_DOCS === '1') writeFileSync(SCHEMA, render());

  it('docs/snapshot.schema.json equals the schema generated from shared/model/snapshot.ts (regenerate: UPDATE_DOCS=1 npx jest test/unit/model/snapshot-schema.test.ts)', () => {
    expect(readFileSync(SCHEMA, 'utf8')).toBe(render());
  });

  it('the example in docs/snapshot.md is a valid snapshot and normalizes to the cluster it describes', () => {
    const md = readFileSync(DOC, 'utf8');
    const m = /```json\n([\s\S]*?)\n```/.exec(md);
    expect(m).not.toBeNull();
    const [facts] = normalizeFleet(parseSnapshot(JSON.parse(m?.[1] ?? 'null')));
    expect(facts).toMatchObject({ name: 'aks-prod-1', ipam: 'nodeSubnet', networkPolicy: 'azure', napMode: 'Manual', gaps: [] });
    expect(facts.vnets.map((v) => v.name)).toEqual(['vnet-prod']);
    expect(facts.nsgs.map((n) => n.name)).toEqual(['nsg-aks']);
    expect(facts.maintenanceConfigurations).toHaveLength(1);
    expect(facts.kubernetes?.configMaps.map((c) => c.metadata.name)).toEqual(['azure-ip-masq-agent-config-reconciled']);
    // The findings the document promises for overlay+cilium (Overlay first).
    const findings = evaluateRules({
      facts,
      plan: { target: 'overlay+cilium', steps: ['ipam:overlay', 'dataplane:cilium'], podCidr: { cidr: '192.168.0.0/16', source: 'planned', requiredNodes: 10, collisions: [] } },
    });
    const by = (id: string) => findings.find((f) => f.rule === id);
    expect(by('overlay.network-policy-engine')?.severity).toBe('blocker');
    expect(by('cilium.policy-engine-replaced')?.message).toContain('1 NetworkPolicy will be enforced by Cilium');
    expect(by('cilium.ipblock-cluster-ips')?.message).toContain('shop/allow-all-egress');
  });
});
