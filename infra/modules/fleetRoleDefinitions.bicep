// Custom roles for the fleet, narrower than any built-in role that would cover the same work.
// Deployed once (in the app's subscription); assignable in every fleet subscription.
//
// Why not the built-in roles:
//  - Azure Kubernetes Service Contributor Role (ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8) grants
//    managedClusters/read+write and Microsoft.Resources/deployments/*, but not agentPools/write,
//    which the NAP disable procedure needs to scale fixed pools up (aks-facts.md, "Disabling NAP
//    is a workload move": step 3), and aksnet never creates ARM deployments.
//  - Network Contributor is far too broad: aksnet only reads VNets, subnets and NSGs (pod CIDR
//    overlap and NSG rules, seed 003_fe34ccaeba990a60.txt "IP address planning" and "Network
//    security groups"). The migration PUT leaves every vnetSubnetID as it is; AKS joins subnets and
//    detaches the kubenet route table with the cluster's own identity (which is why kubenet ->
//    Overlay needs a user-assigned identity on the cluster, aks-facts.md), so aksnet needs neither
//    subnets/join/action nor routeTables/*.
//  - Azure Kubernetes Service RBAC Writer cannot read nodes or delete them and can read Secrets;
//    RBAC Cluster Admin can do anything in every cluster.

targetScope = 'subscription'

@description('azd environment name: makes the role names unique in the tenant.')
param environmentName string

@description('Subscription ids of the fleet: the roles are assignable there.')
param fleetSubscriptionIds string[]

var assignableScopes = union([subscription().id], map(fleetSubscriptionIds, id => '/subscriptions/${id}'))

// Control plane (ARM) actions on managed clusters.
resource fleetMigrator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(tenant().tenantId, environmentName, 'aksnet-fleet-migrator')
  properties: {
    roleName: 'aksnet fleet migrator (${environmentName})'
    description: 'aksnet: read AKS clusters, PUT the network migration (If-Match), scale agent pools around the NAP disable procedure, get the cluster user kubeconfig.'
    type: 'customRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: [
          'Microsoft.ContainerService/managedClusters/read' // fresh GET before each PUT (full-model PUT, aks-facts.md "What the PUT must contain")
          'Microsoft.ContainerService/managedClusters/write' // the migration PUT itself (seed 000: az aks update) and NAP mode Manual/Auto
          'Microsoft.ContainerService/managedClusters/agentPools/read'
          'Microsoft.ContainerService/managedClusters/agentPools/write' // scale fixed pools to absorb NAP workload, then restore (aks-facts.md NAP step 3)
          'Microsoft.ContainerService/managedClusters/maintenanceConfigurations/read' // honour the cluster's maintenance windows
          'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action' // kubeconfig for the Kubernetes reads and NAP steps
          'Microsoft.ContainerService/locations/operations/read' // Azure-AsyncOperation polling of the PUT
          'Microsoft.ContainerService/locations/operationresults/read' // Location-header polling of the PUT
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

// Kubernetes API access on clusters that use Azure RBAC for Kubernetes authorization.
// Karpenter NodePools (karpenter.sh/v1) are custom resources: Azure RBAC covers custom resources only
// with the broad managedClusters/*/read or with ABAC conditions, so the NodePool get/patch that the
// NAP disable procedure needs is granted in-cluster instead (infra/kubernetes/aksnet-clusterrole.yaml).
resource clusterOperator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(tenant().tenantId, environmentName, 'aksnet-cluster-operator')
  properties: {
    roleName: 'aksnet cluster operator (${environmentName})'
    description: 'aksnet: read the Kubernetes objects the preflight rules and the verification need; delete NAP nodes during the NAP disable procedure.'
    type: 'customRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.ContainerService/managedClusters/nodes/read' // node readiness, Windows build, runtime, arch
          'Microsoft.ContainerService/managedClusters/nodes/delete' // remove NAP nodes (aks-facts.md NAP step 4)
          'Microsoft.ContainerService/managedClusters/pods/read' // pod IPs inside the pod CIDR, hostNetwork/hostPort checks
          'Microsoft.ContainerService/managedClusters/services/read' // internalTrafficPolicy and host port rules (seed 001)
          'Microsoft.ContainerService/managedClusters/configmaps/read' // azure-ip-masq-agent-config (seed 000 Warning)
          'Microsoft.ContainerService/managedClusters/namespaces/read'
          'Microsoft.ContainerService/managedClusters/networking.k8s.io/networkpolicies/read' // ipBlock rules (seed 001/002 FAQ)
          'Microsoft.ContainerService/managedClusters/policy/poddisruptionbudgets/read' // drains blocked by PDBs during the reimage
          'Microsoft.ContainerService/managedClusters/apps/daemonsets/read' // Cilium ready, kube-proxy gone (verification)
        ]
        notDataActions: []
      }
    ]
  }
}

output fleetMigratorRoleDefinitionName string = fleetMigrator.name
output clusterOperatorRoleDefinitionName string = clusterOperator.name
