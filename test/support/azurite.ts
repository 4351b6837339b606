/**
 * Azurite's Table service (the real Table storage emulator, devDependency `azurite`) as a child process on an
 * ephemeral port, in-memory: what the Table store tests drive the real @azure/data-tables client against.
 *
 * Why a small inline script instead of `azurite-table --tablePort 0`: the CLI prints the port it was asked for
 * (0), not the one it got; the script starts Azurite's own TableServer and prints the bound address.
 * Why a child and not in-process: Azurite's access log, timers and loki store stay out of the jest worker, and
 * killing the child is the whole clean-up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Azurite's well-known development account (public, documented by Azurite; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const SCRIPT = `
const TableServer = require('azurite/dist/src/table/TableServer').default;
const TableConfiguration = require('azurite/dist/src/table/TableConfiguration').default;
const [dbPath] = process.argv.slice(1);
// host, port, keepAlive, metadataDBPath, debugLog, accessLog, accessStream, debugPath, loose, skipApiVersionCheck,
// cert, key, pwd, oauth, disableProductStyleUrl, inMemoryPersistence
const config = new TableConfiguration('127.0.0.1', 0, 5, dbPath, false, false, undefined, undefined, false, true, '', '', '', undefined, false, true);
const server = new TableServer(config);
server.start().then(() => process.stdout.write('AZURITE ' + server.getHttpServerAddress() + '\\n'), (err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

export interface AzuriteTable {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** The connection string of the dev account on this instance (path-style URL: /devstoreaccount1). */
  connectionString: string;
  stop(): Promise<void>;
}

/** Starts Azurite's Table service; fails with one line if it is not listening within `timeoutMs`. */
export async function startAzuriteTable(timeoutMs = 20_000): Promise<AzuriteTable> {
  const dir = mkdtempSync(join(tmpdir(), 'aksnet-azurite-'));
  const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT, join(dir, '__azurite_db_table__.json')], {
    cwd: resolve(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((res) => child.once('exit', () => res()));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`Azurite Table service did not start within ${timeoutMs / 1000} s (stderr: ${stderr.trim().split('\n')[0] || 'empty'}): is the devDependency 'azurite' installed?`)), timeoutMs);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /AZURITE (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          res(m[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`Azurite Table service exited with code ${code} before listening: ${stderr.trim().split('\n')[0] ?? ''}`));
      });
    });
    return {
      url,
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=${url}/${DEV_ACCOUNT};`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
