/**
 * The rollout id given alone (`aksnet rollout show ID`, as docs/deploy.md and docs/rollout-spec.md write it) or with
 * `--id ID`: an argument declared `positional` in the command table (cli/groups/rollout.ts), parsed by cli/parse.ts.
 * Runs main() in process with the real command table; with no backend configured, the command gets as far as asking
 * for one — which shows the id was accepted — while a bad id or a clash stops at parsing (exit 2, one line).
 */
import { main } from '../../cli/main';
import { rolloutGroup } from '../../cli/groups/rollout';
import type { CommandGroupModule, ParsedArgs } from '../../cli/types';

async function run(args: string[], modules?: readonly CommandGroupModule[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (t: string) => void (stdout += t),
    stderr: (t: string) => void (stderr += t),
    stdoutIsTTY: false,
    stdinIsTTY: false,
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '' },
    confirm: async () => false,
  };
  const code = await (modules ? main(args, io, modules) : main(args, io));
  return { code, stdout, stderr };
}

/** The rollout group's own argument specs, with handlers that hand back what they were given. */
function echoing(): CommandGroupModule {
  const commands = rolloutGroup.commands.filter((c) => c.name.startsWith('rollout '));
  return { groups: rolloutGroup.groups, commands: commands.map((c) => ({ ...c, tableTransformer: undefined, handler: async () => async (args: ParsedArgs) => args })) };
}

const ID = 'fleet-overlay-20261121T193005Z-a1b2c3';

describe.each(['show', 'wait', 'approve', 'resume', 'cancel'])('rollout %s', (command) => {
  it('takes the id alone, before or after the options, the same as --id', async () => {
    const alone = await run(['rollout', command, ID], [echoing()]);
    const after = await run(['rollout', command, '--backend', 'http://127.0.0.1:7071', ID], [echoing()]);
    const named = await run(['rollout', command, '--id', ID], [echoing()]);
    expect([alone, after, named].map((r) => [r.code, r.stderr])).toEqual([[0, ''], [0, ''], [0, '']]);
    expect(JSON.parse(alone.stdout)).toMatchObject({ id: ID });
    expect(JSON.parse(after.stdout)).toMatchObject({ id: ID, backend: 'http://127.0.0.1:7071' });
    expect(JSON.parse(named.stdout)).toMatchObject({ id: ID });
  });

  it('with the real handler and no backend, gets as far as asking for one (exit 2)', async () => {
    const r = await run(['rollout', command, ID]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ERROR: no backend: this command talks to a running aksnet app\. Pass '--backend URL' or set AKSNET_BACKEND/)]);
  });
});

it('the same id both ways is accepted; two different ones are refused naming both (exit 2)', async () => {
  const same = await run(['rollout', 'show', ID, '--id', ID], [echoing()]);
  expect(same.code).toBe(0);
  expect(JSON.parse(same.stdout)).toMatchObject({ id: ID });
  const clash = await run(['rollout', 'approve', ID, '--id', 'other-1', '--stage', 'broad']);
  expect(clash).toMatchObject({ code: 2, stdout: '' });
  expect(clash.stderr).toBe(`ERROR: '${ID}' and '--id other-1' name two different values for '--id'. Give it once: 'aksnet rollout approve ${ID}' or 'aksnet rollout approve --id ${ID}'.\n`);
});

it('a second bare word, a bad id, or no id at all: one line naming the problem (exit 2)', async () => {
  const two = await run(['rollout', 'show', ID, 'extra']);
  expect(two.code).toBe(2);
  expect(two.stderr).toMatch(/^ERROR: unrecognized argument 'extra'\. aksnet rollout show takes one value without an option \(its ID, 'fleet-overlay-20261121T193005Z-a1b2c3'\)/);
  const bad = await run(['rollout', 'show', 'bad..id']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^ERROR: 'bad\.\.id' is not a rollout id \(for '--id'\)\. Use the id 'aksnet rollout start' printed/);
  const none = await run(['rollout', 'wait']);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/^ERROR: the following arguments are required: --id\./);
});

it('commands without a positional argument still take options only', async () => {
  const r = await run(['rollout', 'list', 'r1']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^ERROR: unrecognized argument 'r1'\. aksnet rollout list takes options only/);
});

it('help shows the id alone in the examples and says both forms are accepted', async () => {
  const r = await run(['rollout', 'show', '--help']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('aksnet rollout show r1 --status failed -o table');
  expect(r.stdout.replace(/\s+/g, " ")).toContain("Also accepted alone, as the first argument");
});
