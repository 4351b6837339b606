/**
 * The body of each step's ARM PUT, built from a fresh GET of the managed cluster the way `az aks update`
 * does it: read the whole ManagedCluster, change the fields of this step, PUT it back with If-Match
 * (aks-facts § What the PUT must contain; azure-cli acs/managed_cluster_decorator.py). Read-only fields are
 * dropped as the SDK's serializer drops them for az.
 */
import type { ManagedClusterResource, NetworkProfile } from '../model/arm';
import type { Step } from '../model/assessment';

export interface StepOptions {
  /** Pod CIDR for ipam:overlay; required from Azure CNI node subnet, optional from kubenet (kept). */
  podCidr?: string;
}

export class PutBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PutBodyError';
  }
}

/** Top-level read-only fields of ManagedCluster (api-version 2026-04-01 marks them readOnly). */
const READ_ONLY_TOP = ['id', 'name', 'type', 'etag', 'systemData', 'managedBy'];
const READ_ONLY_PROPERTIES = [
  'provisioningState',
  'powerState',
  'maxAgentPools',
  'currentKubernetesVersion',
  'fqdn',
  'azurePortalFQDN',
  'privateFQDN',
  'resourceUID',
];
const READ_ONLY_POOL = ['provisioningState', 'currentOrchestratorVersion', 'nodeImageVersion', 'eTag', 'etag'];

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The GET body minus the fields ARM computes: what a PUT may carry. */
export function writableCluster(resource: ManagedClusterResource): ManagedClusterResource {
  const body = clone(resource) as Record<string, unknown>;
  for (const k of READ_ONLY_TOP) if (k !== 'id' && k !== 'name' && k !== 'type') delete body[k];
  delete body.etag;
  const props = (body.properties ?? {}) as Record<string, unknown>;
  for (const k of READ_ONLY_PROPERTIES) delete props[k];
  const pools = props.agentPoolProfiles as Array<Record<string, unknown>> | undefined;
  for (const pool of pools ?? []) for (const k of READ_ONLY_POOL) delete pool[k];
  const identity = body.identity as Record<string, unknown> | undefined;
  if (identity) {
    delete identity.principalId;
    delete identity.tenantId;
    const uai = identity.userAssignedIdentities as Record<string, Record<string, unknown>> | undefined;
    // ARM wants `{}` per user-assigned identity on PUT; principalId/clientId are read-only.
    if (uai) for (const key of Object.keys(uai)) uai[key] = {};
  }
  const oidc = props.oidcIssuerProfile as Record<string, unknown> | undefined;
  if (oidc) delete oidc.issuerURL;
  const lb = (props.networkProfile as Record<string, unknown> | undefined)?.loadBalancerProfile as Record<string, unknown> | undefined;
  if (lb) delete lb.effectiveOutboundIPs;
  const nat = (props.networkProfile as Record<string, unknown> | undefined)?.natGatewayProfile as Record<string, unknown> | undefined;
  if (nat) delete nat.effectiveOutboundIPs;
  // id/name/type are read-only too, but the gateway addresses the PUT by id; keep them out of the body.
  delete body.id;
  delete body.name;
  delete body.type;
  body.properties = props;
  return body as ManagedClusterResource;
}

function networkProfileOf(resource: ManagedClusterResource): NetworkProfile {
  return resource.properties?.networkProfile ?? {};
}

/** True when a fresh GET already shows the step's change (a re-run after a crash must not PUT again). */
export function stepApplied(resource: ManagedClusterResource, step: Step, options: StepOptions = {}): boolean {
  const np = networkProfileOf(resource);
  switch (step) {
    case 'ipam:overlay':
      return (
        np.networkPlugin === 'azure' &&
        np.networkPluginMode === 'overlay' &&
        (options.podCidr === undefined || np.podCidr === options.podCidr || (np.podCidrs ?? []).includes(options.podCidr))
      );
    case 'dataplane:cilium':
      return np.networkDataplane === 'cilium' && np.networkPolicy === 'cilium';
    case 'nap:disable':
      return (resource.properties?.nodeProvisioningProfile?.mode ?? 'Manual') === 'Manual';
    case 'nap:enable':
      return resource.properties?.nodeProvisioningProfile?.mode === 'Auto';
  }
}

/**
 * The full-model PUT body for one step from a fresh GET. Throws PutBodyError when the step cannot be
 * expressed (ipam:overlay from Azure CNI node subnet without a pod CIDR).
 */
export function buildPutBody(resource: ManagedClusterResource, step: Step, options: StepOptions = {}): ManagedClusterResource {
  const body = writableCluster(resource);
  const props = body.properties ?? {};
  const np: NetworkProfile = { ...(props.networkProfile ?? {}) };
  switch (step) {
    case 'ipam:overlay': {
      // seed 000 § Update the IPAM mode to Azure CNI Overlay: --network-plugin azure --network-plugin-mode overlay
      // --pod-cidr; the pod CIDR is required from legacy CNI; a kubenet cluster keeps its pod CIDR (seed 003 §
      // Kubenet Cluster Upgrade) unless a new one is given.
      const wasKubenet = np.networkPlugin === 'kubenet';
      const podCidr = options.podCidr ?? (wasKubenet ? np.podCidr : undefined);
      if (!podCidr) {
        throw new PutBodyError(
          `ipam:overlay on ${resource.name} needs a pod CIDR: Azure CNI node subnet clusters must be given one (seed 000 § Update the IPAM mode to Azure CNI Overlay); set podCidr in the rollout spec or plan one with policy 'plan'`,
        );
      }
      np.networkPlugin = 'azure';
      np.networkPluginMode = 'overlay';
      np.podCidr = podCidr;
      if (np.podCidrs) np.podCidrs = [podCidr, ...np.podCidrs.filter((c) => c.includes(':'))];
      break;
    }
    case 'dataplane:cilium':
      // aks-facts § What the PUT must contain: dataplane cilium requires policy cilium in the same PUT
      // (CiliumDataplaneRequiresNetworkPolicyCilium); seed 000 § Update the data plane: any other engine is replaced.
      np.networkDataplane = 'cilium';
      np.networkPolicy = 'cilium';
      delete np.ebpfDataplane;
      break;
    case 'nap:disable':
    case 'nap:enable':
      // aks-facts § What the PUT must contain: nodeProvisioningProfile.mode Auto | Manual.
      props.nodeProvisioningProfile = { ...(props.nodeProvisioningProfile ?? {}), mode: step === 'nap:disable' ? 'Manual' : 'Auto' };
      break;
  }
  props.networkProfile = np;
  body.properties = props;
  return body;
}

/** provisioningState values that mean an operation is running on the cluster. */
export function clusterBusy(resource: ManagedClusterResource): boolean {
  const state = resource.properties?.provisioningState;
  return state !== undefined && !['Succeeded', 'Failed', 'Canceled'].includes(state);
}
