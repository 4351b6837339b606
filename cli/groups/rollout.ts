/**
 * `aksnet rollout …` (staged migrations of many clusters) and `aksnet cluster migrate` (one cluster): both talk
 * to the aksnet HTTP API (docs/http-api.md). Data only; handlers load on demand.
 */
import { backendArg } from '../backend/resolve';
import { InvalidArgumentValueError, MutuallyExclusiveArgumentError } from '../errors';
import { clusterMigrateTable, rolloutListTable, rolloutTable } from '../backend/views';
import { clusterSelectionArgs, clusterSubscriptionArg, podCidrArg, targetArg, validateClusterSelection, validateNumber } from '../params';
import type { ArgSpec, CommandGroupModule, ParsedArgs } from '../types';

const RESULTS = ['migrated', 'compliant', 'blocked', 'failed', 'skipped', 'cancelled', 'pending'] as const;
const STATUSES = ['running', 'waitingForApproval', 'waitingForWindow', 'halted'] as const;
/** Durable runtime statuses, as GET /api/rollouts?status= takes them (shared/api/validate.ts RUNTIME_STATUSES; not imported: the table stays light). */
const RUNTIME_STATUSES = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew', 'Completed', 'Failed', 'Canceled', 'Terminated'] as const;

/** A rollout id as the API makes them (docs/http-api.md § Validation of ids). */
export function validateRolloutId(value: string, option = '--id'): string {
  const v = value.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(v) || v.includes('..')) {
    throw new InvalidArgumentValueError(`'${value}' is not a rollout id (for '${option}')`, "Use the id 'aksnet rollout start' printed, or list them with 'aksnet rollout list'");
  }
  return v;
}

const idArg: ArgSpec = {
  dest: 'id',
  options: ['--id'],
  metavar: 'ID',
  required: true,
  positional: true,
  help: "The rollout's id, as 'rollout start' printed it. Also accepted alone, as the first argument: 'aksnet rollout show ID'.",
  validator: (v, o) => validateRolloutId(v, o),
};
const reasonArg: ArgSpec = { dest: 'reason', options: ['--reason'], metavar: 'TEXT', help: 'Why, for the record.' };

function validateStartWait(args: ParsedArgs): void {
  if (args.wait === true && args.noWait === true) throw new MutuallyExclusiveArgumentError("'--wait' cannot be used with '--no-wait'", 'Use one of them (waiting is the default)');
}

