/**
 * Stand-in for `@azure/functions-core`, the module only the Azure Functions Node worker provides.
 * `@azure/functions` requires it lazily (tryGetCoreApiLazy) and, when it is missing, falls back to
 * "test mode" and skips every registration; with this stand-in every `app.*` / `df.app.*` call
 * lands here unchanged (see /work/shared/docs/durable-local-host.md, "Capturing registrations").
 *
 * The worker keeps one registry per process; so do we. A host takes the registrations made while it
 * loads its entry module (see loadEntry.ts), so several hosts in one process do not mix apps.
 */

/** A binding as `@azure/functions` describes it in the function metadata (toCoreFunctionMetadata). */
export interface CoreBinding {
  type: string;
  direction: 'in' | 'out' | 'inout';
  name?: string;
  [property: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

export type CoreFunctionCallback = (...args: unknown[]) => unknown;

export interface CoreRegistration {
  metadata: CoreFunctionMetadata;
  handler: CoreFunctionCallback;
}

/** The part of the library's ProgrammingModel the host drives (getInvocationModel → InvocationModel). */
export interface CoreInvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: CoreFunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] }>;
}

export interface CoreProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: unknown): CoreInvocationModel;
}

export type HookCallback = (context: unknown) => unknown;

/** Disposable as the worker exports it: `new Disposable(() => ...)`, `.dispose()`. */
export class Disposable {
  static from(...inputs: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => inputs.forEach((i) => i.dispose()));
  }
  #callOnDispose?: () => unknown;
  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }
  dispose(): void {
    const fn = this.#callOnDispose;
    this.#callOnDispose = undefined;
    if (fn) fn();
  }
}

type LogSink = (level: string, category: string, message: string) => void;

interface CoreState {
  registrations: CoreRegistration[];
  programmingModel?: CoreProgrammingModel;
  hooks: Map<string, HookCallback[]>;
  logSink: LogSink;
}

// One state per process, shared by every copy of this module (jest may load it twice: once through the
// stand-in mapping, once as host code), so the registry lives on globalThis under a private symbol.
const stateKey = Symbol.for('aksnet.local.functionsCore');
function state(): CoreState {
  const g = globalThis as unknown as Record<symbol, CoreState | undefined>;
  let s = g[stateKey];
  if (!s) {
    s = { registrations: [], hooks: new Map(), logSink: (level, category, message) => process.stderr.write(`[${level}] ${category}: ${message}\n`) };
    g[stateKey] = s;
  }
  return s;
}

export const version = '3.10.1-aksnet-local';

export function registerFunction(metadata: CoreFunctionMetadata, handler: CoreFunctionCallback): Disposable {
  const s = state();
  const registration: CoreRegistration = { metadata, handler };
  s.registrations.push(registration);
  return new Disposable(() => {
    const i = s.registrations.indexOf(registration);
    if (i >= 0) s.registrations.splice(i, 1);
  });
}

export function setProgrammingModel(model: CoreProgrammingModel): void {
  state().programmingModel = model;
}

export function getProgrammingModel(): CoreProgrammingModel | undefined {
  return state().programmingModel;
}

export function registerHook(hookName: string, callback: HookCallback): Disposable {
  const s = state();
  const list = s.hooks.get(hookName) ?? [];
  list.push(callback);
  s.hooks.set(hookName, list);
  return new Disposable(() => {
    const i = list.indexOf(callback);
    if (i >= 0) list.splice(i, 1);
  });
}

export function log(level: string, category: string, message: string): void {
  state().logSink(level, category, message);
}

/* ---- host side (not part of the worker's API) ---- */

/** Number of registrations so far; loadEntry takes the ones added while the entry loads. */
export function registrationCount(): number {
  return state().registrations.length;
}

export function registrationsSince(index: number): CoreRegistration[] {
  return state().registrations.slice(index);
}

export function hooksFor(hookName: string): HookCallback[] {
  return [...(state().hooks.get(hookName) ?? [])];
}

export function setLogSink(sink: LogSink): void {
  state().logSink = sink;
}
