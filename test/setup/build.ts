/**
 * Builds what the CLI tests run (`node bin/aksnet.js` → dist/cli/main.js) when the sources are newer
 * than the last build. Compiles only the CLI's import graph (test/setup/tsconfig.cli.json: cli/main.ts,
 * bench/assess.ts, functions/index.ts — the app `aksnet host start` serves — and what they import), so another engineer's half-edited module elsewhere cannot
 * break the CLI tests. Usable as a jest globalSetup (default export) or from beforeAll (ensureBuilt);
 * a lock directory keeps parallel jest workers from compiling at the same time.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const STAMP = path.join(ROOT, 'dist', '.cli-build-stamp');
const LOCK = path.join(ROOT, 'dist', '.cli-build-lock');
const SOURCES = ['cli', 'shared', 'sim', 'local', 'functions', 'bench'];

function newestSourceMtime(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'out' && e.name !== 'node_modules') walk(p);
      } else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const s of SOURCES) walk(path.join(ROOT, s));
  return newest;
}

function isFresh(): boolean {
  try {
    const stamp = Number(fs.readFileSync(STAMP, 'utf8'));
    return fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js')) && stamp >= newestSourceMtime();
  } catch {
    return false;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function ensureBuilt(): void {
  if (isFresh()) return;
  fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch {
      // Another worker is compiling; a lock older than 3 minutes is left over from a killed run.
      try {
        if (Date.now() - fs.statSync(LOCK).mtimeMs > 180_000) fs.rmSync(LOCK, { recursive: true, force: true });
      } catch {
        /* removed meanwhile */
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another CLI build (dist/.cli-build-lock)');
      sleep(250);
    }
  }
  try {
    if (isFresh()) return;
    const started = newestSourceMtime();
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'test', 'setup', 'tsconfig.cli.json')], {
        cwd: ROOT,
        stdio: 'pipe',
      });
    } catch (e) {
      // Type errors still emit JavaScript (noEmitOnError false); only a missing output is fatal.
      if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
        const out = (e as { stdout?: Buffer }).stdout?.toString() ?? String(e);
        throw new Error(`building the CLI failed:\n${out}`);
      }
    }
    fs.writeFileSync(STAMP, String(started));
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

export default function globalSetup(): void {
  ensureBuilt();
}
