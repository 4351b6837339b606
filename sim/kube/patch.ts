/**
 * The two patch formats clients send: JSON Merge Patch (RFC 7386; strategic merge patch is treated the same,
 * which is exact for the maps and scalars aksnet patches) and JSON Patch (RFC 6902). Hand-written: a few
 * dozen lines, and no JSON Patch library is installed.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class PatchError extends Error {}

interface Operation {
  op: string;
  path: string;
  value?: Json;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`JSON Patch path '${path}' must start with '/'`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, tokens: string[], create: boolean): { parent: Record<string, unknown> | unknown[]; key: string } {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) {
      if (cur[t] === undefined && create) cur[t] = {};
      cur = cur[t];
    } else cur = undefined;
    if (cur === undefined) throw new PatchError(`JSON Patch path segment '${t}' does not exist`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError('JSON Patch target is not an object or array');
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function getAt(doc: unknown, tokens: string[]): unknown {
  let cur: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON Patch body must be an array of operations');
  const doc = structuredClone(target);
  for (const raw of ops as Operation[]) {
    const tokens = pointer(raw.path);
    if (tokens.length === 0) throw new PatchError('JSON Patch on the whole document is not supported');
    switch (raw.op) {
      case 'add':
      case 'replace': {
        const { parent, key } = parentOf(doc, tokens, raw.op === 'add');
        if (Array.isArray(parent)) {
          if (key === '-') parent.push(structuredClone(raw.value));
          else if (raw.op === 'add') parent.splice(Number(key), 0, structuredClone(raw.value));
          else parent[Number(key)] = structuredClone(raw.value);
        } else {
          if (raw.op === 'replace' && !(key in parent)) throw new PatchError(`JSON Patch replace: '${raw.path}' does not exist`);
          parent[key] = structuredClone(raw.value);
        }
        break;
      }
      case 'remove': {
        const { parent, key } = parentOf(doc, tokens, false);
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else {
          if (!(key in parent)) throw new PatchError(`JSON Patch remove: '${raw.path}' does not exist`);
          delete parent[key];
        }
        break;
      }
      case 'test': {
        if (JSON.stringify(getAt(doc, tokens)) !== JSON.stringify(raw.value)) throw new PatchError(`JSON Patch test failed at '${raw.path}'`);
        break;
      }
      default:
        throw new PatchError(`JSON Patch op '${raw.op}' is not supported (add, remove, replace, test)`);
    }
  }
  return doc;
}
