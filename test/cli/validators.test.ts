/** The argument validators and the option parser, alone: pure functions, real values. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CLIError,
  errorLine,
  FileArgumentError,
  InvalidArgumentValueError,
  MutuallyExclusiveArgumentError,
  RequiredArgumentMissingError,
  ResourceNotFoundError,
  UnrecognizedArgumentError,
} from '../../cli/errors';
import { validateClusterSelection, validateEnum, validateIpv4Cidr, validateManagedClusterId, validateName, validateReadableFile, validateTarget } from '../../cli/params';
import { closest, editDistance, parseOptions } from '../../cli/parse';
import { describeJsonError, lineColumn } from '../../cli/snapshotFile';
import type { ArgSpec } from '../../cli/types';

function thrown(fn: () => unknown): CLIError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CLIError) return e;
    throw e;
  }
  throw new Error('expected a CLIError');
}

describe('validateTarget (seed 000: Overlay, Cilium, or both as two operations)', () => {
  it.each([
    ['overlay', 'overlay'],
    ['cilium', 'cilium'],
    ['overlay+cilium', 'overlay+cilium'],
    ['OVERLAY+Cilium', 'overlay+cilium'],
    [' cilium ', 'cilium'],
  ])('%j → %s', (input, expected) => expect(validateTarget(input)).toBe(expected));

  it.each(['calico', 'overlay,cilium', 'cilium+overlay', ''])('rejects %j, listing the allowed values (exit 2)', (input) => {
    const e = thrown(() => validateTarget(input, '-t'));
    expect(e).toBeInstanceOf(InvalidArgumentValueError);
    expect(e.exitCode).toBe(2);
    expect(errorLine(e)).toBe(`ERROR: '${input}' is not a valid value for '-t'. Allowed values: overlay, cilium, overlay+cilium.`);
  });

  it('validateEnum returns the canonical spelling', () => {
    expect(validateEnum(['Auto', 'Manual'], 'manual', '--mode')).toBe('Manual');
  });
});

describe('validateIpv4Cidr', () => {
  it.each([
    ['192.168.0.0/16', '192.168.0.0/16'],
    ['10.244.0.0/16', '10.244.0.0/16'],
    [' 100.64.0.0/10 ', '100.64.0.0/10'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ])('accepts %j', (input, expected) => expect(validateIpv4Cidr(input)).toBe(expected));

  it.each([
    ['192.168.0.0', /missing '\/prefix-length'/],
    ['192.168.0.0/33', /prefix length must be 0-32 for IPv4/],
    ['192.168.0.0/-1', /prefix length/],
    ['256.1.1.1/8', /'256\.1\.1\.1' is not an IPv4 or IPv6 address/],
    ['10/8', /'10' is not an IPv4 or IPv6 address/],
    ['192.168.1.0/16', /host bits are set after \/16; the network is 192\.168\.0\.0\/16/],
    ['fd00::/48', /is an IPv6 range; '--pod-cidr' takes an IPv4 CIDR/],
    ['', /empty/],
  ])('rejects %j', (input, pattern) => {
    const e = thrown(() => validateIpv4Cidr(input));
    expect(e).toBeInstanceOf(InvalidArgumentValueError);
    expect(e.message).toMatch(pattern);
    expect(errorLine(e).split('\n')).toHaveLength(1);
  });
});

describe('validateManagedClusterId', () => {
  const id = '/subscriptions/3f2c9a1e-7b4d-4c1a-9e2f-5a6b7c8d9e01/resourceGroups/rg-apps/providers/Microsoft.ContainerService/managedClusters/aks-1';
  it('accepts a managed cluster id (any casing of the type, trailing slash dropped)', () => {
    expect(validateManagedClusterId(id)).toBe(id);
    expect(validateManagedClusterId(`${id.replace('managedClusters', 'MANAGEDCLUSTERS')}/`)).toBe(id.replace('managedClusters', 'MANAGEDCLUSTERS'));
  });
  it.each([
    ['aks-1', /it must start with '\/subscriptions\/'/],
    ['/subscriptions/x/resourceGroups/rg', /is not a managed cluster id/],
    ['/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v', /is not a managed cluster id/],
    [`${id}/agentPools/system`, /is not a managed cluster id/],
  ])('rejects %j', (input, pattern) => {
    const e = thrown(() => validateManagedClusterId(input));
    expect(e).toBeInstanceOf(InvalidArgumentValueError);
    expect(e.message).toMatch(pattern);
    expect(e.recommendation).toContain('/providers/Microsoft.ContainerService/managedClusters/{name}');
  });
});

describe('validateReadableFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-validators-'));
    fs.writeFileSync(path.join(dir, 'fleet.json'), '[]');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('resolves a readable file against cwd', () => {
    expect(validateReadableFile('fleet.json', '--snapshot', dir)).toBe(path.join(dir, 'fleet.json'));
  });
  it('a missing file is a FileArgumentError (usage, exit 2)', () => {
    const e = thrown(() => validateReadableFile('nope.json', '--snapshot', dir));
    expect(e).toBeInstanceOf(FileArgumentError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("file 'nope.json' given to '--snapshot' does not exist");
  });
  it('a directory is refused', () => {
    expect(thrown(() => validateReadableFile('.', '--snapshot', dir)).message).toBe("'.' given to '--snapshot' is a directory, not a file");
  });
});

describe('validateName and validateClusterSelection (-g/-n vs --ids)', () => {
  it('names are trimmed; empty names refused', () => {
    expect(validateName(' rg-apps ', '-g')).toBe('rg-apps');
    expect(thrown(() => validateName('  ', '--name'))).toBeInstanceOf(InvalidArgumentValueError);
  });
  it.each([
    [{ resourceGroup: 'rg', name: 'n' }, undefined],
    [{ ids: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/n' }, undefined],
    [{ ids: 'x', resourceGroup: 'rg' }, MutuallyExclusiveArgumentError],
    [{ ids: 'x', name: 'n' }, MutuallyExclusiveArgumentError],
    [{}, RequiredArgumentMissingError],
    [{ name: 'n' }, RequiredArgumentMissingError],
    [{ resourceGroup: 'rg' }, RequiredArgumentMissingError],
  ])('%j', (args, error) => {
    if (error === undefined) expect(() => validateClusterSelection(args)).not.toThrow();
    else {
      const e = thrown(() => validateClusterSelection(args));
      expect(e).toBeInstanceOf(error);
      expect(e.exitCode).toBe(2);
    }
  });
});

describe('parseOptions', () => {
  const specs: ArgSpec[] = [
    { dest: 'snapshot', options: ['--snapshot', '-s'], required: true, help: '' },
    { dest: 'target', options: ['--target', '-t'], enum: ['overlay', 'cilium'], help: '' },
    { dest: 'podCidr', options: ['--pod-cidr'], help: '', validator: (v, o) => validateIpv4Cidr(v, o) },
    { dest: 'debug', options: ['--debug'], type: 'boolean', help: '' },
    { dest: 'output', options: ['--output', '-o'], default: 'json', help: '' },
  ];
  const parse = (...tokens: string[]) => parseOptions(tokens, specs, 'aksnet x');

  it('long, short and --opt=value forms; switches; defaults; validators', () => {
    const r = parse('-s', 'f.json', '--target=Cilium', '--pod-cidr', '10.1.0.0/16', '--debug');
    expect(r.args).toEqual({ snapshot: 'f.json', target: 'cilium', podCidr: '10.1.0.0/16', debug: true, output: 'json' });
    expect([...r.given].sort()).toEqual(['debug', 'podCidr', 'snapshot', 'target']);
  });
  it('a value may start with a dash when it is not an option', () => {
    expect(parse('-s', '-weird-name.json').args.snapshot).toBe('-weird-name.json');
  });
  it('errors: unknown option with suggestion, missing value, switch with value, repeated option, positional, missing required', () => {
    expect(thrown(() => parse('-s', 'f', '--snapshto', 'x'))).toBeInstanceOf(UnrecognizedArgumentError);
    expect(errorLine(thrown(() => parse('-s', 'f', '--tagret', 'x')))).toBe("ERROR: unrecognized argument '--tagret'. Did you mean '--target'? Run 'aksnet x --help' for the arguments and examples.");
    expect(thrown(() => parse('-s')).message).toBe("argument '--snapshot/-s' expects a value");
    expect(thrown(() => parse('-s', '--debug')).message).toBe("argument '--snapshot/-s' expects a value");
    expect(thrown(() => parse('-s', 'f', '--debug=yes')).message).toBe("'--debug' is a switch and takes no value");
    expect(thrown(() => parse('-s', 'f', '-s', 'g')).message).toBe("'--snapshot/-s' is given more than once");
    expect(thrown(() => parse('-s', 'f', 'extra')).message).toBe("unrecognized argument 'extra'");
    expect(thrown(() => parse('--debug')).message).toBe('the following arguments are required: --snapshot/-s');
    expect(thrown(() => parse('-s', 'f', '-t', 'calico')).message).toBe("'calico' is not a valid value for '-t'");
  });
  it('editDistance and closest', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('--targt', ['--target', '--snapshot'])).toBe('--target');
    expect(closest('--zzzzzzzz', ['--target', '--snapshot'])).toBeUndefined();
  });
});

describe('JSON error positions', () => {
  it('lineColumn is 1-based', () => {
    const text = '{\n  "a": 1,\n}';
    expect(lineColumn(text, 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn(text, 4)).toEqual({ line: 2, column: 3 });
    expect(lineColumn(text, text.length - 1)).toEqual({ line: 3, column: 1 });
  });
  it('describeJsonError turns a position into line and column', () => {
    const text = '{\n  "resources": [\n  ],\n}\n';
    let err: Error | undefined;
    try {
      JSON.parse(text);
    } catch (e) {
      err = e as Error;
    }
    expect(describeJsonError(text, err as Error)).toMatch(/ at line 4 column 1$/);
    expect(describeJsonError('{"a": [1, 2', new SyntaxError('Unexpected end of JSON input'))).toBe('unexpected end of JSON input at line 1 column 12');
  });
});

describe('errors', () => {
  it('exit codes follow az: 1 error, 2 usage, 3 not found', () => {
    expect(new CLIError('x').exitCode).toBe(1);
    expect(new InvalidArgumentValueError('x').exitCode).toBe(2);
    expect(new ResourceNotFoundError('x').exitCode).toBe(3);
  });
  it('errorLine: one line, problem then fix, one period each', () => {
    expect(errorLine(new CLIError('it broke', 'Fix it.'))).toBe('ERROR: it broke. Fix it.');
    expect(errorLine(new CLIError('Is it broken?\nyes', 'fix it'))).toBe('ERROR: Is it broken? yes. fix it.');
    expect(errorLine(new CLIError('it broke'))).toBe('ERROR: it broke.');
  });
});
