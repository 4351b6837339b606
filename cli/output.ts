/**
 * Output formatting, as az does it: `-o json|jsonc|yaml|yamlc|table|tsv|none`, and `--query`
 * (JMESPath, compiled when the command line is parsed, applied before formatting). A command's
 * table transformer is skipped when a query is given, because the query already chose the shape.
 */
import type * as JmespathModule from 'jmespath';
import { InvalidArgumentValueError } from './errors';
import { OUTPUT_FORMATS, type OutputFormat, type TableTransformer } from './types';

// ---------------------------------------------------------------------------------------------
// --query
// ---------------------------------------------------------------------------------------------

interface JmesNode {
  type: string;
  name?: string;
  children?: JmesNode[];
}
// @types/jmespath declares only search(); the package also exports compile() (its parser), which is
// what lets us reject a bad query before the command runs. Loaded on first use (only with --query).
type Jmespath = typeof JmespathModule & { compile(expression: string): JmesNode };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadJmespath = (): Jmespath => require('jmespath') as Jmespath;

/** The JMESPath built-in functions (jmespath.org specification, "Built-in Functions"). */
const JMESPATH_FUNCTIONS = new Set([
  'abs', 'avg', 'ceil', 'contains', 'ends_with', 'floor', 'join', 'keys', 'length', 'map', 'max', 'max_by', 'merge', 'min',
  'min_by', 'not_null', 'reverse', 'sort', 'sort_by', 'starts_with', 'sum', 'to_array', 'to_number', 'to_string', 'type', 'values',
]);

function unknownFunction(node: JmesNode | undefined): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  if (node.type === 'Function' && node.name !== undefined && !JMESPATH_FUNCTIONS.has(node.name)) return node.name;
  for (const child of node.children ?? []) {
    const hit = unknownFunction(child);
    if (hit) return hit;
  }
  return undefined;
}

export type CompiledQuery = (data: unknown) => unknown;

/**
 * Compiles a JMESPath expression; a syntax error or an unknown function is a usage error (exit 2)
 * raised before the command runs.
 */
export function compileQuery(expression: string): CompiledQuery {
  const jmespath = loadJmespath();
  let ast: JmesNode;
  try {
    ast = jmespath.compile(expression);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new InvalidArgumentValueError(`'--query' is not a valid JMESPath expression: ${why}`, 'See https://jmespath.org/tutorial.html for the syntax');
  }
  const fn = unknownFunction(ast);
  if (fn) throw new InvalidArgumentValueError(`'--query' calls an unknown JMESPath function '${fn}()'`, `Use one of: ${[...JMESPATH_FUNCTIONS].join(', ')}`);
  return (data: unknown) => {
    try {
      return jmespath.search(data, expression) as unknown;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new InvalidArgumentValueError(`'--query' failed on the result: ${why}`, 'Check the types the expression expects against the JSON output (-o json)');
    }
  };
}

export function validateOutputFormat(value: string, option = '--output'): OutputFormat {
  const hit = OUTPUT_FORMATS.find((f) => f === value.trim().toLowerCase());
  if (!hit) throw new InvalidArgumentValueError(`'${value}' is not a valid value for '${option}'`, `Allowed values: ${OUTPUT_FORMATS.join(', ')}`);
  return hit;
}

// ---------------------------------------------------------------------------------------------
// Formatters
// ---------------------------------------------------------------------------------------------

const ANSI = { key: '\x1b[94m', string: '\x1b[32m', number: '\x1b[36m', literal: '\x1b[35m', reset: '\x1b[0m' };

/** JSON as az prints it: 2-space indent, keys in the object's order. */
export function formatJson(data: unknown): string {
  return `${JSON.stringify(data ?? null, null, 2)}\n`;
}

/**
 * Colorized JSON. Hand-written (a few lines over the JSON text) because none of the installed
 * packages colorize JSON, and az's jsonc is only pygments' JSON lexer with a terminal palette.
 */
