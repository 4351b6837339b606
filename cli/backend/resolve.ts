/**
 * Which backend a rollout command talks to: `--backend URL`, else AKSNET_BACKEND, else (only for commands that
 * can run a rollout to its end on their own: `rollout start`, `cluster migrate`) a local host started for the
 * command. Authentication for a URL: AKSNET_FUNCTION_KEY (`x-functions-key`) and/or an Entra token from
 * DefaultAzureCredential for `api://<AKSNET_API_APP_CLIENT_ID>/.default` — both headers when both are set
 * (docs/http-api.md § Authentication).
 */
import { InvalidArgumentValueError, RequiredArgumentMissingError } from '../errors';
import type { ArgSpec } from '../types';
import { BackendClient, httpTransport, type BackendAuth } from './client';

export const BACKEND_ENV = 'AKSNET_BACKEND';
export const FUNCTION_KEY_ENV = 'AKSNET_FUNCTION_KEY';
export const API_CLIENT_ID_ENV = 'AKSNET_API_APP_CLIENT_ID';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * A backend URL: http(s) with a host and nothing after the path. Plain http only to this machine: a function key
 * or a token must not cross a network in clear text.
 */
export function validateBackendUrl(value: string, option = '--backend'): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidArgumentValueError(`'${value}' is not a URL (for '${option}')`, 'Give the base URL of the app, e.g. https://<app>.azurewebsites.net or http://127.0.0.1:7071');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidArgumentValueError(`'${value}' is not an http(s) URL (for '${option}')`, 'Give the base URL of the app, e.g. https://<app>.azurewebsites.net');
  }
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    throw new InvalidArgumentValueError(`'${value}' uses plain http to another machine (for '${option}'): the key or token would travel in clear text`, 'Use https, or http only to 127.0.0.1');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new InvalidArgumentValueError(`'${value}' carries a query, fragment or credentials (for '${option}')`, 'Give only the base URL; put the key in AKSNET_FUNCTION_KEY');
  }
  return url.toString().replace(/\/+$/, '');
}

export const backendArg: ArgSpec = {
  dest: 'backend',
  options: ['--backend'],
  metavar: 'URL',
  group: 'Backend Arguments',
  help: `Base URL of the aksnet app (default: ${BACKEND_ENV}). Key from ${FUNCTION_KEY_ENV}, and an Entra token when ${API_CLIENT_ID_ENV} is set (both are sent when both are set).`,
  validator: (v, o) => validateBackendUrl(v, o),
};

export function backendUrlFrom(args: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  if (typeof args.backend === 'string') return args.backend;
  const fromEnv = env[BACKEND_ENV]?.trim();
  return fromEnv ? validateBackendUrl(fromEnv, BACKEND_ENV) : undefined;
}

/** A cached Entra token is fetched again this long before it expires (a call must not arrive with a stale one). */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * The credentials for a backend URL, every one configured: the function key AND the Entra token when both are
 * set. With App Service authentication in front, the host still enforces `authLevel: function` on its own
 * (Azure/azure-functions-host#11394), so a call with only the token is refused; sending both is what works.
 */
export function authFrom(env: NodeJS.ProcessEnv): BackendAuth {
  const key = env[FUNCTION_KEY_ENV]?.trim();
  const clientId = env[API_CLIENT_ID_ENV]?.trim();
  const auth: BackendAuth = key ? { key } : {};
  if (clientId) {
    const scope = `api://${clientId}/.default`;
    let credential: { getToken(scope: string): Promise<{ token: string; expiresOnTimestamp: number; refreshAfterTimestamp?: number } | null> } | undefined;
    // DefaultAzureCredential does not cache: with AzureCliCredential every getToken spawns `az`, so a `rollout wait`
    // would run az once a poll. The token is kept until 5 minutes before it expires (or until the credential's own
    // refreshAfterTimestamp, when earlier), then fetched again; concurrent calls share one fetch.
    let cached: { token: string; refreshAt: number } | undefined;
    let fetching: Promise<string> | undefined;
    const fetchToken = async (): Promise<string> => {
      // Loaded on first use: @azure/identity is heavy and most local runs use a key.
      credential ??= new (await import('@azure/identity')).DefaultAzureCredential();
      const t = await credential.getToken(scope);
      if (!t) throw new Error(`no token for ${scope}`);
      cached = { token: t.token, refreshAt: Math.min(t.expiresOnTimestamp - TOKEN_REFRESH_MARGIN_MS, t.refreshAfterTimestamp ?? Infinity) };
      return t.token;
    };
    auth.token = {
      scope,
      getToken: () => {
        if (cached && Date.now() < cached.refreshAt) return Promise.resolve(cached.token);
        fetching ??= fetchToken().finally(() => (fetching = undefined));
        return fetching;
      },
    };
  }
  return auth;
}

/** A client for a backend URL. */
export function remoteClient(url: string, env: NodeJS.ProcessEnv): BackendClient {
  const auth = authFrom(env);
  return new BackendClient(httpTransport(url, auth), { url, describe: url, sends: { key: auth.key !== undefined, token: auth.token !== undefined } });
}

/** The backend of a command that needs one that already runs (show, list, wait, approve, resume, cancel). */
export function requireRemoteClient(args: Record<string, unknown>, env: NodeJS.ProcessEnv): BackendClient {
  const url = backendUrlFrom(args, env);
  if (!url) {
    throw new RequiredArgumentMissingError(
      `no backend: this command talks to a running aksnet app`,
      `Pass '--backend URL' or set ${BACKEND_ENV} (a local one: 'aksnet host start' prints its baseUrl and functionKey; set ${FUNCTION_KEY_ENV} to the key)`,
    );
  }
  return remoteClient(url, env);
}