export const rolloutGroup: CommandGroupModule = {
  groups: [
    {
      name: 'rollout',
      help: {
        summary: 'Run staged migrations of many clusters (a rollout spec), and follow, approve, resume or cancel them.',
        long:
          `Commands talk to the aksnet app's HTTP API: '--backend URL' or AKSNET_BACKEND (key in AKSNET_FUNCTION_KEY, and an Entra token as well when AKSNET_API_APP_CLIENT_ID is set). ` +
          "Without a backend, 'rollout start' runs the rollout on a local host started for the command (ARM: the simulator when AKSNET_ARM_ENDPOINT and AKSNET_CA_CERT are set, else Azure) and waits for its end.",
        examples: [
          { summary: 'Run a rollout on a local host against the simulator, with a table at the end', command: 'aksnet rollout start --spec rollout.yaml -o table' },
          { summary: 'Start a rollout on the app in Azure without waiting', command: 'aksnet rollout start --spec rollout.yaml --backend https://my-aksnet.azurewebsites.net --no-wait' },
          { summary: 'Approve the stage that waits', command: 'aksnet rollout approve fleet-overlay-20261121T193005Z-a1b2c3' },
        ],
      },
    },
  ],
  commands: [
    {
      name: 'rollout start',
      help: {
        summary: 'Start a rollout from a spec (YAML or JSON) and, by default, wait for its end: the per-cluster results.',
        long:
          'The spec is validated before anything starts (every problem is listed). Progress goes to stderr when it is a terminal; the result is ' +
          '{ id, status, stages, clusters: [{ id, result, steps, findings, error }] }. Exit 1 when a cluster failed or the rollout itself failed; ' +
          "blocked and compliant clusters are not failures. '--no-wait' prints the id and status links and needs '--backend' (a host started for the command ends with it). " +
          'Ctrl-C on a host started for the command cancels the rollout gracefully and follows it to its end; a second Ctrl-C exits and keeps its state for a resume. ' +
          'With a backend, Ctrl-C only stops following (exit 130).',
        examples: [
          { summary: 'Run it to the end and show the clusters', command: 'aksnet rollout start --spec rollout.yaml --wait -o table' },
          { summary: 'Start it on a running host and return at once', command: 'aksnet rollout start --spec rollout.json --backend http://127.0.0.1:7071 --no-wait --query id -o tsv' },
        ],
      },
      args: [
        { dest: 'spec', options: ['--spec'], metavar: 'FILE', required: true, help: 'Rollout spec, YAML or JSON (docs/rollout-spec.md).' },
        backendArg,
        { dest: 'wait', options: ['--wait'], type: 'boolean', help: 'Wait for the rollout to end (the default).' },
      ],
      supportsNoWait: true,
      validate: validateStartWait,
      tableTransformer: rolloutTable,
      handler: () => import('../handlers/rollout').then((m) => m.rolloutStart),
    },
    {
      name: 'rollout show',
      help: {
        summary: 'Show a rollout: status, stages, counts and every cluster with its result, steps, findings and error.',
        examples: [
          { summary: 'The failed clusters of a rollout', command: 'aksnet rollout show r1 --status failed -o table' },
          { summary: 'Counts only (the id with --id works as well)', command: 'aksnet rollout show --id r1 --query counts' },
        ],
      },
      args: [idArg, { dest: 'status', options: ['--status'], enum: RESULTS, help: 'Only the clusters with this result.' }, backendArg],
      tableTransformer: rolloutTable,
      handler: () => import('../handlers/rollout').then((m) => m.rolloutShow),
    },
    {
      name: 'rollout list',
      help: {
        summary: 'List the rollouts of the backend, newest first.',
        long: "Read from the app's HTTP API (GET /api/rollouts), with the same function key (and Entra token) as the other rollout commands.",
        examples: [
          { summary: 'List rollouts as a table', command: 'aksnet rollout list --backend http://127.0.0.1:7071 -o table' },
          { summary: 'The ids of the rollouts still running', command: 'aksnet rollout list --status Running --query "[].id" -o tsv' },
        ],
      },
      args: [{ dest: 'status', options: ['--status'], enum: RUNTIME_STATUSES, help: "Only the rollouts whose orchestration has this runtime status (a halted or waiting rollout is 'Running')." }, backendArg],
      tableTransformer: rolloutListTable,
      handler: () => import('../handlers/rollout').then((m) => m.rolloutList),
    },
    {
      name: 'rollout wait',
      help: {
        summary: 'Wait for a rollout to end (or to reach a status), then show it like rollout show.',
        examples: [
          { summary: 'Wait for the end', command: 'aksnet rollout wait r1 -o table' },
          { summary: 'Wait until a stage needs approval, at most 10 minutes', command: 'aksnet rollout wait r1 --until waitingForApproval --timeout 600' },
        ],
      },
      args: [
        idArg,
        { dest: 'until', options: ['--until'], enum: STATUSES, help: 'Return when the rollout has this status (it still returns when the rollout ends).' },
        { dest: 'timeout', options: ['--timeout'], metavar: 'SECONDS', help: 'Give up after this many seconds (exit 1; the rollout goes on).', validator: (v, o) => validateNumber(v, o, { min: 0, exclusiveMin: true }, '600') },
        backendArg,
      ],
      tableTransformer: rolloutTable,
      handler: () => import('../handlers/rollout').then((m) => m.rolloutWait),
    },
    {
      name: 'rollout approve',
      help: {
        summary: 'Approve the stage that waits for approval (a stage with approval: true).',
        examples: [{ summary: 'Approve stage broad', command: 'aksnet rollout approve r1 --stage broad' }],
      },
      args: [idArg, { dest: 'stage', options: ['--stage'], metavar: 'NAME', help: 'The stage expected to wait; refused (409) when another one waits.' }, backendArg],
      handler: () => import('../handlers/rollout').then((m) => m.rolloutApprove),
    },
    {
      name: 'rollout resume',
      help: {
        summary: 'Resume a rollout the failure budget halted (the failures so far are accepted).',
        examples: [{ summary: 'Resume after looking at the failures', command: 'aksnet rollout resume r1 --reason "quota raised"' }],
      },
      args: [idArg, reasonArg, backendArg],
      handler: () => import('../handlers/rollout').then((m) => m.rolloutResume),
    },
    {
      name: 'rollout cancel',
      help: {
        summary: 'Cancel a rollout gracefully: no new cluster starts, operations under way finish, NAP is restored; waits for the end unless --no-wait.',
        examples: [{ summary: 'Cancel and wait for the clusters under way', command: 'aksnet rollout cancel r1 --reason "change freeze" -o table' }],
      },
      args: [idArg, reasonArg, backendArg],
      supportsNoWait: true,
      tableTransformer: rolloutTable,
      handler: () => import('../handlers/rollout').then((m) => m.rolloutCancel),
    },
    {
      name: 'cluster migrate',
      help: {
        summary: 'Migrate one cluster to Overlay and/or Cilium through the aksnet workflow (preflight, NAP, retries, verify). Irreversible: asks first.',
        long:
          "Runs a one-cluster rollout on the backend ('--backend URL', AKSNET_BACKEND, or a local host started for the command). " +
          "Asks for confirmation; without a terminal, '--yes' is required. Exit 1 when the cluster is blocked or the migration failed. " +
          'Ctrl-C on a host started for the command cancels gracefully (the operation under way ends, NAP is restored); a second one exits and keeps its state (exit 130).',
        examples: [
          { summary: 'Migrate a cluster to Overlay and Cilium', command: 'aksnet cluster migrate -g rg-prod -n aks-prod-1 --target overlay+cilium --yes' },
          { summary: 'Start it on the app in Azure and return at once', command: 'aksnet cluster migrate --ids /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod-1 -t cilium --backend https://my-aksnet.azurewebsites.net --no-wait --yes' },
        ],
      },
      args: [...clusterSelectionArgs, clusterSubscriptionArg, targetArg, podCidrArg, backendArg],
      validate: validateClusterSelection,
      confirmation: 'Migrating changes the cluster network in place and cannot be undone (Overlay and Cilium are forward-only); every node pool is reimaged. Continue?',
      supportsNoWait: true,
      tableTransformer: clusterMigrateTable,
      handler: () => import('../handlers/migrate').then((m) => m.clusterMigrate),
    },
  ],
};
