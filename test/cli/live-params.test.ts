/**
 * The validators and parser features live mode added (pure, no binary): repeatable options,
 * "one of" required groups, subscription ids, tag filters, bounded numbers, source exclusivity.
 */
import { CLIError } from '../../cli/errors';
import { GLOBAL_ARGS } from '../../cli/globals';
import { fleetGroup } from '../../cli/groups/fleet';
import { validateClusterSource, validateFleetSource, validateNumber, validateSubscriptionId, validateTag } from '../../cli/params';
import { parseOptions } from '../../cli/parse';

const SUB = '3F2C9A1E-7B4D-4C1A-9E2F-5A6B7C8D9E01';
const assess = fleetGroup.commands.find((c) => c.name === 'fleet assess');
if (!assess) throw new Error('fleet assess is not in the table');
const parse = (...tokens: string[]) => parseOptions(tokens, [...assess.args, ...GLOBAL_ARGS], 'aksnet fleet assess');

function thrown(f: () => unknown): CLIError {
  try {
    f();
  } catch (e) {
    if (e instanceof CLIError) return e;
    throw e;
  }
  throw new Error('expected a CLIError');
}

describe('parser: repeatable options and one-of groups', () => {
  it('collects every --subscription and --tag, validated, in order', () => {
    const r = parse('--subscription', SUB, '--subscription', '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d', '--tag', 'team=a', '--tag=env=prod=1', '-t', 'overlay');
    expect(r.args.subscriptions).toEqual([SUB.toLowerCase(), '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d']);
    expect(r.args.tags).toEqual([{ key: 'team', value: 'a' }, { key: 'env', value: 'prod=1' }]);
  });

  it('one subscription is still an array; a non-repeatable option given twice is still an error', () => {
    expect(parse('--subscription', SUB, '-t', 'cilium').args.subscriptions).toEqual([SUB.toLowerCase()]);
    expect(thrown(() => parse('--subscription', SUB, '-t', 'cilium', '-t', 'overlay')).message).toBe("'--target/-t' is given more than once");
  });

  it('names the one-of group once, with its alternatives, among the other missing arguments', () => {
    const e = thrown(() => parse());
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('the following arguments are required: --snapshot/-s or --subscription, --target/-t');
    expect(thrown(() => parse('-s', 'f.json')).message).toBe('the following arguments are required: --target/-t');
  });
});

describe('validators', () => {
  it('subscription ids are GUIDs (lower-cased); names are refused with the fix', () => {
    expect(validateSubscriptionId(` ${SUB} `)).toBe(SUB.toLowerCase());
    const e = thrown(() => validateSubscriptionId('Production'));
    expect([e.exitCode, e.message, e.recommendation]).toEqual([2, "'Production' is not a subscription id (for '--subscription')", "Give the subscription's GUID, e.g. from 'az account list --query [].id -o tsv'"]);
  });

  it('tags are KEY=VALUE; the value may be empty or hold "="', () => {
    expect(validateTag('team=')).toEqual({ key: 'team', value: '' });
    expect(validateTag('a=b=c')).toEqual({ key: 'a', value: 'b=c' });
    for (const bad of ['team', '=x', ' =x']) expect(thrown(() => validateTag(bad)).message).toBe(`'${bad}' is not a tag filter (for '--tag')`);
  });

  it('numbers: integers, bounds, exclusive minimum', () => {
    expect(validateNumber('8443', '--port', { min: 0, max: 65535, integer: true }, '0')).toBe(8443);
    expect(validateNumber('0.001', '--time-scale', { min: 0, exclusiveMin: true }, '0.001')).toBe(0.001);
    expect(thrown(() => validateNumber('1.5', '--clusters', { min: 0, integer: true }, '100')).message).toBe("'1.5' is not a valid value for '--clusters': it must be a whole number of at least 0");
    expect(thrown(() => validateNumber('', '--latency-ms', { min: 0 }, '50')).message).toBe("'' is not a valid value for '--latency-ms': it must be a number of at least 0");
    expect(thrown(() => validateNumber('0', '--time-scale', { min: 0, exclusiveMin: true }, '0.001')).message).toBe("'0' is not a valid value for '--time-scale': it must be a number greater than 0");
  });

  it('fleet source: --snapshot excludes --subscription, -g and --tag', () => {
    expect(() => validateFleetSource({ subscriptions: [SUB], resourceGroup: 'rg', tags: [] })).not.toThrow();
    expect(thrown(() => validateFleetSource({ snapshot: 'f.json', subscriptions: [SUB] })).message).toBe("'--snapshot' cannot be used with '--subscription'");
    expect(thrown(() => validateFleetSource({ snapshot: 'f.json', resourceGroup: 'rg' })).exitCode).toBe(2);
  });

  it('cluster source: --ids and --subscription must name the same subscription', () => {
    const id = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks`;
    expect(() => validateClusterSource({ ids: id, subscription: SUB.toLowerCase() })).not.toThrow();
    expect(thrown(() => validateClusterSource({ ids: id, subscription: '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d' })).message).toBe(
      `'--ids' names subscription ${SUB.toLowerCase()} but '--subscription' is 8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d`,
    );
    expect(thrown(() => validateClusterSource({ snapshot: 'f.json', subscription: SUB, resourceGroup: 'rg', name: 'aks' })).message).toBe("'--snapshot' cannot be used with '--subscription'");
  });
});
