/**
 * Credentials. Real Azure: DefaultAzureCredential. The simulator accepts any bearer token and reads the
 * caller from a JWT's `oid`/`appid` claims (throttling buckets, operation log, event claims), so the
 * gateway hands the SDK an unsigned JWT naming the local identity.
 */
import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { AccessToken, TokenCredential } from '@azure/identity';

export interface LocalPrincipal {
  oid: string;
  appid: string;
  /** Human-readable name for logs (`user@host`). */
  name: string;
}

/** A stable identity for this user on this machine: the oid is a GUID derived from `user@host`. */
export function localPrincipal(): LocalPrincipal {
  let user = 'aksnet';
  try {
    user = userInfo().username || user;
  } catch {
    // no passwd entry (some containers): keep the default name
  }
  const name = `${user}@${hostname()}`;
  const h = createHash('sha256').update(name).digest('hex');
  const oid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return { oid, appid: 'aksnet-cli', name };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned JWT bearer token for the simulator; the simulator never checks signatures. */
export function simulatorToken(principal: { oid?: string; appid?: string; name?: string }, lifetimeMs = 3_600_000): AccessToken {
  const now = Date.now();
  const expiresOnTimestamp = now + lifetimeMs;
  const claims = { aud: 'https://management.azure.com/', iss: 'https://aksnet.local/', iat: Math.floor(now / 1000), exp: Math.floor(expiresOnTimestamp / 1000), ...principal };
  return { token: `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.unsigned`, expiresOnTimestamp };
}

/** A TokenCredential that always returns a JWT naming `principal` (simulator only). */
export function simulatorCredential(principal: { oid?: string; appid?: string; name?: string } = localPrincipal()): TokenCredential {
  let cached: AccessToken | undefined;
  return {
    async getToken(): Promise<AccessToken> {
      if (!cached || cached.expiresOnTimestamp - Date.now() < 300_000) cached = simulatorToken(principal);
      return cached;
    },
  };
}
