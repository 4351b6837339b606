/**
 * One gateway for Azure and the simulator: the real SDK clients (@azure/arm-containerservice,
 * @azure/arm-network, @azure/arm-resourcegraph), pointed at management.azure.com with
 * DefaultAzureCredential, or at the simulator when AKSNET_ARM_ENDPOINT is set. Only the endpoint, the
 * trusted CA and the credential differ (docs/gateway.md).
 *
 * Trust: the three SDKs accept a Node https.Agent in their options (core-rest-pipeline `agent`,
 * ms-rest-js `agentSettings`), so the simulator's CA is given to one keep-alive agent that every
 * client shares; NODE_EXTRA_CA_CERTS would need setting before Node starts, which a library cannot do.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createSecureContext } from 'node:tls';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';
import { CLOCK_SCALE_HEADER } from './clockHeader';
import { GatewayConfigError, resolveArmTarget, type ArmTarget, type TargetOptions } from './target';
import { simulatorCredential } from './credential';
import { ArmPacer, ARM_THROTTLING_MODEL, type PacingOptions } from './pacing';

/** What the gateway sent, counted on the wire (each retry counts). */
export interface GatewayStats {
  /** ARM requests (ContainerService + Network), including retries. */
  arm: number;
  armReads: number;
  armWrites: number;
  /** Resource Graph queries, including retries. */
  resourceGraph: number;
  /** 429 responses seen (ARM and Resource Graph). */
  throttled: number;
  /** 5xx responses and dropped connections seen (before the SDK retried). */
  serverErrors: number;
  /** Requests per operation, e.g. `GET Microsoft.Network/virtualNetworks` (each retry counts). */
  byOperation: Record<string, number>;
}

/** `GET Microsoft.Network/virtualNetworks` from a request: method and the resource type chain of the URL path. */
export function operationKey(method: string, url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url;
  }
  const parts = path.split('/').filter(Boolean);
  const i = parts.findIndex((p) => p.toLowerCase() === 'providers');
  if (i < 0 || i + 1 >= parts.length) return `${method} ${path}`;
  const types = [parts[i + 1]];
  for (let j = i + 2; j < parts.length; j += 2) types.push(parts[j]);
  return `${method} ${types.join('/')}`;
}

export interface AzureClientsOptions extends TargetOptions {
  /** Credential for real Azure (default DefaultAzureCredential) or for the simulator (default a JWT naming the local user). */
  credential?: TokenCredential;
  /** Retries per request for throttling and transient faults (default 10: bulk reads meet 429s by design). */
  maxRetries?: number;
  /** First retry delay in ms for transient faults, doubling up to 30 s (default 500; 429s wait Retry-After). */
  retryDelayInMs?: number;
  /** Sockets per host (default 256). */
  maxSockets?: number;
  /**
   * Pace ARM calls per subscription to ARM's token buckets (default: on, with the documented model; pass
   * another model to match a different limit, or false to rely on Retry-After alone). See pacing.ts.
   */
  pacing?: false | PacingOptions;
  /**
   * Simulator only: the caller's timers run this many times faster than wall time (the local host's clock scale;
   * default AKSNET_CLOCK_SCALE). Sent as `x-aksnet-clock-scale` so the simulator counts an operation's Retry-After
   * in the caller's seconds (docs/simulator.md § Long-running operations); SDK LRO pollers on the wall clock omit it.
   */
  clockScale?: number;
}


/** AKSNET_ARM_PACING: 'on' (default) or 'off'; anything else is a one-line error, never a silent default. */
export function armPacingFromEnv(env: NodeJS.ProcessEnv): 'on' | 'off' {
  const raw = env.AKSNET_ARM_PACING?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'on') return 'on';
  if (raw === 'off') return 'off';
  throw new GatewayConfigError(`AKSNET_ARM_PACING='${env.AKSNET_ARM_PACING}' is not 'on' or 'off': unset it (pacing on) or set it to 'off' for a simulator without throttling under a compressed clock`);
}

/** AKSNET_CLOCK_SCALE: a positive number (default 1); anything else is a one-line error, never a silent default. */
export function clockScaleFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.AKSNET_CLOCK_SCALE?.trim();
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new GatewayConfigError(`AKSNET_CLOCK_SCALE='${env.AKSNET_CLOCK_SCALE}' is not a positive number: set it to the local host's clock scale (1/timeScale of the simulator), or unset it`);
  return n;
}

function clockScalePolicy(scale: number): PipelinePolicy {
  return {
    name: 'aksnetClockScale',
    sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      request.headers.set(CLOCK_SCALE_HEADER, String(scale));
      return next(request);
    },
  };
}

export interface AzureClients {
  readonly target: ArmTarget;
  readonly credential: TokenCredential;
  readonly stats: GatewayStats;
  /** ContainerServiceClient for a subscription (cached). */
  containerService(subscriptionId: string): ContainerServiceClient;
  /** NetworkManagementClient for a subscription (cached). */
  network(subscriptionId: string): NetworkManagementClient;
  readonly resourceGraph: ResourceGraphClient;
  /** The trusted CA (PEM) when talking to the simulator. */
  readonly ca?: string;
  /** Closes pooled sockets. */
  close(): void;
}

