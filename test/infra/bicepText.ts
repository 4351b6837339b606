// A small reader for Bicep source text, enough for structural checks without the Bicep CLI (which
// cannot run where aksnet is built). Hand-written because no installed package parses Bicep: it
// masks strings and comments so braces can be matched, then finds resource declarations and the
// object bodies of named properties.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface BicepFile {
  path: string;
  text: string;
  /** `text` with comments and string contents replaced by spaces (same offsets). */
  code: string;
}

export interface BicepResource {
  file: string;
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  /** Text of the `{ ... }` body, braces included. */
  body: string;
  /** Comment lines directly above the declaration (no blank line in between), without the slashes. */
  leadingComment: string;
  line: number;
}

/**
 * Replace comments and the inside of string literals (interpolations included) by spaces.
 * With `keepStrings`, only comments are blanked (to find identifiers used inside interpolations).
 */
export function maskBicep(text: string, keepStrings = false): string {
  const out = text.split('');
  let i = 0;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Returns the index just past the closing quote of the string starting at `start` (a quote).
  const skipString = (start: number): number => {
    if (text.startsWith("'''", start)) {
      const end = text.indexOf("'''", start + 3);
      return end < 0 ? text.length : end + 3;
    }
    let k = start + 1;
    while (k < text.length) {
      const c = text[k];
      if (c === '\\') {
        k += 2;
        continue;
      }
      if (c === "'") return k + 1;
      if (c === '$' && text[k + 1] === '{') {
        k = skipExpression(k + 2);
        continue;
      }
      k++;
    }
    return k;
  };
  // Returns the index just past the `}` closing an interpolation whose body starts at `start`.
  const skipExpression = (start: number): number => {
    let depth = 1;
    let k = start;
    while (k < text.length && depth > 0) {
      const c = text[k];
      if (c === "'") {
        k = skipString(k);
        continue;
      }
      if (c === '{') depth++;
      if (c === '}') depth--;
      k++;
    }
    return k;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'") {
      const stop = skipString(i);
      if (!keepStrings) blank(i + 1, stop - 1); // keep the quotes so "name: ''" stays recognisable as a string
      i = stop;
    } else {
      i++;
    }
  }
  return out.join('');
}

/** Index of the brace matching the one at `open` in masked code. */
export function matchBrace(code: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const closer = pairs[code[open]];
  if (!closer) throw new Error(`no opening bracket at ${open}`);
  let depth = 0;
  for (let k = open; k < code.length; k++) {
    if (code[k] === code[open]) depth++;
    else if (code[k] === closer) {
      depth--;
      if (depth === 0) return k;
    }
  }
  throw new Error(`unbalanced ${code[open]} at ${open}`);
}

export function loadBicep(root: string): BicepFile[] {
  const files: BicepFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.bicep')) {
        const text = readFileSync(full, 'utf8');
        files.push({ path: relative(root, full), text, code: maskBicep(text) });
      }
    }
  };
  walk(root);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

export function parseBicep(path: string, text: string): BicepFile {
  return { path, text, code: maskBicep(text) };
}

