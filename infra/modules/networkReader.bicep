// Read access to ONE resource group holding virtual networks or NSGs that fleet clusters use but that
// live outside the fleet subscriptions (for example a hub VNet in a connectivity subscription).
// main.bicep deploys it once per id in the networkResourceGroupIds parameter.

targetScope = 'resourceGroup'

@description('Principal (object) id of the identity the Function App runs as.')
param appPrincipalId string

// Purpose: read VNets, subnets, peerings and NSGs outside the fleet subscriptions for the pod CIDR
// overlap and NSG checks (seed 003_fe34ccaeba990a60.txt "IP address planning", "Network security
// groups"). Read only: AKS itself joins subnets with the cluster identity, aksnet never writes here.
resource networkReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, appPrincipalId, 'acdd72a7-3385-48ef-bd42-f606fba81ae7')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7') // Reader
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'aksnet: read VNets and NSGs used by fleet clusters'
  }
}
