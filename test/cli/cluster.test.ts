/**
 * `aksnet cluster preflight` and `aksnet cluster plan` through the built binary. The az commands are
 * checked flag by flag against the documents: seed 000 (`--network-plugin azure --network-plugin-mode
 * overlay --pod-cidr …` from node subnet; `--network-dataplane cilium`; NAP disabled before and
 * re-enabled after), seed 003 § Kubenet Cluster Upgrade (no --pod-cidr: kubenet keeps its own).
 */
import type { Assessment } from '../../shared/model/assessment';
import { aksnet, azFlags, clusterId, ensureBuilt, FLEET, json, SUB } from './support';

beforeAll(() => ensureBuilt(), 180_000);

interface PlanOut {
  id: string;
  name: string;
  resourceGroup: string;
  target: string;
  verdict: string;
  steps: string[];
  podCidr?: string;
  commands: string[];
  blockers: Array<{ rule: string; message: string; remediation: string; source: string }>;
}

describe('cluster preflight', () => {
  it('selects by -g/-n and returns that single assessment, equal to its row in fleet assess', () => {
    const one = json<Assessment>(aksnet(['cluster', 'preflight', '--snapshot', FLEET, '-g', 'rg-legacy', '-n', 'aks-kubenet', '--target', 'overlay+cilium']));
    const fleet = json<Assessment[]>(aksnet(['fleet', 'assess', '--snapshot', FLEET, '--target', 'overlay+cilium']));
    expect(one.name).toBe('aks-kubenet');
    expect(one.verdict).toBe('ready');
    expect(one.podCidr).toBe('10.244.0.0/16');
    expect(one).toEqual(fleet.find((a) => a.name === 'aks-kubenet'));
  });

  it('selects by --ids, case-insensitively as ARM compares ids, trailing slash ignored', () => {
    const id = `/subscriptions/${SUB}/resourceGroups/RG-WIN/providers/Microsoft.ContainerService/managedClusters/aks-windows`;
    const run = aksnet(['cluster', 'preflight', '-s', FLEET, '--ids', `${id}/`, '-t', 'cilium']);
    expect(run.code).toBe(0);
    const a = json<Assessment>(run);
    expect(a.id).toBe(clusterId('rg-win', 'aks-windows'));
    expect(a.verdict).toBe('blocked');
  });

  it('resource group and name match case-insensitively', () => {
    const run = aksnet(['cluster', 'preflight', '-s', FLEET, '-g', 'RG-Apps', '-n', 'AKS-Calico', '-t', 'cilium', '--query', '[name, verdict]', '-o', 'tsv']);
    expect(run.stdout).toBe('aks-calico\nready\n');
  });

  it('-o table: the cluster row, then each finding (blockers first) with its fix and source', () => {
    const run = aksnet(['cluster', 'preflight', '-s', FLEET, '-g', 'rg-win', '-n', 'aks-windows', '-t', 'cilium', '-o', 'table']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['Name', 'ResourceGroup', 'Verdict', 'Steps', 'PodCidr']);
    expect(lines[2].split(/\s{2,}/)).toEqual(['aks-windows', 'rg-win', 'blocked']);
    const findings = lines.slice(4);
    expect(findings[0]).toMatch(/^BLOCKER \S+: .*win22.* Fix: .+ \(000_c747be24177f73a8\.txt § .+\)$/);
  });

  it('an unknown cluster is "not found": exit 3, one line naming cluster, group and file', () => {
    const run = aksnet(['cluster', 'preflight', '-s', FLEET, '-g', 'rg-apps', '-n', 'aks-missing', '-t', 'overlay']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.errLines).toHaveLength(1);
    expect(run.errLines[0]).toBe(
      `ERROR: cluster 'aks-missing' in resource group 'rg-apps' is not in snapshot ${FLEET}. Check the names, or list the clusters with 'aksnet fleet assess --snapshot ${FLEET} --target overlay -o table'.`,
    );
  });

  it('an unknown --ids is "not found" too (exit 3)', () => {
    const run = aksnet(['cluster', 'preflight', '-s', FLEET, '--ids', clusterId('rg-apps', 'aks-gone'), '-t', 'overlay']);
    expect(run.code).toBe(3);
    expect(run.errLines).toHaveLength(1);
    expect(run.errLines[0]).toBe(
      `ERROR: cluster '${clusterId('rg-apps', 'aks-gone')}' is not in snapshot ${FLEET}. Check the id, or list the ids with 'aksnet fleet assess --snapshot ${FLEET} --target overlay --query "[].id" -o tsv'.`,
    );
  });

  it('the same name in two subscriptions asks for --ids (exit 2)', () => {
    const run = aksnet(['cluster', 'preflight', '-s', 'test/fixtures/cli/dup-names.json', '-g', 'rg-shared', '-n', 'aks-edge', '-t', 'cilium']);
    expect(run.code).toBe(2);
    expect(run.errLines).toHaveLength(1);
    expect(run.errLines[0]).toContain("is in 2 subscriptions of snapshot test/fixtures/cli/dup-names.json. Select one with '--ids'");
    const byId = aksnet([
      'cluster', 'preflight', '-s', 'test/fixtures/cli/dup-names.json', '-t', 'cilium', '--query', 'verdict', '-o', 'tsv',
      '--ids', '/subscriptions/8d7e6f5a-4b3c-4d2e-9f1a-0b1c2d3e4f02/resourceGroups/rg-shared/providers/Microsoft.ContainerService/managedClusters/aks-edge',
    ]);
    expect(byId.stdout).toBe('ready\n');
  });

  it('-g/-n and --ids are mutually exclusive; -n needs -g', () => {
    const both = aksnet(['cluster', 'preflight', '-s', FLEET, '-t', 'overlay', '-g', 'rg-apps', '--ids', clusterId('rg-apps', 'aks-calico')]);
    expect(both.code).toBe(2);
    expect(both.errLines).toEqual(["ERROR: '--ids' cannot be used with '--resource-group' or '--name'. Use either '--ids ID' or '-g RESOURCE_GROUP -n NAME'."]);
    const onlyName = aksnet(['cluster', 'preflight', '-s', FLEET, '-t', 'overlay', '-n', 'aks-calico']);
    expect(onlyName.code).toBe(2);
    expect(onlyName.errLines).toEqual(["ERROR: '--resource-group' is required with '--name'. Add '-g RESOURCE_GROUP' (or use '--ids ID')."]);
    const none = aksnet(['cluster', 'plan', '-s', FLEET, '-t', 'overlay']);
    expect(none.code).toBe(2);
    expect(none.errLines).toEqual(["ERROR: the cluster is not given. Use '-g RESOURCE_GROUP -n NAME' or '--ids ID'."]);
  });
});

