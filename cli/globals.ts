/** Arguments every command accepts (az's "Global Arguments"). */
import { validateOutputFormat } from './output';
import { OUTPUT_FORMATS, type ArgSpec } from './types';

export const GLOBAL_ARGS: readonly ArgSpec[] = [
  { dest: 'debug', options: ['--debug'], type: 'boolean', help: 'Increase logging verbosity to show all debug logs, and stack traces on errors.' },
  { dest: 'help', options: ['--help', '-h'], type: 'boolean', help: 'Show this help message and exit.' },
  { dest: 'onlyShowErrors', options: ['--only-show-errors'], type: 'boolean', help: 'Only show errors, suppressing warnings.' },
  {
    dest: 'output',
    options: ['--output', '-o'],
    enum: OUTPUT_FORMATS,
    help: 'Output format. jsonc and yamlc are colorized when stdout is a terminal.',
    default: 'json',
    validator: (v, o) => validateOutputFormat(v, o),
  },
  { dest: 'query', options: ['--query'], metavar: 'JMESPATH', help: 'JMESPath query string, applied before formatting. See http://jmespath.org/ for more information and examples.' },
  { dest: 'verbose', options: ['--verbose'], type: 'boolean', help: 'Increase logging verbosity. Use --debug for full debug logs.' },
];

/** Added to commands with `confirmation`. */
export const YES_ARG: ArgSpec = { dest: 'yes', options: ['--yes', '-y'], type: 'boolean', help: 'Do not prompt for confirmation.' };
/** Added to commands with `supportsNoWait`. */
export const NO_WAIT_ARG: ArgSpec = { dest: 'noWait', options: ['--no-wait'], type: 'boolean', help: 'Do not wait for the long-running operation to finish.' };
