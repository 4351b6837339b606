import fs from 'node:fs';
import path from 'node:path';

/**
 * The app's host.json, as the Functions host reads it from the app's root: the nearest host.json in the entry's
 * directory or above it. Only what the local host honours is read: durableTask.maxConcurrentActivityFunctions.
 */
export interface HostJsonSettings {
  /** Where it was found (undefined: none). */
  file?: string;
  maxConcurrentActivityFunctions?: number;
}

export function readHostJson(entry: string): HostJsonSettings {
  for (let dir = path.dirname(path.resolve(entry)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'host.json');
    if (fs.existsSync(file)) {
      let parsed: { extensions?: { durableTask?: { maxConcurrentActivityFunctions?: unknown } } };
      try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed;
      } catch (e) {
        throw new Error(`${file} is not valid JSON (${(e as Error).message.split('\n')[0]}): fix the file or remove it`);
      }
      const n = parsed.extensions?.durableTask?.maxConcurrentActivityFunctions;
      if (n === undefined) return { file };
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw new Error(`${file}: extensions.durableTask.maxConcurrentActivityFunctions is ${JSON.stringify(n)}: use a positive whole number, e.g. 50`);
      }
      return { file, maxConcurrentActivityFunctions: n };
    }
    if (path.dirname(dir) === dir) return {};
  }
}