export function formatJsonColor(data: unknown): string {
  const text = JSON.stringify(data ?? null, null, 2);
  const colored = text.replace(
    /("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
    (m, str: string | undefined, colon: string | undefined, lit: string | undefined, num: string | undefined) => {
      if (str !== undefined) return colon ? `${ANSI.key}${str}${ANSI.reset}${colon}` : `${ANSI.string}${str}${ANSI.reset}`;
      if (lit !== undefined) return `${ANSI.literal}${lit}${ANSI.reset}`;
      if (num !== undefined) return `${ANSI.number}${num}${ANSI.reset}`;
      return m;
    },
  );
  return `${colored}\n`;
}

export function formatYaml(data: unknown, color = false): string {
  // Loaded on demand: js-yaml is only needed for -o yaml.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml = require('js-yaml') as typeof import('js-yaml');
  const text = yaml.dump(data ?? null, { noRefs: true, lineWidth: -1, skipInvalid: true });
  if (!color) return text;
  return text.replace(/^(\s*(?:- )?)([^\s:'"][^:]*|'[^']*'|"[^"]*"):(?=\s|$)/gm, (_m, lead: string, key: string) => `${lead}${ANSI.key}${key}${ANSI.reset}:`);
}

function isScalar(v: unknown): boolean {
  return v === null || v === undefined || typeof v !== 'object';
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

/**
 * TSV as az prints it: one line per item of a list (or one line for a single object); an object's
 * scalar field values in order, tab-separated (nested objects and lists are left out); a scalar item
 * on its own line. Meant for shell loops: `for id in $(aksnet ... --query "[].id" -o tsv)`.
 */
export function formatTsv(data: unknown): string {
  const items = Array.isArray(data) ? data : [data];
  const lines = items.map((item) => {
    if (isScalar(item)) return scalarText(item);
    const values = Array.isArray(item) ? item : Object.values(item as Record<string, unknown>);
    return values.filter(isScalar).map(scalarText).join('\t');
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function capitalizeFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Rows for a table without a transformer: each object's scalar fields, headers capitalized (as az). */
export function autoTableRows(data: unknown): Array<Record<string, unknown>> {
  const items = Array.isArray(data) ? data : data === null || data === undefined ? [] : [data];
  return items.map((item) => {
    if (isScalar(item)) return { Result: item };
    if (Array.isArray(item)) return { Result: item.filter(isScalar).map(scalarText).join(', ') };
    const row: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) if (isScalar(v)) row[capitalizeFirst(k)] = v;
    return row;
  });
}

/** Aligned columns: header, a dashed rule, rows; columns are the union of the rows' keys in first-seen order. */
export function renderTable(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return '';
  const columns: string[] = [];
  for (const row of rows) for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
  const cells = rows.map((row) => columns.map((c) => scalarText(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

export function formatTable(data: unknown, transformer?: TableTransformer): string {
  if (transformer) {
    const { rows, footer } = transformer(data);
    return renderTable(rows) + (footer && footer.length ? `\n${footer.join('\n')}\n` : '');
  }
  return renderTable(autoTableRows(data));
}

export interface FormatOptions {
  /** The command's table transformer; ignored when a query was applied. */
  tableTransformer?: TableTransformer;
  queried?: boolean;
  /** stdout is a terminal: jsonc/yamlc colorize only then. */
  color?: boolean;
}

/** The text written to stdout for a command result (empty for `none` and for a command with no result). */
export function formatOutput(data: unknown, format: OutputFormat, opts: FormatOptions = {}): string {
  if (data === undefined) return '';
  switch (format) {
    case 'json':
      return formatJson(data);
    case 'jsonc':
      return opts.color ? formatJsonColor(data) : formatJson(data);
    case 'yaml':
      return formatYaml(data);
    case 'yamlc':
      return formatYaml(data, opts.color === true);
    case 'tsv':
      return formatTsv(data);
    case 'table':
      return formatTable(data, opts.queried ? undefined : opts.tableTransformer);
    case 'none':
      return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Writing a large result in pieces
// ---------------------------------------------------------------------------------------------

/** Pieces of about this size go to stdout: few enough writes to be cheap, small enough to stay off the heap. */
export const OUTPUT_CHUNK_CHARS = 64 * 1024;

/**
 * `formatJson(items)` written in pieces of about OUTPUT_CHUNK_CHARS: the same bytes, without ever holding
 * the whole text (39 MB for a 10,000-cluster assessment, and its intermediate copies) in memory.
 * JSON.stringify(array, null, 2) puts each item on its own lines indented by two more spaces, separated by
 * ",\n" (a JSON string never holds a raw newline, so indenting after every newline only touches layout);
 * an item JSON.stringify leaves out of an object (undefined, a function, a hole) is `null` in an array.
 */
export function writeJsonArray(items: readonly unknown[], write: (text: string) => void): void {
  if (items.length === 0) {
    write('[]\n');
    return;
  }
  let chunk = '[\n';
  for (let i = 0; i < items.length; i++) {
    const text = JSON.stringify(items[i], null, 2) as string | undefined;
    chunk += `  ${(text ?? 'null').replace(/\n/g, '\n  ')}${i === items.length - 1 ? '\n]\n' : ',\n'}`;
    if (chunk.length >= OUTPUT_CHUNK_CHARS) {
      write(chunk);
      chunk = '';
    }
  }
  if (chunk) write(chunk);
}

/** JSON.stringify would call toJSON on the array itself, and a subclass may stringify differently: only plain arrays stream. */
function streamableArray(data: unknown): data is unknown[] {
  return Array.isArray(data) && Object.getPrototypeOf(data) === Array.prototype && !Object.prototype.hasOwnProperty.call(data, 'toJSON');
}

/**
 * Writes a command result: `formatOutput`'s text, except that a plain array in uncolored JSON without
 * --query is written in pieces (writeJsonArray), so any command returning a large list costs its items,
 * not its items plus the whole text. With --query the result is shaped first and written whole.
 * Node writes stdout synchronously to files and pipes on Linux (Node docs, "A note on process I/O"), so the
 * pieces do not pile up in a queue.
 */
export function writeOutput(data: unknown, format: OutputFormat, write: (text: string) => void, opts: FormatOptions = {}): void {
  const plainJson = format === 'json' || (format === 'jsonc' && opts.color !== true);
  if (plainJson && !opts.queried && streamableArray(data)) {
    writeJsonArray(data, write);
    return;
  }
  write(formatOutput(data, format, opts));
}
