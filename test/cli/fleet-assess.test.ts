/**
 * `aksnet fleet assess` through the built binary on a hand-written ARM snapshot
 * (test/fixtures/cli/fleet.json). Expected verdicts, steps and pod CIDRs come from the documents:
 * seed 000 (migration paths, Overlay and Cilium preconditions, NAP workaround), seed 003 (kubenet keeps
 * its pod CIDR; the pod CIDR may not overlap the VNet or the service CIDR).
 */
import ipaddr from 'ipaddr.js';
import yaml from 'js-yaml';
import type { Assessment } from '../../shared/model/assessment';
import { aksnet, clusterId, ensureBuilt, FLEET, json, SUB } from './support';

beforeAll(() => ensureBuilt(), 180_000);

function byName(list: Assessment[]): Record<string, Assessment> {
  return Object.fromEntries(list.map((a) => [a.name, a]));
}

function overlapsRange(cidr: string, range: string): boolean {
  const [a, al] = ipaddr.IPv4.parseCIDR(cidr);
  const [b, bl] = ipaddr.IPv4.parseCIDR(range);
  return a.match(b, bl) || b.match(a, al);
}

describe('fleet assess -o json, target overlay+cilium', () => {
  let out: Record<string, Assessment>;
  let list: Assessment[];
  beforeAll(() => {
    const run = aksnet(['fleet', 'assess', '--snapshot', FLEET, '--target', 'overlay+cilium', '-o', 'json']);
    expect(run.code).toBe(0);
    list = json<Assessment[]>(run);
    out = byName(list);
  });

  it('returns one assessment per managed cluster, with the documented fields', () => {
    expect(list.map((a) => a.name).sort()).toEqual(['aks-calico', 'aks-cilium', 'aks-dynamic', 'aks-kubenet', 'aks-nap', 'aks-nodesubnet', 'aks-windows']);
    for (const a of list) {
      expect(a.subscriptionId).toBe(SUB);
      expect(a.id.toLowerCase()).toBe(clusterId(a.resourceGroup, a.name).toLowerCase());
      expect(['ready', 'blocked', 'compliant']).toContain(a.verdict);
      for (const f of a.findings) {
        expect(['blocker', 'warning', 'info']).toContain(f.severity);
        for (const k of ['rule', 'message', 'remediation', 'source'] as const) expect(typeof f[k] === 'string' && f[k].length > 0).toBe(true);
      }
      expect(Object.keys(a.current).sort()).toEqual(['dataplane', 'ipam', 'nap', 'networkPolicy']);
      if (a.verdict !== 'ready') expect(a.steps).toEqual([]);
    }
  });

  it('node subnet cluster: ready, Overlay then Cilium, with a planned pod CIDR clear of its VNet and service CIDR', () => {
    const a = out['aks-nodesubnet'];
    expect(a.verdict).toBe('ready');
    expect(a.steps).toEqual(['ipam:overlay', 'dataplane:cilium']);
    expect(a.current).toEqual({ ipam: 'nodeSubnet', dataplane: 'azure', networkPolicy: 'none', nap: 'Manual' });
    expect(a.podCidr).toBeDefined();
    const pod = a.podCidr as string;
    expect(ipaddr.IPv4.isValidCIDRFourPartDecimal(pod)).toBe(true);
    // seed 003 § Upgrade an existing cluster: no overlap with the VNet address (10.224.0.0/12) nor the service CIDR (10.0.0.0/16).
    expect(overlapsRange(pod, '10.224.0.0/12')).toBe(false);
    expect(overlapsRange(pod, '10.0.0.0/16')).toBe(false);
    expect(a.findings.filter((f) => f.severity === 'blocker')).toEqual([]);
  });

  it('kubenet cluster: ready, Overlay first (kubenet cannot go to Cilium directly), keeps its pod CIDR', () => {
    const a = out['aks-kubenet'];
    expect(a.verdict).toBe('ready');
    expect(a.steps).toEqual(['ipam:overlay', 'dataplane:cilium']);
    expect(a.podCidr).toBe('10.244.0.0/16');
    expect(a.current).toEqual({ ipam: 'kubenet', dataplane: 'azure', networkPolicy: 'none', nap: 'Manual' });
  });

  it('NAP cluster already on Overlay: NAP disabled around the Cilium step', () => {
    const a = out['aks-nap'];
    expect(a.verdict).toBe('ready');
    expect(a.steps).toEqual(['nap:disable', 'dataplane:cilium', 'nap:enable']);
    expect(a.current.nap).toBe('Auto');
  });

  it('Calico cluster on node subnet: ready, Cilium first (it replaces Calico, which Overlay refuses), then Overlay', () => {
    // seed 000 § Update considerations: the two updates run in either order, and Cilium uninstalls and
    // replaces Azure NPM or Calico; § Update the IPAM mode: Overlay needs no network policy engine.
    const a = out['aks-calico'];
    expect(a.verdict).toBe('ready');
    expect(a.steps).toEqual(['dataplane:cilium', 'ipam:overlay']);
    expect(a.findings.filter((f) => f.severity === 'blocker')).toEqual([]);
    expect(a.findings.some((f) => f.severity === 'warning' && /calico/i.test(f.message) && f.source.startsWith('000_c747be24177f73a8.txt'))).toBe(true);
  });

  it('dynamic IP cluster: blocked for Overlay', () => {
    const a = out['aks-dynamic'];
    expect(a.verdict).toBe('blocked');
    expect(a.current.ipam).toBe('dynamicIp');
    expect(a.findings.some((f) => f.severity === 'blocker' && /dynamic/i.test(`${f.rule} ${f.message}`))).toBe(true);
  });

  it('Windows cluster: blocked for Cilium, naming the Windows pool', () => {
    const a = out['aks-windows'];
    expect(a.verdict).toBe('blocked');
    expect(a.findings.some((f) => f.severity === 'blocker' && /win22/.test(f.message))).toBe(true);
  });

  it('Overlay + Cilium cluster: compliant, nothing to do', () => {
    const a = out['aks-cilium'];
    expect(a.verdict).toBe('compliant');
    expect(a.steps).toEqual([]);
    expect(a.current).toEqual({ ipam: 'overlay', dataplane: 'cilium', networkPolicy: 'cilium', nap: 'Manual' });
    expect(a.findings.filter((f) => f.severity === 'blocker')).toEqual([]);
  });
});