describe('cluster plan', () => {
  it('kubenet → Overlay + Cilium: two az aks update commands, Overlay without --pod-cidr first', () => {
    const run = aksnet(['cluster', 'plan', '-s', FLEET, '-g', 'rg-legacy', '-n', 'aks-kubenet', '-t', 'overlay+cilium']);
    expect(run.code).toBe(0);
    const plan = json<PlanOut>(run);
    expect(plan).toMatchObject({ name: 'aks-kubenet', resourceGroup: 'rg-legacy', target: 'overlay+cilium', verdict: 'ready', steps: ['ipam:overlay', 'dataplane:cilium'], podCidr: '10.244.0.0/16', blockers: [] });
    expect(plan.commands).toHaveLength(2);
    const [overlay, cilium] = plan.commands.map(azFlags);
    expect(overlay.verb).toBe('az aks update');
    expect(overlay.flags).toMatchObject({ '--name': 'aks-kubenet', '--resource-group': 'rg-legacy', '--network-plugin': 'azure', '--network-plugin-mode': 'overlay' });
    expect(overlay.flags['--pod-cidr']).toBeUndefined();
    expect(cilium.verb).toBe('az aks update');
    expect(cilium.flags).toMatchObject({ '--name': 'aks-kubenet', '--resource-group': 'rg-legacy', '--network-dataplane': 'cilium' });
    expect(cilium.flags['--network-plugin-mode']).toBeUndefined();
  });

  it('node subnet → Overlay with --pod-cidr: the command carries that pod CIDR', () => {
    const plan = json<PlanOut>(aksnet(['cluster', 'plan', '-s', FLEET, '-g', 'rg-apps', '-n', 'aks-nodesubnet', '-t', 'overlay', '--pod-cidr', '192.168.0.0/16']));
    expect(plan.podCidr).toBe('192.168.0.0/16');
    expect(plan.commands).toHaveLength(1);
    expect(azFlags(plan.commands[0]).flags).toMatchObject({ '--network-plugin': 'azure', '--network-plugin-mode': 'overlay', '--pod-cidr': '192.168.0.0/16' });
  });

  it('NAP cluster → Cilium: NAP to Manual, then Cilium, then NAP back to Auto', () => {
    const plan = json<PlanOut>(aksnet(['cluster', 'plan', '-s', FLEET, '-g', 'rg-platform', '-n', 'aks-nap', '-t', 'cilium']));
    expect(plan.steps).toEqual(['nap:disable', 'dataplane:cilium', 'nap:enable']);
    const flags = plan.commands.map((c) => azFlags(c).flags);
    expect(flags).toHaveLength(3);
    expect(flags[0]['--node-provisioning-mode']).toBe('Manual');
    expect(flags[1]['--network-dataplane']).toBe('cilium');
    expect(flags[2]['--node-provisioning-mode']).toBe('Auto');
  });

  it('--query commands -o tsv prints just the commands, one per line', () => {
    const run = aksnet(['cluster', 'plan', '-s', FLEET, '-g', 'rg-legacy', '-n', 'aks-kubenet', '-t', 'overlay', '--query', 'commands', '-o', 'tsv']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith('az aks update --name aks-kubenet --resource-group rg-legacy')).toBe(true);
  });

  it('a blocked cluster has no commands, lists its blockers, and warns on stderr', () => {
    const run = aksnet(['cluster', 'plan', '-s', FLEET, '-g', 'rg-apps', '-n', 'aks-calico', '-t', 'overlay']);
    expect(run.code).toBe(0);
    const plan = json<PlanOut>(run);
    expect(plan.verdict).toBe('blocked');
    expect(plan.commands).toEqual([]);
    expect(plan.blockers.some((b) => /calico/i.test(b.message))).toBe(true);
    expect(run.errLines).toEqual(["WARNING: cluster 'aks-calico' is blocked: nothing to run until its blockers are resolved"]);
  });

  it('a compliant cluster has nothing to run', () => {
    const plan = json<PlanOut>(aksnet(['cluster', 'plan', '-s', FLEET, '-g', 'rg-platform', '-n', 'aks-cilium', '-t', 'overlay+cilium']));
    expect(plan).toMatchObject({ verdict: 'compliant', steps: [], commands: [], blockers: [] });
  });

  it('-o table: one numbered row per command, then the verdict line', () => {
    const run = aksnet(['cluster', 'plan', '-s', FLEET, '-g', 'rg-legacy', '-n', 'aks-kubenet', '-t', 'overlay+cilium', '-o', 'table']);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Order\s+Command$/);
    expect(lines[2]).toMatch(/^1\s+az aks update --name aks-kubenet .*--network-plugin-mode overlay/);
    expect(lines[3]).toMatch(/^2\s+az aks update --name aks-kubenet .*--network-dataplane cilium/);
    expect(lines[lines.length - 1]).toBe('aks-kubenet (rg-legacy): ready, pod CIDR 10.244.0.0/16');
  });
});
