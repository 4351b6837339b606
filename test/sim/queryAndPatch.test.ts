/**
 * The two small languages the simulator reads on its own: Resource Graph queries (the documented subset,
 * with one clear error for the rest) and Kubernetes patches (JSON merge patch, JSON patch).
 */
import { matches, parseQuery, QueryError } from '../../sim/arm/resourceGraphQuery';
import { jsonPatch, mergePatch, PatchError } from '../../sim/kube/patch';

const row = {
  id: '/subscriptions/s/resourceGroups/RG-A/providers/Microsoft.ContainerService/managedClusters/aks-1',
  name: 'aks-1',
  type: 'microsoft.containerservice/managedclusters',
  resourceGroup: 'rg-a',
  tags: { Env: 'Prod' },
  properties: { networkProfile: { networkPlugin: 'kubenet' } },
};

describe('Resource Graph query subset', () => {
  test.each([
    ["Resources | where type =~ 'Microsoft.ContainerService/managedClusters'", true],
    ['Resources | where type == "Microsoft.ContainerService/managedClusters"', false],
    ["resources | where resourceGroup in~ ('RG-A', 'rg-b')", true],
    ["Resources | where resourceGroup !in~ ('rg-a')", false],
    ["Resources | where tags['env'] =~ 'prod'", true],
    ["Resources | where tags.Env == 'Prod' and name != 'aks-2'", true],
    ["Resources | where properties.networkProfile.networkPlugin =~ 'azure'", false],
    ["Resources | where name !~ 'AKS-1'", false],
  ])('%s → %s', (query, expected) => {
    const q = parseQuery(query);
    expect(q.where.every((c) => matches(row, c))).toBe(expected);
  });

  test('project, order and limit are parsed', () => {
    expect(parseQuery("Resources | where type =~ 'x' | project id, rg = resourceGroup, properties.networkProfile | order by name asc | take 5")).toEqual({
      table: 'resources',
      where: [{ field: ['type'], op: '=~', values: ['x'] }],
      project: [
        { name: 'id', field: ['id'] },
        { name: 'rg', field: ['resourceGroup'] },
        { name: 'properties_networkProfile', field: ['properties', 'networkProfile'] },
      ],
      order: { field: ['name'], desc: false },
      limit: 5,
    });
  });

  test.each([
    ["Resources | where type =~ 'a' or type =~ 'b'", "'or' is not supported"],
    ['Resources | summarize count()', "unsupported query operator 'summarize'"],
    ['ResourceContainers', "unsupported table 'ResourceContainers'"],
    ["Resources | where name =~ 'unterminated", 'unterminated string literal'],
    ['Resources | where name =~ aks', "'aks' is not a string literal: quote it, e.g. 'aks'"],
    ["Resources | where name contains 'a'", 'unsupported condition'],
  ])('%s is refused: %s', (query, message) => {
    expect(() => parseQuery(query)).toThrow(QueryError);
    expect(() => parseQuery(query)).toThrow(message);
  });
});

describe('Kubernetes patches', () => {
  const nodePool = { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'default' }, spec: { limits: { cpu: '1000', memory: '1000Gi' }, weight: 10 } };

  test('merge patch replaces, adds and deletes (null) keys without touching the original', () => {
    const out = mergePatch(nodePool, { spec: { limits: { cpu: '0', memory: null }, template: { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } } } });
    expect(out).toEqual({ ...nodePool, spec: { limits: { cpu: '0' }, weight: 10, template: { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } } } });
    expect(nodePool.spec.limits.cpu).toBe('1000');
  });

  test('JSON patch add/replace/remove/test, with escaped pointers', () => {
    const withLabels = { ...nodePool, metadata: { name: 'default', labels: { 'karpenter.sh/x': 'a' } } };
    const out = jsonPatch(withLabels, [
      { op: 'test', path: '/spec/weight', value: 10 },
      { op: 'replace', path: '/spec/limits/cpu', value: '0' },
      { op: 'remove', path: '/metadata/labels/karpenter.sh~1x' },
      { op: 'add', path: '/spec/template/spec/taints', value: [] },
      { op: 'add', path: '/spec/template/spec/taints/-', value: { key: 'karpenter.azure.com/disable', effect: 'NoSchedule' } },
    ]);
    expect(out).toMatchObject({ metadata: { labels: {} }, spec: { limits: { cpu: '0' }, template: { spec: { taints: [{ key: 'karpenter.azure.com/disable', effect: 'NoSchedule' }] } } } });
  });

  test.each([
    [[{ op: 'test', path: '/spec/weight', value: 11 }], "JSON Patch test failed at '/spec/weight'"],
    [[{ op: 'replace', path: '/spec/nope', value: 1 }], "JSON Patch replace: '/spec/nope' does not exist"],
    [[{ op: 'move', path: '/spec/weight', from: '/x' }], "JSON Patch op 'move' is not supported"],
    [{ op: 'add' }, 'a JSON Patch body must be an array of operations'],
  ])('a bad JSON patch is refused with one line (%#)', (ops, message) => {
    expect(() => jsonPatch(nodePool, ops)).toThrow(PatchError);
    expect(() => jsonPatch(nodePool, ops)).toThrow(message);
  });
});