describe('fleet assess: the target decides', () => {
  it('overlay: Windows and NAP clusters already on Overlay are compliant; Calico and dynamic IP are blocked', () => {
    const out = byName(json<Assessment[]>(aksnet(['fleet', 'assess', '-s', FLEET, '-t', 'overlay'])));
    expect(out['aks-windows'].verdict).toBe('compliant');
    expect(out['aks-nap'].verdict).toBe('compliant');
    expect(out['aks-calico'].verdict).toBe('blocked');
    expect(out['aks-dynamic'].verdict).toBe('blocked');
    expect(out['aks-nodesubnet'].steps).toEqual(['ipam:overlay']);
    expect(out['aks-kubenet'].steps).toEqual(['ipam:overlay']);
  });

  it('cilium: any Azure CNI IPAM mode is ready for the data plane swap, kubenet still goes through Overlay', () => {
    const out = byName(json<Assessment[]>(aksnet(['fleet', 'assess', '-s', FLEET, '-t', 'cilium'])));
    for (const name of ['aks-calico', 'aks-dynamic', 'aks-nodesubnet']) {
      expect([name, out[name].verdict, out[name].steps]).toEqual([name, 'ready', ['dataplane:cilium']]);
    }
    expect(out['aks-kubenet'].steps).toEqual(['ipam:overlay', 'dataplane:cilium']);
    expect(out['aks-windows'].verdict).toBe('blocked');
    expect(out['aks-cilium'].verdict).toBe('compliant');
  });

  it('target is case-insensitive, as az enums are', () => {
    const run = aksnet(['fleet', 'assess', '-s', FLEET, '-t', 'Overlay+Cilium', '--query', 'length(@)']);
    expect(run.code).toBe(0);
    expect(json(run)).toBe(7);
  });

  it('--pod-cidr is used for the node subnet cluster; kubenet keeps its own', () => {
    const out = byName(json<Assessment[]>(aksnet(['fleet', 'assess', '-s', FLEET, '-t', 'overlay', '--pod-cidr', '192.168.0.0/16'])));
    expect(out['aks-nodesubnet'].podCidr).toBe('192.168.0.0/16');
    expect(out['aks-nodesubnet'].verdict).toBe('ready');
    expect(out['aks-kubenet'].podCidr).toBe('10.244.0.0/16');
  });

  it('a --pod-cidr that overlaps the VNet blocks the node subnet cluster (seed 003)', () => {
    const out = byName(json<Assessment[]>(aksnet(['fleet', 'assess', '-s', FLEET, '-t', 'overlay', '--pod-cidr', '10.224.0.0/16'])));
    expect(out['aks-nodesubnet'].verdict).toBe('blocked');
    expect(out['aks-nodesubnet'].findings.some((f) => f.severity === 'blocker' && f.message.includes('10.224.0.0'))).toBe(true);
  });

  it('a snapshot without clusters gives an empty list and a warning on stderr', () => {
    const run = aksnet(['fleet', 'assess', '-s', 'test/fixtures/cli/empty.json', '-t', 'overlay']);
    expect(run.code).toBe(0);
    expect(json(run)).toEqual([]);
    expect(run.errLines).toEqual(["WARNING: snapshot 'test/fixtures/cli/empty.json' has no managed clusters (type Microsoft.ContainerService/managedClusters)"]);
  });
});

