/**
 * The command framework (cli/main.ts) with a command table of our own: how later groups behave when
 * they declare confirmation, --no-wait, a default output, nested groups, or fail. Runs main() in
 * process through its IO seam (the same code path bin/aksnet.js takes, with captured streams).
 */
import { buildCommandTable } from '../../cli/commands';
import { AzureError, ResourceNotFoundError } from '../../cli/errors';
import { main, type CliIO } from '../../cli/main';
import type { CommandGroupModule, ParsedArgs } from '../../cli/types';

// The escape sequences jsonc/yamlc add (built from a string: a control character in a regex literal trips the linter).
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  calls: ParsedArgs[];
  asked: string[];
}

const calls: ParsedArgs[] = [];

const demo: CommandGroupModule = {
  groups: [
    { name: 'demo', help: { summary: 'Demo group.' } },
    { name: 'demo sub', help: { summary: 'Nested demo group.' } },
  ],
  commands: [
    {
      name: 'demo delete',
      help: { summary: 'Deletes things after asking.', examples: [{ summary: 'Delete', command: 'aksnet demo delete --yes' }] },
      args: [],
      confirmation: 'Are you sure you want to delete everything?',
      handler: async () => async (args) => {
        calls.push(args);
        return { deleted: true };
      },
    },
    {
      name: 'demo start',
      help: { summary: 'Starts a long operation.' },
      args: [{ dest: 'name', options: ['--name', '-n'], required: true, help: 'Name.' }],
      supportsNoWait: true,
      defaultOutput: 'table',
      tableTransformer: (r) => ({ rows: [{ Started: (r as { name: string }).name }] }),
      handler: async () => async (args) => {
        calls.push(args);
        return { name: args.name, noWait: args.noWait === true, nested: { a: 1 }, flag: true, nothing: null };
      },
    },
    {
      name: 'demo sub fail',
      help: { summary: 'Fails in the way --kind says.' },
      args: [{ dest: 'kind', options: ['--kind'], enum: ['plain', 'azure', 'notfound'], required: true, help: 'How to fail.' }],
      handler: async () => async (args) => {
        if (args.kind === 'azure') throw new AzureError('the resource provider said no', 'Try again later');
        if (args.kind === 'notfound') throw new ResourceNotFoundError("rollout 'r1' was not found", "List rollouts with 'aksnet rollout list'");
        throw new Error('boom');
      },
    },
  ],
};

async function run(argv: string[], opts: { tty?: boolean; answer?: boolean } = {}): Promise<Captured> {
  calls.length = 0;
  let stdout = '';
  let stderr = '';
  const asked: string[] = [];
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdoutIsTTY: opts.tty === true,
    stdinIsTTY: opts.tty === true,
    cwd: process.cwd(),
    env: {},
    confirm: async (q) => {
      asked.push(q);
      return opts.answer === true;
    },
  };
  const code = await main(argv, io, [demo]);
  return { code, stdout, stderr, calls: [...calls], asked };
}

describe('confirmation (--yes)', () => {
  it('without a terminal and without --yes the command fails before running (exit 2)', async () => {
    const r = await run(['demo', 'delete']);
    expect(r).toMatchObject({ code: 2, stdout: '', calls: [], asked: [] });
    expect(r.stderr).toBe("ERROR: 'aksnet demo delete' needs confirmation and there is no terminal to ask on. Add '--yes' to confirm.\n");
  });

  it('--yes / -y skips the question', async () => {
    for (const flag of ['--yes', '-y']) {
      const r = await run(['demo', 'delete', flag]);
      expect(r.code).toBe(0);
      expect(r.asked).toEqual([]);
      expect(JSON.parse(r.stdout)).toEqual({ deleted: true });
    }
  });

  it('on a terminal the question is asked; "no" cancels without running', async () => {
    const no = await run(['demo', 'delete'], { tty: true, answer: false });
    expect(no).toMatchObject({ code: 0, stdout: '', calls: [], asked: ['Are you sure you want to delete everything?'] });
    expect(no.stderr).toBe('WARNING: Cancelled; nothing was changed.\n');
    const yes = await run(['demo', 'delete'], { tty: true, answer: true });
    expect(yes.calls).toHaveLength(1);
  });

  it('help shows --yes for a confirming command', async () => {
    const r = await run(['demo', 'delete', '--help']);
    expect(r.stdout).toMatch(/\n {4}--yes -y +: Do not prompt for confirmation\./);
  });
});

