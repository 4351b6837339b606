/** Formatters and --query, alone, on assessment-shaped data. */
import yaml from 'js-yaml';
import { InvalidArgumentValueError } from '../../cli/errors';
import { autoTableRows, compileQuery, formatJson, formatJsonColor, formatOutput, formatTsv, formatYaml, renderTable, validateOutputFormat } from '../../cli/output';
import { clusterPlanTable, fleetAssessTable } from '../../cli/transformers';
import type { Assessment } from '../../shared/model/assessment';

// The escape sequences jsonc/yamlc add (built from a string: a control character in a regex literal trips the linter).
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');

const finding = { rule: 'cilium.windows-pools', severity: 'blocker' as const, message: '1 Windows pool: win22.', remediation: 'Remove it.', source: '000_c747be24177f73a8.txt § Update considerations' };
const current = { ipam: 'overlay' as const, dataplane: 'azure' as const, networkPolicy: 'none' as const, nap: 'Manual' as const };
const data: Assessment[] = [
  { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a', name: 'a', resourceGroup: 'rg', subscriptionId: 's', verdict: 'ready', steps: ['ipam:overlay'], podCidr: '10.244.0.0/16', findings: [], current },
  { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/bb', name: 'bb', resourceGroup: 'rg', subscriptionId: 's', verdict: 'blocked', steps: [], findings: [finding, { ...finding, severity: 'warning' }], current },
  { id: '/subscriptions/s/resourceGroups/rg2/providers/Microsoft.ContainerService/managedClusters/c', name: 'c', resourceGroup: 'rg2', subscriptionId: 's', verdict: 'compliant', steps: [], findings: [], current },
];

describe('json / jsonc / yaml', () => {
  it('json: 2-space indent, trailing newline', () => {
    expect(formatJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}\n');
    expect(formatJson(null)).toBe('null\n');
  });
  it('jsonc: keys, strings, numbers and literals colored; stripping the colors gives the JSON back', () => {
    const text = formatJsonColor({ key: 'va"l', n: -1.5e3, t: true, z: null });
    expect(text).toContain('\x1b[94m"key"\x1b[0m:');
    expect(text).toContain('\x1b[32m"va\\"l"\x1b[0m');
    expect(text).toContain('\x1b[36m-1500\x1b[0m');
    expect(text).toContain('\x1b[35mtrue\x1b[0m');
    expect(text.replace(ANSI_COLOR, '')).toBe(formatJson({ key: 'va"l', n: -1500, t: true, z: null }));
  });
  it('jsonc is plain without a terminal', () => {
    expect(formatOutput(data, 'jsonc', { color: false })).toBe(formatJson(data));
  });
  it('yaml round-trips', () => {
    expect(yaml.load(formatYaml(data))).toEqual(data);
    expect(formatYaml({ a: 'x' })).toBe('a: x\n');
  });
});

describe('tsv (as az)', () => {
  it('one line per item; scalar fields in order; lists and objects left out', () => {
    expect(formatTsv(data)).toBe(
      [
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a\ta\trg\ts\tready\t10.244.0.0/16',
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/bb\tbb\trg\ts\tblocked',
        '/subscriptions/s/resourceGroups/rg2/providers/Microsoft.ContainerService/managedClusters/c\tc\trg2\ts\tcompliant',
        '',
      ].join('\n'),
    );
  });
  it('a single object is one line; scalars and lists of scalars print as is; null is empty', () => {
    expect(formatTsv({ a: 1, b: null, c: true })).toBe('1\t\ttrue\n');
    expect(formatTsv(['x', 'y'])).toBe('x\ny\n');
    expect(formatTsv([['x', 1], ['y', 2]])).toBe('x\t1\ny\t2\n');
    expect(formatTsv(42)).toBe('42\n');
    expect(formatTsv([])).toBe('');
  });
});

describe('table', () => {
  it('renderTable aligns columns under a dashed rule and trims trailing spaces', () => {
    expect(renderTable([{ Name: 'a', Verdict: 'ready' }, { Name: 'longer', Verdict: '' }])).toBe('Name    Verdict\n------  -------\na       ready\nlonger\n');
    expect(renderTable([])).toBe('');
  });
  it('without a transformer: scalar fields, first letter capitalized (as az)', () => {
    expect(autoTableRows({ name: 'a', steps: ['x'], count: 2 })).toEqual([{ Name: 'a', Count: 2 }]);
    expect(autoTableRows([1, 2])).toEqual([{ Result: 1 }, { Result: 2 }]);
  });
  it('fleet assess transformer: summary row per cluster and counts per verdict', () => {
    const { rows, footer } = fleetAssessTable(data);
    expect(rows).toEqual([
      { Name: 'a', ResourceGroup: 'rg', Verdict: 'ready', Steps: 'ipam:overlay', Blockers: 0, PodCidr: '10.244.0.0/16' },
      { Name: 'bb', ResourceGroup: 'rg', Verdict: 'blocked', Steps: '', Blockers: 1, PodCidr: '' },
      { Name: 'c', ResourceGroup: 'rg2', Verdict: 'compliant', Steps: '', Blockers: 0, PodCidr: '' },
    ]);
    expect(footer).toEqual(['ready: 1  blocked: 1  compliant: 1  (3 clusters)']);
    expect(fleetAssessTable([]).footer).toEqual(['ready: 0  blocked: 0  compliant: 0  (0 clusters)']);
  });
  it('the transformer is used for -o table and skipped after a query', () => {
    const withT = formatOutput(data, 'table', { tableTransformer: fleetAssessTable });
    expect(withT.endsWith('\nready: 1  blocked: 1  compliant: 1  (3 clusters)\n')).toBe(true);
    const queried = formatOutput([{ name: 'a' }], 'table', { tableTransformer: fleetAssessTable, queried: true });
    expect(queried).toBe('Name\n----\na\n');
  });
  it('plan transformer numbers the commands and lists blockers after', () => {
    const { rows, footer } = clusterPlanTable({ id: 'x', name: 'a', resourceGroup: 'rg', target: 'overlay', verdict: 'blocked', steps: [], commands: [], blockers: [finding] });
    expect(rows).toEqual([]);
    expect(footer).toEqual(['a (rg): blocked', `BLOCKER cilium.windows-pools: 1 Windows pool: win22. Fix: Remove it. (${finding.source})`]);
  });
  it('none prints nothing; an undefined result prints nothing', () => {
    expect(formatOutput(data, 'none')).toBe('');
    expect(formatOutput(undefined, 'json')).toBe('');
  });
});

describe('--query', () => {
  it('applies JMESPath to the result', () => {
    expect(compileQuery("[?verdict=='blocked'].name")(data)).toEqual(['bb']);
    expect(compileQuery('length([].findings[])')(data)).toBe(2);
    expect(compileQuery('[0].{n: name, pod: podCidr}')(data)).toEqual({ n: 'a', pod: '10.244.0.0/16' });
  });
  it.each(["[?verdict=='blocked'", 'foo(@)', '[].name | sort_by(@, &x', '&&'])('rejects %j at compile time as a usage error', (q) => {
    expect(() => compileQuery(q)).toThrow(InvalidArgumentValueError);
  });
  it('a type error at run time is a usage error naming --query', () => {
    expect(() => compileQuery('sum([].name)')(data)).toThrow(/'--query' failed on the result/);
  });
  it('validateOutputFormat', () => {
    expect(validateOutputFormat('TABLE')).toBe('table');
    expect(() => validateOutputFormat('xml')).toThrow("'xml' is not a valid value for '--output'");
  });
});
