/**
 * A Kubernetes client for one cluster, from the kubeconfig ARM's listClusterUserCredential returns,
 * built on @kubernetes/client-node.
 *
 * client-node 1.x makes a new https.Agent for every request (KubeConfig.applySecurityAuthentication),
 * which means a TLS handshake, and a TLS context built from the PEM files, per call; reading thousands
 * of clusters that way spends its time in handshakes. A middleware swaps in a keep-alive agent with the
 * same CA and client certificate (authentication is unchanged: bearer tokens travel in headers), and a
 * {@link KubeConnectionPool} shares one agent between clusters served by the same API server origin
 * with the same TLS material (the simulator serves every cluster from one origin; real AKS clusters
 * each have their own, so nothing is shared there).
 */
import { createHash } from 'node:crypto';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
} from '@kubernetes/client-node';

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

/** A failed Kubernetes API call; `code` is the HTTP status, as on client-node's ApiException. */
export class KubeApiError extends Error {
  constructor(
    public readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface KubeClient {
  /** API server URL from the kubeconfig. */
  server: string;
  /**
   * GET an API path (e.g. `/api/v1/nodes?limit=500`) and return the JSON as the server sent it, with
   * the kubeconfig's credentials. Bulk reads use this: the typed APIs below turn every list into model
   * objects and back, which costs more CPU than the HTTP calls when reading thousands of clusters.
   */
  getJson(path: string): Promise<unknown>;
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
  custom: CustomObjectsApi;
  /** Closes pooled sockets. */
  close(): void;
}

export interface KubeClientOptions {
  /** Sockets to the API server (default 8; per origin when a pool is given). */
  maxSockets?: number;
  /** Share connections between clusters; the pool owns the agents (the client's close() leaves them open). */
  pool?: KubeConnectionPool;
}

/**
 * How long an agent no pool holds any more stays open for the next pool with the same key. A migration reads the
 * same cluster in preflight and again in verify, each through a pool of its own (shared/azure/collect.ts): without
 * this, every read paid new TLS handshakes (11 % of the host's CPU in the rollout bench, docs/benchmarks.md).
 */
const AGENT_LINGER_MS = 60_000;

interface SharedAgent {
  agent: HttpsAgent;
  /** Pools holding the agent. */
  holders: number;
  /** Destroys the agent once no pool has held it for AGENT_LINGER_MS (unref'd: never keeps a process alive). */
  linger?: NodeJS.Timeout;
}

/** Agents by origin + TLS material + maxSockets, process-wide, so pools created one after another reuse connections. */
const sharedAgents = new Map<string, SharedAgent>();

function agentKey(server: string, tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>, maxSockets: number): string {
  const h = createHash('sha256');
  h.update(new URL(server).origin);
  for (const part of [tls.ca, tls.cert, tls.key, String(tls.rejectUnauthorized), tls.servername, String(maxSockets)]) h.update(`\0${part === undefined ? '' : String(part)}`);
  return h.digest('hex');
}

/**
 * Keep-alive agents keyed by API server origin and TLS material, shared by many cluster clients. Agents are shared
 * between pools too: close() releases the pool's agents, and an agent no pool holds lingers AGENT_LINGER_MS (its idle
 * sockets are unref'd by Node's agent) before it is destroyed; `KubeConnectionPool.closeIdle()` destroys those at once.
 */
export class KubeConnectionPool {
  private readonly held = new Set<string>();
  constructor(private readonly maxSockets = 64) {}

  agentFor(server: string, tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>): HttpsAgent {
    const key = agentKey(server, tls, this.maxSockets);
    let shared = sharedAgents.get(key);
    if (!shared) {
      shared = { agent: newAgent(tls, this.maxSockets), holders: 0 };
      sharedAgents.set(key, shared);
    }
    if (!this.held.has(key)) {
      this.held.add(key);
      shared.holders++;
      if (shared.linger) clearTimeout(shared.linger);
      delete shared.linger;
    }
    return shared.agent;
  }

  close(): void {
    for (const key of this.held) {
      const shared = sharedAgents.get(key);
      if (!shared || --shared.holders > 0) continue;
      shared.linger = setTimeout(() => {
        sharedAgents.delete(key);
        shared.agent.destroy();
      }, AGENT_LINGER_MS);
      shared.linger.unref();
    }
    this.held.clear();
  }

  /** Destroys every agent no pool holds (those lingering for reuse) and their sockets, now. */
  static closeIdle(): void {
    for (const [key, shared] of sharedAgents) {
      if (shared.holders > 0) continue;
      if (shared.linger) clearTimeout(shared.linger);
      sharedAgents.delete(key);
      shared.agent.destroy();
    }
  }
}

function newAgent(tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>, maxSockets: number): HttpsAgent {
  // One TLS context for every connection of the agent, instead of one per connection.
  const secureContext = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
  return new HttpsAgent({
    keepAlive: true,
    maxSockets,
    secureContext,
    ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
  });
}

/** Builds a client from kubeconfig YAML (as listClusterUserCredential returns it, decoded). */
export async function kubeClientFromKubeconfig(kubeconfig: string, options: KubeClientOptions = {}): Promise<KubeClient> {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(kubeconfig);
  } catch (e) {
    throw new KubeconfigError(`the cluster's kubeconfig could not be read (${(e as Error).message}): fetch it again with listClusterUserCredential`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeconfigError('the kubeconfig names no current cluster: fetch it again with listClusterUserCredential');
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const tls = {
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}),
    ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
  };
  const agent = options.pool ? options.pool.agentFor(cluster.server, tls) : newAgent(tls, options.maxSockets ?? 8);
  const configuration: Configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (ctx) => {
          ctx.setAgent(agent);
          return ctx;
        },
        post: async (rsp) => rsp,
      },
    ],
  });
  const base = cluster.server.replace(/\/+$/, '');
  const headers: Record<string, string> = { Accept: 'application/json' };
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
  const getJson = (path: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(`${base}${path}`, { method: 'GET', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            let message = text.slice(0, 200);
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? message;
            } catch {
              // not a Status object: keep the text
            }
            reject(new KubeApiError(status, `GET ${path}: HTTP ${status} ${message}`));
            return;
          }
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new KubeApiError(status, `GET ${path}: the response is not JSON`));
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
  return {
    server: cluster.server,
    getJson,
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    networking: new NetworkingV1Api(configuration),
    custom: new CustomObjectsApi(configuration),
    close: () => {
      if (!options.pool) agent.destroy();
    },
  };
}
