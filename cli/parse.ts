/**
 * Parses a command's options against its argument metadata.
 *
 * Hand-written rather than commander or util.parseArgs: the table (cli/commands.ts) is the single
 * source of options, help and validators, and az's behaviour is what users expect: typed usage errors
 * naming the option and the fix (exit 2, one line), "did you mean" suggestions, value validation by
 * the argument's validator, `--help` winning over everything. commander would need exitOverride,
 * configureOutput and its own help suppressed to do the same; util.parseArgs reports unknown options
 * in a long message of its own and rejects values that start with '-'. The grammar is small:
 * `--long value`, `--long=value`, `-s value`, boolean switches, and one bare value for an argument declared
 * `positional` (`aksnet rollout show ID`, the same as `--id ID`).
 */
import { InvalidArgumentValueError, MutuallyExclusiveArgumentError, RequiredArgumentMissingError, UnrecognizedArgumentError } from './errors';
import { validateEnum } from './params';
import type { ArgSpec, ParsedArgs } from './types';

/** Levenshtein distance, for "did you mean" on a handful of short option names. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest candidate within a small distance, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function label(a: ArgSpec): string {
  return a.options.join('/');
}

export interface ParseResult {
  args: ParsedArgs;
  /** Options the user gave, by dest (to tell a default from an explicit value). */
  given: Set<string>;
}

/**
 * Parses tokens (everything after the command words). `helpCommand` is the command line to suggest
 * in messages, e.g. 'aksnet fleet assess'.
 */
export function parseOptions(tokens: readonly string[], specs: readonly ArgSpec[], helpCommand: string): ParseResult {
  const byOption = new Map<string, ArgSpec>();
  for (const s of specs) for (const o of s.options) byOption.set(o, s);
  const raw = new Map<string, { spec: ArgSpec; option: string; value: string | true; more: Array<{ option: string; value: string }> }>();
  const seeHelp = `Run '${helpCommand} --help' for the arguments and examples`;
  const positional = specs.find((s) => s.positional);
  let bare: string | undefined;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (positional && bare === undefined && !token.startsWith('-')) {
      bare = token;
      continue;
    }
    if (!token.startsWith('-') || token === '-' || token === '--') {
      if (positional && bare !== undefined && !token.startsWith('-')) {
        throw new UnrecognizedArgumentError(`unrecognized argument '${token}'`, `${helpCommand} takes one value without an option (its ${positional.metavar ?? positional.dest}, '${bare}'); ${seeHelp.charAt(0).toLowerCase()}${seeHelp.slice(1)}`);
      }
      throw new UnrecognizedArgumentError(`unrecognized argument '${token}'`, `${helpCommand} takes options only; ${seeHelp.charAt(0).toLowerCase()}${seeHelp.slice(1)}`);
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const option = eq > 0 ? token.slice(0, eq) : token;
    const inline = eq > 0 ? token.slice(eq + 1) : undefined;
    const spec = byOption.get(option);
    if (!spec) {
      const guess = closest(option, [...byOption.keys()].filter((o) => o.startsWith('--')));
      throw new UnrecognizedArgumentError(`unrecognized argument '${option}'`, guess ? `Did you mean '${guess}'? ${seeHelp}` : seeHelp);
    }
    if (raw.has(spec.dest) && !spec.multiple) {
      throw new InvalidArgumentValueError(`'${label(spec)}' is given more than once`, 'Give it once');
    }
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new InvalidArgumentValueError(`'${option}' is a switch and takes no value`, `Write '${option}' alone`);
      raw.set(spec.dest, { spec, option, value: true, more: [] });
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined || byOption.has(next.split('=')[0]) || next === '--') {
        throw new RequiredArgumentMissingError(`argument '${label(spec)}' expects a value`, `Give one after '${option}'${spec.enum ? ` (allowed values: ${spec.enum.join(', ')})` : ''}`);
      }
      value = next;
      i++;
    }
    const seen = raw.get(spec.dest);
    if (seen) seen.more.push({ option, value });
    else raw.set(spec.dest, { spec, option, value, more: [] });
  }

  if (positional && bare !== undefined) {
    const named = raw.get(positional.dest);
    if (!named) raw.set(positional.dest, { spec: positional, option: positional.options[0], value: bare, more: [] });
    else if (named.value !== true && named.value.trim() !== bare.trim()) {
      throw new MutuallyExclusiveArgumentError(
        `'${bare}' and '${named.option} ${named.value}' name two different values for '${label(positional)}'`,
        `Give it once: '${helpCommand} ${bare}' or '${helpCommand} ${named.option} ${bare}'`,
      );
    }
  }

  const args: ParsedArgs = {};
  const given = new Set<string>();
  const convert = (spec: ArgSpec, option: string, value: string): unknown =>
    spec.validator ? spec.validator(value, option) : spec.enum ? validateEnum(spec.enum, value, option) : value;
  for (const { spec, option, value, more } of raw.values()) {
    given.add(spec.dest);
    if (value === true) {
      args[spec.dest] = true;
      continue;
    }
    const first = convert(spec, option, value);
    args[spec.dest] = spec.multiple ? [first, ...more.map((m) => convert(spec, m.option, m.value))] : first;
  }
  // Missing arguments in declaration order; a `requiredOneOf` group is named once, as its alternatives.
  const missing: string[] = [];
  const groupsSeen = new Set<string>();
  for (const s of specs) {
    if (s.required && !given.has(s.dest)) missing.push(label(s));
    if (s.requiredOneOf && !groupsSeen.has(s.requiredOneOf)) {
      groupsSeen.add(s.requiredOneOf);
      const members = specs.filter((m) => m.requiredOneOf === s.requiredOneOf);
      if (!members.some((m) => given.has(m.dest))) missing.push(members.map(label).join(' or '));
    }
  }
  if (missing.length) {
    throw new RequiredArgumentMissingError(`the following arguments are required: ${missing.join(', ')}`, seeHelp);
  }
  for (const s of specs) {
    if (!given.has(s.dest) && s.default !== undefined) args[s.dest] = s.validator ? s.validator(s.default, s.options[0]) : s.default;
  }
  return { args, given };
}