describe('--no-wait and default output', () => {
  it('--no-wait reaches the handler; the command default output (table) applies', async () => {
    const r = await run(['demo', 'start', '-n', 'r1', '--no-wait']);
    expect(r.code).toBe(0);
    expect(r.calls[0]).toMatchObject({ name: 'r1', noWait: true });
    expect(r.stdout).toBe('Started\n-------\nr1\n');
  });

  it('an explicit -o wins over the default; tsv leaves nested objects out', async () => {
    const r = await run(['demo', 'start', '-n', 'r1', '-o', 'tsv']);
    expect(r.stdout).toBe('r1\tfalse\ttrue\t\n');
  });

  it('jsonc and yamlc are colorized on a terminal', async () => {
    const c = await run(['demo', 'start', '-n', 'r1', '-o', 'jsonc'], { tty: true });
    expect(c.stdout).toContain('\x1b[');
    expect(JSON.parse(c.stdout.replace(ANSI_COLOR, ''))).toEqual({ name: 'r1', noWait: false, nested: { a: 1 }, flag: true, nothing: null });
    const y = await run(['demo', 'start', '-n', 'r1', '-o', 'yamlc'], { tty: true });
    expect(y.stdout).toContain('\x1b[');
    expect(y.stdout.replace(ANSI_COLOR, '')).toBe('name: r1\nnoWait: false\nnested:\n  a: 1\nflag: true\nnothing: null\n');
  });

  it('help shows --no-wait', async () => {
    const r = await run(['demo', 'start', '-h']);
    expect(r.stdout).toMatch(/\n {4}--no-wait +: Do not wait for the long-running operation to finish\./);
  });
});

describe('nested groups and failures', () => {
  it('a nested group resolves and lists its commands', async () => {
    const r = await run(['demo', 'sub']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('aksnet demo sub : Nested demo group.');
    expect(r.stdout).toMatch(/Commands:\n {4}fail : Fails in the way --kind says\./);
    const top = await run(['demo']);
    expect(top.stdout).toMatch(/Subgroups:\n {4}sub : Nested demo group\./);
  });

  it('an unexpected error: exit 1, one line, stack only with --debug', async () => {
    const r = await run(['demo', 'sub', 'fail', '--kind', 'plain']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('ERROR: The command failed with an unexpected error: boom. Run it again with --debug for the stack trace.\n');
    const d = await run(['demo', 'sub', 'fail', '--kind', 'plain', '--debug']);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/^DEBUG: .*\nERROR: The command failed with an unexpected error: boom\. The stack trace follows\.\nError: boom\n\s+at /);
  });

  it('an AzureError is exit 1 and a ResourceNotFoundError exit 3, each one line with its fix', async () => {
    const a = await run(['demo', 'sub', 'fail', '--kind', 'azure']);
    expect(a).toMatchObject({ code: 1, stdout: '', stderr: 'ERROR: the resource provider said no. Try again later.\n' });
    const n = await run(['demo', 'sub', 'fail', '--kind', 'notfound']);
    expect(n).toMatchObject({ code: 3, stderr: "ERROR: rollout 'r1' was not found. List rollouts with 'aksnet rollout list'.\n" });
  });
});

describe('the command table checks itself', () => {
  const cmd = demo.commands[1];
  it('rejects a duplicate command, a command without its group, and an option declared twice', () => {
    expect(() => buildCommandTable([demo, { groups: [], commands: [cmd] }])).toThrow("command table: command 'demo start' is declared twice");
    expect(() => buildCommandTable([{ groups: [], commands: [{ ...cmd, name: 'nowhere start' }] }])).toThrow("command table: command 'nowhere start' has no group 'nowhere'");
    expect(() => buildCommandTable([{ groups: demo.groups, commands: [{ ...cmd, args: [...cmd.args, ...cmd.args] }] }])).toThrow("command table: 'demo start' declares option '--name' twice");
  });

  it('the real table builds, and every command has a group', () => {
    const table = buildCommandTable();
    expect([...table.commands.keys()].sort()).toEqual(expect.arrayContaining(['cluster plan', 'cluster preflight', 'fleet assess']));
  });
});
