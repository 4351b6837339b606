// Managed Identity Operator on ONE resource group that holds user-assigned identities of fleet
// clusters. Used instead of the subscription-wide assignment in fleetAccess.bicep when the operator
// names these resource groups (parameter clusterIdentityResourceGroupIds): the narrower choice.

targetScope = 'resourceGroup'

@description('Principal (object) id of the identity the Function App runs as.')
param appPrincipalId string

// Purpose: ARM's linked access check on every managed cluster PUT: the caller needs
// userAssignedIdentities/assign/action on the cluster's user-assigned identity (Azure/AKS#4980);
// kubenet -> Overlay requires such an identity on the cluster (aks-facts.md).
resource identityOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, appPrincipalId, 'f1a07417-d97a-45cb-824c-7a7467783830')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'f1a07417-d97a-45cb-824c-7a7467783830') // Managed Identity Operator
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'aksnet: linked access check on cluster identities during the migration PUT'
  }
}
