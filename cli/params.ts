/**
 * Arguments as metadata (after azure-cli's `_params.py`): reusable argument definitions and their
 * validators. Validators are small pure functions (value in, value or typed error out), tested alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArmId, ArmIdError } from '../shared/arm/id';
import type * as CidrModule from '../shared/network/cidr';
import { TARGETS, type Target } from '../shared/model/assessment';
import { InvalidArgumentValueError, MutuallyExclusiveArgumentError, RequiredArgumentMissingError, FileArgumentError } from './errors';
import type { ArgSpec, ParsedArgs } from './types';

// ---------------------------------------------------------------------------------------------
// Validators
// ---------------------------------------------------------------------------------------------

/** One of the allowed values, compared case-insensitively (as az does for enums); returns the canonical spelling. */
export function validateEnum<T extends string>(allowed: readonly T[], value: string, option: string): T {
  const hit = allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase());
  if (hit === undefined) {
    throw new InvalidArgumentValueError(`'${value}' is not a valid value for '${option}'`, `Allowed values: ${allowed.join(', ')}`);
  }
  return hit;
}

/** The migration target: overlay | cilium | overlay+cilium (seed 000: the two independent updates). */
export function validateTarget(value: string, option = '--target'): Target {
  return validateEnum(TARGETS, value, option);
}

/**
 * An IPv4 CIDR in dotted-quad notation whose host bits are zero, e.g. 192.168.0.0/16.
 * Overlay pod CIDRs are private IPv4 ranges given as `--pod-cidr 192.168.0.0/16` (seed 000, "Update the
 * IPAM mode to Azure CNI Overlay"); a range with host bits set is almost always a typo, so the error
 * names the network that was probably meant instead of silently truncating it (shared/network/cidr.ts
 * strict parsing, as ARM does for address prefixes).
 */
export function validateIpv4Cidr(value: string, option = '--pod-cidr'): string {
  // Loaded on first use: `aksnet --help` should not pay for CIDR math (bench/assess.ts measures it).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CidrError, formatCidr, parseCidr } = require('../shared/network/cidr') as typeof CidrModule;
  let cidr;
  try {
    cidr = parseCidr(value, { strict: true });
  } catch (e) {
    if (e instanceof CidrError) {
      throw new InvalidArgumentValueError(`${e.message.replace(/ \(expected e\.g\..*\)$/, '')} (for '${option}')`, 'Give a network address and prefix length, for example 192.168.0.0/16');
    }
    throw e;
  }
  if (cidr.family !== 4) {
    throw new InvalidArgumentValueError(`'${value}' is an IPv6 range; '${option}' takes an IPv4 CIDR`, 'Give an IPv4 range, for example 192.168.0.0/16');
  }
  return formatCidr(cidr);
}

/** An ARM id of a managed cluster (…/providers/Microsoft.ContainerService/managedClusters/{name}). */
export function validateManagedClusterId(value: string, option = '--ids'): string {
  let id;
  try {
    id = parseArmId(value);
  } catch (e) {
    if (e instanceof ArmIdError) {
      throw new InvalidArgumentValueError(`${e.message} (for '${option}')`, 'Give a managed cluster id: /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}');
    }
    throw e;
  }
  if (id.type?.toLowerCase() !== 'microsoft.containerservice/managedclusters') {
    throw new InvalidArgumentValueError(
      `'${value}' is not a managed cluster id (for '${option}')`,
      'Give a managed cluster id: /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}',
    );
  }
  return id.id;
}

/**
 * A file that exists and can be read; returns its absolute path. `cwd` is explicit so the function
 * stays pure of process state (it only reads the file system).
 */
export function validateReadableFile(value: string, option: string, cwd: string = process.cwd()): string {
  const file = path.resolve(cwd, value);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new FileArgumentError(`file '${value}' given to '${option}' does not exist`, `Check the path, or write one with 'aksnet fleet snapshot'`);
  }
  if (stat.isDirectory()) throw new FileArgumentError(`'${value}' given to '${option}' is a directory, not a file`, 'Give the path of a snapshot JSON file');
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new FileArgumentError(`file '${value}' given to '${option}' cannot be read`, 'Check its permissions');
  }
  return file;
}

/** A non-empty name (resource group, cluster). */
export function validateName(value: string, option: string): string {
  const v = value.trim();
  if (!v) throw new InvalidArgumentValueError(`'${option}' must not be empty`, `Give a value to '${option}'`);
  return v;
}

/**
 * Cluster selection, as az does it: either `--resource-group/-g` with `--name/-n`, or `--ids`, never both.
 */
