// aksnet in Azure: the Function App (Flex Consumption, Node 20) with its user-assigned managed
// identity, identity-only storage for the Durable task hub, Application Insights with Entra
// ingestion, least-privilege roles on every fleet subscription, and an Event Grid subscription
// system topic per fleet subscription that sends managed cluster writes to the remediation function.
//
// Deploy with `azd up` (azure.yaml at the repository root) or
//   az deployment sub create -l <region> -f infra/main.bicep -p environmentName=<env> location=<region> ...
// See docs/deploy.md. The Bicep CLI is not available where aksnet is built, so these templates keep
// to plain, conventional resources; test/infra/structure.test.ts checks their security settings.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; part of every resource name.')
param environmentName string

@minLength(1)
@description('Region of the app and its resources (must offer Flex Consumption).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group for the app. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Comma-separated subscription ids of the fleet aksnet assesses and migrates. Empty: this subscription only.')
param fleetSubscriptionIds string = ''

@description('Comma-separated resource group ids holding VNets/NSGs of fleet clusters OUTSIDE the fleet subscriptions (hub networks). Reader is granted on each.')
param networkResourceGroupIds string = ''

@description('Comma-separated resource group ids holding the clusters\' user-assigned identities. Managed Identity Operator is granted on each; empty: on each whole fleet subscription.')
param clusterIdentityResourceGroupIds string = ''

@description('Create the Event Grid event subscriptions. False on the first provision (the function must exist first); the postdeploy hook sets AKSNET_EVENTS_ENABLED=true and provisions again.')
param deployEventSubscriptions bool = false

@description('Name of the Event Grid triggered function in functions/ (Event Grid delivers to <app>/functions/<name>).')
param eventGridFunctionName string = 'eventGridRemediation'

@description('Resource group name, in every fleet subscription, for the subscription system topic.')
param eventsResourceGroupName string = ''

@description('Comma-separated <subscription id>/<resource group>/<topic name> entries naming subscription system topics that already exist (a subscription holds at most one); the event subscription is added to those.')
param existingSubscriptionTopics string = ''

@description('Whether the Function App accepts requests from public networks (Disabled needs private endpoints, not part of these templates).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Durable task hub name. Empty: derived from the environment name (letters and digits only).')
param taskHubName string = ''

@description('Client id of an Entra app registration for the aksnet API (callers get tokens for api://<id>). Empty: function keys only.')
param apiAppClientId string = ''

@description('What Event Grid remediation does with a cluster that is off policy: report (record only) or migrate.')
@allowed([
  'report'
  'migrate'
])
param remediationMode string = 'report'

@description('Target of event-driven remediation.')
@allowed([
  'overlay'
  'cilium'
  'overlay+cilium'
])
param remediationTarget string = 'overlay+cilium'

@description('Comma-separated tag filters (key=value) a cluster must carry to be remediated. Empty: every cluster in the fleet subscriptions.')
param remediationTags string = ''

@description('Comma-separated resource group names a cluster must be in to be remediated. Empty: any.')
param remediationResourceGroups string = ''

@description('Writes to one cluster within this many seconds start at most one remediation.')
@minValue(1)
@maxValue(86400)
param remediationDebounceSeconds int = 900

@description('The whole remediation policy as JSON or YAML (docs/remediation.md); when set it replaces the single remediation settings.')
param remediationPolicy string = ''

@description('NCRONTAB schedule (six fields, UTC) of the scheduled fleet rollout.')
param rolloutSchedule string = '0 0 2 * * 6'

@description('Rollout spec the timer starts (JSON or YAML text, or empty to keep the timer idle).')
param scheduledRolloutSpec string = ''

@description('Upper bound of Function App instances (Flex Consumption accepts 40-1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

var tags = {
  'azd-env-name': environmentName
  application: 'aksnet'
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var fleetSubscriptions = empty(trim(fleetSubscriptionIds)) ? [subscription().subscriptionId] : filter(map(split(fleetSubscriptionIds, ','), s => trim(s)), s => !empty(s))
var networkGroups = filter(map(split(networkResourceGroupIds, ','), s => trim(s)), s => !empty(s))
var identityGroups = filter(map(split(clusterIdentityResourceGroupIds, ','), s => trim(s)), s => !empty(s))
var existingTopicEntries = filter(map(split(existingSubscriptionTopics, ','), s => trim(s)), s => !empty(s))
var existingTopics = toObject(existingTopicEntries, e => split(e, '/')[0], e => {
  resourceGroup: split(e, '/')[1]
  name: split(e, '/')[2]
})
var hubName = !empty(taskHubName) ? taskHubName : take('aksnet${toLower(replace(replace(replace(environmentName, '-', ''), '_', ''), '.', ''))}', 45)
var functionAppName = 'func-aksnet-${resourceToken}'
var eventsGroupName = !empty(eventsResourceGroupName) ? eventsResourceGroupName : 'rg-${environmentName}-aksnet-events'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    location: location
    tags: tags
    appIdentityName: 'id-aksnet-${resourceToken}'
    eventGridIdentityName: 'id-aksnet-events-${resourceToken}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    storageAccountName: 'staksnet${take(resourceToken, 16)}'
    deploymentContainerName: 'app-package'
    deadLetterContainerName: 'eventgrid-deadletter'
    appPrincipalId: identity.outputs.appIdentityPrincipalId
    eventGridPrincipalId: identity.outputs.eventGridIdentityPrincipalId
    // The app reaches storage over its public endpoint (no VNet integration in these templates), so
    // storage stays reachable whatever publicNetworkAccess says; it accepts Entra tokens only.
    publicNetworkAccess: 'Enabled'
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-aksnet-${resourceToken}'
    applicationInsightsName: 'appi-aksnet-${resourceToken}'
    appPrincipalId: identity.outputs.appIdentityPrincipalId
  }
}