describe('fleet assess output formats', () => {
  const base = ['fleet', 'assess', '--snapshot', FLEET, '--target', 'overlay+cilium'];
  let reference: Assessment[];
  beforeAll(() => {
    reference = json<Assessment[]>(aksnet([...base]));
  });

  it('json is the default, 2-space indented, and nothing but the result is on stdout', () => {
    const run = aksnet(base);
    expect(run.stdout.startsWith('[\n  {\n    "id": ')).toBe(true);
    expect(run.stderr).toBe('');
  });

  it('jsonc is plain JSON when stdout is not a terminal', () => {
    const run = aksnet([...base, '-o', 'jsonc']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\x1b[');
    expect(JSON.parse(run.stdout)).toEqual(reference);
  });

  it('yaml carries the same data', () => {
    const run = aksnet([...base, '-o', 'yaml']);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('- id: /subscriptions/')).toBe(true);
    expect(yaml.load(run.stdout)).toEqual(reference);
  });

  it('tsv: one line per cluster, its scalar fields tab-separated (id, name, resource group, subscription, verdict ...)', () => {
    const run = aksnet([...base, '-o', 'tsv']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    const rows = lines.map((l) => l.split('\t'));
    const kubenet = rows.find((r) => r[1] === 'aks-kubenet') as string[];
    expect(kubenet.slice(0, 5)).toEqual([clusterId('rg-legacy', 'aks-kubenet'), 'aks-kubenet', 'rg-legacy', SUB, 'ready']);
    expect(kubenet).toContain('10.244.0.0/16');
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[[{]/);
  });

  it('table: a row per cluster, then counts per verdict', () => {
    const run = aksnet([...base, '-o', 'table']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['Name', 'ResourceGroup', 'Verdict', 'Steps', 'Blockers', 'PodCidr']);
    expect(lines[1]).toMatch(/^-+(\s+-+){5}$/);
    const row = (name: string): string => lines.find((l) => l.startsWith(`${name} `)) as string;
    expect(row('aks-kubenet').split(/\s{2,}/)).toEqual(['aks-kubenet', 'rg-legacy', 'ready', 'ipam:overlay, dataplane:cilium', '0', '10.244.0.0/16']);
    expect(row('aks-cilium').split(/\s{2,}/)).toEqual(['aks-cilium', 'rg-platform', 'compliant', '0']);
    expect(row('aks-windows').split(/\s{2,}/).slice(0, 3)).toEqual(['aks-windows', 'rg-win', 'blocked']);
    expect(Number(row('aks-windows').split(/\s{2,}/)[3])).toBeGreaterThanOrEqual(1);
    expect(lines[lines.length - 1]).toBe('ready: 4  blocked: 2  compliant: 1  (7 clusters)');
  });

  it('none prints nothing and succeeds', () => {
    const run = aksnet([...base, '-o', 'none']);
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});

describe('fleet assess --query', () => {
  const base = ['fleet', 'assess', '-s', FLEET, '-t', 'overlay+cilium'];

  it('filters before formatting: ids of blocked clusters as tsv', () => {
    const run = aksnet([...base, '--query', "[?verdict=='blocked'].id", '-o', 'tsv']);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').sort()).toEqual(
      [clusterId('rg-apps', 'aks-dynamic'), clusterId('rg-win', 'aks-windows')].sort(),
    );
  });

  it('projects to a new shape in json', () => {
    const run = aksnet([...base, '--query', "[?name=='aks-kubenet'].{name: name, pod: podCidr, steps: join(' then ', steps)} | [0]"]);
    expect(json(run)).toEqual({ name: 'aks-kubenet', pod: '10.244.0.0/16', steps: 'ipam:overlay then dataplane:cilium' });
  });

  it('with -o table the table transformer is skipped (as az): columns come from the query', () => {
    const run = aksnet([...base, '--query', "[?verdict=='compliant'].{name: name, verdict: verdict}", '-o', 'table']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Name        Verdict\n----------  ---------\naks-cilium  compliant\n');
  });

  it('a scalar result prints as is in tsv', () => {
    const run = aksnet([...base, '--query', "length([?verdict=='ready'])", '-o', 'tsv']);
    expect(run.stdout).toBe('4\n');
  });
});

describe('fleet assess logging goes to stderr only', () => {
  it('--verbose adds an INFO line; --debug adds DEBUG lines; stdout stays the result', () => {
    const verbose = aksnet(['fleet', 'assess', '-s', FLEET, '-t', 'overlay', '--verbose', '--query', 'length(@)']);
    expect(verbose.stdout).toBe('7\n');
    expect(verbose.errLines.some((l) => /^INFO: assessed 7 clusters for target overlay in \d+ ms$/.test(l))).toBe(true);
    const debug = aksnet(['fleet', 'assess', '-s', FLEET, '-t', 'overlay', '--debug', '--query', 'length(@)']);
    expect(debug.stdout).toBe('7\n');
    expect(debug.errLines.some((l) => l.startsWith('DEBUG: '))).toBe(true);
    const quiet = aksnet(['fleet', 'assess', '-s', FLEET, '-t', 'overlay', '--query', 'length(@)']);
    expect(quiet.stderr).toBe('');
  });

  it('--only-show-errors silences warnings', () => {
    const run = aksnet(['fleet', 'assess', '-s', 'test/fixtures/cli/empty.json', '-t', 'overlay', '--only-show-errors']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(json(run)).toEqual([]);
  });
});