const RESOURCE = /^resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s+(existing\s+)?=\s*(?:\[\s*for\b[^\n]*?:\s*)?(?:if\s*\()?/gm;

export function resources(file: BicepFile): BicepResource[] {
  const found: BicepResource[] = [];
  // The declaration header is matched on the original text (the type string is masked in `code`).
  for (const m of file.text.matchAll(RESOURCE)) {
    const start = m.index ?? 0;
    if (file.code.slice(start, start + 8) !== 'resource') continue; // inside a comment or string
    let from = start + m[0].length;
    if (m[0].trimEnd().endsWith('(')) from = matchBrace(file.code, from - 1) + 1; // skip `if (condition)`
    const open = file.code.indexOf('{', from);
    const close = matchBrace(file.code, open);
    const before = file.text.slice(0, start).split('\n');
    before.pop(); // the declaration line itself
    const comment: string[] = [];
    while (before.length > 0 && /^\s*\/\//.test(before[before.length - 1])) {
      comment.unshift(before.pop()!.replace(/^\s*\/\/\s?/, ''));
    }
    found.push({
      file: file.path,
      symbol: m[1],
      type: m[2],
      apiVersion: m[3],
      existing: Boolean(m[4]),
      body: file.text.slice(open, close + 1),
      leadingComment: comment.join('\n'),
      line: file.text.slice(0, start).split('\n').length,
    });
  }
  return found;
}

/**
 * The `{ ... }` (or `[ ... ]`) value of the first `name:` property inside `text`, at any depth.
 * Returns undefined when absent.
 */
export function propertyBlock(text: string, name: string): string | undefined {
  const code = maskBicep(text);
  const re = new RegExp(`(^|[\\s{,])${name}\\s*:\\s*`, 'gm');
  for (const m of code.matchAll(re)) {
    const at = (m.index ?? 0) + m[0].length;
    const ch = code[at];
    if (ch === '{' || ch === '[') return text.slice(at, matchBrace(code, at) + 1);
  }
  return undefined;
}

/** The literal value text of the first `name: value` property inside `text` (to the end of the line, comment removed). */
export function propertyValue(text: string, name: string): string | undefined {
  const code = maskBicep(text);
  const re = new RegExp(`(^|[\\s{,])${name}\\s*:\\s*`, 'gm');
  const m = re.exec(code);
  if (!m) return undefined;
  const at = (m.index ?? 0) + m[0].length;
  // The value ends at the end of the line, or at a `,` `}` `]` closing an inline object or array.
  let depth = 0;
  let stop = at;
  for (; stop < code.length && code[stop] !== '\n'; stop++) {
    const c = code[stop];
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
  }
  // A trailing comment is blank in `code`: trimming `code` cuts it off the original text.
  return text.slice(at, at + code.slice(at, stop).trimEnd().length).trim();
}

/** Top-level keys of an object literal `{ ... }` (nested objects are skipped). */
export function objectKeys(block: string): string[] {
  const code = maskBicep(block);
  const keys: string[] = [];
  let depth = 0;
  let lineStart = true;
  for (let k = 0; k < code.length; k++) {
    const c = code[k];
    if (c === '{' || c === '[' || c === '(') {
      depth++;
      continue;
    }
    if (c === '}' || c === ']' || c === ')') {
      depth--;
      continue;
    }
    if (c === '\n') {
      lineStart = true;
      continue;
    }
    if (lineStart && depth === 1 && /\S/.test(c)) {
      lineStart = false;
      const m = /^([A-Za-z_][A-Za-z0-9_]*|'[^']*')\s*:/.exec(block.slice(k));
      if (m) keys.push(m[1].replace(/^'|'$/g, ''));
    } else if (/\S/.test(c)) {
      lineStart = false;
    }
  }
  return keys;
}

/** `param` declarations: name → whether a default value is given. */
export function params(file: BicepFile): Map<string, { hasDefault: boolean }> {
  const out = new Map<string, { hasDefault: boolean }>();
  for (const m of file.code.matchAll(/^param\s+(\w+)\s+[\w[\].]+(\s*=)?/gm)) {
    out.set(m[1], { hasDefault: Boolean(m[2]) });
  }
  return out;
}

export interface BicepModule {
  file: string;
  symbol: string;
  path: string;
  body: string;
}

const MODULE = /^module\s+(\w+)\s+'([^']+)'\s+=\s*(?:\[\s*for\b[^\n]*?:\s*)?(?:if\s*\()?/gm;

/** `module` declarations with the text of their `{ ... }` body. */
export function modules(file: BicepFile): BicepModule[] {
  const found: BicepModule[] = [];
  for (const m of file.text.matchAll(MODULE)) {
    const start = m.index ?? 0;
    if (file.code.slice(start, start + 6) !== 'module') continue;
    let from = start + m[0].length;
    if (m[0].trimEnd().endsWith('(')) from = matchBrace(file.code, from - 1) + 1;
    const open = file.code.indexOf('{', from);
    found.push({ file: file.path, symbol: m[1], path: m[2], body: file.text.slice(open, matchBrace(file.code, open) + 1) });
  }
  return found;
}

/** `output` names. */
export function outputs(file: BicepFile): Set<string> {
  return new Set([...file.code.matchAll(/^output\s+(\w+)\s/gm)].map((m) => m[1]));
}
