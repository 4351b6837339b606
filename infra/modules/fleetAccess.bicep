// What the aksnet identity may do in ONE fleet subscription. main.bicep deploys this module once per
// subscription id in the fleet parameter (scope: subscription(id)).

targetScope = 'subscription'

@description('Principal (object) id of the identity the Function App runs as.')
param appPrincipalId string

@description('Name (GUID) of the custom role "aksnet fleet migrator".')
param fleetMigratorRoleName string

@description('Name (GUID) of the custom role "aksnet cluster operator".')
param clusterOperatorRoleName string

@description('True when the operator named the resource groups holding the clusters\' user-assigned identities (then Managed Identity Operator is granted there, not on this whole subscription).')
param identityOperatorScopedToResourceGroups bool

// Purpose: Resource Graph discovery (Resource Graph returns only what the caller can read) and every
// read the assessment needs in this subscription: clusters, agent pools, maintenance configurations,
// VNets, subnets, peerings, NSGs (seed 003 "IP address planning", "Network security groups").
resource fleetReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, 'acdd72a7-3385-48ef-bd42-f606fba81ae7')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7') // Reader
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'aksnet: fleet discovery (Resource Graph) and read-only assessment'
  }
}

// Purpose: the migration itself: one full-model PUT per step with If-Match (seed 000: the IPAM and
// data plane updates are az aks update), NAP mode Manual/Auto, agent pool scaling around the NAP
// disable procedure, and listClusterUserCredential for the kubeconfig.
resource fleetMigrator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, fleetMigratorRoleName)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', fleetMigratorRoleName) // custom: aksnet fleet migrator
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'aksnet: AKS network migration PUTs and NAP procedure'
  }
}

// Purpose: Kubernetes API reads for the preflight rules and the verification, and deleting NAP
// nodes, on clusters using Azure RBAC for Kubernetes authorization. Clusters using Kubernetes RBAC
// bind infra/kubernetes/aksnet-clusterrole.yaml to the identity instead.
resource clusterOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, clusterOperatorRoleName)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', clusterOperatorRoleName) // custom: aksnet cluster operator
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'aksnet: Kubernetes reads and NAP node removal (Azure RBAC clusters)'
  }
}

// Purpose: ARM's linked access check on every PUT of a managed cluster whose identity is
// user-assigned: the caller needs userAssignedIdentities/assign/action on that identity, even when
// the PUT does not change it (Azure/AKS#4980). Kubenet -> Overlay requires a user-assigned cluster
// identity (aks-facts.md), so every kubenet migration meets this check. Granted here only when the
// operator did not name narrower resource groups (parameter clusterIdentityResourceGroupIds).
resource identityOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!identityOperatorScopedToResourceGroups) {
  name: guid(subscription().id, appPrincipalId, 'f1a07417-d97a-45cb-824c-7a7467783830')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'f1a07417-d97a-45cb-824c-7a7467783830') // Managed Identity Operator
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'aksnet: linked access check on the cluster identity during the migration PUT'
  }
}
