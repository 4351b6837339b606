/**
 * ASP.NET-style route templates as the Functions host reads an HTTP trigger's `route`:
 * literal segments (case-insensitive), `{name}`, optional `{name?}`, constrained `{id:int}` /
 * `{id:alpha}` / `{id:guid}` / `{id:bool}`, and a trailing catch-all `{*rest}`.
 * Hand-written: no installed package parses this syntax (path-to-regexp uses `:name`).
 */
export interface RouteTemplate {
  template: string;
  match(path: string): Record<string, string> | undefined;
}

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: string;
}

const constraints: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  double: /^-?\d+(\.\d+)?$/,
  float: /^-?\d+(\.\d+)?$/,
  decimal: /^-?\d+(\.\d+)?$/,
};

export function parseRouteTemplate(template: string): RouteTemplate {
  const segments: Segment[] = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      const m = /^\{(\*)?([A-Za-z_][\w]*)(?::([a-z]+)(?:\([^)]*\))?)?(\?)?\}$/.exec(s);
      if (!m) {
        if (s.includes('{')) throw new Error(`Unsupported route segment '${s}' in '${template}'; use {name}, {name?}, {name:int} or {*rest}.`);
        return { literal: s.toLowerCase() };
      }
      return { param: m[2], catchAll: m[1] === '*', constraint: m[3], optional: m[4] === '?' };
    });
  return {
    template,
    match(path: string): Record<string, string> | undefined {
      const parts = path
        .replace(/^\/+|\/+$/g, '')
        .split('/')
        .filter((p) => p.length > 0);
      const params: Record<string, string> = {};
      let i = 0;
      for (const seg of segments) {
        if (seg.catchAll) {
          params[seg.param as string] = parts.slice(i).map(decodeURIComponent).join('/');
          i = parts.length;
          break;
        }
        const part = parts[i];
        if (part === undefined) {
          if (seg.optional) continue;
          return undefined;
        }
        if (seg.literal !== undefined) {
          if (decodeURIComponent(part).toLowerCase() !== seg.literal) return undefined;
        } else {
          const value = decodeURIComponent(part);
          const re = seg.constraint ? constraints[seg.constraint] : undefined;
          if (re && !re.test(value)) return undefined;
          params[seg.param as string] = value;
        }
        i++;
      }
      return i === parts.length ? params : undefined;
    },
  };
}
