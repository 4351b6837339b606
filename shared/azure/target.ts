/**
 * Where ARM is: real Azure, or the simulator when AKSNET_ARM_ENDPOINT is set. The only switch in the
 * gateway: every other code path is the same for both (docs/gateway.md).
 */
import { existsSync, readFileSync } from 'node:fs';

export const ARM_ENDPOINT_ENV = 'AKSNET_ARM_ENDPOINT';
export const CA_CERT_ENV = 'AKSNET_CA_CERT';
export const AZURE_ARM_ENDPOINT = 'https://management.azure.com';

export type ArmTarget =
  | { kind: 'azure'; endpoint: string }
  | { kind: 'simulator'; endpoint: string; caCertPath?: string; ca?: string };

export class GatewayConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayConfigError';
  }
}

export interface TargetOptions {
  /** ARM endpoint; overrides AKSNET_ARM_ENDPOINT. */
  endpoint?: string;
  /** PEM file of the CA that signed the endpoint's certificate; overrides AKSNET_CA_CERT. */
  caCertPath?: string;
}

/** Resolves the ARM target from options, then the environment. Bad values fail with one line naming the fix. */
export function resolveArmTarget(options: TargetOptions = {}, env: NodeJS.ProcessEnv = process.env): ArmTarget {
  const endpoint = (options.endpoint ?? env[ARM_ENDPOINT_ENV] ?? '').trim();
  const caCertPath = (options.caCertPath ?? env[CA_CERT_ENV] ?? '').trim() || undefined;
  if (!endpoint || endpoint.replace(/\/+$/, '') === AZURE_ARM_ENDPOINT) {
    return { kind: 'azure', endpoint: AZURE_ARM_ENDPOINT };
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new GatewayConfigError(`${ARM_ENDPOINT_ENV}='${endpoint}' is not a URL: set it to the simulator's armEndpoint, e.g. https://127.0.0.1:8443`);
  }
  // The Azure SDK refuses to send bearer tokens over plain http, so the simulator is https only.
  if (url.protocol !== 'https:') {
    throw new GatewayConfigError(`${ARM_ENDPOINT_ENV}='${endpoint}' must be https (the Azure SDK sends bearer tokens over https only): use the armEndpoint 'aksnet sim start' printed`);
  }
  let ca: string | undefined;
  if (caCertPath) {
    if (!existsSync(caCertPath)) {
      throw new GatewayConfigError(`${CA_CERT_ENV}='${caCertPath}' does not exist: set it to the caCertPath 'aksnet sim start' printed`);
    }
    ca = readFileSync(caCertPath, 'utf8');
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new GatewayConfigError(`${CA_CERT_ENV}='${caCertPath}' is not a PEM certificate: set it to the caCertPath 'aksnet sim start' printed`);
    }
  }
  return { kind: 'simulator', endpoint: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, caCertPath, ca };
}
