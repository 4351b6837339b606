/**
 * The Resource Graph (KQL) query shapes the simulator understands — the ones the product sends — and a
 * clear 400 for everything else. Grammar (documented in docs/simulator.md):
 *
 *   Resources | where COND [and COND]... | project FIELD[, NAME = FIELD]... | order by FIELD [asc|desc] | limit N
 *   COND  := FIELD (=~ | == | != | !~) 'value'  |  FIELD (in | in~ | !in | !in~) ('a', 'b')
 *   FIELD := id | name | type | location | resourceGroup | subscriptionId | tags['k'] | tags.k | properties.a.b
 *
 * Hand-written: no KQL parser exists for Node, and the subset is small.
 */
export class QueryError extends Error {}

type Op = '=~' | '==' | '!=' | '!~' | 'in' | 'in~' | '!in' | '!in~';

export interface Condition {
  field: string[];
  op: Op;
  values: string[];
}

export interface ParsedQuery {
  table: 'resources';
  where: Condition[];
  project?: Array<{ name: string; field: string[] }>;
  order?: { field: string[]; desc: boolean };
  limit?: number;
}

/** Splits on a separator outside quotes. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      cur += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur += ch;
    } else if (text.startsWith(sep, i)) {
      out.push(cur);
      cur = '';
      i += sep.length - 1;
    } else cur += ch;
  }
  if (quote) throw new QueryError(`unterminated string literal in '${text.trim()}'`);
  out.push(cur);
  return out;
}

const FIELD = String.raw`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\s*(?:'[^']*'|"[^"]*")\s*\])*`;

function parseField(text: string): string[] {
  const t = text.trim();
  if (!new RegExp(`^${FIELD}$`).test(t)) throw new QueryError(`'${t}' is not a supported field (id, name, type, location, resourceGroup, subscriptionId, tags['k'], properties.a.b)`);
  const parts: string[] = [];
  const rx = /([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:'([^']*)'|"([^"]*)")\s*\]/g;
  let m: RegExpExecArray | null;
  while ((m = rx.exec(t))) parts.push(m[1] ?? m[2] ?? m[3]);
  return parts;
}

function parseString(text: string): string {
  const t = text.trim();
  const m = /^'([^']*)'$|^"([^"]*)"$/.exec(t);
  if (m) return m[1] ?? m[2];
  if (/^-?\d+(\.\d+)?$/.test(t) || /^(true|false)$/i.test(t)) return t;
  throw new QueryError(`'${t}' is not a string literal: quote it, e.g. '${t}'`);
}

function parseCondition(text: string): Condition {
  const t = text.trim();
  const inMatch = new RegExp(`^(${FIELD})\\s+(!?in~?)\\s*\\((.*)\\)$`, 'is').exec(t);
  if (inMatch) {
    const values = splitOutsideQuotes(inMatch[3], ',').map(parseString);
    return { field: parseField(inMatch[1]), op: inMatch[2].toLowerCase() as Op, values };
  }
  const m = new RegExp(`^(${FIELD})\\s*(=~|==|!=|!~)\\s*(.+)$`, 's').exec(t);
  if (!m) throw new QueryError(`unsupported condition '${t}': use FIELD =~ 'value', FIELD == 'value', FIELD != 'value' or FIELD in~ ('a', 'b')`);
  return { field: parseField(m[1]), op: m[2] as Op, values: [parseString(m[3])] };
}

export function parseQuery(query: string): ParsedQuery {
  const stages = splitOutsideQuotes(query.replace(/\r?\n/g, ' '), '|').map((s) => s.trim());
  const table = stages.shift() ?? '';
  if (!/^resources$/i.test(table)) throw new QueryError(`unsupported table '${table}': the simulator serves the 'Resources' table only`);
  const q: ParsedQuery = { table: 'resources', where: [] };
  for (const stage of stages) {
    let m: RegExpExecArray | null;
    if ((m = /^where\s+(.+)$/is.exec(stage))) {
      if (/\bor\b/i.test(splitOutsideQuotes(m[1], "'").filter((_, i) => i % 2 === 0).join(''))) throw new QueryError(`'or' is not supported in '${stage}': use 'in~ (...)' or separate queries`);
      for (const c of splitOutsideQuotes(m[1], ' and ')) q.where.push(parseCondition(c));
    } else if ((m = /^project\s+(.+)$/is.exec(stage))) {
      q.project = splitOutsideQuotes(m[1], ',').map((col) => {
        const a = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/s.exec(col);
        if (a) return { name: a[1], field: parseField(a[2]) };
        const field = parseField(col);
        return { name: field.join('_'), field };
      });
    } else if ((m = /^(?:order|sort)\s+by\s+(\S+)(?:\s+(asc|desc))?$/i.exec(stage))) {
      q.order = { field: parseField(m[1]), desc: (m[2] ?? 'desc').toLowerCase() === 'desc' };
    } else if ((m = /^(?:limit|take)\s+(\d+)$/i.exec(stage))) {
      q.limit = Number(m[1]);
    } else {
      throw new QueryError(`unsupported query operator '${stage.split(/\s+/)[0]}' in '${stage}': the simulator accepts where, project, order by, limit`);
    }
  }
  return q;
}

export function fieldValue(row: Record<string, unknown>, field: string[]): unknown {
  let cur: unknown = row;
  for (let i = 0; i < field.length; i++) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    const obj = cur as Record<string, unknown>;
    // Kusto column names are case-sensitive, but tag keys are compared case-insensitively by ARG.
    const key = field[i];
    cur = key in obj ? obj[key] : i > 0 && field[0].toLowerCase() === 'tags' ? obj[Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key] : obj[key];
  }
  return cur;
}

export function matches(row: Record<string, unknown>, c: Condition): boolean {
  const raw = fieldValue(row, c.field);
  const v = raw === undefined || raw === null ? '' : typeof raw === 'string' ? raw : JSON.stringify(raw);
  const ci = c.op.endsWith('~');
  const eq = (a: string, b: string): boolean => (ci ? a.toLowerCase() === b.toLowerCase() : a === b);
  switch (c.op) {
    case '=~':
    case '==':
      return eq(v, c.values[0]);
    case '!=':
    case '!~':
      return !eq(v, c.values[0]);
    case 'in':
    case 'in~':
      return c.values.some((x) => eq(v, x));
    case '!in':
    case '!in~':
      return !c.values.some((x) => eq(v, x));
  }
}
