/**
 * Entry point: `main(argv)` resolves the command in the table, parses and validates its arguments,
 * runs the lazily loaded handler, applies --query, formats the result on stdout, and returns the exit
 * code. Nothing here calls process.exit: bin/aksnet.js sets process.exitCode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { buildCommandTable, childrenOf, GROUP_MODULES, resolveCommand, type CommandTable } from './commands';
import { CLIError, EXIT, UnrecognizedArgumentError, UnrecognizedCommandError, UsageError, errorLine } from './errors';
import { GLOBAL_ARGS } from './globals';
import { commandArgs, commandHelp, groupHelp, PROGRAM } from './help';
import { createLogger, levelFromFlags } from './log';
import { compileQuery, writeOutput, type CompiledQuery } from './output';
import { closest, parseOptions } from './parse';
import type { CommandContext, CommandGroupModule, CommandSpec, OutputFormat } from './types';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
  /** Progress lines are written only when stderr is a terminal (default false: quiet). */
  stderrIsTTY?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Asks a yes/no question on the terminal (only called when stdinIsTTY). */
  confirm: (question: string) => Promise<boolean>;
}

function processIO(): CliIO {
  // A closed pipe (`aksnet ... | head`) is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    stdoutIsTTY: process.stdout.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
    env: process.env,
    confirm: (question) =>
      new Promise((resolve) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        rl.question(`${question} (y/n): `, (answer) => {
          rl.close();
          resolve(/^y(es)?$/i.test(answer.trim()));
        });
      }),
  };
}

function version(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const isHelp = (t: string): boolean => t === '--help' || t === '-h';

function unknownCommand(table: CommandTable, group: string, word: string): UnrecognizedCommandError {
  const lead = group ? `${PROGRAM} ${group}` : PROGRAM;
  const { groups, commands } = childrenOf(table, group);
  const names = [...groups, ...commands].map((c) => c.name.split(' ').pop() as string);
  const guess = closest(word, names);
  return new UnrecognizedCommandError(`'${word}' is not in the '${lead}' command group`, guess ? `Did you mean '${lead} ${guess}'? See '${lead} --help'` : `See '${lead} --help'`);
}

async function runCommand(command: CommandSpec, tokens: readonly string[], io: CliIO, debug: boolean): Promise<number> {
  const specs = [...commandArgs(command), ...GLOBAL_ARGS];
  const helpCommand = `${PROGRAM} ${command.name}`;
  const { args, given } = parseOptions(tokens, specs, helpCommand);
  const log = createLogger(levelFromFlags({ onlyShowErrors: args.onlyShowErrors === true, verbose: args.verbose === true, debug }), io.stderr);
  const format = (command.fixedOutput ?? (given.has('output') ? args.output : (command.defaultOutput ?? args.output))) as OutputFormat;
  if (command.fixedOutput && given.has('output') && args.output !== command.fixedOutput) {
    log.warning(`'${helpCommand}' always writes ${command.fixedOutput}; '--output ${String(args.output)}' is ignored`);
  }
  // Compiled now, before the command runs: a bad query is a usage error (exit 2), as in az.
  const query: CompiledQuery | undefined = typeof args.query === 'string' ? compileQuery(args.query) : undefined;
  command.validate?.(args);

  if (command.confirmation && args.yes !== true) {
    if (!io.stdinIsTTY) {
      throw new UsageError(`'${helpCommand}' needs confirmation and there is no terminal to ask on`, "Add '--yes' to confirm");
    }
    if (!(await io.confirm(command.confirmation))) {
      log.warning('Cancelled; nothing was changed.');
      return EXIT.ok;
    }
  }

  const stderrIsTTY = io.stderrIsTTY === true;
  let deferred: CLIError | undefined;
  const ctx: CommandContext = {
    log,
    cwd: io.cwd,
    env: io.env,
    interactive: io.stdinIsTTY,
    stderrIsTTY,
    // Progress is for a person watching: quiet when stderr is a file or a pipe (CI logs, scripts).
    progress: (line) => {
      if (stderrIsTTY) io.stderr(`${line}\n`);
    },
    stdout: io.stdout,
    failAfterOutput: (error) => {
      deferred ??= error;
    },
  };
  log.debug(`command '${command.name}' with ${JSON.stringify(args)}`);
  const handler = await command.handler();
  const result = await handler(args, ctx);
  if (!command.streaming) {
    const shaped = query && result !== undefined ? query(result) : result;
    writeOutput(shaped, format, io.stdout, { tableTransformer: command.tableTransformer, queried: query !== undefined, color: io.stdoutIsTTY });
  }
  if (deferred) {
    io.stderr(`${errorLine(deferred)}\n`);
    return deferred.exitCode;
  }
  return EXIT.ok;
}

/**
 * Runs one command line and returns its exit code. `io` and `modules` default to the process and the
 * real command table; tests and embedders pass their own.
 */
export async function main(argv: string[], io: CliIO = processIO(), modules: readonly CommandGroupModule[] = GROUP_MODULES): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const table = buildCommandTable(modules);
    if (argv.length === 1 && argv[0] === '--version') {
      io.stdout(`${PROGRAM} ${version()}\n`);
      return EXIT.ok;
    }
    const firstOption = argv.findIndex((t) => t.startsWith('-'));
    const words = firstOption < 0 ? argv : argv.slice(0, firstOption);
    const resolved = resolveCommand(table, words);
    const rest = argv.slice(resolved.consumed);

    if (resolved.kind === 'unknown') throw unknownCommand(table, resolved.group, resolved.unknown);
    if (resolved.kind === 'group') {
      // As az: a group alone, or with --help, shows the group's help.
      const other = rest.filter((t) => !isHelp(t) && t !== '--debug' && t !== '--verbose' && t !== '--only-show-errors');
      if (other.length) {
        const lead = resolved.group ? `${PROGRAM} ${resolved.group}` : PROGRAM;
        throw new UnrecognizedArgumentError(`unrecognized argument '${other[0]}'`, `'${lead}' is a command group; see '${lead} --help'`);
      }
      io.stdout(groupHelp(table, resolved.group));
      return EXIT.ok;
    }
    if (rest.some(isHelp)) {
      io.stdout(commandHelp(resolved.command));
      return EXIT.ok;
    }
    return await runCommand(resolved.command, rest, io, debug);
  } catch (e) {
    if (e instanceof CLIError) {
      io.stderr(`${errorLine(e)}\n`);
      if (debug && e.stack) io.stderr(`${e.stack}\n`);
      return e.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr(`ERROR: The command failed with an unexpected error: ${err.message.split('\n')[0].replace(/[.\s]+$/, '')}. ${debug ? 'The stack trace follows.' : 'Run it again with --debug for the stack trace.'}\n`);
    if (debug && err.stack) io.stderr(`${err.stack}\n`);
    return EXIT.error;
  }
}
