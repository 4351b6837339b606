/**
 * Logs go to stderr only (stdout carries results), with az's prefixes and verbosity switches:
 * default shows warnings and errors, `--only-show-errors` hides warnings, `--verbose` adds info,
 * `--debug` adds debug lines (and stack traces on errors).
 */
export type LogLevel = 'error' | 'warning' | 'info' | 'debug';

export interface Logger {
  readonly level: LogLevel;
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

const ORDER: Record<LogLevel, number> = { error: 0, warning: 1, info: 2, debug: 3 };

export function levelFromFlags(flags: { onlyShowErrors?: boolean; verbose?: boolean; debug?: boolean }): LogLevel {
  if (flags.debug) return 'debug';
  if (flags.verbose) return 'info';
  if (flags.onlyShowErrors) return 'error';
  return 'warning';
}

export function createLogger(level: LogLevel, write: (line: string) => void): Logger {
  const emit = (at: LogLevel, prefix: string, message: string): void => {
    if (ORDER[at] <= ORDER[level]) write(`${prefix}: ${message}\n`);
  };
  return {
    level,
    error: (m) => emit('error', 'ERROR', m),
    warning: (m) => emit('warning', 'WARNING', m),
    info: (m) => emit('info', 'INFO', m),
    debug: (m) => emit('debug', 'DEBUG', m),
  };
}