export function validateClusterSelection(args: ParsedArgs): void {
  const hasIds = args.ids !== undefined;
  const hasG = args.resourceGroup !== undefined;
  const hasN = args.name !== undefined;
  if (hasIds && (hasG || hasN)) {
    throw new MutuallyExclusiveArgumentError("'--ids' cannot be used with '--resource-group' or '--name'", "Use either '--ids ID' or '-g RESOURCE_GROUP -n NAME'");
  }
  if (hasIds) return;
  if (!hasG && !hasN) {
    throw new RequiredArgumentMissingError("the cluster is not given", "Use '-g RESOURCE_GROUP -n NAME' or '--ids ID'");
  }
  if (!hasG) throw new RequiredArgumentMissingError("'--resource-group' is required with '--name'", "Add '-g RESOURCE_GROUP' (or use '--ids ID')");
  if (!hasN) throw new RequiredArgumentMissingError("'--name' is required with '--resource-group'", "Add '-n NAME' (or use '--ids ID')");
}

// ---------------------------------------------------------------------------------------------
// Reusable argument definitions
// ---------------------------------------------------------------------------------------------

export const snapshotArg: ArgSpec = {
  dest: 'snapshot',
  options: ['--snapshot', '-s'],
  metavar: 'FILE',
  required: true,
  help: "Snapshot file (JSON): ARM resources and Kubernetes objects, as written by 'aksnet fleet snapshot'.",
  // Existence is checked when the file is read (one place that names the problem and the fix).
};

export const targetArg: ArgSpec = {
  dest: 'target',
  options: ['--target', '-t'],
  required: true,
  enum: TARGETS,
  help: 'Desired end state: overlay (IPAM to Azure CNI Overlay), cilium (data plane to Azure CNI Powered by Cilium), or both.',
  validator: (v, o) => validateTarget(v, o),
};

export const podCidrArg: ArgSpec = {
  dest: 'podCidr',
  options: ['--pod-cidr'],
  metavar: 'CIDR',
  help: 'Pod CIDR for clusters that move to Overlay from node subnet (default: one planned per cluster, clear of its VNets, peerings and service CIDR). Kubenet clusters keep theirs.',
  validator: (v, o) => validateIpv4Cidr(v, o),
};

export const resourceGroupArg: ArgSpec = {
  dest: 'resourceGroup',
  options: ['--resource-group', '-g'],
  metavar: 'NAME',
  help: 'Resource group of the cluster.',
  validator: (v, o) => validateName(v, o),
};

export const clusterNameArg: ArgSpec = {
  dest: 'name',
  options: ['--name', '-n'],
  metavar: 'NAME',
  help: 'Name of the managed cluster.',
  validator: (v, o) => validateName(v, o),
};

export const idsArg: ArgSpec = {
  dest: 'ids',
  options: ['--ids'],
  metavar: 'ID',
  group: 'Resource Id Arguments',
  help: "ARM id of the managed cluster. Use instead of '--resource-group' and '--name'.",
  validator: (v, o) => validateManagedClusterId(v, o),
};

export const clusterSelectionArgs: readonly ArgSpec[] = [resourceGroupArg, clusterNameArg, idsArg];

// ---------------------------------------------------------------------------------------------
// Live mode (ARM / the simulator) and the local servers
// ---------------------------------------------------------------------------------------------

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A subscription id: Resource Graph and ARM URLs take the GUID, not the display name. */
export function validateSubscriptionId(value: string, option = '--subscription'): string {
  const v = value.trim();
  if (!GUID.test(v)) {
    throw new InvalidArgumentValueError(`'${value}' is not a subscription id (for '${option}')`, "Give the subscription's GUID, e.g. from 'az account list --query [].id -o tsv'");
  }
  return v.toLowerCase();
}

/** `key=value` (the value may be empty or contain '='), as `az resource list --tag`. */
export function validateTag(value: string, option = '--tag'): { key: string; value: string } {
  const eq = value.indexOf('=');
  const key = (eq < 0 ? value : value.slice(0, eq)).trim();
  if (eq < 0 || !key) throw new InvalidArgumentValueError(`'${value}' is not a tag filter (for '${option}')`, "Write it as KEY=VALUE, e.g. --tag team=payments");
  return { key, value: value.slice(eq + 1) };
}

/** A number within bounds; `integer` for counts and ports. */
export function validateNumber(value: string, option: string, check: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }, example: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  const ok =
    Number.isFinite(n) &&
    (!check.integer || Number.isInteger(n)) &&
    (check.min === undefined || (check.exclusiveMin ? n > check.min : n >= check.min)) &&
    (check.max === undefined || n <= check.max);
  if (!ok) {
    const kind = check.integer ? 'a whole number' : 'a number';
    const range =
      check.min !== undefined && check.max !== undefined
        ? ` from ${check.min} to ${check.max}`
        : check.min !== undefined
          ? check.exclusiveMin
            ? ` greater than ${check.min}`
            : ` of at least ${check.min}`
          : '';
    throw new InvalidArgumentValueError(`'${value}' is not a valid value for '${option}': it must be ${kind}${range}`, `For example ${option} ${example}`);
  }
  return n;
}

