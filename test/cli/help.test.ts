/**
 * Help for every group and command in the table, through the built binary: `aksnet`, `aksnet --help`,
 * `aksnet GROUP`, `aksnet GROUP --help`, `aksnet GROUP COMMAND --help` (and -h). Iterates the real
 * table, so a command added without help text fails here.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { buildCommandTable } from '../../cli/commands';
import { aksnet, ensureBuilt, ROOT } from './support';

beforeAll(() => ensureBuilt(), 180_000);

const table = buildCommandTable();
const commands = [...table.commands.values()];
const groups = [...table.groups.values()];

describe('aksnet (root)', () => {
  it.each([['(alone)'], ['--help'], ['-h']])('aksnet %s prints the root help on stdout, exit 0', (arg) => {
    const run = aksnet(arg.startsWith('-') ? [arg] : []);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('aksnet : Assess and migrate fleets of AKS clusters to Azure CNI Overlay and the Cilium data');
    expect(run.stdout).toMatch(/\nSubgroups:\n {4}cluster : Check and plan the network migration of one AKS cluster\.\n {4}fleet {3}: /);
    expect(run.stdout).toContain('\nExamples\n');
  });

  it('--version prints the package version', () => {
    const run = aksnet(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^aksnet \d+\.\d+\.\d+\n$/);
  });

  it('help loads no handler module (handlers are lazy): no shared/assess, no rule catalog', () => {
    const script = `
      const { main } = require('./dist/cli/main.js');
      const io = { stdout() {}, stderr() {}, stdoutIsTTY: false, stdinIsTTY: false, cwd: process.cwd(), env: process.env, confirm: async () => false };
      main(['fleet', 'assess', '--help'], io).then((code) => {
        const loaded = Object.keys(require.cache).map((k) => k.replace(/\\\\/g, '/'));
        process.stdout.write(JSON.stringify({ code, heavy: loaded.filter((k) => /dist\\/(cli\\/handlers|shared\\/assess|shared\\/rules|shared\\/model\\/normalize)|node_modules\\/(zod|js-yaml)\\//.test(k)) }));
      });`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as { code: number; heavy: string[] };
    expect(out).toEqual({ code: 0, heavy: [] });
  });
});

describe.each(groups.map((g) => [g.name, g] as const))('group %s', (name, group) => {
  it.each([['(alone)'], ['--help']])('aksnet GROUP %s shows the group help with its commands', (extra) => {
    const run = aksnet([...name.split(' '), ...(extra.startsWith('-') ? [extra] : [])]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`aksnet ${name} : ${group.help.summary.split(' ').slice(0, 6).join(' ')}`);
    const children = commands.filter((c) => c.name.startsWith(`${name} `) && !c.name.slice(name.length + 1).includes(' '));
    expect(children.length).toBeGreaterThan(0);
    for (const c of children) expect(run.stdout).toMatch(new RegExp(`\\n {4}${c.name.slice(name.length + 1)} +: `));
    expect(group.help.examples?.length ?? 0).toBeGreaterThan(0);
    for (const e of group.help.examples ?? []) {
      expect(e.command.startsWith(`aksnet ${name} `)).toBe(true);
      expect(run.stdout).toContain(`        ${e.command}\n`);
    }
  });
});

describe.each(commands.map((c) => [c.name, c] as const))('command %s', (name, command) => {
  it('has a summary and at least one example that names the command', () => {
    expect(command.help.summary.length).toBeGreaterThan(10);
    expect(command.help.examples?.length ?? 0).toBeGreaterThan(0);
    for (const e of command.help.examples ?? []) expect(e.command.startsWith(`aksnet ${name} `)).toBe(true);
  });

  it.each([['--help'], ['-h']])('%s prints every argument, the global arguments and the examples', (flag) => {
    const run = aksnet([...name.split(' '), flag]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`\nCommand\n    aksnet ${name} : `);
    for (const a of command.args) {
      expect(run.stdout).toMatch(new RegExp(`\\n {4}${a.options.join(' ').replace(/[+]/g, '\\+')}${a.required ? ' \\[Required\\]' : ''} *: `));
      for (const v of a.enum ?? []) expect(run.stdout).toContain(v);
    }
    expect(run.stdout).toContain('\nGlobal Arguments\n');
    for (const o of ['--output -o', '--query', '--debug', '--verbose', '--only-show-errors']) expect(run.stdout).toContain(`    ${o}`);
    for (const e of command.help.examples ?? []) expect(run.stdout).toContain(`        ${e.command}\n`);
  });

  it('--help wins over bad arguments', () => {
    const run = aksnet([...name.split(' '), '--target', 'nonsense', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`aksnet ${name} : `);
  });
});

it('the binary is the built one (bin/aksnet.js → dist/cli/main.js)', () => {
  expect(require.resolve(path.join(ROOT, 'dist', 'cli', 'main.js'))).toBeTruthy();
});
