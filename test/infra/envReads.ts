// Finds the environment variables (= app settings, in Azure Functions) that source code reads:
//  - process.env.NAME, process.env['NAME'], const { NAME } = process.env
//  - the same on an environment passed around as a value (a parameter or variable whose name ends in
//    "env"/"Env", typed NodeJS.ProcessEnv by convention): env.NAME, env['NAME'], env[NAME_CONSTANT]
//    where `const NAME_CONSTANT = 'NAME'` is declared in any scanned file;
//  - any string literal that is exactly an aksnet setting name ('AKSNET_...'), which catches reads
//    through small helpers such as list('AKSNET_REMEDIATION_TAGS').
// A text scan, not a type check: good enough to keep infra/ honest, and it never misses process.env.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface EnvRead {
  name: string;
  file: string;
  line: number;
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const RECEIVER = '(?:process\\.env|\\b(?:[A-Za-z_$][\\w$]*)?[eE]nv)'; // process.env, env, processEnv, appEnv ...
const DOT = new RegExp(`${RECEIVER}\\??\\.(${NAME})`, 'g'); // env.NAME, env?.NAME
const LITERAL_INDEX = new RegExp(`${RECEIVER}\\??\\.?\\[\\s*['"\`](${NAME})['"\`]\\s*\\]`, 'g'); // env['NAME']
const CONSTANT_INDEX = new RegExp(`${RECEIVER}\\??\\.?\\[\\s*(${NAME})\\s*\\]`, 'g'); // env[NAME_CONSTANT]
const DESTRUCTURE = new RegExp(`(?:const|let|var)\\s*\\{([^}]*)\\}\\s*=\\s*${RECEIVER}\\b`, 'g'); // const { A, B: b } = process.env
const AKSNET_LITERAL = /['"`](AKSNET_[A-Z0-9_]+)['"`]/g;
const CONSTANT = new RegExp(`\\bconst\\s+(${NAME})\\s*(?::\\s*string\\s*)?=\\s*['"\`](${NAME})['"\`]`, 'g');
/** Members of an environment object that are not variables. */
const NOT_VARIABLES = new Set(['hasOwnProperty', 'toString', 'valueOf']);

/** `const X = 'NAME'` declarations: constant name → string. */
export function stringConstantsIn(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(CONSTANT)) out.set(m[1], m[2]);
  return out;
}

/** Every environment read in one source text; `constants` resolves env[CONSTANT] reads. */
export function envReadsIn(text: string, file = '<inline>', constants: Map<string, string> = stringConstantsIn(text)): EnvRead[] {
  const found: EnvRead[] = [];
  const lineOf = (index: number): number => text.slice(0, index).split('\n').length;
  const add = (name: string | undefined, index: number | undefined): void => {
    // Settings start with a capital (AKSNET_X, AzureWebJobsStorage__accountName); `env.length` is no setting.
    if (name && /^[A-Z]/.test(name) && !NOT_VARIABLES.has(name)) found.push({ name, file, line: lineOf(index ?? 0) });
  };
  // Comments are not reads.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:])\/\/.*$/gm, (c, p: string) => p + ' '.repeat(c.length - p.length));
  for (const m of code.matchAll(DOT)) add(m[1], m.index);
  for (const m of code.matchAll(LITERAL_INDEX)) add(m[1], m.index);
  for (const m of code.matchAll(CONSTANT_INDEX)) if (constants.has(m[1])) add(constants.get(m[1]), m.index);
  for (const m of code.matchAll(AKSNET_LITERAL)) add(m[1], m.index);
  for (const m of code.matchAll(DESTRUCTURE)) {
    for (const part of m[1].split(',')) {
      const name = part.split(/[:=]/)[0].trim();
      if (new RegExp(`^${NAME}$`).test(name)) add(name, m.index);
    }
  }
  return found;
}

function sourceFiles(root: string, folders: string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a folder that does not exist (yet) reads nothing
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(full);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        files.push(full);
      }
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return files;
}

/**
 * Every environment read in the .ts files under `folders` (relative to root). Constants used as keys
 * are resolved across `constantFolders` too (a constant may be declared in another layer).
 */
export function envReadsUnder(root: string, folders: string[], constantFolders: string[] = folders): EnvRead[] {
  const constants = new Map<string, string>();
  for (const f of sourceFiles(root, [...new Set([...folders, ...constantFolders])])) {
    for (const [k, v] of stringConstantsIn(readFileSync(f, 'utf8'))) constants.set(k, v);
  }
  return sourceFiles(root, folders).flatMap((f) => envReadsIn(readFileSync(f, 'utf8'), relative(root, f), constants));
}
