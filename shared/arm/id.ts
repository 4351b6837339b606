/**
 * ARM resource ids. ARM compares ids case-insensitively and returns both `resourceGroups` and
 * `resourcegroups`, so every lookup goes through {@link armIdKey}.
 */
export interface ArmId {
  /** The id as given (trailing slash removed). */
  id: string;
  subscriptionId: string;
  resourceGroup?: string;
  /** e.g. `Microsoft.ContainerService` */
  provider?: string;
  /** Full type, e.g. `Microsoft.ContainerService/managedClusters/agentPools`. */
  type?: string;
  /** Last segment name, e.g. the agent pool name for a child resource. */
  name?: string;
  /** Names along the type chain, e.g. ['myCluster', 'nodepool1']. */
  names: string[];
}

const SEGMENT = /^[^/\\?#\s]+$/;

export class ArmIdError extends Error {
  constructor(public readonly value: string, reason: string) {
    super(`'${value}' is not a valid ARM resource id: ${reason}`);
    this.name = 'ArmIdError';
  }
}

/**
 * The value without surrounding whitespace and trailing slashes. Hand-written: `replace(/\/+$/, '')`
 * retries the pattern at every '/' of the id, and ids are trimmed hundreds of thousands of times per fleet.
 */
function trimId(value: string): string {
  const t = value.trim();
  let end = t.length;
  while (end > 0 && t.charCodeAt(end - 1) === 0x2f) end--;
  return end === t.length ? t : t.slice(0, end);
}

/** Parses `/subscriptions/{s}[/resourceGroups/{rg}[/providers/{ns}/{type}/{name}[/{type}/{name}]...]]`. */
export function parseArmId(value: string): ArmId {
  const id = trimId(value);
  const parts = id.split('/');
  if (parts[0] !== '' || parts.length < 3 || parts[1].toLowerCase() !== 'subscriptions') {
    throw new ArmIdError(value, "it must start with '/subscriptions/'");
  }
  for (const p of parts.slice(1)) {
    if (!SEGMENT.test(p) || p === '.' || p === '..') throw new ArmIdError(value, `segment '${p}' is empty or has forbidden characters`);
  }
  const result: ArmId = { id, subscriptionId: parts[2], names: [] };
  if (parts.length === 3) return result;
  if (parts[3].toLowerCase() !== 'resourcegroups' || parts.length < 5) throw new ArmIdError(value, "expected '/resourceGroups/{name}' after the subscription");
  result.resourceGroup = parts[4];
  if (parts.length === 5) return result;
  if (parts[5].toLowerCase() !== 'providers' || parts.length < 9 || (parts.length - 7) % 2 !== 0) {
    throw new ArmIdError(value, "expected '/providers/{namespace}/{type}/{name}' after the resource group");
  }
  result.provider = parts[6];
  const types: string[] = [];
  for (let i = 7; i < parts.length; i += 2) {
    types.push(parts[i]);
    result.names.push(parts[i + 1]);
  }
  result.type = `${parts[6]}/${types.join('/')}`;
  result.name = result.names[result.names.length - 1];
  return result;
}

/** True when the string parses as an ARM id. */
export function isArmId(value: string): boolean {
  try {
    parseArmId(value);
    return true;
  } catch {
    return false;
  }
}

/** The key under which ids compare: lower case, no trailing slash. */
export function armIdKey(id: string): string {
  return trimId(id).toLowerCase();
}

export function sameArmId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && armIdKey(a) === armIdKey(b);
}

/** The id of the VNet that contains a subnet id (`.../virtualNetworks/{v}/subnets/{s}`). */
export function vnetIdOfSubnet(subnetId: string): string | undefined {
  const m = /^(.*\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+)\/subnets\/[^/]+\/?$/i.exec(subnetId.trim());
  return m ? m[1] : undefined;
}

export function managedClusterId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}
