/**
 * Help as data (after azure-cli's `_help.py`): the root's summary and examples live here; each group
 * and command carries its own summary, long text and examples in its group module. This file renders
 * them in az's layout. Printed on stdout (it is the result of `--help`), exit code 0.
 */
import { childrenOf, type CommandTable } from './commands';
import { GLOBAL_ARGS, NO_WAIT_ARG, YES_ARG } from './globals';
import type { ArgSpec, CommandSpec, HelpText } from './types';

export const PROGRAM = 'aksnet';

export const ROOT_HELP: HelpText = {
  summary: 'Assess and migrate fleets of AKS clusters to Azure CNI Overlay and the Cilium data plane, safely.',
  long:
    "Commands read a snapshot file ('--snapshot') or Azure live ('--subscription', read-only; the simulator when AKSNET_ARM_ENDPOINT and AKSNET_CA_CERT are set). " +
    'Run any command with --help for its arguments and examples.',
  examples: [
    { summary: 'Assess a fleet', command: 'aksnet fleet assess --snapshot fleet.json --target overlay+cilium -o table' },
    { summary: 'Assess a subscription live', command: 'aksnet fleet assess --subscription 00000000-0000-0000-0000-000000000000 --target overlay+cilium -o table' },
    { summary: 'Check one cluster', command: 'aksnet cluster preflight --snapshot fleet.json -g rg-prod -n aks-prod-1 --target cilium' },
  ],
};

const WIDTH = 100;

/** Word-wraps `text` after `prefix` (kept as is, padding included); continuation lines start at `hanging`. */
function wrap(text: string, indent: number, hanging = indent, prefix = ''): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  const first = ' '.repeat(indent) + prefix;
  let cur = first;
  let start = first.length;
  for (const w of words) {
    if (cur.length > start && cur.length + 1 + w.length > WIDTH) {
      lines.push(cur);
      cur = ' '.repeat(hanging) + w;
      start = hanging;
    } else {
      cur += cur.length > start ? ` ${w}` : w;
    }
  }
  if (cur.trim()) lines.push(cur);
  return lines;
}

function entryLines(items: Array<{ label: string; summary: string }>): string[] {
  const width = Math.max(0, ...items.map((i) => i.label.length));
  return items.flatMap((i) => wrap(i.summary, 4, 4 + width + 3, `${i.label.padEnd(width)} : `));
}

function examplesLines(help: HelpText): string[] {
  if (!help.examples?.length) return [];
  return ['', 'Examples', ...help.examples.flatMap((e) => [...wrap(e.summary, 4), `        ${e.command}`, ''])].slice(0, -1);
}

function argLabel(a: ArgSpec): string {
  return a.options.join(' ');
}

function argSummary(a: ArgSpec): string {
  const parts = [a.help];
  if (a.enum) parts.push(`Allowed values: ${a.enum.join(', ')}.`);
  if (a.default !== undefined) parts.push(`Default: ${a.default}.`);
  return parts.join('  ');
}

function argSection(title: string, args: readonly ArgSpec[]): string[] {
  if (!args.length) return [];
  const labels = args.map((a) => `${argLabel(a)}${a.required ? ' [Required]' : ''}`);
  return ['', title, ...entryLines(args.map((a, i) => ({ label: labels[i], summary: argSummary(a) })))];
}

/** Help for a group ('' = the program itself). */
export function groupHelp(table: CommandTable, group: string): string {
  const help = group ? table.groups.get(group)?.help : ROOT_HELP;
  if (!help) throw new Error(`no help for group '${group}'`);
  const { groups, commands } = childrenOf(table, group);
  const lead = group ? `${PROGRAM} ${group}` : PROGRAM;
  const lines = ['', 'Group', ...wrap(`${lead} : ${help.summary}`, 4, 8)];
  if (help.long) lines.push(...wrap(help.long, 8));
  const tail = (name: string): string => (group ? name.slice(group.length + 1) : name);
  if (groups.length) lines.push('', 'Subgroups:', ...entryLines(groups.map((g) => ({ label: tail(g.name), summary: g.help.summary }))));
  if (commands.length) lines.push('', 'Commands:', ...entryLines(commands.map((c) => ({ label: tail(c.name), summary: c.help.summary }))));
  lines.push(...examplesLines(help));
  lines.push('', `Run '${lead} COMMAND --help' for more on a command.`);
  return `${lines.join('\n')}\n`;
}

/** Every argument a command accepts, including the ones its flags add (--yes, --no-wait). */
export function commandArgs(command: CommandSpec): ArgSpec[] {
  return [...command.args, ...(command.confirmation ? [YES_ARG] : []), ...(command.supportsNoWait ? [NO_WAIT_ARG] : [])];
}

export function commandHelp(command: CommandSpec): string {
  const args = commandArgs(command);
  const lines = ['', 'Command', ...wrap(`${PROGRAM} ${command.name} : ${command.help.summary}`, 4, 8)];
  if (command.help.long) lines.push(...wrap(command.help.long, 8));
  const sections = new Map<string, ArgSpec[]>();
  for (const a of args) {
    const title = a.group ?? 'Arguments';
    sections.set(title, [...(sections.get(title) ?? []), a]);
  }
  for (const [title, list] of sections) lines.push(...argSection(title, list));
  lines.push(...argSection('Global Arguments', GLOBAL_ARGS));
  lines.push(...examplesLines(command.help));
  return `${lines.join('\n')}\n`;
}
