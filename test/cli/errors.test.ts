/**
 * Every error path of the offline commands through the built binary: the exit code (0 ok, 1 error,
 * 2 usage, 3 not found), ONE line on stderr `ERROR: <problem>. <fix>`, nothing on stdout, and a
 * stack trace only with --debug.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aksnet, ensureBuilt, FLEET } from './support';

beforeAll(() => ensureBuilt(), 180_000);

function expectOneError(run: ReturnType<typeof aksnet>, code: number, pattern: RegExp): void {
  expect({ code: run.code, stdout: run.stdout, lines: run.errLines.length }).toEqual({ code, stdout: '', lines: 1 });
  expect(run.errLines[0]).toMatch(/^ERROR: /);
  expect(run.errLines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

const assess = (...more: string[]): string[] => ['fleet', 'assess', ...more];

describe('snapshot file problems are usage errors (exit 2) naming the file and the fix', () => {
  it('missing file', () => {
    expectOneError(aksnet(assess('--snapshot', 'no/such/fleet.json', '--target', 'overlay')), 2, /^ERROR: snapshot file 'no\/such\/fleet\.json' \(--snapshot\) does not exist\. Check the path, or write a snapshot with 'aksnet fleet snapshot'\.$/);
  });

  it('a directory', () => {
    expectOneError(aksnet(assess('--snapshot', 'test/fixtures', '--target', 'overlay')), 2, /'test\/fixtures' \(--snapshot\) is a directory, not a snapshot file\. Give the path of a snapshot JSON file\.$/);
  });

  it('unreadable file', () => {
    if (process.getuid?.() === 0) {
      // root reads any file: check the message through a path that cannot be opened as a file instead.
      expectOneError(aksnet(assess('--snapshot', '/proc/self/mem/x', '--target', 'overlay')), 2, /snapshot file '\/proc\/self\/mem\/x' \(--snapshot\) (does not exist|cannot be read)/);
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-cli-'));
    const file = path.join(dir, 'secret.json');
    fs.writeFileSync(file, '[]');
    fs.chmodSync(file, 0o000);
    try {
      expectOneError(aksnet(assess('--snapshot', file, '--target', 'overlay')), 2, /cannot be read: permission denied\. Check the file permissions\.$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('invalid JSON, with line and column', () => {
    expectOneError(
      aksnet(assess('--snapshot', 'test/fixtures/cli/invalid.json', '--target', 'overlay')),
      2,
      /^ERROR: snapshot file 'test\/fixtures\/cli\/invalid\.json' is not valid JSON: .* at line 4 column 1\. Fix the JSON, or write the snapshot again\.$/,
    );
  });

  it('valid JSON that is not a snapshot, naming the offending path', () => {
    expectOneError(
      aksnet(assess('--snapshot', 'test/fixtures/cli/not-snapshot.json', '--target', 'overlay')),
      2,
      /^ERROR: 'test\/fixtures\/cli\/not-snapshot\.json' is not a snapshot: .*"clusters".*\. A snapshot is \{"resources": .* see docs\/snapshot\.md\.$/,
    );
  });

  it('a resource without an ARM id', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-cli-'));
    const file = path.join(dir, 'bad-id.json');
    fs.writeFileSync(file, JSON.stringify({ resources: [{ id: 'aks-1', name: 'aks-1', type: 'Microsoft.ContainerService/managedClusters' }] }));
    try {
      expectOneError(aksnet(assess('--snapshot', file, '--target', 'overlay')), 2, /is not a snapshot: resources\[0\]\.id: must be an ARM resource id starting with '\/subscriptions\/'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('snapshot files that are fine', () => {
  it('a UTF-8 byte order mark (as Windows editors write) is accepted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-cli-'));
    const file = path.join(dir, 'bom.json');
    fs.writeFileSync(file, `\ufeff${fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'cli', 'dup-names.json'), 'utf8')}`);
    try {
      const run = aksnet(assess('--snapshot', file, '--target', 'cilium', '--query', '[].verdict', '-o', 'tsv'));
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout.trimEnd().split('\n').sort()).toEqual(['compliant', 'ready']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('argument errors are usage errors (exit 2)', () => {
  it('unknown target lists the allowed values', () => {
    expectOneError(aksnet(assess('-s', FLEET, '--target', 'calico')), 2, /^ERROR: 'calico' is not a valid value for '--target'\. Allowed values: overlay, cilium, overlay\+cilium\.$/);
  });

  it('bad CIDR', () => {
    expectOneError(aksnet(assess('-s', FLEET, '-t', 'overlay', '--pod-cidr', '192.168.0.0/33')), 2, /^ERROR: '192\.168\.0\.0\/33' is not a valid CIDR: prefix length must be 0-32 for IPv4 \(for '--pod-cidr'\)\. Give a network address and prefix length, for example 192\.168\.0\.0\/16\.$/);
    expectOneError(aksnet(assess('-s', FLEET, '-t', 'overlay', '--pod-cidr', 'ten.0.0.0/8')), 2, /'ten\.0\.0\.0\/8' is not a valid CIDR/);
  });

  it('a CIDR with host bits set names the network that was meant', () => {
    expectOneError(aksnet(assess('-s', FLEET, '-t', 'overlay', '--pod-cidr', '192.168.1.0/16')), 2, /host bits are set after \/16; the network is 192\.168\.0\.0\/16/);
  });

  it('an IPv6 pod CIDR is refused', () => {
    expectOneError(aksnet(assess('-s', FLEET, '-t', 'overlay', '--pod-cidr', 'fd00::/64')), 2, /^ERROR: 'fd00::\/64' is an IPv6 range; '--pod-cidr' takes an IPv4 CIDR\./);
  });

  it('missing required arguments are all named', () => {
    expectOneError(aksnet(assess()), 2, /^ERROR: the following arguments are required: --snapshot\/-s or --subscription, --target\/-t\. Run 'aksnet fleet assess --help' for the arguments and examples\.$/);
  });

  it('an option without its value', () => {
    expectOneError(aksnet(assess('-s', FLEET, '--target')), 2, /^ERROR: argument '--target\/-t' expects a value\. Give one after '--target' \(allowed values: overlay, cilium, overlay\+cilium\)\.$/);
  });

  it('unknown option, with a suggestion', () => {
    expectOneError(aksnet(assess('-s', FLEET, '-t', 'overlay', '--pod-cdir', '10.0.0.0/8')), 2, /^ERROR: unrecognized argument '--pod-cdir'\. Did you mean '--pod-cidr'\?/);
  });

  it('a stray positional argument', () => {
    expectOneError(aksnet(assess('-s', FLEET, '-t', 'overlay', 'extra')), 2, /^ERROR: unrecognized argument 'extra'\./);
  });

  it('an option given twice', () => {
    expectOneError(aksnet(assess('-s', FLEET, '-t', 'overlay', '--target', 'cilium')), 2, /^ERROR: '--target\/-t' is given more than once\. Give it once\.$/);
  });

  it('bad --ids', () => {
    expectOneError(aksnet(['cluster', 'preflight', '-s', FLEET, '-t', 'overlay', '--ids', 'aks-calico']), 2, /^ERROR: 'aks-calico' is not a valid ARM resource id: it must start with '\/subscriptions\/' \(for '--ids'\)\./);
  });

  it('unknown output format', () => {
    expectOneError(aksnet(assess('-s', FLEET, '-t', 'overlay', '-o', 'xml')), 2, /^ERROR: 'xml' is not a valid value for '-o'\. Allowed values: json, jsonc, yaml, yamlc, table, tsv, none\.$/);
  });
});

describe('--query errors are usage errors raised before the command runs', () => {
  it('a syntax error', () => {
    // The snapshot does not exist: the query is rejected first, at parse time.
    expectOneError(aksnet(assess('-s', 'missing.json', '-t', 'overlay', '--query', "[?verdict=='ready'")), 2, /^ERROR: '--query' is not a valid JMESPath expression: .*\. See https:\/\/jmespath\.org\/tutorial\.html for the syntax\.$/);
  });

  it('an unknown function', () => {
    expectOneError(aksnet(assess('-s', 'missing.json', '-t', 'overlay', '--query', 'count(@)')), 2, /^ERROR: '--query' calls an unknown JMESPath function 'count\(\)'\. Use one of: abs, /);
  });

  it('a query that fails on the result (wrong type) is reported in one line too', () => {
    expectOneError(aksnet(assess('-s', FLEET, '-t', 'overlay', '--query', 'sum([].name)')), 2, /^ERROR: '--query' failed on the result: /);
  });
});

describe('unknown commands (exit 2)', () => {
  it('unknown top-level command', () => {
    expectOneError(aksnet(['assess']), 2, /^ERROR: 'assess' is not in the 'aksnet' command group\. See 'aksnet --help'\.$/);
  });

  it('misspelt subcommand gets a suggestion', () => {
    expectOneError(aksnet(['fleet', 'asses', '-s', FLEET]), 2, /^ERROR: 'asses' is not in the 'aksnet fleet' command group\. Did you mean 'aksnet fleet assess'\? See 'aksnet fleet --help'\.$/);
  });

  it('options on a group', () => {
    expectOneError(aksnet(['cluster', '--snapshot', FLEET]), 2, /^ERROR: unrecognized argument '--snapshot'\. 'aksnet cluster' is a command group; see 'aksnet cluster --help'\.$/);
  });
});

describe('--debug', () => {
  it('adds the stack trace after the one-line error', () => {
    const run = aksnet(assess('-s', 'no/such.json', '-t', 'overlay', '--debug'));
    expect(run.code).toBe(2);
    const errors = run.errLines.filter((l) => l.startsWith('ERROR: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^ERROR: snapshot file 'no\/such\.json' \(--snapshot\) does not exist\./);
    expect(run.errLines.some((l) => l.startsWith('DEBUG: '))).toBe(true);
    expect(run.stderr).toMatch(/\n\s+at .*snapshotFile/);
  });
});
