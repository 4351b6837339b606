/**
 * Every example in the help (`aksnet … --help`) is a command line the CLI accepts: it names a command of the table,
 * every option exists, every value passes its validator (ports, ids, URLs, enums, numbers), the command's own
 * cross-argument checks pass and a `--query` compiles. Parsed exactly as `aksnet` parses it (cli/main.ts), without
 * running the command. A renamed option or a tightened validator that leaves an example behind fails here.
 */
import { buildCommandTable, resolveCommand } from '../../cli/commands';
import { GLOBAL_ARGS } from '../../cli/globals';
import { commandArgs } from '../../cli/help';
import { compileQuery } from '../../cli/output';
import { parseOptions } from '../../cli/parse';

/** Splits an example as a POSIX shell would for these simple lines: spaces, and '…' or "…" quoting. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** The commands of an example line (`a && b`, `a | b`, `a; b`), each without its redirections (`> file`). */
function commandsOf(line: string): string[][] {
  const out: string[][] = [[]];
  const words = shellWords(line);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (['&&', '||', '|', ';'].includes(w)) out.push([]);
    else if (/^\d?>>?$/.test(w)) i++;
    else out[out.length - 1].push(w);
  }
  return out;
}

const table = buildCommandTable();
const examples = [
  ...[...table.groups.values()].flatMap((g) => (g.help.examples ?? []).map((e) => [`group ${g.name}`, e.command] as const)),
  ...[...table.commands.values()].flatMap((c) => (c.help.examples ?? []).map((e) => [c.name, e.command] as const)),
];

it('the help has examples to check', () => {
  expect(examples.length).toBeGreaterThan(30);
  expect(commandsOf(`aksnet rollout resume --id r1 --reason "quota raised" --query '[].id' > out.json && aksnet rollout list`)).toEqual([
    ['aksnet', 'rollout', 'resume', '--id', 'r1', '--reason', 'quota raised', '--query', '[].id'],
    ['aksnet', 'rollout', 'list'],
  ]);
});

it.each(examples)('%s: `%s` parses', (_owner, line) => {
  const commands = commandsOf(line).filter((words) => words[0] === 'aksnet');
  expect(commands.length).toBeGreaterThan(0);
  for (const words of commands) {
    const argv = words.slice(1);
    const firstOption = argv.findIndex((t) => t.startsWith('-'));
    const resolved = resolveCommand(table, firstOption < 0 ? argv : argv.slice(0, firstOption));
    if (resolved.kind !== 'command') throw new Error(`'${words.join(' ')}' does not name a command (resolved to ${resolved.kind})`);
    const { args } = parseOptions(argv.slice(resolved.consumed), [...commandArgs(resolved.command), ...GLOBAL_ARGS], `aksnet ${resolved.command.name}`);
    resolved.command.validate?.(args);
    if (typeof args.query === 'string') compileQuery(args.query);
  }
});
