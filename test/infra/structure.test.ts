// Structural checks of infra/ (Bicep), azure.yaml and the in-cluster role, without the Bicep CLI:
// the security settings, the identity-only storage access, the role assignments (each with its
// purpose and an allow-listed role), the Event Grid wiring, and that every app setting the code
// reads is provided by the deployment.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import {
  BicepFile,
  BicepResource,
  loadBicep,
  maskBicep,
  modules,
  objectKeys,
  outputs,
  params,
  parseBicep,
  propertyBlock,
  propertyValue,
  resources,
} from './bicepText';
import { envReadsIn, envReadsUnder } from './envReads';
import { KUBE_KINDS } from '../../shared/kube/read';

const ROOT = join(__dirname, '..', '..');
const INFRA = join(ROOT, 'infra');

/** Built-in roles aksnet may assign, by role definition id (global across tenants). */
const ALLOWED_BUILT_IN_ROLES: Record<string, string> = {
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  'f1a07417-d97a-45cb-824c-7a7467783830': 'Managed Identity Operator',
};

/** Custom roles defined in infra/modules/fleetRoleDefinitions.bicep, by the parameter that carries their name. */
const ALLOWED_CUSTOM_ROLES: Record<string, string> = {
  fleetMigratorRoleName: 'aksnet fleet migrator',
  clusterOperatorRoleName: 'aksnet cluster operator',
};

/** Roles that would break least privilege if they ever appeared. */
const FORBIDDEN_ROLES: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  '4d97b98b-1d4f-4787-a291-c67834d212e7': 'Network Contributor',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor (can list account keys)',
  '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8': 'Azure Kubernetes Service Cluster Admin Role',
  'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b': 'Azure Kubernetes Service RBAC Cluster Admin',
};

/**
 * Settings the app code reads that the deployed app does not get, each with the reason.
 * (local/, the stand-in Functions host, never runs in Azure: it is not scanned.)
 */
const LOCAL_ONLY_SETTINGS: Record<string, string> = {
  AKSNET_ARM_ENDPOINT: 'points the gateway at the simulator (docs/gateway.md); unset in Azure means real ARM',
  AKSNET_CA_CERT: "the simulator's CA certificate; Azure endpoints use public CAs",
  AKSNET_ARM_PACING: "turns the gateway's ARM pacing off for a simulator without throttling under a compressed clock (bench/rollout.ts); real ARM keeps pacing",
  AKSNET_CLOCK_SCALE: "the local host's durable clock scale, sent to the simulator only (shared/azure/clients.ts); real ARM runs on wall time",
  AKSNET_RESULTS_DB:
    "SQLite file of the local host's result store, cluster locks and decisions; a file on a Flex Consumption instance is per-instance and ephemeral, so Azure uses Table storage (AKSNET_TABLE_ENDPOINT) instead",
  AKSNET_TABLE_CONNECTION_STRING: 'Table storage through a connection string, for Azurite in development only: a connection string carries an account key, and the account has shared keys disabled',
};
/** Folders whose code runs inside the deployed Function App. */
const APP_FOLDERS = ['functions', 'shared'];

/** Settings Flex Consumption rejects or that would carry secrets. */
const FORBIDDEN_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME', // functionAppConfig.runtime on Flex Consumption
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE', // functionAppConfig.deployment on Flex Consumption
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING', // an account key connection string
  'WEBSITE_CONTENTSHARE',
  'AzureWebJobsStorage', // the connection string form; the identity form is AzureWebJobsStorage__*
  'AzureWebJobsDashboard',
];

const bicep: BicepFile[] = loadBicep(INFRA);
const all: BicepResource[] = bicep.flatMap(resources);
const ofType = (type: string): BicepResource[] => all.filter((r) => r.type.toLowerCase() === type.toLowerCase());
const fileNamed = (name: string): BicepFile => {
  const f = bicep.find((b) => b.path.replace(/\\/g, '/') === name);
  if (!f) throw new Error(`infra/${name} is missing`);
  return f;
};
const only = (type: string): BicepResource => {
  const found = ofType(type).filter((r) => !r.existing);
  expect(found.map((r) => `${r.file}:${r.symbol}`)).toHaveLength(1);
  return found[0];
};

