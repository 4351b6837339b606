// Event Grid system topic for ONE fleet subscription (source: the subscription itself, topic type
// Microsoft.Resources.Subscriptions) and the event subscription that delivers successful writes of
// managed clusters to the aksnet Event Grid function (aks-facts.md, "Event Grid").
// A subscription can hold only one system topic for its own source: if one exists already, this
// module is deployed into its resource group with existingTopicName set, and only the event
// subscription is added (the existing topic must then carry the Event Grid identity).

targetScope = 'resourceGroup'

@description('Tags applied to every resource.')
param tags object

@description('Name of the system topic to create (ignored when existingTopicName is set).')
param topicName string

@description('Name of a system topic for this subscription that already exists in this resource group. Empty: create one.')
param existingTopicName string = ''

@description('Resource id of the user-assigned identity used for dead-lettering (attached to the topic).')
param eventGridIdentityId string

@description('False on the very first provision: the function does not exist before the code is deployed, and Event Grid validates an AzureFunction endpoint when the event subscription is created (see infra/hooks/postdeploy.sh).')
param deployEventSubscription bool

@description('Resource id of the Event Grid triggered function: <function app id>/functions/<function name>.')
param functionResourceId string

@description('Resource id of the storage account that receives dead-lettered events.')
param deadLetterStorageAccountId string

@description('Blob container for dead-lettered events.')
param deadLetterContainerName string

@description('How often Event Grid retries a delivery before dead-lettering it (1-30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('How long Event Grid keeps retrying an event (minutes, at most 1440).')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource newTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (empty(existingTopicName)) {
  name: topicName
  location: 'global' // subscription-level system topics are global
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${eventGridIdentityId}': {}
    }
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: empty(existingTopicName) ? topicName : existingTopicName
}

// Writes aksnet makes itself also match this filter: the function drops them (claims of its own
// identity, its own correlation ids) rather than Event Grid, because delivery is at least once and
// the handler has to be idempotent anyway; a filter on a missing field could drop foreign writes.
resource managedClusterWrites 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (deployEventSubscription) {
  parent: topic
  name: 'aksnet-managed-cluster-writes'
  dependsOn: [
    newTopic
  ]
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: functionResourceId
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: [
            'Microsoft.ContainerService/managedClusters/write'
          ]
        }
        {
          operatorType: 'StringContains'
          key: 'subject'
          values: [
            '/providers/Microsoft.ContainerService/managedClusters/'
          ]
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: eventGridIdentityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output topicName string = topic.name
