/**
 * The shapes of the command table (as data): groups, commands, their arguments, help and flags.
 * A group module (cli/groups/*.ts) exports a {@link CommandGroupModule}; cli/commands.ts lists them.
 * Group modules stay light: handlers are loaded lazily, so `aksnet --help` loads no heavy module.
 */
import type { CLIError } from './errors';
import type { Logger } from './log';

export interface ArgSpec {
  /** Key in the parsed arguments object, e.g. 'resourceGroup'. */
  dest: string;
  /** Long option first, then aliases: ['--resource-group', '-g']. */
  options: readonly string[];
  help: string;
  /** Boolean switches take no value. */
  type?: 'string' | 'boolean';
  required?: boolean;
  /**
   * One of several arguments is required: every argument naming the same group here counts, and when
   * none is given the parser names them all ("--snapshot/-s or --subscription"). Checked with `required`.
   */
  requiredOneOf?: string;
  /** May be repeated (`--tag a=1 --tag b=2`): handlers get an array of the validated values. */
  multiple?: boolean;
  /** Allowed values, shown in help; the validator checks them. */
  enum?: readonly string[];
  /** Placeholder shown in help, e.g. 'FILE'. */
  metavar?: string;
  default?: string;
  /** Pure: turns the raw string into the value handlers get, or throws an InvalidArgumentValueError. */
  validator?: (value: string, option: string) => unknown;
  /** Help section for the argument (az groups arguments, e.g. 'Resource Id Arguments'). */
  group?: string;
  /**
   * The value may also be given alone, without the option (`aksnet rollout show ID` as well as `--id ID`): the
   * first bare word of the command line. Both forms with different values is a usage error. At most one per command.
   */
  positional?: boolean;
}

export interface Example {
  summary: string;
  command: string;
}

export interface HelpText {
  summary: string;
  long?: string;
  examples?: readonly Example[];
}

/** A table transformer turns a command's result into table rows (plus optional lines printed after). */
export type TableTransformer = (result: unknown) => { rows: Array<Record<string, unknown>>; footer?: string[] };

/** Arguments as handlers see them: validated values keyed by dest. */
export type ParsedArgs = Record<string, unknown>;

export interface CommandContext {
  log: Logger;
  /** Working directory against which file arguments resolve. */
  cwd: string;
  /** Environment (tests pass their own). */
  env: NodeJS.ProcessEnv;
  /** True when stdin is a terminal (confirmation prompts are possible). */
  interactive: boolean;
  /** Stderr writer for progress (never stdout, which carries results only); quiet unless stderr is a terminal. */
  progress: (line: string) => void;
  /** True when stderr is a terminal. */
  stderrIsTTY: boolean;
  /**
   * Raw stdout, for `streaming` commands only (a server's one ready line); every other command returns
   * its result and lets main() format it.
   */
  stdout: (text: string) => void;
  /**
   * Records an error to report AFTER the result is printed (e.g. some clusters could not be read): the
   * result still goes to stdout, then the error's line goes to stderr and its exit code is returned.
   */
  failAfterOutput: (error: CLIError) => void;
}

export type CommandHandler = (args: ParsedArgs, ctx: CommandContext) => Promise<unknown>;

export interface CommandSpec {
  /** Full name without the program, e.g. 'fleet assess'. */
  name: string;
  help: HelpText;
  args: readonly ArgSpec[];
  /** Lazy loader, e.g. `() => import('../handlers/fleet').then((m) => m.fleetAssess)`. */
  handler: () => Promise<CommandHandler>;
  /** Cross-argument validation run after each argument's validator (e.g. -g/-n vs --ids). */
  validate?: (args: ParsedArgs) => void;
  /** Table output; without one, `-o table` shows the scalar fields of each object (as az). */
  tableTransformer?: TableTransformer;
  /** Adds `--no-wait`; the handler receives args.noWait. */
  supportsNoWait?: boolean;
  /** A question asked before running; `--yes` skips it; without a terminal and without --yes the command fails. */
  confirmation?: string;
  /** Default `-o` for this command (az commands default to json). */
  defaultOutput?: OutputFormat;
  /** The output format whatever `-o` says (a snapshot is always JSON). */
  fixedOutput?: OutputFormat;
  /** The handler writes its own stdout (ctx.stdout) and returns undefined; `-o` and `--query` do not apply. */
  streaming?: boolean;
}

export interface GroupSpec {
  /** e.g. 'fleet' or 'rollout'; nested groups use spaces: 'sim cluster'. */
  name: string;
  help: HelpText;
}

export interface CommandGroupModule {
  groups: readonly GroupSpec[];
  commands: readonly CommandSpec[];
}

export const OUTPUT_FORMATS = ['json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
