import { spawn } from 'node:child_process';
import path from 'node:path';

/** `node local/main.js`: exactly one JSON line on stdout once ready, logs on stderr, stops on signals. */

const root = path.join(__dirname, '../..');
const register = path.join(__dirname, 'apps/tsRegister.cjs');
const main = path.join(root, 'local/main.ts');
const app = path.join(__dirname, 'apps/crashApp.ts');

function run(args: string[], signal?: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string; readyLine?: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['-r', register, main, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    let readyLine: Record<string, unknown> | undefined;
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!readyLine && stdout.includes('\n')) {
        readyLine = JSON.parse(stdout.split('\n')[0]) as Record<string, unknown>;
        // prove it serves, then stop it
        void fetch(`${String(readyLine.baseUrl)}/admin/host/status`).then(() => proc.kill(signal ?? 'SIGTERM'));
      }
    });
    proc.on('exit', (code) => resolve({ code, stdout, stderr, readyLine }));
  });
}

test.each(['SIGTERM', 'SIGINT'] as const)('prints one ready line, runs until %s, exits 0', async (signal) => {
  const r = await run(['--entry', app, '--port', '0'], signal);
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  expect(r.readyLine).toMatchObject({ baseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), functionKey: expect.any(String), functions: ['Step', 'FlakyStep', 'CrashSub', 'CrashWorkflow'] });
  expect(r.stderr).toContain(`${signal}: stopping`);
});

test('bad arguments: one clear line on stderr, exit 2', async () => {
  const r = await run(['--entry', app, '--port', 'eighty']);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim()).toBe("--port 'eighty' is invalid: use a TCP port 0-65535 (0 picks a free one).");
});

test('a missing entry names the problem and the fix', async () => {
  const r = await run(['--entry', path.join(root, 'dist/nope/index.js')]);
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toMatch(/^Cannot load the functions entry .*dist\/nope\/index\.js: .*Build the app first \(npm run build\)/);
});
