import { randomUUID } from 'node:crypto';
import { type CoreFunctionCallback, hooksFor, log as coreLog } from './functionsCore';
import type { LoadedApp, RegisteredFunction } from './loadEntry';

/**
 * Invokes a registered function through the library's own InvocationModel, the object the worker
 * drives (getArguments → invokeFunction → getResponse), so contexts, HttpRequest and HttpResponse are
 * built by the app's copy of @azure/functions exactly as in Azure.
 */

/** RPC TypedData, the wire shape the host sends the worker. */
export type TypedData =
  | { string: string }
  | { json: string }
  | { bytes: Uint8Array }
  | { http: RpcHttp }
  | { int: number }
  | { double: number };

export interface RpcHttp {
  method: string;
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  params: Record<string, string>;
  body?: { bytes: Uint8Array } | { string: string };
}

export interface RpcHttpResponse {
  statusCode?: string;
  headers?: Record<string, string>;
  body?: TypedData | null;
  cookies?: unknown[];
}

export interface InvokeOptions {
  /** The trigger payload as the host would send it. */
  triggerData?: TypedData;
  /**
   * The trigger payload passed by reference: used for orchestration triggers, whose payload (the
   * whole history) the real host serializes to JSON every episode; passing the object skips an O(n)
   * stringify+parse per episode without changing what the handler sees.
   */
  triggerValue?: unknown;
  extraInputs?: Record<string, TypedData>;
  triggerMetadata?: Record<string, TypedData>;
  log?: (level: string, category: string, message: string) => void;
  /** Skip getResponse (orchestrations: the host reads the returned state object itself). */
  rawResult?: boolean;
}

export interface InvokeResult {
  /** The handler's own return value (before conversion). */
  result: unknown;
  returnValue?: unknown;
  outputData: { name: string; data: unknown }[];
}

export async function invokeFunction(app: LoadedApp, fn: RegisteredFunction, options: InvokeOptions): Promise<InvokeResult> {
  const invocationId = randomUUID();
  const inputData: { name: string; data: TypedData }[] = [];
  if (options.triggerData !== undefined) inputData.push({ name: fn.trigger.name, data: options.triggerData });
  for (const [name, data] of Object.entries(options.extraInputs ?? {})) inputData.push({ name, data });
  // context.log and the library's system logs go to the host's log sink (stderr by default)
  const log = options.log ?? ((level: string, category: string, message: string) => coreLog(level, `${fn.name} ${category}`, message));
  const coreCtx = {
    invocationId,
    request: { invocationId, functionId: fn.name, inputData, triggerMetadata: options.triggerMetadata ?? {} },
    metadata: { name: fn.name, bindings: fn.bindings },
    state: 'invocation',
    log,
  };
  const model = app.programmingModel.getInvocationModel(coreCtx);
  const { context, inputs } = await model.getArguments();
  const args = options.triggerValue !== undefined ? [options.triggerValue, ...inputs] : inputs;
  // app.hook.preInvocation / postInvocation, with the context objects the worker passes
  const hookData: Record<string, unknown> = {};
  const pre = { hookData, invocationContext: context, inputs: args, functionCallback: fn.registration.handler as CoreFunctionCallback };
  for (const hook of hooksFor('preInvocation')) await hook(pre);
  let result: unknown;
  let error: unknown;
  try {
    result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (err) {
    error = err;
  }
  const postHooks = hooksFor('postInvocation');
  if (postHooks.length > 0) {
    const post = { hookData, invocationContext: context, inputs: pre.inputs, result, error };
    for (const hook of postHooks) await hook(post);
    result = post.result;
    error = post.error;
  }
  if (error !== undefined) throw error;
  if (options.rawResult) return { result, outputData: [] };
  const response = await model.getResponse(context, result);
  return { result, returnValue: response.returnValue, outputData: (response.outputData ?? []) as { name: string; data: unknown }[] };
}

/** Reads a TypedData value back into a JS value (the host side of fromRpcTypedData). */
export function fromTypedData(data: unknown): unknown {
  if (data === null || data === undefined || typeof data !== 'object') return data;
  const d = data as Record<string, unknown>;
  if (typeof d.string === 'string') return d.string;
  if (typeof d.json === 'string') return JSON.parse(d.json);
  if (d.bytes instanceof Uint8Array) return Buffer.from(d.bytes);
  if (typeof d.int === 'number') return d.int;
  if (typeof d.double === 'number') return d.double;
  return undefined;
}
