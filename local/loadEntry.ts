import Module from 'node:module';
import path from 'node:path';
import * as functionsCore from './functionsCore';
import type { CoreBinding, CoreProgrammingModel, CoreRegistration } from './functionsCore';

/**
 * Loads a Functions entry module the way the Node worker does: plain `require(entry)`, with
 * `@azure/functions-core` resolving to our stand-in (the worker injects the real one the same way,
 * by intercepting module resolution), and collects what the module registered.
 */

export type FunctionKind = 'orchestration' | 'activity' | 'entity' | 'http' | 'timer' | 'eventGrid' | 'other';

export interface RegisteredFunction {
  name: string;
  kind: FunctionKind;
  trigger: CoreBinding & { name: string };
  bindings: Record<string, CoreBinding>;
  registration: CoreRegistration;
}

export interface LoadedApp {
  entry: string;
  functions: Map<string, RegisteredFunction>;
  programmingModel: CoreProgrammingModel;
}

const coreModuleName = '@azure/functions-core';
type ResolveFilename = (this: unknown, request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
interface ModuleInternals {
  _resolveFilename: ResolveFilename;
}

let hookInstalled = false;
/** Makes `require('@azure/functions-core')` return local/functionsCore in plain Node (dist/ or ts). */
export function installFunctionsCoreResolver(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  const internals = Module as unknown as ModuleInternals;
  const original = internals._resolveFilename;
  const standIn = require.resolve('./functionsCore');
  internals._resolveFilename = function (request, parent, isMain, options) {
    if (request === coreModuleName) return standIn;
    return original.call(this, request, parent, isMain, options);
  } as ResolveFilename;
}

interface LoadCache {
  byEntry: Map<string, { registrations: CoreRegistration[]; programmingModel: CoreProgrammingModel }>;
}
const cacheKey = Symbol.for('aksnet.local.loadedEntries');
function loadCache(): LoadCache {
  const g = globalThis as unknown as Record<symbol, LoadCache | undefined>;
  let c = g[cacheKey];
  if (!c) {
    c = { byEntry: new Map() };
    g[cacheKey] = c;
  }
  return c;
}

function kindOf(triggerType: string): FunctionKind {
  switch (triggerType.toLowerCase()) {
    case 'orchestrationtrigger':
      return 'orchestration';
    case 'activitytrigger':
      return 'activity';
    case 'entitytrigger':
      return 'entity';
    case 'httptrigger':
      return 'http';
    case 'timertrigger':
      return 'timer';
    case 'eventgridtrigger':
      return 'eventGrid';
    default:
      return 'other';
  }
}

export function loadEntry(entry: string): LoadedApp {
  installFunctionsCoreResolver();
  const resolved = path.resolve(entry);
  const cache = loadCache();
  let loaded = cache.byEntry.get(resolved);
  if (!loaded) {
    const before = functionsCore.registrationCount();
    try {
      // the worker loads the entry with require() too (CommonJS entry, synchronous registration)
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(resolved);
    } catch (err) {
      // first line only: Node appends the require stack to "Cannot find module"
      const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      throw new Error(`Cannot load the functions entry ${resolved}: ${message}. Build the app first (npm run build) and pass its compiled entry, e.g. --entry dist/functions/index.js.`);
    }
    const registrations = functionsCore.registrationsSince(before);
    const programmingModel = functionsCore.getProgrammingModel();
    if (!programmingModel || registrations.length === 0) {
      throw new Error(
        `The functions entry ${resolved} registered no functions through @azure/functions-core. ` +
          `Let the host load the entry first (a module required earlier registers nothing the second time); ` +
          `under jest, map the module: moduleNameMapper { '^@azure/functions-core$': '<rootDir>/local/functionsCore.ts' }.`,
      );
    }
    loaded = { registrations, programmingModel };
    cache.byEntry.set(resolved, loaded);
  }
  const functions = new Map<string, RegisteredFunction>();
  for (const registration of loaded.registrations) {
    const bindings = registration.metadata.bindings;
    const triggerEntry = Object.entries(bindings).find(([, b]) => /trigger$/i.test(b.type));
    if (!triggerEntry) throw new Error(`Function ${registration.metadata.name} has no trigger binding.`);
    const [triggerName, trigger] = triggerEntry;
    functions.set(registration.metadata.name, {
      name: registration.metadata.name,
      kind: kindOf(trigger.type),
      trigger: { ...trigger, name: triggerName },
      bindings,
      registration,
    });
  }
  return { entry: resolved, functions, programmingModel: loaded.programmingModel };
}
