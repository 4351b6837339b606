// User-assigned managed identities.
// Two identities, so that each holds only what its job needs:
//  - the app identity: the Function App runs as it (storage for the Durable task hub, App Insights,
//    and the fleet: ARM reads and the migration PUTs, Kubernetes reads);
//  - the Event Grid identity: the subscription system topics use it for one thing only, writing
//    undeliverable events to the dead-letter container.
// User-assigned (not system-assigned) because role assignments on the fleet must exist before the
// app's first start, and the identity must survive a redeploy of the app.

@description('Azure region of the identities.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the identity the Function App runs as.')
param appIdentityName string

@description('Name of the identity the Event Grid system topics use for dead-lettering.')
param eventGridIdentityName string

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: appIdentityName
  location: location
  tags: tags
}

resource eventGridIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: eventGridIdentityName
  location: location
  tags: tags
}

output appIdentityId string = appIdentity.id
output appIdentityName string = appIdentity.name
output appIdentityClientId string = appIdentity.properties.clientId
output appIdentityPrincipalId string = appIdentity.properties.principalId
output eventGridIdentityId string = eventGridIdentity.id
output eventGridIdentityPrincipalId string = eventGridIdentity.properties.principalId
