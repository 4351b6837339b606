/**
 * Typed CLI errors, after azure-cli's `azure.cli.core.azclierror`: each carries the exit code and a
 * recommendation, and main() prints it as ONE line on stderr: `ERROR: <problem>. <fix>`.
 *
 * Exit codes (as az): 0 success, 1 error, 2 usage/validation error, 3 resource not found; 130 interrupted
 * (Ctrl-C), as a shell reports a command SIGINT ended (128 + 2).
 * Decision: a --snapshot file that is missing, unreadable, not JSON or not a snapshot is a *usage*
 * error (2), like any other argument value the command cannot accept; 3 is reserved for Azure
 * resources (a cluster that is not in the snapshot), as az reserves it for ResourceNotFoundError.
 */
export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CLIError extends Error {
  readonly exitCode: ExitCode = EXIT.error;
  constructor(
    message: string,
    /** What the user should do about it; printed after the problem on the same line. */
    public readonly recommendation?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Something failed on the Azure (or simulator) side. */
export class AzureError extends CLIError {}

/** Bad usage of the command line: exit code 2. */
export class UsageError extends CLIError {
  override readonly exitCode: ExitCode = EXIT.usage;
}
export class UnrecognizedCommandError extends UsageError {}
export class UnrecognizedArgumentError extends UsageError {}
export class InvalidArgumentValueError extends UsageError {}
export class RequiredArgumentMissingError extends UsageError {}
export class MutuallyExclusiveArgumentError extends UsageError {}
/** A file named on the command line cannot be used (missing, unreadable, not the expected content). */
export class FileArgumentError extends UsageError {}

export class ResourceNotFoundError extends CLIError {
  override readonly exitCode: ExitCode = EXIT.notFound;
}

/** The user pressed Ctrl-C: exit 130. */
export class InterruptedError extends CLIError {
  override readonly exitCode: ExitCode = EXIT.interrupted;
}

/** The one line printed for an error: `ERROR: <problem>. <fix>` (no trailing period doubled). */
export function errorLine(err: CLIError): string {
  const sentence = (s: string): string => {
    const t = s.trim().replace(/\s*\n\s*/g, ' ');
    return /[.!?]$/.test(t) ? t : `${t}.`;
  };
  return `ERROR: ${sentence(err.message)}${err.recommendation ? ` ${sentence(err.recommendation)}` : ''}`;
}
