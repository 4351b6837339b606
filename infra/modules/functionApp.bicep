// The aksnet Function App on the Flex Consumption plan (FC1), Node.js 20, running as a
// user-assigned managed identity. The same functions/ code runs here and in the local host.
// Flex Consumption takes the runtime, the deployment source and the scale limits from
// functionAppConfig; it rejects FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and
// WEBSITE_RUN_FROM_PACKAGE as app settings, so none of them appear below.

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Flex Consumption plan name.')
param planName string

@description('Function App name (becomes https://<name>.azurewebsites.net).')
param functionAppName string

@description('azd service name the app is tagged with (azure.yaml services.<name>).')
param serviceName string = 'api'

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Principal (object) id of that identity: aksnet ignores Event Grid events caused by its own writes.')
param identityPrincipalId string

@description('Storage account for AzureWebJobsStorage and the Durable task hub.')
param storageAccountName string

@description('Blob endpoint of that account, e.g. https://<account>.blob.core.windows.net/')
param blobEndpoint string

@description('Table endpoint of that account, e.g. https://<account>.table.core.windows.net/: where the app keeps rollout results, cluster locks and remediation decisions.')
param tableEndpoint string

@description('Container the app package is deployed to.')
param deploymentContainerName string

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Durable task hub name (AKSNET_TASK_HUB; host.json reads %AKSNET_TASK_HUB%). Letters and digits, 3-45 characters, starting with a letter.')
@minLength(3)
@maxLength(45)
param taskHubName string

@description('Settings that depend on the fleet and the operator\'s choices, built in main.bicep.')
param aksnetSettings object

@description('Whether the app accepts requests from public networks.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Upper bound of instances. Keeps ARM write throughput, and so throttling, bounded. Flex Consumption accepts 40-1000.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance (MB).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Client id of an Entra app registration that identifies the aksnet API (tokens for api://<id>). Set: callers need a token AND the function key. Empty: function keys only.')
param apiAppClientId string = ''

// Every app setting the deployed app reads. test/infra/structure.test.ts checks that each
// process.env.X the code reads is here (or explicitly local-only), and that no key or connection
// string ever is.
var appSettings = union({
  // Functions host and Durable task hub storage with the managed identity: no connection string.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Telemetry with Entra authentication (local auth is disabled on the component).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential (shared/azure) picks this user-assigned identity for ARM and Kubernetes.
  AZURE_CLIENT_ID: identityClientId
  // Durable task hub name; host.json: "hubName": "%AKSNET_TASK_HUB%".
  AKSNET_TASK_HUB: taskHubName
  // Per-cluster rollout results, cluster locks and remediation decisions in Table storage of the same
  // account, with the managed identity (shared/storage/tables.ts): shared by every instance of the app,
  // so two instances never migrate one cluster at once. The tables are created on first use.
  AKSNET_TABLE_ENDPOINT: tableEndpoint
  AKSNET_RESULTS_TABLE: 'aksnetResults'
  AKSNET_LOCKS_TABLE: 'aksnetLocks'
  AKSNET_DECISIONS_TABLE: 'aksnetDecisions'
  // Who "aksnet itself" is, so the Event Grid handler ignores writes it made.
  AKSNET_IDENTITY_PRINCIPAL_ID: identityPrincipalId
  AKSNET_IDENTITY_CLIENT_ID: identityClientId
}, aksnetSettings)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: publicNetworkAccess
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '20'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [for setting in items(appSettings): {
        name: setting.key
        value: string(setting.value)
      }]
    }
  }
}

// Basic (user name + password) publishing credentials off for FTP and for the SCM site:
// deployments (azd deploy, az functionapp deployment) authenticate with Microsoft Entra ID.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Optional Entra authentication in front of the app (App Service authentication). When configured,
// every request needs a valid token for api://<apiAppClientId> (401 otherwise), AND the Functions host
// still demands the function key of authLevel 'function': Easy Auth does not satisfy key
// authorization (Azure/azure-functions-host#11394), and aksnet never makes a route anonymous.
// Event Grid deliveries use the host's system key on the runtime webhook and carry no Entra token,
// so that path is excluded.
// Paths App Service authentication leaves to the Functions host: Event Grid deliveries.
var unauthenticatedPaths = [
  '/runtime/webhooks/eventgrid'
  '/runtime/webhooks/EventGrid'
]

resource entraAuth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(apiAppClientId)) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: unauthenticatedPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiAppClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${apiAppClientId}'
            apiAppClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

output functionAppId string = site.id
output functionAppName string = site.name
output defaultHostName string = site.properties.defaultHostName