export const validatePort = (v: string, o: string): number => validateNumber(v, o, { min: 0, max: 65535, integer: true }, '0 (0 picks a free port)');

export const CLOCK_SCALE_ENV = 'AKSNET_CLOCK_SCALE';

/**
 * AKSNET_CLOCK_SCALE, the durable clock factor of a local host (`host start`, and the host a rollout command
 * starts for itself): a positive number, 1 when unset; anything else is a usage error naming the variable.
 */
export function clockScaleFrom(env: NodeJS.ProcessEnv): number {
  const raw = env[CLOCK_SCALE_ENV]?.trim();
  if (!raw) return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentValueError(`${CLOCK_SCALE_ENV} '${raw}' is not a positive number`, `Set it to 1/timeScale of the simulator, e.g. ${CLOCK_SCALE_ENV}=1000, or unset it`);
  return n;
}

/**
 * Where the facts come from, for `fleet assess`: a snapshot file, or live from ARM (one or more
 * `--subscription`), never both; `--resource-group` and `--tag` filter the live discovery only.
 */
export function validateFleetSource(args: ParsedArgs): void {
  if (args.snapshot !== undefined && args.subscriptions !== undefined) {
    throw new MutuallyExclusiveArgumentError("'--snapshot' cannot be used with '--subscription'", "Use '--snapshot FILE' to assess a file, or '--subscription ID' to read the clusters live from Azure");
  }
  if (args.snapshot !== undefined && (args.resourceGroup !== undefined || args.tags !== undefined)) {
    throw new MutuallyExclusiveArgumentError("'--resource-group' and '--tag' filter live discovery and cannot be used with '--snapshot'", "Drop them, or use '--subscription ID' instead of '--snapshot'");
  }
}

/** `cluster preflight|plan`: the selection, and a snapshot file or live (`--subscription`), never both. */
export function validateClusterSource(args: ParsedArgs): void {
  validateClusterSelection(args);
  if (args.snapshot !== undefined && args.subscription !== undefined) {
    throw new MutuallyExclusiveArgumentError("'--snapshot' cannot be used with '--subscription'", "Use '--snapshot FILE' to read a file, or '--subscription ID' to read the cluster live from Azure");
  }
  if (typeof args.ids === 'string' && typeof args.subscription === 'string') {
    const fromId = parseArmId(args.ids).subscriptionId.toLowerCase();
    if (fromId !== args.subscription) {
      throw new MutuallyExclusiveArgumentError(`'--ids' names subscription ${fromId} but '--subscription' is ${args.subscription}`, "Drop '--subscription': the id already names the subscription");
    }
  }
}

/** `fleet assess`'s source: a snapshot file or live subscriptions (one of the two is required). */
export const snapshotOrLiveArg: ArgSpec = {
  ...snapshotArg,
  required: false,
  requiredOneOf: 'source',
  help: "Snapshot file (JSON) to assess offline, as written by 'aksnet fleet snapshot'. Without it, clusters are read live from Azure ('--subscription').",
};

export const subscriptionsArg: ArgSpec = {
  dest: 'subscriptions',
  options: ['--subscription'],
  metavar: 'ID',
  multiple: true,
  requiredOneOf: 'source',
  group: 'Live Arguments',
  help: 'Read the clusters live from this subscription (repeat for more). Read-only. Endpoint: Azure with DefaultAzureCredential, or the simulator when AKSNET_ARM_ENDPOINT and AKSNET_CA_CERT are set.',
  validator: (v, o) => validateSubscriptionId(v, o),
};

export const fleetResourceGroupArg: ArgSpec = {
  dest: 'resourceGroup',
  options: ['--resource-group', '-g'],
  metavar: 'NAME',
  group: 'Live Arguments',
  help: 'Only clusters in this resource group (live only).',
  validator: (v, o) => validateName(v, o),
};

export const tagArg: ArgSpec = {
  dest: 'tags',
  options: ['--tag'],
  metavar: 'KEY=VALUE',
  multiple: true,
  group: 'Live Arguments',
  help: 'Only clusters with this tag (value compared case-insensitively; repeat: every tag must match). Live only.',
  validator: (v, o) => validateTag(v, o),
};

/** `cluster preflight|plan`: the snapshot is optional; without it the cluster is read live. */
export const clusterSnapshotArg: ArgSpec = {
  ...snapshotArg,
  required: false,
  help: "Snapshot file (JSON), as written by 'aksnet fleet snapshot'. Without it, the cluster is read live from Azure.",
};

export const clusterSubscriptionArg: ArgSpec = {
  dest: 'subscription',
  options: ['--subscription'],
  metavar: 'ID',
  group: 'Live Arguments',
  help: "Subscription of the cluster, live mode with '-g/-n' (default: AZURE_SUBSCRIPTION_ID). Not needed with '--ids'.",
  validator: (v, o) => validateSubscriptionId(v, o),
};
