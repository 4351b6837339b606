#!/bin/sh
# azd postdeploy hook. Event Grid checks that an AzureFunction endpoint exists when an event
# subscription is created, and the Event Grid function exists only once the code is deployed. So the
# first `azd provision` runs with AKSNET_EVENTS_ENABLED=false; after the first deploy this hook turns
# it on and provisions again, which adds one event subscription per fleet subscription.
# Later runs find it on and do nothing.
set -eu

enabled="$(azd env get-value AKSNET_EVENTS_ENABLED 2>/dev/null || true)"
if [ "$enabled" = "true" ]; then
  echo "aksnet: Event Grid subscriptions already enabled."
  exit 0
fi

echo "aksnet: function deployed; creating the Event Grid subscriptions (azd provision)."
azd env set AKSNET_EVENTS_ENABLED true
azd provision --no-prompt