module app 'modules/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    location: location
    tags: tags
    planName: 'plan-aksnet-${resourceToken}'
    functionAppName: functionAppName
    serviceName: 'api'
    identityId: identity.outputs.appIdentityId
    identityClientId: identity.outputs.appIdentityClientId
    identityPrincipalId: identity.outputs.appIdentityPrincipalId
    storageAccountName: storage.outputs.storageAccountName
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    taskHubName: hubName
    publicNetworkAccess: publicNetworkAccess
    maximumInstanceCount: maximumInstanceCount
    apiAppClientId: apiAppClientId
    aksnetSettings: {
      // Event Grid remediation policy (shared/remediation/policy.ts policyFromSettings); its scope
      // defaults to the fleet subscriptions, its own identities come from AKSNET_IDENTITY_*.
      AKSNET_REMEDIATION_MODE: remediationMode
      AKSNET_REMEDIATION_TARGET: remediationTarget
      AKSNET_REMEDIATION_SUBSCRIPTIONS: join(fleetSubscriptions, ',')
      AKSNET_REMEDIATION_TAGS: remediationTags
      AKSNET_REMEDIATION_RESOURCE_GROUPS: remediationResourceGroups
      AKSNET_REMEDIATION_DEBOUNCE_SECONDS: string(remediationDebounceSeconds)
      AKSNET_REMEDIATION_POLICY: remediationPolicy
      // Scheduled rollout: the timer reads its NCRONTAB from here (%AKSNET_ROLLOUT_SCHEDULE%).
      AKSNET_ROLLOUT_SCHEDULE: rolloutSchedule
      AKSNET_SCHEDULED_ROLLOUT_SPEC: scheduledRolloutSpec
    }
  }
}

module roleDefinitions 'modules/fleetRoleDefinitions.bicep' = {
  name: 'aksnet-role-definitions'
  params: {
    environmentName: environmentName
    fleetSubscriptionIds: fleetSubscriptions
  }
}

module fleetAccess 'modules/fleetAccess.bicep' = [for subscriptionId in fleetSubscriptions: {
  name: 'aksnet-fleet-access-${uniqueString(subscriptionId, environmentName)}'
  scope: subscription(subscriptionId)
  params: {
    appPrincipalId: identity.outputs.appIdentityPrincipalId
    fleetMigratorRoleName: roleDefinitions.outputs.fleetMigratorRoleDefinitionName
    clusterOperatorRoleName: roleDefinitions.outputs.clusterOperatorRoleDefinitionName
    identityOperatorScopedToResourceGroups: !empty(identityGroups)
  }
}]

module networkReaders 'modules/networkReader.bicep' = [for groupId in networkGroups: {
  name: 'aksnet-network-reader-${uniqueString(groupId, environmentName)}'
  scope: resourceGroup(split(groupId, '/')[2], split(groupId, '/')[4])
  params: {
    appPrincipalId: identity.outputs.appIdentityPrincipalId
  }
}]

module identityOperators 'modules/clusterIdentityOperator.bicep' = [for groupId in identityGroups: {
  name: 'aksnet-identity-operator-${uniqueString(groupId, environmentName)}'
  scope: resourceGroup(split(groupId, '/')[2], split(groupId, '/')[4])
  params: {
    appPrincipalId: identity.outputs.appIdentityPrincipalId
  }
}]

module fleetEvents 'modules/fleetEvents.bicep' = [for subscriptionId in fleetSubscriptions: {
  name: 'aksnet-fleet-events-${uniqueString(subscriptionId, environmentName)}'
  scope: subscription(subscriptionId)
  params: {
    location: location
    tags: tags
    resourceGroupName: eventsGroupName
    topicName: 'evgt-aksnet-${uniqueString(subscriptionId)}'
    existingTopicResourceGroup: contains(existingTopics, subscriptionId) ? existingTopics[subscriptionId].resourceGroup : ''
    existingTopicName: contains(existingTopics, subscriptionId) ? existingTopics[subscriptionId].name : ''
    eventGridIdentityId: identity.outputs.eventGridIdentityId
    deployEventSubscription: deployEventSubscriptions
    functionResourceId: '${app.outputs.functionAppId}/functions/${eventGridFunctionName}'
    deadLetterStorageAccountId: storage.outputs.storageAccountId
    deadLetterContainerName: storage.outputs.deadLetterContainerName
  }
}]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.functionAppName
output AKSNET_BACKEND_URL string = 'https://${app.outputs.defaultHostName}'
output AKSNET_IDENTITY_CLIENT_ID string = identity.outputs.appIdentityClientId
output AKSNET_IDENTITY_PRINCIPAL_ID string = identity.outputs.appIdentityPrincipalId
output AKSNET_TASK_HUB string = hubName
output AKSNET_FLEET_SUBSCRIPTION_IDS string = join(fleetSubscriptions, ',')
output AKSNET_EVENTS_ENABLED bool = deployEventSubscriptions
