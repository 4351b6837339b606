// Event Grid wiring for ONE fleet subscription: a resource group there to hold the subscription's
// system topic (system topics live in a resource group of the subscription they watch), then the
// topic and its event subscription. main.bicep deploys this once per fleet subscription.

targetScope = 'subscription'

@description('Region of the resource group (the topic itself is global).')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Resource group for the system topic in this subscription.')
param resourceGroupName string

@description('Name of the system topic to create.')
param topicName string

@description('Resource group of an existing system topic for this subscription (a subscription holds at most one). Empty: create the resource group and the topic.')
param existingTopicResourceGroup string = ''

@description('Name of that existing system topic.')
param existingTopicName string = ''

var useExistingTopic = !empty(existingTopicName) && !empty(existingTopicResourceGroup)

@description('Resource id of the Event Grid dead-letter identity.')
param eventGridIdentityId string

@description('Create the event subscription (needs the function deployed).')
param deployEventSubscription bool

@description('Resource id of the Event Grid triggered function.')
param functionResourceId string

@description('Resource id of the dead-letter storage account.')
param deadLetterStorageAccountId string

@description('Dead-letter blob container.')
param deadLetterContainerName string

resource eventsGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = if (!useExistingTopic) {
  name: resourceGroupName
  location: location
  tags: tags
}

module topic 'subscriptionEvents.bicep' = {
  name: 'aksnet-events-${uniqueString(subscription().id, resourceGroupName)}'
  scope: resourceGroup(useExistingTopic ? existingTopicResourceGroup : resourceGroupName)
  dependsOn: [
    eventsGroup
  ]
  params: {
    tags: tags
    topicName: topicName
    existingTopicName: useExistingTopic ? existingTopicName : ''
    eventGridIdentityId: eventGridIdentityId
    deployEventSubscription: deployEventSubscription
    functionResourceId: functionResourceId
    deadLetterStorageAccountId: deadLetterStorageAccountId
    deadLetterContainerName: deadLetterContainerName
  }
}
