/**
 * The Table storage tables of the app's own storage account that replace the local host's SQLite file in Azure:
 * per-cluster rollout results, cluster locks and remediation decisions, shared by every instance of the
 * Functions app (Flex Consumption runs several at once; a file on one instance is neither shared nor kept).
 *
 * Settings (infra/modules/functionApp.bicep writes them):
 * - AKSNET_TABLE_ENDPOINT: https://<account>.table.core.windows.net — identity-based (DefaultAzureCredential,
 *   which picks the user-assigned identity named by AZURE_CLIENT_ID, as shared/azure does): the account has
 *   shared keys disabled.
 * - AKSNET_TABLE_CONNECTION_STRING: development only (Azurite); a connection string carries an account key, so
 *   it may use http only towards this machine (Azurite's UseDevelopmentStorage=true is http://127.0.0.1:10002).
 * - AKSNET_RESULTS_TABLE, AKSNET_LOCKS_TABLE, AKSNET_DECISIONS_TABLE: table names (defaults below).
 * The first two are one or the other: both set is refused rather than one silently winning.
 */
import { TableClient, type TableServiceClientOptions as TableClientOptions } from '@azure/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

export const TABLE_ENDPOINT_SETTING = 'AKSNET_TABLE_ENDPOINT';
export const TABLE_CONNECTION_STRING_SETTING = 'AKSNET_TABLE_CONNECTION_STRING';
export const RESULTS_TABLE_SETTING = 'AKSNET_RESULTS_TABLE';
export const LOCKS_TABLE_SETTING = 'AKSNET_LOCKS_TABLE';
export const DECISIONS_TABLE_SETTING = 'AKSNET_DECISIONS_TABLE';

export const DEFAULT_TABLE_NAMES = { results: 'aksnetResults', locks: 'aksnetLocks', decisions: 'aksnetDecisions' } as const;

export interface AksnetTables {
  results: TableClient;
  locks: TableClient;
  decisions: TableClient;
}

/** Table naming rules of the service: 3–63 letters and digits, starting with a letter. */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

function tableName(env: NodeJS.ProcessEnv, setting: string, fallback: string): string {
  const name = env[setting]?.trim() || fallback;
  if (!TABLE_NAME.test(name)) throw new Error(`${setting} '${name}' is not a valid table name: use 3-63 letters and digits, starting with a letter`);
  return name;
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/**
 * Whether a connection string's Table endpoint is http (then the SDK must be allowed an insecure connection),
 * refusing http to anything but this machine: the account key signs every request, and over plain http to
 * another host the request is readable on the way. Hand-parsed (key=value pairs separated by ';', a value may
 * contain '=') because the SDK does not export its parser; the SDK still parses it for real when building the
 * client. Where the string names no TableEndpoint the SDK builds one from DefaultEndpointsProtocol, AccountName
 * and EndpointSuffix (a remote account), or UseDevelopmentStorage=true means Azurite on 127.0.0.1.
 */
function connectionStringIsHttp(cs: string): boolean {
  const parts = new Map<string, string>();
  for (const part of cs.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return true;
  const refuse = (where: string): never => {
    throw new Error(`${TABLE_CONNECTION_STRING_SETTING} uses http to ${where}: http only for an emulator on 127.0.0.1 (UseDevelopmentStorage=true); use https, or ${TABLE_ENDPOINT_SETTING} with the identity`);
  };
  const endpoint = parts.get('tableendpoint');
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new Error(`${TABLE_CONNECTION_STRING_SETTING} has a TableEndpoint '${endpoint}' that is not a URL: use e.g. TableEndpoint=http://127.0.0.1:10002/devstoreaccount1`);
    }
    if (url.protocol !== 'http:') return false;
    if (!isLoopback(url)) refuse(url.host);
    return true;
  }
  if (parts.get('defaultendpointsprotocol')?.toLowerCase() === 'http') refuse(`account '${parts.get('accountname') ?? ''}'`);
  return false;
}

/**
 * The tables from the app settings, or undefined when neither AKSNET_TABLE_ENDPOINT nor
 * AKSNET_TABLE_CONNECTION_STRING is set (the caller then uses SQLite). `credential` replaces
 * DefaultAzureCredential (tests).
 */
export function tablesFromSettings(env: NodeJS.ProcessEnv, credential?: TokenCredential): AksnetTables | undefined {
  const endpoint = env[TABLE_ENDPOINT_SETTING]?.trim();
  const connectionString = env[TABLE_CONNECTION_STRING_SETTING]?.trim();
  if (!endpoint && !connectionString) return undefined;
  if (endpoint && connectionString) throw new Error(`set ${TABLE_ENDPOINT_SETTING} or ${TABLE_CONNECTION_STRING_SETTING}, not both`);
  const names = {
    results: tableName(env, RESULTS_TABLE_SETTING, DEFAULT_TABLE_NAMES.results),
    locks: tableName(env, LOCKS_TABLE_SETTING, DEFAULT_TABLE_NAMES.locks),
    decisions: tableName(env, DECISIONS_TABLE_SETTING, DEFAULT_TABLE_NAMES.decisions),
  };
  let make: (name: string) => TableClient;
  if (endpoint) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new Error(`${TABLE_ENDPOINT_SETTING} '${endpoint}' is not a URL: use https://<account>.table.core.windows.net`);
    }
    // Tokens only travel over TLS, except to an emulator on this machine.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
      throw new Error(`${TABLE_ENDPOINT_SETTING} '${endpoint}' must be https (http only for an emulator on 127.0.0.1): use https://<account>.table.core.windows.net`);
    }
    const options: TableClientOptions = url.protocol === 'http:' ? { allowInsecureConnection: true } : {};
    const cred = credential ?? new DefaultAzureCredential();
    const base = endpoint.replace(/\/+$/, '');
    make = (name) => new TableClient(base, name, cred, options);
  } else {
    const cs = connectionString as string;
    // Azurite speaks http; the SDK refuses http unless told (only ever to this machine: connectionStringIsHttp).
    const options: TableClientOptions = connectionStringIsHttp(cs) ? { allowInsecureConnection: true } : {};
    make = (name) => {
      try {
        return TableClient.fromConnectionString(cs, name, options);
      } catch (err) {
        throw new Error(`${TABLE_CONNECTION_STRING_SETTING} is not a usable connection string (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}): use Azurite's, e.g. UseDevelopmentStorage=true`);
      }
    };
  }
  return { results: make(names.results), locks: make(names.locks), decisions: make(names.decisions) };
}

/** Creates the tables that do not exist yet (the SDK's createTable treats "already exists" as success). */
export async function ensureTables(tables: Partial<AksnetTables>): Promise<void> {
  await Promise.all(Object.values(tables).map((t) => t.createTable()));
}
