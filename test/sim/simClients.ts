/**
 * Real SDK clients pointed at a running simulator: the same construction the gateway uses for Azure,
 * with the simulator's endpoint, its CA passed to the HTTP pipeline, and an unsigned-JWT credential.
 */
import https from 'node:https';
import http from 'node:http';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { simulatorCredential } from '../../sim/credential';
import type { RunningSimulator } from '../../sim/server';

export interface SimClients {
  cs: ContainerServiceClient;
  net: NetworkManagementClient;
  graph: ResourceGraphClient;
}

export function clientsFor(sim: RunningSimulator, subscriptionId: string, principal: { oid?: string; appid?: string } = { oid: 'tester' }): SimClients {
  const credential = simulatorCredential(principal);
  const tlsOptions = { ca: sim.caCert };
  return {
    cs: new ContainerServiceClient(credential, subscriptionId, { endpoint: sim.armEndpoint, tlsOptions }),
    net: new NetworkManagementClient(credential, subscriptionId, { endpoint: sim.armEndpoint, tlsOptions }),
    // @azure/arm-resourcegraph 4.x is built on @azure/ms-rest-js: it takes the CA through agentSettings.
    graph: new ResourceGraphClient(credential, {
      baseUri: sim.armEndpoint,
      agentSettings: { https: new https.Agent({ ca: sim.caCert }), http: new http.Agent() },
    }),
  };
}

/** A raw HTTPS request to the simulator (admin API, or to look at headers the SDK hides). */
export function request(
  sim: RunningSimulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, sim.armEndpoint);
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = https.request(
      url,
      { method, ca: sim.caCert, agent: false, headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}
