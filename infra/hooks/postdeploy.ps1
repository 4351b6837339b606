# azd postdeploy hook (Windows). Same as postdeploy.sh: Event Grid needs the deployed function before
# an AzureFunction event subscription can be created, so the first deploy turns the event
# subscriptions on and provisions again; later runs do nothing.
$ErrorActionPreference = 'Stop'

$enabled = (azd env get-value AKSNET_EVENTS_ENABLED 2>$null)
if ($enabled -eq 'true') {
  Write-Host 'aksnet: Event Grid subscriptions already enabled.'
  exit 0
}

Write-Host 'aksnet: function deployed; creating the Event Grid subscriptions (azd provision).'
azd env set AKSNET_EVENTS_ENABLED true
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
azd provision --no-prompt
exit $LASTEXITCODE
