import { armIdKey, parseArmId, sameArmId, vnetIdOfSubnet, ArmIdError } from '../../../shared/arm/id';

describe('ARM ids', () => {
  const id = '/subscriptions/0000/resourcegroups/rg-a/providers/Microsoft.ContainerService/managedClusters/aks1';

  it('parses subscription, resource group, type and name', () => {
    const p = parseArmId(id);
    expect(p).toMatchObject({ subscriptionId: '0000', resourceGroup: 'rg-a', provider: 'Microsoft.ContainerService', type: 'Microsoft.ContainerService/managedClusters', name: 'aks1' });
  });

  it('parses child resources', () => {
    const p = parseArmId(`${id}/agentPools/np1`);
    expect(p.type).toBe('Microsoft.ContainerService/managedClusters/agentPools');
    expect(p.names).toEqual(['aks1', 'np1']);
  });

  it('compares case-insensitively (ARM returns resourcegroups and resourceGroups)', () => {
    expect(sameArmId(id, id.replace('resourcegroups', 'resourceGroups').toUpperCase())).toBe(true);
    expect(armIdKey(`${id}/`)).toBe(id.toLowerCase());
    expect(sameArmId(id, `${id}x`)).toBe(false);
  });

  it.each([
    ['not an id', "must start with '/subscriptions/'"],
    ['/subscriptions/s/resourceGroups/../providers/A/b/c', 'forbidden'],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters', "'/providers/{namespace}/{type}/{name}'"],
    ['/subscriptions/s/resourceGroups', "'/resourceGroups/{name}'"],
  ])('rejects %s', (value, reason) => {
    expect(() => parseArmId(value)).toThrow(ArmIdError);
    expect(() => parseArmId(value)).toThrow(reason);
  });

  it('finds the VNet of a subnet', () => {
    expect(vnetIdOfSubnet('/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/aks')).toBe(
      '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub',
    );
    expect(vnetIdOfSubnet('/subscriptions/s/resourceGroups/net')).toBeUndefined();
  });
});
