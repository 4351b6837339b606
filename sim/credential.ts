/**
 * A TokenCredential (structurally @azure/core-auth's) for talking to the simulator as a given principal.
 * The simulator accepts any bearer token; this one is an unsigned JWT whose `oid`/`appid` name the caller.
 */
import { unsignedJwt } from './principal';

export interface SimulatorAccessToken {
  token: string;
  expiresOnTimestamp: number;
}

export interface SimulatorCredential {
  getToken(scopes: string | string[]): Promise<SimulatorAccessToken>;
}

export function simulatorCredential(principal: { oid?: string; appid?: string } = { oid: '00000000-0000-0000-0000-00000000a11c' }): SimulatorCredential {
  return {
    async getToken() {
      const expiresOnTimestamp = Date.now() + 3600_000;
      return { token: unsignedJwt({ ...principal, exp: Math.floor(expiresOnTimestamp / 1000) }), expiresOnTimestamp };
    },
  };
}