const RG_OPERATION = 'POST Microsoft.ResourceGraph/resources';
const WRITE_METHODS = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

function countingPolicy(stats: GatewayStats): PipelinePolicy {
  return {
    name: 'aksnetRequestCounter',
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      stats.arm++;
      const op = operationKey(request.method, request.url);
      stats.byOperation[op] = (stats.byOperation[op] ?? 0) + 1;
      if (WRITE_METHODS.has(request.method)) stats.armWrites++;
      else stats.armReads++;
      try {
        const response = await next(request);
        if (response.status === 429) stats.throttled++;
        else if (response.status >= 500) stats.serverErrors++;
        return response;
      } catch (e) {
        stats.serverErrors++;
        throw e;
      }
    },
  };
}

/** ms-rest-js (Resource Graph SDK) request policy factory with the same counting. */
interface MsRestPolicy {
  sendRequest(request: unknown): Promise<{ status: number }>;
}
interface MsRestPolicyFactory {
  create(next: MsRestPolicy, options: unknown): MsRestPolicy;
}
function msRestCountingFactory(stats: GatewayStats): MsRestPolicyFactory {
  return {
    create(next: MsRestPolicy): MsRestPolicy {
      return {
        async sendRequest(request: unknown) {
          stats.resourceGraph++;
          stats.byOperation[RG_OPERATION] = (stats.byOperation[RG_OPERATION] ?? 0) + 1;
          try {
            const response = await next.sendRequest(request);
            if (response.status === 429) stats.throttled++;
            else if (response.status >= 500) stats.serverErrors++;
            return response;
          } catch (e) {
            stats.serverErrors++;
            throw e;
          }
        },
      };
    },
  };
}

export function emptyStats(): GatewayStats {
  return { arm: 0, armReads: 0, armWrites: 0, resourceGraph: 0, throttled: 0, serverErrors: 0, byOperation: {} };
}

/**
 * Creates the gateway. Reads AKSNET_ARM_ENDPOINT / AKSNET_CA_CERT unless `endpoint` / `caCertPath` are
 * given; throws GatewayConfigError (one line naming the fix) on bad values.
 */
export function createAzureClients(options: AzureClientsOptions = {}): AzureClients {
  const target = resolveArmTarget(options);
  const ca = target.kind === 'simulator' ? target.ca : undefined;
  const credential = options.credential ?? (target.kind === 'simulator' ? simulatorCredential() : new DefaultAzureCredential());
  const maxSockets = options.maxSockets ?? 256;
  // One TLS context built from the CA for every connection, instead of one per connection.
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets, ...(ca ? { secureContext: createSecureContext({ ca }) } : {}) });
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
  const stats = emptyStats();
  const retryOptions = { maxRetries: options.maxRetries ?? 10, retryDelayInMs: options.retryDelayInMs ?? 500, maxRetryDelayInMs: 30_000 };
  const counter = countingPolicy(stats);
  // AKSNET_ARM_PACING=off: the app's clients (functions/dependencies.ts) against a simulator whose throttling is off
  // under a compressed clock (bench/rollout.ts): wall-clock buckets would pace simulated time clockScale× too tightly.
  const pacingOff = options.pacing === false || (options.pacing === undefined && armPacingFromEnv(process.env) === 'off');
  const pacing = pacingOff ? undefined : new ArmPacer(options.pacing || ARM_THROTTLING_MODEL);
  const clockScale = target.kind === 'simulator' ? (options.clockScale ?? clockScaleFromEnv(process.env)) : 1;
  const clockPolicies = clockScale !== 1 ? [{ policy: clockScalePolicy(clockScale), position: 'perCall' as const }] : [];
  const coreOptions = {
    endpoint: target.endpoint,
    agent: httpsAgent,
    retryOptions,
    // Per retry, in this order: every attempt takes a pacing token, then is counted as it goes on the wire.
    additionalPolicies: [...clockPolicies, ...(pacing ? [{ policy: pacing.policy(), position: 'perRetry' as const }] : []), { policy: counter, position: 'perRetry' as const }],
  };

  const cs = new Map<string, ContainerServiceClient>();
  const net = new Map<string, NetworkManagementClient>();
  const resourceGraph = new ResourceGraphClient(credential, {
    baseUri: target.endpoint,
    agentSettings: { http: httpAgent, https: httpsAgent },
    // Outermost first: the counter goes last so it sees every attempt the retry policies make.
    requestPolicyFactories: (defaults) => [...(defaults ?? []), msRestCountingFactory(stats) as unknown as (typeof defaults)[number]],
  });

  return {
    target,
    credential,
    stats,
    ca,
    resourceGraph,
    containerService(subscriptionId: string): ContainerServiceClient {
      let c = cs.get(subscriptionId);
      if (!c) {
        c = new ContainerServiceClient(credential, subscriptionId, coreOptions);
        cs.set(subscriptionId, c);
      }
      return c;
    },
    network(subscriptionId: string): NetworkManagementClient {
      let c = net.get(subscriptionId);
      if (!c) {
        // The network SDK builds URLs from `$host`, not `endpoint`: both are set.
        c = new NetworkManagementClient(credential, subscriptionId, { ...coreOptions, $host: target.endpoint });
        net.set(subscriptionId, c);
      }
      return c;
    },
    close(): void {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
}