/** Every app setting name the deployment sets, with its value expression. */
function deployedSettings(): Map<string, string> {
  const settings = new Map<string, string>();
  const functionApp = fileNamed('modules/functionApp.bicep');
  const base = /var\s+appSettings\s*=\s*union\(/.exec(functionApp.code);
  if (!base) throw new Error('modules/functionApp.bicep: `var appSettings = union({...}, aksnetSettings)` not found');
  const block = propertyBlock(`x: ${functionApp.text.slice(base.index + base[0].length)}`, 'x');
  const main = fileNamed('main.bicep');
  const extra = propertyBlock(main.text, 'aksnetSettings');
  for (const b of [block, extra]) {
    if (!b) throw new Error('app settings block not found');
    for (const key of objectKeys(b)) settings.set(key, propertyValue(b, key) ?? '');
  }
  return settings;
}

describe('Bicep reader (the helper these checks rely on)', () => {
  test('finds resources, conditions, bodies and the comment above them', () => {
    const f = parseBicep(
      'x.bicep',
      [
        "// Purpose: a test",
        "resource a 'Microsoft.Foo/bars@2024-01-01' = if (!empty(p)) {",
        "  name: 'n-${replace(x, '{', '')}' // a brace inside an interpolated string",
        '  properties: { inner: { deep: true } }',
        '}',
        '',
        "resource b 'Microsoft.Foo/bars@2024-01-01' existing = {",
        "  name: 'b'",
        '}',
      ].join('\n'),
    );
    const found = resources(f);
    expect(found.map((r) => [r.symbol, r.existing, r.leadingComment])).toEqual([
      ['a', false, 'Purpose: a test'],
      ['b', true, ''],
    ]);
    expect(propertyValue(found[0].body, 'deep')).toBe('true');
    expect(objectKeys(found[0].body)).toEqual(['name', 'properties']);
  });

  test('finds process.env reads in all their forms', () => {
    const reads = envReadsIn(
      [
        'const a = process.env.FOO;',
        "const b = process.env['BAR'];",
        'const { BAZ, QUX: q } = process.env;',
        "export const HUB_ENV = 'AKSNET_HUB';",
        'function f(env: NodeJS.ProcessEnv = process.env) { return env[HUB_ENV] ?? env.AKSNET_MODE ?? appEnv?.["AKSNET_X"]; }',
        "const tags = list('AKSNET_HELPER');",
        '// process.env.IN_A_COMMENT is not a read',
        'const n = env.length;',
      ].join('\n'),
    );
    expect([...new Set(reads.map((r) => r.name))].sort()).toEqual(['AKSNET_HELPER', 'AKSNET_HUB', 'AKSNET_MODE', 'AKSNET_X', 'BAR', 'BAZ', 'FOO', 'QUX']);
  });
});

describe('templates hang together (what the Bicep compiler would check)', () => {
  const dirOf = (path: string): string => path.replace(/\\/g, '/').split('/').slice(0, -1).join('/');
  const resolve = (from: string, rel: string): string => [dirOf(from), rel].filter(Boolean).join('/').replace(/(^|\/)[^/]+\/\.\.\//g, '$1');

  test.each(bicep.flatMap(modules).map((m) => [`${m.file}:${m.symbol}`, m] as const))('%s: module file exists, params match', (_, m) => {
    const target = bicep.find((b) => b.path.replace(/\\/g, '/') === resolve(m.file, m.path));
    expect([m.path, Boolean(target)]).toEqual([m.path, true]);
    const declared = params(target!);
    const given = objectKeys(propertyBlock(m.body, 'params') ?? '{}');
    expect(given.filter((k) => !declared.has(k))).toEqual([]);
    expect([...declared].filter(([k, p]) => !p.hasDefault && !given.includes(k)).map(([k]) => k)).toEqual([]);
  });

  test.each(bicep.map((f) => [f.path, f] as const))('%s: every module output it uses exists', (_, f) => {
    const bySymbol = new Map(modules(f).map((m) => [m.symbol, bicep.find((b) => b.path.replace(/\\/g, '/') === resolve(f.path, m.path))!]));
    const missing = [...f.code.matchAll(/\b(\w+)\.outputs\.(\w+)/g)]
      .filter(([, sym]) => bySymbol.has(sym))
      .filter(([, sym, out]) => !outputs(bySymbol.get(sym)!).has(out))
      .map(([ref]) => ref);
    expect(missing).toEqual([]);
  });

  test.each(bicep.map((f) => [f.path, f] as const))('%s: every parameter is used', (_, f) => {
    const withStrings = maskBicep(f.text, true); // identifiers inside '${...}' count as uses
    const unused = [...params(f).keys()].filter((p) => (withStrings.match(new RegExp(`\\b${p}\\b`, 'g')) ?? []).length < 2);
    expect(unused).toEqual([]);
  });
});

describe('Function App (Flex Consumption)', () => {
  test('runs on a Flex Consumption plan (FC1)', () => {
    const plan = only('Microsoft.Web/serverfarms');
    const sku = propertyBlock(plan.body, 'sku') ?? '';
    expect(propertyValue(sku, 'name')).toBe("'FC1'");
    expect(propertyValue(sku, 'tier')).toBe("'FlexConsumption'");
  });

  test('Node.js 20, deployed from a blob container with the user-assigned identity', () => {
    const site = only('Microsoft.Web/sites');
    const config = propertyBlock(site.body, 'functionAppConfig') ?? '';
    const runtime = propertyBlock(config, 'runtime') ?? '';
    expect(propertyValue(runtime, 'name')).toBe("'node'");
    expect(propertyValue(runtime, 'version')).toBe("'20'");
    const storage = propertyBlock(config, 'storage') ?? '';
    expect(propertyValue(storage, 'type')).toBe("'blobContainer'");
    const auth = propertyBlock(storage, 'authentication') ?? '';
    expect(propertyValue(auth, 'type')).toBe("'UserAssignedIdentity'");
    expect(propertyValue(auth, 'userAssignedIdentityResourceId')).toBeTruthy();
  });

  test('HTTPS only, TLS 1.2 minimum, FTP(S) disabled', () => {
    const site = only('Microsoft.Web/sites');
    expect(propertyValue(site.body, 'httpsOnly')).toBe('true');
    const siteConfig = propertyBlock(site.body, 'siteConfig') ?? '';
    expect(propertyValue(siteConfig, 'minTlsVersion')).toBe("'1.2'");
    expect(propertyValue(siteConfig, 'scmMinTlsVersion')).toBe("'1.2'");
    expect(propertyValue(siteConfig, 'ftpsState')).toBe("'Disabled'");
  });

  test('basic publishing credentials are off for both FTP and SCM', () => {
    const policies = ofType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    const byName = new Map(policies.map((p) => [propertyValue(p.body, 'name'), propertyValue(p.body, 'allow')]));
    expect(byName.get("'ftp'")).toBe('false');
    expect(byName.get("'scm'")).toBe('false');
  });

  test('public network access is a parameter of the deployment', () => {
    const site = only('Microsoft.Web/sites');
    expect(propertyValue(site.body, 'publicNetworkAccess')).toBe('publicNetworkAccess');
    expect(params(fileNamed('main.bicep')).has('publicNetworkAccess')).toBe(true);
  });

  test('optional Entra authentication refuses anonymous callers but lets Event Grid deliveries through', () => {
    const auth = ofType('Microsoft.Web/sites/config').find((r) => propertyValue(r.body, 'name') === "'authsettingsV2'");
    expect(auth).toBeDefined();
    const validation = propertyBlock(auth!.body, 'globalValidation') ?? '';
    expect(propertyValue(validation, 'requireAuthentication')).toBe('true');
    expect(propertyValue(validation, 'unauthenticatedClientAction')).toBe("'Return401'");
    const excluded = fileNamed('modules/functionApp.bicep').text;
    expect(excluded).toMatch(/var unauthenticatedPaths = \[\s*'\/runtime\/webhooks\/eventgrid'/);
    expect(propertyValue(validation, 'excludedPaths')).toBe('unauthenticatedPaths');
  });

  test('runs as a user-assigned managed identity, and the identity is deployed', () => {
    const site = only('Microsoft.Web/sites');
    const identity = propertyBlock(site.body, 'identity') ?? '';
    expect(propertyValue(identity, 'type')).toBe("'UserAssigned'");
    expect(ofType('Microsoft.ManagedIdentity/userAssignedIdentities').length).toBeGreaterThanOrEqual(1);
  });
});

describe('storage and settings: identities only, no keys', () => {
  test('the storage account refuses shared keys and old TLS', () => {
    const storage = only('Microsoft.Storage/storageAccounts');
    expect(propertyValue(storage.body, 'allowSharedKeyAccess')).toBe('false');
    expect(propertyValue(storage.body, 'allowBlobPublicAccess')).toBe('false');
    expect(propertyValue(storage.body, 'minimumTlsVersion')).toBe("'TLS1_2'");
    expect(propertyValue(storage.body, 'supportsHttpsTrafficOnly')).toBe('true');
  });

  test('no template lists keys or builds a connection string', () => {
    const offenders = bicep.flatMap((f) =>
      [/listKeys\s*\(/i, /AccountKey/i, /DefaultEndpointsProtocol/i, /SharedAccessSignature/i, /\.listAccountSas\(/i, /primaryKey/i]
        .filter((re) => re.test(f.code) || re.test(f.text.replace(/\/\/.*$/gm, '')))
        .map((re) => `infra/${f.path}: ${re.source}`),
    );
    expect(offenders).toEqual([]);
  });

  test('AzureWebJobsStorage is identity-based', () => {
    const settings = deployedSettings();
    expect(settings.get('AzureWebJobsStorage__accountName')).toBeTruthy();
    expect(settings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(settings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
    for (const name of FORBIDDEN_SETTINGS) expect([name, settings.has(name)]).toEqual([name, false]);
    for (const [name, value] of settings) expect([name, /listKeys|AccountKey|SharedAccessSignature/i.test(value)]).toEqual([name, false]);
  });

  test('Application Insights ingestion uses Entra authentication', () => {
    const settings = deployedSettings();
    expect(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe("'ClientId=${identityClientId};Authorization=AAD'");
    expect(settings.has('APPINSIGHTS_INSTRUMENTATIONKEY')).toBe(false);
    const component = only('Microsoft.Insights/components');
    expect(propertyValue(component.body, 'DisableLocalAuth')).toBe('true');
  });

  test('the Durable task hub name comes from AKSNET_TASK_HUB, which host.json reads', () => {
    const settings = deployedSettings();
    expect(settings.get('AKSNET_TASK_HUB')).toBe('taskHubName');
    const host = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as { extensions?: { durableTask?: { hubName?: string } } };
    expect(host.extensions?.durableTask?.hubName).toBe('%AKSNET_TASK_HUB%');
  });

  test('every %SETTING% host.json refers to is deployed', () => {
    const hostText = readFileSync(join(ROOT, 'host.json'), 'utf8');
    const referenced = [...hostText.matchAll(/%([A-Za-z_][A-Za-z0-9_]*)%/g)].map((m) => m[1]);
    const settings = deployedSettings();
    expect(referenced.filter((name) => !settings.has(name))).toEqual([]);
  });

  test('every aksnet setting the deployment writes is read by the app (no dead configuration)', () => {
    // AzureWebJobsStorage__*, APPLICATIONINSIGHTS_* and AZURE_CLIENT_ID are read by the platform and
    // @azure/identity; the AKSNET_* ones must be read by functions/ + shared/ code or by host.json.
    const read = new Set(envReadsUnder(ROOT, APP_FOLDERS).map((r) => r.name));
    const hostText = readFileSync(join(ROOT, 'host.json'), 'utf8');
    const unread = [...deployedSettings().keys()].filter((name) => name.startsWith('AKSNET_') && !read.has(name) && !hostText.includes(`%${name}%`));
    expect(unread).toEqual([]);
  });

  test('every app setting the app code reads is deployed, or listed as local-only with a reason', () => {
    const settings = deployedSettings();
    const reads = envReadsUnder(ROOT, APP_FOLDERS);
    const missing = reads
      .filter((r) => !settings.has(r.name) && !(r.name in LOCAL_ONLY_SETTINGS))
      .map((r) => `${r.name} (read at ${r.file}:${r.line}): add it to the app settings in infra/ or to LOCAL_ONLY_SETTINGS with the reason`);
    expect(missing).toEqual([]);
    for (const [name, reason] of Object.entries(LOCAL_ONLY_SETTINGS)) {
      expect([name, reason.length > 20, settings.has(name)]).toEqual([name, true, false]);
    }
  });
});

describe('role assignments: least privilege, each with its purpose', () => {
  const assignments = ofType('Microsoft.Authorization/roleAssignments');

  test('there are role assignments to check', () => {
    expect(assignments.length).toBeGreaterThanOrEqual(9);
  });

  test.each(assignments.map((a) => [`${a.file}:${a.symbol}`, a] as const))('%s says what it is for', (_, a) => {
    expect(a.leadingComment).toMatch(/^Purpose: \S/m);
    expect(a.leadingComment.replace(/\s+/g, ' ').length).toBeGreaterThan(60);
  });

  test.each(assignments.map((a) => [`${a.file}:${a.symbol}`, a] as const))('%s assigns an allow-listed role to a service principal', (_, a) => {
    const roleLine = (propertyValue(a.body, 'roleDefinitionId') ?? '') + '\n';
    const fullLine = a.body.split('\n').find((l) => /roleDefinitionId\s*:/.test(l)) ?? '';
    const guid = /'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/.exec(roleLine)?.[1];
    if (guid) {
      expect(FORBIDDEN_ROLES[guid]).toBeUndefined();
      expect(ALLOWED_BUILT_IN_ROLES[guid]).toBeDefined();
      // The role's name sits beside its id, so a reader never has to look a GUID up.
      expect(fullLine).toContain(`// ${ALLOWED_BUILT_IN_ROLES[guid]}`);
    } else {
      const param = Object.keys(ALLOWED_CUSTOM_ROLES).find((p) => new RegExp(`\\b${p}\\b`).test(roleLine));
      expect([roleLine.trim(), param]).toEqual([roleLine.trim(), expect.any(String)]);
      expect(fullLine).toContain(`// custom: ${ALLOWED_CUSTOM_ROLES[param!]}`);
    }
    expect(propertyValue(a.body, 'principalType')).toBe("'ServicePrincipal'");
  });

  test("aksnet's tables (results, locks, decisions) are in the app's storage account, reached with its identity", () => {
    const settings = deployedSettings();
    expect(settings.get('AKSNET_TABLE_ENDPOINT')).toBe('tableEndpoint');
    expect(propertyValue(modules(fileNamed('main.bicep')).find((m) => m.path === 'modules/functionApp.bicep')?.body ?? '', 'tableEndpoint')).toBe('storage.outputs.tableEndpoint');
    expect(outputs(fileNamed('modules/storage.bicep')).has('tableEndpoint')).toBe(true);
    expect([...settings.keys()].filter((k) => /^AKSNET_\w+_TABLE$/.test(k)).sort()).toEqual(['AKSNET_DECISIONS_TABLE', 'AKSNET_LOCKS_TABLE', 'AKSNET_RESULTS_TABLE']);
    // The role that lets the identity create and write them says so.
    const table = assignments.find((a) => a.file.replace(/\\/g, '/') === 'modules/storage.bicep' && /0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3/.test(propertyValue(a.body, 'roleDefinitionId') ?? ''));
    expect(table?.leadingComment.replace(/\s+/g, ' ')).toMatch(/rollout results.*cluster locks.*remediation decisions/);
  });

  test('the storage roles the Functions host and the Durable task hub need are granted on the storage account', () => {
    const onStorage = assignments.filter((a) => a.file.replace(/\\/g, '/') === 'modules/storage.bicep' && propertyValue(a.body, 'scope') === 'storage');
    const roles = onStorage.map((a) => /'([0-9a-f-]{36})'/.exec(propertyValue(a.body, 'roleDefinitionId') ?? '')?.[1]).map((g) => ALLOWED_BUILT_IN_ROLES[g ?? '']);
    expect(roles.sort()).toEqual(['Storage Blob Data Owner', 'Storage Queue Data Contributor', 'Storage Table Data Contributor']);
    // Event Grid may write dead letters into its one container, nothing else.
    const deadLetter = assignments.find((a) => a.symbol === 'eventGridDeadLetterWriter');
    expect(propertyValue(deadLetter?.body ?? '', 'scope')).toBe('deadLetterContainer');
  });

  test('the fleet gets Reader (Resource Graph) and the two custom roles, per subscription', () => {
    const fleet = assignments.filter((a) => a.file.replace(/\\/g, '/') === 'modules/fleetAccess.bicep');
    const lines = fleet.map((a) => propertyValue(a.body, 'roleDefinitionId') ?? '');
    expect(lines.some((l) => l.includes('acdd72a7-3385-48ef-bd42-f606fba81ae7'))).toBe(true);
    expect(lines.some((l) => l.includes('fleetMigratorRoleName'))).toBe(true);
    expect(lines.some((l) => l.includes('clusterOperatorRoleName'))).toBe(true);
    expect(fileNamed('modules/fleetAccess.bicep').text).toMatch(/^targetScope = 'subscription'/m);
    const main = fileNamed('main.bicep').text;
    expect(main).toMatch(/module fleetAccess 'modules\/fleetAccess\.bicep' = \[for subscriptionId in fleetSubscriptions:[\s\S]*?scope: subscription\(subscriptionId\)/);
  });

  test('custom roles are narrow: no wildcards, no secrets, no role or network writes', () => {
    const defs = ofType('Microsoft.Authorization/roleDefinitions');
    expect(defs.map((d) => d.symbol).sort()).toEqual(['clusterOperator', 'fleetMigrator']);
    for (const d of defs) {
      const listed = [...(propertyBlock(d.body, 'actions') ?? '').matchAll(/'([^']+)'/g), ...(propertyBlock(d.body, 'dataActions') ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
      expect(listed.length).toBeGreaterThan(0);
      for (const action of listed) {
        expect([action, action.includes('*')]).toEqual([action, false]);
        expect([action, /secrets|Microsoft\.Authorization\/|Microsoft\.Network\/.*\/(write|join\/action)|delete$/i.test(action) && !/nodes\/delete$/.test(action)]).toEqual([action, false]);
      }
    }
    const migrator = defs.find((d) => d.symbol === 'fleetMigrator')!;
    expect(migrator.body).toContain("'Microsoft.ContainerService/managedClusters/write'");
    expect(migrator.body).toContain("'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'");
  });

  test('the in-cluster ClusterRole grants the Karpenter NodePool patch and nothing broad', () => {
    const docs = yaml.loadAll(readFileSync(join(INFRA, 'kubernetes', 'aksnet-clusterrole.yaml'), 'utf8')) as Array<{
      kind: string;
      rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
      roleRef?: { name: string };
    }>;
    const role = docs.find((d) => d.kind === 'ClusterRole')!;
    const binding = docs.find((d) => d.kind === 'ClusterRoleBinding')!;
    expect(binding.roleRef?.name).toBe('aksnet-migrator');
    const rules = role.rules ?? [];
    const allows = (group: string, resource: string, verb: string): boolean =>
      rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    expect(allows('karpenter.sh', 'nodepools', 'patch')).toBe(true);
    expect(allows('', 'nodes', 'delete')).toBe(true);
    expect(allows('', 'secrets', 'get')).toBe(false);
    for (const r of rules) {
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
      expect(r.resources).not.toContain('secrets');
    }
  });
});

describe('in-cluster access matches what the code reads and writes', () => {
  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
  const clusterRole = (yaml.loadAll(readFileSync(join(INFRA, 'kubernetes', 'aksnet-clusterrole.yaml'), 'utf8')) as Array<{ kind: string; rules?: Rule[] }>).find(
    (d) => d.kind === 'ClusterRole',
  )!;
  const allows = (group: string, resource: string, verb: string): boolean =>
    (clusterRole.rules ?? []).some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
  // What shared/kube/read.ts lists (KUBE_KINDS): the group and resource come from each kind's list path.
  const kinds = KUBE_KINDS.map((k) => {
    const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/([^/]+)$/.exec(k.path);
    if (!m) throw new Error(`unexpected list path ${k.path}`);
    return { group: m[1] ?? '', resource: m[2], optional: k.optional === true };
  });
  const builtIn = kinds.filter((k) => !k.optional);
  const custom = kinds.filter((k) => k.optional);
  const operatorRole = ofType('Microsoft.Authorization/roleDefinitions').find((d) => d.symbol === 'clusterOperator')!;

  test('the reader lists the kinds the rules need', () => {
    expect(builtIn.length).toBeGreaterThanOrEqual(6);
    expect(custom.map((c) => c.resource)).toContain('nodepools');
  });

  test('every kind aksnet lists may be listed under Kubernetes RBAC (ClusterRole)', () => {
    const denied = [...builtIn, ...custom].filter((k) => !allows(k.group, k.resource, 'list')).map((k) => `${k.group || 'core'}/${k.resource}`);
    expect(denied).toEqual([]);
  });

  test('every built-in kind aksnet lists may be read under Azure RBAC (aksnet cluster operator)', () => {
    const missing = builtIn
      .map((k) => `Microsoft.ContainerService/managedClusters/${k.group ? `${k.group}/` : ''}${k.resource}/read`)
      .filter((action) => !operatorRole.body.includes(`'${action}'`));
    expect(missing).toEqual([]);
  });

  test('the NAP procedure may patch NodePools and delete nodes (shared/migration/ports.ts)', () => {
    const ports = readFileSync(join(ROOT, 'shared', 'migration', 'ports.ts'), 'utf8');
    expect(ports).toMatch(/patchNodePool\(/);
    expect(ports).toMatch(/deleteNode\(/);
    expect(allows('karpenter.sh', 'nodepools', 'patch')).toBe(true);
    expect(allows('', 'nodes', 'delete')).toBe(true);
    expect(operatorRole.body).toContain("'Microsoft.ContainerService/managedClusters/nodes/delete'");
  });
});

describe('Event Grid: managed cluster writes reach the remediation function', () => {
  test('a system topic on each fleet subscription', () => {
    const topic = only('Microsoft.EventGrid/systemTopics');
    expect(propertyValue(topic.body, 'topicType')).toBe("'Microsoft.Resources.Subscriptions'");
    expect(propertyValue(topic.body, 'source')).toBe('subscription().id');
    expect(propertyValue(topic.body, 'location')).toBe("'global'");
    const main = fileNamed('main.bicep').text;
    expect(main).toMatch(/module fleetEvents 'modules\/fleetEvents\.bicep' = \[for subscriptionId in fleetSubscriptions:[\s\S]*?scope: subscription\(subscriptionId\)/);
  });

  test('the event subscription is filtered to successful managed cluster writes', () => {
    const sub = only('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    const filter = propertyBlock(sub.body, 'filter') ?? '';
    expect(propertyBlock(filter, 'includedEventTypes')?.replace(/\s+/g, '')).toBe("['Microsoft.Resources.ResourceWriteSuccess']");
    const advanced = propertyBlock(filter, 'advancedFilters') ?? '';
    expect(advanced).toMatch(/operatorType: 'StringIn'\s+key: 'data\.operationName'\s+values: \[\s+'Microsoft\.ContainerService\/managedClusters\/write'\s+\]/);
    expect(advanced).toContain("key: 'subject'");
  });

  test('delivers to the Azure Function, retries, and dead-letters to blob with an identity', () => {
    const sub = only('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    const destination = propertyBlock(sub.body, 'destination') ?? '';
    expect(propertyValue(destination, 'endpointType')).toBe("'AzureFunction'");
    expect(propertyValue(destination, 'resourceId')).toBe('functionResourceId');
    expect(fileNamed('main.bicep').text).toMatch(/functionResourceId: '\$\{app\.outputs\.functionAppId\}\/functions\/\$\{eventGridFunctionName\}'/);
    const retry = propertyBlock(sub.body, 'retryPolicy') ?? '';
    expect(Number(propertyValue(retry, 'maxDeliveryAttempts') === 'maxDeliveryAttempts' ? 30 : propertyValue(retry, 'maxDeliveryAttempts'))).toBeGreaterThan(1);
    const deadLetter = propertyBlock(sub.body, 'deadLetterWithResourceIdentity') ?? '';
    expect(propertyValue(propertyBlock(deadLetter, 'identity') ?? '', 'type')).toBe("'UserAssigned'");
    expect(propertyValue(propertyBlock(deadLetter, 'deadLetterDestination') ?? '', 'endpointType')).toBe("'StorageBlob'");
    // Only the identity form: a bare deadLetterDestination would use Event Grid's own (key-based) access.
    expect(objectKeys(propertyBlock(sub.body, 'properties') ?? '')).not.toContain('deadLetterDestination');
  });
});

describe('the function Event Grid delivers to', () => {
  /** Names of Event Grid triggers in source text: app.eventGrid('name', ...) or app.eventGrid(NAMES.key, ...). */
  function eventGridNamesIn(all: string): string[] {
    return [...all.matchAll(/\.eventGrid\(\s*([^,)]+)/g)].map((m) => {
      const arg = m[1].trim();
      const literal = /^['"`]([^'"`]+)['"`]$/.exec(arg);
      if (literal) return literal[1];
      const key = arg.split('.').pop() ?? arg;
      return new RegExp(`\\b${key}\\s*:\\s*['"\`]([^'"\`]+)['"\`]`).exec(all)?.[1] ?? arg;
    });
  }
  function tsFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  }
  const registered = (): string[] => {
    const dir = join(ROOT, 'functions');
    return eventGridNamesIn((existsSync(dir) ? tsFiles(dir) : []).map((f) => readFileSync(f, 'utf8')).join('\n'));
  };

  test('registrations are recognised by literal name or through the names registry', () => {
    expect(eventGridNamesIn("app.eventGrid('a', { handler })")).toEqual(['a']);
    expect(eventGridNamesIn("export const TRIGGERS = { remediation: 'eventGridRemediation' };\napp.eventGrid(TRIGGERS.remediation, {})")).toEqual(['eventGridRemediation']);
  });

  test('is the Event Grid trigger functions/ registers, once it registers one', () => {
    const infraName = /param eventGridFunctionName string = '([^']+)'/.exec(fileNamed('main.bicep').text)?.[1];
    expect(infraName).toBe('eventGridRemediation');
    const names = registered();
    // Until functions/ wires its Event Grid trigger there is nothing to compare; then it must be this name.
    if (names.length > 0) expect(names).toContain(infraName);
  });
});

describe('azd: azure.yaml and main.parameters.json', () => {
  test('azure.yaml deploys the repository as the Function App service "api"', () => {
    const doc = yaml.load(readFileSync(join(ROOT, 'azure.yaml'), 'utf8')) as {
      infra?: { path?: string; module?: string };
      services: Record<string, { project: string; language: string; host: string }>;
      hooks?: Record<string, Record<string, { run: string }>>;
    };
    expect(doc.services.api).toMatchObject({ project: '.', host: 'function' });
    expect(['ts', 'js']).toContain(doc.services.api.language);
    expect(existsSync(join(ROOT, doc.services.api.project, 'host.json'))).toBe(true);
    expect(existsSync(join(ROOT, doc.infra?.path ?? 'infra', `${doc.infra?.module ?? 'main'}.bicep`))).toBe(true);
    for (const platform of Object.values(doc.hooks?.postdeploy ?? {})) {
      expect(existsSync(join(ROOT, platform.run))).toBe(true);
    }
  });

  test('the postdeploy hook is valid sh, turns the Event Grid subscriptions on once and provisions again', () => {
    const hook = join(INFRA, 'hooks', 'postdeploy.sh');
    execFileSync('sh', ['-n', hook]); // throws on a syntax error
    const text = readFileSync(hook, 'utf8');
    expect(text).toMatch(/azd env set AKSNET_EVENTS_ENABLED true/);
    expect(text).toMatch(/azd provision --no-prompt/);
    // The parameter it flips is the one main.bicep uses to create the event subscriptions.
    const file = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: string }> };
    expect(file.parameters.deployEventSubscriptions.value).toBe('${AKSNET_EVENTS_ENABLED=false}');
  });

  test('main.parameters.json passes only parameters main.bicep declares, and every required one', () => {
    const declared = params(fileNamed('main.bicep'));
    const file = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: unknown }> };
    const given = Object.keys(file.parameters);
    expect(given.filter((name) => !declared.has(name))).toEqual([]);
    const required = [...declared].filter(([, p]) => !p.hasDefault).map(([name]) => name);
    expect(required.filter((name) => !given.includes(name))).toEqual([]);
    for (const [name, p] of Object.entries(file.parameters)) {
      expect([name, typeof p.value === 'string' && /^\$\{[A-Z_][A-Z0-9_]*(=[^}]*)?\}$/.test(p.value)]).toEqual([name, true]);
    }
  });
});

describe('docs/deploy.md stays in step with the templates', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');

  test('every deployed app setting is explained', () => {
    expect([...deployedSettings().keys()].filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });

  test('every azd variable of main.parameters.json is explained', () => {
    const file = readFileSync(join(INFRA, 'main.parameters.json'), 'utf8');
    const vars = [...file.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]).filter((v) => !['AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_RESOURCE_GROUP'].includes(v));
    expect(vars.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });

  test('says that migrations cannot be rolled back, citing seed 000', () => {
    expect(doc).toMatch(/irreversible/);
    expect(doc).toContain('000_c747be24177f73a8.txt');
  });
});
