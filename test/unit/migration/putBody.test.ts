import { buildPutBody, clusterBusy, PutBodyError, stepApplied, writableCluster } from '../../../shared/migration/putBody';
import { agentPool, kubenetCluster, managedCluster, nodeSubnetCluster, overlayCluster, userAssignedIdentity } from '../../support/arm';

describe('PUT body from a fresh GET', () => {
  it('drops read-only fields as the SDK serializer does for az aks update', () => {
    const get = { ...nodeSubnetCluster({ identity: userAssignedIdentity() }), etag: '"abc"', systemData: { createdBy: 'x' } };
    get.properties!.agentPoolProfiles = [agentPool({ provisioningState: 'Succeeded', nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202410.15.0', currentOrchestratorVersion: '1.29.7' })];
    const body = writableCluster(get);
    expect(body).not.toHaveProperty('etag');
    expect(body).not.toHaveProperty('systemData');
    expect(body).not.toHaveProperty('id');
    expect(body.location).toBe('eastus');
    expect(body.properties).not.toHaveProperty('provisioningState');
    expect(body.properties).not.toHaveProperty('fqdn');
    expect(body.properties).not.toHaveProperty('currentKubernetesVersion');
    expect(body.properties?.agentPoolProfiles?.[0]).not.toHaveProperty('nodeImageVersion');
    expect(body.properties?.agentPoolProfiles?.[0]).not.toHaveProperty('provisioningState');
    expect(Object.values(body.identity?.userAssignedIdentities ?? {})).toEqual([{}]);
    // Everything writable survives: the PUT is the full model.
    expect(body.properties?.kubernetesVersion).toBe('1.29.7');
    expect(body.properties?.networkProfile?.serviceCidr).toBe('10.0.0.0/16');
    // The GET itself is untouched.
    expect(get.properties?.provisioningState).toBe('Succeeded');
  });

  it('dataplane:cilium sets dataplane and policy cilium together (CiliumDataplaneRequiresNetworkPolicyCilium otherwise)', () => {
    const body = buildPutBody(nodeSubnetCluster({ networkProfile: { networkPolicy: 'azure' } }), 'dataplane:cilium');
    expect(body.properties?.networkProfile).toMatchObject({ networkPlugin: 'azure', networkDataplane: 'cilium', networkPolicy: 'cilium' });
  });

  it('ipam:overlay from node subnet needs and sets the pod CIDR', () => {
    expect(() => buildPutBody(nodeSubnetCluster(), 'ipam:overlay')).toThrow(PutBodyError);
    const body = buildPutBody(nodeSubnetCluster(), 'ipam:overlay', { podCidr: '192.168.0.0/16' });
    expect(body.properties?.networkProfile).toMatchObject({ networkPlugin: 'azure', networkPluginMode: 'overlay', podCidr: '192.168.0.0/16' });
    expect(body.properties?.networkProfile?.networkDataplane).toBe('azure');
  });

  it('ipam:overlay from kubenet keeps the kubenet pod CIDR', () => {
    const body = buildPutBody(kubenetCluster(), 'ipam:overlay');
    expect(body.properties?.networkProfile).toMatchObject({ networkPlugin: 'azure', networkPluginMode: 'overlay', podCidr: '10.244.0.0/16', podCidrs: ['10.244.0.0/16'] });
  });

  it('nap steps set nodeProvisioningProfile.mode and keep its other fields', () => {
    const napCluster = nodeSubnetCluster({ nodeProvisioningProfile: { mode: 'Auto', defaultNodePools: 'Auto' } });
    expect(buildPutBody(napCluster, 'nap:disable').properties?.nodeProvisioningProfile).toEqual({ mode: 'Manual', defaultNodePools: 'Auto' });
    expect(buildPutBody(napCluster, 'nap:enable').properties?.nodeProvisioningProfile).toEqual({ mode: 'Auto', defaultNodePools: 'Auto' });
  });

  it('recognises a step already applied and a cluster busy with an operation', () => {
    expect(stepApplied(overlayCluster(), 'ipam:overlay', { podCidr: '10.244.0.0/16' })).toBe(true);
    expect(stepApplied(overlayCluster(), 'ipam:overlay', { podCidr: '192.168.0.0/16' })).toBe(false);
    expect(stepApplied(nodeSubnetCluster(), 'dataplane:cilium')).toBe(false);
    expect(stepApplied(nodeSubnetCluster({ networkProfile: { networkDataplane: 'cilium', networkPolicy: 'cilium' } }), 'dataplane:cilium')).toBe(true);
    expect(stepApplied(managedCluster(), 'nap:disable')).toBe(true);
    expect(clusterBusy(managedCluster({ provisioningState: 'Updating' }))).toBe(true);
    expect(clusterBusy(managedCluster())).toBe(false);
  });
});
