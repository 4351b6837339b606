/**
 * `npm start` = `node bin/aksnet.js demo`, run as a user runs it (the built binary, a fresh working directory,
 * stdout and stderr piped). The expected result of every sample cluster is written from the sample fleet's
 * design (sim/sample-fleet.ts) and the seed documents, not from the output.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from '../setup/build';

/** Target overlay+cilium; why each cluster ends as it does. */
const EXPECTED: Record<string, { result: string; why: string }> = {
  // kubenet → Overlay (user-assigned identity, as aks-facts requires), then Cilium: two operations (seed 000 § Supported migration paths).
  'aks-payments-prd': { result: 'migrated', why: 'kubenet with a user-assigned identity' },
  'aks-web-prd': { result: 'migrated', why: 'node subnet without a policy engine' },
  // Dynamic IP allocation cannot move to Overlay (seed 000 § Update the IPAM mode to Azure CNI Overlay).
  'aks-data-prd': { result: 'blocked', why: 'overlay.dynamic-ip' },
  'aks-api-prd': { result: 'migrated', why: 'Overlay already: the Cilium step only' },
  'aks-edge-prd': { result: 'compliant', why: 'Overlay + Cilium already' },
  // NAP Auto: disabled around the Cilium update and put back (seed 000 § Update the data plane).
  'aks-batch-prd': { result: 'migrated', why: 'NAP disabled and re-enabled' },
  // Windows pools cannot run the Cilium data plane (seed 000 § Update the data plane › Update considerations).
  'aks-erp-prd': { result: 'blocked', why: 'cilium.windows-pools' },
  // Windows on Docker cannot move to Overlay (seed 000 § Update the IPAM mode).
  'aks-erp-dev': { result: 'blocked', why: 'overlay.windows-docker' },
  // Node subnet + Azure NPM: Cilium first replaces NPM, then Overlay (seed 000 § Update considerations: either order).
  'aks-shop-prd': { result: 'migrated', why: 'Cilium replaces NPM, then Overlay' },
  // Kubenet + Calico: kubenet must move to Overlay first, and Overlay refuses Calico (seed 000 § Update the IPAM mode).
  'aks-ledger-prd': { result: 'blocked', why: 'overlay.network-policy-engine' },
  // Overlay needs Kubernetes 1.27 (seed 000 § Update the IPAM mode).
  'aks-legacy-dev': { result: 'blocked', why: 'overlay.kubernetes-version' },
  // Application Gateway ingress add-on is not supported with Overlay (seed 003 § Limitations).
  'aks-portal-prd': { result: 'blocked', why: 'overlay.app-gateway-ingress' },
  // A custom azure-ip-masq-agent-config must be removed before the update (seed 000 § Update the IPAM mode).
  'aks-core-prd': { result: 'blocked', why: 'overlay.ip-masq-agent-config' },
};

let cwd: string;

beforeAll(() => {
  ensureBuilt();
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-demo-'));
}, 240_000);

afterAll(() => {
  if (cwd) fs.rmSync(cwd, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'aksnet.js'), ...args], { cwd, env: { ...process.env, AKSNET_BACKEND: '', AKSNET_ARM_ENDPOINT: '', AKSNET_CA_CERT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

it('npm start: the staged rollout of the sample fleet runs to the end in under 2 minutes, with the expected result per cluster and a report', async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.start).toBe('node bin/aksnet.js demo');

  const r = await run(['demo']);
  expect({ code: r.code, stderrTail: r.code === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ code: 0, stderrTail: '' });
  expect(r.ms).toBeLessThan(120_000);

  // The table: one row per sample cluster with its result.
  const lines = r.stdout.split('\n');
  const header = lines[0].split(/\s{2,}/);
  expect(header.slice(0, 5)).toEqual(['Name', 'ResourceGroup', 'Stage', 'Verdict', 'Result']);
  const resultCol = lines[0].indexOf('Result');
  const rows = new Map<string, { result: string; line: string }>();
  for (const line of lines.slice(2)) {
    if (!line.trim()) break;
    rows.set(line.split(/\s+/)[0], { result: line.slice(resultCol).split(/\s+/)[0], line });
  }
  expect(Object.fromEntries([...rows].map(([n, v]) => [n, v.result]))).toEqual(Object.fromEntries(Object.entries(EXPECTED).map(([n, e]) => [n, e.result])));
  for (const [name, e] of Object.entries(EXPECTED)) if (e.result === 'blocked') expect(rows.get(name)?.line).toContain(e.why);

  // Progress was shown on stderr, the approval of the second stage too; the report path is printed.
  expect(r.stderr).toMatch(/canary \[[#.]+\] \d\/2/);
  expect(r.stderr).toMatch(/stage 'rest' waits for approval → approved by the demo/);
  const reportLine = lines.find((l) => l.startsWith('report: '));
  expect(reportLine).toBeDefined();
  const reportPath = path.resolve(cwd, (reportLine as string).slice('report: '.length).trim());
  expect(reportPath.startsWith(path.join(cwd, '.aksnet', 'reports'))).toBe(true);

  const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as {
    id: string;
    status: string;
    stages: Array<{ name: string; status: string }>;
    clusters: Array<{ name: string; result: string; steps: Array<{ step: string; status: string }>; findings: Array<{ rule: string; severity: string }>; error: unknown }>;
    checks: { writesToUntouchedClusters: number; napModes: Record<string, string> };
  };
  expect(report.status).toBe('completed');
  expect(report.stages.map((s) => [s.name, s.status])).toEqual([
    ['canary', 'done'],
    ['rest', 'done'],
  ]);
  expect(report.clusters).toHaveLength(Object.keys(EXPECTED).length);
  for (const c of report.clusters) {
    const e = EXPECTED[c.name];
    expect({ name: c.name, result: c.result }).toEqual({ name: c.name, result: e.result });
    if (e.result === 'blocked') {
      expect(c.findings.filter((f) => f.severity === 'blocker').map((f) => f.rule)).toContain(e.why);
      expect(c.steps).toEqual([]);
    }
    if (e.result === 'migrated') expect(c.error).toBeNull();
  }
  // Steps per migrated cluster, as seed 000 allows them: Overlay first, Cilium second, unless a policy engine
  // needs Cilium to replace it first; NAP around Cilium.
  const steps = (name: string): string[] => (report.clusters.find((c) => c.name === name)?.steps ?? []).map((s) => `${s.step}:${s.status}`);
  expect(steps('aks-payments-prd')).toEqual(['ipam:overlay:done', 'dataplane:cilium:done']);
  expect(steps('aks-api-prd')).toEqual(['dataplane:cilium:done']);
  expect(steps('aks-batch-prd')).toEqual(['nap:disable:done', 'dataplane:cilium:done', 'nap:enable:done']);
  expect(steps('aks-shop-prd')).toEqual(['dataplane:cilium:done', 'ipam:overlay:done']);
  // Read from the simulator's own log and state: nothing written to a blocked or compliant cluster, NAP back to Auto.
  expect(report.checks).toEqual({ writesToUntouchedClusters: 0, napModes: { 'aks-batch-prd': 'Auto' } });
}, 200_000);
