/**
 * Who is calling. The simulator does no authentication: any bearer token is accepted. When the token is
 * a JWT, its `oid` / `appid` claims name the caller (throttling buckets, operation log, event claims), so
 * tests can act as different principals. The signature is never checked.
 */
export interface Principal {
  /** Stable key: the JWT `oid`, else `appid`, else `sub`, else 'anonymous'. */
  id: string;
  oid?: string;
  appid?: string;
}

export const ANONYMOUS: Principal = { id: 'anonymous' };

export function principalOf(authorization: string | undefined): Principal | undefined {
  if (!authorization) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!m) return undefined;
  const parts = m[1].split('.');
  if (parts.length !== 3) return ANONYMOUS;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    const str = (k: string): string | undefined => (typeof claims[k] === 'string' && claims[k] !== '' ? (claims[k] as string) : undefined);
    const oid = str('oid');
    const appid = str('appid') ?? str('azp');
    return { id: oid ?? appid ?? str('sub') ?? 'anonymous', oid, appid };
  } catch {
    return ANONYMOUS;
  }
}

/** An unsigned JWT carrying the given claims: what tests and the local host hand the SDK as a token. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iat: Math.floor(Date.now() / 1000), ...claims })}.sig`;
}
