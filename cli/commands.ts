/**
 * The command table: every group module, assembled. To add a group, write cli/groups/<group>.ts
 * exporting a CommandGroupModule and add it to GROUP_MODULES below (see docs/cli.md).
 * Group modules hold data only; each command's handler is imported lazily when the command runs.
 */
import type { CommandGroupModule, CommandSpec, GroupSpec } from './types';
import { fleetGroup } from './groups/fleet';
import { clusterGroup } from './groups/cluster';
import { hostGroup } from './groups/host';
import { simGroup } from './groups/sim';
import { rolloutGroup } from './groups/rollout';
import { demoGroup } from './groups/demo';

export const GROUP_MODULES: readonly CommandGroupModule[] = [fleetGroup, clusterGroup, simGroup, hostGroup, rolloutGroup, demoGroup];

export interface CommandTable {
  commands: Map<string, CommandSpec>;
  groups: Map<string, GroupSpec>;
}

/** Builds the table, checking that names are unique and every command's group is declared. */
export function buildCommandTable(modules: readonly CommandGroupModule[] = GROUP_MODULES): CommandTable {
  const commands = new Map<string, CommandSpec>();
  const groups = new Map<string, GroupSpec>();
  for (const m of modules) {
    for (const g of m.groups) {
      if (groups.has(g.name)) throw new Error(`command table: group '${g.name}' is declared twice`);
      groups.set(g.name, g);
    }
  }
  for (const m of modules) {
    for (const c of m.commands) {
      if (commands.has(c.name)) throw new Error(`command table: command '${c.name}' is declared twice`);
      const parent = parentOf(c.name);
      if (parent && !groups.has(parent)) throw new Error(`command table: command '${c.name}' has no group '${parent}'`);
      const seen = new Set<string>();
      for (const a of c.args) for (const o of a.options) {
        if (seen.has(o)) throw new Error(`command table: '${c.name}' declares option '${o}' twice`);
        seen.add(o);
      }
      commands.set(c.name, c);
    }
  }
  return { commands, groups };
}

/** 'fleet assess' → 'fleet'; 'fleet' → ''. */
export function parentOf(name: string): string {
  const i = name.lastIndexOf(' ');
  return i < 0 ? '' : name.slice(0, i);
}

/** The direct children of a group ('' = root): its subgroups and its commands, each sorted by name. */
export function childrenOf(table: CommandTable, group: string): { groups: GroupSpec[]; commands: CommandSpec[] } {
  // Plain code-unit order: localeCompare would initialize ICU collation (~25 ms), a third of `aksnet --help`.
  const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    groups: [...table.groups.values()].filter((g) => parentOf(g.name) === group).sort(byName),
    commands: [...table.commands.values()].filter((c) => parentOf(c.name) === group).sort(byName),
  };
}

export type Resolved =
  | { kind: 'command'; command: CommandSpec; consumed: number }
  | { kind: 'group'; group: string; consumed: number }
  /** `unknown` is the first word that is neither a command nor a group under `group`. */
  | { kind: 'unknown'; group: string; unknown: string; consumed: number };

/** Walks the leading words of argv (up to the first option) through groups to a command. */
export function resolveCommand(table: CommandTable, words: readonly string[]): Resolved {
  let group = '';
  for (let i = 0; i < words.length; i++) {
    const name = group ? `${group} ${words[i]}` : words[i];
    const command = table.commands.get(name);
    if (command) return { kind: 'command', command, consumed: i + 1 };
    if (table.groups.has(name)) {
      group = name;
      continue;
    }
    return { kind: 'unknown', group, unknown: words[i], consumed: i };
  }
  return { kind: 'group', group, consumed: words.length };
}
